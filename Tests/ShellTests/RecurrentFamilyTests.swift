// The GRU and the recurrent networks' input options as a user meets them: trained, compressed,
// compared, exported and loaded back, saved and replayed; and what they refuse, in one line.

import Foundation
import Shell
import TestSupport
import Testing
import TinycastCLI
import Workbench

@Suite struct RecurrentFamilyTests {
  @Test func aGRUWithInputsGoesThroughTheWholeLoop() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    let trained = try engine.execute("train kind=gru units=6 epochs=2 runs=2 seed=3 norm=level weekday=on year=1")
    #expect(trained.contains("gru6: GRU-6, "), "\(trained)")
    let m = try #require(engine.workspace.models["gru6"])
    // 3 gates: kernel 10 x 18, recurrent 6 x 18, two bias rows, Dense 6 + 1.
    #expect(m.parameterCount == 10 * 18 + 6 * 18 + 2 * 18 + 7 && m.method.description == "gru")
    #expect(m.architecture.hasPrefix("(sales over the window's level + weekday + 1 yearly harmonic) -> GRU-6"))
    for line in [
      "prune gru6 0.5 as p50", "finetune p50 epochs=1 seed=4 as p50ft", "quantize p50ft float16 as h16",
      "prune gru6 0.5 structured=on as s50", "quantize gru6 int8 granularity=tensor mode=asymmetric as u8",
    ] { try engine.execute(line) }
    #expect(engine.workspace.models["s50"]!.units == 3)
    // Reports name the GRU's own tensors.
    let global = try engine.execute("prune gru6 0.3 scope=global as g30")
    #expect(global.contains("zeros: gru/kernel ") && global.contains(", gru/recurrent_kernel "), "\(global)")
    #expect(try engine.execute("sensitivity gru6").contains("markers: k gru/kernel, r gru/recurrent_kernel"))
    #expect(engine.workspace.models["h16"]!.method.description == "pruned+ft+float16")
    // The integer path: int8 per channel, and after pruning, the zeros kept.
    try engine.execute("quantize gru6 int8 as q8")
    try engine.execute("quantize p50ft int8 as p50q8")
    // Fine-tuning on the int8 grid, and low rank: the recurrent kernel is 6 x 18 for a GRU.
    try engine.execute("finetune q8 epochs=1 seed=6 as q8ft")
    let factored = try engine.execute("factor gru6 rank=2 as r2")
    #expect(factored.contains("recurrent kernel 6x18 -> rank 2 (6x2 + 2x18)"), "\(factored)")
    try engine.execute("finetune r2 epochs=1 seed=7 as r2ft")
    #expect(engine.workspace.models["q8"]!.kindDescription == "int8 per channel, integer path")
    #expect(engine.workspace.models["p50q8"]!.nonzeroCount < engine.workspace.models["q8"]!.nonzeroCount)
    // Files: the JSON and the compact container give back the same model, bit for bit.
    for container in ["json", "compact"] {
      try engine.execute("set container=\(container)")
      for name in ["gru6", "p50ft", "h16", "s50", "u8", "q8", "p50q8", "q8ft", "r2", "r2ft"] {
        try engine.execute("export \(name) to=\(name)-\(container).tcm")
        try engine.execute("load model \(name)-\(container).tcm as \(name)-\(container)")
        let original = engine.workspace.models[name]!.replicas[0]
        let back = engine.workspace.models["\(name)-\(container)"]!.replicas[0]
        #expect(back.isIdentical(to: original), "\(name) through the \(container) container")
      }
    }
    let exported = try engine.execute("export q8 to=c format=c")
    #expect(exported.contains("call q8_predict(sales, year, month, day) with the forecast day's date"), "\(exported)")
    #expect(try engine.execute("explain inputs").contains("norm=level divides each window by its own mean"))
    let compared = try engine.execute("compare gru6 p50ft s50")
    #expect(compared.contains("gru6") && compared.contains("p50ft") && compared.contains("s50"), "\(compared)")
    // Saved and replayed: the same numbers.
    let session = try expectSavedSessionReplays(engine, dir: dir)
    #expect(
      session.contains(
        "dropout=0.2 epochs=2 kind=gru lr=0.001 norm=level patience=5 runs=2 seed=3 units=6 weekday=on year=1"),
      "\(session)")
  }

  @Test func inputOptionsBelongToNetworksAndLinearModels() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    #expect(errorText(engine, "train kind=ets norm=level")?.hasPrefix("norm= is not an option of kind=ets") == true)
    #expect(errorText(engine, "train kind=gru year=13")?.contains("year") == true)
    try engine.execute("train units=3 epochs=1 runs=1 seed=1 weekday=on as w")
    // Absolute errors: recorded, and a different model from the same seed.
    try engine.execute("train units=3 epochs=2 runs=1 seed=1 weekday=on loss=mae as wa")
    try engine.execute("train units=3 epochs=2 runs=1 seed=1 weekday=on as wm")
    #expect(engine.workspace.models["wa"]!.lineage.last!.contains(" loss=mae "))
    #expect(!engine.workspace.models["wa"]!.replicas[0].isIdentical(to: engine.workspace.models["wm"]!.replicas[0]))
    #expect(!engine.workspace.models["wm"]!.lineage.last!.contains("loss="))
    #expect(engine.workspace.models["w"]!.replicas[0].family == "lstm")
    #expect(engine.workspace.models["w"]!.architecture.hasPrefix("(scaled sales + weekday) -> LSTM-3"))
  }

  /// holidays=FILE: a channel that is 1 on the file's dates; the model keeps the dates (its
  /// files, both containers), the session records the file, and bad files get one line.
  @Test func holidaysBecomeAChannelTheModelKeeps() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    writeFile(dir + "/hol.csv", "date,name\r\n2015-05-01,May Day\r\n2015-06-15,Fair\r\n2015-05-01,again\r\n\r\n")
    try engine.execute("train kind=gru units=3 epochs=1 runs=1 seed=1 holidays=hol.csv as g")
    let m = try #require(engine.workspace.models["g"])
    #expect(m.architecture.hasPrefix("(scaled sales + holidays (2 dates)) -> GRU-3"), "\(m.architecture)")
    #expect(m.lineage.last!.contains(" holidays=hol.csv "), "\(m.lineage.last!)")
    for container in ["json", "compact"] {
      try engine.execute("set container=\(container)")
      try engine.execute("export g to=g-\(container).tcm")
      try engine.execute("load model g-\(container).tcm as g-\(container)")
      #expect(engine.workspace.models["g-\(container)"]!.replicas[0].isIdentical(to: m.replicas[0]))
    }
    try expectSavedSessionReplays(engine, dir: dir)
    writeFile(dir + "/bad.csv", "date\n2015-05-01\n2015-13-01\n")
    #expect(
      errorText(engine, "train kind=gru units=3 holidays=bad.csv")
        == "bad.csv:3: '2015-13-01' is not a date (one date per line, YYYY-MM-DD, in the first column)")
    #expect(errorText(engine, "train kind=gru units=3 holidays=none.csv")?.hasPrefix("none.csv: no such file") == true)
    #expect(errorText(engine, "train kind=ets holidays=hol.csv")?.hasPrefix("holidays= is not an option") == true)
    // The linear model reads the flag too, keeps the dates in its files, and records the file.
    try engine.execute("train kind=linear weekday=on holidays=hol.csv as lh")
    let lh = try #require(engine.workspace.models["lh"])
    #expect(lh.architecture.contains("holidays (2 dates)") && lh.lineage.last!.contains(" holidays=hol.csv "))
    for container in ["json", "compact"] {
      try engine.execute("set container=\(container)")
      try engine.execute("export lh to=lh-\(container).tcm")
      try engine.execute("load model lh-\(container).tcm as lh-\(container)")
      #expect(engine.workspace.models["lh-\(container)"]!.replicas[0].isIdentical(to: lh.replicas[0]))
    }
  }
}
