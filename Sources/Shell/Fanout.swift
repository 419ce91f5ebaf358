// Fan-out: `sweep ... engine=local|slurm dir=DIR` runs each point of a sweep as its own process,
// on this machine or as a Slurm job array, and `tinycast merge DIR` gathers what they found.
//
// DIR holds everything a point needs and everything it gives back:
//   sweep.json      the plan: the sweep, its points, the headline metric
//   point-K.tcs     point K as a self-contained session: the session so far (the commands that
//                   made the workspace), point K's command, then `compare to=point-K.json`
//   point-K.json    its result, written atomically when the point ends (so a point either has
//                   a whole result or none)
//   point-K.log     what it printed (for a failed point, why)
//   sweep.sbatch    the Slurm array script (engine=slurm)
// Each point replays the session from the start, so its numbers are the numbers of the same
// commands typed here, bit for bit; merging reads them back exactly (ComparisonFile.swift).

import Foundation
import Workbench

#if canImport(Glibc)
  import Glibc
#endif

/// Where a sweep's points run.
public enum SweepEngine: String, Sendable, CaseIterable {
  case inprocess, local, slurm
}

/// The options `sweep` takes for itself (the rest belong to the swept command).
struct FanoutOptions {
  var engine = SweepEngine.inprocess
  var dir: String?
  var jobs: Int?
  var submit = false

  static let keys: Set<String> = ["engine", "dir", "jobs", "submit"]

  /// Takes the fan-out options out of `tokens`.
  static func take(_ tokens: inout [Token]) throws(CommandError) -> FanoutOptions {
    var options = FanoutOptions()
    var kept: [Token] = []
    for t in tokens {
      guard let key = t.key, keys.contains(key) else {
        kept.append(t)
        continue
      }
      switch key {
      case "engine":
        guard let engine = SweepEngine(rawValue: t.text) else {
          throw CommandError(
            "engine=\(t.text): say inprocess, local or slurm", column: t.column)
        }
        options.engine = engine
      case "dir": options.dir = t.text
      case "jobs":
        guard let n = Int(t.text), (1...256).contains(n) else {
          throw CommandError("jobs=\(t.text): give a whole number of processes, 1 to 256", column: t.column)
        }
        options.jobs = n
      default:
        guard ["on", "off"].contains(t.text) else {
          throw CommandError("submit=\(t.text): say on or off", column: t.column)
        }
        options.submit = t.text == "on"
      }
    }
    tokens = kept
    try options.check(runs: "points", example: "sweep units=64,32 train engine=local jobs=2 dir=sweep-units")
    return options
  }

  /// The options fit the engine: dir=, jobs= and submit= only where they mean something.
  /// `runs` names what engine=local starts (points, trainings); `example` is a right use.
  func check(runs what: String, example: String) throws(CommandError) {
    if engine == .inprocess, dir != nil || jobs != nil || submit {
      throw CommandError("dir=, jobs= and submit= are for engine=local or engine=slurm", hint: "e.g. \(example)")
    }
    if engine == .local, submit {
      throw CommandError("submit=on is for engine=slurm; engine=local runs the \(what) at once")
    }
  }
}

/// A sweep's plan on disk (sweep.json).
public struct SweepPlan: Equatable, Sendable {
  public var sweep: String
  public var key: String
  public var values: [String]
  public var lines: [String]
  public var metric: String
  public static let format = "tinycast-sweep 1"

  public var count: Int { values.count }
  public static func session(_ k: Int) -> String { "point-\(k).tcs" }
  public static func result(_ k: Int) -> String { "point-\(k).json" }
  public static func log(_ k: Int) -> String { "point-\(k).log" }

  func json() -> Data {
    let points = (1...count).map { k -> [String: Any] in
      [
        "point": k, "value": values[k - 1], "line": lines[k - 1], "session": Self.session(k), "result": Self.result(k),
        "log": Self.log(k),
      ]
    }
    let object: [String: Any] = [
      "format": Self.format, "sweep": sweep, "key": key, "metric": metric, "points": points,
    ]
    return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
  }

