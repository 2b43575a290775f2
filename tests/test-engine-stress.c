/* test-engine-stress.c: SmEngine driven at random through its public async calls, as a person
 * clicking about the window would: replies cancelled at a random token, settings flipped while
 * tokens stream, models switched (sometimes queued behind a reply), snapshots exported (some
 * while a reply runs).  Cycles run until 1000 or a time budget (25 s; `--soak` or
 * SM_STRESS_SECONDS for longer); SM_STRESS_SEED replays a run's cycles, whose seed is printed
 * (the settings flipped per text delivery draw from a second generator: how text coalesces
 * into deliveries depends on timing, and must not shift the cycles' choices).
 *
 * SM_STRESS_CSV=FILE writes the process's memory every SM_STRESS_SAMPLE seconds (default 10)
 * while it runs: the soak's curve (tools/soak draws it).  It is sampled between cycles, where
 * the engine is idle, so the pool's figures are comparable from row to row.
 *
 * After every reply, the engine's three counts of it must agree: the figures the finish hands
 * back, the stats read-out, and the profiler's token totals (when profiling was on all
 * through it).  The text callback gets coalesced UTF-8, not tokens, so on that side the test
 * holds what can be known: no more deliveries than tokens, text only when a token came, no
 * empty delivery (a NUL cut one short), none after the finish, and the live count it reads
 * never ahead of the final one (nor the last reply's).  When idle, the pool's buffers out are
 * what the loaded model holds, and none once the engine is gone.  A cycle that takes more
 * than CYCLE_LIMIT_S fails the run (a deadlock, or a finish that never came). */
#include <errno.h>
#include <malloc.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sm-engine.h"

#define DEFAULT_SECONDS 25.0
#define SOAK_SECONDS    600.0
#define MAX_CYCLES      1000
#define CYCLE_LIMIT_S   10

typedef enum {
  CYCLE_CANCEL,    /* a reply cancelled at a random token */
  CYCLE_TOGGLE,    /* settings flipped while it streams */
  CYCLE_SWITCH,    /* another model */
  CYCLE_EXPORT,    /* a snapshot to a file */
  N_CYCLE_KINDS
} CycleKind;

static const char *const cycle_names[] = { "cancel", "toggle", "switch", "export" };

typedef enum {
  MODEL_PRESET_SMALL,
  MODEL_PRESET_MEDIUM,
  MODEL_BUILTIN_SMALL,    /* the shipped checkpoint, a mapped file (or the preset without one) */
  MODEL_BUILTIN_MEDIUM,
  MODEL_STORIES,          /* ../shared/models/stories260K.gguf, when present */
  N_MODELS
} ModelKind;

typedef struct {
  SmEngine     *engine;
  GRand        *rand;            /* the cycles' choices: the same for a seed */
  GRand        *stream_rand;     /* choices made per delivery, whose count depends on timing */
  guint32       seed;
  char         *stories;           /* NULL when absent */
  char         *tmp_dir;
  SmKernelLevel levels[SM_KERNEL_N_LEVELS];
  int           n_levels;
  int           max_threads;
  gboolean      profiling;         /* as last asked */
  int           in_flight;         /* async calls whose finish has not run */
  /* the watchdog's view */
  guint         cycle;
  CycleKind     kind;
  /* buffers the loaded model and its session hold while idle (see check_idle_pool) */
  guint64       base_out;
  guint64       base_live;
  /* counts for the summary */
  guint         n_cycles, n_gens, n_cancels, n_toggles, n_switches, n_exports;
  guint         n_prof_checked;  /* replies whose profiler counts were held to the others */
  guint64       n_tokens;
  /* the memory curve (SM_STRESS_CSV) */
  FILE         *csv;
  double        sample_every;
  double        next_sample;
} Stress;

typedef struct {
  Stress          *s;
  gboolean         done;
  gboolean         ok;
  GError          *error;
  SmGenerateStats  stats;
  GCancellable    *cancel;
  int              cancel_at;      /* the engine's live token count to cancel at; 0: never */
  gboolean         toggle;         /* flip settings from the text callback */
  gboolean         prof_touched;   /* profiling was asked to change during the reply */
  int              chunks;
  GString         *text;
  int              live_max;       /* the largest live generated_tokens read while streaming */
} Gen;

/* ---- plumbing ------------------------------------------------------------------------------ */

