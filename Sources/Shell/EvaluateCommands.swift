// Evaluate commands: eval, compare, predict, check.

import Foundation
import NumericCore
import SalesData
import Modeling
import Evaluation
import Compression

extension Workspace {
  /// Test-set metrics of every replica (cached in the entry after the first call).
  mutating func evaluate(_ name: String) throws(ShellError) -> ReplicaMetrics {
    var m = try model(name)
    if let cached = m.metrics { return cached }
    let data = try windows(for: m)
    let actual = data.testActuals
    let runs = m.replicas.map { r in
      ForecastMetrics(actual: actual, predicted: predictions(r, scaler: m.scaler, data: data))
    }
    m.metrics = ReplicaMetrics(runs: runs)
    models[name] = m
    return m.metrics!
  }

  /// A replica's test-set forecasts in sales units.
  func predictions(_ r: ForecastModel, scaler: Scaler, data: WindowedData) -> [Float] {
    r.predictScaled(data.test, data: data, threads: threads).map { scaler.unscale($0) }
  }

  /// The canonical commands that made a dataset (its load and window lines).
  func lineage(ofDataset name: String) -> [String] {
    var lines: [String] = []
    var current: String?
    for c in recorded {
      switch c.verb {
      case "load": current = c.asName; if c.asName == name { lines = [c.render()] }
      case "use" where datasets[c.words.first?.text ?? ""] != nil: current = c.words.first?.text
      case "window" where current == name: lines.append(c.render())
      default: break
      }
    }
    return lines
  }
}

enum EvaluateCommands {
  static let all: [Command] = [eval, compare, predict, check]

