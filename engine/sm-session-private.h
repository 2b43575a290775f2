/* sm-session-private.h: the session's state, shared by its lifecycle (sm-session.c) and the
 * forward pass (sm-forward.c). */
#pragma once

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
  int         kv_stride;    /* floats from one row of the transposed cache to the next (>= n_ctx) */

  /* KV cache, held for the session's life */
  float      *key_cache;    /* (n_layers, n_kv_heads, head_dim, kv_stride): transposed, see sm-forward.c */
  float      *value_cache;  /* (n_layers, n_kv_heads, head_dim, kv_stride) */
  float      *logits;       /* (vocab) of the last evaluated token */
  gint32     *history;      /* (n_ctx) the tokens in the cache, in order */
};

/* Runs tokens[0..n) (n <= n_batch) at positions pos.. and advances pos. */
void sm_forward (SmSession *s, const gint32 *tokens, int n);

G_END_DECLS
