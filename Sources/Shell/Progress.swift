// Progress: the per-epoch line every training command prints, with an ETA, so long work never
// looks frozen; the news lines of a search; and the polling of Ctrl-C.

import Workbench

extension ShellContext {
  /// What an operation reports while it runs, shown in this context: on a terminal one status
  /// line rewritten in place, else one line per epoch; `notePrefix` starts each news line.
  func progress(notePrefix: String = "") -> Progress {
    let reporter = EpochReporter(context: self)
    return Progress(
      epoch: { reporter.show($0) }, note: { [emit] in emit(notePrefix + $0) }, shouldStop: shouldStop)
  }
}

/// Renders epoch events; it keeps the epoch times of the model being made for the ETA.
final class EpochReporter {
  let context: ShellContext
  private var model = ""
  private var seconds: [Double] = []

  init(context: ShellContext) { self.context = context }

  func show(_ e: EpochEvent) {
    if e.model != model {
      model = e.model
      seconds = []
    }
    let r = e.record
    seconds.append(r.seconds)
    let mean = seconds.reduce(0, +) / Double(seconds.count)
    let remaining = Double((e.epochs - r.epoch) + (e.runs - e.run - 1) * e.epochs) * mean
    let epoch = "\(pad(r.epoch, e.epochs))/\(e.epochs)"
    if let live = context.liveStatus {
      // A terminal: one line rewritten in place (under 80 columns, or the terminal would wrap
      // it), a bar over this run's epochs.
      let done = Int((Double(r.epoch) / Double(max(e.epochs, 1)) * 12).rounded(.down))
      let bar = String(repeating: "█", count: done) + String(repeating: "░", count: 12 - done)
      live(
        "  \(e.model.prefix(12)) r\(e.run + 1)/\(e.runs) \(bar) \(epoch) loss \(fixed(r.loss, 5)) "
          + "val \(fixed(r.validationLoss, 5)) ETA \(duration(remaining))")
    } else {
      context.emit(
        "  \(e.model) run \(e.run + 1)/\(e.runs) epoch \(epoch)  loss \(sci(r.loss))  val \(sci(r.validationLoss))  "
          + "\(fixed(r.seconds, 2))s  ETA <= \(duration(remaining))")
    }
  }

  /// One line per replica after training.
  static func summary(run: Int, _ r: ReplicaRun) -> String {
    let log = r.log
    let how = log.interrupted ? "interrupted" : log.stoppedEarly ? "stopped early" : "ran all epochs"
    return "  run \(run + 1) seed \(r.seed): best epoch \(log.bestEpoch) of \(log.epochs.count) (\(how)), "
      + "val loss \(sci(log.bestValidationLoss))"
  }
}
