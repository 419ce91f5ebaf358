// DataError: what goes wrong with user data, always with the place it went wrong.

/// A place in a user's file: `path:line:column` (column optional, 1-based).
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
  public var path: String
  public var line: Int
  public var column: Int?
  public init(path: String, line: Int, column: Int? = nil) {
    self.path = path
    self.line = line
    self.column = column
  }
  public var description: String {
    if let column { return "\(path):\(line):\(column)" }
    return "\(path):\(line)"
  }
}

/// An error in input data. Prints as one line: `path:line:col: message (hint)`.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
  public var location: SourceLocation?
  public var message: String
  public var hint: String?
  public init(_ message: String, at location: SourceLocation? = nil, hint: String? = nil) {
    self.message = message
    self.location = location
    self.hint = hint
  }
  public var description: String {
    var s = location.map { "\($0): " } ?? ""
    s += message
    if let hint { s += " (\(hint))" }
    return s
  }
}
