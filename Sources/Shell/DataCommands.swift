// Data commands: load (demo data, a CSV file, a saved model) and window.

import Foundation
import Workbench

enum DataCommands {
  static let all: [Command] = [load, window]

  static let windowOptions: [OptionSpec] = [
    OptionSpec("lookback", "14", "days of history in each input window"),
    OptionSpec("horizon", "1", "days ahead of the last input day to forecast (1 = next day)"),
    OptionSpec("split", "0.8", "fraction of each series' windows used for training (in time order)"),
    OptionSpec("val", "0.1", "fraction of the training windows, at their end, held out for validation"),
    OptionSpec(
      "scale", "minmax", "scaler fitted on the training days only", values: ScalerKind.allCases.map(\.rawValue)),
    OptionSpec("steps", "1", "consecutive days each window forecasts, from HORIZON on (a multi-day forecast)"),
  ]

  static let load = Command(
    "load", group: .data,
    usage:
      "load demo | load csv PATH | load PATH.csv  [stores=1-5] [items=1-10] [gaps=error|zero] "
      + "[duplicates=error|sum] [negatives=error|zero] [date=COLUMN] [dateorder=auto|ymd|mdy|dmy] "
      + "[store=COLUMN|none] [item=COLUMN|none] [sales=COLUMN] [covariates=COLUMN,...] [as NAME] | load model "
      + "PATH [as NAME] | load keras PATH.json [as NAME]",
    summary: "load the built-in demo data or a date,store,item,sales CSV file",
    details: """
      The data are one daily series per (store, item). Every series must be complete: a missing
      day (or a row whose sales are NA or empty) is an error naming it, unless gaps=zero fills
      it with zero sales; two rows for a day are an error unless duplicates=sum adds them (a
      file of transactions); a negative sale (a return) is an error unless negatives=zero counts
      it as no sale; a series too short for the windows (a new product) is an error unless
      short=skip leaves it out.
      A file whose columns are named otherwise is read as it is when each part has a usual
      name (day or ds, store_id or shop, sku or item_id, units or quantity or y, ...: the load
      line says what it found, and the record names them), or says which is which: date=day
      store=shop item=sku sales=units (store=none or item=none: the file has no such column,
      all one store or item; a file with neither is one series). Stores and items may be named
      rather than numbered (CA_1, FOODS_3_090): they are numbered in the order of their names,
      shown when loading, stores= and items= select by those numbers, and predict writes names.
      covariates=promo,price reads further columns for models to use (train ... covariates=):
      numbers, true/false or yes/no; an empty field, or a day gaps=zero fills, takes the
      series' previous value (before the first known value, that value).
      Dates are ISO (2015-01-31, a time after them is not read), or as spreadsheets write them:
      1/31/2015 (month first) or 31.01.2015 (day first), told apart by the file's own dates (a
      number past 12 is the day); dateorder=mdy or dmy says so when no date tells.
      Loading also windows the data with the defaults of 'window' (shown, and recorded).
      'load demo' is a deterministic stand-in with the Kaggle file's shape (see README).
      'load model PATH' reads a model written by 'export ... format=tcm' and evaluates it on the
      current dataset (its window length must match; the model keeps its own scaler), or a
      whole model written by 'export ... format=bundle' (every replica, seed and training log)
      on the dataset of the name it was trained on.
      'load keras PATH.json' imports weights trained in Keras (the five arrays of get_weights(),
      as 'export ... format=keras' writes them), with the file's scaler or else the dataset's.
      """,
    options: [
      OptionSpec("stores", "1-5", "stores to keep: ids and ranges like 1-5 or 1,3,7-9, or all"),
      OptionSpec("items", "1-10", "items to keep, written like stores"),
      OptionSpec("gaps", "error", "what to do with a missing day", values: GapPolicy.allCases.map(\.rawValue)),
      OptionSpec(
        "duplicates", "error", "csv: two rows for one day (sum: a file of transactions)",
        values: DuplicatePolicy.allCases.map(\.rawValue)),
      OptionSpec(
        "negatives", "error", "csv: a negative sale, a return (zero: no sale)",
        values: NegativePolicy.allCases.map(\.rawValue)
      ),
      OptionSpec(
        "short", "error", "a series too short for the windows (skip: left out, named)",
        values: ShortPolicy.allCases.map(\.rawValue)),
      OptionSpec("date", "date", "csv: the column of dates (YYYY-MM-DD, M/D/YYYY or D/M/YYYY)"),
      OptionSpec(
        "dateorder", "auto", "csv: dates month first (mdy) or day first (dmy)",
        values: DateOrder.allCases.map(\.rawValue)),
      OptionSpec("store", "store", "csv: the column of store ids, or none (one store)"),
      OptionSpec("item", "item", "csv: the column of item ids, or none (one item)"),
      OptionSpec("sales", "sales", "csv: the column of sales"),
      OptionSpec("covariates", "", "csv: further columns to read for networks (a promotion flag, a price)"),
    ],
    example: "load csv ../shared/data/store-item-demand/train.csv stores=1-5 items=1-10",
    recording: .always
  ) { ws, inv, ctx in
    let usage = "load demo | load csv PATH [options] [as NAME]"
    guard let kind = inv.word(0) else { throw CommandError("load what?", hint: "usage: \(usage)") }
    var spec = LoadSpec()
    switch kind.text {
    case "demo":
      try inv.requireWordCount(1...1, usage: usage)
      spec.source = .demo
    case "model", "keras":
      try inv.requireWordCount(2...2, usage: usage)
      try inv.checkAllConsumed()
      let given = inv.words[1].text
      let path = ctx.resolveInput(given)
      let loaded =
        kind.text == "model"
        ? try ws.loadModel(path: path, given: given, name: inv.asName)
        : try ws.loadKeras(path: path, given: given, name: inv.asName)
      let m = loaded.model
      if kind.text == "model" {
        return CommandOutput(
          "loaded \(m.name) from \(given): \(m.label), \(m.kindDescription), \(m.parameterCount) "
            + "parameters, \(loaded.fileBytes) bytes; evaluated on \(loaded.dataset)", recorded: loaded.commands)
      }
      return CommandOutput(
        "imported \(m.name) from \(given): \(m.replicas[0].label), \(m.parameterCount) parameters, "
          + (loaded.ownScaler ? "its own scaler" : "\(loaded.dataset)'s scaler")
          + "; evaluated on \(loaded.dataset)", recorded: loaded.commands)
    case "csv":
      try inv.requireWordCount(2...2, usage: usage)
      spec.source = .csv(path: ctx.resolveInput(inv.words[1].text), given: inv.words[1].text)
    default:
      // `load PATH.csv` is short for `load csv PATH.csv` (so a session can say `load $data`
      // and be replayed with --set data=demo).
      guard kind.text.lowercased().hasSuffix(".csv") else {
        throw CommandError("cannot load '\(kind.text)'", hint: "usage: \(usage)", column: kind.column)
      }
      try inv.requireWordCount(1...1, usage: usage)
      spec.source = .csv(path: ctx.resolveInput(kind.text), given: kind.text)
    }
    spec.stores = try inv.selection("stores")
    spec.items = try inv.selection("items")
    spec.gaps = GapPolicy(rawValue: try inv.choice("gaps"))!
    spec.duplicates = DuplicatePolicy(rawValue: try inv.choice("duplicates"))!
    spec.negatives = NegativePolicy(rawValue: try inv.choice("negatives"))!
    spec.short = ShortPolicy(rawValue: try inv.choice("short"))!
    spec.dateOrder = DateOrder(rawValue: try inv.choice("dateorder"))!
    spec.columns = try columns(&inv)
    spec.name = inv.asName
    try inv.checkAllConsumed()
    let loaded = try ws.load(spec)
    let d = loaded.dataset
    let filled = d.dataset.series.reduce(0) { $0 + $1.filledDays }
    let filledCovariates = d.dataset.series.reduce(0) { $0 + $1.filledCovariates }
    let summed = d.dataset.series.reduce(0) { $0 + $1.summedRows }
    var adjusted = filled > 0 ? ", \(filled) missing days filled with 0" : ""
    if loaded.missingSales > 0 {
      adjusted += ", \(loaded.missingSales) rows without a sales figure read as missing days"
    }
    if summed > 0 { adjusted += ", \(summed) rows added to their day's" }
    if loaded.zeroedNegatives > 0 { adjusted += ", \(loaded.zeroedNegatives) negative sales read as 0" }
    if loaded.dateOrder == .mdy || loaded.dateOrder == .dmy {
      adjusted += "; dates \(loaded.dateOrder == .mdy ? "month" : "day") first (\(loaded.dateOrder.pattern))"
    }
    if !loaded.leftOut.isEmpty {
      let named = loaded.leftOut.prefix(5).map { "\($0.label) (\($0.days) days)" }.joined(separator: ", ")
      adjusted +=
        "; \(loaded.leftOut.count) series too short for the windows left out: \(named)"
        + (loaded.leftOut.count > 5 ? ", ..." : "")
    }
    // Named stores and items: which number stands for which name (stores= and items= select by it).
    var named: [String] = []
    for (kind, names) in [("stores", d.dataset.storeNames), ("items", d.dataset.itemNames)] where !names.isEmpty {
      let shown = names.prefix(12).map { "\($0.id)=\($0.name)" }.joined(separator: ", ")
      named.append("\(kind) \(shown)\(names.count > 12 ? ", ..." : "")")
    }
    let namedText = named.isEmpty ? "" : "; named " + named.joined(separator: "; ")
    let names = d.dataset.covariateNames
    let covariates =
      names.isEmpty
      ? ""
      : "; covariate\(names.count == 1 ? "" : "s") \(names.joined(separator: ", "))"
        + (filledCovariates > 0 ? " (\(filledCovariates) missing values filled)" : "")
    let text = """
      loaded \(d.name): \(d.dataset.series.count) series (\(d.selection)), \(d.dataset.rowCount) rows, \
      days \(CivilDate.format(d.dataset.firstDay)) to \(CivilDate.format(d.dataset.lastDay))\
      \(adjusted)\(covariates)\(columnNotes(loaded))\(namedText)
      \(describe(d.windows))
      \(describe(loaded.profile))
      """
    return CommandOutput(text, recorded: loaded.commands)
  }

