import Evaluation
import Foundation
import SalesData
import Testing

@Suite struct MetricsTests {
  @Test func scaleFreeMetricsByHand() {
    // Training days of one series: lag-7 differences 2 and 2 (MASE's scale 2); one-step
    // differences 2,2,-4,2,2,-4,2,2 (RMSSE's scale: mean square 56/8 = 7).
    let days: [Float] = [10, 12, 14, 10, 12, 14, 10, 12, 14]
    let scales = SeriesScales(series: [0, 0], training: [days[...]])
    #expect(scales.seasonalMAE == [2] && scales.naiveMSE == [7])
    let m = ForecastMetrics(actual: [12, 10], predicted: [13, 7], scales: scales)
    #expect(m.mase == 1)  // (1/2 + 3/2) / 2
    #expect(abs(m.rmsse! - (5.0 / 7).squareRoot()) < 1e-12)  // sqrt(((1 + 9) / 2) / 7)
    #expect(abs(m.wape - 100 * 4 / 22) < 1e-12)
    #expect(abs(m.bias - 100 * -2 / 22) < 1e-12)  // under-forecast by 2 of 22
    // Zero-sales days count in MASE and WAPE (MAPE leaves them out).
    let zeros = ForecastMetrics(actual: [0, 10], predicted: [2, 10], scales: scales)
    #expect(zeros.zerosExcluded == 1 && zeros.mape == 0 && zeros.mase == 0.5 && zeros.wape == 20)
    // A constant series has no scale: left out of MASE, never a division by zero.
    let flat = SeriesScales(series: [0, 1], training: [[5, 5, 5, 5, 5, 5, 5, 5, 5][...], days[...]])
    let f = ForecastMetrics(actual: [5, 12], predicted: [6, 14], scales: flat)
    #expect(f.mase == 1 && f.rmsse!.isFinite)
    #expect(ForecastMetrics(actual: [1], predicted: [2]).mase == nil)
  }

  @Test func handComputedMetrics() {
    let m = ForecastMetrics(actual: [10, 20, 0, 40], predicted: [12, 15, 1, 40])
    // APE over non-zero actuals: 0.2, 0.25, 0 -> 15%
    #expect(abs(m.mape - 15) < 1e-12)
    #expect(m.zerosExcluded == 1)
    #expect(abs(m.mae - 2) < 1e-12)
    #expect(abs(m.rmse - (30.0 / 4).squareRoot()) < 1e-12)
    #expect(abs(m.wape - 100 * 8 / 70) < 1e-12)
    let smape = 100 * (4.0 / 22 + 10.0 / 35 + 2.0 / 1 + 0) / 4
    #expect(abs(m.smape - smape) < 1e-12)
  }

  @Test func replicaMeanAndPopulationStd() {
    let a = ForecastMetrics(actual: [10], predicted: [11])  // 10%
    let b = ForecastMetrics(actual: [10], predicted: [13])  // 30%
    let r = ReplicaMetrics(runs: [a, b])
    #expect(abs(r.mape - 20) < 1e-12)
    #expect(abs(r.mapeStd - 10) < 1e-12)
  }
}

@Suite struct BaselineTests {
  @Test func baselinesReadTheRightLags() throws {
    let values = (0..<400).map { Float($0) }
    let d = SalesDataset(source: "x", series: [DailySeries(store: 1, item: 1, startDay: 0, values: values)])
    let w = try WindowedData(dataset: d, config: WindowConfig())
    let first = w.test[0]
    let y = w.actual(first)
    #expect(Baseline.lastValue.forecast(w)![0] == y - 1)
    #expect(Baseline.seasonalNaive.forecast(w)![0] == y - 7)
    #expect(Baseline.seasonalMean.forecast(w)![0] == y - 10.5)
  }

