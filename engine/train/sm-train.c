/* sm-train.c: the trainer: parameters and their gradients and moments, the batched forward
 * that keeps its activations, the backward through them, the optimizer step, data, and
 * checkpoints that resume exactly. */
#include "sm-train.h"
#include "sm-atomic-file.h"
#include "sm-adamw.h"
#include "sm-backward.h"
#include "sm-checkpoint.h"
#include "sm-model-private.h"
#include "sm-pool.h"
#include "sm-threads.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (sm-train-error-quark, sm_train_error)

#define PARAM_ALIGN 16   /* floats: every tensor starts on a 64-byte line */

/* ---- parameters ---------------------------------------------------------------------------------- */

/* One trained tensor's place in the flat arrays. */
typedef struct {
  char    *name;
  gsize    offset;    /* floats from the start */
  gsize    n;
  int      n_dims;
  gint64   shape[2];
  gboolean decay;     /* matrices and embeddings decay; norms and biases do not */
} Slot;

/* Pointers into one flat array (parameters, or gradients at the same offsets). */
typedef struct {
  float *ln1_w, *ln1_b;   /* (C)              */
  float *wqkv, *bqkv;     /* (3C, C), (3C)    */
  float *wo, *bo;         /* (C, C), (C)      */
  float *ln2_w, *ln2_b;   /* (C)              */
  float *w_up, *b_up;     /* (4C, C), (4C)    */
  float *w_down, *b_down; /* (C, 4C), (C)     */
} LayerPtrs;

typedef struct {
  float     *wte;         /* (V, C)           */
  float     *wpe;         /* (context, C)     */
  LayerPtrs *layers;      /* [L]              */
  float     *lnf_w, *lnf_b;
  float     *lm;          /* (V, C); wte when tied */
} Ptrs;

/* Activations of one micro-batch, N = B·T rows, sized for the params' B and T. */
typedef struct {
  float *ln1, *ln1_mean, *ln1_rstd;   /* (N, C), (N), (N)                     */
  float *qkv;                         /* (N, 3C)                              */
  float *att;                         /* (B, NH, T, T) softmax probabilities  */
  float *atty;                        /* (N, C) heads' outputs, before wo     */
  float *res2;                        /* (N, C) residual after attention      */
  float *ln2, *ln2_mean, *ln2_rstd;   /* (N, C), (N), (N)                     */
  float *fch;                         /* (N, 4C) before GELU                  */
  float *fch_gelu;                    /* (N, 4C)                              */
  float *res3;                        /* (N, C) the layer's output            */
} LayerActs;

typedef struct {
  float     *encoded;                 /* (N, C) embeddings                    */
  LayerActs *layers;                  /* [L]                                  */
  float     *lnf, *lnf_mean, *lnf_rstd;
  float     *logits;                  /* (N, V) logits, probabilities, dlogits */
  float     *losses;                  /* (N)                                  */
  /* backward scratch */
  float     *dres;                    /* (N, C) gradient of the residual stream */
  float     *dln;                     /* (N, C) of a norm's output / of atty  */
  float     *dbig;                    /* (N, 4C) of the MLP hidden / of qkv   */
  float     *datt;                    /* (B, NH, T, T)                        */
} Acts;

struct _SmTrainer {
  SmTrainParams  p;
  SmModel       *model;      /* tensors borrow from params */
  SmModelConfig  c;
  GPtrArray     *slots;      /* of Slot, checkpoint order */
  char         **names;      /* the slots' names, NULL-terminated */
  gsize          n_total;    /* floats in each flat array, padding included */
  SmTensor      *params, *grads, *m, *v;   /* (n_total) each, from the pool */
  Ptrs           P, G;
  GPtrArray     *buffers;    /* every activation buffer, returned to the pool at the end */
  Acts           a;
  int            B, T;       /* of the last forward */
  const gint32  *inputs, *targets;
  gint32        *batch;      /* (2, B·T) inputs then targets of the sampled micro-batch */
  int            step;
  guint64        tokens_seen;
  guint64        rng;
  JsonObject    *run_info;
  SmProfiler    *prof_fwd, *prof_bwd, *prof_opt;
};

struct _SmTrainData {
  SmTokenizer *tok;
  GArray      *tokens;    /* gint32 */
  gsize        n_bytes;
  char        *name;
};

void
sm_train_params_init (SmTrainParams *p)
{
  *p = (SmTrainParams) {
    .batch_size = 16, .seq_len = 64, .grad_accum = 1, .max_steps = 1000, .warmup_steps = 100,
    .lr = 1e-3f, .min_lr = 1e-4f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f,
    .weight_decay = 0.1f, .grad_clip = 1.0f, .seed = 1337,
  };
}

gboolean
sm_train_params_validate (const SmTrainParams *p, GError **error)
{
  const char *bad = NULL;

  if (p->batch_size < 1 || p->batch_size > 4096)
    bad = "the batch size must be between 1 and 4096";
  else if (p->seq_len < 1)
    bad = "the context (sequence length) must be at least 1";
  else if (p->grad_accum < 1 || p->grad_accum > 65536)
    bad = "gradient accumulation must be between 1 and 65536 micro-batches";
  else if (p->max_steps < 1)
    bad = "the run needs at least one step";
  else if (p->warmup_steps < 0)
    bad = "warm-up steps cannot be negative";
  else if (!(p->lr > 0.0f) || !isfinite (p->lr) || !(p->min_lr >= 0.0f) || p->min_lr > p->lr)
    bad = "the learning rate must be positive and the minimum between 0 and it";
  else if (!(p->beta1 >= 0.0f && p->beta1 < 1.0f) || !(p->beta2 >= 0.0f && p->beta2 < 1.0f))
    bad = "AdamW betas must be in [0, 1)";
  else if (!(p->eps > 0.0f))
    bad = "AdamW eps must be positive";
  else if (!(p->weight_decay >= 0.0f) || !isfinite (p->weight_decay))
    bad = "weight decay cannot be negative";
  else if (!isfinite (p->grad_clip))
    bad = "the gradient clipping norm must be finite";
  if (bad)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_INVALID, "Invalid training setting: %s", bad);
      return FALSE;
    }
  return TRUE;
}

static void
slot_free (gpointer p)
{
  Slot *s = p;
  g_free (s->name);
  g_free (s);
}

