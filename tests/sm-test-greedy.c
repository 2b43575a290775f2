/* sm-test-greedy.c: see sm-test-greedy.h. */
#include "sm-test-greedy.h"
#include "sm-generate.h"
#include "sm-session.h"

#include <math.h>
#include <string.h>

GArray *
sm_test_parse_ids (const char *text, const char *key)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  const char *line = strstr (text, key);

  g_assert_nonnull (line);
  line += strlen (key);
  while (*line != '\0' && *line != '\n')
    {
      char *end;
      gint64 v = g_ascii_strtoll (line, &end, 10);
      if (end == line)
        break;
      gint32 id = (gint32) v;
      g_array_append_val (ids, id);
      line = end;
    }
  return ids;
}

double
sm_test_forced_gap (SmModel *m, SmKvType kv, GArray *prompt, GArray *want, guint *worst_at,
                    double *mean_lead, guint *agree)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmSession) s = sm_session_new_full (m, NULL, 0, kv, &error);
  const int vocab = sm_model_get_config (m)->vocab_size;
  double worst = 0.0;

  g_assert_no_error (error);
  g_assert_true (sm_session_eval (s, (const gint32 *) prompt->data, prompt->len, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < want->len; i++)
    {
      const float *logits = sm_session_get_logits (s);
      const gint32 id = g_array_index (want, gint32, i);
      double max = logits[0], second = -G_MAXDOUBLE, sum = 0.0, sum2 = 0.0;
      for (int v = 0; v < vocab; v++)
        {
          if (v > 0 && logits[v] > max)
            {
              second = max;
              max = logits[v];
            }
          else if (v > 0 && logits[v] > second)
            second = logits[v];
          sum += logits[v];
          sum2 += (double) logits[v] * logits[v];
        }
      const double mean = sum / vocab, sd = sqrt (MAX (sum2 / vocab - mean * mean, 1e-30));
      const double gap = (max - logits[id]) / sd;
      *agree += logits[id] == max;
      *mean_lead += (max - second) / sd / want->len;
      if (gap > worst)
        {
          worst = gap;
          *worst_at = i;
        }
      g_assert_true (sm_session_eval (s, &id, 1, &error));
      g_assert_no_error (error);
    }
  return worst;
}

guint
sm_test_ids_agree (GArray *got, guint offset, GArray *want)
{
  guint same = 0;

  while (offset + same < got->len && same < want->len
         && g_array_index (got, gint32, offset + same) == g_array_index (want, gint32, same))
    same++;
  return same;
}

GArray *
sm_test_greedy_ids (SmModel *m, const char *prompt, SmKernelLevel level, SmKvType kv, int n_new)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (sm_kernels_set_level (level, &error));
  g_assert_no_error (error);

  g_autoptr (SmSession) s = sm_session_new_full (m, NULL, 0, kv, &error);
  g_assert_no_error (error);
  SmGenerateParams params;
  SmGenerateStats stats;
  sm_generate_params_init (&params);
  params.sampling.temperature = 0;
  /* one more: generate evaluates every token it samples but the last */
  params.max_tokens = n_new + 1;
  g_assert_true (sm_generate (s, prompt, &params, NULL, NULL, &stats, &error));
  g_assert_no_error (error);

  int n;
  const gint32 *held = sm_session_get_tokens (s, &n);
  GArray *ids = g_array_sized_new (FALSE, FALSE, sizeof (gint32), n);
  g_array_append_vals (ids, held, n);
  return ids;
}
