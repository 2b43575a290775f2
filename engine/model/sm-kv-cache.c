/* sm-kv-cache.c: the KV cache's layout and its writes. */
#include "sm-kv-cache.h"


/* Row stride for @n_ctx positions: whole cache lines, and never a multiple of 512 bytes.
 * Decode reads the first pos elements of head_dim rows per head; with a power-of-two stride
 * (n_ctx = 512: 2 KB) those short runs all fall in the same quarter of the cache sets, and
 * the cache evicts itself from L2 between tokens.  A line of padding spreads them over every
 * set (stories260K decode on a Sapphire Rapids core: 36,000 -> 43,000 tok/s).  In elements:
 * an f16 row has the same count in half the bytes, whole half lines, and since the count is no
 * multiple of 128 it is none of 256 either: no multiple of 512 bytes in f16 as in f32. */
static int
row_stride (int n_ctx)
{
  int stride = (n_ctx + 15) & ~15;
  return stride % 128 == 0 ? stride + 16 : stride;
}

static gsize
elem_bytes (SmKvType type)
{
  return type == SM_KV_TYPE_F16 ? sizeof (uint16_t) : sizeof (float);
}

/* Slots layer @l needs: every position, or on a sliding-window layer the window and one more
 * chunk, since a chunk's keys are stored before its first query reads back a window. */
static int
layer_cap (const SmModelConfig *c, int l, int n_ctx)
{
  if (c->sliding_window > 0 && c->swa_period > 0 && l % c->swa_period == 0)
    return MIN (n_ctx, c->sliding_window + SM_KV_CHUNK);
  return n_ctx;
}

static gsize
n_elems (const SmModelConfig *c, int n_ctx)
{
  gsize n = 0;

  for (int l = 0; l < c->n_layers; l++)
    n += (gsize) c->n_kv_heads * c->head_dim * row_stride (layer_cap (c, l, n_ctx));
  return n;
}

gsize
sm_kv_type_cache_bytes (const SmModelConfig *c, int n_ctx, SmKvType type)
{
  g_return_val_if_fail (c != NULL, 0);
  return 2 * n_elems (c, n_ctx) * elem_bytes (type);
}

const char *
sm_kv_type_to_string (SmKvType type)
{
  return type == SM_KV_TYPE_F16 ? "f16" : "f32";
}

gboolean
sm_kv_type_from_string (const char *name, SmKvType *type)
{
  g_return_val_if_fail (type != NULL, FALSE);
  if (g_strcmp0 (name, "f32") == 0)
    *type = SM_KV_TYPE_F32;
  else if (g_strcmp0 (name, "f16") == 0)
    *type = SM_KV_TYPE_F16;
  else
    return FALSE;
  return TRUE;
}

SmKvCache *
sm_kv_cache_new (SmPool *pool, const SmModelConfig *c, int n_ctx, SmKvType type)
{
  SmKvCache *kv = g_new0 (SmKvCache, 1);
  gsize bytes = n_elems (c, n_ctx) * elem_bytes (type);

  kv->type = type;
  kv->elem_bytes = elem_bytes (type);
  kv->n_layers = c->n_layers;
  kv->n_kv_heads = c->n_kv_heads;
  kv->head_dim = c->head_dim;
  kv->n_ctx = n_ctx;
  kv->cap = g_new (int, c->n_layers);
  kv->stride = g_new (int, c->n_layers);
  kv->offset = g_new (gsize, c->n_layers);
  for (int l = 0, at = 0; l < c->n_layers; l++)
    {
      kv->cap[l] = layer_cap (c, l, n_ctx);
      kv->stride[l] = row_stride (kv->cap[l]);
      kv->offset[l] = at;
      at += c->n_kv_heads * c->head_dim * kv->stride[l];
      kv->max_stride = MAX (kv->max_stride, kv->stride[l]);
    }
  kv->k = sm_pool_rent0 (pool, bytes);
  kv->v = sm_pool_rent0 (pool, bytes);
  return kv;
}

