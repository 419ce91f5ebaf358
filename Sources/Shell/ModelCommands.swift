// Model commands: train, use, drop, models, show, seed, set, export.

import Foundation
import NumericCore
import SalesData
import Modeling
import Evaluation
import Compression

enum ModelCommands {
  static let all: [Command] = [train, use, drop, models, show, seed, set, export]

  static let train = Command(
    "train", group: .model,
    usage: "train [units=64] [dropout=0.2] [epochs=50] [batch=32] [lr=0.001] [patience=5] [runs=3] [seed=N] [as NAME]",
    summary: "train LSTM(units) -> Dropout -> Dense(1) on the current dataset, one replica per run",
    details: """
      MSE loss, Adam (Keras defaults, eps 1e-7), batches reshuffled every epoch from the seed,
      early stopping on validation loss with the best weights restored. runs=N trains N
      replicas from seeds SEED, SEED+1, ...; eval reports their mean and spread. Without seed=,
      the workspace's seed source picks one and the recorded session writes it down.
      The new model is named lstmUNITS unless 'as NAME' says otherwise.
      """,
    options: [
      OptionSpec("units", "64", "hidden units of the LSTM"),
      OptionSpec("dropout", "0.2", "dropout rate on the last hidden state while training"),
    ] + trainingOptions,
    example: "train units=32 epochs=30 runs=3 seed=7 as small",
    recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...0, usage: "train [options] [as NAME]")
    let data = try ws.dataset()
    let units = try inv.int("units", in: 1...1024)
    let dropout = try inv.double("dropout", min: 0, max: 1, openMax: true)
    let (config, runs, firstSeed) = try trainingSettings(&inv, &ws)
    try inv.checkAllConsumed()
    guard config.batchSize <= data.windows.fit.count else {
      throw ShellError("batch=\(config.batchSize) is larger than the \(data.windows.fit.count) training windows")
    }
    let name = inv.asName ?? "lstm\(units)"
    inv.resultName = name
    try ws.requireFreeModelName(name)

