// tinycast-bench: release-only measurements. Timings live here, never in unit tests.
// Prints, for the article's workload (LSTM-64, batch 32, 14-day windows, stores 1-5 x items
// 1-10): the machine's measured FMA peak; the fast GEMM against its reference; training epoch
// seconds, windows/s and GFLOP/s (share of the peak) with 1 and 2 threads; single-forecast
// latency (median, p99) for float LSTM-64 and int8 LSTM-32; batch throughput; and the peak
// memory of training on the whole file (all 500 series).
//   usage: tinycast-bench [train.csv] [--quick] [--latency]   (the built-in demo data when no file is given)
//   --quick: fewer latency samples, no full-file training; --latency: only the single-forecast part

import CKernels
import Compression
import Foundation
import Modeling
import NumericCore
import SalesData

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
func f(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }
let clock = ContinuousClock()

/// The article's network (LSTM, Dropout 0.2, Dense) of `units` trained `epochs` epochs from seed
/// `seed` on `threads` threads: what the timings below time.
func trainLSTM(units: Int, on data: WindowedData, seed: UInt64, epochs: Int, threads: Int) -> TrainingLog {
  var rng = SeededGenerator(seed: seed)
  var model = RecurrentForecaster(units: units, dropout: 0.2, rng: &rng)
  var config = TrainingConfig()
  config.epochs = epochs
  config.patience = epochs
  config.threads = threads
  return Trainer.fit(&model, data: data, config: config, rng: &rng)
}

// The whole-file measurement's own process: read the file, train one epoch, report, exit.
if let k = CommandLine.arguments.firstIndex(of: "--full-file-only"), k + 1 < CommandLine.arguments.count {
  do {
    let table = try SalesCSV.read(path: CommandLine.arguments[k + 1])
    let all = try SalesDataset.assemble(table, stores: .all, items: .all, gaps: .error)
    let data = try WindowedData(dataset: all, config: WindowConfig())
    let log = trainLSTM(units: 64, on: data, seed: 3, epochs: 1, threads: 2)
    print(
      "series=\(all.series.count) windows=\(data.fit.count) epoch=\(log.epochs[0].seconds) "
        + "rss_mb=\(ProcessMemory.peakMB())")
    exit(0)
  } catch {
    print("error=\(error)")
    exit(1)
  }
}

// MARK: Data
let path: String? = {
  var args = Array(CommandLine.arguments.dropFirst())
  if let i = args.firstIndex(of: "--reference") { args.removeSubrange(i...min(i + 1, args.count - 1)) }
  return args.first { !$0.hasPrefix("--") }
}()
let quick = CommandLine.arguments.contains("--quick")
let latencyOnly = CommandLine.arguments.contains("--latency")
/// Figures from bench/keras_reference.py, for ratios measured in the same run.
let reference: [String: Any]? = {
  guard let i = CommandLine.arguments.firstIndex(of: "--reference"), i + 1 < CommandLine.arguments.count,
    let data = FileManager.default.contents(atPath: CommandLine.arguments[i + 1])
  else { return nil }
  return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
}()
var measured: [String: Double] = [:]

// MARK: FMA peak of this machine (AVX2: 8 lanes, two flops per fused multiply-add)
/// Twelve independent FMA chains, enough to keep both FMA ports busy through their latency.
@inline(never) func fmaChains(_ iterations: Int, seed: Int) -> Float {
  let base = SIMD8<Float>(repeating: Float(seed + 1) * 1e-3)
  var a0 = base
  var a1 = base
  var a2 = base
  var a3 = base
  var a4 = base
  var a5 = base
  var a6 = base
  var a7 = base
  var a8 = base
  var a9 = base
  var a10 = base
  var a11 = base
  let m = SIMD8<Float>(repeating: 0.999_999)
  let c = SIMD8<Float>(repeating: 1e-7)
  for _ in 0..<iterations {
    a0.addProduct(m, c)
    a1.addProduct(m, c)
    a2.addProduct(m, c)
    a3.addProduct(m, c)
    a4.addProduct(m, c)
    a5.addProduct(m, c)
    a6.addProduct(m, c)
    a7.addProduct(m, c)
    a8.addProduct(m, c)
    a9.addProduct(m, c)
    a10.addProduct(m, c)
    a11.addProduct(m, c)
  }
  return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).sum()
}

