// Quantization: float16 storage, the article's uint8 per-tensor simulation, and per-channel
// symmetric int8 (Jacob et al. 2018) for the integer inference path.
//
//   float16:           w -> Float16(w) (round to nearest even), computed in float32
//   uint8 (article):   scale = (max - min) / 255, zero point = round(-min / scale),
//                      q = clamp(round(w / scale) + zp, 0, 255), w' = (q - zp) * scale
//   int8 per channel:  scale_j = max_k |W[k, j]| / 127 per output column j (gate unit),
//                      q = clamp(round(w / scale_j), -127, 127), w' = q * scale_j
// Rounding is to nearest with ties away from zero (C's roundf) everywhere. Zero maps to zero in
// every scheme, so a pruned weight stays pruned after quantization.

import CKernels
import Modeling
import NumericCore

public enum Quantization {
  // MARK: float16

  @inline(__always) public static func roundToHalf(_ w: Float) -> Float { Float(Float16(w)) }

  // MARK: uint8, per tensor, asymmetric (the article's simulation)

  public struct AffineUInt8: Sendable, Equatable {
    public var scale: Float
    public var zeroPoint: UInt8
    public init(scale: Float, zeroPoint: UInt8) {
      self.scale = scale
      self.zeroPoint = zeroPoint
    }

    /// Parameters for values in [min, max]; the range is widened to include 0 so 0 is exact.
    public init(fitting values: ArraySlice<Float>) {
      let lo = min(values.min() ?? 0, 0)
      let hi = max(values.max() ?? 0, 0)
      let s = hi > lo ? (hi - lo) / 255 : 1
      scale = s
      zeroPoint = UInt8(max(0, min(255, (-lo / s).rounded(.toNearestOrAwayFromZero))))
    }
    @inline(__always) public func quantize(_ w: Float) -> UInt8 {
      UInt8(max(0, min(255, (w / scale).rounded(.toNearestOrAwayFromZero) + Float(zeroPoint))))
    }
    @inline(__always) public func dequantize(_ q: UInt8) -> Float { (Float(q) - Float(zeroPoint)) * scale }
  }

  // MARK: int8, per output channel, symmetric

  /// Per-column scales of a rows x cols matrix stored row-major in `values`.
  public static func columnScales(_ values: ArraySlice<Float>, rows: Int, cols: Int) -> [Float] {
    var maxAbs = [Float](repeating: 0, count: cols)
    let base = values.startIndex
    for r in 0..<rows { for c in 0..<cols { maxAbs[c] = max(maxAbs[c], abs(values[base + r * cols + c])) } }
    return maxAbs.map { $0 > 0 ? $0 / 127 : 1 }
  }

  public static func quantizeColumns(_ values: ArraySlice<Float>, rows: Int, cols: Int, scales: [Float]) -> [Int8] {
    var q = [Int8](repeating: 0, count: rows * cols)
    let base = values.startIndex
    for r in 0..<rows {
      for c in 0..<cols {
        q[r * cols + c] = quantizeSymmetric(values[base + r * cols + c], inverseScale: 1 / scales[c])
      }
    }
    return q
  }

  /// The article's simulation of a whole forecaster: each kernel through uint8 with its own
  /// scale and zero point. Returns the weights and the parameters that produced them (in
  /// `layout.kernels` order), so a model file stores exactly these and never re-fits them.
  public static func uint8Simulation(_ values: [Float], layout: ParameterLayout) -> ([Float], [AffineUInt8]) {
    var out = values
    var params: [AffineUInt8] = []
    for t in layout.kernels {
      let affine = AffineUInt8(fitting: values[layout.range(t)])
      for k in layout.range(t) { out[k] = affine.dequantize(affine.quantize(values[k])) }
      params.append(affine)
    }
    return (out, params)
  }

  // MARK: Fake quantization of a whole forecaster (for simulation and quantization-aware training)

