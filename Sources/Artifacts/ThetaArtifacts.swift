// The theta method's files. The model file (architecture "theta") lists each series'
// seasonality in its header and stores per series a fixed record: store, item, first day and
// days fitted (int32), then float64 alpha, starting level, the line's intercept and slope,
// theta, the level at the cut and m seasonal indices (zeros without a season). The C99 library
// keeps per series what a device needs (alpha, the line, theta, the indices and the level at
// the cut) and runs the same recursion in double.

import Foundation
import Modeling

public enum ThetaArtifacts: ArtifactFamily {
  public static let family = "theta"
  public static let modelFileArchitecture = "theta"

  static func theta(_ model: any Forecaster) -> ThetaForecaster {
    guard let m = model as? ThetaForecaster else { preconditionFailure("\(model.family) is not Theta") }
    return m
  }

  static func seasonal(_ s: ThetaForecaster.Series, _ m: Int) -> [Double] {
    s.model.seasonal.count == m ? s.model.seasonal : [Double](repeating: 0, count: m)
  }

  public static func modelFile(_ model: any Forecaster, metadata: ModelMetadata) -> [UInt8] {
    let m = theta(model)
    let kinds = m.series.map(\.model.seasonality.rawValue).joined(separator: ",")
    let header =
      "{\"architecture\":\"\(modelFileArchitecture)\",\"kind\":\"per-series\",\"storage\":\"float64\","
      + "\"season\":\(m.seasonLength),\"series\":\(m.series.count),\"seasonality\":\(ModelFile.jsonString(kinds)),"
      + "\"tensors\":[]," + ModelFile.commonHeaderFields(metadata) + "}"
    var payload: [UInt8] = []
    for s in m.series {
      for v in [s.store, s.item, s.startDay, s.trainDays] { ModelFile.appendLE(&payload, Int32(v)) }
      let t = s.model
      for v in [t.alpha, t.startLevel, t.intercept, t.slope, t.theta, s.cutLevel] + seasonal(s, m.seasonLength) {
        ModelFile.appendLE(&payload, v.bitPattern)
      }
    }
    return ModelFile.container(header: header, payload: payload, compact: metadata.compact)
  }

  public static func readModelFile(_ bytes: [UInt8]) throws(ModelFileError) -> (any Forecaster, ModelMetadata) {
    let header = try ModelFile.header(of: bytes)
    let headerLength = Int(ModelFile.readLE(bytes, 8, UInt32.self))
    let metadata = try ModelFile.commonMetadata(header)
    guard let m = header["season"] as? Int, (1...366).contains(m), let count = header["series"] as? Int,
      (1...1_000_000).contains(count),
      let kinds = (header["seasonality"] as? String)?.split(separator: ",").map(String.init), kinds.count == count
    else { throw ModelFileError("header has no valid season, series and seasonality") }
    let start = 12 + headerLength
    let record = 16 + 8 * (6 + m)
    guard bytes.count - 4 - start == count * record else {
      throw ModelFileError("\(count) series of season \(m) store \(count * record) bytes; the file does not")
    }
    var series: [ThetaForecaster.Series] = []
    for k in 0..<count {
      guard let kind = ThetaModel.Seasonality(rawValue: kinds[k]) else {
        throw ModelFileError("unknown seasonality '\(kinds[k])'")
      }
      let at = start + k * record
      let ints = (0..<4).map { Int(Int32(bitPattern: ModelFile.readLE(bytes, at + 4 * $0, UInt32.self))) }
      let v = (0..<(6 + m)).map { Double(bitPattern: ModelFile.readLE(bytes, at + 16 + 8 * $0, UInt64.self)) }
      let model = ThetaModel(
        alpha: v[0], startLevel: v[1], intercept: v[2], slope: v[3], theta: v[4], seasonality: kind,
        seasonal: kind == .none ? [] : Array(v[6...]))
      series.append(
        ThetaForecaster.Series(
          store: ints[0], item: ints[1], startDay: ints[2], trainDays: ints[3], model: model, cutLevel: v[5]))
    }
    return (ThetaForecaster(series: series, seasonLength: m, horizon: metadata.horizon), metadata)
  }

