/* test-sampler.c: each sampling rule on hand-made logits, and seeded reproducibility. */
#include <math.h>
#include <string.h>

#include "sm-sampler.h"

static void
test_greedy (void)
{
  SmSamplerParams p;
  float logits[6] = { 0.1f, 3.0f, -1.0f, 3.0f, 2.9f, 0.0f };

  sm_sampler_params_init (&p);
  g_autoptr (SmSampler) s = sm_sampler_new (&p, 6);
  /* the first of two equal maxima, as llama2.c and llama.cpp pick */
  g_assert_cmpint (sm_sampler_sample (s, logits), ==, 1);
}

static void
test_repeat_penalty (void)
{
  SmSamplerParams p;
  float logits[4] = { 2.0f, 1.9f, -1.0f, -1.1f };

  sm_sampler_params_init (&p);
  p.repeat_penalty = 1.5f;
  g_autoptr (SmSampler) s = sm_sampler_new (&p, 4);
  sm_sampler_accept (s, 0);
  /* 2.0 / 1.5 = 1.33 < 1.9: the repeated token loses */
  g_assert_cmpint (sm_sampler_sample (s, logits), ==, 1);

  /* a negative logit is multiplied, so it gets worse, not better */
  float neg[2] = { -1.0f, -1.2f };
  g_autoptr (SmSampler) s2 = sm_sampler_new (&p, 2);
  sm_sampler_accept (s2, 0);
  g_assert_cmpint (sm_sampler_sample (s2, neg), ==, 1);
}

/* Draws many samples and returns how often each id came out. */
static void
histogram (const SmSamplerParams *p, const float *logits, int n, int draws, int *counts)
{
  g_autoptr (SmSampler) s = sm_sampler_new (p, n);
  for (int i = 0; i < n; i++)
    counts[i] = 0;
  for (int i = 0; i < draws; i++)
    counts[sm_sampler_sample (s, logits)]++;
}

static void
test_top_k_top_p_min_p (void)
{
  SmSamplerParams p;
  float logits[5] = { 2.0f, 1.0f, 0.5f, 0.0f, -3.0f };
  int counts[5];

  sm_sampler_params_init (&p);
  p.temperature = 1.0f;
  p.min_p = 0.0f;
  p.top_p = 1.0f;

  p.top_k = 2;
  histogram (&p, logits, 5, 4000, counts);
  g_assert_cmpint (counts[2] + counts[3] + counts[4], ==, 0);
  g_assert_cmpint (counts[0], >, counts[1]);
  g_assert_cmpint (counts[1], >, 0);

  /* probabilities: .577 .212 .129 .078 .004; top-p 0.7 keeps the first two */
  p.top_k = 0;
  p.top_p = 0.7f;
  histogram (&p, logits, 5, 4000, counts);
  g_assert_cmpint (counts[2] + counts[3] + counts[4], ==, 0);
  g_assert_cmpint (counts[1], >, 0);

  /* min-p 0.3: keep p >= 0.173, the first two again; 0.2 keeps three (.129 >= .115) */
  p.top_p = 1.0f;
  p.min_p = 0.3f;
  histogram (&p, logits, 5, 4000, counts);
  g_assert_cmpint (counts[2] + counts[3] + counts[4], ==, 0);
  p.min_p = 0.2f;
  histogram (&p, logits, 5, 4000, counts);
  g_assert_cmpint (counts[2], >, 0);
  g_assert_cmpint (counts[3] + counts[4], ==, 0);

  /* the draw follows the distribution: token 0 about 57% of the time */
  p.min_p = 0.0f;
  histogram (&p, logits, 5, 20000, counts);
  g_assert_cmpfloat (fabs (counts[0] / 20000.0 - 0.577), <, 0.02);
}

static void
test_temperature (void)
{
  SmSamplerParams p;
  float logits[2] = { 1.0f, 0.0f };
  int hot[2], cold[2];

  sm_sampler_params_init (&p);
  p.top_k = 0; p.top_p = 1.0f; p.min_p = 0.0f;
  p.temperature = 5.0f;
  histogram (&p, logits, 2, 10000, hot);
  p.temperature = 0.2f;
  histogram (&p, logits, 2, 10000, cold);
  /* hotter flattens: exp(0.2) / (1 + exp(0.2)) = .55; colder sharpens: .993 */
  g_assert_cmpfloat (fabs (hot[0] / 10000.0 - 0.55), <, 0.03);
  g_assert_cmpint (cold[0], >, 9800);
}

