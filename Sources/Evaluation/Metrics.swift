// Metrics: forecast errors in sales units. MAPE skips targets equal to zero (and says how many).

import Foundation

public struct ForecastMetrics: Sendable, Equatable {
  public var mape: Double  // percent, over targets != 0
  public var smape: Double  // percent, 200 |y - p| / (|y| + |p|), pairs with y = p = 0 skipped
  public var mae: Double
  public var rmse: Double
  public var wape: Double  // percent, sum |y - p| / sum |y|
  public var count: Int
  public var zerosExcluded: Int

  public init(actual: [Float], predicted: [Float]) {
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
  public var zerosExcluded: Int { runs.first?.zerosExcluded ?? 0 }
  public var count: Int { runs.first?.count ?? 0 }

  func mean(_ k: KeyPath<ForecastMetrics, Double>) -> Double {
    runs.isEmpty ? .nan : runs.reduce(0) { $0 + $1[keyPath: k] } / Double(runs.count)
  }
  func std(_ k: KeyPath<ForecastMetrics, Double>) -> Double {
    guard runs.count > 1 else { return 0 }
    let m = mean(k)
    return (runs.reduce(0) { $0 + ($1[keyPath: k] - m) * ($1[keyPath: k] - m) } / Double(runs.count)).squareRoot()
  }
}
