/* sm-engine.c: the engine thread and its async calls.
 *
 * Jobs are GTasks queued to one thread; that thread alone touches the model and session.
 * Settings arrive as atomics and are applied between tokens.  Text goes back through a
 * per-generation buffer that a single source on the caller's context drains, so deliveries
 * coalesce to one per frame however fast tokens come.
 *
 * The live feed is one timeout source on the main context, attached when something changes
 * (feed_poke) and removed after a few quiet ticks; it compares a serial number to decide
 * whether to emit "stats-updated".  It holds only a weak reference, so it never keeps the
 * engine alive and dispose can always remove it.
 */
#define G_LOG_DOMAIN "SmEngine"

#include "sm-engine.h"
#include "sm-engine-private.h"
#include "sm-mapped-file.h"
#include "sm-session.h"
#include "sm-threads.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <unistd.h>

/* One delivery of streamed text per this many ms: a 60 Hz frame. */
#define TEXT_FLUSH_MS 16
#define DEFAULT_STATS_MS 100
#define DEFAULT_SAMPLE_MS 100
/* Quiet feed ticks before the feed source goes away. */
#define FEED_IDLE_TICKS 3

struct _SmEngine {
  GObject      parent_instance;

  GThread     *thread;
  GAsyncQueue *jobs;          /* GTask *, or QUIT_JOB */

  /* engine thread only */
  SmModel     *model;
  SmSession   *session;

  SmProfiler  *prof;

  /* settings waiting for the engine thread: -1 (or 0 for threads) when none */
  gint         pending_pool;
  gint         pending_level;
  gint         pending_threads;
  gint         pending_prof;
  gint         pending_kv;    /* SmKvType, applied between jobs only (sm_engine_set_kv_type) */
  SmKvType     kv_type;       /* engine thread: of the session, and of the next one */

  GMutex       lock;          /* guards stats and model_for_readers */
  SmEngineStats stats;
  SmModel     *model_for_readers;
  gint         stats_serial;  /* atomic: bumped when stats change */
  gpointer     train_job;     /* sm-engine-train.c's run under way, or NULL; guarded by lock */

  /* Where the snapshot ranges start (sm_engine_dup_snapshot ()): the profiler as it stood at
   * the last reset (or start), model load and reply, each a capture of its ops and counters;
   * and the models loaded since the reset.  Guarded by lock. */
  SmSnapshot  *range_base[SM_N_SNAPSHOT_RANGES];
  SmSnapshot  *session_models;
  SmRoofline  *roofline;      /* the last probe's, NULL before one; guarded by lock */

  /* the live feed */
  GMainContext *main_context;
  GMutex       feed_lock;     /* guards the fields below */
  GSource     *feed_source;
  gboolean     feed_pending;  /* poked since the last tick */
  gboolean     disposed;
  guint        feed_interval_ms;
};

enum {
  SIGNAL_STATS_UPDATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SmEngine, sm_engine, G_TYPE_OBJECT)

G_DEFINE_QUARK (sm-engine-error-quark, sm_engine_error)

typedef void (*JobFunc) (SmEngine *self, GTask *task);

/* ---- the live feed ------------------------------------------------------------------------------ */

typedef struct {
  GWeakRef engine;
  guint64  last_serial;
  int      idle_ticks;
} FeedData;

static void
feed_data_free (gpointer p)
{
  FeedData *d = p;
  g_weak_ref_clear (&d->engine);
  g_free (d);
}

static guint64
feed_serial (SmEngine *self)
{
  return sm_profiler_get_serial (self->prof) + (guint64) g_atomic_int_get (&self->stats_serial);
}

/* Main context. */
static gboolean
feed_tick (gpointer data)
{
  FeedData *d = data;
  g_autoptr (SmEngine) self = g_weak_ref_get (&d->engine);
  guint64 serial;
  gboolean pending;

  if (self == NULL)
    return G_SOURCE_REMOVE;
  serial = feed_serial (self);
  g_mutex_lock (&self->feed_lock);
  pending = self->feed_pending;
  self->feed_pending = FALSE;
  if (serial == d->last_serial && !pending && ++d->idle_ticks >= FEED_IDLE_TICKS)
    {
      /* quiet: go away until the next poke */
      if (self->feed_source == g_main_current_source ())
        g_clear_pointer (&self->feed_source, g_source_unref);
      g_mutex_unlock (&self->feed_lock);
      return G_SOURCE_REMOVE;
    }
  g_mutex_unlock (&self->feed_lock);
  if (serial != d->last_serial)
    {
      d->last_serial = serial;
      d->idle_ticks = 0;
      g_signal_emit (self, signals[SIGNAL_STATS_UPDATED], 0);
    }
  return G_SOURCE_CONTINUE;
}

/* Any thread: something changed; make sure the feed is running. */
static void
feed_poke (SmEngine *self)
{
  g_mutex_lock (&self->feed_lock);
  if (self->feed_source != NULL)
    self->feed_pending = TRUE;
  else if (!self->disposed && self->feed_interval_ms > 0)
    {
      FeedData *d = g_new0 (FeedData, 1);
      g_weak_ref_init (&d->engine, self);
      d->last_serial = G_MAXUINT64;   /* the first tick announces */
      self->feed_source = g_timeout_source_new (self->feed_interval_ms);
      g_source_set_priority (self->feed_source, G_PRIORITY_DEFAULT_IDLE);
      g_source_set_callback (self->feed_source, feed_tick, d, feed_data_free);
      g_source_attach (self->feed_source, self->main_context);
    }
  g_mutex_unlock (&self->feed_lock);
}

static void
feed_stop (SmEngine *self)
{
  g_mutex_lock (&self->feed_lock);
  if (self->feed_source)
    {
      g_source_destroy (self->feed_source);
      g_clear_pointer (&self->feed_source, g_source_unref);
    }
  g_mutex_unlock (&self->feed_lock);
}