static gboolean
watchdog_cb (gpointer data)
{
  Stress *s = data;

  g_error ("engine-stress: cycle %u (%s) has run for more than %d s: a deadlock or a finish "
           "that never came; replay with SM_STRESS_SEED=%u", s->cycle, cycle_names[s->kind],
           CYCLE_LIMIT_S, s->seed);
  return G_SOURCE_REMOVE;
}

static void
wait_idle (Stress *s)
{
  while (s->in_flight > 0)
    g_main_context_iteration (NULL, TRUE);
}

static int
pick (Stress *s, int n)
{
  return (int) g_rand_int_range (s->rand, 0, n);
}

/* One setting flipped, drawing from @rand. */
static void
toggle_one (Stress *s, Gen *g, GRand *rand)
{
  switch (g_rand_int_range (rand, 0, 4))
    {
    case 0:
      sm_engine_set_pool_enabled (s->engine, g_rand_boolean (rand));
      break;
    case 1:
      {
        g_autoptr (GError) error = NULL;
        SmKernelLevel level = s->levels[g_rand_int_range (rand, 0, s->n_levels)];
        g_assert_true (sm_engine_set_kernel_level (s->engine, level, &error));
        g_assert_no_error (error);
      }
      break;
    case 2:
      sm_engine_set_threads (s->engine, g_rand_int_range (rand, 1, MIN (2, s->max_threads) + 1));
      break;
    default:
      s->profiling = g_rand_boolean (rand);
      sm_engine_set_profiling (s->engine, s->profiling);
      if (g)
        g->prof_touched = TRUE;
      break;
    }
  s->n_toggles++;
}

/* ---- generation ---------------------------------------------------------------------------- */

static void
on_text (SmEngine *engine, const char *text, gpointer data)
{
  Gen *g = data;
  SmEngineStats st;

  g_assert_false (g->done);                 /* never after the finish */
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpuint (strlen (text), >, 0);
  g_string_append (g->text, text);
  g->chunks++;

  sm_engine_get_stats (engine, &st);
  if (st.generating)
    {
      g->live_max = MAX (g->live_max, st.gen.generated_tokens);
      if (g->cancel_at > 0 && st.gen.generated_tokens >= g->cancel_at)
        g_cancellable_cancel (g->cancel);
    }
  sm_engine_stats_clear (&st);

  if (g->toggle && g_rand_int_range (g->s->stream_rand, 0, 3) == 0)
    toggle_one (g->s, g, g->s->stream_rand);
}

static void
on_generated (GObject *source, GAsyncResult *result, gpointer data)
{
  Gen *g = data;

  g->ok = sm_engine_generate_finish (SM_ENGINE (source), result, &g->stats, &g->error);
  g->done = TRUE;
  g->s->in_flight--;
}

static const char *const prompts[] = { "Once upon a time", "The ", "x", "abc", "Tim and Lily" };

static Gen *
gen_start (Stress *s, int max_tokens, gboolean endless)
{
  Gen *g = g_new0 (Gen, 1);
  SmGenerateParams params;

  g->s = s;
  g->text = g_string_new (NULL);
  g->cancel = g_cancellable_new ();
  sm_generate_params_init (&params);
  params.max_tokens = max_tokens;
  /* an endless reply ends only when cancelled (or at an end token) */
  params.context_shift = endless || g_rand_boolean (s->rand);
  if (g_rand_boolean (s->rand))
    {
      params.sampling.temperature = 0.8f;
      params.sampling.seed = g_rand_int (s->rand);
    }
  s->in_flight++;
  sm_engine_generate_async (s->engine, prompts[pick (s, G_N_ELEMENTS (prompts))], &params,
                            on_text, g, NULL, g->cancel, on_generated, g);
  return g;
}

static void
gen_free (Gen *g)
{
  g_clear_error (&g->error);
  g_clear_object (&g->cancel);
  g_string_free (g->text, TRUE);
  g_free (g);
}

/* The reply's counts agree.  @before: the profiler's counters read while idle just before it
 * started; @alone: nothing else ran on the engine since, so the stats read-out is still this
 * reply's (a load clears it). */
