// Every session under sessions/ and examples/ replays in the test suite, on the built-in demo
// data with one short epoch and one run (the real-data runs are .ci/run's and make bench's).

import Foundation
import Shell
import TestSupport
import Testing
import TinycastCLI
import Workbench

func sessionFiles() -> [String] {
  let root = packageRoot()
  var files: [String] = []
  for folder in ["sessions", "examples"] {
    let dir = root + "/" + folder
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    files += names.filter { $0.hasSuffix(".tcs") }.sorted().map { "\(folder)/\($0)" }
  }
  return files
}

@Suite struct SessionReplayTests {
  @Test func thereAreSessionsToReplay() {
    #expect(sessionFiles().contains("sessions/baseline.tcs"))
    #expect(sessionFiles().contains("examples/demo.tcs"))
  }

  @Test(arguments: sessionFiles())
  func replaysOnDemoData(file: String) {
    var out: [String] = []
    var err: [String] = []
    let status = Tinycast.execute(
      [
        "run",
        packageRoot() + "/" + file, "--out", temporaryDirectory(),
        "--set", "data=demo", "--set", "epochs=1", "--set", "runs=1", "--set", "ft_epochs=1",
        "--set", "nn_epochs=1", "--set", "nn_runs=1",
        "--set", "max_mape=100", "--set", "beat=100",
        "--set", "int8_margin=100", "--set", "prune_margin=100",
        "--set", "structured_margin=100", "--set", "kd_margin=100", "--set", "linear_max=100",
        "--set", "ets_max=100", "--set", "ets_min=0", "--set", "ets_reference=100",
      ],
      stdout: { out.append($0) }, stderr: { err.append($0) })
    #expect(status == 0, "\(file): \(err.joined(separator: "\n"))")
    #expect(out.contains { $0.contains("MAPE") })
  }
}
