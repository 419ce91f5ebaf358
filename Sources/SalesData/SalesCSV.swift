// SalesCSV: reads the long `date,store,item,sales` format (Kaggle's Store Item Demand file) fast,
// one pass over the bytes, and reports every malformed row as `path:line:column: what`.

import Foundation

/// Daily sales rows in columnar form (913,000 rows take about 16 MB).
public struct SalesTable: Sendable {
  public var day: [Int32] = []  // day number (days since 1970-01-01)
  public var store: [Int32] = []
  public var item: [Int32] = []
  public var sales: [Float] = []
  public var line: [Int32] = []  // 1-based line in the source, for error messages
  public var path: String
  public var count: Int { day.count }
  public init(path: String) { self.path = path }

  public mutating func append(day: Int, store: Int, item: Int, sales: Float, line: Int) {
    self.day.append(Int32(day))
    self.store.append(Int32(store))
    self.item.append(Int32(item))
    self.sales.append(sales)
    self.line.append(Int32(line))
  }
}

public enum SalesCSV {
  public static let requiredColumns = ["date", "store", "item", "sales"]

  /// Reads a file from disk. `displayPath` is what error messages call it.
  public static func read(path: String, displayPath: String? = nil) throws(DataError) -> SalesTable {
    let shown = displayPath ?? path
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
      throw DataError(
        "\(shown): no such file",
        hint: "check the path; relative paths start at the session file's folder (in the shell, the current folder)")
    }
    guard !isDir.boolValue else { throw DataError("\(shown): is a folder, not a CSV file") }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DataError("\(shown): cannot be read", hint: "check its permissions")
    }
    return try parse(bytes: [UInt8](data), path: shown)
  }

  /// Parses CSV text. The header names the columns (any order, extra columns ignored); every
  /// data row must have the header's number of fields.
  public static func parse(bytes: [UInt8], path: String) throws(DataError) -> SalesTable {
    var table = SalesTable(path: path)
    let result: Result<Void, DataError> = bytes.withUnsafeBufferPointer { buf in
      do throws(DataError) {
        try parse(buf, into: &table)
        return .success(())
      } catch { return .failure(error) }
    }
    try result.get()
    return table
  }

  private static func parse(_ buf: UnsafeBufferPointer<UInt8>, into table: inout SalesTable) throws(DataError) {
    let path = table.path
    let n = buf.count
    let comma = UInt8(ascii: ",")
    let newline = UInt8(ascii: "\n")
    let cr = UInt8(ascii: "\r")
    var pos = 0
    // Skip a UTF-8 byte order mark.
    if n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { pos = 3 }

    // Header.
    var headerEnd = pos
    while headerEnd < n && buf[headerEnd] != newline { headerEnd += 1 }
    var headerText = String(decoding: UnsafeBufferPointer(rebasing: buf[pos..<headerEnd]), as: UTF8.self)
    if headerText.hasSuffix("\r") { headerText.removeLast() }
    guard !headerText.isEmpty || headerEnd < n else {
      throw DataError("empty file, expected a header line date,store,item,sales", at: .init(path: path, line: 1))
    }
    let names = headerText.split(separator: ",", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    var columnOf: [String: Int] = [:]
    for (i, name) in names.enumerated() where columnOf[name] == nil { columnOf[name] = i }
    let missing = requiredColumns.filter { columnOf[$0] == nil }
    guard missing.isEmpty else {
      throw DataError(
        "header has no column \(missing.map { "'\($0)'" }.joined(separator: ", "))",
        at: .init(path: path, line: 1, column: 1),
        hint: "expected a header like date,store,item,sales; found '\(headerText)'")
    }
    let fieldCount = names.count
    let cDate = columnOf["date"]!
    let cStore = columnOf["store"]!
    let cItem = columnOf["item"]!
    let cSales = columnOf["sales"]!
    pos = headerEnd + 1
    var line = 1
    let estimatedRows = n / 20
    table.day.reserveCapacity(estimatedRows)
    table.store.reserveCapacity(estimatedRows)
    table.item.reserveCapacity(estimatedRows)
    table.sales.reserveCapacity(estimatedRows)
    table.line.reserveCapacity(estimatedRows)

    // Field boundaries of the current row, reused.
    var starts = [Int](repeating: 0, count: fieldCount)
    var ends = [Int](repeating: 0, count: fieldCount)

    // Every bad row is reported at once (the first 20 in full), not one per attempt.
    var problems: [DataError] = []
    var problemCount = 0
    func problem(_ e: DataError) {
      problemCount += 1
      if problems.count < 20 { problems.append(e) }
    }
    rows: while pos < n {
      line += 1
      var end = pos
      while end < n && buf[end] != newline { end += 1 }
      var rowEnd = end
      if rowEnd > pos && buf[rowEnd - 1] == cr { rowEnd -= 1 }
      defer { pos = end + 1 }
      if rowEnd == pos { continue }  // blank line

      // Split into fields.
      var field = 0
      starts[0] = pos
      var i = pos
      var tooMany = false
      while i < rowEnd {
        if buf[i] == comma {
          if field + 1 >= fieldCount {
            tooMany = true
            break
          }
          ends[field] = i
          field += 1
          starts[field] = i + 1
        }
        i += 1
      }
      if tooMany || field + 1 != fieldCount {
        var found = 1
        for j in pos..<rowEnd where buf[j] == comma { found += 1 }
        problem(
          DataError(
            "expected \(fieldCount) fields, found \(found)", at: .init(path: path, line: line, column: 1),
            hint: "the header has \(fieldCount) columns: \(names.joined(separator: ","))"))
        continue rows
      }
      ends[field] = rowEnd

      func text(_ c: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buf[starts[c]..<ends[c]]), as: UTF8.self)
      }
      func where_(_ c: Int) -> SourceLocation { .init(path: path, line: line, column: starts[c] - pos + 1) }

      // date
      guard let day = parseDate(buf, starts[cDate], ends[cDate]) else {
        problem(DataError("date '\(text(cDate))' is not a valid YYYY-MM-DD date", at: where_(cDate)))
        continue rows
      }
      guard let store = parseID(buf, starts[cStore], ends[cStore]) else {
        problem(DataError("store '\(text(cStore))' is not a whole number", at: where_(cStore)))
        continue rows
      }
      guard let item = parseID(buf, starts[cItem], ends[cItem]) else {
        problem(DataError("item '\(text(cItem))' is not a whole number", at: where_(cItem)))
        continue rows
      }
      let salesValue: Double
      if let v = parseDecimal(buf, starts[cSales], ends[cSales]) {
        salesValue = v
      } else {
        let raw = text(cSales).trimmingCharacters(in: .whitespaces)
        guard let v = Double(raw) else {
          problem(DataError("sales '\(raw)' is not a number", at: where_(cSales)))
          continue rows
        }
        salesValue = v
      }
      guard salesValue.isFinite else {
        problem(DataError("sales '\(text(cSales))' is not a finite number", at: where_(cSales)))
        continue rows
      }
      guard salesValue >= 0 else {
        problem(DataError("sales \(text(cSales)) is negative", at: where_(cSales), hint: "sales are unit counts"))
        continue rows
      }
      table.append(day: day, store: store, item: item, sales: Float(salesValue), line: line)
    }
    if var first = problems.first {
      // One line: the first problem in full, then where the others are.
      if problemCount > 1 {
        let others = problems.dropFirst().map { "line \($0.location!.line): \($0.message)" }
        let beyond = problemCount - problems.count
        first.hint =
          (first.hint.map { $0 + "; " } ?? "") + "\(problemCount - 1) more: " + others.joined(separator: "; ")
          + (beyond > 0 ? "; and \(beyond) more" : "")
      }
      throw first
    }
    if table.count == 0 { throw DataError("no data rows after the header", at: .init(path: path, line: 1)) }
  }

  @inline(__always)
  static func parseDate(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int? {
    guard e - s == 10, b[s + 4] == 45, b[s + 7] == 45 else { return nil }
    func digits(_ from: Int, _ to: Int) -> Int? {
      var v = 0
      for i in from..<to {
        let d = Int(b[i]) &- 48
        guard d >= 0 && d <= 9 else { return nil }
        v = v * 10 + d
      }
      return v
    }
    guard let y = digits(s, s + 4), let m = digits(s + 5, s + 7), let d = digits(s + 8, s + 10) else { return nil }
    return CivilDate.dayNumber(year: y, month: m, day: d)
  }

  @inline(__always)
  static func parseID(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int? {
    guard e > s, e - s <= 9 else { return nil }
    var v = 0
    for i in s..<e {
      let d = Int(b[i]) &- 48
      guard d >= 0 && d <= 9 else { return nil }
      v = v * 10 + d
    }
    return v
  }

  /// Plain decimals `123` or `12.5`; anything else (exponents, signs, spaces) falls back to
  /// `Double(String)` in the caller.
  @inline(__always)
  static func parseDecimal(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Double? {
    guard e > s, e - s <= 15 else { return nil }
    var intPart = 0
    var frac = 0
    var fracDigits = 0
    var seenDot = false
    for i in s..<e {
      let c = b[i]
      if c == 46 {
        if seenDot { return nil }
        seenDot = true
        continue
      }
      let d = Int(c) &- 48
      guard d >= 0 && d <= 9 else { return nil }
      if seenDot {
        frac = frac * 10 + d
        fracDigits += 1
      } else {
        intPart = intPart * 10 + d
      }
    }
    if !seenDot { return Double(intPart) }
    guard fracDigits > 0 || e - s > 1 else { return nil }
    var scale = 1.0
    for _ in 0..<fracDigits { scale *= 10 }
    return Double(intPart) + Double(frac) / scale
  }
}
