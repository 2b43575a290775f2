/* avx512/gemm.c: SGEMM on zmm registers (the SGEMV is the AVX2 one, see below).
 *
 * SGEMM follows the GotoBLAS/BLIS layering.  op(B) is packed a (kc × nc) block at a time into
 * NR-wide column panels (k-major), op(A) one (mr × kc) micro-panel at a time (k-major, scaled
 * by alpha); the packers absorb both transposes, so all four forms run the same micro-kernel.
 * The micro-kernel keeps a 12×32 tile of C in 24 zmm accumulators: per k it loads 32 floats
 * of B and broadcasts 12 of A, for 24 FMAs.  Loop order (outer to inner): nc block of N, kc
 * block of K (pack B), MR rows of M (pack A), NR columns.  The A micro-panel (12 KB) stays
 * in L1 while the B block (up to 256 KB) streams from L2, as in BLIS's Skylake-X kernels.
 *
 * Edges: a short M tail runs a micro-kernel compiled for exactly that many rows, a short N
 * tail uses masked loads and stores, so no tile ever touches memory outside C.
 *
 * Small M, the decode and short-prompt case of x · Wᵀ, skips the packing of B, which would
 * cost as much as the product: one row of A·Bᵀ is an SGEMV over B's rows (gemm_row_nt), a
 * few rows are 4×4 tiles of dot products (gemm_small_nt), and A·B reads B's rows in place
 * (gemm_small_nn).  For A·Bᵀ the method depends on M and K only, never on N, so a thread's
 * slice of N computes bit for bit what the whole product would (sm_gemm relies on it).
 */
#include "sm-kernels-private.h"

#include <immintrin.h>

#define MR 12
#define NR 32
#define KC 256
#define NC 256

/* Packed operands, per thread (sm_gemm runs one sgemm per thread):
 * b_pack: the (kc × nc) block of op(B) as nc/NR panels, each kc rows of NR floats;
 * a_pack: one micro-panel of alpha · op(A): kc rows of MR floats, plus 16 floats of slack for
 *         the packers' overlapping 16-wide stores. */
static _Thread_local float b_pack[KC * NC] __attribute__ ((aligned (64)));
static _Thread_local float a_pack[MR * KC + 16] __attribute__ ((aligned (64)));

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

static ALWAYS_INLINE __mmask16
mask_first (size_t n)
{
  return n >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << n) - 1u);
}

