// Windows: sliding (lookback -> horizon) windows over each series, split in time order, and the
// min-max scaler fitted only on the days the training windows touch.
//
// Per series with n days and W = n - lookback - horizon + 1 windows:
//   train = first floor(split * W) windows (of which the last `val` fraction is validation),
//   test  = the remaining windows.
// For Kaggle's 1,826 days, lookback 14, horizon 1: W = 1,812, train 1,449 (fit 1,304 + val 145),
// test 363; over 50 series 72,450 training and 18,150 test windows.
// A window is a view (series, start) into the scaled series, never a materialised copy.

import NumericCore

public struct WindowConfig: Sendable, Equatable {
  public var lookback = 14
  public var horizon = 1
  public var split = 0.8
  public var validation = 0.1
  public var scale: ScalerKind = .minmax
  public init() {}
  public init(lookback: Int, horizon: Int, split: Double, validation: Double, scale: ScalerKind) {
    self.lookback = lookback
    self.horizon = horizon
    self.split = split
    self.validation = validation
    self.scale = scale
  }
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

  public var lookback: Int { config.lookback }
  public var trainCount: Int { fit.count + validation.count }

  public init(dataset: SalesDataset, config: WindowConfig) throws(DataError) {
    guard config.lookback >= 1 else { throw DataError("lookback must be at least 1, got \(config.lookback)") }
    guard config.horizon >= 1 else { throw DataError("horizon must be at least 1, got \(config.horizon)") }
    guard config.split > 0 && config.split < 1 else {
      throw DataError("split must be between 0 and 1 (exclusive), got \(config.split)")
    }
    guard config.validation >= 0 && config.validation < 1 else {
      throw DataError("val must be in [0, 1), got \(config.validation)")
    }
    self.config = config
    var trainSlices: [ArraySlice<Float>] = []
    var plan: [(train: Int, fit: Int, windows: Int)] = []
    for s in dataset.series {
      // One test period per series, whatever the window: its targets are the days from
      // `testStart` on, where a 14-day, next-day window would start testing after SPLIT of
      // its windows (the article's cut: 18,150 targets on its data). So models with any
      // lookback or horizon are scored on the same days, and the scaler sees the same days.
      let testStart = Self.testStart(days: s.values.count, split: config.split)
      let windows = s.values.count - config.lookback - config.horizon + 1
      let train = testStart - config.lookback - config.horizon + 1
      let fit = Int((Double(train) * (1 - config.validation)).rounded(.down))
      guard windows >= 2, train >= 1, train < windows, fit >= 1 else {
        throw DataError(
          "\(s.label) has \(s.values.count) days, too short for lookback \(config.lookback), horizon "
            + "\(config.horizon) and split \(config.split)",
          hint: "it needs at least \(config.lookback + config.horizon + 4) days before its test period")
      }
      trainSlices.append(s.values[0..<testStart])
      plan.append((train, fit, windows))
      seriesInfo.append((s.store, s.item, s.startDay, testStart))
    }
    let scaler = Scaler.fit(config.scale, on: trainSlices)
    self.scaler = scaler
    raw = dataset.series.map(\.values)
    scaled = raw.map { values in values.map { scaler.scale($0) } }
    for (k, p) in plan.enumerated() {
      for w in 0..<p.fit { fit.append(WindowRef(series: k, start: w)) }
      for w in p.fit..<p.train { validation.append(WindowRef(series: k, start: w)) }
      for w in p.train..<p.windows { test.append(WindowRef(series: k, start: w)) }
    }
  }

  /// The first test target of a series of `days` days: where a 14-day window forecasting the
  /// next day starts its test windows after the first `split` of them (rounded down).
  public static func testStart(days: Int, split: Double) -> Int {
    let referenceLookback = 14
    let windows = max(days - referenceLookback, 0)
    return Int((Double(windows) * split).rounded(.down)) + referenceLookback
  }

  /// The same windows seen through another scaler (a model loaded from a file keeps its own).
  public func rescaled(with other: Scaler) -> WindowedData {
    var copy = self
    copy.scaler = other
    copy.scaled = raw.map { values in values.map { other.scale($0) } }
    return copy
  }

  /// Scaled target of a window.
  @inline(__always) public func target(_ w: WindowRef) -> Float {
    scaled[Int(w.series)][Int(w.start) + config.lookback + config.horizon - 1]
  }

  /// Day number of the forecast day of a window.
  public func targetDay(_ w: WindowRef) -> Int {
    seriesInfo[Int(w.series)].startDay + Int(w.start) + config.lookback + config.horizon - 1
  }

  /// Actual sales of a window's target day, in sales units.
  @inline(__always) public func actual(_ w: WindowRef) -> Float {
    raw[Int(w.series)][Int(w.start) + config.lookback + config.horizon - 1]
  }

  /// Sales `lag` days before a window's target day, or nil before the series starts.
  public func salesBeforeTarget(_ w: WindowRef, lag: Int) -> Float? {
    let idx = Int(w.start) + config.lookback + config.horizon - 1 - lag
    guard idx >= 0 else { return nil }
    return raw[Int(w.series)][idx]
  }
}
