/* test-train.c: training.  Every op's backward against central finite differences, then the
 * whole model's; AdamW against a double-precision reference; a tiny model overfitting 1 KB of
 * text; checkpoints that reload bit for bit and resume to the same losses; bad input refused
 * with a clear error; the shipped Small model's held-out loss. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sm-adamw.h"
#include "sm-backward.h"
#include "sm-checkpoint.h"
#include "sm-kernels.h"
#include "sm-test-util.h"
#include "sm-threads.h"
#include "sm-train.h"

/* ---- finite differences ------------------------------------------------------------------------ */

/* A scalar function of the buffer under test: the op run forward, reduced to a loss. */
typedef double (*LossFn) (gpointer user);

/* Checks analytic[i] against (L(x + h) - L(x - h)) / 2h for every i in x[0..n).  Inputs are O(1)
 * and L is a sum of O(n) float terms, so with h = 1e-2 float rounding contributes ~1e-4 and
 * the curvature term h²·L''' ~1e-4: both well inside the bound. */
static void
check_grad (const char *what, float *x, gsize n, const float *analytic, LossFn loss, gpointer user,
            double h, double atol, double rtol)
{
  double worst = 0.0;
  gsize worst_i = 0;

  for (gsize i = 0; i < n; i++)
    {
      const float saved = x[i];
      x[i] = saved + (float) h;
      double lp = loss (user);
      x[i] = saved - (float) h;
      double lm = loss (user);
      x[i] = saved;
      /* the actual step taken in float */
      double step = (double) (saved + (float) h) - (double) (saved - (float) h);
      double numeric = (lp - lm) / step;
      double err = fabs (numeric - analytic[i]) / (atol + rtol * fabs (numeric));
      if (err > worst)
        {
          worst = err;
          worst_i = i;
        }
    }
  g_test_message ("%s: %" G_GSIZE_FORMAT " entries, worst error %.3f of the bound (entry %" G_GSIZE_FORMAT ")",
                  what, n, worst, worst_i);
  if (worst > 1.0)
    g_error ("%s: gradient entry %" G_GSIZE_FORMAT " is %g but finite differences give a value "
             "%.3f× the tolerance away", what, worst_i, analytic[worst_i], worst);
}

static double
weighted_sum (const float *out, const float *r, gsize n)
{
  double s = 0.0;
  for (gsize i = 0; i < n; i++)
    s += (double) out[i] * r[i];
  return s;
}

static float *
random_buf (GRand *rand, gsize n, float lo, float hi)
{
  float *x = g_new (float, n);
  sm_test_fill_uniform (rand, x, n, lo, hi);
  return x;
}

/* ---- per op ------------------------------------------------------------------------------------- */

typedef struct {
  int B, T, C, V, NH, IC, OC;
  gint32 *tokens;
  float *a, *b, *c, *d;   /* op inputs */
  float *out, *r;         /* output and its random cotangent */
  float *s1, *s2;         /* scratch */
} Op;

static double
encoder_loss (gpointer user)
{
  Op *o = user;
  sm_train_encoder_forward (o->out, o->tokens, o->a, o->b, o->B, o->T, o->C);
  return weighted_sum (o->out, o->r, (gsize) o->B * o->T * o->C);
}

static void
test_grad_encoder (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  Op o = { .B = 2, .T = 5, .C = 24, .V = 7 };
  const gsize N = (gsize) o.B * o.T;

  o.tokens = g_new (gint32, N);
  for (gsize i = 0; i < N; i++)
    o.tokens[i] = (gint32) (i * 3 % o.V);   /* repeats, so rows of wte collect several tokens */
  o.a = random_buf (rand, (gsize) o.V * o.C, -1, 1);
  o.b = random_buf (rand, (gsize) o.T * o.C, -1, 1);
  o.out = g_new (float, N * o.C);
  o.r = random_buf (rand, N * o.C, -1, 1);
  g_autofree float *dwte = g_new0 (float, (gsize) o.V * o.C);
  g_autofree float *dwpe = g_new0 (float, (gsize) o.T * o.C);

  sm_train_encoder_backward (dwte, dwpe, o.r, o.tokens, o.B, o.T, o.C);
  check_grad ("encoder dwte", o.a, (gsize) o.V * o.C, dwte, encoder_loss, &o, 1e-2, 1e-3, 1e-3);
  check_grad ("encoder dwpe", o.b, (gsize) o.T * o.C, dwpe, encoder_loss, &o, 1e-2, 1e-3, 1e-3);
  g_free (o.tokens);
  g_free (o.a);
  g_free (o.b);
  g_free (o.out);
  g_free (o.r);
}

static double
layernorm_loss (gpointer user)
{
  Op *o = user;
  sm_train_layernorm_forward (o->out, o->s1, o->s2, o->a, o->b, o->c, o->B, o->C, 1e-5f);
  return weighted_sum (o->out, o->r, (gsize) o->B * o->C);
}

static void
test_grad_layernorm (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);
  Op o = { .B = 6, .C = 40 };   /* B rows of C */
  const gsize n = (gsize) o.B * o.C;

  o.a = random_buf (rand, n, -1, 3);   /* a mean away from zero */
  o.b = random_buf (rand, o.C, 0.5f, 1.5f);
  o.c = random_buf (rand, o.C, -0.5f, 0.5f);
  o.out = g_new (float, n);
  o.r = random_buf (rand, n, -1, 1);
  o.s1 = g_new (float, o.B);
  o.s2 = g_new (float, o.B);
  g_autofree float *dx = g_new0 (float, n);
  g_autofree float *dw = g_new0 (float, o.C);
  g_autofree float *db = g_new0 (float, o.C);

  layernorm_loss (&o);
  sm_train_layernorm_backward (dx, dw, db, o.r, o.a, o.b, o.s1, o.s2, o.B, o.C);
  check_grad ("layernorm dx", o.a, n, dx, layernorm_loss, &o, 1e-2, 2e-3, 2e-3);
  check_grad ("layernorm dw", o.b, o.C, dw, layernorm_loss, &o, 1e-2, 2e-3, 2e-3);
  check_grad ("layernorm db", o.c, o.C, db, layernorm_loss, &o, 1e-2, 2e-3, 2e-3);

  /* dx accumulates: a second backward adds the same again */
  g_autofree float *dx2 = g_memdup2 (dx, n * sizeof (float));
  sm_train_layernorm_backward (dx2, dw, db, o.r, o.a, o.b, o.s1, o.s2, o.B, o.C);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (dx2[i], 2.0f * dx[i], 1e-5f * (1.0f + fabsf (dx[i])));

  g_free (o.a);
  g_free (o.b);
  g_free (o.c);
  g_free (o.out);
  g_free (o.r);
  g_free (o.s1);
  g_free (o.s2);
}

