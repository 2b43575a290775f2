/* sm-profiler-private.h: the profiler's state and the helpers its files share.
 *
 * The profiler is split by its jobs: sm-profiler.c (lifecycle, requests, publication, tokens,
 * markers and the read side), sm-profiler-clock.c (the clock), sm-profiler-ops.c (op
 * records), sm-profiler-scopes.c (the scope tree), sm-profiler-sampler.c (the sampler thread)
 * and sm-profiler-self.c (what the profiler costs).  The helpers the writer calls on every op
 * are static inline here, so splitting the files costs the hot path nothing.
 */
#pragma once

#include "sm-profiler.h"

#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#define PUBLISH_NS      ((gint64) SM_PROFILER_PUBLISH_MS * 1000000)
#define MAX_DEPTH       64
#define N_SHAPES        1024         /* open addressing, a power of two: the profile suite
                                      * meets ~400 shapes (Small and Medium, every prompt length) */
#define MAX_SHAPES      (N_SHAPES * 3 / 4)
#define TOKEN_STAGE     512          /* writer-side records waiting for publication */
#define TOKEN_RING      8192
#define MARKER_RING     1024
#define DEFAULT_SERIES  3000
#define N_LEVELS        SM_KERNEL_N_LEVELS
/* An op's class: its kernel level in one kind of pass, level + N_LEVELS · pass. */
#define N_CLASSES       (N_LEVELS * SM_N_OP_PASSES)
/* The sampler stops waking at its rate after this many samples with nothing new. */
#define IDLE_SAMPLES    10
#define IDLE_WAIT_US    G_USEC_PER_SEC

enum {
  REQ_RESET = 1 << 0,
  REQ_TRACE = 1 << 1,
};

/* ---- the clock (sm-profiler-clock.c) ------------------------------------------------------ */

extern gboolean clock_tsc;         /* read the TSC and convert */
extern double   tsc_ns_per_tick;
extern guint64  tsc_tick0;
extern gint64   tsc_ns0;

void     sm_profiler_clock_init (void);

static inline gint64
mono_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* Call sm_profiler_clock_init () first (sm_profiler_new does). */
static inline gint64
clock_now (void)
{
#if defined(__x86_64__)
  if (G_LIKELY (clock_tsc))
    return tsc_ns0 + (gint64) ((double) (gint64) (__rdtsc () - tsc_tick0) * tsc_ns_per_tick);
#endif
  return mono_ns ();
}

/* ---- the tables ---------------------------------------------------------------------------- */

typedef struct {
  guint64 count;
  guint64 ns;
  guint64 min_ns;
  guint64 max_ns;
  double  flops;
  double  bytes;
  guint64 shift;          /* the first call's ns: the squares are of the distances from it,
                           * which keeps them small (a variance from raw squares of ~1e9 ns
                           * would cancel away) */
  double  sq;             /* Σ (ns - shift)² */
} OpAcc;

typedef struct {
  guint32 tag;            /* 0: empty; else 1 + op + 32 * class */
  gint32  m, n, k;
  OpAcc   acc;
} ShapeSlot;

typedef struct {
  const char *name;       /* interned */
  gint32      parent;
  gint32      depth;
  gint32      first_child;
  gint32      next_sibling;
  guint64     count;
  guint64     total_ns;
  guint64     children_ns;
  guint64     min_ns;
  guint64     max_ns;
  double      mean;       /* Welford's running mean and sum of squared deviations */
  double      m2;
  guint64     rents, hits, misses, sys_allocs;
  gint64      live_delta;
} ScopeNode;

typedef struct {
  gint32  node;           /* -1: a scope begun while the profiler was off */
  gint64  t0;             /* after the begin's bookkeeping */
  gint64  ovh0;           /* the writer's overhead clock at t0 */
  guint64 rents, hits, misses, sys_allocs, live;
} Frame;

typedef struct {
  guint64 prefill_tokens, decode_tokens;
  guint64 prefill_ns, decode_ns;
  gint64  ttft_ns;
  gint32  ctx_used, ctx_size;
  guint64 prefill_allocs, decode_allocs;
} Totals;

/* The writing thread's own state. */
typedef struct {
  int            gen;              /* the enabled generation armed by the last mark */
  gint64         last;             /* end of the previous op, or the mark */
  int            level;
  int            cls;              /* level + N_LEVELS · the mark's pass */
  gint64         next_publish;

  OpAcc          ops[N_CLASSES][SM_N_OPS];
  ShapeSlot      shapes[N_SHAPES];
  guint          n_shapes;

  GArray        *nodes;            /* ScopeNode */
  Frame          stack[MAX_DEPTH];
  int            depth;
  int            overflow;         /* scopes begun past MAX_DEPTH, ignored */
  gint64         overhead;         /* ns spent in scope bookkeeping so far */
  gboolean       scopes_reset;     /* a reset waits for the open scopes to close */
  SmPool        *track_pool;

  gboolean       token_open;
  SmTokenRecord  open;
  SmTokenRecord  stage[TOKEN_STAGE];
  guint          n_stage;
  guint64        dropped_tokens;
  Totals         totals;

  SmTraceEvent  *trace;            /* ring of trace_cap; shared: see the top of the file */
  gsize          trace_cap;        /* 8 chunks of trace_chunk */
  gsize          trace_chunk;
  guint64        trace_n;          /* events written since the last (re)start */
  guint64        trace_oldest;     /* the writer's copy of the oldest kept */
  guint64        dropped_trace;
} Writer;