static void
gen_check (Stress *s, Gen *g, const SmProfilerCounters *before, gboolean prof_on, gboolean alone)
{
  const SmGenerateStats *gs = &g->stats;
  SmEngineStats st;

  g_assert_no_error (g->error);
  g_assert_true (g->ok);
  g_assert_cmpint (gs->generated_tokens, >=, 0);
  /* what the stream saw */
  g_assert_cmpint (g->chunks, <=, gs->generated_tokens);
  if (g->text->len > 0)
    g_assert_cmpint (gs->generated_tokens, >=, 1);
  g_assert_cmpint (g->live_max, <=, gs->generated_tokens);
  if (g->cancel_at > 0 && gs->stop_reason == SM_STOP_CANCELLED)
    g_assert_cmpint (gs->generated_tokens, >=, g->cancel_at);
  if (gs->stop_reason == SM_STOP_CANCELLED)
    s->n_cancels++;

  sm_engine_get_stats (s->engine, &st);
  if (alone)
    {
      g_assert_false (st.generating);
      g_assert_cmpint (st.gen.generated_tokens, ==, gs->generated_tokens);
      g_assert_cmpint (st.gen.prompt_tokens, ==, gs->prompt_tokens);
      g_assert_cmpint (st.gen.cached_tokens, ==, gs->cached_tokens);
      g_assert_cmpint (st.gen.stop_reason, ==, gs->stop_reason);
    }
  if (prof_on)
    {
      /* The profiler records a decode token from the sample to its evaluation; the token
       * that ends a reply by its limit, a stop string or a full context is sampled and shown
       * but never evaluated, so it is not one of them.  An end token is not counted at all,
       * and a cancel comes between tokens. */
      gboolean last_unevaluated = gs->generated_tokens > 0
                                  && (gs->stop_reason == SM_STOP_MAX_TOKENS
                                      || gs->stop_reason == SM_STOP_STOP_STRING
                                      || gs->stop_reason == SM_STOP_CONTEXT_FULL);
      g_assert_cmpuint (st.counters.decode_tokens - before->decode_tokens, ==,
                        (guint64) gs->generated_tokens - (last_unevaluated ? 1 : 0));
      g_assert_cmpuint (st.counters.prefill_tokens - before->prefill_tokens, ==,
                        (guint64) (gs->prompt_tokens - gs->cached_tokens));
      s->n_prof_checked++;
    }
  sm_engine_stats_clear (&st);
  s->n_gens++;
  s->n_tokens += (guint64) gs->generated_tokens;
}

static void
read_counters (Stress *s, SmProfilerCounters *c)
{
  SmEngineStats st;

  sm_engine_get_stats (s->engine, &st);
  *c = st.counters;
  sm_engine_stats_clear (&st);
}

/* A reply, cancelled at a random token or flipping settings while it streams. */
static void
cycle_generate (Stress *s, gboolean toggle)
{
  SmProfilerCounters before;
  gboolean prof_on = s->profiling;
  Gen *g;

  read_counters (s, &before);
  if (toggle)
    {
      g = gen_start (s, 1 + pick (s, 80), FALSE);
      g->toggle = TRUE;
      /* one lands at the reply's first token whatever the stream does */
      toggle_one (s, g, s->rand);
    }
  else
    {
      g = gen_start (s, 0, TRUE);
      g->cancel_at = 1 + pick (s, 48);
    }
  wait_idle (s);
  gen_check (s, g, &before, prof_on && !g->prof_touched, TRUE);
  gen_free (g);
}

/* ---- models -------------------------------------------------------------------------------- */

typedef struct {
  Stress   *s;
  ModelKind kind;
  gboolean  done;
} Load;

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Load *l = data;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  switch (l->kind)
    {
    case MODEL_PRESET_SMALL:
    case MODEL_PRESET_MEDIUM:
      ok = sm_engine_load_preset_finish (SM_ENGINE (source), result, &error);
      break;
    case MODEL_BUILTIN_SMALL:
    case MODEL_BUILTIN_MEDIUM:
      ok = sm_engine_load_builtin_finish (SM_ENGINE (source), result, &error);
      break;
    default:
      ok = sm_engine_load_finish (SM_ENGINE (source), result, &error);
      break;
    }
  g_assert_no_error (error);
  g_assert_true (ok);
  l->done = TRUE;
  l->s->in_flight--;
}

