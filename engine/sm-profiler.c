/* sm-profiler.c: per-op accumulation.  Written by the engine thread, read by any thread. */
#include "sm-profiler.h"

#include <string.h>
#include <time.h>

struct _SmProfiler {
  gint      enabled;     /* atomic */
  gint64    last_ns;     /* engine thread only */
  GMutex    lock;        /* guards ops for readers */
  SmOpStats ops[SM_N_OPS];
};

static const char *const op_names[SM_N_OPS] = {
  [SM_OP_EMBED] = "embed", [SM_OP_NORM] = "norm", [SM_OP_MATMUL] = "matmul",
  [SM_OP_ROPE] = "rope", [SM_OP_ATTENTION] = "attention", [SM_OP_SOFTMAX] = "softmax",
  [SM_OP_GELU] = "gelu", [SM_OP_SILU] = "silu", [SM_OP_ADD] = "add",
  [SM_OP_QUANTIZE] = "quantize", [SM_OP_LOGITS] = "logits", [SM_OP_SAMPLE] = "sample",
};

static inline gint64
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

SmProfiler *
sm_profiler_new (void)
{
  SmProfiler *prof = g_new0 (SmProfiler, 1);
  g_mutex_init (&prof->lock);
  prof->enabled = TRUE;
  return prof;
}

void
sm_profiler_free (SmProfiler *prof)
{
  if (prof == NULL)
    return;
  g_mutex_clear (&prof->lock);
  g_free (prof);
}

void
sm_profiler_set_enabled (SmProfiler *prof, gboolean enabled)
{
  g_atomic_int_set (&prof->enabled, !!enabled);
}

gboolean
sm_profiler_get_enabled (SmProfiler *prof)
{
  return prof != NULL && g_atomic_int_get (&prof->enabled);
}

void
sm_profiler_reset (SmProfiler *prof)
{
  g_mutex_lock (&prof->lock);
  memset (prof->ops, 0, sizeof prof->ops);
  g_mutex_unlock (&prof->lock);
}

const char *
sm_op_kind_name (SmOpKind op)
{
  return op < SM_N_OPS ? op_names[op] : "unknown";
}

void
sm_profiler_mark (SmProfiler *prof)
{
  if (sm_profiler_get_enabled (prof))
    prof->last_ns = now_ns ();
}

void
sm_profiler_op (SmProfiler *prof, SmOpKind op, double flops, double bytes)
{
  if (!sm_profiler_get_enabled (prof))
    return;

  gint64 t = now_ns ();
  gint64 dt = prof->last_ns ? t - prof->last_ns : 0;
  prof->last_ns = t;

  g_mutex_lock (&prof->lock);
  prof->ops[op].count++;
  prof->ops[op].ns += (guint64) MAX (dt, 0);
  prof->ops[op].flops += flops;
  prof->ops[op].bytes += bytes;
  g_mutex_unlock (&prof->lock);
}

void
sm_profiler_get_ops (SmProfiler *prof, SmOpStats ops[SM_N_OPS])
{
  g_mutex_lock (&prof->lock);
  memcpy (ops, prof->ops, sizeof prof->ops);
  g_mutex_unlock (&prof->lock);
}
