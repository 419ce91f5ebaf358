// NumericCore's matrix products (NN, TN) and the LSTM's fused gate pass in 8 lanes of AVX2 with
// FMA, for processors without AVX-512 (gemm.c has the 16-lane ones). Each element of C is the
// same chain of fused multiply-adds in increasing k as in the Swift kernels and the references,
// so the bits are the same at any width and any tiling (tested).
//
// AVX2 has sixteen vector registers, so the tiles are smaller than gemm.c's: six rows by sixteen
// columns take twelve accumulators, two for the row of B and one for the broadcast element of A.
// Twelve independent chains cover the latency of two FMA units (four cycles each), and each
// load of B serves six rows.
#include "kernels_avx2.h"

int tc_pack_gate_weights_count(int inputs, int units) { return (4 * units + 15) / 16 * 16 * (inputs + units); }

#if defined(__x86_64__) && defined(__clang__)
#include "lanes8.h"

/// r0[r], r1[r] (+)= A'[r][p] * B[p][0 ..< 16] for p in 0 ..< k, one fused multiply-add after
/// another in increasing p; b points at the tile's first column. `full` (a constant after
/// inlining) drops the masks.
AVX2_TILE void fma_rows(int rows, int k, const float *a, int rowStride, int kStride, const float *b, int ldb,
                        int full, lanes8_t m0, lanes8_t m1, __m256 *r0, __m256 *r1) {
  for (int p = 0; p < k; p++) {
    const float *bp = b + (long)p * ldb, *ap = a + (long)p * kStride;
    __m256 b0, b1;
    if (full) {
      b0 = _mm256_loadu_ps(bp);
      b1 = _mm256_loadu_ps(bp + 8);
    } else {
      b0 = _mm256_maskload_ps(bp, m0.bits);
      b1 = _mm256_maskload_ps(bp + 8, m1.bits);
    }
    for (int r = 0; r < rows; r++) {
      __m256 s = _mm256_broadcast_ss(ap + (long)r * rowStride);
      r0[r] = _mm256_fmadd_ps(s, b0, r0[r]);
      r1[r] = _mm256_fmadd_ps(s, b1, r1[r]);
    }
  }
}

/// The rows' accumulators from C, columns j ..< j + 16 under the masks.
AVX2_TILE void load_rows(int rows, const float *c, int ldc, int j, int full, lanes8_t m0, lanes8_t m1, __m256 *r0,
                         __m256 *r1) {
  for (int r = 0; r < rows; r++) {
    const float *cr = c + (long)r * ldc + j;
    r0[r] = full ? _mm256_loadu_ps(cr) : _mm256_maskload_ps(cr, m0.bits);
    r1[r] = full ? _mm256_loadu_ps(cr + 8) : _mm256_maskload_ps(cr + 8, m1.bits);
  }
}

AVX2_TILE void store_rows(int rows, float *c, int ldc, int j, int full, lanes8_t m0, lanes8_t m1, const __m256 *r0,
                          const __m256 *r1) {
  for (int r = 0; r < rows; r++) {
    float *cr = c + (long)r * ldc + j;
    if (full) {
      _mm256_storeu_ps(cr, r0[r]);
      _mm256_storeu_ps(cr + 8, r1[r]);
    } else {
      _mm256_maskstore_ps(cr, m0.bits, r0[r]);
      _mm256_maskstore_ps(cr + 8, m1.bits, r1[r]);
    }
  }
}

/// `rows` (a constant at each call: 6, 4, 2 or 1) rows x 16 columns of C, masked at the right
/// edge, with B's columns j ..< j + 16 read at b (row stride ldb; masked past n unless packed): C
/// is read, the chains run in registers, C is written once.
AVX2_TILE void tile16(int rows, int k, const float *a, int rowStride, int kStride, const float *b, int ldb,
                      int packed, float *c, int ldc, int n, int j) {
  __m256 r0[6], r1[6];
  lanes8_t m0 = lanes8(n, j), m1 = lanes8(n, j + 8);
  if (n - j >= 16) {
    load_rows(rows, c, ldc, j, 1, m0, m1, r0, r1);
    fma_rows(rows, k, a, rowStride, kStride, b, ldb, 1, m0, m1, r0, r1);
    store_rows(rows, c, ldc, j, 1, m0, m1, r0, r1);
  } else {
    load_rows(rows, c, ldc, j, 0, m0, m1, r0, r1);
    if (packed) fma_rows(rows, k, a, rowStride, kStride, b, ldb, 1, m0, m1, r0, r1);
    else fma_rows(rows, k, a, rowStride, kStride, b, ldb, 0, m0, m1, r0, r1);
    store_rows(rows, c, ldc, j, 0, m0, m1, r0, r1);
  }
}