/// GFLOP/s of `threads` threads each running the chains (8 lanes x 2 flops per FMA).
func fmaPeak(threads: Int) -> Double {
  let iterations = 50_000_000
  _ = fmaChains(1_000_000, seed: 0)
  let start = clock.now
  Parallel.forEach(threads, threads: threads) { t in
    if fmaChains(iterations, seed: t) == .infinity { print("") }  // keeps the work alive
  }
  let s = seconds(clock.now - start)
  return Double(threads) * Double(iterations) * 12 * 16 / s / 1e9
}
let peak1 = fmaPeak(threads: 1)
let peak2 = fmaPeak(threads: 2)
print(
  "FMA peak (AVX2, measured): \(f(peak1, 1)) GFLOP/s on 1 core, \(f(peak2, 1)) GFLOP/s on 2; float kernels: "
    + "\(KernelWidth.widest)")
let table: SalesTable
var t0 = clock.now
if let path, FileManager.default.fileExists(atPath: path) {
  do { table = try SalesCSV.read(path: path) } catch {
    print("bench: \(error)")
    exit(1)
  }
  print("data: \(path), \(table.count) rows read in \(f(seconds(clock.now - t0) * 1000, 1)) ms")
} else {
  table = DemoData.table()
  print(
    "data: built-in demo (no CSV given or found), \(table.count) rows generated in "
      + "\(f(seconds(clock.now - t0) * 1000, 1)) ms"
  )
}
let dataset: SalesDataset
let data: WindowedData
do {
  dataset = try SalesDataset.assemble(
    table, stores: IDSelection(parsing: "1-5"), items: IDSelection(parsing: "1-10"), gaps: .error)
  data = try WindowedData(dataset: dataset, config: WindowConfig())
} catch {
  print("bench: \(error)")
  exit(1)
}

// MARK: GEMM, fast against reference (the LSTM's recurrent product, B=16, H=64, G=256)
if !latencyOnly {
  var rng = SeededGenerator(seed: 1)
  var a = Matrix(rows: 16, cols: 64)
  var b = Matrix(rows: 64, cols: 256)
  var c = Matrix(rows: 16, cols: 256)
  for k in 0..<a.count { a.storage[k] = rng.nextUnitFloat() }
  for k in 0..<b.count { b.storage[k] = rng.nextUnitFloat() }
  func time(_ reference: Bool) -> Double {
    let reps = reference ? 200 : 5000
    let start = clock.now
    for _ in 0..<reps { gemm(a, b, into: &c, reference: reference) }
    return seconds(clock.now - start) / Double(reps)
  }
  _ = time(false)
  let fast = time(false)
  let slow = time(true)
  let flops = 2.0 * 16 * 64 * 256
  print(
    "gemm 16x64 * 64x256: fast \(f(fast * 1e6)) us (\(f(flops / fast / 1e9, 1)) GFLOP/s), reference \(f(slow * 1e6)) "
      + "us; fast is \(f(slow / fast, 1))x the reference"
  )
}

// MARK: Training throughput
let units = 64
let steps = data.lookback
// FLOPs of the products per window, as the code runs them (D = 1 input, G = 4H gate columns): the
// forward pass 2G(T D + (T-1) H) (step 0's state is zero and its recurrent terms are left out),
// the backward dh and dWh products over the same T-1 steps, and dWx over all T.
let gates = Double(4 * units)
let forwardFlops = 2 * gates * (Double(steps) + Double(steps - 1) * Double(units))
let flopsPerWindow = 2 * forwardFlops + 2 * gates * Double(steps - 1) * Double(units)
print(
  "training: LSTM-\(units), batch 32, \(data.fit.count) windows per epoch (+\(data.validation.count) validation "
    + "forward)"
)
var windowsPerSecond: [Int: Double] = [:]
for threads in (latencyOnly ? [] : [1, 2]) {
  // The median of three epochs: one epoch alone is at the mercy of whatever else this shared
  // machine is doing at that moment.
  let log = trainLSTM(units: units, on: data, seed: 1, epochs: 3, threads: threads)
  let s = log.epochs.map(\.seconds).sorted()[log.epochs.count / 2]
  let flops = flopsPerWindow * Double(data.fit.count) + forwardFlops * Double(data.validation.count)
  windowsPerSecond[threads] = Double(data.fit.count) / s
  measured["epoch\(threads)"] = s
  measured["gflops\(threads)"] = flops / s / 1e9
  let peak = threads == 1 ? peak1 : peak2
  print(
    "  threads \(threads): epoch \(f(s)) s (median of 3), \(Int(Double(data.fit.count) / s)) windows/s, "
      + "\(f(flops / s / 1e9, 1)) GFLOP/s = \(f(100 * flops / s / 1e9 / peak, 0))% of the FMA peak"
  )
}
if !latencyOnly {
  print(
    "  2 threads vs 1: \(f(windowsPerSecond[2]! / windowsPerSecond[1]!))x; the article's Keras code here: about 18 s "
      + "per epoch (3,500 windows/s)"
  )
}

