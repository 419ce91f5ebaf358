// Workspace: everything a session has made so far: datasets, models, seeds, settings, and the
// canonical record of the commands that made them. A value type, so a failing operation is
// undone by simply not committing its copy.

import Compression
import Evaluation
import Foundation
import Modeling
import NumericCore
import SalesData

public struct DatasetEntry: Sendable {
  public var name: String
  public var dataset: SalesDataset
  public var windows: WindowedData
  public var selection: String  // e.g. "stores 1-5 x items 1-10"
}

/// How a model came to be: where it started and the compression steps since, in order.
/// It prints as the `method` column of `compare` ("pruned+ft+int8").
public struct Method: Sendable, Equatable, CustomStringConvertible {
  /// Where a model started: trained by a family, loaded, imported, or made by compression.
  public struct Origin: RawRepresentable, Sendable, Equatable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Trained from scratch by `family` (its name is the method: "lstm", "linear").
    public static func trained(_ family: String) -> Origin { Origin(rawValue: family) }
    public static let lstm = trained("lstm")
    public static let loaded = Origin(rawValue: "loaded")
    public static let imported = Origin(rawValue: "imported")
    public static let distilled = Origin(rawValue: "distilled")
    public static let pruned = Origin(rawValue: "pruned")
    public static let prunedGradually = Origin(rawValue: "pruned-agp")
    public static let structured = Origin(rawValue: "structured")
    public static let lowrank = Origin(rawValue: "lowrank")
  }
  public enum Step: String, Sendable {
    case finetuned = "ft"
    case int8
    case int8Tensor = "int8-tensor"
    case float16
  }
  public var origin: Origin
  public var steps: [Step]

  public init(_ origin: Origin, steps: [Step] = []) {
    self.origin = origin
    self.steps = steps
  }

  /// This method followed by `step`; fine-tuning twice is still fine-tuned.
  public func then(_ step: Step) -> Method {
    if step == .finetuned && steps.last == .finetuned { return self }
    return Method(origin, steps: steps + [step])
  }

  /// A trained LSTM quantized is named by its storage alone ("int8", not "lstm+int8").
  public var description: String {
    var parts = [origin.rawValue] + steps.map(\.rawValue)
    if origin == .lstm, let first = steps.first, first != .finetuned { parts.removeFirst() }
    return parts.joined(separator: "+")
  }
}

/// A model family: `replicas` trained from consecutive seeds; every compression step applies
/// to each replica, and evaluation reports the mean and spread over them.
public struct ModelEntry: Sendable {
  public var name: String
  public var method: Method
  /// Its file in the compact container (the workspace's `set container=`).
  public internal(set) var compactContainer = false
  public var datasetName: String
  public var window: WindowConfig
  public var scaler: Scaler
  public internal(set) var replicas: [any Forecaster]
  /// Magnitude-pruned: the kernels' zeros are a mask that fine-tuning keeps.
  public var pruned = false
  public internal(set) var seeds: [UInt64]
  public internal(set) var logs: [TrainingLog]
  public var lineage: [String]  // canonical commands that made it, oldest first
  public internal(set) var metrics: ReplicaMetrics?  // test-set evaluation, computed once

  public init(
    name: String, method: Method, datasetName: String, window: WindowConfig, scaler: Scaler,
    replicas: [any Forecaster], seeds: [UInt64], logs: [TrainingLog], lineage: [String], pruned: Bool = false
  ) {
    self.name = name
    self.method = method
    self.datasetName = datasetName
    self.window = window
    self.scaler = scaler
    self.replicas = replicas
    self.seeds = seeds
    self.logs = logs
    self.lineage = lineage
    self.pruned = pruned
  }

  /// A new entry made from this one by `command` (same data, window and scaler; the lineage
  /// grows by the command).
  public func derived(
    name: String, method: Method, replicas: [any Forecaster], logs: [TrainingLog]? = nil, seeds: [UInt64]? = nil,
    command: RecordedCommand, pruned: Bool
  ) -> ModelEntry {
    ModelEntry(
      name: name, method: method, datasetName: datasetName, window: window, scaler: scaler,
      replicas: replicas, seeds: seeds ?? self.seeds, logs: logs ?? replicas.map { _ in TrainingLog() },
      lineage: lineage + [command.render()], pruned: pruned)
  }

