// The benchmark's measure of this processor's AVX-512 multiply-add peak (the AVX2 one is in
// Swift, tinycast-bench): twelve independent chains of 16-lane fused multiply-adds.
#include "CKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#include "isa512.h"

AVX512 static float chains(long iterations, int seed) {
  __m512 base = _mm512_set1_ps((float)(seed + 1) * 1e-3f), m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  __m512 a[12];
  for (int i = 0; i < 12; i++) a[i] = base;
  for (long n = 0; n < iterations; n++)
    for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], m, c);
  __m512 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, a[i]);
  return _mm512_reduce_add_ps(s);
}

float tc_fma_chains_avx512(long iterations, int seed) {
  if (!avx512dq_supported()) return -1;
  return chains(iterations, seed);
}
#else
float tc_fma_chains_avx512(long iterations, int seed) { (void)iterations; (void)seed; return -1; }
#endif
