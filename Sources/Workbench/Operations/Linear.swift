// train kind=linear: the global linear autoregression (Modeling/LinearAutoregression.swift), the
// first classical yardstick beside the LSTM. One fit, in closed form, on the training windows.

import Compression
import Foundation
import Modeling
import SalesData

public struct LinearSpec: Sendable {
  /// The ridge penalty per window on the weights (not the bias), in scaled units.
  public var ridge = 0.0001
  /// Squared or absolute errors.
  public var loss = LinearAutoregression.Loss.mse
  /// Each window divided by its mean sales.
  public var levelNormalized = false
  /// The forecast day's weekday and yearly harmonics as inputs.
  public var calendar = CalendarFeatures.none
  /// Holidays (sorted day numbers): the forecast day's flag as a last input.
  public var holidays: [Int] = []
  /// The holiday file as the user gave it (recorded).
  public var holidaysFile: String?
  /// Columns of the data file whose forecast-day values are inputs.
  public var covariates: [String] = []
  /// The new model's name (default linearLOOKBACK).
  public var name: String?
  public init() {}
}

/// What a fit in closed form returns: the new model, the time taken, and its command.
public struct FittedModel: Sendable {
  public var model: ModelEntry
  public var seconds: Double
  public var command: RecordedCommand
}

extension Workspace {
  public mutating func trainLinear(_ spec: LinearSpec) throws(CommandError) -> FittedModel {
    let data = try dataset()
    try requireOneDayWindows(data.windows, kind: "linear")
    guard spec.ridge >= 0, spec.ridge.isFinite else {
      throw CommandError("ridge=\(formatNumber(spec.ridge)) must be a number >= 0")
    }
    let name = spec.name ?? "linear\(data.windows.lookback)"
    try requireFreeModelName(name)
    guard data.windows.fit.count > data.windows.lookback else {
      throw CommandError(
        "\(data.windows.fit.count) training windows cannot fit \(data.windows.lookback + 1) numbers",
        hint: "use a shorter lookback or more data")
    }
    guard (0...12).contains(spec.calendar.yearHarmonics) else {
      throw CommandError("year=\(spec.calendar.yearHarmonics) must be between 0 and 12 harmonics")
    }
    var command = RecordedCommand("train", asName: name)
    command.set("kind", "linear")
    command.set("ridge", spec.ridge)
    // The input options are written only when used, so sessions from before them read the same.
    if spec.loss != .mse { command.set("loss", spec.loss.rawValue) }
    if spec.levelNormalized { command.set("norm", "level") }
    if spec.calendar.weekday { command.set("weekday", on: true) }
    if spec.calendar.yearHarmonics > 0 { command.set("year", spec.calendar.yearHarmonics) }
    if let file = spec.holidaysFile { command.set("holidays", file) }
    let covariates = try covariates(spec.covariates, of: data)
    if !covariates.isEmpty { command.set("covariates", spec.covariates.joined(separator: ",")) }
    let started = ContinuousClock.now
    let model = LinearAutoregression.fit(
      data.windows.fit, data: data.windows, ridge: spec.ridge, loss: spec.loss, levelNormalized: spec.levelNormalized,
      calendar: spec.calendar, holidays: spec.holidays, covariates: covariates)
    return addFitted(model, name: name, on: data, command: command, seconds: seconds(since: started))
  }

  /// Adds a one-replica model fitted (not trained by epochs) on `data`'s current windows: the
  /// entry every fitted family (linear, average, croston) makes, with `command` in its lineage.
  mutating func addFitted(
    _ model: any Forecaster, name: String, on data: DatasetEntry, command: RecordedCommand, seconds: Double = 0
  ) -> FittedModel {
    var entry = ModelEntry(
      name: name, method: Method(.trained(model.family)), datasetName: data.name, window: data.windows.config,
      scaler: data.windows.scaler, replicas: [model], seeds: [0], logs: [TrainingLog()],
      lineage: lineage(ofDataset: data.name) + [command.render()])
    entry = models.add(entry)
    return FittedModel(model: entry, seconds: seconds, command: command)
  }
}
