// Progress: what a long operation tells while it works (one event per training epoch, a line of
// news from a search) and how it is asked to stop (Ctrl-C). The shell decides how to show it.

import Modeling

/// One finished epoch of one replica of the model being made.
public struct EpochEvent: Sendable {
  public var model: String
  public var run: Int  // 0-based replica
  public var runs: Int
  public var epochs: Int  // most epochs per run
  public var record: EpochRecord
}

public struct Progress {
  public var epoch: (EpochEvent) -> Void
  /// A line of news, as it happens (shrink's search, sweep's steps).
  public var note: (String) -> Void
  /// Polled between batches; true stops the work cleanly.
  public var shouldStop: () -> Bool

  public init(
    epoch: @escaping (EpochEvent) -> Void = { _ in }, note: @escaping (String) -> Void = { _ in },
    shouldStop: @escaping () -> Bool = { false }
  ) {
    self.epoch = epoch
    self.note = note
    self.shouldStop = shouldStop
  }

  /// Silent, never stopped.
  public static var none: Progress { Progress() }

  /// The trainer's hooks for replica `run` of `runs` of `model`.
  func hooks(model: String, run: Int, runs: Int, epochs: Int) -> TrainingHooks {
    var h = TrainingHooks()
    h.shouldStop = shouldStop
    let epoch = self.epoch
    h.onEpoch = { record in
      epoch(EpochEvent(model: model, run: run, runs: runs, epochs: epochs, record: record))
    }
    return h
  }
}