  static func read(_ dir: String) throws(CommandError) -> SweepPlan {
    let path = (dir as NSString).appendingPathComponent("sweep.json")
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CommandError("\(path): no sweep here (a sweep with engine=local or engine=slurm writes it)")
    }
    return try decode(data, path: path)
  }

  /// The plan in `data` (the text of `path`).
  static func decode(_ data: Data, path: String) throws(CommandError) -> SweepPlan {
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
      object["format"] as? String == format, let sweep = object["sweep"] as? String,
      let key = object["key"] as? String, let metric = object["metric"] as? String,
      let points = object["points"] as? [[String: Any]], !points.isEmpty
    else { throw CommandError("\(path): not a Tinycast sweep plan (\(format))") }
    var values: [String] = []
    var lines: [String] = []
    for (k, p) in points.enumerated() {
      guard p["point"] as? Int == k + 1, let value = p["value"] as? String, let line = p["line"] as? String else {
        throw CommandError("\(path): point \(k + 1) is damaged")
      }
      values.append(value)
      lines.append(line)
    }
    return SweepPlan(sweep: sweep, key: key, values: values, lines: lines, metric: metric)
  }
}

/// What `tinycast merge` and a local sweep report.
public struct SweepMerge {
  public var comparison: Comparison?
  public var summary: SweepSummary?
  /// Points without a result, each with why (one line).
  public var missing: [(point: Int, reason: String)]
  public var plan: SweepPlan

  /// Reads DIR's plan and every point's result. Model rows come in point order; the classical
  /// and baseline rows (the same in every point: same data, same test targets) from the first
  /// point that has a result, as `compare` of the models would list them.
  public static func read(_ dir: String) throws(CommandError) -> SweepMerge {
    let plan = try SweepPlan.read(dir)
    var models: [ComparisonRow] = []
    var references: [ComparisonRow]?
    var missing: [(Int, String)] = []
    for k in 1...plan.count {
      let path = (dir as NSString).appendingPathComponent(SweepPlan.result(k))
      guard let data = FileManager.default.contents(atPath: path) else {
        missing.append((k, why(dir, point: k)))
        continue
      }
      let rows: [ComparisonRow]
      do { rows = try ComparisonRow.rows(fromJSON: data, source: path) } catch {
        missing.append((k, error.description))
        continue
      }
      let made = rows.filter { $0.method != "baseline" && $0.method != "classical" }
      // One table is one set of test targets (compare's rule): a point scored on others, or
      // with another number of days per window, does not join it.
      if let first = models.first ?? references?.first ?? rows.first,
        let other = rows.first(where: {
          $0.metrics.count != first.metrics.count || $0.metrics.steps != first.metrics.steps
        })
      {
        missing.append((k, "\(path): \(other.name) was scored on other test targets than \(first.name)"))
        continue
      }
      models += made
      if references == nil { references = rows.filter { $0.method == "baseline" || $0.method == "classical" } }
    }
    var merge = SweepMerge(comparison: nil, summary: nil, missing: missing, plan: plan)
    guard !models.isEmpty else { return merge }
    // A classical row whose model was itself swept is that model's row (compare's rule).
    let others = (references ?? []).filter { r in
      !(r.method == "classical" && models.contains { $0.name == r.name && $0.kind == r.kind })
    }
    let headline = HeadlineMetric(rawValue: plan.metric) ?? .mape
    merge.comparison = Comparison(rows: models + others, reference: models[0].name, headline: headline)
    // The knee needs two sizes or more, each with its bytes.
    let bytes = models.compactMap(\.bytes).filter { $0 > 0 }.map(Double.init)
    if models.count >= 2, bytes.count == models.count {
      merge.summary = SweepSummary(
        names: models.map(\.name), bytes: bytes, metrics: models.map(\.metrics), headline: headline)
    }
    return merge
  }

  /// Why point `k` has no result: its log's error, or that it has not run.
  static func why(_ dir: String, point k: Int) -> String { Fanout.why(dir, log: SweepPlan.log(k)) }

  /// The merged table, the knee and the missing points, as the sweep prints them.
  public func report() -> String {
    var out: [String] = []
    if let comparison { out.append(comparison.renderText()) }
    if let summary { out += SweepReport.lines(key: plan.key, values: plan.values, summary: summary) }
    let done = plan.count - missing.count
    out.append("\(plan.sweep): \(done) of \(plan.count) points merged")
    for (k, reason) in missing {
      out.append("point \(k) (\(plan.key)=\(plan.values[k - 1])) missing: \(reason)")
    }
    return out.joined(separator: "\n")
  }
}