static void
load_start (Stress *s, ModelKind kind, Load *l)
{
  l->s = s;
  l->kind = kind;
  l->done = FALSE;
  s->in_flight++;
  switch (kind)
    {
    case MODEL_PRESET_SMALL:
    case MODEL_PRESET_MEDIUM:
      sm_engine_load_preset_async (s->engine, kind == MODEL_PRESET_SMALL ? SM_PRESET_SMALL
                                                                         : SM_PRESET_MEDIUM,
                                   g_rand_int (s->rand), NULL, on_loaded, l);
      break;
    case MODEL_BUILTIN_SMALL:
    case MODEL_BUILTIN_MEDIUM:
      sm_engine_load_builtin_async (s->engine, kind == MODEL_BUILTIN_SMALL ? SM_PRESET_SMALL
                                                                           : SM_PRESET_MEDIUM,
                                    NULL, on_loaded, l);
      break;
    default:
      sm_engine_load_async (s->engine, s->stories, NULL, NULL, on_loaded, l);
      break;
    }
}

/* The loaded model's weights (a preset's are rented from the pool), its session's KV cache,
 * logits and packed weights stay out while the engine is idle, and nothing else does: the
 * figures right after a load are what every later idle moment must show, until the next
 * load. */
static void
take_pool_base (Stress *s)
{
  SmEngineStats st;

  sm_engine_get_stats (s->engine, &st);
  s->base_out = st.pool.rents - st.pool.returns;
  s->base_live = st.pool.live_bytes;
  sm_engine_stats_clear (&st);
}

static void
check_idle_pool (Stress *s)
{
  SmEngineStats st;

  sm_engine_get_stats (s->engine, &st);
  g_assert_false (st.generating);
  g_assert_cmpuint (st.pool.rents, >=, st.pool.returns);
  if (st.pool.rents - st.pool.returns != s->base_out || st.pool.live_bytes != s->base_live)
    g_error ("engine-stress: cycle %u (%s): idle, the pool has %" G_GUINT64_FORMAT
             " buffers (%" G_GUINT64_FORMAT " bytes) out where the model holds %"
             G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " bytes); replay with SM_STRESS_SEED=%u",
             s->cycle, cycle_names[s->kind], st.pool.rents - st.pool.returns,
             st.pool.live_bytes, s->base_out, s->base_live, s->seed);
  sm_engine_stats_clear (&st);
}

static ModelKind
pick_model (Stress *s)
{
  return (ModelKind) pick (s, s->stories ? N_MODELS : N_MODELS - 1);
}

/* Another model, now or queued behind a reply that streams meanwhile. */
static void
cycle_switch (Stress *s)
{
  Load l;

  if (g_rand_boolean (s->rand))
    {
      SmProfilerCounters before;
      gboolean prof_on = s->profiling;
      Gen *g;

      read_counters (s, &before);
      g = gen_start (s, 1 + pick (s, 40), FALSE);
      load_start (s, pick_model (s), &l);
      wait_idle (s);
      gen_check (s, g, &before, prof_on, FALSE);
      gen_free (g);
    }
  else
    {
      load_start (s, pick_model (s), &l);
      wait_idle (s);
    }
  g_assert_true (l.done);
  take_pool_base (s);
  s->n_switches++;
}

/* ---- exports ------------------------------------------------------------------------------- */

typedef struct {
  Stress   *s;
  gboolean  done;
} Export;

static void
on_exported (GObject *source, GAsyncResult *result, gpointer data)
{
  Export *e = data;
  g_autoptr (GError) error = NULL;

  g_assert_true (sm_engine_export_snapshot_finish (SM_ENGINE (source), result, &error));
  g_assert_no_error (error);
  e->done = TRUE;
  e->s->in_flight--;
}

/* A snapshot in a random range and format, on its own or while a reply streams. */
static void
cycle_export (Stress *s)
{
  static const char *const formats[] = { "json", "markdown", "csv", "trace" };
  const char *format = formats[pick (s, G_N_ELEMENTS (formats))];
  g_autofree char *name = g_strdup_printf ("snapshot-%u.%s", s->cycle, format);
  g_autofree char *path = g_build_filename (s->tmp_dir, name, NULL);
  g_autofree char *contents = NULL;
  SmProfilerCounters before;
  gboolean prof_on = s->profiling;
  Export e = { s, FALSE };
  Gen *g = NULL;
  gsize len = 0;

  read_counters (s, &before);
  if (g_rand_boolean (s->rand))
    g = gen_start (s, 1 + pick (s, 40), FALSE);
  s->in_flight++;
  sm_engine_export_snapshot_async (s->engine, (SmSnapshotRange) pick (s, SM_N_SNAPSHOT_RANGES),
                                   format, path, "stress", NULL, on_exported, &e);
  wait_idle (s);
  g_assert_true (e.done);
  if (g)
    {
      gen_check (s, g, &before, prof_on, TRUE);
      gen_free (g);
    }
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 0);
  g_assert_cmpint (g_unlink (path), ==, 0);
  s->n_exports++;
}

