/* sm-ui-test-util.h: what the window's tests share: starting the application as `smallmind`
 * does, waiting on the main loop for a condition, and measuring main-loop stalls. */
#pragma once

#include <gtk/gtk.h>

#include "sm-application.h"
#include "sm-window.h"

G_BEGIN_DECLS

typedef gboolean (*SmTestCondition) (gpointer data);

/* gtk_test_init, plus what the tests' environment needs (see tests/ui/meson.build). */
void            sm_ui_test_init          (int *argc, char ***argv);
/* A scratch directory for conversations and exports, removed by sm_ui_test_cleanup (). */
const char     *sm_ui_test_dir           (void);
void            sm_ui_test_cleanup       (void);

/* Registers and activates a fresh application (non-unique) and returns its window. */
SmApplication  *sm_ui_test_start_app     (SmWindow **window);
/* Runs the main loop until @cond holds; fails the test after @timeout_s. */
void            sm_ui_test_wait          (SmTestCondition cond, gpointer data, double timeout_s,
                                          const char *what);
/* Runs the main loop for @ms. */
void            sm_ui_test_spin          (guint ms);
/* A template child of @widget (of class @type) by name; fails the test when missing. */
GtkWidget      *sm_ui_test_child         (gpointer widget, GType type, const char *name);
/* Types @text into @view as a user would (at the cursor). */
void            sm_ui_test_type          (GtkTextView *view, const char *text);
/* Clicks @widget: its "clicked" (buttons) or "activate" signal, after checking it can be used. */
void            sm_ui_test_click         (GtkWidget *widget);

/* With $SM_UI_SCREENSHOT_DIR set, the screen as drawn now, in that folder as NAME.png (with
 * ImageMagick's import, as a person's screenshot is: for the screenshots); otherwise
 * nothing. */
void            sm_ui_test_screenshot    (const char *name);

/* Conditions for sm_ui_test_wait (): the window's model loads are done; the chat view's reply
 * is over; *(gpointer *) @data was cleared (a weak pointer). */
gboolean        sm_ui_test_loaded          (gpointer window);
gboolean        sm_ui_test_not_generating  (gpointer chat_view);
gboolean        sm_ui_test_pointer_cleared (gpointer data);
/* Closes @window and waits until it is gone. */
void            sm_ui_test_close_window    (SmWindow *window);

/* Main-loop stall meter: a high-priority 5 ms timer notes how late it runs. */
void            sm_ui_test_stall_start   (void);
/* The longest stall since the start, in ms. */
double          sm_ui_test_stall_stop    (void);
/* Of the last start..stop, the longest stall less the time GTK's renderer spent drawing frames
 * in it (the end of the frame clock's layout phase to its after-paint): the main loop held by
 * handlers, layout and everything but rasterizing. */
double          sm_ui_test_stall_own     (void);

/* A SmallMind checkpoint of a GPT model with a long context (random weights, byte tokens),
 * so a reply lasts long enough to be stopped and switched mid-way. */
char           *sm_ui_test_long_model    (void);

G_END_DECLS
