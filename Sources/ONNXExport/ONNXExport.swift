// ONNXExport: a recurrent forecaster as an ONNX model, for ONNX Runtime and the toolchains that
// read ONNX. Raw sales go in and sales come out: the scaler is inside the graph.
//
//   sales [N, T] -> Sub(offset) -> Mul(factor) -> Transpose -> Unsqueeze -> X [T, N, 1]
//   -> LSTM or GRU (ONNX's own operators; stacked: one per layer, each reading the sequence Y of
//      the one below) -> Y_h [1, N, H] -> Squeeze -> MatMul(W_dense) -> Add(b_dense)
//   -> Div(factor) -> Add(offset) -> forecast [N, S]
//
// ONNX orders an LSTM's gates i, o, f, c where Keras (and Tinycast) has i, f, c, o, and keeps
// the kernels transposed ([4H, D]); the GRU's z, r, h order is Keras' own, and Keras'
// reset_after=True is ONNX's linear_before_reset=1. An int8 model is written in the QDQ form:
// int8 initializers with per-output-channel scales, each through DequantizeLinear into the
// operator, so ONNX Runtime computes in float on exactly the dequantized weights (Tinycast's
// integer path also quantizes the activations, which ONNX's LSTM cannot express; the bound
// that costs is in docs/MODEL-FORMAT.md). Pruned weights are written dense.
//
// The protobuf types are generated from ONNX's onnx.proto (ONNX 1.23.2) by swift-protobuf's
// protoc-gen-swift; tools/generate_onnx_proto.sh made `onnx.pb.swift`.

import Artifacts
import Compression
import Foundation
import Modeling
import SwiftProtobuf

public enum ONNXExport {
  /// The IR version and operator set written; ONNX Runtime 1.16 and later read both.
  public static let irVersion: Int64 = 8
  public static let opset: Int64 = 17

  public struct Refusal: Error, Sendable {
    public var message: String
  }

