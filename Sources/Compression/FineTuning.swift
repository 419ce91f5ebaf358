// FineTuning: continue training any kind of model without undoing its compression.
//   pruned       the mask (its kernels' zeros) is re-applied after every optimizer step;
//   quantized    quantization-aware: the forward pass sees fake-quantized weights and the
//                gradient passes straight through to float shadow weights (Bengio et al. 2013;
//                Jacob et al. 2018), then the result is quantized again with the same scheme;
//   low rank     each layer's factors A, B are trained (the product is never trained directly).
// Also: AGP gradual pruning (Zhu & Gupta 2017) and distillation targets (Hinton et al. 2015).

import Modeling
import NumericCore
import SalesData

public enum FineTuning {
  /// 1 where a kernel weight is nonzero and for every bias; 0 on the kernels' zeros.
  public static func zeroMask(_ n: RecurrentForecaster) -> [Float] {
    var mask = [Float](repeating: 1, count: n.parameterCount)
    for t in n.layout.kernels { for k in n.layout.range(t) where n.weights.values[k] == 0 { mask[k] = 0 } }
    return mask
  }

  /// Fine-tunes one replica, keeping its kind (and its zeros when `keepZeros`).
  public static func run(
    _ model: ForecastModel, keepZeros: Bool, data: WindowedData, config: TrainingConfig,
    rng: inout SeededGenerator, hooks: TrainingHooks = TrainingHooks()
  ) -> (ForecastModel, TrainingLog) {
    var hooks = hooks
    switch model {
    case .float(let n, let storage):
      var net = n
      if keepZeros { hooks.mask = zeroMask(n) }
      if let scheme = storage {
        let layout = n.layout
        hooks.reparameterization = Reparameterization(
          parameters: n.weights.values,
          expand: { Quantization.fakeQuantize($0, layout: layout, scheme: scheme) },
          pullback: { _, g in g })
      }
      let log = Trainer.fit(&net, data: data, config: config, rng: &rng, hooks: hooks)
      return (.float(net, storage: storage), log)
    case .uint8(let n, _):
      var net = n
      if keepZeros { hooks.mask = zeroMask(n) }
      let layout = n.layout
      hooks.reparameterization = Reparameterization(
        parameters: n.weights.values,
        expand: { Quantization.uint8Simulation($0, layout: layout).0 },
        pullback: { _, g in g })
      let log = Trainer.fit(&net, data: data, config: config, rng: &rng, hooks: hooks)
      // Quantize the best shadow weights once more, keeping the parameters that did it.
      let (weights, params) = Quantization.uint8Simulation(log.bestParameters ?? net.weights.values, layout: layout)
      net.weights.values = weights
      return (.uint8(net, params: params), log)
    case .int8(let q, let dropout):
      var net = q.dequantized(dropout: dropout)
      if keepZeros { hooks.mask = zeroMask(net) }
      let layout = net.layout
      hooks.reparameterization = Reparameterization(
        parameters: net.weights.values,
        expand: { Quantization.fakeQuantize($0, layout: layout, scheme: .int8Channel) },
        pullback: { _, g in g })
      let log = Trainer.fit(&net, data: data, config: config, rng: &rng, hooks: hooks)
      return (.int8(QuantizedRecurrent(net), dropout: dropout), log)
    case .lowRank(let f, let n):
      var net = n
      hooks.reparameterization = LowRank.reparameterization(n, factors: f)
      let log = Trainer.fit(&net, data: data, config: config, rng: &rng, hooks: hooks)
      let trained = log.bestParameters.map { LowRank.factors(from: $0, layout: n.layout, rank: f[0].rank) } ?? f
      return (.lowRank(trained, network: LowRank.network(net, factors: trained)), log)
    }
  }

  /// Automated gradual pruning during fine-tuning: sparsity rises along Zhu & Gupta's cubic
  /// schedule over the first two thirds of `config.epochs` (one pruning step per epoch), then
  /// the final mask is held for the remaining epochs with early stopping and the best weights
  /// kept. Pruned weights never come back (their magnitude is zero, the smallest).
  public static func gradualPrune(
    _ model: RecurrentForecaster, sparsity: Double, scope: PruningScope, data: WindowedData,
    config: TrainingConfig, rng: inout SeededGenerator,
    hooks: TrainingHooks = TrainingHooks()
  ) -> (RecurrentForecaster, TrainingLog) {
    var net = model
    let ramp = max(1, (2 * config.epochs) / 3)
    var log = TrainingLog()
    var stepConfig = config
    stepConfig.epochs = 1
    for step in 1...ramp {
      let s = Pruning.agpSparsity(step: step, steps: ramp, final: sparsity)
      var h = hooks
      h.mask = Pruning.magnitudeMask(net.weights, sparsity: s, scope: scope)
      multiply(&net.weights.values, h.mask!)
      let stepLog = Trainer.fit(&net, data: data, config: stepConfig, rng: &rng, hooks: h)
      for var e in stepLog.epochs {
        e.epoch = log.epochs.count + 1
        log.epochs.append(e)
      }
      log.bestEpoch = log.epochs.count
      if stepLog.interrupted {
        log.interrupted = true
        return (net, log)
      }
    }
    let rest = config.epochs - ramp
    guard rest > 0 else { return (net, log) }
    var h = hooks
    h.mask = zeroMask(net)
    var restConfig = config
    restConfig.epochs = rest
    let restLog = Trainer.fit(&net, data: data, config: restConfig, rng: &rng, hooks: h)
    let offset = log.epochs.count
    for var e in restLog.epochs {
      e.epoch += offset
      log.epochs.append(e)
    }
    log.bestEpoch = restLog.bestEpoch + offset
    log.stoppedEarly = restLog.stoppedEarly
    log.interrupted = restLog.interrupted
    return (net, log)
  }

  static func multiply(_ a: inout [Float], _ b: [Float]) { for k in a.indices { a[k] *= b[k] } }
}

public enum Distillation {
  /// Knowledge distillation for regression (Hinton et al. 2015, without temperature: a
  /// forecaster has no softmax to soften). The student minimises
  ///   L = alpha * MSE(y_s, y) + (1 - alpha) * MSE(y_s, y_teacher),
  /// whose gradient equals that of MSE(y_s, alpha * y + (1 - alpha) * y_teacher); so the student
  /// trains on those blended targets. The teacher's forecast is the mean over its replicas: an
  /// ensemble, as in Hinton et al., is a better forecaster than any one replica. Validation
  /// (early stopping) uses the true targets.
  public static func blendedTargets(teachers: [any Forecaster], alpha: Double, data: WindowedData, threads: Int)
    -> [Float]
  {
    // A multi-day teacher gives each window's days in turn, as the targets are laid out.
    let S = data.steps
    var soft = [Float](repeating: 0, count: data.fit.count * S)
    for t in teachers {
      let y = t.forecastsByStep(data.fit, data: data, threads: threads)
      for k in soft.indices { soft[k] += y[k] }
    }
    let a = Float(alpha)
    let n = Float(teachers.count)
    return data.fit.indices.flatMap { i in
      (0..<S).map { o in a * data.target(data.fit[i], step: o) + (1 - a) * (soft[i * S + o] / n) }
    }
  }
}
