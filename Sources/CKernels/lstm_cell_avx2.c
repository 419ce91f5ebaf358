// The LSTM cell (Modeling's lstmCellForward and lstmCellBackward) and Adam's step (Modeling's
// adamStep) in 8 lanes of AVX2, for processors without AVX-512 (lstm_cell.c has the 16-lane
// ones). The Swift code is 8 lanes too; in C the forward cell runs its activations inline and
// several vectors in lockstep (activations8.h), which the Swift compiler does not do. Every
// product is in the Swift code's order, unfused, so the bits are the same (tested).
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

/// `n` (a constant: 4, 2 or 1) vectors of a row's gate pre-activations from z, activated in place
/// in lockstep: the sigmoid, or tanh for the g gate.
AVX2_TILE void activate_vectors(int n, int useTanh, float *z) {
  __m256 x[LOCKSTEP_MAX];
  for (int v = 0; v < n; v++) x[v] = _mm256_loadu_ps(z + 8 * v);
  if (useTanh) tanh8n(n, x);
  else sigmoid8n(n, x);
  for (int v = 0; v < n; v++) _mm256_storeu_ps(z + 8 * v, x[v]);
}

/// `count` (a multiple of 8) consecutive gate pre-activations activated in place, four vectors
/// at a time, then two, then one.
AVX2 static inline void activate_range(int useTanh, float *z, int count) {
  int j = 0;
  for (; j + 32 <= count; j += 32) activate_vectors(4, useTanh, z + j);
  for (; j + 16 <= count; j += 16) activate_vectors(2, useTanh, z + j);
  for (; j < count; j += 8) activate_vectors(1, useTanh, z + j);
}

/// `n` (a constant: 4, 2 or 1) vectors of one row's units from u: c = f c_prev + i g,
/// h = o tanh(c), the tanh in lockstep. z holds the row's activations.
AVX2_TILE void state_vectors(int n, int H, const float *z, const float *cPrev, float *cNext, float *tanhC,
                             float *hNext, int u) {
  __m256 c[LOCKSTEP_MAX], tc[LOCKSTEP_MAX];
  for (int v = 0; v < n; v++) {
    int q = u + 8 * v;
    __m256 i = _mm256_loadu_ps(z + q), f = _mm256_loadu_ps(z + H + q), g = _mm256_loadu_ps(z + 2 * H + q);
    c[v] = add8(mul8(f, _mm256_loadu_ps(cPrev + q)), mul8(i, g));
    tc[v] = c[v];
  }
  tanh8n(n, tc);
  for (int v = 0; v < n; v++) {
    int q = u + 8 * v;
    _mm256_storeu_ps(cNext + q, c[v]);
    if (tanhC) _mm256_storeu_ps(tanhC + q, tc[v]);
    _mm256_storeu_ps(hNext + q, mul8(_mm256_loadu_ps(z + 3 * H + q), tc[v]));
  }
}

/// The cell for H a multiple of 8, no lane masked: first every row's gates activated in place
/// (i and f, adjacent, as one range), then every row's state, each in lockstep runs of four
/// vectors. The same operations on each element as units8.
AVX2 static void cell_lockstep(int batch, int H, float *z, const float *cPrev, float *cNext, float *tanhC,
                               float *hNext) {
  int G = 4 * H;
  for (int b = 0; b < batch; b++) {
    float *zr = z + (long)b * G;
    activate_range(0, zr, 2 * H);
    activate_range(1, zr + 2 * H, H);
    activate_range(0, zr + 3 * H, H);
  }
  for (int b = 0; b < batch; b++) {
    const float *zr = z + (long)b * G, *cp = cPrev + (long)b * H;
    float *cn = cNext + (long)b * H, *tcr = tanhC ? tanhC + (long)b * H : 0, *hn = hNext + (long)b * H;
    int u = 0;
    for (; u + 32 <= H; u += 32) state_vectors(4, H, zr, cp, cn, tcr, hn, u);
    for (; u + 16 <= H; u += 16) state_vectors(2, H, zr, cp, cn, tcr, hn, u);
    for (; u < H; u += 8) state_vectors(1, H, zr, cp, cn, tcr, hn, u);
  }
}

/// H a multiple of 8 runs in lockstep; otherwise the groups of 8 units (the last masked) go two
/// at a time.
AVX2 void tc_avx2_lstm_cell(int batch, int H, float *z, const float *cPrev, float *cNext, float *tanhC,
                            float *hNext) {
  if (H % 8 == 0) return cell_lockstep(batch, H, z, cPrev, cNext, tanhC, hNext);
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
