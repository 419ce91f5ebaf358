// LinearAutoregression: the classical yardstick a forecaster fits first. Tomorrow's scaled
// sales are a weighted sum of the last `lookback` scaled days plus a bias, one model for every
// series (global, like the LSTM), fitted by ridge least squares on the training windows:
//
//   minimise  sum_n (b + w . x_n - y_n)^2 + lambda N |w|^2      (the bias is not penalised)
//
// solved exactly from the normal equations in Double, by a Cholesky factorisation. The sums run
// over the windows in order, so the fit is the same bits on every machine and thread count.
//
// It compresses like any model: its weights prune by magnitude (and refit in closed form on
// the days kept, the linear model's fine-tuning), quantize to int8 (one symmetric scale: a
// single output channel) or float16, and a linear student distils from any teacher by the same
// least squares on the blended targets.

import SalesData

public struct LinearAutoregression: WindowForecaster, Equatable {
  /// How the weights are stored. The weights themselves are always the values the forecast
  /// uses: for int8, code x scale; for float16, the half-precision value (the bias stays float32).
  public enum Storage: Equatable, Sendable {
    case float32
    case float16
    case int8(scale: Float)
  }
  /// One weight per input day, oldest first.
  public var weights: [Float]
  public var bias: Float
  public var storage: Storage
  /// The ridge penalty it was fitted with (its refits use the same).
  public var ridge: Double

  public init(weights: [Float], bias: Float, storage: Storage = .float32, ridge: Double = 0.0001) {
    self.weights = weights
    self.bias = bias
    self.storage = storage
    self.ridge = ridge
  }

  public var family: String { "linear" }
  public var label: String { "linear AR(\(weights.count))" }
  public var architecture: String { "linear autoregression on \(weights.count) days -> 1" }
  public var kindDescription: String {
    switch storage {
    case .float32: "float32"
    case .float16: "float16 weights"
    case .int8: "int8 weights (one symmetric scale), float32 arithmetic"
    }
  }
  public var units: Int { 0 }
  public var parameterCount: Int { weights.count + 1 }
  public var nonzeroCount: Int { weights.filter { $0 != 0 }.count + (bias != 0 ? 1 : 0) }
  public var compressibleTensors: [String] { ["linear/kernel"] }

  public func isIdentical(to other: any Forecaster) -> Bool {
    guard let o = other as? LinearAutoregression, o.storage == storage, o.ridge == ridge else { return false }
    return o.bias.bitPattern == bias.bitPattern && o.weights.map(\.bitPattern) == weights.map(\.bitPattern)
  }

  /// The int8 code of each weight (int8 storage only).
  public var codes: [Int8]? {
    guard case .int8(let scale) = storage else { return nil }
    return weights.map { Int8(($0 / scale).rounded()) }
  }

  /// b + w[0] x[0] + w[1] x[1] + ..., in float32, in that order, unfused, skipping zero weights
  /// (as the exported C computes it, which stores a pruned model's nonzero weights only).
  public func forecastScaled(_ window: [Float]) -> Float {
    precondition(window.count == weights.count, "window of \(window.count) days for \(weights.count) weights")
    var y = bias
    for t in 0..<weights.count where weights[t] != 0 {
      let term = weights[t] * window[t]
      y = y + term
    }
    return y
  }

  // MARK: Compression

  /// The `sparsity` fraction of weights with the smallest magnitude set to zero (ties: the
  /// earlier day first), as magnitude pruning does to an LSTM's kernels.
  public func pruned(sparsity: Double) -> LinearAutoregression {
    let k = Int((sparsity * Double(weights.count)).rounded())
    let order = weights.indices.sorted { (abs(weights[$0]), $0) < (abs(weights[$1]), $1) }
    var copy = self
    for i in order.prefix(k) { copy.weights[i] = 0 }
    return copy
  }

  /// int8 weights with one symmetric scale, max |w| / 127 (zeros stay zero).
  public func quantizedInt8() -> LinearAutoregression {
    let largest = weights.map(abs).max() ?? 0
    let scale = largest > 0 ? largest / 127 : 1
    var copy = self
    copy.storage = .int8(scale: scale)
    copy.weights = weights.map { w in
      let code = max(-127, min(127, (w / scale).rounded(.toNearestOrAwayFromZero)))
      return Float(Int8(code)) * scale
    }
    return copy
  }

  /// Weights rounded to float16 (the bias stays float32).
  public func float16() -> LinearAutoregression {
    var copy = self
    copy.storage = .float16
    copy.weights = weights.map { Float(Float16($0)) }
    return copy
  }

  /// The same model refitted in closed form on `windows` with its zero weights kept at zero:
  /// the least-squares optimum on the days it still reads (what fine-tuning approximates).
  public func refitted(_ windows: [WindowRef], data: WindowedData) -> LinearAutoregression {
    let kept = weights.indices.filter { weights[$0] != 0 }
    var x = [Float](repeating: 0, count: data.lookback)
    let small = Self.fit(count: windows.count, inputs: kept.count, ridge: ridge) { k, row in
      data.gatherInputs(windows[k], row: 0, batch: 1, into: &x)
      for (j, t) in kept.enumerated() { row[j] = Double(x[t]) }
      return Double(data.target(windows[k]))
    }
    var copy = self
    copy.weights = [Float](repeating: 0, count: weights.count)
    for (j, t) in kept.enumerated() { copy.weights[t] = small.weights[j] }
    copy.bias = small.bias
    copy.storage = .float32
    return copy
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
    var model = fit(count: windows.count, inputs: data.lookback, ridge: ridge) { k, row in
      data.gatherInputs(windows[k], row: 0, batch: 1, into: &x)
      for t in 0..<x.count { row[t] = Double(x[t]) }
      return Double(data.target(windows[k]))
    }
    model.ridge = ridge
    return model
  }

  /// A linear student: the ridge fit of `targets` (scaled, one per window of `windows`), such
  /// as a teacher's forecasts blended with the actual sales.
  public static func fit(
    _ windows: [WindowRef], data: WindowedData, targets: [Float], ridge: Double
  ) -> LinearAutoregression {
    var x = [Float](repeating: 0, count: data.lookback)
    var model = fit(count: windows.count, inputs: data.lookback, ridge: ridge) { k, row in
      data.gatherInputs(windows[k], row: 0, batch: 1, into: &x)
      for t in 0..<x.count { row[t] = Double(x[t]) }
      return Double(targets[k])
    }
    model.ridge = ridge
    return model
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
    return LinearAutoregression(weights: solution[0..<p].map { Float($0) }, bias: Float(solution[p]), ridge: ridge)
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
