/* sm-session-private.h: the session's state, shared by its lifecycle (sm-session.c) and the
 * forward pass (sm-forward.c). */
#pragma once

#include "sm-kv-cache.h"
#include "sm-model-private.h"
#include "sm-session.h"

G_BEGIN_DECLS

struct _SmSession {
  SmModel    *model;
  SmPool     *pool;
  SmProfiler *prof;
  int         n_ctx;        /* positions the cache holds */
  int         pos;          /* tokens in the cache */
  int         n_batch;      /* tokens per forward chunk during prefill */

  SmKvCache  *kv;           /* held for the session's life (sm-kv-cache.h) */
  float      *logits;       /* (vocab) of the last evaluated token */
  gint32     *history;      /* (n_ctx) the tokens in the cache, in order */

  /* The f32 layer weights in sm_pack_b16 () panels, for prefill's GEMMs: packed once here
   * rather than on every call (see sm_session_new ()).  Per session, not per model, so a
   * model whose weights change (the trainer's) is packed afresh by each new session. */
  const SmTensor **packed_of;
  float          **packed;
  guint            n_packed;
  /* Architectures with separate q, k, v and a gated MLP, when their weights are packed: per
   * layer wq, wk and wv stacked into one packed matrix (q_dim + 2 kv_dim rows), and w_gate
   * over w_up (2 hidden rows), so each block is one product as a fused QKV is; NULL
   * otherwise */
  float          **packed_qkv;
  float          **packed_gate_up;
};

/* Frees the packed weights: later passes take the unpacked paths (as a model over the packing
 * limit does), which tests hold to the same reference. */
void sm_session_drop_packed (SmSession *s);

/* @W's packed panels, or NULL when it has none. */
static inline const float *
sm_session_packed (const SmSession *s, const SmTensor *W)
{
  for (guint i = 0; i < s->n_packed; i++)
    if (s->packed_of[i] == W)
      return s->packed[i];
  return NULL;
}

/* Runs tokens[0..n) (n <= n_batch) at positions pos.. and advances pos. */
void sm_forward (SmSession *s, const gint32 *tokens, int n);

G_END_DECLS