  /// The serialized model, or why this model cannot be one.
  public static func export(_ model: ForecastModel, name: String, metadata: ModelMetadata) throws(Refusal) -> [UInt8] {
    if model.skip != nil {
      throw Refusal(message: "corrects a linear model; format=onnx takes the network alone so far")
    }
    guard model.inputs.isPlain else {
      throw Refusal(
        message: "reads \(model.inputs.description); format=onnx takes networks reading plain sales so far")
    }
    var g = GraphBuilder()
    let n = model.floatNetwork
    let l = n.layout
    let (H, S, T) = (l.units, l.outputs, metadata.lookback)
    g.input("sales", dims: [.param("N"), .value(T)])
    g.output("forecast", dims: [.param("N"), .value(S)])
    g.floats("scaler_offset", [metadata.scalerOffset], dims: [])
    g.floats("scaler_factor", [metadata.scalerFactor], dims: [])
    g.node("Sub", ["sales", "scaler_offset"], ["shifted"])
    g.node("Mul", ["shifted", "scaler_factor"], ["scaled"])
    g.node("Transpose", ["scaled"], ["time_major"], ints: ["perm": [1, 0]])
    g.ints("axis_2", [2])
    g.node("Unsqueeze", ["time_major", "axis_2"], ["x_0"])
    g.ints("axis_0", [0])
    if l.layers > 1 { g.ints("axis_1", [1]) }
    let layers: [(kernel: Weights, recurrent: Weights, bias: [Float])]
    let dense: Weights
    switch model {
    case .int8(let q, _):
      layers = q.allLayers.map { layer in
        (
          .int8(layer.kernel, scales: layer.kernelScales, rows: layer.inputSize),
          .int8(layer.recurrent, scales: layer.recurrentScales, rows: H), layer.bias
        )
      }
      dense = .int8(q.dense, scales: q.denseScales, rows: H)
    default:
      layers = (0..<l.layers).map { layer in
        (
          .float(Array(n.weights.values[l.range(.kernel, layer: layer)]), rows: l.layerInputs(layer)),
          .float(Array(n.weights.values[l.range(.recurrentKernel, layer: layer)]), rows: H),
          Array(n.weights.values[l.range(.bias, layer: layer)])
        )
      }
      dense = .float(Array(n.weights.values[l.range(.denseKernel)]), rows: H)
    }
    let cell = l.cell
    // ONNX's gate order as Keras' block numbers: LSTM i, o, f, c of Keras' i, f, c, o; GRU as is.
    let order = cell == .lstm ? [0, 3, 1, 2] : [0, 1, 2]
    for (k, layer) in layers.enumerated() {
      let w = g.recurrentWeights("W_\(k)", layer.kernel, gates: order, units: H)
      let r = g.recurrentWeights("R_\(k)", layer.recurrent, gates: order, units: H)
      // B = [Wb, Rb]: the LSTM's one bias and zeros; the GRU's input and recurrent biases.
      let G = cell.gates * H
      let wb = reorder(Array(layer.bias[0..<G]), gates: order, units: H)
      let rb =
        cell == .gru ? reorder(Array(layer.bias[G..<(2 * G)]), gates: order, units: H) : [Float](repeating: 0, count: G)
      g.floats("B_\(k)", wb + rb, dims: [1, 2 * G])
      let last = k == layers.count - 1
      var attributes: [String: Int64] = ["hidden_size": Int64(H)]
      if cell == .gru { attributes["linear_before_reset"] = 1 }
      g.node(
        cell.layerName, ["x_\(k)", w, r, "B_\(k)"], ["y_\(k)", last ? "h_top" : "h_\(k)"], ints: [:],
        int: attributes)
      if !last { g.node("Squeeze", ["y_\(k)", "axis_1"], ["x_\(k + 1)"]) }
    }
    g.node("Squeeze", ["h_top", "axis_0"], ["hidden"])
    let wd = g.denseWeights("W_dense", dense, outputs: S)
    g.floats("b_dense", Array(n.weights.values[l.range(.denseBias)]), dims: [S])
    g.node("MatMul", ["hidden", wd], ["dense_product"])
    g.node("Add", ["dense_product", "b_dense"], ["y"])
    g.node("Div", ["y", "scaler_factor"], ["unscaled"])
    g.node("Add", ["unscaled", "scaler_offset"], ["forecast"])

    var m = Onnx_ModelProto()
    m.irVersion = irVersion
    var set = Onnx_OperatorSetIdProto()
    set.domain = ""
    set.version = opset
    m.opsetImport = [set]
    m.producerName = "tinycast"
    m.producerVersion = TinycastCVersion.string
    m.docString =
      "\(name): \(model.architecture), \(model.kindDescription); sales in, sales out (scaler inside)"
    var graph = g.graph
    graph.name = name
    m.graph = graph
    do { return Array(try m.serializedData()) } catch {
      throw Refusal(message: "could not serialize the ONNX model: \(error)")
    }
  }

  /// Keras' gate blocks of `units` columns in ONNX's order.
  static func reorder(_ v: [Float], gates: [Int], units H: Int) -> [Float] {
    gates.flatMap { v[($0 * H)..<(($0 + 1) * H)] }
  }
}

/// A kernel as Tinycast holds it ([rows, cols], row-major): float, or int8 codes with one scale
/// per column.
enum Weights {
  case float([Float], rows: Int)
  case int8([Int8], scales: [Float], rows: Int)
}

enum Dimension {
  case value(Int)
  case param(String)
}

struct GraphBuilder {
  var graph = Onnx_GraphProto()

  mutating func valueInfo(_ name: String, dims: [Dimension]) -> Onnx_ValueInfoProto {
    var v = Onnx_ValueInfoProto()
    v.name = name
    var tensor = Onnx_TypeProto.Tensor()
    tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    var shape = Onnx_TensorShapeProto()
    shape.dim = dims.map { d in
      var dim = Onnx_TensorShapeProto.Dimension()
      switch d {
      case .value(let n): dim.dimValue = Int64(n)
      case .param(let p): dim.dimParam = p
      }
      return dim
    }
    tensor.shape = shape
    var type = Onnx_TypeProto()
    type.tensorType = tensor
    v.type = type
    return v
  }

