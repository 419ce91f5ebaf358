// prune, finetune, quantize, factor: each makes a NEW named model from its source (which stays
// as it was) and applies to every replica.

import Compression
import Foundation
import Modeling
import NumericCore
import SalesData

// MARK: - prune

public enum PruneSchedule: String, CaseIterable, Sendable {
  case oneshot, agp
}

public struct PruneSpec: Sendable {
  public var source: String?
  public var sparsity = 0.5
  public var scope = PruningScope.layer
  /// Remove whole hidden units instead of single weights.
  public var structured = false
  public var schedule = PruneSchedule.oneshot
  /// One matrix's own level (one-shot, scope=layer): kernel, recurrent, dense.
  public var matrixLevels: [ParameterName: Double] = [:]
  /// Gradual pruning's fine-tuning (schedule=agp).
  public var epochs = 10
  public var learningRate = 0.0001
  public var seed: UInt64?
  public var name: String?
  public init() {}

  /// The option that sets each matrix's own level.
  public static let matrixOptions: [(key: String, tensor: ParameterName)] = [
    ("kernel", .kernel), ("recurrent", .recurrentKernel), ("dense", .denseKernel),
  ]
}

public struct Pruned: Sendable {
  public var model: ModelEntry
  public var source: ModelEntry
  public var command: RecordedCommand
  /// Gradual pruning's fine-tuning runs (empty for one-shot and structured pruning).
  public var runs: [ReplicaRun] = []
  /// Structured: the hidden units kept per replica.
  public var keptUnits: Int?
  /// Each kernel's fraction of zeros in the first replica.
  /// Each kernel's share of zeros, by its model-file name ("gru/kernel").
  public var sparsities: [(String, Double)] = []
  /// A linear model's fraction of zero weights (nil for an LSTM).
  public var linearSparsity: Double?
}

// MARK: - finetune

public struct FinetuneSpec: Sendable {
  public var source: String?
  public var epochs = 10
  public var learningRate = 0.0001
  public var batch = 32
  public var patience = 5
  public var seed: UInt64?
  public var name: String?
  public init() {}

  /// The canonical command of this fine-tuning of a network (see TrainSpec's).
  public func recordedCommand(source: String, name: String, firstSeed: UInt64) -> RecordedCommand {
    var command = RecordedCommand("finetune", words: [RecordedValue(source)], asName: name)
    command.set("epochs", epochs)
    command.set("lr", learningRate)
    command.set("batch", batch)
    command.set("patience", patience)
    command.set("seed", firstSeed)
    return command
  }
}

// MARK: - quantize

public enum QuantizeTarget: String, Sendable {
  case int8, float16
}

public struct QuantizeSpec: Sendable {
  public var source: String?
  public var target = QuantizeTarget.int8
  /// int8 only: per channel and symmetric (the integer path), or per tensor and asymmetric
  /// (the article's uint8 simulation).
  public var perTensor = false
  public var name: String?
  public init() {}
}

public struct Quantized: Sendable {
  public var model: ModelEntry
  public var source: ModelEntry
  public var command: RecordedCommand
  public var maxWeightError: Float
  public var meanWeightError: Double
}

// MARK: - factor

public struct FactorSpec: Sendable {
  public var source: String?
  public var rank = 8
  public var name: String?
  public init() {}
}

public struct Factored: Sendable {
  public var model: ModelEntry
  public var source: ModelEntry
  public var command: RecordedCommand
  /// ||W - AB|| / ||W|| of the recurrent kernel, per replica.
  public var relativeErrors: [Double]
  /// The recurrent kernel's shape: H rows, G (4H for an LSTM, 3H for a GRU) columns.
  public var kernelShape: (rows: Int, cols: Int)
}

