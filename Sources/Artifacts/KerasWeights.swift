// KerasWeights: a model's float weights as JSON that Keras' `model.set_weights` accepts, for
// LSTM(units) or GRU(units) -> Dropout -> Dense(S) (S = 1, or the days of a multi-day head)
// built over (lookback, D) inputs; and the
// reverse, so models trained in Keras can be compressed here. Integer models export their
// dequantized weights.
//   {"format": "tinycast-keras-weights", "version": 1, "layer": "lstm"|"gru", "units": H,
//    "lookback": T, "scaler": {"kind": "minmax", "offset": o, "factor": f},
//    "inputs": {"norm": "level", "weekday": true, "year": K, ...}    (only when not plain sales;
//                                              holidays and covariates as in InputFields.swift)
//    "weights": [kernel [D][G], recurrent_kernel [H][G], bias, dense_kernel [H][1], dense_bias [1]]}
// LSTM: G = 4H, bias [4H], gates i, f, c (g), o. GRU (reset_after=True): G = 3H, bias [2][3H]
// (input, recurrent), gates z, r, h. Both are Keras' own orders, so nothing is reordered.
// Stacked layers (Keras' LSTM(H, return_sequences=True) -> ... -> LSTM(H)) add "layers": L and
// list each layer's three arrays in turn (a later layer's kernel is [H][G]), then the Dense two,
// as `get_weights()` does.

import Compression
import Foundation
import Modeling
import NumericCore

public enum KerasWeights {
  public static func encode(_ network: RecurrentForecaster, metadata: ModelMetadata) -> String {
    let w = network.weights
    func row(_ v: ArraySlice<Float>) -> String { "[" + v.map { "\($0)" }.joined(separator: ", ") + "]" }
    func matrix(_ t: TensorID) -> String {
      let (r, c) = w.layout.shape(t)
      let base = w.layout.range(t).lowerBound
      return "[" + (0..<r).map { row(w.values[(base + $0 * c)..<(base + ($0 + 1) * c)]) }.joined(separator: ",\n  ")
        + "]"
    }
    let inputs = network.inputs
    // The calendar always spelled out (as this file has always had it); holidays and covariates
    // as the model file writes them.
    var rest = inputs
    rest.levelNormalized = false
    rest.calendar = .none
    let extra = InputFields.json(rest)
    let inputsField =
      inputs.isPlain
      ? ""
      : """
       "inputs": {"norm": "\(inputs.levelNormalized ? "level" : "none")", "weekday": \(inputs.calendar.weekday), \
      "year": \(inputs.calendar.yearHarmonics)\(extra.isEmpty ? "" : ", " + extra.dropLast())},

      """
    // Keras' arrays: the LSTM's bias is a vector, the GRU's two rows; the Dense bias a vector.
    let arrays = w.layout.tensors.map { t in
      (t.name == .bias && network.cell == .lstm) || t.name == .denseBias ? row(w.values[w.layout.range(t)]) : matrix(t)
    }
    let layers = w.layout.layers > 1 ? " \"layers\": \(w.layout.layers)," : ""
    return """
      {"format": "tinycast-keras-weights", "version": 1, "name": \(ModelFile.jsonString(metadata.name)),
       "layer": "\(network.cell.rawValue)", "units": \(network.units),\(layers) "lookback": \(metadata.lookback), \
      "horizon": \(metadata.horizon), "dropout": \(network.dropout),
      \(inputsField)
       "scaler": {"kind": \(ModelFile.jsonString(metadata.scalerKind)), "offset": \(metadata.scalerOffset), "factor": \
      \(metadata.scalerFactor)},
       "weights": [
      \(arrays.joined(separator: ",\n"))]}

      """
  }

  public struct Imported: Sendable {
    public var network: RecurrentForecaster
    public var lookback: Int?
    public var scaler: (kind: String, offset: Float, factor: Float)?
    public init(
      network: RecurrentForecaster, lookback: Int?, scaler: (kind: String, offset: Float, factor: Float)?
    ) {
      self.network = network
      self.lookback = lookback
      self.scaler = scaler
    }
  }

