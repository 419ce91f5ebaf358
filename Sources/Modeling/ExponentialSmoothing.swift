// ExponentialSmoothing: the ETS state-space models of Hyndman, Koehler, Ord and Snyder,
// *Forecasting with Exponential Smoothing* (2008), fitted to one series by maximum likelihood
// and chosen by AICc, as R's forecast::ets and statsforecast's AutoETS do it.
//
// A model is error x trend x season: error additive (A) or multiplicative (M); trend none (N),
// additive (A) or additive damped (Ad); season none, additive or multiplicative, of length m.
// The state is a level l, a slope b and m seasonal terms s[0] (the newest) ... s[m-1] (the one
// tomorrow uses). With q = l + phi b (l without a trend), each observed day y updates it:
//
//   forecast  f = q (+ s[m-1] | * s[m-1])
//   level     l' = q + alpha (y (- s[m-1] | / s[m-1]) - q)
//   slope     b' = phi b + (beta / alpha) (l' - l - phi b)
//   season    s' = [s[m-1] + gamma (y (- q | / q) - s[m-1]), s[0], ..., s[m-2]]
//
// (the error-correction form statsforecast and forecast compute, so the same parameters give
// the same forecasts). The likelihood to minimise is n log(sum e^2), plus 2 sum log|f| for
// multiplicative errors, where e = y - f or (y - f) / f. Starting values follow statsforecast:
// a classical decomposition for the seasonal terms, a line through the first max(10, 2m)
// seasonally adjusted days for the level and slope, and its Nelder-Mead search (NelderMead.swift)
// over the smoothing parameters and the initial state together. One deliberate difference:
// statsforecast narrows the slope's upper bound across the candidate models it tries (a shared
// array it edits in place); here each candidate starts from the documented bounds, as in R; and
// a likelihood that is not a number counts as the worst value, not (as there) the best.

import Foundation

public struct ETSComponents: Hashable, Sendable, CustomStringConvertible {
  public enum Error: String, Sendable, CaseIterable {
    case additive = "A"
    case multiplicative = "M"
  }
  public enum Trend: String, Sendable, CaseIterable {
    case none = "N"
    case additive = "A"
    case damped = "Ad"
  }
  public enum Season: String, Sendable, CaseIterable {
    case none = "N"
    case additive = "A"
    case multiplicative = "M"
  }
  public var error: Error
  public var trend: Trend
  public var season: Season

  public init(error: Error, trend: Trend, season: Season) {
    self.error = error
    self.trend = trend
    self.season = season
  }

  /// "AAdM": error, trend and season letters, the way `train kind=ets model=` writes them.
  public var code: String { error.rawValue + trend.rawValue + season.rawValue }
  /// "ETS(A,Ad,M)", as the literature writes it.
  public var description: String { "ETS(\(error.rawValue),\(trend.rawValue),\(season.rawValue))" }

  /// Parses a code such as "ANN", "AAdA" or "MAdM".
  public init?(code: String) {
    guard code.count >= 3, let e = Error(rawValue: String(code.prefix(1))),
      let s = Season(rawValue: String(code.suffix(1))),
      let t = Trend(rawValue: String(code.dropFirst().dropLast()))
    else { return nil }
    self.init(error: e, trend: t, season: s)
  }

  /// The candidates `auto` tries, in statsforecast's order. Additive errors never pair with a
  /// multiplicative season (those models are numerically unstable: Hyndman et al., 2008, 7.4),
  /// and multiplicative errors or seasons need data above zero.
  public static func candidates(positiveData: Bool, seasonal: Bool) -> [ETSComponents] {
    var list: [ETSComponents] = []
    for e in Error.allCases {
      for t in [Trend.none, .additive] {
        for s in Season.allCases {
          for damped in [true, false] {
            if t == .none && damped { continue }
            if e == .additive && s == .multiplicative { continue }
            if !positiveData && (e == .multiplicative || s == .multiplicative) { continue }
            if s != .none && !seasonal { continue }
            list.append(ETSComponents(error: e, trend: damped ? .damped : t, season: s))
          }
        }
      }
    }
    return list
  }
}

/// The smoothing parameters: beta is 0 without a trend, gamma 0 without a season, phi 1 when
/// the trend is not damped.
public struct ETSParameters: Equatable, Sendable {
  public var alpha: Double
  public var beta: Double
  public var gamma: Double
  public var phi: Double
  public init(alpha: Double, beta: Double, gamma: Double, phi: Double) {
    self.alpha = alpha
    self.beta = beta
    self.gamma = gamma
    self.phi = phi
  }
}

