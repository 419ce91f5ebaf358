// CompactHeader: the model file's header in binary (container version 2, `set container=compact`),
// for budgets where the JSON header would outweigh the model: a 42-weight linear model's file is
// 500 bytes with its JSON header and 106 compact. The same data, losslessly: the family writers
// still produce their JSON text, which is parsed here (keeping each number's kind and digits)
// and written as tagged values; a reader turns it back into the same JSON text and parses it as
// before, so every family reads both versions with one code path. The model's name is left out
// (the loader names the model after its file) and lineage is written only when asked.
//
// A value is one tag byte, then:
//   0 null, 1 false, 2 true
//   3 integer: zigzag LEB128
//   4 float32: 4 bytes, little-endian (a number whose float32 prints as the same digits)
//   5 float64: 8 bytes, little-endian
//   6 string: LEB128 length, UTF-8 bytes
//   7 common string: one byte, its index in `strings`
//   8 array: LEB128 count, the values
//   9 object: LEB128 count, then per member a key (LEB128: an index in `keys`, or
//     keys.count + the length of a key spelled out, followed by its UTF-8 bytes) and its value
// The two tables only ever grow (at their ends), so every compact file stays readable.

import Foundation

public enum CompactHeader {
  static let keys = [
    "architecture", "kind", "storage", "input", "units", "rank", "dropout", "name", "lookback", "horizon", "scaler",
    "offset", "factor", "tensors", "lineage", "shape", "encoding", "sparse", "stored", "ridge", "loss", "norm",
    "weekday", "year", "k", "mode", "variant", "alpha", "beta", "season", "selection", "series", "models",
    "seasonality", "holidays", "outputs", "skip", "covariates", "ahead", "covariate_days", "layers",
  ]
  static let strings = [
    "lstm-dense", "linear-ar", "window-average", "croston", "ets", "theta", "float", "int8", "lowrank", "quantized",
    "rule", "per-series", "float32", "float16", "uint8Tensor", "int8Channel", "float64", "f32", "f16", "u8a", "i8c",
    "i8t", "i8", "none", "bitmask", "index", "minmax", "standard", "mse", "mae", "level", "days", "weekday", "classic",
    "sba", "tsb", "auto", "lstm/kernel", "lstm/recurrent_kernel", "lstm/bias", "dense/kernel", "dense/bias",
    "linear/kernel", "linear/bias", "lstm/A", "lstm/B", "gru-dense", "gru/kernel", "gru/recurrent_kernel", "gru/bias",
  ]

