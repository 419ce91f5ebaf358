// GEMM: C (+)= op(A) * op(B) on row-major Float buffers, a slow reference beside each fast kernel.
//
// The three shapes the LSTM needs (with B batch rows, H hidden units, G = 4H gate columns):
//   gemmNN  C[M,N] += A[M,K] * B[K,N]      gates  = h * Wh          (forward)
//   gemmNT  C[M,N] += A[M,K] * B[N,K]^T    dh     = dGates * Wh^T   (backward to the state)
//   gemmTN  C[M,N] += A[K,M]^T * B[K,N]    dWh   += h^T * dGates    (backward to the weights)
//
// Determinism contract: every output element is computed by the same sequence of operations
// whatever M is and however rows are blocked, so a batch split into shards (or evaluated one
// window at a time) gives bit-identical rows. In all three shapes each element is a chain of
// fused multiply-adds in increasing k (NT runs as NN on B transposed).

import CKernels

public typealias FloatPointer = UnsafePointer<Float>
public typealias MutableFloatPointer = UnsafeMutablePointer<Float>

@inlinable @inline(__always) public func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
  UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inlinable @inline(__always) public func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

// MARK: - The register tile shared by NN and TN

/// Four rows x 16 columns of C held in eight SIMD registers. `addOuterProduct` adds
/// (a0..a3) x B[p, j..<j+16], one fused multiply-add per element.
struct Tile4x16 {
  var r00, r01, r10, r11, r20, r21, r30, r31: SIMD8<Float>

  @inline(__always) init(_ c0: FloatPointer, _ c1: FloatPointer, _ c2: FloatPointer, _ c3: FloatPointer) {
    r00 = load8(c0)
    r01 = load8(c0 + 8)
    r10 = load8(c1)
    r11 = load8(c1 + 8)
    r20 = load8(c2)
    r21 = load8(c2 + 8)
    r30 = load8(c3)
    r31 = load8(c3 + 8)
  }

  @inline(__always) mutating func addOuterProduct(
    _ a0: Float, _ a1: Float, _ a2: Float, _ a3: Float, _ bRow: FloatPointer
  ) {
    let b0 = load8(bRow)
    let b1 = load8(bRow + 8)
    let s0 = SIMD8<Float>(repeating: a0)
    let s1 = SIMD8<Float>(repeating: a1)
    let s2 = SIMD8<Float>(repeating: a2)
    let s3 = SIMD8<Float>(repeating: a3)
    r00.addProduct(s0, b0)
    r01.addProduct(s0, b1)
    r10.addProduct(s1, b0)
    r11.addProduct(s1, b1)
    r20.addProduct(s2, b0)
    r21.addProduct(s2, b1)
    r30.addProduct(s3, b0)
    r31.addProduct(s3, b1)
  }

  @inline(__always) func store(
    _ c0: MutableFloatPointer, _ c1: MutableFloatPointer, _ c2: MutableFloatPointer, _ c3: MutableFloatPointer
  ) {
    store8(r00, c0)
    store8(r01, c0 + 8)
    store8(r10, c1)
    store8(r11, c1 + 8)
    store8(r20, c2)
    store8(r21, c2 + 8)
    store8(r30, c3)
    store8(r31, c3 + 8)
  }
}

// MARK: - NN: C[M,N] += A[M,K] * B[K,N]

