// The integer LSTM's steps (Compression's QuantizedRecurrent.forward) in one call per batch, for
// processors with AVX-512 VNNI. A forecast is 14 steps that each wait for the one before, so its
// time is the length of that chain: here the hidden state goes from the cell to the next step's
// int8 product without leaving the kernel (quantized and offset to bytes, which int8_vnni.h's
// product broadcasts four at a time), and the input's part of the next step is computed while
// the cell's chain drains. Integer sums are exact in any order, and every float operation is the
// Swift code's, in its order, so the results are the same bits (tested).
#include "CKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#include "tanh_table16.h"
#include "int8_vnni.h"
#include <math.h>

/// Swift's quantizeSymmetric: round half away from zero (roundf), clamp to [-127, 127].
static inline float quantize_symmetric(float x, float inverse_scale) {
  float r = roundf(x * inverse_scale);
  return fmaxf(-127.0f, fminf(127.0f, r));
}

/// Lanes j..j+15 of h as the bytes q + 128 of quantizeHidden's q = round(127 h) (ties away from
/// zero, clamped to +-127), written to `bytes + j`; lanes past H are not written.
VNNI static inline void hidden_bytes16(int H, const float *h, uint8_t *bytes, int j) {
  __mmask16 m = lanes(H, j);
  __m512 v = mul(load16(m, h + j), k(127.0f));
  v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, k(127.0f), _CMP_GT_OQ), k(127.0f));
  v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, k(-127.0f), _CMP_LT_OQ), k(-127.0f));
  __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC), d = sub(v, t);
  __m512 q = _mm512_mask_mov_ps(t, _mm512_cmp_ps_mask(d, k(0.5f), _CMP_GE_OQ), add(t, k(1.0f)));
  q = _mm512_mask_mov_ps(q, _mm512_cmp_ps_mask(d, k(-0.5f), _CMP_LE_OQ), sub(t, k(1.0f)));
  __m512i b = _mm512_add_epi32(_mm512_cvtps_epi32(q), _mm512_set1_epi32(128));
  __m128i q8 = _mm512_cvtepi32_epi8(b);
  if (m == 0xFFFF) _mm_storeu_si128((__m128i *)(void *)(bytes + j), q8); else _mm_mask_storeu_epi8(bytes + j, m, q8);
}

/// zx = b + (s_x s_Wx) acc_x for one step's inputs xt [D]: the part of z that does not wait for
/// h. acc_x is gemmNN's chain over the inputs from +0; the rest is the Swift code's order.
VNNI static inline void input_part(int D, int G, const float *xt, const float *wx, const float *bias, const float *ks,
                                   float *qx, float *zx) {
  float mx = 0;
  for (int d = 0; d < D; d++) mx = fmaxf(mx, fabsf(xt[d]));
  float scale = mx > 0 ? mx / 127 : 1, inverse = 1 / scale;
  for (int d = 0; d < D; d++) qx[d] = quantize_symmetric(xt[d], inverse);
  __m512 xs = k(scale);
  for (int j = 0; j < G; j += 16) {
    __mmask16 m = lanes(G, j);
    __m512 ax = _mm512_setzero_ps();
    for (int d = 0; d < D; d++) ax = _mm512_fmadd_ps(k(qx[d]), load16(m, wx + d * G + j), ax);
    store16(m, zx + j, add(load16(m, bias + j), mul(mul(xs, load16(m, ks + j)), ax)));
  }
}

