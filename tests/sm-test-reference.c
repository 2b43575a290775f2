/* sm-test-reference.c: see sm-test-reference.h.  Slow and plain on purpose: every sum in
 * double, every position recomputed, no cache, no packing. */
#include "sm-test-reference.h"

#include <math.h>
#include <string.h>

static const float *
F (const SmTensor *t)
{
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, SM_DTYPE_F32);
  return sm_tensor_f32 ((SmTensor *) t);
}

static const float *
F_opt (const SmTensor *t)
{
  return t ? F (t) : NULL;
}

/* y[N] = W (N, K) x[K] + b */
static void
ref_linear (const float *W, const float *b, const double *x, int N, int K, double *y)
{
  for (int i = 0; i < N; i++)
    {
      double acc = b ? b[i] : 0.0;
      for (int j = 0; j < K; j++)
        acc += (double) W[(gsize) i * K + j] * x[j];
      y[i] = acc;
    }
}

/* LayerNorm with bias, or RMSNorm; out may be x */
static void
ref_norm (gboolean layer_norm, const double *x, const float *w, const float *b, int n,
          double eps, double *out)
{
  double mean = 0, var = 0;

  if (layer_norm)
    {
      for (int i = 0; i < n; i++)
        mean += x[i];
      mean /= n;
    }
  for (int i = 0; i < n; i++)
    var += (x[i] - mean) * (x[i] - mean);
  var /= n;
  for (int i = 0; i < n; i++)
    out[i] = (x[i] - mean) / sqrt (var + eps) * w[i] + (b ? b[i] : 0.0);
}

static double
ref_gelu (double x)
{
  return 0.5 * x * (1.0 + tanh (sqrt (2.0 / G_PI) * (x + 0.044715 * x * x * x)));
}

/* rotates one head of hd by position @pos, NORM (adjacent pairs) or NEOX (halves) */
static void
ref_rope (const SmModel *m, double *v, int pos)
{
  const SmModelConfig *c = &m->config;
  const int half = c->rope_dims / 2;
  const float *ff = m->w.rope_freqs ? F (m->w.rope_freqs) : NULL;
  const double scale = c->rope_freq_scale > 0 ? c->rope_freq_scale : 1.0;

  for (int i = 0; i < half; i++)
    {
      double a = scale * pos * pow (c->rope_base, -(2.0 * i) / c->rope_dims) / (ff ? ff[i] : 1.0);
      int i0 = c->rope_mode == SM_ROPE_NORM ? 2 * i : i;
      int i1 = c->rope_mode == SM_ROPE_NORM ? 2 * i + 1 : i + half;
      double x0 = v[i0], x1 = v[i1];
      v[i0] = x0 * cos (a) - x1 * sin (a);
      v[i1] = x0 * sin (a) + x1 * cos (a);
    }
}

