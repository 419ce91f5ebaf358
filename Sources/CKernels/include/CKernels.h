// CKernels: the kernels that use instructions Swift cannot name or does not schedule well
// (16-lane AVX-512, AVX2 tiles in all sixteen registers, VNNI's int8 dot products), chosen at run
// time by what the processor supports. Each has a portable Swift or
// C path beside it doing the same arithmetic, so the results agree bit for bit (tested).
#ifndef TINYCAST_CKERNELS_H
#define TINYCAST_CKERNELS_H
#include <stdint.h>

/// Packs row-major w[k][n] for the VNNI product (int8_vnni.h): groups of four rows interleaved
/// per column (packed[((g * n) + j) * 4 + r] = w[4g + r][j], zero past row k), and
/// offset[j] = -128 * sum_k w[k][j].
void tc_int8_pack(int k, int n, const int8_t *w, int8_t *packed, int32_t *offset);

/// 1 where the processor has AVX-512 VNNI (what tc_int8_lstm_forward needs), else 0.
int tc_vnni(void);

/// The VNNI product tc_int8_lstm_forward runs at each step, on one vector, for the tests:
/// acc[j] = sum_k q[k] * W[k][j], exactly, for q whole numbers in [-127, 127] held as floats and
/// W an int8 [k, n] matrix packed by `tc_int8_pack`, written as floats (exact: |acc| <= 127 * 127
/// * k < 2^24 for k <= 1040). Returns 0 without touching anything where tc_vnni() is 0.
int tc_int8_matvec(int k, int n, const float *q, const int8_t *packed, const int32_t *offset, float *acc);

/// The float kernels come in three widths, all giving the same bits: the callers' Swift code
/// (8 lanes of Swift SIMD, any processor), AVX2 with FMA (8 lanes in C, tiles sized for sixteen
/// registers) and AVX-512 (16 lanes, thirty-two registers). Each entry point below takes `limit`,
/// the widest the caller allows (the tests run every width; everything else passes tc_widest()),
/// runs the widest version the processor has within it, and returns the width that ran:
/// TC_PORTABLE (0) touches nothing and leaves the work to the caller's Swift code.
#define TC_PORTABLE 0
#define TC_AVX2 256
#define TC_AVX512 512

/// The widest the processor runs: TC_AVX512 with AVX-512 F and DQ, else TC_AVX2 with AVX2 and FMA,
/// else TC_PORTABLE.
int tc_widest(void);

/// 1 when the processor has AVX-512 F and DQ (what the 16-lane float kernels need), else 0.
int tc_avx512(void);

/// NumericCore's gemmNN (C[M,N] (+)= A[M,K] B[K,N]) and gemmTN (C (+)= A[K,M]^T B[K,N]), each element
/// the same FMA chain in increasing k (the same bits at every width).
int tc_gemm_nn(int limit, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
               int accumulate);
int tc_gemm_tn(int limit, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
               int accumulate);

/// One LSTM step's gate pre-activations for B rows: z[r] = bias + x[r] Wx + h[r] Wh (x [B, D],
/// h [B, H], wx [D, 4H], wh [H, 4H], z [B, 4H]), each element one chain of fused multiply-adds
/// from the bias through the D input terms, then the H recurrent ones: the bits of copying the
/// bias, then NumericCore's gemmNN over x, then over h. `packed` (may be NULL) holds the same
/// weights packed by tc_pack_gate_weights, which the AVX2 version reads instead of wx and wh.
int tc_lstm_gates(int limit, int batch, int inputs, int units, const float *x, const float *h, const float *wx,
                  const float *wh, const float *bias, const float *packed, float *z);

/// The gate weights [wx; wh] ((D + H) rows of 4H) copied in strips of 16 columns, zeros past 4H:
/// packed[(s (D + H) + p) 16 + c] = row p, column 16 s + c; tc_pack_gate_weights_count(D, H) floats.
/// In place, the rows of a strip are 16 H bytes apart and fall in a few of the L1 cache's sets
/// (with H = 64, four), so a strip evicts itself; packed, they are consecutive. Does nothing
/// where the AVX2 kernels cannot run (they are the ones that read it).
int tc_pack_gate_weights_count(int inputs, int units);
void tc_pack_gate_weights(int inputs, int units, const float *wx, const float *wh, float *packed);

/// One LSTM step's gate non-linearities and state update for B rows of H units, operation for
/// operation the arithmetic of Modeling's `lstmCellForward` and NumericCore's `expVector`,
/// `sigmoidVector`, `tanhVector` (multiplies and adds unfused, the same constants), so every lane
/// gives the bits the 8-lane Swift code gives. z [B, 4H] is overwritten with the activations
/// i, f, g, o; cPrev may equal cNext; tanhC may be NULL.
int tc_lstm_cell(int limit, int batch, int units, float *z, const float *cPrev, float *cNext, float *tanhC,
                 float *hNext);

