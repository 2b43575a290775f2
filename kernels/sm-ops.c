/* sm-ops.c: the threaded entry points.  Each cuts its output into disjoint slices and calls
 * the table in force on each; below a break-even size it runs on the caller's thread alone.
 *
 * Slices are handed out dynamically: about SLICES_PER_THREAD per thread, each taken from a
 * shared counter by whichever thread is free.  On an idle machine that costs nothing over
 * one slice per thread; when another process holds a core, the thread that has it does most
 * slices instead of waiting for a worker that is not running (the pool already gives an
 * unclaimed share to the caller, but a claimed one must finish). */
#include "sm-kernels.h"
#include "sm-quants.h"
#include "sm-threads.h"

#include <stdatomic.h>

#define SLICES_PER_THREAD 4

/* A GEMV streams its matrix once and runs at a third or less of GEMM's flop rate, so a flop
 * of it is worth ~3 of GEMM's against the fixed cost of a parallel region (measured: a GEMV
 * of 33 kflop is 1.95x faster on 2 threads, a GEMM of 66 kflop 0.77x; sm-threads.c). */
#define GEMV_WORK_WEIGHT 3.0
/* The packed GEMV runs about twice as fast in cache (no horizontal sums), so a flop of it is
 * worth one of GEMM's: stories260K's 344×64 gate|up and 512×64 logits stay on one thread
 * (2-thread decode 50,400 -> 65,100 tok/s), Small's 2-thread decode 58,000 -> 62,000, the 15M
 * shape's unchanged (bench -m ... -n 128 -t 2, weights 3, 1.5, 1 and 0.5 tried). */
#define GEMV_PACKED_WORK_WEIGHT 1.0

/* Slices of @n items for @nth threads: about SLICES_PER_THREAD each, whole multiples of
 * @align, at least @min_items long. */
static size_t
slice_size (size_t n, int nth, size_t align, size_t min_items)
{
  size_t want = (n + (size_t) nth * SLICES_PER_THREAD - 1) / ((size_t) nth * SLICES_PER_THREAD);
  if (want < min_items)
    want = min_items;
  return (want + align - 1) / align * align;
}

/* ---- SGEMM ---------------------------------------------------------------------------------- */

typedef struct {
  const SmKernels *k;
  bool trans_a, trans_b;
  size_t M, N, K;
  float alpha, beta;
  const float *A, *B;
  size_t lda, ldb, ldc;
  float *C;
  bool split_n;
  size_t slice, n_slices;
  atomic_size_t next;
} GemmJob;

/* N slices are whole 32-column panels (the AVX-512 tile width) and at least 64 wide, so a
 * slice's own packing and tail stay small next to its work; M slices are 12-row groups. */
#define GEMM_SLICE_N 32
#define GEMM_SLICE_N_MIN 64
#define GEMM_SLICE_M 12
#define GEMM_SLICE_M_MIN 24

static void
gemm_task (void *user, int ith, int nth)
{
  GemmJob *j = user;
  size_t s;

  while ((s = atomic_fetch_add_explicit (&j->next, 1, memory_order_relaxed)) < j->n_slices)
    {
      size_t first = s * j->slice;
      if (j->split_n)
        {
          size_t n = MIN (j->slice, j->N - first);
          const float *B = j->trans_b ? j->B + first * j->ldb : j->B + first;
          j->k->sgemm (j->trans_a, j->trans_b, j->M, n, j->K, j->alpha, j->A, j->lda,
                       B, j->ldb, j->beta, j->C + first, j->ldc);
        }
      else
        {
          size_t m = MIN (j->slice, j->M - first);
          const float *A = j->trans_a ? j->A + first : j->A + first * j->lda;
          j->k->sgemm (j->trans_a, j->trans_b, m, j->N, j->K, j->alpha, A, j->lda,
                       j->B, j->ldb, j->beta, j->C + first * j->ldc, j->ldc);
        }
    }
}

