// The LSTM's activations in 8 lanes of AVX2, the AVX2 cell's (lstm_cell_avx2.c). Like
// activations16.h they are the exact transcription of NumericCore/Activations.swift: each Swift
// `a * b + c` is a multiply then an add (never fused), each `replacing(with:where:)` an ordered
// compare and a blend, so every lane gives the bits of the Swift code (tested).
#ifndef TINYCAST_ACTIVATIONS8_H
#define TINYCAST_ACTIVATIONS8_H
#include "lanes8.h"

AVX2 static inline __m256 k8(float v) { return _mm256_set1_ps(v); }
AVX2 static inline __m256 mul8(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
AVX2 static inline __m256 add8(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
AVX2 static inline __m256 sub8(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }

/// v where `where` holds (an ordered compare's result), else x.
AVX2 static inline __m256 replacing8(__m256 x, __m256 v, __m256 where) { return _mm256_blendv_ps(x, v, where); }

/// The sign bit of each lane, and |x| as the bit operation.
AVX2 static inline __m256 sign_bits8(__m256 x) {
  return _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)));
}
AVX2 static inline __m256 magnitude8(__m256 x) {
  return _mm256_andnot_ps(_mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)), x);
}

// The activations work on n vectors in lockstep (n a constant after inlining, at most
// LOCKSTEP_MAX): every step of the formula runs on each vector before the next step. One vector's
// exp is a chain of some thirty dependent operations (about 100 cycles); with the chains of four
// vectors interleaved in program order the processor finds independent work within its
// reordering window (measured in a C microbenchmark: 24 -> 14 cycles per vector for the sigmoid,
// 35 -> 23 for tanh). Each vector still gets exactly its own sequence of operations.
#define LOCKSTEP_MAX 4
#define EACH for (int v = 0; v < n; v++)

/// e^x in place for x[0 ..< n].
AVX2_TILE void exp8n(int n, __m256 *x) {
  __m256 fx[LOCKSTEP_MAX], r[LOCKSTEP_MAX], p[LOCKSTEP_MAX];
  EACH x[v] = replacing8(x[v], k8(88.72283f), _mm256_cmp_ps(x[v], k8(88.72283f), _CMP_GT_OQ));
  EACH x[v] = replacing8(x[v], k8(-87.33654f), _mm256_cmp_ps(x[v], k8(-87.33654f), _CMP_LT_OQ));
  EACH fx[v] = add8(mul8(x[v], k8(1.44269504088896341f)), k8(0.5f));
  EACH fx[v] = _mm256_round_ps(fx[v], _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  EACH r[v] = sub8(x[v], mul8(fx[v], k8(0.693359375f)));
  EACH r[v] = sub8(r[v], mul8(fx[v], k8(-2.12194440e-4f)));
  EACH p[v] = add8(mul8(k8(1.9875691500e-4f), r[v]), k8(1.3981999507e-3f));
  EACH p[v] = add8(mul8(p[v], r[v]), k8(8.3334519073e-3f));
  EACH p[v] = add8(mul8(p[v], r[v]), k8(4.1665795894e-2f));
  EACH p[v] = add8(mul8(p[v], r[v]), k8(1.6666665459e-1f));
  EACH p[v] = add8(mul8(p[v], r[v]), k8(5.0000001201e-1f));
  EACH p[v] = add8(add8(mul8(p[v], mul8(r[v], r[v])), r[v]), k8(1.0f));
  EACH {
    __m256i e = _mm256_sub_epi32(_mm256_castps_si256(add8(fx[v], k8(12582912.0f))), _mm256_set1_epi32(0x4B400000));
    x[v] = mul8(p[v], _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23)));
  }
}

/// 1 / (1 + e^-x) in place for x[0 ..< n].
AVX2_TILE void sigmoid8n(int n, __m256 *x) {
  EACH x[v] = _mm256_xor_ps(x[v], _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)));
  exp8n(n, x);
  EACH x[v] = _mm256_div_ps(k8(1.0f), add8(k8(1.0f), x[v]));
}

