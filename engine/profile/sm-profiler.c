/* sm-profiler.c: per-op, per-scope and per-token accounting; publication; the sampler.
 *
 * Two copies of everything.  The writer's tables (struct Writer) are touched by the writing
 * thread only, with no atomics beyond reading the enabled flag.  The published tables (under
 * `lock`) are what readers copy.  publish_try () moves the first into the second with a
 * try-lock at most every SM_PROFILER_PUBLISH_MS; when the lock is busy the writer simply tries
 * again at its next op.  Requests from other threads (reset, a new trace capacity) are flags
 * the writer applies at its next mark, scope, token or publication.
 *
 * The trace buffer is the exception: a ring in eight chunks that the writer fills without a
 * lock, publishing how many events it has written with a release store.  Readers copy, under
 * `lock`, the events between the oldest kept and the last published; the writer only ever
 * writes slots outside that range, because before it reuses a chunk it takes `lock` (once per
 * chunk, not per event) to move the oldest kept event past it.  So a long session keeps its
 * latest events, and nothing is read while it is written.
 */
#define G_LOG_DOMAIN "SmProfiler"

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

/* ---- the clock ---------------------------------------------------------------------------- */

static gsize    clock_once;
static gboolean clock_tsc;         /* read the TSC and convert */
static double   tsc_ns_per_tick;
static guint64  tsc_tick0;
static gint64   tsc_ns0;

static inline gint64
mono_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

#if defined(__x86_64__)
static gboolean
kernel_clock_is_tsc (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                            &text, NULL, NULL))
    return FALSE;
  return g_strcmp0 (g_strstrip (text), "tsc") == 0;
}

/* A (tick, ns) pair read as close together as we can: the tightest of a few tries. */
static void
clock_pair (guint64 *tick, gint64 *ns)
{
  guint64 best = G_MAXUINT64;

  for (int i = 0; i < 5; i++)
    {
      guint64 a = __rdtsc ();
      gint64 n = mono_ns ();
      guint64 b = __rdtsc ();
      if (b - a < best)
        {
          best = b - a;
          *tick = a + (b - a) / 2;
          *ns = n;
        }
    }
}
#endif

static void
clock_init (void)
{
  if (g_once_init_enter (&clock_once))
    {
#if defined(__x86_64__)
      /* The kernel picks the TSC as its clock source only when it is invariant and in step
       * across cores, so then it is as monotonic as CLOCK_MONOTONIC itself.  2 ms of
       * calibration give the rate to a few parts in 10^5. */
      if (g_strcmp0 (g_getenv ("SM_PROFILER_CLOCK"), "monotonic") != 0 && kernel_clock_is_tsc ())
        {
          guint64 t0 = 0, t1 = 0;
          gint64 n0 = 0, n1 = 0;

          clock_pair (&t0, &n0);
          do
            clock_pair (&t1, &n1);
          while (n1 - n0 < 2000000);
          if (t1 > t0)
            {
              tsc_ns_per_tick = (double) (n1 - n0) / (double) (t1 - t0);
              tsc_tick0 = t1;
              tsc_ns0 = n1;
              clock_tsc = TRUE;
            }
        }
#endif
      g_once_init_leave (&clock_once, 1);
    }
}

/* Call clock_init () first (sm_profiler_new does). */
static inline gint64
clock_now (void)
{
#if defined(__x86_64__)
  if (G_LIKELY (clock_tsc))
    return tsc_ns0 + (gint64) ((double) (gint64) (__rdtsc () - tsc_tick0) * tsc_ns_per_tick);
#endif
  return mono_ns ();
}

gint64
sm_profiler_now_ns (void)
{
  clock_init ();
  return clock_now ();
}

