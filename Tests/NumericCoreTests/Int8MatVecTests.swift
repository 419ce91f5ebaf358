import NumericCore
import Testing

/// The whole-window kernel's VNNI product on one vector and the textbook int32 triple loop agree
/// exactly (sums of integers have no rounding), for sizes that use its 128-column passes, its
/// 16-column blocks, a masked edge and an odd number of row groups.
@Suite struct Int8MatVecTests {
  @Test(
    .enabled(if: PackedInt8Matrix.usesVNNI, "the integer kernels need AVX-512 VNNI"),
    arguments: [(1, 1), (3, 5), (32, 128), (64, 256), (16, 64), (13, 200), (12, 48), (130, 20)])
  func theVNNIProductEqualsTheInt32Reference(k: Int, n: Int) throws {
    var rng = SeededGenerator(seed: UInt64(k * 1000 + n))
    // The extremes +-127 on both sides, zeros (pruned weights), and everything between.
    let w: [Int8] = (0..<(k * n)).map { i in
      i % 11 == 0 ? 127 : i % 13 == 0 ? -127 : i % 7 == 0 ? 0 : Int8(rng.nextInt(below: 255) - 127)
    }
    let q: [Int8] = (0..<k).map { i in i == 0 ? -127 : i == 1 ? 127 : Int8(rng.nextInt(below: 255) - 127) }
    var expected = [Int32](repeating: 0, count: n)
    q.withUnsafeBufferPointer { a in
      w.withUnsafeBufferPointer { b in
        expected.withUnsafeMutableBufferPointer { c in
          int8GemmNNReference(
            m: 1, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
        }
      }
    }
    let packed = PackedInt8Matrix(rows: k, cols: n, values: w)
    let qf = q.map { Float($0) }
    var acc = [Float](repeating: .nan, count: n)
    let ran = qf.withUnsafeBufferPointer { qp in
      acc.withUnsafeMutableBufferPointer { ap in
        packed.matvec(qp.baseAddress!, into: ap.baseAddress!)
      }
    }
    try #require(ran)
    #expect(acc == expected.map { Float($0) }, "k \(k) n \(n)")
  }

  /// The whole-window kernel quantizes h in registers; it must round exactly as the Swift path
  /// does, including values whose 127 h is exactly half-way (ties go away from zero), the clamp
  /// beyond +-1, and a tail of fewer than 16 values.
  @Test func theWholeWindowKernelQuantizesHLikeTheSwiftPath() {
    var h: [Float] = [0, -0, 1, -1, 1.5, -1.5, 0.999, -0.999, 1 / 127, -1 / 127]
    // Floats whose product with 127 is exactly k + 0.5 (a tie), for k = 0 ... 126, both signs.
    for k in 0..<127 {
      var v = (Float(k) + 0.5) / 127
      for _ in 0..<64 where v * 127 != Float(k) + 0.5 { v = v * 127 < Float(k) + 0.5 ? v.nextUp : v.nextDown }
      if v * 127 == Float(k) + 0.5 {
        h.append(v)
        h.append(-v)
      }
    }
    var rng = SeededGenerator(seed: 5)
    for _ in 0..<101 { h.append(rng.nextFloat(in: -1.1, 1.1)) }
    #expect(h.count % 16 != 0, "a tail block")
    guard let bytes = wholeWindowHiddenBytes(h) else { return }  // the kernel does not run on this processor
    let expected = h.map { UInt8(Int(quantizeSymmetric($0, inverseScale: 127)) + 128) }
    #expect(bytes == expected)
    #expect(
      h.filter {
        ($0 * 127).rounded(.towardZero) != $0 * 127 && abs(($0 * 127) - ($0 * 127).rounded(.towardZero)) == 0.5
      }.count >= 100,
      "enough exact ties")
  }
}
