/* avx2/quants.c: the dots of ggml's other weight types (sm-quants.h) with AVX2 + FMA + F16C.
 *
 * K-quants: a super-block's 256 quants are unpacked 32 at a time into unsigned bytes u (what
 * the type stores, before its bias), multiplied into x by maddubs (u <= 63, |x| <= 127: a pair
 * sum stays below 2^15) and scaled per 16 or 32 weights by madd_epi16, so the whole super-block
 * sums exactly in int32.  A bias (Q3_K's 4, Q6_K's 32) comes off afterwards as bias · Σ scale ·
 * bsum, from the sums Q8_K carries; the mins likewise.  Then the super-block's two float terms.
 * ggml's generic order keeps eight float lanes instead; the results differ only in rounding.
 *
 * 32-blocks: a block's products sum exactly in eight int32 lanes, which are scaled by the two
 * fp16 scales and kept in eight float lanes across the row, reduced once at the end (as ggml's
 * AVX2 code does).  Signed quants go through maddubs as |w| times x with w's sign (sign_epi8),
 * so x must never be -128, which Q8_0 and Q8_1 never are.
 */
#include "sm-kernels-private.h"
#include "sm-quants-private.h"

#include <immintrin.h>
#include <string.h>

static inline int32_t
hsum_epi32 (__m256i a)
{
  __m128i s = _mm_add_epi32 (_mm256_castsi256_si128 (a), _mm256_extracti128_si256 (a, 1));
  s = _mm_add_epi32 (s, _mm_unpackhi_epi64 (s, s));
  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, 1));
  return _mm_cvtsi128_si32 (s);
}

static inline float
hsum_ps (__m256 a)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (a), _mm256_extractf128_ps (a, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

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

/* Σ u·x over 32 bytes, as 16 int16 pair sums scaled by @scales (one int16 per pair) into 8
 * int32 lanes. */
static inline __m256i
dot_u8_scaled (__m256i u, __m256i x, __m256i scales)
{
  return _mm256_madd_epi16 (_mm256_maddubs_epi16 (u, x), scales);
}

/* The scales of two 16-weight sub-blocks: @a for the low 16 bytes' pairs, @b for the high. */
static inline __m256i
scales_16x2 (int a, int b)
{
  return _mm256_set_m128i (_mm_set1_epi16 ((short) b), _mm_set1_epi16 ((short) a));
}

/* Σ over the 16 sub-blocks of 16 weights of bsums[s] · c[s], exact. */
static inline int32_t
bsums_dot (const int16_t bsums[16], const int c[16])
{
  int32_t sum = 0;
  for (int s = 0; s < 16; s++)
    sum += bsums[s] * c[s];
  return sum;
}

/* ---- K-quants -------------------------------------------------------------------------------- */

float
sm_avx2_vec_dot_q2_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ2_K *w = vw;
  const SmBlockQ8_K *x = vx;
  const __m256i m2 = _mm256_set1_epi8 (3);
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK_K; b++)
    {
      const uint8_t *sc = w[b].scales;
      const int8_t *q8 = x[b].qs;
      __m256i acc = _mm256_setzero_si256 ();
      int mins[16];

      /* chunk 4h + j (32 weights) is bits 2j..2j+1 of qs[32h .. 32h+31] */
      for (int h = 0; h < 2; h++)
        {
          __m256i q = load32 (w[b].qs + 32 * h);
          for (int j = 0; j < 4; j++, q8 += 32)
            {
              const int c = 4 * h + j;
              acc = _mm256_add_epi32 (acc, dot_u8_scaled (_mm256_and_si256 (q, m2), load32 (q8),
                                                          scales_16x2 (sc[2 * c] & 0x0f,
                                                                       sc[2 * c + 1] & 0x0f)));
              q = _mm256_srli_epi16 (q, 2);
            }
        }
      for (int s = 0; s < 16; s++)
        mins[s] = sc[s] >> 4;
      const float dall = x[b].d * fp16 (w[b].d), dmin = x[b].d * fp16 (w[b].dmin);
      sum += dall * (float) hsum_epi32 (acc) - dmin * (float) bsums_dot (x[b].bsums, mins);
    }
  return sum;
}