void
sm_gemm (bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
         float alpha, const float *A, size_t lda, const float *B, size_t ldb,
         float beta, float *C, size_t ldc)
{
  const SmKernels *k = sm_kernels ();
  /* One row of A runs as a GEMV (see GEMV_WORK_WEIGHT). */
  int nth = sm_threads_for_work ((M == 1 ? GEMV_WORK_WEIGHT : 1.0) * 2.0 * (double) M *
                                 (double) N * (double) K);

  if (nth <= 1)
    {
      k->sgemm (trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      return;
    }

  GemmJob j = {
    .k = k, .trans_a = trans_a, .trans_b = trans_b, .M = M, .N = N, .K = K,
    .alpha = alpha, .beta = beta, .A = A, .B = B, .lda = lda, .ldb = ldb, .ldc = ldc, .C = C,
  };
  /* x · Wᵀ is always cut along N, the rows of W: each slice reads (and packs) only its own
   * rows of the weights, and as the kernels choose their method for A·Bᵀ from M and K alone,
   * the result does not depend on the thread count.  Other forms (the backward pass's) cut
   * M whenever it gives each thread two slices: an N slice packs all of A again, and on a
   * 2-core Sapphire Rapids that ran 2 threads at 0.75x-1.0x of one for 1024³ and 512×2048×512,
   * against 1.9x cut along M (bench kernels -k gemm; checked against 1 thread in test-kernels-gemm). */
  j.split_n = (trans_b && !trans_a) || M < 2 * GEMM_SLICE_M_MIN * (size_t) nth;
  if (j.split_n)
    j.slice = slice_size (N, nth, GEMM_SLICE_N, GEMM_SLICE_N_MIN);
  else
    j.slice = slice_size (M, nth, GEMM_SLICE_M, GEMM_SLICE_M_MIN);
  j.n_slices = ((j.split_n ? N : M) + j.slice - 1) / j.slice;
  atomic_init (&j.next, 0);
  sm_threads_run ((int) MIN ((size_t) nth, j.n_slices), gemm_task, &j);
}

/* ---- SGEMM on packed weights: split N in whole tiles ---------------------------------------- */

#define PACKED_SLICE_MIN 256

typedef struct {
  const SmKernels *k;
  size_t M, N, K, lda, ldc;
  const float *A, *P;
  float beta;
  float *C;
  size_t slice, n_slices;
  atomic_size_t next;
} PackedJob;

static void
packed_task (void *user, int ith, int nth)
{
  PackedJob *j = user;
  size_t s;

  while ((s = atomic_fetch_add_explicit (&j->next, 1, memory_order_relaxed)) < j->n_slices)
    {
      size_t first = s * j->slice;
      size_t n = MIN (j->slice, j->N - first);
      /* slices start on a tile, so on a panel: first · K floats into P */
      j->k->sgemm_packed (j->M, n, j->K, j->A, j->lda, j->P + first * j->K, j->beta,
                          j->C + first, j->ldc);
    }
}

void
sm_gemm_packed (size_t M, size_t N, size_t K, const float *A, size_t lda, const float *P,
                float beta, float *C, size_t ldc)
{
  const SmKernels *k = sm_kernels ();
  int nth = sm_threads_for_work (2.0 * (double) M * (double) N * (double) K);

  if (nth <= 1)
    {
      k->sgemm_packed (M, N, K, A, lda, P, beta, C, ldc);
      return;
    }

  PackedJob j = {
    .k = k, .M = M, .N = N, .K = K, .lda = lda, .ldc = ldc, .A = A, .P = P, .beta = beta, .C = C,
  };
  /* Each slice packs all of A again, which for a 64-column slice is ~15% of its work: slices
   * are at least PACKED_SLICE_MIN wide where N allows, else one a thread (Medium without KV
   * cache on 2 threads: 1,320 tok/s with 4 slices a thread, 1,450 like this). */
  {
    size_t want = (N + (size_t) nth * SLICES_PER_THREAD - 1) / ((size_t) nth * SLICES_PER_THREAD);
    if (want < PACKED_SLICE_MIN)
      {
        /* as many whole slices a thread as PACKED_SLICE_MIN allows, at least one */
        size_t per_thread = (N + (size_t) nth - 1) / (size_t) nth;
        size_t per = MAX (per_thread / PACKED_SLICE_MIN, 1);
        want = (N + (size_t) nth * per - 1) / ((size_t) nth * per);
      }
    j.slice = (want + GEMM_SLICE_N - 1) / GEMM_SLICE_N * GEMM_SLICE_N;
  }
  j.n_slices = (N + j.slice - 1) / j.slice;
  atomic_init (&j.next, 0);
  sm_threads_run ((int) MIN ((size_t) nth, j.n_slices), packed_task, &j);
}

/* ---- GEMV family: split the rows of W -------------------------------------------------------- */

typedef enum { GEMV_F32, GEMV_PACKED, GEMV_Q8_0, GEMV_Q4_0, GEMV_F16, GEMV_BF16, GEMV_Q4_K, GEMV_Q6_K } GemvKind;

typedef struct {
  const SmKernels *k;
  GemvKind kind;
  size_t M, K, ld;
  const void *W;
  const void *x;
  float *y;
  size_t slice, n_slices;
  atomic_size_t next;
} GemvJob;

/* Row slices: whole 16-row groups (the half-precision and K-quant kernels take rows 4 at a
 * time, and a packed matrix's panels are 16 rows), at least 64 rows. */
#define GEMV_SLICE 16
#define GEMV_SLICE_MIN 64

static void
gemv_rows (const GemvJob *j, size_t r0, size_t r1)
{
  size_t rows = r1 - r0;

  switch (j->kind)
    {
    case GEMV_F32:
      j->k->sgemv (rows, j->K, (const float *) j->W + r0 * j->ld, j->ld, j->x, j->y + r0);
      break;
    case GEMV_PACKED:
      /* r0 is a multiple of 16: panel r0 / 16 starts r0 · K floats in */
      j->k->sgemv_packed (rows, j->K, (const float *) j->W + r0 * j->K, j->x, j->y + r0);
      break;
    case GEMV_Q8_0:
      j->k->gemv_q8_0 (rows, j->K, (const SmBlockQ8_0 *) j->W + r0 * (j->K / SM_QK), j->x, j->y + r0);
      break;
    case GEMV_Q4_0:
      j->k->gemv_q4_0 (rows, j->K, (const SmBlockQ4_0 *) j->W + r0 * (j->K / SM_QK), j->x, j->y + r0);
      break;
    case GEMV_F16:
      j->k->gemv_f16 (rows, j->K, (const uint16_t *) j->W + r0 * j->ld, j->ld, j->x, j->y + r0);
      break;
    case GEMV_BF16:
      j->k->gemv_bf16 (rows, j->K, (const uint16_t *) j->W + r0 * j->ld, j->ld, j->x, j->y + r0);
      break;
    case GEMV_Q4_K:
      j->k->gemv_q4_k (rows, j->K, (const SmBlockQ4_K *) j->W + r0 * (j->K / SM_QK_K), j->x, j->y + r0);
      break;
    case GEMV_Q6_K:
      j->k->gemv_q6_k (rows, j->K, (const SmBlockQ6_K *) j->W + r0 * (j->K / SM_QK_K), j->x, j->y + r0);
      break;
    }
}

static void
gemv_task (void *user, int ith, int nth)
{
  GemvJob *j = user;
  size_t s;

  while ((s = atomic_fetch_add_explicit (&j->next, 1, memory_order_relaxed)) < j->n_slices)
    gemv_rows (j, s * j->slice, MIN ((s + 1) * j->slice, j->M));
}

static void
gemv_run (GemvJob *j)
{
  int nth;

  j->k = sm_kernels ();
  nth = sm_threads_for_work ((j->kind == GEMV_PACKED ? GEMV_PACKED_WORK_WEIGHT : GEMV_WORK_WEIGHT)
                             * 2.0 * (double) j->M * (double) j->K);
  if (nth <= 1)
    {
      gemv_rows (j, 0, j->M);
      return;
    }
  j->slice = slice_size (j->M, nth, GEMV_SLICE, GEMV_SLICE_MIN);
  j->n_slices = (j->M + j->slice - 1) / j->slice;
  atomic_init (&j->next, 0);
  sm_threads_run ((int) MIN ((size_t) nth, j->n_slices), gemv_task, j);
}

void
sm_gemv (size_t M, size_t K, const float *A, size_t lda, const float *x, float *y)
{
  GemvJob j = { .kind = GEMV_F32, .M = M, .K = K, .ld = lda, .W = A, .x = x, .y = y };
  gemv_run (&j);
}

void
sm_gemv_packed (size_t N, size_t K, const float *P, const float *x, float *y)
{
  GemvJob j = { .kind = GEMV_PACKED, .M = N, .K = K, .W = P, .x = x, .y = y };
  gemv_run (&j);
}

void
sm_gemv_q8_0 (size_t M, size_t k, const SmBlockQ8_0 *W, const SmBlockQ8_0 *xq, float *y)
{
  GemvJob j = { .kind = GEMV_Q8_0, .M = M, .K = k, .W = W, .x = xq, .y = y };
  gemv_run (&j);
}

void
sm_gemv_q4_0 (size_t M, size_t k, const SmBlockQ4_0 *W, const SmBlockQ8_0 *xq, float *y)
{
  GemvJob j = { .kind = GEMV_Q4_0, .M = M, .K = k, .W = W, .x = xq, .y = y };
  gemv_run (&j);
}

void
sm_gemv_q4_k (size_t M, size_t k, const void *W, const void *xq, float *y)
{
  GemvJob j = { .kind = GEMV_Q4_K, .M = M, .K = k, .W = W, .x = xq, .y = y };
  gemv_run (&j);
}

void
sm_gemv_q6_k (size_t M, size_t k, const void *W, const void *xq, float *y)
{
  GemvJob j = { .kind = GEMV_Q6_K, .M = M, .K = k, .W = W, .x = xq, .y = y };
  gemv_run (&j);
}

void
sm_gemv_f16 (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y)
{
  GemvJob j = { .kind = GEMV_F16, .M = M, .K = k, .ld = ldw, .W = W, .x = x, .y = y };
  gemv_run (&j);
}

void
sm_gemv_bf16 (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y)
{
  GemvJob j = { .kind = GEMV_BF16, .M = M, .K = k, .ld = ldw, .W = W, .x = x, .y = y };
  gemv_run (&j);
}

/* ---- quantized GEMM: a slab of W rows stays hot in cache while every token passes over it -- */

typedef struct {
  const SmKernels *k;
  bool q4;
  size_t n_tok, M, K, ldy;
  const void *W;
  const SmBlockQ8_0 *Xq;
  float *Y;
} QGemmJob;

/* Rows per slab: 32 rows of a 4096-wide Q8_0 matrix are ~140 KB, within L2. */
#define QGEMM_SLAB 32

static void
qgemm_task (void *user, int ith, int nth)
{
  const QGemmJob *j = user;
  size_t nb = j->K / SM_QK;
  size_t first, last;
  float tmp[QGEMM_SLAB];

  sm_threads_range (j->M, ith, nth, QGEMM_SLAB, &first, &last);
  for (size_t r0 = first; r0 < last; r0 += QGEMM_SLAB)
    {
      size_t rows = MIN (QGEMM_SLAB, last - r0);
      for (size_t t = 0; t < j->n_tok; t++)
        {
          const SmBlockQ8_0 *xq = j->Xq + t * nb;
          if (j->q4)
            j->k->gemv_q4_0 (rows, j->K, (const SmBlockQ4_0 *) j->W + r0 * nb, xq, tmp);
          else
            j->k->gemv_q8_0 (rows, j->K, (const SmBlockQ8_0 *) j->W + r0 * nb, xq, tmp);
          for (size_t r = 0; r < rows; r++)
            j->Y[t * j->ldy + r0 + r] = tmp[r];
        }
    }
}

static void
qgemm_run (QGemmJob *j)
{
  int nth;

  j->k = sm_kernels ();
  nth = sm_threads_for_work (2.0 * (double) j->n_tok * (double) j->M * (double) j->K);
  if (nth > 1)
    sm_threads_run (nth, qgemm_task, j);
  else
    qgemm_task (j, 0, 1);
}

void
sm_gemm_q8_0 (size_t n_tok, size_t M, size_t k, const SmBlockQ8_0 *W,
              const SmBlockQ8_0 *Xq, float *Y, size_t ldy)
{
  QGemmJob j = { .q4 = false, .n_tok = n_tok, .M = M, .K = k, .ldy = ldy, .W = W, .Xq = Xq, .Y = Y };
  qgemm_run (&j);
}

void
sm_gemm_q4_0 (size_t n_tok, size_t M, size_t k, const SmBlockQ4_0 *W,
              const SmBlockQ8_0 *Xq, float *Y, size_t ldy)
{
  QGemmJob j = { .q4 = true, .n_tok = n_tok, .M = M, .K = k, .ldy = ldy, .W = W, .Xq = Xq, .Y = Y };
  qgemm_run (&j);
}
