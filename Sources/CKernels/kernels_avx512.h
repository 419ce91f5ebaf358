// The 16-lane AVX-512 float kernels (gemm.c, lstm_cell.c), called by the public entry points of
// CKernels.h (float_kernels.c) when the processor has AVX-512 F and DQ and the caller allows 512
// bits. Each takes the arguments of its public entry point (the products the rows and k strides
// of A, as kernels_avx2.h's) and assumes tc_avx512() is 1.
#ifndef TINYCAST_KERNELS_AVX512_H
#define TINYCAST_KERNELS_AVX512_H
#include "CKernels.h"

void tc_avx512_gemm(int m, int n, int k, const float *a, int rowStride, int kStride, const float *b, int ldb,
                    float *c, int ldc, int accumulate);
void tc_avx512_lstm_gates(int batch, int inputs, int units, const float *x, const float *h, const float *wx,
                          const float *wh, const float *bias, float *z);
void tc_avx512_lstm_cell(int batch, int units, float *z, const float *cPrev, float *cNext, float *tanhC,
                         float *hNext);
void tc_avx512_lstm_cell_backward(int batch, int units, const float *acts, const float *cPrev, const float *tanhC,
                                  const float *dh, float *dc, float *dz);
void tc_avx512_adam(const float *g, int n, int shards, const float *mask, float *m, float *v, const float *w,
                    float *out, int lo, int hi, float alpha, float b1c, float b2c, float eps);

#endif
