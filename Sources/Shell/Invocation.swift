// Invocation: a parsed command line with typed getters. Every getter records the value it
// resolved (the user's or the default), so the recorder can write the command back in
// canonical form with every option explicit.

import Foundation
import Workbench

public struct OptionSpec: Sendable {
  /// An on/off option, off by default.
  public static func flag(_ key: String, _ help: String) -> OptionSpec {
    OptionSpec(key, "off", help, values: ["off", "on"])
  }
  /// `overwrite=on`: the option of every command that writes a file.
  public static let overwrite = flag(
    "overwrite", "replace the file if it exists (a replayed session never does otherwise)")

  public var key: String
  public var defaultValue: String  // parsed exactly as user input would be; "" = no default
  public var help: String
  public var values: [String]?  // a fixed set, for validation, help and completion
  public var isPath: Bool
  public init(_ key: String, _ defaultValue: String, _ help: String, values: [String]? = nil, isPath: Bool = false) {
    self.key = key
    self.defaultValue = defaultValue
    self.help = help
    self.values = values
    self.isPath = isPath
  }
}

public struct Invocation: Sendable {
  public var verb: String
  public var words: [Token]  // positional arguments after the verb
  public var options: [String: Token]
  public var asName: String?
  var specs: [OptionSpec]
  /// Options as resolved by getters, for the canonical form.
  public private(set) var resolved: [(key: String, value: RecordedValue)] = []
  private var consumed: Set<String> = []

  /// Splits tokens into verb, positional words, options and a trailing `as NAME`.
  public init(tokens: [Token], specs: [OptionSpec]) throws(CommandError) {
    precondition(!tokens.isEmpty, "Invocation needs a verb")
    verb = tokens[0].text
    self.specs = specs
    var rest = Array(tokens.dropFirst())
    if rest.count >= 2, rest[rest.count - 2].key == nil, !rest[rest.count - 2].quoted, rest[rest.count - 2].text == "as"
    {
      let name = rest[rest.count - 1]
      guard name.key == nil, Self.isValidName(name.text) else {
        throw CommandError(
          "'\(name.key.map { "\($0)=" } ?? "")\(name.text)' is not a valid name",
          hint: "names use letters, digits, _ and -, and start with a letter", column: name.column)
      }
      asName = name.text
      rest.removeLast(2)
    }
    words = []
    options = [:]
    for t in rest {
      if let k = t.key {
        guard options[k] == nil else { throw CommandError("option '\(k)' is given twice", column: t.column) }
        options[k] = t
      } else {
        if t.text == "as" && !t.quoted {
          throw CommandError("'as' must be followed by one name at the end of the line", column: t.column)
        }
        words.append(t)
      }
    }
  }

