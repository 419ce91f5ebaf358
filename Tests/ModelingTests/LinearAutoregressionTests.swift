// The linear autoregression's ridge fit against numpy's least squares (a committed fixture from
// tools/make_linear_fixture.py), and its forecast arithmetic.

import Foundation
import Modeling
import Testing

@Suite struct LinearAutoregressionTests {
  @Test func ridgeFitMatchesNumpy() throws {
    let url = try #require(
      Bundle.module.url(forResource: "linear_ridge", withExtension: "json", subdirectory: "Fixtures"))
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let cases = try #require(doc["cases"] as? [[String: Any]])
    #expect(cases.count == 4)
    for c in cases {
      let rows = try #require(c["rows"] as? [[Double]])
      let targets = try #require(c["targets"] as? [Double])
      let ridge = try #require(c["ridge"] as? Double)
      let weights = try #require(c["weights"] as? [Double])
      let bias = try #require(c["bias"] as? Double)
      let model = LinearAutoregression.fit(count: rows.count, inputs: weights.count, ridge: ridge) { k, x in
        // The fixture's rows are float32 values, as Tinycast's scaled windows are.
        for t in 0..<weights.count { x[t] = Double(Float(rows[k][t])) }
        return Double(Float(targets[k]))
      }
      for (w, reference) in zip(model.weights, weights) {
        #expect(abs(Double(w) - reference) <= 2e-5 * max(1, abs(reference)), "ridge \(ridge): \(w) vs \(reference)")
      }
      #expect(abs(Double(model.bias) - bias) <= 2e-5 * max(1, abs(bias)), "ridge \(ridge)")
    }
  }

  @Test func forecastIsTheBiasPlusTheWeightedDaysInOrder() {
    let m = LinearAutoregression(weights: [0.5, -0.25, 2], bias: 0.125)
    #expect(m.forecastScaled([1, 2, 3]) == 0.125 + 0.5 - 0.5 + 6)
    #expect(m.parameterCount == 4 && m.nonzeroCount == 4 && m.family == "linear")
    #expect(m.compressibleTensors == ["linear/kernel"])
    // A zero weight is skipped, as the exported C skips a pruned weight.
    #expect(LinearAutoregression(weights: [0, 1], bias: 0.5).forecastScaled([.infinity, 2]) == 2.5)
    #expect(m.isIdentical(to: m) && !m.isIdentical(to: LinearAutoregression(weights: [0.5, -0.25, 2], bias: 0)))
  }

  @Test func identicalRowsStillGiveAFiniteFit() {
    // Every window the same: the normal equations are singular; the fit must not be NaN.
    let m = LinearAutoregression.fit(count: 50, inputs: 3, ridge: 0) { _, x in
      x[0] = 1
      x[1] = 1
      x[2] = 1
      return 2
    }
    #expect(m.weights.allSatisfy(\.isFinite) && m.bias.isFinite)
    #expect(abs(m.forecastScaled([1, 1, 1]) - 2) < 1e-3)
  }

  @Test func pruningZeroesTheSmallestWeightsAndTheRefitKeepsThemZero() throws {
    let m = LinearAutoregression(weights: [0.5, -0.1, 0.3, 0.1, -0.7], bias: 0.2)
    #expect(m.pruned(sparsity: 0.4).weights == [0.5, 0, 0.3, 0, -0.7])  // |-0.1| ties |0.1|: the earlier first
    #expect(m.pruned(sparsity: 0).weights == m.weights)
    let q = m.quantizedInt8()
    guard case .int8(let scale) = q.storage else {
      Issue.record("not int8")
      return
    }
    #expect(scale == Float(0.7) / 127)
    #expect(q.codes == [91, -18, 54, 18, -127])
    #expect(zip(q.weights, q.codes!).allSatisfy { $0 == Float($1) * scale })
    #expect(m.float16().weights == m.weights.map { Float(Float16($0)) } && m.float16().bias == m.bias)
  }
}