extension Workspace {
  public mutating func prune(_ spec: PruneSpec, progress: Progress) throws(CommandError) -> Pruned {
    let source = try model(spec.source)
    guard spec.sparsity >= 0 && spec.sparsity < 1 else {
      throw CommandError(
        "sparsity \(formatNumber(spec.sparsity)) is out of range",
        hint: "give a fraction in [0, 1), e.g. 0.7 for "
          + "70% zeros")
    }
    if let linear = linearReplicas(source) { return try pruneLinear(spec, source: source, replicas: linear) }
    let agp = spec.schedule == .agp
    let nets = try source.lstmReplicas(for: "prune")
    guard source.isFloat32 else {
      throw CommandError(
        "\(source.name) is \(source.kindDescription); prune works on float32 models",
        hint: "prune first, then quantize (quantization keeps the zeros)")
    }
    if spec.structured && agp {
      throw CommandError("structured=on prunes units at once; schedule=agp is for magnitude pruning")
    }
    if let (key, _) = PruneSpec.matrixOptions.first(where: { spec.matrixLevels[$0.tensor] != nil }),
      spec.structured || agp || spec.scope != .layer
    {
      throw CommandError("\(key)= sets one matrix's level: it needs a one-shot prune with scope=layer")
    }
    var byName = Dictionary(uniqueKeysWithValues: Pruning.prunable.map { ($0, spec.sparsity) })
    byName.merge(spec.matrixLevels) { $1 }
    let perMatrix = Set(byName.values).count > 1
    let prefix = spec.structured ? "s" : agp ? "agp" : perMatrix ? "pm" : "p"
    let name = spec.name ?? "\(source.name)-\(prefix)\(Int((spec.sparsity * 100).rounded()))"
    try requireFreeModelName(name)
    var seed: UInt64 = 0
    if agp { seed = self.seed(spec.seed) }

    var command = RecordedCommand(
      "prune", words: [RecordedValue(source.name), RecordedValue(formatNumber(spec.sparsity))], asName: name)
    command.set("scope", spec.scope.rawValue)
    command.set("structured", on: spec.structured)
    command.set("schedule", spec.schedule.rawValue)
    for (key, tensor) in PruneSpec.matrixOptions {
      if let level = spec.matrixLevels[tensor] { command.set(key, level) }
    }
    if agp {
      command.set("epochs", spec.epochs)
      command.set("lr", spec.learningRate)
      command.set("seed", seed)
    }

    if spec.structured {
      var replicas: [ForecastModel] = []
      var kept = 0
      for r in nets {
        let (small, units) = Pruning.removeUnits(r.floatNetwork, sparsity: spec.sparsity)
        replicas.append(.float(small, storage: nil))
        kept = units.count
      }
      var entry = source.derived(
        name: name, method: Method(.structured), replicas: replicas, command: command, pruned: false)
      entry = models.add(entry)
      return Pruned(model: entry, source: source, command: command, keptUnits: kept)
    }
    var replicas: [ForecastModel] = []
    var runs: [ReplicaRun] = []
    if agp {
      let data = try windows(for: source)
      var config = TrainingConfig()
      config.epochs = spec.epochs
      config.learningRate = Float(spec.learningRate)
      config.threads = threads
      config.batchSize = 32
      (replicas, runs) = try trainReplicas(
        nets.count, firstSeed: seed, name: name, epochs: config.epochs, progress: progress
      ) { k, rng, hooks in
        let (net, log) = FineTuning.gradualPrune(
          nets[k].floatNetwork, sparsity: spec.sparsity, scope: spec.scope, data: data,
          config: config, rng: &rng, hooks: hooks)
        return (.float(net, storage: nil), log)
      }
    } else {
      replicas = nets.map { r in
        var net = r.floatNetwork
        let mask =
          perMatrix
          ? Pruning.magnitudeMask(net.weights, levels: Pruning.levels(byName, layout: net.layout))
          : Pruning.magnitudeMask(net.weights, sparsity: spec.sparsity, scope: spec.scope)
        for i in mask.indices { net.weights.values[i] *= mask[i] }
        return .float(net, storage: nil)
      }
    }
    var entry = source.derived(
      name: name, method: Method(agp ? .prunedGradually : .pruned), replicas: replicas,
      logs: agp ? runs.map(\.log) : nil, seeds: agp ? runs.map(\.seed) : nil, command: command, pruned: true)
    entry = models.add(entry)
    return Pruned(
      model: entry, source: source, command: command, runs: runs,
      sparsities: Pruning.sparsities(replicas[0].floatNetwork.weights).map {
        (replicas[0].floatNetwork.layout.name($0.0), $0.1)
      })
  }

  /// `finetune`: continue training any model at a low learning rate, keeping its zeros and its
  /// quantization (see FineTuning).
  public mutating func finetune(_ spec: FinetuneSpec, progress: Progress) throws(CommandError) -> TrainedModel {
    let source = try model(spec.source)
    if let linear = linearReplicas(source) { return try finetuneLinear(spec, source: source, replicas: linear) }
    let nets = try source.lstmReplicas(for: "finetune")
    let firstSeed = seed(spec.seed)
    let name = spec.name ?? "\(source.name)-ft"
    try requireFreeModelName(name)
    let data = try windows(for: source)
    guard spec.batch <= data.fit.count else {
      throw CommandError("batch=\(spec.batch) is larger than the \(data.fit.count) training windows")
    }
    let command = spec.recordedCommand(source: source.name, name: name, firstSeed: firstSeed)
    var config = TrainingConfig()
    config.epochs = spec.epochs
    config.learningRate = Float(spec.learningRate)
    config.batchSize = spec.batch
    config.patience = spec.patience
    config.threads = threads
    let started = ContinuousClock.now
    let (replicas, runs) = try trainReplicas(
      nets.count, firstSeed: firstSeed, name: name, epochs: config.epochs, progress: progress
    ) { k, rng, hooks in
      FineTuning.run(
        nets[k], keepZeros: source.pruned, data: data, config: config, rng: &rng, hooks: hooks)
    }
    var entry = source.derived(
      name: name, method: source.method.then(.finetuned), replicas: replicas, logs: runs.map(\.log),
      seeds: runs.map(\.seed), command: command, pruned: source.pruned)
    entry = models.add(entry)
    return TrainedModel(model: entry, runs: runs, seconds: seconds(since: started), command: command)
  }

