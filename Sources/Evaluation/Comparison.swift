// Comparison: one row per model (and per baseline), rendered as a terminal table, Markdown, CSV
// or JSON. The JSON fields are DESIGN.md's contract.

import Foundation

public struct ComparisonRow: Sendable, Equatable {
  public var name: String
  public var method: String  // "lstm", "baseline", later "pruned", "int8", ...
  public var units: Int?
  public var parameters: Int?
  public var nonzero: Int?
  public var bytes: Int?  // size of the exported .tcm artifact
  public var articleKB: Double?  // parameters x bytes per value / 1024, the article's way
  public var metrics: ReplicaMetrics
  public var compression: Double?  // baseline bytes / bytes
  public var deltaMAPE: Double?  // percentage points vs the reference model
  public var latencyMicroseconds: Double?
  /// The exported C library's figures: constant bytes (flash for the weights), stack bytes,
  /// multiply-accumulates and estimated nanojoules per forecast.
  public var flashBytes: Int?
  public var ramBytes: Int?
  public var macs: Int?
  public var energyNanojoules: Double?
  /// The dataset the row was scored on, the model family ("lstm", "linear", "baseline") and how
  /// many test targets it was scored on.
  public var dataset: String?
  public var kind: String?
  public var testTargets: Int?
  /// The change of the headline metric against the reference row.
  public var delta: Double?
  public init(
    name: String, method: String, units: Int? = nil, parameters: Int? = nil, nonzero: Int? = nil,
    bytes: Int? = nil, articleKB: Double? = nil, metrics: ReplicaMetrics
  ) {
    self.name = name
    self.method = method
    self.units = units
    self.parameters = parameters
    self.nonzero = nonzero
    self.bytes = bytes
    self.articleKB = articleKB
    self.metrics = metrics
  }
}

public struct Comparison: Sendable {
  public var rows: [ComparisonRow]
  public var reference: String
  /// The metric the ranking is about (`set metric=`); its delta is shown beside MAPE's.
  public var headline: HeadlineMetric

  /// Fills compression and the deltas (MAPE's and the headline's) against the row `reference`.
  public init(rows: [ComparisonRow], reference: String, headline: HeadlineMetric = .mape) {
    self.reference = reference
    self.headline = headline
    let ref = rows.first { $0.name == reference }
    self.rows = rows.map { row in
      var r = row
      if let refBytes = ref?.bytes, let b = row.bytes, b > 0 { r.compression = Double(refBytes) / Double(b) }
      if let refMape = ref?.metrics.mape { r.deltaMAPE = row.metrics.mape - refMape }
      if let ref { r.delta = headline.of(row.metrics) - headline.of(ref.metrics) }
      return r
    }
  }

  // MARK: - Rendering

  static let headers = [
    "model", "method", "units", "params", "nonzero", "bytes", "KB*", "MAPE", "+/-", "sMAPE", "MAE", "RMSE", "runs",
    "ratio", "dMAPE",
  ]

  func cells(_ r: ComparisonRow) -> [String] {
    [
      r.name, r.method, r.units.map(String.init) ?? "-", r.parameters.map(String.init) ?? "-",
      r.nonzero.map(String.init) ?? "-", r.bytes.map(String.init) ?? "-",
      r.articleKB.map { fixed($0, 2) } ?? "-",
      fixed(r.metrics.mape, 2), r.metrics.runs.count > 1 ? fixed(r.metrics.mapeStd, 2) : "-",
      fixed(r.metrics.smape, 2), fixed(r.metrics.mae, 3), fixed(r.metrics.rmse, 3), "\(r.metrics.runs.count)",
      r.compression.map { fixed($0, 2) + "x" } ?? "-",
      r.deltaMAPE.map { ($0 >= 0 ? "+" : "") + fixed($0, 2) } ?? "-",
    ]
  }

