/* sm-export.h: a snapshot as files people and tools read.
 *
 *   JSON      the snapshot itself (sm_snapshot_to_json); loads back with sm_snapshot_load.
 *   Markdown  the original's report: summary, hot paths (inclusive and self time), top
 *             allocators, kernel GFLOP/s per multiply, per-op table, model throughput, a
 *             scorecard, the repeated measurements.
 *   CSV       one row per scope (by path) or op: kind, name, total_ns, self_ns, share, count,
 *             mean_ns, min_ns, max_ns, std_ns.
 *   Trace     Chrome trace event JSON for Perfetto / chrome://tracing: ops nested in tokens
 *             nested in prefill/decode phases on the engine's track, the scope tree on its own
 *             track, counters for tok/s and memory, markers, the configuration in otherData.
 *
 * Every file is written whole to a temporary file beside the target, synced and renamed over
 * it: a failure leaves the old file (or none) and no partial one, and says which path failed.
 */
#pragma once

#include <glib.h>

#include "sm-snapshot.h"

G_BEGIN_DECLS

/* The seed's figures the scorecard measures against (4-core machine, the original's harness). */
#define SM_SEED_SMALL_TPS      56.0
#define SM_SEED_MEDIUM_TPS     13.0
#define SM_SEED_MATMUL512_MS   906.0     /* 1 warm-up + 3 timed 512² multiplies */
#define SM_SEED_MATMUL512_RUNS 4
#define SM_TARGET_SPEEDUP      100.0
#define SM_TARGET_OVERHEAD_PCT 2.0

gboolean sm_export_write_atomic   (const char *path, const char *data, gssize length,
                                   GError **error);

char    *sm_export_markdown_string (const SmSnapshot *snap);
char    *sm_export_csv_string      (const SmSnapshot *snap);
char    *sm_export_trace_string    (const SmSnapshot *snap);

gboolean sm_export_json           (const SmSnapshot *snap, const char *path, GError **error);
gboolean sm_export_markdown       (const SmSnapshot *snap, const char *path, GError **error);
gboolean sm_export_csv            (const SmSnapshot *snap, const char *path, GError **error);
gboolean sm_export_chrome_trace   (const SmSnapshot *snap, const char *path, GError **error);

G_END_DECLS
