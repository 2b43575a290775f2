/* test-ab-run.c: SmEngine's A/B run on a real main loop: the order A B A B, N runs a side,
 * identical configurations give identical greedy replies, an f32 against an f16 KV cache on a
 * random-weight model parts where the two replies computed apart from the run part, the
 * engine's settings come back after a run and after a cancel, a second model is loaded for
 * its side, and the export is a comparison report. */
#include <glib/gstdio.h>
#include <string.h>

#include "sm-engine.h"
#include "sm-test-util.h"
#include "sm-threads.h"

typedef struct {
  GMainLoop  *loop;
  gboolean    ok;
  GError     *error;
  SmAbResult *result;
  GArray     *progress;        /* int: the run numbers reported, in order */
  int         total;
  GCancellable *cancel;
  int         cancel_at;       /* cancel when this run starts; 0: never */
} Ctx;

static void
ctx_init (Ctx *c)
{
  memset (c, 0, sizeof *c);
  c->loop = g_main_loop_new (NULL, FALSE);
  c->progress = g_array_new (FALSE, FALSE, sizeof (int));
}

static void
ctx_clear (Ctx *c)
{
  g_main_loop_unref (c->loop);
  g_clear_error (&c->error);
  g_clear_pointer (&c->result, sm_ab_result_free);
  g_array_unref (c->progress);
  g_clear_object (&c->cancel);
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Ctx *c = data;
  c->ok = sm_engine_load_finish (SM_ENGINE (source), result, &c->error);
  g_main_loop_quit (c->loop);
}

static SmEngine *
engine_with (const char *path)
{
  SmEngine *engine = sm_engine_new ();
  Ctx c;

  ctx_init (&c);
  sm_engine_load_async (engine, path, NULL, NULL, on_loaded, &c);
  g_main_loop_run (c.loop);
  g_assert_no_error (c.error);
  g_assert_true (c.ok);
  ctx_clear (&c);
  return engine;
}

static void
on_progress (SmEngine *engine, int run, int total, gpointer data)
{
  Ctx *c = data;

  g_array_append_val (c->progress, run);
  c->total = total;
  if (c->cancel && run == c->cancel_at)
    g_cancellable_cancel (c->cancel);
}

static void
on_ab_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Ctx *c = data;
  c->result = sm_engine_ab_run_finish (SM_ENGINE (source), result, &c->error);
  c->ok = c->result != NULL;
  g_main_loop_quit (c->loop);
}

static void
ab_run (SmEngine *engine, const char *prompt, int max_tokens, const SmAbConfig *a,
        const SmAbConfig *b, int n, Ctx *c)
{
  SmGenerateParams params;

  sm_generate_params_init (&params);   /* greedy */
  params.max_tokens = max_tokens;
  sm_engine_ab_run_async (engine, prompt, &params, a, b, n, on_progress, c, NULL, c->cancel,
                          on_ab_done, c);
  g_main_loop_run (c->loop);
}

static void
current_config (SmEngine *engine, SmAbConfig *config)
{
  SmEngineStats st;

  sm_engine_get_stats (engine, &st);
  sm_ab_config_from_stats (config, &st);
  sm_engine_stats_clear (&st);
}

/* The engine's settings as they stand, for a before/after check. */
static char *
settings_of (SmEngine *engine)
{
  SmEngineStats st;
  char *s;

  sm_engine_get_stats (engine, &st);
  s = g_strdup_printf ("pool %d, %s, %d threads, kv %s", st.pool_enabled,
                       sm_engine_kernel_level_name (st.kernel_level), st.threads,
                       sm_engine_kv_type_name (st.kv_type));
  sm_engine_stats_clear (&st);
  return s;
}

static const gint32 *
ids_of (const SmAbRun *run)
{
  return (const gint32 *) run->ids->data;
}

