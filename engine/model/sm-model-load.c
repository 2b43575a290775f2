/* sm-model-load.c: building an SmModel from a file: GGUF (the architectures of sm-arch.c), a llama2.c
 * checkpoint with its tokenizer.bin, or a SmallMind checkpoint.  The format is told by the
 * file's first bytes, never by its name.  Weights are borrowed from the mapped file in their
 * stored type. */
#include "sm-model-private.h"
#include "sm-checkpoint.h"
#include "sm-gguf.h"
#include "sm-llama2c.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

/* ---- GGUF ------------------------------------------------------------------------------------- */

/* A model's name as the window, the CLI and snapshots show it: UTF-8, whatever bytes the file
 * held (GTK refuses others; a snapshot with them does not read back).  Takes @name. */
static char *
valid_name (char *name)
{
  char *valid;

  if (name == NULL || g_utf8_validate (name, -1, NULL))
    return name;
  valid = g_utf8_make_valid (name, -1);
  g_free (name);
  return valid;
}

static gboolean
gguf_u32 (SmGguf *g, const char *key, int *out, gboolean required, int fallback, GError **error)
{
  guint32 v;

  if (sm_gguf_find_key (g, key) < 0)
    {
      if (required)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_FORMAT,
                       "GGUF metadata lacks '%s'", key);
          return FALSE;
        }
      *out = fallback;
      return TRUE;
    }
  if (!sm_gguf_get_u32 (g, key, &v, error))
    return FALSE;
  if (v > G_MAXINT)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "GGUF metadata '%s' = %u is out of range", key, v);
      return FALSE;
    }
  *out = (int) v;
  return TRUE;
}

static gboolean
gguf_f32 (SmGguf *g, const char *key, float *out, float fallback, GError **error)
{
  if (sm_gguf_find_key (g, key) < 0)
    {
      *out = fallback;
      return TRUE;
    }
  return sm_gguf_get_f32 (g, key, out, error);
}

/* SmallMind's own tokenizers, stored under keys llama.cpp does not define, else llama.cpp's. */
SmTokenizer *
sm_model_tokenizer_from_gguf (SmGguf *g, GError **error)
{
  g_autofree char *kind = NULL;

  if (sm_gguf_find_key (g, "tokenizer.ggml.model") >= 0)
    kind = sm_gguf_get_string (g, "tokenizer.ggml.model", NULL);
  if (g_strcmp0 (kind, "smallmind-bytes") == 0)
    return sm_tokenizer_new_bytes ();
  if (g_strcmp0 (kind, "smallmind-bpe") == 0)
    {
      guint64 n = 0;
      g_autofree gint32 *merges = sm_gguf_get_i32_array (g, "smallmind.tokenizer.merges", &n, error);
      if (merges == NULL && n == 0 && error && *error)
        return NULL;
      if (n % 2)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_FORMAT,
                       "smallmind.tokenizer.merges holds an odd number of ids (%" G_GUINT64_FORMAT ")", n);
          return NULL;
        }
      return sm_tokenizer_new_bpe (merges, n / 2, error);
    }
  return sm_tokenizer_new_from_gguf (g, error);
}

static SmModel *
load_gguf (const char *path, GError **error)
{
  g_autoptr (SmGguf) g = sm_gguf_open (path, error);
  g_autofree char *arch = NULL;
  SmModelConfig c = { .rope_mode = SM_ROPE_NORM };
  const SmArchInfo *a;
  const SmGgufTensorInfo *embd;
  g_autoptr (SmModel) model = NULL;
  char key[128];

  if (g == NULL)
    return NULL;
  arch = sm_gguf_get_string (g, "general.architecture", error);
  if (arch == NULL)
    return NULL;
  if (!sm_arch_from_gguf_name (arch, &c.arch))
    {
      g_autofree char *known = NULL;
      GString *list = g_string_new (NULL);
      for (guint i = 0; i < SM_N_ARCHS; i++)
        g_string_append_printf (list, "%s%s", i ? ", " : "", sm_arch_info ((SmArch) i)->gguf_name);
      known = g_string_free (list, FALSE);
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                   "GGUF architecture '%s' is not supported (SmallMind runs %s)", arch, known);
      return NULL;
    }
  a = sm_arch_info (c.arch);
  c.rope_mode = a->rope_mode;