// MARK: Long windows (the kilobyte issue: are they cheap?). Windows are views into the series,
// so a longer lookback costs compute (steps per window), not copies: one LSTM-16 epoch on 2
// threads at 14, 56, 112 and 364 days, with its windows and the time per window-step.
if !quick && !latencyOnly {
  print("long windows: one LSTM-16 epoch on 2 threads (the same test days for every lookback)")
  for lookback in [14, 56, 112, 364] {
    var config = WindowConfig()
    config.lookback = lookback
    guard let windowed = try? WindowedData(dataset: dataset, config: config) else { continue }
    let log = trainLSTM(units: 16, on: windowed, seed: 5, epochs: 1, threads: 2)
    let s = log.epochs[0].seconds
    let steps = Double(windowed.fit.count) * Double(lookback)
    print(
      "  lookback \(lookback): \(windowed.fit.count) windows, epoch \(f(s)) s, "
        + "\(f(s / steps * 1e9, 1)) ns per window-step")
  }
}

// MARK: The kilobyte networks: what the inputs and the GRU cost in training. One epoch on 2
// threads of the 28-day, 4-unit networks of sessions/kilobyte.tcs: the LSTM on scaled sales,
// then the LSTM and the GRU reading the level, weekday and 3 yearly harmonics (14 channels).
if !quick && !latencyOnly {
  print("kilobyte networks: one epoch on 2 threads, 28 days, 4 units")
  var config = WindowConfig()
  config.lookback = 28
  if let windowed = try? WindowedData(dataset: dataset, config: config) {
    let rich = RecurrentInputs(levelNormalized: true, calendar: CalendarFeatures(weekday: true, yearHarmonics: 3))
    for (label, cell, inputs) in [
      ("LSTM-4, scaled sales", RecurrentCell.lstm, RecurrentInputs.plain), ("LSTM-4, 14 channels", .lstm, rich),
      ("GRU-4, 14 channels", .gru, rich),
    ] {
      var rng = SeededGenerator(seed: 6)
      var model = RecurrentForecaster(units: 4, cell: cell, inputs: inputs, dropout: 0.2, rng: &rng)
      var training = TrainingConfig()
      training.epochs = 1
      training.threads = 2
      let log = Trainer.fit(&model, data: windowed, config: training, rng: &rng)
      print("  \(label): epoch \(f(log.epochs[0].seconds)) s (\(model.parameterCount) parameters)")
    }
    // A GRU-4 correcting the linear model (a linear skip: the base's forecasts are computed once
    // per epoch for the targets and once per validation pass), and a GRU-8 with a 7-day head.
    let linear = LinearAutoregression.fit(
      windowed.fit, data: windowed, ridge: 0.0001, loss: .mae, levelNormalized: true,
      calendar: CalendarFeatures(weekday: true, yearHarmonics: 3))
    var rng = SeededGenerator(seed: 6)
    var skip = RecurrentForecaster(units: 4, cell: .gru, inputs: rich, dropout: 0.2, rng: &rng)
    skip.skip = linear
    var training = TrainingConfig()
    training.epochs = 1
    training.threads = 2
    let skipLog = Trainer.fit(&skip, data: windowed, config: training, rng: &rng)
    print("  GRU-4 correcting the linear model: epoch \(f(skipLog.epochs[0].seconds)) s")
    var week = config
    week.steps = 7
    if let weekly = try? WindowedData(dataset: dataset, config: week) {
      var head = RecurrentForecaster(units: 8, cell: .gru, inputs: rich, outputs: 7, dropout: 0.2, rng: &rng)
      let weekLog = Trainer.fit(&head, data: weekly, config: training, rng: &rng)
      print("  GRU-8 with a 7-day head: epoch \(f(weekLog.epochs[0].seconds)) s (\(head.parameterCount) parameters)")
    }
  }
}

