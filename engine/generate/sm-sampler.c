/* sm-sampler.c: sampling with preallocated candidate buffers. */
#include "sm-sampler.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  gint32 id;
  float  logit;
  float  p;       /* probability, once normalised */
} Candidate;

struct _SmSampler {
  SmSamplerParams params;
  int             n_vocab;
  guint64         rng;          /* xorshift64* state */
  Candidate      *cand;         /* (n_vocab) */
  gint32         *recent;       /* ring of the last repeat_last_n tokens */
  int             n_recent;
  int             recent_head;
  guint8         *penalised;    /* (n_vocab) scratch flags */
  int             non_finite;   /* NaN or infinite logits in the last sample's input */
};

void
sm_sampler_params_init (SmSamplerParams *p)
{
  *p = (SmSamplerParams) {
    .temperature = 0.0f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f,
    .repeat_penalty = 1.0f, .repeat_last_n = 64, .seed = 42,
  };
}

gboolean
sm_sampler_params_check (const SmSamplerParams *p, GError **error)
{
  const char *bad = NULL;

  g_return_val_if_fail (p != NULL, FALSE);
  /* written so that a NaN fails every test */
  if (!(isfinite (p->temperature) && p->temperature >= 0.0f))
    bad = "the temperature must be 0 (greedy) or more";
  else if (p->top_k < 0)
    bad = "top-k must be 0 (off) or more";
  else if (!(p->top_p > 0.0f && p->top_p <= 1.0f))
    bad = "top-p must be above 0 and at most 1 (off)";
  else if (!(p->min_p >= 0.0f && p->min_p <= 1.0f))
    bad = "min-p must be between 0 (off) and 1";
  else if (!(isfinite (p->repeat_penalty) && p->repeat_penalty > 0.0f))
    bad = "the repetition penalty must be above 0 (1 is off)";
  else if (p->repeat_last_n < 0)
    bad = "the repetition window must be 0 tokens or more";
  if (bad == NULL)
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "Sampling: %s", bad);
  return FALSE;
}

SmSampler *
sm_sampler_new (const SmSamplerParams *params, int n_vocab)
{
  SmSampler *s = g_new0 (SmSampler, 1);

  g_return_val_if_fail (n_vocab > 0, NULL);
  s->params = *params;
  s->params.repeat_last_n = MAX (0, s->params.repeat_last_n);
  s->n_vocab = n_vocab;
  s->cand = g_new (Candidate, n_vocab);
  s->recent = g_new0 (gint32, MAX (1, s->params.repeat_last_n));
  s->penalised = g_new0 (guint8, n_vocab);
  sm_sampler_reset (s, params->seed);
  return s;
}

void
sm_sampler_free (SmSampler *s)
{
  if (s == NULL)
    return;
  g_free (s->cand);
  g_free (s->recent);
  g_free (s->penalised);
  g_free (s);
}

