/* sm-compare-report.c: a comparison written as Markdown, in the shape of the original's
 * comparison report: verdict, models, kernels, environment, then the largest changes.
 */
#define G_LOG_DOMAIN "SmCompare"

#include "sm-compare-private.h"

#include <math.h>
#include <string.h>

/* ---- the report --------------------------------------------------------------------------------------- */

static const char *
status_icon (SmRowStatus s)
{
  switch (s)
    {
    case SM_ROW_IMPROVED: return "✅";
    case SM_ROW_REGRESSED: return "⚠️";
    case SM_ROW_NOISE: return "〰️";
    case SM_ROW_UNCHANGED:
    default: return "➡️";
    }
}

static const char *
sign (double v)
{
  return v >= 0 ? "+" : "";
}

static void
fmt_opt (GString *s, double v, const char *fmt)
{
  if (isnan (v))
    g_string_append (s, "—");
  else
    g_string_append_printf (s, fmt, v);
}

/* Parameters of a suite model: the snapshot's, else the preset of that name. */
static double
model_params (const SmProfile *p, const char *key)
{
  SmPreset preset;
  SmModelConfig c;
  g_autofree char *lower = g_ascii_strdown (key, -1);
  double d, V;

  if (p->snap)
    for (guint i = 0; i < p->snap->models->len; i++)
      {
        const SmSnapshotModel *m = g_ptr_array_index (p->snap->models, i);
        if (m->name && g_str_has_suffix (m->name, key) && m->params)
          return (double) m->params;
      }
  if (!sm_preset_from_name (lower, &preset))
    return NAN;
  sm_preset_config (preset, &c);
  /* GPT: token and position embeddings, per layer 2 LayerNorms + QKV + out + 4×C MLP with
   * biases (12 d² + 13 d), the final LayerNorm and an untied head. */
  d = c.dim;
  V = c.vocab_size;
  return 2 * V * d + (double) c.context_length * d + c.n_layers * (12 * d * d + 13 * d) + 2 * d;
}

static double
suite_value (const SmProfile *p, const char *name, double fallback)
{
  return p->snap ? sm_snapshot_value (p->snap, name, fallback) : fallback;
}

/* A suite measurement's median and whether its range is known (repeated runs), or @fallback
 * without a range when the profile has no such measurement (a Markdown report). */
static double
measured (const SmProfile *p, const char *name, double fallback, gboolean *has_range,
          double *lo, double *hi)
{
  SmMeasurement *m = p->snap ? sm_snapshot_find_measurement (p->snap, name) : NULL;

  *has_range = sm_profile_measurement_range (p, name, lo, hi);
  return m && m->values->len > 0 ? sm_measurement_median (m) : fallback;
}

/* "-12.3%", and " (noise)" when the two runs' ranges overlap. */
static void
append_change (GString *md, double prev, double curr, gboolean has_a, double a_lo, double a_hi,
               gboolean has_b, double b_lo, double b_hi)
{
  double d = curr - prev, spread;
  gboolean overlap = FALSE;

  g_string_append_printf (md, "%s%.1f%%", sign (d), prev > 0 ? 100 * d / prev : 0.0);
  if (sm_compare_spread (has_a, prev, a_lo, a_hi, has_b, curr, b_lo, b_hi, &spread, &overlap) && overlap)
    g_string_append (md, " (noise)");
}

/* The median of the suite's Model_<key><mode>_<what> measurement, NAN without one. */
static double
model_median (const SmProfile *p, const char *key, const char *mode, const char *what)
{
  g_autofree char *name = g_strdup_printf ("Model_%s%s_%s", key, mode, what);
  SmMeasurement *m = p->snap ? sm_snapshot_find_measurement (p->snap, name) : NULL;

  return m && m->values->len > 0 ? sm_measurement_median (m) : NAN;
}

/* Memory a token asks for: the pool's rented bytes per token from a snapshot, the old
 * report's allocated MB per token otherwise. */
static void
append_memory (GString *md, const SmProfile *p, const SmProfileRow *row, const char *key,
               const char *mode, double tokens)
{
  double rented = model_median (p, key, mode, "rented_bytes_per_token");

  if (!isnan (rented))
    g_string_append_printf (md, "%.1f KB rented", rented / 1024.0);
  else
    fmt_opt (md, p->snap ? NAN : row->alloc_mb / tokens, "%.2f MB allocated");
}

