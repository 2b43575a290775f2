/* sm-model-save.c: writing a model as GGUF, converting or quantizing its weights on the way
 * (`smallmind-cli quantize`, `smallmind-cli init`). */
#include "sm-model-private.h"
#include "sm-checkpoint.h"
#include "sm-gguf.h"
#include "sm-json.h"
#include "sm-quant-mix.h"

#include <string.h>

/* A copy of @t as @want (a new tensor) through f32, or a new reference to @t when nothing
 * changes. */
static SmTensor *
convert (SmTensor *t, SmDType want)
{
  const SmDTypeTraits *from = sm_dtype_traits (t->dtype), *to = sm_dtype_traits (want);
  const gint64 rows = t->n_dims == 2 ? t->shape[0] : 1;
  const gint64 cols = t->shape[t->n_dims - 1];
  g_autofree float *row = NULL;
  SmTensor *out;

  if (t->dtype == want)
    return sm_tensor_ref (t);
  out = sm_tensor_new (NULL, want, t->n_dims, t->shape);
  row = g_new (float, cols);
  for (gint64 r = 0; r < rows; r++)
    {
      from->to_f32 (sm_tensor_row (t, r), row, (gsize) cols);
      to->from_f32 (row, sm_tensor_row (out, r), (gsize) cols);
    }
  return out;
}

/* The type each tensor is written as, in foreach_tensor's order. */
typedef struct {
  SmGgufWriter  *w;
  const SmDType *types;
  guint          next;
} SaveCtx;

static void
add_tensor (const char *name, SmTensor *t, gpointer data)
{
  SaveCtx *ctx = data;
  g_autoptr (SmTensor) c = convert (t, ctx->types[ctx->next++]);
  sm_gguf_writer_add_tensor (ctx->w, name, c);
}

typedef struct {
  GPtrArray *names;    /* copies: foreach_tensor's names last only through the call */
  GArray    *tensors;  /* SmQuantTensor */
  GArray    *dtypes;   /* SmDType, the tensors' own */
} Census;

static void
list_tensor (const char *name, SmTensor *t, gpointer data)
{
  Census *c = data;
  char *copy = g_strdup (name);
  SmQuantTensor q = { copy, t->n_dims, t->shape[t->n_dims - 1] };

  g_ptr_array_add (c->names, copy);
  g_array_append_val (c->tensors, q);
  g_array_append_val (c->dtypes, t->dtype);
}

/* The types of every tensor in @mix, by llama-quantize's rules, as SmDTypes. */
static SmDType *
plan_mix (SmModel *model, const SmQuantMix *mix, GError **error)
{
  const SmModelConfig *c = &model->config;
  const SmQuantModelShape shape = { c->n_layers, c->n_heads, c->n_kv_heads };
  g_autoptr (GArray) tensors = g_array_new (FALSE, FALSE, sizeof (SmQuantTensor));
  g_autoptr (GArray) dtypes = g_array_new (FALSE, FALSE, sizeof (SmDType));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  Census census = { names, tensors, dtypes };

  sm_model_foreach_tensor (model, list_tensor, &census);
  g_autofree guint32 *ggml = g_new (guint32, MAX (tensors->len, 1));
  if (!sm_quant_mix_plan (mix, &shape, (const SmQuantTensor *) tensors->data, tensors->len,
                          ggml, error))
    return NULL;

  g_autofree SmDType *out = g_new (SmDType, MAX (tensors->len, 1));
  for (guint i = 0; i < tensors->len; i++)
    {
      if (ggml[i] == SM_QUANT_KEEP)
        out[i] = g_array_index (dtypes, SmDType, i);
      else if (sm_dtype_traits_from_ggml (ggml[i], &out[i]) == NULL)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                       "%s puts '%s' in %s, which SmallMind cannot write",
                       sm_quant_mix_get_name (mix),
                       g_array_index (tensors, SmQuantTensor, i).name,
                       sm_dtype_ggml_type_name (ggml[i]));
          return NULL;
        }
    }
  return g_steal_pointer (&out);
}

/* SmallMind's own plain layout: every matrix in @weight_type where its rows fit the blocks;
 * vectors (norms, biases), the position table and the rest stay f32. */
typedef struct {
  GArray *types;
  SmDType weight_type;
} Plain;

static void
plan_plain_one (const char *name, SmTensor *t, gpointer data)
{
  Plain *p = data;
  SmDType want = SM_DTYPE_F32;

  if (t->n_dims == 2 && !g_str_has_prefix (name, "position_embd"))
    {
      const gint64 block = (gint64) sm_dtype_block_elems (p->weight_type);
      want = t->shape[1] % block == 0 ? p->weight_type : SM_DTYPE_F32;
    }
  g_array_append_val (p->types, want);
}