/* The model's greedy reply to @prompt with a KV cache of @kv, computed without the engine. */
static GArray *
greedy_ids (const char *path, const char *prompt, int max_tokens, SmKvType kv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmModel) model = sm_model_load (path, NULL, &error);
  g_autoptr (SmSession) session = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  SmGenerateParams params;
  SmGenerateStats stats;
  int n = 0;
  const gint32 *t;

  g_assert_no_error (error);
  session = sm_session_new_full (model, sm_pool_default (), 0, kv, &error);
  g_assert_no_error (error);
  sm_generate_params_init (&params);
  /* one token more than the run asked for: its evaluation puts the last one in the cache */
  params.max_tokens = max_tokens + 1;
  g_assert_true (sm_generate (session, prompt, &params, NULL, NULL, &stats, &error));
  g_assert_no_error (error);
  t = sm_session_get_tokens (session, &n);
  g_array_append_vals (ids, t + stats.prompt_tokens, MIN (n - stats.prompt_tokens, max_tokens));
  return ids;
}

static void
check_alternation (const SmAbResult *r, int n)
{
  g_assert_cmpint (r->n_runs, ==, n);
  g_assert_cmpuint (r->runs->len, ==, 2 * n);
  for (guint i = 0; i < r->runs->len; i++)
    g_assert_cmpint (((const SmAbRun *) g_ptr_array_index (r->runs, i))->side, ==, i % 2);
}

/* Identical configurations: ABAB, every run the same reply, no divergence, and the engine's
 * settings as they were. */
static void
test_identical (void)
{
  g_autofree char *path = sm_test_shared_model ("stories260K.gguf");
  g_autoptr (SmEngine) engine = NULL;
  g_autofree char *before = NULL, *after = NULL;
  SmAbConfig a, b;
  Ctx c;

  if (path == NULL)
    return;
  engine = engine_with (path);
  before = settings_of (engine);
  current_config (engine, &a);
  current_config (engine, &b);
  ctx_init (&c);
  ab_run (engine, "Once upon a time", 16, &a, &b, 3, &c);
  g_assert_no_error (c.error);
  g_assert_true (c.ok);
  check_alternation (c.result, 3);
  g_assert_cmpint (c.total, ==, 6);
  g_assert_cmpuint (c.progress->len, ==, 6);
  for (guint i = 0; i < c.progress->len; i++)
    g_assert_cmpint (g_array_index (c.progress, int, i), ==, (int) i + 1);
  g_assert_true (c.result->compared);
  g_assert_cmpint (c.result->divergence, ==, -1);
  g_assert_true (c.result->repeatable[0] && c.result->repeatable[1]);
  for (guint i = 0; i < c.result->runs->len; i++)
    {
      const SmAbRun *run = g_ptr_array_index (c.result->runs, i);
      g_assert_cmpint (run->generated_tokens, ==, 16);
      g_assert_cmpuint (run->ids->len, ==, 16);
      g_assert_cmpuint (run->offsets->len, ==, 16);
      g_assert_cmpint (run->prompt_tokens, >, 1);
      g_assert_cmpstr (run->text, ==, sm_ab_result_get_run (c.result, 0, 0)->text);
      g_assert_cmpfloat (run->decode_tps, >, 0);
      g_assert_cmpfloat (run->ttft_ms, >, 0);
      g_assert_cmpuint (run->peak_rss_bytes, >, 0);
    }
  /* the median lies in its range, and the verdict follows the ranges */
  for (int s = 0; s < 2; s++)
    for (int k = 0; k < SM_AB_N_FIGURES; k++)
      {
        const SmAbFigure *f = &c.result->figures[s][k];
        g_assert_cmpfloat (f->min, <=, f->median);
        g_assert_cmpfloat (f->median, <=, f->max);
      }
  {
    const SmAbFigure *fa = &c.result->figures[0][SM_AB_DECODE_TPS];
    const SmAbFigure *fb = &c.result->figures[1][SM_AB_DECODE_TPS];
    gboolean overlap = fa->min <= fb->max && fb->min <= fa->max;
    g_assert_cmpint (c.result->faster, ==, overlap ? -1 : fb->median > fa->median);
  }
  /* the reply's ids are the model's greedy reply computed apart */
  {
    g_autoptr (GArray) ref = greedy_ids (path, "Once upon a time", 16, a.kv_type);
    const SmAbRun *first = sm_ab_result_get_run (c.result, 0, 0);
    g_assert_cmpint (sm_ab_first_divergence ((const gint32 *) ref->data, ref->len, ids_of (first),
                                             first->ids->len), ==, -1);
  }
  after = settings_of (engine);
  g_assert_cmpstr (after, ==, before);
  ctx_clear (&c);
  sm_ab_config_clear (&a);
  sm_ab_config_clear (&b);
}

