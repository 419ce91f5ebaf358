// The LSTM's activations in 16 lanes, shared by the AVX-512 cell (lstm_cell.c) and the integer
// window (int8_lstm.c). They must stay the exact transcription of NumericCore/Activations.swift:
// each Swift `a * b + c` is a multiply then an add here (never a fused multiply-add), each
// `replacing(with:where:)` an ordered compare and a blend, so results agree to the bit (tested).
#ifndef TINYCAST_ACTIVATIONS16_H
#define TINYCAST_ACTIVATIONS16_H
#include "lanes.h"

AVX512 static inline __m512 k(float v) { return _mm512_set1_ps(v); }
AVX512 static inline __m512 mul(__m512 a, __m512 b) { return _mm512_mul_ps(a, b); }
AVX512 static inline __m512 add(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }
AVX512 static inline __m512 sub(__m512 a, __m512 b) { return _mm512_sub_ps(a, b); }

/// The sign bit of each lane, |x| as the bit operation, and v with a sign bit flipped.
AVX512 static inline __m512i sign_bits16(__m512 x) {
  return _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u));
}
AVX512 static inline __m512 magnitude16(__m512 x) {
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7FFFFFFF)));
}
AVX512 static inline __m512 flip_sign16(__m512 v, __m512i sign) {
  return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), sign));
}

// The activations work on n vectors in lockstep (n a constant after inlining, at most
// LOCKSTEP16_MAX), as activations8.h's do and for the same reason: one vector's exp is a chain of
// some thirty dependent operations, and with the chains of four vectors interleaved in program
// order the processor finds independent work within its reordering window. Each vector still
// gets exactly its own sequence of operations.
#define LOCKSTEP16_MAX 4
#define EACH for (int v = 0; v < n; v++)

/// e^x in place for x[0 ..< n].
AVX512_TILE void exp16n(int n, __m512 *x) {
  __m512 fx[LOCKSTEP16_MAX], r[LOCKSTEP16_MAX], p[LOCKSTEP16_MAX];
  EACH x[v] = _mm512_mask_mov_ps(x[v], _mm512_cmp_ps_mask(x[v], k(88.72283f), _CMP_GT_OQ), k(88.72283f));
  EACH x[v] = _mm512_mask_mov_ps(x[v], _mm512_cmp_ps_mask(x[v], k(-87.33654f), _CMP_LT_OQ), k(-87.33654f));
  EACH fx[v] = add(mul(x[v], k(1.44269504088896341f)), k(0.5f));
  EACH fx[v] = _mm512_roundscale_ps(fx[v], _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  EACH r[v] = sub(x[v], mul(fx[v], k(0.693359375f)));
  EACH r[v] = sub(r[v], mul(fx[v], k(-2.12194440e-4f)));
  EACH p[v] = add(mul(k(1.9875691500e-4f), r[v]), k(1.3981999507e-3f));
  EACH p[v] = add(mul(p[v], r[v]), k(8.3334519073e-3f));
  EACH p[v] = add(mul(p[v], r[v]), k(4.1665795894e-2f));
  EACH p[v] = add(mul(p[v], r[v]), k(1.6666665459e-1f));
  EACH p[v] = add(mul(p[v], r[v]), k(5.0000001201e-1f));
  EACH p[v] = add(add(mul(p[v], mul(r[v], r[v])), r[v]), k(1.0f));
  EACH {
    __m512i e = _mm512_sub_epi32(_mm512_castps_si512(add(fx[v], k(12582912.0f))), _mm512_set1_epi32(0x4B400000));
    x[v] = mul(p[v], _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(e, _mm512_set1_epi32(127)), 23)));
  }
}

/// 1 / (1 + e^-x) in place for x[0 ..< n].
AVX512_TILE void sigmoid16n(int n, __m512 *x) {
  EACH x[v] = flip_sign16(x[v], _mm512_set1_epi32((int)0x80000000u));
  exp16n(n, x);
  EACH x[v] = _mm512_div_ps(k(1.0f), add(k(1.0f), x[v]));
}

