/* avx2/quant.c: quantized and half-precision kernels with AVX2 + FMA + F16C.
 *
 * Decode streams every weight past one activation vector, so the Q8_0 and Q4_0 GEMVs read W
 * once, in memory order, with a prefetch far ahead (see AHEAD); the half-precision GEMVs take
 * four rows side by side.  The x side (its fp16 scales, and the offsets or 8·Σx for the
 * unsigned products) is converted once per call, not once per row.
 *
 * Int8 products: maddubs multiplies unsigned by signed bytes, so the weight goes in as |w| and
 * the activation takes w's sign (sign_epi8).  |w| <= 128 and |x| <= 127 keep each pair sum
 * below 2^15 without saturating; x must come from quantize_row_q8_0 (never -128, which
 * sign_epi8 cannot negate), while W may hold any int8.  A block's int32 lane sums are reduced
 * exactly before its scales are applied, as in the scalar reference.
 */
#include "sm-kernels-private.h"

#include <string.h>

#include <immintrin.h>

#define ROWS 4   /* rows per pass of a half-precision GEMV */

/* the lines of [p, p + bytes) on their way into L1 */
static inline void
prefetch_ahead (const void *p, size_t bytes)
{
  for (size_t o = 0; o < bytes; o += 64)
    _mm_prefetch ((const char *) p + o, _MM_HINT_T0);
}

/* ---- helpers -------------------------------------------------------------------------------- */

/* [Σa, Σb, Σc, Σd], exact in int32 */
static inline __m128i
hsum4_epi32 (__m256i a, __m256i b, __m256i c, __m256i d)
{
  __m256i ab = _mm256_hadd_epi32 (a, b);        /* a01 a23 b01 b23 | a45 a67 b45 b67 */
  __m256i cd = _mm256_hadd_epi32 (c, d);
  __m256i abcd = _mm256_hadd_epi32 (ab, cd);    /* a0-3 b0-3 c0-3 d0-3 | a4-7 ... */
  return _mm_add_epi32 (_mm256_castsi256_si128 (abcd), _mm256_extracti128_si256 (abcd, 1));
}

/* Eight fp16 scales to float. */
static inline __m256
scales8 (uint16_t a, uint16_t b, uint16_t c, uint16_t d,
         uint16_t e, uint16_t f, uint16_t g, uint16_t h)
{
  return _mm256_cvtph_ps (_mm_setr_epi16 ((short) a, (short) b, (short) c, (short) d,
                                          (short) e, (short) f, (short) g, (short) h));
}

/* [Σa, Σb, Σc, Σd] in float */
static inline __m128
hsum4_ps (__m256 a, __m256 b, __m256 c, __m256 d)
{
  __m256 ab = _mm256_hadd_ps (a, b);
  __m256 cd = _mm256_hadd_ps (c, d);
  __m256 abcd = _mm256_hadd_ps (ab, cd);
  return _mm_add_ps (_mm256_castps256_ps128 (abcd), _mm256_extractf128_ps (abcd, 1));
}

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

/* Four fp16 scales to float. */
static inline __m128
scales4 (uint16_t a, uint16_t b, uint16_t c, uint16_t d)
{
  return _mm_cvtph_ps (_mm_setr_epi16 ((short) a, (short) b, (short) c, (short) d, 0, 0, 0, 0));
}

static inline float
fp16 (uint16_t h)
{
  return _cvtsh_ss (h);
}

/* This file is built three times: here for the avx2 level, and by avx2/quant-vnni.c and
 * avx512/quant-vnni.c for the VNNI levels with SM_QUANT_VNNI, where one vpdpbusd (VEX for
 * AVX-VNNI, EVEX for AVX512-VNNI's 256-bit form) replaces each maddubs + madd pair: the
 * same exact int32 lane sums in one instruction, which decode's GEMVs are short of. */
