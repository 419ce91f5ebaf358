// TestEvaluation: how a model's replicas are scored. Forecasts are scaled back to sales units;
// the test windows report, the validation windows decide (pruning levels, shrink's search).

import Modeling
import SalesData

public enum TestEvaluation {
  /// A replica's forecasts for `windows`, in sales units.
  public static func forecasts(
    _ model: any Forecaster, scaler: Scaler, windows: [WindowRef], data: WindowedData, threads: Int
  ) -> [Float] {
    model.predictScaled(windows, data: data, threads: threads).map { scaler.unscale($0) }
  }

  /// The scale-free metrics' scales for `data`'s test targets (each series' training days).
  public static func testScales(_ data: WindowedData) -> SeriesScales {
    SeriesScales(
      series: data.test.map { Int($0.series) },
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
          scales: scales)
      })
  }

  /// MAPE on the validation windows, the mean over the replicas.
  public static func validationMAPE(
    _ replicas: [any Forecaster], scaler: Scaler, data: WindowedData, threads: Int
  ) -> Double {
    let actual = data.validation.map { data.actual($0) }
    let runs = replicas.map { r in
      ForecastMetrics(
        actual: actual,
        predicted: forecasts(r, scaler: scaler, windows: data.validation, data: data, threads: threads)
      ).mape
    }
    return runs.reduce(0, +) / Double(runs.count)
  }
}
