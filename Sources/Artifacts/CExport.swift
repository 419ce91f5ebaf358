// CExport: any model as a dependency-free C99 source pair NAME.h / NAME.c:
//   #define NAME_LOOKBACK 14
//   float NAME_predict(const float sales[NAME_LOOKBACK]);   raw sales in, next day's sales out
// Weights are `static const` arrays (float32 as exact hex-float literals, float16 as uint16
// halves, the article's uint8 as codes with scale and zero point, int8 with per-channel scales;
// sparse tensors as a bitmask plus their nonzero values, decoded on the fly). No heap, no global
// mutable state (re-entrant), no libm at all: only <stdint.h> and <string.h>.
// The activations are Tinycast's own (NumericCore/Activations.swift), written in the same
// order, so the int8 model's forecasts are bit-identical to the Swift integer path and float
// models agree to rounding (Swift fuses multiply-adds; this C does not, as -std=c99 asks).

import CKernels
import Compression
import Foundation
import Modeling
import NumericCore

public struct CExportArtifact: Sendable {
  public var header: String
  public var source: String
  public var symbol: String
  /// Bytes of constant data (weights, scales, masks): what the device keeps in flash.
  public var weightBytes: Int
  /// Bytes of the integer path's activation table (also flash, but not weights; 0 for float models).
  public var tableBytes: Int
  /// Bytes of stack the predict function needs (its state and scratch arrays).
  public var ramBytes: Int
  /// Multiply-accumulates per forecast.
  public var macs: Int
}

public enum CExport {
  /// `name` with characters outside [A-Za-z0-9_] replaced by `_` (and a leading digit guarded).
  public static func symbol(_ name: String) -> String {
    var s = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
    if let f = s.first, f.isNumber { s = "m_" + s }
    return s
  }

  /// NAME.h of every family's C library: the window length and the one function. With
  /// `dated`, the function also takes the forecast day's date (a model with calendar inputs).
  /// A network with a multi-day head (`outputs` > 1) writes its days into an array instead; one
  /// reading `covariates` columns of the data file takes them for each step of the window.
  static func headerFile(
    symbol p: String, model name: String, lookback: Int, dated: Bool = false, outputs: Int = 1,
    covariates: [String] = [], ahead: Bool = true, horizon: Int = 1, covariateDays: Int = 1
  ) -> String {
    let date = dated ? ", int year, int month, int day" : ""
    let covariateArgument = covariates.isEmpty ? "" : ", " + covariateParameter(symbol: p)
    // Which day each row of `covariates` belongs to.
    let rows = lookback + covariateDays - 1
    let forecastRows =
      covariateDays > 1
      ? " to [\(rows - 1)] are the \(covariateDays) forecast days'" : " is the forecast day's"
    let rowDay =
      ahead
      ? "the window's day r + \(horizon) (sales[t] is day t): covariates[\(lookback - 1)]\(forecastRows), "
        + "known in advance"
      : "the window's day r (sales[r]'s day)"
    let covariateText =
      covariates.isEmpty
      ? "" : "\n   covariates[r] holds \(covariates.joined(separator: ", ")), in the file's units, of\n   \(rowDay)."
    if outputs > 1 {
      let firstDate = dated ? "\n   year, month (1-12) and day (1-31) are the date of the first day forecast." : ""
      return header(
        symbol: p, model: name, lookback: lookback, steps: outputs,
        covariates: covariates.isEmpty ? nil : (covariates.count, lookback + covariateDays - 1),
        about: """
          The forecasts for the \(outputs) days after the last of `sales` (the last \(lookback) days of raw
             sales, oldest first), in sales units: forecast[0] is the next day, forecast[\(outputs - 1)] the last.\(
            firstDate)\(covariateText)
             \(reentrant)
          """,
        declaration:
          "void \(p)_predict(const float sales[\(p)_LOOKBACK]\(date)\(covariateArgument), float forecast[\(p)_STEPS]);")
    }
    let about =
      dated
      ? """
      The forecast for the day after the last of `sales` (the last \(lookback) days of raw sales,
         oldest first), in sales units; year, month (1-12) and day (1-31) are the forecast day's date.\(covariateText)
         \(reentrant)
      """
      : """
      The forecast for the day after the last of `sales` (the last \(lookback) days of raw sales,
         oldest first), in sales units.\(covariateText.isEmpty ? " " : covariateText + "\n   ")\(reentrant)
      """
    return header(
      symbol: p, model: name, lookback: lookback,
      covariates: covariates.isEmpty ? nil : (covariates.count, lookback + covariateDays - 1), about: about,
      declaration: "float \(p)_predict(const float sales[\(p)_LOOKBACK]\(date)\(covariateArgument));")
  }

  /// What every library's comment says of its function.
  static let reentrant = "Re-entrant: no global state, no allocation."

  /// A C library's header: its include guard, `NAME_LOOKBACK` (and `NAME_STEPS`), the comment
  /// `about` (its lines after the first indented by three spaces) and the function's declaration.
  static func header(
    symbol p: String, model name: String, lookback: Int, steps: Int? = nil, covariates: (count: Int, rows: Int?)? = nil,
    about: String,
    declaration: String
  ) -> String {
    """
    /* \(p).h: generated by Tinycast \(TinycastCVersion.string) from model '\(name)'. Do not edit. */
    #ifndef \(p.uppercased())_H
    #define \(p.uppercased())_H

    #define \(p)_LOOKBACK \(lookback)
    \(steps.map { "#define \(p)_STEPS \($0)\n" } ?? "")\(covariateCount(symbol: p, covariates))
    /* \(about) */
    \(declaration)

    #endif

    """
  }

  /// `#define NAME_COVARIATES C` and (a network's, a row per day) `NAME_COVARIATE_ROWS` when the
  /// function takes covariates.
  static func covariateCount(symbol p: String, _ covariates: (count: Int, rows: Int?)?) -> String {
    guard let c = covariates else { return "" }
    return "#define \(p)_COVARIATES \(c.count)\n" + (c.rows.map { "#define \(p)_COVARIATE_ROWS \($0)\n" } ?? "")
  }

  /// The covariates' parameter of a network's function: a row of values per day.
  static func covariateParameter(symbol p: String) -> String {
    "const float covariates[\(p)_COVARIATE_ROWS][\(p)_COVARIATES]"
  }

  /// `NAME_half`: an IEEE half (uint16) to float, exactly, without libm (every float16 export).
  static func halfDecoder(symbol p: String) -> String {
    """
    static float \(p)_half(uint16_t h) {
      uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1F, m = h & 0x3FF, bits;
      if (e == 0) { if (m == 0) bits = s; else { e = 113; while (!(m & 0x400)) { m <<= 1; e--; } bits = s | (e << \
    23) | ((m & 0x3FF) << 13); } }
      else if (e == 31) bits = s | 0x7F800000u | (m << 13);
      else bits = s | ((e + 112) << 23) | (m << 13);
      float f; memcpy(&f, &bits, 4); return f;
    }

    """
  }

