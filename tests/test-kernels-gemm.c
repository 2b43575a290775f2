/* test-kernels-gemm: SGEMM and SGEMV of every kernel level, and their threaded entry points.
 *
 * The scalar reference is checked against a naive double-precision product, and every other
 * supported level against the scalar reference, over awkward sizes (tails of every tile and
 * block size), all four transpose forms, several alpha/beta pairs (beta = 0 with C filled
 * with NaN, which must not leak through), padded leading dimensions and base pointers off
 * any vector alignment.  Memory around each matrix of C is filled with a sentinel that must
 * survive.
 *
 * Tolerance: a float dot product of length K carries at most about K·u·Σ|a_k·b_k| of
 * rounding error (u = 2⁻²⁴, any summation order), so element (i, j) may differ from the
 * exact value by (K + 2)·FLT_EPSILON·mag(i, j), mag = |alpha|·Σ_k |A_ik·B_kj| + |beta·C_ij|
 * (FLT_EPSILON = 2u leaves room for alpha and beta).  Two float results, each within that of
 * the exact value, may differ by twice that.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "sm-kernels.h"
#include "sm-threads.h"
#include "sm-test-util.h"

#define SENTINEL 1234.5f

typedef struct {
  bool ta, tb;
  size_t M, N, K;
  float alpha, beta;
  size_t lda, ldb, ldc;
  float *A, *B, *C0;   /* C0: C before the call (may hold NaN where beta == 0) */
  size_t c_len;        /* floats of the C buffer, padding included */
  double *ref, *mag;   /* exact result and error scale, M×N */
} GemmCase;

static const size_t small_dims[] = { 0, 1, 3, 7, 8, 15, 16, 17, 31, 33 };
static const float alpha_beta[][2] = {
  { 1.0f, 0.0f }, { -0.75f, 0.0f }, { 1.0f, 1.0f }, { 0.5f, -1.25f }, { 2.0f, 0.0f },
  { 0.0f, 0.5f }, { 1.5f, 1.0f },
};
static const size_t pads[] = { 0, 1, 5, 16 };
static const size_t misaligns[] = { 0, 4, 12, 60 };

static void
gemm_case_init (GemmCase *g, GRand *rand, bool ta, bool tb, size_t M, size_t N, size_t K,
                guint variant)
{
  size_t a_rows = ta ? K : M, a_cols = ta ? M : K;
  size_t b_rows = tb ? N : K, b_cols = tb ? K : N;

  memset (g, 0, sizeof *g);
  g->ta = ta;
  g->tb = tb;
  g->M = M;
  g->N = N;
  g->K = K;
  g->alpha = alpha_beta[variant % G_N_ELEMENTS (alpha_beta)][0];
  g->beta = alpha_beta[variant % G_N_ELEMENTS (alpha_beta)][1];
  g->lda = a_cols + pads[variant % G_N_ELEMENTS (pads)];
  g->ldb = b_cols + pads[(variant + 1) % G_N_ELEMENTS (pads)];
  g->ldc = N + pads[(variant + 2) % G_N_ELEMENTS (pads)];
  if (g->lda == 0)
    g->lda = 1;
  if (g->ldb == 0)
    g->ldb = 1;
  if (g->ldc == 0)
    g->ldc = 1;

  /* At least one float each so every pointer is valid even for empty matrices. */
  size_t a_len = MAX (a_rows * g->lda, 1), b_len = MAX (b_rows * g->ldb, 1);
  g->c_len = MAX (M * g->ldc, 1);
  g->A = sm_test_alloc_unaligned (a_len, misaligns[variant % G_N_ELEMENTS (misaligns)]);
  g->B = sm_test_alloc_unaligned (b_len, misaligns[(variant + 1) % G_N_ELEMENTS (misaligns)]);
  g->C0 = g_new (float, g->c_len);
  sm_test_fill_uniform (rand, g->A, a_len, -1.0f, 1.0f);
  sm_test_fill_uniform (rand, g->B, b_len, -1.0f, 1.0f);
  for (size_t i = 0; i < g->c_len; i++)
    g->C0[i] = SENTINEL;
  for (size_t i = 0; i < M; i++)
    for (size_t j = 0; j < N; j++)
      g->C0[i * g->ldc + j] = g->beta == 0.0f ? NAN : (float) g_rand_double_range (rand, -1, 1);

  g->ref = g_new0 (double, MAX (M * N, 1));
  g->mag = g_new0 (double, MAX (M * N, 1));
  for (size_t i = 0; i < M; i++)
    for (size_t j = 0; j < N; j++)
      {
        double s = 0.0, m = 0.0;
        for (size_t k = 0; k < K; k++)
          {
            double a = ta ? g->A[k * g->lda + i] : g->A[i * g->lda + k];
            double b = tb ? g->B[j * g->ldb + k] : g->B[k * g->ldb + j];
            s += a * b;
            m += fabs (a * b);
          }
        double c = g->beta == 0.0f ? 0.0 : g->C0[i * g->ldc + j];
        g->ref[i * N + j] = g->alpha * s + g->beta * c;
        g->mag[i * N + j] = fabs (g->alpha) * m + fabs (g->beta * c);
      }
}