float
sm_avx2_vec_dot_q3_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ3_K *w = vw;
  const SmBlockQ8_K *x = vx;
  const __m256i m2 = _mm256_set1_epi8 (3), one = _mm256_set1_epi8 (1);
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK_K; b++)
    {
      const int8_t *q8 = x[b].qs;
      __m256i acc = _mm256_setzero_si256 ();
      /* chunk c's third bit is bit c of hmask[0 .. 31] */
      __m256i hm = load32 (w[b].hmask);
      int sc[16];

      sm_q3_k_scales (w[b].scales, sc);
      /* u = low bits | third bit << 2 is q + 4 (a clear third bit means minus 4) */
      for (int h = 0; h < 2; h++)
        {
          __m256i q = load32 (w[b].qs + 32 * h);
          for (int j = 0; j < 4; j++, q8 += 32)
            {
              const int c = 4 * h + j;
              __m256i hi = _mm256_slli_epi16 (_mm256_and_si256 (hm, one), 2);
              __m256i u = _mm256_or_si256 (_mm256_and_si256 (q, m2), hi);
              acc = _mm256_add_epi32 (acc, dot_u8_scaled (u, load32 (q8),
                                                          scales_16x2 (sc[2 * c], sc[2 * c + 1])));
              q = _mm256_srli_epi16 (q, 2);
              hm = _mm256_srli_epi16 (hm, 1);
            }
        }
      const int32_t isum = hsum_epi32 (acc) - 4 * bsums_dot (x[b].bsums, sc);
      sum += (fp16 (w[b].d) * x[b].d) * (float) isum;
    }
  return sum;
}

/* Q4_K and Q5_K: d · Σ over the 8 sub-blocks of 32 of sc · Σ u·x (@dots, exact) less
 * dmin · Σ m · Σ x. */
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

/* weight 64j + l is the low nibble of qs[32j + l], weight 64j + 32 + l its high nibble */
static inline int32_t
q4_k_dots (const void *vw, const int8_t *q8, const int sc[8])
{
  const SmBlockQ4_K *w = vw;
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  __m256i acc = _mm256_setzero_si256 ();

  for (int j = 0; j < 4; j++, q8 += 64)
    {
      __m256i q = load32 (w->qs + 32 * j);
      __m256i lo = _mm256_and_si256 (q, m4), hi = _mm256_and_si256 (_mm256_srli_epi16 (q, 4), m4);
      acc = _mm256_add_epi32 (acc, dot_u8_scaled (lo, load32 (q8),
                                                  _mm256_set1_epi16 ((short) sc[2 * j])));
      acc = _mm256_add_epi32 (acc, dot_u8_scaled (hi, load32 (q8 + 32),
                                                  _mm256_set1_epi16 ((short) sc[2 * j + 1])));
    }
  return hsum_epi32 (acc);
}

/* as Q4_K, plus the fifth bit of chunk c (32 weights) in bit c of qh[0 .. 31] */
static inline int32_t
q5_k_dots (const void *vw, const int8_t *q8, const int sc[8])
{
  const SmBlockQ5_K *w = vw;
  const __m256i m4 = _mm256_set1_epi8 (0x0f), one = _mm256_set1_epi8 (1);
  __m256i acc = _mm256_setzero_si256 ();
  __m256i qh = load32 (w->qh);

  for (int j = 0; j < 4; j++, q8 += 64)
    {
      __m256i q = load32 (w->qs + 32 * j);
      __m256i h0 = _mm256_slli_epi16 (_mm256_and_si256 (qh, one), 4);
      __m256i h1 = _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (qh, 1), one), 4);
      __m256i lo = _mm256_or_si256 (_mm256_and_si256 (q, m4), h0);
      __m256i hi = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (q, 4), m4), h1);
      acc = _mm256_add_epi32 (acc, dot_u8_scaled (lo, load32 (q8),
                                                  _mm256_set1_epi16 ((short) sc[2 * j])));
      acc = _mm256_add_epi32 (acc, dot_u8_scaled (hi, load32 (q8 + 32),
                                                  _mm256_set1_epi16 ((short) sc[2 * j + 1])));
      qh = _mm256_srli_epi16 (qh, 2);
    }
  return hsum_epi32 (acc);
}

