/* test-kernels-quant.c: the quantized and half-precision kernels of every level, and the
 * scalar conversion helpers of sm-convert.c.
 *
 * References are computed in double from dequantized values, which are exact in float (an
 * fp16 scale times a q of at most 8 bits fits 24 bits), so a kernel's only error is its own
 * float rounding.  Tolerances below are stated where they are checked.
 */
#include <float.h>
#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "sm-fp-mode.h"
#include "sm-kernels.h"
#include "sm-test-util.h"

static const SmKernelLevel levels[] = {
  SM_KERNEL_LEVEL_SCALAR, SM_KERNEL_LEVEL_AVX2, SM_KERNEL_LEVEL_AVX2_VNNI, SM_KERNEL_LEVEL_AVX512,
  SM_KERNEL_LEVEL_AVX512_VNNI,
};

/* Block counts the kernels' loops split differently: 0, 1, 2, 3, 9, 128; 5, 7, 13, 15 for the
 * 8/4/2/1-block tails of the SIMD loops; 130, 257 and 513 for more than one 128-, 256- or
 * 512-block chunk of x. */
static const size_t quant_ks[] = { 0, 32, 64, 96, 288, 4096, 160, 224, 416, 480, 4160, 8224, 16416 };
/* any k: 8-, 16- and 32-wide steps with every kind of ragged end */
static const size_t half_ks[] = { 0, 1, 7, 33, 511, 24, 40, 32, 64, 96, 288, 4096 };
static const size_t gemv_ms[] = { 0, 1, 3, 7, 17, 64 };

static const SmKernels *
level_table (gconstpointer data)
{
  SmKernelLevel level = GPOINTER_TO_INT (data);
  const char *why = NULL;
  const SmKernels *k = sm_kernels_for_level (level);

  if (k == NULL)
    {
      sm_kernels_level_supported (level, &why);
      g_test_skip (why != NULL ? why : "level unsupported");
      return NULL;
    }
  /* a kernel missing from the table (weak while the folders fill up) fails here, not as a
   * jump to NULL */
  g_assert_nonnull (k->quantize_row_q8_0);
  g_assert_nonnull (k->vec_dot_q8_0_q8_0);
  g_assert_nonnull (k->vec_dot_q4_0_q8_0);
  g_assert_nonnull (k->gemv_q8_0);
  g_assert_nonnull (k->gemv_q4_0);
  g_assert_nonnull (k->gemv_f16);
  g_assert_nonnull (k->gemv_bf16);
  return k;
}

