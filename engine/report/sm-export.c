/* sm-export.c: JSON, Markdown, CSV and Chrome trace from a snapshot, written atomically.
 *
 * The Markdown keeps the original's headings and its hot-path columns in their order (so its
 * comparator and ours read both), and fixes what was wrong with it: the total is the sum of
 * top-level scopes (never a scope plus its own children), each row says its self time too,
 * GFLOP/s is per multiply from the op records, and memory is named for what it is (system
 * allocations and pool rents; resident memory from /proc).
 */
#define G_LOG_DOMAIN "SmExport"

#include "sm-export.h"
#include "sm-atomic-file.h"
#include "sm-compare.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

/* ---- atomic files ------------------------------------------------------------------------------ */

gboolean
sm_export_write_atomic (const char *path, const char *data, gssize length, GError **error)
{
  return sm_atomic_file_set_contents (path, data, length, error);
}

/* ---- helpers ----------------------------------------------------------------------------------------- */

static double
ms (guint64 ns)
{
  return (double) ns / 1e6;
}

/* The suite's model keys whose measurements the report knows how to lay out. */
static const char *const model_keys[] = { "Small", "Medium" };

static const SmSnapshotModel *
find_model (const SmSnapshot *snap, const char *key)
{
  for (guint i = 0; i < snap->models->len; i++)
    {
      const SmSnapshotModel *m = g_ptr_array_index (snap->models, i);
      if (m->name && g_str_has_suffix (m->name, key))
        return m;
    }
  return NULL;
}

static double
median_of (const SmSnapshot *snap, const char *name)
{
  return sm_measurement_median (sm_snapshot_find_measurement (snap, name));
}

/* "1234.56 ± 3%" for a measurement: the median and its run-to-run spread. */
static char *
format_measured (const SmSnapshot *snap, const char *name, const char *fmt)
{
  SmMeasurement *m = sm_snapshot_find_measurement (snap, name);
  double med = sm_measurement_median (m);
  g_autofree char *v = NULL;

  if (m == NULL || isnan (med))
    return g_strdup ("—");
  v = g_strdup_printf (fmt, med);
  if (m->values->len > 1 && med != 0)
    {
      double spread = (sm_measurement_max (m) - sm_measurement_min (m)) / fabs (med) * 100.0;
      return g_strdup_printf ("%s ± %.0f%%", v, spread / 2);
    }
  return g_steal_pointer (&v);
}

static const char *
pass_mark (gboolean ok)
{
  return ok ? "✅ PASS" : "❌ FAIL";
}

static void
format_shape (GString *s, const SmOpRecord *r)
{
  if (r->m && r->n && r->k)
    g_string_append_printf (s, "%d×%d×%d", r->m, r->n, r->k);
  else if (r->m && r->n)
    g_string_append_printf (s, "%d×%d", r->m, r->n);
  else if (r->m)
    g_string_append_printf (s, "%d", r->m);
  else
    g_string_append (s, "—");
}

/* ---- Markdown ------------------------------------------------------------------------------------------ */

static void
md_header (GString *md, const SmSnapshot *snap)
{
  const SmMachineInfo *mi = &snap->machine;
  const SmBuildInfo *b = &snap->build;

  g_string_append (md, "# Enhanced Performance Profile Report\n\n");
  g_string_append_printf (md, "**Generated:** %s\n\n", snap->created ? snap->created : "unknown");
  g_string_append_printf (md, "- **Run:** %s\n", snap->label && *snap->label ? snap->label : "—");
  if (snap->range != NULL)
    g_string_append_printf (md, "- **Range:** %s\n", sm_snapshot_range_describe (snap->range));
  g_string_append_printf (md, "- **Program:** %s\n", b->program ? b->program : "smallmind");
  g_string_append_printf (md, "- **Build:** %s, optimization %s, sanitizers %s, asserts %s; %s%s%s\n",
                          b->build_type ? b->build_type : "unknown",
                          b->optimization ? b->optimization : "?",
                          b->sanitizers ? b->sanitizers : "?", b->asserts ? "on" : "off",
                          b->compiler ? b->compiler : "unknown compiler",
                          b->cflags && *b->cflags ? "; flags " : "", b->cflags ? b->cflags : "");
  g_string_append_printf (md, "- **Machine:** %s; %d logical / %d physical cores; %.1f GiB; %s\n",
                          mi->cpu_model ? mi->cpu_model : "unknown CPU", mi->logical_cores,
                          mi->physical_cores, mi->memory_bytes / (1024.0 * 1024.0 * 1024.0),
                          mi->os ? mi->os : "");
  g_string_append_printf (md, "- **ISA:** %s (best kernel level: %s)\n", mi->isa ? mi->isa : "",
                          mi->best_level ? mi->best_level : "?");
  g_string_append_printf (md, "- **Engine:** kernels %s · pool %s · threads %d · profiling %s\n",
                          snap->kernel_level ? snap->kernel_level : "?",
                          snap->pool_enabled ? "on" : "off", snap->threads,
                          snap->profiling ? "on" : "off");
  if (snap->kv_cache != NULL)
    g_string_append_printf (md, "- **KV cache:** %s, %.2f MiB\n", snap->kv_cache,
                            snap->kv_cache_bytes / (1024.0 * 1024.0));
  for (guint i = 0; i < snap->models->len; i++)
    {
      const SmSnapshotModel *m = g_ptr_array_index (snap->models, i);
      g_string_append_printf (md, "- **Model:** %s (%s, %s, %" G_GUINT64_FORMAT " params, %s; "
                              "vocab %d, dim %d, %d layers, %d heads, context %d)\n",
                              m->name, m->arch ? m->arch : "?", m->format ? m->format : "?",
                              m->params, m->types ? m->types : "?", m->vocab_size, m->dim,
                              m->n_layers, m->n_heads, m->context_length);
    }
  if (!sm_build_info_is_release_like (b))
    g_string_append (md, "\n> ⚠️ Not an optimized build without sanitizers: these numbers are not "
                         "comparable with a release build's.\n");
  g_string_append (md, "\n");
}

