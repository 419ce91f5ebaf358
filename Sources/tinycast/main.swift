// tinycast: the command line. `tinycast` starts the interactive shell (GNU readline when stdin is
// a terminal), `tinycast run FILE` replays a session. Everything else lives in the Shell module.

import CReadline
import Foundation
import KerasFiles
import Shell
import TinycastCLI
import Workbench

#if canImport(Glibc)
  import Glibc
#endif

/// Terminal conventions: color and a live status line only when stdout is a terminal, and no
/// color when NO_COLOR is set (https://no-color.org) or TERM is dumb.
let stdoutIsTerminal = isatty(STDOUT_FILENO) != 0
let environment = ProcessInfo.processInfo.environment
let useColor = stdoutIsTerminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"

/// Whether a live status line (the progress bar) is on screen, to be cleared before other output.
nonisolated(unsafe) var statusShown = false
func clearStatus() {
  if statusShown {
    FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
    statusShown = false
  }
}
/// The terminal's width when stdout is one (nil when piped: files and pipes keep whole lines).
func terminalColumns() -> Int? {
  guard stdoutIsTerminal else { return nil }
  var size = winsize()
  guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
  return Int(size.ws_col)
}
/// Prose longer than the terminal breaks at words rather than at its edge (tables stay whole).
func fitted(_ s: String) -> String { terminalColumns().map { fittedToTerminal(s, width: $0) } ?? s }
/// Unbuffered writes, so progress lines appear at once even when output is piped.
func printLine(_ s: String) {
  clearStatus()
  FileHandle.standardOutput.write(Data((fitted(s) + "\n").utf8))
}
func printError(_ s: String) {
  clearStatus()
  let s = fitted(s)
  let text = useColor && s.hasPrefix("error:") ? "\u{1B}[31merror:\u{1B}[0m" + s.dropFirst(6) : s
  FileHandle.standardError.write(Data((text + "\n").utf8))
}
func printStatus(_ s: String) {
  FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + s).utf8))
  statusShown = true
}

// The command line: `tinycast run FILE ...` replays and exits; help, the version, completion
// scripts and usage errors print and exit; `tinycast` alone goes on to the interactive shell.
// Keras files are read in a child process that a damaged file cannot hang (KerasModelFile).
let executablePath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
// TINYCAST_KERAS_TIMEOUT (seconds) shortens the wait, for the test of a damaged file.
let kerasTimeout = ProcessInfo.processInfo.environment["TINYCAST_KERAS_TIMEOUT"].flatMap(Double.init) ?? 30
if let executablePath { KerasModelFile.isolation = .childProcess(executable: executablePath, timeout: kerasTimeout) }
// A sweep's points run as `tinycast run` processes (engine=local) or name it in their Slurm script.
Fanout.executable = executablePath

switch Tinycast.parseRequest(Array(CommandLine.arguments.dropFirst()), stdout: { print($0) }, stderr: printError) {
case .success(.kerasJSON(let file)):
  do {
    print(try KerasModelFile.json(path: file), terminator: "")
    exit(0)
  } catch {
    FileHandle.standardError.write(Data((error.message + "\n").utf8))
    exit(1)
  }
case .success(.replay(let request)): exit(CLI.replay(request, stdout: printLine, stderr: printError))
case .success(.merge(let dir, let out)): exit(CLI.merge(dir: dir, out: out, stdout: printLine, stderr: printError))
case .success(.shell): break
case .success(.kernel):
  // Jupyter's kernel process talks JSON lines to us; Ctrl-C (its interrupt) stops a command.
  tinycast_install_interrupts(0)
  let context = ShellContext(baseDirectory: FileManager.default.currentDirectoryPath)
  context.shouldStop = { tinycast_interrupt_pending() != 0 }
  let engine = Engine(context: context)
  if let abandoned = Journal.recoverAbandoned() { engine.restorePath = abandoned.path }
  engine.journal = Journal()
  // Unbuffered: each reply reaches the kernel when it is written.
  // An interrupt stops the request it arrives in, every loop of it; one that arrives while the
  // kernel waits for a request is dropped when the request comes.
  KernelServer.serve(
    engine: engine,
    readLine: {
      let request = readLine()
      _ = tinycast_take_interrupt()
      return request
    }, write: { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) })
  engine.journal?.retire()
  exit(0)
case .success(.jupyterInstall(let user, let prefix)):
  let resolved = executablePath ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
  do {
    let folder = try JupyterKernel.install(user: user, prefix: prefix, tinycast: resolved)
    print("installed the Tinycast kernel in \(folder) (it runs \(resolved)); JupyterLab lists it as 'Tinycast'")
    exit(0)
  } catch {
    printError("tinycast: cannot install the kernel: \(error.localizedDescription)")
    exit(1)
  }
case .failure(let status): exit(status.code)
}

// MARK: - Interactive shell