static float
f32_from_bits (uint32_t u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

static uint32_t
bits_from_f32 (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  return u;
}

/* Random Q8_0 weights, -128 included, with scales of either sign as files hold them. */
static void
fill_q8_0 (GRand *rand, SmBlockQ8_0 *w, size_t nb)
{
  for (size_t b = 0; b < nb; b++)
    {
      double d = g_rand_double_range (rand, 1e-3, 0.1) * (g_rand_boolean (rand) ? 1 : -1);
      w[b].d = sm_fp32_to_fp16 ((float) d);
      for (int i = 0; i < SM_QK; i++)
        w[b].qs[i] = (int8_t) g_rand_int_range (rand, -128, 128);
    }
}

static void
fill_q4_0 (GRand *rand, SmBlockQ4_0 *w, size_t nb)
{
  for (size_t b = 0; b < nb; b++)
    {
      double d = g_rand_double_range (rand, 1e-3, 0.1) * (g_rand_boolean (rand) ? 1 : -1);
      w[b].d = sm_fp32_to_fp16 ((float) d);
      for (int i = 0; i < SM_QK / 2; i++)
        w[b].qs[i] = (uint8_t) g_rand_int_range (rand, 0, 256);
    }
}

/* Σ a·b and Σ |a·b| in double. */
static double
dot_ref (const float *a, const float *b, size_t n, double *abs_sum)
{
  double s = 0.0, as = 0.0;

  for (size_t i = 0; i < n; i++)
    {
      s += (double) a[i] * (double) b[i];
      as += fabs ((double) a[i] * (double) b[i]);
    }
  *abs_sum = as;
  return s;
}

/* A float sum of n terms, in any order, errs by at most about n·2⁻²⁴·Σ|terms|; (n + 2)·2⁻²³
 * doubles that, and the floor covers sums that cancel to ~0. */
static double
sum_tolerance (size_t n_terms, double abs_sum)
{
  return (double) (n_terms + 2) * FLT_EPSILON * abs_sum + 1e-30;
}

/* ---- quantize_row_q8_0 ------------------------------------------------------------------------- */

/* Per element: |x - dh·q| <= |x - d·q| + |q|·|d - dh| <= d/2 + 127·|d - dh|, where d = amax/127
 * in float and dh its fp16 rounding; the 2⁻¹⁶ slack covers the rounding of x/d. */
static void
check_q8_0_round_trip (const float *x, const SmBlockQ8_0 *y, size_t k)
{
  g_autofree float *deq = g_new (float, k);

  sm_dequantize_row_q8_0 (y, deq, k);
  for (size_t b = 0; b < k / SM_QK; b++)
    {
      float amax = 0.0f;
      for (int i = 0; i < SM_QK; i++)
        amax = fmaxf (amax, fabsf (x[b * SM_QK + i]));
      double d = amax / 127.0f;
      double dh = sm_fp16_to_fp32 (y[b].d);
      double bound = d * (0.5 + 0x1p-16) + 127.0 * fabs (d - dh);

      g_assert_cmpuint (y[b].d, ==, sm_fp32_to_fp16 (amax / 127.0f));
      for (int i = 0; i < SM_QK; i++)
        {
          size_t j = b * SM_QK + i;
          g_assert_cmpint (y[b].qs[i], >=, -127);
          g_assert_cmpint (y[b].qs[i], <=, 127);
          if (fabs ((double) x[j] - (double) deq[j]) > bound)
            g_error ("block %zu elem %d: x %.9g deq %.9g, bound %.3g", b, i, x[j], deq[j], bound);
          if (fabsf (x[j]) == amax && amax > 0.0f)
            g_assert_cmpint (abs (y[b].qs[i]), ==, 127);
        }
    }
}

static void
test_quantize_q8_0 (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  const SmKernels *ref = sm_kernels_for_level (SM_KERNEL_LEVEL_SCALAR);
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  /* (lo, hi) ranges: ordinary activations, large, tiny (fp16-subnormal scale), f32-subnormal
   * scale, and one-sided */
  static const float ranges[][2] = {
    { -1.0f, 1.0f }, { -3000.0f, 3000.0f }, { -1e-4f, 1e-4f }, { -1e-36f, 1e-36f }, { 0.0f, 5.0f },
  };

  if (k == NULL)
    return;
  for (gsize ki = 0; ki < G_N_ELEMENTS (quant_ks); ki++)
    for (gsize ri = 0; ri < G_N_ELEMENTS (ranges); ri++)
      {
        size_t n = quant_ks[ki], nb = n / SM_QK;
        float *x = sm_test_alloc_unaligned (n, 4 * (ki % 16));
        g_autofree SmBlockQ8_0 *y = g_new (SmBlockQ8_0, nb);
        g_autofree SmBlockQ8_0 *y_ref = g_new (SmBlockQ8_0, nb);

        sm_test_fill_uniform (rand, x, n, ranges[ri][0], ranges[ri][1]);
        /* an all-zero block, and a block with one lone value */
        if (nb > 1)
          {
            memset (x + SM_QK, 0, SM_QK * sizeof (float));
            x[SM_QK + 5] = ri == 4 ? 0.0f : -ranges[ri][1];
          }
        k->quantize_row_q8_0 (x, y, n);
        ref->quantize_row_q8_0 (x, y_ref, n);
        g_assert_cmpmem (y, nb * sizeof *y, y_ref, nb * sizeof *y_ref);
        check_q8_0_round_trip (x, y, n);
        sm_test_free_unaligned (x);
      }
}

/* amax = 127 makes d = 1 exactly, so x/d lands on halves: they must round to even. */
static void
test_quantize_q8_0_ties (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  float x[2 * SM_QK] = { 0 };
  SmBlockQ8_0 y[2];
  static const float ties[] = { 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -125.5f, 3.49f, -0.0f };
  static const int8_t want[] = { 0, 2, 2, 0, -2, -2, 126, -126, 3, 0 };

  if (k == NULL)
    return;
  for (int blk = 0; blk < 2; blk++)
    {
      float *xb = x + blk * SM_QK;
      xb[31] = blk == 0 ? 127.0f : -127.0f;
      for (gsize i = 0; i < G_N_ELEMENTS (ties); i++)
        xb[i] = ties[i];
    }
  k->quantize_row_q8_0 (x, y, 2 * SM_QK);
  for (int blk = 0; blk < 2; blk++)
    {
      g_assert_cmpuint (y[blk].d, ==, 0x3c00);   /* 1.0 */
      for (gsize i = 0; i < G_N_ELEMENTS (ties); i++)
        g_assert_cmpint (y[blk].qs[i], ==, want[i]);
      g_assert_cmpint (y[blk].qs[31], ==, blk == 0 ? 127 : -127);
    }
}

/* ---- vector dots --------------------------------------------------------------------------- */

static void
test_vec_dot_q8_0 (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);

  if (k == NULL)
    return;
  for (gsize ki = 0; ki < G_N_ELEMENTS (quant_ks); ki++)
    for (int rep = 0; rep < 4; rep++)
      {
        size_t n = quant_ks[ki], nb = n / SM_QK;
        g_autofree SmBlockQ8_0 *w = g_new (SmBlockQ8_0, nb);
        g_autofree SmBlockQ8_0 *xq = g_new (SmBlockQ8_0, nb);
        g_autofree float *x = g_new (float, n);
        g_autofree float *wf = g_new (float, n);
        g_autofree float *xf = g_new (float, n);
        double abs_sum;

        fill_q8_0 (rand, w, nb);
        sm_test_fill_uniform (rand, x, n, -2.0f, 2.0f);
        k->quantize_row_q8_0 (x, xq, n);
        sm_dequantize_row_q8_0 (w, wf, n);
        sm_dequantize_row_q8_0 (xq, xf, n);
        double want = dot_ref (wf, xf, n, &abs_sum);
        double got = k->vec_dot_q8_0_q8_0 (n, w, xq);
        /* one rounding per block (int32 sum × exact product of scales) plus the sum over blocks */
        g_assert_cmpfloat_with_epsilon (got, want, sum_tolerance (nb, abs_sum));
      }
}

static void
test_vec_dot_q4_0 (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);

  if (k == NULL)
    return;
  for (gsize ki = 0; ki < G_N_ELEMENTS (quant_ks); ki++)
    for (int rep = 0; rep < 4; rep++)
      {
        size_t n = quant_ks[ki], nb = n / SM_QK;
        g_autofree SmBlockQ4_0 *w = g_new (SmBlockQ4_0, nb);
        g_autofree SmBlockQ8_0 *xq = g_new (SmBlockQ8_0, nb);
        g_autofree float *x = g_new (float, n);
        g_autofree float *wf = g_new (float, n);
        g_autofree float *xf = g_new (float, n);
        double abs_sum;

        fill_q4_0 (rand, w, nb);
        sm_test_fill_uniform (rand, x, n, -2.0f, 2.0f);
        k->quantize_row_q8_0 (x, xq, n);
        sm_dequantize_row_q4_0 (w, wf, n);
        sm_dequantize_row_q8_0 (xq, xf, n);
        double want = dot_ref (wf, xf, n, &abs_sum);
        double got = k->vec_dot_q4_0_q8_0 (n, w, xq);
        g_assert_cmpfloat_with_epsilon (got, want, sum_tolerance (nb, abs_sum));
      }
}