  /// The weights a storage scheme reproduces, in float32. Biases stay float32 in every scheme.
  public static func fakeQuantize(_ values: [Float], layout: ParameterLayout, scheme: QuantizationScheme) -> [Float] {
    var out = values
    switch scheme {
    case .float16:
      for t in layout.kernels { for k in layout.range(t) { out[k] = roundToHalf(values[k]) } }
    case .uint8Tensor:
      out = uint8Simulation(values, layout: layout).0
    case .int8Channel:
      // One scale per output column (the Dense kernel of a one-day head has one column).
      for t in layout.kernels {
        let (rows, cols) = layout.shape(t)
        let r = layout.range(t)
        let scales = columnScales(values[r], rows: rows, cols: cols)
        for (i, k) in r.enumerated() {
          let s = scales[i % cols]
          out[k] = Float(quantizeSymmetric(values[k], inverseScale: 1 / s)) * s
        }
      }
    }
    return out
  }
}

/// How a model's kernels are stored.
public enum QuantizationScheme: String, Sendable, CaseIterable {
  case float16  // `quantize float16`
  case uint8Tensor  // `quantize int8 granularity=tensor mode=asymmetric`: the article's
  case int8Channel  // `quantize int8` (default): per-channel symmetric, integer inference
}

// MARK: - The integer LSTM and GRU

/// An LSTM or GRU whose input and recurrent kernels and Dense kernel are int8 with
/// per-output-channel scales, run by integer products. Representation of activations:
///   - the input x_t is quantized per window and step, symmetric: s_x = |x_t| / 127 (dynamic);
///   - the hidden state h in (-1, 1) is quantized with the fixed scale 1/127;
///   - products are int8 x int8 accumulated in int32, then rescaled to float32:
///       z_j = b_j + (s_x * s_Wx[j]) * acc_x[j] + (s_Wh[j] / 127) * acc_h[j]
///   - the gate non-linearities are NumericCore's table activations (`sigmoidTable`,
///     `tanhTable`: 16 pieces of tanh, absolute error <= 6e-6, about half the float model's
///     chain of dependent operations per step); the cell state c and the update are float32.
///   - the GRU keeps the two products apart, as its candidate needs r * (h Wh + b_rec):
///       a_j = b_in[j] + (s_x * s_Wx[j]) * acc_x[j]      q_j = b_rec[j] + (s_Wh[j] / 127) * acc_h[j]
///       z = s(a_z + q_z), r = s(a_r + q_r), n = tanh(a_h + r * q_h), h = z h + (1 - z) n
///
/// Computing the products: an int8 x int8 sum over K terms is at most 127^2 K in magnitude,
/// below 2^24 for K <= 1040, so float32 multiply-adds on the integer values are exact in any
/// order and equal int32 accumulation bit for bit. The forward pass uses the fast float kernels
/// on the int8 values held as floats (`*Values`); `int8GemmNN` stays as the int32 reference, and
/// the exported C code accumulates in int32, with identical results (tested).
///
/// Stacked layers: the fields above `upper` are layer 0's, which reads the data's D inputs; each
/// layer in `upper` reads the hidden states of the one below, quantized like any input (by their
/// largest magnitude at that step), and the Dense head reads the top layer's. The layers advance
/// together step by step, so a device keeps one state per layer and no sequence.
public struct QuantizedRecurrent: Sendable, Equatable {
  public let inputSize: Int, units: Int
  public let cell: RecurrentCell
  /// Every recurrent layer, bottom first: layer 0 reads the data's D inputs.
  public let allLayers: [Layer]
  public let dense: [Int8]  // [H, S]    S outputs: the days forecast at once (usually 1)
  public let denseScales: [Float]  // [S]
  public let denseBiases: [Float]  // [S]
  public var outputs: Int { denseBiases.count }
  /// What each step reads (RecurrentInputs); the float model's, kept through quantization.
  public var inputs: RecurrentInputs = .plain
  /// The linear model this network corrects (LinearSkip.swift), kept through quantization.
  public var skip: LinearAutoregression?
  public var layers: Int { allLayers.count }
  /// Layers 1 ..< L of a stacked network (empty for one layer), bottom first.
  public var upper: [Layer] { Array(allLayers.dropFirst()) }
  // Layer 0's tensors, which a one-layer network's forward pass and files read by name.
  public var kernel: [Int8] { allLayers[0].kernel }  // [D, G]
  public var kernelScales: [Float] { allLayers[0].kernelScales }  // [G]
  public var recurrent: [Int8] { allLayers[0].recurrent }  // [H, G]
  public var recurrentScales: [Float] { allLayers[0].recurrentScales }  // [G]
  public var bias: [Float] { allLayers[0].bias }  // [G], or [2, G] for the GRU (input, then recurrent)
  var kernelValues: [Float] { allLayers[0].kernelValues }
  var recurrentValues: [Float] { allLayers[0].recurrentValues }
  var hiddenScales: [Float] { allLayers[0].hiddenScales }
  // The Dense kernel's columns stored transposed, [S, H], so each output is one `dot`.
  let denseColumns: [Float]
  // Layer 0's recurrent kernel packed for int8 dot-product instructions (AVX-512 VNNI), where present.
  let recurrentPacked: PackedInt8Matrix

