/* test-gemm-i8.c: prefill's int8 GEMM against the scalar reference dots.
 *
 * Every output of sm_gemm_i8 () is one weight row's dot with one token's activations, so each
 * is checked against the scalar level's dot of the same row and token, for every weight type
 * the GEMM reads, at every SIMD level this CPU has (vpdpbusd at the VNNI levels, vpmaddubsw at
 * avx2 and avx512, whose saturating int16 pairs the random rows' extreme bytes would expose),
 * on one and two threads.  The sizes are the
 * awkward ones: token counts that leave a partial vector (and a single vector, where the
 * micro-tile is half used), row counts that leave 1-3 rows past a group of four and a partial
 * slab of 32, and rows of one block up to several thousand weights.  The sub-block sums are
 * exact integers, so the only differences are float rounding, bounded by the size of the
 * products (Σ |w · x|).  The scalar level must decline, writing nothing.
 */
#include <math.h>
#include <string.h>

#include "sm-kernels.h"
#include "sm-quantize.h"
#include "sm-quants.h"
#include "sm-test-util.h"
#include "sm-threads.h"

typedef void (*RowFn) (const void *x, float *y, size_t k);
typedef void (*QuantFn) (const float *x, void *y, size_t k);

typedef struct {
  const char *name;
  SmI8Weight  kind;
  int         block;
  size_t      type_size;
  int         f16_at[3];    /* fp16 fields in a block, -1 past the last */
  RowFn       dequantize;
  gsize       dot_at;       /* its dot in SmKernels */
  size_t      act_block, act_size;
  QuantFn     quantize_act;
  RowFn       dequantize_act;
} WeightType;

static void dq_q8_0 (const void *x, float *y, size_t k) { sm_dequantize_row_q8_0 (x, y, k); }
static void dq_q4_0 (const void *x, float *y, size_t k) { sm_dequantize_row_q4_0 (x, y, k); }
static void
q_q8_0 (const float *x, void *y, size_t k)
{
  sm_kernels_for_level (SM_KERNEL_LEVEL_SCALAR)->quantize_row_q8_0 (x, y, k);
}

#define Q8_0_ACT 32, sizeof (SmBlockQ8_0), q_q8_0, dq_q8_0
#define Q8_1_ACT 32, sizeof (SmBlockQ8_1), sm_quantize_row_q8_1, sm_dequantize_row_q8_1
#define Q8_K_ACT 256, sizeof (SmBlockQ8_K), sm_quantize_row_q8_k, sm_dequantize_row_q8_k
#define AT(m) G_STRUCT_OFFSET (SmKernels, m)

static const WeightType types[] = {
  { "q8_0", SM_I8_Q8_0, 32, sizeof (SmBlockQ8_0), { 0, -1 }, dq_q8_0, AT (vec_dot_q8_0_q8_0), Q8_0_ACT },
  { "q4_0", SM_I8_Q4_0, 32, sizeof (SmBlockQ4_0), { 0, -1 }, dq_q4_0, AT (vec_dot_q4_0_q8_0), Q8_0_ACT },
  { "q4_1", SM_I8_Q4_1, 32, sizeof (SmBlockQ4_1), { 0, 2, -1 }, sm_dequantize_row_q4_1, AT (vec_dot_q4_1_q8_1), Q8_1_ACT },
  { "q5_0", SM_I8_Q5_0, 32, sizeof (SmBlockQ5_0), { 0, -1 }, sm_dequantize_row_q5_0, AT (vec_dot_q5_0_q8_0), Q8_0_ACT },
  { "q5_1", SM_I8_Q5_1, 32, sizeof (SmBlockQ5_1), { 0, 2, -1 }, sm_dequantize_row_q5_1, AT (vec_dot_q5_1_q8_1), Q8_1_ACT },
  { "iq4_nl", SM_I8_IQ4_NL, 32, sizeof (SmBlockIQ4_NL), { 0, -1 }, sm_dequantize_row_iq4_nl, AT (vec_dot_iq4_nl_q8_0), Q8_0_ACT },
  { "q2_K", SM_I8_Q2_K, 256, sizeof (SmBlockQ2_K),
    { G_STRUCT_OFFSET (SmBlockQ2_K, d), G_STRUCT_OFFSET (SmBlockQ2_K, dmin), -1 },
    sm_dequantize_row_q2_k, AT (vec_dot_q2_k_q8_k), Q8_K_ACT },
  { "q3_K", SM_I8_Q3_K, 256, sizeof (SmBlockQ3_K), { G_STRUCT_OFFSET (SmBlockQ3_K, d), -1 },
    sm_dequantize_row_q3_k, AT (vec_dot_q3_k_q8_k), Q8_K_ACT },
  { "q4_K", SM_I8_Q4_K, 256, sizeof (SmBlockQ4_K),
    { G_STRUCT_OFFSET (SmBlockQ4_K, d), G_STRUCT_OFFSET (SmBlockQ4_K, dmin), -1 },
    sm_dequantize_row_q4_k, AT (vec_dot_q4_k_q8_k), Q8_K_ACT },
  { "q5_K", SM_I8_Q5_K, 256, sizeof (SmBlockQ5_K),
    { G_STRUCT_OFFSET (SmBlockQ5_K, d), G_STRUCT_OFFSET (SmBlockQ5_K, dmin), -1 },
    sm_dequantize_row_q5_k, AT (vec_dot_q5_k_q8_k), Q8_K_ACT },
  { "q6_K", SM_I8_Q6_K, 256, sizeof (SmBlockQ6_K), { G_STRUCT_OFFSET (SmBlockQ6_K, d), -1 },
    sm_dequantize_row_q6_k, AT (vec_dot_q6_k_q8_k), Q8_K_ACT },
};

