// HeadlineMetric: the one number every decision uses (`set metric=`): compare's delta column,
// shrink's budget, sensitivity, sweep's knee and plot tradeoff. MAPE by default (the article's);
// WAPE or MASE where zero-sales days matter, since MAPE leaves them out.

public enum HeadlineMetric: String, CaseIterable, Sendable {
  case mape, wape, mase, rmsse, mae, rmse

  /// As tables print it.
  public var label: String { rawValue.uppercased() }

  /// "pp" for the percentages (MAPE, WAPE), else the metric's own units.
  public var deltaUnit: String {
    switch self {
    case .mape, .wape: "pp"
    case .mase, .rmsse: "(scaled)"
    case .mae, .rmse: "sales"
    }
  }

  /// "%" after a percentage.
  public var suffix: String { self == .mape || self == .wape ? "%" : "" }

  public func of(_ m: ReplicaMetrics) -> Double {
    switch self {
    case .mape: m.mape
    case .wape: m.wape
    case .mase: m.mase
    case .rmsse: m.rmsse
    case .mae: m.mae
    case .rmse: m.rmse
    }
  }

  public func of(_ m: ForecastMetrics) -> Double { of(ReplicaMetrics(runs: [m])) }

  /// The population standard deviation of the metric over the replicas.
  public func spread(_ m: ReplicaMetrics) -> Double {
    let values = m.runs.map { of($0) }
    guard !values.isEmpty else { return 0 }
    let mean = values.reduce(0, +) / Double(values.count)
    return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
  }
}
