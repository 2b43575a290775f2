/* sm-ops.c: the threaded entry points.  Each splits its output into disjoint slices, one per
 * thread, and calls the table in force on each slice; below a break-even size it runs on the
 * caller's thread alone. */
#include "sm-kernels.h"
#include "sm-threads.h"

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
} GemmJob;

/* Slice granularity: N slices are whole 16-column panels (the AVX2 tile width, half the
 * AVX-512 one), M slices whole 8-row groups.  Finer slices only balance better when a
 * dimension is barely larger than the thread count times this. */
#define GEMM_SPLIT_N 16
#define GEMM_SPLIT_M 8

static void
gemm_task (void *user, int ith, int nth)
{
  const GemmJob *j = user;
  size_t first, last;

  if (j->split_n)
    {
      sm_threads_range (j->N, ith, nth, GEMM_SPLIT_N, &first, &last);
      if (first >= last)
        return;
      const float *B = j->trans_b ? j->B + first * j->ldb : j->B + first;
      j->k->sgemm (j->trans_a, j->trans_b, j->M, last - first, j->K, j->alpha, j->A, j->lda,
                   B, j->ldb, j->beta, j->C + first, j->ldc);
    }
  else
    {
      sm_threads_range (j->M, ith, nth, GEMM_SPLIT_M, &first, &last);
      if (first >= last)
        return;
      const float *A = j->trans_a ? j->A + first : j->A + first * j->lda;
      j->k->sgemm (j->trans_a, j->trans_b, last - first, j->N, j->K, j->alpha, A, j->lda,
                   j->B, j->ldb, j->beta, j->C + first * j->ldc, j->ldc);
    }
}

void
sm_gemm (bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
         float alpha, const float *A, size_t lda, const float *B, size_t ldb,
         float beta, float *C, size_t ldc)
{
  GemmJob j = {
    .k = sm_kernels (), .trans_a = trans_a, .trans_b = trans_b, .M = M, .N = N, .K = K,
    .alpha = alpha, .beta = beta, .A = A, .B = B, .lda = lda, .ldb = ldb, .ldc = ldc, .C = C,
  };
  int nth = sm_threads_for_work (2.0 * (double) M * (double) N * (double) K);

  /* x · Wᵀ is always split along N, the rows of W: each thread then reads (and packs) only
   * its own slice of the weights, and as the kernels choose their method from M and K alone,
   * the result does not depend on the thread count.  Other forms split the larger side. */
  j.split_n = (trans_b && !trans_a) || N >= M;
  if (nth > 1)
    sm_threads_run (nth, gemm_task, &j);
  else
    j.k->sgemm (trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* ---- GEMV family: split the rows of W -------------------------------------------------------- */

typedef enum { GEMV_F32, GEMV_Q8_0, GEMV_Q4_0, GEMV_F16, GEMV_BF16 } GemvKind;

typedef struct {
  const SmKernels *k;
  GemvKind kind;
  size_t M, K, ld;
  const void *W;
  const void *x;
  float *y;
} GemvJob;

static void
gemv_rows (const GemvJob *j, size_t r0, size_t r1)
{
  size_t rows = r1 - r0;

  switch (j->kind)
    {
    case GEMV_F32:
      j->k->sgemv (rows, j->K, (const float *) j->W + r0 * j->ld, j->ld, j->x, j->y + r0);
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
    }
}

static void
gemv_task (void *user, int ith, int nth)
{
  const GemvJob *j = user;
  size_t first, last;

  sm_threads_range (j->M, ith, nth, 16, &first, &last);
  if (first < last)
    gemv_rows (j, first, last);
}

static void
gemv_run (GemvJob *j)
{
  int nth;

  j->k = sm_kernels ();
  nth = sm_threads_for_work (2.0 * (double) j->M * (double) j->K);
  if (nth > 1)
    sm_threads_run (nth, gemv_task, j);
  else
    gemv_rows (j, 0, j->M);
}

void
sm_gemv (size_t M, size_t K, const float *A, size_t lda, const float *x, float *y)
{
  GemvJob j = { .kind = GEMV_F32, .M = M, .K = K, .ld = lda, .W = A, .x = x, .y = y };
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
