// A replayed session writes only where it is allowed to, and replaces nothing unasked.

import Foundation
import Shell
import TestSupport
import Testing
import TinycastCLI
import Workbench

@Suite struct ReplaySafetyTests {
  /// Runs `script` from a fresh folder (holding small.csv) with `arguments`; returns the status,
  /// stderr, and the folder.
  func replay(_ script: String, _ arguments: [String] = []) -> (Int32, [String], String) {
    let dir = temporaryDirectory()
    writeFile(dir + "/small.csv", smallSalesCSV())
    writeFile(
      dir + "/s.tcs", "#! tinycast-session 1\nload csv small.csv\ntrain units=3 epochs=1 runs=1 seed=1 as m\n" + script)
    var err: [String] = []
    let status = Tinycast.execute(["run", dir + "/s.tcs"] + arguments, stdout: { _ in }, stderr: { err.append($0) })
    return (status, err, dir)
  }

  @Test(arguments: [
    "export m to=../escaped.tcm", "predict m to=/tmp/tinycast-escape-test.csv",
    "compare m to=../../escaped.md", "save session ../escaped.tcs",
  ])
  func writesOutsideTheAllowedFoldersAreRefused(line: String) throws {
    let (status, err, dir) = replay(line + "\n")
    #expect(status == 1)
    #expect(err.count == 1 && err[0].hasPrefix("\(dir)/s.tcs:4: error: refusing to write "), "\(err)")
    #expect(!FileManager.default.fileExists(atPath: (dir as NSString).deletingLastPathComponent + "/escaped.tcm"))
    #expect(!FileManager.default.fileExists(atPath: "/tmp/tinycast-escape-test.csv"))
  }

  @Test func aSymbolicLinkPointingOutIsRefused() throws {
    let outside = temporaryDirectory("outside")
    let (status, err, dir) = replay("export m to=link/m.tcm\n", [])
    _ = (status, err)
    try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: outside)
    var errors: [String] = []
    let again = Tinycast.execute(["run", dir + "/s.tcs"], stdout: { _ in }, stderr: { errors.append($0) })
    #expect(again == 1)
    #expect(errors.first?.contains("refusing to write link/m.tcm") == true, "\(errors)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
  }

  @Test func existingFilesAreKeptUnlessTheCommandSaysOverwrite() throws {
    let (first, err1, dir) = replay("export m to=m.tcm\n")
    #expect(first == 0, "\(err1)")
    let original = try Data(contentsOf: URL(fileURLWithPath: dir + "/m.tcm"))
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/m.tcm"))
    var err: [String] = []
    #expect(Tinycast.execute(["run", dir + "/s.tcs"], stdout: { _ in }, stderr: { err.append($0) }) == 1)
    #expect(
      err == [
        "\(dir)/s.tcs:4: error: m.tcm exists; a replayed session does not replace files (add overwrite=on to the "
          + "command, or replay with --out DIR)"
      ])
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/m.tcm")) == Data([1, 2, 3]))
    writeFile(
      dir + "/s.tcs",
      "#! tinycast-session 1\nload csv small.csv\ntrain units=3 epochs=1 runs=1 seed=1 as m\nexport m to=m.tcm "
        + "overwrite=on\n"
    )
    #expect(Tinycast.execute(["run", dir + "/s.tcs"], stdout: { _ in }, stderr: { _ in }) == 0)
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/m.tcm")) == original)
  }

  @Test func outAndAllowWriteAnywhereOpenTheirFolders() throws {
    let out = temporaryDirectory("out")
    let elsewhere = temporaryDirectory("elsewhere")
    let (status, err, _) = replay("export m to=m.tcm\n", ["--out", out])
    #expect(status == 0, "\(err)")
    #expect(FileManager.default.fileExists(atPath: out + "/m.tcm"))
    // The message names where the file went, not where the command said.
    let dir = temporaryDirectory()
    writeFile(dir + "/small.csv", smallSalesCSV())
    writeFile(
      dir + "/s.tcs",
      "#! tinycast-session 1\nload csv small.csv\ntrain units=3 epochs=1 runs=1 seed=1 as m\nexport m to=m.tcm\n"
        + "export m to=. format=c\n")
    var lines: [String] = []
    #expect(
      Tinycast.execute(["run", dir + "/s.tcs", "--out", out + "/r"], stdout: { lines.append($0) }, stderr: { _ in })
        == 0)
    let said = lines.joined(separator: "\n")
    #expect(said.contains("wrote \(out)/r/m.tcm: ") && said.contains("wrote \(out)/r/m.h and m.c"), "\(said)")
    let (anywhere, err2, _) = replay("export m to=\(elsewhere)/m.tcm\n", ["--allow-write", "ANYWHERE"])
    #expect(anywhere == 0, "\(err2)")
    #expect(FileManager.default.fileExists(atPath: elsewhere + "/m.tcm"))
  }

  /// --verify in the folder where the session was made: its first run's files are there, so the
  /// check replays into a fresh folder beside it (NAME.verify, NAME.verify-2, ...) and says so.
  @Test func verifyReplaysIntoAFreshFolder() throws {
    let (first, err, dir) = replay("export m to=m.tcm\nsave session again.tcs\n")
    #expect(first == 0, "\(err)")
    for expected in ["again.verify", "again.verify-2"] {
      var out: [String] = []
      var errors: [String] = []
      let status = Tinycast.execute(
        ["run", dir + "/again.tcs", "--verify"], stdout: { out.append($0) }, stderr: { errors.append($0) })
      #expect(status == 0, "\(errors)")
      #expect(out.first?.hasPrefix("verifying into ") == true && out.first?.contains("\(expected)/") == true, "\(out)")
      #expect(FileManager.default.fileExists(atPath: dir + "/\(expected)/m.tcm"))
      #expect(out.last == "verified: 1 result line matches the session", "\(out)")
    }
  }
}
