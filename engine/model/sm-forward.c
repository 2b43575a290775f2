/* sm-forward.c: the transformer forward pass, read top to bottom.
 *
 * A chunk of n tokens at positions p0 .. p0+n-1 flows as rows of activation matrices:
 * embed, then per layer norm -> q, k, v (k and v written straight into the KV cache) ->
 * per-head q/k norms and RoPE where the architecture has them -> causal attention ->
 * output projection added into the residual -> norm -> MLP, its down projection added
 * likewise, then the final norm and the logits of the last token.  Which parts a layer has
 * is the architecture's row of sm-arch.c (SmArchInfo), never its name.  With n > 1 (prefill)
 * every linear is a GEMM; with n == 1 (decode) a GEMV.  The kernel table is read once per
 * chunk, so a level switch lands at the next token.
 */
#include "sm-fp-mode.h"
#include "sm-session-private.h"
#include "sm-threads.h"

#include <math.h>
#include <string.h>

/* Activations of one chunk, rented from the session's pool for the call and returned after:
 * with the pool on these are free-list hits, with it off fresh allocations. */
typedef struct {
  float       *x;        /* (n, dim)     residual stream                           */
  float       *xb;       /* (n, dim)     a block's normed input, then its output   */
  float       *q;        /* (n, q_dim)   queries, row stride ldq                   */
  float       *k;        /* (n, kv_dim)  this chunk's keys, before the cache       */
  float       *v;        /* (n, kv_dim)  this chunk's values; k and v stride ldkv  */
  gsize        ldq, ldkv; /* a fused QKV weight, or packed q, k, v: one (n, q_dim + 2·kv_dim)
                           * block from the one product, q, k and v its column ranges;
                           * otherwise three buffers */
  float       *att_out;  /* (n, q_dim)   attention output, before wo               */
  float       *hb;       /* (n, hidden)  MLP hidden (gated MLPs: the gate), stride ldh */
  float       *hb2;      /* (n, hidden)  gated MLPs: the up projection, stride ldh  */
  gsize        ldh;      /* hidden; 2 hidden when gate and up are one product (packed,
                          * or Phi-3's fused weight), each row then gate | up */
  float       *att;      /* (n_threads, n · n_ctx + head_dim) a slab a thread: attention
                          * scores, then a head's output for a turning ring's second run */
  float       *kv32;     /* (n_threads, 2, head_dim, max_stride) prefill over an f16 cache
                          * or a sliding window's ring: a head's keys and values as f32
                          * columns in position order for the GEMMs; else NULL */
  void        *xq;       /* (n, act_row) activations in the weights' vec_dot_type,
                          * rows act_row bytes (the most any type takes for max_k) */
} Acts;

typedef struct {
  SmSession           *s;
  const SmModelConfig *c;
  const SmArchInfo    *arch;
  const SmWeights     *w;
  const SmKernels     *k;
  Acts                 a;
  int                  n;         /* tokens in this chunk */
  int                  p0;        /* position of the first */
  int                  n_threads; /* slabs in a.att */
} Fwd;

static inline gsize
q_dim (const SmModelConfig *c)
{
  return (gsize) c->n_heads * c->head_dim;
}

static inline gsize
kv_dim (const SmModelConfig *c)
{
  return (gsize) c->n_kv_heads * c->head_dim;
}

/* ---- building blocks ------------------------------------------------------------------------ */

