// The packing of the integer LSTM's recurrent kernel for AVX-512 VNNI, and that kernel's product
// (int8_vnni.h, what the whole integer window runs at each step) on one vector, for the tests.
// The hidden state goes in as the bytes q + 128 and 128 x (column sum) is taken off again
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

#if defined(__x86_64__) && defined(__clang__)
#include "int8_vnni.h"

/// Hidden state as bytes q + 128 in [1, 255], four to a 32-bit word; rows past k hold 128
/// (q = 0) and meet zero weights.
static void offset_bytes(int k, const float *q, uint8_t *bytes) {
  int padded = (k + 3) / 4 * 4;
  for (int p = 0; p < padded; p++) bytes[p] = (uint8_t)(p < k ? (int)q[p] + 128 : 128);
}

VNNI static void matvec_vnni(int k, int n, const float *q, const int8_t *packed, const int32_t *offset, float *acc) {
  uint8_t bytes[1040 + 4];
  offset_bytes(k, q, bytes);
  vnni_product((k + 3) / 4, n, (const uint32_t *)(const void *)bytes, packed, offset, acc);
}

int tc_vnni(void) { return vnni_supported(); }

int tc_int8_matvec(int k, int n, const float *q, const int8_t *packed, const int32_t *offset, float *acc) {
  if (!vnni_supported()) return 0;
  matvec_vnni(k, n, q, packed, offset, acc);
  return 1;
}
#else
int tc_vnni(void) { return 0; }
int tc_int8_matvec(int k, int n, const float *q, const int8_t *packed, const int32_t *offset, float *acc) {
  (void)k; (void)n; (void)q; (void)packed; (void)offset; (void)acc;
  return 0;
}
#endif
