/* sm-model.c: model objects, presets and their seeded initialisation, and the list of weight
 * tensors every loader and writer walks. */
#include "sm-model-private.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (sm-model-error-quark, sm_model_error)

/* The largest shapes sm_model_validate_config () lets through. */
#define MAX_VOCAB   (1 << 24)
#define MAX_DIM     (1 << 16)
#define MAX_LAYERS  1024
#define MAX_HIDDEN  (1 << 18)
#define MAX_CONTEXT (1 << 20)
#define MAX_HEAD    (1 << 12)

static const struct {
  const char   *name;
  const char   *label;
  SmModelConfig config;
} presets[SM_N_PRESETS] = {
  [SM_PRESET_SMALL] = { "small", "SmallMind Small", {
    .arch = SM_ARCH_GPT, .vocab_size = 256, .dim = 128, .n_layers = 2, .n_heads = 4,
    .n_kv_heads = 4, .head_dim = 32, .hidden_dim = 512, .context_length = 64, .norm_eps = 1e-5f } },
  [SM_PRESET_MEDIUM] = { "medium", "SmallMind Medium", {
    .arch = SM_ARCH_GPT, .vocab_size = 512, .dim = 256, .n_layers = 4, .n_heads = 8,
    .n_kv_heads = 8, .head_dim = 32, .hidden_dim = 1024, .context_length = 128, .norm_eps = 1e-5f } },
};

void
sm_preset_config (SmPreset preset, SmModelConfig *config)
{
  g_return_if_fail (preset < SM_N_PRESETS);
  *config = presets[preset].config;
}

const char *
sm_preset_name (SmPreset preset)
{
  g_return_val_if_fail (preset < SM_N_PRESETS, NULL);
  return presets[preset].name;
}

gboolean
sm_preset_from_name (const char *name, SmPreset *preset)
{
  for (int i = 0; i < SM_N_PRESETS; i++)
    if (g_ascii_strcasecmp (name, presets[i].name) == 0)
      {
        *preset = (SmPreset) i;
        return TRUE;
      }
  return FALSE;
}

char *
sm_layer_tensor_name (int layer, const char *suffix)
{
  return g_strdup_printf ("blk.%d.%s", layer, suffix);
}

SmModel *
sm_model_alloc (const SmModelConfig *config, GError **error)
{
  SmModel *model = g_new0 (SmModel, 1);

  model->ref_count = 1;
  model->config = *config;
  if (model->config.n_kv_heads == 0)
    model->config.n_kv_heads = model->config.n_heads;
  if (model->config.n_heads > 0 && model->config.head_dim == 0)
    model->config.head_dim = model->config.dim / model->config.n_heads;
  if (!sm_arch_info (model->config.arch)->pos_embd && model->config.rope_dims == 0)
    model->config.rope_dims = model->config.head_dim;
  /* The shape is checked before anything is allocated for it: a layer count read from a file
   * may be anything, and so would the layer array be, and the walk over its tensors that
   * freeing the model makes. */
  if (!sm_model_validate_config (model, error))
    {
      g_free (model);
      return NULL;
    }
  model->w.layers = g_new0 (SmLayerWeights, model->config.n_layers);
  return model;
}

static void
add_slot (GPtrArray *slots, char *name, SmTensor **slot, gint64 rows, gint64 cols)
{
  SmTensorSlot *s = g_new0 (SmTensorSlot, 1);

  s->name = name;
  s->slot = slot;
  s->n_dims = cols > 0 ? 2 : 1;
  s->shape[0] = rows;
  s->shape[1] = cols;
  g_ptr_array_add (slots, s);
}

static void
slot_free (gpointer p)
{
  SmTensorSlot *s = p;
  g_free (s->name);
  g_free (s);
}

