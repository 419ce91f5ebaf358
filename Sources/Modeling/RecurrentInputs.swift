// RecurrentInputs: what a recurrent network reads at each step of its window. By default one
// channel, the scaled sales of the day (the article's setting). Two options, the kilobyte
// forecasters' ideas that made a small linear model beat exponential smoothing, given to networks:
//
// - `levelNormalized` (a multiplicative RevIN, Kim et al. 2022): each window divided by its own
//   level, its mean sales L (1 when the mean is zero), centred: the channel is s_t / L - 1. The
//   network forecasts in that unit and the forecast is (y + 1) L sales, so one set of weights
//   serves a store selling 20 a day and one selling 200.
// - `calendar`: at step t, the weekday and the place in the year of the day that step's value
//   forecasts (t's day + horizon), so the last step carries the forecast day. The calendar is
//   known in advance; these channels follow the sales channel (CalendarFeatures).
// - `holidays`: a channel, 1 when the day that step forecasts is one of these dates (day
//   numbers, sorted), read from a small CSV (SalesData's Holidays).
// - `covariates`: last, one channel per column of the data file the network reads (a promotion
//   flag, a price), min-max scaled by the training days' range. With `covariatesAhead` (the
//   default) step t reads the value of the day it forecasts, as the calendar, so the last step
//   carries the forecast day's planned promotion or price; without, the value of its own day
//   (a covariate known only once the day is over). A multi-day head known in advance reads
//   `covariateDays` days from that day on (its S forecast days at the last step), day-major:
//   channel first + j C + k is covariate k of the j-th day.
//
// The network's own loss stays MSE in its unit (scaled, or level units).

import SalesData

/// A column of the data file a network reads, and the scaler that brings it to the network.
public struct Covariate: Equatable, Sendable {
  public var name: String
  public var scaler: Scaler
  public init(name: String, scaler: Scaler) {
    self.name = name
    self.scaler = scaler
  }
}

public struct RecurrentInputs: Equatable, Sendable {
  public var levelNormalized: Bool
  public var calendar: CalendarFeatures
  /// Day numbers of the holidays, sorted and distinct (empty: no holiday channel).
  public var holidays: [Int]
  /// The data file's columns read as channels, in order (empty: none).
  public var covariates: [Covariate]
  /// Each step reads the covariates of the day it forecasts (true), or of its own day.
  public var covariatesAhead: Bool
  /// Consecutive days of covariates each step reads from that day on: 1, or a multi-day head's
  /// S when they are known in advance (so the last step sees every forecast day's).
  public var covariateDays: Int

  public init(
    levelNormalized: Bool = false, calendar: CalendarFeatures = .none, holidays: [Int] = [],
    covariates: [Covariate] = [], covariatesAhead: Bool = true, covariateDays: Int = 1
  ) {
    self.levelNormalized = levelNormalized
    self.calendar = calendar
    self.holidays = holidays
    self.covariates = covariates
    self.covariatesAhead = covariatesAhead
    self.covariateDays = covariateDays
  }

  /// The article's setting: one channel, scaled sales.
  public static let plain = RecurrentInputs()
  public var isPlain: Bool { self == .plain }
  /// Channels per step: sales, then the calendar's, the holiday flag, the covariates.
  public var channels: Int { firstCovariateChannel + covariates.count * covariateDays }
  /// The holiday flag's channel (when there are holidays).
  public var holidayChannel: Int { 1 + calendar.count }
  /// The first covariate's channel.
  public var firstCovariateChannel: Int { 1 + calendar.count + (holidays.isEmpty ? 0 : 1) }
  /// Whether a forecast needs the forecast day's date (a calendar or holiday channel).
  public var isDated: Bool { !calendar.isEmpty || !holidays.isEmpty }

  /// Why these inputs cannot be read from `data` (a covariate its file lacks), or nil.
  public func incompatibility(with data: WindowedData) -> String? {
    let missing = covariates.map(\.name).filter { data.covariateColumn($0) == nil }
    guard !missing.isEmpty else { return nil }
    let has = data.covariateNames.isEmpty ? "none" : data.covariateNames.joined(separator: ",")
    let all = covariates.map(\.name).joined(separator: ",")
    return "it reads the covariate\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ",")), which the "
      + "dataset does not have (it has \(has); load the file with covariates=\(all))"
  }

