// IDSelection: which stores or items to keep, written as lists and ranges ("1-5", "1,3,7-9", "all").

public struct IDSelection: Sendable, Equatable, CustomStringConvertible {
  /// Sorted, distinct ids; nil means every id.
  public let ids: [Int]?

  public static let all = IDSelection(ids: nil)
  public init(ids: [Int]?) { self.ids = ids.map { Array(Set($0)).sorted() } }

  /// Parses `all`, `N`, `A-B` and comma lists of those.
  public init(parsing text: String) throws(DataError) {
    if text == "all" {
      self.init(ids: nil)
      return
    }
    var out: [Int] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
      guard bounds.count == 1 || bounds.count == 2,
        let lo = Int(bounds[0]), let hi = Int(bounds.last!), lo >= 0, lo <= hi, hi - lo < 1_000_000
      else {
        throw DataError("'\(text)' is not a selection", hint: "write ids and ranges like 1-5 or 1,3,7-9, or all")
      }
      out.append(contentsOf: lo...hi)
    }
    self.init(ids: out)
  }

  public func contains(_ id: Int) -> Bool {
    guard let ids else { return true }
    var lo = 0
    var hi = ids.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if ids[mid] < id { lo = mid + 1 } else { hi = mid }
    }
    return lo < ids.count && ids[lo] == id
  }

  /// Canonical text: ranges collapsed, e.g. "1-5,7".
  public var description: String {
    guard let ids, !ids.isEmpty else { return "all" }
    var parts: [String] = []
    var start = ids[0]
    var prev = ids[0]
    for id in ids.dropFirst() + [Int.min] {
      if id == prev + 1 {
        prev = id
        continue
      }
      parts.append(start == prev ? "\(start)" : "\(start)-\(prev)")
      start = id
      prev = id
    }
    return parts.joined(separator: ",")
  }
}
