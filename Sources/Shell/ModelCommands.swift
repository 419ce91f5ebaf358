// Model commands: train, use, drop, models, show, seed, set, export.

import Foundation
import Workbench

enum ModelCommands {
  static let all: [Command] = [train, use, drop, models, show, seed, set, export]

  /// The options of `kind=lstm` and `kind=gru`.
  static let networkOptions = [
    "units", "dropout", "epochs", "batch", "lr", "patience", "runs", "seed", "stop", "norm", "weekday", "year", "loss",
    "holidays", "skip", "covariates", "ahead", "layers",
  ]

  /// The model families `train kind=` makes, and the options that belong to each.
  static let familyOptions: [String: [String]] = [
    "lstm": networkOptions,
    "gru": networkOptions,
    "linear": ["ridge", "loss", "norm", "weekday", "year", "holidays", "covariates"],
    "average": ["k", "mode"],
    "croston": ["variant", "alpha", "beta"],
    "ets": ["model", "season"],
    "theta": ["season"],
  ]

  static let train = Command(
    "train", group: .model,
    usage: "train [kind=lstm|gru|linear|average|croston|ets|theta] [family options] [as NAME]",
    summary: "train a new model on the current dataset: a network, or a classical forecaster to measure it by",
    details: """
      kind=lstm (the default): LSTM(units) -> Dropout -> Dense(1) (Dense(S) on windows of S
      days: window steps=S). MSE loss, Adam (Keras
      defaults, eps 1e-7), batches reshuffled every epoch from the seed, early stopping on
      validation loss with the best weights restored. runs=N trains N replicas from seeds SEED,
      SEED+1, ...; eval reports their mean and spread. Without seed=, the workspace's seed source
      picks one and the recorded session writes it down. Named lstmUNITS by default.
      kind=gru: the same with Keras' GRU (reset_after=True) in place of the LSTM: three gates
      instead of four, so a quarter fewer weights at the same width. Named gruUNITS.
      layers=N stacks N recurrent layers of UNITS, each reading the hidden states of the one
      below (Keras' return_sequences=True); every compression takes each layer's matrices, and
      the C library and Keras weights hold every layer.
      For both, norm=level feeds each window divided by its mean sales (a multiplicative RevIN)
      and multiplies the forecast back; weekday=on and year=K add, at every step, the weekday
      and K yearly harmonics of the day that step forecasts, as extra input channels;
      holidays=FILE adds a channel that is 1 on the dates in FILE (a CSV, one YYYY-MM-DD per
      line; the model keeps the dates); covariates=promo,price reads those columns of the data
      file (load csv ... covariates=...) as channels, min-max scaled on the training days, each
      step reading the value of the day it forecasts (so the last step has the forecast day's
      planned promotion or price; ahead=off: its own day's, for a value known only afterwards;
      the C then takes them for every step); loss=mae trains on absolute errors (early stopping then
      watches the validation MAE). skip=LINEAR trains the network on what the linear model
      LINEAR (same windows) gets wrong: the forecast is LINEAR's plus the network's correction,
      and every form of the model (pruned, int8, its files and C) carries both.
      kind=linear: tomorrow = b + w . (the last LOOKBACK days), one model for every series,
      fitted by ridge least squares on the training windows in closed form (deterministic, one
      run). The classical yardstick an LSTM must beat. Named linearLOOKBACK by default.
      norm=level divides each window by its mean sales and multiplies the forecast back;
      weekday=on and year=K add the forecast day's weekday and K yearly harmonics as inputs,
      holidays=FILE whether it is one of FILE's dates (the C then takes the date);
      covariates=promo,price the forecast day's values of those columns (the C takes them);
      loss=mae fits absolute errors (reweighted least squares).
      kind=average: the mean of the last k days (mode=days), or of the forecast day's weekday
      over the last k weeks (mode=weekday; k=2 is the seasonal-mean rule). Nothing to fit.
      Named meanK or weekdayK by default.
      kind=croston: for intermittent demand, sizes and intervals smoothed apart over the window
      (variant=classic, Croston 1972; sba, its bias correction; tsb, which decays when sales
      stop), with alpha (sizes, intervals) and beta (TSB's sale probability) as given.
      kind=ets: exponential smoothing per series (Hyndman et al. 2008), fitted by maximum
      likelihood on each series' days before the test period; model=auto picks error, trend and
      season by AICc, as forecast::ets and statsforecast's AutoETS do. Forecasts walk the state
      through every observed day, never refitting. Named ets (or ets-MODEL).
      kind=theta: the standard theta method per series (the M3 winner), seasonally adjusted when
      the season is significant. Named theta.
      Options of another family are refused.
      """,
    options: [
      OptionSpec("kind", "lstm", "the model family", values: familyOptions.keys.sorted()),
      OptionSpec("units", "64", "lstm, gru: hidden units of the recurrent layer"),
      OptionSpec("dropout", "0.2", "lstm, gru: dropout rate on the last hidden state while training"),
      OptionSpec("layers", "1", "lstm, gru: recurrent layers stacked (1 to 16), each of UNITS"),
    ] + trainingOptions + [
      OptionSpec(
        "stop", "", "lstm, gru: the last run stops after this many epochs (how a session records a Ctrl-C)"),
      OptionSpec("ridge", "0.0001", "linear: ridge penalty per window on the weights (scaled units)"),
      OptionSpec("loss", "mse", "linear, lstm, gru: squared or absolute errors", values: ["mae", "mse"]),
      OptionSpec(
        "norm", "none", "linear, lstm, gru: divide each window by its mean sales", values: ["level", "none"]),
      .flag("weekday", "linear, lstm, gru: the weekday of the day forecast as inputs"),
      OptionSpec("year", "0", "linear, lstm, gru: harmonics of the year (sine, cosine) as inputs"),
      OptionSpec("holidays", "", "linear, lstm, gru: a CSV of holiday dates, a 0/1 input"),
      OptionSpec(
        "covariates", "", "linear, lstm, gru: columns of the data file read as inputs (a promotion flag, a price)"),
      OptionSpec(
        "ahead", "on", "lstm, gru: covariates of the day each step forecasts (on) or of its own day",
        values: ["off", "on"]),
      OptionSpec("skip", "", "lstm, gru: a linear model on these windows to correct (the network learns its residual)"),
      OptionSpec("k", "7", "average: how many days (mode=days) or weeks (mode=weekday)"),
      OptionSpec("mode", "days", "average: the last k days, or the same weekday", values: ["days", "weekday"]),
      OptionSpec(
        "variant", "sba", "croston: the method", values: Croston.Variant.allCases.map(\.rawValue)),
      OptionSpec("alpha", "0.1", "croston: smoothing of demand sizes and intervals"),
      OptionSpec("beta", "0.1", "croston: smoothing of the probability of a sale (tsb)"),
      OptionSpec("model", "auto", "ets: auto (by AICc), or error, trend and season letters (ANN, AAdA, MAdM)"),
      OptionSpec("season", "7", "ets, theta: the season's length in days"),
    ],
    example: "train units=32 epochs=30 runs=3 seed=7 as small",
    recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(
      0...0, usage: "train [kind=lstm|gru|linear|average|croston|ets|theta] [options] [as NAME]")
    let kind = try inv.choice("kind")
    let allowed = familyOptions[kind]!
    for (key, token) in inv.options.sorted(by: { $0.value.column < $1.value.column })
    where key != "kind" && !allowed.contains(key) && familyOptions.values.contains(where: { $0.contains(key) }) {
      throw CommandError(
        "\(key)= is not an option of kind=\(kind)", hint: "kind=\(kind) takes \(allowed.joined(separator: ", "))",
        column: token.column)
    }
    if kind == "croston" {
      var spec = CrostonSpec()
      spec.variant = Croston.Variant(rawValue: try inv.choice("variant"))!
      spec.alpha = try inv.double("alpha", min: 0, max: 1, openMin: true)
      spec.beta = try inv.double("beta", min: 0, max: 1, openMin: true)
      spec.name = inv.asName
      try inv.checkAllConsumed()
      let fitted = try ws.trainCroston(spec)
      let m = fitted.model
      return CommandOutput(
        "\(m.name): \(m.architecture), \(m.artifact().count) bytes; 'eval \(m.name)' for test metrics",
        recorded: [fitted.command])
    }
    if kind == "ets" {
      var spec = ETSSpec()
      let code = try inv.string("model")
      if code != "auto" {
        guard let c = ETSComponents(code: code) else {
          throw CommandError(
            "model=\(code) is not an ETS model", hint: "auto, or error (A|M), trend (N|A|Ad), season (N|A|M): AAdA",
            column: inv.options["model"]?.column)
        }
        spec.components = c
      }
      spec.seasonLength = try inv.int("season", in: 1...366)
      spec.name = inv.asName
      try inv.checkAllConsumed()
      let fitted = try ws.trainETS(spec)
      let m = fitted.model
      return CommandOutput(
        "\(m.name): \(m.architecture); \(m.parameterCount) numbers, \(m.artifact().count) bytes, fitted in "
          + "\(duration(fitted.seconds)); 'eval \(m.name)' for test metrics", recorded: [fitted.command])
    }
    if kind == "theta" {
      var spec = ThetaSpec()
      spec.seasonLength = try inv.int("season", in: 1...366)
      spec.name = inv.asName
      try inv.checkAllConsumed()
      let fitted = try ws.trainTheta(spec)
      let m = fitted.model
      return CommandOutput(
        "\(m.name): \(m.architecture); \(m.parameterCount) numbers, \(m.artifact().count) bytes, fitted in "
          + "\(duration(fitted.seconds)); 'eval \(m.name)' for test metrics", recorded: [fitted.command])
    }
    if kind == "average" {
      var spec = AverageSpec()
      spec.k = try inv.int("k", in: 1...1000)
      spec.mode = WindowAverage.Mode(rawValue: try inv.choice("mode"))!
      spec.name = inv.asName
      try inv.checkAllConsumed()
      let fitted = try ws.trainAverage(spec)
      let m = fitted.model
      return CommandOutput(
        "\(m.name): \(m.architecture), no parameters, \(m.artifact().count) bytes; 'eval \(m.name)' for test metrics",
        recorded: [fitted.command])
    }
    if kind == "linear" {
      var spec = LinearSpec()
      spec.ridge = try inv.double("ridge", min: 0, max: 1e6)
      spec.loss = LinearAutoregression.Loss(rawValue: try inv.choice("loss"))!
      spec.levelNormalized = try inv.choice("norm") == "level"
      spec.calendar = CalendarFeatures(weekday: try inv.flag("weekday"), yearHarmonics: try inv.int("year", in: 0...12))
      if let file = inv.optionalString("holidays") {
        spec.holidays = try Workspace.readHolidays(path: ctx.resolveInput(file), given: file)
        spec.holidaysFile = file
      }
      spec.covariates = try inv.names("covariates")
      spec.name = inv.asName
      try inv.checkAllConsumed()
      let fitted = try ws.trainLinear(spec)
      let m = fitted.model
      return CommandOutput(
        "\(m.name): \(m.architecture), \(m.parameterCount) parameters, fitted in \(duration(fitted.seconds)); "
          + "'eval \(m.name)' for test metrics", recorded: [fitted.command])
    }
    var spec = TrainSpec()
    spec.cell = RecurrentCell(rawValue: kind)!
    var holidays: [Int] = []
    if let file = inv.optionalString("holidays") {
      holidays = try Workspace.readHolidays(path: ctx.resolveInput(file), given: file)
      spec.holidaysFile = file
    }
    spec.inputs = RecurrentInputs(
      levelNormalized: try inv.choice("norm") == "level",
      calendar: CalendarFeatures(weekday: try inv.flag("weekday"), yearHarmonics: try inv.int("year", in: 0...12)),
      holidays: holidays)
    spec.covariates = try inv.names("covariates")
    if inv.options["ahead"] != nil {
      guard !spec.covariates.isEmpty else {
        throw CommandError(
          "ahead= says when covariates are known; give covariates= too", column: inv.options["ahead"]?.column)
      }
    }
    spec.covariatesAhead = try inv.choice("ahead") == "on"
    spec.loss = TrainingLoss(rawValue: try inv.choice("loss"))!
    spec.units = try inv.int("units", in: 1...1024)
    spec.layers = try inv.int("layers", in: 1...16)
    spec.dropout = try inv.double("dropout", min: 0, max: 1, openMax: true)
    spec.training = try trainingOptions(&inv)
    if inv.options["stop"] != nil { spec.lastRunEpochs = try inv.int("stop", in: 1...100_000) }
    spec.skip = inv.optionalString("skip")
    spec.name = inv.asName
    try inv.checkAllConsumed()
    let trained = try ws.train(spec, progress: ctx.progress())
    let m = trained.model
    let runs = m.replicas.count
    let recordedAs = trained.command.options.filter { ["runs", "stop"].contains($0.key) }
      .map { "\($0.key)=\($0.value.text)" }.joined(separator: " ")
    let interrupted =
      trained.interrupted
      ? " (interrupted: kept the best weights so far; recorded as \(recordedAs), so a replay rebuilds them)" : ""
    let text =
      (trained.runs.enumerated().map { EpochReporter.summary(run: $0, $1) } + [
        "\(m.name): \(m.replicas[0].label), \(m.parameterCount) parameters, \(runs) run\(runs == 1 ? "" : "s") in "
          + "\(duration(trained.seconds)) (peak memory \(peakMemoryMB()) MB)\(interrupted); 'eval \(m.name)' for test "
          + "metrics"
      ]).joined(separator: "\n")
    return CommandOutput(text, recorded: [trained.command])
  }

