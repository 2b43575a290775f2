/* avx2/gemv-k.c: decode's GEMV for Q4_K and Q6_K (the two types of a Q4_K_M file).
 *
 * One dot an output (sm-matmul-dot.c) pays, per super-block and row, for its scalar work: the
 * scales unpacked one at a time, the mins or bias dotted with Q8_K's bsums in scalar code, a
 * horizontal sum and two float steps.  At decode that work, not the memory bus, bounded the
 * 1B Q4_K_M shape.  Here four rows go together: x's 32-byte loads and its bsums serve all four,
 * a row's scales and mins are unpacked with a few 32-bit and vector ops, the mins and bias
 * terms are vector multiply-adds, and the four rows' exact int32 sums for a super-block are
 * reduced into one 4-lane float accumulator.  The int32 sums are the dots' own (exact); only
 * the float steps' order differs, so results agree with the dots to rounding.
 *
 * Q4_K has avx512/gemv-k.c's changes at this width: two rows' scales and mins unpacked
 * together, one a 128-bit lane, their min terms reduced in those lanes, d and dmin of the four
 * rows from one conversion, and one prefetch stream AHEAD bytes past the group.
 * avx2/gemv-k-vnni.c builds this file again for the avx2-vnni level (SM_GEMV_K_VNNI), where
 * vpdpwssd scales and adds in one instruction.
 */
#include "sm-kernels-private.h"
#include "sm-quants-private.h"

#include <immintrin.h>
#ifndef SM_GEMV_K_VNNI
#define GEMV_Q4_K sm_avx2_gemv_q4_k
#define GEMV_Q6_K sm_avx2_gemv_q6_k
#endif

#define ROWS 4

/* Four interleaved row streams per thread outrun the hardware prefetcher: the samples of a
 * profile sat on the first load of each new super-block.  A group's four rows lie back to
 * back, and so does the next group's, so each super-block read prefetches the same one of the
 * next group: a steady stream one group ahead (4 rows of 1.2-4.7 KB on the 1B shape), every
 * line of the super-block's bytes (144 or 210).  Each row 1 KB ahead of itself, as before,
 * decoded the 1B shape at 26.0 tok/s (Q4_K_M) and 18.8 (Q6_K) on one Zen 5 core, against 32.0
 * and 30.3 this way (bench -p 1 -n 32, interleaved). */
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

/* Four rows' lane sums reduced exactly to [Σa Σb Σc Σd]. */
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

/* A mask for shuffle_epi8 that copies int16 lane @i of each 128-bit half to all its lanes. */
static inline __m256i
pick16 (int i)
{
  return _mm256_set1_epi16 ((short) ((2 * i + 1) << 8 | (2 * i)));
}

/* ---- Q4_K ------------------------------------------------------------------------------------ */

/* The 12 bytes of eight 6-bit scales and mins (sm_k4_scale_min's packing) as bytes, for two
 * blocks at once, one a 128-bit lane: the scales in bytes 0..7, the mins in 8..15.  Scales
 * 0-3 and mins 0-3 are the low 6 bits of bytes 0-3 and 4-7; 4-7 take their low 4 bits from
 * bytes 8-11 and their top 2 from the top bits of bytes 0-3 (scales) and 4-7 (mins).  Vector
 * ops on each lane's four 32-bit words u0..u2 (a 16-byte load, the 4 past the scales being
 * the block's first quants): a word-wise build through memory would stall on store
 * forwarding once per row and super-block.  Words out: u0 & 0x3f.., (u2 & 0x0f..) | (u0's
 * top bits) << 4, u1 & 0x3f.., (u2 >> 4 & 0x0f..) | (u1's top bits) << 4. */
static inline __m256i
q4_k_scales_mins_x2 (const SmBlockQ4_K *b0, const SmBlockQ4_K *b1)
{
  const __m256i v = _mm256_inserti128_si256 (_mm256_castsi128_si256 (_mm_loadu_si128 ((const __m128i *) b0->scales)),
                                             _mm_loadu_si128 ((const __m128i *) b1->scales), 1);
  const __m256i a = _mm256_shuffle_epi32 (v, _MM_SHUFFLE (2, 1, 2, 0));   /* u0 u2 u1 u2 */
  const __m256i b = _mm256_shuffle_epi32 (v, _MM_SHUFFLE (1, 1, 0, 0));   /* u0 u0 u1 u1 */
  const __m256i lo6 = _mm256_and_si256 (a, _mm256_set1_epi8 (0x3f));
  const __m256i nib = _mm256_and_si256 (_mm256_srlv_epi32 (a, _mm256_setr_epi32 (0, 0, 0, 4, 0, 0, 0, 4)),
                                        _mm256_set1_epi8 (0x0f));
  const __m256i top = _mm256_slli_epi32 (_mm256_and_si256 (_mm256_srli_epi32 (b, 6), _mm256_set1_epi8 (0x03)), 4);
  return _mm256_blend_epi32 (lo6, _mm256_or_si256 (nib, top), 0xaa);
}