/* y (n, rows) = x (n, K) · W[row0 .. row0+rows)ᵀ, for W in any stored type. */
static void
matmul (Fwd *f, const SmTensor *W, gint64 row0, gint64 rows, const float *x, gsize ldx,
        float *y, gsize ldy)
{
  const gsize K = (gsize) W->shape[1];
  const gsize N = (gsize) rows;
  const int n = f->n;
  const char *w = (const char *) W->data + (gsize) row0 * W->strides[0];
  const SmDTypeTraits *tt = sm_dtype_traits (W->dtype);

  if (W->dtype == SM_DTYPE_F32)
    {
      /* f32 weights may have a packed copy (SmSession) that the GEMM micro-kernels read. */
      const float *P = row0 == 0 ? sm_session_packed (f->s, W) : NULL;
      if (n == 1 && P)
        sm_gemv_packed (N, K, P, x, y);
      else if (P)
        sm_gemm_packed (n, N, K, x, ldx, P, 0.0f, y, ldy);
      else
        tt->matmul (n, N, K, w, W->strides[0], x, ldx * sizeof (float), y, ldy);
      return;
    }

  /* The other types take x in their activation type: quantized per block as ggml does. */
  const void *act = x;
  gsize ld_act = ldx * sizeof (float);
  if (tt->vec_dot_type != SM_DTYPE_F32)
    {
      const SmDTypeTraits *at = sm_dtype_traits (tt->vec_dot_type);
      ld_act = sm_dtype_row_bytes (tt->vec_dot_type, (gint64) K);
      for (int i = 0; i < n; i++)
        at->from_f32 (x + i * ldx, (char *) f->a.xq + i * ld_act, K);
      act = f->a.xq;
    }
  tt->matmul (n, N, K, w, W->strides[0], act, ld_act, y, ldy);
}

static void
matmul_record (Fwd *f, const SmTensor *W, gsize N, double extra_bytes)
{
  const gsize K = (gsize) W->shape[1];
  const int n = f->n;

  sm_profiler_op_shape (f->s->prof, SM_OP_MATMUL, n, (int) N, (int) K, 2.0 * n * N * K,
                        (double) sm_dtype_row_bytes (W->dtype, (gint64) K) * N
                        + 4.0 * n * (K + N) + extra_bytes);
}

/* y (n, rows) = x (n, K) · W[row0 .. row0+rows)ᵀ + bias. */
static void
linear (Fwd *f, const SmTensor *W, gint64 row0, gint64 rows, const float *bias,
        const float *x, gsize ldx, float *y, gsize ldy)
{
  matmul (f, W, row0, rows, x, ldx, y, ldy);
  if (bias)
    for (int i = 0; i < f->n; i++)
      f->k->add (y + i * ldy, y + i * ldy, bias, (gsize) rows);
  matmul_record (f, W, (gsize) rows, 0.0);
}

/* y (n, N) = x (n, K) · Wᵀ for a W that exists only packed (LLaMA's stacked q, k, v or gate,
 * up; see SmSession), recorded as one matmul of N rows. */
static void
linear_packed (Fwd *f, const float *P, gsize N, gsize K, const float *x, gsize ldx, float *y,
               gsize ldy)
{
  const int n = f->n;

  if (n == 1)
    sm_gemv_packed (N, K, P, x, y);
  else
    sm_gemm_packed (n, N, K, x, ldx, P, 0.0f, y, ldy);
  sm_profiler_op_shape (f->s->prof, SM_OP_MATMUL, n, (int) N, (int) K, 2.0 * n * N * K,
                        4.0 * N * K + 4.0 * n * (K + N));
}

/* x (n, N) += in (n, K) · Wᵀ + bias: a block's output projection added into the residual
 * stream as one op.  An f32 GEMM accumulates straight into x (beta 1), which saves the pass
 * over a temporary; the other forms go through xb, free again by now in both blocks. */
static void
linear_residual (Fwd *f, const SmTensor *W, const float *bias, const float *in, gsize ldin,
                 float *x)
{
  const gsize N = (gsize) W->shape[0], K = (gsize) W->shape[1];
  const int n = f->n;

  const float *P = sm_session_packed (f->s, W);

  if (W->dtype == SM_DTYPE_F32 && n > 1 && P)
    sm_gemm_packed (n, N, K, in, ldin, P, 1.0f, x, N);
  else if (W->dtype == SM_DTYPE_F32 && n > 1)
    sm_gemm (false, true, n, N, K, 1.0f, in, ldin, (const float *) W->data, K, 1.0f, x, N);
  else
    {
      matmul (f, W, 0, (gint64) N, in, ldin, f->a.xb, N);
      f->k->add (x, x, f->a.xb, (gsize) n * N);
    }
  if (bias)
    for (int i = 0; i < n; i++)
      f->k->add (x + i * N, x + i * N, bias, N);
  matmul_record (f, W, N, 8.0 * n * N);
}

