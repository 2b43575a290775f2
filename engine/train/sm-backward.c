/* sm-backward.c: the GPT training ops, forward and backward, on the kernel table.
 *
 * The forward halves compute what sm-forward.c computes (same kernels: layernorm, gelu,
 * softmax, sgemm), batched over (B, T) and keeping what the backward needs.  The backward
 * halves follow the chain rule op by op, as llm.c lays it out; all their matmuls are GEMMs.
 */
#include "sm-backward.h"
#include "sm-kernels.h"
#include "sm-pool.h"
#include "sm-threads.h"

#include <math.h>
#include <string.h>

/* ---- threads ---------------------------------------------------------------------------------- */

typedef struct {
  SmRangeFn fn;
  gpointer  user;
  gsize     n;
  gsize     align;
} ParJob;

static void
par_task (void *user, int ith, int nth)
{
  const ParJob *j = user;
  gsize first, last;

  sm_threads_range (j->n, ith, nth, j->align, &first, &last);
  if (first < last)
    j->fn (j->user, first, last);
}

void
sm_train_parallel_for (gsize n, gsize align, double work, SmRangeFn fn, gpointer user)
{
  ParJob j = { fn, user, n, MAX (align, 1) };
  int nth = sm_threads_for_work (work);

  if (n == 0)
    return;
  if (nth > 1 && n > j.align)
    sm_threads_run (nth, par_task, &j);
  else
    fn (user, 0, n);
}

/* Column slices are whole 16-float runs so SIMD kernels see full vectors. */
#define COL_ALIGN 16

/* ---- embeddings ------------------------------------------------------------------------------- */

typedef struct {
  float        *out;
  float        *dwte, *dwpe;
  const float  *dout;
  const gint32 *tokens;
  const float  *wte, *wpe;
  int           T, C, N;
} EncJob;

static void
encoder_rows (gpointer user, gsize first, gsize last)
{
  const EncJob *j = user;
  const SmKernels *k = sm_kernels ();
  const gsize C = j->C;

  for (gsize r = first; r < last; r++)
    k->add (j->out + r * C, j->wte + (gsize) j->tokens[r] * C, j->wpe + (r % j->T) * C, C);
}

void
sm_train_encoder_forward (float *out, const gint32 *tokens, const float *wte, const float *wpe,
                          int B, int T, int C)
{
  EncJob j = { .out = out, .tokens = tokens, .wte = wte, .wpe = wpe, .T = T, .C = C };
  sm_train_parallel_for ((gsize) B * T, 1, (double) B * T * C, encoder_rows, &j);
}

/* Split by columns: tokens repeat, so two rows may add into the same row of dwte. */
static void
encoder_back_cols (gpointer user, gsize first, gsize last)
{
  const EncJob *j = user;
  const SmKernels *k = sm_kernels ();
  const gsize C = j->C, n = last - first;

  for (gsize r = 0; r < (gsize) j->N; r++)
    {
      const float *d = j->dout + r * C + first;
      float *gt = j->dwte + (gsize) j->tokens[r] * C + first;
      float *gp = j->dwpe + (r % j->T) * C + first;
      k->add (gt, gt, d, n);
      k->add (gp, gp, d, n);
    }
}

void
sm_train_encoder_backward (float *dwte, float *dwpe, const float *dout, const gint32 *tokens,
                           int B, int T, int C)
{
  EncJob j = { .dwte = dwte, .dwpe = dwpe, .dout = dout, .tokens = tokens, .T = T, .C = C, .N = B * T };
  sm_train_parallel_for (C, COL_ALIGN, 2.0 * B * T * C, encoder_back_cols, &j);
}

/* ---- LayerNorm -------------------------------------------------------------------------------- */

typedef struct {
  float       *out, *dx, *dw, *db;
  float       *mean, *rstd;
  const float *x, *w, *b, *dout;
  const float *cmean, *crstd;
  int          N, C;
  float        eps;
} LnJob;

static void
ln_rows (gpointer user, gsize first, gsize last)
{
  const LnJob *j = user;
  const SmKernels *k = sm_kernels ();
  const gsize C = j->C;

  for (gsize r = first; r < last; r++)
    k->layernorm (j->out + r * C, j->x + r * C, j->w, j->b, C, j->eps, &j->mean[r], &j->rstd[r]);
}

void
sm_train_layernorm_forward (float *out, float *mean, float *rstd, const float *x, const float *w,
                            const float *b, int N, int C, float eps)
{
  LnJob j = { .out = out, .mean = mean, .rstd = rstd, .x = x, .w = w, .b = b, .N = N, .C = C, .eps = eps };
  sm_train_parallel_for (N, 1, 8.0 * N * C, ln_rows, &j);
}

