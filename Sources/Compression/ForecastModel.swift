// ForecastModel: the recurrent family's forecaster, LSTM(units) or GRU(units) -> Dropout ->
// Dense(S) (a one-day or a multi-day head, with or without a linear model it corrects), in each
// of the forms compression gives it: float, pruned, quantized, integer and low-rank models alike.

import Modeling
import NumericCore
import SalesData

public enum ForecastModel: WindowForecaster, Equatable {
  /// Float32 compute. `storage` says how the kernels are stored (nil: float32, or .float16);
  /// the weights held are exactly the stored values (already rounded).
  case float(RecurrentForecaster, storage: QuantizationScheme?)
  /// The article's INT8: kernels stored as uint8 codes with a scale and zero point each
  /// (`params`, in `layout.kernels` order), computed in float32 on the dequantized weights.
  case uint8(RecurrentForecaster, params: [Quantization.AffineUInt8])
  /// Per-channel int8 kernels run by the integer path. Boxed (`indirect`): with this large
  /// payload inline, Swift 6.3's optimised copy of the enum crashed in a specialised Array ==
  /// (reproduced in SessionTests.recordSaveReplayRoundTrip; AddressSanitizer finds no invalid
  /// access in our code there). Boxing also makes copies of the workspace cheaper.
  indirect case int8(QuantizedRecurrent, dropout: Float)
  /// Each layer's recurrent kernel factored as A [H, R] x B [R, G] (bottom first); `network`
  /// holds the products for compute.
  case lowRank([LowRankFactors], network: RecurrentForecaster)

  /// "lstm" or "gru": the cell names the family.
  public var family: String { cell.rawValue }
  /// "LSTM-64", or "LSTM-8x2" for two stacked layers of 8.
  public var label: String { "\(cell.layerName)-\(units)" + (layers > 1 ? "x\(layers)" : "") }
  /// Recurrent layers stacked.
  public var layers: Int {
    if case .int8(let q, _) = self { return q.layers }
    return floatNetwork.layout.layers
  }
  public var cell: RecurrentCell {
    if case .int8(let q, _) = self { return q.cell }
    return floatNetwork.cell
  }

  public var architecture: String {
    let network = floatNetwork
    let reads = network.inputs.isPlain ? "" : "(\(network.inputs.description)) -> "
    let layers = "\(reads)\(label) -> Dropout(\(formatDropout(network.dropout))) -> Dense(\(outputs))"
    guard let skip else { return layers }
    return "\(skip.label) + a correction: \(layers)"
  }

  /// The linear model the network corrects (a linear skip), or nil.
  public var skip: LinearAutoregression? {
    if case .int8(let q, _) = self { return q.skip }
    return floatNetwork.skip
  }

  /// Days forecast at once: the Dense head's width.
  public var outputs: Int {
    switch self {
    case .float(let n, _), .uint8(let n, _), .lowRank(_, let n): n.outputs
    case .int8(let q, _): q.outputs
    }
  }

  public func isIdentical(to other: any Forecaster) -> Bool {
    (other as? ForecastModel) == self
  }

  /// What each step reads (the integer path keeps its own copy).
  public var inputs: RecurrentInputs {
    if case .int8(let q, _) = self { return q.inputs }
    return floatNetwork.inputs
  }

  /// A network reading covariates needs a dataset that has them.
  public func incompatibility(with data: WindowedData) -> String? { inputs.incompatibility(with: data) }

  public var units: Int {
    switch self {
    case .float(let n, _), .uint8(let n, _): n.units
    case .int8(let q, _): q.units
    case .lowRank(_, let n): n.units
    }
  }

  /// Numbers a device stores (for a low-rank model, the factors' entries instead of the product's;
  /// with a linear skip, the linear model's too).
  public var parameterCount: Int {
    let base = skip?.parameterCount ?? 0
    switch self {
    case .float(let n, _), .uint8(let n, _): return base + n.parameterCount
    case .int8(let q, _): return base + q.parameterCount
    case .lowRank(let f, let n):
      return base + n.parameterCount - f.count * n.units * n.layout.gateWidth
        + f.reduce(0) { $0 + $1.a.count + $1.b.count }
    }
  }

