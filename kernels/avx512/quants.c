/* avx512/quants.c: the K-quant dots with 512-bit registers (AVX-512 BW for the byte ops).
 *
 * As avx2/quants.c, two 32-weight chunks at a time: the K-quants lay a super-block's quants
 * out so that each pair of chunks comes from one 32-byte load and meets 64 contiguous bytes of
 * Q8_K, so a step is one maddubs and one madd over 64 weights.  The int32 sums are exact, the
 * float steps are the AVX2 kernels' (one pair per super-block), so the two levels agree bit for
 * bit.  The 32-weight types keep the AVX2 kernels: their blocks sit 20-24 bytes apart, so a
 * 512-bit step would gather two of them, and the existing 512-bit int8 dots (Q8_0, Q4_0)
 * measured slower than AVX2 on Zen 4 (see avx512/quant.c).
 */
#include "sm-kernels-private.h"
#include "sm-quants-private.h"

#include <immintrin.h>

static inline float
fp16 (uint16_t h)
{
  return _cvtsh_ss (h);
}

static inline __m256i
load32 (const void *p)
{
  return _mm256_loadu_si256 ((const __m256i *) p);
}

static inline __m512i
load64 (const void *p)
{
  return _mm512_loadu_si512 (p);
}

/* [lo | hi] */
static inline __m512i
join (__m256i lo, __m256i hi)
{
  return _mm512_inserti64x4 (_mm512_castsi256_si512 (lo), hi, 1);
}

/* One int16 scale per 128-bit lane: the four 16-weight sub-blocks of two chunks. */
static inline __m512i
scales_16x4 (int a, int b, int c, int d)
{
  return join (_mm256_set_m128i (_mm_set1_epi16 ((short) b), _mm_set1_epi16 ((short) a)),
               _mm256_set_m128i (_mm_set1_epi16 ((short) d), _mm_set1_epi16 ((short) c)));
}

/* One int16 scale per 256-bit half: two 32-weight sub-blocks. */
static inline __m512i
scales_32x2 (int a, int b)
{
  return join (_mm256_set1_epi16 ((short) a), _mm256_set1_epi16 ((short) b));
}

static inline __m512i
dot_u8_scaled (__m512i u, __m512i x, __m512i scales)
{
  return _mm512_madd_epi16 (_mm512_maddubs_epi16 (u, x), scales);
}

static inline int32_t
bsums_dot (const int16_t bsums[16], const int c[16])
{
  int32_t sum = 0;
  for (int s = 0; s < 16; s++)
    sum += bsums[s] * c[s];
  return sum;
}

float
sm_avx512_vec_dot_q2_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ2_K *w = vw;
  const SmBlockQ8_K *x = vx;
  const __m512i m2 = _mm512_set1_epi8 (3);
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK_K; b++)
    {
      const uint8_t *sc = w[b].scales;
      const int8_t *q8 = x[b].qs;
      __m512i acc = _mm512_setzero_si512 ();
      int mins[16];

      /* chunks 4h + j, j = 0..3: bits 2j..2j+1 of qs[32h ..]; a step takes j and j + 1 */
      for (int h = 0; h < 2; h++)
        {
          __m256i q = load32 (w[b].qs + 32 * h);
          __m512i qq = join (q, _mm256_srli_epi16 (q, 2));
          for (int j = 0; j < 4; j += 2, q8 += 64)
            {
              const int s = 2 * (4 * h + j);
              acc = _mm512_add_epi32 (acc, dot_u8_scaled (_mm512_and_si512 (qq, m2), load64 (q8),
                                                          scales_16x4 (sc[s] & 0x0f, sc[s + 1] & 0x0f,
                                                                       sc[s + 2] & 0x0f,
                                                                       sc[s + 3] & 0x0f)));
              qq = _mm512_srli_epi16 (qq, 4);
            }
        }
      for (int s = 0; s < 16; s++)
        mins[s] = sc[s] >> 4;
      const float dall = x[b].d * fp16 (w[b].d), dmin = x[b].d * fp16 (w[b].dmin);
      sum += dall * (float) _mm512_reduce_add_epi32 (acc)
             - dmin * (float) bsums_dot (x[b].bsums, mins);
    }
  return sum;
}