static double
matmul_loss (gpointer user)
{
  Op *o = user;
  sm_train_matmul_forward (o->out, o->a, o->b, o->c, o->B, o->IC, o->OC);
  return weighted_sum (o->out, o->r, (gsize) o->B * o->OC);
}

static void
test_grad_matmul (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  /* sizes off every SIMD width; B rows */
  Op o = { .B = 13, .IC = 37, .OC = 45 };

  o.a = random_buf (rand, (gsize) o.B * o.IC, -1, 1);
  o.b = random_buf (rand, (gsize) o.OC * o.IC, -1, 1);
  o.c = random_buf (rand, o.OC, -1, 1);
  o.out = g_new (float, (gsize) o.B * o.OC);
  o.r = random_buf (rand, (gsize) o.B * o.OC, -1, 1);
  g_autofree float *dinp = g_new (float, (gsize) o.B * o.IC);
  g_autofree float *dw = g_new0 (float, (gsize) o.OC * o.IC);
  g_autofree float *db = g_new0 (float, o.OC);

  sm_train_matmul_backward (dinp, dw, db, o.r, o.a, o.b, o.B, o.IC, o.OC);
  /* linear in each input: only rounding separates the two */
  check_grad ("matmul dinp", o.a, (gsize) o.B * o.IC, dinp, matmul_loss, &o, 1e-2, 2e-3, 1e-3);
  check_grad ("matmul dw", o.b, (gsize) o.OC * o.IC, dw, matmul_loss, &o, 1e-2, 2e-3, 1e-3);
  check_grad ("matmul db", o.c, o.OC, db, matmul_loss, &o, 1e-2, 2e-3, 1e-3);
  g_free (o.a);
  g_free (o.b);
  g_free (o.c);
  g_free (o.out);
  g_free (o.r);
}

static double
attention_loss (gpointer user)
{
  Op *o = user;
  sm_train_attention_forward (o->out, o->s1, o->a, o->B, o->T, o->C, o->NH);
  return weighted_sum (o->out, o->r, (gsize) o->B * o->T * o->C);
}

static void
test_grad_attention (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  Op o = { .B = 2, .T = 7, .C = 12, .NH = 3 };
  const gsize N = (gsize) o.B * o.T;

  o.a = random_buf (rand, N * 3 * o.C, -1.5f, 1.5f);
  o.out = g_new (float, N * o.C);
  o.r = random_buf (rand, N * o.C, -1, 1);
  o.s1 = g_new (float, (gsize) o.B * o.NH * o.T * o.T);
  g_autofree float *datt = g_new (float, (gsize) o.B * o.NH * o.T * o.T);
  g_autofree float *dqkv = g_new (float, N * 3 * o.C);

  attention_loss (&o);
  /* causal: position i attends to 0..i only, and every row sums to 1 */
  for (int u = 0; u < o.B * o.NH; u++)
    for (int i = 0; i < o.T; i++)
      {
        const float *row = o.s1 + ((gsize) u * o.T + i) * o.T;
        double sum = 0.0;
        for (int j = 0; j < o.T; j++)
          {
            if (j > i)
              g_assert_cmpfloat (row[j], ==, 0.0f);
            sum += row[j];
          }
        g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-5);
      }
  sm_train_attention_backward (dqkv, datt, o.r, o.a, o.s1, o.B, o.T, o.C, o.NH);
  check_grad ("attention dqkv", o.a, N * 3 * o.C, dqkv, attention_loss, &o, 1e-2, 2e-3, 2e-3);
  g_free (o.a);
  g_free (o.out);
  g_free (o.r);
  g_free (o.s1);
}

static double
gelu_loss (gpointer user)
{
  Op *o = user;
  sm_train_gelu_forward (o->out, o->a, o->B);
  return weighted_sum (o->out, o->r, o->B);
}

static void
test_grad_gelu (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  Op o = { .B = 600 };   /* elements */
  g_autofree float *dx = g_new (float, o.B);

  o.a = random_buf (rand, o.B, -6, 6);
  o.a[0] = 0.0f;
  o.a[1] = 12.0f;    /* beyond the tanh approximation's clamp */
  o.a[2] = -12.0f;
  o.out = g_new (float, o.B);
  o.r = random_buf (rand, o.B, -1, 1);
  sm_train_gelu_backward (dx, o.a, o.r, o.B);
  check_grad ("gelu dx", o.a, o.B, dx, gelu_loss, &o, 1e-2, 1e-3, 1e-3);

  /* dx may alias dout */
  g_autofree float *inplace = g_memdup2 (o.r, o.B * sizeof (float));
  sm_train_gelu_backward (inplace, o.a, inplace, o.B);
  g_assert_cmpmem (inplace, o.B * sizeof (float), dx, o.B * sizeof (float));
  g_free (o.a);
  g_free (o.out);
  g_free (o.r);
}

static double
xent_loss (gpointer user)
{
  Op *o = user;
  memcpy (o->out, o->a, (gsize) o->B * o->V * sizeof (float));
  return sm_train_crossentropy_forward (o->out, o->s1, o->tokens, o->B, o->V);
}

