// Windows: sliding (lookback -> horizon) windows over each series, split in time order, and the
// min-max scaler fitted only on the days the training windows touch.
//
// Per series with n days and W = n - lookback - horizon + 1 windows:
//   train = first floor(split * W) windows (of which the last `val` fraction is validation),
//   test  = the remaining windows.
// For Kaggle's 1,826 days, lookback 14, horizon 1: W = 1,812, train 1,449 (fit 1,304 + val 145),
// test 363; over 50 series 72,450 training and 18,150 test windows.
// A window is a view (series, start) into the scaled series, never a materialised copy.
//
// Multi-day windows (`steps` S > 1) forecast S consecutive days: step k (0-based) targets day
// start + lookback + horizon - 1 + k. A training window's last target falls before the test
// period, a test window's first target in it (so the S - 1 windows that straddle the cut are in
// neither), and every target stays within the series: on Kaggle's data with S = 7, 17,850 test
// windows and 124,950 test targets (357 origins x 7 days x 50 series).

import NumericCore

public struct WindowConfig: Sendable, Equatable {
  public var lookback = 14
  public var horizon = 1
  public var split = 0.8
  public var validation = 0.1
  public var scale: ScalerKind = .minmax
  /// Consecutive days each window forecasts, from `horizon` on (1: one day).
  public var steps = 1
  public init() {}
  public init(lookback: Int, horizon: Int, split: Double, validation: Double, scale: ScalerKind, steps: Int = 1) {
    self.lookback = lookback
    self.horizon = horizon
    self.split = split
    self.validation = validation
    self.scale = scale
    self.steps = steps
  }
  /// Days from a window's first input to its last target.
  public var span: Int { lookback + horizon + steps - 1 }
}

public enum ScalerKind: String, Sendable, CaseIterable { case minmax, standard }

/// An affine map between sales units and the model's units: scaled = (x - offset) * factor.
public struct Scaler: Sendable, Equatable {
  public var kind: ScalerKind
  public var offset: Float
  public var factor: Float
  public init(kind: ScalerKind, offset: Float, factor: Float) {
    self.kind = kind
    self.offset = offset
    self.factor = factor
  }
  @inline(__always) public func scale(_ x: Float) -> Float { (x - offset) * factor }
  @inline(__always) public func unscale(_ y: Float) -> Float { y / factor + offset }

  /// Fits on `values` only. Min-max maps [min, max] to [0, 1]; standard maps to mean 0, sd 1.
  public static func fit(_ kind: ScalerKind, on values: [ArraySlice<Float>]) -> Scaler {
    switch kind {
    case .minmax:
      var lo = Float.infinity
      var hi = -Float.infinity
      for slice in values {
        for v in slice {
          lo = min(lo, v)
          hi = max(hi, v)
        }
      }
      let range = hi - lo
      return Scaler(kind: kind, offset: lo, factor: range > 0 ? 1 / range : 1)
    case .standard:
      var sum = 0.0
      var count = 0.0
      for slice in values {
        for v in slice {
          sum += Double(v)
          count += 1
        }
      }
      let mean = sum / count
      var ss = 0.0
      for slice in values { for v in slice { ss += (Double(v) - mean) * (Double(v) - mean) } }
      let sd = squareRoot(ss / count)
      return Scaler(kind: kind, offset: Float(mean), factor: sd > 0 ? Float(1 / sd) : 1)
    }
  }
}

/// A window: inputs are scaled[start ..< start + lookback] of series `series`, the target is
/// scaled[start + lookback + horizon - 1].
public struct WindowRef: Sendable, Equatable {
  public var series: Int32
  public var start: Int32
  public init(series: Int, start: Int) {
    self.series = Int32(series)
    self.start = Int32(start)
  }
}

