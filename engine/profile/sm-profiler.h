/* sm-profiler.h: where the time goes: per-op timings, a scope tree, per-token records, a
 * bounded time series and markers, read while the engine runs.
 *
 * Cheap by construction.  The forward pass calls sm_profiler_mark () at the start of each
 * chunk and sm_profiler_op () after every op: one clock read per op (an op's time is the time
 * since the previous mark or op), a few adds into a table only the writing thread touches, and
 * nothing at all when the profiler is NULL or switched off.  No lock is taken per op: the
 * writer copies its tables into a shared copy at most every SM_PROFILER_PUBLISH_MS (with a
 * try-lock, so a reader holding the lock delays a publication, never the writer), and readers
 * copy from there.  A sampler thread (optional) turns the shared copy, the pool's counters and
 * the resident memory into a time series every N ms.
 *
 * Threads.  "Writer" calls (mark, op, scopes, tokens, flush) come from one thread at a time:
 * the engine thread, or the CLI's.  Everything else (readers, markers, enable, reset, the
 * sampler) may be called from any thread at any time.
 *
 * The clock is CLOCK_MONOTONIC in nanoseconds.  On x86-64, when the kernel itself uses the
 * invariant TSC as its clock source, the profiler reads the TSC instead and converts (≈20 ns
 * instead of ≈60 ns per read in a VM), which keeps per-op profiling inside its 2% budget for a
 * 50 µs token.  SM_PROFILER_CLOCK=monotonic forces clock_gettime.
 */
#pragma once

#include <glib.h>

#include "sm-kernels.h"
#include "sm-pool.h"

G_BEGIN_DECLS

/* The writer publishes its tables at most this often (and at every flush). */
#define SM_PROFILER_PUBLISH_MS 20

typedef enum {
  SM_OP_EMBED = 0,
  SM_OP_NORM,
  SM_OP_MATMUL,
  SM_OP_ROPE,
  SM_OP_ATTENTION,
  SM_OP_SOFTMAX,
  SM_OP_GELU,
  SM_OP_SILU,
  SM_OP_ADD,
  SM_OP_QUANTIZE,
  SM_OP_LOGITS,
  SM_OP_SAMPLE,
  SM_N_OPS
} SmOpKind;

/* The kind of forward pass an op ran in, as its mark said: a pass over several tokens
 * (a prompt, or the whole context again) runs GEMMs, a pass over one token GEMVs, and the
 * two spend their time differently.  OTHER: a kernel timed on its own (the profiling suite's
 * MatMul_512x512, ...) or training. */
typedef enum {
  SM_OP_PASS_OTHER = 0,
  SM_OP_PASS_PREFILL,
  SM_OP_PASS_DECODE,
  SM_N_OP_PASSES
} SmOpPass;

/* Totals of one op kind over every level and shape. */
typedef struct {
  guint64 count;
  guint64 ns;
  double  flops;
  double  bytes;
} SmOpStats;

/* One row of the per-op table: an op kind at one kernel level in one kind of pass and (when
 * the caller gave it) one shape, e.g. matmul avx2 decode (M, N, K) = (1, 384, 128). */
typedef struct {
  SmOpKind      op;
  SmKernelLevel level;      /* the level in force at the chunk's mark */
  SmOpPass      pass;       /* the pass the chunk's mark named */
  gint32        m, n, k;    /* 0 when not given */
  guint64       count;
  guint64       ns;
  guint64       min_ns;
  guint64       max_ns;
  double        std_ns;     /* sample standard deviation of one call (0 for one call) */
  double        flops;
  double        bytes;
} SmOpRecord;

/* A node of the scope tree (same name under different parents: different nodes). */
typedef struct {
  const char *name;         /* interned */
  gint32      parent;       /* index in the same array, -1 at the top */
  gint32      depth;        /* 0 at the top */
  guint64     count;
  guint64     total_ns;     /* inclusive, the profiler's own bookkeeping taken out */
  guint64     self_ns;      /* total_ns minus the children's total_ns */
  guint64     min_ns;       /* of one call, inclusive */
  guint64     max_ns;
  double      mean_ns;
  double      std_ns;       /* sample standard deviation of one call (0 for one call) */
  /* events of the tracked pool (sm_profiler_set_track_pool) inside the scope, inclusive */
  guint64     rents;
  guint64     hits;
  guint64     misses;
  guint64     sys_allocs;
  gint64      live_delta;   /* pool live bytes at the ends minus at the starts */
} SmScopeStats;