static void
test_grad_crossentropy (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  Op o = { .B = 9, .V = 37 };
  const gsize n = (gsize) o.B * o.V;
  double loss;

  o.a = random_buf (rand, n, -3, 3);
  o.out = g_new (float, n);
  o.s1 = g_new (float, o.B);
  o.tokens = g_new (gint32, o.B);
  for (int i = 0; i < o.B; i++)
    o.tokens[i] = g_rand_int_range (rand, 0, o.V);

  loss = xent_loss (&o);
  /* the mean of -log softmax, computed here in double */
  double ref = 0.0;
  for (int i = 0; i < o.B; i++)
    {
      double mx = -INFINITY, z = 0.0;
      for (int v = 0; v < o.V; v++)
        mx = MAX (mx, o.a[i * o.V + v]);
      for (int v = 0; v < o.V; v++)
        z += exp (o.a[i * o.V + v] - mx);
      ref += log (z) + mx - o.a[i * o.V + o.tokens[i]];
    }
  g_assert_cmpfloat_with_epsilon (loss, ref / o.B, 1e-5);

  sm_train_crossentropy_backward (o.out, o.tokens, o.B, o.V, 1.0f / o.B);
  g_autofree float *dlogits = g_memdup2 (o.out, n * sizeof (float));
  check_grad ("cross-entropy dlogits", o.a, n, dlogits, xent_loss, &o, 1e-2, 2e-4, 2e-3);
  g_free (o.a);
  g_free (o.out);
  g_free (o.s1);
  g_free (o.tokens);
}

/* ---- the whole model ----------------------------------------------------------------------------- */

static SmModelConfig
tiny_config (int dim, int layers, int heads, int context)
{
  return (SmModelConfig) {
    .arch = SM_ARCH_GPT, .vocab_size = 256, .dim = dim, .n_layers = layers, .n_heads = heads,
    .n_kv_heads = heads, .head_dim = dim / heads, .hidden_dim = 4 * dim,
    .context_length = context, .norm_eps = 1e-5f,
  };
}

static SmTrainer *
tiny_trainer (const SmModelConfig *c, const SmTrainParams *p, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_bytes ();
  g_autoptr (SmModel) init = sm_model_new_random (c, tok, seed, "tiny", &error);
  SmTrainer *t;

  g_assert_no_error (error);
  t = sm_trainer_new (init, p, &error);
  g_assert_no_error (error);
  return t;
}

typedef struct {
  SmTrainer *t;
  gint32    *in, *tg;
  int        B, T;
} ModelLoss;

static double
model_loss (gpointer user)
{
  ModelLoss *m = user;
  return sm_trainer_forward (m->t, m->in, m->tg, m->B, m->T);
}

/* Every tensor's gradient, through every op at once.  Weights are drawn wider than GPT-2's
 * 0.02 so the gradients stand well above float rounding; each tensor is checked on its
 * largest entries and a few random ones. */
static void
test_grad_model (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  SmModelConfig c = tiny_config (16, 2, 2, 8);
  SmTrainParams p;
  g_autoptr (SmTrainer) t = NULL;
  ModelLoss m = { .B = 2, .T = 6 };
  const char *const *names;

  sm_train_params_init (&p);
  p.batch_size = m.B;
  p.seq_len = m.T;
  t = tiny_trainer (&c, &p, 11);
  m.t = t;
  names = sm_trainer_tensor_names (t);
  for (int i = 0; names[i]; i++)
    {
      gsize n;
      float *w = sm_trainer_get_param (t, names[i], &n);
      if (g_str_has_suffix (names[i], "norm.weight"))
        sm_test_fill_uniform (rand, w, n, 0.6f, 1.4f);
      else
        sm_test_fill_uniform (rand, w, n, -0.4f, 0.4f);
    }
  m.in = g_new (gint32, m.B * m.T);
  m.tg = g_new (gint32, m.B * m.T);
  for (int i = 0; i < m.B * m.T; i++)
    {
      m.in[i] = g_rand_int_range (rand, 0, 20);   /* a few rows of wte, some repeated */
      m.tg[i] = g_rand_int_range (rand, 0, 256);
    }

  sm_trainer_zero_grad (t);
  model_loss (&m);
  sm_trainer_backward (t, 1.0f);

  for (int i = 0; names[i]; i++)
    {
      gsize n;
      float *w = sm_trainer_get_param (t, names[i], &n);
      const float *g = sm_trainer_get_grad (t, names[i], NULL);
      g_autofree gsize *pick = g_new (gsize, 12);
      g_autofree float *gsel = g_new (float, 12);
      g_autofree float *wsel = g_new (float, 12);
      int k = 0;

      /* the 6 largest |g|, then 6 random entries */
      for (int top = 0; top < 6; top++)
        {
          gsize best = 0;
          float bv = -1.0f;
          for (gsize j = 0; j < n; j++)
            {
              gboolean taken = FALSE;
              for (int q = 0; q < k; q++)
                taken |= pick[q] == j;
              if (!taken && fabsf (g[j]) > bv)
                {
                  bv = fabsf (g[j]);
                  best = j;
                }
            }
          pick[k++] = best;
        }
      while (k < 12)
        pick[k++] = (gsize) g_rand_int_range (rand, 0, (gint32) n);

      /* check_grad perturbs a contiguous buffer: perturb each picked entry in place */
      for (int q = 0; q < 12; q++)
        {
          const float saved = w[pick[q]];
          const double h = 1e-2;
          w[pick[q]] = saved + (float) h;
          double lp = model_loss (&m);
          w[pick[q]] = saved - (float) h;
          double lm = model_loss (&m);
          w[pick[q]] = saved;
          double step = (double) (saved + (float) h) - (double) (saved - (float) h);
          double numeric = (lp - lm) / step;
          double tol = 2e-4 + 3e-2 * fabs (numeric);
          if (fabs (numeric - g[pick[q]]) > tol)
            g_error ("%s[%" G_GSIZE_FORMAT "]: backward gives %g, finite differences %g",
                     names[i], pick[q], g[pick[q]], numeric);
          gsel[q] = g[pick[q]];
          wsel[q] = (float) numeric;
        }
      g_test_message ("%s: largest |grad| %g matches finite differences", names[i], fabsf (gsel[0]));
    }
  g_free (m.in);
  g_free (m.tg);
}