// MARK: Single-forecast latency (batch 1, one core: what an edge device does)
func latency(_ label: String, _ body: () -> Float) -> Double {
  for _ in 0..<200 { _ = body() }
  var samples: [Double] = []
  var sink: Float = 0
  for _ in 0..<(quick ? 2_000 : 20_000) {
    let start = clock.now
    sink += body()
    samples.append(seconds(clock.now - start) * 1e6)
  }
  samples.sort()
  let median = samples[samples.count / 2]
  let p99 = samples[samples.count * 99 / 100]
  print("  \(label): median \(f(median)) us, p99 \(f(p99)) us\(sink.isNaN ? " (nan)" : "")")
  return median
}
print("single forecast (batch 1, 14 days in):")
do {
  var rng = SeededGenerator(seed: 2)
  let float64 = RecurrentForecaster(units: 64, dropout: 0.2, rng: &rng)
  var scratch = RecurrentScratch(capacity: 1, steps: data.lookback, inputSize: 1, units: 64)
  let window = data.test[100]
  measured["float32 LSTM-64"] = latency("float32 LSTM-64") {
    data.gatherInputs(window, row: 0, batch: 1, into: &scratch.x)
    float64.forward(batch: 1, scratch: &scratch, keepStates: false)
    return scratch.y[0]
  }
  let int32 = QuantizedRecurrent(RecurrentForecaster(units: 32, dropout: 0.2, rng: &rng))
  var qscratch = QuantizedRecurrent.Scratch(capacity: 1, inputSize: 1, units: 32)
  var x = [Float](repeating: 0, count: data.lookback)
  measured["int8 LSTM-32"] = latency("int8 LSTM-32 (integer path)") {
    data.gatherInputs(window, row: 0, batch: 1, into: &x)
    int32.forward(x: x, steps: data.lookback, batch: 1, scratch: &qscratch)
    return qscratch.y[0]
  }
  // The kilobyte winner's shape on the integer path: a GRU-4 (here over scaled sales).
  let gru4 = QuantizedRecurrent(RecurrentForecaster(units: 4, cell: .gru, dropout: 0.2, rng: &rng))
  var gscratch = gru4.makeScratch(capacity: 1)
  measured["int8 GRU-4"] = latency("int8 GRU-4 (integer path)") {
    data.gatherInputs(window, row: 0, batch: 1, into: &x)
    gru4.forward(x: x, steps: data.lookback, batch: 1, scratch: &gscratch)
    return gscratch.y[0]
  }
  // Batch throughput over the test set, both kinds, all cores.
  for (label, model) in [
    ("float32 LSTM-64", ForecastModel.float(float64, storage: nil)), ("int8 LSTM-32", .int8(int32, dropout: 0.2)),
  ] {
    let start = clock.now
    let y = model.predictScaled(data.test, data: data, threads: 2)
    let s = seconds(clock.now - start)
    print(
      "  batch \(label): \(data.test.count) windows in \(f(s * 1000, 1)) ms, \(Int(Double(data.test.count) / s)) "
        + "windows/s\(y.isEmpty ? "" : "")"
    )
  }
}

