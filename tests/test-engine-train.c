/* test-engine-train.c: training through SmEngine's async calls on a real main loop: progress
 * in order with finite losses, a loss that falls, pause and resume, a stop that is prompt and
 * keeps the checkpoint, a checkpoint that loads and generates, the engine busy meanwhile, and
 * bad corpora named as errors. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sm-engine.h"

typedef struct {
  GMainLoop *loop;
  GArray    *steps;       /* SmEngineTrainProgress, as delivered */
  char      *path;        /* the finish's */
  GError    *error;
  gboolean   done;
  GCancellable *cancel;
  int        cancel_at;   /* cancel at this step; 0: never */
} Run;

static void
run_init (Run *r)
{
  memset (r, 0, sizeof *r);
  r->loop = g_main_loop_new (NULL, FALSE);
  r->steps = g_array_new (FALSE, FALSE, sizeof (SmEngineTrainProgress));
  r->cancel = g_cancellable_new ();
}

static void
run_clear (Run *r)
{
  g_main_loop_unref (r->loop);
  g_array_unref (r->steps);
  g_free (r->path);
  g_clear_error (&r->error);
  g_clear_object (&r->cancel);
}

static void
on_progress (SmEngine *engine, const SmEngineTrainProgress *p, gpointer data)
{
  Run *r = data;

  g_assert_false (r->done);
  g_array_append_val (r->steps, *p);
  if (r->cancel_at > 0 && p->step >= r->cancel_at)
    g_cancellable_cancel (r->cancel);
}

static void
on_trained (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *r = data;

  r->path = sm_engine_train_finish (SM_ENGINE (source), result, &r->error);
  r->done = TRUE;
  g_main_loop_quit (r->loop);
}

