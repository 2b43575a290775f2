/* sm-engine-train.c: SmEngine's training job (sm-engine-train.h).
 *
 * The run is one job of the engine thread: it builds the data, the model and an SmTrainer,
 * then takes optimizer steps until the schedule ends or it is cancelled.  Between steps it
 * applies the engine's settings (threads, kernels), answers checkpoint requests and, while
 * paused, waits on a condition that a resume, a checkpoint request or the cancellable wakes.
 * Progress records queue up under a lock and one source on the caller's context delivers
 * them, so a tiny model's thousand steps a second reach the window a frame at a time.
 */
#define G_LOG_DOMAIN "SmEngine"

#include "sm-engine-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "sm-atomic-file.h"
#include "sm-corpus.h"
#include "sm-train.h"

/* One delivery of progress per this many ms. */
#define TRAIN_FLUSH_MS 33

void
sm_engine_train_request_init (SmEngineTrainRequest *req)
{
  g_return_if_fail (req != NULL);
  *req = (SmEngineTrainRequest) {
    .preset = SM_PRESET_SMALL,
    .steps = 500,
    .batch_size = 16,
    .lr = 1e-3,
    .eval_windows = 32,
    .seed = 1337,
  };
}

/* Shared by the engine thread and the caller's context; refcounted because the flush source
 * and the readers (pause, checkpoint) may outlive the task. */
typedef struct {
  gint               ref_count;
  SmEngine          *engine;        /* borrowed: the task holds a reference */
  SmEngineTrainRequest req;         /* its strings owned below */
  char              *corpus_path, *tokenizer_path, *output_path, *name;
  SmEngineTrainFunc  func;
  gpointer           func_data;
  GDestroyNotify     func_destroy;
  GMainContext      *context;
  GCancellable      *cancellable;   /* the task's, or NULL */
  gulong             cancel_id;

  GMutex             lock;          /* guards the fields below */
  GCond              cond;          /* a resume, a checkpoint request, the cancellation */
  gboolean           paused;
  GArray            *pending;       /* SmEngineTrainProgress, not yet delivered */
  GSource           *flush;
  gboolean           closed;        /* finished: deliver nothing more */
  GQueue             checkpoints;   /* GTask * waiting for a save */
  gboolean           done;          /* the run is over: no more checkpoints */
} TrainJob;

static gpointer
train_job_ref (gpointer p)
{
  TrainJob *j = p;
  g_atomic_int_inc (&j->ref_count);
  return j;
}

static void
train_job_unref (gpointer p)
{
  TrainJob *j = p;

  if (!g_atomic_int_dec_and_test (&j->ref_count))
    return;
  g_assert (g_queue_is_empty (&j->checkpoints));
  if (j->func_destroy)
    j->func_destroy (j->func_data);
  g_free (j->corpus_path);
  g_free (j->tokenizer_path);
  g_free (j->output_path);
  g_free (j->name);
  /* a caller without a callback never runs the finish, which disconnects otherwise */
  if (j->cancel_id != 0)
    g_cancellable_disconnect (j->cancellable, j->cancel_id);
  g_clear_object (&j->cancellable);
  g_main_context_unref (j->context);
  g_array_unref (j->pending);
  g_mutex_clear (&j->lock);
  g_cond_clear (&j->cond);
  g_free (j);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrainJob, train_job_unref)

/* ---- delivery ---------------------------------------------------------------------------------- */

/* Caller's context. */
static void
deliver (TrainJob *j)
{
  g_autoptr (GArray) batch = NULL;

  g_mutex_lock (&j->lock);
  if (j->pending->len > 0 && !j->closed)
    {
      batch = j->pending;
      j->pending = g_array_new (FALSE, FALSE, sizeof (SmEngineTrainProgress));
    }
  g_mutex_unlock (&j->lock);
  for (guint i = 0; batch != NULL && i < batch->len; i++)
    j->func (j->engine, &g_array_index (batch, SmEngineTrainProgress, i), j->func_data);
}

