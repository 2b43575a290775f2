/* sm-model.h: a transformer language model: its configuration, weights and tokenizer.
 *
 * Two families share one forward pass (sm-forward.c):
 *   GPT   SmallMind's own: learned token + position embeddings, pre-norm LayerNorm blocks, a
 *         fused QKV linear with bias, output projection with bias, a 4×C GELU MLP with biases,
 *         final LayerNorm, an untied LM head without bias.  Presets Small and Medium.
 *   LLAMA RMSNorm, RoPE, SwiGLU MLP, grouped-query attention, tied or untied output; loaded
 *         from GGUF (architecture `llama`) or a llama2.c checkpoint.
 * A model is immutable once loaded and may be shared by several sessions (sm-session.h).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm-chat-template.h"
#include "sm-kernels.h"
#include "sm-tensor.h"
#include "sm-quant-mix.h"
#include "sm-tokenizer.h"

G_BEGIN_DECLS

#define SM_MODEL_ERROR (sm_model_error_quark ())
typedef enum {
  SM_MODEL_ERROR_FORMAT,        /* the file is not a model we can read */
  SM_MODEL_ERROR_UNSUPPORTED,   /* an architecture or tensor type we do not handle */
  SM_MODEL_ERROR_INVALID,       /* inconsistent shapes or metadata */
  SM_MODEL_ERROR_CONTEXT_FULL,  /* a prompt or generation longer than the context */
  SM_MODEL_ERROR_TOKENIZER,     /* a llama2.c model without its tokenizer, or with another's */
} SmModelError;
GQuark sm_model_error_quark (void);

typedef enum {
  SM_ARCH_GPT = 0,
  SM_ARCH_LLAMA,
} SmArch;

typedef enum {
  SM_PRESET_SMALL = 0,   /* vocab 256, n_embd 128, 2 layers, 4 heads, context 64 */
  SM_PRESET_MEDIUM,      /* vocab 512, n_embd 256, 4 layers, 8 heads, context 128 */
  SM_N_PRESETS
} SmPreset;

typedef struct {
  SmArch     arch;
  int        vocab_size;
  int        dim;             /* residual stream width (n_embd) */
  int        n_layers;
  int        n_heads;
  int        n_kv_heads;      /* == n_heads without grouped-query attention */
  int        head_dim;        /* dim / n_heads */
  int        hidden_dim;      /* MLP width: 4 × dim for GPT */
  int        context_length;  /* positions the model was built for */
  float      norm_eps;
  /* LLaMA only */
  float      rope_base;
  int        rope_dims;       /* rotated dims per head (== head_dim usually) */
  SmRopeMode rope_mode;
  gboolean   tied_output;     /* output.weight is token_embd.weight */
} SmModelConfig;

typedef struct _SmModel SmModel;

/* Reads GGUF, a llama2.c checkpoint (with @tokenizer_path, its tokenizer.bin; NULL looks for
 * tokenizer.bin beside it) or a SmallMind checkpoint, detected by content. */
SmModel             *sm_model_load          (const char *path, const char *tokenizer_path,
                                             GError **error);
/* A preset with seeded random weights (GPT-2 style initialisation). */
SmModel             *sm_model_new_preset    (SmPreset preset, guint64 seed);
/* Any shape with seeded random weights, e.g. to benchmark a shape (`smallmind-cli init`);
 * @tokenizer may have fewer tokens than the vocabulary. */
SmModel             *sm_model_new_random    (const SmModelConfig *config, SmTokenizer *tokenizer,
                                             guint64 seed, const char *name, GError **error);
/* Writes the model as GGUF v3 (architecture `llama`, or `gpt2` for SmallMind's GPT models,
 * whose tensors GGUF names the same way), with its tokenizer; 2-D weights whose rows are a
 * multiple of 32 are stored as @weight_type (F32, F16, Q8_0 or Q4_0), the rest as f32.
 * Atomic: a temporary file renamed into place. */
gboolean             sm_model_save_gguf     (SmModel *model, const char *path, SmDType weight_type,
                                             GError **error);
/* Writes the model as GGUF as llama-quantize would write it in @mix (sm-quant-mix.h): each
 * tensor in the type llama.cpp's rules give it, general.file_type the mix's.  Types SmallMind
 * cannot run yet are written all the same (the file is for llama.cpp too).  @pure (as
 * llama-quantize --pure) skips the rules: every matrix in the mix's main type where its rows
 * fit, the rest f32, as sm_model_save_gguf.  Atomic. */
gboolean             sm_model_save_gguf_mix (SmModel *model, const char *path,
                                             const SmQuantMix *mix, gboolean pure,
                                             GError **error);
/* Writes a SmallMind checkpoint (GPT models with a bytes or BPE tokenizer; LLaMA models with a
 * SentencePiece vocabulary go to GGUF); @extra (may be NULL) is stored under "extra", e.g.
 * training state.  Atomic. */
gboolean             sm_model_save_checkpoint (SmModel *model, const char *path, JsonObject *extra,
                                               GError **error);
/* The trained checkpoint shipped for @preset (data/models/small.smck, medium.smck), looked for
 * in $SM_MODELS_DIR, the source tree and the installed data directory; NULL when none is
 * there (the preset then has only random weights). */
char                *sm_preset_find_checkpoint (SmPreset preset);
/* The trained checkpoint when there is one, else the seeded random preset. */
SmModel             *sm_model_load_builtin  (SmPreset preset, guint64 seed, GError **error);
/* The preset's shape, filled in without allocating weights. */
void                 sm_preset_config       (SmPreset preset, SmModelConfig *config);
const char          *sm_preset_name         (SmPreset preset);
gboolean             sm_preset_from_name    (const char *name, SmPreset *preset);

SmModel             *sm_model_ref           (SmModel *model);
void                 sm_model_unref         (SmModel *model);

const SmModelConfig *sm_model_get_config    (SmModel *model);
SmTokenizer         *sm_model_get_tokenizer (SmModel *model);
/* "stories260K", "SmallMind Small" ... */
const char          *sm_model_get_name      (SmModel *model);
/* "gguf", "llama2.c", "smallmind", "preset" */
const char          *sm_model_get_format    (SmModel *model);
const char          *sm_model_get_path      (SmModel *model);   /* NULL for a preset */
/* The Jinja chat template the file carries (GGUF tokenizer.chat_template); NULL when none. */
const char          *sm_model_get_chat_template (SmModel *model);
/* Its family (sm-chat-template.h): SM_CHAT_FORMAT_NONE without a template or for a template of
 * no known family. */
SmChatFormat         sm_model_get_chat_format (SmModel *model);
guint64              sm_model_n_params      (SmModel *model);
/* Bytes of weights and the types they are stored in ("f32", "f32+q8_0" ...). */
guint64              sm_model_weight_bytes  (SmModel *model);
char                *sm_model_describe_types (SmModel *model);
/* Calls @fn for every weight tensor, in a stable order. */
void                 sm_model_foreach_tensor (SmModel *model,
                                              void (*fn) (const char *name, SmTensor *t,
                                                          gpointer data),
                                              gpointer data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmModel, sm_model_unref)

G_END_DECLS
