// A float LSTM's 14 steps for one window (Modeling's RecurrentForecaster.forward at batch 1, the
// latency path) in one call, for processors with AVX-512. Each gate pre-activation is the chain
// the batched forward computes, bias, then one FMA per input, then one per hidden unit in
// increasing order, held in registers 256 columns at a time; the cell is activations16.h's.
// So the forecast is the same bits (tested).
#include "CKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#include "activations16.h"

AVX512 static void window(int T, int D, int H, const float *x, const float *wx, const float *wh, const float *bias,
                          float *c, float *h) {
  int G = 4 * H;
  float z[4 * TC_LSTM_WINDOW_MAX_UNITS] __attribute__((aligned(64)));
  for (int j = 0; j < H; j++) { c[j] = 0; h[j] = 0; }
  for (int t = 0; t < T; t++) {
    const float *xt = x + t * D;
    int j = 0;
    // Sixteen registers, sixteen independent chains: enough to hide the FMA latency.
    for (; j + 256 <= G; j += 256) {
      __m512 a[16];
      for (int v = 0; v < 16; v++) a[v] = _mm512_loadu_ps(bias + j + 16 * v);
      for (int d = 0; d < D; d++) {
        __m512 s = _mm512_set1_ps(xt[d]);
        for (int v = 0; v < 16; v++) a[v] = _mm512_fmadd_ps(s, _mm512_loadu_ps(wx + d * G + j + 16 * v), a[v]);
      }
      for (int k = 0; k < H; k++) {
        __m512 s = _mm512_set1_ps(h[k]);
        const float *w = wh + k * G + j;
        for (int v = 0; v < 16; v++) a[v] = _mm512_fmadd_ps(s, _mm512_loadu_ps(w + 16 * v), a[v]);
      }
      for (int v = 0; v < 16; v++) _mm512_storeu_ps(z + j + 16 * v, a[v]);
    }
    for (; j < G; j += 16) {
      __mmask16 m = lanes(G, j);
      __m512 a = load16(m, bias + j);
      for (int d = 0; d < D; d++) a = _mm512_fmadd_ps(_mm512_set1_ps(xt[d]), load16(m, wx + d * G + j), a);
      for (int k = 0; k < H; k++) a = _mm512_fmadd_ps(_mm512_set1_ps(h[k]), load16(m, wh + k * G + j), a);
      store16(m, z + j, a);
    }
    int u = 0;
    for (; u + 16 < H; u += 32) {
      cell_group16 a = {z, c, c, NULL, h, u}, b = {z, c, c, NULL, h, u + 16};
      units16_pair(H, a, b);
    }
    if (u < H) units16(H, z, c, c, NULL, h, u);
  }
}

int tc_lstm_window_avx512(int steps, int inputs, int units, const float *x, const float *wx, const float *wh,
                          const float *bias, float *c, float *h) {
  if (units > TC_LSTM_WINDOW_MAX_UNITS) return 0;
  if (!avx512dq_supported()) return 0;
  window(steps, inputs, units, x, wx, wh, bias, c, h);
  return 1;
}
#else
int tc_lstm_window_avx512(int steps, int inputs, int units, const float *x, const float *wx, const float *wh,
                          const float *bias, float *c, float *h) {
  (void)steps; (void)inputs; (void)units; (void)x; (void)wx; (void)wh; (void)bias; (void)c; (void)h;
  return 0;
}
#endif
