/* avx2/gemm.c: SGEMM and SGEMV on ymm registers (AVX2 + FMA).
 *
 * The same layering as avx512/gemm.c, sized for 16 vector registers: op(B) is packed a
 * (kc × nc) block at a time into 16-wide column panels, alpha · op(A) one 6-row micro-panel
 * at a time, and a 6×16 micro-kernel keeps C in 12 ymm accumulators (per k: two loads of B,
 * six broadcasts of A, twelve FMAs).  The packers absorb both transposes.
 *
 * AVX2 has no cheap masked store (vmaskmovps stores are microcoded on AMD), so a short N
 * tail goes through a scratch tile, and a short M tail runs a micro-kernel compiled for
 * exactly that many rows; masked loads, fast everywhere, read every ragged edge in place.
 *
 * Small M skips the packing of B as avx512/gemm.c does: SGEMV for one row of A·Bᵀ, 3×4 dot
 * tiles over B's rows for a few, B's rows read in place for A·B.
 */
#include "sm-kernels-private.h"

#include <immintrin.h>
#include <string.h>

#define MR 6
#define NR 16
#define KC 256
#define NC 256

/* Packed operands, per thread (sm_gemm runs one sgemm per thread):
 * b_pack: the (kc × nc) block of op(B) as nc/NR panels, each kc rows of NR floats;
 * a_pack: one micro-panel of alpha · op(A): kc rows of MR floats, plus slack for the
 *         packers' overlapping 8-wide stores. */
static _Thread_local float b_pack[KC * NC] __attribute__ ((aligned (64)));
static _Thread_local float a_pack[MR * KC + 8] __attribute__ ((aligned (64)));

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

/* Lanes [0, n) set, for _mm256_maskload_ps. */
static ALWAYS_INLINE __m256i
mask_first (size_t n)
{
  const __m256i idx = _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 ((int) (n < 8 ? n : 8)), idx);
}

/* In-register transpose: r[i] holds row i of an 8×8 tile on entry, column i on return. */
static ALWAYS_INLINE void
transpose8 (__m256 r[8])
{
  __m256 t[8], u[8];

  for (int i = 0; i < 8; i += 2)
    {
      t[i] = _mm256_unpacklo_ps (r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps (r[i], r[i + 1]);
    }
  for (int i = 0; i < 8; i += 4)
    {
      u[i] = _mm256_shuffle_ps (t[i], t[i + 2], 0x44);
      u[i + 1] = _mm256_shuffle_ps (t[i], t[i + 2], 0xee);
      u[i + 2] = _mm256_shuffle_ps (t[i + 1], t[i + 3], 0x44);
      u[i + 3] = _mm256_shuffle_ps (t[i + 1], t[i + 3], 0xee);
    }
  for (int i = 0; i < 4; i++)
    {
      r[i] = _mm256_permute2f128_ps (u[i], u[i + 4], 0x20);
      r[i + 4] = _mm256_permute2f128_ps (u[i], u[i + 4], 0x31);
    }
}

static ALWAYS_INLINE float
hsum (__m256 v)
{
  __m128 q = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  q = _mm_add_ps (q, _mm_movehl_ps (q, q));
  q = _mm_add_ss (q, _mm_movehdup_ps (q));
  return _mm_cvtss_f32 (q);
}

/* Sum of each of four vectors: {Σx0, Σx1, Σx2, Σx3}. */
static ALWAYS_INLINE __m128
reduce4 (__m256 x0, __m256 x1, __m256 x2, __m256 x3)
{
  __m256 s = _mm256_hadd_ps (_mm256_hadd_ps (x0, x1), _mm256_hadd_ps (x2, x3));
  return _mm_add_ps (_mm256_castps256_ps128 (s), _mm256_extractf128_ps (s, 1));
}

/* ---- C = beta · C, for K == 0 or alpha == 0 ------------------------------------------------ */

static void
scale_c (size_t M, size_t N, float beta, float *C, size_t ldc)
{
  if (beta == 1.0f)
    return;
  for (size_t i = 0; i < M; i++)
    {
      float *c = C + i * ldc;
      size_t j = 0;
      /* beta == 0 must not read C: NaN · 0 would stay NaN. */
      if (beta == 0.0f)
        {
          for (; j + 8 <= N; j += 8)
            _mm256_storeu_ps (c + j, _mm256_setzero_ps ());
          for (; j < N; j++)
            c[j] = 0.0f;
        }
      else
        {
          __m256 vb = _mm256_set1_ps (beta);
          for (; j + 8 <= N; j += 8)
            _mm256_storeu_ps (c + j, _mm256_mul_ps (vb, _mm256_loadu_ps (c + j)));
          for (; j < N; j++)
            c[j] *= beta;
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
              _mm256_store_ps (dst + k * NR, _mm256_loadu_ps (src));
              _mm256_store_ps (dst + k * NR + 8, _mm256_loadu_ps (src + 8));
            }
        }
      else
        {
          __m256i m0 = mask_first (nr), m1 = mask_first (nr > 8 ? nr - 8 : 0);
          for (size_t k = 0; k < kc; k++, src += ldb)
            {
              _mm256_store_ps (dst + k * NR, _mm256_maskload_ps (src, m0));
              _mm256_store_ps (dst + k * NR + 8, _mm256_maskload_ps (src + 8, m1));
            }
        }
    }
}

