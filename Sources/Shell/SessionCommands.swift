// Session commands: param, save, history, help, explain, quit.

import Foundation
import SalesData
import Workbench

public enum TinycastVersion {
  public static let string = "0.1.0"
  public static let sessionFormat = 1
}

enum SessionCommands {
  static let all: [Command] = [param, save, restore, history, help, explain, quit]

  /// Run by the engine itself (it replays lines); listed here for help and completion.
  static let restore = Command(
    "restore", group: .session, usage: "restore [PATH]",
    summary: "replay the session an abrupt exit left behind (or a session file) into this workspace",
    details: """
      The shell journals every successful command to ~/.tinycast/autosave.tcs. If it was closed
      without 'quit' or Ctrl-D (a crash, a killed terminal), the next start says so and keeps
      the journal; 'restore' replays it. 'restore PATH' replays any session file.
      """,
    example: "restore"
  ) { engine, tokens in try engine.restore(tokens) }

  static let param = Command(
    "param", group: .session, usage: "param KEY=DEFAULT",
    summary: "declare a session parameter; $KEY expands to it, 'tinycast run --set KEY=VALUE' overrides it",
    example: "param epochs=50", recording: .never
  ) { ws, inv, ctx in
    guard inv.words.isEmpty, inv.options.count == 1, let (key, token) = inv.options.first else {
      throw CommandError("usage: param KEY=DEFAULT")
    }
    guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
      throw CommandError("'\(key)' is not a parameter name", column: token.column)
    }
    let value = ctx.overrides[key] ?? token.text
    ws.params[key] = value
    inv.options = [:]
    return CommandOutput("$\(key) = \(value)\(ctx.overrides[key] != nil ? " (set on the command line)" : "")")
  }

  static let save = Command(
    "save", group: .session, usage: "save session|notebook|data PATH",
    summary: "write the session as a replayable .tcs file, a lab notebook (Markdown or Jupyter), or the data",
    details: """
      save session PATH: '#! tinycast-session 1' and provenance lines, then one canonical
      command per line (every default and seed explicit). 'tinycast run PATH' replays it to the
      same numbers.
      save notebook PATH.md: every command of this session with its output; tables as Markdown
      tables, plots as SVG files beside it (PATH-N-KIND.svg) and linked.
      save notebook PATH.ipynb: the same as a Jupyter notebook (nbformat 4.5), one code cell per
      command, tables as Markdown results, plots as SVG display data, all in the one file.
      save data PATH.csv: the current dataset as Tinycast reads it (date,store,item,sales, then
      its covariate columns; names where the file named stores and items), one row per series
      and day: the built-in demo data for a spreadsheet or a reference script.
      Writes are atomic: a file is the old version or the new one, never half of each.
      """,
    options: [
      OptionSpec.overwrite
    ],
    example: "save session my-experiment.tcs", recording: .never
  ) { ws, inv, ctx in
    try inv.requireWordCount(2...2, usage: "save session|notebook|data PATH")
    let what = inv.words[0].text
    guard ["session", "notebook", "data"].contains(what) else {
      throw CommandError(
        "save what?", hint: "usage: save session PATH, save notebook PATH.md|PATH.ipynb or save data PATH.csv",
        column: inv.words[0].column)
    }
    let overwrite = try inv.flag("overwrite")
    try inv.checkAllConsumed()
    let given = inv.words[1].text
    let path = try ctx.outputPath(given, overwrite: overwrite)
    if what == "data" {
      let d = try ws.dataset()
      let csv = salesCSV(d.dataset)
      try AtomicFile.write(Array(csv.text.utf8), to: path)
      return CommandOutput(
        "wrote \(ctx.shown(given)): \(csv.rows) rows of \(d.name) (\(d.dataset.series.count) series)")
    }
    if what == "notebook" {
      if given.lowercased().hasSuffix(".ipynb") {
        try Notebook.writeJupyter(ctx.cells, to: path)
        return CommandOutput("wrote \(ctx.shown(given)): \(ctx.cells.count) cells (Jupyter, nbformat 4.5)")
      }
      guard given.lowercased().hasSuffix(".md") else {
        throw CommandError(
          "\(given): a notebook is Markdown (.md) or Jupyter (.ipynb)", column: inv.words[1].column)
      }
      let svgs = try Notebook.write(ctx.cells, to: path)
      return CommandOutput(
        "wrote \(ctx.shown(given)): \(ctx.cells.count) cells"
          + (svgs.isEmpty ? "" : ", \(svgs.count) SVG plots beside it"))
    }
    let text = SessionFile.render(ws.recorded, directory: (path as NSString).deletingLastPathComponent)
    try AtomicFile.write(Array(text.utf8), to: path)
    return CommandOutput("saved \(ws.recorded.count) commands to \(ctx.shown(given))")
  }

  static let history = Command(
    "history", group: .session, usage: "history", summary: "the commands of this session, numbered",
    recording: .never
  ) { _, inv, ctx in
    try inv.requireWordCount(0...0, usage: "history")
    try inv.checkAllConsumed()
    return CommandOutput(
      ctx.history.enumerated().map { "\(pad($0.offset + 1, 1000))  \($0.element)" }.joined(separator: "\n"))
  }

  static let help = Command(
    "help", group: .help, usage: "help [COMMAND]", summary: "list the commands, or show one in full",
    example: "help train", recording: .never
  ) { _, inv, ctx in
    try inv.requireWordCount(0...1, usage: "help [COMMAND]")
    try inv.checkAllConsumed()
    // In a terminal, lines break at words within its width (never inside 'quantization').
    func fit(_ text: String) -> String { ctx.terminalWidth?().map { wrapped(text, width: $0) } ?? text }
    if let word = inv.word(0) {
      return CommandOutput(fit(try CommandTable.lookup(word.text, column: word.column).helpText))
    }
    var lines: [String] = []
    let width = CommandTable.all.map { $0.name.count }.max() ?? 0
    for group in CommandGroup.allCases {
      let commands = CommandTable.all.filter { $0.group == group }
      guard !commands.isEmpty else { continue }
      lines.append("\(group.rawValue):")
      for c in commands {
        lines.append("  \(c.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(c.summary)")
      }
    }
    lines.append(
      "'help COMMAND' shows its options and an example; 'explain TOPIC' teaches "
        + "(\(Explain.topics.keys.sorted().joined(separator: ", ")))."
    )
    return CommandOutput(fit(lines.joined(separator: "\n")))
  }

  static let explain = Command(
    "explain", group: .help, usage: "explain [TOPIC]",
    summary: "a short lesson on a topic, with this workspace's numbers where it can",
    example: "explain mape", recording: .never
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...1, usage: "explain [TOPIC]")
    try inv.checkAllConsumed()
    guard !inv.words.isEmpty else {
      return CommandOutput(
        "explain TOPIC teaches one of: \(Explain.topics.keys.sorted().joined(separator: ", ")) (e.g. 'explain mape')")
    }
    let topic = inv.words[0].text
    guard let lesson = Explain.topics[topic] else {
      throw CommandError(
        "no lesson on '\(topic)'",
        hint: suggestion(for: topic, among: Array(Explain.topics.keys)).map { "did you mean '\($0)'?" }
          ?? "topics: \(Explain.topics.keys.sorted().joined(separator: ", "))")
    }
    let text = lesson(&ws)
    return CommandOutput(ctx.terminalWidth?().map { wrapped(text, width: $0) } ?? text)
  }

  static let quit = Command(
    "quit", group: .session, usage: "quit", summary: "leave the shell (Ctrl-D also does)", recording: .never
  ) { _, inv, _ in
    try inv.requireWordCount(0...0, usage: "quit")
    throw QuitRequest()
  }
}