static void
md_summary (GString *md, const SmSnapshot *snap, GArray *sums, GPtrArray *op_rows)
{
  const SmProfilerCounters *c = &snap->counters;
  guint64 total = sm_snapshot_total_ns (snap);
  guint64 rents = 0, hits = 0, misses = 0, allocs = 0;
  guint64 peak_rss = c->resident_bytes;
  SmMeasurement *over = sm_snapshot_find_measurement (snap, "overhead_pct");

  for (guint i = 0; i < snap->scopes->len; i++)
    {
      const SmScopeStats *s = &g_array_index (snap->scopes, SmScopeStats, i);
      if (s->parent < 0)
        {
          rents += s->rents;
          hits += s->hits;
          misses += s->misses;
          allocs += s->sys_allocs;
        }
    }
  for (guint i = 0; i < snap->series->len; i++)
    peak_rss = MAX (peak_rss, g_array_index (snap->series, SmProfSample, i).resident_bytes);

  g_string_append (md, "## Summary\n\n");
  if (sums->len == 0 && op_rows->len > 0)
    {
      double per_1k = 0;
      for (guint i = 0; i < op_rows->len; i++)
        per_1k += ((const SmProfileRow *) g_ptr_array_index (op_rows, i))->total_ms;
      g_string_append_printf (md, "- **Total Runtime:** %.2f ms per 1k tokens (the ops of %"
                              G_GUINT64_FORMAT " prompt and %" G_GUINT64_FORMAT " generated "
                              "tokens, each pass per 1k tokens of its own)\n", per_1k,
                              c->prefill_tokens, c->decode_tokens);
    }
  else
    g_string_append_printf (md, "- **Total Runtime:** %.2f ms (top-level scopes only: nested scopes "
                            "are inside their parents' time, not added again)\n", ms (total));
  g_string_append_printf (md, "- **System Allocations:** %" G_GUINT64_FORMAT " (pool rents %"
                          G_GUINT64_FORMAT ", hits %" G_GUINT64_FORMAT " = %.1f%%, misses %"
                          G_GUINT64_FORMAT ")\n", allocs, rents, hits,
                          rents ? 100.0 * hits / (double) rents : 0.0, misses);
  g_string_append_printf (md, "- **Resident Memory:** %.1f MB at the end, %.1f MB peak sampled "
                          "(/proc/self/statm); pool peak live %.1f MB\n",
                          c->resident_bytes / 1e6, peak_rss / 1e6, c->pool.peak_bytes / 1e6);
  g_string_append_printf (md, "- **Methods Profiled:** %u\n",
                          sums->len == 0 ? op_rows->len : sums->len);
  if (over && over->values->len)
    g_string_append_printf (md, "- **Profiling Overhead:** %.2f%% of decode tok/s (goal ≤ %.0f%%); "
                            "one op record costs %.1f ns here\n",
                            sm_measurement_median (over), SM_TARGET_OVERHEAD_PCT, snap->op_cost_ns);
  else if (snap->op_cost_ns > 0)
    g_string_append_printf (md, "- **Profiling Cost:** %.1f ns per op record\n", snap->op_cost_ns);
  g_string_append (md, "\n");
}

/* Every parent a scope of @name runs under ("—" for the top), in the order they first ran:
 * MatMul_Iteration's are the four MatMul sizes.  The compare reader takes the first as the
 * parent and "—" anywhere as top-level. */
static char *
parents_text (const SmSnapshot *snap, const char *name)
{
  g_autoptr (GPtrArray) seen = g_ptr_array_new ();
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < snap->scopes->len; i++)
    {
      const SmScopeStats *s = &g_array_index (snap->scopes, SmScopeStats, i);
      const char *parent;

      if (s->count == 0 || g_strcmp0 (s->name, name) != 0)
        continue;
      parent = s->parent >= 0 ? g_array_index (snap->scopes, SmScopeStats, s->parent).name : "—";
      if (g_ptr_array_find_with_equal_func (seen, parent, g_str_equal, NULL))
        continue;
      g_ptr_array_add (seen, (gpointer) parent);
      g_string_append_printf (out, "%s%s", out->len ? ", " : "", parent);
    }
  return g_string_free (out, FALSE);
}

/* Beyond this many scopes the table keeps the slowest. */
#define HOT_PATH_ROWS 100

/* A run without scopes (a chat, a bench) has its ops as hot paths, in the rows the comparison
 * takes them as, so this report compares as the snapshot it came from does. */
static void
md_hot_ops (GString *md, GPtrArray *op_rows)
{
  double total = 0;

  for (guint i = 0; i < op_rows->len; i++)
    total += ((const SmProfileRow *) g_ptr_array_index (op_rows, i))->total_ms;
  g_string_append_printf (md, "## 🔥 Hot Paths (all %u ops, per 1k tokens of their pass)\n\n",
                          op_rows->len);
  g_string_append (md, "| Rank | Method | Time (ms) | Calls | Share | Parent |\n");
  g_string_append (md, "|------|--------|-----------|-------|-------|--------|\n");
  for (guint i = 0; i < op_rows->len; i++)
    {
      const SmProfileRow *r = g_ptr_array_index (op_rows, i);
      g_string_append_printf (md, "| %u | `%s` | %.4f | %" G_GUINT64_FORMAT " | %.1f%% | — |\n",
                              i + 1, r->name, r->total_ms, r->calls,
                              total > 0 ? 100.0 * r->total_ms / total : 0.0);
    }
  g_string_append (md, "\n");
}

static void
md_hot_paths (GString *md, const SmSnapshot *snap, GArray *sums, GPtrArray *op_rows)
{
  guint64 total = sm_snapshot_total_ns (snap);
  const guint rows = MIN (sums->len, HOT_PATH_ROWS);

  if (sums->len == 0 && op_rows->len > 0)
    {
      md_hot_ops (md, op_rows);
      return;
    }

  if (rows == sums->len)
    g_string_append_printf (md, "## 🔥 Hot Paths (all %u scopes)\n\n", rows);
  else
    g_string_append_printf (md, "## 🔥 Hot Paths (Top %u of %u scopes)\n\n", rows, sums->len);
  g_string_append (md, "| Rank | Method | Time (ms) | Calls | Avg (ms) | Self (ms) | Share | "
                       "Min (ms) | Max (ms) | Std (ms) | Runs ± | Sys allocs | Parent |\n");
  g_string_append (md, "|------|--------|-----------|-------|----------|-----------|-------|"
                       "----------|----------|----------|--------|------------|--------|\n");
  for (guint i = 0; i < rows; i++)
    {
      const SmScopeSummary *s = &g_array_index (sums, SmScopeSummary, i);
      g_autofree char *key = g_strdup_printf ("scope:%s", s->name);
      SmMeasurement *m = sm_snapshot_find_measurement (snap, key);
      g_autofree char *spread = NULL;
      g_autofree char *parents = parents_text (snap, s->name);

      if (m && m->values->len > 1 && sm_measurement_median (m) > 0)
        spread = g_strdup_printf ("%.1f%% (%u)", 100.0 * (sm_measurement_max (m) - sm_measurement_min (m)) /
                                                 sm_measurement_median (m), m->values->len);
      g_string_append_printf (md, "| %u | `%s` | %.2f | %" G_GUINT64_FORMAT " | %.3f | %.2f | %.1f%% | "
                              "%.3f | %.3f | %.3f | %s | %" G_GUINT64_FORMAT " | %s |\n",
                              i + 1, s->name, ms (s->total_ns), s->count,
                              s->count ? ms (s->total_ns) / (double) s->count : 0.0, ms (s->self_ns),
                              total ? 100.0 * s->total_ns / (double) total : 0.0, ms (s->min_ns),
                              ms (s->max_ns), s->std_ns / 1e6, spread ? spread : "—", s->sys_allocs,
                              *parents ? parents : "—");
    }
  g_string_append (md, "\n");
}

