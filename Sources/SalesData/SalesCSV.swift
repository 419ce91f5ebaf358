// SalesCSV: reads the long `date,store,item,sales` format (Kaggle's Store Item Demand file) fast,
// one pass over the bytes, and reports every malformed row as `path:line:column: what`.
//
// Files exported elsewhere are read as they come: semicolon- or tab-separated (with decimal
// commas then), fields in double quotes (RFC 4180: holding the delimiter, doubled quotes or a
// line break), sales of 1,234 (thousands), NA or empty sales (a missing day), dates with a time,
// and dates as spreadsheets write them (1/31/2015 or 31.01.2015: the file's own dates tell
// which number is the day, see `DateOrder`).
// Other files name their columns otherwise (`day,shop,sku,units`): `CSVColumns` says which
// header column plays each part, and a file of one store (or one item) has no such column at
// all. Further columns may be read as covariates (a promotion flag, a price): numbers, or
// true/false and yes/no for flags; an empty field is a missing value, filled when the series is
// assembled (SalesDataset).

import Foundation

/// Daily sales rows in columnar form (913,000 rows take about 16 MB).
public struct SalesTable: Sendable {
  public var day: [Int32] = []  // day number (days since 1970-01-01)
  public var store: [Int32] = []
  public var item: [Int32] = []
  public var sales: [Float] = []
  public var line: [Int32] = []  // 1-based line in the source, for error messages
  /// The covariate columns read, as the header names them (lowercased).
  public var covariateNames: [String] = []
  /// `covariates[c][r]`: covariate c of row r; NaN where the field was empty.
  public var covariates: [[Float]] = []
  /// The stores' (items') names when the file names them rather than numbers them: store k is
  /// `storeLabels[k - 1]`.
  public var storeLabels: [String]?
  public var itemLabels: [String]?
  /// Negative sales read as zero (`negatives=zero`).
  public var zeroedNegatives = 0
  /// Rows left out for want of a sales figure (`NA`, empty; with `gaps: .zero`).
  public var missingSales = 0
  /// The order of the day, month and year in the file's dates as read (`.ymd`: ISO dates).
  public var dateOrder = DateOrder.ymd
  /// Which columns were found under other names ("units as sales", "no store column: one store").
  public var columnNotes: [String] = []
  /// The columns that played each part, after looking for them under other names.
  public var columns = CSVColumns.standard
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

/// A negative sale (a return): an error, or counted as no sale.
public enum NegativePolicy: String, Sendable, CaseIterable { case error, zero }

/// How dates that are not ISO (`YYYY-MM-DD`) are read. ISO dates (and `YYYYMMDD`) are read in
/// any order; `1/2/2015` is 2 January with `.mdy` (US spreadsheets) and 1 February with `.dmy`
/// (most of the rest of the world, often with dots: `01.02.2015`). `.auto` lets the file say:
/// a daily series of two weeks or more has a day past the 12th, which only one order allows.
/// A two-digit year is 2000-2068 for 00-68 and 1969-1999 for 69-99 (as POSIX's %y reads it).
public enum DateOrder: String, Sendable, CaseIterable {
  case auto, ymd, mdy, dmy

  /// How the order is written for people.
  public var pattern: String {
    switch self {
    case .auto: "YYYY-MM-DD, M/D/YYYY or D/M/YYYY"
    case .ymd: "YYYY-MM-DD"
    case .mdy: "M/D/YYYY"
    case .dmy: "D/M/YYYY"
    }
  }
}

/// Which header column plays each part. `store` or `item` nil: the file has no such column and
/// every row belongs to store (item) 1.
public struct CSVColumns: Sendable, Equatable {
  public var date = "date"
  public var store: String? = "store"
  public var item: String? = "item"
  public var sales = "sales"
  /// Further columns to read as covariates, in this order.
  public var covariates: [String] = []
  public init() {}

  /// Kaggle's layout: date,store,item,sales.
  public static let standard = CSVColumns()
  public var isStandard: Bool { self == .standard }

