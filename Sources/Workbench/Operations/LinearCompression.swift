// The linear autoregression through compression (Modeling/LinearAutoregression.swift): the
// same commands as an LSTM's, each making a new model. prune zeroes the smallest weights;
// finetune refits the weights still in use in closed form (the exact optimum fine-tuning would
// walk toward); quantize stores int8 codes with one scale (a single output channel: per channel
// is per tensor) or float16; distill kind=linear fits a linear student to a teacher's blended
// targets by the same least squares.

import Compression
import Foundation
import Modeling
import SalesData

extension Workspace {
  /// The replicas of a linear model, or nil for another family.
  func linearReplicas(_ entry: ModelEntry) -> [LinearAutoregression]? {
    let linear = entry.replicas.compactMap { $0 as? LinearAutoregression }
    return linear.count == entry.replicas.count ? linear : nil
  }

  mutating func pruneLinear(_ spec: PruneSpec, source: ModelEntry, replicas: [LinearAutoregression])
    throws(CommandError) -> Pruned
  {
    guard !spec.structured, spec.schedule == .oneshot, spec.matrixLevels.isEmpty else {
      throw CommandError(
        "\(source.name) is a linear model: it prunes one-shot by magnitude",
        hint: "structured=, schedule=agp and per-matrix levels are for LSTMs")
    }
    guard replicas.allSatisfy({ $0.storage == .float32 }) else {
      throw CommandError(
        "\(source.name) is \(source.kindDescription); prune works on float32 models",
        hint: "prune first, then quantize (quantization keeps the zeros)")
    }
    let name = spec.name ?? "\(source.name)-p\(Int((spec.sparsity * 100).rounded()))"
    try requireFreeModelName(name)
    var command = RecordedCommand(
      "prune", words: [RecordedValue(source.name), RecordedValue(formatNumber(spec.sparsity))], asName: name)
    command.set("scope", spec.scope.rawValue)
    command.set("structured", on: false)
    command.set("schedule", spec.schedule.rawValue)
    let pruned = replicas.map { $0.pruned(sparsity: spec.sparsity) }
    var entry = source.derived(name: name, method: Method(.pruned), replicas: pruned, command: command, pruned: true)
    entry = models.add(entry)
    let zeros = Double(pruned[0].weights.filter { $0 == 0 }.count) / Double(max(pruned[0].weights.count, 1))
    return Pruned(model: entry, source: source, command: command, linearSparsity: zeros)
  }

  mutating func finetuneLinear(_ spec: FinetuneSpec, source: ModelEntry, replicas: [LinearAutoregression])
    throws(CommandError) -> TrainedModel
  {
    guard replicas.allSatisfy({ $0.storage == .float32 }) else {
      throw CommandError(
        "\(source.name) is \(source.kindDescription); a linear model refits in float32",
        hint: "finetune the model it was quantized from, then quantize again")
    }
    let name = spec.name ?? "\(source.name)-ft"
    try requireFreeModelName(name)
    let data = try windows(for: source)
    let command = RecordedCommand("finetune", words: [RecordedValue(source.name)], asName: name)
    let started = ContinuousClock.now
    let refitted = replicas.map { $0.refitted(data.fit, data: data) }
    var entry = source.derived(
      name: name, method: source.method.then(.finetuned), replicas: refitted, command: command, pruned: source.pruned)
    entry = models.add(entry)
    return TrainedModel(model: entry, runs: [], seconds: seconds(since: started), command: command)
  }

  mutating func quantizeLinear(_ spec: QuantizeSpec, source: ModelEntry, replicas: [LinearAutoregression])
    throws(CommandError) -> Quantized
  {
    guard !spec.perTensor else {
      throw CommandError(
        "\(source.name) is a linear model: its int8 has one symmetric scale already",
        hint: "drop granularity= and mode=")
    }
    guard replicas.allSatisfy({ $0.storage == .float32 }) else {
      throw CommandError(
        "\(source.name) is \(source.kindDescription); quantize a float32 model", hint: "quantize the model it came from"
      )
    }
    let name = spec.name ?? "\(source.name)-\(spec.target == .float16 ? "f16" : "int8")"
    try requireFreeModelName(name)
    var command = RecordedCommand(
      "quantize", words: [RecordedValue(source.name), RecordedValue(spec.target.rawValue)], asName: name)
    if spec.target == .int8 {
      command.set("granularity", "channel")
      command.set("mode", "symmetric")
    }
    let quantized = replicas.map { spec.target == .float16 ? $0.float16() : $0.quantizedInt8() }
    var worst: Float = 0
    var sum = 0.0
    var count = 0
    for (q, r) in zip(quantized, replicas) {
      for (a, b) in zip(q.weights, r.weights) {
        worst = max(worst, abs(a - b))
        sum += Double(abs(a - b))
        count += 1
      }
    }
    var entry = source.derived(
      name: name, method: source.method.then(spec.target == .float16 ? .float16 : .int8), replicas: quantized,
      command: command, pruned: source.pruned)
    entry = models.add(entry)
    return Quantized(
      model: entry, source: source, command: command, maxWeightError: worst,
      meanWeightError: sum / Double(max(count, 1)))
  }

  /// `distill kind=linear`: a linear student fitted by ridge least squares to alpha * actual +
  /// (1 - alpha) * the teacher's forecast, on the teacher's windows.
  mutating func distillLinear(_ spec: DistillSpec, teacher: ModelEntry) throws(CommandError) -> TrainedModel {
    let name = spec.name ?? "kd-linear\(teacher.window.lookback)"
    try requireFreeModelName(name)
    let data = try windows(for: teacher)
    guard data.fit.count > data.lookback else {
      throw CommandError(
        "\(data.fit.count) training windows cannot fit \(data.lookback + 1) numbers", hint: "use a shorter lookback")
    }
    var command = RecordedCommand("distill", asName: name)
    command.set("teacher", teacher.name)
    command.set("kind", "linear")
    command.set("alpha", spec.alpha)
    command.set("ridge", spec.ridge)
    let started = ContinuousClock.now
    let targets = Distillation.blendedTargets(
      teachers: teacher.replicas, alpha: spec.alpha, data: data, threads: threads)
    let student = LinearAutoregression.fit(data.fit, data: data, targets: targets, ridge: spec.ridge)
    var entry = teacher.derived(
      name: name, method: Method(.distilled), replicas: [student], logs: [TrainingLog()], seeds: [0],
      command: command, pruned: false)
    entry.lineage = teacher.lineage + [command.render()]
    entry = models.add(entry)
    return TrainedModel(model: entry, runs: [], seconds: seconds(since: started), command: command)
  }
}
