// The linear autoregression's files: a model file with architecture "linear-ar" and a C99
// library that computes the forecast operation for operation as Tinycast does (so the forecasts
// are the same bits), and no Keras export.
//
// The model file's two tensors: "linear/kernel", the weights (encoding f32, f16 or i8, with
// the int8 scale after the codes; stored as a bitmask and the nonzero values when that is
// smaller, as the LSTM's pruned kernels are), and "linear/bias" (f32). The header also keeps
// the ridge penalty, which a refit after pruning uses again.

import Foundation
import Modeling

public enum LinearArtifacts: ArtifactFamily {
  public static let family = "linear"
  public static let modelFileArchitecture = "linear-ar"

  static func linear(_ model: any Forecaster) -> LinearAutoregression {
    guard let m = model as? LinearAutoregression else { preconditionFailure("\(model.family) is not linear") }
    return m
  }

  static func valueSize(_ storage: LinearAutoregression.Storage) -> Int {
    switch storage {
    case .float32: 4
    case .float16: 2
    case .int8: 1
    }
  }

  static func encoding(_ storage: LinearAutoregression.Storage) -> String {
    switch storage {
    case .float32: "f32"
    case .float16: "f16"
    case .int8: "i8"
    }
  }

  /// Whether a bitmask plus the nonzero weights is smaller than every weight.
  static func isSparse(_ m: LinearAutoregression) -> Bool {
    let size = valueSize(m.storage)
    let nonzero = m.weights.filter { $0 != 0 }.count
    return (m.weights.count + 7) / 8 + nonzero * size < m.weights.count * size
  }

  public static func modelFile(_ model: any Forecaster, metadata: ModelMetadata) -> [UInt8] {
    let m = linear(model)
    let p = m.weights.count
    let sparse = isSparse(m)
    let stored = sparse ? m.weights.filter { $0 != 0 } : m.weights
    let kind = m.storage == .float32 ? "float" : "quantized"
    let header =
      "{\"architecture\":\"\(modelFileArchitecture)\",\"kind\":\"\(kind)\",\"storage\":\"\(encoding(m.storage))\","
      + "\"input\":1,\"ridge\":\(m.ridge),\"loss\":\"\(m.loss.rawValue)\","
      + "\"norm\":\"\(m.levelNormalized ? "level" : "none")\","
      + "\"weekday\":\(m.calendar.weekday),\"year\":\(m.calendar.yearHarmonics),"
      + (m.holidays.isEmpty ? "" : "\"holidays\":[\(m.holidays.map(String.init).joined(separator: ","))],")
      + InputFields.json(RecurrentInputs(covariates: m.covariates))
      + "\"tensors\":[{\"name\":\"linear/kernel\",\"shape\":[\(p),1],\"encoding\":\"\(encoding(m.storage))\","
      + "\"sparse\":\"\(sparse ? "bitmask" : "none")\",\"stored\":\(stored.count)},{\"name\":\"linear/bias\","
      + "\"shape\":[1,1],\"encoding\":\"f32\",\"sparse\":\"none\",\"stored\":1}],"
      + ModelFile.commonHeaderFields(metadata)
      + "}"
    var payload: [UInt8] = []
    if sparse { payload += ModelFile.bitmask(m.weights.indices.filter { m.weights[$0] != 0 }, count: p) }
    switch m.storage {
    case .float32: for v in stored { ModelFile.appendLE(&payload, v.bitPattern) }
    case .float16: for v in stored { ModelFile.appendLE(&payload, Float16(v).bitPattern) }
    case .int8(let scale):
      for v in stored { payload.append(UInt8(bitPattern: Int8((v / scale).rounded()))) }
      ModelFile.appendLE(&payload, scale.bitPattern)
    }
    ModelFile.appendLE(&payload, m.bias.bitPattern)
    return ModelFile.container(header: header, payload: payload, compact: metadata.compact)
  }

