/* test-pool.c: reuse, alignment, every counter in hand-computed scenarios, the on/off modes
 * and switching between them with buffers out, threads, and misuse detection.
 *
 * Figures below use what sm-pool.c documents: a 64-byte header per buffer (system_bytes
 * counts it), classes of 64-byte steps up to 512 B then 4 per power of two (1000 -> 1024,
 * 2000 -> 2048, 100 -> 128), exact sizes while off or above 1 GiB, and cached_bytes counting
 * class capacities. */
#include <string.h>

#include "sm-pool.h"

#define HDR 64u   /* the header in front of every buffer */

static SmPoolStats
stats_of (SmPool *pool)
{
  SmPoolStats s;
  sm_pool_get_stats (pool, &s);
  return s;
}

#define assert_stats(pool, rents_, hits_, misses_, returns_, live_, peak_, cached_, sysb_,   \
                     allocs_, frees_)                                                        \
  G_STMT_START {                                                                             \
    SmPoolStats s_ = stats_of (pool);                                                        \
    g_assert_cmpuint (s_.rents, ==, rents_);                                                 \
    g_assert_cmpuint (s_.hits, ==, hits_);                                                   \
    g_assert_cmpuint (s_.misses, ==, misses_);                                               \
    g_assert_cmpuint (s_.returns, ==, returns_);                                             \
    g_assert_cmpuint (s_.live_bytes, ==, live_);                                             \
    g_assert_cmpuint (s_.peak_bytes, ==, peak_);                                             \
    g_assert_cmpuint (s_.cached_bytes, ==, cached_);                                         \
    g_assert_cmpuint (s_.system_bytes, ==, sysb_);                                           \
    g_assert_cmpuint (s_.system_allocs, ==, allocs_);                                        \
    g_assert_cmpuint (s_.system_frees, ==, frees_);                                          \
  } G_STMT_END

/* The capacity of the class @bytes falls in, read off cached_bytes on a fresh pool. */
static guint64
capacity_of (gsize bytes)
{
  SmPool *pool = sm_pool_new ();
  guint64 cap;

  sm_pool_return (pool, sm_pool_rent (pool, bytes));
  cap = stats_of (pool).cached_bytes;
  sm_pool_free (pool);
  return cap;
}

static void
test_reuse (void)
{
  SmPool *pool = sm_pool_new ();
  gpointer a, b, c;

  g_assert_true (sm_pool_get_enabled (pool));
  a = sm_pool_rent (pool, 100);
  sm_pool_return (pool, a);
  b = sm_pool_rent (pool, 100);
  g_assert_true (b == a);
  sm_pool_return (pool, b);
  /* any size of the same class (65..128) gets the same buffer */
  c = sm_pool_rent (pool, 120);
  g_assert_true (c == a);
  assert_stats (pool, 3, 2, 1, 2, 120, 120, 0, 128 + HDR, 1, 0);
  /* a different class does not */
  b = sm_pool_rent (pool, 129);
  g_assert_true (b != a);
  sm_pool_return (pool, b);
  sm_pool_return (pool, c);
  sm_pool_free (pool);
}

static void
check_aligned_buffers (SmPool *pool)
{
  static const gsize sizes[] = { 0, 1, 2, 3, 63, 64, 65, 100, 127, 128, 511, 512, 513, 1000,
                                 1023, 1024, 1025, 4095, 4096, 4097, 65537, 1 << 20,
                                 (3 << 20) + 5 };
  gpointer bufs[G_N_ELEMENTS (sizes)];

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      bufs[i] = sm_pool_rent (pool, sizes[i]);
      g_assert_nonnull (bufs[i]);
      g_assert_cmpuint ((guintptr) bufs[i] % SM_POOL_ALIGN, ==, 0);
      /* the whole requested range is usable (ASan checks the bounds) */
      memset (bufs[i], 0xa5, sizes[i]);
    }
  /* rent0 zeroes even a recycled, dirty buffer */
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint8 *z;
      sm_pool_return (pool, bufs[i]);
      z = sm_pool_rent0 (pool, sizes[i]);
      g_assert_cmpuint ((guintptr) z % SM_POOL_ALIGN, ==, 0);
      for (gsize j = 0; j < sizes[i]; j++)
        g_assert_cmpuint (z[j], ==, 0);
      bufs[i] = z;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    sm_pool_return (pool, bufs[i]);
}

