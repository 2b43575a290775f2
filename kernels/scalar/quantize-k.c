/* scalar/quantize-k.c: ggml's reference quantizers for the K-quants and IQ4_NL.
 *
 * Each function follows its ggml-quants.c counterpart step by step, float expressions in
 * ggml's operand order ((w * x) * l, never w * (x * l)), because the searches compare sums and
 * a different rounding can pick a different grid.  The comments say what each step is for;
 * ggml says little.
 */
#include "sm-quantize.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ggml's GROUP_MAX_EPS: a group whose largest magnitude is below this is all zeros. */
#define GROUP_MAX_EPS 1e-15f

/* ggml's nearest_int: adding 1.5 * 2^23 leaves the integer rounded half to even in the low
 * mantissa bits.  Exact for |f| < 2^22; beyond that it returns garbage that the callers'
 * clamps then bound, as ggml's release builds do (its assert is compiled out). */
static inline int
nearest_int (float f)
{
  float v = f + 12582912.0f;
  int32_t i;
  memcpy (&i, &v, sizeof i);
  return (i & 0x007fffff) - 0x00400000;
}

static inline float
h2f (uint16_t h)
{
  return sm_fp16_to_fp32 (h);
}

static inline int
clampi (int v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

/* ---- the searches -------------------------------------------------------------------------- */

/* ggml's make_qx_quants with rmse_type 1 and no importance weights (the only use without an
 * imatrix, from Q6_K): symmetric levels -nmax..nmax-1 with the largest magnitude on -nmax,
 * then 18 nearby scales tried, each scored by the x²-weighted least-squares fit.  L gets
 * level + nmax; returns the scale. */
static float
make_qx_quants (int n, int nmax, const float *x, int8_t *L)
{
  float max = 0.0f, amax = 0.0f;

  for (int i = 0; i < n; i++)
    if (fabsf (x[i]) > amax)
      {
        amax = fabsf (x[i]);
        max = x[i];
      }
  if (amax < GROUP_MAX_EPS)
    {
      memset (L, 0, (size_t) n);
      return 0.0f;
    }

  float iscale = (float) -nmax / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; i++)
    {
      int l = clampi (nearest_int (iscale * x[i]), -nmax, nmax - 1);
      float w = x[i] * x[i];
      L[i] = (int8_t) (l + nmax);
      sumlx += w * x[i] * (float) l;
      suml2 += w * (float) l * (float) l;
    }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;

  for (int is = -9; is <= 9; is++)
    {
      if (is == 0)
        continue;
      iscale = -((float) nmax + 0.1f * (float) is) / max;
      sumlx = suml2 = 0.0f;
      for (int i = 0; i < n; i++)
        {
          int l = clampi (nearest_int (iscale * x[i]), -nmax, nmax - 1);
          float w = x[i] * x[i];
          sumlx += w * x[i] * (float) l;
          suml2 += w * (float) l * (float) l;
        }
      /* sumlx² / suml2 is the error removed by this fit: keep the scale that removes most */
      if (suml2 > 0.0f && sumlx * sumlx > best * suml2)
        {
          for (int i = 0; i < n; i++)
            L[i] = (int8_t) (nmax + clampi (nearest_int (iscale * x[i]), -nmax, nmax - 1));
          scale = sumlx / suml2;
          best = scale * sumlx;
        }
    }
  return scale;
}

/* ggml's make_q3_quants with do_rmse: as make_qx_quants' start, then up to five sweeps that
 * move one weight at a time to the level the others' fit asks for, kept when the fit
 * improves.  L gets level + nmax; returns the scale. */
