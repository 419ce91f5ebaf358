import SalesData
import TestSupport
import Testing

func parse(_ text: String) throws(DataError) -> SalesTable {
  try SalesCSV.parse(bytes: Array(text.utf8), path: "t.csv")
}

func error(_ text: String) -> DataError? {
  do {
    _ = try parse(text)
    return nil
  } catch { return error }
}

@Suite struct CSVTests {
  @Test func readsRowsAnyColumnOrderCRLFAndBOM() throws {
    let t = try parse("\u{FEFF}id,sales,item,store,date\r\n0,13,1,1,2013-01-01\r\n1,11.5,1,1,2013-01-02\r\n")
    #expect(t.count == 2)
    #expect(t.sales == [13, 11.5])
    #expect(t.line == [2, 3])
    #expect(t.day[1] - t.day[0] == 1)
  }

  /// Each malformed row names its file, line and column.
  @Test(arguments: [
    (
      "date,store,item,sales\n2013-01-01,1,1\n",
      "t.csv:2:1: expected 4 fields, found 3 (the header has 4 columns: date,store,item,sales)"
    ),
    (
      "date,store,item,sales\n2013-01-01,1,1,5,9\n",
      "t.csv:2:1: expected 4 fields, found 5 (the header has 4 columns: date,store,item,sales)"
    ),
    ("date,store,item,sales\n2013-02-30,1,1,5\n", "t.csv:2:1: date '2013-02-30' is not a valid YYYY-MM-DD date"),
    (
      "date,store,item,sales\n01/02/2013,1,1,5\n",
      "t.csv:2:1: date '01/02/2013' could be 2013-01-02 (month first) or 2013-02-01 (day first) (no date in the "
        + "file has a number past 12 to tell which is the day; load with dateorder=mdy or dateorder=dmy)"
    ),
    (
      "date,store,item,sales\n2013-01-01,1,1,5\n2013-01-02,x,1,5\n",
      "t.csv:3:12: store 'x' is not a whole number (the column's first row has a whole number, so every row needs one)"
    ),
    (
      "date,store,item,sales\n2013-01-01,1,1,5\n2013-01-02,1,1.5,5\n",
      "t.csv:3:14: item '1.5' is not a whole number (the column's first row has a whole number, so every row needs one)"
    ),
    ("date,store,item,sales\n2013-01-01,1,1,abc\n", "t.csv:2:16: sales 'abc' is not a number"),
    (
      "date,store,item,sales\n2013-01-01,1,1,-3\n",
      "t.csv:2:16: sales -3 is negative (sales are unit counts; a file with returns loads with negatives=zero)"
    ),
    ("date,store,item,sales\n2013-01-01,1,1,nan\n", "t.csv:2:16: sales 'nan' is not a finite number"),
    (
      "date,store,item\n2013-01-01,1,1\n",
      "t.csv:1:1: header has no column 'sales' (expected a header like date,store,item,sales; found 'date,store,item'; "
        + "a file that names them otherwise loads with date=, store=, item=, sales= naming its columns (store=none "
        + "for a file of one store))"
    ),
    ("", "t.csv:1: empty file, expected a header line date,store,item,sales"),
    ("date,store,item,sales\n", "t.csv:1: no data rows after the header"),
  ])
  func malformedInputNamesThePlace(text: String, expected: String) {
    #expect(error(text)?.description == expected)
  }

