/* sm-engine-ab.c: the A/B run, one job of the engine thread.
 *
 * Each run gets a session of its own (an empty KV cache of its side's type) and a sampler of
 * its own (the same seed), so no run inherits another's cache or random state; the engine's
 * session stays as it was, and the next chat reply reuses its cache as before.  The pool,
 * kernel level and thread count are process-wide: the job sets them before each run and puts
 * back what was in force at its start.  Setting changes asked for meanwhile wait in the
 * engine's pending slots (only a generation's tokens apply them) and land after the job.
 *
 * Each side records into a profiler of its own, so its snapshot holds only its runs' ops and
 * tokens; the comparison report compares the two snapshots as it compares any two runs of
 * the window (ops per thousand tokens of each pass).
 */
#define G_LOG_DOMAIN "SmEngine"

#include "sm-engine-private.h"
#include "sm-session.h"
#include "sm-threads.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- configurations ---------------------------------------------------------------------------- */

void
sm_ab_config_from_stats (SmAbConfig *config, const SmEngineStats *stats)
{
  memset (config, 0, sizeof *config);
  config->pool_enabled = stats->pool_enabled;
  config->kernel_level = stats->kernel_level;
  config->threads = MAX (stats->threads, 1);
  config->kv_type = stats->kv_type;
}

void
sm_ab_config_copy (SmAbConfig *dst, const SmAbConfig *src)
{
  *dst = *src;
  dst->model_path = g_strdup (src->model_path);
}

void
sm_ab_config_clear (SmAbConfig *config)
{
  g_clear_pointer (&config->model_path, g_free);
}

char *
sm_ab_config_describe (const SmAbConfig *c)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s, pool %s, %d thread%s, KV %s",
                          sm_engine_kernel_level_name (c->kernel_level),
                          c->pool_enabled ? "on" : "off", c->threads, c->threads == 1 ? "" : "s",
                          sm_engine_kv_type_name (c->kv_type));
  if (c->model_path)
    {
      g_autofree char *base = g_path_get_basename (c->model_path);
      g_string_append_printf (s, ", %s", base);
    }
  return g_string_free (s, FALSE);
}

/* ---- results ----------------------------------------------------------------------------------- */

static void
ab_run_free (gpointer p)
{
  SmAbRun *r = p;

  g_array_unref (r->ids);
  g_array_unref (r->offsets);
  g_free (r->text);
  g_free (r);
}

void
sm_ab_result_free (SmAbResult *r)
{
  if (r == NULL)
    return;
  g_free (r->prompt);
  for (int s = 0; s < 2; s++)
    {
      sm_ab_config_clear (&r->config[s]);
      g_free (r->model_name[s]);
      g_clear_pointer (&r->snap[s], sm_snapshot_free);
    }
  g_ptr_array_unref (r->runs);
  g_free (r);
}

const SmAbRun *
sm_ab_result_get_run (const SmAbResult *r, int side, int i)
{
  g_return_val_if_fail (r != NULL, NULL);
  for (guint k = 0; k < r->runs->len; k++)
    {
      const SmAbRun *run = g_ptr_array_index (r->runs, k);
      if (run->side == side && i-- == 0)
        return run;
    }
  return NULL;
}

const char *
sm_ab_figure_name (SmAbFigureKind kind)
{
  static const char *const names[SM_AB_N_FIGURES] = {
    "decode tok/s", "prefill tok/s", "time to first token (ms)", "wall time (ms)"
  };
  g_return_val_if_fail (kind < SM_AB_N_FIGURES, NULL);
  return names[kind];
}

int
sm_ab_first_divergence (const gint32 *a, gsize n_a, const gint32 *b, gsize n_b)
{
  gsize n = MIN (n_a, n_b);

  for (gsize i = 0; i < n; i++)
    if (a[i] != b[i])
      return (int) i;
  return n_a == n_b ? -1 : (int) n;
}

