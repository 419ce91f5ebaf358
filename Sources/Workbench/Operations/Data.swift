// load and window: datasets in, cut into windows; and models from files (.tcm, Keras JSON).

import Artifacts
import Compression
import Foundation
import KerasFiles
import Modeling
import SalesData

public enum LoadSource: Sendable {
  case demo
  /// A date,store,item,sales CSV: its absolute path and the path as the user wrote it.
  case csv(path: String, given: String)
}

public struct LoadSpec: Sendable {
  public var source = LoadSource.demo
  public var stores = IDSelection.all
  public var items = IDSelection.all
  public var gaps = GapPolicy.error
  /// Two rows for a day: an error, or summed (a file of transactions).
  public var duplicates = DuplicatePolicy.error
  /// A negative sale (a return): an error, or no sale.
  public var negatives = NegativePolicy.error
  /// How dates other than ISO's are read: day or month first, or as the file's dates tell.
  public var dateOrder = DateOrder.auto
  /// A series too short for the default windows: an error, or left out.
  public var short = ShortPolicy.error
  /// Which columns of a CSV file play which part, and the covariates to read.
  public var columns = CSVColumns.standard
  public var name: String?
  public init() {}
}

public struct Loaded: Sendable {
  public var dataset: DatasetEntry
  /// How the demand behaves (zero days, intermittency), measured on the default windows.
  public var profile: DemandProfile
  /// The load line, then the window line with every default (so a later change of a default
  /// cannot change a replay).
  public var commands: [RecordedCommand]
  /// Columns found under other names ("units as sales", "no store column: one store").
  public var columnNotes: [String] = []
  /// Negative sales read as zero (`negatives=zero`), in the whole file.
  public var zeroedNegatives = 0
  /// The order the file's dates were read in (`.ymd`: ISO dates).
  public var dateOrder = DateOrder.ymd
  /// Rows left out for want of a sales figure (`NA`, empty; with `gaps=zero`).
  public var missingSales = 0
  /// Series left out as too short (`short=skip`): their label and days.
  public var leftOut: [(label: String, days: Int)] = []
}

public struct Windowed: Sendable {
  public var windows: WindowedData
  public var command: RecordedCommand
}

public struct LoadedModel: Sendable {
  public var model: ModelEntry
  public var dataset: String
  public var fileBytes: Int
  /// Keras weights brought their own scaler (else the dataset's).
  public var ownScaler: Bool
  public var commands: [RecordedCommand]
}

extension Workspace {
  public mutating func load(_ spec: LoadSpec) throws(CommandError) -> Loaded {
    let table: SalesTable
    let defaultName: String
    var command = RecordedCommand("load")
    switch spec.source {
    case .demo:
      guard spec.columns.isStandard else {
        throw CommandError(
          "the demo data has only date, store, item and sales",
          hint: "column options and covariates= are for 'load csv PATH'")
      }
      command.words = [RecordedValue("demo")]
      table = DemoData.table()
      defaultName = "demo"
    case .csv(let path, let given):
      command.words = [RecordedValue("csv"), RecordedValue(path, isPath: true)]
      do {
        table = try SalesCSV.read(
          path: path, displayPath: given, columns: spec.columns, negatives: spec.negatives, dateOrder: spec.dateOrder,
          gaps: spec.gaps)
      } catch {
        throw CommandError.from(error)
      }
      defaultName = sanitizedName(((given as NSString).lastPathComponent as NSString).deletingPathExtension)
      // The columns as found (the names given, or found under other names): only what differs
      // from Kaggle's layout is recorded (older sessions stay as they were), and a replay names
      // them rather than looking again.
      let standard = CSVColumns.standard
      let columns = table.columns
      if columns.date != standard.date { command.set("date", columns.date) }
      if columns.store != standard.store { command.set("store", columns.store ?? "none") }
      if columns.item != standard.item { command.set("item", columns.item ?? "none") }
      if columns.sales != standard.sales { command.set("sales", columns.sales) }
      if !columns.covariates.isEmpty { command.set("covariates", columns.covariates.joined(separator: ",")) }
      // Dates in another order than ISO's, as the file's dates told it or as asked: recorded, so
      // a replay reads them so whatever the file holds by then.
      if table.dateOrder != .ymd { command.set("dateorder", table.dateOrder.rawValue) }
    }
    let name = spec.name ?? defaultName
    command.set("stores", spec.stores.description)
    command.set("items", spec.items.description)
    command.set("gaps", spec.gaps.rawValue)
    // Written only when asked, so older sessions read the same.
    if spec.duplicates != .error { command.set("duplicates", spec.duplicates.rawValue) }
    if spec.negatives != .error { command.set("negatives", spec.negatives.rawValue) }
    if spec.short != .error { command.set("short", spec.short.rawValue) }
    command.asName = name
    if datasets[name] != nil {
      throw CommandError("a dataset named '\(name)' is loaded", hint: "load it under another name with 'as NAME'")
    }
    var dataset: SalesDataset
    let windows: WindowedData
    var leftOut: [DailySeries] = []
    do throws(DataError) {
      dataset = try SalesDataset.assemble(
        table, stores: spec.stores, items: spec.items, gaps: spec.gaps, duplicates: spec.duplicates)
      if spec.short == .skip {
        // New products and closed stores: series too short for the default windows left out.
        let long = dataset.series.map { WindowedData.isLongEnough(days: $0.values.count, config: WindowConfig()) }
        leftOut = zip(dataset.series, long).filter { !$1 }.map(\.0)
        dataset.series = zip(dataset.series, long).filter { $1 }.map(\.0)
        guard !dataset.series.isEmpty else {
          throw DataError("every series of \(table.path) is too short for \(WindowConfig().lookback)-day windows")
        }
      }
      windows = try WindowedData(dataset: dataset, config: WindowConfig())
    } catch {
      var e = error
      if spec.short == .error, e.message.contains("too short") {
        e.hint = (e.hint.map { $0 + "; " } ?? "") + "load with short=skip to leave such series out"
      }
      throw CommandError.from(e)
    }
    // The selection found in the file, and what was asked when the file held less.
    let stores = IDSelection(ids: dataset.series.map(\.store))
    let items = IDSelection(ids: dataset.series.map(\.item))
    var selection = "stores \(stores) x items \(items)"
    if (spec.stores.ids.map { $0 != stores.ids } ?? false) || (spec.items.ids.map { $0 != items.ids } ?? false) {
      selection += " of the stores \(spec.stores) x items \(spec.items) asked for"
    }
    let entry = DatasetEntry(name: name, dataset: dataset, windows: windows, selection: selection)
    datasets[name] = entry
    datasetOrder.append(name)
    currentDataset = name
    return Loaded(
      dataset: entry, profile: DemandProfile(windows), commands: [command, Self.windowCommand(WindowConfig())],
      columnNotes: table.columnNotes, zeroedNegatives: table.zeroedNegatives, dateOrder: table.dateOrder,
      missingSales: table.missingSales, leftOut: leftOut.map { ($0.label, $0.values.count) })
  }

