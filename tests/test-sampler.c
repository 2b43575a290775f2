/* test-sampler.c: each sampling rule on hand-made logits, and seeded reproducibility. */
#include <math.h>

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Sampler/greedy", test_greedy);
  g_test_add_func ("/Sampler/repeat-penalty", test_repeat_penalty);
  g_test_add_func ("/Sampler/filters", test_top_k_top_p_min_p);
  g_test_add_func ("/Sampler/temperature", test_temperature);
  g_test_add_func ("/Sampler/seeded", test_seeded);
  return g_test_run ();
}
