// Adam (Kingma & Ba 2015) in Keras 3's formulation, so the first steps match Keras exactly:
//   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2)
//   alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)         (bias correction folded into the step)
//   w -= alpha * m / (sqrt(v) + eps)                   (eps outside the corrected sqrt: "eps hat")
// Defaults as Keras: lr 1e-3, b1 0.9, b2 0.999, eps 1e-7. Everything in Float32.
//
// The trainer's step also sums the shard gradients and applies the pruning mask; all three are
// element-wise, so they run as one pass, 8 lanes at a time (in C with AVX2, 16 with AVX-512), cut into
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
  /// `kernels: .portable` keeps the step in Swift (the tests' reference for the C ones).
  public mutating func update(
    _ weights: UnsafeMutablePointer<Float>, gradientShards: UnsafePointer<Float>, shards: Int,
    mask: UnsafePointer<Float>?, threads: Int, kernels: KernelWidth = .widest
  ) {
    let n = m.count
    // Contiguous pieces of whole 8-lane groups, one per thread.
    let pieces = max(1, min(threads, n / 1024))
    withStep(
      from: weights, into: weights, gradientShards: gradientShards, shards: shards, mask: mask, kernels: kernels
    ) { step in
      Parallel.forEach(pieces, threads: threads) { piece in step.apply(piece: piece, of: pieces) }
    }
  }

  /// Prepares the next step and hands it to `body`, which applies it to every element, in pieces
  /// on any threads in any order (`AdamStep.apply`): the weights at `weights` minus the step go
  /// to `out` (which may be `weights`), times `mask` when given.
  public mutating func withStep<R>(
    from weights: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, gradientShards: UnsafePointer<Float>,
    shards: Int, mask: UnsafePointer<Float>?, kernels: KernelWidth = .widest, _ body: (AdamStep) -> R
  ) -> R {
    precondition(shards >= 1, "Adam: no gradient")
    step += 1
    let t = Float(step)
    let alpha = learningRate * (1 - powf(beta2, t)).squareRoot() / (1 - powf(beta1, t))
    let constants = AdamConstants(alpha: alpha, b1c: 1 - beta1, b2c: 1 - beta2, eps: epsilon)
    let n = m.count
    return m.withUnsafeMutableBufferPointer { mb in
      v.withUnsafeMutableBufferPointer { vb in
        body(
          AdamStep(
            pointers: AdamPointers(
              m: mb.baseAddress!, v: vb.baseAddress!, w: UnsafeMutablePointer(mutating: weights), out: out,
              g: UnsafeMutablePointer(mutating: gradientShards), mask: mask.map { UnsafeMutablePointer(mutating: $0) }),
            count: n, shards: shards, constants: constants, kernels: kernels))
      }
    }
  }
}

/// One prepared Adam step (`Adam.withStep`). Its pointers live only inside `withStep`'s body.
public struct AdamStep: @unchecked Sendable {
  let pointers: AdamPointers
  let count: Int
  let shards: Int
  let constants: AdamConstants
  let kernels: KernelWidth

  /// Elements `range` of the step: in C where the processor has AVX2 (8 lanes) or AVX-512 (16),
  /// the same operations bit for bit, else 8 lanes in Swift.
  public func apply(_ range: Range<Int>) {
    guard !range.isEmpty else { return }
    let p = pointers
    let k = constants
    if tc_adam(
      kernels.bits, p.g, Int32(count), Int32(shards), p.mask, p.m, p.v, p.w, p.out, Int32(range.lowerBound),
      Int32(range.upperBound), k.alpha, k.b1c, k.b2c, k.eps) != TC_PORTABLE
    {
      return
    }
    adamStep(p, range: range, count: count, shards: shards, k)
  }

  /// Piece `piece` of `pieces` contiguous pieces of whole 8-lane groups.
  public func apply(piece: Int, of pieces: Int) {
    let size = ((count + pieces - 1) / pieces + 7) / 8 * 8
    let lo = min(count, piece * size)
    apply(lo..<min(count, lo + size))
  }
}

struct AdamConstants { let alpha, b1c, b2c, eps: Float }

/// The moments, the weights read (`w`) and written (`out`, possibly `w`), the gradient shards.
struct AdamPointers: @unchecked Sendable {
  let m, v, w, out, g: UnsafeMutablePointer<Float>
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
    store8(w, p.out + i)
    i += 8
  }
  while i < range.upperBound {
    var g = p.g[i]
    for s in 1..<shards { g += p.g[s * n + i] }
    p.m[i] += (g - p.m[i]) * k.b1c
    p.v[i] += (g * g - p.v[i]) * k.b2c
    p.out[i] = p.w[i] - (p.m[i] * k.alpha) / (p.v[i].squareRoot() + k.eps)
    if let mask = p.mask { p.out[i] *= mask[i] }
    i += 1
  }
}
