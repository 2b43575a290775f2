/* sm-adamw.h: the optimizer side of training: AdamW, gradient clipping by global norm, and
 * the learning-rate schedule (linear warm-up, then cosine decay to a floor).
 *
 * Engine-internal.  Parameters, gradients and both moments are flat f32 arrays of the same
 * length; sm-train.c lays every tensor of the model out in one such array.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  float lr;             /* this step's learning rate */
  float beta1, beta2;   /* moment decay rates */
  float eps;
  float weight_decay;   /* decoupled: p -= lr · wd · p, on the tensors the caller marks */
  float grad_scale;     /* gradients are multiplied by this first (clipping, averaging) */
  int   step;           /* 1-based, for the bias corrections 1 - beta^step */
} SmAdamWStep;

/* One AdamW update of @n parameters; @decay: whether weight decay applies to this range. */
void   sm_adamw_update    (float *params, const float *grads, float *m, float *v, gsize n,
                           const SmAdamWStep *s, gboolean decay);

/* √(Σ g²), summed per fixed block with the dot kernel and across blocks in double, in order,
 * so it is the same whatever the thread count. */
double sm_grad_global_norm (const float *grads, gsize n);

/* The factor to multiply gradients by so their global norm is at most @max_norm (1 when it
 * already is, or @max_norm <= 0: clipping off). */
float  sm_grad_clip_scale  (double norm, float max_norm);

/* Step @step (0-based) of @max_steps: lr · (step + 1) / warmup during the warm-up, then a
 * half cosine from lr down to min_lr at max_steps, and min_lr after it. */
float  sm_lr_schedule      (int step, int warmup_steps, int max_steps, float lr, float min_lr);

G_END_DECLS