/* The extreme int8 products: every w = -128 against x = ±127 must neither saturate nor flip
 * sign (|w| = 128 does not fit a signed byte). */
static void
test_vec_dot_q8_0_extremes (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  SmBlockQ8_0 w[8], x[8];

  if (k == NULL)
    return;
  for (int b = 0; b < 8; b++)
    {
      w[b].d = 0x3c00;   /* 1.0 */
      x[b].d = 0x3c00;
      for (int i = 0; i < SM_QK; i++)
        {
          w[b].qs[i] = (b & 1) ? 127 : -128;
          x[b].qs[i] = (i & 1) ? 127 : -127;
        }
    }
  /* every pair (i even, i odd) cancels to 0 except for |w| = 128 vs 127 */
  g_assert_cmpfloat (k->vec_dot_q8_0_q8_0 (8 * SM_QK, w, x), ==, 0.0f);
  for (int b = 0; b < 8; b++)
    for (int i = 0; i < SM_QK; i++)
      x[b].qs[i] = (b & 1) ? 127 : -127;
  /* 4 blocks of 32·(-128)(-127) + 4 blocks of 32·127·127 */
  g_assert_cmpfloat (k->vec_dot_q8_0_q8_0 (8 * SM_QK, w, x), ==, 4.0f * 32 * (128 * 127 + 127 * 127));

  SmBlockQ4_0 w4[8];
  for (int b = 0; b < 8; b++)
    {
      w4[b].d = 0x3c00;
      memset (w4[b].qs, (b & 1) ? 0xff : 0x00, sizeof w4[b].qs);   /* q - 8 = 7 or -8 */
    }
  /* blocks alternate w = -8 against x = -127 and w = 7 against x = 127 */
  g_assert_cmpfloat (k->vec_dot_q4_0_q8_0 (8 * SM_QK, w4, x), ==, 4.0f * 32 * (8 * 127 + 7 * 127));
}

/* ---- quantized GEMV ------------------------------------------------------------------------------ */

#define SENTINEL 1234.5f

static void
test_gemv_q8_0 (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);

  if (k == NULL)
    return;
  for (gsize ki = 0; ki < G_N_ELEMENTS (quant_ks); ki++)
    for (gsize mi = 0; mi < G_N_ELEMENTS (gemv_ms); mi++)
      {
        size_t n = quant_ks[ki], nb = n / SM_QK, M = gemv_ms[mi];
        /* exactly M rows, so a read past the last row trips ASan */
        g_autofree SmBlockQ8_0 *W = g_new (SmBlockQ8_0, M * nb + 1);
        g_autofree SmBlockQ8_0 *xq = g_new (SmBlockQ8_0, nb);
        g_autofree float *x = g_new (float, n);
        g_autofree float *wf = g_new (float, n);
        g_autofree float *xf = g_new (float, n);
        g_autofree float *y = g_new (float, M + 1);

        fill_q8_0 (rand, W, M * nb);
        sm_test_fill_uniform (rand, x, n, -1.0f, 1.0f);
        k->quantize_row_q8_0 (x, xq, n);
        sm_dequantize_row_q8_0 (xq, xf, n);
        y[M] = SENTINEL;
        k->gemv_q8_0 (M, n, W, xq, y);
        g_assert_cmpfloat (y[M], ==, SENTINEL);
        for (size_t r = 0; r < M; r++)
          {
            double abs_sum;
            sm_dequantize_row_q8_0 (W + r * nb, wf, n);
            double want = dot_ref (wf, xf, n, &abs_sum);
            g_assert_cmpfloat_with_epsilon (y[r], want, sum_tolerance (nb, abs_sum));
          }
      }
}

static void
test_gemv_q4_0 (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);

  if (k == NULL)
    return;
  for (gsize ki = 0; ki < G_N_ELEMENTS (quant_ks); ki++)
    for (gsize mi = 0; mi < G_N_ELEMENTS (gemv_ms); mi++)
      {
        size_t n = quant_ks[ki], nb = n / SM_QK, M = gemv_ms[mi];
        g_autofree SmBlockQ4_0 *W = g_new (SmBlockQ4_0, M * nb + 1);
        g_autofree SmBlockQ8_0 *xq = g_new (SmBlockQ8_0, nb);
        g_autofree float *x = g_new (float, n);
        g_autofree float *wf = g_new (float, n);
        g_autofree float *xf = g_new (float, n);
        g_autofree float *y = g_new (float, M + 1);

        fill_q4_0 (rand, W, M * nb);
        sm_test_fill_uniform (rand, x, n, -1.0f, 1.0f);
        k->quantize_row_q8_0 (x, xq, n);
        sm_dequantize_row_q8_0 (xq, xf, n);
        y[M] = SENTINEL;
        k->gemv_q4_0 (M, n, W, xq, y);
        g_assert_cmpfloat (y[M], ==, SENTINEL);
        for (size_t r = 0; r < M; r++)
          {
            double abs_sum;
            sm_dequantize_row_q4_0 (W + r * nb, wf, n);
            double want = dot_ref (wf, xf, n, &abs_sum);
            g_assert_cmpfloat_with_epsilon (y[r], want, sum_tolerance (nb, abs_sum));
          }
      }
}

/* ---- half-precision GEMV ------------------------------------------------------------------------- */

typedef enum { HALF_F16, HALF_BF16 } HalfKind;

