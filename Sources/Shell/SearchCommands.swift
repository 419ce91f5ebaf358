// Questions between the single steps: how sensitive is each weight matrix to pruning
// (`sensitivity`), where does a curve bend (`sweep`), and what is the smallest model within an
// accuracy budget (`shrink`, in Shrink.swift). Decisions are made on the validation windows:
// the test set only reports.

import Foundation
import SalesData
import Modeling
import Compression
import Evaluation

extension Workspace {
  /// MAPE (sales units, mean over the replicas) of `replicas` on the validation windows.
  func validationMAPE(_ replicas: [ForecastModel], of m: ModelEntry, data: WindowedData) -> Double {
    let actual = data.validation.map { data.actual($0) }
    let runs = replicas.map { r in
      ForecastMetrics(actual: actual, predicted: r.predictScaled(data.validation, data: data, threads: threads).map { m.scaler.unscale($0) }).mape
    }
    return runs.reduce(0, +) / Double(runs.count)
  }
}

public enum SearchCommands {
  static let all: [Command] = [sensitivity, sweep, shrink]

  static let defaultLevels = "0.3,0.5,0.7,0.8,0.9"

  static let sensitivity = Command(
    "sensitivity", group: .compress, usage: "sensitivity [NAME] [levels=0.3,0.5,0.7,0.8,0.9] [to=FILE.svg]",
    summary: "prune each weight matrix alone at several levels (no fine-tuning); MAPE change per matrix",
    details: """
      For each kernel (lstm/kernel, lstm/recurrent_kernel, dense/kernel) and each level, zeroes
      that fraction of the matrix's smallest weights in every replica, leaves the others whole,
      and measures MAPE on the validation windows (the test set is kept for reporting). A
      matrix whose MAPE climbs early wants a lower level; 'prune NAME S recurrent=R' gives it
      one. Distiller's pruning sensitivity analysis, for an LSTM.
      """,
    options: [
      OptionSpec("levels", defaultLevels, "sparsities to try, comma-separated, each in (0, 1)"),
      OptionSpec("width", "80", "terminal columns the plot may use"),
      OptionSpec("to", "", "also write the plot as SVG", isPath: true),
      OptionSpec("overwrite", "off", "replace the file if it exists (a replayed session never does otherwise)", values: ["off", "on"]),
    ],
    example: "sensitivity lstm64", recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...1, usage: "sensitivity [NAME] [levels=...]")
    let m = try ws.model(inv.word(0)?.text)
    inv.recordedWords = [RecordedValue(text: m.name, isPath: false)]
    let levelsText = try inv.string("levels")
    let levels = try parseLevels(levelsText, key: "levels")
    let width = try inv.int("width", in: 40...400)
    let to = inv.optionalString("to")
    let overwrite = try inv.choice("overwrite") == "on"
    try inv.checkAllConsumed()
    guard m.replicas.allSatisfy({ if case .float(_, nil) = $0 { return true } else { return false } }) else {
      throw ShellError("\(m.name) is \(m.replicas[0].kindDescription); sensitivity prunes float32 models", hint: "run it on the model before quantizing")
    }
    var target: String?
    if let to {
      guard to.lowercased().hasSuffix(".svg") else { throw ShellError("to=\(to): plots are written as SVG; name the file .svg") }
      target = try ctx.outputPath(to, overwrite: overwrite)
    }
    let data = try ws.windows(for: m)
    let table = sensitivityTable(ws, m, data: data, levels: levels)
    let base = table.base
    // The table: one row per matrix, one column per level, MAPE change in points.
    let nameWidth = Pruning.prunable.map { $0.description.count }.max()!
    var lines = ["\(m.name): validation MAPE \(fixed(base, 3)) with every weight (\(m.replicas.count) runs)",
                 "MAPE change in points when one matrix alone is pruned (no fine-tuning):",
                 "  " + "matrix".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  weights"
                   + levels.map { CompressCommands.percent($0).leftPadded(7) }.joined() + "  <=0.25pp"]
    for (p, row) in zip(Pruning.prunable, table.rows) {
      let count = m.replicas[0].floatNetwork.weights.layout.range(p).count
      // The highest level costing at most a quarter point: where to start a per-matrix prune.
      let ok = zip(levels, row).filter { $0.1 - base <= 0.25 }.map(\.0).max()
      lines.append("  " + p.description.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "\(count)".leftPadded(9)
                   + row.map { (($0 - base) >= 0 ? "+" : "") + fixed($0 - base, 2) }.map { $0.leftPadded(7) }.joined()
                   + (ok.map { CompressCommands.percent($0) } ?? "none").leftPadded(10))
      ctx.results.append("\(p.description) " + zip(levels, row).map { "\(formatNumber($0))=\(resultNumber($1 - base))" }.joined(separator: " "))
    }
    var chart = Chart(title: "\(m.name): pruning sensitivity (one matrix at a time, no fine-tuning)", xLabel: "sparsity of the matrix",
                      yLabel: "validation MAPE (%)",
                      series: zip(Pruning.prunable, table.rows).map { p, row in
                        Chart.Series(name: p.description, xs: [0] + levels, ys: [base] + row, style: .line)
                      })
    // Letters on the lines, so they read apart without color.
    chart.series += zip(Pruning.prunable, table.rows).enumerated().map { k, pr in
      Chart.Series(name: "", xs: levels, ys: pr.1, style: .points, markers: Array(repeating: Character(["k", "r", "d"][k]), count: levels.count))
    }
    chart.notes = ["  markers: k lstm/kernel, r lstm/recurrent_kernel, d dense/kernel"]
    var out = lines.joined(separator: "\n") + "\n" + chart.renderTerminal(width: width, height: 14, color: ctx.color)
    ctx.attachments.append(.chart(chart, slug: "sensitivity"))
    if let to, let target {
      try AtomicFile.write(Array(chart.renderSVG().utf8), to: target)
      out += "\nwrote \(to)"
    }
    return out
  }

  /// Validation MAPE with all weights, and per prunable matrix per level with that matrix alone
  /// pruned (mean over replicas).
  static func sensitivityTable(_ ws: Workspace, _ m: ModelEntry, data: WindowedData, levels: [Double]) -> (base: Double, rows: [[Double]]) {
    let base = ws.validationMAPE(m.replicas, of: m, data: data)
    let rows = Pruning.prunable.map { p in
      levels.map { level in
        let pruned = m.replicas.map { r -> ForecastModel in
          var net = r.floatNetwork
          let mask = Pruning.magnitudeMask(net.weights, levels: [p: level])
          for i in mask.indices { net.weights.values[i] *= mask[i] }
          return .float(net, storage: nil)
        }
        return ws.validationMAPE(pruned, of: m, data: data)
      }
    }
    return (base, rows)
  }

  static func parseLevels(_ text: String, key: String) throws(ShellError) -> [Double] {
    let parts = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
    var out: [Double] = []
    for p in parts {
      guard let v = Double(p), v > 0, v < 1 else { throw ShellError("\(key)=\(text): '\(p)' is not a sparsity in (0, 1)") }
      out.append(v)
    }
    guard !out.isEmpty, out.count <= 20 else { throw ShellError("\(key)= needs 1 to 20 comma-separated levels") }
    return out.sorted()
  }

  // MARK: - sweep (run by the engine: it executes other commands)

  static let sweep = Command(
    "sweep", group: .compress, usage: "sweep KEY=V1,V2,... COMMAND [ARGS...]",
    summary: "run a command once per value (e.g. sweep units=128,64,32,16 train); table and knee",
    details: """
      Runs COMMAND with KEY=V for each value, as if typed one after the other, so each result is
      a model in the workspace and the session records the single commands (it replays without
      the sweep). KEY is an option of COMMAND, or 'sparsity' for prune's SPARSITY. With 'as
      NAME' each result is NAME-V; otherwise the command's usual name. Then it compares the
      results and names the knee: the size below which MAPE climbs fastest (the point furthest
      below the chord from the smallest to the largest model, MAPE against log bytes).
      If one run fails, the sweep changes nothing.
      """,
    example: "sweep units=128,64,32,16 train epochs=50 runs=3", recording: .never
  ) { _, _, _ in throw ShellError("sweep is run by the shell itself") }

  /// The knee of a size/accuracy curve: the index (into `bytes`) of the point furthest below
  /// the chord joining the smallest and the largest model, on normalised log-bytes and MAPE
  /// axes (Satopaa et al.'s Kneedle). nil with fewer than three sizes.
  public static func knee(bytes: [Double], mape: [Double]) -> Int? {
    guard bytes.count >= 3 else { return nil }
    let order = bytes.indices.sorted { bytes[$0] < bytes[$1] }
    let lx = order.map { log(bytes[$0]) }, ys = order.map { mape[$0] }
    guard let x0 = lx.first, let x1 = lx.last, x1 > x0, let yMin = ys.min(), let yMax = ys.max(), yMax > yMin else { return nil }
    let nx = lx.map { ($0 - x0) / (x1 - x0) }, ny = ys.map { ($0 - yMin) / (yMax - yMin) }
    // The chord from the smallest (first) to the largest (last) model.
    let gaps = nx.indices.map { i in (ny[0] + (ny[ny.count - 1] - ny[0]) * nx[i]) - ny[i] }
    guard let best = gaps.indices.dropFirst().dropLast().max(by: { gaps[$0] < gaps[$1] }), gaps[best] > 0 else { return nil }
    return order[best]
  }
}

