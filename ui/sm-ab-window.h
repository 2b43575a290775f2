/* sm-ab-window.h: the A/B run window: one prompt, two engine configurations run in turns (see
 * sm-engine-ab.h), their replies side by side with the first differing token marked, and a
 * table of the figures with the faster one marked; the result exports as a comparison
 * report. */
#pragma once

#include <adwaita.h>

#include "sm-engine.h"

G_BEGIN_DECLS

#define SM_TYPE_AB_WINDOW (sm_ab_window_get_type ())
G_DECLARE_FINAL_TYPE (SmAbWindow, sm_ab_window, SM, AB_WINDOW, AdwWindow)

/* Opens over @parent with @prompt (may be NULL) and the engine's settings now as A and as B;
 * sampling is read from @settings (may be NULL: greedy). */
SmAbWindow       *sm_ab_window_new         (GtkWindow *parent, SmEngine *engine,
                                            GSettings *settings, const char *prompt);
/* For tests: whether a run is under way, and the last run's result (NULL before one). */
gboolean          sm_ab_window_get_running (SmAbWindow *self);
const SmAbResult *sm_ab_window_get_result  (SmAbWindow *self);

G_END_DECLS
