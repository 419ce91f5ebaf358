import NumericCore
import Testing

@Suite struct GEMMTests {
  func random(_ rows: Int, _ cols: Int, _ rng: inout SeededGenerator) -> Matrix {
    var m = Matrix(rows: rows, cols: cols)
    for k in 0..<m.count { m.storage[k] = rng.nextFloat(in: -1, 1) }
    return m
  }

  /// NN and TN compute each element as the same FMA chain as the reference: bit-identical.
  @Test(arguments: [
    (1, 1, 1), (3, 5, 2), (17, 33, 9), (4, 16, 64), (65, 256, 64), (16, 256, 1), (5, 7, 130),
    (1, 256, 64), (1, 200, 33), (6, 47, 5), (224, 256, 16), (7, 24, 3), (14, 80, 11), (64, 256, 224), (3, 65, 7),
    (30, 40, 300), (25, 17, 513),
  ])
  func nnAndTNEqualReferenceExactly(m: Int, n: Int, k: Int) {
    var rng = SeededGenerator(seed: UInt64(m * 1000 + n * 10 + k))
    let a = random(m, k, &rng)
    let b = random(k, n, &rng)
    let at = a.transposed()
    // Every fast path this processor runs: the Swift SIMD kernels, the AVX2 and the AVX-512 ones.
    for accumulate in [false, true] {
      for kernels in KernelWidth.available {
        let start = random(m, n, &rng)
        var fast = start
        var slow = start
        gemm(a, b, into: &fast, accumulate: accumulate, kernels: kernels)
        gemm(a, b, into: &slow, accumulate: accumulate, reference: true)
        #expect(fast == slow, "NN \(m)x\(n)x\(k) accumulate \(accumulate) kernels \(kernels)")
        var fastT = start
        var slowT = start
        gemm(at, b, into: &fastT, transposeA: true, accumulate: accumulate, kernels: kernels)
        gemm(at, b, into: &slowT, transposeA: true, accumulate: accumulate, reference: true)
        #expect(fastT == slowT, "TN \(m)x\(n)x\(k) accumulate \(accumulate) kernels \(kernels)")
      }
    }
  }

  /// NT runs as NN on B transposed: each element the reference's FMA chain, bit for bit, on
  /// every width of kernels this processor runs.
  @Test(arguments: [
    (1, 1, 1), (3, 5, 2), (17, 33, 9), (16, 64, 256), (5, 7, 130), (16, 32, 128), (15, 16, 64), (2, 12, 48),
  ])
  func ntEqualsReferenceExactly(m: Int, n: Int, k: Int) {
    var rng = SeededGenerator(seed: UInt64(m + n + k))
    let a = random(m, k, &rng)
    let b = random(n, k, &rng)
    for accumulate in [false, true] {
      for kernels in KernelWidth.available {
        let start = random(m, n, &rng)
        var fast = start
        var slow = start
        gemm(a, b, into: &fast, transposeB: true, accumulate: accumulate, kernels: kernels)
        gemm(a, b, into: &slow, transposeB: true, accumulate: accumulate, reference: true)
        #expect(
          fast.storage.map(\.bitPattern) == slow.storage.map(\.bitPattern),
          "NT \(m)x\(n)x\(k) accumulate \(accumulate) kernels \(kernels)")
      }
    }
  }

  /// Rows do not depend on how many rows are computed together (shards give identical rows).
  /// The blocked transpose puts every element where the element-by-element definition does,
  /// blocks and edges alike, and writes nothing past the [cols, rows] result.
  @Test(arguments: [(1, 1, 1), (8, 8, 8), (64, 256, 256), (13, 37, 40), (9, 8, 11), (8, 17, 17), (3, 100, 120)])
  func transposeMovesEveryElement(rows: Int, cols: Int, ld: Int) {
    let x = (0..<(rows * ld)).map { Float($0) }
    var out = [Float](repeating: -1, count: rows * cols + 8)
    x.withUnsafeBufferPointer { xb in
      out.withUnsafeMutableBufferPointer {
        transpose(rows: rows, cols: cols, xb.baseAddress!, ld: ld, into: $0.baseAddress!)
      }
    }
    for r in 0..<rows {
      for c in 0..<cols where out[c * rows + r] != x[r * ld + c] {
        Issue.record("[\(r), \(c)] -> \(out[c * rows + r]), expected \(x[r * ld + c])")
        return
      }
    }
    #expect(out[(rows * cols)...].allSatisfy { $0 == -1 })
  }

  @Test func rowsIndependentOfBatch() {
    var rng = SeededGenerator(seed: 9)
    let a = random(13, 64, &rng)
    let b = random(64, 256, &rng)
    var whole = Matrix(rows: 13, cols: 256)
    gemm(a, b, into: &whole)
    for r in 0..<13 {
      let row = Matrix(rows: 1, cols: 64, storage: Array(a.storage[(r * 64)..<((r + 1) * 64)]))
      var one = Matrix(rows: 1, cols: 256)
      gemm(row, b, into: &one)
      #expect(one.storage == Array(whole.storage[(r * 256)..<((r + 1) * 256)]))
    }
  }

  @Test func handComputedProduct() {
    let a = Matrix(rows: 2, cols: 3, storage: [1, 2, 3, 4, 5, 6])
    let b = Matrix(rows: 3, cols: 2, storage: [7, 8, 9, 10, 11, 12])
    var c = Matrix(rows: 2, cols: 2)
    gemm(a, b, into: &c)
    #expect(c.storage == [58, 64, 139, 154])
  }
}