/* b_pack panels from B stored N×K (op(B) = Bᵀ): 8×8 tiles transposed in registers. */
static void
pack_b_t (const float *B, size_t ldb, size_t kc, size_t nc, float *dst)
{
  for (size_t j = 0; j < nc; j += NR, dst += kc * NR)
    {
      size_t nr = nc - j < NR ? nc - j : NR;
      for (size_t k = 0; k < kc; k += 8)
        {
          size_t kk = kc - k < 8 ? kc - k : 8;
          __m256i km = mask_first (kk);
          for (size_t h = 0; h < NR; h += 8)
            {
              __m256 r[8];
              for (size_t i = 0; i < 8; i++)
                r[i] = h + i < nr ? _mm256_maskload_ps (B + (j + h + i) * ldb + k, km)
                                  : _mm256_setzero_ps ();
              transpose8 (r);
              for (size_t t = 0; t < kk; t++)
                _mm256_store_ps (dst + (k + t) * NR + h, r[t]);
            }
        }
    }
}

/* a_pack from rows of A stored M×K (op(A) = A), scaled by alpha.  Each k's MR floats are
 * written with an 8-wide store whose last 2 lanes the next k's store overwrites. */
static void
pack_a_n (const float *A, size_t lda, size_t mr, size_t kc, float alpha, float *dst)
{
  __m256 va = _mm256_set1_ps (alpha);

  for (size_t k = 0; k < kc; k += 8)
    {
      size_t kk = kc - k < 8 ? kc - k : 8;
      __m256i km = mask_first (kk);
      __m256 r[8];
      for (size_t i = 0; i < 8; i++)
        r[i] = i < mr ? _mm256_maskload_ps (A + i * lda + k, km) : _mm256_setzero_ps ();
      transpose8 (r);
      for (size_t t = 0; t < kk; t++)
        _mm256_storeu_ps (dst + (k + t) * MR, _mm256_mul_ps (va, r[t]));
    }
}

/* a_pack from A stored K×M (op(A) = Aᵀ): each k's mr floats are contiguous already. */
static void
pack_a_t (const float *A, size_t lda, size_t mr, size_t kc, float alpha, float *dst)
{
  __m256 va = _mm256_set1_ps (alpha);
  __m256i m = mask_first (mr);

  for (size_t k = 0; k < kc; k++)
    _mm256_storeu_ps (dst + k * MR, _mm256_mul_ps (va, _mm256_maskload_ps (A + k * lda, m)));
}

/* ---- micro-kernel ------------------------------------------------------------------------ */

typedef enum {
  STORE_SET,     /* C = acc (beta == 0: C is not read) */
  STORE_ADD,     /* C += acc (beta == 1, and every kc block after the first) */
  STORE_SCALE,   /* C = acc + beta · C */
} StoreMode;

static ALWAYS_INLINE __m256
combine (__m256 v, const float *c, StoreMode mode, __m256 vbeta)
{
  if (mode == STORE_ADD)
    return _mm256_add_ps (v, _mm256_loadu_ps (c));
  if (mode == STORE_SCALE)
    return _mm256_fmadd_ps (vbeta, _mm256_loadu_ps (c), v);
  return v;
}