static void
gemm_case_clear (GemmCase *g)
{
  sm_test_free_unaligned (g->A);
  sm_test_free_unaligned (g->B);
  g_free (g->C0);
  g_free (g->ref);
  g_free (g->mag);
}

/* A fresh copy of C0 at an unaligned address. */
static float *
gemm_case_c (const GemmCase *g, guint variant)
{
  float *c = sm_test_alloc_unaligned (g->c_len, misaligns[(variant + 2) % G_N_ELEMENTS (misaligns)]);
  memcpy (c, g->C0, g->c_len * sizeof (float));
  return c;
}

/* @got against @want (NULL: the exact result) within @factor times the bound above; the
 * padding of C must still hold the sentinel. */
static void
gemm_case_check (const GemmCase *g, const float *got, const float *want, double factor,
                 const char *what)
{
  for (size_t i = 0; i < g->M; i++)
    {
      for (size_t j = 0; j < g->N; j++)
        {
          double w = want ? want[i * g->ldc + j] : g->ref[i * g->N + j];
          double v = got[i * g->ldc + j];
          double tol = factor * (double) (g->K + 2) * FLT_EPSILON * g->mag[i * g->N + j];
          if (!(fabs (v - w) <= tol))
            g_error ("%s: ta=%d tb=%d M=%zu N=%zu K=%zu alpha=%g beta=%g lda=%zu ldb=%zu "
                     "ldc=%zu: C[%zu,%zu] = %.9g, want %.9g (tolerance %.3g)",
                     what, g->ta, g->tb, g->M, g->N, g->K, g->alpha, g->beta, g->lda, g->ldb,
                     g->ldc, i, j, v, w, tol);
        }
      for (size_t j = g->N; j < g->ldc; j++)
        if (got[i * g->ldc + j] != SENTINEL)
          g_error ("%s: ta=%d tb=%d M=%zu N=%zu K=%zu: padding C[%zu,%zu] overwritten",
                   what, g->ta, g->tb, g->M, g->N, g->K, i, j);
    }
}

/* Runs one shape in all four forms: scalar against the exact result, every other level
 * against scalar. */
static void
check_shape (GRand *rand, size_t M, size_t N, size_t K, guint variant)
{
  const SmKernels *scalar = sm_kernels_for_level (SM_KERNEL_LEVEL_SCALAR);

  for (int form = 0; form < 4; form++)
    {
      GemmCase g;
      bool ta = form & 1, tb = form & 2;

      gemm_case_init (&g, rand, ta, tb, M, N, K, variant + (guint) form);
      float *ref = gemm_case_c (&g, variant);
      scalar->sgemm (ta, tb, M, N, K, g.alpha, g.A, g.lda, g.B, g.ldb, g.beta, ref, g.ldc);
      gemm_case_check (&g, ref, NULL, 1.0, "scalar vs double");

      for (int level = SM_KERNEL_LEVEL_SCALAR + 1; level < SM_KERNEL_N_LEVELS; level++)
        {
          const SmKernels *k = sm_kernels_for_level ((SmKernelLevel) level);
          if (k == NULL || k->sgemm == NULL)
            continue;
          float *c = gemm_case_c (&g, variant + 1);
          k->sgemm (ta, tb, M, N, K, g.alpha, g.A, g.lda, g.B, g.ldb, g.beta, c, g.ldc);
          gemm_case_check (&g, c, ref, 2.0, k->name);
          sm_test_free_unaligned (c);
        }
      sm_test_free_unaligned (ref);
      gemm_case_clear (&g);
    }
}

