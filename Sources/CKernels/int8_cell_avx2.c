// The integer LSTM's cell (Compression's integerCellForward) and its table activations
// (NumericCore's tanhTable, sigmoidTable) in 8 lanes of AVX2. Without AVX-512 VNNI the integer
// window runs step by step from Swift, and there the scalar table activations took 42% of an int8
// LSTM-32 forecast (`perf`, AMD EPYC). Like tanh_table16.h this is the exact transcription of the
// Swift code: each `a * b + c` a multiply then an add, each `a < b ? a : b` a vminps (which
// returns its second operand for NaN, as the Swift does), so the bits are the same (tested).
#include "kernels_avx2.h"

#if defined(__x86_64__) && defined(__clang__)
#include "activations8.h"

_Static_assert(TC_TANH_TABLE_PIECES == 16, "the lookup below takes the pieces as two registers of 8");

/// Coefficient d of piece i in each lane: pieces 0-7 from one register, 8-15 from the next (vpermps
/// reads the low three bits of i), the second chosen where i > 7.
AVX2 static inline __m256 coefficient8(int d, __m256i i) {
  const float *row = tc_tanh_table + d * TC_TANH_TABLE_PIECES;
  __m256 low = _mm256_permutevar8x32_ps(_mm256_loadu_ps(row), i);
  __m256 high = _mm256_permutevar8x32_ps(_mm256_loadu_ps(row + 8), i);
  return _mm256_blendv_ps(low, high, _mm256_castsi256_ps(_mm256_cmpgt_epi32(i, _mm256_set1_epi32(7))));
}

/// P(u) for u in [0, 16]: piece i = min(trunc(u), 15) at t = u - i, by Horner's rule.
AVX2 static inline __m256 table_piece8(__m256 u) {
  __m256i i = _mm256_min_epi32(_mm256_cvttps_epi32(u), _mm256_set1_epi32(TC_TANH_TABLE_PIECES - 1));
  __m256 t = sub8(u, _mm256_cvtepi32_ps(i));
  __m256 p = coefficient8(TC_TANH_TABLE_DEGREE, i);
  for (int d = TC_TANH_TABLE_DEGREE - 1; d >= 0; d--) p = add8(mul8(p, t), coefficient8(d, i));
  return p;
}

/// tanhTable: sign(x) P(min(|x|, 8) * 2).
AVX2 static inline __m256 tanh_table8(__m256 x) {
  __m256 p = table_piece8(mul8(_mm256_min_ps(magnitude8(x), k8(8.0f)), k8(2.0f)));
  return _mm256_xor_ps(p, sign_bits8(x));
}

/// sigmoidTable: 1/2 + sign(x) P(min(|x|, 16)) / 2.
AVX2 static inline __m256 sigmoid_table8(__m256 x) {
  __m256 half = mul8(table_piece8(_mm256_min_ps(magnitude8(x), k8(16.0f))), k8(0.5f));
  return add8(k8(0.5f), _mm256_xor_ps(half, sign_bits8(x)));
}

AVX2 void tc_avx2_integer_cell(int batch, int H, const float *z, float *c, float *h) {
  int G = 4 * H;
  for (int b = 0; b < batch; b++) {
    const float *zr = z + (long)b * G;
    float *cr = c + (long)b * H, *hr = h + (long)b * H;
    for (int j = 0; j < H; j += 8) {
      lanes8_t m = lanes8(H, j);
      __m256 i = sigmoid_table8(load8(m, zr + j)), f = sigmoid_table8(load8(m, zr + H + j));
      __m256 g = tanh_table8(load8(m, zr + 2 * H + j)), o = sigmoid_table8(load8(m, zr + 3 * H + j));
      __m256 cell = add8(mul8(f, load8(m, cr + j)), mul8(i, g));
      store8(m, cr + j, cell);
      store8(m, hr + j, mul8(o, tanh_table8(cell)));
    }
  }
}

AVX2 void tc_avx2_table_activations(int n, const float *x, float *tanh_out, float *sigmoid_out) {
  for (int j = 0; j < n; j += 8) {
    lanes8_t m = lanes8(n, j);
    __m256 v = load8(m, x + j);
    store8(m, tanh_out + j, tanh_table8(v));
    store8(m, sigmoid_out + j, sigmoid_table8(v));
  }
}
#endif
