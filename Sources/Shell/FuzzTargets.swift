// FuzzTargets: the entry points libFuzzer drives (`make fuzz`) and the test suite replays over
// the committed corpora (Tests/Fuzz/corpus). Each takes arbitrary bytes; the only acceptable
// outcomes are a result or a thrown error: never a crash, a trap or a hang.

import Foundation
import Workbench

public enum FuzzTargets {
  public static let names = ["command", "csv", "tcm", "session", "keras", "kerasconfig", "merge", "bundle"]

  public static func run(_ target: String, _ bytes: [UInt8]) {
    switch target {
    case "command": command(bytes)
    case "csv": FormatFuzzTargets.csv(bytes)
    case "tcm": FormatFuzzTargets.tcm(bytes)
    case "session": session(bytes)
    case "keras": FormatFuzzTargets.keras(bytes)
    case "kerasconfig": FormatFuzzTargets.kerasConfig(bytes)
    case "merge": merge(bytes)
    case "bundle": FormatFuzzTargets.bundle(bytes)
    default: break
    }
  }

  /// What `tinycast merge` reads: a sweep's plan and a point's compare JSON (the same bytes
  /// offered to both readers).
  static func merge(_ bytes: [UInt8]) {
    _ = try? SweepPlan.decode(Data(bytes), path: "sweep.json")
    _ = try? ComparisonRow.rows(fromJSON: Data(bytes), source: "point.json")
  }

  /// An engine over a tiny built-in dataset, writing only into a scratch folder. Commands that
  /// would load or train on large data are skipped: the fuzzer looks for crashes, not slowness.
  static func engine() -> Engine {
    let scratch = NSTemporaryDirectory() + "tinycast-fuzz"
    try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    let context = ShellContext(baseDirectory: scratch, emit: { _ in })
    context.writeRoots = [scratch]
    context.protectExistingFiles = true
    return Engine(context: context)
  }

  static func affordable(_ line: String) -> Bool {
    let lower = line.lowercased()
    return !lower.contains("demo") && !lower.contains("train") && !lower.contains("distill")
      && !lower.contains("finetune")
      && !lower.contains("agp") && !lower.contains("restore") && line.count < 2000
  }

  /// One command line through the lexer, the command table, the invocation and the command.
  static func command(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    for line in text.split(separator: "\n").prefix(8) where affordable(String(line)) {
      _ = try? engine().execute(String(line))
    }
  }

  /// A whole session file through `run`'s script runner.
  static func session(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    guard text.split(separator: "\n").allSatisfy({ affordable(String($0)) }) else { return }
    _ = CLI.runScript(text, name: "fuzz.tcs", engine: engine(), echo: false, stdout: { _ in }, stderr: { _ in })
  }
}