static float
make_q3_quants (int n, int nmax, const float *x, int8_t *L)
{
  float max = 0.0f, amax = 0.0f;

  for (int i = 0; i < n; i++)
    if (fabsf (x[i]) > amax)
      {
        amax = fabsf (x[i]);
        max = x[i];
      }
  if (amax < GROUP_MAX_EPS)
    {
      memset (L, 0, (size_t) n);
      return 0.0f;
    }

  float iscale = (float) -nmax / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; i++)
    {
      int l = clampi (nearest_int (iscale * x[i]), -nmax, nmax - 1);
      float w = x[i] * x[i];
      L[i] = (int8_t) l;
      sumlx += w * x[i] * (float) l;
      suml2 += w * (float) l * (float) l;
    }
  for (int itry = 0; itry < 5; itry++)
    {
      int n_changed = 0;
      for (int i = 0; i < n; i++)
        {
          float w = x[i] * x[i];
          float slx = sumlx - w * x[i] * (float) L[i];
          if (slx > 0.0f)
            {
              float sl2 = suml2 - w * (float) L[i] * (float) L[i];
              int new_l = clampi (nearest_int (x[i] * sl2 / slx), -nmax, nmax - 1);
              if (new_l != L[i])
                {
                  slx += w * x[i] * (float) new_l;
                  sl2 += w * (float) new_l * (float) new_l;
                  if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2)
                    {
                      L[i] = (int8_t) new_l;
                      sumlx = slx;
                      suml2 = sl2;
                      n_changed++;
                    }
                }
            }
        }
      if (n_changed == 0)
        break;
    }
  for (int i = 0; i < n; i++)
    L[i] = (int8_t) (L[i] + nmax);
  return sumlx / suml2;
}

/* ggml's make_qkx2_quants: levels 0..nmax over [min, max] (min never above 0), then nstep + 1
 * grids of slightly different spacing, each with the weighted least-squares scale and min of
 * its levels, scored by weighted |error| (use_mad) or error².  Returns the scale; *the_min
 * gets -min, so w = scale * L - the_min. */
static float
make_qkx2_quants (int n, int nmax, const float *x, const float *weights, uint8_t *L,
                  float *the_min, uint8_t *Laux, float rmin, float rdelta, int nstep,
                  gboolean use_mad)
{
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];

  for (int i = 1; i < n; i++)
    {
      if (x[i] < min)
        min = x[i];
      if (x[i] > max)
        max = x[i];
      sum_w += weights[i];
      sum_x += weights[i] * x[i];
    }
  if (min > 0.0f)
    min = 0.0f;
  if (max == min)
    {
      memset (L, 0, (size_t) n);
      *the_min = -min;
      return 0.0f;
    }

  float iscale = (float) nmax / (max - min);
  float scale = 1.0f / iscale;
  float best_mad = 0.0f;
  for (int i = 0; i < n; i++)
    {
      L[i] = (uint8_t) clampi (nearest_int (iscale * (x[i] - min)), 0, nmax);
      float diff = scale * (float) L[i] + min - x[i];
      diff = use_mad ? fabsf (diff) : diff * diff;
      best_mad += weights[i] * diff;
    }
  if (nstep < 1)
    {
      *the_min = -min;
      return scale;
    }

  for (int is = 0; is <= nstep; is++)
    {
      float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;

      iscale = (rmin + rdelta * (float) is + (float) nmax) / (max - min);
      for (int i = 0; i < n; i++)
        {
          int l = clampi (nearest_int (iscale * (x[i] - min)), 0, nmax);
          float w = weights[i];
          Laux[i] = (uint8_t) l;
          sum_l += w * (float) l;
          sum_l2 += w * (float) l * (float) l;
          sum_xl += w * (float) l * x[i];
        }
      float D = sum_w * sum_l2 - sum_l * sum_l;
      if (D > 0.0f)
        {
          float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
          float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
          /* a positive min would need a negative offset the format cannot store */
          if (this_min > 0.0f)
            {
              this_min = 0.0f;
              this_scale = sum_xl / sum_l2;
            }
          float mad = 0.0f;
          for (int i = 0; i < n; i++)
            {
              float diff = this_scale * (float) Laux[i] + this_min - x[i];
              diff = use_mad ? fabsf (diff) : diff * diff;
              mad += weights[i] * diff;
            }
          if (mad < best_mad)
            {
              memcpy (L, Laux, (size_t) n);
              best_mad = mad;
              scale = this_scale;
              min = this_min;
            }
        }
    }
  *the_min = -min;
  return scale;
}

/* Four 2-bit levels per byte: byte l of each 32-byte group holds weights l, l+32, l+64, l+96
 * of its 128 (Q2_K's and Q3_K's low bits). */
static void
pack_2bit (const uint8_t L[SM_QK_K], uint8_t qs[SM_QK_K / 4])
{
  for (int j = 0; j < SM_QK_K; j += 128)
    for (int l = 0; l < 32; l++)
      qs[j / 4 + l] = (uint8_t) (L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4
                                 | L[j + l + 96] << 6);
}

