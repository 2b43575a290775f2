/* scalar/quant.c: the portable reference for the quantized and half-precision kernels.
 *
 * Plain loops in the order the definitions read: an exact int32 sum per block, then the two
 * fp16 scales in float.  The SIMD folders are tested against this file (quantize_row_q8_0
 * bit for bit) and against a double-precision dot of the dequantized values.
 */
#include "sm-kernels-private.h"

#include <math.h>

/* One block, ggml's Q8_0 rule: d = amax / 127, q = round-half-even (x / d).  Dividing rather
 * than multiplying by 1/d keeps a tiny (subnormal) d from overflowing its reciprocal, and
 * every ISA does the same IEEE division so the blocks agree bit for bit.  x must be finite. */
void
sm_scalar_quantize_row_q8_0 (const float *x, SmBlockQ8_0 *y, size_t k)
{
  for (size_t b = 0; b < k / SM_QK; b++)
    {
      const float *xb = x + b * SM_QK;
      float amax = 0.0f;

      for (int i = 0; i < SM_QK; i++)
        amax = fmaxf (amax, fabsf (xb[i]));

      float d = amax / 127.0f;
      y[b].d = sm_fp32_to_fp16 (d);
      for (int i = 0; i < SM_QK; i++)
        y[b].qs[i] = d != 0.0f ? (int8_t) nearbyintf (xb[i] / d) : 0;
    }
}

float
sm_scalar_vec_dot_q8_0_q8_0 (size_t k, const SmBlockQ8_0 *w, const SmBlockQ8_0 *x)
{
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      int32_t sumi = 0;
      for (int i = 0; i < SM_QK; i++)
        sumi += (int32_t) w[b].qs[i] * (int32_t) x[b].qs[i];
      /* The product of two fp16 values is exact in float. */
      sum += (float) sumi * (sm_fp16_to_fp32 (w[b].d) * sm_fp16_to_fp32 (x[b].d));
    }
  return sum;
}

float
sm_scalar_vec_dot_q4_0_q8_0 (size_t k, const SmBlockQ4_0 *w, const SmBlockQ8_0 *x)
{
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      int32_t sumi = 0;
      for (int i = 0; i < SM_QK / 2; i++)
        {
          sumi += ((int32_t) (w[b].qs[i] & 0x0f) - 8) * (int32_t) x[b].qs[i];
          sumi += ((int32_t) (w[b].qs[i] >> 4) - 8) * (int32_t) x[b].qs[i + SM_QK / 2];
        }
      sum += (float) sumi * (sm_fp16_to_fp32 (w[b].d) * sm_fp16_to_fp32 (x[b].d));
    }
  return sum;
}

/* W: M rows of k/32 blocks, contiguous; xq: k/32 blocks; y: M */
void
sm_scalar_gemv_q8_0 (size_t M, size_t k, const SmBlockQ8_0 *W, const SmBlockQ8_0 *xq, float *y)
{
  for (size_t r = 0; r < M; r++)
    y[r] = sm_scalar_vec_dot_q8_0_q8_0 (k, W + r * (k / SM_QK), xq);
}

void
sm_scalar_gemv_q4_0 (size_t M, size_t k, const SmBlockQ4_0 *W, const SmBlockQ8_0 *xq, float *y)
{
  for (size_t r = 0; r < M; r++)
    y[r] = sm_scalar_vec_dot_q4_0_q8_0 (k, W + r * (k / SM_QK), xq);
}

/* W: M rows of k halves, row stride ldw; x: k; y: M */
void
sm_scalar_gemv_f16 (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y)
{
  for (size_t r = 0; r < M; r++)
    {
      const uint16_t *w = W + r * ldw;
      float acc = 0.0f;
      for (size_t i = 0; i < k; i++)
        acc += sm_fp16_to_fp32 (w[i]) * x[i];
      y[r] = acc;
    }
}

void
sm_scalar_gemv_bf16 (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y)
{
  for (size_t r = 0; r < M; r++)
    {
      const uint16_t *w = W + r * ldw;
      float acc = 0.0f;
      for (size_t i = 0; i < k; i++)
        acc += sm_bf16_to_fp32 (w[i]) * x[i];
      y[r] = acc;
    }
}