#define KEY(suffix) (g_snprintf (key, sizeof key, "%s." suffix, arch), key)
  if (!gguf_u32 (g, KEY ("embedding_length"), &c.dim, TRUE, 0, error) ||
      !gguf_u32 (g, KEY ("block_count"), &c.n_layers, TRUE, 0, error) ||
      !gguf_u32 (g, KEY ("feed_forward_length"), &c.hidden_dim, TRUE, 0, error) ||
      !gguf_u32 (g, KEY ("attention.head_count"), &c.n_heads, TRUE, 0, error) ||
      !gguf_u32 (g, KEY ("attention.head_count_kv"), &c.n_kv_heads, FALSE, c.n_heads, error) ||
      !gguf_u32 (g, KEY ("context_length"), &c.context_length, TRUE, 0, error))
    return NULL;
  if (c.n_heads <= 0)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID, "GGUF head count is 0");
      return NULL;
    }
  /* Gemma and Qwen3 heads are not dim / heads wide: llama.cpp's key_length says how wide */
  {
    int v_len = 0;
    if (!gguf_u32 (g, KEY ("attention.key_length"), &c.head_dim, FALSE, c.dim / c.n_heads, error) ||
        !gguf_u32 (g, KEY ("attention.value_length"), &v_len, FALSE, c.head_dim, error))
      return NULL;
    if (v_len != c.head_dim)
      {
        g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                     "Keys of %d and values of %d per head: SmallMind needs them equal",
                     c.head_dim, v_len);
        return NULL;
      }
  }
  if (a->layer_norm
      ? !gguf_f32 (g, KEY ("attention.layer_norm_epsilon"), &c.norm_eps, 1e-5f, error)
      : !gguf_f32 (g, KEY ("attention.layer_norm_rms_epsilon"), &c.norm_eps, 1e-5f, error))
    return NULL;
  if (!a->pos_embd)
    {
      g_autofree char *scaling = NULL;
      float factor = 0.0f;

      if (!gguf_f32 (g, KEY ("rope.freq_base"), &c.rope_base, 10000.0f, error) ||
          !gguf_u32 (g, KEY ("rope.dimension_count"), &c.rope_dims, FALSE, c.head_dim, error))
        return NULL;
      /* llama.cpp's default scaling is "linear" with a factor of 1, i.e. none */
      if (sm_gguf_find_key (g, KEY ("rope.scaling.type")) >= 0)
        scaling = sm_gguf_get_string (g, key, NULL);
      if (scaling != NULL && strcmp (scaling, "linear") != 0 && strcmp (scaling, "none") != 0)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                       "RoPE scaling '%s' is not supported (none, linear, and Llama 3's "
                       "rope_freqs are)", scaling);
          return NULL;
        }
      if (!gguf_f32 (g, KEY ("rope.scaling.factor"), &factor, 0.0f, error))
        return NULL;
      if (factor == 0.0f && !gguf_f32 (g, KEY ("rope.scale_linear"), &factor, 0.0f, error))
        return NULL;
      if (!(factor == 0.0f || (factor >= 1e-3f && factor <= 1e3f)) )
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                       "RoPE scaling factor %g is out of range", factor);
          return NULL;
        }
      c.rope_freq_scale = factor == 0.0f || (scaling && strcmp (scaling, "none") == 0) ? 1.0f : 1.0f / factor;
    }
  if (c.arch == SM_ARCH_GEMMA2)
    {
      /* llama.cpp's defaults for Gemma 2, which its converter also writes */
      if (!gguf_u32 (g, KEY ("attention.sliding_window"), &c.sliding_window, FALSE, 4096, error) ||
          !gguf_f32 (g, KEY ("attn_logit_softcapping"), &c.attn_softcap, 50.0f, error) ||
          !gguf_f32 (g, KEY ("final_logit_softcapping"), &c.final_softcap, 30.0f, error))
        return NULL;
      c.swa_period = 2;
      /* Gemma 2 27B scales queries by its model width over heads, the others by the head
       * size (gemma_pytorch; llama.cpp tells 27B by its 46 layers) */
      c.query_scale = 1.0f / sqrtf ((float) (c.n_layers == 46 ? c.dim / c.n_heads : c.head_dim));
    }
  if (c.arch == SM_ARCH_PHI3)
    {
      /* Phi-3's window, as llama.cpp's defaults for the files written before the key existed */
      int fallback = 0;
      if ((c.n_layers == 32 || c.n_layers == 40) && c.context_length == 4096)
        fallback = 2047;
      else if (c.n_layers == 32 && c.n_kv_heads == 32 && c.context_length == 131072)
        fallback = 262144;
      else if (c.n_layers == 40 && c.context_length == 131072)
        fallback = 131072;
      if (sm_gguf_find_key (g, KEY ("attention.sliding_window")) < 0 && fallback == 0)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                       "This Phi-3 file has no %s", key);
          return NULL;
        }
      if (!gguf_u32 (g, KEY ("attention.sliding_window"), &c.sliding_window, FALSE, fallback, error))
        return NULL;
      c.swa_period = 1;
      if (sm_gguf_find_tensor (g, "rope_factors_long.weight") != NULL ||
          sm_gguf_find_tensor (g, "rope_factors_short.weight") != NULL)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                       "LongRoPE (rope_factors_long / short, the 128k Phi-3 files) is not "
                       "supported yet");
          return NULL;
        }
    }
