// Trainer: mini-batch training with Adam, seeded reshuffling, validation loss, early stopping
// with the best weights restored, and data-parallel gradients over fixed batch shards.
//
// Determinism: a batch is cut into shards of `shardSize` windows whatever the thread count;
// each shard's gradient goes to its own buffer and the buffers are summed in shard order. So a
// given seed gives bit-identical weights with 1, 2 or 16 threads.

import NumericCore
import SalesData

public struct TrainingConfig: Sendable, Equatable {
  public var epochs = 50
  public var batchSize = 32
  public var learningRate: Float = 1e-3
  public var patience = 5
  public var threads = 1
  /// The loss the optimizer minimises; early stopping watches the same error on the
  /// validation windows (in scaled units).
  public var loss = TrainingLoss.mse
  public init() {}
}

public struct EpochRecord: Sendable, Equatable {
  public var epoch: Int  // 1-based
  public var loss: Double  // mean training loss (the network's unit, with dropout)
  public var validationLoss: Double
  public var seconds: Double
  public init(epoch: Int, loss: Double, validationLoss: Double, seconds: Double) {
    self.epoch = epoch
    self.loss = loss
    self.validationLoss = validationLoss
    self.seconds = seconds
  }
}

public struct TrainingLog: Sendable, Equatable {
  public var epochs: [EpochRecord] = []
  public var bestEpoch = 0
  public var stoppedEarly = false
  public var interrupted = false
  /// With a reparameterization: the trainable vector at the best epoch.
  public var bestParameters: [Float]? = nil
  public var bestValidationLoss: Double { epochs.first { $0.epoch == bestEpoch }?.validationLoss ?? .nan }
  public init() {}
}

/// What the optimizer trains, when it is not the forecaster's weights themselves:
/// `expand` maps the trainable vector to the weights the forward pass uses, and `pullback`
/// maps dLoss/dWeights back to dLoss/dParameters (the chain rule). Quantization-aware training
/// expands by fake-quantizing and pulls back unchanged (the straight-through estimator);
/// a low-rank model expands factors A, B into A x B and pulls back dA = dW B^T, dB = A^T dW.
public struct Reparameterization: @unchecked Sendable {
  public var parameters: [Float]
  public var expand: ([Float]) -> [Float]
  public var pullback: (_ parameters: [Float], _ weightGradient: [Float]) -> [Float]
  public init(
    parameters: [Float], expand: @escaping ([Float]) -> [Float],
    pullback: @escaping ([Float], [Float]) -> [Float]
  ) {
    self.parameters = parameters
    self.expand = expand
    self.pullback = pullback
  }
}

/// Hooks that let compression reuse the trainer.
public struct TrainingHooks {
  /// Called once per epoch, on the calling thread.
  public var onEpoch: (EpochRecord) -> Void = { _ in }
  /// Polled between batches; returning true stops training (the best weights so far are kept).
  public var shouldStop: () -> Bool = { false }
  /// Multiplied into the weights after every optimizer step: 0 keeps a pruned weight at zero.
  public var mask: [Float]? = nil
  /// Replaces the true (scaled) targets of the fit windows, in `data.fit` order (distillation).
  public var fitTargets: [Float]? = nil
  /// Train these parameters instead of the weights (the mask then applies to the parameters).
  public var reparameterization: Reparameterization? = nil
  public init() {}
}

public enum Trainer {
  /// Windows per gradient shard. Fixed, so results do not depend on the thread count.
  public static let shardSize = 16