float
sm_avx2_vec_dot_q4_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ4_K *w = vw;
  const SmBlockQ8_K *x = vx;
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK_K; b++)
    sum += k4_finish (w[b].d, w[b].dmin, w[b].scales, &x[b], q4_k_dots, &w[b]);
  return sum;
}

float
sm_avx2_vec_dot_q5_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ5_K *w = vw;
  const SmBlockQ8_K *x = vx;
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK_K; b++)
    sum += k4_finish (w[b].d, w[b].dmin, w[b].scales, &x[b], q5_k_dots, &w[b]);
  return sum;
}

float
sm_avx2_vec_dot_q6_k_q8_k (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ6_K *w = vw;
  const SmBlockQ8_K *x = vx;
  const __m256i m4 = _mm256_set1_epi8 (0x0f), m2 = _mm256_set1_epi8 (3);
  float sum = 0.0f;

  for (size_t b = 0; b < k / SM_QK_K; b++)
    {
      const int8_t *q8 = x[b].qs;
      __m256i acc = _mm256_setzero_si256 ();
      int sc[16];

      for (int s = 0; s < 16; s++)
        sc[s] = w[b].scales[s];
      /* per 128 weights (h): chunks 0..3 are the low nibbles of ql[64h ..], of ql[64h + 32 ..],
       * their high nibbles, then the same again; the top two bits are qh[32h ..]'s bit pairs
       * 0-1, 2-3, 4-5, 6-7.  u = q + 32. */
      for (int h = 0; h < 2; h++)
        {
          __m256i a = load32 (w[b].ql + 64 * h), bb = load32 (w[b].ql + 64 * h + 32);
          __m256i qh = load32 (w[b].qh + 32 * h);
          __m256i lows[4] = {
            _mm256_and_si256 (a, m4), _mm256_and_si256 (bb, m4),
            _mm256_and_si256 (_mm256_srli_epi16 (a, 4), m4),
            _mm256_and_si256 (_mm256_srli_epi16 (bb, 4), m4),
          };
          for (int t = 0; t < 4; t++, q8 += 32)
            {
              const int c = 4 * h + t;
              __m256i u = _mm256_or_si256 (lows[t], _mm256_slli_epi16 (_mm256_and_si256 (qh, m2), 4));
              acc = _mm256_add_epi32 (acc, dot_u8_scaled (u, load32 (q8),
                                                          scales_16x2 (sc[2 * c], sc[2 * c + 1])));
              qh = _mm256_srli_epi16 (qh, 2);
            }
        }
      const int32_t isum = hsum_epi32 (acc) - 32 * bsums_dot (x[b].bsums, sc);
      sum += (fp16 (w[b].d) * x[b].d) * (float) isum;
    }
  return sum;
}

/* ---- 32-weight blocks ------------------------------------------------------------------------ */

/* A block's 16 bytes of nibbles as 32 bytes: weight i < 16 is qs[i]'s low nibble, weight
 * i + 16 its high nibble. */
static inline __m256i
nibbles (const uint8_t *qs)
{
  __m256i t = _mm256_broadcastsi128_si256 (_mm_loadu_si128 ((const __m128i *) qs));
  return _mm256_and_si256 (_mm256_srlv_epi64 (t, _mm256_setr_epi64x (0, 0, 4, 4)),
                           _mm256_set1_epi8 (0x0f));
}