  /// `window`: the current dataset cut again.
  public mutating func window(_ config: WindowConfig) throws(CommandError) -> Windowed {
    var entry = try dataset()
    do { entry.windows = try WindowedData(dataset: entry.dataset, config: config) } catch {
      throw CommandError.from(error)
    }
    datasets[entry.name] = entry
    return Windowed(windows: entry.windows, command: Self.windowCommand(config))
  }

  static func windowCommand(_ config: WindowConfig) -> RecordedCommand {
    var c = RecordedCommand("window")
    c.set("lookback", config.lookback)
    c.set("horizon", config.horizon)
    c.set("split", config.split)
    c.set("val", config.validation)
    c.set("scale", config.scale.rawValue)
    if config.steps != 1 { c.set("steps", config.steps) }
    return c
  }

  /// `load model PATH`: a .tcm file becomes a one-replica model on the current dataset.
  public mutating func loadModel(path: String, given: String, name: String?) throws(CommandError) -> LoadedModel {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CommandError(
        "\(given): no such file",
        hint: "check the path; relative paths start at the session file's folder (in the shell, the current folder)")
    }
    let bytes = [UInt8](data)
    if ModelBundle.isBundle(bytes) { return try loadBundle(bytes, path: path, given: given, name: name) }
    let (model, meta): (any Forecaster, ModelMetadata)
    do { (model, meta) = try ArtifactFamilies.readModelFile(bytes) } catch {
      throw CommandError("\(given): \(error.message)")
    }
    let d = try dataset()
    guard meta.lookback == d.windows.config.lookback else {
      throw CommandError(
        "\(given) expects \(meta.lookback)-day windows; \(d.name) has \(d.windows.config.lookback)",
        hint: "run 'window lookback=\(meta.lookback)' first")
    }
    guard let kind = ScalerKind(rawValue: meta.scalerKind) else {
      throw CommandError("\(given): unknown scaler '\(meta.scalerKind)'")
    }
    if let problem = model.incompatibility(with: d.windows) {
      throw CommandError("\(given) cannot forecast \(d.name): \(problem)")
    }
    // A compact file carries no name: the model is named after its file.
    let fileName = ((given as NSString).lastPathComponent as NSString).deletingPathExtension
    let name = name ?? sanitizedName(meta.name.isEmpty ? fileName : meta.name)
    try requireFreeModelName(name)
    var window = d.windows.config
    window.horizon = meta.horizon
    // A multi-day network scores its own days; a one-day model that follows the data's horizon
    // scores the dataset's; any other one-day model scores one day.
    if model.outputs > 1 {
      window.steps = model.outputs
    } else if !model.followsDataHorizon {
      window.steps = 1
    }
    let command = RecordedCommand(
      "load", words: [RecordedValue("model"), RecordedValue(path, isPath: true)], asName: name)
    var entry = ModelEntry(
      name: name, method: Method(.loaded), datasetName: d.name, window: window,
      scaler: Scaler(kind: kind, offset: meta.scalerOffset, factor: meta.scalerFactor),
      replicas: [model], seeds: [0], logs: [TrainingLog()],
      lineage: meta.lineage + ["load model \(path) as \(name)"],
      pruned: model.nonzeroCount < model.parameterCount * 9 / 10)
    entry = models.add(entry)
    // Only the load: the windows stay as they are (a default `window` recorded here made a replay
    // cut other windows than the session had).
    return LoadedModel(model: entry, dataset: d.name, fileBytes: data.count, ownScaler: true, commands: [command])
  }

  /// `load model PATH.tcb`: a bundle brings back the whole model another Tinycast had (every
  /// replica, seed and training log), on the dataset of the same name, which must be loaded.
  mutating func loadBundle(_ bytes: [UInt8], path: String, given: String, name: String?) throws(CommandError)
    -> LoadedModel
  {
    var entry: ModelEntry
    do { entry = try ModelBundle.decode(bytes) } catch { throw CommandError("\(given): \(error.message)") }
    guard let d = datasets[entry.datasetName] else {
      throw CommandError(
        "\(given) was trained on dataset '\(entry.datasetName)', which is not loaded",
        hint: "load that data first, as the session that made it did")
    }
    for (k, replica) in entry.replicas.enumerated() {
      if let problem = replica.incompatibility(with: d.windows) {
        throw CommandError("\(given) cannot forecast \(d.name): replica \(k + 1) \(problem)")
      }
    }
    if let name { entry.name = name }
    try requireFreeModelName(entry.name)
    let command = RecordedCommand(
      "load", words: [RecordedValue("model"), RecordedValue(path, isPath: true)], asName: name)
    entry = models.add(entry)
    return LoadedModel(model: entry, dataset: d.name, fileBytes: bytes.count, ownScaler: true, commands: [command])
  }

  /// `load keras PATH`: Keras weights become a one-replica float model. PATH is Tinycast's JSON
  /// of `get_weights()` arrays, or a model file Keras wrote itself (`.keras`, legacy `.h5`).
  public mutating func loadKeras(path: String, given: String, name: String?) throws(CommandError) -> LoadedModel {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CommandError(
        "\(given): no such file",
        hint: "check the path; relative paths start at the session file's folder (in the shell, the current folder)")
    }
    let imported: KerasWeights.Imported
    do {
      imported =
        KerasModelFile.container(of: data) != nil
        ? try KerasModelFile.read(path: path) : try KerasWeights.decode(data)
    } catch { throw CommandError("\(given): \(error.message)") }
    let d = try dataset()
    if let lookback = imported.lookback, lookback != d.windows.config.lookback {
      throw CommandError(
        "\(given) was trained on \(lookback)-day windows; \(d.name) has \(d.windows.config.lookback)",
        hint: "run 'window lookback=\(lookback)' first")
    }
    var scaler = d.windows.scaler
    if let s = imported.scaler {
      guard let kind = ScalerKind(rawValue: s.kind) else { throw CommandError("\(given): unknown scaler '\(s.kind)'") }
      scaler = Scaler(kind: kind, offset: s.offset, factor: s.factor)
    }
    if let problem = imported.network.inputs.incompatibility(with: d.windows) {
      throw CommandError("\(given) cannot forecast \(d.name): \(problem)")
    }
    let name = name ?? sanitizedName(((given as NSString).lastPathComponent as NSString).deletingPathExtension)
    try requireFreeModelName(name)
    let command = RecordedCommand(
      "load", words: [RecordedValue("keras"), RecordedValue(path, isPath: true)], asName: name)
    // The network scores as many days as its Dense head forecasts.
    var window = d.windows.config
    window.steps = imported.network.outputs
    var entry = ModelEntry(
      name: name, method: Method(.imported), datasetName: d.name, window: window, scaler: scaler,
      replicas: [ForecastModel.float(imported.network, storage: nil)], seeds: [0], logs: [TrainingLog()],
      lineage: ["load keras \(path) as \(name)"])
    entry = models.add(entry)
    return LoadedModel(
      model: entry, dataset: d.name, fileBytes: data.count, ownScaler: imported.scaler != nil, commands: [command])
  }
}

/// A file name made into a valid model or dataset name.
public func sanitizedName(_ s: String) -> String {
  var out = String(s.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
  if out.isEmpty || !(out.first!.isLetter) { out = "data_" + out }
  return String(out.prefix(64))
}
