// Adam (Kingma & Ba 2015) in Keras 3's formulation, so the first steps match Keras exactly:
//   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2)
//   alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)         (bias correction folded into the step)
//   w -= alpha * m / (sqrt(v) + eps)                   (eps outside the corrected sqrt: "eps hat")
// Defaults as Keras: lr 1e-3, b1 0.9, b2 0.999, eps 1e-7. Everything in Float32.

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
    step += 1
    let t = Float(step)
    let alpha = learningRate * (1 - powf(beta2, t)).squareRoot() / (1 - powf(beta1, t))
    let (b1c, b2c, eps) = (1 - beta1, 1 - beta2, epsilon)
    m.withUnsafeMutableBufferPointer { m in
      v.withUnsafeMutableBufferPointer { v in
        weights.withUnsafeMutableBufferPointer { w in
          gradients.withUnsafeBufferPointer { g in
            for k in 0..<w.count {
              let gk = g[k]
              m[k] += (gk - m[k]) * b1c
              v[k] += (gk * gk - v[k]) * b2c
              w[k] -= (m[k] * alpha) / (v[k].squareRoot() + eps)
            }
          }
        }
      }
    }
  }
}
