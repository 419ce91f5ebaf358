// The GRU's forward and backward passes (Keras' GRU with reset_after=True, its default), in the
// same layout as the LSTM's: a time-major scratch, one GEMM for every step's input projection,
// one per step for the recurrent projection, and every weight gradient as one product at the end.
//
//   a = x Wx + b_in                 (all steps at once)
//   q = h_{t-1} Wh + b_rec          (per step; kept, since the candidate needs r * q_h)
//   z = s(a_z + q_z)   r = s(a_r + q_r)   n = tanh(a_h + r * q_h)
//   h_t = z * h_{t-1} + (1 - z) * n
//
// Backward, with dh = dL/dh_t:
//   dn = dh (1 - z)(1 - n^2)      dz = dh (h_{t-1} - n) z (1 - z)      dr = dn q_h r (1 - r)
//   dL/da = [dz, dr, dn]          dL/dq = [dz, dr, dn r]
//   dL/dh_{t-1} = dh z + (dL/dq) Wh^T

import NumericCore

extension RecurrentForecaster {
  func gruForward(batch B: Int, scratch s: inout RecurrentScratch) {
    let T = s.steps
    let D = inputSize
    let H = units
    let G = 3 * H
    let l = layout
    weights.values.withUnsafeBufferPointer { wbuf in
      let w = wbuf.baseAddress!
      let wx = w + l.offset(.kernel)
      let wh = w + l.offset(.recurrentKernel)
      let inputBias = w + l.offset(.bias)
      let recurrentBias = inputBias + G
      let wd = w + l.offset(.denseKernel)
      let bd = w + l.offset(.denseBias)
      withScratchPointers(&s) { p in
        for r in 0..<(T * B) { (p.gates + r * G).update(from: inputBias, count: G) }
        gemmNN(m: T * B, n: G, k: D, a: p.x, lda: D, b: wx, ldb: G, c: p.gates, ldc: G, accumulate: true)
        p.h.update(repeating: 0, count: B * H)
        for t in 0..<T {
          let a = p.gates + t * B * G
          let q = p.recurrent + t * B * G
          let hPrev = p.h + t * B * H
          let hNext = p.h + (t + 1) * B * H
          for b in 0..<B { (q + b * G).update(from: recurrentBias, count: G) }
          gemmNN(m: B, n: G, k: H, a: hPrev, lda: H, b: wh, ldb: G, c: q, ldc: G, accumulate: true)
          gruCellForward(batch: B, units: H, a: a, q: q, hPrev: hPrev, hNext: hNext)
        }
        denseForward(batch: B, hT: p.h + T * B * H, p, wd: wd, bd: bd)
      }
    }
  }

  func gruBackward(batch B: Int, scratch s: inout RecurrentScratch, into g: MutableFloatPointer) {
    let T = s.steps
    let D = inputSize
    let H = units
    let G = 3 * H
    let l = layout
    weights.values.withUnsafeBufferPointer { wbuf in
      let w = wbuf.baseAddress!
      let wh = w + l.offset(.recurrentKernel)
      let wd = w + l.offset(.denseKernel)
      let gx = g + l.offset(.kernel)
      let gh = g + l.offset(.recurrentKernel)
      let gInputBias = g + l.offset(.bias)
      let gRecurrentBias = gInputBias + G
      let gd = g + l.offset(.denseKernel)
      let gbd = g + l.offset(.denseBias)
      withScratchPointers(&s) { p in
        denseBackward(batch: B, p, wd: wd, gd: gd, gbd: gbd)
        transpose(rows: H, cols: G, wh, ld: G, into: p.whT)
        for t in stride(from: T - 1, through: 0, by: -1) {
          gruCellBackward(
            batch: B, units: H, acts: p.gates + t * B * G, q: p.recurrent + t * B * G, hPrev: p.h + t * B * H,
            dh: p.dh, da: p.dz + t * B * G, dq: p.dRecurrent + t * B * G, dhDirect: p.dc)
          if t > 0 {
            // dh_{t-1} = dh z + dq Wh^T
            gemmNN(
              m: B, n: H, k: G, a: p.dRecurrent + t * B * G, lda: G, b: p.whT, ldb: H, c: p.dh, ldc: H,
              accumulate: false)
            for k in 0..<(B * H) { p.dh[k] += p.dc[k] }
          }
        }
        // dWh += H_{0..T-1}^T dQ, dWx += X^T dA, the biases the column sums of dA and dQ.
        gemmTN(m: H, n: G, k: T * B, a: p.h, lda: H, b: p.dRecurrent, ldb: G, c: gh, ldc: G, accumulate: true)
        gemmTN(m: D, n: G, k: T * B, a: p.x, lda: D, b: p.dz, ldb: G, c: gx, ldc: G, accumulate: true)
        addColumnSums(rows: T * B, cols: G, p.dz, into: gInputBias)
        addColumnSums(rows: T * B, cols: G, p.dRecurrent, into: gRecurrentBias)
      }
    }
  }
}

/// One GRU step for B rows: reads the input projection `a` and the recurrent projection `q`,
/// overwrites `a` with the activations z, r, n (backward reads them) and writes h_t.
@inline(__always)
public func gruCellForward(
  batch B: Int, units H: Int, a: MutableFloatPointer, q: FloatPointer, hPrev: FloatPointer,
  hNext: MutableFloatPointer
) {
  let G = 3 * H
  for b in 0..<B {
    let ar = a + b * G
    let qr = q + b * G
    let hp = hPrev + b * H
    let hn = hNext + b * H
    for j in 0..<H {
      let z = sigmoidFast(ar[j] + qr[j])
      let r = sigmoidFast(ar[H + j] + qr[H + j])
      let n = tanhFast(ar[2 * H + j] + r * qr[2 * H + j])
      ar[j] = z
      ar[H + j] = r
      ar[2 * H + j] = n
      hn[j] = z * hp[j] + (1 - z) * n
    }
  }
}

/// One GRU step backward: from dh = dL/dh_t, the gradients of the input projection (`da`) and
/// of the recurrent projection (`dq`), and `dhDirect` = dh z, the part of dL/dh_{t-1} that
/// bypasses Wh.
@inline(__always)
public func gruCellBackward(
  batch B: Int, units H: Int, acts: FloatPointer, q: FloatPointer, hPrev: FloatPointer, dh: FloatPointer,
  da: MutableFloatPointer, dq: MutableFloatPointer, dhDirect: MutableFloatPointer
) {
  let G = 3 * H
  for b in 0..<B {
    let ac = acts + b * G
    let qr = q + b * G
    let dar = da + b * G
    let dqr = dq + b * G
    for j in 0..<H {
      let z = ac[j]
      let r = ac[H + j]
      let n = ac[2 * H + j]
      let d = dh[b * H + j]
      let dn = d * (1 - z) * tanhDerivative(output: n)
      let dz = d * (hPrev[b * H + j] - n) * sigmoidDerivative(output: z)
      let dr = dn * qr[2 * H + j] * sigmoidDerivative(output: r)
      dar[j] = dz
      dar[H + j] = dr
      dar[2 * H + j] = dn
      dqr[j] = dz
      dqr[H + j] = dr
      dqr[2 * H + j] = dn * r
      dhDirect[b * H + j] = d * z
    }
  }
}