static void
stats_changed (SmEngine *self)
{
  g_atomic_int_inc (&self->stats_serial);
  feed_poke (self);
}

void
sm_engine_set_stats_interval (SmEngine *self, guint interval_ms)
{
  g_return_if_fail (SM_IS_ENGINE (self));
  feed_stop (self);
  g_mutex_lock (&self->feed_lock);
  self->feed_interval_ms = interval_ms;
  g_mutex_unlock (&self->feed_lock);
  if (interval_ms > 0)
    feed_poke (self);
}

guint
sm_engine_get_stats_interval (SmEngine *self)
{
  guint ms;

  g_return_val_if_fail (SM_IS_ENGINE (self), 0);
  g_mutex_lock (&self->feed_lock);
  ms = self->feed_interval_ms;
  g_mutex_unlock (&self->feed_lock);
  return ms;
}

void
sm_engine_set_sample_interval (SmEngine *self, guint interval_ms, guint capacity)
{
  g_return_if_fail (SM_IS_ENGINE (self));
  if (interval_ms == 0)
    sm_profiler_stop_sampler (self->prof);
  else
    sm_profiler_start_sampler (self->prof, interval_ms, capacity);
}

GArray *
sm_engine_copy_series (SmEngine *self, gint64 since_ns)
{
  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  return sm_profiler_copy_series (self->prof, since_ns);
}

GArray *
sm_engine_copy_tokens (SmEngine *self, gint64 since_ns)
{
  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  return sm_profiler_copy_tokens (self->prof, since_ns);
}

GArray *
sm_engine_copy_trace (SmEngine *self)
{
  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  return sm_profiler_copy_trace (self->prof);
}

GArray *
sm_engine_copy_markers (SmEngine *self)
{
  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  return sm_profiler_copy_markers (self->prof);
}

/* ---- stats ----------------------------------------------------------------------------------- */

void
sm_engine_stats_clear (SmEngineStats *stats)
{
  g_clear_pointer (&stats->model_name, g_free);
  g_clear_pointer (&stats->model_arch, g_free);
  g_clear_pointer (&stats->model_types, g_free);
  g_clear_pointer (&stats->model_vocab, g_free);
  g_clear_pointer (&stats->model_chat, g_free);
}

static void
stats_update_config (SmEngine *self)
{
  g_mutex_lock (&self->lock);
  self->stats.pool_enabled = sm_pool_get_enabled (sm_pool_default ());
  self->stats.kernel_level = sm_kernels_get_level ();
  self->stats.threads = sm_threads_get_count ();
  self->stats.profiling = sm_profiler_get_enabled (self->prof);
  g_mutex_unlock (&self->lock);
  stats_changed (self);
}

void
sm_engine_get_stats (SmEngine *self, SmEngineStats *out)
{
  g_return_if_fail (SM_IS_ENGINE (self));

  g_mutex_lock (&self->lock);
  *out = self->stats;
  out->model_name = g_strdup (self->stats.model_name);
  out->model_arch = g_strdup (self->stats.model_arch);
  out->model_types = g_strdup (self->stats.model_types);
  out->model_vocab = g_strdup (self->stats.model_vocab);
  out->model_chat = g_strdup (self->stats.model_chat);
  g_mutex_unlock (&self->lock);

  /* the profiler's counters read the pool and /proc once for both */
  sm_profiler_get_counters (self->prof, &out->counters);
  sm_profiler_get_ops (self->prof, out->ops);
  out->pool = out->counters.pool;
  out->resident_bytes = out->counters.resident_bytes;
  out->serial = feed_serial (self);
}

SmModel *
sm_engine_dup_model (SmEngine *self)
{
  SmModel *model = NULL;

  g_mutex_lock (&self->lock);
  if (self->model_for_readers)
    model = sm_model_ref (self->model_for_readers);
  g_mutex_unlock (&self->lock);
  return model;
}

SmProfiler *
sm_engine_get_profiler (SmEngine *self)
{
  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  return self->prof;
}

void
sm_engine_set_trace_capacity (SmEngine *self, gsize n_events)
{
  g_return_if_fail (SM_IS_ENGINE (self));
  sm_profiler_set_trace_capacity (self->prof, n_events);
}

char *
sm_engine_find_builtin_model (SmPreset preset)
{
  g_return_val_if_fail (preset < SM_N_PRESETS, NULL);
  return sm_preset_find_checkpoint (preset);
}

/* ---- the machine ----------------------------------------------------------------------------- */

SmKernelLevel
sm_engine_get_best_kernel_level (void)
{
  return sm_kernels_best_level ();
}

gboolean
sm_engine_kernel_level_supported (SmKernelLevel level, const char **why_not)
{
  return sm_kernels_level_supported (level, why_not);
}

const char *
sm_engine_kernel_level_name (SmKernelLevel level)
{
  return sm_kernel_level_to_string (level);
}

gboolean
sm_engine_kernel_level_from_name (const char *name, SmKernelLevel *level)
{
  g_return_val_if_fail (name != NULL && level != NULL, FALSE);
  return sm_kernel_level_from_string (name, level);
}

int
sm_engine_get_max_threads (void)
{
  return SM_MAX_THREADS;
}

gint64
sm_engine_now_ns (void)
{
  return sm_profiler_now_ns ();
}

/* ---- settings -------------------------------------------------------------------------------- */

