/* sm-session.c: a conversation: its KV cache (sm-kv-cache.c), position, logits and the
 * packed weights its forward passes read. */
#include "sm-session-private.h"

#include <string.h>

/* Prefill runs in chunks of this many tokens: enough rows for GEMM to reach full speed, few
 * enough that the chunk's activations (a few MB for a 15M model) stay modest.  A sliding
 * window's ring holds one chunk beyond its window (sm-kv-cache.h). */
#define PREFILL_CHUNK SM_KV_CHUNK

/* Packed copies cost as much memory as the weights, so only models whose f32 layer weights
 * fit in this are packed; larger ones keep packing B on every prefill GEMM. */
#define PACK_MAX_BYTES ((gsize) 64 << 20)

static gboolean
f32_rows (const SmTensor *W, gsize K)
{
  return W != NULL && W->dtype == SM_DTYPE_F32 && W->n_dims == 2 && (gsize) W->shape[1] == K
         && W->strides[1] == sizeof (float);
}

/* The rows of @n_parts matrices stacked (all K wide), packed as one. */
static float *
pack_stacked (SmSession *s, const SmTensor *const *parts, int n_parts, gsize K)
{
  gsize N = 0, done = 0;
  float *stack, *P;

  for (int i = 0; i < n_parts; i++)
    N += (gsize) parts[i]->shape[0];
  stack = g_new (float, N * K);
  for (int i = 0; i < n_parts; i++)
    {
      const gsize ld = parts[i]->strides[0] / sizeof (float);
      for (gint64 r = 0; r < parts[i]->shape[0]; r++, done++)
        memcpy (stack + done * K, (const float *) parts[i]->data + (gsize) r * ld, K * sizeof (float));
    }
  P = sm_pool_rent (s->pool, sm_pack_b16_floats (N, K) * sizeof (float));
  sm_pack_b16 (N, K, stack, K, P);
  g_free (stack);
  return P;
}

/* Separate q, k, v and a gate and up (LLaMA, Qwen, Gemma), each set as one packed product
 * (see SmSession), when every one of them is an f32 matrix. */
static gboolean
pack_fused (SmSession *s)
{
  const SmModelConfig *c = &s->model->config;

  for (int l = 0; l < c->n_layers; l++)
    {
      const SmLayerWeights *L = &s->model->w.layers[l];
      gsize dim = (gsize) c->dim;
      if (!f32_rows (L->wq, dim) || !f32_rows (L->wk, dim) || !f32_rows (L->wv, dim)
          || !f32_rows (L->w_gate, dim) || !f32_rows (L->w_up, dim))
        return FALSE;
    }
  s->packed_qkv = g_new0 (float *, c->n_layers);
  s->packed_gate_up = g_new0 (float *, c->n_layers);
  for (int l = 0; l < c->n_layers; l++)
    {
      const SmLayerWeights *L = &s->model->w.layers[l];
      const SmTensor *qkv[] = { L->wq, L->wk, L->wv }, *gate_up[] = { L->w_gate, L->w_up };
      s->packed_qkv[l] = pack_stacked (s, qkv, 3, (gsize) c->dim);
      s->packed_gate_up[l] = pack_stacked (s, gate_up, 2, (gsize) c->dim);

    }
  return TRUE;
}

/* Packs every f32 layer weight a prefill multiplies by (the logits' head runs on one row and
 * stays a GEMV).  Medium's 13 MB take ~10 ms, once, against a 10-token prompt's 1.3 ms of
 * which the per-call packing was about a third. */
static void
pack_weights (SmSession *s)
{
  const SmModelConfig *c = &s->model->config;
  g_autoptr (GPtrArray) todo = g_ptr_array_new ();
  gsize bytes = 0;

  for (int l = 0; l < c->n_layers; l++)
    {
      const SmLayerWeights *L = &s->model->w.layers[l];
      const SmTensor *all[] = { L->wqkv, L->wq, L->wk, L->wv, L->wo, L->w_gate, L->w_up, L->w_down };
      for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
        {
          const SmTensor *W = all[i];
          if (W == NULL || W->dtype != SM_DTYPE_F32 || W->n_dims != 2
              || W->strides[1] != sizeof (float))
            continue;
          g_ptr_array_add (todo, (gpointer) W);
          bytes += sm_pack_b16_floats ((gsize) W->shape[0], (gsize) W->shape[1]) * sizeof (float);
        }
    }
  if (todo->len == 0 || bytes > PACK_MAX_BYTES)
    return;
  if (pack_fused (s))
    {
      /* wq, wk, wv, w_gate and w_up are in the fused packs now */
      for (int l = 0; l < c->n_layers; l++)
        {
          const SmLayerWeights *L = &s->model->w.layers[l];
          const SmTensor *fused[] = { L->wq, L->wk, L->wv, L->w_gate, L->w_up };
          for (gsize i = 0; i < G_N_ELEMENTS (fused); i++)
            g_ptr_array_remove (todo, (gpointer) fused[i]);
        }
    }

  s->packed_of = g_new (const SmTensor *, todo->len);
  s->packed = g_new (float *, todo->len);
  for (guint i = 0; i < todo->len; i++)
    {
      const SmTensor *W = todo->pdata[i];
      gsize N = (gsize) W->shape[0], K = (gsize) W->shape[1];
      s->packed_of[i] = W;
      s->packed[i] = sm_pool_rent (s->pool, sm_pack_b16_floats (N, K) * sizeof (float));
      sm_pack_b16 (N, K, W->data, W->strides[0] / sizeof (float), s->packed[i]);
    }
  s->n_packed = todo->len;
}

