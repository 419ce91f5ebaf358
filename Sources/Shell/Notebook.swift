// Notebook: the session as a Markdown lab notebook. Each successful command is a cell: the
// command, its output, its tables as Markdown tables and its plots as SVG files written beside
// the notebook and linked, so the file reads well on any code-hosting site.

import Foundation
import Workbench

/// What a command adds to its cell besides text.
public enum CellAttachment: Sendable {
  /// A table the command also printed as `text`; the notebook shows the Markdown instead.
  case table(markdown: String, text: String)
  /// A plot the command drew in the terminal; the notebook links an SVG of it.
  case chart(Chart, slug: String)
}

public struct NotebookCell: Sendable {
  public var number: Int
  public var command: String
  public var output: String
  public var attachments: [CellAttachment]
}

public enum Notebook {
  /// Writes `path` (Markdown) and its SVG files (`NAME-N-slug.svg` beside it), each atomically.
  /// Returns the paths of the SVG files written.
  @discardableResult
  public static func write(_ cells: [NotebookCell], to path: String, source: String? = nil) throws(CommandError)
    -> [String]
  {
    let folder = (path as NSString).deletingLastPathComponent
    let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    var md = ["# Tinycast notebook", ""]
    let when = ISO8601DateFormatter().string(from: Date())
    md.append(
      "Written by tinycast \(TinycastVersion.string) on \(when)\(source.map { " from `\($0)`" } ?? ""); "
        + "\(cells.count) commands. Every number below was computed by the command above it."
    )
    md.append("")
    var svgs: [(String, String)] = []
    for cell in cells {
      md.append("## [\(cell.number)] `\(cell.command.replacingOccurrences(of: "`", with: "'"))`")
      md.append("")
      var text = cell.output
      for a in cell.attachments {
        switch a {
        case .table(let markdown, let plain):
          md.append(markdown.trimmingCharacters(in: .newlines))
          md.append("")
          // The table replaces its text rendering; the lines around it stay.
          text = text.replacingOccurrences(of: plain, with: "")
        case .chart(let chart, let slug):
          let file = "\(stem)-\(cell.number)-\(slug).svg"
          svgs.append((file, chart.renderSVG()))
          md.append("![\(chart.title.replacingOccurrences(of: "]", with: ")"))](\(file))")
          md.append("")
          text = chart.notes.joined(separator: "\n")
        }
      }
      let trimmed = text.trimmingCharacters(in: .newlines)
      if !trimmed.isEmpty {
        md += ["```text", trimmed, "```", ""]
      }
    }
    var written: [String] = []
    for (file, svg) in svgs {
      let full = (folder as NSString).appendingPathComponent(file)
      try AtomicFile.write(Array(svg.utf8), to: full)
      written.append(full)
    }
    try AtomicFile.write(Array(md.joined(separator: "\n").utf8), to: path)
    return written
  }

  /// Writes `path` as a Jupyter notebook (nbformat 4.5): a Markdown title cell, then one code
  /// cell per command with its outputs: text as a stdout stream, tables as results with
  /// Markdown and plain text, plots as SVG display data. It opens in JupyterLab and renders on
  /// code-hosting sites; nothing is written beside it.
  public static func writeJupyter(_ cells: [NotebookCell], to path: String, source: String? = nil)
    throws(CommandError)
  {
    func lines(_ text: String) -> [String] {
      // nbformat's multiline strings: a list of lines, each but the last with its newline.
      let parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      return parts.enumerated().map { $0.offset < parts.count - 1 ? $0.element + "\n" : $0.element }
    }
    let when = ISO8601DateFormatter().string(from: Date())
    var notebookCells: [[String: Any]] = [
      [
        "cell_type": "markdown", "id": "title", "metadata": [String: Any](),
        "source": lines(
          "# Tinycast notebook\n\nWritten by tinycast \(TinycastVersion.string) on \(when)"
            + "\(source.map { " from `\($0)`" } ?? ""); \(cells.count) commands. Every number below was "
            + "computed by the command above it."),
      ]
    ]
    for cell in cells {
      var outputs: [[String: Any]] = []
      var text = cell.output
      for a in cell.attachments {
        switch a {
        case .table(let markdown, let plain):
          outputs.append([
            "output_type": "execute_result", "execution_count": cell.number, "metadata": [String: Any](),
            "data": ["text/markdown": lines(markdown.trimmingCharacters(in: .newlines)), "text/plain": lines(plain)],
          ])
          text = text.replacingOccurrences(of: plain, with: "")
        case .chart(let chart, _):
          outputs.append([
            "output_type": "display_data", "metadata": [String: Any](),
            "data": ["image/svg+xml": lines(chart.renderSVG()), "text/plain": lines(chart.title)],
          ])
          text = chart.notes.joined(separator: "\n")
        }
      }
      let trimmed = text.trimmingCharacters(in: .newlines)
      if !trimmed.isEmpty {
        outputs.insert(["output_type": "stream", "name": "stdout", "text": lines(trimmed + "\n")], at: 0)
      }
      notebookCells.append([
        "cell_type": "code", "id": "cell-\(cell.number)", "execution_count": cell.number,
        "metadata": [String: Any](), "source": lines(cell.command), "outputs": outputs,
      ])
    }
    let notebook: [String: Any] = [
      "nbformat": 4, "nbformat_minor": 5, "cells": notebookCells,
      "metadata": [
        "kernelspec": ["name": "tinycast", "display_name": "Tinycast", "language": "tinycast"],
        "language_info": ["name": "tinycast", "file_extension": ".tcs"],
      ],
    ]
    let data: Data
    do { data = try JSONSerialization.data(withJSONObject: notebook, options: [.sortedKeys, .prettyPrinted]) } catch {
      throw CommandError("cannot write the notebook as JSON: \(error.localizedDescription)")
    }
    try AtomicFile.write(Array(data) + [0x0A], to: path)
  }
}