/* C[0..mr) × [0..nr) (+)= a_panel · b_panel over kc; mr is a constant in each expansion. */
static ALWAYS_INLINE void
micro_kernel (const int mr, size_t kc, const float *restrict ap, const float *restrict bp,
              float *c, size_t ldc, size_t nr, StoreMode mode, float beta)
{
  __m256 acc0[MR], acc1[MR];

#pragma GCC unroll 6
  for (int i = 0; i < mr; i++)
    {
      acc0[i] = _mm256_setzero_ps ();
      acc1[i] = _mm256_setzero_ps ();
    }

#pragma GCC unroll 2
  for (size_t k = 0; k < kc; k++)
    {
      __m256 b0 = _mm256_load_ps (bp);
      __m256 b1 = _mm256_load_ps (bp + 8);
#pragma GCC unroll 6
      for (int i = 0; i < mr; i++)
        {
          __m256 a = _mm256_broadcast_ss (ap + i);
          acc0[i] = _mm256_fmadd_ps (a, b0, acc0[i]);
          acc1[i] = _mm256_fmadd_ps (a, b1, acc1[i]);
        }
      ap += MR;
      bp += NR;
    }

  __m256 vbeta = _mm256_set1_ps (beta);
  if (nr == NR)
    {
#pragma GCC unroll 6
      for (int i = 0; i < mr; i++)
        {
          float *row = c + i * ldc;
          _mm256_storeu_ps (row, combine (acc0[i], row, mode, vbeta));
          _mm256_storeu_ps (row + 8, combine (acc1[i], row + 8, mode, vbeta));
        }
      return;
    }

  /* Ragged right edge: through a scratch tile, touching only C's own columns. */
  float tile[MR][NR];
#pragma GCC unroll 6
  for (int i = 0; i < mr; i++)
    {
      _mm256_storeu_ps (tile[i], acc0[i]);
      _mm256_storeu_ps (tile[i] + 8, acc1[i]);
    }
  for (int i = 0; i < mr; i++)
    {
      float *row = c + i * ldc;
      for (size_t j = 0; j < nr; j++)
        row[j] = mode == STORE_SET ? tile[i][j]
               : mode == STORE_ADD ? row[j] + tile[i][j]
               : tile[i][j] + beta * row[j];
    }
}

#define KERNEL_CASE(n)                                                       \
  case n:                                                                    \
    micro_kernel (n, kc, ap, bp, c, ldc, nr, mode, beta);                    \
    break

static void
run_kernel (size_t mr, size_t kc, const float *ap, const float *bp, float *c, size_t ldc,
            size_t nr, StoreMode mode, float beta)
{
  switch (mr)
    {
      KERNEL_CASE (6); KERNEL_CASE (5); KERNEL_CASE (4);
      KERNEL_CASE (3); KERNEL_CASE (2); KERNEL_CASE (1);
    default:
      g_assert_not_reached ();
    }
}

/* ---- small M: no packing of B ----------------------------------------------------------- */

/* Where sm_avx2_sgemm computes straight from B (see avx512/gemm.c for how these were set):
 * A·Bᵀ by dot products up to SMALL_M_NT rows when K amortises the reductions, A·B in place
 * up to SMALL_M_NN rows or when B fits in L2.  A is taken in k-slices of DOT_A_BYTES. */
#define SMALL_M_NT 32
#define SMALL_M_NN 6
#define NN_DIRECT_BYTES (1024 * 1024)
#define DOT_A_BYTES (192 * 1024)

/* A·Bᵀ for mb ≤ 3 rows of A against 4 rows of B: 12 dot products along k, reduced at the
 * end.  Per step the mb rows of A are loaded once and each row of B streams through one
 * register, so 12 sums + 3 A + 1 B fill the 16 registers.  Columns past nb re-read B's
 * first row and are dropped. */
