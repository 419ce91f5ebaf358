// Metrics: forecast errors in sales units. MAPE skips targets equal to zero (and says how many).
// The scale-free ones divide each series' errors by what a naive rule made of that series'
// training days: MASE by the seasonal-naive (lag 7) MAE, RMSSE (the M5 competition's) by the
// one-step naive MSE; they count zero-sales days, which MAPE cannot.

import Foundation

/// Each target's series and each series' in-sample naive errors (the scale-free metrics' scales).
public struct SeriesScales: Sendable, Equatable {
  /// The series of each target, in the order of the actuals.
  public var series: [Int]
  /// Per series: mean |y[t] - y[t-7]| over its training days (MASE's scale).
  public var seasonalMAE: [Double]
  /// Per series: mean (y[t] - y[t-1])^2 over its training days (RMSSE's scale).
  public var naiveMSE: [Double]

  public init(series: [Int], seasonalMAE: [Double], naiveMSE: [Double]) {
    self.series = series
    self.seasonalMAE = seasonalMAE
    self.naiveMSE = naiveMSE
  }

  /// The scales of `training` (each series' training days) for targets of `series`.
  public init(series: [Int], training: [ArraySlice<Float>]) {
    self.series = series
    seasonalMAE = training.map { days in
      let lagged =
        days.count > 7 ? (days.startIndex + 7..<days.endIndex).map { abs(Double(days[$0] - days[$0 - 7])) } : []
      return lagged.isEmpty ? .nan : lagged.reduce(0, +) / Double(lagged.count)
    }
    naiveMSE = training.map { days in
      let steps = days.count > 1 ? (days.startIndex + 1..<days.endIndex).map { Double(days[$0] - days[$0 - 1]) } : []
      return steps.isEmpty ? .nan : steps.reduce(0) { $0 + $1 * $1 } / Double(steps.count)
    }
  }
}

public struct ForecastMetrics: Sendable, Equatable {
  public var mape: Double  // percent, over targets != 0
  public var smape: Double  // percent, 200 |y - p| / (|y| + |p|), pairs with y = p = 0 skipped
  public var mae: Double
  public var rmse: Double
  public var wape: Double  // percent, sum |y - p| / sum |y|
  public var count: Int
  public var zerosExcluded: Int
  /// Mean absolute scaled error: |y - p| over the series' seasonal-naive in-sample MAE, averaged
  /// over targets (nil without scales; series whose scale is zero are left out).
  public var mase: Double?
  /// Root mean squared scaled error per series (M5), averaged over series equally.
  public var rmsse: Double?
  /// Percent: sum (p - y) / sum |y|; positive means over-forecasting.
  public var bias: Double
  /// A multi-day forecast's metrics day by day (step 1 first); empty for one-day forecasts.
  public var byStep: [ForecastMetrics] = []

  /// Metrics as stored (a compare JSON file's runs, read back).
  public init(
    mape: Double, smape: Double, mae: Double, rmse: Double, wape: Double, count: Int, zerosExcluded: Int,
    mase: Double?, rmsse: Double?, bias: Double
  ) {
    self.mape = mape
    self.smape = smape
    self.mae = mae
    self.rmse = rmse
    self.wape = wape
    self.count = count
    self.zerosExcluded = zerosExcluded
    self.mase = mase
    self.rmsse = rmsse
    self.bias = bias
  }

  /// The metrics of multi-day forecasts, `steps` targets per window (window-major: window 0's
  /// days 1 ... S, then window 1's): overall, and each step's over its own targets.
  public init(actual: [Float], predicted: [Float], scales: SeriesScales? = nil, steps: Int) {
    self.init(actual: actual, predicted: predicted, scales: scales)
    guard steps > 1 else { return }
    precondition(actual.count % steps == 0, "metrics: \(actual.count) targets are not \(steps) per window")
    byStep = (0..<steps).map { k in
      let picked = Swift.stride(from: k, to: actual.count, by: steps)
      return ForecastMetrics(
        actual: picked.map { actual[$0] }, predicted: picked.map { predicted[$0] },
        scales: scales.map { all in
          SeriesScales(
            series: picked.map { all.series[$0] }, seasonalMAE: all.seasonalMAE, naiveMSE: all.naiveMSE)
        })
    }
  }