  public init(
    inputSize: Int, units: Int, cell: RecurrentCell = .lstm, kernel: [Int8], kernelScales: [Float],
    recurrent: [Int8], recurrentScales: [Float], bias: [Float], dense: [Int8], denseScales: [Float],
    denseBiases: [Float], upper: some Collection<Layer> = []
  ) {
    self.init(
      layers: [
        Layer(
          inputSize: inputSize, units: units, cell: cell, kernel: kernel, kernelScales: kernelScales,
          recurrent: recurrent, recurrentScales: recurrentScales, bias: bias)
      ] + upper, dense: dense, denseScales: denseScales, denseBiases: denseBiases)
  }

  /// A network of `layers` (bottom first, each of the same width and cell) and its Dense head.
  public init(layers: [Layer], dense: [Int8], denseScales: [Float], denseBiases: [Float]) {
    let bottom = layers[0]
    let (units, cell) = (bottom.units, bottom.cell)
    precondition(
      units <= 1040 && bottom.inputSize <= 1040, "QuantizedRecurrent: sums must stay below 2^24 to be exact in float32")
    precondition(
      !denseBiases.isEmpty && denseScales.count == denseBiases.count && dense.count == units * denseBiases.count,
      "QuantizedRecurrent: a Dense kernel of \(dense.count) for \(units) units and \(denseBiases.count) outputs")
    precondition(
      layers.allSatisfy { $0.units == units && $0.cell == cell }, "QuantizedRecurrent: stacked layers of one width")
    self.inputSize = bottom.inputSize
    self.units = units
    self.cell = cell
    self.allLayers = layers
    self.dense = dense
    self.denseScales = denseScales
    self.denseBiases = denseBiases
    let S = denseBiases.count
    denseColumns = (0..<(S * units)).map { k in Float(dense[(k % units) * S + k / units]) }
    recurrentPacked = PackedInt8Matrix(rows: units, cols: cell.gates * units, values: bottom.recurrent)
  }

  public var layout: ParameterLayout {
    ParameterLayout(inputSize: inputSize, units: units, cell: cell, outputs: outputs, layers: layers)
  }

  /// One recurrent layer's int8 kernels with their per-column scales and its float biases.
  public struct Layer: Sendable, Equatable {
    public let inputSize: Int, units: Int
    public let cell: RecurrentCell
    public let kernel: [Int8], kernelScales: [Float]  // [inputs, G], [G]
    public let recurrent: [Int8], recurrentScales: [Float]  // [H, G], [G]
    public let bias: [Float]  // [G], or [2, G] for the GRU
    // As exact float integers, and s_Wh / 127, for the forward pass.
    let kernelValues: [Float], recurrentValues: [Float], hiddenScales: [Float]

