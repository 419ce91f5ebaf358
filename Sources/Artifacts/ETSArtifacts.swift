// Exponential smoothing's files. The model file (architecture "ets") names each series' model
// in its header and stores, per series, a fixed record: store, item, first day and days fitted
// (int32), then float64 AICc, alpha, beta, gamma, phi, the initial state (level, slope, m
// seasonal terms) and the state at the cut. The C99 library is what a device runs: per series
// the parameters and the state at the cut as constants, and three functions (start a series'
// state, forecast, fold in a day's sales), the recursion in double, operation for operation as
// Tinycast computes it.

import Foundation
import Modeling

public enum ETSArtifacts: ArtifactFamily {
  public static let family = "ets"
  public static let modelFileArchitecture = "ets"

  static func ets(_ model: any Forecaster) -> ETSForecaster {
    guard let m = model as? ETSForecaster else { preconditionFailure("\(model.family) is not ETS") }
    return m
  }

  public static func modelFile(_ model: any Forecaster, metadata: ModelMetadata) -> [UInt8] {
    let m = ets(model)
    let codes = m.series.map(\.model.components.code).joined(separator: ",")
    let header =
      "{\"architecture\":\"\(modelFileArchitecture)\",\"kind\":\"per-series\",\"storage\":\"float64\","
      + "\"season\":\(m.seasonLength),\"selection\":\(ModelFile.jsonString(m.selection)),"
      + "\"series\":\(m.series.count),\"models\":\(ModelFile.jsonString(codes)),\"tensors\":[],"
      + ModelFile.commonHeaderFields(metadata) + "}"
    var payload: [UInt8] = []
    for s in m.series {
      for v in [s.store, s.item, s.startDay, s.trainDays] { ModelFile.appendLE(&payload, Int32(v)) }
      let p = s.model.parameters
      var values = [s.aicc, p.alpha, p.beta, p.gamma, p.phi]
      for state in [s.model.initial, s.cutState] { values += [state.level, state.slope] + padded(state, m) }
      for v in values { ModelFile.appendLE(&payload, v.bitPattern) }
    }
    return ModelFile.container(header: header, payload: payload, compact: metadata.compact)
  }

  /// The seasonal terms as m numbers (a model without a season stores m zeros).
  static func padded(_ state: ETSState, _ m: ETSForecaster) -> [Double] {
    state.season.count == m.seasonLength ? state.season : [Double](repeating: 0, count: m.seasonLength)
  }

  static func recordBytes(season m: Int) -> Int { 16 + 8 * (5 + 2 * (2 + m)) }

  public static func readModelFile(_ bytes: [UInt8]) throws(ModelFileError) -> (any Forecaster, ModelMetadata) {
    let header = try ModelFile.header(of: bytes)
    let headerLength = Int(ModelFile.readLE(bytes, 8, UInt32.self))
    let metadata = try ModelFile.commonMetadata(header)
    guard let m = header["season"] as? Int, (1...366).contains(m), let count = header["series"] as? Int,
      (1...1_000_000).contains(count), let selection = header["selection"] as? String,
      let codes = (header["models"] as? String)?.split(separator: ",").map(String.init), codes.count == count
    else { throw ModelFileError("header has no valid season, series and models") }
    let start = 12 + headerLength
    let record = recordBytes(season: m)
    guard bytes.count - 4 - start == count * record else {
      throw ModelFileError("\(count) series of season \(m) store \(count * record) bytes; the file does not")
    }
    var series: [ETSForecaster.Series] = []
    for k in 0..<count {
      guard let c = ETSComponents(code: codes[k]) else { throw ModelFileError("unknown ETS model '\(codes[k])'") }
      var at = start + k * record
      var ints: [Int] = []
      for _ in 0..<4 {
        ints.append(Int(Int32(bitPattern: ModelFile.readLE(bytes, at, UInt32.self))))
        at += 4
      }
      var values: [Double] = []
      for _ in 0..<(5 + 2 * (2 + m)) {
        values.append(Double(bitPattern: ModelFile.readLE(bytes, at, UInt64.self)))
        at += 8
      }
      let seasonCount = c.season == .none ? 1 : m
      func state(_ from: Int) -> ETSState {
        ETSState(
          level: values[from], slope: values[from + 1],
          season: c.season == .none ? [0] : Array(values[(from + 2)..<(from + 2 + seasonCount)]))
      }
      let model = ETSModel(
        components: c, parameters: ETSParameters(alpha: values[1], beta: values[2], gamma: values[3], phi: values[4]),
        initial: state(5), seasonLength: c.season == .none ? 1 : m)
      series.append(
        ETSForecaster.Series(
          store: ints[0], item: ints[1], startDay: ints[2], trainDays: ints[3], model: model,
          cutState: state(7 + m), aicc: values[0]))
    }
    return (ETSForecaster(series: series, seasonLength: m, horizon: metadata.horizon, selection: selection), metadata)
  }

