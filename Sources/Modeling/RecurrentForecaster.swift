// RecurrentForecaster: LSTM(H) or GRU(H) -> Dropout(p) on the last hidden state -> Dense(S), S
// the days it forecasts at once (1 usually; `window steps=S`).
// Forward and backward sit together; shapes use T steps, B batch rows, D inputs, H units, G the
// gate width (4H LSTM, 3H GRU). Row-major, time-major buffers: row t*B + b of a [T*B, *] buffer
// is step t of batch row b. Both cells as Keras defines them (tanh, sigmoid gates):
//
// LSTM, gate order i, f, g, o; z = x Wx + h Wh + b:
//   i = s(z_i)  f = s(z_f)  g = tanh(z_g)  o = s(z_o)
//   c_t = f * c_{t-1} + i * g        h_t = o * tanh(c_t)
// GRU (reset_after=True, Keras' default), gate order z, r, h; a = x Wx + b_in, q = h Wh + b_rec:
//   z = s(a_z + q_z)  r = s(a_r + q_r)  n = tanh(a_h + r * q_h)
//   h_t = z * h_{t-1} + (1 - z) * n
// Then y = (h_T * dropoutMask) Wd + bd   [B, S].

import CKernels
import NumericCore

public struct RecurrentForecaster: Sendable, Equatable {
  public var weights: ParameterVector
  public var dropout: Float
  /// What each step reads (scaled sales, or level-normalised sales and calendar channels).
  public var inputs: RecurrentInputs
  /// A linear model this network corrects (a linear skip, `train skip=NAME`): the forecast is
  /// the linear model's plus the network's, trained on the linear model's residual
  /// (Modeling/LinearSkip.swift). Nil for a plain network.
  public var skip: LinearAutoregression?
  public var layout: ParameterLayout { weights.layout }
  public var units: Int { layout.units }
  public var inputSize: Int { layout.inputSize }
  public var cell: RecurrentCell { layout.cell }
  /// Days forecast at once (the Dense head's width).
  public var outputs: Int { layout.outputs }

  /// `inputs` says how windows become steps (`gather`); the forward pass itself reads any
  /// `layout.inputSize` channels it is given.
  public init(
    weights: ParameterVector, dropout: Float, inputs: RecurrentInputs = .plain, skip: LinearAutoregression? = nil
  ) {
    self.weights = weights
    self.dropout = dropout
    self.inputs = inputs
    self.skip = skip
  }

  /// Keras' initialisation: Glorot-uniform input kernel, orthogonal recurrent kernel, zero bias
  /// (the LSTM's forget-gate slice set to 1, `unit_forget_bias`), Glorot-uniform Dense kernel.
  /// Draws in that order from `rng`. `outputs` > 1 makes a multi-day head.
  public init(
    units: Int, cell: RecurrentCell = .lstm, inputs: RecurrentInputs = .plain, outputs: Int = 1, dropout: Float,
    rng: inout SeededGenerator
  ) {
    self.init(
      inputSize: inputs.channels, units: units, cell: cell, inputs: inputs, outputs: outputs, dropout: dropout,
      rng: &rng)
  }

  /// A network over `inputSize` channels fed directly (the kernels' tests); `inputs` as above.
  /// `layers` > 1 stacks that many recurrent layers, each initialised as the first, in turn.
  public init(
    inputSize: Int, units: Int, cell: RecurrentCell = .lstm, inputs: RecurrentInputs = .plain, outputs: Int = 1,
    layers: Int = 1, dropout: Float, rng: inout SeededGenerator
  ) {
    let layout = ParameterLayout(inputSize: inputSize, units: units, cell: cell, outputs: outputs, layers: layers)
    var w = ParameterVector(layout: layout)
    for l in 0..<layers {
      w[.kernel, layer: l] = glorotUniform(rows: layout.layerInputs(l), cols: layout.gateWidth, rng: &rng)
      w[.recurrentKernel, layer: l] = orthogonal(rows: units, cols: layout.gateWidth, rng: &rng)
      var bias = Matrix(rows: cell.biasRows, cols: layout.gateWidth)
      if cell == .lstm { for j in units..<(2 * units) { bias.storage[j] = 1 } }
      w[.bias, layer: l] = bias
    }
    w[.denseKernel] = glorotUniform(rows: units, cols: outputs, rng: &rng)
    self.init(weights: w, dropout: dropout, inputs: inputs)
  }

