/* sm-markdown-view.h: a reply shown as Markdown while it streams in.
 *
 * Text comes in pieces and only grows (the owner starts over with _clear when it changes
 * otherwise).  Each finished line becomes its block's widget once (a heading, a list item, a
 * quote, a rule, a paragraph line), and the line still being written is the only one laid out
 * again per piece, as the raw view does.  Code blocks are monospace, in labels of a few KB
 * (a label lays out all of its text again on every change), with a button that copies the
 * code.  A line longer than a few KB is shown as plain text.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SM_TYPE_MARKDOWN_VIEW (sm_markdown_view_get_type ())
G_DECLARE_FINAL_TYPE (SmMarkdownView, sm_markdown_view, SM, MARKDOWN_VIEW, GtkWidget)

GtkWidget *sm_markdown_view_new    (void);
void       sm_markdown_view_append (SmMarkdownView *self, const char *text, gssize len);
void       sm_markdown_view_clear  (SmMarkdownView *self);
/* For tests: the code of code block @index as the copy button copies it, or NULL. */
char      *sm_markdown_view_get_code (SmMarkdownView *self, guint index);

G_END_DECLS
