// Holidays: a small CSV of dates a network may know in advance (`train ... holidays=FILE`).
// One date per line (YYYY-MM-DD) in the first column; other columns (a holiday's name) and an
// optional header line are ignored; blank lines are skipped. Duplicates collapse.

public enum Holidays {
  /// 1 when `day` is in `sorted` (day numbers in increasing order), else 0: a binary search, as
  /// the exported C's `NAME_is_holiday` does.
  @inline(__always) public static func flag(_ day: Int, in sorted: [Int]) -> Float {
    var lo = 0
    var hi = sorted.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if sorted[mid] < day { lo = mid + 1 } else { hi = mid }
    }
    return lo < sorted.count && sorted[lo] == day ? 1 : 0
  }

  /// The sorted, distinct day numbers of the dates in `bytes` (the text of `path`).
  public static func parse(bytes: [UInt8], path: String) throws(DataError) -> [Int] {
    let text = String(decoding: bytes, as: UTF8.self)
    var days = Set<Int>()
    // Lines end at \n, \r\n or \r (Swift keeps \r\n as one Character, a newline).
    for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let field = (line.split(separator: ",", omittingEmptySubsequences: false).first ?? "")
        .drop { $0 == " " || $0 == "\u{FEFF}" }
      let value = field.reversed().drop { $0 == " " }.reversed()
      if value.isEmpty { continue }
      let fieldText = Substring(String(value))
      if let day = CivilDate.parse(fieldText) {
        days.insert(day)
      } else if index == 0 && !fieldText.contains(where: \.isNumber) {
        continue  // a header such as "date" or "date,name"
      } else {
        throw DataError(
          "'\(fieldText)' is not a date", at: SourceLocation(path: path, line: index + 1),
          hint: "one date per line, YYYY-MM-DD, in the first column")
      }
    }
    guard !days.isEmpty else { throw DataError("\(path): holds no dates", hint: "one date per line, YYYY-MM-DD") }
    return days.sorted()
  }
}
