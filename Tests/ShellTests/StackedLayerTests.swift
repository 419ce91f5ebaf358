// Stacked recurrent layers (`train ... layers=N`) as a user meets them today: trained, scored,
// stored, compressed and replayed like any network, the same bits for any thread count.

import Compression
import Foundation
import Modeling
import Shell
import TestSupport
import Testing
import Workbench

@Suite struct StackedLayerTests {
  @Test func stackedNetworksTrainStoreAndReplay() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    let out = try engine.execute("train kind=lstm units=5 layers=2 epochs=2 runs=2 seed=1 as s2")
    #expect(out.contains("s2: LSTM-5x2, "), "\(out)")
    try engine.execute("train kind=gru units=4 layers=3 epochs=2 runs=1 seed=2 norm=level weekday=on as g3")
    let s2 = try #require(engine.workspace.models["s2"])
    // Two layers of 5: [1 -> 20] and [5 -> 20] input kernels, [5, 20] recurrent, [20] biases; Dense 5 -> 1.
    #expect(s2.parameterCount == (1 * 20 + 5 * 20 + 20) + (5 * 20 + 5 * 20 + 20) + 5 + 1)
    #expect(s2.architecture.contains("LSTM-5x2 -> Dropout(0.2) -> Dense(1)"), "\(s2.architecture)")
    #expect(s2.lineage.last!.contains(" layers=2 "), "\(s2.lineage)")
    // The same bits for any thread count.
    for threads in [1, 3] {
      try engine.execute("set threads=\(threads)")
      try engine.execute("train kind=lstm units=5 layers=2 epochs=2 runs=2 seed=1 as s2-t\(threads)")
      #expect(engine.workspace.models["s2-t\(threads)"]!.hasIdenticalReplicas(to: s2), "threads=\(threads)")
    }
    // Both containers give back the same network; compare scores it (without C figures).
    for container in ["json", "compact"] {
      try engine.execute("set container=\(container)")
      for name in ["s2", "g3"] {
        try engine.execute("export \(name) to=\(name)-\(container).tcm")
        try engine.execute("load model \(name)-\(container).tcm as \(name)-\(container)")
        let back = try #require(engine.workspace.models["\(name)-\(container)"])
        #expect(back.replicas[0].isIdentical(to: engine.workspace.models[name]!.replicas[0]), "\(name) \(container)")
      }
    }
    #expect(try engine.execute("compare s2 g3").contains("g3"))
    try expectSavedSessionReplays(engine, dir: dir)
    #expect(errorText(engine, "train layers=0")?.contains("layers") == true)
    #expect(errorText(engine, "train layers=17")?.contains("layers") == true)
  }

  /// Every compression takes every layer: each tensor of each layer pruned to its level, every
  /// kernel quantized, fine-tuning keeping both, and each result stored and read back whole.
  @Test func compressionWorksOnEveryLayer() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train kind=lstm units=6 layers=2 epochs=2 runs=2 seed=1 as s")
    try engine.execute("train kind=gru units=6 layers=3 epochs=1 runs=1 seed=2 as g")
    func network(_ name: String, run: Int = 0) throws -> RecurrentForecaster {
      try #require(engine.workspace.models[name]?.replicas[run] as? ForecastModel).floatNetwork
    }
    func zeros(_ n: RecurrentForecaster, _ t: TensorID) -> Int {
      n.weights.values[n.layout.range(t)].filter { $0 == 0 }.count
    }
    // Per tensor: each of the five kernels exactly half zeros.
    try engine.execute("prune s 0.5 as s-p50")
    let p50 = try network("s-p50")
    #expect(p50.layout.kernels.count == 5)
    for t in p50.layout.kernels { #expect(zeros(p50, t) == (p50.layout.range(t).count + 1) / 2, "\(t)") }
    // Per matrix by name: the recurrent kernel of every layer at 0.8, the rest at 0.3.
    try engine.execute("prune s 0.3 recurrent=0.8 as s-pm")
    let pm = try network("s-pm")
    for layer in 0..<2 {
      let t = TensorID(.recurrentKernel, layer: layer)
      #expect(zeros(pm, t) == Int((0.8 * Double(pm.layout.range(t).count)).rounded()), "\(t)")
    }
    // Global: 60% of all kernels' weights, upper layer included.
    try engine.execute("prune g 0.6 scope=global as g-g60")
    let g60 = try network("g-g60")
    let kernelWeights = g60.layout.kernels.reduce(0) { $0 + g60.layout.range($1).count }
    #expect(g60.layout.kernels.reduce(0) { $0 + zeros(g60, $1) } == Int((0.6 * Double(kernelWeights)).rounded()))
    // Structured: every layer loses the same units, and the network still forecasts.
    try engine.execute("prune s 0.5 structured=on as s-s50")
    let s50 = try network("s-s50")
    #expect(s50.layout.units == 3 && s50.layout.layers == 2)
    #expect(try engine.execute("eval s-s50").contains("MAPE"))
    // AGP and sensitivity name each layer's matrices.
    try engine.execute("prune s 0.5 schedule=agp epochs=3 as s-agp")
    let sensitivity = try engine.execute("sensitivity s levels=0.5,0.9")
    for name in ["lstm/kernel", "lstm_1/kernel", "lstm_1/recurrent_kernel", "dense/kernel"] {
      #expect(sensitivity.contains(name), "\(name): \(sensitivity)")
    }
    // Quantization of every kind, fine-tuning that keeps zeros and codes, and files read back whole.
    try engine.execute("quantize s-p50 int8 as s-int8")
    try engine.execute("quantize g int8 as g-int8")
    try engine.execute("quantize s-p50 int8 granularity=tensor mode=asymmetric as s-u8")
    try engine.execute("quantize s float16 as s-f16")
    try engine.execute("finetune s-p50 epochs=1 as s-p50-ft")
    try engine.execute("finetune s-int8 epochs=1 as s-int8-ft")
    // Low rank: each layer's recurrent kernel as its own A x B, trained as factors.
    let factored = try engine.execute("factor s rank=2 as s-r2")
    #expect(factored.contains("s-r2"), "\(factored)")
    try engine.execute("finetune s-r2 epochs=1 as s-r2-ft")
    guard case .lowRank(let factors, let product)? = engine.workspace.models["s-r2-ft"]?.replicas[0] as? ForecastModel
    else {
      Issue.record("s-r2-ft is not low rank")
      return
    }
    #expect(factors.count == 2 && factors.allSatisfy { $0.rank == 2 })
    for layer in 0..<2 { #expect(product.weights[.recurrentKernel, layer: layer] == factors[layer].product) }
    let ft = try network("s-p50-ft")
    for t in ft.layout.kernels { #expect(zeros(ft, t) >= zeros(p50, t), "\(t) lost zeros in fine-tuning") }
    let int8 = try #require(engine.workspace.models["s-int8"]?.replicas[0] as? ForecastModel)
    guard case .int8(let q, _) = int8 else {
      Issue.record("s-int8 is not on the integer path")
      return
    }
    #expect(q.layers == 2 && q.upper[0].inputSize == 6)
    // The integer path agrees with the float model on its dequantized weights to a few codes' worth.
    let report = try engine.execute("compare s-p50 s-int8 g g-int8")
    #expect(report.contains("s-int8") && report.contains("g-int8"), "\(report)")
    for container in ["json", "compact"] {
      try engine.execute("set container=\(container)")
      for name in ["s-p50", "s-s50", "s-int8", "g-int8", "s-u8", "s-f16", "s-int8-ft", "s-r2-ft"] {
        try engine.execute("export \(name) to=\(name)-\(container).tcm")
        try engine.execute("load model \(name)-\(container).tcm as \(name)-\(container)")
        let back = try #require(engine.workspace.models["\(name)-\(container)"])
        #expect(back.replicas[0].isIdentical(to: engine.workspace.models[name]!.replicas[0]), "\(name) \(container)")
      }
    }
    try expectSavedSessionReplays(engine, dir: dir)
  }

  /// The Keras weights list every layer's three arrays in turn, as `get_weights()` does, and come
  /// back as the same network; a list whose layers do not fit is refused in one line.
  @Test func kerasWeightsCarryEveryLayer() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train kind=gru units=4 layers=3 epochs=1 runs=1 seed=2 norm=level weekday=on as g3")
    try engine.execute("export g3 to=g3.json format=keras")
    let text = try String(contentsOfFile: dir + "/g3.json", encoding: .utf8)
    #expect(text.contains("\"layers\": 3"))
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect((doc["weights"] as? [Any])?.count == 3 * 3 + 2)
    try engine.execute("load keras g3.json as back")
    let back = try #require(engine.workspace.models["back"]?.replicas[0] as? ForecastModel)
    let original = try #require(engine.workspace.models["g3"]?.replicas[0] as? ForecastModel)
    #expect(back.floatNetwork.weights == original.floatNetwork.weights)
    #expect(
      try engine.execute("eval back") == (try engine.execute("eval g3")).replacingOccurrences(of: "g3", with: "back"))
    // Drop the second layer's kernel: eight arrays no longer make whole layers.
    var broken = doc
    var weights = try #require(doc["weights"] as? [Any])
    weights.remove(at: 3)
    broken["weights"] = weights
    writeFile(dir + "/broken.json", String(decoding: try JSONSerialization.data(withJSONObject: broken), as: UTF8.self))
    #expect(errorText(engine, "load keras broken.json")?.hasPrefix("broken.json: needs \"weights\"") == true)
  }

  /// shrink starts from a stacked network like any other: one-layer students distilled from it
  /// (none narrower than four units), then the network itself quantized and pruned with
  /// per-matrix caps that hold for every layer.
  @Test func shrinkSearchesFromAStackedReference() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    // Four units: no narrower student to distil, so stage 2 compresses the stacked network itself.
    try engine.execute("train units=4 layers=2 epochs=2 runs=1 seed=1 as ref")
    _ = try engine.execute("shrink ref budget=+50 epochs=1 ft_epochs=1 time=5m seed=10 linear=off networks=off")
    let log = try engine.execute("explain shrink")
    #expect(log.contains("no student is within budget; compressing ref itself"), "\(log)")
    #expect(log.contains("sensitivity of ref: lstm/kernel tolerates "), "\(log)")
    #expect(log.contains("ref-p50-ft-u8: pruned (kernel "), "\(log)")
  }
}