/// tanh in place for x[0 ..< n]: from e^{2|x|} for |x| >= 0.625, else an odd polynomial.
AVX2_TILE void tanh8n(int n, __m256 *x) {
  __m256 large[LOCKSTEP_MAX];
  EACH {
    __m256 ax = magnitude8(x[v]);
    large[v] = add8(ax, ax);
  }
  exp8n(n, large);
  EACH large[v] = sub8(k8(1.0f), _mm256_div_ps(k8(2.0f), add8(large[v], k8(1.0f))));
  EACH large[v] = _mm256_or_ps(large[v], sign_bits8(x[v]));
  EACH {
    __m256 z = mul8(x[v], x[v]);
    __m256 p = k8(-5.70498872745e-3f);
    p = add8(mul8(p, z), k8(2.06390887954e-2f));
    p = add8(mul8(p, z), k8(-5.37397155531e-2f));
    p = add8(mul8(p, z), k8(1.33314422036e-1f));
    p = add8(mul8(p, z), k8(-3.33332819422e-1f));
    __m256 small = add8(x[v], mul8(mul8(x[v], z), p));
    x[v] = replacing8(small, large[v], _mm256_cmp_ps(magnitude8(x[v]), k8(0.625f), _CMP_GE_OQ));
  }
}
#undef EACH

AVX2 static inline __m256 sigmoid8(__m256 x) {
  sigmoid8n(1, &x);
  return x;
}

AVX2 static inline __m256 tanh8(__m256 x) {
  tanh8n(1, &x);
  return x;
}

/// One group of 8 units of one row: the row's gate pre-activations z (overwritten with the
/// activations i, f, g, o), its c_{t-1}, c_t, tanh(c_t) (may be NULL) and h_t, and j.
typedef struct {
  float *z;
  const float *cPrev;
  float *cNext, *tanhC, *hNext;
  int j;
} cell_group8;

/// One group's activations, c = f c_prev + i g and h = o tanh(c), lanes past H masked off.
AVX2 static inline void units8(int H, cell_group8 a) {
  lanes8_t m = lanes8(H, a.j);
  float *z = a.z + a.j;
  __m256 i = sigmoid8(load8(m, z)), f = sigmoid8(load8(m, z + H));
  __m256 g = tanh8(load8(m, z + 2 * H)), o = sigmoid8(load8(m, z + 3 * H));
  store8(m, z, i); store8(m, z + H, f); store8(m, z + 2 * H, g); store8(m, z + 3 * H, o);
  __m256 c = add8(mul8(f, load8(m, a.cPrev + a.j)), mul8(i, g));
  __m256 tc = tanh8(c);
  store8(m, a.cNext + a.j, c);
  if (a.tanhC) store8(m, a.tanhC + a.j, tc);
  store8(m, a.hNext + a.j, mul8(o, tc));
}

/// units8 on two groups at once (never overlapping): two independent chains of dependent
/// activations side by side keep the vector units busy, as units16_pair does in 16 lanes.
AVX2 static inline void units8_pair(int H, cell_group8 a, cell_group8 b) {
  lanes8_t ma = lanes8(H, a.j), mb = lanes8(H, b.j);
  float *za = a.z + a.j, *zb = b.z + b.j;
  __m256 ia = sigmoid8(load8(ma, za)), ib = sigmoid8(load8(mb, zb));
  __m256 fa = sigmoid8(load8(ma, za + H)), fb = sigmoid8(load8(mb, zb + H));
  __m256 ga = tanh8(load8(ma, za + 2 * H)), gb = tanh8(load8(mb, zb + 2 * H));
  __m256 oa = sigmoid8(load8(ma, za + 3 * H)), ob = sigmoid8(load8(mb, zb + 3 * H));
  store8(ma, za, ia); store8(ma, za + H, fa); store8(ma, za + 2 * H, ga); store8(ma, za + 3 * H, oa);
  store8(mb, zb, ib); store8(mb, zb + H, fb); store8(mb, zb + 2 * H, gb); store8(mb, zb + 3 * H, ob);
  __m256 ca = add8(mul8(fa, load8(ma, a.cPrev + a.j)), mul8(ia, ga));
  __m256 cb = add8(mul8(fb, load8(mb, b.cPrev + b.j)), mul8(ib, gb));
  __m256 ta = tanh8(ca), tb = tanh8(cb);
  store8(ma, a.cNext + a.j, ca); store8(mb, b.cNext + b.j, cb);
  if (a.tanhC) store8(ma, a.tanhC + a.j, ta);
  if (b.tanhC) store8(mb, b.tanhC + b.j, tb);
  store8(ma, a.hNext + a.j, mul8(oa, ta)); store8(mb, b.hNext + b.j, mul8(ob, tb));
}

#endif
