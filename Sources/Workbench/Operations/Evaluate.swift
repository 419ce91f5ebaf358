// eval, compare, predict, check, export: what a model is worth, and the files it becomes.

import Artifacts
import Compression
import Evaluation
import Foundation
import Modeling
import ONNXExport
import SalesData

/// A file format of `compare to=FILE`, chosen by the file's extension.
public enum TableFormat: String, Sendable {
  case markdown = "md"
  case csv
  case json

  public init(path: String) throws(CommandError) {
    let ext = (path as NSString).pathExtension.lowercased()
    guard let format = TableFormat(rawValue: ext) else {
      throw CommandError("to=\(path): unknown format '.\(ext)'", hint: "use a .md, .csv or .json file name")
    }
    self = format
  }
}

public struct Evaluated: Sendable {
  public var model: ModelEntry
  public var metrics: ReplicaMetrics
  /// The no-learning baselines' test metrics on the same windows.
  public var baselines: [(name: String, metrics: ForecastMetrics)]
  public var command: RecordedCommand
  public var results: [String] {
    let r = metrics
    return [
      "\(model.name) mape=\(resultNumber(r.mape)) mape_std=\(resultNumber(r.mapeStd)) "
        + "smape=\(resultNumber(r.smape)) mae=\(resultNumber(r.mae)) rmse=\(resultNumber(r.rmse))"
        + (r.steps > 1 ? " mape_by_step=" + r.mapeByStep.map(resultNumber).joined(separator: ",") : "")
    ]
  }
}

public struct CompareSpec: Sendable {
  /// Models, in the table's order (default: all, in the order made).
  public var names: [String] = []
  /// The row ratio and dMAPE are measured against (default: the first model).
  public var reference: String?
  /// Also written to this file (absolute path), in the format of its extension.
  public var file: (path: String, format: TableFormat)?
  /// The words written in the recorded command for `to=` and `overwrite=`.
  public var fileOption: String?
  public var overwrite = false
  public init() {}
}

public struct Compared: Sendable {
  public var table: Comparison
  public var command: RecordedCommand
  public var results: [String] {
    // The models' rows: the reference rows are the dataset's, not the session's results.
    table.rows.filter { $0.method != "baseline" && $0.method != "classical" }.map {
      "\($0.name) mape=\(resultNumber($0.metrics.mape))"
    }
  }
}

public struct PredictSpec: Sendable {
  public var model: String?
  public var run = 1
  /// Where the CSV goes (absolute), and the path as the user wrote it (recorded).
  public var path = ""
  public var given = ""
  public var overwrite = false
  public init() {}
}

public struct Predicted: Sendable {
  public var model: ModelEntry
  public var forecasts: Int
  public var command: RecordedCommand
}

/// A model's figure that `check` can assert.
public enum CheckedMetric: String, CaseIterable, Sendable {
  case mape
  case mapeStd = "mape_std"
  case smape, mae, rmse, wape, mase, rmsse, bias, bytes, parameters
}

public enum ExportFormat: String, CaseIterable, Sendable {
  case tcm, c, keras, onnx, bundle
}

public struct ExportSpec: Sendable {
  public var model: String?
  public var format = ExportFormat.tcm
  public var run = 1
  public var withLineage = false
  public var overwrite = false
  /// The path as the user wrote it (recorded), and where it resolves to. For format=c, `path`
  /// is the folder and `outputs` are the two files to write.
  public var given = ""
  public var path = ""
  public init() {}
}

public enum Exported: Sendable {
  case modelFile(ModelEntry, run: Int, bytes: Int, command: RecordedCommand)
  /// Every replica with its seeds, logs and lineage (ModelBundle).
  case bundle(ModelEntry, bytes: Int, command: RecordedCommand)
  case keras(ModelEntry, run: Int, command: RecordedCommand)
  case onnx(ModelEntry, run: Int, bytes: Int, command: RecordedCommand)
  case c(ModelEntry, run: Int, artifact: CExportArtifact, energyNanojoules: Double, command: RecordedCommand)

  public var command: RecordedCommand {
    switch self {
    case .modelFile(_, _, _, let c), .keras(_, _, let c), .onnx(_, _, _, let c), .c(_, _, _, _, let c),
      .bundle(_, _, let c):
      c
    }
  }
}

extension Workspace {
  /// Test-set metrics of every replica (cached in the entry after the first call).
  public mutating func metrics(of name: String) throws(CommandError) -> ReplicaMetrics {
    var m = try model(name)
    if let cached = m.metrics { return cached }
    let data = try windows(for: m)
    let metrics = TestEvaluation.testMetrics(m.replicas, scaler: m.scaler, data: data, threads: threads)
    m.metrics = metrics
    models.update(m)
    return metrics
  }

