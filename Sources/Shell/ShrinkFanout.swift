// shrink ... engine=local|slurm: the search's trainings as processes on this machine or as a
// Slurm job array (the search itself, and every judgement, stays in the shell: Shrink.swift).
//
// DIR holds, for each training a search hands out:
//   input-NAME.tcb      a model it reads (the teacher, a pruned model), whole (ModelBundle)
//   train-NAME.tcs      the training as a self-contained session: the data commands of the
//                       session, `load model input-...tcb`, the training command (its seed
//                       included), then `export NAME to=train-NAME.tcb format=bundle`
//   train-NAME.tcb      its result, written atomically when the session ends
//   train-NAME.log      what it printed (for a failed training, why)
//   shrink-K.sbatch     the Slurm array of the K-th group of trainings (engine=slurm)
// A training whose session text changed (other data, inputs, seed) loses its old result; one
// whose result is there is not run again, so the same shrink after a failure, an interruption or
// a submission trains only what is missing.

import Foundation
import Workbench

final class FanoutTrainer: CandidateTrainer {
  let engine: SweepEngine
  let dir: String
  let shown: String
  let jobs: Int
  let threads: Int
  let submit: Bool
  let executable: String
  let emit: (String) -> Void
  let shouldStop: () -> Bool
  /// Groups handed out so far (names the Slurm scripts).
  private var groups = 0

  init(
    engine: SweepEngine, dir: String, shown: String, jobs: Int, threads: Int, submit: Bool, executable: String,
    emit: @escaping (String) -> Void, shouldStop: @escaping () -> Bool
  ) {
    self.engine = engine
    self.dir = dir
    self.shown = shown
    self.jobs = jobs
    self.threads = threads
    self.submit = submit
    self.executable = executable
    self.emit = emit
    self.shouldStop = shouldStop
  }

  var description: String {
    let processes = "\(jobs) process\(jobs == 1 ? "" : "es")"
    return engine == .slurm
      ? "a Slurm job array in \(shown)"
      : "\(processes) at a time in \(shown), \(threads) thread\(threads == 1 ? "" : "s") each"
  }

  static func session(_ name: String) -> String { "train-\(name).tcs" }
  static func result(_ name: String) -> String { "train-\(name).tcb" }
  static func log(_ name: String) -> String { "train-\(name).log" }
  static func input(_ name: String) -> String { "input-\(name).tcb" }

  func path(_ file: String) -> String { (dir as NSString).appendingPathComponent(file) }

