// SeriesRecursion: what the per-series classical models (ETS, Theta) share. Each is a state
// that starts before a series' first day, folds in each observed day, and forecasts from where
// it stands. Forecasting a window walks that state through the series up to the window's last
// observed day: the device's loop, with the parameters fitted once and never refitted.

import SalesData

public protocol SeriesRecursion: Sendable {
  associatedtype State
  /// The state before the series' first day.
  var startState: State { get }
  /// Folds in day `day`'s sales (days counted from the series' first, 0).
  func observe(_ state: inout State, _ y: Double, day: Int)
  /// The forecast `steps` days after the last day folded in, the next day being `nextDay`.
  func forecast(from state: State, nextDay: Int, steps: Int) -> Double
}

extension SeriesRecursion {
  /// The state after days 0 ..< values.count.
  public func state(after values: some Collection<Double>) -> State {
    var s = startState
    for (day, y) in values.enumerated() { observe(&s, y, day: day) }
    return s
  }
}

/// Forecasts, in scaled units, for `windows` of `data`, by the model of each window's series
/// (`models[s]` for data series s; nil gives NaN): windows grouped by series and walked in the
/// order of their last observed day, so each series is walked once.
func walkForecasts<M: SeriesRecursion>(_ models: [M?], _ windows: [WindowRef], data: WindowedData) -> [Float] {
  let horizon = data.config.horizon
  let offset = data.lookback + horizon - 1
  var bySeries = [[Int]](repeating: [], count: data.raw.count)
  for (k, w) in windows.enumerated() { bySeries[Int(w.series)].append(k) }
  var out = [Float](repeating: .nan, count: windows.count)
  for (s, ks) in bySeries.enumerated() where !ks.isEmpty {
    guard let model = models[s] else { continue }
    let values = data.raw[s]
    let order = ks.sorted { (windows[$0].start, $0) < (windows[$1].start, $1) }
    var state = model.startState
    var observed = 0  // days folded into `state`
    for k in order {
      // Day t is forecast from the state after day t - horizon.
      let t = Int(windows[k].start) + offset
      while observed <= t - horizon {
        model.observe(&state, Double(values[observed]), day: observed)
        observed += 1
      }
      out[k] = data.scaler.scale(Float(model.forecast(from: state, nextDay: observed, steps: horizon)))
    }
  }
  return out
}

/// Which of a per-series model's series (given by store, item and first day) each of `data`'s
/// series is, and, when one is missing or starts on another day, why the model cannot forecast.
func matchSeries(_ own: [(store: Int, item: Int, startDay: Int)], in data: WindowedData) -> (
  index: [Int?], problem: String?
) {
  var byID: [Int64: Int] = [:]
  for (k, s) in own.enumerated() { byID[Int64(s.store) << 32 | Int64(s.item)] = k }
  let index = data.seriesInfo.map { byID[Int64($0.store) << 32 | Int64($0.item)] }
  for (k, i) in index.enumerated() {
    let info = data.seriesInfo[k]
    guard let i else {
      return (index, "it has no model for store \(info.store) item \(info.item) (it is fitted per series)")
    }
    if own[i].startDay != info.startDay {
      return (index, "its store \(info.store) item \(info.item) starts on another day than this dataset's")
    }
  }
  return (index, nil)
}

/// `fit` of each series of `data` on its days before the test period (as doubles), in parallel;
/// each fit depends on its series alone, so the results are the same for any thread count.
func fitEachSeries<M: Sendable>(_ data: WindowedData, threads: Int, _ fit: @Sendable ([Double]) -> M?) -> [M?] {
  let count = data.raw.count
  let fits = UnsafeMutableBufferPointer<M?>.allocate(capacity: count)
  fits.initialize(repeating: nil)
  defer { fits.deallocate() }
  let slots = SendablePointer(fits.baseAddress!)
  Parallel.forEach(count, threads: threads) { s in
    slots.pointer[s] = fit(data.raw[s][0..<data.seriesInfo[s].trainDays].map { Double($0) })
  }
  return Array(fits)
}
