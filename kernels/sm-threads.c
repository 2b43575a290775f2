/* sm-threads.c: persistent compute workers.
 *
 * One job at a time.  The dispatcher writes (fn, user), sets the claim word to (generation,
 * share 0), then publishes the job word (generation, nth).  Every participant, the caller
 * included, claims shares one at a time with a compare-and-swap on the claim word and runs
 * them; the caller returns once all nth are done.  So a worker that is slow to wake, or
 * that the OS has descheduled because another process wants the core, costs at most the
 * time of the shares the caller runs in its place, never a scheduler time slice.
 *
 * Safety: a claim names its generation, so a late worker cannot take a share of a newer
 * job; fn and user are read only after a successful claim, and the dispatcher cannot start
 * the next job (and rewrite them) before that share is done.  Workers spin on the job word
 * for a while after each job, so back-to-back ops pay no wake-up, then sleep on a condition
 * variable.
 */
#include "sm-threads.h"
#include "sm-fp-mode.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sched.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SM_CPU_RELAX() _mm_pause ()
#else
#define SM_CPU_RELAX() ((void) 0)
#endif

/* How long a worker spins before sleeping: long enough to bridge the gap between two ops of
 * one token and between two tokens (microseconds to tens of them), short enough that an
 * idle engine yields the core quickly.  Timed, not counted: a pause lasts ~50 ns on Zen 4
 * and Skylake but ~3 ns on older cores. */
#define SPIN_NS 300000
/* Pauses between two looks at the clock, and before a waiting caller yields its core to a
 * worker the OS has descheduled. */
#define SPIN_CHECK 64
#define WAIT_YIELD_SPINS 2000

/* Below this many flops a parallel region costs more than it saves.  Measured with
 * `smallmind-cli bench kernels --kernels threads,split` on an idle 2-core AMD EPYC (Zen 4):
 * 2 µs of work split in 2 shares takes 1.13 µs (the region itself ~0.1 µs when the worker
 * is spinning), and x · Wᵀ forced onto 2 threads against 1 runs at 0.73x for 8 kflop
 * (1×64×64), 0.77x-0.81x for 16-66 kflop of small-M GEMM (8×32×32, 16×32×64), 1.43x for
 * 131 kflop (16×64×64) and 1.6x-2x above; a GEMV (M = 1) already gains 1.95x at 33 kflop,
 * so sm-ops.c counts GEMV work 3x. */
#define PARALLEL_MIN_FLOPS 100000.0

/* The published job: generation in the high bits, nth in the low JOB_NTH_BITS. */
#define JOB_NTH_BITS 8
G_STATIC_ASSERT (SM_MAX_THREADS < (1 << JOB_NTH_BITS));

typedef struct {
  pthread_t thread;
  int       index;
  uint64_t  start_generation;  /* the generation current when it was created */
} Worker;

static struct {
  pthread_mutex_t dispatch_lock;   /* held for a whole run, and while resizing */
  pthread_mutex_t sleep_lock;
  pthread_cond_t  wake;

  _Atomic uint64_t job;            /* generation << JOB_NTH_BITS | nth */
  _Atomic uint64_t claim;          /* (generation mod 2³²) << 32 | next share to hand out */
  atomic_int      done;            /* shares finished */
  atomic_int      n_sleeping;
  atomic_int      n_workers;       /* workers alive (threads - 1) */

  /* The job's function; written under dispatch_lock before the job is published, read only
   * after claiming one of its shares. */
  SmTaskFn        fn;
  void           *user;
  SmFpMode        fp_mode;         /* the caller's floating-point mode (sm-fp-mode.h) */

  Worker          workers[SM_MAX_THREADS];
  atomic_int      count;           /* wanted thread count */
} pool = {
  .dispatch_lock = PTHREAD_MUTEX_INITIALIZER,
  .sleep_lock = PTHREAD_MUTEX_INITIALIZER,
  .wake = PTHREAD_COND_INITIALIZER,
  .count = 1,
};

static _Thread_local bool in_task;

static gint64
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Claims and runs shares of job @gen until none is left; a worker runs them in the caller's
 * floating-point mode, so no slice's result depends on the thread that computed it. */