    public init(
      inputSize: Int, units: Int, cell: RecurrentCell, kernel: [Int8], kernelScales: [Float], recurrent: [Int8],
      recurrentScales: [Float], bias: [Float]
    ) {
      let G = cell.gates * units
      precondition(
        kernel.count == inputSize * G && recurrent.count == units * G && kernelScales.count == G
          && recurrentScales.count == G && bias.count == cell.biasRows * G,
        "QuantizedRecurrent.Layer: tensors do not fit \(inputSize) inputs and \(units) units")
      self.inputSize = inputSize
      self.units = units
      self.cell = cell
      self.kernel = kernel
      self.kernelScales = kernelScales
      self.recurrent = recurrent
      self.recurrentScales = recurrentScales
      self.bias = bias
      kernelValues = kernel.map { Float($0) }
      recurrentValues = recurrent.map { Float($0) }
      hiddenScales = recurrentScales.map { $0 / 127 }
    }

    /// Layer `layer` of a float network, quantized per output column.
    init(_ w: ParameterVector, layer: Int) {
      let l = w.layout
      let (D, H, G) = (l.layerInputs(layer), l.units, l.gateWidth)
      let wx = w.values[l.range(.kernel, layer: layer)]
      let wh = w.values[l.range(.recurrentKernel, layer: layer)]
      let kernelScales = Quantization.columnScales(wx, rows: D, cols: G)
      let recurrentScales = Quantization.columnScales(wh, rows: H, cols: G)
      self.init(
        inputSize: D, units: H, cell: l.cell,
        kernel: Quantization.quantizeColumns(wx, rows: D, cols: G, scales: kernelScales), kernelScales: kernelScales,
        recurrent: Quantization.quantizeColumns(wh, rows: H, cols: G, scales: recurrentScales),
        recurrentScales: recurrentScales, bias: Array(w.values[l.range(.bias, layer: layer)]))
    }

    /// Writes the dequantized tensors into layer `layer` of `v`.
    func dequantize(into v: inout ParameterVector, layer: Int) {
      let l = v.layout
      let G = l.gateWidth
      let (kx, kh, kb) = (
        l.offset(.kernel, layer: layer), l.offset(.recurrentKernel, layer: layer), l.offset(.bias, layer: layer)
      )
      for (k, q) in kernel.enumerated() { v.values[kx + k] = Float(q) * kernelScales[k % G] }
      for (k, q) in recurrent.enumerated() { v.values[kh + k] = Float(q) * recurrentScales[k % G] }
      for (k, b) in bias.enumerated() { v.values[kb + k] = b }
    }

    var nonzeroCount: Int {
      kernel.filter { $0 != 0 }.count + recurrent.filter { $0 != 0 }.count + bias.filter { $0 != 0 }.count
    }
  }

  /// Quantizes a float network's kernels per output channel.
  public init(_ model: RecurrentForecaster) {
    let l = model.layout
    let w = model.weights.values
    let H = l.units
    let S = l.outputs
    let denseScales = Quantization.columnScales(w[l.range(.denseKernel)], rows: H, cols: S)
    self.init(
      layers: (0..<l.layers).map { Layer(model.weights, layer: $0) },
      dense: Quantization.quantizeColumns(w[l.range(.denseKernel)], rows: H, cols: S, scales: denseScales),
      denseScales: denseScales, denseBiases: Array(w[l.range(.denseBias)]))
    inputs = model.inputs
    skip = model.skip
  }

  /// The float forecaster with the dequantized weights (the starting point of fine-tuning).
  public func dequantized(dropout: Float) -> RecurrentForecaster {
    let l = layout
    var v = ParameterVector(layout: l)
    for (layer, q) in allLayers.enumerated() { q.dequantize(into: &v, layer: layer) }
    for (k, q) in dense.enumerated() { v.values[l.offset(.denseKernel) + k] = Float(q) * denseScales[k % outputs] }
    for (k, b) in denseBiases.enumerated() { v.values[l.offset(.denseBias) + k] = b }
    return RecurrentForecaster(weights: v, dropout: dropout, inputs: inputs, skip: skip)
  }

  public var parameterCount: Int { layout.totalCount }
  public var nonzeroCount: Int {
    allLayers.reduce(0) { $0 + $1.nonzeroCount } + dense.filter { $0 != 0 }.count
      + denseBiases.filter { $0 != 0 }.count
  }

  /// Scratch for up to `capacity` windows of this network.
  public func makeScratch(capacity: Int) -> Scratch {
    Scratch(capacity: capacity, inputSize: inputSize, units: units, cell: cell, outputs: outputs, layers: layers)
  }