static gboolean
flush_cb (gpointer data)
{
  TrainJob *j = data;

  g_mutex_lock (&j->lock);
  g_clear_pointer (&j->flush, g_source_unref);
  g_mutex_unlock (&j->lock);
  deliver (j);
  return G_SOURCE_REMOVE;
}

/* Engine thread. */
static void
post (TrainJob *j, const SmEngineTrainProgress *p)
{
  if (j->func == NULL)
    return;
  g_mutex_lock (&j->lock);
  g_array_append_val (j->pending, *p);
  if (j->flush == NULL && !j->closed)
    {
      /* the first step goes out at once, later ones coalesce to a frame */
      j->flush = p->step <= 1 ? g_idle_source_new () : g_timeout_source_new (TRAIN_FLUSH_MS);
      g_source_set_priority (j->flush, G_PRIORITY_DEFAULT);
      g_source_set_callback (j->flush, flush_cb, train_job_ref (j), train_job_unref);
      g_source_attach (j->flush, j->context);
    }
  g_mutex_unlock (&j->lock);
}

/* ---- the run, on the engine thread ---------------------------------------------------------- */

typedef struct {
  SmTrainer   *trainer;
  SmTrainData *train, *valid;
  SmProfiler  *fwd, *bwd;
  gint64       active_us;    /* training time: paused and validating time left out */
  guint64      tokens0;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->trainer, sm_trainer_free);
  g_clear_pointer (&r->train, sm_train_data_free);
  g_clear_pointer (&r->valid, sm_train_data_free);
  g_clear_pointer (&r->fwd, sm_profiler_free);
  g_clear_pointer (&r->bwd, sm_profiler_free);
}

/* The corpus split into training and held-out text. */
static gboolean
load_data (TrainJob *j, SmTokenizer *tok, Run *r, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (j->corpus_path == NULL)
    {
      SmCorpusParams cp;
      g_autoptr (GString) train = g_string_new (NULL);
      g_autoptr (GString) valid = g_string_new (NULL);

      sm_corpus_params_init (&cp);
      if (j->req.builtin_bytes > 0)
        cp.train_bytes = j->req.builtin_bytes;
      sm_corpus_generate (&cp, train, valid);
      r->train = sm_train_data_new (tok, train->str, train->len, "stories", &local);
      if (r->train != NULL)
        r->valid = sm_train_data_new (tok, valid->str, valid->len, "stories (held out)", &local);
    }
  else
    {
      g_autofree char *base = g_path_get_basename (j->corpus_path);
      g_autofree char *text = NULL;
      gsize len = 0;

      if (g_file_get_contents (j->corpus_path, &text, &len, &local))
        r->train = sm_train_data_new (tok, text, len, base, &local);
      if (r->train != NULL)
        r->valid = sm_train_data_split (r->train, 0.05);
    }
  if (r->valid == NULL)
    {
      g_set_error (error, local->domain, local->code, _("Cannot train on this text: %s"),
                   local->message);
      return FALSE;
    }
  return TRUE;
}

/* The model of the request's shape, with fresh seeded weights. */
static SmModel *
new_model (TrainJob *j, SmTokenizer *tok, GError **error)
{
  const SmEngineTrainRequest *q = &j->req;
  SmModelConfig c;

  sm_preset_config (q->preset, &c);
  if (q->dim > 0)
    c.dim = q->dim;
  if (q->n_layers > 0)
    c.n_layers = q->n_layers;
  if (q->n_heads > 0)
    c.n_heads = c.n_kv_heads = q->n_heads;
  if (q->dim > 0 || q->hidden_dim > 0)
    c.hidden_dim = q->hidden_dim > 0 ? q->hidden_dim : 4 * c.dim;
  if (q->context > 0)
    c.context_length = q->context;
  c.vocab_size = MAX (c.vocab_size, sm_tokenizer_n_vocab (tok));
  if (c.n_heads <= 0 || c.dim <= 0 || c.dim % c.n_heads != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The width (%d) must be a multiple of the number of heads (%d)"),
                   c.dim, c.n_heads);
      return NULL;
    }
  c.head_dim = c.dim / c.n_heads;
  return sm_model_new_random (&c, tok, q->seed, j->name, error);
}