  public mutating func quantize(_ spec: QuantizeSpec) throws(CommandError) -> Quantized {
    let source = try model(spec.source)
    let scheme: QuantizationScheme =
      spec.target == .float16 ? .float16 : spec.perTensor ? .uint8Tensor : .int8Channel
    if let linear = linearReplicas(source) { return try quantizeLinear(spec, source: source, replicas: linear) }
    let nets = try source.lstmReplicas(for: "quantize")
    guard source.isFloat32 else {
      throw CommandError(
        "\(source.name) is \(source.kindDescription); quantize a float32 model",
        hint: "quantize the model it came "
          + "from")
    }
    let suffix = scheme == .float16 ? "f16" : scheme == .int8Channel ? "int8" : "int8t"
    let name = spec.name ?? "\(source.name)-\(suffix)"
    try requireFreeModelName(name)
    var command = RecordedCommand(
      "quantize", words: [RecordedValue(source.name), RecordedValue(spec.target.rawValue)], asName: name)
    if spec.target == .int8 {
      command.set("granularity", spec.perTensor ? "tensor" : "channel")
      command.set("mode", spec.perTensor ? "asymmetric" : "symmetric")
    }
    var replicas: [ForecastModel] = []
    var worst: Float = 0
    var sumError = 0.0
    var count = 0
    for r in nets {
      let net = r.floatNetwork
      let simulated = Quantization.fakeQuantize(net.weights.values, layout: net.layout, scheme: scheme)
      for t in net.layout.kernels {
        for k in net.layout.range(t) {
          let e = abs(simulated[k] - net.weights.values[k])
          worst = max(worst, e)
          sumError += Double(e)
          count += 1
        }
      }
      switch scheme {
      case .int8Channel: replicas.append(.int8(QuantizedRecurrent(net), dropout: net.dropout))
      case .uint8Tensor:
        let (weights, params) = Quantization.uint8Simulation(net.weights.values, layout: net.layout)
        var q = net
        q.weights.values = weights
        replicas.append(.uint8(q, params: params))
      case .float16:
        var q = net
        q.weights.values = simulated
        replicas.append(.float(q, storage: .float16))
      }
    }
    let step: Method.Step = scheme == .float16 ? .float16 : scheme == .int8Channel ? .int8 : .int8Tensor
    var entry = source.derived(
      name: name, method: source.method.then(step), replicas: replicas, command: command, pruned: source.pruned)
    entry = models.add(entry)
    return Quantized(
      model: entry, source: source, command: command, maxWeightError: worst,
      meanWeightError: sumError / Double(max(count, 1)))
  }

  /// `factor`: the recurrent kernel as A [H, R] x B [R, 4H] from its SVD.
  public mutating func factor(_ spec: FactorSpec) throws(CommandError) -> Factored {
    let source = try model(spec.source)
    let nets = try source.lstmReplicas(for: "factor")
    guard (1...source.units).contains(spec.rank) else {
      throw CommandError(
        "rank=\(spec.rank) is out of range", hint: "rank must be between 1 and \(source.units)")
    }
    guard source.isFloat32 else {
      throw CommandError("\(source.name) is \(source.kindDescription); factor a float32 model")
    }
    let name = spec.name ?? "\(source.name)-r\(spec.rank)"
    try requireFreeModelName(name)
    var command = RecordedCommand("factor", words: [RecordedValue(source.name)], asName: name)
    command.set("rank", spec.rank)
    var replicas: [ForecastModel] = []
    var relativeErrors: [Double] = []
    for r in nets {
      let net = r.floatNetwork
      // Each layer's recurrent kernel; the error is over all of them together.
      var factors: [LowRankFactors] = []
      var num = 0.0
      var den = 0.0
      for layer in 0..<net.layout.layers {
        let w = net.weights[.recurrentKernel, layer: layer]
        let f = LowRank.factor(w, rank: spec.rank)
        let approx = f.product
        for k in 0..<w.count {
          let d = Double(w.storage[k] - approx.storage[k])
          num += d * d
          den += Double(w.storage[k] * w.storage[k])
        }
        factors.append(f)
      }
      relativeErrors.append((num / max(den, 1e-30)).squareRoot())
      replicas.append(.lowRank(factors, network: LowRank.network(net, factors: factors)))
    }
    var entry = source.derived(
      name: name, method: Method(.lowrank), replicas: replicas, command: command, pruned: false)
    entry = models.add(entry)
    let shape = nets[0].floatNetwork.layout.shape(.recurrentKernel, layer: 0)
    return Factored(
      model: entry, source: source, command: command, relativeErrors: relativeErrors, kernelShape: shape)
  }
}
