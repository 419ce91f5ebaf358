// SalesDataset: the selected store-item series, each verified daily and complete.

/// One store-item daily series. `values[d]` is the sales on day `startDay + d`.
public struct DailySeries: Sendable, Equatable {
  public var store: Int
  public var item: Int
  public var startDay: Int
  public var values: [Float]
  /// Days that were missing in the source and filled with zero (`gaps=zero`).
  public var filledDays: Int = 0
  /// `covariates[c][d]`: covariate c (the dataset's `covariateNames[c]`) on day `startDay + d`.
  public var covariates: [[Float]] = []
  /// Covariate values that were missing (an empty field, or a missing day) and filled.
  public var filledCovariates: Int = 0
  /// Rows added to a day already seen (`duplicates=sum`).
  public var summedRows: Int = 0
  /// The store's and item's names when the file names them (M5's CA_1), else nil.
  public var storeName: String?
  public var itemName: String?
  public init(
    store: Int, item: Int, startDay: Int, values: [Float], filledDays: Int = 0, covariates: [[Float]] = [],
    filledCovariates: Int = 0
  ) {
    self.store = store
    self.item = item
    self.startDay = startDay
    self.values = values
    self.filledDays = filledDays
    self.covariates = covariates
    self.filledCovariates = filledCovariates
  }
  public var label: String { "store \(storeName ?? String(store)) item \(itemName ?? String(item))" }
}

public enum GapPolicy: String, Sendable, CaseIterable { case error, zero }

/// A series too short for the windows: an error, or left out (with a note).
public enum ShortPolicy: String, Sendable, CaseIterable { case error, skip }

/// Two rows for one store, item and day: an error, or (transaction-level files) summed.
public enum DuplicatePolicy: String, Sendable, CaseIterable { case error, sum }

/// A loaded dataset: where it came from and its series, ordered by (store, item).
public struct SalesDataset: Sendable {
  public var source: String
  public var series: [DailySeries]
  /// The covariate columns each series carries, in order (empty: sales only).
  public var covariateNames: [String] = []
  public init(source: String, series: [DailySeries], covariateNames: [String] = []) {
    self.source = source
    self.series = series
    self.covariateNames = covariateNames
  }

  public var rowCount: Int { series.reduce(0) { $0 + $1.values.count } }
  /// The loaded stores' (items') numbers and names, when the file names them; else empty.
  public var storeNames: [(id: Int, name: String)] {
    Dictionary(series.compactMap { s in s.storeName.map { (s.store, $0) } }, uniquingKeysWith: { a, _ in a })
      .sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
  }
  public var itemNames: [(id: Int, name: String)] {
    Dictionary(series.compactMap { s in s.itemName.map { (s.item, $0) } }, uniquingKeysWith: { a, _ in a })
      .sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
  }
  public var firstDay: Int { series.map(\.startDay).min() ?? 0 }
  public var lastDay: Int { series.map { $0.startDay + $0.values.count - 1 }.max() ?? 0 }

  /// Builds series from rows: keeps the selected stores and items, orders each series by date,
  /// and checks that it is daily with no duplicates and (unless `gaps: .zero`) no missing day.
  /// A covariate that is missing (an empty field, or a day filled by `gaps: .zero`) takes the
  /// series' previous value (a price stays until it changes); before its first known value, that
  /// value; 0 when the series never has one.
  public static func assemble(
    _ table: SalesTable, stores: IDSelection, items: IDSelection,
    gaps: GapPolicy, duplicates: DuplicatePolicy = .error
  ) throws(DataError) -> SalesDataset {
    // Group row indices by (store, item), keeping only the selection.
    var groups: [Int64: [Int]] = [:]
    for r in 0..<table.count {
      let s = Int(table.store[r])
      let i = Int(table.item[r])
      guard stores.contains(s), items.contains(i) else { continue }
      groups[Int64(s) << 32 | Int64(i), default: []].append(r)
    }
    guard !groups.isEmpty else {
      throw DataError(
        "\(table.path): no rows match stores=\(stores) items=\(items)",
        hint:
          "the file has stores \(IDSelection(ids: table.store.map(Int.init))) and items "
          + "\(IDSelection(ids: table.item.map(Int.init)))"
      )
    }
    var series: [DailySeries] = []
    for key in groups.keys.sorted() {
      var rows = groups[key]!
      let store = Int(key >> 32)
      let item = Int(key & 0xFFFF_FFFF)
      let named =
        "store \(table.storeLabels?[store - 1] ?? String(store)) item \(table.itemLabels?[item - 1] ?? String(item))"
      // Kaggle's file is already in date order; sort only when it is not (stable by line).
      var sorted = true
      for k in 1..<max(rows.count, 1) where table.day[rows[k]] <= table.day[rows[k - 1]] {
        sorted = false
        break
      }
      if !sorted { rows.sort { (table.day[$0], table.line[$0]) < (table.day[$1], table.line[$1]) } }
      let start = Int(table.day[rows[0]])
      let end = Int(table.day[rows[rows.count - 1]])
      var values = [Float](repeating: 0, count: end - start + 1)
      var filled = 0
      var covariates = table.covariates.map { _ in [Float](repeating: .nan, count: end - start + 1) }
      var previous = start - 1
      var summed = 0
      for (k, r) in rows.enumerated() {
        let d = Int(table.day[r])
        if d == previous && duplicates == .sum {
          // Another sale of the day (a file of transactions): added; a covariate the row has
          // replaces the day's.
          values[d - start] += table.sales[r]
          for c in covariates.indices where !table.covariates[c][r].isNaN {
            covariates[c][d - start] = table.covariates[c][r]
          }
          summed += 1
          continue
        }
        if d == previous {
          throw DataError(
            "duplicate row for \(named) on \(CivilDate.format(d)) (also on line "
              + "\(table.line[rows[k - 1]]))",
            at: .init(path: table.path, line: Int(table.line[r])),
            hint: "a file of transactions loads with duplicates=sum, which adds a day's rows")
        }
        if d != previous + 1 {
          if gaps == .error {
            throw DataError(
              "\(named) has no row for "
                + "\(CivilDate.format(previous + 1))\(d - previous > 2 ? " to \(CivilDate.format(d - 1))" : "")",
              at: .init(path: table.path, line: Int(table.line[r])),
              hint: "add the missing days, or load with gaps=zero to count them as zero sales")
          }
          filled += d - previous - 1
        }
        values[d - start] = table.sales[r]
        for c in covariates.indices { covariates[c][d - start] = table.covariates[c][r] }
        previous = d
      }
      var filledCovariates = 0
      for c in covariates.indices { filledCovariates += fillMissing(&covariates[c]) }
      var one = DailySeries(
        store: store, item: item, startDay: start, values: values, filledDays: filled, covariates: covariates,
        filledCovariates: filledCovariates)
      one.summedRows = summed
      one.storeName = table.storeLabels?[store - 1]
      one.itemName = table.itemLabels?[item - 1]
      series.append(one)
    }
    return SalesDataset(source: table.path, series: series, covariateNames: table.covariateNames)
  }

  /// Replaces each NaN by the value before it (leading NaNs by the first value, all by 0) and
  /// returns how many it replaced.
  static func fillMissing(_ values: inout [Float]) -> Int {
    var filled = 0
    var last = values.first { !$0.isNaN } ?? 0
    for d in values.indices {
      if values[d].isNaN {
        values[d] = last
        filled += 1
      } else {
        last = values[d]
      }
    }
    return filled
  }
}