  /// The options every command that trains from scratch shares (train, distill).
  static let trainingOptions: [OptionSpec] = [
    OptionSpec("epochs", "50", "most epochs per run"),
    OptionSpec("batch", "32", "windows per gradient step"),
    OptionSpec("lr", "0.001", "Adam learning rate"),
    OptionSpec("patience", "5", "epochs without a better validation loss before stopping"),
    OptionSpec("runs", "3", "replicas trained from consecutive seeds"),
    OptionSpec("seed", "", "seed of the first run (default: drawn from the workspace and recorded)"),
  ]

  /// Reads `trainingOptions`.
  static func trainingOptions(_ inv: inout Invocation) throws(CommandError) -> TrainingOptions {
    var o = TrainingOptions()
    o.epochs = try inv.int("epochs", in: 1...100_000)
    o.batch = try inv.int("batch", in: 1...65_536)
    o.learningRate = try inv.double("lr", min: 0, max: 10, openMin: true)
    o.patience = try inv.int("patience", in: 1...100_000)
    o.runs = try inv.int("runs", in: 1...100)
    o.seed = try seedOption(&inv)
    return o
  }

  /// `seed=N` if given; nil lets the operation draw one from the workspace (and record it).
  static func seedOption(_ inv: inout Invocation) throws(CommandError) -> UInt64? {
    guard let text = inv.optionalString("seed") else { return nil }
    guard let s = UInt64(text), s < 1 << 53 else {
      throw CommandError("seed=\(text) is not a whole number in 0...2^53", column: inv.options["seed"]?.column)
    }
    return s
  }