  public static func cLibrary(
    _ model: any Forecaster, name: String, metadata: ModelMetadata, measuring: Bool
  ) -> CExportArtifact? {
    let m = ets(model)
    let p = CExport.symbol(name)
    let n = m.series.count
    let season = m.seasonLength
    // Per series: two component codes and two ids (int16 each), alpha, beta, gamma, phi and the
    // state at the cut (level, slope, season) in double.
    let constants = n * (8 + 8 * (4 + 2 + season))
    let ram = 8 * (2 + season) + 4  // one series' state, which the caller keeps
    guard !measuring else {
      return CExportArtifact(
        header: "", source: "", symbol: p, weightBytes: constants, tableBytes: 0, ramBytes: ram, macs: 8)
    }
    let header = CExport.seriesHeaderFile(
      symbol: p, model: name, series: n, season: season, horizon: m.horizon,
      stateComment: "One series' state: level, slope and seasonal terms (season[head] is the newest).",
      stateFields: ["double level, slope;", "double season[\(p)_SEASON];", "int head;"])
    func d(_ v: Double) -> String { hex(v) }
    var ids: [String] = []
    var kinds: [String] = []
    var params: [String] = []
    var states: [String] = []
    for s in m.series {
      let c = s.model.components
      ids.append("{\(s.store), \(s.item)}")
      let trend = c.trend == .none ? 0 : (c.trend == .additive ? 1 : 2)
      let seasonKind = c.season == .none ? 0 : (c.season == .additive ? 1 : 2)
      kinds.append("{\(c.error == .additive ? 1 : 2), \(trend), \(seasonKind), 0}")
      let q = s.model.parameters
      let beta = c.trend == .none ? 0 : q.beta
      let gamma = c.season == .none ? 0 : q.gamma
      let phi = c.trend == .damped ? q.phi : 1
      params.append("{\(d(q.alpha)), \(d(beta)), \(d(gamma)), \(d(phi))}")
      states.append(
        "{\(([s.cutState.level, s.cutState.slope] + padded(s.cutState, m)).map(d).joined(separator: ", "))}")
    }
    let source = """
      /* \(p).c: generated by Tinycast \(TinycastCVersion.string) from model '\(name)' (\(m.label), \(n) series). \
      Do not edit. */
      #include "\(p).h"

      const short \(p)_ids[\(p)_SERIES][2] = {\(ids.joined(separator: ", "))};
      /* error (1 A, 2 M), trend (0 N, 1 A, 2 Ad), season (0 N, 1 A, 2 M), unused */
      static const short \(p)_kind[\(p)_SERIES][4] = {\(kinds.joined(separator: ", "))};
      /* alpha, beta, gamma, phi */
      static const double \(p)_param[\(p)_SERIES][4] = {
        \(params.joined(separator: ",\n  "))};
      /* level, slope, seasonal terms (newest first) at the cut */
      static const double \(p)_cut[\(p)_SERIES][2 + \(p)_SEASON] = {
        \(states.joined(separator: ",\n  "))};

      static double \(p)_abs(double x) { return x < 0 ? -x : x; }

      void \(p)_start(\(p)_state *s, int k) {
        s->level = \(p)_cut[k][0];
        s->slope = \(p)_cut[k][1];
        for (int j = 0; j < \(p)_SEASON; j++) s->season[j] = \(p)_cut[k][2 + j];
        s->head = 0;
      }

      float \(p)_forecast(const \(p)_state *s, int k) {
        const double phi = \(p)_param[k][3];
        const int m = \(p)_kind[k][2] ? \(p)_SEASON : 1;
        double phistar = phi;
        for (int i = 1; i < \(p)_HORIZON; i++) {
          double power = phi;
          for (int r = 0; r < i; r++) power = power * phi;
          phistar = phistar + (phi == 1.0 ? 1.0 : power);
        }
        double f = \(p)_kind[k][1] ? s->level + phistar * s->slope : s->level;
        int j = m - 1 - (\(p)_HORIZON - 1);
        while (j < 0) j += m;
        if (\(p)_kind[k][2]) {
          const double term = s->season[(s->head + j) % m];
          f = \(p)_kind[k][2] == 1 ? f + term : f * term;
        }
        return (float)f;
      }

      void \(p)_observe(\(p)_state *s, int k, float sales) {
        const double y = sales, alpha = \(p)_param[k][0], beta = \(p)_param[k][1];
        const double gamma = \(p)_param[k][2], phi = \(p)_param[k][3];
        const int m = \(p)_kind[k][2] ? \(p)_SEASON : 1;
        const double old_l = s->level;
        const double phi_b = \(p)_kind[k][1] ? phi * s->slope : 0.0;
        const double q = old_l + phi_b;
        const int slot = (s->head + m - 1) % m;
        const double old_s = \(p)_kind[k][2] ? s->season[slot] : 0.0;
        double x = y;
        if (\(p)_kind[k][2] == 1) x = y - old_s;
        if (\(p)_kind[k][2] == 2) x = \(p)_abs(old_s) < 1e-10 ? 1e10 : y / old_s;
        s->level = q + alpha * (x - q);
        if (\(p)_kind[k][1]) s->slope = phi_b + (beta / alpha) * ((s->level - old_l) - phi_b);
        if (\(p)_kind[k][2]) {
          const double t = \(p)_kind[k][2] == 1 ? y - q : (\(p)_abs(q) < 1e-10 ? 1e10 : y / q);
          s->season[slot] = old_s + gamma * (t - old_s);
          s->head = slot;
        }
      }

      \(CExport.seriesHarness(symbol: p))

      """
    return CExportArtifact(
      header: header, source: source, symbol: p, weightBytes: constants, tableBytes: 0, ramBytes: ram, macs: 8)
  }