double *
sm_test_ref_forward (const SmModel *m, const gint32 *tokens, int n)
{
  const SmModelConfig *c = &m->config;
  const SmArchInfo *a = sm_arch_info (c->arch);
  const int D = c->dim, H = c->hidden_dim, hd = c->head_dim;
  const int qd = c->n_heads * hd, kvd = c->n_kv_heads * hd, kv_mul = c->n_heads / c->n_kv_heads;
  const double scale = c->query_scale > 0 ? c->query_scale : 1.0 / sqrt ((double) hd);
  double *x = g_new0 (double, (gsize) n * D);     /* (n, D) residual stream */
  double *xb = g_new0 (double, D);
  double *q = g_new0 (double, (gsize) n * qd);
  double *k = g_new0 (double, (gsize) n * kvd);
  double *v = g_new0 (double, (gsize) n * kvd);
  double *att = g_new0 (double, n);
  double *ao = g_new0 (double, qd);
  double *tmp = g_new0 (double, qd + 2 * kvd + 2 * H + D);
  double *h1 = g_new0 (double, 2 * H);
  double *logits = g_new0 (double, c->vocab_size);

  for (int t = 0; t < n; t++)
    for (int i = 0; i < D; i++)
      {
        double e = F (m->w.token_embd)[(gsize) tokens[t] * D + i];
        if (a->pos_embd)
          e += F (m->w.pos_embd)[(gsize) t * D + i];
        x[t * D + i] = a->embd_scale ? e * sqrt ((double) D) : e;
      }

  for (int l = 0; l < c->n_layers; l++)
    {
      const SmLayerWeights *L = &m->w.layers[l];
      const int window = c->sliding_window > 0 && c->swa_period > 0 && l % c->swa_period == 0
                         ? c->sliding_window : 0;

      for (int t = 0; t < n; t++)
        {
          ref_norm (a->layer_norm, x + t * D, F (L->attn_norm), F_opt (L->attn_norm_b), D,
                    c->norm_eps, xb);
          if (L->wqkv)
            {
              ref_linear (F (L->wqkv), F_opt (L->bqkv), xb, qd + 2 * kvd, D, tmp);
              memcpy (q + t * qd, tmp, qd * sizeof (double));
              memcpy (k + t * kvd, tmp + qd, kvd * sizeof (double));
              memcpy (v + t * kvd, tmp + qd + kvd, kvd * sizeof (double));
            }
          else
            {
              ref_linear (F (L->wq), F_opt (L->bq), xb, qd, D, q + t * qd);
              ref_linear (F (L->wk), F_opt (L->bk), xb, kvd, D, k + t * kvd);
              ref_linear (F (L->wv), F_opt (L->bv), xb, kvd, D, v + t * kvd);
            }
          for (int h = 0; h < c->n_heads + c->n_kv_heads; h++)
            {
              gboolean is_q = h < c->n_heads;
              double *vec = is_q ? q + t * qd + h * hd : k + t * kvd + (h - c->n_heads) * hd;
              if (a->qk_norm)
                ref_norm (FALSE, vec, F (is_q ? L->q_norm : L->k_norm), NULL, hd, c->norm_eps, vec);
              if (!a->pos_embd)
                ref_rope (m, vec, t);
            }
        }

      for (int t = 0; t < n; t++)
        {
          const int s0 = window > 0 && t >= window ? t - window + 1 : 0;
          for (int h = 0; h < c->n_heads; h++)
            {
              int g = h / kv_mul;
              double mx = -INFINITY, sum = 0;
              for (int s = s0; s <= t; s++)
                {
                  double dot = 0;
                  for (int i = 0; i < hd; i++)
                    dot += q[t * qd + h * hd + i] * k[s * kvd + g * hd + i];
                  dot *= scale;
                  if (c->attn_softcap > 0)
                    dot = c->attn_softcap * tanh (dot / c->attn_softcap);
                  att[s] = dot;
                  mx = MAX (mx, att[s]);
                }
              for (int s = s0; s <= t; s++)
                sum += (att[s] = exp (att[s] - mx));
              for (int i = 0; i < hd; i++)
                {
                  double acc = 0;
                  for (int s = s0; s <= t; s++)
                    acc += att[s] / sum * v[s * kvd + g * hd + i];
                  ao[h * hd + i] = acc;
                }
            }
          ref_linear (F (L->wo), F_opt (L->bo), ao, D, qd, tmp);
          if (L->attn_post_norm)
            ref_norm (FALSE, tmp, F (L->attn_post_norm), NULL, D, c->norm_eps, tmp);
          for (int i = 0; i < D; i++)
            x[t * D + i] += tmp[i];

          ref_norm (a->layer_norm, x + t * D, F (L->ffn_norm), F_opt (L->ffn_norm_b), D,
                    c->norm_eps, xb);
          if (a->ffn == SM_FFN_GELU)
            {
              ref_linear (F (L->w_up), F_opt (L->b_up), xb, H, D, h1);
              for (int i = 0; i < H; i++)
                h1[i] = ref_gelu (h1[i]);
            }
          else
            {
              /* h1 = gate | up */
              if (a->gate_up_fused)
                ref_linear (F (L->w_up), NULL, xb, 2 * H, D, h1);
              else
                {
                  ref_linear (F (L->w_gate), NULL, xb, H, D, h1);
                  ref_linear (F (L->w_up), NULL, xb, H, D, h1 + H);
                }
              for (int i = 0; i < H; i++)
                h1[i] = (a->ffn == SM_FFN_SWIGLU ? h1[i] / (1.0 + exp (-h1[i])) : ref_gelu (h1[i]))
                        * h1[H + i];
            }
          ref_linear (F (L->w_down), F_opt (L->b_down), h1, D, H, tmp);
          if (L->ffn_post_norm)
            ref_norm (FALSE, tmp, F (L->ffn_post_norm), NULL, D, c->norm_eps, tmp);
          for (int i = 0; i < D; i++)
            x[t * D + i] += tmp[i];
        }
    }

  ref_norm (a->layer_norm, x + (gsize) (n - 1) * D, F (m->w.output_norm), F_opt (m->w.output_norm_b),
            D, c->norm_eps, xb);
  ref_linear (F (m->w.output), NULL, xb, c->vocab_size, D, logits);
  if (c->final_softcap > 0)
    for (int i = 0; i < c->vocab_size; i++)
      logits[i] = c->final_softcap * tanh (logits[i] / c->final_softcap);

  g_free (x); g_free (xb); g_free (q); g_free (k); g_free (v); g_free (att); g_free (ao);
  g_free (tmp); g_free (h1);
  return logits;
}

