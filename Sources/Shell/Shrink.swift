// shrink in the shell: its options, and the report of a search (Workbench/Operations/Shrink.swift
// has the search itself): every candidate in a table and on a plot, and the winner's test MAPE.

import Foundation
import Workbench

extension SearchCommands {
  static let shrinkOptions: [OptionSpec] = [
    OptionSpec(
      "budget", "+0.5",
      "what the result may lose against the reference in the headline metric (set metric=; MAPE points by "
        + "default), on the validation windows"),
    OptionSpec("max_bytes", "", "the device's limit on the exported artifact (default: none)"),
    OptionSpec("time", "15m", "stop searching after this long (e.g. 90s, 10m, 1h; 0 trains nothing)"),
    OptionSpec("epochs", "50", "training epochs of each student (early stopping applies)"),
    OptionSpec("ft_epochs", "20", "fine-tuning epochs after pruning"),
    OptionSpec("runs", "", "replicas per candidate (default: the reference's)"),
    OptionSpec("seed", "", "seed of the first candidate (default: drawn; every command records its own)"),
    OptionSpec("linear", "on", "try linear models of the reference's window first", values: ["off", "on"]),
    OptionSpec(
      "networks", "on", "try LSTMs and GRUs of 2, 4, 8 units reading the level and calendar", values: ["off", "on"]),
    OptionSpec("beat", "", "a model every candidate must also score better than, e.g. beat=ets"),
    OptionSpec("lookbacks", "", "other window lengths for the linear models and networks, e.g. lookbacks=28,56"),
    OptionSpec(
      "engine", "inprocess", "where candidates train: here, as processes (local) or as a Slurm job array",
      values: SweepEngine.allCases.map(\.rawValue)),
    OptionSpec("dir", "", "engine=local|slurm: the folder of the trainings' sessions and results (shrink-NAME)"),
    OptionSpec("jobs", "", "engine=local: trainings at once (default: the cores)"),
    OptionSpec("submit", "off", "engine=slurm: submit each group of trainings and wait for it", values: ["off", "on"]),
  ]

  static let shrink = Command(
    "shrink", group: .compress, usage: "shrink [NAME] budget=+0.5 [max_bytes=N] [time=15m] [as NAME]",
    summary: "search for the smallest exported model within a budget of NAME's accuracy (the headline metric)",
    details: """
      Tries, smallest first: linear models of NAME's window (plain, and with each window's level,
      the forecast day's weekday and 3 yearly harmonics, fitted on absolute errors; float32 and
      int8; linear=off skips them); LSTMs and GRUs of 2, 4 and 8 units reading the same inputs,
      trained directly on absolute errors (float32 and int8; networks=off skips them), on NAME's
      window and on each length in lookbacks= (the windows cut again; a winner there records its
      'window' command before its own and the reference's after); students
      distilled from NAME with fewer hidden units (16, 12, 8,
      6, 4 for a 64-unit reference; wider ones only if those miss the budget), each stored in
      uint8 per tensor and int8 per channel; then magnitude pruning at 50/70/30% with per-matrix
      levels capped by a sensitivity analysis, fine-tuned with the masks kept, then int8.
      A candidate passes when its validation score (the headline metric, MAPE unless 'set
      metric=' says otherwise; mean over the runs) is within budget of
      NAME's; with beat=MODEL it must also score better than MODEL on the same windows (a model
      fitted on them, as ETS is, scores in-sample there: a strict rival). The smallest passing
      artifact wins; with max_bytes it must also fit. Prints every
      candidate on a table and a plot with the Pareto front, and records the winner's commands
      (so the session replays without searching). 'explain shrink' shows the last search's log.
      engine=local trains the candidates as processes (jobs= at a time), engine=slurm as Slurm
      job arrays (submit=on submits and waits; without it the script is written and the same
      shrink, run again after it, goes on from the results): each training is a session in
      dir= that loads its inputs from bundles there and writes its model back as one. The
      search judges them here exactly as in-process, with the same seeds: the same candidates,
      numbers and winner, though it trains some candidates the in-process search would skip
      (and time= does not apply). The same shrink again trains only what has no result.
      """,
    options: shrinkOptions,
    example: "shrink lstm64 budget=+0.5 max_bytes=2048", recording: .always
  ) { ws, inv, ctx in try runShrink(&ws, &inv, ctx) }