/* dx += rstd · (dn - mean(dn) - x̂ · mean(dn · x̂)) with dn = dout · w, x̂ the normed input. */
static void
ln_back_rows (gpointer user, gsize first, gsize last)
{
  const LnJob *j = user;
  const SmKernels *k = sm_kernels ();
  const gsize C = j->C;
  SmPool *pool = sm_pool_default ();
  float *xhat = sm_pool_rent (pool, 3 * C * sizeof (float));   /* (C) x̂, (C) dn, (C) ones */
  float *dn = xhat + C, *ones = dn + C;

  for (gsize c = 0; c < C; c++)
    ones[c] = 1.0f;
  for (gsize r = first; r < last; r++)
    {
      const float *x = j->x + r * C, *dout = j->dout + r * C;
      float *dx = j->dx + r * C;
      const float mu = j->cmean[r], rs = j->crstd[r];

      for (gsize c = 0; c < C; c++)
        xhat[c] = (x[c] - mu) * rs;
      k->mul (dn, dout, j->w, C);
      const float m1 = k->dot (dn, ones, C) / (float) C;
      const float m2 = k->dot (dn, xhat, C) / (float) C;
      for (gsize c = 0; c < C; c++)
        dx[c] += rs * (dn[c] - m1 - xhat[c] * m2);
    }
  sm_pool_return (pool, xhat);
}

/* dw, db summed over the rows in row order, each thread owning a slice of the columns. */
static void
ln_back_cols (gpointer user, gsize first, gsize last)
{
  const LnJob *j = user;
  const gsize C = j->C;

  for (gsize r = 0; r < (gsize) j->N; r++)
    {
      const float *x = j->x + r * C, *dout = j->dout + r * C;
      const float mu = j->cmean[r], rs = j->crstd[r];

      for (gsize c = first; c < last; c++)
        {
          j->dw[c] += dout[c] * ((x[c] - mu) * rs);
          j->db[c] += dout[c];
        }
    }
}

void
sm_train_layernorm_backward (float *dx, float *dw, float *db, const float *dout, const float *x,
                             const float *w, const float *mean, const float *rstd, int N, int C)
{
  LnJob j = { .dx = dx, .dw = dw, .db = db, .dout = dout, .x = x, .w = w,
              .cmean = mean, .crstd = rstd, .N = N, .C = C };

  sm_train_parallel_for (N, 1, 10.0 * N * C, ln_back_rows, &j);
  sm_train_parallel_for (C, COL_ALIGN, 5.0 * N * C, ln_back_cols, &j);
}

/* ---- linear layers ------------------------------------------------------------------------------ */

typedef struct {
  float       *out, *db;
  const float *bias, *dout;
  int          N, OC;
} BiasJob;

static void
bias_rows (gpointer user, gsize first, gsize last)
{
  const BiasJob *j = user;
  sm_kernels ()->broadcast_add (j->out + first * j->OC, j->out + first * j->OC, j->bias,
                                last - first, j->OC);
}

static void
bias_back_cols (gpointer user, gsize first, gsize last)
{
  const BiasJob *j = user;
  const SmKernels *k = sm_kernels ();

  for (gsize r = 0; r < (gsize) j->N; r++)
    k->add (j->db + first, j->db + first, j->dout + r * j->OC + first, last - first);
}

void
sm_train_matmul_forward (float *out, const float *inp, const float *w, const float *bias,
                         int N, int IC, int OC)
{
  sm_gemm (false, true, N, OC, IC, 1.0f, inp, IC, w, IC, 0.0f, out, OC);
  if (bias)
    {
      BiasJob j = { .out = out, .bias = bias, .N = N, .OC = OC };
      sm_train_parallel_for (N, 1, 2.0 * N * OC, bias_rows, &j);
    }
}

void
sm_train_matmul_backward (float *dinp, float *dw, float *dbias, const float *dout,
                          const float *inp, const float *w, int N, int IC, int OC)
{
  /* dinp = dout · W: (N, OC) · (OC, IC) */
  if (dinp)
    sm_gemm (false, false, N, IC, OC, 1.0f, dout, OC, w, IC, 0.0f, dinp, IC);
  /* dW += doutᵀ · inp: (OC, N) · (N, IC) */
  sm_gemm (true, false, OC, IC, N, 1.0f, dout, OC, inp, IC, 1.0f, dw, IC);
  if (dbias)
    {
      BiasJob j = { .db = dbias, .dout = dout, .N = N, .OC = OC };
      sm_train_parallel_for (OC, COL_ALIGN, 2.0 * N * OC, bias_back_cols, &j);
    }
}