  /// The headline metric of `replicas` on the validation windows, scored as `m`'s (its scaler
  /// and windows).
  public func validationScore(_ replicas: [any Forecaster], of m: ModelEntry, data: WindowedData) -> Double {
    TestEvaluation.validationScore(replicas, scaler: m.scaler, data: data, threads: threads, metric: metric)
  }

  /// `eval`: a model's test metrics beside the baselines'.
  public mutating func evaluate(_ name: String?) throws(CommandError) -> Evaluated {
    let m = try model(name)
    let metrics = try self.metrics(of: m.name)
    let data = try windows(for: m)
    let baselines = Baseline.allCases.compactMap { b in b.metrics(data).map { (b.rawValue, $0) } }
    return Evaluated(
      model: models[m.name]!, metrics: metrics, baselines: baselines,
      command: RecordedCommand("eval", words: [RecordedValue(m.name)]))
  }

  /// `compare`: one row per model, then the baselines on the first model's data.
  public mutating func compare(_ spec: CompareSpec) throws(CommandError) -> Compared {
    let names = spec.names.isEmpty ? models.names : spec.names
    guard !names.isEmpty else { throw CommandError("no models to compare", hint: "train one with 'train'") }
    let reference = spec.reference ?? names[0]
    // One ranking is one set of test targets: a dataset and its test period (`split`).
    let entries = try names.map { (name: String) throws(CommandError) -> ModelEntry in try model(name) }
    let groups = Dictionary(grouping: entries) { m in
      "\(m.datasetName) (split \(formatNumber(m.window.split))"
        + (m.window.steps > 1 ? ", \(m.window.steps) days per window)" : ")")
    }
    guard groups.count == 1 else {
      let listed = groups.keys.sorted().map { key in "\(groups[key]!.map(\.name).joined(separator: ", ")) on \(key)" }
      throw CommandError(
        "these models were scored on different test targets: " + listed.joined(separator: "; "),
        hint: "compare the models of one dataset and test period at a time")
    }
    var rows: [ComparisonRow] = []
    for m in entries {
      let name = m.name
      let metrics = try self.metrics(of: name)
      var row = ComparisonRow(
        name: name, method: m.method.description, units: m.units > 0 ? m.units : nil, parameters: m.parameterCount,
        nonzero: m.nonzeroCount, bytes: m.artifact().count,
        articleKB: Double(m.parameterCount) * 4 / 1024, metrics: metrics)
      row.dataset = m.datasetName
      row.kind = m.family
      row.testTargets = metrics.count
      if let c = ArtifactFamilies.cFootprint(m.replicas[0], metadata: m.metadata()) {
        row.flashBytes = c.weightBytes
        row.ramBytes = c.ramBytes
        row.macs = c.macs
        row.energyNanojoules = ArtifactFamilies.energyNanojoules(
          m.replicas[0], artifact: c, lookback: m.window.lookback)
      }
      rows.append(row)
    }
    let data = try windows(for: try model(names[0]))
    for c in classicalReferences(besides: entries) {
      var row = ComparisonRow(
        name: c.name, method: "classical", parameters: c.parameters, bytes: c.bytes, metrics: c.metrics)
      row.dataset = entries[0].datasetName
      row.kind = "classical"
      row.testTargets = c.metrics.count
      rows.append(row)
    }
    for b in Baseline.allCases {
      guard let bm = b.metrics(data) else { continue }
      var row = ComparisonRow(name: b.rawValue, method: "baseline", metrics: ReplicaMetrics(runs: [bm]))
      row.dataset = entries[0].datasetName
      row.kind = "baseline"
      row.testTargets = bm.count
      rows.append(row)
    }
    guard rows.contains(where: { $0.name == reference }) else {
      throw CommandError(
        "baseline=\(reference) is not a row of this table", hint: "rows: \(rows.map(\.name).joined(separator: ", "))")
    }
    let table = Comparison(rows: rows, reference: reference, headline: metric)
    var command = RecordedCommand("compare", words: names.map { RecordedValue($0) })
    if let r = spec.reference { command.set("baseline", r) }
    if let given = spec.fileOption { command.set("to", given, isPath: true) }
    command.set("overwrite", on: spec.overwrite)
    if let file = spec.file {
      let text: String
      switch file.format {
      case .markdown: text = table.renderMarkdown()
      case .csv: text = table.renderCSV()
      case .json: text = table.renderJSON()
      }
      try AtomicFile.write(Array(text.utf8), to: file.path)
    }
    return Compared(table: table, command: command)
  }