  /// What other files call each part, tried in this order when the header lacks the part's
  /// default name and the user named no column for it.
  public static let aliases: [String: [String]] = [
    "date": ["day", "ds", "datetime", "timestamp", "time", "order_date", "sale_date", "sales_date"],
    "store": [
      "store_id", "store_nbr", "store_no", "storeid", "shop", "shop_id", "location", "location_id", "loc", "site",
      "branch", "outlet",
    ],
    "item": [
      "item_id", "item_nbr", "item_no", "itemid", "sku", "sku_id", "product", "product_id", "productid", "article",
      "upc",
    ],
    "sales": [
      "units", "unit_sales", "units_sold", "sales_qty", "quantity", "qty", "demand", "sold", "volume", "y", "target",
    ],
  ]

  /// The column playing part `role` ("date", "store", "item" or "sales"); nil: the file has none.
  subscript(role role: String) -> String? {
    get {
      switch role {
      case "date": date
      case "store": store
      case "item": item
      default: sales
      }
    }
    set {
      switch role {
      case "date": date = newValue ?? date
      case "store": store = newValue
      case "item": item = newValue
      default: sales = newValue ?? sales
      }
    }
  }

  /// Each part's column, named as its option is (`date=`, `store=`, ...), for messages.
  var roles: [(role: String, column: String)] {
    [("date", date)] + (store.map { [("store", $0)] } ?? []) + (item.map { [("item", $0)] } ?? [])
      + [("sales", sales)]
  }
}

public enum SalesCSV {
  /// Reads a file from disk. `displayPath` is what error messages call it.
  /// `gaps: .zero` also leaves out a row whose sales are missing (`NA`, empty), so that its day
  /// is filled as a missing day is; else such a row is an error.
  public static func read(
    path: String, displayPath: String? = nil, columns: CSVColumns = .standard, negatives: NegativePolicy = .error,
    dateOrder: DateOrder = .auto, gaps: GapPolicy = .error
  ) throws(DataError) -> SalesTable {
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
    return try parse(
      bytes: [UInt8](data), path: shown, columns: columns, negatives: negatives, dateOrder: dateOrder, gaps: gaps)
  }

  /// Parses CSV text. The header names the columns (any order, extra columns ignored); every
  /// data row must have the header's number of fields.
  public static func parse(
    bytes: [UInt8], path: String, columns: CSVColumns = .standard, negatives: NegativePolicy = .error,
    dateOrder: DateOrder = .auto, gaps: GapPolicy = .error
  ) throws(DataError) -> SalesTable {
    var table = SalesTable(path: path)
    let result: Result<Void, DataError> = bytes.withUnsafeBufferPointer { buf in
      do throws(DataError) {
        try parse(buf, columns: columns, negatives: negatives, dateOrder: dateOrder, gaps: gaps, into: &table)
        return .success(())
      } catch { return .failure(error) }
    }
    try result.get()
    return table
  }

