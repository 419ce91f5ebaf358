// The workbench without the shell: operations on a Workspace, the commands they record, the
// model store, and how a family other than the LSTM is treated.

import Foundation
import Modeling
import SalesData
import Testing
import Workbench

/// A dataset small enough to train on in a test: 2 series of the demo data.
func demoWorkspace() throws -> Workspace {
  var ws = Workspace()
  var load = LoadSpec()
  load.stores = try IDSelection(parsing: "1")
  load.items = try IDSelection(parsing: "1-2")
  _ = try ws.load(load)
  return ws
}

func quickTraining(seed: UInt64) -> TrainingOptions {
  var t = TrainingOptions()
  t.epochs = 1
  t.runs = 1
  t.seed = seed
  return t
}

/// A forecaster of another family: tomorrow is today. Not an LSTM, so compression refuses it.
struct Persistence: Forecaster {
  var family: String { "persistence" }
  var label: String { "persistence" }
  var architecture: String { "y[t-1]" }
  var kindDescription: String { "no parameters" }
  var units: Int { 0 }
  var parameterCount: Int { 0 }
  var nonzeroCount: Int { 0 }
  var compressibleTensors: [String] { [] }
  func predictScaled(_ windows: [WindowRef], data: WindowedData, threads: Int) -> [Float] {
    windows.map { w in
      var x = [Float](repeating: 0, count: data.lookback)
      data.gatherInputs(w, row: 0, batch: 1, into: &x)
      return x[x.count - 1]
    }
  }
  func forecastScaled(_ window: [Float]) -> Float { window[window.count - 1] }
  func isIdentical(to other: any Forecaster) -> Bool { other is Persistence }
}

@Suite struct WorkbenchTests {
  @Test func methodsNameTheirChain() {
    #expect(Method(.lstm).description == "lstm")
    #expect(Method(.lstm).then(.int8).description == "int8")
    #expect(Method(.lstm).then(.finetuned).description == "lstm+ft")
    #expect(Method(.pruned).then(.finetuned).then(.finetuned).then(.int8Tensor).description == "pruned+ft+int8-tensor")
    #expect(Method(.prunedGradually).then(.float16).description == "pruned-agp+float16")
  }

  @Test func operationsRecordTheirCanonicalCommand() throws {
    var ws = try demoWorkspace()
    #expect(ws.recorded.isEmpty, "operations return their commands; recording is the caller's")
    var spec = TrainSpec()
    spec.units = 4
    spec.training = quickTraining(seed: 3)
    let trained = try ws.train(spec, progress: .none)
    #expect(
      trained.command.render()
        == "train batch=32 dropout=0.2 epochs=1 kind=lstm lr=0.001 patience=5 runs=1 seed=3 units=4 as lstm4")
    #expect(trained.model.lineage.last == trained.command.render())

    // No seed given: one is drawn from the workspace's source and written down.
    var again = TrainSpec()
    again.units = 4
    again.training = quickTraining(seed: 0)
    again.training.seed = nil
    again.name = "drawn"
    let drawn = try ws.train(again, progress: .none)
    #expect(drawn.command.options.contains { $0.key == "seed" && UInt64($0.value.text) != nil })

