// train kind=ets: exponential smoothing per series (Modeling/ETSForecaster.swift), the model a
// forecaster reaches for first: each series' error, trend and season chosen by AICc (`auto`) or
// given, parameters by maximum likelihood on the days before the test period.

import Foundation
import Modeling
import SalesData

public struct ETSSpec: Sendable {
  /// nil: each series' model chosen by AICc; otherwise this model for every series.
  public var components: ETSComponents?
  public var seasonLength = 7
  /// The new model's name (default ets, or ets-CODE).
  public var name: String?
  public init() {}
}

extension Workspace {
  public mutating func trainETS(_ spec: ETSSpec) throws(CommandError) -> FittedModel {
    let data = try dataset()
    guard (1...366).contains(spec.seasonLength) else {
      throw CommandError("season=\(spec.seasonLength) must be between 1 and 366 days")
    }
    let name = spec.name ?? spec.components.map { "ets-\($0.code)" } ?? "ets"
    try requireFreeModelName(name)
    var command = RecordedCommand("train", asName: name)
    command.set("kind", "ets")
    command.set("model", spec.components?.code ?? "auto")
    command.set("season", spec.seasonLength)
    let started = ContinuousClock.now
    let model: ETSForecaster
    switch ETSForecaster.fit(
      data.windows, components: spec.components, seasonLength: spec.seasonLength, threads: threads)
    {
    case .success(let m): model = m
    case .failure(let error):
      throw CommandError(
        error.message, hint: spec.components == nil ? "use a shorter lookback or more data" : "try model=auto")
    }
    return addFitted(model, name: name, on: data, command: command, seconds: seconds(since: started))
  }
}