/* Two micro-batches at half weight give the gradient of the one batch holding both. */
static void
test_grad_accumulation (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  SmModelConfig c = tiny_config (16, 1, 2, 8);
  SmTrainParams p;
  gint32 in[2 * 8], tg[2 * 8];
  gsize n;

  sm_train_params_init (&p);
  p.batch_size = 2;
  p.seq_len = 8;
  g_autoptr (SmTrainer) t = tiny_trainer (&c, &p, 3);
  for (int i = 0; i < 16; i++)
    {
      in[i] = g_rand_int_range (rand, 0, 256);
      tg[i] = g_rand_int_range (rand, 0, 256);
    }
  sm_trainer_zero_grad (t);
  sm_trainer_forward (t, in, tg, 2, 8);
  sm_trainer_backward (t, 1.0f);
  float *g = sm_trainer_get_grad (t, "blk.0.attn_qkv.weight", &n);
  g_autofree float *whole = g_memdup2 (g, n * sizeof (float));

  sm_trainer_zero_grad (t);
  sm_trainer_forward (t, in, tg, 1, 8);
  sm_trainer_backward (t, 0.5f);
  sm_trainer_forward (t, in + 8, tg + 8, 1, 8);
  sm_trainer_backward (t, 0.5f);
  g_assert_cmpfloat (sm_test_max_rel_err (g, whole, n), <, 1e-5);
}

/* ---- optimizer ---------------------------------------------------------------------------------- */

static void
test_adamw (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);
  const gsize n = 10000;   /* several chunks and a tail */
  g_autofree float *p = random_buf (rand, n, -1, 1);
  g_autofree float *m = g_new0 (float, n), *v = g_new0 (float, n);
  g_autofree double *pd = g_new (double, n), *md = g_new0 (double, n), *vd = g_new0 (double, n);

  for (gsize i = 0; i < n; i++)
    pd[i] = p[i];
  for (int step = 1; step <= 5; step++)
    {
      g_autofree float *g = random_buf (rand, n, -2, 2);
      SmAdamWStep s = { .lr = 1e-2f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f,
                        .weight_decay = 0.1f, .grad_scale = 0.5f, .step = step };
      sm_adamw_update (p, g, m, v, n, &s, TRUE);
      for (gsize i = 0; i < n; i++)
        {
          double gi = 0.5 * g[i];
          md[i] = 0.9 * md[i] + 0.1 * gi;
          vd[i] = 0.95 * vd[i] + 0.05 * gi * gi;
          double mh = md[i] / (1 - pow (0.9, step)), vh = vd[i] / (1 - pow (0.95, step));
          pd[i] -= 1e-2 * (mh / (sqrt (vh) + 1e-8) + 0.1 * pd[i]);
        }
    }
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (p[i], pd[i], 1e-5);

  /* no decay where it is not asked for: a zero gradient leaves the weight alone */
  float w = 3.0f, z = 0.0f, mm = 0.0f, vv = 0.0f;
  SmAdamWStep s = { .lr = 0.1f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f,
                    .weight_decay = 0.5f, .grad_scale = 1.0f, .step = 1 };
  sm_adamw_update (&w, &z, &mm, &vv, 1, &s, FALSE);
  g_assert_cmpfloat (w, ==, 3.0f);
  sm_adamw_update (&w, &z, &mm, &vv, 1, &s, TRUE);
  g_assert_cmpfloat_with_epsilon (w, 3.0f * (1.0f - 0.05f), 1e-6);
}

static void
test_schedule_and_clip (void)
{
  g_autofree float *g = g_new (float, 5000);

  /* warm-up rises linearly to the peak, the cosine falls to the floor */
  g_assert_cmpfloat_with_epsilon (sm_lr_schedule (0, 10, 110, 1e-3f, 1e-4f), 1e-4, 1e-9);
  g_assert_cmpfloat_with_epsilon (sm_lr_schedule (9, 10, 110, 1e-3f, 1e-4f), 1e-3, 1e-9);
  g_assert_cmpfloat_with_epsilon (sm_lr_schedule (10, 10, 110, 1e-3f, 1e-4f), 1e-3, 1e-9);
  g_assert_cmpfloat_with_epsilon (sm_lr_schedule (60, 10, 110, 1e-3f, 1e-4f), 5.5e-4, 1e-8);
  g_assert_cmpfloat_with_epsilon (sm_lr_schedule (110, 10, 110, 1e-3f, 1e-4f), 1e-4, 1e-9);
  g_assert_cmpfloat_with_epsilon (sm_lr_schedule (500, 10, 110, 1e-3f, 1e-4f), 1e-4, 1e-9);
  for (int s = 11; s < 110; s++)
    g_assert_cmpfloat (sm_lr_schedule (s, 10, 110, 1e-3f, 1e-4f), <=, sm_lr_schedule (s - 1, 10, 110, 1e-3f, 1e-4f));

  for (int i = 0; i < 5000; i++)
    g[i] = (i % 2 ? 3.0f : -4.0f) / 250.0f;   /* norm √(2500·(9+16))/250 = 1 */
  g_assert_cmpfloat_with_epsilon (sm_grad_global_norm (g, 5000), 1.0, 1e-6);
  g_assert_cmpfloat (sm_grad_clip_scale (0.5, 1.0f), ==, 1.0f);
  g_assert_cmpfloat_with_epsilon (sm_grad_clip_scale (4.0, 1.0f), 0.25, 1e-7);
  g_assert_cmpfloat (sm_grad_clip_scale (4.0, 0.0f), ==, 1.0f);
}

/* ---- training ------------------------------------------------------------------------------------ */

