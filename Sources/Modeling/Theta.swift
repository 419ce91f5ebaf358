// Theta: the standard theta method of Assimakopoulos and Nikolopoulos (2000), the M3
// competition's winner, in the state-space form of Hyndman and Billah (2003) and Fiorucci et al.
// (2016) that statsforecast computes (its "STM"). Per series:
//
//   1. Seasonality: when the autocorrelation at lag m is significant (90%, the M3 test), the
//      series is divided by the seasonal indices of a classical multiplicative decomposition
//      (subtracted, additive, when the data touch zero or an index falls below 0.01), and
//      forecasts are multiplied back by the index of their weekday.
//   2. On the adjusted series: a straight line a + b t fitted by least squares over the days
//      fitted (its slope b is the theta = 0 line's), and simple exponential smoothing (the
//      theta = 2 line); the forecast of day i is their average, which works out as
//
//        mu_i = l_{i-1} + (1 - 1/theta) (a (1 - alpha)^i + b (1 - (1 - alpha)^(i+1)) / alpha)
//        l_i  = alpha y_i + (1 - alpha) l_{i-1},   l_0 = alpha y_0 + (1 - alpha) l*
//
//      with theta = 2, and alpha in [0.1, 0.99] and the starting level l* fitted by
//      statsforecast's Nelder-Mead search on the squared one-step errors after day 3.
//
// Why Theta beside ETS: it is the other classical method every forecasting benchmark carries,
// strong on trending series where ETS's damped trend is cautious, and it needs only two fitted
// numbers per series. The seasonal indices and the line come from the days fitted only and stay
// fixed through the test period (statsforecast recomputes them over every day it is given).

import Foundation
import SalesData

public struct ThetaModel: Equatable, Sendable {
  public enum Seasonality: String, Sendable { case none, additive, multiplicative }
  public var alpha: Double
  /// The starting level l* before day 0 (in adjusted units).
  public var startLevel: Double
  /// The line's intercept and slope (adjusted units, days counted from 1).
  public var intercept: Double
  public var slope: Double
  public var theta: Double
  public var seasonality: Seasonality
  /// Index of each phase of the season (phase 0 = the series' first day); empty without one.
  public var seasonal: [Double]

  public init(
    alpha: Double, startLevel: Double, intercept: Double, slope: Double, theta: Double = 2,
    seasonality: Seasonality, seasonal: [Double]
  ) {
    self.alpha = alpha
    self.startLevel = startLevel
    self.intercept = intercept
    self.slope = slope
    self.theta = theta
    self.seasonality = seasonality
    self.seasonal = seasonal
  }

  /// Day `day`'s sales seasonally adjusted, and an adjusted forecast put back in sales.
  func adjusted(_ y: Double, day: Int) -> Double {
    switch seasonality {
    case .none: y
    case .additive: y - seasonal[day % seasonal.count]
    case .multiplicative: y / seasonal[day % seasonal.count]
    }
  }
  func reseasoned(_ f: Double, day: Int) -> Double {
    switch seasonality {
    case .none: f
    case .additive: f + seasonal[day % seasonal.count]
    case .multiplicative: f * seasonal[day % seasonal.count]
    }
  }

  /// mu_i from the level after day i - 1 (adjusted units).
  func mu(level: Double, day i: Int) -> Double {
    let decay = Self.power(1 - alpha, i)
    return level + (1 - 1 / theta) * (intercept * decay + slope * (1 - decay * (1 - alpha)) / alpha)
  }
}

/// The state: the smoothed level after the last day folded in (nil before day 0).
public struct ThetaState: Equatable, Sendable {
  public var level: Double?
  public init(level: Double?) { self.level = level }
}

extension ThetaModel {
  /// base^n by squaring, in an order the exported C repeats (no libm there).
  public static func power(_ base: Double, _ n: Int) -> Double {
    var result = 1.0
    var b = base
    var k = n
    while k > 0 {
      if k & 1 == 1 { result = result * b }
      b = b * b
      k >>= 1
    }
    return result
  }
}

extension ThetaModel: SeriesRecursion {
  public var startState: ThetaState { ThetaState(level: nil) }