/// The summary lines under a sweep's table: what was swept and where the curve bends.
enum SweepReport {
  static func lines(key: String, values: [String], summary result: SweepSummary) -> [String] {
    let made = result.names
    let (bytes, mapes, label, unit) = (result.bytes, result.scores, result.metric.label, result.metric.deltaUnit)
    var summary = ["sweep \(key)=\(values.joined(separator: ",")): \(made.count) models"]
    switch result.knee {
    case .flat(let smallest, let range, let ratio, let spread):
      summary.append(
        "knee: at or below \(made[smallest]), the smallest swept: \(label) spans only \(fixed(range, 2)) \(unit) over "
          + "\(fixed(ratio, 0))x the bytes, within the runs' spread (std up to \(fixed(spread, 2))); "
          + "sweep smaller sizes to find where it bends")
    case .knee(let k, let smaller, let larger):
      var why: [String] = []
      if let s = smaller {
        why.append("one size down (\(made[s])) \(label) changes by \(signed(mapes[s] - mapes[k])) \(unit)")
      }
      if let l = larger {
        why.append(
          "one size up (\(made[l])) by \(signed(mapes[l] - mapes[k])) \(unit) for "
            + "\(fixed(bytes[l] / bytes[k], 1))x the bytes")
      }
      summary.append(
        "knee: \(made[k]) (\(Int(bytes[k])) bytes, \(label) \(fixed(mapes[k], 2))): " + why.joined(separator: "; "))
    case .none:
      summary.append("knee: none (\(label) does not bend between the smallest and the largest model)")
    }
    return summary
  }
}

/// Running the points: writing DIR, then processes here or a Slurm array.
public enum Fanout {
  /// The tinycast executable the points run (set by the command line at start; a point is
  /// `tinycast run point-K.tcs`).
  nonisolated(unsafe) public static var executable: String?