/// The rows of C from `i` on, tiles of six, then one of four, then of two, then a single row,
/// columns j ..< j + 16 (B as tile16 takes it).
AVX2_TILE void rows16(int i, int m, int k, const float *a, int rowStride, int kStride, const float *b, int ldb,
                      int packed, float *c, int ldc, int n, int j) {
  for (; i + 6 <= m; i += 6)
    tile16(6, k, a + (long)i * rowStride, rowStride, kStride, b, ldb, packed, c + (long)i * ldc, ldc, n, j);
  for (; i + 4 <= m; i += 4)
    tile16(4, k, a + (long)i * rowStride, rowStride, kStride, b, ldb, packed, c + (long)i * ldc, ldc, n, j);
  for (; i + 2 <= m; i += 2)
    tile16(2, k, a + (long)i * rowStride, rowStride, kStride, b, ldb, packed, c + (long)i * ldc, ldc, n, j);
  for (; i < m; i++)
    tile16(1, k, a + (long)i * rowStride, rowStride, kStride, b, ldb, packed, c + (long)i * ldc, ldc, n, j);
}

/// Columns j ..< j + 16 of k rows of B copied into a dense [k][16] strip, zeros past n. Read in
/// place, B's rows are ldb apart: with the LSTM's 1 KB (256 gate columns) every row of a strip
/// falls in the same four of the L1 cache's 64 sets, and a strip of 64 rows evicts itself
/// (measured: 71 against 91 GFLOP/s for a 6 x 16 tile). Packed, the rows are consecutive.
AVX2_TILE void pack_strip(int k, const float *b, int ldb, int n, int j, float *strip) {
  lanes8_t m0 = lanes8(n, j), m1 = lanes8(n, j + 8);
  int full = n - j >= 16;
  for (int p = 0; p < k; p++) {
    const float *bp = b + (long)p * ldb + j;
    _mm256_storeu_ps(strip + 16 * p, full ? _mm256_loadu_ps(bp) : _mm256_maskload_ps(bp, m0.bits));
    _mm256_storeu_ps(strip + 16 * p + 8, full ? _mm256_loadu_ps(bp + 8) : _mm256_maskload_ps(bp + 8, m1.bits));
  }
}

/// One row x up to 64 columns in eight registers: eight independent chains, what a single
/// forecast (one row) needs to hide the multiply-add latency.
AVX2_TILE void row64(int k, const float *a, int kStride, const float *b, int ldb, float *c, int n, int j) {
  lanes8_t m[8];
  __m256 r[8];
  int full = n - j >= 64;
  for (int v = 0; v < 8; v++) {
    m[v] = lanes8(n, j + 8 * v);
    r[v] = full ? _mm256_loadu_ps(c + j + 8 * v) : _mm256_maskload_ps(c + j + 8 * v, m[v].bits);
  }
  for (int p = 0; p < k; p++) {
    __m256 s = _mm256_broadcast_ss(a + (long)p * kStride);
    const float *bp = b + (long)p * ldb + j;
    if (full)
      for (int v = 0; v < 8; v++) r[v] = _mm256_fmadd_ps(s, _mm256_loadu_ps(bp + 8 * v), r[v]);
    else
      for (int v = 0; v < 8; v++) r[v] = _mm256_fmadd_ps(s, _mm256_maskload_ps(bp + 8 * v, m[v].bits), r[v]);
  }
  for (int v = 0; v < 8; v++) {
    if (full) _mm256_storeu_ps(c + j + 8 * v, r[v]);
    else _mm256_maskstore_ps(c + j + 8 * v, m[v].bits, r[v]);
  }
}

/// The products take k in blocks of this many rows of B, so that a packed strip (16 KB) stays in
/// the L1 cache beside the tiles' rows of A.
#define STRIP_ROWS 256

/// One thread's packed strip.
static _Thread_local float strip_buffer[STRIP_ROWS * 16] __attribute__((aligned(32)));

/// Packing pays when a strip serves at least this many tiles of six rows.
#define PACKED_ROWS 24

/// Per strip of 16 columns (and, packed, per block of k), tiles of six rows, then one of four, then
/// of two, then a single row: each element's chain is the same whichever tile computes it (a
/// shard of 16 rows gives the bits of 16 single rows), and a block boundary only stores the
/// chain's value in C and loads it back. A product of one row (a single forecast) reads B 64
/// columns at a time; one of fewer than PACKED_ROWS rows reads B in place.
AVX2 void tc_avx2_gemm(int m, int n, int k, const float *a, int rowStride, int kStride, const float *b, int ldb,
                       float *c, int ldc, int accumulate) {
  if (!accumulate)
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) c[(long)i * ldc + j] = 0;
  if (m == 1) {
    for (int j = 0; j < n; j += 64) row64(k, a, kStride, b, ldb, c, n, j);
  } else if (m < PACKED_ROWS) {
    for (int j = 0; j < n; j += 16) rows16(0, m, k, a, rowStride, kStride, b + j, ldb, 0, c, ldc, n, j);
  } else {
    float *strip = strip_buffer;
    for (int p0 = 0; p0 < k; p0 += STRIP_ROWS) {
      int kc = k - p0 < STRIP_ROWS ? k - p0 : STRIP_ROWS;
      const float *ab = a + (long)p0 * kStride, *bb = b + (long)p0 * ldb;
      for (int j = 0; j < n; j += 16) {
        pack_strip(kc, bb, ldb, n, j, strip);
        rows16(0, m, kc, ab, rowStride, kStride, strip, 16, 1, c, ldc, n, j);
      }
    }
  }
}