  /// Another retailer's layout: columns named otherwise (any case), no store column, covariates
  /// as numbers, flags and empty fields.
  @Test func otherColumnNamesAndCovariates() throws {
    var columns = CSVColumns()
    columns.date = "Day"
    columns.store = nil
    columns.item = "sku"
    columns.sales = "units"
    columns.covariates = ["onpromotion", "price"]
    let text = """
      sku,Day,units,OnPromotion,price,note
      7,2016-03-01,2.5,False,1.99,x
      7,2016-03-02,0,TRUE,,y
      7,2016-03-03,4,yes,-0.5,z

      """
    let t = try SalesCSV.parse(bytes: Array(text.utf8), path: "r.csv", columns: columns)
    #expect(t.count == 3 && t.store == [1, 1, 1] && t.item == [7, 7, 7] && t.sales == [2.5, 0, 4])
    #expect(t.covariateNames == ["onpromotion", "price"])
    #expect(t.covariates[0] == [0, 1, 1])
    #expect(t.covariates[1][0] == 1.99 && t.covariates[1][1].isNaN && t.covariates[1][2] == -0.5)

    func failure(_ text: String, _ columns: CSVColumns) -> String? {
      do {
        _ = try SalesCSV.parse(bytes: Array(text.utf8), path: "r.csv", columns: columns)
        return nil
      } catch { return error.description }
    }
    #expect(
      failure("sku,Day,units,onpromotion,price\n7,2016-03-01,2,maybe,1\n", columns)
        == "r.csv:2:16: onpromotion 'maybe' is not a number (a covariate is a number, true/false or yes/no, "
        + "or empty when unknown)")
    #expect(
      failure("sku,Day,units,onpromotion,price\n7,2016-03-01,2,1,inf\n", columns)
        == "r.csv:2:18: price 'inf' is not a finite number (a covariate is a number, true/false or yes/no, "
        + "or empty when unknown)")
    var twice = columns
    twice.covariates = ["units"]
    #expect(
      failure("sku,Day,units\n7,2016-03-01,2\n", twice)
        == "r.csv:1:1: column 'units' is asked to play two parts (date, store, item, sales and each covariate need "
        + "a column of their own)")
    #expect(
      failure("sku,date,units\n7,2016-03-01,2\n", columns)
        == "r.csv:1:1: header has no column 'day' (expected a header like day,sku,units; found 'sku,date,units')")
  }

  /// Exports from elsewhere: semicolons with decimal commas, tabs, every field quoted, dates
  /// with a time after them, slashes in dates.
  @Test func filesExportedElsewhere() throws {
    let semicolons = try parse("date;store;item;sales\n2013-01-01;1;2;12,5\n2013/01/02;1;2;3\n")
    #expect(semicolons.count == 2 && semicolons.sales == [12.5, 3] && semicolons.item == [2, 2])
    #expect(semicolons.day[1] - semicolons.day[0] == 1)
    let tabs = try parse("date\tstore\titem\tsales\n2013-01-01T00:00:00\t1\t1\t4\n")
    #expect(tabs.count == 1 && tabs.sales == [4])
    let quoted = try parse("\"date\",\"store\",\"item\",\"sales\"\n\"2013-01-01 00:00:00\",\"3\",\"4\",\"7.25\"\n")
    #expect(quoted.count == 1 && quoted.store == [3] && quoted.item == [4] && quoted.sales == [7.25])
    // What stays an error: a date that could be read two ways, a time glued to the day.
    #expect(
      error("date,store,item,sales\n01/02/2013,1,1,5\n")?.message
        == "date '01/02/2013' could be 2013-01-02 (month first) or 2013-02-01 (day first)")
    #expect(error("date,store,item,sales\n2013-01-0112:00,1,1,5\n") != nil)
    #expect(
      error("date;store;item;sales\n2013-01-01;1;1;5;6\n")?.description.contains("expected 4 fields, found 5") == true)
  }

  @Test func missingFileIsAClearError() {
    #expect(throws: DataError.self) { try SalesCSV.read(path: "/nonexistent/x.csv", displayPath: "x.csv") }
    do { _ = try SalesCSV.read(path: "/nonexistent/x.csv", displayPath: "x.csv") } catch {
      #expect(error.description.hasPrefix("x.csv: no such file"))
    }
  }
}

@Suite struct SeriesTests {
  let header = "date,store,item,sales\n"

