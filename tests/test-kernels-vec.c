/* test-kernels-vec.c: the vector, activation and normalisation kernels of every level.
 *
 * Each case runs once per level (scalar, avx2, avx512; skipped where the CPU lacks it) and
 * checks the level against a double-precision reference written here and, for the SIMD
 * levels, against the scalar table too.  Sizes straddle every vector width and tail; buffers
 * start off 64-byte boundaries, carry a guard zone the kernels must not write, and are run
 * both out-of-place and in-place where the kernel allows it.
 *
 * Tolerances are stated in ulps of the double reference or as multiples of the unit roundoff
 * u = 2^-24.  The bounds on exp, SiLU and GELU are the measured maxima stated in
 * kernels/<isa>/act.c, rounded up.
 */
#include "sm-kernels.h"
#include "sm-test-util.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define U 0x1p-24             /* unit roundoff of float */
#define GUARD 16              /* floats after each buffer that must stay untouched */
#define SENTINEL 1234.5f

static const size_t sizes[] = { 0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 127, 511, 513 };
static const size_t misaligns[] = { 0, 4, 12, 28 };   /* bytes past a 64-byte boundary */

/* Asserted bounds (kernels/{scalar,avx2,avx512}/act.c state the measurements). */
#define EXP_MAX_ULP       1.0   /* SIMD exp, via softmax rows whose sum is exactly 1 */
#define SILU_MAX_ULP      3.5   /* where |silu(x)| >= 1e-30 */
#define GELU_POS_MAX_ULP  2.5   /* x >= 0 */
/* x < 0: the float t = 2u carries ~2 ulp of error that e^t magnifies by |t|; the bound is
 * GELU_NEG_ULP_PER_T · (1 + |t|) ulp where |gelu(x)| >= 1e-30. */
#define GELU_NEG_ULP_PER_T 2.5
/* |error| / max(1, |gelu(x)|), every x, every level: the scalar reference's 1 + tanh(u)
 * cancels for x << 0, so this is the only bound it meets there. */
#define GELU_MIXED_MAX    2.5e-7
#define TINY              1e-30  /* results below this are checked absolutely */

/* ---- helpers ---------------------------------------------------------------------------- */

static const SmKernels *
level_table (gconstpointer data)
{
  SmKernelLevel level = (SmKernelLevel) GPOINTER_TO_INT (data);
  const char *why = NULL;

  if (!sm_kernels_level_supported (level, &why))
    {
      g_test_skip (why);
      return NULL;
    }
  const SmKernels *k = sm_kernels_for_level (level);
  g_assert_nonnull (k);
  g_assert_cmpint (k->level, ==, level);
  return k;
}

static const SmKernels *
scalar_table (void)
{
  return sm_kernels_for_level (SM_KERNEL_LEVEL_SCALAR);
}

static float *
buf_new (size_t n, size_t misalign)
{
  float *p;

  g_assert_cmpuint (n, <, 1u << 24);
  p = sm_test_alloc_unaligned (n + GUARD, misalign);
  for (size_t i = 0; i < n + GUARD; i++)
    p[i] = SENTINEL;
  return p;
}

static void
buf_check_guard (const float *p, size_t n)
{
  for (size_t i = 0; i < GUARD; i++)
    g_assert_cmpfloat (p[n + i], ==, SENTINEL);
}

static float *
buf_random (GRand *rand, size_t n, size_t misalign, float lo, float hi)
{
  float *p = buf_new (n, misalign);

  sm_test_fill_uniform (rand, p, n, lo, hi);
  return p;
}

static double
ulp_of (double b)
{
  int e;

  b = fabs (b);
  if (b < 0x1p-126)
    return 0x1p-149;
  frexp (b, &e);
  return ldexp (1.0, e - 24);
}

/* |a - b| in ulps of b, with b rounded to float's range first (overflow is inf). */
static double
ulp_err (float a, double b)
{
  if (fabs (b) > FLT_MAX)
    b = b > 0 ? INFINITY : -INFINITY;
  if (isnan (a) || isnan (b))
    return isnan (a) && isnan (b) ? 0.0 : INFINITY;
  if (isinf (b))
    return (double) a == b ? 0.0 : INFINITY;
  return fabs ((double) a - b) / ulp_of (b);
}

static void
assert_bitwise_equal (const float *a, const float *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (memcmp (&a[i], &b[i], sizeof (float)) != 0)
      g_error ("element %zu of %zu: %.9g != %.9g", i, n, a[i], b[i]);
}

static void
assert_close (const char *what, size_t i, size_t n, double got, double ref, double tol)
{
  if (!(fabs (got - ref) <= tol))
    g_error ("%s: element %zu of %zu: %.9g, expected %.9g (|error| %.3g > %.3g)",
             what, i, n, got, ref, fabs (got - ref), tol);
}

/* ---- table ------------------------------------------------------------------------------ */

static void
test_table (gconstpointer data)
{
  const SmKernels *k = level_table (data);

  if (!k)
    return;
  g_assert_nonnull (k->dot);
  g_assert_nonnull (k->add);
  g_assert_nonnull (k->mul);
  g_assert_nonnull (k->scale);
  g_assert_nonnull (k->axpy);
  g_assert_nonnull (k->broadcast_add);
  g_assert_nonnull (k->argmax);
  g_assert_nonnull (k->softmax);
  g_assert_nonnull (k->softmax_causal);
  g_assert_nonnull (k->gelu);
  g_assert_nonnull (k->silu);
  g_assert_nonnull (k->swiglu);
  g_assert_nonnull (k->layernorm);
  g_assert_nonnull (k->rmsnorm);
  g_assert_nonnull (k->rope);
  g_assert_nonnull (k->f16_to_f32);
  g_assert_nonnull (k->bf16_to_f32);
  /* A level that lacks a kernel gets the level below's (sm-dispatch.c): no entry of any table
   * is ever empty, the GEMM and quantized ones included. */
  g_assert_nonnull (k->sgemm);
  g_assert_nonnull (k->sgemv);
  g_assert_nonnull (k->sgemm_packed);
  g_assert_nonnull (k->sgemv_packed);
  g_assert_nonnull (k->quantize_row_q8_0);
  g_assert_nonnull (k->vec_dot_q8_0_q8_0);
  g_assert_nonnull (k->vec_dot_q4_0_q8_0);
  g_assert_nonnull (k->gemv_q8_0);
  g_assert_nonnull (k->gemv_q4_0);
  g_assert_nonnull (k->gemv_f16);
  g_assert_nonnull (k->gemv_bf16);
  g_assert_cmpstr (k->name, ==, sm_kernel_level_to_string (k->level));
}

