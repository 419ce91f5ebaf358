// StackedRecurrence: the forward and backward passes of a network of L > 1 recurrent layers
// (Keras' LSTM(H, return_sequences=True) -> ... -> LSTM(H) -> Dropout -> Dense(S)). Each layer
// runs the single layer's recurrence over its own scratch: layer 0 over the windows' channels,
// layer l over the hidden states h_1 ... h_T of layer l - 1. Backward, layer l's input gradient
// dX = dZ Wx^T (the gates' gradients through its input kernel) is the gradient of layer l - 1's
// outputs: at step t it joins what that layer's own recurrence sends back to h_t.
//
// The single-layer passes (RecurrentForecaster.swift, GRUCell.swift) are left as they are, with
// their fused latency path; these passes use the same cell functions and products, so a layer
// computes what a one-layer network of its inputs would.

import NumericCore

extension RecurrentForecaster {
  func stackedForward(batch B: Int, scratch s: inout RecurrentScratch) {
    let L = layout.layers
    let T = s.steps
    let H = units
    weights.values.withUnsafeBufferPointer { wbuf in
      let w = wbuf.baseAddress!
      layerForward(0, batch: B, weights: w, scratch: &s)
      for l in 1..<L {
        // Layer l reads the hidden states of the layer below, steps 1 ... T (block 0 is h_0).
        let below = l == 1 ? s.h : s.upper[l - 2].h
        s.upper[l - 1].x.withUnsafeMutableBufferPointer { x in
          below.withUnsafeBufferPointer { h in x.baseAddress!.update(from: h.baseAddress! + B * H, count: T * B * H) }
        }
        layerForward(l, batch: B, weights: w, scratch: &s.upper[l - 1])
      }
      // The Dense head on the top layer's h_T, through the first scratch's mask and outputs.
      let hT = Array(s.upper[L - 2].h[(T * B * H)..<((T + 1) * B * H)])
      hT.withUnsafeBufferPointer { top in
        withScratchPointers(&s) { p in
          denseForward(
            batch: B, hT: top.baseAddress!, p, wd: w + layout.offset(.denseKernel), bd: w + layout.offset(.denseBias))
        }
      }
    }
  }

  func stackedBackward(batch B: Int, scratch s: inout RecurrentScratch, into g: MutableFloatPointer) {
    let L = layout.layers
    let T = s.steps
    let H = units
    weights.values.withUnsafeBufferPointer { wbuf in
      let w = wbuf.baseAddress!
      // The Dense head reads the first scratch's `last`, which holds the top layer's masked h_T.
      withScratchPointers(&s) { p in
        denseBackward(
          batch: B, p, wd: w + layout.offset(.denseKernel), gd: g + layout.offset(.denseKernel),
          gbd: g + layout.offset(.denseBias))
      }
      var dh = Array(s.dh[0..<(B * H)])
      var fromAbove: [Float]? = nil
      for l in stride(from: L - 1, through: 0, by: -1) {
        if l == 0 {
          layerBackward(0, batch: B, weights: w, into: g, scratch: &s, dhLast: dh, fromAbove: fromAbove)
        } else {
          layerBackward(l, batch: B, weights: w, into: g, scratch: &s.upper[l - 1], dhLast: dh, fromAbove: fromAbove)
          fromAbove = Array(s.upper[l - 1].dInput[0..<(T * B * H)])
        }
        // Below the top, a layer's last output reaches the loss only through the layer above.
        dh = [Float](repeating: 0, count: B * H)
      }
    }
  }

  /// Layer `l`'s recurrence over the inputs in `s.x`: its gates (and the GRU's recurrent
  /// projections) and hidden states (and the LSTM's cell states) for every step, in `s`.
  func layerForward(_ l: Int, batch B: Int, weights w: FloatPointer, scratch s: inout RecurrentScratch) {
    let T = s.steps
    let D = layout.layerInputs(l)
    let H = units
    let G = layout.gateWidth
    let wx = w + layout.offset(.kernel, layer: l)
    let wh = w + layout.offset(.recurrentKernel, layer: l)
    let bias = w + layout.offset(.bias, layer: l)
    withScratchPointers(&s) { p in
      for r in 0..<(T * B) { (p.gates + r * G).update(from: bias, count: G) }
      gemmNN(m: T * B, n: G, k: D, a: p.x, lda: D, b: wx, ldb: G, c: p.gates, ldc: G, accumulate: true)
      p.h.update(repeating: 0, count: B * H)
      if cell == .lstm { p.c.update(repeating: 0, count: B * H) }
      for t in 0..<T {
        let hPrev = p.h + t * B * H
        let hNext = p.h + (t + 1) * B * H
        switch cell {
        case .lstm:
          let z = p.gates + t * B * G
          gemmNN(m: B, n: G, k: H, a: hPrev, lda: H, b: wh, ldb: G, c: z, ldc: G, accumulate: true)
          lstmCellForward(
            batch: B, units: H, z: z, cPrev: p.c + t * B * H, cNext: p.c + (t + 1) * B * H,
            tanhC: p.tanhC + t * B * H, hNext: hNext)
        case .gru:
          let q = p.recurrent + t * B * G
          for b in 0..<B { (q + b * G).update(from: bias + G, count: G) }
          gemmNN(m: B, n: G, k: H, a: hPrev, lda: H, b: wh, ldb: G, c: q, ldc: G, accumulate: true)
          gruCellForward(batch: B, units: H, a: p.gates + t * B * G, q: q, hPrev: hPrev, hNext: hNext)
        }
      }
    }
  }

