/* avx512/gemv-k.c: decode's GEMV for Q4_K and Q6_K with 512-bit registers.
 *
 * As avx2/gemv-k.c (four rows sharing x, vector scales and mins, one 4-lane float accumulator),
 * with the AVX-512 dots' step of 64 weights: one 32-byte load of a row's quants makes two
 * 32-weight chunks, and permutexvar_epi16 hands each 16-weight lane its scale, where AVX2 needs
 * two shuffles and two half-width steps.  The int32 sums are exact; the float steps are
 * avx2/gemv-k.c's, so the two levels' GEMVs agree bit for bit.
 */
#include "sm-kernels-private.h"
#include "sm-quants-private.h"

#include <immintrin.h>

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

/* See avx2/gemv-k.c: scales in bytes 0..7, mins in 8..15. */
static inline __m128i
q4_k_scales_mins (const uint8_t s[SM_K_SCALE_SIZE])
{
  /* Vector ops on the four 32-bit words u0..u2 (a 16-byte load, the 4 past the scales being
   * the block's first quants): a word-wise build through memory would stall on store
   * forwarding once per row and super-block.  Words out: u0 & 0x3f.., (u2 & 0x0f..) | (u0's
   * top bits) << 4, u1 & 0x3f.., (u2 >> 4 & 0x0f..) | (u1's top bits) << 4. */
  const __m128i v = _mm_loadu_si128 ((const __m128i *) s);
  const __m128i a = _mm_shuffle_epi32 (v, _MM_SHUFFLE (2, 1, 2, 0));   /* u0 u2 u1 u2 */
  const __m128i b = _mm_shuffle_epi32 (v, _MM_SHUFFLE (1, 1, 0, 0));   /* u0 u0 u1 u1 */
  const __m128i lo6 = _mm_and_si128 (a, _mm_set1_epi8 (0x3f));
  const __m128i nib = _mm_and_si128 (_mm_srlv_epi32 (a, _mm_setr_epi32 (0, 0, 0, 4)), _mm_set1_epi8 (0x0f));
  const __m128i top = _mm_slli_epi32 (_mm_and_si128 (_mm_srli_epi32 (b, 6), _mm_set1_epi8 (0x03)), 4);
  return _mm_blend_epi32 (lo6, _mm_or_si128 (nib, top), 0x0a);
}

