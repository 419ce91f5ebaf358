// Plots, the Markdown notebook, verified replays and stepping, through the shell as a user
// drives it.

import Foundation
import Shell
import TestSupport
import Testing
import TinycastCLI
import Workbench

#if canImport(FoundationXML)
  import FoundationXML
#endif

func parsesAsSVG(_ path: String) -> Bool {
  guard let data = FileManager.default.contents(atPath: path) else { return false }
  final class Root: NSObject, XMLParserDelegate {
    var first: String?
    func parser(
      _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
      attributes: [String: String] = [:]
    ) {
      if first == nil { first = name }
    }
  }
  let parser = XMLParser(data: data)
  let root = Root()
  parser.delegate = root
  return parser.parse() && root.first == "svg"
}

@Suite struct PlotCommandTests {
  func trained() throws -> (Engine, String) {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=4 epochs=3 runs=2 seed=1 as base")
    try engine.execute("prune base 0.5 as p50")
    try engine.execute("quantize base int8 as q8")
    return (engine, dir)
  }

  @Test func everyPlotFitsEightyColumns() throws {
    let (engine, _) = try trained()
    for line in [
      "plot forecast base", "plot forecast q8 store=2 item=1 days=all", "plot tradeoff", "plot training base run=2",
    ] {
      let out = try engine.execute(line)
      let lines = out.split(separator: "\n")
      #expect(lines.count > 18, "\(line)")
      #expect(lines.allSatisfy { $0.count <= 80 }, "\(line): \(lines.map(\.count).max()!) columns")
    }
  }

  @Test func tradeoffMarksTheFrontAndForecastReportsItsError() throws {
    let (engine, _) = try trained()
    let out = try engine.execute("plot tradeoff")
    // Every model has a letter and a line with its bytes and MAPE; at least one is on the front.
    for (letter, name) in zip(["A", "B", "C"], ["base", "p50", "q8"]) {
      let bytes = try engine.execute("models").contains(name)
      #expect(bytes)
      #expect(out.contains("  \(letter) \(name)"), "\(out)")
    }
    #expect(out.contains("on the front"))
    // The front read at device sizes: every budget names its best model (all fit in 16 KB).
    let within = try #require(out.split(separator: "\n").first { $0.hasPrefix("best MAPE within: 1 KB ") })
    #expect(within.contains("; 16 KB ") && !within.hasSuffix("16 KB none"), "\(within)")
    let f = try engine.execute("plot forecast base store=1 item=2 days=14")
    #expect(f.contains("store 1 item 2, 14 test days"))
    #expect(f.contains("MAPE on these 14 days"))
  }

  @Test func plotWritesValidSVGAndRefusesBadRequests() throws {
    let (engine, dir) = try trained()
    let out = try engine.execute("plot tradeoff to=t.svg")
    #expect(out.hasSuffix("wrote t.svg"))
    #expect(parsesAsSVG(dir + "/t.svg"))
    #expect(errorText(engine, "plot")?.contains("plot what?") == true)
    #expect(errorText(engine, "plot pie")?.contains("cannot plot 'pie'") == true)
    #expect(errorText(engine, "plot training q8")?.contains("no loss curve") == true)
    #expect(errorText(engine, "plot forecast base store=9 item=9")?.contains("store 9 item 9 is not in") == true)
    #expect(errorText(engine, "plot tradeoff to=t.png")?.contains("SVG") == true)
    #expect(errorText(engine, "plot forecast base days=3")?.contains("days=3") == true)
  }
}