  /// NAME.h of a per-series state model (ETS, Theta): its sizes, its state type (`stateFields`,
  /// described by `stateComment`) and the device's loop: start, forecast, observe.
  static func seriesHeaderFile(
    symbol p: String, model name: String, series: Int, season: Int, horizon: Int, stateComment: String,
    stateFields: [String]
  ) -> String {
    """
    /* \(p).h: generated by Tinycast \(TinycastCVersion.string) from model '\(name)'. Do not edit. */
    #ifndef \(p.uppercased())_H
    #define \(p.uppercased())_H

    #define \(p)_SERIES \(series)
    #define \(p)_SEASON \(season)
    #define \(p)_HORIZON \(horizon)

    /* \(stateComment) The caller keeps one per series. */
    typedef struct {
    \(stateFields.map { "  " + $0 }.joined(separator: "\n"))
    } \(p)_state;

    /* Store and item of series k (0 <= k < \(p)_SERIES). */
    extern const short \(p)_ids[\(p)_SERIES][2];
    /* Series k's state at the end of its training days, where forecasting starts. */
    void \(p)_start(\(p)_state *s, int k);
    /* The forecast \(p)_HORIZON day(s) after the last day folded in, in sales units. */
    float \(p)_forecast(const \(p)_state *s, int k);
    /* Folds one day's observed sales into series k's state. */
    void \(p)_observe(\(p)_state *s, int k, float sales);

    #endif

    """
  }

  /// The test harness of a per-series state model (compiled with -DNAME_MAIN): each line of
  /// stdin holds a series index and that series' next day of sales, each series from its first
  /// test day on; it prints the forecast for that day (made before seeing it) as an exact hex
  /// float, then folds the sales in.
  static func seriesHarness(symbol p: String) -> String {
    """
    #ifdef \(p.uppercased())_MAIN
    /* Test harness: each line of stdin holds a series index and that series' next day of sales,
       each series from its first test day on. Prints the forecast for that day (made before
       seeing it) as an exact hex float, then folds the sales in. */
    #include <stdio.h>
    int main(void) {
      static \(p)_state states[\(p)_SERIES];
      for (int k = 0; k < \(p)_SERIES; k++) \(p)_start(&states[k], k);
      int k;
      float sales;
      while (scanf("%d %f", &k, &sales) == 2) {
        if (k < 0 || k >= \(p)_SERIES) return 1;
        printf("%a\\n", (double)\(p)_forecast(&states[k], k));
        \(p)_observe(&states[k], k, sales);
      }
      return 0;
    }
    #endif
    """
  }

  /// The test harness every family's C library ends with (compiled with -DNAME_MAIN): each line
  /// of stdin holds a window of sales; each forecast is printed as an exact hex float.
  static func harness(symbol p: String, lookback: Int) -> String {
    networkHarness(symbol: p, lookback: lookback, dated: false, covariates: false, steps: 1)
  }

  /// C statements that set the forecast day's number, weekday (0 Monday; day 0, 1970-01-01, was
  /// a Thursday) and day of the year from the function's year, month and day.
  static func forecastCalendar(symbol p: String) -> String {
    """
      const int forecast_day = \(p)_day_number(year, month, day);
      const int weekday = ((forecast_day % 7) + 7 + 3) % 7;
      const int day_of_year = forecast_day - \(p)_day_number(year, 1, 1) + 1;

    """
  }

  /// C statements that set `name` to the window's level: its mean sales, or 1 when that is not
  /// positive, summed in order in float32 as Tinycast's level-normalised models compute it.
  static func windowLevel(symbol p: String, as name: String) -> String {
    """
      float sum = 0.0f;
      for (int t = 0; t < \(p)_LOOKBACK; t++) sum = sum + sales[t];
      const float mean = sum / (float)\(p)_LOOKBACK;
      const float \(name) = mean > 0.0f ? mean : 1.0f;

    """
  }

  /// The harness of a window function: each line holds the window's sales, then (dated) the
  /// (first) forecast day's year, month and day, then (with covariates) each day's covariates in
  /// turn; prints each forecast (each day's, for a multi-day head) on a line of its own.
  static func networkHarness(symbol p: String, lookback: Int, dated: Bool, covariates: Bool, steps: Int) -> String {
    let date = dated ? ", then the \(steps > 1 ? "first " : "")forecast day's year, month and day" : ""
    let covariateText =
      covariates ? ",\n   then the \(p)_COVARIATES covariates of each of the \(p)_COVARIATE_ROWS days" : ""
    let call = "\(p)_predict(sales\(dated ? ", year, month, day" : "")\(covariates ? ", covariates" : "")"
    var body = ["float sales[\(p)_LOOKBACK];"]
    if steps > 1 { body.append("float forecast[\(p)_STEPS];") }
    if covariates { body.append("float covariates[\(p)_COVARIATE_ROWS][\(p)_COVARIATES];") }
    body.append("for (;;) {")
    if dated { body.append("  int year, month, day;") }
    body.append("  for (int t = 0; t < \(p)_LOOKBACK; t++) if (scanf(\"%f\", &sales[t]) != 1) return 0;")
    if dated { body.append("  if (scanf(\"%d %d %d\", &year, &month, &day) != 3) return 0;") }
    if covariates {
      body.append("  for (int r = 0; r < \(p)_COVARIATE_ROWS; r++) {")
      body.append("    for (int k = 0; k < \(p)_COVARIATES; k++) if (scanf(\"%f\", &covariates[r][k]) != 1) return 0;")
      body.append("  }")
    }
    if steps > 1 {
      body.append("  \(call), forecast);")
      body.append("  for (int k = 0; k < \(p)_STEPS; k++) printf(\"%a\\n\", (double)forecast[k]);")
    } else {
      body.append("  printf(\"%a\\n\", (double)\(call)));")
    }
    body.append("}")
    return """
      #ifdef \(p.uppercased())_MAIN
      /* Test harness: each line of stdin holds \(lookback) sales\(date)\(covariateText);
         prints \(steps > 1 ? "the \(p)_STEPS forecasts, one per line," : "each forecast") as exact hex floats. */
      #include <stdio.h>
      int main(void) {
      \(body.map { "  " + $0 }.joined(separator: "\n"))
      }
      #endif
      """
  }

  /// The harness of a dated model: each line holds the window's sales, then the forecast day's
  /// year, month and day.
  static func datedHarness(symbol p: String, lookback: Int) -> String {
    networkHarness(symbol: p, lookback: lookback, dated: true, covariates: false, steps: 1)
  }

