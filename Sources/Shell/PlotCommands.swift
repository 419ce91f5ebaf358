// plot: pictures where people would rather look than read. Each kind builds one Chart, which
// draws itself in the terminal (braille, 80 columns) and, with to=FILE.svg or in a notebook,
// as SVG.

import Foundation
import Workbench

enum PlotCommands {
  static let all: [Command] = [plot]

  static let kinds = ["forecast", "tradeoff", "training"]

  static let plot = Command(
    "plot", group: .evaluate, usage: "plot forecast|tradeoff|training [NAME...] [to=FILE.svg]",
    summary: "draw forecasts against actual sales, the size/accuracy trade-off, or loss curves",
    details: """
      plot forecast [NAME] [store=S item=I] [days=N|all]
        actual and predicted daily sales of one series over the test period (default: the
        first series, the first 56 days).
      plot tradeoff [NAMES...]
        exported bytes (log scale) against test MAPE for every model (default: all), the Pareto
        front joined, the seasonal-naive MAPE as a line: what each byte bought.
      plot training [NAME] [run=K]
        training and validation loss per epoch of replica K, the best epoch marked.
      In the terminal the plot fits width=COLUMNS (default 80); to=FILE.svg also writes SVG.
      """,
    options: [
      OptionSpec("store", "", "forecast: the series' store (default: the first series)"),
      OptionSpec("item", "", "forecast: the series' item"),
      OptionSpec("days", "56", "forecast: days of the test period to draw, or all"),
      OptionSpec("run", "1", "forecast, training: which replica (1-based)"),
      OptionSpec("width", "80", "columns the plot may use (default: the terminal's width, else 80)"),
      OptionSpec("to", "", "also write the plot as SVG", isPath: true),
      OptionSpec.overwrite,
    ],
    example: "plot tradeoff to=tradeoff.svg", recording: .always
  ) { ws, inv, ctx in
    guard let kindToken = inv.word(0) else {
      throw CommandError("plot what?", hint: "plot forecast, plot tradeoff or plot training")
    }
    guard let kind = kinds.first(where: { $0.hasPrefix(kindToken.text) && !kindToken.text.isEmpty }) else {
      throw CommandError(
        "cannot plot '\(kindToken.text)'",
        hint: (suggestion(for: kindToken.text, among: kinds).map { "did you mean 'plot \($0)'? " } ?? "")
          + "plot forecast, plot tradeoff or plot training",
        column: kindToken.column)
    }
    // Without width=, a terminal's own width (else 80).
    let width =
      inv.options["width"] == nil
      ? min(max(ctx.terminalWidth?() ?? 80, 40), 400) : try inv.int("width", in: 40...400)
    let to = inv.optionalString("to")
    let overwrite = try inv.flag("overwrite")
    var target: String?
    if let to {
      guard to.lowercased().hasSuffix(".svg") else {
        throw CommandError("to=\(to): plots are written as SVG; name the file .svg")
      }
      target = try ctx.outputPath(to, overwrite: overwrite)
    }
    let chart: Chart
    var words: [RecordedValue]
    switch kind {
    case "forecast":
      try inv.requireWordCount(1...2, usage: "plot forecast [NAME] [store=S item=I] [days=N|all]")
      let run = try inv.int("run", in: 1...10_000)
      let store = inv.optionalString("store")
      let item = inv.optionalString("item")
      if store != nil || item != nil, store.flatMap(Int.init) == nil || item.flatMap(Int.init) == nil {
        throw CommandError(
          "plot forecast needs both store=S and item=I as numbers", hint: "e.g. plot forecast store=1 item=3")
      }
      let daysText = try inv.string("days")
      var days: Int?
      if daysText != "all" {
        guard let d = Int(daysText), d >= 7, d <= 100_000 else {
          throw CommandError("days=\(daysText): give a number of days from 7, or all")
        }
        days = d
      }
      chart = try ws.forecastChart(
        inv.word(1)?.text, run: run, store: store.flatMap(Int.init), item: item.flatMap(Int.init), days: days)
      words = [RecordedValue(try ws.model(inv.word(1)?.text).name)]
    case "training":
      try inv.requireWordCount(1...2, usage: "plot training [NAME] [run=K]")
      chart = try ws.trainingChart(inv.word(1)?.text, run: try inv.int("run", in: 1...10_000))
      words = [RecordedValue(try ws.model(inv.word(1)?.text).name)]
    default:
      let drawn = try ws.tradeoffChart(inv.words.dropFirst().map(\.text))
      chart = drawn.chart
      words = drawn.names.map { RecordedValue($0) }
    }
    try inv.checkAllConsumed()
    var out = chart.renderTerminal(width: width, height: 16, color: ctx.color)
    if let to, let target {
      try AtomicFile.write(Array(chart.renderSVG().utf8), to: target)
      out += "\nwrote \(ctx.shown(to))"
    }
    return CommandOutput(
      out, recorded: [inv.canonical(words: [RecordedValue(kind)] + words)],
      attachments: [.chart(chart, slug: kind)])
  }
}
