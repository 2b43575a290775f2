/* sm-generate.h: prompt in, text out: the loop the engine thread and the CLI share.
 *
 * The prompt is the whole text the model should continue.  Its tokens are matched against
 * what the session's KV cache already holds and only the new tail is evaluated, so a chat
 * that grows turn by turn, a regenerated reply or an edited message costs only what changed.
 */
#pragma once

#include <gio/gio.h>

#include "sm-sampler.h"
#include "sm-session.h"

G_BEGIN_DECLS

typedef enum {
  SM_STOP_NONE = 0,
  SM_STOP_MAX_TOKENS,
  SM_STOP_EOS,            /* the model ended the text */
  SM_STOP_STOP_STRING,    /* one of the stop strings appeared */
  SM_STOP_CONTEXT_FULL,   /* no position left in the context (and no context_shift) */
  SM_STOP_CANCELLED,
} SmStopReason;

const char *sm_stop_reason_to_string (SmStopReason reason);

typedef struct {
  SmSamplerParams    sampling;
  int                max_tokens;   /* new tokens at most; <= 0: until EOS or the context is full
                                    * (with context_shift: until EOS, a stop string or cancel) */
  const char *const *stop;         /* NULL-terminated stop strings, or NULL */
  int                add_bos;      /* -1: the tokenizer's default at position 0; 0 / 1 forced */
  gboolean           parse_special; /* a prompt written from a chat template: the markers it
                                     * spells become control tokens (sm_tokenizer_encode_special) */
  gboolean           context_shift; /* a full context makes room and goes on: the newest half
                                     * of it (after a BOS that opened it) is read again from
                                     * position 0, and the reply continues from there */
} SmGenerateParams;

void sm_generate_params_init (SmGenerateParams *params);

typedef struct {
  int          prompt_tokens;     /* tokens of the prompt */
  int          cached_tokens;     /* of which were already in the KV cache */
  int          generated_tokens;
  gint64       prefill_us;        /* evaluating the new prompt tokens */
  gint64       ttft_us;           /* start to the first new token sampled */
  gint64       decode_us;         /* from the first new token to the last */
  gint64       total_us;
  int          context_used;
  int          context_size;
  int          context_shifts;    /* times the context was full and made room (context_shift) */
  SmStopReason stop_reason;
} SmGenerateStats;

/* Tokens per second from the stats (0 when undefined). */
double sm_generate_stats_prefill_tps (const SmGenerateStats *stats);
double sm_generate_stats_decode_tps  (const SmGenerateStats *stats);

typedef struct {
  /* New text, complete UTF-8, with anything that may be the start of a stop string held back
   * until it is known not to be.  Called on the generating thread. */
  void     (*text)         (const char *text, gsize len, gpointer user);
  /* Before each evaluation: apply pending setting changes; FALSE stops (as cancelled). */
  gboolean (*before_token) (gpointer user);
  /* After each new token, with the figures so far. */
  void     (*progress)     (const SmGenerateStats *stats, gpointer user);
  gpointer   user;
  /* Each new token's id as it is sampled, before its text (the end-of-text token is not one);
   * may be NULL.  The A/B run compares replies by their ids. */
  void     (*token)        (gint32 id, gpointer user);
} SmGenerateCallbacks;

/* Continues @prompt.  Returns FALSE with @error only for a failure (the prompt does not fit in
 * the context: SM_MODEL_ERROR_CONTEXT_FULL; a tokenizer error; the model's file truncated or
 * rewritten on disk, before or during the reply: SM_MAPPED_FILE_ERROR_CHANGED, after the text
 * that came from intact weights, see sm-model-file.h); a cancellation is a normal stop
 * (stats->stop_reason == SM_STOP_CANCELLED).  @stats is filled in either case. */
gboolean sm_generate (SmSession                 *session,
                      const char                *prompt,
                      const SmGenerateParams    *params,
                      const SmGenerateCallbacks *callbacks,
                      GCancellable              *cancellable,
                      SmGenerateStats           *stats,
                      GError                   **error);

G_END_DECLS
