/* test-compare.c: the verdict and status rules at their edges, on hand-made snapshots whose
 * numbers are known; the overall time counts top-level scopes once; noise marking from
 * repeated measurements; old Markdown reports; timestamps taken from the runs. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sm-compare.h"
#include "sm-export.h"
#include "sm-test-util.h"

static void
test_rules (void)
{
  g_assert_cmpint (sm_compare_verdict (-10.01), ==, SM_VERDICT_IMPROVED);
  g_assert_cmpint (sm_compare_verdict (-10.0), ==, SM_VERDICT_STABLE);
  g_assert_cmpint (sm_compare_verdict (0.0), ==, SM_VERDICT_STABLE);
  g_assert_cmpint (sm_compare_verdict (10.0), ==, SM_VERDICT_STABLE);
  g_assert_cmpint (sm_compare_verdict (10.01), ==, SM_VERDICT_REGRESSED);

  g_assert_cmpint (sm_compare_row_status (-4.99, FALSE), ==, SM_ROW_UNCHANGED);
  g_assert_cmpint (sm_compare_row_status (4.99, FALSE), ==, SM_ROW_UNCHANGED);
  g_assert_cmpint (sm_compare_row_status (-5.0, FALSE), ==, SM_ROW_IMPROVED);
  g_assert_cmpint (sm_compare_row_status (5.0, FALSE), ==, SM_ROW_REGRESSED);
  /* beyond 5%, but inside the run-to-run spread: noise, whichever way */
  g_assert_cmpint (sm_compare_row_status (8.0, TRUE), ==, SM_ROW_NOISE);
  g_assert_cmpint (sm_compare_row_status (-8.0, TRUE), ==, SM_ROW_NOISE);
  /* under 5% is unchanged, spread or not */
  g_assert_cmpint (sm_compare_row_status (1.0, TRUE), ==, SM_ROW_UNCHANGED);

  g_assert_true (sm_compare_ranges_overlap (1, 3, 2, 4));
  g_assert_true (sm_compare_ranges_overlap (1, 3, 3, 4));      /* touching */
  g_assert_true (sm_compare_ranges_overlap (2, 2, 1, 3));      /* a point inside */
  g_assert_false (sm_compare_ranges_overlap (1, 2, 2.5, 4));
  g_assert_false (sm_compare_ranges_overlap (5, 6, 1, 4.9));

  g_assert_cmpstr (sm_verdict_to_string (SM_VERDICT_REGRESSED), ==, "REGRESSED");
  g_assert_cmpstr (sm_row_status_to_string (SM_ROW_NOISE), ==, "Noise");
}

/* A scope of @ms milliseconds under @parent (index, -1 at the top). */
static guint
add_scope (SmSnapshot *snap, const char *name, int parent, double ms, guint64 count)
{
  SmScopeStats s = { 0 };
  s.name = g_intern_string (name);
  s.parent = parent;
  s.depth = parent < 0 ? 0 : g_array_index (snap->scopes, SmScopeStats, parent).depth + 1;
  s.count = count;
  s.total_ns = (guint64) llround (ms * 1e6);
  s.self_ns = s.total_ns;
  s.min_ns = s.max_ns = s.total_ns / count;
  s.mean_ns = (double) s.total_ns / count;
  if (parent >= 0)
    g_array_index (snap->scopes, SmScopeStats, parent).self_ns -= s.total_ns;
  g_array_append_val (snap->scopes, s);
  return snap->scopes->len - 1;
}

/* The suite's nesting: Inference > GenerateToken > Forward, all about the same time, plus a
 * top-level X and MatMul_512x512 with its iterations. */
static SmSnapshot *
hand_made (const char *created, double model_ms, double x_ms, double mm_ms, double iter_ms)
{
  SmSnapshot *snap = sm_snapshot_new ("hand-made");
  guint inf, gen, mm;

  g_free (snap->created);
  snap->created = g_strdup (created);
  inf = add_scope (snap, "Model_Small_Inference", -1, model_ms, 1);
  gen = add_scope (snap, "Model_Small_GenerateToken", (int) inf, model_ms * 0.99, 25);
  add_scope (snap, "Model_Small_Forward", (int) gen, model_ms * 0.98, 25);
  add_scope (snap, "X", -1, x_ms, 1);
  mm = add_scope (snap, "MatMul_512x512", -1, mm_ms, 1);
  add_scope (snap, "MatMul_Iteration", (int) mm, iter_ms, 3);
  return snap;
}