static int
alloc_cmp (gconstpointer pa, gconstpointer pb)
{
  const SmScopeSummary *a = pa, *b = pb;
  if (a->sys_allocs != b->sys_allocs)
    return a->sys_allocs > b->sys_allocs ? -1 : 1;
  if (a->rents != b->rents)
    return a->rents > b->rents ? -1 : 1;
  return g_strcmp0 (a->name, b->name);
}

static void
md_allocators (GString *md, GArray *sums)
{
  g_autoptr (GArray) by = g_array_copy (sums);
  guint shown = 0;

  g_array_sort (by, alloc_cmp);
  g_string_append (md, "## 💾 Top Allocators\n\n");
  g_string_append (md, "System allocations are buffers the pool had to ask the system for (with the "
                       "pool off, every rent is one); rents are all requests; retained is pool "
                       "memory still rented when the scope ended.\n\n");
  g_string_append (md, "| Rank | Method | Sys allocs | Rents | Pool hits | Hit rate | Calls | "
                       "Sys allocs/call | Retained (MB) |\n");
  g_string_append (md, "|------|--------|------------|-------|-----------|----------|-------|"
                       "-----------------|---------------|\n");
  for (guint i = 0; i < by->len && shown < 15; i++)
    {
      const SmScopeSummary *s = &g_array_index (by, SmScopeSummary, i);
      if (s->rents == 0 && s->sys_allocs == 0)
        continue;
      shown++;
      g_string_append_printf (md, "| %u | `%s` | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | %"
                              G_GUINT64_FORMAT " | %.1f%% | %" G_GUINT64_FORMAT " | %.2f | %.2f |\n",
                              shown, s->name, s->sys_allocs, s->rents, s->hits,
                              s->rents ? 100.0 * s->hits / (double) s->rents : 0.0, s->count,
                              s->count ? s->sys_allocs / (double) s->count : 0.0,
                              s->live_delta / 1e6);
    }
  if (shown == 0)
    g_string_append (md, "| — | (no pool events recorded) | | | | | | | |\n");
  g_string_append (md, "\n");
}

static void
md_kernels (GString *md, const SmSnapshot *snap)
{
  gboolean any = FALSE;

  g_string_append (md, "## ⚙️ Kernel Throughput (per call)\n\n");
  g_string_append (md, "Each row is one kernel call shape at one level: GFLOP/s = FLOPs of one "
                       "multiply / its time (the original divided a whole scope's time, warm-up "
                       "included, by one multiply's FLOPs).\n\n");
  g_string_append (md, "| Kernel | Shape | Level | Pass | Calls | Mean (ms) | Min (ms) | GFLOP/s | "
                       "Best GFLOP/s | GB/s |\n");
  g_string_append (md, "|--------|-------|-------|------|-------|-----------|----------|---------|"
                       "--------------|------|\n");
  for (guint i = 0; i < snap->ops->len; i++)
    {
      const SmOpRecord *r = &g_array_index (snap->ops, SmOpRecord, i);
      g_autoptr (GString) shape = g_string_new (NULL);
      double per_call_flops = r->count ? r->flops / (double) r->count : 0;

      if (r->m == 0)
        continue;
      any = TRUE;
      format_shape (shape, r);
      g_string_append_printf (md, "| %s | %s | %s | %s | %" G_GUINT64_FORMAT " | %.3f | %.3f | %.2f | %.2f | %.2f |\n",
                              sm_op_kind_name (r->op), shape->str,
                              sm_kernel_level_to_string (r->level), sm_op_pass_name (r->pass), r->count,
                              r->count ? ms (r->ns) / (double) r->count : 0.0, ms (r->min_ns),
                              sm_op_record_gflops (r),
                              r->min_ns ? per_call_flops / (double) r->min_ns : 0.0,
                              sm_op_record_gbps (r));
    }
  if (!any)
    g_string_append (md, "| — | (no shaped kernel calls recorded) | | | | | | | | |\n");
  g_string_append (md, "\n");
}

/* One op kind at one level over both kinds of forward pass, every shape. */
typedef struct {
  SmOpKind      op;
  SmKernelLevel level;
  guint64       count;
  guint64       ns[SM_N_OP_PASSES];
  guint64       total_ns;
  guint64       min_ns, max_ns;
  double        flops, bytes;
} OpSum;

static int
op_sum_cmp (gconstpointer pa, gconstpointer pb)
{
  const OpSum *a = pa, *b = pb;
  if (a->total_ns != b->total_ns)
    return a->total_ns > b->total_ns ? -1 : 1;
  return a->op != b->op ? (a->op < b->op ? -1 : 1) : (a->level < b->level ? -1 : a->level > b->level);
}

/* Where the forward passes' time went, by op kind: every shape's row folded into its kind,
 * the standalone kernel timings (pass "other") left out. */
static void
md_ops (GString *md, const SmSnapshot *snap)
{
  g_autoptr (GArray) sums = g_array_new (FALSE, TRUE, sizeof (OpSum));
  guint64 total = 0;

  for (guint i = 0; i < snap->ops->len; i++)
    {
      const SmOpRecord *r = &g_array_index (snap->ops, SmOpRecord, i);
      OpSum *sum = NULL;

      if (r->pass == SM_OP_PASS_OTHER || (guint) r->pass >= SM_N_OP_PASSES || r->count == 0)
        continue;
      for (guint j = 0; j < sums->len && sum == NULL; j++)
        if (g_array_index (sums, OpSum, j).op == r->op && g_array_index (sums, OpSum, j).level == r->level)
          sum = &g_array_index (sums, OpSum, j);
      if (sum == NULL)
        {
          OpSum fresh = { .op = r->op, .level = r->level, .min_ns = G_MAXUINT64 };
          g_array_append_val (sums, fresh);
          sum = &g_array_index (sums, OpSum, sums->len - 1);
        }
      sum->count += r->count;
      sum->ns[r->pass] += r->ns;
      sum->total_ns += r->ns;
      sum->min_ns = MIN (sum->min_ns, r->min_ns);
      sum->max_ns = MAX (sum->max_ns, r->max_ns);
      sum->flops += r->flops;
      sum->bytes += r->bytes;
      total += r->ns;
    }
  g_array_sort (sums, op_sum_cmp);

  g_string_append (md, "## 🧮 Per-op Breakdown (model forward passes)\n\n");
  g_string_append (md, "Every op of the forward passes by kind, all shapes together; *prefill* passes "
                       "evaluate several tokens at once (GEMMs), *decode* passes one (GEMVs). "
                       "Standalone kernel timings are in the table above, not here.\n\n");
  g_string_append (md, "| Op | Level | Calls | Prefill (ms) | Decode (ms) | Total (ms) | Share | "
                       "Mean (µs) | Min (µs) | Max (µs) | GFLOP/s | GB/s |\n");
  g_string_append (md, "|----|-------|-------|--------------|-------------|------------|-------|"
                       "-----------|----------|----------|---------|------|\n");
  for (guint i = 0; i < sums->len; i++)
    {
      const OpSum *o = &g_array_index (sums, OpSum, i);
      double sec = o->total_ns / 1e9;
      g_string_append_printf (md, "| %s | %s | %" G_GUINT64_FORMAT " | %.2f | %.2f | %.2f | %.1f%% | "
                              "%.2f | %.2f | %.2f | %.2f | %.2f |\n", sm_op_kind_name (o->op),
                              sm_kernel_level_to_string (o->level), o->count,
                              ms (o->ns[SM_OP_PASS_PREFILL]), ms (o->ns[SM_OP_PASS_DECODE]),
                              ms (o->total_ns), total ? 100.0 * o->total_ns / (double) total : 0.0,
                              o->total_ns / 1e3 / (double) o->count, o->min_ns / 1e3,
                              o->max_ns / 1e3, sec > 0 ? o->flops / sec / 1e9 : 0.0,
                              sec > 0 ? o->bytes / sec / 1e9 : 0.0);
    }
  if (sums->len == 0)
    g_string_append (md, "| — | (no forward-pass ops recorded) | | | | | | | | | | |\n");
  g_string_append (md, "\n");
}