static void
append_allocs (GString *md, const SmProfile *p, const SmProfileRow *row, const char *key,
               const char *mode, double tokens)
{
  double allocs = model_median (p, key, mode, "sys_allocs_per_token");
  fmt_opt (md, !isnan (allocs) ? allocs : row->sys_allocs / tokens, "%.2f");
}

static void
report_models (GString *md, const SmProfile *prev, const SmProfile *curr)
{
  static const char *const keys[] = { "Small", "Medium" };
  static const char *const modes[] = { "", "_KV" };
  double prev_tokens = suite_value (prev, "suite_tokens", 25);
  double curr_tokens = suite_value (curr, "suite_tokens", 25);
  gboolean any = FALSE;

  g_string_append (md, "## 🔬 Model Size Comparison\n\n");
  g_string_append (md, "Medians over each run's repetitions where it has them; a change inside "
                       "the runs' ranges is marked noise. Memory per token is what a token asks "
                       "the pool for (its activations); system allocations are the requests the "
                       "pool had to pass on.\n\n");
  g_string_append (md, "| Model | KV cache | Previous (ms) | Current (ms) | Change % | "
                       "Prev tok/s | Curr tok/s | Prev ms/token | Curr ms/token | Prev memory/token | "
                       "Curr memory/token | Prev sys allocs/token | Curr sys allocs/token |\n");
  g_string_append (md, "|-------|----------|---------------|--------------|----------|"
                       "------------|------------|---------------|---------------|-------------------|"
                       "-------------------|-----------------------|-----------------------|\n");
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    for (guint k = 0; k < G_N_ELEMENTS (modes); k++)
      {
        g_autofree char *name = g_strdup_printf ("Model_%s%s_Inference", keys[i], modes[k]);
        g_autofree char *ms_name = g_strdup_printf ("Model_%s%s_Inference_ms", keys[i], modes[k]);
        g_autofree char *tps_name = g_strdup_printf ("Model_%s%s_tok_s", keys[i], modes[k]);
        const SmProfileRow *a = sm_profile_find (prev, name), *b = sm_profile_find (curr, name);
        double a_lo = 0, a_hi = 0, b_lo = 0, b_hi = 0, t_lo = 0, t_hi = 0;
        gboolean has_a, has_b, has_t;
        double a_ms, b_ms, a_tps, b_tps;

        if (a == NULL || b == NULL)
          continue;
        any = TRUE;
        a_ms = measured (prev, ms_name, a->total_ms, &has_a, &a_lo, &a_hi);
        b_ms = measured (curr, ms_name, b->total_ms, &has_b, &b_lo, &b_hi);
        a_tps = measured (prev, tps_name, a_ms > 0 ? prev_tokens / (a_ms / 1e3) : 0.0, &has_t, &t_lo, &t_hi);
        b_tps = measured (curr, tps_name, b_ms > 0 ? curr_tokens / (b_ms / 1e3) : 0.0, &has_t, &t_lo, &t_hi);
        g_string_append_printf (md, "| **%s** | %s | %.2f | %.2f | ", keys[i], k ? "yes" : "no", a_ms, b_ms);
        append_change (md, a_ms, b_ms, has_a, a_lo, a_hi, has_b, b_lo, b_hi);
        g_string_append_printf (md, " | %.0f | %.0f | %.3f | %.3f | ", a_tps, b_tps,
                                a_ms / prev_tokens, b_ms / curr_tokens);
        append_memory (md, prev, a, keys[i], modes[k], prev_tokens);
        g_string_append (md, " | ");
        append_memory (md, curr, b, keys[i], modes[k], curr_tokens);
        g_string_append (md, " | ");
        append_allocs (md, prev, a, keys[i], modes[k], prev_tokens);
        g_string_append (md, " | ");
        append_allocs (md, curr, b, keys[i], modes[k], curr_tokens);
        g_string_append (md, " |\n");
      }
  if (!any)
    {
      g_string_append (md, "| — | (no model scopes in both runs) | | | | | | | | | | | |\n\n");
      return;
    }
  g_string_append (md, "\n### Scaling Analysis\n\n");
  for (int side = 0; side < 2; side++)
    {
      const SmProfile *p = side ? curr : prev;
      const SmProfileRow *s = sm_profile_find (p, "Model_Small_Inference");
      const SmProfileRow *m = sm_profile_find (p, "Model_Medium_Inference");
      double ps = model_params (p, "Small"), pm = model_params (p, "Medium");
      gboolean unused;
      double lo, hi;
      double s_ms = s ? measured (p, "Model_Small_Inference_ms", s->total_ms, &unused, &lo, &hi) : 0;
      double m_ms = m ? measured (p, "Model_Medium_Inference_ms", m->total_ms, &unused, &lo, &hi) : 0;
      if (s && m && s_ms > 0 && !isnan (ps) && !isnan (pm))
        {
          double tr = m_ms / s_ms, pr = pm / ps;
          g_string_append_printf (md, "- **%s:** Medium/Small time ratio %.2f× against a parameter "
                                  "ratio of %.2f× → efficiency %.2f (1.0: time grows like the "
                                  "parameters; higher is better)\n", side ? "Current" : "Previous",
                                  tr, pr, pr / tr);
        }
    }
  g_string_append (md, "\n");
}

