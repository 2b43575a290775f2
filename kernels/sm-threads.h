/* sm-threads.h: the compute pool that splits kernels across cores.
 *
 * Persistent workers wait for a job; sm_threads_run () runs fn (user, ith, nth) once for each
 * share ith of nth, on the caller and the workers (the caller takes over any share a worker
 * has not claimed yet, so a descheduled worker never stalls the run), and returns when all
 * are done.  Each share derives its slice from (ith, nth) alone, e.g. with
 * sm_threads_range (), so whichever thread runs it computes the same thing.  Workers spin for
 * a few hundred µs after a job, so back-to-back ops (one token's matmuls) pay no wake-up,
 * then sleep so an idle engine burns no CPU.
 */
#pragma once

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

#define SM_MAX_THREADS 64

typedef void (*SmTaskFn) (void *user, int ith, int nth);

/* Sets the number of threads (1..SM_MAX_THREADS, clamped) used by later runs.  Safe to call
 * from any thread between runs; a run in progress finishes with the old count. */
void sm_threads_set_count (int n);
int  sm_threads_get_count (void);
/* Runs fn (user, ith, nth) for ith in [0, nth) with nth = MIN (nth, count).  Called from inside
 * a task, or while another thread's run holds the pool, it runs all shares inline. */
void sm_threads_run       (int nth, SmTaskFn fn, void *user);
/* Threads worth using for @work units of roughly a flop each: 1 below the measured break-even
 * (a parallel region costs a few microseconds), else the pool's count. */
int  sm_threads_for_work  (double flops);

/* The share [*first, *last) of @n items for thread ith of nth, in multiples of @align. */
static inline void
sm_threads_range (size_t n, int ith, int nth, size_t align, size_t *first, size_t *last)
{
  size_t blocks = (n + align - 1) / align;
  size_t per = (blocks + (size_t) nth - 1) / (size_t) nth;
  size_t f = (size_t) ith * per * align;
  size_t l = f + per * align;
  *first = f < n ? f : n;
  *last = l < n ? l : n;
}

G_END_DECLS
