// ModelBundle: a whole workspace model in one file (.tcb): every replica, with its seed and its
// training log, the method and the lineage, so that `load model` in another process brings back
// the same model the workspace had, bit for bit. The .tcm model file is what a device stores
// (one replica, no history); a bundle is what another Tinycast needs to go on from a model: a
// fanned-out `shrink` ships its teacher and its pruned models to the processes that train from
// them, and gets their results back as bundles. Little-endian throughout:
//
//   offset  size  field
//   0       4     magic "TCB1"
//   4       2     format version (1)
//   6       2     reserved (0)
//   8       4     header length N
//   12      N     header: UTF-8 JSON (below)
//   12+N    ...   per replica: its length (4 bytes), then its model file (.tcm), with the name
//   end-4   4     CRC-32 (IEEE 802.3) of every byte before it
//
// The header's numbers that must come back exactly (seeds, losses, the scaler) are written as
// text Swift reads back to the same bits: a JSON reader's Double may miss by an ulp, and a
// UInt64 seed does not fit one.

import Artifacts
import Foundation
import Modeling
import SalesData

public enum ModelBundle {
  static let magic: [UInt8] = Array("TCB1".utf8)
  static let version: UInt16 = 1
  public static let fileExtension = "tcb"

  /// A checksum of what the model computes and how it came to be, not of how long its epochs
  /// took: the same training replayed has the same identity.
  public static func identity(_ entry: ModelEntry) -> UInt32 {
    var timeless = entry
    for k in timeless.logs.indices {
      for e in timeless.logs[k].epochs.indices { timeless.logs[k].epochs[e].seconds = 0 }
    }
    let bytes = encode(timeless)
    return ModelFile.readLE(bytes, bytes.count - 4, UInt32.self)
  }

  /// Whether `bytes` start like a bundle (rather than a .tcm model file).
  public static func isBundle(_ bytes: [UInt8]) -> Bool { bytes.starts(with: magic) }

  public static func encode(_ entry: ModelEntry) -> [UInt8] {
    func text(_ d: Double) -> String { d.description }
    func text(_ f: Float) -> String { f.description }
    let logs = entry.logs.map { log -> [String: Any] in
      var object: [String: Any] = [
        "best_epoch": log.bestEpoch, "stopped_early": log.stoppedEarly, "interrupted": log.interrupted,
        "epochs": log.epochs.map { [String($0.epoch), text($0.loss), text($0.validationLoss), text($0.seconds)] },
      ]
      if let p = log.bestParameters { object["best_parameters"] = p.map(text) }
      return object
    }
    let header: [String: Any] = [
      "format": "tinycast-bundle \(version)",
      "name": entry.name,
      "method": ["origin": entry.method.origin.rawValue, "steps": entry.method.steps.map(\.rawValue)],
      "dataset": entry.datasetName,
      "window": [
        "lookback": entry.window.lookback, "horizon": entry.window.horizon, "split": text(entry.window.split),
        "validation": text(entry.window.validation), "scale": entry.window.scale.rawValue, "steps": entry.window.steps,
      ],
      "scaler": [
        "kind": entry.scaler.kind.rawValue, "offset": text(entry.scaler.offset), "factor": text(entry.scaler.factor),
      ],
      "pruned": entry.pruned,
      "seeds": entry.seeds.map(String.init),
      "logs": logs,
      "lineage": entry.lineage,
      "replicas": entry.replicas.count,
    ]
    let json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data()
    var out = magic
    ModelFile.appendLE(&out, version)
    ModelFile.appendLE(&out, UInt16(0))
    ModelFile.appendLE(&out, UInt32(json.count))
    out += json
    let metadata = entry.metadata()
    for replica in entry.replicas {
      let file = ArtifactFamilies.modelFile(replica, metadata: metadata)
      ModelFile.appendLE(&out, UInt32(file.count))
      out += file
    }
    ModelFile.appendLE(&out, crc32(out))
    return out
  }

