// Parameters: every trainable number of a forecaster in one flat Float vector, with named views.
// One flat vector means the optimizer, gradient reduction, masks and checkpoints each need one
// loop, not one per tensor (micrograd's single `parameters()` list).

import NumericCore

/// The forecaster's tensors, named as Keras names them, in Keras' `get_weights()` order.
public enum ParameterName: Int, CaseIterable, Sendable, CustomStringConvertible {
  case kernel, recurrentKernel, bias, denseKernel, denseBias
  public var description: String {
    switch self {
    case .kernel: "lstm/kernel"
    case .recurrentKernel: "lstm/recurrent_kernel"
    case .bias: "lstm/bias"
    case .denseKernel: "dense/kernel"
    case .denseBias: "dense/bias"
    }
  }
  /// Kernels are the weight matrices that magnitude pruning may touch; biases never are.
  public var isKernel: Bool { self == .kernel || self == .recurrentKernel || self == .denseKernel }
}

/// Shapes and offsets of the tensors of an LSTM(units) -> Dense(1) forecaster with D inputs.
///   kernel            D x 4H   (gates i, f, g, o side by side, as Keras and PyTorch)
///   recurrent_kernel  H x 4H
///   bias              1 x 4H
///   dense kernel      H x 1
///   dense bias        1 x 1
public struct ParameterLayout: Sendable, Equatable {
  public let inputSize: Int
  public let units: Int
  public var gateWidth: Int { 4 * units }

  public init(inputSize: Int, units: Int) {
    precondition(inputSize >= 1 && units >= 1, "ParameterLayout: \(inputSize) inputs, \(units) units")
    self.inputSize = inputSize
    self.units = units
  }

  public func shape(_ p: ParameterName) -> (rows: Int, cols: Int) {
    switch p {
    case .kernel: (inputSize, gateWidth)
    case .recurrentKernel: (units, gateWidth)
    case .bias: (1, gateWidth)
    case .denseKernel: (units, 1)
    case .denseBias: (1, 1)
    }
  }
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
