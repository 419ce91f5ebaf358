// The AVX-512 intrinsics the 16-lane kernels use, written out in portable C, lane by lane, for the
// emulated build (isa512.h, `make test-avx512-emulated`): on a processor without AVX-512 the
// kernels' tests then run those kernels' own code against the Swift code. Each function is the
// instruction's definition in Intel's manual for the operands the kernels give it: one IEEE
// operation per lane, rounded to nearest even (fmadd through fmaf, a single rounding), the
// x86 answers for NaN and out-of-range conversions, and masked lanes neither read nor written.
// Only what the kernels use is here; a kernel that starts to use another intrinsic fails to
// build in the emulated build until it is added. Never part of a normal build.
#ifndef TINYCAST_EMULATE512_H
#define TINYCAST_EMULATE512_H
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef float __m512 __attribute__((vector_size(64), aligned(64)));
typedef int32_t __m512i __attribute__((vector_size(64), aligned(64)));
typedef int8_t __m128i __attribute__((vector_size(16), aligned(16)));
typedef uint16_t __mmask16;

#define _CMP_EQ_OQ 0x00
#define _CMP_LT_OS 0x01
#define _CMP_LE_OS 0x02
#define _CMP_UNORD_Q 0x03
#define _CMP_NEQ_UQ 0x04
#define _CMP_NLT_US 0x05
#define _CMP_NLE_US 0x06
#define _CMP_ORD_Q 0x07
#define _CMP_LT_OQ 0x11
#define _CMP_LE_OQ 0x12
#define _CMP_GE_OQ 0x1d
#define _CMP_GT_OQ 0x1e
#define _MM_FROUND_TO_NEAREST_INT 0x00
#define _MM_FROUND_TO_NEG_INF 0x01
#define _MM_FROUND_TO_POS_INF 0x02
#define _MM_FROUND_TO_ZERO 0x03
#define _MM_FROUND_NO_EXC 0x08

#define EMULATE_LANES(i) for (int i = 0; i < 16; i++)

// Loads and stores. A masked load reads only the lanes of its mask (the others are 0), a masked
// store writes only those: the kernels rely on both at the ends of rows.
static inline __m512 _mm512_loadu_ps(const void *p) {
  __m512 r;
  memcpy(&r, p, sizeof r);
  return r;
}
static inline __m512 _mm512_load_ps(const void *p) { return _mm512_loadu_ps(p); }
static inline __m512i _mm512_loadu_si512(const void *p) {
  __m512i r;
  memcpy(&r, p, sizeof r);
  return r;
}
static inline void _mm512_storeu_ps(void *p, __m512 v) { memcpy(p, &v, sizeof v); }
static inline __m512 _mm512_maskz_loadu_ps(__mmask16 k, const void *p) {
  __m512 r = {0};
  EMULATE_LANES(i) if (k >> i & 1) r[i] = ((const float *)p)[i];
  return r;
}
static inline __m512i _mm512_maskz_loadu_epi32(__mmask16 k, const void *p) {
  __m512i r = {0};
  EMULATE_LANES(i) if (k >> i & 1) r[i] = ((const int32_t *)p)[i];
  return r;
}
static inline void _mm512_mask_storeu_ps(void *p, __mmask16 k, __m512 v) {
  EMULATE_LANES(i) if (k >> i & 1) ((float *)p)[i] = v[i];
}
static inline void _mm_storeu_si128(void *p, __m128i v) { memcpy(p, &v, sizeof v); }
static inline void _mm_mask_storeu_epi8(void *p, __mmask16 k, __m128i v) {
  EMULATE_LANES(i) if (k >> i & 1) ((int8_t *)p)[i] = v[i];
}

