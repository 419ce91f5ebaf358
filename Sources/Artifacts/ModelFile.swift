// ModelFile: Tinycast's deployable model format (.tcm), version 1. Little-endian throughout.
//
//   offset  size  field
//   0       4     magic "TCM1"
//   4       2     format version (1)
//   6       2     reserved (0)
//   8       4     header length N
//   12      N     header: compact UTF-8 JSON: kind, storage, shapes, window, scaler, tensors, lineage
//   12+N    ...   tensors, in header order, each:
//                   encoding data   u8a: scale f32 + zero point u8;  i8c: one f32 scale per column;
//                                   i8t: one f32 scale;  f32, f16: nothing
//                   sparsity data   none: nothing;  bitmask: ceil(n/8) bytes, bit i (LSB first)
//                                   set when element i is stored;  index: u16 (u32 when n > 65535)
//                                   positions of the stored elements
//                   values          every element (none) or only the stored ones, as f32 (4 bytes),
//                                   f16 (2), u8 codes or int8 (1)
//   end-4   4     CRC-32 (IEEE 802.3) of every byte before it
//
// The writer picks, per tensor, the smallest of dense, bitmask and index encodings, so a pruned
// model is smaller on disk only by as much as its zeros really save. Readers reject a wrong magic,
// a newer version, a bad checksum, a truncated file and tensors that do not fit the architecture.

import Compression
import Foundation
import Modeling
import NumericCore

public struct ModelFileError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// What a model file holds besides the weights.
public struct ModelMetadata: Sendable, Equatable {
  public var name: String
  public var lookback: Int
  public var horizon: Int
  public var scalerKind: String
  public var scalerOffset: Float
  public var scalerFactor: Float
  public var lineage: [String]
  /// The container's binary header (version 2), without the name: `set container=compact`.
  public var compact: Bool
  public init(
    name: String, lookback: Int, horizon: Int, scalerKind: String, scalerOffset: Float,
    scalerFactor: Float, lineage: [String], compact: Bool = false
  ) {
    self.compact = compact
    self.name = name
    self.lookback = lookback
    self.horizon = horizon
    self.scalerKind = scalerKind
    self.scalerOffset = scalerOffset
    self.scalerFactor = scalerFactor
    self.lineage = lineage
  }
}

/// One tensor as stored: its values in an encoding.
enum StoredValues {
  case f32([Float])
  case f16([Float])
  case u8a([UInt8], AffineUInt8Params)
  case i8c([Int8], scales: [Float])
  case i8t([Int8], scale: Float)
  struct AffineUInt8Params {
    var scale: Float
    var zeroPoint: UInt8
  }

  var tag: String {
    switch self {
    case .f32: "f32"
    case .f16: "f16"
    case .u8a: "u8a"
    case .i8c: "i8c"
    case .i8t: "i8t"
    }
  }
  var count: Int {
    switch self {
    case .f32(let v), .f16(let v): v.count
    case .u8a(let v, _): v.count
    case .i8c(let v, _), .i8t(let v, _): v.count
    }
  }
  var valueSize: Int {
    switch self {
    case .f32: 4
    case .f16: 2
    default: 1
    }
  }
  func isStored(_ i: Int) -> Bool {
    switch self {
    case .f32(let v), .f16(let v): v[i] != 0
    case .u8a(let v, let p): v[i] != p.zeroPoint
    case .i8c(let v, _), .i8t(let v, _): v[i] != 0
    }
  }
}

struct TensorRecord {
  var name: String
  var rows: Int, cols: Int
  var values: StoredValues
}

public enum ModelFile {
  public static let magic: [UInt8] = Array("TCM1".utf8)
  public static let version: UInt16 = 1
  /// Version 2: the same layout with a binary header (CompactHeader.swift).
  public static let compactVersion: UInt16 = 2

  // MARK: - Writing

