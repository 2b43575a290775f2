/* sm-compare-view.h: two runs side by side: the verdict, the deltas, what got better or worse.
 *
 * Either run is a snapshot file (or an old Markdown report), and the newer one may be the
 * current run of the engine.  The comparison is the profiler's (sm-compare.h); this view shows
 * it and exports its Markdown report.  Actions: compare.choose-baseline, compare.choose-current,
 * compare.use-current-run, compare.run, compare.export.
 */
#pragma once

#include <gtk/gtk.h>

#include "sm-engine.h"

G_BEGIN_DECLS

#define SM_TYPE_COMPARE_VIEW (sm_compare_view_get_type ())
G_DECLARE_FINAL_TYPE (SmCompareView, sm_compare_view, SM, COMPARE_VIEW, GtkWidget)

void      sm_compare_view_set_engine    (SmCompareView *self, SmEngine *engine);
/* What "the current run" holds of the engine's recording (default: the last reply). */
void      sm_compare_view_set_range     (SmCompareView *self, SmSnapshotRange range);
/* @current_path NULL: the engine's current run.  Compares at once; FALSE with @error when a run
 * cannot be read (the view shows the error too). */
gboolean  sm_compare_view_compare_files (SmCompareView *self, const char *baseline_path,
                                         const char *current_path, GError **error);
/* The report of the last comparison (Markdown), or NULL. */
char     *sm_compare_view_dup_report    (SmCompareView *self);
/* "IMPROVED", "REGRESSED", "STABLE", or NULL before a comparison. */
const char *sm_compare_view_get_verdict (SmCompareView *self);

G_END_DECLS