/// The windowed view of a dataset: scaled series, the scaler, and three window lists.
public struct WindowedData: Sendable {
  public var config: WindowConfig
  public var scaler: Scaler
  /// Scaled copy of each series (the only copy of the values the model sees).
  public var scaled: [[Float]]
  /// The series in sales units, for metrics and baselines (exact, never round-tripped).
  public var raw: [[Float]]
  public var fit: [WindowRef] = []
  public var validation: [WindowRef] = []
  public var test: [WindowRef] = []
  /// Per series: identity, first day and number of days touched by training windows.
  public var seriesInfo: [(store: Int, item: Int, startDay: Int, trainDays: Int)] = []
  /// Per series, its store and item as the file names them (numbers, or names such as CA_1).
  public var seriesNames: [(store: String, item: String)] = []
  /// The dataset's covariate columns (SalesDataset.covariateNames).
  public var covariateNames: [String] = []
  /// `covariates[s][c][d]`: covariate c of series s on its day d, as in the file.
  public var covariates: [[[Float]]] = []
  /// Per covariate, a min-max scaler fitted on the training days, as the sales' is (a 0/1 flag
  /// stays 0/1); a network trained on these keeps its own copy.
  public var covariateScalers: [Scaler] = []

  public var lookback: Int { config.lookback }
  public var trainCount: Int { fit.count + validation.count }

  public init(dataset: SalesDataset, config: WindowConfig) throws(DataError) {
    guard config.lookback >= 1 else { throw DataError("lookback must be at least 1, got \(config.lookback)") }
    guard config.horizon >= 1 else { throw DataError("horizon must be at least 1, got \(config.horizon)") }
    guard config.steps >= 1 else { throw DataError("steps must be at least 1, got \(config.steps)") }
    guard config.split > 0 && config.split < 1 else {
      throw DataError("split must be between 0 and 1 (exclusive), got \(config.split)")
    }
    guard config.validation >= 0 && config.validation < 1 else {
      throw DataError("val must be in [0, 1), got \(config.validation)")
    }
    self.config = config
    var trainSlices: [ArraySlice<Float>] = []
    var plan: [(train: Int, fit: Int, firstTest: Int, windows: Int)] = []
    for s in dataset.series {
      // One test period per series, whatever the window: its targets are the days from
      // `testStart` on, where a 14-day, next-day window would start testing after SPLIT of
      // its windows (the article's cut: 18,150 targets on its data). So models with any
      // lookback or horizon are scored on the same days, and the scaler sees the same days.
      let testStart = Self.testStart(days: s.values.count, split: config.split)
      guard let p = Self.plan(days: s.values.count, config: config) else {
        let needs = config.steps > 1 ? ", \(config.steps) steps" : ""
        throw DataError(
          "\(s.label) has \(s.values.count) days, too short for lookback \(config.lookback), horizon "
            + "\(config.horizon)\(needs) and split \(config.split)",
          hint: "it needs at least \(config.span + 4) days before its test period")
      }
      trainSlices.append(s.values[0..<testStart])
      plan.append(p)
      seriesInfo.append((s.store, s.item, s.startDay, testStart))
    }
    let scaler = Scaler.fit(config.scale, on: trainSlices)
    self.scaler = scaler
    seriesNames = dataset.series.map { ($0.storeName ?? String($0.store), $0.itemName ?? String($0.item)) }
    covariateNames = dataset.covariateNames
    covariates = dataset.series.map(\.covariates)
    covariateScalers = covariateNames.indices.map { c in
      Scaler.fit(.minmax, on: zip(dataset.series, trainSlices).map { $0.covariates[c][0..<$1.count] })
    }
    raw = dataset.series.map(\.values)
    scaled = raw.map { values in values.map { scaler.scale($0) } }
    for (k, p) in plan.enumerated() {
      for w in 0..<p.fit { fit.append(WindowRef(series: k, start: w)) }
      for w in p.fit..<p.train { validation.append(WindowRef(series: k, start: w)) }
      for w in p.firstTest..<p.windows { test.append(WindowRef(series: k, start: w)) }
    }
  }