GPtrArray *
sm_model_tensor_slots (SmModel *model)
{
  const SmModelConfig *c = &model->config;
  const SmArchInfo *a = sm_arch_info (c->arch);
  GPtrArray *slots = g_ptr_array_new_with_free_func (slot_free);
  gint64 q_dim = (gint64) c->n_heads * c->head_dim;
  gint64 kv_dim = (gint64) c->n_kv_heads * c->head_dim;
  gint64 up_rows = a->gate_up_fused ? 2 * (gint64) c->hidden_dim : c->hidden_dim;

#define LAYER(suffix, slot, rows, cols) \
  add_slot (slots, sm_layer_tensor_name (l, suffix), slot, rows, cols)
  add_slot (slots, g_strdup ("token_embd.weight"), &model->w.token_embd, c->vocab_size, c->dim);
  if (a->pos_embd)
    add_slot (slots, g_strdup ("position_embd.weight"), &model->w.pos_embd, c->context_length, c->dim);

  for (int l = 0; model->w.layers != NULL && l < c->n_layers; l++)
    {
      SmLayerWeights *L = &model->w.layers[l];

      LAYER ("attn_norm.weight", &L->attn_norm, c->dim, 0);
      if (a->layer_norm)
        LAYER ("attn_norm.bias", &L->attn_norm_b, c->dim, 0);
      if (a->qkv_fused)
        {
          LAYER ("attn_qkv.weight", &L->wqkv, q_dim + 2 * kv_dim, c->dim);
          if (a->qkv_bias)
            LAYER ("attn_qkv.bias", &L->bqkv, q_dim + 2 * kv_dim, 0);
        }
      else
        {
          LAYER ("attn_q.weight", &L->wq, q_dim, c->dim);
          LAYER ("attn_k.weight", &L->wk, kv_dim, c->dim);
          LAYER ("attn_v.weight", &L->wv, kv_dim, c->dim);
          if (a->qkv_bias)
            {
              LAYER ("attn_q.bias", &L->bq, q_dim, 0);
              LAYER ("attn_k.bias", &L->bk, kv_dim, 0);
              LAYER ("attn_v.bias", &L->bv, kv_dim, 0);
            }
        }
      if (a->qk_norm)
        {
          LAYER ("attn_q_norm.weight", &L->q_norm, c->head_dim, 0);
          LAYER ("attn_k_norm.weight", &L->k_norm, c->head_dim, 0);
        }
      LAYER ("attn_output.weight", &L->wo, c->dim, q_dim);
      if (a->biases)
        LAYER ("attn_output.bias", &L->bo, c->dim, 0);
      if (a->post_norms)
        LAYER ("post_attention_norm.weight", &L->attn_post_norm, c->dim, 0);

      LAYER ("ffn_norm.weight", &L->ffn_norm, c->dim, 0);
      if (a->layer_norm)
        LAYER ("ffn_norm.bias", &L->ffn_norm_b, c->dim, 0);
      if (a->ffn != SM_FFN_GELU && !a->gate_up_fused)
        LAYER ("ffn_gate.weight", &L->w_gate, c->hidden_dim, c->dim);
      LAYER ("ffn_up.weight", &L->w_up, up_rows, c->dim);
      if (a->biases)
        LAYER ("ffn_up.bias", &L->b_up, c->hidden_dim, 0);
      LAYER ("ffn_down.weight", &L->w_down, c->dim, c->hidden_dim);
      if (a->biases)
        LAYER ("ffn_down.bias", &L->b_down, c->dim, 0);
      if (a->post_norms)
        LAYER ("post_ffw_norm.weight", &L->ffn_post_norm, c->dim, 0);
    }
#undef LAYER

  add_slot (slots, g_strdup ("output_norm.weight"), &model->w.output_norm, c->dim, 0);
  if (a->layer_norm)
    add_slot (slots, g_strdup ("output_norm.bias"), &model->w.output_norm_b, c->dim, 0);
  if (!c->tied_output)
    add_slot (slots, g_strdup ("output.weight"), &model->w.output, c->vocab_size, c->dim);
  if (!a->pos_embd)
    {
      add_slot (slots, g_strdup ("rope_freqs.weight"), &model->w.rope_freqs, c->rope_dims / 2, 0);
      ((SmTensorSlot *) g_ptr_array_index (slots, slots->len - 1))->optional = TRUE;
    }
  return slots;
}