/// A state: level, slope and the m seasonal terms, newest first (statsforecast's order).
public struct ETSState: Equatable, Sendable {
  public var level: Double
  public var slope: Double
  public var season: [Double]
  public init(level: Double, slope: Double, season: [Double]) {
    self.level = level
    self.slope = slope
    self.season = season
  }
}

/// One series' model: its components, parameters and the state before its first day.
public struct ETSModel: Equatable, Sendable {
  public var components: ETSComponents
  public var parameters: ETSParameters
  public var initial: ETSState
  public var seasonLength: Int

  public init(components: ETSComponents, parameters: ETSParameters, initial: ETSState, seasonLength: Int) {
    self.components = components
    self.parameters = parameters
    self.initial = initial
    self.seasonLength = seasonLength
  }

  /// Numbers fitted: the smoothing parameters and the free initial states (the last seasonal
  /// term is fixed by the others: they sum to 0, or to m when multiplicative).
  public var fittedCount: Int {
    let smoothing =
      1 + (components.trend != .none ? 1 : 0) + (components.season != .none ? 1 : 0)
      + (components.trend == .damped ? 1 : 0)
    return smoothing + 1 + (components.trend != .none ? 1 : 0)
      + (components.season != .none ? seasonLength - 1 : 0)
  }

  /// The one-step forecast from `state`, or `h` steps ahead.
  public func forecast(from state: ETSState, steps h: Int = 1) -> Double {
    let p = parameters
    let m = components.season == .none ? 1 : seasonLength
    var phiStar = p.phi
    for i in 1..<max(h, 1) { phiStar += p.phi == 1 ? 1 : pow(p.phi, Double(i + 1)) }
    var f = components.trend == .none ? state.level : state.level + phiStar * state.slope
    var j = m - 1 - (h - 1)
    while j < 0 { j += m }
    switch components.season {
    case .none: break
    case .additive: f += state.season[j]
    case .multiplicative: f *= state.season[j]
    }
    return f
  }

  /// The state after observing `y`.
  public func update(_ state: inout ETSState, observing y: Double) {
    ETSRecursion(self).step(&state.level, &state.slope, season: &state.season, head: 0, y: y, rotate: true)
  }

}

extension ETSModel: SeriesRecursion {
  public var startState: ETSState { initial }
  public func observe(_ state: inout ETSState, _ y: Double, day: Int) { update(&state, observing: y) }
  public func forecast(from state: ETSState, nextDay: Int, steps: Int) -> Double { forecast(from: state, steps: steps) }
}

/// The recursion with its constants unpacked, shared by the likelihood (a ring buffer of
/// seasonal terms) and `ETSModel.update` (a plain array, rotated).
struct ETSRecursion {
  let error: ETSComponents.Error
  let trend: ETSComponents.Trend
  let season: ETSComponents.Season
  let alpha, beta, gamma, phi: Double
  let m: Int
  static let tolerance = 1e-10
  static let huge = 1e10

  init(_ model: ETSModel) {
    error = model.components.error
    trend = model.components.trend
    season = model.components.season
    let p = model.parameters
    alpha = p.alpha
    beta = trend == .none ? 0 : p.beta
    gamma = season == .none ? 0 : p.gamma
    phi = trend == .damped ? p.phi : 1
    m = season == .none ? 1 : model.seasonLength
  }

  /// One day: returns the forecast f made before seeing y and updates the state. The seasonal
  /// term tomorrow uses is `season[(head + m - 1) % m]`; with `rotate` the array is shifted
  /// (head stays 0), otherwise the caller moves `head` to that slot afterwards.
  @inline(__always) @discardableResult
  func step(_ l: inout Double, _ b: inout Double, season s: inout [Double], head: Int, y: Double, rotate: Bool)
    -> Double
  {
    let oldL = l
    let phiB = trend == .none ? 0 : phi * b
    let q = oldL + phiB
    let slot = head == 0 ? m - 1 : head - 1
    let oldS = season == .none ? 0 : s[slot]
    var f = q
    var p = y
    switch season {
    case .none: break
    case .additive:
      f = q + oldS
      p = y - oldS
    case .multiplicative:
      f = q * oldS
      p = abs(oldS) < Self.tolerance ? Self.huge : y / oldS
    }
    l = q + alpha * (p - q)
    if trend != .none { b = phiB + (beta / alpha) * ((l - oldL) - phiB) }
    if season != .none {
      let t: Double
      if season == .additive {
        t = y - q
      } else {
        t = abs(q) < Self.tolerance ? Self.huge : y / q
      }
      let newS = oldS + gamma * (t - oldS)
      if rotate {
        for k in stride(from: m - 1, to: 0, by: -1) { s[k] = s[k - 1] }
        s[0] = newS
      } else {
        s[slot] = newS
      }
    }
    return f
  }
}

