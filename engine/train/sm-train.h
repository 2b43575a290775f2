/* sm-train.h: training a GPT-style SmallMind model from scratch on the CPU.
 *
 * An SmTrainer owns the parameters (f32, laid out in one flat array and seen through an
 * SmModel whose tensors are views of it, so the model can be sampled or saved at any step),
 * their gradients and AdamW moments, and the activations of one (B, T) micro-batch.  A step
 * runs grad_accum micro-batches of forward + backward (sm-backward.c), clips the gradient by
 * its global norm and applies AdamW at the scheduled learning rate (sm-adamw.c).
 *
 * Reproducible: batches come from a seeded generator, every op reduces in a fixed order, so
 * the same data, parameters, thread count and kernel level give bit-identical weights; a
 * checkpoint stores the weights, both moments and the generator, and resuming from it gives
 * the same loss sequence as never having stopped.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm-model.h"
#include "sm-profiler.h"
#include "sm-tokenizer.h"

G_BEGIN_DECLS

#define SM_TRAIN_ERROR (sm_train_error_quark ())
typedef enum {
  SM_TRAIN_ERROR_INVALID,     /* a hyperparameter or a model the trainer cannot train */
  SM_TRAIN_ERROR_DATA,        /* an empty corpus, bytes that are not UTF-8, too few tokens */
  SM_TRAIN_ERROR_CHECKPOINT,  /* a checkpoint without usable training state */
  SM_TRAIN_ERROR_DIVERGED,    /* the loss became NaN or infinite */
} SmTrainError;
GQuark sm_train_error_quark (void);

typedef struct {
  int     batch_size;     /* B: sequences per micro-batch */
  int     seq_len;        /* T: tokens per sequence (<= the model's context) */
  int     grad_accum;     /* micro-batches summed per optimizer step */
  int     max_steps;      /* optimizer steps of the run: the length of the schedule */
  int     warmup_steps;
  float   lr;             /* peak learning rate */
  float   min_lr;         /* where the cosine ends */
  float   beta1, beta2, eps;
  float   weight_decay;   /* decoupled, on matrices and embeddings, not on norms and biases */
  float   grad_clip;      /* max global gradient norm; <= 0: no clipping */
  guint64 seed;           /* batch sampling */
} SmTrainParams;

/* B 16, T 64, accumulation 1, 1000 steps with 100 of warm-up, lr 1e-3 down to 1e-4,
 * betas 0.9 / 0.95, eps 1e-8, weight decay 0.1, clipping at 1.0, seed 1337. */
void         sm_train_params_init        (SmTrainParams *params);
gboolean     sm_train_params_validate    (const SmTrainParams *params, GError **error);

/* ---- data -------------------------------------------------------------------------------------- */

typedef struct _SmTrainData SmTrainData;

/* Tokenizes @text (@len bytes, -1: nul-terminated) with @tok.  Refuses empty text and text that
 * is not valid UTF-8, naming @what ("train.txt") and the offset of the first bad byte. */
SmTrainData *sm_train_data_new           (SmTokenizer *tok, const char *text, gssize len,
                                          const char *what, GError **error);
/* The files read in order and joined. */
SmTrainData *sm_train_data_new_from_files (SmTokenizer *tok, const char *const *paths,
                                           GError **error);
/* Moves the last @fraction (0 < f < 1) of @data's tokens into a new held-out set. */
SmTrainData *sm_train_data_split         (SmTrainData *data, double fraction);
void         sm_train_data_free          (SmTrainData *data);
const gint32 *sm_train_data_get_tokens   (SmTrainData *data, gsize *n_tokens);
gsize        sm_train_data_n_bytes       (SmTrainData *data);
const char  *sm_train_data_get_name      (SmTrainData *data);

/* ---- tokenizer files ----------------------------------------------------------------------------- */

/* A tokenizer as a small JSON file, the object a checkpoint stores under "tokenizer":
 * {"kind": "bytes"} or {"kind": "bpe", "merges": [a0, b0, a1, b1, ...]}.  Written atomically. */
gboolean     sm_train_tokenizer_save     (SmTokenizer *tok, const char *path, GError **error);
SmTokenizer *sm_train_tokenizer_load     (const char *path, GError **error);

/* ---- the trainer ------------------------------------------------------------------------------- */

typedef struct _SmTrainer SmTrainer;

/* Starts from @init's weights (copied; any f32 GPT model, e.g. sm_model_new_random). */
SmTrainer   *sm_trainer_new              (SmModel *init, const SmTrainParams *params,
                                          GError **error);
