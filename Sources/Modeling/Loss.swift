// Mean squared error over a batch, and its gradient.
//   L = (1/N) sum_b (y_b - t_b)^2        dL/dy_b = 2 (y_b - t_b) / N
// N is the whole batch's size even when a shard computes part of it, so shard gradients add up.

/// Writes dL/dy into `dy` and returns the shard's sum of squared errors (not divided by N).
@inline(__always)
public func mseBackward(
  y: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int, batchSize N: Int,
  dy: UnsafeMutablePointer<Float>
) -> Double {
  var sse = 0.0
  let scale = 2 / Float(N)
  for b in 0..<count {
    let e = y[b] - target[b]
    sse += Double(e) * Double(e)
    dy[b] = scale * e
  }
  return sse
}
