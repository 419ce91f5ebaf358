import NumericCore
import Testing

@Suite struct RandomTests {
  @Test func sameSeedSameStreamDifferentSeedDifferentStream() {
    var a = SeededGenerator(seed: 42)
    var b = SeededGenerator(seed: 42)
    var c = SeededGenerator(seed: 43)
    let xa = (0..<100).map { _ in a.next() }
    let xb = (0..<100).map { _ in b.next() }
    let xc = (0..<100).map { _ in c.next() }
    #expect(xa == xb)
    #expect(xa != xc)
  }

  @Test func unitFloatIsInRangeWithMeanHalf() {
    var g = SeededGenerator(seed: 1)
    var sum = 0.0
    for _ in 0..<100_000 {
      let u = g.nextUnitFloat()
      #expect(u >= 0 && u < 1)
      sum += Double(u)
    }
    #expect(abs(sum / 100_000 - 0.5) < 0.01)
  }

  @Test func boundedIntegersCoverTheRangeEvenly() {
    var g = SeededGenerator(seed: 2)
    var counts = [Int](repeating: 0, count: 7)
    for _ in 0..<70_000 { counts[g.nextInt(below: 7)] += 1 }
    #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
  }

  @Test func shuffleIsAPermutation() {
    var g = SeededGenerator(seed: 3)
    var a = Array(0..<1000)
    g.shuffle(&a)
    #expect(a != Array(0..<1000))
    #expect(a.sorted() == Array(0..<1000))
  }

  @Test func normalHasUnitVariance() {
    var g = SeededGenerator(seed: 4)
    let xs = (0..<50_000).map { _ in g.nextNormal() }
    let mean = xs.reduce(0, +) / 50_000
    let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 50_000
    #expect(abs(mean) < 0.02)
    #expect(abs(variance - 1) < 0.03)
  }

  @Test(arguments: [(4, 16), (16, 4), (8, 8), (3, 12)])
  func orthogonalHasOrthonormalRowsOrColumns(rows: Int, cols: Int) {
    var g = SeededGenerator(seed: 5)
    let q = orthogonal(rows: rows, cols: cols, rng: &g)
    // Wide: Q Q^T = I; tall: Q^T Q = I.
    let wide = rows <= cols
    var gram = Matrix(rows: wide ? rows : cols, cols: wide ? rows : cols)
    if wide {
      gemm(q, q, into: &gram, transposeB: true, reference: true)
    } else {
      gemm(q, q, into: &gram, transposeA: true, reference: true)
    }
    for i in 0..<gram.rows { for j in 0..<gram.cols { #expect(abs(gram[i, j] - (i == j ? 1 : 0)) < 1e-5) } }
  }

  @Test func glorotUniformStaysWithinItsLimit() {
    var g = SeededGenerator(seed: 6)
    let m = glorotUniform(rows: 64, cols: 256, rng: &g)
    let limit = Float((6.0 / 320).squareRoot())
    #expect(m.storage.allSatisfy { abs($0) <= limit })
    #expect(m.storage.map { abs($0) }.max()! > 0.9 * limit)
  }
}