struct _SmProfiler {
  _Atomic int     enabled;         /* 0: off; else the generation (bumps on each switch-on) */
  _Atomic int     gen_counter;
  _Atomic int     pending;         /* REQ_* for the writer */
  _Atomic gsize   trace_request;
  _Atomic (GThread *) writer_thread;
  Writer          w;

  GMutex          lock;            /* guards everything below */
  OpAcc           pub_ops[N_CLASSES][SM_N_OPS];
  ShapeSlot       pub_shapes[N_SHAPES];
  GArray         *pub_nodes;       /* ScopeNode */
  Totals          pub_totals;
  SmTokenRecord  *tokens;          /* ring of TOKEN_RING */
  guint           tok_head, tok_len;
  guint64         pub_dropped_tokens;
  guint64         pub_dropped_trace;
  _Atomic guint64 trace_pub;       /* trace events written and readable (w.trace_n) */
  guint64         trace_oldest;    /* the oldest event still in the ring */
  guint64         trace_floor;     /* a reader's reset hides events below this */
  SmProfMarker   *markers;         /* ring of MARKER_RING */
  guint           mk_head, mk_len;
  SmProfSample   *series;          /* ring of series_cap */
  guint           series_cap, s_head, s_len;
  guint64         pub_serial;      /* writer publications */
  guint64         sampled_serial;  /* pub_serial at the last sample */
  SmPoolStats     sampled_pool;
  struct {
    gint64  t;
    guint64 prefill_tokens, decode_tokens, prefill_ns, decode_ns, op_ns;
    double  flops;
    gboolean valid;
  } prev;                          /* raw totals at the last sample, for window rates */
  _Atomic guint64 serial;

  /* sampler */
  GMutex          s_lock;
  GCond           s_cond;
  GThread        *s_thread;
  gboolean        s_stop;
  guint           s_interval_ms;
  _Atomic int     s_idle;
};

static inline void
acc_add (OpAcc *a, guint64 ns, double flops, double bytes)
{
  double d;

  if (a->count == 0)
    a->shift = ns;
  d = (double) ns - (double) a->shift;
  a->sq += d * d;
  a->count++;
  a->ns += ns;
  if (ns < a->min_ns)
    a->min_ns = ns;
  if (ns > a->max_ns)
    a->max_ns = ns;
  a->flops += flops;
  a->bytes += bytes;
}

static inline gboolean
writer_is_me (SmProfiler *prof)
{
  return atomic_load_explicit (&prof->writer_thread, memory_order_relaxed) == g_thread_self ();
}

static inline void
writer_claim (SmProfiler *prof)
{
  GThread *self = g_thread_self ();
  if (atomic_load_explicit (&prof->writer_thread, memory_order_relaxed) != self)
    atomic_store_explicit (&prof->writer_thread, self, memory_order_relaxed);
}

static inline void
bump_serial (SmProfiler *prof)
{
  atomic_fetch_add_explicit (&prof->serial, 1, memory_order_release);
}


/* ---- shared by the writer's files (sm-profiler.c) ---------------------------------------------- */

void     sm_profiler_ops_clear (OpAcc ops[N_CLASSES][SM_N_OPS], ShapeSlot shapes[N_SHAPES]);
void     sm_profiler_pub_op_totals (SmProfiler *prof, guint64 *count, guint64 *ns, double *flops);
void     sm_profiler_sync_if_writer (SmProfiler *prof);
void     sm_profiler_writer_clear_scopes (Writer *w);
void     sm_profiler_publish_try (SmProfiler *prof, gint64 t);
void     sm_profiler_apply_requests_slow (SmProfiler *prof);

/* Writer: apply what other threads asked for (nearly always nothing). */
static inline void
apply_requests (SmProfiler *prof)
{
  if (G_LIKELY (atomic_load_explicit (&prof->pending, memory_order_relaxed) == 0))
    return;
  sm_profiler_apply_requests_slow (prof);
}

static inline void
trace_push (SmProfiler *prof, SmTraceType type, int op, int cls, gint32 id, gint64 ts,
            gint64 dur, double flops, double bytes)
{
  Writer *w = &prof->w;
  SmTraceEvent *ev;

  if (G_LIKELY (w->trace_cap == 0))
    return;
  if (G_UNLIKELY (w->trace_n - w->trace_oldest >= w->trace_cap))
    {
      /* the ring is full: give the oldest chunk up before writing over it */
      g_mutex_lock (&prof->lock);
      w->trace_oldest += w->trace_chunk;
      prof->trace_oldest = w->trace_oldest;
      g_mutex_unlock (&prof->lock);
      w->dropped_trace += w->trace_chunk;
    }
  ev = &w->trace[w->trace_n % w->trace_cap];
  w->trace_n++;
  ev->ts_ns = ts;
  ev->dur_ns = dur;
  ev->type = (guint8) type;
  ev->op = (guint8) op;
  ev->level = (guint8) (cls % N_LEVELS);
  ev->pass = (guint8) (cls / N_LEVELS);
  ev->id = id;
  ev->flops = (float) flops;
  ev->bytes = (float) bytes;
  atomic_store_explicit (&prof->trace_pub, w->trace_n, memory_order_release);
}
