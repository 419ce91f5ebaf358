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
      + "\"input\":1,\"ridge\":\(m.ridge),"
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
    return ModelFile.container(header: header, payload: payload)
  }

  public static func readModelFile(_ bytes: [UInt8]) throws(ModelFileError) -> (any Forecaster, ModelMetadata) {
    let header = try ModelFile.header(of: bytes)
    let headerLength = Int(ModelFile.readLE(bytes, 8, UInt32.self))
    let metadata = try ModelFile.commonMetadata(header)
    let p = metadata.lookback
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
    return (LinearAutoregression(weights: weights, bias: bias, storage: storage, ridge: ridge), metadata)
  }

  public static func cLibrary(
    _ model: any Forecaster, name: String, metadata: ModelMetadata, measuring: Bool
  ) -> CExportArtifact? {
    let m = linear(model)
    let p = CExport.symbol(name)
    let t = m.weights.count
    let sparse = isSparse(m)
    let nonzero = m.weights.indices.filter { m.weights[$0] != 0 }
    let stored = sparse ? nonzero.map { m.weights[$0] } : m.weights
    let size = valueSize(m.storage)
    // The weights (and the mask when sparse, the scale when int8), the bias, the scaler's floats.
    let weightBytes =
      stored.count * size + (sparse ? (t + 7) / 8 : 0) + (m.storage == .float32 || m.storage == .float16 ? 0 : 4)
      + 4 + 8
    let macs = sparse ? nonzero.count : t
    guard !measuring else {
      return CExportArtifact(
        header: "", source: "", symbol: p, weightBytes: weightBytes, tableBytes: 0, ramBytes: 4, macs: macs)
    }
    let header = CExport.headerFile(symbol: p, model: name, lookback: t)
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
    let half =
      m.storage == .float16
      ? """
      static float \(p)_half(uint16_t h) {
        uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1F, m = h & 0x3FF, bits;
        if (e == 0) { if (m == 0) bits = s; else { e = 113; while (!(m & 0x400)) { m <<= 1; e--; } \
      bits = s | (e << 23) | ((m & 0x3FF) << 13); } }
        else if (e == 31) bits = s | 0x7F800000u | (m << 13);
        else bits = s | ((e + 112) << 23) | (m << 13);
        float f; memcpy(&f, &bits, 4); return f;
      }

      """ : ""
    // Zero weights are skipped (a pruned model stores only the others), as Tinycast skips them.
    let loop =
      sparse
      ? """
        int v = 0;
        for (int t = 0; t < \(p)_LOOKBACK; t++) {
          if (!(\(p)_mask[t / 8] & (1u << (t % 8)))) continue;
          const float w = \(weightExpression);
          v++;
          const float x = (sales[t] - \(p)_scaler[0]) * \(p)_scaler[1];
          const float term = w * x;
          y = y + term;
        }
      """
      : """
        for (int v = 0; v < \(p)_LOOKBACK; v++) {
          const float w = \(weightExpression);
          if (w == 0.0f) continue;
          const float x = (sales[v] - \(p)_scaler[0]) * \(p)_scaler[1];
          const float term = w * x;
          y = y + term;
        }
      """
    let source = """
      /* \(p).c: generated by Tinycast \(TinycastCVersion.string) from model '\(name)' (linear autoregression \
      on \(t) days, \(m.kindDescription)). Do not edit. */
      #include "\(p).h"
      #include <stdint.h>
      #include <string.h>

      static const float \(p)_scaler[2] = {\(Writer.hex(metadata.scalerOffset)), \(Writer.hex(metadata.scalerFactor))};
      \(constants.joined(separator: "\n"))
      static const float \(p)_b = \(Writer.hex(m.bias));

      \(half)float \(p)_predict(const float sales[\(p)_LOOKBACK]) {
        float y = \(p)_b;
      \(loop)
        return y / \(p)_scaler[1] + \(p)_scaler[0];
      }

      \(CExport.harness(symbol: p, lookback: t))

      """
    return CExportArtifact(
      header: header, source: source, symbol: p, weightBytes: weightBytes, tableBytes: 0, ramBytes: 4, macs: macs)
  }

  /// One float multiply-add per nonzero weight (4.6 pJ) and every constant byte read once (1.25
  /// pJ), the per-operation energies of Horowitz (ISSCC 2014) that the LSTM's estimate uses.
  public static func energyNanojoules(_ model: any Forecaster, artifact: CExportArtifact, lookback: Int) -> Double {
    (Double(artifact.macs) * 4.6 + Double(artifact.weightBytes) * 1.25) / 1000
  }

  public static func kerasWeights(_ model: any Forecaster, metadata: ModelMetadata) -> String? { nil }
}