static gboolean
set_up (TrainJob *j, Run *r, GError **error)
{
  g_autoptr (SmTokenizer) tok = NULL;
  g_autoptr (SmModel) init = NULL;
  SmTrainParams p;
  const char *outs[] = { j->output_path };

  if (!sm_atomic_file_check_writable (1, outs, error))
    return FALSE;
  tok = j->tokenizer_path ? sm_train_tokenizer_load (j->tokenizer_path, error) : sm_tokenizer_new_bytes ();
  if (tok == NULL)
    return FALSE;
  if (!load_data (j, tok, r, error))
    return FALSE;
  if ((init = new_model (j, tok, error)) == NULL)
    return FALSE;
  sm_train_params_init (&p);
  p.batch_size = j->req.batch_size;
  p.seq_len = sm_model_get_config (init)->context_length;
  p.max_steps = j->req.steps;
  p.warmup_steps = j->req.steps / 20;
  p.lr = (float) j->req.lr;
  p.min_lr = (float) (j->req.lr / 10);
  p.seed = j->req.seed;
  if ((r->trainer = sm_trainer_new (init, &p, error)) == NULL)
    return FALSE;
  if (!sm_trainer_check_data (r->trainer, r->train, error) ||
      !sm_trainer_check_data (r->trainer, r->valid, error))
    return FALSE;
  r->fwd = sm_profiler_new ();
  r->bwd = sm_profiler_new ();
  sm_trainer_set_profilers (r->trainer, r->fwd, r->bwd, NULL);
  return TRUE;
}

static gboolean
save (TrainJob *j, Run *r, GError **error)
{
  return sm_trainer_save (r->trainer, j->output_path, FALSE, error);
}

/* Saves for every checkpoint request waiting. */
static void
answer_checkpoints (TrainJob *j, Run *r)
{
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      GTask *task;

      g_mutex_lock (&j->lock);
      task = g_queue_pop_head (&j->checkpoints);
      g_mutex_unlock (&j->lock);
      if (task == NULL)
        return;
      if (save (j, r, &error))
        g_task_return_int (task, MAX (sm_trainer_get_step (r->trainer), 1));
      else
        g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
    }
}

/* Between steps: waits while paused, answering checkpoints meanwhile; FALSE when cancelled. */
static gboolean
between_steps (TrainJob *j, Run *r)
{
  for (;;)
    {
      gboolean paused;

      answer_checkpoints (j, r);
      if (g_cancellable_is_cancelled (j->cancellable))
        return FALSE;
      g_mutex_lock (&j->lock);
      paused = j->paused && g_queue_is_empty (&j->checkpoints);
      if (paused)
        g_cond_wait (&j->cond, &j->lock);   /* woken by resume, checkpoint or cancel */
      g_mutex_unlock (&j->lock);
      if (!paused)
        break;
    }
  sm_engine_apply_settings (j->engine);
  return TRUE;
}

static double
validate (Run *r, int windows, GError **error)
{
  SmTrainEval ev;
  gboolean ok;

  /* evaluation forwards are no training time and would blur the training's profile */
  sm_trainer_set_profilers (r->trainer, NULL, NULL, NULL);
  ok = sm_trainer_evaluate (r->trainer, r->valid, windows, &ev, error);
  sm_trainer_set_profilers (r->trainer, r->fwd, r->bwd, NULL);
  return ok ? ev.loss : NAN;
}

