/* test-profiler.c: the profiler's tables, scopes, tokens, publication across threads, the
 * sampler and markers; SmEngine's live feed; and the profiling suite end to end (the real
 * `smallmind-cli profile --enhanced --quick`).  Structure and arithmetic are asserted, never
 * speed. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sm-compare.h"
#include "sm-engine.h"
#include "sm-export.h"
#include "sm-profiler.h"
#include "sm-session.h"
#include "sm-snapshot.h"
#include "sm-test-trace.h"
#include "sm-test-util.h"

static guint64
op_count (SmProfiler *prof, SmOpKind op)
{
  SmOpStats ops[SM_N_OPS];
  sm_profiler_get_ops (prof, ops);
  return ops[op].count;
}

static void
test_ops (void)
{
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  g_autoptr (GArray) recs = NULL;
  SmOpStats ops[SM_N_OPS];
  guint64 shaped = 0;

  /* NULL and off are no-ops */
  sm_profiler_mark (NULL);
  sm_profiler_op (NULL, SM_OP_MATMUL, 1, 1);
  g_assert_false (sm_profiler_get_enabled (NULL));
  g_assert_true (sm_profiler_get_enabled (prof));

  sm_profiler_mark (prof);
  for (int i = 0; i < 10; i++)
    sm_profiler_op (prof, SM_OP_MATMUL, 100.0, 40.0);
  sm_profiler_op (prof, SM_OP_NORM, 5.0, 2.0);
  sm_profiler_op_shape (prof, SM_OP_MATMUL, 4, 8, 16, 1024.0, 10.0);
  sm_profiler_op_shape (prof, SM_OP_MATMUL, 4, 8, 16, 1024.0, 10.0);
  sm_profiler_op_shape (prof, SM_OP_MATMUL, 2, 8, 16, 512.0, 10.0);

  /* get_ops on the writing thread sees everything at once (no wait for a publication) */
  sm_profiler_get_ops (prof, ops);
  g_assert_cmpuint (ops[SM_OP_MATMUL].count, ==, 13);
  g_assert_cmpfloat_with_epsilon (ops[SM_OP_MATMUL].flops, 1000.0 + 2560.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ops[SM_OP_MATMUL].bytes, 430.0, 1e-9);
  g_assert_cmpuint (ops[SM_OP_NORM].count, ==, 1);
  g_assert_cmpuint (ops[SM_OP_GELU].count, ==, 0);

  /* the per-op table keeps shapes apart, all at the level in force at the mark */
  recs = sm_profiler_copy_ops (prof);
  g_assert_cmpuint (recs->len, ==, 4);
  for (guint i = 0; i < recs->len; i++)
    {
      const SmOpRecord *r = &g_array_index (recs, SmOpRecord, i);
      g_assert_cmpint (r->level, ==, sm_kernels_get_level ());
      g_assert_cmpuint (r->min_ns, <=, r->max_ns);
      g_assert_cmpuint (r->max_ns, <=, r->ns);
      if (r->op == SM_OP_MATMUL && r->m == 4)
        {
          g_assert_cmpint (r->n, ==, 8);
          g_assert_cmpint (r->k, ==, 16);
          g_assert_cmpuint (r->count, ==, 2);
          shaped++;
        }
      if (r->op == SM_OP_MATMUL && r->m == 0)
        g_assert_cmpuint (r->count, ==, 10);
    }
  g_assert_cmpuint (shaped, ==, 1);

  /* off: nothing more is recorded */
  sm_profiler_set_enabled (prof, FALSE);
  sm_profiler_mark (prof);
  sm_profiler_op (prof, SM_OP_MATMUL, 1, 1);
  g_assert_cmpuint (op_count (prof, SM_OP_MATMUL), ==, 13);

  /* switched back on, an op without a mark has no start: skipped, and the next one counts */
  sm_profiler_set_enabled (prof, TRUE);
  sm_profiler_op (prof, SM_OP_MATMUL, 1, 1);
  g_assert_cmpuint (op_count (prof, SM_OP_MATMUL), ==, 13);
  sm_profiler_op (prof, SM_OP_MATMUL, 1, 1);
  g_assert_cmpuint (op_count (prof, SM_OP_MATMUL), ==, 14);

  /* reset clears it all */
  sm_profiler_reset (prof);
  g_assert_cmpuint (op_count (prof, SM_OP_MATMUL), ==, 0);
  sm_profiler_mark (prof);
  sm_profiler_op (prof, SM_OP_ADD, 1, 1);
  g_assert_cmpuint (op_count (prof, SM_OP_ADD), ==, 1);
  g_assert_cmpuint (op_count (prof, SM_OP_MATMUL), ==, 0);

  g_assert_cmpstr (sm_op_kind_name (SM_OP_ATTENTION), ==, "attention");
  g_assert_cmpstr (sm_op_kind_name (SM_N_OPS), ==, "unknown");
}

/* An op's row is its mark's pass's: the same op and shape in prefill, decode and outside a
 * pass are three rows, and the totals per kind add them up. */
static void
test_op_passes (void)
{
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  g_autoptr (GArray) recs = NULL;
  const SmOpPass passes[] = { SM_OP_PASS_PREFILL, SM_OP_PASS_DECODE, SM_OP_PASS_OTHER };
  guint seen[SM_N_OP_PASSES] = { 0 };
  SmOpPass parsed;

  for (guint p = 0; p < G_N_ELEMENTS (passes); p++)
    {
      if (passes[p] == SM_OP_PASS_OTHER)
        sm_profiler_mark (prof);
      else
        sm_profiler_mark_pass (prof, passes[p]);
      for (guint i = 0; i <= p; i++)
        {
          sm_profiler_op (prof, SM_OP_NORM, 1.0, 1.0);
          sm_profiler_op_shape (prof, SM_OP_MATMUL, 2, 3, 4, 48.0, 1.0);
        }
    }
  g_assert_cmpuint (op_count (prof, SM_OP_NORM), ==, 6);
  g_assert_cmpuint (op_count (prof, SM_OP_MATMUL), ==, 6);

  recs = sm_profiler_copy_ops (prof);
  g_assert_cmpuint (recs->len, ==, 6);
  for (guint i = 0; i < recs->len; i++)
    {
      const SmOpRecord *r = &g_array_index (recs, SmOpRecord, i);
      /* prefill marked first with one of each op, decode two, other three */
      guint want = r->pass == SM_OP_PASS_PREFILL ? 1 : r->pass == SM_OP_PASS_DECODE ? 2 : 3;
      g_assert_cmpuint (r->count, ==, want);
      g_assert_cmpint (r->m, ==, r->op == SM_OP_MATMUL ? 2 : 0);
      seen[r->pass]++;
    }
  for (int p = 0; p < SM_N_OP_PASSES; p++)
    g_assert_cmpuint (seen[p], ==, 2);

  for (int p = 0; p < SM_N_OP_PASSES; p++)
    {
      g_assert_true (sm_op_pass_from_name (sm_op_pass_name (p), &parsed));
      g_assert_cmpint (parsed, ==, p);
    }
  g_assert_false (sm_op_pass_from_name ("warm-up", &parsed));
  g_assert_false (sm_op_pass_from_name (NULL, &parsed));
}