  private static func parse(
    _ buf: UnsafeBufferPointer<UInt8>, columns: CSVColumns, negatives: NegativePolicy, dateOrder: DateOrder,
    gaps: GapPolicy, into table: inout SalesTable
  ) throws(DataError) {
    let path = table.path
    let n = buf.count
    let newline = UInt8(ascii: "\n")
    let cr = UInt8(ascii: "\r")
    let quote = UInt8(ascii: "\"")
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
    // The delimiter is the header's: commas, or semicolons or tabs (spreadsheets' exports in
    // much of Europe, where a decimal comma then goes with them).
    let delimiterCharacter: Character = [",", ";", "\t"].max { a, b in
      headerText.filter { $0 == a }.count < headerText.filter { $0 == b }.count
    }!
    let delimiter = delimiterCharacter.asciiValue!
    let decimalComma = delimiterCharacter != ","
    let names = headerText.split(separator: delimiterCharacter, omittingEmptySubsequences: false)
      .map { unquoted($0.trimmingCharacters(in: .whitespaces)).lowercased() }
    var columnOf: [String: Int] = [:]
    for (i, name) in names.enumerated() where columnOf[name] == nil { columnOf[name] = i }
    let covariateNames = columns.covariates.map { $0.lowercased() }
    let columns = try resolve(columns, header: names, headerText: headerText, path: path, notes: &table.columnNotes)
    let roles = columns.roles.map { (role: $0.role, column: $0.column.lowercased()) }
    let missing = roles.filter { columnOf[$0.column] == nil }
    guard missing.isEmpty else {
      let expected = roles.map(\.column).joined(separator: ",")
      let renamed =
        columns.isStandard
        ? "; a file that names them otherwise loads with date=, store=, item=, sales= naming its columns "
          + "(store=none for a file of one store)"
        : ""
      throw DataError(
        "header has no column \(missing.map { "'\($0.column)'" }.joined(separator: ", "))",
        at: .init(path: path, line: 1, column: 1),
        hint: "expected a header like \(expected); found '\(headerText)'\(renamed)")
    }
    if let absent = covariateNames.first(where: { columnOf[$0] == nil }) {
      throw DataError(
        "header has no column '\(absent)' for the covariates", at: .init(path: path, line: 1, column: 1),
        hint: "the header has \(names.joined(separator: ","))")
    }
    let used = roles.map(\.column) + covariateNames
    if let twice = used.first(where: { name in used.filter { $0 == name }.count > 1 }) {
      throw DataError(
        "column '\(twice)' is asked to play two parts", at: .init(path: path, line: 1, column: 1),
        hint: "date, store, item, sales and each covariate need a column of their own")
    }
    let fieldCount = names.count
    let cDate = columnOf[columns.date.lowercased()]!
    let cStore = columns.store.map { columnOf[$0.lowercased()]! }
    let cItem = columns.item.map { columnOf[$0.lowercased()]! }
    let cSales = columnOf[columns.sales.lowercased()]!
    let cCovariates = covariateNames.map { columnOf[$0]! }
    table.columns = columns
    table.columns.covariates = covariateNames
    table.covariateNames = covariateNames
    table.covariates = covariateNames.map { _ in [] }
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

    var storeIDs = IDColumn()
    var itemIDs = IDColumn()
    // Every bad row is reported at once (the first 20 in full), not one per attempt.
    var problems: [DataError] = []
    var problemCount = 0
    func problem(_ e: DataError) {
      problemCount += 1
      if problems.count < 20 { problems.append(e) }
    }
    // Dates such as 1/2/2015 while the order is still unknown: their rows take day 0 until the
    // whole file has been read and its dates have said which number is the day.
    var undecided: [UndecidedDate] = []
    rows: while pos < n {
      line += 1
      var end = pos
      while end < n && buf[end] != newline { end += 1 }
      var rowEnd = end
      if rowEnd > pos && buf[rowEnd - 1] == cr { rowEnd -= 1 }
      // Line breaks inside a quoted field: the row goes on past them, and so do the lines.
      var linesWithin = 0
      defer {
        pos = end + 1
        line += linesWithin
      }
      if rowEnd == pos { continue }  // blank line

      // Split into fields at each delimiter, unless the row has a double quote (then below).
      var field = 0
      starts[0] = pos
      var i = pos
      var tooMany = false
      var quoted = false
      while i < rowEnd {
        let c = buf[i]
        if c == delimiter {
          if field + 1 >= fieldCount {
            tooMany = true
            break
          }
          ends[field] = i
          field += 1
          starts[field] = i + 1
        } else if c == quote {
          quoted = true
          break
        }
        i += 1
      }
      var found = field + 1
      if quoted {
        // Fields in double quotes, as RFC 4180 writes them: a product's description may hold the
        // delimiter ("Milk, 1L"), doubled quotes and line breaks.
        let row = splitQuoted(buf, from: pos, delimiter: delimiter, starts: &starts, ends: &ends)
        end = row.end
        linesWithin = row.lines
        if let open = row.unclosedQuote {
          problem(
            DataError(
              "a double quote opens a field that is never closed",
              at: .init(path: path, line: line, column: open - pos + 1),
              hint: "a quote inside a quoted field is written twice (\"\"); the rest of the file was read as that field"
            ))
          continue rows
        }
        found = row.fields
        tooMany = found > fieldCount
      } else if tooMany {
        found = 1
        for j in pos..<rowEnd where buf[j] == delimiter { found += 1 }
      } else {
        ends[field] = rowEnd
      }
      if tooMany || found != fieldCount {
        problem(
          DataError(
            "expected \(fieldCount) fields, found \(found)", at: .init(path: path, line: line, column: 1),
            hint: "the header has \(fieldCount) columns: \(names.joined(separator: String(delimiterCharacter)))"))
        continue rows
      }

      func text(_ c: Int) -> String { fieldText(buf, starts[c], ends[c]) }
      func where_(_ c: Int) -> SourceLocation { .init(path: path, line: line, column: starts[c] - pos + 1) }

      // date
      var day = 0
      var undecidedDate: UndecidedDate?
      if let iso = parseDate(buf, starts[cDate], ends[cDate]) ?? parseYearFirstDate(buf, starts[cDate], ends[cDate]) {
        day = iso
      } else if dateOrder != .ymd, let parts = parseNumericDate(buf, starts[cDate], ends[cDate]),
        parts.first <= 12 || parts.second <= 12
      {
        if dateOrder == .auto {
          undecidedDate = UndecidedDate(
            row: table.count, line: line, column: starts[cDate] - pos + 1, start: starts[cDate], end: ends[cDate],
            parts: parts)
        } else if let d = parts.dayNumber(dateOrder) {
          day = d
        } else {
          problem(DataError("date '\(text(cDate))' is not a valid \(dateOrder.pattern) date", at: where_(cDate)))
          continue rows
        }
      } else {
        let isoShaped = looksISO(buf, starts[cDate], ends[cDate])
        problem(
          DataError(
            "date '\(text(cDate))' is not a valid \(isoShaped ? DateOrder.ymd.pattern : dateOrder.pattern) date",
            at: where_(cDate)))
        continue rows
      }
      var store = 1
      if let cStore {
        guard let id = storeIDs.id(buf, starts[cStore], ends[cStore]) else {
          problem(DataError("store '\(text(cStore))' is not a whole number", at: where_(cStore), hint: IDColumn.hint))
          continue rows
        }
        store = id
      }
      var item = 1
      if let cItem {
        guard let id = itemIDs.id(buf, starts[cItem], ends[cItem]) else {
          problem(DataError("item '\(text(cItem))' is not a whole number", at: where_(cItem), hint: IDColumn.hint))
          continue rows
        }
        item = id
      }
      let salesValue: Double
      if let v = parseDecimal(buf, starts[cSales], ends[cSales], decimalComma: decimalComma) {
        salesValue = v
      } else {
        let raw = text(cSales).trimmingCharacters(in: .whitespaces)
        if Self.missingMarkers.contains(raw.lowercased()) {
          // No figure for the day: a missing day, as a day without a row is.
          guard gaps == .zero else {
            problem(
              DataError(
                raw.isEmpty ? "sales field is empty" : "sales '\(raw)' is a missing value", at: where_(cSales),
                hint: "a day without a sales figure is a missing day: gaps=zero counts it as no sale"))
            continue rows
          }
          table.missingSales += 1
          continue rows
        }
        guard
          let v = Double(decimalComma ? raw.replacingOccurrences(of: ",", with: ".") : raw)
            ?? (decimalComma ? nil : withThousandsSeparators(raw))
        else {
          problem(DataError("sales '\(raw)' is not a number", at: where_(cSales)))
          continue rows
        }
        salesValue = v
      }
      guard salesValue.isFinite else {
        problem(DataError("sales '\(text(cSales))' is not a finite number", at: where_(cSales)))
        continue rows
      }
      var sold = salesValue
      if sold < 0 {
        guard negatives == .zero else {
          problem(
            DataError(
              "sales \(text(cSales)) is negative", at: where_(cSales),
              hint: "sales are unit counts; a file with returns loads with negatives=zero"))
          continue rows
        }
        sold = 0
        table.zeroedNegatives += 1
      }
      // Covariates: all of a row's, or none (a bad one rejects the row).
      var values: [Float] = []
      for (k, c) in cCovariates.enumerated() {
        guard let v = covariate(buf, starts[c], ends[c], decimalComma: decimalComma) else {
          let raw = text(c).trimmingCharacters(in: .whitespaces)
          problem(
            DataError(
              "\(covariateNames[k]) '\(raw)' is not a \(Double(raw) == nil ? "number" : "finite number")",
              at: where_(c),
              hint: "a covariate is a number, true/false or yes/no, or empty when unknown"))
          continue rows
        }
        values.append(v)
      }
      for k in values.indices { table.covariates[k].append(values[k]) }
      if let undecidedDate { undecided.append(undecidedDate) }
      table.append(day: day, store: store, item: item, sales: Float(sold), line: line)
    }
    if dateOrder != .auto && dateOrder != .ymd { table.dateOrder = dateOrder }
    if !undecided.isEmpty {
      decideDates(undecided, buf, path: path, into: &table, problem: problem)
      // The dates' problems come after the rows': each is reported at its own line.
      problems.sort { ($0.location?.line ?? 0) < ($1.location?.line ?? 0) }
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
    // Named stores and items become numbers in the order of their names.
    table.storeLabels = storeIDs.renumber(&table.store)
    table.itemLabels = itemIDs.renumber(&table.item)
  }

  /// `text` without a surrounding pair of double quotes.
  static func unquoted(_ text: String) -> String {
    text.count >= 2 && text.hasPrefix("\"") && text.hasSuffix("\"") ? String(text.dropFirst().dropLast()) : text
  }

  /// A store or item column: whole numbers, or (when its first row is not one) names, such as
  /// M5's `CA_1` or `FOODS_3_090`, numbered 1, 2, ... in the order of the names once read.
  struct IDColumn {
    /// nil until the first row; then whether the column holds names.
    var named: Bool?
    var provisional: [String: Int] = [:]
    var names: [String] = []

    static let hint = "the column's first row has a whole number, so every row needs one"

    mutating func id(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int? {
      if named == nil { named = SalesCSV.parseID(b, s, e) == nil }
      guard named == true else { return SalesCSV.parseID(b, s, e) }
      let name = SalesCSV.fieldText(b, s, e).trimmingCharacters(in: .whitespaces)
      if let id = provisional[name] { return id }
      names.append(name)
      provisional[name] = names.count
      return names.count
    }

    /// For a column of names: rewrites `ids` from the order first seen to the order of the names
    /// (numbers within them compared as numbers: CA_2 before CA_10) and returns the names, the
    /// name of id k at k - 1. nil for a column of numbers.
    func renumber(_ ids: inout [Int32]) -> [String]? {
      guard named == true else { return nil }
      let sorted = names.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
      var final = [Int32](repeating: 0, count: names.count + 1)
      for (k, name) in sorted.enumerated() { final[provisional[name]!] = Int32(k + 1) }
      for r in ids.indices { ids[r] = final[Int(ids[r])] }
      return sorted
    }
  }

  /// `columns` with each part the header lacks under its default name found among its aliases
  /// (one of them, or an error naming the candidates), and a store or item column that the file
  /// has under no name left out (one store, one item). What was found is said in `notes`.
  static func resolve(
    _ columns: CSVColumns, header names: [String], headerText: String, path: String, notes: inout [String]
  ) throws(DataError) -> CSVColumns {
    var out = columns
    let standard = CSVColumns.standard
    var taken = Set(columns.roles.map { $0.column.lowercased() } + columns.covariates.map { $0.lowercased() })
    for role in ["date", "store", "item", "sales"] {
      let current = out[role: role]
      let defaultName = standard[role: role]
      // Only a part left at its default name is looked for under other names.
      guard let name = current, name.lowercased() == defaultName, !names.contains(name.lowercased()) else { continue }
      let found = (CSVColumns.aliases[role] ?? []).filter { names.contains($0) && !taken.contains($0) }
      if found.count > 1 {
        throw DataError(
          "header has no column '\(role)', and \(found.map { "'\($0)'" }.joined(separator: " and ")) could each be it",
          at: .init(path: path, line: 1, column: 1), hint: "say which with \(role)=COLUMN")
      }
      guard let column = found.first else {
        if role == "store" || role == "item" {
          // A file of one store (or one item) need not say so.
          out[role: role] = nil
          notes.append("no \(role) column: one \(role)")
        }
        continue
      }
      taken.insert(column)
      out[role: role] = column
      notes.append("\(column) as \(role)")
    }
    return out
  }

  /// A covariate's field: a finite number, true/false or yes/no (1/0), or NaN when empty; nil
  /// when it is none of these.
  static func covariate(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, decimalComma: Bool = false) -> Float? {
    if let v = parseDecimal(b, s, e, decimalComma: decimalComma) { return Float(v) }
    var raw = String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self)
      .trimmingCharacters(in: .whitespaces)
    if decimalComma { raw = raw.replacingOccurrences(of: ",", with: ".") }
    switch raw.lowercased() {
    case "": return .nan
    case "true", "yes": return 1
    case "false", "no": return 0
    default:
      guard let v = Double(raw), v.isFinite, Float(v).isFinite else { return nil }
      return Float(v)
    }
  }

  /// `YYYY-MM-DD` (or `YYYY/MM/DD`), optionally followed by a time after a space or a `T`
  /// (`2013-01-01 00:00:00`, as exports of timestamps write a day), which is not read.
  @inline(__always)
  static func parseDate(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int? {
    guard e - s >= 10, b[s + 4] == 45 || b[s + 4] == 47, b[s + 7] == b[s + 4] else { return nil }
    guard e - s == 10 || b[s + 10] == 32 || b[s + 10] == 84 else { return nil }
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

  /// Where a row of quoted fields ends, its fields (their count, and the first `starts.count`
  /// of them inside their quotes), and the line breaks inside it; or where a quote opened that
  /// the file never closes. A field is quoted when it starts with `"`; inside, `""` is a quote
  /// and the delimiter and line breaks are text. A quote elsewhere is text (`12" pizza`).
  static func splitQuoted(
    _ b: UnsafeBufferPointer<UInt8>, from pos: Int, delimiter: UInt8, starts: inout [Int], ends: inout [Int]
  ) -> (end: Int, fields: Int, lines: Int, unclosedQuote: Int?) {
    let (quote, newline, cr) = (UInt8(ascii: "\""), UInt8(ascii: "\n"), UInt8(ascii: "\r"))
    let n = b.count
    var i = pos
    var fields = 0
    var lines = 0
    while true {
      var s = i
      var e: Int
      if i < n && b[i] == quote {
        let opening = i
        i += 1
        while i < n && !(b[i] == quote && (i + 1 == n || b[i + 1] != quote)) {
          if b[i] == quote { i += 1 }  // the first of a doubled quote
          if b[i] == newline { lines += 1 }
          i += 1
        }
        guard i < n else { return (n, fields + 1, lines, opening) }
        e = i
        s = opening + 1
        i += 1
        // Text after the closing quote makes the whole field text, quotes and all.
        let afterQuote = i
        while i < n && b[i] != delimiter && b[i] != newline { i += 1 }
        if i > afterQuote && !(i == afterQuote + 1 && b[afterQuote] == cr) {
          s = opening
          e = i
        }
      } else {
        while i < n && b[i] != delimiter && b[i] != newline { i += 1 }
        e = i
        if e > s && b[e - 1] == cr && (i == n || b[i] == newline) { e -= 1 }  // CRLF
      }
      if fields < starts.count {
        starts[fields] = s
        ends[fields] = e
      }
      fields += 1
      guard i < n && b[i] == delimiter else { return (i, fields, lines, nil) }
      i += 1
    }
  }

  /// What exports write for a value they do not have (R's NA, SQL's NULL, pandas' empty field).
  /// Not NaN: a computed NaN is a bug upstream, and says so.
  static let missingMarkers: Set<String> = ["", "na", "n/a", "null", "none", "#n/a"]

  /// `1,234` or `-12,345.5`: a number with commas between its thousands, as US spreadsheets
  /// export a formatted one (quoted, in a comma-separated file). nil for anything else.
  static func withThousandsSeparators(_ raw: String) -> Double? {
    let unsigned = raw.hasPrefix("-") ? raw.dropFirst() : Substring(raw)
    let whole = unsigned.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)[0]
    let groups = whole.split(separator: ",", omittingEmptySubsequences: false)
    guard groups.count > 1, (1...3).contains(groups[0].count),
      groups.dropFirst().allSatisfy({ $0.count == 3 }),
      groups.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } })
    else { return nil }
    return Double(raw.replacingOccurrences(of: ",", with: ""))
  }

