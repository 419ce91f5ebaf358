// The `tinycast` command line, on swift-argument-parser: `tinycast` alone starts the interactive
// shell (main.swift), `tinycast run FILE ...` replays a session. The parser also gives --help,
// --version and shell-completion scripts (`tinycast --generate-completion-script bash`).
// A library, so the tests drive the command line in-process.

import ArgumentParser
import Foundation
import Shell

public struct Tinycast: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "tinycast",
    abstract: "Shrink demand-forecasting models until they fit a store's device, and see what it cost.",
    discussion: "Without a subcommand, tinycast starts the interactive shell ('help' there lists its commands). "
      + "Sessions saved there replay with 'tinycast run FILE'.",
    version: "tinycast \(TinycastVersion.string) (session format \(TinycastVersion.sessionFormat))",
    subcommands: [Run.self, Merge.self, Kernel.self, Jupyter.self, KerasJSON.self])

  public init() {}

  /// The interactive shell is main.swift's (it owns the terminal); parsing only says so.
  public mutating func run() throws {}

  /// What a command line asks for.
  public enum Request {
    case shell
    case replay(ReplayOptions)
    /// `tinycast kernel`: JSON lines for the Jupyter kernel (KernelServer).
    case kernel
    /// `tinycast jupyter install`: write the kernelspec (JupyterKernel).
    case jupyterInstall(user: Bool, prefix: String?)
    /// `tinycast keras-json FILE`: the shell's child process that reads a Keras file.
    case kerasJSON(String)
    /// `tinycast merge DIR [--out FILE.json]`: a fanned-out sweep's results, gathered.
    case merge(dir: String, out: String?)
  }

  /// Parses `arguments` (without the program name). Returns the replay to run, nil for the
  /// interactive shell, or the exit status after printing help, the version or an error.
  public static func parse(
    _ arguments: [String], stdout: (String) -> Void, stderr: (String) -> Void
  ) -> Result<ReplayOptions?, ExitStatus> {
    switch parseRequest(arguments, stdout: stdout, stderr: stderr) {
    case .success(.replay(let options)): return .success(options)
    case .success(.shell): return .success(nil)
    case .success: return .failure(ExitStatus(2))
    case .failure(let status): return .failure(status)
    }
  }

  /// Parses `arguments` into a request, or the exit status after printing help or an error.
  public static func parseRequest(
    _ arguments: [String], stdout: (String) -> Void, stderr: (String) -> Void
  ) -> Result<Request, ExitStatus> {
    do {
      var command = try parseAsRoot(arguments)
      if let run = command as? Run { return .success(.replay(try run.options())) }
      if command is Kernel { return .success(.kernel) }
      if let keras = command as? KerasJSON { return .success(.kerasJSON(keras.file)) }
      if let merge = command as? Merge { return .success(.merge(dir: merge.dir, out: merge.out)) }
      if let install = command as? Jupyter.Install {
        return .success(.jupyterInstall(user: install.user, prefix: install.prefix))
      }
      if command is Tinycast { return .success(.shell) }
      // The parser's own commands (`help`, `--help`): running them throws the help to print.
      try command.run()
      return .failure(ExitStatus(0))
    } catch {
      let code = exitCode(for: error)
      let message = fullMessage(for: error)
      if code == .success {
        stdout(message)
      } else {
        stderr(message)
      }
      return .failure(ExitStatus(code.rawValue))
    }
  }

  /// Runs the command line in-process: parse, then replay or merge. The interactive shell is not
  /// started here (nil arguments mean it): the status is 2 with a usage line.
  public static func execute(
    _ arguments: [String], stdout: @escaping (String) -> Void, stderr: @escaping (String) -> Void
  ) -> Int32 {
    switch parseRequest(arguments, stdout: stdout, stderr: stderr) {
    case .success(.replay(let request)): return CLI.replay(request, stdout: stdout, stderr: stderr)
    case .success(.merge(let dir, let out)): return CLI.merge(dir: dir, out: out, stdout: stdout, stderr: stderr)
    case .success(.shell):
      stderr(helpMessage())
      return 2
    case .success: return 2
    case .failure(let status): return status.code
    }
  }
}

/// An exit status that ends the program (help, version or a usage error).
public struct ExitStatus: Error {
  public var code: Int32
  init(_ code: Int32) { self.code = code }
}