  @Test func duplicateRowsAreRejectedWithBothLines() {
    let text = header + "2013-01-01,1,1,5\n2013-01-02,1,1,6\n2013-01-02,1,1,7\n"
    #expect(throws: DataError.self) {
      try SalesDataset.assemble(try parse(text), stores: .all, items: .all, gaps: .error)
    }
    do { _ = try SalesDataset.assemble(try parse(text), stores: .all, items: .all, gaps: .error) } catch {
      #expect(
        error.description
          == "t.csv:4: duplicate row for store 1 item 1 on 2013-01-02 (also on line 3) (a file of transactions loads "
          + "with duplicates=sum, which adds a day's rows)")
    }
  }

  /// A file of transactions: a day's rows summed, the last covariate kept; returns as no sale.
  @Test func transactionsAreSummedAndReturnsZeroed() throws {
    var columns = CSVColumns()
    columns.covariates = ["promo"]
    let text =
      header.dropLast() + ",promo\n2013-01-01,1,1,5,0\n2013-01-01,1,1,-2,\n2013-01-02,1,1,6,1\n"
      + "2013-01-02,1,1,1.5,0\n2013-01-02,1,1,2,\n"
    #expect(throws: DataError.self) { try SalesCSV.parse(bytes: Array(text.utf8), path: "t.csv", columns: columns) }
    let table = try SalesCSV.parse(bytes: Array(text.utf8), path: "t.csv", columns: columns, negatives: .zero)
    #expect(table.zeroedNegatives == 1 && table.sales == [5, 0, 6, 1.5, 2])
    let d = try SalesDataset.assemble(table, stores: .all, items: .all, gaps: .error, duplicates: .sum)
    #expect(d.series[0].values == [5, 9.5] && d.series[0].summedRows == 3)
    #expect(d.series[0].covariates[0] == [0, 0])
  }

  @Test func gapsAreErrorsUnlessFilledWithZero() throws {
    let text = header + "2013-01-01,1,1,5\n2013-01-04,1,1,6\n2013-01-05,1,1,7\n"
    do {
      _ = try SalesDataset.assemble(try parse(text), stores: .all, items: .all, gaps: .error)
      Issue.record("no error")
    } catch {
      #expect(error.description.hasPrefix("t.csv:3: store 1 item 1 has no row for 2013-01-02 to 2013-01-03"))
    }
    let filled = try SalesDataset.assemble(try parse(text), stores: .all, items: .all, gaps: .zero)
    #expect(filled.series[0].values == [5, 0, 0, 6, 7])
    #expect(filled.series[0].filledDays == 2)
  }

  /// A missing covariate (an empty field, or a day gaps=zero fills) takes the series' value
  /// before it; leading ones take the first known value; a series that never has one, 0.
  @Test func missingCovariatesAreCarriedForward() throws {
    var columns = CSVColumns()
    columns.covariates = ["price", "promo"]
    let text = """
      date,store,item,sales,price,promo
      2013-01-01,1,1,5,,0
      2013-01-02,1,1,6,2.5,1
      2013-01-05,1,1,7,,0
      2013-01-06,1,1,8,3,
      2013-01-01,2,1,5,,
      2013-01-02,2,1,5,,

      """
    let d = try SalesDataset.assemble(
      try SalesCSV.parse(bytes: Array(text.utf8), path: "t.csv", columns: columns), stores: .all, items: .all,
      gaps: .zero)
    #expect(d.covariateNames == ["price", "promo"])
    #expect(d.series[0].values == [5, 6, 0, 0, 7, 8])
    #expect(d.series[0].covariates[0] == [2.5, 2.5, 2.5, 2.5, 2.5, 3])
    #expect(d.series[0].covariates[1] == [0, 1, 1, 1, 0, 0])
    #expect(d.series[0].filledCovariates == 1 + 2 + 1 + 2 + 1)
    #expect(d.series[1].covariates == [[0, 0], [0, 0]] && d.series[1].filledCovariates == 4)
    // The windows keep them per series, and fit each one's min-max scaler on training days only.
    let windows = try WindowedData(
      dataset: SalesDataset(
        source: "t",
        series: [
          DailySeries(
            store: 1, item: 1, startDay: 0, values: Array(repeating: 1, count: 100),
            covariates: [(0..<100).map { Float($0) }])
        ], covariateNames: ["trend"]),
      config: WindowConfig())
    #expect(windows.covariateColumn("trend") == 0 && windows.covariateColumn("price") == nil)
    let trainDays = windows.seriesInfo[0].trainDays
    #expect(windows.covariateScalers[0].offset == 0 && windows.covariateScalers[0].factor == 1 / Float(trainDays - 1))
  }

  @Test func unsortedRowsAreOrderedAndSelectionFilters() throws {
    let text = header + "2013-01-02,2,1,6\n2013-01-01,2,1,5\n2013-01-01,1,1,9\n2013-01-02,1,1,9\n"
    let d = try SalesDataset.assemble(try parse(text), stores: try IDSelection(parsing: "2"), items: .all, gaps: .error)
    #expect(d.series.count == 1)
    #expect(d.series[0].values == [5, 6])
    #expect(throws: DataError.self) {
      try SalesDataset.assemble(try parse(text), stores: try IDSelection(parsing: "3-4"), items: .all, gaps: .error)
    }
  }

  @Test(arguments: [
    ("1-5", "1-5", [1, 2, 3, 4, 5]), ("1,3,7-9", "1,3,7-9", [1, 3, 7, 8, 9]), ("3,1,2", "1-3", [1, 2, 3]),
  ])
  func selections(text: String, canonical: String, ids: [Int]) throws {
    let s = try IDSelection(parsing: text)
    #expect(s.description == canonical)
    #expect(s.ids == ids)
  }

  @Test(arguments: ["", "1-", "a", "5-1", "1,,2"])
  func badSelections(text: String) {
    #expect(throws: DataError.self) { try IDSelection(parsing: text) }
  }
}

