/* scalar/quants.c: the reference for ggml's Q4_1, Q5_0, Q5_1, IQ4_NL and K-quant types.
 *
 * The target is bit identity with ggml's CPU reference (see sm-quants.h), so each float
 * expression below is written in ggml's operand order and rounding: (d * sc) * q - (dmin * m),
 * never d * (sc * q), and no FMA (the kernels build as ISO C, where GCC does not contract).
 * What ggml writes as integer arithmetic is exact, so here it is written in whatever order
 * reads best: every K-quant super-block is first unpacked to its 256 small integers, shared by
 * the dequantizer and the dot.
 */
#include "sm-kernels-private.h"
#include "sm-quants-private.h"

#include <math.h>
#include <string.h>

const int8_t sm_kvalues_iq4nl[16] = {
  -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
};

static inline float
h2f (uint16_t h)
{
  return sm_fp16_to_fp32 (h);
}

static inline uint32_t
load_u32_le (const uint8_t b[4])
{
  return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}

/* ggml's nearest_int: adding 1.5 * 2^23 leaves the rounded (half to even) integer in the low
 * mantissa bits.  Valid for |f| < 2^22, which every caller guarantees (|f| <= 127). */
static inline int
nearest_int (float f)
{
  float v = f + 12582912.0f;
  int32_t i;
  memcpy (&i, &v, sizeof i);
  return (i & 0x007fffff) - 0x00400000;
}

/* ---- 32-weight blocks ---------------------------------------------------------------------- */

/* Every 32-block type packs weight i (i < 16) in the low nibble of qs[i] and weight i + 16 in
 * the high nibble; Q5's fifth bit of weight i is bit i of qh. */
static inline int
nibble (const uint8_t *qs, int i)
{
  return i < SM_QK / 2 ? qs[i] & 0x0f : qs[i - SM_QK / 2] >> 4;
}

static inline int
q5_value (const uint8_t *qs, uint32_t qh, int i)
{
  return nibble (qs, i) | (int) ((qh >> i) & 1) << 4;
}

void
sm_dequantize_row_q4_1 (const void *vx, float *y, size_t k)
{
  const SmBlockQ4_1 *x = vx;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      float d = h2f (x[b].d), m = h2f (x[b].m);
      for (int i = 0; i < SM_QK; i++)
        y[b * SM_QK + i] = (float) nibble (x[b].qs, i) * d + m;
    }
}

void
sm_dequantize_row_q5_0 (const void *vx, float *y, size_t k)
{
  const SmBlockQ5_0 *x = vx;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      float d = h2f (x[b].d);
      uint32_t qh = load_u32_le (x[b].qh);
      for (int i = 0; i < SM_QK; i++)
        y[b * SM_QK + i] = (float) (q5_value (x[b].qs, qh, i) - 16) * d;
    }
}

void
sm_dequantize_row_q5_1 (const void *vx, float *y, size_t k)
{
  const SmBlockQ5_1 *x = vx;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      float d = h2f (x[b].d), m = h2f (x[b].m);
      uint32_t qh = load_u32_le (x[b].qh);
      for (int i = 0; i < SM_QK; i++)
        y[b * SM_QK + i] = (float) q5_value (x[b].qs, qh, i) * d + m;
    }
}

void
sm_dequantize_row_q8_1 (const void *vx, float *y, size_t k)
{
  const SmBlockQ8_1 *x = vx;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      float d = h2f (x[b].d);
      for (int i = 0; i < SM_QK; i++)
        y[b * SM_QK + i] = (float) x[b].qs[i] * d;
    }
}

void
sm_dequantize_row_iq4_nl (const void *vx, float *y, size_t k)
{
  const SmBlockIQ4_NL *x = vx;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      float d = h2f (x[b].d);
      for (int i = 0; i < SM_QK; i++)
        y[b * SM_QK + i] = d * (float) sm_kvalues_iq4nl[nibble (x[b].qs, i)];
    }
}

/* ggml's quantize_row_q8_1_ref: d = amax / 127 and q = roundf (x * (1/d)), ties away from zero
 * (unlike SmallMind's Q8_0, which divides and rounds ties to even); s = d * sum(q) in fp16. */
void
sm_quantize_row_q8_1 (const float *x, void *vy, size_t k)
{
  SmBlockQ8_1 *y = vy;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      const float *xb = x + b * SM_QK;
      float amax = 0.0f;

      for (int i = 0; i < SM_QK; i++)
        amax = fmaxf (amax, fabsf (xb[i]));

      float d = amax / 127.0f;
      float id = d != 0.0f ? 1.0f / d : 0.0f;
      int sum = 0;

      y[b].d = sm_fp32_to_fp16 (d);
      for (int i = 0; i < SM_QK; i++)
        {
          y[b].qs[i] = (int8_t) roundf (xb[i] * id);
          sum += y[b].qs[i];
        }
      y[b].s = sm_fp32_to_fp16 ((float) sum * d);
    }
}