gboolean
sm_model_validate_config (SmModel *model, GError **error)
{
  const SmModelConfig *c = &model->config;

  if (c->vocab_size <= 0 || c->dim <= 0 || c->n_layers <= 0 || c->n_heads <= 0 ||
      c->n_kv_heads <= 0 || c->hidden_dim <= 0 || c->context_length <= 0)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "Invalid model shape: vocab %d, dim %d, layers %d, heads %d/%d, hidden %d, context %d",
                   c->vocab_size, c->dim, c->n_layers, c->n_heads, c->n_kv_heads,
                   c->hidden_dim, c->context_length);
      return FALSE;
    }
  if (c->vocab_size > MAX_VOCAB || c->dim > MAX_DIM || c->n_layers > MAX_LAYERS ||
      c->hidden_dim > MAX_HIDDEN || c->context_length > MAX_CONTEXT || c->n_heads > c->dim)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "Model shape out of range: vocab %d, dim %d, layers %d, hidden %d, context %d",
                   c->vocab_size, c->dim, c->n_layers, c->hidden_dim, c->context_length);
      return FALSE;
    }
  if (c->head_dim <= 0 || c->head_dim > MAX_HEAD || c->n_heads % c->n_kv_heads != 0 ||
      (sm_arch_info (c->arch)->pos_embd && c->head_dim * c->n_heads != c->dim))
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "Inconsistent attention shape: dim %d, %d heads of %d, %d key/value heads",
                   c->dim, c->n_heads, c->head_dim, c->n_kv_heads);
      return FALSE;
    }
  if (!sm_arch_info (c->arch)->pos_embd &&
      (c->rope_dims <= 0 || c->rope_dims > c->head_dim || c->rope_dims % 2))
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "Invalid RoPE dimension count %d for heads of %d", c->rope_dims, c->head_dim);
      return FALSE;
    }
  /* sm_model_init_rope tabulates cos and sin for every position of the context at load: a
   * million positions of 128-wide heads (2^26 entries, 256 MB a table) is the most a released
   * model asks, and a 10 KB header asking for more would cost gigabytes and a minute before
   * its first token. */
  if (!sm_arch_info (c->arch)->pos_embd &&
      (gint64) c->context_length * (c->rope_dims / 2) > SM_MODEL_MAX_ROPE_ENTRIES)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "A context of %d positions with %d RoPE dims is more than SmallMind "
                   "tabulates (%" G_GINT64_FORMAT " entries)", c->context_length, c->rope_dims,
                   (gint64) SM_MODEL_MAX_ROPE_ENTRIES);
      return FALSE;
    }
  return sm_model_config_check_memory (c, sm_model_memory_limit (), error);
}

guint64
sm_model_memory_limit (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGESIZE);

  return pages > 0 && page > 0 ? (guint64) pages * (guint64) page : G_MAXUINT64;
}

gboolean
sm_model_config_check_memory (const SmModelConfig *c, guint64 limit, GError **error)
{
  /* Each factor is within the ranges above, so no product overflows 64 bits (2^61 at most). */
  guint64 rope = sm_arch_info (c->arch)->pos_embd
                 ? 0 : 2 * (guint64) c->context_length * (guint64) (c->rope_dims / 2) * 4;
  guint64 kv = 2 * (guint64) c->n_layers * (guint64) c->context_length
               * (guint64) c->n_kv_heads * (guint64) c->head_dim * 2;

  /* What the header alone makes the engine allocate, before any weight is read: the RoPE
   * tables at load, a session's KV cache over the whole context (counted in f16, its smallest
   * type).  Tensors must lie in the file, but the context shapes none of them, so a small file
   * can promise terabytes; g_malloc would abort on them. */
  if (rope + kv > limit)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "The model's context of %d positions needs %" G_GUINT64_FORMAT " MiB "
                   "(RoPE tables %" G_GUINT64_FORMAT " MiB, a KV cache of %d layers by %d "
                   "key/value heads of %d at f16 %" G_GUINT64_FORMAT " MiB), more than the "
                   "%" G_GUINT64_FORMAT " MiB of memory here",
                   c->context_length, (rope + kv) >> 20, rope >> 20, c->n_layers,
                   c->n_kv_heads, c->head_dim, kv >> 20, limit >> 20);
      return FALSE;
    }
  return TRUE;
}

