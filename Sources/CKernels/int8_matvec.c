// The integer LSTM's recurrent product for one window: int8 hidden state x int8 weights, int32
// sums. On processors with AVX-512 VNNI, vpdpbusd multiplies 64 unsigned x signed byte pairs and
// adds each group of four into an int32 lane in one instruction; it needs the left operand
// unsigned, so the hidden state is offset by 128 and 128 * (column sum) is taken off again
// (`offset`), which keeps the result exact.
#include "CKernels.h"

void tc_int8_pack(int k, int n, const int8_t *w, int8_t *packed, int32_t *offset) {
  int groups = (k + 3) / 4;
  for (int g = 0; g < groups; g++)
    for (int j = 0; j < n; j++)
      for (int r = 0; r < 4; r++) {
        int row = 4 * g + r;
        packed[((g * n) + j) * 4 + r] = row < k ? w[row * n + j] : 0;
      }
  for (int j = 0; j < n; j++) {
    int32_t sum = 0;
    for (int row = 0; row < k; row++) sum += w[row * n + j];
    offset[j] = -128 * sum;
  }
}

/// Hidden state as bytes q + 128 in [1, 255], four to a 32-bit word; rows past k hold 128
/// (q = 0) and meet zero weights.
static void offset_bytes(int k, const float *q, uint8_t *bytes) {
  int padded = (k + 3) / 4 * 4;
  for (int p = 0; p < padded; p++) bytes[p] = (uint8_t)(p < k ? (int)q[p] + 128 : 128);
}

/// Column j of the product from the offset bytes, in plain C.
static float column(int groups, int n, int j, const uint8_t *bytes, const int8_t *packed, const int32_t *offset) {
  int32_t sum = offset[j];
  for (int g = 0; g < groups; g++)
    for (int r = 0; r < 4; r++) sum += (int32_t)bytes[4 * g + r] * packed[((g * n) + j) * 4 + r];
  return (float)sum;
}

void tc_int8_matvec_portable(int k, int n, const float *q, const int8_t *packed, const int32_t *offset, float *acc) {
  uint8_t bytes[1040 + 4];
  offset_bytes(k, q, bytes);
  for (int j = 0; j < n; j++) acc[j] = column((k + 3) / 4, n, j, bytes, packed, offset);
}

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

/// 16 columns per zmm register, up to eight registers (128 columns) per pass over k.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void matvec_vnni(int k, int n, const float *q, const int8_t *packed, const int32_t *offset, float *acc) {
  int groups = (k + 3) / 4;
  uint8_t bytes[1040 + 4];
  offset_bytes(k, q, bytes);
  const uint32_t *words = (const uint32_t *)(const void *)bytes;
  int j = 0;
  for (; j + 128 <= n; j += 128) {
    __m512i a0 = _mm512_loadu_si512(offset + j), a1 = _mm512_loadu_si512(offset + j + 16);
    __m512i a2 = _mm512_loadu_si512(offset + j + 32), a3 = _mm512_loadu_si512(offset + j + 48);
    __m512i a4 = _mm512_loadu_si512(offset + j + 64), a5 = _mm512_loadu_si512(offset + j + 80);
    __m512i a6 = _mm512_loadu_si512(offset + j + 96), a7 = _mm512_loadu_si512(offset + j + 112);
    for (int g = 0; g < groups; g++) {
      __m512i h = _mm512_set1_epi32((int)words[g]);
      const int8_t *wp = packed + ((g * n) + j) * 4;
      a0 = _mm512_dpbusd_epi32(a0, h, _mm512_loadu_si512(wp));
      a1 = _mm512_dpbusd_epi32(a1, h, _mm512_loadu_si512(wp + 64));
      a2 = _mm512_dpbusd_epi32(a2, h, _mm512_loadu_si512(wp + 128));
      a3 = _mm512_dpbusd_epi32(a3, h, _mm512_loadu_si512(wp + 192));
      a4 = _mm512_dpbusd_epi32(a4, h, _mm512_loadu_si512(wp + 256));
      a5 = _mm512_dpbusd_epi32(a5, h, _mm512_loadu_si512(wp + 320));
      a6 = _mm512_dpbusd_epi32(a6, h, _mm512_loadu_si512(wp + 384));
      a7 = _mm512_dpbusd_epi32(a7, h, _mm512_loadu_si512(wp + 448));
    }
    _mm512_storeu_ps(acc + j, _mm512_cvtepi32_ps(a0)); _mm512_storeu_ps(acc + j + 16, _mm512_cvtepi32_ps(a1));
    _mm512_storeu_ps(acc + j + 32, _mm512_cvtepi32_ps(a2)); _mm512_storeu_ps(acc + j + 48, _mm512_cvtepi32_ps(a3));
    _mm512_storeu_ps(acc + j + 64, _mm512_cvtepi32_ps(a4)); _mm512_storeu_ps(acc + j + 80, _mm512_cvtepi32_ps(a5));
    _mm512_storeu_ps(acc + j + 96, _mm512_cvtepi32_ps(a6)); _mm512_storeu_ps(acc + j + 112, _mm512_cvtepi32_ps(a7));
  }
  for (; j + 16 <= n; j += 16) {
    __m512i a = _mm512_loadu_si512(offset + j);
    for (int g = 0; g < groups; g++)
      a = _mm512_dpbusd_epi32(a, _mm512_set1_epi32((int)words[g]), _mm512_loadu_si512(packed + ((g * n) + j) * 4));
    _mm512_storeu_ps(acc + j, _mm512_cvtepi32_ps(a));
  }
  for (; j < n; j++) acc[j] = column(groups, n, j, bytes, packed, offset);
}

/// A read of the processor description the runtime filled in at start-up: cheap, and no state here.
static int vnni_supported(void) {
  return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
}

int tc_int8_matvec_path(void) { return vnni_supported(); }

void tc_int8_matvec(int k, int n, const float *q, const int8_t *packed, const int32_t *offset, float *acc) {
  if (vnni_supported()) matvec_vnni(k, n, q, packed, offset, acc);
  else tc_int8_matvec_portable(k, n, q, packed, offset, acc);
}
#else
int tc_int8_matvec_path(void) { return 0; }
void tc_int8_matvec(int k, int n, const float *q, const int8_t *packed, const int32_t *offset, float *acc) {
  tc_int8_matvec_portable(k, n, q, packed, offset, acc);
}
#endif