static const SmCompareRow *
row (const SmComparison *c, const char *name)
{
  for (guint i = 0; i < c->rows->len; i++)
    {
      const SmCompareRow *r = g_ptr_array_index (c->rows, i);
      if (strcmp (r->name, name) == 0)
        return r;
    }
  g_error ("no row %s", name);
  return NULL;
}

static void
test_snapshots (void)
{
  /* Model 100 -> 70 ms, X 100 -> 126 ms, MatMul 20 -> 20.5 ms: the top-level total goes
   * 220 -> 216.5 (-1.6%: STABLE).  Counting the nested model scopes as well (the original's
   * way) would make it 517 -> 424.6, a -18% "improvement". */
  g_autoptr (SmProfile) prev = sm_profile_from_snapshot (hand_made ("2020-01-01T00:00:00Z", 100, 100, 20, 18),
                                                         "prev.json");
  g_autoptr (SmProfile) curr = sm_profile_from_snapshot (hand_made ("2020-02-02T00:00:00Z", 70, 126, 20.5, 19.5),
                                                         "curr.json");
  g_autoptr (SmComparison) c = sm_compare_profiles (prev, curr);
  g_autofree char *md = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

  g_assert_cmpfloat_with_epsilon (c->prev_total_ms, 220.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (c->curr_total_ms, 216.5, 1e-6);
  g_assert_cmpint (c->verdict, ==, SM_VERDICT_STABLE);
  g_assert_true (isnan (c->total_spread_ms));
  g_assert_false (c->total_is_noise);

  g_assert_cmpint (row (c, "Model_Small_Inference")->status, ==, SM_ROW_IMPROVED);
  g_assert_cmpfloat_with_epsilon (row (c, "Model_Small_Inference")->delta_pct, -30.0, 1e-6);
  g_assert_cmpint (row (c, "X")->status, ==, SM_ROW_REGRESSED);
  g_assert_cmpint (row (c, "MatMul_512x512")->status, ==, SM_ROW_UNCHANGED);     /* +2.5% */
  g_assert_cmpint (row (c, "MatMul_Iteration")->status, ==, SM_ROW_REGRESSED);   /* +8.3% */
  /* largest change first */
  g_assert_cmpstr (((SmCompareRow *) g_ptr_array_index (c->rows, 0))->name, ==, "Model_Small_Inference");

  md = sm_comparison_to_markdown (c, prev, curr);
  g_assert_nonnull (strstr (md, "# Profile Comparison Report"));
  g_assert_nonnull (strstr (md, "**Previous Run:** 2020-01-01T00:00:00Z"));
  g_assert_nonnull (strstr (md, "**Current Run:** 2020-02-02T00:00:00Z"));
  g_assert_null (strstr (md, today));           /* no clock time written in */
  g_assert_nonnull (strstr (md, "**STABLE**"));
  g_assert_nonnull (strstr (md, "## 🚀 Top 10 Improvements"));
  g_assert_nonnull (strstr (md, "## ⚠️ Top 10 Regressions"));
  g_assert_nonnull (strstr (md, "## 📋 Detailed Method Comparison"));
  g_assert_nonnull (strstr (md, "## 🔬 Model Size Comparison"));
  g_assert_nonnull (strstr (md, "### Kernel GFLOP/s"));
}

static void
test_verdicts (void)
{
  struct {
    double x_prev, x_curr;
    SmVerdict verdict;
  } cases[] = {
    { 100, 60, SM_VERDICT_IMPROVED },     /* 220 -> 180: -18% */
    { 100, 79, SM_VERDICT_STABLE },       /* 220 -> 199: -9.5% */
    { 100, 121, SM_VERDICT_STABLE },      /* 220 -> 241: +9.5% */
    { 100, 150, SM_VERDICT_REGRESSED },   /* 220 -> 270: +23% */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SmProfile) prev = sm_profile_from_snapshot (hand_made ("a", 100, cases[i].x_prev, 20, 18), "a");
      g_autoptr (SmProfile) curr = sm_profile_from_snapshot (hand_made ("b", 100, cases[i].x_curr, 20, 18), "b");
      g_autoptr (SmComparison) c = sm_compare_profiles (prev, curr);
      g_autofree char *md = sm_comparison_to_markdown (c, prev, curr);
      g_assert_cmpint (c->verdict, ==, cases[i].verdict);
      g_assert_nonnull (strstr (md, sm_verdict_to_string (cases[i].verdict)));
    }
}