/* Row @row of an embedding table of any stored type, as f32. */
static void
embedding_row (const SmTensor *E, gint64 row, float *out)
{
  const gsize dim = (gsize) E->shape[1];
  const void *src = sm_tensor_row (E, row);

  sm_dtype_traits (E->dtype)->to_f32 (src, out, dim);
}

/* x (n, dim) rows normed into out (n, dim): LayerNorm with bias or RMSNorm, as the
 * architecture has it.  out may be x. */
static void
norm_rows (Fwd *f, const SmTensor *w, const SmTensor *b, const float *x, float *out, int rows)
{
  const gsize dim = (gsize) f->c->dim;

  for (int i = 0; i < rows; i++)
    {
      if (f->arch->layer_norm)
        f->k->layernorm (out + i * dim, x + i * dim, sm_tensor_f32 (w),
                         b ? sm_tensor_f32 (b) : NULL, dim, f->c->norm_eps, NULL, NULL);
      else
        f->k->rmsnorm (out + i * dim, x + i * dim, sm_tensor_f32 (w), dim, f->c->norm_eps);
    }
  sm_profiler_op (f->s->prof, SM_OP_NORM, 5.0 * rows * dim, 12.0 * rows * dim);
}

/* ---- attention ---------------------------------------------------------------------------------- */

/* Query rows per block of prefill attention: big enough for the GEMM micro-kernels, small
 * enough that the skipped triangle is most of the masked half. */
#define ATTN_QUERY_BLOCK 64

typedef struct {
  Fwd *f;
  int  layer;
  int  window;   /* positions a query sees, itself included; 0: all before it */
} AttnJob;

/* cap · tanh (x / cap) over x[0..n): Gemma 2's soft-capping of scores and logits.  Only
 * Gemma 2 takes it, on scores it has just computed, so it stays a loop here. */
static void
soft_cap (float *x, gsize n, float cap)
{
  for (gsize i = 0; i < n; i++)
    x[i] = cap * tanhf (x[i] / cap);
}

/* The first position a query at @pos sees: all before it, or the last @window. */
static inline int
first_visible (int pos, int window)
{
  return window > 0 && pos >= window ? pos - window + 1 : 0;
}

/* Key/value heads [first, last) of the chunk: each is stored into the cache (a transpose as
 * costly as a head's products at a short prompt, so it runs on the threads too), then its
 * query heads h (grouped-query: h / kv_mul == g) get scores = q·Kᵀ · scale over the
 * positions each query sees (0..p0+i, or its sliding window), soft-capped where the
 * architecture caps them, a softmax, and the weighted sum of values.
 *
 * Decode reads the cache in place, f32 or f16 (gemv_t_f16, gemv_f16), in one run of slots or
 * two where a sliding window's ring turns.  Prefill reads the positions the chunk sees,
 * [lo, T), as one run of f32 columns: in place for an f32 cache where they are consecutive
 * slots, else widened (f16: hd·T conversions against the GEMMs' n·hd·T products, once for
 * all of the head's queries) or copied (a turning ring) into a scratch, so prefill and decode
 * see the same rounded keys and values. */
