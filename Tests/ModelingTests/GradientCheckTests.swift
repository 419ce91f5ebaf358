// Finite-difference checks of every backward pass: Dense + MSE, one recurrent step (T = 1), and
// BPTT over several steps, with and without a dropout mask, for the LSTM and the GRU, with a
// one-day and a multi-day (Dense(S)) head.

import Foundation
import Modeling
import NumericCore
import TestSupport
import Testing

@Suite struct GradientCheckTests {
  /// Loss (in Double) of a forecaster on a fixed batch: MSE (or MAE) of the forward pass.
  func loss(
    _ model: RecurrentForecaster, x: [Float], targets: [Float], mask: [Float], steps: Int, batch: Int,
    kind: TrainingLoss = .mse
  ) -> Double {
    var s = model.makeScratch(capacity: batch, steps: steps)
    s.x = x + [Float](repeating: 0, count: s.x.count - x.count)
    for k in 0..<mask.count { s.mask[k] = mask[k] }
    model.forward(batch: batch, scratch: &s)
    var sum = 0.0
    for k in 0..<targets.count {
      let e = Double(s.y[k]) - Double(targets[k])
      sum += kind == .mse ? e * e : abs(e)
    }
    return sum / Double(targets.count)
  }

  func analytic(
    _ model: RecurrentForecaster, x: [Float], targets: [Float], mask: [Float], steps: Int, batch: Int,
    kind: TrainingLoss = .mse
  ) -> [Float] {
    var s = model.makeScratch(capacity: batch, steps: steps)
    s.x = x + [Float](repeating: 0, count: s.x.count - x.count)
    for k in 0..<mask.count { s.mask[k] = mask[k] }
    model.forward(batch: batch, scratch: &s)
    _ = s.y.withUnsafeBufferPointer { y in
      targets.withUnsafeBufferPointer { t in
        s.dy.withUnsafeMutableBufferPointer { dy in
          kind.backward(
            y: y.baseAddress!, target: t.baseAddress!, count: targets.count, batchSize: targets.count,
            dy: dy.baseAddress!)
        }
      }
    }
    var grads = ParameterVector(layout: model.layout)
    model.backward(batch: batch, scratch: &s, into: &grads)
    return grads.values
  }

  static let shapes = [
    (1, 3, 1, 2, false),  // one step, no dropout
    (1, 3, 1, 2, true),  // one step with a dropout mask
    (2, 3, 5, 2, false),  // BPTT over 5 steps, 2 inputs
    (1, 4, 7, 3, true),  // BPTT over 7 steps with dropout
    (1, 20, 4, 5, false),  // wide enough to use the SIMD tiles (G = 80 LSTM, 60 GRU)
  ]

  @Test(arguments: shapes)
  func everyLSTMParameterMatchesFiniteDifferences(inputs: Int, units: Int, steps: Int, batch: Int, dropout: Bool) {
    check(.lstm, inputs: inputs, units: units, steps: steps, batch: batch, dropout: dropout)
  }

  @Test(arguments: shapes)
  func everyGRUParameterMatchesFiniteDifferences(inputs: Int, units: Int, steps: Int, batch: Int, dropout: Bool) {
    check(.gru, inputs: inputs, units: units, steps: steps, batch: batch, dropout: dropout)
  }

  /// Absolute-error training: the same gradients through the network, from sign(y - t) / N (the
  /// targets sit far from the outputs, so no error is near the kink at zero).
  @Test(arguments: RecurrentCell.allCases)
  func theAbsoluteErrorLossMatchesFiniteDifferences(cell: RecurrentCell) {
    check(cell, inputs: 2, units: 3, steps: 4, batch: 3, dropout: false, kind: .mae)
  }

  /// A multi-day head (Dense(S), `window steps=S`): every output's error reaches every weight.
  @Test(arguments: RecurrentCell.allCases, [false, true])
  func aMultiDayHeadMatchesFiniteDifferences(cell: RecurrentCell, dropout: Bool) {
    check(cell, inputs: 2, units: 5, steps: 6, batch: 3, dropout: dropout, outputs: 7)
    check(cell, inputs: 1, units: 3, steps: 3, batch: 2, dropout: dropout, kind: .mae, outputs: 3)
  }

  /// Stacked layers: each layer's gradient reaches the one below at every step (2 and 3 layers,
  /// with and without dropout, a multi-day head).
  @Test(arguments: RecurrentCell.allCases, [false, true])
  func stackedLayersMatchFiniteDifferences(cell: RecurrentCell, dropout: Bool) {
    check(cell, inputs: 2, units: 3, steps: 4, batch: 2, dropout: dropout, layers: 2)
    check(cell, inputs: 1, units: 4, steps: 5, batch: 3, dropout: dropout, outputs: 3, layers: 3)
    check(cell, inputs: 3, units: 20, steps: 3, batch: 2, dropout: dropout, layers: 2)  // the SIMD tiles
  }

