/* sm-engine-private.h: what sm-engine.c lends the files of SmEngine's other jobs
 * (sm-engine-ab.c, sm-engine-train.c): its queue, its settings, its model, and the slot of
 * the training under way.  Not for the window: it sees only sm-engine.h. */
#pragma once

#include "sm-engine.h"

G_BEGIN_DECLS

typedef void (*SmEngineJobFunc) (SmEngine *self, GTask *task);

/* Queues @task (the queue takes its reference) to run @func on the engine thread, after the
 * pending settings are applied. */
void      sm_engine_push_job        (SmEngine *self, GTask *task, SmEngineJobFunc func);
/* Engine thread only: the loaded model (borrowed), or NULL. */
SmModel  *sm_engine_thread_get_model (SmEngine *self);
/* Engine thread: applies the settings changed since the last call (between steps). */
void      sm_engine_apply_settings  (SmEngine *self);
/* The training under way (sm-engine-train.c's), NULL when none.  _claim sets it when the slot
 * is free (FALSE when it is not); _get takes a reference with @ref; all under the engine's
 * lock. */
gboolean  sm_engine_claim_train_job (SmEngine *self, gpointer job);
gpointer  sm_engine_get_train_job   (SmEngine *self, gpointer (*ref) (gpointer));
void      sm_engine_clear_train_job (SmEngine *self);
/* Returns SM_ENGINE_ERROR_BUSY on @task and TRUE while a training runs. */
gboolean  sm_engine_refuse_while_training (SmEngine *self, GTask *task);

G_END_DECLS
