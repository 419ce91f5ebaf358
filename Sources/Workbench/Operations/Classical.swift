// The classical reference rows every comparison shows beside the naive rules: the models a
// forecaster would pick before any network, fitted on the dataset once and cached. Today: the
// linear autoregression on 56 days and the weekday mean of 4 weeks, each on the dataset's own
// test period (so on the same targets as every model compared with them).

import Artifacts
import Evaluation
import Foundation
import Modeling
import SalesData

/// A classical reference: its row name, what it is, its model file's size and its test metrics.
public struct ClassicalReference: Sendable {
  public var name: String
  public var label: String
  public var parameters: Int
  public var bytes: Int
  public var metrics: ReplicaMetrics
}

extension Workspace {
  /// The classical rows of `dataset` for windows like `window` (its split, validation share,
  /// scaler and horizon; each reference uses its own lookback). Cached per dataset and window.
  public mutating func classicalReferences(dataset name: String, window: WindowConfig) -> [ClassicalReference] {
    let key = "\(name) \(window.split) \(window.validation) \(window.horizon) \(window.scale.rawValue)"
    if let cached = classicalCache[key] { return cached }
    guard let d = datasets[name] else { return [] }
    var references: [ClassicalReference] = []
    func reference(_ rowName: String, lookback: Int, _ make: (WindowedData) -> any Forecaster) {
      var config = window
      config.lookback = lookback
      guard let data = try? WindowedData(dataset: d.dataset, config: config) else { return }
      let model = make(data)
      let metadata = ModelMetadata(
        name: rowName, lookback: lookback, horizon: window.horizon, scalerKind: data.scaler.kind.rawValue,
        scalerOffset: data.scaler.offset, scalerFactor: data.scaler.factor, lineage: [])
      references.append(
        ClassicalReference(
          name: rowName, label: model.label, parameters: model.parameterCount,
          bytes: ArtifactFamilies.modelFile(model, metadata: metadata).count,
          metrics: TestEvaluation.testMetrics([model], scaler: data.scaler, data: data, threads: threads)))
    }
    reference("linear-56", lookback: 56) { data in LinearAutoregression.fit(data.fit, data: data, ridge: 0.0001) }
    reference("weekday-4", lookback: 28) { _ in WindowAverage(k: 4, mode: .weekday, horizon: window.horizon) }
    classicalCache[key] = references
    return references
  }
}
