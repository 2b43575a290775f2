/* sm-compare.h: did it get faster?  Two runs side by side.
 *
 * A run is a JSON snapshot, or (for reports written before snapshots existed) the hot-path
 * table of a Markdown report in the original's shape.  Rules, as the original's comparator had
 * them, with its double counting fixed:
 *   - the overall time is the sum of top-level scopes only;
 *   - verdict: IMPROVED when it changed by less than -10%, REGRESSED above +10%, else STABLE;
 *   - a scope whose time changed by less than 5% either way is unchanged;
 *   - where the snapshots hold repeated measurements, a change inside the run-to-run spread
 *     is marked as noise, not as a change: when the two runs' ranges (min..max over the
 *     repetitions; a run without repetitions is the single value it reports) overlap, some
 *     repetition of the one was as fast as some repetition of the other.
 * Timestamps come from the runs themselves, never from the clock at comparison time.
 */
#pragma once

#include <glib.h>

#include "sm-snapshot.h"

G_BEGIN_DECLS

#define SM_COMPARE_VERDICT_PCT   10.0
#define SM_COMPARE_UNCHANGED_PCT 5.0

typedef enum {
  SM_VERDICT_STABLE = 0,
  SM_VERDICT_IMPROVED,
  SM_VERDICT_REGRESSED,
} SmVerdict;

typedef enum {
  SM_ROW_UNCHANGED = 0,
  SM_ROW_IMPROVED,
  SM_ROW_REGRESSED,
  SM_ROW_NOISE,          /* beyond 5%, but inside the run-to-run spread */
} SmRowStatus;

/* One scope name of a run. */
typedef struct {
  char    *name;
  char    *parent;       /* NULL at the top or when the source does not say */
  gboolean top;          /* counts towards the overall time */
  double   total_ms;     /* inclusive */
  double   self_ms;      /* NAN when the source does not say */
  guint64  calls;
  double   sys_allocs;   /* NAN when unknown */
  double   alloc_mb;     /* an old report's "Alloc (MB)"; NAN when unknown */
} SmProfileRow;

typedef struct {
  char       *source;    /* the file it came from */
  char       *timestamp; /* the snapshot's "created" or the report's "Generated" */
  SmSnapshot *snap;      /* NULL for a Markdown report */
  GPtrArray  *rows;      /* SmProfileRow */
} SmProfile;

/* The rows a run without a scope tree is compared by: each op kind of each pass, in ms per
 * thousand tokens of that pass ("decode matmul per 1k tokens"), all top-level.  What
 * sm_profile_from_snapshot () takes for such a run, and the Markdown report's hot paths. */
GPtrArray   *sm_profile_op_rows       (const SmSnapshot *snap);
/* Detects the kind by content: JSON (a snapshot) or Markdown (a report). */
SmProfile   *sm_profile_load          (const char *path, GError **error);
/* Takes @snap. */
SmProfile   *sm_profile_from_snapshot (SmSnapshot *snap, const char *source);
SmProfile   *sm_profile_from_markdown (const char *text, const char *source, GError **error);
void         sm_profile_free          (SmProfile *profile);
const SmProfileRow *sm_profile_find   (const SmProfile *profile, const char *name);
double       sm_profile_total_ms      (const SmProfile *profile);
/* The run-to-run range of a scope over the repetitions (min and max, ms); FALSE when the run
 * has no repetitions of it. */
gboolean     sm_profile_range         (const SmProfile *profile, const char *name, double *lo,
                                       double *hi);

typedef struct {
  char        *name;
  double       prev_ms, curr_ms;
  double       delta_ms;
  double       delta_pct;
  double       prev_self_ms, curr_self_ms;
  guint64      prev_calls, curr_calls;
  double       prev_allocs, curr_allocs;   /* system allocations, or MB from an old report */
  double       spread_ms;                  /* the wider run's max - min; NAN without repetitions */
  gboolean     within_spread;              /* the runs' ranges overlap */
  SmRowStatus  status;
} SmCompareRow;

typedef struct {
  double       prev_total_ms, curr_total_ms;
  double       total_delta_ms, total_delta_pct;
  double       total_spread_ms;            /* NAN without repeated measurements */
  gboolean     total_is_noise;
  SmVerdict    verdict;
  GPtrArray   *rows;                       /* SmCompareRow of names in both, largest |Δ| first */
  GPtrArray   *only_prev;                  /* names (char *) */
  GPtrArray   *only_curr;
} SmComparison;

SmVerdict    sm_compare_verdict       (double total_delta_pct);
SmRowStatus  sm_compare_row_status    (double delta_pct, gboolean within_spread);
/* Do [a_lo, a_hi] and [b_lo, b_hi] overlap? */
gboolean     sm_compare_ranges_overlap (double a_lo, double a_hi, double b_lo, double b_hi);
const char  *sm_verdict_to_string     (SmVerdict verdict);
const char  *sm_row_status_to_string  (SmRowStatus status);

/* Why two snapshots are of different kinds of run (a training run against the profiling
 * suite, say), or NULL when they are alike or either is a Markdown report. */
char        *sm_profiles_kind_mismatch  (const SmProfile *prev, const SmProfile *curr);

SmComparison *sm_compare_profiles     (const SmProfile *prev, const SmProfile *curr);
void          sm_comparison_free      (SmComparison *cmp);
char         *sm_comparison_to_markdown (const SmComparison *cmp, const SmProfile *prev,
                                         const SmProfile *curr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmProfile, sm_profile_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmComparison, sm_comparison_free)

G_END_DECLS