static const Slot *
find_slot (SmTrainer *t, const char *name)
{
  for (guint i = 0; i < t->slots->len; i++)
    {
      const Slot *s = g_ptr_array_index (t->slots, i);
      if (strcmp (s->name, name) == 0)
        return s;
    }
  return NULL;
}

static void
unref_tensor (gpointer p)
{
  sm_tensor_unref (p);
}

/* The same layout seen from another flat array: base + (p - params). */
static float *
shift (const SmTrainer *t, const float *p, float *base)
{
  return base + (p - sm_tensor_f32 (t->params));
}

static void
ptrs_for (SmTrainer *t, Ptrs *out, float *base)
{
  const SmWeights *w = &t->model->w;

  out->wte = shift (t, sm_tensor_f32 (w->token_embd), base);
  out->wpe = shift (t, sm_tensor_f32 (w->pos_embd), base);
  out->lnf_w = shift (t, sm_tensor_f32 (w->output_norm), base);
  out->lnf_b = shift (t, sm_tensor_f32 (w->output_norm_b), base);
  out->lm = shift (t, sm_tensor_f32 (w->output), base);
  out->layers = g_new0 (LayerPtrs, t->c.n_layers);
  for (int l = 0; l < t->c.n_layers; l++)
    {
      const SmLayerWeights *L = &w->layers[l];
      LayerPtrs *o = &out->layers[l];
      o->ln1_w = shift (t, sm_tensor_f32 (L->attn_norm), base);
      o->ln1_b = shift (t, sm_tensor_f32 (L->attn_norm_b), base);
      o->wqkv = shift (t, sm_tensor_f32 (L->wqkv), base);
      o->bqkv = shift (t, sm_tensor_f32 (L->bqkv), base);
      o->wo = shift (t, sm_tensor_f32 (L->wo), base);
      o->bo = shift (t, sm_tensor_f32 (L->bo), base);
      o->ln2_w = shift (t, sm_tensor_f32 (L->ffn_norm), base);
      o->ln2_b = shift (t, sm_tensor_f32 (L->ffn_norm_b), base);
      o->w_up = shift (t, sm_tensor_f32 (L->w_up), base);
      o->b_up = shift (t, sm_tensor_f32 (L->b_up), base);
      o->w_down = shift (t, sm_tensor_f32 (L->w_down), base);
      o->b_down = shift (t, sm_tensor_f32 (L->b_down), base);
    }
}

static float *
rent (SmTrainer *t, gsize n_floats)
{
  float *buf = sm_pool_rent (sm_pool_default (), MAX (n_floats, 1) * sizeof (float));
  g_ptr_array_add (t->buffers, buf);
  return buf;
}

static void
acts_alloc (SmTrainer *t)
{
  const gsize B = t->p.batch_size, T = t->p.seq_len, N = B * T;
  const gsize C = t->c.dim, H = t->c.hidden_dim, V = t->c.vocab_size, NH = t->c.n_heads;
  Acts *a = &t->a;

  a->encoded = rent (t, N * C);
  a->layers = g_new0 (LayerActs, t->c.n_layers);
  for (int l = 0; l < t->c.n_layers; l++)
    {
      LayerActs *la = &a->layers[l];
      la->ln1 = rent (t, N * C);
      la->ln1_mean = rent (t, N);
      la->ln1_rstd = rent (t, N);
      la->qkv = rent (t, N * 3 * C);
      la->att = rent (t, B * NH * T * T);
      la->atty = rent (t, N * C);
      la->res2 = rent (t, N * C);
      la->ln2 = rent (t, N * C);
      la->ln2_mean = rent (t, N);
      la->ln2_rstd = rent (t, N);
      la->fch = rent (t, N * H);
      la->fch_gelu = rent (t, N * H);
      la->res3 = rent (t, N * C);
    }
  a->lnf = rent (t, N * C);
  a->lnf_mean = rent (t, N);
  a->lnf_rstd = rent (t, N);
  a->logits = rent (t, N * V);
  a->losses = rent (t, N);
  a->dres = rent (t, N * C);
  a->dln = rent (t, N * C);
  a->dbig = rent (t, N * MAX (H, 3 * C));
  a->datt = rent (t, B * NH * T * T);
  t->batch = (gint32 *) rent (t, 2 * N);
}

static void
pool_return (gpointer buf)
{
  sm_pool_return (sm_pool_default (), buf);
}

