// The training losses over a batch, and their gradients:
//   MSE  L = (1/N) sum_b (y_b - t_b)^2     dL/dy_b = 2 (y_b - t_b) / N
//   MAE  L = (1/N) sum_b |y_b - t_b|       dL/dy_b = sign(y_b - t_b) / N   (0 where equal, as
//        TensorFlow's gradient of abs)
// N is the whole batch's size even when a shard computes part of it, so shard gradients add up.

/// What a network's training minimises (`train loss=`), in the network's own unit.
public enum TrainingLoss: String, Sendable, CaseIterable {
  case mse, mae

  /// Writes dL/dy into `dy` and returns the shard's summed loss (not divided by N).
  @inline(__always)
  public func backward(
    y: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int, batchSize N: Int,
    dy: UnsafeMutablePointer<Float>
  ) -> Double {
    switch self {
    case .mse: return mseBackward(y: y, target: target, count: count, batchSize: N, dy: dy)
    case .mae: return maeBackward(y: y, target: target, count: count, batchSize: N, dy: dy)
    }
  }
}

/// Writes dL/dy of the mean absolute error into `dy` and returns the shard's sum of |errors|.
@inline(__always)
public func maeBackward(
  y: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int, batchSize N: Int,
  dy: UnsafeMutablePointer<Float>
) -> Double {
  var sum = 0.0
  let scale = 1 / Float(N)
  for b in 0..<count {
    let e = y[b] - target[b]
    sum += Double(abs(e))
    dy[b] = e > 0 ? scale : e < 0 ? -scale : 0
  }
  return sum
}

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
