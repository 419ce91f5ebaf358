// Covariates from the data file (a promotion flag, a price) as a retailer's file has them: named
// columns read by `load csv ... covariates=`, learnt by a network that sees the forecast day's
// planned promotion, carried by every form of the model (int8, both containers, Keras JSON, C
// bit for bit), replayed; and refused in one line where they cannot be had.

import Compression
import Foundation
import SalesData
import Shell
import TestSupport
import Testing
import TinycastCLI
import Workbench

/// The test windows as a C harness of a network with covariates reads them: the window's raw
/// sales, then `rows` days of covariates (`names`, in the file's units) from the day its first step
/// reads: the day it forecasts (`ahead`) or its own; a dated model reads the (first) forecast day's
/// date between the two.
func covariateHarnessInput(_ data: WindowedData, names: [String], ahead: Bool, dated: Bool, rows: Int? = nil) -> String
{
  let columns = names.map { data.covariateColumn($0)! }
  return data.test.map { w in
    let s = Int(w.series)
    let start = Int(w.start)
    let sales = (0..<data.lookback).map { String(data.raw[s][start + $0]) }
    let (y, m, d) = CivilDate.components(data.targetDay(w))
    let date = dated ? ["\(y)", "\(m)", "\(d)"] : []
    let first = start + (ahead ? data.config.horizon : 0)
    let covariates = (0..<(rows ?? data.lookback)).flatMap { r in
      columns.map { String(data.covariates[s][$0][first + r]) }
    }
    return (sales + date + covariates).joined(separator: " ")
  }.joined(separator: "\n") + "\n"
}

@Suite struct CovariateTests {
  @Test func aPlannedPromotionIsLearntAndTravelsWithTheModel() throws {
    let (engine, dir, _) = makeEngine()
    writeFile(dir + "/promo.csv", promotionSalesCSV())
    let loaded = try engine.execute(
      "load csv promo.csv date=day store=shop item=sku sales=units covariates=promo,price as promo")
    // 4 series x 300 days; every 37th row's price is empty (1,200 / 37 = 32).
    #expect(
      loaded.contains("4 series") && loaded.contains("covariates promo, price (32 missing values filled)"), "\(loaded)")

    // The same small GRU without and with the promotion flag: promotions are drawn at random,
    // so only the forecast day's planned flag can tell a doubled day from a normal one.
    let common = "kind=gru units=6 epochs=25 runs=1 seed=3 norm=level weekday=on loss=mae"
    try engine.execute("train \(common) as plain")
    try engine.execute("train \(common) covariates=promo as promo")
    try engine.execute("train \(common) covariates=promo ahead=off as late")
    var ws = engine.workspace
    let plain = try ws.metrics(of: "plain").mape
    let promo = try ws.metrics(of: "promo").mape
    let late = try ws.metrics(of: "late").mape
    #expect(promo < 0.6 * plain, "with the planned flag \(promo), without \(plain)")
    #expect(promo < 0.6 * late, "the forecast day's flag \(promo), each step's own day's \(late)")
    let m = try #require(engine.workspace.models["promo"])
    #expect(m.architecture.contains("promo (of the day forecast)"), "\(m.architecture)")
    // Channels: sales, 7 weekdays, the flag; 3 gates of 6 units.
    #expect(m.parameterCount == 9 * 18 + 6 * 18 + 2 * 18 + 6 + 1)
    #expect(m.lineage.last!.contains(" covariates=promo "), "\(m.lineage)")