  /// 1 when `day` is a holiday, else 0 (binary search of the sorted list).
  @inline(__always) public func holidayFlag(_ day: Int) -> Float { Holidays.flag(day, in: holidays) }

  /// "each window divided by its level + weekday + 3 yearly harmonics", or "scaled sales".
  public var description: String {
    var parts: [String] = [levelNormalized ? "sales over the window's level" : "scaled sales"]
    if !calendar.isEmpty { parts.append(calendar.description) }
    if !holidays.isEmpty { parts.append("holidays (\(holidays.count) date\(holidays.count == 1 ? "" : "s"))") }
    if !covariates.isEmpty {
      parts.append(
        covariates.map(\.name).joined(separator: ", ")
          + (covariatesAhead
            ? covariateDays > 1 ? " (of the \(covariateDays) days from the day forecast)" : " (of the day forecast)"
            : " (of the day read)"))
    }
    return parts.joined(separator: " + ")
  }

  /// The level a window is divided by: its mean sales, or 1 when that is not positive.
  @inline(__always) public static func level(_ sales: UnsafeBufferPointer<Float>) -> Float {
    var sum: Float = 0
    for v in sales { sum = sum + v }
    let mean = sum / Float(sales.count)
    return mean > 0 ? mean : 1
  }

  /// Writes window `w`'s inputs to row `row` of a time-major [T * batch, channels] buffer and
  /// returns the window's level (1 when not level-normalised).
  @inline(__always)
  public func gather(_ w: WindowRef, data: WindowedData, row: Int, batch: Int, into x: UnsafeMutablePointer<Float>)
    -> Float
  {
    let T = data.lookback
    let D = channels
    let start = Int(w.start)
    var level: Float = 1
    if levelNormalized {
      data.raw[Int(w.series)].withUnsafeBufferPointer { s in
        let window = UnsafeBufferPointer(rebasing: s[start..<(start + T)])
        level = Self.level(window)
        for t in 0..<T { x[(t * batch + row) * D] = window[t] / level - 1 }
      }
    } else {
      data.scaled[Int(w.series)].withUnsafeBufferPointer { s in
        for t in 0..<T { x[(t * batch + row) * D] = s[start + t] }
      }
    }
    if isDated {
      let targetDay = data.targetDay(w)
      for t in 0..<T {
        let day = targetDay - (T - 1 - t)
        let step = x + (t * batch + row) * D
        if !calendar.isEmpty {
          calendar.write(weekday: CivilDate.weekday(day), dayOfYear: CivilDate.dayOfYear(day), to: step + 1)
        }
        if !holidays.isEmpty { step[holidayChannel] = holidayFlag(day) }
      }
    }
    if !covariates.isEmpty {
      // Step t's own day is start + t; the day it forecasts is `horizon` days later.
      let first = start + (covariatesAhead ? data.config.horizon : 0)
      let series = data.covariates[Int(w.series)]
      let C = covariates.count
      for (k, covariate) in covariates.enumerated() {
        guard let column = data.covariateColumn(covariate.name) else {
          preconditionFailure("covariate \(covariate.name) is checked by incompatibility(with:) first")
        }
        series[column].withUnsafeBufferPointer { values in
          for t in 0..<T {
            let step = x + (t * batch + row) * D + firstCovariateChannel
            for j in 0..<covariateDays { step[j * C + k] = covariate.scaler.scale(values[first + t + j]) }
          }
        }
      }
    }
    return level
  }

  /// The training target of `w` in the network's unit, from its scaled target.
  @inline(__always) public func networkTarget(scaled: Float, level: Float, scaler: Scaler) -> Float {
    levelNormalized ? scaler.unscale(scaled) / level - 1 : scaled
  }

  /// The network's output `y` as a scaled forecast.
  @inline(__always) public func scaledForecast(_ y: Float, level: Float, scaler: Scaler) -> Float {
    levelNormalized ? scaler.scale((y + 1) * level) : y
  }
}