static void
test_alignment (void)
{
  SmPool *pool = sm_pool_new ();
  gpointer z1, z2;

  check_aligned_buffers (pool);
  /* 0 bytes: valid and unique, in both modes */
  z1 = sm_pool_rent (pool, 0);
  z2 = sm_pool_rent (pool, 0);
  g_assert_true (z1 != z2);
  sm_pool_return (pool, z1);
  sm_pool_return (pool, z2);

  sm_pool_set_enabled (pool, FALSE);
  check_aligned_buffers (pool);
  z1 = sm_pool_rent (pool, 0);
  z2 = sm_pool_rent (pool, 0);
  g_assert_true (z1 != z2);
  sm_pool_return (pool, z1);
  sm_pool_return (pool, z2);

  g_assert_cmpuint (stats_of (pool).system_bytes, ==, 0);
  sm_pool_free (pool);
}

/* Capacities: multiples of 64 that cover the request, the next one up to 512 B and < 25% waste
 * above, and never shrinking as the request grows. */
static void
test_classes (void)
{
  guint64 prev = 0;

  g_assert_cmpuint (capacity_of (0), ==, 64);
  g_assert_cmpuint (capacity_of (64), ==, 64);
  g_assert_cmpuint (capacity_of (65), ==, 128);
  g_assert_cmpuint (capacity_of (512), ==, 512);
  g_assert_cmpuint (capacity_of (513), ==, 640);
  g_assert_cmpuint (capacity_of (1000), ==, 1024);
  g_assert_cmpuint (capacity_of (1025), ==, 1280);
  g_assert_cmpuint (capacity_of ((1 << 20) + 1), ==, (1 << 20) + (1 << 18));
  g_assert_cmpuint (capacity_of ((gsize) 1 << 30), ==, (gsize) 1 << 30);

  for (gsize n = 0; n <= 5000; n++)
    {
      guint64 cap = capacity_of (n);
      g_assert_cmpuint (cap % 64, ==, 0);
      g_assert_cmpuint (cap, >=, n);
      g_assert_cmpuint (cap, >=, prev);
      if (n <= 512)
        g_assert_cmpuint (cap, ==, MAX (64, (n + 63) / 64 * 64));
      else
        g_assert_cmpuint ((cap - n) * 4, <, n);
      prev = cap;
    }
  /* larger sizes, around every power of two up to 4 MiB */
  for (guint k = 13; k <= 22; k++)
    {
      const gsize p = (gsize) 1 << k;
      const gsize probes[] = { p - 1, p, p + 1, p + p / 4, p + p / 4 + 1, p + p / 2 + 7 };
      for (gsize i = 0; i < G_N_ELEMENTS (probes); i++)
        {
          guint64 cap = capacity_of (probes[i]);
          g_assert_cmpuint (cap, >=, probes[i]);
          g_assert_cmpuint ((cap - probes[i]) * 4, <, probes[i]);
        }
    }
}

