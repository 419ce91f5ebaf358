// The LSTM and the GRU, one layer or stacked, against Keras: outputs, loss, every gradient and
// three Adam steps, from the committed fixtures made by tools/make_keras_fixture.py (TensorFlow
// is not needed to run these tests).

import Foundation
import Modeling
import NumericCore
import TestSupport
import Testing

struct KerasCase {
  let cell: RecurrentCell
  let units: Int, steps: Int, batch: Int, inputsPerStep: Int
  /// The Dense head's width: 1, or the days of a multi-day head.
  let denseOutputs: Int
  /// Recurrent layers stacked (Keras' return_sequences=True between them).
  let layers: Int
  let weights: [String: [Double]], gradients: [String: [Double]], afterAdam: [String: [Double]]
  let inputs: [Double], targets: [Double], outputs: [Double], loss: Double
}

func loadKerasCases(_ cell: RecurrentCell = .lstm) throws -> [KerasCase] {
  let url = try #require(
    Bundle.module.url(forResource: "keras_\(cell.rawValue)", withExtension: "json", subdirectory: "Fixtures"))
  let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
  let cases = try #require(doc["cases"] as? [[String: Any]])
  return try cases.map { c in
    KerasCase(
      cell: cell, units: try #require(c["units"] as? Int), steps: try #require(c["steps"] as? Int),
      batch: try #require(c["batch"] as? Int), inputsPerStep: c["inputs_per_step"] as? Int ?? 1,
      denseOutputs: c["dense_outputs"] as? Int ?? 1, layers: c["layers"] as? Int ?? 1,
      weights: try #require(c["weights"] as? [String: [Double]]),
      gradients: try #require(c["gradients"] as? [String: [Double]]),
      afterAdam: try #require(c["weights_after_adam"] as? [String: [Double]]),
      inputs: try #require(c["inputs"] as? [Double]), targets: try #require(c["targets"] as? [Double]),
      outputs: try #require(c["outputs"] as? [Double]), loss: try #require(c["loss"] as? Double))
  }
}

/// The fixture's tensor names in our order: each layer's three (layer l > 0's with "_l"), then
/// the Dense head's two.
func kerasNames(_ layout: ParameterLayout) -> [(TensorID, String)] {
  layout.tensors.map { t in
    let base = ["kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias"][t.name.rawValue]
    return (t, t.name.isDense || t.layer == 0 ? base : "\(base)_\(t.layer)")
  }
}

@Suite struct KerasFixtureTests {
  func model(_ c: KerasCase) -> RecurrentForecaster {
    var w = ParameterVector(
      layout: ParameterLayout(
        inputSize: c.inputsPerStep, units: c.units, cell: c.cell, outputs: c.denseOutputs, layers: c.layers))
    for (t, key) in kerasNames(w.layout) {
      w.values.replaceSubrange(w.layout.range(t), with: c.weights[key]!.map { Float($0) })
    }
    return RecurrentForecaster(weights: w, dropout: 0)
  }

  /// Forward, loss and gradients of one batch (Keras inputs are [batch][steps][D]; ours
  /// time-major, [steps][batch][D]).
  func pass(_ m: RecurrentForecaster, _ c: KerasCase) -> (y: [Float], loss: Double, grads: ParameterVector) {
    var s = m.makeScratch(capacity: c.batch, steps: c.steps)
    let D = c.inputsPerStep
    for b in 0..<c.batch {
      for t in 0..<c.steps {
        for d in 0..<D { s.x[(t * c.batch + b) * D + d] = Float(c.inputs[(b * c.steps + t) * D + d]) }
      }
    }
    m.forward(batch: c.batch, scratch: &s)
    let targets = c.targets.map { Float($0) }
    // Keras' MSE averages over every output of every row.
    let n = c.batch * c.denseOutputs
    let sse = s.y.withUnsafeBufferPointer { y in
      targets.withUnsafeBufferPointer { t in
        s.dy.withUnsafeMutableBufferPointer { dy in
          mseBackward(
            y: y.baseAddress!, target: t.baseAddress!, count: n, batchSize: n, dy: dy.baseAddress!)
        }
      }
    }
    var g = ParameterVector(layout: m.layout)
    m.backward(batch: c.batch, scratch: &s, into: &g)
    return (Array(s.y[0..<n]), sse / Double(n), g)
  }

  @Test(arguments: RecurrentCell.allCases)
  func outputsLossAndGradientsMatchKeras(cell: RecurrentCell) throws {
    for c in try loadKerasCases(cell) {
      let m = model(c)
      let (y, loss, grads) = pass(m, c)
      if let e = compareArrays(y, c.outputs, rtol: 1e-5, atol: 1e-7, label: "\(cell) outputs H=\(c.units)") {
        Issue.record(Comment(rawValue: e))
      }
      #expect(abs(loss - c.loss) <= 1e-5 * abs(c.loss), "loss H=\(c.units): \(loss) vs \(c.loss)")
      for (t, key) in kerasNames(m.layout) {
        let ours = Array(grads.values[grads.layout.range(t)])
        // Gradients are sums of many terms; allow 1e-5 relative to the tensor's largest entry.
        let scale = c.gradients[key]!.map(abs).max()!
        if let e = compareArrays(
          ours, c.gradients[key]!, rtol: 1e-5, atol: 1e-5 * scale, label: "\(cell) d\(key) H=\(c.units)")
        {
          Issue.record(Comment(rawValue: e))
        }
      }
    }
  }

  @Test(arguments: RecurrentCell.allCases)
  func threeAdamStepsMatchKeras(cell: RecurrentCell) throws {
    for c in try loadKerasCases(cell) {
      var m = model(c)
      var adam = Adam(parameterCount: m.parameterCount, learningRate: 1e-3)
      for _ in 0..<3 {
        let (_, _, g) = pass(m, c)
        adam.update(&m.weights.values, gradients: g.values)
      }
      for (t, key) in kerasNames(m.layout) {
        let ours = Array(m.weights.values[m.layout.range(t)])
        if let e = compareArrays(
          ours, c.afterAdam[key]!, rtol: 1e-5, atol: 1e-6, label: "\(cell) \(key) after Adam H=\(c.units)")
        {
          Issue.record(Comment(rawValue: e))
        }
      }
    }
  }
}