/* acc + madd (a, b): one vpdpwssd with AVX-VNNI (gemv-k-vnni.c) */
static inline __m256i
madd_acc (__m256i acc, __m256i a, __m256i b)
{
#ifdef SM_GEMV_K_VNNI
  return _mm256_dpwssd_avx_epi32 (acc, a, b);
#else
  return _mm256_add_epi32 (acc, _mm256_madd_epi16 (a, b));
#endif
}

/* As avx512/gemv-k.c's, Q4_K's next weights come in as one stream AHEAD bytes past the
 * group's start. */
#define AHEAD 16384

void
GEMV_Q4_K (size_t M, size_t k, const void *vW, const void *vx, float *y)
{
  const size_t nb = k / SM_QK_K, M4 = M - M % ROWS;
  const SmBlockQ4_K *W = vW;
  const SmBlockQ8_K *x = vx;
  const __m256i m4 = _mm256_set1_epi8 (0x0f), zero = _mm256_setzero_si256 ();

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

          /* rows 0 and 1, 2 and 3: a row's scales (bytes 0-7) and mins (8-15) a lane; the mins'
           * dot with x's 32-weight sums (Q8_K's 16-weight bsums added in pairs), summed in the
           * lane, is the row's min term */
          const __m256i sm01 = q4_k_scales_mins_x2 (&w[0][b], &w[1][b]);
          const __m256i sm23 = q4_k_scales_mins_x2 (&w[2][b], &w[3][b]);
          const __m128i bs = _mm_hadd_epi16 (_mm_loadu_si128 ((const __m128i *) x[b].bsums),
                                             _mm_loadu_si128 ((const __m128i *) (x[b].bsums + 8)));
          const __m256i bsums = _mm256_broadcastsi128_si256 (bs);
          const __m256i mm = _mm256_hadd_epi32 (_mm256_madd_epi16 (_mm256_unpackhi_epi8 (sm01, zero), bsums),
                                                _mm256_madd_epi16 (_mm256_unpackhi_epi8 (sm23, zero), bsums));
          const __m256i mm2 = _mm256_hadd_epi32 (mm, mm);   /* [m0 m2 m0 m2 | m1 m3 m1 m3] */
          const __m128i msum = _mm_unpacklo_epi32 (_mm256_castsi256_si128 (mm2), _mm256_extracti128_si256 (mm2, 1));
          const __m256i sc01 = _mm256_unpacklo_epi8 (sm01, zero), sc23 = _mm256_unpacklo_epi8 (sm23, zero);
          const __m256i sc[ROWS] = {
            _mm256_permute2x128_si256 (sc01, sc01, 0x00), _mm256_permute2x128_si256 (sc01, sc01, 0x11),
            _mm256_permute2x128_si256 (sc23, sc23, 0x00), _mm256_permute2x128_si256 (sc23, sc23, 0x11),
          };
          __m256i dot[ROWS] = { zero, zero, zero, zero };

          /* weights 64j .. 64j + 31 are the low nibbles of qs[32j ..], the next 32 the high */
#pragma GCC unroll 4
          for (int j = 0; j < 4; j++)
            {
              const __m256i xl = load32 (q8 + 64 * j), xh = load32 (q8 + 64 * j + 32);
              const __m256i pl = pick16 (2 * j), ph = pick16 (2 * j + 1);
#pragma GCC unroll 4
              for (int i = 0; i < ROWS; i++)
                {
                  const __m256i q = load32 (w[i][b].qs + 32 * j);
                  const __m256i lo = _mm256_and_si256 (q, m4);
                  const __m256i hi = _mm256_and_si256 (_mm256_srli_epi16 (q, 4), m4);
                  dot[i] = madd_acc (dot[i], _mm256_maddubs_epi16 (lo, xl), _mm256_shuffle_epi8 (sc[i], pl));
                  dot[i] = madd_acc (dot[i], _mm256_maddubs_epi16 (hi, xh), _mm256_shuffle_epi8 (sc[i], ph));
                }
            }
          const __m128i isum = hsum4_epi32 (dot[0], dot[1], dot[2], dot[3]);
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
    y[r] = sm_avx2_vec_dot_q4_k_q8_k (k, W + r * nb, x);
}