static int
point_time_cmp (gconstpointer a, gconstpointer b)
{
  const SmRoofPoint *x = a, *y = b;
  return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

/* The roof the run was under and every op as a point under it (the window's Roofline page). */
static void
md_roofline (GString *md, const SmSnapshot *snap)
{
  const SmRoofline *roof = snap->roofline;
  g_autoptr (GArray) points = NULL;
  const int threads = MAX (snap->threads, 1);

  if (roof == NULL)
    return;
  g_string_append (md, "## 🏠 Roofline\n\n");
  g_string_append_printf (md, "The roof of this machine (%s, %d CPUs), measured %s%s: the SGEMM peak of each "
                          "kernel level on cache-resident data, and the read bandwidth of buffers sized "
                          "to each memory level.\n\n", roof->cpu, roof->max_threads, roof->created,
                          roof->quick ? " in quick mode (rough figures)" : "");
  g_string_append_printf (md, "| Kernel level | GFLOP/s, 1 thread | GFLOP/s, %d threads |\n"
                          "|--------------|-------------------|--------------------|\n", roof->max_threads);
  for (guint i = 0; i < roof->peaks->len; i++)
    {
      const SmRoofPeak *p = &g_array_index (roof->peaks, SmRoofPeak, i);
      g_string_append_printf (md, "| %s | %.1f | %.1f |\n", sm_kernel_level_to_string (p->level),
                              p->gflops_1, p->gflops_max);
    }
  g_string_append_printf (md, "\n| Memory | Buffer (bytes) | GB/s, 1 thread | GB/s, %d threads |\n"
                          "|--------|----------------|----------------|------------------|\n", roof->max_threads);
  for (int m = 0; m < SM_N_MEM_LEVELS; m++)
    g_string_append_printf (md, "| %s | %" G_GUINT64_FORMAT " | %.1f | %.1f |\n", sm_mem_level_name (m),
                            roof->mem_bytes[m], roof->mem_gbps_1[m], roof->mem_gbps_max[m]);

  points = sm_roofline_points (snap->ops);
  g_array_sort (points, point_time_cmp);
  g_string_append_printf (md, "\nEvery op of the run at its level and shape, slowest first; *roof* is the lower "
                          "of its level's peak and its intensity times the bandwidth of the memory its "
                          "data fits in, at %d thread%s.\n\n", threads, threads == 1 ? "" : "s");
  g_string_append (md, "| Op | Level | Calls | Intensity (flop/byte) | GFLOP/s | Memory | Roof (GFLOP/s) | % of roof |\n"
                       "|----|-------|-------|-----------------------|---------|--------|----------------|-----------|\n");
  for (guint i = 0; i < points->len; i++)
    {
      const SmRoofPoint *p = &g_array_index (points, SmRoofPoint, i);
      g_autofree char *name = sm_roof_point_describe (p);
      double attainable = sm_roofline_attainable (roof, p, threads);
      g_string_append_printf (md, "| %s | %s | %" G_GUINT64_FORMAT " | %.3g | %.2f | %s | %.1f | %.1f%% |\n",
                              name, sm_kernel_level_to_string (p->level), p->count,
                              sm_roof_point_intensity (p), sm_roof_point_gflops (p),
                              sm_mem_level_name (sm_roofline_mem_for (roof, p->bytes / (double) p->count)),
                              attainable, attainable > 0 ? 100.0 * sm_roof_point_gflops (p) / attainable : 0.0);
    }
  if (points->len == 0)
    g_string_append (md, "| — | (no ops recorded) | | | | | | |\n");
  g_string_append (md, "\n");
}

static void
md_models (GString *md, const SmSnapshot *snap)
{
  double tokens = sm_snapshot_value (snap, "suite_tokens", 25);
  double prompt = sm_snapshot_value (snap, "suite_prompt", 10);
  const SmSnapshotModel *small = find_model (snap, "Small"), *medium = find_model (snap, "Medium");
  gboolean any = FALSE;

  g_string_append (md, "## 🤖 Model Throughput\n\n");
  g_string_append_printf (md, "A %.0f-token random prompt (seed 42), then %.0f tokens. *No KV cache* "
                          "re-evaluates the whole context for every token, as the original did; "
                          "*KV cache* evaluates the prompt once and each new token once. tok/s = "
                          "%.0f / inference seconds. Medians over the repetitions, ± half the "
                          "run-to-run range.\n\n", prompt, tokens, tokens);
  g_string_append (md, "| Model | Params | KV cache | Inference (ms) | tok/s | ms/token | vs seed | "
                       "Decode tok/s | TTFT (ms) | Sys allocs/token | Rents/token |\n");
  g_string_append (md, "|-------|--------|----------|----------------|-------|----------|---------|"
                       "--------------|-----------|------------------|-------------|\n");
  for (guint i = 0; i < G_N_ELEMENTS (model_keys); i++)
    for (int kv = 0; kv < 2; kv++)
      {
        const char *key = model_keys[i];
        const char *mode = kv ? "_KV" : "";
        g_autofree char *n_inf = g_strdup_printf ("Model_%s%s_Inference_ms", key, mode);
        g_autofree char *n_tps = g_strdup_printf ("Model_%s%s_tok_s", key, mode);
        g_autofree char *n_dec = g_strdup_printf ("Model_%s%s_decode_tok_s", key, mode);
        g_autofree char *n_ttft = g_strdup_printf ("Model_%s%s_ttft_ms", key, mode);
        g_autofree char *n_alloc = g_strdup_printf ("Model_%s%s_sys_allocs_per_token", key, mode);
        g_autofree char *n_rent = g_strdup_printf ("Model_%s%s_rents_per_token", key, mode);
        g_autofree char *inf = NULL, *tps = NULL, *dec = NULL, *ttft = NULL;
        const SmSnapshotModel *m = find_model (snap, key);
        double tps_med = median_of (snap, n_tps), inf_med = median_of (snap, n_inf);
        double seed = i == 0 ? SM_SEED_SMALL_TPS : SM_SEED_MEDIUM_TPS;

        if (isnan (tps_med))
          continue;
        any = TRUE;
        inf = format_measured (snap, n_inf, "%.2f");
        tps = format_measured (snap, n_tps, "%.0f");
        dec = format_measured (snap, n_dec, "%.0f");
        ttft = format_measured (snap, n_ttft, "%.3f");
        g_string_append_printf (md, "| **%s** | %" G_GUINT64_FORMAT " | %s | %s | %s | %.3f | %.0f× | "
                                "%s | %s | %.2f | %.2f |\n", key, m ? m->params : 0,
                                kv ? "yes" : "no", inf, tps, inf_med / tokens, tps_med / seed, dec,
                                ttft, median_of (snap, n_alloc), median_of (snap, n_rent));
      }
  if (!any)
    g_string_append (md, "| — | (no model runs in this snapshot) | | | | | | | | | |\n");
  g_string_append (md, "\n");

  if (small && medium && small->params)
    {
      double ts = median_of (snap, "Model_Small_Inference_ms");
      double tm = median_of (snap, "Model_Medium_Inference_ms");
      double pr = (double) medium->params / (double) small->params;
      if (!isnan (ts) && !isnan (tm) && ts > 0)
        g_string_append_printf (md, "Scaling: Medium/Small time ratio %.2f× against a parameter "
                                "ratio of %.2f× (efficiency %.2f; 1.0 is time growing like the "
                                "parameters, above is better).\n\n", tm / ts, pr, pr / (tm / ts));
    }
}

static void
md_overhead (GString *md, const SmSnapshot *snap)
{
  gboolean header = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (model_keys); i++)
    {
      g_autofree char *n_on = g_strdup_printf ("overhead_%s_on_tok_s", model_keys[i]);
      g_autofree char *n_off = g_strdup_printf ("overhead_%s_off_tok_s", model_keys[i]);
      g_autofree char *n_pct = g_strdup_printf ("overhead_%s_pct", model_keys[i]);
      g_autofree char *n_ops = g_strdup_printf ("overhead_%s_ops_per_token", model_keys[i]);
      SmMeasurement *on = sm_snapshot_find_measurement (snap, n_on);
      SmMeasurement *off = sm_snapshot_find_measurement (snap, n_off);
      double on_med, off_med, ops, token_ns = sm_snapshot_value (snap, "overhead_token_cost_ns", 0);
      /* between kernels when measured (older snapshots: the tight loop's) */
      double op_ns = sm_snapshot_value (snap, "overhead_op_cost_in_situ_ns", snap->op_cost_ns);

      if (on == NULL || off == NULL)
        continue;
      if (!header)
        {
          g_string_append (md, "## ⏱️ Profiling Overhead\n\n");
          g_string_append (md, "Decode with the KV cache until the context is full, profiling on (per-op "
                               "and per-token records, the sampler) and off, in back-to-back pairs. "
                               "Overhead is the median of the pairs' differences; the tok/s columns are "
                               "medians.\n\n");
          g_string_append (md, "| Model | Runs | On (tok/s) | Off (tok/s) | Overhead | Op records/token | "
                               "Estimate from the op cost |\n");
          g_string_append (md, "|-------|------|------------|-------------|----------|------------------|"
                               "---------------------------|\n");
          header = TRUE;
        }
      on_med = sm_measurement_median (on);
      off_med = sm_measurement_median (off);
      ops = sm_snapshot_value (snap, n_ops, 0);
      g_string_append_printf (md, "| %s | %u pairs | %.0f | %.0f | %.2f%% | %.0f | %.2f%% |\n",
                              model_keys[i], on->values->len, on_med, off_med,
                              sm_snapshot_value (snap, n_pct, NAN), ops,
                              off_med > 0 ? 100.0 * (op_ns * (ops + 1) + token_ns) * off_med / 1e9
                                          : 0.0);
    }
  if (header)
    g_string_append_printf (md, "\nGoal: ≤ %.0f%%. One op record costs %.1f ns here in a tight loop "
                            "and %.1f ns between kernels (after SGEMVs streaming 2 MB, as in Small's decode: "
                            "the clock read waits on the kernel's work in flight, the profiler's lines "
                            "come back from L2 or L3), a token record "
                            "%.1f ns; the estimate is what the records of one token (its ops and the "
                            "forward pass's mark) cost over the token's time, free of the machine's "
                            "noise.\n\n",
                            SM_TARGET_OVERHEAD_PCT, snap->op_cost_ns,
                            sm_snapshot_value (snap, "overhead_op_cost_in_situ_ns", NAN),
                            sm_snapshot_value (snap, "overhead_token_cost_ns", 0));
}

