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
#include "sm-quants.h"
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


/* Q8_K, the K-quants' activations, through the table in force: every level's is bit for bit
 * ggml's quantize_row_q8_K_ref, and it runs once per token and matmul input. */
static void
q8_k_from_f32 (const float *x, void *y, gsize k)
{
  sm_kernels ()->quantize_row_q8_k (x, y, k);
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

/* Prefill of the quantized types runs the int8 GEMM where the level in force has one (the
 * VNNI levels) from this many tokens: below it the GEMV of each token wins (measured on the
 * 1B shape, see README).  Otherwise Q8_0 and Q4_0 have a GEMM of one GEMV a token over a slab
 * of W, and the others one dot an output; Q4_K and Q6_K (a Q4_K_M file's types) have a GEMV
 * for decode.  The quantized kernels read W's rows and x's rows back to back (ldw, ldx are
 * the row sizes), and everything goes through the table in force, so a level switch reaches
 * them all. */
#define I8_MIN_TOKENS 4

static gboolean
i8_matmul (SmI8Weight w, gsize n, gsize N, gsize K, const void *W, gsize ldw, const void *x,
           gsize ldx, float *y, gsize ldy)
{
  return n >= I8_MIN_TOKENS && sm_gemm_i8 (w, n, N, K, W, ldw, x, ldx, y, ldy);
}

static void
q8_0_matmul (gsize n, gsize N, gsize K, const void *W, gsize ldw, const void *x, gsize ldx,
             float *y, gsize ldy)
{
  if (n == 1)
    sm_gemv_q8_0 (N, K, W, x, y);
  else if (!i8_matmul (SM_I8_Q8_0, n, N, K, W, ldw, x, ldx, y, ldy))
    sm_gemm_q8_0 (n, N, K, W, x, y, ldy);
}

static void
q4_0_matmul (gsize n, gsize N, gsize K, const void *W, gsize ldw, const void *x, gsize ldx,
             float *y, gsize ldy)
{
  if (n == 1)
    sm_gemv_q4_0 (N, K, W, x, y);
  else if (!i8_matmul (SM_I8_Q4_0, n, N, K, W, ldw, x, ldx, y, ldy))
    sm_gemm_q4_0 (n, N, K, W, x, y, ldy);
}

#define DOT_MATMUL(type, kind, dot)                                                             \
  static void                                                                                   \
  type##_matmul (gsize n, gsize N, gsize K, const void *W, gsize ldw, const void *x, gsize ldx,  \
                 float *y, gsize ldy)                                                           \
  {                                                                                             \
    if (!i8_matmul (kind, n, N, K, W, ldw, x, ldx, y, ldy))                                     \
      sm_matmul_dot (n, N, K, W, ldw, x, ldx, y, ldy, sm_kernels ()->dot);                      \
  }
DOT_MATMUL (q4_1, SM_I8_Q4_1, vec_dot_q4_1_q8_1)
DOT_MATMUL (q5_0, SM_I8_Q5_0, vec_dot_q5_0_q8_0)
DOT_MATMUL (q5_1, SM_I8_Q5_1, vec_dot_q5_1_q8_1)
DOT_MATMUL (iq4_nl, SM_I8_IQ4_NL, vec_dot_iq4_nl_q8_0)
DOT_MATMUL (q2_k, SM_I8_Q2_K, vec_dot_q2_k_q8_k)
DOT_MATMUL (q3_k, SM_I8_Q3_K, vec_dot_q3_k_q8_k)
DOT_MATMUL (q5_k, SM_I8_Q5_K, vec_dot_q5_k_q8_k)
#undef DOT_MATMUL

#define GEMV_MATMUL(type, kind, dot)                                                            \
  static void                                                                                   \
  type##_matmul (gsize n, gsize N, gsize K, const void *W, gsize ldw, const void *x, gsize ldx,  \
                 float *y, gsize ldy)                                                           \
  {                                                                                             \
    if (n == 1)                                                                                 \
      sm_gemv_##type (N, K, W, x, y);                                                           \
    else if (!i8_matmul (kind, n, N, K, W, ldw, x, ldx, y, ldy))                                \
      sm_matmul_dot (n, N, K, W, ldw, x, ldx, y, ldy, sm_kernels ()->dot);                      \
  }