static void
check_gemv_half (const SmKernels *k, HalfKind kind, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  /* NaN in the padding between rows: reading past k poisons the row's result */
  const uint16_t nan_half = kind == HALF_F16 ? 0x7e00 : 0x7fc0;

  for (gsize ki = 0; ki < G_N_ELEMENTS (half_ks); ki++)
    for (gsize mi = 0; mi < G_N_ELEMENTS (gemv_ms); mi++)
      {
        size_t n = half_ks[ki], M = gemv_ms[mi];
        size_t ldw = n + 1 + (ki % 3);          /* odd pads leave most rows unaligned */
        /* one half of offset, then exactly the span M rows occupy: a read past the last row's
         * k-th element trips ASan */
        size_t span = M == 0 ? 0 : (M - 1) * ldw + n;
        g_autofree uint16_t *buf = g_new (uint16_t, 1 + span + 1);
        uint16_t *W = buf + 1;
        float *x = sm_test_alloc_unaligned (n + 1, 4 * (1 + ki % 15));
        g_autofree float *wf = g_new (float, n + 1);
        g_autofree float *y = g_new (float, M + 1);

        for (size_t i = 0; i < span; i++)
          W[i] = nan_half;
        for (size_t r = 0; r < M; r++)
          for (size_t i = 0; i < n; i++)
            {
              float v = (float) g_rand_double_range (rand, -2.0, 2.0);
              W[r * ldw + i] = kind == HALF_F16 ? sm_fp32_to_fp16 (v) : sm_fp32_to_bf16 (v);
            }
        sm_test_fill_uniform (rand, x, n, -1.0f, 1.0f);
        y[M] = SENTINEL;
        if (kind == HALF_F16)
          k->gemv_f16 (M, n, W, ldw, x, y);
        else
          k->gemv_bf16 (M, n, W, ldw, x, y);
        g_assert_cmpfloat (y[M], ==, SENTINEL);
        for (size_t r = 0; r < M; r++)
          {
            double abs_sum;
            for (size_t i = 0; i < n; i++)
              wf[i] = kind == HALF_F16 ? sm_fp16_to_fp32 (W[r * ldw + i]) : sm_bf16_to_fp32 (W[r * ldw + i]);
            double want = dot_ref (wf, x, n, &abs_sum);
            /* k products rounded once each, k additions */
            if (!(fabs (y[r] - want) <= sum_tolerance (2 * n, abs_sum)))
              g_error ("%s k %zu M %zu row %zu: got %.9g want %.9g",
                       kind == HALF_F16 ? "f16" : "bf16", n, M, r, y[r], want);
          }
        sm_test_free_unaligned (x);
      }
}

static void
test_gemv_f16 (gconstpointer data)
{
  const SmKernels *k = level_table (data);

  if (k != NULL)
    check_gemv_half (k, HALF_F16, 6);
}

static void
test_gemv_bf16 (gconstpointer data)
{
  const SmKernels *k = level_table (data);

  if (k != NULL)
    check_gemv_half (k, HALF_BF16, 7);
}

/* ---- f32_to_f16: what an f16 KV cache stores ----------------------------------------------------- */

/* Bit for bit sm_fp32_to_fp16 at every length (the SIMD loops' full, double and masked steps),
 * on floats of every exponent (NaN, inf, f32 subnormals, halves' subnormals and ties among
 * them), in the IEEE mode and in the forward pass's flush mode, which must not change it; the
 * half past the end is never written. */
static void
test_f32_to_f16 (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);

  if (k == NULL)
    return;
  g_assert_nonnull (k->f32_to_f16);
  for (int flush = 0; flush < 2; flush++)
    for (gsize ni = 0; ni < G_N_ELEMENTS (half_ks); ni++)
      for (int rep = 0; rep < 40; rep++)
        {
          const size_t n = half_ks[ni];
          g_autofree float *x = g_new (float, n + 1);
          g_autofree uint16_t *h = g_new (uint16_t, n + 1);

          for (size_t i = 0; i < n; i++)
            {
              switch (g_rand_int_range (rand, 0, 4))
                {
                case 0:   /* any bit pattern */
                  x[i] = f32_from_bits (g_rand_int (rand));
                  break;
                case 1:   /* a tie or a near tie between two halves, subnormal ones included */
                  x[i] = f32_from_bits ((bits_from_f32 (sm_fp16_to_fp32 ((uint16_t) g_rand_int_range (rand, 0, 0x7c00)))
                                         + 0x1000 + g_rand_int_range (rand, -1, 2))
                                        | (g_rand_boolean (rand) ? 0x80000000u : 0));
                  break;
                case 2:   /* below the half range, to its subnormals and f32's */
                  x[i] = (float) g_rand_double_range (rand, -1, 1) * ldexpf (1.0f, -g_rand_int_range (rand, 14, 140));
                  break;
                default:  /* around the largest half, to inf */
                  x[i] = (float) g_rand_double_range (rand, 6.5e4, 6.6e4) * (g_rand_boolean (rand) ? 1 : -1);
                }
            }
          h[n] = 0x5a5a;
          SmFpMode saved = flush ? sm_fp_flush_begin () : 0;
          k->f32_to_f16 (h, x, n);
          if (flush)
            sm_fp_flush_end (saved);
          g_assert_cmphex (h[n], ==, 0x5a5a);
          for (size_t i = 0; i < n; i++)
            if (h[i] != sm_fp32_to_fp16 (x[i]))
              g_error ("%s n %zu [%zu] (%s mode): 0x%04x for %a (0x%08x), want 0x%04x", k->name, n, i,
                       flush ? "flush" : "IEEE", h[i], x[i], bits_from_f32 (x[i]), sm_fp32_to_fp16 (x[i]));
        }
}

/* ---- gemv_t_f16: attention scores over an f16 KV cache ---------------------------------------- */

/* y = alpha · Aᵀ x for A (K rows of N halves, stride lda): against the double sum of the
 * widened halves, and against the scalar level, over head sizes 0..64 and position counts
 * with every kind of ragged end.  NaN halves pad each row past N and the buffer ends at the
 * last row's N-th half, so a read outside the columns poisons a result or trips ASan. */
