// The linear autoregression's ridge fit against numpy's least squares (a committed fixture from
// tools/make_linear_fixture.py), and its forecast arithmetic.

import Foundation
import Modeling
import SalesData
import Testing

@Suite struct LinearAutoregressionTests {
  @Test func ridgeFitMatchesNumpy() throws {
    let url = try #require(
      Bundle.module.url(forResource: "linear_ridge", withExtension: "json", subdirectory: "Fixtures"))
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let cases = try #require(doc["cases"] as? [[String: Any]])
    #expect(cases.count == 4)
    for c in cases {
      let rows = try #require(c["rows"] as? [[Double]])
      let targets = try #require(c["targets"] as? [Double])
      let ridge = try #require(c["ridge"] as? Double)
      let weights = try #require(c["weights"] as? [Double])
      let bias = try #require(c["bias"] as? Double)
      let model = LinearAutoregression.fit(count: rows.count, inputs: weights.count, ridge: ridge) { k, x in
        // The fixture's rows are float32 values, as Tinycast's scaled windows are.
        for t in 0..<weights.count { x[t] = Double(Float(rows[k][t])) }
        return Double(Float(targets[k]))
      }
      for (w, reference) in zip(model.weights, weights) {
        #expect(abs(Double(w) - reference) <= 2e-5 * max(1, abs(reference)), "ridge \(ridge): \(w) vs \(reference)")
      }
      #expect(abs(Double(model.bias) - bias) <= 2e-5 * max(1, abs(bias)), "ridge \(ridge)")
    }
  }

  @Test func forecastIsTheBiasPlusTheWeightedDaysInOrder() {
    let m = LinearAutoregression(weights: [0.5, -0.25, 2], bias: 0.125)
    #expect(m.forecastScaled([1, 2, 3]) == 0.125 + 0.5 - 0.5 + 6)
    #expect(m.parameterCount == 4 && m.nonzeroCount == 4 && m.family == "linear")
    #expect(m.compressibleTensors == ["linear/kernel"])
    // A zero weight is skipped, as the exported C skips a pruned weight.
    #expect(LinearAutoregression(weights: [0, 1], bias: 0.5).forecastScaled([.infinity, 2]) == 2.5)
    #expect(m.isIdentical(to: m) && !m.isIdentical(to: LinearAutoregression(weights: [0.5, -0.25, 2], bias: 0)))
  }

  @Test func identicalRowsStillGiveAFiniteFit() {
    // Every window the same: the normal equations are singular; the fit must not be NaN.
    let m = LinearAutoregression.fit(count: 50, inputs: 3, ridge: 0) { _, x in
      x[0] = 1
      x[1] = 1
      x[2] = 1
      return 2
    }
    #expect(m.weights.allSatisfy(\.isFinite) && m.bias.isFinite)
    #expect(abs(m.forecastScaled([1, 1, 1]) - 2) < 1e-3)
  }

  @Test func pruningZeroesTheSmallestWeightsAndTheRefitKeepsThemZero() throws {
    let m = LinearAutoregression(weights: [0.5, -0.1, 0.3, 0.1, -0.7], bias: 0.2)
    #expect(m.pruned(sparsity: 0.4).weights == [0.5, 0, 0.3, 0, -0.7])  // |-0.1| ties |0.1|: the earlier first
    #expect(m.pruned(sparsity: 0).weights == m.weights)
    let q = m.quantizedInt8()
    guard case .int8(let scale) = q.storage else {
      Issue.record("not int8")
      return
    }
    #expect(scale == Float(0.7) / 127)
    #expect(q.codes == [91, -18, 54, 18, -127])
    #expect(zip(q.weights, q.codes!).allSatisfy { $0 == Float($1) * scale })
    #expect(m.float16().weights == m.weights.map { Float(Float16($0)) } && m.float16().bias == m.bias)
  }

  @Test func calendarSinesAreWithinAMillionthOfLibm() {
    var worst: Float = 0
    for q in 0..<1461 {
      let (s, c) = CalendarFeatures.sinCos(turns: q, of: 1461)
      let angle = 2 * Double.pi * Double(q) / 1461
      worst = max(worst, abs(s - Float(sin(angle))), abs(c - Float(cos(angle))))
    }
    #expect(worst < 1e-6, "\(worst)")
    let features = CalendarFeatures(weekday: true, yearHarmonics: 2)
    let v = features.values(weekday: 2, dayOfYear: 100)
    #expect(v.count == 11 && features.count == 11)
    #expect(Array(v[0..<7]) == [0, 0, 1, 0, 0, 0, 0])
    #expect(abs(v[7] - Float(sin(2 * Double.pi * 100 / 365.25))) < 1e-6)
    #expect(abs(v[10] - Float(cos(4 * Double.pi * 100 / 365.25))) < 1e-6)
    #expect(CalendarFeatures.none.values(weekday: 3, dayOfYear: 5).isEmpty)
  }

  @Test func dayOfYearCountsFromJanuaryFirst() {
    #expect(CivilDate.dayOfYear(CivilDate.dayNumber(year: 2017, month: 1, day: 1)!) == 1)
    #expect(CivilDate.dayOfYear(CivilDate.dayNumber(year: 2017, month: 3, day: 1)!) == 60)
    #expect(CivilDate.dayOfYear(CivilDate.dayNumber(year: 2016, month: 3, day: 1)!) == 61)
    #expect(CivilDate.dayOfYear(CivilDate.dayNumber(year: 2016, month: 12, day: 31)!) == 366)
  }

  /// A level-normalised model with the weekday as input: each window divided by its mean, the
  /// weekday's weight carries the weekly pattern, and the forecast is multiplied back.
  @Test func levelAndWeekdayInputsComposeTheForecast() {
    var weights = [Float](repeating: 0, count: 7 + 7)
    weights[6] = 0.5  // yesterday, divided by the window's mean
    weights[7 + 4] = 0.25  // Friday
    let m = LinearAutoregression(
      weights: weights, bias: 0.125, levelNormalized: true, calendar: CalendarFeatures(weekday: true))
    let window: [Float] = [10, 10, 10, 10, 10, 10, 24]  // mean 12
    #expect(m.lookback == 7 && m.label == "linear AR(7)+")
    #expect(m.forecast(window, day: .init(weekday: 4, dayOfYear: 1)) == (0.125 + 0.5 * 2 + 0.25) * 12)
    #expect(m.forecast(window, day: .init(weekday: 0, dayOfYear: 1)) == (0.125 + 0.5 * 2) * 12)
    // An all-zero window divides by 1, not by its zero mean.
    #expect(m.forecast([Float](repeating: 0, count: 7), day: .init(weekday: 4, dayOfYear: 1)) == 0.375)
  }

  /// Holidays: the forecast day's flag is a last input, found by binary search; a fit on data
  /// whose holidays sell triple learns it (and without the flag cannot).
  @Test func aHolidayFlagIsALastInputTheFitLearns() throws {
    let start = 16_436  // 2015-01-01
    let holidays = stride(from: start + 30, to: start + 400, by: 37).map { $0 }
    let values = (0..<400).map { d in holidays.contains(start + d) ? Float(60) : Float(20 + d % 3) }
    let dataset = SalesDataset(source: "x", series: [DailySeries(store: 1, item: 1, startDay: start, values: values)])
    var config = WindowConfig()
    config.lookback = 7
    let data = try WindowedData(dataset: dataset, config: config)
    let with = LinearAutoregression.fit(data.fit, data: data, ridge: 0.0001, holidays: holidays)
    let without = LinearAutoregression.fit(data.fit, data: data, ridge: 0.0001)
    #expect(with.weights.count == 8 && with.lookback == 7 && with.extraInputs == 1 && with.isDated)
    #expect(with.holidayFlag(holidays[3]) == 1 && with.holidayFlag(holidays[3] + 1) == 0)
    #expect(with.holidayFlag(holidays[0] - 1) == 0 && with.holidayFlag(holidays.last! + 1) == 0)
    #expect(with.architecture.contains("holidays (\(holidays.count) dates)"))
    // On the test period's holidays, the flag's model forecasts the spike.
    let y = with.predictScaled(data.test, data: data, threads: 1)
    let yWithout = without.predictScaled(data.test, data: data, threads: 1)
    var checked = 0
    for (k, w) in data.test.enumerated() where holidays.contains(data.targetDay(w)) {
      let actual = data.actual(w)
      #expect(abs(data.scaler.unscale(y[k]) - actual) < 3, "holiday \(data.targetDay(w))")
      #expect(abs(data.scaler.unscale(yWithout[k]) - actual) > 20)
      checked += 1
    }
    #expect(checked >= 2)
  }
}
