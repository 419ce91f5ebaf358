// Shared by the AVX2 kernels (8 lanes): which lanes of j..j+7 lie below n, and loads and stores
// under that mask. AVX2 has no mask registers: a mask is a vector of all-ones and zero lanes.
#ifndef TINYCAST_LANES8_H
#define TINYCAST_LANES8_H
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma")))
/// A helper of the product tiles: they take their row counts as constants, and only inlining
/// makes them constants (the accumulators then live in registers): force it.
#define AVX2_TILE __attribute__((target("avx2,fma"), always_inline)) static inline

/// What the AVX2 kernels need (AVX2 and FMA); a read of the processor description the runtime
/// filled in at start-up.
static inline int avx2_supported(void) {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/// The lanes of j..j+7 below n: `full` when all eight are (the plain load and store then run),
/// else `bits` selects them (none when n <= j).
typedef struct {
  __m256i bits;
  int full;
} lanes8_t;

AVX2 static inline lanes8_t lanes8(int n, int j) {
  lanes8_t m = {_mm256_cmpgt_epi32(_mm256_set1_epi32(n - j), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)),
                n - j >= 8};
  return m;
}

/// As lanes.h says of the 16-lane ones: a full mask takes the plain instruction, because a load
/// cannot take what a masked store just wrote from the store buffer.
AVX2 static inline __m256 load8(lanes8_t m, const float *p) {
  return m.full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m.bits);
}
AVX2 static inline void store8(lanes8_t m, float *p, __m256 v) {
  if (m.full) _mm256_storeu_ps(p, v); else _mm256_maskstore_ps(p, m.bits, v);
}

#endif