public enum ExponentialSmoothing {
  /// What one fit gives: the model, -2 log-likelihood (statsforecast's `lik`, up to its
  /// constant), AICc, and the one-step errors' mean square.
  public struct Fit: Sendable {
    public var model: ETSModel
    public var likelihood: Double
    public var aicc: Double
    public var mse: Double
  }

  /// statsforecast's objective: n log(sum e^2) (+ 2 sum log|f| for multiplicative errors), with
  /// its guards (a forecast of exactly 0 divides as 1e-10; an error sum of 0 logs as 1e-8).
  /// `nil` when the recursion leaves the numbers (a NaN).
  public static func likelihood(_ model: ETSModel, _ y: UnsafeBufferPointer<Double>, sse: UnsafeMutablePointer<Double>?)
    -> Double
  {
    let r = ETSRecursion(model)
    var l = model.initial.level
    var b = model.initial.slope
    var s = model.initial.season
    var head = 0
    var sum = 0.0
    // sum log|f| as the log of a product, renormalised every 16 days (a log a day costs more
    // than the rest of the recursion); exact logs again if the product leaves the doubles.
    var product = 1.0
    var exponent = 0
    var logSum = 0.0
    var exactLogs = false
    let multiplicative = r.error == .multiplicative
    for i in 0..<y.count {
      let f = r.step(&l, &b, season: &s, head: head, y: y[i], rotate: false)
      if r.season != .none { head = head == 0 ? r.m - 1 : head - 1 }
      if multiplicative {
        let divisor = abs(f) < ETSRecursion.tolerance ? f + ETSRecursion.tolerance : f
        let e = (y[i] - f) / divisor
        sum += e * e
        let magnitude = abs(f) > 0 ? abs(f) : 1e-8
        if exactLogs {
          logSum += log(magnitude)
        } else {
          product *= magnitude
          if i & 15 == 15 {
            let parts = frexp(product)
            product = parts.0
            exponent += parts.1
            if !(product.isNormal) { exactLogs = true }
          }
        }
      } else {
        let e = y[i] - f
        sum += e * e
      }
    }
    if multiplicative && exactLogs {
      // Recompute exactly: the product under- or overflowed.
      var s2 = model.initial.season
      var l2 = model.initial.level
      var b2 = model.initial.slope
      var h2 = 0
      logSum = 0
      for i in 0..<y.count {
        let f = r.step(&l2, &b2, season: &s2, head: h2, y: y[i], rotate: false)
        if r.season != .none { h2 = h2 == 0 ? r.m - 1 : h2 - 1 }
        logSum += log(abs(f) > 0 ? abs(f) : 1e-8)
      }
    } else if multiplicative {
      logSum = log(product) + Double(exponent) * M_LN2
    }
    sse?.pointee = sum
    let n = Double(y.count)
    var lik = sum > 0 ? n * log(sum) : n * log(sum + 1e-8)
    if multiplicative { lik += 2 * logSum }
    return lik.isNaN ? .nan : max(lik, -1e10)
  }