@Suite struct NotebookTests {
  /// The acceptance check: the notebook's table matches compare's CSV, its plots parse as SVG.
  @Test func notebookTablesMatchTheCSVAndPlotsAreSVG() throws {
    let (engine, dir, _) = makeEngine()
    for line in [
      "load csv small.csv", "train units=4 epochs=2 runs=2 seed=1 as base", "prune base 0.7 as p70",
      "finetune p70 epochs=1 seed=2 as p70-ft", "quantize p70-ft int8 as hybrid",
      "compare to=table.csv", "plot tradeoff", "plot forecast hybrid", "save notebook lab.md",
    ] {
      try engine.execute(line)
    }
    let md = try String(contentsOfFile: dir + "/lab.md", encoding: .utf8)
    let csv = try String(contentsOfFile: dir + "/table.csv", encoding: .utf8).split(separator: "\n").map {
      $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
    let header = csv[0]
    let rows = md.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| model") }.map {
      $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
    }
    #expect(rows.count == csv.count - 1)
    for (row, record) in zip(rows, csv.dropFirst()) {
      func csvField(_ key: String) -> String { record[header.firstIndex(of: key)!] }
      #expect(row[0] == csvField("name"))
      #expect(row[5] == (csvField("bytes") == "null" ? "-" : csvField("bytes")))
      #expect(row[7] == String(format: "%.2f", Double(csvField("mape"))!))
    }
    #expect(md.contains("## [2] `train units=4 epochs=2 runs=2 seed=1 as base`"))
    let images = md.split(separator: "\n").filter { $0.hasPrefix("![") }
    #expect(images.count == 2)
    for image in images {
      let file = String(image[image.index(after: image.lastIndex(of: "(")!)...].dropLast())
      #expect(parsesAsSVG(dir + "/" + file), "\(file)")
    }
    #expect(errorText(engine, "save notebook lab.txt")?.contains("Markdown (.md) or Jupyter (.ipynb)") == true)
  }

  /// The Jupyter form: one code cell per command, text as a stream, tables as Markdown results,
  /// plots as SVG display data, all in one nbformat 4.5 file.
  @Test func saveNotebookWritesJupyter() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=3 epochs=1 runs=1 seed=1 as m")
    try engine.execute("help train")
    try engine.execute("compare")
    try engine.execute("history")
    try engine.execute("plot training m")
    let said = try engine.execute("save notebook lab.ipynb")
    #expect(said == "wrote lab.ipynb: 4 cells (Jupyter, nbformat 4.5)")
    let doc = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/lab.ipynb")))
        as? [String: Any])
    #expect(doc["nbformat"] as? Int == 4 && doc["nbformat_minor"] as? Int == 5)
    let cells = try #require(doc["cells"] as? [[String: Any]])
    // help and history are left out: the title, then load, train, compare, plot.
    #expect(cells.count == 5 && cells[0]["cell_type"] as? String == "markdown")
    #expect((cells[1]["source"] as? [String]) == ["load csv small.csv"])
    let compareOutputs = try #require(cells[3]["outputs"] as? [[String: Any]])
    let table = try #require(compareOutputs.first { $0["output_type"] as? String == "execute_result" })
    let markdown = ((table["data"] as? [String: Any])?["text/markdown"] as? [String])?.joined() ?? ""
    #expect(markdown.contains("| m | lstm |"), "\(markdown)")
    let plotOutputs = try #require(cells[4]["outputs"] as? [[String: Any]])
    let svg = plotOutputs.compactMap { ($0["data"] as? [String: Any])?["image/svg+xml"] as? [String] }.first?.joined()
    #expect(svg?.contains("<svg") == true)
    let files = try FileManager.default.contentsOfDirectory(atPath: dir)
    #expect(files.filter { $0.hasSuffix(".svg") }.isEmpty)
    // nbformat's own validator, when Python has it (.ci/run installs it).
    guard pythonHas("nbformat") else {
      print("skipped: nbformat.validate (pip install nbformat to run it)")
      return
    }
    let check = try run(
      "/usr/bin/env",
      [
        "python3", "-c",
        "import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print('valid')",
        dir + "/lab.ipynb",
      ])
    #expect(check.status == 0 && check.output.contains("valid"), "\(check.output)")
  }

  @Test func runWritesANotebookOfTheReplay() throws {
    let dir = temporaryDirectory()
    writeFile(dir + "/small.csv", smallSalesCSV())
    writeFile(
      dir + "/s.tcs", "load csv small.csv\ntrain units=3 epochs=1 runs=1 seed=1 as m\nplot training m\ncompare\n")
    var out: [String] = []
    var err: [String] = []
    let status = Tinycast.execute(
      ["run", dir + "/s.tcs", "--notebook", dir + "/replay.md"], stdout: { out.append($0) },
      stderr: { err.append($0) })
    #expect(status == 0, "\(err)")
    #expect(out.last == "wrote \(dir)/replay.md: 4 cells, 1 SVG plots beside it")
    let md = try String(contentsOfFile: dir + "/replay.md", encoding: .utf8)
    #expect(md.contains("from `s.tcs`") && md.contains("| m | lstm |"))
    #expect(parsesAsSVG(dir + "/replay-3-training.svg"))
  }
}