  /// Layer `l` backward, after `layerForward`: `dhLast` is dLoss/dh_T from outside the layer (the
  /// Dense head's, for the top layer), `fromAbove` ([T*B, H], row t) dLoss/dh_{t+1} through the
  /// layer above. Accumulates the layer's weight gradients into `g` and, above the first layer,
  /// leaves dLoss/dx in `s.dInput`.
  func layerBackward(
    _ l: Int, batch B: Int, weights w: FloatPointer, into g: MutableFloatPointer, scratch s: inout RecurrentScratch,
    dhLast: [Float], fromAbove: [Float]?
  ) {
    let T = s.steps
    let D = layout.layerInputs(l)
    let H = units
    let G = layout.gateWidth
    let wx = w + layout.offset(.kernel, layer: l)
    let wh = w + layout.offset(.recurrentKernel, layer: l)
    let gx = g + layout.offset(.kernel, layer: l)
    let gh = g + layout.offset(.recurrentKernel, layer: l)
    let gb = g + layout.offset(.bias, layer: l)
    let lstm = cell == .lstm
    withScratchPointers(&s) { p in
      dhLast.withUnsafeBufferPointer { p.dh.update(from: $0.baseAddress!, count: B * H) }
      p.dc.update(repeating: 0, count: B * H)
      transpose(rows: H, cols: G, wh, ld: G, into: p.whT)
      for t in stride(from: T - 1, through: 0, by: -1) {
        if let fromAbove {
          for k in 0..<(B * H) { p.dh[k] += fromAbove[t * B * H + k] }
        }
        let dz = p.dz + t * B * G
        if lstm {
          lstmCellBackward(
            batch: B, units: H, acts: p.gates + t * B * G, cPrev: p.c + t * B * H, tanhC: p.tanhC + t * B * H,
            dh: p.dh, dc: p.dc, dz: dz)
          if t > 0 { gemmNN(m: B, n: H, k: G, a: dz, lda: G, b: p.whT, ldb: H, c: p.dh, ldc: H, accumulate: false) }
        } else {
          let dq = p.dRecurrent + t * B * G
          gruCellBackward(
            batch: B, units: H, acts: p.gates + t * B * G, q: p.recurrent + t * B * G, hPrev: p.h + t * B * H,
            dh: p.dh, da: dz, dq: dq, dhDirect: p.dc)
          if t > 0 {
            gemmNN(m: B, n: H, k: G, a: dq, lda: G, b: p.whT, ldb: H, c: p.dh, ldc: H, accumulate: false)
            for k in 0..<(B * H) { p.dh[k] += p.dc[k] }
          }
        }
      }
      // Weight gradients for all steps at once, as the single layer's.
      let dRecurrent = lstm ? p.dz : p.dRecurrent
      gemmTN(m: H, n: G, k: T * B, a: p.h, lda: H, b: dRecurrent, ldb: G, c: gh, ldc: G, accumulate: true)
      gemmTN(m: D, n: G, k: T * B, a: p.x, lda: D, b: p.dz, ldb: G, c: gx, ldc: G, accumulate: true)
      addColumnSums(rows: T * B, cols: G, p.dz, into: gb)
      if !lstm { addColumnSums(rows: T * B, cols: G, p.dRecurrent, into: gb + G) }
    }
    // dLoss/dx = dZ Wx^T, the layer below's output gradient.
    guard l > 0 else { return }
    s.dz.withUnsafeBufferPointer { dz in
      s.dInput.withUnsafeMutableBufferPointer { dx in
        gemmNT(
          m: T * B, n: D, k: G, a: dz.baseAddress!, lda: G, b: wx, ldb: G, c: dx.baseAddress!, ldc: D,
          accumulate: false)
      }
    }
  }
}