  /// Buffers for the integer forward pass over up to `capacity` windows, reused across calls
  /// (a single forecast allocates nothing).
  public struct Scratch: Sendable {
    public let capacity: Int
    var qx: [Float], xScale: [Float], qh: [Float], accX: [Float], accH: [Float], z: [Float], c: [Float], h: [Float]
    public var y: [Float]
    public init(
      capacity: Int, inputSize D: Int, units H: Int, cell: RecurrentCell = .lstm, outputs: Int = 1, layers: Int = 1
    ) {
      self.capacity = capacity
      let G = cell.gates * H
      // A stacked network keeps each layer's c and h (layer-major) and quantizes H-wide inputs too.
      qx = .init(repeating: 0, count: capacity * (layers > 1 ? max(D, H) : D))
      xScale = .init(repeating: 0, count: capacity)
      qh = .init(repeating: 0, count: capacity * H)
      accX = .init(repeating: 0, count: capacity * G)
      accH = .init(repeating: 0, count: capacity * G)
      z = .init(repeating: 0, count: capacity * G)
      c = .init(repeating: 0, count: layers * capacity * H)
      h = .init(repeating: 0, count: layers * capacity * H)
      y = .init(repeating: 0, count: capacity * outputs)  // [B, S]
    }
  }

  /// Forecasts (scaled units) for `batch` windows whose inputs are time-major in `x` ([T*B, D]):
  /// `outputs` per window.
  public func forward(x: [Float], steps T: Int, batch B: Int, kernels: KernelWidth = .widest) -> [Float] {
    var s = makeScratch(capacity: B)
    forward(x: x, steps: T, batch: B, scratch: &s, kernels: kernels)
    return Array(s.y[0..<(B * outputs)])
  }

  /// The Dense head on the quantized last hidden state `qh` [B, H]: per output o,
  /// y = b_o + (s_Wd[o] / 127) * (qh . Wd[:, o]), the product exact (integers, see above).
  @inline(__always)
  func denseOutputs(batch B: Int, qh: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
    let H = units
    let S = outputs
    denseColumns.withUnsafeBufferPointer { wd in
      for o in 0..<S {
        let outScale = denseScales[o] / 127
        let column = wd.baseAddress! + o * H
        for b in 0..<B { y[b * S + o] = denseBiases[o] + outScale * dot(H, qh + b * H, column) }
      }
    }
  }

