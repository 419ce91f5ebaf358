// Multi-day forecasts (`window steps=S`) as a user meets them: a network with a 7-day head and
// the per-series models beside it, each day's error in eval, compare and its JSON, the files a
// multi-day model becomes, a replay; and what refuses multi-day windows, in one line.

import Foundation
import Shell
import TestSupport
import Testing
import TinycastCLI
import Workbench

@Suite struct MultiDayTests {
  @Test func aSevenDayHeadIsScoredDayByDayAndReplays() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    let windowed = try engine.execute("window steps=7")
    // 2 x 2 series of 200 days: 38 test days each, 32 windows with all 7 targets inside.
    #expect(windowed.contains("128 test (lookback 14, horizon 1, 7 days each: 896 test targets)"), "\(windowed)")
    try engine.execute("train kind=gru units=4 epochs=3 runs=2 seed=1 norm=level weekday=on as g")
    try engine.execute("train kind=ets")
    let m = try #require(engine.workspace.models["g"])
    #expect(m.architecture.hasSuffix("GRU-4 -> Dropout(0.2) -> Dense(7)"), "\(m.architecture)")
    // 8 channels (sales, 7 weekdays), 3 gates of 4 units, two bias rows, Dense 4 x 7 + 7.
    #expect(m.parameterCount == 8 * 12 + 4 * 12 + 2 * 12 + 4 * 7 + 7)

    let evaluated = try engine.execute("eval g")
    #expect(evaluated.contains("896 test targets (7 days per window)"), "\(evaluated)")
    #expect(evaluated.contains("MAPE by day ahead: day 1 ") && evaluated.contains(", day 7 "), "\(evaluated)")

    let compared = try engine.execute("compare to=c.json")
    #expect(compared.contains("MAPE by day ahead") && compared.contains("day 7"), "\(compared)")
    let rows = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/c.json")))
        as? [[String: Any]])
    let names = rows.map { $0["name"] as? String ?? "" }
    #expect(names.contains("g") && names.contains("ets") && names.contains("seasonal-naive"), "\(names)")
    #expect(!names.contains("linear-56"), "a one-day reference has no place in a 7-day table")
    for row in rows {
      let byStep = try #require(row["mape_by_step"] as? [Double], "\(row["name"] ?? "?")")
      let mape = try #require(row["mape"] as? Double)
      #expect(byStep.count == 7 && (row["test_targets"] as? Int) == 896)
      // No zero sales here, so every day has as many targets: the average of days is the MAPE.
      #expect(abs(byStep.reduce(0, +) / 7 - mape) < 1e-9, "\(row["name"] ?? "?"): \(byStep) vs \(mape)")
    }
    // ETS forecasts every day from its state: it too is scored day by day.
    #expect(try engine.execute("eval ets").contains("MAPE by day ahead"))

    // predict: one row per target, with the day ahead and the window's last day.
    try engine.execute("predict g to=p.csv")
    let lines = try String(contentsOfFile: dir + "/p.csv", encoding: .utf8).split(separator: "\n")
    #expect(lines[0] == "store,item,origin,step,date,actual,predicted" && lines.count == 1 + 896)
    #expect(lines[1].contains(",1,") && lines[7].split(separator: ",")[3] == "7")

    // The integer path: one int8 scale per day.
    try engine.execute("quantize g int8 as q8")
    let q8 = try #require(engine.workspace.models["q8"])
    #expect(q8.kindDescription == "int8 per channel, integer path" && q8.replicas[0].outputs == 7)
    // Files: both containers and the Keras JSON give back the same network.
    for container in ["json", "compact"] {
      try engine.execute("set container=\(container)")
      for name in ["g", "q8"] {
        try engine.execute("export \(name) to=\(name)-\(container).tcm")
        try engine.execute("load model \(name)-\(container).tcm as \(name)-\(container)")
        let back = try #require(engine.workspace.models["\(name)-\(container)"])
        let original = try #require(engine.workspace.models[name])
        #expect(back.replicas[0].isIdentical(to: original.replicas[0]) && back.window.steps == 7, "\(name)")
      }
    }
    try engine.execute("export g to=g.json format=keras")
    try engine.execute("load keras g.json as gk")
    var ws = engine.workspace  // a copy: scoring caches metrics in the entries
    #expect(
      try ws.metrics(of: "gk").mape == (try ws.metrics(of: "g-json").mape),
      "the Keras weights forecast as the model file does")
    // Compression keeps the head: float16, the article's uint8, pruning and fine-tuning.
    for line in [
      "quantize g float16 as h", "quantize g int8 granularity=tensor mode=asymmetric as u",
      "prune g 0.5 as p", "finetune p epochs=1 seed=2 as pft", "distill teacher=g units=3 epochs=1 runs=1 seed=3 as kd",
    ] { try engine.execute(line) }
    #expect(engine.workspace.models["kd"]!.replicas[0].outputs == 7)
    ws = engine.workspace
    #expect(try ws.metrics(of: "pft").mapeByStep.count == 7)

    let session = try expectSavedSessionReplays(engine, dir: dir)
    #expect(session.contains("steps=7") && session.contains("mape_by_step="), "\(session)")
  }

  @Test func whatForecastsOneDayRefusesMultiDayWindowsInOneLine() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train kind=linear as one")
    try engine.execute("window steps=7")
    #expect(
      errorText(engine, "train kind=linear")?.hasPrefix("kind=linear forecasts one day; these windows ask for 7")
        == true)
    #expect(errorText(engine, "train kind=average k=2")?.hasPrefix("kind=average forecasts one day") == true)
    try engine.execute("train units=3 epochs=1 runs=1 seed=1 as seven")
    // One ranking is one set of targets: a one-day model and a 7-day model are not compared.
    #expect(
      errorText(engine, "compare one seven")?.hasPrefix("these models were scored on different test targets") == true)
    #expect(errorText(engine, "window steps=0")?.contains("steps") == true)
    // The one-day model still scores its own day.
    var ws = engine.workspace
    #expect(try ws.metrics(of: "one").steps == 1)
  }
}