public struct Merge: ParsableCommand {
  public static let configuration = CommandConfiguration(
    abstract: "Gather the points of a sweep run with engine=local or engine=slurm into one comparison.",
    discussion: "Prints the table and the knee as the sweep would have, and names every point without a "
      + "result (with why, from its log). Exits 0 when every point has its result, 1 otherwise. On the "
      + "folder of a shrink run with engine=local or engine=slurm, lists each training, done or why not "
      + "(the same shrink command again judges them).")
  @Argument(help: "The sweep's folder (its dir=), or a shrink's.", completion: .directory)
  var dir: String
  @Option(help: ArgumentHelp("Also write the merged table as JSON (compare's fields).", valueName: "FILE.json"))
  var out: String?
  public init() {}
}

public struct Kernel: ParsableCommand {
  public static let configuration = CommandConfiguration(
    abstract: "Serve a Jupyter kernel: JSON requests on stdin, replies on stdout (the kernel starts it).",
    discussion: "One workspace for the whole session. 'tinycast jupyter install' writes the kernel that runs this.")
  public init() {}
}

/// The child process that reads a Keras file for the shell (KerasModelFile.Isolation): hidden.
public struct KerasJSON: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "keras-json", abstract: "Print a Keras model file as Tinycast's Keras JSON.", shouldDisplay: false)
  @Argument var file: String
  public init() {}
}

public struct Jupyter: ParsableCommand {
  public static let configuration = CommandConfiguration(
    abstract: "Jupyter integration.", subcommands: [Install.self])
  public init() {}

  public struct Install: ParsableCommand {
    public static let configuration = CommandConfiguration(
      abstract: "Write the Tinycast kernelspec, so JupyterLab and Notebook offer a Tinycast kernel.",
      discussion: "Needs Python with ipykernel where Jupyter runs (pip install ipykernel).")
    @Flag(help: "Install for this user (~/.local/share/jupyter) rather than system-wide.")
    var user = false
    @Option(help: ArgumentHelp("Install under this prefix (PREFIX/share/jupyter/kernels).", valueName: "DIR"))
    var prefix: String?
    public init() {}
  }
}

public struct Run: ParsableCommand {
  public static let configuration = CommandConfiguration(
    abstract: "Replay a session file; stop at the first failing line.",
    discussion: "Relative paths in the session resolve against its folder. A replay writes only under the "
      + "session's folder, the current folder or --out, and replaces no file unless the command says "
      + "overwrite=on. It exits 0 when every command and every 'check' passed, and 1 with "
      + "FILE:LINE: error: MESSAGE at the first line that failed.")

  @Argument(help: "The session file (.tcs).", completion: .file(extensions: ["tcs"]))
  var file: String

  @Option(
    name: .customLong("set"), parsing: .singleValue,
    help: ArgumentHelp("Override a 'param' of the session.", valueName: "KEY=VALUE"))
  var settings: [String] = []

  @Option(help: ArgumentHelp("Write the session's outputs to this folder.", valueName: "DIR"), completion: .directory)
  var out: String?

  @Flag(help: "Print each command before its output.")
  var echo = false

  @Flag(help: "Fail when a number differs from the session's #=> lines.")
  var verify = false

  @Flag(help: "Print each command's comment block and wait for Enter (q stops): a class, step by step.")
  var step = false

  @Option(
    help: ArgumentHelp("Also write the replay as a notebook, Markdown or Jupyter.", valueName: "OUT.md|OUT.ipynb"))
  var notebook: String?

  @Option(
    name: .customLong("allow-write"),
    help: ArgumentHelp("Let the session write anywhere (the only value is ANYWHERE).", valueName: "ANYWHERE"))
  var allowWrite: String?

  public init() {}

  public func validate() throws {
    for s in settings where !s.contains("=") || s.hasPrefix("=") {
      throw ValidationError("--set needs KEY=VALUE, not '\(s)'")
    }
    if let allowWrite, allowWrite != "ANYWHERE" {
      throw ValidationError("--allow-write takes the word ANYWHERE (the only setting)")
    }
    if let notebook, !notebook.lowercased().hasSuffix(".md") && !notebook.lowercased().hasSuffix(".ipynb") {
      throw ValidationError("--notebook needs a Markdown or Jupyter file name (OUT.md or OUT.ipynb)")
    }
  }

  /// The replay this command line asks for.
  func options() throws -> ReplayOptions {
    var r = ReplayOptions(file: file)
    for s in settings {
      let eq = s.firstIndex(of: "=")!
      r.overrides[String(s[..<eq])] = String(s[s.index(after: eq)...])
    }
    r.outDirectory = out
    r.echo = echo
    r.verify = verify
    r.step = step
    r.notebook = notebook
    r.writeAnywhere = allowWrite != nil
    return r
  }
}
