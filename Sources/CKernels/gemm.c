// The matrix products of NumericCore/GEMM.swift with 16-lane AVX-512 registers: NN and TN, each
// element of C the same chain of fused multiply-adds in increasing k as in the Swift kernels and
// their references (NT runs as NN on B transposed). The results are the same bits at any width
// (tested); only the number of elements computed per instruction changes.
#include "kernels_avx512.h"

#if defined(__x86_64__) && defined(__clang__)
#include "lanes.h"

/// r0[r], r1[r] (+)= A'[r][p] * B[p][j ..< j + 32] for p in 0 ..< k, one fused multiply-add after
/// another in increasing p, where A'[r][p] = a[r * rowStride + p * kStride].
AVX512 static inline void fma_rows(int rows, int k, const float *a, int rowStride, int kStride, const float *b,
                                   int ldb, int j, __mmask16 m0, __mmask16 m1, __m512 *r0, __m512 *r1) {
  for (int p = 0; p < k; p++) {
    const float *bp = b + p * ldb + j, *ap = a + p * kStride;
    __m512 b0 = _mm512_maskz_loadu_ps(m0, bp), b1 = _mm512_maskz_loadu_ps(m1, bp + 16);
    for (int r = 0; r < rows; r++) {
      __m512 s = _mm512_set1_ps(ap[r * rowStride]);
      r0[r] = _mm512_fmadd_ps(s, b0, r0[r]);
      r1[r] = _mm512_fmadd_ps(s, b1, r1[r]);
    }
  }
}

/// Stores what fma_rows accumulated: rows of C, `ldc` apart, columns j ..< j + 32 under the masks.
AVX512 static inline void store_rows(int rows, float *c, int ldc, int j, __mmask16 m0, __mmask16 m1, const __m512 *r0,
                                     const __m512 *r1) {
  for (int r = 0; r < rows; r++) {
    _mm512_mask_storeu_ps(c + r * ldc + j, m0, r0[r]);
    _mm512_mask_storeu_ps(c + r * ldc + j + 16, m1, r1[r]);
  }
}

/// `rows` (1, 4 or 8, a constant at each call, so the loops unroll into registers) rows x 32
/// columns, masked at the right edge. Eight rows take sixteen registers: sixteen independent
/// chains keep both FMA units busy through their latency, and each load of B serves eight rows.
AVX512 static inline void tile32(int rows, int k, const float *a, int rowStride, int kStride, const float *b, int ldb,
                                 float *c, int ldc, int n, int j) {
  __mmask16 m0 = lanes(n, j), m1 = n - j > 16 ? lanes(n, j + 16) : 0;
  __m512 r0[8], r1[8];
  for (int r = 0; r < rows; r++) {
    r0[r] = _mm512_maskz_loadu_ps(m0, c + r * ldc + j);
    r1[r] = _mm512_maskz_loadu_ps(m1, c + r * ldc + j + 16);
  }
  fma_rows(rows, k, a, rowStride, kStride, b, ldb, j, m0, m1, r0, r1);
  store_rows(rows, c, ldc, j, m0, m1, r0, r1);
}

/// The LSTM's gate pre-activations of one step for `rows` rows, columns j ..< j + 32: each element
/// starts at the bias, then takes the input terms, then the recurrent ones, in registers from
/// the first to the last (what the bias copy, the input product and the recurrent product give
/// one after another, without writing the gates three times).
AVX512 static inline void gates_tile32(int rows, int D, int H, const float *x, const float *h, const float *wx,
                                       const float *wh, const float *bias, float *z, int G, int j) {
  __mmask16 m0 = lanes(G, j), m1 = G - j > 16 ? lanes(G, j + 16) : 0;
  __m512 b0 = _mm512_maskz_loadu_ps(m0, bias + j), b1 = _mm512_maskz_loadu_ps(m1, bias + j + 16);
  __m512 r0[8], r1[8];
  for (int r = 0; r < rows; r++) {
    r0[r] = b0;
    r1[r] = b1;
  }
  fma_rows(rows, D, x, D, 1, wx, G, j, m0, m1, r0, r1);
  fma_rows(rows, H, h, H, 1, wh, G, j, m0, m1, r0, r1);
  store_rows(rows, z, G, j, m0, m1, r0, r1);
}