/// tanh in place for x[0 ..< n]: from e^{2|x|} for |x| >= 0.625, else an odd polynomial.
AVX512_TILE void tanh16n(int n, __m512 *x) {
  __m512 large[LOCKSTEP16_MAX];
  EACH {
    __m512 ax = magnitude16(x[v]);
    large[v] = add(ax, ax);
  }
  exp16n(n, large);
  EACH large[v] = sub(k(1.0f), _mm512_div_ps(k(2.0f), add(large[v], k(1.0f))));
  EACH large[v] = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(large[v]), sign_bits16(x[v])));
  EACH {
    __m512 z = mul(x[v], x[v]);
    __m512 p = k(-5.70498872745e-3f);
    p = add(mul(p, z), k(2.06390887954e-2f));
    p = add(mul(p, z), k(-5.37397155531e-2f));
    p = add(mul(p, z), k(1.33314422036e-1f));
    p = add(mul(p, z), k(-3.33332819422e-1f));
    __m512 small = add(x[v], mul(mul(x[v], z), p));
    x[v] = _mm512_mask_mov_ps(small, _mm512_cmp_ps_mask(magnitude16(x[v]), k(0.625f), _CMP_GE_OQ), large[v]);
  }
}
#undef EACH

AVX512 static inline __m512 sigmoid16(__m512 x) {
  sigmoid16n(1, &x);
  return x;
}

AVX512 static inline __m512 tanh16(__m512 x) {
  tanh16n(1, &x);
  return x;
}

/// One row's units j..j+15 (lanes past H masked off: they load zeros and store nothing): the gate
/// activations (written back over z), c = f c_prev + i g, h = o tanh(c). `tcr` may be NULL.
AVX512 static inline void units16(int H, float *zr, const float *cp, float *cn, float *tcr, float *hn, int j) {
  __mmask16 m = lanes(H, j);
  __m512 i = sigmoid16(load16(m, zr + j));
  __m512 f = sigmoid16(load16(m, zr + H + j));
  __m512 g = tanh16(load16(m, zr + 2 * H + j));
  __m512 o = sigmoid16(load16(m, zr + 3 * H + j));
  store16(m, zr + j, i); store16(m, zr + H + j, f);
  store16(m, zr + 2 * H + j, g); store16(m, zr + 3 * H + j, o);
  __m512 c = add(mul(f, load16(m, cp + j)), mul(i, g));
  __m512 tc = tanh16(c);
  store16(m, cn + j, c);
  if (tcr) store16(m, tcr + j, tc);
  store16(m, hn + j, mul(o, tc));
}

/// One group of 16 units for `units16_pair`: a row's buffers as units16 takes them, and j.
typedef struct {
  float *z;
  const float *cPrev;
  float *cNext, *tanhC, *hNext;
  int j;
} cell_group16;

/// units16 on two groups at once (two rows, or two groups of one row; never overlapping). Each
/// group's chain of activations is long and its steps depend on each other, so one group at a
/// time leaves the vector units waiting on latencies; two independent chains side by side fill
/// them (about 1.2x on an LSTM-64 step). Each lane's operations are units16's, in its order.
AVX512 static inline void units16_pair(int H, cell_group16 a, cell_group16 b) {
  __mmask16 ma = lanes(H, a.j), mb = lanes(H, b.j);
  float *za = a.z + a.j, *zb = b.z + b.j;
  __m512 ia = sigmoid16(load16(ma, za)), ib = sigmoid16(load16(mb, zb));
  __m512 fa = sigmoid16(load16(ma, za + H)), fb = sigmoid16(load16(mb, zb + H));
  __m512 ga = tanh16(load16(ma, za + 2 * H)), gb = tanh16(load16(mb, zb + 2 * H));
  __m512 oa = sigmoid16(load16(ma, za + 3 * H)), ob = sigmoid16(load16(mb, zb + 3 * H));
  store16(ma, za, ia); store16(ma, za + H, fa); store16(ma, za + 2 * H, ga); store16(ma, za + 3 * H, oa);
  store16(mb, zb, ib); store16(mb, zb + H, fb); store16(mb, zb + 2 * H, gb); store16(mb, zb + 3 * H, ob);
  __m512 ca = add(mul(fa, load16(ma, a.cPrev + a.j)), mul(ia, ga));
  __m512 cb = add(mul(fb, load16(mb, b.cPrev + b.j)), mul(ib, gb));
  __m512 ta = tanh16(ca), tb = tanh16(cb);
  store16(ma, a.cNext + a.j, ca); store16(mb, b.cNext + b.j, cb);
  if (a.tanhC) store16(ma, a.tanhC + a.j, ta);
  if (b.tanhC) store16(mb, b.tanhC + b.j, tb);
  store16(ma, a.hNext + a.j, mul(oa, ta)); store16(mb, b.hNext + b.j, mul(ob, tb));
}

#endif
