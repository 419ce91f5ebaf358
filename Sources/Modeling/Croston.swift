// Croston's method and its descendants for intermittent demand, run over the input window:
// demand sizes and the intervals between them (or the probability of a sale) are smoothed
// separately, so the zero days do not drag the size estimate toward zero.
//
//   classic (Croston 1972):    z <- z + a (x - z), p <- p + a (q - p) at each sale after q days;
//                              forecast z / p
//   sba (Syntetos & Boylan 2005): the classic forecast times (1 - a / 2), which removes its bias
//   tsb (Teunter, Syntetos & Babai 2011): every day d <- d + b ([x > 0] - d), at a sale
//                              z <- z + a (x - z); forecast d z (it decays when sales stop)
//
// The state starts at the window's first sale (size, and its position + 1 as the interval; TSB's
// probability at the share of sale days in the window). It works on sales, not scaled values:
// a zero-sales day must be zero.

import SalesData

public struct Croston: WindowForecaster, Equatable {
  public enum Variant: String, Sendable, CaseIterable {
    case classic, sba, tsb
  }
  public var variant: Variant
  public var alpha: Float
  public var beta: Float
  /// The scaler of the data it forecasts (scaled windows in, scaled forecasts out).
  public var scalerOffset: Float
  public var scalerFactor: Float

  public init(variant: Variant, alpha: Float, beta: Float, scalerOffset: Float, scalerFactor: Float) {
    self.variant = variant
    self.alpha = alpha
    self.beta = beta
    self.scalerOffset = scalerOffset
    self.scalerFactor = scalerFactor
  }

  public var family: String { "croston" }
  /// Its forecast is flat (the same for every lead), so it forecasts every day of multi-day windows.
  public var followsDataHorizon: Bool { true }
  public var label: String { "Croston (\(variant.rawValue))" }
  public var architecture: String {
    variant == .tsb
      ? "TSB over the window, alpha \(alpha), beta \(beta)"
      : "Croston \(variant.rawValue) over the window, alpha \(alpha)"
  }
  public var kindDescription: String { "float32" }
  public var units: Int { 0 }
  public var parameterCount: Int { variant == .tsb ? 2 : 1 }
  public var nonzeroCount: Int { parameterCount }
  public var compressibleTensors: [String] { [] }

  public func isIdentical(to other: any Forecaster) -> Bool { (other as? Croston) == self }

  /// The forecast in sales from a window of sales, oldest first.
  public func forecastSales(_ sales: [Float]) -> Float {
    guard let first = sales.firstIndex(where: { $0 > 0 }) else { return 0 }
    var z = sales[first]
    switch variant {
    case .classic, .sba:
      var p = Float(first + 1)
      var q: Float = 1
      for t in (first + 1)..<sales.count {
        if sales[t] > 0 {
          z = z + alpha * (sales[t] - z)
          p = p + alpha * (q - p)
          q = 1
        } else {
          q = q + 1
        }
      }
      let f = z / p
      return variant == .sba ? f * (1 - alpha / 2) : f
    case .tsb:
      var d = Float(sales.filter { $0 > 0 }.count) / Float(sales.count)
      for t in (first + 1)..<sales.count {
        if sales[t] > 0 {
          d = d + beta * (1 - d)
          z = z + alpha * (sales[t] - z)
        } else {
          d = d + beta * (0 - d)
        }
      }
      return d * z
    }
  }

  public func forecastScaled(_ window: [Float]) -> Float {
    let sales = window.map { $0 / scalerFactor + scalerOffset }
    return (forecastSales(sales) - scalerOffset) * scalerFactor
  }

  /// Works on the windows' sales directly (not the scaled values unscaled), so a zero day is 0.
  public func predictScaled(_ windows: [WindowRef], data: WindowedData, threads: Int) -> [Float] {
    windows.map { w in
      let start = Int(w.start)
      let sales = Array(data.raw[Int(w.series)][start..<(start + data.lookback)])
      return (forecastSales(sales) - scalerOffset) * scalerFactor
    }
  }
}
