// The corpus of bad inputs (Tests/ShellTests/BadInputs): every file is a session that must fail
// at its last line (or at its header) with one clear line naming the place. For each we check:
// `tinycast run` exits 1; stderr is exactly one line `FILE:LINE: error: ...` containing the
// file's `# expect:` text; no crash; the workspace is unchanged by the failing command; and no
// file is created or modified.

import Foundation
import Shell
import TestSupport
import Testing
import TinycastCLI
import Workbench

let corpusFolder = packageRoot() + "/Tests/ShellTests/BadInputs"

func corpusFiles() -> [String] {
  ((try? FileManager.default.contentsOfDirectory(atPath: corpusFolder)) ?? []).filter { $0.hasSuffix(".tcs") }.sorted()
}

/// Every file under `folder` with its contents, to prove nothing was written.
func snapshot(_ folder: String) -> [String: Data] {
  var out: [String: Data] = [:]
  let e = FileManager.default.enumerator(atPath: folder)
  while let f = e?.nextObject() as? String {
    var isDir: ObjCBool = false
    let p = folder + "/" + f
    if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue {
      out[f] = FileManager.default.contents(atPath: p)
    }
  }
  return out
}

@Suite struct BadInputCorpusTests {
  @Test func theCorpusHasAtLeastSixtyInputs() { #expect(corpusFiles().count >= 60) }

  @Test(arguments: corpusFiles())
  func failsWithOneLineNamingThePlaceAndChangesNothing(file: String) throws {
    let dir = temporaryDirectory("corpus")
    try FileManager.default.removeItem(atPath: dir)
    try FileManager.default.copyItem(atPath: corpusFolder, toPath: dir)
    let before = snapshot(dir)
    let path = dir + "/" + file
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let expected = try #require(lines.first { $0.hasPrefix("# expect: ") }).dropFirst("# expect: ".count)
    let headerFails = !lines[0].hasSuffix("tinycast-session 1")
    let failingLine = headerFails ? 1 : (lines.lastIndex { !$0.isEmpty && !$0.hasPrefix("#") }! + 1)

    // 1. `tinycast run`: exit 1 and one line naming the file and line.
    var out: [String] = []
    var err: [String] = []
    let status = Tinycast.execute(["run", path], stdout: { out.append($0) }, stderr: { err.append($0) })
    #expect(status == 1, "\(file): exit \(status)")
    #expect(err.count == 1, "\(file): \(err)")
    let message = err.first ?? ""
    #expect(message.hasPrefix("\(path):\(failingLine): error: "), "\(file): \(message)")
    #expect(message.contains(expected), "\(file): \(message) does not say '\(expected)'")
    #expect(!message.contains("\n"))

    // 2. The engine: the failing command leaves the workspace exactly as it was.
    if !headerFails {
      let context = ShellContext(baseDirectory: dir, emit: { _ in })
      context.writeRoots = [dir]
      context.protectExistingFiles = true
      let engine = Engine(context: context)
      for line in lines[..<(failingLine - 1)] where !line.isEmpty && !line.hasPrefix("#") { try engine.execute(line) }
      let ws = engine.workspace
      #expect(throws: (any Error).self, "\(file)") { try engine.execute(lines[failingLine - 1]) }
      #expect(engine.workspace.recorded.map { $0.render() } == ws.recorded.map { $0.render() })
      #expect(engine.workspace.models.names == ws.models.names && engine.workspace.datasetOrder == ws.datasetOrder)
      #expect(
        engine.workspace.models.current == ws.models.current && engine.workspace.currentDataset == ws.currentDataset)
      for name in ws.models.names { #expect(engine.workspace.models[name]!.hasIdenticalReplicas(to: ws.models[name]!)) }
    }

    // 3. Nothing on disk was created or changed.
    #expect(snapshot(dir) == before, "\(file) wrote files")
  }
}
