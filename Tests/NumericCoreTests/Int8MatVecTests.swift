import Testing
import NumericCore

/// The one-window integer product: the VNNI kernel (where this processor has it), its portable C
/// path and the textbook int32 triple loop agree exactly; sums of integers have no rounding.
@Suite struct Int8MatVecTests {
  @Test(arguments: [(1, 1), (3, 5), (32, 128), (64, 256), (16, 64), (13, 200), (12, 48), (130, 20)])
  func everyPathEqualsTheInt32Reference(k: Int, n: Int) {
    var rng = SeededGenerator(seed: UInt64(k * 1000 + n))
    // The extremes +-127 on both sides, zeros (pruned weights), and everything between.
    let w: [Int8] = (0..<(k * n)).map { i in i % 11 == 0 ? 127 : i % 13 == 0 ? -127 : i % 7 == 0 ? 0 : Int8(rng.nextInt(below: 255) - 127) }
    let q: [Int8] = (0..<k).map { i in i == 0 ? -127 : i == 1 ? 127 : Int8(rng.nextInt(below: 255) - 127) }
    var expected = [Int32](repeating: 0, count: n)
    q.withUnsafeBufferPointer { a in w.withUnsafeBufferPointer { b in expected.withUnsafeMutableBufferPointer { c in
      int8GemmNNReference(m: 1, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
    }}}
    let packed = PackedInt8Matrix(rows: k, cols: n, values: w)
    let qf = q.map { Float($0) }
    for portable in [false, true] {
      var acc = [Float](repeating: .nan, count: n)
      qf.withUnsafeBufferPointer { qp in acc.withUnsafeMutableBufferPointer { ap in
        packed.matvec(qp.baseAddress!, into: ap.baseAddress!, portable: portable)
      }}
      #expect(acc == expected.map { Float($0) }, "k \(k) n \(n) portable \(portable) (VNNI here: \(PackedInt8Matrix.usesVNNI))")
    }
  }
}
