// ThetaForecaster: the standard theta method (Theta.swift) as a Tinycast model, one per series,
// fitted on the days before the test period and walked through every observed day without
// refitting, as ETSForecaster is. A device keeps per series alpha, the line, the seasonal
// indices and its level.

import SalesData

public struct ThetaForecaster: Forecaster, Equatable {
  public struct Series: Equatable, Sendable {
    public var store: Int
    public var item: Int
    public var startDay: Int
    /// Days fitted; `cutLevel` is the smoothed level after them.
    public var trainDays: Int
    public var model: ThetaModel
    public var cutLevel: Double

    public init(store: Int, item: Int, startDay: Int, trainDays: Int, model: ThetaModel, cutLevel: Double) {
      self.store = store
      self.item = item
      self.startDay = startDay
      self.trainDays = trainDays
      self.model = model
      self.cutLevel = cutLevel
    }
  }

  public var series: [Series]
  public var seasonLength: Int
  public var horizon: Int

  public init(series: [Series], seasonLength: Int, horizon: Int) {
    self.series = series
    self.seasonLength = seasonLength
    self.horizon = horizon
  }

  public var family: String { "theta" }
  /// Forecasts whatever lead the data asks, so it forecasts every day of multi-day windows.
  public var followsDataHorizon: Bool { true }
  public var label: String { "Theta" }
  public var architecture: String {
    let seasonal = series.filter { $0.model.seasonality != .none }.count
    return "standard theta method per series, \(seasonal) of \(series.count) seasonally adjusted (season "
      + "\(seasonLength))"
  }
  public var kindDescription: String { "float64 per series" }
  public var units: Int { 0 }
  /// Per series: alpha, the line's two numbers, the level, and the seasonal indices if any.
  public var parameterCount: Int { series.reduce(0) { $0 + 4 + $1.model.seasonal.count } }
  public var nonzeroCount: Int { parameterCount }
  public var compressibleTensors: [String] { [] }

  public func isIdentical(to other: any Forecaster) -> Bool { (other as? ThetaForecaster) == self }

  func match(_ data: WindowedData) -> (index: [Int?], problem: String?) {
    matchSeries(series.map { ($0.store, $0.item, $0.startDay) }, in: data)
  }

  public func incompatibility(with data: WindowedData) -> String? { match(data).problem }

  public func predictScaled(_ windows: [WindowRef], data: WindowedData, threads: Int) -> [Float] {
    walkForecasts(match(data).index.map { $0.map { series[$0].model } }, windows, data: data)
  }

  /// Fits every series of `data` on its days before the test period (in parallel; each fit
  /// is the same whatever the threads). Nil names a series too short to fit.
  public static func fit(_ data: WindowedData, seasonLength: Int, threads: Int) -> Result<
    ThetaForecaster, SeriesFitError
  > {
    let fits = fitEachSeries(data, threads: threads) { ThetaMethod.fit($0, seasonLength: seasonLength) }
    var series: [Series] = []
    for s in fits.indices {
      let info = data.seriesInfo[s]
      guard let model = fits[s] else {
        return .failure(
          SeriesFitError(
            store: info.store, item: info.item, days: info.trainDays, components: nil, method: "Theta"))
      }
      let level = model.state(after: data.raw[s][0..<info.trainDays].map { Double($0) }).level ?? model.startLevel
      series.append(
        Series(
          store: info.store, item: info.item, startDay: info.startDay, trainDays: info.trainDays, model: model,
          cutLevel: level))
    }
    return .success(ThetaForecaster(series: series, seasonLength: seasonLength, horizon: data.config.horizon))
  }
}
