/* sm-profiler-ops.c: op records: per kernel level, pass and shape, written by the writer
 * and read as totals and sorted records. */
#define G_LOG_DOMAIN "SmProfiler"

#include "sm-profiler-private.h"

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

void
sm_profiler_ops_clear (OpAcc ops[N_CLASSES][SM_N_OPS], ShapeSlot shapes[N_SHAPES])
{
  memset (ops, 0, sizeof (OpAcc) * N_CLASSES * SM_N_OPS);
  memset (shapes, 0, sizeof (ShapeSlot) * N_SHAPES);
  for (int l = 0; l < N_CLASSES; l++)
    for (int o = 0; o < SM_N_OPS; o++)
      ops[l][o].min_ns = G_MAXUINT64;
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
    sm_profiler_publish_try (prof, t);
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

/* ---- reading -------------------------------------------------------------------------------- */

/* Under prof->lock: sums of the published op tables. */
void
sm_profiler_pub_op_totals (SmProfiler *prof, guint64 *count, guint64 *ns, double *flops)
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

void
sm_profiler_get_ops (SmProfiler *prof, SmOpStats ops[SM_N_OPS])
{
  g_return_if_fail (prof != NULL);

  sm_profiler_sync_if_writer (prof);
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
  sm_profiler_sync_if_writer (prof);
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