#if defined(SM_QUANT_VNNI) && defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define DPBUSD_ACC(acc, u, s) _mm256_dpbusd_epi32 ((acc), (u), (s))
#elif defined(SM_QUANT_VNNI)
#define DPBUSD_ACC(acc, u, s) _mm256_dpbusd_avx_epi32 ((acc), (u), (s))
#endif
#if defined(DPBUSD_ACC)
#define DPBUSD(u, s) DPBUSD_ACC (_mm256_setzero_si256 (), (u), (s))
#endif

/* 8 int32 lane sums of w·x over one block's 32 bytes. */
static inline __m256i
dot_i8 (__m256i w, __m256i x)
{
#if defined(DPBUSD)
  return DPBUSD (_mm256_sign_epi8 (w, w), _mm256_sign_epi8 (x, w));
#else
  __m256i p = _mm256_maddubs_epi16 (_mm256_sign_epi8 (w, w), _mm256_sign_epi8 (x, w));
  return _mm256_madd_epi16 (p, _mm256_set1_epi16 (1));
#endif
}

/* 8 int32 lane sums of q·x for a Q4_0 block's unsigned nibbles q: one broadcast load, then
 * a per-half shift puts the low nibbles in the low 16 bytes and the high ones above. */
static inline __m256i
dot_u4 (const uint8_t *qs, __m256i x)
{
  __m256i t = _mm256_broadcastsi128_si256 (_mm_loadu_si128 ((const __m128i *) qs));
  __m256i q = _mm256_and_si256 (_mm256_srlv_epi64 (t, _mm256_setr_epi64x (0, 0, 4, 4)),
                                _mm256_set1_epi8 (0x0f));
#if defined(DPBUSD)
  return DPBUSD (q, x);
#else
  return _mm256_madd_epi16 (_mm256_maddubs_epi16 (q, x), _mm256_set1_epi16 (1));
#endif
}

/* x's own sums of each dword lane's four bytes */
static inline __m256i
xsum_lanes (__m256i x)
{
#if defined(DPBUSD)
  return DPBUSD (_mm256_set1_epi8 (1), x);
#else
  return _mm256_madd_epi16 (_mm256_maddubs_epi16 (_mm256_set1_epi8 (1), x), _mm256_set1_epi16 (1));
#endif
}

/* 8 · x's own lane sums, to turn Σq·x into Σ(q - 8)·x */
static inline __m256i
xsum8_i8 (__m256i x)
{
  return _mm256_slli_epi32 (xsum_lanes (x), 3);
}

static inline __m256i
load_qs (const int8_t *qs)
{
  return _mm256_loadu_si256 ((const __m256i *) qs);
}

/* ---- Q8_0 ------------------------------------------------------------------------------------ */