  /// `predict`: the test-set forecasts of one replica as store,item,date,actual,predicted.
  public mutating func predict(_ spec: PredictSpec) throws(CommandError) -> Predicted {
    let m = try model(spec.model)
    guard (1...m.replicas.count).contains(spec.run) else {
      throw CommandError("run=\(spec.run) is out of range", hint: "run must be between 1 and \(m.replicas.count)")
    }
    let data = try windows(for: m)
    let predicted = TestEvaluation.forecasts(
      m.replicas[spec.run - 1], scaler: m.scaler, windows: data.test, data: data, threads: threads)
    // A multi-day forecast adds the day ahead (1 ... S) and its target's date per row.
    let S = data.steps
    var text = S > 1 ? "store,item,origin,step,date,actual,predicted\n" : "store,item,date,actual,predicted\n"
    text.reserveCapacity(data.test.count * S * 40)
    for (k, w) in data.test.enumerated() {
      let info = data.seriesNames[Int(w.series)]  // the file's numbers, or its names
      for step in 0..<S {
        let day = CivilDate.format(data.targetDay(w, step: step))
        let actual = formatNumber(Double(data.actual(w, step: step)))
        let forecast = predicted[k * S + step].description
        if S > 1 {
          let origin = CivilDate.format(data.targetDay(w) - data.config.horizon)
          text += "\(info.store),\(info.item),\(origin),\(step + 1),\(day),\(actual),\(forecast)\n"
        } else {
          text += "\(info.store),\(info.item),\(day),\(actual),\(forecast)\n"
        }
      }
    }
    try AtomicFile.write(Array(text.utf8), to: spec.path)
    var command = RecordedCommand("predict", words: [RecordedValue(m.name)])
    command.set("to", spec.given, isPath: true)
    command.set("run", spec.run)
    command.set("overwrite", on: spec.overwrite)
    return Predicted(model: m, forecasts: data.test.count * S, command: command)
  }

  /// A metric of a model, or of a baseline row (on the current model's data), for `check`.
  public mutating func value(of metric: CheckedMetric, for name: String) throws(CommandError) -> Double {
    let r: ReplicaMetrics
    if let b = Baseline(rawValue: name) {
      let data = try windows(for: try model())
      guard let bm = b.metrics(data) else { throw CommandError("\(name) needs longer series") }
      guard ![.mapeStd, .bytes, .parameters].contains(metric) else {
        throw CommandError("baseline \(name) has no \(metric.rawValue)")
      }
      r = ReplicaMetrics(runs: [bm])
    } else {
      let m = try model(name)
      switch metric {
      case .bytes: return Double(m.artifact().count)
      case .parameters: return Double(m.parameterCount)
      default: r = try metrics(of: name)
      }
    }
    switch metric {
    case .mape: return r.mape
    case .mapeStd: return r.mapeStd
    case .smape: return r.smape
    case .mae: return r.mae
    case .rmse: return r.rmse
    case .mase: return r.mase
    case .rmsse: return r.rmsse
    case .bias: return r.bias
    default: return r.wape
    }
  }

  /// Whether `name` is a row `check` can compare with: a model or a baseline.
  public func isCheckRow(_ name: String) -> Bool {
    models[name] != nil || Baseline(rawValue: name) != nil
  }