/* GFLOP/s of one N×N×N multiply: from the snapshot's op records of the timed multiplies
 * (what the report shows), else the scope's time over its multiplies, warm-up included. */
static double
matmul_gflops (const SmProfile *p, const SmProfileRow *row, int n, double mults)
{
  double flops = 2.0 * n * n * (double) n;

  if (p->snap)
    for (guint i = 0; i < p->snap->ops->len; i++)
      {
        const SmOpRecord *r = &g_array_index (p->snap->ops, SmOpRecord, i);
        if (r->op == SM_OP_MATMUL && r->pass == SM_OP_PASS_OTHER && r->m == n && r->n == n &&
            r->k == n && r->ns > 0)
          return sm_op_record_gflops (r);
      }
  return row->total_ms > 0 ? mults * flops / (row->total_ms * 1e6) : 0.0;
}

static void
report_kernels (GString *md, const SmProfile *prev, const SmProfile *curr)
{
  static const int sizes[] = { 64, 128, 256, 512 };
  double prev_mults = suite_value (prev, "suite_warmup", 1) + suite_value (prev, "suite_matmul_iterations", 3);
  double curr_mults = suite_value (curr, "suite_warmup", 1) + suite_value (curr, "suite_matmul_iterations", 3);
  gboolean any = FALSE;

  g_string_append (md, "### Kernel GFLOP/s (per multiply)\n\n");
  g_string_append_printf (md, "Each MatMul_N×N scope holds %.0f (previous) and %.0f (current) "
                          "multiplies of 2N³ FLOPs, warm-up included. GFLOP/s is per timed "
                          "multiply from a snapshot's op records, as its report gives it (a "
                          "Markdown report has only the scope: its time over its multiplies).\n\n",
                          prev_mults, curr_mults);
  g_string_append (md, "| Operation | Previous (ms) | Current (ms) | Change % | Prev GFLOP/s | Curr GFLOP/s |\n");
  g_string_append (md, "|-----------|---------------|--------------|----------|--------------|--------------|\n");
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *name = g_strdup_printf ("MatMul_%dx%d", sizes[i], sizes[i]);
      const SmProfileRow *a = sm_profile_find (prev, name), *b = sm_profile_find (curr, name);
      double a_lo = 0, a_hi = 0, b_lo = 0, b_hi = 0;
      gboolean has_a, has_b;

      if (a == NULL || b == NULL)
        continue;
      any = TRUE;
      has_a = sm_profile_range (prev, name, &a_lo, &a_hi);
      has_b = sm_profile_range (curr, name, &b_lo, &b_hi);
      g_string_append_printf (md, "| `%s` | %.2f | %.2f | ", name, a->total_ms, b->total_ms);
      append_change (md, a->total_ms, b->total_ms, has_a, a_lo, a_hi, has_b, b_lo, b_hi);
      g_string_append_printf (md, " | %.2f | %.2f |\n", matmul_gflops (prev, a, sizes[i], prev_mults),
                              matmul_gflops (curr, b, sizes[i], curr_mults));
    }
  if (!any)
    g_string_append (md, "| — | (no MatMul scopes in both runs) | | | | |\n");
  g_string_append (md, "\n");
}