void
sm_avx2_quantize_row_q8_0 (const float *x, SmBlockQ8_0 *y, size_t k)
{
  const __m256 sign = _mm256_set1_ps (-0.0f);
  /* packs interleaves the 128-bit lanes; this puts the 8 dwords back in order */
  const __m256i perm = _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7);

  for (size_t b = 0; b < k / SM_QK; b++)
    {
      const float *xb = x + b * SM_QK;
      __m256 v0 = _mm256_loadu_ps (xb);
      __m256 v1 = _mm256_loadu_ps (xb + 8);
      __m256 v2 = _mm256_loadu_ps (xb + 16);
      __m256 v3 = _mm256_loadu_ps (xb + 24);

      __m256 m = _mm256_max_ps (_mm256_max_ps (_mm256_andnot_ps (sign, v0), _mm256_andnot_ps (sign, v1)),
                                _mm256_max_ps (_mm256_andnot_ps (sign, v2), _mm256_andnot_ps (sign, v3)));
      __m128 m4 = _mm_max_ps (_mm256_castps256_ps128 (m), _mm256_extractf128_ps (m, 1));
      m4 = _mm_max_ps (m4, _mm_movehl_ps (m4, m4));
      m4 = _mm_max_ss (m4, _mm_movehdup_ps (m4));
      float d = _mm_cvtss_f32 (m4) / 127.0f;

      y[b].d = _cvtss_sh (d, _MM_FROUND_TO_NEAREST_INT);
      if (d == 0.0f)
        {
          _mm256_storeu_si256 ((__m256i *) y[b].qs, _mm256_setzero_si256 ());
          continue;
        }
      /* Same IEEE division as the scalar reference; cvtps rounds half to even (MXCSR default). */
      __m256 dv = _mm256_set1_ps (d);
      __m256i i0 = _mm256_cvtps_epi32 (_mm256_div_ps (v0, dv));
      __m256i i1 = _mm256_cvtps_epi32 (_mm256_div_ps (v1, dv));
      __m256i i2 = _mm256_cvtps_epi32 (_mm256_div_ps (v2, dv));
      __m256i i3 = _mm256_cvtps_epi32 (_mm256_div_ps (v3, dv));
      __m256i q = _mm256_packs_epi16 (_mm256_packs_epi32 (i0, i1), _mm256_packs_epi32 (i2, i3));
      _mm256_storeu_si256 ((__m256i *) y[b].qs, _mm256_permutevar8x32_epi32 (q, perm));
    }
}

float
sm_avx2_vec_dot_q8_0_q8_0 (size_t k, const SmBlockQ8_0 *w, const SmBlockQ8_0 *x)
{
  const size_t nb = k / SM_QK;
  __m128 acc = _mm_setzero_ps ();
  size_t b = 0;

  /* One row: four blocks at a time give the four lanes of the exact per-block reduction. */
  for (; b + 4 <= nb; b += 4)
    {
      __m128i s = hsum4_epi32 (dot_i8 (load_qs (w[b].qs), load_qs (x[b].qs)),
                               dot_i8 (load_qs (w[b + 1].qs), load_qs (x[b + 1].qs)),
                               dot_i8 (load_qs (w[b + 2].qs), load_qs (x[b + 2].qs)),
                               dot_i8 (load_qs (w[b + 3].qs), load_qs (x[b + 3].qs)));
      __m128 d = _mm_mul_ps (scales4 (w[b].d, w[b + 1].d, w[b + 2].d, w[b + 3].d),
                             scales4 (x[b].d, x[b + 1].d, x[b + 2].d, x[b + 3].d));
      acc = _mm_fmadd_ps (_mm_cvtepi32_ps (s), d, acc);
    }
  acc = _mm_add_ps (acc, _mm_movehl_ps (acc, acc));
  acc = _mm_add_ss (acc, _mm_movehdup_ps (acc));
  float sum = _mm_cvtss_f32 (acc);
  for (; b < nb; b++)
    sum += (float) hsum_epi32 (dot_i8 (load_qs (w[b].qs), load_qs (x[b].qs)))
           * (fp16 (w[b].d) * fp16 (x[b].d));
  return sum;
}

/* ---- GEMV ------------------------------------------------------------------------------------- */

/* Decode reads each weight once, from DRAM, so a GEMV is as fast as its reads.  It walks W in
 * the order it lies in memory, one row after the other, and prefetches AHEAD bytes in front of
 * where it reads: one plain sequential stream, which the memory system serves best.  Measured
 * on the 1B shape's Q8_0 matrices (1 GB, one thread, Zen 5 guest whose plain read runs at
 * 32 GB/s): four rows side by side with the next group prefetched, the kernel before this one,
 * read 22-26 GB/s; four rows with no prefetch 12; one row with no prefetch 21-26; one row with
 * 512 B of prefetch 19, 4 KB 26, 8 KB 29-31, 12 KB 29-31.  The row's own blocks give the lanes
 * of the exact per-block reduction, 8 blocks at a time. */
#define AHEAD 8192

