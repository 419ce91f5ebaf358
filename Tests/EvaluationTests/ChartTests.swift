// Charts: the terminal rendering stays inside its width and puts the data where it belongs;
// the SVG is well-formed XML; the Pareto front is the set no other point beats.

import Evaluation
import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// True when `svg` parses as XML with an <svg> root.
func isWellFormedSVG(_ svg: String) -> Bool {
  final class Root: NSObject, XMLParserDelegate {
    var first: String?
    func parser(
      _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
      attributes: [String: String] = [:]
    ) {
      if first == nil { first = name }
    }
  }
  let parser = XMLParser(data: Data(svg.utf8))
  let root = Root()
  parser.delegate = root
  return parser.parse() && root.first == "svg"
}

@Suite struct ChartTests {
  func sine() -> Chart {
    let xs = (0..<200).map(Double.init)
    return Chart(
      title: "a sine & <friends>", xLabel: "x", yLabel: "y",
      series: [
        Chart.Series(name: "sin", xs: xs, ys: xs.map { sin($0 / 20) * 50 + 100 }, style: .line),
        Chart.Series(
          name: "marks", xs: [10, 100], ys: [60, 140], style: .points, markers: ["A", "B"],
          labels: ["first", "second"]),
      ])
  }

  @Test(arguments: [80, 60, 120])
  func terminalRenderingFitsItsWidth(width: Int) {
    let text = sine().renderTerminal(width: width, height: 12)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.allSatisfy { $0.count <= width }, "\(lines.map(\.count).max()!) columns")
    #expect(text.contains(where: { ("\u{2801}"..."\u{28FF}").contains($0) }), "braille dots drawn")
    #expect(text.contains("A") && text.contains("B"))
    // The marker at the larger y sits on an earlier (higher) row than the one at the smaller y.
    let rowA = lines.firstIndex { $0.dropFirst(6).contains("A") }!
    let rowB = lines.firstIndex { $0.dropFirst(6).contains("B") }!
    #expect(rowB < rowA)
  }

  @Test func colorOnlyWhenAsked() {
    #expect(!sine().renderTerminal().contains("\u{1B}["))
    #expect(sine().renderTerminal(color: true).contains("\u{1B}["))
  }

  @Test func svgIsWellFormedAndEscapesText() {
    let svg = sine().renderSVG()
    #expect(isWellFormedSVG(svg))
    #expect(svg.contains("a sine &amp; &lt;friends&gt;"))
    #expect(svg.components(separatedBy: "<polyline").count == 2)
    #expect(svg.components(separatedBy: "<circle").count == 3)
    var log = sine()
    log.xLog = true
    log.series[0].xs = log.series[0].xs.map { $0 + 1 }
    #expect(isWellFormedSVG(log.renderSVG()))
  }

  @Test func ticksAreRound() {
    #expect(Chart.ticks(Chart.Axis(low: 0.3, high: 9.7, log: false), count: 5) == [2, 4, 6, 8])
    #expect(Chart.ticks(Chart.Axis(low: 1, high: 3, log: false), count: 8, integral: true) == [1, 2, 3])
    // Three decades: the decades; two or fewer: their 2 and 5 multiples too.
    #expect(
      Chart.ticks(Chart.Axis(low: 1000, high: 1_000_000, log: true), count: 5) == [1000, 10_000, 100_000, 1_000_000])
    #expect(Chart.ticks(Chart.Axis(low: 1000, high: 10_000, log: true), count: 5) == [1000, 2000, 5000, 10_000])
    #expect(Chart.label(2000, .bytes) == "2 kB" && Chart.label(512, .bytes) == "512 B")
  }

  @Test func theKneeIsWhereTheCurveBends() {
    // MAPE flat down to 2 kB, then it climbs: the knee is the 2 kB model.
    #expect(knee(bytes: [8000, 4000, 2000, 1000], mape: [15.0, 15.1, 15.5, 20]) == 2)
    #expect(knee(bytes: [1000, 2000], mape: [20, 15]) == nil)
    #expect(knee(bytes: [1000, 2000, 4000], mape: [16, 16, 16]) == nil)
  }

  @Test func paretoFrontKeepsOnlyUnbeatenPoints() {
    // (bytes, mape): C is beaten by B (smaller and better); D by A.
    let xs: [Double] = [100, 50, 60, 120, 10]
    let ys: [Double] = [15, 16, 17, 15.5, 30]
    #expect(paretoFront(xs: xs, ys: ys) == [4, 1, 0])
  }

  /// The best point within each budget: nothing below the smallest, then the front's points.
  @Test func bestWithinABudgetReadsTheFront() {
    let xs: [Double] = [100, 50, 60, 120, 10, 60]
    let ys: [Double] = [15, 16, 17, 15.5, 30, 16]
    // Within 5: none; 10: E; 55: B; 60: B and F tie at 16, the smaller wins; 1000: A.
    #expect(bestWithin([5, 10, 55, 60, 1000], xs: xs, ys: ys) == [nil, 4, 1, 1, 0])
  }
}