gboolean
sm_model_validate (SmModel *model, GError **error)
{
  const SmModelConfig *c = &model->config;

  if (!sm_model_validate_config (model, error))
    return FALSE;

  g_autoptr (GPtrArray) slots = sm_model_tensor_slots (model);
  for (guint i = 0; i < slots->len; i++)
    {
      SmTensorSlot *s = g_ptr_array_index (slots, i);
      SmTensor *t = *s->slot;
      gboolean ok;

      if (t == NULL && s->optional)
        continue;
      if (t == NULL)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                       "Missing tensor '%s'", s->name);
          return FALSE;
        }
      ok = t->shape[0] == s->shape[0] &&
           (s->n_dims == 1 ? sm_tensor_n_elements (t) == s->shape[0]
                           : t->n_dims == 2 && t->shape[1] == s->shape[1]);
      if (!ok)
        {
          g_autofree char *have = sm_tensor_describe (t);
          g_autofree char *want = s->n_dims == 2
            ? g_strdup_printf ("[%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", s->shape[0], s->shape[1])
            : g_strdup_printf ("[%" G_GINT64_FORMAT "]", s->shape[0]);
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                       "Tensor '%s' is %s but the model's shape needs %s", s->name, have, want);
          return FALSE;
        }
      /* Vectors (norms, biases, embeddings rows we add) are read as f32 directly. */
      if (s->n_dims == 1 && t->dtype != SM_DTYPE_F32)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                       "Tensor '%s' is stored as %s; norms and biases must be f32",
                       s->name, sm_dtype_name (t->dtype));
          return FALSE;
        }
      if (!sm_tensor_is_contiguous (t))
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                       "Tensor '%s' is not contiguous", s->name);
          return FALSE;
        }
      /* `quantize` writes types for llama.cpp that the forward pass cannot multiply by yet;
       * an untied token embedding is only ever read a row at a time, through to_f32. */
      if (s->n_dims == 2 && sm_dtype_traits (t->dtype)->matmul == NULL &&
          (c->tied_output || t != model->w.token_embd))
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                       "Tensor '%s' is stored as %s, which SmallMind writes for llama.cpp but "
                       "cannot run yet", s->name, sm_dtype_traits (t->dtype)->ggml_name);
          return FALSE;
        }
    }
  if (c->tied_output)
    model->w.output = model->w.token_embd;
  if (model->w.pos_embd && model->w.pos_embd->dtype != SM_DTYPE_F32)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED,
                   "position_embd.weight must be f32");
      return FALSE;
    }
  return TRUE;
}

void
sm_model_init_rope (SmModel *model)
{
  const SmModelConfig *c = &model->config;
  int half = c->rope_dims / 2;

  g_clear_pointer (&model->rope_cos, g_free);
  g_clear_pointer (&model->rope_sin, g_free);
  const float *factors = model->w.rope_freqs ? sm_tensor_f32 (model->w.rope_freqs) : NULL;
  const float pos_scale = c->rope_freq_scale > 0.0f ? c->rope_freq_scale : 1.0f;

  if (sm_arch_info (c->arch)->pos_embd)
    return;

  model->rope_cos = g_new (float, (gsize) c->context_length * half);
  model->rope_sin = g_new (float, (gsize) c->context_length * half);
  for (int pos = 0; pos < c->context_length; pos++)
    for (int i = 0; i < half; i++)
      {
        /* Computed in float as llama2.c and ggml do, so greedy outputs match theirs exactly:
         * freq = base^(-2i/d), angle = pos · freq. */
        float freq = 1.0f / powf (c->rope_base, (float) (2 * i) / (float) c->rope_dims);
        /* in ggml's order: theta = freq_scale · ((pos · freq) / factor) */
        float angle = pos_scale * (((float) pos * freq) / (factors ? factors[i] : 1.0f));
        model->rope_cos[(gsize) pos * half + i] = cosf (angle);
        model->rope_sin[(gsize) pos * half + i] = sinf (angle);
      }
}

