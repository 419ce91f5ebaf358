// RecordedCommand: a command as a session file writes it, in canonical form: the verb, its
// positional words, every option explicit (defaults and seeds included) sorted by key, then
// `as NAME`. Every operation returns the one that replays it; nothing else writes session lines.

import Foundation

/// A value as it will be written in a recorded session.
public struct RecordedValue: Sendable, Equatable {
  public var text: String
  /// A path: written relative to the session file's folder when saved.
  public var isPath: Bool
  public init(_ text: String, isPath: Bool = false) {
    self.text = text
    self.isPath = isPath
  }
}

public struct RecordedCommand: Sendable {
  public var verb: String
  public var words: [RecordedValue]
  public var options: [(key: String, value: RecordedValue)]
  public var asName: String?
  /// The key numbers the command produced, written as `#=> ...` lines under it in a saved
  /// session, so `tinycast run --verify` can prove a replay gives the same results.
  public var results: [String] = []

  public init(
    _ verb: String, words: [RecordedValue] = [], options: [(key: String, value: RecordedValue)] = [],
    asName: String? = nil
  ) {
    self.verb = verb
    self.words = words
    self.options = options
    self.asName = asName
  }

  /// Adds (or replaces) an option.
  public mutating func set(_ key: String, _ text: String, isPath: Bool = false) {
    options.removeAll { $0.key == key }
    options.append((key, RecordedValue(text, isPath: isPath)))
  }

  public mutating func set(_ key: String, _ value: Int) { set(key, String(value)) }
  public mutating func set(_ key: String, _ value: Double) { set(key, formatNumber(value)) }
  public mutating func set(_ key: String, _ value: UInt64) { set(key, String(value)) }
  public mutating func set(_ key: String, on: Bool) { set(key, on ? "on" : "off") }

  /// Canonical text: words, options sorted by key, then `as NAME`. Path values are rewritten
  /// relative to `directory` when given (so a saved session can move with its data).
  public func render(relativeTo directory: String? = nil) -> String {
    func show(_ v: RecordedValue) -> String {
      quoteIfNeeded(v.isPath ? (directory.map { relativePath(v.text, from: $0) } ?? v.text) : v.text)
    }
    var parts = [verb] + words.map(show)
    parts += options.sorted { $0.key < $1.key }.map { "\($0.key)=\(show($0.value))" }
    if let asName { parts += ["as", asName] }
    return parts.joined(separator: " ")
  }
}

/// `s` as one word of a command line: quoted when it holds a space, a quote, `#`, `=` or `\`.
public func quoteIfNeeded(_ s: String) -> String {
  let needs =
    s.isEmpty || s.contains { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "#" || $0 == "=" || $0 == "\\" }
  guard needs else { return s }
  return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// Shortest text that reads back as the same Double ("0.2", "50", "1e-05").
public func formatNumber(_ v: Double) -> String {
  if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
  return "\(v)"
}

/// A number in a `#=>` result line: 6 significant digits.
public func resultNumber(_ v: Double) -> String { String(format: "%.6g", v) }

/// `path` relative to `directory` when both are absolute ("../data/x.csv"); else unchanged.
public func relativePath(_ path: String, from directory: String) -> String {
  guard path.hasPrefix("/"), directory.hasPrefix("/") else { return path }
  let p = path.split(separator: "/").map(String.init)
  let d = directory.split(separator: "/").map(String.init)
  var common = 0
  while common < min(p.count, d.count) && p[common] == d[common] { common += 1 }
  if common == 0 { return path }
  let ups = Array(repeating: "..", count: d.count - common)
  let rel = (ups + p[common...]).joined(separator: "/")
  return rel.isEmpty ? "." : rel
}
