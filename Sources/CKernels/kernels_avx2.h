// The 8-lane AVX2 float kernels (gemm_avx2.c, lstm_cell_avx2.c, int8_cell_avx2.c), called by
// the public entry points of CKernels.h when the processor lacks AVX-512 or the caller asks for at
// most 256 bits.
// Each takes the arguments of its public entry point and assumes tc_avx2() is 1.
#ifndef TINYCAST_KERNELS_AVX2_H
#define TINYCAST_KERNELS_AVX2_H
#include "CKernels.h"

/// 1 when the processor has AVX2 and FMA, else 0.
int tc_avx2(void);

/// C[M,N] (+)= A'[M,K] B[K,N] with A'[i][p] = a[i * rowStride + p * kStride] (NN: rowStride lda,
/// kStride 1; TN: rowStride 1, kStride lda).
void tc_avx2_gemm(int m, int n, int k, const float *a, int rowStride, int kStride, const float *b, int ldb, float *c,
                  int ldc, int accumulate);
void tc_avx2_lstm_gates(int batch, int inputs, int units, const float *x, const float *h, const float *wx,
                        const float *wh, const float *bias, const float *packed, float *z);
void tc_avx2_lstm_cell(int batch, int units, float *z, const float *cPrev, float *cNext, float *tanhC, float *hNext);
void tc_avx2_lstm_cell_backward(int batch, int units, const float *acts, const float *cPrev, const float *tanhC,
                                const float *dh, float *dc, float *dz);
void tc_avx2_integer_cell(int batch, int units, const float *z, float *c, float *h);
void tc_avx2_table_activations(int n, const float *x, float *tanh_out, float *sigmoid_out);
void tc_avx2_adam(const float *g, int n, int shards, const float *mask, float *m, float *v, const float *w, float *out,
                  int lo, int hi, float alpha, float b1c, float b2c, float eps);

#endif