/* f32 against f16 KV cache on a random-weight model, where near-ties make the two part: the
 * reported index is where the two replies, computed apart, part. */
static void
test_kv_divergence (void)
{
  g_autofree char *path = sm_test_shared_model ("kquant/visible-q4_0.gguf");
  g_autoptr (SmEngine) engine = NULL;
  g_autoptr (GArray) ref_a = NULL, ref_b = NULL;
  const char *prompt = "The";
  const int max_tokens = 64;
  SmAbConfig a, b;
  int expected;
  Ctx c;

  if (path == NULL)
    return;
  engine = engine_with (path);
  current_config (engine, &a);
  current_config (engine, &b);
  a.kv_type = SM_KV_TYPE_F32;
  b.kv_type = SM_KV_TYPE_F16;
  ctx_init (&c);
  ab_run (engine, prompt, max_tokens, &a, &b, 2, &c);
  g_assert_no_error (c.error);
  check_alternation (c.result, 2);
  g_assert_true (c.result->compared);

  ref_a = greedy_ids (path, prompt, max_tokens, SM_KV_TYPE_F32);
  ref_b = greedy_ids (path, prompt, max_tokens, SM_KV_TYPE_F16);
  expected = -1;
  for (guint i = 0; i < MIN (ref_a->len, ref_b->len) && expected < 0; i++)
    if (g_array_index (ref_a, gint32, i) != g_array_index (ref_b, gint32, i))
      expected = (int) i;
  if (expected < 0 && ref_a->len != ref_b->len)
    expected = (int) MIN (ref_a->len, ref_b->len);
  /* the model was chosen because they part: a test that found no difference tests nothing */
  g_assert_cmpint (expected, >=, 0);
  g_test_message ("f32 and f16 KV caches part at token %d", expected);
  g_assert_cmpint (c.result->divergence, ==, expected);
  g_assert_cmpint (sm_ab_result_get_run (c.result, 0, 0)->ids->len, ==, ref_a->len);
  g_assert_cmpint (memcmp (ids_of (sm_ab_result_get_run (c.result, 0, 0)), ref_a->data,
                           ref_a->len * sizeof (gint32)), ==, 0);
  g_assert_cmpint (memcmp (ids_of (sm_ab_result_get_run (c.result, 1, 1)), ref_b->data,
                           ref_b->len * sizeof (gint32)), ==, 0);
  /* the texts part no later than the ids: what came before the token is the same text */
  {
    const SmAbRun *ra = sm_ab_result_get_run (c.result, 0, 0), *rb = sm_ab_result_get_run (c.result, 1, 0);
    gsize oa = g_array_index (ra->offsets, gsize, expected), ob = g_array_index (rb->offsets, gsize, expected);
    g_assert_cmpuint (oa, ==, ob);
    g_assert_cmpint (strncmp (ra->text, rb->text, oa), ==, 0);
  }
  /* each side's snapshot names its KV cache */
  g_assert_cmpstr (c.result->snap[0]->kv_cache, ==, "f32");
  g_assert_cmpstr (c.result->snap[1]->kv_cache, ==, "f16");
  ctx_clear (&c);
  sm_ab_config_clear (&a);
  sm_ab_config_clear (&b);
}

