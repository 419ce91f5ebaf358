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
      ForecastMetrics(actual: data.testActuals, predicted: $0, scales: TestEvaluation.testScales(data))
    }
  }

  /// Forecasts for the test windows in sales units, or nil when a window's series is too short
  /// for the lags this baseline needs.
  public func forecast(_ data: WindowedData) -> [Float]? {
    var out: [Float] = []
    out.reserveCapacity(data.test.count)
    for w in data.test {
      switch self {
      case .lastValue:
        guard let v = data.salesBeforeTarget(w, lag: data.config.horizon) else { return nil }
        out.append(v)
      case .seasonalNaive:
        guard let v = data.salesBeforeTarget(w, lag: 7) else { return nil }
        out.append(v)
      case .seasonalMean:
        guard let a = data.salesBeforeTarget(w, lag: 7), let b = data.salesBeforeTarget(w, lag: 14) else { return nil }
        out.append((a + b) / 2)
      }
    }
    return out
  }
}

extension WindowedData {
  /// Actual sales of every test window's forecast day, in test-window order.
  public var testActuals: [Float] { test.map { actual($0) } }
}
