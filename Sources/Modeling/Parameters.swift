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
public struct ParameterLayout: Sendable, Equatable {
  public let inputSize: Int
  public let units: Int
  public let cell: RecurrentCell
  /// The Dense head's outputs: one per day forecast.
  public let outputs: Int
  public var gateWidth: Int { cell.gates * units }

  public init(inputSize: Int, units: Int, cell: RecurrentCell = .lstm, outputs: Int = 1) {
    precondition(
      inputSize >= 1 && units >= 1 && outputs >= 1,
      "ParameterLayout: \(inputSize) inputs, \(units) units, \(outputs) outputs")
    self.inputSize = inputSize
    self.units = units
    self.cell = cell
    self.outputs = outputs
  }

  public func shape(_ p: ParameterName) -> (rows: Int, cols: Int) {
    switch p {
    case .kernel: (inputSize, gateWidth)
    case .recurrentKernel: (units, gateWidth)
    case .bias: (cell.biasRows, gateWidth)
    case .denseKernel: (units, outputs)
    case .denseBias: (1, outputs)
    }
  }
  public func name(_ p: ParameterName) -> String { p.name(cell: cell) }
  public func count(_ p: ParameterName) -> Int {
    let s = shape(p)
    return s.rows * s.cols
  }
  public func offset(_ p: ParameterName) -> Int {
    ParameterName.allCases.prefix(while: { $0 != p }).reduce(0) { $0 + count($1) }
  }
  public func range(_ p: ParameterName) -> Range<Int> { offset(p)..<(offset(p) + count(p)) }
  public var totalCount: Int { ParameterName.allCases.reduce(0) { $0 + count($1) } }
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
    get {
      let s = layout.shape(p)
      return Matrix(rows: s.rows, cols: s.cols, storage: Array(values[layout.range(p)]))
    }
    set {
      let s = layout.shape(p)
      precondition(
        newValue.rows == s.rows && newValue.cols == s.cols,
        "\(p): expected \(s.rows)x\(s.cols), got \(newValue.rows)x\(newValue.cols)")
      values.replaceSubrange(layout.range(p), with: newValue.storage)
    }
  }

  public mutating func zero() { values.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
}