/* The 32-block dots: an exact int sum per block, then ggml's float step for the block. */

float
sm_scalar_vec_dot_q4_1_q8_1 (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ4_1 *w = vw;
  const SmBlockQ8_1 *x = vx;
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      int sumi = 0;
      for (int i = 0; i < SM_QK; i++)
        sumi += nibble (w[b].qs, i) * x[b].qs[i];
      /* the min's term needs no q: m * sum(x) = m * s */
      sum += (h2f (w[b].d) * h2f (x[b].d)) * (float) sumi + h2f (w[b].m) * h2f (x[b].s);
    }
  return sum;
}

float
sm_scalar_vec_dot_q5_0_q8_0 (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ5_0 *w = vw;
  const SmBlockQ8_0 *x = vx;
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      uint32_t qh = load_u32_le (w[b].qh);
      int sumi = 0;
      for (int i = 0; i < SM_QK; i++)
        sumi += (q5_value (w[b].qs, qh, i) - 16) * x[b].qs[i];
      sum += (h2f (w[b].d) * h2f (x[b].d)) * (float) sumi;
    }
  return sum;
}

float
sm_scalar_vec_dot_q5_1_q8_1 (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ5_1 *w = vw;
  const SmBlockQ8_1 *x = vx;
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      uint32_t qh = load_u32_le (w[b].qh);
      int sumi = 0;
      for (int i = 0; i < SM_QK; i++)
        sumi += q5_value (w[b].qs, qh, i) * x[b].qs[i];
      sum += (h2f (w[b].d) * h2f (x[b].d)) * (float) sumi + h2f (w[b].m) * h2f (x[b].s);
    }
  return sum;
}

float
sm_scalar_vec_dot_iq4_nl_q8_0 (size_t k, const void *vw, const void *vx)
{
  const SmBlockIQ4_NL *w = vw;
  const SmBlockQ8_0 *x = vx;
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      int sumi = 0;
      for (int i = 0; i < SM_QK; i++)
        sumi += sm_kvalues_iq4nl[nibble (w[b].qs, i)] * x[b].qs[i];
      sum += (h2f (x[b].d) * h2f (w[b].d)) * (float) sumi;
    }
  return sum;
}

/* ---- K-quant dequantizers ------------------------------------------------------------------ */

void
sm_dequantize_row_q2_k (const void *vx, float *y, size_t k)
{
  const SmBlockQ2_K *x = vx;
  int8_t q[SM_QK_K];

  for (size_t b = 0; b < k / SM_QK_K; b++, y += SM_QK_K)
    {
      float d = h2f (x[b].d), dmin = h2f (x[b].dmin);
      sm_unpack_q2_k (&x[b], q);
      for (int s = 0; s < 16; s++)
        {
          float dl = d * (float) (x[b].scales[s] & 0x0f);
          float ml = dmin * (float) (x[b].scales[s] >> 4);
          for (int l = 0; l < 16; l++)
            y[16 * s + l] = dl * (float) q[16 * s + l] - ml;
        }
    }
}

void
sm_dequantize_row_q3_k (const void *vx, float *y, size_t k)
{
  const SmBlockQ3_K *x = vx;
  int8_t q[SM_QK_K];
  int sc[16];

  for (size_t b = 0; b < k / SM_QK_K; b++, y += SM_QK_K)
    {
      float d = h2f (x[b].d);
      sm_unpack_q3_k (&x[b], q);
      sm_q3_k_scales (x[b].scales, sc);
      for (int s = 0; s < 16; s++)
        {
          float dl = d * (float) sc[s];
          for (int l = 0; l < 16; l++)
            y[16 * s + l] = dl * (float) q[16 * s + l];
        }
    }
}

/* Q4_K and Q5_K differ only in their q */
static void
dequantize_k4 (float d, float dmin, const uint8_t *scales, const int8_t q[SM_QK_K], float *y)
{
  for (int s = 0; s < 8; s++)
    {
      int sc, m;
      sm_k4_scale_min (s, scales, &sc, &m);
      float d1 = d * (float) sc, m1 = dmin * (float) m;
      for (int l = 0; l < 32; l++)
        y[32 * s + l] = d1 * (float) q[32 * s + l] - m1;
    }
}