static void
attention_heads (void *user, int ith, int nth)
{
  const AttnJob *j = user;
  const Fwd *f = j->f;
  const SmKernels *k = f->k;
  const SmModelConfig *c = f->c;
  const SmKvCache *kv = f->s->kv;
  const int l = j->layer;
  const gsize hd = (gsize) c->head_dim, ldq = f->a.ldq, n_ctx = f->s->n_ctx;
  const gboolean f16 = kv->type == SM_KV_TYPE_F16;
  const gsize qd = q_dim (c), ld = (gsize) kv->stride[l], cap = (gsize) kv->cap[l];
  const int n = f->n, p0 = f->p0, T = p0 + n;
  const int kv_mul = c->n_heads / c->n_kv_heads;
  const float scale = c->query_scale > 0.0f ? c->query_scale : 1.0f / sqrtf ((float) hd);
  const float cap_score = c->attn_softcap;
  float *S = f->a.att + (gsize) ith * (n * n_ctx + hd);  /* (n, T), then hd floats */
  float *tmp = S + (gsize) n * n_ctx;
  gsize first, last;

  sm_threads_range ((gsize) c->n_kv_heads, ith, nth, 1, &first, &last);
  for (gsize g = first; g < last; g++)
    sm_kv_cache_store (f->s->kv, k, l, (int) g, f->p0, f->n, f->a.k, f->a.v, f->a.ldkv);
  for (gsize g = first; g < last; g++)
    {
      const void *Kh = sm_kv_cache_head (kv, kv->k, l, (int) g);   /* (hd, cap), stride ld */
      const void *Vh = sm_kv_cache_head (kv, kv->v, l, (int) g);

      if (n == 1)
        {
          /* positions [s0, T): the query's view, in slots [a0, a0 + n1) and, where the ring
           * turns, [0, Tv - n1) */
          const int s0 = first_visible (T - 1, j->window), Tv = T - s0;
          const gsize a0 = (gsize) sm_kv_cache_slot (kv, l, s0);
          const gsize n1 = MIN ((gsize) Tv, cap - a0), n2 = (gsize) Tv - n1;
          for (gsize h = g * kv_mul; h < (g + 1) * kv_mul; h++)
            {
              const float *Qh = f->a.q + h * hd;
              float *out = f->a.att_out + h * hd;

              /* scores (1, Tv) = q (1, hd) · K (hd, Tv) · scale */
              if (f16)
                {
                  k->gemv_t_f16 (hd, n1, scale, (const uint16_t *) Kh + a0, ld, Qh, S);
                  if (n2)
                    k->gemv_t_f16 (hd, n2, scale, Kh, ld, Qh, S + n1);
                }
              else
                {
                  k->sgemm (false, false, 1, n1, hd, scale, Qh, ldq, (const float *) Kh + a0, ld,
                            0.0f, S, n1);
                  if (n2)
                    k->sgemm (false, false, 1, n2, hd, scale, Qh, ldq, Kh, ld, 0.0f, S + n1, n2);
                }
              if (cap_score > 0.0f)
                soft_cap (S, Tv, cap_score);
              k->softmax (S, Tv);
              /* out (hd) = V (hd, Tv) · p (Tv) */
              if (f16)
                k->gemv_f16 (hd, n1, (const uint16_t *) Vh + a0, ld, S, out);
              else
                k->sgemv (hd, n1, (const float *) Vh + a0, ld, S, out);
              if (n2)
                {
                  if (f16)
                    k->gemv_f16 (hd, n2, Vh, ld, S + n1, tmp);
                  else
                    k->sgemv (hd, n2, Vh, ld, S + n1, tmp);
                  k->add (out, out, tmp, hd);
                }
            }
          continue;
        }

      /* prefill: columns c of Kt / Vt hold position lo + c, for the positions [lo, T) the
       * chunk's first query and all after it see */
      const int lo = first_visible (p0, j->window);
      const gsize Tl = (gsize) (T - lo), a0 = (gsize) sm_kv_cache_slot (kv, l, lo);
      const gsize n1 = MIN (Tl, cap - a0);
      const float *Kt, *Vt;
      gsize ldt = ld;
      if (!f16 && n1 == Tl)
        {
          Kt = (const float *) Kh + a0;
          Vt = (const float *) Vh + a0;
        }
      else
        {
          float *K32 = f->a.kv32 + (gsize) ith * 2 * hd * kv->max_stride, *V32 = K32 + hd * kv->max_stride;
          ldt = (gsize) kv->max_stride;
          for (gsize d = 0; d < hd; d++)
            for (int part = 0; part < 2; part++)
              {
                /* the run from a0 to the ring's end, then what turned to its start */
                const gsize from = part ? 0 : a0, len = part ? Tl - n1 : n1, to = part ? n1 : 0;
                if (len == 0)
                  continue;
                if (f16)
                  {
                    k->f16_to_f32 (K32 + d * ldt + to, (const uint16_t *) Kh + d * ld + from, len);
                    k->f16_to_f32 (V32 + d * ldt + to, (const uint16_t *) Vh + d * ld + from, len);
                  }
                else
                  {
                    memcpy (K32 + d * ldt + to, (const float *) Kh + d * ld + from, len * sizeof (float));
                    memcpy (V32 + d * ldt + to, (const float *) Vh + d * ld + from, len * sizeof (float));
                  }
              }
          Kt = K32;
          Vt = V32;
        }
      for (gsize h = g * kv_mul; h < (g + 1) * kv_mul; h++)
        {
          const float *Qh = f->a.q + h * hd;                  /* (n, hd), stride ldq */
          float *out = f->a.att_out + h * hd;                 /* (n, hd), stride qd */

          /* Query rows in blocks, each against only the positions it may see: the masked
           * upper triangle (half of a fresh prompt's scores) is never computed, nor what lies
           * before a sliding window. */
          for (int i0 = 0; i0 < n; i0 += ATTN_QUERY_BLOCK)
            {
              const int rows = MIN (ATTN_QUERY_BLOCK, n - i0);
              const int s0 = first_visible (p0 + i0, j->window);  /* the block's first */
              const int Tb = p0 + i0 + rows - s0;                 /* positions it sees */
              k->sgemm (false, false, rows, Tb, hd, scale, Qh + (gsize) i0 * ldq, ldq,
                        Kt + (s0 - lo), ldt, 0.0f, S, Tb);
              for (int i = 0; i < rows; i++)
                {
                  /* row i sees [vlo, vhi) of the block's positions */
                  const int pos = p0 + i0 + i;
                  const int vlo = first_visible (pos, j->window) - s0, vhi = pos + 1 - s0;
                  float *Si = S + (gsize) i * Tb;
                  if (cap_score > 0.0f)
                    soft_cap (Si + vlo, vhi - vlo, cap_score);
                  memset (Si, 0, vlo * sizeof (float));
                  k->softmax_causal (Si + vlo, Tb - vlo, vhi - vlo);
                }
              k->sgemm (false, true, rows, hd, Tb, 1.0f, S, Tb, Vt + (s0 - lo), ldt, 0.0f,
                        out + (gsize) i0 * qd, qd);
            }
        }
    }
}

