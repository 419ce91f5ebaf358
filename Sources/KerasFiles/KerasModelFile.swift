// KerasModelFile: a model file Keras wrote, read directly: the native `.keras` (Keras 3: a zip
// holding config.json and model.weights.h5) and the legacy `.h5` (the architecture as JSON in the
// root attribute `model_config`, the weights under `model_weights/LAYER`, listed by each layer's
// `weight_names`). The architecture comes from the config, the weights from HDF5.
//
// What Tinycast can represent: Input(T, 1) -> LSTM or GRU (stacked, every one of the same width,
// return_sequences on all but the last) -> Dropout(s) -> Dense(S), with Keras' default
// activations. Anything else is refused in one line naming the layer and the option, before a
// weight is read.

import Artifacts
import CHDF5
import Foundation
import Modeling
import ZIPFoundation

public enum KerasModelFile {
  /// The two containers, told apart by their first bytes.
  public enum Container: Sendable { case keras, legacyH5 }

  public static func container(of bytes: some Collection<UInt8>) -> Container? {
    let head = Array(bytes.prefix(8))
    if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .keras }
    if head == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] { return .legacyH5 }
    return nil
  }

  /// How `read` runs. HDF5 1.10 can loop forever on a damaged file (fuzzing found one in
  /// H5HG_read, reading a variable-length string), and nothing can interrupt a C loop; so the
  /// shell reads Keras files in a child process (`tinycast keras-json FILE`) that it stops after
  /// `timeout` seconds. Tests and the fuzzer read in process.
  public enum Isolation: Sendable {
    case inProcess
    case childProcess(executable: String, timeout: Double)
  }
  nonisolated(unsafe) public static var isolation = Isolation.inProcess

  /// Reads the model file at `path` (either container), as `isolation` says.
  public static func read(path: String) throws(ModelFileError) -> KerasWeights.Imported {
    switch isolation {
    case .inProcess: return try readHere(path: path)
    case .childProcess(let executable, let timeout): return try readInChild(path: path, executable, timeout)
    }
  }

  /// The child's work: the file as Tinycast's Keras JSON (`KerasWeights`), which carries the
  /// architecture and every weight exactly (floats print so they read back to the same bits).
  public static func json(path: String) throws(ModelFileError) -> String {
    let imported = try readHere(path: path)
    let metadata = ModelMetadata(
      name: "", lookback: imported.lookback ?? 0, horizon: 1, scalerKind: "none", scalerOffset: 0, scalerFactor: 1,
      lineage: [])
    return KerasWeights.encode(imported.network, metadata: metadata)
  }

  /// Checks a Keras config (config.json, or a legacy file's `model_config`) against what
  /// Tinycast can represent, reading no weights: the part of the reader that is ours to fuzz.
  public static func checkConfig(_ json: Data) throws(ModelFileError) {
    _ = try Architecture(configJSON: json)
  }

  static func readInChild(path: String, _ executable: String, _ timeout: Double) throws(ModelFileError)
    -> KerasWeights.Imported
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["keras-json", path]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    do { try process.run() } catch { throw ModelFileError("cannot start \(executable) to read it") }
    // Drain both pipes while the child runs (a large model fills a pipe's buffer).
    nonisolated(unsafe) var (json, message) = (Data(), Data())
    let readers = DispatchGroup()
    DispatchQueue.global().async(group: readers) { json = output.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: readers) { message = errors.fileHandleForReading.readDataToEndOfFile() }
    if finished.wait(timeout: .now() + timeout) == .timedOut {
      process.terminate()
      kill(process.processIdentifier, SIGKILL)
      finished.wait()
      readers.wait()
      throw ModelFileError("HDF5 did not finish reading it in \(Int(timeout)) s (a damaged file?)")
    }
    readers.wait()
    guard process.terminationStatus == 0 else {
      let text = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      throw ModelFileError(text.isEmpty ? "its reader stopped (status \(process.terminationStatus))" : text)
    }
    var imported = try KerasWeights.decode(json)
    imported.scaler = nil  // a Keras file has none: the dataset's applies
    if imported.lookback == 0 { imported.lookback = nil }
    return imported
  }

  static func readHere(path: String) throws(ModelFileError) -> KerasWeights.Imported {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw ModelFileError("cannot open the file") }
    let head = (try? handle.read(upToCount: 8)) ?? Data()
    try? handle.close()
    switch container(of: head) {
    case .keras?: return try readKeras(path: path)
    case .legacyH5?: return try readLegacyH5(path: path)
    case nil: throw ModelFileError("neither a .keras archive nor an HDF5 file")
    }
  }

  // MARK: - The two containers

  static func readKeras(path: String) throws(ModelFileError) -> KerasWeights.Imported {
    let archive: Archive
    do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
      throw ModelFileError("not a readable .keras archive (truncated?)")
    }
    func entry(_ name: String, limit: Int) throws(ModelFileError) -> Data {
      guard let e = archive[name] else { throw ModelFileError("the archive has no \(name); is it a Keras 3 model?") }
      guard e.uncompressedSize <= UInt64(limit) else { throw ModelFileError("\(name) is too large for a forecaster") }
      var data = Data()
      do { _ = try archive.extract(e, skipCRC32: false) { data.append($0) } } catch {
        throw ModelFileError("\(name) in the archive is damaged")
      }
      return data
    }
    let config = try entry("config.json", limit: 16 << 20)
    let architecture = try Architecture(configJSON: config)
    // HDF5 reads files, not memory: the weights go to a private temporary file for the read.
    let weights = try entry("model.weights.h5", limit: 256 << 20)
    let temporary = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tinycast-\(UUID().uuidString).weights.h5")
    defer { try? FileManager.default.removeItem(at: temporary) }
    do { try weights.write(to: temporary, options: .atomic) } catch {
      throw ModelFileError("cannot write a temporary copy of model.weights.h5")
    }
    let file: HDF5File
    do { file = try HDF5File(path: temporary.path) } catch {
      throw ModelFileError("model.weights.h5: \(error.message)")
    }
    // Keras 3 keeps a recurrent layer's arrays under its cell, a Dense layer's under itself.
    return try architecture.imported { (layer: String, isRecurrent: Bool) throws(ModelFileError) in
      let base = "layers/\(layer)/" + (isRecurrent ? "cell/vars" : "vars")
      do throws(HDF5Error) {
        let names = try file.members(of: base).sorted { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) }
        return try names.map { name throws(HDF5Error) in try file.floats("\(base)/\(name)") }
      } catch { throw ModelFileError("model.weights.h5: \(error.message)") }
    }
  }

  static func readLegacyH5(path: String) throws(ModelFileError) -> KerasWeights.Imported {
    let file: HDF5File
    do { file = try HDF5File(path: path) } catch { throw ModelFileError(error.message) }
    let config: [String]?
    do { config = try file.strings(attribute: "model_config") } catch { throw ModelFileError(error.message) }
    guard let text = config?.first else {
      throw ModelFileError("an HDF5 file without 'model_config': weights alone (save_weights) carry no architecture")
    }
    let architecture = try Architecture(configJSON: Data(text.utf8))
    return try architecture.imported { (layer: String, _: Bool) throws(ModelFileError) in
      let group = "model_weights/\(layer)"
      do throws(HDF5Error) {
        guard let names = try file.strings(attribute: "weight_names", of: group) else {
          throw HDF5Error("no weights for layer '\(layer)'")
        }
        return try names.map { name throws(HDF5Error) in try file.floats("\(group)/\(name)") }
      } catch { throw ModelFileError(error.message) }
    }
  }
}