void
sm_sampler_reset (SmSampler *s, guint64 seed)
{
  /* xorshift state must be non-zero; mix the seed so 0 and 1 give unrelated streams. */
  s->rng = (seed ^ 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull;
  if (s->rng == 0)
    s->rng = 0x2545f4914f6cdd1dull;
  s->n_recent = 0;
  s->recent_head = 0;
}

static double
rng_uniform (SmSampler *s)
{
  s->rng ^= s->rng >> 12;
  s->rng ^= s->rng << 25;
  s->rng ^= s->rng >> 27;
  return ((s->rng * 0x2545f4914f6cdd1dull) >> 11) * 0x1.0p-53;   /* [0, 1) */
}

void
sm_sampler_accept (SmSampler *s, gint32 token)
{
  int cap = s->params.repeat_last_n;

  if (cap <= 0)
    return;
  s->recent[s->recent_head] = token;
  s->recent_head = (s->recent_head + 1) % cap;
  s->n_recent = MIN (s->n_recent + 1, cap);
}

static int
cmp_desc (const void *a, const void *b)
{
  float x = ((const Candidate *) a)->logit, y = ((const Candidate *) b)->logit;
  if (x != y)
    return x < y ? 1 : -1;
  return ((const Candidate *) a)->id - ((const Candidate *) b)->id;
}

/* Moves the k largest candidates to the front, sorted (quickselect then sort of k). */
static void
partial_sort_desc (Candidate *c, int n, int k)
{
  int lo = 0, hi = n - 1;

  if (k >= n)
    {
      qsort (c, n, sizeof *c, cmp_desc);
      return;
    }
  while (lo < hi)
    {
      Candidate pivot = c[(lo + hi) / 2];
      int i = lo, j = hi;
      while (i <= j)
        {
          while (cmp_desc (&c[i], &pivot) < 0) i++;
          while (cmp_desc (&c[j], &pivot) > 0) j--;
          if (i <= j)
            {
              Candidate t = c[i]; c[i] = c[j]; c[j] = t;
              i++; j--;
            }
        }
      if (k - 1 <= j)
        hi = j;
      else if (k - 1 >= i)
        lo = i;
      else
        break;
    }
  qsort (c, k, sizeof *c, cmp_desc);
}

gint32
sm_sampler_sample (SmSampler *s, const float *logits)
{
  const SmSamplerParams *p = &s->params;
  int n = s->n_vocab;
  Candidate *c = s->cand;

  s->non_finite = 0;
  for (int i = 0; i < n; i++)
    {
      float l = logits[i];
      if (G_UNLIKELY (!isfinite (l)))
        {
          /* NaN compares false with everything and would break the sort's invariants */
          l = isnan (l) || l < 0 ? -INFINITY : FLT_MAX;
          s->non_finite++;
        }
      c[i] = (Candidate) { i, l, 0.0f };
    }

  /* Repetition penalty over distinct recent tokens, as llama.cpp applies it. */
  if (p->repeat_penalty != 1.0f && s->n_recent > 0)
    {
      for (int r = 0; r < s->n_recent; r++)
        {
          gint32 t = s->recent[r];
          if (t < 0 || t >= n || s->penalised[t])
            continue;
          s->penalised[t] = 1;
          c[t].logit = c[t].logit > 0 ? c[t].logit / p->repeat_penalty
                                      : c[t].logit * p->repeat_penalty;
        }
      for (int r = 0; r < s->n_recent; r++)
        if (s->recent[r] >= 0 && s->recent[r] < n)
          s->penalised[s->recent[r]] = 0;
    }

  if (p->temperature <= 0.0f)
    {
      /* Greedy: the first maximum, like argmax in llama2.c and llama.cpp. */
      int best = 0;
      for (int i = 1; i < n; i++)
        if (c[i].logit > c[best].logit)
          best = i;
      return c[best].id;
    }

  /* top-k: keep the k best, sorted; without it, sort everything that top-p may need. */
  int keep = n;
  if (p->top_k > 0 && p->top_k < n)
    keep = p->top_k;
  partial_sort_desc (c, n, keep);

  /* Filters see the model's own distribution (temperature 1), as in llama.cpp's chain where
   * top-p and min-p come before the temperature. */
  float max = c[0].logit;
  double sum = 0.0;
  /* not one token has a chance: the sort's first, as greedy would */
  if (max == -INFINITY)
    return c[0].id;
  for (int i = 0; i < keep; i++)
    {
      c[i].p = expf (c[i].logit - max);
      sum += c[i].p;
    }
  for (int i = 0; i < keep; i++)
    c[i].p = (float) (c[i].p / sum);

  /* top-p: the smallest prefix whose mass reaches p */
  if (p->top_p > 0.0f && p->top_p < 1.0f)
    {
      double cum = 0.0;
      for (int i = 0; i < keep; i++)
        {
          cum += c[i].p;
          if (cum >= p->top_p)
            {
              keep = i + 1;
              break;
            }
        }
    }

  /* min-p: drop tokens less likely than min_p times the best one */
  if (p->min_p > 0.0f)
    {
      float floor_p = p->min_p * c[0].p;
      int k = 1;
      while (k < keep && c[k].p >= floor_p)
        k++;
      keep = k;
    }

  /* temperature, then a draw from the survivors */
  double total = 0.0;
  for (int i = 0; i < keep; i++)
    {
      c[i].p = expf ((c[i].logit - max) / p->temperature);
      total += c[i].p;
    }
  double r = rng_uniform (s) * total, acc = 0.0;
  for (int i = 0; i < keep; i++)
    {
      acc += c[i].p;
      if (r < acc)
        return c[i].id;
    }
  return c[keep - 1].id;
}

int
sm_sampler_get_non_finite (SmSampler *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->non_finite;
}
