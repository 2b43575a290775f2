/* sm-window.h: the playground window: the chat, the model in the header, the engine panel with
 * its toggles and live charts, exports and comparisons.
 *
 * Window actions (menus, shortcuts and tests use them):
 *   win.open-model, win.model-library, win.ab-run (the A/B run window), win.load-model (s: path),
 *   win.load-model-with-tokenizer ((ss)),
 *   win.load-preset (s: "small" | "medium"), win.new-conversation,
 *   win.open-conversation (s: id), win.export-snapshot, win.export-snapshot-to ((ss): format, path;
 *   format "json" | "markdown" | "csv" | "trace" | "png"), win.export-conversation,
 *   win.export-conversation-to ((ss): "markdown" | "json", path), win.toggle-sidebar,
 *   win.markdown (replies as Markdown or raw text; the "markdown" setting),
 *   win.show-page (s: "live" | "sampling" | "compare"), win.toast (s), win.show-error ((ss): title, text).
 */
#pragma once

#include <adwaita.h>

#include "sm-chat-view.h"
#include "sm-conversation-store.h"
#include "sm-engine.h"

G_BEGIN_DECLS

#define SM_TYPE_WINDOW (sm_window_get_type ())
G_DECLARE_FINAL_TYPE (SmWindow, sm_window, SM, WINDOW, AdwApplicationWindow)

/* @store: where conversations are kept (the application's). */
SmWindow   *sm_window_new            (GtkApplication *app, SmConversationStore *store);
/* Loads @model_path (a file, "preset:small"; NULL: the last model, or the built-in one) and
 * sends @prompts (may be NULL) once it is in, each after the previous reply ends. */
void        sm_window_start          (SmWindow *self, const char *model_path, const char *const *prompts);
SmEngine   *sm_window_get_engine     (SmWindow *self);
SmChatView *sm_window_get_chat_view  (SmWindow *self);
/* The model loads are finished and none is pending. */
gboolean    sm_window_get_loading    (SmWindow *self);
/* A widget of the window by its template name, for tests ("engine_panel", "charts_panel" ...). */
GtkWidget  *sm_window_get_part       (SmWindow *self, const char *name);

G_END_DECLS
