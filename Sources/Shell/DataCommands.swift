// Data commands: load (demo data, a CSV file, a saved model) and window.

import Foundation
import NumericCore
import SalesData
import Modeling
import Compression

enum DataCommands {
  static let all: [Command] = [load, window]

  static let windowOptions: [OptionSpec] = [
    OptionSpec("lookback", "14", "days of history in each input window"),
    OptionSpec("horizon", "1", "days ahead of the last input day to forecast (1 = next day)"),
    OptionSpec("split", "0.8", "fraction of each series' windows used for training (in time order)"),
    OptionSpec("val", "0.1", "fraction of the training windows, at their end, held out for validation"),
    OptionSpec("scale", "minmax", "scaler fitted on the training days only", values: ScalerKind.allCases.map(\.rawValue)),
  ]

  static let load = Command(
    "load", group: .data,
    usage: "load demo | load csv PATH | load PATH.csv  [stores=1-5] [items=1-10] [gaps=error|zero] [as NAME] | load model PATH [as NAME] | load keras PATH.json [as NAME]",
    summary: "load the built-in demo data or a date,store,item,sales CSV file",
    details: """
      The data are one daily series per (store, item). Every series must be complete: a missing
      day is an error naming the series and date, unless gaps=zero fills it with zero sales.
      Loading also windows the data with the defaults of 'window' (shown, and recorded).
      'load demo' is a deterministic stand-in with the Kaggle file's shape (see README).
      'load model PATH' reads a model written by 'export ... format=tcm' and evaluates it on the
      current dataset (its window length must match; the model keeps its own scaler).
      'load keras PATH.json' imports weights trained in Keras (the five arrays of get_weights(),
      as 'export ... format=keras' writes them), with the file's scaler or else the dataset's.
      """,
    options: [
      OptionSpec("stores", "1-5", "stores to keep: ids and ranges like 1-5 or 1,3,7-9, or all"),
      OptionSpec("items", "1-10", "items to keep, written like stores"),
      OptionSpec("gaps", "error", "what to do with a missing day", values: GapPolicy.allCases.map(\.rawValue)),
    ],
    example: "load csv ../shared/data/store-item-demand/train.csv stores=1-5 items=1-10",
    recording: .always
  ) { ws, inv, ctx in
    let usage = "load demo | load csv PATH [options] [as NAME]"
    guard let kind = inv.word(0) else { throw ShellError("load what?", hint: "usage: \(usage)") }
    let table: SalesTable
    var defaultName: String
    switch kind.text {
    case "demo":
      try inv.requireWordCount(1...1, usage: usage)
      inv.recordedWords = [RecordedValue(text: "demo", isPath: false)]
      table = DemoData.table()
      defaultName = "demo"
    case "model":
      try inv.requireWordCount(2...2, usage: usage)
      try inv.checkAllConsumed()
      return try loadModel(&ws, &inv, ctx, given: inv.words[1].text)
    case "keras":
      try inv.requireWordCount(2...2, usage: usage)
      try inv.checkAllConsumed()
      return try loadKeras(&ws, &inv, ctx, given: inv.words[1].text)
    case "csv":
      try inv.requireWordCount(2...2, usage: usage)
      let given = inv.words[1].text
      let path = ctx.resolveInput(given)
      inv.recordedWords = [RecordedValue(text: "csv", isPath: false), RecordedValue(text: path, isPath: true)]
      table = try SalesCSV.read(path: path, displayPath: given)
      defaultName = sanitizedName(((given as NSString).lastPathComponent as NSString).deletingPathExtension)
    default:
      // `load PATH.csv` is short for `load csv PATH.csv` (so a session can say `load $data`
      // and be replayed with --set data=demo).
      guard kind.text.lowercased().hasSuffix(".csv") else {
        throw ShellError("cannot load '\(kind.text)'", hint: "usage: \(usage)", column: kind.column)
      }
      try inv.requireWordCount(1...1, usage: usage)
      let path = ctx.resolveInput(kind.text)
      inv.recordedWords = [RecordedValue(text: "csv", isPath: false), RecordedValue(text: path, isPath: true)]
      table = try SalesCSV.read(path: path, displayPath: kind.text)
      defaultName = sanitizedName(((kind.text as NSString).lastPathComponent as NSString).deletingPathExtension)
    }
    let stores = try inv.selection("stores"), items = try inv.selection("items")
    let gaps = GapPolicy(rawValue: try inv.choice("gaps"))!
    try inv.checkAllConsumed()
    let name = inv.asName ?? defaultName
    inv.resultName = name
    if ws.datasets[name] != nil {
      throw ShellError("a dataset named '\(name)' is loaded", hint: "load it under another name with 'as NAME'")
    }
    let dataset = try SalesDataset.assemble(table, stores: stores, items: items, gaps: gaps)
    let windows = try WindowedData(dataset: dataset, config: WindowConfig())
    let entry = DatasetEntry(name: name, dataset: dataset, windows: windows, selection: "stores \(stores) x items \(items)")
    ws.datasets[name] = entry
    ws.datasetOrder.append(name)
    ws.currentDataset = name
    let filled = dataset.series.reduce(0) { $0 + $1.filledDays }
    return """
      loaded \(name): \(dataset.series.count) series (\(entry.selection)), \(dataset.rowCount) rows, days \(CivilDate.format(dataset.firstDay)) to \(CivilDate.format(dataset.lastDay))\(filled > 0 ? ", \(filled) missing days filled with 0" : "")
      \(describe(windows))
      """
  }