  /// "; columns: units as sales, no store column: one store" when the file's columns were found
  /// under other names.
  static func columnNotes(_ loaded: Loaded) -> String {
    loaded.columnNotes.isEmpty ? "" : "; columns: " + loaded.columnNotes.joined(separator: ", ")
  }

  /// `date= store= item= sales= covariates=`: which CSV column plays which part.
  static func columns(_ inv: inout Invocation) throws(CommandError) -> CSVColumns {
    var columns = CSVColumns.standard
    func name(_ key: String) throws(CommandError) -> String? {
      guard let text = inv.optionalString(key) else { return nil }
      let trimmed = text.trimmingCharacters(in: .whitespaces)
      guard !trimmed.isEmpty, !trimmed.contains(",") else {
        throw CommandError("\(key)= names one column of the file's header", column: inv.options[key]?.column)
      }
      return trimmed
    }
    if let date = try name("date") { columns.date = date }
    if let sales = try name("sales") { columns.sales = sales }
    if let store = try name("store") { columns.store = store.lowercased() == "none" ? nil : store }
    if let item = try name("item") { columns.item = item.lowercased() == "none" ? nil : item }
    columns.covariates = try inv.names("covariates")
    return columns
  }

  static let window = Command(
    "window", group: .data,
    usage: "window [lookback=14] [horizon=1] [split=0.8] [val=0.1] [scale=minmax] [steps=1]",
    summary: "cut the current dataset into input windows and targets, split in time order",
    details: """
      Each series is windowed on its own: inputs are the previous LOOKBACK days, the target is
      the day HORIZON days after the last input. The first SPLIT of each series' windows train
      (the last VAL of those validate, for early stopping); the rest are the test set. One scaler
      is fitted on the days the training windows touch, never on test days.

      steps=S forecasts S consecutive days at once (a replenishment order placed a week ahead:
      steps=7). A training window's last target falls before the test period, a test window's
      first target in it; eval and compare then report each day's error beside the average.
      Networks get an S-wide Dense head; ETS, Theta and Croston forecast each day from the same
      state; the naive rules use what was known at the window's end.
      """,
    options: windowOptions,
    example: "window lookback=28",
    recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(0...0, usage: "window [options]")
    let config = WindowConfig(
      lookback: try inv.int("lookback", in: 1...365), horizon: try inv.int("horizon", in: 1...365),
      split: try inv.double("split", min: 0, max: 1, openMin: true, openMax: true),
      validation: try inv.double("val", min: 0, max: 1, openMax: true),
      scale: ScalerKind(rawValue: try inv.choice("scale"))!, steps: try inv.int("steps", in: 1...366))
    try inv.checkAllConsumed()
    let windowed = try ws.window(config)
    return CommandOutput(describe(windowed.windows), recorded: [windowed.command])
  }