static void
test_gemv_t_f16 (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  const SmKernels *ref = sm_kernels_for_level (SM_KERNEL_LEVEL_SCALAR);
  static const size_t Ks[] = { 0, 1, 3, 8, 17, 64 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);

  if (k == NULL)
    return;
  g_assert_nonnull (k->gemv_t_f16);
  for (gsize ki = 0; ki < G_N_ELEMENTS (Ks); ki++)
    for (gsize ni = 0; ni < G_N_ELEMENTS (half_ks); ni++)
      {
        const size_t K = Ks[ki], N = half_ks[ni], lda = N + (ni % 3) * 5;
        const size_t span = K == 0 ? 0 : (K - 1) * lda + N;
        const float alpha = ki % 2 ? 0.125f : -0.35355339f;
        g_autofree uint16_t *A = g_new (uint16_t, span + 1);
        g_autofree float *x = g_new (float, K + 1);
        g_autofree float *y = g_new (float, N + 1), *y_ref = g_new (float, N + 1);

        for (size_t i = 0; i < span; i++)
          A[i] = 0x7e00;
        for (size_t d = 0; d < K; d++)
          for (size_t j = 0; j < N; j++)
            A[d * lda + j] = sm_fp32_to_fp16 ((float) g_rand_double_range (rand, -3.0, 3.0));
        sm_test_fill_uniform (rand, x, K, -1.0f, 1.0f);
        y[N] = SENTINEL;
        k->gemv_t_f16 (K, N, alpha, A, lda, x, y);
        ref->gemv_t_f16 (K, N, alpha, A, lda, x, y_ref);
        g_assert_cmpfloat (y[N], ==, SENTINEL);
        for (size_t j = 0; j < N; j++)
          {
            double want = 0.0, abs_sum = 0.0;
            for (size_t d = 0; d < K; d++)
              {
                double t = (double) x[d] * sm_fp16_to_fp32 (A[d * lda + j]);
                want += t;
                abs_sum += fabs (t);
              }
            want *= alpha;
            abs_sum *= fabs (alpha);
            /* K products and K additions rounded, then the scaling */
            double tol = sum_tolerance (2 * K + 1, abs_sum);
            if (!(fabs (y[j] - want) <= tol) || !(fabs (y[j] - y_ref[j]) <= 2 * tol))
              g_error ("K %zu N %zu column %zu: got %.9g, scalar %.9g, want %.9g", K, N, j,
                       y[j], y_ref[j], want);
          }
      }
}

/* ---- quantize, then dot: the result stays within the quantization error ---------------------- */

/* ggml's Q4_0 maps the block's extreme to -8 exactly and rounds the rest half-up, clamping at
 * 15: |x - d·(q-8)| <= |d|/2 below the clamp and <= |d| where x/d > 7.5 clamps (only the
 * opposite extreme can).  The fp16 scale adds 8·|d - dh|. */
static double
q4_0_block_bound (const float *xb, const SmBlockQ4_0 *blk, double *max_err_unclamped, float *d_out)
{
  float amax = 0.0f, max = 0.0f;

  for (int i = 0; i < SM_QK; i++)
    if (fabsf (xb[i]) > amax)
      {
        amax = fabsf (xb[i]);
        max = xb[i];
      }
  float d = max / -8.0f;
  double dh = sm_fp16_to_fp32 (blk->d);

  *d_out = d;
  *max_err_unclamped = fabs (d) * (0.5 + 0x1p-16) + 8.0 * fabs (d - dh);
  return fabs (d) * (1.0 + 0x1p-16) + 8.0 * fabs (d - dh);
}

static void
test_q4_0_round_trip (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  const size_t n = 4096;
  g_autofree float *x = g_new (float, n);
  g_autofree float *deq = g_new (float, n);
  g_autofree SmBlockQ4_0 *q = g_new (SmBlockQ4_0, n / SM_QK);
  static const float scales[] = { 1.0f, 1000.0f, 1e-4f };

  for (gsize s = 0; s < G_N_ELEMENTS (scales); s++)
    {
      sm_test_fill_uniform (rand, x, n, -scales[s], scales[s]);
      /* a block whose extremes are equal and opposite: the second one clamps */
      x[5] = scales[s];
      x[9] = -scales[s];
      memset (x + SM_QK, 0, SM_QK * sizeof (float));   /* an all-zero block */
      sm_quantize_row_q4_0 (x, q, n);
      sm_dequantize_row_q4_0 (q, deq, n);
      for (size_t b = 0; b < n / SM_QK; b++)
        {
          double unclamped;
          float d;   /* the float scale, before its fp16 rounding, decides the clamp */
          double bound = q4_0_block_bound (x + b * SM_QK, &q[b], &unclamped, &d);
          for (int i = 0; i < SM_QK; i++)
            {
              size_t j = b * SM_QK + i;
              double err = fabs ((double) x[j] - (double) deq[j]);
              g_assert_cmpfloat (err, <=, bound);
              /* d < 0 for a positive extreme: x/d <= 7.5 is x >= 7.5·d */
              if (d == 0.0f || x[j] / d <= 7.5 - 1e-3)
                g_assert_cmpfloat (err, <=, unclamped);
            }
        }
      g_assert_cmpfloat (deq[5], ==, -8.0f * sm_fp16_to_fp32 (q[0].d));
      for (int i = 0; i < SM_QK; i++)
        g_assert_cmpfloat (deq[SM_QK + i], ==, 0.0f);
    }
}

/* Σ w·x of the originals against the kernel's dot of their quantizations: the difference is
 * bounded by Σ (e_w·|x| + |w'|·e_x) with each format's per-block error bound, plus the
 * kernel's rounding. */
