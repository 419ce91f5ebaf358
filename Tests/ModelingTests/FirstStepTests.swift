// The LSTM's first step starts from h_0 = 0: the forward pass leaves out its recurrent terms, the
// backward pass its rows of dWh. Both must give the bits of the whole computation, including
// where a chain sits at -0 before the recurrent terms: they turn it into +0, so the cell's
// activations must give -0 and +0 the same value.

import Modeling
import NumericCore
import Testing

@Suite struct FirstStepTests {
  /// The forward pass (gates, c, h of every step, y) and dWh against the whole computation written
  /// out with the public kernels, for random weights and for weights that put chains at -0.
  @Test(arguments: [(16, 1, 64), (5, 3, 24), (1, 1, 16), (7, 2, 5)])
  func theFirstStepGivesTheBitsOfTheWholeComputation(batch B: Int, inputs D: Int, units H: Int) {
    for negativeZeros in [false, true] {
      var rng = SeededGenerator(seed: UInt64(B * 10_000 + D * 100 + H))
      var model = RecurrentForecaster(inputSize: D, units: H, dropout: 0, rng: &rng)
      let T = 4
      let G = 4 * H
      let l = model.layout
      var x: [Float] = (0..<(T * B * D)).map { _ in rng.nextFloat(in: -1, 2) }
      if negativeZeros {
        // Rows 0 and 2 see x = +0 on the first day; columns 3k get bias -0 and negative input
        // weights, so their chains are -0 + (+0 * w) = -0 before the recurrent terms.
        for r in [0, 2] where r < B { for d in 0..<D { x[r * D + d] = 0 } }
        for j in stride(from: 0, to: G, by: 3) {
          model.weights.values[l.offset(.bias) + j] = -0.0
          for d in 0..<D { model.weights.values[l.offset(.kernel) + d * G + j] = -abs(rng.nextFloat(in: 0.1, 1)) }
        }
      }
      var s = model.makeScratch(capacity: B, steps: T)
      s.x = x
      for k in 0..<(B * H) { s.mask[k] = 1 }
      model.forward(batch: B, scratch: &s)

      // The whole forward pass, step 0's recurrent terms included.
      var gates = [Float](repeating: 0, count: T * B * G)
      var c = [Float](repeating: 0, count: (T + 1) * B * H)
      var h = [Float](repeating: 0, count: (T + 1) * B * H)
      var tanhC = [Float](repeating: 0, count: T * B * H)
      // Chains at -0 after the bias and step 0's input terms, before its recurrent ones.
      var inputOnly = [Float](repeating: 0, count: B * G)
      model.weights.values.withUnsafeBufferPointer { w in
        inputOnly.withUnsafeMutableBufferPointer { z in
          for r in 0..<B { (z.baseAddress! + r * G).update(from: w.baseAddress! + l.offset(.bias), count: G) }
          x.withUnsafeBufferPointer { xp in
            gemmNN(
              m: B, n: G, k: D, a: xp.baseAddress!, lda: D, b: w.baseAddress! + l.offset(.kernel), ldb: G,
              c: z.baseAddress!, ldc: G, accumulate: true)
          }
        }
      }
      let negativeZeroChains = inputOnly.filter { $0.bitPattern == (-Float.zero).bitPattern }.count
      model.weights.values.withUnsafeBufferPointer { w in
        let wx = w.baseAddress! + l.offset(.kernel)
        let wh = w.baseAddress! + l.offset(.recurrentKernel)
        let bias = w.baseAddress! + l.offset(.bias)
        x.withUnsafeBufferPointer { xp in
          for t in 0..<T {
            gates.withUnsafeMutableBufferPointer { z in
              c.withUnsafeMutableBufferPointer { cp in
                h.withUnsafeMutableBufferPointer { hp in
                  tanhC.withUnsafeMutableBufferPointer { tc in
                    let zt = z.baseAddress! + t * B * G
                    lstmGates(
                      batch: B, inputs: D, units: H, x: xp.baseAddress! + t * B * D, h: hp.baseAddress! + t * B * H,
                      wx: wx, wh: wh, bias: bias, z: zt)
                    lstmCellForward(
                      batch: B, units: H, z: zt, cPrev: cp.baseAddress! + t * B * H,
                      cNext: cp.baseAddress! + (t + 1) * B * H, tanhC: tc.baseAddress! + t * B * H,
                      hNext: hp.baseAddress! + (t + 1) * B * H)
                  }
                }
              }
            }
          }
        }
      }
      let label = "batch \(B) inputs \(D) units \(H) negative zeros \(negativeZeros)"
      #expect((negativeZeroChains > 0) == negativeZeros, "\(label): \(negativeZeroChains) chains at -0")
      #expect(s.gates.prefix(T * B * G).map(\.bitPattern) == gates.map(\.bitPattern), "gates, \(label)")
      #expect(s.c.prefix((T + 1) * B * H).map(\.bitPattern) == c.map(\.bitPattern), "c, \(label)")
      #expect(s.h.prefix((T + 1) * B * H).map(\.bitPattern) == h.map(\.bitPattern), "h, \(label)")

      // dWh from the backward pass against the product over every step, step 0's rows included.
      for k in 0..<B { s.dy[k] = rng.nextFloat(in: -1, 1) }
      var grads = ParameterVector(layout: l)
      model.backward(batch: B, scratch: &s, into: &grads)
      var whole = [Float](repeating: 0, count: H * G)
      s.h.withUnsafeBufferPointer { hp in
        s.dz.withUnsafeBufferPointer { dz in
          whole.withUnsafeMutableBufferPointer { out in
            gemmTN(
              m: H, n: G, k: T * B, a: hp.baseAddress!, lda: H, b: dz.baseAddress!, ldb: G, c: out.baseAddress!,
              ldc: G, accumulate: true)
          }
        }
      }
      let dWh = grads.values[l.offset(.recurrentKernel)..<(l.offset(.recurrentKernel) + H * G)]
      #expect(dWh.map(\.bitPattern) == whole.map(\.bitPattern), "dWh, \(label)")
    }
  }
}
