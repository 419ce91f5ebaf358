// Tab completion: the candidates (unit), and the real shell in a real terminal (tmux), typing
// with Tab and reading the screen.

import Foundation
import Shell
import TestSupport
import Testing
import Workbench

@Suite struct CompletionTests {
  func workspace() throws -> Workspace {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=3 epochs=1 runs=1 seed=1 as base")
    try engine.execute("prune base 0.5 as base-p50")
    return engine.workspace
  }

  @Test func candidatesFollowTheCommandTableAndTheWorkspace() throws {
    let ws = try workspace()
    #expect(Completion.candidates("tr", workspace: ws) == ["train"])
    #expect(
      Completion.candidates("s", workspace: ws) == ["save", "seed", "sensitivity", "set", "show", "shrink", "sweep"])
    #expect(Completion.candidates("prune 0.7 scop", workspace: ws) == ["scope="])
    #expect(Completion.candidates("prune 0.7 sc", workspace: ws) == ["schedule=", "scope="])
    #expect(Completion.candidates("prune 0.7 scope=g", workspace: ws) == ["scope=global"])
    #expect(Completion.candidates("quantize ba", workspace: ws) == ["base", "base-p50"])
    #expect(Completion.candidates("quantize base in", workspace: ws) == ["int8"])
    #expect(Completion.candidates("distill teacher=base-", workspace: ws) == ["teacher=base-p50"])
    #expect(
      Completion.candidates("load ", workspace: ws) == [
        "covariates=", "csv", "date=", "dateorder=", "demo", "duplicates=", "gaps=", "item=", "items=", "keras",
        "model", "negatives=", "sales=", "short=", "store=", "stores=",
      ])
    #expect(Completion.candidates("load csv ", workspace: ws) == nil)  // a file path
    #expect(Completion.candidates("export base to=", workspace: ws) == nil)  // a file path
    #expect(Completion.candidates("explain qu", workspace: ws) == ["quantization"])
    #expect(Completion.candidates("nonsense ", workspace: ws) == [])
    #expect(Completion.commonPrefix(["schedule=", "scope="]) == "sc")
  }

  /// Types into the real shell under tmux with Tab, then reads what the screen shows.
  @Test func tabCompletesInARealTerminal() throws {
    let shell = try TmuxShell(name: "tinycast-test-\(getpid())", columns: 150, rows: 40)
    defer { shell.close() }
    let session = shell.session
    func tmuxRun(_ args: [String]) throws -> String { try shell.command(args) }
    func type(_ keys: String...) throws {
      _ = try tmuxRun(["send-keys", "-t", session] + keys)
      Thread.sleep(forTimeInterval: 0.4)
    }
    func screen() throws -> String { try tmuxRun(["capture-pane", "-t", session, "-p"]) }
    Thread.sleep(forTimeInterval: 1)
    try type("loa", "Tab")
    try type("cs", "Tab")
    try type("sma", "Tab")
    try type("Enter")
    try type("tra", "Tab")
    try type("uni", "Tab")
    try type("3 epo", "Tab")
    try type("1 runs=1 seed=1 as base", "Enter")
    Thread.sleep(forTimeInterval: 1)
    try type("prune ba", "Tab")
    try type("0.7 scop", "Tab")
    try type("gl", "Tab")
    try type("Enter")
    try type("quantize base-p", "Tab")
    try type("int8 gran", "Tab")
    try type("t", "Tab")
    try type("mode=a", "Tab")
    try type("Enter")
    Thread.sleep(forTimeInterval: 1)
    let text = try screen()
    #expect(text.contains("tinycast [1]> load csv small.csv"), "\(text)")
    #expect(text.contains("tinycast [2]> train units=3 epochs=1 runs=1 seed=1 as base"), "\(text)")
    #expect(text.contains("tinycast [3]> prune base 0.7 scope=global"), "\(text)")
    #expect(text.contains("tinycast [4]> quantize base-p70 int8 granularity=tensor mode=asymmetric"), "\(text)")
    #expect(text.contains("base-p70-int8t: uint8 per tensor"), "\(text)")

    // A plot in the same terminal: the trade-off of the three models, as wide as the terminal.
    try type("C-l")  // readline clears the screen
    try type("plot trad", "Tab")
    try type("Enter")
    Thread.sleep(forTimeInterval: 1)
    let plot = try screen()
    #expect(plot.contains("tinycast [5]> plot tradeoff"), "\(plot)")
    #expect(plot.contains("exported bytes (log scale)") && plot.contains("on the front"), "\(plot)")
    let plotLines = plot.split(separator: "\n").drop { !$0.contains("plot tradeoff") }.dropFirst()
    #expect(plotLines.allSatisfy { $0.count <= 150 } && plotLines.contains { $0.count > 100 }, "\(plot)")
  }
}