/* Builds the trainer's model over a fresh flat array and copies @init's weights into it. */
static SmTrainer *
trainer_alloc (SmModel *init, const SmTrainParams *params, GError **error)
{
  const SmModelConfig *c = sm_model_get_config (init);
  g_autoptr (SmTrainer) t = g_new0 (SmTrainer, 1);
  g_autoptr (GPtrArray) init_slots = NULL, new_slots = NULL;
  gsize off = 0;

  t->buffers = g_ptr_array_new_with_free_func (pool_return);
  t->slots = g_ptr_array_new_with_free_func (slot_free);
  t->run_info = json_object_new ();
  t->p = *params;
  t->c = *c;
  t->rng = params->seed;

  if (!sm_train_params_validate (params, error))
    return NULL;
  if (c->arch != SM_ARCH_GPT)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_INVALID,
                   "Only GPT-style models (SmallMind's presets and shapes) can be trained");
      return NULL;
    }
  if (params->seq_len > c->context_length)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_INVALID,
                   "The training context (%d) is longer than the model's (%d positions)",
                   params->seq_len, c->context_length);
      return NULL;
    }

  init_slots = sm_model_tensor_slots (init);
  for (guint i = 0; i < init_slots->len; i++)
    {
      SmTensorSlot *is = g_ptr_array_index (init_slots, i);
      SmTensor *src = *is->slot;
      Slot *s;

      if (src == NULL || src->dtype != SM_DTYPE_F32 || !sm_tensor_is_contiguous (src))
        {
          g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_INVALID,
                       "Tensor '%s' is %s; training needs f32 weights", is->name,
                       src ? sm_dtype_name (src->dtype) : "missing");
          return NULL;
        }
      s = g_new0 (Slot, 1);
      s->name = g_strdup (is->name);
      s->offset = off;
      s->n = (gsize) sm_tensor_n_elements (src);
      s->n_dims = is->n_dims;
      s->shape[0] = is->shape[0];
      s->shape[1] = is->shape[1];
      s->decay = is->n_dims == 2;
      g_ptr_array_add (t->slots, s);
      off += (s->n + PARAM_ALIGN - 1) / PARAM_ALIGN * PARAM_ALIGN;
    }
  t->n_total = off;
  t->names = g_new0 (char *, t->slots->len + 1);
  for (guint i = 0; i < t->slots->len; i++)
    t->names[i] = g_strdup (((Slot *) g_ptr_array_index (t->slots, i))->name);

  /* zero-filled, so the padding between tensors stays 0 through every update */
  t->params = sm_tensor_new0 (NULL, SM_DTYPE_F32, 1, (gint64[]) { (gint64) t->n_total });
  t->grads = sm_tensor_new0 (NULL, SM_DTYPE_F32, 1, (gint64[]) { (gint64) t->n_total });
  t->m = sm_tensor_new0 (NULL, SM_DTYPE_F32, 1, (gint64[]) { (gint64) t->n_total });
  t->v = sm_tensor_new0 (NULL, SM_DTYPE_F32, 1, (gint64[]) { (gint64) t->n_total });

  /* The model sees the flat array through borrowed tensors that keep it alive. */
  t->model = sm_model_alloc (c);
  new_slots = sm_model_tensor_slots (t->model);
  g_assert (new_slots->len == t->slots->len);
  for (guint i = 0; i < new_slots->len; i++)
    {
      SmTensorSlot *ns = g_ptr_array_index (new_slots, i);
      SmTensorSlot *is = g_ptr_array_index (init_slots, i);
      const Slot *s = g_ptr_array_index (t->slots, i);
      float *dst = sm_tensor_f32 (t->params) + s->offset;

      memcpy (dst, sm_tensor_f32 (*is->slot), s->n * sizeof (float));
      *ns->slot = sm_tensor_new_borrowed (SM_DTYPE_F32, ns->n_dims, ns->shape, dst,
                                          unref_tensor, sm_tensor_ref (t->params));
    }
  t->model->tokenizer = sm_tokenizer_ref (sm_model_get_tokenizer (init));
  t->model->name = g_strdup (sm_model_get_name (init) ? sm_model_get_name (init) : "SmallMind model");
  t->model->format = g_strdup ("training");
  if (!sm_model_validate (t->model, error))
    return NULL;

  ptrs_for (t, &t->P, sm_tensor_f32 (t->params));
  ptrs_for (t, &t->G, sm_tensor_f32 (t->grads));
  acts_alloc (t);
  return g_steal_pointer (&t);
}

SmTrainer *
sm_trainer_new (SmModel *init, const SmTrainParams *params, GError **error)
{
  g_return_val_if_fail (init != NULL && params != NULL, NULL);
  return trainer_alloc (init, params, error);
}

void
sm_trainer_free (SmTrainer *t)
{
  if (t == NULL)
    return;
  g_clear_pointer (&t->model, sm_model_unref);
  g_clear_pointer (&t->params, sm_tensor_unref);
  g_clear_pointer (&t->grads, sm_tensor_unref);
  g_clear_pointer (&t->m, sm_tensor_unref);
  g_clear_pointer (&t->v, sm_tensor_unref);
  g_clear_pointer (&t->slots, g_ptr_array_unref);
  g_clear_pointer (&t->buffers, g_ptr_array_unref);
  g_clear_pointer (&t->run_info, json_object_unref);
  g_strfreev (t->names);
  g_free (t->P.layers);
  g_free (t->G.layers);
  g_free (t->a.layers);
  g_free (t);
}

SmModel *
sm_trainer_get_model (SmTrainer *t)
{
  return t->model;
}

const SmTrainParams *
sm_trainer_get_params (SmTrainer *t)
{
  return &t->p;
}

gboolean
sm_trainer_set_max_steps (SmTrainer *t, int max_steps, GError **error)
{
  if (max_steps < 1)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_INVALID,
                   "Invalid training setting: the run needs at least one step");
      return FALSE;
    }
  t->p.max_steps = max_steps;
  return TRUE;
}

int
sm_trainer_get_step (SmTrainer *t)
{
  return t->step;
}

guint64
sm_trainer_get_tokens_seen (SmTrainer *t)
{
  return t->tokens_seen;
}

JsonObject *
sm_trainer_get_run_info (SmTrainer *t)
{
  return t->run_info;
}

void
sm_trainer_set_profilers (SmTrainer *t, SmProfiler *forward, SmProfiler *backward,
                          SmProfiler *optimizer)
{
  t->prof_fwd = forward;
  t->prof_bwd = backward;
  t->prof_opt = optimizer;
}

float *
sm_trainer_get_param (SmTrainer *t, const char *name, gsize *n)
{
  const Slot *s = find_slot (t, name);
  if (n)
    *n = s ? s->n : 0;
  return s ? sm_tensor_f32 (t->params) + s->offset : NULL;
}

float *
sm_trainer_get_grad (SmTrainer *t, const char *name, gsize *n)
{
  const Slot *s = find_slot (t, name);
  if (n)
    *n = s ? s->n : 0;
  return s ? sm_tensor_f32 (t->grads) + s->offset : NULL;
}

const char *const *
sm_trainer_tensor_names (SmTrainer *t)
{
  return (const char *const *) t->names;
}

/* ---- forward and backward ---------------------------------------------------------------------- */

static inline void
op (SmProfiler *prof, SmOpKind kind, double flops, double bytes)
{
  sm_profiler_op (prof, kind, flops, bytes);
}

/* A phase ("forward", "backward", "optimizer") as a scope, so one profiler shared by all
 * three still tells them apart; the mark starts the phase's first op. */
static void
phase_begin (SmProfiler *prof, const char *name)
{
  if (prof == NULL)
    return;
  sm_profiler_scope_begin (prof, name);
  sm_profiler_mark (prof);
}

static void
phase_end (SmProfiler *prof)
{
  if (prof)
    sm_profiler_scope_end (prof);
}