float
sm_avx512_vec_dot_q3_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ3_K *w = vw;
  const SmBlockQ8_K *x = vx;
  const __m512i m2 = _mm512_set1_epi8 (3), one = _mm512_set1_epi8 (1);
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK_K; b++)
    {
      const int8_t *q8 = x[b].qs;
      __m512i acc = _mm512_setzero_si512 ();
      const __m256i hm = load32 (w[b].hmask);
      /* the third bits of chunks c and c + 1 (bits c, c + 1 of hmask[0 .. 31]) */
      __m512i hh = join (hm, _mm256_srli_epi16 (hm, 1));
      int sc[16];

      sm_q3_k_scales (w[b].scales, sc);
      for (int h = 0; h < 2; h++)
        {
          __m256i q = load32 (w[b].qs + 32 * h);
          __m512i qq = join (q, _mm256_srli_epi16 (q, 2));
          for (int j = 0; j < 4; j += 2, q8 += 64)
            {
              const int s = 2 * (4 * h + j);
              __m512i u = _mm512_or_si512 (_mm512_and_si512 (qq, m2),
                                           _mm512_slli_epi16 (_mm512_and_si512 (hh, one), 2));
              acc = _mm512_add_epi32 (acc, dot_u8_scaled (u, load64 (q8),
                                                          scales_16x4 (sc[s], sc[s + 1],
                                                                       sc[s + 2], sc[s + 3])));
              qq = _mm512_srli_epi16 (qq, 4);
              hh = _mm512_srli_epi16 (hh, 2);
            }
        }
      const int32_t isum = _mm512_reduce_add_epi32 (acc) - 4 * bsums_dot (x[b].bsums, sc);
      sum += (fp16 (w[b].d) * x[b].d) * (float) isum;
    }
  return sum;
}

/* Q4_K and Q5_K: the scales and mins, and the float step (the AVX2 kernels' order). */
static inline float
k4_finish (uint16_t d, uint16_t dmin, const uint8_t *scales, const SmBlockQ8_K *x,
           int32_t (*dots) (const void *w, const int8_t *q8, const int sc[8]), const void *w)
{
  int sc[8], m[8], mins[16];

  for (int s = 0; s < 8; s++)
    sm_k4_scale_min (s, scales, &sc[s], &m[s]);
  for (int g = 0; g < 16; g++)
    mins[g] = m[g / 2];
  const int32_t isum = dots (w, x->qs, sc);
  return (fp16 (d) * x->d) * (float) isum - (fp16 (dmin) * x->d) * (float) bsums_dot (x->bsums, mins);
}

/* 64 weights a step: qs[32j ..]'s low nibbles, then its high nibbles */
static inline int32_t
q4_k_dots (const void *vw, const int8_t *q8, const int sc[8])
{
  const SmBlockQ4_K *w = vw;
  const __m512i m4 = _mm512_set1_epi8 (0x0f);
  __m512i acc = _mm512_setzero_si512 ();

  for (int j = 0; j < 4; j++, q8 += 64)
    {
      __m256i q = load32 (w->qs + 32 * j);
      __m512i u = _mm512_and_si512 (join (q, _mm256_srli_epi16 (q, 4)), m4);
      acc = _mm512_add_epi32 (acc, dot_u8_scaled (u, load64 (q8),
                                                  scales_32x2 (sc[2 * j], sc[2 * j + 1])));
    }
  return _mm512_reduce_add_epi32 (acc);
}

