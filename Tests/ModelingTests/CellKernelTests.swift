import Testing
import NumericCore
import Modeling

/// The LSTM cell runs 16 lanes at a time in C where the processor has AVX-512; it must give the
/// bits of the 8-lane Swift code for every input, including the clamps of exp (beyond +-87), the
/// switch of tanh at |x| = 0.625, tails of fewer than 8 or 16 units and c updated in place.
@Suite struct CellKernelTests {
  @Test(arguments: [1, 3, 8, 12, 16, 20, 32, 64])
  func theFastCellGivesTheBitsOfTheSwiftCell(units H: Int) {
    var rng = SeededGenerator(seed: UInt64(H))
    let B = 5, G = 4 * H
    let special: [Float] = [0, -0, 0.625, -0.625, 0.62499994, 88.8, -88, 100, -100, 1e-30, -1e-30, 44.4, -43.7, 9, -9]
    let z: [Float] = (0..<(B * G)).map { i in i % 5 == 0 ? special[(i / 5) % special.count] : rng.nextFloat(in: -12, 12) }
    let c0: [Float] = (0..<(B * H)).map { _ in rng.nextFloat(in: -3, 3) }
    for inPlace in [false, true] {
      var results: [[Float]] = []
      for portable in [true, false] {
        var zz = z, cPrev = c0, cNext = [Float](repeating: 0, count: B * H)
        var tanhC = [Float](repeating: 0, count: B * H), h = [Float](repeating: 0, count: B * H)
        zz.withUnsafeMutableBufferPointer { zp in cPrev.withUnsafeMutableBufferPointer { cp in cNext.withUnsafeMutableBufferPointer { cn in
        tanhC.withUnsafeMutableBufferPointer { tc in h.withUnsafeMutableBufferPointer { hp in
          lstmCellForward(batch: B, units: H, z: zp.baseAddress!, cPrev: cp.baseAddress!, cNext: inPlace ? cp.baseAddress! : cn.baseAddress!,
                          tanhC: tc.baseAddress!, hNext: hp.baseAddress!, portable: portable)
        }}}}}
        results.append(zz + (inPlace ? cPrev : cNext) + tanhC + h)
      }
      let same = zip(results[0], results[1]).allSatisfy { $0.bitPattern == $1.bitPattern }
      #expect(same, "units \(H) in place \(inPlace)")
    }
  }
}