guint64
sm_resident_bytes (void)
{
  /* statm: size resident shared text lib data dt, in pages.  read(2) rather than stdio: the
   * sampler calls this every few ms. */
  char buf[128];
  unsigned long size = 0, resident = 0;
  int fd = open ("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  if (sscanf (buf, "%lu %lu", &size, &resident) != 2)
    return 0;
  return (guint64) resident * (guint64) sysconf (_SC_PAGESIZE);
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

static const char *const op_names[SM_N_OPS] = {
  [SM_OP_EMBED] = "embed", [SM_OP_NORM] = "norm", [SM_OP_MATMUL] = "matmul",
  [SM_OP_ROPE] = "rope", [SM_OP_ATTENTION] = "attention", [SM_OP_SOFTMAX] = "softmax",
  [SM_OP_GELU] = "gelu", [SM_OP_SILU] = "silu", [SM_OP_ADD] = "add",
  [SM_OP_QUANTIZE] = "quantize", [SM_OP_LOGITS] = "logits", [SM_OP_SAMPLE] = "sample",
};

const char *
sm_op_kind_name (SmOpKind op)
{
  return (guint) op < SM_N_OPS ? op_names[op] : "unknown";
}

static const char *const pass_names[SM_N_OP_PASSES] = {
  [SM_OP_PASS_OTHER] = "other", [SM_OP_PASS_PREFILL] = "prefill", [SM_OP_PASS_DECODE] = "decode",
};

const char *
sm_op_pass_name (SmOpPass pass)
{
  return (guint) pass < SM_N_OP_PASSES ? pass_names[pass] : "unknown";
}

gboolean
sm_op_pass_from_name (const char *name, SmOpPass *pass)
{
  for (int i = 0; i < SM_N_OP_PASSES; i++)
    if (g_strcmp0 (name, pass_names[i]) == 0)
      {
        *pass = (SmOpPass) i;
        return TRUE;
      }
  return FALSE;
}

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

static void
ops_clear (OpAcc ops[N_CLASSES][SM_N_OPS], ShapeSlot shapes[N_SHAPES])
{
  memset (ops, 0, sizeof (OpAcc) * N_CLASSES * SM_N_OPS);
  memset (shapes, 0, sizeof (ShapeSlot) * N_SHAPES);
  for (int l = 0; l < N_CLASSES; l++)
    for (int o = 0; o < SM_N_OPS; o++)
      ops[l][o].min_ns = G_MAXUINT64;
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

/* ---- lifecycle ------------------------------------------------------------------------------ */

SmProfiler *
sm_profiler_new (void)
{
  SmProfiler *prof = g_new0 (SmProfiler, 1);

  clock_init ();
  g_mutex_init (&prof->lock);
  g_mutex_init (&prof->s_lock);
  g_cond_init (&prof->s_cond);
  ops_clear (prof->w.ops, prof->w.shapes);
  ops_clear (prof->pub_ops, prof->pub_shapes);
  prof->w.nodes = g_array_new (FALSE, FALSE, sizeof (ScopeNode));
  prof->w.totals.ttft_ns = -1;
  prof->pub_nodes = g_array_new (FALSE, FALSE, sizeof (ScopeNode));
  prof->pub_totals.ttft_ns = -1;
  prof->tokens = g_new (SmTokenRecord, TOKEN_RING);
  prof->markers = g_new (SmProfMarker, MARKER_RING);
  prof->series_cap = DEFAULT_SERIES;
  prof->series = g_new (SmProfSample, prof->series_cap);
  atomic_store (&prof->gen_counter, 1);
  atomic_store (&prof->enabled, 1);
  return prof;
}

void
sm_profiler_free (SmProfiler *prof)
{
  if (prof == NULL)
    return;
  sm_profiler_stop_sampler (prof);
  g_array_unref (prof->w.nodes);
  g_array_unref (prof->pub_nodes);
  g_free (prof->w.trace);
  g_free (prof->tokens);
  g_free (prof->markers);
  g_free (prof->series);
  g_cond_clear (&prof->s_cond);
  g_mutex_clear (&prof->s_lock);
  g_mutex_clear (&prof->lock);
  g_free (prof);
}

void
sm_profiler_set_enabled (SmProfiler *prof, gboolean enabled)
{
  g_return_if_fail (prof != NULL);

  if (!enabled)
    atomic_store (&prof->enabled, 0);
  else if (atomic_load (&prof->enabled) == 0)
    atomic_store (&prof->enabled, atomic_fetch_add (&prof->gen_counter, 1) + 1);
}

gboolean
sm_profiler_get_enabled (SmProfiler *prof)
{
  return prof != NULL && atomic_load_explicit (&prof->enabled, memory_order_relaxed) != 0;
}

/* ---- writer: requests and publication ----------------------------------------------------- */

static void
writer_clear_scopes (Writer *w)
{
  g_array_set_size (w->nodes, 0);
  w->scopes_reset = FALSE;
}

/* Writer: apply what other threads asked for. */
static void
apply_requests (SmProfiler *prof)
{
  Writer *w = &prof->w;
  int req;

  if (G_LIKELY (atomic_load_explicit (&prof->pending, memory_order_relaxed) == 0))
    return;
  req = atomic_exchange (&prof->pending, 0);

  if (req & REQ_RESET)
    {
      ops_clear (w->ops, w->shapes);
      w->n_shapes = 0;
      memset (&w->totals, 0, sizeof w->totals);
      w->totals.ttft_ns = -1;
      w->n_stage = 0;
      w->token_open = FALSE;
      w->dropped_tokens = 0;
      w->dropped_trace = 0;
      w->overhead = 0;
      if (w->depth == 0)
        writer_clear_scopes (w);
      else
        w->scopes_reset = TRUE;
    }
  if (req & (REQ_RESET | REQ_TRACE))
    {
      g_mutex_lock (&prof->lock);
      if (req & REQ_TRACE)
        {
          gsize want = atomic_load (&prof->trace_request);
          g_clear_pointer (&w->trace, g_free);
          w->trace_chunk = (want + 7) / 8;
          w->trace_cap = w->trace_chunk * 8;
          w->trace = w->trace_cap ? g_new (SmTraceEvent, w->trace_cap) : NULL;
        }
      w->trace_n = 0;
      w->trace_oldest = 0;
      prof->trace_oldest = 0;
      prof->trace_floor = 0;
      atomic_store_explicit (&prof->trace_pub, 0, memory_order_release);
      g_mutex_unlock (&prof->lock);
    }
}

/* Under prof->lock. */
static void
publish_locked (SmProfiler *prof)
{
  Writer *w = &prof->w;

  memcpy (prof->pub_ops, w->ops, sizeof w->ops);
  memcpy (prof->pub_shapes, w->shapes, sizeof w->shapes);
  g_array_set_size (prof->pub_nodes, w->nodes->len);
  if (w->nodes->len)
    memcpy (prof->pub_nodes->data, w->nodes->data, w->nodes->len * sizeof (ScopeNode));
  for (guint i = 0; i < w->n_stage; i++)
    {
      guint slot = (prof->tok_head + prof->tok_len) % TOKEN_RING;
      prof->tokens[slot] = w->stage[i];
      if (prof->tok_len < TOKEN_RING)
        prof->tok_len++;
      else
        {
          prof->tok_head = (prof->tok_head + 1) % TOKEN_RING;
          w->dropped_tokens++;
        }
    }
  w->n_stage = 0;
  prof->pub_totals = w->totals;
  prof->pub_dropped_tokens = w->dropped_tokens;
  prof->pub_dropped_trace = w->dropped_trace;
  prof->pub_serial++;
  bump_serial (prof);
}

static void
wake_sampler (SmProfiler *prof)
{
  if (G_UNLIKELY (atomic_load_explicit (&prof->s_idle, memory_order_relaxed)))
    {
      atomic_store (&prof->s_idle, 0);
      g_mutex_lock (&prof->s_lock);
      g_cond_signal (&prof->s_cond);
      g_mutex_unlock (&prof->s_lock);
    }
}

/* Writer: publish unless a reader holds the lock, in which case the next op tries again.
 * @t is the time of the record that asked (a token's end may be a while ago).  The
 * publication is the profiler's time, not the program's: the next op's time and every open
 * scope's leave it out. */
static void
publish_try (SmProfiler *prof, gint64 t)
{
  gint64 begun = clock_now (), done;

  apply_requests (prof);
  if (!g_mutex_trylock (&prof->lock))
    {
      prof->w.next_publish = t;
      return;
    }
  publish_locked (prof);
  g_mutex_unlock (&prof->lock);
  prof->w.next_publish = t + PUBLISH_NS;
  wake_sampler (prof);
  done = clock_now ();
  prof->w.last += done - begun;
  prof->w.overhead += done - begun;
}

void
sm_profiler_flush (SmProfiler *prof)
{
  if (prof == NULL)
    return;
  writer_claim (prof);
  apply_requests (prof);
  g_mutex_lock (&prof->lock);
  publish_locked (prof);
  g_mutex_unlock (&prof->lock);
  prof->w.next_publish = clock_now () + PUBLISH_NS;
  wake_sampler (prof);
}

void
sm_profiler_reset (SmProfiler *prof)
{
  g_return_if_fail (prof != NULL);

  atomic_fetch_or (&prof->pending, REQ_RESET);
  g_mutex_lock (&prof->lock);
  ops_clear (prof->pub_ops, prof->pub_shapes);
  g_array_set_size (prof->pub_nodes, 0);
  memset (&prof->pub_totals, 0, sizeof prof->pub_totals);
  prof->pub_totals.ttft_ns = -1;
  prof->tok_head = prof->tok_len = 0;
  prof->mk_head = prof->mk_len = 0;
  prof->s_head = prof->s_len = 0;
  prof->prev.valid = FALSE;
  prof->pub_dropped_tokens = prof->pub_dropped_trace = 0;
  prof->trace_floor = atomic_load_explicit (&prof->trace_pub, memory_order_acquire);
  g_mutex_unlock (&prof->lock);
  bump_serial (prof);
}

void
sm_profiler_set_trace_capacity (SmProfiler *prof, gsize n_events)
{
  g_return_if_fail (prof != NULL);
  atomic_store (&prof->trace_request, n_events);
  atomic_fetch_or (&prof->pending, REQ_TRACE);
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

/* ---- writer: ops -------------------------------------------------------------------------- */

void
sm_profiler_mark_pass (SmProfiler *prof, SmOpPass pass)
{
  int gen;
  int level;

  if (prof == NULL || (gen = atomic_load_explicit (&prof->enabled, memory_order_relaxed)) == 0)
    return;
  apply_requests (prof);
  writer_claim (prof);
  level = (int) sm_kernels_get_level ();
  prof->w.level = level >= 0 && level < N_LEVELS ? level : 0;
  prof->w.cls = prof->w.level + N_LEVELS * ((guint) pass < SM_N_OP_PASSES ? (int) pass : 0);
  prof->w.gen = gen;
  prof->w.last = clock_now ();
}

void
sm_profiler_mark (SmProfiler *prof)
{
  sm_profiler_mark_pass (prof, SM_OP_PASS_OTHER);
}

static inline guint
shape_hash (guint32 tag, gint32 m, gint32 n, gint32 k)
{
  guint32 h = tag * 0x9E3779B1u;
  h ^= (guint32) m * 0x85EBCA77u;
  h ^= (guint32) n * 0xC2B2AE3Du;
  h ^= (guint32) k * 0x27D4EB2Fu;
  h ^= h >> 15;
  return h & (N_SHAPES - 1);
}

static inline OpAcc *
shape_acc (Writer *w, SmOpKind op, int m, int n, int k)
{
  guint32 tag = 1u + (guint32) op + 32u * (guint32) w->cls;
  guint i = shape_hash (tag, m, n, k);

  for (;;)
    {
      ShapeSlot *s = &w->shapes[i];
      if (s->tag == tag && s->m == m && s->n == n && s->k == k)
        return &s->acc;
      if (s->tag == 0)
        {
          /* A full table folds new shapes into the shapeless row rather than growing. */
          if (w->n_shapes >= MAX_SHAPES)
            return &w->ops[w->cls][op];
          w->n_shapes++;
          s->tag = tag;
          s->m = m;
          s->n = n;
          s->k = k;
          s->acc.min_ns = G_MAXUINT64;
          return &s->acc;
        }
      i = (i + 1) & (N_SHAPES - 1);
    }
}

static inline void
record_op (SmProfiler *prof, int gen, SmOpKind op, gboolean shaped, int m, int n, int k,
           double flops, double bytes)
{
  Writer *w = &prof->w;
  gint64 t = clock_now ();
  gint64 start = w->last;
  OpAcc *a;

  w->last = t;
  /* Switched on since the last mark: there is no start to measure from. */
  if (G_UNLIKELY (gen != w->gen))
    {
      w->gen = gen;
      return;
    }
  if ((guint) op >= SM_N_OPS)
    return;
  a = shaped ? shape_acc (w, op, m, n, k) : &w->ops[w->cls][op];
  acc_add (a, (guint64) MAX (t - start, 0), flops, bytes);
  trace_push (prof, SM_TRACE_OP, op, w->cls, 0, start, t - start, flops, bytes);
  if (G_UNLIKELY (t >= w->next_publish))
    publish_try (prof, t);
}

void
sm_profiler_op (SmProfiler *prof, SmOpKind op, double flops, double bytes)
{
  int gen;

  if (prof == NULL || (gen = atomic_load_explicit (&prof->enabled, memory_order_relaxed)) == 0)
    return;
  record_op (prof, gen, op, FALSE, 0, 0, 0, flops, bytes);
}

void
sm_profiler_op_shape (SmProfiler *prof, SmOpKind op, int m, int n, int k, double flops,
                      double bytes)
{
  int gen;

  if (prof == NULL || (gen = atomic_load_explicit (&prof->enabled, memory_order_relaxed)) == 0)
    return;
  record_op (prof, gen, op, TRUE, m, n, k, flops, bytes);
}

/* ---- writer: scopes ----------------------------------------------------------------------- */

void
sm_profiler_set_track_pool (SmProfiler *prof, SmPool *pool)
{
  g_return_if_fail (prof != NULL);
  prof->w.track_pool = pool;
}

static gint32
scope_child (Writer *w, gint32 parent, const char *name)
{
  gint32 first = -1;
  ScopeNode node = { 0 };

  if (parent >= 0)
    first = g_array_index (w->nodes, ScopeNode, parent).first_child;
  else
    {
      /* top-level nodes: chained from the first one found */
      for (guint i = 0; i < w->nodes->len; i++)
        if (g_array_index (w->nodes, ScopeNode, i).parent < 0)
          {
            first = (gint32) i;
            break;
          }
    }
  for (gint32 i = first; i >= 0; i = g_array_index (w->nodes, ScopeNode, i).next_sibling)
    if (strcmp (g_array_index (w->nodes, ScopeNode, i).name, name) == 0)
      return i;

  node.name = g_intern_string (name);
  node.parent = parent;
  node.depth = parent >= 0 ? g_array_index (w->nodes, ScopeNode, parent).depth + 1 : 0;
  node.first_child = -1;
  node.next_sibling = -1;
  node.min_ns = G_MAXUINT64;
  g_array_append_val (w->nodes, node);

  /* link it last among its siblings, so the tree keeps the order scopes first ran in */
  {
    gint32 idx = (gint32) w->nodes->len - 1;
    if (first < 0)
      {
        if (parent >= 0)
          g_array_index (w->nodes, ScopeNode, parent).first_child = idx;
      }
    else
      {
        gint32 i = first;
        while (g_array_index (w->nodes, ScopeNode, i).next_sibling >= 0)
          i = g_array_index (w->nodes, ScopeNode, i).next_sibling;
        g_array_index (w->nodes, ScopeNode, i).next_sibling = idx;
      }
    return idx;
  }
}

static void
pool_read (SmPool *pool, Frame *f)
{
  SmPoolStats ps;
  sm_pool_get_stats (pool, &ps);
  f->rents = ps.rents;
  f->hits = ps.hits;
  f->misses = ps.misses;
  f->sys_allocs = ps.system_allocs;
  f->live = ps.live_bytes;
}

void
sm_profiler_scope_begin (SmProfiler *prof, const char *name)
{
  Writer *w;
  Frame *f;
  gint64 t_in, t_out;

  g_return_if_fail (prof != NULL && name != NULL);
  w = &prof->w;
  t_in = clock_now ();
  writer_claim (prof);
  apply_requests (prof);
  if (w->depth >= MAX_DEPTH)
    {
      if (w->overflow++ == 0)
        g_warning ("Scopes nest deeper than %d; '%s' and deeper ones are not recorded",
                   MAX_DEPTH, name);
      return;
    }
  f = &w->stack[w->depth++];
  if (atomic_load_explicit (&prof->enabled, memory_order_relaxed) == 0)
    {
      f->node = -1;
      return;
    }
  /* A parent begun while the profiler was off is not recorded: this one goes to the top. */
  f->node = scope_child (w, w->depth > 1 ? w->stack[w->depth - 2].node : -1, name);
  if (w->track_pool)
    pool_read (w->track_pool, f);
  t_out = clock_now ();
  w->overhead += t_out - t_in;
  f->t0 = t_out;
  f->ovh0 = w->overhead;
}

void
sm_profiler_scope_end (SmProfiler *prof)
{
  Writer *w;
  Frame *f;
  ScopeNode *node;
  gint64 t_in, t_out, incl;
  double delta;

  g_return_if_fail (prof != NULL);
  w = &prof->w;
  t_in = clock_now ();
  if (w->overflow > 0)
    {
      w->overflow--;
      return;
    }
  if (w->depth == 0)
    {
      g_critical ("sm_profiler_scope_end without a matching sm_profiler_scope_begin");
      return;
    }
  f = &w->stack[--w->depth];
  if (f->node < 0)
    return;

  incl = MAX ((t_in - f->t0) - (w->overhead - f->ovh0), 0);
  node = &g_array_index (w->nodes, ScopeNode, f->node);
  node->count++;
  node->total_ns += (guint64) incl;
  node->min_ns = MIN (node->min_ns, (guint64) incl);
  node->max_ns = MAX (node->max_ns, (guint64) incl);
  delta = (double) incl - node->mean;
  node->mean += delta / (double) node->count;
  node->m2 += delta * ((double) incl - node->mean);
  if (node->parent >= 0)
    g_array_index (w->nodes, ScopeNode, node->parent).children_ns += (guint64) incl;
  trace_push (prof, SM_TRACE_SCOPE, 0, 0, f->node, f->t0, t_in - f->t0, 0, 0);
  if (w->track_pool)
    {
      Frame end;
      pool_read (w->track_pool, &end);
      node = &g_array_index (w->nodes, ScopeNode, f->node);
      node->rents += end.rents - f->rents;
      node->hits += end.hits - f->hits;
      node->misses += end.misses - f->misses;
      node->sys_allocs += end.sys_allocs - f->sys_allocs;
      node->live_delta += (gint64) end.live - (gint64) f->live;
    }
  if (w->depth == 0 && w->scopes_reset)
    writer_clear_scopes (w);

  t_out = clock_now ();
  w->overhead += t_out - t_in;
  if (t_out >= w->next_publish)
    publish_try (prof, t_out);
}

/* ---- writer: tokens ------------------------------------------------------------------------- */

static void
token_commit (SmProfiler *prof, const SmTokenRecord *rec)
{
  Writer *w = &prof->w;
  gint64 end = rec->start_ns + rec->dur_ns;

  if (rec->kind == SM_TOKEN_PREFILL)
    {
      w->totals.prefill_tokens += (guint64) MAX (rec->n_tokens, 0);
      w->totals.prefill_ns += (guint64) MAX (rec->dur_ns, 0);
    }
  else
    {
      w->totals.decode_tokens += (guint64) MAX (rec->n_tokens, 0);
      w->totals.decode_ns += (guint64) MAX (rec->dur_ns, 0);
    }
  trace_push (prof, SM_TRACE_TOKEN, rec->kind, w->level, rec->pos, rec->start_ns, rec->dur_ns,
              rec->n_tokens, 0);
  if (w->n_stage == TOKEN_STAGE)
    publish_try (prof, end);
  if (w->n_stage < TOKEN_STAGE)
    w->stage[w->n_stage++] = *rec;
  else
    w->dropped_tokens++;
  if (end >= w->next_publish)
    publish_try (prof, end);
}

void
sm_profiler_token_begin (SmProfiler *prof, SmTokenKind kind, int pos)
{
  if (prof == NULL || atomic_load_explicit (&prof->enabled, memory_order_relaxed) == 0)
    return;
  writer_claim (prof);
  apply_requests (prof);
  prof->w.open.kind = kind;
  prof->w.open.pos = pos;
  prof->w.open.n_tokens = 0;
  prof->w.open.reserved = 0;
  prof->w.open.start_ns = clock_now ();
  prof->w.token_open = TRUE;
}

void
sm_profiler_token_end (SmProfiler *prof, int n_tokens)
{
  if (prof == NULL || !prof->w.token_open)
    return;
  prof->w.token_open = FALSE;
  prof->w.open.dur_ns = clock_now () - prof->w.open.start_ns;
  prof->w.open.n_tokens = n_tokens;
  token_commit (prof, &prof->w.open);
}

void
sm_profiler_token_cancel (SmProfiler *prof)
{
  if (prof != NULL)
    prof->w.token_open = FALSE;
}

void
sm_profiler_token_add (SmProfiler *prof, SmTokenKind kind, int n_tokens, int pos,
                       gint64 start_ns, gint64 end_ns)
{
  SmTokenRecord rec = { start_ns, MAX (end_ns - start_ns, 0), kind, n_tokens, pos, 0 };

  if (prof == NULL || atomic_load_explicit (&prof->enabled, memory_order_relaxed) == 0)
    return;
  writer_claim (prof);
  apply_requests (prof);
  token_commit (prof, &rec);
}

void
sm_profiler_set_ttft (SmProfiler *prof, gint64 ttft_ns)
{
  if (prof != NULL)
    prof->w.totals.ttft_ns = ttft_ns;
}

void
sm_profiler_set_context (SmProfiler *prof, int used, int size)
{
  if (prof != NULL)
    {
      prof->w.totals.ctx_used = used;
      prof->w.totals.ctx_size = size;
    }
}

void
sm_profiler_add_allocs (SmProfiler *prof, SmTokenKind kind, guint64 sys_allocs)
{
  if (prof == NULL)
    return;
  if (kind == SM_TOKEN_PREFILL)
    prof->w.totals.prefill_allocs += sys_allocs;
  else
    prof->w.totals.decode_allocs += sys_allocs;
}

/* ---- markers -------------------------------------------------------------------------------- */

void
sm_profiler_add_marker (SmProfiler *prof, const char *format, ...)
{
  SmProfMarker m = { 0 };
  va_list args;

  g_return_if_fail (prof != NULL && format != NULL);
  m.t_ns = sm_profiler_now_ns ();
  va_start (args, format);
  g_vsnprintf (m.text, sizeof m.text, format, args);
  va_end (args);

  g_mutex_lock (&prof->lock);
  prof->markers[(prof->mk_head + prof->mk_len) % MARKER_RING] = m;
  if (prof->mk_len < MARKER_RING)
    prof->mk_len++;
  else
    prof->mk_head = (prof->mk_head + 1) % MARKER_RING;
  g_mutex_unlock (&prof->lock);
  bump_serial (prof);
}

/* ---- reading -------------------------------------------------------------------------------- */

/* Under prof->lock: sums of the published op tables. */
static void
pub_op_totals (SmProfiler *prof, guint64 *count, guint64 *ns, double *flops)
{
  *count = 0;
  *ns = 0;
  *flops = 0;
  for (int l = 0; l < N_CLASSES; l++)
    for (int o = 0; o < SM_N_OPS; o++)
      {
        *count += prof->pub_ops[l][o].count;
        *ns += prof->pub_ops[l][o].ns;
        *flops += prof->pub_ops[l][o].flops;
      }
  for (int i = 0; i < N_SHAPES; i++)
    if (prof->pub_shapes[i].tag)
      {
        *count += prof->pub_shapes[i].acc.count;
        *ns += prof->pub_shapes[i].acc.ns;
        *flops += prof->pub_shapes[i].acc.flops;
      }
}

guint64
sm_profiler_get_serial (SmProfiler *prof)
{
  g_return_val_if_fail (prof != NULL, 0);
  return atomic_load_explicit (&prof->serial, memory_order_acquire);
}

/* A reader on the writing thread itself gets everything so far, not the last publication. */
static void
sync_if_writer (SmProfiler *prof)
{
  if (writer_is_me (prof))
    sm_profiler_flush (prof);
}

void
sm_profiler_get_ops (SmProfiler *prof, SmOpStats ops[SM_N_OPS])
{
  g_return_if_fail (prof != NULL);

  sync_if_writer (prof);
  memset (ops, 0, sizeof (SmOpStats) * SM_N_OPS);
  g_mutex_lock (&prof->lock);
  for (int l = 0; l < N_CLASSES; l++)
    for (int o = 0; o < SM_N_OPS; o++)
      {
        ops[o].count += prof->pub_ops[l][o].count;
        ops[o].ns += prof->pub_ops[l][o].ns;
        ops[o].flops += prof->pub_ops[l][o].flops;
        ops[o].bytes += prof->pub_ops[l][o].bytes;
      }
  for (int i = 0; i < N_SHAPES; i++)
    {
      const ShapeSlot *s = &prof->pub_shapes[i];
      int o = (int) ((s->tag - 1) % 32);
      if (s->tag == 0 || o >= SM_N_OPS)
        continue;
      ops[o].count += s->acc.count;
      ops[o].ns += s->acc.ns;
      ops[o].flops += s->acc.flops;
      ops[o].bytes += s->acc.bytes;
    }
  g_mutex_unlock (&prof->lock);
}

void
sm_profiler_get_counters (SmProfiler *prof, SmProfilerCounters *c)
{
  SmPool *pool;
  Totals t;

  g_return_if_fail (prof != NULL && c != NULL);

  sync_if_writer (prof);
  memset (c, 0, sizeof *c);
  g_mutex_lock (&prof->lock);
  t = prof->pub_totals;
  pub_op_totals (prof, &c->ops, &c->op_ns, &c->flops);
  c->dropped_tokens = prof->pub_dropped_tokens;
  c->dropped_trace = prof->pub_dropped_trace;
  g_mutex_unlock (&prof->lock);

  c->prefill_tokens = t.prefill_tokens;
  c->decode_tokens = t.decode_tokens;
  c->prefill_ns = t.prefill_ns;
  c->decode_ns = t.decode_ns;
  c->prefill_tps = t.prefill_ns ? t.prefill_tokens * 1e9 / (double) t.prefill_ns : 0.0;
  c->decode_tps = t.decode_ns ? t.decode_tokens * 1e9 / (double) t.decode_ns : 0.0;
  c->ttft_ns = t.ttft_ns;
  c->context_used = t.ctx_used;
  c->context_size = t.ctx_size;
  c->prefill_sys_allocs = t.prefill_allocs;
  c->decode_sys_allocs = t.decode_allocs;
  c->sys_allocs_per_token = t.decode_tokens ? t.decode_allocs / (double) t.decode_tokens : 0.0;
  c->resident_bytes = sm_resident_bytes ();
  pool = prof->w.track_pool ? prof->w.track_pool : sm_pool_default ();
  sm_pool_get_stats (pool, &c->pool);
}

static int
op_record_cmp (gconstpointer pa, gconstpointer pb)
{
  const SmOpRecord *a = pa, *b = pb;
  if (a->op != b->op)
    return a->op < b->op ? -1 : 1;
  if (a->level != b->level)
    return a->level < b->level ? -1 : 1;
  if (a->pass != b->pass)
    return a->pass < b->pass ? -1 : 1;
  if (a->m != b->m)
    return a->m < b->m ? -1 : 1;
  if (a->n != b->n)
    return a->n < b->n ? -1 : 1;
  return a->k < b->k ? -1 : a->k > b->k;
}

static void
append_record (GArray *out, SmOpKind op, int cls, int m, int n, int k, const OpAcc *a)
{
  SmOpRecord r = {
    .op = op, .level = (SmKernelLevel) (cls % N_LEVELS), .pass = (SmOpPass) (cls / N_LEVELS),
    .m = m, .n = n, .k = k,
    .count = a->count, .ns = a->ns, .min_ns = a->min_ns, .max_ns = a->max_ns,
    .flops = a->flops, .bytes = a->bytes,
  };
  if (a->count > 1)
    {
      /* sample variance from the shifted sums: (Σd² - (Σd)²/n) / (n - 1) */
      double calls = (double) a->count, sum_d = (double) a->ns - calls * (double) a->shift;
      r.std_ns = sqrt (MAX (a->sq - sum_d * sum_d / calls, 0.0) / (calls - 1.0));
    }
  if (a->count > 0)
    g_array_append_val (out, r);
}

GArray *
sm_profiler_copy_ops (SmProfiler *prof)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SmOpRecord));

  g_return_val_if_fail (prof != NULL, out);
  sync_if_writer (prof);
  g_mutex_lock (&prof->lock);
  for (int l = 0; l < N_CLASSES; l++)
    for (int o = 0; o < SM_N_OPS; o++)
      append_record (out, o, l, 0, 0, 0, &prof->pub_ops[l][o]);
  for (int i = 0; i < N_SHAPES; i++)
    {
      const ShapeSlot *s = &prof->pub_shapes[i];
      if (s->tag)
        append_record (out, (s->tag - 1) % 32, (int) ((s->tag - 1) / 32), s->m, s->n, s->k,
                       &s->acc);
    }
  g_mutex_unlock (&prof->lock);
  g_array_sort (out, op_record_cmp);
  return out;
}

GArray *
sm_profiler_copy_scopes (SmProfiler *prof)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SmScopeStats));

  g_return_val_if_fail (prof != NULL, out);
  sync_if_writer (prof);
  g_mutex_lock (&prof->lock);
  g_array_set_size (out, prof->pub_nodes->len);
  for (guint i = 0; i < prof->pub_nodes->len; i++)
    {
      const ScopeNode *n = &g_array_index (prof->pub_nodes, ScopeNode, i);
      SmScopeStats *s = &g_array_index (out, SmScopeStats, i);
      s->name = n->name;
      s->parent = n->parent;
      s->depth = n->depth;
      s->count = n->count;
      s->total_ns = n->total_ns;
      s->self_ns = n->total_ns > n->children_ns ? n->total_ns - n->children_ns : 0;
      s->min_ns = n->count ? n->min_ns : 0;
      s->max_ns = n->max_ns;
      s->mean_ns = n->count ? n->mean : 0.0;
      s->std_ns = n->count > 1 ? sqrt (n->m2 / (double) (n->count - 1)) : 0.0;
      s->rents = n->rents;
      s->hits = n->hits;
      s->misses = n->misses;
      s->sys_allocs = n->sys_allocs;
      s->live_delta = n->live_delta;
    }
  g_mutex_unlock (&prof->lock);
  return out;
}