  /// Day k of a multi-day window is forecast from what was known at the window's end:
  /// yesterday's sales for every day, and the last known day of the target's weekday (a week
  /// back for days 1-7, two for days 8-14).
  @Test func multiDayBaselinesUseOnlyTheWindowsPast() throws {
    let values = (0..<400).map { Float($0) }
    let d = SalesDataset(source: "x", series: [DailySeries(store: 1, item: 1, startDay: 0, values: values)])
    var config = WindowConfig()
    config.steps = 9
    let w = try WindowedData(dataset: d, config: config)
    let origin = w.actual(w.test[0]) - 1  // the window's last day (values are day numbers)
    let last = Baseline.lastValue.forecast(w)!
    let seasonal = Baseline.seasonalNaive.forecast(w)!
    let mean = Baseline.seasonalMean.forecast(w)!
    #expect(last.count == w.test.count * 9)
    for k in 0..<9 {
      let y = w.actual(w.test[0], step: k)
      #expect(y == origin + 1 + Float(k))
      #expect(last[k] == origin)
      #expect(seasonal[k] == (k < 7 ? y - 7 : y - 14), "day \(k + 1)")
      #expect(mean[k] == (k < 7 ? y - 10.5 : y - 17.5), "day \(k + 1)")
      // Nothing forecast from a day after the window's end.
      #expect(seasonal[k] <= origin && last[k] <= origin)
    }
  }
}

@Suite struct MultiDayMetricsTests {
  /// The overall metrics are over every target; each day's over its own; with equal counts and
  /// no zeros, MAPE's average over days is the overall MAPE.
  @Test func eachDayIsScoredOnItsOwnTargets() {
    let actual: [Float] = [10, 20, 40, 10, 20, 40]  // two windows of three days
    let predicted: [Float] = [11, 20, 30, 9, 22, 40]
    let m = ForecastMetrics(actual: actual, predicted: predicted, steps: 3)
    #expect(m.byStep.count == 3)
    #expect(abs(m.byStep[0].mape - 10) < 1e-12)  // |1|/10 and |1|/10
    #expect(abs(m.byStep[1].mape - 5) < 1e-12)  // 0 and 2/20
    #expect(abs(m.byStep[2].mape - 12.5) < 1e-12)  // 10/40 and 0
    #expect(abs(m.mape - (10 + 5 + 12.5) / 3) < 1e-12)
    #expect(ForecastMetrics(actual: actual, predicted: predicted, steps: 1).byStep.isEmpty)
    let r = ReplicaMetrics(runs: [m, ForecastMetrics(actual: actual, predicted: actual, steps: 3)])
    #expect(r.steps == 3 && r.mapeByStep == [5, 2.5, 6.25])
  }
}

@Suite struct ComparisonTests {
  @Test func jsonHasTheContractFieldsAndDeltas() throws {
    let base = ReplicaMetrics(runs: [ForecastMetrics(actual: [10, 20], predicted: [11, 22])])
    let small = ReplicaMetrics(runs: [ForecastMetrics(actual: [10, 20], predicted: [12, 22])])
    let rows = [
      ComparisonRow(
        name: "big", method: "lstm", units: 64, parameters: 100, nonzero: 100, bytes: 400, articleKB: 0.39,
        metrics: base),
      ComparisonRow(
        name: "small", method: "lstm", units: 16, parameters: 25, nonzero: 25, bytes: 100, articleKB: 0.1,
        metrics: small),
      ComparisonRow(name: "seasonal-naive", method: "baseline", metrics: small),
    ]
    let c = Comparison(rows: rows, reference: "big")
    let parsed = try #require(try JSONSerialization.jsonObject(with: Data(c.renderJSON().utf8)) as? [[String: Any]])
    #expect(parsed.count == 3)
    for key in [
      "name", "method", "units", "parameters", "nonzero", "bytes", "mape", "mape_std", "smape", "mae", "rmse", "runs",
      "compression", "delta_mape", "latency_us",
    ] {
      #expect(parsed[0].keys.contains(key), "missing \(key)")
    }
    #expect(parsed[1]["compression"] as? Double == 4)
    #expect(abs((parsed[1]["delta_mape"] as! Double) - 5) < 1e-9)
    #expect(parsed[2]["method"] as? String == "baseline")
    #expect(c.renderCSV().split(separator: "\n").count == 4)
    #expect(c.renderMarkdown().contains("| small | lstm | 16 |"))
  }
}
