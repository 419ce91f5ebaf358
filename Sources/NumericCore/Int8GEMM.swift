// Int8 GEMM: C[M,N] (Int32) = A[M,K] (Int8) * B[K,N] (Int8), the integer inference path's
// kernel (Jacob et al. 2018: int8 x int8 products accumulated in int32). Integer sums are exact,
// so the fast kernel must equal its reference bit for bit, in any order.
// |C| <= 127 * 127 * K, which fits Int32 for K < 133,000.

import CKernels

/// Fast kernel: for each row, skips zero entries of A (pruned or small activations) and adds
/// A[i,p] * B[p, :] eight lanes at a time, widening Int8 to Int32.
public func int8GemmNN(
  m: Int, n: Int, k: Int,
  a: UnsafePointer<Int8>, lda: Int, b: UnsafePointer<Int8>, ldb: Int,
  c: UnsafeMutablePointer<Int32>, ldc: Int
) {
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
      while j < n {
        cr[j] &+= av &* Int32(br[j])
        j += 1
      }
    }
  }
}

/// Reference: the textbook triple loop in Int32.
public func int8GemmNNReference(
  m: Int, n: Int, k: Int,
  a: UnsafePointer<Int8>, lda: Int, b: UnsafePointer<Int8>, ldb: Int,
  c: UnsafeMutablePointer<Int32>, ldc: Int
) {
  for i in 0..<m {
    for j in 0..<n {
      var sum: Int32 = 0
      for p in 0..<k { sum += Int32(a[i * lda + p]) * Int32(b[p * ldb + j]) }
      c[i * ldc + j] = sum
    }
  }
}

/// Round to nearest, ties away from zero (C's roundf), then clamp to [-127, 127].
@inlinable @inline(__always) public func quantizeSymmetric(_ x: Float, inverseScale: Float) -> Int8 {
  let r = (x * inverseScale).rounded(.toNearestOrAwayFromZero)
  return Int8(max(-127, min(127, r)))
}

// MARK: - The one-window integer product (h x Wh), packed for int8 dot-product instructions

/// An int8 [rows, cols] matrix packed for the VNNI product: groups of four rows interleaved per column,
/// as AVX-512 VNNI's `vpdpbusd` reads them, with the column sums its unsigned offset needs.
public struct PackedInt8Matrix: Sendable, Equatable {
  public let rows: Int, cols: Int
  let packed: [Int8], offset: [Int32]

  /// `values` row-major [rows, cols].
  public init(rows: Int, cols: Int, values: [Int8]) {
    precondition(
      values.count == rows * cols && rows <= 1040, "PackedInt8Matrix: \(values.count) values for \(rows)x\(cols)")
    self.rows = rows
    self.cols = cols
    var packed = [Int8](repeating: 0, count: (rows + 3) / 4 * 4 * cols)
    var offset = [Int32](repeating: 0, count: cols)
    values.withUnsafeBufferPointer { w in
      packed.withUnsafeMutableBufferPointer { p in
        offset.withUnsafeMutableBufferPointer { o in
          tc_int8_pack(Int32(rows), Int32(cols), w.baseAddress!, p.baseAddress!, o.baseAddress!)
        }
      }
    }
    self.packed = packed
    self.offset = offset
  }

  /// acc[j] = sum_k q[k] * W[k, j], exact, for `q` whole numbers in [-127, 127] held as floats;
  /// written as floats by the VNNI product the whole-window int8 kernel runs at each step. False,
  /// with nothing written, where that kernel does not run: for the tests, which hold it to
  /// `int8GemmNNReference`.
  public func matvec(_ q: UnsafePointer<Float>, into acc: UnsafeMutablePointer<Float>) -> Bool {
    packed.withUnsafeBufferPointer { p in
      offset.withUnsafeBufferPointer { o in
        tc_int8_matvec(Int32(rows), Int32(cols), q, p.baseAddress!, o.baseAddress!, acc) != 0
      }
    }
  }

  /// The packed bytes and the column offsets, for kernels that run whole LSTM steps.
  public func withPackedStorage<R>(_ body: (UnsafePointer<Int8>, UnsafePointer<Int32>) -> R) -> R {
    packed.withUnsafeBufferPointer { p in offset.withUnsafeBufferPointer { o in body(p.baseAddress!, o.baseAddress!) } }
  }

  /// Whether the integer kernels run here (AVX-512 VNNI), for the benchmark's report and the tests.
  public static var usesVNNI: Bool { tc_vnni() == 1 }
}

/// The whole-window int8 kernel's step from h to the next product's bytes (round(127 h) + 128,
/// ties away from zero, clamped to +-127), or nil where that kernel does not run: for the tests,
/// which hold it to `quantizeSymmetric(h, inverseScale: 127)`.
public func wholeWindowHiddenBytes(_ h: [Float]) -> [UInt8]? {
  var bytes = [UInt8](repeating: 0, count: h.count)
  let ran = h.withUnsafeBufferPointer { hp in
    bytes.withUnsafeMutableBufferPointer { bp in
      tc_int8_hidden_bytes(Int32(hp.count), hp.baseAddress!, bp.baseAddress!) != 0
    }
  }
  return ran ? bytes : nil
}
