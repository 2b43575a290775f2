/* sm-wrap-layout.h: a layout manager that measures a wrapping GtkLabel cheaply.
 *
 * GTK 4.8 finds a wrapping label's minimum width by laying its whole text out at the width of
 * one character, a line per character: 23 ms for a 4 KB label on this project's machines, each
 * time its text changes (the tail of a streamed reply changes every token).  Set on a label
 * (gtk_widget_set_layout_manager), this answers the width itself: a character's width at least,
 * the unwrapped text's width at most (one layout, or "wider than a screen" for a long text);
 * heights and the allocation are the label's own.  Only for wrapping labels that fill the
 * width they are given.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SM_TYPE_WRAP_LAYOUT (sm_wrap_layout_get_type ())
G_DECLARE_FINAL_TYPE (SmWrapLayout, sm_wrap_layout, SM, WRAP_LAYOUT, GtkLayoutManager)

/* Makes @label (a wrapping GtkLabel) measure its width through an SmWrapLayout. */
void sm_wrap_layout_attach (GtkLabel *label);

G_END_DECLS