    var prune = PruneSpec()
    prune.source = "lstm4"
    prune.sparsity = 0.5
    prune.matrixLevels[.denseKernel] = 0.25
    let pruned = try ws.prune(prune, progress: .none)
    #expect(
      pruned.command.render()
        == "prune lstm4 0.5 dense=0.25 schedule=oneshot scope=layer structured=off as lstm4-pm50")
    #expect(pruned.model.method.description == "pruned" && pruned.model.pruned)
    #expect(ws.models.names == ["lstm4", "drawn", "lstm4-pm50"] && ws.models.current == "lstm4-pm50")

    var q = QuantizeSpec()
    q.perTensor = true
    let quantized = try ws.quantize(q)
    #expect(
      quantized.command.render() == "quantize lstm4-pm50 int8 granularity=tensor mode=asymmetric as lstm4-pm50-int8t")
    #expect(quantized.model.method.description == "pruned+int8-tensor")
    #expect(quantized.model.nonzeroCount <= pruned.model.nonzeroCount)
  }

  @Test func aFailedOperationLeavesACopyOfTheWorkspaceAsItWas() throws {
    var ws = try demoWorkspace()
    var spec = TrainSpec()
    spec.units = 3
    spec.training = quickTraining(seed: 1)
    _ = try ws.train(spec, progress: .none)
    let before = ws
    var draft = ws
    #expect(throws: CommandError.self) { _ = try draft.train(spec, progress: .none) }  // the name is taken
    #expect(
      ws.models.names == before.models.names && ws.models["lstm3"]!.hasIdenticalReplicas(to: before.models["lstm3"]!))
  }

  @Test func theModelStoreKeepsOrderThroughRemoveAndRename() throws {
    var ws = try demoWorkspace()
    for units in [2, 3, 4] {
      var spec = TrainSpec()
      spec.units = units
      spec.training = quickTraining(seed: UInt64(units))
      _ = try ws.train(spec, progress: .none)
    }
    ws.models.rename("lstm3", to: "mid")
    #expect(ws.models.names == ["lstm2", "mid", "lstm4"] && ws.models["mid"]!.name == "mid")
    ws.models.remove("lstm4")
    #expect(ws.models.names == ["lstm2", "mid"] && ws.models.current == "mid")
    #expect(throws: CommandError.self) { _ = try ws.model("lstm4") }
  }

  @Test func anotherFamilyIsEvaluatedButNotCompressed() throws {
    var ws = try demoWorkspace()
    let data = try ws.dataset()
    ws.models.add(
      ModelEntry(
        name: "same", method: Method(.imported), datasetName: data.name, window: data.windows.config,
        scaler: data.windows.scaler, replicas: [Persistence()], seeds: [0], logs: [TrainingLog()], lineage: []))
    // Evaluation works through the Forecaster protocol alone: persistence is the naive-last rule.
    let metrics = try ws.metrics(of: "same")
    let naiveLast = try #require(Baseline.lastValue.metrics(data.windows))
    #expect(abs(metrics.mape - naiveLast.mape) < 1e-3)
    var prune = PruneSpec()
    prune.source = "same"
    #expect(
      throws: CommandError(
        "same is a persistence model; prune works on LSTM and GRU models", hint: "it has no weights to prune")
    ) {
      _ = try ws.prune(prune, progress: .none)
    }
    var q = QuantizeSpec()
    q.source = "same"
    #expect(throws: CommandError.self) { _ = try ws.quantize(q) }
    #expect(ws.models.names == ["same"])
  }

  @Test func theLinearFamilyTrainsEvaluatesExportsAndIsRefusedByCompression() throws {
    var ws = try demoWorkspace()
    var spec = LinearSpec()
    spec.ridge = 0.001
    let fitted = try ws.trainLinear(spec)
    #expect(fitted.command.render() == "train kind=linear ridge=0.001 as linear14")
    let m = fitted.model
    #expect(m.family == "linear" && m.method.description == "linear" && m.parameterCount == 15)
    // A linear model of the last 14 days beats yesterday's sales as a forecast on this data.
    let data = try ws.dataset()
    #expect(try ws.metrics(of: "linear14").mape < Baseline.lastValue.metrics(data.windows)!.mape)
    // Its model file reads back to the same model.
    let dir = NSTemporaryDirectory() + "tinycast-workbench-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var export = ExportSpec()
    export.given = "linear14.tcm"
    export.path = dir + "/linear14.tcm"
    guard case .modelFile(_, _, let bytes, _) = try ws.export(export) else {
      Issue.record("export format=tcm wrote no model file")
      return
    }
    #expect(bytes == m.artifact().count)
    let back = try ws.loadModel(path: export.path, given: export.given, name: "back")
    #expect(back.model.hasIdenticalReplicas(to: m) && back.model.family == "linear")
    export.format = .keras
    export.model = "linear14"
    #expect(throws: CommandError("linear14 is a linear model; Keras has no such model to export to")) {
      _ = try ws.export(export)
    }
    var factor = FactorSpec()
    factor.source = "linear14"
    #expect(throws: CommandError.self) { _ = try ws.factor(factor) }
  }

  /// The linear model compresses like an LSTM: pruned by magnitude, refitted in closed form
  /// (its fine-tuning), quantized to int8 or float16, and distilled from a teacher; each file
  /// reads back to the same model.
  @Test func theLinearModelPrunesRefitsQuantizesAndDistils() throws {
    var ws = try demoWorkspace()
    _ = try ws.trainLinear(LinearSpec())
    var prune = PruneSpec()
    prune.source = "linear14"
    prune.sparsity = 0.5
    let pruned = try ws.prune(prune, progress: .none)
    #expect(pruned.model.name == "linear14-p50" && pruned.model.nonzeroCount == 8)  // 7 weights and the bias
    #expect(pruned.command.render() == "prune linear14 0.5 schedule=oneshot scope=layer structured=off as linear14-p50")
    var agp = prune
    agp.schedule = .agp
    agp.name = "nope"
    #expect(throws: CommandError.self) { _ = try ws.prune(agp, progress: .none) }
    var ft = FinetuneSpec()
    ft.source = "linear14-p50"
    let refit = try ws.finetune(ft, progress: .none)
    #expect(refit.command.render() == "finetune linear14-p50 as linear14-p50-ft")
    #expect(refit.model.nonzeroCount == 8 && refit.model.pruned)
    // The refit is the least-squares optimum on the kept days: it beats the pruned weights.
    let mse = { (name: String) throws -> Double in try ws.metrics(of: name).runs[0].rmse }
    #expect(try mse("linear14-p50-ft") < mse("linear14-p50"))
    var q = QuantizeSpec()
    q.source = "linear14-p50-ft"
    let int8 = try ws.quantize(q)
    #expect(int8.model.kindDescription.hasPrefix("int8") && int8.model.nonzeroCount == 8)
    #expect(int8.model.artifact().count < refit.model.artifact().count)
    #expect(abs(try ws.metrics(of: int8.model.name).mape - (try ws.metrics(of: "linear14-p50-ft").mape)) < 0.2)
    q.source = "linear14"
    q.target = .float16
    _ = try ws.quantize(q)
    var distill = DistillSpec()
    distill.teacher = "linear14"
    distill.linear = true
    distill.alpha = 0
    distill.ridge = 0
    let student = try ws.distill(distill, progress: .none)
    #expect(student.command.render() == "distill alpha=0 kind=linear ridge=0 teacher=linear14 as kd-linear14")
    // A linear student of a linear teacher, fitted without a penalty to the teacher's own
    // forecasts (alpha 0), is the teacher again.
    let teacherMetrics = try ws.metrics(of: "linear14")
    #expect(abs(try ws.metrics(of: "kd-linear14").mape - teacherMetrics.mape) < 1e-3)

    let dir = NSTemporaryDirectory() + "tinycast-workbench-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for name in ["linear14-p50", "linear14-p50-ft-int8", "linear14-f16"] {
      var export = ExportSpec()
      export.model = name
      export.given = name + ".tcm"
      export.path = dir + "/" + name + ".tcm"
      _ = try ws.export(export)
      let back = try ws.loadModel(path: export.path, given: export.given, name: name + "-back")
      #expect(back.model.hasIdenticalReplicas(to: try ws.model(name)), "\(name)")
    }
  }

  /// ETS and Theta fit per series: they beat yesterday's sales, their model files read back to
  /// the same models, and a dataset with other series cannot take them.
  @Test func perSeriesClassicalModelsTrainEvaluateRoundTripAndRefuseOtherSeries() throws {
    var ws = try demoWorkspace()
    let ets = try ws.trainETS(ETSSpec())
    #expect(ets.command.render() == "train kind=ets model=auto season=7 as ets")
    var fixed = ETSSpec()
    fixed.components = ETSComponents(code: "AAdA")
    let damped = try ws.trainETS(fixed)
    #expect(damped.model.name == "ets-AAdA" && damped.model.architecture.hasSuffix("2 x ETS(A,Ad,A)"))
    let theta = try ws.trainTheta(ThetaSpec())
    #expect(theta.command.render() == "train kind=theta season=7 as theta")
    let data = try ws.dataset()
    let naive = Baseline.lastValue.metrics(data.windows)!.mape
    for name in ["ets", "ets-AAdA", "theta"] { #expect(try ws.metrics(of: name).mape < naive, "\(name)") }

    let dir = NSTemporaryDirectory() + "tinycast-workbench-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (name, model) in [("ets", ets.model), ("theta", theta.model)] {
      var export = ExportSpec()
      export.model = name
      export.given = "\(name).tcm"
      export.path = dir + "/\(name).tcm"
      guard case .modelFile(_, _, let bytes, _) = try ws.export(export) else {
        Issue.record("export format=tcm wrote no model file")
        continue
      }
      #expect(bytes == model.artifact().count)
      let back = try ws.loadModel(path: export.path, given: export.given, name: "\(name)-back")
      #expect(back.model.hasIdenticalReplicas(to: model), "\(name)")
      #expect(try ws.metrics(of: "\(name)-back").mape == (try ws.metrics(of: name).mape))
    }
    // Another dataset (store 2's series): the per-series models have no model for them.
    var other = LoadSpec()
    other.stores = try IDSelection(parsing: "2")
    other.items = try IDSelection(parsing: "1")
    other.name = "other"
    _ = try ws.load(other)
    #expect(
      throws: CommandError(
        "ets.tcm cannot forecast other: it has no model for store 2 item 1 (it is fitted per series)")
    ) {
      _ = try ws.loadModel(path: dir + "/ets.tcm", given: "ets.tcm", name: nil)
    }
  }

  /// The linear model's input options: each window divided by its level, the forecast day's
  /// weekday and yearly harmonics, absolute errors. Recorded only when used, saved and read
  /// back, pruned and refitted with the same inputs.
  @Test func linearInputOptionsFitRecordAndRoundTrip() throws {
    var ws = try demoWorkspace()
    var plain = LinearSpec()
    plain.name = "plain"
    _ = try ws.trainLinear(plain)
    var spec = LinearSpec()
    spec.levelNormalized = true
    spec.calendar = CalendarFeatures(weekday: true, yearHarmonics: 2)
    spec.loss = .mae
    spec.name = "rich"
    let rich = try ws.trainLinear(spec)
    #expect(rich.command.render() == "train kind=linear loss=mae norm=level ridge=0.0001 weekday=on year=2 as rich")
    #expect(rich.model.parameterCount == 14 + 7 + 4 + 1)
    // On the demo data's weekly pattern, knowing the weekday beats the plain model.
    #expect(try ws.metrics(of: "rich").mape < (try ws.metrics(of: "plain").mape))
    var prune = PruneSpec()
    prune.source = "rich"
    prune.sparsity = 0.3
    _ = try ws.prune(prune, progress: .none)
    var ft = FinetuneSpec()
    ft.source = "rich-p30"
    let refit = try ws.finetune(ft, progress: .none)
    let replica = refit.model.replicas[0] as? LinearAutoregression
    let model = try #require(replica)
    #expect(model.levelNormalized && model.calendar == spec.calendar && model.loss == .mae)
    #expect(model.weights.filter { $0 == 0 }.count == 8)
    let dir = NSTemporaryDirectory() + "tinycast-workbench-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for name in ["rich", "rich-p30-ft"] {
      var export = ExportSpec()
      export.model = name
      export.given = name + ".tcm"
      export.path = dir + "/" + name + ".tcm"
      _ = try ws.export(export)
      let back = try ws.loadModel(path: export.path, given: export.given, name: name + "-back")
      #expect(back.model.hasIdenticalReplicas(to: try ws.model(name)), "\(name)")
    }
  }

  /// Ctrl-C during the second run's fourth epoch: the model keeps run 1 and run 2's best of
  /// three epochs, and the command says so (runs=2 stop=3), so replaying it rebuilds the same
  /// weights bit for bit.
  @Test func anInterruptedTrainingIsRecordedAsWhatRan() throws {
    var ws = try demoWorkspace()
    var spec = TrainSpec()
    spec.units = 4
    spec.training = quickTraining(seed: 9)
    spec.training.epochs = 6
    spec.training.patience = 10
    spec.training.runs = 3
    spec.name = "cut"
    final class Counter: @unchecked Sendable { var epochs = 0 }
    let counter = Counter()
    // Stop when run 2 (0-based 1) has finished 3 epochs: polled before the next batch.
    let progress = Progress(
      epoch: { event in if event.run == 1 { counter.epochs = event.record.epoch } },
      shouldStop: { counter.epochs >= 3 })
    let cut = try ws.train(spec, progress: progress)
    #expect(cut.interrupted && cut.model.replicas.count == 2)
    let rendered = cut.command.render()
    #expect(rendered.contains("runs=2") && rendered.contains("stop=3") && rendered.contains("epochs=6"), "\(rendered)")
    // The replay: the recorded options, no Ctrl-C.
    var replay = try demoWorkspace()
    var again = spec
    again.training.runs = 2
    again.lastRunEpochs = 3
    let rebuilt = try replay.train(again, progress: .none)
    #expect(!rebuilt.interrupted && rebuilt.model.hasIdenticalReplicas(to: cut.model))
    #expect(rebuilt.command.render() == rendered)
    // A stop beyond the epochs is refused.
    again.lastRunEpochs = 7
    again.name = "bad"
    #expect(throws: CommandError("stop=7 must be between 1 and epochs=6")) {
      _ = try replay.train(again, progress: .none)
    }
  }

  /// What an operation returns of its new model is the model as stored: in a compact
  /// workspace, its bytes are the compact file's, as every table says.
  @Test func newModelsAreReportedInTheWorkspacesContainer() throws {
    var ws = try demoWorkspace()
    let json = try ws.trainLinear(LinearSpec()).model.artifact().count
    ws.models.setCompactContainer(true)
    var spec = LinearSpec()
    spec.name = "compact"
    let fitted = try ws.trainLinear(spec)
    var q = QuantizeSpec()
    q.source = "compact"
    let quantized = try ws.quantize(q)
    #expect(fitted.model.artifact().count == ws.models["compact"]!.artifact().count)
    #expect(fitted.model.artifact().count < json)
    #expect(quantized.model.artifact() == ws.models["compact-int8"]!.artifact())
  }

  @Test func compareRanksOnlyModelsScoredOnTheSameTargets() throws {
    var ws = try demoWorkspace()
    var windowed = WindowConfig()
    windowed.lookback = 28
    _ = try ws.trainLinear(LinearSpec())  // linear14
    _ = try ws.window(windowed)
    _ = try ws.trainLinear(LinearSpec())  // linear28, on the same test days
    var spec = CompareSpec()
    spec.names = ["linear14", "linear28"]
    let table = try ws.compare(spec).table
    // Every row, the classical references (their own windows) and baselines included, is scored
    // on the same 726 test days.
    #expect(table.rows.allSatisfy { $0.testTargets == 726 && $0.dataset == "demo" })
    #expect(
      table.rows.map(\.kind) == ["linear", "linear"] + Array(repeating: "classical", count: 4) + [
        "baseline", "baseline", "baseline",
      ])
    #expect(table.rows.filter { $0.kind == "classical" }.map(\.name) == ["ets", "theta", "linear-56", "weekday-4"])
    // The ETS row is the model `train kind=ets` makes, scored the same.
    _ = try ws.trainETS(ETSSpec())
    let etsRow = try #require(table.rows.first { $0.name == "ets" })
    #expect(etsRow.metrics.mape == (try ws.metrics(of: "ets").mape))
    // The weekday mean of 4 weeks is a rule: its row is the same whatever model is compared.
    let weekday = try #require(table.rows.first { $0.name == "weekday-4" })
    var four = AverageSpec()
    four.k = 4
    four.mode = .weekday
    _ = try ws.trainAverage(four)
    #expect(abs(try ws.metrics(of: "weekday4").mape - weekday.metrics.mape) < 1e-9)
    // Its results (the #=> lines) are the models' only: the references belong to the dataset.
    #expect(try ws.compare(spec).results.count == 2)
    // Another dataset, or another test period: refused, naming both groups.
    var other = LoadSpec()
    other.stores = try IDSelection(parsing: "2")
    other.items = try IDSelection(parsing: "1")
    other.name = "store2"
    _ = try ws.load(other)
    var lin = LinearSpec()
    lin.name = "other"
    _ = try ws.trainLinear(lin)
    spec.names = ["linear14", "other"]
    #expect(
      throws: CommandError(
        "these models were scored on different test targets: linear14 on demo (split 0.8); other on store2 (split 0.8)",
        hint: "compare the models of one dataset and test period at a time")
    ) { _ = try ws.compare(spec) }
  }

  @Test func windowAveragesAreTheNaiveRulesAndExportTheirRule() throws {
    var ws = try demoWorkspace()
    let data = try ws.dataset().windows
    var weekday = AverageSpec()
    weekday.k = 2
    weekday.mode = .weekday
    let seasonal = try ws.trainAverage(weekday)
    #expect(seasonal.command.render() == "train k=2 kind=average mode=weekday as weekday2")
    // k = 2 weeks is the seasonal-mean rule, k = 1 day the naive-last one (computed in scaled
    // units here, in sales units there: the same to rounding).
    #expect(abs(try ws.metrics(of: "weekday2").mape - Baseline.seasonalMean.metrics(data)!.mape) < 1e-4)
    var last = AverageSpec()
    last.k = 1
    _ = try ws.trainAverage(last)
    #expect(abs(try ws.metrics(of: "mean1").mape - Baseline.lastValue.metrics(data)!.mape) < 1e-4)
    let m = ws.models["weekday2"]!
    #expect(m.parameterCount == 0 && m.label == "weekday mean of 2 weeks")
    // Three weeks of weekdays do not fit a 14-day window: one clear line.
    weekday.k = 3
    #expect(
      throws: CommandError(
        "the mean of the forecast day's weekday over the last 3 weeks needs 21 days; the windows hold 14",
        hint: "run 'window lookback=21' first, or choose a smaller k")
    ) { _ = try ws.trainAverage(weekday) }
  }

  @Test func theHeadlineMetricDrivesComparisonsSweepsAndSearches() throws {
    var ws = try demoWorkspace()
    _ = try ws.trainLinear(LinearSpec())
    var mean = AverageSpec()
    mean.k = 1
    _ = try ws.trainAverage(mean)
    var spec = CompareSpec()
    spec.names = ["linear14", "mean1"]
    let byMAPE = try ws.compare(spec).table
    ws.metric = .wape
    let byWAPE = try ws.compare(spec).table
    let linear = try #require(byWAPE.rows.first { $0.name == "linear14" })
    let naive = try #require(byWAPE.rows.first { $0.name == "mean1" })
    // The delta is the headline's; MAPE's stays beside it (delta_mape, the JSON contract).
    #expect(byWAPE.headline == .wape && naive.delta == naive.metrics.wape - linear.metrics.wape)
    #expect(naive.deltaMAPE == byMAPE.rows.first { $0.name == "mean1" }!.deltaMAPE)
    #expect(byWAPE.renderText().split(separator: "\n")[0].hasSuffix("WAPE  dWAPE"))
    #expect(byMAPE.renderText().split(separator: "\n")[0].hasSuffix("dMAPE"))
    #expect(byWAPE.renderJSON().contains("\"headline\": \"wape\""))
    // The sweep's knee and the validation scores are the headline's too.
    #expect(try ws.sweepSummary(["linear14", "mean1"]).scores == [linear.metrics.wape, naive.metrics.wape])
    let m = ws.models["linear14"]!
    let data = try ws.windows(for: m)
    ws.metric = .mape
    let mape = ws.validationScore(m.replicas, of: m, data: data)
    ws.metric = .mase
    let mase = ws.validationScore(m.replicas, of: m, data: data)
    #expect(mape > 5 && mase > 0 && mase < 2 && mape != mase)
  }
}
