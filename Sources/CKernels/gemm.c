// The matrix products of NumericCore/GEMM.swift with 16-lane AVX-512 registers: NN and TN
// (each element of C the same chain of fused multiply-adds in increasing k as in the Swift
// kernels and their references), and NT with B given transposed (gemmNT's eight partial sums per
// element). The results are the same bits at any width (tested); only the number of elements
// computed per instruction changes.
#include "CKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#include "lanes.h"
#define AVX512 __attribute__((target("avx512f")))

/// Four rows x 32 columns (masked at the right edge) in eight registers.
AVX512 static inline void tile4x32(int k, const float *a, int rowStride, int kStride, const float *b, int ldb,
                                   float *c, int ldc, int n, int j) {
  // Full tiles take all-ones masks, which the compiler keeps in mask registers.
  __mmask16 m0 = lanes(n, j), m1 = n - j > 16 ? lanes(n, j + 16) : 0;
  float *c0 = c, *c1 = c + ldc, *c2 = c + 2 * ldc, *c3 = c + 3 * ldc;
  __m512 r00 = _mm512_maskz_loadu_ps(m0, c0 + j), r01 = _mm512_maskz_loadu_ps(m1, c0 + j + 16);
  __m512 r10 = _mm512_maskz_loadu_ps(m0, c1 + j), r11 = _mm512_maskz_loadu_ps(m1, c1 + j + 16);
  __m512 r20 = _mm512_maskz_loadu_ps(m0, c2 + j), r21 = _mm512_maskz_loadu_ps(m1, c2 + j + 16);
  __m512 r30 = _mm512_maskz_loadu_ps(m0, c3 + j), r31 = _mm512_maskz_loadu_ps(m1, c3 + j + 16);
  for (int p = 0; p < k; p++) {
    const float *bp = b + p * ldb + j, *ap = a + p * kStride;
    __m512 b0 = _mm512_maskz_loadu_ps(m0, bp), b1 = _mm512_maskz_loadu_ps(m1, bp + 16);
    __m512 s0 = _mm512_set1_ps(ap[0]), s1 = _mm512_set1_ps(ap[rowStride]);
    __m512 s2 = _mm512_set1_ps(ap[2 * rowStride]), s3 = _mm512_set1_ps(ap[3 * rowStride]);
    r00 = _mm512_fmadd_ps(s0, b0, r00); r01 = _mm512_fmadd_ps(s0, b1, r01);
    r10 = _mm512_fmadd_ps(s1, b0, r10); r11 = _mm512_fmadd_ps(s1, b1, r11);
    r20 = _mm512_fmadd_ps(s2, b0, r20); r21 = _mm512_fmadd_ps(s2, b1, r21);
    r30 = _mm512_fmadd_ps(s3, b0, r30); r31 = _mm512_fmadd_ps(s3, b1, r31);
  }
  _mm512_mask_storeu_ps(c0 + j, m0, r00); _mm512_mask_storeu_ps(c0 + j + 16, m1, r01);
  _mm512_mask_storeu_ps(c1 + j, m0, r10); _mm512_mask_storeu_ps(c1 + j + 16, m1, r11);
  _mm512_mask_storeu_ps(c2 + j, m0, r20); _mm512_mask_storeu_ps(c2 + j + 16, m1, r21);
  _mm512_mask_storeu_ps(c3 + j, m0, r30); _mm512_mask_storeu_ps(c3 + j + 16, m1, r31);
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
  int i = 0;
  for (; i + 4 <= m; i += 4)
    for (int j = 0; j < n; j += 32) tile4x32(k, a + i * rowStride, rowStride, kStride, b, ldb, c + i * ldc, ldc, n, j);
  for (; i < m; i++)
    for (int j = 0; j < n; j += 128) row128(k, a + i * rowStride, kStride, b, ldb, c + i * ldc, n, j);
}

int tc_avx512(void) { return __builtin_cpu_supports("avx512f"); }

int tc_gemm_nn_avx512(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, int accumulate) {
  if (!tc_avx512()) return 0;
  gemm(m, n, k, a, lda, 1, b, ldb, c, ldc, accumulate);
  return 1;
}

int tc_gemm_tn_avx512(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, int accumulate) {
  if (!tc_avx512()) return 0;
  gemm(m, n, k, a, 1, lda, b, ldb, c, ldc, accumulate);
  return 1;
}

// MARK: - NT with B given transposed

/// Rows i0 and i0 + 1 (or i0 alone when `two` is 0) x 16 columns from j: NumericCore's gemmNT
/// arithmetic, lane for lane. Each element is eight partial sums (over p = l, l + 8, ... for
/// lanes l of Swift's SIMD8), added lane 0 to 7 as `SIMD8.sum()` does, then the tail p >= k8 as
/// one FMA chain. With B transposed, the 16 lanes here are 16 columns, each with its own eight
/// partial sums in eight registers.
AVX512 static inline void nt2x16(int k, const float *a, int lda, const float *bt, int ldbt, float *c, int ldc,
                                 int n, int j, int two, int accumulate) {
  __mmask16 m = lanes(n, j);
  const float *a0 = a, *a1 = a + (two ? lda : 0);
  __m512 s0[8], s1[8];
  for (int l = 0; l < 8; l++) { s0[l] = _mm512_setzero_ps(); s1[l] = _mm512_setzero_ps(); }
  int k8 = k / 8 * 8, p = 0;
  for (; p < k8; p += 8)
    for (int l = 0; l < 8; l++) {
      __m512 b = _mm512_maskz_loadu_ps(m, bt + (p + l) * ldbt + j);
      s0[l] = _mm512_fmadd_ps(_mm512_set1_ps(a0[p + l]), b, s0[l]);
      s1[l] = _mm512_fmadd_ps(_mm512_set1_ps(a1[p + l]), b, s1[l]);
    }
  __m512 d0 = s0[0], d1 = s1[0];
  for (int l = 1; l < 8; l++) { d0 = _mm512_add_ps(d0, s0[l]); d1 = _mm512_add_ps(d1, s1[l]); }
  for (; p < k; p++) {
    __m512 b = _mm512_maskz_loadu_ps(m, bt + p * ldbt + j);
    d0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[p]), b, d0);
    d1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[p]), b, d1);
  }
  if (accumulate) {
    d0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m, c + j), d0);
    if (two) d1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m, c + ldc + j), d1);
  }
  _mm512_mask_storeu_ps(c + j, m, d0);
  if (two) _mm512_mask_storeu_ps(c + ldc + j, m, d1);
}

int tc_gemm_nt_transposed_avx512(int m, int n, int k, const float *a, int lda, const float *bt, int ldbt,
                                 float *c, int ldc, int accumulate) {
  if (!tc_avx512()) return 0;
  for (int i = 0; i < m; i += 2)
    for (int j = 0; j < n; j += 16)
      nt2x16(k, a + i * lda, lda, bt, ldbt, c + i * ldc, ldc, n, j, i + 1 < m, accumulate);
  return 1;
}
#else
int tc_avx512(void) { return 0; }
int tc_gemm_nn_avx512(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, int accumulate) {
  (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc; (void)accumulate;
  return 0;
}
int tc_gemm_tn_avx512(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, int accumulate) {
  (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc; (void)accumulate;
  return 0;
}
int tc_gemm_nt_transposed_avx512(int m, int n, int k, const float *a, int lda, const float *bt, int ldbt,
                                 float *c, int ldc, int accumulate) {
  (void)m; (void)n; (void)k; (void)a; (void)lda; (void)bt; (void)ldbt; (void)c; (void)ldc; (void)accumulate;
  return 0;
}
#endif
