// Parameters: every trainable number of a forecaster in one flat Float vector, with named views.
// One flat vector means the optimizer, gradient reduction, masks and checkpoints each need one
// loop, not one per tensor (micrograd's single `parameters()` list).

import NumericCore

/// The recurrent layer's cell, as Keras defines each: `lstm` (gates i, f, g, o) or `gru` with
/// `reset_after=True`, Keras' default (gates z, r, h; separate input and recurrent biases).
public enum RecurrentCell: String, Sendable, CaseIterable {
  case lstm, gru
  /// Gate blocks of H columns side by side in each kernel.
  public var gates: Int { self == .lstm ? 4 : 3 }
  /// Rows of the bias: GRU's reset-after form keeps the recurrent bias apart (it sits inside r * (h Wh + b)).
  public var biasRows: Int { self == .lstm ? 1 : 2 }
  /// "LSTM", "GRU": as the tables and Keras name the layer.
  public var layerName: String { rawValue.uppercased() }
}

/// The forecaster's tensors, in Keras' `get_weights()` order.
public enum ParameterName: Int, CaseIterable, Sendable, CustomStringConvertible {
  case kernel, recurrentKernel, bias, denseKernel, denseBias
  /// The LSTM's names; `ParameterLayout.name(_:)` gives the name for the layout's cell.
  public var description: String { name(cell: .lstm) }
  public func name(cell: RecurrentCell) -> String {
    switch self {
    case .kernel: "\(cell.rawValue)/kernel"
    case .recurrentKernel: "\(cell.rawValue)/recurrent_kernel"
    case .bias: "\(cell.rawValue)/bias"
    case .denseKernel: "dense/kernel"
    case .denseBias: "dense/bias"
    }
  }
  /// The Dense head's tensors (one per network, whatever its layers).
  public var isDense: Bool { self == .denseKernel || self == .denseBias }
  /// Kernels are the weight matrices that magnitude pruning may touch; biases never are.
  public var isKernel: Bool { self == .kernel || self == .recurrentKernel || self == .denseKernel }
}

/// Shapes and offsets of the tensors of a recurrent(units) -> Dense(S) forecaster with D inputs,
/// G = gates x H (4H for the LSTM, 3H for the GRU) and S outputs (days forecast, usually 1):
///   kernel            D x G   (gate blocks side by side, as Keras and PyTorch)
///   recurrent_kernel  H x G
///   bias              1 x G   (LSTM) or 2 x G (GRU: input bias, then recurrent bias)
///   dense kernel      H x S
///   dense bias        1 x S
///
/// Stacked layers (`layers` L > 1, Keras' LSTM(H, return_sequences=True) -> ... -> LSTM(H)):
/// each layer's three tensors in turn, layer 0 reading the D inputs and every later layer the
/// H-wide hidden states of the one below, then the Dense head, as Keras' `get_weights()` lists
/// them. The layer-less accessors name layer 0 (and trap for a recurrent tensor of a stacked
/// layout, so code written for one layer cannot silently see only the first).
public struct ParameterLayout: Sendable, Equatable {
  public let inputSize: Int
  public let units: Int
  public let cell: RecurrentCell
  /// The Dense head's outputs: one per day forecast.
  public let outputs: Int
  /// Recurrent layers stacked (1: the article's network).
  public let layers: Int
  public var gateWidth: Int { cell.gates * units }

  public init(inputSize: Int, units: Int, cell: RecurrentCell = .lstm, outputs: Int = 1, layers: Int = 1) {
    precondition(
      inputSize >= 1 && units >= 1 && outputs >= 1 && layers >= 1,
      "ParameterLayout: \(inputSize) inputs, \(units) units, \(outputs) outputs, \(layers) layers")
    self.inputSize = inputSize
    self.units = units
    self.cell = cell
    self.outputs = outputs
    self.layers = layers
  }

  /// The inputs layer `layer` reads: the data's channels, or the layer below's units.
  public func layerInputs(_ layer: Int) -> Int { layer == 0 ? inputSize : units }

  public func shape(_ p: ParameterName, layer: Int) -> (rows: Int, cols: Int) {
    switch p {
    case .kernel: (layerInputs(layer), gateWidth)
    case .recurrentKernel: (units, gateWidth)
    case .bias: (cell.biasRows, gateWidth)
    case .denseKernel: (units, outputs)
    case .denseBias: (1, outputs)
    }
  }
  public func shape(_ p: ParameterName) -> (rows: Int, cols: Int) { shape(p, layer: oneLayer(p)) }