static void
env_row (GString *md, const char *label, const SmSnapshot *a, const SmSnapshot *b,
         const char *va, const char *vb)
{
  g_string_append_printf (md, "| %s | %s | %s |\n", label,
                          a ? (va ? va : "?") : "— (Markdown report)",
                          b ? (vb ? vb : "?") : "— (Markdown report)");
}

static void
report_environment (GString *md, const SmProfile *prev, const SmProfile *curr)
{
  const SmSnapshot *a = prev->snap, *b = curr->snap;

  g_string_append (md, "## 🖥️ Environment\n\n");
  g_string_append (md, "| | Previous | Current |\n|---|---|---|\n");
  env_row (md, "Program", a, b, a ? a->build.program : NULL, b ? b->build.program : NULL);
  env_row (md, "Build type", a, b, a ? a->build.build_type : NULL, b ? b->build.build_type : NULL);
  env_row (md, "Sanitizers", a, b, a ? a->build.sanitizers : NULL, b ? b->build.sanitizers : NULL);
  env_row (md, "Compiler", a, b, a ? a->build.compiler : NULL, b ? b->build.compiler : NULL);
  env_row (md, "CPU", a, b, a ? a->machine.cpu_model : NULL, b ? b->machine.cpu_model : NULL);
  env_row (md, "Kernels", a, b, a ? a->kernel_level : NULL, b ? b->kernel_level : NULL);
  env_row (md, "Pool", a, b, a ? (a->pool_enabled ? "on" : "off") : NULL,
           b ? (b->pool_enabled ? "on" : "off") : NULL);
  if ((a && a->kv_cache) || (b && b->kv_cache))
    env_row (md, "KV cache", a, b, a ? a->kv_cache : NULL, b ? b->kv_cache : NULL);
  if (a && b)
    {
      g_string_append_printf (md, "| Threads | %d | %d |\n", a->threads, b->threads);
      if (g_strcmp0 (a->build.build_type, b->build.build_type) != 0 ||
          g_strcmp0 (a->build.sanitizers, b->build.sanitizers) != 0)
        g_string_append (md, "\n> ⚠️ The builds differ: part of any change is the build, not the code.\n");
      if (g_strcmp0 (a->machine.cpu_model, b->machine.cpu_model) != 0)
        g_string_append (md, "\n> ⚠️ The machines differ.\n");
      if (!sm_build_info_is_release_like (&a->build) || !sm_build_info_is_release_like (&b->build))
        g_string_append (md, "\n> ⚠️ At least one run is not an optimized build without sanitizers.\n");
    }
  g_string_append (md, "\n");
}

static void
report_top (GString *md, const SmComparison *c, SmRowStatus want, const char *title)
{
  guint shown = 0;

  for (guint i = 0; i < c->rows->len && shown < 10; i++)
    {
      const SmCompareRow *r = g_ptr_array_index (c->rows, i);
      if (r->status != want)
        continue;
      if (shown++ == 0)
        {
          g_string_append_printf (md, "## %s\n\n", title);
          g_string_append (md, "| Method | Previous (ms) | Current (ms) | Delta (ms) | Change % |\n");
          g_string_append (md, "|--------|---------------|--------------|------------|----------|\n");
        }
      g_string_append_printf (md, "| `%s` | %.2f | %.2f | %s%.2f | %s%.1f%% |\n", r->name, r->prev_ms,
                              r->curr_ms, sign (r->delta_ms), r->delta_ms, sign (r->delta_pct),
                              r->delta_pct);
    }
  if (shown)
    g_string_append (md, "\n");
}

/* The first word of a snapshot's label: what ran ("profile", "train", "smallmind" for the
 * window). */
static char *
label_kind (const SmProfile *p)
{
  const char *label = p->snap && p->snap->label ? p->snap->label : NULL;
  return label ? g_strndup (label, strcspn (label, " ")) : NULL;
}