  /// A JSON value as the header's text has it: numbers keep whether they were written whole.
  indirect enum Value: Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double, text: String)
    case string(String)
    case array([Value])
    case object([(String, Value)])

    static func == (a: Value, b: Value) -> Bool { a.json == b.json }

    var json: String {
      switch self {
      case .null: return "null"
      case .bool(let b): return b ? "true" : "false"
      case .integer(let i): return String(i)
      case .number(_, let text): return text
      case .string(let s): return ModelFile.jsonString(s)
      case .array(let values): return "[" + values.map(\.json).joined(separator: ",") + "]"
      case .object(let members):
        return "{" + members.map { ModelFile.jsonString($0.0) + ":" + $0.1.json }.joined(separator: ",") + "}"
      }
    }
  }

  // MARK: JSON text -> Value (the writers' own JSON: no whitespace needed, but allowed)

  struct Parser {
    let bytes: [UInt8]
    var i = 0

    mutating func skipSpace() {
      while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
    }

    mutating func value() throws(ModelFileError) -> Value {
      skipSpace()
      guard i < bytes.count else { throw ModelFileError("header ends early") }
      switch bytes[i] {
      case UInt8(ascii: "{"):
        i += 1
        var members: [(String, Value)] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
          i += 1
          return .object(members)
        }
        while true {
          skipSpace()
          guard case .string(let key) = try value() else { throw ModelFileError("header key is not a string") }
          skipSpace()
          guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw ModelFileError("header lacks a ':'") }
          i += 1
          members.append((key, try value()))
          skipSpace()
          guard i < bytes.count else { throw ModelFileError("header ends early") }
          if bytes[i] == UInt8(ascii: ",") {
            i += 1
            continue
          }
          guard bytes[i] == UInt8(ascii: "}") else { throw ModelFileError("header lacks a '}'") }
          i += 1
          return .object(members)
        }
      case UInt8(ascii: "["):
        i += 1
        var values: [Value] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
          i += 1
          return .array(values)
        }
        while true {
          values.append(try value())
          skipSpace()
          guard i < bytes.count else { throw ModelFileError("header ends early") }
          if bytes[i] == UInt8(ascii: ",") {
            i += 1
            continue
          }
          guard bytes[i] == UInt8(ascii: "]") else { throw ModelFileError("header lacks a ']'") }
          i += 1
          return .array(values)
        }
      case UInt8(ascii: "\""):
        // The text up to the closing quote, escapes decoded by JSONSerialization (exact).
        let start = i
        i += 1
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
        guard i < bytes.count else { throw ModelFileError("header string is not closed") }
        i += 1
        let literal = Data(bytes[start..<i])
        guard let s = try? JSONSerialization.jsonObject(with: literal, options: .fragmentsAllowed) as? String else {
          throw ModelFileError("header string is not valid")
        }
        return .string(s)
      case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
        for (word, v) in [("true", Value.bool(true)), ("false", .bool(false)), ("null", .null)] {
          let w = Array(word.utf8)
          if i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w {
            i += w.count
            return v
          }
        }
        throw ModelFileError("header has an unknown word")
      default:
        let start = i
        while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if let n = Int(text) { return .integer(n) }
        guard let d = Double(text) else { throw ModelFileError("header number '\(text)' is not valid") }
        return .number(d, text: text)
      }
    }
  }

  // MARK: Value -> bytes -> Value

  public static func encode(json: String) throws(ModelFileError) -> [UInt8] {
    var parser = Parser(bytes: Array(json.utf8))
    let v = try parser.value()
    var out: [UInt8] = []
    write(v, into: &out)
    return out
  }

  static func leb(_ n: UInt64, into out: inout [UInt8]) {
    var n = n
    repeat {
      var byte = UInt8(n & 0x7F)
      n >>= 7
      if n != 0 { byte |= 0x80 }
      out.append(byte)
    } while n != 0
  }

  static func write(_ v: Value, into out: inout [UInt8]) {
    switch v {
    case .null: out.append(0)
    case .bool(let b): out.append(b ? 2 : 1)
    case .integer(let i):
      out.append(3)
      leb(UInt64(bitPattern: Int64((i << 1) ^ (i >> 63))), into: &out)
    case .number(let d, let text):
      if Float(d).description == text {
        out.append(4)
        ModelFile.appendLE(&out, Float(d).bitPattern)
      } else {
        out.append(5)
        ModelFile.appendLE(&out, d.bitPattern)
      }
    case .string(let s):
      if let k = strings.firstIndex(of: s) {
        out.append(7)
        out.append(UInt8(k))
      } else {
        out.append(6)
        leb(UInt64(s.utf8.count), into: &out)
        out += Array(s.utf8)
      }
    case .array(let values):
      out.append(8)
      leb(UInt64(values.count), into: &out)
      for value in values { write(value, into: &out) }
    case .object(let members):
      out.append(9)
      leb(UInt64(members.count), into: &out)
      for (key, value) in members {
        if let k = keys.firstIndex(of: key) {
          leb(UInt64(k), into: &out)
        } else {
          leb(UInt64(keys.count + key.utf8.count), into: &out)
          out += Array(key.utf8)
        }
        write(value, into: &out)
      }
    }
  }

  /// The JSON text of a compact header.
  public static func decode(_ bytes: ArraySlice<UInt8>) throws(ModelFileError) -> String {
    var reader = Reader(bytes: Array(bytes))
    let v = try reader.value(depth: 0)
    guard reader.i == reader.bytes.count else { throw ModelFileError("header has bytes after its end") }
    return v.json
  }

  struct Reader {
    let bytes: [UInt8]
    var i = 0

    mutating func byte() throws(ModelFileError) -> UInt8 {
      guard i < bytes.count else { throw ModelFileError("header ends early") }
      i += 1
      return bytes[i - 1]
    }

    mutating func leb() throws(ModelFileError) -> UInt64 {
      var n: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        let b = try byte()
        guard shift < 64 else { throw ModelFileError("header number is too long") }
        n |= UInt64(b & 0x7F) << shift
        if b & 0x80 == 0 { return n }
        shift += 7
      }
    }

    mutating func count() throws(ModelFileError) -> Int {
      let n = try leb()
      guard n <= UInt64(bytes.count - i) else { throw ModelFileError("header count \(n) runs past its end") }
      return Int(n)
    }

    mutating func raw(_ n: Int) throws(ModelFileError) -> [UInt8] {
      guard n <= bytes.count - i else { throw ModelFileError("header ends early") }
      i += n
      return Array(bytes[(i - n)..<i])
    }

    mutating func value(depth: Int) throws(ModelFileError) -> Value {
      guard depth < 16 else { throw ModelFileError("header is nested too deeply") }
      switch try byte() {
      case 0: return .null
      case 1: return .bool(false)
      case 2: return .bool(true)
      case 3:
        let z = try leb()
        return .integer(Int(Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))))
      case 4:
        let f = Float(bitPattern: ModelFile.readLE(try raw(4), 0, UInt32.self))
        guard f.isFinite else { throw ModelFileError("header number is not finite") }
        return .number(Double(f), text: f.description)
      case 5:
        let d = Double(bitPattern: ModelFile.readLE(try raw(8), 0, UInt64.self))
        guard d.isFinite else { throw ModelFileError("header number is not finite") }
        return .number(d, text: d.description)
      case 6:
        return .string(String(decoding: try raw(try count()), as: UTF8.self))
      case 7:
        let k = Int(try byte())
        guard k < strings.count else { throw ModelFileError("header names unknown string \(k)") }
        return .string(strings[k])
      case 8:
        let n = try count()
        var values: [Value] = []
        for _ in 0..<n { values.append(try value(depth: depth + 1)) }
        return .array(values)
      case 9:
        let n = try count()
        var members: [(String, Value)] = []
        for _ in 0..<n {
          let code = try leb()
          guard code < UInt64(keys.count + bytes.count) else { throw ModelFileError("header key \(code) is not valid") }
          let k = Int(code)
          let key = k < keys.count ? keys[k] : String(decoding: try raw(k - keys.count), as: UTF8.self)
          members.append((key, try value(depth: depth + 1)))
        }
        return .object(members)
      case let tag: throw ModelFileError("header has an unknown tag \(tag)")
      }
    }
  }
}