double
sm_trainer_forward (SmTrainer *t, const gint32 *inputs, const gint32 *targets, int B, int T)
{
  const SmModelConfig *c = &t->c;
  const int C = c->dim, H = c->hidden_dim, V = c->vocab_size, NH = c->n_heads, N = B * T;
  const double n = N;
  SmProfiler *prof = t->prof_fwd;
  Acts *a = &t->a;
  const float *x;
  double loss;

  g_return_val_if_fail (B >= 1 && B <= t->p.batch_size && T >= 1 && T <= t->p.seq_len, NAN);
  t->B = B;
  t->T = T;
  t->inputs = inputs;
  t->targets = targets;

  phase_begin (prof, "forward");
  sm_train_encoder_forward (a->encoded, inputs, t->P.wte, t->P.wpe, B, T, C);
  op (prof, SM_OP_EMBED, n * C, 12.0 * n * C);

  x = a->encoded;
  for (int l = 0; l < c->n_layers; l++)
    {
      const LayerPtrs *w = &t->P.layers[l];
      LayerActs *la = &a->layers[l];

      sm_train_layernorm_forward (la->ln1, la->ln1_mean, la->ln1_rstd, x, w->ln1_w, w->ln1_b, N, C, c->norm_eps);
      op (prof, SM_OP_NORM, 8.0 * n * C, 8.0 * n * C);
      sm_train_matmul_forward (la->qkv, la->ln1, w->wqkv, w->bqkv, N, C, 3 * C);
      op (prof, SM_OP_MATMUL, 2.0 * n * C * 3 * C, 4.0 * (3.0 * C * C + n * 4 * C));
      sm_train_attention_forward (la->atty, la->att, la->qkv, B, T, C, NH);
      op (prof, SM_OP_ATTENTION, 4.0 * B * (double) T * T * C, 4.0 * (n * 4 * C + (double) B * NH * T * T));
      sm_train_matmul_forward (la->res2, la->atty, w->wo, w->bo, N, C, C);
      op (prof, SM_OP_MATMUL, 2.0 * n * C * C, 4.0 * ((double) C * C + 2.0 * n * C));
      sm_train_residual_forward (la->res2, la->res2, x, (gsize) N * C);
      op (prof, SM_OP_ADD, n * C, 12.0 * n * C);

      sm_train_layernorm_forward (la->ln2, la->ln2_mean, la->ln2_rstd, la->res2, w->ln2_w, w->ln2_b, N, C, c->norm_eps);
      op (prof, SM_OP_NORM, 8.0 * n * C, 8.0 * n * C);
      sm_train_matmul_forward (la->fch, la->ln2, w->w_up, w->b_up, N, C, H);
      op (prof, SM_OP_MATMUL, 2.0 * n * C * H, 4.0 * ((double) C * H + n * (C + H)));
      sm_train_gelu_forward (la->fch_gelu, la->fch, (gsize) N * H);
      op (prof, SM_OP_GELU, 10.0 * n * H, 8.0 * n * H);
      sm_train_matmul_forward (la->res3, la->fch_gelu, w->w_down, w->b_down, N, H, C);
      op (prof, SM_OP_MATMUL, 2.0 * n * C * H, 4.0 * ((double) C * H + n * (C + H)));
      sm_train_residual_forward (la->res3, la->res3, la->res2, (gsize) N * C);
      op (prof, SM_OP_ADD, n * C, 12.0 * n * C);
      x = la->res3;
    }

  sm_train_layernorm_forward (a->lnf, a->lnf_mean, a->lnf_rstd, x, t->P.lnf_w, t->P.lnf_b, N, C, c->norm_eps);
  op (prof, SM_OP_NORM, 8.0 * n * C, 8.0 * n * C);
  sm_train_matmul_forward (a->logits, a->lnf, t->P.lm, NULL, N, C, V);
  op (prof, SM_OP_MATMUL, 2.0 * n * C * V, 4.0 * ((double) C * V + n * (C + V)));
  loss = sm_train_crossentropy_forward (a->logits, a->losses, targets, N, V);
  op (prof, SM_OP_SOFTMAX, 5.0 * n * V, 8.0 * n * V);
  phase_end (prof);
  return loss;
}

void
sm_trainer_backward (SmTrainer *t, float loss_scale)
{
  const SmModelConfig *c = &t->c;
  const int B = t->B, T = t->T, N = B * T;
  const int C = c->dim, H = c->hidden_dim, V = c->vocab_size, NH = c->n_heads;
  const double n = N;
  SmProfiler *prof = t->prof_bwd;
  Acts *a = &t->a;
  const Ptrs *P = &t->P, *G = &t->G;

  g_return_if_fail (t->inputs != NULL);

  phase_begin (prof, "backward");
  /* d(mean loss)/dlogits, in place of the probabilities */
  sm_train_crossentropy_backward (a->logits, t->targets, N, V, loss_scale / (float) N);
  op (prof, SM_OP_SOFTMAX, 2.0 * n * V, 8.0 * n * V);
  sm_train_matmul_backward (a->dln, G->lm, NULL, a->logits, a->lnf, P->lm, N, C, V);
  op (prof, SM_OP_MATMUL, 4.0 * n * C * V, 8.0 * ((double) C * V + n * (C + V)));
  memset (a->dres, 0, (gsize) N * C * sizeof (float));
  sm_train_layernorm_backward (a->dres, G->lnf_w, G->lnf_b, a->dln,
                               c->n_layers > 0 ? a->layers[c->n_layers - 1].res3 : a->encoded,
                               P->lnf_w, a->lnf_mean, a->lnf_rstd, N, C);
  op (prof, SM_OP_NORM, 15.0 * n * C, 20.0 * n * C);

  /* dres holds the gradient of each layer's output on the way in, of its input on the way out */
  for (int l = c->n_layers - 1; l >= 0; l--)
    {
      const LayerPtrs *w = &P->layers[l], *g = &G->layers[l];
      const LayerActs *la = &a->layers[l];
      const float *res_in = l > 0 ? a->layers[l - 1].res3 : a->encoded;

      /* MLP block, reading the residual branch's gradient straight from dres */
      sm_train_matmul_backward (a->dbig, g->w_down, g->b_down, a->dres, la->fch_gelu, w->w_down, N, H, C);
      op (prof, SM_OP_MATMUL, 4.0 * n * C * H, 8.0 * ((double) C * H + n * (C + H)));
      sm_train_gelu_backward (a->dbig, la->fch, a->dbig, (gsize) N * H);
      op (prof, SM_OP_GELU, 20.0 * n * H, 12.0 * n * H);
      sm_train_matmul_backward (a->dln, g->w_up, g->b_up, a->dbig, la->ln2, w->w_up, N, C, H);
      op (prof, SM_OP_MATMUL, 4.0 * n * C * H, 8.0 * ((double) C * H + n * (C + H)));
      sm_train_layernorm_backward (a->dres, g->ln2_w, g->ln2_b, a->dln, la->res2, w->ln2_w,
                                   la->ln2_mean, la->ln2_rstd, N, C);
      op (prof, SM_OP_NORM, 15.0 * n * C, 20.0 * n * C);

      /* attention block */
      sm_train_matmul_backward (a->dln, g->wo, g->bo, a->dres, la->atty, w->wo, N, C, C);
      op (prof, SM_OP_MATMUL, 4.0 * n * C * C, 8.0 * ((double) C * C + 2.0 * n * C));
      sm_train_attention_backward (a->dbig, a->datt, a->dln, la->qkv, la->att, B, T, C, NH);
      op (prof, SM_OP_ATTENTION, 8.0 * B * (double) T * T * C, 4.0 * (2.0 * n * 4 * C + 2.0 * B * NH * T * T));
      sm_train_matmul_backward (a->dln, g->wqkv, g->bqkv, a->dbig, la->ln1, w->wqkv, N, C, 3 * C);
      op (prof, SM_OP_MATMUL, 4.0 * n * C * 3 * C, 8.0 * (3.0 * C * C + n * 4 * C));
      sm_train_layernorm_backward (a->dres, g->ln1_w, g->ln1_b, a->dln, res_in, w->ln1_w,
                                   la->ln1_mean, la->ln1_rstd, N, C);
      op (prof, SM_OP_NORM, 15.0 * n * C, 20.0 * n * C);
    }

  sm_train_encoder_backward (G->wte, G->wpe, a->dres, t->inputs, B, T, C);
  op (prof, SM_OP_EMBED, 2.0 * n * C, 16.0 * n * C);
  phase_end (prof);
}

