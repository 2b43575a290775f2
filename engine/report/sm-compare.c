/* sm-compare.c: two runs compared: the rules that call a change a regression, an improvement
 * or noise, and the comparison of two profiles row by row.  Reading a run into a profile is
 * sm-profile.c; the report in the shape of the original's is sm-compare-report.c.
 */
#define G_LOG_DOMAIN "SmCompare"

#include "sm-compare-private.h"

#include <math.h>

/* ---- rules ---------------------------------------------------------------------------------------- */

SmVerdict
sm_compare_verdict (double total_delta_pct)
{
  if (total_delta_pct < -SM_COMPARE_VERDICT_PCT)
    return SM_VERDICT_IMPROVED;
  if (total_delta_pct > SM_COMPARE_VERDICT_PCT)
    return SM_VERDICT_REGRESSED;
  return SM_VERDICT_STABLE;
}

SmRowStatus
sm_compare_row_status (double delta_pct, gboolean within_spread)
{
  if (fabs (delta_pct) < SM_COMPARE_UNCHANGED_PCT)
    return SM_ROW_UNCHANGED;
  if (within_spread)
    return SM_ROW_NOISE;
  return delta_pct < 0 ? SM_ROW_IMPROVED : SM_ROW_REGRESSED;
}

gboolean
sm_compare_ranges_overlap (double a_lo, double a_hi, double b_lo, double b_hi)
{
  return MAX (a_lo, b_lo) <= MIN (a_hi, b_hi);
}

const char *
sm_verdict_to_string (SmVerdict verdict)
{
  switch (verdict)
    {
    case SM_VERDICT_IMPROVED: return "IMPROVED";
    case SM_VERDICT_REGRESSED: return "REGRESSED";
    case SM_VERDICT_STABLE:
    default: return "STABLE";
    }
}

const char *
sm_row_status_to_string (SmRowStatus status)
{
  switch (status)
    {
    case SM_ROW_IMPROVED: return "Improved";
    case SM_ROW_REGRESSED: return "Regressed";
    case SM_ROW_NOISE: return "Noise";
    case SM_ROW_UNCHANGED:
    default: return "Unchanged";
    }
}

gboolean
sm_compare_spread (gboolean has_a, double a, double a_lo, double a_hi,
                   gboolean has_b, double b, double b_lo, double b_hi, double *spread, gboolean *overlap)
{
  if (!has_a && !has_b)
    {
      *spread = NAN;
      *overlap = FALSE;
      return FALSE;
    }
  if (!has_a)
    a_lo = a_hi = a;
  if (!has_b)
    b_lo = b_hi = b;
  *spread = MAX (a_hi - a_lo, b_hi - b_lo);
  *overlap = sm_compare_ranges_overlap (a_lo, a_hi, b_lo, b_hi);
  return TRUE;
}

/* ---- comparison ------------------------------------------------------------------------------------- */

static void
cmp_row_free (gpointer p)
{
  SmCompareRow *r = p;
  g_free (r->name);
  g_free (r);
}

void
sm_comparison_free (SmComparison *c)
{
  if (c == NULL)
    return;
  g_ptr_array_unref (c->rows);
  g_ptr_array_unref (c->only_prev);
  g_ptr_array_unref (c->only_curr);
  g_free (c);
}

static int
row_cmp (gconstpointer pa, gconstpointer pb)
{
  const SmCompareRow *a = *(SmCompareRow *const *) pa, *b = *(SmCompareRow *const *) pb;
  double x = fabs (a->delta_ms), y = fabs (b->delta_ms);
  if (x != y)
    return x > y ? -1 : 1;
  return g_strcmp0 (a->name, b->name);
}

SmComparison *
sm_compare_profiles (const SmProfile *prev, const SmProfile *curr)
{
  SmComparison *c = g_new0 (SmComparison, 1);

  c->rows = g_ptr_array_new_with_free_func (cmp_row_free);
  c->only_prev = g_ptr_array_new_with_free_func (g_free);
  c->only_curr = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < prev->rows->len; i++)
    {
      const SmProfileRow *p = g_ptr_array_index (prev->rows, i);
      const SmProfileRow *q = sm_profile_find (curr, p->name);
      SmCompareRow *r;

      if (q == NULL)
        {
          g_ptr_array_add (c->only_prev, g_strdup (p->name));
          continue;
        }
      r = g_new0 (SmCompareRow, 1);
      r->name = g_strdup (p->name);
      r->prev_ms = p->total_ms;
      r->curr_ms = q->total_ms;
      r->delta_ms = q->total_ms - p->total_ms;
      r->delta_pct = p->total_ms > 0 ? 100.0 * r->delta_ms / p->total_ms : 0.0;
      r->prev_self_ms = p->self_ms;
      r->curr_self_ms = q->self_ms;
      r->prev_calls = p->calls;
      r->curr_calls = q->calls;
      r->prev_allocs = !isnan (p->sys_allocs) ? p->sys_allocs : p->alloc_mb;
      r->curr_allocs = !isnan (q->sys_allocs) ? q->sys_allocs : q->alloc_mb;
      {
        double a_lo = 0, a_hi = 0, b_lo = 0, b_hi = 0;
        gboolean has_a = sm_profile_range (prev, p->name, &a_lo, &a_hi);
        gboolean has_b = sm_profile_range (curr, p->name, &b_lo, &b_hi);
        sm_compare_spread (has_a, p->total_ms, a_lo, a_hi, has_b, q->total_ms, b_lo, b_hi,
                   &r->spread_ms, &r->within_spread);
      }
      r->status = sm_compare_row_status (r->delta_pct, r->within_spread);
      g_ptr_array_add (c->rows, r);
    }
  for (guint i = 0; i < curr->rows->len; i++)
    {
      const SmProfileRow *q = g_ptr_array_index (curr->rows, i);
      if (sm_profile_find (prev, q->name) == NULL)
        g_ptr_array_add (c->only_curr, g_strdup (q->name));
    }
  g_ptr_array_sort (c->rows, row_cmp);

  c->prev_total_ms = sm_profile_total_ms (prev);
  c->curr_total_ms = sm_profile_total_ms (curr);
  c->total_delta_ms = c->curr_total_ms - c->prev_total_ms;
  c->total_delta_pct = c->prev_total_ms > 0 ? 100.0 * c->total_delta_ms / c->prev_total_ms : 0.0;
  {
    double a_lo = 0, a_hi = 0, b_lo = 0, b_hi = 0;
    gboolean has_a = sm_profile_measurement_range (prev, "total_ms", &a_lo, &a_hi);
    gboolean has_b = sm_profile_measurement_range (curr, "total_ms", &b_lo, &b_hi);
    sm_compare_spread (has_a, c->prev_total_ms, a_lo, a_hi, has_b, c->curr_total_ms, b_lo, b_hi,
               &c->total_spread_ms, &c->total_is_noise);
  }
  c->verdict = sm_compare_verdict (c->total_delta_pct);
  return c;
}
