// CommandError: every failure a user can cause, printed as one line with a hint where useful.
// The shell adds the place (`file:line:column:`).

import Artifacts
import SalesData

public struct CommandError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public var hint: String?
  /// 1-based column in the command line, when the error is about one token.
  public var column: Int?
  public init(_ message: String, hint: String? = nil, column: Int? = nil) {
    self.message = message
    self.hint = hint
    self.column = column
  }
  public var description: String { hint.map { "\(message) (\($0))" } ?? message }

  /// Wraps errors thrown by lower layers so they print the same way.
  public static func from(_ error: any Error) -> CommandError {
    switch error {
    case let e as CommandError: return e
    case let e as DataError: return CommandError(e.description)
    case let e as ModelFileError: return CommandError(e.description)
    default: return CommandError("\(error)")
    }
  }
}

/// Edit distance counting a swap of neighbours as one edit (optimal string alignment), for
/// did-you-mean suggestions: "trian" is one edit from "train".
public func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a)
  let b = Array(b)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
  for i in 0...a.count { d[i][0] = i }
  for j in 0...b.count { d[0][j] = j }
  for i in 1...a.count {
    for j in 1...b.count {
      d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
    }
  }
  return d[a.count][b.count]
}

/// The closest candidate within a small edit distance (or a unique prefix match).
public func suggestion(for word: String, among candidates: [String]) -> String? {
  let prefixed = candidates.filter { $0.hasPrefix(word) || word.hasPrefix($0) }
  if prefixed.count == 1 { return prefixed[0] }
  let scored = candidates.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= max(1, word.count / 3) }
  return scored.min { $0.1 < $1.1 }?.0
}