/* The window layer @l attends over, 0 for the whole context. */
static int
layer_window (const SmModelConfig *c, int l)
{
  return c->sliding_window > 0 && c->swa_period > 0 && l % c->swa_period == 0
         ? c->sliding_window : 0;
}

static void
attention (Fwd *f, int layer)
{
  const SmModelConfig *c = f->c;
  AttnJob j = { f, layer, layer_window (c, layer) };
  const int T = f->p0 + f->n;
  /* positions the queries see on average, for the op's flops and bytes */
  const double seen = j.window > 0 ? MIN ((double) j.window, (double) T) : (double) T;
  double flops = 4.0 * f->n * seen * c->head_dim * c->n_heads;
  int nth = MIN (f->n_threads, sm_threads_for_work (flops));

  if (nth > 1)
    sm_threads_run (MIN (nth, c->n_kv_heads), attention_heads, &j);
  else
    attention_heads (&j, 0, 1);
  /* the cache's keys and values read: half the bytes in f16 */
  sm_profiler_op_shape (f->s->prof, SM_OP_ATTENTION, f->n, T, c->head_dim, flops,
                        2.0 * f->s->kv->elem_bytes * seen * kv_dim (c));
}

/* ---- the layer ---------------------------------------------------------------------------------- */

/* y (n, len) += b at column @col of each row of y (stride ld). */
static void
add_bias (Fwd *f, float *y, gsize ld, const SmTensor *b)
{
  if (b == NULL)
    return;
  for (int i = 0; i < f->n; i++)
    f->k->add (y + i * ld, y + i * ld, sm_tensor_f32 (b), (gsize) sm_tensor_n_elements (b));
}

/* RMSNorm of each of @heads heads of hd in every row (Qwen3's q and k norms). */
static void
head_norm (Fwd *f, float *x, gsize ld, int heads, const SmTensor *w)
{
  const gsize hd = (gsize) f->c->head_dim;

  for (int i = 0; i < f->n; i++)
    for (int h = 0; h < heads; h++)
      f->k->rmsnorm (x + i * ld + h * hd, x + i * ld + h * hd, sm_tensor_f32 (w), hd,
                     f->c->norm_eps);
  sm_profiler_op (f->s->prof, SM_OP_NORM, 5.0 * f->n * heads * hd, 12.0 * f->n * heads * hd);
}

