/* sm-snapshot.h: everything about one run, in one value that saves to JSON and loads back.
 *
 * What ran on what (machine, build, program version, models, engine configuration), what the
 * profiler saw (scope tree, per-op table, per-token records, time series, markers, trace) and
 * the run's repeated measurements (each a named list of values, one per repetition, so a
 * comparison can tell a change from run-to-run noise).  The exports (sm-export.h) and the
 * comparison (sm-compare.h) read snapshots; the profiling suite and the window write them.
 *
 * Times in the profiler's records are the profiler's clock (sm_profiler_now_ns ()); the
 * exports shift them to start at 0.
 */
#pragma once

#include <glib.h>

#include "sm-machine.h"
#include "sm-model.h"
#include "sm-profiler.h"
#include "sm-roofline.h"

G_BEGIN_DECLS

#define SM_SNAPSHOT_SCHEMA 1

#define SM_SNAPSHOT_ERROR (sm_snapshot_error_quark ())
typedef enum {
  SM_SNAPSHOT_ERROR_FORMAT,     /* not a snapshot, or a malformed one */
  SM_SNAPSHOT_ERROR_VERSION,    /* written by a newer SmallMind */
} SmSnapshotError;
GQuark sm_snapshot_error_quark (void);

typedef struct {
  char    *name;            /* "SmallMind Small" */
  char    *path;            /* NULL for a preset */
  char    *format;          /* "preset", "gguf" ... */
  char    *arch;            /* "gpt", "llama" */
  char    *types;           /* "f32", "f32+q8_0" ... */
  guint64  params;
  guint64  weight_bytes;
  int      vocab_size;
  int      dim;
  int      n_layers;
  int      n_heads;
  int      context_length;
} SmSnapshotModel;

typedef struct {
  char   *name;             /* "Model_Small_tok_s", "scope:MatMul_512x512" ... */
  char   *unit;             /* "tok/s", "ms", "%" ... */
  GArray *values;           /* double, one per repetition */
} SmMeasurement;

typedef struct {
  int                 schema;
  char               *created;       /* ISO 8601 UTC, when the run was taken */
  char               *label;         /* what ran: "profile --enhanced" ... */
  /* What stretch of the profiler's recording it holds (sm_snapshot_restrict ()): "reply",
   * "model", "session" (since the engine started or its statistics were reset); NULL: all
   * of it (the CLI's runs, which record one thing each). */
  char               *range;
  SmMachineInfo       machine;
  SmBuildInfo         build;
  /* engine configuration */
  gboolean            pool_enabled;
  char               *kernel_level;  /* "avx2" ... */
  int                 threads;
  gboolean            profiling;
  char               *kv_cache;      /* the KV cache's type, "f32" or "f16"; NULL: no session */
  guint64             kv_cache_bytes;
  GPtrArray          *models;        /* SmSnapshotModel */
  /* what the profiler saw */
  GArray             *scopes;        /* SmScopeStats: names interned (the profiler's) or in names */
  GStringChunk       *names;         /* the scope names read from a file; NULL until one is */
  GArray             *ops;           /* SmOpRecord */
  GArray             *tokens;        /* SmTokenRecord */
  GArray             *series;        /* SmProfSample */
  GArray             *markers;       /* SmProfMarker */
  GArray             *trace;         /* SmTraceEvent */
  SmProfilerCounters  counters;
  double              op_cost_ns;    /* one sm_profiler_op on this machine, 0 if not measured */
  GPtrArray          *measurements;  /* SmMeasurement */
  SmRoofline         *roofline;      /* this machine's roof when it was measured; NULL: not
                                      * (and in snapshots written before it was kept) */
  gint64              captured_ns;   /* the profiler clock at sm_snapshot_capture (); not saved */
} SmSnapshot;

/* Scopes of one name added up over the tree (the original reported them this way). */
typedef struct {
  const char *name;
  const char *parent_name;   /* the parent of its first node; NULL at the top */
  gboolean    top;           /* some node of this name is top-level */
  guint64     count;
  guint64     total_ns;      /* inclusive; a node inside another of the same name not again */
  guint64     self_ns;
  guint64     min_ns;
  guint64     max_ns;
  double      mean_ns;
  double      std_ns;
  guint64     rents, hits, misses, sys_allocs;
  gint64      live_delta;
} SmScopeSummary;

/* An empty snapshot stamped now, with this machine and build. */
SmSnapshot       *sm_snapshot_new          (const char *label);
/* Empty, without machine, build or time: to hold a range's base or a list of models. */
SmSnapshot       *sm_snapshot_new_bare     (void);
void              sm_snapshot_free         (SmSnapshot *snap);

/* Copies what @prof has recorded (publishing first when called on its writing thread). */
void              sm_snapshot_capture      (SmSnapshot *snap, SmProfiler *prof);
/* What sm_snapshot_restrict () needs of a base, cheaply: the counters, ops and scopes. */
void              sm_snapshot_capture_base (SmSnapshot *snap, SmProfiler *prof);
/* Fills the engine configuration from the process-wide state (pool, kernels, threads). */
void              sm_snapshot_capture_config (SmSnapshot *snap, gboolean profiling);
/* Adds @model's entry, or gives back the entry of an equal one the snapshot holds already. */
SmSnapshotModel  *sm_snapshot_add_model    (SmSnapshot *snap, SmModel *model);
/* "the last reply", "since the model was loaded", "since the statistics were reset" for a
 * range name; the name itself for one it does not know. */
const char       *sm_snapshot_range_describe (const char *range);
/* Copies of @src's models appended to @dst's. */
void              sm_snapshot_copy_models  (SmSnapshot *dst, const SmSnapshot *src);
/* Keeps what the profiler recorded since @base was captured (sm_snapshot_capture () then, of
 * the same profiler): its ops and counters less @base's, its tokens, samples, markers and
 * trace events from @base's capture time on; @range names the stretch.  The scope tree is
 * dropped when @base had one (a tree cannot be cut in time).  The configuration and the
 * models are the caller's to set. */
void              sm_snapshot_restrict     (SmSnapshot *snap, const SmSnapshot *base,
                                            const char *range);
/* The measurement of that name, created when missing. */
SmMeasurement    *sm_snapshot_measurement  (SmSnapshot *snap, const char *name, const char *unit);
void              sm_measurement_add       (SmMeasurement *m, double value);
SmMeasurement    *sm_snapshot_find_measurement (const SmSnapshot *snap, const char *name);
/* The first value of a measurement, or @fallback. */
double            sm_snapshot_value        (const SmSnapshot *snap, const char *name, double fallback);
double            sm_measurement_median    (const SmMeasurement *m);
double            sm_measurement_min       (const SmMeasurement *m);
double            sm_measurement_max       (const SmMeasurement *m);

/* Sum of the top-level scopes' inclusive time: nested scopes are not counted again. */
guint64           sm_snapshot_total_ns     (const SmSnapshot *snap);
/* SmScopeSummary per name, slowest (inclusive) first. */
GArray           *sm_snapshot_summarize_scopes (const SmSnapshot *snap);
/* "Parent/Child/Grandchild" for scope @index. */
char             *sm_snapshot_scope_path   (const SmSnapshot *snap, guint index);

char             *sm_snapshot_to_json      (const SmSnapshot *snap, gsize *length);
SmSnapshot       *sm_snapshot_from_json    (const char *data, gssize length, GError **error);
SmSnapshot       *sm_snapshot_load         (const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmSnapshot, sm_snapshot_free)

G_END_DECLS