static SmDType *
plan_plain (SmModel *model, SmDType weight_type)
{
  Plain p = { g_array_new (FALSE, FALSE, sizeof (SmDType)), weight_type };

  sm_model_foreach_tensor (model, plan_plain_one, &p);
  return (SmDType *) g_array_free (p.types, FALSE);
}

/* BOS, EOS and UNK where the vocabulary has them, and whether a text opens with BOS. */
static void
add_special_ids (SmGgufWriter *w, SmTokenizer *tok)
{
  if (sm_tokenizer_bos (tok) >= 0)
    sm_gguf_writer_set_u32 (w, "tokenizer.ggml.bos_token_id", sm_tokenizer_bos (tok));
  if (sm_tokenizer_eos (tok) >= 0)
    sm_gguf_writer_set_u32 (w, "tokenizer.ggml.eos_token_id", sm_tokenizer_eos (tok));
  if (sm_tokenizer_unk (tok) >= 0)
    sm_gguf_writer_set_u32 (w, "tokenizer.ggml.unknown_token_id", sm_tokenizer_unk (tok));
  sm_gguf_writer_set_bool (w, "tokenizer.ggml.add_bos_token", sm_tokenizer_get_add_bos (tok));
}

static void
add_tokenizer (SmGgufWriter *w, SmTokenizer *tok)
{
  const int n = sm_tokenizer_n_vocab (tok);

  switch (sm_tokenizer_get_kind (tok))
    {
    case SM_TOKENIZER_BYTES:
      {
        /* as GPT-2's 256 byte tokens: the same ids for every text, and a vocabulary llama.cpp
         * reads */
        g_autoptr (SmTokenizer) bytes = sm_tokenizer_new_gpt2_bytes ();
        add_tokenizer (w, bytes);
      }
      break;
    case SM_TOKENIZER_BPE:
      {
        /* SmallMind's own: its words keep apostrophes and the bytes of UTF-8 characters
         * ("don't" is one word), which no pre-tokenizer of llama.cpp does, so as a gpt2
         * vocabulary llama.cpp would cut some texts where training never did and give other
         * ids.  Kept under SmallMind's keys, which llama.cpp refuses by name. */
        gsize n_merges = 0;
        const gint32 *merges = sm_tokenizer_get_merges (tok, &n_merges);
        sm_gguf_writer_set_string (w, "tokenizer.ggml.model", "smallmind-bpe");
        sm_gguf_writer_set_i32_array (w, "smallmind.tokenizer.merges", merges, 2 * n_merges);
      }
      break;
    case SM_TOKENIZER_GPT2:
      {
        /* As llama.cpp's converter writes it: the pieces in GPT-2's byte alphabet, the merges
         * as "left right" in rank order, the pre-tokenizer by name. */
        g_autofree const char **pieces = g_new0 (const char *, n + 1);
        g_autofree gint32 *types = g_new (gint32, n);
        g_autoptr (GPtrArray) merges = g_ptr_array_new_with_free_func (g_free);
        gsize n_merges = 0;
        const gint32 *pairs = sm_tokenizer_get_merges (tok, &n_merges);
        for (int i = 0; i < n; i++)
          {
            pieces[i] = sm_tokenizer_token_piece (tok, i);
            types[i] = sm_tokenizer_token_type (tok, i);
          }
        for (gsize i = 0; i < n_merges; i++)
          g_ptr_array_add (merges, g_strconcat (sm_tokenizer_token_piece (tok, pairs[2 * i]), " ",
                                                sm_tokenizer_token_piece (tok, pairs[2 * i + 1]), NULL));
        sm_gguf_writer_set_string (w, "tokenizer.ggml.model", "gpt2");
        sm_gguf_writer_set_string (w, "tokenizer.ggml.pre", sm_tokenizer_get_pre (tok));
        sm_gguf_writer_set_string_array (w, "tokenizer.ggml.tokens", pieces, n);
        sm_gguf_writer_set_i32_array (w, "tokenizer.ggml.token_type", types, n);
        sm_gguf_writer_set_string_array (w, "tokenizer.ggml.merges",
                                         (const char *const *) merges->pdata, merges->len);
        add_special_ids (w, tok);
        sm_gguf_writer_set_bool (w, "tokenizer.ggml.add_eos_token", sm_tokenizer_get_add_eos (tok));
      }
      break;
    case SM_TOKENIZER_SPM:
    default:
      {
        g_autofree const char **pieces = g_new0 (const char *, n + 1);
        g_autofree float *scores = g_new (float, n);
        g_autofree gint32 *types = g_new (gint32, n);
        for (int i = 0; i < n; i++)
          {
            pieces[i] = sm_tokenizer_token_piece (tok, i);
            scores[i] = sm_tokenizer_token_score (tok, i);
            types[i] = sm_tokenizer_token_type (tok, i);
          }
        sm_gguf_writer_set_string (w, "tokenizer.ggml.model", "llama");
        sm_gguf_writer_set_string_array (w, "tokenizer.ggml.tokens", pieces, n);
        sm_gguf_writer_set_f32_array (w, "tokenizer.ggml.scores", scores, n);
        sm_gguf_writer_set_i32_array (w, "tokenizer.ggml.token_type", types, n);
        add_special_ids (w, tok);
        sm_gguf_writer_set_bool (w, "tokenizer.ggml.add_space_prefix", sm_tokenizer_get_add_space_prefix (tok));
      }
      break;
    }
}

