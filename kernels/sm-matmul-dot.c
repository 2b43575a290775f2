/* sm-matmul-dot.c: a threaded matmul for weight types that have only a dot kernel.
 *
 * A type enters the weight table with its dot product first (the scalar reference), and gets
 * GEMV / GEMM micro-kernels of its own later.  Until then this runs Y = X · Wᵀ as one dot per
 * output, W rows split over the threads and every token of X passed over a slab of W rows
 * while it is in cache, as the Q8_0 GEMM does. */
#include "sm-kernels.h"
#include "sm-threads.h"

/* Rows per slab: 32 rows of a 4096-wide 4-bit matrix are ~70 KB, within L2. */
#define DOT_SLAB 32

typedef struct {
  SmVecDotFunc dot;
  size_t n, M, K, ldw, ldx, ldy;
  const char *W, *X;
  float *Y;
} DotJob;

static void
dot_task (void *user, int ith, int nth)
{
  const DotJob *j = user;
  size_t first, last;

  sm_threads_range (j->M, ith, nth, DOT_SLAB, &first, &last);
  for (size_t r0 = first; r0 < last; r0 += DOT_SLAB)
    {
      const size_t rows = MIN (DOT_SLAB, last - r0);
      for (size_t t = 0; t < j->n; t++)
        for (size_t r = r0; r < r0 + rows; r++)
          j->Y[t * j->ldy + r] = j->dot (j->K, j->W + r * j->ldw, j->X + t * j->ldx);
    }
}

void
sm_matmul_dot (size_t n, size_t M, size_t K, const void *W, size_t ldw, const void *X,
               size_t ldx, float *Y, size_t ldy, SmVecDotFunc dot)
{
  DotJob j = { .dot = dot, .n = n, .M = M, .K = K, .ldw = ldw, .ldx = ldx, .ldy = ldy,
               .W = W, .X = X, .Y = Y };
  /* A dot kernel without its own GEMV streams its rows as a GEMV does. */
  int nth = sm_threads_for_work (3.0 * 2.0 * (double) n * (double) M * (double) K);

  if (nth > 1)
    sm_threads_run (nth, dot_task, &j);
  else
    dot_task (&j, 0, 1);
}