/* ---- Q6_K ------------------------------------------------------------------------------------ */

void
GEMV_Q6_K (size_t M, size_t k, const void *vW, const void *vx, float *y)
{
  const size_t nb = k / SM_QK_K, M4 = M - M % ROWS;
  const SmBlockQ6_K *W = vW;
  const SmBlockQ8_K *x = vx;
  const __m256i m4 = _mm256_set1_epi8 (0x0f), m2 = _mm256_set1_epi8 (3);

  for (size_t r = 0; r < M4; r += ROWS)
    {
      const SmBlockQ6_K *w[ROWS] = { W + r * nb, W + (r + 1) * nb, W + (r + 2) * nb, W + (r + 3) * nb };
      __m128 acc = _mm_setzero_ps ();

      for (size_t b = 0; b < nb; b++)
        {
          const int8_t *q8 = x[b].qs;
          const __m256i bsums = load32 (x[b].bsums);
          __m256i dot[ROWS], lo8[ROWS], hi8[ROWS];

          for (int i = 0; i < ROWS; i++)
            {
              prefetch_block (&w[i][b] + ROWS * nb, sizeof (SmBlockQ6_K));
              /* the 16 scales as int16; lo8 has scales 0-7 in both halves, hi8 scales 8-15, so
               * one in-lane shuffle gives a 32-weight chunk its two 16-weight scales */
              const __m256i s16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) w[i][b].scales));
              lo8[i] = _mm256_permute2x128_si256 (s16, s16, 0x00);
              hi8[i] = _mm256_permute2x128_si256 (s16, s16, 0x11);
              /* u = q + 32: the bias comes off as 32 · Σ scale · bsum */
              dot[i] = _mm256_slli_epi32 (_mm256_madd_epi16 (s16, bsums), 5);
              dot[i] = _mm256_sub_epi32 (_mm256_setzero_si256 (), dot[i]);
            }
          /* per 128 weights (h): chunks 0..3 are the low nibbles of ql[64h ..], of ql[64h + 32 ..],
           * their high nibbles; the top two bits are qh[32h ..]'s bit pairs 0-1, 2-3, 4-5, 6-7 */
          for (int h = 0; h < 2; h++)
            for (int t = 0; t < 4; t++)
              {
                const int c = 4 * h + t;
                const __m256i xc = load32 (q8 + 32 * c);
                /* chunk c's scales: 2c in the low half, 2c + 1 in the high */
                const __m256i pick = _mm256_set_m128i (_mm_set1_epi16 ((short) ((2 * (2 * t + 1) + 1) << 8 | 2 * (2 * t + 1))),
                                                       _mm_set1_epi16 ((short) ((2 * (2 * t) + 1) << 8 | 2 * (2 * t))));
                for (int i = 0; i < ROWS; i++)
                  {
                    const __m256i ql = load32 (w[i][b].ql + 64 * h + 32 * (t & 1));
                    const __m256i qh = load32 (w[i][b].qh + 32 * h);
                    const __m256i low = t < 2 ? _mm256_and_si256 (ql, m4)
                                              : _mm256_and_si256 (_mm256_srli_epi16 (ql, 4), m4);
                    const __m256i top = _mm256_and_si256 (_mm256_srli_epi16 (qh, 2 * t), m2);
                    const __m256i u = _mm256_or_si256 (low, _mm256_slli_epi16 (top, 4));
                    const __m256i s = _mm256_shuffle_epi8 (h == 0 ? lo8[i] : hi8[i], pick);
                    dot[i] = madd_acc (dot[i], _mm256_maddubs_epi16 (u, xc), s);
                  }
              }
          const __m128i isum = hsum4_epi32 (dot[0], dot[1], dot[2], dot[3]);
          const __m128 d = _mm_mul_ps (fp16x4 (w[0][b].d, w[1][b].d, w[2][b].d, w[3][b].d),
                                       _mm_set1_ps (x[b].d));
          acc = _mm_fmadd_ps (_mm_cvtepi32_ps (isum), d, acc);
        }
      _mm_storeu_ps (y + r, acc);
    }
  for (size_t r = M4; r < M; r++)
    y[r] = sm_avx2_vec_dot_q6_k_q8_k (k, W + r * nb, x);
}
