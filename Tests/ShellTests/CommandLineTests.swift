// The command line (TinycastCLI on swift-argument-parser): help, version, completion scripts,
// usage errors, and that `run` reaches the replay.

import Foundation
import Shell
import TestSupport
import Testing
import TinycastCLI

@Suite struct CommandLineTests {
  func execute(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
    var out: [String] = []
    var err: [String] = []
    let status = Tinycast.execute(arguments, stdout: { out.append($0) }, stderr: { err.append($0) })
    return (status, out.joined(separator: "\n"), err.joined(separator: "\n"))
  }

  @Test func helpVersionAndCompletionScripts() {
    let version = execute(["--version"])
    #expect(version.status == 0 && version.out == "tinycast \(TinycastVersion.string) (session format 1)")
    let help = execute(["--help"])
    #expect(help.status == 0 && help.out.contains("run") && help.out.contains("interactive shell"), "\(help)")
    let runHelp = execute(["run", "--help"])
    #expect(runHelp.status == 0 && runHelp.out.contains("--set <KEY=VALUE>") && runHelp.out.contains("--verify"))
    for shell in ["bash", "zsh", "fish"] {
      let script = execute(["--generate-completion-script", shell])
      #expect(script.status == 0 && script.out.contains("tinycast") && script.out.contains("allow-write"), "\(shell)")
    }
  }

  @Test func noArgumentsMeansTheInteractiveShell() throws {
    guard case .success(nil) = Tinycast.parse([], stdout: { _ in }, stderr: { _ in }) else {
      Issue.record("no arguments should start the shell")
      return
    }
  }

  @Test func usageErrorsExitWithoutReplaying() {
    let cases: [([String], String)] = [
      (["run"], "Missing expected argument '<file>'"),
      (["run", "s.tcs", "--set", "epochs"], "--set needs KEY=VALUE, not 'epochs'"),
      (["run", "s.tcs", "--allow-write", "everywhere"], "--allow-write takes the word ANYWHERE"),
      (["run", "s.tcs", "--notebook", "lab.txt"], "--notebook needs a Markdown or Jupyter file name"),
      (["run", "s.tcs", "--verfy"], "Unknown option '--verfy'"),
      (["replay"], "Unexpected argument 'replay'"),
    ]
    for (arguments, message) in cases {
      let r = execute(arguments)
      #expect(r.status == 64, "\(arguments): \(r)")
      #expect(r.err.contains(message), "\(arguments): \(r.err)")
      #expect(r.out.isEmpty)
    }
  }

  @Test func runReplaysWithItsOptions() throws {
    let dir = temporaryDirectory()
    let session =
      "#! tinycast-session 1\nparam units=3\nload demo stores=1 items=1\n"
      + "train units=$units epochs=1 runs=1 seed=1 as m\n"
    try session.write(toFile: dir + "/s.tcs", atomically: true, encoding: .utf8)
    let r = execute(["run", dir + "/s.tcs", "--set", "units=2", "--echo", "--out", dir + "/out"])
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("m: LSTM-2, "), "\(r.out)")
    let missing = execute(["run", dir + "/none.tcs"])
    #expect(missing.status == 1 && missing.err == "\(dir)/none.tcs: error: cannot read the session file")
  }
}
