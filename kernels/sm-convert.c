/* sm-convert.c: half-precision and block (de)quantisation off the hot path: loading,
 * quantising files, tests.  The hot-path versions live in the ISA tables. */
#include "sm-kernels.h"

#include <math.h>
#include <string.h>

static inline uint32_t
f32_bits (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static inline float
bits_f32 (uint32_t u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

float
sm_fp16_to_fp32 (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;

  if (exp == 0x1f)                      /* inf / nan */
    return bits_f32 (sign | 0x7f800000u | (mant << 13));
  if (exp == 0)
    {
      if (mant == 0)
        return bits_f32 (sign);
      /* subnormal: value = mant * 2^-24 exactly */
      float v = (float) mant * 0x1p-24f;
      return sign ? -v : v;
    }
  return bits_f32 (sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t
sm_fp32_to_fp16 (float f)
{
  uint32_t x = f32_bits (f);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t absx = x & 0x7fffffffu;

  if (absx > 0x7f800000u)               /* nan: keep it a quiet nan */
    return (uint16_t) (sign | 0x7e00 | ((absx >> 13) & 0x3ff));
  if (absx >= 0x477ff000u)              /* rounds to >= 65520: inf */
    return (uint16_t) (sign | 0x7c00);
  if (absx < 0x38800000u)               /* below the smallest normal: subnormal or zero */
    {
      /* Scale so the subnormal's units land in the integer part, then round to nearest even. */
      float a = bits_f32 (absx) * 0x1p24f;
      float r = nearbyintf (a);
      return (uint16_t) (sign | (uint16_t) r);
    }
  /* normal: round the 13 dropped mantissa bits to nearest even */
  uint32_t mant_odd = (absx >> 13) & 1;
  absx += 0xfff + mant_odd;
  return (uint16_t) (sign | (((absx >> 13) - (112u << 10)) & 0xffff));
}

float
sm_bf16_to_fp32 (uint16_t h)
{
  return bits_f32 ((uint32_t) h << 16);
}

uint16_t
sm_fp32_to_bf16 (float f)
{
  uint32_t x = f32_bits (f);

  if ((x & 0x7fffffffu) > 0x7f800000u)
    return (uint16_t) ((x >> 16) | 0x40);   /* quiet nan */
  x += 0x7fff + ((x >> 16) & 1);
  return (uint16_t) (x >> 16);
}

void
sm_dequantize_row_q8_0 (const SmBlockQ8_0 *x, float *y, size_t k)
{
  for (size_t b = 0; b < k / SM_QK; b++)
    {
      float d = sm_fp16_to_fp32 (x[b].d);
      for (int i = 0; i < SM_QK; i++)
        y[b * SM_QK + i] = d * (float) x[b].qs[i];
    }
}

void
sm_dequantize_row_q4_0 (const SmBlockQ4_0 *x, float *y, size_t k)
{
  for (size_t b = 0; b < k / SM_QK; b++)
    {
      float d = sm_fp16_to_fp32 (x[b].d);
      for (int i = 0; i < SM_QK / 2; i++)
        {
          y[b * SM_QK + i] = d * (float) ((x[b].qs[i] & 0x0f) - 8);
          y[b * SM_QK + i + SM_QK / 2] = d * (float) ((x[b].qs[i] >> 4) - 8);
        }
    }
}

/* ggml's reference rounding: the scale maps the value of largest magnitude to -8, so the
 * sign of that extreme gets the asymmetric extra step. */
void
sm_quantize_row_q4_0 (const float *x, SmBlockQ4_0 *y, size_t k)
{
  for (size_t b = 0; b < k / SM_QK; b++)
    {
      const float *xb = x + b * SM_QK;
      float amax = 0.0f, max = 0.0f;

      for (int i = 0; i < SM_QK; i++)
        if (fabsf (xb[i]) > amax)
          {
            amax = fabsf (xb[i]);
            max = xb[i];
          }

      float d = max / -8.0f;
      uint16_t dh = sm_fp32_to_fp16 (d);
      /* A scale that rounds to zero in fp16 stores q = 8 (zero): dividing by a tiny d would
       * overflow to inf and make the conversion below undefined. */
      float id = (dh & 0x7fff) != 0 ? 1.0f / d : 0.0f;
      y[b].d = dh;
      for (int i = 0; i < SM_QK / 2; i++)
        {
          int q0 = (int) (xb[i] * id + 8.5f);
          int q1 = (int) (xb[i + SM_QK / 2] * id + 8.5f);
          q0 = q0 > 15 ? 15 : q0;
          q1 = q1 > 15 ? 15 : q1;
          y[b].qs[i] = (uint8_t) (q0 | (q1 << 4));
        }
    }
}

/* ---- packed weights ------------------------------------------------------------------------ */

size_t
sm_pack_b16_floats (size_t N, size_t K)
{
  size_t rows = (N + 2 * SM_PACK_W - 1) / (2 * SM_PACK_W) * (2 * SM_PACK_W);
  return rows * K;
}

void
sm_pack_b16 (size_t N, size_t K, const float *W, size_t ldw, float *P)
{
  size_t rows = sm_pack_b16_floats (N, K) / (K ? K : 1);

  /* Row by row: each W row is read once, contiguously, into its lane of a 16·K-float panel
   * that stays in cache while its 16 rows are written. */
  for (size_t n = 0; n < rows; n++)
    {
      float *dst = P + (n / SM_PACK_W) * SM_PACK_W * K + n % SM_PACK_W;
      if (n < N)
        for (size_t k = 0; k < K; k++)
          dst[k * SM_PACK_W] = W[n * ldw + k];
      else
        for (size_t k = 0; k < K; k++)
          dst[k * SM_PACK_W] = 0.0f;
    }
}