void
sm_avx512_gemv_q4_k (size_t M, size_t k, const void *vW, const void *vx, float *y)
{
  const size_t nb = k / SM_QK_K, M4 = M - M % ROWS;
  const SmBlockQ4_K *W = vW;
  const SmBlockQ8_K *x = vx;
  const __m512i m4 = _mm512_set1_epi8 (0x0f);

  for (size_t r = 0; r < M4; r += ROWS)
    {
      const SmBlockQ4_K *w[ROWS] = { W + r * nb, W + (r + 1) * nb, W + (r + 2) * nb, W + (r + 3) * nb };
      __m128 acc = _mm_setzero_ps ();

      for (size_t b = 0; b < nb; b++)
        {
          const int8_t *q8 = x[b].qs;
          const __m128i bsums = _mm_hadd_epi16 (_mm_loadu_si128 ((const __m128i *) x[b].bsums),
                                                _mm_loadu_si128 ((const __m128i *) (x[b].bsums + 8)));
          __m512i sc[ROWS], dot[ROWS];
          __m128i mins[ROWS];

          for (int i = 0; i < ROWS; i++)
            {
              prefetch_block (&w[i][b] + ROWS * nb, sizeof (SmBlockQ4_K));
              const __m128i sm = q4_k_scales_mins (w[i][b].scales);
              sc[i] = _mm512_castsi128_si512 (_mm_cvtepu8_epi16 (sm));
              mins[i] = _mm_madd_epi16 (_mm_cvtepu8_epi16 (_mm_srli_si128 (sm, 8)), bsums);
              dot[i] = _mm512_setzero_si512 ();
            }
          /* a step: qs[32j ..]'s low nibbles (weights 64j ..) then its high nibbles */
          for (int j = 0; j < 4; j++)
            {
              const __m512i xj = load64 (q8 + 64 * j);
              const __m512i pick = lanes_2x2 (2 * j, 2 * j + 1);
              for (int i = 0; i < ROWS; i++)
                {
                  const __m256i q = load32 (w[i][b].qs + 32 * j);
                  const __m512i u = _mm512_and_si512 (join (q, _mm256_srli_epi16 (q, 4)), m4);
                  dot[i] = _mm512_add_epi32 (dot[i], _mm512_madd_epi16 (_mm512_maddubs_epi16 (u, xj),
                                                                        _mm512_permutexvar_epi16 (pick, sc[i])));
                }
            }
          const __m128i isum = hsum4_epi32 (fold (dot[0]), fold (dot[1]), fold (dot[2]), fold (dot[3]));
          const __m128i msum = _mm_hadd_epi32 (_mm_hadd_epi32 (mins[0], mins[1]),
                                               _mm_hadd_epi32 (mins[2], mins[3]));
          const __m128 xd = _mm_set1_ps (x[b].d);
          const __m128 d = _mm_mul_ps (fp16x4 (w[0][b].d, w[1][b].d, w[2][b].d, w[3][b].d), xd);
          const __m128 dmin = _mm_mul_ps (fp16x4 (w[0][b].dmin, w[1][b].dmin, w[2][b].dmin,
                                                  w[3][b].dmin), xd);
          acc = _mm_fmadd_ps (_mm_cvtepi32_ps (isum), d, acc);
          acc = _mm_fnmadd_ps (_mm_cvtepi32_ps (msum), dmin, acc);
        }
      _mm_storeu_ps (y + r, acc);
    }
  for (size_t r = M4; r < M; r++)
    y[r] = sm_avx512_vec_dot_q4_k_q8_k (k, W + r * nb, x);
}

void
sm_avx512_gemv_q6_k (size_t M, size_t k, const void *vW, const void *vx, float *y)
{
  const size_t nb = k / SM_QK_K, M4 = M - M % ROWS;
  const SmBlockQ6_K *W = vW;
  const SmBlockQ8_K *x = vx;
  const __m512i m4 = _mm512_set1_epi8 (0x0f), m2 = _mm512_set1_epi8 (3);

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
           * pairs 4-5 and 6-7 chunks 2, 3 (scales 8h + 4 ..) */
          for (int h = 0; h < 2; h++)
            {
              const __m512i x01 = load64 (q8 + 128 * h), x23 = load64 (q8 + 128 * h + 64);
              const __m512i p01 = lanes_4 (8 * h), p23 = lanes_4 (8 * h + 4);
              for (int i = 0; i < ROWS; i++)
                {
                  const __m512i ql = load64 (w[i][b].ql + 64 * h);
                  const __m256i qh = load32 (w[i][b].qh + 32 * h);
                  const __m512i hh = join (qh, _mm256_srli_epi16 (qh, 2));
                  const __m512i u01 = _mm512_or_si512 (_mm512_and_si512 (ql, m4),
                                                       _mm512_slli_epi16 (_mm512_and_si512 (hh, m2), 4));
                  const __m512i u23 = _mm512_or_si512 (_mm512_and_si512 (_mm512_srli_epi16 (ql, 4), m4),
                                                       _mm512_slli_epi16 (_mm512_and_si512 (_mm512_srli_epi16 (hh, 4), m2), 4));
                  dot[i] = _mm512_add_epi32 (dot[i], _mm512_madd_epi16 (_mm512_maddubs_epi16 (u01, x01),
                                                                        _mm512_permutexvar_epi16 (p01, sc[i])));
                  dot[i] = _mm512_add_epi32 (dot[i], _mm512_madd_epi16 (_mm512_maddubs_epi16 (u23, x23),
                                                                        _mm512_permutexvar_epi16 (p23, sc[i])));
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