  func train(_ jobs: [CandidateTraining], prefix: [RecordedCommand], models: [String: ModelEntry])
    throws(CommandError) -> [String: ModelEntry]
  {
    let fm = FileManager.default
    do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
      throw CommandError("cannot create \(dir): \(error.localizedDescription)")
    }
    // The inputs, whole. A result made from other inputs is stale: its session names the
    // input's identity (its weights, seeds and lineage; not its epochs' times), which differs.
    var checksums: [String: UInt32] = [:]
    for (name, entry) in models.sorted(by: { $0.key < $1.key }) {
      let bytes = ModelBundle.encode(entry)
      checksums[name] = ModelBundle.identity(entry)
      if fm.contents(atPath: path(Self.input(name))) != Data(bytes) {
        try AtomicFile.write(bytes, to: path(Self.input(name)))
      }
    }
    let history = SessionFile.render(prefix, directory: dir)
    var todo: [CandidateTraining] = []
    for job in jobs {
      var lines = ["# one training of a fanned-out shrink: \(job.name)"]
      for input in job.inputs {
        lines.append("# \(Self.input(input)): identity \(String(checksums[input]!, radix: 16))")
        lines.append("load model \(Self.input(input))")
      }
      if let window = job.window { lines.append(window.render()) }
      lines.append(job.command.render(relativeTo: dir))
      lines.append("export \(Lexer.quoteIfNeeded(job.name)) to=\(Self.result(job.name)) format=bundle overwrite=on")
      let text = history + lines.joined(separator: "\n") + "\n"
      let sessionPath = path(Self.session(job.name))
      let before = (try? String(contentsOfFile: sessionPath, encoding: .utf8)).map(Self.withoutStamps)
      if before != Self.withoutStamps(text) {
        try? fm.removeItem(atPath: path(Self.result(job.name)))
        try AtomicFile.write(Array(text.utf8), to: sessionPath)
      }
      if !fm.fileExists(atPath: path(Self.result(job.name))) { todo.append(job) }
    }
    if todo.count < jobs.count {
      emit("shrink: \(jobs.count - todo.count) of \(jobs.count) trainings already have their result in \(shown)")
    }
    if !todo.isEmpty { try run(todo) }
    return try results(jobs)
  }

  /// A session's text without its `#!` lines (the recording date changes, nothing else should).
  static func withoutStamps(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#!") }.joined(
      separator: "\n")
  }

  private func run(_ todo: [CandidateTraining]) throws(CommandError) {
    switch engine {
    case .local, .inprocess:
      let tasks = todo.map {
        Fanout.Task(label: "shrink: trained \($0.name)", session: Self.session($0.name), log: Self.log($0.name))
      }
      let finished = try Fanout.runLocal(
        tasks, dir: dir, jobs: jobs, threads: threads, executable: executable, emit: emit, shouldStop: shouldStop)
      if !finished {
        throw CommandError(
          "interrupted; nothing was added",
          hint: "the trainings that finished keep their results in \(shown): the same shrink goes on from them")
      }
    case .slurm:
      groups += 1
      let script = "shrink-\(groups).sbatch"
      try AtomicFile.write(Array(slurmScript(todo).utf8), to: path(script))
      guard submit else {
        throw CommandError(
          "shrink needs \(todo.count) trainings run first: wrote \(shown)/\(script) (a job array); nothing was added",
          hint: "sbatch --wait \(shown)/\(script), then the same shrink again (it goes on from their results); "
            + "or add submit=on to submit and wait")
      }
      emit("shrink: submitting \(todo.count) trainings as a Slurm job array (\(shown)/\(script)); waiting for them")
      try Fanout.submitAndWait(path(script))
    }
  }

  /// The job array: task K replays the K-th session of `todo`.
  func slurmScript(_ todo: [CandidateTraining]) -> String {
    let sessions = todo.map { Lexer.quoteIfNeeded(Self.session($0.name)) }.joined(separator: " ")
    return """
      #!/bin/bash
      # Tinycast shrink: \(todo.count) candidate trainings, one array task each.
      # Written by Tinycast; `shrink ... engine=slurm submit=on` submits it and waits, or submit
      # it with `sbatch --wait` and run the same shrink again, which goes on from the results.
      #SBATCH --job-name=tinycast-shrink
      #SBATCH --array=1-\(todo.count)
      #SBATCH --cpus-per-task=1
      #SBATCH --chdir=\(dir)
      #SBATCH --output=\(dir)/slurm-%A_%a.out
      set -u
      TINYCAST="${TINYCAST:-\(executable)}"
      # Threads change only the speed, never a number: use the CPUs Slurm gave the task.
      export TINYCAST_THREADS="${SLURM_CPUS_PER_TASK:-1}"
      SESSIONS=(\(sessions))
      SESSION="${SESSIONS[$((SLURM_ARRAY_TASK_ID - 1))]}"
      exec "$TINYCAST" run "$SESSION" > "${SESSION%.tcs}.log" 2>&1

      """
  }

  /// Every job's model, or one error naming each training without a result and why.
  private func results(_ jobs: [CandidateTraining]) throws(CommandError) -> [String: ModelEntry] {
    var made: [String: ModelEntry] = [:]
    var missing: [String] = []
    for job in jobs {
      switch Self.outcome(of: job.name, in: dir) {
      case .success(let entry): made[job.name] = entry
      case .failure(let why):
        // A damaged result is removed, so that the same shrink again trains it anew.
        try? FileManager.default.removeItem(atPath: path(Self.result(job.name)))
        missing.append("\(job.name) (\(why.reason))")
      }
    }
    guard missing.isEmpty else {
      throw CommandError(
        "\(missing.count) of \(jobs.count) trainings have no result: " + missing.joined(separator: "; "),
        hint: "their logs are in \(shown); the same shrink again trains only those")
    }
    return made
  }

  /// Why a training has no model: its result is damaged, or its log's reason.
  struct Missing: Error {
    var reason: String
  }

  /// Training `name`'s model in `dir`, or why there is none.
  static func outcome(of name: String, in dir: String) -> Result<ModelEntry, Missing> {
    guard let data = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(result(name)))
    else { return .failure(Missing(reason: Fanout.why(dir, log: log(name)))) }
    do { return .success(try ModelBundle.decode([UInt8](data))) } catch {
      return .failure(Missing(reason: "\(result(name)): \(error.message)"))
    }
  }
}

/// `tinycast merge DIR` on a shrink's folder: each training, done or why not. The judging is the
/// shrink's own (the same command again reads the results), so this is the list, not a table.
enum ShrinkTrainings {
  /// The report and whether every training has its result; nil when DIR holds no shrink training.
  static func report(_ dir: String) -> (text: String, complete: Bool)? {
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    let names = files.filter { $0.hasPrefix("train-") && $0.hasSuffix(".tcs") }.map {
      String($0.dropFirst("train-".count).dropLast(".tcs".count))
    }
    guard !names.isEmpty else { return nil }
    var lines: [String] = []
    var done = 0
    for name in names {
      switch FanoutTrainer.outcome(of: name, in: dir) {
      case .success(let entry):
        done += 1
        lines.append(
          "\(name): done (\(entry.label), \(entry.replicas.count) run\(entry.replicas.count == 1 ? "" : "s"))")
      case .failure(let why): lines.append("\(name): \(why.reason)")
      }
    }
    lines.append(
      "\(dir): a shrink's trainings, \(done) of \(names.count) with their result; the same shrink command again "
        + "judges them (and trains only what is missing)")
    return (lines.joined(separator: "\n"), done == names.count)
  }
}