static void
test_quantized_dot_consistency (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);

  if (k == NULL)
    return;
  for (gsize ki = 0; ki < G_N_ELEMENTS (quant_ks); ki++)
    {
      size_t n = quant_ks[ki], nb = n / SM_QK;
      g_autofree float *w = g_new (float, n);
      g_autofree float *x = g_new (float, n);
      g_autofree float *w4f = g_new (float, n);
      g_autofree float *w8f = g_new (float, n);
      g_autofree float *xf = g_new (float, n);
      g_autofree SmBlockQ4_0 *w4 = g_new (SmBlockQ4_0, nb);
      g_autofree SmBlockQ8_0 *w8 = g_new (SmBlockQ8_0, nb);
      g_autofree SmBlockQ8_0 *xq = g_new (SmBlockQ8_0, nb);
      double exact = 0.0, bound4 = 0.0, bound8 = 0.0, abs4, abs8;

      sm_test_fill_uniform (rand, w, n, -0.5f, 0.5f);
      sm_test_fill_uniform (rand, x, n, -3.0f, 3.0f);
      sm_quantize_row_q4_0 (w, w4, n);
      k->quantize_row_q8_0 (w, w8, n);
      k->quantize_row_q8_0 (x, xq, n);
      sm_dequantize_row_q4_0 (w4, w4f, n);
      sm_dequantize_row_q8_0 (w8, w8f, n);
      sm_dequantize_row_q8_0 (xq, xf, n);
      dot_ref (w4f, xf, n, &abs4);
      dot_ref (w8f, xf, n, &abs8);

      for (size_t b = 0; b < nb; b++)
        {
          const float *wb = w + b * SM_QK, *xb = x + b * SM_QK;
          float wmax = 0.0f, xmax = 0.0f;
          double unclamped;
          float d4;
          double e4 = q4_0_block_bound (wb, &w4[b], &unclamped, &d4);
          for (int i = 0; i < SM_QK; i++)
            {
              wmax = fmaxf (wmax, fabsf (wb[i]));
              xmax = fmaxf (xmax, fabsf (xb[i]));
            }
          double dw = wmax / 127.0f, dx = xmax / 127.0f;
          double e8 = dw / 2 + 127 * fabs (dw - sm_fp16_to_fp32 (w8[b].d)) + dw * 0x1p-16;
          double ex = dx / 2 + 127 * fabs (dx - sm_fp16_to_fp32 (xq[b].d)) + dx * 0x1p-16;
          for (int i = 0; i < SM_QK; i++)
            {
              size_t j = b * SM_QK + i;
              exact += (double) w[j] * (double) x[j];
              bound4 += e4 * fabs (x[j]) + fabs (w4f[j]) * ex;
              bound8 += e8 * fabs (x[j]) + fabs (w8f[j]) * ex;
            }
        }
      double got4 = k->vec_dot_q4_0_q8_0 (n, w4, xq);
      double got8 = k->vec_dot_q8_0_q8_0 (n, w8, xq);
      g_assert_cmpfloat_with_epsilon (got4, exact, bound4 + sum_tolerance (nb, abs4));
      g_assert_cmpfloat_with_epsilon (got8, exact, bound8 + sum_tolerance (nb, abs8));

      /* one row of a GEMV is the same dot */
      float y4, y8;
      k->gemv_q4_0 (1, n, w4, xq, &y4);
      k->gemv_q8_0 (1, n, w8, xq, &y8);
      g_assert_cmpfloat_with_epsilon (y4, got4, 2 * sum_tolerance (nb, abs4));
      g_assert_cmpfloat_with_epsilon (y8, got8, 2 * sum_tolerance (nb, abs8));
    }
}

/* ---- sm-convert.c's scalar helpers ------------------------------------------------------------- */

static gboolean
half_is_nan (uint16_t h)
{
  return (h & 0x7c00) == 0x7c00 && (h & 0x03ff) != 0;
}

static gboolean
bf16_is_nan (uint16_t h)
{
  return (h & 0x7f80) == 0x7f80 && (h & 0x007f) != 0;
}

/* Every half: its value (from the definition, via ldexp) and back unchanged; NaNs stay NaN. */
static void
test_fp16_exhaustive (void)
{
  for (uint32_t h = 0; h < 65536; h++)
    {
      float f = sm_fp16_to_fp32 ((uint16_t) h);
      int e = (h >> 10) & 0x1f, m = h & 0x3ff;
      double s = (h & 0x8000) ? -1.0 : 1.0;

      if (e == 0x1f && m != 0)
        {
          g_assert_true (isnan (f));
          g_assert_cmpint (!!signbit (f), ==, !!(h & 0x8000));
          uint16_t back = sm_fp32_to_fp16 (f);
          g_assert_true (half_is_nan (back));
          g_assert_cmpuint (back & 0x8000, ==, h & 0x8000);
          continue;
        }
      double want = e == 0x1f ? s * INFINITY
                    : e == 0 ? s * ldexp (m, -24)
                    : s * ldexp (1024 + m, e - 25);
      g_assert_cmpfloat ((double) f, ==, want);
      g_assert_cmpint (!!signbit (f), ==, !!(h & 0x8000));
      g_assert_cmpuint (sm_fp32_to_fp16 (f), ==, h);
    }
}

/* Midway between neighbouring halves (exact in float: 12 significant bits) rounds to the even
 * one; a float ulp either side rounds to the nearer. */
static void
test_fp16_rounding (void)
{
  for (uint32_t h = 0; h < 0x7c00; h++)
    for (int neg = 0; neg < 2; neg++)
      {
        uint16_t sign = neg ? 0x8000 : 0;
        uint16_t lo = (uint16_t) (h | sign), hi = (uint16_t) ((h + 1) | sign);
        /* above the largest finite half, the next step is 65536: inf */
        double next = h + 1 == 0x7c00 ? (neg ? -65536.0 : 65536.0) : sm_fp16_to_fp32 (hi);
        float mid = (float) (((double) sm_fp16_to_fp32 (lo) + next) / 2);
        g_assert_cmpfloat ((double) mid * 2, ==, (double) sm_fp16_to_fp32 (lo) + next);
        uint16_t even = (h & 1) ? hi : lo;

        g_assert_cmpuint (sm_fp32_to_fp16 (mid), ==, even);
        g_assert_cmpuint (sm_fp32_to_fp16 (nextafterf (mid, 0.0f)), ==, lo);
        g_assert_cmpuint (sm_fp32_to_fp16 (nextafterf (mid, neg ? -INFINITY : INFINITY)), ==, hi);
      }
}