GEMV_MATMUL (q4_k, SM_I8_Q4_K, vec_dot_q4_k_q8_k)
GEMV_MATMUL (q6_k, SM_I8_Q6_K, vec_dot_q6_k_q8_k)
#undef GEMV_MATMUL

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
  /* ggml's other types, read from GGUF, run, and written by `quantize`'s mixes (llama-quantize's,
   * sm-quant-mix.c: so no plain --type of one).  Activations pair as ggml pairs them: Q8_0 beside the symmetric
   * 32-blocks, Q8_1 (which carries d·Σq for the min's term) beside those with a min, Q8_K
   * beside the K-quants.  The dequantizers take (row, out, n) as to_f32 does.  A K-quant's
   * file type is llama.cpp's _S mix, the one closest to "all of this type". */
  [SM_DTYPE_Q4_1] = {
    .name = "q4_1", .ggml_name = "Q4_1", .ggml_type = SM_GGML_TYPE_Q4_1, .ggml_file_type = 3,
    .block_elems = SM_QK, .block_bytes = sizeof (SmBlockQ4_1), .data_align = 2,
    .to_f32 = sm_dequantize_row_q4_1, .from_f32 = sm_quantize_row_q4_1_ref,
    .vec_dot_type = SM_DTYPE_Q8_1, .matmul = q4_1_matmul,
  },
  [SM_DTYPE_Q5_0] = {
    .name = "q5_0", .ggml_name = "Q5_0", .ggml_type = SM_GGML_TYPE_Q5_0, .ggml_file_type = 8,
    .block_elems = SM_QK, .block_bytes = sizeof (SmBlockQ5_0), .data_align = 2,
    .to_f32 = sm_dequantize_row_q5_0, .from_f32 = sm_quantize_row_q5_0_ref,
    .vec_dot_type = SM_DTYPE_Q8_0, .matmul = q5_0_matmul,
  },
  [SM_DTYPE_Q5_1] = {
    .name = "q5_1", .ggml_name = "Q5_1", .ggml_type = SM_GGML_TYPE_Q5_1, .ggml_file_type = 9,
    .block_elems = SM_QK, .block_bytes = sizeof (SmBlockQ5_1), .data_align = 2,
    .to_f32 = sm_dequantize_row_q5_1, .from_f32 = sm_quantize_row_q5_1_ref,
    .vec_dot_type = SM_DTYPE_Q8_1, .matmul = q5_1_matmul,
  },
  [SM_DTYPE_IQ4_NL] = {
    .name = "iq4_nl", .ggml_name = "IQ4_NL", .ggml_type = SM_GGML_TYPE_IQ4_NL,
    .ggml_file_type = 25,
    .block_elems = SM_QK, .block_bytes = sizeof (SmBlockIQ4_NL), .data_align = 2,
    .to_f32 = sm_dequantize_row_iq4_nl, .from_f32 = sm_quantize_row_iq4_nl,
    .vec_dot_type = SM_DTYPE_Q8_0, .matmul = iq4_nl_matmul,
  },
  [SM_DTYPE_Q2_K] = {
    .name = "q2_k", .ggml_name = "Q2_K", .ggml_type = SM_GGML_TYPE_Q2_K, .ggml_file_type = 10,
    .block_elems = SM_QK_K, .block_bytes = sizeof (SmBlockQ2_K), .data_align = 2,
    .to_f32 = sm_dequantize_row_q2_k, .from_f32 = sm_quantize_row_q2_k,
    .vec_dot_type = SM_DTYPE_Q8_K, .matmul = q2_k_matmul,
  },
  [SM_DTYPE_Q3_K] = {
    .name = "q3_k", .ggml_name = "Q3_K", .ggml_type = SM_GGML_TYPE_Q3_K, .ggml_file_type = 11,
    .block_elems = SM_QK_K, .block_bytes = sizeof (SmBlockQ3_K), .data_align = 2,
    .to_f32 = sm_dequantize_row_q3_k, .from_f32 = sm_quantize_row_q3_k,
    .vec_dot_type = SM_DTYPE_Q8_K, .matmul = q3_k_matmul,
  },
  [SM_DTYPE_Q4_K] = {
    .name = "q4_k", .ggml_name = "Q4_K", .ggml_type = SM_GGML_TYPE_Q4_K, .ggml_file_type = 14,
    .block_elems = SM_QK_K, .block_bytes = sizeof (SmBlockQ4_K), .data_align = 2,
    .to_f32 = sm_dequantize_row_q4_k, .from_f32 = sm_quantize_row_q4_k,
    .vec_dot_type = SM_DTYPE_Q8_K, .matmul = q4_k_matmul,
  },
  [SM_DTYPE_Q5_K] = {
    .name = "q5_k", .ggml_name = "Q5_K", .ggml_type = SM_GGML_TYPE_Q5_K, .ggml_file_type = 16,
    .block_elems = SM_QK_K, .block_bytes = sizeof (SmBlockQ5_K), .data_align = 2,
    .to_f32 = sm_dequantize_row_q5_k, .from_f32 = sm_quantize_row_q5_k,
    .vec_dot_type = SM_DTYPE_Q8_K, .matmul = q5_k_matmul,
  },
  [SM_DTYPE_Q6_K] = {
    .name = "q6_k", .ggml_name = "Q6_K", .ggml_type = SM_GGML_TYPE_Q6_K, .ggml_file_type = 18,
    .block_elems = SM_QK_K, .block_bytes = sizeof (SmBlockQ6_K), .data_align = 2,
    .to_f32 = sm_dequantize_row_q6_k, .from_f32 = sm_quantize_row_q6_k,
    .vec_dot_type = SM_DTYPE_Q8_K, .matmul = q6_k_matmul,
  },
  /* Activation-only: quantized on the hot path by their scalar references (a row of x is
   * K elements, against N·K for the matmul it feeds). */
  [SM_DTYPE_Q8_1] = {
    .name = "q8_1", .ggml_name = "Q8_1", .ggml_type = SM_GGML_TYPE_Q8_1, .ggml_file_type = 0,
    .block_elems = SM_QK, .block_bytes = sizeof (SmBlockQ8_1), .data_align = 2,
    .to_f32 = sm_dequantize_row_q8_1, .from_f32 = sm_quantize_row_q8_1,
    .vec_dot_type = SM_DTYPE_F32,
  },
  [SM_DTYPE_Q8_K] = {
    .name = "q8_k", .ggml_name = "Q8_K", .ggml_type = SM_GGML_TYPE_Q8_K, .ggml_file_type = 0,
    .block_elems = SM_QK_K, .block_bytes = sizeof (SmBlockQ8_K), .data_align = 4,
    .to_f32 = sm_dequantize_row_q8_k, .from_f32 = q8_k_from_f32,
    .vec_dot_type = SM_DTYPE_F32,
  },
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
    if (traits[i].ggml_type == ggml_type && traits[i].matmul != NULL)
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