/* Every counter, step by step. */
static void
test_counters (void)
{
  SmPool *pool = sm_pool_new ();
  gpointer a, b, c, d, e;

  assert_stats (pool, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  a = sm_pool_rent (pool, 1000);   /* class 1024: miss */
  b = sm_pool_rent (pool, 10);     /* class 64: miss */
  c = sm_pool_rent (pool, 1000);   /* class 1024 again, list empty: miss */
  assert_stats (pool, 3, 0, 3, 0, 2010, 2010, 0, 2 * (1024 + HDR) + (64 + HDR), 3, 0);

  sm_pool_return (pool, a);
  sm_pool_return (pool, b);
  assert_stats (pool, 3, 0, 3, 2, 1000, 2010, 1024 + 64, 2304, 3, 0);

  d = sm_pool_rent (pool, 900);    /* class 1024: a again */
  g_assert_true (d == a);
  assert_stats (pool, 4, 1, 3, 2, 1900, 2010, 64, 2304, 3, 0);

  e = sm_pool_rent (pool, 2000);   /* class 2048: miss; a new peak */
  assert_stats (pool, 5, 1, 4, 2, 3900, 3900, 64, 2304 + 2048 + HDR, 4, 0);

  sm_pool_trim (pool);             /* frees b's buffer, the only cached one */
  assert_stats (pool, 5, 1, 4, 2, 3900, 3900, 0, 4288, 4, 1);

  sm_pool_return (pool, c);
  sm_pool_return (pool, d);
  sm_pool_return (pool, e);
  assert_stats (pool, 5, 1, 4, 5, 0, 3900, 1024 + 1024 + 2048, 4096 + 3 * HDR, 4, 1);

  /* events to zero, gauges kept, peak down to live */
  sm_pool_reset_stats (pool);
  assert_stats (pool, 0, 0, 0, 0, 0, 0, 4096, 4288, 0, 0);

  sm_pool_return (pool, NULL);     /* ignored, not counted */
  assert_stats (pool, 0, 0, 0, 0, 0, 0, 4096, 4288, 0, 0);

  sm_pool_trim (pool);
  assert_stats (pool, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3);
  sm_pool_free (pool);
}

static void
test_reset_with_buffers_out (void)
{
  SmPool *pool = sm_pool_new ();
  gpointer a = sm_pool_rent (pool, 300);    /* class 320 */
  gpointer b = sm_pool_rent (pool, 5000);   /* class 5120 */

  sm_pool_return (pool, b);
  assert_stats (pool, 2, 0, 2, 1, 300, 5300, 5120, 320 + 5120 + 2 * HDR, 2, 0);
  sm_pool_reset_stats (pool);
  assert_stats (pool, 0, 0, 0, 0, 300, 300, 5120, 320 + 5120 + 2 * HDR, 0, 0);
  sm_pool_return (pool, a);
  assert_stats (pool, 0, 0, 0, 1, 0, 300, 5120 + 320, 320 + 5120 + 2 * HDR, 0, 0);
  sm_pool_free (pool);
}

/* What one decode step of a small model might rent: activations, scratch, logits. */
static const gsize step_sizes[] = { 4096, 100, 70000, 1 << 20, 4096, 32000 * 4 };

static void
run_steps (SmPool *pool, int n_steps)
{
  gpointer bufs[G_N_ELEMENTS (step_sizes)];

  for (int s = 0; s < n_steps; s++)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (step_sizes); i++)
        bufs[i] = i % 2 ? sm_pool_rent0 (pool, step_sizes[i]) : sm_pool_rent (pool, step_sizes[i]);
      /* returned in another order than rented */
      for (gsize i = G_N_ELEMENTS (step_sizes); i-- > 0;)
        sm_pool_return (pool, bufs[i]);
    }
}

/* The bytes one step of run_steps asks for. */
static guint64
step_bytes (void)
{
  guint64 sum = 0;
  for (guint i = 0; i < G_N_ELEMENTS (step_sizes); i++)
    sum += step_sizes[i];
  return sum;
}

static void
test_steady_state (void)
{
  const guint64 n = G_N_ELEMENTS (step_sizes);
  const int steps = 1000;
  SmPool *pool = sm_pool_new ();
  SmPoolStats s;

  /* on: after one warm-up step, no system allocation at all */
  run_steps (pool, 1);
  sm_pool_reset_stats (pool);
  run_steps (pool, steps);
  s = stats_of (pool);
  g_assert_cmpuint (s.rents, ==, n * steps);
  g_assert_cmpuint (s.rented_bytes, ==, step_bytes () * steps);
  g_assert_cmpuint (s.hits, ==, n * steps);
  g_assert_cmpuint (s.misses, ==, 0);
  g_assert_cmpuint (s.returns, ==, n * steps);
  g_assert_cmpuint (s.system_allocs, ==, 0);
  g_assert_cmpuint (s.system_frees, ==, 0);
  g_assert_cmpuint (s.live_bytes, ==, 0);

  /* off: one allocation and one free per rent, nothing cached */
  sm_pool_set_enabled (pool, FALSE);
  g_assert_false (sm_pool_get_enabled (pool));
  sm_pool_reset_stats (pool);
  {
    /* the lock-free count agrees with the stats, and a reset of the stats leaves it be */
    guint64 before = sm_pool_count_system_allocs (pool);
    g_assert_cmpuint (before, ==, n);   /* the warm-up step's misses */
    run_steps (pool, steps);
    g_assert_cmpuint (sm_pool_count_system_allocs (pool) - before, ==, n * steps);
  }
  s = stats_of (pool);
  g_assert_cmpuint (s.rents, ==, n * steps);
  g_assert_cmpuint (s.rented_bytes, ==, step_bytes () * steps);
  g_assert_cmpuint (s.hits, ==, 0);
  g_assert_cmpuint (s.misses, ==, 0);
  g_assert_cmpuint (s.returns, ==, n * steps);
  g_assert_cmpuint (s.system_allocs, ==, n * steps);
  g_assert_cmpuint (s.system_frees, ==, n * steps);
  g_assert_cmpuint (s.cached_bytes, ==, 0);
  g_assert_cmpuint (s.system_bytes, ==, 0);
  sm_pool_free (pool);
}