/// Runs `path` with `arguments`, stdin/stdout/stderr on /dev/null, no other descriptor inherited
/// and no signal blocked, and returns its exit status.
func spawnWithoutInheritedDescriptors(_ path: String, _ arguments: [String]) throws -> Int32 {
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  for fd: Int32 in 0...2 {
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
  }
  // glibc ignores closing a descriptor that is not open (posix_spawn's closefrom is not visible
  // to Swift), so close every possible one.
  for fd in 3..<Int32(min(sysconf(Int32(_SC_OPEN_MAX)), 65_536)) { posix_spawn_file_actions_addclose(&actions, fd) }
  let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
  defer { for p in argv { free(p) } }
  // The calling thread is a test worker with most signals blocked; the child must not inherit
  // that (a shell with SIGHUP blocked outlives tmux kill-server).
  var attributes = posix_spawnattr_t()
  posix_spawnattr_init(&attributes)
  defer { posix_spawnattr_destroy(&attributes) }
  var none = sigset_t()
  var all = sigset_t()
  sigemptyset(&none)
  sigfillset(&all)
  posix_spawnattr_setsigmask(&attributes, &none)
  posix_spawnattr_setsigdefault(&attributes, &all)
  posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
  var pid: pid_t = 0
  let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
  guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
  var status: Int32 = 0
  while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
  return (status >> 8) & 0xff
}

/// Issue 17's scenario as a new user types it, in a real terminal of 100 and of 80 columns:
/// train, Ctrl-C, retrain a name, prune, fine-tune, quantize, compare, plot, export, save, quit,
/// then a verifying replay in the same folder.
@Suite(.serialized) struct TerminalScenarioTests {
  @Test(arguments: [100, 80])
  func aNewUsersSessionFitsTheTerminalAndReplays(columns: Int) throws {
    let binary = try #require(tinycastBinary())
    // The shell stays 30 s after quitting, so the screen can still be read.
    let shell = try TmuxShell(
      name: "tinycast-scenario-\(getpid())-\(columns)", columns: columns, rows: 50, after: "; sleep 30")
    defer { shell.close() }
    let (session, dir) = (shell.session, shell.dir)
    func tmuxRun(_ args: [String]) throws -> String { try shell.command(args) }
    // The screen with wrapped lines joined: what the program printed, line by line.
    func screen() throws -> String { try tmuxRun(["capture-pane", "-t", session, "-p", "-J", "-S", "-2000"]) }
    func waitFor(_ text: String, seconds: Double = 30) throws -> String {
      let deadline = Date().addingTimeInterval(seconds)
      var last = ""
      while Date() < deadline {
        last = try screen()
        if last.contains(text) { return last }
        Thread.sleep(forTimeInterval: 0.2)
      }
      Issue.record("'\(text)' did not appear: \(last)")
      return last
    }
    var prompt = 0
    func enter(_ line: String, until: String) throws -> String {
      prompt += 1
      _ = try tmuxRun(["send-keys", "-t", session, "-l", line])
      _ = try tmuxRun(["send-keys", "-t", session, "Enter"])
      return try waitFor(until)
    }
    func clear() throws {
      _ = try tmuxRun(["send-keys", "-t", session, "C-l"])
      _ = try tmuxRun(["clear-history", "-t", session])
      Thread.sleep(forTimeInterval: 0.3)
    }
    let banner = try waitFor("tinycast [1]>")
    #expect(banner.split(separator: "\n").allSatisfy { $0.count <= columns }, "\(banner)")
    _ = try enter("load csv small.csv", until: "tinycast [2]>")
    // A training that would run for ever, stopped with Ctrl-C once it is under way.
    _ = try tmuxRun([
      "send-keys", "-t", session, "-l", "train units=32 epochs=100000 patience=100000 runs=2 seed=3 as long",
    ])
    _ = try tmuxRun(["send-keys", "-t", session, "Enter"])
    _ = try waitFor("long r1/2")  // the live progress line
    Thread.sleep(forTimeInterval: 0.3)
    _ = try tmuxRun(["send-keys", "-t", session, "C-c"])
    // Messages break at words to fit: read them with their continuation lines joined.
    let cut = try waitFor("tinycast [3]>").replacingOccurrences(of: "\n  ", with: " ")
    #expect(cut.contains("interrupted: kept the best weights so far; recorded as runs=1 stop="), "\(cut)")
    let retrained = try enter("train units=4 epochs=2 runs=1 seed=1 as short", until: "tinycast [4]>")
    _ = retrained
    let renamed = try enter("train units=4 epochs=2 runs=1 seed=2 as short", until: "tinycast [5]>")
    #expect(
      renamed.replacingOccurrences(of: "\n  ", with: " ").contains("short existed: the old one is now short.1"),
      "\(renamed)")
    _ = try enter("prune long 70%", until: "tinycast [6]>")
    _ = try enter("finetune long-p70 epochs=2 seed=5", until: "tinycast [7]>")
    _ = try enter("quantize long-p70-ft int8", until: "tinycast [8]>")
    try clear()
    let compared = try enter("compare long long-p70-ft-int8 short", until: "tinycast [9]>")
    let table = compared.split(separator: "\n").filter { !$0.hasPrefix("tinycast [") }
    #expect(table.allSatisfy { $0.count <= columns }, "\(compared)")
    // The note under the table wraps at words: read it joined.
    let note = compared.replacingOccurrences(of: "\n  ", with: " ")
    #expect(note.contains("test windows of small") && note.contains("'compare wide'"), "\(compared)")
    try clear()
    let plotted = try enter("plot tradeoff", until: "tinycast [10]>")
    let plotLines = plotted.split(separator: "\n").filter { !$0.hasPrefix("tinycast [") }
    #expect(plotLines.allSatisfy { $0.count <= columns }, "\(plotted)")
    try clear()
    let help = try enter("help quantize", until: "tinycast [11]>")
    #expect(help.split(separator: "\n").allSatisfy { $0.count <= columns }, "\(help)")
    try clear()
    let exported = try enter("export long-p70-ft-int8 to=. format=c", until: "tinycast [12]>")
    // A long message breaks at words, not at the terminal's edge: every printed line fits.
    #expect(exported.split(separator: "\n").allSatisfy { $0.count <= columns }, "\(exported)")
    #expect(
      exported.replacingOccurrences(of: "\n  ", with: " ").contains("long_p70_ft_int8.h and long_p70_ft_int8.c"),
      "\(exported)")
    _ = try enter("save session s.tcs", until: "tinycast [13]>")
    _ = try tmuxRun(["send-keys", "-t", session, "-l", "quit"])
    _ = try tmuxRun(["send-keys", "-t", session, "Enter"])
    Thread.sleep(forTimeInterval: 0.5)

    // On disk: the session says what ran, and replays, verified, in the folder it was made in.
    let saved = try String(contentsOfFile: dir + "/s.tcs", encoding: .utf8)
    #expect(saved.contains("runs=1") && saved.contains("stop="), "\(saved)")
    #expect(saved.contains("as short.1") == false && saved.components(separatedBy: " as short\n").count == 3)
    let (status, output) = try runBinary(binary, ["run", "s.tcs", "--verify"], in: dir)
    #expect(status == 0, "\(output)")
    #expect(
      output.contains("verifying into s.verify/") && output.contains("result lines match the session"), "\(output)")
    #expect(FileManager.default.fileExists(atPath: dir + "/s.verify/long_p70_ft_int8.h"))
  }
}