@Suite struct WindowTests {
  /// Kaggle's shape: 1,826 days -> 1,812 windows: 1,304 fit + 145 validation, 363 test.
  @Test func kaggleShapedSplit() throws {
    let values = (0..<1826).map { Float($0 % 50) }
    let d = SalesDataset(source: "x", series: [DailySeries(store: 1, item: 1, startDay: 15_706, values: values)])
    let w = try WindowedData(dataset: d, config: WindowConfig())
    #expect(w.fit.count == 1304)
    #expect(w.validation.count == 145)
    #expect(w.test.count == 363)
    #expect(w.fit.count + w.validation.count == 1449)
    // Time order: every validation window precedes every test window.
    #expect(w.validation.last!.start < w.test.first!.start)
    #expect(w.target(w.test[0]) == w.scaler.scale(values[1449 + 14]))
  }

  /// Seven days per window on Kaggle's shape: training windows' last targets fall before the
  /// test period, test windows' first targets in it, and every target is in the series. The
  /// scaler and the first test day are the one-day windows'.
  @Test func multiDayWindowsSplitAtTheSameDay() throws {
    let values = (0..<1826).map { Float($0 % 50) }
    let d = SalesDataset(source: "x", series: [DailySeries(store: 1, item: 1, startDay: 15_706, values: values)])
    let one = try WindowedData(dataset: d, config: WindowConfig())
    var config = WindowConfig()
    config.steps = 7
    let w = try WindowedData(dataset: d, config: config)
    #expect(w.fit.count + w.validation.count == 1449 - 6 && w.validation.count == 145)
    #expect(w.test.count == 363 - 6)
    #expect(w.scaler == one.scaler)
    let testStart = 1449 + 14
    let lastTrain = w.validation.last!
    #expect(Int(lastTrain.start) + 14 + 6 == testStart - 1)
    #expect(w.targetDay(w.test[0]) == one.targetDay(one.test[0]))
    #expect(Int(w.test.last!.start) + 14 + 6 == values.count - 1)
    for step in 0..<7 {
      #expect(w.target(w.test[0], step: step) == w.scaler.scale(values[testStart + step]))
      #expect(w.actual(w.test[5], step: step) == values[testStart + 5 + step])
    }
    // Seen a step further ahead: the same windows, one day each, targets `step` days later.
    let third = w.shifted(toStep: 2)
    #expect(third.steps == 1 && third.test == w.test && third.actual(w.test[0]) == values[testStart + 2])
    config.steps = 0
    #expect(throws: DataError.self) { try WindowedData(dataset: d, config: config) }
  }

  /// The scaler sees only the days the training windows touch: changing test days changes nothing.
  @Test func scalerNeverSeesTestData() throws {
    var values = (0..<300).map { Float(10 + $0 % 7) }
    let d1 = SalesDataset(source: "x", series: [DailySeries(store: 1, item: 1, startDay: 0, values: values)])
    let w1 = try WindowedData(dataset: d1, config: WindowConfig())
    let trainDays = w1.seriesInfo[0].trainDays
    for k in trainDays..<300 { values[k] = 1000 }
    let d2 = SalesDataset(source: "x", series: [DailySeries(store: 1, item: 1, startDay: 0, values: values)])
    let w2 = try WindowedData(dataset: d2, config: WindowConfig())
    #expect(w1.scaler == w2.scaler)
    values[trainDays - 1] = 1000
    let d3 = SalesDataset(source: "x", series: [DailySeries(store: 1, item: 1, startDay: 0, values: values)])
    #expect(try WindowedData(dataset: d3, config: WindowConfig()).scaler != w1.scaler)
  }

