// Pruning: magnitude masks (per tensor or global), the AGP schedule, and structured pruning
// that removes whole hidden units. Kernels only: biases are never pruned.

import Modeling
import NumericCore

public enum PruningScope: String, Sendable, CaseIterable { case layer, global }

public enum Pruning {
  /// The matrices magnitude pruning may touch in a one-layer network, by name (per-matrix options
  /// such as `recurrent=0.7` name them; in a stacked network each applies to every layer's).
  public static let prunable: [ParameterName] = ParameterName.allCases.filter(\.isKernel)

  /// A 0/1 mask over all parameters zeroing the `sparsity` fraction of smallest-magnitude kernel
  /// weights: per tensor (`layer`, each tensor exactly round(s * n) zeros, the article's
  /// per-layer thresholds) or over all kernels together (`global`). Ties break by position, so
  /// the mask is deterministic. Weights already zero count among the smallest.
  public static func magnitudeMask(_ weights: ParameterVector, sparsity: Double, scope: PruningScope) -> [Float] {
    let layout = weights.layout
    switch scope {
    case .layer:
      return magnitudeMask(weights, levels: Dictionary(uniqueKeysWithValues: layout.kernels.map { ($0, sparsity) }))
    case .global:
      var mask = [Float](repeating: 1, count: layout.totalCount)
      zeroSmallest(layout.kernels.flatMap { Array(layout.range($0)) }, sparsity: sparsity, of: weights, in: &mask)
      return mask
    }
  }

  /// A 0/1 mask zeroing, in each tensor named in `levels`, its own fraction of smallest-magnitude
  /// weights (the others untouched): per-matrix levels, as a sensitivity analysis suggests.
  public static func magnitudeMask(_ weights: ParameterVector, levels: [TensorID: Double]) -> [Float] {
    var mask = [Float](repeating: 1, count: weights.layout.totalCount)
    for t in weights.layout.kernels {
      guard let sparsity = levels[t] else { continue }
      zeroSmallest(Array(weights.layout.range(t)), sparsity: sparsity, of: weights, in: &mask)
    }
    return mask
  }

  /// Per-matrix levels given by name, for every layer's matrix of that name.
  public static func levels(_ byName: [ParameterName: Double], layout: ParameterLayout) -> [TensorID: Double] {
    var out: [TensorID: Double] = [:]
    for t in layout.kernels { out[t] = byName[t.name] }
    return out
  }

  /// Zeroes (in `mask`) the round(s * n) smallest-magnitude weights among `indices`.
  static func zeroSmallest(_ indices: [Int], sparsity: Double, of weights: ParameterVector, in mask: inout [Float]) {
    let k = Int((sparsity * Double(indices.count)).rounded())
    let ordered = indices.sorted { (abs(weights.values[$0]), $0) < (abs(weights.values[$1]), $1) }
    for i in ordered.prefix(k) { mask[i] = 0 }
  }

  /// Sparsity of each prunable tensor (fraction of exact zeros), in file order.
  public static func sparsities(_ weights: ParameterVector) -> [(TensorID, Double)] {
    weights.layout.kernels.map { t in
      let r = weights.layout.range(t)
      return (t, Double(weights.values[r].filter { $0 == 0 }.count) / Double(r.count))
    }
  }

  /// Zhu & Gupta (2017) automated gradual pruning: sparsity after `step` of `steps` pruning
  /// steps, rising from `initial` to `final` along s_f + (s_i - s_f)(1 - t/n)^3.
  public static func agpSparsity(step: Int, steps: Int, initial: Double = 0, final: Double) -> Double {
    let t = min(max(Double(step) / Double(max(steps, 1)), 0), 1)
    let r = 1 - t
    return final + (initial - final) * r * r * r
  }

  /// Structured pruning: removes the `sparsity` fraction of hidden units with the smallest L2
  /// norm of all their weights (their gate columns in the input and recurrent kernels, their
  /// row of the recurrent kernel, and what reads them: the Dense head's row, or in a stacked
  /// network the layer above's input row). Each layer loses the same number of its own units, so
  /// the layers stay one width. Returns a genuinely smaller dense network of the same cell (bias
  /// columns follow their units) and the top layer's kept units (in their order).
  public static func removeUnits(_ model: RecurrentForecaster, sparsity: Double) -> (RecurrentForecaster, [Int]) {
    let l = model.layout
    let H = l.units
    let gates = l.cell.gates
    let w = model.weights
    let removeCount = min(H - 1, Int((sparsity * Double(H)).rounded()))
    // Each layer's kept units, chosen by its own scores.
    let keptByLayer = (0..<l.layers).map { layer -> [Int] in
      let wx = w[.kernel, layer: layer]
      let wh = w[.recurrentKernel, layer: layer]
      let reader = layer + 1 < l.layers ? w[.kernel, layer: layer + 1] : w[.denseKernel]
      var score = [Double](repeating: 0, count: H)
      for u in 0..<H {
        var s = 0.0
        for gate in 0..<gates {
          let col = gate * H + u
          for d in 0..<wx.rows { s += Double(wx[d, col] * wx[d, col]) }
          for k in 0..<H { s += Double(wh[k, col] * wh[k, col]) }
        }
        for j in 0..<wh.cols { s += Double(wh[u, j] * wh[u, j]) }
        for j in 0..<reader.cols { s += Double(reader[u, j] * reader[u, j]) }
        score[u] = s
      }
      let removed = Set((0..<H).sorted { (score[$0], $0) < (score[$1], $1) }.prefix(removeCount))
      return (0..<H).filter { !removed.contains($0) }
    }
    let h = H - removeCount
    let g = gates * h
    let small = ParameterLayout(inputSize: l.inputSize, units: h, cell: l.cell, outputs: l.outputs, layers: l.layers)
    var out = ParameterVector(layout: small)
    for layer in 0..<l.layers {
      let kept = keptByLayer[layer]
      // The rows of the input kernel: the data's channels, or the kept units of the layer below.
      let inputRows = layer == 0 ? Array(0..<l.inputSize) : keptByLayer[layer - 1]
      let (wx, wh, b) = (w[.kernel, layer: layer], w[.recurrentKernel, layer: layer], w[.bias, layer: layer])
      var sx = Matrix(rows: inputRows.count, cols: g)
      var sh = Matrix(rows: h, cols: g)
      var sb = Matrix(rows: l.cell.biasRows, cols: g)
      for gate in 0..<gates {
        for (newU, oldU) in kept.enumerated() {
          let newCol = gate * h + newU
          let oldCol = gate * H + oldU
          for (newD, oldD) in inputRows.enumerated() { sx[newD, newCol] = wx[oldD, oldCol] }
          for (newK, oldK) in kept.enumerated() { sh[newK, newCol] = wh[oldK, oldCol] }
          for r in 0..<l.cell.biasRows { sb[r, newCol] = b[r, oldCol] }
        }
      }
      out[.kernel, layer: layer] = sx
      out[.recurrentKernel, layer: layer] = sh
      out[.bias, layer: layer] = sb
    }
    let top = keptByLayer[l.layers - 1]
    let wd = w[.denseKernel]
    var sd = Matrix(rows: h, cols: l.outputs)
    for (newU, oldU) in top.enumerated() { for o in 0..<l.outputs { sd[newU, o] = wd[oldU, o] } }
    out[.denseKernel] = sd
    out[.denseBias] = w[.denseBias]
    return (RecurrentForecaster(weights: out, dropout: model.dropout, inputs: model.inputs, skip: model.skip), top)
  }
}