typedef enum {
  SM_TOKEN_PREFILL = 0,     /* a batched evaluation of prompt tokens */
  SM_TOKEN_DECODE,          /* one new token: sample + its evaluation */
} SmTokenKind;

typedef struct {
  gint64  start_ns;
  gint64  dur_ns;
  gint32  kind;             /* SmTokenKind */
  gint32  n_tokens;         /* tokens evaluated */
  gint32  pos;              /* position of the first */
  gint32  reserved;
} SmTokenRecord;

/* One point of the time series.  Rates are over the window since the previous sample and
 * count busy time only (tokens per second while decoding), so an idle gap does not dilute
 * them; `busy` says how much of the window was spent in ops. */
typedef struct {
  gint64  t_ns;
  double  prefill_tps;
  double  decode_tps;
  double  gflops;           /* all ops in the window: flops / op time */
  double  busy;             /* 0..1 */
  guint64 prefill_tokens;   /* cumulative */
  guint64 decode_tokens;
  guint64 resident_bytes;   /* of the process (/proc/self/statm) */
  guint64 pool_live_bytes;
  guint64 pool_peak_bytes;
  guint64 pool_cached_bytes;
  guint64 pool_rents;       /* cumulative */
  guint64 pool_hits;
  guint64 pool_misses;
  guint64 sys_allocs;
  gint32  context_used;
  gint32  context_size;
} SmProfSample;

/* A point in time worth showing on a chart: "kernels avx2", "pool off" ... */
typedef struct {
  gint64 t_ns;
  char   text[56];
} SmProfMarker;

typedef enum {
  SM_TRACE_OP = 0,          /* op: SmOpKind, level: SmKernelLevel */
  SM_TRACE_SCOPE,           /* id: index in the scope array */
  SM_TRACE_TOKEN,           /* op: SmTokenKind, id: position */
} SmTraceType;

/* One timed interval for the trace export (Chrome trace event "X"). */
typedef struct {
  gint64  ts_ns;
  gint64  dur_ns;
  guint8  type;             /* SmTraceType */
  guint8  op;
  guint8  level;
  guint8  pass;             /* SM_TRACE_OP: SmOpPass */
  gint32  id;
  float   flops;
  float   bytes;
} SmTraceEvent;

typedef struct {
  guint64     prefill_tokens;
  guint64     decode_tokens;
  guint64     prefill_ns;
  guint64     decode_ns;
  double      prefill_tps;  /* 0 when undefined */
  double      decode_tps;
  gint64      ttft_ns;      /* of the last generation, -1 when unknown */
  gint32      context_used;
  gint32      context_size;
  guint64     resident_bytes;
  SmPoolStats pool;         /* of the tracked pool (the default pool when none) */
  guint64     prefill_sys_allocs;
  guint64     decode_sys_allocs;
  double      sys_allocs_per_token;   /* decode */
  guint64     ops;          /* op calls recorded */
  guint64     op_ns;
  double      flops;
  guint64     dropped_tokens;  /* records that fell off the bounded buffers */
  guint64     dropped_trace;
} SmProfilerCounters;

typedef struct _SmProfiler SmProfiler;

SmProfiler *sm_profiler_new         (void);
void        sm_profiler_free        (SmProfiler *prof);
/* Off, mark and op return at once; switching on takes effect at the next mark. */
void        sm_profiler_set_enabled (SmProfiler *prof, gboolean enabled);
gboolean    sm_profiler_get_enabled (SmProfiler *prof);
/* Clears everything recorded (the writer drops its own tables at its next call; a scope tree
 * with scopes still open is cleared when they close). */
void        sm_profiler_reset       (SmProfiler *prof);
const char *sm_op_kind_name         (SmOpKind op);
/* "other", "prefill", "decode"; FALSE for a name that is none of them. */
const char *sm_op_pass_name         (SmOpPass pass);
gboolean    sm_op_pass_from_name    (const char *name, SmOpPass *pass);
/* The profiler's clock (see above), in ns. */
gint64      sm_profiler_now_ns      (void);

/* ---- writer ---------------------------------------------------------------------------- */

/* Starts timing: the next op's time counts from here.  The ops up to the next mark belong to
 * @pass (sm_profiler_mark: SM_OP_PASS_OTHER). */
void        sm_profiler_mark        (SmProfiler *prof);
void        sm_profiler_mark_pass   (SmProfiler *prof, SmOpPass pass);
/* Closes an op: its time is now minus the last mark, which moves to now. */
void        sm_profiler_op          (SmProfiler *prof, SmOpKind op, double flops, double bytes);
/* The same with the op's shape (a matmul's M, N, K; 0 for unused), kept as its own row. */
void        sm_profiler_op_shape    (SmProfiler *prof, SmOpKind op, int m, int n, int k,
                                     double flops, double bytes);