struct QuitRequest: Error {}

/// Writing and reading session files (.tcs).
public enum SessionFile {
  public static let header = "#! tinycast-session"

  public static func render(_ commands: [RecordedCommand], directory: String?) -> String {
    var lines = [
      "\(header) \(TinycastVersion.sessionFormat)",
      "#! tool tinycast \(TinycastVersion.string)",
      "#! recorded \(ISO8601DateFormatter().string(from: Date()))",
    ]
    for c in commands {
      lines.append(c.render(relativeTo: directory))
      lines += c.results.map { "\(resultPrefix) \($0)" }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Marks a line of results under a command (a comment to older readers).
  public static let resultPrefix = "#=>"
}

enum Explain {
  typealias Lesson = @Sendable (inout Workspace) -> String
  static let topics: [String: Lesson] = [
    "mape": { ws in
      var s = """
        MAPE, mean absolute percentage error: 100 * mean(|actual - forecast| / |actual|), in sales
        units, over the test days. Days with zero sales have no percentage error and are left out
        (eval says how many). It weighs a miss of 2 units on a 10-unit day like a miss of 20 on a
        100-unit day, so slow items count as much as fast ones. sMAPE divides by the mean of
        actual and forecast instead; WAPE divides total error by total sales.
        """
      if let name = ws.models.current, let r = try? ws.metrics(of: name) {
        s += "\n\(name) here: MAPE \(fixed(r.mape, 2))%, sMAPE \(fixed(r.smape, 2))%, WAPE \(fixed(r.wape, 2))%."
      }
      return s
    },
    "baselines": { _ in
      """
      Baselines learn nothing: naive-last forecasts yesterday's sales, seasonal-naive the same
      weekday last week (y[t-7]), seasonal-mean the mean of y[t-7] and y[t-14]. Retail sales
      repeat weekly, so seasonal-naive is hard to beat by a lot. A model that cannot beat them
      has not earned its bytes; every 'compare' shows them.
      """
    },
    "sizing": { ws in
      var s = """
        An LSTM with H units and D inputs has 4H(D + H + 1) weights, plus H + 1 for the Dense head:
        LSTM-64 has 16,961, LSTM-32 4,385, LSTM-16 1,169. The article counts KB as parameters x 4
        bytes / 1024. 'bytes' in compare is the exported artifact: header, scaler and checksum too.
        """
      if let name = ws.models.current, let m = ws.models[name] {
        s += "\n\(name) here: \(m.parameterCount) parameters, \(m.artifact().count) bytes exported."
      }
      return s
    },
    "pruning": { ws in
      var s = """
        Magnitude pruning zeroes the weights with the smallest absolute values, on the kernels only
        (biases are few and matter). 'prune 0.7' gives each weight matrix its own threshold so each
        loses exactly 70%; scope=global uses one threshold, so sensitive matrices keep more.
        Pruning at once hurts; 'finetune' at a low learning rate recovers most of it while the
        mask keeps pruned weights at exactly zero. schedule=agp prunes gradually during
        fine-tuning (Zhu & Gupta 2017), which usually recovers more. Zeros only save bytes with a
        sparse encoding: the exported file stores a bitmask (1 bit per weight) and the nonzero
        values, so 70% zeros in float32 save about 67%, not 70%. structured=on removes whole
        hidden units instead: a smaller dense LSTM, which also saves time.
        """
      if let name = ws.models.current, let m = ws.models[name], m.pruned {
        s +=
          "\n\(name) here: \(m.parameterCount - m.nonzeroCount) of \(m.parameterCount) parameters are zero; its file "
          + "is \(m.artifact().count) bytes."
      }
      return s
    },
    "quantization": { _ in
      """
      Quantization stores weights in fewer bits. float16 halves the kernels' bytes with almost no
      error. The article's INT8 simulates uint8 storage per tensor: scale = (max - min)/255 and a
      zero point, then computes in float. Tinycast's default int8 is per output channel and
      symmetric (scale = max|w|/127 for each gate unit), and runs on an integer path: the input
      and the hidden state are quantized to int8 too, the products are int8 x int8 summed in
      int32, then rescaled; the cell state stays float32, and the gates use the integer path's
      own sigmoid and tanh, read from a small table of tanh pieces (no exp, no division; within
      6e-6 of the exact functions). The MAPE it reports comes from that integer path. Zero
      stays zero, so quantizing a pruned model keeps its sparsity.
      """
    },
    "distillation": { _ in
      """
      Distillation trains a small student on what a big teacher predicts as well as on the truth:
      the student minimises alpha * MSE(student, actual) + (1 - alpha) * MSE(student, teacher),
      the same as the MSE against the blended target alpha * actual + (1 - alpha) * teacher. The
      teacher's forecasts are smoother than daily sales, which is easier for a small network to
      fit. Early stopping still watches the true validation loss.
      """
    },
    "lowrank": { _ in
      """
      Low-rank factorization replaces the recurrent kernel W (H x 4H) by A (H x R) times B (R x 4H),
      taken from its SVD: the R largest singular values. The numbers to store fall from 4H^2 to
      5HR. 'finetune' then trains A and B directly, recovering what the truncation cost.
      """
    },
    "shrink": { ws in
      var s = """
        shrink NAME budget=+B searches for the smallest exported model whose validation MAPE (mean
        over the runs) is at most B points above NAME's. Stage 1 distils students with fewer hidden
        units from NAME, narrowest first (16, 12, 8, ... for LSTM-64), and stops at the first that
        misses the budget: an LSTM's size falls with the square of its width, so width is the big
        lever. Stage 2 stores each passing student (the narrowest first, NAME last) in uint8 per
        tensor and int8 per channel, then prunes it at 50% (70% if that passes, 30% if not), each
        matrix capped at the level its sensitivity tolerates, fine-tunes with the masks kept and
        quantizes again. Sizes are exact before any training, so it never trains a candidate that
        cannot beat the best so far. It judges on the validation windows, never on the test set
        (which only reports the result), stops at time=, and records only the winner's commands.
        Structured pruning is covered by the narrower students (both give a smaller dense LSTM;
        distillation trains it better).
        """
      if !ws.lastShrinkLog.isEmpty {
        s += "\n\nThe last search here:\n" + ws.lastShrinkLog.map { "  " + $0 }.joined(separator: "\n")
      }
      return s
    },
    "inputs": { _ in
      """
      What a network reads at each step. By default the day's sales, scaled to [0, 1] over the
      training days (the article's setting): one network must then serve a store selling 20 a
      day and one selling 200 on the same scale. norm=level divides each window by its own mean
      sales (a multiplicative RevIN) and multiplies the forecast back, so the network learns
      shapes, not sizes. weekday=on and year=K add the weekday (7 channels) and K yearly
      harmonics (2K channels) of the day each step forecasts: the calendar is known in advance.
      On the article's data these inputs take a 4-unit network from worse than exponential
      smoothing to better than it, in 603 bytes (sessions/kilobyte.tcs). The C export computes
      them on the device from the window and the forecast day's date.
      """
    },
    "skip": { _ in
      """
      A linear skip: train kind=gru ... skip=LINEAR trains the network on what the linear model
      LINEAR gets wrong, and forecasts the linear model's forecast plus the network's
      correction. The linear model does the easy part (level, weekday, season) in a few dozen
      weights; the network only has to learn what is left, so a smaller one will do. Its Dense
      head starts at zero: training starts from the linear model, and early stopping keeps a
      correction only if it helps on the validation days. On the article's data a GRU-2
      correcting a 168-byte linear model scores 13.45 MAPE in 557 bytes, against 13.75 for the
      linear model alone and 13.48 for a GRU-4 alone (sessions/kilobyte.tcs). Pruning,
      quantization, the model file and the C library all keep the linear model.
      """
    },
    "covariates": { ws in
      var s = """
        Covariates are what a retailer knows besides past sales: a promotion flag, a price. Load
        them with the data (load csv FILE covariates=promo,price; date=, store=, item=, sales=
        name the other columns when the file calls them otherwise) and give them to a network:
        train kind=gru ... covariates=promo. Each becomes an input channel, min-max scaled on the
        training days. Step t reads the value of the day it forecasts, so the last step knows
        the forecast day's promotion: planned in advance, it is the one thing past sales cannot
        foretell. ahead=off reads each step's own day instead, for a value known only afterwards
        (it still explains the spikes in the window, but not tomorrow's). With window steps=S the
        last step reads all S forecast days' values. The C library takes the values day by day.
        The linear yardstick reads them too (train kind=linear ... covariates=promo: the
        forecast day's values), so a network is never measured against a model denied them.
        On a file whose promotions double sales on random days a GRU-6 goes from 14.9 MAPE to
        5.0 with the flag (12.0 with ahead=off), the linear model from 15.1 to 9.4.
        """
      if let d = try? ws.dataset() {
        let names = d.windows.covariateNames
        s += "\n\(d.name) here: " + (names.isEmpty ? "no covariates." : "covariates \(names.joined(separator: ", ")).")
      }
      return s
    },
    "steps": { _ in
      """
      A replenishment order is placed a week ahead, so what matters is the error on each day of
      the coming week, not only tomorrow. 'window steps=7' makes every window forecast its next
      7 days at once: a network gets a Dense(7) head trained on all 7 targets (a direct
      multi-output forecast: no forecast is fed back as an input, so errors do not compound);
      ETS and Theta forecast each day from one state per series; the naive rules use only what
      was known at the window's end. eval and compare report each day's MAPE beside the average
      (the compare JSON's mape_by_step). The test windows start their targets on the same first
      test day as one-day windows, and keep all 7 targets inside the series. On the article's
      data a 1,211-byte GRU-8 reading each window's level and the calendar keeps day 7 as good
      as day 1 (13.6 MAPE), where ETS drifts from 14.0 to 14.8 (sessions/week-ahead.tcs).
      """
    },
    "gru": { _ in
      """
      The GRU (Cho et al. 2014; Keras' reset_after=True form) has three gates where the LSTM has
      four, and no separate cell state: z decides how much of the old state to keep, r how much
      of it the candidate n sees: h = z h + (1 - z) n, n = tanh(x Wx + r (h Wh + b)). So a GRU has
      three quarters of an LSTM's weights at the same width, and often forecasts as well. Every
      compression command and export treats it as it treats the LSTM.
      """
    },
    "seeds": { _ in
      """
      Every random number comes from a seeded generator in the workspace. 'train' without seed=
      draws one from the workspace's seed source and the recorded session writes it down, so a
      replay trains exactly the same weights. runs=3 trains seeds N, N+1, N+2. Thread count
      never changes results: batches are cut into fixed shards summed in a fixed order.
      """
    },
  ]
}

/// A dataset as the CSV Tinycast reads: date,store,item,sales and the covariate columns, series by
/// series, day by day (numbers printed so they read back to the same Float).
func salesCSV(_ d: SalesDataset) -> (text: String, rows: Int) {
  var lines = [(["date", "store", "item", "sales"] + d.covariateNames).joined(separator: ",")]
  for s in d.series {
    let store = s.storeName ?? String(s.store)
    let item = s.itemName ?? String(s.item)
    for (t, v) in s.values.enumerated() {
      let covariates = s.covariates.map { column in "\(column[t])" }
      let sales = v == v.rounded() && abs(v) < 1e7 ? String(Int(v)) : "\(v)"
      lines.append(([CivilDate.format(s.startDay + t), store, item, sales] + covariates).joined(separator: ","))
    }
  }
  return (lines.joined(separator: "\n") + "\n", lines.count - 1)
}
