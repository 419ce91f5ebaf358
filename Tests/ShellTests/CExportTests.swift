// The exported C, compiled with the system C compiler exactly as an embedded engineer would,
// forecasts the test set like the Swift model: int8 to the last bit, float within 1e-5.

import Foundation
import SalesData
import Shell
import TestSupport
import Testing
import Workbench

func run(_ launchPath: String, _ arguments: [String], input: String = "") throws -> (status: Int32, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: launchPath)
  process.arguments = arguments
  let stdin = Pipe()
  let stdout = Pipe()
  process.standardInput = stdin
  process.standardOutput = stdout
  process.standardError = stdout
  try process.run()
  let writer = Thread {
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try? stdin.fileHandleForWriting.close()
  }
  writer.start()
  let data = stdout.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func compiler() -> String? {
  ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Exports model `name` as C into `dir`, compiles it with its test harness as an embedded
/// engineer would (-std=c99 -Wall -Wextra -Werror), feeds it `input` (one window per line) and
/// returns what it prints, one forecast per line; nil, with the failure recorded, when it does
/// not compile.
func harnessForecasts(_ engine: Engine, _ name: String, dir: String, cc: String, input: String) throws -> [Float]? {
  let out = try engine.execute("export \(name) to=. format=c")
  #expect(out.contains("bytes of flash"), "\(out)")
  let binary = "\(dir)/\(name)-harness"
  let compiled = try run(
    cc,
    ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-D\(name.uppercased())_MAIN", "-o", binary, "\(dir)/\(name).c"])
  #expect(compiled.status == 0, "\(name): \(compiled.output)")
  guard compiled.status == 0 else { return nil }
  return try run(binary, [], input: input).output.split(separator: "\n").map { Float(Double(String($0))!) }
}

/// The test windows' raw sales, oldest first, one window per line, as a C harness reads them; a
/// model with calendar inputs also reads the (first) forecast day: its weekday and day of the
/// year (`calendar`, the linear model's C) or its date (`dated`).
func harnessInput(_ data: WindowedData, calendar: Bool = false, dated: Bool = false) -> String {
  data.test.map { w in
    let days = (0..<data.lookback).map { t in String(data.raw[Int(w.series)][Int(w.start) + t]) }
    let day = data.targetDay(w)
    let (y, m, d) = CivilDate.components(day)
    let extra =
      dated
      ? ["\(y)", "\(m)", "\(d)"] : calendar ? ["\(CivilDate.weekday(day))", "\(CivilDate.dayOfYear(day))"] : []
    return (days + extra).joined(separator: " ")
  }.joined(separator: "\n") + "\n"
}

/// `predict`'s test-set forecasts of model `name` (the last column of its CSV), in CSV order.
func predictedForecasts(_ engine: Engine, _ name: String, dir: String) throws -> [Float] {
  try engine.execute("predict \(name) to=\(name).csv")
  return try String(contentsOfFile: "\(dir)/\(name).csv", encoding: .utf8).split(separator: "\n").dropFirst()
    .map { Float(String($0.split(separator: ",").last!))! }
}

/// The C forecasts agree with Swift's: bit for bit when `exact` (the integer path and the
/// linear models), within 1e-5 relative always.
func expectAgreement(_ c: [Float], _ swift: [Float], name: String, exact: Bool) {
  #expect(c.count == swift.count, "\(name): \(c.count) C forecasts, \(swift.count) from predict")
  var worst: Float = 0
  var identical = 0
  for (a, b) in zip(c, swift) {
    if a.bitPattern == b.bitPattern { identical += 1 }
    worst = max(worst, abs(a - b) / max(abs(b), 1e-3))
  }
  if exact { #expect(identical == swift.count, "\(name): \(identical) of \(swift.count) bit-identical") }
  #expect(worst <= 1e-5, "\(name): worst relative difference \(worst)")
}

@Suite struct CExportTests {
  @Test func exportedCForecastsLikeTheSwiftModel() throws {
    let cc = try #require(compiler(), "a C compiler is part of the build machine (gcc)")
    let (engine, dir, _) = makeEngine()
    // 200 days from 2014-07-01: the test windows straddle New Year, so a dated model's C walks
    // its window back into the previous year.
    writeFile(dir + "/newyear.csv", smallSalesCSV(firstDay: 16_252))
    try engine.execute("load csv newyear.csv as small")
    try engine.execute("train units=8 epochs=2 runs=1 seed=1 as base")
    try engine.execute("quantize base int8 as q8")
    try engine.execute("prune base 0.7 as p70")
    try engine.execute("quantize p70 int8 as p70q8")
    try engine.execute("quantize base float16 as h16")
    try engine.execute("quantize base int8 granularity=tensor mode=asymmetric as u8")
    try engine.execute("factor base rank=3 as r3")
    try engine.execute("train kind=linear as lin")
    try engine.execute("train kind=average k=1 mode=weekday as wk")
    try engine.execute("train kind=average k=5 as m5")
    try engine.execute("train kind=croston variant=tsb as tsb")
    try engine.execute("train kind=croston as sba")
    try engine.execute("prune lin 0.6 as lin60")
    try engine.execute("finetune lin60 as lin60ft")
    try engine.execute("quantize lin60ft int8 as lin60q8")
    try engine.execute("quantize lin int8 as linq8")
    try engine.execute("quantize lin float16 as lin16")
    try engine.execute("train kind=linear weekday=on year=2 loss=mae as cal")
    try engine.execute("train kind=linear norm=level weekday=on year=1 as level")
    try engine.execute("prune cal 0.5 as cal50")
    // Recurrent networks: the GRU, and inputs over the window's level with calendar channels,
    // float and on the integer path (bit for bit), dense and pruned.
    try engine.execute("train kind=gru units=5 epochs=2 runs=1 seed=1 as gru")
    try engine.execute("train kind=gru units=4 epochs=2 runs=1 seed=1 norm=level weekday=on year=1 as grin")
    try engine.execute("train units=4 epochs=2 runs=1 seed=1 norm=level weekday=on year=2 as rin")
    try engine.execute("quantize rin int8 as rinq8")
    try engine.execute("prune rin 0.5 as rin50")
    try engine.execute("quantize rin50 int8 as rin50q8")
    try engine.execute("train units=3 epochs=2 runs=1 seed=1 year=1 as yr")
    try engine.execute("quantize yr int8 as yrq8")
    // Holidays as a last channel: Christmas and New Year fall in the test period.
    writeFile(
      dir + "/holidays.csv", "date,name\n2014-07-04,Independence Day\n2014-12-25,Christmas\n2015-01-01,New Year\n")
    try engine.execute("train units=3 epochs=2 runs=1 seed=1 norm=level weekday=on holidays=holidays.csv as hol")
    try engine.execute("quantize hol int8 as holq8")
    // The linear model with the holiday flag: its C takes the date, as the networks' does.
    try engine.execute("train kind=linear norm=level weekday=on year=1 holidays=holidays.csv as linhol")
    try engine.execute("quantize linhol int8 as linholq8")
    // Networks correcting a linear model (a linear skip): plain over plain, a dated GRU over a
    // calendar model, and a plain network over a calendar model (the library takes the date for it).
    try engine.execute("train units=4 epochs=2 runs=1 seed=1 skip=lin as skipplain")
    try engine.execute("quantize skipplain int8 as skipplainq8")
    try engine.execute("train kind=gru units=3 epochs=2 runs=1 seed=1 norm=level weekday=on year=1 skip=cal as skipcal")
    try engine.execute("quantize skipcal int8 as skipcalq8")
    try engine.execute("train units=3 epochs=2 runs=1 seed=1 skip=cal as skipmixed")
    try engine.execute("quantize skipmixed int8 as skipmixedq8")
    // A plain network over a linear model with holidays: only the base reads the date.
    try engine.execute("train units=3 epochs=2 runs=1 seed=1 skip=linhol as skiphol")
    try engine.execute("quantize skiphol int8 as skipholq8")
    // Holidays alone (no calendar): the C needs the date but never walks back through years.
    try engine.execute("train kind=gru units=3 epochs=1 runs=1 seed=1 holidays=holidays.csv as honly")
    try engine.execute("quantize honly int8 as honlyq8")
    try engine.execute("quantize gru int8 as gruq8")
    try engine.execute("factor grin rank=2 as grinr2")
    try engine.execute("quantize grin int8 as grinq8")
    try engine.execute("prune grin 0.4 as grin40")
    try engine.execute("quantize grin40 int8 as grin40q8")
    let data = engine.workspace.datasets["small"]!.windows
    for (name, exact) in [
      ("q8", true), ("p70q8", true), ("lin", true), ("lin60", true), ("lin60ft", true), ("lin60q8", true),
      ("linq8", true), ("lin16", true), ("cal", true), ("cal50", true), ("level", false), ("wk", true), ("m5", true),
      ("tsb", false), ("sba", false),
      ("base", false), ("p70", false),
      ("h16", false), ("u8", false),
      ("r3", false), ("gru", false), ("grin", false), ("rin", false), ("rinq8", true), ("rin50q8", true),
      ("yrq8", true), ("gruq8", true), ("grinq8", true), ("grin40q8", true), ("hol", false), ("holq8", true),
      ("grinr2", false), ("linhol", true), ("linholq8", true), ("honlyq8", true),
      ("skipplain", false), ("skipplainq8", true), ("skipcal", false), ("skipcalq8", true), ("skipmixedq8", true),
      ("skipholq8", true),
    ] {
      let calendar = ["cal", "cal50", "level"].contains(name)
      let dated = [
        "grin", "rin", "rinq8", "rin50q8", "yrq8", "grinq8", "grin40q8", "hol", "holq8", "grinr2", "linhol", "linholq8",
        "honlyq8", "skipcal", "skipcalq8", "skipmixedq8", "skipholq8",
      ]
      .contains(name)
      let input = harnessInput(data, calendar: calendar, dated: dated)
      guard let c = try harnessForecasts(engine, name, dir: dir, cc: cc, input: input) else { continue }
      expectAgreement(c, try predictedForecasts(engine, name, dir: dir), name: name, exact: exact)
    }
  }
}

extension CExportTests {
  /// A multi-day head's C fills an array of days: int8 (one scale per day) to the last bit, float
  /// within 1e-5, plain and with dated inputs across New Year, dense and pruned.
  @Test func exportedMultiDayNetworksForecastEveryDayLikePredict() throws {
    let cc = try #require(compiler(), "a C compiler is part of the build machine (gcc)")
    let (engine, dir, _) = makeEngine()
    writeFile(dir + "/newyear.csv", smallSalesCSV(firstDay: 16_252))
    try engine.execute("load csv newyear.csv as small")
    try engine.execute("window steps=4")
    try engine.execute("train units=6 epochs=2 runs=1 seed=1 as base")
    try engine.execute("quantize base int8 as q8")
    try engine.execute("train kind=gru units=4 epochs=2 runs=1 seed=1 norm=level weekday=on year=1 as grin")
    try engine.execute("quantize grin int8 as grinq8")
    try engine.execute("prune grin 0.5 as grin50")
    try engine.execute("quantize grin50 int8 as grin50q8")
    try engine.execute("factor base rank=2 as r2")
    let data = engine.workspace.datasets["small"]!.windows
    #expect(data.steps == 4)
    for (name, exact, dated) in [
      ("base", false, false), ("q8", true, false), ("grin", false, true), ("grinq8", true, true),
      ("grin50q8", true, true), ("r2", false, false),
    ] {
      let input = harnessInput(data, dated: dated)
      guard let c = try harnessForecasts(engine, name, dir: dir, cc: cc, input: input) else { continue }
      let header = try String(contentsOfFile: "\(dir)/\(name).h", encoding: .utf8)
      #expect(header.contains("#define \(name)_STEPS 4") && header.contains("float forecast[\(name)_STEPS]"))
      let swift = try predictedForecasts(engine, name, dir: dir)
      #expect(swift.count == data.test.count * 4, "\(name)")
      expectAgreement(c, swift, name: name, exact: exact)
    }
  }

  /// A stacked network's C keeps one state per layer and runs the layers bottom first at every
  /// step: int8 bit for bit with `predict` (each layer quantizing the new state below), float,
  /// float16, uint8, pruned and low rank within 1e-5; LSTM and GRU, one-day and multi-day, plain
  /// and dated.
  @Test func exportedStackedNetworksForecastLikePredict() throws {
    let cc = try #require(compiler(), "a C compiler is part of the build machine (gcc)")
    let (engine, dir, _) = makeEngine()
    writeFile(dir + "/newyear.csv", smallSalesCSV(firstDay: 16_252))
    try engine.execute("load csv newyear.csv as small")
    try engine.execute("train units=5 layers=2 epochs=2 runs=1 seed=1 as s2")
    try engine.execute("quantize s2 int8 as s2q8")
    try engine.execute("quantize s2 float16 as s2h")
    try engine.execute("quantize s2 int8 granularity=tensor mode=asymmetric as s2u8")
    try engine.execute("prune s2 0.6 as s2p")
    try engine.execute("quantize s2p int8 as s2pq8")
    try engine.execute("train kind=gru units=4 layers=3 epochs=2 runs=1 seed=2 norm=level weekday=on year=1 as g3")
    try engine.execute("quantize g3 int8 as g3q8")
    try engine.execute("prune g3 0.5 structured=on as g3s")
    try engine.execute("factor s2 rank=2 as s2r2")
    try engine.execute("factor g3 rank=2 as g3r2")
    let data = engine.workspace.datasets["small"]!.windows
    for (name, exact, dated) in [
      ("s2", false, false), ("s2q8", true, false), ("s2h", false, false), ("s2u8", false, false),
      ("s2p", false, false), ("s2pq8", true, false), ("g3", false, true), ("g3q8", true, true), ("g3s", false, true),
      ("s2r2", false, false), ("g3r2", false, true),
    ] {
      guard let c = try harnessForecasts(engine, name, dir: dir, cc: cc, input: harnessInput(data, dated: dated))
      else { continue }
      expectAgreement(c, try predictedForecasts(engine, name, dir: dir), name: name, exact: exact)
    }
    // A multi-day head on two layers.
    try engine.execute("window steps=3")
    try engine.execute("train units=4 layers=2 epochs=2 runs=1 seed=3 as m2")
    try engine.execute("quantize m2 int8 as m2q8")
    let days = engine.workspace.datasets["small"]!.windows
    for (name, exact) in [("m2", false), ("m2q8", true)] {
      guard let c = try harnessForecasts(engine, name, dir: dir, cc: cc, input: harnessInput(days)) else { continue }
      let swift = try predictedForecasts(engine, name, dir: dir)
      #expect(swift.count == days.test.count * 3, "\(name)")
      expectAgreement(c, swift, name: name, exact: exact)
    }
  }

  /// ETS's and Theta's C keep a state per series: started at the cut, each test day forecast and then
  /// observed, it gives `predict`'s forecasts (double recursion; the float output agrees to
  /// the rounding of Tinycast's scaled float forecasts).
  @Test func exportedETSRunsTheDeviceLoopLikePredict() throws {
    let cc = try #require(compiler(), "a C compiler is part of the build machine (gcc)")
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train kind=ets as ets")
    try engine.execute("train kind=ets model=MAdM as damped")
    try engine.execute("train kind=theta")
    let data = engine.workspace.datasets["small"]!.windows
    let input =
      data.test.map { w in "\(w.series) \(data.actual(w))" }.joined(separator: "\n") + "\n"
    for name in ["ets", "damped", "theta"] {
      let out = try engine.execute("export \(name) to=. format=c")
      #expect(out.contains("bytes of flash"), "\(out)")
      let binary = "\(dir)/\(name)-harness"
      let compiled = try run(
        cc,
        [
          "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-D\(name.uppercased())_MAIN", "-o", binary,
          "\(dir)/\(name).c",
        ])
      #expect(compiled.status == 0, "\(name): \(compiled.output)")
      guard compiled.status == 0 else { continue }
      let forecasts = try run(binary, [], input: input).output.split(separator: "\n").map {
        Float(Double(String($0))!)
      }
      try engine.execute("predict \(name) to=\(name).csv")
      let swift = try String(contentsOfFile: "\(dir)/\(name).csv", encoding: .utf8).split(separator: "\n").dropFirst()
        .map { Float(String($0.split(separator: ",")[4]))! }
      #expect(forecasts.count == swift.count && swift.count == data.test.count, "\(name)")
      var worst: Float = 0
      for (c, s) in zip(forecasts, swift) { worst = max(worst, abs(c - s) / max(abs(s), 1e-3)) }
      #expect(worst <= 1e-5, "\(name): worst relative difference \(worst)")
    }
  }
}

@Suite struct KerasInteropTests {
  /// Export as Keras weights, import them back: the same forecasts, bit for bit.
  @Test func kerasWeightsRoundTrip() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=6 epochs=1 runs=1 seed=1 as base")
    try engine.execute("export base to=base.json format=keras")
    let doc =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/base.json")))
      as! [String: Any]
    let weights = doc["weights"] as! [Any]
    #expect((weights[0] as! [[Double]]).count == 1 && (weights[0] as! [[Double]])[0].count == 24)
    #expect((weights[1] as! [[Double]]).count == 6)
    try engine.execute("load keras base.json as back")
    try engine.execute("predict base to=a.csv")
    try engine.execute("predict back to=b.csv")
    #expect(
      try String(contentsOfFile: dir + "/a.csv", encoding: .utf8)
        == String(contentsOfFile: dir + "/b.csv", encoding: .utf8))
    // A GRU reading level-normalised sales and the weekday: its layer, bias rows and inputs
    // survive the trip, and the forecasts are the same bits.
    try engine.execute("train kind=gru units=5 epochs=1 runs=1 seed=2 norm=level weekday=on as g")
    try engine.execute("export g to=g.json format=keras")
    let gru =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/g.json")))
      as! [String: Any]
    let gw = gru["weights"] as! [Any]
    #expect(gru["layer"] as? String == "gru" && (gw[0] as! [[Double]]).count == 8)
    #expect((gw[2] as! [[Double]]).count == 2 && (gw[2] as! [[Double]])[1].count == 15)
    try engine.execute("load keras g.json as gback")
    try engine.execute("predict g to=g.csv")
    try engine.execute("predict gback to=gb.csv")
    #expect(
      try String(contentsOfFile: dir + "/g.csv", encoding: .utf8)
        == String(contentsOfFile: dir + "/gb.csv", encoding: .utf8))
    #expect(engine.workspace.models["gback"]!.replicas[0].family == "gru")
    writeFile(dir + "/bad.json", "{\"weights\": [[[1, 2]], [[1]], [1], [[1]], [1]]}")
    #expect(
      errorText(engine, "load keras bad.json")?.hasPrefix("bad.json: shapes do not form LSTM(H) -> Dense(S)") == true)
  }
}