// MARK: - The architecture, from Keras' config

/// The chain of layers a Keras config describes, checked against what Tinycast can represent.
struct Architecture {
  var cell: RecurrentCell = .lstm
  /// The recurrent layers' names, bottom first.
  var recurrent: [String] = []
  var units = 0
  var dense = ""
  var outputs = 0
  var dropout: Float = 0
  var lookback: Int?

  init(configJSON: Data) throws(ModelFileError) {
    guard let doc = try? JSONSerialization.jsonObject(with: configJSON) as? [String: Any] else {
      throw ModelFileError("the model's config is not JSON")
    }
    let className = doc["class_name"] as? String ?? "?"
    guard className == "Sequential" || className == "Functional" || className == "Model" else {
      throw ModelFileError("a \(className) model; Tinycast reads Sequential and Functional models")
    }
    guard let config = doc["config"] as? [String: Any], let layers = config["layers"] as? [[String: Any]] else {
      throw ModelFileError("the model's config lists no layers")
    }
    var inputs = 0
    for layer in layers {
      let kind = layer["class_name"] as? String ?? "?"
      let c = layer["config"] as? [String: Any] ?? [:]
      let name = c["name"] as? String ?? kind.lowercased()
      func refuse(_ option: String) -> ModelFileError {
        ModelFileError("layer '\(name)' (\(kind)): \(option); Tinycast cannot represent it")
      }
      // The input's shape: Keras 3's batch_shape, Keras 2's batch_input_shape (on any first layer).
      if let shape = (c["batch_shape"] ?? c["batch_input_shape"]) as? [Any] {
        guard shape.count == 3 else { throw refuse("input shape \(shape.count - 1)-dimensional, not (steps, 1)") }
        let channels = shape[2] as? Int ?? 0
        guard channels == 1 else {
          throw refuse(
            "\(channels) input channels per step; a Keras file does not say what they are (Tinycast's own "
              + "JSON, format=keras, does)")
        }
        lookback = shape[1] as? Int
      }
      switch kind {
      case "InputLayer":
        inputs += 1
        guard inputs == 1 else { throw refuse("a second input") }
      case "LSTM", "GRU":
        let thisCell: RecurrentCell = kind == "LSTM" ? .lstm : .gru
        guard dense.isEmpty else { throw refuse("a recurrent layer after the Dense head") }
        guard recurrent.isEmpty || thisCell == cell else { throw refuse("a \(kind) stacked on a \(cell.layerName)") }
        cell = thisCell
        let width = c["units"] as? Int ?? 0
        guard (1...4096).contains(width) else { throw refuse("units=\(width)") }
        guard recurrent.isEmpty || width == units else {
          throw refuse("units=\(width) over a layer of \(units) (Tinycast stacks layers of one width)")
        }
        units = width
        if let a = c["activation"] as? String, a != "tanh" { throw refuse("activation=\(a) (only tanh)") }
        if let a = c["recurrent_activation"] as? String, a != "sigmoid" {
          throw refuse("recurrent_activation=\(a) (only sigmoid)")
        }
        for flag in ["go_backwards", "stateful", "return_state"] where c[flag] as? Bool == true {
          throw refuse("\(flag)=True")
        }
        if c["use_bias"] as? Bool == false { throw refuse("use_bias=False") }
        if thisCell == .gru, c["reset_after"] as? Bool == false { throw refuse("reset_after=False (only True)") }
        if let previous = recurrent.last, !Architecture.returnsSequences(layers, previous) {
          throw refuse("stacked on '\(previous)', which has return_sequences=False")
        }
        recurrent.append(name)
      case "Dropout":
        // The identity when forecasting; its rate is kept for fine-tuning.
        dropout = Float((c["rate"] as? NSNumber)?.doubleValue ?? 0)
      case "Dense":
        guard !recurrent.isEmpty else { throw refuse("a Dense layer before any recurrent layer") }
        guard dense.isEmpty else { throw refuse("a second Dense layer") }
        if let a = c["activation"] as? String, a != "linear" { throw refuse("activation=\(a) (only linear)") }
        if c["use_bias"] as? Bool == false { throw refuse("use_bias=False") }
        let width = c["units"] as? Int ?? 0
        guard (1...366).contains(width) else { throw refuse("units=\(width)") }
        dense = name
        outputs = width
      default:
        throw refuse("a \(kind) layer")
      }
    }
    guard let top = recurrent.last else { throw ModelFileError("no LSTM or GRU layer") }
    guard !Architecture.returnsSequences(layers, top) else {
      throw ModelFileError("layer '\(top)' (\(cell.layerName)): return_sequences=True feeds no recurrent layer")
    }
    guard !dense.isEmpty else { throw ModelFileError("no Dense head after '\(top)'") }
  }