/// The gate pre-activations of one step for `rows` rows, columns j ..< j + 16: each element starts
/// at the bias, then takes the input terms, then the recurrent ones, in registers throughout.
/// The weights come from wx + j and wh + j with row stride ld: the matrices in place (ld = 4H) or
/// their strip packed by tc_pack_gate_weights (ld = 16, zeros past 4H).
AVX2_TILE void gates_tile16(int rows, int D, int H, const float *x, const float *h, const float *wx,
                            const float *wh, int ld, const float *bias, float *z, int G, int j) {
  __m256 r0[6], r1[6];
  lanes8_t m0 = lanes8(G, j), m1 = lanes8(G, j + 8);
  int full = G - j >= 16;
  __m256 b0 = full ? _mm256_loadu_ps(bias + j) : _mm256_maskload_ps(bias + j, m0.bits);
  __m256 b1 = full ? _mm256_loadu_ps(bias + j + 8) : _mm256_maskload_ps(bias + j + 8, m1.bits);
  for (int r = 0; r < rows; r++) {
    r0[r] = b0;
    r1[r] = b1;
  }
  if (full || ld == 16) {
    fma_rows(rows, D, x, D, 1, wx, ld, 1, m0, m1, r0, r1);
    fma_rows(rows, H, h, H, 1, wh, ld, 1, m0, m1, r0, r1);
  } else {
    fma_rows(rows, D, x, D, 1, wx, ld, 0, m0, m1, r0, r1);
    fma_rows(rows, H, h, H, 1, wh, ld, 0, m0, m1, r0, r1);
  }
  if (full) store_rows(rows, z, G, j, 1, m0, m1, r0, r1);
  else store_rows(rows, z, G, j, 0, m0, m1, r0, r1);
}

/// The rows of the step from `t` on in tiles of six, four and two, columns j ..< j + 16, the
/// weights as gates_tile16 takes them; returns the first row left (at most one).
AVX2_TILE int gates_rows16(int t, int batch, int D, int H, const float *x, const float *h, const float *wx,
                           const float *wh, int ld, const float *bias, float *z, int G, int j) {
  for (; t + 6 <= batch; t += 6) gates_tile16(6, D, H, x + t * D, h + t * H, wx, wh, ld, bias, z + t * G, G, j);
  for (; t + 4 <= batch; t += 4) gates_tile16(4, D, H, x + t * D, h + t * H, wx, wh, ld, bias, z + t * G, G, j);
  for (; t + 2 <= batch; t += 2) gates_tile16(2, D, H, x + t * D, h + t * H, wx, wh, ld, bias, z + t * G, G, j);
  return t;
}

AVX2 static void pack_gate_weights(int D, int H, const float *wx, const float *wh, float *packed) {
  int G = 4 * H;
  for (int j = 0, s = 0; j < G; j += 16, s++) {
    float *strip = packed + (long)s * (D + H) * 16;
    pack_strip(D, wx, G, G, j, strip);
    pack_strip(H, wh, G, G, j, strip + 16 * D);
  }
}

void tc_pack_gate_weights(int inputs, int units, const float *wx, const float *wh, float *packed) {
  if (tc_avx2()) pack_gate_weights(inputs, units, wx, wh, packed);
}

AVX2 void tc_avx2_lstm_gates(int batch, int inputs, int units, const float *x, const float *h, const float *wx,
                             const float *wh, const float *bias, const float *packed, float *z) {
  int D = inputs, H = units, G = 4 * units, t = 0;
  if (packed) {
    // Strip by strip: a packed strip (D + H rows of 64 bytes) stays in the L1 cache for every tile.
    for (int j = 0, s = 0; j < G; j += 16, s++) {
      const float *strip = packed + (long)s * (D + H) * 16;
      t = gates_rows16(0, batch, D, H, x, h, strip, strip + 16 * D, 16, bias, z, G, j);
    }
  } else {
    for (int j = 0; j < G; j += 16) t = gates_rows16(0, batch, D, H, x, h, wx + j, wh + j, G, bias, z, G, j);
  }
  // A single row (a forecast of one window) takes the chains eight registers wide: the bias
  // copied, then the two products accumulated, which is the same chain.
  for (; t < batch; t++) {
    float *zr = z + t * G;
    for (int j = 0; j < G; j++) zr[j] = bias[j];
    for (int j = 0; j < G; j += 64) row64(D, x + t * D, 1, wx, G, zr, G, j);
    for (int j = 0; j < G; j += 64) row64(H, h + t * H, 1, wh, G, zr, G, j);
  }
}
#else
void tc_pack_gate_weights(int inputs, int units, const float *wx, const float *wh, float *packed) {
  (void)inputs; (void)units; (void)wx; (void)wh; (void)packed;
}
#endif
