/* sm-quant-mix.c: llama-quantize's per-tensor type rules (llama_tensor_get_type).
 *
 * Only the rules of the mixes offered here are kept (the IQ mixes', and those for Falcon,
 * mixture-of-experts and 70B models, cannot apply to the models SmallMind writes).  Without an
 * importance matrix, as llama-quantize runs by default and as SmallMind always does.
 */
#define G_LOG_DOMAIN "sm-model"

#include "sm-quant-mix.h"
#include "sm-dtype.h"
#include "sm-model.h"

#include <stdio.h>
#include <string.h>

/* llama.cpp's LLAMA_FTYPE_* values */
enum {
  FT_ALL_F32 = 0, FT_F16 = 1, FT_Q4_0 = 2, FT_Q4_1 = 3, FT_Q8_0 = 7, FT_Q5_0 = 8, FT_Q5_1 = 9,
  FT_Q2_K = 10, FT_Q3_K_S = 11, FT_Q3_K_M = 12, FT_Q3_K_L = 13, FT_Q4_K_S = 14, FT_Q4_K_M = 15,
  FT_Q5_K_S = 16, FT_Q5_K_M = 17, FT_Q6_K = 18,
};

struct _SmQuantMix {
  const char *name;
  guint32     file_type;
  guint32     default_type;   /* ggml type of the matrices no rule moves */
};

/* In llama-quantize's order of its help, the float ones last */
static const SmQuantMix mixes[] = {
  { "q4_0", FT_Q4_0, SM_GGML_TYPE_Q4_0 },     { "q4_1", FT_Q4_1, SM_GGML_TYPE_Q4_1 },
  { "q5_0", FT_Q5_0, SM_GGML_TYPE_Q5_0 },     { "q5_1", FT_Q5_1, SM_GGML_TYPE_Q5_1 },
  { "q2_k", FT_Q2_K, SM_GGML_TYPE_Q2_K },     { "q3_k_s", FT_Q3_K_S, SM_GGML_TYPE_Q3_K },
  { "q3_k_m", FT_Q3_K_M, SM_GGML_TYPE_Q3_K }, { "q3_k_l", FT_Q3_K_L, SM_GGML_TYPE_Q3_K },
  { "q4_k_s", FT_Q4_K_S, SM_GGML_TYPE_Q4_K }, { "q4_k_m", FT_Q4_K_M, SM_GGML_TYPE_Q4_K },
  { "q5_k_s", FT_Q5_K_S, SM_GGML_TYPE_Q5_K }, { "q5_k_m", FT_Q5_K_M, SM_GGML_TYPE_Q5_K },
  { "q6_k", FT_Q6_K, SM_GGML_TYPE_Q6_K },     { "q8_0", FT_Q8_0, SM_GGML_TYPE_Q8_0 },
  { "f16", FT_F16, SM_GGML_TYPE_F16 },        { "f32", FT_ALL_F32, SM_GGML_TYPE_F32 },
};

/* llama-quantize's own aliases */
static const struct { const char *alias, *name; } aliases[] = {
  { "q3_k", "q3_k_m" }, { "q4_k", "q4_k_m" }, { "q5_k", "q5_k_m" },
};

const SmQuantMix *
sm_quant_mix_find (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (g_ascii_strcasecmp (name, aliases[i].alias) == 0)
      name = aliases[i].name;
  for (guint i = 0; i < G_N_ELEMENTS (mixes); i++)
    if (g_ascii_strcasecmp (name, mixes[i].name) == 0)
      return &mixes[i];
  return NULL;
}

char *
sm_quant_mix_list (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (mixes); i++)
    {
      if (i > 0)
        g_string_append (s, i + 1 == G_N_ELEMENTS (mixes) ? " or " : ", ");
      g_string_append (s, mixes[i].name);
    }
  return g_string_free (s, FALSE);
}

const char *
sm_quant_mix_get_name (const SmQuantMix *mix)
{
  g_return_val_if_fail (mix != NULL, NULL);
  return mix->name;
}

guint32
sm_quant_mix_get_file_type (const SmQuantMix *mix)
{
  g_return_val_if_fail (mix != NULL, 0);
  return mix->file_type;
}

guint32
sm_quant_mix_get_default_type (const SmQuantMix *mix)
{
  g_return_val_if_fail (mix != NULL, SM_GGML_TYPE_F32);
  return mix->default_type;
}

