// The pictures `plot` draws, built from the workspace: forecasts against actual sales, loss
// curves, and size against accuracy. Each is a Chart the shell draws in the terminal or as SVG.

import Compression
import Evaluation
import Foundation
import Modeling
import SalesData

extension Workspace {
  func requireRun(_ run: Int, of m: ModelEntry) throws(CommandError) {
    guard (1...m.replicas.count).contains(run) else {
      throw CommandError("run=\(run) is out of range", hint: "run must be between 1 and \(m.replicas.count)")
    }
  }

  /// `plot forecast`: actual and predicted sales of one series over the first `days` test days
  /// (nil: all); the series of `store` and `item`, or the first.
  public mutating func forecastChart(
    _ name: String?, run: Int, store: Int?, item: Int?, days: Int?
  ) throws(CommandError) -> Chart {
    let m = try model(name)
    try requireRun(run, of: m)
    let data = try windows(for: m)
    guard let first = data.test.first else { throw CommandError("\(m.datasetName) has no test windows") }
    var series = Int(first.series)
    if store != nil || item != nil {
      guard let s = store, let i = item else {
        throw CommandError(
          "plot forecast needs both store=S and item=I as numbers", hint: "e.g. plot forecast store=1 item=3")
      }
      guard let k = data.seriesInfo.firstIndex(where: { $0.store == s && $0.item == i }) else {
        throw CommandError(
          "store \(s) item \(i) is not in \(m.datasetName)", hint: "the data holds \(data.seriesInfo.count) series")
      }
      series = k
    }
    let seriesWindows = data.test.filter { Int($0.series) == series }
    let shown = Array(seriesWindows.prefix(min(days ?? seriesWindows.count, seriesWindows.count)))
    let predicted = TestEvaluation.forecasts(
      m.replicas[run - 1], scaler: m.scaler, windows: shown, data: data, threads: threads
    ).map(Double.init)
    let actual = shown.map { Double(data.actual($0)) }
    let days = shown.map { Double(data.targetDay($0)) }
    let info = data.seriesNames[series]
    let shownMetrics = ForecastMetrics(actual: actual.map(Float.init), predicted: predicted.map(Float.init))
    var chart = Chart(
      title:
        "\(m.name): store \(info.store) item \(info.item), \(shown.count) test days from "
        + "\(CivilDate.format(data.targetDay(shown[0])))",
      xLabel: "forecast day", yLabel: "sales (units)",
      series: [
        Chart.Series(name: "actual", xs: days, ys: actual, style: .line),
        Chart.Series(
          name: "predicted (\(m.name) run \(run))", xs: days, ys: predicted, style: .points, markers: ["•"]),
      ])
    chart.xFormat = .civilDay
    chart.notes = [
      "MAPE on these \(shown.count) days: \(fixed(shownMetrics.mape, 2))%; on the whole test set: "
        + "\(fixed(try metrics(of: m.name).runs[run - 1].mape, 2))%"
    ]
    return chart
  }

  /// `plot training`: the loss curves of replica `run`.
  public func trainingChart(_ name: String?, run: Int) throws(CommandError) -> Chart {
    let m = try model(name)
    try requireRun(run, of: m)
    guard run - 1 < m.logs.count, !m.logs[run - 1].epochs.isEmpty else {
      throw CommandError(
        "\(m.name) has no loss curve: it was made without training",
        hint: "plot training of a model made by train, finetune or distill")
    }
    let log = m.logs[run - 1]
    let epochs = log.epochs.map { Double($0.epoch) }
    var chart = Chart(
      title: "\(m.name) run \(run): loss per epoch (scaled MSE)", xLabel: "epoch", yLabel: "loss",
      series: [
        Chart.Series(name: "training loss", xs: epochs, ys: log.epochs.map(\.loss), style: .line),
        Chart.Series(
          name: "validation loss", xs: epochs, ys: log.epochs.map(\.validationLoss), style: .points, markers: ["•"]),
        Chart.Series(
          name: "best epoch (weights kept)", xs: [Double(log.bestEpoch)], ys: [log.bestValidationLoss],
          style: .points, markers: ["★"], emphasised: true),
      ])
    let how = log.interrupted ? "interrupted" : log.stoppedEarly ? "stopped early" : "ran all epochs"
    chart.notes = [
      "best epoch \(log.bestEpoch) of \(log.epochs.count) (\(how)), validation loss \(sci(log.bestValidationLoss))"
    ]
    return chart
  }

  /// `plot tradeoff`: exported bytes against test MAPE of `names` (default: every model).
  public mutating func tradeoffChart(_ given: [String]) throws(CommandError) -> (chart: Chart, names: [String]) {
    let names = given.isEmpty ? models.names : given
    guard !names.isEmpty else { throw CommandError("no models to plot", hint: "train one with 'train'") }
    var bytes: [Double] = []
    var mapes: [Double] = []
    var entries: [ModelEntry] = []
    for name in names {
      let m = try model(name)
      entries.append(m)
      bytes.append(Double(m.artifact().count))
      mapes.append(metric.of(try metrics(of: name)))
    }
    // The classical references of the first model's dataset join the plane (and the front).
    let first = try model(names[0])
    var labels = names
    var classical: Set<Int> = []
    for c in classicalReferences(besides: entries) {
      classical.insert(labels.count)
      labels.append(c.name)
      bytes.append(Double(c.bytes))
      mapes.append(metric.of(c.metrics))
    }
    let front = paretoFront(xs: bytes, ys: mapes)
    let symbols = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    let markers = labels.indices.map { symbols[$0 % symbols.count] }
    var series = [
      Chart.Series(name: "Pareto front", xs: front.map { bytes[$0] }, ys: front.map { mapes[$0] }, style: .line),
      Chart.Series(
        name: "models and classical references (letters below)", xs: bytes, ys: mapes, style: .points,
        markers: markers, labels: labels),
    ]
    if let naive = Baseline.seasonalNaive.metrics(try windows(for: first)).map({ metric.of($0) }),
      let lo = bytes.min(), let hi = bytes.max()
    {
      series.append(
        Chart.Series(
          name: "seasonal-naive \(fixed(naive, 2))\(metric.suffix)", xs: [lo, hi], ys: [naive, naive], style: .line))
    }
    var chart = Chart(
      title: "size against accuracy: \(names.count) models", xLabel: "exported bytes (log scale)",
      yLabel: "test \(metric.label)" + (metric.suffix.isEmpty ? "" : " (%)"), series: series)
    chart.xLog = true
    chart.xFormat = .bytes
    let nameWidth = min(labels.map(\.count).max() ?? 0, 28)
    chart.notes = labels.indices.map { k in
      "  \(markers[k]) \(labels[k].padding(toLength: nameWidth, withPad: " ", startingAt: 0))  "
        + "\(pad(Int(bytes[k]), 1_000_000)) B  \(metric.label) \(fixed(mapes[k], 2))"
        + (classical.contains(k) ? "  classical" : "") + (front.contains(k) ? "  on the front" : "")
    }
    // The front read at the sizes devices offer: the best model within each budget.
    let budgets = [1, 2, 4, 16].map { Double($0 * 1024) }
    let within = bestWithin(budgets, xs: bytes, ys: mapes).enumerated().map { k, best in
      "\([1, 2, 4, 16][k]) KB " + (best.map { "\(labels[$0]) \(fixed(mapes[$0], 2))" } ?? "none")
    }
    chart.notes.append("best \(metric.label) within: " + within.joined(separator: "; "))
    return (chart, names)
  }
}