  static let use = Command(
    "use", group: .model, usage: "use NAME", summary: "make a model (or dataset) the current one",
    example: "use lstm32", recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(1...1, usage: "use NAME")
    try inv.checkAllConsumed()
    let name = inv.words[0].text
    let command = RecordedCommand("use", words: [RecordedValue(name)])
    if ws.models[name] != nil {
      ws.models.makeCurrent(name)
      return CommandOutput("current model: \(name)", recorded: [command])
    }
    if ws.datasets[name] != nil {
      ws.currentDataset = name
      return CommandOutput("current dataset: \(name)", recorded: [command])
    }
    _ = try ws.model(name)
    preconditionFailure("model(\(name)) found a model the store did not")
  }

  static let drop = Command(
    "drop", group: .model, usage: "drop NAME", summary: "remove a model from the workspace",
    example: "drop lstm128", recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(1...1, usage: "drop NAME")
    try inv.checkAllConsumed()
    let name = inv.words[0].text
    _ = try ws.model(name)
    ws.models.remove(name)
    return CommandOutput("dropped \(name)", recorded: [RecordedCommand("drop", words: [RecordedValue(name)])])
  }

  static let models = Command(
    "models", group: .model, usage: "models", summary: "list the workspace's models with size and accuracy",
    recording: .never
  ) { ws, inv, _ in
    try inv.requireWordCount(0...0, usage: "models")
    try inv.checkAllConsumed()
    guard !ws.models.isEmpty else { return CommandOutput("no models yet; 'train' makes one") }
    // The method in full (as compare's column says it: "pruned+ft+int8"), as wide as the widest.
    let methodWidth = max(6, ws.models.all.map(\.method.description.count).max() ?? 6)
    let nameWidth = max(16, ws.models.all.map(\.name.count).max() ?? 16)
    var lines = [
      "  " + "name".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
        + "method".padding(toLength: methodWidth, withPad: " ", startingAt: 0)
        + "  units  params   bytes  MAPE (runs)   made by"
    ]
    for m in ws.models.all {
      let mape = m.metrics.map { "\(fixed($0.mape, 2)) (\($0.runs.count))" } ?? "-"
      let mark = m.name == ws.models.current ? "*" : " "
      let columns = [
        "\(mark) \(m.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0))",
        m.method.description.padding(toLength: methodWidth, withPad: " ", startingAt: 0), pad(m.units, 10_000),
        pad(m.parameterCount, 1_000_000), pad(m.artifact().count, 1_000_000),
        mape.padding(toLength: 12, withPad: " ", startingAt: 0), m.lineage.last ?? "",
      ]
      lines.append(columns.joined(separator: "  "))
    }
    return CommandOutput(lines.joined(separator: "\n"))
  }

