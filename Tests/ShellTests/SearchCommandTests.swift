// sensitivity, sweep and shrink through the shell, on the small test data.

import Foundation
import Shell
import TestSupport
import Testing
import TinycastCLI
import Workbench

@Suite struct SensitivityTests {
  @Test func oneRowPerMatrixAndEveryLevel() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=6 epochs=2 runs=2 seed=1 as base")
    let out = try engine.execute("sensitivity base levels=0.2,0.4,0.6,0.8")
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines[2].contains("20.0%") && lines[2].contains("80.0%"))
    for (k, matrix) in ["lstm/kernel", "lstm/recurrent_kernel", "dense/kernel"].enumerated() {
      let row = lines[3 + k].split(separator: " ")
      #expect(row.first.map(String.init) == matrix, "\(lines[3 + k])")
      #expect(row.count == 2 + 4 + 1)  // name, weight count, four changes, the tolerated level
    }
    #expect(engine.lastResults.count == 3)
    #expect(lines.allSatisfy { $0.count <= 80 })
    // Pruning most of the recurrent kernel must cost more than pruning little of it.
    let recurrent = lines[4].split(separator: " ").dropLast().suffix(4).map { Double($0)! }
    #expect(recurrent[3] > recurrent[0])
    try engine.execute("quantize base int8 as q")
    #expect(errorText(engine, "sensitivity q")?.contains("prunes float32 models") == true)
    #expect(errorText(engine, "sensitivity base levels=0.5,1.5")?.contains("not a sparsity") == true)
  }
}

@Suite struct SweepTests {
  @Test func runsOncePerValueRecordsTheSingleCommandsAndNamesTheKnee() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    let recordedBefore = engine.workspace.recorded.count
    let out = try engine.execute("sweep units=8,4,2 train epochs=1 runs=1 seed=3")
    #expect(engine.workspace.models.names == ["lstm8", "lstm4", "lstm2"])
    let verbs = engine.workspace.recorded.dropFirst(recordedBefore).map(\.verb)
    #expect(verbs == ["train", "train", "train", "compare"])
    #expect(engine.workspace.recorded[recordedBefore].render().contains("units=8"))
    #expect(out.contains("sweep units=8,4,2: 3 models"))
    #expect(out.contains("knee: "))
    // A sparsity sweep gives prune its positional level.
    _ = try engine.execute("sweep sparsity=0.3,0.6 prune lstm8")
    #expect(engine.workspace.models["lstm8-p30"] != nil && engine.workspace.models["lstm8-p60"] != nil)
  }

  @Test func aFailingRunChangesNothing() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    let recorded = engine.workspace.recorded.count
    let history = engine.context.history.count
    let error = errorText(engine, "sweep units=4,0 train epochs=1 runs=1 seed=1")
    #expect(error?.hasPrefix("sweep 2/2 (train epochs=1 runs=1 seed=1 units=0):") == true, "\(error ?? "")")
    #expect(engine.workspace.models.isEmpty)
    #expect(engine.workspace.recorded.count == recorded && engine.context.history.count == history)
    #expect(errorText(engine, "sweep units=4 train")?.contains("two or more") == true)
    #expect(errorText(engine, "sweep colour=1,2 train")?.contains("train has no option 'colour'") == true)
    #expect(errorText(engine, "sweep units=4,2 train units=3")?.contains("leave it out") == true)
    #expect(errorText(engine, "sweep units=4,2 models")?.contains("not one") == true)
  }
}

