// The exported C, compiled with the system C compiler exactly as an embedded engineer would,
// forecasts the test set like the Swift model: int8 to the last bit, float within 1e-5.

import Foundation
import SalesData
import Shell
import TestSupport
import Testing
import Workbench

func run(_ launchPath: String, _ arguments: [String], input: String = "") throws -> (status: Int32, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: launchPath)
  process.arguments = arguments
  let stdin = Pipe()
  let stdout = Pipe()
  process.standardInput = stdin
  process.standardOutput = stdout
  process.standardError = stdout
  try process.run()
  let writer = Thread {
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try? stdin.fileHandleForWriting.close()
  }
  writer.start()
  let data = stdout.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func compiler() -> String? {
  ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

@Suite struct CExportTests {
  @Test func exportedCForecastsLikeTheSwiftModel() throws {
    let cc = try #require(compiler(), "a C compiler is part of the build machine (gcc)")
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=8 epochs=2 runs=1 seed=1 as base")
    try engine.execute("quantize base int8 as q8")
    try engine.execute("prune base 0.7 as p70")
    try engine.execute("quantize p70 int8 as p70q8")
    try engine.execute("quantize base float16 as h16")
    try engine.execute("quantize base int8 granularity=tensor mode=asymmetric as u8")
    try engine.execute("factor base rank=3 as r3")
    try engine.execute("train kind=linear as lin")
    try engine.execute("train kind=average k=1 mode=weekday as wk")
    try engine.execute("train kind=average k=5 as m5")
    try engine.execute("train kind=croston variant=tsb as tsb")
    try engine.execute("train kind=croston as sba")
    try engine.execute("prune lin 0.6 as lin60")
    try engine.execute("finetune lin60 as lin60ft")
    try engine.execute("quantize lin60ft int8 as lin60q8")
    try engine.execute("quantize lin int8 as linq8")
    try engine.execute("quantize lin float16 as lin16")
    try engine.execute("train kind=linear weekday=on year=2 loss=mae as cal")
    try engine.execute("train kind=linear norm=level weekday=on year=1 as level")
    try engine.execute("prune cal 0.5 as cal50")
    // The test windows' raw sales, oldest first, one window per line.
    let data = engine.workspace.datasets["small"]!.windows
    func lines(calendar: Bool) -> String {
      data.test.map { w in
        let days = (0..<data.lookback).map { t in String(data.raw[Int(w.series)][Int(w.start) + t]) }
        let day = data.targetDay(w)
        let extra = calendar ? ["\(CivilDate.weekday(day))", "\(CivilDate.dayOfYear(day))"] : []
        return (days + extra).joined(separator: " ")
      }.joined(separator: "\n") + "\n"
    }
    for (name, exact) in [
      ("q8", true), ("p70q8", true), ("lin", true), ("lin60", true), ("lin60ft", true), ("lin60q8", true),
      ("linq8", true), ("lin16", true), ("cal", true), ("cal50", true), ("level", false), ("wk", true), ("m5", true),
      ("tsb", false), ("sba", false),
      ("base", false), ("p70", false),
      ("h16", false), ("u8", false),
      ("r3", false),
    ] {
      let out = try engine.execute("export \(name) to=. format=c")
      #expect(out.contains("bytes of flash"), "\(out)")
      let binary = "\(dir)/\(name)-harness"
      let compiled = try run(
        cc,
        [
          "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-D\(name.uppercased())_MAIN", "-o", binary,
          "\(dir)/\(name).c",
        ])
      #expect(compiled.status == 0, "\(name): \(compiled.output)")
      guard compiled.status == 0 else { continue }
      let calendar = ["cal", "cal50", "level"].contains(name)
      let forecasts = try run(binary, [], input: lines(calendar: calendar)).output.split(separator: "\n").map {
        Float(Double(String($0))!)
      }
      try engine.execute("predict \(name) to=\(name).csv")
      let swift = try String(contentsOfFile: "\(dir)/\(name).csv", encoding: .utf8).split(separator: "\n").dropFirst()
        .map { Float(String($0.split(separator: ",")[4]))! }
      #expect(forecasts.count == swift.count, "\(name)")
      var worst: Float = 0
      for (c, s) in zip(forecasts, swift) {
        if exact { #expect(c.bitPattern == s.bitPattern, "\(name): C \(c) vs Swift \(s)") }
        worst = max(worst, abs(c - s) / max(abs(s), 1e-3))
      }
      #expect(worst <= 1e-5, "\(name): worst relative difference \(worst)")
    }
  }
}

extension CExportTests {
  /// ETS's and Theta's C keep a state per series: started at the cut, each test day forecast and then
  /// observed, it gives `predict`'s forecasts (double recursion; the float output agrees to
  /// the rounding of Tinycast's scaled float forecasts).
  @Test func exportedETSRunsTheDeviceLoopLikePredict() throws {
    let cc = try #require(compiler(), "a C compiler is part of the build machine (gcc)")
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train kind=ets as ets")
    try engine.execute("train kind=ets model=MAdM as damped")
    try engine.execute("train kind=theta")
    let data = engine.workspace.datasets["small"]!.windows
    let input =
      data.test.map { w in "\(w.series) \(data.actual(w))" }.joined(separator: "\n") + "\n"
    for name in ["ets", "damped", "theta"] {
      let out = try engine.execute("export \(name) to=. format=c")
      #expect(out.contains("bytes of flash"), "\(out)")
      let binary = "\(dir)/\(name)-harness"
      let compiled = try run(
        cc,
        [
          "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-D\(name.uppercased())_MAIN", "-o", binary,
          "\(dir)/\(name).c",
        ])
      #expect(compiled.status == 0, "\(name): \(compiled.output)")
      guard compiled.status == 0 else { continue }
      let forecasts = try run(binary, [], input: input).output.split(separator: "\n").map {
        Float(Double(String($0))!)
      }
      try engine.execute("predict \(name) to=\(name).csv")
      let swift = try String(contentsOfFile: "\(dir)/\(name).csv", encoding: .utf8).split(separator: "\n").dropFirst()
        .map { Float(String($0.split(separator: ",")[4]))! }
      #expect(forecasts.count == swift.count && swift.count == data.test.count, "\(name)")
      var worst: Float = 0
      for (c, s) in zip(forecasts, swift) { worst = max(worst, abs(c - s) / max(abs(s), 1e-3)) }
      #expect(worst <= 1e-5, "\(name): worst relative difference \(worst)")
    }
  }
}

@Suite struct KerasInteropTests {
  /// Export as Keras weights, import them back: the same forecasts, bit for bit.
  @Test func kerasWeightsRoundTrip() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=6 epochs=1 runs=1 seed=1 as base")
    try engine.execute("export base to=base.json format=keras")
    let doc =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/base.json")))
      as! [String: Any]
    let weights = doc["weights"] as! [Any]
    #expect((weights[0] as! [[Double]]).count == 1 && (weights[0] as! [[Double]])[0].count == 24)
    #expect((weights[1] as! [[Double]]).count == 6)
    try engine.execute("load keras base.json as back")
    try engine.execute("predict base to=a.csv")
    try engine.execute("predict back to=b.csv")
    #expect(
      try String(contentsOfFile: dir + "/a.csv", encoding: .utf8)
        == String(contentsOfFile: dir + "/b.csv", encoding: .utf8))
    writeFile(dir + "/bad.json", "{\"weights\": [[[1, 2]], [[1]], [1], [[1]], [1]]}")
    #expect(
      errorText(engine, "load keras bad.json")?.hasPrefix("bad.json: shapes do not form LSTM(H) -> Dense(1)") == true)
  }
}
