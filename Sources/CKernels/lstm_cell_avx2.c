// The LSTM cell (Modeling's lstmCellForward and lstmCellBackward) and Adam's step (Modeling's
// adamStep) in 8 lanes of AVX2, for processors without AVX-512 (lstm_cell.c has the 16-lane
// ones). The Swift code is 8 lanes too; in C the forward cell runs two groups side by side and
// its activations inline, which the Swift compiler does not do. Every product is in the Swift
// code's order, unfused, so the bits are the same (tested).
#include "kernels_avx2.h"

#if defined(__x86_64__) && defined(__clang__)
#include "activations8.h"

int tc_avx2(void) { return avx2_supported(); }

/// Group k of the step is row k / groups, units 8 (k % groups) ...; they go two at a time.
AVX2 static inline cell_group8 group8(int H, int groups, float *z, const float *cPrev, float *cNext, float *tanhC,
                                      float *hNext, int k) {
  int b = k / groups;
  cell_group8 g = {z + b * 4 * H, cPrev + b * H, cNext + b * H, tanhC ? tanhC + b * H : 0, hNext + b * H,
                   8 * (k % groups)};
  return g;
}

AVX2 void tc_avx2_lstm_cell(int batch, int H, float *z, const float *cPrev, float *cNext, float *tanhC,
                            float *hNext) {
  int groups = (H + 7) / 8, count = batch * groups, k = 0;
  for (; k + 1 < count; k += 2)
    units8_pair(H, group8(H, groups, z, cPrev, cNext, tanhC, hNext, k),
                group8(H, groups, z, cPrev, cNext, tanhC, hNext, k + 1));
  if (k < count) units8(H, group8(H, groups, z, cPrev, cNext, tanhC, hNext, k));
}

AVX2 void tc_avx2_lstm_cell_backward(int batch, int H, const float *acts, const float *cPrev, const float *tanhC,
                                     const float *dh, float *dc, float *dz) {
  int G = 4 * H;
  __m256 one = k8(1);
  for (int b = 0; b < batch; b++) {
    const float *a = acts + b * G;
    float *d = dz + b * G;
    int row = b * H;
    for (int j = 0; j < H; j += 8) {
      lanes8_t m = lanes8(H, j);
      __m256 i = load8(m, a + j), f = load8(m, a + H + j), g = load8(m, a + 2 * H + j);
      __m256 o = load8(m, a + 3 * H + j);
      __m256 tc = load8(m, tanhC + row + j), dhj = load8(m, dh + row + j);
      __m256 dcTotal = add8(load8(m, dc + row + j), mul8(mul8(dhj, o), sub8(one, mul8(tc, tc))));
      store8(m, d + j, mul8(mul8(dcTotal, g), mul8(i, sub8(one, i))));
      store8(m, d + H + j, mul8(mul8(dcTotal, load8(m, cPrev + row + j)), mul8(f, sub8(one, f))));
      store8(m, d + 2 * H + j, mul8(mul8(dcTotal, i), sub8(one, mul8(g, g))));
      store8(m, d + 3 * H + j, mul8(mul8(dhj, tc), mul8(o, sub8(one, o))));
      store8(m, dc + row + j, mul8(dcTotal, f));
    }
  }
}

AVX2 void tc_avx2_adam(const float *g, int n, int shards, const float *mask, float *m, float *v, const float *w,
                       float *out, int lo, int hi, float alpha, float b1c, float b2c, float eps) {
  for (int j = lo; j < hi; j += 8) {
    lanes8_t lane = lanes8(hi, j);
    __m256 grad = load8(lane, g + j);
    for (int s = 1; s < shards; s++) grad = add8(grad, load8(lane, g + (long)s * n + j));
    __m256 mv = load8(lane, m + j), vv = load8(lane, v + j);
    mv = add8(mv, mul8(sub8(grad, mv), k8(b1c)));
    vv = add8(vv, mul8(sub8(mul8(grad, grad), vv), k8(b2c)));
    __m256 step = _mm256_div_ps(mul8(mv, k8(alpha)), add8(_mm256_sqrt_ps(vv), k8(eps)));
    __m256 wv = sub8(load8(lane, w + j), step);
    if (mask) wv = mul8(wv, load8(lane, mask + j));
    store8(lane, m + j, mv);
    store8(lane, v + j, vv);
    store8(lane, out + j, wv);
  }
}
#else
int tc_avx2(void) { return 0; }
#endif
