/* test-quants.c: the scalar references of sm-quants.h (ggml's Q4_1, Q5_0, Q5_1, IQ4_NL and
 * K-quant types).
 *
 * Three kinds of evidence:
 *  - dequantization against ggml's own to_float, bit for bit, over tensors of the shared
 *    K-quant models (../shared/models/kquant/dequant: one file per tensor, `index value bits`);
 *  - hand-built blocks whose values follow from ggml's documented layouts, for the 32-weight
 *    types that no shared model holds, and the quantizers' rounding rules on exact ties;
 *  - each dot against a double-precision dot of the dequantized weights and activations, on
 *    random valid blocks.  The weights are exact small integers times fp16 scales, so the only
 *    differences are the kernel's float rounding (and, for Q8_1, the fp16 rounding of s).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sm-kernels.h"
#include "sm-quants.h"
#include "sm-test-util.h"

typedef void (*DequantFn) (const void *x, float *y, size_t k);
typedef float (*DotFn) (size_t k, const void *w, const void *x);

static void
dequantize_q4_0 (const void *x, float *y, size_t k)
{
  sm_dequantize_row_q4_0 (x, y, k);
}

static void
dequantize_q8_0 (const void *x, float *y, size_t k)
{
  sm_dequantize_row_q8_0 (x, y, k);
}

static void
quantize_q8_0 (const float *x, void *y, size_t k)
{
  sm_kernels_for_level (SM_KERNEL_LEVEL_SCALAR)->quantize_row_q8_0 (x, y, k);
}

/* One weight type: ggml's name (as the reference files spell it) and block geometry, where its
 * fp16 fields sit (for building random blocks), and its activation type. */
typedef struct {
  const char *name;
  int         block;          /* weights per block */
  size_t      type_size;      /* bytes per block */
  DequantFn   dequantize;
  /* fp16 fields: byte offsets, -1 past the last */
  int         f16_at[3];
  /* the dot, and its activation type's block size, quantizer and dequantizer */
  DotFn       dot;
  size_t      act_size;
  void      (*quantize_act) (const float *x, void *y, size_t k);
  DequantFn   dequantize_act;
} QuantType;

static const QuantType quant_types[] = {
  { "q4_0", 32, sizeof (SmBlockQ4_0), dequantize_q4_0, { 0, -1 },
    NULL, 0, NULL, NULL },
  { "q4_1", 32, sizeof (SmBlockQ4_1), sm_dequantize_row_q4_1, { 0, 2, -1 },
    sm_vec_dot_q4_1_q8_1, sizeof (SmBlockQ8_1), sm_quantize_row_q8_1_ref,
    sm_dequantize_row_q8_1 },
  { "q5_0", 32, sizeof (SmBlockQ5_0), sm_dequantize_row_q5_0, { 0, -1 },
    sm_vec_dot_q5_0_q8_0, sizeof (SmBlockQ8_0), quantize_q8_0, dequantize_q8_0 },
  { "q5_1", 32, sizeof (SmBlockQ5_1), sm_dequantize_row_q5_1, { 0, 2, -1 },
    sm_vec_dot_q5_1_q8_1, sizeof (SmBlockQ8_1), sm_quantize_row_q8_1_ref,
    sm_dequantize_row_q8_1 },
  { "iq4_nl", 32, sizeof (SmBlockIQ4_NL), sm_dequantize_row_iq4_nl, { 0, -1 },
    sm_vec_dot_iq4_nl_q8_0, sizeof (SmBlockQ8_0), quantize_q8_0, dequantize_q8_0 },
  { "q2_K", 256, sizeof (SmBlockQ2_K), sm_dequantize_row_q2_k,
    { G_STRUCT_OFFSET (SmBlockQ2_K, d), G_STRUCT_OFFSET (SmBlockQ2_K, dmin), -1 },
    sm_vec_dot_q2_k_q8_k, sizeof (SmBlockQ8_K), sm_quantize_row_q8_k_ref,
    sm_dequantize_row_q8_k },
  { "q3_K", 256, sizeof (SmBlockQ3_K), sm_dequantize_row_q3_k,
    { G_STRUCT_OFFSET (SmBlockQ3_K, d), -1 },
    sm_vec_dot_q3_k_q8_k, sizeof (SmBlockQ8_K), sm_quantize_row_q8_k_ref,
    sm_dequantize_row_q8_k },
  { "q4_K", 256, sizeof (SmBlockQ4_K), sm_dequantize_row_q4_k,
    { G_STRUCT_OFFSET (SmBlockQ4_K, d), G_STRUCT_OFFSET (SmBlockQ4_K, dmin), -1 },
    sm_vec_dot_q4_k_q8_k, sizeof (SmBlockQ8_K), sm_quantize_row_q8_k_ref,
    sm_dequantize_row_q8_k },
  { "q5_K", 256, sizeof (SmBlockQ5_K), sm_dequantize_row_q5_k,
    { G_STRUCT_OFFSET (SmBlockQ5_K, d), G_STRUCT_OFFSET (SmBlockQ5_K, dmin), -1 },
    sm_vec_dot_q5_k_q8_k, sizeof (SmBlockQ8_K), sm_quantize_row_q8_k_ref,
    sm_dequantize_row_q8_k },
  { "q6_K", 256, sizeof (SmBlockQ6_K), sm_dequantize_row_q6_k,
    { G_STRUCT_OFFSET (SmBlockQ6_K, d), -1 },
    sm_vec_dot_q6_k_q8_k, sizeof (SmBlockQ8_K), sm_quantize_row_q8_k_ref,
    sm_dequantize_row_q8_k },
};

