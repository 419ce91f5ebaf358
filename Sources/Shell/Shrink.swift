// shrink: the smallest deployable model within an accuracy budget. The user states what MAPE
// they can afford (budget=+0.5: half a point worse than the reference) and optionally the
// device's byte limit; the search tries distilled students of decreasing width, quantization
// granularities and sensitivity-guided pruning with fine-tuning, and keeps the smallest
// exported artifact within budget.
//
// How it decides: every candidate is judged on the validation windows (mean MAPE over the
// replicas), never on the test set, which only reports the winner. Sizes are exact (the bytes
// 'export' writes) and known before any fine-tuning, so a candidate that cannot beat the best
// so far is skipped without training. Candidates run in a scratch copy of the workspace; only
// the winner's chain of commands (with their seeds) enters the session, so a replay rebuilds
// the same model without searching.

import Foundation
import SalesData
import Modeling
import Compression
import Evaluation

extension SearchCommands {
  static let shrinkOptions: [OptionSpec] = [
    OptionSpec("budget", "+0.5", "MAPE the result may lose against the reference, in points (validation windows)"),
    OptionSpec("max_bytes", "", "the device's limit on the exported artifact (default: none)"),
    OptionSpec("time", "15m", "stop searching after this long (e.g. 90s, 10m, 1h; 0 trains nothing)"),
    OptionSpec("epochs", "50", "training epochs of each student (early stopping applies)"),
    OptionSpec("ft_epochs", "20", "fine-tuning epochs after pruning"),
    OptionSpec("runs", "", "replicas per candidate (default: the reference's)"),
    OptionSpec("seed", "", "seed of the first candidate (default: drawn; every command records its own)"),
  ]

  static let shrink = Command(
    "shrink", group: .compress, usage: "shrink [NAME] budget=+0.5 [max_bytes=N] [time=15m] [as NAME]",
    summary: "search for the smallest exported model within a MAPE budget of NAME",
    details: """
      Tries, smallest first: students distilled from NAME with fewer hidden units (16, 12, 8,
      6, 4 for a 64-unit reference; wider ones only if those miss the budget), each stored in
      uint8 per tensor and int8 per channel; then magnitude pruning at 50/70/30% with per-matrix
      levels capped by a sensitivity analysis, fine-tuned with the masks kept, then int8.
      A candidate passes when its validation MAPE (mean over the runs) is within budget of
      NAME's. The smallest passing artifact wins; with max_bytes it must also fit. Prints every
      candidate on a table and a plot with the Pareto front, and records the winner's commands
      (so the session replays without searching). 'explain shrink' shows the last search's log.
      """,
    options: shrinkOptions,
    example: "shrink lstm64 budget=+0.5 max_bytes=2048", recording: .never
  ) { _, _, _ in throw ShellError("shrink is run by the shell itself") }

  /// "90s", "10m", "1h", or plain seconds.
  /// `0` is allowed: it means "train nothing", judging only the reference's own quantized forms.
  static func parseDuration(_ text: String) -> Double? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
    if let last = text.last, let unit = units[last] { return Double(text.dropLast()).map { $0 * unit }.flatMap { $0 >= 0 && $0.isFinite ? $0 : nil } }
    return Double(text).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil }
  }

  /// Hidden-unit sizes to try for a reference of `units`: downward from a quarter of it, then
  /// (only if none of those pass) upward to half of it.
  static func studentSizes(reference units: Int) -> (down: [Int], up: [Int]) {
    let all = [4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128].filter { $0 < units }
    return (all.filter { $0 <= max(4, units / 4) }.reversed(), all.filter { $0 > max(4, units / 4) && $0 <= units / 2 })
  }
}

/// One model the search evaluated.
struct ShrinkCandidate {
  var name: String
  var chain: [String]          // model names from the first new one to this one
  var recipe: String           // e.g. "distill units=12, prune 50%, finetune, int8 per tensor"
  var bytes: Int
  var validationMAPE: Double
  var passes: Bool
}