static void
md_scorecard (GString *md, const SmSnapshot *snap)
{
  double s = median_of (snap, "Model_Small_tok_s");
  double m = median_of (snap, "Model_Medium_tok_s");
  double mm = median_of (snap, "scope:MatMul_512x512");
  double over = sm_snapshot_value (snap, "overhead_pct", NAN);
  double allocs = fmax (median_of (snap, "Model_Small_KV_steady_sys_allocs_per_token"),
                        median_of (snap, "Model_Medium_KV_steady_sys_allocs_per_token"));
  gboolean release = sm_build_info_is_release_like (&snap->build);
  /* The seed's figures are of its full harness: a reduced run (--quick) is not held to them */
  double tokens = sm_snapshot_value (snap, "suite_tokens", 25);
  double prompt = sm_snapshot_value (snap, "suite_prompt", 10);
  double mm_runs = sm_snapshot_value (snap, "suite_warmup", 1) + sm_snapshot_value (snap, "suite_matmul_iterations", 3);
  const SmMeasurement *pairs = sm_snapshot_find_measurement (snap, "overhead_Small_pair_pct");
  gboolean full_harness = tokens == 25 && prompt == 10;
  gboolean enough_pairs = pairs == NULL || pairs->values->len >= 11;
  g_autofree char *reduced = g_strdup_printf ("⚠️ not comparable (%.0f tokens)", tokens);

  g_string_append (md, "## 🎯 Scorecard\n\n");
  g_string_append (md, "| Target | Goal | Measured | Status |\n");
  g_string_append (md, "|--------|------|----------|--------|\n");
  if (!isnan (s))
    g_string_append_printf (md, "| Small tok/s (no KV cache, the seed's harness) | ≥ %.0f (%.0f× the seed's %.0f) | "
                            "%.0f (%.0f×) | %s |\n", SM_SEED_SMALL_TPS * SM_TARGET_SPEEDUP,
                            SM_TARGET_SPEEDUP, SM_SEED_SMALL_TPS, s, s / SM_SEED_SMALL_TPS,
                            full_harness ? pass_mark (s >= SM_SEED_SMALL_TPS * SM_TARGET_SPEEDUP) : reduced);
  if (!isnan (m))
    g_string_append_printf (md, "| Medium tok/s (no KV cache) | ≥ %.0f (%.0f× the seed's %.0f) | "
                            "%.0f (%.0f×) | %s |\n", SM_SEED_MEDIUM_TPS * SM_TARGET_SPEEDUP,
                            SM_TARGET_SPEEDUP, SM_SEED_MEDIUM_TPS, m, m / SM_SEED_MEDIUM_TPS,
                            full_harness ? pass_mark (m >= SM_SEED_MEDIUM_TPS * SM_TARGET_SPEEDUP) : reduced);
  if (!isnan (mm) && mm_runs > 0)
    {
      /* per multiply, so a run with other counts compares too */
      double seed = SM_SEED_MATMUL512_MS / SM_SEED_MATMUL512_RUNS, ours = mm / mm_runs;
      g_string_append_printf (md, "| MatMul 512², per multiply (of %.0f, warm-up included) | < %.1f ms (the seed's %.0f ms "
                              "for %d) | %.2f ms (%.0f× faster) | %s |\n", mm_runs, seed,
                              SM_SEED_MATMUL512_MS, SM_SEED_MATMUL512_RUNS, ours,
                              seed / MAX (ours, 1e-9), pass_mark (ours < seed));
    }
  if (!isnan (over))
    {
      g_autofree char *few = g_strdup_printf ("⚠️ %u pairs: too few to judge", pairs ? pairs->values->len : 0);
      g_string_append_printf (md, "| Profiling overhead (decode tok/s) | ≤ %.0f%% | %.2f%% | %s |\n",
                              SM_TARGET_OVERHEAD_PCT, over,
                              enough_pairs ? pass_mark (over <= SM_TARGET_OVERHEAD_PCT) : few);
    }
  if (!isnan (allocs))
    g_string_append_printf (md, "| System allocations per decoded token, after the first | 0 with the pool on | %.2f (pool %s) | %s |\n",
                            allocs, snap->pool_enabled ? "on" : "off",
                            !snap->pool_enabled ? "➖ pool off"
                            /* a few tokens are mostly the pool's first meeting with decode's sizes */
                            : full_harness ? pass_mark (allocs == 0) : reduced);
  g_string_append_printf (md, "| Build | optimized, no sanitizers | %s%s%s | %s |\n",
                          snap->build.build_type ? snap->build.build_type : "?",
                          snap->build.sanitizers && g_strcmp0 (snap->build.sanitizers, "none") ? ", sanitizers " : "",
                          snap->build.sanitizers && g_strcmp0 (snap->build.sanitizers, "none") ? snap->build.sanitizers : "",
                          release ? "✅ PASS" : "⚠️ not comparable");
  g_string_append (md, "\n");
}

