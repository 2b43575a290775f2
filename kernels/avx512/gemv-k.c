/* avx512/gemv-k.c: decode's GEMV for Q4_K and Q6_K with 512-bit registers.
 *
 * As avx2/gemv-k.c (four rows sharing x, vector scales and mins, one 4-lane float accumulator),
 * with 64 weights a step.  Q4_K takes a row's 64 bytes of quants in one load: their low
 * nibbles are two 32-weight chunks 64 weights apart and their high nibbles the two between, so
 * x is gathered to match once for the four rows, and the four rows' scales and mins are
 * unpacked together, one a 128-bit lane.  Q6_K's bit pairs are merged with vpternlogd.
 * permutexvar_epi16 hands each 16-weight lane its scale.  The int32 sums are exact and the
 * float steps are avx2/gemv-k.c's, so the levels' GEMVs agree bit for bit.
 *
 * avx512/gemv-k-vnni.c builds this file again for the avx512-vnni level (SM_GEMV_K_VNNI),
 * where vpdpwssd scales and adds in one instruction.
 *
 * With W in L2 (the 1B shape's seven matrices cut to 64 rows, one Zen 5 core), Q4_K went from
 * 36 to 46 GB/s (48 with vpdpwssd) and Q6_K from 55 to 63-66. */
#include "sm-kernels-private.h"
#include "sm-quants-private.h"

#include <immintrin.h>

#ifndef SM_GEMV_K_VNNI
#define GEMV_Q4_K sm_avx512_gemv_q4_k
#define GEMV_Q6_K sm_avx512_gemv_q6_k
#endif

#define ROWS 4

/* Four interleaved row streams per thread outrun the hardware prefetcher: the samples of a
 * profile sat on the first load of each new super-block.  A group's four rows lie back to
 * back, and so does the next group's, so each super-block read prefetches the same one of the
 * next group: a steady stream one group ahead (4 rows of 1.2-4.7 KB on the 1B shape), every
 * line of the super-block's bytes (144 or 210).  Each row 1 KB ahead of itself, as before,
 * decoded the 1B shape at 26.0 tok/s (Q4_K_M) and 18.8 (Q6_K) on one Zen 5 core, against 32.0
 * and 30.3 this way (bench -p 1 -n 32, interleaved).  Q6_K keeps this; Q4_K, whose work per
 * byte is larger, reads better with one stream running AHEAD bytes past the group's start (the
 * 1B shape from DRAM, one core: 19-22 GB/s this way, 23-25 with AHEAD at 8-32 KB, the plain
 * read 29-36). */
#define AHEAD 16384