/* ---- vectors ---------------------------------------------------------------------------- */

/* |dot - exact| <= (n + 2) u Σ|a b| holds for any summation order, with or without FMA. */
static void
test_dot (gconstpointer data)
{
  const SmKernels *k = level_table (data), *s = scalar_table ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);

  if (!k)
    return;
  for (size_t si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (size_t mi = 0; mi < G_N_ELEMENTS (misaligns); mi++)
      {
        size_t n = sizes[si];
        float *a = buf_random (rand, n, misaligns[mi], -1.0f, 1.0f);
        float *b = buf_random (rand, n, misaligns[(mi + 1) % G_N_ELEMENTS (misaligns)], -1.0f, 1.0f);
        double ref = 0.0, mag = 0.0;

        for (size_t i = 0; i < n; i++)
          {
            ref += (double) a[i] * b[i];
            mag += fabs ((double) a[i] * b[i]);
          }
        double tol = (double) (n + 2) * U * mag;
        assert_close ("dot", 0, n, k->dot (a, b, n), ref, tol);
        assert_close ("dot vs scalar", 0, n, k->dot (a, b, n), s->dot (a, b, n), 2 * tol);
        sm_test_free_unaligned (a);
        sm_test_free_unaligned (b);
      }
}

typedef enum { OP_ADD, OP_MUL, OP_SCALE } BinOp;

/* One rounding of the exact result: bitwise equal to the scalar reference, and within half
 * an ulp of double precision. */
static void
check_binop (const SmKernels *k, BinOp op, GRand *rand)
{
  const SmKernels *s = scalar_table ();
  const float sc = -1.7f;

  for (size_t si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (size_t mi = 0; mi < G_N_ELEMENTS (misaligns); mi++)
      {
        size_t n = sizes[si];
        float *a = buf_random (rand, n, misaligns[mi], -4.0f, 4.0f);
        float *b = buf_random (rand, n, misaligns[(mi + 1) % G_N_ELEMENTS (misaligns)], -4.0f, 4.0f);
        float *out = buf_new (n, misaligns[(mi + 2) % G_N_ELEMENTS (misaligns)]);
        float *expect = buf_new (n, 0);
        float *in_place = buf_new (n, misaligns[mi]);

        switch (op)
          {
          case OP_ADD:
            k->add (out, a, b, n);
            s->add (expect, a, b, n);
            break;
          case OP_MUL:
            k->mul (out, a, b, n);
            s->mul (expect, a, b, n);
            break;
          case OP_SCALE:
            k->scale (out, a, sc, n);
            s->scale (expect, a, sc, n);
            break;
          default:
            g_assert_not_reached ();
          }
        for (size_t i = 0; i < n; i++)
          {
            double ref = op == OP_ADD ? (double) a[i] + b[i]
                       : op == OP_MUL ? (double) a[i] * b[i] : (double) sc * a[i];
            g_assert_cmpfloat (ulp_err (out[i], ref), <=, 0.5);
          }
        assert_bitwise_equal (out, expect, n);
        buf_check_guard (out, n);

        /* in place: out aliases the first operand, then (add, mul) the second */
        memcpy (in_place, a, n * sizeof *a);
        if (op == OP_ADD)
          k->add (in_place, in_place, b, n);
        else if (op == OP_MUL)
          k->mul (in_place, in_place, b, n);
        else
          k->scale (in_place, in_place, sc, n);
        assert_bitwise_equal (in_place, expect, n);
        buf_check_guard (in_place, n);
        if (op != OP_SCALE)
          {
            memcpy (in_place, b, n * sizeof *b);
            if (op == OP_ADD)
              k->add (in_place, a, in_place, n);
            else
              k->mul (in_place, a, in_place, n);
            assert_bitwise_equal (in_place, expect, n);
          }
        sm_test_free_unaligned (a);
        sm_test_free_unaligned (b);
        sm_test_free_unaligned (out);
        sm_test_free_unaligned (expect);
        sm_test_free_unaligned (in_place);
      }
}

static void
test_add (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);

  if (k)
    check_binop (k, OP_ADD, rand);
}

static void
test_mul (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);

  if (k)
    check_binop (k, OP_MUL, rand);
}

static void
test_scale (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);

  if (k)
    check_binop (k, OP_SCALE, rand);
}