  public var parameterCount: Int { layout.totalCount }

  /// Scratch for up to `capacity` windows of `steps` days, sized for this model's cell and shapes.
  public func makeScratch(capacity: Int, steps: Int) -> RecurrentScratch {
    RecurrentScratch(
      capacity: capacity, steps: steps, inputSize: inputSize, units: units, cell: cell, outputs: outputs,
      layers: layout.layers)
  }
}

/// Buffers for one forward/backward pass over up to `capacity` windows, allocated once and
/// reused for every batch (no allocation in the training loop).
/// The GRU uses `recurrent` and `dRecurrent` where the LSTM uses `c` and `tanhC`.
public struct RecurrentScratch: Sendable {
  public let capacity: Int, steps: Int, inputSize: Int, units: Int
  public let cell: RecurrentCell
  /// Outputs per window (S, the Dense head's width).
  public let outputs: Int
  public var x: [Float]  // [T*B, D]   inputs, time-major
  public var gates: [Float]  // [T*B, G]   pre-activations, then activations (i,f,g,o or z,r,n) in place
  public var recurrent: [Float]  // [T*B, G] GRU: q = h Wh + b_rec per step (r * q_h needs it backward)
  public var dRecurrent: [Float]  // [T*B, G] GRU: dLoss/dq
  public var c: [Float]  // [(T+1)*B, H] cell states; block 0 is the zero initial state
  public var h: [Float]  // [(T+1)*B, H] hidden states; block 0 is the zero initial state
  public var tanhC: [Float]  // [T*B, H]
  public var mask: [Float]  // [B, H]     dropout mask (0 or 1/(1-p)); all 1 in inference
  public var last: [Float]  // [B, H]     h_T * mask, the Dense input
  public var y: [Float]  // [B, S]     outputs (scaled sales)
  public var dy: [Float]  // [B, S]     dLoss/dy
  public var target: [Float]  // [B, S]     training targets of the rows
  public var dz: [Float]  // [T*B, G]   dLoss/d(pre-activation)
  public var dh: [Float]  // [B, H]
  public var dc: [Float]  // [B, H]
  public var whT: [Float]  // [G, H]     the recurrent kernel transposed (the backward's dh = dz Wh^T)
  public var gateWeights: [Float]  // LSTM: [Wx; Wh] in strips of 16 gate columns (tc_pack_gate_weights)
  /// A stacked network's layers above the first, each with buffers of its own (its `x` holds
  /// the hidden states of the layer below, its `dInput` the gradient sent back down to them).
  public var upper: [RecurrentScratch] = []
  public var dInput: [Float] = [0]  // [T*B, D]   upper layers: dLoss/dx, the layer below's dh

  public init(
    capacity: Int, steps: Int, inputSize: Int, units: Int, cell: RecurrentCell = .lstm, outputs: Int = 1,
    layers: Int = 1
  ) {
    self.capacity = capacity
    self.outputs = outputs
    self.steps = steps
    self.inputSize = inputSize
    self.units = units
    self.cell = cell
    let g = cell.gates * units
    let gru = cell == .gru
    x = .init(repeating: 0, count: steps * capacity * inputSize)
    gates = .init(repeating: 0, count: steps * capacity * g)
    // A buffer the cell does not use keeps one element, so every buffer has an address.
    recurrent = .init(repeating: 0, count: gru ? steps * capacity * g : 1)
    dRecurrent = .init(repeating: 0, count: gru ? steps * capacity * g : 1)
    c = .init(repeating: 0, count: gru ? 1 : (steps + 1) * capacity * units)
    h = .init(repeating: 0, count: (steps + 1) * capacity * units)
    tanhC = .init(repeating: 0, count: gru ? 1 : steps * capacity * units)
    mask = .init(repeating: 1, count: capacity * units)
    last = .init(repeating: 0, count: capacity * units)
    y = .init(repeating: 0, count: capacity * outputs)
    dy = .init(repeating: 0, count: capacity * outputs)
    target = .init(repeating: 0, count: capacity * outputs)
    dz = .init(repeating: 0, count: steps * capacity * g)
    dh = .init(repeating: 0, count: capacity * units)
    dc = .init(repeating: 0, count: capacity * units)  // the GRU's dL/dh_{t-1} through z * h_{t-1}
    whT = .init(repeating: 0, count: g * units)
    gateWeights = .init(
      repeating: 0, count: cell == .lstm ? Int(tc_pack_gate_weights_count(Int32(inputSize), Int32(units))) : 1)
    upper = (1..<max(layers, 1)).map { _ in
      var layer = RecurrentScratch(
        capacity: capacity, steps: steps, inputSize: units, units: units, cell: cell, outputs: outputs)
      layer.dInput = .init(repeating: 0, count: steps * capacity * units)
      return layer
    }
  }
}