static void
test_noise (void)
{
  SmSnapshot *a = hand_made ("a", 100, 100, 20, 18);
  SmSnapshot *b = hand_made ("b", 100, 112, 20, 24);   /* X +12%, total +5.5% */
  g_autoptr (SmProfile) prev = NULL;
  g_autoptr (SmProfile) curr = NULL;
  g_autoptr (SmComparison) c = NULL;
  g_autofree char *md = NULL;
  SmMeasurement *m;

  /* X swung between 95 and 110 ms over the previous run's repetitions and between 108 and 112
   * over the current one's: the ranges overlap, so +12% is noise */
  m = sm_snapshot_measurement (a, "scope:X", "ms");
  sm_measurement_add (m, 100);
  sm_measurement_add (m, 95);
  sm_measurement_add (m, 110);
  m = sm_snapshot_measurement (b, "scope:X", "ms");
  sm_measurement_add (m, 112);
  sm_measurement_add (m, 108);
  /* MatMul_Iteration 18 -> 24 ms, each run steady but wide apart (17..19 against 20..40):
   * every current repetition was slower, although the change is smaller than the current
   * run's range; that is a regression, not noise */
  m = sm_snapshot_measurement (a, "scope:MatMul_Iteration", "ms");
  sm_measurement_add (m, 17);
  sm_measurement_add (m, 19);
  m = sm_snapshot_measurement (b, "scope:MatMul_Iteration", "ms");
  sm_measurement_add (m, 24);
  sm_measurement_add (m, 20);
  sm_measurement_add (m, 40);
  /* the whole suite's total spread: 10 ms, and it moved 12 */
  m = sm_snapshot_measurement (a, "total_ms", "ms");
  sm_measurement_add (m, 220);
  sm_measurement_add (m, 230);
  prev = sm_profile_from_snapshot (a, "a");
  curr = sm_profile_from_snapshot (b, "b");
  c = sm_compare_profiles (prev, curr);

  g_assert_cmpfloat_with_epsilon (row (c, "X")->spread_ms, 15.0, 1e-9);
  g_assert_true (row (c, "X")->within_spread);
  g_assert_cmpint (row (c, "X")->status, ==, SM_ROW_NOISE);
  g_assert_cmpfloat_with_epsilon (row (c, "MatMul_Iteration")->spread_ms, 20.0, 1e-9);
  g_assert_false (row (c, "MatMul_Iteration")->within_spread);
  g_assert_cmpint (row (c, "MatMul_Iteration")->status, ==, SM_ROW_REGRESSED);
  g_assert_true (isnan (row (c, "Model_Small_Inference")->spread_ms));
  g_assert_cmpint (row (c, "Model_Small_Inference")->status, ==, SM_ROW_UNCHANGED);
  /* the previous run's totals spanned 220..230; the current one reports 232 */
  g_assert_cmpfloat_with_epsilon (c->curr_total_ms, 232.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (c->total_spread_ms, 10.0, 1e-9);
  g_assert_false (c->total_is_noise);
  g_assert_cmpint (c->verdict, ==, SM_VERDICT_STABLE);

  md = sm_comparison_to_markdown (c, prev, curr);
  g_assert_nonnull (strstr (md, "〰️ Noise"));
  /* a noise row is neither an improvement nor a regression */
  {
    const char *regressions = strstr (md, "Top 10 Regressions");
    const char *detail = strstr (md, "Detailed Method Comparison");
    g_assert_nonnull (regressions);
    g_assert_nonnull (detail);
    g_assert_nonnull (strstr (regressions, "`MatMul_Iteration`"));
    g_assert_true (strstr (regressions, "`X`") == NULL || strstr (regressions, "`X`") > detail);
  }
}

/* The original's report shape: emoji headings, backticked names, an Alloc (MB) column. */
static const char old_report[] =
  "# Enhanced Performance Profile Report\n\n"
  "**Generated:** 2026-02-03 02:23:06\n\n"
  "## Summary\n\n- **Total Runtime:** 1000.00 ms\n\n"
  "## 🔥 Hot Paths (Top 30)\n\n"
  "| Rank | Method | Time (ms) | Calls | Avg (ms) | Alloc (MB) |\n"
  "|------|--------|-----------|-------|----------|------------|\n"
  "| 1 | `Model_Medium_Inference` | 1,000.00 | 1 | 1000.000 | 743.02 |\n"
  "| 2 | `Model_Medium_GenerateToken` | 999.00 | 25 | 39.960 | 743.02 |\n"
  "| 3 | `Model_Medium_Forward` | 998.00 | 25 | 39.920 | 743.02 |\n"
  "| 4 | `Model_Small_Inference` | 400.00 | 1 | 400.000 | 112.55 |\n"
  "| 5 | `Model_Small_GenerateToken` | 399.00 | 25 | 15.960 | 112.55 |\n"
  "| 6 | `Model_Small_Forward` | 398.00 | 25 | 15.920 | 112.55 |\n"
  "| 7 | `MatMul_512x512` | 906.00 | 1 | 906.000 | 0.01 |\n"
  "| 8 | `MatMul_Iteration` | 700.00 | 12 | 58.333 | 0.03 |\n"
  "| 9 | broken row | n/a |\n\n"
  "## 💾 Top Allocators\n\n"
  "| Rank | Method | Total (MB) | Calls | Avg (KB) |\n"
  "|------|--------|------------|-------|----------|\n"
  "| 1 | `Model_Medium_Inference` | 743.02 | 1 | 760848.84 |\n";

static void
test_old_markdown (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmProfile) old = sm_profile_from_markdown (old_report, "old.md", &error);
  g_autoptr (SmProfile) curr = sm_profile_from_snapshot (hand_made ("2020-05-05T00:00:00Z", 10, 5, 9, 7),
                                                         "curr.json");
  g_autoptr (SmComparison) c = NULL;
  g_autofree char *md = NULL;
  const SmProfileRow *r;

  g_assert_no_error (error);
  g_assert_cmpstr (old->timestamp, ==, "2026-02-03 02:23:06");
  /* the allocators table is not read as hot paths; the broken row is skipped */
  g_assert_cmpuint (old->rows->len, ==, 8);
  r = sm_profile_find (old, "Model_Medium_Inference");
  g_assert_nonnull (r);
  g_assert_cmpfloat (r->total_ms, ==, 1000.0);
  g_assert_cmpfloat (r->alloc_mb, ==, 743.02);
  g_assert_true (isnan (r->self_ms));
  g_assert_true (r->top);
  g_assert_false (sm_profile_find (old, "Model_Medium_Forward")->top);
  g_assert_false (sm_profile_find (old, "MatMul_Iteration")->top);
  /* the nesting is known, so the total counts each model once: 1000 + 400 + 906 */
  g_assert_cmpfloat_with_epsilon (sm_profile_total_ms (old), 2306.0, 1e-9);

  c = sm_compare_profiles (old, curr);
  g_assert_cmpint (c->verdict, ==, SM_VERDICT_IMPROVED);
  g_assert_cmpuint (c->rows->len, ==, 5);   /* the names both have */
  md = sm_comparison_to_markdown (c, old, curr);
  g_assert_nonnull (strstr (md, "**Previous Run:** 2026-02-03 02:23:06 (`old.md`)"));
  g_assert_nonnull (strstr (md, "**Current Run:** 2020-05-05T00:00:00Z"));
  g_assert_nonnull (strstr (md, "MB allocated"));
  g_assert_nonnull (strstr (md, "— (Markdown report)"));

  /* no table at all */
  {
    g_autoptr (GError) e2 = NULL;
    g_assert_null (sm_profile_from_markdown ("# nothing here\n", "empty.md", &e2));
    g_assert_nonnull (e2);
    g_assert_nonnull (strstr (e2->message, "empty.md"));
  }
}