  static func returnsSequences(_ layers: [[String: Any]], _ name: String) -> Bool {
    let layer = layers.first { (($0["config"] as? [String: Any])?["name"] as? String) == name }
    return ((layer?["config"] as? [String: Any])?["return_sequences"] as? Bool) == true
  }

  /// The forecaster, its arrays read by `weights(layer, isRecurrent)` in Keras' order
  /// (kernel, recurrent kernel, bias; kernel, bias) and checked against the architecture.
  func imported(
    weights: (String, Bool) throws(ModelFileError) -> [(shape: [Int], values: [Float])]
  ) throws(ModelFileError) -> KerasWeights.Imported {
    let layout = ParameterLayout(inputSize: 1, units: units, cell: cell, outputs: outputs, layers: recurrent.count)
    var w = ParameterVector(layout: layout)
    let G = layout.gateWidth
    func fill(_ arrays: [(shape: [Int], values: [Float])], _ tensors: [TensorID], layer: String)
      throws(ModelFileError)
    {
      guard arrays.count == tensors.count else {
        throw ModelFileError("layer '\(layer)' has \(arrays.count) weight arrays; expected \(tensors.count)")
      }
      for (array, t) in zip(arrays, tensors) {
        let (rows, cols) = layout.shape(t)
        // Keras keeps vectors (an LSTM's bias, a Dense bias) one-dimensional.
        let expected = rows == 1 && (t.name == .bias || t.name == .denseBias) ? [cols] : [rows, cols]
        guard array.shape == expected else {
          throw ModelFileError(
            "layer '\(layer)': \(layout.name(t)) is \(array.shape.map(String.init).joined(separator: "x")); "
              + "expected \(expected.map(String.init).joined(separator: "x")) for \(units) units (G = \(G))")
        }
        guard array.values.allSatisfy(\.isFinite) else {
          throw ModelFileError("layer '\(layer)': a weight is not finite")
        }
        w.values.replaceSubrange(layout.range(t), with: array.values)
      }
    }
    for (l, name) in recurrent.enumerated() {
      try fill(
        try weights(name, true), [.kernel, .recurrentKernel, .bias].map { TensorID($0, layer: l) }, layer: name)
    }
    try fill(try weights(dense, false), [TensorID(.denseKernel), TensorID(.denseBias)], layer: dense)
    return KerasWeights.Imported(
      network: RecurrentForecaster(weights: w, dropout: dropout), lookback: lookback, scaler: nil)
  }
}
