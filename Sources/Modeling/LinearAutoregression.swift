// LinearAutoregression: the classical yardstick a forecaster fits first. Tomorrow's scaled
// sales are a weighted sum of the last `lookback` scaled days plus a bias, one model for every
// series (global, like the LSTM), fitted by ridge least squares on the training windows:
//
//   minimise  sum_n (b + w . x_n - y_n)^2 + lambda N |w|^2      (the bias is not penalised)
//
// solved exactly from the normal equations in Double, by a Cholesky factorisation. The sums run
// over the windows in order, so the fit is the same bits on every machine and thread count.

import SalesData

public struct LinearAutoregression: WindowForecaster, Equatable {
  /// One weight per input day, oldest first.
  public var weights: [Float]
  public var bias: Float

  public init(weights: [Float], bias: Float) {
    self.weights = weights
    self.bias = bias
  }

  public var family: String { "linear" }
  public var label: String { "linear AR(\(weights.count))" }
  public var architecture: String { "linear autoregression on \(weights.count) days -> 1" }
  public var kindDescription: String { "float32" }
  public var units: Int { 0 }
  public var parameterCount: Int { weights.count + 1 }
  public var nonzeroCount: Int { weights.filter { $0 != 0 }.count + (bias != 0 ? 1 : 0) }
  public var compressibleTensors: [String] { [] }

  public func isIdentical(to other: any Forecaster) -> Bool {
    (other as? LinearAutoregression) == self
  }

  /// b + w[0] x[0] + w[1] x[1] + ..., in float32, in that order, unfused (as the exported C
  /// computes it).
  public func forecastScaled(_ window: [Float]) -> Float {
    precondition(window.count == weights.count, "window of \(window.count) days for \(weights.count) weights")
    var y = bias
    for t in 0..<weights.count {
      let term = weights[t] * window[t]
      y = y + term
    }
    return y
  }

  public func predictScaled(_ windows: [WindowRef], data: WindowedData, threads: Int) -> [Float] {
    var x = [Float](repeating: 0, count: data.lookback)
    return windows.map { w in
      data.gatherInputs(w, row: 0, batch: 1, into: &x)
      return forecastScaled(x)
    }
  }

  /// The ridge least-squares fit on `windows` of `data` (scaled inputs and targets).
  public static func fit(_ windows: [WindowRef], data: WindowedData, ridge: Double) -> LinearAutoregression {
    var x = [Float](repeating: 0, count: data.lookback)
    return fit(count: windows.count, inputs: data.lookback, ridge: ridge) { k, row in
      data.gatherInputs(windows[k], row: 0, batch: 1, into: &x)
      for t in 0..<x.count { row[t] = Double(x[t]) }
      return Double(data.target(windows[k]))
    }
  }

  /// The ridge least-squares fit of `count` rows of `inputs` numbers each; `row(k, &x)` fills
  /// row k's inputs and returns its target. The normal equations are summed in row order.
  public static func fit(
    count: Int, inputs p: Int, ridge: Double, row: (Int, inout [Double]) -> Double
  ) -> LinearAutoregression {
    let n = p + 1  // the weights, then the bias
    var gram = [Double](repeating: 0, count: n * n)
    var rhs = [Double](repeating: 0, count: n)
    var x = [Double](repeating: 1, count: n)
    for k in 0..<count {
      let y = row(k, &x)
      x[p] = 1
      for i in 0..<n {
        rhs[i] += x[i] * y
        for j in 0...i { gram[i * n + j] += x[i] * x[j] }
      }
    }
    for i in 0..<n { for j in 0..<i { gram[j * n + i] = gram[i * n + j] } }
    for i in 0..<p { gram[i * n + i] += ridge * Double(count) }
    let solution = solveSymmetricPositiveDefinite(gram, rhs, n: n)
    return LinearAutoregression(weights: solution[0..<p].map { Float($0) }, bias: Float(solution[p]))
  }
}

/// x with A x = b for a symmetric positive definite A (n x n, row-major), by Cholesky A = L L^T.
/// A singular A (every window the same) gets a tiny diagonal added rather than a NaN.
func solveSymmetricPositiveDefinite(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
  var l = [Double](repeating: 0, count: n * n)
  let jitter = 1e-12 * max(1, (0..<n).map { a[$0 * n + $0] }.max() ?? 1)
  for i in 0..<n {
    for j in 0...i {
      var s = a[i * n + j]
      for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
      if i == j {
        l[i * n + i] = (s > jitter ? s : s + jitter).squareRoot()
      } else {
        l[i * n + j] = s / l[j * n + j]
      }
    }
  }
  var z = [Double](repeating: 0, count: n)
  for i in 0..<n {
    var s = b[i]
    for k in 0..<i { s -= l[i * n + k] * z[k] }
    z[i] = s / l[i * n + i]
  }
  var x = [Double](repeating: 0, count: n)
  for i in stride(from: n - 1, through: 0, by: -1) {
    var s = z[i]
    for k in (i + 1)..<n { s -= l[k * n + i] * x[k] }
    x[i] = s / l[i * n + i]
  }
  return x
}
