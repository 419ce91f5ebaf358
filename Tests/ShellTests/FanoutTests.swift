// Sweeps fanned out as processes (engine=local), their merge, and the Slurm files: the merged
// table is the in-process sweep's, bit for bit; a point without a result is named, and the
// next run of the sweep runs only that point. (The Slurm array itself: make slurm-test.)

import Foundation
import Shell
import TestSupport
import Testing
import TinycastCLI
import Workbench

/// The comparison table and the knee in a sweep's output: from the table's header line to the
/// knee line.
func sweepTable(_ output: String) -> [String] {
  let lines = output.split(separator: "\n").map(String.init)
  guard let start = lines.firstIndex(where: { $0.hasPrefix("model ") }),
    let end = lines.lastIndex(where: { $0.hasPrefix("knee:") })
  else { return [] }
  return Array(lines[start...end])
}

@Suite struct FanoutTests {
  static let prefix = "load demo\ntrain units=3 epochs=1 runs=1 seed=3 as base\n"
  static let sweep = "sweep units=2,3,4,5 train epochs=1 runs=2 seed=5"

  @Test func aLocalSweepMergesToTheInProcessNumbersBitForBit() throws {
    let binary = try #require(tinycastBinary(), "the tinycast binary is built with the tests")
    let dir = temporaryDirectory()
    writeFile(
      dir + "/inprocess.tcs", Self.prefix + Self.sweep + "\ncompare lstm2 lstm3 lstm4 lstm5 to=inprocess.json\n")
    writeFile(dir + "/local.tcs", Self.prefix + Self.sweep + " engine=local jobs=2 dir=points\n")
    let (inStatus, inOutput) = try runBinary(binary, ["run", "inprocess.tcs"], in: dir)
    #expect(inStatus == 0, "\(inOutput)")
    let (status, output) = try runBinary(binary, ["run", "local.tcs"], in: dir)
    #expect(status == 0, "\(output)")
    #expect(output.contains("4 of 4 points in points, 2 at a time"))
    #expect(output.contains("4 of 4 points merged"))
    // The table and the knee as the in-process sweep printed them.
    #expect(!sweepTable(inOutput).isEmpty)
    #expect(sweepTable(output) == sweepTable(inOutput))
    // Every number, bit for bit: the merge's JSON is the in-process compare's, byte for byte.
    let (mergeStatus, mergeOutput) = try runBinary(binary, ["merge", "points", "--out", "merged.json"], in: dir)
    #expect(mergeStatus == 0, "\(mergeOutput)")
    let merged = try String(contentsOfFile: dir + "/merged.json", encoding: .utf8)
    let inProcess = try String(contentsOfFile: dir + "/inprocess.json", encoding: .utf8)
    #expect(merged == inProcess)
    #expect(merged.contains("\"per_run\": [{\"mape\": "))

    // A point that failed is named with its log's error; the merge exits 1 but keeps the rest.
    try FileManager.default.removeItem(atPath: dir + "/points/point-3.json")
    writeFile(dir + "/points/point-3.log", "training...\npoint-3.tcs:7: error: the node ran out of memory\n")
    let (failedStatus, failedOutput) = try runBinary(binary, ["merge", "points"], in: dir)
    #expect(failedStatus == 1)
    #expect(failedOutput.contains("3 of 4 points merged"))
    #expect(
      failedOutput.contains(
        "point 3 (units=4) missing: failed: point-3.tcs:7: error: the node ran out of memory"), "\(failedOutput)")
    #expect(failedOutput.contains("lstm5") && !failedOutput.contains("lstm4 "))
    // The same sweep again runs point 3 alone, and the merge is whole and identical again.
    let (againStatus, againOutput) = try runBinary(binary, ["run", "local.tcs"], in: dir)
    #expect(againStatus == 0, "\(againOutput)")
    #expect(againOutput.contains("1 of 4 points in points"))
    #expect(againOutput.contains("sweep point 3 done"))
    #expect(!againOutput.contains("sweep point 1 done"))
    _ = try runBinary(binary, ["merge", "points", "--out", "merged-again.json"], in: dir)
    #expect(try String(contentsOfFile: dir + "/merged-again.json", encoding: .utf8) == inProcess)
  }

  @Test func slurmWritesTheArrayAndSelfContainedPoints() throws {
    Fanout.executable = "/opt/tinycast/bin/tinycast"
    let (engine, dir, _) = makeEngine()
    try engine.execute("load demo")
    try engine.execute("train units=2 epochs=1 runs=1 seed=1 as base")
    let out = try engine.execute("sweep sparsity=0.5,0.7,0.9 prune base engine=slurm dir=cluster")
    #expect(out.contains("wrote cluster/: 3 point sessions and sweep.sbatch (a job array, 1-3)"))
    #expect(out.contains("sbatch cluster/sweep.sbatch"))
    let script = try String(contentsOfFile: dir + "/cluster/sweep.sbatch", encoding: .utf8)
    #expect(script.contains("#SBATCH --array=1-3"))
    #expect(script.contains("TINYCAST=\"${TINYCAST:-/opt/tinycast/bin/tinycast}\""))
    #expect(script.contains("exec \"$TINYCAST\" run \"point-${SLURM_ARRAY_TASK_ID}.tcs\""))
    // A point is the session so far, its command, the earlier models dropped, its result.
    let point = try String(contentsOfFile: dir + "/cluster/point-2.tcs", encoding: .utf8)
    let commands = point.split(separator: "\n").filter { !$0.hasPrefix("#") }
    #expect(commands.first?.hasPrefix("load demo") == true)
    #expect(commands.suffix(3) == ["prune base 0.7", "drop base", "compare to=point-2.json overwrite=on"])
    // Nothing changed in the workspace: no model was made here.
    #expect(engine.workspace.models.names == ["base"])
    // The same dir with another sweep is refused; the same sweep is not.
    #expect(
      errorText(engine, "sweep units=2,4 train engine=slurm dir=cluster")?.contains(
        "cluster holds another sweep (sweep sparsity=0.5,0.7,0.9 prune)") == true)
    #expect(errorText(engine, "sweep sparsity=0.5,0.7,0.9 prune base engine=slurm dir=cluster") == nil)
  }

  @Test func fanoutOptionsAreChecked() {
    let (engine, _, _) = makeEngine()
    #expect(errorText(engine, "sweep units=2,4 train engine=cloud")?.contains("say inprocess, local or slurm") == true)
    #expect(errorText(engine, "sweep units=2,4 train jobs=2")?.contains("are for engine=local or engine=slurm") == true)
    #expect(errorText(engine, "sweep units=2,4 train engine=local jobs=0")?.contains("1 to 256") == true)
    #expect(errorText(engine, "sweep units=2,4 train engine=local submit=on")?.contains("for engine=slurm") == true)
  }

  @Test func aPointScoredOnOtherTargetsIsNamedNotMerged() throws {
    // The fuzz corpus' plan (4 points) and point: point 1 as written, point 2 with fewer targets.
    let corpus = packageRoot() + "/Tests/Fuzz/corpus/merge/"
    let dir = temporaryDirectory()
    let point = try String(contentsOfFile: corpus + "point.json", encoding: .utf8)
    writeFile(dir + "/sweep.json", try String(contentsOfFile: corpus + "sweep.json", encoding: .utf8))
    writeFile(dir + "/point-1.json", point)
    writeFile(dir + "/point-2.json", point.replacingOccurrences(of: "\"count\": 18150", with: "\"count\": 100"))
    var out: [String] = []
    #expect(Tinycast.execute(["merge", dir], stdout: { out.append($0) }, stderr: { out.append($0) }) == 1)
    let text = out.joined(separator: "\n")
    #expect(text.contains("1 of 4 points merged"), "\(text)")
    #expect(text.contains("point 2 (units=4) missing: ") && text.contains("was scored on other test targets"))
    #expect(text.contains("point 3 (units=6) missing: not run yet (no point-3.log)"))
  }

  @Test func mergeNamesWhatIsNotASweep() {
    let dir = temporaryDirectory()
    var err: [String] = []
    #expect(Tinycast.execute(["merge", dir], stdout: { _ in }, stderr: { err.append($0) }) == 1)
    #expect(err.joined().contains("no sweep here"), "\(err)")
  }
}
