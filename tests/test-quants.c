/* test-quants.c: the scalar references of sm-quants.h (ggml's Q4_1, Q5_0, Q5_1, IQ4_NL and
 * K-quant types).
 *
 * Three kinds of evidence:
 *  - dequantization against ggml's own to_float, bit for bit, over tensors of the shared
 *    K-quant models (../shared/models/kquant/dequant: one file per tensor, `index value bits`),
 *    read through the project's GGUF reader and converted by the weight-type table's to_f32;
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

#include "sm-dtype.h"
#include "sm-gguf.h"
#include "sm-kernels.h"
#include "sm-quants.h"
#include "sm-test-util.h"

typedef void (*DequantFn) (const void *x, float *y, size_t k);

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
  /* where its dot sits in SmKernels (0: none here), and its activation type's block size,
   * quantizer and dequantizer */
  gsize       dot_at;
  size_t      act_size;
  void      (*quantize_act) (const float *x, void *y, size_t k);
  DequantFn   dequantize_act;
} QuantType;

static const QuantType quant_types[] = {
  { "q4_0", 32, sizeof (SmBlockQ4_0), dequantize_q4_0, { 0, -1 },
    0, 0, NULL, NULL },
  { "q4_1", 32, sizeof (SmBlockQ4_1), sm_dequantize_row_q4_1, { 0, 2, -1 },
    G_STRUCT_OFFSET (SmKernels, vec_dot_q4_1_q8_1), sizeof (SmBlockQ8_1), sm_quantize_row_q8_1,
    sm_dequantize_row_q8_1 },
  { "q5_0", 32, sizeof (SmBlockQ5_0), sm_dequantize_row_q5_0, { 0, -1 },
    G_STRUCT_OFFSET (SmKernels, vec_dot_q5_0_q8_0), sizeof (SmBlockQ8_0), quantize_q8_0, dequantize_q8_0 },
  { "q5_1", 32, sizeof (SmBlockQ5_1), sm_dequantize_row_q5_1, { 0, 2, -1 },
    G_STRUCT_OFFSET (SmKernels, vec_dot_q5_1_q8_1), sizeof (SmBlockQ8_1), sm_quantize_row_q8_1,
    sm_dequantize_row_q8_1 },
  { "iq4_nl", 32, sizeof (SmBlockIQ4_NL), sm_dequantize_row_iq4_nl, { 0, -1 },
    G_STRUCT_OFFSET (SmKernels, vec_dot_iq4_nl_q8_0), sizeof (SmBlockQ8_0), quantize_q8_0, dequantize_q8_0 },
  { "q2_K", 256, sizeof (SmBlockQ2_K), sm_dequantize_row_q2_k,
    { G_STRUCT_OFFSET (SmBlockQ2_K, d), G_STRUCT_OFFSET (SmBlockQ2_K, dmin), -1 },
    G_STRUCT_OFFSET (SmKernels, vec_dot_q2_k_q8_k), sizeof (SmBlockQ8_K), sm_quantize_row_q8_k,
    sm_dequantize_row_q8_k },
  { "q3_K", 256, sizeof (SmBlockQ3_K), sm_dequantize_row_q3_k,
    { G_STRUCT_OFFSET (SmBlockQ3_K, d), -1 },
    G_STRUCT_OFFSET (SmKernels, vec_dot_q3_k_q8_k), sizeof (SmBlockQ8_K), sm_quantize_row_q8_k,
    sm_dequantize_row_q8_k },
  { "q4_K", 256, sizeof (SmBlockQ4_K), sm_dequantize_row_q4_k,
    { G_STRUCT_OFFSET (SmBlockQ4_K, d), G_STRUCT_OFFSET (SmBlockQ4_K, dmin), -1 },
    G_STRUCT_OFFSET (SmKernels, vec_dot_q4_k_q8_k), sizeof (SmBlockQ8_K), sm_quantize_row_q8_k,
    sm_dequantize_row_q8_k },
  { "q5_K", 256, sizeof (SmBlockQ5_K), sm_dequantize_row_q5_k,
    { G_STRUCT_OFFSET (SmBlockQ5_K, d), G_STRUCT_OFFSET (SmBlockQ5_K, dmin), -1 },
    G_STRUCT_OFFSET (SmKernels, vec_dot_q5_k_q8_k), sizeof (SmBlockQ8_K), sm_quantize_row_q8_k,
    sm_dequantize_row_q8_k },
  { "q6_K", 256, sizeof (SmBlockQ6_K), sm_dequantize_row_q6_k,
    { G_STRUCT_OFFSET (SmBlockQ6_K, d), -1 },
    G_STRUCT_OFFSET (SmKernels, vec_dot_q6_k_q8_k), sizeof (SmBlockQ8_K), sm_quantize_row_q8_k,
    sm_dequantize_row_q8_k },
};

