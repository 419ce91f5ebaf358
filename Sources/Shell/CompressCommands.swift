// Compression commands: prune, finetune, quantize, distill, factor. Each makes a NEW named model
// from its source (which stays as it was), applies to every replica, and prints in one line
// what it did.

import Foundation
import Workbench

enum CompressCommands {
  static let all: [Command] = [prune, finetune, quantize, distill, factor]

  /// Splits `[NAME] VALUE` positional words: the one that parses as a number is the value.
  static func sourceAndNumber(_ inv: Invocation, usage: String) throws(CommandError) -> (String?, Token, Double) {
    try inv.requireWordCount(1...2, usage: usage)
    let numberIndex = inv.words.lastIndex { fraction($0.text) != nil }
    guard let numberIndex else { throw CommandError("missing the number", hint: "usage: \(usage)") }
    let nameToken = inv.words.count == 2 ? inv.words[1 - numberIndex] : nil
    return (nameToken?.text, inv.words[numberIndex], fraction(inv.words[numberIndex].text)!)
  }

  /// A fraction written as a number (0.7) or a percentage (70%).
  static func fraction(_ text: String) -> Double? {
    if text.hasSuffix("%") { return Double(text.dropLast()).map { $0 / 100 } }
    return Double(text)
  }

  /// The per-replica lines of a training, then the summary.
  static func report(_ runs: [ReplicaRun], _ summary: String) -> String {
    (runs.enumerated().map { EpochReporter.summary(run: $0, $1) } + [summary]).joined(separator: "\n")
  }

  /// The output of an operation that made a model: its text and its command.
  static func made(_ text: String, _ command: RecordedCommand) -> CommandOutput {
    CommandOutput(text, recorded: [command])
  }

  // MARK: - prune

  static let prune = Command(
    "prune", group: .compress,
    usage: "prune [NAME] SPARSITY [scope=layer|global] [structured=off|on] [schedule=oneshot|agp] [as NAME]",
    summary: "magnitude pruning of the kernels (or, structured, of whole hidden units)",
    details: """
      Zeroes the SPARSITY fraction of smallest-magnitude kernel weights; biases are never pruned.
      scope=layer gives each weight matrix its own threshold (exactly round(SPARSITY x n) zeros
      each, the article's method); scope=global one threshold over all kernels. Ties break by
      position. structured=on instead removes whole hidden units (lowest L2 norm of all their
      weights): a genuinely smaller dense network. schedule=agp prunes gradually while fine-tuning
      (Zhu & Gupta's cubic schedule over the first 2/3 of epochs=, then holds the mask). Follow
      a one-shot prune with 'finetune', which keeps the zeros. kernel=, recurrent= and dense=
      give one matrix its own level (what 'sensitivity' suggests); SPARSITY applies to the rest.
      """,
    options: [
      OptionSpec("kernel", "", "sparsity of lstm/kernel alone (default: SPARSITY)"),
      OptionSpec("recurrent", "", "sparsity of lstm/recurrent_kernel alone (default: SPARSITY)"),
      OptionSpec("dense", "", "sparsity of dense/kernel alone (default: SPARSITY)"),
      OptionSpec(
        "scope", "layer", "one threshold per weight matrix, or one over all kernels",
        values: PruningScope.allCases.map(\.rawValue)),
      OptionSpec.flag("structured", "remove whole hidden units"),
      OptionSpec("schedule", "oneshot", "prune at once, or gradually while fine-tuning", values: ["oneshot", "agp"]),
      OptionSpec("epochs", "10", "fine-tuning epochs (schedule=agp)"),
      OptionSpec("lr", "0.0001", "fine-tuning learning rate (schedule=agp)"),
      OptionSpec("seed", "", "seed for shuffling (schedule=agp; default: drawn and recorded)"),
    ],
    example: "prune lstm64 0.7 as p70", recording: .always
  ) { ws, inv, ctx in
    let usage = "prune [NAME] SPARSITY [options] [as NAME]"
    var spec = PruneSpec()
    let (source, sparsityToken, sparsity) = try sourceAndNumber(inv, usage: usage)
    spec.source = source
    spec.sparsity = sparsity
    guard spec.sparsity >= 0 && spec.sparsity < 1 else {
      throw CommandError(
        "sparsity \(sparsityToken.text) is out of range", hint: "give a fraction in [0, 1) or a percentage: 0.7 or 70%",
        column: sparsityToken.column)
    }
    spec.scope = PruningScope(rawValue: try inv.choice("scope"))!
    spec.structured = try inv.flag("structured")
    spec.schedule = PruneSchedule(rawValue: try inv.choice("schedule"))!
    for (key, tensor) in PruneSpec.matrixOptions where inv.options[key] != nil {
      guard !spec.structured && spec.schedule == .oneshot && spec.scope == .layer else {
        throw CommandError(
          "\(key)= sets one matrix's level: it needs a one-shot prune with scope=layer",
          column: inv.options[key]!.column)
      }
      spec.matrixLevels[tensor] = try inv.double(key, min: 0, max: 1, openMax: true)
    }
    if spec.schedule == .agp {
      spec.epochs = try inv.int("epochs", in: 1...100_000)
      spec.learningRate = try inv.double("lr", min: 0, max: 10, openMin: true)
      spec.seed = try ModelCommands.seedOption(&inv)
    } else {
      for key in ["epochs", "lr", "seed"] where inv.options[key] != nil {
        throw CommandError(
          "\(key)= applies to schedule=agp only", hint: "a one-shot prune does not train; follow it with 'finetune'",
          column: inv.options[key]!.column)
      }
    }
    spec.name = inv.asName
    try inv.checkAllConsumed()
    let pruned = try ws.prune(spec, progress: ctx.progress())
    let (m, src) = (pruned.model, pruned.source)
    if let kept = pruned.keptUnits {
      return made(
        "\(m.name): removed \(src.units - kept) of \(src.units) hidden units (lowest L2 norm) in each of "
          + "\(m.replicas.count) replicas: \(src.replicas[0].label) -> \(m.replicas[0].label), "
          + "\(src.parameterCount) -> \(m.parameterCount) parameters; 'finetune' recovers accuracy", pruned.command)
    }
    if let zeros = pruned.linearSparsity {
      return made(
        "\(m.name): \(percent(zeros)) of \(src.name)'s \(src.parameterCount - 1) weights set to zero (smallest "
          + "magnitude), \(m.nonzeroCount) numbers left; 'finetune \(m.name)' refits the rest in closed form",
        pruned.command)
    }
    let agp = spec.schedule == .agp
    let zeros = pruned.sparsities.map { "\($0.0) \(percent($0.1))" }.joined(separator: ", ")
    let text = report(
      pruned.runs,
      "\(m.name): \(agp ? "gradually " : "")pruned \(src.name) to \(percent(spec.sparsity)) "
        + "(scope \(spec.scope.rawValue)) in \(m.replicas.count) replicas; zeros: \(zeros); "
        + "\(m.parameterCount - m.nonzeroCount) of \(m.parameterCount) parameters zero"
        + (agp ? "" : "; 'finetune' keeps the zeros"))
    return made(text, pruned.command)
  }