extension RecurrentForecaster {
  // MARK: - Forward

  /// Forward pass over `batch` windows whose inputs are already in `s.x` (time-major) and whose
  /// dropout mask is in `s.mask` (set it to 1 for inference). Leaves outputs in `s.y[0..<batch]`
  /// and everything backward needs in the scratch. `keepStates: false` (inference) lets a single
  /// window run as one AVX-512 call that keeps only the last step's state: the same output bits.
  public func forward(batch B: Int, scratch s: inout RecurrentScratch, keepStates: Bool = true) {
    precondition(
      B <= s.capacity && s.units == units && s.inputSize == inputSize && s.cell == cell && s.outputs == outputs,
      "forward: batch \(B) exceeds scratch capacity \(s.capacity) or shapes differ")
    if layout.layers > 1 { return stackedForward(batch: B, scratch: &s) }
    if cell == .gru { return gruForward(batch: B, scratch: &s) }
    let T = s.steps
    let D = inputSize
    let H = units
    let G = 4 * H
    let l = layout
    weights.values.withUnsafeBufferPointer { wbuf in
      let w = wbuf.baseAddress!
      let wx = w + l.offset(.kernel)
      let wh = w + l.offset(.recurrentKernel)
      let bias = w + l.offset(.bias)
      let wd = w + l.offset(.denseKernel)
      let bd = w + l.offset(.denseBias)
      withScratchPointers(&s) { p in
        if B == 1 && !keepStates
          && tc_lstm_window_avx512(Int32(T), Int32(D), Int32(H), p.x, wx, wh, bias, p.c, p.h) != 0
        {
          // The latency path: p.h holds h_T.
          denseForward(batch: 1, hT: p.h, p, wd: wd, bd: bd)
          return
        }
        p.h.update(repeating: 0, count: B * H)
        p.c.update(repeating: 0, count: B * H)
        // The AVX2 gate kernel reads the weights packed in strips, once per pass (it does not
        // use them for a single row).
        let packed: FloatPointer? = B > 1 && KernelWidth.widest == .avx2 ? FloatPointer(p.gateWeights) : nil
        if packed != nil { tc_pack_gate_weights(Int32(D), Int32(H), wx, wh, p.gateWeights) }
        for t in 0..<T {
          let z = p.gates + t * B * G
          let hPrev = p.h + t * B * H
          let cPrev = p.c + t * B * H
          let hNext = p.h + (t + 1) * B * H
          let cNext = p.c + (t + 1) * B * H
          let tc = p.tanhC + t * B * H
          if t == 0 {
            // h_0 = +0: each recurrent term is +-0 (weights finite), which leaves every chain as it
            // was but one at -0 (-0 + +0 is +0), and the cell's activations give -0 and +0 the same
            // value (the pre-activations themselves are overwritten). So step 0 takes its input
            // terms only, 1/T of the forward products saved (FirstStepTests: the same bits).
            lstmInputGates(batch: B, inputs: D, units: H, x: p.x, wx: wx, bias: bias, z: z)
          } else {
            lstmGates(
              batch: B, inputs: D, units: H, x: p.x + t * B * D, h: hPrev, wx: wx, wh: wh, bias: bias,
              packed: packed, z: z)
          }
          lstmCellForward(batch: B, units: H, z: z, cPrev: cPrev, cNext: cNext, tanhC: tc, hNext: hNext)
        }
        denseForward(batch: B, hT: p.h + T * B * H, p, wd: wd, bd: bd)
      }
    }
  }

