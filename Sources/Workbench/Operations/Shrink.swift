// shrink: the smallest deployable model within an accuracy budget. The user states what MAPE
// they can afford (budget=+0.5: half a point worse than the reference) and optionally the
// device's byte limit; the search tries linear models of the reference's window (plain, and with
// each window's level, the forecast day's calendar and an absolute-error fit), small LSTMs and
// GRUs reading those same inputs (on the reference's window length and any other it is given,
// `lookbacks=28,56`), distilled students of decreasing width, quantization
// granularities and sensitivity-guided pruning with fine-tuning, and keeps the smallest exported
// artifact within budget. `beat=NAME` also asks every candidate to score better than another
// model (the ETS row, say) on the same windows.
//
// How it decides: every candidate is judged on the validation windows (mean MAPE over the
// replicas), never on the test set, which only reports the winner. Sizes are exact (the bytes
// 'export' writes) and known before any fine-tuning, so a candidate that cannot beat the best
// so far is skipped without training. Candidates are made by the same operations as the
// commands, in a scratch copy of the workspace; only the winner's chain of commands (with
// their seeds) enters the session, so a replay rebuilds the same model without searching.
//
// Fanned out (a `CandidateTrainer`, `shrink ... engine=local|slurm`): every candidate of the
// plan has its own seed (the first seed plus its place in the plan), so a candidate's model does
// not depend on which others were trained before it. When the search needs a training it hands
// the trainer the whole group it belongs to (the small networks and the students; the wider
// students; one base's pruning levels), trained at once elsewhere, and judges them here in the
// same order with the same rules: the same candidates, numbers and winner as in-process, at the
// price of training some candidates the sequential search would have skipped.

import Compression
import Evaluation
import Foundation
import Modeling
import SalesData

public struct ShrinkSpec: Sendable {
  public var reference: String?
  /// What the result may lose against the reference in the headline metric (validation windows):
  /// points of MAPE by default.
  public var budget = 0.5
  public var maxBytes: Int?
  /// Stop searching after this many seconds (0 trains nothing); `timeText` as the user wrote it.
  public var timeLimit = 900.0
  public var timeText = "15m"
  public var epochs = 50
  public var finetuneEpochs = 20
  /// Replicas per candidate (default: the reference's).
  public var runs: Int?
  /// Try linear models of the reference's window first (stage 0).
  public var linear = true
  /// Then small networks reading the window's level and the calendar, trained directly (stage 0b).
  public var networks = true
  /// Window lengths stages 0 and 0b also try, besides the reference's (its other window options kept).
  public var lookbacks: [Int] = []
  /// A model every candidate must also score better than (validation windows).
  public var beat: String?
  public var seed: UInt64?
  public var name: String?
  public init() {}

  /// "90s", "10m", "1h", or plain seconds. `0` is allowed: it means "train nothing", judging
  /// only the reference's own quantized forms.
  public static func parseDuration(_ text: String) -> Double? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
    if let last = text.last, let unit = units[last] {
      return Double(text.dropLast()).map { $0 * unit }.flatMap { $0 >= 0 && $0.isFinite ? $0 : nil }
    }
    return Double(text).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil }
  }

  /// Hidden-unit sizes to try for a reference of `units`: downward from a quarter of it, then
  /// (only if none of those pass) upward to half of it.
  public static func studentSizes(reference units: Int) -> (down: [Int], up: [Int]) {
    let all = [4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128].filter { $0 < units }
    return (
      all.filter { $0 <= max(4, units / 4) }.reversed(), all.filter { $0 > max(4, units / 4) && $0 <= units / 2 }
    )
  }
}

/// A training a fanned-out search hands to other processes.
public struct CandidateTraining: Sendable {
  /// The model it makes.
  public var name: String
  /// The canonical command that makes it, seed included.
  public var command: RecordedCommand
  /// Models the command reads (a teacher, a pruned model): shipped to the process whole.
  public var inputs: [String]
  /// The `window` command to run first, when it trains on other windows than the session's.
  public var window: RecordedCommand?
}

/// Trains a search's candidates elsewhere (Shell/FanoutTrainer: processes or a Slurm array).
public protocol CandidateTrainer: AnyObject {
  /// What it is, for the search's log ("2 processes at a time in DIR").
  var description: String { get }
  /// Trains every one of `jobs` (they may run at once): each process replays the data commands
  /// of `prefix`, loads its inputs from `models`, and runs its command. Returns each model made,
  /// by name, or throws naming every training without a result.
  func train(_ jobs: [CandidateTraining], prefix: [RecordedCommand], models: [String: ModelEntry])
    throws(CommandError) -> [String: ModelEntry]
}