/* @t's dot at @level */
static SmVecDotFunc
dot_of (const QuantType *t, SmKernelLevel level)
{
  const SmKernels *k = sm_kernels_for_level (level);
  g_assert_nonnull (k);
  return G_STRUCT_MEMBER (SmVecDotFunc, k, t->dot_at);
}

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
  /* The rows as the loader sees them: the project's GGUF reader finds the tensor and the
   * weight-type table converts it, so this checks the table's entry (the type id, block and
   * to_f32) along with the dequantizer. */
  g_autoptr (SmGguf) gguf = sm_gguf_open (gguf_path, &error);
  g_assert_no_error (error);
  const SmGgufTensorInfo *ti = sm_gguf_find_tensor (gguf, tensor);
  g_assert_nonnull (ti);
  const SmDTypeTraits *tt = sm_dtype_traits (ti->dtype);
  g_autofree char *type_upper = g_ascii_strup (type_name, -1);
  g_assert_cmpstr (tt->ggml_name, ==, type_upper);
  g_assert_cmpint (ti->shape[ti->n_dims - 1], ==, (gint64) ne0);
  g_assert_cmpuint (sm_dtype_row_bytes (ti->dtype, (gint64) ne0), ==, row_bytes);
  g_assert_cmpuint (ti->n_bytes, >=, 2 * row_bytes);
  /* the reader's data are the bytes at the offset the reference names */
  g_autoptr (GMappedFile) map = g_mapped_file_new (gguf_path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (offset + 2 * row_bytes, <=, g_mapped_file_get_length (map));
  g_assert_cmpmem (ti->data, 2 * row_bytes, g_mapped_file_get_contents (map) + offset,
                   2 * row_bytes);

  gsize n = (gsize) (2 * ne0);
  g_autofree float *y = g_new (float, n);
  g_autofree float *y_direct = g_new (float, n);
  /* rows are contiguous and whole blocks, so both rows are one call */
  tt->to_f32 (ti->data, y, n);
  t->dequantize (ti->data, y_direct, n);
  g_assert_cmpmem (y, n * sizeof (float), y_direct, n * sizeof (float));

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
  sm_quantize_row_q8_k (x, &y, SM_QK_K);
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
  sm_quantize_row_q8_k (xr, yr, G_N_ELEMENTS (xr));
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

/* Every level's quantize_row_q8_k is the reference bit for bit: rows with exact ties (x · iscale
 * landing on a half), the largest magnitude twice with either sign first, an all-zero block,
 * tiny values and outliers. */
static void
test_quantize_q8_k_levels (void)
{
  enum { NB = 6 };
  GRand *rand = g_rand_new_with_seed (12);
  float x[NB * SM_QK_K];
  SmBlockQ8_K want[NB], got[NB];
  int levels_seen = 0;

  sm_test_fill_uniform (rand, x, G_N_ELEMENTS (x), -3.0f, 3.0f);
  for (int e = 0; e < SM_QK_K; e++)            /* block 0: halves of the step 127/127 */
    x[e] = (float) (e % 9 - 4) * 0.5f;
  x[3] = 127.0f;
  x[SM_QK_K + 40] = -5.0f, x[SM_QK_K + 200] = 5.0f;        /* block 1: -max first */
  x[2 * SM_QK_K + 7] = 5.0f, x[2 * SM_QK_K + 9] = -5.0f;   /* block 2: +max first */
  memset (x + 3 * SM_QK_K, 0, SM_QK_K * sizeof (float));  /* block 3: zero */
  for (int e = 0; e < SM_QK_K; e++)            /* block 4: tiny */
    x[4 * SM_QK_K + e] *= 1e-30f;
  x[5 * SM_QK_K + 255] = -60.0f;               /* block 5: an outlier in the last lane */
  sm_quantize_row_q8_k (x, want, G_N_ELEMENTS (x));
  for (int level = SM_KERNEL_LEVEL_SCALAR; level < SM_KERNEL_N_LEVELS; level++)
    {
      const SmKernels *k = sm_kernels_for_level ((SmKernelLevel) level);
      if (k == NULL)
        continue;
      levels_seen++;
      memset (got, 0x55, sizeof got);
      k->quantize_row_q8_k (x, got, G_N_ELEMENTS (x));
      for (int b = 0; b < NB; b++)
        {
          g_assert_cmpuint (f32_bits (got[b].d), ==, f32_bits (want[b].d));
          g_assert_cmpmem (got[b].qs, sizeof got[b].qs, want[b].qs, sizeof want[b].qs);
          g_assert_cmpmem (got[b].bsums, sizeof got[b].bsums, want[b].bsums, sizeof want[b].bsums);
        }
      g_test_message ("%s: bit for bit", k->name);
    }
  g_assert_cmpint (levels_seen, >=, 1);
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
  sm_quantize_row_q8_1 (x, y, 64);
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

        float got = dot_of (t, SM_KERNEL_LEVEL_SCALAR) (k, w, xq);
        double tol = 1e-5 * mag + slack;
        if (!(fabs (got - ref) <= tol))
          g_test_fail_printf ("%s k=%zu rep %d: dot %.9g, reference %.9g (|diff| %.3g > %.3g)",
                              t->name, k, rep, (double) got, ref, fabs (got - ref), tol);
        /* the reference is not trivially small: the test sees a wrong dot */
        g_assert_cmpfloat (mag, >, 0.0);
      }
  g_assert_cmpfloat (dot_of (t, SM_KERNEL_LEVEL_SCALAR) (0, NULL, NULL), ==, 0.0f);
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
  float base = dot_of (t, SM_KERNEL_LEVEL_SCALAR) (k, w, xq);

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
      float moved = dot_of (t, SM_KERNEL_LEVEL_SCALAR) (k, w2, xq) - base;
      g_assert_cmpfloat (fabs (moved - change), <=, 2e-5 * mag + 1e-30);
    }
  g_rand_free (rand);
}

