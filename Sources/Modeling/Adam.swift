// Adam (Kingma & Ba 2015) in Keras 3's formulation, so the first steps match Keras exactly:
//   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2)
//   alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)         (bias correction folded into the step)
//   w -= alpha * m / (sqrt(v) + eps)                   (eps outside the corrected sqrt: "eps hat")
// Defaults as Keras: lr 1e-3, b1 0.9, b2 0.999, eps 1e-7. Everything in Float32.
//
// The trainer's step also sums the shard gradients and applies the pruning mask; all three are
// element-wise, so they run as one pass, 8 lanes at a time (16 in C with AVX-512), cut into
// contiguous pieces for the threads. Each element sees the same operations in the same order
// whatever the cut, so the result does not depend on the thread count.

import CKernels
import NumericCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public struct Adam: Sendable, Equatable {
  public var learningRate: Float
  public var beta1: Float = 0.9
  public var beta2: Float = 0.999
  public var epsilon: Float = 1e-7
  public private(set) var step = 0
  var m: [Float]
  var v: [Float]

  public init(parameterCount: Int, learningRate: Float = 1e-3) {
    self.learningRate = learningRate
    m = .init(repeating: 0, count: parameterCount)
    v = .init(repeating: 0, count: parameterCount)
  }

  /// One update of `weights` by `gradients`.
  public mutating func update(_ weights: inout [Float], gradients: [Float]) {
    precondition(weights.count == m.count && gradients.count == m.count, "Adam: size mismatch")
    gradients.withUnsafeBufferPointer { g in
      weights.withUnsafeMutableBufferPointer { w in
        update(w.baseAddress!, gradientShards: g.baseAddress!, shards: 1, mask: nil, threads: 1)
      }
    }
  }

  /// One update of the `m.count` weights at `weights` by the gradient g0 + g1 + ... (added in
  /// that order) of `shards` vectors stored one after another at `gradientShards`, then the
  /// weights multiplied by `mask` when given; on up to `threads` threads.
  /// `portable: true` keeps the step in Swift (the tests' reference for the AVX-512 one).
  public mutating func update(
    _ weights: UnsafeMutablePointer<Float>, gradientShards: UnsafePointer<Float>, shards: Int,
    mask: UnsafePointer<Float>?, threads: Int, portable: Bool = false
  ) {
    precondition(shards >= 1, "Adam: no gradient")
    step += 1
    let t = Float(step)
    let alpha = learningRate * (1 - powf(beta2, t)).squareRoot() / (1 - powf(beta1, t))
    let constants = AdamConstants(alpha: alpha, b1c: 1 - beta1, b2c: 1 - beta2, eps: epsilon)
    let n = m.count
    // Contiguous pieces of whole 8-lane groups, one per thread.
    let pieces = max(1, min(threads, n / 1024))
    let pieceSize = ((n + pieces - 1) / pieces + 7) / 8 * 8
    m.withUnsafeMutableBufferPointer { mb in
      v.withUnsafeMutableBufferPointer { vb in
        let state = AdamPointers(
          m: mb.baseAddress!, v: vb.baseAddress!, w: weights,
          g: UnsafeMutablePointer(mutating: gradientShards),
          mask: mask.map { UnsafeMutablePointer(mutating: $0) })
        Parallel.forEach(pieces, threads: threads) { piece in
          let lo = piece * pieceSize
          let hi = min(n, lo + pieceSize)
          guard lo < hi else { return }
          // 16 lanes in C where the processor has AVX-512: the same operations, bit for bit.
          if !portable
            && tc_adam_avx512(
              state.g, Int32(n), Int32(shards), state.mask, state.m, state.v, state.w, Int32(lo), Int32(hi),
              constants.alpha, constants.b1c, constants.b2c, constants.eps) != 0
          {
            return
          }
          adamStep(state, range: lo..<hi, count: n, shards: shards, constants)
        }
      }
    }
  }
}

struct AdamConstants { let alpha, b1c, b2c, eps: Float }

struct AdamPointers: @unchecked Sendable {
  let m, v, w, g: UnsafeMutablePointer<Float>
  let mask: UnsafeMutablePointer<Float>?
}

/// Elements `range` of the summed gradient, the moments and the weights: SIMD8 over whole groups
/// of eight, then the same arithmetic one lane at a time.
@inline(__always)
func adamStep(_ p: AdamPointers, range: Range<Int>, count n: Int, shards: Int, _ k: AdamConstants) {
  var i = range.lowerBound
  while i + 8 <= range.upperBound {
    var g = load8(p.g + i)
    for s in 1..<shards { g += load8(p.g + s * n + i) }
    var m = load8(p.m + i)
    var v = load8(p.v + i)
    m += (g - m) * k.b1c
    v += (g * g - v) * k.b2c
    var w = load8(p.w + i) - (m * k.alpha) / (v.squareRoot() + k.eps)
    if let mask = p.mask { w *= load8(mask + i) }
    store8(m, p.m + i)
    store8(v, p.v + i)
    store8(w, p.w + i)
    i += 8
  }
  while i < range.upperBound {
    var g = p.g[i]
    for s in 1..<shards { g += p.g[s * n + i] }
    p.m[i] += (g - p.m[i]) * k.b1c
    p.v[i] += (g * g - p.v[i]) * k.b2c
    p.w[i] -= (p.m[i] * k.alpha) / (p.v[i].squareRoot() + k.eps)
    if let mask = p.mask { p.w[i] *= mask[i] }
    i += 1
  }
}
