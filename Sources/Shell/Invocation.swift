// Invocation: a parsed command line with typed getters. Every getter records the value it
// resolved (the user's or the default), so the recorder can write the command back in
// canonical form with every option explicit.

import Foundation
import SalesData

public struct OptionSpec: Sendable {
  public var key: String
  public var defaultValue: String     // parsed exactly as user input would be; "" = no default
  public var help: String
  public var values: [String]?        // a fixed set, for validation, help and completion
  public var isPath: Bool
  public init(_ key: String, _ defaultValue: String, _ help: String, values: [String]? = nil, isPath: Bool = false) {
    self.key = key; self.defaultValue = defaultValue; self.help = help; self.values = values; self.isPath = isPath
  }
}

/// A value as it will be written in a recorded session.
public struct RecordedValue: Sendable, Equatable {
  public var text: String
  public var isPath: Bool
}

public struct Invocation: Sendable {
  public var verb: String
  public var words: [Token]                 // positional arguments after the verb
  public var options: [String: Token]
  public var asName: String?
  var specs: [OptionSpec]
  /// Options as resolved by getters, for the canonical form.
  public private(set) var resolved: [(key: String, value: RecordedValue)] = []
  /// Positional arguments as they should be recorded.
  public var recordedWords: [RecordedValue] = []
  /// The name of what the command made, recorded as `as NAME` (defaults made explicit).
  public var resultName: String?
  private var consumed: Set<String> = []

  /// Splits tokens into verb, positional words, options and a trailing `as NAME`.
  public init(tokens: [Token], specs: [OptionSpec]) throws(ShellError) {
    precondition(!tokens.isEmpty, "Invocation needs a verb")
    verb = tokens[0].text
    self.specs = specs
    var rest = Array(tokens.dropFirst())
    if rest.count >= 2, rest[rest.count - 2].key == nil, !rest[rest.count - 2].quoted, rest[rest.count - 2].text == "as" {
      let name = rest[rest.count - 1]
      guard name.key == nil, Self.isValidName(name.text) else {
        throw ShellError("'\(name.key.map { "\($0)=" } ?? "")\(name.text)' is not a valid name", hint: "names use letters, digits, _ and -, and start with a letter", column: name.column)
      }
      asName = name.text
      rest.removeLast(2)
    }
    words = []
    options = [:]
    for t in rest {
      if let k = t.key {
        guard options[k] == nil else { throw ShellError("option '\(k)' is given twice", column: t.column) }
        options[k] = t
      } else {
        if t.text == "as" && !t.quoted { throw ShellError("'as' must be followed by one name at the end of the line", column: t.column) }
        words.append(t)
      }
    }
  }