static void
test_seeded (void)
{
  SmSamplerParams p;
  float logits[50];

  for (int i = 0; i < 50; i++)
    logits[i] = sinf ((float) i);
  sm_sampler_params_init (&p);
  p.temperature = 1.0f;
  p.top_k = 0; p.top_p = 1.0f; p.min_p = 0.0f;
  p.seed = 1234;

  g_autoptr (SmSampler) a = sm_sampler_new (&p, 50);
  g_autoptr (SmSampler) b = sm_sampler_new (&p, 50);
  gboolean differs_from_other_seed = FALSE;
  p.seed = 1235;
  g_autoptr (SmSampler) c = sm_sampler_new (&p, 50);
  for (int i = 0; i < 200; i++)
    {
      gint32 x = sm_sampler_sample (a, logits);
      g_assert_cmpint (x, ==, sm_sampler_sample (b, logits));
      if (x != sm_sampler_sample (c, logits))
        differs_from_other_seed = TRUE;
    }
  g_assert_true (differs_from_other_seed);
}

/* Damaged logits (NaN, ±inf) never break the sort (a NaN pivot used to run the partition
 * off the array's end) and are counted; the draw stays among the finite ones. */
static void
test_non_finite (void)
{
  const int n = 1000;
  g_autofree float *logits = g_new (float, n);
  SmSamplerParams p;

  for (int i = 0; i < n; i++)
    logits[i] = i % 3 == 0 ? NAN : (float) (i % 17) * 0.1f;
  logits[500] = -INFINITY;
  sm_sampler_params_init (&p);
  for (int top_k = 0; top_k <= 40; top_k += 40)
    for (int greedy = 0; greedy < 2; greedy++)
      {
        g_autoptr (SmSampler) s = NULL;
        p.temperature = greedy ? 0.0f : 0.8f;
        p.top_k = top_k;
        s = sm_sampler_new (&p, n);
        for (int draw = 0; draw < 50; draw++)
          {
            gint32 t = sm_sampler_sample (s, logits);
            g_assert_cmpint (t, >=, 0);
            g_assert_cmpint (t, <, n);
            g_assert_false (isnan (logits[t]));
            g_assert_cmpint (sm_sampler_get_non_finite (s), ==, (n + 2) / 3 + 1);
          }
      }

  /* +inf is the one sure choice; all NaN leaves the first token, not a crash */
  {
    g_autoptr (SmSampler) s = NULL;
    p.temperature = 0.8f;
    p.top_k = 0;
    s = sm_sampler_new (&p, n);
    logits[7] = INFINITY;
    g_assert_cmpint (sm_sampler_sample (s, logits), ==, 7);
    for (int i = 0; i < n; i++)
      logits[i] = NAN;
    g_assert_cmpint (sm_sampler_sample (s, logits), ==, 0);
    g_assert_cmpint (sm_sampler_get_non_finite (s), ==, n);
    logits[3] = 1.0f;
    g_assert_cmpint (sm_sampler_sample (s, logits), ==, 3);
  }
}

/* Each out-of-range field is refused by name, NaN included. */
static void
test_params_check (void)
{
  SmSamplerParams p;
  struct { const char *field; const char *word; } cases[] = {
    { "temperature", "temperature" }, { "temperature-nan", "temperature" }, { "top_k", "top-k" },
    { "top_p", "top-p" }, { "top_p-nan", "top-p" }, { "min_p", "min-p" },
    { "repeat_penalty", "penalty" }, { "repeat_last_n", "window" },
  };

  sm_sampler_params_init (&p);
  g_assert_true (sm_sampler_params_check (&p, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      const char *f = cases[i].field;

      sm_sampler_params_init (&p);
      if (g_str_equal (f, "temperature")) p.temperature = -0.5f;
      if (g_str_equal (f, "temperature-nan")) p.temperature = NAN;
      if (g_str_equal (f, "top_k")) p.top_k = -1;
      if (g_str_equal (f, "top_p")) p.top_p = 1.5f;
      if (g_str_equal (f, "top_p-nan")) p.top_p = NAN;
      if (g_str_equal (f, "min_p")) p.min_p = -0.1f;
      if (g_str_equal (f, "repeat_penalty")) p.repeat_penalty = 0.0f;
      if (g_str_equal (f, "repeat_last_n")) p.repeat_last_n = -1;
      g_assert_false (sm_sampler_params_check (&p, &error));
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      if (strstr (error->message, cases[i].word) == NULL)
        g_error ("%s: the message \"%s\" does not name it", f, error->message);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Sampler/greedy", test_greedy);
  g_test_add_func ("/Sampler/repeat-penalty", test_repeat_penalty);
  g_test_add_func ("/Sampler/filters", test_top_k_top_p_min_p);
  g_test_add_func ("/Sampler/temperature", test_temperature);
  g_test_add_func ("/Sampler/seeded", test_seeded);
  g_test_add_func ("/Sampler/non-finite", test_non_finite);
  g_test_add_func ("/Sampler/params-check", test_params_check);
  return g_test_run ();
}
