/* sm-threads.c: persistent compute workers.
 *
 * One job at a time: the dispatcher publishes (fn, user, nth), bumps `generation`, and runs
 * share 0 itself; workers that see the new generation run their share and decrement
 * `pending`.  Spinning on an atomic keeps a parallel region to a few microseconds; workers
 * that see no job for a while fall asleep on a condition variable.
 */
#include "sm-threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sched.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SM_CPU_RELAX() _mm_pause ()
#else
#define SM_CPU_RELAX() ((void) 0)
#endif

/* How long a worker spins before sleeping: long enough to bridge the gap between two ops of
 * one token (microseconds), short enough that an idle engine yields the core quickly. */
#define SPIN_ROUNDS 20000

/* Below this many flops a parallel region costs more than it saves (measured with
 * `smallmind-cli bench kernels`: a region costs ~3-6 µs, i.e. ~100k flops of one core). */
#define PARALLEL_MIN_FLOPS 200000.0

typedef struct {
  pthread_t thread;
  int       index;
  unsigned  start_generation;  /* the generation current when it was created */
  bool      started;
} Worker;

static struct {
  pthread_mutex_t dispatch_lock;   /* held for a whole run, and while resizing */
  pthread_mutex_t sleep_lock;
  pthread_cond_t  wake;

  atomic_uint     generation;      /* bumped per job and on shutdown of a worker */
  atomic_int      pending;         /* shares not yet finished */
  atomic_int      n_sleeping;
  atomic_int      n_workers;       /* workers alive (threads - 1) */

  SmTaskFn        fn;
  void           *user;
  int             nth;

  Worker          workers[SM_MAX_THREADS];
  atomic_int      count;           /* wanted thread count */
} pool = {
  .dispatch_lock = PTHREAD_MUTEX_INITIALIZER,
  .sleep_lock = PTHREAD_MUTEX_INITIALIZER,
  .wake = PTHREAD_COND_INITIALIZER,
  .count = 1,
};

static _Thread_local bool in_task;

static void *
worker_main (void *data)
{
  Worker *self = data;
  /* Not a fresh read: a job published before this thread first runs must still be seen. */
  unsigned seen = self->start_generation;

  in_task = true;
  for (;;)
    {
      unsigned gen;
      int spins = 0;

      while ((gen = atomic_load_explicit (&pool.generation, memory_order_acquire)) == seen)
        {
          if (++spins < SPIN_ROUNDS)
            {
              SM_CPU_RELAX ();
              continue;
            }
          pthread_mutex_lock (&pool.sleep_lock);
          atomic_fetch_add (&pool.n_sleeping, 1);
          while (atomic_load (&pool.generation) == seen)
            pthread_cond_wait (&pool.wake, &pool.sleep_lock);
          atomic_fetch_sub (&pool.n_sleeping, 1);
          pthread_mutex_unlock (&pool.sleep_lock);
          spins = 0;
        }
      seen = gen;

      if (self->index >= atomic_load (&pool.n_workers) + 1)
        return NULL;   /* the pool shrank past us */

      if (self->index < pool.nth)
        {
          pool.fn (pool.user, self->index, pool.nth);
          atomic_fetch_sub_explicit (&pool.pending, 1, memory_order_release);
        }
    }
}

static void
publish (void)
{
  /* Sequentially consistent, paired with the sleeper's n_sleeping++ then re-check. */
  atomic_fetch_add (&pool.generation, 1);
  if (atomic_load (&pool.n_sleeping) > 0)
    {
      pthread_mutex_lock (&pool.sleep_lock);
      pthread_cond_broadcast (&pool.wake);
      pthread_mutex_unlock (&pool.sleep_lock);
    }
}

/* Called with dispatch_lock held. */
static void
resize_locked (int threads)
{
  int have = atomic_load (&pool.n_workers);
  int want = threads - 1;

  if (want < have)
    {
      /* Workers with index > want see the shrink at the next generation and exit. */
      atomic_store (&pool.n_workers, want);
      pool.nth = 0;
      publish ();
      for (int i = want + 1; i <= have; i++)
        {
          pthread_join (pool.workers[i].thread, NULL);
          pool.workers[i].started = false;
        }
    }
  else if (want > have)
    {
      int ok = have;
      for (int i = have + 1; i <= want; i++)
        {
          pool.workers[i].index = i;
          pool.workers[i].start_generation = atomic_load (&pool.generation);
          if (pthread_create (&pool.workers[i].thread, NULL, worker_main, &pool.workers[i]) != 0)
            break;
          pool.workers[i].started = true;
          ok = i;
        }
      atomic_store (&pool.n_workers, ok);
    }
}

void
sm_threads_set_count (int n)
{
  if (n < 1)
    n = 1;
  if (n > SM_MAX_THREADS)
    n = SM_MAX_THREADS;
  atomic_store (&pool.count, n);
}

int
sm_threads_get_count (void)
{
  return atomic_load (&pool.count);
}

int
sm_threads_for_work (double flops)
{
  return flops < PARALLEL_MIN_FLOPS ? 1 : sm_threads_get_count ();
}

void
sm_threads_run (int nth, SmTaskFn fn, void *user)
{
  int count = atomic_load (&pool.count);

  if (nth > count)
    nth = count;
  if (nth <= 1 || in_task || pthread_mutex_trylock (&pool.dispatch_lock) != 0)
    {
      /* Nested or contended: do every share here, in order. */
      for (int i = 0; i < (nth < 1 ? 1 : nth); i++)
        fn (user, i, nth < 1 ? 1 : nth);
      return;
    }

  if (atomic_load (&pool.n_workers) != count - 1)
    resize_locked (count);
  if (nth > atomic_load (&pool.n_workers) + 1)
    nth = atomic_load (&pool.n_workers) + 1;

  pool.fn = fn;
  pool.user = user;
  pool.nth = nth;
  atomic_store (&pool.pending, nth - 1);
  publish ();

  in_task = true;
  fn (user, 0, nth);
  in_task = false;

  while (atomic_load_explicit (&pool.pending, memory_order_acquire) > 0)
    SM_CPU_RELAX ();

  pthread_mutex_unlock (&pool.dispatch_lock);
}