  static func describe(_ p: DemandProfile) -> String {
    var line =
      "demand: \(p.pattern.rawValue) (\(fixed(100 * p.zeroShare, 1))% zero days, average demand interval "
      + "\(fixed(p.adi, 2)) days, CV² \(fixed(p.cv2, 2)))"
    if p.mapeMisleads {
      line +=
        "\nnote: \(fixed(100 * p.testZeroShare, 1))% of the test targets are zero sales, which MAPE leaves out; "
        + "judge by WAPE or MASE (eval and compare print both)"
    }
    return line
  }

  static func describe(_ w: WindowedData) -> String {
    let s = w.scaler
    let scale =
      s.kind == .minmax
      ? "min-max scaler on training days: [\(formatNumber(Double(s.offset))), "
        + "\(formatNumber(Double(s.unscale(1))))] -> [0, 1]"
      : "standard scaler on training days: mean \(formatNumber(Double(s.offset))), "
        + "sd \(formatNumber(Double(1 / s.factor)))"
    let days = w.steps > 1 ? ", \(w.steps) days each: \(w.test.count * w.steps) test targets" : ""
    return "windows: \(w.fit.count) train + \(w.validation.count) validation, \(w.test.count) test "
      + "(lookback \(w.config.lookback), horizon \(w.config.horizon)\(days)); \(scale)"
  }
}