static double
run_figure (const SmAbRun *r, SmAbFigureKind kind)
{
  switch (kind)
    {
    case SM_AB_DECODE_TPS: return r->decode_tps;
    case SM_AB_PREFILL_TPS: return r->prefill_tps;
    case SM_AB_TTFT_MS: return r->ttft_ms;
    case SM_AB_WALL_MS:
    case SM_AB_N_FIGURES:
    default: return r->wall_ms;
    }
}

static int
double_cmp (gconstpointer pa, gconstpointer pb)
{
  double a = *(const double *) pa, b = *(const double *) pb;
  return a < b ? -1 : a > b;
}

static void
summarize (SmAbResult *r)
{
  for (int s = 0; s < 2; s++)
    for (int k = 0; k < SM_AB_N_FIGURES; k++)
      {
        g_autoptr (GArray) v = g_array_new (FALSE, FALSE, sizeof (double));
        SmAbFigure *f = &r->figures[s][k];

        for (guint i = 0; i < r->runs->len; i++)
          {
            const SmAbRun *run = g_ptr_array_index (r->runs, i);
            double x = run_figure (run, k);
            if (run->side == s)
              g_array_append_val (v, x);
          }
        if (v->len == 0)
          continue;
        g_array_sort (v, double_cmp);
        f->min = g_array_index (v, double, 0);
        f->max = g_array_index (v, double, v->len - 1);
        f->median = v->len % 2 ? g_array_index (v, double, v->len / 2)
                               : (g_array_index (v, double, v->len / 2 - 1) +
                                  g_array_index (v, double, v->len / 2)) / 2;
      }

  /* faster: by decode speed, the figure a person feels over a reply; "no clear difference"
   * when some run of the one was as fast as some run of the other */
  {
    const SmAbFigure *a = &r->figures[0][SM_AB_DECODE_TPS], *b = &r->figures[1][SM_AB_DECODE_TPS];
    if (sm_compare_ranges_overlap (a->min, a->max, b->min, b->max) || a->median <= 0 || b->median <= 0)
      {
        r->faster = -1;
        r->ratio = 1;
      }
    else
      {
        r->faster = b->median > a->median;
        r->ratio = r->faster ? b->median / a->median : a->median / b->median;
      }
  }

  for (int s = 0; s < 2; s++)
    {
      const SmAbRun *first = sm_ab_result_get_run (r, s, 0);
      r->repeatable[s] = TRUE;
      for (int i = 1; first && i < r->n_runs; i++)
        {
          const SmAbRun *o = sm_ab_result_get_run (r, s, i);
          if (sm_ab_first_divergence ((const gint32 *) first->ids->data, first->ids->len,
                                      (const gint32 *) o->ids->data, o->ids->len) >= 0)
            r->repeatable[s] = FALSE;
        }
    }
  r->divergence = -1;
  if (r->compared)
    {
      const SmAbRun *a = sm_ab_result_get_run (r, 0, 0), *b = sm_ab_result_get_run (r, 1, 0);
      r->divergence = sm_ab_first_divergence ((const gint32 *) a->ids->data, a->ids->len,
                                              (const gint32 *) b->ids->data, b->ids->len);
    }
}

/* ---- the report -------------------------------------------------------------------------------- */

static SmSnapshot *
snapshot_copy (const SmSnapshot *snap)
{
  gsize len;
  g_autofree char *json = sm_snapshot_to_json (snap, &len);
  return sm_snapshot_from_json (json, (gssize) len, NULL);
}

/* A reply in a fenced block that its own text cannot close. */
static void
append_fenced (GString *md, const char *text)
{
  GString *fence = g_string_new ("```");

  while (strstr (text, fence->str) != NULL)
    g_string_append_c (fence, '`');
  g_string_append_printf (md, "%s\n%s\n%s\n\n", fence->str, text, fence->str);
  g_string_free (fence, TRUE);
}

static const char *
side_name (int side)
{
  return side ? "B" : "A";
}