/* ---- the memory curve ---------------------------------------------------------------------- */

/* A "Name:   1234 kB" line of /proc/self/status, in KiB (-1: not there, e.g. not Linux). */
static gint64
status_kib (const char *status, const char *name)
{
  const char *line = strstr (status, name);

  return line ? g_ascii_strtoll (line + strlen (name), NULL, 10) : -1;
}

static void
csv_open (Stress *s)
{
  const char *path = g_getenv ("SM_STRESS_CSV");
  const char *every = g_getenv ("SM_STRESS_SAMPLE");

  if (path == NULL || *path == '\0')
    return;
  s->csv = fopen (path, "w");
  if (s->csv == NULL)
    g_error ("engine-stress: cannot write %s: %s", path, g_strerror (errno));
  s->sample_every = every && *every ? MAX (g_ascii_strtod (every, NULL), 0.1) : 10.0;
  fprintf (s->csv, "seconds,cycles,generations,tokens,switches,rss_kib,rss_anon_kib,"
                   "rss_file_kib,pool_live_bytes,pool_cached_bytes,pool_system_bytes,"
                   "heap_used_kib,heap_free_kib\n");
}

static void
csv_sample (Stress *s, double seconds)
{
  g_autofree char *status = NULL;
  struct mallinfo2 heap = { 0 };
  SmEngineStats st;

  if (s->csv == NULL || seconds < s->next_sample)
    return;
  s->next_sample = seconds + s->sample_every;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    status = g_strdup ("");
  sm_engine_get_stats (s->engine, &st);
#ifdef __GLIBC__
  /* malloc's own count: what is in use against what it holds free (fragmentation) */
  heap = mallinfo2 ();
#endif
  fprintf (s->csv, "%.1f,%u,%u,%" G_GUINT64_FORMAT ",%u,%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
                   ",%" G_GINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%"
                   G_GUINT64_FORMAT ",%zu,%zu\n",
           seconds, s->n_cycles, s->n_gens, s->n_tokens, s->n_switches,
           status_kib (status, "VmRSS:"), status_kib (status, "RssAnon:"),
           status_kib (status, "RssFile:"), st.pool.live_bytes, st.pool.cached_bytes,
           st.pool.system_bytes, (heap.uordblks + heap.hblkhd) / 1024, heap.fordblks / 1024);
  fflush (s->csv);
  sm_engine_stats_clear (&st);
}

/* ---- the run ------------------------------------------------------------------------------- */

/* SM_STRESS_SECONDS, else --soak's (main () sets SM_STRESS_SOAK), else the suite's. */
static void
on_engine_gone (gpointer data, GObject *where_the_object_was)
{
  g_atomic_int_set ((gint *) data, 1);
}

static double
budget_seconds (void)
{
  const char *env = g_getenv ("SM_STRESS_SECONDS");

  if (env && *env)
    return g_ascii_strtod (env, NULL);
  return g_strcmp0 (g_getenv ("SM_STRESS_SOAK"), "1") == 0 ? SOAK_SECONDS : DEFAULT_SECONDS;
}