/* x (n, dim) += the block's output (n, dim) from in · Wᵀ + b, normed first where the
 * architecture norms a block's output (Gemma 2's post-norms). */
static void
block_out (Fwd *f, const SmTensor *W, const SmTensor *b, const SmTensor *post_norm,
           const float *in, gsize ldin)
{
  Acts *a = &f->a;
  const gsize dim = f->c->dim;

  if (post_norm == NULL)
    {
      linear_residual (f, W, b ? sm_tensor_f32 (b) : NULL, in, ldin, a->x);
      return;
    }
  linear (f, W, 0, (gint64) dim, b ? sm_tensor_f32 (b) : NULL, in, ldin, a->xb, dim);
  norm_rows (f, post_norm, NULL, a->xb, a->xb, f->n);
  f->k->add (a->x, a->x, a->xb, (gsize) f->n * dim);
}

static void
layer (Fwd *f, int l)
{
  const SmModelConfig *c = f->c;
  const SmArchInfo *arch = f->arch;
  const SmLayerWeights *L = &f->w->layers[l];
  const gsize dim = c->dim, hidden = c->hidden_dim, qd = q_dim (c), kvd = kv_dim (c);
  const int half = c->rope_dims / 2;
  Acts *a = &f->a;

  /* ---- attention block ---- */
  norm_rows (f, L->attn_norm, L->attn_norm_b, a->x, a->xb, f->n);
  if (f->s->packed_qkv)
    linear_packed (f, f->s->packed_qkv[l], qd + 2 * kvd, dim, a->xb, dim, a->q, a->ldq);
  else if (L->wqkv)
    /* the fused weight is q, k and v stacked: one product whose rows hold them side by side */
    linear (f, L->wqkv, 0, (gint64) (qd + 2 * kvd), L->bqkv ? sm_tensor_f32 (L->bqkv) : NULL,
            a->xb, dim, a->q, a->ldq);
  else
    {
      linear (f, L->wq, 0, (gint64) qd, NULL, a->xb, dim, a->q, a->ldq);
      linear (f, L->wk, 0, (gint64) kvd, NULL, a->xb, dim, a->k, a->ldkv);
      linear (f, L->wv, 0, (gint64) kvd, NULL, a->xb, dim, a->v, a->ldkv);
    }
  /* Qwen2's biases, added after the product whichever form it took */
  add_bias (f, a->q, a->ldq, L->bq);
  add_bias (f, a->k, a->ldkv, L->bk);
  add_bias (f, a->v, a->ldkv, L->bv);
  if (arch->qk_norm)
    {
      head_norm (f, a->q, a->ldq, c->n_heads, L->q_norm);
      head_norm (f, a->k, a->ldkv, c->n_kv_heads, L->k_norm);
    }
  if (!arch->pos_embd)
    {
      for (int i = 0; i < f->n; i++)
        {
          const gsize pos = (gsize) (f->p0 + i);
          const float *cos_t = f->s->model->rope_cos + pos * half;
          const float *sin_t = f->s->model->rope_sin + pos * half;
          f->k->rope (a->q + i * a->ldq, c->n_heads, c->head_dim, c->rope_dims, cos_t, sin_t, c->rope_mode);
          f->k->rope (a->k + i * a->ldkv, c->n_kv_heads, c->head_dim, c->rope_dims, cos_t, sin_t, c->rope_mode);
        }
      sm_profiler_op (f->s->prof, SM_OP_ROPE, 6.0 * f->n * (qd + kvd), 8.0 * f->n * (qd + kvd));
    }
  attention (f, l);
  block_out (f, L->wo, L->bo, L->attn_post_norm, a->att_out, qd);

  /* ---- MLP block ---- */
  norm_rows (f, L->ffn_norm, L->ffn_norm_b, a->x, a->xb, f->n);
  if (arch->ffn == SM_FFN_GELU)
    {
      linear (f, L->w_up, 0, (gint64) hidden, L->b_up ? sm_tensor_f32 (L->b_up) : NULL,
              a->xb, dim, a->hb, hidden);
      f->k->gelu (a->hb, a->hb, (gsize) f->n * hidden);
      sm_profiler_op (f->s->prof, SM_OP_GELU, 10.0 * f->n * hidden, 8.0 * f->n * hidden);
    }
  else
    {
      /* gate into hb, up into hb2: one product when the two are one weight (packed, or
       * Phi-3's fused gate | up), each row then gate | up */
      if (f->s->packed_gate_up)
        linear_packed (f, f->s->packed_gate_up[l], 2 * hidden, dim, a->xb, dim, a->hb, a->ldh);
      else if (arch->gate_up_fused)
        linear (f, L->w_up, 0, (gint64) (2 * hidden), NULL, a->xb, dim, a->hb, a->ldh);
      else
        {
          linear (f, L->w_gate, 0, (gint64) hidden, NULL, a->xb, dim, a->hb, a->ldh);
          linear (f, L->w_up, 0, (gint64) hidden, NULL, a->xb, dim, a->hb2, a->ldh);
        }
      for (int i = 0; i < f->n; i++)
        {
          float *g = a->hb + i * a->ldh, *u = a->hb2 + i * a->ldh;
          if (arch->ffn == SM_FFN_SWIGLU)
            f->k->swiglu (g, g, u, hidden);
          else
            {
              f->k->gelu (g, g, hidden);
              f->k->mul (g, g, u, hidden);
            }
        }
      if (arch->ffn == SM_FFN_SWIGLU)
        sm_profiler_op (f->s->prof, SM_OP_SILU, 6.0 * f->n * hidden, 12.0 * f->n * hidden);
      else
        sm_profiler_op (f->s->prof, SM_OP_GELU, 11.0 * f->n * hidden, 20.0 * f->n * hidden);
    }
  block_out (f, L->w_down, L->b_down, L->ffn_post_norm, a->hb, a->ldh);
}