GArray *
sm_profiler_copy_tokens (SmProfiler *prof, gint64 since_ns)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SmTokenRecord));

  g_return_val_if_fail (prof != NULL, out);
  sync_if_writer (prof);
  g_mutex_lock (&prof->lock);
  for (guint i = 0; i < prof->tok_len; i++)
    {
      const SmTokenRecord *r = &prof->tokens[(prof->tok_head + i) % TOKEN_RING];
      if (r->start_ns >= since_ns)
        g_array_append_vals (out, r, 1);
    }
  g_mutex_unlock (&prof->lock);
  return out;
}

GArray *
sm_profiler_copy_series (SmProfiler *prof, gint64 since_ns)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SmProfSample));

  g_return_val_if_fail (prof != NULL, out);
  g_mutex_lock (&prof->lock);
  for (guint i = 0; i < prof->s_len; i++)
    {
      const SmProfSample *s = &prof->series[(prof->s_head + i) % prof->series_cap];
      if (s->t_ns >= since_ns)
        g_array_append_vals (out, s, 1);
    }
  g_mutex_unlock (&prof->lock);
  return out;
}

GArray *
sm_profiler_copy_markers (SmProfiler *prof)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SmProfMarker));

  g_return_val_if_fail (prof != NULL, out);
  g_mutex_lock (&prof->lock);
  for (guint i = 0; i < prof->mk_len; i++)
    g_array_append_vals (out, &prof->markers[(prof->mk_head + i) % MARKER_RING], 1);
  g_mutex_unlock (&prof->lock);
  return out;
}

