// The integer path's activations in 16 lanes (int8_lstm.c): the exact transcription of
// NumericCore's tanhTable and sigmoidTable (each Swift `a * b + c` a multiply then an add, each
// `a < b ? a : b` a vminps, which returns its second operand for NaN as the Swift does), so
// results agree to the bit (tested). The table and its accuracy: tanh_table.c.
//   tanh(x)    = sign(x) P(min(|x|, 8) * 2)
//   sigmoid(x) = 1/2 + sign(x) P(min(|x|, 16)) / 2
// No division and no exp: the chain of dependent operations per activation is about half that of
// activations16.h's, which is what a forecast's 14 dependent steps wait on.
#ifndef TINYCAST_TANH_TABLE16_H
#define TINYCAST_TANH_TABLE16_H
#include "CKernels.h"
#include "activations16.h"

/// P(u) for u in [0, 16]: piece i = min(trunc(u), 15) at t = u - i; each degree's coefficients of
/// all 16 pieces are one register, so a lookup is one vpermps.
AVX512 static inline __m512 table_piece16(__m512 u) {
  __m512i i = _mm512_min_epi32(_mm512_cvttps_epi32(u), _mm512_set1_epi32(TC_TANH_TABLE_PIECES - 1));
  __m512 t = sub(u, _mm512_cvtepi32_ps(i));
  __m512 p = _mm512_permutexvar_ps(i, _mm512_load_ps(tc_tanh_table + TC_TANH_TABLE_DEGREE * TC_TANH_TABLE_PIECES));
  for (int d = TC_TANH_TABLE_DEGREE - 1; d >= 0; d--)
    p = add(mul(p, t), _mm512_permutexvar_ps(i, _mm512_load_ps(tc_tanh_table + d * TC_TANH_TABLE_PIECES)));
  return p;
}

AVX512 static inline __m512 tanh_table16(__m512 x) {
  __m512 p = table_piece16(mul(_mm512_min_ps(magnitude16(x), k(8.0f)), k(2.0f)));
  return flip_sign16(p, sign_bits16(x));
}

AVX512 static inline __m512 sigmoid_table16(__m512 x) {
  __m512 half = mul(table_piece16(_mm512_min_ps(magnitude16(x), k(16.0f))), k(0.5f));
  return add(k(0.5f), flip_sign16(half, sign_bits16(x)));
}

/// One row's units j..j+15 of the integer cell (lanes past H masked off): c = f c_prev + i g and
/// h = o tanh(c) with the table activations, c updated in place.
AVX512 static inline void units16_table(int H, const float *zr, float *c, float *h, int j) {
  __mmask16 m = lanes(H, j);
  __m512 i = sigmoid_table16(load16(m, zr + j));
  __m512 f = sigmoid_table16(load16(m, zr + H + j));
  __m512 g = tanh_table16(load16(m, zr + 2 * H + j));
  __m512 o = sigmoid_table16(load16(m, zr + 3 * H + j));
  __m512 cell = add(mul(f, load16(m, c + j)), mul(i, g));
  store16(m, c + j, cell);
  store16(m, h + j, mul(o, tanh_table16(cell)));
}

#endif
