// shrink with its trainings fanned out as processes (engine=local): the same candidates, numbers
// and winner as the in-process search, and the same recorded commands; the same shrink again
// trains nothing, or only what lost its result; a damaged result is named. The Slurm files
// are checked here, the Slurm array itself by make slurm-test.

import Foundation
import Shell
import TestSupport
import Testing
import Workbench

/// The candidate table of a shrink's output (its header line to the last candidate).
func shrinkTable(_ output: String) -> [String] {
  let lines = output.split(separator: "\n").map(String.init)
  guard let start = lines.firstIndex(where: { $0.hasPrefix("  candidate ") }) else { return [] }
  return Array(lines[start...].prefix { $0.hasPrefix("  ") })
}

/// A saved session without its `#!` lines (the recording date).
func sessionBody(_ path: String) throws -> String {
  try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#!") }.joined(
    separator: "\n")
}

@Suite struct ShrinkFanoutTests {
  static let prefix = "load demo\ntrain units=16 epochs=2 runs=1 seed=3 as ref\n"
  static let shrink = "shrink ref budget=+3 epochs=1 ft_epochs=1 seed=100 linear=off"

  @Test func aLocalShrinkFindsTheInProcessCandidatesAndWinner() throws {
    let binary = try #require(tinycastBinary(), "the tinycast binary is built with the tests")
    let dir = temporaryDirectory()
    writeFile(dir + "/inprocess.tcs", Self.prefix + Self.shrink + "\nsave session inprocess-saved.tcs\n")
    writeFile(
      dir + "/local.tcs",
      Self.prefix + Self.shrink + " engine=local jobs=2 dir=trainings\nsave session local-saved.tcs overwrite=on\n")
    let (inStatus, inOutput) = try runBinary(binary, ["run", "inprocess.tcs"], in: dir)
    #expect(inStatus == 0, "\(inOutput)")
    let (status, output) = try runBinary(binary, ["run", "local.tcs"], in: dir)
    #expect(status == 0, "\(output)")
    #expect(output.contains("training 7 candidates at once: 2 processes at a time in trainings"), "\(output)")
    #expect(output.contains("shrink: trained ref-gru8x done"))
    // Every candidate with its bytes and validation MAPE as the in-process search found it, and
    // the same winner recorded with the same commands and results (its seeds and losses).
    let table = shrinkTable(inOutput)
    #expect(table.count == 13, "\(inOutput)")
    #expect(shrinkTable(output) == table)
    #expect(table.contains { $0.contains("<- smallest within budget") })
    let inSaved = try sessionBody(dir + "/inprocess-saved.tcs")
    #expect(inSaved.contains("distill") && inSaved.contains("#=> "))
    #expect(try sessionBody(dir + "/local-saved.tcs") == inSaved)

    // The same shrink again: every training has its result, none runs.
    let (againStatus, againOutput) = try runBinary(binary, ["run", "local.tcs"], in: dir)
    #expect(againStatus == 0, "\(againOutput)")
    #expect(againOutput.contains("7 of 7 trainings already have their result in trainings"))
    #expect(!againOutput.contains("shrink: trained "))
    #expect(shrinkTable(againOutput) == table)

    // A damaged result is named and removed; the next run trains that one alone.
    let damaged = dir + "/trainings/train-ref-gru4x.tcb"
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: damaged)))
    bytes[bytes.count / 2] ^= 1
    try Data(bytes).write(to: URL(fileURLWithPath: damaged))
    let (badStatus, badOutput) = try runBinary(binary, ["run", "local.tcs"], in: dir)
    #expect(badStatus == 1)
    #expect(
      badOutput.contains(
        "1 of 7 trainings have no result: ref-gru4x (train-ref-gru4x.tcb: the bundle is damaged "
          + "(its checksum does not match))"), "\(badOutput)")
    #expect(!FileManager.default.fileExists(atPath: damaged))
    // merge on the folder lists each training, done or why not, and exits 1 while one is missing.
    let (listStatus, list) = try runBinary(binary, ["merge", "trainings"], in: dir)
    #expect(listStatus == 1)
    #expect(list.contains("ref-gru4x: not run yet (no train-ref-gru4x.log)") || list.contains("ref-gru4x: no result"))
    #expect(list.contains("ref-kd4: done (LSTM-4, 1 run)"), "\(list)")
    #expect(list.contains("trainings: a shrink's trainings, 9 of 10 with their result"), "\(list)")
    let (fixedStatus, fixedOutput) = try runBinary(binary, ["run", "local.tcs"], in: dir)
    #expect(fixedStatus == 0, "\(fixedOutput)")
    #expect(fixedOutput.contains("shrink: trained ref-gru4x done"))
    #expect(!fixedOutput.contains("shrink: trained ref-gru2x"))
    #expect(shrinkTable(fixedOutput) == table)
    let (completeStatus, complete) = try runBinary(binary, ["merge", "trainings"], in: dir)
    #expect(completeStatus == 0, "\(complete)")
    #expect(complete.contains("10 of 10 with their result"))
  }

  @Test func aTrainingOnOtherInputsIsTrainedAgain() throws {
    let binary = try #require(tinycastBinary(), "the tinycast binary is built with the tests")
    let dir = temporaryDirectory()
    let shrink = Self.shrink + " networks=off engine=local jobs=2 dir=trainings\n"
    writeFile(dir + "/first.tcs", Self.prefix + shrink)
    // Another reference under the same name: the students learn from another teacher.
    writeFile(dir + "/second.tcs", Self.prefix.replacingOccurrences(of: "seed=3", with: "seed=4") + shrink)
    let (status, output) = try runBinary(binary, ["run", "first.tcs"], in: dir)
    #expect(status == 0, "\(output)")
    #expect(output.contains("shrink: trained ref-kd4 done"), "\(output)")
    let (otherStatus, otherOutput) = try runBinary(binary, ["run", "second.tcs"], in: dir)
    #expect(otherStatus == 0, "\(otherOutput)")
    #expect(otherOutput.contains("shrink: trained ref-kd4 done"), "\(otherOutput)")
    #expect(!otherOutput.contains("already have their result"))
  }

  @Test func slurmWritesTheArrayOfTrainings() throws {
    Fanout.executable = "/opt/tinycast/bin/tinycast"
    let (engine, dir, _) = makeEngine()
    try engine.execute("load demo")
    try engine.execute("train units=8 epochs=1 runs=1 seed=1 as ref")
    do { try engine.execute("shrink ref budget=+3 epochs=1 seed=9 linear=off engine=slurm dir=cluster") } catch let
      error as CommandError
    {
      #expect(error.message.hasPrefix("shrink needs 7 trainings run first: wrote cluster/shrink-1.sbatch"))
      #expect(error.hint?.contains("sbatch --wait cluster/shrink-1.sbatch, then the same shrink again") == true)
    }
    // Nothing was added to the workspace.
    #expect(engine.workspace.models.names == ["ref"])
    let script = try String(contentsOfFile: dir + "/cluster/shrink-1.sbatch", encoding: .utf8)
    #expect(script.contains("#SBATCH --array=1-7"))
    #expect(script.contains("SESSIONS=(train-ref-lstm2x.tcs train-ref-gru2x.tcs "))
    #expect(script.contains("exec \"$TINYCAST\" run \"$SESSION\" > \"${SESSION%.tcs}.log\" 2>&1"))
    // A training's session loads its inputs whole and writes its model back whole.
    let student = try String(contentsOfFile: dir + "/cluster/train-ref-kd4.tcs", encoding: .utf8)
    #expect(student.contains("load model input-ref.tcb\ndistill alpha=0.2 "))
    #expect(student.contains(" seed=1009 teacher=ref units=4 as ref-kd4\n"), "\(student)")
    #expect(student.contains("export ref-kd4 to=train-ref-kd4.tcb format=bundle overwrite=on"))
    #expect(!student.contains("train units=8"), "the reference travels as a bundle, not as its training")
    let input = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/cluster/input-ref.tcb")))
    #expect(try ModelBundle.decode(input).hasIdenticalReplicas(to: engine.workspace.model("ref")))
  }

  @Test func fanOutOptionsAreChecked() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load demo")
    try engine.execute("train units=4 epochs=1 runs=1 seed=1 as ref")
    for (line, message) in [
      ("shrink ref jobs=2", "dir=, jobs= and submit= are for engine=local or engine=slurm"),
      ("shrink ref engine=local submit=on", "submit=on is for engine=slurm; engine=local runs the trainings at once"),
      (
        "shrink ref engine=local time=10m",
        "time= bounds an in-process search; with engine=local every planned candidate is trained"
      ),
      ("shrink ref engine=cloud", "engine=cloud"),
    ] {
      do {
        try engine.execute(line)
        Issue.record("\(line) was accepted")
      } catch let error as CommandError { #expect(error.message.hasPrefix(message), "\(line): \(error.message)") }
    }
  }
}