  public var nonzeroCount: Int {
    let base = skip?.nonzeroCount ?? 0
    switch self {
    case .float(let n, _), .uint8(let n, _): return base + n.weights.values.filter { $0 != 0 }.count
    case .int8(let q, _): return base + q.nonzeroCount
    case .lowRank(let f, let n):
      let kernels = (0..<n.layout.layers).reduce(0) { count, layer in
        count + n.weights.values[n.layout.range(.recurrentKernel, layer: layer)].filter { $0 != 0 }.count
      }
      let factors = f.reduce(0) { $0 + ($1.a.storage + $1.b.storage).filter { $0 != 0 }.count }
      return base + n.weights.values.filter { $0 != 0 }.count - kernels + factors
    }
  }

  /// What this model computes with, in float (the dequantized weights for int8).
  public var floatNetwork: RecurrentForecaster {
    switch self {
    case .float(let n, _), .uint8(let n, _): n
    case .int8(let q, let dropout): q.dequantized(dropout: dropout)
    case .lowRank(_, let n): n
    }
  }

  public var kindDescription: String {
    switch self {
    case .float(_, nil): "float32"
    case .float(_, .float16?): "float16"
    case .float(_, .uint8Tensor?), .uint8: "uint8 per tensor (simulated)"
    case .float(_, .int8Channel?): "int8 per channel (simulated)"
    case .int8: "int8 per channel, integer path"
    case .lowRank(let f, _): "float32, recurrent kernel\(f.count > 1 ? "s" : "") rank \(f[0].rank)"
    }
  }

  public func forecastScaled(_ window: [Float]) -> Float {
    precondition(skip == nil, "a network with a linear skip forecasts through predictScaled (its base reads the data)")
    switch self {
    case .float(let n, _), .uint8(let n, _), .lowRank(_, let n):
      var scratch = n.makeScratch(capacity: 1, steps: window.count)
      for t in 0..<window.count { scratch.x[t] = window[t] }
      n.forward(batch: 1, scratch: &scratch, keepStates: false)
      return scratch.y[0]
    case .int8(let q, _):
      var scratch = q.makeScratch(capacity: 1)
      q.forward(x: window, steps: window.count, batch: 1, scratch: &scratch)
      return scratch.y[0]
    }
  }

  /// Float32 kernels can be pruned and quantized; a stored form (float16, uint8, int8, low rank)
  /// is compressed already.
  public var compressibleTensors: [String] {
    if case .float(let n, nil) = self { return n.layout.kernels.map { n.layout.name($0) } }
    return []
  }

  /// Forecasts in scaled units for `windows`.
  public func predictScaled(_ windows: [WindowRef], data: WindowedData, threads: Int) -> [Float] {
    switch self {
    case .float(let n, _), .uint8(let n, _), .lowRank(_, let n):
      return Modeling.predictScaled(n, windows: windows, data: data, threads: threads)
    case .int8(let q, _):
      let capacity = inferenceChunk
      let S = q.outputs
      return predictInChunks(
        windows, threads: threads, outputs: S,
        makeScratch: {
          (
            [Float](repeating: 0, count: data.lookback * capacity * q.inputSize),
            q.makeScratch(capacity: capacity)
          )
        },
        predict: { scratch, chunk, out in
          var levels = [Float](repeating: 1, count: chunk.count)
          scratch.0.withUnsafeMutableBufferPointer { x in
            for (r, w) in chunk.enumerated() {
              levels[r] = q.inputs.gather(w, data: data, row: r, batch: chunk.count, into: x.baseAddress!)
            }
          }
          q.forward(x: scratch.0, steps: data.lookback, batch: chunk.count, scratch: &scratch.1)
          for k in 0..<(chunk.count * S) {
            out[k] = q.inputs.scaledForecast(scratch.1.y[k], level: levels[k / S], scaler: data.scaler)
          }
          q.skip?.correct(out, windows: chunk, levels: levels, inputs: q.inputs, data: data)
        })
    }
  }
}