/* Publishing the tables (a fresh profiler publishes at its first op, then every
 * SM_PROFILER_PUBLISH_MS) is the profiler's time: neither the scope around the op nor the
 * next op may count it.  Of many tries, the least difference must be far below a
 * publication's cost.  The difference is taken against the same scope and op run again
 * without a publication in them: a scope's own clock reads cost a few hundred ns, which on
 * a core where a publication takes ~1 µs (Zen 5) was more than half of it. */
static void
test_publish_not_counted (void)
{
  gint64 least_scope = G_MAXINT64, least_op = G_MAXINT64, publish = G_MAXINT64;
  gint64 quiet_scope = G_MAXINT64, quiet_op = G_MAXINT64;

  for (int i = 0; i < 20; i++)
    {
      g_autoptr (SmProfiler) prof = sm_profiler_new ();
      g_autoptr (GArray) scopes = NULL, recs = NULL;
      gint64 t0, t1;
      guint64 op_ns = 0;

      sm_profiler_scope_begin (prof, "One op");
      sm_profiler_mark (prof);
      sm_profiler_op (prof, SM_OP_ADD, 1, 1);        /* publishes: the profiler is fresh */
      sm_profiler_op (prof, SM_OP_ADD, 1, 1);        /* must not include the publication */
      sm_profiler_scope_end (prof);
      scopes = sm_profiler_copy_scopes (prof);
      recs = sm_profiler_copy_ops (prof);
      g_assert_cmpuint (recs->len, ==, 1);
      op_ns = g_array_index (recs, SmOpRecord, 0).max_ns;
      least_op = MIN (least_op, (gint64) op_ns);
      least_scope = MIN (least_scope, (gint64) g_array_index (scopes, SmScopeStats, 0).total_ns);

      /* the same again, with the next publication 20 ms away */
      {
        g_autoptr (SmProfiler) again = sm_profiler_new ();
        g_autoptr (GArray) s2 = NULL, r2 = NULL;
        sm_profiler_mark (again);
        sm_profiler_op (again, SM_OP_GELU, 1, 1);    /* the fresh publication, outside */
        sm_profiler_scope_begin (again, "One op");
        sm_profiler_mark (again);
        sm_profiler_op (again, SM_OP_ADD, 1, 1);
        sm_profiler_op (again, SM_OP_ADD, 1, 1);
        sm_profiler_scope_end (again);
        sm_profiler_flush (again);
        s2 = sm_profiler_copy_scopes (again);
        r2 = sm_profiler_copy_ops (again);
        for (guint r = 0; r < r2->len; r++)
          if (g_array_index (r2, SmOpRecord, r).op == SM_OP_ADD)
            quiet_op = MIN (quiet_op, (gint64) g_array_index (r2, SmOpRecord, r).max_ns);
        for (guint r = 0; r < s2->len; r++)
          if (g_str_equal (g_array_index (s2, SmScopeStats, r).name, "One op"))
            quiet_scope = MIN (quiet_scope, (gint64) g_array_index (s2, SmScopeStats, r).total_ns);
      }

      t0 = sm_profiler_now_ns ();
      sm_profiler_flush (prof);
      t1 = sm_profiler_now_ns ();
      publish = MIN (publish, t1 - t0);
    }
  g_test_message ("a publication %" G_GINT64_FORMAT " ns; least op %" G_GINT64_FORMAT
                  " ns (%" G_GINT64_FORMAT " without one), least scope %" G_GINT64_FORMAT
                  " ns (%" G_GINT64_FORMAT ")", publish, least_op, quiet_op, least_scope,
                  quiet_scope);
  g_assert_cmpint (quiet_op, <, G_MAXINT64);
  g_assert_cmpint (quiet_scope, <, G_MAXINT64);
  g_assert_cmpint (least_op - quiet_op, <, publish / 2);
  g_assert_cmpint (least_scope - quiet_scope, <, publish / 2);
}

/* An op row's standard deviation is that of its calls' times, which the trace holds one by
 * one: the two must agree. */
static void
test_op_std (void)
{
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  g_autoptr (GArray) recs = NULL, trace = NULL;
  double sum = 0, sum2 = 0;
  guint n = 0;

  sm_profiler_set_trace_capacity (prof, 1024);
  sm_profiler_mark (prof);
  for (int i = 0; i < 40; i++)
    {
      /* 1 to 40 µs: a spread the clock resolves whatever the machine */
      gint64 end = sm_profiler_now_ns () + 1000 * (1 + i % 40);
      while (sm_profiler_now_ns () < end)
        ;
      sm_profiler_op (prof, SM_OP_GELU, 1.0, 1.0);
    }
  recs = sm_profiler_copy_ops (prof);
  trace = sm_profiler_copy_trace (prof);
  for (guint i = 0; i < trace->len; i++)
    {
      const SmTraceEvent *e = &g_array_index (trace, SmTraceEvent, i);
      if (e->type != SM_TRACE_OP)
        continue;
      sum += (double) e->dur_ns;
      sum2 += (double) e->dur_ns * (double) e->dur_ns;
      n++;
    }
  g_assert_cmpuint (n, ==, 40);
  g_assert_cmpuint (recs->len, ==, 1);
  {
    const SmOpRecord *r = &g_array_index (recs, SmOpRecord, 0);
    double want = sqrt ((sum2 - sum * sum / n) / (n - 1));
    g_assert_cmpuint (r->count, ==, 40);
    g_assert_cmpfloat (want, >, 10000.0);   /* ~11.5 µs for 1..40 µs */
    g_assert_cmpfloat (fabs (r->std_ns - want), <, 1e-6 * want);
  }
}

static void
spin_ns (gint64 ns)
{
  gint64 end = sm_profiler_now_ns () + ns;
  while (sm_profiler_now_ns () < end)
    ;
}

static const SmScopeStats *
find_scope (GArray *scopes, const char *name, gint32 parent)
{
  for (guint i = 0; i < scopes->len; i++)
    {
      const SmScopeStats *s = &g_array_index (scopes, SmScopeStats, i);
      if (strcmp (s->name, name) == 0 && s->parent == parent)
        return s;
    }
  return NULL;
}