/* ---- causal self-attention ---------------------------------------------------------------------- */

typedef struct {
  float       *out, *att, *dqkv, *datt;
  const float *qkv, *dout, *catt;
  int          T, C, NH;
} AttnJob;

/* One (batch row, head) pair per unit: S = q·kᵀ/√hd, causal softmax, out = P·v. */
static void
attn_heads (gpointer user, gsize first, gsize last)
{
  const AttnJob *j = user;
  const SmKernels *k = sm_kernels ();
  const gsize T = j->T, C = j->C, C3 = 3 * C, hd = C / j->NH;
  const float scale = 1.0f / sqrtf ((float) hd);

  for (gsize u = first; u < last; u++)
    {
      const gsize b = u / j->NH, h = u % j->NH;
      const float *q = j->qkv + b * T * C3 + h * hd;   /* (T, hd), stride 3C */
      const float *kk = q + C, *v = q + 2 * C;
      float *P = j->att + u * T * T;                   /* (T, T) */

      k->sgemm (false, true, T, T, hd, scale, q, C3, kk, C3, 0.0f, P, T);
      for (gsize i = 0; i < T; i++)
        k->softmax_causal (P + i * T, T, i + 1);
      k->sgemm (false, false, T, hd, T, 1.0f, P, T, v, C3, 0.0f, j->out + b * T * C + h * hd, C);
    }
}

void
sm_train_attention_forward (float *out, float *att, const float *qkv, int B, int T, int C, int NH)
{
  AttnJob j = { .out = out, .att = att, .qkv = qkv, .T = T, .C = C, .NH = NH };
  sm_train_parallel_for ((gsize) B * NH, 1, 4.0 * B * T * T * C, attn_heads, &j);
}

/* dP = dout·vᵀ, dv = Pᵀ·dout, dS = P ⊙ (dP - rowsum(P ⊙ dP)), dq = dS·k/√hd, dk = dSᵀ·q/√hd.
 * P is zero above the diagonal, so dS is too and the masked scores get no gradient. */
static void
attn_back_heads (gpointer user, gsize first, gsize last)
{
  const AttnJob *j = user;
  const SmKernels *k = sm_kernels ();
  const gsize T = j->T, C = j->C, C3 = 3 * C, hd = C / j->NH;
  const float scale = 1.0f / sqrtf ((float) hd);

  for (gsize u = first; u < last; u++)
    {
      const gsize b = u / j->NH, h = u % j->NH;
      const gsize base = b * T * C3 + h * hd;
      const float *q = j->qkv + base, *kk = q + C, *v = q + 2 * C;
      float *dq = j->dqkv + base, *dk = dq + C, *dv = dq + 2 * C;
      const float *P = j->catt + u * T * T;            /* (T, T) */
      float *dS = j->datt + u * T * T;                 /* (T, T) */
      const float *dout = j->dout + b * T * C + h * hd; /* (T, hd), stride C */

      k->sgemm (false, true, T, T, hd, 1.0f, dout, C, v, C3, 0.0f, dS, T);
      k->sgemm (true, false, T, hd, T, 1.0f, P, T, dout, C, 0.0f, dv, C3);
      for (gsize i = 0; i < T; i++)
        {
          const float *p = P + i * T;
          float *d = dS + i * T;
          const float dot = k->dot (p, d, i + 1);

          for (gsize t = 0; t <= i; t++)
            d[t] = p[t] * (d[t] - dot);
          memset (d + i + 1, 0, (T - i - 1) * sizeof (float));
        }
      k->sgemm (false, false, T, hd, T, scale, dS, T, kk, C3, 0.0f, dq, C3);
      k->sgemm (true, false, T, hd, T, scale, dS, T, q, C3, 0.0f, dk, C3);
    }
}

void
sm_train_attention_backward (float *dqkv, float *datt, const float *dout, const float *qkv,
                             const float *att, int B, int T, int C, int NH)
{
  AttnJob j = { .dqkv = dqkv, .datt = datt, .dout = dout, .qkv = qkv, .catt = att,
                .T = T, .C = C, .NH = NH };
  sm_train_parallel_for ((gsize) B * NH, 1, 8.0 * B * T * T * C, attn_back_heads, &j);
}

/* ---- GELU ----------------------------------------------------------------------------------------- */

#define GELU_CHUNK 4096

typedef struct {
  float       *out;
  const float *x, *dout;
} GeluJob;

static void
gelu_chunks (gpointer user, gsize first, gsize last)
{
  const GeluJob *j = user;
  sm_kernels ()->gelu (j->out + first, j->x + first, last - first);
}

