// train kind=theta: the standard theta method per series (Modeling/ThetaForecaster.swift),
// seasonally adjusted when the season is significant, fitted on the days before the test period.

import Foundation
import Modeling
import SalesData

public struct ThetaSpec: Sendable {
  public var seasonLength = 7
  /// The new model's name (default theta).
  public var name: String?
  public init() {}
}

extension Workspace {
  public mutating func trainTheta(_ spec: ThetaSpec) throws(CommandError) -> FittedModel {
    let data = try dataset()
    guard (1...366).contains(spec.seasonLength) else {
      throw CommandError("season=\(spec.seasonLength) must be between 1 and 366 days")
    }
    let name = spec.name ?? "theta"
    try requireFreeModelName(name)
    var command = RecordedCommand("train", asName: name)
    command.set("kind", "theta")
    command.set("season", spec.seasonLength)
    let started = ContinuousClock.now
    let model: ThetaForecaster
    switch ThetaForecaster.fit(data.windows, seasonLength: spec.seasonLength, threads: threads) {
    case .success(let m): model = m
    case .failure(let error): throw CommandError(error.message, hint: "use a shorter lookback or more data")
    }
    return addFitted(model, name: name, on: data, command: command, seconds: seconds(since: started))
  }
}
