// Exponential smoothing against statsforecast (a committed fixture from
// tools/make_ets_fixture.py): the starting state, the likelihood and one-step forecasts at given
// parameters, the maximum-likelihood fit of each model, the AICc choice, and forecasts over days
// the fit never saw with the state updated each day.

import Foundation
import Modeling
import Testing

@Suite struct ExponentialSmoothingTests {
  struct Case {
    var kind: String
    var season: Int
    var y: [Double]
    var extra: [Double]
    var fits: [[String: Any]]
    var auto: [String: Any]
    /// statsforecast's standard theta method on the same series (ThetaTests).
    var theta: [String: Any]?
  }

  static func cases() throws -> [Case] {
    let url = try #require(
      Bundle.module.url(forResource: "ets_statsforecast", withExtension: "json", subdirectory: "Fixtures"))
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    return try #require(doc["cases"] as? [[String: Any]]).map { c in
      Case(
        kind: c["kind"] as! String, season: c["season"] as! Int, y: c["y"] as! [Double], extra: c["extra"] as! [Double],
        fits: c["fits"] as! [[String: Any]], auto: c["auto"] as! [String: Any], theta: c["theta"] as? [String: Any])
    }
  }

  /// The fixture's parameters and initial state as a model (statsforecast's layout: level,
  /// slope if any, then all m seasonal terms newest first).
  static func model(_ f: [String: Any], code: String, season m: Int) throws -> ETSModel {
    let c = try #require(ETSComponents(code: code))
    let state = f["initial_state"] as! [Double]
    var j = 1
    var slope = 0.0
    if c.trend != .none {
      slope = state[1]
      j = 2
    }
    return ETSModel(
      components: c,
      parameters: ETSParameters(
        alpha: f["alpha"] as! Double, beta: f["beta"] as? Double ?? 0, gamma: f["gamma"] as? Double ?? 0,
        phi: f["phi"] as? Double ?? 1),
      initial: ETSState(level: state[0], slope: slope, season: c.season == .none ? [0] : Array(state[j...])),
      seasonLength: c.season == .none ? 1 : m)
  }

  static func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(b))
  }

  @Test func startingStateIsStatsforecasts() throws {
    for c in try Self.cases() {
      for f in c.fits {
        let code = f["code"] as! String
        let components = try #require(ETSComponents(code: code))
        let m = components.season == .none ? 1 : c.season
        let start = try #require(ExponentialSmoothing.initialState(c.y, m: m, components: components))
        var mine = [start.level]
        if components.trend != .none { mine.append(start.slope) }
        if components.season != .none { mine += start.season.dropLast() }
        let reference = f["start_state"] as! [Double]
        #expect(mine.count == reference.count, "\(c.kind) \(code)")
        for (a, b) in zip(mine, reference) { #expect(Self.close(a, b, 1e-9), "\(c.kind) \(code): \(a) vs \(b)") }
      }
    }
  }

  @Test func likelihoodAndForecastsAtGivenParametersAreStatsforecasts() throws {
    for c in try Self.cases() {
      for f in c.fits {
        let code = f["code"] as! String
        let model = try Self.model(f, code: code, season: c.season)
        let lik = c.y.withUnsafeBufferPointer { ExponentialSmoothing.likelihood(model, $0, sse: nil) }
        let reference = f["likelihood_recomputed"] as! Double
        #expect(Self.close(lik, reference, 1e-9), "\(c.kind) \(code): -2 log L \(lik) vs \(reference)")
        // One-step forecasts through the series: statsforecast's fitted values.
        var state = model.initial
        var worst = 0.0
        for (t, fitted) in (f["fitted"] as! [Double]).enumerated() {
          worst = max(worst, abs(model.forecast(from: state) - fitted) / max(1, abs(fitted)))
          model.update(&state, observing: c.y[t])
        }
        #expect(worst <= 1e-9, "\(c.kind) \(code): fitted values differ by \(worst)")
      }
    }
  }

  @Test func maximumLikelihoodFitsMatchStatsforecast() throws {
    for c in try Self.cases() {
      for f in c.fits {
        let code = f["code"] as! String
        let components = try #require(ETSComponents(code: code))
        let fit = try #require(ExponentialSmoothing.fit(c.y, components: components, seasonLength: c.season))
        let aicc = f["aicc"] as! Double
        #expect(Self.close(fit.aicc, aicc, 1e-6), "\(c.kind) \(code): AICc \(fit.aicc) vs \(aicc)")
        #expect(Self.close(fit.model.parameters.alpha, f["alpha"] as! Double, 1e-4), "\(c.kind) \(code) alpha")
        if let phi = f["phi"] as? Double { #expect(Self.close(fit.model.parameters.phi, phi, 1e-4), "\(code) phi") }
      }
    }
  }

  @Test func automaticChoiceAndForecastsWithoutRefitMatchStatsforecast() throws {
    for c in try Self.cases() {
      let fit = try #require(ExponentialSmoothing.autoFit(c.y, seasonLength: c.season))
      #expect(fit.model.components.description == (c.auto["method"] as! String), "\(c.kind)")
      #expect(Self.close(fit.aicc, c.auto["aicc"] as! Double, 1e-6), "\(c.kind): AICc")
      var state = fit.model.state(after: c.y)
      var worst = 0.0
      for (t, reference) in (c.auto["forecasts"] as! [Double]).enumerated() {
        worst = max(worst, abs(fit.model.forecast(from: state) - reference) / max(1, abs(reference)))
        fit.model.update(&state, observing: c.extra[t])
      }
      #expect(worst <= 1e-6, "\(c.kind): forecasts differ by \(worst)")
    }
  }

  @Test func candidatesFollowTheRestrictions() {
    let all = ETSComponents.candidates(positiveData: true, seasonal: true).map(\.code)
    #expect(
      all == [
        "ANN", "ANA", "AAdN", "AAN", "AAdA", "AAA", "MNN", "MNA", "MNM", "MAdN", "MAN", "MAdA", "MAA", "MAdM", "MAM",
      ])
    #expect(
      ETSComponents.candidates(positiveData: false, seasonal: true).map(\.code) == [
        "ANN", "ANA", "AAdN", "AAN", "AAdA", "AAA",
      ])
    #expect(ETSComponents.candidates(positiveData: true, seasonal: false).allSatisfy { $0.season == .none })
    #expect(
      ETSComponents(code: "MAdM") == ETSComponents(error: .multiplicative, trend: .damped, season: .multiplicative))
    #expect(ETSComponents(code: "XAdM") == nil && ETSComponents(code: "AA") == nil)
  }

  /// A device's loop: the state at the cut, then forecast, observe, forecast...: the same
  /// numbers as walking the state from the first day.
  @Test func forecasterWalksTheStateThroughObservedDays() throws {
    let c = try Self.cases()[0]
    let fit = try #require(ExponentialSmoothing.fit(c.y, components: ETSComponents(code: "MAdM")!, seasonLength: 7))
    let all = c.y + c.extra
    var fromStart = fit.model.initial
    for y in all.dropLast() { fit.model.update(&fromStart, observing: y) }
    var device = fit.model.state(after: c.y)
    for y in c.extra.dropLast() { fit.model.update(&device, observing: y) }
    #expect(device == fromStart)
  }
}