static void
test_sgemm_small (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  static const size_t ks[] = { 0, 1, 7, 16, 17, 33 };
  guint variant = 0;

  for (gsize m = 0; m < G_N_ELEMENTS (small_dims); m++)
    for (gsize n = 0; n < G_N_ELEMENTS (small_dims); n++)
      for (gsize k = 0; k < G_N_ELEMENTS (ks); k++)
        check_shape (rand, small_dims[m], small_dims[n], ks[k], variant++);
}

static void
test_sgemm_large (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);
  /* Chosen to cross every block and path boundary of the SIMD kernels: kc (256), nc (256),
   * both small-M paths and the packed one, the dot products' k-slices (M = 64 → 768), edges
   * of 12×32 and 6×16 tiles, and the model's own x · Wᵀ shape. */
  static const size_t shapes[][3] = {
    { 64, 64, 64 }, { 127, 33, 511 }, { 33, 127, 513 }, { 511, 17, 64 }, { 17, 511, 127 },
    { 513, 64, 31 }, { 64, 513, 17 }, { 127, 127, 127 }, { 1, 513, 511 }, { 511, 1, 513 },
    { 7, 511, 513 }, { 513, 7, 64 }, { 16, 511, 127 }, { 513, 513, 17 }, { 64, 768, 288 },
    { 3, 513, 513 }, { 33, 513, 513 }, { 64, 31, 1537 }, { 8, 64, 2049 }, { 255, 257, 255 },
    { 511, 513, 64 },
  };

  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    check_shape (rand, shapes[s][0], shapes[s][1], shapes[s][2], (guint) s);
}

/* ---- SGEMV ---------------------------------------------------------------------------------- */

static const size_t gemv_dims[] = { 0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 127, 511, 513 };

typedef void (*GemvFn) (size_t M, size_t K, const float *A, size_t lda, const float *x, float *y);

static void
check_gemv (GRand *rand, size_t M, size_t K, guint variant, GemvFn extra, const char *extra_name)
{
  const SmKernels *scalar = sm_kernels_for_level (SM_KERNEL_LEVEL_SCALAR);
  size_t lda = MAX (K + pads[variant % G_N_ELEMENTS (pads)], 1);
  float *A = sm_test_alloc_unaligned (MAX (M * lda, 1), misaligns[variant % 4]);
  float *x = sm_test_alloc_unaligned (MAX (K, 1), misaligns[(variant + 1) % 4]);
  float *ref = g_new (float, M + 1);
  double *exact = g_new0 (double, M + 1), *mag = g_new0 (double, M + 1);

  sm_test_fill_uniform (rand, A, MAX (M * lda, 1), -1.0f, 1.0f);
  sm_test_fill_uniform (rand, x, MAX (K, 1), -1.0f, 1.0f);
  for (size_t i = 0; i < M; i++)
    for (size_t k = 0; k < K; k++)
      {
        exact[i] += (double) A[i * lda + k] * x[k];
        mag[i] += fabs ((double) A[i * lda + k] * x[k]);
      }

  ref[M] = SENTINEL;
  scalar->sgemv (M, K, A, lda, x, ref);
  for (size_t i = 0; i < M; i++)
    g_assert_cmpfloat (fabs (ref[i] - exact[i]), <=, (K + 2) * FLT_EPSILON * mag[i]);
  g_assert_cmpfloat (ref[M], ==, SENTINEL);

  /* Every level's sgemv, then @extra (a threaded entry point) when given. */
  GemvFn fns[SM_KERNEL_N_LEVELS + 1];
  const char *names[SM_KERNEL_N_LEVELS + 1];
  int n_fns = 0;
  for (int level = SM_KERNEL_LEVEL_SCALAR; level < SM_KERNEL_N_LEVELS; level++)
    {
      const SmKernels *k = sm_kernels_for_level ((SmKernelLevel) level);
      if (k != NULL && k->sgemv != NULL)
        {
          fns[n_fns] = k->sgemv;
          names[n_fns++] = k->name;
        }
    }
  if (extra != NULL)
    {
      fns[n_fns] = extra;
      names[n_fns++] = extra_name;
    }

  for (int f = 0; f < n_fns; f++)
    {
      float *y = sm_test_alloc_unaligned (M + 1, misaligns[(variant + 2) % 4]);
      for (size_t i = 0; i <= M; i++)
        y[i] = SENTINEL;
      fns[f] (M, K, A, lda, x, y);
      for (size_t i = 0; i < M; i++)
        if (!(fabs (y[i] - ref[i]) <= 2.0 * (K + 2) * FLT_EPSILON * mag[i]))
          g_error ("sgemv %s M=%zu K=%zu lda=%zu: y[%zu] = %.9g, want %.9g", names[f], M, K,
                   lda, i, y[i], ref[i]);
      g_assert_cmpfloat (y[M], ==, SENTINEL);
      sm_test_free_unaligned (y);
    }

  sm_test_free_unaligned (A);
  sm_test_free_unaligned (x);
  g_free (ref);
  g_free (exact);
  g_free (mag);
}