  static let show = Command(
    "show", group: .model, usage: "show [NAME]", summary: "a model's architecture, training runs and lineage",
    recording: .never
  ) { ws, inv, _ in
    try inv.requireWordCount(0...1, usage: "show [NAME]")
    try inv.checkAllConsumed()
    let m = try ws.model(inv.word(0)?.text)
    var lines = [
      "\(m.name): \(m.method), \(m.architecture), \(m.kindDescription), \(m.parameterCount) parameters "
        + "(\(m.nonzeroCount) nonzero), \(m.replicas.count) replica(s)",
      "  data \(m.datasetName), lookback \(m.window.lookback), horizon \(m.window.horizon)",
    ]
    // One size story: every byte figure the tables print, and where it comes from.
    let size = m.sizeBreakdown()
    lines.append(
      "  bytes \(size.file) (the model file, what compare's bytes column counts): \(size.numbers) of numbers "
        + "(weights in their encodings, masks, scales, states), \(size.header) of "
        + "\(size.compactHeader ? "binary" : "JSON") header, \(size.container) of container (magic, version, length, "
        + "CRC-32)")
    if let flash = size.flash {
      let table = (size.table ?? 0) > 0 ? " and \(size.table!) for the integer path's activation table" : ""
      lines.append(
        "  C export: \(flash) bytes of flash for its constants\(table), \(size.ram ?? 0) bytes of RAM per call "
          + "(no header, no names)")
    }
    lines.append(
      "  KB* \(fixed(size.articleKB, 2)) (the article's count: \(m.parameterCount) parameters x 4 bytes / 1024, "
        + "the same whatever the compression)")
    for (k, log) in m.logs.enumerated() where !log.epochs.isEmpty {
      lines.append(
        "  run \(k + 1) seed \(m.seeds[k]): \(log.epochs.count) epochs, best \(log.bestEpoch) "
          + "(val loss \(sci(log.bestValidationLoss)))")
    }
    if let metrics = m.metrics {
      lines.append("  test MAPE \(fixed(metrics.mape, 3)) +/- \(fixed(metrics.mapeStd, 3))")
    }
    lines.append("  lineage:")
    lines += m.lineage.map { "    \($0)" }
    return CommandOutput(lines.joined(separator: "\n"))
  }

