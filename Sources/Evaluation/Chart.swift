// Chart: one description of a line/point chart, drawn two ways: Unicode braille in the terminal
// (each character is a 2x4 grid of dots, so an 80-column plot has 130-odd columns of
// resolution) and SVG for the notebook. The plot commands build a Chart; nothing else draws.

import Foundation
import SalesData

public struct Chart: Sendable {
  public enum Style: Sendable, Equatable {
    /// Points joined by straight lines (braille dots in the terminal, a polyline in SVG).
    case line
    /// One marker per point (a character in the terminal, a circle in SVG).
    case points
  }

  /// How tick labels read.
  public enum AxisFormat: Sendable, Equatable {
    case number
    case bytes  // 512 B, 2 kB, 64 kB
    case civilDay  // x is a day number (CivilDate), shown as MM-DD
    case percent
  }

  public struct Series: Sendable {
    public var name: String
    public var xs: [Double]
    public var ys: [Double]
    public var style: Style
    /// Terminal marker per point for `.points` (one character each); empty: '•' for all.
    public var markers: [Character] = []
    /// SVG label per point (e.g. the model name); empty: none.
    public var labels: [String] = []
    /// Filled markers in SVG (e.g. the Pareto front), else hollow.
    public var emphasised = false
    public init(
      name: String, xs: [Double], ys: [Double], style: Style, markers: [Character] = [], labels: [String] = [],
      emphasised: Bool = false
    ) {
      self.name = name
      self.xs = xs
      self.ys = ys
      self.style = style
      self.markers = markers
      self.labels = labels
      self.emphasised = emphasised
    }
  }

  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var xFormat: AxisFormat = .number
  public var yFormat: AxisFormat = .number
  public var xLog = false
  public var series: [Series]
  /// Lines printed under the terminal plot (a legend of markers, notes).
  public var notes: [String] = []

