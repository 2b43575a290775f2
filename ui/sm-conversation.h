/* sm-conversation.h: a conversation: its messages in order, a title, and how it becomes a prompt.
 *
 * A model without a chat template sees a conversation as one text that grows turn after turn:
 * the prompt for the next reply is the messages joined by newlines, and the reply continues it.
 * A model with a chat template gets the messages as turns (sm_conversation_dup_turns ()), which
 * the engine writes in that template after the system prompt (sm_engine_fit_prompt_async ()),
 * and the reply is the assistant's turn.  "changed" is emitted whenever something worth saving
 * changed (not for every
 * streamed piece of a reply: the store saves a reply when it ends).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "sm-engine.h"
#include "sm-message.h"

G_BEGIN_DECLS

#define SM_TYPE_CONVERSATION (sm_conversation_get_type ())
G_DECLARE_FINAL_TYPE (SmConversation, sm_conversation, SM, CONVERSATION, GObject)

SmConversation *sm_conversation_new            (void);
const char     *sm_conversation_get_id         (SmConversation *self);
/* The first words of the first message, or "New conversation". */
const char     *sm_conversation_get_title      (SmConversation *self);
gint64          sm_conversation_get_modified   (SmConversation *self);   /* unix seconds */
gint64          sm_conversation_get_modified_ms (SmConversation *self);
/* The messages (SmMessage), oldest first. */
GListModel     *sm_conversation_get_messages   (SmConversation *self);
guint           sm_conversation_get_n_messages (SmConversation *self);
SmMessage      *sm_conversation_get_message    (SmConversation *self, guint index);   /* borrowed */
SmMessage      *sm_conversation_get_last       (SmConversation *self);                /* borrowed */
void            sm_conversation_append         (SmConversation *self, SmMessage *message);
/* Removes the messages from @index to the end. */
void            sm_conversation_truncate       (SmConversation *self, guint index);
void            sm_conversation_clear          (SmConversation *self);
/* Emits "changed" (after an edit of a message in place, a reply that ended ...). */
void            sm_conversation_changed        (SmConversation *self);

/* The text the model continues: messages 0 .. @n_messages - 1 joined ("\n" between turns). */
char           *sm_conversation_build_prompt   (SmConversation *self, guint n_messages);
/* Messages 0 .. @n_messages - 1 as chat turns (roles "user" and "assistant"), their text copied
 * into *@texts, which must outlive the turns (g_strfreev); g_free the turns. */
SmChatTurn     *sm_conversation_dup_turns      (SmConversation *self, guint n_messages,
                                                char ***texts, gsize *n_turns);

JsonNode       *sm_conversation_to_json        (SmConversation *self);
SmConversation *sm_conversation_new_from_json  (JsonNode *node, GError **error);
char           *sm_conversation_to_markdown    (SmConversation *self);

G_END_DECLS
