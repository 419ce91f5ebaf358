// Engine: runs one command line against the workspace, as a transaction. The command works on
// a copy; only when it succeeds does the copy (with the command recorded) replace the workspace.

import Foundation
import Workbench

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

  /// Runs one line. Returns the command's output ("" for blank lines and comments).
  /// Throws `CommandError` (workspace unchanged) or `QuitRequest`.
  @discardableResult
  public func execute(_ line: String) throws -> String {
    let expanded = try expandParameters(line)
    let tokens = try Lexer.tokenize(expanded)
    guard let first = tokens.first else { return "" }
    let command = try CommandTable.lookup(first.text)
    if let script = command.script { return try script(self, tokens) }
    var inv = try Invocation(tokens: tokens, specs: command.options)
    inv.verb = command.name
    var draft = workspace
    // `train` may reuse a model's name, as a notebook re-runs a cell (the old model is kept as
    // NAME.1); every other command refuses a taken name.
    draft.replacesExistingNames = command.name == "train"
    draft.notices = []
    var output: CommandOutput
    do {
      output = try command.run(&draft, &inv, context)
      if !draft.notices.isEmpty { output.text = (draft.notices + [output.text]).joined(separator: "\n") }
      draft.replacesExistingNames = false
      draft.notices = []
    } catch let e as CommandError {
      throw e
    } catch let q as QuitRequest {
      throw q
    } catch {
      throw CommandError.from(error)
    }
    var added: [RecordedCommand] = []
    if command.recording == .always {
      guard let recorded = output.recorded else {
        preconditionFailure("\(command.name) records, but returned no recorded command")
      }
      added = recorded
      // Consecutive `window` lines collapse into the last: the earlier one affected nothing.
      // This keeps load's implicit window line from doubling when a saved session replays.
      if added.first?.verb == "window", draft.recorded.last?.verb == "window" { draft.recorded.removeLast() }
      // The command's own numbers, then those of each model it made (a search's steps come
      // with theirs, even when its first step, a `window`, has none).
      if !added.isEmpty && added.allSatisfy({ $0.results.isEmpty }) {
        added[0].results = output.results + Self.newModelResults(before: workspace, after: draft)
      }
      draft.recorded += added
    }
    workspace = draft
    lastResults = added.first?.results ?? []
    journal?.append(added)
    context.history.append(line.trimmingCharacters(in: .whitespaces))
    // The notebook is the work, not the reading of the manual: help, history and explain stay
    // out of it (and save, which writes it).
    if !["save", "help", "history", "explain"].contains(command.name) {
      context.cells.append(
        NotebookCell(
          number: context.history.count, command: line.trimmingCharacters(in: .whitespaces),
          output: output.text, attachments: output.attachments))
    }
    return output.text
  }

  /// The numbers that identify a model a command just made: its size and, when it trained,
  /// each replica's best validation loss (6 significant digits: a real change shows, the
  /// printing of the last bit does not).
  static func newModelResults(before: Workspace, after: Workspace) -> [String] {
    after.models.names.filter { before.models[$0] == nil }.map { after.models[$0]!.resultLine }
  }

  /// `restore [PATH]`: replays a session file (by default the journal an abrupt exit left) into
  /// this workspace, command by command; stops at the first failing line.
  public func restore(_ tokens: [Token]) throws -> String {
    guard tokens.count <= 2 else { throw CommandError("usage: restore [PATH]") }
    guard let path = tokens.count == 2 ? context.resolveInput(tokens[1].text) : restorePath else {
      throw CommandError(
        "nothing to restore", hint: "no earlier session ended abruptly; 'restore PATH' replays a session file")
    }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw CommandError("\(path): cannot be read")
    }
    let before = workspace
    var restored: [String] = []
    for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      do {
        _ = try execute(line)
        restored.append(line)
      } catch {
        throw CommandError(
          "\(path):\(index + 1): \(CommandError.from(error).description)",
          hint: "the \(restored.count) commands before it were restored")
      }
    }
    if tokens.count == 1 { restorePath = nil }
    return Self.restoreReport(restored, from: path, before: before, after: workspace)
  }

  /// What `restore` did, as whole lines: the commands it ran (the first and last few of a long
  /// session), then what the workspace gained: the models it made and the dataset in use.
  static func restoreReport(_ lines: [String], from path: String, before: Workspace, after: Workspace) -> String {
    var report = ["restored \(lines.count) command\(lines.count == 1 ? "" : "s") from \(path):"]
    let numbered = lines.enumerated().map { "  \($0.offset + 1)  \($0.element)" }
    if numbered.count <= 12 {
      report += numbered
    } else {
      report += numbered.prefix(4) + ["  ... \(numbered.count - 10) more ..."] + numbered.suffix(6)
    }
    let made = after.models.names.filter { before.models[$0] == nil }
    if !made.isEmpty { report.append("models made: \(made.joined(separator: ", "))") }
    if let dataset = after.currentDataset, dataset != before.currentDataset {
      report.append("dataset in use: \(dataset)")
    }
    return report.joined(separator: "\n")
  }

  /// Runs `lines` as one transaction: if any fails, the workspace, the journal, the history and
  /// the notebook are as before and the error names the failing line. Returns the outputs.
  func executeAll(_ lines: [String], label: String) throws(CommandError) -> [String] {
    let saved = workspace
    let savedJournal = journal
    let history = context.history.count
    let cells = context.cells.count
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
        throw CommandError(
          "\(label) \(k + 1)/\(lines.count) (\(line)): \(CommandError.from(error).description)",
          hint: "nothing of the \(label) was kept")
      }
    }
    journal = savedJournal
    journal?.append(Array(workspace.recorded[recordedStart...]))
    return outputs
  }

  /// `$KEY` and `${KEY}` become the parameter's value; an undeclared one is an error.
  func expandParameters(_ line: String) throws(CommandError) -> String {
    guard line.contains("$") else { return line }
    var out = ""
    var chars = Array(line)[...]
    while let c = chars.first {
      chars = chars.dropFirst()
      guard c == "$" else {
        out.append(c)
        continue
      }
      var name = ""
      if chars.first == "{" {
        chars = chars.dropFirst()
        while let d = chars.first, d != "}" {
          name.append(d)
          chars = chars.dropFirst()
        }
        guard chars.first == "}" else { throw CommandError("unclosed ${ in '\(line)'") }
        chars = chars.dropFirst()
      } else {
        while let d = chars.first, d.isLetter || d.isNumber || d == "_" {
          name.append(d)
          chars = chars.dropFirst()
        }
      }
      guard !name.isEmpty else {
        out.append("$")
        continue
      }
      guard let value = workspace.params[name] else {
        throw CommandError("unknown parameter $\(name)", hint: "declare it first with 'param \(name)=DEFAULT'")
      }
      out += value
    }
    return out
  }
}