  /// The date helpers a dated model needs: a date's day number (days since 1970-01-01, Howard
  /// Hinnant's algorithm, as Tinycast's CivilDate) and, when the window is walked back through
  /// the calendar (`yearLengths`), leap years.
  static func dateFunctions(symbol p: String, yearLengths: Bool = true) -> String {
    let leap =
      yearLengths
      ? "static int \(p)_year_length(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 366 : 365; }\n"
      : ""
    return """
      static int \(p)_day_number(int y, int m, int d) {
        y -= m <= 2;
        const int era = (y >= 0 ? y : y - 399) / 400;
        const int yoe = y - era * 400;
        const int doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
      }
      \(leap)
      """
  }

  public static func export(_ model: ForecastModel, name: String, metadata: ModelMetadata) -> CExportArtifact {
    export(model, name: name, metadata: metadata, measuring: false)
  }

  /// With `measuring`, only what `export` reports (flash for the weights and the table, RAM,
  /// multiply-accumulates) is counted, without generating the source: the cheap size for tables.
  static func export(
    _ model: ForecastModel, name: String, metadata: ModelMetadata, measuring: Bool
  ) -> CExportArtifact {
    let p = symbol(name)
    var w = Writer(prefix: p)
    w.measuring = measuring
    let H = model.units
    let cell = model.cell
    let G = cell.gates * H
    let T = metadata.lookback
    let inputs = model.inputs
    let D = inputs.channels
    let S = model.outputs
    w.inputs = inputs
    w.outputs = S
    let skip = model.skip
    // With a linear skip the network is a static function, `NAME_net`, that NAME_predict adds
    // to the linear model's forecast; the library takes the date when either part needs it.
    if skip != nil { w.functionName = "\(p)_net" }
    let dated = inputs.isDated || skip?.isDated == true
    let header = headerFile(
      symbol: p, model: name, lookback: T, dated: dated, outputs: S, covariates: inputs.covariates.map(\.name),
      ahead: inputs.covariatesAhead, horizon: metadata.horizon, covariateDays: inputs.covariateDays)
    w.line(
      "/* \(p).c: generated by Tinycast \(TinycastCVersion.string) from model '\(name)' (\(model.kindDescription)). "
        + "Do not edit. */"
    )
    w.line("#include <stdint.h>")
    w.line("#include <string.h>")
    w.line("#include \"\(p).h\"")
    w.line("")
    w.line("#define D \(D)")
    w.line("#define H \(H)")
    w.line("#define G \(G)")
    if S > 1 { w.line("#define S \(S)") }
    w.line("")
    w.floats("scaler", [metadata.scalerOffset, metadata.scalerFactor], comment: "(sales - offset) * factor")
    // The day number: for the network's own dated inputs, or for a calendar base's weekday and
    // day of the year (a base with holidays finds them from the date itself).
    let baseNeedsCalendar = skip.map { !$0.calendar.isEmpty && $0.holidays.isEmpty } ?? false
    if inputs.isDated || baseNeedsCalendar {
      w.line(dateFunctions(symbol: p, yearLengths: !inputs.calendar.isEmpty))
    }
    if !inputs.calendar.isEmpty { w.line(LinearArtifacts.calendarFunctions(p, inputs.calendar)) }
    if !inputs.holidays.isEmpty { w.holidays(inputs.holidays) }
    if !inputs.covariates.isEmpty {
      w.floats(
        "covariate_scaler", inputs.covariates.flatMap { [$0.scaler.offset, $0.scaler.factor] },
        comment: "per covariate: (value - offset) * factor")
    }
    var needsHalf = false
    var isInteger = false
    switch model {
    case .int8: isInteger = true
    case .float(_, .float16?): needsHalf = true
    default: break
    }
    w.activations(half: needsHalf, integer: isInteger)
    var macs = 0
    var ram = 4 * (2 * H + G + D) + (S > 1 ? 4 * S : 0)  // h, c, z, the step's inputs; a multi-day head's outputs
    switch model {
    case .int8(let q, _):
      for (l, layer) in q.allLayers.enumerated() {
        w.int8Tensor(Writer.layerName("wx", l), layer.kernel)
        w.floats(Writer.layerName("wx_scale", l), layer.kernelScales)
        w.int8Tensor(Writer.layerName("wh", l), layer.recurrent)
        w.floats(Writer.layerName("wh_scale", l), layer.recurrentScales)
        w.floats(Writer.layerName("bias", l), layer.bias)
      }
      w.int8Tensor("wd", q.dense)
      if S == 1 {
        w.floats("dense", [q.denseScales[0], q.denseBiases[0]], comment: "scale, bias")
      } else {
        w.floats("dense_scale", q.denseScales, comment: "one per day")
        w.floats("dense_bias", q.denseBiases)
      }
      w.integerPredict(lookback: T, cell: cell, layers: q.layers)
      // h, c (GRU: none), z or q, qh, x, qx, ax (GRU: and a); a multi-day head's sums; each
      // further layer's h and c, and one buffer of codes for its inputs
      let L = q.layers
      ram =
        4 * 2 * H + 4 * G + H + 4 * D + D + 4 * G + (S > 1 ? 4 * S : 0)
        + (L - 1) * 4 * (cell == .gru ? H : 2 * H) + (L > 1 ? H : 0)
      macs = T * (D * G + H * G + (L - 1) * 2 * H * G) + H * S
    case .lowRank(let f, let n):
      let l = n.layout
      for layer in 0..<l.layers {
        let name = { (base: String) in Writer.layerName(base, layer) }
        w.floatTensor(name("wx"), Array(n.weights.values[l.range(.kernel, layer: layer)]), storage: nil)
        w.floatTensor(name("wa"), f[layer].a.storage, storage: nil)
        w.floatTensor(name("wb"), f[layer].b.storage, storage: nil)
        w.floats(name("bias"), Array(n.weights.values[l.range(.bias, layer: layer)]))
      }
      w.floatTensor("wd", Array(n.weights.values[l.range(.denseKernel)]), storage: nil)
      w.floats("dense_bias", Array(n.weights.values[l.range(.denseBias)]))
      let R = f[0].rank
      w.line("#define R \(R)")
      w.floatPredict(lookback: T, cell: cell, lowRank: true, layers: l.layers)
      ram += 4 * R + (l.layers - 1) * 4 * (cell == .gru ? H : 2 * H)
      if cell == .gru { ram += 4 * G }
      macs = T * (D * G + H * R + R * G + (l.layers - 1) * (H * G + H * R + R * G)) + H * S
    case .float(let n, _), .uint8(let n, _):
      let l = n.layout
      let scheme: CStorage
      switch model {
      case .float(_, .float16?): scheme = .float16
      case .uint8(_, let params): scheme = .uint8(params)
      default: scheme = .float32
      }
      // The kernels in `layout.kernels` order: each layer's two, then the Dense kernel.
      for layer in 0..<l.layers {
        let name = { (base: String) in Writer.layerName(base, layer) }
        w.floatTensor(
          name("wx"), Array(n.weights.values[l.range(.kernel, layer: layer)]), storage: scheme.kernel(2 * layer))
        w.floatTensor(
          name("wh"), Array(n.weights.values[l.range(.recurrentKernel, layer: layer)]),
          storage: scheme.kernel(2 * layer + 1))
        w.floats(name("bias"), Array(n.weights.values[l.range(.bias, layer: layer)]))
      }
      w.floatTensor("wd", Array(n.weights.values[l.range(.denseKernel)]), storage: scheme.kernel(2 * l.layers))
      w.floats("dense_bias", Array(n.weights.values[l.range(.denseBias)]))
      w.floatPredict(lookback: T, cell: cell, lowRank: false, layers: l.layers)
      if cell == .gru { ram += 4 * G }  // the recurrent projection, kept apart from the input's
      ram += (l.layers - 1) * 4 * (cell == .gru ? H : 2 * H)  // each further layer's state
      macs = T * (D * G + H * G + (l.layers - 1) * 2 * H * G) + H * S
    }
    var weightBytes = w.constantBytes
    if let skip {
      let base = linearSkip(
        skip, symbol: p, metadata: metadata, networkDated: inputs.isDated, networkLevel: inputs.levelNormalized,
        networkCovariates: !inputs.covariates.isEmpty, measuring: measuring)
      w.line(base.code)
      weightBytes += base.artifact.weightBytes
      ram += base.artifact.ramBytes
      macs += base.artifact.macs
    }
    let harnessCode =
      S > 1 || !inputs.covariates.isEmpty
      ? networkHarness(symbol: p, lookback: T, dated: dated, covariates: !inputs.covariates.isEmpty, steps: S)
      : dated ? datedHarness(symbol: p, lookback: T) : harness(symbol: p, lookback: T)
    w.line("\n" + harnessCode)
    return CExportArtifact(
      header: header, source: w.text, symbol: p, weightBytes: weightBytes, tableBytes: w.tableBytes,
      ramBytes: ram, macs: macs)
  }

