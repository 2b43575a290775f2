/* sm-conversation.h: a conversation: its messages in order, a title, and how it becomes a prompt.
 *
 * The messages form a tree, as in llama.cpp's web UI: an edited question or a regenerated reply
 * is a new branch beside the old one (its sibling), and the old branch keeps its later turns.
 * Each message remembers which of its followers is shown, so the conversation shows one path
 * from the first turn to a last one: that path is the list of messages
 * (sm_conversation_get_messages ()), what the prompt is built from, what Markdown shows.
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
/* The title the user gave, else the first words of the first message shown, else
 * "New conversation". */
const char     *sm_conversation_get_title      (SmConversation *self);
gint64          sm_conversation_get_modified   (SmConversation *self);   /* unix seconds */
gint64          sm_conversation_get_modified_ms (SmConversation *self);
/* The messages of the shown path (SmMessage), oldest first. */
GListModel     *sm_conversation_get_messages   (SmConversation *self);
guint           sm_conversation_get_n_messages (SmConversation *self);
SmMessage      *sm_conversation_get_message    (SmConversation *self, guint index);   /* borrowed */
SmMessage      *sm_conversation_get_last       (SmConversation *self);                /* borrowed */
/* Adds @message after the last shown one. */
void            sm_conversation_append         (SmConversation *self, SmMessage *message);
/* Adds @message as a new branch beside @sibling (a message of the conversation) and shows it:
 * the shown path then ends with it; @sibling keeps its branch. */
void            sm_conversation_add_branch     (SmConversation *self, SmMessage *sibling,
                                                SmMessage *message);
/* Removes @message and what followed it on every branch; a sibling is shown in its place. */
void            sm_conversation_remove         (SmConversation *self, SmMessage *message);
void            sm_conversation_clear          (SmConversation *self);
/* How many branches there are where @message is (1: no alternatives), and which one it is
 * (0-based). */
guint           sm_conversation_get_n_branches (SmConversation *self, SmMessage *message);
guint           sm_conversation_get_branch     (SmConversation *self, SmMessage *message);
/* Shows branch @index of those where @message is, with the turns that follow it there. */
void            sm_conversation_select_branch  (SmConversation *self, SmMessage *message,
                                                guint index);
/* A title the user gave (NULL: back to the first words of the first message). */
void            sm_conversation_set_title      (SmConversation *self, const char *title);
/* Whether the title or the text of any message, on any branch, contains @casefolded (a string
 * passed through g_utf8_casefold ()). */
gboolean        sm_conversation_matches        (SmConversation *self, const char *casefolded);
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
/* A saved file's text (@length bytes) parsed and read as sm_conversation_new_from_json (). */
SmConversation *sm_conversation_new_from_data  (const char *data, gsize length, GError **error);
char           *sm_conversation_to_markdown    (SmConversation *self);

G_END_DECLS
