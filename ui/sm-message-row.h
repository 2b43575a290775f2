/* sm-message-row.h: one message in the chat: its text, its figures, and what can be done with it.
 *
 * Actions (for the buttons and for tests): row.copy, row.edit, row.save, row.cancel-edit,
 * row.regenerate, row.previous-branch, row.next-branch.  "edited" carries the new text when an
 * edit is saved; "regenerate" asks for another reply beside this one; "switch-branch" (-1 or +1)
 * asks to show the version before or after this one.  The chat view decides what follows.
 */
#pragma once

#include <gtk/gtk.h>

#include "sm-message.h"

G_BEGIN_DECLS

#define SM_TYPE_MESSAGE_ROW (sm_message_row_get_type ())
G_DECLARE_FINAL_TYPE (SmMessageRow, sm_message_row, SM, MESSAGE_ROW, GtkListBoxRow)

GtkWidget *sm_message_row_new         (SmMessage *message);
SmMessage *sm_message_row_get_message (SmMessageRow *self);
/* Whether this is the newest reply (only that one can be regenerated). */
void       sm_message_row_set_last    (SmMessageRow *self, gboolean last);
/* This message is version @branch (0-based) of @n_branches: "‹ 1/2 ›" shows when there are
 * several. */
void       sm_message_row_set_branch  (SmMessageRow *self, guint branch, guint n_branches);
/* While anything generates, nothing can be edited or regenerated. */
void       sm_message_row_set_busy    (SmMessageRow *self, gboolean busy);
/* Opens the editor with the message's text (as row.edit does). */
void       sm_message_row_begin_edit  (SmMessageRow *self);
/* Show a reply as Markdown (TRUE) or as its raw text.  A person's own messages stay raw. */
void       sm_message_row_set_markdown (SmMessageRow *self, gboolean markdown);
/* Whether the row shows Markdown now (a reply, with Markdown asked for). */
gboolean   sm_message_row_get_markdown (SmMessageRow *self);

G_END_DECLS