/* The x side of a GEMV, converted once per call instead of once per row: each block's scale,
 * and at the VNNI levels the per-lane offset its dpbusd starts from (below).  Done in chunks
 * of XCHUNK blocks because kernels do not allocate; rows of up to 16384 weights take one. */
#define XCHUNK 512

typedef struct {
  float dx[XCHUNK];
  int32_t off[XCHUNK][8];   /* -bias · Σ of each dword lane's 4 x bytes (x_side) */
} XSide;

/* vpdpbusd takes an unsigned byte and a signed one.  A Q8_0 weight becomes unsigned as w ^ 0x80
 * = w + 128, and a Q4_0 one is a nibble q = w + 8, so u·x sums to w·x + bias·Σx per dword lane;
 * starting the accumulator at -bias·Σx leaves the exact w·x in one instruction and no fix-up.
 * The non-VNNI levels add the same offsets to maddubs' Q4_0 sums; their Q8_0 keeps dot_i8's
 * sign trick, because 255·127 pairs would saturate maddubs' int16.  @bias_shift: log2 bias, or
 * -1 for no offsets. */
static size_t
x_side (const SmBlockQ8_0 *xq, size_t nb, size_t c0, int bias_shift, XSide *xs)
{
  size_t cn = nb - c0 < XCHUNK ? nb - c0 : XCHUNK;

  for (size_t b = 0; b < cn; b++)
    {
      xs->dx[b] = fp16 (xq[c0 + b].d);
      if (bias_shift < 0)
        continue;
      __m256i lanes = xsum_lanes (load_qs (xq[c0 + b].qs));
      _mm256_storeu_si256 ((__m256i *) xs->off[b],
                           _mm256_sub_epi32 (_mm256_setzero_si256 (), _mm256_slli_epi32 (lanes, bias_shift)));
    }
  return cn;
}

/* [Σa .. Σh] of eight blocks' lane sums, exact in int32 */
static inline __m256i
hsum8_epi32 (__m256i a, __m256i b, __m256i c, __m256i d,
             __m256i e, __m256i f, __m256i g, __m256i h)
{
  __m256i u0 = _mm256_hadd_epi32 (_mm256_hadd_epi32 (a, b), _mm256_hadd_epi32 (c, d));
  __m256i u1 = _mm256_hadd_epi32 (_mm256_hadd_epi32 (e, f), _mm256_hadd_epi32 (g, h));
  return _mm256_add_epi32 (_mm256_permute2x128_si256 (u0, u1, 0x20),
                           _mm256_permute2x128_si256 (u0, u1, 0x31));
}

/* The fp16 scales of eight blocks of one row, @stride bytes apart from @p, to float.  With
 * AVX-512BW two word permutes of the (cached) bytes gather them; elsewhere eight inserts do. */