static void
test_toggle (void)
{
  SmPool *pool = sm_pool_new ();
  gpointer a, b, c;

  /* rented on (class 1024), returned off: freed, not cached */
  a = sm_pool_rent (pool, 1000);
  sm_pool_set_enabled (pool, FALSE);
  assert_stats (pool, 1, 0, 1, 0, 1000, 1000, 0, 1024 + HDR, 1, 0);
  sm_pool_return (pool, a);
  assert_stats (pool, 1, 0, 1, 1, 0, 1000, 0, 0, 1, 1);

  /* rented off (exact size, neither hit nor miss), returned on: freed */
  b = sm_pool_rent (pool, 1000);
  c = sm_pool_rent (pool, 1024);   /* exactly a class size: still freed (sm-pool.c's rule) */
  assert_stats (pool, 3, 0, 1, 1, 2024, 2024, 0, 1000 + 1024 + 2 * HDR, 3, 1);
  sm_pool_set_enabled (pool, TRUE);
  sm_pool_return (pool, b);
  sm_pool_return (pool, c);
  assert_stats (pool, 3, 0, 1, 3, 0, 2024, 0, 0, 3, 3);

  /* on again: a miss, then cached; switching off trims the cache */
  a = sm_pool_rent (pool, 1000);
  sm_pool_return (pool, a);
  assert_stats (pool, 4, 0, 2, 4, 0, 2024, 1024, 1024 + HDR, 4, 3);
  sm_pool_set_enabled (pool, FALSE);
  assert_stats (pool, 4, 0, 2, 4, 0, 2024, 0, 0, 4, 4);
  /* switching off twice, or on twice, changes nothing */
  sm_pool_set_enabled (pool, FALSE);
  sm_pool_set_enabled (pool, TRUE);
  sm_pool_set_enabled (pool, TRUE);
  assert_stats (pool, 4, 0, 2, 4, 0, 2024, 0, 0, 4, 4);
  sm_pool_free (pool);
}

/* Above 1 GiB the pool hands out exact-size system memory even when on: a miss each time,
 * freed on return.  The test never touches it, but glibc fills it under the MALLOC_PERTURB_
 * that meson sets, so this (and the 1 GiB class in /Pool/classes) costs a second or so. */
static void
test_oversize (void)
{
  const gsize big = ((gsize) 1 << 30) + 64;
  SmPool *pool = sm_pool_new ();
  gpointer a = sm_pool_rent (pool, big);

  g_assert_cmpuint ((guintptr) a % SM_POOL_ALIGN, ==, 0);
  assert_stats (pool, 1, 0, 1, 0, big, big, 0, big + HDR, 1, 0);
  sm_pool_return (pool, a);
  assert_stats (pool, 1, 0, 1, 1, 0, big, 0, 0, 1, 1);
  sm_pool_free (pool);
}

static void
test_trim (void)
{
  SmPool *pool = sm_pool_new ();
  gpointer bufs[10];
  SmPoolStats s;

  for (int i = 0; i < 10; i++)
    bufs[i] = sm_pool_rent (pool, (gsize) 1000 * (i + 1));
  for (int i = 0; i < 5; i++)
    sm_pool_return (pool, bufs[i]);
  sm_pool_trim (pool);
  s = stats_of (pool);
  g_assert_cmpuint (s.cached_bytes, ==, 0);
  g_assert_cmpuint (s.system_frees, ==, 5);
  g_assert_cmpuint (s.live_bytes, ==, 6000 + 7000 + 8000 + 9000 + 10000);
  /* what is out stays out and valid */
  for (int i = 5; i < 10; i++)
    memset (bufs[i], 1, (gsize) 1000 * (i + 1));
  for (int i = 5; i < 10; i++)
    sm_pool_return (pool, bufs[i]);
  sm_pool_trim (pool);
  s = stats_of (pool);
  g_assert_cmpuint (s.system_bytes, ==, 0);
  g_assert_cmpuint (s.system_allocs, ==, s.system_frees);
  /* after a trim the next rent is a miss again */
  bufs[0] = sm_pool_rent (pool, 1000);
  g_assert_cmpuint (stats_of (pool).misses, ==, 11);
  sm_pool_return (pool, bufs[0]);
  sm_pool_free (pool);
}