  public init(actual: [Float], predicted: [Float], scales: SeriesScales? = nil) {
    precondition(actual.count == predicted.count, "metrics: \(actual.count) actuals, \(predicted.count) predictions")
    var ape = 0.0
    var apeCount = 0
    var sape = 0.0
    var sapeCount = 0
    var ae = 0.0
    var se = 0.0
    var absActual = 0.0
    for k in actual.indices {
      let y = Double(actual[k])
      let p = Double(predicted[k])
      let e = abs(y - p)
      ae += e
      se += e * e
      absActual += abs(y)
      if y != 0 {
        ape += e / abs(y)
        apeCount += 1
      }
      if abs(y) + abs(p) > 0 {
        sape += 2 * e / (abs(y) + abs(p))
        sapeCount += 1
      }
    }
    let n = Double(max(actual.count, 1))
    mape = apeCount > 0 ? 100 * ape / Double(apeCount) : .nan
    smape = sapeCount > 0 ? 100 * sape / Double(sapeCount) : .nan
    mae = ae / n
    rmse = (se / n).squareRoot()
    wape = absActual > 0 ? 100 * ae / absActual : .nan
    count = actual.count
    zerosExcluded = actual.count - apeCount
    var signed = 0.0
    for k in actual.indices { signed += Double(predicted[k]) - Double(actual[k]) }
    bias = absActual > 0 ? 100 * signed / absActual : .nan
    guard let scales else { return }
    precondition(scales.series.count == actual.count, "metrics: scales for \(scales.series.count) targets")
    var scaled = 0.0
    var scaledCount = 0
    var squared = [Double](repeating: 0, count: scales.naiveMSE.count)
    var perSeries = [Int](repeating: 0, count: scales.naiveMSE.count)
    for k in actual.indices {
      let s = scales.series[k]
      let e = Double(actual[k]) - Double(predicted[k])
      if scales.seasonalMAE[s] > 0 {
        scaled += abs(e) / scales.seasonalMAE[s]
        scaledCount += 1
      }
      squared[s] += e * e
      perSeries[s] += 1
    }
    mase = scaledCount > 0 ? scaled / Double(scaledCount) : .nan
    var rmsseSum = 0.0
    var rmsseCount = 0
    for s in squared.indices where perSeries[s] > 0 && scales.naiveMSE[s] > 0 {
      rmsseSum += (squared[s] / Double(perSeries[s]) / scales.naiveMSE[s]).squareRoot()
      rmsseCount += 1
    }
    rmsse = rmsseCount > 0 ? rmsseSum / Double(rmsseCount) : .nan
  }
}

/// Metrics of each replica of a model and their mean and spread.
public struct ReplicaMetrics: Sendable, Equatable {
  public var runs: [ForecastMetrics]
  public init(runs: [ForecastMetrics]) { self.runs = runs }
  public var mape: Double { mean(\.mape) }
  /// Population standard deviation over replicas (numpy's default, as in the article's "+/-").
  public var mapeStd: Double { std(\.mape) }
  public var smape: Double { mean(\.smape) }
  public var mae: Double { mean(\.mae) }
  public var rmse: Double { mean(\.rmse) }
  public var wape: Double { mean(\.wape) }
  public var mase: Double { mean { $0.mase ?? .nan } }
  public var rmsse: Double { mean { $0.rmsse ?? .nan } }
  public var bias: Double { mean(\.bias) }
  public var zerosExcluded: Int { runs.first?.zerosExcluded ?? 0 }
  public var count: Int { runs.first?.count ?? 0 }
  /// Days per forecast (1 for one-day models).
  public var steps: Int { max(runs.first?.byStep.count ?? 1, 1) }
  /// Each day's MAPE, the mean over replicas (step 1 first); empty for one-day models.
  public var mapeByStep: [Double] {
    guard let first = runs.first, !first.byStep.isEmpty else { return [] }
    return first.byStep.indices.map { k in mean { $0.byStep[k].mape } }
  }

  func mean(_ k: KeyPath<ForecastMetrics, Double>) -> Double { mean { $0[keyPath: k] } }
  func mean(_ value: (ForecastMetrics) -> Double) -> Double {
    runs.isEmpty ? .nan : runs.reduce(0) { $0 + value($1) } / Double(runs.count)
  }
  func std(_ k: KeyPath<ForecastMetrics, Double>) -> Double {
    guard runs.count > 1 else { return 0 }
    let m = mean(k)
    return (runs.reduce(0) { $0 + ($1[keyPath: k] - m) * ($1[keyPath: k] - m) } / Double(runs.count)).squareRoot()
  }
}
