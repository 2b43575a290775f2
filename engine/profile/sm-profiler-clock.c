/* sm-profiler-clock.c: the profiler's clock: the TSC converted to CLOCK_MONOTONIC ns where
 * the kernel trusts it, CLOCK_MONOTONIC otherwise; and the resident set size. */
#define G_LOG_DOMAIN "SmProfiler"

#include "sm-profiler-private.h"

/* ---- the clock ---------------------------------------------------------------------------- */

static gsize    clock_once;
gboolean clock_tsc;         /* read the TSC and convert */
double   tsc_ns_per_tick;
guint64  tsc_tick0;
gint64   tsc_ns0;

#if defined(__x86_64__)
static gboolean
kernel_clock_is_tsc (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                            &text, NULL, NULL))
    return FALSE;
  return g_strcmp0 (g_strstrip (text), "tsc") == 0;
}

/* A (tick, ns) pair read as close together as we can: the tightest of a few tries. */
static void
clock_pair (guint64 *tick, gint64 *ns)
{
  guint64 best = G_MAXUINT64;

  for (int i = 0; i < 5; i++)
    {
      guint64 a = __rdtsc ();
      gint64 n = mono_ns ();
      guint64 b = __rdtsc ();
      if (b - a < best)
        {
          best = b - a;
          *tick = a + (b - a) / 2;
          *ns = n;
        }
    }
}
#endif

void
sm_profiler_clock_init (void)
{
  if (g_once_init_enter (&clock_once))
    {
#if defined(__x86_64__)
      /* The kernel picks the TSC as its clock source only when it is invariant and in step
       * across cores, so then it is as monotonic as CLOCK_MONOTONIC itself.  2 ms of
       * calibration give the rate to a few parts in 10^5. */
      if (g_strcmp0 (g_getenv ("SM_PROFILER_CLOCK"), "monotonic") != 0 && kernel_clock_is_tsc ())
        {
          guint64 t0 = 0, t1 = 0;
          gint64 n0 = 0, n1 = 0;

          clock_pair (&t0, &n0);
          do
            clock_pair (&t1, &n1);
          while (n1 - n0 < 2000000);
          if (t1 > t0)
            {
              tsc_ns_per_tick = (double) (n1 - n0) / (double) (t1 - t0);
              tsc_tick0 = t1;
              tsc_ns0 = n1;
              clock_tsc = TRUE;
            }
        }
#endif
      g_once_init_leave (&clock_once, 1);
    }
}

gint64
sm_profiler_now_ns (void)
{
  sm_profiler_clock_init ();
  return clock_now ();
}

guint64
sm_resident_bytes (void)
{
  /* statm: size resident shared text lib data dt, in pages.  read(2) rather than stdio: the
   * sampler calls this every few ms. */
  char buf[128];
  unsigned long size = 0, resident = 0;
  int fd = open ("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  if (sscanf (buf, "%lu %lu", &size, &resident) != 2)
    return 0;
  return (guint64) resident * (guint64) sysconf (_SC_PAGESIZE);
}