  /// A C99 hex-float literal of a double, exact.
  static func hex(_ v: Double) -> String {
    if v == 0 { return v.sign == .minus ? "-0.0" : "0.0" }
    guard v.isFinite else { return v.isNaN ? "(0.0/0.0)" : (v > 0 ? "(1.0/0.0)" : "(-1.0/0.0)") }
    let bits = v.bitPattern
    let exponentBits = Int((bits >> 52) & 0x7FF)
    let mantissa = String(bits & 0xF_FFFF_FFFF_FFFF, radix: 16)
    let digits = String(repeating: "0", count: 13 - mantissa.count) + mantissa
    let sign = bits >> 63 == 1 ? "-" : ""
    return exponentBits == 0 ? "\(sign)0x0.\(digits)p-1022" : "\(sign)0x1.\(digits)p\(exponentBits - 1023)"
  }

  /// A few multiply-adds a day, and reading one series' constants.
  public static func energyNanojoules(_ model: any Forecaster, artifact: CExportArtifact, lookback: Int) -> Double {
    let perSeries = Double(artifact.weightBytes) / Double(max(ets(model).series.count, 1))
    return (8 * 4.6 + perSeries * 1.25) / 1000
  }

  public static func kerasWeights(_ model: any Forecaster, metadata: ModelMetadata) -> String? { nil }
}