// MARK: - Low rank

/// W [H, G] ~ A [H, R] x B [R, G].
public struct LowRankFactors: Sendable, Equatable {
  public var a: Matrix
  public var b: Matrix
  public var rank: Int { a.cols }
  public init(a: Matrix, b: Matrix) {
    self.a = a
    self.b = b
  }
  public var product: Matrix {
    var w = Matrix(rows: a.rows, cols: b.cols)
    gemm(a, b, into: &w)
    return w
  }
}

public enum LowRank {
  /// Best rank-R approximation of W (rows x cols, rows <= cols) by the SVD W = U S V^T:
  /// A = U_R S_R, B = V_R^T. The SVD comes from the eigen-decomposition of W W^T (Jacobi
  /// rotations, in Double), which is accurate for these small, well-scaled matrices.
  public static func factor(_ w: Matrix, rank: Int) -> LowRankFactors {
    let n = w.rows
    let m = w.cols
    precondition(rank >= 1 && rank <= n, "rank \(rank) outside 1...\(n)")
    // G = W W^T (n x n), symmetric.
    var g = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n {
      for j in i..<n {
        var s = 0.0
        for k in 0..<m { s += Double(w[i, k]) * Double(w[j, k]) }
        g[i][j] = s
        g[j][i] = s
      }
    }
    var v = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n { v[i][i] = 1 }
    // Cyclic Jacobi sweeps until off-diagonal mass vanishes.
    for _ in 0..<100 {
      var off = 0.0
      for i in 0..<n { for j in (i + 1)..<n { off += g[i][j] * g[i][j] } }
      if off < 1e-22 { break }
      for p in 0..<n {
        for q in (p + 1)..<n where abs(g[p][q]) > 1e-300 {
          let theta = (g[q][q] - g[p][p]) / (2 * g[p][q])
          let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
          let c = 1 / (t * t + 1).squareRoot()
          let s = t * c
          for k in 0..<n {
            let gkp = g[k][p]
            let gkq = g[k][q]
            g[k][p] = c * gkp - s * gkq
            g[k][q] = s * gkp + c * gkq
          }
          for k in 0..<n {
            let gpk = g[p][k]
            let gqk = g[q][k]
            g[p][k] = c * gpk - s * gqk
            g[q][k] = s * gpk + c * gqk
          }
          for k in 0..<n {
            let vkp = v[k][p]
            let vkq = v[k][q]
            v[k][p] = c * vkp - s * vkq
            v[k][q] = s * vkp + c * vkq
          }
        }
      }
    }
    // Eigenvalues (squared singular values), largest first; ties by index.
    let order = (0..<n).sorted { (-g[$0][$0], $0) < (-g[$1][$1], $1) }
    var a = Matrix(rows: n, cols: rank)
    var b = Matrix(rows: rank, cols: m)
    for (r, e) in order.prefix(rank).enumerated() {
      let sigma = max(g[e][e], 0).squareRoot()
      // u = eigenvector; A[:, r] = u * sigma; B[r, :] = u^T W / sigma (= v^T).
      for i in 0..<n { a[i, r] = Float(v[i][e] * sigma) }
      guard sigma > 0 else { continue }
      for k in 0..<m {
        var s = 0.0
        for i in 0..<n { s += v[i][e] * Double(w[i, k]) }
        b[r, k] = Float(s / sigma)
      }
    }
    return LowRankFactors(a: a, b: b)
  }

  /// The forecaster whose recurrent kernels are A x B, one pair per layer (bottom first).
  public static func network(_ base: RecurrentForecaster, factors: [LowRankFactors]) -> RecurrentForecaster {
    var n = base
    for (layer, f) in factors.enumerated() { n.weights[.recurrentKernel, layer: layer] = f.product }
    return n
  }