/* A cancel while B's first run starts: G_IO_ERROR_CANCELLED, and the settings A and B set are
 * undone. */
static void
test_cancel_restores (void)
{
  g_autofree char *path = sm_test_shared_model ("stories260K.gguf");
  g_autoptr (SmEngine) engine = NULL;
  g_autofree char *before = NULL, *after = NULL;
  SmAbConfig a, b;
  Ctx c;

  if (path == NULL)
    return;
  engine = engine_with (path);
  before = settings_of (engine);
  current_config (engine, &a);
  current_config (engine, &b);
  a.pool_enabled = !a.pool_enabled;
  a.kernel_level = SM_KERNEL_LEVEL_SCALAR;
  b.threads = a.threads == 1 ? 2 : 1;
  ctx_init (&c);
  c.cancel = g_cancellable_new ();
  c.cancel_at = 2;
  ab_run (engine, "Once upon a time", 400, &a, &b, 3, &c);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (c.result);
  g_assert_cmpint (g_array_index (c.progress, int, c.progress->len - 1), <, 6);
  after = settings_of (engine);
  g_assert_cmpstr (after, ==, before);
  /* and the process-wide state the runs set is back too */
  g_assert_cmpint (sm_pool_get_enabled (sm_pool_default ()), ==, !a.pool_enabled);
  g_assert_cmpint (sm_threads_get_count (), ==, a.threads);
  ctx_clear (&c);

  /* the engine goes on: the same run without the cancel completes */
  ctx_init (&c);
  ab_run (engine, "Once upon a time", 4, &a, &b, 1, &c);
  g_assert_no_error (c.error);
  check_alternation (c.result, 1);
  g_assert_cmpstr (c.result->snap[0]->kernel_level, ==, "scalar");
  after = (g_free (after), settings_of (engine));
  g_assert_cmpstr (after, ==, before);
  ctx_clear (&c);
  sm_ab_config_clear (&a);
  sm_ab_config_clear (&b);
}

/* B names another model (the same weights as llama2.c's file): it is loaded for its side, the
 * two are not compared token by token, and the report is the comparison's with both replies. */
