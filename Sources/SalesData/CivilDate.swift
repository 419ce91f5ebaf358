// CivilDate: proleptic Gregorian dates as day numbers (days since 1970-01-01), no Foundation.
// Algorithms from Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms".

public enum CivilDate {
  /// Day number of year-month-day, or nil if the date does not exist (2013-02-30).
  public static func dayNumber(year: Int, month: Int, day: Int) -> Int? {
    guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  public static func components(_ dayNumber: Int) -> (year: Int, month: Int, day: Int) {
    let z = dayNumber + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
  }

  /// 1 (January 1st) ... 366.
  public static func dayOfYear(_ dayNumber: Int) -> Int {
    let (y, _, _) = components(dayNumber)
    return dayNumber - self.dayNumber(year: y, month: 1, day: 1)! + 1
  }

  public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

  public static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: return isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday).
  public static func weekday(_ dayNumber: Int) -> Int { ((dayNumber % 7) + 7 + 3) % 7 }

  /// ISO text `YYYY-MM-DD`.
  public static func format(_ dayNumber: Int) -> String {
    let (y, m, d) = components(dayNumber)
    func pad(_ v: Int, _ w: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, w - s.count)) + s
    }
    return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
  }

  /// Parses `YYYY-MM-DD` exactly.
  public static func parse(_ text: Substring) -> Int? {
    let u = Array(text.utf8)
    guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return nil }
    func num(_ r: Range<Int>) -> Int? {
      var v = 0
      for i in r {
        let d = Int(u[i]) - 48
        guard d >= 0 && d <= 9 else { return nil }
        v = v * 10 + d
      }
      return v
    }
    guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10) else { return nil }
    return dayNumber(year: y, month: m, day: d)
  }
}
