/* sm-chat-view.h: the conversation with the model: messages, the composer, Send and Stop.
 *
 * Talks to the engine only through sm_engine_generate_async (); the reply streams into its
 * message as the engine delivers text on the main context.  Actions: chat.send (Ctrl+Enter),
 * chat.stop (Escape), chat.regenerate.  Sampling settings are read from GSettings when a reply
 * starts.  Errors go to the window's win.show-error action.
 */
#pragma once

#include <adwaita.h>

#include "sm-conversation.h"
#include "sm-engine.h"

G_BEGIN_DECLS

#define SM_TYPE_CHAT_VIEW (sm_chat_view_get_type ())
G_DECLARE_FINAL_TYPE (SmChatView, sm_chat_view, SM, CHAT_VIEW, GtkWidget)

void            sm_chat_view_set_engine       (SmChatView *self, SmEngine *engine);
void            sm_chat_view_set_settings     (SmChatView *self, GSettings *settings);
SmConversation *sm_chat_view_get_conversation (SmChatView *self);
void            sm_chat_view_set_conversation (SmChatView *self, SmConversation *conversation);
gboolean        sm_chat_view_get_generating   (SmChatView *self);
/* A model was loaded: the context bar and the prompt budget follow it. */
void            sm_chat_view_model_changed    (SmChatView *self);
/* Stops the running reply, if any (as chat.stop does). */
void            sm_chat_view_stop             (SmChatView *self);
/* Refreshes the context bar from the engine (the window calls it at the chart rate). */
void            sm_chat_view_update_context   (SmChatView *self, int used, int size);
/* The text field, for focus and for tests that type into it. */
GtkTextView    *sm_chat_view_get_prompt_view  (SmChatView *self);

/* Shows @toast (taken) above the prompt, over the messages: not over Send. */
void            sm_chat_view_add_toast (SmChatView *self, AdwToast *toast);

G_END_DECLS