#undef KEY

  embd = sm_gguf_find_tensor (g, "token_embd.weight");
  if (embd == NULL || embd->n_dims != 2)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "GGUF file has no 2-D token_embd.weight");
      return NULL;
    }
  c.vocab_size = (int) MIN (embd->shape[0], (gint64) G_MAXINT);
  /* Gemma 2 always reads its logits from the embedding, as llama.cpp does */
  c.tied_output = c.arch == SM_ARCH_GEMMA2 || sm_gguf_find_tensor (g, "output.weight") == NULL;

  model = sm_model_alloc (&c, error);
  if (model == NULL)
    return NULL;

  g_autoptr (GPtrArray) slots = sm_model_tensor_slots (model);
  for (guint i = 0; i < slots->len; i++)
    {
      SmTensorSlot *s = g_ptr_array_index (slots, i);
      if (s->optional && sm_gguf_find_tensor (g, s->name) == NULL)
        continue;
      *s->slot = sm_gguf_get_tensor (g, s->name, error);
      if (*s->slot == NULL)
        return NULL;
    }
  if (!sm_model_validate (model, error))
    return NULL;

  model->tokenizer = sm_model_tokenizer_from_gguf (g, error);
  if (model->tokenizer == NULL)
    return NULL;
  if (sm_tokenizer_n_vocab (model->tokenizer) > c.vocab_size)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "The tokenizer has %d tokens but token_embd.weight has only %d rows",
                   sm_tokenizer_n_vocab (model->tokenizer), c.vocab_size);
      return NULL;
    }

  model->name = sm_gguf_find_key (g, "general.name") >= 0
    ? valid_name (sm_gguf_get_string (g, "general.name", NULL)) : NULL;
  /* llama.cpp's converters write the architecture ("llama") when they know no name: the file's
   * own name then says more, and the title, toasts, markers and snapshots all use it. */
  if (model->name != NULL && sm_gguf_find_key (g, "general.architecture") >= 0)
    {
      g_autofree char *arch_name = sm_gguf_get_string (g, "general.architecture", NULL);
      if (arch_name != NULL && g_ascii_strcasecmp (arch_name, model->name) == 0)
        g_clear_pointer (&model->name, g_free);
    }
  if (model->name == NULL)
    {
      char *dot;
      model->name = g_path_get_basename (path);
      if ((dot = strrchr (model->name, '.')) != NULL && dot != model->name)
        *dot = '\0';
    }
  model->format = g_strdup ("gguf");
  /* A template that is not a string is no template: the model still runs as plain text. */
  if (sm_gguf_find_key (g, "tokenizer.chat_template") >= 0)
    model->chat_template = sm_gguf_get_string (g, "tokenizer.chat_template", NULL);
  model->chat_format = sm_chat_format_detect (model->chat_template);
  sm_model_init_rope (model);
  return g_steal_pointer (&model);
}

/* ---- llama2.c -------------------------------------------------------------------------------- */

static void
unref_llama2c (gpointer p)
{
  sm_llama2c_unref (p);
}