/* Continues a run from a checkpoint written by sm_trainer_save (..., TRUE, ...). */
SmTrainer   *sm_trainer_resume           (const char *path, GError **error);
void         sm_trainer_free             (SmTrainer *trainer);

/* The live model (transfer none): its tensors are the trainer's parameters. */
SmModel     *sm_trainer_get_model        (SmTrainer *trainer);
const SmTrainParams *sm_trainer_get_params (SmTrainer *trainer);
/* Lengthens or shortens the schedule (e.g. continuing a finished run). */
gboolean     sm_trainer_set_max_steps    (SmTrainer *trainer, int max_steps, GError **error);
int          sm_trainer_get_step         (SmTrainer *trainer);   /* optimizer steps done */
guint64      sm_trainer_get_tokens_seen  (SmTrainer *trainer);
/* The caller's own record of the run, stored in checkpoints under extra.run (transfer none;
 * add to it freely).  Restored by sm_trainer_resume. */
JsonObject  *sm_trainer_get_run_info     (SmTrainer *trainer);

/* Forward ops time into @forward, backward ops into @backward, zeroing the gradients,
 * clipping and AdamW into @optimizer, each phase inside a scope of that name ("forward",
 * "backward", "optimizer").  Any may be NULL (not timed); they may be one profiler, whose
 * scope tree then splits the step into its phases. */
void         sm_trainer_set_profilers    (SmTrainer *trainer, SmProfiler *forward,
                                          SmProfiler *backward, SmProfiler *optimizer);

/* Whether @data can feed this trainer: tokens inside the vocabulary and at least seq_len + 1
 * of them (one sequence and its next-token targets). */
gboolean     sm_trainer_check_data       (SmTrainer *trainer, SmTrainData *data, GError **error);

typedef struct {
  int     step;        /* the step just taken (1-based) */
  double  loss;        /* mean training loss of its micro-batches, nats per token */
  float   lr;
  double  grad_norm;   /* before clipping */
  guint64 tokens;      /* tokens it consumed */
} SmTrainStepInfo;

/* One optimizer step on random windows of @data. */
gboolean     sm_trainer_step             (SmTrainer *trainer, SmTrainData *data,
                                          SmTrainStepInfo *info, GError **error);

typedef struct {
  double loss;            /* mean nats per predicted token */
  double bits_per_byte;   /* loss · tokens / (bytes · ln 2): comparable across tokenizers */
  gsize  tokens;          /* predicted tokens */
  gsize  bytes;           /* their bytes */
} SmTrainEval;

/* The loss over non-overlapping windows of seq_len tokens (each predicting its next tokens),
 * every window when @max_windows is 0, else that many spread evenly.  Deterministic. */
gboolean     sm_trainer_evaluate         (SmTrainer *trainer, SmTrainData *data,
                                          gsize max_windows, SmTrainEval *eval, GError **error);

/* Writes a SmallMind checkpoint that sm_model_load reads as a model; the training state goes
 * in its metadata (extra.training), and with @with_optimizer the AdamW moments as extra
 * tensors, so sm_trainer_resume can continue.  Atomic: an interrupted save leaves the
 * previous file intact. */
gboolean     sm_trainer_save             (SmTrainer *trainer, const char *path,
                                          gboolean with_optimizer, GError **error);

/* ---- lower level, for tests and tools ------------------------------------------------------------ */

/* Forward over inputs / targets (B, T) (B, T no larger than the params'); returns the mean
 * loss.  Activations are kept for sm_trainer_backward. */
double       sm_trainer_forward          (SmTrainer *trainer, const gint32 *inputs,
                                          const gint32 *targets, int B, int T);
/* Adds the gradient of loss_scale · (the last forward's mean loss) to the gradients. */
void         sm_trainer_backward         (SmTrainer *trainer, float loss_scale);
void         sm_trainer_zero_grad        (SmTrainer *trainer);
/* A named tensor's ("blk.0.attn_qkv.weight") parameters or gradient, as a flat array; NULL
 * for an unknown name. */
float       *sm_trainer_get_param        (SmTrainer *trainer, const char *name, gsize *n);
float       *sm_trainer_get_grad         (SmTrainer *trainer, const char *name, gsize *n);
/* The names of every trained tensor, in checkpoint order (transfer none, NULL-terminated). */
const char *const *sm_trainer_tensor_names (SmTrainer *trainer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmTrainer, sm_trainer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmTrainData, sm_train_data_free)

G_END_DECLS