static void
test_scopes (void)
{
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  g_autoptr (GArray) scopes = NULL;
  const SmScopeStats *outer, *inner_a, *inner_b, *leaf;
  gint32 outer_i, a_i;

  sm_profiler_set_track_pool (prof, sm_pool_default ());
  for (int round = 0; round < 3; round++)
    {
      sm_profiler_scope_begin (prof, "Outer");
      spin_ns (20000);
      for (int i = 0; i < 4; i++)
        {
          sm_profiler_scope_begin (prof, "Inner");
          spin_ns (10000 * (i + 1));
          sm_profiler_scope_begin (prof, "Leaf");
          sm_pool_return (sm_pool_default (), sm_pool_rent (sm_pool_default (), 4096));
          sm_profiler_scope_end (prof);
          sm_profiler_scope_end (prof);
        }
      sm_profiler_scope_begin (prof, "Other");
      sm_profiler_scope_begin (prof, "Inner");   /* same name, other parent: another node */
      sm_profiler_scope_end (prof);
      sm_profiler_scope_end (prof);
      sm_profiler_scope_end (prof);
    }
  sm_profiler_scope_begin (prof, "Second");
  sm_profiler_scope_end (prof);

  scopes = sm_profiler_copy_scopes (prof);
  g_assert_cmpuint (scopes->len, ==, 6);
  outer = find_scope (scopes, "Outer", -1);
  g_assert_nonnull (outer);
  outer_i = (gint32) (outer - &g_array_index (scopes, SmScopeStats, 0));
  inner_a = find_scope (scopes, "Inner", outer_i);
  g_assert_nonnull (inner_a);
  a_i = (gint32) (inner_a - &g_array_index (scopes, SmScopeStats, 0));
  leaf = find_scope (scopes, "Leaf", a_i);
  g_assert_nonnull (leaf);
  g_assert_nonnull (find_scope (scopes, "Second", -1));
  {
    const SmScopeStats *other = find_scope (scopes, "Other", outer_i);
    g_assert_nonnull (other);
    inner_b = find_scope (scopes, "Inner", (gint32) (other - &g_array_index (scopes, SmScopeStats, 0)));
    g_assert_nonnull (inner_b);
    g_assert_cmpuint (inner_b->count, ==, 3);
    g_assert_cmpint (inner_b->depth, ==, 2);
  }

  g_assert_cmpuint (outer->count, ==, 3);
  g_assert_cmpuint (inner_a->count, ==, 12);
  g_assert_cmpuint (leaf->count, ==, 12);
  g_assert_cmpint (outer->depth, ==, 0);
  g_assert_cmpint (inner_a->depth, ==, 1);

  /* inclusive = self + children, exactly, at every node */
  for (guint i = 0; i < scopes->len; i++)
    {
      const SmScopeStats *s = &g_array_index (scopes, SmScopeStats, i);
      guint64 children = 0;
      for (guint j = 0; j < scopes->len; j++)
        if (g_array_index (scopes, SmScopeStats, j).parent == (gint32) i)
          children += g_array_index (scopes, SmScopeStats, j).total_ns;
      g_assert_cmpuint (s->total_ns, ==, s->self_ns + children);
      g_assert_cmpuint (s->min_ns, <=, s->max_ns);
      g_assert_cmpfloat (s->mean_ns, >=, (double) s->min_ns - 1e-6);
      g_assert_cmpfloat (s->mean_ns, <=, (double) s->max_ns + 1e-6);
      g_assert_cmpfloat_with_epsilon (s->mean_ns * s->count, (double) s->total_ns, 1e-6 * s->total_ns + 1);
      if (s->count == 1)
        g_assert_cmpfloat (s->std_ns, ==, 0.0);
    }
  /* Inner ran 10, 20, 30, 40 µs of spinning: its calls differ, so a spread */
  g_assert_cmpfloat (inner_a->std_ns, >, 0.0);
  /* the pool: one rent per Leaf, counted up the chain */
  g_assert_cmpuint (leaf->rents, ==, 12);
  g_assert_cmpuint (inner_a->rents, ==, 12);
  g_assert_cmpuint (outer->rents, ==, 12);
  g_assert_cmpint (leaf->live_delta, ==, 0);
}

static void
test_scope_summary (void)
{
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  g_autoptr (SmSnapshot) snap = sm_snapshot_new ("test");
  g_autoptr (GArray) sums = NULL;
  guint64 iter_total = 0;

  /* the suite's shape: one _Iteration name under several parents */
  for (int size = 0; size < 3; size++)
    {
      g_autofree char *name = g_strdup_printf ("MatMul_%d", size);
      sm_profiler_scope_begin (prof, name);
      for (int i = 0; i < 3; i++)
        {
          sm_profiler_scope_begin (prof, "MatMul_Iteration");
          spin_ns (5000 * (size + 1));
          sm_profiler_scope_end (prof);
        }
      sm_profiler_scope_end (prof);
    }
  sm_snapshot_capture (snap, prof);
  sums = sm_snapshot_summarize_scopes (snap);
  g_assert_cmpuint (sums->len, ==, 4);
  for (guint i = 0; i < snap->scopes->len; i++)
    {
      const SmScopeStats *s = &g_array_index (snap->scopes, SmScopeStats, i);
      if (strcmp (s->name, "MatMul_Iteration") == 0)
        iter_total += s->total_ns;
    }
  for (guint i = 0; i < sums->len; i++)
    {
      const SmScopeSummary *s = &g_array_index (sums, SmScopeSummary, i);
      if (strcmp (s->name, "MatMul_Iteration") == 0)
        {
          g_assert_cmpuint (s->count, ==, 9);
          g_assert_cmpuint (s->total_ns, ==, iter_total);
          g_assert_false (s->top);
          g_assert_cmpstr (s->parent_name, ==, "MatMul_0");
          g_assert_cmpfloat (s->std_ns, >, 0);
        }
      else
        g_assert_true (s->top);
    }
  /* top-level scopes only: the iterations are inside their parents */
  g_assert_cmpuint (sm_snapshot_total_ns (snap), >=, iter_total);
}

static void
test_tokens (void)
{
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  g_autoptr (GArray) toks = NULL;
  SmProfilerCounters c;
  gint64 t0 = sm_profiler_now_ns ();

  sm_profiler_token_add (prof, SM_TOKEN_PREFILL, 12, 0, t0, t0 + 3000000);
  for (int i = 0; i < 5; i++)
    {
      sm_profiler_token_begin (prof, SM_TOKEN_DECODE, 12 + i);
      spin_ns (50000);
      sm_profiler_token_end (prof, 1);
    }
  sm_profiler_token_begin (prof, SM_TOKEN_DECODE, 99);
  sm_profiler_token_cancel (prof);
  sm_profiler_token_end (prof, 1);   /* nothing open: ignored */
  sm_profiler_set_ttft (prof, 3500000);
  sm_profiler_set_context (prof, 17, 64);
  sm_profiler_add_allocs (prof, SM_TOKEN_DECODE, 10);

  toks = sm_profiler_copy_tokens (prof, G_MININT64);
  g_assert_cmpuint (toks->len, ==, 6);
  g_assert_cmpint (g_array_index (toks, SmTokenRecord, 0).kind, ==, SM_TOKEN_PREFILL);
  g_assert_cmpint (g_array_index (toks, SmTokenRecord, 0).n_tokens, ==, 12);
  g_assert_cmpint (g_array_index (toks, SmTokenRecord, 0).dur_ns, ==, 3000000);
  for (guint i = 1; i < toks->len; i++)
    {
      const SmTokenRecord *r = &g_array_index (toks, SmTokenRecord, i);
      g_assert_cmpint (r->kind, ==, SM_TOKEN_DECODE);
      g_assert_cmpint (r->pos, ==, 11 + (int) i);
      g_assert_cmpint (r->dur_ns, >=, 50000);
      g_assert_cmpint (r->start_ns, >=, g_array_index (toks, SmTokenRecord, i - 1).start_ns);
    }
  /* "since" keeps the later ones */
  {
    g_autoptr (GArray) later = sm_profiler_copy_tokens (prof, g_array_index (toks, SmTokenRecord, 3).start_ns);
    g_assert_cmpuint (later->len, ==, 3);
  }

  sm_profiler_get_counters (prof, &c);
  g_assert_cmpuint (c.prefill_tokens, ==, 12);
  g_assert_cmpuint (c.prefill_ns, ==, 3000000);
  g_assert_cmpfloat_with_epsilon (c.prefill_tps, 4000.0, 1e-6);
  g_assert_cmpuint (c.decode_tokens, ==, 5);
  g_assert_cmpfloat (c.decode_tps, >, 0);
  g_assert_cmpfloat (c.decode_tps, <=, 5 * 1e9 / (5 * 50000.0));
  g_assert_cmpint (c.ttft_ns, ==, 3500000);
  g_assert_cmpint (c.context_used, ==, 17);
  g_assert_cmpint (c.context_size, ==, 64);
  g_assert_cmpfloat_with_epsilon (c.sys_allocs_per_token, 2.0, 1e-9);
  g_assert_cmpuint (c.resident_bytes, >, 0);
}

