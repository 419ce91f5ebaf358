// DemoData: a deterministic stand-in for Kaggle's Store Item Demand file, so everything works
// without a download. Same shape: 10 stores x 50 items, daily from 2013-01-01 to 2017-12-31.
//
//   sales(s, i, t) ~ Poisson( base * store[s] * item[i] * weekday[t] * season(t) * trend(t) )
//
// store levels 0.55..1.35, item levels 0.35..1.75, weekday factors from 0.80 (Monday) to 1.17
// (Sunday), a yearly sine of amplitude 0.22 peaking in July, and a growth of 7% a year, with
// base 36; that gives a mean near Kaggle's 52 units a day. Every number comes from a
// SeededGenerator with a fixed seed, so the demo data are identical on every machine.

import Foundation
import NumericCore

public enum DemoData {
  public static let firstDay = CivilDate.dayNumber(year: 2013, month: 1, day: 1)!
  public static let lastDay = CivilDate.dayNumber(year: 2017, month: 12, day: 31)!
  public static let storeCount = 10
  public static let itemCount = 50

  /// The full demo table as rows (what `load demo` selects from).
  public static func table() -> SalesTable {
    var table = SalesTable(path: "demo")
    var rng = SeededGenerator(seed: 20_130_101)
    let storeLevel = (0..<storeCount).map { _ in 0.55 + 0.8 * rng.nextUnitDouble() }
    let itemLevel = (0..<itemCount).map { _ in 0.35 + 1.4 * rng.nextUnitDouble() }
    let weekday: [Double] = [0.80, 0.93, 0.95, 1.00, 1.06, 1.12, 1.17]  // Monday first
    var line = 1
    for item in 1...itemCount {
      for store in 1...storeCount {
        for day in firstDay...lastDay {
          let t = Double(day - firstDay)
          let doy = Double(day - CivilDate.dayNumber(year: CivilDate.components(day).year, month: 1, day: 1)!)
          let season = 1 + 0.22 * cosine(2 * Double.pi * (doy - 196) / 365.25)
          let trend = 1 + 0.07 * t / 365.25
          let mean = 36 * storeLevel[store - 1] * itemLevel[item - 1] * weekday[CivilDate.weekday(day)] * season * trend
          line += 1
          table.append(day: day, store: store, item: item, sales: Float(poisson(mean, &rng)), line: line)
        }
      }
    }
    return table
  }

  /// Poisson sample: Knuth's product method for small means, a rounded normal with the same
  /// mean and variance above 30 (indistinguishable at these counts, and fast).
  static func poisson(_ mean: Double, _ rng: inout SeededGenerator) -> Int {
    if mean < 30 {
      let limit = exp(-mean)
      var k = 0
      var p = rng.nextUnitDouble()
      while p > limit {
        k += 1
        p *= rng.nextUnitDouble()
      }
      return k
    }
    let x = mean + squareRoot(mean) * rng.nextNormal()
    return max(0, Int((x).rounded()))
  }
}