  static func runShrink(_ ws: inout Workspace, _ inv: inout Invocation, _ ctx: ShellContext) throws -> CommandOutput {
    try inv.requireWordCount(0...1, usage: "shrink [NAME] budget=+0.5 [max_bytes=N] [time=15m] [as NAME]")
    var spec = ShrinkSpec()
    spec.reference = inv.word(0)?.text
    let budgetText = try inv.string("budget")
    guard let budget = Double(budgetText.hasPrefix("+") ? String(budgetText.dropFirst()) : budgetText), budget >= 0,
      budget <= 100
    else {
      throw CommandError(
        "budget=\(budgetText): give the MAPE points the result may lose, e.g. budget=+0.5",
        column: inv.options["budget"]?.column)
    }
    spec.budget = budget
    if inv.options["max_bytes"] != nil { spec.maxBytes = try inv.int("max_bytes", in: 64...1_000_000_000) }
    spec.timeText = try inv.string("time")
    guard let timeLimit = ShrinkSpec.parseDuration(spec.timeText) else {
      throw CommandError(
        "time=\(spec.timeText): give a duration such as 90s, 10m or 1h", column: inv.options["time"]?.column)
    }
    spec.timeLimit = timeLimit
    spec.epochs = try inv.int("epochs", in: 1...100_000)
    spec.finetuneEpochs = try inv.int("ft_epochs", in: 1...100_000)
    if inv.options["runs"] != nil { spec.runs = try inv.int("runs", in: 1...100) }
    if let s = inv.optionalString("seed") {
      guard let v = UInt64(s), v < 1 << 40 else {
        throw CommandError("seed=\(s) is not a whole number", column: inv.options["seed"]?.column)
      }
      spec.seed = v
    }
    spec.linear = try inv.flag("linear")
    spec.networks = try inv.flag("networks")
    spec.beat = inv.optionalString("beat")
    if let text = inv.optionalString("lookbacks") {
      let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !values.isEmpty, values.allSatisfy({ $0 != nil && (1...365).contains($0!) }) else {
        throw CommandError(
          "lookbacks=\(text): give window lengths of 1 to 365 days, separated by commas (e.g. lookbacks=28,56)",
          column: inv.options["lookbacks"]?.column)
      }
      spec.lookbacks = values.map { $0! }
    }
    spec.name = inv.asName
    let trainer = try fanoutTrainer(&inv, ws, ctx, reference: spec.reference)
    try inv.checkAllConsumed()
    let outcome = try ws.shrink(spec, progress: ctx.progress(notePrefix: "shrink: "), trainer: trainer)
    return render(outcome, ctx)
  }

  /// engine=local|slurm: the trainer that runs the candidates' trainings elsewhere (nil: here).
  static func fanoutTrainer(_ inv: inout Invocation, _ ws: Workspace, _ ctx: ShellContext, reference: String?)
    throws -> FanoutTrainer?
  {
    var options = FanoutOptions()
    options.engine = SweepEngine(rawValue: try inv.choice("engine"))!
    options.dir = inv.optionalString("dir")
    options.jobs = inv.options["jobs"] != nil ? try inv.int("jobs", in: 1...256) : nil
    options.submit = try inv.flag("submit")
    try options.check(runs: "trainings", example: "shrink lstm64 budget=+0.5 engine=local jobs=2")
    let engine = options.engine
    guard engine != .inprocess else { return nil }
    if let time = inv.options["time"] {
      throw CommandError(
        "time= bounds an in-process search; with engine=\(engine.rawValue) every planned candidate is trained",
        column: time.column)
    }
    guard let executable = Fanout.executable else {
      throw CommandError("engine=\(engine.rawValue) needs the tinycast executable, which is unknown here")
    }
    let given = options.dir ?? "shrink-\(reference ?? ws.models.current ?? "model")"
    let count = options.jobs ?? ProcessInfo.processInfo.activeProcessorCount
    return FanoutTrainer(
      engine: engine, dir: try ctx.outputPath(given, overwrite: true), shown: ctx.shown(given), jobs: count,
      threads: max(1, ws.threads / count), submit: options.submit, executable: executable, emit: ctx.emit,
      shouldStop: ctx.shouldStop)
  }