static inline __m256
row_scales8 (const uint8_t *p, size_t stride)
{
#if defined(__AVX512BW__)
  if (stride == 18)   /* 8 Q4_0 blocks: every scale within the first 128 bytes */
    {
      const __m512i idx = _mm512_zextsi128_si512 (_mm_setr_epi16 (0, 9, 18, 27, 36, 45, 54, 63));
      __m512i d = _mm512_permutex2var_epi16 (_mm512_loadu_si512 (p), idx, _mm512_loadu_si512 (p + 64));
      return _mm256_cvtph_ps (_mm512_castsi512_si128 (d));
    }
  if (stride == 34)   /* 8 Q8_0 blocks: four scales within each 136 bytes */
    {
      const __m512i idx = _mm512_zextsi128_si512 (_mm_setr_epi16 (0, 17, 34, 51, 0, 0, 0, 0));
      __m512i d0 = _mm512_permutex2var_epi16 (_mm512_loadu_si512 (p), idx, _mm512_loadu_si512 (p + 64));
      __m512i d1 = _mm512_permutex2var_epi16 (_mm512_loadu_si512 (p + 136), idx, _mm512_loadu_si512 (p + 200));
      return _mm256_cvtph_ps (_mm_unpacklo_epi64 (_mm512_castsi512_si128 (d0), _mm512_castsi512_si128 (d1)));
    }
#endif
  uint16_t d[8];
  for (int i = 0; i < 8; i++)
    memcpy (&d[i], p + i * stride, sizeof d[i]);
  return scales8 (d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
}

/* Lane sums of one Q8_0 block against x's block b of the chunk. */
static inline __m256i
q8_lanes (const SmBlockQ8_0 *w, const SmBlockQ8_0 *x, const XSide *xs, size_t b)
{
#if defined(DPBUSD)
  __m256i u = _mm256_xor_si256 (load_qs (w->qs), _mm256_set1_epi8 ((char) 0x80));
  return DPBUSD_ACC (_mm256_loadu_si256 ((const __m256i *) xs->off[b]), u, load_qs (x->qs));
#else
  (void) xs, (void) b;
  return dot_i8 (load_qs (w->qs), load_qs (x->qs));
#endif
}

/* ---- Q4_0 ------------------------------------------------------------------------------------ */

float
sm_avx2_vec_dot_q4_0_q8_0 (size_t k, const SmBlockQ4_0 *w, const SmBlockQ8_0 *x)
{
  const size_t nb = k / SM_QK;
  __m128 acc = _mm_setzero_ps ();
  size_t b = 0;

  for (; b + 4 <= nb; b += 4)
    {
      __m256i x0 = load_qs (x[b].qs), x1 = load_qs (x[b + 1].qs);
      __m256i x2 = load_qs (x[b + 2].qs), x3 = load_qs (x[b + 3].qs);
      __m128i s = hsum4_epi32 (_mm256_sub_epi32 (dot_u4 (w[b].qs, x0), xsum8_i8 (x0)),
                               _mm256_sub_epi32 (dot_u4 (w[b + 1].qs, x1), xsum8_i8 (x1)),
                               _mm256_sub_epi32 (dot_u4 (w[b + 2].qs, x2), xsum8_i8 (x2)),
                               _mm256_sub_epi32 (dot_u4 (w[b + 3].qs, x3), xsum8_i8 (x3)));
      __m128 d = _mm_mul_ps (scales4 (w[b].d, w[b + 1].d, w[b + 2].d, w[b + 3].d),
                             scales4 (x[b].d, x[b + 1].d, x[b + 2].d, x[b + 3].d));
      acc = _mm_fmadd_ps (_mm_cvtepi32_ps (s), d, acc);
    }
  acc = _mm_add_ps (acc, _mm_movehl_ps (acc, acc));
  acc = _mm_add_ss (acc, _mm_movehdup_ps (acc));
  float sum = _mm_cvtss_f32 (acc);
  for (; b < nb; b++)
    {
      __m256i x0 = load_qs (x[b].qs);
      sum += (float) hsum_epi32 (_mm256_sub_epi32 (dot_u4 (w[b].qs, x0), xsum8_i8 (x0)))
             * (fp16 (w[b].d) * fp16 (x[b].d));
    }
  return sum;
}

/* Lane sums of Σ(q - 8)·x for one Q4_0 block, the -8·Σx taken from x_side. */
static inline __m256i
q4_lanes (const SmBlockQ4_0 *w, const SmBlockQ8_0 *x, const XSide *xs, size_t b)
{
  __m256i t = _mm256_broadcastsi128_si256 (_mm_loadu_si128 ((const __m128i *) w->qs));
  __m256i q = _mm256_and_si256 (_mm256_srlv_epi64 (t, _mm256_setr_epi64x (0, 0, 4, 4)),
                                _mm256_set1_epi8 (0x0f));
#if defined(DPBUSD)
  return DPBUSD_ACC (_mm256_loadu_si256 ((const __m256i *) xs->off[b]), q, load_qs (x->qs));
#else
  return _mm256_add_epi32 (_mm256_madd_epi16 (_mm256_maddubs_epi16 (q, load_qs (x->qs)), _mm256_set1_epi16 (1)),
                           _mm256_loadu_si256 ((const __m256i *) xs->off[b]));
#endif
}

/* Lane sums of one block of a row (Q4_0 when @q4, else Q8_0) against x's block b. */
static inline __m256i
block_lanes (bool q4, const uint8_t *w, const SmBlockQ8_0 *x, const XSide *xs, size_t b)
{
  return q4 ? q4_lanes ((const SmBlockQ4_0 *) w, x, xs, b) : q8_lanes ((const SmBlockQ8_0 *) w, x, xs, b);
}

/* W: M rows of k/32 blocks (Q4_0 when @q4, else Q8_0); xq: k/32 blocks; y: M.  Inlined with
 * a constant @q4, so each type gets its own loop. */
static inline __attribute__ ((always_inline)) void
gemv_rows (bool q4, size_t M, size_t k, const void *W, const SmBlockQ8_0 *xq, float *y)
{
  const size_t nb = k / SM_QK, bsize = q4 ? sizeof (SmBlockQ4_0) : sizeof (SmBlockQ8_0);
#if defined(DPBUSD)
  const int bias_shift = q4 ? 3 : 7;
#else
  const int bias_shift = q4 ? 3 : -1;   /* Q8_0 takes dot_i8's sign trick here */
#endif
  XSide xs;

  if (nb == 0)   /* no chunk below writes the results */
    for (size_t r = 0; r < M; r++)
      y[r] = 0.0f;
  for (size_t c0 = 0; c0 < nb && M > 0; c0 += XCHUNK)
    {
      const size_t cn = x_side (xq, nb, c0, bias_shift, &xs);
      const SmBlockQ8_0 *x = xq + c0;

      for (size_t r = 0; r < M; r++)
        {
          const uint8_t *w = (const uint8_t *) W + (r * nb + c0) * bsize;
          __m256 acc = _mm256_setzero_ps ();
          size_t b = 0;

          for (; b + 8 <= cn; b += 8)
            {
              const uint8_t *p = w + b * bsize;
              prefetch_ahead (p + AHEAD, 8 * bsize);
              __m256i s = hsum8_epi32 (block_lanes (q4, p, x + b, &xs, b),
                                       block_lanes (q4, p + bsize, x + b + 1, &xs, b + 1),
                                       block_lanes (q4, p + 2 * bsize, x + b + 2, &xs, b + 2),
                                       block_lanes (q4, p + 3 * bsize, x + b + 3, &xs, b + 3),
                                       block_lanes (q4, p + 4 * bsize, x + b + 4, &xs, b + 4),
                                       block_lanes (q4, p + 5 * bsize, x + b + 5, &xs, b + 5),
                                       block_lanes (q4, p + 6 * bsize, x + b + 6, &xs, b + 6),
                                       block_lanes (q4, p + 7 * bsize, x + b + 7, &xs, b + 7));
              __m256 d = _mm256_mul_ps (row_scales8 (p, bsize), _mm256_loadu_ps (xs.dx + b));
              acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (s), d, acc);
            }
          float sum = hsum_ps (acc);
          for (; b < cn; b++)
            {
              uint16_t dw;
              memcpy (&dw, w + b * bsize, sizeof dw);   /* both types start with their scale */
              sum += (float) hsum_epi32 (block_lanes (q4, w + b * bsize, x + b, &xs, b)) * (fp16 (dw) * xs.dx[b]);
            }
          /* later chunks add to what the earlier ones left in y */
          y[r] = c0 == 0 ? sum : y[r] + sum;
        }
    }
}