  mutating func input(_ name: String, dims: [Dimension]) { graph.input.append(valueInfo(name, dims: dims)) }
  mutating func output(_ name: String, dims: [Dimension]) { graph.output.append(valueInfo(name, dims: dims)) }

  mutating func floats(_ name: String, _ values: [Float], dims: [Int]) {
    var t = Onnx_TensorProto()
    t.name = name
    t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    t.dims = dims.map(Int64.init)
    var raw = Data(capacity: values.count * 4)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
    t.rawData = raw
    graph.initializer.append(t)
  }

  mutating func int8s(_ name: String, _ values: [Int8], dims: [Int]) {
    var t = Onnx_TensorProto()
    t.name = name
    t.dataType = Int32(Onnx_TensorProto.DataType.int8.rawValue)
    t.dims = dims.map(Int64.init)
    t.rawData = Data(values.map { UInt8(bitPattern: $0) })
    graph.initializer.append(t)
  }

  mutating func ints(_ name: String, _ values: [Int64]) {
    var t = Onnx_TensorProto()
    t.name = name
    t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
    t.dims = [Int64(values.count)]
    t.int64Data = values
    graph.initializer.append(t)
  }

  mutating func node(
    _ op: String, _ inputs: [String], _ outputs: [String], ints: [String: [Int64]] = [:], int: [String: Int64] = [:]
  ) {
    var n = Onnx_NodeProto()
    n.opType = op
    n.name = "\(op.lowercased())_\(graph.node.count)"
    n.input = inputs
    n.output = outputs
    // One attribute per key, sorted so the file is the same bytes every time.
    let attributes =
      ints.map { key, values in (key, Onnx_AttributeProto.AttributeType.ints, values, Int64(0)) }
      + int.map { key, value in (key, Onnx_AttributeProto.AttributeType.int, [Int64](), value) }
    for (key, type, values, value) in attributes.sorted(by: { $0.0 < $1.0 }) {
      var a = Onnx_AttributeProto()
      a.name = key
      a.type = type
      if type == .ints { a.ints = values } else { a.i = value }
      n.attribute.append(a)
    }
    graph.node.append(n)
  }

  /// An LSTM or GRU kernel as ONNX wants it, [1, gates x H, rows]: transposed, gate blocks in
  /// ONNX's order; int8 through DequantizeLinear with one scale per output row (axis 1).
  /// Returns the name the operator reads.
  mutating func recurrentWeights(_ name: String, _ w: Weights, gates order: [Int], units H: Int) -> String {
    let G = order.count * H
    // Row j of the ONNX tensor is column source(j) of Tinycast's.
    let source = order.flatMap { block in (0..<H).map { block * H + $0 } }
    switch w {
    case .float(let values, let rows):
      let t = source.flatMap { c in (0..<rows).map { r in values[r * G + c] } }
      floats(name, t, dims: [1, G, rows])
      return name
    case .int8(let codes, let scales, let rows):
      let t = source.flatMap { c in (0..<rows).map { r in codes[r * G + c] } }
      int8s(name + "_q", t, dims: [1, G, rows])
      floats(name + "_scale", source.map { scales[$0] }, dims: [G])
      node("DequantizeLinear", [name + "_q", name + "_scale"], [name], int: ["axis": 1])
      return name
    }
  }

  /// The Dense kernel, [H, S] as it is; int8 with one scale per output (axis 1).
  mutating func denseWeights(_ name: String, _ w: Weights, outputs S: Int) -> String {
    switch w {
    case .float(let values, let rows):
      floats(name, values, dims: [rows, S])
    case .int8(let codes, let scales, let rows):
      int8s(name + "_q", codes, dims: [rows, S])
      floats(name + "_scale", scales, dims: [S])
      node("DequantizeLinear", [name + "_q", name + "_scale"], [name], int: ["axis": 1])
    }
    return name
  }
}