  // MARK: - Backward

  /// Backward pass after `forward` with `s.dy` holding dLoss/dy. Accumulates (+=) parameter
  /// gradients into `grads`.
  public func backward(batch B: Int, scratch s: inout RecurrentScratch, into grads: inout ParameterVector) {
    precondition(grads.layout == layout, "backward: gradient layout differs from the model's")
    grads.values.withUnsafeMutableBufferPointer { backward(batch: B, scratch: &s, into: $0.baseAddress!) }
  }

  /// `backward` into `parameterCount` gradients at `g` (laid out as the weights).
  public func backward(batch B: Int, scratch s: inout RecurrentScratch, into g: MutableFloatPointer) {
    if layout.layers > 1 { return stackedBackward(batch: B, scratch: &s, into: g) }
    if cell == .gru { return gruBackward(batch: B, scratch: &s, into: g) }
    let T = s.steps
    let D = inputSize
    let H = units
    let G = 4 * H
    let l = layout
    weights.values.withUnsafeBufferPointer { wbuf in
      let w = wbuf.baseAddress!
      let wh = w + l.offset(.recurrentKernel)
      let wd = w + l.offset(.denseKernel)
      let gx = g + l.offset(.kernel)
      let gh = g + l.offset(.recurrentKernel)
      let gb = g + l.offset(.bias)
      let gd = g + l.offset(.denseKernel)
      let gbd = g + l.offset(.denseBias)
      withScratchPointers(&s) { p in
        denseBackward(batch: B, p, wd: wd, gd: gd, gbd: gbd)
        p.dc.update(repeating: 0, count: B * H)
        // dh = dz Wh^T runs as an NN product on Wh transposed once per pass (the NN kernels'
        // register tiles reuse each load of it across several rows).
        transpose(rows: H, cols: G, wh, ld: G, into: p.whT)
        // Through time, last step first.
        for t in stride(from: T - 1, through: 0, by: -1) {
          let acts = p.gates + t * B * G
          let dz = p.dz + t * B * G
          lstmCellBackward(
            batch: B, units: H, acts: acts, cPrev: p.c + t * B * H, tanhC: p.tanhC + t * B * H,
            dh: p.dh, dc: p.dc, dz: dz)
          // dh_{t-1} = dz_t Wh^T   [B, H]
          if t > 0 { gemmNN(m: B, n: H, k: G, a: dz, lda: G, b: p.whT, ldb: H, c: p.dh, ldc: H, accumulate: false) }
        }
        // Weight gradients for all steps in one product each:
        // dWh += H_{1..T-1}^T dZ_{1..T-1}  [H, G],  dWx += X^T dZ  [D, G],  db += column sums of dZ.
        // h_0 = +0, so step 0's terms of dWh are +-0 and leave every chain as it was, except one
        // at -0, which they may turn into +0; the trainer hands gh zeroed (+0), so dWh skips them.
        gemmTN(
          m: H, n: G, k: (T - 1) * B, a: p.h + B * H, lda: H, b: p.dz + B * G, ldb: G, c: gh, ldc: G,
          accumulate: true)
        gemmTN(m: D, n: G, k: T * B, a: p.x, lda: D, b: p.dz, ldb: G, c: gx, ldc: G, accumulate: true)
        addColumnSums(rows: T * B, cols: G, p.dz, into: gb)
      }
    }
  }
}

// MARK: - The Dense head, shared by both cells

extension RecurrentForecaster {
  /// Dropout on h_T (the mask; all 1 in inference), then Dense(S): y = last Wd + bd   [B, S].
  @inline(__always)
  func denseForward(batch B: Int, hT: FloatPointer, _ p: ScratchPointers, wd: FloatPointer, bd: FloatPointer) {
    let H = units
    let S = outputs
    for k in 0..<(B * H) { p.last[k] = hT[k] * p.mask[k] }
    if S == 1 {
      for b in 0..<B { p.y[b] = bd[0] + dot(H, p.last + b * H, wd) }
      return
    }
    // Column o of Wd is strided; a multi-day head is small, so the plain loop (in the order of
    // `dot`'s reference, j ascending) is fast enough and matches the integer path's order.
    for b in 0..<B {
      let row = p.last + b * H
      for o in 0..<S {
        var acc: Float = 0
        for j in 0..<H { acc += row[j] * wd[j * S + o] }
        p.y[b * S + o] = bd[o] + acc
      }
    }
  }

