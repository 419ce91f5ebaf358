// The standard theta method against statsforecast's auto_theta (model STM), from the committed
// fixture of tools/make_ets_fixture.py: the seasonality test and indices, the line, the fitted
// alpha and starting level, the level after the last day and the next day's forecast.

import Foundation
import Modeling
import Testing

@Suite struct ThetaTests {
  static func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(b))
  }

  @Test func standardThetaMatchesStatsforecast() throws {
    for c in try ExponentialSmoothingTests.cases() {
      let reference = try #require(c.theta)
      let fit = try #require(ThetaMethod.fit(c.y, seasonLength: c.season))
      #expect(ThetaMethod.isSeasonal(c.y, m: c.season) == (reference["decompose"] as! Bool), "\(c.kind)")
      #expect(fit.seasonality.rawValue == (reference["decomposition"] as! String), "\(c.kind)")
      for (j, index) in (reference["next_indices"] as! [Double]).enumerated() {
        let mine = fit.seasonal[(c.y.count + j) % c.season]
        #expect(Self.close(mine, index, 1e-9), "\(c.kind) phase \(j): \(mine) vs \(index)")
      }
      #expect(Self.close(fit.intercept, reference["an"] as! Double, 1e-9), "\(c.kind) intercept")
      #expect(Self.close(fit.slope, reference["bn"] as! Double, 1e-9), "\(c.kind) slope")
      #expect(Self.close(fit.alpha, reference["alpha"] as! Double, 1e-4), "\(c.kind) alpha \(fit.alpha)")
      #expect(
        Self.close(fit.startLevel, reference["initial_smoothed"] as! Double, 1e-4), "\(c.kind) level \(fit.startLevel)")
      let state = fit.state(after: c.y)
      #expect(Self.close(state.level!, reference["last_level"] as! Double, 1e-6), "\(c.kind) last level")
      let forecast = fit.forecast(from: state, nextDay: c.y.count, steps: 1)
      #expect(Self.close(forecast, reference["forecast"] as! Double, 1e-6), "\(c.kind): \(forecast)")
    }
  }

  @Test func aSeriesWithoutASeasonIsNotAdjusted() throws {
    // A level with pseudo-random noise: no weekly pattern, so no adjustment, and the forecast
    // stays near the level. (A trending series would pass the test: its autocorrelation is high
    // at every lag, lag 7 included, as in the M3 procedure.)
    var state: UInt64 = 12345
    let y: [Double] = (0..<120).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return 20 + Double(state >> 40) / Double(1 << 24) * 4 - 2
    }
    #expect(!ThetaMethod.isSeasonal(y, m: 7))
    let fit = try #require(ThetaMethod.fit(y, seasonLength: 7))
    #expect(fit.seasonality == .none && fit.seasonal.isEmpty)
    let next = fit.forecast(from: fit.state(after: y), nextDay: 120, steps: 1)
    #expect(abs(next - 20) < 1, "\(next)")
    // A weekly pattern on the same noise is found and taken out multiplicatively.
    let weekly = y.enumerated().map { $0.element * [0.6, 0.8, 1, 1, 1.2, 1.6, 0.8][$0.offset % 7] }
    #expect(ThetaMethod.isSeasonal(weekly, m: 7))
    #expect(ThetaMethod.fit(weekly, seasonLength: 7)?.seasonality == .multiplicative)
  }

  @Test func integerPowerIsExactForSmallExponents() {
    #expect(ThetaModel.power(0.5, 10) == 1.0 / 1024)
    #expect(ThetaModel.power(0.9, 0) == 1 && ThetaModel.power(0.9, 1) == 0.9)
    #expect(ThetaModel.power(0.9, 3) == 0.9 * 0.9 * 0.9)
  }
}
