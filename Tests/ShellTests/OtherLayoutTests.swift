// Files laid out otherwise than Kaggle's, as a user's arrive: columns under other names found
// without being told (and named in the record), a file of one series, stores and items named
// rather than numbered (M5's CA_1, FOODS_3_090) kept as names in what Tinycast writes.

import Foundation
import SalesData
import Shell
import TestSupport
import Testing
import TinycastCLI
import Workbench

@Suite struct OtherLayoutTests {
  /// `days` days from 2015-01-01 of `series` (store, item) pairs written as given, under `header`.
  func file(header: String, series: [(String, String)?], days: Int = 120) -> String {
    var lines = [header]
    for (k, s) in series.enumerated() {
      for d in 0..<days {
        let date = isoDate(16_436 + d)  // from 2015-01-01
        let sales = 5 + (d * 7 + 3 * k) % 11
        lines.append(([date] + (s.map { [$0.0, $0.1] } ?? []) + ["\(sales)"]).joined(separator: ","))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  @Test func columnsUnderOtherNamesAreFoundAndRecorded() throws {
    let (engine, dir, _) = makeEngine()
    writeFile(dir + "/shop.csv", file(header: "Day,Store_Nbr,SKU,Units", series: [("1", "3"), ("2", "3")]))
    let out = try engine.execute("load csv shop.csv")
    #expect(
      out.contains("2 series") && out.contains("columns: day as date, store_nbr as store, sku as item, units as sales"),
      "\(out)")
    // One series: no store, no item column at all.
    writeFile(dir + "/one.csv", file(header: "ds,y", series: [nil]))
    let one = try engine.execute("load csv one.csv")
    #expect(one.contains("1 series") && one.contains("no store column: one store, no item column: one item"), "\(one)")
    try engine.execute("train kind=linear as lin")
    // Two columns that could each be the sales: the user says which.
    writeFile(dir + "/two.csv", "date,store,item,units,qty\n2015-01-01,1,1,3,4\n")
    #expect(
      errorText(engine, "load csv two.csv")
        == "two.csv:1:1: header has no column 'sales', and 'units' and 'qty' could each be it (say which with "
        + "sales=COLUMN)")
    // The record names the columns found, so a replay does not look again.
    let saved = try expectSavedSessionReplays(engine, dir: dir)
    #expect(saved.contains("load csv shop.csv date=day gaps=error item=sku items=1-10 sales=units store=store_nbr "))
    #expect(saved.contains("load csv one.csv date=ds gaps=error item=none items=1-10 sales=y store=none "))
  }

  /// A point-of-sale export: a row per sale, returns as negative rows. Refused as it is (one
  /// line saying how), read with duplicates=sum negatives=zero, and replayed.
  @Test func aFileOfTransactions() throws {
    let (engine, dir, _) = makeEngine()
    var lines = ["date,store,item,sales"]
    for d in 0..<120 {
      for sale in 0..<(2 + d % 3) { lines.append("\(isoDate(16_436 + d)),1,1,\(1 + (d + sale) % 4)") }
      if d % 10 == 0 { lines.append("\(isoDate(16_436 + d)),1,1,-1") }
    }
    writeFile(dir + "/pos.csv", lines.joined(separator: "\n") + "\n")
    #expect(errorText(engine, "load csv pos.csv")?.contains("a file with returns loads with negatives=zero") == true)
    #expect(errorText(engine, "load csv pos.csv negatives=zero")?.contains("loads with duplicates=sum") == true)
    let out = try engine.execute("load csv pos.csv negatives=zero duplicates=sum")
    #expect(
      out.contains("120 rows") && out.contains("252 rows added to their day's, 12 negative sales read as 0"), "\(out)")
    let saved = try expectSavedSessionReplays(engine, dir: dir)
    #expect(saved.contains("load csv pos.csv duplicates=sum gaps=error items=1-10 negatives=zero "), "\(saved)")
  }

