// Workspace: everything a session has made so far: datasets, models, seeds, settings, and the
// canonical record of the commands that made them. A value type, so a failing command is
// undone by simply not committing its copy.

import NumericCore
import SalesData
import Modeling
import Evaluation
import Compression

public struct DatasetEntry: Sendable {
  public var name: String
  public var dataset: SalesDataset
  public var windows: WindowedData
  public var selection: String          // e.g. "stores 1-5 x items 1-10"
}

/// A model family: `replicas` trained from consecutive seeds; every compression step applies
/// to each replica, and evaluation reports the mean and spread over them.
public struct ModelEntry: Sendable {
  public var name: String
  public var method: String             // lstm, pruned, structured, int8, float16, distilled, lowrank, ...
  public var datasetName: String
  public var window: WindowConfig
  public var scaler: Scaler
  public var replicas: [ForecastModel]
  /// Magnitude-pruned: the kernels' zeros are a mask that fine-tuning keeps.
  public var pruned = false
  public var seeds: [UInt64]
  public var logs: [TrainingLog]
  public var lineage: [String]          // canonical commands that made it, oldest first
  public var metrics: ReplicaMetrics?   // test-set evaluation, computed once

  public init(name: String, method: String, datasetName: String, window: WindowConfig, scaler: Scaler,
              replicas: [ForecastModel], seeds: [UInt64], logs: [TrainingLog], lineage: [String], pruned: Bool = false) {
    self.name = name; self.method = method; self.datasetName = datasetName; self.window = window; self.scaler = scaler
    self.replicas = replicas; self.seeds = seeds; self.logs = logs; self.lineage = lineage; self.pruned = pruned
  }

  public var units: Int { replicas[0].units }
  /// Counts of the exported replica (the first).
  public var parameterCount: Int { replicas[0].parameterCount }
  public var nonzeroCount: Int { replicas[0].nonzeroCount }

  /// What the model file says besides the weights; the lineage only when asked (provenance
  /// belongs to the session file, not to the bytes a device stores).
  public func metadata(withLineage: Bool = false) -> ModelMetadata {
    ModelMetadata(name: name, lookback: window.lookback, horizon: window.horizon, scalerKind: scaler.kind.rawValue,
                  scalerOffset: scaler.offset, scalerFactor: scaler.factor, lineage: withLineage ? lineage : [])
  }

  /// The deployable artifact of one replica (what `export format=tcm` writes by default).
  public func artifact(run: Int = 0, withLineage: Bool = false) -> [UInt8] {
    ModelFile.encode(replicas[run], metadata: metadata(withLineage: withLineage))
  }
}

/// A command as it is written into a session file.
public struct RecordedCommand: Sendable {
  public var verb: String
  public var words: [RecordedValue]
  public var options: [(key: String, value: RecordedValue)]
  public var asName: String?
  /// The key numbers the command produced, written as `#=> ...` lines under it in a saved
  /// session, so `tinycast run --verify` can prove a replay gives the same results.
  public var results: [String] = []

  /// Canonical text: words, options sorted by key, then `as NAME`. Path values are rewritten
  /// relative to `directory` when given (so a saved session can move with its data).
  public func render(relativeTo directory: String? = nil) -> String {
    func show(_ v: RecordedValue) -> String {
      Lexer.quoteIfNeeded(v.isPath ? (directory.map { relativePath(v.text, from: $0) } ?? v.text) : v.text)
    }
    var parts = [verb] + words.map(show)
    parts += options.sorted { $0.key < $1.key }.map { "\($0.key)=\(show($0.value))" }
    if let asName { parts += ["as", asName] }
    return parts.joined(separator: " ")
  }
}

public struct Workspace: Sendable {
  public var datasets: [String: DatasetEntry] = [:]
  public var datasetOrder: [String] = []
  public var currentDataset: String?
  public var models: [String: ModelEntry] = [:]
  public var modelOrder: [String] = []
  public var currentModel: String?
  /// Source of the seeds of commands that were not given one; reset by `seed N`.
  public var seedSource = SeededGenerator(seed: 1)
  public var threads = Parallel.coreCount
  public var recorded: [RecordedCommand] = []
  public var params: [String: String] = [:]
  /// What the last `shrink` tried and why it chose what it chose (`explain shrink`).
  public var lastShrinkLog: [String] = []

  public init() {}

  // MARK: - Lookup

  public func dataset(_ name: String? = nil) throws(ShellError) -> DatasetEntry {
    guard let key = name ?? currentDataset else {
      throw ShellError("no dataset loaded", hint: "try 'load demo' or 'load csv PATH'")
    }
    guard let d = datasets[key] else {
      throw ShellError("no dataset named '\(key)'", hint: suggestion(for: key, among: datasetOrder).map { "did you mean '\($0)'?" } ?? "loaded: \(datasetOrder.joined(separator: ", "))")
    }
    return d
  }

  public func model(_ name: String? = nil) throws(ShellError) -> ModelEntry {
    guard let key = name ?? currentModel else { throw ShellError("no model yet", hint: "train one with 'train'") }
    guard let m = models[key] else {
      let hint = suggestion(for: key, among: modelOrder).map { "did you mean '\($0)'?" }
        ?? (modelOrder.isEmpty ? "no models yet" : "models: \(modelOrder.joined(separator: ", "))")
      throw ShellError("no model named '\(key)'", hint: hint)
    }
    return m
  }

  public mutating func add(_ entry: ModelEntry) {
    if models[entry.name] == nil { modelOrder.append(entry.name) }
    models[entry.name] = entry
    currentModel = entry.name
  }

  /// A new name is free for a model (names are never silently reused: compression keeps its input).
  public func requireFreeModelName(_ name: String) throws(ShellError) {
    if models[name] != nil {
      throw ShellError("a model named '\(name)' exists", hint: "choose another with 'as NAME', or 'drop \(name)' first")
    }
  }

  /// Windows of `model`'s dataset with the model's window configuration and scaler.
  public func windows(for model: ModelEntry) throws(ShellError) -> WindowedData {
    let d = try dataset(model.datasetName)
    var w = d.windows
    if w.config != model.window {
      do { w = try WindowedData(dataset: d.dataset, config: model.window) } catch { throw ShellError(error.description) }
    }
    return w.scaler == model.scaler ? w : w.rescaled(with: model.scaler)
  }
}

/// `path` relative to `directory` when both are absolute ("../data/x.csv"); else unchanged.
func relativePath(_ path: String, from directory: String) -> String {
  guard path.hasPrefix("/"), directory.hasPrefix("/") else { return path }
  let p = path.split(separator: "/").map(String.init), d = directory.split(separator: "/").map(String.init)
  var common = 0
  while common < min(p.count, d.count) && p[common] == d[common] { common += 1 }
  if common == 0 { return path }
  let ups = Array(repeating: "..", count: d.count - common)
  let rel = (ups + p[common...]).joined(separator: "/")
  return rel.isEmpty ? "." : rel
}
