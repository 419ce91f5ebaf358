// Questions between the single steps: how sensitive is each weight matrix to pruning
// (`sensitivity`), where does a curve bend (`sweep`), and what is the smallest model within an
// accuracy budget (`shrink`, in Shrink.swift). Decisions are made on the validation windows:
// the test set only reports.

import Foundation
import Workbench

public enum SearchCommands {
  static let all: [Command] = [sensitivity, sweep, shrink]

  static let defaultLevels = "0.3,0.5,0.7,0.8,0.9"

  static let sensitivity = Command(
    "sensitivity", group: .compress, usage: "sensitivity [NAME] [levels=0.3,0.5,0.7,0.8,0.9] [to=FILE.svg]",
    summary: "prune each weight matrix alone at several levels (no fine-tuning); MAPE change per matrix",
    details: """
      For each kernel (lstm/kernel or gru/kernel, the recurrent kernel, dense/kernel) and each level, zeroes
      that fraction of the matrix's smallest weights in every replica, leaves the others whole,
      and measures MAPE on the validation windows (the test set is kept for reporting). A
      matrix whose MAPE climbs early wants a lower level; 'prune NAME S recurrent=R' gives it
      one. Distiller's pruning sensitivity analysis, for an LSTM.
      """,
    options: [
      OptionSpec("levels", defaultLevels, "sparsities to try, comma-separated, each in (0, 1)"),
      OptionSpec("width", "80", "terminal columns the plot may use"),
      OptionSpec("to", "", "also write the plot as SVG", isPath: true),
      OptionSpec.overwrite,
    ],
    example: "sensitivity lstm64", recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...1, usage: "sensitivity [NAME] [levels=...]")
    let levelsText = try inv.string("levels")
    let levels = try parseLevels(levelsText, key: "levels")
    let width = try inv.int("width", in: 40...400)
    let to = inv.optionalString("to")
    let overwrite = try inv.flag("overwrite")
    try inv.checkAllConsumed()
    var target: String?
    if let to {
      guard to.lowercased().hasSuffix(".svg") else {
        throw CommandError("to=\(to): plots are written as SVG; name the file .svg")
      }
      target = try ctx.outputPath(to, overwrite: overwrite)
    }
    let table = try ws.sensitivity(inv.word(0)?.text, levels: levels)
    // Recorded as written, with the drawing's options.
    var command = table.command
    command.set("levels", levelsText)
    for (key, value) in inv.resolved where key != "levels" { command.set(key, value.text, isPath: value.isPath) }
    let m = table.model
    let base = table.base
    // The table: one row per matrix, one column per level, the change of the headline metric.
    let nameWidth = table.matrices.map(\.name.count).max()!
    var lines = [
      "\(m.name): validation \(table.metric.label) \(fixed(base, 3)) with every weight (\(m.replicas.count) runs)",
      table.metric == .mape
        ? "MAPE change in points when one matrix alone is pruned (no fine-tuning):"
        : "\(table.metric.label) change when one matrix alone is pruned (no fine-tuning):",
      "  " + "matrix".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  weights"
        + levels.map { percent($0).leftPadded(7) }.joined() + "  <=0.25pp",
    ]
    for (matrix, row) in zip(table.matrices, table.rows) {
      // The highest level costing at most a quarter point: where to start a per-matrix prune.
      let ok = zip(levels, row).filter { $0.1 - base <= 0.25 }.map(\.0).max()
      lines.append(
        "  " + matrix.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
          + "\(matrix.weights)".leftPadded(9) + row.map { signed($0 - base).leftPadded(7) }.joined()
          + (ok.map { percent($0) } ?? "none").leftPadded(10))
    }
    var chart = Chart(
      title: "\(m.name): pruning sensitivity (one matrix at a time, no fine-tuning)", xLabel: "sparsity of the matrix",
      yLabel: "validation \(table.metric.label)" + (table.metric.suffix.isEmpty ? "" : " (%)"),
      series: zip(table.matrices, table.rows).map { matrix, row in
        Chart.Series(name: matrix.name, xs: [0] + levels, ys: [base] + row, style: .line)
      })
    // Letters on the lines, so they read apart without color: k, r, d for a one-layer network's
    // three matrices, a, b, c, ... in file order for a stacked network's.
    let letters: [Character] =
      table.matrices.count == 3 ? ["k", "r", "d"] : table.matrices.indices.map { Character(UnicodeScalar(97 + $0)!) }
    chart.series += table.rows.enumerated().map { k, row in
      Chart.Series(
        name: "", xs: levels, ys: row, style: .points, markers: Array(repeating: letters[k], count: levels.count))
    }
    chart.notes = [
      "  markers: " + zip(letters, table.matrices.map(\.name)).map { "\($0) \($1)" }.joined(separator: ", ")
    ]
    var out = lines.joined(separator: "\n") + "\n" + chart.renderTerminal(width: width, height: 14, color: ctx.color)
    if let to, let target {
      try AtomicFile.write(Array(chart.renderSVG().utf8), to: target)
      out += "\nwrote \(ctx.shown(to))"
    }
    return CommandOutput(
      out, recorded: [command], results: table.results, attachments: [.chart(chart, slug: "sensitivity")])
  }

  static func parseLevels(_ text: String, key: String) throws(CommandError) -> [Double] {
    let parts = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
    var out: [Double] = []
    for p in parts {
      guard let v = Double(p), v > 0, v < 1 else {
        throw CommandError("\(key)=\(text): '\(p)' is not a sparsity in (0, 1)")
      }
      out.append(v)
    }
    guard !out.isEmpty, out.count <= 20 else { throw CommandError("\(key)= needs 1 to 20 comma-separated levels") }
    return out.sorted()
  }

  // MARK: - sweep (runs other commands through the engine)

  static let sweep = Command(
    "sweep", group: .compress,
    usage: "sweep KEY=V1,V2,... COMMAND [ARGS...] [engine=inprocess|local|slurm] [dir=DIR] [jobs=N] [submit=on]",
    summary: "run a command once per value (e.g. sweep units=128,64,32,16 train); table and knee",
    details: """
      Runs COMMAND with KEY=V for each value, as if typed one after the other, so each result is
      a model in the workspace and the session records the single commands (it replays without
      the sweep). KEY is an option of COMMAND, or 'sparsity' for prune's SPARSITY. With 'as
      NAME' each result is NAME-V; otherwise the command's usual name. Then it compares the
      results and names the knee: the size below which MAPE climbs fastest (the point furthest
      below the chord from the smallest to the largest model, MAPE against log bytes).
      If one run fails, the sweep changes nothing.
      engine=local or engine=slurm runs each value as its own process instead. DIR (default
      sweep-KEY) gets one self-contained session per point (point-K.tcs: this session so far,
      the command, and 'compare to=point-K.json'), the plan (sweep.json) and a Slurm job-array
      script (sweep.sbatch). engine=local runs the points here, jobs=N at a time (default: one
      per core), then prints the merged table: the same numbers, bit for bit, as in-process.
      engine=slurm writes the files, and with submit=on submits the array (sbatch). Either way
      'tinycast merge DIR' gathers the results and names every point without one; running the
      same sweep again into the same DIR runs or submits only the points without a result.
      The models stay in DIR's sessions (replay one to get it); the workspace is unchanged.
      """,
    example: "sweep units=128,64,32,16 train epochs=50 runs=3"
  ) { engine, tokens in try engine.sweep(tokens) }
}

