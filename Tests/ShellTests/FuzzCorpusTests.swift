// Replays the committed fuzz corpora (seeds, and any crash libFuzzer found, kept as a
// regression) through the same entry points `make fuzz` drives: none may crash.

import Foundation
import Shell
import TestSupport
import Testing
import Workbench

@Suite struct FuzzCorpusTests {
  @Test(arguments: FuzzTargets.names)
  func corpusReplaysWithoutACrash(target: String) throws {
    let folder = packageRoot() + "/Tests/Fuzz/corpus/" + target
    let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    #expect(!files.isEmpty, "no seeds for \(target)")
    for f in files { FuzzTargets.run(target, [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + f)))) }
  }
}