/* Nested named scopes (at most 64 deep), e.g. the profiling suite's "MatMul_512x512". */
void        sm_profiler_scope_begin (SmProfiler *prof, const char *name);
void        sm_profiler_scope_end   (SmProfiler *prof);
/* Scopes count @pool's events (reading its stats at each scope's ends, outside the scope's own
 * time), and the sampler and counters read that pool (default: the default pool); NULL stops.
 * Set it before the sampler starts. */
void        sm_profiler_set_track_pool (SmProfiler *prof, SmPool *pool);

void        sm_profiler_token_begin (SmProfiler *prof, SmTokenKind kind, int pos);
void        sm_profiler_token_end   (SmProfiler *prof, int n_tokens);
/* Drops an open token (begun, never evaluated). */
void        sm_profiler_token_cancel (SmProfiler *prof);
/* A record whose ends were measured elsewhere (with sm_profiler_now_ns ()). */
void        sm_profiler_token_add   (SmProfiler *prof, SmTokenKind kind, int n_tokens, int pos,
                                     gint64 start_ns, gint64 end_ns);
void        sm_profiler_set_ttft    (SmProfiler *prof, gint64 ttft_ns);
void        sm_profiler_set_context (SmProfiler *prof, int used, int size);
/* System allocations made during prefill or decode (from pool stats the caller read). */
void        sm_profiler_add_allocs  (SmProfiler *prof, SmTokenKind kind, guint64 sys_allocs);
/* Publishes now (blocking); readers then see everything written so far. */
void        sm_profiler_flush       (SmProfiler *prof);

/* Keeps the latest @n_events op, scope and token intervals (older ones fall off an eighth at
 * a time) for the trace export; 0: none.  (Re)starts the trace at the writer's next call. */
void        sm_profiler_set_trace_capacity (SmProfiler *prof, gsize n_events);

/* ---- any thread ------------------------------------------------------------------------- */

void        sm_profiler_add_marker  (SmProfiler *prof, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Samples every @interval_ms into a ring of @capacity samples (0: 3000) on a thread of its
 * own, which sleeps while nothing happens.  Restarting changes the rate and keeps the ring. */
void        sm_profiler_start_sampler (SmProfiler *prof, guint interval_ms, guint capacity);
void        sm_profiler_stop_sampler  (SmProfiler *prof);
/* Takes one sample now (also without a sampler thread). */
void        sm_profiler_sample_now    (SmProfiler *prof);

/* Bumps whenever fresh data is published or sampled: poll it to know when to redraw. */
guint64     sm_profiler_get_serial  (SmProfiler *prof);
/* Totals per op kind so far (thread-safe copy). */
void        sm_profiler_get_ops     (SmProfiler *prof, SmOpStats ops[SM_N_OPS]);
void        sm_profiler_get_counters (SmProfiler *prof, SmProfilerCounters *counters);
/* Copies (free with g_array_unref); "since" keeps the items at or after that time. */
GArray     *sm_profiler_copy_ops     (SmProfiler *prof);                  /* SmOpRecord */
GArray     *sm_profiler_copy_scopes  (SmProfiler *prof);                  /* SmScopeStats */
GArray     *sm_profiler_copy_tokens  (SmProfiler *prof, gint64 since_ns); /* SmTokenRecord */
GArray     *sm_profiler_copy_series  (SmProfiler *prof, gint64 since_ns); /* SmProfSample */
GArray     *sm_profiler_copy_markers (SmProfiler *prof);                  /* SmProfMarker */
GArray     *sm_profiler_copy_trace   (SmProfiler *prof);                  /* SmTraceEvent */

/* GFLOP/s and GB/s of a row (0 when it took no time). */
double      sm_op_record_gflops     (const SmOpRecord *r);
double      sm_op_record_gbps       (const SmOpRecord *r);

/* What one sm_profiler_op costs here, in ns, measured on a private profiler: in a tight loop,
 * and between kernels (records after SGEMVs streaming 2 MB, as in Small's decode, on against
 * off), where the clock read waits on the kernel's work in flight and the profiler's lines
 * come back from farther caches. */
double      sm_profiler_measure_op_cost (void);
double      sm_profiler_measure_op_cost_between_kernels (void);
/* Resident memory of this process in bytes (0 if unknown). */
guint64     sm_resident_bytes       (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmProfiler, sm_profiler_free)

G_END_DECLS
