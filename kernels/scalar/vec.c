/* scalar/vec.c: the portable reference for the vector kernels.
 *
 * Plain loops in the obvious order, one rounding per operation (no FMA contraction: the
 * project builds with -std=c11, which keeps contraction off), so the SIMD versions can be
 * tested against this file and this file against double precision.
 */
#include "sm-kernels-private.h"

#include <math.h>
#include <string.h>

float
sm_scalar_dot (const float *a, const float *b, size_t n)
{
  float acc = 0.0f;

  for (size_t i = 0; i < n; i++)
    acc += a[i] * b[i];
  return acc;
}

void
sm_scalar_add (float *out, const float *a, const float *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = a[i] + b[i];
}

void
sm_scalar_mul (float *out, const float *a, const float *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = a[i] * b[i];
}

void
sm_scalar_scale (float *out, const float *a, float s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = s * a[i];
}

void
sm_scalar_axpy (float *y, float alpha, const float *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    y[i] += alpha * x[i];
}

void
sm_scalar_broadcast_add (float *out, const float *a, const float *row, size_t rows, size_t cols)
{
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++)
      out[r * cols + c] = a[r * cols + c] + row[c];
}

/* NaNs never compare greater, so they are skipped; a row with nothing above -inf gives 0. */
size_t
sm_scalar_argmax (const float *x, size_t n)
{
  float best = -INFINITY;
  size_t best_i = 0;

  for (size_t i = 0; i < n; i++)
    if (x[i] > best)
      {
        best = x[i];
        best_i = i;
      }
  return best_i;
}

static inline float
bits_to_f32 (uint32_t u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

/* IEEE binary16 -> binary32, exact for every input (the NaN payload is kept). */
static inline float
fp16_to_f32 (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000u) << 16;
  uint32_t em = h & 0x7fffu;   /* exponent and mantissa */

  if (em >= 0x7c00u)           /* inf, nan */
    return bits_to_f32 (sign | 0x7f800000u | ((em & 0x3ffu) << 13));
  if (em >= 0x0400u)           /* normal: rebias the exponent from 15 to 127 */
    return bits_to_f32 (sign | ((em << 13) + ((127u - 15u) << 23)));
  /* zero or subnormal: em units of 2^-24, exact in a float */
  float v = (float) em * 0x1p-24f;
  return sign ? -v : v;
}

void
sm_scalar_f16_to_f32 (float *out, const uint16_t *in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = fp16_to_f32 (in[i]);
}

void
sm_scalar_f32_to_f16 (uint16_t *out, const float *in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = sm_fp32_to_fp16 (in[i]);
}

/* Row by row, so each column's sum runs over the rows in order, as each SIMD lane takes it;
 * and A is read along its rows, as it lies. */
void
sm_scalar_gemv_t_f16 (size_t K, size_t N, float alpha, const uint16_t *A, size_t lda,
                      const float *x, float *y)
{
  for (size_t j = 0; j < N; j++)
    y[j] = 0.0f;
  for (size_t d = 0; d < K; d++)
    {
      const uint16_t *row = A + d * lda;
      for (size_t j = 0; j < N; j++)
        y[j] += x[d] * fp16_to_f32 (row[j]);
    }
  for (size_t j = 0; j < N; j++)
    y[j] *= alpha;
}

/* bfloat16 is the top half of a float. */
void
sm_scalar_bf16_to_f32 (float *out, const uint16_t *in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = bits_to_f32 ((uint32_t) in[i] << 16);
}
