/* sm-conversation-list.h: the saved conversations, in the header bar's popover.
 *
 * A search entry filters them by title and by the text of their messages (on every branch), and
 * Enter there opens the first one left; the open one is marked.  A row opens its conversation (win.open-conversation) and has
 * buttons to rename it (win.rename-conversation) and delete it (win.delete-conversation, which
 * the window can undo); all take the conversation's id.
 */
#pragma once

#include <gtk/gtk.h>

#include "sm-conversation-store.h"

G_BEGIN_DECLS

#define SM_TYPE_CONVERSATION_LIST (sm_conversation_list_get_type ())
G_DECLARE_FINAL_TYPE (SmConversationList, sm_conversation_list, SM, CONVERSATION_LIST, GtkPopover)

/* Lists the conversations of @store. */
void sm_conversation_list_set_store   (SmConversationList *self, SmConversationStore *store);
/* Marks @conversation as the open one. */
void sm_conversation_list_set_current (SmConversationList *self, SmConversation *conversation);

G_END_DECLS