  public var units: Int { replicas[0].units }
  /// Counts of the exported replica (the first).
  public var parameterCount: Int { replicas[0].parameterCount }
  public var nonzeroCount: Int { replicas[0].nonzeroCount }
  /// The model's family ("lstm").
  public var family: String { replicas[0].family }
  /// A short name of what it is, for one-line reports ("LSTM-64", "linear AR(56)").
  public var label: String { replicas[0].label }
  /// The layers, as `show` prints them.
  public var architecture: String { replicas[0].architecture }
  /// LSTM weights in float32 throughout (what pruning, sensitivity and quantization start from).
  public var isFloat32: Bool {
    replicas.allSatisfy {
      if case .float(_, nil)? = $0 as? ForecastModel { true } else { false }
    }
  }

  /// The replicas as the LSTM family's models, which compression works on; any other family is
  /// refused with one clear line.
  public func lstmReplicas(for command: String) throws(CommandError) -> [ForecastModel] {
    let nets = replicas.compactMap { $0 as? ForecastModel }
    guard nets.count == replicas.count else {
      throw CommandError(
        "\(name) is a \(family) model; \(command) works on LSTM and GRU models",
        hint: "it has no weights to \(command)")
    }
    return nets
  }

  /// The same replicas, bit for bit.
  public func hasIdenticalReplicas(to other: ModelEntry) -> Bool {
    replicas.count == other.replicas.count && zip(replicas, other.replicas).allSatisfy { $0.isIdentical(to: $1) }
  }
  /// The kind of the exported replica, as `show` and the tables print it.
  public var kindDescription: String { replicas[0].kindDescription }
  /// Replica `run`'s (0-based) kind, parameter count and nonzero count.
  public func replicaSummary(_ run: Int) -> (kind: String, parameters: Int, nonzero: Int) {
    (replicas[run].kindDescription, replicas[run].parameterCount, replicas[run].nonzeroCount)
  }
}

/// The models of a workspace, in the order they were made, and the current one.
public struct ModelStore: Sendable {
  private var entries: [String: ModelEntry] = [:]
  public private(set) var names: [String] = []
  public private(set) var current: String?
  /// Every model's file in the compact container (`set container=compact`).
  public private(set) var compactContainer = false

  public init() {}

  /// The container every model's file (and so every `bytes` figure) uses from now on.
  public mutating func setCompactContainer(_ compact: Bool) {
    compactContainer = compact
    for name in names { entries[name]!.compactContainer = compact }
  }

  public subscript(name: String) -> ModelEntry? { entries[name] }
  public var isEmpty: Bool { names.isEmpty }
  public var all: [ModelEntry] { names.map { entries[$0]! } }

  /// Adds a model (replacing one of the same name in place) and makes it current. Returns the
  /// entry as stored: in the workspace's container, so what a command reports of it (its bytes)
  /// is what every table will say.
  @discardableResult
  public mutating func add(_ entry: ModelEntry) -> ModelEntry {
    if entries[entry.name] == nil { names.append(entry.name) }
    var entry = entry
    entry.compactContainer = compactContainer
    entries[entry.name] = entry
    current = entry.name
    return entry
  }

  /// Replaces a model without changing the order or the current one (a cached evaluation).
  public mutating func update(_ entry: ModelEntry) {
    precondition(entries[entry.name] != nil, "update of unknown model \(entry.name)")
    var entry = entry
    entry.compactContainer = compactContainer
    entries[entry.name] = entry
  }

  public mutating func remove(_ name: String) {
    entries[name] = nil
    names.removeAll { $0 == name }
    if current == name { current = names.last }
  }

  /// Gives a model a new name in place (its position in the order is kept).
  public mutating func rename(_ name: String, to newName: String) {
    guard var entry = entries.removeValue(forKey: name) else { return }
    entry.name = newName
    entries[newName] = entry
    names = names.map { $0 == name ? newName : $0 }
    if current == name { current = newName }
  }

  public mutating func makeCurrent(_ name: String) {
    precondition(entries[name] != nil, "no model \(name)")
    current = name
  }
}