SmModel *
sm_model_load_llama2c (const char *path, const char *tokenizer_path, GError **error)
{
  g_autoptr (SmLlama2c) l = sm_llama2c_open (path, error);
  g_autofree char *tok_path = NULL;
  const SmLlama2cConfig *lc;
  SmModelConfig c = { .arch = SM_ARCH_LLAMA, .rope_mode = SM_ROPE_NORM, .norm_eps = 1e-5f,
                      .rope_base = 10000.0f };
  g_autoptr (SmModel) model = NULL;

  if (l == NULL)
    return NULL;
  lc = sm_llama2c_get_config (l);
  c.vocab_size = lc->vocab_size;
  c.dim = lc->dim;
  c.n_layers = lc->n_layers;
  c.n_heads = lc->n_heads;
  c.n_kv_heads = lc->n_kv_heads;
  c.head_dim = lc->n_heads > 0 ? lc->dim / lc->n_heads : 0;
  c.hidden_dim = lc->hidden_dim;
  c.context_length = lc->seq_len;
  c.rope_dims = c.head_dim;
  c.tied_output = lc->shared_classifier;

  model = sm_model_alloc (&c, error);
  if (model == NULL)
    return NULL;
  g_autoptr (GPtrArray) slots = sm_model_tensor_slots (model);
  for (guint i = 0; i < slots->len; i++)
    {
      SmTensorSlot *s = g_ptr_array_index (slots, i);
      if (s->optional)
        continue;   /* llama2.c files hold only the required ones */
      *s->slot = sm_llama2c_get_tensor (l, s->name, error);
      if (*s->slot == NULL)
        return NULL;
    }
  if (!sm_model_validate (model, error))
    return NULL;

  /* llama2.c keeps its vocabulary in a separate file; by default the one beside the model:
   * tokNNN.bin, as llama2.c names a tokenizer of NNN tokens it trained, else tokenizer.bin
   * (its 32000-token Llama 2 vocabulary). */
  if (tokenizer_path == NULL)
    {
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *sized = g_strdup_printf ("tok%d.bin", c.vocab_size);

      tok_path = g_build_filename (dir, sized, NULL);
      if (!g_file_test (tok_path, G_FILE_TEST_IS_REGULAR))
        {
          g_free (tok_path);
          tok_path = g_build_filename (dir, "tokenizer.bin", NULL);
        }
      if (!g_file_test (tok_path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_TOKENIZER,
                       _("a llama2.c model keeps its vocabulary of %d tokens in a file of its own, "
                         "and neither %s nor tokenizer.bin is beside it: choose its tokenizer"),
                       c.vocab_size, sized);
          return NULL;
        }
      tokenizer_path = tok_path;
    }
  model->tokenizer = sm_tokenizer_new_llama2c (tokenizer_path, c.vocab_size, error);
  if (model->tokenizer == NULL)
    {
      g_autofree char *name = g_filename_display_basename (tokenizer_path);
      GError *local = g_steal_pointer (error);

      /* whatever is wrong with it, the way on is another tokenizer */
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_TOKENIZER, _("its tokenizer %s %s"), name,
                   local->message);
      g_error_free (local);
      return NULL;
    }

  model->name = g_path_get_basename (path);
  if (g_str_has_suffix (model->name, ".bin"))
    model->name[strlen (model->name) - 4] = '\0';
  model->format = g_strdup ("llama2.c");
  model->backing = g_steal_pointer (&l);
  model->backing_free = unref_llama2c;
  sm_model_init_rope (model);
  return g_steal_pointer (&model);
}

/* ---- SmallMind checkpoint ------------------------------------------------------------------------ */

/* The metadata's members by type: NULL (or FALSE) for one that is missing or of another type,
 * which json-glib's own getters would log as a critical, for a file's mistake. */
static JsonNode *
meta_member (JsonObject *o, const char *key)
{
  return o != NULL ? json_object_get_member (o, key) : NULL;
}

