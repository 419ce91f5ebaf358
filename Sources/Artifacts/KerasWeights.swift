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

import Compression
import Foundation
import Modeling
import NumericCore

public enum KerasWeights {
  public static func encode(_ network: RecurrentForecaster, metadata: ModelMetadata) -> String {
    let w = network.weights
    func row(_ v: ArraySlice<Float>) -> String { "[" + v.map { "\($0)" }.joined(separator: ", ") + "]" }
    func matrix(_ p: ParameterName) -> String {
      let (r, c) = w.layout.shape(p)
      let base = w.layout.offset(p)
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
    let bias = network.cell == .lstm ? row(w.values[w.layout.range(.bias)]) : matrix(.bias)
    return """
      {"format": "tinycast-keras-weights", "version": 1, "name": \(ModelFile.jsonString(metadata.name)),
       "layer": "\(network.cell.rawValue)", "units": \(network.units), "lookback": \(metadata.lookback), \
      "horizon": \(metadata.horizon), "dropout": \(network.dropout),
      \(inputsField)
       "scaler": {"kind": \(ModelFile.jsonString(metadata.scalerKind)), "offset": \(metadata.scalerOffset), "factor": \
      \(metadata.scalerFactor)},
       "weights": [
      \(matrix(.kernel)),
      \(matrix(.recurrentKernel)),
      \(bias),
      \(matrix(.denseKernel)),
      \(row(w.values[w.layout.range(.denseBias)]))]}

      """
  }

  public struct Imported: Sendable {
    public var network: RecurrentForecaster
    public var lookback: Int?
    public var scaler: (kind: String, offset: Float, factor: Float)?
  }

  /// Reads the JSON written by `encode` (or by hand from Keras' `get_weights()`: a "weights" list
  /// of the five arrays is enough; units follow from the shapes).
  public static func decode(_ data: Data) throws(ModelFileError) -> Imported {
    guard let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw ModelFileError("not a JSON object")
    }
    guard let weights = doc["weights"] as? [Any], weights.count == 5 else {
      throw ModelFileError(
        "needs \"weights\": the five arrays of Keras' get_weights() (kernel, recurrent_kernel, bias, dense kernel, "
          + "dense bias)"
      )
    }
    func numbers(_ any: Any, _ what: String) throws(ModelFileError) -> [[Float]] {
      if let m = any as? [[NSNumber]] { return m.map { $0.map(\.floatValue) } }
      if let v = any as? [NSNumber] { return [v.map(\.floatValue)] }
      throw ModelFileError("\(what) is not an array of numbers")
    }
    let kernel = try numbers(weights[0], "kernel")
    let recurrent = try numbers(weights[1], "recurrent_kernel")
    let bias = try numbers(weights[2], "bias")
    let dense = try numbers(weights[3], "dense kernel")
    let denseBias = try numbers(weights[4], "dense bias")
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
    guard h >= 1, h <= 4096, kernel.count == D, kernel.allSatisfy({ $0.count == G }),
      recurrent.allSatisfy({ $0.count == G }), bias.count == cell.biasRows, bias.allSatisfy({ $0.count == G }),
      (1...366).contains(S), dense.count == h, dense.allSatisfy({ $0.count == S }), denseBias.count == 1
    else {
      let biasShape = cell == .lstm ? "[\(cell.gates)H]" : "[2][3H]"
      let over = "over \(D) input\(D == 1 ? "" : "s")"
      throw ModelFileError(
        "shapes do not form \(cell.layerName)(H) -> Dense(S) \(over): kernel [\(D)][\(cell.gates)H], "
          + "recurrent_kernel [H][\(cell.gates)H], bias \(biasShape), dense [H][S], [S]"
      )
    }
    var w = ParameterVector(layout: ParameterLayout(inputSize: D, units: h, cell: cell, outputs: S))
    let flat =
      kernel.flatMap { $0 } + recurrent.flatMap { $0 } + bias.flatMap { $0 } + dense.flatMap { $0 } + denseBias[0]
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