  static let eval = Command(
    "eval", group: .evaluate, usage: "eval [NAME]",
    summary: "test-set MAPE (mean +/- std over runs), sMAPE, MAE, RMSE, WAPE, against the naive baselines",
    details: "Forecasts are scaled back to sales units. MAPE skips days with zero sales and says how many.",
    example: "eval lstm64", recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...1, usage: "eval [NAME]")
    try inv.checkAllConsumed()
    let m = try ws.model(inv.word(0)?.text)
    inv.recordedWords = [RecordedValue(text: m.name, isPath: false)]
    let r = try ws.evaluate(m.name)
    let data = try ws.windows(for: m)
    var lines = ["\(m.name): LSTM-\(m.units), \(r.runs.count) run\(r.runs.count == 1 ? "" : "s"), \(r.count) test windows (\(r.zerosExcluded) with zero sales left out of MAPE)",
                 "  MAPE   \(fixed(r.mape, 3))" + (r.runs.count > 1 ? " +/- \(fixed(r.mapeStd, 3))   runs: \(r.runs.map { fixed($0.mape, 3) }.joined(separator: ", "))" : ""),
                 "  sMAPE  \(fixed(r.smape, 3))", "  MAE    \(fixed(r.mae, 4))", "  RMSE   \(fixed(r.rmse, 4))", "  WAPE   \(fixed(r.wape, 3))"]
    var beats: [String] = []
    for b in Baseline.allCases {
      guard let bm = b.metrics(data) else { continue }
      beats.append("\(b.rawValue) \(fixed(bm.mape, 2))\(r.mape < bm.mape ? "" : " (NOT beaten)")")
    }
    lines.append("  baselines' MAPE: " + beats.joined(separator: ", "))
    ctx.results.append("\(m.name) mape=\(resultNumber(r.mape)) mape_std=\(resultNumber(r.mapeStd)) smape=\(resultNumber(r.smape)) mae=\(resultNumber(r.mae)) rmse=\(resultNumber(r.rmse))")
    return lines.joined(separator: "\n")
  }

  static let compare = Command(
    "compare", group: .evaluate, usage: "compare [NAMES...] [baseline=NAME] [to=FILE.md|.csv|.json]",
    summary: "side-by-side table of size, MAPE, spread and compression, with the naive baselines",
    details: """
      Rows: the named models (default: all, in the order made), then the no-learning baselines.
      bytes is the size of the artifact 'export' writes (one replica); KB* is the article's
      count (parameters x 4 bytes / 1024). ratio and dMAPE compare with baseline=NAME (default:
      the first model). to=FILE also writes the table as Markdown, CSV or JSON by extension.
      """,
    options: [
      OptionSpec("baseline", "", "the reference row for ratio and dMAPE (default: the first model)"),
      OptionSpec("to", "", "also write the table to FILE.md, FILE.csv or FILE.json", isPath: true),
      OptionSpec("overwrite", "off", "replace the file if it exists (a replayed session never does otherwise)", values: ["off", "on"]),
    ],
    example: "compare lstm64 lstm32 to=results.json", recording: .always
  ) { ws, inv, ctx in
    let names = inv.words.isEmpty ? ws.modelOrder : inv.words.map(\.text)
    guard !names.isEmpty else { throw ShellError("no models to compare", hint: "train one with 'train'") }
    inv.recordedWords = names.map { RecordedValue(text: $0, isPath: false) }
    let reference = inv.optionalString("baseline") ?? names[0]
    let to = inv.optionalString("to")
    let overwrite = try inv.choice("overwrite") == "on"
    try inv.checkAllConsumed()
    var target: String?
    if let to { _ = try outputFormat(to); target = try ctx.outputPath(to, overwrite: overwrite) }
    var rows: [ComparisonRow] = []
    for name in names {
      let m = try ws.model(name)
      let metrics = try ws.evaluate(name)
      var row = ComparisonRow(name: name, method: m.method, units: m.units, parameters: m.parameterCount,
                              nonzero: m.nonzeroCount, bytes: m.artifact().count,
                              articleKB: Double(m.parameterCount) * 4 / 1024, metrics: metrics)
      let c = CExport.export(m.replicas[0], name: m.name, metadata: m.metadata())
      row.flashBytes = c.weightBytes; row.ramBytes = c.ramBytes; row.macs = c.macs
      row.energyNanojoules = CExport.energyNanojoules(m.replicas[0], artifact: c, lookback: m.window.lookback)
      rows.append(row)
    }
    let first = try ws.model(names[0])
    let data = try ws.windows(for: first)
    for b in Baseline.allCases {
      guard let bm = b.metrics(data) else { continue }
      rows.append(ComparisonRow(name: b.rawValue, method: "baseline", metrics: ReplicaMetrics(runs: [bm])))
    }
    guard rows.contains(where: { $0.name == reference }) else {
      throw ShellError("baseline=\(reference) is not a row of this table", hint: "rows: \(rows.map(\.name).joined(separator: ", "))")
    }
    let table = Comparison(rows: rows, reference: reference)
    ctx.results += table.rows.filter { $0.method != "baseline" }.map { "\($0.name) mape=\(resultNumber($0.metrics.mape))" }
    var out = table.renderText()
    // The notebook shows the table as Markdown; the note under it stays text.
    ctx.attachments.append(.table(markdown: table.renderMarkdown(), text: out.split(separator: "\n").dropLast().joined(separator: "\n")))
    if let to {
      let text: String
      switch try outputFormat(to) {
      case "md": text = table.renderMarkdown()
      case "csv": text = table.renderCSV()
      default: text = table.renderJSON()
      }
      try AtomicFile.write(Array(text.utf8), to: target!)
      out += "\nwrote \(to)"
    }
    return out
  }

  static func outputFormat(_ path: String) throws(ShellError) -> String {
    let ext = (path as NSString).pathExtension.lowercased()
    guard ["md", "csv", "json"].contains(ext) else {
      throw ShellError("to=\(path): unknown format '.\(ext)'", hint: "use a .md, .csv or .json file name")
    }
    return ext
  }

  static let predict = Command(
    "predict", group: .evaluate, usage: "predict [NAME] to=FILE.csv [run=1]",
    summary: "write the test-set forecasts as store,item,date,actual,predicted (sales units)",
    details: "One row per test window; date is the forecast day. run=K picks the replica, as export does.",
    options: [
      OptionSpec("to", "", "output CSV file", isPath: true),
      OptionSpec("run", "1", "which replica (1-based)"),
      OptionSpec("overwrite", "off", "replace the file if it exists (a replayed session never does otherwise)", values: ["off", "on"]),
    ],
    example: "predict lstm64 to=forecasts.csv", recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...1, usage: "predict [NAME] to=FILE.csv")
    let m = try ws.model(inv.word(0)?.text)
    inv.recordedWords = [RecordedValue(text: m.name, isPath: false)]
    let to = try inv.string("to")
    let run = try inv.int("run", in: 1...m.replicas.count)
    let target = try ctx.outputPath(to, overwrite: try inv.choice("overwrite") == "on")
    try inv.checkAllConsumed()
    let data = try ws.windows(for: m)
    let predicted = ws.predictions(m.replicas[run - 1], scaler: m.scaler, data: data)
    var text = "store,item,date,actual,predicted\n"
    text.reserveCapacity(data.test.count * 40)
    for (k, w) in data.test.enumerated() {
      let info = data.seriesInfo[Int(w.series)]
      text += "\(info.store),\(info.item),\(CivilDate.format(data.targetDay(w))),\(formatNumber(Double(data.actual(w)))),\(predicted[k].description)\n"
    }
    try AtomicFile.write(Array(text.utf8), to: target)
    return "wrote \(to): \(data.test.count) forecasts from \(m.name) run \(run)"
  }

  static let checkMetrics = ["mape", "mape_std", "smape", "mae", "rmse", "wape", "bytes", "parameters"]

  static let check = Command(
    "check", group: .evaluate, usage: "check NAME METRIC<=VALUE   (METRIC: mape smape mae rmse wape mape_std bytes parameters)",
    summary: "assert a model's metric against a number or another row; a false check fails the script",
    details: """
      Operators: <=, <, >=, >, ==. The right side is a number, another model, or a baseline
      (naive-last, seasonal-naive, seasonal-mean), optionally plus or minus a margin in the
      metric's units: 'check lstm64 mape<seasonal-naive', 'check lstm64-int8 mape<=lstm64+0.15'.
      """,
    example: "check lstm64 mape<=15.5", recording: .always
  ) { ws, inv, _ in
    guard let nameToken = inv.word(0) else { throw ShellError("check what?", hint: "usage: check NAME mape<=15.5") }
    // The expression may have been split at '=' by the lexer: rebuild it from the tokens.
    let rest = Array(inv.words.dropFirst()).map { $0.text } + inv.options.sorted { $0.value.column < $1.value.column }.map { "\($0.key)=\($0.value.text)" }
    let expression = rest.joined()
    guard !expression.isEmpty else { throw ShellError("check \(nameToken.text) needs a condition", hint: "e.g. check \(nameToken.text) mape<=15.5") }
    let ops = ["<=", ">=", "==", "<", ">"]
    guard let op = ops.first(where: { expression.contains($0) }),
          let range = expression.range(of: op) else {
      throw ShellError("'\(expression)' is not a condition", hint: "write METRIC<=VALUE, e.g. mape<=15.5")
    }
    let metric = String(expression[..<range.lowerBound]), rhs = String(expression[range.upperBound...])
    guard checkMetrics.contains(metric) else {
      throw ShellError("unknown metric '\(metric)'", hint: suggestion(for: metric, among: checkMetrics).map { "did you mean '\($0)'?" } ?? "metrics: \(checkMetrics.joined(separator: ", "))")
    }
    inv.recordedWords = [RecordedValue(text: nameToken.text, isPath: false), RecordedValue(text: metric + op + rhs, isPath: false)]
    inv.options = [:]
    let left = try value(of: metric, for: nameToken.text, in: &ws)
    let right: Double
    if let v = Double(rhs) { right = v } else {
      let (row, margin) = splitMargin(rhs, ws)
      right = try value(of: metric, for: row, in: &ws) + margin
    }
    let holds: Bool
    switch op {
    case "<=": holds = left <= right
    case ">=": holds = left >= right
    case "<": holds = left < right
    case ">": holds = left > right
    default: holds = left == right
    }
    let shown = "\(nameToken.text) \(metric) = \(formatNumber(left))"
    guard holds else {
      throw ShellError("check failed: \(shown), which is not \(op) \(Double(rhs) != nil ? rhs : "\(rhs) (\(formatNumber(right)))")")
    }
    return "ok: \(shown) \(op) \(Double(rhs) != nil ? rhs : "\(rhs) (\(formatNumber(right)))")"
  }

  /// "lstm64+0.15" -> ("lstm64", 0.15); names may contain '-', so a split is taken only where
  /// the left part names a model or baseline and the right part is a number.
  static func splitMargin(_ rhs: String, _ ws: Workspace) -> (String, Double) {
    let isRow = { (s: String) in ws.models[s] != nil || Baseline(rawValue: s) != nil }
    if isRow(rhs) { return (rhs, 0) }
    for i in rhs.indices.reversed() where (rhs[i] == "+" || rhs[i] == "-") && i > rhs.startIndex {
      let name = String(rhs[..<i]), number = String(rhs[i...])
      if isRow(name), let v = Double(number) { return (name, v) }
    }
    return (rhs, 0)
  }

  /// A metric of a model, or of a baseline row (on the current model's data).
  static func value(of metric: String, for name: String, in ws: inout Workspace) throws(ShellError) -> Double {
    let r: ReplicaMetrics
    if let b = Baseline(rawValue: name) {
      let data = try ws.windows(for: try ws.model())
      guard let bm = b.metrics(data) else { throw ShellError("\(name) needs longer series") }
      guard !["mape_std", "bytes", "parameters"].contains(metric) else { throw ShellError("baseline \(name) has no \(metric)") }
      r = ReplicaMetrics(runs: [bm])
    } else {
      let m = try ws.model(name)
      switch metric {
      case "bytes": return Double(m.artifact().count)
      case "parameters": return Double(m.parameterCount)
      default: r = try ws.evaluate(name)
      }
    }
    switch metric {
    case "mape": return r.mape
    case "mape_std": return r.mapeStd
    case "smape": return r.smape
    case "mae": return r.mae
    case "rmse": return r.rmse
    default: return r.wape
    }
  }

}
