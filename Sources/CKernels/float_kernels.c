// The public entry points of the float kernels (CKernels.h): each runs the widest version the
// processor has and the caller allows, AVX-512 (16 lanes, gemm.c and lstm_cell.c) or AVX2 with
// FMA (8 lanes, gemm_avx2.c and lstm_cell_avx2.c), and returns the width that ran; 0 leaves the
// work to the caller's Swift code. All of them give the same bits (tested at every width the
// processor runs), so the choice changes only the speed.
#include "CKernels.h"
#include "kernels_avx2.h"
#include "kernels_avx512.h"

#if defined(__x86_64__) && defined(__clang__)
#include "isa512.h"

int tc_avx512(void) { return avx512dq_supported(); }

int tc_widest(void) { return tc_avx512() ? TC_AVX512 : tc_avx2() ? TC_AVX2 : TC_PORTABLE; }

/// The width to run under `limit` (the processor description is read once by the runtime; these
/// checks are a few loads).
static int width(int limit) {
  if (limit >= TC_AVX512 && tc_avx512()) return TC_AVX512;
  if (limit >= TC_AVX2 && tc_avx2()) return TC_AVX2;
  return TC_PORTABLE;
}

int tc_gemm_nn(int limit, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
               int accumulate) {
  int run = width(limit);
  if (run == TC_AVX512) tc_avx512_gemm(m, n, k, a, lda, 1, b, ldb, c, ldc, accumulate);
  if (run == TC_AVX2) tc_avx2_gemm(m, n, k, a, lda, 1, b, ldb, c, ldc, accumulate);
  return run;
}

int tc_gemm_tn(int limit, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
               int accumulate) {
  int run = width(limit);
  if (run == TC_AVX512) tc_avx512_gemm(m, n, k, a, 1, lda, b, ldb, c, ldc, accumulate);
  if (run == TC_AVX2) tc_avx2_gemm(m, n, k, a, 1, lda, b, ldb, c, ldc, accumulate);
  return run;
}

int tc_lstm_gates(int limit, int batch, int inputs, int units, const float *x, const float *h, const float *wx,
                  const float *wh, const float *bias, const float *packed, float *z) {
  int run = width(limit);
  if (run == TC_AVX512) tc_avx512_lstm_gates(batch, inputs, units, x, h, wx, wh, bias, z);
  if (run == TC_AVX2) tc_avx2_lstm_gates(batch, inputs, units, x, h, wx, wh, bias, packed, z);
  return run;
}

int tc_lstm_cell(int limit, int batch, int units, float *z, const float *cPrev, float *cNext, float *tanhC,
                 float *hNext) {
  int run = width(limit);
  if (run == TC_AVX512) tc_avx512_lstm_cell(batch, units, z, cPrev, cNext, tanhC, hNext);
  if (run == TC_AVX2) tc_avx2_lstm_cell(batch, units, z, cPrev, cNext, tanhC, hNext);
  return run;
}

int tc_lstm_cell_backward(int limit, int batch, int units, const float *acts, const float *cPrev,
                          const float *tanhC, const float *dh, float *dc, float *dz) {
  int run = width(limit);
  if (run == TC_AVX512) tc_avx512_lstm_cell_backward(batch, units, acts, cPrev, tanhC, dh, dc, dz);
  if (run == TC_AVX2) tc_avx2_lstm_cell_backward(batch, units, acts, cPrev, tanhC, dh, dc, dz);
  return run;
}

int tc_adam(int limit, const float *g, int n, int shards, const float *mask, float *m, float *v, const float *w,
            float *out, int lo, int hi, float alpha, float b1c, float b2c, float eps) {
  int run = width(limit);
  if (run == TC_AVX512) tc_avx512_adam(g, n, shards, mask, m, v, w, out, lo, hi, alpha, b1c, b2c, eps);
  if (run == TC_AVX2) tc_avx2_adam(g, n, shards, mask, m, v, w, out, lo, hi, alpha, b1c, b2c, eps);
  return run;
}

/// The integer cell and table activations come in 8 lanes only (with AVX-512 VNNI the integer
/// window runs whole in int8_lstm.c, with its own 16-lane cell): AVX2 wherever the limit allows it.
int tc_integer_cell(int limit, int batch, int units, const float *z, float *c, float *h) {
  if (width(limit) < TC_AVX2) return TC_PORTABLE;
  tc_avx2_integer_cell(batch, units, z, c, h);
  return TC_AVX2;
}

int tc_table_activations(int limit, int n, const float *x, float *tanh_out, float *sigmoid_out) {
  if (width(limit) < TC_AVX2) return TC_PORTABLE;
  tc_avx2_table_activations(n, x, tanh_out, sigmoid_out);
  return TC_AVX2;
}

#else
// Elsewhere every float kernel is the Swift code.
int tc_avx512(void) { return 0; }
int tc_widest(void) { return TC_PORTABLE; }
int tc_gemm_nn(int limit, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
               int accumulate) {
  (void)limit; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc;
  (void)accumulate;
  return TC_PORTABLE;
}
int tc_gemm_tn(int limit, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
               int accumulate) {
  return tc_gemm_nn(limit, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}
int tc_lstm_gates(int limit, int batch, int inputs, int units, const float *x, const float *h, const float *wx,
                  const float *wh, const float *bias, const float *packed, float *z) {
  (void)limit; (void)batch; (void)inputs; (void)units; (void)x; (void)h; (void)wx; (void)wh; (void)bias;
  (void)packed; (void)z;
  return TC_PORTABLE;
}
int tc_lstm_cell(int limit, int batch, int units, float *z, const float *cPrev, float *cNext, float *tanhC,
                 float *hNext) {
  (void)limit; (void)batch; (void)units; (void)z; (void)cPrev; (void)cNext; (void)tanhC; (void)hNext;
  return TC_PORTABLE;
}
int tc_lstm_cell_backward(int limit, int batch, int units, const float *acts, const float *cPrev,
                          const float *tanhC, const float *dh, float *dc, float *dz) {
  (void)limit; (void)batch; (void)units; (void)acts; (void)cPrev; (void)tanhC; (void)dh; (void)dc; (void)dz;
  return TC_PORTABLE;
}
int tc_adam(int limit, const float *g, int n, int shards, const float *mask, float *m, float *v, const float *w,
            float *out, int lo, int hi, float alpha, float b1c, float b2c, float eps) {
  (void)limit; (void)g; (void)n; (void)shards; (void)mask; (void)m; (void)v; (void)w; (void)out; (void)lo;
  (void)hi; (void)alpha; (void)b1c; (void)b2c; (void)eps;
  return TC_PORTABLE;
}
int tc_integer_cell(int limit, int batch, int units, const float *z, float *c, float *h) {
  (void)limit; (void)batch; (void)units; (void)z; (void)c; (void)h;
  return TC_PORTABLE;
}
int tc_table_activations(int limit, int n, const float *x, float *tanh_out, float *sigmoid_out) {
  (void)limit; (void)n; (void)x; (void)tanh_out; (void)sigmoid_out;
  return TC_PORTABLE;
}
#endif
