// Command: one entry of the command table. Help, completion, option checking and recording all
// read this table; there is no second list of commands anywhere.

import Foundation
import Workbench

#if canImport(Glibc)
  import Glibc
#endif

public enum CommandGroup: String, CaseIterable, Sendable {
  case data = "Data"
  case model = "Models"
  case compress = "Compress"
  case evaluate = "Evaluate"
  case session = "Session"
  case help = "Help"
}

/// How a command appears in a recorded session.
public enum Recording: Sendable {
  case never  // inspection only: help, models, show, history, save session
  case always  // changes the workspace or produces a result worth replaying
}

/// The world a command runs in, besides the workspace: where relative paths start, where output
/// goes, and how to show progress while it works.
public final class ShellContext {
  /// Relative input paths resolve against this folder (the session file's, or the current one).
  public var baseDirectory: String
  /// Relative output paths resolve against this folder (`--out DIR`, or `baseDirectory`).
  public var outputDirectory: String
  /// Prints a line at once (progress); the command's result is its return value.
  public var emit: (String) -> Void
  /// Polled during long work; true asks it to stop cleanly (Ctrl-C).
  public var shouldStop: () -> Bool = { false }
  /// Line numbers of the commands run so far, for `history`.
  public var history: [String] = []
  /// Values given by `tinycast run --set K=V`; `param` reads them.
  public var overrides: [String: String] = [:]

  /// Color and live progress are for a terminal only (main.swift sets these; NO_COLOR wins).
  public var color = false
  /// The terminal's width, read when asked (it changes when the window does); nil when the
  /// output is not a terminal, which keeps files and replays the same whatever the window.
  public var terminalWidth: (() -> Int?)?
  /// Rewrites one status line in place (a terminal); nil prints one line per epoch via `emit`.
  public var liveStatus: ((String) -> Void)?

  /// Every successful command with its output, for `save notebook` and `run --notebook`.
  public var cells: [NotebookCell] = []

  public init(baseDirectory: String, outputDirectory: String? = nil, emit: @escaping (String) -> Void = { print($0) }) {
    self.baseDirectory = baseDirectory
    self.outputDirectory = outputDirectory ?? baseDirectory
    self.emit = emit
  }

  public func resolveInput(_ path: String) -> String {
    path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
  }
  public func resolveOutput(_ path: String) -> String {
    path.hasPrefix("/") ? path : (outputDirectory as NSString).appendingPathComponent(path)
  }

  /// Where a written file really went, as a message should name it: `given` itself when it
  /// lands where it says (the interactive shell), otherwise its path from the current folder
  /// (a replay with --out), or absolute when it is outside.
  public func shown(_ given: String) -> String {
    guard outputDirectory != baseDirectory, !given.hasPrefix("/") else { return given }
    let path = (resolveOutput(given) as NSString).standardizingPath
    let cwd = (FileManager.default.currentDirectoryPath as NSString).standardizingPath
    return path.hasPrefix(cwd + "/") ? String(path.dropFirst(cwd.count + 1)) : path
  }

  /// Folders a replayed session may write under (the session's folder, the current folder and
  /// `--out`); nil lets it write anywhere (the interactive shell, or `--allow-write ANYWHERE`).
  public var writeRoots: [String]?
  /// In a replay, an existing file is replaced only when the command says `overwrite=on`.
  public var protectExistingFiles = false