  public static func isValidName(_ s: String) -> Bool {
    guard let first = s.first, first.isLetter, s.count <= 64 else { return false }
    return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }
  }

  // MARK: - Getters

  mutating func raw(_ key: String) throws(CommandError) -> (text: String, column: Int?, spec: OptionSpec) {
    guard let spec = specs.first(where: { $0.key == key }) else {
      preconditionFailure("command \(verb) reads undeclared option \(key)")
    }
    consumed.insert(key)
    if let t = options[key] { return (t.text, t.column, spec) }
    guard !spec.defaultValue.isEmpty else {
      throw CommandError("\(verb) needs \(key)=…", hint: spec.help)
    }
    return (spec.defaultValue, nil, spec)
  }

  mutating func record(_ key: String, _ text: String, isPath: Bool = false) {
    resolved.removeAll { $0.key == key }
    resolved.append((key, RecordedValue(text, isPath: isPath)))
  }

  public mutating func int(_ key: String, in range: ClosedRange<Int>) throws(CommandError) -> Int {
    let (text, column, _) = try raw(key)
    guard let v = Int(text) else { throw CommandError("\(key)=\(text) is not a whole number", column: column) }
    guard range.contains(v) else {
      throw CommandError(
        "\(key)=\(v) is out of range", hint: "\(key) must be between \(range.lowerBound) and \(range.upperBound)",
        column: column)
    }
    record(key, String(v))
    return v
  }

  /// A number; `open` bounds exclude the end points.
  public mutating func double(_ key: String, min: Double, max: Double, openMin: Bool = false, openMax: Bool = false)
    throws(CommandError) -> Double
  {
    let (text, column, _) = try raw(key)
    guard let v = Double(text), v.isFinite else { throw CommandError("\(key)=\(text) is not a number", column: column) }
    let okMin = openMin ? v > min : v >= min
    let okMax = openMax ? v < max : v <= max
    guard okMin && okMax else {
      let lo = openMin ? "(" : "["
      let hi = openMax ? ")" : "]"
      throw CommandError(
        "\(key)=\(text) is out of range",
        hint: "\(key) must be in \(lo)\(formatNumber(min)), \(formatNumber(max))\(hi)", column: column)
    }
    record(key, formatNumber(v))
    return v
  }

  public mutating func choice(_ key: String) throws(CommandError) -> String {
    let (text, column, spec) = try raw(key)
    let allowed = spec.values ?? []
    guard allowed.contains(text) else {
      let guess = suggestion(for: text, among: allowed).map { "did you mean '\($0)'? " } ?? ""
      throw CommandError(
        "\(key)=\(text) is not one of \(allowed.joined(separator: ", "))", hint: "\(guess)try 'help \(verb)'",
        column: column)
    }
    record(key, text)
    return text
  }

  /// An on/off option (declared with `OptionSpec.flag`).
  public mutating func flag(_ key: String) throws(CommandError) -> Bool {
    try choice(key) == "on"
  }

  public mutating func string(_ key: String) throws(CommandError) -> String {
    let (text, _, spec) = try raw(key)
    record(key, text, isPath: spec.isPath)
    return text
  }

  /// An optional option with no default: nil when absent (nothing recorded).
  /// `key=a,b,c` as names (trimmed, lowercased, as a file's header is read); none when absent.
  public mutating func names(_ key: String) throws(CommandError) -> [String] {
    guard let text = optionalString(key) else { return [] }
    let list = text.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces).lowercased()
    }
    if list.contains("") { throw CommandError("\(key)=\(text) has an empty name", column: options[key]?.column) }
    return list
  }

  public mutating func optionalString(_ key: String) -> String? {
    consumed.insert(key)
    guard let t = options[key] else { return nil }
    let spec = specs.first { $0.key == key }
    record(key, t.text, isPath: spec?.isPath ?? false)
    return t.text
  }

  public mutating func selection(_ key: String) throws(CommandError) -> IDSelection {
    let (text, column, _) = try raw(key)
    do {
      let s = try IDSelection(parsing: text)
      record(key, s.description)
      return s
    } catch {
      throw CommandError("\(key)=\(text): \(error.message)", hint: error.hint, column: column)
    }
  }

  /// Rejects options no getter asked for (typos), with a did-you-mean.
  public func checkAllConsumed() throws(CommandError) {
    for (key, token) in options.sorted(by: { $0.value.column < $1.value.column }) where !consumed.contains(key) {
      let known = specs.map(\.key)
      if let guess = suggestion(for: key, among: known) {
        throw CommandError(
          "unknown option '\(key)' for \(verb)",
          hint: "did you mean "
            + "'\(guess)'?", column: token.column)
      }
      throw CommandError(
        "unknown option '\(key)' for \(verb)",
        hint: known.isEmpty ? "\(verb) takes no options" : "options: \(known.joined(separator: ", "))",
        column: token.column)
    }
  }

  /// The command in canonical form: `words` (default: as typed), every option the getters
  /// resolved (defaults included), then `as NAME`. For commands with no operation behind them.
  public func canonical(words: [RecordedValue]? = nil) -> RecordedCommand {
    RecordedCommand(verb, words: words ?? self.words.map { RecordedValue($0.text) }, options: resolved, asName: asName)
  }

  /// The positional word at `index`, or nil.
  public func word(_ index: Int) -> Token? { index < words.count ? words[index] : nil }

  public func requireWordCount(_ range: ClosedRange<Int>, usage: String) throws(CommandError) {
    if words.count > range.upperBound {
      throw CommandError(
        "unexpected '\(words[range.upperBound].text)'", hint: "usage: \(usage)", column: words[range.upperBound].column)
    }
    if words.count < range.lowerBound { throw CommandError("missing argument", hint: "usage: \(usage)") }
  }
}