  public static func encode(_ model: ForecastModel, metadata: ModelMetadata) -> [UInt8] {
    let (kind, storage, rank, dropout, layout, tensors) = records(model)
    let inputs = model.inputs
    var tensorHeaders: [String] = []
    var payload: [UInt8] = []
    // A linear skip's model, as its own model file after the tensors (its length in the header).
    var baseFile: [UInt8] = []
    if let skip = model.skip {
      var m = metadata
      m.name = ""
      m.lineage = []
      baseFile = LinearArtifacts.modelFile(skip, metadata: m)
    }
    for t in tensors {
      let n = t.values.count
      let stored = (0..<n).filter { t.values.isStored($0) }
      let indexSize = n > 65_535 ? 4 : 2
      let costs = [
        ("none", n * t.values.valueSize),
        ("bitmask", (n + 7) / 8 + stored.count * t.values.valueSize),
        ("index", stored.count * (indexSize + t.values.valueSize)),
      ]
      let sparse = costs.min { $0.1 < $1.1 }!.0  // first minimum: none, then bitmask, then index
      tensorHeaders.append(
        "{\"name\":\(jsonString(t.name)),\"shape\":[\(t.rows),\(t.cols)],\"encoding\":\"\(t.values.tag)\","
          + "\"sparse\":\"\(sparse)\",\"stored\":\(sparse == "none" ? n : stored.count)}"
      )
      // Encoding data.
      switch t.values {
      case .u8a(_, let p):
        appendLE(&payload, p.scale.bitPattern)
        payload.append(p.zeroPoint)
      case .i8c(_, let scales): for s in scales { appendLE(&payload, s.bitPattern) }
      case .i8t(_, let scale): appendLE(&payload, scale.bitPattern)
      default: break
      }
      // Sparsity data.
      let elements: [Int]
      switch sparse {
      case "bitmask":
        payload += bitmask(stored, count: n)
        elements = stored
      case "index":
        for i in stored { if indexSize == 2 { appendLE(&payload, UInt16(i)) } else { appendLE(&payload, UInt32(i)) } }
        elements = stored
      default:
        elements = Array(0..<n)
      }
      // Values.
      for i in elements {
        switch t.values {
        case .f32(let v): appendLE(&payload, v[i].bitPattern)
        case .f16(let v): appendLE(&payload, Float16(v[i]).bitPattern)
        case .u8a(let v, _): payload.append(v[i])
        case .i8c(let v, _), .i8t(let v, _): payload.append(UInt8(bitPattern: v[i]))
        }
      }
    }
    let header =
      "{\"architecture\":\"\(layout.cell.rawValue)-dense\",\"kind\":\"\(kind)\",\"storage\":\"\(storage)\","
      + "\"input\":\(layout.inputSize),\"units\":\(layout.units),"
      + (layout.layers > 1 ? "\"layers\":\(layout.layers)," : "")
      + (layout.outputs > 1 ? "\"outputs\":\(layout.outputs)," : "")
      + InputFields.json(inputs) + (rank.map { "\"rank\":\($0)," } ?? "")
      + (baseFile.isEmpty ? "" : "\"skip\":\(baseFile.count),")
      + "\"dropout\":\(dropout),\(metadata.compact ? "" : "\"name\":\(jsonString(metadata.name)),")"
      + "\"lookback\":\(metadata.lookback),"
      + "\"horizon\":\(metadata.horizon),\"scaler\":{\"kind\":\(jsonString(metadata.scalerKind)),"
      + "\"offset\":\(metadata.scalerOffset),"
      + "\"factor\":\(metadata.scalerFactor)},\"tensors\":[\(tensorHeaders.joined(separator: ","))],"
      + "\"lineage\":[\(metadata.lineage.map(jsonString).joined(separator: ","))]}"
    return container(header: header, payload: payload + baseFile, compact: metadata.compact)
  }

  /// The tensors of a model as stored, in file order.
  static func records(_ model: ForecastModel) -> (String, String, Int?, Float, ParameterLayout, [TensorRecord]) {
    switch model {
    case .float(let n, let storage):
      let l = n.layout
      var out: [TensorRecord] = []
      for t in l.tensors {
        let (r, c) = l.shape(t)
        let v = Array(n.weights.values[l.range(t)])
        let stored: StoredValues
        switch (t.name.isKernel, storage) {
        case (true, .float16?): stored = .f16(v)
        case (true, .int8Channel?):
          // A one-column Dense kernel keeps its one scale as a per-tensor record.
          let scales = Quantization.columnScales(v[...], rows: r, cols: c)
          let codes = Quantization.quantizeColumns(v[...], rows: r, cols: c, scales: scales)
          stored = c == 1 ? .i8t(codes, scale: scales[0]) : .i8c(codes, scales: scales)
        default: stored = .f32(v)
        }
        out.append(TensorRecord(name: l.name(t), rows: r, cols: c, values: stored))
      }
      return ("float", storage?.rawValue ?? "float32", nil, n.dropout, l, out)
    case .uint8(let n, let params):
      let l = n.layout
      var out: [TensorRecord] = []
      var kernel = 0
      for t in l.tensors {
        let (r, c) = l.shape(t)
        let v = Array(n.weights.values[l.range(t)])
        if t.name.isKernel {
          let a = params[kernel]
          kernel += 1
          out.append(
            TensorRecord(
              name: l.name(t), rows: r, cols: c,
              values: .u8a(v.map { a.quantize($0) }, .init(scale: a.scale, zeroPoint: a.zeroPoint))))
        } else {
          out.append(TensorRecord(name: l.name(t), rows: r, cols: c, values: .f32(v)))
        }
      }
      return ("float", "uint8Tensor", nil, n.dropout, l, out)
    case .int8(let q, let dropout):
      let l = q.layout
      let G = l.gateWidth
      // A one-day head's Dense kernel has one scale (a per-tensor record); a multi-day head's one per day.
      let dense: StoredValues =
        q.outputs == 1 ? .i8t(q.dense, scale: q.denseScales[0]) : .i8c(q.dense, scales: q.denseScales)
      let recurrent = q.allLayers.enumerated().flatMap { layer, r in
        [
          TensorRecord(
            name: l.name(.kernel, layer: layer), rows: r.inputSize, cols: G,
            values: .i8c(r.kernel, scales: r.kernelScales)),
          TensorRecord(
            name: l.name(.recurrentKernel, layer: layer), rows: q.units, cols: G,
            values: .i8c(r.recurrent, scales: r.recurrentScales)),
          TensorRecord(name: l.name(.bias, layer: layer), rows: q.cell.biasRows, cols: G, values: .f32(r.bias)),
        ]
      }
      return (
        "int8", "int8Channel", nil, dropout, l,
        recurrent + [
          TensorRecord(name: l.name(.denseKernel), rows: q.units, cols: q.outputs, values: dense),
          TensorRecord(name: l.name(.denseBias), rows: 1, cols: q.outputs, values: .f32(q.denseBiases)),
        ]
      )
    case .lowRank(let f, let n):
      let l = n.layout
      func t(_ t: TensorID) -> TensorRecord {
        let (r, c) = l.shape(t)
        return TensorRecord(name: l.name(t), rows: r, cols: c, values: .f32(Array(n.weights.values[l.range(t)])))
      }
      // Each layer's recurrent kernel as its two factors, named after it (lstm_1/recurrent_kernel_a).
      let records = l.tensors.flatMap { id -> [TensorRecord] in
        guard id.name == .recurrentKernel else { return [t(id)] }
        let (a, b) = (f[id.layer].a, f[id.layer].b)
        return [
          TensorRecord(name: l.name(id) + "_a", rows: a.rows, cols: a.cols, values: .f32(a.storage)),
          TensorRecord(name: l.name(id) + "_b", rows: b.rows, cols: b.cols, values: .f32(b.storage)),
        ]
      }
      return ("lowrank", "float32", f[0].rank, n.dropout, l, records)
    }
  }

  // MARK: - Reading

  /// Magic, version, the header's length and bytes, the payload, and the CRC-32 of all of it:
  /// the container every family's model file shares.
  static func container(header: String, payload: [UInt8], compact: Bool = false) -> [UInt8] {
    var out = magic
    appendLE(&out, compact ? compactVersion : version)
    appendLE(&out, UInt16(0))
    var headerBytes = Array(header.utf8)
    if compact {
      do { headerBytes = try CompactHeader.encode(json: header) } catch {
        preconditionFailure("a family wrote a header that is not JSON: \(error.message)")
      }
    }
    appendLE(&out, UInt32(headerBytes.count))
    out += headerBytes
    out += payload
    appendLE(&out, crc32(out))
    return out
  }

  /// The header fields every family writes after its own: name (not in a compact file), window,
  /// scaler, lineage.
  static func commonHeaderFields(_ metadata: ModelMetadata) -> String {
    (metadata.compact ? "" : "\"name\":\(jsonString(metadata.name)),")
      + "\"lookback\":\(metadata.lookback),\"horizon\":\(metadata.horizon),"
      + "\"scaler\":{\"kind\":\(jsonString(metadata.scalerKind)),\"offset\":\(metadata.scalerOffset),"
      + "\"factor\":\(metadata.scalerFactor)},\"lineage\":[\(metadata.lineage.map(jsonString).joined(separator: ","))]"
  }

  /// The header fields every family writes (`commonHeaderFields`), read back and checked.
  static func commonMetadata(_ header: [String: Any]) throws(ModelFileError) -> ModelMetadata {
    guard let lookback = header["lookback"] as? Int, (1...10_000).contains(lookback),
      let horizon = header["horizon"] as? Int, (1...1000).contains(horizon)
    else { throw ModelFileError("header has no valid lookback and horizon") }
    guard let scaler = header["scaler"] as? [String: Any], let scalerKind = scaler["kind"] as? String,
      let offset = (scaler["offset"] as? NSNumber)?.floatValue, let factor = (scaler["factor"] as? NSNumber)?.floatValue
    else { throw ModelFileError("header has no valid scaler") }
    return ModelMetadata(
      name: header["name"] as? String ?? "", lookback: lookback, horizon: horizon, scalerKind: scalerKind,
      scalerOffset: offset, scalerFactor: factor, lineage: header["lineage"] as? [String] ?? [])
  }

  /// The container checked (magic, version, checksum, header length) and its JSON header.
  public static func header(of bytes: [UInt8]) throws(ModelFileError) -> [String: Any] {
    guard bytes.count >= 16 else {
      throw ModelFileError("file is truncated (\(bytes.count) bytes; a model file has at least 16)")
    }
    guard Array(bytes[0..<4]) == magic else { throw ModelFileError("not a Tinycast model file (bad magic)") }
    let v = readLE(bytes, 4, UInt16.self)
    guard v <= compactVersion else {
      throw ModelFileError(
        "model file format \(v) is newer than this Tinycast reads (\(compactVersion)); upgrade Tinycast")
    }
    guard crc32(bytes[0..<(bytes.count - 4)]) == readLE(bytes, bytes.count - 4, UInt32.self) else {
      throw ModelFileError("checksum mismatch: the file is corrupted or truncated")
    }
    let headerLength = Int(readLE(bytes, 8, UInt32.self))
    guard 12 + headerLength <= bytes.count - 4 else {
      throw ModelFileError("header length \(headerLength) runs past the end of the file")
    }
    var text = Data(bytes[12..<(12 + headerLength)])
    if v == compactVersion { text = Data(try CompactHeader.decode(bytes[12..<(12 + headerLength)]).utf8) }
    guard let header = try? JSONSerialization.jsonObject(with: text) as? [String: Any]
    else {
      throw ModelFileError("header is not valid JSON")
    }
    return header
  }

  /// A recurrent model file (architecture "lstm-dense" or "gru-dense").
  public static func decode(_ bytes: [UInt8]) throws(ModelFileError) -> (ForecastModel, ModelMetadata) {
    let header = try header(of: bytes)
    let headerLength = Int(readLE(bytes, 8, UInt32.self))
    func int(_ k: String) throws(ModelFileError) -> Int {
      guard let v = header[k] as? Int else {
        throw ModelFileError("header field '\(k)' is missing or not a whole number")
      }
      return v
    }
    guard let architecture = header["architecture"] as? String,
      let cell = RecurrentCell.allCases.first(where: { "\($0.rawValue)-dense" == architecture })
    else {
      throw ModelFileError("unknown architecture \(header["architecture"] ?? "none")")
    }
    let input = try int("input")
    let units = try int("units")
    let lookback = try int("lookback")
    let horizon = try int("horizon")
    // Days forecast at once (a multi-day head); files of one-day networks leave it out.
    let outputs = header["outputs"] == nil ? 1 : try int("outputs")
    guard (1...4096).contains(units), (1...64).contains(input), (1...10_000).contains(lookback),
      (1...1000).contains(horizon), (1...366).contains(outputs)
    else {
      throw ModelFileError(
        "header has out-of-range shapes (units \(units), input \(input), outputs \(outputs), lookback \(lookback))")
    }
    guard let scaler = header["scaler"] as? [String: Any], let scalerKind = scaler["kind"] as? String,
      let offset = (scaler["offset"] as? NSNumber)?.floatValue, let factor = (scaler["factor"] as? NSNumber)?.floatValue
    else { throw ModelFileError("header has no valid scaler") }
    let dropout = (header["dropout"] as? NSNumber)?.floatValue ?? 0
    let kind = header["kind"] as? String ?? ""
    let inputs = try InputFields.decode(header, what: "header")
    guard inputs.channels == input else {
      throw ModelFileError(
        "header has \(input) input channels, but its inputs (\(inputs.description)) make \(inputs.channels)")
    }
    let layers = header["layers"] == nil ? 1 : try int("layers")
    guard (1...16).contains(layers) else {
      throw ModelFileError("header has \(layers) layers; a network stacks 1 to 16")
    }
    let layout = ParameterLayout(inputSize: input, units: units, cell: cell, outputs: outputs, layers: layers)
    let G = layout.gateWidth
    let rank = header["rank"] as? Int
    // The tensors each kind must have, in order.
    var expected: [(String, Int, Int, [String])]
    switch kind {
    case "float":
      expected = layout.tensors.map { t in
        (
          layout.name(t), layout.shape(t).rows, layout.shape(t).cols,
          t.name.isKernel ? ["f32", "f16", "u8a", "i8c", "i8t"] : ["f32"]
        )
      }
    case "int8":
      expected = layout.tensors.map { t in
        let encoding =
          t.name == .denseKernel ? (outputs == 1 ? "i8t" : "i8c") : t.name.isKernel ? "i8c" : "f32"
        return (layout.name(t), layout.shape(t).rows, layout.shape(t).cols, [encoding])
      }
    case "lowrank":
      guard let r = rank, (1...units).contains(r) else { throw ModelFileError("low-rank model without a valid rank") }
      expected = layout.tensors.flatMap { t -> [(String, Int, Int, [String])] in
        guard t.name == .recurrentKernel else {
          return [(layout.name(t), layout.shape(t).rows, layout.shape(t).cols, ["f32"])]
        }
        return [(layout.name(t) + "_a", units, r, ["f32"]), (layout.name(t) + "_b", r, G, ["f32"])]
      }
    default: throw ModelFileError("unknown model kind '\(kind)'")
    }
    guard let tensors = header["tensors"] as? [[String: Any]], tensors.count == expected.count else {
      throw ModelFileError(
        "a \(kind) model has \(expected.count) tensors; the header lists \((header["tensors"] as? [Any])?.count ?? 0)")
    }
    var cursor = 12 + headerLength
    // A linear skip's model file sits between the tensors and the checksum.
    let skipLength = header["skip"] == nil ? 0 : try int("skip")
    guard skipLength >= 0, skipLength <= bytes.count - 16 - headerLength else {
      throw ModelFileError("header's skip length \(skipLength) does not fit in the file")
    }
    let end = bytes.count - 4 - skipLength
    func take(_ n: Int) throws(ModelFileError) -> ArraySlice<UInt8> {
      guard n >= 0, cursor + n <= end else { throw ModelFileError("tensor data runs past the end of the file") }
      defer { cursor += n }
      return bytes[cursor..<(cursor + n)]
    }
    var decoded: [StoredValues] = []
    for (t, e) in zip(tensors, expected) {
      let (name, rows, cols, encodings) = e
      guard t["name"] as? String == name, t["shape"] as? [Int] == [rows, cols],
        let enc = t["encoding"] as? String, encodings.contains(enc), let sparse = t["sparse"] as? String,
        ["none", "bitmask", "index"].contains(sparse), let storedCount = t["stored"] as? Int
      else {
        throw ModelFileError("tensor \(t["name"] ?? "?") does not match \(name) \(rows)x\(cols) of a \(kind) model")
      }
      let n = rows * cols
      guard storedCount >= 0, storedCount <= n, sparse != "none" || storedCount == n else {
        throw ModelFileError("tensor \(name): bad stored count \(storedCount)")
      }
      // Encoding data.
      var affine = StoredValues.AffineUInt8Params(scale: 1, zeroPoint: 0)
      var scales: [Float] = []
      switch enc {
      case "u8a":
        let d = try take(5)
        affine = .init(scale: Float(bitPattern: readLE(Array(d), 0, UInt32.self)), zeroPoint: d[d.startIndex + 4])
      case "i8c":
        let d = Array(try take(4 * cols))
        scales = (0..<cols).map { Float(bitPattern: readLE(d, 4 * $0, UInt32.self)) }
      case "i8t":
        scales = [Float(bitPattern: readLE(Array(try take(4)), 0, UInt32.self))]
      default: break
      }
      guard scales.allSatisfy({ $0.isFinite && $0 > 0 }), affine.scale.isFinite, affine.scale > 0 else {
        throw ModelFileError("tensor \(name) has an invalid scale")
      }
      // Which elements are stored.
      var elements: [Int]
      switch sparse {
      case "bitmask":
        let bits = Array(try take((n + 7) / 8))
        elements = (0..<n).filter { bits[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
        guard elements.count == storedCount else {
          throw ModelFileError("tensor \(name): bitmask marks \(elements.count) elements, header says \(storedCount)")
        }
      case "index":
        let size = n > 65_535 ? 4 : 2
        let d = Array(try take(size * storedCount))
        elements = (0..<storedCount).map {
          size == 2 ? Int(readLE(d, 2 * $0, UInt16.self)) : Int(readLE(d, 4 * $0, UInt32.self))
        }
        guard zip(elements, elements.dropFirst()).allSatisfy({ $0 < $1 }), (elements.last ?? 0) < n else {
          throw ModelFileError("tensor \(name): indices out of order or out of range")
        }
      default:
        elements = Array(0..<n)
      }
      // Values.
      let valueSize = enc == "f32" ? 4 : enc == "f16" ? 2 : 1
      let d = Array(try take(valueSize * elements.count))
      switch enc {
      case "f32", "f16":
        var v = [Float](repeating: 0, count: n)
        for (k, i) in elements.enumerated() {
          v[i] =
            enc == "f32"
            ? Float(bitPattern: readLE(d, 4 * k, UInt32.self))
            : Float(Float16(bitPattern: readLE(d, 2 * k, UInt16.self)))
        }
        guard v.allSatisfy(\.isFinite) else { throw ModelFileError("tensor \(name) holds a value that is not finite") }
        decoded.append(enc == "f32" ? .f32(v) : .f16(v))
      case "u8a":
        var v = [UInt8](repeating: affine.zeroPoint, count: n)
        for (k, i) in elements.enumerated() { v[i] = d[k] }
        decoded.append(.u8a(v, affine))
      default:
        var v = [Int8](repeating: 0, count: n)
        for (k, i) in elements.enumerated() { v[i] = Int8(bitPattern: d[k]) }
        guard v.allSatisfy({ $0 != -128 }) else {
          throw ModelFileError("tensor \(name) holds -128, outside the symmetric int8 range")
        }
        decoded.append(enc == "i8c" ? .i8c(v, scales: scales) : .i8t(v, scale: scales[0]))
      }
    }
    guard cursor == end else { throw ModelFileError("\(end - cursor) bytes left over after the last tensor") }
    var skip: LinearAutoregression?
    if skipLength > 0 {
      let (base, baseMeta) = try LinearArtifacts.readModelFile(Array(bytes[end..<(end + skipLength)]))
      guard let linear = base as? LinearAutoregression, baseMeta.lookback == lookback else {
        throw ModelFileError("the linear skip's model does not read the network's \(lookback) days")
      }
      skip = linear
    }

    func floats(_ s: StoredValues, cols: Int) -> [Float] {
      switch s {
      case .f32(let v), .f16(let v): return v
      case .u8a(let v, let p):
        let a = Quantization.AffineUInt8(scale: p.scale, zeroPoint: p.zeroPoint)
        return v.map { a.dequantize($0) }
      case .i8c(let v, let sc): return v.enumerated().map { Float($0.element) * sc[$0.offset % cols] }
      case .i8t(let v, let sc): return v.map { Float($0) * sc }
      }
    }
    let meta = ModelMetadata(
      name: header["name"] as? String ?? "", lookback: lookback, horizon: horizon,
      scalerKind: scalerKind, scalerOffset: offset, scalerFactor: factor,
      lineage: header["lineage"] as? [String] ?? [])
    let model: ForecastModel
    switch kind {
    case "int8":
      // Each layer's kernel, recurrent kernel and bias, then the Dense head's two.
      var stack: [QuantizedRecurrent.Layer] = []
      for layer in 0..<layers {
        guard case .i8c(let k, let ks) = decoded[3 * layer], case .i8c(let r, let rs) = decoded[3 * layer + 1],
          case .f32(let b) = decoded[3 * layer + 2]
        else { throw ModelFileError("int8 model tensors have the wrong encodings") }
        stack.append(
          QuantizedRecurrent.Layer(
            inputSize: layout.layerInputs(layer), units: units, cell: cell, kernel: k, kernelScales: ks,
            recurrent: r, recurrentScales: rs, bias: b))
      }
      guard case .f32(let db) = decoded[3 * layers + 1] else {
        throw ModelFileError("int8 model tensors have the wrong encodings")
      }
      let dense: (codes: [Int8], scales: [Float])
      switch decoded[3 * layers] {
      case .i8t(let codes, let scale): dense = (codes, [scale])
      case .i8c(let codes, let scales): dense = (codes, scales)
      default: throw ModelFileError("int8 model tensors have the wrong encodings")
      }
      var q = QuantizedRecurrent(layers: stack, dense: dense.codes, denseScales: dense.scales, denseBiases: db)
      q.inputs = inputs
      q.skip = skip
      model = .int8(q, dropout: dropout)
    case "lowrank":
      // Each layer's kernel, A, B and bias, then the Dense head's two.
      var w = ParameterVector(layout: layout)
      var factors: [LowRankFactors] = []
      var next = decoded.makeIterator()
      for t in layout.tensors {
        guard t.name == .recurrentKernel else {
          w.values.replaceSubrange(layout.range(t), with: floats(next.next()!, cols: layout.shape(t).cols))
          continue
        }
        let a = floats(next.next()!, cols: rank!)
        let b = floats(next.next()!, cols: G)
        factors.append(
          LowRankFactors(a: Matrix(rows: units, cols: rank!, storage: a), b: Matrix(rows: rank!, cols: G, storage: b)))
      }
      model = .lowRank(
        factors,
        network: LowRank.network(
          RecurrentForecaster(weights: w, dropout: dropout, inputs: inputs, skip: skip), factors: factors))
    default:
      var w = ParameterVector(layout: layout)
      for (t, s) in zip(layout.tensors, decoded) {
        w.values.replaceSubrange(layout.range(t), with: floats(s, cols: layout.shape(t).cols))
      }
      let storage = QuantizationScheme(rawValue: header["storage"] as? String ?? "")
      let net = RecurrentForecaster(weights: w, dropout: dropout, inputs: inputs, skip: skip)
      if storage == .uint8Tensor {
        let params: [Quantization.AffineUInt8] = decoded.compactMap {
          if case .u8a(_, let p) = $0 { return Quantization.AffineUInt8(scale: p.scale, zeroPoint: p.zeroPoint) }
          return nil
        }
        guard params.count == layout.kernels.count else {
          throw ModelFileError("a uint8 model stores every kernel as u8a")
        }
        model = .uint8(net, params: params)
      } else {
        model = .float(net, storage: storage)
      }
    }
    return (model, meta)
  }

  // MARK: - Bytes

  /// ceil(n/8) bytes with bit i (LSB first) set for each index in `indices`: the sparse
  /// encoding shared by model files and exported C.
  static func bitmask(_ indices: [Int], count n: Int) -> [UInt8] {
    var bits = [UInt8](repeating: 0, count: (n + 7) / 8)
    for i in indices { bits[i / 8] |= 1 << UInt8(i % 8) }
    return bits
  }

  public static func appendLE<T: FixedWidthInteger>(_ out: inout [UInt8], _ v: T) {
    var x = v.littleEndian
    withUnsafeBytes(of: &x) { out.append(contentsOf: $0) }
  }
  public static func readLE<T: FixedWidthInteger>(_ b: [UInt8], _ at: Int, _: T.Type) -> T {
    var v: T = 0
    for i in 0..<MemoryLayout<T>.size { v |= T(b[at + i]) << (8 * i) }
    return v
  }
  public static func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      default: if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
      }
    }
    return out + "\""
  }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib's `crc32`.
public func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
  var crc: UInt32 = 0xFFFF_FFFF
  for b in bytes { crc = crc32Table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
  return crc ^ 0xFFFF_FFFF
}

let crc32Table: [UInt32] = (0..<256).map { n in
  var c = UInt32(n)
  for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
  return c
}
