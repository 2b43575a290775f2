/* sm-roofline-view.h: the Roofline page: every op of the current run as a point, arithmetic
 * intensity (flop/byte) against the GFLOP/s it reached, under this machine's roof.
 *
 * The roof is the engine's probe (sm_engine_probe_roofline_async ()): it runs the first time
 * the page is shown, is cached per machine, and "Measure Again" runs it afresh.  The points
 * are the engine's op records of the window's snapshot range, fetched off the main thread at
 * every "stats-updated" while the page is shown, so they move as a reply runs and as the
 * kernel level, the threads or the pool change.  The roof's lines are those of the thread
 * count in force, the level in force drawn bold, its points filled.
 *
 * Actions: roofline.measure-again, roofline.export-png (a file chooser), roofline.export-to
 * (s: a path).  $SM_ROOFLINE_QUICK=1 makes the probe the quick one (tests).
 */
#pragma once

#include <gtk/gtk.h>

#include "sm-engine.h"

G_BEGIN_DECLS

#define SM_TYPE_ROOFLINE_VIEW (sm_roofline_view_get_type ())
G_DECLARE_FINAL_TYPE (SmRooflineView, sm_roofline_view, SM, ROOFLINE_VIEW, GtkWidget)

void          sm_roofline_view_set_engine  (SmRooflineView *self, SmEngine *engine);
/* Which stretch of the engine's recording the points are of (default: the last reply). */
void          sm_roofline_view_set_range   (SmRooflineView *self, SmSnapshotRange range);

/* What is drawn: the roof (NULL before the probe), the points (SmRoofPoint), whether a probe
 * runs, and the kernel level and threads the roof lines are drawn for. */
const SmRoofline *sm_roofline_view_get_roof   (SmRooflineView *self);
GArray       *sm_roofline_view_get_points  (SmRooflineView *self);
gboolean      sm_roofline_view_get_measuring (SmRooflineView *self);
SmKernelLevel sm_roofline_view_get_level   (SmRooflineView *self);
/* Where point @index sits in the plot's coordinates; FALSE when it is not drawn. */
gboolean      sm_roofline_view_get_point_position (SmRooflineView *self, guint index,
                                                   double *x, double *y);
/* The tooltip at (@x, @y) of the plot, as hovering there shows it; NULL off the points. */
char         *sm_roofline_view_dup_tooltip_at (SmRooflineView *self, double x, double y);
/* The plot and its legend as a PNG file at @path. */
gboolean      sm_roofline_view_write_png   (SmRooflineView *self, const char *path, GError **error);

G_END_DECLS
