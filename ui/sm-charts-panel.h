/* sm-charts-panel.h: the live charts: tok/s, memory, time per op, pool hit rate.
 *
 * Fed from the engine's profiler time series: the panel sets the engine's sampling and feed
 * rates from GSettings (chart-rate, chart-window) and redraws on its "stats-updated" signal,
 * which stops while nothing happens.  Toggle changes appear as markers.
 */
#pragma once

#include <gtk/gtk.h>

#include "sm-engine.h"

G_BEGIN_DECLS

#define SM_TYPE_CHARTS_PANEL (sm_charts_panel_get_type ())
G_DECLARE_FINAL_TYPE (SmChartsPanel, sm_charts_panel, SM, CHARTS_PANEL, GtkWidget)

void     sm_charts_panel_bind      (SmChartsPanel *self, SmEngine *engine, GSettings *settings);
/* Reads the engine now (the panel does it on every "stats-updated"). */
void     sm_charts_panel_refresh   (SmChartsPanel *self);
/* Updates the charts and figures from one read-out at @now_ns (the engine's clock): @stats,
 * the time series (SmProfSample, oldest first; samples before the window are allowed) and the
 * markers (SmProfMarker).  Refresh reads the engine and calls it; tests hand their own. */
void     sm_charts_panel_feed      (SmChartsPanel *self, const SmEngineStats *stats, GArray *series,
                                    GArray *markers, gint64 now_ns);
/* The last reply token by token on the rate and per-op charts, when it is over and was
 * shorter than a few samples: @tokens (SmTokenRecord, oldest first) its prompt's record and
 * each token's, @trace (SmTraceEvent, may be NULL) the op intervals for the per-op split.
 * Otherwise the charts' x axis is time again.  TRUE when the reply is shown by token.  Call
 * it before sm_charts_panel_feed (), which then leaves those charts as they are. */
gboolean sm_charts_panel_feed_reply (SmChartsPanel *self, const SmEngineStats *stats,
                                     GArray *tokens, GArray *trace);
/* The four charts as one PNG, written atomically. */
gboolean sm_charts_panel_write_png (SmChartsPanel *self, const char *path, GError **error);
/* The charts, in order: tok/s, memory, per-op, pool hit rate (for tests). */
GtkWidget *sm_charts_panel_get_chart (SmChartsPanel *self, guint index);

G_END_DECLS
