import Compression
import Foundation
import Shell
import TestSupport
import Testing
import Workbench

@Suite struct CompressCommandTests {
  func trainedEngine() throws -> (Engine, String) {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("window lookback=7")
    try engine.execute("train units=8 epochs=2 runs=2 seed=1 as base")
    return (engine, dir)
  }

  @Test func everyKindExportsExactlyTheBytesCompareReportsAndLoadsBack() throws {
    let (engine, dir) = try trainedEngine()
    let lines = [
      "prune base 0.7 as p70", "finetune p70 epochs=1 seed=2 as p70ft", "quantize base int8 as q8",
      "quantize base int8 granularity=tensor mode=asymmetric as q8t", "quantize base float16 as h16",
      "quantize p70ft int8 as hybrid", "prune base 0.5 structured=on as s50", "factor base rank=2 as r2",
      "distill teacher=base units=4 epochs=1 runs=1 seed=3 as kd4",
      "prune base 0.5 schedule=agp epochs=2 seed=4 as agp",
    ]
    for line in lines { try engine.execute(line) }
    try engine.execute("compare to=all.json")
    let rows =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/all.json")))
      as! [[String: Any]]
    for name in engine.workspace.models.names {
      try engine.execute("export \(name) to=\(name).tcm")
      let size = try FileManager.default.attributesOfItem(atPath: "\(dir)/\(name).tcm")[.size] as! Int
      #expect(rows.first { $0["name"] as? String == name }?["bytes"] as? Int == size, "\(name)")
      try engine.execute("load model \(name).tcm as \(name)-back")
      try engine.execute("predict \(name) to=a.csv")
      try engine.execute("predict \(name)-back to=b.csv")
      #expect(
        try String(contentsOfFile: dir + "/a.csv", encoding: .utf8)
          == String(contentsOfFile: dir + "/b.csv", encoding: .utf8), "forecasts of \(name) after export and load")
    }
    let models = engine.workspace.models
    // Compression never changes its source.
    #expect(models["base"]!.nonzeroCount == models["base"]!.parameterCount)
    #expect(
      models["p70"]!.method.description == "pruned" && models["p70ft"]!.method.description == "pruned+ft"
        && models["hybrid"]!.method.description == "pruned+ft+int8")
    #expect(models["s50"]!.units == 4)
    #expect(models["hybrid"]!.nonzeroCount < models["q8"]!.nonzeroCount)
    #expect(models["hybrid"]!.lineage.count == models["base"]!.lineage.count + 3)
  }

  @Test func compressionErrorsAreClearAndChangeNothing() throws {
    let (engine, _) = try trainedEngine()
    try engine.execute("quantize base int8 as q8")
    let before = engine.workspace.models.names
    let expectations: [(String, String)] = [
      ("prune base 1.2", "sparsity 1.2 is out of range (give a fraction in [0, 1) or a percentage: 0.7 or 70%)"),
      ("prune base 120%", "sparsity 120% is out of range (give a fraction in [0, 1) or a percentage: 0.7 or 70%)"),
      ("prune base", "missing the number (usage: prune [NAME] SPARSITY [options] [as NAME])"),
      (
        "prune q8 0.5",
        "q8 is int8 per channel, integer path; prune works on float32 models (prune first, then quantize "
          + "(quantization keeps the zeros))"
      ),
      (
        "prune base 0.5 epochs=3",
        "epochs= applies to schedule=agp only (a one-shot prune does not train; follow it with 'finetune')"
      ),
      ("prune base 0.5 scope=local", "scope=local is not one of layer, global (try 'help prune')"),
      (
        "quantize base int4",
        "int4 is not a precision Tinycast stores (quantize to int8 (granularity=channel|tensor) or float16)"
      ),
      ("quantize base", "quantize to what? (usage: quantize [NAME] int8|float16)"),
      (
        "quantize base int8 granularity=tensor",
        "granularity=tensor with mode=symmetric is not offered (use the default (channel, symmetric: integer path) "
          + "or granularity=tensor mode=asymmetric (the article's simulation))"
      ),
      (
        "quantize q8 float16",
        "q8 is int8 per channel, integer path; quantize a float32 model (quantize the model it came from)"
      ),
      ("distill teacher=base", "distill needs units=… (hidden units of the student LSTM)"),
      ("distill teacher=nobody units=4", "no model named 'nobody' (models: base, q8)"),
      ("factor base rank=9", "rank=9 is out of range (rank must be between 1 and 8)"),
      ("finetune base epochs=0", "epochs=0 is out of range (epochs must be between 1 and 100000)"),
      ("quantize base int8 as q8", "a model named 'q8' exists (choose another with 'as NAME', or 'drop q8' first)"),
    ]
    for (line, message) in expectations { #expect(errorText(engine, line) == message, "\(line)") }
    #expect(engine.workspace.models.names == before)
  }

  @Test func checkAcceptsAMarginAgainstAnotherRow() throws {
    let (engine, _) = try trainedEngine()
    try engine.execute("quantize base int8 as base-q8")
    #expect(try engine.execute("check base-q8 mape<=base+100").hasPrefix("ok: base-q8 mape = "))
    #expect(errorText(engine, "check base-q8 mape<=base-100")?.hasPrefix("check failed: base-q8 mape = ") == true)
    #expect(try engine.execute("check base-q8 parameters==base").hasPrefix("ok"))
  }
}