/* Engine thread: apply whatever changed since the last token. */
static void
apply_settings (SmEngine *self)
{
  int v;
  gboolean changed = FALSE;

  /* Each change leaves a marker (only when it changes something) so charts can show it. */
  if ((v = g_atomic_int_exchange (&self->pending_pool, -1)) >= 0)
    {
      if (sm_pool_get_enabled (sm_pool_default ()) != !!v)
        sm_profiler_add_marker (self->prof, "pool %s", v ? "on" : "off");
      sm_pool_set_enabled (sm_pool_default (), v);
      changed = TRUE;
    }
  if ((v = g_atomic_int_exchange (&self->pending_level, -1)) >= 0)
    {
      g_autoptr (GError) error = NULL;
      SmKernelLevel before = sm_kernels_get_level ();
      /* Validated when it was asked for, so this cannot fail on the same CPU. */
      if (!sm_kernels_set_level ((SmKernelLevel) v, &error))
        g_warning ("%s", error->message);
      if (sm_kernels_get_level () != before)
        sm_profiler_add_marker (self->prof, "kernels %s",
                                sm_kernel_level_to_string (sm_kernels_get_level ()));
      changed = TRUE;
    }
  if ((v = g_atomic_int_exchange (&self->pending_threads, 0)) > 0)
    {
      if (sm_threads_get_count () != v)
        sm_profiler_add_marker (self->prof, "threads %d", v);
      sm_threads_set_count (v);
      changed = TRUE;
    }
  if ((v = g_atomic_int_exchange (&self->pending_prof, -1)) >= 0)
    {
      if (sm_profiler_get_enabled (self->prof) != !!v)
        sm_profiler_add_marker (self->prof, "profiling %s", v ? "on" : "off");
      sm_profiler_set_enabled (self->prof, v);
      changed = TRUE;
    }
  if (changed)
    stats_update_config (self);
}

/* Engine thread, between jobs: the session a generation holds is never swapped under it. */
static void
apply_kv_type (SmEngine *self)
{
  int v = g_atomic_int_exchange (&self->pending_kv, -1);

  if (v < 0 || (SmKvType) v == self->kv_type)
    return;
  self->kv_type = (SmKvType) v;
  sm_profiler_add_marker (self->prof, "kv cache %s", sm_kv_type_to_string (self->kv_type));
  if (self->session != NULL)
    {
      /* the cache starts empty: the next reply evaluates its prompt into the new one (the
       * old one goes first, so the two are never held at once) */
      SmSession *session;
      g_clear_pointer (&self->session, sm_session_free);
      session = sm_session_new_full (self->model, sm_pool_default (), 0, self->kv_type, NULL);
      self->session = session;
      sm_session_set_profiler (session, self->prof);
      sm_profiler_set_context (self->prof, 0, sm_session_get_n_ctx (session));
      sm_profiler_flush (self->prof);
    }
  g_mutex_lock (&self->lock);
  self->stats.kv_type = self->kv_type;
  self->stats.kv_bytes = self->session ? sm_session_get_kv_bytes (self->session) : 0;
  self->stats.gen.context_used = 0;
  self->stats.gen.cached_tokens = 0;
  g_mutex_unlock (&self->lock);
  stats_changed (self);
}

static void
job_apply (SmEngine *self, GTask *task)
{
  apply_settings (self);
  g_task_return_boolean (task, TRUE);
}

static void push_job (SmEngine *self, GTask *task, JobFunc func);

static void
queue_apply (SmEngine *self)
{
  /* While a generation runs, its next token applies the change first; this job then finds
   * nothing left to do. */
  GTask *task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_source_tag (task, queue_apply);
  push_job (self, task, job_apply);
}

void
sm_engine_set_pool_enabled (SmEngine *self, gboolean enabled)
{
  g_return_if_fail (SM_IS_ENGINE (self));
  g_atomic_int_set (&self->pending_pool, !!enabled);
  queue_apply (self);
}

gboolean
sm_engine_set_kernel_level (SmEngine *self, SmKernelLevel level, GError **error)
{
  const char *why_not = NULL;

  g_return_val_if_fail (SM_IS_ENGINE (self), FALSE);

  if ((int) level < 0 || level >= SM_KERNEL_N_LEVELS || !sm_kernels_level_supported (level, &why_not))
    {
      g_set_error (error, SM_KERNELS_ERROR, SM_KERNELS_ERROR_UNSUPPORTED,
                   "Cannot use the %s kernels: %s", sm_kernel_level_to_string (level),
                   why_not ? why_not : "unknown level");
      return FALSE;
    }
  g_atomic_int_set (&self->pending_level, (int) level);
  queue_apply (self);
  return TRUE;
}

void
sm_engine_set_threads (SmEngine *self, int n_threads)
{
  g_return_if_fail (SM_IS_ENGINE (self));
  g_atomic_int_set (&self->pending_threads, CLAMP (n_threads, 1, SM_MAX_THREADS));
  queue_apply (self);
}

void
sm_engine_set_profiling (SmEngine *self, gboolean enabled)
{
  g_return_if_fail (SM_IS_ENGINE (self));
  g_atomic_int_set (&self->pending_prof, !!enabled);
  queue_apply (self);
}

void
sm_engine_set_kv_type (SmEngine *self, SmKvType type)
{
  g_return_if_fail (SM_IS_ENGINE (self));
  g_return_if_fail ((int) type >= 0 && type < SM_KV_N_TYPES);
  g_atomic_int_set (&self->pending_kv, (int) type);
  queue_apply (self);
}

const char *
sm_engine_kv_type_name (SmKvType type)
{
  return sm_kv_type_to_string (type);
}

gboolean
sm_engine_kv_type_from_name (const char *name, SmKvType *type)
{
  g_return_val_if_fail (type != NULL, FALSE);
  return sm_kv_type_from_string (name, type);
}

/* ---- the thread ------------------------------------------------------------------------------- */

/* Tells the thread to end; not a task. */
static int quit_marker;
#define QUIT_JOB ((gpointer) &quit_marker)

static gpointer
engine_thread (gpointer data)
{
  /* The queue is ours to keep: the last task's unref may finalize the engine right here. */
  GAsyncQueue *jobs = g_async_queue_ref (((SmEngine *) data)->jobs);

  for (;;)
    {
      gpointer item = g_async_queue_pop (jobs);

      if (item == QUIT_JOB)
        break;

      GTask *task = item;
      SmEngine *self = g_task_get_source_object (task);
      JobFunc func = g_object_get_data (G_OBJECT (task), "sm-job-func");
      apply_settings (self);
      apply_kv_type (self);
      func (self, task);
      g_object_unref (task);
    }

  g_async_queue_unref (jobs);
  return NULL;
}

