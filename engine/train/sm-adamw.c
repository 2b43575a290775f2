/* sm-adamw.c: AdamW (Loshchilov & Hutter), global-norm clipping, warm-up + cosine schedule. */
#include "sm-adamw.h"
#include "sm-backward.h"
#include "sm-kernels.h"

#include <math.h>

#define ADAMW_CHUNK 4096

typedef struct {
  float             *p, *m, *v;
  const float       *g;
  const SmAdamWStep *s;
  float              bc1, bc2;
  gboolean           decay;
} AdamJob;

static void
adamw_chunks (gpointer user, gsize first, gsize last)
{
  const AdamJob *j = user;
  const float b1 = j->s->beta1, b2 = j->s->beta2, eps = j->s->eps, lr = j->s->lr;
  const float wd = j->decay ? j->s->weight_decay : 0.0f, gs = j->s->grad_scale;
  const float ibc1 = 1.0f / j->bc1, ibc2 = 1.0f / j->bc2;

  for (gsize i = first; i < last; i++)
    {
      const float g = j->g[i] * gs;
      const float m = b1 * j->m[i] + (1.0f - b1) * g;
      const float v = b2 * j->v[i] + (1.0f - b2) * g * g;
      j->m[i] = m;
      j->v[i] = v;
      /* Decoupled decay: it shrinks the weight directly, not through the adaptive scaling. */
      j->p[i] -= lr * ((m * ibc1) / (sqrtf (v * ibc2) + eps) + wd * j->p[i]);
    }
}

void
sm_adamw_update (float *params, const float *grads, float *m, float *v, gsize n,
                 const SmAdamWStep *s, gboolean decay)
{
  AdamJob j = {
    .p = params, .m = m, .v = v, .g = grads, .s = s, .decay = decay,
    .bc1 = (float) (1.0 - pow (s->beta1, s->step)),
    .bc2 = (float) (1.0 - pow (s->beta2, s->step)),
  };

  g_return_if_fail (s->step >= 1);
  sm_train_parallel_for (n, ADAMW_CHUNK, 12.0 * n, adamw_chunks, &j);
}

double
sm_grad_global_norm (const float *grads, gsize n)
{
  const SmKernels *k = sm_kernels ();
  double sum = 0.0;

  for (gsize i = 0; i < n; i += ADAMW_CHUNK)
    {
      gsize len = MIN (ADAMW_CHUNK, n - i);
      sum += k->dot (grads + i, grads + i, len);
    }
  return sqrt (sum);
}

float
sm_grad_clip_scale (double norm, float max_norm)
{
  if (max_norm <= 0.0f || !(norm > max_norm))
    return 1.0f;
  return (float) (max_norm / norm);
}

float
sm_lr_schedule (int step, int warmup_steps, int max_steps, float lr, float min_lr)
{
  if (step < warmup_steps)
    return lr * (float) (step + 1) / (float) warmup_steps;
  if (step >= max_steps || max_steps <= warmup_steps)
    return min_lr;

  double progress = (double) (step - warmup_steps) / (double) (max_steps - warmup_steps);
  double cosine = 0.5 * (1.0 + cos (G_PI * progress));
  return (float) (min_lr + cosine * (lr - min_lr));
}
