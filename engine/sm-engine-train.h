/* sm-engine-train.h: training a model on the engine thread (included by sm-engine.h).
 *
 * sm_engine_train_async () trains a new model from scratch (engine/train/'s SmTrainer) as one
 * job of the engine thread, so the window stays responsive however long it runs.  Progress
 * streams back on the caller's main context, a record per optimizer step, delivered in
 * batches (at most one delivery per frame).  Between steps the run can be paused (it waits on
 * a condition, using no CPU), checkpointed (the model as it is now, written atomically to the
 * output file) or stopped (cancel its GCancellable: the finish says G_IO_ERROR_CANCELLED, and
 * a checkpoint taken before stays).  When it ends the trained model is at the output path, for
 * sm_engine_load_async ().
 *
 * One job at a time owns the engine thread: while a training runs, loads, generations and a
 * second training fail at once with SM_ENGINE_ERROR_BUSY rather than wait behind it (a reply
 * asked for in the chat would otherwise hang until the run ends).  The model loaded before
 * stays loaded, untouched.
 */
#pragma once

#include <gio/gio.h>

#include "sm-model.h"
#include "sm-profiler.h"

G_BEGIN_DECLS

typedef struct _SmEngine SmEngine;

typedef struct {
  const char *corpus_path;    /* a UTF-8 text file; NULL: SmallMind's built-in stories */
  gsize       builtin_bytes;  /* of the built-in stories to train on; 0: all (2.2 MB) */
  const char *tokenizer_path; /* from `smallmind-cli train-tokenizer`; NULL: bytes */
  SmPreset    preset;         /* the shape, with each size below that is not 0 replacing its own */
  int         dim, n_layers, n_heads, hidden_dim, context;
  int         steps;          /* optimizer steps (default 500) */
  int         batch_size;     /* sequences per step (default 16) */
  double      lr;             /* peak learning rate (default 1e-3), cosine down to a tenth */
  int         eval_every;     /* validation loss every this many steps; 0: ten times a run */
  int         eval_windows;   /* windows of held-out text per validation (default 32) */
  const char *output_path;    /* the trained model (a .smck file); required */
  const char *name;           /* the model's name; NULL: "SmallMind (trained)" */
  guint64     seed;           /* the weights' and the batches' (default 1337) */
} SmEngineTrainRequest;

/* The defaults above; corpus, shape and output left to the caller (preset Small). */
void        sm_engine_train_request_init  (SmEngineTrainRequest *req);

typedef struct {
  int     step;               /* the step just taken (1-based) */
  int     max_steps;
  double  train_loss;         /* nats per token */
  double  valid_loss;         /* on held-out text, when measured after this step; else NAN */
  double  tokens_per_s;       /* since the start, paused time and validations left out */
  guint64 tokens;             /* trained on so far */
  double  seconds;            /* of training so far, the same way */
  /* per-op totals of the run so far (time, calls, flops), forward and backward passes */
  SmOpStats forward[SM_N_OPS];
  SmOpStats backward[SM_N_OPS];
} SmEngineTrainProgress;

/* Called on the caller's main context, once per step, in order; never after the finish. */
typedef void (*SmEngineTrainFunc) (SmEngine                    *engine,
                                   const SmEngineTrainProgress *progress,
                                   gpointer                     user_data);

/* The finish gives the trained model's path (g_free), or NULL with the error: the corpus's
 * (a missing, empty or non-UTF-8 file), the shape's, SM_ENGINE_ERROR_BUSY, or
 * G_IO_ERROR_CANCELLED when stopped. */
void        sm_engine_train_async         (SmEngine                   *self,
                                           const SmEngineTrainRequest *req,
                                           SmEngineTrainFunc           progress_func,
                                           gpointer                    progress_data,
                                           GDestroyNotify              progress_destroy,
                                           GCancellable               *cancellable,
                                           GAsyncReadyCallback         callback,
                                           gpointer                    user_data);
char       *sm_engine_train_finish        (SmEngine                   *self,
                                           GAsyncResult               *result,
                                           GError                    **error);

/* Whether a training is under way (asked for and not yet finished). */
gboolean    sm_engine_is_training         (SmEngine *self);
/* Holds the run after the step under way, or lets it go on; nothing without a run. */
void        sm_engine_train_set_paused    (SmEngine *self, gboolean paused);
gboolean    sm_engine_train_get_paused    (SmEngine *self);
/* Saves the model as it is now to the run's output path, after the step under way (or at
 * once when paused).  The finish gives the step it was saved at (> 0), or 0 with the error
 * (SM_ENGINE_ERROR_NO_MODEL without a run). */
void        sm_engine_train_checkpoint_async  (SmEngine            *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
int         sm_engine_train_checkpoint_finish (SmEngine            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

G_END_DECLS