static void
test_fp16_special (void)
{
  /* overflow: 65520 is the midpoint above 65504 and goes to inf (even), anything below stays */
  g_assert_cmpuint (sm_fp32_to_fp16 (65504.0f), ==, 0x7bff);
  g_assert_cmpuint (sm_fp32_to_fp16 (65519.996f), ==, 0x7bff);
  g_assert_cmpuint (sm_fp32_to_fp16 (65520.0f), ==, 0x7c00);
  g_assert_cmpuint (sm_fp32_to_fp16 (1e5f), ==, 0x7c00);
  g_assert_cmpuint (sm_fp32_to_fp16 (-FLT_MAX), ==, 0xfc00);
  g_assert_cmpuint (sm_fp32_to_fp16 (INFINITY), ==, 0x7c00);
  g_assert_cmpuint (sm_fp32_to_fp16 (-INFINITY), ==, 0xfc00);
  g_assert_true (half_is_nan (sm_fp32_to_fp16 (NAN)));
  g_assert_true (half_is_nan (sm_fp32_to_fp16 (f32_from_bits (0x7f800001))));   /* sNaN, low payload */
  g_assert_true (half_is_nan (sm_fp32_to_fp16 (f32_from_bits (0xff800001))));
  /* subnormals: 2^-24 is the smallest; half of it ties to 0, 1.5 of it to 2 units */
  g_assert_cmpuint (sm_fp32_to_fp16 (0x1p-24f), ==, 0x0001);
  g_assert_cmpuint (sm_fp32_to_fp16 (0x1p-25f), ==, 0x0000);
  g_assert_cmpuint (sm_fp32_to_fp16 (nextafterf (0x1p-25f, 1.0f)), ==, 0x0001);
  g_assert_cmpuint (sm_fp32_to_fp16 (0x3p-25f), ==, 0x0002);
  g_assert_cmpuint (sm_fp32_to_fp16 (-0x1p-24f), ==, 0x8001);
  g_assert_cmpuint (sm_fp32_to_fp16 (0x3ffp-24f), ==, 0x03ff);     /* largest subnormal */
  g_assert_cmpuint (sm_fp32_to_fp16 (0x7ffp-25f), ==, 0x0400);     /* rounds up to the smallest normal */
  g_assert_cmpuint (sm_fp32_to_fp16 (0x1p-14f), ==, 0x0400);
  g_assert_cmpuint (sm_fp32_to_fp16 (1e-40f), ==, 0x0000);         /* f32 subnormal */
  g_assert_cmpuint (sm_fp32_to_fp16 (-1e-40f), ==, 0x8000);
  g_assert_cmpuint (sm_fp32_to_fp16 (-0.0f), ==, 0x8000);
  g_assert_cmpuint (sm_fp32_to_fp16 (1.0f), ==, 0x3c00);
  g_assert_cmpuint (sm_fp32_to_fp16 (-2.0f), ==, 0xc000);
  g_assert_cmpuint (sm_fp32_to_fp16 (0.1f), ==, 0x2e66);
}

static void
test_bf16_exhaustive (void)
{
  for (uint32_t h = 0; h < 65536; h++)
    {
      float f = sm_bf16_to_fp32 ((uint16_t) h);
      g_assert_cmpuint (bits_from_f32 (f), ==, h << 16);
      uint16_t back = sm_fp32_to_bf16 (f);
      if (bf16_is_nan ((uint16_t) h))
        {
          g_assert_true (bf16_is_nan (back));
          g_assert_cmpuint (back & 0x8000, ==, h & 0x8000);
        }
      else
        g_assert_cmpuint (back, ==, h);
    }
}

static void
test_bf16_rounding (void)
{
  for (uint32_t h = 0; h < 0x7f80; h++)
    for (int neg = 0; neg < 2; neg++)
      {
        uint32_t sign = neg ? 0x8000 : 0;
        uint16_t lo = (uint16_t) (h | sign), hi = (uint16_t) ((h + 1) | sign);
        /* midway has the dropped 16 bits at 0x8000 exactly */
        float mid = f32_from_bits (((uint32_t) lo << 16) | 0x8000);
        uint16_t even = (h & 1) ? hi : lo;

        g_assert_cmpuint (sm_fp32_to_bf16 (mid), ==, even);
        g_assert_cmpuint (sm_fp32_to_bf16 (f32_from_bits (bits_from_f32 (mid) - 1)), ==, lo);
        g_assert_cmpuint (sm_fp32_to_bf16 (f32_from_bits (bits_from_f32 (mid) + 1)), ==, hi);
      }
  g_assert_cmpuint (sm_fp32_to_bf16 (FLT_MAX), ==, 0x7f80);      /* past the last midpoint */
  g_assert_cmpuint (sm_fp32_to_bf16 (-INFINITY), ==, 0xff80);
  g_assert_cmpuint (sm_fp32_to_bf16 (1.0f), ==, 0x3f80);
  g_assert_cmpuint (sm_fp32_to_bf16 (0.1f), ==, 0x3dcd);
  g_assert_true (bf16_is_nan (sm_fp32_to_bf16 (f32_from_bits (0x7f800001))));   /* sNaN, low payload */
  g_assert_true (bf16_is_nan (sm_fp32_to_bf16 (f32_from_bits (0xffffffff))));
}

/* Random floats over every exponent, and random floats inside the half range. */
static float
random_float (GRand *rand, int i)
{
  if (i % 2)
    return f32_from_bits (g_rand_int (rand));
  return (float) ldexp (g_rand_double_range (rand, -1.0, 1.0), g_rand_int_range (rand, -26, 17));
}

#define N_RANDOM 1000000

