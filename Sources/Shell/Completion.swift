// Completion: what Tab offers at the cursor, from the command table and the workspace, so the
// readline glue in main.swift stays a thin adapter. nil means "complete a file path".

import Foundation
import Workbench

public enum Completion {
  /// Candidates for the word that ends at the end of `line` (the text before the cursor).
  public static func candidates(_ line: String, workspace ws: Workspace) -> [String]? {
    let endsInSpace = line.last.map { $0 == " " || $0 == "\t" } ?? true
    let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    let current = endsInSpace ? "" : (words.last ?? "")
    let before = endsInSpace ? words : Array(words.dropLast())
    // The first word: a command name.
    guard let verb = before.first else {
      return CommandTable.all.map(\.name).filter { $0.hasPrefix(current) }.sorted()
    }
    guard let command = try? CommandTable.lookup(verb) else { return [] }
    let models = ws.models.names
    let datasets = ws.datasetOrder
    // key=value: the option's fixed values, or names where the option takes a model.
    if let eq = current.firstIndex(of: "=") {
      let key = String(current[..<eq])
      let prefix = String(current[current.index(after: eq)...])
      guard let spec = command.options.first(where: { $0.key == key }) else { return [] }
      if spec.isPath { return nil }
      let values = spec.values ?? (["teacher", "baseline"].contains(key) ? models : [])
      return values.filter { $0.hasPrefix(prefix) }.map { "\(key)=\($0)" }
    }
    // A positional word: what this command takes there, then its option keys.
    var offered: [String] = []
    switch command.name {
    case "load":
      if before.count == 1 {
        offered = ["demo", "csv", "model", "keras"]
      } else if before.count == 2, ["csv", "model", "keras"].contains(before[1]) {
        return nil
      }
    case "help": if before.count == 1 { offered = CommandTable.all.map(\.name) }
    case "explain": if before.count == 1 { offered = Array(Explain.topics.keys) }
    case "save": if before.count == 1 { offered = ["session", "notebook"] } else { return nil }
    case "plot": offered = before.count == 1 ? PlotCommands.kinds : models
    case "restore": return nil
    case "quantize": offered = models + ["int8", "float16"]
    case "use": offered = models + datasets
    default: offered = models
    }
    offered += command.options.map { $0.key + "=" }
    return Array(Set(offered.filter { $0.hasPrefix(current) })).sorted()
  }

  /// The longest prefix all candidates share (what Tab inserts when there are several).
  public static func commonPrefix(_ candidates: [String]) -> String {
    guard var prefix = candidates.first else { return "" }
    for c in candidates.dropFirst() { while !c.hasPrefix(prefix) { prefix.removeLast() } }
    return prefix
  }
}