/* ---- Q2_K ---------------------------------------------------------------------------------- */

/* ggml's quantize_row_q2_K_ref: per 16 weights a scale and a min found by make_qkx2_quants
 * (weighted by |x|, scored by |error|), both stored as 4 bits of the block's largest; then
 * every weight requantized against the stored (rounded) scale and min. */
void
sm_quantize_row_q2_k (const float *x, void *vy, size_t k)
{
  SmBlockQ2_K *y = vy;
  const float q4scale = 15.0f;

  for (size_t b = 0; b < k / SM_QK_K; b++, x += SM_QK_K)
    {
      uint8_t L[SM_QK_K], Laux[16];
      float weights[16], mins[SM_QK_K / 16], scales[SM_QK_K / 16];
      float max_scale = 0.0f, max_min = 0.0f;

      for (int j = 0; j < SM_QK_K / 16; j++)
        {
          for (int l = 0; l < 16; l++)
            weights[l] = fabsf (x[16 * j + l]);
          scales[j] = make_qkx2_quants (16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux,
                                        -0.5f, 0.1f, 15, TRUE);
          if (scales[j] > max_scale)
            max_scale = scales[j];
          if (mins[j] > max_min)
            max_min = mins[j];
        }

      if (max_scale > 0.0f)
        {
          float iscale = q4scale / max_scale;
          for (int j = 0; j < SM_QK_K / 16; j++)
            y[b].scales[j] = (uint8_t) nearest_int (iscale * scales[j]);
          y[b].d = sm_fp32_to_fp16 (max_scale / q4scale);
        }
      else
        {
          memset (y[b].scales, 0, sizeof y[b].scales);
          y[b].d = sm_fp32_to_fp16 (0.0f);
        }
      if (max_min > 0.0f)
        {
          float iscale = q4scale / max_min;
          for (int j = 0; j < SM_QK_K / 16; j++)
            y[b].scales[j] |= (uint8_t) (nearest_int (iscale * mins[j]) << 4);
          y[b].dmin = sm_fp32_to_fp16 (max_min / q4scale);
        }
      else
        y[b].dmin = sm_fp32_to_fp16 (0.0f);

      for (int j = 0; j < SM_QK_K / 16; j++)
        {
          const float d = h2f (y[b].d) * (float) (y[b].scales[j] & 0xf);
          if (d == 0.0f)
            continue;
          const float dm = h2f (y[b].dmin) * (float) (y[b].scales[j] >> 4);
          for (int ii = 0; ii < 16; ii++)
            L[16 * j + ii] = (uint8_t) clampi (nearest_int ((x[16 * j + ii] + dm) / d), 0, 3);
        }
      pack_2bit (L, y[b].qs);
    }
}

/* ---- Q3_K ---------------------------------------------------------------------------------- */

/* ggml's quantize_row_q3_K_ref: per 16 weights a signed scale from make_q3_quants, the
 * sixteen stored as 6 bits (biased by 32) of the one of largest magnitude, mapped to -32;
 * then each weight requantized to -4..3 against its stored scale, the third bit going to
 * hmask. */