/* Random bytes, then each fp16 field a scale in [1e-4, 0.05) of either sign. */
static void
random_row (GRand *rand, const WeightType *t, uint8_t *row, size_t k)
{
  const size_t nb = k / (size_t) t->block;

  for (size_t i = 0; i < nb * t->type_size; i++)
    row[i] = (uint8_t) g_rand_int_range (rand, 0, 256);
  for (size_t b = 0; b < nb; b++)
    for (int f = 0; f < 3 && t->f16_at[f] >= 0; f++)
      {
        float v = (float) g_rand_double_range (rand, 1e-4, 0.05);
        uint16_t h = sm_fp32_to_fp16 (g_rand_boolean (rand) ? v : -v);
        memcpy (row + b * t->type_size + t->f16_at[f], &h, sizeof h);
      }
}

static const SmKernelLevel simd_levels[] = {
  SM_KERNEL_LEVEL_AVX2, SM_KERNEL_LEVEL_AVX512, SM_KERNEL_LEVEL_AVX2_VNNI, SM_KERNEL_LEVEL_AVX512_VNNI,
};

static void
test_against_dots (gconstpointer data)
{
  const WeightType *t = data;
  const size_t ks_32[] = { 32, 96, 2080 }, ks_256[] = { 256, 768, 2816 };
  const size_t *ks = t->block == 256 ? ks_256 : ks_32;
  const size_t ns[] = { 1, 5, 8, 16, 17, 40 }, Ms[] = { 1, 3, 4, 7, 33, 70 };
  const SmVecDotFunc ref = G_STRUCT_MEMBER (SmVecDotFunc, sm_kernels_for_level (SM_KERNEL_LEVEL_SCALAR), t->dot_at);
  const SmKernelLevel saved = sm_kernels_get_level ();
  const int saved_threads = sm_threads_get_count ();
  GRand *rand = g_rand_new_with_seed (9001);
  int levels_seen = 0;

  for (gsize li = 0; li < G_N_ELEMENTS (simd_levels); li++)
    {
      const char *why = NULL;
      if (!sm_kernels_level_supported (simd_levels[li], &why))
        {
          g_test_message ("%s: not run here (%s)", sm_kernel_level_to_string (simd_levels[li]), why);
          continue;
        }
      levels_seen++;
      g_assert_true (sm_kernels_set_level (simd_levels[li], NULL));
      for (int threads = 1; threads <= 2; threads++)
        {
          double worst = 0.0;
          sm_threads_set_count (threads);
          for (gsize ki = 0; ki < 3; ki++)
            for (gsize ni = 0; ni < G_N_ELEMENTS (ns); ni++)
              for (gsize mi = 0; mi < G_N_ELEMENTS (Ms); mi++)
                {
                  const size_t k = ks[ki], n = ns[ni], M = Ms[mi], ldy = M + 3;
                  const size_t row_bytes = k / (size_t) t->block * t->type_size;
                  const size_t act_bytes = k / t->act_block * t->act_size;
                  g_autofree uint8_t *W = g_malloc (M * row_bytes);
                  g_autofree uint8_t *X = g_malloc (n * act_bytes);
                  g_autofree float *x = g_new (float, k);
                  g_autofree float *wf = g_new (float, M * k);
                  g_autofree float *xf = g_new (float, n * k);
                  g_autofree float *Y = g_new (float, n * ldy);

                  for (size_t r = 0; r < M; r++)
                    {
                      random_row (rand, t, W + r * row_bytes, k);
                      t->dequantize (W + r * row_bytes, wf + r * k, k);
                    }
                  for (size_t i = 0; i < n; i++)
                    {
                      sm_test_fill_uniform (rand, x, k, -3.0f, 3.0f);
                      x[g_rand_int_range (rand, 0, (gint32) k)] = -60.0f;   /* an outlier */
                      /* and a pair of the largest x + 128 (255), side by side as vpmaddubsw
                       * sums them */
                      {
                        const size_t at = 2 * (size_t) g_rand_int_range (rand, 0, (gint32) (k / 2));
                        x[at] = x[at + 1] = 60.0f;
                      }
                      t->quantize_act (x, X + i * act_bytes, k);
                      t->dequantize_act (X + i * act_bytes, xf + i * k, k);
                    }
                  for (size_t i = 0; i < n * ldy; i++)
                    Y[i] = 12345.0f;   /* the guard columns past M must keep it */
                  g_assert_true (sm_gemm_i8 (t->kind, n, M, k, W, row_bytes, X, act_bytes, Y, ldy));
                  for (size_t i = 0; i < n; i++)
                    {
                      for (size_t r = M; r < ldy; r++)
                        g_assert_cmpfloat (Y[i * ldy + r], ==, 12345.0f);
                      for (size_t r = 0; r < M; r++)
                        {
                          double mag = 0.0;
                          for (size_t e = 0; e < k; e++)
                            mag += fabs ((double) wf[r * k + e] * xf[i * k + e]);
                          const double tol = 4.0 * (double) (k / 16 + 16) * 0x1p-24 * mag;
                          const float want = ref (k, W + r * row_bytes, X + i * act_bytes);
                          const float got = Y[i * ldy + r];
                          worst = MAX (worst, fabs ((double) got - want) / tol);
                          if (!(fabs ((double) got - want) <= tol))
                            g_test_fail_printf ("%s %s %d threads k=%zu n=%zu M=%zu token %zu row %zu: "
                                                "%.9g, scalar dot %.9g (> %.3g)", t->name,
                                                sm_kernel_level_to_string (simd_levels[li]), threads,
                                                k, n, M, i, r, (double) got, (double) want, tol);
                        }
                    }
                }
          g_test_message ("%s %s, %d threads: worst |gemm - dot| %.3g of the tolerance", t->name,
                          sm_kernel_level_to_string (simd_levels[li]), threads, worst);
        }
    }
  sm_threads_set_count (saved_threads);
  g_assert_true (sm_kernels_set_level (saved, NULL));
  g_rand_free (rand);
  if (levels_seen == 0)
    g_test_skip ("this CPU has no SIMD level (AVX2 or AVX-512)");
}