  // MARK: - finetune

  static let finetune = Command(
    "finetune", group: .compress, usage: "finetune [NAME] [epochs=10] [lr=0.0001] [patience=5] [seed=N] [as NAME]",
    summary: "continue training any model at a low learning rate, keeping its zeros and its quantization",
    details: """
      Pruned models keep their mask (pruned weights stay exactly zero after every step).
      Quantized models fine-tune quantization-aware: the forward pass uses the quantized
      weights, gradients pass straight through to float shadow weights, and the result is
      quantized again with the same scheme. Low-rank models train their two factors.
      Early stopping on validation loss keeps the best epoch.
      """,
    options: [
      OptionSpec("epochs", "10", "most epochs"),
      OptionSpec("lr", "0.0001", "Adam learning rate"),
      OptionSpec("batch", "32", "windows per step"),
      OptionSpec("patience", "5", "epochs without improvement before stopping"),
      OptionSpec("seed", "", "seed for shuffling and dropout (default: drawn and recorded)"),
    ],
    example: "finetune p70 epochs=10 lr=0.0001", recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...1, usage: "finetune [NAME] [options]")
    var spec = FinetuneSpec()
    spec.source = inv.word(0)?.text
    spec.epochs = try inv.int("epochs", in: 1...100_000)
    spec.learningRate = try inv.double("lr", min: 0, max: 10, openMin: true)
    spec.batch = try inv.int("batch", in: 1...65_536)
    spec.patience = try inv.int("patience", in: 1...100_000)
    spec.seed = try ModelCommands.seedOption(&inv)
    spec.name = inv.asName
    try inv.checkAllConsumed()
    let tuned = try ws.finetune(spec, progress: ctx.progress())
    let m = tuned.model
    let kept = m.pruned ? "; zeros kept (\(m.parameterCount - m.nonzeroCount) of \(m.parameterCount))" : ""
    if m.family == "linear" {
      return made(
        "\(m.name): \(tuned.command.words[0].text) refitted by ridge least squares on the days it still reads"
          + "\(kept)", tuned.command)
    }
    let text = report(
      tuned.runs,
      "\(m.name): fine-tuned \(tuned.command.words[0].text) (\(m.kindDescription)) at lr "
        + "\(formatNumber(spec.learningRate))\(kept)")
    return made(text, tuned.command)
  }

  // MARK: - quantize

  static let quantize = Command(
    "quantize", group: .compress,
    usage: "quantize [NAME] int8|float16 [granularity=channel|tensor] [mode=symmetric|asymmetric] [as NAME]",
    summary: "store the kernels in 8 or 16 bits (int8 runs on an integer inference path)",
    details: """
      int8 (default granularity=channel mode=symmetric): per-output-channel scales, weights in
      [-127, 127], and an integer inference path (int8 x int8 -> int32 products); MAPE comes from
      that path. int8 granularity=tensor mode=asymmetric reproduces the article's simulation:
      uint8 codes, scale = (max - min) / 255, zero point = round(-min / scale), computed in float.
      float16 stores half-precision kernels. Biases stay float32. Zeros stay zero, so a pruned
      model keeps its sparsity. 'explain quantization' has the details.
      """,
    options: [
      OptionSpec(
        "granularity", "channel", "one scale per output channel, or per tensor (int8)", values: ["channel", "tensor"]),
      OptionSpec(
        "mode", "symmetric", "symmetric int8, or asymmetric uint8 with a zero point (int8)",
        values: ["symmetric", "asymmetric"]),
    ],
    example: "quantize lstm64 int8", recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(1...2, usage: "quantize [NAME] int8|float16 [options]")
    guard let kindIndex = inv.words.lastIndex(where: { QuantizeTarget(rawValue: $0.text) != nil }) else {
      // A precision Tinycast does not store (int4, uint8, bf16) gets the list of those it does.
      if let word = inv.words.last, inv.words.count == 2 || word.text.first?.isLetter == true,
        word.text.range(of: "^(u?int|float|bf|fp)[0-9]+$", options: .regularExpression) != nil
      {
        throw CommandError(
          "\(word.text) is not a precision Tinycast stores",
          hint: "quantize to int8 (granularity=channel|tensor) or float16", column: word.column)
      }
      throw CommandError(
        "quantize to what?", hint: "usage: quantize [NAME] int8|float16", column: inv.words.last?.column)
    }
    var spec = QuantizeSpec()
    spec.target = QuantizeTarget(rawValue: inv.words[kindIndex].text)!
    spec.source = inv.words.count == 2 ? inv.words[1 - kindIndex].text : nil
    if spec.target == .int8 {
      let granularity = try inv.choice("granularity")
      let mode = try inv.choice("mode")
      switch (granularity, mode) {
      case ("channel", "symmetric"): spec.perTensor = false
      case ("tensor", "asymmetric"): spec.perTensor = true
      default:
        throw CommandError(
          "granularity=\(granularity) with mode=\(mode) is not offered",
          hint: "use the default (channel, symmetric: integer path) or granularity=tensor mode=asymmetric "
            + "(the article's simulation)")
      }
    } else {
      for key in ["granularity", "mode"] where inv.options[key] != nil {
        throw CommandError("\(key)= applies to int8 only", column: inv.options[key]!.column)
      }
    }
    spec.name = inv.asName
    try inv.checkAllConsumed()
    let q = try ws.quantize(spec)
    let m = q.model
    let text =
      "\(m.name): \(m.kindDescription)\(m.family == "linear" ? "" : " kernels for \(m.replicas.count) replicas"); "
      + "weight error max "
      + "\(String(format: "%.3g", q.maxWeightError)), mean \(String(format: "%.3g", q.meanWeightError)); "
      + "\(m.nonzeroCount) of \(m.parameterCount) parameters nonzero; \(m.artifact().count) bytes "
      + "(was \(q.source.artifact().count))"
    return made(text, q.command)
  }

  // MARK: - distill

  static let distill = Command(
    "distill", group: .compress,
    usage:
      "distill [teacher=NAME] units=N | kind=linear [alpha=0.5] [epochs=50] [lr=0.001] [patience=5] [runs=3] [seed=N] "
      + "[as NAME]",
    summary: "train a smaller student (an LSTM, or a linear model) on a blend of the true targets and the teacher's",
    details: """
      Knowledge distillation for regression (Hinton et al. 2015, without temperature): the
      student minimises alpha * MSE(student, actual) + (1 - alpha) * MSE(student, teacher),
      which is the MSE against the blended target alpha * actual + (1 - alpha) * teacher.
      The teacher's forecast is the mean of its replicas (an ensemble, as in Hinton et al.).
      Early stopping watches the true validation loss. kind=linear fits a linear autoregression
      on the teacher's window to the same blended targets by ridge least squares (one fit, no
      epochs; units and the training options do not apply).
      """,
    options: [
      OptionSpec("teacher", "", "the teacher model (default: the current model)"),
      OptionSpec("kind", "lstm", "the student's family", values: ["linear", "lstm"]),
      OptionSpec("units", "", "hidden units of the student LSTM"),
      OptionSpec("ridge", "0.0001", "kind=linear: the ridge penalty"),
      OptionSpec("alpha", "0.5", "weight of the true targets (1 = no distillation)"),
      OptionSpec("dropout", "0.2", "student dropout rate"),
    ] + ModelCommands.trainingOptions,
    example: "distill teacher=lstm64 units=16 as kd16", recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...0, usage: "distill [teacher=NAME] units=N | kind=linear [options]")
    var spec = DistillSpec()
    spec.teacher = inv.optionalString("teacher")
    if try inv.choice("kind") == "linear" {
      let lstmOnly = ["units", "dropout"] + ModelCommands.trainingOptions.map(\.key)
      if let key = lstmOnly.first(where: { inv.options[$0] != nil }) {
        throw CommandError(
          "\(key)= is an option of an LSTM student", hint: "a linear student is fitted in closed form",
          column: inv.options[key]!.column)
      }
      spec.linear = true
      spec.alpha = try inv.double("alpha", min: 0, max: 1)
      spec.ridge = try inv.double("ridge", min: 0, max: 1e6)
      spec.name = inv.asName
      try inv.checkAllConsumed()
      let fitted = try ws.distill(spec, progress: ctx.progress())
      let m = fitted.model
      let teacher = try ws.model(fitted.command.options.first { $0.key == "teacher" }!.value.text)
      return made(
        "\(m.name): \(m.label) student of \(teacher.name) (\(teacher.label)), alpha \(formatNumber(spec.alpha)), "
          + "\(m.parameterCount) parameters (teacher \(teacher.parameterCount)), fitted in closed form",
        fitted.command)
    }
    if inv.options["ridge"] != nil {
      throw CommandError("ridge= is an option of a linear student", column: inv.options["ridge"]!.column)
    }
    spec.units = try inv.int("units", in: 1...1024)
    spec.alpha = try inv.double("alpha", min: 0, max: 1)
    spec.dropout = try inv.double("dropout", min: 0, max: 1, openMax: true)
    spec.training = try ModelCommands.trainingOptions(&inv)
    spec.name = inv.asName
    try inv.checkAllConsumed()
    let trained = try ws.distill(spec, progress: ctx.progress())
    let m = trained.model
    let teacher = try ws.model(trained.command.options.first { $0.key == "teacher" }!.value.text)
    let text = report(
      trained.runs,
      "\(m.name): LSTM-\(m.units) student of \(teacher.name) (\(teacher.label)), alpha "
        + "\(formatNumber(spec.alpha)), \(m.parameterCount) parameters (teacher \(teacher.parameterCount))")
    return made(text, trained.command)
  }

  // MARK: - factor

  static let factor = Command(
    "factor", group: .compress, usage: "factor [NAME] rank=R [as NAME]",
    summary: "low-rank factorization of the recurrent kernel by SVD (then 'finetune' trains the factors)",
    details: """
      W_h [H, 4H] ~ A [H, R] x B [R, 4H] from the SVD (A = U_R S_R, B = V_R^T): H x 4H numbers
      become R x 5H. The recurrent kernel is the LSTM's largest matrix; the input kernel (one
      row for one input) is left alone. 'finetune' then trains A and B directly.
      """,
    options: [OptionSpec("rank", "", "kept singular values")],
    example: "factor lstm64 rank=8", recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(0...1, usage: "factor [NAME] rank=R")
    var spec = FactorSpec()
    spec.source = inv.word(0)?.text
    spec.rank = try inv.int("rank", in: 1...4096)
    spec.name = inv.asName
    try inv.checkAllConsumed()
    let f = try ws.factor(spec)
    let (m, src) = (f.model, f.source)
    let (h, g) = f.kernelShape
    let text =
      "\(m.name): recurrent kernel \(h)x\(g) -> rank \(spec.rank) (\(h)x\(spec.rank) + "
      + "\(spec.rank)x\(g)), relative error \(f.relativeErrors.map { fixed($0, 3) }.joined(separator: ", ")); "
      + "\(src.parameterCount) -> \(m.parameterCount) parameters; 'finetune' trains the factors"
    return made(text, f.command)
  }
}
