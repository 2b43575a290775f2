/* sm-train-private.h: the trainer's state, shared by its files: sm-train.c (parameters, the
 * batched forward and backward, steps), sm-train-data.c (token data), sm-train-tokenizer.c
 * (tokenizer files) and sm-train-checkpoint.c (checkpoints and resuming). */
#pragma once

#include "sm-train.h"
#include "sm-atomic-file.h"
#include "sm-adamw.h"
#include "sm-backward.h"
#include "sm-checkpoint.h"
#include "sm-model-private.h"
#include "sm-pool.h"
#include "sm-threads.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define PARAM_ALIGN 16   /* floats: every tensor starts on a 64-byte line */

/* ---- parameters ---------------------------------------------------------------------------------- */

/* One trained tensor's place in the flat arrays. */
typedef struct {
  char    *name;
  gsize    offset;    /* floats from the start */
  gsize    n;
  int      n_dims;
  gint64   shape[2];
  gboolean decay;     /* matrices and embeddings decay; norms and biases do not */
} Slot;

/* Pointers into one flat array (parameters, or gradients at the same offsets). */
typedef struct {
  float *ln1_w, *ln1_b;   /* (C)              */
  float *wqkv, *bqkv;     /* (3C, C), (3C)    */
  float *wo, *bo;         /* (C, C), (C)      */
  float *ln2_w, *ln2_b;   /* (C)              */
  float *w_up, *b_up;     /* (4C, C), (4C)    */
  float *w_down, *b_down; /* (C, 4C), (C)     */
} LayerPtrs;

typedef struct {
  float     *wte;         /* (V, C)           */
  float     *wpe;         /* (context, C)     */
  LayerPtrs *layers;      /* [L]              */
  float     *lnf_w, *lnf_b;
  float     *lm;          /* (V, C); wte when tied */
} Ptrs;

/* Activations of one micro-batch, N = B·T rows, sized for the params' B and T. */
typedef struct {
  float *ln1, *ln1_mean, *ln1_rstd;   /* (N, C), (N), (N)                     */
  float *qkv;                         /* (N, 3C)                              */
  float *att;                         /* (B, NH, T, T) softmax probabilities  */
  float *atty;                        /* (N, C) heads' outputs, before wo     */
  float *res2;                        /* (N, C) residual after attention      */
  float *ln2, *ln2_mean, *ln2_rstd;   /* (N, C), (N), (N)                     */
  float *fch;                         /* (N, 4C) before GELU                  */
  float *fch_gelu;                    /* (N, 4C)                              */
  float *res3;                        /* (N, C) the layer's output            */
} LayerActs;

typedef struct {
  float     *encoded;                 /* (N, C) embeddings                    */
  LayerActs *layers;                  /* [L]                                  */
  float     *lnf, *lnf_mean, *lnf_rstd;
  float     *logits;                  /* (N, V) logits, probabilities, dlogits */
  float     *losses;                  /* (N)                                  */
  /* backward scratch */
  float     *dres;                    /* (N, C) gradient of the residual stream */
  float     *dln;                     /* (N, C) of a norm's output / of atty  */
  float     *dbig;                    /* (N, 4C) of the MLP hidden / of qkv   */
  float     *datt;                    /* (B, NH, T, T)                        */
} Acts;

struct _SmTrainer {
  SmTrainParams  p;
  SmModel       *model;      /* tensors borrow from params */
  SmModelConfig  c;
  GPtrArray     *slots;      /* of Slot, checkpoint order */
  char         **names;      /* the slots' names, NULL-terminated */
  gsize          n_total;    /* floats in each flat array, padding included */
  SmTensor      *params, *grads, *m, *v;   /* (n_total) each, from the pool */
  Ptrs           P, G;
  GPtrArray     *buffers;    /* every activation buffer, returned to the pool at the end */
  Acts           a;
  int            B, T;       /* of the last forward */
  const gint32  *inputs, *targets;
  gint32        *batch;      /* (2, B·T) inputs then targets of the sampled micro-batch */
  int            step;
  guint64        tokens_seen;
  guint64        rng;
  JsonObject    *run_info;
  SmProfiler    *prof_fwd, *prof_bwd, *prof_opt;
};

struct _SmTrainData {
  SmTokenizer *tok;
  GArray      *tokens;    /* gint32 */
  gsize        n_bytes;
  char        *name;
};

/* A trainer with its arrays made for @init's shape, its parameters not yet set. */
SmTrainer *sm_trainer_alloc (SmModel *init, const SmTrainParams *params, GError **error);

/* A string member, or NULL when absent or of another type (json-glib warns on a mismatch). */
static inline const char *
member_string (JsonObject *o, const char *key)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
    ? json_node_get_string (n) : NULL;
}

/* An object member, or NULL. */
static inline JsonObject *
member_object (JsonObject *o, const char *key)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static inline void
unref_tensor (gpointer p)
{
  sm_tensor_unref (p);
}