static JsonObject *
meta_object (JsonObject *o, const char *key)
{
  JsonNode *n = meta_member (o, key);
  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
meta_array (JsonObject *o, const char *key)
{
  JsonNode *n = meta_member (o, key);
  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static GType
meta_value_type (JsonNode *n)
{
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_value_type (n) : G_TYPE_INVALID;
}

static const char *
meta_string (JsonObject *o, const char *key)
{
  JsonNode *n = meta_member (o, key);
  return meta_value_type (n) == G_TYPE_STRING ? json_node_get_string (n) : NULL;
}

/* A number where one is given; @out keeps its default otherwise. */
static gboolean
meta_float (JsonObject *o, const char *key, float *out, GError **error)
{
  JsonNode *n = meta_member (o, key);
  GType t = meta_value_type (n);

  if (n == NULL)
    return TRUE;
  if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_FORMAT,
                   "Checkpoint config.%s is not a number", key);
      return FALSE;
    }
  *out = (float) json_node_get_double (n);
  return TRUE;
}

static gboolean
meta_int (JsonObject *o, const char *key, int *out, GError **error)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;
  gint64 v;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_FORMAT,
                   "Checkpoint metadata lacks the integer config.%s", key);
      return FALSE;
    }
  v = json_node_get_int (n);
  if (v < 0 || v > G_MAXINT)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "Checkpoint config.%s = %" G_GINT64_FORMAT " is out of range", key, v);
      return FALSE;
    }
  *out = (int) v;
  return TRUE;
}

static SmTokenizer *
checkpoint_tokenizer (JsonObject *meta, GError **error)
{
  JsonObject *t = meta_object (meta, "tokenizer");
  const char *kind = meta_string (t, "kind");

  if (g_strcmp0 (kind, "bytes") == 0)
    return sm_tokenizer_new_bytes ();
  if (g_strcmp0 (kind, "bpe") == 0)
    {
      JsonArray *a = meta_array (t, "merges");
      guint n = a ? json_array_get_length (a) : 0;
      g_autofree gint32 *merges = g_new (gint32, MAX (n, 1));

      if (a == NULL || n % 2)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_FORMAT,
                       "Checkpoint tokenizer.merges must be an even-length array of ids");
          return NULL;
        }
      for (guint i = 0; i < n; i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          gint64 id = meta_value_type (e) == G_TYPE_INT64 ? json_node_get_int (e) : -1;

          /* an id out of gint32's range would wrap into one the tokenizer accepts */
          if (id < 0 || id > G_MAXINT32)
            {
              g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_FORMAT,
                           "Checkpoint tokenizer.merges[%u] is not a token id", i);
              return NULL;
            }
          merges[i] = (gint32) id;
        }
      return sm_tokenizer_new_bpe (merges, n / 2, error);
    }
  g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_FORMAT,
               "Checkpoint tokenizer kind '%s' is unknown (bytes or bpe)", kind ? kind : "(none)");
  return NULL;
}

static void
unref_checkpoint (gpointer p)
{
  sm_checkpoint_unref (p);
}