/// One model the search evaluated.
public struct ShrinkCandidate: Sendable {
  public var name: String
  /// Model names from the first new one to this one; a window the candidate needs comes first,
  /// as `ShrinkCandidate.windowKey(lookback)`.
  public var chain: [String]
  public var recipe: String  // e.g. "distilled LSTM-12, float32"
  public var bytes: Int
  public var validationScore: Double
  public var passes: Bool

  /// The chain's name for the `window` command a candidate on another window length needs.
  static func windowKey(_ lookback: Int) -> String { "window lookback=\(lookback)" }
}

public struct ShrinkOutcome: Sendable {
  public enum Verdict: Sendable {
    /// No candidate was within budget; nothing was added.
    case noneWithinBudget
    /// The smallest within budget does not fit max_bytes; nothing was added.
    case tooLarge(ShrinkCandidate, maxBytes: Int)
    /// The winner was added as `name`; its test MAPE against the reference's.
    case adopted(
      ShrinkCandidate, name: String, bytes: Int, test: ReplicaMetrics, referenceTest: ReplicaMetrics,
      commands: [RecordedCommand])
  }
  public var reference: ModelEntry
  /// The headline metric every score here is.
  public var metric: HeadlineMetric
  public var referenceValidationScore: Double
  public var limit: Double
  public var budget: Double
  public var candidates: [ShrinkCandidate]  // in the order tried
  public var stopReason: String
  public var seconds: Double
  public var verdict: Verdict
}