// MARK: Peak memory of training on the whole file (all 500 series, windows as views)
// In a process of its own (this one, with --full-file-only), so the peak is that of reading the
// file and training on it, not of the measurements before it.
if !quick && !latencyOnly, let path, FileManager.default.fileExists(atPath: path) {
  let child = Process()
  child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
  child.arguments = ["--full-file-only", path]
  let out = Pipe()
  child.standardOutput = out
  do {
    try child.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    child.waitUntilExit()
    var fields: [String: Double] = [:]
    for pair in text.split(whereSeparator: \.isWhitespace) {
      let kv = pair.split(separator: "=")
      if kv.count == 2, let v = Double(kv[1]) { fields[String(kv[0])] = v }
    }
    if let epoch = fields["epoch"], let rss = fields["rss_mb"], let series = fields["series"],
      let windows = fields["windows"]
    {
      measured["rss"] = rss
      measured["full_epoch"] = epoch
      print(
        "full file: \(Int(series)) series, \(Int(windows)) training windows; one LSTM-64 epoch in \(f(epoch, 1)) s "
          + "(2 threads); peak RSS \(Int(rss)) MB (a process that reads the file and trains)")
    } else {
      print("full file: the measuring process said \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
  } catch { print("full file: cannot start the measuring process: \(error)") }
}

// MARK: The classical yardsticks' fits (issue 15's targets: ETS on 50 series <= 10 s on 2
// cores, the linear autoregression on 56 days <= 2 s)
if !latencyOnly {
  let start = clock.now
  let ets = ETSForecaster.fit(data, components: nil, seasonLength: 7, threads: 2)
  let etsSeconds = seconds(clock.now - start)
  var config56 = WindowConfig()
  config56.lookback = 56
  if case .success(let model) = ets, let data56 = try? WindowedData(dataset: dataset, config: config56) {
    let linearStart = clock.now
    _ = LinearAutoregression.fit(data56.fit, data: data56, ridge: 0.0001)
    let linearSeconds = seconds(clock.now - linearStart)
    print(
      "classical fits: ETS (auto, \(model.series.count) series) \(f(etsSeconds, 2)) s on 2 threads (target <= 10 s); "
        + "linear autoregression on 56 days \(f(linearSeconds, 3)) s (target <= 2 s)")
  }
}

// MARK: Ratios against the article's Keras code and TFLite, measured on this machine
if let r = reference, let kerasEpoch = r["keras_epoch_s"] as? Double, let tflite = r["tflite_median_us"] as? Double {
  print("against the reference (bench/keras_reference.py, TensorFlow \(r["tensorflow"] ?? "?")):")
  if let ours = measured["epoch2"] {
    print(
      "  training epoch: Keras \(f(kerasEpoch)) s, Tinycast \(f(ours)) s (2 threads): \(f(kerasEpoch / ours, 1))x "
        + "faster"
    )
  }
  if let ours = measured["float32 LSTM-64"] {
    print(
      "  single forecast LSTM-64: TFLite \(f(tflite)) us, Tinycast float32 \(f(ours)) us: \(f(tflite / ours, 1))x "
        + "faster"
    )
  }
  if let tflite8 = r["tflite_int8_median_us"] as? Double, let ours = measured["int8 LSTM-32"] {
    print(
      "  single forecast int8 LSTM-32: TFLite full-integer \(f(tflite8)) us, Tinycast integer path \(f(ours)) us: "
        + "\(f(tflite8 / ours, 1))x faster"
    )
  }
  if let rss = r["keras_peak_rss_mb"] as? Double, let ours = measured["rss"] {
    print(
      "  peak memory: Keras \(Int(rss)) MB training 50 series, Tinycast \(Int(ours)) MB training all 500: "
        + "\(f(rss / ours, 1))x less"
    )
  }
}

// MARK: Issue 19's targets, each against what this run measured (bench-compare runs it 3 times)
if !latencyOnly {
  var targets: [(String, Bool)] = []
  if let e1 = measured["epoch1"], let e2 = measured["epoch2"] {
    targets.append(("2-thread epoch at least 1.8x the 1-thread epoch: \(f(e1 / e2))x", e1 / e2 >= 1.8))
  }
  if let kerasEpoch = reference?["keras_epoch_s"] as? Double, let e2 = measured["epoch2"] {
    targets.append(
      ("2-thread epoch at least 15x faster than Keras's: \(f(kerasEpoch / e2, 1))x", kerasEpoch / e2 >= 15))
  }
  if let rss = measured["rss"] {
    targets.append(("peak memory of full-file training at most 150 MB: \(Int(rss)) MB", rss <= 150))
  }
  if let full = measured["full_epoch"] {
    targets.append(("full-file epoch at most 6 s on 2 cores: \(f(full, 1)) s", full <= 6))
  }
  if !targets.isEmpty { print("targets (issue 19):") }
  for (target, met) in targets { print("  \(met ? "met" : "NOT MET"): \(target)") }
}

// MARK: AVX-512 FMA peak, measured last: seconds of 512-bit FMAs on both cores lower the clock
// for a while, which would slow whatever ran next (a single forecast by 40%, measured).
// The matrix products, the LSTM cell and the int8 products use AVX-512 where present, so the
// training shares are also given against this peak (elsewhere the AVX2 peak above is theirs).
do {
  let iterations = 50_000_000
  if tc_fma_chains_avx512(1_000, 0) >= 0 {
    var rates: [Double] = []
    for threads in [1, 2] {
      let start = clock.now
      Parallel.forEach(threads, threads: threads) { t in
        if tc_fma_chains_avx512(iterations, Int32(t)) == .infinity { print("") }
      }
      rates.append(Double(threads) * Double(iterations) * 12 * 32 / seconds(clock.now - start) / 1e9)
    }
    print(
      "FMA peak (AVX-512, measured): \(f(rates[0], 1)) GFLOP/s on 1 core, \(f(rates[1], 1)) GFLOP/s on 2; AVX-512 "
        + "cell: yes, VNNI int8 products: \(PackedInt8Matrix.usesVNNI ? "yes" : "no")"
    )
    if let g1 = measured["gflops1"], let g2 = measured["gflops2"] {
      print(
        "  training against the AVX-512 peak: 1 thread \(f(100 * g1 / rates[0], 0))%, 2 threads "
          + "\(f(100 * g2 / rates[1], 0))%"
      )
    }
  } else {
    print("no AVX-512 here: the cell and the products run the \(KernelWidth.widest) kernels (same results)")
  }
}