@Suite struct SmallThingsTests {
  /// Issue 17's small things: percentages, did-you-mean on plot kinds, explain's topic list,
  /// the full method in 'models', MAPE with its unit and a hint when a baseline wins, and the
  /// selection a file really held.
  @Test func theShellSaysWhatItMeans() throws {
    let (engine, _, _) = makeEngine()
    let loaded = try engine.execute("load csv small.csv")
    #expect(loaded.contains("4 series (stores 1-2 x items 1-2 of the stores 1-5 x items 1-10 asked for)"), "\(loaded)")
    try engine.execute("train units=4 epochs=1 runs=1 seed=1 as m")
    let pruned = try engine.execute("prune m 70%")
    #expect(pruned.contains("m-p70"), "\(pruned)")
    #expect(engine.workspace.models["m-p70"]!.nonzeroCount < engine.workspace.models["m"]!.nonzeroCount)
    #expect(errorText(engine, "plot forcast")?.contains("did you mean 'plot forecast'?") == true)
    #expect(try engine.execute("explain").contains("explain TOPIC teaches one of: "))
    // 'help foo': the caret goes under foo, not under help.
    do {
      try engine.execute("help foo")
      Issue.record("help foo was accepted")
    } catch let error as CommandError {
      #expect(error.column == 6 && error.message == "unknown command 'foo'", "\(error)")
    }
    try engine.execute("finetune m-p70 epochs=1")
    try engine.execute("quantize m-p70-ft int8")
    let models = try engine.execute("models")
    #expect(models.contains("pruned+ft+int8"), "\(models)")
    // Yesterday's sales as a model: it cannot beat naive-last (it is naive-last), and says what to do.
    try engine.execute("train kind=average k=1 as yesterday")
    let eval = try engine.execute("eval yesterday")
    #expect(eval.contains("  MAPE   ") && eval.contains("naive-last ") && eval.contains("% (NOT beaten)"), "\(eval)")
    #expect(eval.contains("yesterday does not beat naive-last") && eval.contains("train longer"), "\(eval)")
    #expect(eval.contains("test windows of small "), "\(eval)")
    // After another dataset is loaded, a result says which data it was scored on.
    try engine.execute("load demo stores=1 items=1 as other")
    let elsewhere = try engine.execute("eval m")
    #expect(elsewhere.contains("test windows of small (not the current dataset)"), "\(elsewhere)")
    #expect(try engine.execute("compare m").contains("test windows of small "))
    // One size story: show breaks the file's bytes down, and they add up.
    let shown = try engine.execute("show m-p70-ft-int8")
    let file = engine.workspace.models["m-p70-ft-int8"]!.artifact().count
    let size = engine.workspace.models["m-p70-ft-int8"]!.sizeBreakdown()
    #expect(size.file == file && size.numbers + size.header + size.container == file)
    #expect(
      shown.contains("bytes \(file) (the model file, what compare's bytes column counts): \(size.numbers) of numbers"))
    #expect(shown.contains("C export: \(size.flash!) bytes of flash") && shown.contains("KB* "), "\(shown)")
    // format=c makes its folder when missing.
    let exported = try engine.execute("export m format=c to=cout")
    #expect(exported.contains("wrote cout/m.h and m.c"), "\(exported)")
  }
}