static gboolean
train_loop (TrainJob *j, Run *r, GError **error)
{
  const int max_steps = j->req.steps;
  const int eval_every = j->req.eval_every > 0 ? j->req.eval_every : MAX (max_steps / 10, 1);

  r->tokens0 = sm_trainer_get_tokens_seen (r->trainer);
  while (sm_trainer_get_step (r->trainer) < max_steps)
    {
      SmTrainStepInfo info;
      SmEngineTrainProgress p = { 0 };
      gint64 t0;

      if (!between_steps (j, r))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The training was stopped"));
          return FALSE;
        }
      t0 = g_get_monotonic_time ();
      if (!sm_trainer_step (r->trainer, r->train, &info, error))
        return FALSE;
      r->active_us += g_get_monotonic_time () - t0;
      p.step = info.step;
      p.max_steps = max_steps;
      p.train_loss = info.loss;
      p.valid_loss = NAN;
      p.tokens = sm_trainer_get_tokens_seen (r->trainer);
      p.seconds = r->active_us / 1e6;
      p.tokens_per_s = p.seconds > 0 ? (p.tokens - r->tokens0) / p.seconds : 0.0;
      if (info.step % eval_every == 0 || info.step == max_steps)
        {
          p.valid_loss = validate (r, j->req.eval_windows, error);
          if (isnan (p.valid_loss))
            return FALSE;
        }
      sm_profiler_flush (r->fwd);
      sm_profiler_flush (r->bwd);
      sm_profiler_get_ops (r->fwd, p.forward);
      sm_profiler_get_ops (r->bwd, p.backward);
      post (j, &p);
    }
  return TRUE;
}

static void
job_train (SmEngine *self, GTask *task)
{
  TrainJob *j = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  Run r = { 0 };
  gboolean ok;

  ok = set_up (j, &r, &error) && train_loop (j, &r, &error) && save (j, &r, &error);
  if (r.trainer != NULL)
    answer_checkpoints (j, &r);   /* asked for during the last step */
  run_clear (&r);

  /* the slot frees before the caller hears of the end, so its next call finds the engine free */
  sm_engine_clear_train_job (self);
  g_mutex_lock (&j->lock);
  j->done = TRUE;
  while (!g_queue_is_empty (&j->checkpoints))
    {
      GTask *c = g_queue_pop_head (&j->checkpoints);
      g_task_return_new_error (c, SM_ENGINE_ERROR, SM_ENGINE_ERROR_NO_MODEL,
                               _("The training has ended"));
      g_object_unref (c);
    }
  g_mutex_unlock (&j->lock);
  if (ok)
    g_task_return_pointer (task, g_strdup (j->output_path), g_free);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/* Any thread: the cancellable's handler. */
static void
on_cancelled (GCancellable *cancellable, gpointer data)
{
  TrainJob *j = data;

  g_mutex_lock (&j->lock);
  g_cond_broadcast (&j->cond);
  g_mutex_unlock (&j->lock);
}

/* ---- the calls --------------------------------------------------------------------------------- */

static gboolean
check_request (const SmEngineTrainRequest *q, GError **error)
{
  if (q->output_path == NULL || q->steps < 1 || q->batch_size < 1 || !(q->lr > 0) ||
      q->preset >= SM_N_PRESETS || q->dim < 0 || q->n_layers < 0 || q->n_heads < 0 ||
      q->hidden_dim < 0 || q->context < 0 || q->eval_every < 0 || q->eval_windows < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The training needs an output file, at least one step, a batch "
                             "of at least one sequence, a learning rate above 0 and sizes of "
                             "at least 1"));
      return FALSE;
    }
  return TRUE;
}

