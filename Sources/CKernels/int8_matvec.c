// The integer LSTM's recurrent product for one window: int8 hidden state x int8 weights, int32
// sums, with the packing it reads. The hidden state goes in as the bytes q + 128 and 128 x (column
// sum) is taken off again (`offset`), which keeps the result exact; the portable C path here and
// the AVX-512 VNNI one (int8_vnni.h, shared with the whole integer window) do the same sums.
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
#include "int8_vnni.h"

VNNI static void matvec_vnni(int k, int n, const float *q, const int8_t *packed, const int32_t *offset, float *acc) {
  uint8_t bytes[1040 + 4];
  offset_bytes(k, q, bytes);
  vnni_product((k + 3) / 4, n, (const uint32_t *)(const void *)bytes, packed, offset, acc);
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