void
sm_quantize_row_q3_k (const float *x, void *vy, size_t k)
{
  SmBlockQ3_K *y = vy;

  for (size_t b = 0; b < k / SM_QK_K; b++, x += SM_QK_K)
    {
      int8_t L[SM_QK_K];
      float scales[SM_QK_K / 16];
      float max_scale = 0.0f, amax = 0.0f;

      for (int j = 0; j < SM_QK_K / 16; j++)
        {
          scales[j] = make_q3_quants (16, 4, x + 16 * j, L + 16 * j);
          if (fabsf (scales[j]) > amax)
            {
              amax = fabsf (scales[j]);
              max_scale = scales[j];
            }
        }

      memset (y[b].scales, 0, sizeof y[b].scales);
      if (max_scale != 0.0f)
        {
          float iscale = -32.0f / max_scale;
          for (int j = 0; j < SM_QK_K / 16; j++)
            {
              /* ggml keeps the rounded value in an int8_t; |iscale * scale| <= 32 fits */
              int8_t r = (int8_t) nearest_int (iscale * scales[j]);
              int l = clampi (r, -32, 31) + 32;
              if (j < 8)
                y[b].scales[j] = (uint8_t) (l & 0xf);
              else
                y[b].scales[j - 8] |= (uint8_t) ((l & 0xf) << 4);
              y[b].scales[j % 4 + 8] |= (uint8_t) ((l >> 4) << (2 * (j / 4)));
            }
          y[b].d = sm_fp32_to_fp16 (1.0f / iscale);
        }
      else
        y[b].d = sm_fp32_to_fp16 (0.0f);

      for (int j = 0; j < SM_QK_K / 16; j++)
        {
          int sc = j < 8 ? y[b].scales[j] & 0xf : y[b].scales[j - 8] >> 4;
          sc = (sc | ((y[b].scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4) - 32;
          float d = h2f (y[b].d) * (float) sc;
          if (d == 0.0f)
            continue;
          for (int ii = 0; ii < 16; ii++)
            L[16 * j + ii] = (int8_t) (clampi (nearest_int (x[16 * j + ii] / d), -4, 3) + 4);
        }

      /* the third bit of weight j goes to bit j / 32 of hmask[j % 32] */
      memset (y[b].hmask, 0, sizeof y[b].hmask);
      uint8_t Lu[SM_QK_K];
      for (int j = 0; j < SM_QK_K; j++)
        {
          int l = L[j];
          if (l > 3)
            {
              y[b].hmask[j % 32] |= (uint8_t) (1u << (j / 32));
              l -= 4;
            }
          Lu[j] = (uint8_t) l;
        }
      pack_2bit (Lu, y[b].qs);
    }
}

/* ---- Q4_K and Q5_K ------------------------------------------------------------------------- */

/* Their shared part (ggml writes it twice): per 32 weights a scale and a min from
 * make_qkx2_quants weighted by rms + |x|, both stored as 6 bits of the block's largest
 * (get_scale_min_k4's packing), then every weight requantized to 0..nmax against the stored
 * values. */
static void
quantize_k4_scales (const float *x, int nmax, float rmin, float rdelta, int nstep,
                    uint16_t *d_out, uint16_t *dmin_out, uint8_t scales_out[SM_K_SCALE_SIZE],
                    uint8_t L[SM_QK_K])
{
  uint8_t Laux[32];
  float weights[32], mins[SM_QK_K / 32], scales[SM_QK_K / 32];
  float max_scale = 0.0f, max_min = 0.0f;

  for (int j = 0; j < SM_QK_K / 32; j++)
    {
      float sum_x2 = 0.0f;
      for (int l = 0; l < 32; l++)
        sum_x2 += x[32 * j + l] * x[32 * j + l];
      float av_x = sqrtf (sum_x2 / 32.0f);
      for (int l = 0; l < 32; l++)
        weights[l] = av_x + fabsf (x[32 * j + l]);
      scales[j] = make_qkx2_quants (32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux,
                                    rmin, rdelta, nstep, FALSE);
      if (scales[j] > max_scale)
        max_scale = scales[j];
      if (mins[j] > max_min)
        max_min = mins[j];
    }

  float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
  float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
  for (int j = 0; j < SM_QK_K / 32; j++)
    {
      /* ggml stores the rounded values in uint8_t before clamping */
      uint8_t ls = (uint8_t) nearest_int (inv_scale * scales[j]);
      uint8_t lm = (uint8_t) nearest_int (inv_min * mins[j]);
      ls = MIN (63, ls);
      lm = MIN (63, lm);
      if (j < 4)
        {
          scales_out[j] = ls;
          scales_out[j + 4] = lm;
        }
      else
        {
          scales_out[j + 4] = (uint8_t) ((ls & 0xf) | (lm & 0xf) << 4);
          scales_out[j - 4] |= (uint8_t) ((ls >> 4) << 6);
          scales_out[j] |= (uint8_t) ((lm >> 4) << 6);
        }
    }
  *d_out = sm_fp32_to_fp16 (max_scale / 63.0f);
  *dmin_out = sm_fp32_to_fp16 (max_min / 63.0f);

  for (int j = 0; j < SM_QK_K / 32; j++)
    {
      int sc, m;
      if (j < 4)
        {
          sc = scales_out[j] & 63;
          m = scales_out[j + 4] & 63;
        }
      else
        {
          sc = (scales_out[j + 4] & 0xf) | (scales_out[j - 4] >> 6) << 4;
          m = (scales_out[j + 4] >> 4) | (scales_out[j] >> 6) << 4;
        }
      const float d = h2f (*d_out) * (float) sc;
      if (d == 0.0f)
        continue;
      const float dm = h2f (*dmin_out) * (float) m;
      for (int ii = 0; ii < 32; ii++)
        L[32 * j + ii] = (uint8_t) clampi (nearest_int ((x[32 * j + ii] + dm) / d), 0, nmax);
    }
}

/* ggml's quantize_row_q4_K_ref */
void
sm_quantize_row_q4_k (const float *x, void *vy, size_t k)
{
  SmBlockQ4_K *y = vy;

  for (size_t b = 0; b < k / SM_QK_K; b++, x += SM_QK_K)
    {
      uint8_t L[SM_QK_K];

      quantize_k4_scales (x, 15, -1.0f, 0.1f, 20, &y[b].d, &y[b].dmin, y[b].scales, L);
      /* byte l of each 32 holds weight l (low nibble) and l + 32 (high) of its 64 */
      for (int j = 0; j < SM_QK_K; j += 64)
        for (int l = 0; l < 32; l++)
          y[b].qs[j / 2 + l] = (uint8_t) (L[j + l] | L[j + l + 32] << 4);
    }
}

/* ggml's quantize_row_q5_K_ref */
void
sm_quantize_row_q5_k (const float *x, void *vy, size_t k)
{
  SmBlockQ5_K *y = vy;

  for (size_t b = 0; b < k / SM_QK_K; b++, x += SM_QK_K)
    {
      uint8_t L[SM_QK_K];

      quantize_k4_scales (x, 31, -0.5f, 0.1f, 15, &y[b].d, &y[b].dmin, y[b].scales, L);
      /* as Q4_K's nibbles; the fifth bits of the n-th 64 go to bits 2n and 2n + 1 of qh */
      memset (y[b].qh, 0, sizeof y[b].qh);
      for (int n = 0; n < SM_QK_K / 64; n++)
        for (int j = 0; j < 32; j++)
          {
            int l1 = L[64 * n + j], l2 = L[64 * n + j + 32];
            if (l1 > 15)
              {
                l1 -= 16;
                y[b].qh[j] |= (uint8_t) (1u << (2 * n));
              }
            if (l2 > 15)
              {
                l2 -= 16;
                y[b].qh[j] |= (uint8_t) (2u << (2 * n));
              }
            y[b].qs[32 * n + j] = (uint8_t) (l1 | l2 << 4);
          }
    }
}

/* ---- Q6_K ---------------------------------------------------------------------------------- */

/* ggml's quantize_row_q6_K_ref: per 16 weights a signed scale from make_qx_quants, stored as
 * an int8 of the one of largest magnitude (mapped to -128, clamped to 127); then each weight
 * requantized to -32..31 against its stored scale. */
void
sm_quantize_row_q6_k (const float *x, void *vy, size_t k)
{
  SmBlockQ6_K *y = vy;

  for (size_t b = 0; b < k / SM_QK_K; b++, x += SM_QK_K)
    {
      int8_t L[SM_QK_K];
      float scales[SM_QK_K / 16];
      float max_scale = 0.0f, max_abs_scale = 0.0f;

      for (int ib = 0; ib < SM_QK_K / 16; ib++)
        {
          scales[ib] = make_qx_quants (16, 32, x + 16 * ib, L + 16 * ib);
          if (fabsf (scales[ib]) > max_abs_scale)
            {
              max_abs_scale = fabsf (scales[ib]);
              max_scale = scales[ib];
            }
        }
      if (max_abs_scale < GROUP_MAX_EPS)
        {
          memset (&y[b], 0, sizeof y[b]);
          continue;
        }

      float iscale = -128.0f / max_scale;
      y[b].d = sm_fp32_to_fp16 (1.0f / iscale);
      for (int ib = 0; ib < SM_QK_K / 16; ib++)
        y[b].scales[ib] = (int8_t) MIN (127, nearest_int (iscale * scales[ib]));

      for (int j = 0; j < SM_QK_K / 16; j++)
        {
          float d = h2f (y[b].d) * (float) y[b].scales[j];
          if (d == 0.0f)
            continue;
          for (int ii = 0; ii < 16; ii++)
            L[16 * j + ii] = (int8_t) (clampi (nearest_int (x[16 * j + ii] / d), -32, 31) + 32);
        }

      /* per 128: ql byte l holds the low nibbles of weights l and l + 64 (l < 32) or l - 32 + 32
       * and l + 64 (l >= 32); qh byte l the high two bits of l, l+32, l+64, l+96 */
      uint8_t *ql = y[b].ql, *qh = y[b].qh;
      for (int j = 0; j < SM_QK_K; j += 128, ql += 64, qh += 32)
        for (int l = 0; l < 32; l++)
          {
            const uint8_t q1 = L[j + l] & 0xf, q2 = L[j + l + 32] & 0xf;
            const uint8_t q3 = L[j + l + 64] & 0xf, q4 = L[j + l + 96] & 0xf;
            ql[l] = (uint8_t) (q1 | q3 << 4);
            ql[l + 32] = (uint8_t) (q2 | q4 << 4);
            qh[l] = (uint8_t) ((L[j + l] >> 4) | (L[j + l + 32] >> 4) << 2
                               | (L[j + l + 64] >> 4) << 4 | (L[j + l + 96] >> 4) << 6);
          }
    }
}

/* ---- IQ4_NL -------------------------------------------------------------------------------- */

/* ggml's best_index_int8 (the binary search of early 2025): the index of the grid value
 * nearest @x, the upper one on a tie. */
static int
best_index_int8 (int n, const int8_t *val, float x)
{
  if (x <= (float) val[0])
    return 0;
  if (x >= (float) val[n - 1])
    return n - 1;
  int ml = 0, mu = n - 1;
  while (mu - ml > 1)
    {
      int mav = (ml + mu) / 2;
      if (x < (float) val[mav])
        mu = mav;
      else
        ml = mav;
    }
  return x - (float) val[mu - 1] < (float) val[mu] - x ? mu - 1 : mu;
}

/* ggml's quantize_iq4_nl without an imatrix (quantize_row_iq4_nl_impl with one 32-weight
 * block, weights x², ntry 7): the largest magnitude onto the grid's -127 end, then 15 nearby
 * scales, each with its x²-weighted least-squares fit; the best fit's scale picks the final
 * indices. */
void
sm_quantize_row_iq4_nl (const float *x, void *vy, size_t k)
{
  SmBlockIQ4_NL *y = vy;
  const int8_t *values = sm_kvalues_iq4nl;
  const int ntry = 7;

  for (size_t b = 0; b < k / SM_QK; b++, x += SM_QK)
    {
      uint8_t L[SM_QK];
      float weight[SM_QK];
      float amax = 0.0f, max = 0.0f, d = 0.0f;

      for (int j = 0; j < SM_QK; j++)
        {
          weight[j] = x[j] * x[j];
          if (fabsf (x[j]) > amax)
            {
              amax = fabsf (x[j]);
              max = x[j];
            }
        }
      if (amax >= GROUP_MAX_EPS)
        {
          float id, sumqx = 0.0f, sumq2 = 0.0f;

          d = -max / (float) values[0];
          id = 1.0f / d;
          for (int j = 0; j < SM_QK; j++)
            {
              float q = (float) values[best_index_int8 (16, values, id * x[j])];
              sumqx += weight[j] * q * x[j];
              sumq2 += weight[j] * q * q;
            }
          d = sumqx / sumq2;
          float best = d * sumqx;
          for (int itry = -ntry; itry <= ntry; itry++)
            {
              id = (float) (itry + values[0]) / max;
              sumqx = sumq2 = 0.0f;
              for (int j = 0; j < SM_QK; j++)
                {
                  float q = (float) values[best_index_int8 (16, values, id * x[j])];
                  sumqx += weight[j] * q * x[j];
                  sumq2 += weight[j] * q * q;
                }
              if (sumq2 > 0.0f && sumqx * sumqx > best * sumq2)
                {
                  d = sumqx / sumq2;
                  best = d * sumqx;
                }
            }
        }

      /* an all-zero block keeps d = 0, and every index lands on the grid value nearest 0 */
      y[b].d = sm_fp32_to_fp16 (d);
      float id = d != 0.0f ? 1.0f / d : 0.0f;
      for (int j = 0; j < SM_QK; j++)
        L[j] = (uint8_t) best_index_int8 (16, values, id * x[j]);
      for (int j = 0; j < SM_QK / 2; j++)
        y[b].qs[j] = (uint8_t) (L[j] | L[j + SM_QK / 2] << 4);
    }
}

/* ---- the 32-weight types with a min or a fifth bit ------------------------------------------- */

/* ggml's quantize_row_q4_1_ref: 16 steps from the block's min to its max, q truncated after
 * adding one half (so ties go up) and clamped where rounding lands the max on 16. */
void
sm_quantize_row_q4_1_ref (const float *x, void *vy, size_t k)
{
  SmBlockQ4_1 *y = vy;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      const float *xb = x + b * SM_QK;
      float min = FLT_MAX, max = -FLT_MAX;

      for (int i = 0; i < SM_QK; i++)
        {
          if (xb[i] < min)
            min = xb[i];
          if (xb[i] > max)
            max = xb[i];
        }

      float d = (max - min) / 15.0f;
      float id = d != 0.0f ? 1.0f / d : 0.0f;

      y[b].d = sm_fp32_to_fp16 (d);
      y[b].m = sm_fp32_to_fp16 (min);
      for (int i = 0; i < SM_QK / 2; i++)
        {
          int q0 = MIN (15, (int8_t) ((xb[i] - min) * id + 0.5f));
          int q1 = MIN (15, (int8_t) ((xb[i + SM_QK / 2] - min) * id + 0.5f));
          y[b].qs[i] = (uint8_t) (q0 | q1 << 4);
        }
    }
}

/* ggml's quantize_row_q5_0_ref: the value of largest magnitude (the first, on a tie of
 * magnitudes) maps to -16, so its sign gets the extra step. */
void
sm_quantize_row_q5_0_ref (const float *x, void *vy, size_t k)
{
  SmBlockQ5_0 *y = vy;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      const float *xb = x + b * SM_QK;
      float amax = 0.0f, max = 0.0f;

      for (int i = 0; i < SM_QK; i++)
        if (amax < fabsf (xb[i]))
          {
            amax = fabsf (xb[i]);
            max = xb[i];
          }

      float d = max / -16.0f;
      float id = d != 0.0f ? 1.0f / d : 0.0f;
      uint32_t qh = 0;

      y[b].d = sm_fp32_to_fp16 (d);
      for (int i = 0; i < SM_QK / 2; i++)
        {
          int q0 = MIN (31, (int8_t) (xb[i] * id + 16.5f));
          int q1 = MIN (31, (int8_t) (xb[i + SM_QK / 2] * id + 16.5f));
          y[b].qs[i] = (uint8_t) ((q0 & 0x0f) | (q1 & 0x0f) << 4);
          qh |= (uint32_t) (q0 >> 4) << i;
          qh |= (uint32_t) (q1 >> 4) << (i + SM_QK / 2);
        }
      for (int i = 0; i < 4; i++)
        y[b].qh[i] = (uint8_t) (qh >> (8 * i));
    }
}