static void
push_job (SmEngine *self, GTask *task, JobFunc func)
{
  g_object_set_data (G_OBJECT (task), "sm-job-func", func);
  g_async_queue_push (self->jobs, task);   /* the queue owns the task's reference */
}

/* ---- for the other jobs' files (sm-engine-private.h) ---------------------------------------- */

void
sm_engine_push_job (SmEngine *self, GTask *task, SmEngineJobFunc func)
{
  push_job (self, task, func);
}

SmModel *
sm_engine_thread_get_model (SmEngine *self)
{
  return self->model;
}

void
sm_engine_apply_settings (SmEngine *self)
{
  apply_settings (self);
}

gboolean
sm_engine_claim_train_job (SmEngine *self, gpointer job)
{
  gboolean free_slot;

  g_mutex_lock (&self->lock);
  if ((free_slot = self->train_job == NULL))
    self->train_job = job;
  g_mutex_unlock (&self->lock);
  return free_slot;
}

gpointer
sm_engine_get_train_job (SmEngine *self, gpointer (*ref) (gpointer))
{
  gpointer job;

  g_mutex_lock (&self->lock);
  job = self->train_job ? ref (self->train_job) : NULL;
  g_mutex_unlock (&self->lock);
  return job;
}

void
sm_engine_clear_train_job (SmEngine *self)
{
  g_mutex_lock (&self->lock);
  self->train_job = NULL;
  g_mutex_unlock (&self->lock);
}

gboolean
sm_engine_refuse_while_training (SmEngine *self, GTask *task)
{
  gboolean training;

  g_mutex_lock (&self->lock);
  training = self->train_job != NULL;
  g_mutex_unlock (&self->lock);
  if (training)
    g_task_return_new_error (task, SM_ENGINE_ERROR, SM_ENGINE_ERROR_BUSY,
                             _("A model is being trained: stop the training first"));
  return training;
}

/* ---- load ------------------------------------------------------------------------------------- */

typedef struct {
  char    *path;
  char    *tokenizer_path;
  gboolean preset;
  gboolean builtin;    /* the trained checkpoint when there is one (sm_model_load_builtin ()) */
  SmPreset which;
  guint64  seed;
} LoadData;

static void
load_data_free (gpointer p)
{
  LoadData *d = p;
  g_free (d->path);
  g_free (d->tokenizer_path);
  g_free (d);
}

/* A range starts now: what the profiler has published so far is its base. */
static void
range_start (SmEngine *self, SmSnapshotRange range)
{
  SmSnapshot *base = sm_snapshot_new_bare ();

  sm_snapshot_capture_base (base, self->prof);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->range_base[range], sm_snapshot_free);
  self->range_base[range] = base;
  g_mutex_unlock (&self->lock);
}

static void
install_model (SmEngine *self, SmModel *model)
{
  const SmModelConfig *c = sm_model_get_config (model);
  SmSession *session;

  /* The old model's session (its KV cache and packed weights) and the old model itself go
   * before the new session is made, so the peak holds one of each, not both models'. */
  g_clear_pointer (&self->session, sm_session_free);
  g_clear_pointer (&self->model, sm_model_unref);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->model_for_readers, sm_model_unref);
  self->model_for_readers = sm_model_ref (model);
  g_mutex_unlock (&self->lock);
  session = sm_session_new_full (model, sm_pool_default (), 0, self->kv_type, NULL);
  self->model = model;
  self->session = session;
  sm_session_set_profiler (session, self->prof);

  g_mutex_lock (&self->lock);
  g_free (self->stats.model_name);
  g_free (self->stats.model_arch);
  g_free (self->stats.model_types);
  g_free (self->stats.model_vocab);
  g_free (self->stats.model_chat);
  self->stats.model_name = g_strdup (sm_model_get_name (model));
  self->stats.model_vocab = sm_model_describe_vocab (model);
  self->stats.model_chat = g_strdup (sm_chat_format_display_name (sm_model_get_chat_format (model)));
  self->stats.model_arch = g_strdup (sm_arch_info (c->arch)->name);
  self->stats.model_types = sm_model_describe_types (model);
  self->stats.model_params = sm_model_n_params (model);
  self->stats.chat_format = sm_model_get_chat_format (model);
  /* the last reply's figures were another model's */
  memset (&self->stats.gen, 0, sizeof self->stats.gen);
  self->stats.prefill_tps = 0;
  self->stats.decode_tps = 0;
  self->stats.gen.context_size = sm_session_get_n_ctx (session);
  self->stats.kv_type = self->kv_type;
  self->stats.kv_bytes = sm_session_get_kv_bytes (session);
  g_mutex_unlock (&self->lock);
  sm_profiler_add_marker (self->prof, "model %s", sm_model_get_name (model));
  sm_profiler_set_context (self->prof, 0, sm_session_get_n_ctx (session));
  sm_profiler_flush (self->prof);
  range_start (self, SM_SNAPSHOT_RANGE_MODEL);
  range_start (self, SM_SNAPSHOT_RANGE_REPLY);
  g_mutex_lock (&self->lock);
  sm_snapshot_add_model (self->session_models, model);
  g_mutex_unlock (&self->lock);
  stats_changed (self);
#ifdef __GLIBC__
  /* The last model and its session are gone: malloc keeps the pages they freed, among the
   * small blocks still in use, and an hour of switching models left tens of MB free but
   * resident (tools/soak).  A load is rare and slow beside the trim's walk of the heaps. */
  malloc_trim (0);
#endif
}