@Suite struct VerifiedReplayTests {
  func savedSession() throws -> String {
    let (engine, dir, _) = makeEngine()
    for line in [
      "load csv small.csv", "train units=4 epochs=2 runs=1 seed=1 as base", "quantize base int8 as q8", "eval q8",
      "compare",
      "save session s.tcs",
    ] {
      try engine.execute(line)
    }
    return dir + "/s.tcs"
  }

  @Test func savedResultsVerifyOnReplayAndATamperedNumberIsNamed() throws {
    let path = try savedSession()
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let results = text.split(separator: "\n").filter { $0.hasPrefix("#=> ") }
    #expect(results.contains { $0.hasPrefix("#=> base bytes=") && $0.contains(" val_loss=") })
    #expect(results.contains { $0.hasPrefix("#=> q8 mape=") && $0.contains(" rmse=") })
    var out: [String] = []
    var err: [String] = []
    #expect(
      Tinycast.execute(
        ["run", path, "--verify", "--allow-write", "ANYWHERE"], stdout: { out.append($0) },
        stderr: { err.append($0) }) == 0, "\(err)")
    #expect(out.last == "verified: \(results.count) result lines match the session")

    // Change one digit of the eval line: the replay fails on that line.
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let k = lines.firstIndex { $0.hasPrefix("#=> q8 mape=") }!
    lines[k] = lines[k].replacingOccurrences(of: "mape=1", with: "mape=2")
    writeFile(path, lines.joined(separator: "\n"))
    err = []
    #expect(Tinycast.execute(["run", path, "--verify"], stdout: { _ in }, stderr: { err.append($0) }) == 1)
    #expect(err.first?.hasPrefix("\(path):\(k + 1): error: verify: this replay gives 'q8 mape=") == true, "\(err)")
    // Without --verify the #=> lines are comments.
    #expect(Tinycast.execute(["run", path], stdout: { _ in }, stderr: { _ in }) == 0)
  }

  @Test func stepShowsEachCommandsStoryAndStopsOnQ() throws {
    let dir = temporaryDirectory()
    writeFile(dir + "/small.csv", smallSalesCSV())
    let script =
      "#! tinycast-session 1\nparam units=3\n# First, the data.\nload csv small.csv\n# Then a model,\n# a tiny "
      + "one.\ntrain units=$units epochs=1 runs=1 seed=1 as m\neval m\n"
    let engine = Engine(context: ShellContext(baseDirectory: dir, emit: { _ in }))
    var prompts: [String] = []
    var answers = ["", "q"]
    var options = CLI.ScriptOptions()
    options.step = {
      prompts.append($0)
      return answers.isEmpty ? nil : answers.removeFirst()
    }
    var out: [String] = []
    let status = CLI.runScript(
      script, name: "lesson.tcs", engine: engine, options: options, stdout: { out.append($0) }, stderr: { _ in })
    #expect(status == 0)
    #expect(prompts.count == 2)
    #expect(prompts[0].contains("First, the data.") && prompts[0].contains("[step 1/3] load csv small.csv"))
    #expect(
      prompts[1].contains("Then a model,\na tiny one.") && prompts[1].contains("[step 2/3] train units=3 epochs=1"))
    // The step shows the command as it will run: $units replaced by its value.
    #expect(!prompts[1].contains("$units"))
    #expect(out.last == "stopped before lesson.tcs:7")
    #expect(engine.workspace.models.isEmpty && engine.workspace.datasets.count == 1)

    // Input that ends (a pipe) runs the rest without pausing.
    let engine2 = Engine(context: ShellContext(baseDirectory: dir, emit: { _ in }))
    var options2 = CLI.ScriptOptions()
    options2.step = { _ in nil }
    #expect(
      CLI.runScript(script, name: "lesson.tcs", engine: engine2, options: options2, stdout: { _ in }, stderr: { _ in })
        == 0)
    #expect(engine2.workspace.models["m"] != nil)
  }
}

/// Whether `python3` can import `module` (optional checks run only where it can).
func pythonHas(_ module: String) -> Bool {
  guard let result = try? run("/usr/bin/env", ["python3", "-c", "import \(module)"]) else { return false }
  return result.status == 0
}