/* In-register transpose: r[i] holds row i of a 16×16 tile on entry, column i on return. */
static ALWAYS_INLINE void
transpose16 (__m512 r[16])
{
  __m512 t[16];

  for (int i = 0; i < 16; i += 2)
    {
      t[i] = _mm512_unpacklo_ps (r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps (r[i], r[i + 1]);
    }
  for (int i = 0; i < 16; i += 4)
    {
      __m512d a = _mm512_castps_pd (t[i]), b = _mm512_castps_pd (t[i + 1]);
      __m512d c = _mm512_castps_pd (t[i + 2]), d = _mm512_castps_pd (t[i + 3]);
      r[i] = _mm512_castpd_ps (_mm512_unpacklo_pd (a, c));
      r[i + 1] = _mm512_castpd_ps (_mm512_unpackhi_pd (a, c));
      r[i + 2] = _mm512_castpd_ps (_mm512_unpacklo_pd (b, d));
      r[i + 3] = _mm512_castpd_ps (_mm512_unpackhi_pd (b, d));
    }
  for (int i = 0; i < 4; i++)
    {
      t[i] = _mm512_shuffle_f32x4 (r[i], r[i + 4], 0x88);
      t[i + 4] = _mm512_shuffle_f32x4 (r[i], r[i + 4], 0xdd);
      t[i + 8] = _mm512_shuffle_f32x4 (r[i + 8], r[i + 12], 0x88);
      t[i + 12] = _mm512_shuffle_f32x4 (r[i + 8], r[i + 12], 0xdd);
    }
  for (int i = 0; i < 8; i++)
    {
      r[i] = _mm512_shuffle_f32x4 (t[i], t[i + 8], 0x88);
      r[i + 8] = _mm512_shuffle_f32x4 (t[i], t[i + 8], 0xdd);
    }
}

/* Sum of each of four vectors: {Σx0, Σx1, Σx2, Σx3}. */
static ALWAYS_INLINE __m128
reduce4 (__m512 x0, __m512 x1, __m512 x2, __m512 x3)
{
  __m128 q[4];
  __m512 x[4] = { x0, x1, x2, x3 };

  for (int i = 0; i < 4; i++)
    {
      __m256 h = _mm256_add_ps (_mm512_castps512_ps256 (x[i]), _mm512_extractf32x8_ps (x[i], 1));
      q[i] = _mm_add_ps (_mm256_castps256_ps128 (h), _mm256_extractf128_ps (h, 1));
    }
  return _mm_hadd_ps (_mm_hadd_ps (q[0], q[1]), _mm_hadd_ps (q[2], q[3]));
}

/* ---- C = beta · C, for K == 0 or alpha == 0 ------------------------------------------------ */

static void
scale_c (size_t M, size_t N, float beta, float *C, size_t ldc)
{
  __m512 vb = _mm512_set1_ps (beta);

  if (beta == 1.0f)
    return;
  for (size_t i = 0; i < M; i++)
    {
      float *c = C + i * ldc;
      for (size_t j = 0; j < N; j += 16)
        {
          __mmask16 m = mask_first (N - j);
          /* beta == 0 must not read C: NaN · 0 would stay NaN. */
          __m512 v = beta == 0.0f ? _mm512_setzero_ps ()
                                  : _mm512_mul_ps (vb, _mm512_maskz_loadu_ps (m, c + j));
          _mm512_mask_storeu_ps (c + j, m, v);
        }
    }
}

/* ---- packing ---------------------------------------------------------------------------- */

/* b_pack panels from B stored K×N (op(B) = B): rows of NR contiguous floats. */
static void
pack_b_n (const float *B, size_t ldb, size_t kc, size_t nc, float *dst)
{
  for (size_t j = 0; j < nc; j += NR, dst += kc * NR)
    {
      size_t nr = nc - j < NR ? nc - j : NR;
      const float *src = B + j;
      if (nr == NR)
        {
          for (size_t k = 0; k < kc; k++, src += ldb)
            {
              _mm512_store_ps (dst + k * NR, _mm512_loadu_ps (src));
              _mm512_store_ps (dst + k * NR + 16, _mm512_loadu_ps (src + 16));
            }
        }
      else
        {
          __mmask16 m0 = mask_first (nr), m1 = nr > 16 ? mask_first (nr - 16) : 0;
          for (size_t k = 0; k < kc; k++, src += ldb)
            {
              _mm512_store_ps (dst + k * NR, _mm512_maskz_loadu_ps (m0, src));
              _mm512_store_ps (dst + k * NR + 16, _mm512_maskz_loadu_ps (m1, src + 16));
            }
        }
    }
}

/* b_pack panels from B stored N×K (op(B) = Bᵀ): 16×16 tiles transposed in registers. */
static void
pack_b_t (const float *B, size_t ldb, size_t kc, size_t nc, float *dst)
{
  for (size_t j = 0; j < nc; j += NR, dst += kc * NR)
    {
      size_t nr = nc - j < NR ? nc - j : NR;
      for (size_t k = 0; k < kc; k += 16)
        {
          size_t kk = kc - k < 16 ? kc - k : 16;
          __mmask16 km = mask_first (kk);
          for (size_t h = 0; h < NR; h += 16)
            {
              __m512 r[16];
              for (size_t i = 0; i < 16; i++)
                r[i] = h + i < nr ? _mm512_maskz_loadu_ps (km, B + (j + h + i) * ldb + k)
                                  : _mm512_setzero_ps ();
              transpose16 (r);
              for (size_t t = 0; t < kk; t++)
                _mm512_store_ps (dst + (k + t) * NR + h, r[t]);
            }
        }
    }
}

/* a_pack from rows of A stored M×K (op(A) = A), scaled by alpha.  Each k's MR floats are
 * written with a 16-wide store whose last 4 lanes the next k's store overwrites. */
static void
pack_a_n (const float *A, size_t lda, size_t mr, size_t kc, float alpha, float *dst)
{
  __m512 va = _mm512_set1_ps (alpha);

  for (size_t k = 0; k < kc; k += 16)
    {
      size_t kk = kc - k < 16 ? kc - k : 16;
      __mmask16 km = mask_first (kk);
      __m512 r[16];
      for (size_t i = 0; i < 16; i++)
        r[i] = i < mr ? _mm512_maskz_loadu_ps (km, A + i * lda + k) : _mm512_setzero_ps ();
      transpose16 (r);
      for (size_t t = 0; t < kk; t++)
        _mm512_storeu_ps (dst + (k + t) * MR, _mm512_mul_ps (va, r[t]));
    }
}

/* a_pack from A stored K×M (op(A) = Aᵀ): each k's mr floats are contiguous already. */
static void
pack_a_t (const float *A, size_t lda, size_t mr, size_t kc, float alpha, float *dst)
{
  __m512 va = _mm512_set1_ps (alpha);
  __mmask16 m = mask_first (mr);

  for (size_t k = 0; k < kc; k++)
    _mm512_storeu_ps (dst + k * MR, _mm512_mul_ps (va, _mm512_maskz_loadu_ps (m, A + k * lda)));
}

/* ---- micro-kernel ------------------------------------------------------------------------ */

typedef enum {
  STORE_SET,     /* C = acc (beta == 0: C is not read) */
  STORE_ADD,     /* C += acc (beta == 1, and every kc block after the first) */
  STORE_SCALE,   /* C = acc + beta · C */
} StoreMode;

static ALWAYS_INLINE void
store_row (float *c, __m512 v, __mmask16 m, bool full, StoreMode mode, __m512 vbeta)
{
  if (full)
    {
      if (mode == STORE_ADD)
        v = _mm512_add_ps (v, _mm512_loadu_ps (c));
      else if (mode == STORE_SCALE)
        v = _mm512_fmadd_ps (vbeta, _mm512_loadu_ps (c), v);
      _mm512_storeu_ps (c, v);
    }
  else if (m != 0)
    {
      if (mode == STORE_ADD)
        v = _mm512_add_ps (v, _mm512_maskz_loadu_ps (m, c));
      else if (mode == STORE_SCALE)
        v = _mm512_fmadd_ps (vbeta, _mm512_maskz_loadu_ps (m, c), v);
      _mm512_mask_storeu_ps (c, m, v);
    }
}

/* C[0..mr) × [0..nr) (+)= a_panel · b_panel over kc.  mr is a constant in each expansion, so
 * the accumulators live in registers: 2·mr of them plus two B vectors.  B's two 16-wide
 * halves of row k are at bp and bp1 + k·bs: one b_pack panel (bp1 = bp + 16, bs = NR), or two
 * sm_pack_b16 () panels. */
static ALWAYS_INLINE void
micro_kernel (const int mr, size_t kc, const float *restrict ap, const float *restrict bp,
              const float *restrict bp1, size_t bs, float *c, size_t ldc, size_t nr,
              StoreMode mode, float beta)
{
  __m512 acc0[MR], acc1[MR];

#pragma GCC unroll 12
  for (int i = 0; i < mr; i++)
    {
      acc0[i] = _mm512_setzero_ps ();
      acc1[i] = _mm512_setzero_ps ();
    }

#pragma GCC unroll 2
  for (size_t k = 0; k < kc; k++)
    {
      __m512 b0 = _mm512_load_ps (bp);
      __m512 b1 = _mm512_load_ps (bp1);
#pragma GCC unroll 12
      for (int i = 0; i < mr; i++)
        {
          __m512 a = _mm512_set1_ps (ap[i]);
          acc0[i] = _mm512_fmadd_ps (a, b0, acc0[i]);
          acc1[i] = _mm512_fmadd_ps (a, b1, acc1[i]);
        }
      ap += MR;
      bp += bs;
      bp1 += bs;
    }

  bool full = nr == NR;
  __mmask16 m0 = mask_first (nr), m1 = nr > 16 ? mask_first (nr - 16) : 0;
  __m512 vbeta = _mm512_set1_ps (beta);
#pragma GCC unroll 12
  for (int i = 0; i < mr; i++)
    {
      store_row (c + i * ldc, acc0[i], m0, full, mode, vbeta);
      store_row (c + i * ldc + 16, acc1[i], m1, full, mode, vbeta);
    }
}

#define KERNEL_CASE(n)                                                       \
  case n:                                                                    \
    micro_kernel (n, kc, ap, bp, bp1, bs, c, ldc, nr, mode, beta);           \
    break

static void
run_tile (size_t mr, size_t kc, const float *ap, const float *bp, const float *bp1, size_t bs,
          float *c, size_t ldc, size_t nr, StoreMode mode, float beta)
{
  switch (mr)
    {
      KERNEL_CASE (12); KERNEL_CASE (11); KERNEL_CASE (10); KERNEL_CASE (9);
      KERNEL_CASE (8); KERNEL_CASE (7); KERNEL_CASE (6); KERNEL_CASE (5);
      KERNEL_CASE (4); KERNEL_CASE (3); KERNEL_CASE (2); KERNEL_CASE (1);
    default:
      g_assert_not_reached ();
    }
}

static inline void
run_kernel (size_t mr, size_t kc, const float *ap, const float *bp, float *c, size_t ldc,
            size_t nr, StoreMode mode, float beta)
{
  run_tile (mr, kc, ap, bp, bp + 16, NR, c, ldc, nr, mode, beta);
}

/* Two sm_pack_b16 () panels make one NR-wide tile; past N the second is the packing's zero
 * padding (N is rounded up to whole tiles), never memory outside P. */
G_STATIC_ASSERT (NR == 2 * SM_PACK_W);

static inline void
run_panels (size_t mr, size_t kc, const float *ap, const float *panel, size_t panel_stride,
            float *c, size_t ldc, size_t nr, StoreMode mode, float beta)
{
  run_tile (mr, kc, ap, panel, panel + panel_stride, SM_PACK_W, c, ldc, nr, mode, beta);
}

/* ---- small M: no packing of B ----------------------------------------------------------- */

/* Where sm_avx512_sgemm computes straight from B, set by measuring both paths on x · Wᵀ
 * shapes (M 1..256, N×K from 64×64 to 32000×288 and 4096×4096):
 * A·Bᵀ takes dot products up to SMALL_M_NT rows when K is long enough to amortise their
 * reductions; A·B reads B in place up to SMALL_M_NN rows, or for any M when B fits in L2
 * (NN_DIRECT_BYTES), since each 6-row block then re-reads it from L2 as fast as a packed
 * copy.  The dot products take A in k-slices of DOT_A_BYTES so A stays in L2. */
#define SMALL_M_NT 64
#define SMALL_M_NN 6
#define NN_DIRECT_BYTES (1024 * 1024)
#define DOT_A_BYTES (192 * 1024)

/* A·Bᵀ for mb ≤ 4 rows of A against 4 rows of B: 16 dot products along k, reduced at the end.
 * Columns past nb read B's first row again (valid memory) and are dropped at the store. */
static ALWAYS_INLINE void
dot_tile (const int mb, size_t K, const float *A, size_t lda, const float *B, size_t ldb,
          size_t nb, float alpha, float beta, float *C, size_t ldc, const float *next)
{
  const float *b0 = B, *b1 = nb > 1 ? B + ldb : B, *b2 = nb > 2 ? B + 2 * ldb : B;
  const float *b3 = nb > 3 ? B + 3 * ldb : B;
  __m512 acc[4][4];
  size_t k = 0;

#pragma GCC unroll 4
  for (int i = 0; i < mb; i++)
    acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = _mm512_setzero_ps ();

  for (; k + 16 <= K; k += 16)
    {
      __m512 v0 = _mm512_loadu_ps (b0 + k), v1 = _mm512_loadu_ps (b1 + k);
      __m512 v2 = _mm512_loadu_ps (b2 + k), v3 = _mm512_loadu_ps (b3 + k);
      if (next != NULL)
        {
          /* B streams from memory once: fetch the next 4 rows' line while this one is used. */
          _mm_prefetch ((const char *) (next + k), _MM_HINT_T1);
          _mm_prefetch ((const char *) (next + ldb + k), _MM_HINT_T1);
          _mm_prefetch ((const char *) (next + 2 * ldb + k), _MM_HINT_T1);
          _mm_prefetch ((const char *) (next + 3 * ldb + k), _MM_HINT_T1);
        }
#pragma GCC unroll 4
      for (int i = 0; i < mb; i++)
        {
          __m512 a = _mm512_loadu_ps (A + i * lda + k);
          acc[i][0] = _mm512_fmadd_ps (a, v0, acc[i][0]);
          acc[i][1] = _mm512_fmadd_ps (a, v1, acc[i][1]);
          acc[i][2] = _mm512_fmadd_ps (a, v2, acc[i][2]);
          acc[i][3] = _mm512_fmadd_ps (a, v3, acc[i][3]);
        }
    }
  if (k < K)
    {
      __mmask16 m = mask_first (K - k);
      __m512 v0 = _mm512_maskz_loadu_ps (m, b0 + k), v1 = _mm512_maskz_loadu_ps (m, b1 + k);
      __m512 v2 = _mm512_maskz_loadu_ps (m, b2 + k), v3 = _mm512_maskz_loadu_ps (m, b3 + k);
#pragma GCC unroll 4
      for (int i = 0; i < mb; i++)
        {
          __m512 a = _mm512_maskz_loadu_ps (m, A + i * lda + k);
          acc[i][0] = _mm512_fmadd_ps (a, v0, acc[i][0]);
          acc[i][1] = _mm512_fmadd_ps (a, v1, acc[i][1]);
          acc[i][2] = _mm512_fmadd_ps (a, v2, acc[i][2]);
          acc[i][3] = _mm512_fmadd_ps (a, v3, acc[i][3]);
        }
    }

  __mmask8 nm = (__mmask8) ((1u << nb) - 1u);
#pragma GCC unroll 4
  for (int i = 0; i < mb; i++)
    {
      __m128 s = _mm_mul_ps (_mm_set1_ps (alpha), reduce4 (acc[i][0], acc[i][1], acc[i][2], acc[i][3]));
      float *c = C + i * ldc;
      if (beta != 0.0f)
        s = _mm_fmadd_ps (_mm_set1_ps (beta), _mm_maskz_loadu_ps (nm, c), s);
      _mm_mask_storeu_ps (c, nm, s);
    }
}

static void
gemm_small_nt (size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
               const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
  /* A's k-slice (M × kb) stays in L2 while every 4 rows of B pass over it; within a slice
   * each row block of A meets the same 4 rows of B while they are in L1. */
  size_t kb = (DOT_A_BYTES / sizeof (float) / M) & ~(size_t) 15;
  kb = kb < 256 ? 256 : kb;

  for (size_t p = 0; p < K; p += kb)
    {
      size_t kk = K - p < kb ? K - p : kb;
      float beta_p = p == 0 ? beta : 1.0f;
      for (size_t j = 0; j < N; j += 4)
        {
          size_t nb = N - j < 4 ? N - j : 4;
          const float *b = B + j * ldb + p;
          const float *next = j + 8 <= N ? b + 4 * ldb : NULL;
          for (size_t i = 0; i < M; i += 4)
            {
              const float *a = A + i * lda + p;
              float *c = C + i * ldc + j;
              switch (M - i < 4 ? M - i : 4)
                {
                case 4: dot_tile (4, kk, a, lda, b, ldb, nb, alpha, beta_p, c, ldc, next); break;
                case 3: dot_tile (3, kk, a, lda, b, ldb, nb, alpha, beta_p, c, ldc, next); break;
                case 2: dot_tile (2, kk, a, lda, b, ldb, nb, alpha, beta_p, c, ldc, next); break;
                default: dot_tile (1, kk, a, lda, b, ldb, nb, alpha, beta_p, c, ldc, next); break;
                }
              next = NULL;
            }
        }
    }
}

/* op(A)·B for mr ≤ 6 rows, 64 columns of B read in place: 4 vectors per k, as the packed
 * micro-kernel does, but with B's own row stride.  op(A)[i, k] = A[i·a_rs + k·a_cs]. */
static ALWAYS_INLINE void
direct_tile (const int mr, size_t K, const float *A, size_t a_rs, size_t a_cs,
             const float *B, size_t ldb, size_t nr, float alpha, float beta, float *C,
             size_t ldc)
{
  __mmask16 m[4];
  __m512 acc[6][4];

  for (int v = 0; v < 4; v++)
    m[v] = nr > (size_t) v * 16 ? mask_first (nr - (size_t) v * 16) : 0;
#pragma GCC unroll 6
  for (int i = 0; i < mr; i++)
    acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = _mm512_setzero_ps ();

  for (size_t k = 0; k < K; k++)
    {
      const float *b = B + k * ldb;
      __m512 v0 = _mm512_maskz_loadu_ps (m[0], b), v1 = _mm512_maskz_loadu_ps (m[1], b + 16);
      __m512 v2 = _mm512_maskz_loadu_ps (m[2], b + 32), v3 = _mm512_maskz_loadu_ps (m[3], b + 48);
#pragma GCC unroll 6
      for (int i = 0; i < mr; i++)
        {
          __m512 a = _mm512_set1_ps (A[i * a_rs + k * a_cs]);
          acc[i][0] = _mm512_fmadd_ps (a, v0, acc[i][0]);
          acc[i][1] = _mm512_fmadd_ps (a, v1, acc[i][1]);
          acc[i][2] = _mm512_fmadd_ps (a, v2, acc[i][2]);
          acc[i][3] = _mm512_fmadd_ps (a, v3, acc[i][3]);
        }
    }

  __m512 va = _mm512_set1_ps (alpha), vb = _mm512_set1_ps (beta);
#pragma GCC unroll 6
  for (int i = 0; i < mr; i++)
    for (int v = 0; v < 4; v++)
      {
        float *c = C + i * ldc + v * 16;
        __m512 s = _mm512_mul_ps (va, acc[i][v]);
        if (m[v] == 0)
          break;
        if (beta != 0.0f)
          s = _mm512_fmadd_ps (vb, _mm512_maskz_loadu_ps (m[v], c), s);
        _mm512_mask_storeu_ps (c, m[v], s);
      }
}

#define NN_TILE_N 64
#define SM_GEMM_ISA_SGEMM sm_avx512_sgemm
#define SM_GEMM_ISA_SGEMM_PACKED sm_avx512_sgemm_packed
#define SM_GEMM_ISA_SGEMV sm_avx2_sgemv   /* this level has no SGEMV of its own: see below */
#include "gemm-driver.inc"

/* ---- SGEMV ------------------------------------------------------------------------------ */

/* No SGEMV here: the table keeps the AVX2 one (avx512/table.c), which the driver's one-row
 * A·Bᵀ calls too.  A GEMV streams its matrix once and waits on memory, and 512-bit loads buy
 * nothing there on Zen 4 (its 512-bit units are two 256-bit halves).  Measured in the
 * stories15M-shape decode, ten interleaved runs each: the 512-bit version's median 305 tok/s
 * against 358 for the AVX2 one; in cache (768×288) 42 against 44 GFLOP/s. */

/* ---- SGEMV on packed weights -------------------------------------------------------------- */

/* Rows [0, rows) of np panels: each k-row of a panel is one cache line of 16 sums' terms, so
 * per k one broadcast of x[k] and one FMA per panel, with no horizontal sums at the end; 8
 * panels at once keep 8 independent sums in flight over the FMA latency. */
static ALWAYS_INLINE void
gemv_panels (const int np, size_t K, const float *P, const float *x, float *y, size_t rows)
{
  const size_t ps = SM_PACK_W * K;
  __m512 acc[8];

#pragma GCC unroll 8
  for (int p = 0; p < np; p++)
    acc[p] = _mm512_setzero_ps ();
  for (size_t k = 0; k < K; k++)
    {
      __m512 xb = _mm512_set1_ps (x[k]);
#pragma GCC unroll 8
      for (int p = 0; p < np; p++)
        acc[p] = _mm512_fmadd_ps (_mm512_load_ps (P + p * ps + k * SM_PACK_W), xb, acc[p]);
    }
#pragma GCC unroll 8
  for (int p = 0; p < np; p++)
    {
      size_t done = (size_t) p * SM_PACK_W;
      if (done < rows)
        _mm512_mask_storeu_ps (y + done, mask_first (rows - done), acc[p]);
    }
}

void
sm_avx512_sgemv_packed (size_t N, size_t K, const float *P, const float *x, float *y)
{
  const size_t n_panels = (N + SM_PACK_W - 1) / SM_PACK_W;

  for (size_t p0 = 0; p0 < n_panels; p0 += 8)
    {
      const float *Pb = P + p0 * SM_PACK_W * K;
      float *yb = y + p0 * SM_PACK_W;
      size_t rows = N - p0 * SM_PACK_W;
      switch (n_panels - p0 < 8 ? n_panels - p0 : 8)
        {
        case 8: gemv_panels (8, K, Pb, x, yb, rows); break;
        case 7: gemv_panels (7, K, Pb, x, yb, rows); break;
        case 6: gemv_panels (6, K, Pb, x, yb, rows); break;
        case 5: gemv_panels (5, K, Pb, x, yb, rows); break;
        case 4: gemv_panels (4, K, Pb, x, yb, rows); break;
        case 3: gemv_panels (3, K, Pb, x, yb, rows); break;
        case 2: gemv_panels (2, K, Pb, x, yb, rows); break;
        default: gemv_panels (1, K, Pb, x, yb, rows); break;
        }
    }
}
