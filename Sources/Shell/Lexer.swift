// Lexer: one command line -> tokens. Words, "quoted strings" (with \" and \\), key=value
// (the value may be quoted), and a # comment to the end of the line.

import Foundation
import Workbench

public struct Token: Sendable, Equatable {
  public var text: String  // the word, the unquoted string, or the value of key=value
  public var key: String?  // set for key=value
  public var quoted: Bool
  public var column: Int  // 1-based column where the token starts
  public init(text: String, key: String? = nil, quoted: Bool = false, column: Int) {
    self.text = text
    self.key = key
    self.quoted = quoted
    self.column = column
  }
}

public enum Lexer {
  public static func tokenize(_ line: String) throws(CommandError) -> [Token] {
    let chars = Array(line)
    var tokens: [Token] = []
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == " " || c == "\t" || c == "\r" {
        i += 1
        continue
      }
      if c == "#" { break }
      let start = i
      var text = ""
      var key: String?
      var quoted = false
      while i < chars.count && chars[i] != " " && chars[i] != "\t" && chars[i] != "\r" {
        let ch = chars[i]
        if ch == "\"" {
          quoted = true
          i += 1
          var closed = false
          while i < chars.count {
            if chars[i] == "\\" && i + 1 < chars.count && (chars[i + 1] == "\"" || chars[i + 1] == "\\") {
              text.append(chars[i + 1])
              i += 2
              continue
            }
            if chars[i] == "\"" {
              closed = true
              i += 1
              break
            }
            text.append(chars[i])
            i += 1
          }
          if !closed {
            throw CommandError(
              "unbalanced quote", hint: "close the string that starts at column \(start + 1) with \"", column: start + 1
            )
          }
          continue
        }
        if ch == "=" && key == nil && !quoted {
          guard !text.isEmpty else {
            throw CommandError("'=' without an option name", hint: "write key=value", column: i + 1)
          }
          key = text
          text = ""
          i += 1
          continue
        }
        text.append(ch)
        i += 1
      }
      if let k = key, text.isEmpty && !quoted {
        throw CommandError("option '\(k)=' has no value", hint: "write \(k)=VALUE", column: start + 1)
      }
      tokens.append(Token(text: text, key: key, quoted: quoted, column: start + 1))
    }
    return tokens
  }

  /// Quotes a word for a session file when it would not read back as one word.
  public static func quoteIfNeeded(_ s: String) -> String { Workbench.quoteIfNeeded(s) }
}