static inline void
prefetch_block (const void *p, size_t bytes)
{
  for (size_t o = 0; o < bytes; o += 64)
    _mm_prefetch ((const char *) p + o, _MM_HINT_T0);
  _mm_prefetch ((const char *) p + bytes - 1, _MM_HINT_T0);
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

/* The two 256-bit halves added: the exact lane sums AVX2's reduction takes. */
static inline __m256i
fold (__m512i a)
{
  return _mm256_add_epi32 (_mm512_castsi512_si256 (a), _mm512_extracti64x4_epi64 (a, 1));
}

static inline __m128i
hsum4_epi32 (__m256i a, __m256i b, __m256i c, __m256i d)
{
  __m256i ab = _mm256_hadd_epi32 (a, b);
  __m256i cd = _mm256_hadd_epi32 (c, d);
  __m256i abcd = _mm256_hadd_epi32 (ab, cd);
  return _mm_add_epi32 (_mm256_castsi256_si128 (abcd), _mm256_extracti128_si256 (abcd, 1));
}

static inline __m128
fp16x4 (uint16_t a, uint16_t b, uint16_t c, uint16_t d)
{
  return _mm_cvtph_ps (_mm_setr_epi16 ((short) a, (short) b, (short) c, (short) d, 0, 0, 0, 0));
}

/* permutexvar_epi16 indices: int16 @a in 128-bit lanes 0 and 1, @b in 2 and 3... */
static inline __m512i
lanes_2x2 (int a, int b)
{
  return join (_mm256_set1_epi16 ((short) a), _mm256_set1_epi16 ((short) b));
}

/* ... and @a + L in lane L */
static inline __m512i
lanes_4 (int a)
{
  return join (_mm256_set_m128i (_mm_set1_epi16 ((short) (a + 1)), _mm_set1_epi16 ((short) a)),
               _mm256_set_m128i (_mm_set1_epi16 ((short) (a + 3)), _mm_set1_epi16 ((short) (a + 2))));
}

/* See avx2/gemv-k.c: a block's scales in bytes 0..7, its mins in 8..15, here for four blocks at
 * once, one a 128-bit lane.  Vector ops on each lane's four 32-bit words u0..u2 (a 16-byte load,
 * the 4 past the scales being the block's first quants): a word-wise build through memory would
 * stall on store forwarding once per row and super-block.  Words out: u0 & 0x3f.., (u2 & 0x0f..)
 * | (u0's top bits) << 4, u1 & 0x3f.., (u2 >> 4 & 0x0f..) | (u1's top bits) << 4. */
static inline __m512i
q4_k_scales_mins_x4 (const SmBlockQ4_K *b0, const SmBlockQ4_K *b1, const SmBlockQ4_K *b2,
                     const SmBlockQ4_K *b3)
{
  __m512i v = _mm512_castsi128_si512 (_mm_loadu_si128 ((const __m128i *) b0->scales));
  v = _mm512_inserti32x4 (v, _mm_loadu_si128 ((const __m128i *) b1->scales), 1);
  v = _mm512_inserti32x4 (v, _mm_loadu_si128 ((const __m128i *) b2->scales), 2);
  v = _mm512_inserti32x4 (v, _mm_loadu_si128 ((const __m128i *) b3->scales), 3);
  const __m512i a = _mm512_shuffle_epi32 (v, _MM_SHUFFLE (2, 1, 2, 0));   /* u0 u2 u1 u2 */
  const __m512i b = _mm512_shuffle_epi32 (v, _MM_SHUFFLE (1, 1, 0, 0));   /* u0 u0 u1 u1 */
  const __m512i lo6 = _mm512_and_si512 (a, _mm512_set1_epi8 (0x3f));
  const __m512i nib = _mm512_and_si512 (_mm512_srlv_epi32 (a, _mm512_set4_epi32 (4, 0, 0, 0)),
                                        _mm512_set1_epi8 (0x0f));
  const __m512i top = _mm512_slli_epi32 (_mm512_and_si512 (_mm512_srli_epi32 (b, 6),
                                                           _mm512_set1_epi8 (0x03)), 4);
  return _mm512_mask_blend_epi32 (0xaaaa, lo6, _mm512_or_si512 (nib, top));
}

/* acc + madd (a, b): one vpdpwssd with VNNI */
static inline __m512i
madd_acc (__m512i acc, __m512i a, __m512i b)
{
#ifdef SM_GEMV_K_VNNI
  return _mm512_dpwssd_epi32 (acc, a, b);
#else
  return _mm512_add_epi32 (acc, _mm512_madd_epi16 (a, b));
#endif
}

void
GEMV_Q4_K (size_t M, size_t k, const void *vW, const void *vx, float *y)
{
  const size_t nb = k / SM_QK_K, M4 = M - M % ROWS;
  const SmBlockQ4_K *W = vW;
  const SmBlockQ8_K *x = vx;
  const __m512i m4 = _mm512_set1_epi8 (0x0f), zero = _mm512_setzero_si512 ();
  const __m512i lane_firsts = _mm512_setr_epi32 (0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  for (size_t r = 0; r < M4; r += ROWS)
    {
      const SmBlockQ4_K *w[ROWS] = { W + r * nb, W + (r + 1) * nb, W + (r + 2) * nb, W + (r + 3) * nb };
      const char *ahead = (const char *) w[0] + AHEAD;
      __m128 acc = _mm_setzero_ps ();

      for (size_t b = 0; b < nb; b++, ahead += ROWS * sizeof (SmBlockQ4_K))
        {
          const int8_t *q8 = x[b].qs;
#pragma GCC unroll 9
          for (int o = 0; o < ROWS * (int) sizeof (SmBlockQ4_K); o += 64)
            _mm_prefetch (ahead + o, _MM_HINT_T0);

          /* lane i: row i's eight scales (bytes 0-7) and mins (8-15); the mins' dot with x's
           * 32-weight sums, summed in the lane, is row i's min term */
          const __m512i sm = q4_k_scales_mins_x4 (&w[0][b], &w[1][b], &w[2][b], &w[3][b]);
          const __m512i scales = _mm512_unpacklo_epi8 (sm, zero);
          const __m128i bsums = _mm_hadd_epi16 (_mm_loadu_si128 ((const __m128i *) x[b].bsums),
                                                _mm_loadu_si128 ((const __m128i *) (x[b].bsums + 8)));
          __m512i mm = _mm512_madd_epi16 (_mm512_unpackhi_epi8 (sm, zero), _mm512_broadcast_i32x4 (bsums));
          mm = _mm512_add_epi32 (mm, _mm512_shuffle_epi32 (mm, _MM_SHUFFLE (1, 0, 3, 2)));
          mm = _mm512_add_epi32 (mm, _mm512_shuffle_epi32 (mm, _MM_SHUFFLE (2, 3, 0, 1)));
          const __m128i msum = _mm512_castsi512_si128 (_mm512_permutexvar_epi32 (lane_firsts, mm));
          __m512i sc[ROWS], dot[ROWS];

#pragma GCC unroll 4
          for (int i = 0; i < ROWS; i++)
            {
              sc[i] = _mm512_shuffle_i32x4 (scales, scales, _MM_SHUFFLE (i, i, i, i));
              dot[i] = _mm512_setzero_si512 ();
            }
          /* a step, qs[64a ..]: its low nibbles are weights 128a .. + 32 and 128a + 64 .. + 32
           * (sub-blocks 4a and 4a + 2), its high nibbles 128a + 32 .. and 128a + 96 .. (4a + 1,
           * 4a + 3) */
#pragma GCC unroll 2
          for (int a = 0; a < 2; a++)
            {
              const __m512i xlo = join (load32 (q8 + 128 * a), load32 (q8 + 128 * a + 64));
              const __m512i xhi = join (load32 (q8 + 128 * a + 32), load32 (q8 + 128 * a + 96));
              const __m512i plo = lanes_2x2 (4 * a, 4 * a + 2), phi = lanes_2x2 (4 * a + 1, 4 * a + 3);
#pragma GCC unroll 4
              for (int i = 0; i < ROWS; i++)
                {
                  const __m512i q = load64 (w[i][b].qs + 64 * a);
                  const __m512i ulo = _mm512_and_si512 (q, m4);
                  const __m512i uhi = _mm512_and_si512 (_mm512_srli_epi16 (q, 4), m4);
                  dot[i] = madd_acc (dot[i], _mm512_maddubs_epi16 (ulo, xlo), _mm512_permutexvar_epi16 (plo, sc[i]));
                  dot[i] = madd_acc (dot[i], _mm512_maddubs_epi16 (uhi, xhi), _mm512_permutexvar_epi16 (phi, sc[i]));
                }
            }
          const __m128i isum = hsum4_epi32 (fold (dot[0]), fold (dot[1]), fold (dot[2]), fold (dot[3]));
          const __m256 ddm = sm_q4_k_d_dmin_x4 (&w[0][b], &w[1][b], &w[2][b], &w[3][b]);
          const __m128 lo = _mm256_castps256_ps128 (ddm), hi = _mm256_extractf128_ps (ddm, 1);
          const __m128 xd = _mm_set1_ps (x[b].d);
          const __m128 d = _mm_mul_ps (_mm_shuffle_ps (lo, hi, _MM_SHUFFLE (2, 0, 2, 0)), xd);
          const __m128 dmin = _mm_mul_ps (_mm_shuffle_ps (lo, hi, _MM_SHUFFLE (3, 1, 3, 1)), xd);
          acc = _mm_fmadd_ps (_mm_cvtepi32_ps (isum), d, acc);
          acc = _mm_fnmadd_ps (_mm_cvtepi32_ps (msum), dmin, acc);
        }
      _mm_storeu_ps (y + r, acc);
    }
  for (size_t r = M4; r < M; r++)
    y[r] = sm_avx512_vec_dot_q4_k_q8_k (k, W + r * nb, x);
}

void
GEMV_Q6_K (size_t M, size_t k, const void *vW, const void *vx, float *y)
{
  const size_t nb = k / SM_QK_K, M4 = M - M % ROWS;
  const SmBlockQ6_K *W = vW;
  const SmBlockQ8_K *x = vx;
  const __m512i m4 = _mm512_set1_epi8 (0x0f), m30 = _mm512_set1_epi8 (0x30);

  for (size_t r = 0; r < M4; r += ROWS)
    {
      const SmBlockQ6_K *w[ROWS] = { W + r * nb, W + (r + 1) * nb, W + (r + 2) * nb, W + (r + 3) * nb };
      __m128 acc = _mm_setzero_ps ();

      for (size_t b = 0; b < nb; b++)
        {
          const int8_t *q8 = x[b].qs;
          const __m256i bsums = load32 (x[b].bsums);
          __m512i sc[ROWS], dot[ROWS];
          __m256i bias[ROWS];

#pragma GCC unroll 4
          for (int i = 0; i < ROWS; i++)
            {
              prefetch_block (&w[i][b] + ROWS * nb, sizeof (SmBlockQ6_K));
              const __m256i s16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) w[i][b].scales));
              sc[i] = _mm512_castsi256_si512 (s16);
              bias[i] = _mm256_slli_epi32 (_mm256_madd_epi16 (s16, bsums), 5);
              dot[i] = _mm512_setzero_si512 ();
            }
          /* per 128 weights (h): ql[64h ..]'s low nibbles with qh[32h ..]'s bit pairs 0-1 and
           * 2-3 are chunks 0, 1 (16-weight lanes: scales 8h .. 8h + 3); its high nibbles with
           * pairs 4-5 and 6-7 chunks 2, 3 (scales 8h + 4 ..).  Pair 4-5 in place already is a
           * quant's bits 4-5, so only pair 0-1 is shifted; vpternlogd's 0xf8 is A | (B & C). */
#pragma GCC unroll 2
          for (int h = 0; h < 2; h++)
            {
              const __m512i x01 = load64 (q8 + 128 * h), x23 = load64 (q8 + 128 * h + 64);
              const __m512i p01 = lanes_4 (8 * h), p23 = lanes_4 (8 * h + 4);
#pragma GCC unroll 4
              for (int i = 0; i < ROWS; i++)
                {
                  const __m512i ql = load64 (w[i][b].ql + 64 * h);
                  const __m256i qh = load32 (w[i][b].qh + 32 * h);
                  const __m512i hh = join (qh, _mm256_srli_epi16 (qh, 2));
                  const __m512i u01 = _mm512_ternarylogic_epi32 (_mm512_and_si512 (_mm512_slli_epi16 (hh, 4), m30),
                                                                 ql, m4, 0xf8);
                  const __m512i u23 = _mm512_ternarylogic_epi32 (_mm512_and_si512 (hh, m30),
                                                                 _mm512_srli_epi16 (ql, 4), m4, 0xf8);
                  dot[i] = madd_acc (dot[i], _mm512_maddubs_epi16 (u01, x01), _mm512_permutexvar_epi16 (p01, sc[i]));
                  dot[i] = madd_acc (dot[i], _mm512_maddubs_epi16 (u23, x23), _mm512_permutexvar_epi16 (p23, sc[i]));
                }
            }
          const __m128i isum = hsum4_epi32 (_mm256_sub_epi32 (fold (dot[0]), bias[0]),
                                            _mm256_sub_epi32 (fold (dot[1]), bias[1]),
                                            _mm256_sub_epi32 (fold (dot[2]), bias[2]),
                                            _mm256_sub_epi32 (fold (dot[3]), bias[3]));
          const __m128 d = _mm_mul_ps (fp16x4 (w[0][b].d, w[1][b].d, w[2][b].d, w[3][b].d),
                                       _mm_set1_ps (x[b].d));
          acc = _mm_fmadd_ps (_mm_cvtepi32_ps (isum), d, acc);
        }
      _mm_storeu_ps (y + r, acc);
    }
  for (size_t r = M4; r < M; r++)
    y[r] = sm_avx512_vec_dot_q6_k_q8_k (k, W + r * nb, x);
}