  /// The linear model a network corrects, in C: its library (symbol NAME_base, its predict made
  /// static, without its header and harness), then NAME_predict, which adds the network's
  /// correction as Tinycast does (LinearSkip.swift): base + (net - anchor), through the scaler
  /// and back, so int8 models agree bit for bit.
  static func linearSkip(
    _ skip: LinearAutoregression, symbol p: String, metadata: ModelMetadata, networkDated: Bool,
    networkLevel: Bool, networkCovariates: Bool, measuring: Bool
  ) -> (code: String, artifact: CExportArtifact) {
    let b = "\(p)_base"
    let base = LinearArtifacts.library(skip, name: b, metadata: metadata, measuring: measuring, asSkipBase: true)
    guard !measuring else { return ("", base) }
    var code = base.source.replacingOccurrences(
      of: "#include \"\(b).h\"\n", with: "#define \(b)_LOOKBACK \(skip.lookback)\n")
    if let harness = code.range(of: "#ifdef \(b.uppercased())_MAIN") {
      code = String(code[..<harness.lowerBound])
    }
    code = code.replacingOccurrences(of: "float \(b)_predict(", with: "static float \(b)_predict(")
    // The base's arguments: the window, and what of the date it reads (the network's part of the
    // library has the date functions: the library is dated when the base is).
    let baseCall: String
    if !skip.holidays.isEmpty {
      baseCall = "\(b)_predict(sales, year, month, day)"
    } else if !skip.calendar.isEmpty {
      baseCall = "\(b)_predict(sales, weekday, day_of_year)"
    } else {
      baseCall = "\(b)_predict(sales)"
    }
    let dated = networkDated || skip.isDated
    let date = dated ? ", int year, int month, int day" : ""
    let covariates = networkCovariates ? ", " + covariateParameter(symbol: p) : ""
    let netCall =
      "\(p)_net(sales\(networkDated ? ", year, month, day" : "")\(networkCovariates ? ", covariates" : ""))"
    let body = !skip.calendar.isEmpty && skip.holidays.isEmpty ? forecastCalendar(symbol: p) : ""
    // What the network's output of 0 means in sales: the window's level, or the scaler's offset.
    let anchor =
      networkLevel ? CExport.windowLevel(symbol: p, as: "anchor") : "  const float anchor = \(p)_scaler[0];\n"
    return (
      code + """
        /* The forecast: the linear model's, corrected by the network. */
        float \(p)_predict(const float sales[\(p)_LOOKBACK]\(date)\(covariates)) {
        \(body)  const float base = \(baseCall);
          const float net = \(netCall);
        \(anchor)  const float correction = net - anchor;
          const float y = base + correction;
          const float scaled = (y - \(p)_scaler[0]) * \(p)_scaler[1];
          return scaled / \(p)_scaler[1] + \(p)_scaler[0];
        }
        """,
      base
    )
  }

  /// Energy per forecast from published per-operation energies (M. Horowitz, "Computing's
  /// energy problem (and what we can do about it)", ISSCC 2014, 45 nm): a float32 multiply-add
  /// 3.7 + 0.9 pJ, an int8 multiply-add 0.2 + 0.03 pJ, and a 32-bit read from a small SRAM 5 pJ
  /// (1.25 pJ per byte) for every weight byte read once per step. An estimate for comparing
  /// models, not a measurement of any device.
  public static func energyNanojoules(_ model: ForecastModel, artifact: CExportArtifact, lookback: Int) -> Double {
    let perMAC: Double
    switch model {
    case .int8: perMAC = 0.23
    default: perMAC = 4.6
    }
    let reads = Double(artifact.weightBytes) * Double(lookback) * 1.25
    return (Double(artifact.macs) * perMAC + reads) / 1000
  }
}

public enum TinycastCVersion { public static let string = "0.1.0" }

/// How a float model's kernel is stored in C.
enum CStorage {
  case float32
  case float16
  case uint8([Quantization.AffineUInt8])
  enum Kernel {
    case float32
    case float16
    case uint8(Quantization.AffineUInt8)
  }
  func kernel(_ i: Int) -> Kernel {
    switch self {
    case .float32: .float32
    case .float16: .float16
    case .uint8(let p): .uint8(p[i])
    }
  }
}

/// Accumulates the C source, the constant bytes, and which tensors are sparse.
struct Writer {
  let prefix: String
  /// Counts the bytes without writing the source (for `footprint`: no value is formatted).
  var measuring = false
  var text = ""
  var constantBytes = 0
  var tableBytes = 0
  var sparse: [String: Bool] = [:]
  var storage: [String: String] = [:]  // tensor -> "f32" | "f16" | "u8"
  /// What each step of a recurrent model reads (its C computes the same inputs).
  var inputs: RecurrentInputs = .plain
  /// Days a recurrent model forecasts at once (its predict fills an array when more than one).
  var outputs = 1

  init(prefix: String) { self.prefix = prefix }