extension Workspace {
  public mutating func shrink(_ spec: ShrinkSpec, progress: Progress, trainer: CandidateTrainer? = nil)
    throws(CommandError) -> ShrinkOutcome
  {
    let ref = try model(spec.reference)
    _ = try ref.lstmReplicas(for: "shrink")
    guard case .float? = ref.replicas[0] as? ForecastModel else {
      throw CommandError(
        "\(ref.name) is \(ref.kindDescription); shrink starts from a float32 model (the teacher)")
    }
    if let finalName = spec.name { try requireFreeModelName(finalName) }
    let budget = spec.budget
    let runs = spec.runs ?? ref.replicas.count
    var seed: UInt64
    if let s = spec.seed {
      seed = s
    } else {
      // Peeked, not drawn: the search's commands record their own seeds.
      var g = seedSource
      seed = g.nextSeed() % (1 << 40)
    }

    var scratch = self
    let start = Date()
    var log: [String] = []
    func note(_ s: String) {
      log.append(s)
      progress.note(s)
    }
    func elapsed() -> Double { Date().timeIntervalSince(start) }

    let refData = try windows(for: ref)
    let refVal = validationScore(ref.replicas, of: ref, data: refData)
    var limit = refVal + budget
    var beatNote = ""
    if let rival = spec.beat {
      let r = try model(rival)
      let rivalScore = validationScore(r.replicas, of: r, data: try windows(for: r))
      // Better than the rival: below its score by the smallest step, so "within the limit" says it.
      if rivalScore.nextDown < limit {
        limit = rivalScore.nextDown
        beatNote = "; better than \(rival) (\(fixed(rivalScore, 3))) is stricter"
      } else {
        beatNote = "; better than \(rival) (\(fixed(rivalScore, 3))) is implied"
      }
    }
    let fits = spec.maxBytes.map { ", and must fit in \($0) bytes" } ?? ""
    note(
      "reference \(ref.name): validation \(metric.label) \(fixed(refVal, 3)) over \(ref.replicas.count) runs, "
        + "\(ref.artifact().count) bytes; budget +\(formatNumber(budget)) -> a candidate passes at "
        + "<= \(fixed(limit, 3))\(beatNote)\(fits)")

    var tried: [ShrinkCandidate] = []
    var best: ShrinkCandidate?
    var stopReason = "every planned candidate was tried"
    /// The commands that made each candidate model, by name.
    var commands: [String: RecordedCommand] = [:]
    func better(_ c: ShrinkCandidate) -> Bool {
      guard c.passes else { return false }
      guard let b = best else { return true }
      return c.bytes < b.bytes || (c.bytes == b.bytes && c.validationScore < b.validationScore)
    }
    /// Runs one operation in the scratch workspace: a failure is logged, not fatal.
    func run(_ what: String, _ operation: (inout Workspace) throws(CommandError) -> RecordedCommand) -> Bool {
      var draft = scratch
      do {
        let command = try operation(&draft)
        scratch = draft
        if let name = command.asName { commands[name] = command }
        return true
      } catch {
        note("  '\(what)' failed: \(error.description)")
        return false
      }
    }
    func bytes(_ name: String) -> Int { scratch.models[name]!.artifact().count }
    func judge(_ name: String, chain: [String], recipe: String) -> ShrinkCandidate {
      let m = scratch.models[name]!
      let data = (try? scratch.windows(for: m)) ?? refData
      let v = scratch.validationScore(m.replicas, of: m, data: data)
      let c = ShrinkCandidate(
        name: name, chain: chain, recipe: recipe, bytes: m.artifact().count, validationScore: v, passes: v <= limit)
      tried.append(c)
      let delta = (v - refVal >= 0 ? "+" : "") + fixed(v - refVal, 3)
      note(
        "  \(name): \(recipe): \(c.bytes) bytes, validation \(metric.label) \(fixed(v, 3)) (\(delta)) "
          + (c.passes ? "within budget" : "over budget"))
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
      if progress.shouldStop() {
        stopReason = "interrupted (Ctrl-C)"
        outOfTime = true
      }
      // A fanned-out search trains every planned candidate: no time limit decides for it.
      if trainer == nil, spec.timeLimit == 0 || elapsed() + lastTraining > spec.timeLimit {
        stopReason =
          "time limit \(spec.timeText) reached before \(what) (\(duration(elapsed())) spent, "
          + "the last training took \(duration(lastTraining)))"
        outOfTime = true
      }
      if outOfTime { note(stopReason) }
      return !outOfTime
    }
    /// Each planned candidate's seed: the first seed plus its place in the plan (networks from
    /// 1, students from 1000, fine-tunings from 2000), whatever was trained before it.
    func plannedSeed(_ slot: Int) -> UInt64 { seed + UInt64(slot) }
    let networkUnits = [2, 4, 8]
    let allStudentSizes = ShrinkSpec.studentSizes(reference: ref.units)
    let studentOrder = allStudentSizes.down + allStudentSizes.up
    let pruneLevels = [0.5, 0.7, 0.3]
    /// `base` pruned at `level`, as the search names it ("lstm64-kd12-p50").
    func prunedName(_ base: String, _ level: Double) -> String { "\(base)-p\(Int((level * 100).rounded()))" }

    // Fanned out: the models trained elsewhere, by name, and the data commands each process
    // replays before its own (the session as it was when shrink started).
    var trainedElsewhere: [String: ModelEntry] = [:]
    let prefix = dataCommands
    /// Model `job.name` from the trainer into the scratch workspace, training `group()` (the
    /// jobs not trained yet) first when it is not there.
    func obtain(_ job: CandidateTraining, group: () -> [CandidateTraining], from models: Workspace)
      throws(CommandError)
    {
      guard let trainer else { preconditionFailure("obtain without a trainer") }
      if trainedElsewhere[job.name] == nil {
        var jobs = group().filter { trainedElsewhere[$0.name] == nil }
        if !jobs.contains(where: { $0.name == job.name }) { jobs.append(job) }
        note("  training \(jobs.count) candidate\(jobs.count == 1 ? "" : "s") at once: \(trainer.description)")
        let inputs = Set(jobs.flatMap(\.inputs))
        let shipped = Dictionary(uniqueKeysWithValues: inputs.map { ($0, models.models[$0]!) })
        let made = try trainer.train(jobs, prefix: prefix, models: shipped)
        trainedElsewhere.merge(made) { _, new in new }
      }
      guard var entry = trainedElsewhere[job.name] else {
        throw CommandError("the trainer returned no \(job.name)")
      }
      // Its lineage as this workspace names its data and inputs (the process's may spell a
      // path otherwise).
      let ancestry =
        job.command.verb == "train"
        ? scratch.lineage(ofDataset: (try? scratch.dataset().name) ?? entry.datasetName)
        : scratch.models[job.inputs[0]]?.lineage ?? []
      entry.lineage = ancestry + [job.command.render()]
      scratch.models.add(entry)
      commands[job.name] = job.command
    }
    func quantizeSpec(_ source: String, perTensor: Bool, as name: String) -> QuantizeSpec {
      var q = QuantizeSpec()
      q.source = source
      q.perTensor = perTensor
      q.name = name
      return q
    }

    /// Judges model `name` in float32, then its int8 form unless that is no smaller than the best.
    /// `window` is the chain's window step when the model is on another window length.
    func judgeWithItsInt8(_ name: String, recipe: String, window: [String] = []) {
      _ = judge(name, chain: window + [name], recipe: recipe + ", float32")
      let small = "\(name)-i8"
      let q = quantizeSpec(name, perTensor: false, as: small)
      guard run("quantize \(name) as \(small)", { ws throws(CommandError) in try ws.quantize(q).command }),
        !beaten(bytes(small))
      else { return }
      _ = judge(small, chain: window + [name, small], recipe: recipe + ", int8")
    }
    /// Stages 0 and 0b train on the current windows: only when they are the reference's.
    let onReferenceWindows: Bool = {
      guard let current = try? dataset() else { return false }
      return current.name == ref.datasetName && current.windows.config == ref.window
    }()

    // The dataset's covariates (a promotion flag, a price) are features the rich candidates read.
    let covariateNames = onReferenceWindows ? ((try? dataset())?.windows.covariateNames ?? []) : []
    let covariateRecipe = covariateNames.isEmpty ? "" : ", " + covariateNames.joined(separator: ", ")

    // The planned trainings, each with its seed and command (the same in-process and fanned out).
    let lengths = [ref.window.lookback] + spec.lookbacks.filter { $0 != ref.window.lookback }
    // The covariates join these when training starts (with the scalers fitted on the data).
    let networkInputs = RecurrentInputs(
      levelNormalized: true, calendar: CalendarFeatures(weekday: true, yearHarmonics: 3))
    func networkSpec(length index: Int, units: Int, cell: RecurrentCell) -> TrainSpec {
      let lookback = lengths[index]
      var t = TrainSpec()
      t.cell = cell
      t.inputs = networkInputs
      t.covariates = covariateNames
      t.loss = .mae  // as the rich linear model: absolute errors, which MAPE rewards
      t.units = units
      t.training.epochs = spec.epochs
      t.training.runs = runs
      let place = (index * networkUnits.count + networkUnits.firstIndex(of: units)!) * RecurrentCell.allCases.count
      t.training.seed = plannedSeed(1 + place + RecurrentCell.allCases.firstIndex(of: cell)!)
      t.name = "\(ref.name)-\(cell.rawValue)\(units)x\(lookback == ref.window.lookback ? "" : "\(lookback)")"
      return t
    }
    func networkJob(length index: Int, units: Int, cell: RecurrentCell) -> CandidateTraining {
      let t = networkSpec(length: index, units: units, cell: cell)
      var config = ref.window
      config.lookback = lengths[index]
      return CandidateTraining(
        name: t.name!, command: t.recordedCommand(name: t.name!, firstSeed: t.training.seed!), inputs: [],
        window: index == 0 ? nil : Self.windowCommand(config))
    }
    func studentSpec(_ units: Int) -> DistillSpec {
      var d = DistillSpec()
      d.teacher = ref.name
      d.units = units
      d.alpha = 0.2
      d.training.epochs = spec.epochs
      d.training.runs = runs
      d.training.seed = plannedSeed(1000 + studentOrder.firstIndex(of: units)!)
      d.name = "\(ref.name)-kd\(units)"
      return d
    }
    func studentJob(_ units: Int) -> CandidateTraining {
      let d = studentSpec(units)
      return CandidateTraining(
        name: d.name!, command: d.recordedCommand(teacher: ref.name, name: d.name!, firstSeed: d.training.seed!),
        inputs: [ref.name], window: nil)
    }
    /// Fine-tuning `base` pruned at `level` (`base` is the reference or a student).
    func finetuneSpec(base: String, level: Int) -> FinetuneSpec {
      let baseIndex = studentOrder.firstIndex { "\(ref.name)-kd\($0)" == base } ?? studentOrder.count
      var f = FinetuneSpec()
      f.source = prunedName(base, pruneLevels[level])
      f.epochs = spec.finetuneEpochs
      f.learningRate = 0.0003
      f.seed = plannedSeed(2000 + 10 * baseIndex + level)
      f.name = f.source! + "-ft"
      return f
    }
    func finetuneJob(base: String, level: Int) -> CandidateTraining {
      let f = finetuneSpec(base: base, level: level)
      return CandidateTraining(
        name: f.name!, command: f.recordedCommand(source: f.source!, name: f.name!, firstSeed: f.seed!),
        inputs: [f.source!], window: nil)
    }
    /// The first group a fanned-out search trains: the small networks on every window length
    /// (whose windows can be cut) and the students downward.
    func firstGroup() -> [CandidateTraining] {
      var jobs: [CandidateTraining] = []
      if spec.networks && onReferenceWindows {
        for index in lengths.indices {
          var config = ref.window
          config.lookback = lengths[index]
          var probe = self
          guard index == 0 || (try? probe.window(config)) != nil else { continue }
          for units in networkUnits {
            for cell in RecurrentCell.allCases { jobs.append(networkJob(length: index, units: units, cell: cell)) }
          }
        }
      }
      return jobs + allStudentSizes.down.map(studentJob)
    }

    // Stages 0 and 0b on the reference's window length, then on each other one asked for (the
    // scratch windows cut again; a candidate there carries that `window` command in its chain).
    var windowChanged = false
    lengths: for (lengthIndex, lookback) in lengths.enumerated() {
      var window: [String] = []
      var suffix = ""
      if lookback != ref.window.lookback {
        guard onReferenceWindows, spec.linear || spec.networks else { break lengths }
        guard timeLeft(for: "the \(lookback)-day window") else { break lengths }
        var config = ref.window
        config.lookback = lookback
        let key = ShrinkCandidate.windowKey(lookback)
        var windowCommand: RecordedCommand?
        guard
          run(
            key,
            { ws throws(CommandError) in
              let c = try ws.window(config).command
              // Recorded in the scratch session, so the candidates' lineage names their window.
              ws.recorded.append(c)
              windowCommand = c
              return c
            })
        else { continue }
        commands[key] = windowCommand
        windowChanged = true
        window = [key]
        suffix = "\(lookback)"
        note("windows of \(lookback) days for stages 0 and 0b")
      }
      // Stage 0: linear models of the window, fitted in closed form in a second each.
      if spec.linear {
        if onReferenceWindows {
          let whose = lookback == ref.window.lookback ? "\(ref.name)'s " : ""
          note("stage 0: linear models of \(whose)\(lookback) days (closed form)")
          var plain = LinearSpec()
          plain.name = "\(ref.name)-lin\(suffix)"
          var rich = LinearSpec()
          rich.levelNormalized = true
          rich.calendar = CalendarFeatures(weekday: true, yearHarmonics: 3)
          rich.loss = .mae
          rich.covariates = covariateNames
          rich.name = "\(ref.name)-linx\(suffix)"
          for (l, recipe) in [
            (plain, "linear AR(\(lookback))"),
            (rich, "linear AR(\(lookback)), level, weekday, 3 yearly harmonics\(covariateRecipe), absolute errors"),
          ] {
            let name = l.name!
            guard run("train kind=linear as \(name)", { ws throws(CommandError) in try ws.trainLinear(l).command })
            else { continue }
            judgeWithItsInt8(name, recipe: recipe, window: window)
          }
        } else {
          note("stage 0 skipped: the current windows are not \(ref.name)'s (run its 'window' command first)")
        }
      }

      // Stage 0b: small networks that read the window's level and the calendar (the inputs that
      // let a kilobyte beat ETS), trained directly on the data, smallest first; each also on the
      // integer path.
      if spec.networks {
        if onReferenceWindows {
          note(
            "stage 0b: LSTMs and GRUs reading the level, weekday and 3 yearly harmonics\(covariateRecipe)"
              + (window.isEmpty ? "" : " of \(lookback) days") + ", trained on absolute errors, \(runs) runs each")
          networks: for units in networkUnits {
            for cell in RecurrentCell.allCases {
              let layout = ParameterLayout(
                inputSize: networkInputs.channels + covariateNames.count, units: units, cell: cell)
              let floor = layout.totalCount  // a byte per parameter at the least
              let label = "\(cell.layerName)-\(units)"
              if beaten(floor) {
                note("  \(label): at least \(floor) bytes, no smaller than the best so far; not trained")
                continue
              }
              guard timeLeft(for: "training \(label)") else { break networks }
              let t = networkSpec(length: lengthIndex, units: units, cell: cell)
              let name = t.name!
              let t0 = Date()
              if trainer != nil {
                try obtain(
                  networkJob(length: lengthIndex, units: units, cell: cell), group: firstGroup, from: self)
              } else {
                guard
                  run(
                    "train kind=\(cell.rawValue) as \(name)",
                    { ws throws(CommandError) in
                      try ws.train(t, progress: progress).command
                    })
                else { continue }
              }
              lastTraining = Date().timeIntervalSince(t0)
              let recipe =
                "\(label) over the level, weekday, 3 yearly harmonics\(covariateRecipe)"
                + "\(window.isEmpty ? "" : " of \(lookback) days"), absolute errors"
              judgeWithItsInt8(name, recipe: recipe, window: window)
            }
          }
        } else {
          note("stage 0b skipped: the current windows are not \(ref.name)'s (run its 'window' command first)")
        }
      }
    }
    if windowChanged {
      // Back to the reference's windows for the students and pruning below.
      _ = run(
        "window",
        { ws throws(CommandError) in
          let c = try ws.window(ref.window).command
          ws.recorded.append(c)
          return c
        })
    }

    // Stage 1: students, downward while they pass; wider ones only if none does.
    var students: [(name: String, units: Int)] = []
    func student(_ u: Int) throws(CommandError) -> ShrinkCandidate? {
      // Its parameters at one byte each are a floor on its size: no smaller than the best, skip.
      let floor = 4 * u * (u + 2) + u + 1
      if beaten(floor) {
        note("  LSTM-\(u): at least \(floor) bytes, no smaller than the best so far; not trained")
        return nil
      }
      guard timeLeft(for: "distilling LSTM-\(u)") else { return nil }
      let d = studentSpec(u)
      let name = d.name!
      let t0 = Date()
      if trainer != nil {
        // The wider students train together, only when the narrower ones all missed.
        let group = allStudentSizes.down.contains(u) ? firstGroup : { allStudentSizes.up.map(studentJob) }
        try obtain(studentJob(u), group: group, from: self)
      } else {
        guard
          run(
            "distill units=\(u) as "
              + "\(name)", { ws throws(CommandError) in try ws.distill(d, progress: progress).command })
        else { return nil }
      }
      lastTraining = Date().timeIntervalSince(t0)
      let c = judge(name, chain: [name], recipe: "distilled LSTM-\(u), float32")
      if c.passes { students.append((name, u)) }
      return c
    }
    note("stage 1: distilled students from \(ref.name) (alpha 0.2), \(runs) runs each")
    var searchStopped = false
    for u in allStudentSizes.down {
      guard let c = try student(u) else {
        searchStopped = true
        break
      }
      if !c.passes { break }
    }
    if students.isEmpty && !searchStopped {
      for u in allStudentSizes.up {
        guard let c = try student(u) else { break }
        if c.passes { break }
      }
    }
    if students.isEmpty && !beaten(4 * 4 * 6 + 5) {
      note("no student is within budget; compressing \(ref.name) itself")
    }

    // Stage 2: quantization and pruning of each base, smallest first, then the reference.
    let quantizations = [("u8", true, "uint8 per tensor"), ("i8", false, "int8 per channel")]
    let bases = students.sorted { $0.units < $1.units }.map { ($0.name, [$0.name]) } + [(ref.name, [String]())]
    stage2: for (base, chain) in bases {
      // A student already passed: the reference is only the last resort.
      if best != nil && base == ref.name && !students.isEmpty { break }
      // Pruned to its bones (a quarter of its parameters, a byte each) it would still be larger.
      let floor = scratch.models[base]!.parameterCount / 4
      if beaten(floor) {
        note("stage 2: \(base) would stay above \(floor) bytes, no smaller than the best so far; skipped")
        continue
      }
      note("stage 2: compressing \(base)")
      for (suffix, perTensor, label) in quantizations {
        let name = "\(base)-\(suffix)"
        let q = quantizeSpec(base, perTensor: perTensor, as: name)
        guard run("quantize \(base) as \(name)", { ws throws(CommandError) in try ws.quantize(q).command }) else {
          continue
        }
        if beaten(bytes(name)) {
          note("  \(name): \(bytes(name)) bytes, no smaller than the best so far; skipped")
          continue
        }
        _ = judge(name, chain: chain + [name], recipe: label)
      }
      // Pruning, per-matrix levels capped by the sensitivity of each matrix.
      let baseModel = scratch.models[base]!
      let data = try scratch.windows(for: baseModel)
      let levels = [0.3, 0.5, 0.7, 0.8, 0.9]
      let table = scratch.sensitivity(of: baseModel, data: data, levels: levels)
      // Per matrix name: the level every layer's matrix of that name tolerates (a stacked
      // network's rows name each layer's; one per-matrix option sets them all).
      let kernels = (baseModel.replicas[0] as? ForecastModel)?.floatNetwork.layout.kernels ?? []
      let tolerance = Pruning.prunable.map { p -> (ParameterName, Double) in
        let each = zip(kernels, table.rows).filter { $0.0.name == p }.map { _, row in
          zip(levels, row).filter { $0.1 - table.base <= budget / 2 }.map(\.0).max() ?? 0
        }
        return (p, each.min() ?? 0)
      }
      note(
        "  sensitivity of \(base): "
          + tolerance.map { "\($0.0) tolerates \(percent($0.1))" }.joined(separator: ", "))
      /// The pruning at `level`: per-matrix levels, capped where a matrix tolerates less.
      /// Fine-tuning recovers some of what one-shot pruning costs, so a matrix may go 20 points
      /// past the level it tolerates untuned, never past `level`.
      func pruning(_ level: Double) -> (spec: PruneSpec, caps: [ParameterName: Double], key: String) {
        let caps = Dictionary(uniqueKeysWithValues: tolerance.map { ($0.0, min(level, $0.1 + 0.2)) })
        var p = PruneSpec()
        p.source = base
        p.sparsity = level
        p.name = prunedName(base, level)
        for (_, tensor) in PruneSpec.matrixOptions where caps[tensor]! != level {
          p.matrixLevels[tensor] = caps[tensor]!
        }
        return (p, caps, Pruning.prunable.map { formatNumber(caps[$0]!) }.joined(separator: "/"))
      }
      /// The int8 probe of a pruned model: its size is known before fine-tuning (it keeps the zeros).
      func probeSpec(_ pruned: String) -> QuantizeSpec {
        quantizeSpec(pruned, perTensor: true, as: "\(pruned)-probe")
      }
      // Fanned out: every level this base may try is pruned in a copy of the workspace, shipped,
      // and fine-tuned at once (those whose size is already beaten left out).
      var staging = scratch
      var levelJobs: [CandidateTraining] = []
      if trainer != nil {
        var keys: Set<String> = []
        for (index, level) in pruneLevels.enumerated() {
          let (p, _, key) = pruning(level)
          guard keys.insert(key).inserted, (try? staging.prune(p, progress: progress)) != nil,
            let probed = try? staging.quantize(probeSpec(p.name!)), !beaten(probed.model.artifact().count)
          else { continue }
          levelJobs.append(finetuneJob(base: base, level: index))
        }
      }
      var order = pruneLevels
      var triedCaps: Set<String> = []
      while let level = order.first {
        order.removeFirst()
        let (p, caps, capsKey) = pruning(level)
        let pct = Int((level * 100).rounded())
        if triedCaps.contains(capsKey) {
          note("  \(base) at \(pct)%: the same per-matrix levels as before (\(capsKey)); skipped")
          continue
        }
        triedCaps.insert(capsKey)
        let pruned = p.name!
        let probe = probeSpec(pruned)
        let probeName = probe.name!
        guard
          run(
            "prune \(base) as "
              + "\(pruned)", { ws throws(CommandError) in try ws.prune(p, progress: progress).command }),
          run("quantize \(pruned) as \(probeName)", { ws throws(CommandError) in try ws.quantize(probe).command })
        else { continue }
        let probeBytes = bytes(probeName)
        if beaten(probeBytes) {
          note("  \(pruned) + int8 would be \(probeBytes) bytes, no smaller than the best so far; skipped")
          continue
        }
        guard timeLeft(for: "fine-tuning \(pruned)") else { break stage2 }
        let t0 = Date()
        let levelIndex = pruneLevels.firstIndex(of: level)!
        let f = finetuneSpec(base: base, level: levelIndex)
        let tuned = f.name!
        if trainer != nil {
          try obtain(finetuneJob(base: base, level: levelIndex), group: { levelJobs }, from: staging)
        } else {
          guard
            run(
              "finetune \(pruned) as "
                + "\(tuned)", { ws throws(CommandError) in try ws.finetune(f, progress: progress).command })
          else { continue }
        }
        lastTraining = max(lastTraining, Date().timeIntervalSince(t0))
        var passed = false
        for (suffix, perTensor, label) in quantizations {
          let name = "\(tuned)-\(suffix)"
          let q = quantizeSpec(tuned, perTensor: perTensor, as: name)
          guard run("quantize \(tuned) as \(name)", { ws throws(CommandError) in try ws.quantize(q).command }) else {
            continue
          }
          if beaten(bytes(name)) { continue }
          let what = zip(["kernel", "recurrent", "dense"], Pruning.prunable).map {
            "\($0) \(Int((caps[$1]! * 100).rounded()))%"
          }.joined(separator: ", ")
          let c = judge(name, chain: chain + [pruned, tuned, name], recipe: "pruned (\(what)), fine-tuned, \(label)")
          passed = passed || c.passes
        }
        // From 50%: passed, try 70%; failed, try 30%. Then stop.
        order = level == 0.5 ? (passed ? [0.7] : [0.3]) : []
      }
      // The smallest base won: the larger ones are bigger.
      if let b = best, !b.chain.isEmpty, b.chain[0] == base { break }
    }

    var outcome = ShrinkOutcome(
      reference: ref, metric: metric, referenceValidationScore: refVal, limit: limit, budget: budget, candidates: tried,
      stopReason: stopReason, seconds: elapsed(), verdict: .noneWithinBudget)
    guard let winner = best else {
      lastShrinkLog = log + ["no candidate was within budget"]
      return outcome
    }
    if let maxBytes = spec.maxBytes, winner.bytes > maxBytes {
      lastShrinkLog =
        log + ["the smallest within budget, \(winner.name), is \(winner.bytes) bytes: over max_bytes=\(maxBytes)"]
      outcome.verdict = .tooLarge(winner, maxBytes: maxBytes)
      return outcome
    }

    // Adopt the winner's chain: its models and canonical commands (seeds included); a window
    // it needs is cut for its commands and back to the reference's after them, so the session
    // goes on with the windows it had.
    var chainCommands = winner.chain.compactMap { name in commands[name] }
    for name in winner.chain where models[name] == nil {
      if let m = scratch.models[name] { models.add(m) }
    }
    var resultName = winner.name
    if let finalName = spec.name, finalName != winner.name, !chainCommands.isEmpty {
      models.rename(winner.name, to: finalName)
      chainCommands[chainCommands.count - 1].asName = finalName
      var entry = models[finalName]!
      entry.lineage[entry.lineage.count - 1] = chainCommands[chainCommands.count - 1].render()
      models.update(entry)
      resultName = finalName
    }
    // Each command's result line names the model it made (the name is in the file's header,
    // so the bytes change with a rename).
    for k in chainCommands.indices {
      guard let made = chainCommands[k].asName else { continue }
      chainCommands[k].results = [models[made]!.resultLine]
    }
    if chainCommands.first?.verb == "window" { chainCommands.append(Self.windowCommand(ref.window)) }
    models.makeCurrent(resultName)
    lastShrinkLog =
      log + [
        "chose \(winner.name): \(winner.recipe), \(winner.bytes) bytes, validation \(metric.label) "
          + "\(fixed(winner.validationScore, 3)) (limit \(fixed(limit, 3))); \(stopReason)"
      ]
    let testRef = try metrics(of: ref.name)
    let testWin = try metrics(of: resultName)
    outcome.verdict = .adopted(
      winner, name: resultName, bytes: models[resultName]!.artifact().count, test: testWin, referenceTest: testRef,
      commands: chainCommands)
    return outcome
  }
}

extension ModelEntry {
  /// The numbers that identify a model a command just made, for its `#=>` line: its size and,
  /// when it trained, each replica's best validation loss (6 significant digits: a real change
  /// shows, the printing of the last bit does not).
  public var resultLine: String {
    var line = "\(name) bytes=\(artifact().count) nonzero=\(nonzeroCount)"
    let losses = logs.filter { !$0.epochs.isEmpty }.map { resultNumber($0.bestValidationLoss) }
    if !losses.isEmpty { line += " val_loss=" + losses.joined(separator: ",") }
    return line
  }
}
