// LinearAutoregression: the classical yardstick a forecaster fits first. Tomorrow's scaled
// sales are a weighted sum of the last `lookback` scaled days plus a bias, one model for every
// series (global, like the LSTM), fitted by ridge least squares on the training windows:
//
//   minimise  sum_n (b + w . x_n - y_n)^2 + lambda N |w|^2      (the bias is not penalised)
//
// solved exactly from the normal equations in Double, by a Cholesky factorisation. The sums run
// over the windows in order, so the fit is the same bits on every machine and thread count.
//
// Two input options (the kilobyte forecasters' first ideas): `level` divides each window by its
// own mean sales and multiplies the forecast back (a reversible per-window normalisation, as
// RevIN does for networks, here multiplicative because sales are), and calendar features of the
// forecast day (CalendarFeatures.swift) join the days as inputs, and a holiday flag (1 when the
// forecast day is one of the model's holidays) after them, and the forecast day's covariates
// from the data file (a planned promotion, a price; min-max scaled as a network's) last. With
// `loss=mae` the fit
// minimises absolute errors by iteratively reweighted least squares (closer to what MAPE and
// WAPE measure than squared errors).
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
  public enum Loss: String, Sendable, CaseIterable { case mse, mae }
  /// One weight per input day, oldest first, then one per calendar input, then the holiday flag's.
  public var weights: [Float]
  public var bias: Float
  public var storage: Storage
  /// The ridge penalty and loss it was fitted with (its refits use the same).
  public var ridge: Double
  public var loss: Loss
  /// Each window divided by its mean sales (and the forecast multiplied back).
  public var levelNormalized: Bool
  public var calendar: CalendarFeatures
  /// Holidays as sorted day numbers: with any, the forecast day's flag (0 or 1) is an input.
  public var holidays: [Int]
  /// Columns of the data file whose forecast-day values are the last inputs.
  public var covariates: [Covariate]

  public init(
    weights: [Float], bias: Float, storage: Storage = .float32, ridge: Double = 0.0001, loss: Loss = .mse,
    levelNormalized: Bool = false, calendar: CalendarFeatures = .none, holidays: [Int] = [],
    covariates: [Covariate] = []
  ) {
    self.weights = weights
    self.bias = bias
    self.storage = storage
    self.ridge = ridge
    self.loss = loss
    self.levelNormalized = levelNormalized
    self.calendar = calendar
    self.holidays = holidays
    self.covariates = covariates
  }

  /// What a forecast reads besides the window: the forecast day's weekday (0 Monday), day of the
  /// year, holiday flag and covariates (in the file's units).
  public struct ForecastDay: Sendable {
    public var weekday = 0
    public var dayOfYear = 1
    public var holiday: Float = 0
    public var covariates: [Float] = []
    public init(weekday: Int = 0, dayOfYear: Int = 1, holiday: Float = 0, covariates: [Float] = []) {
      self.weekday = weekday
      self.dayOfYear = dayOfYear
      self.holiday = holiday
      self.covariates = covariates
    }
  }

  /// Inputs after the window's days: the calendar's, the holiday flag when there are holidays,
  /// the covariates.
  public var extraInputs: Int { calendar.count + (holidays.isEmpty ? 0 : 1) + covariates.count }
  /// Days in the window (the weights before the calendar's).
  public var lookback: Int { weights.count - extraInputs }
  /// Whether it reads more than the window: the forecast day's calendar, or sales (not scaled).
  public var hasExtendedInputs: Bool {
    levelNormalized || !calendar.isEmpty || !holidays.isEmpty || !covariates.isEmpty
  }
  /// Whether it needs the forecast day (its calendar or whether it is a holiday).
  public var isDated: Bool { !calendar.isEmpty || !holidays.isEmpty }

  public var family: String { "linear" }
  public var label: String { "linear AR(\(lookback))" + (hasExtendedInputs ? "+" : "") }
  public var architecture: String {
    var parts = ["linear autoregression on \(lookback) days"]
    if levelNormalized { parts.append("each window divided by its mean") }
    if !calendar.isEmpty { parts.append("calendar: \(calendar.description)") }
    if !holidays.isEmpty { parts.append("holidays (\(holidays.count) dates)") }
    if !covariates.isEmpty { parts.append("the forecast day's \(covariates.map(\.name).joined(separator: ", "))") }
    if loss == .mae { parts.append("fitted on absolute errors") }
    return parts.joined(separator: ", ") + " -> 1"
  }
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
    guard let o = other as? LinearAutoregression, o.storage == storage, o.ridge == ridge, o.loss == loss,
      o.levelNormalized == levelNormalized, o.calendar == calendar, o.holidays == holidays, o.covariates == covariates
    else { return false }
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
    precondition(!hasExtendedInputs, "a model with calendar or level inputs needs the forecast day")
    return forecast(window, day: ForecastDay())
  }

  /// A model reading covariates needs a dataset that has them.
  public func incompatibility(with data: WindowedData) -> String? {
    RecurrentInputs(covariates: covariates).incompatibility(with: data)
  }

  /// 1 when day number `day` is one of the holidays, else 0 (a binary search, as the C does).
  public func holidayFlag(_ day: Int) -> Float { Holidays.flag(day, in: holidays) }

  /// The inputs of one window (scaled days, or sales for a level-normalised model) for a
  /// forecast day, and the window's divisor (its mean sales, 1 when not normalised or zero).
  public func features(_ window: [Float], day: ForecastDay) -> (inputs: [Float], divisor: Float) {
    precondition(window.count == lookback, "window of \(window.count) days for \(lookback) weights")
    var inputs = window
    var divisor: Float = 1
    if levelNormalized {
      var sum: Float = 0
      for v in window { sum = sum + v }
      let mean = sum / Float(window.count)
      divisor = mean > 0 ? mean : 1
      for t in 0..<inputs.count { inputs[t] = window[t] / divisor }
    }
    if !calendar.isEmpty { inputs += calendar.values(weekday: day.weekday, dayOfYear: day.dayOfYear) }
    if !holidays.isEmpty { inputs.append(day.holiday) }
    for (k, c) in covariates.enumerated() { inputs.append(c.scaler.scale(day.covariates[k])) }
    return (inputs, divisor)
  }

  /// The forecast from one window in its own units (sales for a level-normalised model, scaled
  /// otherwise) for a forecast day (its weekday, day of the year, holiday flag, covariates).
  public func forecast(_ window: [Float], day: ForecastDay) -> Float {
    let (x, divisor) = features(window, day: day)
    var y = bias
    for i in 0..<weights.count where weights[i] != 0 {
      let term = weights[i] * x[i]
      y = y + term
    }
    return levelNormalized ? y * divisor : y
  }

  /// The window of `w` as this model reads it (sales when level-normalised, else scaled), and
  /// what it reads of the forecast day.
  func input(_ w: WindowRef, data: WindowedData, into x: inout [Float]) -> ForecastDay {
    if levelNormalized {
      let start = Int(w.start)
      let values = data.raw[Int(w.series)]
      for t in 0..<x.count { x[t] = values[start + t] }
    } else {
      data.gatherInputs(w, row: 0, batch: 1, into: &x)
    }
    var day = ForecastDay()
    if isDated {
      let d = data.targetDay(w)
      day = ForecastDay(
        weekday: CivilDate.weekday(d), dayOfYear: CivilDate.dayOfYear(d), holiday: holidays.isEmpty ? 0 : holidayFlag(d)
      )
    }
    if !covariates.isEmpty {
      let series = data.covariates[Int(w.series)]
      let target = Int(w.start) + data.targetOffset(0)
      day.covariates = covariates.map { c in
        guard let column = data.covariateColumn(c.name) else {
          preconditionFailure("covariate \(c.name) is checked by incompatibility(with:) first")
        }
        return series[column][target]
      }
    }
    return day
  }

  /// The target of `w` in the units the fit works in: the window's divisor applied to sales,
  /// or scaled.
  func fitTarget(_ w: WindowRef, data: WindowedData, divisor: Float, scaledTarget: Float) -> Double {
    levelNormalized ? Double(data.scaler.unscale(scaledTarget)) / Double(divisor) : Double(scaledTarget)
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
    var shape = self
    shape.storage = .float32
    let full = shape.fitted(windows, data: data, targets: nil, keeping: kept)
    return full
  }

  public func predictScaled(_ windows: [WindowRef], data: WindowedData, threads: Int) -> [Float] {
    var x = [Float](repeating: 0, count: lookback)
    return windows.map { w in
      let day = input(w, data: data, into: &x)  // fills x first
      let y = forecast(x, day: day)
      return levelNormalized ? data.scaler.scale(y) : y
    }
  }

  /// This model's inputs and loss fitted to `windows` (their targets, or `targets` in scaled
  /// units), with only the weights at `keeping` free (the others zero). Absolute-error fits
  /// reweight the least squares 20 times by 1 / max(|residual|, 1e-3 x the mean |target|).
  func fitted(_ windows: [WindowRef], data: WindowedData, targets: [Float]?, keeping kept: [Int])
    -> LinearAutoregression
  {
    // The rows once, in float32 as the forecast computes them, then in double for the sums.
    var rows = [Double](repeating: 0, count: windows.count * kept.count)
    var ys = [Double](repeating: 0, count: windows.count)
    var x = [Float](repeating: 0, count: lookback)
    for (k, w) in windows.enumerated() {
      let day = input(w, data: data, into: &x)  // fills x first
      let (inputs, divisor) = features(x, day: day)
      for (j, i) in kept.enumerated() { rows[k * kept.count + j] = Double(inputs[i]) }
      ys[k] = fitTarget(w, data: data, divisor: divisor, scaledTarget: targets?[k] ?? data.target(w))
    }
    func solve(_ rowWeights: [Double]?) -> LinearAutoregression {
      Self.fit(count: windows.count, inputs: kept.count, ridge: ridge, rowWeights: rowWeights) { k, row in
        for j in 0..<kept.count { row[j] = rows[k * kept.count + j] }
        return ys[k]
      }
    }
    var small = solve(nil)
    if loss == .mae {
      var meanAbs = 0.0
      for y in ys { meanAbs += abs(y) }
      let floor = max(1e-3 * meanAbs / Double(max(ys.count, 1)), 1e-12)
      for _ in 0..<20 {
        var rowWeights = [Double](repeating: 0, count: windows.count)
        for k in 0..<windows.count {
          var p = Double(small.bias)
          for j in 0..<kept.count { p += Double(small.weights[j]) * rows[k * kept.count + j] }
          rowWeights[k] = 1 / max(abs(p - ys[k]), floor)
        }
        small = solve(rowWeights)
      }
    }
    var model = self
    model.weights = [Float](repeating: 0, count: weights.count)
    for (j, i) in kept.enumerated() { model.weights[i] = small.weights[j] }
    model.bias = small.bias
    model.storage = .float32
    return model
  }

  /// The fit on `windows` of `data`: ridge least squares (or absolute errors), on the window's
  /// days alone or with the level and calendar inputs.
  public static func fit(
    _ windows: [WindowRef], data: WindowedData, ridge: Double, loss: Loss = .mse, levelNormalized: Bool = false,
    calendar: CalendarFeatures = .none, holidays: [Int] = [], covariates: [Covariate] = []
  ) -> LinearAutoregression {
    var shape = LinearAutoregression(
      weights: [], bias: 0, ridge: ridge, loss: loss, levelNormalized: levelNormalized, calendar: calendar,
      holidays: holidays, covariates: covariates)
    shape.weights = [Float](repeating: 1, count: data.lookback + shape.extraInputs)
    return shape.fitted(windows, data: data, targets: nil, keeping: Array(shape.weights.indices))
  }

  /// A linear student: the ridge fit of `targets` (scaled, one per window of `windows`), such
  /// as a teacher's forecasts blended with the actual sales.
  public static func fit(
    _ windows: [WindowRef], data: WindowedData, targets: [Float], ridge: Double
  ) -> LinearAutoregression {
    let shape = LinearAutoregression(weights: [Float](repeating: 1, count: data.lookback), bias: 0, ridge: ridge)
    return shape.fitted(windows, data: data, targets: targets, keeping: Array(shape.weights.indices))
  }

  /// The ridge least-squares fit of `count` rows of `inputs` numbers each; `row(k, &x)` fills
  /// row k's inputs and returns its target. The normal equations are summed in row order.
  public static func fit(
    count: Int, inputs p: Int, ridge: Double, rowWeights: [Double]? = nil, row: (Int, inout [Double]) -> Double
  ) -> LinearAutoregression {
    let n = p + 1  // the weights, then the bias
    var gram = [Double](repeating: 0, count: n * n)
    var rhs = [Double](repeating: 0, count: n)
    var x = [Double](repeating: 1, count: n)
    for k in 0..<count {
      let y = row(k, &x)
      x[p] = 1
      let r = rowWeights?[k] ?? 1
      for i in 0..<n {
        let rx = r * x[i]
        rhs[i] += rx * y
        for j in 0...i { gram[i * n + j] += rx * x[j] }
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