/* ---- seeded initialisation ------------------------------------------------------------------- */

typedef struct {
  guint64 state;
  gboolean have_spare;
  double spare;
} InitRng;

/* splitmix64: the same stream on every platform, unlike GRand's guint32 seed handling. */
static guint64
rng_next (InitRng *r)
{
  guint64 z = (r->state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double
rng_normal (InitRng *r)
{
  if (r->have_spare)
    {
      r->have_spare = FALSE;
      return r->spare;
    }
  double u1 = ((rng_next (r) >> 11) + 1.0) * 0x1.0p-53;   /* (0, 1] */
  double u2 = (rng_next (r) >> 11) * 0x1.0p-53;
  double m = sqrt (-2.0 * log (u1));
  r->spare = m * sin (2.0 * G_PI * u2);
  r->have_spare = TRUE;
  return m * cos (2.0 * G_PI * u2);
}

SmModel *
sm_model_new_random (const SmModelConfig *config, SmTokenizer *tokenizer, guint64 seed,
                     const char *name, GError **error)
{
  g_autoptr (SmModel) model = sm_model_alloc (config, error);
  InitRng rng = { .state = seed };
  g_autoptr (GPtrArray) slots = NULL;
  double resid_std;

  if (model == NULL)
    return NULL;
  if (sm_tokenizer_n_vocab (tokenizer) > model->config.vocab_size)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "The tokenizer has %d tokens but the model's vocabulary only %d",
                   sm_tokenizer_n_vocab (tokenizer), model->config.vocab_size);
      return NULL;
    }

  /* GPT-2: N(0, 0.02); projections into the residual stream scaled by 1/sqrt(2 layers) so the
   * stream's variance does not grow with depth. */
  resid_std = 0.02 / sqrt (2.0 * model->config.n_layers);
  slots = sm_model_tensor_slots (model);
  for (guint i = 0; i < slots->len; i++)
    {
      SmTensorSlot *s = g_ptr_array_index (slots, i);
      if (s->optional)
        continue;
      SmTensor *t = sm_tensor_new (NULL, SM_DTYPE_F32, s->n_dims, s->shape);
      float *x = sm_tensor_f32 (t);
      gint64 n = sm_tensor_n_elements (t);

      if (g_str_has_suffix (s->name, "norm.weight"))
        for (gint64 j = 0; j < n; j++)
          x[j] = 1.0f;
      else if (g_str_has_suffix (s->name, ".bias"))
        memset (x, 0, n * sizeof (float));
      else
        {
          double std = (g_str_has_suffix (s->name, "attn_output.weight") ||
                        g_str_has_suffix (s->name, "ffn_down.weight")) ? resid_std : 0.02;
          for (gint64 j = 0; j < n; j++)
            x[j] = (float) (std * rng_normal (&rng));
        }
      *s->slot = t;
    }

  model->name = g_strdup (name);
  model->format = g_strdup ("random");
  model->tokenizer = sm_tokenizer_ref (tokenizer);
  if (!sm_model_validate (model, error))
    return NULL;
  sm_model_init_rope (model);
  return g_steal_pointer (&model);
}

SmModel *
sm_model_new_preset (SmPreset preset, guint64 seed)
{
  g_autoptr (SmTokenizer) bytes = sm_tokenizer_new_bytes ();
  SmModel *model;

  g_return_val_if_fail (preset < SM_N_PRESETS, NULL);

  /* A preset with no checkpoint has no trained merges: Medium's ids above 255 stay unused
   * until a trained tokenizer comes with its checkpoint. */
  model = sm_model_new_random (&presets[preset].config, bytes, seed, presets[preset].label, NULL);
  g_assert (model != NULL);
  g_free (model->format);
  model->format = g_strdup ("preset");
  return model;
}

/* ---- object ------------------------------------------------------------------------------------ */

SmModel *
sm_model_ref (SmModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_atomic_int_inc (&model->ref_count);
  return model;
}

