/* test-threads: the compute pool (sm-threads.h).
 *
 * Every share of a run executes exactly once with the same nth (which thread runs it is up
 * to the pool: the caller takes over shares a slow worker has not claimed); ranges tile
 * [0, n); the thread count can change between runs; runs from two threads at once and runs
 * nested inside a task complete (inline) instead of deadlocking; a worker runs each share in
 * the caller's floating-point mode (subnormals flushed or not).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "sm-fp-mode.h"
#include "sm-threads.h"

typedef struct {
  atomic_int  hits[SM_MAX_THREADS];
  atomic_int  nth_seen[SM_MAX_THREADS];
  pthread_t   ran_on[SM_MAX_THREADS];
  atomic_int  calls;
} Shares;

static void
record_share (void *user, int ith, int nth)
{
  Shares *s = user;

  g_assert_cmpint (ith, >=, 0);
  g_assert_cmpint (ith, <, nth);
  g_assert_cmpint (nth, <=, SM_MAX_THREADS);
  atomic_fetch_add (&s->hits[ith], 1);
  atomic_store (&s->nth_seen[ith], nth);
  s->ran_on[ith] = pthread_self ();
  atomic_fetch_add (&s->calls, 1);
}

/* Runs record_share with @want shares and checks each of the nth it got ran once. */
static int
run_and_check (int want, int count)
{
  Shares s = { 0 };
  int nth;

  sm_threads_run (want, record_share, &s);
  nth = atomic_load (&s.nth_seen[0]);
  g_assert_cmpint (nth, >=, 1);
  g_assert_cmpint (nth, <=, MAX (1, MIN (want, count)));
  g_assert_cmpint (atomic_load (&s.calls), ==, nth);
  for (int i = 0; i < SM_MAX_THREADS; i++)
    {
      g_assert_cmpint (atomic_load (&s.hits[i]), ==, i < nth ? 1 : 0);
      if (i < nth)
        g_assert_cmpint (atomic_load (&s.nth_seen[i]), ==, nth);
    }
  return nth;
}

static void
test_every_share_once (void)
{
  static const int counts[] = { 1, 2, 3, 4, 8 };
  int saved = sm_threads_get_count ();

  for (gsize c = 0; c < G_N_ELEMENTS (counts); c++)
    {
      sm_threads_set_count (counts[c]);
      g_assert_cmpint (sm_threads_get_count (), ==, counts[c]);
      for (int want = 0; want <= 10; want++)
        for (int rep = 0; rep < 20; rep++)
          {
            int nth = run_and_check (want, counts[c]);
            /* Nobody else holds the pool, so it must give what was asked for. */
            g_assert_cmpint (nth, ==, MAX (1, MIN (want, counts[c])));
          }
    }

  sm_threads_set_count (saved);
}

/* Many short runs back to back: shares are claimed while workers are still finishing the
 * previous run or asleep, and more threads than cores exist. */
static void
test_many_runs (void)
{
  int saved = sm_threads_get_count ();

  for (int count = 2; count <= 4; count += 2)
    {
      sm_threads_set_count (count);
      for (int rep = 0; rep < 5000; rep++)
        g_assert_cmpint (run_and_check (count, count), ==, count);
    }
  sm_threads_set_count (saved);
}

static void
test_set_count_clamps (void)
{
  int saved = sm_threads_get_count ();

  sm_threads_set_count (0);
  g_assert_cmpint (sm_threads_get_count (), ==, 1);
  sm_threads_set_count (-5);
  g_assert_cmpint (sm_threads_get_count (), ==, 1);
  sm_threads_set_count (SM_MAX_THREADS + 10);
  g_assert_cmpint (sm_threads_get_count (), ==, SM_MAX_THREADS);
  sm_threads_set_count (saved);
}

