// Compression commands: prune, finetune, quantize, distill, factor. Each makes a NEW named model
// from its source (which stays as it was), applies to every replica, and prints in one line
// what it did.

import Foundation
import NumericCore
import SalesData
import Modeling
import Compression
import Evaluation

enum CompressCommands {
  static let all: [Command] = [prune, finetune, quantize, distill, factor]

  /// Splits `[NAME] VALUE` positional words: the one that parses as a number is the value.
  static func sourceAndNumber(_ inv: Invocation, _ ws: Workspace, usage: String) throws(ShellError) -> (ModelEntry, Token) {
    try inv.requireWordCount(1...2, usage: usage)
    let numberIndex = inv.words.lastIndex { Double($0.text) != nil }
    guard let numberIndex else { throw ShellError("missing the number", hint: "usage: \(usage)") }
    let nameToken = inv.words.count == 2 ? inv.words[1 - numberIndex] : nil
    return (try ws.model(nameToken?.text), inv.words[numberIndex])
  }

  /// A new entry derived from `source`.
  static func derived(_ source: ModelEntry, name: String, method: String, replicas: [ForecastModel], logs: [TrainingLog]? = nil,
                      seeds: [UInt64]? = nil, line: RecordedCommand, pruned: Bool) -> ModelEntry {
    ModelEntry(name: name, method: method, datasetName: source.datasetName, window: source.window, scaler: source.scaler,
               replicas: replicas, seeds: seeds ?? source.seeds, logs: logs ?? replicas.map { _ in TrainingLog() },
               lineage: source.lineage + [line.render()], pruned: pruned)
  }

  static func percent(_ v: Double) -> String { fixed(100 * v, 1) + "%" }

  /// Trains `count` replicas from seeds `seed`, `seed + 1`, ...: `one(k, &rng, hooks)` makes
  /// replica k. A compression that is interrupted adds nothing (unlike `train`, which keeps the
  /// runs it finished), so an interruption throws.
  static func trainReplicas(_ count: Int, seed: UInt64, progress: EpochProgress,
                            _ one: (Int, inout SeededGenerator, TrainingHooks) -> (ForecastModel, TrainingLog))
    throws(ShellError) -> (replicas: [ForecastModel], logs: [TrainingLog], seeds: [UInt64], report: [String]) {
    var replicas: [ForecastModel] = [], logs: [TrainingLog] = [], report: [String] = []
    let seeds = (0..<count).map { seed + UInt64($0) }
    for k in 0..<count {
      var rng = SeededGenerator(seed: seeds[k])
      let (model, log) = one(k, &rng, progress.hooks(run: k))
      if log.interrupted { throw ShellError("interrupted; nothing was added") }
      replicas.append(model); logs.append(log)
      report.append(EpochProgress.summary(run: k, seed: seeds[k], log: log))
    }
    return (replicas, logs, seeds, report)
  }

  // MARK: - prune

