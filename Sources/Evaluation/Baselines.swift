// Baselines: forecasts that learn nothing. An LSTM that cannot beat them has not earned its bytes.

import SalesData

public enum Baseline: String, CaseIterable, Sendable {
  case lastValue = "naive-last"  // y[t-1]
  case seasonalNaive = "seasonal-naive"  // y[t-7], same weekday last week
  case seasonalMean = "seasonal-mean"  // (y[t-7] + y[t-14]) / 2

  public var summary: String {
    switch self {
    case .lastValue: "yesterday's sales, y[t-1]"
    case .seasonalNaive: "same weekday last week, y[t-7]"
    case .seasonalMean: "mean of y[t-7] and y[t-14]"
    }
  }

  /// This baseline's metrics on the test windows, or nil when the series are too short for it.
  public func metrics(_ data: WindowedData) -> ForecastMetrics? {
    forecast(data).map {
      ForecastMetrics(
        actual: data.testActuals, predicted: $0, scales: TestEvaluation.testScales(data), steps: data.steps)
    }
  }

  /// Forecasts for the test windows in sales units (each window's `steps` days in turn), or nil
  /// when a window's series is too short for the lags this baseline needs. Day k (0-based) of a
  /// multi-day window is forecast from what was known at the window's end: yesterday's sales
  /// for every day; the same weekday in the last week (or two) of the window.
  public func forecast(_ data: WindowedData) -> [Float]? {
    var out: [Float] = []
    out.reserveCapacity(data.test.count * data.steps)
    for w in data.test {
      for step in 0..<data.steps {
        // Whole weeks back from the target to the last known day of its weekday.
        let lead = data.config.horizon + step
        let week = 7 * ((lead + 6) / 7)
        switch self {
        case .lastValue:
          guard let v = data.salesBeforeTarget(w, lag: lead, step: step) else { return nil }
          out.append(v)
        case .seasonalNaive:
          guard let v = data.salesBeforeTarget(w, lag: week, step: step) else { return nil }
          out.append(v)
        case .seasonalMean:
          guard let a = data.salesBeforeTarget(w, lag: week, step: step),
            let b = data.salesBeforeTarget(w, lag: week + 7, step: step)
          else { return nil }
          out.append((a + b) / 2)
        }
      }
    }
    return out
  }
}

extension WindowedData {
  /// Actual sales of every test target in test-window order (a multi-day window's days in turn).
  public var testActuals: [Float] { actuals(of: test) }
}