static void
test_other_model_and_export (void)
{
  g_autofree char *path = sm_test_shared_model ("stories260K.gguf");
  g_autofree char *other = sm_test_shared_model ("kquant/visible-q4_0.gguf");
  g_autoptr (SmEngine) engine = NULL;
  g_autofree char *dir = NULL, *out = NULL, *md = NULL;
  g_autoptr (GError) error = NULL;
  SmAbConfig a, b;
  Ctx c;

  if (path == NULL || other == NULL)
    return;
  engine = engine_with (path);
  current_config (engine, &a);
  current_config (engine, &b);
  b.model_path = g_strdup (other);
  ctx_init (&c);
  ab_run (engine, "Once upon a time", 8, &a, &b, 2, &c);
  g_assert_no_error (c.error);
  check_alternation (c.result, 2);
  g_assert_false (c.result->compared);
  g_assert_cmpint (c.result->divergence, ==, -1);
  g_assert_cmpfloat (c.result->load_ms[0], ==, 0);
  g_assert_cmpfloat (c.result->load_ms[1], >, 0);
  g_test_message ("loading B's model took %.1f ms", c.result->load_ms[1]);
  g_assert_cmpstr (c.result->model_name[0], !=, c.result->model_name[1]);
  g_assert_cmpstr (c.result->snap[1]->label, ==, "ab-run B");

  dir = g_dir_make_tmp ("sm-ab-XXXXXX", &error);
  g_assert_no_error (error);
  out = g_build_filename (dir, "ab.md", NULL);
  g_assert_true (sm_ab_result_export (c.result, out, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (out, &md, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("%s", md);
  /* the comparison report's own parts, A as the previous run and B as the current */
  g_assert_true (g_str_has_prefix (md, "# Profile Comparison Report\n"));
  g_assert_nonnull (strstr (md, "**Previous Run:**"));
  g_assert_nonnull (strstr (md, "(`A`)"));
  g_assert_nonnull (strstr (md, "(`B`)"));
  g_assert_nonnull (strstr (md, "### 🎯 Performance Verdict"));
  g_assert_nonnull (strstr (md, "`decode matmul per 1k tokens`"));
  g_assert_nonnull (strstr (md, "## 🖥️ Environment"));
  /* then the A/B run's: both replies and the figures */
  g_assert_nonnull (strstr (md, "## ⚖️ A/B Run"));
  g_assert_nonnull (strstr (md, sm_ab_result_get_run (c.result, 0, 0)->text));
  g_assert_nonnull (strstr (md, sm_ab_result_get_run (c.result, 1, 0)->text));
  g_assert_nonnull (strstr (md, "| decode tok/s (median, min–max) |"));
  g_assert_nonnull (strstr (md, "**First differing token:** not compared"));
  g_assert_nonnull (strstr (md, "| Model load (ms, once before the runs) | 0.0 |"));
  {
    /* the figures are the result's */
    g_autofree char *row = g_strdup_printf ("| decode tok/s (median, min–max) | %.2f (%.2f–%.2f)",
                                            c.result->figures[0][SM_AB_DECODE_TPS].median,
                                            c.result->figures[0][SM_AB_DECODE_TPS].min,
                                            c.result->figures[0][SM_AB_DECODE_TPS].max);
    g_assert_nonnull (strstr (md, row));
  }
  /* each side's figures are repetitions the comparison can read as a run's spread */
  {
    SmMeasurement *m = sm_snapshot_find_measurement (c.result->snap[0], "decode_tok_s");
    g_assert_nonnull (m);
    g_assert_cmpuint (m->values->len, ==, 2);
    g_assert_cmpfloat (sm_measurement_median (m), ==, c.result->figures[0][SM_AB_DECODE_TPS].median);
  }
  g_assert_cmpint (g_unlink (out), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  ctx_clear (&c);
  sm_ab_config_clear (&a);
  sm_ab_config_clear (&b);
}

static void
test_divergence_index (void)
{
  const gint32 x[] = { 1, 2, 3, 4 }, y[] = { 1, 2, 9, 4 };

  g_assert_cmpint (sm_ab_first_divergence (x, 4, x, 4), ==, -1);
  g_assert_cmpint (sm_ab_first_divergence (x, 4, y, 4), ==, 2);
  g_assert_cmpint (sm_ab_first_divergence (x, 4, x, 3), ==, 3);
  g_assert_cmpint (sm_ab_first_divergence (x, 0, y, 0), ==, -1);
  g_assert_cmpint (sm_ab_first_divergence (x, 0, y, 1), ==, 0);
}

/* Without a model: an error, no hang. */
static void
test_no_model (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  SmAbConfig a;
  Ctx c;

  current_config (engine, &a);
  ctx_init (&c);
  ab_run (engine, "x", 4, &a, &a, 1, &c);
  g_assert_error (c.error, SM_ENGINE_ERROR, SM_ENGINE_ERROR_NO_MODEL);
  ctx_clear (&c);
  sm_ab_config_clear (&a);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/AbRun/divergence-index", test_divergence_index);
  g_test_add_func ("/AbRun/no-model", test_no_model);
  g_test_add_func ("/AbRun/identical", test_identical);
  g_test_add_func ("/AbRun/kv-divergence", test_kv_divergence);
  g_test_add_func ("/AbRun/cancel-restores", test_cancel_restores);
  g_test_add_func ("/AbRun/other-model-and-export", test_other_model_and_export);
  return g_test_run ();
}