static void
test_count_changes_between_runs (void)
{
  static const int seq[] = { 1, 4, 2, 3, 1, 2, 6, 2, 1, 5, 3, 2 };
  int saved = sm_threads_get_count ();

  for (int rep = 0; rep < 10; rep++)
    for (gsize i = 0; i < G_N_ELEMENTS (seq); i++)
      {
        sm_threads_set_count (seq[i]);
        g_assert_cmpint (run_and_check (seq[i], seq[i]), ==, seq[i]);
        g_assert_cmpint (run_and_check (2, seq[i]), ==, MIN (2, seq[i]));
      }
  sm_threads_set_count (saved);
}

static void
test_range (void)
{
  static const size_t aligns[] = { 1, 2, 3, 4, 8, 16, 32, 40 };

  for (size_t n = 0; n <= 300; n += (n < 70 ? 1 : 17))
    for (int nth = 1; nth <= 9; nth++)
      for (gsize a = 0; a < G_N_ELEMENTS (aligns); a++)
        {
          size_t expect = 0;
          for (int ith = 0; ith < nth; ith++)
            {
              size_t first, last;
              sm_threads_range (n, ith, nth, aligns[a], &first, &last);
              g_assert_cmpuint (first, <=, last);
              g_assert_cmpuint (last, <=, n);
              if (first < last)
                {
                  /* Contiguous, in thread order, starting on the alignment. */
                  g_assert_cmpuint (first, ==, expect);
                  g_assert_cmpuint (first % aligns[a], ==, 0);
                  expect = last;
                }
            }
          g_assert_cmpuint (expect, ==, n);
        }
}

/* ---- concurrency ------------------------------------------------------------------------------ */

typedef struct {
  const double *x;
  size_t        n;
  double        partial[SM_MAX_THREADS];
} SumJob;

static void
sum_share (void *user, int ith, int nth)
{
  SumJob *j = user;
  size_t first, last;
  double s = 0.0;

  sm_threads_range (j->n, ith, nth, 4, &first, &last);
  for (size_t i = first; i < last; i++)
    s += j->x[i];
  j->partial[ith] = s;
}

static double
threaded_sum (const double *x, size_t n)
{
  SumJob j = { .x = x, .n = n };
  double s = 0.0;

  sm_threads_run (SM_MAX_THREADS, sum_share, &j);
  for (int i = 0; i < SM_MAX_THREADS; i++)
    s += j.partial[i];
  return s;
}

#define SUM_N 1000

static gpointer
hammer (gpointer data)
{
  double *x = g_new (double, SUM_N);
  int runs = GPOINTER_TO_INT (data);

  for (size_t i = 0; i < SUM_N; i++)
    x[i] = (double) i;   /* integers: every partial order sums exactly */
  for (int r = 0; r < runs; r++)
    g_assert_cmpfloat (threaded_sum (x, SUM_N), ==, SUM_N * (SUM_N - 1) / 2.0);
  g_free (x);
  return NULL;
}

static void
test_concurrent_runs (void)
{
  int saved = sm_threads_get_count ();

  sm_threads_set_count (2);
  GThread *a = g_thread_new ("hammer-a", hammer, GINT_TO_POINTER (3000));
  GThread *b = g_thread_new ("hammer-b", hammer, GINT_TO_POINTER (3000));
  hammer (GINT_TO_POINTER (1000));
  g_thread_join (a);
  g_thread_join (b);
  sm_threads_set_count (saved);
}

/* A task that runs a whole pool job of its own, which must go inline. */
static void
nested_share (void *user, int ith, int nth)
{
  atomic_int *total = user;
  Shares s = { 0 };

  sm_threads_run (4, record_share, &s);
  /* Inline: every share of the inner run happened on this thread. */
  for (int i = 0; i < atomic_load (&s.calls); i++)
    g_assert_true (pthread_equal (s.ran_on[i], pthread_self ()));
  atomic_fetch_add (total, atomic_load (&s.calls));
}

