// Int8 GEMM: C[M,N] (Int32) = A[M,K] (Int8) * B[K,N] (Int8), the integer inference path's
// kernel (Jacob et al. 2018: int8 x int8 products accumulated in int32). Integer sums are exact,
// so the fast kernel must equal its reference bit for bit, in any order.
// |C| <= 127 * 127 * K, which fits Int32 for K < 133,000.

/// Fast kernel: for each row, skips zero entries of A (pruned or small activations) and adds
/// A[i,p] * B[p, :] eight lanes at a time, widening Int8 to Int32.
public func int8GemmNN(m: Int, n: Int, k: Int,
                       a: UnsafePointer<Int8>, lda: Int, b: UnsafePointer<Int8>, ldb: Int,
                       c: UnsafeMutablePointer<Int32>, ldc: Int) {
  for i in 0..<m {
    let cr = c + i * ldc
    cr.update(repeating: 0, count: n)
    for p in 0..<k {
      let av = Int32(a[i * lda + p])
      if av == 0 { continue }
      let s = SIMD8<Int32>(repeating: av)
      let br = b + p * ldb
      var j = 0
      while j + 8 <= n {
        let bv = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(br + j).loadUnaligned(as: SIMD8<Int8>.self))
        var cv = UnsafeRawPointer(cr + j).loadUnaligned(as: SIMD8<Int32>.self)
        cv &+= s &* bv
        UnsafeMutableRawPointer(cr + j).storeBytes(of: cv, as: SIMD8<Int32>.self)
        j += 8
      }
      while j < n { cr[j] &+= av &* Int32(br[j]); j += 1 }
    }
  }
}

/// Reference: the textbook triple loop in Int32.
public func int8GemmNNReference(m: Int, n: Int, k: Int,
                                a: UnsafePointer<Int8>, lda: Int, b: UnsafePointer<Int8>, ldb: Int,
                                c: UnsafeMutablePointer<Int32>, ldc: Int) {
  for i in 0..<m {
    for j in 0..<n {
      var sum: Int32 = 0
      for p in 0..<k { sum += Int32(a[i * lda + p]) * Int32(b[p * ldb + j]) }
      c[i * ldc + j] = sum
    }
  }
}

/// Round to nearest, ties away from zero (C's roundf), then clamp to [-127, 127].
@inline(__always) public func quantizeSymmetric(_ x: Float, inverseScale: Float) -> Int8 {
  let r = (x * inverseScale).rounded(.toNearestOrAwayFromZero)
  return Int8(max(-127, min(127, r)))
}
