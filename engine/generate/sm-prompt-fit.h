/* sm-prompt-fit.h: the prompt for a model's next reply, fitted into its context.
 *
 * A conversation becomes a prompt in one of two ways.  A model with a chat template of a known
 * family (sm-chat-template.h) gets the turns in that template, after the system prompt, and
 * the reply is the assistant's turn; its markers are control tokens that decoding drops, so a
 * prompt too long for the context cannot be cut inside: the oldest turns go instead, whole,
 * from a user's turn on, and the system prompt stays; when even the last user's turn on is too
 * long the fitting fails with SM_MODEL_ERROR_CONTEXT_FULL, its message naming the sizes (the
 * system prompt's when that alone is too long).  A model without one continues a plain
 * text, and when it is too long its oldest tokens go.  Either way the fitted prompt leaves room
 * for the reply: what was asked for, at most half the context.
 */
#pragma once

#include <glib.h>

#include "sm-chat-template.h"
#include "sm-model.h"

G_BEGIN_DECLS

/* The prompt for @turns in @format: the system turn first when @system_prompt is not empty,
 * then the turns, then the opening of the assistant's turn; when the last turn is the
 * assistant's (a reply being continued) its text is left open instead.  NULL for NONE. */
char     *sm_prompt_build_chat (SmChatFormat format, const char *system_prompt,
                                const SmChatTurn *turns, gsize n_turns);

/* The prompt for @model's next reply: @turns in the model's chat template (after
 * @system_prompt, which only a template uses), or @plain_prompt for a model without one,
 * fitted as above for a reply of @max_tokens (0: as long as the context allows).
 * *@n_tokens (may be NULL) gets the fitted prompt's length in tokens, *@chat (may be NULL)
 * whether the template was used (the prompt is then to be encoded with its special tokens).
 * NULL with the tokenizer's error when the prompt cannot be encoded, or with
 * SM_MODEL_ERROR_CONTEXT_FULL when the template's prompt cannot be made to fit. */
char     *sm_prompt_fit        (SmModel          *model,
                                const char       *plain_prompt,
                                const char       *system_prompt,
                                const SmChatTurn *turns,
                                gsize             n_turns,
                                int               max_tokens,
                                int              *n_tokens,
                                gboolean         *chat,
                                GError          **error);

G_END_DECLS