let interactive = isatty(STDIN_FILENO) != 0
// Ctrl-C sets a flag (see CReadline/shim.h): long commands poll it and stop cleanly, keeping
// what they have; at the prompt it discards the line being typed. It never ends the shell.
tinycast_install_interrupts(interactive ? 1 : 0)

let context = ShellContext(baseDirectory: FileManager.default.currentDirectoryPath, emit: printLine)
context.shouldStop = { tinycast_interrupt_pending() != 0 }
context.color = useColor
if stdoutIsTerminal { context.liveStatus = printStatus }
if stdoutIsTerminal { context.terminalWidth = terminalColumns }
let engine = Engine(context: context)

// Crash safety: a journal left behind means the last session ended abruptly; keep it for
// `restore`, and journal this session afresh.
if let abandoned = Journal.recoverAbandoned() {
  engine.restorePath = abandoned.path
  printError(
    "tinycast: the last session ended without 'quit' after \(abandoned.commands) commands; type 'restore' to replay "
      + "them (kept in \(abandoned.path))"
  )
}
engine.journal = Journal()

/// Tab: candidates from Shell's Completion for the text before the cursor; nil falls back to
/// readline's file-name completion.
nonisolated(unsafe) var completionEngine: Engine? = nil
func complete(_ text: UnsafePointer<CChar>?, _ start: CInt, _ end: CInt) -> UnsafeMutablePointer<
  UnsafeMutablePointer<CChar>?
>? {
  guard let engine = completionEngine, let buffer = tinycast_line_buffer() else { return nil }
  let before = String(String(cString: buffer).utf8.prefix(Int(end))) ?? ""
  guard var candidates = Completion.candidates(before, workspace: engine.workspace) else {
    tinycast_completion_handled(0)
    tinycast_space_after()
    return nil
  }
  tinycast_completion_handled(1)
  guard !candidates.isEmpty else { return nil }
  // Our word starts after the last space; readline's (`start`, in bytes) may start later, e.g.
  // after '=' in key=value. Offer readline only the part of each candidate it will replace.
  let ourStart =
    before.utf8.count - (before.split(separator: " ", omittingEmptySubsequences: false).last?.utf8.count ?? 0)
  let cut = Int(start) - ourStart
  if cut > 0 { candidates = candidates.map { String(decoding: Array($0.utf8.dropFirst(cut)), as: UTF8.self) } }
  // No space after "key=" or after a partial match: the user keeps typing.
  if candidates.count == 1, candidates[0].hasSuffix("=") { tinycast_no_space_after() } else { tinycast_space_after() }
  // readline wants [substitution, match1, match2, ..., NULL], all malloc'd.
  let words =
    [candidates.count == 1 ? candidates[0] : Completion.commonPrefix(candidates)]
    + (candidates.count == 1 ? [] : candidates)
  // malloc, not Swift's allocator: readline releases the array with free(3).
  guard let raw = malloc(MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (words.count + 1)) else { return nil }
  let array = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: words.count + 1)
  for (k, w) in words.enumerated() { array[k] = strdup(w) }
  array[words.count] = nil
  return array
}

if interactive {
  completionEngine = engine
  tinycast_install_completion { text, start, end in complete(text, start, end) }
  let historyPath = (NSHomeDirectory() as NSString).appendingPathComponent(".tinycast_history")
  // append_history needs the file to exist; create it on first use, keep the last 2,000 lines.
  if read_history(historyPath) != 0 { write_history(historyPath) }
  history_truncate_file(historyPath, 2000)
  let banner =
    "tinycast \(TinycastVersion.string): shrink demand-forecasting LSTMs for edge devices. 'help' lists commands; "
    + "Ctrl-D leaves."
  printLine(banner)
  var cell = 1
  while true {
    _ = tinycast_take_interrupt()
    guard let raw = tinycast_readline("tinycast [\(cell)]> ") else {
      printLine("")
      engine.journal?.retire()
      break
    }
    let line = String(cString: raw)
    free(raw)
    if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
    add_history(line)
    append_history(1, historyPath)
    do {
      let output = try engine.execute(line)
      if !output.isEmpty { printLine(output) }
      if tinycast_take_interrupt() != 0 { printLine("(interrupted: the command stopped early and kept what it had)") }
      cell += 1
    } catch let error as CommandError {
      _ = tinycast_take_interrupt()
      if let column = error.column {
        printLine(String(repeating: " ", count: "tinycast [\(cell)]> ".count + column - 1) + "^")
      }
      printError("error: \(error.description)")
    } catch {
      engine.journal?.retire()
      break  // quit
    }
  }
} else {
  // Commands piped in: run them like a script named <stdin>, but keep going after an error.
  var lineNumber = 0
  var failed = false
  while let line = readLine() {
    lineNumber += 1
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
    do {
      let output = try engine.execute(line)
      if !output.isEmpty { printLine(output) }
    } catch let error as CommandError {
      printError("<stdin>:\(lineNumber): error: \(error.description)")
      failed = true
    } catch {
      break
    }
  }
  engine.journal?.retire()
  exit(failed ? 1 : 0)
}