static void
test_default (void)
{
  SmPool *pool = sm_pool_default ();
  gpointer a;

  g_assert_nonnull (pool);
  g_assert_true (sm_pool_default () == pool);
  a = sm_pool_rent (pool, 12345);
  g_assert_cmpuint ((guintptr) a % SM_POOL_ALIGN, ==, 0);
  sm_pool_return (pool, a);
}

/* ---- threads ----------------------------------------------------------------------------- */

#define N_THREADS 4
#define N_ITERS 50000
#define N_HELD 8

typedef struct {
  SmPool *pool;
  guint32 seed;
} Worker;

static const gsize thread_sizes[] = { 0, 1, 64, 100, 1000, 4096, 5000, 70000, 300000 };

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (w->seed);
  guint8 *held[N_HELD] = { NULL };
  gsize held_size[N_HELD] = { 0 };
  guint8 tag = (guint8) w->seed;

  for (int it = 0; it < N_ITERS; it++)
    {
      int slot = g_rand_int_range (rand, 0, N_HELD);
      if (held[slot] != NULL)
        {
          /* nobody else wrote into a buffer we hold */
          if (held_size[slot] > 0)
            {
              g_assert_cmpuint (held[slot][0], ==, tag);
              g_assert_cmpuint (held[slot][held_size[slot] - 1], ==, tag);
            }
          sm_pool_return (w->pool, held[slot]);
        }
      held_size[slot] = thread_sizes[g_rand_int_range (rand, 0, G_N_ELEMENTS (thread_sizes))];
      held[slot] = sm_pool_rent (w->pool, held_size[slot]);
      if (held_size[slot] > 0)
        {
          held[slot][0] = tag;
          held[slot][held_size[slot] - 1] = tag;
        }
    }
  for (int i = 0; i < N_HELD; i++)
    sm_pool_return (w->pool, held[i]);
  return NULL;
}

typedef struct {
  SmPool *pool;
  gint    stop;
  int     toggles;
} Toggler;

static gpointer
toggle_thread (gpointer data)
{
  Toggler *t = data;

  while (!g_atomic_int_get (&t->stop))
    {
      sm_pool_set_enabled (t->pool, t->toggles % 2 != 0);
      t->toggles++;
      g_thread_yield ();
    }
  return NULL;
}

static void
run_workers (gboolean toggle)
{
  SmPool *pool = sm_pool_new ();
  Worker workers[N_THREADS];
  GThread *threads[N_THREADS];
  Toggler toggler = { pool, 0, 0 };
  GThread *toggler_thread = NULL;
  SmPoolStats s;

  if (toggle)
    toggler_thread = g_thread_new ("toggle", toggle_thread, &toggler);
  for (int i = 0; i < N_THREADS; i++)
    {
      workers[i] = (Worker) { pool, 1234u + (guint32) i };
      threads[i] = g_thread_new ("worker", worker_thread, &workers[i]);
    }
  for (int i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);
  if (toggle)
    {
      g_atomic_int_set (&toggler.stop, 1);
      g_thread_join (toggler_thread);
      g_test_message ("%d switches while renting", toggler.toggles);
      sm_pool_set_enabled (pool, TRUE);
    }

  s = stats_of (pool);
  g_assert_cmpuint (s.rents, ==, (guint64) N_THREADS * N_ITERS);
  g_assert_cmpuint (s.returns, ==, (guint64) N_THREADS * N_ITERS);
  g_assert_cmpuint (s.live_bytes, ==, 0);
  g_assert_cmpuint (s.peak_bytes, >, 0);
  g_assert_cmpuint (s.peak_bytes, <=, (guint64) N_THREADS * N_HELD * 300000);
  if (toggle)
    g_assert_cmpuint (s.hits + s.misses, <=, s.rents);
  else
    g_assert_cmpuint (s.hits + s.misses, ==, s.rents);
  /* what the system holds is exactly the cache plus one header per cached buffer */
  g_assert_cmpuint (s.system_bytes, ==, s.cached_bytes + HDR * (s.system_allocs - s.system_frees));
  if (!toggle)
    /* at most 4 x 8 buffers of one class are out at once, so no class allocated more */
    g_assert_cmpuint (s.system_allocs, <=, N_THREADS * N_HELD * G_N_ELEMENTS (thread_sizes));

  sm_pool_trim (pool);
  s = stats_of (pool);
  g_assert_cmpuint (s.system_bytes, ==, 0);
  g_assert_cmpuint (s.cached_bytes, ==, 0);
  g_assert_cmpuint (s.system_allocs, ==, s.system_frees);
  sm_pool_free (pool);
}