  /// A field's text, a doubled quote read as one.
  static func fieldText(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> String {
    let text = String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self)
    return text.contains("\"\"") ? text.replacingOccurrences(of: "\"\"", with: "\"") : text
  }

  /// A year-first date not in ISO's exact form: `YYYYMMDD`, or `YYYY-M-D` without the zeros
  /// (`/` or `.` also between), optionally followed by a time after a space or a `T`.
  static func parseYearFirstDate(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int? {
    var i = s
    let compact = digits(b, &i, e, most: 8)
    if compact.count == 8 && (i == e || b[i] == 32 || b[i] == 84) {
      let v = compact.value
      return CivilDate.dayNumber(year: v / 10_000, month: v / 100 % 100, day: v % 100)
    }
    guard let (year, month, day) = threeNumbers(b, s, e, most: (4, 2, 2)), year.count == 4 else { return nil }
    return CivilDate.dayNumber(year: year.value, month: month.value, day: day.value)
  }

  /// `M/D/YYYY` or `D/M/YYYY`: one or two digits, `/`, `.` or `-`, one or two digits, the same
  /// separator, a year of four digits or two, optionally a time after a space or a `T`.
  static func parseNumericDate(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> DateParts? {
    guard let (first, second, year) = threeNumbers(b, s, e, most: (2, 2, 4)), year.count == 4 || year.count == 2,
      first.value > 0 && second.value > 0  // else neither a day nor a month
    else { return nil }
    return DateParts(
      first: first.value, second: second.value,
      year: year.count == 4 ? year.value : year.value < 69 ? 2000 + year.value : 1900 + year.value)
  }

  /// A number read, and how many digits it had.
  typealias Digits = (value: Int, count: Int)
  typealias DateNumbers = (Digits, Digits, Digits)

  /// Three numbers of at most `most` digits each with one separator (`-`, `/` or `.`) twice
  /// between them, then the end or a time after a space or a `T`.
  static func threeNumbers(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, most: (Int, Int, Int)) -> DateNumbers? {
    var i = s
    let first = digits(b, &i, e, most: most.0)
    guard first.count > 0, i < e, b[i] == 45 || b[i] == 47 || b[i] == 46 else { return nil }
    let separator = b[i]
    i += 1
    let second = digits(b, &i, e, most: most.1)
    guard second.count > 0, i < e, b[i] == separator else { return nil }
    i += 1
    let third = digits(b, &i, e, most: most.2)
    guard third.count > 0, i == e || b[i] == 32 || b[i] == 84 else { return nil }
    return (first, second, third)
  }

  /// The decimal digits from `i` on, at most `most` of them; `i` is left after them.
  @inline(__always)
  static func digits(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ e: Int, most: Int) -> (value: Int, count: Int) {
    var value = 0
    var count = 0
    while i < e && count < most {
      let d = Int(b[i]) &- 48
      guard d >= 0 && d <= 9 else { break }
      value = value * 10 + d
      count += 1
      i += 1
    }
    return (value, count)
  }

  /// Text that starts as an ISO date does (four digits, then `-` or `/`): a bad one is reported
  /// as a bad `YYYY-MM-DD` date.
  static func looksISO(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
    var i = s
    return digits(b, &i, e, most: 4).count == 4 && i < e && (b[i] == 45 || b[i] == 47)
  }

  /// Settles the order of the file's `undecided` dates (1/2/2015) by the file's own dates: a
  /// number past 12 can only be the day. Fills their rows' day numbers, or reports why not: the
  /// dates disagree, or none of them tells (then `dateorder=` must).
  private static func decideDates(
    _ undecided: [UndecidedDate], _ buf: UnsafeBufferPointer<UInt8>, path: String, into table: inout SalesTable,
    problem: (DataError) -> Void
  ) {
    func text(_ u: UndecidedDate) -> String {
      String(decoding: UnsafeBufferPointer(rebasing: buf[u.start..<(u.start + Int(u.length))]), as: UTF8.self)
    }
    func location(_ u: UndecidedDate) -> SourceLocation {
      .init(path: path, line: Int(u.line), column: Int(u.column))
    }
    let dayFirst = undecided.first { $0.parts.first > 12 }
    let monthFirst = undecided.first { $0.parts.second > 12 }
    let order: DateOrder
    switch (dayFirst, monthFirst) {
    case (let d?, let m?):
      let (earlier, later) = d.line < m.line ? (d, m) : (m, d)
      func puts(_ u: UndecidedDate) -> String { u.parts.first > 12 ? "the day" : "the month" }
      problem(
        DataError(
          "date '\(text(later))' puts \(puts(later)) first, but line \(earlier.line)'s '\(text(earlier))' puts "
            + "\(puts(earlier)) first", at: location(later),
          hint: "the dates of one file share one order; load with dateorder=mdy (month first) or dateorder=dmy "
            + "(day first) to read them so, and the others are reported"))
      return
    case (nil, nil):
      // Dates such as 1/1/2015 read the same either way; the first that does not is reported.
      guard let u = undecided.first(where: { $0.first != $0.second }) else {
        order = .mdy
        break
      }
      problem(
        DataError(
          "date '\(text(u))' could be \(CivilDate.format(u.parts.dayNumber(.mdy)!)) (month first) or "
            + "\(CivilDate.format(u.parts.dayNumber(.dmy)!)) (day first)", at: location(u),
          hint: "no date in the file has a number past 12 to tell which is the day; load with dateorder=mdy or "
            + "dateorder=dmy"))
      return
    case (_?, nil): order = .dmy
    case (nil, _?): order = .mdy
    }
    table.dateOrder = order
    for u in undecided {
      if let day = u.parts.dayNumber(order) {
        table.day[Int(u.row)] = Int32(day)
      } else {
        problem(DataError("date '\(text(u))' is not a valid \(order.pattern) date", at: location(u)))
      }
    }
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
  static func parseDecimal(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, decimalComma: Bool = false) -> Double? {
    guard e > s, e - s <= 15 else { return nil }
    var intPart = 0
    var frac = 0
    var fracDigits = 0
    var seenDot = false
    for i in s..<e {
      let c = b[i]
      if c == 46 || (decimalComma && c == 44) {
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

/// A date's two leading numbers and its year, before the order says which is the day.
struct DateParts {
  var first: Int
  var second: Int
  var year: Int

  /// The day number in `order` (`.mdy` or `.dmy`), or nil if there is no such date.
  func dayNumber(_ order: DateOrder) -> Int? {
    switch order {
    case .mdy: CivilDate.dayNumber(year: year, month: first, day: second)
    case .dmy: CivilDate.dayNumber(year: year, month: second, day: first)
    case .auto, .ymd: nil
    }
  }
}

/// A row's date read before its order was known, and where it stands for a message (32 bytes:
/// a file of a million such rows keeps 32 MB of them while it is read).
struct UndecidedDate {
  var start: Int
  var row: Int32
  var line: Int32
  var column: Int32
  var length: UInt16
  var first: UInt8
  var second: UInt8
  var year: Int16

  init(row: Int, line: Int, column: Int, start: Int, end: Int, parts: DateParts) {
    self.start = start
    self.row = Int32(row)
    self.line = Int32(line)
    self.column = Int32(column)
    self.length = UInt16(min(end - start, Int(UInt16.max)))
    // At most two digits each, and four for the year.
    self.first = UInt8(parts.first)
    self.second = UInt8(parts.second)
    self.year = Int16(parts.year)
  }

  var parts: DateParts { DateParts(first: Int(first), second: Int(second), year: Int(year)) }
}