char *
sm_ab_result_to_markdown (const SmAbResult *r)
{
  g_autoptr (SmProfile) prev = NULL;
  g_autoptr (SmProfile) curr = NULL;
  g_autoptr (SmComparison) cmp = NULL;
  GString *md;
  g_autofree char *compare = NULL;

  g_return_val_if_fail (r != NULL, NULL);

  prev = sm_profile_from_snapshot (snapshot_copy (r->snap[0]), "A");
  curr = sm_profile_from_snapshot (snapshot_copy (r->snap[1]), "B");
  cmp = sm_compare_profiles (prev, curr);
  compare = sm_comparison_to_markdown (cmp, prev, curr);
  md = g_string_new (compare);

  g_string_append (md, "## ⚖️ A/B Run\n\n");
  g_string_append_printf (md, "One prompt, %d runs of each configuration in alternation (A B A B …), "
                          "each from an empty KV cache with the same sampling. A is the previous "
                          "run above, B the current one.\n\n", r->n_runs);
  g_string_append (md, "| | A | B |\n|---|---|---|\n");
  {
    g_autofree char *a = sm_ab_config_describe (&r->config[0]);
    g_autofree char *b = sm_ab_config_describe (&r->config[1]);
    g_string_append_printf (md, "| Configuration | %s | %s |\n", a, b);
  }
  g_string_append_printf (md, "| Model | %s | %s |\n", r->model_name[0], r->model_name[1]);
  for (int k = 0; k < SM_AB_N_FIGURES; k++)
    {
      g_string_append_printf (md, "| %s (median, min–max) |", sm_ab_figure_name (k));
      for (int s = 0; s < 2; s++)
        {
          const SmAbFigure *f = &r->figures[s][k];
          g_string_append_printf (md, " %.2f (%.2f–%.2f)%s |", f->median, f->min, f->max,
                                  k == SM_AB_DECODE_TPS && r->faster == s ? " **faster**" : "");
        }
      g_string_append_c (md, '\n');
    }
  for (int s = 0; s < 2; s++)
    {
      const SmAbRun *first = sm_ab_result_get_run (r, s, 0);
      if (s == 0)
        g_string_append (md, "| Tokens (prompt, reply) |");
      g_string_append_printf (md, " %d, %d |", first ? first->prompt_tokens : 0,
                              first ? first->generated_tokens : 0);
    }
  g_string_append (md, "\n| Peak memory, pool rented / resident (MB, most over the runs) |");
  for (int s = 0; s < 2; s++)
    {
      guint64 pool = 0, rss = 0;
      for (guint i = 0; i < r->runs->len; i++)
        {
          const SmAbRun *run = g_ptr_array_index (r->runs, i);
          if (run->side == s)
            {
              pool = MAX (pool, run->peak_pool_bytes);
              rss = MAX (rss, run->peak_rss_bytes);
            }
        }
      g_string_append_printf (md, " %.1f / %.1f |", pool / 1048576.0, rss / 1048576.0);
    }
  if (r->load_ms[0] > 0 || r->load_ms[1] > 0)
    g_string_append_printf (md, "\n| Model load (ms, once before the runs) | %.1f | %.1f |", r->load_ms[0], r->load_ms[1]);
  g_string_append (md, "\n| Same reply every run |");
  for (int s = 0; s < 2; s++)
    g_string_append_printf (md, " %s |", r->repeatable[s] ? "yes" : "no");
  g_string_append (md, "\n\n");

  if (r->faster < 0)
    g_string_append (md, "**Faster:** no clear difference (the decode speeds' ranges overlap)\n\n");
  else
    g_string_append_printf (md, "**Faster:** %s, %.2f× the decode speed of %s\n\n",
                            side_name (r->faster), r->ratio, side_name (!r->faster));
  if (!r->compared)
    g_string_append (md, "**First differing token:** not compared (the replies are the same "
                         "only with greedy sampling on one model)\n\n");
  else if (r->divergence < 0)
    g_string_append (md, "**First differing token:** none, the replies are the same\n\n");
  else
    g_string_append_printf (md, "**First differing token:** number %d of the reply (index %d)\n\n",
                            r->divergence + 1, r->divergence);

  g_string_append (md, "### The prompt\n\n");
  append_fenced (md, r->prompt);
  for (int s = 0; s < 2; s++)
    {
      const SmAbRun *first = sm_ab_result_get_run (r, s, 0);
      g_string_append_printf (md, "### Reply %s\n\n", side_name (s));
      append_fenced (md, first ? first->text : "");
    }
  return g_string_free (md, FALSE);
}

