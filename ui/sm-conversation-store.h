/* sm-conversation-store.h: conversations kept on disk, one JSON file each.
 *
 * Files live in $XDG_DATA_HOME/smallmind/conversations (g_get_user_data_dir ()).  A conversation
 * is written shortly after each change, on a writer thread, atomically (a temporary file renamed
 * into place), in the order the changes happened; so a killed process loses at most the reply
 * being generated, and never leaves half a file.  Loading is synchronous: a few small files.
 * A failed write is reported by the "error" signal (a message for the user) on the main context.
 */
#pragma once

#include "sm-conversation.h"

G_BEGIN_DECLS

#define SM_TYPE_CONVERSATION_STORE (sm_conversation_store_get_type ())
G_DECLARE_FINAL_TYPE (SmConversationStore, sm_conversation_store, SM, CONVERSATION_STORE, GObject)

/* @dir: NULL for the user's data directory. */
SmConversationStore *sm_conversation_store_new       (const char *dir);
const char          *sm_conversation_store_get_dir   (SmConversationStore *self);
/* Reads every conversation in the directory (newest first); files that do not parse are
 * skipped and named in @error's message, the others still load.  FALSE only with @error. */
gboolean             sm_conversation_store_load      (SmConversationStore *self, GError **error);
/* The conversations (SmConversation), most recently changed first. */
GListModel          *sm_conversation_store_get_list  (SmConversationStore *self);
/* Starts keeping @conversation: saved on every "changed" from now on. */
void                 sm_conversation_store_add       (SmConversationStore *self,
                                                      SmConversation      *conversation);
/* Forgets @conversation and deletes its file. */
void                 sm_conversation_store_remove    (SmConversationStore *self,
                                                      SmConversation      *conversation);
/* A delete that can be undone: takes @conversation out of the list but keeps its file (brought
 * up to date) until sm_conversation_store_purge ().  If the program ends before that, the file
 * stays: the conversation is back at the next start, nothing lost to a delete not confirmed. */
void                 sm_conversation_store_trash     (SmConversationStore *self,
                                                      SmConversation      *conversation);
/* Puts a trashed conversation back in the list; returns it (borrowed), NULL if @id is not in
 * the trash. */
SmConversation      *sm_conversation_store_restore   (SmConversationStore *self,
                                                      const char          *id);
/* Deletes the file of a trashed conversation (nothing if it was restored since). */
void                 sm_conversation_store_purge     (SmConversationStore *self,
                                                      const char          *id);
/* Writes whatever is pending and waits for the writer. */
void                 sm_conversation_store_flush     (SmConversationStore *self);

G_END_DECLS
