/* sm-profiler.h: per-op timings of the forward pass.
 *
 * Cheap by construction: one monotonic clock read per op (an op's time is the time since the
 * previous mark), nothing at all when the profiler is NULL or switched off.  The profiler
 * issue builds the scope tree, per-token records, time series and snapshots on top.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

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

typedef struct {
  guint64 count;
  guint64 ns;
  double  flops;
  double  bytes;
} SmOpStats;

typedef struct _SmProfiler SmProfiler;

SmProfiler *sm_profiler_new         (void);
void        sm_profiler_free        (SmProfiler *prof);
void        sm_profiler_set_enabled (SmProfiler *prof, gboolean enabled);
gboolean    sm_profiler_get_enabled (SmProfiler *prof);
void        sm_profiler_reset       (SmProfiler *prof);
const char *sm_op_kind_name         (SmOpKind op);

/* Starts timing: the next op's time counts from here. */
void        sm_profiler_mark        (SmProfiler *prof);
/* Closes an op: its time is now minus the last mark, which moves to now. */
void        sm_profiler_op          (SmProfiler *prof, SmOpKind op, double flops, double bytes);
/* Totals per op kind so far (thread-safe copy). */
void        sm_profiler_get_ops     (SmProfiler *prof, SmOpStats ops[SM_N_OPS]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmProfiler, sm_profiler_free)

G_END_DECLS