extension Engine {
  func shrink(_ tokens: [Token]) throws(ShellError) -> String {
    var inv = try Invocation(tokens: tokens, specs: SearchCommands.shrinkOptions)
    inv.verb = "shrink"
    try inv.requireWordCount(0...1, usage: "shrink [NAME] budget=+0.5 [max_bytes=N] [time=15m] [as NAME]")
    let ref = try workspace.model(inv.word(0)?.text)
    guard case .float = ref.replicas[0] else {
      throw ShellError("\(ref.name) is \(ref.replicas[0].kindDescription); shrink starts from a float32 model (the teacher)")
    }
    let budgetText = try inv.string("budget")
    guard let budget = Double(budgetText.hasPrefix("+") ? String(budgetText.dropFirst()) : budgetText), budget >= 0, budget <= 100 else {
      throw ShellError("budget=\(budgetText): give the MAPE points the result may lose, e.g. budget=+0.5", column: inv.options["budget"]?.column)
    }
    var maxBytes: Int?
    if inv.options["max_bytes"] != nil { maxBytes = try inv.int("max_bytes", in: 64...1_000_000_000) }
    let timeText = try inv.string("time")
    guard let timeLimit = SearchCommands.parseDuration(timeText) else {
      throw ShellError("time=\(timeText): give a duration such as 90s, 10m or 1h", column: inv.options["time"]?.column)
    }
    let epochs = try inv.int("epochs", in: 1...100_000)
    let ftEpochs = try inv.int("ft_epochs", in: 1...100_000)
    let runs = inv.options["runs"] != nil ? try inv.int("runs", in: 1...100) : ref.replicas.count
    var seed: UInt64
    if let s = inv.optionalString("seed") {
      guard let v = UInt64(s), v < 1 << 40 else { throw ShellError("seed=\(s) is not a whole number", column: inv.options["seed"]?.column) }
      seed = v
    } else {
      var g = workspace.seedSource
      seed = g.nextSeed() % (1 << 40)
    }
    let finalName = inv.asName
    try inv.checkAllConsumed()
    if let finalName { try workspace.requireFreeModelName(finalName) }

    // The scratch engine: a copy of the workspace, its own history and notebook.
    let scratchContext = ShellContext(baseDirectory: context.baseDirectory, outputDirectory: context.outputDirectory, emit: context.emit)
    scratchContext.shouldStop = context.shouldStop
    scratchContext.liveStatus = context.liveStatus
    scratchContext.writeRoots = context.writeRoots
    let scratch = Engine(context: scratchContext, workspace: workspace)
    let start = Date()
    var log: [String] = []
    func note(_ s: String) { log.append(s); context.emit("shrink: " + s) }
    func elapsed() -> Double { Date().timeIntervalSince(start) }

    let refData = try workspace.windows(for: ref)
    let refVal = workspace.validationMAPE(ref.replicas, of: ref, data: refData)
    let limit = refVal + budget
    note("reference \(ref.name): validation MAPE \(fixed(refVal, 3)) over \(ref.replicas.count) runs, \(ref.artifact().count) bytes; budget +\(formatNumber(budget)) -> a candidate passes at <= \(fixed(limit, 3))\(maxBytes.map { ", and must fit in \($0) bytes" } ?? "")")

    var tried: [ShrinkCandidate] = []
    var best: ShrinkCandidate?
    var stopReason = "every planned candidate was tried"
    func better(_ c: ShrinkCandidate) -> Bool {
      guard c.passes else { return false }
      guard let b = best else { return true }
      return c.bytes < b.bytes || (c.bytes == b.bytes && c.validationMAPE < b.validationMAPE)
    }
    /// Runs `line` in the scratch workspace (a failure is logged, not fatal).
    func run(_ line: String) -> Bool {
      do { _ = try scratch.execute(line); return true } catch {
        note("  '\(line)' failed: \(ShellError.from(error).description)"); return false
      }
    }
    func bytes(_ name: String) -> Int { scratch.workspace.models[name]!.artifact().count }
    func judge(_ name: String, chain: [String], recipe: String) -> ShrinkCandidate {
      let m = scratch.workspace.models[name]!
      let data = (try? scratch.workspace.windows(for: m)) ?? refData
      let v = scratch.workspace.validationMAPE(m.replicas, of: m, data: data)
      let c = ShrinkCandidate(name: name, chain: chain, recipe: recipe, bytes: m.artifact().count, validationMAPE: v, passes: v <= limit)
      tried.append(c)
      note("  \(name): \(recipe): \(c.bytes) bytes, validation MAPE \(fixed(v, 3)) (\(v - refVal >= 0 ? "+" : "")\(fixed(v - refVal, 3))) \(c.passes ? "within budget" : "over budget")")
      if better(c) { best = c }
      return c
    }
    /// Not worth trying: the best so far is already at most this small.
    func beaten(_ size: Int) -> Bool { best.map { $0.bytes <= size } ?? false }
    var lastTraining = 0.0
    var outOfTime = false
    /// False once the time limit (or Ctrl-C) says no more training; the first reason is kept.
    func timeLeft(for what: String) -> Bool {
      if outOfTime { return false }
      if context.shouldStop() { stopReason = "interrupted (Ctrl-C)"; outOfTime = true }
      if timeLimit == 0 || elapsed() + lastTraining > timeLimit {
        stopReason = "time limit \(timeText) reached before \(what) (\(duration(elapsed())) spent, the last training took \(duration(lastTraining)))"
        outOfTime = true
      }
      if outOfTime { note(stopReason) }
      return !outOfTime
    }
    func nextSeed() -> UInt64 { seed += 1; return seed }

    // Stage 1: students, downward while they pass; wider ones only if none does.
    let sizes = SearchCommands.studentSizes(reference: ref.units)
    var students: [(name: String, units: Int)] = []
    func student(_ u: Int) -> ShrinkCandidate? {
      guard timeLeft(for: "distilling LSTM-\(u)") else { return nil }
      let name = "\(ref.name)-kd\(u)"
      let t0 = Date()
      guard run("distill teacher=\(ref.name) units=\(u) alpha=0.2 epochs=\(epochs) runs=\(runs) seed=\(nextSeed()) as \(name)") else { return nil }
      lastTraining = Date().timeIntervalSince(t0)
      let c = judge(name, chain: [name], recipe: "distilled LSTM-\(u), float32")
      if c.passes { students.append((name, u)) }
      return c
    }
    note("stage 1: distilled students from \(ref.name) (alpha 0.2), \(runs) runs each")
    var searchStopped = false
    for u in sizes.down {
      guard let c = student(u) else { searchStopped = true; break }
      if !c.passes { break }
    }
    if students.isEmpty && !searchStopped {
      for u in sizes.up { guard let c = student(u) else { break }; if c.passes { break } }
    }
    if students.isEmpty { note("no student is within budget; compressing \(ref.name) itself") }

    // Stage 2: quantization and pruning of each base, smallest first, then the reference.
    let bases = students.sorted { $0.units < $1.units }.map { ($0.name, [$0.name]) } + [(ref.name, [String]())]
    stage2: for (base, chain) in bases {
      if best != nil && base == ref.name && !students.isEmpty { break }   // a student already passed: the reference only as last resort
      note("stage 2: compressing \(base)")
      for (suffix, options, label) in [("u8", " granularity=tensor mode=asymmetric", "uint8 per tensor"), ("i8", "", "int8 per channel")] {
        let name = "\(base)-\(suffix)"
        guard run("quantize \(base) int8\(options) as \(name)") else { continue }
        if beaten(bytes(name)) { note("  \(name): \(bytes(name)) bytes, no smaller than the best so far; skipped"); continue }
        _ = judge(name, chain: chain + [name], recipe: label)
      }
      // Pruning, per-matrix levels capped by the sensitivity of each matrix.
      let baseModel = scratch.workspace.models[base]!
      let data = try scratch.workspace.windows(for: baseModel)
      let levels = [0.3, 0.5, 0.7, 0.8, 0.9]
      let table = SearchCommands.sensitivityTable(scratch.workspace, baseModel, data: data, levels: levels)
      let tolerance = zip(Pruning.prunable, table.rows).map { p, row -> (ParameterName, Double) in
        (p, zip(levels, row).filter { $0.1 - table.base <= budget / 2 }.map(\.0).max() ?? 0)
      }
      note("  sensitivity of \(base): " + tolerance.map { "\($0.0) tolerates \(CompressCommands.percent($0.1))" }.joined(separator: ", "))
      var order = [0.5, 0.7, 0.3]
      var triedCaps: Set<String> = []
      while let level = order.first {
        order.removeFirst()
        // Fine-tuning recovers some of what one-shot pruning costs, so a matrix may go 20 points
        // past the level it tolerates untuned, never past `level`.
        let caps = Dictionary(uniqueKeysWithValues: tolerance.map { ($0.0, min(level, $0.1 + 0.2)) })
        let capsKey = Pruning.prunable.map { formatNumber(caps[$0]!) }.joined(separator: "/")
        if triedCaps.contains(capsKey) { note("  \(base) at \(Int((level * 100).rounded()))%: the same per-matrix levels as before (\(capsKey)); skipped"); continue }
        triedCaps.insert(capsKey)
        let pct = Int((level * 100).rounded())
        let pruned = "\(base)-p\(pct)", tuned = "\(base)-p\(pct)-ft"
        var line = "prune \(base) \(formatNumber(level))"
        for (key, p) in [("kernel", ParameterName.kernel), ("recurrent", .recurrentKernel), ("dense", .denseKernel)] where caps[p]! != level {
          line += " \(key)=\(formatNumber(caps[p]!))"
        }
        // The size is known before fine-tuning (it keeps the zeros): probe it with int8.
        guard run(line + " as \(pruned)"), run("quantize \(pruned) int8 granularity=tensor mode=asymmetric as \(pruned)-probe") else { continue }
        let probe = bytes("\(pruned)-probe")
        if beaten(probe) {
          note("  \(pruned) + int8 would be \(probe) bytes, no smaller than the best so far; skipped")
          continue
        }
        guard timeLeft(for: "fine-tuning \(pruned)") else { break stage2 }
        let t0 = Date()
        guard run("finetune \(pruned) epochs=\(ftEpochs) lr=0.0003 seed=\(nextSeed()) as \(tuned)") else { continue }
        lastTraining = max(lastTraining, Date().timeIntervalSince(t0))
        var passed = false
        for (suffix, options, label) in [("u8", " granularity=tensor mode=asymmetric", "uint8 per tensor"), ("i8", "", "int8 per channel")] {
          let name = "\(tuned)-\(suffix)"
          guard run("quantize \(tuned) int8\(options) as \(name)") else { continue }
          if beaten(bytes(name)) { continue }
          let what = zip(["kernel", "recurrent", "dense"], Pruning.prunable).map { "\($0) \(Int((caps[$1]! * 100).rounded()))%" }.joined(separator: ", ")
          let c = judge(name, chain: chain + [pruned, tuned, name], recipe: "pruned (\(what)), fine-tuned, \(label)")
          passed = passed || c.passes
        }
        // From 50%: passed, try 70%; failed, try 30%. Then stop.
        order = level == 0.5 ? (passed ? [0.7] : [0.3]) : []
      }
      if best != nil, let b = best, !b.chain.isEmpty, b.chain[0] == base { break }   // the smallest base won: larger ones are bigger
    }

    // The result.
    let candidates = tried.sorted { $0.bytes < $1.bytes }
    let front = Set(paretoFront(xs: candidates.map { Double($0.bytes) }, ys: candidates.map(\.validationMAPE)).map { candidates[$0].name })
    var lines = ["shrink \(ref.name) budget=+\(formatNumber(budget)): \(tried.count) candidates in \(duration(elapsed())); \(stopReason)"]
    let width = min(candidates.map(\.name.count).max() ?? 10, 32)
    lines.append("  " + "candidate".padding(toLength: width, withPad: " ", startingAt: 0) + "    bytes  val MAPE   delta")
    for c in candidates {
      lines.append("  " + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + "\(c.bytes)".leftPadded(9)
                   + fixed(c.validationMAPE, 3).leftPadded(10) + ((c.validationMAPE - refVal >= 0 ? "+" : "") + fixed(c.validationMAPE - refVal, 3)).leftPadded(8)
                   + (c.passes ? "" : "  over budget") + (front.contains(c.name) ? "  front" : "") + (c.name == best?.name ? "  <- smallest within budget" : ""))
    }
    var chart = Chart(title: "shrink \(ref.name): every candidate (validation MAPE)", xLabel: "exported bytes (log scale)", yLabel: "validation MAPE (%)",
                      series: [Chart.Series(name: "Pareto front", xs: candidates.filter { front.contains($0.name) }.map { Double($0.bytes) },
                                            ys: candidates.filter { front.contains($0.name) }.map(\.validationMAPE), style: .line),
                               Chart.Series(name: "within budget", xs: candidates.filter(\.passes).map { Double($0.bytes) },
                                            ys: candidates.filter(\.passes).map(\.validationMAPE), style: .points, markers: ["●"],
                                            labels: candidates.filter(\.passes).map(\.name), emphasised: true),
                               Chart.Series(name: "over budget", xs: candidates.filter { !$0.passes }.map { Double($0.bytes) },
                                            ys: candidates.filter { !$0.passes }.map(\.validationMAPE), style: .points, markers: ["○"],
                                            labels: candidates.filter { !$0.passes }.map(\.name)),
                               Chart.Series(name: "budget \(fixed(limit, 2))%", xs: [Double(candidates.first?.bytes ?? 1), Double(candidates.last?.bytes ?? 2)],
                                            ys: [limit, limit], style: .line)])
    chart.xLog = true
    chart.xFormat = .bytes
    if !candidates.isEmpty { lines.append(chart.renderTerminal(width: 80, height: 12, color: context.color)) }
    context.attachments.append(.chart(chart, slug: "shrink"))

    guard let winner = best else {
      workspace.lastShrinkLog = log + ["no candidate was within budget"]
      return (lines + ["no candidate is within +\(formatNumber(budget)) of \(ref.name)'s validation MAPE; nothing was added (try a larger budget or time=)"]).joined(separator: "\n")
    }
    if let maxBytes, winner.bytes > maxBytes {
      workspace.lastShrinkLog = log + ["the smallest within budget, \(winner.name), is \(winner.bytes) bytes: over max_bytes=\(maxBytes)"]
      return (lines + ["none fits: the smallest model within budget, \(winner.name), is \(winner.bytes) bytes, over max_bytes=\(maxBytes); nothing was added (a larger budget or more time may find one)"]).joined(separator: "\n")
    }

    // Adopt the winner's chain: its models and canonical commands (seeds included).
    var adopted = workspace
    let recordedNames = Set(winner.chain)
    var chainCommands = scratch.workspace.recorded.filter { $0.asName.map(recordedNames.contains) ?? false }
    for name in winner.chain {
      guard adopted.models[name] == nil else { continue }
      adopted.add(scratch.workspace.models[name]!)
    }
    var resultName = winner.name
    if let finalName, finalName != winner.name, !chainCommands.isEmpty {
      var entry = adopted.models[winner.name]!
      adopted.models[winner.name] = nil
      adopted.modelOrder.removeAll { $0 == winner.name }
      chainCommands[chainCommands.count - 1].asName = finalName
      entry.name = finalName
      entry.lineage[entry.lineage.count - 1] = chainCommands[chainCommands.count - 1].render()
      // The name is in the file's header, so the bytes change with it.
      chainCommands[chainCommands.count - 1].results = [Engine.modelResult(entry)]
      adopted.add(entry)
      resultName = finalName
    }
    adopted.currentModel = resultName
    adopted.recorded += chainCommands
    adopted.lastShrinkLog = log + ["chose \(winner.name): \(winner.recipe), \(winner.bytes) bytes, validation MAPE \(fixed(winner.validationMAPE, 3)) (limit \(fixed(limit, 3))); \(stopReason)"]
    workspace = adopted
    journal?.append(chainCommands)
    let testRef = try workspace.evaluate(ref.name), testWin = try workspace.evaluate(resultName)
    let delta = testWin.mape - testRef.mape
    let finalBytes = workspace.models[resultName]!.artifact().count
    lines.append("result: \(resultName) = \(winner.recipe): \(finalBytes) bytes (\(fixed(Double(ref.artifact().count) / Double(finalBytes), 1))x smaller than \(ref.name))")
    lines.append("  test MAPE \(fixed(testWin.mape, 3)) +/- \(fixed(testWin.mapeStd, 3)) against \(fixed(testRef.mape, 3)): \(delta >= 0 ? "+" : "")\(fixed(delta, 3)) pp (\(delta <= budget ? "within" : "OVER") the budget on the test set too)")
    lines.append("  recorded \(chainCommands.count) commands that rebuild it without searching: " + chainCommands.map { $0.verb }.joined(separator: ", "))
    return lines.joined(separator: "\n")
  }
}
