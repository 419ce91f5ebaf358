// plot: pictures where people would rather look than read. Each kind builds one Chart, which
// draws itself in the terminal (braille, 80 columns) and, with to=FILE.svg or in a notebook,
// as SVG.

import Foundation
import SalesData
import Modeling
import Evaluation

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
      OptionSpec("width", "80", "terminal columns the plot may use"),
      OptionSpec("to", "", "also write the plot as SVG", isPath: true),
      OptionSpec("overwrite", "off", "replace the file if it exists (a replayed session never does otherwise)", values: ["off", "on"]),
    ],
    example: "plot tradeoff to=tradeoff.svg", recording: .always
  ) { ws, inv, ctx in
    guard let kindToken = inv.word(0) else { throw ShellError("plot what?", hint: "plot forecast, plot tradeoff or plot training") }
    guard let kind = kinds.first(where: { $0.hasPrefix(kindToken.text) && !kindToken.text.isEmpty }) else {
      throw ShellError("cannot plot '\(kindToken.text)'", hint: "plot forecast, plot tradeoff or plot training", column: kindToken.column)
    }
    let width = try inv.int("width", in: 40...400)
    let to = inv.optionalString("to")
    let overwrite = try inv.choice("overwrite") == "on"
    var target: String?
    if let to {
      guard to.lowercased().hasSuffix(".svg") else { throw ShellError("to=\(to): plots are written as SVG; name the file .svg") }
      target = try ctx.outputPath(to, overwrite: overwrite)
    }
    let chart: Chart
    switch kind {
    case "forecast":
      try inv.requireWordCount(1...2, usage: "plot forecast [NAME] [store=S item=I] [days=N|all]")
      chart = try forecastChart(&ws, &inv)
    case "training":
      try inv.requireWordCount(1...2, usage: "plot training [NAME] [run=K]")
      chart = try trainingChart(ws, &inv)
    default:
      chart = try tradeoffChart(&ws, &inv)
    }
    inv.recordedWords = [RecordedValue(text: kind, isPath: false)] + inv.recordedWords
    try inv.checkAllConsumed()
    var out = chart.renderTerminal(width: width, height: 16, color: ctx.color)
    ctx.attachments.append(.chart(chart, slug: kind))
    if let to, let target {
      try AtomicFile.write(Array(chart.renderSVG().utf8), to: target)
      out += "\nwrote \(to)"
    }
    return out
  }

  static func forecastChart(_ ws: inout Workspace, _ inv: inout Invocation) throws(ShellError) -> Chart {
    let m = try ws.model(inv.word(1)?.text)
    inv.recordedWords = [RecordedValue(text: m.name, isPath: false)]
    let run = try inv.int("run", in: 1...m.replicas.count)
    let data = try ws.windows(for: m)
    guard let first = data.test.first else { throw ShellError("\(m.datasetName) has no test windows") }
    var series = Int(first.series)
    let storeText = inv.optionalString("store"), itemText = inv.optionalString("item")
    if storeText != nil || itemText != nil {
      guard let s = storeText.flatMap(Int.init), let i = itemText.flatMap(Int.init) else {
        throw ShellError("plot forecast needs both store=S and item=I as numbers", hint: "e.g. plot forecast store=1 item=3")
      }
      guard let k = data.seriesInfo.firstIndex(where: { $0.store == s && $0.item == i }) else {
        throw ShellError("store \(s) item \(i) is not in \(m.datasetName)", hint: "the data holds \(data.seriesInfo.count) series")
      }
      series = k
    }
    let daysText = try inv.string("days")
    let windows = data.test.filter { Int($0.series) == series }
    let limit: Int
    if daysText == "all" { limit = windows.count } else {
      guard let d = Int(daysText), d >= 7, d <= 100_000 else { throw ShellError("days=\(daysText): give a number of days from 7, or all") }
      limit = min(d, windows.count)
    }
    let shown = Array(windows.prefix(limit))
    let predicted = m.replicas[run - 1].predictScaled(shown, data: data, threads: ws.threads).map { Double(m.scaler.unscale($0)) }
    let actual = shown.map { Double(data.actual($0)) }
    let days = shown.map { Double(data.targetDay($0)) }
    let info = data.seriesInfo[series]
    let metrics = ForecastMetrics(actual: actual.map(Float.init), predicted: predicted.map(Float.init))
    var chart = Chart(title: "\(m.name): store \(info.store) item \(info.item), \(shown.count) test days from \(CivilDate.format(data.targetDay(shown[0])))",
                      xLabel: "forecast day", yLabel: "sales (units)",
                      series: [Chart.Series(name: "actual", xs: days, ys: actual, style: .line),
                               Chart.Series(name: "predicted (\(m.name) run \(run))", xs: days, ys: predicted, style: .points, markers: ["•"])])
    chart.xFormat = .civilDay
    chart.notes = ["MAPE on these \(shown.count) days: \(fixed(metrics.mape, 2))%; on the whole test set: \(fixed(try ws.evaluate(m.name).runs[run - 1].mape, 2))%"]
    return chart
  }

  static func trainingChart(_ ws: Workspace, _ inv: inout Invocation) throws(ShellError) -> Chart {
    let m = try ws.model(inv.word(1)?.text)
    inv.recordedWords = [RecordedValue(text: m.name, isPath: false)]
    let run = try inv.int("run", in: 1...m.replicas.count)
    guard run - 1 < m.logs.count, !m.logs[run - 1].epochs.isEmpty else {
      throw ShellError("\(m.name) has no loss curve: it was made without training", hint: "plot training of a model made by train, finetune or distill")
    }
    let log = m.logs[run - 1]
    let epochs = log.epochs.map { Double($0.epoch) }
    var chart = Chart(title: "\(m.name) run \(run): loss per epoch (scaled MSE)", xLabel: "epoch", yLabel: "loss",
                      series: [Chart.Series(name: "training loss", xs: epochs, ys: log.epochs.map(\.loss), style: .line),
                               Chart.Series(name: "validation loss", xs: epochs, ys: log.epochs.map(\.validationLoss), style: .points, markers: ["•"]),
                               Chart.Series(name: "best epoch (weights kept)", xs: [Double(log.bestEpoch)], ys: [log.bestValidationLoss],
                                            style: .points, markers: ["★"], emphasised: true)])
    let how = log.interrupted ? "interrupted" : log.stoppedEarly ? "stopped early" : "ran all epochs"
    chart.notes = ["best epoch \(log.bestEpoch) of \(log.epochs.count) (\(how)), validation loss \(sci(log.bestValidationLoss))"]
    return chart
  }

  static func tradeoffChart(_ ws: inout Workspace, _ inv: inout Invocation) throws(ShellError) -> Chart {
    let names = inv.words.count > 1 ? inv.words.dropFirst().map(\.text) : ws.modelOrder
    guard !names.isEmpty else { throw ShellError("no models to plot", hint: "train one with 'train'") }
    inv.recordedWords = names.map { RecordedValue(text: $0, isPath: false) }
    var bytes: [Double] = [], mapes: [Double] = []
    for name in names {
      let m = try ws.model(name)
      bytes.append(Double(m.artifact().count))
      mapes.append(try ws.evaluate(name).mape)
    }
    let front = paretoFront(xs: bytes, ys: mapes)
    let symbols = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    let markers = names.indices.map { symbols[$0 % symbols.count] }
    var series = [Chart.Series(name: "Pareto front", xs: front.map { bytes[$0] }, ys: front.map { mapes[$0] }, style: .line),
                  Chart.Series(name: "models (letters below)", xs: bytes, ys: mapes, style: .points, markers: markers, labels: names)]
    let first = try ws.model(names[0])
    if let naive = Baseline.seasonalNaive.metrics(try ws.windows(for: first)), let lo = bytes.min(), let hi = bytes.max() {
      series.append(Chart.Series(name: "seasonal-naive \(fixed(naive.mape, 2))%", xs: [lo, hi], ys: [naive.mape, naive.mape], style: .line))
    }
    var chart = Chart(title: "size against accuracy: \(names.count) models", xLabel: "exported bytes (log scale)", yLabel: "test MAPE (%)", series: series)
    chart.xLog = true
    chart.xFormat = .bytes
    let nameWidth = min(names.map(\.count).max() ?? 0, 28)
    chart.notes = names.indices.map { k in
      "  \(markers[k]) \(names[k].padding(toLength: nameWidth, withPad: " ", startingAt: 0))  \(pad(Int(bytes[k]), 1_000_000)) B  MAPE \(fixed(mapes[k], 2))\(front.contains(k) ? "  on the front" : "")"
    }
    return chart
  }
}