/* ---- the pass ------------------------------------------------------------------------------------ */

/* The bytes of the largest activation row any weight type quantizes x into, for @k elements
 * (the types that take x as f32 read it where it is). */
static gsize
act_row_bytes (gsize k)
{
  gsize most = 0;

  for (guint t = 0; t < SM_N_DTYPES; t++)
    {
      const SmDType at = sm_dtype_traits ((SmDType) t)->vec_dot_type;
      if (at == SM_DTYPE_F32)
        continue;
      const gsize be = sm_dtype_block_elems (at);
      most = MAX (most, sm_dtype_row_bytes (at, (gint64) ((k + be - 1) / be * be)));
    }
  return most;
}

static void
acts_rent (Fwd *f)
{
  const SmModelConfig *c = f->c;
  SmPool *pool = f->s->pool;
  const gsize n = f->n, dim = c->dim, hidden = c->hidden_dim, qd = q_dim (c);
  const gsize max_k = MAX (MAX (dim, hidden), qd);

  f->a.x = sm_pool_rent (pool, n * dim * sizeof (float));
  f->a.xb = sm_pool_rent (pool, n * dim * sizeof (float));
  if (f->arch->qkv_fused || f->s->packed_qkv)
    {
      f->a.ldq = f->a.ldkv = qd + 2 * kv_dim (c);
      f->a.q = sm_pool_rent (pool, n * f->a.ldq * sizeof (float));
      f->a.k = f->a.q + qd;
      f->a.v = f->a.k + kv_dim (c);
    }
  else
    {
      f->a.ldq = qd;
      f->a.ldkv = kv_dim (c);
      f->a.q = sm_pool_rent (pool, n * qd * sizeof (float));
      f->a.k = sm_pool_rent (pool, n * kv_dim (c) * sizeof (float));
      f->a.v = sm_pool_rent (pool, n * kv_dim (c) * sizeof (float));
    }
  f->a.att_out = sm_pool_rent (pool, n * qd * sizeof (float));
  if (f->s->packed_gate_up || f->arch->gate_up_fused)
    {
      f->a.ldh = 2 * hidden;
      f->a.hb = sm_pool_rent (pool, n * f->a.ldh * sizeof (float));
      f->a.hb2 = f->a.hb + hidden;
    }
  else
    {
      f->a.ldh = hidden;
      f->a.hb = sm_pool_rent (pool, n * hidden * sizeof (float));
      f->a.hb2 = f->arch->ffn != SM_FFN_GELU ? sm_pool_rent (pool, n * hidden * sizeof (float)) : NULL;
    }
  /* per thread: scores (n, n_ctx), and a head's worth for decode's second run of a ring */
  f->a.att = sm_pool_rent (pool, (gsize) f->n_threads * (n * f->s->n_ctx + c->head_dim)
                                 * sizeof (float));
  /* prefill over an f16 cache or a sliding window's ring: a head's keys and values as f32 */
  f->a.kv32 = n > 1 && (f->s->kv->type == SM_KV_TYPE_F16 || c->sliding_window > 0)
              ? sm_pool_rent (pool, (gsize) f->n_threads * 2 * c->head_dim * f->s->kv->max_stride
                                    * sizeof (float))
              : NULL;
  f->a.xq = sm_pool_rent (pool, n * act_row_bytes (max_k));
}