static void
test_threads (void)
{
  run_workers (FALSE);
}

static void
test_threads_toggle (void)
{
  run_workers (TRUE);
}

/* ---- misuse ------------------------------------------------------------------------------ */

static void
test_misuse (void)
{
  SmPool *pool = sm_pool_new ();
  SmPool *other = sm_pool_new ();
  /* readable memory that is not a pool buffer */
  static guint8 foreign[256] __attribute__ ((aligned (64)));
  gpointer a, b, c;

  a = sm_pool_rent (pool, 100);
  sm_pool_return (pool, a);
  assert_stats (pool, 1, 0, 1, 1, 0, 100, 128, 128 + HDR, 1, 0);

  /* twice: reported, and the free list does not get the buffer twice */
  g_test_expect_message ("sm-pool", G_LOG_LEVEL_CRITICAL, "*returned twice*");
  sm_pool_return (pool, a);
  g_test_assert_expected_messages ();
  assert_stats (pool, 1, 0, 1, 1, 0, 100, 128, 128 + HDR, 1, 0);
  b = sm_pool_rent (pool, 100);
  c = sm_pool_rent (pool, 100);
  g_assert_true (b == a);
  g_assert_true (c != b);

  /* to the wrong pool */
  g_test_expect_message ("sm-pool", G_LOG_LEVEL_CRITICAL, "*another pool*");
  sm_pool_return (other, b);
  g_test_assert_expected_messages ();

  /* not from a pool at all */
  g_test_expect_message ("sm-pool", G_LOG_LEVEL_CRITICAL, "*not rented from a pool*");
  sm_pool_return (pool, foreign + 128);
  g_test_assert_expected_messages ();
  g_test_expect_message ("sm-pool", G_LOG_LEVEL_CRITICAL, "*not rented from a pool*misaligned*");
  sm_pool_return (pool, foreign + 129);
  g_test_assert_expected_messages ();
  for (gsize i = 0; i < sizeof foreign; i++)
    g_assert_cmpuint (foreign[i], ==, 0);

  assert_stats (pool, 3, 1, 2, 1, 200, 200, 0, 2 * (128 + HDR), 2, 0);
  assert_stats (other, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  sm_pool_return (pool, b);
  sm_pool_return (pool, c);
  sm_pool_free (pool);
  sm_pool_free (other);
}

/* ---- speed (only with -m perf; never asserted) ------------------------------------------- */

static void
test_perf (void)
{
  const int n = 2000000;
  SmPool *pool;
  gint64 t0;
  double on_ns, off_ns;

  if (!g_test_perf ())
    {
      g_test_skip ("run with -m perf");
      return;
    }
  pool = sm_pool_new ();
  sm_pool_return (pool, sm_pool_rent (pool, 4096));
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < n; i++)
    sm_pool_return (pool, sm_pool_rent (pool, 4096));
  on_ns = (double) (g_get_monotonic_time () - t0) * 1e3 / n;

  sm_pool_set_enabled (pool, FALSE);
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < n / 10; i++)
    sm_pool_return (pool, sm_pool_rent (pool, 4096));
  off_ns = (double) (g_get_monotonic_time () - t0) * 1e3 / (n / 10);
  g_test_message ("4 KiB rent+return: pool on %.1f ns, off %.1f ns", on_ns, off_ns);
  g_test_minimized_result (on_ns, "rent+return hit %.1f ns", on_ns);
  sm_pool_free (pool);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Pool/reuse", test_reuse);
  g_test_add_func ("/Pool/alignment", test_alignment);
  g_test_add_func ("/Pool/classes", test_classes);
  g_test_add_func ("/Pool/counters", test_counters);
  g_test_add_func ("/Pool/reset-with-buffers-out", test_reset_with_buffers_out);
  g_test_add_func ("/Pool/steady-state", test_steady_state);
  g_test_add_func ("/Pool/toggle", test_toggle);
  g_test_add_func ("/Pool/oversize", test_oversize);
  g_test_add_func ("/Pool/trim", test_trim);
  g_test_add_func ("/Pool/default", test_default);
  g_test_add_func ("/Pool/threads", test_threads);
  g_test_add_func ("/Pool/threads-toggle", test_threads_toggle);
  g_test_add_func ("/Pool/misuse", test_misuse);
  g_test_add_func ("/Pool/perf", test_perf);
  return g_test_run ();
}