extension Engine {
  /// `sweep KEY=V1,V2,... COMMAND ...`: the command once per value, then a comparison and the knee.
  public func sweep(_ tokens: [Token]) throws(CommandError) -> String {
    let usage = "usage: sweep KEY=V1,V2,... COMMAND [ARGS...], e.g. sweep units=128,64,32,16 train"
    guard tokens.count >= 3, let key = tokens[1].key else { throw CommandError(usage) }
    let values = tokens[1].text.split(separator: ",").map(String.init)
    guard !key.isEmpty, values.count >= 2, values.count <= 32, Set(values).count == values.count else {
      throw CommandError(
        "sweep \(key)=\(tokens[1].text): give two or more different values, comma-separated", column: tokens[1].column)
    }
    let command = try CommandTable.lookup(tokens[2].text)
    guard command.script == nil, command.name != "shrink", command.recording == .always else {
      throw CommandError(
        "sweep runs commands that make results; '\(command.name)' is not "
          + "one", column: tokens[2].column)
    }
    var rest = Array(tokens.dropFirst(3))
    let fanout = try FanoutOptions.take(&rest)
    var baseName: String?
    if rest.count >= 2, rest[rest.count - 2].text == "as" {
      baseName = rest.last!.text
      rest.removeLast(2)
    }
    let positional = key == "sparsity" && command.name == "prune"
    guard positional || command.options.contains(where: { $0.key == key }) else {
      throw CommandError(
        "\(command.name) has no option '\(key)'",
        hint: "its options: \(command.options.map(\.key).joined(separator: ", "))", column: tokens[1].column)
    }
    if rest.contains(where: { $0.key == key }) {
      throw CommandError("\(key)= is what the sweep sets; leave it out of the command", column: tokens[1].column)
    }
    let lines = values.map { v -> String in
      var parts = [command.name] + rest.map { t in (t.key.map { "\($0)=" } ?? "") + Lexer.quoteIfNeeded(t.text) }
      parts.append(positional ? v : "\(key)=\(v)")
      if let baseName { parts += ["as", "\(baseName)-\(v)"] }
      return parts.joined(separator: " ")
    }
    if fanout.engine != .inprocess {
      let sweep = "sweep \(key)=\(values.joined(separator: ",")) \(command.name)"
      return try fanOut(key: key, values: values, lines: lines, sweep: sweep, options: fanout)
    }
    let before = Set(workspace.models.names)
    _ = try executeAll(lines, label: "sweep")
    let made = workspace.models.names.filter { !before.contains($0) }
    guard made.count == values.count else { return "sweep: \(lines.count) commands run" }
    let table: String
    do { table = try execute("compare " + made.joined(separator: " ")) } catch { throw CommandError.from(error) }
    let summary = SweepReport.lines(key: key, values: values, summary: try workspace.sweepSummary(made))
    return ([table] + summary).joined(separator: "\n")
  }

}