void
sm_trainer_zero_grad (SmTrainer *t)
{
  memset (sm_tensor_f32 (t->grads), 0, t->n_total * sizeof (float));
}

/* ---- data ---------------------------------------------------------------------------------------- */

SmTrainData *
sm_train_data_new (SmTokenizer *tok, const char *text, gssize len, const char *what,
                   GError **error)
{
  g_autoptr (SmTrainData) d = NULL;
  const char *end = NULL;

  g_return_val_if_fail (tok != NULL && text != NULL, NULL);
  if (len < 0)
    len = (gssize) strlen (text);
  if (what == NULL)
    what = "The training text";
  if (len == 0)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA, "%s is empty", what);
      return NULL;
    }
  if (!g_utf8_validate (text, len, &end))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                   "%s is not valid UTF-8 text (bad byte 0x%02x at offset %" G_GSIZE_FORMAT ")",
                   what, (guint8) *end, (gsize) (end - text));
      return NULL;
    }

  d = g_new0 (SmTrainData, 1);
  d->tok = sm_tokenizer_ref (tok);
  d->tokens = g_array_sized_new (FALSE, FALSE, sizeof (gint32), len);
  d->n_bytes = len;
  d->name = g_strdup (what);
  if (!sm_tokenizer_encode (tok, text, len, FALSE, d->tokens, error))
    return NULL;
  return g_steal_pointer (&d);
}

SmTrainData *
sm_train_data_new_from_files (SmTokenizer *tok, const char *const *paths, GError **error)
{
  g_autoptr (SmTrainData) all = NULL;

  g_return_val_if_fail (tok != NULL && paths != NULL, NULL);
  if (paths[0] == NULL)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA, "No training text given");
      return NULL;
    }
  for (int i = 0; paths[i]; i++)
    {
      g_autofree char *text = NULL;
      gsize len = 0;
      g_autoptr (SmTrainData) one = NULL;

      if (!g_file_get_contents (paths[i], &text, &len, error))
        return NULL;
      one = sm_train_data_new (tok, text, len, paths[i], error);
      if (one == NULL)
        return NULL;
      if (all == NULL)
        all = g_steal_pointer (&one);
      else
        {
          g_array_append_vals (all->tokens, one->tokens->data, one->tokens->len);
          all->n_bytes += one->n_bytes;
          g_free (all->name);
          all->name = g_strdup_printf ("%d files", i + 1);
        }
    }
  return g_steal_pointer (&all);
}

SmTrainData *
sm_train_data_split (SmTrainData *data, double fraction)
{
  SmTrainData *held;
  guint n = data->tokens->len;
  guint keep;

  g_return_val_if_fail (fraction > 0.0 && fraction < 1.0, NULL);
  keep = n - (guint) (n * fraction);
  held = g_new0 (SmTrainData, 1);
  held->tok = sm_tokenizer_ref (data->tok);
  held->tokens = g_array_sized_new (FALSE, FALSE, sizeof (gint32), n - keep);
  g_array_append_vals (held->tokens, &g_array_index (data->tokens, gint32, keep), n - keep);
  held->name = g_strdup_printf ("the last %.0f%% of %s", fraction * 100.0, data->name);
  /* Bytes split in proportion: only used to report bits per byte, recomputed from tokens. */
  held->n_bytes = (gsize) ((double) data->n_bytes * (n - keep) / MAX (n, 1));
  data->n_bytes -= held->n_bytes;
  g_array_set_size (data->tokens, keep);
  return held;
}

void
sm_train_data_free (SmTrainData *d)
{
  if (d == NULL)
    return;
  g_clear_pointer (&d->tok, sm_tokenizer_unref);
  if (d->tokens)
    g_array_unref (d->tokens);
  g_free (d->name);
  g_free (d);
}

const gint32 *
sm_train_data_get_tokens (SmTrainData *d, gsize *n)
{
  if (n)
    *n = d->tokens->len;
  return (const gint32 *) d->tokens->data;
}

gsize
sm_train_data_n_bytes (SmTrainData *d)
{
  return d->n_bytes;
}

const char *
sm_train_data_get_name (SmTrainData *d)
{
  return d->name;
}

gboolean
sm_trainer_check_data (SmTrainer *t, SmTrainData *d, GError **error)
{
  const gsize need = (gsize) t->p.seq_len + 1;

  if (d->tokens->len < need)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                   "%s is too small for the context: %u tokens, but a context of %d needs at "
                   "least %" G_GSIZE_FORMAT, d->name, d->tokens->len, t->p.seq_len, need);
      return FALSE;
    }
  if (sm_tokenizer_n_vocab (d->tok) > t->c.vocab_size)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                   "%s was tokenized into %d ids but the model's vocabulary has %d",
                   d->name, sm_tokenizer_n_vocab (d->tok), t->c.vocab_size);
      return FALSE;
    }
  return TRUE;
}

/* A string member, or NULL when absent or of another type (json-glib warns on a mismatch). */
static const char *
member_string (JsonObject *o, const char *key)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
    ? json_node_get_string (n) : NULL;
}