GArray *
sm_profiler_copy_trace (SmProfiler *prof)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SmTraceEvent));
  guint64 n, first;
  gsize cap;

  g_return_val_if_fail (prof != NULL, out);
  sync_if_writer (prof);
  g_mutex_lock (&prof->lock);
  /* the ring's size only changes under this lock */
  cap = prof->w.trace_cap;
  n = atomic_load_explicit (&prof->trace_pub, memory_order_acquire);
  first = MAX (prof->trace_oldest, prof->trace_floor);
  for (guint64 i = first; i < n; )
    {
      /* the run up to the ring's end, then from its start */
      gsize slot = (gsize) (i % cap);
      gsize run = (gsize) MIN (n - i, (guint64) (cap - slot));
      g_array_append_vals (out, prof->w.trace + slot, (guint) run);
      i += run;
    }
  g_mutex_unlock (&prof->lock);
  return out;
}

double
sm_op_record_gflops (const SmOpRecord *r)
{
  return r->ns ? r->flops / (double) r->ns : 0.0;
}

double
sm_op_record_gbps (const SmOpRecord *r)
{
  return r->ns ? r->bytes / (double) r->ns : 0.0;
}

/* ---- the sampler ---------------------------------------------------------------------------- */

/* Appends a sample; FALSE (and nothing appended) when nothing moved since the last one. */
static gboolean
take_sample (SmProfiler *prof, gboolean force)
{
  SmPool *pool = prof->w.track_pool ? prof->w.track_pool : sm_pool_default ();
  SmPoolStats ps;
  SmProfSample s = { 0 };
  guint64 rss, ops, op_ns;
  double flops;
  gint64 t;
  const Totals *tt;

  /* the slow reads first, outside the lock */
  sm_pool_get_stats (pool, &ps);
  rss = sm_resident_bytes ();
  t = sm_profiler_now_ns ();

  g_mutex_lock (&prof->lock);
  if (!force && prof->prev.valid && prof->pub_serial == prof->sampled_serial &&
      ps.rents == prof->sampled_pool.rents && ps.live_bytes == prof->sampled_pool.live_bytes &&
      ps.system_allocs == prof->sampled_pool.system_allocs)
    {
      g_mutex_unlock (&prof->lock);
      return FALSE;
    }
  tt = &prof->pub_totals;
  pub_op_totals (prof, &ops, &op_ns, &flops);
  s.t_ns = t;
  s.prefill_tokens = tt->prefill_tokens;
  s.decode_tokens = tt->decode_tokens;
  if (prof->prev.valid)
    {
      guint64 dpt = tt->prefill_tokens - prof->prev.prefill_tokens;
      guint64 dpn = tt->prefill_ns - prof->prev.prefill_ns;
      guint64 ddt = tt->decode_tokens - prof->prev.decode_tokens;
      guint64 ddn = tt->decode_ns - prof->prev.decode_ns;
      guint64 don = op_ns - prof->prev.op_ns;
      gint64 dt = t - prof->prev.t;

      s.prefill_tps = dpn ? dpt * 1e9 / (double) dpn : 0.0;
      s.decode_tps = ddn ? ddt * 1e9 / (double) ddn : 0.0;
      s.gflops = don ? (flops - prof->prev.flops) / (double) don : 0.0;
      s.busy = dt > 0 ? CLAMP ((double) don / (double) dt, 0.0, 1.0) : 0.0;
    }
  s.resident_bytes = rss;
  s.pool_live_bytes = ps.live_bytes;
  s.pool_peak_bytes = ps.peak_bytes;
  s.pool_cached_bytes = ps.cached_bytes;
  s.pool_rents = ps.rents;
  s.pool_hits = ps.hits;
  s.pool_misses = ps.misses;
  s.sys_allocs = ps.system_allocs;
  s.context_used = tt->ctx_used;
  s.context_size = tt->ctx_size;

  prof->series[(prof->s_head + prof->s_len) % prof->series_cap] = s;
  if (prof->s_len < prof->series_cap)
    prof->s_len++;
  else
    prof->s_head = (prof->s_head + 1) % prof->series_cap;

  prof->prev.t = t;
  prof->prev.prefill_tokens = tt->prefill_tokens;
  prof->prev.decode_tokens = tt->decode_tokens;
  prof->prev.prefill_ns = tt->prefill_ns;
  prof->prev.decode_ns = tt->decode_ns;
  prof->prev.op_ns = op_ns;
  prof->prev.flops = flops;
  prof->prev.valid = TRUE;
  prof->sampled_serial = prof->pub_serial;
  prof->sampled_pool = ps;
  g_mutex_unlock (&prof->lock);
  bump_serial (prof);
  return TRUE;
}

