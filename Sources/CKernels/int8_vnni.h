// The int8 recurrent product with AVX-512 VNNI, shared by the one-window product (int8_matvec.c)
// and the whole integer window (int8_lstm.c). vpdpbusd multiplies 64 unsigned x signed byte pairs
// and adds each group of four into an int32 lane; its left operand must be unsigned, so the
// hidden state comes as bytes q + 128 and `offset` (-128 x the column sums) takes 128 x W off
// again. Integer sums are exact in any order.
#ifndef TINYCAST_INT8_VNNI_H
#define TINYCAST_INT8_VNNI_H
#include <stdint.h>
#include "lanes.h"

/// acc[j] = offset[j] + sum over groups g of the four byte products words[g] . W[4g..4g+3][j], for
/// j < n, written as floats (exact). `packed` is tc_int8_pack's layout. 128 columns (eight
/// registers, each summed in two accumulators over alternate groups, which halves the chain of
/// dependent instructions) per pass, then 16 at a time, masked at the edge.
VNNI static inline void vnni_product(int groups, int n, const uint32_t *words, const int8_t *packed,
                                     const int32_t *offset, float *acc) {
  int j = 0;
  for (; j + 128 <= n; j += 128) {
    __m512i a0[8], a1[8];
    for (int v = 0; v < 8; v++) { a0[v] = _mm512_loadu_si512(offset + j + 16 * v); a1[v] = _mm512_setzero_si512(); }
    int g = 0;
    for (; g + 2 <= groups; g += 2) {
      __m512i w0 = _mm512_set1_epi32((int)words[g]), w1 = _mm512_set1_epi32((int)words[g + 1]);
      const int8_t *p0 = packed + ((g * n) + j) * 4, *p1 = p0 + n * 4;
      for (int v = 0; v < 8; v++) {
        a0[v] = _mm512_dpbusd_epi32(a0[v], w0, _mm512_loadu_si512(p0 + 64 * v));
        a1[v] = _mm512_dpbusd_epi32(a1[v], w1, _mm512_loadu_si512(p1 + 64 * v));
      }
    }
    if (g < groups) {
      __m512i w0 = _mm512_set1_epi32((int)words[g]);
      const int8_t *p0 = packed + ((g * n) + j) * 4;
      for (int v = 0; v < 8; v++) a0[v] = _mm512_dpbusd_epi32(a0[v], w0, _mm512_loadu_si512(p0 + 64 * v));
    }
    for (int v = 0; v < 8; v++) _mm512_storeu_ps(acc + j + 16 * v, _mm512_cvtepi32_ps(_mm512_add_epi32(a0[v], a1[v])));
  }
  for (; j < n; j += 16) {
    __mmask16 m = lanes(n, j);
    __m512i a0 = _mm512_maskz_loadu_epi32(m, offset + j), a1 = _mm512_setzero_si512();
    int g = 0;
    for (; g + 2 <= groups; g += 2) {
      __m512i weights0 = _mm512_maskz_loadu_epi32(m, packed + ((g * n) + j) * 4);
      __m512i weights1 = _mm512_maskz_loadu_epi32(m, packed + (((g + 1) * n) + j) * 4);
      a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32((int)words[g]), weights0);
      a1 = _mm512_dpbusd_epi32(a1, _mm512_set1_epi32((int)words[g + 1]), weights1);
    }
    if (g < groups) {
      __m512i weights0 = _mm512_maskz_loadu_epi32(m, packed + ((g * n) + j) * 4);
      a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32((int)words[g]), weights0);
    }
    store16(m, acc + j, _mm512_cvtepi32_ps(_mm512_add_epi32(a0, a1)));
  }
}

#endif
