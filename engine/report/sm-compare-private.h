/* sm-compare-private.h: what the comparison's files share (sm-profile.c, sm-compare.c,
 * sm-compare-report.c). */
#pragma once

#include "sm-compare.h"

G_BEGIN_DECLS

/* The run-to-run range (min, max) of measurement @name; FALSE when @p has fewer than two
 * values of it or is a Markdown report. */
gboolean sm_profile_measurement_range (const SmProfile *p, const char *name, double *lo,
                                       double *hi);

/* Compares two values with their runs' ranges (a run without repetitions is its one value):
 * the wider range, and whether the ranges overlap.  FALSE when neither run repeated. */
gboolean sm_compare_spread (gboolean has_a, double a, double a_lo, double a_hi,
                            gboolean has_b, double b, double b_lo, double b_hi,
                            double *spread, gboolean *overlap);

G_END_DECLS