static void
job_load (SmEngine *self, GTask *task)
{
  LoadData *d = g_task_get_task_data (task);
  GError *error = NULL;
  SmModel *model;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (d->builtin)
    model = sm_model_load_builtin (d->which, d->seed, &error);
  else if (d->preset)
    model = sm_model_new_preset (d->which, d->seed);
  else
    model = sm_model_load (d->path, d->tokenizer_path, &error);

  /* A failed load leaves the previous model in place. */
  if (model == NULL)
    {
      if (g_error_matches (error, SM_MODEL_ERROR, SM_MODEL_ERROR_TOKENIZER))
        {
          error->domain = SM_ENGINE_ERROR;
          error->code = SM_ENGINE_ERROR_TOKENIZER;
        }
      g_task_return_error (task, error);
      return;
    }
  install_model (self, model);
  g_task_return_boolean (task, TRUE);
}

void
sm_engine_load_async (SmEngine            *self,
                      const char          *path,
                      const char          *tokenizer_path,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task;
  LoadData *d;

  g_return_if_fail (SM_IS_ENGINE (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sm_engine_load_async);
  d = g_new0 (LoadData, 1);
  d->path = g_strdup (path);
  d->tokenizer_path = g_strdup (tokenizer_path);
  g_task_set_task_data (task, d, load_data_free);
  if (sm_engine_refuse_while_training (self, task))
    {
      g_object_unref (task);
      return;
    }
  push_job (self, task, job_load);
}

gboolean
sm_engine_load_finish (SmEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* A preset's load job: its random weights, or (@builtin) the trained checkpoint when found. */
static void
push_preset_load (SmEngine *self, gpointer tag, SmPreset preset, gboolean builtin, guint64 seed,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  LoadData *d = g_new0 (LoadData, 1);

  g_task_set_source_tag (task, tag);
  d->preset = !builtin;
  d->builtin = builtin;
  d->which = preset;
  d->seed = seed;
  g_task_set_task_data (task, d, load_data_free);
  if (sm_engine_refuse_while_training (self, task))
    {
      g_object_unref (task);
      return;
    }
  push_job (self, task, job_load);
}

void
sm_engine_load_preset_async (SmEngine            *self,
                             SmPreset             preset,
                             guint64              seed,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (SM_IS_ENGINE (self));
  g_return_if_fail (preset < SM_N_PRESETS);
  push_preset_load (self, sm_engine_load_preset_async, preset, FALSE, seed, cancellable,
                    callback, user_data);
}

gboolean
sm_engine_load_preset_finish (SmEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
sm_engine_load_builtin_async (SmEngine            *self,
                              SmPreset             preset,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (SM_IS_ENGINE (self));
  g_return_if_fail (preset < SM_N_PRESETS);
  push_preset_load (self, sm_engine_load_builtin_async, preset, TRUE, 42, cancellable,
                    callback, user_data);
}

gboolean
sm_engine_load_builtin_finish (SmEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- generate ----------------------------------------------------------------------------------- */

/* Shared by the engine thread (producer) and the caller's context (consumer); refcounted
 * because a flush source may outlive the task. */
typedef struct {
  gint              ref_count;
  SmEngine         *engine;        /* borrowed: the task holds a reference */
  char             *prompt;
  SmGenerateParams  params;
  char            **stop;          /* owned copy behind params.stop */
  SmEngineTextFunc  text_func;
  gpointer          text_data;
  GDestroyNotify    text_destroy;
  GMainContext     *context;

  GMutex            lock;
  GString          *text;          /* produced, not yet delivered */
  GSource          *flush;         /* scheduled delivery, or NULL */
  gboolean          closed;        /* finish ran: deliver nothing more */
  SmGenerateStats   stats;

  /* profiler bookkeeping, engine thread only */
  gint64            t_job;         /* profiler clock when the job started */
  gint64            t_prefill_end; /* at the first before_token; 0 until then */
  gboolean          prefill_recorded;
  guint64           allocs_counted; /* the pool's system allocations told to the profiler
                                    * so far: the prefill's at the first token, each token's
                                    * after it, so the live feed moves while a reply runs */
} GenData;

static GenData *
gen_data_ref (GenData *g)
{
  g_atomic_int_inc (&g->ref_count);
  return g;
}

static void
gen_data_unref (gpointer p)
{
  GenData *g = p;

  if (!g_atomic_int_dec_and_test (&g->ref_count))
    return;
  if (g->text_destroy)
    g->text_destroy (g->text_data);
  g_free (g->prompt);
  g_strfreev (g->stop);
  g_main_context_unref (g->context);
  g_mutex_clear (&g->lock);
  g_string_free (g->text, TRUE);
  g_free (g);
}

/* Caller's context: hand over what has accumulated. */
static void
deliver (GenData *g)
{
  g_autofree char *text = NULL;

  g_mutex_lock (&g->lock);
  if (g->text->len > 0 && !g->closed)
    {
      text = g_strndup (g->text->str, g->text->len);
      g_string_truncate (g->text, 0);
    }
  g_mutex_unlock (&g->lock);

  if (text && g->text_func)
    g->text_func (g->engine, text, g->text_data);
}

static gboolean
flush_cb (gpointer data)
{
  GenData *g = data;

  g_mutex_lock (&g->lock);
  g_clear_pointer (&g->flush, g_source_unref);
  g_mutex_unlock (&g->lock);
  deliver (g);
  return G_SOURCE_REMOVE;
}

/* Engine thread: text from the generation loop. */
static void
on_text (const char *text, gsize len, gpointer user)
{
  GenData *g = user;

  g_mutex_lock (&g->lock);
  /* SmEngineTextFunc takes a string without a length: a NUL in the text (a byte-level model
   * may sample byte 0) would cut off the rest of the delivery, so it goes out as U+FFFD. */
  for (const char *nul; len > 0 && (nul = memchr (text, '\0', len)) != NULL; )
    {
      g_string_append_len (g->text, text, nul - text);
      g_string_append (g->text, "\xef\xbf\xbd");
      len -= (gsize) (nul - text) + 1;
      text = nul + 1;
    }
  g_string_append_len (g->text, text, len);
  if (g->flush == NULL && !g->closed)
    {
      /* The first text goes out at once (time to first token is felt); later text waits
       * for the frame so deliveries coalesce. */
      g->flush = g->stats.generated_tokens <= 1 ? g_idle_source_new ()
                                                : g_timeout_source_new (TEXT_FLUSH_MS);
      g_source_set_priority (g->flush, G_PRIORITY_DEFAULT);
      g_source_set_callback (g->flush, flush_cb, gen_data_ref (g), gen_data_unref);
      g_source_attach (g->flush, g->context);
    }
  g_mutex_unlock (&g->lock);
}

/* Gives the profiler the system allocations made since the last call, as @kind's. */
static void
count_allocs (GenData *g, SmTokenKind kind)
{
  guint64 now = sm_pool_count_system_allocs (sm_pool_default ());

  sm_profiler_add_allocs (g->engine->prof, kind, now - g->allocs_counted);
  g->allocs_counted = now;
}

/* Engine thread.  The prefill's record is written once its token count is known (the first
 * progress, or the end); its ends were taken at the job's start and the first before_token. */
static void
record_prefill (GenData *g, const SmGenerateStats *stats)
{
  SmProfiler *prof = g->engine->prof;

  if (g->prefill_recorded || g->t_prefill_end == 0)
    return;
  g->prefill_recorded = TRUE;
  sm_profiler_token_add (prof, SM_TOKEN_PREFILL, stats->prompt_tokens - stats->cached_tokens,
                         stats->cached_tokens, g->t_job, g->t_prefill_end);
  sm_profiler_set_ttft (prof, stats->ttft_us * 1000);
}

static gboolean
on_before_token (gpointer user)
{
  GenData *g = user;
  SmEngine *self = g->engine;

  apply_settings (self);
  if (g->t_prefill_end == 0)
    {
      /* the prompt has just been evaluated */
      g->t_prefill_end = sm_profiler_now_ns ();
      count_allocs (g, SM_TOKEN_PREFILL);
    }
  /* this token: sampled now, evaluated at the current position (cancelled if it never is) */
  sm_profiler_token_begin (self->prof, SM_TOKEN_DECODE, sm_session_get_pos (self->session));
  return TRUE;
}

static void
on_progress (const SmGenerateStats *stats, gpointer user)
{
  GenData *g = user;
  SmEngine *self = g->engine;

  record_prefill (g, stats);
  sm_profiler_token_end (self->prof, 1);
  count_allocs (g, SM_TOKEN_DECODE);
  sm_profiler_set_context (self->prof, stats->context_used, stats->context_size);

  g_mutex_lock (&g->lock);
  g->stats = *stats;
  g_mutex_unlock (&g->lock);

  g_mutex_lock (&self->lock);
  self->stats.gen = *stats;
  self->stats.prefill_tps = sm_generate_stats_prefill_tps (stats);
  self->stats.decode_tps = sm_generate_stats_decode_tps (stats);
  g_mutex_unlock (&self->lock);
  stats_changed (self);
}

/* Engine thread.  A model with a chat template ends its turns with a marker of the template
 * (<|im_end|> ...): as text it stops the reply and is not shown, whatever the caller asked. */
static void
add_template_stops (GenData *g, SmChatFormat format)
{
  const char *const *extra = sm_chat_format_stop_strings (format);
  g_autoptr (GStrvBuilder) b = NULL;

  if (extra[0] == NULL)
    return;
  b = g_strv_builder_new ();
  if (g->stop)
    g_strv_builder_addv (b, (const char **) g->stop);
  for (const char *const *s = extra; *s; s++)
    if (g->stop == NULL || !g_strv_contains ((const char *const *) g->stop, *s))
      g_strv_builder_add (b, *s);
  g_strfreev (g->stop);
  g->stop = g_strv_builder_end (b);
  g->params.stop = (const char *const *) g->stop;
}

static void
job_generate (SmEngine *self, GTask *task)
{
  GenData *g = g_task_get_task_data (task);
  SmGenerateCallbacks cb = { .text = on_text, .before_token = on_before_token,
                             .progress = on_progress, .user = g };
  GError *error = NULL;
  SmGenerateStats stats;
  gboolean ok;

  if (self->session == NULL)
    {
      g_task_return_new_error (task, SM_ENGINE_ERROR, SM_ENGINE_ERROR_NO_MODEL,
                               _("No model is loaded"));
      return;
    }

  g_mutex_lock (&self->lock);
  self->stats.generating = TRUE;
  /* From here the figures are this reply's, not the last one's: its first come with its
   * first token, and a reader mid-reply (the chat view's save, a live token count) must not
   * take the last reply's for them.  The context in use is the session's still. */
  {
    int used = self->stats.gen.context_used, size = self->stats.gen.context_size;
    memset (&self->stats.gen, 0, sizeof self->stats.gen);
    self->stats.gen.context_used = used;
    self->stats.gen.context_size = size;
  }
  self->stats.prefill_tps = 0;
  self->stats.decode_tps = 0;
  g_mutex_unlock (&self->lock);
  stats_changed (self);

  add_template_stops (g, sm_model_get_chat_format (self->model));
  sm_profiler_flush (self->prof);
  range_start (self, SM_SNAPSHOT_RANGE_REPLY);
  g->t_job = sm_profiler_now_ns ();
  g->allocs_counted = sm_pool_count_system_allocs (sm_pool_default ());
  ok = sm_generate (self->session, g->prompt, &g->params, &cb,
                    g_task_get_cancellable (task), &stats, &error);

  /* a token begun for a sample that ended the generation was never evaluated */
  sm_profiler_token_cancel (self->prof);
  if (ok)
    record_prefill (g, &stats);
  /* what the last sample made, or a prefill that never reached a token */
  count_allocs (g, g->t_prefill_end ? SM_TOKEN_DECODE : SM_TOKEN_PREFILL);
  sm_profiler_set_context (self->prof, sm_session_get_pos (self->session),
                           sm_session_get_n_ctx (self->session));
  sm_profiler_flush (self->prof);

  g_mutex_lock (&g->lock);
  g->stats = stats;
  g_mutex_unlock (&g->lock);
  g_mutex_lock (&self->lock);
  self->stats.generating = FALSE;
  self->stats.gen = stats;
  self->stats.prefill_tps = sm_generate_stats_prefill_tps (&stats);
  self->stats.decode_tps = sm_generate_stats_decode_tps (&stats);
  g_mutex_unlock (&self->lock);
  stats_changed (self);

  /* the window offers to load the file again: it must know this failure from the others, and
   * it sees no layer below SmEngine */
  if (g_error_matches (error, SM_MAPPED_FILE_ERROR, SM_MAPPED_FILE_ERROR_CHANGED))
    {
      error->domain = SM_ENGINE_ERROR;
      error->code = SM_ENGINE_ERROR_MODEL_CHANGED;
    }
  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
sm_engine_generate_async (SmEngine               *self,
                          const char             *prompt,
                          const SmGenerateParams *params,
                          SmEngineTextFunc        text_func,
                          gpointer                text_data,
                          GDestroyNotify          text_destroy,
                          GCancellable           *cancellable,
                          GAsyncReadyCallback     callback,
                          gpointer                user_data)
{
  GTask *task;
  GenData *g;

  g_return_if_fail (SM_IS_ENGINE (self));
  g_return_if_fail (prompt != NULL);
  g_return_if_fail (params != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sm_engine_generate_async);
  /* A cancelled generation still returns its stats: cancellation is a stop reason. */
  g_task_set_check_cancellable (task, FALSE);

  g = g_new0 (GenData, 1);
  g->ref_count = 1;
  g->engine = self;
  g->prompt = g_strdup (prompt);
  g->params = *params;
  g->stop = g_strdupv ((char **) params->stop);
  g->params.stop = (const char *const *) g->stop;
  g->text_func = text_func;
  g->text_data = text_data;
  g->text_destroy = text_destroy;
  g->context = g_main_context_ref_thread_default ();
  g_mutex_init (&g->lock);
  g->text = g_string_new (NULL);
  g_task_set_task_data (task, g, gen_data_unref);
  if (sm_engine_refuse_while_training (self, task))
    {
      g_object_unref (task);
      return;
    }
  push_job (self, task, job_generate);
}

gboolean
sm_engine_generate_finish (SmEngine         *self,
                           GAsyncResult     *result,
                           SmGenerateStats  *stats,
                           GError          **error)
{
  GenData *g;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  /* Deliver what is still buffered before the caller hears the generation ended. */
  g = g_task_get_task_data (G_TASK (result));
  deliver (g);
  g_mutex_lock (&g->lock);
  g->closed = TRUE;
  if (g->flush)
    {
      g_source_destroy (g->flush);
      g_clear_pointer (&g->flush, g_source_unref);
    }
  if (stats)
    *stats = g->stats;
  g_mutex_unlock (&g->lock);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the roofline ------------------------------------------------------------------------------- */

/* Engine thread: the probe times the kernels, so it waits for a reply to end rather than
 * racing it for the cores. */
static void
job_probe_roofline (SmEngine *self, GTask *task)
{
  SmRooflineProbeFlags flags = GPOINTER_TO_INT (g_task_get_task_data (task));
  const gboolean quick = (flags & SM_ROOFLINE_PROBE_QUICK) != 0;
  g_autofree char *path = sm_roofline_cache_path ();
  g_autoptr (SmRoofline) roof = NULL;
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (!quick && !(flags & SM_ROOFLINE_PROBE_AGAIN))
    roof = sm_roofline_load_cache (path, NULL);   /* none, corrupt or another machine's: measure */
  if (roof == NULL)
    {
      if ((roof = sm_roofline_measure (quick, g_task_get_cancellable (task), &error)) == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      if (!quick && !sm_roofline_save_cache (roof, path, &error))
        {
          g_warning ("The roofline was not cached: %s", error->message);
          g_clear_error (&error);
        }
    }
  g_mutex_lock (&self->lock);
  sm_roofline_free (self->roofline);
  self->roofline = sm_roofline_copy (roof);
  g_mutex_unlock (&self->lock);
  stats_changed (self);
  g_task_return_pointer (task, g_steal_pointer (&roof), (GDestroyNotify) sm_roofline_free);
}

void
sm_engine_probe_roofline_async (SmEngine             *self,
                                SmRooflineProbeFlags  flags,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data)
{
  GTask *task;

  g_return_if_fail (SM_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sm_engine_probe_roofline_async);
  g_task_set_task_data (task, GINT_TO_POINTER (flags), NULL);
  push_job (self, task, job_probe_roofline);
}

SmRoofline *
sm_engine_probe_roofline_finish (SmEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

SmRoofline *
sm_engine_dup_roofline (SmEngine *self)
{
  SmRoofline *roof;

  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  g_mutex_lock (&self->lock);
  roof = self->roofline ? sm_roofline_copy (self->roofline) : NULL;
  g_mutex_unlock (&self->lock);
  return roof;
}

/* Worker thread: only the op table and counters of the range, not the series and trace a
 * snapshot copies, since the page asks for this at every stats update. */
static void
points_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SmEngine *self = source;
  SmSnapshotRange range = GPOINTER_TO_INT (data);
  g_autoptr (SmSnapshot) snap = sm_snapshot_new_bare ();

  sm_snapshot_capture_base (snap, self->prof);
  g_mutex_lock (&self->lock);
  sm_snapshot_restrict (snap, self->range_base[range], sm_snapshot_range_name (range));
  g_mutex_unlock (&self->lock);
  g_task_return_pointer (task, sm_roofline_points (snap->ops), (GDestroyNotify) g_array_unref);
}

void
sm_engine_copy_roofline_points_async (SmEngine            *self,
                                      SmSnapshotRange      range,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (SM_IS_ENGINE (self));
  g_return_if_fail (range < SM_N_SNAPSHOT_RANGES);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sm_engine_copy_roofline_points_async);
  g_task_set_task_data (task, GINT_TO_POINTER (range), NULL);
  g_task_run_in_thread (task, points_thread);
}

GArray *
sm_engine_copy_roofline_points_finish (SmEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- object ------------------------------------------------------------------------------------ */

static void
sm_engine_dispose (GObject *object)
{
  SmEngine *self = SM_ENGINE (object);

  g_mutex_lock (&self->feed_lock);
  self->disposed = TRUE;
  g_mutex_unlock (&self->feed_lock);
  feed_stop (self);

  if (self->thread)
    {
      g_async_queue_push (self->jobs, QUIT_JOB);
      if (g_thread_self () == self->thread)
        g_thread_unref (self->thread);   /* the last reference went on our own thread */
      else
        g_thread_join (self->thread);
      self->thread = NULL;
    }
  /* The thread has stopped (or this is it): its state is ours now. */
  g_clear_pointer (&self->session, sm_session_free);
  g_clear_pointer (&self->model, sm_model_unref);
  G_OBJECT_CLASS (sm_engine_parent_class)->dispose (object);
}

static void
sm_engine_finalize (GObject *object)
{
  SmEngine *self = SM_ENGINE (object);

  g_async_queue_unref (self->jobs);
  for (int r = 0; r < SM_N_SNAPSHOT_RANGES; r++)
    g_clear_pointer (&self->range_base[r], sm_snapshot_free);
  g_clear_pointer (&self->session_models, sm_snapshot_free);
  g_clear_pointer (&self->roofline, sm_roofline_free);
  g_clear_pointer (&self->model_for_readers, sm_model_unref);
  sm_engine_stats_clear (&self->stats);
  sm_profiler_free (self->prof);
  g_main_context_unref (self->main_context);
  g_mutex_clear (&self->feed_lock);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (sm_engine_parent_class)->finalize (object);
}

static void
sm_engine_class_init (SmEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sm_engine_dispose;
  object_class->finalize = sm_engine_finalize;

  /**
   * SmEngine::stats-updated:
   *
   * Fresh stats, series samples, token records or markers are there to read; emitted on the
   * main context of the thread that made the engine, at most once per stats interval.
   */
  signals[SIGNAL_STATS_UPDATED] = g_signal_new ("stats-updated", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 0);
}

static void
sm_engine_init (SmEngine *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->feed_lock);
  self->main_context = g_main_context_ref_thread_default ();
  self->feed_interval_ms = DEFAULT_STATS_MS;
  self->pending_pool = -1;
  self->pending_level = -1;
  self->pending_threads = 0;
  self->pending_prof = -1;
  self->pending_kv = -1;
  self->prof = sm_profiler_new ();
  self->session_models = sm_snapshot_new_bare ();
  for (int r = 0; r < SM_N_SNAPSHOT_RANGES; r++)
    range_start (self, r);
  sm_profiler_start_sampler (self->prof, DEFAULT_SAMPLE_MS, 0);
  self->jobs = g_async_queue_new ();
  stats_update_config (self);
  self->thread = g_thread_new ("sm-engine", engine_thread, self);
}

SmEngine *
sm_engine_new (void)
{
  return g_object_new (SM_TYPE_ENGINE, NULL);
}

static const char *const range_names[SM_N_SNAPSHOT_RANGES] = { "reply", "model", "session" };

const char *
sm_snapshot_range_name (SmSnapshotRange range)
{
  g_return_val_if_fail (range < SM_N_SNAPSHOT_RANGES, NULL);
  return range_names[range];
}

gboolean
sm_snapshot_range_from_name (const char *name, SmSnapshotRange *range)
{
  for (int r = 0; r < SM_N_SNAPSHOT_RANGES; r++)
    if (g_strcmp0 (name, range_names[r]) == 0)
      {
        *range = r;
        return TRUE;
      }
  return FALSE;
}

void
sm_engine_reset_stats (SmEngine *self)
{
  g_return_if_fail (SM_IS_ENGINE (self));

  range_start (self, SM_SNAPSHOT_RANGE_SESSION);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->session_models, sm_snapshot_free);
  self->session_models = sm_snapshot_new_bare ();
  if (self->model_for_readers != NULL)
    sm_snapshot_add_model (self->session_models, self->model_for_readers);
  g_mutex_unlock (&self->lock);
  sm_profiler_add_marker (self->prof, "statistics reset");
}

SmSnapshot *
sm_engine_dup_snapshot (SmEngine *self, SmSnapshotRange range, const char *label)
{
  SmSnapshot *snap;
  SmEngineStats st;
  g_autoptr (SmModel) model = NULL;

  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  g_return_val_if_fail (range < SM_N_SNAPSHOT_RANGES, NULL);

  snap = sm_snapshot_new (label ? label : "engine");
  sm_snapshot_capture (snap, self->prof);
  sm_engine_get_stats (self, &st);
  snap->pool_enabled = st.pool_enabled;
  g_free (snap->kernel_level);
  snap->kernel_level = g_strdup (sm_kernel_level_to_string (st.kernel_level));
  snap->threads = st.threads;
  snap->profiling = st.profiling;
  if (st.kv_bytes > 0)
    {
      snap->kv_cache = g_strdup (sm_kv_type_to_string (st.kv_type));
      snap->kv_cache_bytes = st.kv_bytes;
    }
  sm_engine_stats_clear (&st);

  g_mutex_lock (&self->lock);
  sm_snapshot_restrict (snap, self->range_base[range], range_names[range]);
  /* a reply and a model's range ran on the model in force; the session's, on every model
   * loaded since the reset */
  if (range == SM_SNAPSHOT_RANGE_SESSION)
    sm_snapshot_copy_models (snap, self->session_models);
  else
    model = self->model_for_readers ? sm_model_ref (self->model_for_readers) : NULL;
  if (self->roofline != NULL)
    snap->roofline = sm_roofline_copy (self->roofline);
  g_mutex_unlock (&self->lock);
  if (model)
    sm_snapshot_add_model (snap, model);
  return snap;
}