#if defined(__x86_64__)
__attribute__ ((target ("f16c"))) static void
compare_f16c (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (10);

  for (int i = 0; i < N_RANDOM; i++)
    {
      float f = random_float (rand, i);
      uint16_t hw = (uint16_t) _mm_extract_epi16 (_mm_cvtps_ph (_mm_set_ss (f), _MM_FROUND_TO_NEAREST_INT), 0);
      if (sm_fp32_to_fp16 (f) != hw)
        g_error ("fp32_to_fp16 (%a = 0x%08x): 0x%04x, F16C says 0x%04x", f, bits_from_f32 (f),
                 sm_fp32_to_fp16 (f), hw);
    }
  for (uint32_t h = 0; h < 65536; h++)
    {
      float hw = _mm_cvtss_f32 (_mm_cvtph_ps (_mm_cvtsi32_si128 ((int) h)));
      float sw = sm_fp16_to_fp32 ((uint16_t) h);
      /* F16C quiets a signalling NaN; only NaN-ness and sign are promised */
      if (isnan (hw))
        g_assert_true (isnan (sw) && !!signbit (sw) == !!signbit (hw));
      else
        g_assert_cmpuint (bits_from_f32 (sw), ==, bits_from_f32 (hw));
    }
}

/* vcvtneps2bf16 treats subnormal inputs as zero, so those are left out. */
__attribute__ ((target ("avx512bf16,avx512vl"))) static void
compare_avx512bf16 (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);

  for (int i = 0; i < N_RANDOM; i++)
    {
      float f = random_float (rand, i);
      uint16_t out[8];
      if (fpclassify (f) == FP_SUBNORMAL)
        continue;
      __m128bh v = _mm_cvtneps_pbh (_mm_set1_ps (f));
      memcpy (out, &v, sizeof out);
      if (sm_fp32_to_bf16 (f) != out[0])
        g_error ("fp32_to_bf16 (%a = 0x%08x): 0x%04x, AVX512-BF16 says 0x%04x", f, bits_from_f32 (f),
                 sm_fp32_to_bf16 (f), out[0]);
    }
}
#endif

#if defined(__x86_64__)
/* Clang 14 knows neither name for __builtin_cpu_supports: ask cpuid, and let the builtin
 * confirm the OS saves the registers (XGETBV) */
static gboolean
cpu_has_f16c (void)
{
#if defined(__clang__)
  unsigned int a, b, c, d;
  return __get_cpuid (1, &a, &b, &c, &d) && (c & bit_F16C) && __builtin_cpu_supports ("avx");
#else
  return __builtin_cpu_supports ("f16c");
#endif
}

static gboolean
cpu_has_avx512bf16 (void)
{
#if defined(__clang__)
  unsigned int a, b, c, d;
  return __get_cpuid_count (7, 1, &a, &b, &c, &d) && (a & (1u << 5))
         && __builtin_cpu_supports ("avx512vl");
#else
  return __builtin_cpu_supports ("avx512bf16") && __builtin_cpu_supports ("avx512vl");
#endif
}
#endif

static void
test_fp16_vs_f16c (void)
{
#if defined(__x86_64__)
  if (!cpu_has_f16c ())
    {
      g_test_skip ("this CPU lacks F16C");
      return;
    }
  compare_f16c ();
#else
  g_test_skip ("F16C is x86-64 only");
#endif
}

static void
test_bf16_vs_avx512bf16 (void)
{
#if defined(__x86_64__)
  if (!cpu_has_avx512bf16 ())
    {
      g_test_skip ("this CPU lacks AVX512-BF16");
      return;
    }
  compare_avx512bf16 ();
#else
  g_test_skip ("AVX512-BF16 is x86-64 only");
#endif
}

/* ---- main ----------------------------------------------------------------------------------- */

static void
add_level_tests (const char *name, GTestDataFunc fn)
{
  for (gsize i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      g_autofree char *path = g_strdup_printf ("/kernels-quant/%s/%s",
                                               sm_kernel_level_to_string (levels[i]), name);
      g_test_add_data_func (path, GINT_TO_POINTER (levels[i]), fn);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  add_level_tests ("quantize-q8_0", test_quantize_q8_0);
  add_level_tests ("quantize-q8_0-ties", test_quantize_q8_0_ties);
  add_level_tests ("vec-dot-q8_0", test_vec_dot_q8_0);
  add_level_tests ("vec-dot-q4_0", test_vec_dot_q4_0);
  add_level_tests ("vec-dot-extremes", test_vec_dot_q8_0_extremes);
  add_level_tests ("gemv-q8_0", test_gemv_q8_0);
  add_level_tests ("gemv-q4_0", test_gemv_q4_0);
  add_level_tests ("gemv-f16", test_gemv_f16);
  add_level_tests ("gemv-bf16", test_gemv_bf16);
  add_level_tests ("gemv-t-f16", test_gemv_t_f16);
  add_level_tests ("f32-to-f16", test_f32_to_f16);
  add_level_tests ("quantized-dot-consistency", test_quantized_dot_consistency);
  g_test_add_func ("/kernels-quant/convert/q4_0-round-trip", test_q4_0_round_trip);
  g_test_add_func ("/kernels-quant/convert/fp16-exhaustive", test_fp16_exhaustive);
  g_test_add_func ("/kernels-quant/convert/fp16-rounding", test_fp16_rounding);
  g_test_add_func ("/kernels-quant/convert/fp16-special", test_fp16_special);
  g_test_add_func ("/kernels-quant/convert/fp16-vs-f16c", test_fp16_vs_f16c);
  g_test_add_func ("/kernels-quant/convert/bf16-exhaustive", test_bf16_exhaustive);
  g_test_add_func ("/kernels-quant/convert/bf16-rounding", test_bf16_rounding);
  g_test_add_func ("/kernels-quant/convert/bf16-vs-avx512bf16", test_bf16_vs_avx512bf16);

  return g_test_run ();
}
