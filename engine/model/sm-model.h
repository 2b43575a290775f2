/* sm-model.h: a transformer language model: its configuration, weights and tokenizer.
 *
 * The architectures share one forward pass (sm-forward.c); what sets each apart is a row of
 * the SmArchInfo table (sm-arch.c), so the pass reads "has q/k norms", not "is Qwen3":
 *   GPT    GGUF `gpt2`, and SmallMind's own Small and Medium: learned token + position
 *          embeddings, pre-norm LayerNorm blocks with biases, a fused QKV linear, a GELU MLP,
 *          an untied or tied LM head.
 *   LLAMA  RMSNorm, RoPE on adjacent pairs, SwiGLU MLP, grouped-query attention; from GGUF
 *          (`llama`: Llama 2 / 3, TinyLlama, SmolLM2, with Llama 3's rope_freqs) or llama2.c.
 *   QWEN2  LLaMA with q, k, v biases and RoPE on halves (NeoX).
 *   QWEN3  LLaMA with per-head RMSNorm of q and k before RoPE (NeoX), a head size of its own.
 *   PHI3   LLaMA with one fused QKV weight and one fused gate|up weight (NeoX), sliding window.
 *   GEMMA2 GeGLU MLP, norms after attention and MLP as well as before, embeddings scaled by
 *          √dim, tanh soft-capping of attention scores and logits, sliding-window attention on
 *          every other layer, a head size of its own, tied output.
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
  SM_ARCH_QWEN2,
  SM_ARCH_QWEN3,
  SM_ARCH_PHI3,
  SM_ARCH_GEMMA2,
  SM_N_ARCHS
} SmArch;

typedef enum {
  SM_FFN_GELU = 0,   /* down (gelu (up x + b) ) + b: GPT */
  SM_FFN_SWIGLU,     /* down (silu (gate x) * up x) */
  SM_FFN_GEGLU,      /* down (gelu (gate x) * up x): Gemma */
} SmFfnKind;

/* What an architecture is made of: the forward pass, the loaders, the writers and the tests
 * read this and never the SmArch value itself. */
typedef struct {
  const char *name;         /* SmallMind's short name: "gpt", "llama", "qwen2" (snapshots, CLI) */
  const char *gguf_name;    /* general.architecture: "gpt2", "llama", "qwen2" */
  const char *label;        /* "GPT-2", "LLaMA", "Qwen2" */
  gboolean    layer_norm;   /* LayerNorm with bias (else RMSNorm without) */
  gboolean    biases;       /* every linear has a bias: GPT */
  gboolean    pos_embd;     /* learned position embedding (else RoPE) */
  gboolean    qkv_fused;    /* one attn_qkv weight, rows q | k | v */
  gboolean    qkv_bias;     /* attn_q/k/v biases (Qwen2) */
  gboolean    qk_norm;      /* attn_q_norm / attn_k_norm over each head (Qwen3) */
  gboolean    post_norms;   /* attn_post_norm / ffn_post_norm before the residual add (Gemma 2) */
  gboolean    embd_scale;   /* token embeddings × √dim (Gemma) */
  SmFfnKind   ffn;
  gboolean    gate_up_fused; /* one ffn_up weight of 2 hidden rows, gate | up (Phi-3) */
  SmRopeMode  rope_mode;    /* for the architectures with RoPE */
} SmArchInfo;

const SmArchInfo *sm_arch_info          (SmArch arch);
/* By general.architecture; FALSE for an architecture SmallMind does not run. */
gboolean          sm_arch_from_gguf_name (const char *gguf_name, SmArch *arch);
/* By SmallMind's short name or the GGUF one ("gpt", "gpt2", "qwen2" ...). */
gboolean          sm_arch_from_name      (const char *name, SmArch *arch);
/* "gpt, llama, qwen2, ..." for messages. */
char             *sm_arch_list_names     (void);

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
  /* the architectures with RoPE */
  float      rope_base;
  int        rope_dims;       /* rotated dims per head (== head_dim usually) */
  SmRopeMode rope_mode;
  float      rope_freq_scale; /* linear RoPE scaling: positions × this; 0 or 1: none */
  gboolean   tied_output;     /* output.weight is token_embd.weight */
  /* attention: scores = q·k × query_scale (0: 1/√head_dim), then, when attn_softcap > 0,
   * cap · tanh (score / cap); logits likewise with final_softcap */
  float      query_scale;
  float      attn_softcap;
  float      final_softcap;
  /* sliding-window attention: a query sees the last sliding_window positions (itself
   * included) on the layers l with l % swa_period == 0 (Gemma 2: every other one; Phi-3:
   * swa_period 1, all); 0: every layer sees the whole context */
  int        sliding_window;
  int        swa_period;
} SmModelConfig;

/* Sets config's architecture and what comes with it as released (RoPE mode and base, norm
 * epsilon, soft-caps, sliding window), leaving the shape alone: for `init --arch`. */
void sm_arch_config_defaults (SmArch arch, SmModelConfig *config);

typedef struct _SmModel SmModel;

/* Reads GGUF, a llama2.c checkpoint (with @tokenizer_path, its tokenizer.bin; NULL looks for
 * tokenizer.bin beside it) or a SmallMind checkpoint, detected by content. */
SmModel             *sm_model_load          (const char *path, const char *tokenizer_path,
                                             GError **error);
/* The tokenizer a GGUF model gets: SmallMind's own kinds (tokenizer.ggml.model
 * "smallmind-bytes", "smallmind-bpe") or llama.cpp's (sm_tokenizer_new_from_gguf). */
SmTokenizer         *sm_model_tokenizer_from_gguf (SmGguf *gguf, GError **error);
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
/* For a model being made (`init`): the Jinja chat template it will carry, NULL for none; its
 * family is detected again. */
void                 sm_model_set_chat_template (SmModel *model, const char *jinja);
/* Its family (sm-chat-template.h): SM_CHAT_FORMAT_NONE without a template or for a template of
 * no known family. */
SmChatFormat         sm_model_get_chat_format (SmModel *model);
/* The vocabulary's kind, with its pre-tokenizer where it has one: "SentencePiece",
 * "GPT-2 byte-level BPE (qwen2)". */
char                *sm_model_describe_vocab (SmModel *model);
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
