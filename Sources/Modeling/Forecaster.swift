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
  /// Forecasts in scaled units for `windows` (the batch forward pass, without dropout).
  func predictScaled(_ windows: [WindowRef], data: WindowedData, threads: Int) -> [Float]
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
}

/// A family whose forecast depends on the input window alone (the LSTM, the linear
/// autoregression, the window averages, Croston): the same function on every series, so it can
/// run on a device from the last days' sales. Per-series models (ETS, Theta) carry state instead.
public protocol WindowForecaster: Forecaster {
  /// One forecast in scaled units from one window of scaled inputs, oldest first (what a device
  /// does); the same bits as the batch forward pass gives that window.
  func forecastScaled(_ window: [Float]) -> Float
}