const char *
sm_quant_file_type_name (guint32 file_type)
{
  /* llama.h's whole list (4-6 and 33-35 are retired) */
  static const char *const names[] = {
    [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [4] = "Q4_1_SOME_F16", [7] = "Q8_0",
    [8] = "Q5_0", [9] = "Q5_1", [10] = "Q2_K", [11] = "Q3_K_S", [12] = "Q3_K_M",
    [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M", [16] = "Q5_K_S", [17] = "Q5_K_M",
    [18] = "Q6_K", [19] = "IQ2_XXS", [20] = "IQ2_XS", [21] = "Q2_K_S", [22] = "IQ3_XS",
    [23] = "IQ3_XXS", [24] = "IQ1_S", [25] = "IQ4_NL", [26] = "IQ3_S", [27] = "IQ3_M",
    [28] = "IQ2_S", [29] = "IQ2_M", [30] = "IQ4_XS", [31] = "IQ1_M", [32] = "BF16",
    [36] = "TQ1_0", [37] = "TQ2_0",
  };
  return file_type < G_N_ELEMENTS (names) ? names[file_type] : NULL;
}

/* ---- the rules ----------------------------------------------------------------------------- */

typedef struct {
  const SmQuantMix        *mix;
  const SmQuantModelShape *shape;
  gboolean has_output;       /* FALSE: token_embd is also the output and takes its rules */
  int      n_attention_wv;
  int      i_attention_wv;
  int      i_ffn_down;
} Plan;

/* llama.cpp's use_more_bits: the first and last eighth of the layers, and every third one
 * between, get the higher type in the _M mixes. */
static gboolean
use_more_bits (int i_layer, int n_layers)
{
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

static gsize
block_elems (guint32 ggml_type)
{
  const SmDTypeTraits *t = sm_dtype_traits_from_ggml (ggml_type, NULL);
  /* every type a rule names is in the table (a missing one is a build error in the table) */
  g_assert (t != NULL);
  return t->block_elems;
}

static gboolean
name_has (const char *name, const char *part)
{
  return strstr (name, part) != NULL;
}

/* llama-quantize's choice for one matrix, before the row-length fallback. */
static guint32
choose (Plan *p, const SmQuantTensor *t)
{
  const guint32 ft = p->mix->file_type;
  const int n_gqa = p->shape->n_kv_heads > 0 ? p->shape->n_heads / p->shape->n_kv_heads : 1;
  guint32 type = p->mix->default_type;

  if (strcmp (t->name, "output.weight") == 0 ||
      (!p->has_output && strcmp (t->name, "token_embd.weight") == 0))
    {
      /* the output matrix: Q6_K unless the mix is Q8_0, Q8_0 where rows do not fit the
       * mix's block */
      if (t->row_elems % (gint64) block_elems (type) != 0)
        type = SM_GGML_TYPE_Q8_0;
      else if (type != SM_GGML_TYPE_Q8_0)
        type = SM_GGML_TYPE_Q6_K;
    }
  else if (strcmp (t->name, "token_embd.weight") == 0)
    ;   /* only the IQ and TQ mixes move a separate token embedding */
  else if (name_has (t->name, "attn_v.weight"))
    {
      if (ft == FT_Q2_K)
        type = n_gqa >= 4 ? SM_GGML_TYPE_Q4_K : SM_GGML_TYPE_Q3_K;
      else if (ft == FT_Q3_K_M)
        type = p->i_attention_wv < 2 ? SM_GGML_TYPE_Q5_K : SM_GGML_TYPE_Q4_K;
      else if (ft == FT_Q3_K_L)
        type = SM_GGML_TYPE_Q5_K;
      else if ((ft == FT_Q4_K_M || ft == FT_Q5_K_M) &&
               use_more_bits (p->i_attention_wv, p->n_attention_wv))
        type = SM_GGML_TYPE_Q6_K;
      else if (ft == FT_Q4_K_S && p->i_attention_wv < 4)
        type = SM_GGML_TYPE_Q5_K;
      p->i_attention_wv++;
    }
  else if (name_has (t->name, "ffn_down"))
    {
      const int i = p->i_ffn_down, n = p->shape->n_layers;
      if (ft == FT_Q2_K)
        type = SM_GGML_TYPE_Q3_K;
      else if (ft == FT_Q3_K_M)
        type = i < n / 16 ? SM_GGML_TYPE_Q5_K : SM_GGML_TYPE_Q4_K;
      else if (ft == FT_Q3_K_L)
        type = SM_GGML_TYPE_Q5_K;
      else if (ft == FT_Q4_K_M && use_more_bits (i, n))
        type = SM_GGML_TYPE_Q6_K;
      else if (ft == FT_Q5_K_M && use_more_bits (i, n))
        type = SM_GGML_TYPE_Q6_K;
      else if (ft == FT_Q4_K_S && i < n / 8)
        type = SM_GGML_TYPE_Q5_K;
      p->i_ffn_down++;
    }
  else if (name_has (t->name, "attn_output.weight"))
    {
      if (ft == FT_Q2_K)
        type = SM_GGML_TYPE_Q3_K;
      else if (ft == FT_Q3_K_M)
        type = SM_GGML_TYPE_Q4_K;
      else if (ft == FT_Q3_K_L)
        type = SM_GGML_TYPE_Q5_K;
    }
  else if (name_has (t->name, "attn_qkv.weight"))
    {
      if (ft == FT_Q3_K_M || ft == FT_Q3_K_L)
        type = SM_GGML_TYPE_Q4_K;
      else if (ft == FT_Q4_K_M)
        type = SM_GGML_TYPE_Q5_K;
      else if (ft == FT_Q5_K_M)
        type = SM_GGML_TYPE_Q6_K;
    }
  return type;
}

/* llama.cpp's fallback for a row that is not whole blocks of the chosen type: a 32-weight type
 * of about the same size, then F16; the 32-weight mixes have none and are refused. */
static gboolean
fall_back (const SmQuantTensor *t, guint32 *type, GError **error)
{
  guint32 to;

  if (t->row_elems % (gint64) block_elems (*type) == 0)
    return TRUE;
  switch (*type)
    {
    case SM_GGML_TYPE_Q2_K:
    case SM_GGML_TYPE_Q3_K:
      to = SM_GGML_TYPE_IQ4_NL;
      break;
    case SM_GGML_TYPE_Q4_K:
      to = SM_GGML_TYPE_Q5_0;
      break;
    case SM_GGML_TYPE_Q5_K:
      to = SM_GGML_TYPE_Q5_1;
      break;
    case SM_GGML_TYPE_Q6_K:
      to = SM_GGML_TYPE_Q8_0;
      break;
    default:
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                   "Tensor '%s' has rows of %" G_GINT64_FORMAT " weights, not a multiple of "
                   "%s's %" G_GSIZE_FORMAT " (llama-quantize refuses this type for it too)",
                   t->name, t->row_elems, sm_dtype_ggml_type_name (*type), block_elems (*type));
      return FALSE;
    }
  *type = t->row_elems % (gint64) block_elems (to) == 0 ? to : SM_GGML_TYPE_F16;
  return TRUE;
}

/* llama-quantize quantizes 2-D tensors whose names end in "weight", except the norms and the
 * position and token-type tables. */
static gboolean
is_quantized (const SmQuantTensor *t)
{
  return t->n_dims >= 2 && g_str_has_suffix (t->name, "weight") &&
         !name_has (t->name, "_norm.weight") && strcmp (t->name, "position_embd.weight") != 0 &&
         strcmp (t->name, "token_types.weight") != 0;
}

gboolean
sm_quant_mix_plan (const SmQuantMix *mix, const SmQuantModelShape *shape,
                   const SmQuantTensor *tensors, gsize n, guint32 *types, GError **error)
{
  Plan p = { .mix = mix, .shape = shape };
  /* the float mixes take no rules: every matrix is F16 (or F32) */
  const gboolean rules = block_elems (mix->default_type) > 1;

  g_return_val_if_fail (mix != NULL && shape != NULL && (n == 0 || tensors != NULL), FALSE);

  for (gsize i = 0; i < n; i++)
    {
      if (strcmp (tensors[i].name, "output.weight") == 0)
        p.has_output = TRUE;
      if (name_has (tensors[i].name, "attn_v.weight") || name_has (tensors[i].name, "attn_qkv.weight") ||
          name_has (tensors[i].name, "attn_kv_b.weight"))
        p.n_attention_wv++;
    }
  for (gsize i = 0; i < n; i++)
    {
      if (!is_quantized (&tensors[i]))
        {
          types[i] = SM_QUANT_KEEP;
          continue;
        }
      types[i] = rules ? choose (&p, &tensors[i]) : mix->default_type;
      if (rules && !fall_back (&tensors[i], &types[i], error))
        return FALSE;
    }
  return TRUE;
}

/* ---- describing a file --------------------------------------------------------------------- */

typedef struct {
  guint32 type;
  guint   count;
} TypeCount;

static int
by_count (gconstpointer a, gconstpointer b)
{
  const TypeCount *x = a, *y = b;
  /* most first; equal counts in ggml's type order, so the line never depends on the file's */
  if (x->count != y->count)
    return x->count < y->count ? 1 : -1;
  return x->type < y->type ? -1 : x->type > y->type;
}

char *
sm_quant_describe_gguf (SmGguf *gguf)
{
  g_autoptr (GArray) counts = g_array_new (FALSE, FALSE, sizeof (TypeCount));
  GString *s = g_string_new (NULL);
  guint32 file_type;

  g_return_val_if_fail (gguf != NULL, NULL);

  if (!sm_gguf_get_u32 (gguf, "general.file_type", &file_type, NULL))
    g_string_append (s, "no general.file_type");
  else if (sm_quant_file_type_name (file_type) != NULL)
    g_string_append (s, sm_quant_file_type_name (file_type));
  else
    g_string_append_printf (s, "file type %u", file_type);

  for (gsize i = 0; i < sm_gguf_n_tensors (gguf); i++)
    {
      const guint32 type = sm_gguf_tensor_info (gguf, i)->ggml_type;
      guint j;
      for (j = 0; j < counts->len && g_array_index (counts, TypeCount, j).type != type; j++)
        ;
      if (j == counts->len)
        {
          TypeCount tc = { type, 0 };
          g_array_append_val (counts, tc);
        }
      g_array_index (counts, TypeCount, j).count++;
    }
  g_array_sort (counts, by_count);
  for (guint j = 0; j < counts->len; j++)
    {
      const TypeCount *tc = &g_array_index (counts, TypeCount, j);
      g_string_append_printf (s, "%s %u %s", j == 0 ? ":" : ",", tc->count,
                              sm_dtype_ggml_type_name (tc->type));
    }
  return g_string_free (s, FALSE);
}