  /// Writes DIR's plan and point sessions (or checks that DIR holds this same sweep), and the
  /// Slurm script. Returns the points that have no result yet.
  static func prepare(
    _ plan: SweepPlan, dir: String, prefix: [RecordedCommand], models: [String], executable: String
  ) throws(CommandError) -> [Int] {
    let fm = FileManager.default
    let planPath = (dir as NSString).appendingPathComponent("sweep.json")
    if fm.fileExists(atPath: planPath) {
      let existing = try SweepPlan.read(dir)
      guard existing.lines == plan.lines, existing.metric == plan.metric else {
        throw CommandError(
          "\(dir) holds another sweep (\(existing.sweep))", hint: "choose another dir=, or remove that one")
      }
    } else {
      do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
        throw CommandError("cannot create \(dir): \(error.localizedDescription)")
      }
    }
    // The prefix is the workspace's own history; the sessions are rewritten each time (the
    // same text but for the recording date), the results kept.
    let history = SessionFile.render(prefix, directory: dir)
    // After the point's command, the models that were there before leave, so that `compare`
    // (all models) lists what the point made, as the sweep's own table does.
    let drops = models.map { "drop \(Lexer.quoteIfNeeded($0))\n" }.joined()
    for k in 1...plan.count {
      let session =
        history + "# point \(k) of \(plan.count) of: \(plan.sweep)\n\(plan.lines[k - 1])\n" + drops
        + "compare to=\(SweepPlan.result(k)) overwrite=on\n"
      try AtomicFile.write(Array(session.utf8), to: (dir as NSString).appendingPathComponent(SweepPlan.session(k)))
    }
    try AtomicFile.write(Array(plan.json()), to: planPath)
    try AtomicFile.write(
      Array(slurmScript(plan, dir: dir, executable: executable).utf8),
      to: (dir as NSString).appendingPathComponent("sweep.sbatch"))
    return (1...plan.count).filter {
      !fm.fileExists(atPath: (dir as NSString).appendingPathComponent(SweepPlan.result($0)))
    }
  }

  /// The job-array script: task K replays point K in DIR. TINYCAST (the environment) names
  /// another executable, e.g. where the nodes mount it.
  static func slurmScript(_ plan: SweepPlan, dir: String, executable: String) -> String {
    """
    #!/bin/bash
    # Tinycast sweep, one array task per point: \(plan.sweep)
    # Written by Tinycast; submit with `sbatch sweep.sbatch` (or `sweep ... submit=on`, which
    # submits only the points without a result), then gather with `tinycast merge \(dir)`.
    #SBATCH --job-name=tinycast-sweep
    #SBATCH --array=1-\(plan.count)
    #SBATCH --cpus-per-task=1
    #SBATCH --chdir=\(dir)
    #SBATCH --output=\(dir)/point-%a.log
    set -u
    TINYCAST="${TINYCAST:-\(executable)}"
    # Threads change only the speed, never a number: use the CPUs Slurm gave the task.
    export TINYCAST_THREADS="${SLURM_CPUS_PER_TASK:-1}"
    exec "$TINYCAST" run "point-${SLURM_ARRAY_TASK_ID}.tcs"

    """
  }

  /// A session one process replays in DIR: what the progress lines call it, and its files.
  struct Task {
    var label: String
    var session: String
    var log: String
  }

  /// Runs `tasks` as processes, `jobs` at a time, each on `threads` threads; stops (and stops
  /// them) when `shouldStop` says so, and then returns false. How each ended is in its log and
  /// result file, which the caller reads.
  @discardableResult
  static func runLocal(
    _ tasks: [Task], dir: String, jobs: Int, threads: Int, executable: String, emit: (String) -> Void,
    shouldStop: () -> Bool
  ) throws(CommandError) -> Bool {
    var queue = tasks[...]
    var running: [String: (Process, Date)] = [:]
    var environment = ProcessInfo.processInfo.environment
    environment["TINYCAST_THREADS"] = String(threads)
    while !queue.isEmpty || !running.isEmpty {
      if shouldStop() {
        for (p, _) in running.values {
          p.interrupt()
          p.waitUntilExit()
        }
        return false
      }
      while running.count < jobs, let task = queue.popFirst() {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["run", task.session]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = environment
        let logPath = (dir as NSString).appendingPathComponent(task.log)
        FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else {
          throw CommandError("cannot write \(logPath)")
        }
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
          throw CommandError("cannot start \(executable): \(error.localizedDescription)")
        }
        try? log.close()
        running[task.label] = (p, Date())
      }
      for (label, (p, started)) in running where !p.isRunning {
        running[label] = nil
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        emit("\(label) \(p.terminationStatus == 0 ? "done" : "FAILED") in \(seconds) s")
      }
      usleep(20_000)
    }
    return true
  }

  /// Runs `sbatch ARGUMENTS`; returns its exit status and what it printed (trimmed).
  static func sbatch(_ arguments: [String]) throws(CommandError) -> (status: Int32, text: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["sbatch"] + arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    do { try p.run() } catch { throw CommandError("cannot run sbatch: \(error.localizedDescription)") }
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    p.waitUntilExit()
    return (p.terminationStatus, text)
  }

  /// sbatch's refusal, with where the files are.
  static func sbatchFailed(_ status: Int32, _ text: String, script: String) -> CommandError {
    CommandError(
      "sbatch failed: \(text.split(separator: "\n").last ?? "exit status \(status)")",
      hint: "is Slurm running here? The files are written: submit \(script) yourself")
  }

  /// Submits `script` with `sbatch --wait` and returns when every task of its array has ended.
  /// Failed tasks are not an error here: the caller names them from their missing results.
  static func submitAndWait(_ script: String) throws(CommandError) {
    let (status, text) = try sbatch(["--parsable", "--wait", script])
    // The job's id comes first when it was submitted (then the exit status is the tasks'
    // highest); without it, sbatch said why not.
    guard let first = text.split(separator: "\n").first, Int(first.split(separator: ";")[0]) != nil else {
      throw sbatchFailed(status, text, script: script)
    }
  }

  /// Why a task has no result, from its log in `dir`: its error line, or that it has not run.
  static func why(_ dir: String, log: String) -> String {
    let path = (dir as NSString).appendingPathComponent(log)
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      return "not run yet (no \(log))"
    }
    let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    if let error = lines.last(where: { $0.contains("error") }) { return "failed: \(error)" }
    return "no result; \(log) ends: \(lines.last ?? "(empty)")"
  }

  /// Submits the array tasks of `points` (all, or the missing ones) with sbatch; returns its
  /// job id.
  static func submit(_ points: [Int], dir: String, count: Int) throws(CommandError) -> String {
    var arguments = ["--parsable"]
    if points.count < count { arguments.append("--array=" + points.map(String.init).joined(separator: ",")) }
    let script = (dir as NSString).appendingPathComponent("sweep.sbatch")
    let (status, text) = try sbatch(arguments + [script])
    guard status == 0 else { throw sbatchFailed(status, text, script: script) }
    return text.split(separator: ";").first.map(String.init) ?? text
  }
}

