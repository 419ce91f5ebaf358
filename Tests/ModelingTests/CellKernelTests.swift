import Modeling
import NumericCore
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The LSTM cell runs in C where the processor has AVX2 (8 lanes: runs of 4, 2 and 1 vectors in
/// lockstep when the units are a multiple of 8, else two groups at once) or AVX-512 (the same in
/// 16 lanes; `make test-avx512-emulated` runs it where the processor has none); each must give the
/// bits of the 8-lane Swift code for every input, including the clamps of exp (beyond +-87), the
/// switch of tanh at |x| = 0.625, tails of fewer than 8 or 16 units, pairs of groups that cross
/// rows, every run of 4, 2 and 1 vectors (48, 80, 112 units), and c updated in place.
@Suite struct CellKernelTests {
  @Test(arguments: [1, 3, 4, 8, 12, 16, 20, 24, 32, 40, 48, 56, 64, 80, 96, 112])
  func theFastCellGivesTheBitsOfTheSwiftCell(units H: Int) {
    var rng = SeededGenerator(seed: UInt64(H))
    let B = 5
    let G = 4 * H
    let special: [Float] = [0, -0, 0.625, -0.625, 0.62499994, 88.8, -88, 100, -100, 1e-30, -1e-30, 44.4, -43.7, 9, -9]
    let z: [Float] = (0..<(B * G)).map { i in i % 5 == 0 ? special[(i / 5) % special.count] : rng.nextFloat(in: -12, 12)
    }
    let c0: [Float] = (0..<(B * H)).map { _ in rng.nextFloat(in: -3, 3) }
    for inPlace in [false, true] {
      var results: [[Float]] = []
      for kernels in KernelWidth.available {
        var zz = z
        var cPrev = c0
        var cNext = [Float](repeating: 0, count: B * H)
        var tanhC = [Float](repeating: 0, count: B * H)
        var h = [Float](repeating: 0, count: B * H)
        zz.withUnsafeMutableBufferPointer { zp in
          cPrev.withUnsafeMutableBufferPointer { cp in
            cNext.withUnsafeMutableBufferPointer { cn in
              tanhC.withUnsafeMutableBufferPointer { tc in
                h.withUnsafeMutableBufferPointer { hp in
                  lstmCellForward(
                    batch: B, units: H, z: zp.baseAddress!, cPrev: cp.baseAddress!,
                    cNext: inPlace ? cp.baseAddress! : cn.baseAddress!,
                    tanhC: tc.baseAddress!, hNext: hp.baseAddress!, kernels: kernels)
                }
              }
            }
          }
        }
        results.append(zz + (inPlace ? cPrev : cNext) + tanhC + h)
      }
      for (width, result) in zip(KernelWidth.available, results).dropFirst() {
        let same = zip(results[0], result).allSatisfy { $0.bitPattern == $1.bitPattern }
        #expect(same, "units \(H) in place \(inPlace), \(width)")
      }
    }
  }

  /// A step's gate pre-activations in one pass of registers (AVX2 or AVX-512) against the bias
  /// copy and the two Swift products, bit for bit: tiles of 8, 6, 4, 2 and single rows, edges of
  /// fewer than 16 or 32 gate columns, inputs of 1 to 14 channels.
  @Test(arguments: [
    (1, 1, 4), (3, 1, 20), (4, 3, 64), (5, 14, 8), (8, 1, 64), (13, 2, 33), (16, 1, 64), (17, 14, 4), (1, 14, 64),
    (15, 3, 6),
  ])
  func theFusedGatesGiveTheBitsOfTheProducts(batch B: Int, inputs D: Int, units H: Int) {
    var rng = SeededGenerator(seed: UInt64(B * 100 + D * 10 + H))
    let G = 4 * H
    let x: [Float] = (0..<(B * D)).map { _ in rng.nextFloat(in: -1, 1) }
    let h: [Float] = (0..<(B * H)).map { k in k % 7 == 0 ? 0 : rng.nextFloat(in: -1, 1) }
    let wx: [Float] = (0..<(D * G)).map { _ in rng.nextFloat(in: -0.5, 0.5) }
    let wh: [Float] = (0..<(H * G)).map { _ in rng.nextFloat(in: -0.5, 0.5) }
    let bias: [Float] = (0..<G).map { k in k % 9 == 0 ? -0.0 : rng.nextFloat(in: -1, 1) }
    // Each width with the weights in place, then with them packed in strips (the AVX2 kernel's
    // layout; the others ignore it).
    let packed = packGateWeights(inputs: D, units: H, wx: wx, wh: wh)
    var results: [[Float]] = []
    var runs: [String] = []
    for kernels in KernelWidth.available {
      for pack in [false, true] {
        var z = [Float](repeating: .nan, count: B * G)
        packed.withUnsafeBufferPointer { pp in
          z.withUnsafeMutableBufferPointer { zp in
            lstmGates(
              batch: B, inputs: D, units: H, x: x, h: h, wx: wx, wh: wh, bias: bias,
              packed: pack ? pp.baseAddress : nil,
              z: zp.baseAddress!, kernels: kernels)
          }
        }
        results.append(z)
        runs.append("\(kernels)\(pack ? ", packed" : "")")
      }
    }
    for (run, result) in zip(runs, results).dropFirst() {
      #expect(results[0].map(\.bitPattern) == result.map(\.bitPattern), "\(run)")
    }
    // And the chain itself (fused multiply-adds), written out for one element.
    let (r, j) = (B - 1, G - 1)
    var acc = bias[j]
    for d in 0..<D { acc = acc.addingProduct(x[r * D + d], wx[d * G + j]) }
    for k in 0..<H { acc = acc.addingProduct(h[r * H + k], wh[k * G + j]) }
    #expect(results.last![r * G + j].bitPattern == acc.bitPattern)
  }

  /// The backward step, 8 units at a time in Swift and with AVX2, 16 with AVX-512 (every width
  /// this processor runs), against its unit-by-unit oracle, bit for bit (including tails of
  /// fewer than 8 or 16 units).
  @Test(arguments: [1, 5, 8, 13, 16, 20, 32, 64])
  func theVectorBackwardStepGivesTheBitsOfTheReference(units H: Int) {
    for kernels in KernelWidth.available { theVectorBackwardStepGivesTheBitsOfTheReference(units: H, kernels: kernels) }
  }

  func theVectorBackwardStepGivesTheBitsOfTheReference(units H: Int, kernels: KernelWidth) {
    var rng = SeededGenerator(seed: UInt64(100 + H))
    let B = 3
    let G = 4 * H
    let acts: [Float] = (0..<(B * G)).map { i in (i / H) % 4 == 2 ? rng.nextFloat(in: -1, 1) : rng.nextFloat(in: 0, 1) }
    let cPrev: [Float] = (0..<(B * H)).map { _ in rng.nextFloat(in: -3, 3) }
    let tanhC: [Float] = (0..<(B * H)).map { _ in rng.nextFloat(in: -1, 1) }
    let dh: [Float] = (0..<(B * H)).map { _ in rng.nextFloat(in: -2, 2) }
    let dc0: [Float] = (0..<(B * H)).map { _ in rng.nextFloat(in: -2, 2) }
    var dcFast = dc0
    var dzFast = [Float](repeating: .nan, count: B * G)
    var dcSlow = dc0
    var dzSlow = [Float](repeating: .nan, count: B * G)
    acts.withUnsafeBufferPointer { a in
      cPrev.withUnsafeBufferPointer { cp in
        tanhC.withUnsafeBufferPointer { tc in
          dh.withUnsafeBufferPointer { dhp in
            dcFast.withUnsafeMutableBufferPointer { dc in
              dzFast.withUnsafeMutableBufferPointer { dz in
                lstmCellBackward(
                  batch: B, units: H, acts: a.baseAddress!, cPrev: cp.baseAddress!, tanhC: tc.baseAddress!,
                  dh: dhp.baseAddress!, dc: dc.baseAddress!, dz: dz.baseAddress!, kernels: kernels)
              }
            }
            dcSlow.withUnsafeMutableBufferPointer { dc in
              dzSlow.withUnsafeMutableBufferPointer { dz in
                for b in 0..<B {
                  lstmCellBackwardReference(
                    units: H, acts: a.baseAddress! + b * G, cPrev: cp.baseAddress! + b * H,
                    tanhC: tc.baseAddress! + b * H, dh: dhp.baseAddress! + b * H,
                    dc: dc.baseAddress! + b * H, dz: dz.baseAddress! + b * G)
                }
              }
            }
          }
        }
      }
    }
    #expect(dzFast.map(\.bitPattern) == dzSlow.map(\.bitPattern), "dz, units \(H), \(kernels)")
    #expect(dcFast.map(\.bitPattern) == dcSlow.map(\.bitPattern), "dc, units \(H), \(kernels)")
    #expect(!dzFast.contains { $0.isNaN }, "every dz written")
  }

  /// The trainer's fused step (shard sum, Adam, mask; 8 lanes in Swift and with AVX2, 16 with
  /// AVX-512, cut across threads) against Adam written out element by element, over several
  /// steps: the same bits with 1 to 3 threads, at every width this processor runs.
  @Test(arguments: [1, 2, 3])
  func theFusedAdamStepGivesTheBitsOfAdamElementByElement(threads: Int) {
    for kernels in KernelWidth.available {
      theFusedAdamStepGivesTheBitsOfAdamElementByElement(threads: threads, kernels: kernels)
    }
  }

  func theFusedAdamStepGivesTheBitsOfAdamElementByElement(threads: Int, kernels: KernelWidth) {
    var rng = SeededGenerator(seed: 41)
    let n = 4099
    let shards = 3
    var weights: [Float] = (0..<n).map { _ in rng.nextFloat(in: -1, 1) }
    let mask: [Float] = (0..<n).map { $0 % 7 == 0 ? 0 : 1 }
    var expected = weights
    var m = [Float](repeating: 0, count: n)
    var v = [Float](repeating: 0, count: n)
    var adam = Adam(parameterCount: n, learningRate: 0.01)
    for step in 1...4 {
      let grads: [Float] = (0..<(shards * n)).map { _ in rng.nextFloat(in: -0.5, 0.5) }
      grads.withUnsafeBufferPointer { g in
        weights.withUnsafeMutableBufferPointer { w in
          mask.withUnsafeBufferPointer { mk in
            adam.update(
              w.baseAddress!, gradientShards: g.baseAddress!, shards: shards, mask: mk.baseAddress!, threads: threads,
              kernels: kernels)
          }
        }
      }
      let t = Float(step)
      let alpha: Float = 0.01 * (1 - powf(0.999, t)).squareRoot() / (1 - powf(0.9, t))
      for k in 0..<n {
        let g = (grads[k] + grads[n + k]) + grads[2 * n + k]
        m[k] += (g - m[k]) * (1 - 0.9)
        v[k] += (g * g - v[k]) * (1 - 0.999)
        expected[k] -= (m[k] * alpha) / (v[k].squareRoot() + 1e-7)
        expected[k] *= mask[k]
      }
    }
    #expect(weights.map(\.bitPattern) == expected.map(\.bitPattern), "\(kernels)")
  }

  /// A single window's latency path (one AVX-512 call keeping only the last state, where the
  /// processor has it) forecasts the bits of the batched forward pass.
  @Test(arguments: [(1, 1), (1, 5), (1, 16), (3, 24), (1, 64), (2, 65)])
  func theSingleWindowPathGivesTheBitsOfTheBatchedForward(inputs D: Int, units H: Int) {
    var rng = SeededGenerator(seed: UInt64(D * 1000 + H))
    let model = RecurrentForecaster(inputSize: D, units: H, dropout: 0.2, rng: &rng)
    let T = 14
    for trial in 0..<5 {
      var fast = RecurrentScratch(capacity: 1, steps: T, inputSize: D, units: H)
      var slow = fast
      let x: [Float] = (0..<(T * D)).map { k in trial == 0 && k % 3 == 0 ? 0 : rng.nextFloat(in: -1, 2) }
      fast.x = x
      slow.x = x
      model.forward(batch: 1, scratch: &fast, keepStates: false)
      model.forward(batch: 1, scratch: &slow)
      #expect(fast.y[0].bitPattern == slow.y[0].bitPattern, "inputs \(D) units \(H) trial \(trial)")
    }
  }
}