  /// Trains `model` in place and returns the per-epoch log. Draws shuffles and dropout masks
  /// from `rng`.
  public static func fit(
    _ model: inout RecurrentForecaster, data: WindowedData, config: TrainingConfig,
    rng: inout SeededGenerator, hooks: TrainingHooks = TrainingHooks()
  ) -> TrainingLog {
    let H = model.units
    let T = data.lookback
    let fitCount = data.fit.count
    let shardCount = (config.batchSize + shardSize - 1) / shardSize
    var scratches = (0..<shardCount).map { _ in model.makeScratch(capacity: shardSize, steps: T) }
    // Shard s's gradient is elements s*P ..< (s+1)*P, so Adam sums the shards in one pass.
    let P = model.parameterCount
    var shardGrads = [Float](repeating: 0, count: shardCount * P)
    var shardLoss = [Double](repeating: 0, count: shardCount)
    var gradient = [Float](repeating: 0, count: P)
    let reparam = hooks.reparameterization
    var parameters = reparam?.parameters ?? model.weights.values
    if let reparam { model.weights.values = reparam.expand(parameters) }
    var adam = Adam(parameterCount: parameters.count, learningRate: config.learningRate)
    var order = Array(0..<fitCount)
    var batchMask = [Float](repeating: 1, count: config.batchSize * H)
    let keep = 1 - model.dropout
    let dropScale = keep > 0 ? 1 / keep : 0
    precondition(
      model.inputs.channels == model.inputSize,
      "Trainer: inputs of \(model.inputs.channels) channels for a network over \(model.inputSize)")
    // S targets per window (its days in turn), in the network's unit: scaled, or the window's
    // level units.
    let S = model.outputs
    precondition(S == data.steps, "Trainer: a network of \(S) outputs on windows of \(data.steps) days")
    var scaledTargets: [Float] = hooks.fitTargets ?? data.targets(of: data.fit)
    // Each fit window's level, once (a level-normalised network's unit and a skip's anchor).
    let levels = model.inputs.levelNormalized ? data.fit.map { data.windowLevel($0) } : nil
    if let skip = model.skip {
      // A network correcting a linear model learns its residual (LinearSkip.swift).
      precondition(S == 1, "Trainer: a linear skip forecasts one day")
      let base = skip.forecastSales(data.fit, data: data)
      for k in data.fit.indices {
        let anchor = model.inputs.skipAnchor(level: levels?[k] ?? 1, scaler: data.scaler)
        scaledTargets[k] = LinearAutoregression.residualTarget(
          scaled: scaledTargets[k], base: base[k], anchor: anchor, scaler: data.scaler)
      }
    }
    precondition(
      scaledTargets.count == fitCount * S, "Trainer: \(scaledTargets.count) targets for \(fitCount) windows")
    let targets =
      levels.map { levels in
        scaledTargets.indices.map { k in
          model.inputs.networkTarget(scaled: scaledTargets[k], level: levels[k / S], scaler: data.scaler)
        }
      } ?? scaledTargets

    var log = TrainingLog()
    var best = parameters
    var bestLoss = Double.infinity
    var sinceBest = 0
    let clock = ContinuousClock()

    // Without a reparameterization a batch is one parallel region (`step`): the shards'
    // gradients, then Adam writing the next weights into `spare` while the shards' reads of the
    // current ones are done, and the next batch's dropout masks drawn beside Adam, from a copy of
    // `rng` taken on when that batch starts (`ahead`). The masks are the same draws in the same
    // order as drawing them at the start of each batch, so nothing but the timing changes.
    var spare = reparam == nil ? model.weights.values : []
    var nextMask = batchMask
    var ahead: SeededGenerator? = nil

    epochs: for epoch in 1...max(config.epochs, 1) {
      let started = clock.now
      rng.shuffle(&order)
      var sse = 0.0
      var batchStart = 0
      while batchStart < fitCount {
        if hooks.shouldStop() {
          log.interrupted = true
          break epochs
        }
        let n = min(config.batchSize, fitCount - batchStart)
        if let drawn = ahead {
          rng = drawn
          swap(&batchMask, &nextMask)
          ahead = nil
        } else {
          // Dropout masks for the whole batch, drawn in row order on this thread.
          batchMask.withUnsafeMutableBufferPointer {
            drawMasks($0.baseAddress!, count: n * H, dropout: model.dropout, scale: dropScale, rng: &rng)
          }
        }
        let shards = (n + shardSize - 1) / shardSize
        let rows = order[batchStart..<(batchStart + n)]
        if let reparam {
          // The forward pass sees the expanded parameters (e.g. their fake-quantized values).
          computeGradients(
            model, rows: rows, batchMask: batchMask, data: data, targets: targets, loss: config.loss,
            threads: config.threads, scratches: &scratches, shardGrads: &shardGrads, shardLoss: &shardLoss)
          // Fixed-order reduction of the shard gradients (shard 0 + shard 1 + ...), pulled back.
          gradient.withUnsafeMutableBufferPointer { g in
            shardGrads.withUnsafeBufferPointer { sg in
              for k in 0..<P {
                var sum = sg[k]
                for s in 1..<shards { sum += sg[s * P + k] }
                g[k] = sum
              }
            }
          }
          adam.update(&parameters, gradients: reparam.pullback(parameters, gradient))
          if let mask = hooks.mask { multiplyInPlace(&parameters, mask) }
          model.weights.values = reparam.expand(parameters)
        } else {
          // The next batch of this epoch (the next epoch's shuffle draws before its masks).
          let following = min(config.batchSize, fitCount - batchStart - n)
          var after = rng
          step(
            model, rows: rows, batchMask: batchMask, data: data, targets: targets, config: config,
            scratches: &scratches, shardGrads: &shardGrads, shardLoss: &shardLoss, adam: &adam,
            mask: hooks.mask, into: &spare,
            drawing: following > 0 ? following * H : 0, into: &nextMask, dropScale: dropScale, rng: &after)
          swap(&model.weights.values, &spare)
          if following > 0 { ahead = after }
        }
        for s in 0..<shards { sse += shardLoss[s] }
        batchStart += n
      }
      // Mean loss per target (a multi-day window has S).
      let targetCount = Double(fitCount * S)
      let validationLoss =
        data.validation.isEmpty
        ? sse / targetCount
        : meanError(config.loss, model, windows: data.validation, data: data, threads: config.threads)
      let record = EpochRecord(
        epoch: epoch, loss: sse / targetCount, validationLoss: validationLoss,
        seconds: seconds(clock.now - started))
      log.epochs.append(record)
      hooks.onEpoch(record)
      // Early stopping on validation loss (Keras: min_delta 0, patience, restore best).
      if validationLoss < bestLoss {
        bestLoss = validationLoss
        best = reparam != nil ? parameters : model.weights.values
        log.bestEpoch = epoch
        sinceBest = 0
      } else {
        sinceBest += 1
        if sinceBest >= config.patience && epoch < config.epochs {
          log.stoppedEarly = true
          break
        }
      }
    }
    if log.bestEpoch > 0 {
      model.weights.values = reparam?.expand(best) ?? best
      if reparam != nil { log.bestParameters = best }
    }
    return log
  }