  static let prune = Command(
    "prune", group: .compress,
    usage: "prune [NAME] SPARSITY [scope=layer|global] [structured=off|on] [schedule=oneshot|agp] [as NAME]",
    summary: "magnitude pruning of the kernels (or, structured, of whole hidden units)",
    details: """
      Zeroes the SPARSITY fraction of smallest-magnitude kernel weights; biases are never pruned.
      scope=layer gives each weight matrix its own threshold (exactly round(SPARSITY x n) zeros
      each, the article's method); scope=global one threshold over all kernels. Ties break by
      position. structured=on instead removes whole hidden units (lowest L2 norm of all their
      weights): a genuinely smaller dense LSTM. schedule=agp prunes gradually while fine-tuning
      (Zhu & Gupta's cubic schedule over the first 2/3 of epochs=, then holds the mask). Follow
      a one-shot prune with 'finetune', which keeps the zeros. kernel=, recurrent= and dense=
      give one matrix its own level (what 'sensitivity' suggests); SPARSITY applies to the rest.
      """,
    options: [
      OptionSpec("kernel", "", "sparsity of lstm/kernel alone (default: SPARSITY)"),
      OptionSpec("recurrent", "", "sparsity of lstm/recurrent_kernel alone (default: SPARSITY)"),
      OptionSpec("dense", "", "sparsity of dense/kernel alone (default: SPARSITY)"),
      OptionSpec("scope", "layer", "one threshold per weight matrix, or one over all kernels", values: PruningScope.allCases.map(\.rawValue)),
      OptionSpec("structured", "off", "remove whole hidden units", values: ["off", "on"]),
      OptionSpec("schedule", "oneshot", "prune at once, or gradually while fine-tuning", values: ["oneshot", "agp"]),
      OptionSpec("epochs", "10", "fine-tuning epochs (schedule=agp)"),
      OptionSpec("lr", "0.0001", "fine-tuning learning rate (schedule=agp)"),
      OptionSpec("seed", "", "seed for shuffling (schedule=agp; default: drawn and recorded)"),
    ],
    example: "prune lstm64 0.7 as p70", recording: .always
  ) { ws, inv, ctx in
    let usage = "prune [NAME] SPARSITY [options] [as NAME]"
    let (source, sparsityToken) = try sourceAndNumber(inv, ws, usage: usage)
    let sparsity = Double(sparsityToken.text)!
    guard sparsity >= 0 && sparsity < 1 else {
      throw ShellError("sparsity \(sparsityToken.text) is out of range", hint: "give a fraction in [0, 1), e.g. 0.7 for 70% zeros", column: sparsityToken.column)
    }
    inv.recordedWords = [RecordedValue(text: source.name, isPath: false), RecordedValue(text: formatNumber(sparsity), isPath: false)]
    let scope = PruningScope(rawValue: try inv.choice("scope"))!
    let structured = try inv.choice("structured") == "on"
    let agp = try inv.choice("schedule") == "agp"
    guard case .float(_, nil) = source.replicas[0] else {
      throw ShellError("\(source.name) is \(source.replicas[0].kindDescription); prune works on float32 models", hint: "prune first, then quantize (quantization keeps the zeros)")
    }
    if structured && agp { throw ShellError("structured=on prunes units at once; schedule=agp is for magnitude pruning") }
    // Per-matrix levels: only for one-shot magnitude pruning with one threshold per matrix.
    var levels = Dictionary(uniqueKeysWithValues: Pruning.prunable.map { ($0, sparsity) })
    for (key, tensor) in [("kernel", ParameterName.kernel), ("recurrent", .recurrentKernel), ("dense", .denseKernel)] where inv.options[key] != nil {
      guard !structured && !agp && scope == .layer else {
        throw ShellError("\(key)= sets one matrix's level: it needs a one-shot prune with scope=layer", column: inv.options[key]!.column)
      }
      levels[tensor] = try inv.double(key, min: 0, max: 1, openMax: true)
    }
    let perMatrix = Set(levels.values).count > 1
    var config = TrainingConfig()
    var seed: UInt64 = 0
    if agp {
      config.epochs = try inv.int("epochs", in: 1...100_000)
      config.learningRate = Float(try inv.double("lr", min: 0, max: 10, openMin: true))
      seed = try ModelCommands.seedOption(&inv, &ws)
    } else {
      for key in ["epochs", "lr", "seed"] where inv.options[key] != nil {
        throw ShellError("\(key)= applies to schedule=agp only", hint: "a one-shot prune does not train; follow it with 'finetune'", column: inv.options[key]!.column)
      }
    }
    try inv.checkAllConsumed()
    let name = inv.asName ?? "\(source.name)-\(structured ? "s" : agp ? "agp" : perMatrix ? "pm" : "p")\(Int((sparsity * 100).rounded()))"
    inv.resultName = name
    try ws.requireFreeModelName(name)
    let data = try ws.windows(for: source)
    config.threads = ws.threads
    config.batchSize = 32

    var replicas: [ForecastModel] = []
    if structured {
      var kept = 0
      for r in source.replicas {
        let (small, units) = Pruning.removeUnits(r.floatNetwork, sparsity: sparsity)
        replicas.append(.float(small, storage: nil)); kept = units.count
      }
      let entry = derived(source, name: name, method: "structured", replicas: replicas, line: inv.canonical(), pruned: false)
      ws.add(entry)
      return "\(name): removed \(source.units - kept) of \(source.units) hidden units (lowest L2 norm) in each of \(replicas.count) replicas: LSTM-\(source.units) -> LSTM-\(kept), \(source.parameterCount) -> \(entry.parameterCount) parameters; 'finetune' recovers accuracy"
    }
    var logs: [TrainingLog]? = nil, seeds: [UInt64]? = nil, report: [String] = []
    if agp {
      let progress = EpochProgress(name: name, runs: source.replicas.count, epochs: config.epochs, context: ctx)
      let trained = try trainReplicas(source.replicas.count, seed: seed, progress: progress) { k, rng, hooks in
        let (net, log) = FineTuning.gradualPrune(source.replicas[k].floatNetwork, sparsity: sparsity, scope: scope, data: data,
                                                 config: config, rng: &rng, hooks: hooks)
        return (.float(net, storage: nil), log)
      }
      (replicas, logs, seeds, report) = (trained.replicas, trained.logs, trained.seeds, trained.report)
    } else {
      for r in source.replicas {
        var net = r.floatNetwork
        let mask = perMatrix ? Pruning.magnitudeMask(net.weights, levels: levels) : Pruning.magnitudeMask(net.weights, sparsity: sparsity, scope: scope)
        for i in mask.indices { net.weights.values[i] *= mask[i] }
        replicas.append(.float(net, storage: nil))
      }
    }
    let entry = derived(source, name: name, method: agp ? "pruned-agp" : "pruned", replicas: replicas, logs: logs,
                        seeds: seeds, line: inv.canonical(), pruned: true)
    ws.add(entry)
    let per = Pruning.sparsities(replicas[0].floatNetwork.weights).map { "\($0.0) \(percent($0.1))" }.joined(separator: ", ")
    return (report + ["\(name): \(agp ? "gradually " : "")pruned \(source.name) to \(percent(sparsity)) (scope \(scope.rawValue)) in \(replicas.count) replicas; zeros: \(per); \(entry.parameterCount - entry.nonzeroCount) of \(entry.parameterCount) parameters zero\(agp ? "" : "; 'finetune' keeps the zeros")"]).joined(separator: "\n")
  }