VNNI static void windows_vnni(int T, int B, int D, int H, const float *x, const float *wx, const int8_t *packed,
                              const int32_t *offset, const float *bias, const float *ks, const float *hs,
                              float *c, float *h) {
  int G = 4 * H, groups = (H + 3) / 4;
  float z[4 * TC_INT8_LSTM_MAX_UNITS] __attribute__((aligned(64)));
  float zx[4 * TC_INT8_LSTM_MAX_UNITS] __attribute__((aligned(64)));
  float acc[4 * TC_INT8_LSTM_MAX_UNITS] __attribute__((aligned(64)));
  float qx[TC_INT8_LSTM_MAX_INPUTS];
  uint8_t bytes[TC_INT8_LSTM_MAX_UNITS + 4] __attribute__((aligned(64)));
  uint32_t *words = (uint32_t *)(void *)bytes;
  for (int b = 0; b < B; b++) {
    float *cb = c + b * H, *hb = h + b * H;
    for (int j = 0; j < H; j++) { cb[j] = 0; hb[j] = 0; }
    // h = 0 is q = 0, the byte 128; so are the rows past H that pad the last group of four.
    // (Written as words, the width they are read at, so the reads can take them from the store buffer.)
    for (int g = 0; g < groups; g++) words[g] = 0x80808080u;
    input_part(D, G, x + b * D, wx, bias, ks, qx, zx);
    for (int t = 0; t < T; t++) {
      // z = zx + (s_Wh / 127) acc_h, acc_h the int8 product of the hidden bytes, exact.
      vnni_product(groups, G, words, packed, offset, acc);
      for (int j = 0; j < G; j += 16) {
        __mmask16 m = lanes(G, j);
        store16(m, z + j, add(load16(m, zx + j), mul(load16(m, hs + j), load16(m, acc + j))));
      }
      // The next step's input part does not wait for this step's cell: placed before the cell,
      // it runs while the cell's chain of dependent operations drains.
      if (t + 1 < T) input_part(D, G, x + ((t + 1) * B + b) * D, wx, bias, ks, qx, zx);
      for (int u = 0; u < H; u += 16) units16_table(H, z, cb, hb, u);
      for (int u = 0; u < H; u += 16) hidden_bytes16(H, hb, bytes, u);
    }
  }
}

VNNI static void hidden_bytes_all(int n, const float *h, uint8_t *bytes) {
  for (int j = 0; j < n; j += 16) hidden_bytes16(n, h, bytes, j);
}

int tc_int8_hidden_bytes(int n, const float *h, uint8_t *bytes) {
  if (!vnni_supported()) return 0;
  hidden_bytes_all(n, h, bytes);
  return 1;
}

VNNI static void table_activations_all(int n, const float *x, float *tanh_out, float *sigmoid_out) {
  for (int j = 0; j < n; j += 16) {
    __mmask16 m = lanes(n, j);
    __m512 v = load16(m, x + j);
    store16(m, tanh_out + j, tanh_table16(v));
    store16(m, sigmoid_out + j, sigmoid_table16(v));
  }
}

int tc_table_activations16(int n, const float *x, float *tanh_out, float *sigmoid_out) {
  if (!vnni_supported()) return 0;
  table_activations_all(n, x, tanh_out, sigmoid_out);
  return 1;
}

int tc_int8_lstm_forward(int steps, int batch, int inputs, int units, const float *x, const float *wx,
                         const int8_t *packed, const int32_t *offset, const float *bias, const float *kernelScales,
                         const float *hiddenScales, float *c, float *h) {
  if (units > TC_INT8_LSTM_MAX_UNITS || inputs > TC_INT8_LSTM_MAX_INPUTS) return 0;
  if (!vnni_supported()) return 0;
  windows_vnni(steps, batch, inputs, units, x, wx, packed, offset, bias, kernelScales, hiddenScales, c, h);
  return 1;
}
#else
int tc_int8_hidden_bytes(int n, const float *h, uint8_t *bytes) { (void)n; (void)h; (void)bytes; return 0; }
int tc_table_activations16(int n, const float *x, float *tanh_out, float *sigmoid_out) {
  (void)n; (void)x; (void)tanh_out; (void)sigmoid_out;
  return 0;
}
int tc_int8_lstm_forward(int steps, int batch, int inputs, int units, const float *x, const float *wx,
                         const int8_t *packed, const int32_t *offset, const float *bias, const float *kernelScales,
                         const float *hiddenScales, float *c, float *h) {
  (void)steps; (void)batch; (void)inputs; (void)units; (void)x; (void)wx; (void)packed; (void)offset;
  (void)bias; (void)kernelScales; (void)hiddenScales; (void)c; (void)h;
  return 0;
}
#endif
