// train kind=average: the window averages (Modeling/WindowAverage.swift), rules with nothing
// to fit: the mean of the last k days, or of the forecast day's weekday over the last k weeks.

import Foundation
import Modeling
import SalesData

public struct AverageSpec: Sendable {
  public var k = 7
  public var mode = WindowAverage.Mode.days
  /// The new model's name (default meanK, or weekdayK).
  public var name: String?
  public init() {}
}

extension Workspace {
  public mutating func trainAverage(_ spec: AverageSpec) throws(CommandError) -> FittedModel {
    let data = try dataset()
    try requireOneDayWindows(data.windows, kind: "average")
    let config = data.windows.config
    let model = WindowAverage(k: spec.k, mode: spec.mode, horizon: config.horizon)
    guard spec.k >= 1, model.indices(lookback: config.lookback) != nil else {
      let needs = spec.mode == .days ? spec.k : 7 * spec.k - config.horizon + 1
      throw CommandError(
        "\(model.architecture) needs \(needs) days; the windows hold \(config.lookback)",
        hint: "run 'window lookback=\(max(needs, 1))' first, or choose a smaller k")
    }
    let name = spec.name ?? (spec.mode == .days ? "mean\(spec.k)" : "weekday\(spec.k)")
    try requireFreeModelName(name)
    var command = RecordedCommand("train", asName: name)
    command.set("kind", "average")
    command.set("k", spec.k)
    command.set("mode", spec.mode.rawValue)
    return addFitted(model, name: name, on: data, command: command)
  }
}

extension Workspace {
  /// Refuses to fit a one-day family (whose forecast is for the data's horizon alone) on
  /// multi-day windows.
  func requireOneDayWindows(_ windows: WindowedData, kind: String) throws(CommandError) {
    guard windows.steps > 1 else { return }
    throw CommandError(
      "kind=\(kind) forecasts one day; these windows ask for \(windows.steps) (window steps=\(windows.steps))",
      hint: "train kind=lstm or gru (a \(windows.steps)-day head), ets, theta or croston; or run 'window steps=1'")
  }
}