static gboolean
set_true (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop for @ms (or until the run ends). */
static void
spin (Run *r, guint ms)
{
  gboolean over = FALSE;
  guint id = g_timeout_add (ms, set_true, &over);

  while (!over && !r->done)
    g_main_context_iteration (NULL, TRUE);
  if (!over)
    g_source_remove (id);
}

static void
wait_done (Run *r)
{
  while (!r->done)
    g_main_loop_run (r->loop);
}

static int
last_step (Run *r)
{
  return r->steps->len ? g_array_index (r->steps, SmEngineTrainProgress, r->steps->len - 1).step : 0;
}

/* A tiny shape that trains in a fraction of a second a hundred steps. */
static void
tiny_request (SmEngineTrainRequest *q, const char *out, int steps)
{
  sm_engine_train_request_init (q);
  q->builtin_bytes = 60000;
  q->dim = 32;
  q->n_layers = 1;
  q->n_heads = 2;
  q->context = 32;
  q->batch_size = 8;
  q->lr = 3e-3;
  q->steps = steps;
  q->eval_every = 20;
  q->eval_windows = 16;
  q->output_path = out;
  q->name = "tiny";
}

static char *
tmp_file (const char *name)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-engine-train-XXXXXX", NULL);
  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

static void
remove_tmp (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_progress_and_loss (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  g_autofree char *out = tmp_file ("tiny.smck");
  SmEngineTrainRequest q;
  Run r;
  double first = 0, last = 0;
  int n_valid = 0;

  run_init (&r);
  tiny_request (&q, out, 80);
  sm_engine_train_async (engine, &q, on_progress, &r, NULL, NULL, on_trained, &r);
  g_assert_true (sm_engine_is_training (engine));
  wait_done (&r);
  g_assert_no_error (r.error);
  g_assert_cmpstr (r.path, ==, out);
  g_assert_false (sm_engine_is_training (engine));

  /* every step once, in order, with finite figures; validation at its steps */
  g_assert_cmpuint (r.steps->len, ==, 80);
  for (guint i = 0; i < r.steps->len; i++)
    {
      const SmEngineTrainProgress *p = &g_array_index (r.steps, SmEngineTrainProgress, i);
      g_assert_cmpint (p->step, ==, (int) i + 1);
      g_assert_cmpint (p->max_steps, ==, 80);
      g_assert_true (isfinite (p->train_loss) && p->train_loss > 0);
      g_assert_true (isfinite (p->tokens_per_s) && p->tokens_per_s > 0);
      g_assert_cmpuint (p->tokens, ==, (guint64) (i + 1) * 8 * 32);
      if (p->step % 20 == 0)
        {
          g_assert_true (isfinite (p->valid_loss));
          n_valid++;
        }
      else
        g_assert_true (isnan (p->valid_loss));
    }
  g_assert_cmpint (n_valid, ==, 4);
  /* the per-op profile: matmuls forward and backward, counted as the run went on */
  {
    const SmEngineTrainProgress *a = &g_array_index (r.steps, SmEngineTrainProgress, 0);
    const SmEngineTrainProgress *z = &g_array_index (r.steps, SmEngineTrainProgress, 79);
    g_assert_cmpuint (a->forward[SM_OP_MATMUL].count, >, 0);
    g_assert_cmpuint (a->backward[SM_OP_MATMUL].count, >, 0);
    g_assert_cmpuint (z->forward[SM_OP_MATMUL].count, ==, 80 * a->forward[SM_OP_MATMUL].count);
    g_assert_cmpuint (z->backward[SM_OP_MATMUL].ns, >, a->backward[SM_OP_MATMUL].ns);
  }
  /* it learns: a byte model starts at ln 256 = 5.55 nats and the stories' letters soon cost
   * far less; the mean of the last ten steps against the first ten */
  for (int i = 0; i < 10; i++)
    {
      first += g_array_index (r.steps, SmEngineTrainProgress, i).train_loss / 10;
      last += g_array_index (r.steps, SmEngineTrainProgress, 70 + i).train_loss / 10;
    }
  g_test_message ("train loss %.3f -> %.3f, validation %.3f -> %.3f", first, last,
                  g_array_index (r.steps, SmEngineTrainProgress, 19).valid_loss,
                  g_array_index (r.steps, SmEngineTrainProgress, 79).valid_loss);
  g_assert_cmpfloat (g_array_index (r.steps, SmEngineTrainProgress, 0).train_loss, >, 5.3);
  g_assert_cmpfloat (last, <, first - 1.5);
  g_assert_cmpfloat (g_array_index (r.steps, SmEngineTrainProgress, 79).valid_loss, <,
                     g_array_index (r.steps, SmEngineTrainProgress, 19).valid_loss);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
  run_clear (&r);
  remove_tmp (out);
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  GError **error = data;
  if (!sm_engine_load_finish (SM_ENGINE (source), result, error) && *error == NULL)
    g_assert_not_reached ();
  if (*error == NULL)
    *error = g_error_new_literal (G_IO_ERROR, 0, "ok");
}

static void
on_generated (GObject *source, GAsyncResult *result, gpointer data)
{
  GError **error = data;
  if (sm_engine_generate_finish (SM_ENGINE (source), result, NULL, error))
    *error = g_error_new_literal (G_IO_ERROR, 0, "ok");
}

static void
on_text (SmEngine *engine, const char *text, gpointer data)
{
  g_string_append (data, text);
}

/* The outcome of a call: "ok", or its error (freed). */
static GError *
wait_error (GError **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return g_steal_pointer (slot);
}

typedef struct {
  int     step;
  GError *error;
  gboolean done;
} Checkpoint;

static void
on_checkpoint (GObject *source, GAsyncResult *result, gpointer data)
{
  Checkpoint *c = data;
  c->step = sm_engine_train_checkpoint_finish (SM_ENGINE (source), result, &c->error);
  c->done = TRUE;
}

/* Pause holds the step count, resume goes on; a checkpoint while paused is written at once;
 * meanwhile the engine refuses loads and replies; a stop ends the run with CANCELLED and the
 * checkpoint stays, and loads and generates. */
static void
test_pause_checkpoint_stop (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  g_autofree char *out = tmp_file ("ck.smck");
  SmEngineTrainRequest q;
  Run r;
  Checkpoint ck = { 0 };
  GError *slot = NULL;
  g_autoptr (GError) e = NULL;
  int held;

  run_init (&r);
  tiny_request (&q, out, 100000);   /* stopped long before its end */
  sm_engine_train_async (engine, &q, on_progress, &r, NULL, r.cancel, on_trained, &r);
  while (last_step (&r) < 5)
    g_main_context_iteration (NULL, TRUE);

  /* busy: the run owns the engine thread */
  {
    Run other;
    run_init (&other);
    sm_engine_train_async (engine, &q, NULL, NULL, NULL, NULL, on_trained, &other);
    wait_done (&other);
    g_assert_error (other.error, SM_ENGINE_ERROR, SM_ENGINE_ERROR_BUSY);
    run_clear (&other);
  }
  sm_engine_load_preset_async (engine, SM_PRESET_SMALL, 1, NULL, on_loaded, &slot);
  e = wait_error (&slot);
  g_assert_error (e, SM_ENGINE_ERROR, SM_ENGINE_ERROR_BUSY);
  g_clear_error (&e);
  {
    SmGenerateParams gp;
    g_autoptr (GString) text = g_string_new (NULL);

    sm_generate_params_init (&gp);
    sm_engine_generate_async (engine, "Once", &gp, on_text, text, NULL, NULL, on_generated, &slot);
    e = wait_error (&slot);
    g_assert_error (e, SM_ENGINE_ERROR, SM_ENGINE_ERROR_BUSY);
    g_assert_nonnull (strstr (e->message, "trained"));
    g_clear_error (&e);
    g_assert_cmpuint (text->len, ==, 0);
  }

  sm_engine_train_set_paused (engine, TRUE);
  g_assert_true (sm_engine_train_get_paused (engine));
  spin (&r, 150);              /* the step under way lands */
  held = last_step (&r);
  spin (&r, 400);
  g_assert_cmpint (last_step (&r), ==, held);
  g_assert_false (r.done);

  /* a checkpoint while paused: saved at the step it holds */
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  sm_engine_train_checkpoint_async (engine, NULL, on_checkpoint, &ck);
  while (!ck.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (ck.error);
  g_assert_cmpint (ck.step, ==, held);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (last_step (&r), ==, held);

  sm_engine_train_set_paused (engine, FALSE);
  while (last_step (&r) < held + 5)
    g_main_context_iteration (NULL, TRUE);

  /* stop: CANCELLED, long before the schedule's end, the checkpoint kept */
  g_cancellable_cancel (r.cancel);
  wait_done (&r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (r.path);
  g_assert_cmpint (last_step (&r), <, 100000);
  g_assert_false (sm_engine_is_training (engine));

  /* the checkpoint is a model: it loads and speaks */
  sm_engine_load_async (engine, out, NULL, NULL, on_loaded, &slot);
  e = wait_error (&slot);
  g_assert_cmpstr (e->message, ==, "ok");
  g_clear_error (&e);
  {
    SmEngineStats st;
    SmGenerateParams gp;
    g_autoptr (GString) text = g_string_new (NULL);

    sm_engine_get_stats (engine, &st);
    g_assert_cmpstr (st.model_name, ==, "tiny");
    sm_engine_stats_clear (&st);
    sm_generate_params_init (&gp);
    gp.max_tokens = 16;
    sm_engine_generate_async (engine, "Once upon a time", &gp, on_text, text, NULL, NULL,
                              on_generated, &slot);
    e = wait_error (&slot);
    g_assert_cmpstr (e->message, ==, "ok");
    g_assert_cmpuint (text->len, >, 0);
  }
  run_clear (&r);
  remove_tmp (out);
}

/* Paused and then stopped: the stop wakes the waiting run. */
static void
test_stop_while_paused (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  g_autofree char *out = tmp_file ("p.smck");
  SmEngineTrainRequest q;
  Run r;

  run_init (&r);
  tiny_request (&q, out, 100000);
  sm_engine_train_async (engine, &q, on_progress, &r, NULL, r.cancel, on_trained, &r);
  while (last_step (&r) < 2)
    g_main_context_iteration (NULL, TRUE);
  sm_engine_train_set_paused (engine, TRUE);
  spin (&r, 100);
  g_cancellable_cancel (r.cancel);
  wait_done (&r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));   /* no checkpoint was asked for */
  run_clear (&r);
  remove_tmp (out);
}

static void
expect_corpus_error (const char *contents, gssize len, const char *needle)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  g_autofree char *out = tmp_file ("bad.smck");
  g_autofree char *dir = g_path_get_dirname (out);
  g_autofree char *corpus = g_build_filename (dir, "corpus.txt", NULL);
  SmEngineTrainRequest q;
  Run r;

  if (contents != NULL)
    g_assert_true (g_file_set_contents (corpus, contents, len, NULL));
  run_init (&r);
  tiny_request (&q, out, 10);
  q.corpus_path = corpus;
  sm_engine_train_async (engine, &q, on_progress, &r, NULL, NULL, on_trained, &r);
  wait_done (&r);
  g_assert_nonnull (r.error);
  g_assert_null (r.path);
  g_test_message ("%s", r.error->message);
  g_assert_nonnull (strstr (r.error->message, needle));
  g_assert_cmpuint (r.steps->len, ==, 0);
  g_assert_false (sm_engine_is_training (engine));
  run_clear (&r);
  g_unlink (corpus);
  remove_tmp (out);
}

static void
test_bad_corpus (void)
{
  expect_corpus_error ("", 0, "empty");
  expect_corpus_error ("Once upon a \xff\xfe time", -1, "UTF-8");
  expect_corpus_error (NULL, 0, "corpus.txt");   /* missing */
  expect_corpus_error ("Too short.", -1, "token");
}

static void
test_bad_request (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  SmEngineTrainRequest q;
  Run r;

  run_init (&r);
  tiny_request (&q, "/nonexistent-dir/x.smck", 10);
  sm_engine_train_async (engine, &q, on_progress, &r, NULL, NULL, on_trained, &r);
  wait_done (&r);
  g_assert_nonnull (r.error);
  g_test_message ("%s", r.error->message);
  run_clear (&r);

  run_init (&r);
  tiny_request (&q, "x.smck", 10);
  q.n_heads = 3;   /* 32 is no multiple of 3 */
  sm_engine_train_async (engine, &q, on_progress, &r, NULL, NULL, on_trained, &r);
  wait_done (&r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  run_clear (&r);

  /* nothing to pause or save without a run */
  sm_engine_train_set_paused (engine, TRUE);
  g_assert_false (sm_engine_train_get_paused (engine));
  {
    Checkpoint ck = { 0 };
    sm_engine_train_checkpoint_async (engine, NULL, on_checkpoint, &ck);
    while (!ck.done)
      g_main_context_iteration (NULL, TRUE);
    g_assert_error (ck.error, SM_ENGINE_ERROR, SM_ENGINE_ERROR_NO_MODEL);
    g_clear_error (&ck.error);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/EngineTrain/progress-and-loss", test_progress_and_loss);
  g_test_add_func ("/EngineTrain/pause-checkpoint-stop", test_pause_checkpoint_stop);
  g_test_add_func ("/EngineTrain/stop-while-paused", test_stop_while_paused);
  g_test_add_func ("/EngineTrain/bad-corpus", test_bad_corpus);
  g_test_add_func ("/EngineTrain/bad-request", test_bad_request);
  return g_test_run ();
}