static void
acts_return (Fwd *f)
{
  SmPool *pool = f->s->pool;

  sm_pool_return (pool, f->a.x);
  sm_pool_return (pool, f->a.xb);
  sm_pool_return (pool, f->a.q);
  if (!f->arch->qkv_fused && !f->s->packed_qkv)
    {
      sm_pool_return (pool, f->a.k);
      sm_pool_return (pool, f->a.v);
    }
  sm_pool_return (pool, f->a.att_out);
  sm_pool_return (pool, f->a.hb);
  if (!f->s->packed_gate_up && !f->arch->gate_up_fused)
    sm_pool_return (pool, f->a.hb2);
  sm_pool_return (pool, f->a.att);
  sm_pool_return (pool, f->a.kv32);
  sm_pool_return (pool, f->a.xq);
}

void
sm_forward (SmSession *s, const gint32 *tokens, int n)
{
  Fwd f = {
    .s = s,
    .c = &s->model->config,
    .arch = sm_arch_info (s->model->config.arch),
    .w = &s->model->w,
    .k = sm_kernels (),
    .n = n,
    .p0 = s->pos,
    .n_threads = sm_threads_get_count (),
  };
  const SmModelConfig *c = f.c;
  const gsize dim = c->dim;
  /* subnormals flushed to zero for the pass: see sm-fp-mode.h */
  SmFpMode fp_saved = sm_fp_flush_begin ();

  g_assert (n >= 1 && n <= s->n_batch && s->pos + n <= s->n_ctx);

  /* the renting of the activations counts with the embedding, the pass's first op: with the
   * pool switched off that is where its cost shows */
  sm_profiler_mark_pass (s->prof, n > 1 ? SM_OP_PASS_PREFILL : SM_OP_PASS_DECODE);
  acts_rent (&f);

  /* token (and, for GPT, position) embeddings; Gemma's scaled by √dim */
  for (int i = 0; i < n; i++)
    {
      embedding_row (f.w->token_embd, tokens[i], f.a.x + i * dim);
      if (f.arch->pos_embd)
        f.k->add (f.a.x + i * dim, f.a.x + i * dim, sm_tensor_row (f.w->pos_embd, f.p0 + i), dim);
      if (f.arch->embd_scale)
        f.k->scale (f.a.x + i * dim, f.a.x + i * dim, sqrtf ((float) dim), dim);
    }
  sm_profiler_op (s->prof, SM_OP_EMBED, (double) n * dim, 8.0 * n * dim);

  for (int l = 0; l < c->n_layers; l++)
    layer (&f, l);

  /* final norm and the logits, for the last token only */
  {
    float *last = f.a.x + (gsize) (n - 1) * dim;
    int keep_n = f.n;

    norm_rows (&f, f.w->output_norm, f.w->output_norm_b, last, f.a.xb, 1);
    f.n = 1;
    linear (&f, f.w->output, 0, c->vocab_size, NULL, f.a.xb, dim, s->logits, c->vocab_size);
    if (c->final_softcap > 0.0f)
      soft_cap (s->logits, (gsize) c->vocab_size, c->final_softcap);
    f.n = keep_n;
  }

  acts_return (&f);
  s->pos += n;
  sm_kv_cache_advance (s->kv, s->pos);
  sm_fp_flush_end (fp_saved);
}