static void
test_sgemv (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  guint variant = 0;

  for (gsize m = 0; m < G_N_ELEMENTS (gemv_dims); m++)
    for (gsize k = 0; k < G_N_ELEMENTS (gemv_dims); k++)
      check_gemv (rand, gemv_dims[m], gemv_dims[k], variant++, NULL, NULL);
}

/* ---- threaded entry points -------------------------------------------------------------------- */

/* sm_gemm with 2 threads against 1: each thread runs the same kernel on a slice, so every
 * element is within the bound; the x · Wᵀ form (split along N, the path choice depends on M
 * and K only) must match bit for bit, so results never depend on the thread count. */
static void
test_threaded_gemm (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  static const size_t shapes[][3] = {
    { 1, 768, 288 }, { 7, 513, 127 }, { 64, 768, 288 }, { 127, 511, 64 }, { 300, 96, 200 },
    { 513, 33, 17 }, { 2, 4096, 64 }, { 129, 130, 131 }, { 16, 16, 16 },
  };
  int saved = sm_threads_get_count ();

  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (int form = 0; form < 4; form++)
      {
        GemmCase g;
        bool ta = form & 1, tb = form & 2;
        gemm_case_init (&g, rand, ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], (guint) (s + form));

        sm_threads_set_count (1);
        float *one = gemm_case_c (&g, 0);
        sm_gemm (ta, tb, g.M, g.N, g.K, g.alpha, g.A, g.lda, g.B, g.ldb, g.beta, one, g.ldc);
        gemm_case_check (&g, one, NULL, 1.0, "sm_gemm 1 thread");

        for (int nth = 2; nth <= 3; nth++)
          {
            sm_threads_set_count (nth);
            float *many = gemm_case_c (&g, (guint) nth);
            sm_gemm (ta, tb, g.M, g.N, g.K, g.alpha, g.A, g.lda, g.B, g.ldb, g.beta, many, g.ldc);
            gemm_case_check (&g, many, one, 2.0, "sm_gemm threads vs 1");
            if (tb && !ta)
              for (size_t i = 0; i < g.M; i++)
                g_assert_cmpmem (many + i * g.ldc, g.N * sizeof (float),
                                 one + i * g.ldc, g.N * sizeof (float));
            sm_test_free_unaligned (many);
          }
        sm_test_free_unaligned (one);
        gemm_case_clear (&g);
      }
  sm_threads_set_count (saved);
}

/* ---- SGEMM on packed weights ------------------------------------------------------------------ */

/* W packed once into 64-byte aligned memory, as sessions keep it. */
static float *
pack_weights (const GemmCase *g)
{
  float *P = g_aligned_alloc (MAX (sm_pack_b16_floats (g->N, g->K), 1), sizeof (float), 64);
  sm_pack_b16 (g->N, g->K, g->B, g->ldb, P);
  return P;
}