/* 1 KB of English: small enough to memorise, varied enough not to be trivial. */
static const char overfit_text[] =
  "Once upon a time, a small fox lived at the edge of a quiet wood. Every morning she walked "
  "to the river to drink and to watch the fish jump. One day she found a red ball floating "
  "near the bank. \"Whose ball is this?\" she asked a duck. \"It belongs to the girl on the "
  "hill,\" said the duck. The fox picked up the ball with her teeth and climbed the hill. The "
  "girl was sitting under an old tree, looking sad. When she saw the ball, she laughed and "
  "clapped her hands. \"Thank you, little fox!\" she said. From that day on, the fox and the "
  "girl played together every afternoon. They rolled the ball down the hill and chased it to "
  "the river. In the evening the girl went home for supper, and the fox curled up in her den. "
  "She dreamed of red balls and warm sunshine. When winter came, the girl brought the fox a "
  "blanket and a bowl of soup. The fox was happy, because she had a friend. And the duck? The "
  "duck still swam in the river, telling every fish about the kind fox and the girl. That is the end of the story.\n";

static void
test_overfit (void)
{
  SmModelConfig c = tiny_config (64, 2, 4, 32);
  SmTrainParams p;
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_bytes ();
  g_autoptr (SmTrainData) data = NULL;
  g_autoptr (SmTrainer) t = NULL;
  SmTrainStepInfo info = { 0 };
  SmTrainEval eval;
  double first = 0.0;

  g_assert_cmpuint (strlen (overfit_text), >=, 1000);
  g_assert_cmpuint (strlen (overfit_text), <=, 1100);
  sm_train_params_init (&p);
  p.batch_size = 16;
  p.seq_len = 32;
  p.max_steps = 400;
  p.warmup_steps = 20;
  p.lr = 6e-3f;
  p.min_lr = 6e-4f;
  p.weight_decay = 0.0f;
  t = tiny_trainer (&c, &p, 5);
  data = sm_train_data_new (tok, overfit_text, -1, "the fox story", &error);
  g_assert_no_error (error);

  for (int s = 0; s < p.max_steps; s++)
    {
      g_assert_true (sm_trainer_step (t, data, &info, &error));
      g_assert_no_error (error);
      if (s == 0)
        first = info.loss;
    }
  g_assert_true (sm_trainer_evaluate (t, data, 0, &eval, &error));
  g_assert_no_error (error);
  g_test_message ("overfit: first step loss %.3f, after %d steps %.3f (whole text %.3f nats, %.3f bits/byte)",
                  first, p.max_steps, info.loss, eval.loss, eval.bits_per_byte);
  /* From ln 256 = 5.5 nats down to under 0.5 nats (0.72 bits) per byte in 400 steps of 16 ×
   * 32 bytes, about 200 passes over the text: memorised (measured: 0.28 with AVX-512). */
  g_assert_cmpfloat (first, >, 5.0);
  g_assert_cmpfloat (eval.loss, <, 0.5);
}

/* ---- checkpoints --------------------------------------------------------------------------------- */