static void
test_stress (void)
{
  Stress s = { 0 };
  const char *seed_env = g_getenv ("SM_STRESS_SEED");
  const char *shared = g_getenv ("SM_SHARED_MODELS");
  g_autofree char *stories = g_build_filename (shared ? shared : "../shared/models",
                                               "stories260K.gguf", NULL);
  double budget = budget_seconds ();
  gboolean soak = budget > DEFAULT_SECONDS;
  gint64 t0 = g_get_monotonic_time ();
  double seconds;
  gint gone = 0;
  Load first;

  s.seed = seed_env && *seed_env ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : g_random_int ();
  g_test_message ("seed %u (replay with SM_STRESS_SEED=%u), budget %.0f s", s.seed, s.seed, budget);
  s.rand = g_rand_new_with_seed (s.seed);
  s.stream_rand = g_rand_new_with_seed (s.seed ^ 0x9e3779b9u);
  if (g_file_test (stories, G_FILE_TEST_IS_REGULAR))
    s.stories = g_steal_pointer (&stories);
  else
    g_test_message ("%s not found: switching between the built-in models only", stories);
  s.tmp_dir = g_dir_make_tmp ("sm-engine-stress-XXXXXX", NULL);
  g_assert_nonnull (s.tmp_dir);
  for (int l = 0; l < SM_KERNEL_N_LEVELS; l++)
    if (sm_engine_kernel_level_supported ((SmKernelLevel) l, NULL))
      s.levels[s.n_levels++] = (SmKernelLevel) l;
  g_assert_cmpint (s.n_levels, >=, 2);     /* auto and scalar at least */
  s.max_threads = sm_engine_get_max_threads ();
  s.profiling = TRUE;

  s.engine = sm_engine_new ();
  /* the trace export has intervals to write */
  sm_engine_set_trace_capacity (s.engine, 4096);
  load_start (&s, MODEL_PRESET_SMALL, &first);
  wait_idle (&s);
  take_pool_base (&s);
  csv_open (&s);

  for (s.cycle = 0; soak || s.cycle < MAX_CYCLES; s.cycle++)
    {
      guint watchdog;

      if ((g_get_monotonic_time () - t0) / 1e6 >= budget)
        break;
      s.kind = (CycleKind) pick (&s, N_CYCLE_KINDS);
      watchdog = g_timeout_add_seconds (CYCLE_LIMIT_S, watchdog_cb, &s);
      switch (s.kind)
        {
        case CYCLE_CANCEL: cycle_generate (&s, FALSE); break;
        case CYCLE_TOGGLE: cycle_generate (&s, TRUE); break;
        case CYCLE_SWITCH: cycle_switch (&s); break;
        default:           cycle_export (&s); break;
        }
      g_source_remove (watchdog);
      check_idle_pool (&s);
      s.n_cycles++;
      csv_sample (&s, (g_get_monotonic_time () - t0) / 1e6);
    }
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (s.csv)
    {
      s.next_sample = 0;
      csv_sample (&s, seconds);
      fclose (s.csv);
    }

  g_test_message ("%u cycles in %.1f s: %u generations (%" G_GUINT64_FORMAT " tokens), "
                  "%u cancelled, %u toggles, %u model switches, %u exports; %u replies held "
                  "to the profiler's counts; seed %u",
                  s.n_cycles, seconds, s.n_gens, s.n_tokens, s.n_cancels, s.n_toggles,
                  s.n_switches, s.n_exports, s.n_prof_checked, s.seed);
  g_assert_cmpuint (s.n_cycles, >, 0);

  /* The engine gone, everything it rented is back.  Its last reference may be a task's that
   * the engine thread drops (then it disposes and finalizes itself there), and a weak
   * reference hears of the dispose, before the finalize lets the readers' model go: so the
   * pool is read until it balances, for as long as a cycle may take. */
  g_object_weak_ref (G_OBJECT (s.engine), on_engine_gone, &gone);
  g_clear_object (&s.engine);
  for (int i = 0;; i++)
    {
      SmPoolStats ps;

      g_main_context_iteration (NULL, FALSE);
      sm_pool_get_stats (sm_pool_default (), &ps);
      if (g_atomic_int_get (&gone) && ps.rents == ps.returns && ps.live_bytes == 0)
        break;
      if (i >= CYCLE_LIMIT_S * 1000)
        {
          g_assert_true (g_atomic_int_get (&gone));
          g_assert_cmpuint (ps.rents, ==, ps.returns);
          g_assert_cmpuint (ps.live_bytes, ==, 0);
        }
      g_usleep (1000);
    }
  g_assert_cmpint (g_rmdir (s.tmp_dir), ==, 0);
  g_free (s.tmp_dir);
  g_free (s.stories);
  g_rand_free (s.rand);
  g_rand_free (s.stream_rand);
}


int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* g_test_init leaves arguments it does not know */
  for (int i = 1; i < argc; i++)
    if (g_strcmp0 (argv[i], "--soak") == 0)
      g_setenv ("SM_STRESS_SOAK", "1", TRUE);
  g_test_add_func ("/EngineStress/random-cycles", test_stress);
  return g_test_run ();
}