/* Every SIMD level against the scalar reference, over awkward sizes and several rows.  The
 * integer sums are exact at every level, so the two differ only in the order and grouping of
 * the float steps: at most one rounding (2^-24 relative) per float operation on each side, of
 * partial sums bounded by Σ|w·x|, and a row of nb blocks takes fewer than nb + 16 of them
 * (ggml's eight lanes, our block terms, the final reduction).  So |simd - scalar| <=
 * 2 · (nb + 16) · 2^-24 · Σ|w·x|, with a factor 2 spare. */
static void
test_levels (gconstpointer data)
{
  const QuantType *t = data;
  const size_t ks_32[] = { 32, 96, 288, 768, 4096 + 32 };
  const size_t ks_256[] = { 256, 512, 768, 2816, 4096 + 256 };
  const size_t *ks = t->block == 256 ? ks_256 : ks_32;
  const size_t act_block = t->act_size == sizeof (SmBlockQ8_K) ? 256 : 32;
  const int rows = 5;
  GRand *rand = g_rand_new_with_seed (4321);
  int levels_seen = 0;

  for (int level = SM_KERNEL_LEVEL_AVX2; level <= SM_KERNEL_LEVEL_AVX512; level++)
    {
      if (!sm_kernels_level_supported ((SmKernelLevel) level, NULL))
        continue;
      levels_seen++;
      SmVecDotFunc simd = dot_of (t, (SmKernelLevel) level);
      SmVecDotFunc ref = dot_of (t, SM_KERNEL_LEVEL_SCALAR);
      double worst = 0.0;
      for (int ki = 0; ki < 5; ki++)
        {
          const size_t k = ks[ki], nb = k / (size_t) t->block;
          const size_t row_bytes = nb * t->type_size;
          g_autofree uint8_t *w = g_malloc (rows * row_bytes);
          g_autofree uint8_t *xq = g_malloc (k / act_block * t->act_size);
          g_autofree float *x = g_new (float, k);
          g_autofree float *wf = g_new (float, k);
          g_autofree float *xf = g_new (float, k);

          sm_test_fill_uniform (rand, x, k, -3.0f, 3.0f);
          x[g_rand_int_range (rand, 0, (gint32) k)] = -60.0f;   /* an outlier, as LLMs have */
          t->quantize_act (x, xq, k);
          t->dequantize_act (xq, xf, k);
          for (int r = 0; r < rows; r++)
            {
              const uint8_t *wr = w + r * row_bytes;
              random_row (rand, t, w + r * row_bytes, k);
              t->dequantize (wr, wf, k);
              double mag = 0.0;
              for (size_t i = 0; i < k; i++)
                mag += fabs ((double) wf[i] * xf[i]);
              const float got = simd (k, wr, xq), want = ref (k, wr, xq);
              /* the K-quants' AVX-512 dots take the AVX2 ones' float steps */
              if (level == SM_KERNEL_LEVEL_AVX512 && t->block == 256)
                g_assert_cmpfloat (got, ==, dot_of (t, SM_KERNEL_LEVEL_AVX2) (k, wr, xq));
              const double tol = 2.0 * 2.0 * (double) (nb + 16) * 0x1p-24 * mag;
              worst = MAX (worst, fabs ((double) got - want) / tol);
              if (!(fabs ((double) got - want) <= tol))
                g_test_fail_printf ("%s %s k=%zu row %d: %.9g, scalar %.9g (|diff| %.3g > %.3g)",
                                    t->name, sm_kernel_level_to_string ((SmKernelLevel) level),
                                    k, r, (double) got, (double) want,
                                    fabs ((double) got - want), tol);
            }
        }
      g_test_message ("%s %s: worst |simd - scalar| %.3g of the tolerance", t->name,
                      sm_kernel_level_to_string ((SmKernelLevel) level), worst);
    }
  if (levels_seen == 0)
    g_test_skip ("this CPU has no SIMD level");
  g_rand_free (rand);
}