  static let seed = Command(
    "seed", group: .model, usage: "seed N",
    summary: "reset the workspace's seed source (commands given no seed= draw theirs from it)",
    example: "seed 42", recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(1...1, usage: "seed N")
    try inv.checkAllConsumed()
    guard let n = UInt64(inv.words[0].text) else {
      throw CommandError("seed \(inv.words[0].text) is not a whole number", column: inv.words[0].column)
    }
    ws.seedSource = SeededGenerator(seed: n)
    return CommandOutput(
      "seed source reset to \(n)", recorded: [RecordedCommand("seed", words: [RecordedValue(String(n))])])
  }

  static let set = Command(
    "set", group: .model, usage: "set [threads=N] [metric=mape|wape|mase|rmsse|mae|rmse] [container=json|compact]",
    summary: "the headline metric every decision uses, the model file's container, or the worker threads",
    details: """
      metric= is the headline of compare's delta column, shrink's budget, sensitivity, sweep's
      knee and plot tradeoff (eval and compare print every metric anyway). MAPE leaves out
      zero-sales days: where there are many, WAPE or MASE judge better. It is recorded, so a
      replay decides by the same metric. threads= changes only the speed: results are
      bit-identical for any thread count (batches are cut into fixed shards); not recorded.
      container=compact writes every model file (and so every 'bytes' figure, the budgets of
      shrink and check included) with a binary header and no name: for kilobyte budgets, where
      the JSON header would outweigh the model. Recorded; json is the default.
      """,
    options: [
      OptionSpec("threads", "", "worker threads for training and evaluation"),
      OptionSpec("metric", "", "the headline metric", values: HeadlineMetric.allCases.map(\.rawValue)),
      OptionSpec("container", "", "the model file's header: JSON, or compact binary", values: ["compact", "json"]),
    ],
    example: "set metric=wape", recording: .always
  ) { ws, inv, _ in
    try inv.requireWordCount(0...0, usage: "set [threads=N] [metric=...]")
    if inv.options["threads"] != nil { ws.threads = try inv.int("threads", in: 1...256) }
    var command = RecordedCommand("set")
    var metric = ws.metric
    var compact = ws.models.compactContainer
    if inv.options["metric"] != nil {
      metric = HeadlineMetric(rawValue: try inv.choice("metric"))!
      command.set("metric", metric.rawValue)
    }
    if inv.options["container"] != nil {
      compact = try inv.choice("container") == "compact"
      command.set("container", compact ? "compact" : "json")
    }
    try inv.checkAllConsumed()
    ws.metric = metric
    ws.models.setCompactContainer(compact)
    return CommandOutput(
      "threads=\(ws.threads) metric=\(ws.metric.rawValue) container=\(compact ? "compact" : "json")",
      recorded: command.options.isEmpty ? [] : [command])
  }

