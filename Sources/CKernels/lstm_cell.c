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

void tc_avx512_lstm_cell(int batch, int units, float *z, const float *cPrev, float *cNext, float *tanhC, float *hNext) {
  cell16(batch, units, z, cPrev, cNext, tanhC, hNext);
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