void
sm_engine_train_async (SmEngine                   *self,
                       const SmEngineTrainRequest *req,
                       SmEngineTrainFunc           progress_func,
                       gpointer                    progress_data,
                       GDestroyNotify              progress_destroy,
                       GCancellable               *cancellable,
                       GAsyncReadyCallback         callback,
                       gpointer                    user_data)
{
  g_autoptr (GTask) task = NULL;
  GError *error = NULL;
  TrainJob *j;

  g_return_if_fail (SM_IS_ENGINE (self));
  g_return_if_fail (req != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sm_engine_train_async);
  /* a stop is the run's own error, said after it has let go of the engine */
  g_task_set_check_cancellable (task, FALSE);

  j = g_new0 (TrainJob, 1);
  j->ref_count = 1;
  j->engine = self;
  j->req = *req;
  j->corpus_path = g_strdup (req->corpus_path);
  j->tokenizer_path = g_strdup (req->tokenizer_path);
  j->output_path = g_strdup (req->output_path);
  j->name = g_strdup (req->name ? req->name : "SmallMind (trained)");
  j->req.corpus_path = j->req.tokenizer_path = j->req.output_path = j->req.name = NULL;
  j->func = progress_func;
  j->func_data = progress_data;
  j->func_destroy = progress_destroy;
  j->context = g_main_context_ref_thread_default ();
  j->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  g_mutex_init (&j->lock);
  g_cond_init (&j->cond);
  j->pending = g_array_new (FALSE, FALSE, sizeof (SmEngineTrainProgress));
  g_queue_init (&j->checkpoints);
  g_task_set_task_data (task, j, train_job_unref);

  if (!check_request (req, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!sm_engine_claim_train_job (self, j))
    {
      g_task_return_new_error (task, SM_ENGINE_ERROR, SM_ENGINE_ERROR_BUSY,
                               _("A model is being trained already"));
      return;
    }
  if (cancellable != NULL)
    j->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), j, NULL);
  sm_engine_push_job (self, g_steal_pointer (&task), job_train);
}

char *
sm_engine_train_finish (SmEngine *self, GAsyncResult *result, GError **error)
{
  TrainJob *j;

  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  /* every step's record before the caller hears the run ended */
  j = g_task_get_task_data (G_TASK (result));
  deliver (j);
  g_mutex_lock (&j->lock);
  j->closed = TRUE;
  if (j->flush)
    {
      g_source_destroy (j->flush);
      g_clear_pointer (&j->flush, g_source_unref);
    }
  g_mutex_unlock (&j->lock);
  if (j->cancel_id != 0)
    {
      g_cancellable_disconnect (j->cancellable, j->cancel_id);
      j->cancel_id = 0;
    }
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
sm_engine_is_training (SmEngine *self)
{
  g_autoptr (TrainJob) j = NULL;

  g_return_val_if_fail (SM_IS_ENGINE (self), FALSE);
  j = sm_engine_get_train_job (self, train_job_ref);
  return j != NULL;
}

void
sm_engine_train_set_paused (SmEngine *self, gboolean paused)
{
  g_autoptr (TrainJob) j = NULL;

  g_return_if_fail (SM_IS_ENGINE (self));
  if ((j = sm_engine_get_train_job (self, train_job_ref)) == NULL)
    return;
  g_mutex_lock (&j->lock);
  j->paused = !!paused;
  g_cond_broadcast (&j->cond);
  g_mutex_unlock (&j->lock);
}

gboolean
sm_engine_train_get_paused (SmEngine *self)
{
  g_autoptr (TrainJob) j = NULL;
  gboolean paused;

  g_return_val_if_fail (SM_IS_ENGINE (self), FALSE);
  if ((j = sm_engine_get_train_job (self, train_job_ref)) == NULL)
    return FALSE;
  g_mutex_lock (&j->lock);
  paused = j->paused;
  g_mutex_unlock (&j->lock);
  return paused;
}

void
sm_engine_train_checkpoint_async (SmEngine            *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (TrainJob) j = NULL;
  GTask *task;

  g_return_if_fail (SM_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sm_engine_train_checkpoint_async);
  if ((j = sm_engine_get_train_job (self, train_job_ref)) != NULL)
    {
      g_mutex_lock (&j->lock);
      if (!j->done)
        {
          g_queue_push_tail (&j->checkpoints, g_steal_pointer (&task));   /* the run returns it */
          g_cond_broadcast (&j->cond);
        }
      g_mutex_unlock (&j->lock);
    }
  if (task != NULL)
    {
      g_task_return_new_error (task, SM_ENGINE_ERROR, SM_ENGINE_ERROR_NO_MODEL,
                               _("No model is being trained"));
      g_object_unref (task);
    }
}

int
sm_engine_train_checkpoint_finish (SmEngine *self, GAsyncResult *result, GError **error)
{
  gssize step;

  g_return_val_if_fail (SM_IS_ENGINE (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  step = g_task_propagate_int (G_TASK (result), error);
  return step > 0 ? (int) step : 0;
}