/* ---- publication across threads ------------------------------------------------------------- */

typedef struct {
  SmProfiler *prof;
  gint        stop;
  int         n_ops;
} Writer;

static gpointer
writer_main (gpointer data)
{
  Writer *w = data;
  for (int i = 0; i < w->n_ops; i++)
    {
      if (i % 16 == 0)
        {
          sm_profiler_token_begin (w->prof, SM_TOKEN_DECODE, i / 16);
          sm_profiler_mark (w->prof);
        }
      sm_profiler_op (w->prof, SM_OP_MATMUL, 2.0, 1.0);
      if (i % 16 == 15)
        sm_profiler_token_end (w->prof, 1);
    }
  sm_profiler_flush (w->prof);
  g_atomic_int_set (&w->stop, 1);
  return NULL;
}

static void
test_threads (void)
{
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  Writer w = { prof, 0, 400000 };
  GThread *thread;
  guint64 last = 0, last_serial = 0;
  int reads = 0;
  SmOpStats ops[SM_N_OPS];
  SmProfilerCounters c;

  sm_profiler_set_trace_capacity (prof, 1000);
  sm_profiler_start_sampler (prof, 1, 64);
  thread = g_thread_new ("writer", writer_main, &w);
  /* a reader never sees counts go backwards, whatever it interrupts */
  do
    {
      g_autoptr (GArray) recs = sm_profiler_copy_ops (prof);
      g_autoptr (GArray) toks = sm_profiler_copy_tokens (prof, G_MININT64);
      g_autoptr (GArray) series = sm_profiler_copy_series (prof, G_MININT64);
      g_autoptr (GArray) trace = sm_profiler_copy_trace (prof);
      guint64 serial = sm_profiler_get_serial (prof);
      guint64 n = 0;

      for (guint i = 0; i < recs->len; i++)
        n += g_array_index (recs, SmOpRecord, i).count;
      g_assert_cmpuint (n, >=, last);
      g_assert_cmpuint (serial, >=, last_serial);
      g_assert_cmpuint (trace->len, <=, 1000);
      last = n;
      last_serial = serial;
      reads++;
      g_usleep (100);
    }
  while (!g_atomic_int_get (&w.stop));
  g_thread_join (thread);

  sm_profiler_get_ops (prof, ops);
  g_assert_cmpuint (ops[SM_OP_MATMUL].count, ==, (guint64) w.n_ops);
  g_assert_cmpfloat_with_epsilon (ops[SM_OP_MATMUL].flops, 2.0 * w.n_ops, 1e-6);
  sm_profiler_get_counters (prof, &c);
  g_assert_cmpuint (c.decode_tokens, ==, (guint64) w.n_ops / 16);
  /* the token ring is bounded: the oldest fell off, and that is counted */
  {
    g_autoptr (GArray) toks = sm_profiler_copy_tokens (prof, G_MININT64);
    g_assert_cmpuint (toks->len + c.dropped_tokens, ==, (guint64) w.n_ops / 16);
  }
  /* the trace keeps the latest ~1000 events (it drops an eighth at a time) and counts the
   * rest: every op and token is in one or the other */
  {
    g_autoptr (GArray) trace = sm_profiler_copy_trace (prof);
    const SmTraceEvent *newest;
    g_assert_cmpuint (trace->len, <=, 1000);
    g_assert_cmpuint (trace->len, >=, 1000 - 125);
    g_assert_cmpuint (trace->len + c.dropped_trace, ==, (guint64) w.n_ops + w.n_ops / 16);
    /* the newest are kept: the last one is the last token */
    newest = &g_array_index (trace, SmTraceEvent, trace->len - 1);
    g_assert_cmpint (newest->type, ==, SM_TRACE_TOKEN);
    g_assert_cmpint (newest->id, ==, w.n_ops / 16 - 1);
  }
  sm_profiler_stop_sampler (prof);
  g_assert_cmpint (reads, >, 0);
}

static void
test_series_and_markers (void)
{
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  g_autoptr (GArray) series = NULL;
  g_autoptr (GArray) markers = NULL;
  gint64 deadline;

  sm_profiler_sample_now (prof);
  sm_profiler_sample_now (prof);
  series = sm_profiler_copy_series (prof, G_MININT64);
  g_assert_cmpuint (series->len, ==, 2);
  g_assert_cmpint (g_array_index (series, SmProfSample, 1).t_ns, >=, g_array_index (series, SmProfSample, 0).t_ns);
  g_assert_cmpuint (g_array_index (series, SmProfSample, 1).resident_bytes, >, 0);
  g_clear_pointer (&series, g_array_unref);

  /* a sampler thread with a ring of 4: it keeps sampling while tokens flow, never more than 4 */
  sm_profiler_start_sampler (prof, 1, 4);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (int i = 0; g_get_monotonic_time () < deadline; i++)
    {
      sm_profiler_token_begin (prof, SM_TOKEN_DECODE, i);
      g_usleep (500);
      sm_profiler_token_end (prof, 1);
      sm_profiler_flush (prof);
      g_clear_pointer (&series, g_array_unref);
      series = sm_profiler_copy_series (prof, G_MININT64);
      if (series->len == 4 && g_array_index (series, SmProfSample, 3).decode_tokens > 0 &&
          g_array_index (series, SmProfSample, 0).decode_tokens > 0)
        break;
    }
  sm_profiler_stop_sampler (prof);
  g_assert_cmpuint (series->len, ==, 4);
  for (guint i = 1; i < series->len; i++)
    {
      const SmProfSample *a = &g_array_index (series, SmProfSample, i - 1);
      const SmProfSample *b = &g_array_index (series, SmProfSample, i);
      g_assert_cmpint (b->t_ns, >=, a->t_ns);
      g_assert_cmpuint (b->decode_tokens, >=, a->decode_tokens);
      g_assert_cmpfloat (b->busy, >=, 0.0);
      g_assert_cmpfloat (b->busy, <=, 1.0);
    }

  sm_profiler_add_marker (prof, "kernels %s", "avx2");
  sm_profiler_add_marker (prof, "a marker much longer than the fifty-five bytes a marker keeps, cut");
  markers = sm_profiler_copy_markers (prof);
  g_assert_cmpuint (markers->len, ==, 2);
  g_assert_cmpstr (g_array_index (markers, SmProfMarker, 0).text, ==, "kernels avx2");
  g_assert_cmpuint (strlen (g_array_index (markers, SmProfMarker, 1).text), ==, 55);
  g_assert_cmpint (g_array_index (markers, SmProfMarker, 1).t_ns, >=, g_array_index (markers, SmProfMarker, 0).t_ns);
}