static gboolean
save_gguf (SmModel *model, const char *path, guint32 file_type, const SmDType *types,
           GError **error)
{
  const SmModelConfig *c = &model->config;
  const SmArchInfo *a = sm_arch_info (c->arch);
  const char *arch = a->gguf_name;
  g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
  SaveCtx ctx = { w, types, 0 };

#define KEY(suffix) (g_snprintf (key, sizeof key, "%s." suffix, arch), key)
  char key[128];

  sm_gguf_writer_set_string (w, "general.architecture", arch);
  sm_gguf_writer_set_string (w, "general.name", model->name ? model->name : "model");
  sm_gguf_writer_set_u32 (w, "general.file_type", file_type);
  /* ggml's GGML_QNT_VERSION, which llama-quantize and llama.cpp's converters write */
  sm_gguf_writer_set_u32 (w, "general.quantization_version", 2);
  sm_gguf_writer_set_u32 (w, KEY ("context_length"), c->context_length);
  sm_gguf_writer_set_u32 (w, KEY ("embedding_length"), c->dim);
  sm_gguf_writer_set_u32 (w, KEY ("block_count"), c->n_layers);
  sm_gguf_writer_set_u32 (w, KEY ("feed_forward_length"), c->hidden_dim);
  sm_gguf_writer_set_u32 (w, KEY ("attention.head_count"), c->n_heads);
  if (a->layer_norm)
    sm_gguf_writer_set_f32 (w, KEY ("attention.layer_norm_epsilon"), c->norm_eps);
  else
    sm_gguf_writer_set_f32 (w, KEY ("attention.layer_norm_rms_epsilon"), c->norm_eps);
  if (!a->pos_embd)
    {
      sm_gguf_writer_set_u32 (w, KEY ("attention.head_count_kv"), c->n_kv_heads);
      sm_gguf_writer_set_f32 (w, KEY ("rope.freq_base"), c->rope_base);
      sm_gguf_writer_set_u32 (w, KEY ("rope.dimension_count"), c->rope_dims);
      if (c->rope_freq_scale > 0.0f && c->rope_freq_scale != 1.0f)
        {
          sm_gguf_writer_set_string (w, KEY ("rope.scaling.type"), "linear");
          sm_gguf_writer_set_f32 (w, KEY ("rope.scaling.factor"), 1.0f / c->rope_freq_scale);
        }
    }
  if (c->head_dim * c->n_heads != c->dim)
    {
      sm_gguf_writer_set_u32 (w, KEY ("attention.key_length"), c->head_dim);
      sm_gguf_writer_set_u32 (w, KEY ("attention.value_length"), c->head_dim);
    }
  if (c->sliding_window > 0)
    sm_gguf_writer_set_u32 (w, KEY ("attention.sliding_window"), c->sliding_window);
  if (c->attn_softcap > 0.0f)
    sm_gguf_writer_set_f32 (w, KEY ("attn_logit_softcapping"), c->attn_softcap);
  if (c->final_softcap > 0.0f)
    sm_gguf_writer_set_f32 (w, KEY ("final_logit_softcapping"), c->final_softcap);
#undef KEY

  add_tokenizer (w, model->tokenizer);
  /* the chat template rides along, so a converted model still formats its conversations */
  if (sm_model_get_chat_template (model) != NULL)
    sm_gguf_writer_set_string (w, "tokenizer.chat_template", sm_model_get_chat_template (model));
  sm_model_foreach_tensor (model, add_tensor, &ctx);
  return sm_gguf_writer_write (w, path, error);
}