  public static func cLibrary(
    _ model: any Forecaster, name: String, metadata: ModelMetadata, measuring: Bool
  ) -> CExportArtifact? {
    let m = theta(model)
    let p = CExport.symbol(name)
    let n = m.series.count
    let season = m.seasonLength
    // Per series: ids and seasonality (int16 x 4), then alpha, intercept, slope, theta, the
    // level at the cut and the indices in double, and the first test day (int32).
    let constants = n * (8 + 8 * (5 + season) + 4)
    let ram = 8 + 4
    guard !measuring else {
      return CExportArtifact(
        header: "", source: "", symbol: p, weightBytes: constants, tableBytes: 0, ramBytes: ram, macs: 8)
    }
    let header = CExport.seriesHeaderFile(
      symbol: p, model: name, series: n, season: season, horizon: m.horizon,
      stateComment: "One series' state: its smoothed (seasonally adjusted) level and the next day's number, "
        + "counted from the series' first day.",
      stateFields: ["double level;", "int day;"])
    let d = ETSArtifacts.hex
    var ids: [String] = []
    var params: [String] = []
    var indices: [String] = []
    var cuts: [String] = []
    for s in m.series {
      let kind = s.model.seasonality == .none ? 0 : (s.model.seasonality == .additive ? 1 : 2)
      ids.append("{\(s.store), \(s.item), \(kind), 0}")
      let t = s.model
      params.append("{\([t.alpha, t.intercept, t.slope, t.theta, s.cutLevel].map(d).joined(separator: ", "))}")
      indices.append("{\(seasonal(s, season).map(d).joined(separator: ", "))}")
      cuts.append("\(s.trainDays)")
    }
    let source = """
      /* \(p).c: generated by Tinycast \(TinycastCVersion.string) from model '\(name)' (Theta, \(n) series). \
      Do not edit. */
      #include "\(p).h"

      /* store, item, seasonality (0 none, 1 additive, 2 multiplicative), unused */
      static const short \(p)_meta[\(p)_SERIES][4] = {\(ids.joined(separator: ", "))};
      const short \(p)_ids[\(p)_SERIES][2] = {\(m.series.map { "{\($0.store), \($0.item)}" }.joined(separator: ", "))};
      /* alpha, intercept, slope, theta, level at the cut */
      static const double \(p)_param[\(p)_SERIES][5] = {
        \(params.joined(separator: ",\n  "))};
      /* seasonal index of each phase (phase 0 = the series' first day) */
      static const double \(p)_index[\(p)_SERIES][\(p)_SEASON] = {
        \(indices.joined(separator: ",\n  "))};
      static const int \(p)_cut_day[\(p)_SERIES] = {\(cuts.joined(separator: ", "))};

      static double \(p)_power(double base, int n) {
        double result = 1.0;
        while (n > 0) {
          if (n & 1) result = result * base;
          base = base * base;
          n >>= 1;
        }
        return result;
      }

      static double \(p)_mu(int k, double level, int day) {
        const double alpha = \(p)_param[k][0], a = \(p)_param[k][1], b = \(p)_param[k][2], theta = \(p)_param[k][3];
        const double decay = \(p)_power(1 - alpha, day);
        return level + (1 - 1 / theta) * (a * decay + b * (1 - decay * (1 - alpha)) / alpha);
      }

      void \(p)_start(\(p)_state *s, int k) {
        s->level = \(p)_param[k][4];
        s->day = \(p)_cut_day[k];
      }

      float \(p)_forecast(const \(p)_state *s, int k) {
        const double alpha = \(p)_param[k][0];
        double level = s->level;
        double f = \(p)_mu(k, level, s->day);
        for (int i = 1; i < \(p)_HORIZON; i++) {
          level = alpha * f + (1 - alpha) * level;
          f = \(p)_mu(k, level, s->day + i);
        }
        const double index = \(p)_index[k][(s->day + \(p)_HORIZON - 1) % \(p)_SEASON];
        if (\(p)_meta[k][2] == 1) f = f + index;
        if (\(p)_meta[k][2] == 2) f = f * index;
        return (float)f;
      }

      void \(p)_observe(\(p)_state *s, int k, float sales) {
        const double alpha = \(p)_param[k][0];
        const double index = \(p)_index[k][s->day % \(p)_SEASON];
        double x = sales;
        if (\(p)_meta[k][2] == 1) x = x - index;
        if (\(p)_meta[k][2] == 2) x = x / index;
        s->level = alpha * x + (1 - alpha) * s->level;
        s->day = s->day + 1;
      }

      \(CExport.seriesHarness(symbol: p))

      """
    return CExportArtifact(
      header: header, source: source, symbol: p, weightBytes: constants, tableBytes: 0, ramBytes: ram, macs: 8)
  }

  public static func energyNanojoules(_ model: any Forecaster, artifact: CExportArtifact, lookback: Int) -> Double {
    let perSeries = Double(artifact.weightBytes) / Double(max(theta(model).series.count, 1))
    return (16 * 4.6 + perSeries * 1.25) / 1000
  }

  public static func kerasWeights(_ model: any Forecaster, metadata: ModelMetadata) -> String? { nil }
}