void
sm_avx2_gemv_q8_0 (size_t M, size_t k, const SmBlockQ8_0 *W, const SmBlockQ8_0 *xq, float *y)
{
  gemv_rows (false, M, k, W, xq, y);
}

#if !defined(SM_QUANT_OWN_GEMV_Q4_0)   /* avx512/quant-vnni.c has a 512-bit one */
void
sm_avx2_gemv_q4_0 (size_t M, size_t k, const SmBlockQ4_0 *W, const SmBlockQ8_0 *xq, float *y)
{
  gemv_rows (true, M, k, W, xq, y);
}
#endif

/* ---- half precision ---------------------------------------------------------------------------- */

static inline __m256
load_f16 (const uint16_t *p)
{
  return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) p));
}

static inline __m256
load_bf16 (const uint16_t *p)
{
  __m256i u = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) p));
  return _mm256_castsi256_ps (_mm256_slli_epi32 (u, 16));
}

static inline float
bf16 (uint16_t h)
{
  union { uint32_t u; float f; } v = { .u = (uint32_t) h << 16 };
  return v.f;
}

/* 8 halves to float, f16 or bf16 (a constant after inlining). */
static inline __m256
load8 (const uint16_t *p, bool bf)
{
  return bf ? load_bf16 (p) : load_f16 (p);
}