  /// Fits one model to `y` (the days before the test period) by maximum likelihood; nil when
  /// the series is too short for it.
  public static func fit(_ y: [Double], components c: ETSComponents, seasonLength: Int) -> Fit? {
    // Multiplicative errors or seasons divide by the forecast: sales must stay above zero.
    if c.error == .multiplicative || c.season == .multiplicative, !y.allSatisfy({ $0 > 0 }) { return nil }
    let m = c.season == .none ? 1 : seasonLength
    guard let initial = initialState(y, m: m, components: c) else { return nil }
    // Starting parameters and box (statsforecast's initparam with bounds "both").
    let lower = [0.0001, 0.0001, 0.0001, 0.8]
    var upper = [0.9999, 0.9999, 0.9999, 0.98]
    var alpha = lower[0] + 0.2 * (upper[0] - lower[0]) / Double(m)
    if alpha > 1 || alpha < 0 { alpha = lower[0] + 2e-3 }
    var start: [Double] = [alpha]
    var lo: [Double] = [lower[0]]
    var hi: [Double] = [upper[0]]
    if c.trend != .none {
      upper[1] = min(upper[1], alpha)
      var beta = lower[1] + 0.1 * (upper[1] - lower[1])
      if beta < 0 || beta > alpha { beta = alpha - 1e-3 }
      start.append(beta)
      lo.append(lower[1])
      hi.append(upper[1])
    }
    if c.season != .none {
      upper[2] = min(upper[2], 1 - alpha)
      var gamma = lower[2] + 0.05 * (upper[2] - lower[2])
      if gamma < 0 || gamma > 1 - alpha { gamma = 1 - alpha - 1e-3 }
      start.append(gamma)
      lo.append(lower[2])
      hi.append(upper[2])
    }
    if c.trend == .damped {
      var phi = lower[3] + 0.99 * (upper[3] - lower[3])
      if phi < 0 || phi > 1 { phi = upper[3] - 1e-3 }
      start.append(phi)
      lo.append(lower[3])
      hi.append(upper[3])
    }
    let smoothing = start.count
    // The free initial states: level, slope, and the first m - 1 seasonal terms.
    start.append(initial.level)
    if c.trend != .none { start.append(initial.slope) }
    if c.season != .none { start += initial.season[0..<(m - 1)] }
    guard start.count < y.count - 1 else { return nil }
    while lo.count < start.count {
      lo.append(-.infinity)
      hi.append(.infinity)
    }
    let result = y.withUnsafeBufferPointer { buffer in
      NelderMead.minimize(start: start, lower: lo, upper: hi) { x in
        let model = unpack(x, smoothing: smoothing, components: c, m: m)
        if c.season == .multiplicative && model.initial.season.contains(where: { $0 < 0 }) { return .infinity }
        let lik = likelihood(model, buffer, sse: nil)
        return lik.isNaN ? .infinity : lik
      }
    }
    let model = unpack(result.x, smoothing: smoothing, components: c, m: m)
    var sse = 0.0
    let lik = y.withUnsafeBufferPointer { likelihood(model, $0, sse: &sse) }
    guard !lik.isNaN else { return nil }
    let k = Double(start.count + 1)  // the fitted numbers and the error variance
    let n = Double(y.count)
    let aic = lik + 2 * k
    let aicc = n - k - 1 != 0 ? aic + 2 * k * (k + 1) / (n - k - 1) : .infinity
    return Fit(model: model, likelihood: lik, aicc: aicc, mse: sse / n)
  }

  /// Every candidate of `candidates` fitted, the one with the lowest AICc kept (the first on a
  /// tie); nil when none fits.
  public static func autoFit(_ y: [Double], seasonLength m: Int, candidates: [ETSComponents]? = nil) -> Fit? {
    let positive = y.allSatisfy { $0 > 0 }
    if let first = y.first, y.allSatisfy({ $0 == first }) {
      // A constant series: the level alone (statsforecast fixes alpha at 0.9999).
      let c = ETSComponents(error: .additive, trend: .none, season: .none)
      let model = ETSModel(
        components: c, parameters: ETSParameters(alpha: 0.9999, beta: 0, gamma: 0, phi: 1),
        initial: ETSState(level: first, slope: 0, season: [0]), seasonLength: 1)
      return Fit(model: model, likelihood: -.infinity, aicc: -.infinity, mse: 0)
    }
    let seasonal = m > 1 && y.count >= 3 * m
    var best: Fit?
    for c in candidates ?? ETSComponents.candidates(positiveData: positive, seasonal: seasonal) {
      if (c.error == .multiplicative || c.season == .multiplicative) && !positive { continue }
      if c.season != .none && !seasonal { continue }
      guard let fit = fit(y, components: c, seasonLength: m), !fit.aicc.isNaN else { continue }
      if fit.aicc < best?.aicc ?? .infinity { best = fit }
    }
    return best
  }

