// train and distill: new models trained from scratch, one replica per run from consecutive
// seeds. `TrainingOptions` are the options both share.

import Compression
import Foundation
import Modeling
import NumericCore
import SalesData

/// Epochs, batch, learning rate, patience, runs and the first seed: what every command that
/// trains from scratch is given.
public struct TrainingOptions: Sendable {
  public var epochs = 50
  public var batch = 32
  public var learningRate = 0.001
  public var patience = 5
  public var runs = 3
  /// The first run's seed; nil draws one from the workspace (and the record writes it down).
  public var seed: UInt64?
  public init() {}

  func config(threads: Int) -> TrainingConfig {
    var c = TrainingConfig()
    c.epochs = epochs
    c.batchSize = batch
    c.learningRate = Float(learningRate)
    c.patience = patience
    c.threads = threads
    return c
  }

  func record(into command: inout RecordedCommand, seed: UInt64) {
    command.set("epochs", epochs)
    command.set("batch", batch)
    command.set("lr", learningRate)
    command.set("patience", patience)
    command.set("runs", runs)
    command.set("seed", seed)
  }
}

/// One replica's training: its seed and what happened epoch by epoch.
public struct ReplicaRun: Sendable {
  public var seed: UInt64
  public var log: TrainingLog
}

/// What an operation that trains returns: the new model, each replica's run, the time taken,
/// and the command that replays it.
public struct TrainedModel: Sendable {
  public var model: ModelEntry
  public var runs: [ReplicaRun]
  public var seconds: Double
  public var command: RecordedCommand
  public var interrupted: Bool { runs.contains { $0.log.interrupted } }
}

public struct TrainSpec: Sendable {
  /// The recurrent layer: an LSTM (the article's) or a GRU.
  public var cell: RecurrentCell = .lstm
  /// What each step reads: scaled sales (the article's), or level-normalised sales and calendar.
  public var inputs: RecurrentInputs = .plain
  /// What training minimises: squared errors (the article's) or absolute errors.
  public var loss = TrainingLoss.mse
  /// The holiday file as the user gave it (recorded; its dates are in `inputs.holidays`).
  public var holidaysFile: String?
  /// Columns of the data file read as input channels (`inputs.covariates` gets them, with the
  /// dataset's scalers, when training starts).
  public var covariates: [String] = []
  /// Each step reads the covariates of the day it forecasts (known in advance), else its own.
  public var covariatesAhead = true
  /// A linear model of the workspace the network corrects (a linear skip), by name.
  public var skip: String?
  public var units = 64
  /// Recurrent layers stacked, each of `units` (Keras' return_sequences=True between them).
  public var layers = 1
  public var dropout = 0.2
  public var training = TrainingOptions()
  /// The last run stops after this many epochs: how a session records a training that Ctrl-C
  /// interrupted, so that its replay rebuilds the same weights.
  public var lastRunEpochs: Int?
  /// The new model's name (default lstmUNITS or gruUNITS).
  public var name: String?
  public init() {}
}

extension Workspace {
  /// The linear model named `name`, to be corrected by a network trained on `data`'s current
  /// windows: a one-replica linear model of the same dataset and windows (so one-day windows: a
  /// linear model refuses others).
  func skipBase(_ name: String, for data: DatasetEntry) throws(CommandError) -> LinearAutoregression {
    let m = try model(name)
    guard m.replicas.count == 1, let linear = m.replicas[0] as? LinearAutoregression else {
      let article = "aeiou".contains(m.family.first ?? "x") ? "an" : "a"
      throw CommandError(
        "skip=\(name) is \(article) \(m.family) model; a network corrects a linear one",
        hint: "train kind=linear first, on these windows")
    }
    guard linear.covariates.isEmpty else {
      throw CommandError(
        "skip=\(name) reads covariates; a network corrects a linear model of sales and calendar",
        hint: "fit the linear model without covariates= and give them to the network")
    }
    guard m.datasetName == data.name, m.window == data.windows.config else {
      throw CommandError(
        "skip=\(name) was fitted on other windows (\(m.datasetName), lookback \(m.window.lookback)); "
          + "the network trains on \(data.name)'s current ones",
        hint: "fit the linear model again after 'window', or window as it was")
    }
    return linear
  }

  /// The dataset's covariates `names`, each with the scaler fitted on its training days.
  func covariates(_ names: [String], of data: DatasetEntry) throws(CommandError) -> [Covariate] {
    var out: [Covariate] = []
    for name in names {
      guard let column = data.windows.covariateColumn(name) else {
        let has = data.windows.covariateNames
        throw CommandError(
          "\(data.name) has no covariate '\(name)'",
          hint: has.isEmpty
            ? "load the file with covariates=\(names.joined(separator: ",")) to read those columns"
            : "it has \(has.joined(separator: ", "))")
      }
      guard !out.contains(where: { $0.name == name }) else { throw CommandError("covariates= names '\(name)' twice") }
      out.append(Covariate(name: name, scaler: data.windows.covariateScalers[column]))
    }
    return out
  }