void
sm_dequantize_row_q4_k (const void *vx, float *y, size_t k)
{
  const SmBlockQ4_K *x = vx;
  int8_t q[SM_QK_K];

  for (size_t b = 0; b < k / SM_QK_K; b++, y += SM_QK_K)
    {
      sm_unpack_q4_k (&x[b], q);
      dequantize_k4 (h2f (x[b].d), h2f (x[b].dmin), x[b].scales, q, y);
    }
}

void
sm_dequantize_row_q5_k (const void *vx, float *y, size_t k)
{
  const SmBlockQ5_K *x = vx;
  int8_t q[SM_QK_K];

  for (size_t b = 0; b < k / SM_QK_K; b++, y += SM_QK_K)
    {
      sm_unpack_q5_k (&x[b], q);
      dequantize_k4 (h2f (x[b].d), h2f (x[b].dmin), x[b].scales, q, y);
    }
}

void
sm_dequantize_row_q6_k (const void *vx, float *y, size_t k)
{
  const SmBlockQ6_K *x = vx;
  int8_t q[SM_QK_K];

  for (size_t b = 0; b < k / SM_QK_K; b++, y += SM_QK_K)
    {
      float d = h2f (x[b].d);
      sm_unpack_q6_k (&x[b], q);
      /* (d * sc) * q, left to right as ggml writes d * sc[is] * q */
      for (int e = 0; e < SM_QK_K; e++)
        y[e] = d * (float) x[b].scales[e / 16] * (float) q[e];
    }
}

void
sm_dequantize_row_q8_k (const void *vx, float *y, size_t k)
{
  const SmBlockQ8_K *x = vx;

  for (size_t b = 0; b < k / SM_QK_K; b++, y += SM_QK_K)
    for (int e = 0; e < SM_QK_K; e++)
      y[e] = x[b].d * (float) x[b].qs[e];
}

/* ggml's quantize_row_q8_K_ref: the value of largest magnitude (the first of equals) maps to
 * -127 (the sign matters to ggml's IQ2 SIMD code, so it is kept), q = nearest (x * -127 / max)
 * ties to even, and d = 1 / iscale rather than max / -127 (they can differ in the last bit).
 * An all-zero block has d = 0 and zero qs; ggml leaves its bsums unwritten, here they are 0. */
void
sm_quantize_row_q8_k (const float *x, void *vy, size_t k)
{
  SmBlockQ8_K *y = vy;

  for (size_t b = 0; b < k / SM_QK_K; b++, x += SM_QK_K)
    {
      float amax = 0.0f, max = 0.0f;

      for (int e = 0; e < SM_QK_K; e++)
        if (fabsf (x[e]) > amax)
          {
            amax = fabsf (x[e]);
            max = x[e];
          }
      if (amax == 0.0f)
        {
          memset (&y[b], 0, sizeof y[b]);
          continue;
        }

      float iscale = -127.0f / max;
      for (int e = 0; e < SM_QK_K; e++)
        y[b].qs[e] = (int8_t) MIN (127, nearest_int (iscale * x[e]));
      for (int g = 0; g < SM_QK_K / 16; g++)
        {
          int sum = 0;
          for (int l = 0; l < 16; l++)
            sum += y[b].qs[16 * g + l];
          y[b].bsums[g] = (int16_t) sum;
        }
      y[b].d = 1.0f / iscale;
    }
}

/* ---- K-quant dots -------------------------------------------------------------------------- */

/* ggml's generic Q3..Q6_K dots keep eight float partial sums across super-blocks: lane l
 * gathers the weights e with e % 8 == l (the int32 products, scaled per super-block by
 * d_w * d_x), and the lanes are added in order only at the end, after the min terms of the
 * whole row.  That order is kept here; within a lane the int sum is exact. */
typedef struct {
  float lanes[8];
  float sum;        /* the rest: min terms, in block order */
} KDotAcc;

static void
kdot_add_lanes (KDotAcc *acc, float d, const int8_t *q8, const int8_t *q, const int *scale,
                int group)
{
  int32_t lane[8] = { 0 };

  for (int e = 0; e < SM_QK_K; e++)
    lane[e % 8] += scale[e / group] * (q8[e] * q[e]);
  for (int l = 0; l < 8; l++)
    acc->lanes[l] += d * (float) lane[l];
}

static float
kdot_finish (const KDotAcc *acc)
{
  float sum = acc->sum;

  for (int l = 0; l < 8; l++)
    sum += acc->lanes[l];
  return sum;
}