  /// The model in `bytes`; a damaged or foreign file is one error line (`ModelFileError`).
  public static func decode(_ bytes: [UInt8]) throws(ModelFileError) -> ModelEntry {
    guard bytes.count >= 16, isBundle(bytes) else { throw ModelFileError("not a Tinycast model bundle") }
    guard crc32(bytes[0..<(bytes.count - 4)]) == ModelFile.readLE(bytes, bytes.count - 4, UInt32.self) else {
      throw ModelFileError("the bundle is damaged (its checksum does not match)")
    }
    let fileVersion = ModelFile.readLE(bytes, 4, UInt16.self)
    guard fileVersion == version else {
      throw ModelFileError("bundle version \(fileVersion); this Tinycast reads version \(version)")
    }
    let headerLength = Int(ModelFile.readLE(bytes, 8, UInt32.self))
    let end = bytes.count - 4
    guard headerLength <= end - 12 else { throw ModelFileError("the bundle's header is truncated") }
    guard
      let header = (try? JSONSerialization.jsonObject(with: Data(bytes[12..<(12 + headerLength)]))) as? [String: Any],
      header["format"] as? String == "tinycast-bundle \(version)"
    else { throw ModelFileError("the bundle's header is not Tinycast's") }
    func field<T>(_ object: [String: Any], _ key: String, _ what: String = "") throws(ModelFileError) -> T {
      guard let v = object[key] as? T else { throw ModelFileError("the bundle's header lacks \(what)\(key)") }
      return v
    }
    func number<T: LosslessStringConvertible>(_ text: Any?, _ what: String) throws(ModelFileError) -> T {
      guard let s = text as? String, let v = T(s) else { throw ModelFileError("the bundle's \(what) is not a number") }
      return v
    }
    let name: String = try field(header, "name")
    let dataset: String = try field(header, "dataset")
    let method: [String: Any] = try field(header, "method")
    let origin: String = try field(method, "origin", "method.")
    let stepNames: [String] = try field(method, "steps", "method.")
    var steps: [Method.Step] = []
    for s in stepNames {
      guard let step = Method.Step(rawValue: s) else {
        throw ModelFileError("the bundle's method step '\(s)' is unknown")
      }
      steps.append(step)
    }
    let w: [String: Any] = try field(header, "window")
    let scaleName: String = try field(w, "scale", "window.")
    guard let scale = ScalerKind(rawValue: scaleName) else { throw ModelFileError("unknown scaler '\(scaleName)'") }
    let window = WindowConfig(
      lookback: try field(w, "lookback", "window."), horizon: try field(w, "horizon", "window."),
      split: try number(w["split"], "window split"), validation: try number(w["validation"], "window validation"),
      scale: scale, steps: try field(w, "steps", "window."))
    guard window.lookback >= 1, window.horizon >= 1, window.steps >= 1 else {
      throw ModelFileError("the bundle's window is not a window")
    }
    let s: [String: Any] = try field(header, "scaler")
    let kindName: String = try field(s, "kind", "scaler.")
    guard let kind = ScalerKind(rawValue: kindName) else { throw ModelFileError("unknown scaler '\(kindName)'") }
    let scaler = Scaler(
      kind: kind, offset: try number(s["offset"], "scaler offset"), factor: try number(s["factor"], "scaler factor"))
    let seedTexts: [String] = try field(header, "seeds")
    var seeds: [UInt64] = []
    for t in seedTexts { seeds.append(try number(t, "seed")) }
    var logs: [TrainingLog] = []
    for object in try field(header, "logs") as [[String: Any]] {
      var log = TrainingLog()
      log.bestEpoch = try field(object, "best_epoch", "a log's ")
      log.stoppedEarly = try field(object, "stopped_early", "a log's ")
      log.interrupted = try field(object, "interrupted", "a log's ")
      for e in try field(object, "epochs", "a log's ") as [[String]] {
        guard e.count == 4 else { throw ModelFileError("the bundle's epoch record is damaged") }
        log.epochs.append(
          EpochRecord(
            epoch: try number(e[0], "epoch"), loss: try number(e[1], "loss"),
            validationLoss: try number(e[2], "validation loss"), seconds: try number(e[3], "epoch time")))
      }
      if let p = object["best_parameters"] {
        guard let texts = p as? [String] else { throw ModelFileError("the bundle's best parameters are damaged") }
        var values: [Float] = []
        values.reserveCapacity(texts.count)
        for t in texts { values.append(try number(t, "best parameter")) }
        log.bestParameters = values
      }
      logs.append(log)
    }
    let lineage: [String] = try field(header, "lineage")
    let count: Int = try field(header, "replicas")
    guard count >= 1, seeds.count == count, logs.count == count else {
      throw ModelFileError(
        "the bundle's \(count) replicas do not match its \(seeds.count) seeds and \(logs.count) logs")
    }
    var replicas: [any Forecaster] = []
    var offset = 12 + headerLength
    for k in 1...count {
      guard offset + 4 <= end else { throw ModelFileError("the bundle is truncated before replica \(k)") }
      let length = Int(ModelFile.readLE(bytes, offset, UInt32.self))
      offset += 4
      guard length <= end - offset else { throw ModelFileError("the bundle is truncated in replica \(k)") }
      let (model, meta): (any Forecaster, ModelMetadata)
      do { (model, meta) = try ArtifactFamilies.readModelFile(Array(bytes[offset..<(offset + length)])) } catch {
        throw ModelFileError("replica \(k): \(error.message)")
      }
      guard meta.lookback == window.lookback else {
        throw ModelFileError("replica \(k) reads \(meta.lookback) days; the bundle's window has \(window.lookback)")
      }
      replicas.append(model)
      offset += length
    }
    guard offset == end else { throw ModelFileError("the bundle has \(end - offset) bytes after its last replica") }
    return ModelEntry(
      name: name, method: Method(Method.Origin(rawValue: origin), steps: steps), datasetName: dataset, window: window,
      scaler: scaler, replicas: replicas, seeds: seeds, logs: logs, lineage: lineage,
      pruned: try field(header, "pruned"))
  }
}