/* An object member, or NULL. */
static JsonObject *
member_object (JsonObject *o, const char *key)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

/* ---- tokenizer files ----------------------------------------------------------------------------- */

gboolean
sm_train_tokenizer_save (SmTokenizer *tok, const char *path, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  switch (sm_tokenizer_get_kind (tok))
    {
    case SM_TOKENIZER_BYTES:
      json_builder_add_string_value (b, "bytes");
      break;
    case SM_TOKENIZER_BPE:
      {
        gsize n = 0;
        const gint32 *merges = sm_tokenizer_get_merges (tok, &n);
        json_builder_add_string_value (b, "bpe");
        json_builder_set_member_name (b, "merges");
        json_builder_begin_array (b);
        for (gsize i = 0; i < 2 * n; i++)
          json_builder_add_int_value (b, merges[i]);
        json_builder_end_array (b);
      }
      break;
    case SM_TOKENIZER_SPM:
    default:
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_INVALID,
                   "Only bytes and byte-level BPE tokenizers are written as tokenizer files");
      return FALSE;
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  return sm_atomic_file_set_contents (path, text, -1, error);
}

SmTokenizer *
sm_train_tokenizer_load (const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  JsonNode *root;
  JsonObject *o;
  const char *kind;

  if (!json_parser_load_from_file (parser, path, &local))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                   "%s is not a tokenizer file: %s", path, local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  o = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  kind = member_string (o, "kind");
  if (g_strcmp0 (kind, "bytes") == 0)
    return sm_tokenizer_new_bytes ();
  if (g_strcmp0 (kind, "bpe") == 0)
    {
      JsonNode *mn = json_object_get_member (o, "merges");
      JsonArray *a = mn && JSON_NODE_HOLDS_ARRAY (mn) ? json_node_get_array (mn) : NULL;
      guint n = a ? json_array_get_length (a) : 0;
      g_autofree gint32 *merges = g_new (gint32, MAX (n, 1));
      SmTokenizer *tok;

      if (a == NULL || n % 2)
        {
          g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                       "%s: \"merges\" must be an even-length array of token ids", path);
          return NULL;
        }
      for (guint i = 0; i < n; i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_INT64 ||
              json_node_get_int (e) < 0 || json_node_get_int (e) > G_MAXINT32)
            {
              g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                           "%s: merge entry %u is not a token id", path, i);
              return NULL;
            }
          merges[i] = (gint32) json_node_get_int (e);
        }
      tok = sm_tokenizer_new_bpe (merges, n / 2, &local);
      if (tok == NULL)
        g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA, "%s: %s", path, local->message);
      return tok;
    }
  g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
               "%s: tokenizer kind '%s' is unknown (bytes or bpe)", path, kind ? kind : "(none)");
  return NULL;
}

/* ---- steps --------------------------------------------------------------------------------------- */

/* splitmix64, as sm-model.c's initialisation: the same stream everywhere. */
static guint64
rng_next (guint64 *state)
{
  guint64 z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform in [0, n) without modulo bias worth mentioning (Lemire's multiply-shift). */
static gsize
rng_below (guint64 *state, gsize n)
{
  return (gsize) (((unsigned __int128) rng_next (state) * n) >> 64);
}

static void
sample_batch (SmTrainer *t, SmTrainData *d)
{
  const int B = t->p.batch_size, T = t->p.seq_len;
  const gint32 *tok = (const gint32 *) d->tokens->data;
  const gsize starts = d->tokens->len - (gsize) T;   /* windows of T + 1 tokens */
  gint32 *in = t->batch, *tg = t->batch + (gsize) B * T;

  for (int b = 0; b < B; b++)
    {
      gsize s = rng_below (&t->rng, starts);
      memcpy (in + (gsize) b * T, tok + s, T * sizeof (gint32));
      memcpy (tg + (gsize) b * T, tok + s + 1, T * sizeof (gint32));
    }
}

gboolean
sm_trainer_step (SmTrainer *t, SmTrainData *d, SmTrainStepInfo *info, GError **error)
{
  const int B = t->p.batch_size, T = t->p.seq_len, accum = t->p.grad_accum;
  const gsize nt = (gsize) B * T;
  double loss = 0.0, norm;
  SmAdamWStep s;

  if (!sm_trainer_check_data (t, d, error))
    return FALSE;

  phase_begin (t->prof_opt, "optimizer");
  sm_trainer_zero_grad (t);
  op (t->prof_opt, SM_OP_ADD, 0.0, 4.0 * t->n_total);
  phase_end (t->prof_opt);
  for (int i = 0; i < accum; i++)
    {
      sample_batch (t, d);
      loss += sm_trainer_forward (t, t->batch, t->batch + nt, B, T);
      sm_trainer_backward (t, 1.0f / (float) accum);
    }
  loss /= accum;
  if (!isfinite (loss))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DIVERGED,
                   "The training loss became %f at step %d; try a lower learning rate",
                   loss, t->step + 1);
      return FALSE;
    }

  /* No op kind for an optimizer yet: clipping and AdamW count as `add`, inside the
   * "optimizer" scope. */
  phase_begin (t->prof_opt, "optimizer");
  norm = sm_grad_global_norm (sm_tensor_f32 (t->grads), t->n_total);
  s = (SmAdamWStep) {
    .lr = sm_lr_schedule (t->step, t->p.warmup_steps, t->p.max_steps, t->p.lr, t->p.min_lr),
    .beta1 = t->p.beta1, .beta2 = t->p.beta2, .eps = t->p.eps,
    .weight_decay = t->p.weight_decay,
    .grad_scale = sm_grad_clip_scale (norm, t->p.grad_clip),
    .step = t->step + 1,
  };
  for (guint i = 0; i < t->slots->len; i++)
    {
      const Slot *sl = g_ptr_array_index (t->slots, i);
      sm_adamw_update (sm_tensor_f32 (t->params) + sl->offset, sm_tensor_f32 (t->grads) + sl->offset,
                       sm_tensor_f32 (t->m) + sl->offset, sm_tensor_f32 (t->v) + sl->offset,
                       sl->n, &s, sl->decay);
    }
  op (t->prof_opt, SM_OP_ADD, 14.0 * t->n_total, 28.0 * t->n_total);
  phase_end (t->prof_opt);

  t->step++;
  t->tokens_seen += (guint64) nt * accum;
  if (info)
    *info = (SmTrainStepInfo) { .step = t->step, .loss = loss, .lr = s.lr, .grad_norm = norm,
                                .tokens = (guint64) nt * accum };
  return TRUE;
}

