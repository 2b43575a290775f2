/* sm-train.c: the trainer: parameters and their gradients and moments, the batched forward
 * that keeps its activations, the backward through them and the optimizer step.  Its data,
 * tokenizer files and checkpoints have files of their own (sm-train-private.h). */

#include "sm-train-private.h"

G_DEFINE_QUARK (sm-train-error-quark, sm_train_error)

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
SmTrainer *
sm_trainer_alloc (SmModel *init, const SmTrainParams *params, GError **error)
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
  t->model = sm_model_alloc (c, NULL);   /* the shape of a model that exists */
  g_assert (t->model != NULL);
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
  return sm_trainer_alloc (init, params, error);
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