  static let window = Command(
    "window", group: .data,
    usage: "window [lookback=14] [horizon=1] [split=0.8] [val=0.1] [scale=minmax]",
    summary: "cut the current dataset into input windows and targets, split in time order",
    details: """
      Each series is windowed on its own: inputs are the previous LOOKBACK days, the target is
      the day HORIZON days after the last input. The first SPLIT of each series' windows train
      (the last VAL of those validate, for early stopping); the rest are the test set. One scaler
      is fitted on the days the training windows touch, never on test days.
      """,
    options: windowOptions,
    example: "window lookback=28",
    recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...0, usage: "window [options]")
    var entry = try ws.dataset()
    let config = WindowConfig(
      lookback: try inv.int("lookback", in: 1...365), horizon: try inv.int("horizon", in: 1...365),
      split: try inv.double("split", min: 0, max: 1, openMin: true, openMax: true),
      validation: try inv.double("val", min: 0, max: 1, openMax: true),
      scale: ScalerKind(rawValue: try inv.choice("scale"))!)
    try inv.checkAllConsumed()
    entry.windows = try WindowedData(dataset: entry.dataset, config: config)
    ws.datasets[entry.name] = entry
    return describe(entry.windows)
  }

  /// `load model PATH [as NAME]`: a .tcm file becomes a one-replica model on the current dataset.
  static func loadModel(_ ws: inout Workspace, _ inv: inout Invocation, _ ctx: ShellContext, given: String) throws -> String {
    let path = ctx.resolveInput(given)
    inv.recordedWords = [RecordedValue(text: "model", isPath: false), RecordedValue(text: path, isPath: true)]
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ShellError("\(given): no such file", hint: "check the path; relative paths start at the session file's folder")
    }
    let (model, meta): (ForecastModel, ModelMetadata)
    do { (model, meta) = try ModelFile.decode([UInt8](data)) } catch { throw ShellError("\(given): \(error.message)") }
    let d = try ws.dataset()
    guard meta.lookback == d.windows.config.lookback else {
      throw ShellError("\(given) expects \(meta.lookback)-day windows; \(d.name) has \(d.windows.config.lookback)",
                       hint: "run 'window lookback=\(meta.lookback)' first")
    }
    guard let kind = ScalerKind(rawValue: meta.scalerKind) else { throw ShellError("\(given): unknown scaler '\(meta.scalerKind)'") }
    let name = inv.asName ?? sanitizedName(meta.name)
    inv.resultName = name
    try ws.requireFreeModelName(name)
    var window = d.windows.config
    window.horizon = meta.horizon
    let entry = ModelEntry(name: name, method: "loaded", datasetName: d.name, window: window,
                           scaler: Scaler(kind: kind, offset: meta.scalerOffset, factor: meta.scalerFactor),
                           replicas: [model], seeds: [0], logs: [TrainingLog()],
                           lineage: meta.lineage + ["load model \(path) as \(name)"],
                           pruned: model.nonzeroCount < model.parameterCount * 9 / 10)
    ws.add(entry)
    return "loaded \(name) from \(given): LSTM-\(model.units), \(model.kindDescription), \(model.parameterCount) parameters, \(data.count) bytes; evaluated on \(d.name)"
  }

  /// `load keras PATH.json [as NAME]`: Keras weights become a one-replica float model.
  static func loadKeras(_ ws: inout Workspace, _ inv: inout Invocation, _ ctx: ShellContext, given: String) throws -> String {
    let path = ctx.resolveInput(given)
    inv.recordedWords = [RecordedValue(text: "keras", isPath: false), RecordedValue(text: path, isPath: true)]
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ShellError("\(given): no such file", hint: "check the path; relative paths start at the session file's folder")
    }
    let imported: KerasWeights.Imported
    do { imported = try KerasWeights.decode(data) } catch { throw ShellError("\(given): \(error.message)") }
    let d = try ws.dataset()
    if let lookback = imported.lookback, lookback != d.windows.config.lookback {
      throw ShellError("\(given) was trained on \(lookback)-day windows; \(d.name) has \(d.windows.config.lookback)", hint: "run 'window lookback=\(lookback)' first")
    }
    var scaler = d.windows.scaler
    if let s = imported.scaler {
      guard let kind = ScalerKind(rawValue: s.kind) else { throw ShellError("\(given): unknown scaler '\(s.kind)'") }
      scaler = Scaler(kind: kind, offset: s.offset, factor: s.factor)
    }
    let name = inv.asName ?? sanitizedName(((given as NSString).lastPathComponent as NSString).deletingPathExtension)
    inv.resultName = name
    try ws.requireFreeModelName(name)
    ws.add(ModelEntry(name: name, method: "imported", datasetName: d.name, window: d.windows.config, scaler: scaler,
                      replicas: [.float(imported.network, storage: nil)], seeds: [0], logs: [TrainingLog()],
                      lineage: ["load keras \(path) as \(name)"]))
    return "imported \(name) from \(given): LSTM-\(imported.network.units), \(imported.network.parameterCount) parameters, \(imported.scaler == nil ? "\(d.name)'s scaler" : "its own scaler"); evaluated on \(d.name)"
  }

  static func describe(_ w: WindowedData) -> String {
    let s = w.scaler
    let scale = s.kind == .minmax
      ? "min-max scaler on training days: [\(formatNumber(Double(s.offset))), \(formatNumber(Double(s.unscale(1))))] -> [0, 1]"
      : "standard scaler on training days: mean \(formatNumber(Double(s.offset))), sd \(formatNumber(Double(1 / s.factor)))"
    return "windows: \(w.fit.count) train + \(w.validation.count) validation, \(w.test.count) test (lookback \(w.config.lookback), horizon \(w.config.horizon)); \(scale)"
  }

  static func sanitizedName(_ s: String) -> String {
    var out = String(s.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
    if out.isEmpty || !(out.first!.isLetter) { out = "data_" + out }
    return String(out.prefix(64))
  }
}
