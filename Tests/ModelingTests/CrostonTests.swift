// Croston's method, SBA and TSB on a window worked by hand.

import Modeling
import Testing

@Suite struct CrostonTests {
  func model(_ variant: Croston.Variant) -> Croston {
    Croston(variant: variant, alpha: 0.5, beta: 0.5, scalerOffset: 0, scalerFactor: 1)
  }

  @Test func forecastsOfAWindowWorkedByHand() {
    // Sales on days 2 (4) and 6 (6). Classic: z = 4, p = 3 at the first sale; at the second,
    // after 4 days, z = 4 + (6 - 4) / 2 = 5 and p = 3 + (4 - 3) / 2 = 3.5; forecast 5 / 3.5.
    let sales: [Float] = [0, 0, 4, 0, 0, 0, 6, 0]
    #expect(model(.classic).forecastSales(sales) == Float(5) / Float(3.5))
    #expect(model(.sba).forecastSales(sales) == Float(5) / Float(3.5) * 0.75)
    // TSB: d starts at 2/8 and halves toward 0 on each empty day, toward 1 on a sale:
    // 0.125, 0.0625, 0.03125, then 0.515625 at the sale, 0.2578125 after; z = 5.
    #expect(model(.tsb).forecastSales(sales) == 0.2578125 * 5)
    for v in Croston.Variant.allCases { #expect(model(v).forecastSales([0, 0, 0]) == 0) }
  }

  @Test func scaledForecastsAreTheSalesForecastScaled() {
    let m = Croston(variant: .classic, alpha: 0.1, beta: 0.1, scalerOffset: 2, scalerFactor: 0.25)
    let sales: [Float] = [2, 0, 0, 10, 2, 0, 6]
    let scaled = sales.map { ($0 - 2) * 0.25 }
    let f = m.forecastSales(sales)
    #expect(abs(m.forecastScaled(scaled) - (f - 2) * 0.25) < 1e-6)
    #expect(
      m.family == "croston" && m.parameterCount == 1
        && Croston(
          variant: .tsb, alpha: 0.1, beta: 0.1,
          scalerOffset: 0, scalerFactor: 1
        ).parameterCount == 2)
  }
}