  /// How a series of `days` days is cut: its training windows (of which the first `fit`
  /// fit), its first test window and its number of windows; nil when it is too short for `config`.
  static func plan(days: Int, config: WindowConfig) -> (train: Int, fit: Int, firstTest: Int, windows: Int)? {
    let testStart = Self.testStart(days: days, split: config.split)
    let windows = days - config.span + 1
    // Training windows end before `testStart`; test windows start their targets there.
    let train = testStart - config.span + 1
    let firstTest = testStart - config.lookback - config.horizon + 1
    let fit = Int((Double(train) * (1 - config.validation)).rounded(.down))
    guard windows >= 2, train >= 1, firstTest < windows, fit >= 1 else { return nil }
    return (train, fit, firstTest, windows)
  }

  /// Whether a series of `days` days has training, validation and test windows under `config`.
  public static func isLongEnough(days: Int, config: WindowConfig) -> Bool { plan(days: days, config: config) != nil }

  /// The first test target of a series of `days` days: where a 14-day window forecasting the
  /// next day starts its test windows after the first `split` of them (rounded down).
  public static func testStart(days: Int, split: Double) -> Int {
    let referenceLookback = 14
    let windows = max(days - referenceLookback, 0)
    return Int((Double(windows) * split).rounded(.down)) + referenceLookback
  }

  /// The column of covariate `name`, or nil when the dataset has none of that name.
  public func covariateColumn(_ name: String) -> Int? { covariateNames.firstIndex(of: name) }

  /// The same windows seen through another scaler (a model loaded from a file keeps its own).
  public func rescaled(with other: Scaler) -> WindowedData {
    var copy = self
    copy.scaler = other
    copy.scaled = raw.map { values in values.map { other.scale($0) } }
    return copy
  }

  /// Days from a window's start to its target of step `step` (0: the first).
  @inline(__always) public func targetOffset(_ step: Int) -> Int { config.lookback + config.horizon - 1 + step }

  /// Scaled target of a window (of step `step` of a multi-day window).
  @inline(__always) public func target(_ w: WindowRef, step: Int = 0) -> Float {
    scaled[Int(w.series)][Int(w.start) + targetOffset(step)]
  }

  /// Day number of a window's forecast day (of step `step`).
  public func targetDay(_ w: WindowRef, step: Int = 0) -> Int {
    seriesInfo[Int(w.series)].startDay + Int(w.start) + targetOffset(step)
  }

  /// Actual sales of a window's target day (of step `step`), in sales units.
  @inline(__always) public func actual(_ w: WindowRef, step: Int = 0) -> Float {
    raw[Int(w.series)][Int(w.start) + targetOffset(step)]
  }

  /// Sales `lag` days before a window's target day (of step `step`), or nil before the series
  /// starts.
  public func salesBeforeTarget(_ w: WindowRef, lag: Int, step: Int = 0) -> Float? {
    let idx = Int(w.start) + targetOffset(step) - lag
    guard idx >= 0 else { return nil }
    return raw[Int(w.series)][idx]
  }

  /// Targets per window: `config.steps`.
  public var steps: Int { config.steps }

  /// Scaled targets of `windows`, each window's `steps` days in turn.
  public func targets(of windows: [WindowRef]) -> [Float] {
    windows.flatMap { w in (0..<steps).map { target(w, step: $0) } }
  }

  /// Actual sales of the targets of `windows`, each window's `steps` days in turn.
  public func actuals(of windows: [WindowRef]) -> [Float] {
    windows.flatMap { w in (0..<steps).map { actual(w, step: $0) } }
  }

  /// The series of each target of `windows`, in the same order.
  public func targetSeries(of windows: [WindowRef]) -> [Int] {
    windows.flatMap { w in repeatElement(Int(w.series), count: steps) }
  }

  /// The same windows seen as forecasting `step` days later, one day each (horizon + step): how
  /// a one-day model whose forecast follows the data's horizon (ETS, Theta) forecasts step
  /// `step` of a multi-day window. The window lists are unchanged.
  public func shifted(toStep step: Int) -> WindowedData {
    var copy = self
    copy.config.horizon += step
    copy.config.steps = 1
    return copy
  }
}