typedef void (*GemvFn) (size_t M, size_t k, const void *W, const void *xq, float *y);

/* Where @t's GEMV sits in SmKernels, 0 for a type without one. */
static gsize
gemv_at (const QuantType *t)
{
  if (strcmp (t->name, "q4_K") == 0)
    return G_STRUCT_OFFSET (SmKernels, gemv_q4_k);
  if (strcmp (t->name, "q6_K") == 0)
    return G_STRUCT_OFFSET (SmKernels, gemv_q6_k);
  return 0;
}

/* The weight table's matmul for these types (one dot an output, threaded): every output is the
 * dot of its row and its token, bit for bit, for several token and row counts. */
static void
test_matmul (gconstpointer data)
{
  const QuantType *t = data;
  const size_t k = (size_t) t->block * 3;
  const size_t act_block = t->act_size == sizeof (SmBlockQ8_K) ? 256 : 32;
  const size_t row_bytes = k / (size_t) t->block * t->type_size;
  const size_t act_bytes = k / act_block * t->act_size;
  const size_t ns[] = { 1, 3 }, Ns[] = { 1, 7, 40 };
  GRand *rand = g_rand_new_with_seed (77);
  SmDType dtype = SM_DTYPE_F32;
  g_autofree char *upper = g_ascii_strup (t->name, -1);
  gboolean found = FALSE;

  for (guint i = 0; i < SM_N_DTYPES && !found; i++)
    if (g_strcmp0 (sm_dtype_traits ((SmDType) i)->ggml_name, upper) == 0)
      {
        dtype = (SmDType) i;
        found = TRUE;
      }
  g_assert_true (found);
  const SmDTypeTraits *tt = sm_dtype_traits (dtype);
  g_assert_cmpuint (tt->block_bytes, ==, t->type_size);
  g_assert_cmpuint (sm_dtype_block_bytes (tt->vec_dot_type), ==, t->act_size);

  for (gsize a = 0; a < G_N_ELEMENTS (ns); a++)
    for (gsize b = 0; b < G_N_ELEMENTS (Ns); b++)
      {
        const size_t n = ns[a], N = Ns[b];
        g_autofree uint8_t *W = g_malloc (N * row_bytes);
        g_autofree uint8_t *X = g_malloc (n * act_bytes);
        g_autofree float *x = g_new (float, k);
        g_autofree float *Y = g_new (float, n * (N + 2));

        for (size_t r = 0; r < N; r++)
          random_row (rand, t, W + r * row_bytes, k);
        for (size_t i = 0; i < n; i++)
          {
            sm_test_fill_uniform (rand, x, k, -1.0f, 1.0f);
            sm_dtype_traits (tt->vec_dot_type)->from_f32 (x, X + i * act_bytes, k);
          }
        tt->matmul (n, N, k, W, row_bytes, X, act_bytes, Y, N + 2);
        /* decode goes through the type's GEMV where it has one: threaded, still its rows' */
        if (n == 1 && gemv_at (t) != 0)
          {
            g_autofree float *y1 = g_new (float, N);
            G_STRUCT_MEMBER (GemvFn, sm_kernels (), gemv_at (t)) (N, k, W, X, y1);
            for (size_t r = 0; r < N; r++)
              g_assert_cmpfloat (Y[r], ==, y1[r]);
            continue;
          }
        for (size_t i = 0; i < n; i++)
          for (size_t r = 0; r < N; r++)
            g_assert_cmpfloat (Y[i * (N + 2) + r], ==,
                               G_STRUCT_MEMBER (SmVecDotFunc, sm_kernels (), t->dot_at)
                                 (k, W + r * row_bytes, X + i * act_bytes));
      }
  g_rand_free (rand);
}