  /// The table and plot of every candidate, then the verdict. Only the winner's commands are
  /// recorded (with their seeds): the session replays without searching. Nothing is recorded
  /// when nothing was added.
  static func render(_ outcome: ShrinkOutcome, _ context: ShellContext) -> CommandOutput {
    let ref = outcome.reference
    let refVal = outcome.referenceValidationScore
    let limit = outcome.limit
    let budget = outcome.budget
    let tried = outcome.candidates
    let stopReason = outcome.stopReason
    var best: ShrinkCandidate?
    switch outcome.verdict {
    case .noneWithinBudget: best = nil
    case .tooLarge(let c, _), .adopted(let c, _, _, _, _, _): best = c
    }
    // The result.
    let candidates = tried.sorted { $0.bytes < $1.bytes }
    let front = Set(
      paretoFront(xs: candidates.map { Double($0.bytes) }, ys: candidates.map(\.validationScore)).map {
        candidates[$0].name
      })
    var lines = [
      "shrink \(ref.name) budget=+\(formatNumber(budget)): \(tried.count) candidates in "
        + "\(duration(outcome.seconds)); \(stopReason)"
    ]
    let width = min(candidates.map(\.name.count).max() ?? 10, 32)
    lines.append(
      "  " + "candidate".padding(toLength: width, withPad: " ", startingAt: 0) + "    bytes"
        + "val \(outcome.metric.label)".leftPadded(10) + "   delta")
    for c in candidates {
      lines.append(
        "  " + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + "\(c.bytes)".leftPadded(9)
          + fixed(c.validationScore, 3).leftPadded(10)
          + ((c.validationScore - refVal >= 0 ? "+" : "") + fixed(c.validationScore - refVal, 3)).leftPadded(8)
          + (c.passes ? "" : "  over budget") + (front.contains(c.name) ? "  front" : "")
          + (c.name == best?.name ? "  <- smallest within budget" : ""))
    }
    var chart = Chart(
      title: "shrink \(ref.name): every candidate (validation \(outcome.metric.label))",
      xLabel: "exported bytes (log scale)",
      yLabel: "validation \(outcome.metric.label)" + (outcome.metric.suffix.isEmpty ? "" : " (%)"),
      series: [
        Chart.Series(
          name: "Pareto front", xs: candidates.filter { front.contains($0.name) }.map { Double($0.bytes) },
          ys: candidates.filter { front.contains($0.name) }.map(\.validationScore), style: .line),
        Chart.Series(
          name: "within budget", xs: candidates.filter(\.passes).map { Double($0.bytes) },
          ys: candidates.filter(\.passes).map(\.validationScore), style: .points, markers: ["●"],
          labels: candidates.filter(\.passes).map(\.name), emphasised: true),
        Chart.Series(
          name: "over budget", xs: candidates.filter { !$0.passes }.map { Double($0.bytes) },
          ys: candidates.filter { !$0.passes }.map(\.validationScore), style: .points, markers: ["○"],
          labels: candidates.filter { !$0.passes }.map(\.name)),
        Chart.Series(
          name: "budget \(fixed(limit, 2))%",
          xs: [Double(candidates.first?.bytes ?? 1), Double(candidates.last?.bytes ?? 2)],
          ys: [limit, limit], style: .line),
      ])
    chart.xLog = true
    chart.xFormat = .bytes
    if !candidates.isEmpty { lines.append(chart.renderTerminal(width: 80, height: 12, color: context.color)) }
    // The frontier the search found, read at the sizes devices offer.
    let kilobytes = [1, 2, 4, 16]
    let bests = bestWithin(
      kilobytes.map { Double($0 * 1024) }, xs: candidates.map { Double($0.bytes) },
      ys: candidates.map(\.validationScore))
    var within: [String] = []
    for (kb, best) in zip(kilobytes, bests) {
      let text = best.map { "\(candidates[$0].name) \(fixed(candidates[$0].validationScore, 3))" } ?? "none"
      within.append("\(kb) KB \(text)")
    }
    if !candidates.isEmpty {
      lines.append("best validation \(outcome.metric.label) within: " + within.joined(separator: "; "))
    }
    let attachments = [CellAttachment.chart(chart, slug: "shrink")]

    switch outcome.verdict {
    case .noneWithinBudget:
      let text =
        (lines + [
          "no candidate is within +\(formatNumber(budget)) of \(ref.name)'s validation \(outcome.metric.label); "
            + "nothing was added "
            + "(try a larger budget or time=)"
        ]).joined(separator: "\n")
      return CommandOutput(text, recorded: [], attachments: attachments)
    case .tooLarge(let winner, let maxBytes):
      let text =
        (lines + [
          "none fits: the smallest model within budget, \(winner.name), is \(winner.bytes) bytes, over "
            + "max_bytes=\(maxBytes); nothing was added (a larger budget or more time may find one)"
        ]).joined(separator: "\n")
      return CommandOutput(text, recorded: [], attachments: attachments)
    case .adopted(let winner, let resultName, let finalBytes, let testWin, let testRef, let commands):
      let metric = outcome.metric
      let (won, against) = (metric.of(testWin), metric.of(testRef))
      let delta = won - against
      let spread = metric == .mape ? " +/- \(fixed(testWin.mapeStd, 3))" : ""
      let ratio = fixed(Double(ref.artifact().count) / Double(finalBytes), 1)
      lines.append("result: \(resultName) = \(winner.recipe): \(finalBytes) bytes (\(ratio)x smaller than \(ref.name))")
      lines.append(
        "  test \(metric.label) \(fixed(won, 3))\(spread) against \(fixed(against, 3)): "
          + "\(signed(delta, 3)) \(metric.deltaUnit) (\(delta <= budget ? "within" : "OVER") the budget on the "
          + "test set too)"
      )
      lines.append(
        "  recorded \(commands.count) commands that rebuild it without searching: "
          + commands.map { $0.verb }.joined(separator: ", "))
      return CommandOutput(lines.joined(separator: "\n"), recorded: commands, attachments: attachments)
    }
  }
}
