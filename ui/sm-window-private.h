/* sm-window-private.h: what the window's files share (sm-window.c, sm-window-actions.c and,
 * in a build for tools/screenshot, sm-window-screenshot.c).  Not for other widgets: they get
 * what they need through sm-window.h. */
#pragma once

#include <adwaita.h>

#include "sm-charts-panel.h"
#include "sm-chat-view.h"
#include "sm-compare-view.h"
#include "sm-conversation-list.h"
#include "sm-conversation-store.h"
#include "sm-engine-panel.h"
#include "sm-roofline-view.h"
#include "sm-sampling-panel.h"
#include "sm-window.h"

G_BEGIN_DECLS

/* Op, scope and token intervals kept for the Chrome trace (32 bytes each): the profiler keeps
 * the first ones, and recording them costs a tiny model a few per cent while it lasts. */
#define TRACE_EVENTS  (64 * 1024)
#define LOAD_PULSE_MS 120

struct _SmWindow {
  AdwApplicationWindow  parent_instance;

  /* template children */
  AdwWindowTitle       *window_title;
  GtkProgressBar       *load_bar;
  AdwFlap              *flap;
  GtkToggleButton      *sidebar_button;
  GtkWidget            *open_button;
  GtkWidget            *export_button;
  SmChatView           *chat_view;
  SmEnginePanel        *engine_panel;
  SmChartsPanel        *charts_panel;
  SmSamplingPanel      *sampling_panel;
  SmCompareView        *compare_view;
  SmRooflineView       *roofline_view;
  AdwViewStack         *side_stack;
  GtkPopover           *history_popover;

  SmEngine             *engine;
  GSettings            *settings;
  SmConversationStore  *store;
  GCancellable         *cancellable;     /* cancelled when the window goes */
  guint                 loading;         /* model loads under way */
  guint                 load_pulse;
  GtkNativeDialog      *chooser;
  GQueue                startup_prompts; /* char *: sent once the first model is in, in turn */
  gboolean              quiet_load;
  gboolean              closing;         /* disposing: the toasts it dismisses confirm nothing */
#ifdef SM_SCREENSHOT_HOOK
  guint                 pause_chars;     /* SMALLMIND_SCREENSHOT_PAUSE: see sm-window-screenshot.c */
#endif
};

/* sm-window.c */
void sm_window_toast             (SmWindow *self, const char *text);
/* What an exported snapshot and the Compare page's current run hold (the snapshot-range key). */
SmSnapshotRange sm_window_snapshot_range (SmWindow *self);
void sm_window_show_error        (SmWindow *self, const char *title, const char *text);
void sm_window_load_preset       (SmWindow *self, SmPreset preset);
void sm_window_load_file         (SmWindow *self, const char *path, const char *tokenizer_path);
void sm_window_show_conversation (SmWindow *self, SmConversation *conversation);

/* sm-window-actions.c: installs the win.* actions and their shortcuts */
void sm_window_class_add_actions (GtkWidgetClass *widget_class);

#ifdef SM_SCREENSHOT_HOOK
/* sm-window-screenshot.c */
void sm_window_screenshot_hook_init (SmWindow *self);
#endif

G_END_DECLS