  /// One test period per dataset: whatever the lookback and horizon, the test targets are the
  /// same days (the article's 363 per Kaggle-shaped series) and the scaler sees the same days.
  @Test func everyWindowIsScoredOnTheSameTestDays() throws {
    let series = (0..<3).map { k in
      DailySeries(store: 1, item: k + 1, startDay: 15_706, values: (0..<1826).map { Float(($0 * (k + 3)) % 41) })
    }
    let d = SalesDataset(source: "x", series: series)
    let reference = try WindowedData(dataset: d, config: WindowConfig())
    func days(_ w: WindowedData) -> [[Int]] {
      (0..<3).map { s in w.test.filter { $0.series == s }.map { w.targetDay($0) } }
    }
    #expect(reference.test.count == 3 * 363)
    for (lookback, horizon) in [(7, 1), (28, 1), (56, 1), (112, 1), (14, 3), (56, 7)] {
      var config = WindowConfig()
      config.lookback = lookback
      config.horizon = horizon
      let w = try WindowedData(dataset: d, config: config)
      #expect(days(w) == days(reference), "lookback \(lookback), horizon \(horizon)")
      #expect(w.scaler == reference.scaler)
      #expect(w.seriesInfo.map(\.trainDays) == reference.seriesInfo.map(\.trainDays))
      // Every training window's target comes before the first test day.
      let firstTestDay = reference.targetDay(reference.test[0])
      #expect(w.fit.filter { $0.series == 0 }.allSatisfy { w.targetDay($0) < firstTestDay })
      #expect(w.validation.filter { $0.series == 0 }.allSatisfy { w.targetDay($0) < firstTestDay })
    }
  }

  @Test func tooShortSeriesIsAnError() {
    let d = SalesDataset(source: "x", series: [DailySeries(store: 1, item: 1, startDay: 0, values: [1, 2, 3])])
    #expect(throws: DataError.self) { try WindowedData(dataset: d, config: WindowConfig()) }
  }
}

@Suite struct DemoDataTests {
  @Test func hasTheKaggleShapeAndIsDeterministic() throws {
    let t = DemoData.table()
    #expect(t.count == 913_000)
    let d = try SalesDataset.assemble(t, stores: .all, items: .all, gaps: .error)
    #expect(d.series.count == 500)
    #expect(d.series.allSatisfy { $0.values.count == 1826 })
    let mean = t.sales.reduce(0.0) { $0 + Double($1) } / Double(t.count)
    #expect(mean > 35 && mean < 75, "mean daily sales \(mean)")
    #expect(DemoData.table().sales == t.sales)
  }
}