/// One row x up to 128 columns in eight registers: eight independent chains, what a single
/// forecast (one row) needs to hide the multiply-add latency.
AVX512 static inline void row128(int k, const float *a, int kStride, const float *b, int ldb, float *c, int n, int j) {
  if (n - j >= 128) {  // the common case, without masks
    __m512 r0 = _mm512_loadu_ps(c + j), r1 = _mm512_loadu_ps(c + j + 16), r2 = _mm512_loadu_ps(c + j + 32);
    __m512 r3 = _mm512_loadu_ps(c + j + 48), r4 = _mm512_loadu_ps(c + j + 64), r5 = _mm512_loadu_ps(c + j + 80);
    __m512 r6 = _mm512_loadu_ps(c + j + 96), r7 = _mm512_loadu_ps(c + j + 112);
    for (int p = 0; p < k; p++) {
      __m512 s = _mm512_set1_ps(a[p * kStride]);
      const float *bp = b + p * ldb + j;
      r0 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp), r0); r1 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp + 16), r1);
      r2 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp + 32), r2); r3 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp + 48), r3);
      r4 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp + 64), r4); r5 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp + 80), r5);
      r6 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp + 96), r6); r7 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp + 112), r7);
    }
    _mm512_storeu_ps(c + j, r0); _mm512_storeu_ps(c + j + 16, r1); _mm512_storeu_ps(c + j + 32, r2);
    _mm512_storeu_ps(c + j + 48, r3); _mm512_storeu_ps(c + j + 64, r4); _mm512_storeu_ps(c + j + 80, r5);
    _mm512_storeu_ps(c + j + 96, r6); _mm512_storeu_ps(c + j + 112, r7);
    return;
  }
  __mmask16 m[8];
  __m512 r[8];
  for (int v = 0; v < 8; v++) {
    m[v] = n - (j + 16 * v) > 0 ? lanes(n, j + 16 * v) : 0;
    r[v] = _mm512_maskz_loadu_ps(m[v], c + j + 16 * v);
  }
  for (int p = 0; p < k; p++) {
    __m512 s = _mm512_set1_ps(a[p * kStride]);
    const float *bp = b + p * ldb + j;
    for (int v = 0; v < 8; v++) r[v] = _mm512_fmadd_ps(s, _mm512_maskz_loadu_ps(m[v], bp + 16 * v), r[v]);
  }
  for (int v = 0; v < 8; v++) _mm512_mask_storeu_ps(c + j + 16 * v, m[v], r[v]);
}

/// C[M,N] (+)= A' * B[K,N], where A'[i][p] = a[i * rowStride + p * kStride].
AVX512 static void gemm(int m, int n, int k, const float *a, int rowStride, int kStride, const float *b, int ldb,
                        float *c, int ldc, int accumulate) {
  if (!accumulate)
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) c[i * ldc + j] = 0;
  // Tiles of eight rows, then of four, then single rows: each element's chain is the same
  // whichever tile computes it (a shard of 16 rows gives the bits of 16 single rows).
  int eights = m / 8 * 8, tiled = m / 4 * 4, i = tiled;
  for (int t = 0; t < eights; t += 8)
    for (int j = 0; j < n; j += 32) tile32(8, k, a + t * rowStride, rowStride, kStride, b, ldb, c + t * ldc, ldc, n, j);
  for (int t = eights; t < tiled; t += 4)
    for (int j = 0; j < n; j += 32) tile32(4, k, a + t * rowStride, rowStride, kStride, b, ldb, c + t * ldc, ldc, n, j);
  for (; i < m; i++)
    for (int j = 0; j < n; j += 128) row128(k, a + i * rowStride, kStride, b, ldb, c + i * ldc, n, j);
}

void tc_avx512_gemm(int m, int n, int k, const float *a, int rowStride, int kStride, const float *b, int ldb,
                    float *c, int ldc, int accumulate) {
  gemm(m, n, k, a, rowStride, kStride, b, ldb, c, ldc, accumulate);
}

void tc_avx512_lstm_gates(int batch, int inputs, int units, const float *x, const float *h, const float *wx,
                          const float *wh, const float *bias, float *z) {
  int D = inputs, H = units, G = 4 * units, eights = batch / 8 * 8, fours = batch / 4 * 4;
  for (int t = 0; t < eights; t += 8)
    for (int j = 0; j < G; j += 32) gates_tile32(8, D, H, x + t * D, h + t * H, wx, wh, bias, z + t * G, G, j);
  for (int t = eights; t < fours; t += 4)
    for (int j = 0; j < G; j += 32) gates_tile32(4, D, H, x + t * D, h + t * H, wx, wh, bias, z + t * G, G, j);
  for (int t = fours; t < batch; t++)
    for (int j = 0; j < G; j += 32) gates_tile32(1, D, H, x + t * D, h + t * H, wx, wh, bias, z + t * G, G, j);
}
#endif