static void
md_measurements (GString *md, const SmSnapshot *snap)
{
  gboolean header = FALSE;

  for (guint i = 0; i < snap->measurements->len; i++)
    {
      const SmMeasurement *m = g_ptr_array_index (snap->measurements, i);
      double med = sm_measurement_median (m);

      if (g_str_has_prefix (m->name, "scope:") || g_str_has_prefix (m->name, "suite_"))
        continue;
      if (!header)
        {
          g_string_append (md, "## 🔁 Repeated Measurements\n\n");
          g_string_append (md, "| Measurement | Unit | Runs | Median | Min | Max | Spread |\n");
          g_string_append (md, "|-------------|------|------|--------|-----|-----|--------|\n");
          header = TRUE;
        }
      g_autofree char *spread = m->values->len > 1 && med != 0
        ? g_strdup_printf ("%.1f%%", 100.0 * (sm_measurement_max (m) - sm_measurement_min (m)) / fabs (med))
        : g_strdup ("—");
      g_string_append_printf (md, "| `%s` | %s | %u | %.4g | %.4g | %.4g | %s |\n", m->name, m->unit,
                              m->values->len, med, sm_measurement_min (m), sm_measurement_max (m),
                              spread);
    }
  if (header)
    g_string_append (md, "\nPer-scope repetitions are in the JSON snapshot (`scope:NAME`).\n\n");
}

static void
md_counters (GString *md, const SmSnapshot *snap)
{
  const SmProfilerCounters *c = &snap->counters;

  g_string_append (md, "## 📟 Engine Counters\n\n");
  g_string_append_printf (md, "- Prefill: %" G_GUINT64_FORMAT " tokens in %.2f ms → %.0f tok/s\n",
                          c->prefill_tokens, ms (c->prefill_ns), c->prefill_tps);
  g_string_append_printf (md, "- Decode: %" G_GUINT64_FORMAT " tokens in %.2f ms → %.0f tok/s\n",
                          c->decode_tokens, ms (c->decode_ns), c->decode_tps);
  if (c->ttft_ns >= 0)
    g_string_append_printf (md, "- Time to first token (last generation): %.3f ms\n", ms ((guint64) c->ttft_ns));
  g_string_append_printf (md, "- Context: %d of %d positions used\n", c->context_used, c->context_size);
  g_string_append_printf (md, "- Pool: live %.2f MB, peak %.2f MB, cached %.2f MB; rents %" G_GUINT64_FORMAT
                          ", hits %" G_GUINT64_FORMAT ", misses %" G_GUINT64_FORMAT
                          "; system allocations %" G_GUINT64_FORMAT "\n",
                          c->pool.live_bytes / 1e6, c->pool.peak_bytes / 1e6, c->pool.cached_bytes / 1e6,
                          c->pool.rents, c->pool.hits, c->pool.misses, c->pool.system_allocs);
  g_string_append_printf (md, "- System allocations per decoded token: %.3f\n", c->sys_allocs_per_token);
  g_string_append_printf (md, "- Op records: %" G_GUINT64_FORMAT " (%.2f ms, %.3f GFLOP)",
                          c->ops, ms (c->op_ns), c->flops / 1e9);
  if (c->dropped_tokens || c->dropped_trace)
    g_string_append_printf (md, "; dropped from bounded buffers: %" G_GUINT64_FORMAT " token records, %"
                            G_GUINT64_FORMAT " trace events", c->dropped_tokens, c->dropped_trace);
  g_string_append (md, "\n\n");
}

char *
sm_export_markdown_string (const SmSnapshot *snap)
{
  GString *md = g_string_new (NULL);
  g_autoptr (GArray) sums = sm_snapshot_summarize_scopes (snap);
  g_autoptr (GPtrArray) op_rows = sm_profile_op_rows (snap);

  md_header (md, snap);
  md_summary (md, snap, sums, op_rows);
  md_hot_paths (md, snap, sums, op_rows);
  md_allocators (md, sums);
  md_kernels (md, snap);
  md_ops (md, snap);
  md_roofline (md, snap);
  md_models (md, snap);
  md_overhead (md, snap);
  md_scorecard (md, snap);
  md_counters (md, snap);
  md_measurements (md, snap);
  g_string_append (md, "## Notes\n\n"
                       "- Time (ms) is inclusive: a scope with its children. Self (ms) leaves the "
                       "children out, so the self times add up to the total runtime. The profiler "
                       "takes its own bookkeeping out of both.\n"
                       "- Min/Max/Std are of one call. Runs ± is the spread of the scope's time over "
                       "the repetitions of the whole suite; a change smaller than that is noise.\n"
                       "- `smallmind-cli compare PREV.json CURR.json` compares two runs (also an "
                       "older Markdown report's hot-path table).\n");
  return g_string_free (md, FALSE);
}

