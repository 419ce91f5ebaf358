// Shared by the AVX-512 kernels: the mask of the lanes j..j+15 that lie below n (n > j).
#ifndef TINYCAST_LANES_H
#define TINYCAST_LANES_H
#include "isa512.h"

static inline __mmask16 lanes(int n, int j) {
  return n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
}

/// Loads and stores of 16 lanes under such a mask. A full mask takes the plain instruction: a
/// load that reads what a masked store just wrote cannot take it from the store buffer and waits
/// for the store to reach the cache, which in a chain of dependent steps costs more than the work.
AVX512 static inline __m512 load16(__mmask16 m, const float *p) {
  return m == 0xFFFF ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}
AVX512 static inline void store16(__mmask16 m, float *p, __m512 v) {
  if (m == 0xFFFF) _mm512_storeu_ps(p, v); else _mm512_mask_storeu_ps(p, m, v);
}

#endif
