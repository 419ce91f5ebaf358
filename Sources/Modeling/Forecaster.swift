// Forecaster: what every model family gives the rest of Tinycast, whatever its insides. A
// family (the LSTM today; the classical forecasters, GRU and stacked networks next) is a type
// conforming to this protocol, plus its entries in the registries that train it (Workbench's
// ModelFamilies) and write it to files (Artifacts' ArtifactFamilies). Evaluation, comparison,
// plots, predictions, sizes and sessions work through this protocol alone.

import SalesData

public protocol Forecaster: Sendable {
  /// The family's name, as `train kind=` and the model file's header say it ("lstm").
  var family: String { get }
  /// A short name for one-line reports ("LSTM-64").
  var label: String { get }
  /// The layers, for `show` ("LSTM-64 -> Dropout(0.2) -> Dense(1)").
  var architecture: String { get }
  /// How the numbers are stored and computed ("float32", "int8 per channel, integer path").
  var kindDescription: String { get }
  /// The family's width (hidden units of a recurrent network).
  var units: Int { get }
  /// Numbers a device stores, and how many of them are not zero.
  var parameterCount: Int { get }
  var nonzeroCount: Int { get }
  /// Forecasts in scaled units for `windows` (the batch forward pass, without dropout):
  /// `outputs` per window, window by window.
  func predictScaled(_ windows: [WindowRef], data: WindowedData, threads: Int) -> [Float]
  /// Consecutive days one forecast covers: 1, or S for a network with a multi-day head
  /// (`window steps=S`).
  var outputs: Int { get }
  /// Whether this one-day model forecasts whatever lead the data asks (`data.config.horizon`):
  /// a per-series state forecast any number of days ahead (ETS, Theta), or a flat forecast
  /// (Croston). Such a model forecasts each day of a multi-day window (`forecastsByStep`).
  var followsDataHorizon: Bool { get }
  /// The tensors compression may prune or quantize, by their model-file names
  /// ("lstm/kernel"); empty when this model's numbers are not weights compression can touch.
  var compressibleTensors: [String] { get }
  /// The same model, bit for bit (replays and transactions are checked with it).
  func isIdentical(to other: any Forecaster) -> Bool
  /// Why this model cannot forecast `data`'s windows (a per-series model fitted on other
  /// series), or nil when it can.
  func incompatibility(with data: WindowedData) -> String?
}

extension Forecaster {
  public func incompatibility(with data: WindowedData) -> String? { nil }
  public var outputs: Int { 1 }
  public var followsDataHorizon: Bool { false }

  /// Forecasts in scaled units for `windows` of `data`: each window's `data.steps` days in turn.
  /// A model with that many outputs gives them at once; a one-day model that follows the data's
  /// horizon forecasts day k from the same windows seen k days further ahead.
  public func forecastsByStep(_ windows: [WindowRef], data: WindowedData, threads: Int) -> [Float] {
    let steps = data.steps
    if outputs == steps { return predictScaled(windows, data: data, threads: threads) }
    precondition(
      outputs == 1 && followsDataHorizon, "forecastsByStep: \(label) cannot forecast \(steps) days")
    var out = [Float](repeating: 0, count: windows.count * steps)
    for step in 0..<steps {
      let day = predictScaled(windows, data: data.shifted(toStep: step), threads: threads)
      for k in windows.indices { out[k * steps + step] = day[k] }
    }
    return out
  }
}

/// A family whose forecast depends on the input window alone (the LSTM, the linear
/// autoregression, the window averages, Croston): the same function on every series, so it can
/// run on a device from the last days' sales. Per-series models (ETS, Theta) carry state instead.
public protocol WindowForecaster: Forecaster {
  /// One forecast in scaled units from one window of scaled inputs, oldest first (what a device
  /// does); the same bits as the batch forward pass gives that window.
  func forecastScaled(_ window: [Float]) -> Float
}