void
sm_train_gelu_forward (float *out, const float *x, gsize n)
{
  GeluJob j = { .out = out, .x = x };
  sm_train_parallel_for (n, GELU_CHUNK, 20.0 * n, gelu_chunks, &j);
}

/* tanh as a 13/6 rational (Eigen's fast tanh): |error| <= 4e-7 on all floats.  Plain
 * arithmetic, and the clamp to ±7.9 (where the rational stops tracking tanh) done on the
 * bits of |x| as integers, which compare without raising FP flags: the compiler vectorises
 * the loop that calls it, as it would not with libm's tanhf or a float compare. */
static inline float
fast_tanhf (float x)
{
  const guint32 clamp_bits = 0x40fcf84fu;   /* 7.90531110763549805f */
  guint32 bits, mag;

  memcpy (&bits, &x, sizeof bits);
  mag = bits & 0x7fffffffu;
  mag = mag < clamp_bits ? mag : clamp_bits;
  bits = (bits & 0x80000000u) | mag;
  memcpy (&x, &bits, sizeof x);

  const float x2 = x * x;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 - 8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return x * p / q;
}

/* gelu'(x) = ½(1 + tanh u) + ½ x (1 - tanh² u) · √(2/π)(1 + 3·0.044715 x²),
 * u = √(2/π)(x + 0.044715 x³) */
static void
gelu_back_chunks (gpointer user, gsize first, gsize last)
{
  const GeluJob *j = user;
  const float s = 0.79788456080286535588f, a = 0.044715f;
  const float *x = j->x, *dout = j->dout;
  float *dx = j->out;

  for (gsize i = first; i < last; i++)
    {
      const float v = x[i], v2 = v * v;
      const float t = fast_tanhf (s * (v + a * v2 * v));
      const float g = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * s * (1.0f + 3.0f * a * v2);
      dx[i] = g * dout[i];
    }
}

void
sm_train_gelu_backward (float *dx, const float *x, const float *dout, gsize n)
{
  GeluJob j = { .out = dx, .x = x, .dout = dout };
  sm_train_parallel_for (n, GELU_CHUNK, 30.0 * n, gelu_back_chunks, &j);
}

/* ---- residual ----------------------------------------------------------------------------------- */

typedef struct {
  float       *out;
  const float *a, *b;
} AddJob;

static void
add_chunks (gpointer user, gsize first, gsize last)
{
  const AddJob *j = user;
  sm_kernels ()->add (j->out + first, j->a + first, j->b + first, last - first);
}

void
sm_train_residual_forward (float *out, const float *a, const float *b, gsize n)
{
  AddJob j = { out, a, b };
  sm_train_parallel_for (n, GELU_CHUNK, 2.0 * n, add_chunks, &j);
}

/* ---- softmax cross-entropy ---------------------------------------------------------------------- */

typedef struct {
  float        *probs, *losses;
  const gint32 *targets;
  int           V;
  float         scale;
} XentJob;

static void
xent_rows (gpointer user, gsize first, gsize last)
{
  const XentJob *j = user;
  const SmKernels *k = sm_kernels ();

  for (gsize r = first; r < last; r++)
    {
      float *p = j->probs + r * j->V;
      k->softmax (p, j->V);
      /* A probability that underflowed would give an infinite loss; 1e-30 caps it at 69 nats. */
      j->losses[r] = -logf (MAX (p[j->targets[r]], 1e-30f));
    }
}

double
sm_train_crossentropy_forward (float *logits, float *losses, const gint32 *targets, int N, int V)
{
  XentJob j = { .probs = logits, .losses = losses, .targets = targets, .V = V };
  double sum = 0.0;

  sm_train_parallel_for (N, 1, 20.0 * N * V, xent_rows, &j);
  for (int r = 0; r < N; r++)
    sum += losses[r];
  return N > 0 ? sum / N : 0.0;
}

static void
xent_back_rows (gpointer user, gsize first, gsize last)
{
  const XentJob *j = user;
  const SmKernels *k = sm_kernels ();

  for (gsize r = first; r < last; r++)
    {
      float *p = j->probs + r * j->V;
      k->scale (p, p, j->scale, j->V);
      p[j->targets[r]] -= j->scale;
    }
}

void
sm_train_crossentropy_backward (float *probs, const gint32 *targets, int N, int V, float scale)
{
  XentJob j = { .probs = probs, .targets = targets, .V = V, .scale = scale };
  sm_train_parallel_for (N, 1, 2.0 * N * V, xent_back_rows, &j);
}
