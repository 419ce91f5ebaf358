// The classical reference rows every comparison shows beside the naive rules: the models a
// forecaster would pick before any network, fitted on the dataset once and cached: exponential
// smoothing chosen by AICc and the theta method (per series), the linear autoregression on 56
// days and the weekday mean of 4 weeks, each on the dataset's own test period (so on the same
// targets as every model compared with them). The cache is the process's, keyed by the data's
// contents, so a second workspace on the same data (a replay, a test, shrink's scratch
// workspace) does not fit them again; the fits are deterministic, so a cached row is the row.

import Artifacts
import Evaluation
import Foundation
import Modeling
import SalesData

/// A classical reference: its row name, what it is, its model file's size and its test metrics.
public struct ClassicalReference: Sendable {
  public var name: String
  /// The model's family ("ets", "linear"): a compared model of this family and name is the same
  /// reference, and the table shows it once.
  public var family: String
  public var label: String
  public var parameters: Int
  public var bytes: Int
  public var metrics: ReplicaMetrics
}

extension Workspace {
  /// The classical rows of `dataset` for windows like `window` (its split, validation share,
  /// scaler and horizon; each reference uses its own lookback). Cached per dataset and window.
  public mutating func classicalReferences(dataset name: String, window: WindowConfig) -> [ClassicalReference] {
    guard let d = datasets[name] else { return [] }
    let compact = models.compactContainer
    // The window's lookback belongs in the key: the ETS and Theta rows' files record it (their
    // bytes differ between lookbacks 7 and 14), though their fits and forecasts do not use it.
    let key =
      "\(Self.fingerprint(d.dataset)) \(window.split) \(window.validation) \(window.horizon) \(window.scale.rawValue)"
      + " \(window.steps) \(window.lookback)"
      + (compact ? " compact" : "")
    if let cached = ClassicalCache.shared.get(key) { return cached }
    var references: [ClassicalReference] = []
    func reference(_ rowName: String, lookback: Int, _ make: (WindowedData) -> any Forecaster) {
      var config = window
      config.lookback = lookback
      guard let data = try? WindowedData(dataset: d.dataset, config: config) else { return }
      let model = make(data)
      let metadata = ModelMetadata(
        name: rowName, lookback: lookback, horizon: window.horizon, scalerKind: data.scaler.kind.rawValue,
        scalerOffset: data.scaler.offset, scalerFactor: data.scaler.factor, lineage: [], compact: compact)
      references.append(
        ClassicalReference(
          name: rowName, family: model.family, label: model.label, parameters: model.parameterCount,
          bytes: ArtifactFamilies.modelFile(model, metadata: metadata).count,
          metrics: TestEvaluation.testMetrics([model], scaler: data.scaler, data: data, threads: threads)))
    }
    let lookback = window.lookback
    if let ets = try? ETSForecaster.fit(
      WindowedData(dataset: d.dataset, config: window), components: nil, seasonLength: 7, threads: threads
    ).get() {
      reference("ets", lookback: lookback) { _ in ets }
    }
    if let theta = try? ThetaForecaster.fit(
      WindowedData(dataset: d.dataset, config: window), seasonLength: 7, threads: threads
    ).get() {
      reference("theta", lookback: lookback) { _ in theta }
    }
    // The linear autoregression and the weekday mean forecast one day; multi-day windows show
    // the per-series state models, which forecast every day from one state.
    if window.steps == 1 {
      reference("linear-56", lookback: 56) { data in LinearAutoregression.fit(data.fit, data: data, ridge: 0.0001) }
      reference("weekday-4", lookback: 28) { _ in WindowAverage(k: 4, mode: .weekday, horizon: window.horizon) }
    }
    ClassicalCache.shared.set(key, references)
    return references
  }

  /// The classical rows to show beside `entries`: those not among them already (the same name
  /// and family, as when `train kind=ets` made the default `ets`).
  mutating func classicalReferences(besides entries: [ModelEntry]) -> [ClassicalReference] {
    guard let first = entries.first else { return [] }
    return classicalReferences(dataset: first.datasetName, window: first.window).filter { c in
      !entries.contains { $0.name == c.name && $0.family == c.family }
    }
  }

  /// A 64-bit FNV-1a hash of a dataset's series: ids, first days and every value's bits.
  static func fingerprint(_ dataset: SalesDataset) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ v: UInt64) {
      h = (h ^ v) &* 0x100_0000_01b3
    }
    for s in dataset.series {
      mix(UInt64(bitPattern: Int64(s.store)))
      mix(UInt64(bitPattern: Int64(s.item)))
      mix(UInt64(bitPattern: Int64(s.startDay)))
      for v in s.values { mix(UInt64(v.bitPattern)) }
    }
    return h
  }
}

/// The classical rows fitted so far in this process, by data and window.
final class ClassicalCache: @unchecked Sendable {
  static let shared = ClassicalCache()
  private let lock = NSLock()
  private var rows: [String: [ClassicalReference]] = [:]

  func get(_ key: String) -> [ClassicalReference]? {
    lock.lock()
    defer { lock.unlock() }
    return rows[key]
  }

  func set(_ key: String, _ value: [ClassicalReference]) {
    lock.lock()
    defer { lock.unlock() }
    rows[key] = value
  }
}