  mutating func line(_ s: String) {
    if !measuring { text += s + "\n" }
  }

  static func hex(_ v: Float) -> String {
    if v == 0 { return v.sign == .minus ? "-0.0f" : "0.0f" }
    if !v.isFinite { return v.isNaN ? "(0.0f/0.0f)" : (v > 0 ? "(1.0f/0.0f)" : "(-1.0f/0.0f)") }
    // Exact C99 hex-float literal: sign, 1.mantissa, binary exponent.
    let bits = v.bitPattern
    let exponentBits = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x7F_FFFF
    let sign = bits >> 31 == 1 ? "-" : ""
    if exponentBits == 0 {  // subnormal
      return "\(sign)0x0.\(String(mantissa << 1, radix: 16).leftPad(6))p-126f"
    }
    return "\(sign)0x1.\(String(mantissa << 1, radix: 16).leftPad(6))p\(exponentBits - 127)f"
  }

  mutating func floats(_ name: String, _ values: [Float], comment: String? = nil) {
    if !measuring {
      line(
        "static const float \(prefix)_\(name)[\(values.count)] = "
          + "{\(values.map(Writer.hex).joined(separator: ", "))};\(comment.map { " /* \($0) */" } ?? "")")
    }
    constantBytes += 4 * values.count
  }

  /// Emits `values` dense or as bitmask + nonzeros, whichever is smaller.
  mutating func floatTensor(_ name: String, _ values: [Float], storage kernel: CStorage.Kernel?) {
    let valueSize: Int
    let kind: String
    switch kernel {
    case .float16?:
      valueSize = 2
      kind = "f16"
    case .uint8?:
      valueSize = 1
      kind = "u8"
    default:
      valueSize = 4
      kind = "f32"
    }
    storage[name] = kind
    let stored = storedValues(name, values, valueSize: valueSize)
    let count = max(stored.count, 1)
    switch kernel {
    case .float16?:
      if !measuring {
        let halves = stored.map { String(Float16($0).bitPattern) }
        line(
          "static const uint16_t \(prefix)_\(name)[\(count)] = "
            + "{\(halves.isEmpty ? "0" : halves.joined(separator: ","))};"
        )
      }
    case .uint8(let a)?:
      if !measuring {
        line(
          "static const uint8_t \(prefix)_\(name)[\(count)] = "
            + "{\(stored.isEmpty ? "0" : stored.map { String(a.quantize($0)) }.joined(separator: ","))};")
      }
      line(
        "static const float \(prefix)_\(name)_q[2] = {\(Writer.hex(a.scale)), \(Writer.hex(Float(a.zeroPoint)))}; /* "
          + "scale, zero point */"
      )
      constantBytes += 8
    default:
      if !measuring {
        line(
          "static const float \(prefix)_\(name)[\(count)] = "
            + "{\(stored.isEmpty ? "0" : stored.map(Writer.hex).joined(separator: ","))};")
      }
    }
    constantBytes += valueSize * stored.count
  }

  /// The values to store for tensor `name`: all of them, or, when a bitmask plus the nonzero
  /// values is smaller, only the nonzero ones (and the bitmask is emitted here).
  mutating func storedValues<T: Numeric>(_ name: String, _ values: [T], valueSize: Int) -> [T] {
    let n = values.count
    let nonzero = values.enumerated().filter { $0.element != 0 }
    let isSparse = (n + 7) / 8 + nonzero.count * valueSize < n * valueSize
    sparse[name] = isSparse
    guard isSparse else { return values }
    let bits = ModelFile.bitmask(nonzero.map(\.offset), count: n)
    if !measuring {
      line(
        "static const uint8_t \(prefix)_\(name)_mask[\(bits.count)] = "
          + "{\(bits.map(String.init).joined(separator: ","))};"
      )
    }
    constantBytes += bits.count
    return nonzero.map(\.element)
  }

  mutating func int8Tensor(_ name: String, _ values: [Int8]) {
    storage[name] = "i8"
    let stored = storedValues(name, values, valueSize: 1)
    if !measuring {
      line(
        "static const int8_t \(prefix)_\(name)[\(max(stored.count, 1))] = "
          + "{\(stored.isEmpty ? "0" : stored.map(String.init).joined(separator: ","))};")
    }
    constantBytes += stored.count
  }

  /// The weight at flat index `i` of a float tensor, as a C expression (dense tensors only).
  func weight(_ name: String, _ index: String) -> String {
    switch storage[name] {
    case "f16": return "\(prefix)_half(\(prefix)_\(name)[\(index)])"
    case "u8": return "(((float)\(prefix)_\(name)[\(index)] - \(prefix)_\(name)_q[1]) * \(prefix)_\(name)_q[0])"
    default: return "\(prefix)_\(name)[\(index)]"
    }
  }

  /// A loop over all elements of tensor `name` (n elements), binding `i` (flat index) and `w`
  /// (its value), dense or walking the bitmask.
  func forEachWeight(_ name: String, count n: String, body: String, indent: String) -> String {
    let value: String
    if sparse[name] == true {
      let v = storage[name] == "i8" ? "(int32_t)\(prefix)_\(name)[v]" : weight(name, "v")
      value = v
      return """
        \(indent){ int v = 0; for (int i = 0; i < \(n); i++) { if (!(\(prefix)_\(name)_mask[i >> 3] >> (i & 7) & 1)) \
        continue;
        \(indent)  const \(storage[name] == "i8" ? "int32_t" : "float") w = \(value); v++;
        \(indent)  \(body) } }
        """
    }
    value = storage[name] == "i8" ? "(int32_t)\(prefix)_\(name)[i]" : weight(name, "i")
    return """
      \(indent)for (int i = 0; i < \(n); i++) { const \(storage[name] == "i8" ? "int32_t" : "float") w = \(value);
      \(indent)  \(body) }
      """
  }

  /// The activations of the model's kind (the integer path has its own), and the float16 and int8
  /// helpers it needs.
  mutating func activations(half: Bool, integer: Bool) {
    let p = prefix
    if integer { tableActivations() } else { floatActivations() }
    if half {
      line(CExport.halfDecoder(symbol: p))
    }
    if integer {
      line(
        """
        /* round(x * inverse_scale), ties away from zero (C's roundf, Swift's
           .toNearestOrAwayFromZero), clamped to [-127, 127]; exact for these magnitudes. */
        static int8_t \(p)_q8(float x, float inverse_scale) {
          float v = x * inverse_scale;
          if (v > 127.0f) v = 127.0f;
          if (v < -127.0f) v = -127.0f;
          float t = (float)(int32_t)v, d = v - t;
          if (d >= 0.5f) t += 1.0f; else if (d <= -0.5f) t -= 1.0f;
          return (int8_t)t;
        }

        """)
    }
  }