gboolean
sm_trainer_evaluate (SmTrainer *t, SmTrainData *d, gsize max_windows, SmTrainEval *eval,
                     GError **error)
{
  const int B = t->p.batch_size, T = t->p.seq_len;
  const gint32 *tok = (const gint32 *) d->tokens->data;
  gsize n_windows, use, done = 0, bytes = 0;
  double sum = 0.0;
  gint32 *in = t->batch, *tg = t->batch + (gsize) B * T;

  if (!sm_trainer_check_data (t, d, error))
    return FALSE;
  n_windows = (d->tokens->len - 1) / T;
  use = max_windows > 0 ? MIN (max_windows, n_windows) : n_windows;

  while (done < use)
    {
      const int b = (int) MIN ((gsize) B, use - done);
      for (int i = 0; i < b; i++)
        {
          /* evenly spread: window k of `use` is window k·n/use of all */
          gsize w = (done + i) * n_windows / use;
          const gint32 *src = tok + w * T;
          memcpy (in + (gsize) i * T, src, T * sizeof (gint32));
          memcpy (tg + (gsize) i * T, src + 1, T * sizeof (gint32));
          for (int j = 0; j < T; j++)
            {
              gsize len = 0;
              sm_tokenizer_token_bytes (d->tok, src[j + 1], &len);
              bytes += len;
            }
        }
      sum += sm_trainer_forward (t, in, tg, b, T) * ((double) b * T);
      done += b;
    }

  eval->tokens = use * T;
  eval->bytes = bytes;
  eval->loss = sum / (double) eval->tokens;
  eval->bits_per_byte = bytes > 0 ? sum / ((double) bytes * G_LN2) : 0.0;
  if (!isfinite (eval->loss))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DIVERGED,
                   "The loss on %s is %f", d->name, eval->loss);
      return FALSE;
    }
  return TRUE;
}

/* ---- checkpoints --------------------------------------------------------------------------------- */

#define STATE_VERSION 1

/* 64-bit counters as decimal strings: JSON numbers stop being exact at 2^53. */
static void
set_u64 (JsonObject *o, const char *key, guint64 v)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
  json_object_set_string_member (o, key, buf);
}

static JsonObject *
params_to_json (const SmTrainParams *p)
{
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "batch_size", p->batch_size);
  json_object_set_int_member (o, "seq_len", p->seq_len);
  json_object_set_int_member (o, "grad_accum", p->grad_accum);
  json_object_set_int_member (o, "max_steps", p->max_steps);
  json_object_set_int_member (o, "warmup_steps", p->warmup_steps);
  /* floats go through double exactly, and json-glib prints doubles with 17 digits */
  json_object_set_double_member (o, "lr", p->lr);
  json_object_set_double_member (o, "min_lr", p->min_lr);
  json_object_set_double_member (o, "beta1", p->beta1);
  json_object_set_double_member (o, "beta2", p->beta2);
  json_object_set_double_member (o, "eps", p->eps);
  json_object_set_double_member (o, "weight_decay", p->weight_decay);
  json_object_set_double_member (o, "grad_clip", p->grad_clip);
  set_u64 (o, "seed", p->seed);
  return o;
}

static gboolean
json_int (JsonObject *o, const char *key, gint64 lo, gint64 hi, gint64 *out, GError **error)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64 ||
      json_node_get_int (n) < lo || json_node_get_int (n) > hi)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "The checkpoint's training state lacks a valid '%s'", key);
      return FALSE;
    }
  *out = json_node_get_int (n);
  return TRUE;
}

static gboolean
json_float (JsonObject *o, const char *key, float *out, GError **error)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) ||
      (json_node_get_value_type (n) != G_TYPE_DOUBLE && json_node_get_value_type (n) != G_TYPE_INT64))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "The checkpoint's training state lacks the number '%s'", key);
      return FALSE;
    }
  *out = (float) json_node_get_double (n);
  return TRUE;
}

static gboolean
json_u64 (JsonObject *o, const char *key, guint64 *out, GError **error)
{
  const char *s = member_string (o, key);

  if (s == NULL || !g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT64, out, NULL))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "The checkpoint's training state lacks a valid '%s'", key);
      return FALSE;
    }
  return TRUE;
}

static gboolean
params_from_json (JsonObject *o, SmTrainParams *p, GError **error)
{
  gint64 v[5];

  if (o == NULL)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "The checkpoint's training state lacks its settings");
      return FALSE;
    }
  if (!json_int (o, "batch_size", 1, G_MAXINT, &v[0], error) ||
      !json_int (o, "seq_len", 1, G_MAXINT, &v[1], error) ||
      !json_int (o, "grad_accum", 1, G_MAXINT, &v[2], error) ||
      !json_int (o, "max_steps", 1, G_MAXINT, &v[3], error) ||
      !json_int (o, "warmup_steps", 0, G_MAXINT, &v[4], error) ||
      !json_float (o, "lr", &p->lr, error) || !json_float (o, "min_lr", &p->min_lr, error) ||
      !json_float (o, "beta1", &p->beta1, error) || !json_float (o, "beta2", &p->beta2, error) ||
      !json_float (o, "eps", &p->eps, error) ||
      !json_float (o, "weight_decay", &p->weight_decay, error) ||
      !json_float (o, "grad_clip", &p->grad_clip, error) ||
      !json_u64 (o, "seed", &p->seed, error))
    return FALSE;
  p->batch_size = (int) v[0];
  p->seq_len = (int) v[1];
  p->grad_accum = (int) v[2];
  p->max_steps = (int) v[3];
  p->warmup_steps = (int) v[4];
  return sm_train_params_validate (p, error);
}

static char *
moment_name (const char *which, const char *tensor)
{
  return g_strdup_printf ("adamw.%s.%s", which, tensor);
}

/* A borrowed view of slot @s in the flat array @flat. */
static SmTensor *
slot_view (SmTensor *flat, const Slot *s)
{
  return sm_tensor_new_borrowed (SM_DTYPE_F32, s->n_dims, s->shape, sm_tensor_f32 (flat) + s->offset,
                                 unref_tensor, sm_tensor_ref (flat));
}

