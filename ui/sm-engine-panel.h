/* sm-engine-panel.h: the engine's switches, live while a reply is generated.
 *
 * Memory pool, kernel path (Auto, AVX-512, AVX2, Scalar; a path this CPU lacks is shown but
 * insensitive, with the reason), threads, profiling and the KV cache's type (f32, f16).  Each
 * lives in GSettings and is handed to the engine when it changes; the engine applies it at its
 * next token, the KV cache's type once the reply in progress has ended.
 */
#pragma once

#include <gtk/gtk.h>

#include "sm-engine.h"

G_BEGIN_DECLS

#define SM_TYPE_ENGINE_PANEL (sm_engine_panel_get_type ())
G_DECLARE_FINAL_TYPE (SmEnginePanel, sm_engine_panel, SM, ENGINE_PANEL, GtkWidget)

/* Binds the switches to @settings and applies every setting to @engine now and on change. */
void sm_engine_panel_bind (SmEnginePanel *self, SmEngine *engine, GSettings *settings);

G_END_DECLS
