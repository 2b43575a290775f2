/* sm-session.h: one conversation's state over a model: the KV cache and the position.
 *
 * The KV cache is rented from the pool when the session is made and held for its life; the
 * activations of each evaluation are rented and returned per call, so with the pool on a
 * steady decode makes no system allocation, and with it off the cost is visible.  A session
 * is used by one thread at a time.
 */
#pragma once

#include <glib.h>

#include "sm-model.h"
#include "sm-pool.h"
#include "sm-profiler.h"

G_BEGIN_DECLS

typedef struct _SmSession SmSession;

/* What the KV cache holds its keys and values in: f32, or f16 as llama.cpp's default cache
 * (-ctk/-ctv f16) does, in half the memory, each rounded to nearest even when stored and read
 * back as f32 by the attention. */
typedef enum {
  SM_KV_TYPE_F32 = 0,
  SM_KV_TYPE_F16,
  SM_KV_N_TYPES
} SmKvType;

/* "f32", "f16"; FALSE for any other name. */
const char   *sm_kv_type_to_string    (SmKvType type);
gboolean      sm_kv_type_from_string  (const char *name, SmKvType *type);
/* The bytes of a cache of @type over @n_ctx positions of a model of config @c (keys and values
 * together, padding included), as a session of it rents. */
gsize         sm_kv_type_cache_bytes  (const SmModelConfig *c, int n_ctx, SmKvType type);

/* @n_ctx: positions to hold (0: the model's context length; never more than it).  The session
 * also packs the model's f32 layer weights (up to 64 MB) into the layout the matrix kernels
 * read, once, from @pool: a new session sees weights as they are at its creation.  The KV
 * cache is f32; sm_session_new_full () chooses. */
SmSession    *sm_session_new          (SmModel *model, SmPool *pool, int n_ctx, GError **error);
SmSession    *sm_session_new_full     (SmModel *model, SmPool *pool, int n_ctx, SmKvType kv_type,
                                       GError **error);
void          sm_session_free         (SmSession *session);

SmModel      *sm_session_get_model    (SmSession *session);
int           sm_session_get_n_ctx    (SmSession *session);
SmKvType      sm_session_get_kv_type  (SmSession *session);
/* The KV cache's bytes (sm_kv_type_cache_bytes ()), held for the session's life. */
gsize         sm_session_get_kv_bytes (SmSession *session);
/* Tokens in the cache: the next token goes at this position. */
int           sm_session_get_pos      (SmSession *session);
/* Forgets everything from @pos on (0: the whole conversation), e.g. to regenerate a reply.
 * Returns the position kept: @pos, or 0 where a sliding window's ring has overwritten what a
 * query at @pos would read (the caller evaluates from there). */
int           sm_session_rewind       (SmSession *session, int pos);

/* The tokens in the cache (positions 0 .. pos-1). */
const gint32 *sm_session_get_tokens   (SmSession *session, int *n);

/* Runs the model over tokens[0..n) at positions pos..pos+n-1 (prefill when n > 1, as batched
 * GEMMs; decode when n == 1, as GEMVs) and leaves the last token's logits readable.  Fails
 * with SM_MODEL_ERROR_CONTEXT_FULL, changing nothing, when pos + n > n_ctx; with
 * SM_MODEL_ERROR_INVALID for a token id outside the vocabulary. */
gboolean      sm_session_eval         (SmSession *session, const gint32 *tokens, gsize n,
                                       GError **error);
/* (vocab) logits of the last evaluated token. */
const float  *sm_session_get_logits   (SmSession *session);

/* Per-op timings go to @profiler (may be NULL: no clock is read at all). */
void          sm_session_set_profiler (SmSession *session, SmProfiler *profiler);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmSession, sm_session_free)

G_END_DECLS