/* Every level's sgemm_packed against the exact product (alpha 1, as the API has no alpha),
 * over shapes crossing the tile edges (12×32 and 6×16), kc (256) and the zero rows that pad N
 * to whole tiles; beta 0 (C full of NaN), 1 (the residual's accumulate) and 0.5. */
static void
test_sgemm_packed (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  static const size_t shapes[][3] = {
    { 0, 5, 5 }, { 5, 0, 5 }, { 5, 5, 0 }, { 1, 1, 1 }, { 2, 33, 7 }, { 7, 17, 33 },
    { 12, 32, 256 }, { 13, 48, 257 }, { 22, 768, 256 }, { 33, 1024, 256 }, { 5, 256, 1024 },
    { 64, 511, 513 }, { 100, 100, 100 }, { 25, 15, 31 }, { 511, 47, 64 },
  };
  /* variants whose alpha is 1, beta 0 and 1; beta 0.5 set below on a third */
  static const guint variants[] = { 0, 2, 7, 9, 14, 16 };
  guint v = 0;

  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (gsize t = 0; t < 3; t++, v++)
      {
        GemmCase g;
        guint variant = variants[v % G_N_ELEMENTS (variants)];

        gemm_case_init (&g, rand, false, true, shapes[s][0], shapes[s][1], shapes[s][2], variant);
        g_assert_cmpfloat (g.alpha, ==, 1.0f);
        if (t == 2 && g.beta == 1.0f)
          {
            /* beta 0.5: rebuild the exact result for it */
            for (size_t i = 0; i < g.M; i++)
              for (size_t j = 0; j < g.N; j++)
                {
                  double c = g.C0[i * g.ldc + j];
                  g.ref[i * g.N + j] += -0.5 * c;
                  g.mag[i * g.N + j] += -0.5 * fabs (c);
                }
            g.beta = 0.5f;
          }
        float *P = pack_weights (&g);
        for (int level = SM_KERNEL_LEVEL_SCALAR; level < SM_KERNEL_N_LEVELS; level++)
          {
            const SmKernels *k = sm_kernels_for_level ((SmKernelLevel) level);
            if (k == NULL)
              continue;
            float *c = gemm_case_c (&g, variant + (guint) level);
            k->sgemm_packed (g.M, g.N, g.K, g.A, g.lda, P, g.beta, c, g.ldc);
            gemm_case_check (&g, c, NULL, 1.0, k->name);
            sm_test_free_unaligned (c);
          }
        g_aligned_free (P);
        gemm_case_clear (&g);
      }
}

/* sm_gemm_packed cuts N in whole tiles: bit for bit the single-threaded product. */
static void
test_threaded_packed (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  static const size_t shapes[][3] = { { 22, 768, 256 }, { 9, 1000, 96 }, { 64, 513, 300 }, { 3, 70, 33 } };
  int saved = sm_threads_get_count ();

  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      GemmCase g;
      static const guint alpha_one[] = { 0, 2, 7, 9 };
      gemm_case_init (&g, rand, false, true, shapes[s][0], shapes[s][1], shapes[s][2], alpha_one[s]);
      float *P = pack_weights (&g);
      float *one = gemm_case_c (&g, 0);
      sm_kernels ()->sgemm_packed (g.M, g.N, g.K, g.A, g.lda, P, g.beta, one, g.ldc);
      for (int nth = 2; nth <= 3; nth++)
        {
          float *many = gemm_case_c (&g, (guint) nth);
          sm_threads_set_count (nth);
          sm_gemm_packed (g.M, g.N, g.K, g.A, g.lda, P, g.beta, many, g.ldc);
          for (size_t i = 0; i < g.M; i++)
            g_assert_cmpmem (many + i * g.ldc, g.N * sizeof (float), one + i * g.ldc, g.N * sizeof (float));
          gemm_case_check (&g, many, NULL, 1.0, "sm_gemm_packed threads");
          sm_test_free_unaligned (many);
        }
      sm_test_free_unaligned (one);
      g_aligned_free (P);
      gemm_case_clear (&g);
    }
  sm_threads_set_count (saved);
}