SmSession *
sm_session_new (SmModel *model, SmPool *pool, int n_ctx, GError **error)
{
  return sm_session_new_full (model, pool, n_ctx, SM_KV_TYPE_F32, error);
}

SmSession *
sm_session_new_full (SmModel *model, SmPool *pool, int n_ctx, SmKvType kv_type, GError **error)
{
  const SmModelConfig *c;
  SmSession *s;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail ((int) kv_type >= 0 && kv_type < SM_KV_N_TYPES, NULL);
  c = sm_model_get_config (model);
  if (n_ctx <= 0 || n_ctx > c->context_length)
    n_ctx = c->context_length;

  s = g_new0 (SmSession, 1);
  s->model = sm_model_ref (model);
  s->pool = pool ? pool : sm_pool_default ();
  s->n_ctx = n_ctx;
  s->n_batch = MIN (PREFILL_CHUNK, n_ctx);
  s->kv = sm_kv_cache_new (s->pool, c, n_ctx, kv_type);
  s->logits = sm_pool_rent0 (s->pool, (gsize) c->vocab_size * sizeof (float));
  s->history = g_new0 (gint32, n_ctx);
  pack_weights (s);
  (void) error;
  return s;
}

void
sm_session_drop_packed (SmSession *s)
{
  for (guint i = 0; i < s->n_packed; i++)
    sm_pool_return (s->pool, s->packed[i]);
  g_clear_pointer (&s->packed, g_free);
  g_clear_pointer (&s->packed_of, g_free);
  s->n_packed = 0;
  for (int l = 0; s->packed_qkv && l < s->model->config.n_layers; l++)
    {
      sm_pool_return (s->pool, s->packed_qkv[l]);
      sm_pool_return (s->pool, s->packed_gate_up[l]);
    }
  g_clear_pointer (&s->packed_qkv, g_free);
  g_clear_pointer (&s->packed_gate_up, g_free);
}

void
sm_session_free (SmSession *s)
{
  if (s == NULL)
    return;
  sm_session_drop_packed (s);
  sm_kv_cache_free (s->kv, s->pool);
  sm_pool_return (s->pool, s->logits);
  g_free (s->history);
  sm_model_unref (s->model);
  g_free (s);
}

SmModel *
sm_session_get_model (SmSession *s)
{
  return s->model;
}

int
sm_session_get_n_ctx (SmSession *s)
{
  return s->n_ctx;
}

SmKvType
sm_session_get_kv_type (SmSession *s)
{
  return s->kv->type;
}

gsize
sm_session_get_kv_bytes (SmSession *s)
{
  return sm_kv_cache_bytes (s->kv);
}

int
sm_session_get_pos (SmSession *s)
{
  return s->pos;
}

int
sm_session_rewind (SmSession *s, int pos)
{
  g_return_val_if_fail (pos >= 0, s->pos);
  /* Entries past pos are simply overwritten later: attention never reads beyond pos.  A
   * sliding window's ring may have overwritten what pos needs, and then only 0 is left. */
  pos = MIN (pos, s->pos);
  if (!sm_kv_cache_can_rewind (s->kv, &s->model->config, pos))
    pos = 0;
  s->pos = pos;
  if (pos == 0)
    s->kv->high = 0;
  return pos;
}

void
sm_session_set_profiler (SmSession *s, SmProfiler *profiler)
{
  s->prof = profiler;
}

const gint32 *
sm_session_get_tokens (SmSession *s, int *n)
{
  *n = s->pos;
  return s->history;
}

const float *
sm_session_get_logits (SmSession *s)
{
  return s->logits;
}

gboolean
sm_session_eval (SmSession *s, const gint32 *tokens, gsize n, GError **error)
{
  const SmModelConfig *c = sm_model_get_config (s->model);

  g_return_val_if_fail (s != NULL, FALSE);
  g_return_val_if_fail (tokens != NULL || n == 0, FALSE);

  if (n > (gsize) (s->n_ctx - s->pos))
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL,
                   "%" G_GSIZE_FORMAT " more tokens do not fit: %d of the context's %d "
                   "positions are used", n, s->pos, s->n_ctx);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= c->vocab_size)
      {
        g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                     "Token id %d is outside the vocabulary (0..%d)", tokens[i], c->vocab_size - 1);
        return FALSE;
      }

  for (gsize done = 0; done < n; )
    {
      int chunk = (int) MIN ((gsize) s->n_batch, n - done);
      memcpy (s->history + s->pos, tokens + done, chunk * sizeof (gint32));
      sm_forward (s, tokens + done, chunk);
      done += chunk;
    }
  return TRUE;
}