  /// Tinycast's float activations (NumericCore/Activations.swift), operation for operation.
  mutating func floatActivations() {
    let p = prefix
    line(
      """

      /* floor for |v| < 2^31 (here |v| <= 129), exact: truncate, then step down below zero. */
      static float \(p)_floor(float v) {
        float t = (float)(int32_t)v;
        return t > v ? t - 1.0f : t;
      }

      /* Tinycast's activations (NumericCore/Activations.swift), operation for operation. */
      static float \(p)_exp(float x) {
        if (x > 88.72283f) x = 88.72283f;
        if (x < -87.33654f) x = -87.33654f;
        float fx = \(p)_floor(x * 1.44269504088896341f + 0.5f);
        float r = x - fx * 0.693359375f;
        r = r - fx * -2.12194440e-4f;
        float q = 1.9875691500e-4f;
        q = q * r + 1.3981999507e-3f;
        q = q * r + 8.3334519073e-3f;
        q = q * r + 4.1665795894e-2f;
        q = q * r + 1.6666665459e-1f;
        q = q * r + 5.0000001201e-1f;
        float y = q * (r * r) + r + 1.0f;
        float big = fx + 12582912.0f;
        int32_t n; memcpy(&n, &big, 4); n -= 0x4B400000;
        uint32_t bits = (uint32_t)(n + 127) << 23; float scale; memcpy(&scale, &bits, 4);
        return y * scale;
      }
      static float \(p)_sigmoid(float x) { return 1.0f / (1.0f + \(p)_exp(-x)); }
      static float \(p)_tanh(float x) {
        uint32_t bits; memcpy(&bits, &x, 4);
        uint32_t abits = bits & 0x7FFFFFFFu; float ax; memcpy(&ax, &abits, 4);
        if (ax >= 0.625f) {
          float large = 1.0f - 2.0f / (\(p)_exp(ax + ax) + 1.0f);
          uint32_t lb; memcpy(&lb, &large, 4); lb |= bits & 0x80000000u; memcpy(&large, &lb, 4);
          return large;
        }
        float z = x * x;
        float q = -5.70498872745e-3f;
        q = q * z + 2.06390887954e-2f;
        q = q * z + -5.37397155531e-2f;
        q = q * z + 1.33314422036e-1f;
        q = q * z + -3.33332819422e-1f;
        return x + x * z * q;
      }

      """)
  }

  /// The integer path's activations (NumericCore/Activations.swift, the end): the table of 16
  /// quartic pieces of tanh and the same float operations in the same order as `tanhTablePiece`,
  /// `tanhTable` and `sigmoidTable`. The table is flash too, counted apart from the weights.
  mutating func tableActivations() {
    let p = prefix
    let table = tanhTableCoefficients
    precondition(
      TC_TANH_TABLE_PIECES == 16 && TC_TANH_TABLE_DEGREE == 4, "the emitted code below indexes 16 pieces of degree 4")
    line("")
    line("/* 16 quartic pieces of tanh: c_d of piece i at [d * 16 + i] */")
    line("static const float \(p)_tanh_table[\(table.count)] = {\(table.map(Writer.hex).joined(separator: ", "))};")
    tableBytes += 4 * table.count
    line(
      """

      /* P(u) ~ tanh(u / 2) for u in [0, 16]: piece i = min(trunc(u), 15) at t = u - i. */
      static float \(p)_piece(float u) {
        int32_t i = (int32_t)u;
        if (i > 15) i = 15;
        const float t = u - (float)i;
        float q = \(p)_tanh_table[64 + i];
        q = q * t + \(p)_tanh_table[48 + i];
        q = q * t + \(p)_tanh_table[32 + i];
        q = q * t + \(p)_tanh_table[16 + i];
        q = q * t + \(p)_tanh_table[i];
        return q;
      }
      /* |x| and the sign bit of x, as bits. */
      static float \(p)_magnitude(float x, uint32_t *sign) {
        uint32_t bits; memcpy(&bits, &x, 4);
        *sign = bits & 0x80000000u; bits &= 0x7FFFFFFFu;
        memcpy(&x, &bits, 4); return x;
      }
      static float \(p)_flip(float v, uint32_t sign) {
        uint32_t bits; memcpy(&bits, &v, 4); bits ^= sign; memcpy(&v, &bits, 4); return v;
      }
      /* tanh(x) = sign(x) P(min(|x|, 8) * 2); sigmoid(x) = 1/2 + sign(x) P(min(|x|, 16)) / 2. */
      static float \(p)_tanh(float x) {
        uint32_t sign; const float a = \(p)_magnitude(x, &sign);
        return \(p)_flip(\(p)_piece((a < 8.0f ? a : 8.0f) * 2.0f), sign);
      }
      static float \(p)_sigmoid(float x) {
        uint32_t sign; const float a = \(p)_magnitude(x, &sign);
        return 0.5f + \(p)_flip(\(p)_piece(a < 16.0f ? a : 16.0f) * 0.5f, sign);
      }

      """)
  }

  /// The LSTM cell update shared by both paths (z holds pre-activations i, f, g, o) on the state
  /// `h`, `c` (a stacked layer's own, `h_1`, `c_1`, ...).
  func cellUpdate(_ indent: String, h: String = "h", c: String = "c") -> String {
    let p = prefix
    return """
      \(indent)for (int u = 0; u < H; u++) {
      \(indent)  float ig = \(p)_sigmoid(z[u]), fg = \(p)_sigmoid(z[H + u]), gg = \(p)_tanh(z[2 * H + u]), og = \
      \(p)_sigmoid(z[3 * H + u]);
      \(indent)  float cell = fg * \(c)[u] + ig * gg;
      \(indent)  \(c)[u] = cell;
      \(indent)  \(h)[u] = og * \(p)_tanh(cell);
      \(indent)}
      """
  }

  /// Names of layer `l`'s state and tensors: layer 0 keeps the one-layer names (h, wx, bias, ...),
  /// layer l > 0 adds `_l` (h_1, wx_1, bias_1, ...).
  static func layerName(_ base: String, _ l: Int) -> String { l == 0 ? base : "\(base)_\(l)" }

  /// The holidays as sorted day numbers (flash) and a binary search for a day among them.
  mutating func holidays(_ days: [Int]) {
    let p = prefix
    constantBytes += 4 * days.count
    line("/* Holidays: day numbers (days since 1970-01-01), sorted. */")
    line("static const int32_t \(p)_holidays[\(days.count)] = {\(days.map(String.init).joined(separator: ", "))};")
    line(
      """
      static float \(p)_is_holiday(int day_number) {
        int lo = 0, hi = \(days.count);
        while (lo < hi) {
          const int mid = (lo + hi) / 2;
          if (\(p)_holidays[mid] < day_number) lo = mid + 1; else hi = mid;
        }
        return lo < \(days.count) && \(p)_holidays[lo] == day_number ? 1.0f : 0.0f;
      }

      """)
  }