@Suite struct DateTests {
  @Test func roundTripsAndKnownDays() {
    #expect(CivilDate.dayNumber(year: 1970, month: 1, day: 1) == 0)
    #expect(CivilDate.dayNumber(year: 2013, month: 1, day: 1) == 15_706)
    #expect(CivilDate.format(15_706 + 1825) == "2017-12-31")
    #expect(CivilDate.weekday(15_706) == 1)  // 2013-01-01 was a Tuesday
    for d in stride(from: -1000, to: 30_000, by: 37) { #expect(CivilDate.parse(Substring(CivilDate.format(d))) == d) }
    #expect(CivilDate.dayNumber(year: 2016, month: 2, day: 29) != nil)
    #expect(CivilDate.dayNumber(year: 2017, month: 2, day: 29) == nil)
  }
}

@Suite struct DemandProfileTests {
  @Test func classifiesBySyntetosAndBoylan() throws {
    // Series A: a sale every other day, sizes 2 and 6 alternating (ADI 2, CV^2 0.25):
    // intermittent. Series B: every day 5 (ADI 1, CV^2 0). The mean over series: ADI 1.5,
    // CV^2 0.125: intermittent.
    let a = (0..<200).map { d -> Float in d % 2 == 1 ? 0 : (d % 4 == 0 ? 2 : 6) }
    let b = [Float](repeating: 5, count: 200)
    let d = SalesDataset(
      source: "x",
      series: [
        DailySeries(store: 1, item: 1, startDay: 0, values: a), DailySeries(store: 1, item: 2, startDay: 0, values: b),
      ])
    let w = try WindowedData(dataset: d, config: WindowConfig())
    let p = DemandProfile(w)
    #expect(p.zeroShare == 0.25 && p.adi == 1.5 && p.cv2 == 0.125)
    #expect(p.pattern == .intermittent)
    // Half of series A's test targets are zero: a quarter of all of them.
    #expect(abs(p.testZeroShare - 0.25) < 0.01 && p.mapeMisleads)
    let smooth = DemandProfile(
      try WindowedData(
        dataset: SalesDataset(source: "y", series: [DailySeries(store: 1, item: 1, startDay: 0, values: b)]),
        config: WindowConfig()))
    #expect(smooth.pattern == .smooth && !smooth.mapeMisleads && smooth.zeroShare == 0)
  }
}

@Suite struct CSVProblemsTests {
  /// Every bad row at once, each with its line, in one message: the first in full.
  @Test func everyProblemIsReportedAtOnce() {
    let text =
      "date,store,item,sales\n2015-01-01,1,1,3\n2015-01-02,1,1,abc\n2015-01-03,1,x,4\n2015-01-04,1,1,5\n"
      + "2015-13-05,1,1,2\n"
    do {
      _ = try SalesCSV.parse(bytes: Array(text.utf8), path: "bad.csv")
      Issue.record("a bad file was accepted")
    } catch {
      #expect(error.location == SourceLocation(path: "bad.csv", line: 3, column: 16))
      #expect(error.message == "sales 'abc' is not a number")
      #expect(
        error.hint == "2 more: line 4: item 'x' is not a whole number; line 6: date '2015-13-05' is not a valid "
          + "YYYY-MM-DD date", "\(error)")
      #expect(!error.description.contains("\n"))
    }
    // Beyond 20 problems, the rest are counted.
    let many =
      "date,store,item,sales\n"
      + (1...25).map { "2015-01-\(String(format: "%02d", $0)),1,1,-1" }.joined(separator: "\n")
    do {
      _ = try SalesCSV.parse(bytes: Array(many.utf8), path: "many.csv")
      Issue.record("a bad file was accepted")
    } catch {
      #expect(error.hint?.hasSuffix("; and 5 more") == true, "\(error)")
      #expect(
        error.hint?.hasPrefix(
          "sales are unit counts; a file with returns loads with negatives=zero; 24 more: line 3: sales -1 is negative")
          == true, "\(error)")
    }
  }
}

