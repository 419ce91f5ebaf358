// Reading a comparison back from the JSON `compare to=FILE.json` writes: the rows as they were,
// each run's metrics included, so a table rebuilt from files (`tinycast merge`) prints the same
// numbers, bit for bit, as the table the models gave where they were trained. Numbers are
// written in Swift's shortest round-trip form, so each Double reads back as the same Double.

import Foundation

public struct ComparisonFileError: Error, CustomStringConvertible {
  public let description: String
}

extension ComparisonRow {
  /// The rows of a compare JSON file (`data`); `source` names it in errors.
  public static func rows(fromJSON data: Data, source: String) throws(ComparisonFileError) -> [ComparisonRow] {
    guard let array = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
      throw ComparisonFileError(description: "\(source): not a compare JSON file (a list of rows)")
    }
    return try array.enumerated().map { (k, object) throws(ComparisonFileError) -> ComparisonRow in
      let place = "\(source): row \(k + 1)"
      guard let name = object["name"] as? String, let method = object["method"] as? String else {
        throw ComparisonFileError(description: "\(place): no name or method")
      }
      guard let runs = object["per_run"] as? [[String: Any]], !runs.isEmpty else {
        throw ComparisonFileError(
          description: "\(place) (\(name)): no per_run metrics (a file from an older Tinycast cannot be merged)")
      }
      var row = ComparisonRow(
        name: name, method: method, units: int(object["units"]), parameters: int(object["parameters"]),
        nonzero: int(object["nonzero"]), bytes: int(object["bytes"]), articleKB: double(object["kb_article"]),
        metrics: ReplicaMetrics(runs: try runs.map { (run) throws(ComparisonFileError) in try metrics(run, place) }))
      // The means by day ahead read every run's days: the runs must have the same number.
      guard Set(row.metrics.runs.map(\.byStep.count)).count == 1 else {
        throw ComparisonFileError(description: "\(place) (\(name)): its runs forecast different numbers of days")
      }
      row.latencyMicroseconds = double(object["latency_us"])
      row.flashBytes = int(object["flash_bytes"])
      row.ramBytes = int(object["ram_bytes"])
      row.macs = int(object["macs"])
      row.energyNanojoules = double(object["energy_nj"])
      row.dataset = object["dataset"] as? String
      row.kind = object["kind"] as? String
      row.testTargets = int(object["test_targets"])
      return row
    }
  }

  static func metrics(
    _ object: [String: Any], _ place: String, nested: Bool = false
  ) throws(ComparisonFileError) -> ForecastMetrics {
    guard let count = int(object["count"]), let zeros = int(object["zeros_excluded"]), count >= 0, zeros >= 0 else {
      throw ComparisonFileError(description: "\(place): a run without a count or zeros_excluded")
    }
    // A null was a NaN (no target to average over).
    func value(_ key: String) -> Double { double(object[key]) ?? .nan }
    var m = ForecastMetrics(
      mape: value("mape"), smape: value("smape"), mae: value("mae"), rmse: value("rmse"), wape: value("wape"),
      count: count, zerosExcluded: zeros, mase: double(object["mase"]), rmsse: double(object["rmsse"]),
      bias: value("bias"))
    // A day's metrics have no days of their own.
    if !nested {
      m.byStep = try (object["by_step"] as? [[String: Any]] ?? []).map { (step) throws(ComparisonFileError) in
        try metrics(step, place, nested: true)
      }
    }
    return m
  }

  /// A number as written. JSONSerialization keeps long decimals as NSDecimalNumber, whose
  /// doubleValue can miss the nearest Double by a few units in the last place; its decimal
  /// text, read by Double(String), is the nearest Double, as written.
  static func double(_ v: Any?) -> Double? {
    if let decimal = v as? NSDecimalNumber, let exact = Double(decimal.stringValue) { return exact }
    return (v as? NSNumber)?.doubleValue
  }
  /// A whole number that an Int holds (a damaged file's 1e300 is not one).
  static func int(_ v: Any?) -> Int? {
    guard let d = double(v), d.isFinite, d == d.rounded(), abs(d) < 9e15 else { return nil }
    return Int(d)
  }
}
