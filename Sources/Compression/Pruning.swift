// Pruning: magnitude masks (per tensor or global), the AGP schedule, and structured pruning
// that removes whole hidden units. Kernels only: biases are never pruned.

import Modeling
import NumericCore

public enum PruningScope: String, Sendable, CaseIterable { case layer, global }

public enum Pruning {
  /// The tensors magnitude pruning may touch.
  public static let prunable: [ParameterName] = ParameterName.allCases.filter(\.isKernel)

  /// A 0/1 mask over all parameters zeroing the `sparsity` fraction of smallest-magnitude kernel
  /// weights: per tensor (`layer`, each tensor exactly round(s * n) zeros, the article's
  /// per-layer thresholds) or over all kernels together (`global`). Ties break by position, so
  /// the mask is deterministic. Weights already zero count among the smallest.
  public static func magnitudeMask(_ weights: ParameterVector, sparsity: Double, scope: PruningScope) -> [Float] {
    let layout = weights.layout
    var mask = [Float](repeating: 1, count: layout.totalCount)
    func zeroSmallest(_ indices: [Int]) {
      let k = Int((sparsity * Double(indices.count)).rounded())
      let ordered = indices.sorted { (abs(weights.values[$0]), $0) < (abs(weights.values[$1]), $1) }
      for i in ordered.prefix(k) { mask[i] = 0 }
    }
    switch scope {
    case .layer:
      return magnitudeMask(weights, levels: Dictionary(uniqueKeysWithValues: prunable.map { ($0, sparsity) }))
    case .global: zeroSmallest(prunable.flatMap { Array(layout.range($0)) })
    }
    return mask
  }

  /// A 0/1 mask zeroing, in each tensor named in `levels`, its own fraction of smallest-magnitude
  /// weights (the others untouched): per-matrix levels, as a sensitivity analysis suggests.
  public static func magnitudeMask(_ weights: ParameterVector, levels: [ParameterName: Double]) -> [Float] {
    var mask = [Float](repeating: 1, count: weights.layout.totalCount)
    for p in prunable {
      guard let sparsity = levels[p] else { continue }
      let indices = Array(weights.layout.range(p))
      let k = Int((sparsity * Double(indices.count)).rounded())
      let ordered = indices.sorted { (abs(weights.values[$0]), $0) < (abs(weights.values[$1]), $1) }
      for i in ordered.prefix(k) { mask[i] = 0 }
    }
    return mask
  }

  /// Sparsity of each prunable tensor (fraction of exact zeros).
  public static func sparsities(_ weights: ParameterVector) -> [(ParameterName, Double)] {
    prunable.map { p in
      let r = weights.layout.range(p)
      return (p, Double(weights.values[r].filter { $0 == 0 }.count) / Double(r.count))
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
  /// row of the recurrent kernel, their Dense weight). Returns a genuinely smaller dense network
  /// of the same cell (its bias columns follow their units) and the kept units (in their order).
  public static func removeUnits(_ model: RecurrentForecaster, sparsity: Double) -> (RecurrentForecaster, [Int]) {
    let H = model.units
    let D = model.inputSize
    let gates = model.cell.gates
    let G = gates * H
    let w = model.weights
    let wx = w[.kernel]
    let wh = w[.recurrentKernel]
    let wd = w[.denseKernel]
    var score = [Double](repeating: 0, count: H)
    for u in 0..<H {
      var s = 0.0
      for gate in 0..<gates {
        let col = gate * H + u
        for d in 0..<D { s += Double(wx[d, col] * wx[d, col]) }
        for k in 0..<H { s += Double(wh[k, col] * wh[k, col]) }
      }
      for j in 0..<G { s += Double(wh[u, j] * wh[u, j]) }
      s += Double(wd[u, 0] * wd[u, 0])
      score[u] = s
    }
    let removeCount = min(H - 1, Int((sparsity * Double(H)).rounded()))
    let removed = Set((0..<H).sorted { (score[$0], $0) < (score[$1], $1) }.prefix(removeCount))
    let kept = (0..<H).filter { !removed.contains($0) }
    let h = kept.count
    let g = gates * h
    let layout = ParameterLayout(inputSize: D, units: h, cell: model.cell)
    var small = ParameterVector(layout: layout)
    var sx = Matrix(rows: D, cols: g)
    var sh = Matrix(rows: h, cols: g)
    var sb = Matrix(rows: model.cell.biasRows, cols: g)
    var sd = Matrix(rows: h, cols: 1)
    let b = w[.bias]
    for gate in 0..<gates {
      for (newU, oldU) in kept.enumerated() {
        let newCol = gate * h + newU
        let oldCol = gate * H + oldU
        for d in 0..<D { sx[d, newCol] = wx[d, oldCol] }
        for (newK, oldK) in kept.enumerated() { sh[newK, newCol] = wh[oldK, oldCol] }
        for r in 0..<model.cell.biasRows { sb[r, newCol] = b[r, oldCol] }
      }
    }
    for (newU, oldU) in kept.enumerated() { sd[newU, 0] = wd[oldU, 0] }
    small[.kernel] = sx
    small[.recurrentKernel] = sh
    small[.bias] = sb
    small[.denseKernel] = sd
    small[.denseBias] = w[.denseBias]
    return (RecurrentForecaster(weights: small, dropout: model.dropout, inputs: model.inputs, skip: model.skip), kept)
  }
}
