/* sm-dtype.c: the weight-type table.
 *
 * Block layouts and GGUF ids are ggml's (ggml-common.h, ggml.h); the numbers in general.file_type
 * are llama.cpp's LLAMA_FTYPE_MOSTLY_*.  The row conversions and the matmuls are thin adapters
 * from the table's one signature to the kernels', which keep their typed ones.
 */
/* The tensors' domain: these checks were theirs, and callers (and tests) expect them there. */
#define G_LOG_DOMAIN "sm-tensor"

#include "sm-dtype.h"

#include <string.h>

#include "sm-kernels.h"
#include "sm-quantize.h"

/* ---- rows to and from f32 ------------------------------------------------------------------ */

static void
f32_to_f32 (const void *row, float *out, gsize n)
{
  memcpy (out, row, n * sizeof (float));
}

static void
f32_from_f32 (const float *row, void *out, gsize n)
{
  memcpy (out, row, n * sizeof (float));
}

static void
f16_to_f32 (const void *row, float *out, gsize n)
{
  sm_kernels ()->f16_to_f32 (out, row, n);
}

static void
f16_from_f32 (const float *row, void *out, gsize n)
{
  for (gsize i = 0; i < n; i++)
    ((guint16 *) out)[i] = sm_fp32_to_fp16 (row[i]);
}

static void
bf16_to_f32 (const void *row, float *out, gsize n)
{
  sm_kernels ()->bf16_to_f32 (out, row, n);
}

static void
bf16_from_f32 (const float *row, void *out, gsize n)
{
  for (gsize i = 0; i < n; i++)
    ((guint16 *) out)[i] = sm_fp32_to_bf16 (row[i]);
}

static void
q8_0_to_f32 (const void *row, float *out, gsize n)
{
  sm_dequantize_row_q8_0 (row, out, n);
}

/* Through the table in force: Q8_0 is also the activation type, quantized on the hot path. */
static void
q8_0_from_f32 (const float *row, void *out, gsize n)
{
  sm_kernels ()->quantize_row_q8_0 (row, out, n);
}

static void
q4_0_to_f32 (const void *row, float *out, gsize n)
{
  sm_dequantize_row_q4_0 (row, out, n);
}

static void
q4_0_from_f32 (const float *row, void *out, gsize n)
{
  sm_quantize_row_q4_0 (row, out, n);
}