  /// The absolute path a command may write `given` to, or a clear refusal: outside the allowed
  /// folders (after resolving `..` and symbolic links), or an existing file without overwrite=on.
  public func outputPath(_ given: String, overwrite: Bool) throws(CommandError) -> String {
    let path = (resolveOutput(given) as NSString).standardizingPath
    if let roots = writeRoots {
      let real = Self.realPath(path)
      let allowed = roots.map { Self.realPath(($0 as NSString).standardizingPath) }
      guard allowed.contains(where: { real == $0 || real.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else {
        throw CommandError(
          "refusing to write \(given): it is outside the session's folder, the current folder and --out",
          hint: "replay with --out DIR, or with --allow-write ANYWHERE if you trust this session")
      }
    }
    if protectExistingFiles, FileManager.default.fileExists(atPath: path), !overwrite {
      throw CommandError(
        "\(given) exists; a replayed session does not replace files",
        hint: "add overwrite=on to the command, or replay with --out DIR")
    }
    return path
  }

  /// `path` with symbolic links resolved: the deepest existing ancestor through realpath(3),
  /// then the rest of the components as written.
  static func realPath(_ path: String) -> String {
    var head = path
    var tail: [String] = []
    while !head.isEmpty && head != "/" {
      if let r = realpath(head, nil) {
        defer { free(r) }
        return ([String(cString: r)] + tail.reversed()).joined(separator: "/").replacingOccurrences(of: "//", with: "/")
      }
      tail.append((head as NSString).lastPathComponent)
      head = (head as NSString).deletingLastPathComponent
    }
    return path
  }
}

/// What a command gives back: its text, the canonical commands that replay it (every
/// recording command must give them, even none: the engine refuses to guess), the `#=>` numbers
/// of its own, and what its notebook cell shows besides the text.
public struct CommandOutput {
  public var text: String
  public var recorded: [RecordedCommand]?
  public var results: [String]
  public var attachments: [CellAttachment]

  public init(
    _ text: String, recorded: [RecordedCommand]? = nil, results: [String] = [], attachments: [CellAttachment] = []
  ) {
    self.text = text
    self.recorded = recorded
    self.results = results
    self.attachments = attachments
  }
}

public struct Command: Sendable {
  /// Runs on a copy of the workspace; the engine commits it when this returns.
  public typealias Run = @Sendable (inout Workspace, inout Invocation, ShellContext) throws -> CommandOutput
  /// Runs other command lines through the engine (sweep, restore), each its own transaction
  /// or all one, as the command decides.
  public typealias Script = @Sendable (Engine, [Token]) throws -> String

  public var name: String
  public var group: CommandGroup
  public var usage: String  // "prune SPARSITY [scope=layer|global] [as NAME]"
  public var summary: String  // one line for `help`
  public var details: String  // more lines for `help NAME`
  public var options: [OptionSpec]
  public var example: String
  public var recording: Recording
  public var run: Run
  public var script: Script?

  public init(
    _ name: String, group: CommandGroup, usage: String, summary: String, details: String = "",
    options: [OptionSpec] = [], example: String = "", recording: Recording, run: @escaping Run
  ) {
    self.name = name
    self.group = group
    self.usage = usage
    self.summary = summary
    self.details = details
    self.options = options
    self.example = example
    self.recording = recording
    self.run = run
  }

  /// A command that runs other command lines (its own lines are never recorded: theirs are).
  public init(
    _ name: String, group: CommandGroup, usage: String, summary: String, details: String = "",
    options: [OptionSpec] = [], example: String = "", script: @escaping Script
  ) {
    self.init(
      name, group: group, usage: usage, summary: summary, details: details, options: options, example: example,
      recording: .never
    ) { _, _, _ in preconditionFailure("\(name) runs through the engine") }
    self.script = script
  }

  /// `help NAME`: usage, summary, details, every option with its default, an example.
  public var helpText: String {
    var lines = ["usage: \(usage)", "", summary]
    if !details.isEmpty {
      lines += [""] + details.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
    if !options.isEmpty {
      lines += ["", "options:"]
      let width = options.map { $0.key.count }.max() ?? 0
      for o in options {
        var d = o.help
        if let v = o.values { d += " (\(v.joined(separator: "|")))" }
        if !o.defaultValue.isEmpty { d += "; default \(o.defaultValue)" }
        lines.append("  \(o.key.padding(toLength: width, withPad: " ", startingAt: 0))  \(d)")
      }
    }
    if !example.isEmpty { lines += ["", "example:", "  \(example)"] }
    return lines.joined(separator: "\n")
  }
}

public enum CommandTable {
  /// Every command, in the order `help` lists them within a group.
  public static let all: [Command] =
    DataCommands.all + ModelCommands.all + CompressCommands.all + SearchCommands.all + EvaluateCommands.all
    + PlotCommands.all + SessionCommands.all

  /// Exact name, else a unique prefix (as the SQLite shell); ambiguity and typos are errors.
  /// The command named (or uniquely begun) by `word`, which stands at `column` of the line (the
  /// caret of an error goes under it).
  public static func lookup(_ word: String, column: Int = 1) throws(CommandError) -> Command {
    if let c = all.first(where: { $0.name == word }) { return c }
    let prefixed = all.filter { $0.name.hasPrefix(word) }
    if prefixed.count == 1 { return prefixed[0] }
    if prefixed.count > 1 {
      throw CommandError(
        "'\(word)' is ambiguous", hint: "it could be \(prefixed.map(\.name).joined(separator: ", "))",
        column: column)
    }
    let guess = suggestion(for: word, among: all.map(\.name)).map { "did you mean '\($0)'? " } ?? ""
    throw CommandError("unknown command '\(word)'", hint: "\(guess)type 'help' for the list", column: column)
  }
}

/// `text` as the interactive shell prints it in a terminal `width` columns wide: a line of prose
/// (a message, a hint) longer than the terminal breaks at words, as `wrapped` does; a line laid
/// out in columns (two spaces in a row after its indent, as tables have) or drawn (a plot's
/// box characters) is left whole, since breaking it would scramble its columns.
public func fittedToTerminal(_ text: String, width: Int) -> String {
  text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
    let body = line.drop { $0 == " " }
    let laidOut = body.contains("  ") || body.unicodeScalars.contains { (0x2500...0x259F).contains($0.value) }
    return line.count <= width || laidOut ? String(line) : wrapped(String(line), width: width)
  }.joined(separator: "\n")
}

/// `text` with each line longer than `width` broken at spaces; a broken line's continuation is
/// indented like the line itself (two more spaces under a list item), so help reads as written.
public func wrapped(_ text: String, width: Int) -> String {
  guard width >= 20 else { return text }
  var out: [String] = []
  for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
    guard line.count > width else {
      out.append(line)
      continue
    }
    let indent = String(line.prefix { $0 == " " })
    let continuation = indent + "  "
    var current = indent
    var hasWord = false
    for word in line.dropFirst(indent.count).split(separator: " ", omittingEmptySubsequences: false) {
      let candidate = hasWord ? current + " " + word : current + word
      if hasWord && candidate.count > width {
        out.append(current)
        current = continuation + word
      } else {
        current = candidate
      }
      hasWord = true
    }
    out.append(current)
  }
  return out.joined(separator: "\n")
}