  /// The holidays in the CSV at `path` (`given` as the user wrote it), as sorted day numbers.
  public static func readHolidays(path: String, given: String) throws(CommandError) -> [Int] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CommandError(
        "\(given): no such file",
        hint: "check the path; relative paths start at the session file's folder (in the shell, the current folder)")
    }
    do { return try Holidays.parse(bytes: [UInt8](data), path: given) } catch { throw CommandError(error.description) }
  }
}

public struct DistillSpec: Sendable {
  public var teacher: String?
  /// The student's family: an LSTM (trained) or a linear autoregression (fitted in closed form).
  public var linear = false
  /// The linear student's ridge penalty.
  public var ridge = 0.0001
  public var units = 16
  public var alpha = 0.5
  public var dropout = 0.2
  public var training = TrainingOptions()
  public var name: String?
  public init() {}
}

extension TrainSpec {
  /// The canonical command of this training, which replays it (a fanned-out search writes it
  /// into the session another process runs).
  public func recordedCommand(name: String, firstSeed: UInt64) -> RecordedCommand {
    var command = RecordedCommand("train", asName: name)
    command.set("kind", cell.rawValue)
    if let skip { command.set("skip", skip) }
    command.set("units", units)
    if layers > 1 { command.set("layers", layers) }
    command.set("dropout", dropout)
    if inputs.levelNormalized { command.set("norm", "level") }
    if inputs.calendar.weekday { command.set("weekday", on: true) }
    if inputs.calendar.yearHarmonics > 0 { command.set("year", inputs.calendar.yearHarmonics) }
    if loss != .mse { command.set("loss", loss.rawValue) }
    if let holidaysFile { command.set("holidays", holidaysFile) }
    if !covariates.isEmpty {
      command.set("covariates", covariates.joined(separator: ","))
      if !covariatesAhead { command.set("ahead", on: false) }
    }
    training.record(into: &command, seed: firstSeed)
    if let stop = lastRunEpochs { command.set("stop", stop) }
    return command
  }
}

extension DistillSpec {
  /// The canonical command of this distillation of an LSTM student (see TrainSpec's).
  public func recordedCommand(teacher: String, name: String, firstSeed: UInt64) -> RecordedCommand {
    var command = RecordedCommand("distill", asName: name)
    command.set("teacher", teacher)
    command.set("units", units)
    command.set("alpha", alpha)
    command.set("dropout", dropout)
    training.record(into: &command, seed: firstSeed)
    return command
  }
}

extension Workspace {
  /// `train`: LSTM(units) or GRU(units) -> Dropout -> Dense(S) on the current dataset (S the
  /// windows' days, 1 by default), correcting a linear model when `spec.skip` names one. An
  /// interrupted run keeps what it has (the best weights so far), and the runs after it are not
  /// started.
  public mutating func train(_ spec: TrainSpec, progress: Progress) throws(CommandError) -> TrainedModel {
    let data = try dataset()
    let name = spec.name ?? "\(spec.cell.rawValue)\(spec.units)"
    try requireFreeModelName(name)
    guard spec.training.batch <= data.windows.fit.count else {
      throw CommandError("batch=\(spec.training.batch) is larger than the \(data.windows.fit.count) training windows")
    }
    let firstSeed = seed(spec.training.seed)
    if let stop = spec.lastRunEpochs, !(1...spec.training.epochs).contains(stop) {
      throw CommandError("stop=\(stop) must be between 1 and epochs=\(spec.training.epochs)")
    }
    let base = try spec.skip.map { (skip: String) throws(CommandError) in try skipBase(skip, for: data) }
    var inputs = spec.inputs
    inputs.covariates = try covariates(spec.covariates, of: data)
    inputs.covariatesAhead = spec.covariatesAhead
    // A multi-day head with covariates known in advance reads every forecast day's.
    inputs.covariateDays = spec.covariatesAhead && !spec.covariates.isEmpty ? data.windows.steps : 1
    var command = spec.recordedCommand(name: name, firstSeed: firstSeed)

    var config = spec.training.config(threads: threads)
    config.loss = spec.loss
    let started = ContinuousClock.now
    var replicas: [any Forecaster] = []
    var runs: [ReplicaRun] = []
    for run in 0..<spec.training.runs {
      let seed = firstSeed + UInt64(run)
      var rng = SeededGenerator(seed: seed)
      var model = RecurrentForecaster(
        inputSize: inputs.channels, units: spec.units, cell: spec.cell, inputs: inputs, outputs: data.windows.steps,
        layers: spec.layers, dropout: Float(spec.dropout), rng: &rng)
      if let base {
        // A correction starts at zero: the model starts as the linear model it corrects.
        model.skip = base
        for k in model.layout.range(.denseKernel) { model.weights.values[k] = 0 }
      }
      var runConfig = config
      if run == spec.training.runs - 1, let stop = spec.lastRunEpochs { runConfig.epochs = stop }
      let hooks = progress.hooks(model: name, run: run, runs: spec.training.runs, epochs: runConfig.epochs)
      let log = Trainer.fit(&model, data: data.windows, config: runConfig, rng: &rng, hooks: hooks)
      // A run interrupted before its first epoch ended has nothing to keep.
      if log.bestEpoch > 0 {
        replicas.append(ForecastModel.float(model, storage: nil))
        runs.append(ReplicaRun(seed: seed, log: log))
      }
      if log.interrupted { break }
    }
    guard !runs.isEmpty else {
      throw CommandError("training was interrupted before the first epoch ended; nothing was added")
    }
    if runs.count < spec.training.runs || runs.last!.log.interrupted {
      // Record what ran: the runs that produced weights, the last one stopped after the epochs
      // it completed (its best weights come from those), so a replay rebuilds the same model.
      command.set("runs", runs.count)
      if runs.last!.log.interrupted { command.set("stop", runs.last!.log.epochs.count) }
    }
    var entry = ModelEntry(
      name: name, method: Method(.trained(spec.cell.rawValue)), datasetName: data.name, window: data.windows.config,
      scaler: data.windows.scaler, replicas: replicas, seeds: runs.map(\.seed), logs: runs.map(\.log),
      lineage: lineage(ofDataset: data.name) + [command.render()])
    entry = models.add(entry)
    return TrainedModel(model: entry, runs: runs, seconds: seconds(since: started), command: command)
  }