/* sgemv_packed through check_gemv's GemvFn: packs A, then runs the level in packed_level
 * (NULL: the threaded sm_gemv_packed on 2 threads). */
static const SmKernels *packed_level;

static void
gemv_packed_fn (size_t M, size_t K, const float *A, size_t lda, const float *x, float *y)
{
  float *P = g_aligned_alloc (MAX (sm_pack_b16_floats (M, K), 1), sizeof (float), 64);

  sm_pack_b16 (M, K, A, lda, P);
  if (packed_level)
    packed_level->sgemv_packed (M, K, P, x, y);
  else
    {
      sm_threads_set_count (2);
      sm_gemv_packed (M, K, P, x, y);
      sm_threads_set_count (1);
    }
  g_aligned_free (P);
}

/* Every level's sgemv_packed (and the threaded entry), through the SGEMV checker: against
 * the exact product, y's sentinel untouched past M. */
static void
test_sgemv_packed (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  static const size_t shapes[][2] = {
    { 1, 1 }, { 7, 3 }, { 16, 16 }, { 17, 33 }, { 33, 100 }, { 128, 128 }, { 129, 257 },
    { 513, 64 }, { 768, 288 }, { 1000, 1024 }, { 0, 5 }, { 5, 0 },
  };
  int saved = sm_threads_get_count ();

  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      for (int level = SM_KERNEL_LEVEL_SCALAR; level < SM_KERNEL_N_LEVELS; level++)
        {
          packed_level = sm_kernels_for_level ((SmKernelLevel) level);
          if (packed_level)
            check_gemv (rand, shapes[s][0], shapes[s][1], (guint) (s + level), gemv_packed_fn,
                        packed_level->name);
        }
      packed_level = NULL;
      check_gemv (rand, shapes[s][0], shapes[s][1], (guint) s, gemv_packed_fn, "sm_gemv_packed");
    }
  sm_threads_set_count (saved);
}

static void
sm_gemv_threads (size_t M, size_t K, const float *A, size_t lda, const float *x, float *y)
{
  sm_threads_set_count (2);
  sm_gemv (M, K, A, lda, x, y);
  sm_threads_set_count (1);
}

/* sm_gemv splits rows, so each row is computed exactly as on one thread. */
static void
test_threaded_gemv (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  static const size_t shapes[][2] = { { 768, 288 }, { 4096, 64 }, { 513, 513 }, { 33, 4000 }, { 17, 3 } };
  int saved = sm_threads_get_count ();

  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      size_t M = shapes[s][0], K = shapes[s][1];
      float *A = g_new (float, M * K), *x = g_new (float, K);
      float *one = g_new (float, M), *two = g_new (float, M);
      sm_test_fill_uniform (rand, A, M * K, -1.0f, 1.0f);
      sm_test_fill_uniform (rand, x, K, -1.0f, 1.0f);
      sm_threads_set_count (1);
      sm_gemv (M, K, A, K, x, one);
      sm_threads_set_count (2);
      sm_gemv (M, K, A, K, x, two);
      g_assert_cmpmem (one, M * sizeof (float), two, M * sizeof (float));
      g_free (A);
      g_free (x);
      g_free (one);
      g_free (two);
      /* and through the generic checker, against the scalar reference */
      check_gemv (rand, M, K, (guint) s, sm_gemv_threads, "sm_gemv 2 threads");
    }
  sm_threads_set_count (saved);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Kernels/sgemm/small", test_sgemm_small);
  g_test_add_func ("/Kernels/sgemm/large", test_sgemm_large);
  g_test_add_func ("/Kernels/sgemv", test_sgemv);
  g_test_add_func ("/Kernels/sgemm/threaded", test_threaded_gemm);
  g_test_add_func ("/Kernels/sgemm/packed", test_sgemm_packed);
  g_test_add_func ("/Kernels/sgemm/packed-threaded", test_threaded_packed);
  g_test_add_func ("/Kernels/sgemv/packed", test_sgemv_packed);
  g_test_add_func ("/Kernels/sgemv/threaded", test_threaded_gemv);

  return g_test_run ();
}