/* The model table reads the runs' medians, marks a change inside their ranges as noise, and
 * shows memory per token as the bytes a token rents; the kernel table's GFLOP/s are the
 * timed multiplies' own (op records), not the scope's with its warm-up. */
static void
test_models_and_kernels (void)
{
  SmSnapshot *a = hand_made ("2026-01-01T00:00:00Z", 100, 1, 400, 300);
  SmSnapshot *b = hand_made ("2026-01-02T00:00:00Z", 100, 1, 400, 300);
  g_autoptr (SmProfile) pa = NULL, pb = NULL;
  g_autoptr (SmComparison) c = NULL;
  g_autofree char *md = NULL;
  const double a_ms[] = { 10, 11, 12 }, b_ms[] = { 11.5, 12, 13 };
  SmOpRecord mm = { .op = SM_OP_MATMUL, .pass = SM_OP_PASS_OTHER, .m = 512, .n = 512, .k = 512,
                    .count = 3, .ns = 3 * 2684355, .flops = 3 * 2.0 * 512 * 512 * 512 };
  const char *row, *kernels;

  for (int i = 0; i < 3; i++)
    {
      sm_measurement_add (sm_snapshot_measurement (a, "Model_Small_Inference_ms", "ms"), a_ms[i]);
      sm_measurement_add (sm_snapshot_measurement (b, "Model_Small_Inference_ms", "ms"), b_ms[i]);
    }
  sm_measurement_add (sm_snapshot_measurement (a, "Model_Small_rented_bytes_per_token", "bytes"), 131072);
  sm_measurement_add (sm_snapshot_measurement (b, "Model_Small_rented_bytes_per_token", "bytes"), 65536);
  sm_measurement_add (sm_snapshot_measurement (b, "Model_Small_sys_allocs_per_token", "allocs"), 7);
  g_array_append_val (b->ops, mm);   /* 100 GFLOP/s per timed multiply */
  pa = sm_profile_from_snapshot (a, "a.json");
  pb = sm_profile_from_snapshot (b, "b.json");
  c = sm_compare_profiles (pa, pb);
  md = sm_comparison_to_markdown (c, pa, pb);

  row = strstr (md, "| **Small** | no |");
  g_assert_nonnull (row);
  /* medians 11 and 12, not the scope's 100 */
  g_assert_true (g_str_has_prefix (row, "| **Small** | no | 11.00 | 12.00 | +9.1% (noise) |"));
  g_assert_nonnull (strstr (row, "128.0 KB rented | 64.0 KB rented"));
  g_assert_nonnull (strstr (row, "| 7.00 |"));

  kernels = strstr (md, "| `MatMul_512x512` |");
  g_assert_nonnull (kernels);
  /* previous: the scope's 4 multiplies (1 warm-up + 3) in 400 ms; current: its op records */
  g_assert_nonnull (strstr (kernels, "| 2.68 | 100.00 |"));
}