  func check(
    _ cell: RecurrentCell, inputs: Int, units: Int, steps: Int, batch: Int, dropout: Bool, kind: TrainingLoss = .mse,
    outputs: Int = 1, layers: Int = 1
  ) {
    var rng = SeededGenerator(seed: UInt64(units * 100 + steps))
    var model = RecurrentForecaster(
      inputSize: inputs, units: units, cell: cell, outputs: outputs, layers: layers, dropout: 0.5, rng: &rng)
    // Non-trivial biases so every gate's derivative is exercised away from its initial value.
    for l in 0..<layers {
      for k in model.layout.range(.bias, layer: l) { model.weights.values[k] = rng.nextFloat(in: -0.5, 0.5) }
    }
    for (i, k) in model.layout.range(.denseBias).enumerated() { model.weights.values[k] = 0.3 - 0.1 * Float(i % 3) }
    let x = (0..<(steps * batch * inputs)).map { _ in rng.nextFloat(in: -1, 1) }
    let targets = (0..<(batch * outputs)).map { b in
      kind == .mae ? Float(b % 2 == 0 ? 5 : -5) : rng.nextFloat(in: -1, 1)
    }
    let mask = (0..<(batch * units)).map { _ in dropout ? (rng.nextUnitFloat() < 0.5 ? 0 : 2) : Float(1) }
    let grads = analytic(model, x: x, targets: targets, mask: mask, steps: steps, batch: batch, kind: kind)
    for t in model.layout.tensors {
      let (p, layer) = (t.name, t.layer)
      // Sampled coordinates of every named parameter (all of them for small tensors).
      let range = model.layout.range(p, layer: layer)
      let picks = range.count <= 24 ? Array(range) : (0..<24).map { range.lowerBound + ($0 * 7919) % range.count }
      let numeric = numericalGradient(model.weights.values, at: picks) { values in
        var m = model
        m.weights.values = values
        return loss(m, x: x, targets: targets, mask: mask, steps: steps, batch: batch, kind: kind)
      }
      for (k, index) in picks.enumerated() {
        let a = Double(grads[index])
        let n = numeric[k]
        #expect(
          abs(a - n) <= 2e-2 * max(abs(a), abs(n)) + 2e-4,
          "\(cell) \(model.layout.name(p, layer: layer))[\(index - range.lowerBound)]: analytic \(a), numeric \(n)")
      }
    }
  }

  /// A hand-computed case: H = 1, T = 2, all weights 0.5 (STYLE-EXAMPLES §7).
  @Test func handComputedTinyLSTM() {
    var w = ParameterVector(layout: ParameterLayout(inputSize: 1, units: 1))
    for k in w.values.indices { w.values[k] = 0.5 }
    let model = RecurrentForecaster(weights: w, dropout: 0)
    var s = RecurrentScratch(capacity: 1, steps: 2, inputSize: 1, units: 1)
    s.x = [1, 2]
    model.forward(batch: 1, scratch: &s)
    func sig(_ v: Double) -> Double { 1 / (1 + (-v).exp) }
    var h = 0.0
    var c = 0.0
    for x in [1.0, 2.0] {
      let z = 0.5 * x + 0.5 * h + 0.5
      let i = sig(z)
      let f = sig(z)
      let g = z.tanhValue
      let o = sig(z)
      c = f * c + i * g
      h = o * c.tanhValue
    }
    #expect(abs(Double(s.y[0]) - (0.5 * h + 0.5)) < 1e-6)
  }

  /// The GRU by hand: H = 1, T = 2, every weight 0.5 (both biases), Keras' reset-after form.
  @Test func handComputedTinyGRU() {
    var w = ParameterVector(layout: ParameterLayout(inputSize: 1, units: 1, cell: .gru))
    for k in w.values.indices { w.values[k] = 0.5 }
    let model = RecurrentForecaster(weights: w, dropout: 0)
    var s = model.makeScratch(capacity: 1, steps: 2)
    s.x = [1, 2]
    model.forward(batch: 1, scratch: &s)
    func sig(_ v: Double) -> Double { 1 / (1 + (-v).exp) }
    var h = 0.0
    for x in [1.0, 2.0] {
      let a = 0.5 * x + 0.5
      let q = 0.5 * h + 0.5
      let z = sig(a + q)
      let r = sig(a + q)
      let n = (a + r * q).tanhValue
      h = z * h + (1 - z) * n
    }
    #expect(abs(Double(s.y[0]) - (0.5 * h + 0.5)) < 1e-6)
  }
}

extension Double {
  var exp: Double { Foundation.exp(self) }
  var tanhValue: Double { Foundation.tanh(self) }
}
