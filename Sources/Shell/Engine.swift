// Engine: runs one command line against the workspace, as a transaction. The command works on
// a copy; only when it succeeds does the copy (with the command recorded) replace the workspace.

import Foundation

public final class Engine {
  public internal(set) var workspace = Workspace()
  public let context: ShellContext
  /// Receives the canonical lines each successful command added (the crash journal).
  public var journal: Journal?
  /// A session file `restore` replays by default (an abandoned journal found at start).
  public var restorePath: String?
  /// The `#=>` result lines of the last successful command (empty if it records none).
  public private(set) var lastResults: [String] = []

  public init(context: ShellContext) { self.context = context }
  /// An engine over a copy of `workspace` (shrink tries candidates in one).
  init(context: ShellContext, workspace: Workspace) { self.context = context; self.workspace = workspace }

  /// Runs one line. Returns the command's output ("" for blank lines and comments).
  /// Throws `ShellError` (workspace unchanged) or `QuitRequest`.
  @discardableResult
  public func execute(_ line: String) throws -> String {
    let expanded = try expandParameters(line)
    let tokens = try Lexer.tokenize(expanded)
    guard let first = tokens.first else { return "" }
    let command = try CommandTable.lookup(first.text)
    if command.name == "restore" { return try restore(tokens) }
    if command.name == "sweep" { return try sweep(tokens) }
    if command.name == "shrink" { return try shrink(tokens) }
    var inv = try Invocation(tokens: tokens, specs: command.options)
    inv.verb = command.name
    var draft = workspace
    let output: String
    context.attachments = []
    context.results = []
    do {
      output = try command.run(&draft, &inv, context)
    } catch let e as ShellError {
      throw e
    } catch let q as QuitRequest {
      throw q
    } catch {
      throw ShellError.from(error)
    }
    var added: [RecordedCommand] = []
    if command.recording == .always {
      // Consecutive `window` lines collapse into the last: the earlier one affected nothing.
      // This keeps load's implicit window line from doubling when a saved session replays.
      if command.name == "window", draft.recorded.last?.verb == "window" { draft.recorded.removeLast() }
      var main = inv.canonical()
      main.results = context.results + Self.newModelResults(before: workspace, after: draft)
      added.append(main)
      if command.name == "load" {
        // Loading windows with the defaults; write them down so a later change of a default
        // cannot change a replay.
        var w = try Invocation(tokens: [Token(text: "window", column: 1)], specs: DataCommands.windowOptions)
        for spec in DataCommands.windowOptions { _ = try w.string(spec.key) }
        added.append(w.canonical())
      }
      draft.recorded += added
    }
    workspace = draft
    lastResults = added.first?.results ?? []
    journal?.append(added)
    context.history.append(line.trimmingCharacters(in: .whitespaces))
    if command.name != "save" {
      context.cells.append(NotebookCell(number: context.history.count, command: line.trimmingCharacters(in: .whitespaces),
                                        output: output, attachments: context.attachments))
    }
    return output
  }

  /// The numbers that identify a model a command just made: its size and, when it trained,
  /// each replica's best validation loss (6 significant digits: a real change shows, the
  /// printing of the last bit does not).
  static func newModelResults(before: Workspace, after: Workspace) -> [String] {
    after.modelOrder.filter { before.models[$0] == nil }.map { modelResult(after.models[$0]!) }
  }

  static func modelResult(_ m: ModelEntry) -> String {
    var line = "\(m.name) bytes=\(m.artifact().count) nonzero=\(m.nonzeroCount)"
    let losses = m.logs.filter { !$0.epochs.isEmpty }.map { resultNumber($0.bestValidationLoss) }
    if !losses.isEmpty { line += " val_loss=" + losses.joined(separator: ",") }
    return line
  }

  /// `restore [PATH]`: replays a session file (by default the journal an abrupt exit left) into
  /// this workspace, command by command; stops at the first failing line.
  func restore(_ tokens: [Token]) throws -> String {
    guard tokens.count <= 2 else { throw ShellError("usage: restore [PATH]") }
    guard let path = tokens.count == 2 ? context.resolveInput(tokens[1].text) : restorePath else {
      throw ShellError("nothing to restore", hint: "no earlier session ended abruptly; 'restore PATH' replays a session file")
    }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ShellError("\(path): cannot be read") }
    var count = 0
    var messages: [String] = []
    for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      do {
        let out = try execute(line)
        count += 1
        if let first = out.split(separator: "\n").last { messages.append("  \(first)") }
      } catch {
        throw ShellError("\(path):\(index + 1): \(ShellError.from(error).description)", hint: "the \(count) commands before it were restored")
      }
    }
    if tokens.count == 1 { restorePath = nil }
    return (messages.suffix(3) + ["restored \(count) commands from \(path)"]).joined(separator: "\n")
  }

  /// Runs `lines` as one transaction: if any fails, the workspace, the journal, the history and
  /// the notebook are as before and the error names the failing line. Returns the outputs.
  func executeAll(_ lines: [String], label: String) throws(ShellError) -> [String] {
    let saved = workspace, savedJournal = journal, history = context.history.count, cells = context.cells.count
    let recordedStart = workspace.recorded.count
    journal = nil
    var outputs: [String] = []
    for (k, line) in lines.enumerated() {
      context.emit("\(label) \(k + 1)/\(lines.count): \(line)")
      do {
        outputs.append(try execute(line))
        context.emit(outputs.last!)
      } catch {
        workspace = saved
        journal = savedJournal
        context.history.removeLast(context.history.count - history)
        context.cells.removeLast(context.cells.count - cells)
        throw ShellError("\(label) \(k + 1)/\(lines.count) (\(line)): \(ShellError.from(error).description)",
                         hint: "nothing of the \(label) was kept")
      }
    }
    journal = savedJournal
    journal?.append(Array(workspace.recorded[recordedStart...]))
    return outputs
  }

  /// `$KEY` and `${KEY}` become the parameter's value; an undeclared one is an error.
  func expandParameters(_ line: String) throws(ShellError) -> String {
    guard line.contains("$") else { return line }
    var out = ""
    var chars = Array(line)[...]
    while let c = chars.first {
      chars = chars.dropFirst()
      guard c == "$" else { out.append(c); continue }
      var name = ""
      if chars.first == "{" {
        chars = chars.dropFirst()
        while let d = chars.first, d != "}" { name.append(d); chars = chars.dropFirst() }
        guard chars.first == "}" else { throw ShellError("unclosed ${ in '\(line)'") }
        chars = chars.dropFirst()
      } else {
        while let d = chars.first, d.isLetter || d.isNumber || d == "_" { name.append(d); chars = chars.dropFirst() }
      }
      guard !name.isEmpty else { out.append("$"); continue }
      guard let value = workspace.params[name] else {
        throw ShellError("unknown parameter $\(name)", hint: "declare it first with 'param \(name)=DEFAULT'")
      }
      out += value
    }
    return out
  }
}
