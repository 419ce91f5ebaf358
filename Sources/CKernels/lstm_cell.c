// The LSTM cell in 16 lanes (Modeling's lstmCellForward and lstmCellBackward), and Adam's step
// (Modeling's adamStep). The formulas and their accuracy are documented beside the Swift
// originals (NumericCore/Activations.swift); activations16.h is their exact transcription, and
// the products here are in the Swift code's order, unfused, so results agree to the bit (tested).
#include "kernels_avx512.h"

#if defined(__x86_64__) && defined(__clang__)
#include "activations16.h"

/// Group k of the step is row k / groups, units 16 (k % groups) ...; they go two at a time.
AVX512 static inline cell_group16 group16(int H, int groups, float *z, const float *cPrev, float *cNext, float *tanhC,
                                          float *hNext, int k) {
  int b = k / groups;
  cell_group16 g = {z + b * 4 * H, cPrev + b * H, cNext + b * H, tanhC ? tanhC + b * H : 0, hNext + b * H,
                    16 * (k % groups)};
  return g;
}

AVX512 static void cell16(int batch, int H, float *z, const float *cPrev, float *cNext, float *tanhC, float *hNext) {
  int groups = (H + 15) / 16, count = batch * groups, k = 0;
  for (; k + 1 < count; k += 2)
    units16_pair(H, group16(H, groups, z, cPrev, cNext, tanhC, hNext, k),
                 group16(H, groups, z, cPrev, cNext, tanhC, hNext, k + 1));
  if (k < count) {
    cell_group16 g = group16(H, groups, z, cPrev, cNext, tanhC, hNext, k);
    units16(H, g.z, g.cPrev, g.cNext, g.tanhC, g.hNext, g.j);
  }
}

/// `n` (a constant: 4, 2 or 1) vectors of a row's gate pre-activations from z, activated in place
/// in lockstep: the sigmoid, or tanh for the g gate.
AVX512_TILE void activate_vectors16(int n, int useTanh, float *z) {
  __m512 x[LOCKSTEP16_MAX];
  for (int v = 0; v < n; v++) x[v] = _mm512_loadu_ps(z + 16 * v);
  if (useTanh) tanh16n(n, x);
  else sigmoid16n(n, x);
  for (int v = 0; v < n; v++) _mm512_storeu_ps(z + 16 * v, x[v]);
}

/// `count` (a multiple of 16) consecutive gate pre-activations activated in place, four vectors
/// at a time, then two, then one.
AVX512 static inline void activate_range16(int useTanh, float *z, int count) {
  int j = 0;
  for (; j + 64 <= count; j += 64) activate_vectors16(4, useTanh, z + j);
  for (; j + 32 <= count; j += 32) activate_vectors16(2, useTanh, z + j);
  for (; j < count; j += 16) activate_vectors16(1, useTanh, z + j);
}

/// `n` (a constant: 4, 2 or 1) vectors of one row's units from u: c = f c_prev + i g,
/// h = o tanh(c), the tanh in lockstep. z holds the row's activations.
AVX512_TILE void state_vectors16(int n, int H, const float *z, const float *cPrev, float *cNext, float *tanhC,
                                 float *hNext, int u) {
  __m512 c[LOCKSTEP16_MAX], tc[LOCKSTEP16_MAX];
  for (int v = 0; v < n; v++) {
    int q = u + 16 * v;
    __m512 i = _mm512_loadu_ps(z + q), f = _mm512_loadu_ps(z + H + q), g = _mm512_loadu_ps(z + 2 * H + q);
    c[v] = add(mul(f, _mm512_loadu_ps(cPrev + q)), mul(i, g));
    tc[v] = c[v];
  }
  tanh16n(n, tc);
  for (int v = 0; v < n; v++) {
    int q = u + 16 * v;
    _mm512_storeu_ps(cNext + q, c[v]);
    if (tanhC) _mm512_storeu_ps(tanhC + q, tc[v]);
    _mm512_storeu_ps(hNext + q, mul(_mm512_loadu_ps(z + 3 * H + q), tc[v]));
  }
}