@Suite struct DateOrderTests {
  /// Two series of `days` days from 2015-01-01 with each date written by `write`.
  func file(days: Int = 40, _ write: (Int, Int, Int) -> String) -> String {
    var lines = ["date,store,item,sales"]
    for store in 1...2 {
      for d in 0..<days {
        let (y, m, day) = CivilDate.components(16_436 + d)
        lines.append("\(write(y, m, day)),\(store),1,\(d % 7)")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  func parse(_ text: String, _ order: DateOrder = .auto) throws(DataError) -> SalesTable {
    try SalesCSV.parse(bytes: Array(text.utf8), path: "d.csv", dateOrder: order)
  }

  func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

  /// Every way of writing the dates below reads as the ISO file does, day for day.
  @Test func spreadsheetDatesReadAsTheISOOnes() throws {
    let iso = try parse(file { y, m, d in "\(y)-\(two(m))-\(two(d))" })
    #expect(iso.dateOrder == .ymd && iso.day.first == 16_436 && iso.day.last == 16_436 + 39)
    let written: [(DateOrder, (Int, Int, Int) -> String)] = [
      (.mdy, { y, m, d in "\(m)/\(d)/\(y)" }),  // a US spreadsheet
      (.dmy, { y, m, d in "\(two(d)).\(two(m)).\(y)" }),  // much of Europe
      (.dmy, { y, m, d in "\(d)/\(m)/\(y % 100) 00:00" }),  // two-digit years, with a time
      (.mdy, { y, m, d in "\(two(m))-\(two(d))-\(y)T00:00:00" }),
      (.ymd, { y, m, d in "\(y)\(two(m))\(two(d))" }),  // YYYYMMDD
      (.ymd, { y, m, d in "\(y)/\(m)/\(d)" }),  // year first without the zeros
    ]
    for (order, write) in written {
      let table = try parse(file(write))
      #expect(table.day == iso.day && table.dateOrder == order, "\(write(2015, 1, 2))")
      // Said rather than told, the same days.
      if order != .ymd { #expect(try parse(file(write), order).day == iso.day) }
    }
  }

  @Test func aFileWhoseDatesCannotTellIsAskedWhich() throws {
    // Twelve days: no number past 12, so 1/2/2015 could be either day.
    let short = file(days: 12) { y, m, d in "\(m)/\(d)/\(y)" }
    do {
      _ = try parse(short)
      Issue.record("an ambiguous file was read")
    } catch {
      #expect(error.location == SourceLocation(path: "d.csv", line: 3, column: 1))
      #expect(error.message == "date '1/2/2015' could be 2015-01-02 (month first) or 2015-02-01 (day first)")
      #expect(error.hint?.contains("load with dateorder=mdy or dateorder=dmy") == true)
    }
    #expect(try parse(short, .mdy).day.prefix(12) == ArraySlice((16_436..<16_448).map { Int32($0) }))
    #expect(try parse(short, .dmy).day[1] == Int32(CivilDate.dayNumber(year: 2015, month: 2, day: 1)!))
  }

  @Test func datesThatDisagreeOrDoNotExistAreNamed() throws {
    // Month first throughout, but line 32 (store 1, 30 January) written day first.
    let mixed = file { y, m, d in m == 1 && d == 30 ? "30/1/\(y)" : "\(m)/\(d)/\(y)" }
      .replacingOccurrences(of: "30/1/2015,2,", with: "1/30/2015,2,")
    do {
      _ = try parse(mixed)
      Issue.record("dates in two orders were read")
    } catch {
      #expect(error.location == SourceLocation(path: "d.csv", line: 31, column: 1), "\(error)")
      #expect(error.message == "date '30/1/2015' puts the day first, but line 14's '1/13/2015' puts the month first")
    }
    // Read as asked, the one that does not fit is reported where it is.
    do {
      _ = try parse(mixed, .mdy)
      Issue.record("30/1/2015 was read month first")
    } catch {
      #expect(error.location?.line == 31 && error.message == "date '30/1/2015' is not a valid M/D/YYYY date")
    }
    let missing = file { y, m, d in m == 2 && d == 5 ? "2/30/\(y)" : "\(m)/\(d)/\(y)" }
    do {
      _ = try parse(missing)
      Issue.record("2/30/2015 was read")
    } catch {
      #expect(error.location?.line == 37 && error.message == "date '2/30/2015' is not a valid M/D/YYYY date")
      #expect(error.hint == "1 more: line 77: date '2/30/2015' is not a valid M/D/YYYY date", "\(error)")
    }
    // ISO only when asked, and text that is no date at all.
    #expect(throws: DataError.self) { try parse(file { y, m, d in "\(m)/\(d)/\(y)" }, .ymd) }
    for bad in ["0/5/2015", "5/0/2015", "1/2/201", "1/2-2015", "1/2/2015x", "13/13/2015", "soon"] {
      let text = "date,store,item,sales\n\(bad),1,1,3\n"
      do {
        _ = try parse(text)
        Issue.record("'\(bad)' was read as a date")
      } catch {
        #expect(error.location?.line == 2 && error.message.hasPrefix("date '\(bad)' is not a valid "), "\(error)")
      }
    }
  }
}

@Suite struct QuotedFieldTests {
  func parse(_ text: String, columns: CSVColumns = .standard) throws(DataError) -> SalesTable {
    try SalesCSV.parse(bytes: Array(text.utf8), path: "q.csv", columns: columns)
  }

  /// A product's description may hold the delimiter, quotes and line breaks (RFC 4180); a quote
  /// inside an unquoted field is text.
  @Test func quotedFieldsHoldDelimitersQuotesAndLineBreaks() throws {
    let text =
      "date,store,item,description,sales\r\n"
      + "2015-01-01,1,\"Milk, 1L \"\"fresh\"\"\",\"the dairy, aisle 3\",4\r\n"
      + "2015-01-02,1,\"Milk, 1L \"\"fresh\"\"\",\"two\r\nlines\",\"5\"\r\n"
      + "2015-01-01,1,12\" pizza,plain,6\r\n"
      + "2015-01-02,1,12\" pizza,\"\",\"7.5\"\r\n"
    let table = try parse(text)
    #expect(table.count == 4 && table.sales == [4, 5, 6, 7.5])
    #expect(table.itemLabels == ["12\" pizza", "Milk, 1L \"fresh\""], "\(table.itemLabels ?? [])")
    #expect(table.item == [2, 2, 1, 1] && table.day == [16_436, 16_437, 16_436, 16_437])
    // Lines go on counting through the line break inside a field.
    #expect(table.line == [2, 3, 5, 6])
    do {
      _ = try parse(text + "2015-01-03,1,12\" pizza,x,abc\n")
      Issue.record("a bad row was read")
    } catch {
      #expect(error.location == SourceLocation(path: "q.csv", line: 7, column: 26), "\(error)")
    }
  }

  @Test func aQuoteNeverClosedIsNamed() {
    let text = "date,store,item,sales\n2015-01-01,1,1,3\n2015-01-02,1,\"1,4\n2015-01-03,1,1,5\n"
    do {
      _ = try parse(text)
      Issue.record("an unclosed quote was read")
    } catch {
      #expect(error.location == SourceLocation(path: "q.csv", line: 3, column: 14))
      #expect(error.message == "a double quote opens a field that is never closed")
    }
  }

  /// "1,234": thousands in a comma-separated file, as a US spreadsheet formats them.
  @Test func salesWithThousandsSeparators() throws {
    let table = try parse("date,store,item,sales\n2015-01-01,1,1,\"1,234\"\n2015-01-02,1,1,\"12,345.5\"\n")
    #expect(table.sales == [1234, 12_345.5])
    for bad in ["1,23", "1,2345", ",123", "1,,234", "1.234,5"] {
      #expect(throws: DataError.self, "\(bad)") { try parse("date,store,item,sales\n2015-01-01,1,1,\"\(bad)\"\n") }
    }
    // With a decimal comma (semicolons), the comma is the decimal point.
    #expect(try parse("date;store;item;sales\n2015-01-01;1;1;\"1,5\"\n").sales == [1.5])
  }
}

@Suite struct MissingSalesTests {
  /// NA or an empty field: a missing day. An error that says how to go on, or with gaps=zero
  /// the row is left out and its day filled with zero, as a day without a row is.
  @Test func aMissingSalesFigureIsAMissingDay() throws {
    var lines = ["date,store,item,sales"]
    for d in 0..<30 { lines.append("\(isoDate(16_436 + d)),1,1,\(d == 10 ? "NA" : d == 11 ? "" : "\(d % 5)")") }
    let text = lines.joined(separator: "\n") + "\n"
    do {
      _ = try SalesCSV.parse(bytes: Array(text.utf8), path: "m.csv")
      Issue.record("a missing figure was read")
    } catch {
      #expect(error.location == SourceLocation(path: "m.csv", line: 12, column: 16))
      #expect(error.message == "sales 'NA' is a missing value")
      #expect(
        error.hint
          == "a day without a sales figure is a missing day: gaps=zero counts it as no sale; 1 more: line 13: "
          + "sales field is empty", "\(error)")
    }
    let table = try SalesCSV.parse(bytes: Array(text.utf8), path: "m.csv", gaps: .zero)
    #expect(table.count == 28 && table.missingSales == 2)
    let dataset = try SalesDataset.assemble(table, stores: .all, items: .all, gaps: .zero)
    let series = try #require(dataset.series.first)
    #expect(series.values.count == 30 && series.values[10] == 0 && series.values[11] == 0 && series.filledDays == 2)
    #expect(series.values[12] == 2)
    // A NaN is no marker of a missing value: it is reported as it is.
    #expect(throws: DataError.self) {
      try SalesCSV.parse(bytes: Array("date,store,item,sales\n2015-01-01,1,1,nan\n".utf8), path: "m.csv", gaps: .zero)
    }
  }
}