gboolean
sm_model_save_gguf (SmModel *model, const char *path, SmDType weight_type, GError **error)
{
  g_autofree SmDType *types = plan_plain (model, weight_type);

  return save_gguf (model, path, sm_dtype_traits (weight_type)->ggml_file_type, types, error);
}

gboolean
sm_model_save_gguf_mix (SmModel *model, const char *path, const SmQuantMix *mix, gboolean pure,
                        GError **error)
{
  g_autofree SmDType *types = NULL;

  if (pure)
    {
      SmDType dtype;
      if (sm_dtype_traits_from_ggml (sm_quant_mix_get_default_type (mix), &dtype) == NULL)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                       "SmallMind cannot write %s",
                       sm_dtype_ggml_type_name (sm_quant_mix_get_default_type (mix)));
          return FALSE;
        }
      types = plan_plain (model, dtype);
    }
  else
    types = plan_mix (model, mix, error);

  if (types == NULL)
    return FALSE;
  return save_gguf (model, path, sm_quant_mix_get_file_type (mix), types, error);
}

/* ---- SmallMind checkpoint ------------------------------------------------------------------------ */

typedef struct {
  SmCheckpointWriter *w;
} CkCtx;

static void
add_ck_tensor (const char *name, SmTensor *t, gpointer data)
{
  sm_checkpoint_writer_add_tensor (((CkCtx *) data)->w, name, t);
}

gboolean
sm_model_save_checkpoint (SmModel *model, const char *path, JsonObject *extra, GError **error)
{
  const SmModelConfig *c = &model->config;
  g_autoptr (SmCheckpointWriter) w = sm_checkpoint_writer_new ();
  g_autoptr (JsonObject) meta = json_object_new ();
  JsonObject *cfg = json_object_new ();
  JsonObject *tok = json_object_new ();
  CkCtx ctx = { w };

  json_object_set_string_member (meta, "format", "smallmind");
  json_object_set_string_member (meta, "name", model->name ? model->name : "model");
  if (c->arch != SM_ARCH_GPT && c->arch != SM_ARCH_LLAMA)
    {
      json_object_unref (cfg);
      json_object_unref (tok);
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                   "A %s model is saved as GGUF, not as a SmallMind checkpoint",
                   sm_arch_info (c->arch)->label);
      return FALSE;
    }
  json_object_set_string_member (cfg, "arch", sm_arch_info (c->arch)->name);
  json_object_set_int_member (cfg, "vocab_size", c->vocab_size);
  json_object_set_int_member (cfg, "dim", c->dim);
  json_object_set_int_member (cfg, "n_layers", c->n_layers);
  json_object_set_int_member (cfg, "n_heads", c->n_heads);
  json_object_set_int_member (cfg, "n_kv_heads", c->n_kv_heads);
  json_object_set_int_member (cfg, "hidden_dim", c->hidden_dim);
  json_object_set_int_member (cfg, "context_length", c->context_length);
  json_object_set_double_member (cfg, "norm_eps", sm_json_double (c->norm_eps));
  json_object_set_double_member (cfg, "rope_base", sm_json_double (c->rope_base));
  json_object_set_boolean_member (cfg, "tied_output", c->tied_output);
  json_object_set_object_member (meta, "config", cfg);

  switch (sm_tokenizer_get_kind (model->tokenizer))
    {
    case SM_TOKENIZER_BYTES:
      json_object_set_string_member (tok, "kind", "bytes");
      break;
    case SM_TOKENIZER_BPE:
      {
        gsize n = 0;
        const gint32 *merges = sm_tokenizer_get_merges (model->tokenizer, &n);
        JsonArray *a = json_array_new ();
        for (gsize i = 0; i < 2 * n; i++)
          json_array_add_int_element (a, merges[i]);
        json_object_set_string_member (tok, "kind", "bpe");
        json_object_set_array_member (tok, "merges", a);
      }
      break;
    case SM_TOKENIZER_SPM:
    case SM_TOKENIZER_GPT2:
    default:
      json_object_unref (tok);
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                   "A model with a %s vocabulary is saved as GGUF, not as a SmallMind checkpoint",
                   sm_tokenizer_kind_name (model->tokenizer));
      return FALSE;
    }
  json_object_set_object_member (meta, "tokenizer", tok);
  if (extra)
    json_object_set_object_member (meta, "extra", json_object_ref (extra));

  sm_checkpoint_writer_set_metadata (w, meta);
  sm_model_foreach_tensor (model, add_ck_tensor, &ctx);
  return sm_checkpoint_writer_write (w, path, error);
}