static inline float
load1 (uint16_t h, bool bf)
{
  return bf ? bf16 (h) : fp16 (h);
}

/* W: M rows of k halves, row stride ldw; x: k; y: M.  Two accumulators per row: with one, four
 * rows are only four FMA chains, too few to cover the FMA latency when W is in cache. */
static inline __attribute__ ((always_inline)) void
gemv_half (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y, bool bf)
{
  size_t r = 0;

  for (; r + ROWS <= M; r += ROWS)
    {
      const uint16_t *w0 = W + r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
      __m256 a0 = _mm256_setzero_ps (), a1 = _mm256_setzero_ps ();
      __m256 a2 = _mm256_setzero_ps (), a3 = _mm256_setzero_ps ();
      __m256 b0 = _mm256_setzero_ps (), b1 = _mm256_setzero_ps ();
      __m256 b2 = _mm256_setzero_ps (), b3 = _mm256_setzero_ps ();
      size_t i = 0;

      for (; i + 16 <= k; i += 16)
        {
          __m256 xa = _mm256_loadu_ps (x + i), xb = _mm256_loadu_ps (x + i + 8);
          if (bf)
            {
              /* A dword of two bf16 widens without shuffles: << 16 gives the even element,
               * & 0xffff0000 the odd one.  x is split into even and odd elements to match,
               * once for the four rows. */
              __m256 xe = _mm256_shuffle_ps (xa, xb, _MM_SHUFFLE (2, 0, 2, 0));   /* 0 2 8 10 | 4 6 12 14 */
              __m256 xo = _mm256_shuffle_ps (xa, xb, _MM_SHUFFLE (3, 1, 3, 1));
              xe = _mm256_castpd_ps (_mm256_permute4x64_pd (_mm256_castps_pd (xe), 0xd8));
              xo = _mm256_castpd_ps (_mm256_permute4x64_pd (_mm256_castps_pd (xo), 0xd8));
              const __m256i hi = _mm256_set1_epi32 ((int) 0xffff0000u);
              __m256i v0 = _mm256_loadu_si256 ((const __m256i *) (w0 + i));
              __m256i v1 = _mm256_loadu_si256 ((const __m256i *) (w1 + i));
              __m256i v2 = _mm256_loadu_si256 ((const __m256i *) (w2 + i));
              __m256i v3 = _mm256_loadu_si256 ((const __m256i *) (w3 + i));
              a0 = _mm256_fmadd_ps (_mm256_castsi256_ps (_mm256_slli_epi32 (v0, 16)), xe, a0);
              a1 = _mm256_fmadd_ps (_mm256_castsi256_ps (_mm256_slli_epi32 (v1, 16)), xe, a1);
              a2 = _mm256_fmadd_ps (_mm256_castsi256_ps (_mm256_slli_epi32 (v2, 16)), xe, a2);
              a3 = _mm256_fmadd_ps (_mm256_castsi256_ps (_mm256_slli_epi32 (v3, 16)), xe, a3);
              b0 = _mm256_fmadd_ps (_mm256_castsi256_ps (_mm256_and_si256 (v0, hi)), xo, b0);
              b1 = _mm256_fmadd_ps (_mm256_castsi256_ps (_mm256_and_si256 (v1, hi)), xo, b1);
              b2 = _mm256_fmadd_ps (_mm256_castsi256_ps (_mm256_and_si256 (v2, hi)), xo, b2);
              b3 = _mm256_fmadd_ps (_mm256_castsi256_ps (_mm256_and_si256 (v3, hi)), xo, b3);
            }
          else
            {
              a0 = _mm256_fmadd_ps (load_f16 (w0 + i), xa, a0);
              a1 = _mm256_fmadd_ps (load_f16 (w1 + i), xa, a1);
              a2 = _mm256_fmadd_ps (load_f16 (w2 + i), xa, a2);
              a3 = _mm256_fmadd_ps (load_f16 (w3 + i), xa, a3);
              b0 = _mm256_fmadd_ps (load_f16 (w0 + i + 8), xb, b0);
              b1 = _mm256_fmadd_ps (load_f16 (w1 + i + 8), xb, b1);
              b2 = _mm256_fmadd_ps (load_f16 (w2 + i + 8), xb, b2);
              b3 = _mm256_fmadd_ps (load_f16 (w3 + i + 8), xb, b3);
            }
        }
      if (i + 8 <= k)
        {
          __m256 xa = _mm256_loadu_ps (x + i);
          a0 = _mm256_fmadd_ps (load8 (w0 + i, bf), xa, a0);
          a1 = _mm256_fmadd_ps (load8 (w1 + i, bf), xa, a1);
          a2 = _mm256_fmadd_ps (load8 (w2 + i, bf), xa, a2);
          a3 = _mm256_fmadd_ps (load8 (w3 + i, bf), xa, a3);
          i += 8;
        }
      __m128 s = hsum4_ps (_mm256_add_ps (a0, b0), _mm256_add_ps (a1, b1),
                           _mm256_add_ps (a2, b2), _mm256_add_ps (a3, b3));
      for (; i < k; i++)
        {
          __m128 wv = _mm_setr_ps (load1 (w0[i], bf), load1 (w1[i], bf), load1 (w2[i], bf), load1 (w3[i], bf));
          s = _mm_fmadd_ps (wv, _mm_set1_ps (x[i]), s);
        }
      _mm_storeu_ps (y + r, s);
    }
  for (; r < M; r++)
    {
      const uint16_t *w = W + r * ldw;
      __m256 a = _mm256_setzero_ps (), b = _mm256_setzero_ps ();
      size_t i = 0;
      for (; i + 16 <= k; i += 16)
        {
          a = _mm256_fmadd_ps (load8 (w + i, bf), _mm256_loadu_ps (x + i), a);
          b = _mm256_fmadd_ps (load8 (w + i + 8, bf), _mm256_loadu_ps (x + i + 8), b);
        }
      if (i + 8 <= k)
        {
          a = _mm256_fmadd_ps (load8 (w + i, bf), _mm256_loadu_ps (x + i), a);
          i += 8;
        }
      float s = hsum_ps (_mm256_add_ps (a, b));
      for (; i < k; i++)
        s += load1 (w[i], bf) * x[i];
      y[r] = s;
    }
}

void
sm_avx2_gemv_f16 (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y)
{
  gemv_half (M, k, W, ldw, x, y, false);
}

void
sm_avx2_gemv_bf16 (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y)
{
  gemv_half (M, k, W, ldw, x, y, true);
}