  // MARK: - finetune

  static let finetune = Command(
    "finetune", group: .compress, usage: "finetune [NAME] [epochs=10] [lr=0.0001] [patience=5] [seed=N] [as NAME]",
    summary: "continue training any model at a low learning rate, keeping its zeros and its quantization",
    details: """
      Pruned models keep their mask (pruned weights stay exactly zero after every step).
      Quantized models fine-tune quantization-aware: the forward pass uses the quantized
      weights, gradients pass straight through to float shadow weights, and the result is
      quantized again with the same scheme. Low-rank models train their two factors.
      Early stopping on validation loss keeps the best epoch.
      """,
    options: [
      OptionSpec("epochs", "10", "most epochs"),
      OptionSpec("lr", "0.0001", "Adam learning rate"),
      OptionSpec("batch", "32", "windows per step"),
      OptionSpec("patience", "5", "epochs without improvement before stopping"),
      OptionSpec("seed", "", "seed for shuffling and dropout (default: drawn and recorded)"),
    ],
    example: "finetune p70 epochs=10 lr=0.0001", recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...1, usage: "finetune [NAME] [options]")
    let source = try ws.model(inv.word(0)?.text)
    inv.recordedWords = [RecordedValue(text: source.name, isPath: false)]
    var config = TrainingConfig()
    config.epochs = try inv.int("epochs", in: 1...100_000)
    config.learningRate = Float(try inv.double("lr", min: 0, max: 10, openMin: true))
    config.batchSize = try inv.int("batch", in: 1...65_536)
    config.patience = try inv.int("patience", in: 1...100_000)
    let seed = try ModelCommands.seedOption(&inv, &ws)
    try inv.checkAllConsumed()
    config.threads = ws.threads
    let name = inv.asName ?? "\(source.name)-ft"
    inv.resultName = name
    try ws.requireFreeModelName(name)
    let data = try ws.windows(for: source)
    guard config.batchSize <= data.fit.count else { throw ShellError("batch=\(config.batchSize) is larger than the \(data.fit.count) training windows") }
    let progress = EpochProgress(name: name, runs: source.replicas.count, epochs: config.epochs, context: ctx)
    let (replicas, logs, seeds, report) = try trainReplicas(source.replicas.count, seed: seed, progress: progress) { k, rng, hooks in
      FineTuning.run(source.replicas[k], keepZeros: source.pruned, data: data, config: config, rng: &rng, hooks: hooks)
    }
    let entry = derived(source, name: name, method: source.method.hasSuffix("+ft") ? source.method : source.method + "+ft",
                        replicas: replicas, logs: logs, seeds: seeds, line: inv.canonical(), pruned: source.pruned)
    ws.add(entry)
    let kept = source.pruned ? "; zeros kept (\(entry.parameterCount - entry.nonzeroCount) of \(entry.parameterCount))" : ""
    return (report + ["\(name): fine-tuned \(source.name) (\(replicas[0].kindDescription)) at lr \(inv.resolved.first { $0.key == "lr" }!.value.text)\(kept)"]).joined(separator: "\n")
  }

  // MARK: - quantize

  static let quantize = Command(
    "quantize", group: .compress, usage: "quantize [NAME] int8|float16 [granularity=channel|tensor] [mode=symmetric|asymmetric] [as NAME]",
    summary: "store the kernels in 8 or 16 bits (int8 runs on an integer inference path)",
    details: """
      int8 (default granularity=channel mode=symmetric): per-output-channel scales, weights in
      [-127, 127], and an integer inference path (int8 x int8 -> int32 products); MAPE comes from
      that path. int8 granularity=tensor mode=asymmetric reproduces the article's simulation:
      uint8 codes, scale = (max - min) / 255, zero point = round(-min / scale), computed in float.
      float16 stores half-precision kernels. Biases stay float32. Zeros stay zero, so a pruned
      model keeps its sparsity. 'explain quantization' has the details.
      """,
    options: [
      OptionSpec("granularity", "channel", "one scale per output channel, or per tensor (int8)", values: ["channel", "tensor"]),
      OptionSpec("mode", "symmetric", "symmetric int8, or asymmetric uint8 with a zero point (int8)", values: ["symmetric", "asymmetric"]),
    ],
    example: "quantize lstm64 int8", recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(1...2, usage: "quantize [NAME] int8|float16 [options]")
    guard let kindIndex = inv.words.lastIndex(where: { $0.text == "int8" || $0.text == "float16" }) else {
      throw ShellError("quantize to what?", hint: "usage: quantize [NAME] int8|float16", column: inv.words.last?.column)
    }
    let kind = inv.words[kindIndex].text
    let source = try ws.model(inv.words.count == 2 ? inv.words[1 - kindIndex].text : nil)
    inv.recordedWords = [RecordedValue(text: source.name, isPath: false), RecordedValue(text: kind, isPath: false)]
    var scheme = QuantizationScheme.float16
    if kind == "int8" {
      let granularity = try inv.choice("granularity"), mode = try inv.choice("mode")
      switch (granularity, mode) {
      case ("channel", "symmetric"): scheme = .int8Channel
      case ("tensor", "asymmetric"): scheme = .uint8Tensor
      default: throw ShellError("granularity=\(granularity) with mode=\(mode) is not offered", hint: "use the default (channel, symmetric: integer path) or granularity=tensor mode=asymmetric (the article's simulation)")
      }
    } else {
      for key in ["granularity", "mode"] where inv.options[key] != nil {
        throw ShellError("\(key)= applies to int8 only", column: inv.options[key]!.column)
      }
    }
    try inv.checkAllConsumed()
    guard case .float(_, nil) = source.replicas[0] else {
      throw ShellError("\(source.name) is \(source.replicas[0].kindDescription); quantize a float32 model", hint: "quantize the model it came from")
    }
    let suffix = scheme == .float16 ? "f16" : scheme == .int8Channel ? "int8" : "int8t"
    let name = inv.asName ?? "\(source.name)-\(suffix)"
    inv.resultName = name
    try ws.requireFreeModelName(name)
    var replicas: [ForecastModel] = []
    var worst: Float = 0, sumError = 0.0, count = 0
    for r in source.replicas {
      let net = r.floatNetwork
      let simulated = Quantization.fakeQuantize(net.weights.values, layout: net.layout, scheme: scheme)
      for p in Pruning.prunable { for k in net.layout.range(p) {
        let e = abs(simulated[k] - net.weights.values[k]); worst = max(worst, e); sumError += Double(e); count += 1
      } }
      switch scheme {
      case .int8Channel: replicas.append(.int8(QuantizedLSTM(net), dropout: net.dropout))
      case .uint8Tensor:
        let (weights, params) = Quantization.uint8Simulation(net.weights.values, layout: net.layout)
        var q = net; q.weights.values = weights
        replicas.append(.uint8(q, params: params))
      case .float16:
        var q = net; q.weights.values = simulated
        replicas.append(.float(q, storage: .float16))
      }
    }
    let method = source.method == "lstm" ? (scheme == .float16 ? "float16" : scheme == .int8Channel ? "int8" : "int8-tensor")
                                          : source.method + "+" + (scheme == .float16 ? "float16" : scheme == .int8Channel ? "int8" : "int8-tensor")
    let entry = derived(source, name: name, method: method, replicas: replicas, line: inv.canonical(), pruned: source.pruned)
    ws.add(entry)
    return "\(name): \(replicas[0].kindDescription) kernels for \(replicas.count) replicas; weight error max \(String(format: "%.3g", worst)), mean \(String(format: "%.3g", sumError / Double(max(count, 1)))); \(entry.nonzeroCount) of \(entry.parameterCount) parameters nonzero; \(entry.artifact().count) bytes (was \(source.artifact().count))"
  }

  // MARK: - distill

  static let distill = Command(
    "distill", group: .compress,
    usage: "distill [teacher=NAME] units=N [alpha=0.5] [epochs=50] [lr=0.001] [patience=5] [runs=3] [seed=N] [as NAME]",
    summary: "train a smaller student LSTM on a blend of the true targets and the teacher's forecasts",
    details: """
      Knowledge distillation for regression (Hinton et al. 2015, without temperature): the
      student minimises alpha * MSE(student, actual) + (1 - alpha) * MSE(student, teacher),
      which is the MSE against the blended target alpha * actual + (1 - alpha) * teacher.
      The teacher's forecast is the mean of its replicas (an ensemble, as in Hinton et al.).
      Early stopping watches the true validation loss.
      """,
    options: [
      OptionSpec("teacher", "", "the teacher model (default: the current model)"),
      OptionSpec("units", "", "hidden units of the student"),
      OptionSpec("alpha", "0.5", "weight of the true targets (1 = no distillation)"),
      OptionSpec("dropout", "0.2", "student dropout rate"),
    ] + ModelCommands.trainingOptions,
    example: "distill teacher=lstm64 units=16 as kd16", recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...0, usage: "distill [teacher=NAME] units=N [options]")
    let teacher = try ws.model(inv.optionalString("teacher"))
    inv.record("teacher", teacher.name)
    let units = try inv.int("units", in: 1...1024)
    let alpha = try inv.double("alpha", min: 0, max: 1)
    let dropout = try inv.double("dropout", min: 0, max: 1, openMax: true)
    let (config, runs, seed) = try ModelCommands.trainingSettings(&inv, &ws)
    try inv.checkAllConsumed()
    let name = inv.asName ?? "kd\(units)"
    inv.resultName = name
    try ws.requireFreeModelName(name)
    let data = try ws.windows(for: teacher)
    guard config.batchSize <= data.fit.count else { throw ShellError("batch=\(config.batchSize) is larger than the \(data.fit.count) training windows") }
    let progress = EpochProgress(name: name, runs: runs, epochs: config.epochs, context: ctx)
    let targets = Distillation.blendedTargets(teachers: teacher.replicas, alpha: alpha, data: data, threads: ws.threads)
    let (replicas, logs, seeds, report) = try trainReplicas(runs, seed: seed, progress: progress) { _, rng, hooks in
      var student = LSTMForecaster(units: units, dropout: Float(dropout), rng: &rng)
      var h = hooks
      h.fitTargets = targets
      let log = Trainer.fit(&student, data: data, config: config, rng: &rng, hooks: h)
      return (.float(student, storage: nil), log)
    }
    var entry = derived(teacher, name: name, method: "distilled", replicas: replicas, logs: logs,
                        seeds: seeds, line: inv.canonical(), pruned: false)
    entry.lineage = teacher.lineage + [inv.canonical().render()]
    ws.add(entry)
    return (report + ["\(name): LSTM-\(units) student of \(teacher.name) (LSTM-\(teacher.units)), alpha \(formatNumber(alpha)), \(entry.parameterCount) parameters (teacher \(teacher.parameterCount))"]).joined(separator: "\n")
  }

  // MARK: - factor

  static let factor = Command(
    "factor", group: .compress, usage: "factor [NAME] rank=R [as NAME]",
    summary: "low-rank factorization of the recurrent kernel by SVD (then 'finetune' trains the factors)",
    details: """
      W_h [H, 4H] ~ A [H, R] x B [R, 4H] from the SVD (A = U_R S_R, B = V_R^T): H x 4H numbers
      become R x 5H. The recurrent kernel is the LSTM's largest matrix; the input kernel (one
      row for one input) is left alone. 'finetune' then trains A and B directly.
      """,
    options: [OptionSpec("rank", "", "kept singular values")],
    example: "factor lstm64 rank=8", recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(0...1, usage: "factor [NAME] rank=R")
    let source = try ws.model(inv.word(0)?.text)
    inv.recordedWords = [RecordedValue(text: source.name, isPath: false)]
    let rank = try inv.int("rank", in: 1...source.units)
    try inv.checkAllConsumed()
    guard case .float(_, nil) = source.replicas[0] else {
      throw ShellError("\(source.name) is \(source.replicas[0].kindDescription); factor a float32 model")
    }
    let name = inv.asName ?? "\(source.name)-r\(rank)"
    inv.resultName = name
    try ws.requireFreeModelName(name)
    var replicas: [ForecastModel] = []
    var relativeErrors: [Double] = []
    for r in source.replicas {
      let net = r.floatNetwork
      let w = net.weights[.recurrentKernel]
      let f = LowRank.factor(w, rank: rank)
      let approx = f.product
      var num = 0.0, den = 0.0
      for k in 0..<w.count { let d = Double(w.storage[k] - approx.storage[k]); num += d * d; den += Double(w.storage[k] * w.storage[k]) }
      relativeErrors.append((num / max(den, 1e-30)).squareRoot())
      replicas.append(.lowRank(f, network: LowRank.network(net, factors: f)))
    }
    let entry = derived(source, name: name, method: "lowrank", replicas: replicas, line: inv.canonical(), pruned: false)
    ws.add(entry)
    return "\(name): recurrent kernel \(source.units)x\(4 * source.units) -> rank \(rank) (\(source.units)x\(rank) + \(rank)x\(4 * source.units)), relative error \(relativeErrors.map { fixed($0, 3) }.joined(separator: ", ")); \(source.parameterCount) -> \(entry.parameterCount) parameters; 'finetune' trains the factors"
  }
}