void
sm_profiler_sample_now (SmProfiler *prof)
{
  g_return_if_fail (prof != NULL);
  sync_if_writer (prof);
  take_sample (prof, TRUE);
}

static gpointer
sampler_main (gpointer data)
{
  SmProfiler *prof = data;
  int idle_samples = 0;

  g_mutex_lock (&prof->s_lock);
  while (!prof->s_stop)
    {
      gboolean idle = idle_samples >= IDLE_SAMPLES;
      gint64 wait = idle ? IDLE_WAIT_US : (gint64) prof->s_interval_ms * 1000;

      atomic_store (&prof->s_idle, idle);
      g_cond_wait_until (&prof->s_cond, &prof->s_lock, g_get_monotonic_time () + wait);
      if (prof->s_stop)
        break;
      g_mutex_unlock (&prof->s_lock);
      idle_samples = take_sample (prof, FALSE) ? 0 : idle_samples + 1;
      g_mutex_lock (&prof->s_lock);
    }
  g_mutex_unlock (&prof->s_lock);
  return NULL;
}

void
sm_profiler_start_sampler (SmProfiler *prof, guint interval_ms, guint capacity)
{
  g_return_if_fail (prof != NULL);

  if (capacity == 0)
    capacity = DEFAULT_SERIES;
  g_mutex_lock (&prof->lock);
  if (capacity != prof->series_cap)
    {
      /* keep the newest samples that fit */
      SmProfSample *ring = g_new (SmProfSample, capacity);
      guint keep = MIN (prof->s_len, capacity);
      for (guint i = 0; i < keep; i++)
        ring[i] = prof->series[(prof->s_head + prof->s_len - keep + i) % prof->series_cap];
      g_free (prof->series);
      prof->series = ring;
      prof->series_cap = capacity;
      prof->s_head = 0;
      prof->s_len = keep;
    }
  g_mutex_unlock (&prof->lock);

  g_mutex_lock (&prof->s_lock);
  prof->s_interval_ms = MAX (interval_ms, 1u);
  if (prof->s_thread == NULL)
    {
      prof->s_stop = FALSE;
      prof->s_thread = g_thread_new ("sm-profiler", sampler_main, prof);
    }
  else
    g_cond_signal (&prof->s_cond);
  g_mutex_unlock (&prof->s_lock);
}