// Constants and moves.
static inline __m512 _mm512_set1_ps(float v) {
  __m512 r;
  EMULATE_LANES(i) r[i] = v;
  return r;
}
static inline __m512 _mm512_setzero_ps(void) { return _mm512_set1_ps(0.0f); }
static inline __m512i _mm512_set1_epi32(int v) {
  __m512i r;
  EMULATE_LANES(i) r[i] = v;
  return r;
}
static inline __m512i _mm512_setzero_si512(void) { return _mm512_set1_epi32(0); }
static inline __m512 _mm512_mask_mov_ps(__m512 src, __mmask16 k, __m512 a) {
  EMULATE_LANES(i) if (k >> i & 1) src[i] = a[i];
  return src;
}
static inline __m512i _mm512_castps_si512(__m512 a) {
  __m512i r;
  memcpy(&r, &a, sizeof r);
  return r;
}
static inline __m512 _mm512_castsi512_ps(__m512i a) {
  __m512 r;
  memcpy(&r, &a, sizeof r);
  return r;
}
/// vpermps: lane i takes a's lane idx[i] mod 16.
static inline __m512 _mm512_permutexvar_ps(__m512i idx, __m512 a) {
  __m512 r;
  EMULATE_LANES(i) r[i] = a[idx[i] & 15];
  return r;
}

// Float arithmetic: one correctly rounded operation per lane. Each is a function of its own, so
// the compiler cannot contract a multiply and an add of two calls into one fused operation.
static inline __m512 _mm512_add_ps(__m512 a, __m512 b) {
  EMULATE_LANES(i) a[i] = a[i] + b[i];
  return a;
}
static inline __m512 _mm512_sub_ps(__m512 a, __m512 b) {
  EMULATE_LANES(i) a[i] = a[i] - b[i];
  return a;
}
static inline __m512 _mm512_mul_ps(__m512 a, __m512 b) {
  EMULATE_LANES(i) a[i] = a[i] * b[i];
  return a;
}
static inline __m512 _mm512_div_ps(__m512 a, __m512 b) {
  EMULATE_LANES(i) a[i] = a[i] / b[i];
  return a;
}
static inline __m512 _mm512_sqrt_ps(__m512 a) {
  EMULATE_LANES(i) a[i] = sqrtf(a[i]);
  return a;
}
static inline __m512 _mm512_fmadd_ps(__m512 a, __m512 b, __m512 c) {
  EMULATE_LANES(i) a[i] = fmaf(a[i], b[i], c[i]);
  return a;
}
/// vminps: a if a < b, else b (so b when either is NaN, and b for -0 against +0).
static inline __m512 _mm512_min_ps(__m512 a, __m512 b) {
  EMULATE_LANES(i) a[i] = a[i] < b[i] ? a[i] : b[i];
  return a;
}
/// Clang's expansion of the sum: halves added pairwise, 8 + 8, 4 + 4, 2 + 2, 1 + 1.
static inline float _mm512_reduce_add_ps(__m512 a) {
  for (int width = 8; width >= 1; width /= 2)
    for (int i = 0; i < width; i++) a[i] = a[i] + a[i + width];
  return a[0];
}

/// vcmpps with one of the sixteen predicates (bits 0-3 of `predicate`; bit 4 only chooses whether
/// a quiet NaN signals, which the emulation does not model).
static inline __mmask16 _mm512_cmp_ps_mask(__m512 a, __m512 b, int predicate) {
  __mmask16 k = 0;
  EMULATE_LANES(i) {
    float x = a[i], y = b[i];
    int unordered = isnan(x) || isnan(y), truth;
    switch (predicate & 15) {
    case 0: truth = !unordered && x == y; break;
    case 1: truth = !unordered && x < y; break;
    case 2: truth = !unordered && x <= y; break;
    case 3: truth = unordered; break;
    case 4: truth = unordered || x != y; break;
    case 5: truth = unordered || !(x < y); break;
    case 6: truth = unordered || !(x <= y); break;
    case 7: truth = !unordered; break;
    case 8: truth = unordered || x == y; break;
    case 9: truth = unordered || x < y; break;
    case 10: truth = unordered || x <= y; break;
    case 11: truth = 0; break;
    case 12: truth = !unordered && x != y; break;
    case 13: truth = !unordered && x >= y; break;
    case 14: truth = !unordered && x > y; break;
    default: truth = 1; break;
    }
    k |= (__mmask16)(truth << i);
  }
  return k;
}