/* y + αx with one rounding (FMA) or two: within u (|y| + |αx|) + u |result| either way. */
static void
test_axpy (gconstpointer data)
{
  const SmKernels *k = level_table (data), *s = scalar_table ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  const float alpha = 0.37f;

  if (!k)
    return;
  for (size_t si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (size_t mi = 0; mi < G_N_ELEMENTS (misaligns); mi++)
      {
        size_t n = sizes[si];
        float *x = buf_random (rand, n, misaligns[mi], -4.0f, 4.0f);
        float *y0 = buf_random (rand, n, 0, -4.0f, 4.0f);
        float *y = buf_new (n, misaligns[(mi + 1) % G_N_ELEMENTS (misaligns)]);
        float *ys = buf_new (n, 0);

        memcpy (y, y0, n * sizeof *y);
        memcpy (ys, y0, n * sizeof *y);
        k->axpy (y, alpha, x, n);
        s->axpy (ys, alpha, x, n);
        for (size_t i = 0; i < n; i++)
          {
            double ref = (double) y0[i] + (double) alpha * x[i];
            double tol = U * (fabs (y0[i]) + fabs (alpha * x[i])) + U * fabs (ref);
            assert_close ("axpy", i, n, y[i], ref, tol);
            assert_close ("axpy vs scalar", i, n, y[i], ys[i], 2 * tol);
          }
        buf_check_guard (y, n);
        sm_test_free_unaligned (x);
        sm_test_free_unaligned (y0);
        sm_test_free_unaligned (y);
        sm_test_free_unaligned (ys);
      }
}

static void
test_broadcast_add (gconstpointer data)
{
  const SmKernels *k = level_table (data), *s = scalar_table ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  const size_t row_counts[] = { 0, 1, 3 };

  if (!k)
    return;
  for (size_t ri = 0; ri < G_N_ELEMENTS (row_counts); ri++)
    for (size_t si = 0; si < G_N_ELEMENTS (sizes); si++)
      {
        size_t rows = row_counts[ri], cols = sizes[si], n = rows * cols;
        size_t mis = misaligns[(ri + si) % G_N_ELEMENTS (misaligns)];
        float *a = buf_random (rand, n, mis, -4.0f, 4.0f);
        float *row = buf_random (rand, cols, misaligns[(ri + si + 1) % G_N_ELEMENTS (misaligns)], -4.0f, 4.0f);
        float *out = buf_new (n, misaligns[(ri + si + 2) % G_N_ELEMENTS (misaligns)]);
        float *expect = buf_new (n, 0);

        k->broadcast_add (out, a, row, rows, cols);
        s->broadcast_add (expect, a, row, rows, cols);
        for (size_t r = 0; r < rows; r++)
          for (size_t c = 0; c < cols; c++)
            g_assert_cmpfloat (ulp_err (out[r * cols + c], (double) a[r * cols + c] + row[c]), <=, 0.5);
        assert_bitwise_equal (out, expect, n);
        buf_check_guard (out, n);

        k->broadcast_add (a, a, row, rows, cols);   /* in place */
        assert_bitwise_equal (a, expect, n);
        buf_check_guard (a, n);
        sm_test_free_unaligned (a);
        sm_test_free_unaligned (row);
        sm_test_free_unaligned (out);
        sm_test_free_unaligned (expect);
      }
}

static size_t
argmax_ref (const float *x, size_t n)
{
  size_t best = 0;
  float v = -INFINITY;

  for (size_t i = 0; i < n; i++)
    if (x[i] > v)
      {
        v = x[i];
        best = i;
      }
  return best;
}

static void
test_argmax (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);

  if (!k)
    return;
  for (size_t si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (size_t mi = 0; mi < G_N_ELEMENTS (misaligns); mi++)
      {
        size_t n = sizes[si];
        float *x = buf_random (rand, n, misaligns[mi], -10.0f, 10.0f);

        g_assert_cmpuint (k->argmax (x, n), ==, argmax_ref (x, n));
        /* ties: the maximum at p and at every later q; the first one wins */
        for (size_t p = 0; p < n; p += 1 + n / 9)
          {
            float *t = buf_random (rand, n, misaligns[mi], -10.0f, 10.0f);
            t[p] = 11.0f;
            for (size_t q = p + 1; q < n; q += 1 + g_rand_int_range (rand, 0, 7))
              t[q] = 11.0f;
            g_assert_cmpuint (k->argmax (t, n), ==, p);
            sm_test_free_unaligned (t);
          }
        if (n > 0)
          {
            /* all equal, all -inf: index 0 */
            for (size_t i = 0; i < n; i++)
              x[i] = 2.5f;
            g_assert_cmpuint (k->argmax (x, n), ==, 0);
            for (size_t i = 0; i < n; i++)
              x[i] = -INFINITY;
            g_assert_cmpuint (k->argmax (x, n), ==, 0);
            /* NaNs are skipped, wherever they sit */
            for (size_t i = 0; i < n; i++)
              x[i] = i % 3 == 0 ? NAN : (float) (i % 5);
            g_assert_cmpuint (k->argmax (x, n), ==, argmax_ref (x, n));
            /* -0 and +0 tie: the first wins */
            for (size_t i = 0; i < n; i++)
              x[i] = -1.0f;
            x[n / 2] = -0.0f;
            x[n - 1] = 0.0f;
            g_assert_cmpuint (k->argmax (x, n), ==, n / 2);
          }
        sm_test_free_unaligned (x);
      }
}

/* ---- conversions ------------------------------------------------------------------------ */

typedef float (*HalfToFloat) (uint16_t h);

/* Every one of the 65536 patterns against sm-convert.c's scalar helper, bitwise (so -0 and
 * subnormals count) except that any NaN matches any NaN; converted once whole from an
 * odd address, then in pieces of every awkward size into guarded buffers. */
static void
check_half (void (*convert) (float *, const uint16_t *, size_t), HalfToFloat ref)
{
  const size_t total = 65536;
  uint16_t *storage = g_new0 (uint16_t, total + 8);
  uint16_t *h = storage + 1;   /* 2 bytes past malloc's alignment */
  float *out = buf_new (total, 12);

  for (size_t i = 0; i < total; i++)
    h[i] = (uint16_t) i;
  convert (out, h, total);
  for (size_t i = 0; i < total; i++)
    {
      float e = ref (h[i]);
      if (isnan (e))
        g_assert_true (isnan (out[i]));
      else if (memcmp (&out[i], &e, sizeof e) != 0)
        g_error ("0x%04zx: %.9g, expected %.9g", i, out[i], e);
    }
  buf_check_guard (out, total);

  size_t pos = 0;
  for (size_t j = 0; pos < total; j++)
    {
      size_t n = MIN (sizes[j % G_N_ELEMENTS (sizes)], total - pos);
      float *piece = buf_new (n, misaligns[j % G_N_ELEMENTS (misaligns)]);
      convert (piece, h + pos, n);
      for (size_t i = 0; i < n; i++)
        {
          float e = ref (h[pos + i]);
          g_assert_true (isnan (e) ? isnan (piece[i]) : memcmp (&piece[i], &e, sizeof e) == 0);
        }
      buf_check_guard (piece, n);
      sm_test_free_unaligned (piece);
      pos += n;
    }
  sm_test_free_unaligned (out);
  g_free (storage);
}

static void
test_f16 (gconstpointer data)
{
  const SmKernels *k = level_table (data);

  if (k)
    check_half (k->f16_to_f32, sm_fp16_to_fp32);
}

static void
test_bf16 (gconstpointer data)
{
  const SmKernels *k = level_table (data);

  if (k)
    check_half (k->bf16_to_f32, sm_bf16_to_fp32);
}

/* ---- softmax ---------------------------------------------------------------------------- */

/* Each output's relative error: exp's (<= 2u), the rounding of x - max (u |x - max|, which
 * e^· turns into a relative error), the sum's (positive terms, so <= u per level of the
 * addition tree: n/8 + 8 covers one accumulator per 8 lanes and the reductions), 1/sum and
 * the product.  Subnormal outputs get a few units of 2^-149 on top. */
static void
check_softmax (const float *got, const float *x, size_t n)
{
  double max = -INFINITY, sum = 0.0;

  for (size_t i = 0; i < n; i++)
    max = MAX (max, (double) x[i]);
  for (size_t i = 0; i < n; i++)
    sum += exp ((double) x[i] - max);
  for (size_t i = 0; i < n; i++)
    {
      if (x[i] == -INFINITY)
        {
          g_assert_cmpfloat (got[i], ==, 0.0f);
          continue;
        }
      double ref = exp ((double) x[i] - max) / sum;
      double depth = (double) n / 8.0 + 8.0;
      double tol = U * (8.0 + 2.0 * fabs ((double) x[i] - max) + 2.0 * depth) * ref + 0x1p-147;
      assert_close ("softmax", i, n, got[i], ref, tol);
    }
}

static void
test_softmax (gconstpointer data)
{
  const SmKernels *k = level_table (data), *s = scalar_table ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  const float ranges[] = { 1.0f, 10.0f, 60.0f };
  const float extremes[] = { 88.0f, -88.0f, 100.0f, -100.0f, 0.0f, -INFINITY, 50.0f, -104.0f, -200.0f };

  if (!k)
    return;
  for (size_t si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (size_t mi = 0; mi < G_N_ELEMENTS (misaligns); mi++)
      {
        size_t n = sizes[si];
        float *x = buf_new (n, misaligns[mi]);
        float *in = buf_new (n, 0);
        float *expect = buf_new (n, 0);

        for (size_t ri = 0; ri < G_N_ELEMENTS (ranges) + 3; ri++)
          {
            if (ri < G_N_ELEMENTS (ranges))
              sm_test_fill_uniform (rand, in, n, -ranges[ri], ranges[ri]);
            else if (ri == G_N_ELEMENTS (ranges))
              {
                /* masked scores: every third one -inf */
                sm_test_fill_uniform (rand, in, n, -10.0f, 10.0f);
                for (size_t i = 0; i < n; i += 3)
                  in[i] = -INFINITY;
              }
            else if (ri == G_N_ELEMENTS (ranges) + 1)
              {
                for (size_t i = 0; i < n; i++)
                  in[i] = extremes[(i + mi) % G_N_ELEMENTS (extremes)];
              }
            else
              {
                /* one finite score among masked ones: exactly 1 there */
                for (size_t i = 0; i < n; i++)
                  in[i] = -INFINITY;
                if (n > 0)
                  in[n / 2 + mi % 2 * (n - 1 - n / 2)] = 3.0f;
              }
            if (ri == G_N_ELEMENTS (ranges) && n % 3 == 1)
              in[n - 1] = 0.5f;   /* keep a finite score when n == 1 */
            memcpy (x, in, n * sizeof *x);
            k->softmax (x, n);
            check_softmax (x, in, n);
            if (ri == G_N_ELEMENTS (ranges) + 2)
              for (size_t i = 0; i < n; i++)
                g_assert_cmpfloat (x[i], ==, in[i] == 3.0f ? 1.0f : 0.0f);
            buf_check_guard (x, n);

            memcpy (expect, in, n * sizeof *x);
            s->softmax (expect, n);
            for (size_t i = 0; i < n; i++)
              g_assert_cmpfloat (fabs (x[i] - expect[i]), <=, 1e-5 * expect[i] + 0x1p-146);
          }
        sm_test_free_unaligned (x);
        sm_test_free_unaligned (in);
        sm_test_free_unaligned (expect);
      }
}

static void
test_softmax_causal (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);

  if (!k)
    return;
  for (size_t si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (size_t mi = 0; mi < G_N_ELEMENTS (misaligns); mi++)
      {
        size_t n = sizes[si];
        size_t valids[] = { 0, MIN (1, n), n / 2, n > 0 ? n - 1 : 0, n };
        float *in = buf_random (rand, n, 0, -10.0f, 10.0f);
        float *x = buf_new (n, misaligns[mi]);

        for (size_t vi = 0; vi < G_N_ELEMENTS (valids); vi++)
          {
            size_t valid = valids[vi];
            memcpy (x, in, n * sizeof *x);
            k->softmax_causal (x, n, valid);
            check_softmax (x, in, valid);
            for (size_t i = valid; i < n; i++)
              g_assert_cmpfloat (x[i], ==, 0.0f);
            buf_check_guard (x, n);
          }
        sm_test_free_unaligned (in);
        sm_test_free_unaligned (x);
      }
}

/* exp itself, through rows [0, x1 .. x16]: for x <= -30 the sum rounds to exactly 1, so each
 * output is the kernel's e^x unscaled, and must be within EXP_MAX_ULP of it (the true
 * normalisation shifts the reference by < 2e-12 relative).  Above -30 the softmax bound. */
static void
test_exp_sweep (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  const size_t row = 17, points = 1 << 20;
  float *x = buf_new (row, 4), in[17];
  double worst = 0.0;

  if (!k)
    {
      sm_test_free_unaligned (x);
      return;
    }
  for (size_t p = 0; p < points; p += row - 1)
    {
      in[0] = 0.0f;
      for (size_t j = 1; j < row; j++)
        in[j] = (float) (-104.0 + 104.0 * (double) (p + j - 1) / (double) points);
      memcpy (x, in, sizeof in);
      k->softmax (x, row);
      double sum = 1.0;
      for (size_t j = 1; j < row; j++)
        sum += exp ((double) in[j]);
      for (size_t j = 1; j < row; j++)
        {
          if (in[j] <= -30.0f)
            {
              double e = ulp_err (x[j], exp ((double) in[j]) / sum);
              worst = MAX (worst, e);
              if (e > EXP_MAX_ULP + 1e-3)
                g_error ("exp(%.9g): %.9g is %.3f ulp off", in[j], x[j], e);
            }
        }
      if (in[row - 1] > -30.0f)
        check_softmax (x, in, row);
      buf_check_guard (x, row);
    }
  g_test_message ("exp: max %.3f ulp over [-104, -30]", worst);
  sm_test_free_unaligned (x);
}

/* ---- SiLU, GELU, SwiGLU ------------------------------------------------------------------ */

static double
silu_ref (double x)
{
  return x / (1.0 + exp (-x));
}

static double
gelu_t (double x)
{
  return 2.0 * sqrt (2.0 / G_PI) * (x + 0.044715 * x * x * x);
}

/* x σ(2u): the same function as 0.5 x (1 + tanh u), without its cancellation for x << 0. */
static double
gelu_ref (double x)
{
  return x / (1.0 + exp (-gelu_t (x)));
}

/* The dense sweep: [-20, 20] in steps of 2^-12, then values that probe the clamps and
 * overflow: ±88 and ±100 (e^∓x beyond float), huge and tiny magnitudes, signed zeros. */
static float *
sweep_points (size_t *n_out)
{
  static const float extremes[] = {
    88.0f, -88.0f, 100.0f, -100.0f, 87.3f, -87.3f, 88.8f, -88.8f, 104.0f, -104.0f, 1e4f, -1e4f,
    1e10f, -1e10f, 1e30f, -1e30f, FLT_MAX, -FLT_MAX, 0.0f, -0.0f, FLT_MIN, -FLT_MIN, 1e-30f,
    -1e-30f, 1e-40f, -1e-40f, 9.5f, -9.5f, 10.5f, -10.5f,
  };
  size_t dense = 40 * 4096 + 1, n = dense + G_N_ELEMENTS (extremes);
  float *x = buf_new (n, 8);

  for (size_t i = 0; i < dense; i++)
    x[i] = -20.0f + (float) i * 0x1p-12f;
  memcpy (x + dense, extremes, sizeof extremes);
  *n_out = n;
  return x;
}

static void
test_silu_sweep (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (10);
  size_t n;
  float *x, *y, *up;
  double worst = 0.0, worst_swiglu = 0.0;

  if (!k)
    return;
  x = sweep_points (&n);
  y = buf_new (n, 20);
  up = buf_random (rand, n, 4, -3.0f, 3.0f);
  k->silu (y, x, n);
  for (size_t i = 0; i < n; i++)
    {
      double ref = silu_ref (x[i]);
      if (fabs (ref) >= TINY)
        {
          double e = ulp_err (y[i], ref);
          worst = MAX (worst, e);
          if (e > SILU_MAX_ULP)
            g_error ("silu(%.9g) = %.9g, expected %.9g: %.3f ulp", x[i], y[i], ref, e);
        }
      else
        assert_close ("silu", i, n, y[i], ref, TINY);
    }
  buf_check_guard (y, n);

  k->swiglu (y, x, up, n);
  for (size_t i = 0; i < n; i++)
    {
      double ref = silu_ref (x[i]) * up[i];
      if (fabs (ref) >= TINY)
        {
          double e = ulp_err (y[i], ref);
          worst_swiglu = MAX (worst_swiglu, e);
          if (e > SILU_MAX_ULP + 0.5)
            g_error ("swiglu(%.9g, %.9g) = %.9g, expected %.9g: %.3f ulp", x[i], up[i], y[i], ref, e);
        }
      else
        assert_close ("swiglu", i, n, y[i], ref, TINY);
    }
  buf_check_guard (y, n);
  g_test_message ("silu: max %.3f ulp; swiglu: max %.3f ulp", worst, worst_swiglu);
  sm_test_free_unaligned (x);
  sm_test_free_unaligned (y);
  sm_test_free_unaligned (up);
}

static void
test_gelu_sweep (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  size_t n;
  float *x, *y;
  double worst_pos = 0.0, worst_neg = 0.0, worst_mixed = 0.0;

  if (!k)
    return;
  x = sweep_points (&n);
  y = buf_new (n, 24);
  k->gelu (y, x, n);
  for (size_t i = 0; i < n; i++)
    {
      double ref = gelu_ref (x[i]);
      double mixed = fabs (y[i] - ref) / MAX (1.0, fabs (ref));
      worst_mixed = MAX (worst_mixed, mixed);
      if (!(mixed <= GELU_MIXED_MAX))
        g_error ("gelu(%.9g) = %.9g, expected %.9g", x[i], y[i], ref);
      if (fabs (ref) < TINY)
        continue;
      double e = ulp_err (y[i], ref);
      if (x[i] >= 0.0f)
        {
          worst_pos = MAX (worst_pos, e);
          if (e > GELU_POS_MAX_ULP)
            g_error ("gelu(%.9g) = %.9g, expected %.9g: %.3f ulp", x[i], y[i], ref, e);
        }
      else if (k->level != SM_KERNEL_LEVEL_SCALAR)
        {
          double per_t = e / (1.0 + fabs (gelu_t (x[i])));
          worst_neg = MAX (worst_neg, per_t);
          if (per_t > GELU_NEG_ULP_PER_T)
            g_error ("gelu(%.9g) = %.9g, expected %.9g: %.3f ulp", x[i], y[i], ref, e);
        }
    }
  buf_check_guard (y, n);
  g_test_message ("gelu: max %.3f ulp for x >= 0, %.3f ulp per (1 + |t|) for x < 0, "
                  "%.3g relative to max(1, |gelu|)", worst_pos, worst_neg, worst_mixed);
  sm_test_free_unaligned (x);
  sm_test_free_unaligned (y);
}

typedef enum { ACT_GELU, ACT_SILU, ACT_SWIGLU } Act;

static void
run_act (const SmKernels *k, Act act, float *out, const float *x, const float *up, size_t n)
{
  switch (act)
    {
    case ACT_GELU:
      k->gelu (out, x, n);
      break;
    case ACT_SILU:
      k->silu (out, x, n);
      break;
    case ACT_SWIGLU:
      k->swiglu (out, x, up, n);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Every size and alignment, out-of-place and in-place (bitwise the same), against double and
 * against the scalar reference. */
static void
check_act_sizes (const SmKernels *k, Act act, GRand *rand)
{
  const SmKernels *s = scalar_table ();

  for (size_t si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (size_t mi = 0; mi < G_N_ELEMENTS (misaligns); mi++)
      {
        size_t n = sizes[si];
        float *x = buf_random (rand, n, misaligns[mi], -8.0f, 8.0f);
        float *up = buf_random (rand, n, misaligns[(mi + 3) % G_N_ELEMENTS (misaligns)], -2.0f, 2.0f);
        float *out = buf_new (n, misaligns[(mi + 1) % G_N_ELEMENTS (misaligns)]);
        float *expect = buf_new (n, 0);
        float *in_place = buf_new (n, misaligns[(mi + 2) % G_N_ELEMENTS (misaligns)]);

        run_act (k, act, out, x, up, n);
        run_act (s, act, expect, x, up, n);
        for (size_t i = 0; i < n; i++)
          {
            double ref = act == ACT_GELU ? gelu_ref (x[i]) : act == ACT_SILU ? silu_ref (x[i])
                       : silu_ref (x[i]) * up[i];
            if (act == ACT_GELU)
              {
                double scale = MAX (1.0, fabs (ref));
                assert_close ("gelu", i, n, out[i], ref, GELU_MIXED_MAX * scale);
                assert_close ("gelu vs scalar", i, n, out[i], expect[i], 2 * GELU_MIXED_MAX * scale);
              }
            else
              {
                double bound = SILU_MAX_ULP + (act == ACT_SWIGLU ? 0.5 : 0.0);
                assert_close ("silu", i, n, out[i], ref, bound * ulp_of (ref) + TINY);
                assert_close ("silu vs scalar", i, n, out[i], expect[i], 2 * bound * ulp_of (ref) + TINY);
              }
          }
        buf_check_guard (out, n);

        memcpy (in_place, x, n * sizeof *x);
        run_act (k, act, in_place, in_place, up, n);
        assert_bitwise_equal (in_place, out, n);
        buf_check_guard (in_place, n);
        if (act == ACT_SWIGLU)
          {
            memcpy (in_place, up, n * sizeof *x);
            k->swiglu (in_place, x, in_place, n);
            assert_bitwise_equal (in_place, out, n);
          }
        sm_test_free_unaligned (x);
        sm_test_free_unaligned (up);
        sm_test_free_unaligned (out);
        sm_test_free_unaligned (expect);
        sm_test_free_unaligned (in_place);
      }
}

static void
test_gelu (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);

  if (k)
    check_act_sizes (k, ACT_GELU, rand);
}

static void
test_silu (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (12);

  if (k)
    check_act_sizes (k, ACT_SILU, rand);
}

static void
test_swiglu (gconstpointer data)
{
  const SmKernels *k = level_table (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (13);

  if (k)
    check_act_sizes (k, ACT_SWIGLU, rand);
}

/* ---- normalisation ---------------------------------------------------------------------- */

typedef struct {
  float offset, spread, first;   /* x = offset + U(-spread, spread); x[0] = offset + first */
} LnCase;

/* LayerNorm against a two-pass double reference.  The float mean is the double mean up to
 * LN_MEAN_ULP ulps of itself plus LN_DEV_U u per unit of spread (the deviations are summed in
 * float), times (1 + |x[0] - mean| / sd): the kernels work on x - x[0], whose rounding grows
 * with that distance.  rstd is within LN_RSTD_U u times the same factor.  An output is then off
 * by |w| rstd (|x - mean| (ε_rstd + 3u) + ε_mean) + u (|out| + |b|). */
#define LN_MEAN_ULP 1.0
#define LN_DEV_U    64.0
#define LN_RSTD_U   64.0

static void
test_layernorm (gconstpointer data)
{
  const SmKernels *k = level_table (data), *s = scalar_table ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (14);
  const LnCase cases[] = {
    { 0.0f, 1.0f, 0.0f },
    { 1000.0f, 1.0f, 0.0f },      /* |mean| >> sd */
    { 1e4f, 0.1f, 0.0f },         /* sum of squares would cancel to nothing here */
    { 0.0f, 1.0f, 50.0f },        /* an outlier first */
    { -3.0f, 1e-3f, 0.0f },
  };
  const float eps = 1e-5f;

  if (!k)
    return;
  for (size_t ci = 0; ci < G_N_ELEMENTS (cases); ci++)
    for (size_t si = 0; si < G_N_ELEMENTS (sizes); si++)
      for (size_t variant = 0; variant < 4; variant++)
        {
          const LnCase *c = &cases[ci];
          size_t n = sizes[si], mis = misaligns[(ci + si + variant) % G_N_ELEMENTS (misaligns)];
          float *x = buf_random (rand, n, mis, c->offset - c->spread, c->offset + c->spread);
          float *w = variant & 1 ? buf_random (rand, n, 4, 0.5f, 1.5f) : NULL;
          float *b = variant & 2 ? buf_random (rand, n, 8, -1.0f, 1.0f) : NULL;
          float *out = buf_new (n, misaligns[(ci + si + variant + 1) % G_N_ELEMENTS (misaligns)]);
          float *expect = buf_new (n, 0);
          float mean = NAN, rstd = NAN, s_mean, s_rstd;

          if (n > 0)
            x[0] = c->offset + c->first;
          double mean_d = 0.0, var_d = 0.0;
          for (size_t i = 0; i < n; i++)
            mean_d += x[i];
          mean_d = n > 0 ? mean_d / (double) n : 0.0;
          for (size_t i = 0; i < n; i++)
            var_d += ((double) x[i] - mean_d) * ((double) x[i] - mean_d);
          var_d = n > 0 ? var_d / (double) n : 0.0;
          double rstd_d = 1.0 / sqrt (var_d + eps);
          double sd = sqrt (var_d);
          double far = n > 0 && sd > 0.0 ? 1.0 + fabs (x[0] - mean_d) / sd : 1.0;
          double e_mean = LN_MEAN_ULP * U * 2.0 * fabs (mean_d) + LN_DEV_U * U * c->spread * far;
          double e_rstd = LN_RSTD_U * U * far;

          k->layernorm (out, x, w, b, n, eps, variant == 3 ? NULL : &mean, variant == 3 ? NULL : &rstd);
          s->layernorm (expect, x, w, b, n, eps, &s_mean, &s_rstd);
          if (variant != 3)
            {
              assert_close ("mean", 0, n, mean, mean_d, e_mean);
              assert_close ("rstd", 0, n, rstd, rstd_d, e_rstd * rstd_d);
            }
          for (size_t i = 0; i < n; i++)
            {
              double wi = w ? w[i] : 1.0, bi = b ? b[i] : 0.0;
              double ref = ((double) x[i] - mean_d) * rstd_d * wi + bi;
              double tol = fabs (wi) * rstd_d * (fabs (x[i] - mean_d) * (e_rstd + 3 * U) + e_mean)
                           + U * (fabs (ref) + fabs (bi));
              assert_close ("layernorm", i, n, out[i], ref, tol);
              assert_close ("layernorm vs scalar", i, n, out[i], expect[i], 2 * tol);
            }
          buf_check_guard (out, n);

          k->layernorm (x, x, w, b, n, eps, NULL, NULL);   /* in place */
          assert_bitwise_equal (x, out, n);
          buf_check_guard (x, n);
          sm_test_free_unaligned (x);
          sm_test_free_unaligned (w);
          sm_test_free_unaligned (b);
          sm_test_free_unaligned (out);
          sm_test_free_unaligned (expect);
        }

  /* n == 0 still reports statistics: mean 0, rstd 1/sqrt(eps) */
  float mean = NAN, rstd = NAN;
  k->layernorm (NULL, NULL, NULL, NULL, 0, 0.25f, &mean, &rstd);
  g_assert_cmpfloat (mean, ==, 0.0f);
  g_assert_cmpfloat (rstd, ==, 2.0f);
}

/* The sum of squares is of positive terms, so its relative error is below (n - 1) u in any
 * order; rstd's is half that plus 2u, and the two products add 2u. */
static void
test_rmsnorm (gconstpointer data)
{
  const SmKernels *k = level_table (data), *s = scalar_table ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (15);
  const float eps = 1e-6f;

  if (!k)
    return;
  for (size_t si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (size_t mi = 0; mi < G_N_ELEMENTS (misaligns); mi++)
      for (int with_w = 0; with_w < 2; with_w++)
        {
          size_t n = sizes[si];
          float *x = buf_random (rand, n, misaligns[mi], -3.0f, 3.0f);
          float *w = with_w ? buf_random (rand, n, misaligns[(mi + 1) % G_N_ELEMENTS (misaligns)], -2.0f, 2.0f) : NULL;
          float *out = buf_new (n, misaligns[(mi + 2) % G_N_ELEMENTS (misaligns)]);
          float *expect = buf_new (n, 0);
          double ss = 0.0;

          for (size_t i = 0; i < n; i++)
            ss += (double) x[i] * x[i];
          double r = 1.0 / sqrt ((n > 0 ? ss / (double) n : 0.0) + eps);
          k->rmsnorm (out, x, w, n, eps);
          s->rmsnorm (expect, x, w, n, eps);
          for (size_t i = 0; i < n; i++)
            {
              double ref = (w ? w[i] : 1.0) * x[i] * r;
              double tol = U * ((double) (n + 1) / 2.0 + 6.0) * fabs (ref);
              assert_close ("rmsnorm", i, n, out[i], ref, tol);
              assert_close ("rmsnorm vs scalar", i, n, out[i], expect[i], 2 * tol);
            }
          buf_check_guard (out, n);

          k->rmsnorm (x, x, w, n, eps);   /* in place */
          assert_bitwise_equal (x, out, n);
          buf_check_guard (x, n);
          sm_test_free_unaligned (x);
          sm_test_free_unaligned (w);
          sm_test_free_unaligned (out);
          sm_test_free_unaligned (expect);
        }
}

/* Head layouts that leave every kind of tail: pairs % 4 and % 8 for NORM, half % 8 and % 16
 * for NEOX, partial rotation (rot_dims < head_dim), none at all. */
static void
test_rope (gconstpointer data)
{
  const SmKernels *k = level_table (data), *s = scalar_table ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (16);
  const struct { size_t n_heads, head_dim, rot_dims; } shapes[] = {
    { 1, 2, 2 }, { 3, 8, 8 }, { 2, 14, 14 }, { 2, 16, 8 }, { 4, 32, 32 }, { 2, 34, 34 },
    { 2, 64, 64 }, { 1, 66, 66 }, { 3, 128, 64 }, { 2, 40, 24 }, { 1, 6, 0 }, { 2, 264, 264 },
    { 5, 80, 32 }, { 2, 46, 46 },
  };

  if (!k)
    return;
  for (size_t shi = 0; shi < G_N_ELEMENTS (shapes); shi++)
    for (int mode = SM_ROPE_NORM; mode <= SM_ROPE_NEOX; mode++)
      {
        size_t nh = shapes[shi].n_heads, hd = shapes[shi].head_dim, rot = shapes[shi].rot_dims;
        size_t n = nh * hd, half = rot / 2;
        size_t mis = misaligns[(shi + (size_t) mode) % G_N_ELEMENTS (misaligns)];
        float *x = buf_random (rand, n, mis, -2.0f, 2.0f);
        float *in = buf_new (n, 0);
        float *expect = buf_new (n, 0);
        float *cos_t = buf_new (half, misaligns[(shi + 1) % G_N_ELEMENTS (misaligns)]);
        float *sin_t = buf_new (half, misaligns[(shi + 2) % G_N_ELEMENTS (misaligns)]);
        double pos = g_rand_int_range (rand, 0, 4096);

        for (size_t i = 0; i < half; i++)
          {
            double theta = pos * pow (10000.0, -2.0 * (double) i / (double) rot);
            cos_t[i] = (float) cos (theta);
            sin_t[i] = (float) sin (theta);
          }
        memcpy (in, x, n * sizeof *x);
        memcpy (expect, x, n * sizeof *x);
        k->rope (x, nh, hd, rot, cos_t, sin_t, (SmRopeMode) mode);
        s->rope (expect, nh, hd, rot, cos_t, sin_t, (SmRopeMode) mode);
        for (size_t h = 0; h < nh; h++)
          {
            const float *v = in + h * hd;
            const float *got = x + h * hd;
            for (size_t i = 0; i < half; i++)
              {
                size_t i0 = mode == SM_ROPE_NEOX ? i : 2 * i;
                size_t i1 = mode == SM_ROPE_NEOX ? i + half : 2 * i + 1;
                double c = cos_t[i], sn = sin_t[i];
                double r0 = v[i0] * c - v[i1] * sn, r1 = v[i0] * sn + v[i1] * c;
                double t0 = U * (fabs (v[i0] * c) + fabs (v[i1] * sn) + fabs (r0)) + 1e-30;
                double t1 = U * (fabs (v[i0] * sn) + fabs (v[i1] * c) + fabs (r1)) + 1e-30;
                assert_close ("rope", h * hd + i0, n, got[i0], r0, t0);
                assert_close ("rope", h * hd + i1, n, got[i1], r1, t1);
                assert_close ("rope vs scalar", h * hd + i0, n, got[i0], expect[h * hd + i0], 2 * t0);
                assert_close ("rope vs scalar", h * hd + i1, n, got[i1], expect[h * hd + i1], 2 * t1);
              }
            /* the dimensions past rot_dims pass through untouched */
            assert_bitwise_equal (got + rot, v + rot, hd - rot);
          }
        buf_check_guard (x, n);
        buf_check_guard (cos_t, half);
        buf_check_guard (sin_t, half);
        sm_test_free_unaligned (x);
        sm_test_free_unaligned (in);
        sm_test_free_unaligned (expect);
        sm_test_free_unaligned (cos_t);
        sm_test_free_unaligned (sin_t);
      }
}

/* ---- main ------------------------------------------------------------------------------- */

int
main (int argc, char *argv[])
{
  static const struct {
    const char *name;
    GTestDataFunc fn;
  } cases[] = {
    { "table", test_table },
    { "dot", test_dot },
    { "add", test_add },
    { "mul", test_mul },
    { "scale", test_scale },
    { "axpy", test_axpy },
    { "broadcast-add", test_broadcast_add },
    { "argmax", test_argmax },
    { "f16", test_f16 },
    { "bf16", test_bf16 },
    { "softmax", test_softmax },
    { "softmax-causal", test_softmax_causal },
    { "exp-sweep", test_exp_sweep },
    { "silu-sweep", test_silu_sweep },
    { "gelu-sweep", test_gelu_sweep },
    { "gelu", test_gelu },
    { "silu", test_silu },
    { "swiglu", test_swiglu },
    { "layernorm", test_layernorm },
    { "rmsnorm", test_rmsnorm },
    { "rope", test_rope },
  };
  static const SmKernelLevel levels[] = {
    SM_KERNEL_LEVEL_SCALAR, SM_KERNEL_LEVEL_AVX2, SM_KERNEL_LEVEL_AVX512,
  };

  g_test_init (&argc, &argv, NULL);
  for (size_t c = 0; c < G_N_ELEMENTS (cases); c++)
    for (size_t l = 0; l < G_N_ELEMENTS (levels); l++)
      {
        g_autofree char *path = g_strdup_printf ("/kernels-vec/%s/%s", cases[c].name,
                                                 sm_kernel_level_to_string (levels[l]));
        g_test_add_data_func (path, GINT_TO_POINTER (levels[l]), cases[c].fn);
      }
  return g_test_run ();
}