void
sm_kv_cache_free (SmKvCache *kv, SmPool *pool)
{
  if (kv == NULL)
    return;
  sm_pool_return (pool, kv->k);
  sm_pool_return (pool, kv->v);
  g_free (kv->cap);
  g_free (kv->stride);
  g_free (kv->offset);
  g_free (kv);
}

gsize
sm_kv_cache_bytes (const SmKvCache *kv)
{
  const int l = kv->n_layers - 1;
  return 2 * (kv->offset[l] + (gsize) kv->n_kv_heads * kv->head_dim * kv->stride[l]) * kv->elem_bytes;
}

void
sm_kv_cache_advance (SmKvCache *kv, int end)
{
  kv->high = MAX (kv->high, end);
}

gboolean
sm_kv_cache_can_rewind (const SmKvCache *kv, const SmModelConfig *c, int pos)
{
  if (pos <= 0)
    return TRUE;
  for (int l = 0; l < kv->n_layers; l++)
    {
      /* a ring of cap slots holds positions [high - cap, high); a query at pos reads back to
       * pos - window + 1 */
      if (kv->cap[l] >= kv->n_ctx)
        continue;
      if (pos - c->sliding_window + 1 < kv->high - kv->cap[l])
        return FALSE;
    }
  return TRUE;
}

/* One run of positions that sits in consecutive slots: @n from p0 at slot @slot. */
static void
store_run (SmKvCache *kv, const SmKernels *kt, int layer, int g, int slot, int n,
           const float *k, const float *v, gsize ld)
{
  const gsize hd = (gsize) kv->head_dim, st = (gsize) kv->stride[layer];

  if (kv->type == SM_KV_TYPE_F16)
    {
      /* The one rounding of llama.cpp's f16 cache (ggml's f32 -> f16 copy): to nearest even.
       * A position's head is contiguous in k and v, so it is converted as one run (the SIMD
       * levels' vcvtps2ph), then spread down the transposed rows. */
      uint16_t *Kt = (uint16_t *) sm_kv_cache_head (kv, kv->k, layer, g) + slot;
      uint16_t *Vt = (uint16_t *) sm_kv_cache_head (kv, kv->v, layer, g) + slot;
      uint16_t hk[256], hv[256];
      for (int i = 0; i < n; i++)
        for (gsize d0 = 0; d0 < hd; d0 += G_N_ELEMENTS (hk))
          {
            const gsize m = MIN (G_N_ELEMENTS (hk), hd - d0);
            kt->f32_to_f16 (hk, k + i * ld + g * hd + d0, m);
            kt->f32_to_f16 (hv, v + i * ld + g * hd + d0, m);
            for (gsize d = 0; d < m; d++)
              {
                Kt[(d0 + d) * st + i] = hk[d];
                Vt[(d0 + d) * st + i] = hv[d];
              }
          }
      return;
    }

  float *Kt = (float *) sm_kv_cache_head (kv, kv->k, layer, g) + slot;
  float *Vt = (float *) sm_kv_cache_head (kv, kv->v, layer, g) + slot;
  for (gsize d = 0; d < hd; d++)
    for (int i = 0; i < n; i++)
      {
        Kt[d * st + i] = k[i * ld + g * hd + d];
        Vt[d * st + i] = v[i * ld + g * hd + d];
      }
}

void
sm_kv_cache_store (SmKvCache *kv, const SmKernels *kt, int layer, int g, int p0, int n,
                   const float *k, const float *v, gsize ld)
{
  /* a ring that turns within the chunk takes it in two runs */
  for (int done = 0; done < n; )
    {
      const int slot = sm_kv_cache_slot (kv, layer, p0 + done);
      const int run = MIN (n - done, kv->cap[layer] - slot);
      store_run (kv, kt, layer, g, slot, run, k + (gsize) done * ld, v + (gsize) done * ld, ld);
      done += run;
    }
}