/// The backward step of the same cell (Modeling's `lstmCellBackward`: dz [B, 4H] from the
/// activations, c_{t-1}, tanh(c_t), dh and dc, which it updates), products in the Swift code's
/// order, unfused.
int tc_lstm_cell_backward(int limit, int batch, int units, const float *acts, const float *cPrev,
                          const float *tanhC, const float *dh, float *dc, float *dz);

/// Adam's step (Modeling's `adamStep`) on elements [lo, hi) of n: the gradient is the sum of
/// `shards` vectors of n at g, added in order; mask may be NULL; the new weights go to out (which
/// may be w).
int tc_adam(int limit, const float *g, int n, int shards, const float *mask, float *m, float *v, const float *w,
            float *out, int lo, int hi, float alpha, float b1c, float b2c, float eps);

/// The integer path's tanh and sigmoid (NumericCore's tanhTable, sigmoidTable) are 16 quartic
/// pieces of tanh, P(u) for u in [0, 16]; tanh_table.c (generated by tools/make_tanh_table.py)
/// holds their coefficients by degree: tc_tanh_table[d * 16 + i] is c_d of piece i.
#define TC_TANH_TABLE_PIECES 16
#define TC_TANH_TABLE_DEGREE 4
#define TC_TANH_TABLE_COUNT 80
extern const float tc_tanh_table[TC_TANH_TABLE_COUNT];

/// The integer LSTM's cell for B rows of H units (Compression's integerCellForward): c = f c + i g
/// and h = o tanh(c) with the table activations below, c updated in place, z [B, 4H] holding the
/// pre-activations i, f, g, o; in 8 lanes of AVX2 where the limit and the processor allow, the
/// Swift code's operations in its order. Returns the width that ran (TC_PORTABLE: nothing done).
int tc_integer_cell(int limit, int batch, int units, const float *z, float *c, float *h);

/// tanh_out[j] and sigmoid_out[j] of x[j] for j < n through the table activations that
/// tc_integer_cell runs, for the tests; returns the width that ran (TC_PORTABLE: nothing done).
int tc_table_activations(int limit, int n, const float *x, float *tanh_out, float *sigmoid_out);

/// tanh_out[j] and sigmoid_out[j] of x[j] for j < n through the 16-lane table code that
/// tc_int8_lstm_forward runs, for the tests. Returns 0 without touching anything where
/// tc_int8_lstm_forward would not run.
int tc_table_activations16(int n, const float *x, float *tanh_out, float *sigmoid_out);

/// The integer LSTM's T steps (Compression's QuantizedRecurrent.forward up to the Dense layer) for B
/// windows whose inputs x are time-major [T*B, D]: per step the input quantized per window, the
/// int8 products (wx: the int8 input kernel as float integers [D, 4H]; packed, offset: the
/// recurrent kernel from tc_int8_pack), z = b + (s_x s_Wx) acc_x + (s_Wh / 127) acc_h and the
/// cell with the table activations. Leaves c and h [B, H] of the last step, the same bits as the
/// Swift code. Returns 0 without touching anything when the processor lacks AVX-512 VNNI or the
/// sizes exceed the limits.
#define TC_INT8_LSTM_MAX_UNITS 1040
#define TC_INT8_LSTM_MAX_INPUTS 1040
int tc_int8_lstm_forward(int steps, int batch, int inputs, int units, const float *x, const float *wx,
                         const int8_t *packed, const int32_t *offset, const float *bias, const float *kernelScales,
                         const float *hiddenScales, float *c, float *h);

/// A float LSTM's T steps for one window (x: [T, D]; wx [D, 4H], wh [H, 4H], bias [4H] as in
/// Modeling's ParameterLayout): leaves c and h [H] of the last step, the same bits as
/// RecurrentForecaster.forward at batch 1. Returns 0 without touching anything when the processor
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


/// A spin-wait hint (x86 PAUSE): lets the other hyperthread run and saves power while a worker
/// polls for the next batch (Modeling's WorkerPool).
static inline void tc_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/// out[c * rows + r] = x[r * ld + c]: a [rows, cols] matrix (row stride ld) transposed into a
/// dense [cols, rows] one (NumericCore's `transpose`), in 8 x 8 register blocks where the
/// processor has AVX.
void tc_transpose(int rows, int cols, const float *x, int ld, float *out);

#endif