/* The 32 bits of a Q5 block's qh as bytes: 0x10 where bit i is set, else 0. */
static inline __m256i
fifth_bits (const uint8_t qh[4])
{
  uint32_t bits;
  memcpy (&bits, qh, sizeof bits);
  const __m256i spread = _mm256_setr_epi8 (0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                           2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bit = _mm256_set1_epi64x ((long long) 0x8040201008040201ULL);
  __m256i v = _mm256_shuffle_epi8 (_mm256_set1_epi32 ((int) bits), spread);
  v = _mm256_cmpeq_epi8 (_mm256_and_si256 (v, bit), bit);
  return _mm256_and_si256 (v, _mm256_set1_epi8 (0x10));
}

/* 8 int32 lane sums of u·x for unsigned u (< 128) */
static inline __m256i
dot_u8 (__m256i u, __m256i x)
{
  return _mm256_madd_epi16 (_mm256_maddubs_epi16 (u, x), _mm256_set1_epi16 (1));
}

/* 8 int32 lane sums of w·x for signed w (never -128 in x) */
static inline __m256i
dot_i8 (__m256i w, __m256i x)
{
  return dot_u8 (_mm256_sign_epi8 (w, w), _mm256_sign_epi8 (x, w));
}

float
sm_avx2_vec_dot_q4_1_q8_1 (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ4_1 *w = vw;
  const SmBlockQ8_1 *x = vx;
  __m256 acc = _mm256_setzero_ps ();
  float mins = 0.0f;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      __m256i p = dot_u8 (nibbles (w[b].qs), load32 (x[b].qs));
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (w[b].d) * fp16 (x[b].d)),
                             acc);
      mins += fp16 (w[b].m) * fp16 (x[b].s);
    }
  return hsum_ps (acc) + mins;
}

float
sm_avx2_vec_dot_q5_0_q8_0 (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ5_0 *w = vw;
  const SmBlockQ8_0 *x = vx;
  const __m256i bias = _mm256_set1_epi8 (16);
  __m256 acc = _mm256_setzero_ps ();

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      __m256i q = _mm256_sub_epi8 (_mm256_or_si256 (nibbles (w[b].qs), fifth_bits (w[b].qh)), bias);
      __m256i p = dot_i8 (q, load32 (x[b].qs));
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (w[b].d) * fp16 (x[b].d)),
                             acc);
    }
  return hsum_ps (acc);
}

float
sm_avx2_vec_dot_q5_1_q8_1 (size_t k, const void *vw, const void *vx)
{
  const SmBlockQ5_1 *w = vw;
  const SmBlockQ8_1 *x = vx;
  __m256 acc = _mm256_setzero_ps ();
  float mins = 0.0f;

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      __m256i u = _mm256_or_si256 (nibbles (w[b].qs), fifth_bits (w[b].qh));
      __m256i p = dot_u8 (u, load32 (x[b].qs));
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (w[b].d) * fp16 (x[b].d)),
                             acc);
      mins += fp16 (w[b].m) * fp16 (x[b].s);
    }
  return hsum_ps (acc) + mins;
}

float
sm_avx2_vec_dot_iq4_nl_q8_0 (size_t k, const void *vw, const void *vx)
{
  const SmBlockIQ4_NL *w = vw;
  const SmBlockQ8_0 *x = vx;
  /* the grid in both 128-bit lanes, for an in-lane byte lookup */
  const __m256i grid = _mm256_broadcastsi128_si256 (_mm_loadu_si128 ((const __m128i *) sm_kvalues_iq4nl));
  __m256 acc = _mm256_setzero_ps ();

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      __m256i q = _mm256_shuffle_epi8 (grid, nibbles (w[b].qs));
      __m256i p = dot_i8 (q, load32 (x[b].qs));
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (w[b].d) * fp16 (x[b].d)),
                             acc);
    }
  return hsum_ps (acc);
}