static ALWAYS_INLINE void
dot_tile (const int mb, size_t K, const float *A, size_t lda, const float *B, size_t ldb,
          size_t nb, float alpha, float beta, float *C, size_t ldc, const float *next)
{
  const float *b[4] = { B, nb > 1 ? B + ldb : B, nb > 2 ? B + 2 * ldb : B, nb > 3 ? B + 3 * ldb : B };
  __m256 acc[3][4], a[3];
  size_t k = 0;

#pragma GCC unroll 3
  for (int i = 0; i < mb; i++)
    acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = _mm256_setzero_ps ();

  for (; k + 8 <= K; k += 8)
    {
      if (next != NULL && k % 16 == 0)
        {
          /* B streams from memory once: fetch the next 4 rows into L2 meanwhile. */
          _mm_prefetch ((const char *) (next + k), _MM_HINT_T1);
          _mm_prefetch ((const char *) (next + ldb + k), _MM_HINT_T1);
          _mm_prefetch ((const char *) (next + 2 * ldb + k), _MM_HINT_T1);
          _mm_prefetch ((const char *) (next + 3 * ldb + k), _MM_HINT_T1);
        }
#pragma GCC unroll 3
      for (int i = 0; i < mb; i++)
        a[i] = _mm256_loadu_ps (A + i * lda + k);
#pragma GCC unroll 4
      for (int j = 0; j < 4; j++)
        {
          __m256 v = _mm256_loadu_ps (b[j] + k);
#pragma GCC unroll 3
          for (int i = 0; i < mb; i++)
            acc[i][j] = _mm256_fmadd_ps (a[i], v, acc[i][j]);
        }
    }
  if (k < K)
    {
      __m256i m = mask_first (K - k);
#pragma GCC unroll 3
      for (int i = 0; i < mb; i++)
        a[i] = _mm256_maskload_ps (A + i * lda + k, m);
#pragma GCC unroll 4
      for (int j = 0; j < 4; j++)
        {
          __m256 v = _mm256_maskload_ps (b[j] + k, m);
#pragma GCC unroll 3
          for (int i = 0; i < mb; i++)
            acc[i][j] = _mm256_fmadd_ps (a[i], v, acc[i][j]);
        }
    }

  for (int i = 0; i < mb; i++)
    {
      float s[4];
      float *c = C + i * ldc;
      _mm_storeu_ps (s, _mm_mul_ps (_mm_set1_ps (alpha),
                                    reduce4 (acc[i][0], acc[i][1], acc[i][2], acc[i][3])));
      for (size_t j = 0; j < nb; j++)
        c[j] = beta == 0.0f ? s[j] : s[j] + beta * c[j];
    }
}

static void
gemm_small_nt (size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
               const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
  size_t kb = (DOT_A_BYTES / sizeof (float) / M) & ~(size_t) 7;
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
          for (size_t i = 0; i < M; i += 3)
            {
              const float *a = A + i * lda + p;
              float *c = C + i * ldc + j;
              switch (M - i < 3 ? M - i : 3)
                {
                case 3: dot_tile (3, kk, a, lda, b, ldb, nb, alpha, beta_p, c, ldc, next); break;
                case 2: dot_tile (2, kk, a, lda, b, ldb, nb, alpha, beta_p, c, ldc, next); break;
                default: dot_tile (1, kk, a, lda, b, ldb, nb, alpha, beta_p, c, ldc, next); break;
                }
              next = NULL;
            }
        }
    }
}

/* op(A)·B for mr ≤ 6 rows, 16 columns of B read in place (masked loads at the right edge).
 * op(A)[i, k] = A[i·a_rs + k·a_cs]. */
static ALWAYS_INLINE void
direct_tile (const int mr, size_t K, const float *A, size_t a_rs, size_t a_cs,
             const float *B, size_t ldb, size_t nr, float alpha, float beta, float *C,
             size_t ldc)
{
  __m256 acc0[6], acc1[6];

#pragma GCC unroll 6
  for (int i = 0; i < mr; i++)
    acc0[i] = acc1[i] = _mm256_setzero_ps ();

  if (nr == 16)
    {
      for (size_t k = 0; k < K; k++)
        {
          __m256 v0 = _mm256_loadu_ps (B + k * ldb), v1 = _mm256_loadu_ps (B + k * ldb + 8);
#pragma GCC unroll 6
          for (int i = 0; i < mr; i++)
            {
              __m256 a = _mm256_broadcast_ss (A + i * a_rs + k * a_cs);
              acc0[i] = _mm256_fmadd_ps (a, v0, acc0[i]);
              acc1[i] = _mm256_fmadd_ps (a, v1, acc1[i]);
            }
        }
    }
  else
    {
      __m256i m0 = mask_first (nr), m1 = mask_first (nr > 8 ? nr - 8 : 0);
      for (size_t k = 0; k < K; k++)
        {
          __m256 v0 = _mm256_maskload_ps (B + k * ldb, m0);
          __m256 v1 = _mm256_maskload_ps (B + k * ldb + 8, m1);
#pragma GCC unroll 6
          for (int i = 0; i < mr; i++)
            {
              __m256 a = _mm256_broadcast_ss (A + i * a_rs + k * a_cs);
              acc0[i] = _mm256_fmadd_ps (a, v0, acc0[i]);
              acc1[i] = _mm256_fmadd_ps (a, v1, acc1[i]);
            }
        }
    }

  __m256 va = _mm256_set1_ps (alpha), vb = _mm256_set1_ps (beta);
  StoreMode mode = beta == 0.0f ? STORE_SET : STORE_SCALE;
  if (nr == 16)
    {
#pragma GCC unroll 6
      for (int i = 0; i < mr; i++)
        {
          float *row = C + i * ldc;
          _mm256_storeu_ps (row, combine (_mm256_mul_ps (va, acc0[i]), row, mode, vb));
          _mm256_storeu_ps (row + 8, combine (_mm256_mul_ps (va, acc1[i]), row + 8, mode, vb));
        }
      return;
    }
  float tile[6][16];
#pragma GCC unroll 6
  for (int i = 0; i < mr; i++)
    {
      _mm256_storeu_ps (tile[i], _mm256_mul_ps (va, acc0[i]));
      _mm256_storeu_ps (tile[i] + 8, _mm256_mul_ps (va, acc1[i]));
    }
  for (int i = 0; i < mr; i++)
    for (size_t j = 0; j < nr; j++)
      C[i * ldc + j] = beta == 0.0f ? tile[i][j] : tile[i][j] + beta * C[i * ldc + j];
}