    // The linear yardstick reads the forecast day's covariates too, so the comparison stays fair.
    try engine.execute("train kind=linear norm=level weekday=on loss=mae as lin")
    try engine.execute("train kind=linear norm=level weekday=on loss=mae covariates=promo,price as linpromo")
    ws = engine.workspace
    let lin = try ws.metrics(of: "lin").mape
    let linPromo = try ws.metrics(of: "linpromo").mape
    #expect(linPromo < 0.7 * lin, "the linear model with the flag \(linPromo), without \(lin)")
    let linModel = try #require(engine.workspace.models["linpromo"])
    #expect(
      linModel.parameterCount == 14 + 7 + 2 + 1 && linModel.architecture.contains("the forecast day's promo, price"))
    #expect(
      errorText(engine, "train kind=gru units=2 skip=linpromo")
        == "skip=linpromo reads covariates; a network corrects a linear model of sales and calendar (fit the linear "
        + "model without covariates= and give them to the network)")
    try engine.execute("quantize linpromo int8 as linq8")

    // Every form keeps the covariate and its scaler; files give back the same model.
    try engine.execute("train kind=lstm units=4 epochs=3 runs=1 seed=2 covariates=price,promo as two")
    try engine.execute("quantize promo int8 as q8")
    try engine.execute("quantize two int8 as twoq8")
    try engine.execute("prune promo 0.5 as p50")
    for container in ["json", "compact"] {
      try engine.execute("set container=\(container)")
      for name in ["promo", "q8", "two", "late", "linpromo", "linq8"] {
        try engine.execute("export \(name) to=\(name)-\(container).tcm")
        try engine.execute("load model \(name)-\(container).tcm as \(name)-\(container)")
        let back = try #require(engine.workspace.models["\(name)-\(container)"])
        #expect(
          back.replicas[0].isIdentical(to: engine.workspace.models[name]!.replicas[0]), "\(name) via \(container)")
      }
    }
    try engine.execute("export late to=late.json format=keras")
    try engine.execute("load keras late.json as latek")
    ws = engine.workspace
    #expect(try ws.metrics(of: "latek").mape == (try ws.metrics(of: "late").mape))

    // The C library takes each step's covariates: int8 bit for bit with predict, float within 1e-5.
    if let cc = compiler() {
      let data = engine.workspace.datasets["promo"]!.windows
      // The promotion models read the calendar too (the date comes before the covariates).
      for (name, names, ahead, exact) in [
        ("q8", ["promo"], true, true), ("twoq8", ["price", "promo"], true, true), ("p50", ["promo"], true, false),
        ("late", ["promo"], false, false),
      ] {
        let input = covariateHarnessInput(data, names: names, ahead: ahead, dated: name != "twoq8")
        let c = try #require(try harnessForecasts(engine, name, dir: dir, cc: cc, input: input))
        expectAgreement(c, try predictedForecasts(engine, name, dir: dir), name: name, exact: exact)
      }
      // The linear model's C takes the forecast day's weekday and day of the year, then its covariates.
      let linearInput =
        data.test.map { w in
          let s = Int(w.series)
          let sales = (0..<data.lookback).map { String(data.raw[s][Int(w.start) + $0]) }
          let day = data.targetDay(w)
          let target = Int(w.start) + data.lookback
          let covariates = ["promo", "price"].map { String(data.covariates[s][data.covariateColumn($0)!][target]) }
          return (sales + ["\(CivilDate.weekday(day))", "\(CivilDate.dayOfYear(day))"] + covariates).joined(
            separator: " ")
        }.joined(separator: "\n") + "\n"
      for name in ["linpromo", "linq8"] {
        let c = try #require(try harnessForecasts(engine, name, dir: dir, cc: cc, input: linearInput))
        expectAgreement(c, try predictedForecasts(engine, name, dir: dir), name: name, exact: true)
      }
      let header = try String(contentsOfFile: dir + "/twoq8.h", encoding: .utf8)
      #expect(header.contains("#define twoq8_COVARIATES 2"), "\(header)")
      #expect(
        header.contains(
          "float twoq8_predict(const float sales[twoq8_LOOKBACK], const float covariates[twoq8_COVARIATE_ROWS]"),
        "\(header)")
    }

    // A 3-day head reads the covariates of its 3 forecast days (the last step's); its C takes
    // 14 + 2 rows.
    try engine.execute("window steps=3")
    try engine.execute("train kind=gru units=3 epochs=3 runs=1 seed=4 covariates=promo,price as week")
    try engine.execute("quantize week int8 as weekq8")
    let week = try #require(engine.workspace.models["weekq8"]?.replicas[0] as? ForecastModel)
    #expect(week.inputs.covariateDays == 3 && week.inputs.channels == 1 + 2 * 3)
    for container in ["json", "compact"] {
      try engine.execute("set container=\(container)")
      try engine.execute("export weekq8 to=week-\(container).tcm")
      try engine.execute("load model week-\(container).tcm as week-\(container)")
      #expect(engine.workspace.models["week-\(container)"]!.replicas[0].isIdentical(to: week), "\(container)")
    }
    if let cc = compiler() {
      let data = engine.workspace.datasets["promo"]!.windows
      let input = covariateHarnessInput(data, names: ["promo", "price"], ahead: true, dated: false, rows: 16)
      let c = try #require(try harnessForecasts(engine, "weekq8", dir: dir, cc: cc, input: input))
      expectAgreement(c, try predictedForecasts(engine, "weekq8", dir: dir), name: "weekq8", exact: true)
      let header = try String(contentsOfFile: dir + "/weekq8.h", encoding: .utf8)
      #expect(header.contains("#define weekq8_COVARIATE_ROWS 16"), "\(header)")
    }

    let session = try expectSavedSessionReplays(engine, dir: dir)
    #expect(
      session.contains(
        "load csv promo.csv covariates=promo,price date=day gaps=error item=sku items=1-10 sales=units store=shop "),
      "\(session)")
  }

  /// shrink gives its rich candidates the dataset's covariates: only they can beat a linear
  /// model of sales and calendar here, and the winner's commands read them. (Two years of days:
  /// the rich candidates' yearly harmonics need more than one to learn from.)
  @Test func theSearchReadsTheCovariates() throws {
    let (engine, dir, _) = makeEngine()
    writeFile(dir + "/promo.csv", promotionSalesCSV(days: 800))
    try engine.execute("load csv promo.csv date=day store=shop item=sku sales=units covariates=promo,price as promo")
    try engine.execute("train kind=gru units=8 epochs=2 runs=1 seed=1 as ref")
    try engine.execute("train kind=linear norm=level weekday=on loss=mae as rival")
    let out = try engine.execute("shrink ref budget=+50 beat=rival networks=off time=5m as small")
    #expect(out.contains("result: small = linear AR(14), level, weekday, 3 yearly harmonics, promo, price"), "\(out)")
    let small = try #require(engine.workspace.models["small"])
    #expect(small.lineage.contains { $0.contains("covariates=promo,price") }, "\(small.lineage)")
    var ws = engine.workspace
    let (smallMAPE, rivalMAPE) = (try ws.metrics(of: "small").mape, try ws.metrics(of: "rival").mape)
    #expect(smallMAPE < 0.7 * rivalMAPE, "\(smallMAPE) vs \(rivalMAPE)")
  }

  @Test func covariatesThatCannotBeHadAreRefusedInOneLine() throws {
    let (engine, dir, _) = makeEngine()
    writeFile(dir + "/promo.csv", promotionSalesCSV(days: 200))
    try engine.execute("load csv small.csv")
    #expect(
      errorText(engine, "train kind=gru units=2 covariates=promo")
        == "small has no covariate 'promo' (load the file with covariates=promo to read those columns)")
    #expect(
      errorText(engine, "train kind=gru units=2 ahead=off")?.hasPrefix("ahead= says when covariates are known")
        == true)
    #expect(
      errorText(engine, "train kind=linear covariates=promo")?.hasPrefix("small has no covariate 'promo'") == true)
    #expect(errorText(engine, "train kind=linear ahead=off")?.contains("not an option of kind=linear") == true)
    #expect(
      errorText(engine, "load demo covariates=promo")
        == "the demo data has only date, store, item and sales (column options and covariates= are for "
        + "'load csv PATH')")
    // A part the header has under no usual name: the header is shown, and how to name it.
    writeFile(dir + "/when.csv", "when,store,item,sales\n2015-01-01,1,1,3\n")
    #expect(
      errorText(engine, "load csv when.csv")
        == "when.csv:1:1: header has no column 'date' (expected a header like date,store,item,sales; found "
        + "'when,store,item,sales'; a file that names them otherwise loads with date=, store=, item=, sales= naming "
        + "its columns (store=none for a file of one store))")
    #expect(
      errorText(engine, "load csv promo.csv date=day store=shop item=sku sales=units covariates=discount")
        == "promo.csv:1:1: header has no column 'discount' for the covariates (the header has "
        + "day,shop,sku,units,promo,price)")
    // A model that reads a covariate cannot forecast data without it.
    try engine.execute("load csv promo.csv date=day store=shop item=sku sales=units covariates=promo as promo")
    try engine.execute("train kind=gru units=2 epochs=1 runs=1 seed=1 covariates=promo as g")
    try engine.execute("export g to=g.tcm")
    try engine.execute("use small")
    let refused = errorText(engine, "load model g.tcm as back")
    #expect(
      refused
        == "g.tcm cannot forecast small: it reads the covariate promo, which the dataset does not have (it "
        + "has none; load the file with covariates=promo)", "\(refused ?? "")")
    #expect(engine.workspace.models["back"] == nil)
  }
}
