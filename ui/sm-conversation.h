/* sm-conversation.h: a conversation: its messages in order, a title, and how it becomes a prompt.
 *
 * A model without a chat template sees a conversation as one text that grows turn after turn:
 * the prompt for the next reply is the messages joined by newlines, and the reply continues it.
 * A model with a template of a known family (sm-chat-template.h) gets the messages as turns in
 * that template, after the system prompt, and the reply is the assistant's turn.  "changed" is emitted whenever something worth saving changed (not for every
 * streamed piece of a reply: the store saves a reply when it ends).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "sm-chat-template.h"
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
/* The prompt for @turns in @format: the system turn first when @system_prompt is not empty,
 * then the turns, then the opening of the assistant's turn; when the last turn is the
 * assistant's (a reply being continued) its text is left open instead.  NULL for NONE. */
char           *sm_chat_prompt_build           (SmChatFormat format, const char *system_prompt,
                                                const SmChatTurn *turns, gsize n_turns);
/* sm_chat_prompt_build () on messages 0 .. @n_messages - 1; for SM_CHAT_FORMAT_NONE the
 * plain prompt of sm_conversation_build_prompt (), without the system prompt. */
char           *sm_conversation_build_chat_prompt (SmConversation *self, guint n_messages,
                                                   SmChatFormat format, const char *system_prompt);

JsonNode       *sm_conversation_to_json        (SmConversation *self);
SmConversation *sm_conversation_new_from_json  (JsonNode *node, GError **error);
char           *sm_conversation_to_markdown    (SmConversation *self);

G_END_DECLS