/* Snapshots of different kinds of run (training against the profiling suite) are compared
 * with a warning in the report; alike ones, and Markdown reports, without. */
static void
test_kind_mismatch (void)
{
  SmSnapshot *a = hand_made ("2026-01-01T00:00:00Z", 10, 1, 4, 3);
  SmSnapshot *b = hand_made ("2026-01-02T00:00:00Z", 10, 1, 4, 3);
  SmSnapshot *c = hand_made ("2026-01-03T00:00:00Z", 10, 1, 4, 3);
  g_autoptr (SmProfile) pa = NULL, pb = NULL, pc = NULL;
  g_autoptr (SmComparison) cmp = NULL;
  g_autofree char *why = NULL, *md = NULL;

  g_free (a->label);
  a->label = g_strdup ("train");
  g_free (b->label);
  b->label = g_strdup ("profile --enhanced --threads 2");
  g_free (c->label);
  c->label = g_strdup ("profile --enhanced");
  pa = sm_profile_from_snapshot (a, "a.json");
  pb = sm_profile_from_snapshot (b, "b.json");
  pc = sm_profile_from_snapshot (c, "c.json");
  why = sm_profiles_kind_mismatch (pa, pb);
  g_assert_nonnull (why);
  g_assert_nonnull (strstr (why, "\"train\""));
  g_assert_null (sm_profiles_kind_mismatch (pb, pc));
  cmp = sm_compare_profiles (pa, pb);
  md = sm_comparison_to_markdown (cmp, pa, pb);
  g_assert_nonnull (strstr (md, "measure different things"));
}

