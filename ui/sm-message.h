/* sm-message.h: one message of a conversation, and the figures of the run that wrote it.
 *
 * A model object (no widget): the chat view binds rows to it, the conversation store writes it
 * to JSON.  A reply keeps the figures of its generation after it ends, so they are saved with
 * it and shown again when the conversation is restored.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "sm-engine.h"

G_BEGIN_DECLS

typedef enum {
  SM_ROLE_USER = 0,
  SM_ROLE_ASSISTANT,
} SmRole;

/* What a finished reply ran with and how it went (all zero until it has run). */
typedef struct {
  int      prompt_tokens;
  int      cached_tokens;
  double   prefill_ms;
  double   prefill_tps;
  double   ttft_ms;
  int      generated_tokens;
  double   decode_tps;
  int      context_used;
  int      context_size;
  char    *stop_reason;     /* sm_stop_reason_to_string (), NULL before the run ended */
  gboolean pool_enabled;
  char    *kernel_level;    /* "avx2" ... */
  int      threads;
  char    *model;           /* the model that wrote the reply, as the header named it; NULL if unknown */
} SmMessageFigures;

#define SM_TYPE_MESSAGE (sm_message_get_type ())
G_DECLARE_FINAL_TYPE (SmMessage, sm_message, SM, MESSAGE, GObject)

SmMessage              *sm_message_new            (SmRole role, const char *text);
SmRole                  sm_message_get_role       (SmMessage *self);
const char             *sm_message_get_text       (SmMessage *self);
void                    sm_message_set_text       (SmMessage *self, const char *text);
void                    sm_message_append_text    (SmMessage *self, const char *text);
gboolean                sm_message_get_generating (SmMessage *self);
void                    sm_message_set_generating (SmMessage *self, gboolean generating);
/* Progress text while the prompt is read ("about 2 s left"), NULL when none. */
const char             *sm_message_get_status     (SmMessage *self);
void                    sm_message_set_status     (SmMessage *self, const char *status);
/* NULL until a run ended (or for a user message). */
const SmMessageFigures *sm_message_get_figures    (SmMessage *self);
void                    sm_message_set_figures    (SmMessage *self, const SmMessageFigures *figures);
void                    sm_message_clear_figures  (SmMessage *self);
/* The figures from the engine's stats and the configuration in force at the end. */
void                    sm_message_figures_from_stats (SmMessageFigures *figures,
                                                       const SmGenerateStats *stats,
                                                       gboolean pool_enabled,
                                                       const char *kernel_level,
                                                       int threads,
                                                       const char *model);
void                    sm_message_figures_clear  (SmMessageFigures *figures);
/* The line under a reply: "12 prompt tokens · prefill 0.4 ms (30 000 tok/s) · ...". */
char                   *sm_message_format_figures (SmMessage *self);

JsonNode               *sm_message_to_json        (SmMessage *self);
SmMessage              *sm_message_new_from_json  (JsonNode *node, GError **error);

G_END_DECLS