  public static func isValidName(_ s: String) -> Bool {
    guard let first = s.first, first.isLetter, s.count <= 64 else { return false }
    return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }
  }

  // MARK: - Getters

  mutating func raw(_ key: String) throws(ShellError) -> (text: String, column: Int?, spec: OptionSpec) {
    guard let spec = specs.first(where: { $0.key == key }) else {
      preconditionFailure("command \(verb) reads undeclared option \(key)")
    }
    consumed.insert(key)
    if let t = options[key] { return (t.text, t.column, spec) }
    guard !spec.defaultValue.isEmpty else {
      throw ShellError("\(verb) needs \(key)=…", hint: spec.help)
    }
    return (spec.defaultValue, nil, spec)
  }

  mutating func record(_ key: String, _ text: String, isPath: Bool = false) {
    resolved.removeAll { $0.key == key }
    resolved.append((key, RecordedValue(text: text, isPath: isPath)))
  }

  public mutating func int(_ key: String, in range: ClosedRange<Int>) throws(ShellError) -> Int {
    let (text, column, _) = try raw(key)
    guard let v = Int(text) else { throw ShellError("\(key)=\(text) is not a whole number", column: column) }
    guard range.contains(v) else {
      throw ShellError("\(key)=\(v) is out of range", hint: "\(key) must be between \(range.lowerBound) and \(range.upperBound)", column: column)
    }
    record(key, String(v))
    return v
  }

  /// A number; `open` bounds exclude the end points.
  public mutating func double(_ key: String, min: Double, max: Double, openMin: Bool = false, openMax: Bool = false) throws(ShellError) -> Double {
    let (text, column, _) = try raw(key)
    guard let v = Double(text), v.isFinite else { throw ShellError("\(key)=\(text) is not a number", column: column) }
    let okMin = openMin ? v > min : v >= min, okMax = openMax ? v < max : v <= max
    guard okMin && okMax else {
      let lo = openMin ? "(" : "[", hi = openMax ? ")" : "]"
      throw ShellError("\(key)=\(text) is out of range", hint: "\(key) must be in \(lo)\(formatNumber(min)), \(formatNumber(max))\(hi)", column: column)
    }
    record(key, formatNumber(v))
    return v
  }

  public mutating func choice(_ key: String) throws(ShellError) -> String {
    let (text, column, spec) = try raw(key)
    let allowed = spec.values ?? []
    guard allowed.contains(text) else {
      let guess = suggestion(for: text, among: allowed).map { "did you mean '\($0)'? " } ?? ""
      throw ShellError("\(key)=\(text) is not one of \(allowed.joined(separator: ", "))", hint: "\(guess)try 'help \(verb)'", column: column)
    }
    record(key, text)
    return text
  }

  public mutating func string(_ key: String) throws(ShellError) -> String {
    let (text, _, spec) = try raw(key)
    record(key, text, isPath: spec.isPath)
    return text
  }

  /// An optional option with no default: nil when absent (nothing recorded).
  public mutating func optionalString(_ key: String) -> String? {
    consumed.insert(key)
    guard let t = options[key] else { return nil }
    let spec = specs.first { $0.key == key }
    record(key, t.text, isPath: spec?.isPath ?? false)
    return t.text
  }

  public mutating func selection(_ key: String) throws(ShellError) -> IDSelection {
    let (text, column, _) = try raw(key)
    do {
      let s = try IDSelection(parsing: text)
      record(key, s.description)
      return s
    } catch {
      throw ShellError("\(key)=\(text): \(error.message)", hint: error.hint, column: column)
    }
  }

  /// Rejects options no getter asked for (typos), with a did-you-mean.
  public func checkAllConsumed() throws(ShellError) {
    for (key, token) in options.sorted(by: { $0.value.column < $1.value.column }) where !consumed.contains(key) {
      let known = specs.map(\.key)
      if let guess = suggestion(for: key, among: known) {
        throw ShellError("unknown option '\(key)' for \(verb)", hint: "did you mean '\(guess)'?", column: token.column)
      }
      throw ShellError("unknown option '\(key)' for \(verb)",
                       hint: known.isEmpty ? "\(verb) takes no options" : "options: \(known.joined(separator: ", "))", column: token.column)
    }
  }

  /// The command in canonical form: every option explicit, sorted, then `as NAME`.
  public func canonical(asName name: String? = nil) -> RecordedCommand {
    let words = recordedWords.isEmpty ? self.words.map { RecordedValue(text: $0.text, isPath: false) } : recordedWords
    return RecordedCommand(verb: verb, words: words, options: resolved, asName: name ?? resultName ?? asName)
  }

  /// The positional word at `index`, or nil.
  public func word(_ index: Int) -> Token? { index < words.count ? words[index] : nil }

  public func requireWordCount(_ range: ClosedRange<Int>, usage: String) throws(ShellError) {
    if words.count > range.upperBound {
      throw ShellError("unexpected '\(words[range.upperBound].text)'", hint: "usage: \(usage)", column: words[range.upperBound].column)
    }
    if words.count < range.lowerBound { throw ShellError("missing argument", hint: "usage: \(usage)") }
  }
}

/// Shortest text that reads back as the same Double ("0.2", "50", "1e-05").
public func formatNumber(_ v: Double) -> String {
  if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
  return "\(v)"
}

/// A number in a `#=>` result line: 6 significant digits.
public func resultNumber(_ v: Double) -> String { String(format: "%.6g", v) }
