import Artifacts
import Compression
import Foundation
import Modeling
import NumericCore
import SalesData
import TestSupport
import Testing

func smallData(lookback: Int = 7) throws -> WindowedData {
  let table = try SalesCSV.parse(bytes: Array(smallSalesCSV(days: 160).utf8), path: "small.csv")
  var config = WindowConfig()
  config.lookback = lookback
  return try WindowedData(
    dataset: try SalesDataset.assemble(table, stores: .all, items: .all, gaps: .error), config: config)
}

func randomModel(units: Int, seed: UInt64 = 1, cell: RecurrentCell = .lstm) -> RecurrentForecaster {
  var rng = SeededGenerator(seed: seed)
  var m = RecurrentForecaster(units: units, cell: cell, dropout: 0.2, rng: &rng)
  for k in m.layout.range(.bias) { m.weights.values[k] = rng.nextFloat(in: -0.3, 0.3) }
  return m
}

@Suite struct PruningTests {
  @Test(arguments: [0.0, 0.3, 0.5, 0.7, 0.9])
  func layerScopeHitsTheSparsityOfEveryKernelExactly(sparsity: Double) {
    let m = randomModel(units: 16)
    let mask = Pruning.magnitudeMask(m.weights, sparsity: sparsity, scope: .layer)
    for p in ParameterName.allCases {
      let r = m.layout.range(p)
      let zeros = r.filter { mask[$0] == 0 }.count
      #expect(zeros == (p.isKernel ? Int((sparsity * Double(r.count)).rounded()) : 0), "\(p)")
      // Every pruned weight is no larger than every kept one in the same tensor.
      if p.isKernel, zeros > 0, zeros < r.count {
        let pruned = r.filter { mask[$0] == 0 }.map { abs(m.weights.values[$0]) }.max()!
        let kept = r.filter { mask[$0] == 1 }.map { abs(m.weights.values[$0]) }.min()!
        #expect(pruned <= kept)
      }
    }
  }

  @Test func globalScopeHitsTheOverallSparsityAndTiesBreakByPosition() {
    let m = randomModel(units: 8)
    let mask = Pruning.magnitudeMask(m.weights, sparsity: 0.6, scope: .global)
    let kernelIndices = Pruning.prunable.flatMap { Array(m.layout.range($0)) }
    #expect(kernelIndices.filter { mask[$0] == 0 }.count == Int((0.6 * Double(kernelIndices.count)).rounded()))
    var tied = ParameterVector(layout: m.layout)
    for k in tied.values.indices { tied.values[k] = 1 }
    let tieMask = Pruning.magnitudeMask(tied, sparsity: 0.5, scope: .layer)
    let r = m.layout.range(.recurrentKernel)
    #expect(
      r.prefix(r.count / 2).allSatisfy { tieMask[$0] == 0 } && r.suffix(r.count / 2).allSatisfy { tieMask[$0] == 1 })
  }

  @Test func agpScheduleRisesCubicallyFromInitialToFinal() {
    #expect(Pruning.agpSparsity(step: 0, steps: 10, final: 0.7) == 0)
    #expect(abs(Pruning.agpSparsity(step: 10, steps: 10, final: 0.7) - 0.7) < 1e-12)
    let values = (0...10).map { Pruning.agpSparsity(step: $0, steps: 10, final: 0.7) }
    #expect(zip(values, values.dropFirst()).allSatisfy { $0 < $1 })
    #expect(abs(values[5] - 0.7 * (1 - 0.125)) < 1e-12)
  }

  /// Units whose weights are all zero contribute nothing: removing them changes no forecast.
  @Test func structuredPruningRemovesUnitsAndKeepsTheFunctionOfTheRest() throws {
    var m = randomModel(units: 8)
    let H = 8
    let G = 32
    for u in [1, 4, 6, 7] {
      for gate in 0..<4 {
        m.weights.values[m.layout.offset(.kernel) + gate * H + u] = 0
        for k in 0..<H { m.weights.values[m.layout.offset(.recurrentKernel) + k * G + gate * H + u] = 0 }
        m.weights.values[m.layout.offset(.bias) + gate * H + u] = 0
      }
      for j in 0..<G { m.weights.values[m.layout.offset(.recurrentKernel) + u * G + j] = 0 }
      m.weights.values[m.layout.offset(.denseKernel) + u] = 0
    }
    let (small, kept) = Pruning.removeUnits(m, sparsity: 0.5)
    #expect(kept == [0, 2, 3, 5])
    #expect(small.parameterCount == ParameterLayout(inputSize: 1, units: 4).totalCount)
    let data = try smallData()
    let a = predictScaled(m, windows: data.test, data: data, threads: 1)
    let b = predictScaled(small, windows: data.test, data: data, threads: 1)
    for k in a.indices { #expect(abs(a[k] - b[k]) < 1e-6) }
  }
}