extension Engine {
  /// `sweep ... engine=local|slurm`: the points as processes or array tasks (Fanout above).
  func fanOut(key: String, values: [String], lines: [String], sweep: String, options: FanoutOptions)
    throws(CommandError) -> String
  {
    guard let executable = Fanout.executable else {
      throw CommandError("engine=\(options.engine.rawValue) needs the tinycast executable, which is unknown here")
    }
    let given = options.dir ?? "sweep-\(key)"
    let dir = try context.outputPath(given, overwrite: true)
    let plan = SweepPlan(sweep: sweep, key: key, values: values, lines: lines, metric: workspace.metric.rawValue)
    // The points replay the workspace's history; commands that only wrote files stay out.
    let prefix = workspace.recorded.filter { !["compare", "export", "plot", "predict"].contains($0.verb) }
    let todo = try Fanout.prepare(
      plan, dir: dir, prefix: prefix, models: workspace.models.names, executable: executable)
    let shown = context.shown(given)
    switch options.engine {
    case .local:
      let jobs = options.jobs ?? ProcessInfo.processInfo.activeProcessorCount
      let threads = max(1, workspace.threads / min(jobs, max(todo.count, 1)))
      if todo.isEmpty {
        context.emit("sweep: every point of \(shown) has its result; merging")
      } else {
        context.emit(
          "sweep: \(todo.count) of \(plan.count) points in \(shown), \(min(jobs, todo.count)) at a time, "
            + "\(threads) thread\(threads == 1 ? "" : "s") each")
      }
      let tasks = todo.map {
        Fanout.Task(label: "sweep point \($0)", session: SweepPlan.session($0), log: SweepPlan.log($0))
      }
      let finished = try Fanout.runLocal(
        tasks, dir: dir, jobs: jobs, threads: threads, executable: executable, emit: context.emit,
        shouldStop: context.shouldStop)
      if !finished {
        context.emit("sweep: stopped; the points that finished keep their results (run the sweep again for the rest)")
      }
      return try SweepMerge.read(dir).report()
    case .slurm:
      var out = ["wrote \(shown)/: \(plan.count) point sessions and sweep.sbatch (a job array, 1-\(plan.count))"]
      if todo.isEmpty {
        out.append("every point has its result: tinycast merge \(shown)")
      } else if options.submit {
        let job = try Fanout.submit(todo, dir: dir, count: plan.count)
        let which =
          todo.count == plan.count
          ? "all \(plan.count) points" : "points " + todo.map(String.init).joined(separator: ",")
        out.append("submitted job \(job): \(which); when it ends: tinycast merge \(shown)")
      } else {
        out.append("submit: sbatch \(shown)/sweep.sbatch (or add submit=on); then tinycast merge \(shown)")
      }
      return out.joined(separator: "\n")
    case .inprocess:
      preconditionFailure("fanOut: engine=inprocess runs in the workspace")
    }
  }
}

extension CLI {
  /// `tinycast merge DIR [--out FILE.json]`: 0 when every point has its result, else 1.
  public static func merge(dir: String, out: String?, stdout: (String) -> Void, stderr: (String) -> Void) -> Int32 {
    let planPath = (dir as NSString).appendingPathComponent("sweep.json")
    if !FileManager.default.fileExists(atPath: planPath), let shrink = ShrinkTrainings.report(dir) {
      stdout(shrink.text)
      if out != nil {
        stderr("tinycast merge: --out is for a sweep's folder; a shrink writes its table itself")
        return 1
      }
      return shrink.complete ? 0 : 1
    }
    let merged: SweepMerge
    do { merged = try SweepMerge.read(dir) } catch {
      stderr("tinycast merge: \(error.description)")
      return 1
    }
    stdout(merged.report())
    if let out {
      guard let comparison = merged.comparison else {
        stderr("tinycast merge: no point has a result yet; \(out) not written")
        return 1
      }
      do { try AtomicFile.write(Array(comparison.renderJSON().utf8), to: out) } catch {
        stderr("tinycast merge: \(error.description)")
        return 1
      }
      stdout("wrote \(out)")
    }
    return merged.missing.isEmpty ? 0 : 1
  }
}
