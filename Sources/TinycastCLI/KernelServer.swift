// KernelServer: `tinycast kernel`, the machine-readable mode a Jupyter kernel drives. One JSON
// object per line on stdin, one per line on stdout, against one workspace:
//
//   {"id": 7, "execute": "load demo\ntrain units=8"}    a cell: its lines run in turn
//   -> {"id": 7, "stream": "  lstm8 epoch 1/10 ..."}     progress while it runs (any number)
//   -> {"id": 7, "outputs": [{"text": ..., "html": ..., "svg": [...]}, ...]}   one per command
//      and, when a line fails: "error": {"line": 2, "command": "...", "message": "..."}
//      (the lines after it do not run; the workspace keeps what the lines before it did)
//   {"id": 8, "complete": "prune lst", "cursor": 9}
//   -> {"id": 8, "matches": ["lstm8"], "cursor_start": 6}
//
// Tables come as HTML (from the Markdown the notebook writes) beside their plain text, plots
// as SVG. The Python side (JupyterKernel.swift) turns these into Jupyter messages; keeping the
// protocol here, in plain JSON lines, leaves the ZeroMQ sockets and message signing to
// ipykernel, which does them for every other kernel.

import Foundation
import Shell
import Workbench

public enum KernelServer {
  /// Serves requests read by `readLine` until it returns nil; `write` sends one JSON line.
  public static func serve(engine: Engine, readLine: () -> String?, write: @escaping (String) -> Void) {
    while let line = readLine() {
      guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
      guard let data = line.data(using: .utf8),
        let request = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
      else {
        write(json(["error": ["line": 0, "command": "", "message": "not a JSON object: \(line.prefix(80))"]]))
        continue
      }
      let id = request["id"] ?? NSNull()
      var reply: [String: Any]
      if let code = request["execute"] as? String {
        engine.context.emit = { write(json(["id": id, "stream": $0])) }
        reply = execute(code, engine: engine)
      } else if let text = request["complete"] as? String {
        reply = complete(text, cursor: request["cursor"] as? Int, engine: engine)
      } else {
        reply = ["error": ["line": 0, "command": "", "message": "a request needs \"execute\" or \"complete\""]]
      }
      reply["id"] = id
      write(json(reply))
    }
  }

  /// Runs a cell's lines in turn; stops at the first that fails.
  public static func execute(_ code: String, engine: Engine) -> [String: Any] {
    var outputs: [[String: Any]] = []
    for (k, raw) in code.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let cellsBefore = engine.context.cells.count
      do {
        let text = try engine.execute(line)
        let attachments = engine.context.cells.count > cellsBefore ? engine.context.cells.last!.attachments : []
        if text.isEmpty && attachments.isEmpty { continue }
        outputs.append(output(text, attachments))
      } catch let error as CommandError {
        return ["outputs": outputs, "error": ["line": k + 1, "command": line, "message": error.description]]
      } catch {
        // `quit` in a cell: the kernel keeps serving (restarting it is the frontend's work).
        return ["outputs": outputs, "error": ["line": k + 1, "command": line, "message": "quit does nothing here"]]
      }
    }
    return ["outputs": outputs]
  }

  static func output(_ text: String, _ attachments: [CellAttachment]) -> [String: Any] {
    var out: [String: Any] = ["text": text]
    var html: [String] = []
    var svg: [String] = []
    for a in attachments {
      switch a {
      case .table(let markdown, _): html.append(htmlTable(markdown))
      case .chart(let chart, _): svg.append(chart.renderSVG())
      }
    }
    if !html.isEmpty {
      // The table in place of its plain rendering; the rest of the text beside it.
      var rest = text
      for a in attachments {
        if case .table(_, let plain) = a { rest = rest.replacingOccurrences(of: plain, with: "") }
      }
      let note = rest.trimmingCharacters(in: .whitespacesAndNewlines)
      out["html"] = html.joined(separator: "\n") + (note.isEmpty ? "" : "\n<pre>\(escape(note))</pre>")
    }
    if !svg.isEmpty { out["svg"] = svg }
    return out
  }

  /// A Markdown table (header, separator, rows) as an HTML table; other lines as paragraphs.
  static func htmlTable(_ markdown: String) -> String {
    var html = "<table>\n"
    var paragraphs: [String] = []
    var row = 0
    for line in markdown.split(separator: "\n") {
      let t = line.trimmingCharacters(in: .whitespaces)
      guard t.hasPrefix("|") else {
        if !t.isEmpty { paragraphs.append("<p>\(escape(t))</p>") }
        continue
      }
      let cells = t.dropFirst().dropLast(t.hasSuffix("|") ? 1 : 0).split(
        separator: "|", omittingEmptySubsequences: false
      )
      .map { $0.trimmingCharacters(in: .whitespaces) }
      if cells.allSatisfy({ $0.allSatisfy { "-:".contains($0) } && !$0.isEmpty }) { continue }  // the separator
      let tag = row == 0 ? "th" : "td"
      html +=
        "<tr>" + cells.map { "<\(tag)>\(escape($0.replacingOccurrences(of: "**", with: "")))</\(tag)>" }.joined()
        + "</tr>\n"
      row += 1
    }
    return html + "</table>" + (paragraphs.isEmpty ? "" : "\n" + paragraphs.joined(separator: "\n"))
  }

  public static func complete(_ code: String, cursor: Int?, engine: Engine) -> [String: Any] {
    // The line the cursor is on, up to the cursor (Jupyter counts in Unicode code points).
    let scalars = Array(code.unicodeScalars)
    let end = min(max(cursor ?? scalars.count, 0), scalars.count)
    let upToCursor = String(String.UnicodeScalarView(scalars[0..<end]))
    let line = upToCursor.split(separator: "\n", omittingEmptySubsequences: false).last.map(String.init) ?? ""
    let word = line.split(separator: " ", omittingEmptySubsequences: false).last.map(String.init) ?? ""
    // Completion's candidates replace the whole word before the cursor (key=value included).
    let matches = Completion.candidates(line, workspace: engine.workspace) ?? []
    return ["matches": matches, "cursor_start": end - word.unicodeScalars.count]
  }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }

  static func json(_ object: [String: Any]) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }
}