static void
test_trace_nesting (void)
{
  g_autoptr (SmModel) model = sm_model_new_preset (SM_PRESET_SMALL, 1);
  g_autoptr (SmSession) s = sm_session_new (model, NULL, 0, NULL);
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  g_autoptr (GArray) trace = NULL;
  gint32 toks[4] = { 1, 2, 3, 4 };
  guint n_ops = 0, n_tokens = 0;

  sm_profiler_set_trace_capacity (prof, 10000);
  sm_session_set_profiler (s, prof);
  sm_profiler_token_begin (prof, SM_TOKEN_PREFILL, 0);
  g_assert_true (sm_session_eval (s, toks, 4, NULL));
  sm_profiler_token_end (prof, 4);
  for (int i = 0; i < 3; i++)
    {
      sm_profiler_token_begin (prof, SM_TOKEN_DECODE, sm_session_get_pos (s));
      g_assert_true (sm_session_eval (s, &toks[i], 1, NULL));
      sm_profiler_token_end (prof, 1);
    }
  trace = sm_profiler_copy_trace (prof);
  for (guint i = 0; i < trace->len; i++)
    {
      const SmTraceEvent *e = &g_array_index (trace, SmTraceEvent, i);
      gboolean inside = FALSE;

      g_assert_cmpint (e->dur_ns, >=, 0);
      if (e->type == SM_TRACE_TOKEN)
        {
          n_tokens++;
          continue;
        }
      g_assert_cmpint (e->type, ==, SM_TRACE_OP);
      n_ops++;
      /* each op lies within a token's interval */
      for (guint j = 0; j < trace->len; j++)
        {
          const SmTraceEvent *t = &g_array_index (trace, SmTraceEvent, j);
          if (t->type == SM_TRACE_TOKEN && t->ts_ns <= e->ts_ns &&
              e->ts_ns + e->dur_ns <= t->ts_ns + t->dur_ns)
            inside = TRUE;
        }
      g_assert_true (inside);
    }
  g_assert_cmpuint (n_tokens, ==, 4);
  g_assert_cmpuint (n_ops, >, 4 * 10);
}

/* ---- SmEngine's live feed --------------------------------------------------------------------- */

typedef struct {
  GMainLoop *loop;
  gboolean   ok;
  GError    *error;
  int        updates;
  SmGenerateStats stats;
} Feed;

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Feed *f = data;
  f->ok = sm_engine_load_preset_finish (SM_ENGINE (source), result, &f->error);
  g_main_loop_quit (f->loop);
}

static void
on_generated (GObject *source, GAsyncResult *result, gpointer data)
{
  Feed *f = data;
  f->ok = sm_engine_generate_finish (SM_ENGINE (source), result, &f->stats, &f->error);
  g_main_loop_quit (f->loop);
}

static void
on_stats_updated (SmEngine *engine, gpointer data)
{
  Feed *f = data;
  SmEngineStats st;

  /* the read-out is callable from the handler, on the main context */
  sm_engine_get_stats (engine, &st);
  g_assert_cmpuint (st.serial, >, 0);
  sm_engine_stats_clear (&st);
  f->updates++;
}

/* Settings apply on the engine thread; wait until the read-out shows them. */
static void
wait_for_config (SmEngine *engine, gboolean pool, int threads)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  for (;;)
    {
      SmEngineStats st;
      gboolean done;

      sm_engine_get_stats (engine, &st);
      done = st.pool_enabled == pool && st.threads == threads;
      sm_engine_stats_clear (&st);
      if (done)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
}