static char *
make_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("sm-train-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

static SmTrainParams
small_run_params (void)
{
  SmTrainParams p;
  sm_train_params_init (&p);
  p.batch_size = 4;
  p.seq_len = 16;
  p.grad_accum = 2;
  p.max_steps = 8;
  p.warmup_steps = 2;
  p.lr = 3e-3f;
  p.seed = 99;
  return p;
}

static void
test_checkpoint_resume (void)
{
  SmModelConfig c = tiny_config (32, 2, 2, 16);
  SmTrainParams p = small_run_params ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_bytes ();
  g_autoptr (SmTrainData) data = sm_train_data_new (tok, overfit_text, -1, NULL, &error);
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "run.smck", NULL);
  g_autofree char *weights = g_build_filename (dir, "weights.smck", NULL);
  double losses[8];
  g_autofree float *at3 = NULL, *final = NULL;
  gsize n_total = 0;
  SmTrainStepInfo info;

  g_assert_no_error (error);
  {
    g_autoptr (SmTrainer) t = tiny_trainer (&c, &p, 21);
    json_object_set_string_member (sm_trainer_get_run_info (t), "corpus", "fox");
    for (int s = 0; s < 8; s++)
      {
        g_assert_true (sm_trainer_step (t, data, &info, &error));
        losses[s] = info.loss;
        if (s == 2)
          {
            g_assert_true (sm_trainer_save (t, path, TRUE, &error));
            g_assert_no_error (error);
            g_assert_true (sm_trainer_save (t, weights, FALSE, &error));
            g_assert_no_error (error);
            float *w = sm_trainer_get_param (t, "token_embd.weight", NULL);
            /* the flat array: from the first tensor to the end of the last */
            const char *const *names = sm_trainer_tensor_names (t);
            int last = 0;
            while (names[last + 1])
              last++;
            gsize n_last;
            float *end = sm_trainer_get_param (t, names[last], &n_last) + n_last;
            n_total = end - w;
            at3 = g_memdup2 (w, n_total * sizeof (float));
          }
      }
    final = g_memdup2 (sm_trainer_get_param (t, "token_embd.weight", NULL), n_total * sizeof (float));
  }
  /* no temporary left behind */
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    int files = 0;
    while (g_dir_read_name (d))
      files++;
    g_assert_cmpint (files, ==, 2);
  }

  /* the checkpoint is a model: every weight loads back bit for bit */
  {
    g_autoptr (SmModel) model = sm_model_load (path, NULL, &error);
    g_assert_no_error (error);
    g_autoptr (SmTrainer) t = sm_trainer_new (model, &p, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (sm_trainer_get_param (t, "token_embd.weight", NULL), n_total * sizeof (float),
                     at3, n_total * sizeof (float));
    g_assert_cmpuint (sm_model_n_params (model), ==, sm_model_n_params (sm_trainer_get_model (t)));
  }

  /* resuming continues the run exactly */
  {
    g_autoptr (SmTrainer) t = sm_trainer_resume (path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (sm_trainer_get_step (t), ==, 3);
    g_assert_cmpuint (sm_trainer_get_tokens_seen (t), ==, 3u * 2 * 4 * 16);
    g_assert_cmpstr (json_object_get_string_member (sm_trainer_get_run_info (t), "corpus"), ==, "fox");
    g_assert_cmpint (sm_trainer_get_params (t)->grad_accum, ==, 2);
    g_assert_cmpfloat (sm_trainer_get_params (t)->lr, ==, p.lr);
    for (int s = 3; s < 8; s++)
      {
        g_assert_true (sm_trainer_step (t, data, &info, &error));
        g_test_message ("step %d: %.9g (straight run %.9g)", s + 1, info.loss, losses[s]);
        g_assert_cmpfloat (info.loss, ==, losses[s]);
      }
    g_assert_cmpmem (sm_trainer_get_param (t, "token_embd.weight", NULL), n_total * sizeof (float),
                     final, n_total * sizeof (float));
  }

  /* weights only: loads as a model, refuses to resume */
  {
    g_autoptr (SmTrainer) t = sm_trainer_resume (weights, &error);
    g_assert_null (t);
    g_assert_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT);
    g_test_message ("expected: %s", error->message);
    g_clear_error (&error);
  }

  /* a checkpoint made by the model writer alone has no training state */
  {
    g_autofree char *plain = g_build_filename (dir, "plain.smck", NULL);
    g_autoptr (SmModel) preset = sm_model_new_preset (SM_PRESET_SMALL, 1);
    g_assert_true (sm_model_save_checkpoint (preset, plain, NULL, &error));
    g_autoptr (SmTrainer) t = sm_trainer_resume (plain, &error);
    g_assert_null (t);
    g_assert_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT);
    g_clear_error (&error);
  }

  /* truncated and corrupted checkpoints give an error, not a crash */
  {
    g_autofree char *bytes = NULL;
    gsize len;
    g_autofree char *bad = g_build_filename (dir, "bad.smck", NULL);
    g_assert_true (g_file_get_contents (path, &bytes, &len, &error));

    g_assert_true (g_file_set_contents (bad, bytes, len / 2, &error));
    g_autoptr (SmTrainer) t1 = sm_trainer_resume (bad, &error);
    g_assert_null (t1);
    g_assert_nonnull (error);
    g_test_message ("truncated: %s", error->message);
    g_assert_nonnull (strstr (error->message, "bad.smck"));
    g_clear_error (&error);

    bytes[len - 100] ^= 0x40;
    g_assert_true (g_file_set_contents (bad, bytes, len, &error));
    g_autoptr (SmTrainer) t2 = sm_trainer_resume (bad, &error);
    g_assert_null (t2);
    g_assert_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_CHECKSUM);
    g_test_message ("corrupted: %s", error->message);
    g_clear_error (&error);

    g_assert_true (g_file_set_contents (bad, "", 0, &error));
    g_autoptr (SmTrainer) t3 = sm_trainer_resume (bad, &error);
    g_assert_null (t3);
    g_assert_nonnull (error);
    g_clear_error (&error);
  }

  /* a failed save (no such folder) leaves the last checkpoint as it was */
  {
    g_autofree char *before = NULL, *after = NULL;
    gsize lb, la;
    g_autofree char *nowhere = g_build_filename (dir, "missing", "run.smck", NULL);
    g_autoptr (SmTrainer) t = sm_trainer_resume (path, &error);
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (path, &before, &lb, NULL));
    g_assert_false (sm_trainer_save (t, nowhere, TRUE, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
    g_assert_true (g_file_get_contents (path, &after, &la, NULL));
    g_assert_cmpmem (before, lb, after, la);
  }
  remove_dir (dir);
}

/* ---- profiling ---------------------------------------------------------------------------------- */

/* Training ops reach the profiler, the phases as scopes of one shared profiler. */
static void
test_profiler (void)
{
  SmModelConfig c = tiny_config (32, 2, 2, 16);
  SmTrainParams p = small_run_params ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_bytes ();
  g_autoptr (SmTrainData) data = sm_train_data_new (tok, overfit_text, -1, NULL, &error);
  g_autoptr (SmTrainer) t = tiny_trainer (&c, &p, 4);
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  SmOpStats ops[SM_N_OPS];
  gboolean seen[3] = { FALSE };
  static const char *const phases[3] = { "forward", "backward", "optimizer" };

  sm_trainer_set_profilers (t, prof, prof, prof);
  g_assert_true (sm_trainer_step (t, data, NULL, &error));
  g_assert_true (sm_trainer_step (t, data, NULL, &error));
  sm_profiler_flush (prof);
  sm_profiler_get_ops (prof, ops);
  /* per micro-batch: 4 matmuls a layer and the head, forward and backward */
  g_assert_cmpuint (ops[SM_OP_MATMUL].count, ==, 2u * p.grad_accum * 2 * (4 * 2 + 1));
  g_assert_cmpuint (ops[SM_OP_ATTENTION].count, ==, 2u * p.grad_accum * 2 * 2);
  g_assert_cmpfloat (ops[SM_OP_MATMUL].flops, >, 0.0);

  g_autoptr (GArray) scopes = sm_profiler_copy_scopes (prof);
  for (guint i = 0; i < scopes->len; i++)
    {
      const SmScopeStats *sc = &g_array_index (scopes, SmScopeStats, i);
      for (int k = 0; k < 3; k++)
        if (sc->depth == 0 && strcmp (sc->name, phases[k]) == 0)
          {
            seen[k] = TRUE;
            if (k < 2)
              g_assert_cmpuint (sc->count, ==, 2u * p.grad_accum);
          }
    }
  g_assert_true (seen[0] && seen[1] && seen[2]);
  sm_trainer_set_profilers (t, NULL, NULL, NULL);
}

/* ---- bad input ----------------------------------------------------------------------------------- */

