/* sm-kv-cache.h: a session's keys and values for every position it holds.
 *
 * Stored transposed, (n_layers, n_kv_heads, head_dim, stride): one head's keys over all
 * positions are head_dim contiguous rows, so decode attention runs along the positions with
 * full-width vectors whatever the head size (stories260K's heads are 8 wide, too narrow to
 * vectorise along), and prefill reads K and V as plain GEMM operands.
 *
 * Elements are f32, or f16 as llama.cpp's default cache holds them (half the memory): each key
 * and value rounded to nearest even once, when it is stored, and read back as f32 by the
 * attention.  Internal to model/.
 */
#pragma once

#include "sm-kernels.h"
#include "sm-model.h"
#include "sm-pool.h"
#include "sm-session.h"

G_BEGIN_DECLS

typedef struct {
  SmKvType type;
  gsize    elem_bytes;  /* 4 (f32) or 2 (f16) */
  int      n_layers, n_kv_heads, head_dim;
  int      n_ctx;       /* positions it holds */
  int      stride;      /* elements from one row to the next (>= n_ctx) */
  void    *k;           /* (n_layers, n_kv_heads, head_dim, stride) of float or uint16_t */
  void    *v;           /* (n_layers, n_kv_heads, head_dim, stride) */
} SmKvCache;

/* Zeroed, so that nothing, even a bug, can read stale keys of another conversation. */
SmKvCache *sm_kv_cache_new   (SmPool *pool, const SmModelConfig *c, int n_ctx, SmKvType type);
void       sm_kv_cache_free  (SmKvCache *kv, SmPool *pool);
gsize      sm_kv_cache_bytes (const SmKvCache *kv);

/* Head @kv_head of @layer: (head_dim, stride) elements, keys or values at every position. */
static inline void *
sm_kv_cache_head (const SmKvCache *kv, void *cache, int layer, int kv_head)
{
  return (char *) cache
         + (((gsize) layer * kv->n_kv_heads + kv_head) * kv->head_dim) * kv->stride * kv->elem_bytes;
}

/* Stores head @g of @n new positions from p0 on: k and v are (n, n_kv_heads * head_dim) rows,
 * @ld floats apart.  An f16 cache rounds them with @kt's f32_to_f16 (the same bits at every
 * level). */
void       sm_kv_cache_store (SmKvCache *kv, const SmKernels *kt, int layer, int g, int p0,
                              int n, const float *k, const float *v, gsize ld);

G_END_DECLS