static void
run_shares (uint64_t gen, int nth, bool worker)
{
  uint64_t tag = (gen & 0xffffffffu) << 32;
  uint64_t c = atomic_load_explicit (&pool.claim, memory_order_acquire);

  for (;;)
    {
      if ((c & ~(uint64_t) 0xffffffffu) != tag || (int) (c & 0xffffffffu) >= nth)
        return;
      if (!atomic_compare_exchange_weak_explicit (&pool.claim, &c, c + 1,
                                                  memory_order_acq_rel, memory_order_acquire))
        continue;   /* c now holds the current word */
      if (worker)
        sm_fp_mode_set (pool.fp_mode);
      pool.fn (pool.user, (int) (c & 0xffffffffu), nth);
      atomic_fetch_add_explicit (&pool.done, 1, memory_order_release);
      c = atomic_load_explicit (&pool.claim, memory_order_acquire);
    }
}

static void *
worker_main (void *data)
{
  Worker *self = data;
  /* Not a fresh read: a job published before this thread first runs must still be seen. */
  uint64_t seen = self->start_generation;

  in_task = true;
  for (;;)
    {
      uint64_t word;
      unsigned spins = 0;
      gint64 deadline = 0;

      while (((word = atomic_load_explicit (&pool.job, memory_order_acquire)) >> JOB_NTH_BITS) == seen)
        {
          SM_CPU_RELAX ();
          if (++spins % SPIN_CHECK != 0)
            continue;
          if (deadline == 0)
            deadline = now_ns () + SPIN_NS;
          if (now_ns () < deadline)
            continue;
          pthread_mutex_lock (&pool.sleep_lock);
          atomic_fetch_add (&pool.n_sleeping, 1);
          while ((atomic_load (&pool.job) >> JOB_NTH_BITS) == seen)
            pthread_cond_wait (&pool.wake, &pool.sleep_lock);
          atomic_fetch_sub (&pool.n_sleeping, 1);
          pthread_mutex_unlock (&pool.sleep_lock);
          deadline = 0;
        }
      seen = word >> JOB_NTH_BITS;

      if (self->index > atomic_load (&pool.n_workers))
        return NULL;   /* the pool shrank past us */

      /* Threads past nth stay out: a job of fewer shares than threads is not worth the
       * contention on the claim word. */
      int nth = (int) (word & ((1u << JOB_NTH_BITS) - 1));
      if (self->index < nth)
        run_shares (seen, nth, true);
    }
}

/* Called with dispatch_lock held; returns the new generation. */
static uint64_t
publish (int nth)
{
  uint64_t gen = (atomic_load_explicit (&pool.job, memory_order_relaxed) >> JOB_NTH_BITS) + 1;

  atomic_store_explicit (&pool.done, 0, memory_order_relaxed);
  atomic_store_explicit (&pool.claim, (gen & 0xffffffffu) << 32, memory_order_release);
  /* Sequentially consistent, paired with the sleeper's n_sleeping++ then re-check. */
  atomic_store (&pool.job, gen << JOB_NTH_BITS | (uint64_t) nth);
  if (atomic_load (&pool.n_sleeping) > 0)
    {
      pthread_mutex_lock (&pool.sleep_lock);
      pthread_cond_broadcast (&pool.wake);
      pthread_mutex_unlock (&pool.sleep_lock);
    }
  return gen;
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
      publish (0);
      for (int i = want + 1; i <= have; i++)
        pthread_join (pool.workers[i].thread, NULL);
    }
  else if (want > have)
    {
      int ok = have;
      for (int i = have + 1; i <= want; i++)
        {
          pool.workers[i].index = i;
          pool.workers[i].start_generation = atomic_load (&pool.job) >> JOB_NTH_BITS;
          if (pthread_create (&pool.workers[i].thread, NULL, worker_main, &pool.workers[i]) != 0)
            break;
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
  if (nth < 1)
    nth = 1;
  if (nth == 1 || in_task || pthread_mutex_trylock (&pool.dispatch_lock) != 0)
    {
      /* Single, nested or contended: do every share here, in order. */
      for (int i = 0; i < nth; i++)
        fn (user, i, nth);
      return;
    }

  if (atomic_load (&pool.n_workers) != count - 1)
    resize_locked (count);
  if (nth > atomic_load (&pool.n_workers) + 1)
    nth = atomic_load (&pool.n_workers) + 1;

  pool.fn = fn;
  pool.user = user;
  pool.fp_mode = sm_fp_mode_get ();
  uint64_t gen = publish (nth);

  in_task = true;
  run_shares (gen, nth, false);
  in_task = false;

  /* Only shares a worker has claimed remain: wait for them, yielding now and then in case
   * that worker waits for this very core. */
  for (unsigned spins = 1; atomic_load_explicit (&pool.done, memory_order_acquire) < nth; spins++)
    {
      SM_CPU_RELAX ();
      if (spins % WAIT_YIELD_SPINS == 0)
        sched_yield ();
    }

  pthread_mutex_unlock (&pool.dispatch_lock);
}
