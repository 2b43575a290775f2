/* sm-backward.h: the ops of the GPT training pass, each forward with the backward that undoes it.
 *
 * Engine-internal (sm-train.c and the tests).  Activations are row-major matrices of N = B·T
 * rows, one row per token of a (B, T) batch.  Every backward *accumulates* into parameter
 * gradients (dw, db: +=), so micro-batches add up; gradients of activations are written
 * (dinp =) unless the comment says they accumulate.  Matmuls go through sm_gemm (threaded)
 * or, inside a task already split over threads, the table's sgemm; the rest splits its rows
 * or columns over the compute pool in fixed ranges, and every reduction runs in one fixed
 * order, so results do not depend on the thread count except through sm_gemm's own splits.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ---- threads ---------------------------------------------------------------------------------- */

typedef void (*SmRangeFn) (gpointer user, gsize first, gsize last);

/* Runs fn over [0, n) split in multiples of @align over the compute pool, when @work (about a
 * flop per unit) is worth more than one thread. */
void  sm_train_parallel_for (gsize n, gsize align, double work, SmRangeFn fn, gpointer user);

/* ---- embeddings ------------------------------------------------------------------------------- */

/* out (B·T, C) = wte[tokens] + wpe[t]; tokens (B, T), wte (V, C), wpe (>= T, C). */
void  sm_train_encoder_forward  (float *out, const gint32 *tokens, const float *wte,
                                 const float *wpe, int B, int T, int C);
/* dwte, dwpe += the rows of dout (B·T, C) where they came from. */
void  sm_train_encoder_backward (float *dwte, float *dwpe, const float *dout,
                                 const gint32 *tokens, int B, int T, int C);

/* ---- LayerNorm (eps 1e-5 as the inference pass) ------------------------------------------------ */

/* out (N, C) = (x - mean) · rstd · w + b per row; mean, rstd (N) kept for the backward. */
void  sm_train_layernorm_forward  (float *out, float *mean, float *rstd, const float *x,
                                   const float *w, const float *b, int N, int C, float eps);
/* dx (N, C) += the gradient through the norm (it sits on a residual branch, so adding is
 * what the caller wants); dw, db (C) +=. */
void  sm_train_layernorm_backward (float *dx, float *dw, float *db, const float *dout,
                                   const float *x, const float *w, const float *mean,
                                   const float *rstd, int N, int C);

/* ---- linear layers ------------------------------------------------------------------------------ */

/* out (N, OC) = inp (N, IC) · wᵀ + bias;  w (OC, IC), bias (OC) or NULL. */
void  sm_train_matmul_forward  (float *out, const float *inp, const float *w, const float *bias,
                                int N, int IC, int OC);
/* dinp (N, IC) = dout · w;  dw (OC, IC) += doutᵀ · inp;  dbias (OC) += Σ rows of dout
 * (dbias may be NULL). */
void  sm_train_matmul_backward (float *dinp, float *dw, float *dbias, const float *dout,
                                const float *inp, const float *w, int N, int IC, int OC);

/* ---- causal self-attention ---------------------------------------------------------------------- */

/* qkv (B·T, 3C): per row q | k | v, each NH heads of C/NH.  att (B, NH, T, T) receives the
 * softmax probabilities (zero above the diagonal), out (B·T, C) the heads side by side. */
void  sm_train_attention_forward  (float *out, float *att, const float *qkv,
                                   int B, int T, int C, int NH);
/* dqkv (B·T, 3C) = the gradient of q, k and v; datt (B, NH, T, T) is scratch. */
void  sm_train_attention_backward (float *dqkv, float *datt, const float *dout,
                                   const float *qkv, const float *att, int B, int T, int C, int NH);

/* ---- GELU (tanh form, as the kernels compute it) ------------------------------------------------- */

void  sm_train_gelu_forward  (float *out, const float *x, gsize n);
/* dx = dout · gelu'(x); dx may alias dout. */
void  sm_train_gelu_backward (float *dx, const float *x, const float *dout, gsize n);

/* ---- residual ----------------------------------------------------------------------------------- */

void  sm_train_residual_forward (float *out, const float *a, const float *b, gsize n);

/* ---- softmax cross-entropy ---------------------------------------------------------------------- */

/* logits (N, V) become the probabilities in place; losses (N) = -ln p[target].  Returns the
 * mean loss over the N rows, summed in double in row order. */
double sm_train_crossentropy_forward  (float *logits, float *losses, const gint32 *targets,
                                       int N, int V);
/* probs (N, V) become dlogits in place: scale · (p - onehot(target)). */
void   sm_train_crossentropy_backward (float *probs, const gint32 *targets, int N, int V,
                                       float scale);

G_END_DECLS