static inline int32_t
q5_k_dots (const void *vw, const int8_t *q8, const int sc[8])
{
  const SmBlockQ5_K *w = vw;
  const __m512i m4 = _mm512_set1_epi8 (0x0f), one = _mm512_set1_epi8 (1);
  __m512i acc = _mm512_setzero_si512 ();
  const __m256i qh = load32 (w->qh);
  /* the fifth bits of chunks 2j and 2j + 1: bits 2j, 2j + 1 of qh[0 .. 31] */
  __m512i hh = join (qh, _mm256_srli_epi16 (qh, 1));

  for (int j = 0; j < 4; j++, q8 += 64)
    {
      __m256i q = load32 (w->qs + 32 * j);
      __m512i u = _mm512_or_si512 (_mm512_and_si512 (join (q, _mm256_srli_epi16 (q, 4)), m4),
                                   _mm512_slli_epi16 (_mm512_and_si512 (hh, one), 4));
      acc = _mm512_add_epi32 (acc, dot_u8_scaled (u, load64 (q8),
                                                  scales_32x2 (sc[2 * j], sc[2 * j + 1])));
      hh = _mm512_srli_epi16 (hh, 2);
    }
  return _mm512_reduce_add_epi32 (acc);
}

float
sm_avx512_vec_dot_q4_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ4_K *w = vw;
  const SmBlockQ8_K *x = vx;
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK_K; b++)
    sum += k4_finish (w[b].d, w[b].dmin, w[b].scales, &x[b], q4_k_dots, &w[b]);
  return sum;
}

float
sm_avx512_vec_dot_q5_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ5_K *w = vw;
  const SmBlockQ8_K *x = vx;
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK_K; b++)
    sum += k4_finish (w[b].d, w[b].dmin, w[b].scales, &x[b], q5_k_dots, &w[b]);
  return sum;
}

float
sm_avx512_vec_dot_q6_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ6_K *w = vw;
  const SmBlockQ8_K *x = vx;
  const __m512i m4 = _mm512_set1_epi8 (0x0f), m2 = _mm512_set1_epi8 (3);
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK_K; b++)
    {
      const int8_t *q8 = x[b].qs;
      const int8_t *s8 = w[b].scales;
      __m512i acc = _mm512_setzero_si512 ();
      int sc[16];

      for (int s = 0; s < 16; s++)
        sc[s] = s8[s];
      /* per 128 weights (h): chunks 0, 1 are the low nibbles of ql[64h ..] and ql[64h + 32 ..]
       * with qh's bit pairs 0-1 and 2-3; chunks 2, 3 their high nibbles with pairs 4-5, 6-7 */
      for (int h = 0; h < 2; h++, q8 += 128)
        {
          __m512i ql = load64 (w[b].ql + 64 * h);
          const __m256i qh = load32 (w[b].qh + 32 * h);
          __m512i hh = join (qh, _mm256_srli_epi16 (qh, 2));
          __m512i u01 = _mm512_or_si512 (_mm512_and_si512 (ql, m4),
                                         _mm512_slli_epi16 (_mm512_and_si512 (hh, m2), 4));
          __m512i u23 = _mm512_or_si512 (_mm512_and_si512 (_mm512_srli_epi16 (ql, 4), m4),
                                         _mm512_slli_epi16 (_mm512_and_si512 (_mm512_srli_epi16 (hh, 4), m2), 4));
          const int s = 8 * h;
          acc = _mm512_add_epi32 (acc, dot_u8_scaled (u01, load64 (q8),
                                                      scales_16x4 (sc[s], sc[s + 1], sc[s + 2], sc[s + 3])));
          acc = _mm512_add_epi32 (acc, dot_u8_scaled (u23, load64 (q8 + 64),
                                                      scales_16x4 (sc[s + 4], sc[s + 5], sc[s + 6],
                                                                   sc[s + 7])));
        }
      const int32_t isum = _mm512_reduce_add_epi32 (acc) - 32 * bsums_dot (x[b].bsums, sc);
      sum += (fp16 (w[b].d) * x[b].d) * (float) isum;
    }
  return sum;
}