extension Engine {
  /// `sweep KEY=V1,V2,... COMMAND ...`: the command once per value, then a comparison and the knee.
  func sweep(_ tokens: [Token]) throws(ShellError) -> String {
    let usage = "usage: sweep KEY=V1,V2,... COMMAND [ARGS...], e.g. sweep units=128,64,32,16 train"
    guard tokens.count >= 3, let key = tokens[1].key else { throw ShellError(usage) }
    let values = tokens[1].text.split(separator: ",").map(String.init)
    guard !key.isEmpty, values.count >= 2, values.count <= 32, Set(values).count == values.count else {
      throw ShellError("sweep \(key)=\(tokens[1].text): give two or more different values, comma-separated", column: tokens[1].column)
    }
    let command = try CommandTable.lookup(tokens[2].text)
    guard !["sweep", "shrink", "restore"].contains(command.name), command.recording == .always else {
      throw ShellError("sweep runs commands that make results; '\(command.name)' is not one", column: tokens[2].column)
    }
    var rest = Array(tokens.dropFirst(3))
    var baseName: String?
    if rest.count >= 2, rest[rest.count - 2].text == "as" { baseName = rest.last!.text; rest.removeLast(2) }
    let positional = key == "sparsity" && command.name == "prune"
    guard positional || command.options.contains(where: { $0.key == key }) else {
      throw ShellError("\(command.name) has no option '\(key)'", hint: "its options: \(command.options.map(\.key).joined(separator: ", "))", column: tokens[1].column)
    }
    if rest.contains(where: { $0.key == key }) {
      throw ShellError("\(key)= is what the sweep sets; leave it out of the command", column: tokens[1].column)
    }
    let lines = values.map { v -> String in
      var parts = [command.name] + rest.map { t in (t.key.map { "\($0)=" } ?? "") + Lexer.quoteIfNeeded(t.text) }
      parts.append(positional ? v : "\(key)=\(v)")
      if let baseName { parts += ["as", "\(baseName)-\(v)"] }
      return parts.joined(separator: " ")
    }
    let before = Set(workspace.modelOrder)
    _ = try executeAll(lines, label: "sweep")
    let made = workspace.modelOrder.filter { !before.contains($0) }
    guard made.count == values.count else { return "sweep: \(lines.count) commands run" }
    let table: String
    do { table = try execute("compare " + made.joined(separator: " ")) } catch { throw ShellError.from(error) }
    let bytes = made.map { Double(workspace.models[$0]!.artifact().count) }
    let mapes = made.map { workspace.models[$0]!.metrics?.mape ?? .nan }
    var summary = ["sweep \(key)=\(values.joined(separator: ",")): \(made.count) models"]
    func signed(_ v: Double) -> String { (v >= 0 ? "+" : "") + fixed(v, 2) }
    // A curve flatter than the runs' own spread has no knee to find among these sizes.
    let spread = made.compactMap { workspace.models[$0]!.metrics }.filter { $0.runs.count > 1 }.map(\.mapeStd).max() ?? 0
    let range = (mapes.max() ?? 0) - (mapes.min() ?? 0)
    let smallest = made.indices.min { bytes[$0] < bytes[$1] }!
    if range <= spread {
      summary.append("knee: at or below \(made[smallest]), the smallest swept: MAPE spans only \(fixed(range, 2)) pp over \(fixed((bytes.max() ?? 1) / bytes[smallest], 0))x the bytes, within the runs' spread (std up to \(fixed(spread, 2))); sweep smaller sizes to find where it bends")
    } else if let k = SearchCommands.knee(bytes: bytes, mape: mapes) {
      let order = made.indices.sorted { bytes[$0] < bytes[$1] }
      let pos = order.firstIndex(of: k)!
      let smaller = pos > 0 ? order[pos - 1] : nil, larger = pos + 1 < order.count ? order[pos + 1] : nil
      var why: [String] = []
      if let s = smaller { why.append("one size down (\(made[s])) MAPE changes by \(signed(mapes[s] - mapes[k])) pp") }
      if let l = larger { why.append("one size up (\(made[l])) by \(signed(mapes[l] - mapes[k])) pp for \(fixed(bytes[l] / bytes[k], 1))x the bytes") }
      summary.append("knee: \(made[k]) (\(Int(bytes[k])) bytes, MAPE \(fixed(mapes[k], 2))): " + why.joined(separator: "; "))
    } else {
      summary.append("knee: none (MAPE does not bend between the smallest and the largest model)")
    }
    return ([table] + summary).joined(separator: "\n")
  }

}