/// The cell for H a multiple of 16, no lane masked, as the AVX2 cell's lockstep path
/// (lstm_cell_avx2.c): first every row's gates activated in place (i and f, adjacent, as one
/// range), then every row's state, each in lockstep runs of four vectors. The same operations on
/// each element as units16.
AVX512 static void cell_lockstep16(int batch, int H, float *z, const float *cPrev, float *cNext, float *tanhC,
                                   float *hNext) {
  int G = 4 * H;
  for (int b = 0; b < batch; b++) {
    float *zr = z + (long)b * G;
    activate_range16(0, zr, 2 * H);
    activate_range16(1, zr + 2 * H, H);
    activate_range16(0, zr + 3 * H, H);
  }
  for (int b = 0; b < batch; b++) {
    const float *zr = z + (long)b * G, *cp = cPrev + (long)b * H;
    float *cn = cNext + (long)b * H, *tcr = tanhC ? tanhC + (long)b * H : 0, *hn = hNext + (long)b * H;
    int u = 0;
    for (; u + 64 <= H; u += 64) state_vectors16(4, H, zr, cp, cn, tcr, hn, u);
    for (; u + 32 <= H; u += 32) state_vectors16(2, H, zr, cp, cn, tcr, hn, u);
    for (; u < H; u += 16) state_vectors16(1, H, zr, cp, cn, tcr, hn, u);
  }
}

/// H a multiple of 16 runs in lockstep; otherwise the groups of 16 units (the last masked) go two
/// at a time.
void tc_avx512_lstm_cell(int batch, int units, float *z, const float *cPrev, float *cNext, float *tanhC, float *hNext) {
  if (units % 16 == 0) cell_lockstep16(batch, units, z, cPrev, cNext, tanhC, hNext);
  else cell16(batch, units, z, cPrev, cNext, tanhC, hNext);
}

// The backward step of lstmCellBackward, each product in the order the Swift code writes it.
AVX512 static void backward16(int batch, int H, const float *acts, const float *cPrev, const float *tanhC,
                              const float *dh, float *dc, float *dz) {
  int G = 4 * H;
  __m512 one = k(1);
  for (int b = 0; b < batch; b++) {
    const float *a = acts + b * G;
    float *d = dz + b * G;
    int row = b * H;
    for (int j = 0; j < H; j += 16) {
      __mmask16 m = lanes(H, j);
      __m512 i = load16(m, a + j), f = load16(m, a + H + j), g = load16(m, a + 2 * H + j);
      __m512 o = load16(m, a + 3 * H + j);
      __m512 tc = load16(m, tanhC + row + j), dhj = load16(m, dh + row + j);
      __m512 dcTotal = add(load16(m, dc + row + j), mul(mul(dhj, o), sub(one, mul(tc, tc))));
      store16(m, d + j, mul(mul(dcTotal, g), mul(i, sub(one, i))));
      store16(m, d + H + j, mul(mul(dcTotal, load16(m, cPrev + row + j)), mul(f, sub(one, f))));
      store16(m, d + 2 * H + j, mul(mul(dcTotal, i), sub(one, mul(g, g))));
      store16(m, d + 3 * H + j, mul(mul(dhj, tc), mul(o, sub(one, o))));
      store16(m, dc + row + j, mul(dcTotal, f));
    }
  }
}

void tc_avx512_lstm_cell_backward(int batch, int units, const float *acts, const float *cPrev, const float *tanhC,
                                  const float *dh, float *dc, float *dz) {
  backward16(batch, units, acts, cPrev, tanhC, dh, dc, dz);
}

// Adam's step over elements [lo, hi), as Modeling's adamStep (Adam.swift) writes it.
AVX512 static void adam16(const float *g, int n, int shards, const float *mask, float *m, float *v, const float *w,
                          float *out, int lo, int hi, float alpha, float b1c, float b2c, float eps) {
  for (int j = lo; j < hi; j += 16) {
    __mmask16 lane = lanes(hi, j);
    __m512 grad = load16(lane, g + j);
    for (int s = 1; s < shards; s++) grad = add(grad, load16(lane, g + (long)s * n + j));
    __m512 mv = load16(lane, m + j), vv = load16(lane, v + j);
    mv = add(mv, mul(sub(grad, mv), k(b1c)));
    vv = add(vv, mul(sub(mul(grad, grad), vv), k(b2c)));
    __m512 step = _mm512_div_ps(mul(mv, k(alpha)), add(_mm512_sqrt_ps(vv), k(eps)));
    __m512 wv = sub(load16(lane, w + j), step);
    if (mask) wv = mul(wv, load16(lane, mask + j));
    store16(lane, m + j, mv);
    store16(lane, v + j, vv);
    store16(lane, out + j, wv);
  }
}

void tc_avx512_adam(const float *g, int n, int shards, const float *mask, float *m, float *v, const float *w,
                    float *out, int lo, int hi, float alpha, float b1c, float b2c, float eps) {
  adam16(g, n, shards, mask, m, v, w, out, lo, hi, alpha, b1c, b2c, eps);
}
#endif