  /// Reads the JSON written by `encode` (or by hand from Keras' `get_weights()`: a "weights" list
  /// of the five arrays is enough; units follow from the shapes).
  public static func decode(_ data: Data) throws(ModelFileError) -> Imported {
    guard let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw ModelFileError("not a JSON object")
    }
    // 3 arrays per recurrent layer, then the Dense kernel and bias.
    guard let weights = doc["weights"] as? [Any], weights.count >= 5, (weights.count - 2) % 3 == 0 else {
      throw ModelFileError(
        "needs \"weights\": the arrays of Keras' get_weights() (kernel, recurrent_kernel, bias per recurrent layer, "
          + "then dense kernel, dense bias)"
      )
    }
    let L = (weights.count - 2) / 3
    guard L <= 16 else { throw ModelFileError("\(L) recurrent layers; Tinycast stacks up to 16") }
    func numbers(_ any: Any, _ what: String) throws(ModelFileError) -> [[Float]] {
      if let m = any as? [[NSNumber]] { return m.map { $0.map(\.floatValue) } }
      if let v = any as? [NSNumber] { return [v.map(\.floatValue)] }
      throw ModelFileError("\(what) is not an array of numbers")
    }
    var arrays: [[[Float]]] = []
    for (k, any) in weights.enumerated() {
      let layer = k < 3 * L ? (k / 3 == 0 ? "" : " of layer \(k / 3 + 1)") : ""
      let what =
        k < 3 * L ? ["kernel", "recurrent_kernel", "bias"][k % 3] + layer : ["dense kernel", "dense bias"][k - 3 * L]
      arrays.append(try numbers(any, what))
    }
    let (recurrent, bias) = (arrays[1], arrays[2])
    let (dense, denseBias) = (arrays[3 * L], arrays[3 * L + 1])
    let h = recurrent.count
    // The cell from the shapes (or "layer"): four gate blocks an LSTM, three and two bias rows a GRU.
    let cell: RecurrentCell =
      (doc["layer"] as? String).flatMap(RecurrentCell.init(rawValue:))
      ?? (h > 0 && recurrent[0].count == 3 * h && bias.count == 2 ? .gru : .lstm)
    let G = cell.gates * h
    var inputs = RecurrentInputs.plain
    if let i = doc["inputs"] as? [String: Any] { inputs = try InputFields.decode(i, what: "inputs") }
    let D = inputs.channels
    // Dense(S): S days at once (the dense bias' length), up to a year.
    let S = denseBias.first?.count ?? 0
    let layersFit = (0..<L).allSatisfy { l in
      let (kernel, recurrent, bias) = (arrays[3 * l], arrays[3 * l + 1], arrays[3 * l + 2])
      return kernel.count == (l == 0 ? D : h) && kernel.allSatisfy({ $0.count == G }) && recurrent.count == h
        && recurrent.allSatisfy({ $0.count == G }) && bias.count == cell.biasRows && bias.allSatisfy({ $0.count == G })
    }
    guard h >= 1, h <= 4096, layersFit, (1...366).contains(S), dense.count == h, dense.allSatisfy({ $0.count == S }),
      denseBias.count == 1
    else {
      let biasShape = cell == .lstm ? "[\(cell.gates)H]" : "[2][3H]"
      let over = "over \(D) input\(D == 1 ? "" : "s")"
      let stacked = L > 1 ? " (\(L) layers; each later kernel [H][\(cell.gates)H])" : ""
      throw ModelFileError(
        "shapes do not form \(cell.layerName)(H) -> Dense(S) \(over)\(stacked): kernel [\(D)][\(cell.gates)H], "
          + "recurrent_kernel [H][\(cell.gates)H], bias \(biasShape), dense [H][S], [S]"
      )
    }
    if let declared = doc["layers"] as? Int, declared != L {
      throw ModelFileError("\"layers\": \(declared), but the weights hold \(L) recurrent layer\(L == 1 ? "" : "s")")
    }
    var w = ParameterVector(layout: ParameterLayout(inputSize: D, units: h, cell: cell, outputs: S, layers: L))
    let flat = arrays.flatMap { $0.flatMap { $0 } }
    guard flat.allSatisfy(\.isFinite) else { throw ModelFileError("a weight is not finite") }
    w.values = flat
    let dropout = (doc["dropout"] as? NSNumber)?.floatValue ?? 0.2
    var scaler: (String, Float, Float)?
    if let s = doc["scaler"] as? [String: Any], let kind = s["kind"] as? String,
      let o = (s["offset"] as? NSNumber)?.floatValue, let f = (s["factor"] as? NSNumber)?.floatValue
    {
      scaler = (kind, o, f)
    }
    return Imported(
      network: RecurrentForecaster(weights: w, dropout: dropout, inputs: inputs), lookback: doc["lookback"] as? Int,
      scaler: scaler)
  }
}