SmModel *
sm_model_load_checkpoint (const char *path, GError **error)
{
  g_autoptr (SmCheckpoint) ck = sm_checkpoint_open (path, error);
  JsonObject *meta, *cfg;
  const char *arch;
  SmModelConfig c = { .rope_mode = SM_ROPE_NORM, .norm_eps = 1e-5f, .rope_base = 10000.0f };
  g_autoptr (SmModel) model = NULL;

  if (ck == NULL)
    return NULL;
  meta = sm_checkpoint_get_metadata (ck);
  cfg = meta_object (meta, "config");
  arch = meta_string (cfg, "arch");
  if (g_strcmp0 (arch, "gpt") == 0)
    c.arch = SM_ARCH_GPT;
  else if (g_strcmp0 (arch, "llama") == 0)
    c.arch = SM_ARCH_LLAMA;
  else
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_FORMAT,
                   "Checkpoint config.arch is '%s' (gpt or llama expected)", arch ? arch : "(missing)");
      return NULL;
    }
  if (!meta_int (cfg, "vocab_size", &c.vocab_size, error) || !meta_int (cfg, "dim", &c.dim, error) ||
      !meta_int (cfg, "n_layers", &c.n_layers, error) || !meta_int (cfg, "n_heads", &c.n_heads, error) ||
      !meta_int (cfg, "n_kv_heads", &c.n_kv_heads, error) ||
      !meta_int (cfg, "hidden_dim", &c.hidden_dim, error) ||
      !meta_int (cfg, "context_length", &c.context_length, error))
    return NULL;
  if (!meta_float (cfg, "norm_eps", &c.norm_eps, error) ||
      !meta_float (cfg, "rope_base", &c.rope_base, error))
    return NULL;
  if (meta_member (cfg, "tied_output") != NULL)
    {
      if (meta_value_type (meta_member (cfg, "tied_output")) != G_TYPE_BOOLEAN)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_FORMAT,
                       "Checkpoint config.tied_output is not true or false");
          return NULL;
        }
      c.tied_output = json_node_get_boolean (meta_member (cfg, "tied_output"));
    }
  c.head_dim = c.n_heads > 0 ? c.dim / c.n_heads : 0;
  c.rope_dims = c.head_dim;

  model = sm_model_alloc (&c, error);
  if (model == NULL)
    return NULL;
  g_autoptr (GPtrArray) slots = sm_model_tensor_slots (model);
  for (guint i = 0; i < slots->len; i++)
    {
      SmTensorSlot *s = g_ptr_array_index (slots, i);
      if (s->optional)
        continue;   /* SmallMind's checkpoints hold only the required ones */
      *s->slot = sm_checkpoint_get_tensor (ck, s->name, error);
      if (*s->slot == NULL)
        return NULL;
    }
  if (!sm_model_validate (model, error))
    return NULL;
  model->tokenizer = checkpoint_tokenizer (meta, error);
  if (model->tokenizer == NULL)
    return NULL;
  if (sm_tokenizer_n_vocab (model->tokenizer) > c.vocab_size)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "The tokenizer has %d tokens but the model's vocabulary only %d",
                   sm_tokenizer_n_vocab (model->tokenizer), c.vocab_size);
      return NULL;
    }
  model->name = meta_string (meta, "name") != NULL
    ? valid_name (g_strdup (meta_string (meta, "name"))) : g_path_get_basename (path);
  model->format = g_strdup ("smallmind");
  model->backing = g_steal_pointer (&ck);
  model->backing_free = unref_checkpoint;
  sm_model_init_rope (model);
  return g_steal_pointer (&model);
}

/* ---- entry point -------------------------------------------------------------------------------- */

typedef enum { FMT_UNKNOWN, FMT_GGUF, FMT_CHECKPOINT, FMT_LLAMA2C } FileFormat;

static FileFormat
sniff (const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, error);
  guint8 head[4] = { 0 };
  gsize got = 0;

  if (in == NULL)
    return FMT_UNKNOWN;
  if (!g_input_stream_read_all (G_INPUT_STREAM (in), head, sizeof head, &got, NULL, error))
    return FMT_UNKNOWN;
  if (got < sizeof head)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_FORMAT,
                   "%s is too short (%" G_GSIZE_FORMAT " bytes) to be a model", path, got);
      return FMT_UNKNOWN;
    }
  if (memcmp (head, "GGUF", 4) == 0)
    return FMT_GGUF;
  if (memcmp (head, "SMCK", 4) == 0)
    return FMT_CHECKPOINT;
  /* llama2.c has no magic in its legacy format (a header of int32s); its reader validates. */
  return FMT_LLAMA2C;
}

SmModel *
sm_model_load (const char *path, const char *tokenizer_path, GError **error)
{
  SmModel *model = NULL;
  GError *local = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  switch (sniff (path, &local))
    {
    case FMT_GGUF:
      model = load_gguf (path, &local);
      break;
    case FMT_CHECKPOINT:
      model = sm_model_load_checkpoint (path, &local);
      break;
    case FMT_LLAMA2C:
      model = sm_model_load_llama2c (path, tokenizer_path, &local);
      /* llama2.c is only the guess for a file without a magic: a damaged GGUF or checkpoint
       * lands here too, and should not read as a broken llama2.c file alone */
      if (model == NULL && g_error_matches (local, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT))
        g_prefix_error (&local, "%s", _("it has no GGUF or SmallMind magic at its start, and read "
                                        "as a llama2.c model (which has none), "));
      break;
    case FMT_UNKNOWN:
    default:
      break;
    }

  if (model == NULL)
    {
      /* The file is the caller's to name, once (the window has it in its title): the reason
       * alone, to follow "Cannot load FILE: ". */
      g_propagate_error (error, local);
      return NULL;
    }
  g_free (model->path);
  model->path = g_strdup (path);
  return model;
}