  public static func readModelFile(_ bytes: [UInt8]) throws(ModelFileError) -> (any Forecaster, ModelMetadata) {
    let header = try ModelFile.header(of: bytes)
    let headerLength = Int(ModelFile.readLE(bytes, 8, UInt32.self))
    let metadata = try ModelFile.commonMetadata(header)
    let year = header["year"] as? Int ?? 0
    guard (0...12).contains(year) else { throw ModelFileError("year=\(year) harmonics is out of range") }
    let calendar = CalendarFeatures(weekday: header["weekday"] as? Bool ?? false, yearHarmonics: year)
    let loss = LinearAutoregression.Loss(rawValue: header["loss"] as? String ?? "mse") ?? .mse
    let level = (header["norm"] as? String ?? "none") == "level"
    let holidays = header["holidays"] as? [Int] ?? []
    guard holidays.count <= 100_000, zip(holidays, holidays.dropFirst()).allSatisfy({ $0 < $1 }) else {
      throw ModelFileError("header's holidays are not distinct day numbers in order")
    }
    // The covariates as a network's header writes them (the rest of the inputs are the linear model's own).
    let covariates = try InputFields.decode(header.filter { $0.key == "covariates" }, what: "header").covariates
    let p = metadata.lookback + calendar.count + (holidays.isEmpty ? 0 : 1) + covariates.count
    guard let tensors = header["tensors"] as? [[String: Any]], tensors.count == 2,
      let encoding = tensors[0]["encoding"] as? String, let sparse = tensors[0]["sparse"] as? String,
      let stored = tensors[0]["stored"] as? Int, (0...p).contains(stored), sparse == "none" || sparse == "bitmask"
    else { throw ModelFileError("a linear model file lists its kernel and bias tensors; this one does not") }
    let ridge = (header["ridge"] as? Double) ?? (header["ridge"] as? Int).map(Double.init) ?? 0.0001
    let size: Int
    switch encoding {
    case "f32": size = 4
    case "f16": size = 2
    case "i8": size = 1
    default: throw ModelFileError("unknown weight encoding '\(encoding)'")
    }
    let maskBytes = sparse == "bitmask" ? (p + 7) / 8 : 0
    let start = 12 + headerLength
    let expected = maskBytes + stored * size + (encoding == "i8" ? 4 : 0) + 4
    guard bytes.count - 4 - start == expected else {
      throw ModelFileError("a linear model on \(p) days stores \(expected) bytes of numbers; the file does not")
    }
    var at = start
    var positions = Array(0..<p)
    if maskBytes > 0 {
      positions = (0..<p).filter { bytes[start + $0 / 8] & (1 << UInt8($0 % 8)) != 0 }
      at += maskBytes
    }
    guard positions.count == stored else { throw ModelFileError("the kernel's bitmask does not match its values") }
    var raw: [UInt32] = []
    for _ in 0..<stored {
      switch size {
      case 4: raw.append(ModelFile.readLE(bytes, at, UInt32.self))
      case 2: raw.append(UInt32(ModelFile.readLE(bytes, at, UInt16.self)))
      default: raw.append(UInt32(bytes[at]))
      }
      at += size
    }
    var weights = [Float](repeating: 0, count: p)
    let storage: LinearAutoregression.Storage
    switch encoding {
    case "f32":
      storage = .float32
      for (k, t) in positions.enumerated() { weights[t] = Float(bitPattern: raw[k]) }
    case "f16":
      storage = .float16
      for (k, t) in positions.enumerated() { weights[t] = Float(Float16(bitPattern: UInt16(raw[k]))) }
    default:
      let scale = Float(bitPattern: ModelFile.readLE(bytes, at, UInt32.self))
      at += 4
      guard scale.isFinite, scale > 0 else { throw ModelFileError("the int8 kernel's scale is not a positive number") }
      storage = .int8(scale: scale)
      for (k, t) in positions.enumerated() { weights[t] = Float(Int8(bitPattern: UInt8(raw[k]))) * scale }
    }
    let bias = Float(bitPattern: ModelFile.readLE(bytes, at, UInt32.self))
    let model = LinearAutoregression(
      weights: weights, bias: bias, storage: storage, ridge: ridge, loss: loss, levelNormalized: level,
      calendar: calendar, holidays: holidays, covariates: covariates)
    return (model, metadata)
  }

  public static func cLibrary(
    _ model: any Forecaster, name: String, metadata: ModelMetadata, measuring: Bool
  ) -> CExportArtifact? {
    library(linear(model), name: name, metadata: metadata, measuring: measuring, asSkipBase: false)
  }