  public func observe(_ state: inout ThetaState, _ y: Double, day: Int) {
    let x = adjusted(y, day: day)
    state.level = alpha * x + (1 - alpha) * (state.level ?? startLevel)
  }

  public func forecast(from state: ThetaState, nextDay: Int, steps: Int) -> Double {
    guard var level = state.level else {
      return reseasoned(startLevel + (1 - 1 / theta) * (intercept + slope), day: 0)
    }
    // Beyond one step, the forecast feeds itself (statsforecast's forecast with usemu).
    var f = mu(level: level, day: nextDay)
    for i in 1..<max(steps, 1) {
      level = alpha * f + (1 - alpha) * level
      f = mu(level: level, day: nextDay + i)
    }
    return reseasoned(f, day: nextDay + steps - 1)
  }
}

public enum ThetaMethod {
  /// The M3 seasonality test: is the autocorrelation at lag m beyond 1.645 of its standard
  /// error (Bartlett's, from the lags below m)?
  public static func isSeasonal(_ y: [Double], m: Int) -> Bool {
    guard m >= 4, y.count >= 2 * m else { return false }
    let n = Double(y.count)
    let mean = y.reduce(0, +) / n
    var denominator = 0.0
    for v in y { denominator += (v - mean) * (v - mean) }
    guard denominator > 0 else { return false }
    func r(_ k: Int) -> Double {
      var s = 0.0
      for t in 0..<(y.count - k) { s += (y[t] - mean) * (y[t + k] - mean) }
      return s / denominator
    }
    var sum = 0.0
    for k in 1..<m { sum += r(k) * r(k) }
    let standardError = ((1 + 2 * sum) / n).squareRoot()
    return abs(r(m)) / standardError > 1.6448536269514722
  }

  /// Fits the standard theta method to `y` (the days before the test period); nil when it is
  /// shorter than 4 days.
  public static func fit(_ y: [Double], seasonLength m: Int) -> ThetaModel? {
    guard y.count > 3 else { return nil }
    var seasonality = ThetaModel.Seasonality.none
    var seasonal: [Double] = []
    if isSeasonal(y, m: m) {
      let positive = y.allSatisfy { $0 > 0 }
      if positive {
        seasonal = ExponentialSmoothing.seasonalIndices(y, m: m, multiplicative: true)
        seasonality = .multiplicative
      }
      if !positive || seasonal.contains(where: { $0 < 0.01 }) {
        seasonal = ExponentialSmoothing.seasonalIndices(y, m: m, multiplicative: false)
        seasonality = .additive
      }
    }
    var model = ThetaModel(
      alpha: 0.5, startLevel: 0, intercept: 0, slope: 0, seasonality: seasonality, seasonal: seasonal)
    let x = y.enumerated().map { model.adjusted($0.element, day: $0.offset) }
    // The line by least squares on t = 1 ... n, in statsforecast's closed form.
    let n = Double(x.count)
    let mean = x.reduce(0, +) / n
    var weighted = 0.0
    for (t, v) in x.enumerated() { weighted += Double(t + 1) * v }
    weighted /= n
    model.slope = 6 * (2 * weighted - (n + 1) * mean) / (n * n - 1)
    model.intercept = mean - (n + 1) * model.slope / 2
    let meanAbs = max(x.reduce(0) { $0 + abs($1) } / n, 1e-10)
    let result = NelderMead.minimize(start: [x[0] / 2, 0.5], lower: [-1e10, 0.1], upper: [1e10, 0.99]) { p in
      var m = model
      m.startLevel = p[0]
      m.alpha = p[1]
      let value = squaredErrors(m, x) / meanAbs
      return value.isNaN ? .infinity : value
    }
    model.startLevel = result.x[0]
    model.alpha = result.x[1]
    return model
  }

  /// The sum of squared one-step errors on the adjusted series from day 3 on (statsforecast
  /// leaves the first three out).
  static func squaredErrors(_ model: ThetaModel, _ x: [Double]) -> Double {
    var level = model.alpha * x[0] + (1 - model.alpha) * model.startLevel
    var sum = 0.0
    for i in 1..<x.count {
      let e = x[i] - model.mu(level: level, day: i)
      if i >= 3 { sum += e * e }
      level = model.alpha * x[i] + (1 - model.alpha) * level
    }
    return sum
  }
}