  /// Keras' names: lstm/kernel for the first layer, lstm_1/kernel for the second, ...
  public func name(_ p: ParameterName, layer: Int) -> String {
    let base = p.name(cell: cell)
    guard layer > 0, !p.isDense else { return base }
    return base.replacingOccurrences(of: "\(cell.rawValue)/", with: "\(cell.rawValue)_\(layer)/")
  }
  public func name(_ p: ParameterName) -> String { name(p, layer: oneLayer(p)) }

  public func count(_ p: ParameterName, layer: Int) -> Int {
    let s = shape(p, layer: layer)
    return s.rows * s.cols
  }
  public func count(_ p: ParameterName) -> Int { count(p, layer: oneLayer(p)) }

  /// Numbers in one recurrent layer's three tensors.
  func layerCount(_ layer: Int) -> Int {
    [ParameterName.kernel, .recurrentKernel, .bias].reduce(0) { $0 + count($1, layer: layer) }
  }

  public func offset(_ p: ParameterName, layer: Int) -> Int {
    if p.isDense {
      let recurrent = (0..<layers).reduce(0) { $0 + layerCount($1) }
      return p == .denseKernel ? recurrent : recurrent + count(.denseKernel)
    }
    let before = (0..<layer).reduce(0) { $0 + layerCount($1) }
    return before
      + [ParameterName.kernel, .recurrentKernel, .bias].prefix(while: { $0 != p }).reduce(0) {
        $0 + count($1, layer: layer)
      }
  }
  public func offset(_ p: ParameterName) -> Int { offset(p, layer: oneLayer(p)) }

  public func range(_ p: ParameterName, layer: Int) -> Range<Int> {
    offset(p, layer: layer)..<(offset(p, layer: layer) + count(p, layer: layer))
  }
  public func range(_ p: ParameterName) -> Range<Int> { range(p, layer: oneLayer(p)) }

  public var totalCount: Int { offset(.denseBias) + count(.denseBias) }

  /// Every tensor in file order: each layer's three, then the Dense head's two.
  public var tensors: [TensorID] {
    (0..<layers).flatMap { l in [ParameterName.kernel, .recurrentKernel, .bias].map { TensorID($0, layer: l) } }
      + [TensorID(.denseKernel), TensorID(.denseBias)]
  }

  /// The weight matrices in file order (every layer's kernel and recurrent kernel, then the
  /// Dense kernel): what pruning and quantization work on, one scale or threshold each.
  public var kernels: [TensorID] { tensors.filter(\.name.isKernel) }

  public func shape(_ t: TensorID) -> (rows: Int, cols: Int) { shape(t.name, layer: t.layer) }
  public func range(_ t: TensorID) -> Range<Int> { range(t.name, layer: t.layer) }
  public func name(_ t: TensorID) -> String { name(t.name, layer: t.layer) }

  /// Layer 0 for a tensor named without its layer; a recurrent one in a stacked layout is a bug.
  private func oneLayer(_ p: ParameterName) -> Int {
    precondition(layers == 1 || p.isDense, "\(p) of a \(layers)-layer network needs its layer")
    return 0
  }
}

/// One tensor of a layout: its name and, for a recurrent one, the layer it belongs to (0 for the
/// Dense head's, which is one per network).
public struct TensorID: Hashable, Sendable, CustomStringConvertible {
  public let name: ParameterName
  public let layer: Int
  public init(_ name: ParameterName, layer: Int = 0) {
    self.name = name
    self.layer = name.isDense ? 0 : layer
  }
  public var description: String { layer == 0 ? "\(name)" : "\(name)@\(layer)" }
}

/// All parameters (or gradients, or optimizer moments) of one forecaster, flat.
public struct ParameterVector: Sendable, Equatable {
  public let layout: ParameterLayout
  public var values: [Float]

  public init(layout: ParameterLayout) {
    self.layout = layout
    self.values = [Float](repeating: 0, count: layout.totalCount)
  }

  public subscript(_ p: ParameterName) -> Matrix {
    get { self[p, layer: 0] }
    set { self[p, layer: 0] = newValue }
  }

  /// Tensor `p` of recurrent layer `layer` (the Dense head's whatever the layer).
  public subscript(_ p: ParameterName, layer l: Int) -> Matrix {
    get {
      let s = layout.shape(p, layer: l)
      return Matrix(rows: s.rows, cols: s.cols, storage: Array(values[layout.range(p, layer: l)]))
    }
    set {
      let s = layout.shape(p, layer: l)
      precondition(
        newValue.rows == s.rows && newValue.cols == s.cols,
        "\(p): expected \(s.rows)x\(s.cols), got \(newValue.rows)x\(newValue.cols)")
      values.replaceSubrange(layout.range(p, layer: l), with: newValue.storage)
    }
  }

  public mutating func zero() { values.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
}