float
sm_scalar_vec_dot_q2_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ2_K *w = vw;
  const SmBlockQ8_K *x = vx;
  int8_t q[SM_QK_K];
  float sum = 0.0f;

  /* Q2_K alone keeps one float sum: per super-block dall * isum - dmin * summs */
  for (size_t b = 0; b < k / SM_QK_K; b++)
    {
      int isum = 0, summs = 0;

      sm_unpack_q2_k (&w[b], q);
      for (int s = 0; s < 16; s++)
        {
          int sumq = 0;
          for (int l = 0; l < 16; l++)
            sumq += x[b].qs[16 * s + l] * q[16 * s + l];
          isum += (w[b].scales[s] & 0x0f) * sumq;
          summs += x[b].bsums[s] * (w[b].scales[s] >> 4);
        }

      float dall = x[b].d * h2f (w[b].d);
      float dmin = x[b].d * h2f (w[b].dmin);
      sum += dall * (float) isum - dmin * (float) summs;
    }
  return sum;
}

float
sm_scalar_vec_dot_q3_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ3_K *w = vw;
  const SmBlockQ8_K *x = vx;
  int8_t q[SM_QK_K];
  int sc[16];
  KDotAcc acc = { { 0 }, 0.0f };

  for (size_t b = 0; b < k / SM_QK_K; b++)
    {
      sm_unpack_q3_k (&w[b], q);
      sm_q3_k_scales (w[b].scales, sc);
      kdot_add_lanes (&acc, h2f (w[b].d) * x[b].d, x[b].qs, q, sc, 16);
    }
  return kdot_finish (&acc);
}

/* Q4_K and Q5_K: the min term is dmin * sum over sub-blocks of m * sum(x_q), from bsums. */
static void
kdot_k4 (KDotAcc *acc, uint16_t d, uint16_t dmin, const uint8_t *scales, const int8_t *q,
         const SmBlockQ8_K *x)
{
  int sc[8], m[8];
  int summ = 0;

  for (int s = 0; s < 8; s++)
    sm_k4_scale_min (s, scales, &sc[s], &m[s]);
  for (int g = 0; g < 16; g++)
    summ += x->bsums[g] * m[g / 2];
  kdot_add_lanes (acc, h2f (d) * x->d, x->qs, q, sc, 32);
  acc->sum -= (h2f (dmin) * x->d) * (float) summ;
}

float
sm_scalar_vec_dot_q4_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ4_K *w = vw;
  const SmBlockQ8_K *x = vx;
  int8_t q[SM_QK_K];
  KDotAcc acc = { { 0 }, 0.0f };

  for (size_t b = 0; b < k / SM_QK_K; b++)
    {
      sm_unpack_q4_k (&w[b], q);
      kdot_k4 (&acc, w[b].d, w[b].dmin, w[b].scales, q, &x[b]);
    }
  return kdot_finish (&acc);
}

float
sm_scalar_vec_dot_q5_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ5_K *w = vw;
  const SmBlockQ8_K *x = vx;
  int8_t q[SM_QK_K];
  KDotAcc acc = { { 0 }, 0.0f };

  for (size_t b = 0; b < k / SM_QK_K; b++)
    {
      sm_unpack_q5_k (&w[b], q);
      kdot_k4 (&acc, w[b].d, w[b].dmin, w[b].scales, q, &x[b]);
    }
  return kdot_finish (&acc);
}

float
sm_scalar_vec_dot_q6_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ6_K *w = vw;
  const SmBlockQ8_K *x = vx;
  int8_t q[SM_QK_K];
  int sc[16];
  KDotAcc acc = { { 0 }, 0.0f };

  for (size_t b = 0; b < k / SM_QK_K; b++)
    {
      sm_unpack_q6_k (&w[b], q);
      for (int s = 0; s < 16; s++)
        sc[s] = w[b].scales[s];
      kdot_add_lanes (&acc, h2f (w[b].d) * x[b].d, x[b].qs, q, sc, 16);
    }
  return kdot_finish (&acc);
}

/* ---- GEMVs: the reference is one dot a row ---------------------------------------------------- */

void
sm_scalar_gemv_q4_k (size_t M, size_t k, const void *W, const void *xq, float *y)
{
  const size_t row = k / SM_QK_K * sizeof (SmBlockQ4_K);

  for (size_t r = 0; r < M; r++)
    y[r] = sm_scalar_vec_dot_q4_k_q8_k (k, (const char *) W + r * row, xq);
}

void
sm_scalar_gemv_q6_k (size_t M, size_t k, const void *W, const void *xq, float *y)
{
  const size_t row = k / SM_QK_K * sizeof (SmBlockQ6_K);

  for (size_t r = 0; r < M; r++)
    y[r] = sm_scalar_vec_dot_q6_k_q8_k (k, (const char *) W + r * row, xq);
}
