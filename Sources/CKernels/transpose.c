// Matrix transpose in 8 x 8 blocks of AVX registers. The backward pass transposes the recurrent
// kernel once per shard and batch (dh = dz Wh^T runs as an NN product on Wh^T); done element by
// element, with a strided read per element, it took 4% of a training epoch. A transpose only
// moves values, so any order of moving them gives the same bits.
#include "CKernels.h"

/// The elements outside the blocks: rows r0... of every column and columns c0... of every row
/// (r0 = c0 = 0: the whole matrix).
static void transpose_scalar(int rows, int cols, const float *x, int ld, float *out, int r0, int c0) {
  for (int r = 0; r < rows; r++)
    for (int c = r < r0 ? c0 : 0; c < cols; c++) out[(long)c * rows + r] = x[(long)r * ld + c];
}

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define AVX __attribute__((target("avx")))

/// out[c * rows + r] = x[r * ld + c] for the 8 x 8 block at (r, c).
AVX static inline void block8(const float *x, int ld, float *out, int rows, int r, int c) {
  const float *s = x + (long)r * ld + c;
  __m256 a0 = _mm256_loadu_ps(s), a1 = _mm256_loadu_ps(s + ld), a2 = _mm256_loadu_ps(s + 2 * ld);
  __m256 a3 = _mm256_loadu_ps(s + 3 * ld), a4 = _mm256_loadu_ps(s + 4 * ld), a5 = _mm256_loadu_ps(s + 5 * ld);
  __m256 a6 = _mm256_loadu_ps(s + 6 * ld), a7 = _mm256_loadu_ps(s + 7 * ld);
  // Pairs of rows interleaved, then quads, then the 128-bit halves exchanged.
  __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
  __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
  __m256 t4 = _mm256_unpacklo_ps(a4, a5), t5 = _mm256_unpackhi_ps(a4, a5);
  __m256 t6 = _mm256_unpacklo_ps(a6, a7), t7 = _mm256_unpackhi_ps(a6, a7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  float *d = out + (long)c * rows + r;
  _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(d + rows, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(d + 2 * rows, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(d + 3 * rows, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(d + 4 * rows, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(d + 5 * rows, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(d + 6 * rows, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(d + 7 * rows, _mm256_permute2f128_ps(u3, u7, 0x31));
}

AVX static void transpose_avx(int rows, int cols, const float *x, int ld, float *out) {
  int r8 = rows / 8 * 8, c8 = cols / 8 * 8;
  for (int r = 0; r < r8; r += 8)
    for (int c = 0; c < c8; c += 8) block8(x, ld, out, rows, r, c);
  transpose_scalar(rows, cols, x, ld, out, r8, c8);
}

void tc_transpose(int rows, int cols, const float *x, int ld, float *out) {
  if (__builtin_cpu_supports("avx")) transpose_avx(rows, cols, x, ld, out);
  else transpose_scalar(rows, cols, x, ld, out, 0, 0);
}
#else
void tc_transpose(int rows, int cols, const float *x, int ld, float *out) {
  transpose_scalar(rows, cols, x, ld, out, 0, 0);
}
#endif
