/* sm-kv-cache.h: a session's keys and values for every position it holds.
 *
 * Stored transposed, (n_layers, n_kv_heads, head_dim, stride): one head's keys over all
 * positions are head_dim contiguous rows, so decode attention runs along the positions with
 * full-width vectors whatever the head size (stories260K's heads are 8 wide, too narrow to
 * vectorise along), and prefill reads K and V as plain GEMM operands.
 *
 * Elements are f32, or f16 as llama.cpp's default cache holds them (half the memory): each key
 * and value rounded to nearest even once, when it is stored, and read back as f32 by the
 * attention.
 *
 * A sliding-window layer (Phi-3's, every other one of Gemma 2's) keeps only what a query can
 * still see: its window plus one prefill chunk, as a ring (position p in slot p % cap), not
 * the whole context.  The other layers hold every position, slot p for position p, the ring
 * of n_ctx that never turns.  Internal to model/.
 */
#pragma once

#include "sm-kernels.h"
#include "sm-model.h"
#include "sm-pool.h"
#include "sm-session.h"

G_BEGIN_DECLS

/* Positions a forward chunk evaluates at most (the session's prefill chunk), which a
 * sliding-window ring holds beyond its window. */
#define SM_KV_CHUNK 512

typedef struct {
  SmKvType type;
  gsize    elem_bytes;  /* 4 (f32) or 2 (f16) */
  int      n_layers, n_kv_heads, head_dim;
  int      n_ctx;       /* positions a session may reach */
  int     *cap;         /* [n_layers] slots of each layer: n_ctx, or a ring's window + chunk */
  int     *stride;      /* [n_layers] elements from one row to the next (>= cap) */
  gsize   *offset;      /* [n_layers] elements from the start of k and v to the layer */
  int      max_stride;  /* the largest of them */
  int      high;        /* one past the furthest position stored since the cache was emptied */
  void    *k;           /* per layer (n_kv_heads, head_dim, stride) of float or uint16_t */
  void    *v;
} SmKvCache;

/* Zeroed, so that nothing, even a bug, can read stale keys of another conversation. */
SmKvCache *sm_kv_cache_new   (SmPool *pool, const SmModelConfig *c, int n_ctx, SmKvType type);
void       sm_kv_cache_free  (SmKvCache *kv, SmPool *pool);
gsize      sm_kv_cache_bytes (const SmKvCache *kv);

/* Head @kv_head of @layer: (head_dim, stride[layer]) elements, keys or values in every slot. */
static inline void *
sm_kv_cache_head (const SmKvCache *kv, void *cache, int layer, int kv_head)
{
  return (char *) cache
         + (kv->offset[layer] + (gsize) kv_head * kv->head_dim * kv->stride[layer]) * kv->elem_bytes;
}

/* The slot of position @pos in @layer. */
static inline int
sm_kv_cache_slot (const SmKvCache *kv, int layer, int pos)
{
  return pos % kv->cap[layer];
}

/* Stores head @g of @n new positions from p0 on: k and v are (n, n_kv_heads * head_dim) rows,
 * @ld floats apart.  An f16 cache rounds them with @kt's f32_to_f16 (the same bits at every
 * level). */
void       sm_kv_cache_store (SmKvCache *kv, const SmKernels *kt, int layer, int g, int p0,
                              int n, const float *k, const float *v, gsize ld);
/* After a pass that stored positions up to @end (exclusive). */
void       sm_kv_cache_advance (SmKvCache *kv, int end);
/* Whether every layer still holds what a query at position @pos needs of the positions
 * before it (a ring overwrites the oldest), so a session can go back to @pos; 0 always can. */
gboolean   sm_kv_cache_can_rewind (const SmKvCache *kv, const SmModelConfig *c, int pos);

G_END_DECLS