/* ggml's quantize_row_q5_1_ref: as Q4_1 with 32 steps (and no clamp: ggml has none). */
void
sm_quantize_row_q5_1_ref (const float *x, void *vy, size_t k)
{
  SmBlockQ5_1 *y = vy;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      const float *xb = x + b * SM_QK;
      float min = FLT_MAX, max = -FLT_MAX;

      for (int i = 0; i < SM_QK; i++)
        {
          if (xb[i] < min)
            min = xb[i];
          if (xb[i] > max)
            max = xb[i];
        }

      float d = (max - min) / 31.0f;
      float id = d != 0.0f ? 1.0f / d : 0.0f;
      uint32_t qh = 0;

      y[b].d = sm_fp32_to_fp16 (d);
      y[b].m = sm_fp32_to_fp16 (min);
      for (int i = 0; i < SM_QK / 2; i++)
        {
          int q0 = (uint8_t) ((xb[i] - min) * id + 0.5f);
          int q1 = (uint8_t) ((xb[i + SM_QK / 2] - min) * id + 0.5f);
          y[b].qs[i] = (uint8_t) ((q0 & 0x0f) | (q1 & 0x0f) << 4);
          qh |= (uint32_t) ((q0 >> 4) & 1) << i;
          qh |= (uint32_t) ((q1 >> 4) & 1) << (i + SM_QK / 2);
        }
      for (int i = 0; i < 4; i++)
        y[b].qh[i] = (uint8_t) (qh >> (8 * i));
    }
}