  /// The Dense head backward: dWd += last^T dy, dbd += column sums of dy, and
  /// dh_T = (dy Wd^T) * mask into `p.dh`, where the recurrence's backward pass starts.
  @inline(__always)
  func denseBackward(
    batch B: Int, _ p: ScratchPointers, wd: FloatPointer, gd: MutableFloatPointer, gbd: MutableFloatPointer
  ) {
    let H = units
    let S = outputs
    gemmTN(m: H, n: S, k: B, a: p.last, lda: H, b: p.dy, ldb: S, c: gd, ldc: S, accumulate: true)
    if S == 1 {
      for b in 0..<B { gbd[0] += p.dy[b] }
      for b in 0..<B { for j in 0..<H { p.dh[b * H + j] = p.dy[b] * wd[j] * p.mask[b * H + j] } }
      return
    }
    for b in 0..<B { for o in 0..<S { gbd[o] += p.dy[b * S + o] } }
    for b in 0..<B {
      for j in 0..<H {
        var acc: Float = 0
        for o in 0..<S { acc += p.dy[b * S + o] * wd[j * S + o] }
        p.dh[b * H + j] = acc * p.mask[b * H + j]
      }
    }
  }
}

// MARK: - The cell, element-wise

/// One step's gate pre-activations z = b + x Wx + h Wh for B rows ([B, 4H]): the bias, then the
/// input product, then the recurrent one, each element one chain of multiply-adds (GEMM.swift's
/// contract). With AVX2 or AVX-512 the three run as one pass in registers (`tc_lstm_gates`, the
/// same bits, tested; with AVX2 reading `packed`, the weights from `tc_pack_gate_weights`, when
/// given); `kernels: .portable` keeps the products in Swift.
@inline(__always)
public func lstmGates(
  batch B: Int, inputs D: Int, units H: Int, x: FloatPointer, h: FloatPointer, wx: FloatPointer, wh: FloatPointer,
  bias: FloatPointer, packed: FloatPointer? = nil, z: MutableFloatPointer, kernels: KernelWidth = .widest
) {
  if tc_lstm_gates(kernels.bits, Int32(B), Int32(D), Int32(H), x, h, wx, wh, bias, packed, z) != TC_PORTABLE {
    return
  }
  let G = 4 * H
  lstmInputGates(batch: B, inputs: D, units: H, x: x, wx: wx, bias: bias, z: z, kernels: kernels)
  gemmNN(m: B, n: G, k: H, a: h, lda: H, b: wh, ldb: G, c: z, ldc: G, accumulate: true, kernels: kernels)
}

/// The first part of `lstmGates`, each element's chain up to its recurrent terms: the bias, then
/// the input terms.
@inline(__always)
func lstmInputGates(
  batch B: Int, inputs D: Int, units H: Int, x: FloatPointer, wx: FloatPointer, bias: FloatPointer,
  z: MutableFloatPointer, kernels: KernelWidth = .widest
) {
  let G = 4 * H
  for r in 0..<B { (z + r * G).update(from: bias, count: G) }
  gemmNN(m: B, n: G, k: D, a: x, lda: D, b: wx, ldb: G, c: z, ldc: G, accumulate: true, kernels: kernels)
}

/// The gate weights [Wx; Wh] in strips of 16 gate columns, as `lstmGates(packed:)` reads them
/// (tc_pack_gate_weights; unwritten, all zero, where the AVX2 kernels cannot run).
public func packGateWeights(inputs D: Int, units H: Int, wx: FloatPointer, wh: FloatPointer) -> [Float] {
  var packed = [Float](repeating: 0, count: Int(tc_pack_gate_weights_count(Int32(D), Int32(H))))
  packed.withUnsafeMutableBufferPointer { tc_pack_gate_weights(Int32(D), Int32(H), wx, wh, $0.baseAddress!) }
  return packed
}

