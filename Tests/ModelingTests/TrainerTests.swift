// Trainer behaviour on small data: it learns, it is deterministic for a seed and any thread
// count, early stopping restores the best weights, masks keep pruned weights at zero.

import Modeling
import NumericCore
import SalesData
import TestSupport
import Testing

func smallWindows(days: Int = 160, steps: Int = 1) throws -> WindowedData {
  let table = try SalesCSV.parse(bytes: Array(smallSalesCSV(days: days).utf8), path: "small.csv")
  let dataset = try SalesDataset.assemble(table, stores: .all, items: .all, gaps: .error)
  var config = WindowConfig()
  config.lookback = 7
  config.steps = steps
  return try WindowedData(dataset: dataset, config: config)
}

func trained(
  threads: Int, seed: UInt64 = 7, epochs: Int = 4, cell: RecurrentCell = .lstm, inputs: RecurrentInputs = .plain,
  steps: Int = 1, hooks: TrainingHooks = TrainingHooks()
) throws -> (RecurrentForecaster, TrainingLog) {
  let data = try smallWindows(steps: steps)
  var rng = SeededGenerator(seed: seed)
  var model = RecurrentForecaster(units: 8, cell: cell, inputs: inputs, outputs: steps, dropout: 0.2, rng: &rng)
  var config = TrainingConfig()
  config.epochs = epochs
  config.threads = threads
  config.batchSize = 32
  config.learningRate = 0.01
  let log = Trainer.fit(&model, data: data, config: config, rng: &rng, hooks: hooks)
  return (model, log)
}

@Suite struct TrainerTests {
  @Test func lossFallsAndBeatsPredictingTheMean() throws {
    let data = try smallWindows()
    let (model, log) = try trained(threads: 1, epochs: 15)
    #expect(log.epochs.last!.loss < log.epochs.first!.loss)
    let targets = data.validation.map { data.target($0) }
    let mean = targets.reduce(0, +) / Float(targets.count)
    let varianceOfTargets = targets.reduce(0.0) { $0 + Double(($1 - mean) * ($1 - mean)) } / Double(targets.count)
    let mse = meanSquaredError(model, windows: data.validation, data: data, threads: 1)
    #expect(mse < 0.5 * varianceOfTargets, "validation MSE \(mse) vs variance \(varianceOfTargets)")
  }

  @Test func sameSeedGivesBitIdenticalWeightsForAnyThreadCount() throws {
    let (a, logA) = try trained(threads: 1)
    let (b, logB) = try trained(threads: 1)
    let (c, logC) = try trained(threads: 2)
    let (d, _) = try trained(threads: 3)
    #expect(a.weights.values == b.weights.values)
    #expect(a.weights.values == c.weights.values)
    #expect(a.weights.values == d.weights.values)
    // Same losses epoch by epoch (the logs' wall-clock seconds differ, of course).
    func losses(_ l: TrainingLog) -> [Double] { l.epochs.flatMap { [$0.loss, $0.validationLoss] } }
    #expect(losses(logA) == losses(logB) && losses(logA) == losses(logC))
    #expect(logA.bestEpoch == logC.bestEpoch)
    let (other, _) = try trained(threads: 1, seed: 8)
    #expect(other.weights.values != a.weights.values)
  }

  /// The GRU over level-normalised sales and calendar channels: the same bits for 1, 2 and 3
  /// threads, and it learns.
  @Test func aGRUWithInputsIsDeterministicAndLearns() throws {
    let inputs = RecurrentInputs(levelNormalized: true, calendar: CalendarFeatures(weekday: true, yearHarmonics: 1))
    let (a, log) = try trained(threads: 1, epochs: 6, cell: .gru, inputs: inputs)
    let (b, _) = try trained(threads: 2, epochs: 6, cell: .gru, inputs: inputs)
    let (c, _) = try trained(threads: 3, epochs: 6, cell: .gru, inputs: inputs)
    #expect(a.weights.values == b.weights.values && a.weights.values == c.weights.values)
    #expect(a.inputSize == 10 && a.layout.count(.kernel) == 10 * 24)
    #expect(log.epochs.last!.loss < log.epochs.first!.loss)
    // Its forecasts come back in scaled units, and beat predicting the mean.
    let data = try smallWindows()
    let (learned, _) = try trained(threads: 2, epochs: 15, cell: .gru, inputs: inputs)
    let targets = data.validation.map { data.target($0) }
    let mean = targets.reduce(0, +) / Float(targets.count)
    let varianceOfTargets = targets.reduce(0.0) { $0 + Double(($1 - mean) * ($1 - mean)) } / Double(targets.count)
    let mse = meanSquaredError(learned, windows: data.validation, data: data, threads: 1)
    #expect(mse < 0.5 * varianceOfTargets, "validation MSE \(mse) vs variance \(varianceOfTargets)")
  }