  static let export = Command(
    "export", group: .model, usage: "export [NAME] to=PATH [format=tcm] [run=1]",
    summary: "write a model's deployable artifact (one replica)",
    details: """
      format=tcm writes Tinycast's model file (magic, version, JSON header, the tensors in their
      stored encodings, CRC-32), which 'load model PATH' reads back. The artifact's size is the
      'bytes' that compare reports. run=K picks the replica (1 = the first seed). lineage=on
      also writes the commands that made the model into the header (provenance for sharing;
      not counted in 'bytes'). format=c writes DIR/NAME.h and DIR/NAME.c (to= is the folder):
      C99 with the weights as constant arrays and 'float NAME_predict(const float sales[14])'
      (raw sales in, forecast out, scaling inside), no allocation, no global state; it prints
      the flash for the weights, the RAM, the multiply-accumulates and an energy estimate.
      format=keras writes JSON whose "weights" list Keras' model.set_weights accepts (for
      LSTM(units) -> Dropout -> Dense(1)); integer models give their dequantized weights.
      format=bundle writes the whole model (every replica, with its seeds, training logs and
      lineage) for another Tinycast: 'load model PATH' there brings back the same model, bit for
      bit, on the dataset of the same name (a fanned-out shrink ships models so).
      format=onnx writes an ONNX model (IR 8, opset 17) for ONNX Runtime: raw sales [N, LOOKBACK]
      in, sales out, the scaler inside the graph, ONNX's own LSTM or GRU operator per layer; an
      int8 model's weights in the QDQ form (int8 + DequantizeLinear), pruned weights dense. It
      takes networks reading plain sales.
      """,
    options: [
      OptionSpec("to", "", "the output file (format=c: the folder that receives NAME.h and NAME.c)", isPath: true),
      OptionSpec(
        "format", "tcm", "Tinycast's model file, a C99 source pair, Keras weights (JSON), ONNX, or the whole model",
        values: ["tcm", "c", "keras", "onnx", "bundle"]),
      OptionSpec("run", "1", "which replica to export (1-based)"),
      OptionSpec.flag("lineage", "write the commands that made the model into the header"),
      OptionSpec.overwrite,
    ],
    example: "export lstm64 to=lstm64.tcm", recording: .always
  ) { ws, inv, ctx in
    try inv.requireWordCount(0...1, usage: "export [NAME] to=PATH")
    var spec = ExportSpec()
    spec.model = inv.word(0)?.text
    spec.given = try inv.string("to")
    spec.format = ExportFormat(rawValue: try inv.choice("format"))!
    spec.run = try inv.int("run", in: 1...10_000)
    spec.withLineage = try inv.flag("lineage")
    spec.overwrite = try inv.flag("overwrite")
    try inv.checkAllConsumed()
    let to = spec.given
    // A C export's folder may exist; its two files are checked one by one below.
    spec.path = try ctx.outputPath(to, overwrite: spec.format == .c || spec.overwrite)
    let exported = try ws.export(spec)
    let text: String
    switch exported {
    case .keras(let m, let run, _):
      text =
        "wrote \(ctx.shown(to)): Keras weights of \(m.name) run \(run) (\(m.replicas[run - 1].label)); in Python: "
        + "model.set_weights([np.array(w) for w in json.load(open('\(to)'))['weights']])"
    case .c(let m, let run, let c, let energy, _):
      let header = try ctx.outputPath(
        (to as NSString).appendingPathComponent("\(c.symbol).h"), overwrite: spec.overwrite)
      let source = try ctx.outputPath(
        (to as NSString).appendingPathComponent("\(c.symbol).c"), overwrite: spec.overwrite)
      try writeCExport(c, header: header, source: source)
      let table = c.tableBytes > 0 ? " (and \(c.tableBytes) for the activation table)" : ""
      // The entry points the header declares: a window function, or a per-series state.
      let days = c.header.contains("_STEPS ")
      let call =
        days
        ? "call \(c.symbol)_predict(sales, \(c.header.contains("int year") ? "year, month, day, " : "")forecast): "
          + "forecast[k] is day k + 1\(c.header.contains("int year") ? " (the date is the first day's)" : "")"
        : c.header.contains("_observe(")
          ? "call \(c.symbol)_start, \(c.symbol)_forecast and \(c.symbol)_observe (one state per series)"
          : c.header.contains("int weekday")
            ? "call \(c.symbol)_predict(sales, weekday, day_of_year)"
            : c.header.contains("int year, int month, int day")
              ? "call \(c.symbol)_predict(sales, year, month, day) with the forecast day's date"
              : "call \(c.symbol)_predict(sales)"
      text =
        "wrote \(ctx.shown((to as NSString).appendingPathComponent(c.symbol + ".h"))) and \(c.symbol).c "
        + "(\(m.replicaSummary(run - 1).kind)): "
        + "weights \(c.weightBytes) bytes of flash\(table), \(c.ramBytes) bytes of RAM, \(c.macs) multiply-accumulates "
        + "and about \(fixed(energy, 1)) nJ per forecast (Horowitz 2014 energies); \(call)"
    case .onnx(let m, let run, let bytes, _):
      let r = m.replicaSummary(run - 1)
      text =
        "wrote \(ctx.shown(to)): ONNX (IR \(ONNXExportVersion.ir), opset \(ONNXExportVersion.opset)), \(bytes) bytes, "
        + "\(m.name) run \(run) (\(r.kind)\(r.kind.contains("int8") ? ", weights in QDQ form" : "")"
        + "\(m.pruned ? "; pruned weights stored dense" : "")); input 'sales' [N, \(m.window.lookback)] in sales "
        + "units, output 'forecast' [N, \(m.window.steps)]"
    case .bundle(let m, let bytes, _):
      text =
        "wrote \(ctx.shown(to)): \(bytes) bytes, \(m.name) whole (\(m.replicas.count) replica"
        + "\(m.replicas.count == 1 ? "" : "s") with seeds and training logs); 'load model \(to)' brings it back"
    case .modelFile(let m, let run, let bytes, _):
      let r = m.replicaSummary(run - 1)
      text =
        "wrote \(ctx.shown(to)): \(bytes) bytes (\(m.name) run \(run), \(r.kind), \(r.parameters) parameters, "
        + "\(r.nonzero) nonzero)"
    }
    return CommandOutput(text, recorded: [exported.command])
  }
}