void
sm_model_unref (SmModel *model)
{
  if (model == NULL || !g_atomic_int_dec_and_test (&model->ref_count))
    return;

  g_autoptr (GPtrArray) slots = sm_model_tensor_slots (model);
  for (guint i = 0; i < slots->len; i++)
    {
      SmTensorSlot *s = g_ptr_array_index (slots, i);
      g_clear_pointer (s->slot, sm_tensor_unref);
    }
  if (model->config.tied_output)
    model->w.output = NULL;
  g_clear_pointer (&model->w.output, sm_tensor_unref);
  g_free (model->w.layers);
  g_clear_pointer (&model->tokenizer, sm_tokenizer_unref);
  g_free (model->rope_cos);
  g_free (model->rope_sin);
  g_free (model->name);
  g_free (model->chat_template);
  g_free (model->format);
  g_free (model->path);
  if (model->backing_free && model->backing)
    model->backing_free (model->backing);
  g_free (model);
}

const SmModelConfig *
sm_model_get_config (SmModel *model)
{
  return &model->config;
}

SmTokenizer *
sm_model_get_tokenizer (SmModel *model)
{
  return model->tokenizer;
}

const char *
sm_model_get_name (SmModel *model)
{
  return model->name;
}

const char *
sm_model_get_format (SmModel *model)
{
  return model->format;
}

const char *
sm_model_get_path (SmModel *model)
{
  return model->path;
}

const char *
sm_model_get_chat_template (SmModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->chat_template;
}

void
sm_model_set_chat_template (SmModel *model, const char *jinja)
{
  g_return_if_fail (model != NULL);
  g_free (model->chat_template);
  model->chat_template = g_strdup (jinja);
  model->chat_format = sm_chat_format_detect (model->chat_template);
}

SmChatFormat
sm_model_get_chat_format (SmModel *model)
{
  g_return_val_if_fail (model != NULL, SM_CHAT_FORMAT_NONE);
  return model->chat_format;
}

char *
sm_model_describe_vocab (SmModel *model)
{
  const char *pre;

  g_return_val_if_fail (model != NULL, NULL);
  pre = sm_tokenizer_get_pre (model->tokenizer);
  if (pre != NULL)
    return g_strdup_printf ("%s (%s)", sm_tokenizer_kind_name (model->tokenizer), pre);
  return g_strdup (sm_tokenizer_kind_name (model->tokenizer));
}

typedef struct {
  guint64 params;
  guint64 bytes;
  guint   types;   /* bit per SmDType */
} Census;

static void
census_one (const char *name, SmTensor *t, gpointer data)
{
  Census *c = data;
  c->params += (guint64) sm_tensor_n_elements (t);
  c->bytes += sm_tensor_n_bytes (t);
  c->types |= 1u << t->dtype;
}

guint64
sm_model_n_params (SmModel *model)
{
  Census c = { 0 };
  sm_model_foreach_tensor (model, census_one, &c);
  return c.params;
}

guint64
sm_model_weight_bytes (SmModel *model)
{
  Census c = { 0 };
  sm_model_foreach_tensor (model, census_one, &c);
  return c.bytes;
}

char *
sm_model_describe_types (SmModel *model)
{
  Census c = { 0 };
  GString *s = g_string_new (NULL);

  sm_model_foreach_tensor (model, census_one, &c);
  for (int t = 0; t < SM_N_DTYPES; t++)
    if (c.types & (1u << t))
      g_string_append_printf (s, "%s%s", s->len ? "+" : "", sm_dtype_name ((SmDType) t));
  return g_string_free (s, FALSE);
}

void
sm_model_foreach_tensor (SmModel *model,
                         void (*fn) (const char *name, SmTensor *t, gpointer data),
                         gpointer data)
{
  g_autoptr (GPtrArray) slots = sm_model_tensor_slots (model);

  for (guint i = 0; i < slots->len; i++)
    {
      SmTensorSlot *s = g_ptr_array_index (slots, i);
      if (*s->slot)
        fn (s->name, *s->slot, data);
    }
}