/// One step's gate non-linearities and state update for B rows, 8 units at a time with the
/// vectorised activations (a tail of fewer than 8 units goes through the same functions, lane
/// by lane, so every unit gets identical arithmetic). Overwrites `z` with the activations.
/// `cPrev` and `cNext` may be the same buffer (the integer model updates c in place).
/// On processors with AVX2 or AVX-512 the same arithmetic runs in C (`tc_lstm_cell`: 8 lanes, four
/// vectors in lockstep, or 16 lanes; bit-identical, tested); `kernels: .portable` keeps it in Swift.
@inline(__always)
public func lstmCellForward(
  batch B: Int, units H: Int, z: MutableFloatPointer, cPrev: FloatPointer,
  cNext: MutableFloatPointer, tanhC: MutableFloatPointer, hNext: MutableFloatPointer,
  kernels: KernelWidth = .widest
) {
  if tc_lstm_cell(kernels.bits, Int32(B), Int32(H), z, cPrev, cNext, tanhC, hNext) != TC_PORTABLE { return }
  let G = 4 * H
  for b in 0..<B {
    let zr = z + b * G
    let cp = cPrev + b * H
    let cn = cNext + b * H
    let tcr = tanhC + b * H
    let hn = hNext + b * H
    var j = 0
    while j + 8 <= H {
      let i = sigmoidVector(load8(zr + j))
      let f = sigmoidVector(load8(zr + H + j))
      let g = tanhVector(load8(zr + 2 * H + j))
      let o = sigmoidVector(load8(zr + 3 * H + j))
      store8(i, zr + j)
      store8(f, zr + H + j)
      store8(g, zr + 2 * H + j)
      store8(o, zr + 3 * H + j)
      let c = f * load8(cp + j) + i * g
      let tc = tanhVector(c)
      store8(c, cn + j)
      store8(tc, tcr + j)
      store8(o * tc, hn + j)
      j += 8
    }
    while j < H {
      let i = sigmoidFast(zr[j])
      let f = sigmoidFast(zr[H + j])
      let g = tanhFast(zr[2 * H + j])
      let o = sigmoidFast(zr[3 * H + j])
      zr[j] = i
      zr[H + j] = f
      zr[2 * H + j] = g
      zr[3 * H + j] = o
      let c = f * cp[j] + i * g
      let tc = tanhFast(c)
      cn[j] = c
      tcr[j] = tc
      hn[j] = o * tc
      j += 1
    }
  }
}

/// One step backward. In: dh = dL/dh_t, dc = dL/dc_t from the later step. Out: dz (gate
/// pre-activation gradients) and dc replaced by dL/dc_{t-1}. 8 units at a time; every lane does
/// the arithmetic of `lstmCellBackwardReference` in the same order, so the bits are the same.
@inline(__always)
public func lstmCellBackward(
  batch B: Int, units H: Int, acts: FloatPointer, cPrev: FloatPointer, tanhC: FloatPointer,
  dh: FloatPointer, dc: MutableFloatPointer, dz: MutableFloatPointer, kernels: KernelWidth = .widest
) {
  // The same arithmetic in C where the processor has AVX2 or AVX-512 (bit-identical, tested).
  if tc_lstm_cell_backward(kernels.bits, Int32(B), Int32(H), acts, cPrev, tanhC, dh, dc, dz) != TC_PORTABLE { return }
  let G = 4 * H
  for b in 0..<B {
    let a = acts + b * G
    let d = dz + b * G
    let row = b * H
    var j = 0
    while j + 8 <= H {
      let i = load8(a + j)
      let f = load8(a + H + j)
      let g = load8(a + 2 * H + j)
      let o = load8(a + 3 * H + j)
      let tc = load8(tanhC + row + j)
      let dhj = load8(dh + row + j)
      let dcTotal = load8(dc + row + j) + dhj * o * (1 - tc * tc)
      store8(dcTotal * g * (i * (1 - i)), d + j)
      store8(dcTotal * load8(cPrev + row + j) * (f * (1 - f)), d + H + j)
      store8(dcTotal * i * (1 - g * g), d + 2 * H + j)
      store8(dhj * tc * (o * (1 - o)), d + 3 * H + j)
      store8(dcTotal * f, dc + row + j)
      j += 8
    }
    if j < H {
      lstmCellBackwardReference(
        units: H, from: j, acts: a, cPrev: cPrev + row, tanhC: tanhC + row,
        dh: dh + row, dc: dc + row, dz: d)
    }
  }
}

