/* sm-engine-private.h: what sm-engine.c lends the files of SmEngine's other jobs
 * (sm-engine-train.c): its queue, its settings, and the slot of the training under way. */
#pragma once

#include "sm-engine.h"

G_BEGIN_DECLS

typedef void (*SmEngineJobFunc) (SmEngine *self, GTask *task);

/* Queues @task (the queue takes its reference) for @func on the engine thread. */
void      sm_engine_push_job        (SmEngine *self, GTask *task, SmEngineJobFunc func);
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