  /// `distill`: a student LSTM trained on alpha * actual + (1 - alpha) * the teacher's forecast
  /// (the mean of its replicas). An interruption adds nothing.
  public mutating func distill(_ spec: DistillSpec, progress: Progress) throws(CommandError) -> TrainedModel {
    let teacher = try model(spec.teacher)
    if spec.linear { return try distillLinear(spec, teacher: teacher) }
    let name = spec.name ?? "kd\(spec.units)"
    try requireFreeModelName(name)
    let data = try windows(for: teacher)
    guard spec.training.batch <= data.fit.count else {
      throw CommandError("batch=\(spec.training.batch) is larger than the \(data.fit.count) training windows")
    }
    let firstSeed = seed(spec.training.seed)
    let command = spec.recordedCommand(teacher: teacher.name, name: name, firstSeed: firstSeed)

    let config = spec.training.config(threads: threads)
    let started = ContinuousClock.now
    let targets = Distillation.blendedTargets(
      teachers: teacher.replicas, alpha: spec.alpha, data: data, threads: threads)
    let (replicas, runs) = try trainReplicas(
      spec.training.runs, firstSeed: firstSeed, name: name, epochs: config.epochs, progress: progress
    ) { _, rng, hooks in
      var student = RecurrentForecaster(
        units: spec.units, outputs: data.steps, dropout: Float(spec.dropout), rng: &rng)
      var h = hooks
      h.fitTargets = targets
      let log = Trainer.fit(&student, data: data, config: config, rng: &rng, hooks: h)
      return (.float(student, storage: nil), log)
    }
    var entry = teacher.derived(
      name: name, method: Method(.distilled), replicas: replicas, logs: runs.map(\.log), seeds: runs.map(\.seed),
      command: command, pruned: false)
    entry.lineage = teacher.lineage + [command.render()]
    entry = models.add(entry)
    return TrainedModel(model: entry, runs: runs, seconds: seconds(since: started), command: command)
  }

  /// Trains `count` replicas from seeds `firstSeed`, `firstSeed + 1`, ...: `one(k, &rng, hooks)`
  /// makes replica k. Used by the operations that derive a model (distill, finetune, gradual
  /// pruning), which add nothing when interrupted, so an interruption throws.
  func trainReplicas(
    _ count: Int, firstSeed: UInt64, name: String, epochs: Int, progress: Progress,
    _ one: (Int, inout SeededGenerator, TrainingHooks) -> (ForecastModel, TrainingLog)
  ) throws(CommandError) -> (replicas: [ForecastModel], runs: [ReplicaRun]) {
    var replicas: [ForecastModel] = []
    var runs: [ReplicaRun] = []
    for k in 0..<count {
      let seed = firstSeed + UInt64(k)
      var rng = SeededGenerator(seed: seed)
      let (model, log) = one(k, &rng, progress.hooks(model: name, run: k, runs: count, epochs: epochs))
      if log.interrupted { throw CommandError("interrupted; nothing was added") }
      replicas.append(model)
      runs.append(ReplicaRun(seed: seed, log: log))
    }
    return (replicas, runs)
  }
}

/// Seconds since `start`, for reports.
func seconds(since start: ContinuousClock.Instant) -> Double {
  let d = ContinuousClock.now - start
  return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