/// The real shell in a terminal: a private tmux server (-L, so the tests neither see nor disturb
/// the user's tmux) running tinycast in a fresh folder that holds small.csv.
final class TmuxShell {
  let tmux: String
  let session: String
  let dir: String

  /// Starts `tinycast` in a `columns` x `rows` terminal; `after` is shell text run after it exits.
  init(name: String, columns: Int, rows: Int, after: String = "") throws {
    let binary = try #require(tinycastBinary())
    tmux = try #require(
      ["/usr/bin/tmux", "/usr/local/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) },
      "tmux is installed by .ci/run and the Makefile's test dependencies")
    session = name
    dir = temporaryDirectory()
    let home = temporaryDirectory("home")
    writeFile(dir + "/small.csv", smallSalesCSV())
    // new-session forks the tmux server, which outlives the call. Foundation's Process would
    // hand it the socket on which Process waits for the exit (waitUntilExit then never returns
    // on a machine with no tmux server running), so it is spawned here with every descriptor
    // above stderr closed.
    let status = try spawnWithoutInheritedDescriptors(
      tmux,
      [
        "-L", session, "new-session", "-d", "-s", session, "-x", "\(columns)", "-y", "\(rows)",
        "cd \(dir) && TINYCAST_HOME=\(home) \(binary)\(after)",
      ])
    try #require(status == 0, "tmux new-session exited with \(status)")
  }

  /// A tmux command on this server; its output.
  func command(_ args: [String]) throws -> String { try run(tmux, ["-L", session] + args).output }

  /// Stops the server and the shell in it.
  func close() { _ = try? command(["kill-server"]) }
}