/// Fast NN kernel. Rows of C are produced four at a time with 4 x 16 register tiles, so each row
/// of B loaded from cache serves four rows of A. `accumulate: false` overwrites C.
/// Where the processor has AVX2 or AVX-512 the same chains run in C (CKernels/gemm_avx2.c,
/// gemm.c) with tiles that fill its registers; `kernels` limits the width (`.portable` keeps this
/// Swift SIMD code; the tests check every width against the reference).
public func gemmNN(
  m: Int, n: Int, k: Int,
  a: FloatPointer, lda: Int, b: FloatPointer, ldb: Int,
  c: MutableFloatPointer, ldc: Int, accumulate: Bool, kernels: KernelWidth = .widest
) {
  if tc_gemm_nn(
    kernels.bits, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc), accumulate ? 1 : 0)
    != TC_PORTABLE
  {
    return
  }
  if !accumulate {
    for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
  }
  var i = 0
  while i + 4 <= m {
    let a0 = a + i * lda
    let a1 = a0 + lda
    let a2 = a1 + lda
    let a3 = a2 + lda
    let c0 = c + i * ldc
    let c1 = c0 + ldc
    let c2 = c1 + ldc
    let c3 = c2 + ldc
    var j = 0
    while j + 16 <= n {
      var tile = Tile4x16(c0 + j, c1 + j, c2 + j, c3 + j)
      var bp = b + j
      for p in 0..<k {
        tile.addOuterProduct(a0[p], a1[p], a2[p], a3[p], bp)
        bp += ldb
      }
      tile.store(c0 + j, c1 + j, c2 + j, c3 + j)
      j += 16
    }
    if j < n {
      for r in 0..<4 { gemmNNRowTail(n: n, from: j, k: k, a: a + (i + r) * lda, b: b, ldb: ldb, c: c + (i + r) * ldc) }
    }
    i += 4
  }
  while i < m {
    gemmNNRowTail(n: n, from: 0, k: k, a: a + i * lda, b: b, ldb: ldb, c: c + i * ldc)
    i += 1
  }
}

/// One row of C from column `from` on: the same per-element FMA chain as the 4 x 16 tile.
/// 64 columns at a time keep eight independent FMA chains in flight, which is what a single
/// forecast (batch 1, an edge device's case) needs to avoid waiting on FMA latency.
@inline(__always)
func gemmNNRowTail(
  n: Int, from: Int, k: Int, a: FloatPointer, b: FloatPointer, ldb: Int,
  c: MutableFloatPointer
) {
  var j = from
  while j + 64 <= n {
    var r0 = load8(c + j)
    var r1 = load8(c + j + 8)
    var r2 = load8(c + j + 16)
    var r3 = load8(c + j + 24)
    var r4 = load8(c + j + 32)
    var r5 = load8(c + j + 40)
    var r6 = load8(c + j + 48)
    var r7 = load8(c + j + 56)
    var bp = b + j
    for p in 0..<k {
      let s = SIMD8<Float>(repeating: a[p])
      r0.addProduct(s, load8(bp))
      r1.addProduct(s, load8(bp + 8))
      r2.addProduct(s, load8(bp + 16))
      r3.addProduct(s, load8(bp + 24))
      r4.addProduct(s, load8(bp + 32))
      r5.addProduct(s, load8(bp + 40))
      r6.addProduct(s, load8(bp + 48))
      r7.addProduct(s, load8(bp + 56))
      bp += ldb
    }
    store8(r0, c + j)
    store8(r1, c + j + 8)
    store8(r2, c + j + 16)
    store8(r3, c + j + 24)
    store8(r4, c + j + 32)
    store8(r5, c + j + 40)
    store8(r6, c + j + 48)
    store8(r7, c + j + 56)
    j += 64
  }
  while j + 8 <= n {
    var r = load8(c + j)
    var bp = b + j
    for p in 0..<k {
      r.addProduct(SIMD8<Float>(repeating: a[p]), load8(bp))
      bp += ldb
    }
    store8(r, c + j)
    j += 8
  }
  while j < n {
    var r = c[j]
    for p in 0..<k { r.addProduct(a[p], b[p * ldb + j]) }
    c[j] = r
    j += 1
  }
}

/// Reference NN: the textbook triple loop, one fused multiply-add per term in increasing k.
public func gemmNNReference(
  m: Int, n: Int, k: Int,
  a: FloatPointer, lda: Int, b: FloatPointer, ldb: Int,
  c: MutableFloatPointer, ldc: Int, accumulate: Bool
) {
  for i in 0..<m {
    for j in 0..<n {
      var sum: Float = accumulate ? c[i * ldc + j] : 0
      for p in 0..<k { sum.addProduct(a[i * lda + p], b[p * ldb + j]) }
      c[i * ldc + j] = sum
    }
  }
}

// MARK: - NT: C[M,N] += A[M,K] * B[N,K]^T