static void
test_bad_data (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_bytes ();
  SmModelConfig c = tiny_config (16, 1, 2, 64);
  SmTrainParams p;
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *empty = g_build_filename (dir, "empty.txt", NULL);
  g_autofree char *latin1 = g_build_filename (dir, "latin1.txt", NULL);
  SmTrainData *d;

  /* empty text, and an empty file named in the message */
  d = sm_train_data_new (tok, "", 0, "notes.txt", &error);
  g_assert_null (d);
  g_assert_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA);
  g_assert_nonnull (strstr (error->message, "notes.txt"));
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  d = sm_train_data_new_from_files (tok, (const char *[]) { empty, NULL }, &error);
  g_assert_null (d);
  g_assert_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA);
  g_assert_nonnull (strstr (error->message, "empty.txt"));
  g_test_message ("expected: %s", error->message);
  g_clear_error (&error);

  /* Latin-1 bytes: not UTF-8, and the offset of the first bad byte is given */
  g_assert_true (g_file_set_contents (latin1, "caf\xe9 au lait", -1, NULL));
  d = sm_train_data_new_from_files (tok, (const char *[]) { latin1, NULL }, &error);
  g_assert_null (d);
  g_assert_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA);
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_assert_nonnull (strstr (error->message, "offset 3"));
  g_test_message ("expected: %s", error->message);
  g_clear_error (&error);

  /* a missing file */
  d = sm_train_data_new_from_files (tok, (const char *[]) { "/nonexistent/corpus.txt", NULL }, &error);
  g_assert_null (d);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  /* too small for the context: 40 bytes cannot make a window of 64 + 1 */
  sm_train_params_init (&p);
  p.batch_size = 2;
  p.seq_len = 64;
  g_autoptr (SmTrainer) t = tiny_trainer (&c, &p, 1);
  g_autoptr (SmTrainData) small = sm_train_data_new (tok, "The cat sat on the mat. The dog ran off.", -1, "tiny.txt", &error);
  g_assert_no_error (error);
  SmTrainStepInfo info;
  g_assert_false (sm_trainer_step (t, small, &info, &error));
  g_assert_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA);
  g_assert_nonnull (strstr (error->message, "too small for the context"));
  g_test_message ("expected: %s", error->message);
  g_clear_error (&error);
  g_assert_cmpint (sm_trainer_get_step (t), ==, 0);

  /* settings the trainer refuses */
  {
    SmTrainParams bad = p;
    bad.seq_len = 65;   /* longer than the model's context */
    g_autoptr (SmModel) init = sm_model_new_random (&c, tok, 1, "x", NULL);
    g_autoptr (SmTrainer) t2 = sm_trainer_new (init, &bad, &error);
    g_assert_null (t2);
    g_assert_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_INVALID);
    g_clear_error (&error);
    bad = p;
    bad.lr = -1.0f;
    t2 = sm_trainer_new (init, &bad, &error);
    g_assert_null (t2);
    g_assert_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_INVALID);
    g_clear_error (&error);
  }
  remove_dir (dir);
}

/* ---- tokenizer file ------------------------------------------------------------------------------ */

static void
test_tokenizer_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (12);
  g_autoptr (GArray) merges = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "bpe.json", NULL);

  g_assert_true (sm_bpe_train ((const guint8 *) overfit_text, strlen (overfit_text), 64, merges, &error));
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_bpe ((const gint32 *) merges->data, merges->len / 2, &error);
  g_assert_no_error (error);
  g_assert_true (sm_train_tokenizer_save (tok, path, &error));
  g_autoptr (SmTokenizer) back = sm_train_tokenizer_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sm_tokenizer_n_vocab (back), ==, 256 + 64);

  /* any byte string survives encode then decode */
  for (int round = 0; round < 50; round++)
    {
      gsize len = g_rand_int_range (rand, 0, 300);
      g_autofree char *bytes = g_new (char, len + 1);
      g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      for (gsize i = 0; i < len; i++)
        bytes[i] = round % 2 ? (char) g_rand_int_range (rand, 0, 256)
                             : overfit_text[g_rand_int_range (rand, 0, (gint32) strlen (overfit_text))];
      g_assert_true (sm_tokenizer_encode (back, bytes, len, FALSE, ids, &error));
      gsize out_len;
      g_autofree char *out = sm_tokenizer_decode (back, (const gint32 *) ids->data, ids->len, &out_len);
      g_assert_cmpmem (out, out_len, bytes, len);
    }

  /* bad files */
  g_assert_true (g_file_set_contents (path, "{\"kind\": \"bpe\", \"merges\": [1, 2, 3]}", -1, NULL));
  g_assert_null (sm_train_tokenizer_load (path, &error));
  g_assert_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, "not json", -1, NULL));
  g_assert_null (sm_train_tokenizer_load (path, &error));
  g_assert_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, "{\"kind\": 7}", -1, NULL));
  g_assert_null (sm_train_tokenizer_load (path, &error));
  g_assert_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA);
  g_clear_error (&error);
  remove_dir (dir);
}

/* Class of a byte as the word cutter sees it: 0 letter, 1 digit, 2 space, 3 other. */
static int
cls (guint8 c)
{
  if (g_ascii_isalpha (c) || c == '\'' || c >= 0x80)
    return 0;
  if (g_ascii_isdigit (c))
    return 1;
  if (g_ascii_isspace (c))
    return 2;
  return 3;
}

static GArray *
encode (SmTokenizer *tok, const char *text)
{
  g_autoptr (GError) error = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_assert_true (sm_tokenizer_encode (tok, text, -1, FALSE, ids, &error));
  return ids;
}

/* Word-bounded BPE: no token mixes a word with what follows it, so a prompt cut after a word
 * tokenizes as the start of the longer text (the cause of "Once upon a tim|e" + "..."). */
