// TestEvaluation: how a model's replicas are scored. Forecasts are scaled back to sales units;
// the test windows report, the validation windows decide (pruning levels, shrink's search).

import Modeling
import SalesData

public enum TestEvaluation {
  /// A replica's forecasts for `windows`, in sales units (a multi-day window's days in turn).
  public static func forecasts(
    _ model: any Forecaster, scaler: Scaler, windows: [WindowRef], data: WindowedData, threads: Int
  ) -> [Float] {
    model.forecastsByStep(windows, data: data, threads: threads).map { scaler.unscale($0) }
  }

  /// The scale-free metrics' scales for `data`'s test targets (each series' training days).
  public static func testScales(_ data: WindowedData) -> SeriesScales {
    SeriesScales(
      series: data.targetSeries(of: data.test),
      training: data.raw.indices.map { data.raw[$0][0..<data.seriesInfo[$0].trainDays] })
  }

  /// Test-set metrics of every replica.
  public static func testMetrics(
    _ replicas: [any Forecaster], scaler: Scaler, data: WindowedData, threads: Int
  ) -> ReplicaMetrics {
    let actual = data.testActuals
    let scales = testScales(data)
    return ReplicaMetrics(
      runs: replicas.map { r in
        ForecastMetrics(
          actual: actual, predicted: forecasts(r, scaler: scaler, windows: data.test, data: data, threads: threads),
          scales: scales, steps: data.steps)
      })
  }

  /// The headline metric on the validation windows, the mean over the replicas (what shrink,
  /// sensitivity and the search decide by; the test set only reports). Its scale-free metrics
  /// are scaled by the days before each series' validation period.
  public static func validationScore(
    _ replicas: [any Forecaster], scaler: Scaler, data: WindowedData, threads: Int, metric: HeadlineMetric
  ) -> Double {
    let actual = data.actuals(of: data.validation)
    let days = data.lookback + data.config.horizon - 1
    var firstTarget = data.seriesInfo.map(\.trainDays)
    for w in data.validation.reversed() { firstTarget[Int(w.series)] = Int(w.start) + days }
    let scales = SeriesScales(
      series: data.targetSeries(of: data.validation),
      training: data.raw.indices.map { data.raw[$0][0..<firstTarget[$0]] })
    let runs = replicas.map { r in
      metric.of(
        ForecastMetrics(
          actual: actual,
          predicted: forecasts(r, scaler: scaler, windows: data.validation, data: data, threads: threads),
          scales: scales))
    }
    return runs.reduce(0, +) / Double(runs.count)
  }
}