char *
sm_profiles_kind_mismatch (const SmProfile *prev, const SmProfile *curr)
{
  g_autofree char *a = label_kind (prev), *b = label_kind (curr);

  if (a == NULL || b == NULL || strcmp (a, b) == 0)
    return NULL;
  return g_strdup_printf ("The two runs measure different things (%s: \"%s\", %s: \"%s\"): their "
                          "scopes and totals are not comparable", prev->source, prev->snap->label,
                          curr->source, curr->snap->label);
}

/* " — the last reply; stories260K; kernels avx2, pool on", what a snapshot says it holds. */
static char *
run_description (const SmProfile *p)
{
  GString *s = g_string_new (NULL);

  if (p->snap == NULL)
    return g_string_free (s, FALSE);
  g_string_append (s, " —");
  if (p->snap->range != NULL)
    g_string_append_printf (s, " %s;", sm_snapshot_range_describe (p->snap->range));
  for (guint i = 0; i < p->snap->models->len; i++)
    g_string_append_printf (s, "%s %s", i ? "," : "",
                            ((const SmSnapshotModel *) g_ptr_array_index (p->snap->models, i))->name);
  if (p->snap->models->len > 0)
    g_string_append_c (s, ';');
  g_string_append_printf (s, " kernels %s, pool %s",
                          p->snap->kernel_level ? p->snap->kernel_level : "?",
                          p->snap->pool_enabled ? "on" : "off");
  return g_string_free (s, FALSE);
}

