// Crash safety, tested on the real binary: SIGKILL during training leaves no torn file, and
// the journal restores every command that completed before the kill.

import Artifacts
import Compression
import Foundation
import Shell
import TestSupport
import Testing
import Workbench

/// The tinycast binary of this build: beside the test bundle (whatever --scratch-path built
/// it), else in the package's .build folder.
func tinycastBinary() -> String? {
  let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/tinycast"
  let candidates = [beside] + ["release", "debug"].map { packageRoot() + "/.build/\($0)/tinycast" }
  return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs the tinycast binary with `arguments` in `dir`; returns its exit status and output.
func runBinary(_ binary: String, _ arguments: [String], in dir: String) throws -> (Int32, String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: binary)
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: dir)
  let output = Pipe()
  process.standardOutput = output
  process.standardError = output
  try process.run()
  let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  return (process.terminationStatus, text)
}

/// The real shell in `dir`, journaling to `home`, with its standard input and output piped.
func startShell(_ binary: String, in dir: String, home: String) throws -> (Process, Pipe, Pipe) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: binary)
  process.currentDirectoryURL = URL(fileURLWithPath: dir)
  process.environment = ProcessInfo.processInfo.environment.merging(["TINYCAST_HOME": home]) { $1 }
  let input = Pipe()
  let output = Pipe()
  process.standardInput = input
  process.standardOutput = output
  process.standardError = output
  try process.run()
  return (process, input, output)
}

@Suite struct CrashSafetyTests {
  @Test func sigkillDuringTrainingLosesNothingThatCompleted() throws {
    let binary = try #require(tinycastBinary(), "make test builds the tinycast binary with the tests")
    let dir = temporaryDirectory()
    let home = temporaryDirectory("home")
    writeFile(dir + "/small.csv", smallSalesCSV())
    let (process, input, output) = try startShell(binary, in: dir, home: home)
    let commands = """
      load csv small.csv
      window lookback=7
      train units=4 epochs=2 runs=1 seed=3 as m
      export m to=m.tcm
      save session s.tcs
      load demo as big
      train units=64 epochs=1000 runs=3 seed=4 as long

      """
    input.fileHandleForWriting.write(Data(commands.utf8))
    // Wait for the long training to print its first epoch, then kill -9.
    var seen = ""
    let deadline = Date().addingTimeInterval(120)
    while !seen.contains("long run 1/3 epoch") && Date() < deadline {
      seen += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
    }
    #expect(seen.contains("long run 1/3 epoch"), "never saw the long training start: \(seen)")
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)

    // No torn file: what completed is whole and readable.
    let model = try Data(contentsOf: URL(fileURLWithPath: dir + "/m.tcm"))
    #expect(throws: Never.self) { try ModelFile.decode([UInt8](model)) }
    let session = try String(contentsOfFile: dir + "/s.tcs", encoding: .utf8)
    #expect(
      session.hasPrefix("#! tinycast-session 1")
        && session.contains("export m format=tcm lineage=off overwrite=off run=1 to=m.tcm"))

    // The journal holds every completed command, not the interrupted one. It only appends, so
    // load's implicit window line and the explicit one both appear (a replay collapses them).
    let journal = try String(contentsOfFile: home + "/autosave.tcs", encoding: .utf8)
    let lines = journal.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
    #expect(
      lines.map { $0.split(separator: " ")[0] } == ["load", "window", "window", "train", "export", "load", "window"],
      "\(lines)")
    #expect(!journal.contains("as long"))

    // The next start finds it, and `restore` rebuilds the same model.
    let recovered = try #require(Journal.recoverAbandoned(in: home))
    #expect(recovered.commands == 7)
    let engine = Engine(context: ShellContext(baseDirectory: dir, emit: { _ in }))
    engine.restorePath = recovered.path
    try FileManager.default.removeItem(atPath: dir + "/m.tcm")  // the export replays too
    let message = try engine.execute("restore")
    // One whole line per command it ran, then what the workspace gained.
    let report = message.split(separator: "\n").map(String.init)
    #expect(report.first == "restored 7 commands from \(recovered.path):", "\(message)")
    #expect(Array(report[1...7]) == lines.enumerated().map { "  \($0.offset + 1)  \($0.element)" }, "\(message)")
    #expect(report.contains("models made: m"), "\(message)")
    let (restored, _) = try ModelFile.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/m.tcm"))))
    let (original, _) = try ModelFile.decode([UInt8](model))
    #expect(restored == original)
    #expect(engine.workspace.models["m"] != nil && engine.workspace.datasets["big"] != nil)
  }

  @Test func aCleanExitRetiresTheJournal() throws {
    let binary = try #require(tinycastBinary())
    let dir = temporaryDirectory()
    let home = temporaryDirectory("home")
    writeFile(dir + "/small.csv", smallSalesCSV())
    let (process, input, _) = try startShell(binary, in: dir, home: home)
    input.fileHandleForWriting.write(Data("load csv small.csv\nquit\n".utf8))
    try input.fileHandleForWriting.close()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(!FileManager.default.fileExists(atPath: home + "/autosave.tcs"))
    #expect(Journal.recoverAbandoned(in: home) == nil)
  }
}

@Suite struct TornFileTests {
  /// SIGKILL while the shell keeps rewriting a large model file and a session file: at every
  /// kill, each file is the old version or the new one, never a torn mixture.
  @Test(arguments: [0.3, 0.7, 1.1])
  func sigkillDuringExportAndSaveLeavesWholeFiles(delay: Double) throws {
    let binary = try #require(tinycastBinary())
    let dir = temporaryDirectory()
    let home = temporaryDirectory("home")
    writeFile(dir + "/small.csv", smallSalesCSV(days: 60))
    let (process, input, output) = try startShell(binary, in: dir, home: home)
    // LSTM-512: a 4 MB model file; then rewrite it and the session file again and again.
    var commands = "load csv small.csv\nwindow lookback=7\ntrain units=512 epochs=1 runs=1 seed=1 as m\n"
    for _ in 0..<400 { commands += "export m to=big.tcm\nsave session s.tcs\n" }
    input.fileHandleForWriting.write(Data(commands.utf8))
    var seen = ""
    let deadline = Date().addingTimeInterval(120)
    while !seen.contains("wrote big.tcm") && Date() < deadline {
      seen += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
    }
    Thread.sleep(forTimeInterval: delay)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    let model = try Data(contentsOf: URL(fileURLWithPath: dir + "/big.tcm"))
    #expect(model.count > 4_000_000)
    #expect(throws: Never.self) { try ModelFile.decode([UInt8](model)) }
    let session = try String(contentsOfFile: dir + "/s.tcs", encoding: .utf8)
    // A whole session: the header, then complete canonical lines of the commands run so far.
    #expect(session.hasPrefix("#! tinycast-session 1") && session.hasSuffix("\n"))
    let lines = session.split(separator: "\n").filter { !$0.hasPrefix("#") }
    #expect(lines.count >= 3)
    #expect(
      lines.allSatisfy {
        $0.hasPrefix("load csv ") || $0.hasPrefix("window ") || $0.hasPrefix("train ")
          || $0 == "export m format=tcm lineage=off overwrite=off run=1 to=big.tcm"
      }, "\(lines.suffix(2))")
  }
}