/* ---- CSV -------------------------------------------------------------------------------------------- */

static void
csv_field (GString *s, const char *text)
{
  if (strpbrk (text, ",\"\n\r") == NULL)
    {
      g_string_append (s, text);
      return;
    }
  g_string_append_c (s, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

static void
csv_row (GString *s, const char *kind, const char *name, guint64 total, guint64 self, double share,
         guint64 count, double mean, guint64 min, guint64 max, double std)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (s, kind);
  g_string_append_c (s, ',');
  csv_field (s, name);
  g_string_append_printf (s, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",", total, self);
  g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.6f", share));
  g_string_append_printf (s, ",%" G_GUINT64_FORMAT ",", count);
  g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.1f", mean));
  g_string_append_printf (s, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",", min, max);
  g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.1f", std));
  g_string_append_c (s, '\n');
}

char *
sm_export_csv_string (const SmSnapshot *snap)
{
  GString *s = g_string_new ("kind,name,total_ns,self_ns,share,count,mean_ns,min_ns,max_ns,std_ns\n");
  guint64 total = sm_snapshot_total_ns (snap), op_total = 0;

  for (guint i = 0; i < snap->scopes->len; i++)
    {
      const SmScopeStats *sc = &g_array_index (snap->scopes, SmScopeStats, i);
      g_autofree char *path = sm_snapshot_scope_path (snap, i);
      csv_row (s, "scope", path, sc->total_ns, sc->self_ns,
               total ? sc->total_ns / (double) total : 0.0, sc->count, sc->mean_ns, sc->min_ns,
               sc->max_ns, sc->std_ns);
    }
  for (guint i = 0; i < snap->ops->len; i++)
    op_total += g_array_index (snap->ops, SmOpRecord, i).ns;
  for (guint i = 0; i < snap->ops->len; i++)
    {
      const SmOpRecord *r = &g_array_index (snap->ops, SmOpRecord, i);
      g_autoptr (GString) name = g_string_new (NULL);

      g_string_append_printf (name, "%s[%s %s]", sm_op_kind_name (r->op),
                              sm_kernel_level_to_string (r->level), sm_op_pass_name (r->pass));
      if (r->m)
        {
          g_string_append_c (name, ' ');
          format_shape (name, r);
        }
      csv_row (s, "op", name->str, r->ns, r->ns, op_total ? r->ns / (double) op_total : 0.0,
               r->count, r->count ? r->ns / (double) r->count : 0.0, r->count ? r->min_ns : 0,
               r->max_ns, r->std_ns);
    }
  return g_string_free (s, FALSE);
}

/* ---- Chrome trace ------------------------------------------------------------------------------------- */

enum {
  TID_ENGINE = 1,   /* phases > tokens > ops */
  TID_SCOPES = 2,   /* the scope tree */
  TID_KERNELS = 3,  /* ops of no forward pass: kernels timed on their own */
};

static void
json_string (GString *s, const char *text)
{
  g_string_append_c (s, '"');
  for (const unsigned char *p = (const unsigned char *) text; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (s, "\\%c", *p);
      else if (*p < 0x20)
        g_string_append_printf (s, "\\u%04x", *p);
      else
        g_string_append_c (s, (char) *p);
    }
  g_string_append_c (s, '"');
}

/* µs with ns precision, exactly: ts and ts + dur print as the same decimals a parser adds. */
static void
append_us (GString *s, gint64 ns)
{
  if (ns < 0)
    {
      g_string_append_c (s, '-');
      ns = -ns;
    }
  g_string_append_printf (s, "%" G_GINT64_FORMAT ".%03d", ns / 1000, (int) (ns % 1000));
}

static void
append_double (GString *s, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append (s, g_ascii_dtostr (buf, sizeof buf, isfinite (v) ? v : 0.0));
}

static void
event_begin (GString *s, gboolean *first)
{
  if (!*first)
    g_string_append (s, ",\n");
  *first = FALSE;
  g_string_append_c (s, '{');
}

static void
event_x (GString *s, gboolean *first, const char *name, const char *cat, int tid, gint64 ts,
         gint64 dur)
{
  event_begin (s, first);
  g_string_append (s, "\"name\":");
  json_string (s, name);
  g_string_append_printf (s, ",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":", cat, tid);
  append_us (s, ts);
  g_string_append (s, ",\"dur\":");
  append_us (s, MAX (dur, 0));
}

static gint64
trace_origin (const SmSnapshot *snap)
{
  gint64 t0 = G_MAXINT64;

  for (guint i = 0; i < snap->trace->len; i++)
    t0 = MIN (t0, g_array_index (snap->trace, SmTraceEvent, i).ts_ns);
  for (guint i = 0; i < snap->tokens->len; i++)
    t0 = MIN (t0, g_array_index (snap->tokens, SmTokenRecord, i).start_ns);
  for (guint i = 0; i < snap->series->len; i++)
    t0 = MIN (t0, g_array_index (snap->series, SmProfSample, i).t_ns);
  for (guint i = 0; i < snap->markers->len; i++)
    t0 = MIN (t0, g_array_index (snap->markers, SmProfMarker, i).t_ns);
  return t0 == G_MAXINT64 ? 0 : t0;
}

static void
trace_phases_and_tokens (GString *s, gboolean *first, const SmSnapshot *snap, gint64 t0)
{
  guint i = 0;

  while (i < snap->tokens->len)
    {
      const SmTokenRecord *r = &g_array_index (snap->tokens, SmTokenRecord, i);
      guint j = i + 1;
      gint64 end = r->start_ns + r->dur_ns;
      int n = r->n_tokens;

      /* a prefill is a phase of its own; a run of decode tokens is one decode phase */
      if (r->kind == SM_TOKEN_DECODE)
        while (j < snap->tokens->len &&
               g_array_index (snap->tokens, SmTokenRecord, j).kind == SM_TOKEN_DECODE)
          {
            const SmTokenRecord *q = &g_array_index (snap->tokens, SmTokenRecord, j);
            end = MAX (end, q->start_ns + q->dur_ns);
            n += q->n_tokens;
            j++;
          }
      event_x (s, first, r->kind == SM_TOKEN_PREFILL ? "prefill" : "decode", "phase", TID_ENGINE,
               r->start_ns - t0, end - r->start_ns);
      g_string_append_printf (s, ",\"args\":{\"tokens\":%d}}", n);

      for (guint k = i; k < j; k++)
        {
          const SmTokenRecord *q = &g_array_index (snap->tokens, SmTokenRecord, k);
          g_autofree char *name = q->kind == SM_TOKEN_PREFILL
                                  ? g_strdup_printf ("prefill %d tokens", q->n_tokens)
                                  : g_strdup_printf ("token %d", q->pos);
          event_x (s, first, name, "token", TID_ENGINE, q->start_ns - t0, q->dur_ns);
          g_string_append_printf (s, ",\"args\":{\"pos\":%d,\"tokens\":%d,\"ms\":", q->pos, q->n_tokens);
          append_double (s, q->dur_ns / 1e6);
          g_string_append (s, "}}");
        }
      i = j;
    }
}

char *
sm_export_trace_string (const SmSnapshot *snap)
{
  GString *s = g_string_new ("{\"traceEvents\":[\n");
  gboolean first = TRUE;
  gint64 t0 = trace_origin (snap);

  /* metadata: process and thread names */
  event_begin (s, &first);
  g_string_append (s, "\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":");
  json_string (s, snap->build.program ? snap->build.program : "smallmind");
  g_string_append (s, "}}");
  event_begin (s, &first);
  g_string_append_printf (s, "\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
                          "\"args\":{\"name\":\"engine: phases, tokens, ops\"}}", TID_ENGINE);
  event_begin (s, &first);
  g_string_append_printf (s, "\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
                          "\"args\":{\"name\":\"scopes\"}}", TID_SCOPES);
  event_begin (s, &first);
  g_string_append_printf (s, "\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
                          "\"args\":{\"sort_index\":1}}", TID_SCOPES);
  for (guint i = 0; i < snap->trace->len; i++)
    {
      const SmTraceEvent *e = &g_array_index (snap->trace, SmTraceEvent, i);
      if (e->type == SM_TRACE_OP && e->pass == SM_OP_PASS_OTHER)
        {
          event_begin (s, &first);
          g_string_append_printf (s, "\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
                                  "\"args\":{\"name\":\"kernels timed on their own\"}}", TID_KERNELS);
          break;
        }
    }

  trace_phases_and_tokens (s, &first, snap, t0);

  for (guint i = 0; i < snap->trace->len; i++)
    {
      const SmTraceEvent *e = &g_array_index (snap->trace, SmTraceEvent, i);

      if (e->type == SM_TRACE_OP)
        {
          /* a forward pass's ops sit in its tokens; the others are not part of any */
          event_x (s, &first, sm_op_kind_name (e->op), "op",
                   e->pass == SM_OP_PASS_OTHER ? TID_KERNELS : TID_ENGINE, e->ts_ns - t0, e->dur_ns);
          g_string_append (s, ",\"args\":{\"level\":");
          json_string (s, sm_kernel_level_to_string (e->level));
          g_string_append (s, ",\"flops\":");
          append_double (s, e->flops);
          g_string_append (s, ",\"bytes\":");
          append_double (s, e->bytes);
          g_string_append (s, "}}");
        }
      else if (e->type == SM_TRACE_SCOPE)
        {
          const char *name = e->id >= 0 && (guint) e->id < snap->scopes->len
                             ? g_array_index (snap->scopes, SmScopeStats, e->id).name : "scope";
          event_x (s, &first, name, "scope", TID_SCOPES, e->ts_ns - t0, e->dur_ns);
          g_string_append (s, "}");
        }
      /* SM_TRACE_TOKEN: the token records above already carry them */
    }

  for (guint i = 0; i < snap->series->len; i++)
    {
      const SmProfSample *p = &g_array_index (snap->series, SmProfSample, i);

      event_begin (s, &first);
      g_string_append (s, "\"name\":\"tok/s\",\"ph\":\"C\",\"pid\":1,\"ts\":");
      append_us (s, p->t_ns - t0);
      g_string_append (s, ",\"args\":{\"prefill\":");
      append_double (s, p->prefill_tps);
      g_string_append (s, ",\"decode\":");
      append_double (s, p->decode_tps);
      g_string_append (s, "}}");

      event_begin (s, &first);
      g_string_append (s, "\"name\":\"memory (MB)\",\"ph\":\"C\",\"pid\":1,\"ts\":");
      append_us (s, p->t_ns - t0);
      g_string_append (s, ",\"args\":{\"resident\":");
      append_double (s, p->resident_bytes / 1e6);
      g_string_append (s, ",\"pool live\":");
      append_double (s, p->pool_live_bytes / 1e6);
      g_string_append (s, "}}");
    }

  for (guint i = 0; i < snap->markers->len; i++)
    {
      const SmProfMarker *m = &g_array_index (snap->markers, SmProfMarker, i);
      event_begin (s, &first);
      g_string_append (s, "\"name\":");
      json_string (s, m->text);
      g_string_append_printf (s, ",\"cat\":\"marker\",\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"tid\":%d,\"ts\":",
                              TID_ENGINE);
      append_us (s, m->t_ns - t0);
      g_string_append (s, "}");
    }

  g_string_append (s, "\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{");
  g_string_append (s, "\"program\":");
  json_string (s, snap->build.program ? snap->build.program : "smallmind");
  g_string_append (s, ",\"created\":");
  json_string (s, snap->created ? snap->created : "");
  g_string_append (s, ",\"kernels\":");
  json_string (s, snap->kernel_level ? snap->kernel_level : "");
  g_string_append_printf (s, ",\"pool\":\"%s\",\"threads\":\"%d\",\"profiling\":\"%s\"",
                          snap->pool_enabled ? "on" : "off", snap->threads,
                          snap->profiling ? "on" : "off");
  g_string_append (s, ",\"cpu\":");
  json_string (s, snap->machine.cpu_model ? snap->machine.cpu_model : "");
  g_string_append (s, ",\"build_type\":");
  json_string (s, snap->build.build_type ? snap->build.build_type : "");
  g_string_append (s, ",\"compiler\":");
  json_string (s, snap->build.compiler ? snap->build.compiler : "");
  g_string_append (s, "}}\n");
  return g_string_free (s, FALSE);
}

/* ---- files -------------------------------------------------------------------------------------------- */

static gboolean
write_owned (const char *path, char *text, GError **error)
{
  gboolean ok = sm_export_write_atomic (path, text, -1, error);
  g_free (text);
  return ok;
}

gboolean
sm_export_json (const SmSnapshot *snap, const char *path, GError **error)
{
  gsize len;
  char *text = sm_snapshot_to_json (snap, &len);
  gboolean ok = sm_export_write_atomic (path, text, (gssize) len, error);
  g_free (text);
  return ok;
}

gboolean
sm_export_markdown (const SmSnapshot *snap, const char *path, GError **error)
{
  return write_owned (path, sm_export_markdown_string (snap), error);
}

gboolean
sm_export_csv (const SmSnapshot *snap, const char *path, GError **error)
{
  return write_owned (path, sm_export_csv_string (snap), error);
}

gboolean
sm_export_chrome_trace (const SmSnapshot *snap, const char *path, GError **error)
{
  return write_owned (path, sm_export_trace_string (snap), error);
}
