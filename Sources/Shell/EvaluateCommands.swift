// Evaluate commands: eval, compare, predict, check.

import Foundation
import Workbench

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
    let e = try ws.evaluate(inv.word(0)?.text)
    let (m, r) = (e.model, e.metrics)
    let runs =
      r.runs.count > 1
      ? " +/- \(fixed(r.mapeStd, 3))   runs: \(r.runs.map { fixed($0.mape, 3) }.joined(separator: ", "))" : ""
    let beats = e.baselines.map { b in
      "\(b.name) \(fixed(b.metrics.mape, 2))%\(r.mape < b.metrics.mape ? "" : " (NOT beaten)")"
    }
    let unbeaten = e.baselines.filter { r.mape >= $0.metrics.mape }.map(\.name)
    // What to try when a rule without learning does better.
    let hint =
      unbeaten.isEmpty
      ? []
      : [
        "  \(m.name) does not beat \(listed(unbeaten)): train longer (epochs=), wider (units=) "
          + "or on a longer window ('window lookback=56'); 'compare' shows the classical rows to aim for"
      ]
    // A multi-day forecast: each day's MAPE, and its baselines' on the same days.
    let byStep =
      r.steps > 1
      ? [
        "  MAPE by day ahead: "
          + r.mapeByStep.enumerated().map { "day \($0.offset + 1) \(fixed($0.element, 2))" }.joined(separator: ", ")
      ]
        + e.baselines.map { b in
          "    \(b.name): " + b.metrics.byStep.map { fixed($0.mape, 2) }.joined(separator: ", ")
        } : []
    let targets = r.steps > 1 ? "\(r.count) test targets (\(r.steps) days per window)" : "\(r.count) test windows"
    let text =
      [
        "\(m.name): \(m.label), \(r.runs.count) run\(r.runs.count == 1 ? "" : "s"), \(targets) of "
          + "\(m.datasetName)\(m.datasetName == ws.currentDataset ? "" : " (not the current dataset)") "
          + "(\(r.zerosExcluded) with zero sales left out of MAPE)",
        "  MAPE   \(fixed(r.mape, 3))%" + runs,
        "  sMAPE  \(fixed(r.smape, 3))", "  MAE    \(fixed(r.mae, 4))", "  RMSE   \(fixed(r.rmse, 4))",
        "  WAPE   \(fixed(r.wape, 3))%", "  MASE   \(fixed(r.mase, 4))", "  RMSSE  \(fixed(r.rmsse, 4))",
        "  bias   \(signed(r.bias, 3))%",
        "  baselines' MAPE: " + beats.joined(separator: ", "),
      ].joined(separator: "\n") + byStep.map { "\n" + $0 }.joined() + hint.map { "\n" + $0 }.joined()
    return CommandOutput(text, recorded: [e.command], results: e.results)
  }

  static let compare = Command(
    "compare", group: .evaluate, usage: "compare [wide] [NAMES...] [baseline=NAME] [to=FILE.md|.csv|.json]",
    summary: "side-by-side table of size, MAPE, spread and compression, with the naive baselines",
    details: """
      Rows: the named models (default: all, in the order made), then the no-learning baselines.
      bytes is the size of the artifact 'export' writes (one replica); KB* is the article's
      count (parameters x 4 bytes / 1024). ratio and dMAPE compare with baseline=NAME (default:
      the first model). to=FILE also writes the table as Markdown, CSV or JSON by extension.
      A terminal narrower than the table gets model, method, bytes, the headline metric, its
      spread, ratio and delta; 'compare wide ...' prints every column anyway.
      """,
    options: [
      OptionSpec("baseline", "", "the reference row for ratio and dMAPE (default: the first model)"),
      OptionSpec("to", "", "also write the table to FILE.md, FILE.csv or FILE.json", isPath: true),
      OptionSpec.overwrite,
    ],
    example: "compare lstm64 lstm32 to=results.json", recording: .always
  ) { ws, inv, ctx in
    var spec = CompareSpec()
    spec.names = inv.words.map(\.text)
    // 'compare wide': every column even in a narrow terminal (unless a model is named wide).
    var wide = false
    if spec.names.first == "wide" && ws.models["wide"] == nil {
      wide = true
      spec.names.removeFirst()
    }
    spec.reference = inv.optionalString("baseline")
    spec.fileOption = inv.optionalString("to")
    spec.overwrite = try inv.flag("overwrite")
    try inv.checkAllConsumed()
    if spec.names.isEmpty && ws.models.isEmpty {
      throw CommandError("no models to compare", hint: "train one with 'train'")
    }
    if let to = spec.fileOption {
      let format = try TableFormat(path: to)
      spec.file = (try ctx.outputPath(to, overwrite: spec.overwrite), format)
    }
    let compared = try ws.compare(spec)
    var out = compared.table.renderText()
    // A terminal narrower than the table gets the narrow one (files and replays: every column).
    if !wide, let width = ctx.terminalWidth?(), out.split(separator: "\n").contains(where: { $0.count > width }) {
      out = wrapped(compared.table.renderNarrow(), width: width)
    }
    // The notebook shows the table as Markdown; the note under it stays text.
    let table = CellAttachment.table(
      markdown: compared.table.renderMarkdown(), text: out.split(separator: "\n").dropLast().joined(separator: "\n"))
    if let to = spec.fileOption { out += "\nwrote \(ctx.shown(to))" }
    return CommandOutput(out, recorded: [compared.command], results: compared.results, attachments: [table])
  }

  static let predict = Command(
    "predict", group: .evaluate, usage: "predict [NAME] to=FILE.csv [run=1]",
    summary: "write the test-set forecasts as store,item,date,actual,predicted (sales units)",
    details: "One row per test window; date is the forecast day. run=K picks the replica, as export does.",
    options: [
      OptionSpec("to", "", "output CSV file", isPath: true),
      OptionSpec("run", "1", "which replica (1-based)"),
      OptionSpec.overwrite,
    ],
    example: "predict lstm64 to=forecasts.csv", recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...1, usage: "predict [NAME] to=FILE.csv")
    var spec = PredictSpec()
    spec.model = inv.word(0)?.text
    spec.given = try inv.string("to")
    spec.run = try inv.int("run", in: 1...10_000)
    spec.overwrite = try inv.flag("overwrite")
    spec.path = try ctx.outputPath(spec.given, overwrite: spec.overwrite)
    try inv.checkAllConsumed()
    let p = try ws.predict(spec)
    return CommandOutput(
      "wrote \(ctx.shown(spec.given)): \(p.forecasts) forecasts from \(p.model.name) run \(spec.run)",
      recorded: [p.command])
  }

  static let checkMetrics = CheckedMetric.allCases.map(\.rawValue)

  static let check = Command(
    "check", group: .evaluate,
    usage: "check NAME METRIC<=VALUE   (METRIC: mape smape mae rmse wape mase rmsse bias mape_std bytes parameters)",
    summary: "assert a model's metric against a number or another row; a false check fails the script",
    details: """
      Operators: <=, <, >=, >, ==. The right side is a number, another model, or a baseline
      (naive-last, seasonal-naive, seasonal-mean), optionally plus or minus a margin in the
      metric's units: 'check lstm64 mape<seasonal-naive', 'check lstm64-int8 mape<=lstm64+0.15'.
      """,
    example: "check lstm64 mape<=15.5", recording: .always
  ) { ws, inv, _ in
    guard let nameToken = inv.word(0) else { throw CommandError("check what?", hint: "usage: check NAME mape<=15.5") }
    // The expression may have been split at '=' by the lexer: rebuild it from the tokens.
    let rest =
      Array(inv.words.dropFirst()).map { $0.text }
      + inv.options.sorted { $0.value.column < $1.value.column }.map { "\($0.key)=\($0.value.text)" }
    let expression = rest.joined()
    guard !expression.isEmpty else {
      throw CommandError("check \(nameToken.text) needs a condition", hint: "e.g. check \(nameToken.text) mape<=15.5")
    }
    let ops = ["<=", ">=", "==", "<", ">"]
    guard let op = ops.first(where: { expression.contains($0) }),
      let range = expression.range(of: op)
    else {
      throw CommandError("'\(expression)' is not a condition", hint: "write METRIC<=VALUE, e.g. mape<=15.5")
    }
    let metric = String(expression[..<range.lowerBound])
    let rhs = String(expression[range.upperBound...])
    guard checkMetrics.contains(metric) else {
      throw CommandError(
        "unknown metric '\(metric)'",
        hint: suggestion(for: metric, among: checkMetrics).map { "did you mean '\($0)'?" }
          ?? "metrics: \(checkMetrics.joined(separator: ", "))")
    }
    let command = RecordedCommand("check", words: [RecordedValue(nameToken.text), RecordedValue(metric + op + rhs)])
    let checked = CheckedMetric(rawValue: metric)!
    let left = try ws.value(of: checked, for: nameToken.text)
    let right: Double
    if let v = Double(rhs) {
      right = v
    } else {
      let (row, margin) = splitMargin(rhs, ws)
      right = try ws.value(of: checked, for: row) + margin
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
      throw CommandError(
        "check failed: \(shown), which is not \(op) \(Double(rhs) != nil ? rhs : "\(rhs) (\(formatNumber(right)))")")
    }
    return CommandOutput(
      "ok: \(shown) \(op) \(Double(rhs) != nil ? rhs : "\(rhs) (\(formatNumber(right)))")", recorded: [command])
  }

  /// "lstm64+0.15" -> ("lstm64", 0.15); names may contain '-', so a split is taken only where
  /// the left part names a model or baseline and the right part is a number.
  static func splitMargin(_ rhs: String, _ ws: Workspace) -> (String, Double) {
    let isRow = { (s: String) in ws.isCheckRow(s) }
    if isRow(rhs) { return (rhs, 0) }
    for i in rhs.indices.reversed() where (rhs[i] == "+" || rhs[i] == "-") && i > rhs.startIndex {
      let name = String(rhs[..<i])
      let number = String(rhs[i...])
      if isRow(name), let v = Double(number) { return (name, v) }
    }
    return (rhs, 0)
  }
}

/// "a", "a and b", "a, b and c".
func listed(_ names: [String]) -> String {
  names.count <= 2 ? names.joined(separator: " and ") : names.dropLast().joined(separator: ", ") + " and " + names.last!
}