  /// The C library of `m`. A level-normalised model forecasts sales directly (y times the
  /// window's level); its library, like Tinycast's scores, takes that forecast through the scaler
  /// and back, so the bits agree. As a network's skip base (`asSkipBase`) it returns the sales
  /// forecast itself, which the correction is added to.
  static func library(
    _ m: LinearAutoregression, name: String, metadata: ModelMetadata, measuring: Bool, asSkipBase: Bool
  ) -> CExportArtifact {
    let roundTrip = m.levelNormalized && !asSkipBase
    let p = CExport.symbol(name)
    let t = m.weights.count
    let sparse = isSparse(m)
    let nonzero = m.weights.indices.filter { m.weights[$0] != 0 }
    let stored = sparse ? nonzero.map { m.weights[$0] } : m.weights
    let size = valueSize(m.storage)
    // The weights (and the mask when sparse, the scale when int8), the bias, the scaler's floats.
    let weightBytes =
      stored.count * size + (sparse ? (t + 7) / 8 : 0) + (m.storage == .float32 || m.storage == .float16 ? 0 : 4)
      + 4 + (m.levelNormalized && !roundTrip ? 0 : 8) + 4 * m.holidays.count + 8 * m.covariates.count
    let macs = sparse ? nonzero.count : t
    guard !measuring else {
      return CExportArtifact(
        header: "", source: "", symbol: p, weightBytes: weightBytes, tableBytes: 0, ramBytes: 4, macs: macs)
    }
    let lookback = m.lookback
    let calendar = m.calendar
    // What the function takes besides the window: the forecast day's date (holidays need it),
    // or its weekday and day of the year (a calendar), and its covariates.
    let dated = !m.holidays.isEmpty
    let dayParameters =
      dated ? ", int year, int month, int day" : calendar.isEmpty ? "" : ", int weekday, int day_of_year"
    let covariateNames = m.covariates.map(\.name).joined(separator: ", ")
    let signature =
      "float \(p)_predict(const float sales[\(p)_LOOKBACK]\(dayParameters)"
      + (m.covariates.isEmpty ? "" : ", const float covariates[\(p)_COVARIATES]") + ")"
    var about = """
      The forecast for the day after the last of `sales` (the last \(lookback) days of raw sales,
         oldest first), in sales units.
      """
    if dated {
      about += " year, month (1-12) and day (1-31) are the forecast day's date."
    } else if !calendar.isEmpty {
      about +=
        " `weekday` is the forecast day's (0 Monday ... 6 Sunday),\n   `day_of_year` its day of the year (1 ... 366)."
    }
    if !m.covariates.isEmpty {
      about += "\n   covariates holds the forecast day's \(covariateNames), in the file's units, known in advance."
    }
    let header = CExport.header(
      symbol: p, model: name, lookback: lookback, covariates: m.covariates.isEmpty ? nil : (m.covariates.count, nil),
      about: about + "\n   " + CExport.reentrant, declaration: signature + ";")
    // The harness reads each argument in the order the function takes it.
    var reads = ["for (int t = 0; t < \(p)_LOOKBACK; t++) if (scanf(\"%f\", &sales[t]) != 1) return 0;"]
    var declarations = ["float sales[\(p)_LOOKBACK];"]
    var arguments = "sales"
    var described = "\(lookback) sales"
    if dated {
      declarations.append("int year, month, day;")
      reads.append("if (scanf(\"%d %d %d\", &year, &month, &day) != 3) return 0;")
      arguments += ", year, month, day"
      described += ", then the forecast day's year, month and day"
    } else if !calendar.isEmpty {
      declarations.append("int weekday, day_of_year;")
      reads.append("if (scanf(\"%d %d\", &weekday, &day_of_year) != 2) return 0;")
      arguments += ", weekday, day_of_year"
      described += ", then the forecast day's weekday and\n   day of the year"
    }
    if !m.covariates.isEmpty {
      declarations.append("float covariates[\(p)_COVARIATES];")
      reads.append("for (int k = 0; k < \(p)_COVARIATES; k++) if (scanf(\"%f\", &covariates[k]) != 1) return 0;")
      arguments += ", covariates"
      described += ", then its \(covariateNames)"
    }
    let harness = """
      #ifdef \(p.uppercased())_MAIN
      /* Test harness: each line of stdin holds \(described);
         prints each forecast as an exact hex float. */
      #include <stdio.h>
      int main(void) {
      \(declarations.map { "  " + $0 }.joined(separator: "\n"))
        for (;;) {
      \(reads.map { "    " + $0 }.joined(separator: "\n"))
          printf("%a\\n", (double)\(p)_predict(\(arguments)));
        }
      }
      #endif
      """
    var constants: [String] = []
    let count = max(stored.count, 1)
    let weightExpression: String
    switch m.storage {
    case .float32:
      let values = stored.isEmpty ? "0" : stored.map(Writer.hex).joined(separator: ", ")
      constants.append("static const float \(p)_w[\(count)] = {\(values)};")
      weightExpression = "\(p)_w[v]"
    case .float16:
      let halves = stored.map { String(Float16($0).bitPattern) }
      constants.append(
        "static const uint16_t \(p)_w[\(count)] = {\(halves.isEmpty ? "0" : halves.joined(separator: ", "))};")
      weightExpression = "\(p)_half(\(p)_w[v])"
    case .int8(let scale):
      let codes = stored.map { String(Int8(($0 / scale).rounded())) }
      constants.append(
        "static const int8_t \(p)_w[\(count)] = {\(codes.isEmpty ? "0" : codes.joined(separator: ", "))};")
      constants.append("static const float \(p)_w_scale = \(Writer.hex(scale));")
      weightExpression = "(float)\(p)_w[v] * \(p)_w_scale"
    }
    if sparse {
      let bits = ModelFile.bitmask(nonzero, count: t)
      constants.append(
        "static const uint8_t \(p)_mask[\(bits.count)] = {\(bits.map(String.init).joined(separator: ", "))};")
    }
    var helpers = ""
    if m.storage == .float16 { helpers += CExport.halfDecoder(symbol: p) }
    if !calendar.isEmpty { helpers += calendarFunctions(p, calendar) }
    if !m.holidays.isEmpty {
      var table = Writer(prefix: p)
      table.holidays(m.holidays)
      helpers += CExport.dateFunctions(symbol: p, yearLengths: false) + table.text
    }
    // The inputs: the window's days (scaled, or divided by their mean), then the calendar's.
    var inputs = ""
    if m.levelNormalized {
      inputs += CExport.windowLevel(symbol: p, as: "d")
      inputs += "  for (int t = 0; t < \(p)_LOOKBACK; t++) x[t] = sales[t] / d;\n\n"
    } else {
      inputs += "  for (int t = 0; t < \(p)_LOOKBACK; t++) x[t] = (sales[t] - \(p)_scaler[0]) * \(p)_scaler[1];\n"
    }
    if !m.holidays.isEmpty {
      // The weekday and day of the year from the date (for the calendar, when there is one).
      inputs += CExport.forecastCalendar(symbol: p) + "  (void)weekday; (void)day_of_year;\n"
    }
    if !calendar.isEmpty { inputs += "  \(p)_calendar(weekday, day_of_year, x + \(p)_LOOKBACK);\n" }
    let firstCovariate = t - m.covariates.count
    if !m.holidays.isEmpty { inputs += "  x[\(firstCovariate - 1)] = \(p)_is_holiday(forecast_day);\n" }
    if !m.covariates.isEmpty {
      let c = "\(p)_covariate_scaler"
      inputs +=
        "  for (int k = 0; k < \(p)_COVARIATES; k++) x[\(firstCovariate) + k] = (covariates[k] - \(c)[2 * k]) * "
        + "\(c)[2 * k + 1];\n"
      constants.append(
        "static const float \(c)[\(2 * m.covariates.count)] = {"
          + m.covariates.flatMap { [$0.scaler.offset, $0.scaler.factor] }.map(Writer.hex).joined(separator: ", ")
          + "}; /* per covariate: (value - offset) * factor */")
    }
    // Zero weights are skipped (a pruned model stores only the others), as Tinycast skips them.
    let loop =
      sparse
      ? """
        int v = 0;
        for (int t = 0; t < \(t); t++) {
          if (!(\(p)_mask[t / 8] & (1u << (t % 8)))) continue;
          const float w = \(weightExpression);
          v++;
          const float term = w * x[t];
          y = y + term;
        }
      """
      : """
        for (int v = 0; v < \(t); v++) {
          const float w = \(weightExpression);
          if (w == 0.0f) continue;
          const float term = w * x[v];
          y = y + term;
        }
      """
    let output =
      m.levelNormalized
      ? roundTrip ? "((y * d - \(p)_scaler[0]) * \(p)_scaler[1]) / \(p)_scaler[1] + \(p)_scaler[0]" : "y * d"
      : "y / \(p)_scaler[1] + \(p)_scaler[0]"
    // A level-normalised model reads sales as they are: the scaler only for the way back.
    let scaler =
      m.levelNormalized && !roundTrip
      ? ""
      : "static const float \(p)_scaler[2] = {\(Writer.hex(metadata.scalerOffset)), "
        + "\(Writer.hex(metadata.scalerFactor))};\n"
    let source = """
      /* \(p).c: generated by Tinycast \(TinycastCVersion.string) from model '\(name)' (\(m.architecture), \
      \(m.kindDescription)). Do not edit. */
      #include "\(p).h"
      #include <stdint.h>
      #include <string.h>

      \(scaler)\(constants.joined(separator: "\n"))
      static const float \(p)_b = \(Writer.hex(m.bias));

      \(helpers)\(signature) {
        float x[\(t)];
      \(inputs)  float y = \(p)_b;
      \(loop)
        return \(output);
      }

      \(harness)

      """
    return CExportArtifact(
      header: header, source: source, symbol: p, weightBytes: weightBytes, tableBytes: 0, ramBytes: 4 * (t + 2),
      macs: macs)
  }