/// NT as NN on B transposed: each element the same FMA chain in increasing k as NN (starting
/// from C when accumulating), so it runs on the NN kernels, whose register tiles reuse every load
/// of B across several rows. The LSTM's backward (dh = dz Wh^T) keeps Wh^T in its scratch and calls
/// `gemmNN` itself; this entry point transposes B into a temporary for other callers.
public func gemmNT(
  m: Int, n: Int, k: Int,
  a: FloatPointer, lda: Int, b: FloatPointer, ldb: Int,
  c: MutableFloatPointer, ldc: Int, accumulate: Bool, kernels: KernelWidth = .widest
) {
  var bt = [Float](repeating: 0, count: k * n)
  bt.withUnsafeMutableBufferPointer { bt in
    transpose(rows: n, cols: k, b, ld: ldb, into: bt.baseAddress!)
    gemmNN(
      m: m, n: n, k: k, a: a, lda: lda, b: bt.baseAddress!, ldb: n, c: c, ldc: ldc, accumulate: accumulate,
      kernels: kernels)
  }
}

/// out[c * rows + r] = x[r * ld + c]: a [rows, cols] matrix (row stride `ld`) transposed into a
/// dense [cols, rows] one, in 8 x 8 blocks (CKernels' tc_transpose; it only moves values).
@inlinable
public func transpose(rows: Int, cols: Int, _ x: FloatPointer, ld: Int, into out: MutableFloatPointer) {
  tc_transpose(Int32(rows), Int32(cols), x, Int32(ld), out)
}

/// Dot product in eight lanes (then the lanes summed 0 to 7, then the tail): the Dense layer's
/// output, the same arithmetic in every path that computes it.
@inlinable @inline(__always) public func dot(_ k: Int, _ x: FloatPointer, _ y: FloatPointer) -> Float {
  var s = SIMD8<Float>()
  var p = 0
  while p + 8 <= k {
    s.addProduct(load8(x + p), load8(y + p))
    p += 8
  }
  var d = s.sum()
  while p < k {
    d.addProduct(x[p], y[p])
    p += 1
  }
  return d
}

/// Reference NT: textbook triple loop, one fused multiply-add per term in increasing k.
public func gemmNTReference(
  m: Int, n: Int, k: Int,
  a: FloatPointer, lda: Int, b: FloatPointer, ldb: Int,
  c: MutableFloatPointer, ldc: Int, accumulate: Bool
) {
  for i in 0..<m {
    for j in 0..<n {
      var sum: Float = accumulate ? c[i * ldc + j] : 0
      for p in 0..<k { sum.addProduct(a[i * lda + p], b[j * ldb + p]) }
      c[i * ldc + j] = sum
    }
  }
}

// MARK: - TN: C[M,N] += A[K,M]^T * B[K,N]

/// Fast TN kernel: for each k, rank-1 update of C by row k of A (as a column) and row k of B.
/// Each element of C is a FMA chain in increasing k, as in the reference.
public func gemmTN(
  m: Int, n: Int, k: Int,
  a: FloatPointer, lda: Int, b: FloatPointer, ldb: Int,
  c: MutableFloatPointer, ldc: Int, accumulate: Bool, kernels: KernelWidth = .widest
) {
  if tc_gemm_tn(
    kernels.bits, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc), accumulate ? 1 : 0)
    != TC_PORTABLE
  {
    return
  }
  if !accumulate {
    for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
  }
  // 4 rows of C x 16 columns in registers, streaming over k.
  var i = 0
  while i + 4 <= m {
    let c0 = c + i * ldc
    let c1 = c0 + ldc
    let c2 = c1 + ldc
    let c3 = c2 + ldc
    var j = 0
    while j + 16 <= n {
      var tile = Tile4x16(c0 + j, c1 + j, c2 + j, c3 + j)
      for p in 0..<k {
        let ap = a + p * lda + i
        tile.addOuterProduct(ap[0], ap[1], ap[2], ap[3], b + p * ldb + j)
      }
      tile.store(c0 + j, c1 + j, c2 + j, c3 + j)
      j += 16
    }
    if j < n {
      for r in 0..<4 {
        gemmTNRowTail(row: i + r, n: n, from: j, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c + (i + r) * ldc)
      }
    }
    i += 4
  }
  while i < m {
    gemmTNRowTail(row: i, n: n, from: 0, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c + i * ldc)
    i += 1
  }
}