void
sm_profiler_stop_sampler (SmProfiler *prof)
{
  GThread *thread;

  g_return_if_fail (prof != NULL);
  g_mutex_lock (&prof->s_lock);
  thread = g_steal_pointer (&prof->s_thread);
  prof->s_stop = TRUE;
  g_cond_signal (&prof->s_cond);
  g_mutex_unlock (&prof->s_lock);
  if (thread)
    g_thread_join (thread);
}

/* ---- self-measurement ------------------------------------------------------------------------ */

double
sm_profiler_measure_op_cost (void)
{
  /* Called through a pointer so the compiler cannot inline it into the loop: the forward pass
   * calls it across translation units too. */
  void (*volatile op) (SmProfiler *, SmOpKind, double, double) = sm_profiler_op;
  g_autoptr (SmProfiler) p = sm_profiler_new ();
  const int n = 200000;
  double best = G_MAXDOUBLE;

  for (int round = 0; round < 3; round++)
    {
      gint64 t0, t1;
      sm_profiler_mark (p);
      t0 = clock_now ();
      for (int i = 0; i < n; i++)
        op (p, (SmOpKind) (i % SM_N_OPS), 1.0, 1.0);
      t1 = clock_now ();
      best = MIN (best, (double) (t1 - t0) / n);
    }
  return best;
}