  public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
  }

  // MARK: - Axes

  public struct Axis: Sendable {
    public var low: Double, high: Double, log: Bool
    public init(low: Double, high: Double, log: Bool) {
      self.low = low
      self.high = high
      self.log = log
    }
    /// 0...1 along the axis.
    public func position(_ v: Double) -> Double {
      let (a, b, x) =
        log ? (Foundation.log10(low), Foundation.log10(high), Foundation.log10(max(v, 1e-300))) : (low, high, v)
      return b > a ? (x - a) / (b - a) : 0.5
    }
  }

  /// Whole-number x values (epochs, days) get whole-number ticks.
  var xIntegral: Bool { series.allSatisfy { $0.xs.allSatisfy { $0 == $0.rounded() } } }

  func axes() -> (x: Axis, y: Axis) {
    let xs = series.flatMap(\.xs).filter { $0.isFinite && (!xLog || $0 > 0) }
    let ys = series.flatMap(\.ys).filter(\.isFinite)
    var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1)
    var (y0, y1) = (ys.min() ?? 0, ys.max() ?? 1)
    if xLog {
      // Whole decades or halves around the data, so the ticks land inside.
      x0 = pow(10, floor(log10(x0) * 2) / 2)
      x1 = pow(10, ceil(log10(x1) * 2) / 2)
      if x1 <= x0 { x1 = x0 * 10 }
    } else if x1 <= x0 {
      x0 -= 1
      x1 += 1
    }
    if y1 <= y0 {
      y0 -= 1
      y1 += 1
    }
    let pad = (y1 - y0) * 0.06
    (y0, y1) = (y0 - pad, y1 + pad)
    return (Axis(low: x0, high: x1, log: xLog), Axis(low: y0, high: y1, log: false))
  }

  /// About `count` round tick values inside the axis (1, 2 or 5 times a power of ten; decades
  /// and their 2 and 5 multiples on a log axis).
  public static func ticks(_ axis: Axis, count: Int, integral: Bool = false) -> [Double] {
    if axis.log {
      var out: [Double] = []
      let d0 = Int(floor(log10(axis.low)))
      let d1 = Int(ceil(log10(axis.high)))
      let steps: [Double] = d1 - d0 <= 2 ? [1, 2, 5] : [1]
      for d in d0...d1 {
        for s in steps {
          let v = s * pow(10, Double(d))
          if v >= axis.low * 0.999 && v <= axis.high * 1.001 { out.append(v) }
        }
      }
      return out
    }
    let span = axis.high - axis.low
    let raw = span / Double(max(count, 1))
    let magnitude = pow(10, floor(log10(raw)))
    var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    if integral { step = max(step, 1) }
    var v = ceil(axis.low / step) * step
    var out: [Double] = []
    while v <= axis.high + step * 1e-9 {
      out.append(abs(v) < step * 1e-9 ? 0 : v)
      v += step
    }
    return out
  }

  public static func label(_ v: Double, _ format: AxisFormat) -> String {
    switch format {
    case .civilDay:
      let s = CivilDate.format(Int(v.rounded()))  // yyyy-mm-dd
      return String(s.dropFirst(5))
    case .bytes:
      // Decimal units, so the 1-2-5 ticks read as round numbers.
      if v >= 1_000_000 { return trimmed(v / 1_000_000) + " MB" }
      if v >= 1000 { return trimmed(v / 1000) + " kB" }
      return trimmed(v) + " B"
    case .percent: return trimmed(v) + "%"
    case .number: return trimmed(v)
    }
  }

  static func trimmed(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e7 { return String(Int(v)) }
    let s =
      abs(v) >= 100 ? String(format: "%.0f", v) : abs(v) >= 1 ? String(format: "%.1f", v) : String(format: "%.3g", v)
    return s
  }

  // MARK: - Terminal

  /// The chart in `width` columns (never more) and `height` rows of plot area. With `color`,
  /// each series after the first gets its own ANSI color.
  public func renderTerminal(width: Int = 80, height: Int = 16, color: Bool = false) -> String {
    let (xa, ya) = axes()
    let yTicks = Self.ticks(ya, count: max(2, height / 4))
    let yLabels = yTicks.map { Self.label($0, yFormat) }
    let gutter = (yLabels.map(\.count).max() ?? 1) + 1
    let cols = max(10, width - gutter - 2)
    let rows = max(4, height)
    // Each cell: braille dot bits, or a marker; and which series drew it last (for color).
    var dots = [[UInt8]](repeating: [UInt8](repeating: 0, count: cols), count: rows)
    var marks = [[Character?]](repeating: [Character?](repeating: nil, count: cols), count: rows)
    var owner = [[Int]](repeating: [Int](repeating: -1, count: cols), count: rows)
    let dotW = cols * 2
    let dotH = rows * 4
    func dot(_ x: Double, _ y: Double) -> (Int, Int)? {
      guard x.isFinite, y.isFinite, !xLog || x > 0 else { return nil }
      let px = Int((xa.position(x) * Double(dotW - 1)).rounded())
      let py = Int(((1 - ya.position(y)) * Double(dotH - 1)).rounded())
      return (min(max(px, 0), dotW - 1), min(max(py, 0), dotH - 1))
    }
    func set(_ px: Int, _ py: Int, _ s: Int) {
      let bit: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]
      dots[py / 4][px / 2] |= bit[py % 4][px % 2]
      owner[py / 4][px / 2] = s
    }
    for (s, series) in series.enumerated() {
      switch series.style {
      case .line:
        var last: (Int, Int)?
        for (x, y) in zip(series.xs, series.ys) {
          guard let p = dot(x, y) else {
            last = nil
            continue
          }
          if let a = last {
            // Bresenham between consecutive points.
            var (x0, y0) = a
            let (x1, y1) = p
            let dx = abs(x1 - x0)
            let dy = -abs(y1 - y0)
            let sx = x0 < x1 ? 1 : -1
            let sy = y0 < y1 ? 1 : -1
            var err = dx + dy
            while true {
              set(x0, y0, s)
              if x0 == x1 && y0 == y1 { break }
              let e2 = 2 * err
              if e2 >= dy {
                err += dy
                x0 += sx
              }
              if e2 <= dx {
                err += dx
                y0 += sy
              }
            }
          } else {
            set(p.0, p.1, s)
          }
          last = p
        }
      case .points:
        for (k, (x, y)) in zip(series.xs, series.ys).enumerated() {
          guard let p = dot(x, y) else { continue }
          marks[p.1 / 4][p.0 / 2] = k < series.markers.count ? series.markers[k] : "•"
          owner[p.1 / 4][p.0 / 2] = s
        }
      }
    }
    let palette = ["", "\u{1B}[36m", "\u{1B}[33m", "\u{1B}[35m", "\u{1B}[32m", "\u{1B}[31m"]
    // Which plot row each y tick falls on.
    var tickRow: [Int: String] = [:]
    for (v, l) in zip(yTicks, yLabels) {
      let r = Int(((1 - ya.position(v)) * Double(dotH - 1)).rounded()) / 4
      if r >= 0 && r < rows && tickRow[r] == nil { tickRow[r] = l }
    }
    var lines: [String] = [title]
    lines.append(String(repeating: " ", count: gutter) + yLabel)
    for r in 0..<rows {
      var line = (tickRow[r] ?? "").leftPadded(gutter - 1) + (tickRow[r] == nil ? " │" : " ┤")
      for c in 0..<cols {
        let ch: Character =
          marks[r][c] ?? (dots[r][c] == 0 ? " " : Character(UnicodeScalar(0x2800 + UInt32(dots[r][c]))!))
        let o = owner[r][c]
        if color, o > 0, ch != " " {
          line += palette[o % palette.count] + String(ch) + "\u{1B}[0m"
        } else {
          line.append(ch)
        }
      }
      lines.append(line)
    }
    // The x axis, its ticks and labels (a label is dropped when it would touch the previous one).
    let xTicks = Self.ticks(xa, count: max(2, cols / 12), integral: xIntegral)
    var axis = Array(String(repeating: " ", count: gutter) + "└" + String(repeating: "─", count: cols))
    var labelLine = Array(repeating: Character(" "), count: gutter + 1 + cols + 8)
    var lastEnd = -1
    for v in xTicks {
      let c = Int((xa.position(v) * Double(dotW - 1)).rounded()) / 2
      guard c >= 0 && c < cols else { continue }
      axis[gutter + 1 + c] = "┬"
      let text = Array(Self.label(v, xFormat))
      var start = gutter + 1 + c - text.count / 2
      start = max(start, 0)
      if start + text.count > width { start = width - text.count }
      guard start > lastEnd + 1 else { continue }
      for (k, ch) in text.enumerated() where start + k < labelLine.count { labelLine[start + k] = ch }
      lastEnd = start + text.count - 1
    }
    lines.append(String(axis))
    lines.append(String(labelLine).trimmingTrailingSpaces())
    lines.append(xLabel.leftPadded(gutter + 1 + (cols + xLabel.count) / 2).trimmingTrailingSpaces())
    // Series without a name (markers over a named line) stay out of the legend.
    let legend = series.enumerated().filter { !$0.element.name.isEmpty }.map { s, ser -> String in
      let sample = ser.style == .line ? "⠒⠒" : String(ser.markers.first ?? "•")
      return (color && s > 0 ? palette[s % palette.count] + sample + "\u{1B}[0m" : sample) + " " + ser.name
    }
    lines.append(wrapped(legend, width: width, indent: gutter + 1))
    lines += notes
    return lines.joined(separator: "\n")
  }

  /// Items joined by two spaces, broken into lines no wider than `width` (escape codes excluded).
  func wrapped(_ items: [String], width: Int, indent: Int) -> String {
    var out: [String] = []
    var line = String(repeating: " ", count: indent)
    var visible = indent
    for item in items {
      let w = item.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression).count
      if visible > indent && visible + 2 + w > width {
        out.append(line)
        line = String(repeating: " ", count: indent)
        visible = indent
      }
      if visible > indent {
        line += "  "
        visible += 2
      }
      line += item
      visible += w
    }
    out.append(line)
    return out.joined(separator: "\n")
  }

  // MARK: - SVG

  /// A standalone SVG document (valid XML; text escaped).
  public func renderSVG(width: Int = 760, height: Int = 440) -> String {
    let (xa, ya) = axes()
    let left = 70.0
    let right = 20.0
    let top = 40.0
    let bottom = 70.0
    let pw = Double(width) - left - right
    let ph = Double(height) - top - bottom
    func px(_ x: Double) -> Double { left + xa.position(x) * pw }
    func py(_ y: Double) -> Double { top + (1 - ya.position(y)) * ph }
    func n(_ v: Double) -> String { String(format: "%.1f", v) }
    let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    var s = """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" \
      viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="12">
      <rect x="0" y="0" width="\(width)" height="\(height)" fill="white"/>
      <text x="\(n(Double(width) / 2))" y="22" text-anchor="middle" font-size="15">\(xmlEscaped(title))</text>

      """
    for v in Self.ticks(ya, count: 6) {
      s += "<line x1=\"\(n(left))\" y1=\"\(n(py(v)))\" x2=\"\(n(left + pw))\" y2=\"\(n(py(v)))\" stroke=\"#e5e5e5\"/>\n"
      s +=
        "<text x=\"\(n(left - 6))\" y=\"\(n(py(v) + 4))\" "
        + "text-anchor=\"end\">\(xmlEscaped(Self.label(v, yFormat)))</text>\n"
    }
    for v in Self.ticks(xa, count: 8, integral: xIntegral) {
      s += "<line x1=\"\(n(px(v)))\" y1=\"\(n(top))\" x2=\"\(n(px(v)))\" y2=\"\(n(top + ph))\" stroke=\"#f0f0f0\"/>\n"
      s +=
        "<text x=\"\(n(px(v)))\" y=\"\(n(top + ph + 18))\" "
        + "text-anchor=\"middle\">\(xmlEscaped(Self.label(v, xFormat)))</text>\n"
    }
    s +=
      "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(pw))\" height=\"\(n(ph))\" fill=\"none\" stroke=\"#333\"/>\n"
    s +=
      "<text x=\"\(n(left + pw / 2))\" y=\"\(n(Double(height) - 30))\" "
      + "text-anchor=\"middle\">\(xmlEscaped(xLabel))</text>\n"
    s +=
      "<text transform=\"translate(16 \(n(top + ph / 2))) rotate(-90)\" "
      + "text-anchor=\"middle\">\(xmlEscaped(yLabel))</text>\n"
    for (k, series) in series.enumerated() {
      let c = colors[k % colors.count]
      let pts = zip(series.xs, series.ys).filter { $0.0.isFinite && $0.1.isFinite && (!xLog || $0.0 > 0) }
      switch series.style {
      case .line:
        let coords = pts.map { "\(n(px($0.0))),\(n(py($0.1)))" }.joined(separator: " ")
        s +=
          "<polyline fill=\"none\" stroke=\"\(c)\" stroke-width=\"1.6\" "
          + "points=\"\(coords)\"><title>\(xmlEscaped(series.name))</title></polyline>\n"
      case .points:
        for (i, p) in pts.enumerated() {
          s +=
            "<circle cx=\"\(n(px(p.0)))\" cy=\"\(n(py(p.1)))\" r=\"4\" fill=\"\(series.emphasised ? c : "white")\" "
            + "stroke=\"\(c)\" stroke-width=\"1.5\"/>\n"
          if i < series.labels.count {
            s +=
              "<text x=\"\(n(px(p.0) + 6))\" y=\"\(n(py(p.1) - 6))\" "
              + "font-size=\"10\">\(xmlEscaped(series.labels[i]))</text>\n"
          }
        }
      }
      // Legend along the bottom.
      guard !series.name.isEmpty else { continue }
      let lx = left + Double(k) * min(180, pw / Double(max(self.series.count, 1)))
      let ly = Double(height) - 10
      s += "<rect x=\"\(n(lx))\" y=\"\(n(ly - 9))\" width=\"10\" height=\"10\" fill=\"\(c)\"/>"
      s += "<text x=\"\(n(lx + 14))\" y=\"\(n(ly))\">\(xmlEscaped(series.name))</text>\n"
    }
    s += "</svg>\n"
    return s
  }
}

func xmlEscaped(_ s: String) -> String {
  var out = ""
  for ch in s {
    switch ch {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    default: out.append(ch)
    }
  }
  return out
}

extension String {
  public func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
  func trimmingTrailingSpaces() -> String {
    var s = self
    while s.last == " " { s.removeLast() }
    return s
  }
}