/* The GEMV at every level against the scalar dot of each row, for row counts that leave 1-3
 * rows past the last group of 4 and k from one super-block to 4096 + 256; the avx2-vnni and
 * AVX-512 GEMVs take the AVX2 one's float steps, so they agree with it bit for bit. */
static void
test_gemv (gconstpointer data)
{
  const QuantType *t = data;
  const size_t ks[] = { 256, 512, 768, 2816, 4096 + 256 };
  const size_t Ms[] = { 1, 3, 4, 5, 6, 7, 13, 36 };
  SmVecDotFunc ref = dot_of (t, SM_KERNEL_LEVEL_SCALAR);
  GRand *rand = g_rand_new_with_seed (2468);

  for (gsize ki = 0; ki < G_N_ELEMENTS (ks); ki++)
    for (gsize mi = 0; mi < G_N_ELEMENTS (Ms); mi++)
      {
        const size_t k = ks[ki], M = Ms[mi], nb = k / SM_QK_K, row_bytes = nb * t->type_size;
        g_autofree uint8_t *W = g_malloc (M * row_bytes);
        g_autofree uint8_t *xq = g_malloc (nb * t->act_size);
        g_autofree float *x = g_new (float, k);
        g_autofree float *wf = g_new (float, k);
        g_autofree float *xf = g_new (float, k);
        g_autofree float *y = g_new (float, M + 1);
        g_autofree float *y2 = g_new (float, M + 1);
        g_autofree double *tol = g_new (double, M);

        sm_test_fill_uniform (rand, x, k, -3.0f, 3.0f);
        x[g_rand_int_range (rand, 0, (gint32) k)] = -60.0f;
        t->quantize_act (x, xq, k);
        t->dequantize_act (xq, xf, k);
        for (size_t r = 0; r < M; r++)
          {
            random_row (rand, t, W + r * row_bytes, k);
            t->dequantize (W + r * row_bytes, wf, k);
            double mag = 0.0;
            for (size_t i = 0; i < k; i++)
              mag += fabs ((double) wf[i] * xf[i]);
            tol[r] = 2.0 * 2.0 * (double) (nb + 16) * 0x1p-24 * mag;
          }
        for (int level = SM_KERNEL_LEVEL_SCALAR; level <= SM_KERNEL_LEVEL_AVX512_VNNI; level++)
          {
            if (!sm_kernels_level_supported ((SmKernelLevel) level, NULL))
              continue;
            GemvFn gemv = G_STRUCT_MEMBER (GemvFn, sm_kernels_for_level ((SmKernelLevel) level), gemv_at (t));
            y[M] = 12345.0f;   /* a guard: nothing past row M is written */
            gemv (M, k, W, xq, y);
            g_assert_cmpfloat (y[M], ==, 12345.0f);
            for (size_t r = 0; r < M; r++)
              {
                const float want = ref (k, W + r * row_bytes, xq);
                if (level == SM_KERNEL_LEVEL_SCALAR)
                  g_assert_cmpfloat (y[r], ==, want);
                else if (!(fabs ((double) y[r] - want) <= tol[r]))
                  g_test_fail_printf ("%s gemv %s M=%zu k=%zu row %zu: %.9g, scalar dot %.9g (> %.3g)",
                                      t->name, sm_kernel_level_to_string ((SmKernelLevel) level), M, k,
                                      r, (double) y[r], (double) want, tol[r]);
              }
            if (level > SM_KERNEL_LEVEL_AVX2 && sm_kernels_level_supported (SM_KERNEL_LEVEL_AVX2, NULL))
              {
                G_STRUCT_MEMBER (GemvFn, sm_kernels_for_level (SM_KERNEL_LEVEL_AVX2), gemv_at (t)) (M, k, W, xq, y2);
                for (size_t r = 0; r < M; r++)
                  g_assert_cmpfloat (y[r], ==, y2[r]);
              }
          }
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
  g_test_add_func ("/quants/quantize-q8_k-levels", test_quantize_q8_k_levels);
  g_test_add_func ("/quants/quantize-q8_1", test_quantize_q8_1);
  for (gsize i = 0; i < G_N_ELEMENTS (quant_types); i++)
    {
      const QuantType *t = &quant_types[i];
      if (t->dot_at == 0)
        continue;
      g_autofree char *p = g_strdup_printf ("/quants/vec-dot/%s", t->name);
      g_test_add_data_func (p, t, test_vec_dot);
      g_autofree char *ps = g_strdup_printf ("/quants/vec-dot-sensitivity/%s", t->name);
      g_test_add_data_func (ps, t, test_vec_dot_sensitivity);
      g_autofree char *pl = g_strdup_printf ("/quants/levels/%s", t->name);
      g_test_add_data_func (pl, t, test_levels);
      g_autofree char *pm = g_strdup_printf ("/quants/matmul/%s", t->name);
      g_test_add_data_func (pm, t, test_matmul);
      if (gemv_at (t) != 0)
        {
          g_autofree char *pg = g_strdup_printf ("/quants/gemv/%s", t->name);
          g_test_add_data_func (pg, t, test_gemv);
        }
    }

  return g_test_run ();
}