static int
double_cmp (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

double
sm_profiler_measure_op_cost_between_kernels (void)
{
  /* 20 SGEMVs of 200×128 (2 MB, an L2's worth, as Small's weights are), one op record after
   * each, a mark per "token": Small's decode in miniature, whose streaming also pushes the
   * profiler's own lines out of L1 and L2 between records.  On and off alternate; the
   * medians of each are compared. */
  enum { OPS = 20, ROWS = 200, COLS = 128, TOKENS = 10, ROUNDS = 61 };
  void (*volatile op) (SmProfiler *, SmOpKind, double, double) = sm_profiler_op;
  g_autoptr (SmProfiler) p = sm_profiler_new ();
  const SmKernels *k = sm_kernels ();
  float *W = g_aligned_alloc0 (OPS * ROWS * COLS, sizeof (float), 64);
  float *x = g_aligned_alloc0 (COLS, sizeof (float), 64);
  float *y = g_aligned_alloc0 (ROWS, sizeof (float), 64);
  double t[2][ROUNDS];

  for (int r = 0; r < ROUNDS; r++)
    for (int on = 0; on < 2; on++)
      {
        gint64 t0;
        sm_profiler_set_enabled (p, on);
        t0 = clock_now ();
        for (int tok = 0; tok < TOKENS; tok++)
          {
            sm_profiler_mark (p);
            for (int j = 0; j < OPS; j++)
              {
                k->sgemv (ROWS, COLS, W + (gsize) j * ROWS * COLS, COLS, x, y);
                op (p, SM_OP_MATMUL, 1.0, 1.0);
              }
          }
        t[on][r] = (double) (clock_now () - t0) / TOKENS;
      }
  g_aligned_free (W);
  g_aligned_free (x);
  g_aligned_free (y);
  qsort (t[0], ROUNDS, sizeof (double), double_cmp);
  qsort (t[1], ROUNDS, sizeof (double), double_cmp);
  /* a mark's clock read too per "token" */
  return MAX (t[1][ROUNDS / 2] - t[0][ROUNDS / 2], 0.0) / (OPS + 1);
}