@inline(__always)
func gemmTNRowTail(
  row: Int, n: Int, from: Int, k: Int, a: FloatPointer, lda: Int,
  b: FloatPointer, ldb: Int, c: MutableFloatPointer
) {
  var j = from
  while j + 8 <= n {
    var r = load8(c + j)
    for p in 0..<k { r.addProduct(SIMD8<Float>(repeating: a[p * lda + row]), load8(b + p * ldb + j)) }
    store8(r, c + j)
    j += 8
  }
  while j < n {
    var r = c[j]
    for p in 0..<k { r.addProduct(a[p * lda + row], b[p * ldb + j]) }
    c[j] = r
    j += 1
  }
}

/// Reference TN: textbook triple loop in increasing k.
public func gemmTNReference(
  m: Int, n: Int, k: Int,
  a: FloatPointer, lda: Int, b: FloatPointer, ldb: Int,
  c: MutableFloatPointer, ldc: Int, accumulate: Bool
) {
  for i in 0..<m {
    for j in 0..<n {
      var sum: Float = accumulate ? c[i * ldc + j] : 0
      for p in 0..<k { sum.addProduct(a[p * lda + i], b[p * ldb + j]) }
      c[i * ldc + j] = sum
    }
  }
}

// MARK: - Matrix-level convenience

/// `c = op(a) * op(b)` (or `+=` with `accumulate`) on `Matrix` values, dispatching to the fast
/// kernels. `reference: true` uses the slow oracle instead; `kernels` limits the width of the fast
/// ones (`.portable`: the Swift SIMD kernels even where C ones run).
public func gemm(
  _ a: Matrix, _ b: Matrix, into c: inout Matrix, transposeA: Bool = false, transposeB: Bool = false,
  accumulate: Bool = false, reference: Bool = false, kernels: KernelWidth = .widest
) {
  let m = transposeA ? a.cols : a.rows
  let k = transposeA ? a.rows : a.cols
  let kb = transposeB ? b.cols : b.rows
  let n = transposeB ? b.rows : b.cols
  precondition(
    k == kb && c.rows == m && c.cols == n,
    "gemm: op(A) \(m)x\(k) * op(B) \(kb)x\(n) does not fit C \(c.rows)x\(c.cols)")
  a.storage.withUnsafeBufferPointer { ap in
    b.storage.withUnsafeBufferPointer { bp in
      c.storage.withUnsafeMutableBufferPointer { cp in
        let (A, B, C) = (ap.baseAddress!, bp.baseAddress!, cp.baseAddress!)
        switch (transposeA, transposeB, reference) {
        case (false, false, false):
          gemmNN(
            m: m, n: n, k: k, a: A, lda: a.cols, b: B, ldb: b.cols, c: C, ldc: n, accumulate: accumulate,
            kernels: kernels)
        case (false, false, true):
          gemmNNReference(m: m, n: n, k: k, a: A, lda: a.cols, b: B, ldb: b.cols, c: C, ldc: n, accumulate: accumulate)
        case (false, true, false):
          gemmNT(
            m: m, n: n, k: k, a: A, lda: a.cols, b: B, ldb: b.cols, c: C, ldc: n, accumulate: accumulate,
            kernels: kernels)
        case (false, true, true):
          gemmNTReference(m: m, n: n, k: k, a: A, lda: a.cols, b: B, ldb: b.cols, c: C, ldc: n, accumulate: accumulate)
        case (true, false, false):
          gemmTN(
            m: m, n: n, k: k, a: A, lda: a.cols, b: B, ldb: b.cols, c: C, ldc: n, accumulate: accumulate,
            kernels: kernels)
        case (true, false, true):
          gemmTNReference(m: m, n: n, k: k, a: A, lda: a.cols, b: B, ldb: b.cols, c: C, ldc: n, accumulate: accumulate)
        case (true, true, _):
          preconditionFailure("gemm: A^T * B^T is not needed by any layer")
        }
      }
    }
  }
}