/* The types `quantize` writes for llama.cpp: the kernels' own signatures are the table's. */
#define WRITTEN(lower, upper, block, file_type, quantizer)                                    \
  [SM_DTYPE_##upper] = {                                                                     \
    .name = #lower, .ggml_name = #upper, .ggml_type = SM_GGML_TYPE_##upper,                  \
    .ggml_file_type = file_type, .block_elems = block, .block_bytes = sizeof (SmBlock##upper), \
    .data_align = 2, .quantize_target = FALSE,                                              \
    .to_f32 = sm_dequantize_row_##lower, .from_f32 = quantizer,                             \
    .vec_dot_type = SM_DTYPE_F32, .matmul = NULL,                                            \
  }

/* ---- matmuls ------------------------------------------------------------------------------- */

static void
f32_matmul (gsize n, gsize N, gsize K, const void *W, gsize ldw, const void *x, gsize ldx,
            float *y, gsize ldy)
{
  if (n == 1)
    sm_gemv (N, K, W, ldw / sizeof (float), x, y);
  else
    sm_gemm (false, true, n, N, K, 1.0f, x, ldx / sizeof (float), W, ldw / sizeof (float),
             0.0f, y, ldy);
}

/* The 16-bit types have no GEMM: one GEMV a token (they are converted formats, not ones a
 * hot model ships in). */
static void
f16_matmul (gsize n, gsize N, gsize K, const void *W, gsize ldw, const void *x, gsize ldx,
            float *y, gsize ldy)
{
  for (gsize i = 0; i < n; i++)
    sm_gemv_f16 (N, K, W, ldw / 2, (const float *) ((const char *) x + i * ldx), y + i * ldy);
}

static void
bf16_matmul (gsize n, gsize N, gsize K, const void *W, gsize ldw, const void *x, gsize ldx,
             float *y, gsize ldy)
{
  for (gsize i = 0; i < n; i++)
    sm_gemv_bf16 (N, K, W, ldw / 2, (const float *) ((const char *) x + i * ldx), y + i * ldy);
}

/* The quantized kernels read W's rows and x's rows back to back (ldw, ldx are the row sizes). */
static void
q8_0_matmul (gsize n, gsize N, gsize K, const void *W, gsize ldw, const void *x, gsize ldx,
             float *y, gsize ldy)
{
  if (n == 1)
    sm_gemv_q8_0 (N, K, W, x, y);
  else
    sm_gemm_q8_0 (n, N, K, W, x, y, ldy);
}

static void
q4_0_matmul (gsize n, gsize N, gsize K, const void *W, gsize ldw, const void *x, gsize ldx,
             float *y, gsize ldy)
{
  if (n == 1)
    sm_gemv_q4_0 (N, K, W, x, y);
  else
    sm_gemm_q4_0 (n, N, K, W, x, y, ldy);
}

/* ---- the table ----------------------------------------------------------------------------- */

static const SmDTypeTraits traits[SM_N_DTYPES] = {
  [SM_DTYPE_F32] = {
    .name = "f32", .ggml_name = "F32", .ggml_type = SM_GGML_TYPE_F32, .ggml_file_type = 0,
    .block_elems = 1, .block_bytes = 4, .data_align = 4, .quantize_target = TRUE,
    .to_f32 = f32_to_f32, .from_f32 = f32_from_f32,
    .vec_dot_type = SM_DTYPE_F32, .matmul = f32_matmul,
  },
  [SM_DTYPE_F16] = {
    .name = "f16", .ggml_name = "F16", .ggml_type = SM_GGML_TYPE_F16, .ggml_file_type = 1,
    .block_elems = 1, .block_bytes = 2, .data_align = 2, .quantize_target = TRUE,
    .to_f32 = f16_to_f32, .from_f32 = f16_from_f32,
    .vec_dot_type = SM_DTYPE_F32, .matmul = f16_matmul,
  },
  /* Read (converted Hugging Face checkpoints ship it), not written by quantize. */
  [SM_DTYPE_BF16] = {
    .name = "bf16", .ggml_name = "BF16", .ggml_type = SM_GGML_TYPE_BF16, .ggml_file_type = 32,
    .block_elems = 1, .block_bytes = 2, .data_align = 2, .quantize_target = FALSE,
    .to_f32 = bf16_to_f32, .from_f32 = bf16_from_f32,
    .vec_dot_type = SM_DTYPE_F32, .matmul = bf16_matmul,
  },
  [SM_DTYPE_Q8_0] = {
    .name = "q8_0", .ggml_name = "Q8_0", .ggml_type = SM_GGML_TYPE_Q8_0, .ggml_file_type = 7,
    .block_elems = SM_QK, .block_bytes = sizeof (SmBlockQ8_0), .data_align = 2,
    .quantize_target = TRUE,
    .to_f32 = q8_0_to_f32, .from_f32 = q8_0_from_f32,
    .vec_dot_type = SM_DTYPE_Q8_0, .matmul = q8_0_matmul,
  },
  [SM_DTYPE_Q4_0] = {
    .name = "q4_0", .ggml_name = "Q4_0", .ggml_type = SM_GGML_TYPE_Q4_0, .ggml_file_type = 2,
    .block_elems = SM_QK, .block_bytes = sizeof (SmBlockQ4_0), .data_align = 2,
    .quantize_target = TRUE,
    .to_f32 = q4_0_to_f32, .from_f32 = q4_0_from_f32,
    .vec_dot_type = SM_DTYPE_Q8_0, .matmul = q4_0_matmul,
  },
  /* general.file_type of a file all of one K-quant is llama.cpp's _S mix of it */
  WRITTEN (q4_1, Q4_1, SM_QK, 3, sm_quantize_row_q4_1_ref),
  WRITTEN (q5_0, Q5_0, SM_QK, 8, sm_quantize_row_q5_0_ref),
  WRITTEN (q5_1, Q5_1, SM_QK, 9, sm_quantize_row_q5_1_ref),
  WRITTEN (iq4_nl, IQ4_NL, SM_QK, 25, sm_quantize_row_iq4_nl),
  WRITTEN (q2_k, Q2_K, SM_QK_K, 10, sm_quantize_row_q2_k),
  WRITTEN (q3_k, Q3_K, SM_QK_K, 11, sm_quantize_row_q3_k),
  WRITTEN (q4_k, Q4_K, SM_QK_K, 14, sm_quantize_row_q4_k),
  WRITTEN (q5_k, Q5_K, SM_QK_K, 16, sm_quantize_row_q5_k),
  WRITTEN (q6_k, Q6_K, SM_QK_K, 18, sm_quantize_row_q6_k),
};

const SmDTypeTraits *
sm_dtype_traits (SmDType dtype)
{
  g_return_val_if_fail ((guint) dtype < SM_N_DTYPES, NULL);
  return &traits[dtype];
}

const SmDTypeTraits *
sm_dtype_traits_from_ggml (guint32 ggml_type, SmDType *dtype)
{
  for (guint i = 0; i < SM_N_DTYPES; i++)
    if (traits[i].ggml_type == ggml_type)
      {
        if (dtype != NULL)
          *dtype = (SmDType) i;
        return &traits[i];
      }
  return NULL;
}

const char *
sm_dtype_ggml_type_name (guint32 ggml_type)
{
  /* ggml's whole list, so that a refusal names what the file holds. */
  static const char *const names[] = {
    [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [6] = "Q5_0", [7] = "Q5_1",
    [8] = "Q8_0", [9] = "Q8_1", [10] = "Q2_K", [11] = "Q3_K", [12] = "Q4_K", [13] = "Q5_K",
    [14] = "Q6_K", [15] = "Q8_K", [16] = "IQ2_XXS", [17] = "IQ2_XS", [18] = "IQ3_XXS",
    [19] = "IQ1_S", [20] = "IQ4_NL", [21] = "IQ3_S", [22] = "IQ2_S", [23] = "IQ4_XS",
    [24] = "I8", [25] = "I16", [26] = "I32", [27] = "I64", [28] = "F64", [29] = "IQ1_M",
    [30] = "BF16", [34] = "TQ1_0", [35] = "TQ2_0",
  };
  if (ggml_type < G_N_ELEMENTS (names) && names[ggml_type] != NULL)
    return names[ggml_type];
  return "unknown";
}

char *
sm_dtype_quantize_targets (void)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GString *s = g_string_new (NULL);

  /* Quantized types first, in table order, then the float ones widest last, as the help has
   * always listed them. */
  for (guint i = 0; i < SM_N_DTYPES; i++)
    if (traits[i].quantize_target && traits[i].block_elems > 1)
      g_ptr_array_add (names, (gpointer) traits[i].name);
  for (guint i = SM_N_DTYPES; i-- > 0;)
    if (traits[i].quantize_target && traits[i].block_elems == 1)
      g_ptr_array_add (names, (gpointer) traits[i].name);
  for (guint i = 0; i < names->len; i++)
    {
      if (i > 0)
        g_string_append (s, i + 1 == names->len ? " or " : ", ");
      g_string_append (s, names->pdata[i]);
    }
  return g_string_free (s, FALSE);
}

/* ---- the shorthands ------------------------------------------------------------------------ */

const char *
sm_dtype_name (SmDType dtype)
{
  g_return_val_if_fail ((guint) dtype < SM_N_DTYPES, "invalid");
  return traits[dtype].name;
}

gboolean
sm_dtype_from_name (const char *name, SmDType *dtype)
{
  g_return_val_if_fail (name != NULL, FALSE);

  /* Case-insensitive: GGUF and llama.cpp spell them "Q8_0", "F16". */
  for (guint i = 0; i < SM_N_DTYPES; i++)
    if (g_ascii_strcasecmp (name, traits[i].name) == 0)
      {
        if (dtype != NULL)
          *dtype = (SmDType) i;
        return TRUE;
      }
  return FALSE;
}

gsize
sm_dtype_block_elems (SmDType dtype)
{
  g_return_val_if_fail ((guint) dtype < SM_N_DTYPES, 0);
  return traits[dtype].block_elems;
}

gsize
sm_dtype_block_bytes (SmDType dtype)
{
  g_return_val_if_fail ((guint) dtype < SM_N_DTYPES, 0);
  return traits[dtype].block_bytes;
}

gsize
sm_dtype_row_bytes (SmDType dtype, gint64 n)
{
  g_return_val_if_fail ((guint) dtype < SM_N_DTYPES, 0);
  g_return_val_if_fail (n >= 0 && n % (gint64) traits[dtype].block_elems == 0, 0);
  return (gsize) n / traits[dtype].block_elems * traits[dtype].block_bytes;
}