  /// Where each layer's factors start in the trained parameters: the network's weights with
  /// every layer's recurrent kernel [H, G] replaced by its A [H, R] then B [R, G].
  static func factorOffsets(_ l: ParameterLayout, rank R: Int) -> [Int] {
    let saved = l.units * l.gateWidth - (l.units * R + R * l.gateWidth)
    return (0..<l.layers).map { l.offset(.recurrentKernel, layer: $0) - $0 * saved }
  }

  /// Trains the factors instead of the recurrent kernels: the parameters are the network's
  /// weights with each layer's recurrent kernel replaced by its A then B.
  ///   expand:   W_h = A B;   pullback: dA = dW_h B^T,  dB = A^T dW_h.
  public static func reparameterization(_ base: RecurrentForecaster, factors: [LowRankFactors]) -> Reparameterization {
    let l = base.layout
    let H = l.units
    let G = l.gateWidth
    let R = factors[0].rank
    let (aCount, bCount) = (H * R, R * G)
    let kernels = (0..<l.layers).map { l.range(.recurrentKernel, layer: $0) }
    let starts = factorOffsets(l, rank: R)
    func factor(_ p: [Float], _ layer: Int) -> (Matrix, Matrix) {
      let s = starts[layer]
      return (
        Matrix(rows: H, cols: R, storage: Array(p[s..<(s + aCount)])),
        Matrix(rows: R, cols: G, storage: Array(p[(s + aCount)..<(s + aCount + bCount)]))
      )
    }
    // Walks the weights (w) and the parameters (p) together: the pieces between recurrent kernels
    // are the same numbers in both; each kernel in w is a layer's factors in p.
    let w = base.weights.values
    func interleave(outside: (Range<Int>, Range<Int>) -> [Float], kernel: (Int) -> [Float]) -> [Float] {
      var out: [Float] = []
      var (wAt, pAt) = (0, 0)
      for (layer, r) in kernels.enumerated() {
        out += outside(wAt..<r.lowerBound, pAt..<starts[layer])
        out += kernel(layer)
        (wAt, pAt) = (r.upperBound, starts[layer] + aCount + bCount)
      }
      return out + outside(wAt..<w.count, pAt..<(pAt + w.count - wAt))
    }
    let initial = interleave(
      outside: { wr, _ in Array(w[wr]) }, kernel: { factors[$0].a.storage + factors[$0].b.storage })
    return Reparameterization(
      parameters: initial,
      expand: { p in
        interleave(
          outside: { _, pr in Array(p[pr]) },
          kernel: { layer in
            let (a, b) = factor(p, layer)
            var prod = Matrix(rows: H, cols: G)
            gemm(a, b, into: &prod)
            return prod.storage
          })
      },
      pullback: { p, dw in
        // The parameters' layout, filled from the weights' gradient.
        interleave(
          outside: { wr, _ in Array(dw[wr]) },
          kernel: { layer in
            let (a, b) = factor(p, layer)
            let dW = Matrix(rows: H, cols: G, storage: Array(dw[kernels[layer]]))
            var da = Matrix(rows: H, cols: R)
            var db = Matrix(rows: R, cols: G)
            gemm(dW, b, into: &da, transposeB: true)
            gemm(a, dW, into: &db, transposeA: true)
            return da.storage + db.storage
          })
      })
  }

  /// Splits trained parameters back into each layer's factors.
  public static func factors(from p: [Float], layout l: ParameterLayout, rank R: Int) -> [LowRankFactors] {
    let H = l.units
    let G = l.gateWidth
    return factorOffsets(l, rank: R).map { s in
      LowRankFactors(
        a: Matrix(rows: H, cols: R, storage: Array(p[s..<(s + H * R)])),
        b: Matrix(rows: R, cols: G, storage: Array(p[(s + H * R)..<(s + H * R + R * G)])))
    }
  }
}

/// "0.2", "0": a rate as a session would write it.
func formatDropout(_ v: Float) -> String {
  v == v.rounded() ? String(Int(v)) : "\(v)"
}