  /// A product launched late: its series is too short for the windows. Refused (the error says
  /// how to go on), or left out and named with short=skip; the rest loads, and the replay too.
  @Test func aSeriesTooShortIsLeftOutWhenAsked() throws {
    let (engine, dir, _) = makeEngine()
    var text = file(header: "date,store,item,sales", series: [("1", "1"), ("1", "2")])
    for d in 110..<120 { text += "\(isoDate(16_436 + d)),1,3,\(4 + d % 3)\n" }
    writeFile(dir + "/launch.csv", text)
    let refused = errorText(engine, "load csv launch.csv")
    #expect(
      refused?.hasPrefix("store 1 item 3 has 10 days, too short for lookback 14") == true
        && refused?.contains("load with short=skip to leave such series out") == true, "\(refused ?? "")")
    let out = try engine.execute("load csv launch.csv short=skip")
    #expect(
      out.contains("2 series") && out.contains("1 series too short for the windows left out: store 1 item 3 (10 days)"),
      "\(out)")
    try engine.execute("train kind=linear as lin")
    let saved = try expectSavedSessionReplays(engine, dir: dir)
    #expect(saved.contains(" short=skip "), "\(saved)")
  }

  @Test func namedStoresAndItemsKeepTheirNames() throws {
    let (engine, dir, _) = makeEngine()
    let series = [
      ("CA_10", "FOODS_3_090"), ("CA_2", "FOODS_3_090"), ("CA_1", "HOBBIES_1_001"), ("CA_2", "HOBBIES_1_001"),
    ]
    writeFile(dir + "/m5.csv", file(header: "date,store_id,item_id,sales", series: series))
    let out = try engine.execute("load csv m5.csv stores=all items=all")
    // Numbered in the order of the names, numbers within them as numbers: CA_2 before CA_10.
    #expect(
      out.contains("named stores 1=CA_1, 2=CA_2, 3=CA_10; items 1=FOODS_3_090, 2=HOBBIES_1_001"), "\(out)")
    try engine.execute("train kind=linear as lin")
    try engine.execute("predict lin to=p.csv")
    let rows = try String(contentsOfFile: dir + "/p.csv", encoding: .utf8).split(separator: "\n")
    let stores = Set(rows.dropFirst().map { $0.split(separator: ",")[0] })
    #expect(stores == ["CA_1", "CA_2", "CA_10"], "\(stores)")
    #expect(rows[1].hasPrefix("CA_1,HOBBIES_1_001,"), "\(rows[1])")
    // stores= selects by those numbers.
    let two = try engine.execute("load csv m5.csv stores=2 items=1 as two")
    #expect(two.contains("1 series") && two.contains("named stores 2=CA_2; items 1=FOODS_3_090"), "\(two)")
    // A duplicate row names the series by its names.
    writeFile(dir + "/dup.csv", "date,store_id,item_id,sales\n2015-01-01,CA_1,X,1\n2015-01-01,CA_1,X,2\n")
    #expect(errorText(engine, "load csv dup.csv")?.hasPrefix("dup.csv:3: duplicate row for store CA_1 item X") == true)
  }
}

@Suite struct SaveDataTests {
  /// `save data` writes a dataset as the CSV `load csv` reads: loaded back, the same series,
  /// names and covariates to the last bit, for the demo data and a file with named stores and a
  /// promotion column.
  @Test func savedDataLoadsBackTheSame() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load demo")
    #expect(try engine.execute("save data demo.csv").contains("91300 rows of demo (50 series)"))
    try engine.execute("load csv demo.csv as back")
    #expect(engine.workspace.datasets["back"]!.dataset.series == engine.workspace.datasets["demo"]!.dataset.series)
    writeFile(
      dir + "/named.csv",
      "date,store,item,sales,promo\n"
        + (0..<40).map { d in
          "\(CivilDate.format(16_000 + d)),CA_1,FOODS_1,\(Double(d % 7) + 0.25),\(d % 5 == 0 ? 1 : 0)"
        }.joined(separator: "\n") + "\n")
    try engine.execute("load csv named.csv covariates=promo as named")
    try engine.execute("save data named-out.csv")
    try engine.execute("load csv named-out.csv covariates=promo as named2")
    #expect(engine.workspace.datasets["named2"]!.dataset.series == engine.workspace.datasets["named"]!.dataset.series)
  }
}

@Suite struct SpreadsheetDateTests {
  /// A US spreadsheet's export (1/31/2015, a time after it): the load line says how its dates
  /// were read, the record says so too, and the session replays.
  @Test func monthFirstDatesAreFoundRecordedAndReplayed() throws {
    let (engine, dir, _) = makeEngine()
    var lines = ["Date,Store,Item,Sales"]
    for d in 0..<120 {
      let (y, m, day) = CivilDate.components(16_436 + d)
      lines.append("\(m)/\(day)/\(y) 0:00,1,1,\(5 + (d * 7) % 11)")
    }
    writeFile(dir + "/us.csv", lines.joined(separator: "\n") + "\n")
    let out = try engine.execute("load csv us.csv")
    #expect(
      out.contains("120 rows, days 2015-01-01 to 2015-04-30; dates month first (M/D/YYYY)"), "\(out)")
    try engine.execute("train kind=linear as lin")
    let saved = try expectSavedSessionReplays(engine, dir: dir)
    #expect(saved.contains("load csv us.csv dateorder=mdy gaps=error "), "\(saved)")
    // Too few days to tell: the error says how to go on, and dateorder= does.
    writeFile(dir + "/week.csv", lines.prefix(11).joined(separator: "\n") + "\n")
    #expect(errorText(engine, "load csv week.csv")?.contains("load with dateorder=mdy or dateorder=dmy") == true)
    #expect(errorText(engine, "load csv week.csv dateorder=mdy as w")?.contains("too short") == true)
  }
}