gboolean
sm_ab_result_export (const SmAbResult *r, const char *path, GError **error)
{
  g_autofree char *md = NULL;

  g_return_val_if_fail (r != NULL && path != NULL, FALSE);
  md = sm_ab_result_to_markdown (r);
  return sm_engine_write_file (path, md, -1, error);
}

/* ---- the job ---------------------------------------------------------------------------------- */

typedef struct {
  gint              ref_count;
  SmEngine         *engine;         /* borrowed: the task holds a reference */
  char             *prompt;
  SmGenerateParams  params;
  SmAbConfig        config[2];
  int               n_runs;
  SmAbProgressFunc  progress;
  gpointer          progress_data;
  GDestroyNotify    progress_destroy;
  GMainContext     *context;
  gint              closed;         /* atomic: the finish ran, no more progress */
} AbData;

static AbData *
ab_data_ref (AbData *d)
{
  g_atomic_int_inc (&d->ref_count);
  return d;
}

typedef struct {
  gpointer       data;
  GDestroyNotify destroy;
} Release;

static gboolean
release_cb (gpointer data)
{
  Release *r = data;

  r->destroy (r->data);
  return G_SOURCE_REMOVE;
}

static void
ab_data_unref (gpointer p)
{
  AbData *d = p;

  if (!g_atomic_int_dec_and_test (&d->ref_count))
    return;
  /* The last reference may be the engine thread's (the task's, after its callback ran), and
   * the caller's data (a window) must be let go on the caller's context. */
  if (d->progress_destroy)
    {
      Release *r = g_new (Release, 1);
      r->data = d->progress_data;
      r->destroy = d->progress_destroy;
      g_main_context_invoke_full (d->context, G_PRIORITY_DEFAULT, release_cb, r, g_free);
    }
  g_free (d->prompt);
  for (int s = 0; s < 2; s++)
    sm_ab_config_clear (&d->config[s]);
  g_main_context_unref (d->context);
  g_free (d);
}

typedef struct {
  AbData *d;
  int     run, total;
} Progress;