@Suite struct QuantizationTests {
  @Test func int8PerChannelErrorIsAtMostHalfAScaleAndZeroStaysZero() {
    var m = randomModel(units: 16)
    m.weights.values[m.layout.offset(.recurrentKernel) + 5] = 0
    let q = QuantizedRecurrent(m)
    let back = q.dequantized(dropout: 0)
    let G = 64
    for (k, w) in m.weights[.recurrentKernel].storage.enumerated() {
      let s = q.recurrentScales[k % G]
      #expect(abs(back.weights[.recurrentKernel].storage[k] - w) <= s / 2 * 1.0001)
    }
    #expect(q.recurrent[5] == 0)
    #expect(q.recurrent.allSatisfy { $0 >= -127 })
    // Each column's largest weight maps to +/-127.
    for j in 0..<G { #expect((0..<16).map { abs(Int(q.recurrent[$0 * G + j])) }.max() == 127) }
  }

  @Test func uint8AsymmetricErrorIsAtMostHalfAScale() {
    let m = randomModel(units: 8)
    let values = m.weights[.recurrentKernel].storage
    let a = Quantization.AffineUInt8(fitting: values[...])
    #expect(abs(a.scale - (values.max()! - values.min()!) / 255) < 1e-7)
    for w in values { #expect(abs(a.dequantize(a.quantize(w)) - w) <= a.scale / 2 * 1.0001) }
    #expect(a.dequantize(a.quantize(0)) == 0)
  }

  @Test func float16KeepsZerosAndRoundsToNearestHalf() {
    let m = randomModel(units: 4)
    let h = Quantization.fakeQuantize(m.weights.values, layout: m.layout, scheme: .float16)
    for p in Pruning.prunable { for k in m.layout.range(p) { #expect(h[k] == Float(Float16(m.weights.values[k]))) } }
    for k in m.layout.range(.bias) { #expect(h[k] == m.weights.values[k]) }
  }

  @Test(arguments: [(1, 1, 1), (3, 256, 64), (16, 64, 16), (5, 13, 130)])
  func int8KernelEqualsItsInt32Reference(m: Int, n: Int, k: Int) {
    var rng = SeededGenerator(seed: UInt64(m * n + k))
    let a = (0..<(m * k)).map { _ in rng.nextUnitFloat() < 0.2 ? Int8(0) : Int8(rng.nextInt(below: 255) - 127) }
    let b = (0..<(k * n)).map { _ in Int8(rng.nextInt(below: 255) - 127) }
    var fast = [Int32](repeating: 7, count: m * n)
    var slow = [Int32](repeating: -7, count: m * n)
    a.withUnsafeBufferPointer { ap in
      b.withUnsafeBufferPointer { bp in
        fast.withUnsafeMutableBufferPointer { c in
          int8GemmNN(
            m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
        }
        slow.withUnsafeMutableBufferPointer { c in
          int8GemmNNReference(
            m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
        }
      }
    }
    #expect(fast == slow)
  }

  /// The single-forecast path (a row times a matrix) gives the batched path's numbers bit for
  /// bit, for widths that use its 64-column blocks, its 8-column blocks and its scalar tail.
  @Test(arguments: [32, 16, 12, 5])
  func singleForecastEqualsTheBatchedPath(units: Int) {
    let q = QuantizedRecurrent(randomModel(units: units))
    var rng = SeededGenerator(seed: UInt64(units))
    let T = 14
    let B = 6
    let x = (0..<(T * B)).map { _ in rng.nextUnitFloat() }  // time-major [T*B, 1]
    let batched = q.forward(x: x, steps: T, batch: B)
    var scratch = QuantizedRecurrent.Scratch(capacity: 1, inputSize: 1, units: units)
    for b in 0..<B {
      let one = (0..<T).map { x[$0 * B + b] }
      q.forward(x: one, steps: T, batch: 1, scratch: &scratch)
      #expect(scratch.y[0].bitPattern == batched[b].bitPattern, "window \(b)")
    }
  }

  @Test func integerPathTracksTheFloatModel() throws {
    let data = try smallData()
    let m = randomModel(units: 16)
    let f = predictScaled(m, windows: data.test, data: data, threads: 1)
    let q = ForecastModel.int8(QuantizedRecurrent(m), dropout: 0).predictScaled(data.test, data: data, threads: 2)
    let worst = zip(f, q).map { abs($0 - $1) }.max()!
    #expect(worst < 0.02, "integer path differs from float by \(worst)")
    #expect(worst > 0, "the integer path should not be the float path")
  }
}

@Suite struct FineTuningTests {
  @Test func prunedWeightsStayZeroThroughFineTuningPlainAndQuantizationAware() throws {
    let data = try smallData()
    var net = randomModel(units: 8)
    let mask = Pruning.magnitudeMask(net.weights, sparsity: 0.6, scope: .layer)
    for k in mask.indices { net.weights.values[k] *= mask[k] }
    var config = TrainingConfig()
    config.epochs = 3
    config.learningRate = 0.01
    let (u8weights, u8params) = Quantization.uint8Simulation(net.weights.values, layout: net.layout)
    var u8 = net
    u8.weights.values = u8weights
    for model in [
      ForecastModel.float(net, storage: nil), .float(net, storage: .float16), .uint8(u8, params: u8params),
      .int8(QuantizedRecurrent(net), dropout: 0.2),
    ] {
      var rng = SeededGenerator(seed: 3)
      let (tuned, log) = FineTuning.run(model, keepZeros: true, data: data, config: config, rng: &rng)
      #expect(log.epochs.count == 3)
      let after = tuned.floatNetwork.weights.values
      for k in mask.indices where mask[k] == 0 { #expect(after[k] == 0, "\(tuned.kindDescription) index \(k)") }
      #expect(after != model.floatNetwork.weights.values, "\(tuned.kindDescription) did not train")
      // The kind survives fine-tuning.
      #expect(tuned.kindDescription == model.kindDescription)
    }
  }

  @Test func quantizationAwareFineTuningKeepsWeightsOnTheGrid() throws {
    let data = try smallData()
    var config = TrainingConfig()
    config.epochs = 2
    config.learningRate = 0.01
    var rng = SeededGenerator(seed: 4)
    let start = randomModel(units: 8)
    let (simulated, params) = Quantization.uint8Simulation(start.weights.values, layout: start.layout)
    var s = start
    s.weights.values = simulated
    let (tuned, _) = FineTuning.run(.uint8(s, params: params), keepZeros: false, data: data, config: config, rng: &rng)
    guard case .uint8(let net, let tunedParams) = tuned else {
      Issue.record("kind changed")
      return
    }
    // Every kernel weight is exactly (code - zero point) * scale for the parameters it carries.
    for (p, a) in zip(Pruning.prunable, tunedParams) {
      for k in net.layout.range(p) { #expect(a.dequantize(a.quantize(net.weights.values[k])) == net.weights.values[k]) }
    }
  }

  @Test func gradualPruningEndsAtTheFinalSparsity() throws {
    let data = try smallData()
    var config = TrainingConfig()
    config.epochs = 6
    config.learningRate = 0.005
    var rng = SeededGenerator(seed: 5)
    let (net, log) = FineTuning.gradualPrune(
      randomModel(units: 8), sparsity: 0.5, scope: .layer, data: data, config: config, rng: &rng)
    #expect(log.epochs.count <= 6 && log.epochs.count >= 5)
    for (p, s) in Pruning.sparsities(net.weights) {
      #expect(abs(s - 0.5) <= 1.0 / Double(net.layout.range(p).count) + 1e-9, "\(p) \(s)")
    }
  }

  @Test func distillationTargetsBlendTruthAndTeacher() throws {
    let data = try smallData()
    let teachers = [
      ForecastModel.float(randomModel(units: 4, seed: 1), storage: nil),
      .float(randomModel(units: 4, seed: 2), storage: nil),
    ]
    let truth = data.fit.map { data.target($0) }
    #expect(Distillation.blendedTargets(teachers: teachers, alpha: 1, data: data, threads: 1) == truth)
    let a = teachers[0].predictScaled(data.fit, data: data, threads: 1)
    let b = teachers[1].predictScaled(data.fit, data: data, threads: 1)
    let ensemble = Distillation.blendedTargets(teachers: teachers, alpha: 0, data: data, threads: 1)
    for k in [0, 7, 50] { #expect(abs(ensemble[k] - (a[k] + b[k]) / 2) < 1e-6) }
    let half = Distillation.blendedTargets(teachers: teachers, alpha: 0.5, data: data, threads: 1)
    #expect(abs(half[3] - (0.5 * truth[3] + 0.5 * (a[3] + b[3]) / 2)) < 1e-6)
  }
}

@Suite struct LowRankTests {
  @Test func fullRankReproducesTheMatrixAndErrorFallsWithRank() {
    let m = randomModel(units: 8)
    let w = m.weights[.recurrentKernel]
    #expect(LowRank.factor(w, rank: 8).product.maxAbsDifference(w) < 1e-5)
    // Eckart-Young: the Frobenius error of the best rank-r approximation falls as r grows.
    var previous = Double.infinity
    for r in 1...8 {
      let p = LowRank.factor(w, rank: r).product
      let e = zip(p.storage, w.storage).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot()
      #expect(e <= previous + 1e-6, "rank \(r)")
      previous = e
    }
  }

  /// The pullback dA = dW B^T, dB = A^T dW matches finite differences of the loss in A and B, for
  /// one layer and for each layer's factors of a stacked network.
  @Test(arguments: [1, 2])
  func factorGradientsMatchFiniteDifferences(layers: Int) {
    var rng = SeededGenerator(seed: 9)
    let base = RecurrentForecaster(inputSize: 1, units: 4, layers: layers, dropout: 0, rng: &rng)
    let f = (0..<layers).map { LowRank.factor(base.weights[.recurrentKernel, layer: $0], rank: 2) }
    let reparam = LowRank.reparameterization(base, factors: f)
    #expect(reparam.expand(reparam.parameters) == LowRank.network(base, factors: f).weights.values)
    #expect(LowRank.factors(from: reparam.parameters, layout: base.layout, rank: 2) == f)
    let T = 3
    let B = 2
    let x = (0..<(T * B)).map { _ in rng.nextFloat(in: -1, 1) }
    let targets: [Float] = [0.3, -0.2]
    func lossAndGradient(_ p: [Float]) -> (Double, [Float]) {
      var net = base
      net.weights.values = reparam.expand(p)
      var s = net.makeScratch(capacity: B, steps: T)
      s.x = x
      net.forward(batch: B, scratch: &s)
      var sse = 0.0
      for b in 0..<B {
        let e = Double(s.y[b] - targets[b])
        sse += e * e
        s.dy[b] = 2 * (s.y[b] - targets[b]) / Float(B)
      }
      var g = ParameterVector(layout: net.layout)
      net.backward(batch: B, scratch: &s, into: &g)
      return (sse / Double(B), reparam.pullback(p, g.values))
    }
    let p = reparam.parameters
    let (_, analytic) = lossAndGradient(p)
    #expect(analytic.count == p.count)
    // Each layer's A [4, 2] and B [2, 16], where they sit among the parameters.
    let saved = 4 * 16 - (4 * 2 + 2 * 16)
    let picks = (0..<layers).flatMap { layer -> [Int] in
      let start = base.layout.offset(.recurrentKernel, layer: layer) - layer * saved
      return Array(start..<(start + 4 * 2 + 2 * 16))
    }
    let numeric = numericalGradient(p, at: picks) { lossAndGradient($0).0 }
    for (k, i) in picks.enumerated() {
      #expect(
        abs(Double(analytic[i]) - numeric[k]) <= 2e-2 * max(abs(Double(analytic[i])), abs(numeric[k])) + 2e-4,
        "factor entry \(i)")
    }
  }
}

@Suite struct ModelFileTests {
  static func kinds(units: Int = 6) -> [(String, ForecastModel)] {
    let m = randomModel(units: units)
    var p70 = m
    let mask70 = Pruning.magnitudeMask(m.weights, sparsity: 0.7, scope: .layer)
    for k in mask70.indices { p70.weights.values[k] *= mask70[k] }
    var p97 = m
    let mask97 = Pruning.magnitudeMask(m.weights, sparsity: 0.97, scope: .layer)
    for k in mask97.indices { p97.weights.values[k] *= mask97[k] }
    func simulated(_ n: RecurrentForecaster, _ s: QuantizationScheme) -> ForecastModel {
      var q = n
      if s == .uint8Tensor {
        let (w, params) = Quantization.uint8Simulation(n.weights.values, layout: n.layout)
        q.weights.values = w
        return .uint8(q, params: params)
      }
      q.weights.values = Quantization.fakeQuantize(n.weights.values, layout: n.layout, scheme: s)
      return .float(q, storage: s)
    }
    let f = LowRank.factor(m.weights[.recurrentKernel], rank: 2)
    return [
      ("float32", .float(m, storage: nil)), ("pruned 70%", .float(p70, storage: nil)),
      ("pruned 97%", .float(p97, storage: nil)),
      ("float16", simulated(m, .float16)), ("uint8", simulated(m, .uint8Tensor)),
      ("uint8 pruned", simulated(p70, .uint8Tensor)),
      ("int8", .int8(QuantizedRecurrent(m), dropout: 0.2)),
      ("int8 pruned", .int8(QuantizedRecurrent(p70), dropout: 0.2)),
      ("low rank", .lowRank([f], network: LowRank.network(m, factors: [f]))),
    ]
  }

  static let meta = ModelMetadata(
    name: "tiny", lookback: 7, horizon: 1, scalerKind: "minmax", scalerOffset: 2, scalerFactor: 0.01,
    lineage: ["train units=6"])

  @Test func everyEncodingLoadsBackToTheSameModelAndForecasts() throws {
    let data = try smallData()
    for (label, model) in Self.kinds() {
      let bytes = ModelFile.encode(model, metadata: Self.meta)
      let (back, meta) = try ModelFile.decode(bytes)
      #expect(back == model, "\(label)")
      #expect(meta == Self.meta)
      #expect(
        back.predictScaled(data.test, data: data, threads: 1) == model.predictScaled(data.test, data: data, threads: 1),
        "\(label)")
    }
  }

  /// Every registered family's model file reads back to the same model and metadata, and the
  /// reader picks the family by the file's architecture.
  @Test func everyFamilysModelFileReadsBack() throws {
    let models: [any Forecaster] = [
      ForecastModel.float(randomModel(units: 4), storage: nil),
      LinearAutoregression(weights: [0.25, -0.5, 1, 0.125, 0, 2, -1], bias: 0.75),
      WindowAverage(k: 1, mode: .weekday, horizon: 1),
      WindowAverage(k: 3, mode: .days, horizon: 1),
      // A Croston model works in sales: it carries the scaler its file stores once, in the header.
      Croston(variant: .tsb, alpha: 0.2, beta: 0.05, scalerOffset: 2, scalerFactor: 0.01),
    ]
    for model in models {
      let bytes = ArtifactFamilies.modelFile(model, metadata: Self.meta)
      let (back, meta) = try ArtifactFamilies.readModelFile(bytes)
      #expect(back.isIdentical(to: model) && back.family == model.family, "\(model.family)")
      #expect(meta == Self.meta, "\(model.family)")
      var corrupted = bytes
      corrupted[corrupted.count / 2] ^= 0x10
      #expect(throws: ModelFileError.self) { _ = try ArtifactFamilies.readModelFile(corrupted) }
    }
  }

  /// The compact container (version 2, a binary header without the name) holds every family's
  /// model as the JSON container does, in fewer bytes; a damaged compact header is refused.
  @Test func compactContainerReadsBackEveryFamily() throws {
    let models: [any Forecaster] = [
      ForecastModel.float(randomModel(units: 4), storage: nil),
      LinearAutoregression(
        weights: [0.25, -0.5, 1, 0, 0.5, 1, 0.5, 0, 0, 0, 0, 0, 0, 0, -0.25, 0.125], bias: 0.75, ridge: 0.001,
        loss: .mae,
        levelNormalized: true, calendar: CalendarFeatures(weekday: true, yearHarmonics: 1)),
      LinearAutoregression(weights: [0.25, -0.5, 1, 0.125, 0, 2, -1], bias: 0.75).quantizedInt8(),
      WindowAverage(k: 3, mode: .days, horizon: 1),
      Croston(variant: .tsb, alpha: 0.2, beta: 0.05, scalerOffset: 2, scalerFactor: 0.01),
    ]
    var meta = Self.meta
    meta.lineage = ["train kind=linear as \"quoted\" name", "quantize x int8"]
    for model in models {
      var compact = meta
      compact.compact = true
      let json = ArtifactFamilies.modelFile(model, metadata: meta)
      let bytes = ArtifactFamilies.modelFile(model, metadata: compact)
      #expect(bytes.count < json.count && bytes[4] == 2, "\(model.family): \(bytes.count) vs \(json.count)")
      let (back, readMeta) = try ArtifactFamilies.readModelFile(bytes)
      #expect(back.isIdentical(to: model), "\(model.family)")
      #expect(readMeta.name == "" && readMeta.lineage == meta.lineage && readMeta.scalerFactor == meta.scalerFactor)
      var corrupted = bytes
      corrupted[14] ^= 0x40
      #expect(throws: ModelFileError.self) { _ = try ArtifactFamilies.readModelFile(corrupted) }
    }
  }

  @Test func compactHeaderKeepsEveryValueKind() throws {
    let json =
      "{\"a\":null,\"b\":true,\"c\":false,\"d\":-12345678901,\"e\":0.25,\"f\":0.1,\"g\":\"x\\\"y\","
      + "\"h\":[1,[2,{}],\"f32\"],\"ridge\":1e-05,\"kind\":\"float\"}"
    let bytes = try CompactHeader.encode(json: json)
    let text = try CompactHeader.decode(bytes[...])
    let a = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! NSDictionary
    let b = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! NSDictionary
    #expect(a == b, "\(text)")
    #expect(throws: ModelFileError.self) { _ = try CompactHeader.decode(bytes.dropLast()) }
    #expect(throws: ModelFileError.self) {
      _ = try CompactHeader.decode([9, 200, 200, 200, 200, 200, 200, 200, 200, 200, 1])
    }
  }

  /// The Forecaster protocol's single-window forecast is the batch path's, bit for bit, for every
  /// kind; and only float32 kernels are offered to compression.
  @Test func oneWindowForecastIsTheBatchForecastOfThatWindow() throws {
    let data = try smallData()
    for (label, model) in Self.kinds() {
      let batch = model.predictScaled(data.test, data: data, threads: 1)
      var window = [Float](repeating: 0, count: data.lookback)
      for (k, w) in data.test.enumerated().prefix(40) {
        data.gatherInputs(w, row: 0, batch: 1, into: &window)
        #expect(model.forecastScaled(window).bitPattern == batch[k].bitPattern, "\(label) window \(k)")
      }
      let isFloat32 = label.hasPrefix("float32") || label.hasPrefix("pruned")
      #expect(model.compressibleTensors == (isFloat32 ? ["lstm/kernel", "lstm/recurrent_kernel", "dense/kernel"] : []))
      #expect(model.family == "lstm" && model.isIdentical(to: model))
    }
  }

  /// Honest sizes: zeros and narrower values really save bytes (at a realistic size; for a
  /// 6-unit model int8's per-channel scales cost more than float16 saves, and the file says so).
  @Test func encodingsSaveWhatTheyShould() {
    var sizes: [String: Int] = [:]
    for (label, model) in Self.kinds(units: 32) { sizes[label] = ModelFile.encode(model, metadata: Self.meta).count }
    #expect(sizes["pruned 70%"]! < sizes["float32"]!)
    #expect(sizes["pruned 97%"]! < sizes["pruned 70%"]!)
    #expect(sizes["float16"]! < sizes["float32"]!)
    #expect(sizes["int8"]! < sizes["float16"]!)
    #expect(sizes["int8 pruned"]! < sizes["int8"]!)
    #expect(sizes["uint8 pruned"]! < sizes["uint8"]!)
  }

  @Test func everyCorruptedByteIsDetected() throws {
    for (label, model) in [Self.kinds()[0], Self.kinds()[7]] {
      let bytes = ModelFile.encode(model, metadata: Self.meta)
      for k in bytes.indices {
        var broken = bytes
        broken[k] ^= 0x5A
        #expect(throws: ModelFileError.self, "\(label) byte \(k)") { try ModelFile.decode(broken) }
      }
      for cut in [0, 3, 12, bytes.count / 2, bytes.count - 1] {
        #expect(throws: ModelFileError.self) { try ModelFile.decode(Array(bytes[0..<cut])) }
      }
    }
  }

  @Test func aNewerFormatVersionIsRefusedWithAHint() throws {
    var bytes = ModelFile.encode(Self.kinds()[0].1, metadata: Self.meta)
    bytes[4] = 3
    let body = Array(bytes[0..<(bytes.count - 4)])
    let crc = crc32(body)
    bytes = body + [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)]
    do {
      _ = try ModelFile.decode(bytes)
      Issue.record("accepted a newer version")
    } catch {
      #expect(error.message == "model file format 3 is newer than this Tinycast reads (2); upgrade Tinycast")
    }
  }
}

/// codes [1, K] x weights [K, columns], accumulated in int32 by the reference kernel: one step's
/// product in the integer path's slow references.
func int32Product(_ codes: [Int8], _ weights: [Int8], columns G: Int) -> [Int32] {
  var acc = [Int32](repeating: 0, count: G)
  codes.withUnsafeBufferPointer { a in
    weights.withUnsafeBufferPointer { w in
      acc.withUnsafeMutableBufferPointer { c in
        int8GemmNNReference(
          m: 1, n: G, k: codes.count, a: a.baseAddress!, lda: codes.count, b: w.baseAddress!, ldb: G,
          c: c.baseAddress!, ldc: G)
      }
    }
  }
  return acc
}

@Suite struct IntegerPathTests {
  /// Several inputs per step (each step's inputs share one dynamic scale): the whole-window VNNI
  /// kernel, where this processor has it, and the step-by-step path with the AVX2 integer cell give
  /// the bits of the step-by-step Swift path. Units 5, 12, 33: cells with a masked tail of lanes.
  @Test(arguments: [(3, 5), (2, 12), (5, 33), (1, 32)])
  func theWholeWindowKernelGivesTheBitsOfTheStepByStepPath(inputs: Int, units: Int) {
    var rng = SeededGenerator(seed: UInt64(inputs * 100 + units))
    let q = QuantizedRecurrent(RecurrentForecaster(inputSize: inputs, units: units, dropout: 0, rng: &rng))
    let T = 9
    let B = 7
    let x: [Float] = (0..<(T * B * inputs)).map { k in k % 11 == 0 ? 0 : rng.nextFloat(in: -2, 2) }
    let slow = q.forward(x: x, steps: T, batch: B, kernels: .portable)
    for kernels in KernelWidth.available.dropFirst() {
      let fast = q.forward(x: x, steps: T, batch: B, kernels: kernels)
      #expect(fast.map(\.bitPattern) == slow.map(\.bitPattern), "\(kernels)")
    }
  }

  /// A multi-day head's day o is the one-day network with Dense column o, bit for bit: each
  /// day has its own int8 scale, and the recurrence is shared (both integer paths).
  @Test func aMultiDayIntegerHeadIsOneDayHeadsSideBySide() {
    var rng = SeededGenerator(seed: 41)
    let S = 5
    let wide = RecurrentForecaster(inputSize: 2, units: 12, outputs: S, dropout: 0, rng: &rng)
    let q = QuantizedRecurrent(wide)
    let T = 8
    let B = 6
    let x: [Float] = (0..<(T * B * 2)).map { _ in rng.nextFloat(in: -2, 2) }
    let all = q.forward(x: x, steps: T, batch: B)
    #expect(all.map(\.bitPattern) == q.forward(x: x, steps: T, batch: B, kernels: .portable).map(\.bitPattern))
    let l = wide.layout
    for o in 0..<S {
      var one = ParameterVector(layout: ParameterLayout(inputSize: 2, units: 12))
      for p in [ParameterName.kernel, .recurrentKernel, .bias] {
        one.values.replaceSubrange(one.layout.range(p), with: wide.weights.values[l.range(p)])
      }
      for j in 0..<12 {
        one.values[one.layout.offset(.denseKernel) + j] = wide.weights.values[l.offset(.denseKernel) + j * S + o]
      }
      one.values[one.layout.offset(.denseBias)] = wide.weights.values[l.offset(.denseBias) + o]
      let day = QuantizedRecurrent(RecurrentForecaster(weights: one, dropout: 0)).forward(x: x, steps: T, batch: B)
      for b in 0..<B { #expect(all[b * S + o].bitPattern == day[b].bitPattern, "window \(b) day \(o + 1)") }
    }
  }

  /// The integer model's fast forward pass (exact float products) equals a slow reference that
  /// accumulates in int32 with the reference kernel and goes element by element.
  @Test(arguments: [3, 13, 16, 32, 64])
  func fastIntegerForwardEqualsTheInt32Reference(units: Int) throws {
    let data = try smallData(lookback: 14)
    var m = randomModel(units: units, seed: UInt64(units))
    let mask = Pruning.magnitudeMask(m.weights, sparsity: 0.5, scope: .layer)
    for k in mask.indices { m.weights.values[k] *= mask[k] }
    let q = QuantizedRecurrent(m)
    let windows = Array(data.test.prefix(37))
    var x = [Float](repeating: 0, count: 14 * windows.count)
    for (r, w) in windows.enumerated() { data.gatherInputs(w, row: r, batch: windows.count, into: &x) }
    let fast = q.forward(x: x, steps: 14, batch: windows.count)
    // The int8 dot-product instructions (where present) and the float-FMA product agree exactly.
    #expect(
      fast.map(\.bitPattern) == q.forward(x: x, steps: 14, batch: windows.count, kernels: .portable).map(\.bitPattern))
    let H = units
    let G = 4 * units
    let B = windows.count
    for b in 0..<B {
      var h = [Float](repeating: 0, count: H)
      var c = [Float](repeating: 0, count: H)
      for t in 0..<14 {
        let xv = x[t * B + b]
        let scale: Float = abs(xv) > 0 ? abs(xv) / 127 : 1
        let qx = [quantizeSymmetric(xv, inverseScale: 1 / scale)]
        let qh = h.map { quantizeSymmetric($0, inverseScale: 127) }
        let accX = int32Product(qx, q.kernel, columns: G)
        let accH = int32Product(qh, q.recurrent, columns: G)
        let z = (0..<G).map { j in
          q.bias[j] + (scale * q.kernelScales[j]) * Float(accX[j]) + (q.recurrentScales[j] / 127) * Float(accH[j])
        }
        for u in 0..<H {
          let i = sigmoidTable(z[u])
          let f = sigmoidTable(z[H + u])
          let g = tanhTable(z[2 * H + u])
          let o = sigmoidTable(z[3 * H + u])
          c[u] = f * c[u] + i * g
          h[u] = o * tanhTable(c[u])
        }
      }
      var acc: Int32 = 0
      for u in 0..<H { acc += Int32(quantizeSymmetric(h[u], inverseScale: 127)) * Int32(q.dense[u]) }
      let y = q.denseBiases[0] + (q.denseScales[0] / 127) * Float(acc)
      #expect(fast[b].bitPattern == y.bitPattern, "window \(b): fast \(fast[b]) vs reference \(y)")
    }
  }

  /// The GRU's integer forward pass equals a slow reference that accumulates in int32 and goes
  /// element by element; pruned weights included, several input channels per step, one-day and
  /// multi-day heads (one int8 scale per day).
  @Test(arguments: [(1, 3, 1), (1, 16, 1), (4, 13, 7), (14, 5, 3)])
  func gruIntegerForwardEqualsTheInt32Reference(inputs D: Int, units H: Int, outputs S: Int) throws {
    var rng = SeededGenerator(seed: UInt64(D * 100 + H))
    var m = RecurrentForecaster(inputSize: D, units: H, cell: .gru, outputs: S, dropout: 0, rng: &rng)
    for k in m.layout.range(.bias) { m.weights.values[k] = rng.nextFloat(in: -0.3, 0.3) }
    let mask = Pruning.magnitudeMask(m.weights, sparsity: 0.4, scope: .layer)
    for k in mask.indices { m.weights.values[k] *= mask[k] }
    let q = QuantizedRecurrent(m)
    let T = 11
    let B = 5
    let G = 3 * H
    let x: [Float] = (0..<(T * B * D)).map { k in k % 7 == 0 ? 0 : rng.nextFloat(in: -2, 2) }
    let fast = q.forward(x: x, steps: T, batch: B)
    for b in 0..<B {
      var h = [Float](repeating: 0, count: H)
      for t in 0..<T {
        let xs = (0..<D).map { x[(t * B + b) * D + $0] }
        let largest = xs.map(abs).max()!
        let scale: Float = largest > 0 ? largest / 127 : 1
        let qx = xs.map { quantizeSymmetric($0, inverseScale: 1 / scale) }
        let qh = h.map { quantizeSymmetric($0, inverseScale: 127) }
        let accX = int32Product(qx, q.kernel, columns: G)
        let accH = int32Product(qh, q.recurrent, columns: G)
        let a = (0..<G).map { j in q.bias[j] + (scale * q.kernelScales[j]) * Float(accX[j]) }
        let r = (0..<G).map { j in q.bias[G + j] + (q.recurrentScales[j] / 127) * Float(accH[j]) }
        for u in 0..<H {
          let z = sigmoidTable(a[u] + r[u])
          let reset = sigmoidTable(a[H + u] + r[H + u])
          let n = tanhTable(a[2 * H + u] + reset * r[2 * H + u])
          h[u] = z * h[u] + (1 - z) * n
        }
      }
      for o in 0..<S {
        var acc: Int32 = 0
        for u in 0..<H { acc += Int32(quantizeSymmetric(h[u], inverseScale: 127)) * Int32(q.dense[u * S + o]) }
        let y = q.denseBiases[o] + (q.denseScales[o] / 127) * Float(acc)
        #expect(fast[b * S + o].bitPattern == y.bitPattern, "window \(b) day \(o + 1): \(fast[b * S + o]) vs \(y)")
      }
    }
    #expect(fast.count == B * S && q.outputs == S)
    // And it tracks the float GRU it came from.
    let float = m.makeScratch(capacity: B, steps: T)
    var s = float
    s.x = x
    m.forward(batch: B, scratch: &s)
    let worst = (0..<(B * S)).map { abs(s.y[$0] - fast[$0]) }.max()!
    #expect(worst < 0.05, "integer GRU differs from float by \(worst)")
  }
  /// A stacked network's integer forward pass equals a slow int32 reference that runs each
  /// layer in turn at every step, the layer above quantizing the new hidden state below by its
  /// largest magnitude; LSTM and GRU, 2 and 3 layers, pruned, several inputs, multi-day heads.
  @Test(arguments: [(RecurrentCell.lstm, 2, 1, 1), (.lstm, 3, 4, 3), (.gru, 2, 2, 1), (.gru, 3, 1, 7)])
  func stackedIntegerForwardEqualsTheInt32Reference(cell: RecurrentCell, layers L: Int, inputs D: Int, outputs S: Int)
    throws
  {
    var rng = SeededGenerator(seed: UInt64(L * 10 + D))
    let H = 5
    var m = RecurrentForecaster(inputSize: D, units: H, cell: cell, outputs: S, layers: L, dropout: 0, rng: &rng)
    for l in 0..<L { for k in m.layout.range(.bias, layer: l) { m.weights.values[k] = rng.nextFloat(in: -0.3, 0.3) } }
    let mask = Pruning.magnitudeMask(m.weights, sparsity: 0.3, scope: .layer)
    for k in mask.indices { m.weights.values[k] *= mask[k] }
    let q = QuantizedRecurrent(m)
    #expect(q.layers == L && q.dequantized(dropout: 0).layout == m.layout)
    let T = 9
    let B = 4
    let G = cell.gates * H
    let x: [Float] = (0..<(T * B * D)).map { k in k % 5 == 0 ? 0 : rng.nextFloat(in: -2, 2) }
    let fast = q.forward(x: x, steps: T, batch: B)
    for b in 0..<B {
      var h = [[Float]](repeating: [Float](repeating: 0, count: H), count: L)
      var c = h
      for t in 0..<T {
        for (l, layer) in q.allLayers.enumerated() {
          let xs = l == 0 ? (0..<D).map { x[(t * B + b) * D + $0] } : h[l - 1]
          let largest = xs.map(abs).max()!
          let scale: Float = largest > 0 ? largest / 127 : 1
          let qx = xs.map { quantizeSymmetric($0, inverseScale: 1 / scale) }
          let qh = h[l].map { quantizeSymmetric($0, inverseScale: 127) }
          let accX = int32Product(qx, layer.kernel, columns: G)
          let accH = int32Product(qh, layer.recurrent, columns: G)
          if cell == .lstm {
            let z = (0..<G).map { j in
              layer.bias[j] + (scale * layer.kernelScales[j]) * Float(accX[j]) + (layer.recurrentScales[j] / 127)
                * Float(accH[j])
            }
            for u in 0..<H {
              c[l][u] = sigmoidTable(z[H + u]) * c[l][u] + sigmoidTable(z[u]) * tanhTable(z[2 * H + u])
              h[l][u] = sigmoidTable(z[3 * H + u]) * tanhTable(c[l][u])
            }
          } else {
            let a = (0..<G).map { j in layer.bias[j] + (scale * layer.kernelScales[j]) * Float(accX[j]) }
            let r = (0..<G).map { j in layer.bias[G + j] + (layer.recurrentScales[j] / 127) * Float(accH[j]) }
            for u in 0..<H {
              let z = sigmoidTable(a[u] + r[u])
              let n = tanhTable(a[2 * H + u] + sigmoidTable(a[H + u] + r[H + u]) * r[2 * H + u])
              h[l][u] = z * h[l][u] + (1 - z) * n
            }
          }
        }
      }
      for o in 0..<S {
        var acc: Int32 = 0
        for u in 0..<H { acc += Int32(quantizeSymmetric(h[L - 1][u], inverseScale: 127)) * Int32(q.dense[u * S + o]) }
        let y = q.denseBiases[o] + (q.denseScales[o] / 127) * Float(acc)
        #expect(fast[b * S + o].bitPattern == y.bitPattern, "window \(b) day \(o + 1): \(fast[b * S + o]) vs \(y)")
      }
    }
    // And it tracks the float network it came from.
    var s = m.makeScratch(capacity: B, steps: T)
    s.x = x
    m.forward(batch: B, scratch: &s)
    let worst = (0..<(B * S)).map { abs(s.y[$0] - fast[$0]) }.max()!
    #expect(worst < 0.05, "integer \(cell) x\(L) differs from float by \(worst)")
  }
}
