// The LSTM cell in 16 lanes (Modeling's lstmCellForward). The formulas and their accuracy are
// documented beside the Swift originals (NumericCore/Activations.swift); activations16.h is their
// exact transcription, so results agree to the bit (tested).
#include "CKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#include "activations16.h"

AVX512 static void cell16(int batch, int H, float *z, const float *cPrev, float *cNext, float *tanhC, float *hNext) {
  int G = 4 * H;
  for (int b = 0; b < batch; b++) {
    float *zr = z + b * G;
    const float *cp = cPrev + b * H;
    float *cn = cNext + b * H, *tcr = tanhC + b * H, *hn = hNext + b * H;
    for (int j = 0; j < H; j += 16) units16(H, zr, cp, cn, tcr, hn, j);
  }
}

int tc_lstm_cell_avx512(int batch, int units, float *z, const float *cPrev, float *cNext, float *tanhC, float *hNext) {
  if (!avx512dq_supported()) return 0;
  cell16(batch, units, z, cPrev, cNext, tanhC, hNext);
  return 1;
}
#else
int tc_lstm_cell_avx512(int batch, int units, float *z, const float *cPrev, float *cNext, float *tanhC, float *hNext) {
  (void)batch; (void)units; (void)z; (void)cPrev; (void)cNext; (void)tanhC; (void)hNext;
  return 0;
}
#endif
