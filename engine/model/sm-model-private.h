/* sm-model-private.h: the weights behind SmModel, for the forward and backward passes and
 * the loaders.  Shapes are (rows, cols) with rows = output features: y = x · Wᵀ. */
#pragma once

#include "sm-model.h"

G_BEGIN_DECLS

typedef struct {
  /* attention block */
  SmTensor *attn_norm;     /* (dim)                                 */
  SmTensor *attn_norm_b;   /* (dim)            GPT: LayerNorm bias  */
  SmTensor *wqkv;          /* (q_dim + 2 kv_dim, dim)  qkv_fused: rows q | k | v */
  SmTensor *bqkv;          /* (q_dim + 2 kv_dim)       GPT                       */
  SmTensor *wq;            /* (q_dim, dim)     q_dim = n_heads hd                */
  SmTensor *wk;            /* (kv_dim, dim)    kv_dim = n_kv_heads hd            */
  SmTensor *wv;            /* (kv_dim, dim)                                      */
  SmTensor *bq;            /* (q_dim)          qkv_bias, separate weights (Qwen2) */
  SmTensor *bk;            /* (kv_dim)                                           */
  SmTensor *bv;            /* (kv_dim)                                           */
  SmTensor *q_norm;        /* (hd)             qk_norm: RMSNorm of each head     */
  SmTensor *k_norm;        /* (hd)                                               */
  SmTensor *wo;            /* (dim, q_dim)                                       */
  SmTensor *bo;            /* (dim)            GPT                               */
  SmTensor *attn_post_norm; /* (dim)           post_norms (Gemma 2)              */
  /* MLP block */
  SmTensor *ffn_norm;      /* (dim)                                              */
  SmTensor *ffn_norm_b;    /* (dim)            GPT                               */
  SmTensor *w_gate;        /* (hidden, dim)    SwiGLU / GeGLU gate               */
  SmTensor *w_up;          /* (hidden, dim); gate_up_fused: (2 hidden, dim), gate | up */
  SmTensor *b_up;          /* (hidden)         GPT                               */
  SmTensor *w_down;        /* (dim, hidden)                                      */
  SmTensor *b_down;        /* (dim)            GPT                               */
  SmTensor *ffn_post_norm; /* (dim)            post_norms                        */
} SmLayerWeights;

typedef struct {
  SmTensor       *token_embd;    /* (vocab, dim)                         */
  SmTensor       *pos_embd;      /* (context, dim)   GPT                 */
  SmLayerWeights *layers;        /* [n_layers]                           */
  SmTensor       *output_norm;   /* (dim)                                */
  SmTensor       *output_norm_b; /* (dim)            GPT                 */
  SmTensor       *output;        /* (vocab, dim)     may be token_embd   */
  SmTensor       *rope_freqs;    /* (rope_dims / 2)  optional: each pair's frequency is
                                  * divided by its factor (Llama 3's rope scaling) */
} SmWeights;

struct _SmModel {
  gint           ref_count;
  SmModelConfig  config;
  SmWeights      w;
  SmTokenizer   *tokenizer;
  char          *name;
  char          *format;
  char          *path;
  char          *chat_template;   /* GGUF tokenizer.chat_template (Jinja), or NULL */
  SmChatFormat   chat_format;     /* its family, detected once at load */
  /* RoPE tables, the architectures with RoPE: (context_length, rope_dims / 2) each */
  float         *rope_cos;
  float         *rope_sin;
  /* What keeps borrowed weights alive (a mapped file object), released last. */
  gpointer       backing;
  GDestroyNotify backing_free;
};

/* One expected weight tensor: its file name, where it goes, its shape. */
typedef struct {
  char      *name;
  SmTensor **slot;
  int        n_dims;
  gint64     shape[2];
  gboolean   optional;   /* may be absent (rope_freqs): left NULL, not made up by init */
} SmTensorSlot;

/* Every weight tensor the config calls for, in file order (GPtrArray of SmTensorSlot, owning
 * them).  A tied output is not listed: it is token_embd. */
GPtrArray *sm_model_tensor_slots  (SmModel *model);

/* The most entries (positions × rotated dims / 2) a model's RoPE tables may have. */
#define SM_MODEL_MAX_ROPE_ENTRIES ((gint64) 1 << 26)

/* Fills the derived fields of the config, checks its shape (sm_model_validate_config) and
 * allocates model->w.layers; NULL and an error for a shape out of range. */
SmModel  *sm_model_alloc          (const SmModelConfig *config, GError **error);
/* Shapes only (before tensors are attached), then shapes and every tensor. */
gboolean  sm_model_validate_config (SmModel *model, GError **error);
/* FALSE with an error naming the sizes when the RoPE tables and a KV cache over the whole
 * context (f16) of a model shaped @c would take more than @limit bytes; the load's check, with
 * sm_model_memory_limit () (the machine's physical memory). */
gboolean  sm_model_config_check_memory (const SmModelConfig *c, guint64 limit, GError **error);
guint64   sm_model_memory_limit    (void);
gboolean  sm_model_validate       (SmModel *model, GError **error);
/* The loaders of sm-model-load.c by format. */
SmModel  *sm_model_load_checkpoint (const char *path, GError **error);
SmModel  *sm_model_load_llama2c   (const char *path, const char *tokenizer_path, GError **error);
void      sm_model_init_rope      (SmModel *model);

/* Naming of the tensors, as llama.cpp's llama-arch.cpp names them for every architecture. */
char     *sm_layer_tensor_name    (int layer, const char *suffix);

G_END_DECLS
