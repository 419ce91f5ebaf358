// A network correcting a linear model (`train ... skip=LINEAR`): it starts as the linear model,
// learns its residual, keeps it through every compression and file, and refuses what it cannot
// be (its C is checked bit for bit in CExportTests).

import Compression
import Foundation
import Modeling
import SalesData
import Shell
import TestSupport
import Testing
import TinycastCLI
import Workbench

@Suite struct LinearSkipTests {
  /// The correction's arithmetic: a residual target, forecast back through `corrected`, gives
  /// the target again (to float rounding), for either anchor.
  @Test func theResidualTargetAndTheCorrectionAreInverses() {
    let scaler = Scaler(kind: .minmax, offset: 3, factor: 1.0 / 180)
    for (base, anchor) in [(Float(40), Float(3)), (55, 61.5), (12, 3)] {
      for actual: Float in [0, 17, 44, 120] {
        let target = scaler.scale(actual)
        let residual = LinearAutoregression.residualTarget(scaled: target, base: base, anchor: anchor, scaler: scaler)
        let back = LinearAutoregression.corrected(base: base, networkScaled: residual, anchor: anchor, scaler: scaler)
        #expect(abs(scaler.unscale(back) - actual) < 1e-3, "base \(base) anchor \(anchor) actual \(actual)")
      }
    }
    // A network output of 0 means "no correction": the anchor is what 0 unscales to.
    let plain = RecurrentInputs.plain
    #expect(plain.skipAnchor(level: 50, scaler: scaler) == scaler.unscale(0))
    let level = RecurrentInputs(levelNormalized: true, calendar: .none)
    #expect(level.skipAnchor(level: 50, scaler: scaler) == 50)
  }

  @Test func aCorrectionStartsAsItsLinearModelAndGoesThroughTheLoop() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train kind=linear norm=level weekday=on as lin")
    // A network whose Dense head is zero (where training starts) forecasts what the linear
    // model does, to the rounding of the scaler's round trip.
    let data = engine.workspace.datasets["small"]!.windows
    let replica = engine.workspace.models["lin"]!.replicas[0]
    guard let base = replica as? LinearAutoregression else {
      Issue.record("lin is not a linear model")
      return
    }
    for inputs in [RecurrentInputs.plain, RecurrentInputs(levelNormalized: true, calendar: .none)] {
      var rng = SeededGenerator(seed: 4)
      var zero = RecurrentForecaster(units: 3, cell: .gru, inputs: inputs, dropout: 0.2, rng: &rng)
      for k in zero.layout.range(.denseKernel) { zero.weights.values[k] = 0 }
      zero.skip = base
      let corrected = ForecastModel.float(zero, storage: nil).predictScaled(data.test, data: data, threads: 2)
      let linear = base.predictScaled(data.test, data: data, threads: 1)
      let worst = zip(corrected, linear).map { abs(data.scaler.unscale($0) - data.scaler.unscale($1)) }.max()!
      #expect(worst < 1e-3, "level-normalised \(inputs.levelNormalized): \(worst)")
    }

    try engine.execute("train kind=gru units=3 epochs=3 runs=2 seed=2 norm=level weekday=on skip=lin as s")
    let s = try #require(engine.workspace.models["s"])
    let lin = try #require(engine.workspace.models["lin"])
    #expect(
      s.architecture.hasPrefix("linear AR(14)+ + a correction: (sales over the window's level"), "\(s.architecture)")
    let network = try #require(s.replicas[0] as? ForecastModel).floatNetwork
    #expect(s.parameterCount == lin.parameterCount + network.parameterCount)
    #expect(s.lineage.last!.contains(" skip=lin "))
    // Every form keeps the linear model it corrects.
    for line in [
      "quantize s int8 as q8", "quantize s float16 as h16", "prune s 0.5 as p50",
      "finetune p50 epochs=1 seed=3 as p50ft",
      "factor s rank=2 as r2", "prune s 0.5 structured=on as s50",
    ] { try engine.execute(line) }
    for name in ["q8", "h16", "p50", "p50ft", "r2", "s50"] {
      let m = try #require(engine.workspace.models[name]?.replicas[0] as? ForecastModel)
      #expect(m.skip == lin.replicas[0] as? LinearAutoregression, "\(name)")
    }
    // Both containers give back the same model, bit for bit.
    for container in ["json", "compact"] {
      try engine.execute("set container=\(container)")
      for name in ["s", "q8", "r2"] {
        try engine.execute("export \(name) to=\(name)-\(container).tcm")
        try engine.execute("load model \(name)-\(container).tcm as \(name)-\(container)")
        let back = engine.workspace.models["\(name)-\(container)"]!.replicas[0]
        #expect(back.isIdentical(to: engine.workspace.models[name]!.replicas[0]), "\(name) via \(container)")
      }
    }
    try expectSavedSessionReplays(engine, dir: dir)
  }

  @Test func whatCannotBeCorrectedIsRefusedInOneLine() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train kind=linear as lin")
    try engine.execute("train kind=ets as ets")
    try engine.execute("train units=3 epochs=1 runs=1 seed=1 skip=lin as s")
    #expect(
      errorText(engine, "train units=3 skip=ets")?.hasPrefix(
        "skip=ets is an ets model; a network corrects a linear one")
        == true)
    #expect(errorText(engine, "train units=3 skip=nobody")?.contains("no model named 'nobody'") == true)
    #expect(
      errorText(engine, "export s to=s.json format=keras")?.hasPrefix(
        "s corrects a linear model; Keras' weights would hold the network alone") == true)
    try engine.execute("window lookback=7")
    #expect(errorText(engine, "train units=3 skip=lin")?.hasPrefix("skip=lin was fitted on other windows") == true)
    // Multi-day windows: the one-day linear model was fitted on other windows.
    try engine.execute("window steps=3")
    #expect(errorText(engine, "train units=3 skip=lin")?.hasPrefix("skip=lin was fitted on other windows") == true)
  }
}