  /// The calendar inputs in C, the operations of CalendarFeatures.sinCos in the same order.
  static func calendarFunctions(_ p: String, _ calendar: CalendarFeatures) -> String {
    let k = CalendarFeatures.constants
    var body = "  int k = 0;\n"
    if calendar.weekday { body += "  for (int d = 0; d < 7; d++) out[k++] = d == weekday ? 1.0f : 0.0f;\n" }
    if calendar.yearHarmonics > 0 {
      body += """
          for (int h = 1; h <= \(calendar.yearHarmonics); h++) {
            \(p)_sincos(4 * h * day_of_year, 1461, &out[k], &out[k + 1]);
            k += 2;
          }

        """
    }
    body += "  (void)k;\n  (void)weekday;\n  (void)day_of_year;\n"
    // The sines only when there are harmonics (a weekday-only model would not call them).
    let sines =
      calendar.yearHarmonics == 0
      ? ""
      : """
      /* sin and cos of 2 pi q / n: the quadrant in integers, then Taylor polynomials on [0, pi/2). */
      static void \(p)_sincos(int q, int n, float *sine, float *cosine) {
        const int quarters = 4 * (q % n), quadrant = quarters / n, rest = quarters % n;
        const float u = (float)rest / (float)n;
        const float a = u * \(Writer.hex(k.halfPi));
        const float a2 = a * a;
        float s = a2 * \(Writer.hex(k.s11));
        s = \(Writer.hex(k.s9)) + s;
        s = a2 * s;
        s = \(Writer.hex(k.s7)) + s;
        s = a2 * s;
        s = \(Writer.hex(k.s5)) + s;
        s = a2 * s;
        s = \(Writer.hex(k.s3)) + s;
        s = a2 * s;
        s = 1.0f + s;
        s = a * s;
        float c = a2 * \(Writer.hex(k.c10));
        c = \(Writer.hex(k.c8)) + c;
        c = a2 * c;
        c = \(Writer.hex(k.c6)) + c;
        c = a2 * c;
        c = \(Writer.hex(k.c4)) + c;
        c = a2 * c;
        c = -0.5f + c;
        c = a2 * c;
        c = 1.0f + c;
        switch (quadrant) {
          case 0: *sine = s; *cosine = c; break;
          case 1: *sine = c; *cosine = -s; break;
          case 2: *sine = -s; *cosine = -c; break;
          default: *sine = -c; *cosine = s; break;
        }
      }

      """
    return sines + """
      /* The forecast day's calendar inputs: \(calendar.description). */
      static void \(p)_calendar(int weekday, int day_of_year, float *out) {
      \(body)}

      """
  }

  /// One float multiply-add per nonzero weight (4.6 pJ) and every constant byte read once (1.25
  /// pJ), the per-operation energies of Horowitz (ISSCC 2014) that the LSTM's estimate uses.
  public static func energyNanojoules(_ model: any Forecaster, artifact: CExportArtifact, lookback: Int) -> Double {
    (Double(artifact.macs) * 4.6 + Double(artifact.weightBytes) * 1.25) / 1000
  }

  public static func kerasWeights(_ model: any Forecaster, metadata: ModelMetadata) -> String? { nil }
}
