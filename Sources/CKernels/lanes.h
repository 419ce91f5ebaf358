// Shared by the AVX-512 kernels: the mask of the lanes j..j+15 that lie below n (n > j).
#ifndef TINYCAST_LANES_H
#define TINYCAST_LANES_H
#include <immintrin.h>

static inline __mmask16 lanes(int n, int j) {
  return n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
}

#endif
