// CKernels: the kernels that use instructions Swift cannot name (16-lane AVX-512, VNNI's int8
// dot products), chosen at run time by what the processor supports. Each has a portable Swift or
// C path beside it doing the same arithmetic, so the results agree bit for bit (tested).
#ifndef TINYCAST_CKERNELS_H
#define TINYCAST_CKERNELS_H
#include <stdint.h>

/// acc[j] = sum_k q[k] * W[k][j], exactly, for q whole numbers in [-127, 127] held as floats (the
/// quantized hidden state) and W an int8 [k, n] matrix packed by `tc_int8_pack`. acc is written as
/// floats (exact: |acc| <= 127 * 127 * k < 2^24 for k <= 1040).
///   packed: ((k + 3) / 4) * n * 4 bytes; offset: n ints (-128 * column sums, from tc_int8_pack).
void tc_int8_matvec(int k, int n, const float *q, const int8_t *packed, const int32_t *offset, float *acc);

/// Packs row-major w[k][n] for tc_int8_matvec: groups of four rows interleaved per column
/// (packed[((g * n) + j) * 4 + r] = w[4g + r][j], zero past row k), and offset[j] = -128 * sum_k w[k][j].
void tc_int8_pack(int k, int n, const int8_t *w, int8_t *packed, int32_t *offset);

/// Which path tc_int8_matvec takes on this processor: 1 = AVX-512 VNNI, 0 = portable C.
int tc_int8_matvec_path(void);

/// The portable path itself, for tests (same results as tc_int8_matvec on any processor).
void tc_int8_matvec_portable(int k, int n, const float *q, const int8_t *packed, const int32_t *offset, float *acc);

/// One LSTM step's gate non-linearities and state update for B rows of H units, with AVX-512
/// (16 lanes), operation for operation the arithmetic of Modeling's `lstmCellForward` and
/// NumericCore's `expVector`, `sigmoidVector`, `tanhVector` (multiplies and adds unfused, the
/// same constants), so every lane gives the bits the 8-lane Swift code gives. Returns 0 without
/// touching anything when the processor lacks AVX-512; the caller then runs the Swift code.
/// z [B, 4H] is overwritten with the activations i, f, g, o; cPrev may equal cNext.
int tc_lstm_cell_avx512(int batch, int units, float *z, const float *cPrev, float *cNext, float *tanhC, float *hNext);

/// The integer LSTM's T steps (Compression's QuantizedLSTM.forward up to the Dense layer) for B
/// windows whose inputs x are time-major [T*B, D]: per step the input quantized per window, the
/// int8 products (wx: the int8 input kernel as float integers [D, 4H]; packed, offset: the
/// recurrent kernel from tc_int8_pack), z = b + (s_x s_Wx) acc_x + (s_Wh / 127) acc_h and the
/// AVX-512 cell. Leaves c and h [B, H] of the last step, the same bits as the Swift code. Returns 0
/// without touching anything when the processor lacks AVX-512 VNNI or the sizes exceed the limits.
#define TC_INT8_LSTM_MAX_UNITS 1040
#define TC_INT8_LSTM_MAX_INPUTS 1040
int tc_int8_lstm_forward(int steps, int batch, int inputs, int units, const float *x, const float *wx,
                         const int8_t *packed, const int32_t *offset, const float *bias, const float *kernelScales,
                         const float *hiddenScales, float *c, float *h);

/// A float LSTM's T steps for one window (x: [T, D]; wx [D, 4H], wh [H, 4H], bias [4H] as in
/// Modeling's ParameterLayout): leaves c and h [H] of the last step, the same bits as
/// LSTMForecaster.forward at batch 1. Returns 0 without touching anything when the processor
/// lacks AVX-512 or H exceeds the limit.
#define TC_LSTM_WINDOW_MAX_UNITS 1040
int tc_lstm_window_avx512(int steps, int inputs, int units, const float *x, const float *wx, const float *wh,
                          const float *bias, float *c, float *h);

/// The step of tc_int8_lstm_forward that turns h into the next product's bytes: bytes[j] =
/// round(127 h[j]) + 128 (ties away from zero, clamped to +-127), for the tests. Returns 0 without
/// touching anything where tc_int8_lstm_forward would not run.
int tc_int8_hidden_bytes(int n, const float *h, uint8_t *bytes);

/// 12 independent chains of 16-lane FMAs, `iterations` rounds (the benchmark's AVX-512 peak);
/// returns their sum, or -1 when the processor lacks AVX-512.
float tc_fma_chains_avx512(long iterations, int seed);

/// 1 when the processor has AVX-512 (the float kernels below run), else 0.
int tc_avx512(void);

/// NumericCore's gemmNN (C[M,N] (+)= A[M,K] B[K,N]) and gemmTN (C (+)= A[K,M]^T B[K,N]) in 16-lane
/// AVX-512 registers, each element the same FMA chain in increasing k (the same bits). Return 0
/// without touching anything when the processor lacks AVX-512; the Swift kernels run then.
int tc_gemm_nn_avx512(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, int accumulate);
int tc_gemm_tn_avx512(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, int accumulate);

#endif