static const QuantType *
find_type (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (quant_types); i++)
    if (strcmp (quant_types[i].name, name) == 0)
      return &quant_types[i];
  return NULL;
}

static uint32_t
f32_bits (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static float
f32_from_bits (uint32_t u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

static const char *
shared_models_dir (void)
{
  const char *dir = g_getenv ("SM_SHARED_MODELS");
  return dir != NULL ? dir : "../shared/models";
}

/* ---- against ggml's to_float --------------------------------------------------------------- */

static void
test_dequant_reference (gconstpointer data)
{
  const char *ref_path = data;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  char gguf_name[256], tensor[256], type_name[32];
  guint64 ne0 = 0, ne1 = 0, row_bytes = 0, offset = 0;
  int blck = 0, type_size = 0;

  g_assert_true (g_file_get_contents (ref_path, &text, NULL, &error));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >, 4);

  /* "# file NAME" / "# tensor T type Q ne0 N ne1 M row_bytes R blck_size B type_size S" /
   * "# file offset of row 0: OFF (...)" / "# dequantized with ...", then the values */
  g_assert_cmpint (sscanf (lines[0], "# file %255s", gguf_name), ==, 1);
  g_assert_cmpint (sscanf (lines[1], "# tensor %255s type %31s ne0 %" SCNu64 " ne1 %" SCNu64
                           " row_bytes %" SCNu64 " blck_size %d type_size %d",
                           tensor, type_name, &ne0, &ne1, &row_bytes, &blck, &type_size), ==, 7);
  g_assert_cmpint (sscanf (lines[2], "# file offset of row 0: %" SCNu64, &offset), ==, 1);

  const QuantType *t = find_type (type_name);
  if (t == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("%s: type %s has no dequantizer here",
                                              ref_path, type_name);
      g_test_fail_printf ("%s", msg);
      return;
    }
  /* the file's geometry is ours */
  g_assert_cmpint (blck, ==, t->block);
  g_assert_cmpint (type_size, ==, (int) t->type_size);
  g_assert_cmpuint (ne0 % (guint64) t->block, ==, 0);
  g_assert_cmpuint (row_bytes, ==, ne0 / (guint64) t->block * t->type_size);
  g_assert_cmpuint (ne1, >=, 2);

  g_autofree char *dir = g_path_get_dirname (ref_path);
  g_autofree char *gguf_path = g_build_filename (dir, "..", gguf_name, NULL);
  if (!g_file_test (gguf_path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *msg = g_strdup_printf ("%s not found", gguf_path);
      g_test_skip (msg);
      return;
    }
  /* The GGUF reader refuses these types at open, so the rows are read at the offset the
   * reference file names (a GGUF, by its magic). */
  g_autoptr (GMappedFile) map = g_mapped_file_new (gguf_path, FALSE, &error);
  g_assert_no_error (error);
  const uint8_t *bytes = (const uint8_t *) g_mapped_file_get_contents (map);
  gsize size = g_mapped_file_get_length (map);
  g_assert_cmpuint (size, >=, 4);
  g_assert_cmpmem (bytes, 4, "GGUF", 4);
  g_assert_cmpuint (offset + 2 * row_bytes, <=, size);

  gsize n = (gsize) (2 * ne0);
  g_autofree float *y = g_new (float, n);
  /* rows are contiguous and whole blocks, so both rows are one call */
  t->dequantize (bytes + offset, y, n);

  gsize checked = 0, mismatches = 0;
  for (char **l = lines + 3; *l != NULL; l++)
    {
      unsigned idx, bits;
      if ((*l)[0] == '#' || (*l)[0] == '\0')
        continue;
      g_assert_cmpint (sscanf (*l, "%u %*s 0x%x", &idx, &bits), ==, 2);
      g_assert_cmpuint (idx, <, n);
      g_assert_cmpuint (idx, ==, checked);   /* in order, none skipped */
      if (f32_bits (y[idx]) != bits && mismatches++ < 8)
        g_test_message ("%s %s [%u]: got %.9g (0x%08x), ggml %.9g (0x%08x)", tensor, type_name,
                        idx, (double) y[idx], f32_bits (y[idx]),
                        (double) f32_from_bits (bits), bits);
      checked++;
    }
  g_test_message ("%s (%s): %" G_GSIZE_FORMAT " values compared, %" G_GSIZE_FORMAT
                  " differ", tensor, type_name, checked, mismatches);
  /* the files print the first 512 values of rows 0-1 */
  g_assert_cmpuint (checked, ==, MIN (n, 512));
  g_assert_cmpuint (mismatches, ==, 0);
}

static void
test_dequant_reference_absent (gconstpointer data)
{
  g_autofree char *msg = g_strdup_printf ("%s not found (set SM_SHARED_MODELS to the folder "
                                          "holding the shared test models)",
                                          (const char *) data);
  g_test_skip (msg);
}

/* ---- layouts, by hand ---------------------------------------------------------------------- */

static uint16_t
f16 (float f)
{
  uint16_t h = sm_fp32_to_fp16 (f);
  g_assert_cmpfloat (sm_fp16_to_fp32 (h), ==, f);   /* the tests use exact values */
  return h;
}

/* Q4_1 / Q5_0 / Q5_1 / IQ4_NL by ggml-common.h: weight i < 16 in the low nibble of qs[i],
 * weight i + 16 in its high nibble; Q5's fifth bit of weight i is bit i of the little-endian
 * qh.  Values chosen so each weight's q is distinct. */
static void
test_layout_32 (void)
{
  float y[32];

  SmBlockQ4_1 b41 = { .d = f16 (0.5f), .m = f16 (-2.0f) };
  for (int i = 0; i < 16; i++)
    b41.qs[i] = (uint8_t) (i | (15 - i) << 4);
  sm_dequantize_row_q4_1 (&b41, y, 32);
  for (int i = 0; i < 16; i++)
    {
      g_assert_cmpfloat (y[i], ==, 0.5f * (float) i - 2.0f);
      g_assert_cmpfloat (y[i + 16], ==, 0.5f * (float) (15 - i) - 2.0f);
    }

  /* Q5_0: the fifth bit set on weights 3 and 20 (bits 3 and 20 of qh = bytes 0 and 2) */
  SmBlockQ5_0 b50 = { .d = f16 (0.25f), .qh = { 0x08, 0x00, 0x10, 0x00 } };
  for (int i = 0; i < 16; i++)
    b50.qs[i] = (uint8_t) (i | (15 - i) << 4);
  sm_dequantize_row_q5_0 (&b50, y, 32);
  for (int i = 0; i < 32; i++)
    {
      int q = i < 16 ? i : 31 - i;
      if (i == 3 || i == 20)
        q += 16;
      g_assert_cmpfloat (y[i], ==, 0.25f * (float) (q - 16));
    }

  SmBlockQ5_1 b51 = { .d = f16 (0.25f), .m = f16 (1.0f), .qh = { 0x00, 0x80, 0x00, 0x80 } };
  for (int i = 0; i < 16; i++)
    b51.qs[i] = (uint8_t) (i | (15 - i) << 4);
  sm_dequantize_row_q5_1 (&b51, y, 32);
  for (int i = 0; i < 32; i++)
    {
      int q = i < 16 ? i : 31 - i;
      if (i == 15 || i == 31)
        q += 16;
      g_assert_cmpfloat (y[i], ==, 0.25f * (float) q + 1.0f);
    }

  /* IQ4_NL: ggml's table, read as ggml-common.h has it */
  static const int8_t grid[16] = { -127, -104, -83, -65, -49, -35, -22, -10,
                                   1, 13, 25, 38, 53, 69, 89, 113 };
  SmBlockIQ4_NL bnl = { .d = f16 (0.125f) };
  for (int i = 0; i < 16; i++)
    bnl.qs[i] = (uint8_t) (i | (15 - i) << 4);
  sm_dequantize_row_iq4_nl (&bnl, y, 32);
  for (int i = 0; i < 16; i++)
    {
      g_assert_cmpfloat (y[i], ==, 0.125f * (float) grid[i]);
      g_assert_cmpfloat (y[i + 16], ==, 0.125f * (float) grid[15 - i]);
    }
}

/* ---- quantizers ---------------------------------------------------------------------------- */

/* Q8_K: the largest magnitude maps to -127, so with max = -127 the scale is 1 and the values
 * are rounded as they stand: ties to even (ggml's nearest_int). */
static void
test_quantize_q8_k (void)
{
  float x[SM_QK_K] = { 0 };
  SmBlockQ8_K y;

  x[0] = -127.0f;
  x[1] = 0.5f;  x[2] = 1.5f;  x[3] = 2.5f;  x[4] = -0.5f;  x[5] = -3.5f;  x[6] = 126.4f;
  x[17] = 100.0f;
  sm_quantize_row_q8_k_ref (x, &y, SM_QK_K);
  g_assert_cmpfloat (y.d, ==, 1.0f);
  static const int8_t want[7] = { -127, 0, 2, 2, 0, -4, 126 };
  for (int i = 0; i < 7; i++)
    g_assert_cmpint (y.qs[i], ==, want[i]);
  g_assert_cmpint (y.qs[17], ==, 100);
  g_assert_cmpint (y.bsums[0], ==, -127 + 2 + 2 - 4 + 126);
  g_assert_cmpint (y.bsums[1], ==, 100);
  for (int g = 2; g < 16; g++)
    g_assert_cmpint (y.bsums[g], ==, 0);

  /* a positive max maps to -127 too (the sign ggml's IQ2 code relies on), and d = 1/iscale */
  GRand *rand = g_rand_new_with_seed (11);
  float xr[3 * SM_QK_K];
  SmBlockQ8_K yr[3];
  sm_test_fill_uniform (rand, xr, G_N_ELEMENTS (xr), -1.0f, 1.0f);
  xr[5] = 2.0f;                               /* block 0: positive max */
  memset (xr + SM_QK_K, 0, SM_QK_K * sizeof (float));   /* block 1: all zero */
  sm_quantize_row_q8_k_ref (xr, yr, G_N_ELEMENTS (xr));
  g_assert_cmpint (yr[0].qs[5], ==, -127);
  g_assert_cmpfloat (yr[0].d, ==, 1.0f / (-127.0f / 2.0f));
  g_assert_cmpfloat (yr[1].d, ==, 0.0f);
  for (int i = 0; i < SM_QK_K; i++)
    g_assert_cmpint (yr[1].qs[i], ==, 0);
  for (int b = 0; b < 3; b += 2)
    for (int g = 0; g < 16; g++)
      {
        int sum = 0;
        for (int l = 0; l < 16; l++)
          {
            int e = 16 * g + l;
            sum += yr[b].qs[e];
            /* within half a step (and a rounding of 1/iscale) of the input */
            g_assert_cmpfloat (fabs ((double) yr[b].d * yr[b].qs[e] - xr[b * SM_QK_K + e]), <=,
                               fabs (yr[b].d) * (0.5 + 1e-5));
          }
        g_assert_cmpint (yr[b].bsums[g], ==, sum);
      }
  g_rand_free (rand);
}

/* Q8_1: q = roundf (x / d), ties away from zero; s = fp16 (d * sum q). */
static void
test_quantize_q8_1 (void)
{
  float x[64] = { 0 };
  SmBlockQ8_1 y[2];

  x[0] = 127.0f;
  x[1] = 0.5f;  x[2] = 1.5f;  x[3] = 2.5f;  x[4] = -0.5f;  x[31] = -3.5f;
  for (int i = 32; i < 64; i++)
    x[i] = 0.25f * (float) (i - 40);
  sm_quantize_row_q8_1_ref (x, y, 64);
  g_assert_cmpfloat (sm_fp16_to_fp32 (y[0].d), ==, 1.0f);
  static const int8_t want[5] = { 127, 1, 2, 3, -1 };
  for (int i = 0; i < 5; i++)
    g_assert_cmpint (y[0].qs[i], ==, want[i]);
  g_assert_cmpint (y[0].qs[31], ==, -4);
  g_assert_cmpfloat (sm_fp16_to_fp32 (y[0].s), ==, 127.0f + 1 + 2 + 3 - 1 - 4);

  float d = 0.25f * 23.0f / 127.0f;
  g_assert_cmpuint (y[1].d, ==, sm_fp32_to_fp16 (d));
  int sum = 0;
  for (int i = 0; i < 32; i++)
    {
      g_assert_cmpint (y[1].qs[i], ==, (int) roundf (x[32 + i] * (1.0f / d)));
      sum += y[1].qs[i];
    }
  g_assert_cmpuint (y[1].s, ==, sm_fp32_to_fp16 ((float) sum * d));
}

/* Q4_1 / Q5_0 / Q5_1 from f32: each weight within half a step of its input (plus the fp16
 * rounding of d and m, which moves every level), and the rules at the block's extremes. */
static void
test_quantize_32 (void)
{
  enum { K = 96 };
  GRand *rand = g_rand_new_with_seed (5);
  float x[K], y[K];
  SmBlockQ4_1 b41[K / 32];
  SmBlockQ5_0 b50[K / 32];
  SmBlockQ5_1 b51[K / 32];

  sm_test_fill_uniform (rand, x, K, -1.5f, 0.7f);
  x[40] = -3.0f;   /* block 1: its largest magnitude is negative, so d > 0 */

  sm_quantize_row_q4_1_ref (x, b41, K);
  sm_dequantize_row_q4_1 (b41, y, K);
  for (int i = 0; i < K; i++)
    {
      const SmBlockQ4_1 *b = &b41[i / 32];
      double d = sm_fp16_to_fp32 (b->d), m = sm_fp16_to_fp32 (b->m);
      g_assert_cmpfloat (d, >, 0.0);
      /* half a step of the unrounded d, q times d's fp16 error, m's fp16 error */
      g_assert_cmpfloat (fabs ((double) y[i] - x[i]), <=,
                         0.5 * d * 1.001 + 15 * d * 0x1p-11 + fabs (m) * 0x1p-11 + 1e-6);
    }

  sm_quantize_row_q5_0_ref (x, b50, K);
  sm_dequantize_row_q5_0 (b50, y, K);
  g_assert_cmpfloat (sm_fp16_to_fp32 (b50[1].d), ==, sm_fp16_to_fp32 (sm_fp32_to_fp16 (3.0f / 16)));
  g_assert_cmpfloat (y[40], ==, -16.0f * sm_fp16_to_fp32 (b50[1].d));
  for (int i = 0; i < K; i++)
    {
      double d = fabs (sm_fp16_to_fp32 (b50[i / 32].d));
      g_assert_cmpfloat (fabs ((double) y[i] - x[i]), <=, 0.5 * d * 1.001 + 16 * d * 0x1p-11 + 1e-6);
    }

  sm_quantize_row_q5_1_ref (x, b51, K);
  sm_dequantize_row_q5_1 (b51, y, K);
  for (int i = 0; i < K; i++)
    {
      double d = sm_fp16_to_fp32 (b51[i / 32].d), m = sm_fp16_to_fp32 (b51[i / 32].m);
      g_assert_cmpfloat (fabs ((double) y[i] - x[i]), <=,
                         0.5 * d * 1.001 + 31 * d * 0x1p-11 + fabs (m) * 0x1p-11 + 1e-6);
    }
  /* the minimum is exactly the fp16 min: q = 0 there */
  g_assert_cmpfloat (y[40], ==, sm_fp16_to_fp32 (b51[1].m));
  g_rand_free (rand);
}

/* ---- dots ---------------------------------------------------------------------------------- */

/* A random valid row of @t: random bytes everywhere, then fp16 fields set to scales in
 * [1e-4, 0.05) of either sign (random bytes there would give infinities and NaNs). */
static void
random_row (GRand *rand, const QuantType *t, uint8_t *row, size_t k)
{
  size_t nb = k / (size_t) t->block;

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

static void
test_vec_dot (gconstpointer data)
{
  const QuantType *t = data;
  const size_t ks_32[] = { 32, 96, 2080 };
  const size_t ks_256[] = { 256, 512, 2816 };
  const size_t *ks = t->block == 256 ? ks_256 : ks_32;
  GRand *rand = g_rand_new_with_seed (1234);

  for (int ki = 0; ki < 3; ki++)
    for (int rep = 0; rep < 8; rep++)
      {
        size_t k = ks[ki];
        size_t nb = k / (size_t) t->block;
        g_autofree uint8_t *w = g_malloc (nb * t->type_size);
        g_autofree uint8_t *xq = g_malloc (k / (t->act_size == sizeof (SmBlockQ8_K) ? 256 : 32)
                                           * t->act_size);
        g_autofree float *x = g_new (float, k);
        g_autofree float *wf = g_new (float, k);
        g_autofree float *xf = g_new (float, k);

        random_row (rand, t, w, k);
        /* activations: mostly uniform, one repetition with a large outlier per row */
        sm_test_fill_uniform (rand, x, k, -2.0f, 2.0f);
        if (rep == 7)
          x[g_rand_int_range (rand, 0, (gint32) k)] = 40.0f;
        t->quantize_act (x, xq, k);
        t->dequantize (w, wf, k);
        t->dequantize_act (xq, xf, k);

        double ref = 0.0, mag = 0.0, slack = 0.0;
        for (size_t i = 0; i < k; i++)
          {
            ref += (double) wf[i] * xf[i];
            mag += fabs ((double) wf[i] * xf[i]);
          }
        /* Q8_1: the kernel takes the min's term from s, the fp16 of d * sum(q); its rounding
         * is part of the type, not the kernel's error, so it is allowed for exactly. */
        if (t->act_size == sizeof (SmBlockQ8_1))
          for (size_t b = 0; b < nb; b++)
            {
              const SmBlockQ8_1 *a = (const SmBlockQ8_1 *) xq + b;
              uint16_t mh;
              memcpy (&mh, w + b * t->type_size + 2, sizeof mh);   /* m follows d */
              double exact = 0.0;
              for (int i = 0; i < 32; i++)
                exact += a->qs[i];
              exact *= sm_fp16_to_fp32 (a->d);
              slack += fabs (sm_fp16_to_fp32 (mh)) * fabs (sm_fp16_to_fp32 (a->s) - exact);
            }

        float got = t->dot (k, w, xq);
        double tol = 1e-5 * mag + slack;
        if (!(fabs (got - ref) <= tol))
          g_test_fail_printf ("%s k=%zu rep %d: dot %.9g, reference %.9g (|diff| %.3g > %.3g)",
                              t->name, k, rep, (double) got, ref, fabs (got - ref), tol);
        /* the reference is not trivially small: the test sees a wrong dot */
        g_assert_cmpfloat (mag, >, 0.0);
      }
  g_assert_cmpfloat (t->dot (0, NULL, NULL), ==, 0.0f);
  g_rand_free (rand);
}

/* The dots must see every weight: flip one quant bit at a time and the dot moves by exactly
 * that weight's change times its activation (to rounding). */
static void
test_vec_dot_sensitivity (gconstpointer data)
{
  const QuantType *t = data;
  const size_t k = (size_t) t->block * 2;
  GRand *rand = g_rand_new_with_seed (99);
  g_autofree uint8_t *w = g_malloc (2 * t->type_size);
  g_autofree uint8_t *w2 = g_malloc (2 * t->type_size);
  g_autofree uint8_t *xq = g_malloc (k / (t->act_size == sizeof (SmBlockQ8_K) ? 256 : 32)
                                     * t->act_size);
  g_autofree float *x = g_new (float, k);
  g_autofree float *wf = g_new (float, k);
  g_autofree float *wf2 = g_new (float, k);
  g_autofree float *xf = g_new (float, k);

  random_row (rand, t, w, k);
  sm_test_fill_uniform (rand, x, k, 0.5f, 2.0f);   /* no zero activations */
  t->quantize_act (x, xq, k);
  t->dequantize (w, wf, k);
  t->dequantize_act (xq, xf, k);
  float base = t->dot (k, w, xq);

  for (int trial = 0; trial < 64; trial++)
    {
      memcpy (w2, w, 2 * t->type_size);
      size_t byte = (size_t) g_rand_int_range (rand, 0, (gint32) (2 * t->type_size));
      /* leave the fp16 fields alone */
      gboolean in_f16 = FALSE;
      for (int f = 0; f < 3 && t->f16_at[f] >= 0; f++)
        if (byte % t->type_size >= (size_t) t->f16_at[f]
            && byte % t->type_size < (size_t) t->f16_at[f] + 2)
          in_f16 = TRUE;
      if (in_f16)
        continue;
      w2[byte] ^= (uint8_t) (1u << g_rand_int_range (rand, 0, 8));
      t->dequantize (w2, wf2, k);
      double change = 0.0, mag = 0.0;
      for (size_t i = 0; i < k; i++)
        {
          change += ((double) wf2[i] - wf[i]) * xf[i];
          mag += fabs ((double) wf[i] * xf[i]) + fabs ((double) wf2[i] * xf[i]);
        }
      float moved = t->dot (k, w2, xq) - base;
      g_assert_cmpfloat (fabs (moved - change), <=, 2e-5 * mag + 1e-30);
    }
  g_rand_free (rand);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_autofree char *ref_dir = g_build_filename (shared_models_dir (), "kquant", "dequant", NULL);
  g_autoptr (GDir) dir = g_dir_open (ref_dir, 0, NULL);
  if (dir == NULL)
    g_test_add_data_func_full ("/quants/dequant-reference", g_strdup (ref_dir),
                               test_dequant_reference_absent, g_free);
  else
    {
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".txt"))
          g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, compare_names);
      for (guint i = 0; i < names->len; i++)
        {
          const char *n = g_ptr_array_index (names, i);
          g_autofree char *path = g_strdup_printf ("/quants/dequant-reference/%s", n);
          g_test_add_data_func_full (path, g_build_filename (ref_dir, n, NULL),
                                     test_dequant_reference, g_free);
        }
    }

  g_test_add_func ("/quants/layout-32", test_layout_32);
  g_test_add_func ("/quants/quantize-q8_k", test_quantize_q8_k);
  g_test_add_func ("/quants/quantize-q8_1", test_quantize_q8_1);
  g_test_add_func ("/quants/quantize-32", test_quantize_32);
  for (gsize i = 0; i < G_N_ELEMENTS (quant_types); i++)
    {
      const QuantType *t = &quant_types[i];
      if (t->dot == NULL)
        continue;
      g_autofree char *p = g_strdup_printf ("/quants/vec-dot/%s", t->name);
      g_test_add_data_func (p, t, test_vec_dot);
      g_autofree char *ps = g_strdup_printf ("/quants/vec-dot-sensitivity/%s", t->name);
      g_test_add_data_func (ps, t, test_vec_dot_sensitivity);
    }

  return g_test_run ();
}