@Suite struct TerminalWidthTests {
  @Test func wrappingBreaksAtWordsAndIndentsTheContinuation() {
    let text = "  quantize  int8 per channel on the integer path, the article's uint8, or float16 quantization"
    let out = wrapped(text, width: 40)
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines.count > 1 && lines.allSatisfy { $0.count <= 40 }, "\(out)")
    #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("    ") }, "\(out)")
    // No word is cut: the words are the same, in order.
    #expect(out.split(whereSeparator: { $0 == " " || $0 == "\n" }) == text.split(separator: " "))
    #expect(wrapped("short line", width: 40) == "short line")
  }

  /// The shell's printing: a long message breaks at words; a table row or a plot line stays whole.
  @Test func terminalFittingWrapsProseAndKeepsTablesWhole() {
    let message =
      "wrote out/p70_ft_int8.h and p70_ft_int8.c (weights 1253 bytes of flash; compile with cc -O2 -c p70_ft_int8.c)"
    let row = "p70_ft_int8      pruned+ft+int8      1,927    15.41%   +/- 0.08    4.1x   +0.29 worse than lstm16"
    let plotLine = "  15.2 \u{2502}    *        o                                                          *    "
    let out = fittedToTerminal([message, row, plotLine].joined(separator: "\n"), width: 60)
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines.count == 4 && lines[0].count <= 60 && lines[1].count <= 60, "\(out)")
    #expect(lines[0] + " " + lines[1].trimmingCharacters(in: .whitespaces) == message)
    #expect(lines[2] == row && lines[3] == plotLine)
    #expect(fittedToTerminal(message, width: 200) == message)
  }

  /// In a terminal, help fits its width; elsewhere (files, replays) the text is as written.
  @Test func helpFitsTheTerminalAndPlotsTakeItsWidth() throws {
    let (engine, _, _) = makeEngine()
    let plain = try engine.execute("help train")
    engine.context.terminalWidth = { 60 }
    let fitted = try engine.execute("help train")
    #expect(plain.split(separator: "\n").contains { $0.count > 60 })
    #expect(fitted.split(separator: "\n").allSatisfy { $0.count <= 60 }, "\(fitted)")
    try engine.execute("load csv small.csv")
    try engine.execute("train units=3 epochs=2 runs=1 seed=1 as m")
    let plot = try engine.execute("plot training m")
    #expect(plot.split(separator: "\n").allSatisfy { $0.count <= 60 }, "\(plot)")
    // compare: the narrow table in a narrow terminal, every column with 'wide'.
    let narrow = try engine.execute("compare m")
    let joined = narrow.replacingOccurrences(of: "\n  ", with: " ")
    #expect(narrow.hasPrefix("model") && joined.contains("'compare wide' shows every column"), "\(narrow)")
    let narrowLines: [Substring] = narrow.split(separator: "\n")
    #expect(!narrow.contains("sMAPE") && narrowLines.allSatisfy { $0.count <= 60 }, "\(narrow)")
    let wide = try engine.execute("compare wide m")
    #expect(wide.contains("sMAPE") && wide.contains("KB*"), "\(wide)")
    engine.context.terminalWidth = nil
    #expect(try engine.execute("compare m") == wide)
  }
}
