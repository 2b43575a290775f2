/* scalar/gemm.c: the portable reference SGEMM and SGEMV.
 *
 * Plain loops, chosen so the inner loop walks memory contiguously in every form: the A·Bᵀ
 * forms are row-by-row dot products (both operands contiguous along k), the A·B forms add
 * scaled rows of B into a row of C.  The SIMD versions are tested against this file, and
 * this file against a double-precision product, so clarity beats speed here.
 */
#include "sm-kernels-private.h"

/* C row i (N floats) = beta * C row i, without reading C when beta == 0 (it may hold NaN). */
static void
scale_row (float *c, size_t N, float beta)
{
  if (beta == 0.0f)
    {
      for (size_t j = 0; j < N; j++)
        c[j] = 0.0f;
    }
  else if (beta != 1.0f)
    {
      for (size_t j = 0; j < N; j++)
        c[j] *= beta;
    }
}

/* Σ a[k·stride]·b[k] in eight interleaved partial sums: the compiler can keep them in
 * vector registers (and does for stride 1), where a single running sum would wait on the
 * latency of every add. */
static float
dot_strided (const float *a, size_t stride, const float *b, size_t K)
{
  float s[8] = { 0.0f };
  size_t k = 0;

  if (stride == 1)
    {
      for (; k + 8 <= K; k += 8)
        for (int u = 0; u < 8; u++)
          s[u] += a[k + u] * b[k + u];
    }
  else
    {
      for (; k + 8 <= K; k += 8)
        for (int u = 0; u < 8; u++)
          s[u] += a[(k + u) * stride] * b[k + u];
    }
  for (; k < K; k++)
    s[0] += a[k * stride] * b[k];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

void
sm_scalar_sgemm (bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
                 float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                 float beta, float *C, size_t ldc)
{
  /* op(A)[i, k] = A[i * a_row + k * a_col]; op(B)[k, j] = B[k * b_row + j * b_col]. */
  size_t a_row = trans_a ? 1 : lda, a_col = trans_a ? lda : 1;
  size_t b_row = trans_b ? 1 : ldb, b_col = trans_b ? ldb : 1;

  for (size_t i = 0; i < M; i++)
    {
      float *c = C + i * ldc;
      const float *a = A + i * a_row;

      if (trans_b)
        {
          /* Dot-product form: row j of B is contiguous along k. */
          for (size_t j = 0; j < N; j++)
            {
              float acc = dot_strided (a, a_col, B + j * b_col, K);
              c[j] = alpha * acc + (beta == 0.0f ? 0.0f : beta * c[j]);
            }
        }
      else
        {
          /* Row-update form: C[i, :] += (alpha * A[i, k]) * B[k, :], contiguous along j. */
          scale_row (c, N, beta);
          for (size_t k = 0; k < K; k++)
            {
              const float *b = B + k * b_row;
              float s = alpha * a[k * a_col];
              for (size_t j = 0; j < N; j++)
                c[j] += s * b[j];
            }
        }
    }
}

void
sm_scalar_sgemv (size_t M, size_t K, const float *A, size_t lda, const float *x, float *y)
{
  for (size_t i = 0; i < M; i++)
    y[i] = dot_strided (A + i * lda, 1, x, K);
}

/* One row of C (N floats) = a (K) · Wᵀ from W's panels (see sm_pack_b16 ()): per panel 16
 * sums, each k adding a[k] times the panel's k-th row of 16 (contiguous, which the compiler
 * vectorises), so every sum still runs over k in order. */
/* Loop vectorisation would vectorise along k (with a transpose of every 4 k-rows); the 16
 * sums unrolled are what the straight-line (SLP) vectoriser should take instead. */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_LOOP_VECTORIZE __attribute__ ((optimize ("no-tree-loop-vectorize")))
#else
#define NO_LOOP_VECTORIZE
#endif
NO_LOOP_VECTORIZE static void
row_packed (size_t N, size_t K, const float *P, const float *a, float *c, float beta)
{
  for (size_t j0 = 0; j0 < N; j0 += SM_PACK_W)
    {
      const float *panel = P + j0 * K;
      float acc[SM_PACK_W] = { 0.0f };
      size_t nj = N - j0 < SM_PACK_W ? N - j0 : SM_PACK_W;

      for (size_t k = 0; k < K; k++)
        {
          const float ak = a[k], *row = panel + k * SM_PACK_W;
#pragma GCC unroll 16
          for (size_t j = 0; j < SM_PACK_W; j++)
            acc[j] += ak * row[j];
        }
      for (size_t j = 0; j < nj; j++)
        c[j0 + j] = acc[j] + (beta == 0.0f ? 0.0f : beta * c[j0 + j]);
    }
}

void
sm_scalar_sgemm_packed (size_t M, size_t N, size_t K, const float *A, size_t lda,
                        const float *P, float beta, float *C, size_t ldc)
{
  for (size_t i = 0; i < M; i++)
    row_packed (N, K, P, A + i * lda, C + i * ldc, beta);
}

void
sm_scalar_sgemv_packed (size_t N, size_t K, const float *P, const float *x, float *y)
{
  row_packed (N, K, P, x, y, 0.0f);
}