/* NR is one packed panel wide, and a panel's rows are laid out as b_pack's. */
G_STATIC_ASSERT (NR == SM_PACK_W);

static inline void
run_panels (size_t mr, size_t kc, const float *ap, const float *panel, size_t panel_stride,
            float *c, size_t ldc, size_t nr, StoreMode mode, float beta)
{
  (void) panel_stride;
  run_kernel (mr, kc, ap, panel, c, ldc, nr, mode, beta);
}

#define NN_TILE_N 16
#define SM_GEMM_ISA_SGEMM sm_avx2_sgemm
#define SM_GEMM_ISA_SGEMM_PACKED sm_avx2_sgemm_packed
#define SM_GEMM_ISA_SGEMV sm_avx2_sgemv
#include "gemm-driver.inc"

/* ---- SGEMV ------------------------------------------------------------------------------ */

/* Four rows at a time share each load of x, two accumulators per row; rows
 * SM_GEMV_PREFETCH_BYTES ahead are prefetched into L2 so DRAM does not idle between rows. */
void
sm_avx2_sgemv (size_t M, size_t K, const float *A, size_t lda, const float *x, float *y)
{
  size_t pf_rows = sm_gemv_prefetch_rows (lda);
  size_t i = 0;

  for (; i + 4 <= M; i += 4)
    {
      const float *a0 = A + i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
      __m256 s0 = _mm256_setzero_ps (), s1 = s0, s2 = s0, s3 = s0;
      __m256 t0 = s0, t1 = s0, t2 = s0, t3 = s0;
      const float *p0 = i + pf_rows + 4 <= M ? a0 + pf_rows * lda : NULL;
      size_t k = 0;

      for (; k + 16 <= K; k += 16)
        {
          __m256 x0 = _mm256_loadu_ps (x + k), x1 = _mm256_loadu_ps (x + k + 8);
          if (p0 != NULL)
            for (int r = 0; r < 4; r++)
              _mm_prefetch ((const char *) (p0 + r * lda + k), _MM_HINT_T1);
          s0 = _mm256_fmadd_ps (_mm256_loadu_ps (a0 + k), x0, s0);
          s1 = _mm256_fmadd_ps (_mm256_loadu_ps (a1 + k), x0, s1);
          s2 = _mm256_fmadd_ps (_mm256_loadu_ps (a2 + k), x0, s2);
          s3 = _mm256_fmadd_ps (_mm256_loadu_ps (a3 + k), x0, s3);
          t0 = _mm256_fmadd_ps (_mm256_loadu_ps (a0 + k + 8), x1, t0);
          t1 = _mm256_fmadd_ps (_mm256_loadu_ps (a1 + k + 8), x1, t1);
          t2 = _mm256_fmadd_ps (_mm256_loadu_ps (a2 + k + 8), x1, t2);
          t3 = _mm256_fmadd_ps (_mm256_loadu_ps (a3 + k + 8), x1, t3);
        }
      for (; k < K; k += 8)
        {
          __m256i m = mask_first (K - k);
          __m256 x0 = _mm256_maskload_ps (x + k, m);
          s0 = _mm256_fmadd_ps (_mm256_maskload_ps (a0 + k, m), x0, s0);
          s1 = _mm256_fmadd_ps (_mm256_maskload_ps (a1 + k, m), x0, s1);
          s2 = _mm256_fmadd_ps (_mm256_maskload_ps (a2 + k, m), x0, s2);
          s3 = _mm256_fmadd_ps (_mm256_maskload_ps (a3 + k, m), x0, s3);
        }
      _mm_storeu_ps (y + i, reduce4 (_mm256_add_ps (s0, t0), _mm256_add_ps (s1, t1),
                                     _mm256_add_ps (s2, t2), _mm256_add_ps (s3, t3)));
    }

  for (; i < M; i++)
    {
      const float *a = A + i * lda;
      __m256 s = _mm256_setzero_ps (), t = s;
      size_t k = 0;
      for (; k + 16 <= K; k += 16)
        {
          s = _mm256_fmadd_ps (_mm256_loadu_ps (a + k), _mm256_loadu_ps (x + k), s);
          t = _mm256_fmadd_ps (_mm256_loadu_ps (a + k + 8), _mm256_loadu_ps (x + k + 8), t);
        }
      for (; k < K; k += 8)
        {
          __m256i m = mask_first (K - k);
          s = _mm256_fmadd_ps (_mm256_maskload_ps (a + k, m), _mm256_maskload_ps (x + k, m), s);
        }
      y[i] = hsum (_mm256_add_ps (s, t));
    }
}