  /// `export`: one replica's deployable artifact.
  public func export(_ spec: ExportSpec) throws(CommandError) -> Exported {
    let m = try model(spec.model)
    guard (1...m.replicas.count).contains(spec.run) else {
      throw CommandError("run=\(spec.run) is out of range", hint: "run must be between 1 and \(m.replicas.count)")
    }
    var command = RecordedCommand("export", words: [RecordedValue(m.name)])
    command.set("to", spec.given, isPath: true)
    command.set("format", spec.format.rawValue)
    command.set("run", spec.run)
    command.set("lineage", on: spec.withLineage)
    command.set("overwrite", on: spec.overwrite)
    let replica = m.replicas[spec.run - 1]
    switch spec.format {
    case .onnx:
      guard let net = replica as? ForecastModel else {
        throw CommandError("\(m.name) is a \(m.family) model; format=onnx takes LSTM and GRU networks")
      }
      let bytes: [UInt8]
      do { bytes = try ONNXExport.export(net, name: m.name, metadata: m.metadata()) } catch {
        throw CommandError("\(m.name) \(error.message)", hint: "export it as format=tcm or format=c")
      }
      try AtomicFile.write(bytes, to: spec.path)
      return .onnx(m, run: spec.run, bytes: bytes.count, command: command)
    case .keras:
      if (replica as? ForecastModel)?.skip != nil {
        throw CommandError(
          "\(m.name) corrects a linear model; Keras' weights would hold the network alone",
          hint: "export it as format=tcm or format=c, which keep both")
      }
      guard let text = ArtifactFamilies.kerasWeights(replica, metadata: m.metadata()) else {
        throw CommandError("\(m.name) is a \(m.family) model; Keras has no such model to export to")
      }
      try AtomicFile.write(Array(text.utf8), to: spec.path)
      return .keras(m, run: spec.run, command: command)
    case .c:
      // The folder is made when missing (the caller checked it may write there); a file there
      // is refused.
      var isDir: ObjCBool = false
      if !FileManager.default.fileExists(atPath: spec.path, isDirectory: &isDir) {
        do { try FileManager.default.createDirectory(atPath: spec.path, withIntermediateDirectories: true) } catch {
          throw CommandError("cannot make the folder to=\(spec.given): \(error.localizedDescription)")
        }
        isDir = true
      }
      guard isDir.boolValue else {
        throw CommandError(
          "to=\(spec.given) is a file; format=c needs a folder", hint: "it receives NAME.h and NAME.c")
      }
      guard let c = ArtifactFamilies.cLibrary(replica, name: m.name, metadata: m.metadata()) else {
        throw CommandError("\(m.name) is a \(m.family) model; it has no C export yet")
      }
      return .c(
        m, run: spec.run, artifact: c,
        energyNanojoules: ArtifactFamilies.energyNanojoules(replica, artifact: c, lookback: m.window.lookback),
        command: command)
    case .bundle:
      let bytes = ModelBundle.encode(m)
      try AtomicFile.write(bytes, to: spec.path)
      return .bundle(m, bytes: bytes.count, command: command)
    case .tcm:
      let bytes = m.artifact(run: spec.run - 1, withLineage: spec.withLineage)
      try AtomicFile.write(bytes, to: spec.path)
      return .modelFile(m, run: spec.run, bytes: bytes.count, command: command)
    }
  }
}

extension ModelEntry {
  /// What the model file says besides the weights; the lineage only when asked (provenance
  /// belongs to the session file, not to the bytes a device stores).
  public func metadata(withLineage: Bool = false) -> ModelMetadata {
    ModelMetadata(
      name: name, lookback: window.lookback, horizon: window.horizon, scalerKind: scaler.kind.rawValue,
      scalerOffset: scaler.offset, scalerFactor: scaler.factor, lineage: withLineage ? lineage : [],
      compact: compactContainer)
  }

  /// The deployable artifact of one replica (what `export format=tcm` writes by default).
  public func artifact(run: Int = 0, withLineage: Bool = false) -> [UInt8] {
    ArtifactFamilies.modelFile(replicas[run], metadata: metadata(withLineage: withLineage))
  }

  /// Where a model's bytes go: the model file's container, header and numbers, and what the
  /// exported C keeps in flash and needs in RAM. One story for every size a table prints.
  public struct SizeBreakdown: Sendable {
    public var file: Int
    /// Magic, version, header length and CRC-32.
    public var container: Int
    /// The header: JSON, or binary in the compact container.
    public var header: Int
    public var compactHeader: Bool
    /// The numbers: weights in their encodings, with masks, scales and per-series states.
    public var numbers: Int
    /// The C library's constants (flash), its activation table, and its stack (RAM); nil when the
    /// family has no C export.
    public var flash: Int?
    public var table: Int?
    public var ram: Int?
    /// The article's count: parameters x 4 bytes / 1024, whatever the storage.
    public var articleKB: Double
  }

  public func sizeBreakdown(run: Int = 0) -> SizeBreakdown {
    let bytes = artifact(run: run)
    let header =
      bytes.count >= 12 ? Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : 0
    let c = ArtifactFamilies.cFootprint(replicas[run], metadata: metadata())
    return SizeBreakdown(
      file: bytes.count, container: 16, header: header, compactHeader: compactContainer,
      numbers: bytes.count - 16 - header, flash: c?.weightBytes, table: c?.tableBytes, ram: c?.ramBytes,
      articleKB: Double(replicas[run].parameterCount) * 4 / 1024)
  }
}

/// Writes an exported C pair (the shell resolved both paths, refusing what it may not replace).
public func writeCExport(_ artifact: CExportArtifact, header: String, source: String) throws(CommandError) {
  try AtomicFile.write(Array(artifact.header.utf8), to: header)
  try AtomicFile.write(Array(artifact.source.utf8), to: source)
}