  static func unpack(_ x: [Double], smoothing: Int, components c: ETSComponents, m: Int) -> ETSModel {
    var j = 0
    let alpha = x[j]
    j += 1
    var beta = 0.0
    var gamma = 0.0
    var phi = 1.0
    if c.trend != .none {
      beta = x[j]
      j += 1
    }
    if c.season != .none {
      gamma = x[j]
      j += 1
    }
    if c.trend == .damped { phi = x[j] }
    j = smoothing
    let level = x[j]
    j += 1
    var slope = 0.0
    if c.trend != .none {
      slope = x[j]
      j += 1
    }
    var season = [0.0]
    if c.season != .none {
      season = Array(x[j..<(j + m - 1)])
      var sum = 0.0
      for v in season { sum += v }
      season.append((c.season == .multiplicative ? Double(m) : 0) - sum)
    }
    return ETSModel(
      components: c, parameters: ETSParameters(alpha: alpha, beta: beta, gamma: gamma, phi: phi),
      initial: ETSState(level: level, slope: slope, season: season), seasonLength: m)
  }

  /// statsforecast's initstate: seasonal terms from a classical decomposition of the whole
  /// series (statsmodels' seasonal_decompose), level and slope from a line through the first
  /// max(10, 2m) seasonally adjusted days. Nil when the series is too short for it.
  public static func initialState(_ y: [Double], m: Int, components c: ETSComponents) -> ETSState? {
    let n = y.count
    var adjusted = y
    var season = [0.0]
    if c.season != .none {
      guard n >= 3 * m, n >= 4 else { return nil }
      let multiplicative = c.season == .multiplicative
      let indices = seasonalIndices(y, m: m, multiplicative: multiplicative)
      // The terms newest first: day 0's term is the one the first forecast uses (s[m-1]).
      var initial = (1..<m).reversed().map { indices[$0] }
      if multiplicative {
        initial = initial.map { max($0, 1e-2) }
        let total = initial.reduce(0, +)
        if total > Double(m) {
          let divisor = initial.reduce(0) { $0 + $1 + 1e-2 }
          initial = initial.map { $0 / divisor }
        }
        for t in 0..<n { adjusted[t] = y[t] / max(indices[t % m], 1e-2) }
      } else {
        for t in 0..<n { adjusted[t] = y[t] - indices[t % m] }
      }
      season = initial + [0]  // the last term is set from the others when the model unpacks
    }
    let count = min(max(10, 2 * m), n)
    guard count >= 2 else { return nil }
    if c.trend == .none {
      var sum = 0.0
      for t in 0..<count { sum += adjusted[t] }
      return ETSState(level: sum / Double(count), slope: 0, season: season)
    }
    // Least squares of adjusted[t] on (1, t + 1).
    var sx = 0.0
    var sy = 0.0
    for t in 0..<count {
      sx += Double(t + 1)
      sy += adjusted[t]
    }
    let mx = sx / Double(count)
    let my = sy / Double(count)
    var sxy = 0.0
    var sxx = 0.0
    for t in 0..<count {
      sxy += (Double(t + 1) - mx) * (adjusted[t] - my)
      sxx += (Double(t + 1) - mx) * (Double(t + 1) - mx)
    }
    var b = sxy / sxx
    var l = my - b * mx
    if abs(l + b) < 1e-8 {
      l *= 1 + 1e-3
      b *= 1 - 1e-3
    }
    return ETSState(level: l, slope: b, season: season)
  }

  /// The seasonal index of each phase 0..<m (phase 0 = the series' first day): the mean of the
  /// detrended values at that phase, detrended by a centred moving average of m days (2 x m
  /// when m is even), centred to sum to 0 (additive) or to average 1 (multiplicative).
  public static func seasonalIndices(_ y: [Double], m: Int, multiplicative: Bool) -> [Double] {
    let n = y.count
    var weights = [Double](repeating: 1 / Double(m), count: m)
    if m % 2 == 0 {
      weights = [0.5 / Double(m)] + [Double](repeating: 1 / Double(m), count: m - 1) + [0.5 / Double(m)]
    }
    let half = weights.count / 2
    var sums = [Double](repeating: 0, count: m)
    var counts = [Int](repeating: 0, count: m)
    if n > 2 * half {
      for t in half..<(n - half) {
        var trend = 0.0
        for (k, w) in weights.enumerated() { trend += w * y[t - half + k] }
        sums[t % m] += multiplicative ? y[t] / trend : y[t] - trend
        counts[t % m] += 1
      }
    }
    var indices = (0..<m).map { counts[$0] > 0 ? sums[$0] / Double(counts[$0]) : (multiplicative ? 1 : 0) }
    let mean = indices.reduce(0, +) / Double(m)
    indices = indices.map { multiplicative ? $0 / mean : $0 - mean }
    return indices
  }
}