static void
test_nested_runs (void)
{
  int saved = sm_threads_get_count ();
  atomic_int total;

  sm_threads_set_count (2);
  for (int rep = 0; rep < 100; rep++)
    {
      atomic_store (&total, 0);
      sm_threads_run (2, nested_share, &total);
      /* Two outer shares, each running the inner job's shares (2 = MIN (4, count)). */
      g_assert_cmpint (atomic_load (&total), ==, 4);
    }
  sm_threads_set_count (saved);
}

static void
test_for_work (void)
{
  int saved = sm_threads_get_count ();

  sm_threads_set_count (2);
  g_assert_cmpint (sm_threads_for_work (0.0), ==, 1);
  g_assert_cmpint (sm_threads_for_work (1000.0), ==, 1);
  g_assert_cmpint (sm_threads_for_work (1e12), ==, 2);
  sm_threads_set_count (1);
  g_assert_cmpint (sm_threads_for_work (1e12), ==, 1);
  sm_threads_set_count (saved);
}

typedef struct {
  pthread_t  caller;
  atomic_int on_worker;     /* shares a worker ran */
  atomic_int flushed;       /* shares whose subnormal product came out 0 */
  atomic_int calls;
} FpJob;

static void
fp_share (void *user, int ith, int nth)
{
  FpJob *j = user;
  volatile float tiny = 1e-30f, small = 1e-10f;   /* product 1e-40: subnormal */
  float product = tiny * small;

  if (!pthread_equal (pthread_self (), j->caller))
    atomic_fetch_add (&j->on_worker, 1);
  if (product == 0.0f)
    atomic_fetch_add (&j->flushed, 1);
  atomic_fetch_add (&j->calls, 1);
  /* long enough that the worker claims its share before the caller takes both */
  g_usleep (200);
}

/* Runs jobs in the caller's current mode until a worker has run a share; returns the number
 * of shares that flushed, which must be all or none. */
static void
check_fp_mode_followed (gboolean flush)
{
  FpJob j = { .caller = pthread_self () };

  for (int rep = 0; rep < 200 && atomic_load (&j.on_worker) == 0; rep++)
    sm_threads_run (2, fp_share, &j);
  if (atomic_load (&j.on_worker) == 0)
    {
      g_test_skip ("no worker claimed a share in 200 runs (machine too loaded)");
      return;
    }
  g_assert_cmpint (atomic_load (&j.flushed), ==, flush ? atomic_load (&j.calls) : 0);
}

static void
test_fp_mode (void)
{
  int saved = sm_threads_get_count ();
  SmFpMode fp;

#ifndef SM_FP_MODE_X86
  g_test_skip ("the flush of subnormals is x86-only");
  return;
#endif
  sm_threads_set_count (2);
  check_fp_mode_followed (FALSE);
  fp = sm_fp_flush_begin ();
  g_assert_cmpuint (sm_fp_mode_get () & SM_FP_MODE_FLUSH, ==, SM_FP_MODE_FLUSH);
  check_fp_mode_followed (TRUE);
  sm_fp_flush_end (fp);
  g_assert_cmpuint (sm_fp_mode_get (), ==, fp);
  /* and back: a worker that ran flushed shares runs the next caller's IEEE ones as IEEE */
  check_fp_mode_followed (FALSE);
  sm_threads_set_count (saved);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Threads/every-share-once", test_every_share_once);
  g_test_add_func ("/Threads/many-runs", test_many_runs);
  g_test_add_func ("/Threads/set-count-clamps", test_set_count_clamps);
  g_test_add_func ("/Threads/count-changes", test_count_changes_between_runs);
  g_test_add_func ("/Threads/range", test_range);
  g_test_add_func ("/Threads/concurrent", test_concurrent_runs);
  g_test_add_func ("/Threads/nested", test_nested_runs);
  g_test_add_func ("/Threads/for-work", test_for_work);
  g_test_add_func ("/Threads/fp-mode", test_fp_mode);

  return g_test_run ();
}