static gboolean
quit_later (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
generate_reply_to (SmEngine *engine, Feed *f, const char *prompt, int max_tokens)
{
  SmGenerateParams params;

  sm_generate_params_init (&params);
  params.max_tokens = max_tokens;
  sm_engine_generate_async (engine, prompt, &params, NULL, NULL, NULL, NULL, on_generated, f);
  g_main_loop_run (f->loop);
  g_assert_no_error (f->error);
  g_assert_true (f->ok);
}

static void
generate_reply (SmEngine *engine, Feed *f, int max_tokens)
{
  generate_reply_to (engine, f, "Hello", max_tokens);
}

static guint64
snapshot_decode_records (const SmSnapshot *snap)
{
  guint64 n = 0;
  for (guint i = 0; i < snap->tokens->len; i++)
    n += g_array_index (snap->tokens, SmTokenRecord, i).kind == SM_TOKEN_DECODE;
  return n;
}

/* A snapshot holds one reply, one model's runs or the session since the reset, and says which
 * (issue: a window snapshot held every run since start, of three models, naming one). */
static void
test_engine_snapshot_ranges (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  g_autoptr (SmSnapshot) reply = NULL, model = NULL, session = NULL, after = NULL;
  Feed f = { 0 };
  guint64 prefill_2, prefill_3;

  f.loop = g_main_loop_new (NULL, FALSE);
  sm_engine_load_preset_async (engine, SM_PRESET_SMALL, 7, NULL, on_loaded, &f);
  g_main_loop_run (f.loop);
  g_assert_no_error (f.error);
  generate_reply (engine, &f, 12);                 /* on Small: 5 prompt + 12 new tokens */

  sm_engine_load_preset_async (engine, SM_PRESET_MEDIUM, 7, NULL, on_loaded, &f);
  g_main_loop_run (f.loop);
  g_assert_no_error (f.error);
  generate_reply (engine, &f, 20);                 /* on Medium */
  prefill_2 = f.stats.prompt_tokens - f.stats.cached_tokens;
  generate_reply (engine, &f, 8);                  /* on Medium again: the last reply */
  /* the same prompt again: the session keeps what it can of it */
  prefill_3 = f.stats.prompt_tokens - f.stats.cached_tokens;
  g_assert_cmpuint (prefill_3, <, prefill_2);

  reply = sm_engine_dup_snapshot (engine, SM_SNAPSHOT_RANGE_REPLY, "test");
  g_assert_cmpstr (reply->range, ==, "reply");
  g_assert_cmpuint (reply->models->len, ==, 1);
  g_assert_cmpstr (((SmSnapshotModel *) reply->models->pdata[0])->name, ==, "SmallMind Medium");
  g_assert_cmpuint (reply->counters.prefill_tokens, ==, prefill_3);
  g_assert_cmpuint (reply->counters.decode_tokens, ==, 7);   /* the 8th is sampled, not run */
  g_assert_cmpuint (snapshot_decode_records (reply), ==, 7);
  g_assert_cmpuint (reply->ops->len, >, 0);
  for (guint i = 0; i < reply->ops->len; i++)
    g_assert_cmpuint (g_array_index (reply->ops, SmOpRecord, i).count, >, 0);

  model = sm_engine_dup_snapshot (engine, SM_SNAPSHOT_RANGE_MODEL, "test");
  g_assert_cmpstr (model->range, ==, "model");
  g_assert_cmpuint (model->models->len, ==, 1);
  g_assert_cmpuint (model->counters.prefill_tokens, ==, prefill_2 + prefill_3);
  g_assert_cmpuint (model->counters.decode_tokens, ==, 19 + 7);
  g_assert_cmpuint (snapshot_decode_records (model), ==, 19 + 7);

  session = sm_engine_dup_snapshot (engine, SM_SNAPSHOT_RANGE_SESSION, "test");
  g_assert_cmpstr (session->range, ==, "session");
  g_assert_cmpuint (session->models->len, ==, 2);
  g_assert_cmpstr (((SmSnapshotModel *) session->models->pdata[0])->name, ==, "SmallMind Small");
  g_assert_cmpstr (((SmSnapshotModel *) session->models->pdata[1])->name, ==, "SmallMind Medium");
  g_assert_cmpuint (session->counters.decode_tokens, ==, 11 + 19 + 7);
  /* the op totals of the ranges nest */
  g_assert_cmpuint (reply->counters.ops, <, model->counters.ops);
  g_assert_cmpuint (model->counters.ops, <, session->counters.ops);

  /* the range names itself in the file, and reads back */
  {
    g_autofree char *json = sm_snapshot_to_json (reply, NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (SmSnapshot) back = sm_snapshot_from_json (json, -1, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (back->range, ==, "reply");
  }

  /* a reset starts the session again, with the model in force */
  sm_engine_reset_stats (engine);
  after = sm_engine_dup_snapshot (engine, SM_SNAPSHOT_RANGE_SESSION, "test");
  g_assert_cmpuint (after->counters.decode_tokens, ==, 0);
  g_assert_cmpuint (after->tokens->len, ==, 0);
  g_assert_cmpuint (after->models->len, ==, 1);
  g_assert_cmpstr (((SmSnapshotModel *) after->models->pdata[0])->name, ==, "SmallMind Medium");
  g_main_loop_unref (f.loop);
}

/* The window's comparison (the engine's) and the command line's (the report layer's, as
 * smallmind-cli compare reads files) of the same two files; and of a run's snapshot and its
 * Markdown report: one verdict, the same rows.  (The CLI compared 0 scopes of a window run,
 * and the window's Markdown report could not be compared at all.) */
static void
test_engine_compare_agrees (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  g_autofree char *dir = g_dir_make_tmp ("sm-compare-XXXXXX", NULL);
  g_autofree char *a_json = g_build_filename (dir, "a.json", NULL);
  g_autofree char *a_md = g_build_filename (dir, "a.md", NULL);
  g_autofree char *b_json = g_build_filename (dir, "b.json", NULL);
  g_autofree char *b_md = g_build_filename (dir, "b.md", NULL);
  g_autoptr (GError) error = NULL;
  Feed f = { 0 };

  f.loop = g_main_loop_new (NULL, FALSE);
  sm_engine_load_preset_async (engine, SM_PRESET_MEDIUM, 7, NULL, on_loaded, &f);
  g_main_loop_run (f.loop);
  g_assert_no_error (f.error);

  generate_reply (engine, &f, 16);
  {
    g_autoptr (SmSnapshot) a = sm_engine_dup_snapshot (engine, SM_SNAPSHOT_RANGE_REPLY, "smallmind window");
    g_assert_true (sm_export_json (a, a_json, &error));
    g_assert_true (sm_export_markdown (a, a_md, &error));
  }
  g_assert_true (sm_engine_set_kernel_level (engine, SM_KERNEL_LEVEL_SCALAR, &error));
  sm_engine_set_pool_enabled (engine, FALSE);
  wait_for_config (engine, FALSE, 1);
  /* another prompt, so that this reply too has a prefill of several tokens */
  generate_reply_to (engine, &f, "Once upon", 16);
  {
    g_autoptr (SmSnapshot) b = sm_engine_dup_snapshot (engine, SM_SNAPSHOT_RANGE_REPLY, "smallmind window");
    g_assert_cmpstr (b->kernel_level, ==, "scalar");
    g_assert_false (b->pool_enabled);
    g_assert_true (sm_export_json (b, b_json, &error));
    g_assert_true (sm_export_markdown (b, b_md, &error));
  }
  g_assert_true (sm_engine_set_kernel_level (engine, SM_KERNEL_LEVEL_AUTO, &error));
  sm_engine_set_pool_enabled (engine, TRUE);

  {
    g_autoptr (SmProfile) pa = sm_profile_load (a_json, &error);
    g_autoptr (SmProfile) pb = sm_profile_load (b_json, &error);
    g_autoptr (SmProfile) ma = sm_profile_load (a_md, &error);
    g_autoptr (SmProfile) mb = sm_profile_load (b_md, &error);
    g_autoptr (SmComparison) cli = NULL, win = NULL, md = NULL, live = NULL;
    g_autofree char *report = NULL;

    g_assert_no_error (error);
    cli = sm_compare_profiles (pa, pb);
    win = sm_engine_compare_runs (engine, a_json, b_json, SM_SNAPSHOT_RANGE_REPLY, NULL, &report, &error);
    g_assert_no_error (error);
    md = sm_compare_profiles (ma, mb);
    /* the current run of the engine is the scalar reply: the same as its file */
    live = sm_engine_compare_runs (engine, a_json, NULL, SM_SNAPSHOT_RANGE_REPLY, NULL, NULL, &error);
    g_assert_no_error (error);

    /* a window run compares by its ops, per pass, per 1k tokens */
    g_assert_cmpuint (cli->rows->len, >=, 6);
    g_assert_nonnull (sm_profile_find (pa, "decode matmul per 1k tokens"));
    g_assert_nonnull (sm_profile_find (pa, "prefill matmul per 1k tokens"));
    g_assert_cmpuint (win->rows->len, ==, cli->rows->len);
    g_assert_cmpint (win->verdict, ==, cli->verdict);
    g_assert_cmpfloat_with_epsilon (win->total_delta_pct, cli->total_delta_pct, 1e-9);
    /* the report holds the rows to four decimals of a ms */
    g_assert_cmpuint (md->rows->len, ==, cli->rows->len);
    g_assert_cmpint (md->verdict, ==, cli->verdict);
    g_assert_cmpfloat_with_epsilon (md->total_delta_pct, cli->total_delta_pct, 0.5);
    g_assert_cmpint (live->verdict, ==, cli->verdict);
    g_assert_cmpuint (live->rows->len, ==, cli->rows->len);
    /* the report names what each run held */
    g_assert_nonnull (strstr (report, "the last reply; SmallMind Medium; kernels scalar, pool off"));
  }
  for (const char *const *p = (const char *const []) { a_json, a_md, b_json, b_md, NULL }; *p; p++)
    g_unlink (*p);
  g_rmdir (dir);
  g_main_loop_unref (f.loop);
}

static void
test_engine_feed (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  g_autoptr (GArray) tokens = NULL;
  g_autoptr (GArray) markers = NULL;
  g_autoptr (GArray) series = NULL;
  g_autoptr (SmSnapshot) snap = NULL;
  SmGenerateParams params;
  SmEngineStats st;
  Feed f = { 0 };
  guint decode = 0, prefill = 0;
  gboolean saw_pool = FALSE, saw_threads = FALSE;

  f.loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (engine, "stats-updated", G_CALLBACK (on_stats_updated), &f);
  sm_engine_set_stats_interval (engine, 10);
  g_assert_cmpuint (sm_engine_get_stats_interval (engine), ==, 10);
  sm_engine_set_sample_interval (engine, 5, 100);

  sm_engine_load_preset_async (engine, SM_PRESET_SMALL, 7, NULL, on_loaded, &f);
  g_main_loop_run (f.loop);
  g_assert_no_error (f.error);

  /* toggles leave markers with the value they switched to */
  sm_engine_set_pool_enabled (engine, FALSE);
  wait_for_config (engine, FALSE, 1);
  sm_engine_set_threads (engine, 2);
  wait_for_config (engine, FALSE, 2);
  sm_engine_set_pool_enabled (engine, TRUE);
  sm_engine_set_threads (engine, 1);
  wait_for_config (engine, TRUE, 1);

  sm_generate_params_init (&params);
  params.max_tokens = 20;
  sm_engine_generate_async (engine, "Hello", &params, NULL, NULL, NULL, NULL, on_generated, &f);
  g_main_loop_run (f.loop);
  g_assert_no_error (f.error);
  g_assert_true (f.ok);
  g_assert_cmpint (f.stats.generated_tokens, ==, 20);
  /* let the feed announce what happened last */
  g_timeout_add (100, quit_later, f.loop);
  g_main_loop_run (f.loop);
  g_assert_cmpint (f.updates, >, 0);

  /* one prefill record and one per evaluated token */
  tokens = sm_engine_copy_tokens (engine, G_MININT64);
  for (guint i = 0; i < tokens->len; i++)
    {
      const SmTokenRecord *r = &g_array_index (tokens, SmTokenRecord, i);
      if (r->kind == SM_TOKEN_PREFILL)
        {
          prefill++;
          g_assert_cmpint (r->n_tokens, ==, 5);
          g_assert_cmpint (r->pos, ==, 0);
        }
      else
        {
          decode++;
          g_assert_cmpint (r->n_tokens, ==, 1);
          g_assert_cmpint (r->pos, ==, 5 + (int) decode - 1);
        }
    }
  g_assert_cmpuint (prefill, ==, 1);
  g_assert_cmpuint (decode, ==, 19);

  markers = sm_engine_copy_markers (engine);
  for (guint i = 0; i < markers->len; i++)
    {
      const char *text = g_array_index (markers, SmProfMarker, i).text;
      saw_pool = saw_pool || strcmp (text, "pool off") == 0;
      saw_threads = saw_threads || strcmp (text, "threads 2") == 0;
    }
  g_assert_true (saw_pool);
  g_assert_true (saw_threads);

  sm_engine_get_stats (engine, &st);
  g_assert_cmpuint (st.counters.prefill_tokens, ==, 5);
  g_assert_cmpuint (st.counters.decode_tokens, ==, 19);
  g_assert_cmpfloat (st.counters.decode_tps, >, 0);
  g_assert_cmpint (st.counters.ttft_ns, ==, f.stats.ttft_us * 1000);
  g_assert_cmpint (st.counters.context_used, ==, 24);
  g_assert_cmpint (st.counters.context_size, ==, 64);
  /* the pool was just trimmed (switched off and on): the first decode may miss, no more */
  g_assert_cmpfloat (st.counters.sys_allocs_per_token, <, 1.0);
  g_assert_cmpuint (st.counters.ops, >, 0);
  g_assert_cmpuint (st.resident_bytes, >, 0);
  sm_engine_stats_clear (&st);

  /* the time series: at least the sample the end of the generation woke */
  sm_profiler_sample_now (sm_engine_get_profiler (engine));
  series = sm_engine_copy_series (engine, G_MININT64);
  g_assert_cmpuint (series->len, >, 0);
  g_assert_cmpuint (g_array_index (series, SmProfSample, series->len - 1).decode_tokens, ==, 19);

  snap = sm_engine_dup_snapshot (engine, SM_SNAPSHOT_RANGE_SESSION, "test");
  g_assert_cmpuint (snap->models->len, ==, 1);
  g_assert_cmpuint (snap->tokens->len, ==, 20);
  g_assert_cmpuint (snap->ops->len, >, 0);
  g_assert_cmpint (snap->threads, ==, 1);
  g_assert_true (snap->pool_enabled);

  /* the feed can be switched off */
  sm_engine_set_stats_interval (engine, 0);
  g_main_loop_unref (f.loop);
}

/* ---- the suite, end to end ---------------------------------------------------------------------- */

static void
test_suite_end_to_end (void)
{
  const char *build = g_getenv ("SM_BUILD_ROOT");
  g_autofree char *cli = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-profile-XXXXXX", NULL);
  g_autofree char *json = NULL, *md = NULL, *csv = NULL, *trace = NULL;
  g_autofree char *out = NULL, *err = NULL, *md_text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SmSnapshot) snap = NULL;
  g_autoptr (GArray) sums = NULL;
  g_autoptr (SmProfile) a = NULL;
  g_autoptr (SmProfile) b = NULL;
  g_autoptr (SmComparison) cmp = NULL;
  static const char *const scopes[] = {
    "MatMul_64x64", "MatMul_128x128", "MatMul_256x256", "MatMul_512x512", "MatMul_Iteration",
    "GELU_1000", "GELU_10000", "GELU_100000", "GELU_1000000", "GELU_Iteration",
    "Softmax_256", "Softmax_512", "Softmax_1024", "Softmax_2048", "Softmax_Iteration",
    "TensorAdd_10000", "TensorAdd_Iteration", "TensorMul_10000", "TensorMul_Iteration",
    "BroadcastAdd_100x100", "BroadcastAdd_Iteration",
    "Model_Small_Creation", "Model_Small_Inference", "Model_Small_GenerateToken", "Model_Small_Forward",
    "Model_Medium_Creation", "Model_Medium_Inference", "Model_Medium_GenerateToken", "Model_Medium_Forward",
  };
  const char *argv[] = { NULL, "profile", "--enhanced", "--quick", "-o", dir, NULL };
  int status;

  G_STATIC_ASSERT (G_N_ELEMENTS (scopes) == 29);
  if (build == NULL)
    {
      g_test_skip ("SM_BUILD_ROOT is not set (run through meson test)");
      return;
    }
  cli = g_build_filename (build, "app", "smallmind-cli", NULL);
  if (!g_file_test (cli, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("smallmind-cli is not built");
      return;
    }
  argv[0] = cli;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("profile failed: %s\n%s", error->message, err);

  json = g_build_filename (dir, "enhanced-profile.json", NULL);
  md = g_build_filename (dir, "enhanced-profile-report.md", NULL);
  csv = g_build_filename (dir, "enhanced-profile.csv", NULL);
  trace = g_build_filename (dir, "enhanced-profile.trace.json", NULL);
  snap = sm_snapshot_load (json, &error);
  g_assert_no_error (error);
  sums = sm_snapshot_summarize_scopes (snap);
  for (guint i = 0; i < G_N_ELEMENTS (scopes); i++)
    {
      gboolean found = FALSE;
      for (guint j = 0; j < sums->len; j++)
        found = found || strcmp (g_array_index (sums, SmScopeSummary, j).name, scopes[i]) == 0;
      if (!found)
        g_error ("scope %s missing from the snapshot", scopes[i]);
    }
  /* the 29 plus the KV cache's 3 per model */
  g_assert_cmpuint (sums->len, ==, 29 + 6);
  g_assert_cmpuint (snap->models->len, ==, 2);
  g_assert_nonnull (sm_snapshot_find_measurement (snap, "Model_Small_tok_s"));
  g_assert_cmpfloat (sm_snapshot_value (snap, "Model_Medium_KV_tok_s", 0), >, 0);
  g_assert_nonnull (sm_snapshot_find_measurement (snap, "overhead_pct"));
  g_assert_cmpuint (snap->trace->len, >, 0);
  g_assert_cmpuint (snap->tokens->len, >, 0);
  g_assert_true (g_file_test (csv, G_FILE_TEST_IS_REGULAR));

  /* the suite's own trace: the models' ops in their tokens, the kernels timed on their own
   * (MatMul 4, GELU 4, Softmax 4, the 3 tensor ops 2 each, one iteration apiece under
   * --quick) apart from any pass */
  {
    g_autofree char *text = NULL;
    SmTestTraceCounts n;
    g_assert_true (g_file_get_contents (trace, &text, NULL, NULL));
    sm_test_check_trace (text, &n);
    g_assert_cmpuint (n.kernel_ops, ==, 4 + 4 + 4 + 3 * 2);
    g_assert_cmpuint (n.ops, >, 0);
    g_assert_cmpuint (n.tokens, ==, 2 * 2 * 3);   /* 2 models, with and without the cache, 3 tokens */
  }

  g_assert_true (g_file_get_contents (md, &md_text, NULL, NULL));
  g_assert_nonnull (strstr (md_text, "## 🔥 Hot Paths"));
  g_assert_nonnull (strstr (md_text, "## 🎯 Scorecard"));

  /* the report and the snapshot of one run compare as the same run */
  a = sm_profile_load (json, &error);
  g_assert_no_error (error);
  b = sm_profile_load (md, &error);
  g_assert_no_error (error);
  cmp = sm_compare_profiles (a, b);
  g_assert_cmpint (cmp->verdict, ==, SM_VERDICT_STABLE);
  g_assert_cmpfloat (fabs (cmp->total_delta_pct), <, 1.0);

  g_unlink (json);
  g_unlink (md);
  g_unlink (csv);
  g_unlink (trace);
  g_rmdir (dir);
}

/* The two op-cost measurements the report's overhead estimate uses: finite, positive and of
 * the order of a clock read (a broken measurement gives 0, NaN or the kernels' own time). */
/* An output that cannot be written fails the command at its start, writes nothing, and
 * leaves an earlier run's files as they were. */
static void
test_suite_unwritable (void)
{
  const char *build = g_getenv ("SM_BUILD_ROOT");
  g_autofree char *cli = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-profile-XXXXXX", NULL);
  g_autofree char *blocker = g_build_filename (dir, "enhanced-profile.csv", NULL);
  g_autofree char *old = g_build_filename (dir, "enhanced-profile.json", NULL);
  g_autofree char *err = NULL, *content = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { NULL, "profile", "--enhanced", "--quick", "-o", dir, NULL };
  int status;

  if (build == NULL)
    {
      g_test_skip ("SM_BUILD_ROOT is not set (run through meson test)");
      return;
    }
  cli = g_build_filename (build, "app", "smallmind-cli", NULL);
  argv[0] = cli;
  g_assert_cmpint (g_mkdir (blocker, 0755), ==, 0);
  g_assert_true (g_file_set_contents (old, "an earlier run", -1, NULL));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, blocker));
  /* it stopped before the suite: no run was reported */
  g_assert_null (strstr (err, "run 1/1"));
  g_assert_true (g_file_get_contents (old, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "an earlier run");
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    guint n = 0;
    while (g_dir_read_name (d))
      n++;
    g_assert_cmpuint (n, ==, 2);
  }
  g_rmdir (blocker);
  g_unlink (old);
  g_rmdir (dir);
}

static void
test_op_cost (void)
{
  double tight = sm_profiler_measure_op_cost ();
  double between = sm_profiler_measure_op_cost_between_kernels ();

  /* Figures only: no bound on their size, which is the machine's (a loaded CI host under
   * ASan once read 16 µs between kernels); speed is for `profile`, not for tests. */
  g_assert_true (isfinite (tight) && isfinite (between));
  g_assert_cmpfloat (tight, >, 0.0);
  g_assert_cmpfloat (between, >=, 0.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Profiler/ops", test_ops);
  g_test_add_func ("/Profiler/op-passes", test_op_passes);
  g_test_add_func ("/Profiler/op-std", test_op_std);
  g_test_add_func ("/Profiler/publish-not-counted", test_publish_not_counted);
  g_test_add_func ("/Profiler/scopes", test_scopes);
  g_test_add_func ("/Profiler/scope-summary", test_scope_summary);
  g_test_add_func ("/Profiler/tokens", test_tokens);
  g_test_add_func ("/Profiler/threads", test_threads);
  g_test_add_func ("/Profiler/series-and-markers", test_series_and_markers);
  g_test_add_func ("/Profiler/trace-nesting", test_trace_nesting);
  g_test_add_func ("/Profiler/engine-feed", test_engine_feed);
  g_test_add_func ("/Profiler/engine-snapshot-ranges", test_engine_snapshot_ranges);
  g_test_add_func ("/Profiler/engine-compare-agrees", test_engine_compare_agrees);
  g_test_add_func ("/Profiler/suite-end-to-end", test_suite_end_to_end);
  g_test_add_func ("/Profiler/suite-unwritable", test_suite_unwritable);
  g_test_add_func ("/Profiler/op-cost", test_op_cost);
  return g_test_run ();
}
