// Progress: the per-epoch line every training command prints, with an ETA, so long work never
// looks frozen; and the polling of Ctrl-C.

import Modeling
import Evaluation

final class EpochProgress {
  let name: String, runs: Int, epochs: Int
  let context: ShellContext
  private var seconds: [Double] = []

  init(name: String, runs: Int, epochs: Int, context: ShellContext) {
    self.name = name; self.runs = runs; self.epochs = epochs; self.context = context
  }

  /// Hooks for replica `run` (0-based): one progress line per epoch, Ctrl-C stops.
  func hooks(run: Int) -> TrainingHooks {
    var h = TrainingHooks()
    h.shouldStop = context.shouldStop
    h.onEpoch = { [self] e in
      seconds.append(e.seconds)
      let mean = seconds.reduce(0, +) / Double(seconds.count)
      let remaining = Double((epochs - e.epoch) + (runs - run - 1) * epochs) * mean
      if let live = context.liveStatus {
        // A terminal: one line rewritten in place (under 80 columns, or the terminal would wrap
        // it), a bar over this run's epochs.
        let done = Int((Double(e.epoch) / Double(max(epochs, 1)) * 12).rounded(.down))
        let bar = String(repeating: "█", count: done) + String(repeating: "░", count: 12 - done)
        live("  \(name.prefix(12)) r\(run + 1)/\(runs) \(bar) \(pad(e.epoch, epochs))/\(epochs) loss \(String(format: "%.5f", e.loss)) val \(String(format: "%.5f", e.validationLoss)) ETA \(duration(remaining))")
      } else {
        context.emit("  \(name) run \(run + 1)/\(runs) epoch \(pad(e.epoch, epochs))/\(epochs)  loss \(sci(e.loss))  val \(sci(e.validationLoss))  \(fixed(e.seconds, 2))s  ETA <= \(duration(remaining))")
      }
    }
    return h
  }

  /// One line per replica after training.
  static func summary(run: Int, seed: UInt64, log: TrainingLog) -> String {
    let how = log.interrupted ? "interrupted" : log.stoppedEarly ? "stopped early" : "ran all epochs"
    return "  run \(run + 1) seed \(seed): best epoch \(log.bestEpoch) of \(log.epochs.count) (\(how)), val loss \(sci(log.bestValidationLoss))"
  }
}