    var replicas: [LSTMForecaster] = [], logs: [TrainingLog] = [], seeds: [UInt64] = []
    let started = ContinuousClock.now
    let progress = EpochProgress(name: name, runs: runs, epochs: config.epochs, context: ctx)
    var report: [String] = []
    for run in 0..<runs {
      let seed = firstSeed + UInt64(run)
      var rng = SeededGenerator(seed: seed)
      var model = LSTMForecaster(units: units, dropout: Float(dropout), rng: &rng)
      let log = Trainer.fit(&model, data: data.windows, config: config, rng: &rng, hooks: progress.hooks(run: run))
      replicas.append(model); logs.append(log); seeds.append(seed)
      report.append(EpochProgress.summary(run: run, seed: seed, log: log))
      if log.interrupted { break }
    }
    guard logs.allSatisfy({ $0.bestEpoch > 0 }) else {
      throw ShellError("training was interrupted before the first epoch ended; nothing was added")
    }
    let lineage = ws.lineage(ofDataset: data.name) + [inv.canonical(asName: name).render()]
    let entry = ModelEntry(name: name, method: "lstm", datasetName: data.name, window: data.windows.config,
                           scaler: data.windows.scaler, replicas: replicas.map { .float($0, storage: nil) }, seeds: seeds,
                           logs: logs, lineage: lineage)
    ws.add(entry)
    let elapsed = ContinuousClock.now - started
    let interrupted = logs.contains { $0.interrupted }
    return (report + ["\(name): LSTM-\(units), \(entry.parameterCount) parameters, \(replicas.count) run\(replicas.count == 1 ? "" : "s") in \(duration(seconds(elapsed)))\(interrupted ? " (interrupted: kept the best weights so far)" : ""); 'eval \(name)' for test metrics"]).joined(separator: "\n")
  }

  /// The options every command that trains from scratch shares (train, distill).
  static let trainingOptions: [OptionSpec] = [
    OptionSpec("epochs", "50", "most epochs per run"),
    OptionSpec("batch", "32", "windows per gradient step"),
    OptionSpec("lr", "0.001", "Adam learning rate"),
    OptionSpec("patience", "5", "epochs without a better validation loss before stopping"),
    OptionSpec("runs", "3", "replicas trained from consecutive seeds"),
    OptionSpec("seed", "", "seed of the first run (default: drawn from the workspace and recorded)"),
  ]

  /// Reads `trainingOptions`: the configuration, the number of runs and the first seed.
  static func trainingSettings(_ inv: inout Invocation, _ ws: inout Workspace) throws(ShellError) -> (TrainingConfig, Int, UInt64) {
    var config = TrainingConfig()
    config.epochs = try inv.int("epochs", in: 1...100_000)
    config.batchSize = try inv.int("batch", in: 1...65_536)
    config.learningRate = Float(try inv.double("lr", min: 0, max: 10, openMin: true))
    config.patience = try inv.int("patience", in: 1...100_000)
    config.threads = ws.threads
    let runs = try inv.int("runs", in: 1...100)
    return (config, runs, try seedOption(&inv, &ws))
  }

  /// `seed=N` if given, else one drawn from the workspace (and recorded either way).
  static func seedOption(_ inv: inout Invocation, _ ws: inout Workspace) throws(ShellError) -> UInt64 {
    if let text = inv.optionalString("seed") {
      guard let s = UInt64(text), s < 1 << 53 else { throw ShellError("seed=\(text) is not a whole number in 0...2^53", column: inv.options["seed"]?.column) }
      return s
    }
    let s = ws.seedSource.nextSeed()
    inv.record("seed", String(s))
    return s
  }

  static let use = Command(
    "use", group: .model, usage: "use NAME", summary: "make a model (or dataset) the current one",
    example: "use lstm32", recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(1...1, usage: "use NAME")
    try inv.checkAllConsumed()
    let name = inv.words[0].text
    inv.recordedWords = [RecordedValue(text: name, isPath: false)]
    if ws.models[name] != nil { ws.currentModel = name; return "current model: \(name)" }
    if ws.datasets[name] != nil { ws.currentDataset = name; return "current dataset: \(name)" }
    _ = try ws.model(name)
    return ""
  }

  static let drop = Command(
    "drop", group: .model, usage: "drop NAME", summary: "remove a model from the workspace",
    example: "drop lstm128", recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(1...1, usage: "drop NAME")
    try inv.checkAllConsumed()
    let name = inv.words[0].text
    _ = try ws.model(name)
    inv.recordedWords = [RecordedValue(text: name, isPath: false)]
    ws.models[name] = nil
    ws.modelOrder.removeAll { $0 == name }
    if ws.currentModel == name { ws.currentModel = ws.modelOrder.last }
    return "dropped \(name)"
  }

  static let models = Command(
    "models", group: .model, usage: "models", summary: "list the workspace's models with size and accuracy",
    recording: .never
  ) { ws, inv, _ in
    try inv.requireWordCount(0...0, usage: "models")
    try inv.checkAllConsumed()
    guard !ws.modelOrder.isEmpty else { return "no models yet; 'train' makes one" }
    var lines = ["  name              method  units  params   bytes  MAPE (runs)   made by"]
    for name in ws.modelOrder {
      let m = ws.models[name]!
      let mape = m.metrics.map { "\(fixed($0.mape, 2)) (\($0.runs.count))" } ?? "-"
      let mark = name == ws.currentModel ? "*" : " "
      lines.append("\(mark) \(name.padding(toLength: 16, withPad: " ", startingAt: 0))  \(m.method.padding(toLength: 6, withPad: " ", startingAt: 0))  \(pad(m.units, 10_000))  \(pad(m.parameterCount, 1_000_000))  \(pad(m.artifact().count, 1_000_000))  \(mape.padding(toLength: 12, withPad: " ", startingAt: 0))  \(m.lineage.last ?? "")")
    }
    return lines.joined(separator: "\n")
  }

  static let show = Command(
    "show", group: .model, usage: "show [NAME]", summary: "a model's architecture, training runs and lineage",
    recording: .never
  ) { ws, inv, _ in
    try inv.requireWordCount(0...1, usage: "show [NAME]")
    try inv.checkAllConsumed()
    let m = try ws.model(inv.word(0)?.text)
    var lines = ["\(m.name): \(m.method), LSTM-\(m.units) -> Dropout(\(formatNumber(Double(m.replicas[0].floatNetwork.dropout)))) -> Dense(1), \(m.replicas[0].kindDescription), \(m.parameterCount) parameters (\(m.nonzeroCount) nonzero), \(m.replicas.count) replica(s)",
                 "  data \(m.datasetName), lookback \(m.window.lookback), horizon \(m.window.horizon), artifact \(m.artifact().count) bytes"]
    for (k, log) in m.logs.enumerated() where !log.epochs.isEmpty {
      lines.append("  run \(k + 1) seed \(m.seeds[k]): \(log.epochs.count) epochs, best \(log.bestEpoch) (val loss \(sci(log.bestValidationLoss)))")
    }
    if let metrics = m.metrics { lines.append("  test MAPE \(fixed(metrics.mape, 3)) +/- \(fixed(metrics.mapeStd, 3))") }
    lines.append("  lineage:")
    lines += m.lineage.map { "    \($0)" }
    return lines.joined(separator: "\n")
  }

  static let seed = Command(
    "seed", group: .model, usage: "seed N",
    summary: "reset the workspace's seed source (commands given no seed= draw theirs from it)",
    example: "seed 42", recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(1...1, usage: "seed N")
    try inv.checkAllConsumed()
    guard let n = UInt64(inv.words[0].text) else { throw ShellError("seed \(inv.words[0].text) is not a whole number", column: inv.words[0].column) }
    ws.seedSource = SeededGenerator(seed: n)
    inv.recordedWords = [RecordedValue(text: String(n), isPath: false)]
    return "seed source reset to \(n)"
  }

  static let set = Command(
    "set", group: .model, usage: "set threads=N",
    summary: "change a setting that does not change results (threads)",
    details: "Results are bit-identical for any thread count: batches are cut into fixed shards.",
    options: [OptionSpec("threads", "", "worker threads for training and evaluation")],
    example: "set threads=1", recording: .never
  ) { ws, inv, _ in
    try inv.requireWordCount(0...0, usage: "set threads=N")
    guard !inv.options.isEmpty else { return "threads=\(ws.threads)" }
    if inv.options["threads"] != nil { ws.threads = try inv.int("threads", in: 1...256) }
    try inv.checkAllConsumed()
    return "threads=\(ws.threads)"
  }

  static let export = Command(
    "export", group: .model, usage: "export [NAME] to=PATH [format=tcm] [run=1]",
    summary: "write a model's deployable artifact (one replica)",
    details: """
      format=tcm writes Tinycast's model file (magic, version, JSON header, the tensors in their
      stored encodings, CRC-32), which 'load model PATH' reads back. The artifact's size is the
      'bytes' that compare reports. run=K picks the replica (1 = the first seed). lineage=on
      also writes the commands that made the model into the header (provenance for sharing;
      not counted in 'bytes'). format=c writes DIR/NAME.h and DIR/NAME.c (to= is the folder):
      C99 with the weights as constant arrays and 'float NAME_predict(const float sales[14])'
      (raw sales in, forecast out, scaling inside), no allocation, no global state; it prints
      the flash for the weights, the RAM, the multiply-accumulates and an energy estimate.
      format=keras writes JSON whose "weights" list Keras' model.set_weights accepts (for
      LSTM(units) -> Dropout -> Dense(1)); integer models give their dequantized weights.
      """,
    options: [
      OptionSpec("to", "", "output file", isPath: true),
      OptionSpec("format", "tcm", "Tinycast's model file, a C99 source pair, or Keras weights (JSON)", values: ["tcm", "c", "keras"]),
      OptionSpec("run", "1", "which replica to export (1-based)"),
      OptionSpec("lineage", "off", "write the commands that made the model into the header", values: ["off", "on"]),
      OptionSpec("overwrite", "off", "replace the file if it exists (a replayed session never does otherwise)", values: ["off", "on"]),
    ],
    example: "export lstm64 to=lstm64.tcm", recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...1, usage: "export [NAME] to=PATH")
    let m = try ws.model(inv.word(0)?.text)
    inv.recordedWords = [RecordedValue(text: m.name, isPath: false)]
    let to = try inv.string("to")
    let format = try inv.choice("format")
    let run = try inv.int("run", in: 1...m.replicas.count)
    let withLineage = try inv.choice("lineage") == "on"
    let overwrite = try inv.choice("overwrite") == "on"
    try inv.checkAllConsumed()
    let path = format == "c" ? try ctx.outputPath(to, overwrite: true) : try ctx.outputPath(to, overwrite: overwrite)
    if format == "keras" {
      let text = KerasWeights.encode(m.replicas[run - 1].floatNetwork, metadata: m.metadata())
      try AtomicFile.write(Array(text.utf8), to: path)
      return "wrote \(to): Keras weights of \(m.name) run \(run) (LSTM-\(m.units)); in Python: model.set_weights([np.array(w) for w in json.load(open('\(to)'))['weights']])"
    }
    if format == "c" {
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
        throw ShellError("to=\(to) must be an existing folder for format=c", hint: "it receives NAME.h and NAME.c")
      }
      let model = m.replicas[run - 1]
      let c = CExport.export(model, name: m.name, metadata: m.metadata())
      let headerPath = try ctx.outputPath((to as NSString).appendingPathComponent("\(c.symbol).h"), overwrite: overwrite)
      let sourcePath = try ctx.outputPath((to as NSString).appendingPathComponent("\(c.symbol).c"), overwrite: overwrite)
      try AtomicFile.write(Array(c.header.utf8), to: headerPath)
      try AtomicFile.write(Array(c.source.utf8), to: sourcePath)
      let energy = CExport.energyNanojoules(model, artifact: c, lookback: m.window.lookback)
      return "wrote \(to)/\(c.symbol).h and \(c.symbol).c (\(model.kindDescription)): weights \(c.weightBytes) bytes of flash\(c.tableBytes > 0 ? " (and \(c.tableBytes) for the activation table)" : ""), \(c.ramBytes) bytes of RAM, \(c.macs) multiply-accumulates and about \(fixed(energy, 1)) nJ per forecast (Horowitz 2014 energies); call \(c.symbol)_predict(sales)"
    }
    let bytes = m.artifact(run: run - 1, withLineage: withLineage)
    try AtomicFile.write(bytes, to: path)
    return "wrote \(to): \(bytes.count) bytes (\(m.name) run \(run), \(m.replicas[run - 1].kindDescription), \(m.replicas[run - 1].parameterCount) parameters, \(m.replicas[run - 1].nonzeroCount) nonzero)"
  }
}

// MARK: - Formatting helpers

func pad(_ v: Int, _ widthOf: Int) -> String {
  let s = String(v), w = String(widthOf).count
  return String(repeating: " ", count: max(0, w - s.count)) + s
}
func sci(_ v: Double) -> String { String(format: "%.6f", v) }
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
func duration(_ s: Double) -> String {
  guard s.isFinite else { return "?" }
  if s < 60 { return "\(Int(s.rounded()))s" }
  if s < 3600 { return "\(Int(s) / 60)m\(String(format: "%02d", Int(s) % 60))s" }
  return "\(Int(s) / 3600)h\(String(format: "%02d", Int(s) % 3600 / 60))m"
}