gboolean
sm_trainer_save (SmTrainer *t, const char *path, gboolean with_optimizer, GError **error)
{
  g_autoptr (JsonObject) extra = json_object_new ();
  JsonObject *state = json_object_new ();
  g_autofree char *tmp = NULL;
  g_autoptr (SmCheckpoint) ck = NULL;
  g_autoptr (SmCheckpointWriter) w = NULL;
  gboolean ok;

  g_return_val_if_fail (path != NULL, FALSE);

  json_object_set_int_member (state, "version", STATE_VERSION);
  json_object_set_int_member (state, "step", t->step);
  set_u64 (state, "tokens_seen", t->tokens_seen);
  set_u64 (state, "rng", t->rng);
  json_object_set_boolean_member (state, "optimizer_state", with_optimizer);
  json_object_set_string_member (state, "optimizer", "adamw");
  /* Bit-exact continuation also needs the same split of the work; recorded, not enforced. */
  json_object_set_int_member (state, "threads", sm_threads_get_count ());
  json_object_set_string_member (state, "kernels", sm_kernel_level_to_string (sm_kernels_get_level ()));
  json_object_set_object_member (state, "params", params_to_json (&t->p));
  json_object_set_object_member (extra, "training", state);
  json_object_set_object_member (extra, "run", json_object_ref (t->run_info));

  if (!with_optimizer)
    return sm_model_save_checkpoint (t->model, path, extra, error);

  /* The model's own writer sets the format's metadata; its file is then re-written with the
   * moments added, in one atomic write, so model and optimizer can never disagree.  The
   * intermediate goes to the temporary folder: a failure to write @path names @path. */
  {
    int fd = g_file_open_tmp ("smallmind-XXXXXX.smck", &tmp, error);
    if (fd < 0)
      return FALSE;
    close (fd);
  }
  if (!sm_model_save_checkpoint (t->model, tmp, extra, error))
    {
      g_unlink (tmp);
      return FALSE;
    }
  ck = sm_checkpoint_open (tmp, error);
  if (ck == NULL)
    {
      g_unlink (tmp);
      return FALSE;
    }
  w = sm_checkpoint_writer_new ();
  sm_checkpoint_writer_set_metadata (w, sm_checkpoint_get_metadata (ck));
  for (gsize i = 0; i < sm_checkpoint_n_tensors (ck); i++)
    {
      const SmCheckpointTensorInfo *info = sm_checkpoint_tensor_info (ck, i);
      g_autoptr (SmTensor) tensor = sm_checkpoint_get_tensor (ck, info->name, NULL);
      g_assert (tensor != NULL);
      sm_checkpoint_writer_add_tensor (w, info->name, tensor);
    }
  for (guint i = 0; i < t->slots->len; i++)
    {
      const Slot *s = g_ptr_array_index (t->slots, i);
      g_autofree char *mn = moment_name ("m", s->name), *vn = moment_name ("v", s->name);
      g_autoptr (SmTensor) mt = slot_view (t->m, s);
      g_autoptr (SmTensor) vt = slot_view (t->v, s);
      sm_checkpoint_writer_add_tensor (w, mn, mt);
      sm_checkpoint_writer_add_tensor (w, vn, vt);
    }
  ok = sm_checkpoint_writer_write (w, path, error);
  g_clear_pointer (&w, sm_checkpoint_writer_free);
  g_clear_pointer (&ck, sm_checkpoint_unref);
  g_unlink (tmp);
  return ok;
}

SmTrainer *
sm_trainer_resume (const char *path, GError **error)
{
  g_autoptr (SmModel) model = NULL;
  g_autoptr (SmCheckpoint) ck = NULL;
  g_autoptr (SmTrainer) t = NULL;
  JsonObject *meta, *extra, *state, *run;
  SmTrainParams p;
  gint64 step, version;
  guint64 tokens_seen, rng;

  g_return_val_if_fail (path != NULL, NULL);

  model = sm_model_load (path, NULL, error);
  if (model == NULL)
    return NULL;
  ck = sm_checkpoint_open (path, error);
  if (ck == NULL)
    return NULL;

  meta = sm_checkpoint_get_metadata (ck);
  extra = member_object (meta, "extra");
  state = member_object (extra, "training");
  if (state == NULL)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "%s holds a model but no training state to resume (start a new run from its "
                   "weights instead)", path);
      return NULL;
    }
  if (!json_int (state, "version", 1, STATE_VERSION, &version, error) ||
      !json_int (state, "step", 0, G_MAXINT, &step, error) ||
      !json_u64 (state, "tokens_seen", &tokens_seen, error) ||
      !json_u64 (state, "rng", &rng, error) ||
      !params_from_json (member_object (state, "params"), &p, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  JsonNode *has_opt = json_object_get_member (state, "optimizer_state");
  if (has_opt == NULL || !JSON_NODE_HOLDS_VALUE (has_opt) ||
      json_node_get_value_type (has_opt) != G_TYPE_BOOLEAN || !json_node_get_boolean (has_opt))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "%s was saved without its optimizer state, so the run cannot be resumed "
                   "exactly (start a new run from its weights instead)", path);
      return NULL;
    }

  t = trainer_alloc (model, &p, error);
  if (t == NULL)
    return NULL;
  for (guint i = 0; i < t->slots->len; i++)
    {
      const Slot *s = g_ptr_array_index (t->slots, i);
      for (int k = 0; k < 2; k++)
        {
          g_autofree char *name = moment_name (k ? "v" : "m", s->name);
          g_autoptr (SmTensor) mt = sm_checkpoint_get_tensor (ck, name, error);

          if (mt == NULL)
            return NULL;
          if (mt->dtype != SM_DTYPE_F32 || (gsize) sm_tensor_n_elements (mt) != s->n)
            {
              g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                           "%s: optimizer tensor '%s' does not match its weights", path, name);
              return NULL;
            }
          memcpy (sm_tensor_f32 (k ? t->v : t->m) + s->offset, sm_tensor_f32 (mt), s->n * sizeof (float));
        }
    }
  t->step = (int) step;
  t->tokens_seen = tokens_seen;
  t->rng = rng;
  run = member_object (extra, "run");
  if (run)
    {
      /* A deep copy through text: the checkpoint's metadata is not ours to change. */
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), run);
      g_autofree char *text = json_to_string (node, FALSE);
      g_autoptr (JsonNode) copy = json_from_string (text, NULL);
      if (copy && JSON_NODE_HOLDS_OBJECT (copy))
        {
          g_clear_pointer (&t->run_info, json_object_unref);
          t->run_info = json_node_dup_object (copy);
        }
    }
  return g_steal_pointer (&t);
}
