/* sm-profiler-self.c: what profiling costs: the time one op record takes, measured so reports
 * can subtract it. */
#define G_LOG_DOMAIN "SmProfiler"

#include "sm-profiler-private.h"

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