  /// A 7-day head: the same bits for 1, 2 and 3 threads, and it learns every day (each day's
  /// validation error well under the spread of that day's targets).
  @Test func aMultiDayHeadIsDeterministicAndLearnsEveryDay() throws {
    let inputs = RecurrentInputs(levelNormalized: true, calendar: CalendarFeatures(weekday: true, yearHarmonics: 0))
    let (a, _) = try trained(threads: 1, epochs: 3, cell: .gru, inputs: inputs, steps: 7)
    let (b, _) = try trained(threads: 2, epochs: 3, cell: .gru, inputs: inputs, steps: 7)
    let (c, _) = try trained(threads: 3, epochs: 3, cell: .gru, inputs: inputs, steps: 7)
    #expect(a.weights.values == b.weights.values && a.weights.values == c.weights.values)
    #expect(a.outputs == 7 && a.layout.shape(.denseKernel) == (8, 7))
    let data = try smallWindows(steps: 7)
    let (learned, log) = try trained(threads: 2, epochs: 20, cell: .lstm, inputs: inputs, steps: 7)
    #expect(log.epochs.last!.loss < log.epochs.first!.loss)
    let y = predictScaled(learned, windows: data.validation, data: data, threads: 2)
    #expect(y.count == data.validation.count * 7)
    for day in 0..<7 {
      let targets = data.validation.map { data.target($0, step: day) }
      let mean = targets.reduce(0, +) / Float(targets.count)
      let variance = targets.reduce(0.0) { $0 + Double(($1 - mean) * ($1 - mean)) } / Double(targets.count)
      var sse = 0.0
      for (k, t) in targets.enumerated() { sse += Double((y[k * 7 + day] - t) * (y[k * 7 + day] - t)) }
      let mse = sse / Double(targets.count)
      #expect(mse < 0.5 * variance, "day \(day + 1): validation MSE \(mse) vs variance \(variance)")
    }
  }

  /// A level-normalised window: sales over their mean, less 1; the calendar of the day each step
  /// forecasts, the forecast day at the last step.
  @Test func inputsAreWhatTheyClaim() throws {
    let data = try smallWindows()
    let inputs = RecurrentInputs(levelNormalized: true, calendar: CalendarFeatures(weekday: true))
    let w = data.test[3]
    let T = data.lookback
    var x = [Float](repeating: .nan, count: T * 8)
    let level = x.withUnsafeMutableBufferPointer {
      inputs.gather(w, data: data, row: 0, batch: 1, into: $0.baseAddress!)
    }
    let sales = (0..<T).map { data.raw[Int(w.series)][Int(w.start) + $0] }
    #expect(level == sales.reduce(0, +) / Float(T))
    for t in 0..<T {
      #expect(x[t * 8] == sales[t] / level - 1)
      let weekday = CivilDate.weekday(data.targetDay(w) - (T - 1 - t))
      #expect((0..<7).map { x[t * 8 + 1 + $0] } == (0..<7).map { $0 == weekday ? 1 : 0 })
    }
    // A holiday channel, last: 1 exactly on the listed days.
    let days = [data.targetDay(w), data.targetDay(w) - 3]
    let withHolidays = RecurrentInputs(holidays: days.sorted())
    var y = [Float](repeating: .nan, count: T * 2)
    _ = y.withUnsafeMutableBufferPointer { withHolidays.gather(w, data: data, row: 0, batch: 1, into: $0.baseAddress!) }
    #expect((0..<T).map { y[$0 * 2 + 1] } == (0..<T).map { [T - 1, T - 4].contains($0) ? 1 : 0 })
    #expect(
      inputs.scaledForecast(
        inputs.networkTarget(scaled: 0.4, level: level, scaler: data.scaler), level: level,
        scaler: data.scaler) == data.scaler.scale(data.scaler.unscale(0.4)))
  }

  @Test func earlyStoppingRestoresTheBestEpochsWeights() throws {
    let data = try smallWindows()
    // A large learning rate makes validation loss wander, so patience triggers.
    var rng = SeededGenerator(seed: 3)
    var model = RecurrentForecaster(units: 8, dropout: 0, rng: &rng)
    var config = TrainingConfig()
    config.epochs = 40
    config.patience = 2
    config.learningRate = 0.05
    config.batchSize = 16
    let log = Trainer.fit(&model, data: data, config: config, rng: &rng)
    #expect(log.stoppedEarly)
    let best = log.epochs.min { $0.validationLoss < $1.validationLoss }!
    #expect(log.bestEpoch == best.epoch)
    #expect(log.epochs.count == log.bestEpoch + config.patience)
    // The restored weights give the best epoch's validation loss.
    let restored = meanSquaredError(model, windows: data.validation, data: data, threads: 1)
    #expect(restored == best.validationLoss)
  }

  @Test func maskedWeightsStayExactlyZero() throws {
    let layout = ParameterLayout(inputSize: 1, units: 8)
    var mask = [Float](repeating: 1, count: layout.totalCount)
    for k in layout.range(.recurrentKernel) where k % 3 == 0 { mask[k] = 0 }
    var hooks = TrainingHooks()
    hooks.mask = mask
    let (model, _) = try trained(threads: 2, hooks: hooks)
    for k in mask.indices where mask[k] == 0 { #expect(model.weights.values[k] == 0) }
    #expect(model.weights.values.filter { $0 != 0 }.count > layout.totalCount / 2)
  }

  @Test func stopRequestEndsTrainingKeepingBestWeights() throws {
    var calls = 0
    var hooks = TrainingHooks()
    hooks.shouldStop = {
      calls += 1
      return calls > 30
    }
    let (_, log) = try trained(threads: 1, epochs: 10, hooks: hooks)
    #expect(log.interrupted)
    #expect(log.epochs.count < 10)
  }

  @Test func kerasInitialisation() {
    var rng = SeededGenerator(seed: 1)
    let m = RecurrentForecaster(units: 4, dropout: 0.2, rng: &rng)
    let bias = m.weights[.bias].storage
    #expect(bias == [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    #expect(m.weights[.denseBias].storage == [0])
    #expect(m.parameterCount == 4 * 4 * (1 + 4 + 1) + 4 + 1)
  }
}
