// FuzzTargets: the entry points libFuzzer drives (`make fuzz`) and the test suite replays over
// the committed corpora (Tests/Fuzz/corpus). Each takes arbitrary bytes; the only acceptable
// outcomes are a result or a thrown error: never a crash, a trap or a hang.

import Foundation
import SalesData
import Modeling
import Compression

public enum FuzzTargets {
  public static let names = ["command", "csv", "tcm", "session", "keras"]

  public static func run(_ target: String, _ bytes: [UInt8]) {
    switch target {
    case "command": command(bytes)
    case "csv": csv(bytes)
    case "tcm": tcm(bytes)
    case "session": session(bytes)
    case "keras": keras(bytes)
    default: break
    }
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
    return !lower.contains("demo") && !lower.contains("train") && !lower.contains("distill") && !lower.contains("finetune")
      && !lower.contains("agp") && !lower.contains("restore") && line.count < 2000
  }

  /// One command line through the lexer, the command table, the invocation and the command.
  static func command(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    for line in text.split(separator: "\n").prefix(8) where affordable(String(line)) {
      _ = try? engine().execute(String(line))
    }
  }

  /// The CSV reader, then series assembly and windowing of whatever it accepted.
  static func csv(_ bytes: [UInt8]) {
    guard let table = try? SalesCSV.parse(bytes: bytes, path: "fuzz.csv") else { return }
    for gaps in GapPolicy.allCases {
      guard let dataset = try? SalesDataset.assemble(table, stores: .all, items: .all, gaps: gaps),
            dataset.rowCount < 200_000 else { continue }
      var config = WindowConfig()
      config.lookback = 3
      _ = try? WindowedData(dataset: dataset, config: config)
    }
  }

  /// The model-file reader; what it accepts must encode again and forecast.
  static func tcm(_ bytes: [UInt8]) {
    guard let (model, meta) = try? ModelFile.decode(bytes), model.units <= 64 else { return }
    let again = ModelFile.encode(model, metadata: meta)
    guard (try? ModelFile.decode(again)) != nil else { preconditionFailure("a decoded model did not decode after encoding") }
    let values = (0..<40).map { Float($0 % 7) }
    let d = SalesDataset(source: "fuzz", series: [DailySeries(store: 1, item: 1, startDay: 0, values: values)])
    var config = WindowConfig()
    config.lookback = meta.lookback
    if let data = try? WindowedData(dataset: d, config: config) { _ = model.predictScaled(data.test, data: data, threads: 1) }
  }

  /// A whole session file through `run`'s script runner.
  static func session(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    guard text.split(separator: "\n").allSatisfy({ affordable(String($0)) }) else { return }
    _ = CLI.runScript(text, name: "fuzz.tcs", engine: engine(), echo: false, stdout: { _ in }, stderr: { _ in })
  }

  /// The Keras-weights reader.
  static func keras(_ bytes: [UInt8]) {
    _ = try? KerasWeights.decode(Data(bytes))
  }
}