static void
test_bpe_words (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) merges = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GRand) rand = g_rand_new_with_seed (13);

  /* six copies: every pair repeats, so merges go on to whole words (plain BPE would go on to
   * fuse across them, "Once upon a time" into one token) */
  g_autoptr (GString) text = g_string_new (NULL);
  for (int rep = 0; rep < 6; rep++)
    g_string_append (text, overfit_text);
  for (int run = 0; run < 2; run++)
    {
      g_autoptr (GArray) part = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_assert_true (sm_bpe_train_words ((const guint8 *) text->str, text->len, 200, part, &error));
      g_assert_no_error (error);
      if (run == 0)
        g_array_append_vals (merges, part->data, part->len);
      else
        g_assert_cmpmem (part->data, part->len * 4, merges->data, merges->len * 4);   /* deterministic */
    }
  g_assert_cmpuint (merges->len, ==, 400);
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_bpe ((const gint32 *) merges->data, merges->len / 2, &error);
  g_assert_no_error (error);

  /* every token: an optional leading space, then bytes of one class */
  for (int id = 256; id < sm_tokenizer_n_vocab (tok); id++)
    {
      gsize len;
      const guint8 *b = (const guint8 *) sm_tokenizer_token_bytes (tok, id, &len);
      gsize start = len > 1 && b[0] == ' ' && cls (b[1]) != 2 ? 1 : 0;
      for (gsize i = start + 1; i < len; i++)
        if (cls (b[i]) != cls (b[start]))
          g_error ("token %d \"%.*s\" crosses a word boundary", id, (int) len, b);
    }

  {
    g_autoptr (GArray) prompt = encode (tok, "Once upon a time");
    g_autoptr (GArray) full = encode (tok, "Once upon a time, a small fox lived");
    g_assert_cmpuint (prompt->len, <, full->len);
    g_assert_cmpmem (prompt->data, prompt->len * 4, full->data, prompt->len * 4);
  }

  /* and it still round-trips anything */
  for (int round = 0; round < 30; round++)
    {
      gsize len = g_rand_int_range (rand, 0, 200);
      g_autofree char *bytes = g_new (char, len + 1);
      g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      gsize out_len;
      for (gsize i = 0; i < len; i++)
        bytes[i] = (char) g_rand_int_range (rand, 0, 256);
      g_assert_true (sm_tokenizer_encode (tok, bytes, len, FALSE, ids, &error));
      g_autofree char *out = sm_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, &out_len);
      g_assert_cmpmem (out, out_len, bytes, len);
    }

  /* a text with no repeated pair learns nothing, without error */
  g_array_set_size (merges, 0);
  g_assert_true (sm_bpe_train_words ((const guint8 *) "abc", 3, 10, merges, &error));
  g_assert_cmpuint (merges->len, ==, 0);
}

/* ---- the shipped models -------------------------------------------------------------------------- */

typedef struct {
  const char *model;
  double      valid_bpb;   /* as README states it */
} Shipped;

/* The held-out loss the README reports, over every window of the validation split. */
static void
test_shipped (gconstpointer data)
{
  const Shipped *s = data;
  const char *root = g_getenv ("SM_SOURCE_ROOT");
  g_autofree char *model_path = g_build_filename (root ? root : ".", "data", "models", s->model, NULL);
  g_autofree char *valid_path = g_build_filename (root ? root : ".", "data", "corpus", "valid.txt", NULL);
  g_autoptr (GError) error = NULL;
  SmTrainParams p;
  SmTrainEval eval;

  /* both models ship in the repository: a missing one is a defect, not a skip */
  if (!g_file_test (model_path, G_FILE_TEST_IS_REGULAR) || !g_file_test (valid_path, G_FILE_TEST_IS_REGULAR))
    g_error ("%s or %s is missing (tools/build-models rebuilds them)", model_path, valid_path);
  g_autoptr (SmModel) model = sm_model_load (model_path, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (SmTrainData) valid = sm_train_data_new_from_files (sm_model_get_tokenizer (model),
                                                                (const char *[]) { valid_path, NULL }, &error);
  g_assert_no_error (error);
  sm_train_params_init (&p);
  p.batch_size = 16;
  p.seq_len = sm_model_get_config (model)->context_length;
  g_autoptr (SmTrainer) t = sm_trainer_new (model, &p, &error);
  g_assert_no_error (error);
  g_assert_true (sm_trainer_evaluate (t, valid, 0, &eval, &error));
  g_assert_no_error (error);
  g_test_message ("%s: validation %.4f nats/token, %.4f bits/byte over %" G_GSIZE_FORMAT " tokens "
                  "(README: %.4f)", s->model, eval.loss, eval.bits_per_byte, eval.tokens, s->valid_bpb);
  if (s->valid_bpb > 0)
    g_assert_cmpfloat (fabs (eval.bits_per_byte - s->valid_bpb), <=, 0.02 * s->valid_bpb);
}

int
main (int argc, char **argv)
{
  static const Shipped small = { "small.smck", 0.4115 };
  static const Shipped medium = { "medium.smck", 0.1773 };

  g_test_init (&argc, &argv, NULL);
  sm_threads_set_count (2);

  g_test_add_func ("/Train/grad/encoder", test_grad_encoder);
  g_test_add_func ("/Train/grad/layernorm", test_grad_layernorm);
  g_test_add_func ("/Train/grad/matmul", test_grad_matmul);
  g_test_add_func ("/Train/grad/attention", test_grad_attention);
  g_test_add_func ("/Train/grad/gelu", test_grad_gelu);
  g_test_add_func ("/Train/grad/crossentropy", test_grad_crossentropy);
  g_test_add_func ("/Train/grad/model", test_grad_model);
  g_test_add_func ("/Train/grad/accumulation", test_grad_accumulation);
  g_test_add_func ("/Train/adamw", test_adamw);
  g_test_add_func ("/Train/schedule-and-clip", test_schedule_and_clip);
  g_test_add_func ("/Train/overfit", test_overfit);
  g_test_add_func ("/Train/profiler", test_profiler);
  g_test_add_func ("/Train/checkpoint-resume", test_checkpoint_resume);
  g_test_add_func ("/Train/bad-data", test_bad_data);
  g_test_add_func ("/Train/tokenizer-file", test_tokenizer_file);
  g_test_add_func ("/Train/bpe-words", test_bpe_words);
  g_test_add_data_func ("/Train/shipped/small", &small, test_shipped);
  g_test_add_data_func ("/Train/shipped/medium", &medium, test_shipped);
  return g_test_run ();
}