char *
sm_comparison_to_markdown (const SmComparison *c, const SmProfile *prev, const SmProfile *curr)
{
  GString *md = g_string_new ("# Profile Comparison Report\n\n");
  double pa = 0, ca = 0;
  gboolean have_allocs = TRUE;

  {
    g_autofree char *pd = run_description (prev), *cd = run_description (curr);
    g_string_append_printf (md, "**Previous Run:** %s (`%s`)%s\n", prev->timestamp, prev->source, pd);
    g_string_append_printf (md, "**Current Run:** %s (`%s`)%s\n\n", curr->timestamp, curr->source, cd);
  }
  {
    g_autofree char *why = sm_profiles_kind_mismatch (prev, curr);
    if (why != NULL)
      g_string_append_printf (md, "> ⚠️ %s\n\n", why);
  }

  for (guint i = 0; i < prev->rows->len; i++)
    {
      const SmProfileRow *r = g_ptr_array_index (prev->rows, i);
      if (r->top)
        pa += !isnan (r->sys_allocs) ? r->sys_allocs : (isnan (r->alloc_mb) ? 0 : r->alloc_mb);
      have_allocs = have_allocs && !isnan (r->sys_allocs);
    }
  for (guint i = 0; i < curr->rows->len; i++)
    {
      const SmProfileRow *r = g_ptr_array_index (curr->rows, i);
      if (r->top)
        ca += !isnan (r->sys_allocs) ? r->sys_allocs : (isnan (r->alloc_mb) ? 0 : r->alloc_mb);
      have_allocs = have_allocs && !isnan (r->sys_allocs);
    }

  g_string_append (md, "## 📊 Overall Performance Summary\n\n");
  g_string_append (md, "| Metric | Previous | Current | Delta | Change % |\n");
  g_string_append (md, "|--------|----------|---------|-------|----------|\n");
  g_string_append_printf (md, "| **Total Runtime** (top-level scopes) | %.2f ms | %.2f ms | %s%.2f ms | %s%.1f%% |\n",
                          c->prev_total_ms, c->curr_total_ms, sign (c->total_delta_ms),
                          c->total_delta_ms, sign (c->total_delta_pct), c->total_delta_pct);
  {
    /* from none to some is no percentage */
    g_autofree char *pct = pa > 0 ? g_strdup_printf ("%s%.1f%%", sign (ca - pa), 100 * (ca - pa) / pa)
                                  : g_strdup (ca > 0 ? "new" : "-");
    g_string_append_printf (md, "| **%s** (top-level scopes) | %.2f | %.2f | %s%.2f | %s |\n",
                            have_allocs ? "System Allocations" : "Allocations (mixed units: MB from reports)",
                            pa, ca, sign (ca - pa), ca - pa, pct);
  }
  g_string_append_printf (md, "| **Methods Profiled** | %u | %u | %s%d | - |\n\n", prev->rows->len,
                          curr->rows->len, curr->rows->len >= prev->rows->len ? "+" : "",
                          (int) curr->rows->len - (int) prev->rows->len);

  g_string_append (md, "### 🎯 Performance Verdict\n\n");
  switch (c->verdict)
    {
    case SM_VERDICT_IMPROVED:
      g_string_append_printf (md, "✅ **IMPROVED**: overall time improved by %.1f%%", -c->total_delta_pct);
      break;
    case SM_VERDICT_REGRESSED:
      g_string_append_printf (md, "⚠️ **REGRESSED**: overall time grew by %.1f%%", c->total_delta_pct);
      break;
    case SM_VERDICT_STABLE:
    default:
      g_string_append_printf (md, "➡️ **STABLE**: within the ±%.0f%% tolerance (%s%.1f%%)",
                              SM_COMPARE_VERDICT_PCT, sign (c->total_delta_pct), c->total_delta_pct);
      break;
    }
  if (c->total_is_noise)
    g_string_append_printf (md, " — 〰️ but the two runs' repetitions overlap (spread %.2f ms): "
                            "noise", c->total_spread_ms);
  else if (!isnan (c->total_spread_ms))
    g_string_append_printf (md, " — the two runs' repetitions do not overlap (spread %.2f ms)",
                            c->total_spread_ms);
  g_string_append (md, "\n\n");

  report_top (md, c, SM_ROW_IMPROVED, "🚀 Top 10 Improvements");
  report_top (md, c, SM_ROW_REGRESSED, "⚠️ Top 10 Regressions");

  g_string_append (md, "## 📋 Detailed Method Comparison\n\n");
  g_string_append_printf (md, "Changes under %.0f%% are unchanged; a larger change is noise when "
                          "the two runs' repetitions overlap (Spread: the wider run's max − min).\n\n",
                          SM_COMPARE_UNCHANGED_PCT);
  g_string_append (md, "| Method | Prev Time (ms) | Curr Time (ms) | Time Δ | Time Δ% | Prev Self (ms) | "
                       "Curr Self (ms) | Spread (ms) | Prev Allocs | Curr Allocs | Status |\n");
  g_string_append (md, "|--------|----------------|----------------|--------|---------|----------------|"
                       "----------------|-------------|-------------|-------------|--------|\n");
  for (guint i = 0; i < c->rows->len; i++)
    {
      const SmCompareRow *r = g_ptr_array_index (c->rows, i);
      g_string_append_printf (md, "| `%s` | %.2f | %.2f | %s%.2f | %s%.1f%% | ", r->name, r->prev_ms,
                              r->curr_ms, sign (r->delta_ms), r->delta_ms, sign (r->delta_pct),
                              r->delta_pct);
      fmt_opt (md, r->prev_self_ms, "%.2f");
      g_string_append (md, " | ");
      fmt_opt (md, r->curr_self_ms, "%.2f");
      g_string_append (md, " | ");
      fmt_opt (md, r->spread_ms, "%.2f");
      g_string_append (md, " | ");
      fmt_opt (md, r->prev_allocs, "%.2f");
      g_string_append (md, " | ");
      fmt_opt (md, r->curr_allocs, "%.2f");
      g_string_append_printf (md, " | %s %s |\n", status_icon (r->status),
                              sm_row_status_to_string (r->status));
    }
  g_string_append (md, "\n");
  if (c->only_prev->len || c->only_curr->len)
    {
      g_string_append (md, "Only in the previous run:");
      for (guint i = 0; i < c->only_prev->len; i++)
        g_string_append_printf (md, " `%s`", (char *) g_ptr_array_index (c->only_prev, i));
      g_string_append (md, c->only_prev->len ? "\n\n" : " —\n\n");
      g_string_append (md, "Only in the current run:");
      for (guint i = 0; i < c->only_curr->len; i++)
        g_string_append_printf (md, " `%s`", (char *) g_ptr_array_index (c->only_curr, i));
      g_string_append (md, c->only_curr->len ? "\n\n" : " —\n\n");
    }

  report_models (md, prev, curr);
  report_kernels (md, prev, curr);
  report_environment (md, prev, curr);
  return g_string_free (md, FALSE);
}