/* At the scalar level the GEMM declines and writes nothing, so the weight table runs its
 * other matmul (the reference's dots). */
static void
test_declines_at_scalar (void)
{
  const SmKernelLevel saved = sm_kernels_get_level ();
  const SmKernelLevel below[] = { SM_KERNEL_LEVEL_SCALAR };
  SmBlockQ8_0 w[2] = { 0 }, x[2] = { 0 };
  float y[4] = { 7.0f, 7.0f, 7.0f, 7.0f };

  for (gsize i = 0; i < G_N_ELEMENTS (below); i++)
    {
      if (!sm_kernels_level_supported (below[i], NULL))
        continue;
      g_assert_true (sm_kernels_set_level (below[i], NULL));
      g_assert_false (sm_gemm_i8 (SM_I8_Q8_0, 2, 2, SM_QK, w, sizeof w[0], x, sizeof x[0], y, 2));
      for (int j = 0; j < 4; j++)
        g_assert_cmpfloat (y[j], ==, 7.0f);
    }
  g_assert_true (sm_kernels_set_level (saved, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *path = g_strdup_printf ("/gemm-i8/against-dots/%s", types[i].name);
      g_test_add_data_func (path, &types[i], test_against_dots);
    }
  g_test_add_func ("/gemm-i8/declines-at-scalar", test_declines_at_scalar);
  return g_test_run ();
}