/// One row of `lstmCellBackward`, unit by unit from `from`: its oracle and its tail.
@inline(__always)
public func lstmCellBackwardReference(
  units H: Int, from: Int = 0, acts a: FloatPointer, cPrev: FloatPointer,
  tanhC: FloatPointer, dh: FloatPointer, dc: MutableFloatPointer,
  dz d: MutableFloatPointer
) {
  for j in from..<H {
    let i = a[j]
    let f = a[H + j]
    let g = a[2 * H + j]
    let o = a[3 * H + j]
    let tc = tanhC[j]
    let dcTotal = dc[j] + dh[j] * o * tanhDerivative(output: tc)
    d[j] = dcTotal * g * sigmoidDerivative(output: i)
    d[H + j] = dcTotal * cPrev[j] * sigmoidDerivative(output: f)
    d[2 * H + j] = dcTotal * i * tanhDerivative(output: g)
    d[3 * H + j] = dh[j] * tc * sigmoidDerivative(output: o)
    dc[j] = dcTotal * f
  }
}

/// sums[j] += x[0][j] + x[1][j] + ... in increasing row order. The rows are read one after
/// another (8 columns at a time), so the reads are sequential and the sums stay in cache; each
/// column still adds its rows in increasing order, so the bits do not depend on the traversal.
@inline(__always)
func addColumnSums(rows: Int, cols: Int, _ x: FloatPointer, into sums: MutableFloatPointer) {
  let vectorCols = cols / 8 * 8
  for r in 0..<rows {
    let row = x + r * cols
    var j = 0
    while j < vectorCols {
      store8(load8(sums + j) + load8(row + j), sums + j)
      j += 8
    }
    while j < cols {
      sums[j] += row[j]
      j += 1
    }
  }
}

// MARK: - Pointer access

struct ScratchPointers {
  let x, gates, recurrent, dRecurrent, c, h, tanhC, mask, last, y, dy, dz, dh, dc, whT, gateWeights: MutableFloatPointer
}

/// Runs `body` with stable pointers to every scratch buffer.
@inline(__always)
func withScratchPointers<R>(_ s: inout RecurrentScratch, _ body: (ScratchPointers) -> R) -> R {
  s.x.withUnsafeMutableBufferPointer { x in
    s.gates.withUnsafeMutableBufferPointer { gates in
      s.recurrent.withUnsafeMutableBufferPointer { recurrent in
        s.dRecurrent.withUnsafeMutableBufferPointer { dRecurrent in
          s.c.withUnsafeMutableBufferPointer { c in
            s.h.withUnsafeMutableBufferPointer { h in
              s.tanhC.withUnsafeMutableBufferPointer { tanhC in
                s.mask.withUnsafeMutableBufferPointer { mask in
                  s.last.withUnsafeMutableBufferPointer { last in
                    s.y.withUnsafeMutableBufferPointer { y in
                      s.dy.withUnsafeMutableBufferPointer { dy in
                        s.dz.withUnsafeMutableBufferPointer { dz in
                          s.dh.withUnsafeMutableBufferPointer { dh in
                            s.dc.withUnsafeMutableBufferPointer { dc in
                              s.whT.withUnsafeMutableBufferPointer { whT in
                                s.gateWeights.withUnsafeMutableBufferPointer { gateWeights in
                                  body(
                                    ScratchPointers(
                                      x: x.baseAddress!, gates: gates.baseAddress!, recurrent: recurrent.baseAddress!,
                                      dRecurrent: dRecurrent.baseAddress!, c: c.baseAddress!, h: h.baseAddress!,
                                      tanhC: tanhC.baseAddress!, mask: mask.baseAddress!, last: last.baseAddress!,
                                      y: y.baseAddress!, dy: dy.baseAddress!, dz: dz.baseAddress!,
                                      dh: dh.baseAddress!, dc: dc.baseAddress!, whT: whT.baseAddress!,
                                      gateWeights: gateWeights.baseAddress!))
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
