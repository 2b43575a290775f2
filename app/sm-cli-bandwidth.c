/* sm-cli-bandwidth.c: the machine's DRAM read bandwidth, as `bench` measures it.
 *
 * Decode reads every weight once a token, so its ceiling is bytes per token over the memory
 * bus's read bandwidth.  A report that gives tok/s alone cannot say how close a kernel is to
 * that ceiling; this measures the ceiling on the same machine, at the same thread count, over
 * the compute pool the kernels use (so the same threads, pinned or not, do the reading). */
#include "sm-cli-common.h"
#include "sm-threads.h"

#include <string.h>

typedef struct {
  const guint64 *buf;
  size_t n;                      /* guint64s in buf */
  guint64 sums[SM_MAX_THREADS];  /* kept so the reads are not optimised away */
} ReadJob;

/* Eight independent sums: enough loads in flight that the core is never what limits. */
static void
read_task (void *user, int ith, int nth)
{
  ReadJob *j = user;
  size_t first, last;
  guint64 s[8] = { 0 };

  sm_threads_range (j->n, ith, nth, 8 * 64, &first, &last);
  for (size_t i = first; i < last; i += 8)
    for (int l = 0; l < 8; l++)
      s[l] += j->buf[i + l];
  j->sums[ith] = s[0] ^ s[1] ^ s[2] ^ s[3] ^ s[4] ^ s[5] ^ s[6] ^ s[7];
}

typedef struct {
  guint64 *buf;
  size_t n;
} FillJob;

/* Each thread touches its own share first, so the pages are there before any timing. */
static void
fill_task (void *user, int ith, int nth)
{
  FillJob *j = user;
  size_t first, last;

  sm_threads_range (j->n, ith, nth, 8 * 64, &first, &last);
  for (size_t i = first; i < last; i++)
    j->buf[i] = i * 0x9e3779b97f4a7c15ULL;
}

double
sm_cli_read_bandwidth (size_t bytes, int threads, int passes)
{
  const int old = sm_threads_get_count ();
  const size_t n = MAX (bytes / sizeof (guint64) / 512 * 512, 512);
  g_autofree guint64 *buf = g_try_new (guint64, n);
  FillJob fill = { .n = n };
  ReadJob read = { .n = n };
  double best = 0.0;

  if (buf == NULL)
    return 0.0;
  sm_threads_set_count (threads);
  fill.buf = buf;
  sm_threads_run (threads, fill_task, &fill);
  read.buf = buf;
  /* one pass to wake the workers and walk the page tables, then the best of @passes */
  sm_threads_run (threads, read_task, &read);
  for (int p = 0; p < passes; p++)
    {
      gint64 t0 = g_get_monotonic_time ();
      sm_threads_run (threads, read_task, &read);
      gint64 t1 = g_get_monotonic_time ();
      best = MAX (best, (double) (n * sizeof (guint64)) * 1e6 / (double) MAX (t1 - t0, 1));
    }
  sm_threads_set_count (old);
  return best;
}