/// vrndscaleps to an integer (scale 0) in the rounding of bits 0-1; NaN stays NaN.
static inline __m512 _mm512_roundscale_ps(__m512 a, int imm) {
  if (imm >> 4) abort();  // a nonzero scale: not used by the kernels
  EMULATE_LANES(i) {
    switch (imm & 3) {
    case 0: a[i] = nearbyintf(a[i]); break;
    case 1: a[i] = floorf(a[i]); break;
    case 2: a[i] = ceilf(a[i]); break;
    default: a[i] = truncf(a[i]); break;
    }
  }
  return a;
}

/// Float to int32 as x86 converts: a value outside int32's range, or NaN, gives INT32_MIN.
static inline int32_t emulate_convert(float x) {
  if (!(x >= -2147483648.0f && x < 2147483648.0f)) return INT32_MIN;
  return (int32_t)x;
}
static inline __m512i _mm512_cvtps_epi32(__m512 a) {
  __m512i r;
  EMULATE_LANES(i) r[i] = emulate_convert(nearbyintf(a[i]));
  return r;
}
static inline __m512i _mm512_cvttps_epi32(__m512 a) {
  __m512i r;
  EMULATE_LANES(i) r[i] = emulate_convert(truncf(a[i]));
  return r;
}
static inline __m512 _mm512_cvtepi32_ps(__m512i a) {
  __m512 r;
  EMULATE_LANES(i) r[i] = (float)a[i];
  return r;
}
/// vpmovdb: each lane's low byte (truncation, not saturation).
static inline __m128i _mm512_cvtepi32_epi8(__m512i a) {
  __m128i r;
  EMULATE_LANES(i) r[i] = (int8_t)(uint8_t)(uint32_t)a[i];
  return r;
}

// Integer arithmetic, wrapping modulo 2^32 as the instructions do.
static inline __m512i _mm512_add_epi32(__m512i a, __m512i b) {
  EMULATE_LANES(i) a[i] = (int32_t)((uint32_t)a[i] + (uint32_t)b[i]);
  return a;
}
static inline __m512i _mm512_sub_epi32(__m512i a, __m512i b) {
  EMULATE_LANES(i) a[i] = (int32_t)((uint32_t)a[i] - (uint32_t)b[i]);
  return a;
}
static inline __m512i _mm512_slli_epi32(__m512i a, unsigned int count) {
  EMULATE_LANES(i) a[i] = count > 31 ? 0 : (int32_t)((uint32_t)a[i] << count);
  return a;
}
static inline __m512i _mm512_min_epi32(__m512i a, __m512i b) {
  EMULATE_LANES(i) a[i] = a[i] < b[i] ? a[i] : b[i];
  return a;
}
static inline __m512i _mm512_and_si512(__m512i a, __m512i b) { return a & b; }
static inline __m512i _mm512_or_si512(__m512i a, __m512i b) { return a | b; }
static inline __m512i _mm512_xor_si512(__m512i a, __m512i b) { return a ^ b; }
/// vpdpbusd: each lane adds the four products of a's unsigned bytes and b's signed bytes.
static inline __m512i _mm512_dpbusd_epi32(__m512i src, __m512i a, __m512i b) {
  uint8_t ua[64];
  int8_t sb[64];
  memcpy(ua, &a, 64);
  memcpy(sb, &b, 64);
  EMULATE_LANES(i) {
    uint32_t sum = (uint32_t)src[i];
    for (int q = 0; q < 4; q++) sum += (uint32_t)((int32_t)ua[4 * i + q] * (int32_t)sb[4 * i + q]);
    src[i] = (int32_t)sum;
  }
  return src;
}

#undef EMULATE_LANES
#endif
