// WindowAverage: the averages a planner reaches for first. The mean of the last k days, or the
// mean of the same weekday as the forecast day over the last k weeks (k = 2 is the
// seasonal-mean rule; k = 1 of the last days is naive-last). No parameters are fitted: the
// model is its rule. It works in scaled units, where a mean of scaled days is the scaled mean.

import SalesData

public struct WindowAverage: WindowForecaster, Equatable {
  public enum Mode: String, Sendable, CaseIterable {
    /// The last k days.
    case days
    /// The same weekday as the forecast day, over the last k weeks.
    case weekday
  }
  public var k: Int
  public var mode: Mode
  /// Days from the last input day to the forecast day (1 = tomorrow).
  public var horizon: Int

  public init(k: Int, mode: Mode, horizon: Int) {
    self.k = k
    self.mode = mode
    self.horizon = horizon
  }

  /// The days of a window of `lookback` days it averages (0 = the oldest), or nil when the
  /// window is too short for the rule.
  public func indices(lookback: Int) -> [Int]? {
    switch mode {
    case .days:
      return k <= lookback ? Array((lookback - k)..<lookback) : nil
    case .weekday:
      // Same weekday as day `lookback - 1 + horizon`: 7, 14, ... days before it.
      let days = (1...k).map { lookback - 1 + horizon - 7 * $0 }.reversed()
      return days.allSatisfy { $0 >= 0 && $0 < lookback } ? Array(days) : nil
    }
  }

  public var family: String { "average" }
  public var label: String { mode == .days ? "mean of \(k) days" : "weekday mean of \(k) weeks" }
  public var architecture: String {
    mode == .days
      ? "the mean of the last \(k) days" : "the mean of the forecast day's weekday over the last \(k) weeks"
  }
  public var kindDescription: String { "no parameters" }
  public var units: Int { 0 }
  public var parameterCount: Int { 0 }
  public var nonzeroCount: Int { 0 }
  public var compressibleTensors: [String] { [] }

  public func isIdentical(to other: any Forecaster) -> Bool { (other as? WindowAverage) == self }

  /// The sum of the chosen days, oldest first, in float32, then divided by k (as the C does).
  public func forecastScaled(_ window: [Float]) -> Float {
    guard let days = indices(lookback: window.count) else {
      preconditionFailure("a \(window.count)-day window is too short for \(architecture)")
    }
    var sum: Float = 0
    for d in days { sum = sum + window[d] }
    return sum / Float(k)
  }

  public func predictScaled(_ windows: [WindowRef], data: WindowedData, threads: Int) -> [Float] {
    var x = [Float](repeating: 0, count: data.lookback)
    return windows.map { w in
      data.gatherInputs(w, row: 0, batch: 1, into: &x)
      return forecastScaled(x)
    }
  }
}