  /// The network's function when it is not the library's entry point (a linear skip's `NAME_net`).
  var functionName: String?

  /// The predict function's signature: a dated model also takes the forecast day's date; a
  /// multi-day head writes its days into `forecast`.
  var signature: String {
    let p = prefix
    let date =
      (inputs.isDated ? ", int year, int month, int day" : "")
      + (inputs.covariates.isEmpty ? "" : ", " + CExport.covariateParameter(symbol: p))
    if let functionName { return "static float \(functionName)(const float sales[\(p)_LOOKBACK]\(date))" }
    return outputs > 1
      ? "void \(p)_predict(const float sales[\(p)_LOOKBACK]\(date), float forecast[\(p)_STEPS])"
      : "float \(p)_predict(const float sales[\(p)_LOOKBACK]\(date))"
  }

  /// Before the steps: the window's level (a level-normalised model) and the forecast day's
  /// day number and day of the year (a dated model), as RecurrentInputs computes them.
  var inputPrelude: String {
    let p = prefix
    var code = ""
    if inputs.levelNormalized { code += CExport.windowLevel(symbol: p, as: "level") }
    if inputs.isDated {
      // The day of the year only for the calendar (a holidays-only model needs the day number).
      code += "  const int forecast_day = \(p)_day_number(year, month, day);\n"
      if !inputs.calendar.isEmpty {
        code += "  const int forecast_doy = forecast_day - \(p)_day_number(year, 1, 1) + 1;\n"
      }
    }
    return code
  }

  /// Step t's inputs into x[D]: the day's sales (scaled, or over the level, centred), then the
  /// calendar of the day that step forecasts (t's day + horizon: the forecast day at the last step).
  func stepInputs(_ indent: String) -> String {
    let p = prefix
    var code =
      inputs.levelNormalized
      ? "\(indent)x[0] = sales[t] / level - 1.0f;\n"
      : "\(indent)x[0] = (sales[t] - \(p)_scaler[0]) * \(p)_scaler[1];\n"
    if !inputs.calendar.isEmpty {
      code += """
        \(indent){ const int back = \(p)_LOOKBACK - 1 - t, dn = forecast_day - back;
        \(indent)  int y = year, doy = forecast_doy - back;
        \(indent)  while (doy < 1) { y -= 1; doy += \(p)_year_length(y); }
        \(indent)  \(p)_calendar(((dn % 7) + 7 + 3) % 7, doy, x + 1); }

        """
    }
    if !inputs.holidays.isEmpty {
      code += "\(indent)x[\(inputs.holidayChannel)] = \(p)_is_holiday(forecast_day - (\(p)_LOOKBACK - 1 - t));\n"
    }
    if !inputs.covariates.isEmpty {
      // Day-major: step t reads rows t .. t + days - 1, each row's covariates in turn.
      let c = "\(p)_covariate_scaler"
      let days = inputs.covariateDays
      let (row, channel) = days > 1 ? ("t + j", "j * \(p)_COVARIATES + k") : ("t", "k")
      let inner = indent + (days > 1 ? "  " : "")
      if days > 1 { code += "\(indent)for (int j = 0; j < \(days); j++)\n" }
      code +=
        "\(inner)for (int k = 0; k < \(p)_COVARIATES; k++)\n"
        + "\(inner)  x[\(inputs.firstCovariateChannel) + \(channel)] = "
        + "(covariates[\(row)][k] - \(c)[2 * k]) * \(c)[2 * k + 1];\n"
    }
    return code
  }

  /// The network's output y as sales: through the level, or the scaler. A level-normalised
  /// forecast goes through the scaler and back as Tinycast scores it, so the bits agree. A
  /// multi-day head converts each day's y[k] into forecast[k].
  var output: String {
    let p = prefix
    // One day's y to sales, `result` taking it: returned, or stored as day k of a multi-day head.
    func sales(_ result: String, indent: String) -> String {
      inputs.levelNormalized
        ? "const float scaled = ((y + 1.0f) * level - \(p)_scaler[0]) * \(p)_scaler[1];\n"
          + "\(indent)\(result)scaled / \(p)_scaler[1] + \(p)_scaler[0];"
        : "\(result)y / \(p)_scaler[1] + \(p)_scaler[0];"
    }
    guard outputs > 1 else { return sales("return ", indent: "  ") }
    return "for (int k = 0; k < S; k++) {\n    const float y = ys[k];\n    "
      + sales("forecast[k] = ", indent: "    ") + "\n  }"
  }

  func gruCellUpdate(_ indent: String, h: String = "h") -> String {
    let p = prefix
    return """
      \(indent)for (int u = 0; u < H; u++) {
      \(indent)  const float zg = \(p)_sigmoid(z[u] + q[u]), rg = \(p)_sigmoid(z[H + u] + q[H + u]);
      \(indent)  const float ng = \(p)_tanh(z[2 * H + u] + rg * q[2 * H + u]);
      \(indent)  \(h)[u] = zg * \(h)[u] + (1.0f - zg) * ng;
      \(indent)}
      """
  }

  /// The float path. A stacked network (`layers` > 1) keeps each layer's state (h_1, c_1, ...)
  /// and at every step runs its layers bottom first, each reading the new h of the one below.
  mutating func floatPredict(lookback T: Int, cell: RecurrentCell, lowRank: Bool, layers: Int = 1) {
    let p = prefix
    let gru = cell == .gru
    let top = Writer.layerName("h", layers - 1)
    line("\(signature) {")
    line("  float x[D], h[H], \(gru ? "q[G]" : "c[H]"), z[G];\(lowRank ? " float u[R];" : "")")
    line("  memset(h, 0, sizeof h);\(gru ? "" : " memset(c, 0, sizeof c);")")
    for l in 1..<max(layers, 1) {
      let (h, c) = (Writer.layerName("h", l), Writer.layerName("c", l))
      line("  float \(h)[H]\(gru ? "" : ", \(c)[H]");  /* layer \(l)'s state */")
      line("  memset(\(h), 0, sizeof \(h));\(gru ? "" : " memset(\(c), 0, sizeof \(c));")")
    }
    line(inputPrelude + "  for (int t = 0; t < \(p)_LOOKBACK; t++) {")
    line(stepInputs("    "))
    for l in 0..<layers {
      let name = { (base: String) in Writer.layerName(base, l) }
      let (input, inputCount) = l == 0 ? ("x", "D") : (Writer.layerName("h", l - 1), "H")
      if l > 0 { line("    /* layer \(l), reading layer \(l - 1)'s new state */") }
      line("    for (int j = 0; j < G; j++) z[j] = \(p)_\(name("bias"))[j];")
      line(
        forEachWeight(name("wx"), count: "\(inputCount) * G", body: "z[i % G] += \(input)[i / G] * w;", indent: "    "))
      // The GRU keeps h Wh + b_rec apart: its candidate needs r * (h Wh + b_rec).
      let target = gru ? "q" : "z"
      if gru { line("    for (int j = 0; j < G; j++) q[j] = \(p)_\(name("bias"))[G + j];") }
      if lowRank {
        line("    memset(u, 0, sizeof u);")
        line(forEachWeight(name("wa"), count: "H * R", body: "u[i % R] += \(name("h"))[i / R] * w;", indent: "    "))
        line(forEachWeight(name("wb"), count: "R * G", body: "\(target)[i % G] += u[i / G] * w;", indent: "    "))
      } else {
        line(
          forEachWeight(
            name("wh"), count: "H * G", body: "\(target)[i % G] += \(name("h"))[i / G] * w;", indent: "    "))
      }
      line(gru ? gruCellUpdate("    ", h: name("h")) : cellUpdate("    ", h: name("h"), c: name("c")))
    }
    line("  }")
    if outputs > 1 {
      line("  float ys[S];")
      line("  for (int k = 0; k < S; k++) ys[k] = \(p)_dense_bias[k];")
      line(forEachWeight("wd", count: "H * S", body: "ys[i % S] += \(top)[i / S] * w;", indent: "  "))
    } else {
      line("  float y = \(p)_dense_bias[0];")
      line(forEachWeight("wd", count: "H", body: "y += \(top)[i] * w;", indent: "  "))
    }
    line("  \(output)")
    line("}")
  }