  /// A fixed-width table: a header line, a rule, the rows; the first two columns (names)
  /// left-aligned, the numbers right-aligned.
  static func columns(_ headers: [String], _ body: [[String]]) -> [String] {
    var widths = headers.map(\.count)
    for row in body { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
    func line(_ cs: [String]) -> String {
      cs.enumerated().map { i, c in
        i < 2
          ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
          : String(repeating: " ", count: widths[i] - c.count) + c
      }.joined(separator: "  ")
    }
    return [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + body.map(line)
  }

  /// The narrow table a small terminal gets: model, method, bytes, the headline metric with its
  /// spread, ratio and delta (`compare wide`, or a file, has every column).
  public func renderNarrow() -> String {
    let digits = headline == .mase || headline == .rmsse ? 4 : 2
    let label = headline.label
    let headers = ["model", "method", "bytes", label, "+/-", "ratio", "d\(label)"]
    let body = rows.map { r -> [String] in
      let spread = r.metrics.runs.count > 1 ? fixed(headline.spread(r.metrics), digits) : "-"
      return [
        r.name, r.method, r.bytes.map(String.init) ?? "-", fixed(headline.of(r.metrics), digits), spread,
        r.compression.map { fixed($0, 2) + "x" } ?? "-", r.delta.map { signed($0, digits) } ?? "-",
      ]
    }
    var out = Self.columns(headers, body)
    out.append(
      "\(label) over \(rows.first?.metrics.count ?? 0) test \(targetWord)"
        + "\(rows.first?.dataset.map { " of \($0)" } ?? ""); "
        + "bytes = exported .tcm file; ratio and d\(label) vs \(reference); 'compare wide' shows every column")
    out += renderByStep()
    return out.joined(separator: "\n")
  }

  /// Days per forecast of the compared rows (they share their test targets, so their days).
  public var steps: Int { rows.first?.metrics.steps ?? 1 }

  /// "windows" for one-day forecasts, "targets" when each window forecasts several days.
  var targetWord: String { steps > 1 ? "targets (\(steps) days per window)" : "windows" }

  /// The day-by-day MAPE of multi-day forecasts: a second table, one column per day ahead (the
  /// average is the main table's MAPE). Nothing for one-day forecasts.
  func renderByStep() -> [String] {
    guard steps > 1 else { return [] }
    let headers = ["model"] + (1...steps).map { "day \($0)" }
    let body = rows.map { r in [r.name] + r.metrics.mapeByStep.map { fixed($0, 2) } }
    var out = [""]
    out += Self.columns(headers, body)
    out.append(
      "MAPE by day ahead (day 1 = the first day forecast); each day over \(rows[0].metrics.count / steps) targets")
    return out
  }

  /// Fixed-width text table for the terminal.
  public func renderText() -> String {
    // Another headline adds its own column and delta at the end.
    var headers = Self.headers
    var body = rows.map(cells)
    if headline != .mape {
      headers += [headline.label, "d\(headline.label)"]
      body = zip(body, rows).map { cells, r in
        let digits = headline == .mase || headline == .rmsse ? 4 : 2
        return cells + [fixed(headline.of(r.metrics), digits), r.delta.map { signed($0, digits) } ?? "-"]
      }
    }
    var out = Self.columns(headers, body)
    let zeros = rows.first?.metrics.zerosExcluded ?? 0
    out.append(
      "MAPE over \(rows.first?.metrics.count ?? 0) test \(targetWord)\(rows.first?.dataset.map { " of \($0)" } ?? "") "
        + "(\(zeros) with zero sales excluded); +/- is the std "
        + "over runs; KB* = parameters x 4 bytes / 1024 (the article's count); bytes = exported .tcm file; ratio and "
        + "dMAPE vs \(reference)" + (headline == .mape ? "." : "; the headline is \(headline.label) (set metric=).")
    )
    out += renderByStep()
    return out.joined(separator: "\n")
  }

  public func renderMarkdown() -> String {
    var out = [
      "| " + Self.headers.joined(separator: " | ") + " |",
      "|" + Self.headers.enumerated().map { i, _ in i < 2 ? "---" : "---:" }.joined(separator: "|") + "|",
    ]
    out += rows.map { "| " + cells($0).joined(separator: " | ") + " |" }
    if steps > 1 {
      let days = (1...steps).map { "day \($0)" }
      out += [
        "", "MAPE by day ahead:", "", "| model | " + days.joined(separator: " | ") + " |",
        "|---|" + days.map { _ in "---:" }.joined(separator: "|") + "|",
      ]
      out += rows.map { r in
        "| \(r.name) | " + r.metrics.mapeByStep.map { fixed($0, 2) }.joined(separator: " | ") + " |"
      }
    }
    return out.joined(separator: "\n") + "\n"
  }

  /// A number, or null for none and for NaN or infinity (which JSON cannot hold).
  static func num(_ v: Double?) -> JSONValue { v.map { $0.isFinite ? .number($0) : .null } ?? .null }

  func fields(_ r: ComparisonRow) -> [(String, JSONValue)] {
    let num = Self.num
    func int(_ v: Int?) -> JSONValue { v.map { .number(Double($0)) } ?? .null }
    return [
      ("name", .string(r.name)), ("method", .string(r.method)), ("units", int(r.units)),
      ("parameters", int(r.parameters)), ("nonzero", int(r.nonzero)), ("bytes", int(r.bytes)),
      ("kb_article", num(r.articleKB)), ("mape", num(r.metrics.mape)), ("mape_std", num(r.metrics.mapeStd)),
      ("smape", num(r.metrics.smape)), ("mae", num(r.metrics.mae)), ("rmse", num(r.metrics.rmse)),
      ("wape", num(r.metrics.wape)), ("runs", int(r.metrics.runs.count)), ("compression", num(r.compression)),
      ("delta_mape", num(r.deltaMAPE)), ("latency_us", num(r.latencyMicroseconds)),
      ("flash_bytes", int(r.flashBytes)), ("ram_bytes", int(r.ramBytes)), ("macs", int(r.macs)),
      ("energy_nj", num(r.energyNanojoules)), ("mase", num(r.metrics.mase)), ("rmsse", num(r.metrics.rmsse)),
      ("bias", num(r.metrics.bias)), ("dataset", r.dataset.map { .string($0) } ?? .null),
      ("kind", r.kind.map { .string($0) } ?? .null), ("test_targets", int(r.testTargets)),
      ("headline", .string(headline.rawValue)), ("delta", num(r.delta)),
      // Each day's MAPE (one entry, the MAPE, for a one-day forecast).
      ("mape_by_step", .array((r.metrics.steps > 1 ? r.metrics.mapeByStep : [r.metrics.mape]).map { num($0) })),
      // Every run's metrics, whole: what the row's means and spreads are made of (and what
      // `tinycast merge` rebuilds the row from).
      ("per_run", .array(r.metrics.runs.map(Self.runObject))),
    ]
  }

  static func runObject(_ m: ForecastMetrics) -> JSONValue {
    .object(
      [
        ("mape", num(m.mape)), ("smape", num(m.smape)), ("mae", num(m.mae)), ("rmse", num(m.rmse)),
        ("wape", num(m.wape)), ("count", .number(Double(m.count))),
        ("zeros_excluded", .number(Double(m.zerosExcluded))),
        ("mase", num(m.mase)), ("rmsse", num(m.rmsse)), ("bias", num(m.bias)),
        ("by_step", .array(m.byStep.map(runObject))),
      ].map { JSONField(key: $0.0, value: $0.1) })
  }

  /// Fields a CSV cell cannot hold (each run's metrics).
  static let jsonOnly: Set<String> = ["per_run"]

  public func renderCSV() -> String {
    // The columns are the JSON's fields, in the same order.
    let header = fields(ComparisonRow(name: "", method: "", metrics: ReplicaMetrics(runs: []))).map(\.0)
      .filter { !Self.jsonOnly.contains($0) }
    var out = [header.joined(separator: ",")]
    for r in rows {
      out.append(
        fields(r).filter { !Self.jsonOnly.contains($0.0) }.map { _, v in
          switch v {
          case .string(let s): return csvQuote(s)
          // A list of numbers is one cell, separated by semicolons; the runs' objects stay in JSON.
          case .array(let items): return items.map(\.rendered).joined(separator: ";")
          case .object: return ""
          default: return v.rendered
          }
        }.joined(separator: ","))
    }
    return out.joined(separator: "\n") + "\n"
  }

  public func renderJSON() -> String {
    let objects = rows.map { r in
      "  {" + fields(r).map { k, v in "\"\(k)\": \(v.rendered)" }.joined(separator: ", ") + "}"
    }
    return "[\n" + objects.joined(separator: ",\n") + "\n]\n"
  }
}

/// `value` with `digits` decimals ("nan" for NaN).
public func fixed(_ value: Double, _ digits: Int) -> String {
  guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
  return String(format: "%.\(digits)f", value)
}

func csvQuote(_ s: String) -> String {
  s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
    ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

/// The few JSON values Tinycast writes. Numbers print in Swift's shortest round-trip form.
public enum JSONValue: Sendable, Equatable {
  case string(String)
  case number(Double)
  case array([JSONValue])
  case object([JSONField])
  case null
  public var rendered: String {
    switch self {
    case .null: return "null"
    case .array(let items): return "[" + items.map(\.rendered).joined(separator: ", ") + "]"
    case .object(let fields):
      return "{" + fields.map { JSONValue.string($0.key).rendered + ": " + $0.value.rendered }.joined(separator: ", ")
        + "}"
    case .number(let d):
      if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
      return "\(d)"
    case .string(let s):
      var out = "\""
      for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
      }
      return out + "\""
    }
  }
}

/// One key and value of a JSON object, in the order written.
public struct JSONField: Sendable, Equatable {
  public var key: String
  public var value: JSONValue
  public init(key: String, value: JSONValue) {
    self.key = key
    self.value = value
  }
}

/// "+0.25" or "-1.10": a change, with its sign.
public func signed(_ value: Double, _ digits: Int = 2) -> String { (value >= 0 ? "+" : "") + fixed(value, digits) }