  /// The dropout masks of `count` rows x units, in order: 0, or `scale` for a kept unit.
  static func drawMasks(
    _ mask: UnsafeMutablePointer<Float>, count: Int, dropout: Float, scale: Float, rng: inout SeededGenerator
  ) {
    for k in 0..<count { mask[k] = rng.nextUnitFloat() >= dropout ? scale : 0 }
  }

  /// One batch without a reparameterization, as one parallel region: every shard's gradient
  /// (`withShardGradients`), then Adam's step from the model's weights into `out` in pieces, beside
  /// which one item draws the next batch's `maskCount` dropout masks into `nextMask` from `rng`.
  static func step(
    _ model: RecurrentForecaster, rows: ArraySlice<Int>, batchMask: [Float], data: WindowedData,
    targets: [Float], config: TrainingConfig, scratches: inout [RecurrentScratch], shardGrads: inout [Float],
    shardLoss: inout [Double], adam: inout Adam, mask: [Float]?, into out: inout [Float],
    drawing maskCount: Int, into nextMask: inout [Float], dropScale: Float, rng: inout SeededGenerator
  ) {
    let P = model.parameterCount
    let shards = (rows.count + shardSize - 1) / shardSize
    // Pieces of at least 1024 weights, more than threads, so a thread that finishes its shard
    // first takes more of them; the mask item goes first (it is the longest).
    let pieces = max(1, min(8, P / 1024))
    let maskItems = maskCount > 0 ? 1 : 0
    let dropout = model.dropout
    withShardGradients(
      model, rows: rows, batchMask: batchMask, data: data, targets: targets, loss: config.loss,
      scratches: &scratches, shardGrads: &shardGrads, shardLoss: &shardLoss
    ) { shard, gradients in
      model.weights.values.withUnsafeBufferPointer { w in
        out.withUnsafeMutableBufferPointer { o in
          nextMask.withUnsafeMutableBufferPointer { nm in
            withUnsafeMutablePointer(to: &rng) { r in
              let random = SendablePointer(r)
              let masks = SendablePointer(nm.baseAddress!)
              withOptionalBaseAddress(mask) { mk in
                adam.withStep(
                  from: w.baseAddress!, into: o.baseAddress!, gradientShards: gradients, shards: shards, mask: mk
                ) { adamStep in
                  Parallel.forEach(shards, then: maskItems + pieces, threads: config.threads, first: shard) { item in
                    if item < maskItems {
                      drawMasks(
                        masks.pointer, count: maskCount, dropout: dropout, scale: dropScale,
                        rng: &random.pointer.pointee)
                    } else {
                      adamStep.apply(piece: item - maskItems, of: pieces)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  /// Gradients of the loss over one batch (`rows` index `data.fit`), shard by shard: shard s
  /// takes rows 16s ..< 16s + 16 and writes its own gradient buffer and loss; shards run on up
  /// to `threads` threads. Nothing here depends on the thread count.
  static func computeGradients(
    _ model: RecurrentForecaster, rows: ArraySlice<Int>, batchMask: [Float], data: WindowedData,
    targets: [Float], loss: TrainingLoss, threads: Int, scratches: inout [RecurrentScratch],
    shardGrads: inout [Float], shardLoss: inout [Double]
  ) {
    let shards = (rows.count + shardSize - 1) / shardSize
    withShardGradients(
      model, rows: rows, batchMask: batchMask, data: data, targets: targets, loss: loss, scratches: &scratches,
      shardGrads: &shardGrads, shardLoss: &shardLoss
    ) { shard, _ in
      Parallel.forEach(shards, threads: threads, shard)
    }
  }

  /// Hands `body` the work of one shard (`shard(s)`: its gradient into its own buffer, its loss)
  /// and the gradient buffers, for the caller to run the shards as it likes.
  static func withShardGradients<R>(
    _ model: RecurrentForecaster, rows: ArraySlice<Int>, batchMask: [Float], data: WindowedData,
    targets: [Float], loss lossFunction: TrainingLoss, scratches: inout [RecurrentScratch],
    shardGrads: inout [Float], shardLoss: inout [Double],
    _ body: (_ shard: @Sendable (Int) -> Void, _ gradients: UnsafePointer<Float>) -> R
  ) -> R {
    let n = rows.count
    let H = model.units
    let S = model.outputs
    let P = model.parameterCount
    return scratches.withUnsafeMutableBufferPointer { scratchBuf in
      shardGrads.withUnsafeMutableBufferPointer { gradBuf in
        shardLoss.withUnsafeMutableBufferPointer { lossBuf in
          rows.withUnsafeBufferPointer { orderBuf in
            batchMask.withUnsafeBufferPointer { maskBuf in
              targets.withUnsafeBufferPointer { targetBuf in
                let scratch = SendablePointer(scratchBuf.baseAddress!)
                let grads = SendablePointer(gradBuf.baseAddress!)
                let loss = SendablePointer(lossBuf.baseAddress!)
                let order = SendablePointer(UnsafeMutablePointer(mutating: orderBuf.baseAddress!))
                let mask = SendablePointer(UnsafeMutablePointer(mutating: maskBuf.baseAddress!))
                let target = SendablePointer(UnsafeMutablePointer(mutating: targetBuf.baseAddress!))
                return body(
                  { s in
                    let lo = s * shardSize
                    let count = min(shardSize, n - lo)
                    let sc = scratch.pointer + s
                    sc.pointee.x.withUnsafeMutableBufferPointer { x in
                      for r in 0..<count {
                        let index = order.pointer[lo + r]
                        _ = model.inputs.gather(
                          data.fit[index], data: data, row: r, batch: count, into: x.baseAddress!)
                      }
                    }
                    for r in 0..<count {
                      let window = order.pointer[lo + r]
                      for o in 0..<S { sc.pointee.target[r * S + o] = target.pointer[window * S + o] }
                    }
                    for k in 0..<(count * H) { sc.pointee.mask[k] = mask.pointer[lo * H + k] }
                    model.forward(batch: count, scratch: &sc.pointee)
                    loss.pointer[s] = sc.pointee.y.withUnsafeBufferPointer { y in
                      sc.pointee.target.withUnsafeBufferPointer { t in
                        sc.pointee.dy.withUnsafeMutableBufferPointer { dy in
                          lossFunction.backward(
                            y: y.baseAddress!, target: t.baseAddress!, count: count * S, batchSize: n * S,
                            dy: dy.baseAddress!)
                        }
                      }
                    }
                    let grad = grads.pointer + s * P
                    grad.update(repeating: 0, count: P)
                    model.backward(batch: count, scratch: &sc.pointee, into: grad)
                  }, UnsafePointer(grads.pointer))
              }
            }
          }
        }
      }
    }
  }

  static func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}

/// `body` with the array's base address, or nil for no array.
func withOptionalBaseAddress<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
  guard let array else { return body(nil) }
  return array.withUnsafeBufferPointer { body($0.baseAddress) }
}

@inline(__always) func multiplyInPlace(_ a: inout [Float], _ b: [Float]) {
  a.withUnsafeMutableBufferPointer { a in b.withUnsafeBufferPointer { b in for k in 0..<a.count { a[k] *= b[k] } } }
}

// MARK: - Inference over many windows

extension WindowedData {
  /// The level a level-normalised network divides window `w` by (`RecurrentInputs.level`).
  public func windowLevel(_ w: WindowRef) -> Float {
    raw[Int(w.series)].withUnsafeBufferPointer { s in
      RecurrentInputs.level(UnsafeBufferPointer(rebasing: s[Int(w.start)..<(Int(w.start) + lookback)]))
    }
  }

  /// Copies window `w`'s inputs into row `row` of a time-major [T*batch, 1] buffer.
  @inline(__always)
  public func gatherInputs(_ w: WindowRef, row: Int, batch: Int, into x: inout [Float]) {
    let series = Int(w.series)
    let start = Int(w.start)
    scaled[series].withUnsafeBufferPointer { s in
      x.withUnsafeMutableBufferPointer { x in
        for t in 0..<config.lookback { x[t * batch + row] = s[start + t] }
      }
    }
  }
}

/// Windows per inference chunk.
public let inferenceChunk = 256

/// Forecasts for `windows` in chunks of `inferenceChunk`, on up to `threads` workers that each
/// make one scratch (`makeScratch`) and reuse it: `predict(&scratch, chunk, out)` writes
/// `outputs` outputs per window of `chunk` to `out`. Each window's output is independent of how
/// windows are chunked or threaded. Every model kind's batched inference runs through here.
@inlinable
public func predictInChunks<Scratch>(
  _ windows: [WindowRef], threads: Int, outputs: Int = 1, makeScratch: @Sendable () -> Scratch,
  predict: @Sendable (inout Scratch, ArraySlice<WindowRef>, UnsafeMutablePointer<Float>) -> Void
) -> [Float] {
  var out = [Float](repeating: 0, count: windows.count * outputs)
  let chunks = (windows.count + inferenceChunk - 1) / inferenceChunk
  let workers = max(1, min(threads, chunks))
  out.withUnsafeMutableBufferPointer { outBuf in
    let op = SendablePointer(outBuf.baseAddress!)
    Parallel.forEach(workers, threads: workers) { w in
      var scratch = makeScratch()
      var c = w
      while c < chunks {
        let lo = c * inferenceChunk
        let hi = min(lo + inferenceChunk, windows.count)
        predict(&scratch, windows[lo..<hi], op.pointer + lo * outputs)
        c += workers
      }
    }
  }
  return out
}

/// The model's outputs (scaled units) for `windows`, without dropout: `model.outputs` per window.
public func predictScaled(_ model: RecurrentForecaster, windows: [WindowRef], data: WindowedData, threads: Int)
  -> [Float]
{
  let S = model.outputs
  return predictInChunks(
    windows, threads: threads, outputs: S,
    makeScratch: {
      model.makeScratch(capacity: inferenceChunk, steps: data.lookback)
    },
    predict: { scratch, chunk, out in
      var levels = [Float](repeating: 1, count: chunk.count)
      scratch.x.withUnsafeMutableBufferPointer { x in
        for (r, w) in chunk.enumerated() {
          levels[r] = model.inputs.gather(w, data: data, row: r, batch: chunk.count, into: x.baseAddress!)
        }
      }
      model.forward(batch: chunk.count, scratch: &scratch, keepStates: false)
      for k in 0..<(chunk.count * S) {
        out[k] = model.inputs.scaledForecast(scratch.y[k], level: levels[k / S], scaler: data.scaler)
      }
      model.skip?.correct(out, windows: chunk, levels: levels, inputs: model.inputs, data: data)
    })
}

/// Mean squared (or, for `.mae`, absolute) error in scaled units over every target of `windows`.
public func meanError(
  _ loss: TrainingLoss, _ model: RecurrentForecaster, windows: [WindowRef], data: WindowedData, threads: Int
) -> Double {
  let y = predictScaled(model, windows: windows, data: data, threads: threads)
  let S = model.outputs
  var sum = 0.0
  for (k, w) in windows.enumerated() {
    for o in 0..<S {
      let e = Double(y[k * S + o] - data.target(w, step: o))
      sum += loss == .mae ? abs(e) : e * e
    }
  }
  return sum / Double(max(windows.count * S, 1))
}

/// Mean squared error in scaled units over `windows`.
public func meanSquaredError(_ model: RecurrentForecaster, windows: [WindowRef], data: WindowedData, threads: Int)
  -> Double
{
  meanError(.mse, model, windows: windows, data: data, threads: threads)
}