public struct Workspace: Sendable {
  public internal(set) var datasets: [String: DatasetEntry] = [:]
  public internal(set) var datasetOrder: [String] = []
  public var currentDataset: String?
  public var models = ModelStore()
  /// Whether a command may reuse a model's name (the old model is renamed NAME.1, NAME.2, ...):
  /// the shell allows it for `train`, as a notebook re-runs a cell; searches never do.
  public var replacesExistingNames = false
  /// One-line notices an operation leaves for the shell to print (a renamed model).
  public var notices: [String] = []
  /// Source of the seeds of commands that were not given one; reset by `seed N`.
  public var seedSource = SeededGenerator(seed: 1)
  /// Worker threads: the machine's cores, or TINYCAST_THREADS (a sweep's point processes share
  /// the machine or a Slurm task's CPUs). Only speed depends on it, never a number.
  public var threads =
    ProcessInfo.processInfo.environment["TINYCAST_THREADS"].flatMap { Int($0) }.map { min(max($0, 1), 256) }
    ?? Parallel.coreCount
  /// The headline every decision uses (`set metric=`): compare's delta, shrink's budget,
  /// sensitivity, sweep's knee, plot tradeoff.
  public var metric = HeadlineMetric.mape
  public var recorded: [RecordedCommand] = []
  public var params: [String: String] = [:]
  /// What the last `shrink` tried and why it chose what it chose (`explain shrink`).
  public var lastShrinkLog: [String] = []

  public init() {}

  // MARK: - Lookup

  public func dataset(_ name: String? = nil) throws(CommandError) -> DatasetEntry {
    guard let key = name ?? currentDataset else {
      throw CommandError("no dataset loaded", hint: "try 'load demo' or 'load csv PATH'")
    }
    guard let d = datasets[key] else {
      throw CommandError(
        "no dataset named '\(key)'",
        hint: suggestion(for: key, among: datasetOrder).map { "did you mean '\($0)'?" }
          ?? "loaded: \(datasetOrder.joined(separator: ", "))")
    }
    return d
  }

  public func model(_ name: String? = nil) throws(CommandError) -> ModelEntry {
    guard let key = name ?? models.current else { throw CommandError("no model yet", hint: "train one with 'train'") }
    guard let m = models[key] else {
      let hint =
        suggestion(for: key, among: models.names).map { "did you mean '\($0)'?" }
        ?? (models.isEmpty ? "no models yet" : "models: \(models.names.joined(separator: ", "))")
      throw CommandError("no model named '\(key)'", hint: hint)
    }
    return m
  }

  /// A new name is free for a model (names are never silently reused: compression keeps its input).
  public mutating func requireFreeModelName(_ name: String) throws(CommandError) {
    guard models[name] != nil else { return }
    guard replacesExistingNames else {
      throw CommandError(
        "a model named '\(name)' exists", hint: "choose another with 'as NAME', or 'drop \(name)' first")
    }
    // As a notebook re-runs a cell: the new model takes the name, the old one stays under NAME.k.
    var k = 1
    while models["\(name).\(k)"] != nil { k += 1 }
    models.rename(name, to: "\(name).\(k)")
    notices.append("\(name) existed: the old one is now \(name).\(k)")
  }

  /// Windows of `model`'s dataset with the model's window configuration and scaler.
  public func windows(for model: ModelEntry) throws(CommandError) -> WindowedData {
    let d = try dataset(model.datasetName)
    var w = d.windows
    if w.config != model.window {
      do { w = try WindowedData(dataset: d.dataset, config: model.window) } catch {
        throw CommandError(error.description)
      }
    }
    return w.scaler == model.scaler ? w : w.rescaled(with: model.scaler)
  }

  /// A seed for an operation that was given none: drawn from the workspace's source (the
  /// recorded command writes it down).
  public mutating func seed(_ given: UInt64?) -> UInt64 {
    given ?? seedSource.nextSeed()
  }

  /// The recorded commands that made the datasets and settings, none that made a model: what
  /// another process replays before it loads the models it is sent (a fanned-out shrink).
  public var dataCommands: [RecordedCommand] {
    recorded.filter { c in
      switch c.verb {
      case "load": !["model", "keras"].contains(c.words.first?.text ?? "")
      case "window", "set": true
      case "use": datasets[c.words.first?.text ?? ""] != nil
      default: false
      }
    }
  }

  /// The canonical commands that made a dataset (its load and window lines).
  public func lineage(ofDataset name: String) -> [String] {
    var lines: [String] = []
    var current: String?
    for c in recorded {
      switch c.verb {
      case "load":
        current = c.asName
        if c.asName == name { lines = [c.render()] }
      case "use" where datasets[c.words.first?.text ?? ""] != nil: current = c.words.first?.text
      case "window" where current == name: lines.append(c.render())
      default: break
      }
    }
    return lines
  }
}