  /// The integer forward pass; outputs in `s.y[0..<B * outputs]`.
  /// With AVX-512 VNNI all T steps run in one C call (tc_int8_lstm_forward); elsewhere, or with
  /// `kernels` below `.avx512`, step by step with the float-FMA products and `integerCellForward`
  /// (in C with AVX2, in Swift at `.portable`). The results are the same bits (the tests check it).
  public func forward(
    x: [Float], steps T: Int, batch B: Int, scratch s: inout Scratch, kernels: KernelWidth = .widest
  ) {
    precondition(B <= s.capacity, "QuantizedRecurrent: batch \(B) exceeds scratch capacity \(s.capacity)")
    if layers > 1 { return stackedForward(x: x, steps: T, batch: B, scratch: &s) }
    if cell == .gru { return gruForward(x: x, steps: T, batch: B, scratch: &s) }
    let D = inputSize
    let H = units
    let G = 4 * H
    x.withUnsafeBufferPointer { xb in
      kernelValues.withUnsafeBufferPointer { wx in
        recurrentValues.withUnsafeBufferPointer { wh in
          bias.withUnsafeBufferPointer { bias in
            kernelScales.withUnsafeBufferPointer { ks in
              hiddenScales.withUnsafeBufferPointer { hs in
                s.qx.withUnsafeMutableBufferPointer { qx in
                  s.xScale.withUnsafeMutableBufferPointer { xScale in
                    s.qh.withUnsafeMutableBufferPointer { qh in
                      s.accX.withUnsafeMutableBufferPointer { accX in
                        s.accH.withUnsafeMutableBufferPointer { accH in
                          s.z.withUnsafeMutableBufferPointer { z in
                            s.c.withUnsafeMutableBufferPointer { c in
                              s.h.withUnsafeMutableBufferPointer { h in
                                let (x, qx, xScale, qh, accX, accH, z, c, h) = (
                                  xb.baseAddress!, qx.baseAddress!, xScale.baseAddress!, qh.baseAddress!,
                                  accX.baseAddress!, accH.baseAddress!, z.baseAddress!, c.baseAddress!, h.baseAddress!
                                )
                                let fused =
                                  kernels >= .avx512
                                  && recurrentPacked.withPackedStorage { packed, offset in
                                    tc_int8_lstm_forward(
                                      Int32(T), Int32(B), Int32(D), Int32(H), x, wx.baseAddress!, packed, offset,
                                      bias.baseAddress!,
                                      ks.baseAddress!, hs.baseAddress!, c, h) != 0
                                  }
                                if !fused {
                                  c.update(repeating: 0, count: B * H)
                                  h.update(repeating: 0, count: B * H)
                                  for t in 0..<T {
                                    // Dynamic symmetric quantization of this step's inputs, per window.
                                    for b in 0..<B {
                                      var m: Float = 0
                                      for d in 0..<D { m = max(m, abs(x[(t * B + b) * D + d])) }
                                      let scale: Float = m > 0 ? m / 127 : 1
                                      xScale[b] = scale
                                      for d in 0..<D {
                                        qx[b * D + d] = Float(
                                          quantizeSymmetric(x[(t * B + b) * D + d], inverseScale: 1 / scale))
                                      }
                                    }
                                    quantizeHidden(h, into: qh, count: B * H)
                                    // The int8 x int8 products, exact in float FMA (see the type's comment).
                                    gemmNN(
                                      m: B, n: G, k: D, a: qx, lda: D, b: wx.baseAddress!, ldb: G, c: accX, ldc: G,
                                      accumulate: false)
                                    gemmNN(
                                      m: B, n: G, k: H, a: qh, lda: H, b: wh.baseAddress!, ldb: G, c: accH, ldc: G,
                                      accumulate: false)
                                    for b in 0..<B {
                                      let xs = SIMD8<Float>(repeating: xScale[b])
                                      let row = b * G
                                      var j = 0
                                      while j + 8 <= G {
                                        let v =
                                          load8(bias.baseAddress! + j) + (xs * load8(ks.baseAddress! + j))
                                          * load8(accX + row + j) + load8(hs.baseAddress! + j) * load8(accH + row + j)
                                        store8(v, z + row + j)
                                        j += 8
                                      }
                                      while j < G {
                                        z[row + j] =
                                          bias[j] + (xScale[b] * ks[j]) * accX[row + j] + hs[j] * accH[row + j]
                                        j += 1
                                      }
                                    }
                                    integerCellForward(batch: B, units: H, z: z, c: c, h: h, kernels: kernels)
                                  }
                                }
                                quantizeHidden(h, into: qh, count: B * H)
                                s.y.withUnsafeMutableBufferPointer {
                                  denseOutputs(batch: B, qh: qh, into: $0.baseAddress!)
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

/// The integer model's cell for B rows of H units: c = f c + i g and h = o tanh(c) with the table
/// activations, c updated in place (z [B, 4H] holds the pre-activations i, f, g, o). With AVX2 in
/// C, 8 lanes at a time (tc_integer_cell, the same bits); `kernels: .portable` keeps it here.
func integerCellForward(
  batch B: Int, units H: Int, z: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
  h: UnsafeMutablePointer<Float>, kernels: KernelWidth = .widest
) {
  if tc_integer_cell(kernels.bits, Int32(B), Int32(H), z, c, h) != TC_PORTABLE { return }
  let G = 4 * H
  for b in 0..<B {
    let zr = z + b * G
    let cr = c + b * H
    let hr = h + b * H
    for u in 0..<H {
      let i = sigmoidTable(zr[u])
      let f = sigmoidTable(zr[H + u])
      let g = tanhTable(zr[2 * H + u])
      let o = sigmoidTable(zr[3 * H + u])
      let cell = f * cr[u] + i * g
      cr[u] = cell
      hr[u] = o * tanhTable(cell)
    }
  }
}

extension QuantizedRecurrent {
  /// The GRU's integer forward pass, step by step: the same quantization of inputs and h as the
  /// LSTM's, the products exact in float (see the type's comment), then `integerGRUCell`.
  func gruForward(x: [Float], steps T: Int, batch B: Int, scratch s: inout Scratch) {
    let D = inputSize
    let H = units
    let G = 3 * H
    let hs = hiddenScales
    for k in 0..<(B * H) { s.h[k] = 0 }
    for t in 0..<T {
      for b in 0..<B {
        var m: Float = 0
        for d in 0..<D { m = max(m, abs(x[(t * B + b) * D + d])) }
        let scale: Float = m > 0 ? m / 127 : 1
        s.xScale[b] = scale
        for d in 0..<D { s.qx[b * D + d] = Float(quantizeSymmetric(x[(t * B + b) * D + d], inverseScale: 1 / scale)) }
      }
      s.h.withUnsafeBufferPointer { h in
        s.qh.withUnsafeMutableBufferPointer { quantizeHidden(h.baseAddress!, into: $0.baseAddress!, count: B * H) }
      }
      // The int8 x int8 products, exact in float (see the type's comment).
      func product(_ codes: [Float], _ k: Int, _ weights: [Float], into acc: inout [Float]) {
        codes.withUnsafeBufferPointer { a in
          weights.withUnsafeBufferPointer { w in
            acc.withUnsafeMutableBufferPointer { c in
              gemmNN(
                m: B, n: G, k: k, a: a.baseAddress!, lda: k, b: w.baseAddress!, ldb: G, c: c.baseAddress!, ldc: G,
                accumulate: false)
            }
          }
        }
      }
      product(s.qx, D, kernelValues, into: &s.accX)
      product(s.qh, H, recurrentValues, into: &s.accH)
      for b in 0..<B {
        let row = b * G
        for j in 0..<G {
          s.accX[row + j] = bias[j] + (s.xScale[b] * kernelScales[j]) * s.accX[row + j]
          s.accH[row + j] = bias[G + j] + hs[j] * s.accH[row + j]
        }
        for u in 0..<H {
          let z = sigmoidTable(s.accX[row + u] + s.accH[row + u])
          let r = sigmoidTable(s.accX[row + H + u] + s.accH[row + H + u])
          let n = tanhTable(s.accX[row + 2 * H + u] + r * s.accH[row + 2 * H + u])
          s.h[b * H + u] = z * s.h[b * H + u] + (1 - z) * n
        }
      }
    }
    s.h.withUnsafeBufferPointer { h in
      s.qh.withUnsafeMutableBufferPointer { quantizeHidden(h.baseAddress!, into: $0.baseAddress!, count: B * H) }
    }
    s.qh.withUnsafeBufferPointer { qh in
      s.y.withUnsafeMutableBufferPointer { denseOutputs(batch: B, qh: qh.baseAddress!, into: $0.baseAddress!) }
    }
  }
}

/// q = round(h * 127) (ties away from zero), clamped to [-127, 127], as exact float integers;
/// the same values `quantizeSymmetric(h, inverseScale: 127)` gives, 8 at a time.
@inline(__always)
func quantizeHidden(_ h: UnsafePointer<Float>, into q: UnsafeMutablePointer<Float>, count n: Int) {
  var k = 0
  while k + 8 <= n {
    var v = load8(h + k) * 127
    v = v.replacing(with: 127, where: v .> 127).replacing(with: -127, where: v .< -127)
    let t = v.rounded(.towardZero)
    let d = v - t
    store8(t.replacing(with: t + 1, where: d .>= 0.5).replacing(with: t - 1, where: d .<= -0.5), q + k)
    k += 8
  }
  while k < n {
    q[k] = Float(quantizeSymmetric(h[k], inverseScale: 127))
    k += 1
  }
}

extension QuantizedRecurrent {
  /// A stacked network's integer forward pass: at each step every layer in turn, bottom first,
  /// each quantizing its inputs (the data's, or the layer below's new hidden state) by their
  /// largest magnitude and its own h by 127, with the same products and cells as one layer.
  func stackedForward(x: [Float], steps T: Int, batch B: Int, scratch s: inout Scratch) {
    let H = units
    let G = cell.gates * H
    let layers = allLayers
    let stride = s.capacity * H  // one layer's states in `s.c` and `s.h`
    for k in 0..<(layers.count * stride) {
      s.c[k] = 0
      s.h[k] = 0
    }
    for t in 0..<T {
      for (l, layer) in layers.enumerated() {
        let D = layer.inputSize
        // This layer's inputs, quantized per window.
        for b in 0..<B {
          let row = l == 0 ? (t * B + b) * D : (l - 1) * stride + b * H
          var m: Float = 0
          for d in 0..<D { m = max(m, abs(l == 0 ? x[row + d] : s.h[row + d])) }
          let scale: Float = m > 0 ? m / 127 : 1
          s.xScale[b] = scale
          for d in 0..<D {
            s.qx[b * D + d] = Float(
              quantizeSymmetric(l == 0 ? x[row + d] : s.h[row + d], inverseScale: 1 / scale))
          }
        }
        s.h.withUnsafeBufferPointer { h in
          s.qh.withUnsafeMutableBufferPointer {
            quantizeHidden(h.baseAddress! + l * stride, into: $0.baseAddress!, count: B * H)
          }
        }
        // The int8 x int8 products, exact in float (see the type's comment).
        func product(_ codes: [Float], _ k: Int, _ weights: [Float], into acc: inout [Float]) {
          codes.withUnsafeBufferPointer { a in
            weights.withUnsafeBufferPointer { w in
              acc.withUnsafeMutableBufferPointer { c in
                gemmNN(
                  m: B, n: G, k: k, a: a.baseAddress!, lda: k, b: w.baseAddress!, ldb: G, c: c.baseAddress!, ldc: G,
                  accumulate: false)
              }
            }
          }
        }
        product(s.qx, D, layer.kernelValues, into: &s.accX)
        product(s.qh, H, layer.recurrentValues, into: &s.accH)
        let (bias, ks, hs) = (layer.bias, layer.kernelScales, layer.hiddenScales)
        switch cell {
        case .lstm:
          for b in 0..<B {
            let row = b * G
            for j in 0..<G {
              s.z[row + j] = bias[j] + (s.xScale[b] * ks[j]) * s.accX[row + j] + hs[j] * s.accH[row + j]
            }
          }
          s.z.withUnsafeBufferPointer { z in
            s.c.withUnsafeMutableBufferPointer { c in
              s.h.withUnsafeMutableBufferPointer { h in
                integerCellForward(
                  batch: B, units: H, z: z.baseAddress!, c: c.baseAddress! + l * stride, h: h.baseAddress! + l * stride)
              }
            }
          }
        case .gru:
          for b in 0..<B {
            let row = b * G
            for j in 0..<G {
              s.accX[row + j] = bias[j] + (s.xScale[b] * ks[j]) * s.accX[row + j]
              s.accH[row + j] = bias[G + j] + hs[j] * s.accH[row + j]
            }
            let state = l * stride + b * H
            for u in 0..<H {
              let z = sigmoidTable(s.accX[row + u] + s.accH[row + u])
              let r = sigmoidTable(s.accX[row + H + u] + s.accH[row + H + u])
              let n = tanhTable(s.accX[row + 2 * H + u] + r * s.accH[row + 2 * H + u])
              s.h[state + u] = z * s.h[state + u] + (1 - z) * n
            }
          }
        }
      }
    }
    s.h.withUnsafeBufferPointer { h in
      s.qh.withUnsafeMutableBufferPointer {
        quantizeHidden(h.baseAddress! + (layers.count - 1) * stride, into: $0.baseAddress!, count: B * H)
      }
    }
    s.qh.withUnsafeBufferPointer { qh in
      s.y.withUnsafeMutableBufferPointer { denseOutputs(batch: B, qh: qh.baseAddress!, into: $0.baseAddress!) }
    }
  }
}