/* Our report's Parent column lists every parent a name runs under, "—" among them when it
 * also runs at the top: a name nested under several is nested, one also at the top is top. */
static void
test_markdown_parents (void)
{
  static const char report[] =
    "**Generated:** 2026-12-04T10:00:00Z\n\n"
    "## 🔥 Hot Paths (all 3 scopes)\n\n"
    "| Rank | Method | Time (ms) | Calls | Self (ms) | Parent |\n"
    "|------|--------|-----------|-------|-----------|--------|\n"
    "| 1 | `A` | 10.00 | 1 | 2.00 | — |\n"
    "| 2 | `Iteration` | 9.00 | 8 | 9.00 | A, B |\n"
    "| 3 | `B` | 4.00 | 2 | 3.00 | —, A |\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (SmProfile) p = sm_profile_from_markdown (report, "parents.md", &error);
  const SmProfileRow *it, *b;

  g_assert_no_error (error);
  g_assert_cmpuint (p->rows->len, ==, 3);
  it = sm_profile_find (p, "Iteration");
  b = sm_profile_find (p, "B");
  g_assert_false (it->top);
  g_assert_cmpstr (it->parent, ==, "A");
  g_assert_true (b->top);
  g_assert_cmpstr (b->parent, ==, "A");
  g_assert_true (sm_profile_find (p, "A")->top);
  /* the top-level names only: A and B */
  g_assert_cmpfloat_with_epsilon (sm_profile_total_ms (p), 14.0, 1e-9);
}

static void
test_load_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-compare-XXXXXX", NULL);
  g_autofree char *json = g_build_filename (dir, "run.json", NULL);
  g_autofree char *md = g_build_filename (dir, "old.md", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.json", NULL);
  g_autoptr (SmSnapshot) snap = hand_made ("2021-01-01T00:00:00Z", 50, 50, 10, 9);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmProfile) a = NULL;
  g_autoptr (SmProfile) b = NULL;

  g_assert_true (sm_export_json (snap, json, NULL));
  g_assert_true (g_file_set_contents (md, old_report, -1, NULL));
  g_assert_true (g_file_set_contents (bad, "  {\"format\": \"nope\"}", -1, NULL));

  a = sm_profile_load (json, &error);
  g_assert_no_error (error);
  g_assert_nonnull (a->snap);
  g_assert_cmpstr (a->timestamp, ==, "2021-01-01T00:00:00Z");
  b = sm_profile_load (md, &error);
  g_assert_no_error (error);
  g_assert_null (b->snap);
  g_assert_null (sm_profile_load (bad, &error));
  g_assert_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "bad.json"));

  g_unlink (json);
  g_unlink (md);
  g_unlink (bad);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Compare/markdown-parents", test_markdown_parents);
  g_test_add_func ("/Compare/kind-mismatch", test_kind_mismatch);
  g_test_add_func ("/Compare/models-and-kernels", test_models_and_kernels);
  g_test_add_func ("/Compare/rules", test_rules);
  g_test_add_func ("/Compare/snapshots", test_snapshots);
  g_test_add_func ("/Compare/verdicts", test_verdicts);
  g_test_add_func ("/Compare/noise", test_noise);
  g_test_add_func ("/Compare/old-markdown", test_old_markdown);
  g_test_add_func ("/Compare/load-files", test_load_files);
  return g_test_run ();
}
