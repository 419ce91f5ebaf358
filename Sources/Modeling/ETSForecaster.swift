// ETSForecaster: exponential smoothing (ExponentialSmoothing.swift) as a Tinycast model: one
// ETS model per series, each fitted on its days before the test period, chosen by AICc or
// fixed. It forecasts as a device would run it: the state walks forward through every observed
// day (test days included) with the fitted parameters, never refitted, and each forecast is made
// from the state after the day before the target (`horizon` days before it). What a device
// stores per series is its parameters and its state at the cut; the initial state is kept too,
// so the days before the cut can be forecast again (validation, plots).

import SalesData

public struct ETSForecaster: Forecaster, Equatable {
  public struct Series: Equatable, Sendable {
    public var store: Int
    public var item: Int
    /// The series' first day (its day number), where `model.initial` holds.
    public var startDay: Int
    /// Days fitted; `cutState` is the state after them, where a device would start.
    public var trainDays: Int
    public var model: ETSModel
    public var cutState: ETSState
    public var aicc: Double

    public init(store: Int, item: Int, startDay: Int, trainDays: Int, model: ETSModel, cutState: ETSState, aicc: Double)
    {
      self.store = store
      self.item = item
      self.startDay = startDay
      self.trainDays = trainDays
      self.model = model
      self.cutState = cutState
      self.aicc = aicc
    }
  }

  public var series: [Series]
  public var seasonLength: Int
  /// Days from the last observed day to the forecast day.
  public var horizon: Int
  /// "auto", or the one model every series was given ("AAdA").
  public var selection: String

  public init(series: [Series], seasonLength: Int, horizon: Int, selection: String) {
    self.series = series
    self.seasonLength = seasonLength
    self.horizon = horizon
    self.selection = selection
  }

  public var family: String { "ets" }
  /// Forecasts whatever lead the data asks, so it forecasts every day of multi-day windows.
  public var followsDataHorizon: Bool { true }
  public var label: String {
    selection == "auto" ? "ETS (auto)" : (ETSComponents(code: selection)?.description ?? "ETS \(selection)")
  }
  /// "ETS per series, season 7: 31 x ETS(M,Ad,M), 19 x ETS(A,N,A)", most common first.
  public var architecture: String {
    var counts: [String: Int] = [:]
    for s in series { counts[s.model.components.description, default: 0] += 1 }
    let parts = counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
      .map { "\($0.value) x \($0.key)" }
    return "ETS per series, season \(seasonLength): " + parts.joined(separator: ", ")
  }
  public var kindDescription: String { "float64 per series" }
  public var units: Int { 0 }
  /// What a device keeps per series: the smoothing parameters and the state at the cut.
  public var parameterCount: Int {
    series.reduce(0) { total, s in
      let c = s.model.components
      let smoothing = 1 + (c.trend != .none ? 1 : 0) + (c.season != .none ? 1 : 0) + (c.trend == .damped ? 1 : 0)
      let state = 1 + (c.trend != .none ? 1 : 0) + (c.season != .none ? s.model.seasonLength : 0)
      return total + smoothing + state
    }
  }
  public var nonzeroCount: Int { parameterCount }
  public var compressibleTensors: [String] { [] }

  public func isIdentical(to other: any Forecaster) -> Bool { (other as? ETSForecaster) == self }

  func match(_ data: WindowedData) -> (index: [Int?], problem: String?) {
    matchSeries(series.map { ($0.store, $0.item, $0.startDay) }, in: data)
  }

  public func incompatibility(with data: WindowedData) -> String? { match(data).problem }

  public func predictScaled(_ windows: [WindowRef], data: WindowedData, threads: Int) -> [Float] {
    walkForecasts(match(data).index.map { $0.map { series[$0].model } }, windows, data: data)
  }

  /// Fits every series of `data` on its days before the test period: `components` for each, or
  /// (nil) the best by AICc. Series run in parallel; each fit is the same whatever the threads.
  public static func fit(
    _ data: WindowedData, components: ETSComponents?, seasonLength: Int, threads: Int
  ) -> Result<ETSForecaster, SeriesFitError> {
    let fits = fitEachSeries(data, threads: threads) { y in
      components.map { ExponentialSmoothing.fit(y, components: $0, seasonLength: seasonLength) }
        ?? ExponentialSmoothing.autoFit(y, seasonLength: seasonLength)
    }
    var series: [Series] = []
    for s in fits.indices {
      let info = data.seriesInfo[s]
      guard let fit = fits[s] else {
        return .failure(
          SeriesFitError(store: info.store, item: info.item, days: info.trainDays, components: components))
      }
      let values = data.raw[s][0..<info.trainDays].map { Double($0) }
      series.append(
        Series(
          store: info.store, item: info.item, startDay: info.startDay, trainDays: info.trainDays, model: fit.model,
          cutState: fit.model.state(after: values), aicc: fit.aicc))
    }
    return .success(
      ETSForecaster(
        series: series, seasonLength: seasonLength, horizon: data.config.horizon,
        selection: components?.code ?? "auto"))
  }
}

/// A series a per-series model could not be fitted to, and why.
public struct SeriesFitError: Error, Sendable {
  public var store: Int
  public var item: Int
  public var days: Int
  /// The ETS model asked for (nil: ETS's automatic choice, or Theta).
  public var components: ETSComponents?
  public var method = "ETS"
  public var message: String {
    if let c = components, c.error == .multiplicative || c.season == .multiplicative {
      return "\(c) cannot fit store \(store) item \(item): a multiplicative model needs every day's sales above "
        + "zero, and its \(days) days are not (or are too few)"
    }
    return "no \(method) model fits store \(store) item \(item): \(days) days before the test period are too few"
  }
}