@Suite struct ShrinkTests {
  @Test func findsASmallerModelWithinBudgetAndItsSessionReplays() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=8 epochs=2 runs=2 seed=1 as ref")
    let modelsBefore = engine.workspace.models.names.count
    // linear=off: the students, quantization and pruning (the linear stage has its own test).
    let out = try engine.execute("shrink ref budget=+50 epochs=2 ft_epochs=1 time=5m seed=10 linear=off as tiny")
    let tiny = try #require(engine.workspace.models["tiny"])
    let ref = engine.workspace.models["ref"]!
    #expect(tiny.artifact().count < ref.artifact().count)
    #expect(out.contains("result: tiny = "), "\(out)")
    #expect(out.contains("<- smallest within budget"))
    #expect(out.contains("best validation MAPE within: 1 KB "), "\(out)")
    #expect(engine.workspace.models.names.count > modelsBefore)
    #expect(engine.workspace.models.current == "tiny")
    try engine.execute("save session s.tcs")
    var err: [String] = []
    let status = Tinycast.execute(
      ["run", dir + "/s.tcs", "--verify", "--allow-write", "ANYWHERE"], stdout: { _ in }, stderr: { err.append($0) }
    )
    #expect(status == 0, "\(err)")
    #expect(!(try String(contentsOfFile: dir + "/s.tcs", encoding: .utf8)).contains("shrink"))
    let log = try engine.execute("explain shrink")
    #expect(log.contains("chose "))
    // Stage 0b trained small networks reading the level and the calendar, each also stored small.
    #expect(log.contains("stage 0b: LSTMs and GRUs reading the level, weekday and 3 yearly harmonics"), "\(log)")
    let recipe = "over the level, weekday, 3 yearly harmonics, absolute errors"
    #expect(
      log.contains("ref-lstm2x: LSTM-2 \(recipe), float32") && log.contains("ref-lstm2x-i8: LSTM-2 \(recipe), int8")
        && log.contains("ref-gru2x: GRU-2 \(recipe), float32"), "\(log)")
    // networks=off (and linear=off) goes straight to the students.
    _ = try engine.execute("shrink ref budget=+50 epochs=1 ft_epochs=1 time=5m seed=20 linear=off networks=off as t2")
    #expect(!(try engine.execute("explain shrink")).contains("stage 0b"))
  }

  /// Stage 0: linear models of the reference's window; beat= asks every candidate to score
  /// better than another model too. The winner's commands replay without searching.
  @Test func linearCandidatesComeFirstAndBeatNamesARival() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=8 epochs=2 runs=1 seed=1 as ref")
    try engine.execute("train kind=linear as rival")
    let out = try engine.execute("shrink ref budget=+50 beat=rival time=0 as small")
    // The plain linear model is the rival itself, so it cannot score better than it; its int8
    // form does, by a hair, and is the smallest: it wins.
    #expect(out.contains("result: small = linear AR(14), int8"), "\(out)")
    let log = try engine.execute("explain shrink")
    #expect(log.contains("stage 0: linear models of ref's 14 days") && log.contains("better than rival"), "\(log)")
    #expect(log.contains("ref-lin: linear AR(14), float32") && log.contains("over budget"), "\(log)")
    let small = try #require(engine.workspace.models["small"])
    #expect(small.family == "linear" && small.kindDescription.hasPrefix("int8"))
    try engine.execute("save session s.tcs")
    let saved = try String(contentsOfFile: dir + "/s.tcs", encoding: .utf8)
    #expect(saved.contains("train kind=linear ridge=0.0001 as ref-lin\n"), "\(saved)")
    #expect(saved.contains("quantize ref-lin int8 granularity=channel mode=symmetric as small"), "\(saved)")
    #expect(!saved.contains("shrink"))
    var err: [String] = []
    let status = Tinycast.execute(
      ["run", dir + "/s.tcs", "--verify", "--allow-write", "ANYWHERE"], stdout: { _ in }, stderr: { err.append($0) })
    #expect(status == 0, "\(err)")
    #expect(errorText(engine, "shrink ref beat=nobody")?.contains("no model named 'nobody'") == true)
  }

  /// lookbacks=: stages 0 and 0b on other window lengths too. A winner there records the
  /// `window` it needs before its commands and the reference's after them, so the session goes
  /// on with the windows it had, and the replay verifies.
  @Test func otherWindowLengthsAreSearchedAndTheirWindowIsRecorded() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=8 epochs=1 runs=1 seed=1 as ref")
    let out = try engine.execute("shrink ref budget=+50 lookbacks=7,28 networks=off time=5m as small")
    // Seven days make the smallest linear model: it wins.
    #expect(out.contains("result: small = linear AR(7), int8"), "\(out)")
    #expect(out.contains("recorded 4 commands that rebuild it without searching: window, train, quantize, window"))
    let log = try engine.execute("explain shrink")
    #expect(log.contains("windows of 28 days for stages 0 and 0b") && log.contains("ref-linx28: "), "\(log)")
    #expect(engine.workspace.models["small"]!.window.lookback == 7)
    #expect(engine.workspace.models["small"]!.lineage.contains { $0.hasPrefix("window horizon=1 lookback=7 ") })
    // The session's windows are the reference's again.
    #expect(engine.workspace.datasets["small"]!.windows.config.lookback == 14)
    try engine.execute("save session s.tcs")
    let saved = try String(contentsOfFile: dir + "/s.tcs", encoding: .utf8)
    #expect(saved.contains("lookback=7 scale=minmax split=0.8 val=0.1\ntrain kind=linear ridge=0.0001 as ref-lin7\n"))
    #expect(
      saved.hasSuffix(
        "as small\n#=> \(engine.workspace.models["small"]!.resultLine)\n"
          + "window horizon=1 lookback=14 scale=minmax split=0.8 val=0.1\n"), "\(saved)")
    var err: [String] = []
    let status = Tinycast.execute(
      ["run", dir + "/s.tcs", "--verify", "--allow-write", "ANYWHERE"], stdout: { _ in }, stderr: { err.append($0) })
    #expect(status == 0, "\(err)")
    #expect(errorText(engine, "shrink ref lookbacks=7,x")?.hasPrefix("lookbacks=7,x: give window lengths") == true)
  }

  @Test func theTimeLimitStopsTheSearchAndSaysSo() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=6 epochs=1 runs=1 seed=1 as ref")
    // time=0 trains nothing (a nonzero limit would race the clock): only the reference's own
    // quantized forms are judged.
    let out = try engine.execute("shrink ref budget=+50 time=0 epochs=1")
    #expect(out.contains("time limit 0 reached before training LSTM-2"), "\(out)")
    #expect(!out.contains("kd4"))
    #expect(engine.workspace.models.current?.hasPrefix("ref-") == true)
  }

  @Test func whenNothingFitsItSaysWhyAndAddsNothing() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=6 epochs=1 runs=1 seed=1 as ref")
    let before = engine.workspace.models.names
    let recorded = engine.workspace.recorded.count
    let out = try engine.execute("shrink ref budget=+50 max_bytes=64 epochs=1 ft_epochs=1")
    #expect(out.contains("none fits") && out.contains("max_bytes=64"), "\(out)")
    #expect(engine.workspace.models.names == before && engine.workspace.recorded.count == recorded)
    #expect(errorText(engine, "shrink ref budget=lots")?.contains("budget=lots") == true)
    #expect(errorText(engine, "shrink ref time=soon")?.contains("time=soon") == true)
    try engine.execute("quantize ref int8 as q")
    #expect(errorText(engine, "shrink q")?.contains("starts from a float32 model") == true)
  }
}

@Suite struct HeadlineMetricTests {
  @Test func setMetricIsRecordedAndDrivesSensitivity() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=6 epochs=1 runs=1 seed=1 as base")
    let recorded = engine.workspace.recorded.count
    try engine.execute("set threads=1")
    #expect(engine.workspace.recorded.count == recorded)  // threads change no result: not recorded
    #expect(try engine.execute("set metric=mase") == "threads=1 metric=mase container=json")
    #expect(engine.workspace.recorded.last?.render() == "set metric=mase")
    let out = try engine.execute("sensitivity base levels=0.5")
    #expect(out.hasPrefix("base: validation MASE "), "\(out)")
    #expect(out.contains("MASE change when one matrix alone is pruned"))
    #expect(errorText(engine, "set metric=mpae")?.contains("did you mean 'mape'?") == true)
  }
}