static gboolean
progress_cb (gpointer data)
{
  Progress *p = data;

  if (!g_atomic_int_get (&p->d->closed) && p->d->progress)
    p->d->progress (p->d->engine, p->run, p->total, p->d->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_free (gpointer data)
{
  Progress *p = data;
  ab_data_unref (p->d);
  g_free (p);
}

/* One run's recording, engine thread. */
typedef struct {
  SmProfiler *prof;
  SmSession  *session;
  SmAbRun    *run;
  GString    *text;
  gint64      t_job, t_prefill_end;
} RunState;

static guint64
resident_bytes (void)
{
  FILE *f = fopen ("/proc/self/statm", "r");
  unsigned long size = 0, resident = 0;

  if (f == NULL)
    return 0;
  if (fscanf (f, "%lu %lu", &size, &resident) != 2)
    resident = 0;
  fclose (f);
  return (guint64) resident * (guint64) sysconf (_SC_PAGESIZE);
}

static void
note_memory (RunState *st)
{
  SmPoolStats ps;
  guint64 rss = resident_bytes ();

  sm_pool_get_stats (sm_pool_default (), &ps);
  st->run->peak_pool_bytes = MAX (st->run->peak_pool_bytes, ps.live_bytes);
  st->run->peak_rss_bytes = MAX (st->run->peak_rss_bytes, rss);
}

static void
run_on_text (const char *text, gsize len, gpointer user)
{
  RunState *st = user;

  /* as the engine's stream does: a NUL a byte-level model may sample is shown as U+FFFD */
  for (const char *nul; len > 0 && (nul = memchr (text, '\0', len)) != NULL; )
    {
      g_string_append_len (st->text, text, nul - text);
      g_string_append (st->text, "\xef\xbf\xbd");
      len -= (gsize) (nul - text) + 1;
      text = nul + 1;
    }
  g_string_append_len (st->text, text, len);
}

static void
run_on_token (gint32 id, gpointer user)
{
  RunState *st = user;
  gsize offset = st->text->len;   /* the text so far is that of the tokens before this one */

  g_array_append_val (st->run->ids, id);
  g_array_append_val (st->run->offsets, offset);
}

static gboolean
run_before_token (gpointer user)
{
  RunState *st = user;

  if (st->t_prefill_end == 0)
    {
      st->t_prefill_end = sm_profiler_now_ns ();
      note_memory (st);
    }
  sm_profiler_token_begin (st->prof, SM_TOKEN_DECODE, sm_session_get_pos (st->session));
  return TRUE;
}

static void
run_on_progress (const SmGenerateStats *stats, gpointer user)
{
  RunState *st = user;

  (void) stats;
  sm_profiler_token_end (st->prof, 1);
  note_memory (st);
}

static gboolean
apply_config (const SmAbConfig *c, GError **error)
{
  sm_pool_set_enabled (sm_pool_default (), c->pool_enabled);
  sm_threads_set_count (CLAMP (c->threads, 1, SM_MAX_THREADS));
  return sm_kernels_set_level (c->kernel_level, error);
}

/* One run of @side; FALSE with the error (G_IO_ERROR_CANCELLED for a cancel). */
static gboolean
run_once (AbData *d, int side, SmModel *model, SmProfiler *prof, GCancellable *cancellable,
          SmAbResult *result, GError **error)
{
  RunState st = { 0 };
  SmGenerateCallbacks cb = { .text = run_on_text, .before_token = run_before_token,
                             .progress = run_on_progress, .token = run_on_token, .user = &st };
  SmGenerateStats stats;
  gint64 t0;
  gboolean ok;

  if (!apply_config (&d->config[side], error))
    return FALSE;
  st.session = sm_session_new_full (model, sm_pool_default (), 0, d->config[side].kv_type, error);
  if (st.session == NULL)
    return FALSE;
  sm_session_set_profiler (st.session, prof);
  st.prof = prof;
  st.text = g_string_new (NULL);
  st.run = g_new0 (SmAbRun, 1);
  st.run->side = side;
  st.run->ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  st.run->offsets = g_array_new (FALSE, FALSE, sizeof (gsize));

  t0 = g_get_monotonic_time ();
  st.t_job = sm_profiler_now_ns ();
  ok = sm_generate (st.session, d->prompt, &d->params, &cb, cancellable, &stats, error);
  sm_profiler_token_cancel (prof);
  if (st.t_prefill_end != 0)
    {
      sm_profiler_token_add (prof, SM_TOKEN_PREFILL, stats.prompt_tokens - stats.cached_tokens,
                             stats.cached_tokens, st.t_job, st.t_prefill_end);
      sm_profiler_set_ttft (prof, stats.ttft_us * 1000);
    }
  sm_profiler_flush (prof);
  g_clear_pointer (&st.session, sm_session_free);

  st.run->wall_ms = (g_get_monotonic_time () - t0) / 1e3;
  st.run->prompt_tokens = stats.prompt_tokens;
  st.run->generated_tokens = stats.generated_tokens;
  st.run->prefill_tps = sm_generate_stats_prefill_tps (&stats);
  st.run->decode_tps = sm_generate_stats_decode_tps (&stats);
  st.run->ttft_ms = stats.ttft_us / 1e3;
  st.run->stop_reason = stats.stop_reason;
  st.run->text = g_string_free (st.text, FALSE);
  if (ok && stats.stop_reason == SM_STOP_CANCELLED)
    {
      ok = FALSE;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The A/B run was cancelled"));
    }
  if (!ok)
    {
      ab_run_free (st.run);
      return FALSE;
    }
  g_ptr_array_add (result->runs, st.run);
  return TRUE;
}

static SmSnapshot *
side_snapshot (const AbData *d, int side, SmProfiler *prof, SmModel *model, const SmAbResult *r)
{
  const SmAbConfig *c = &d->config[side];
  g_autofree char *label = g_strdup_printf ("ab-run %s", side_name (side));
  SmSnapshot *snap = sm_snapshot_new (label);
  static const char *const names[SM_AB_N_FIGURES] = { "decode_tok_s", "prefill_tok_s", "ttft_ms", "wall_ms" };
  static const char *const units[SM_AB_N_FIGURES] = { "tok/s", "tok/s", "ms", "ms" };

  sm_snapshot_capture (snap, prof);
  snap->pool_enabled = c->pool_enabled;
  g_free (snap->kernel_level);
  snap->kernel_level = g_strdup (sm_engine_kernel_level_name (c->kernel_level));
  snap->threads = c->threads;
  snap->profiling = TRUE;
  snap->kv_cache = g_strdup (sm_engine_kv_type_name (c->kv_type));
  snap->kv_cache_bytes = sm_kv_type_cache_bytes (sm_model_get_config (model),
                                                 sm_model_get_config (model)->context_length,
                                                 c->kv_type);
  sm_snapshot_add_model (snap, model);
  for (int k = 0; k < SM_AB_N_FIGURES; k++)
    {
      SmMeasurement *m = sm_snapshot_measurement (snap, names[k], units[k]);
      for (guint i = 0; i < r->runs->len; i++)
        {
          const SmAbRun *run = g_ptr_array_index (r->runs, i);
          if (run->side == side)
            sm_measurement_add (m, run_figure (run, k));
        }
    }
  return snap;
}

static void
job_ab_run (SmEngine *self, GTask *task)
{
  AbData *d = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr (SmAbResult) result = g_new0 (SmAbResult, 1);
  SmModel *models[2] = { NULL, NULL };
  SmProfiler *profs[2] = { NULL, NULL };
  gboolean saved_pool = sm_pool_get_enabled (sm_pool_default ());
  SmKernelLevel saved_level = sm_kernels_get_level ();
  int saved_threads = sm_threads_get_count ();
  GError *error = NULL;
  gboolean ok = TRUE;

  result->prompt = g_strdup (d->prompt);
  result->n_runs = d->n_runs;
  result->runs = g_ptr_array_new_with_free_func (ab_run_free);

  /* A model a side names is loaded once and kept for the whole run: reloading it at each of
   * its turns would time the page cache as much as the engine, and a small model costs
   * little to keep (load_ms says what it took).  A side that names the loaded model's file
   * shares that model. */
  for (int s = 0; s < 2 && ok; s++)
    {
      const char *path = d->config[s].model_path;
      sm_ab_config_copy (&result->config[s], &d->config[s]);
      if (s == 1 && g_strcmp0 (path, d->config[0].model_path) == 0 && models[0] != NULL)
        models[1] = sm_model_ref (models[0]);
      else if (path == NULL)
        {
          SmModel *m = sm_engine_thread_get_model (self);
          if (m == NULL)
            {
              g_set_error_literal (&error, SM_ENGINE_ERROR, SM_ENGINE_ERROR_NO_MODEL,
                                   _("No model is loaded"));
              ok = FALSE;
            }
          else
            models[s] = sm_model_ref (m);
        }
      else
        {
          gint64 t0 = g_get_monotonic_time ();
          models[s] = sm_model_load (path, NULL, &error);
          ok = models[s] != NULL;
          result->load_ms[s] = (g_get_monotonic_time () - t0) / 1e3;
        }
      if (ok)
        result->model_name[s] = g_strdup (sm_model_get_name (models[s]));
    }
  result->compared = ok && d->params.sampling.temperature == 0 &&
                     g_strcmp0 (d->config[0].model_path, d->config[1].model_path) == 0;

  for (int s = 0; s < 2; s++)
    {
      profs[s] = sm_profiler_new ();
      sm_profiler_set_enabled (profs[s], TRUE);
    }
  for (int i = 0; ok && i < 2 * d->n_runs; i++)
    {
      int side = i % 2;
      Progress *p = g_new0 (Progress, 1);

      p->d = ab_data_ref (d);
      p->run = i + 1;
      p->total = 2 * d->n_runs;
      g_main_context_invoke_full (d->context, G_PRIORITY_DEFAULT, progress_cb, p, progress_free);
      if (g_cancellable_set_error_if_cancelled (cancellable, &error))
        ok = FALSE;
      else
        ok = run_once (d, side, models[side], profs[side], cancellable, result, &error);
    }

  /* what was in force before, whatever happened */
  sm_pool_set_enabled (sm_pool_default (), saved_pool);
  sm_threads_set_count (saved_threads);
  if (!sm_kernels_set_level (saved_level, NULL))
    g_warning ("could not restore the %s kernels", sm_kernel_level_to_string (saved_level));

  if (ok)
    {
      summarize (result);
      for (int s = 0; s < 2; s++)
        result->snap[s] = side_snapshot (d, s, profs[s], models[s], result);
    }
  for (int s = 0; s < 2; s++)
    {
      g_clear_pointer (&models[s], sm_model_unref);
      sm_profiler_free (profs[s]);
    }
  sm_profiler_add_marker (sm_engine_get_profiler (self), "A/B run %s", ok ? "done" : "stopped");
  if (ok)
    g_task_return_pointer (task, g_steal_pointer (&result), (GDestroyNotify) sm_ab_result_free);
  else
    g_task_return_error (task, error);
}

void
sm_engine_ab_run_async (SmEngine               *self,
                        const char             *prompt,
                        const SmGenerateParams *params,
                        const SmAbConfig       *a,
                        const SmAbConfig       *b,
                        int                     n_runs,
                        SmAbProgressFunc        progress,
                        gpointer                progress_data,
                        GDestroyNotify          progress_destroy,
                        GCancellable           *cancellable,
                        GAsyncReadyCallback     callback,
                        gpointer                user_data)
{
  GTask *task;
  AbData *d;
  const SmAbConfig *configs[2] = { a, b };

  g_return_if_fail (SM_IS_ENGINE (self));
  g_return_if_fail (prompt != NULL && params != NULL && a != NULL && b != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sm_engine_ab_run_async);
  d = g_new0 (AbData, 1);
  d->ref_count = 1;
  d->engine = self;
  d->prompt = g_strdup (prompt);
  d->params = *params;
  d->params.stop = NULL;
  d->params.context_shift = FALSE;
  d->n_runs = CLAMP (n_runs, 1, SM_AB_MAX_RUNS);
  d->progress = progress;
  d->progress_data = progress_data;
  d->progress_destroy = progress_destroy;
  d->context = g_main_context_ref_thread_default ();
  g_task_set_task_data (task, d, ab_data_unref);

  for (int s = 0; s < 2; s++)
    {
      const char *why_not = NULL;
      sm_ab_config_copy (&d->config[s], configs[s]);
      if ((int) configs[s]->kernel_level < 0 || configs[s]->kernel_level >= SM_KERNEL_N_LEVELS ||
          !sm_kernels_level_supported (configs[s]->kernel_level, &why_not))
        {
          g_task_return_new_error (task, SM_KERNELS_ERROR, SM_KERNELS_ERROR_UNSUPPORTED,
                                   "Cannot use the %s kernels: %s",
                                   sm_kernel_level_to_string (configs[s]->kernel_level),
                                   why_not ? why_not : "unknown level");
          g_object_unref (task);
          return;
        }
    }
  sm_engine_push_job (self, task, job_ab_run);
}

SmAbResult *
sm_engine_ab_run_finish (SmEngine *self, GAsyncResult *result, GError **error)
{
  AbData *d;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  d = g_task_get_task_data (G_TASK (result));
  g_atomic_int_set (&d->closed, TRUE);
  return g_task_propagate_pointer (G_TASK (result), error);
}