  /// The integer path, step by step as QuantizedRecurrent computes it: each step's inputs quantized
  /// symmetrically by their largest magnitude, h by 127, int32 sums, float32 scales and gates. A
  /// stacked network's layer l > 0 quantizes the new h of the layer below as its inputs.
  mutating func integerPredict(lookback T: Int, cell: RecurrentCell, layers: Int = 1) {
    let p = prefix
    let gru = cell == .gru
    let top = Writer.layerName("h", layers - 1)
    let state =
      gru
      ? """
        /* RAM: h (float), the step's inputs and their codes, qh, both products (int32), then as
           floats the input part a and the recurrent part q of the gates. */
        float h[H], x[D], a[G], q[G];
        int8_t qh[H], qx[D];
        int32_t ax[G], ah[G];
        memset(h, 0, sizeof h);
      """
      : """
        /* RAM: h and c (float), the recurrent accumulators that become the gates in place, qh,
           the step's inputs and their codes, the input accumulators. */
        float h[H], c[H], x[D];
        union { int32_t i[G]; float f[G]; } z;
        int8_t qh[H], qx[D];
        int32_t ax[G];
        memset(h, 0, sizeof h); memset(c, 0, sizeof c);
      """
    var upperState = ""
    for l in 1..<max(layers, 1) {
      let (h, c) = (Writer.layerName("h", l), Writer.layerName("c", l))
      upperState += "  float \(h)[H]\(gru ? "" : ", \(c)[H]");  /* layer \(l)'s state */\n"
      upperState += "  memset(\(h), 0, sizeof \(h));\(gru ? "" : " memset(\(c), 0, sizeof \(c));")\n"
    }
    if layers > 1 { upperState += "  int8_t qi[H];  /* a layer's inputs: the codes of the new h below */\n" }
    line(
      """
      \(signature) {
      \(state)
      \(upperState)\(inputPrelude)  for (int t = 0; t < \(p)_LOOKBACK; t++) {
      \(stepInputs("    "))
      """)
    for l in 0..<layers {
      let name = { (base: String) in Writer.layerName(base, l) }
      let (input, count, codes) = l == 0 ? ("x", "D", "qx") : (Writer.layerName("h", l - 1), "H", "qi")
      if l > 0 { line("    /* layer \(l), reading layer \(l - 1)'s new state */") }
      line(
        """
            \(l == 0 ? "" : "{ ")float m = 0.0f;
            for (int d = 0; d < \(count); d++) {
              uint32_t bits; memcpy(&bits, &\(input)[d], 4); bits &= 0x7FFFFFFFu;
              float v; memcpy(&v, &bits, 4);
              if (v > m) m = v;
            }
            const float xs = m > 0.0f ? m / 127.0f : 1.0f;
            for (int d = 0; d < \(count); d++) \(codes)[d] = \(p)_q8(\(input)[d], 1.0f / xs);
            for (int k = 0; k < H; k++) qh[k] = \(p)_q8(\(name("h"))[k], 127.0f);
            memset(ax, 0, sizeof ax);
            memset(\(gru ? "ah" : "z.i"), 0, sizeof \(gru ? "ah" : "z.i"));
        """)
      line(
        forEachWeight(
          name("wx"), count: "\(count) * G", body: "ax[i % G] += (int32_t)\(codes)[i / G] * w;", indent: "    "))
      line(
        forEachWeight(
          name("wh"), count: "H * G", body: "\(gru ? "ah" : "z.i")[i % G] += (int32_t)qh[i / G] * w;", indent: "    "))
      let (bias, wxScale, whScale) = (name("bias"), name("wx_scale"), name("wh_scale"))
      if gru {
        line(
          """
              for (int j = 0; j < G; j++) {
                a[j] = \(p)_\(bias)[j] + (xs * \(p)_\(wxScale)[j]) * (float)ax[j];
                q[j] = \(p)_\(bias)[G + j] + (\(p)_\(whScale)[j] / 127.0f) * (float)ah[j];
              }
          """)
        line(gruCellUpdate("    ", h: name("h")).replacingOccurrences(of: "z[", with: "a["))
      } else {
        line(
          """
              for (int j = 0; j < G; j++) {
                const int32_t acch = z.i[j];
                z.f[j] = \(p)_\(bias)[j] + (xs * \(p)_\(wxScale)[j]) * (float)ax[j] + (\(p)_\(whScale)[j] / 127.0f) * \
          (float)acch;
              }
          """)
        line(cellUpdate("    ", h: name("h"), c: name("c")).replacingOccurrences(of: "z[", with: "z.f["))
      }
      if l > 0 { line("    }") }
    }
    line("  }")
    if outputs > 1 {
      line("  int32_t acc[S]; float ys[S];")
      line("  memset(acc, 0, sizeof acc);")
      line(
        forEachWeight(
          "wd", count: "H * S", body: "acc[i % S] += (int32_t)\(p)_q8(\(top)[i / S], 127.0f) * w;", indent: "  "))
      line("  for (int k = 0; k < S; k++) ys[k] = \(p)_dense_bias[k] + (\(p)_dense_scale[k] / 127.0f) * (float)acc[k];")
    } else {
      line("  int32_t acc = 0;")
      line(forEachWeight("wd", count: "H", body: "acc += (int32_t)\(p)_q8(\(top)[i], 127.0f) * w;", indent: "  "))
      line("  const float y = \(p)_dense[1] + (\(p)_dense[0] / 127.0f) * (float)acc;")
    }
    line("  \(output)")
    line("}")
  }
}

extension String {
  func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
