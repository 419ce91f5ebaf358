// Tinycast as a Jupyter kernel, driven through jupyter_client as JupyterLab drives it: the
// kernelspec `tinycast jupyter install` writes, a cell of commands with its HTML table and
// streamed epochs, a plot as SVG display data, a completion, an error naming the cell line, an
// interrupt that stops training, and a restart that starts afresh (tools/check_jupyter_kernel.py).
// Needs Python's jupyter_client and ipykernel (.ci/run installs them); without them it skips.

import Foundation
import TestSupport
import Testing
import TinycastCLI

func jupyterMissing() -> String? {
  guard let out = try? run("/usr/bin/env", ["python3", "-c", "import ipykernel, jupyter_client"]) else {
    return "python3 is missing"
  }
  return out.status == 0
    ? nil : "Python's ipykernel or jupyter_client is missing (pip install ipykernel jupyter_client)"
}

@Suite struct JupyterKernelTests {
  @Test(.enabled(if: jupyterMissing() == nil, Comment(rawValue: jupyterMissing() ?? "")))
  func theKernelRunsCellsAsJupyterLabWould() throws {
    let binary = try #require(tinycastBinary(), "make test builds the tinycast binary with the tests")
    let dir = NSTemporaryDirectory() + "tinycast-jupyter-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let install = try run(binary, ["jupyter", "install", "--prefix", dir])
    #expect(install.status == 0 && install.output.contains("installed the Tinycast kernel"), "\(install.output)")
    let spec = try String(contentsOfFile: dir + "/share/jupyter/kernels/tinycast/kernel.json", encoding: .utf8)
    #expect(spec.contains("\"interrupt_mode\" : \"signal\""), "\(spec)")
    // The kernel journals like the shell; keep its journal in this test's folder.
    let check = try run(
      "/usr/bin/env", ["TINYCAST_HOME=\(dir)", "python3", packageRoot() + "/tools/check_jupyter_kernel.py", dir])
    #expect(check.status == 0, "\(check.output)")
    for step in ["HTML", "SVG display data", "completion", "naming the cell line", "interrupt", "fresh workspace"] {
      #expect(check.output.contains(step), "\(step): \(check.output)")
    }
  }
}

/// The JSON-lines protocol itself, in-process (no Python needed).
@Suite struct KernelServerTests {
  @Test func cellsCompletionsAndErrorsAsJSONLines() throws {
    let (engine, _, _) = makeEngine()
    var requests = [
      #"{"id": 1, "execute": "load csv small.csv\n# a comment\ntrain units=3 epochs=1 runs=1 seed=1 as a\ncompare a"}"#,
      #"{"id": 2, "complete": "load demo\nprune a sco", "cursor": 21}"#,
      #"{"id": 3, "execute": "eval a\nprune a 1.5\neval a"}"#,
      "not json",
    ]
    var replies: [[String: Any]] = []
    KernelServer.serve(
      engine: engine, readLine: { requests.isEmpty ? nil : requests.removeFirst() },
      write: { replies.append(try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]) })
    let final = replies.filter { $0["stream"] == nil }
    #expect(final.count == 4)
    // The cell: three outputs (the comment skipped), progress streamed, the table as HTML.
    let cell = try #require(final.first { $0["id"] as? Int == 1 }?["outputs"] as? [[String: Any]])
    #expect(cell.count == 3)
    #expect((cell[2]["html"] as? String)?.hasPrefix("<table>\n<tr><th>model</th>") == true, "\(cell[2])")
    #expect(replies.contains { $0["id"] as? Int == 1 && ($0["stream"] as? String)?.contains("epoch") == true })
    // The completion replaces the word before the cursor, on the cursor's line.
    let completion = try #require(final.first { $0["id"] as? Int == 2 })
    #expect(completion["matches"] as? [String] == ["scope="] && completion["cursor_start"] as? Int == 18)
    // The error names the cell line; the line after it did not run.
    let failed = try #require(final.first { $0["id"] as? Int == 3 })
    let error = try #require(failed["error"] as? [String: Any])
    #expect(error["line"] as? Int == 2 && (error["message"] as? String)?.contains("sparsity 1.5") == true)
    #expect((failed["outputs"] as? [Any])?.count == 1)
    #expect((final.last?["error"] as? [String: Any])?["message"] as? String == "not a JSON object: not json")
  }
}