/* ---- SGEMV on packed weights -------------------------------------------------------------- */

/* As the AVX-512 one (avx512/gemm.c): per k one broadcast and two FMAs per 16-row panel, 4
 * panels at once for 8 independent sums; a ragged last panel through a scratch row. */
static ALWAYS_INLINE void
gemv_panels (const int np, size_t K, const float *P, const float *x, float *y, size_t rows)
{
  const size_t ps = SM_PACK_W * K;
  __m256 acc[8];

#pragma GCC unroll 8
  for (int p = 0; p < 2 * np; p++)
    acc[p] = _mm256_setzero_ps ();
  for (size_t k = 0; k < K; k++)
    {
      __m256 xb = _mm256_broadcast_ss (x + k);
#pragma GCC unroll 4
      for (int p = 0; p < np; p++)
        {
          const float *w = P + p * ps + k * SM_PACK_W;
          acc[2 * p] = _mm256_fmadd_ps (_mm256_load_ps (w), xb, acc[2 * p]);
          acc[2 * p + 1] = _mm256_fmadd_ps (_mm256_load_ps (w + 8), xb, acc[2 * p + 1]);
        }
    }
#pragma GCC unroll 4
  for (int p = 0; p < np; p++)
    {
      size_t done = (size_t) p * SM_PACK_W;
      if (done + SM_PACK_W <= rows)
        {
          _mm256_storeu_ps (y + done, acc[2 * p]);
          _mm256_storeu_ps (y + done + 8, acc[2 * p + 1]);
        }
      else if (done < rows)
        {
          float row[SM_PACK_W];
          _mm256_storeu_ps (row, acc[2 * p]);
          _mm256_storeu_ps (row + 8, acc[2 * p + 1]);
          memcpy (y + done, row, (rows - done) * sizeof (float));
        }
    }
}

void
sm_avx2_sgemv_packed (size_t N, size_t K, const float *P, const float *x, float *y)
{
  const size_t n_panels = (N + SM_PACK_W - 1) / SM_PACK_W;

  for (size_t p0 = 0; p0 < n_panels; p0 += 4)
    {
      const float *Pb = P + p0 * SM_PACK_W * K;
      float *yb = y + p0 * SM_PACK_W;
      size_t rows = N - p0 * SM_PACK_W;
      switch (n_panels - p0 < 4 ? n_panels - p0 : 4)
        {
        case 4: gemv_panels (4, K, Pb, x, yb, rows); break;
        case 3: gemv_panels (3, K, Pb, x, yb, rows); break;
        case 2: gemv_panels (2, K, Pb, x, yb, rows); break;
        default: gemv_panels (1, K, Pb, x, yb, rows); break;
        }
    }
}
