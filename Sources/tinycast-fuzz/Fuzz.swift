// tinycast-fuzz: libFuzzer targets for the command line, the CSV reader, the model file, the
// session runner and Keras weights (Shell/FuzzTargets.swift).
//   make fuzz                  builds with -sanitize=fuzzer,address and runs each target 60 s
//   tinycast-fuzz TARGET PATH...   (a normal build) replays inputs, e.g. a crash found earlier

import Foundation
import Shell

#if FUZZING
  /// libFuzzer's entry point; the target comes from TINYCAST_FUZZ_TARGET.
  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let target = ProcessInfo.processInfo.environment["TINYCAST_FUZZ_TARGET"] ?? "command"
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzTargets.run(target, bytes)
    return 0
  }

  @_silgen_name("LLVMFuzzerRunDriver")
  func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  /// SwiftPM links an executable's entry point as `tinycast_fuzz_main`; hand control to libFuzzer.
  @_cdecl("tinycast_fuzz_main")
  public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return runFuzzerDriver(&count, &vector, fuzzOne)
  }
#else
  @main struct FuzzReplay {
    static func main() {
      let args = Array(CommandLine.arguments.dropFirst())
      guard let target = args.first, FuzzTargets.names.contains(target) else {
        print("usage: tinycast-fuzz TARGET PATH...   (TARGET: \(FuzzTargets.names.joined(separator: ", ")))")
        exit(2)
      }
      var count = 0
      for path in args.dropFirst() {
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
        let files =
          exists && isDir.boolValue
          ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
          : [path]
        for f in files {
          guard let data = FileManager.default.contents(atPath: f) else { continue }
          FuzzTargets.run(target, [UInt8](data))
          count += 1
        }
      }
      print("\(target): \(count) inputs replayed without a crash")
    }
  }
#endif
