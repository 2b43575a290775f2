/* sm-engine-private.h: what SmEngine's other files (sm-engine-ab.c) need of the engine
 * thread.  Not for the window: it sees only sm-engine.h. */
#pragma once

#include "sm-engine.h"

G_BEGIN_DECLS

typedef void (*SmEngineJobFunc) (SmEngine *self, GTask *task);

/* Queues @task (the queue takes its reference) to run @func on the engine thread, after the
 * pending settings are applied. */
void     sm_engine_push_job          (SmEngine *self, GTask *task, SmEngineJobFunc func);
/* Engine thread only: the loaded model (borrowed), or NULL. */
SmModel *sm_engine_thread_get_model  (SmEngine *self);

G_END_DECLS
