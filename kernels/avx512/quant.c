/* avx512/quant.c: quantized and half-precision kernels for the AVX-512 level (F/BW/DQ/VL, no
 * VNNI).
 *
 * This level has no int8 dots nor gemv_f16: its table keeps avx2/quant.c's (avx512/table.c),
 * because 512-bit versions measured slower on the reference machine (AMD EPYC, Zen 4, one
 * thread, W in L2):
 * - the int8 dots (vec_dot_*, gemv_q8_0, gemv_q4_0): without VNNI a 512-bit block dot takes
 *   more instructions than the 256-bit one (AVX-512BW has no vpsignb, so moving w's sign onto x
 *   costs three ops instead of two, and two 34-byte blocks must be spliced into one register),
 *   and Zen 4 runs 512-bit integer ops as two 256-bit halves: 33.7 GB/s (Q8_0) and 15.5 GB/s
 *   (Q4_0) against 37.4 and 20.0 for the 256-bit code of the time;
 * - gemv_f16: vcvtph2ps with a zmm destination converts half as many halves per cycle as two
 *   ymm ones: 57 GB/s against 75-82.
 * A VNNI or wider path slots in here alone: define it and set it in avx512/table.c.
 *
 * quantize_row_q8_0 (a block is two registers) and gemv_bf16 (plain shifts widen bf16, and
 * masked loads take the ragged end of a row) are 512-bit.
 */
#include "sm-kernels-private.h"
#include "sm-quants.h"

#include <string.h>

#include <immintrin.h>

#define ROWS 4   /* rows per pass of a GEMV */

/* ---- Q8_0 / Q4_0 ---------------------------------------------------------------------------- */

void
sm_avx512_quantize_row_q8_0 (const float *x, SmBlockQ8_0 *y, size_t k)
{
  for (size_t b = 0; b < k / SM_QK; b++)
    {
      const float *xb = x + b * SM_QK;
      __m512 v0 = _mm512_loadu_ps (xb);
      __m512 v1 = _mm512_loadu_ps (xb + 16);
      float d = _mm512_reduce_max_ps (_mm512_max_ps (_mm512_abs_ps (v0), _mm512_abs_ps (v1))) / 127.0f;

      y[b].d = _cvtss_sh (d, _MM_FROUND_TO_NEAREST_INT);
      if (d == 0.0f)
        {
          _mm256_storeu_si256 ((__m256i *) y[b].qs, _mm256_setzero_si256 ());
          continue;
        }
      /* Same IEEE division as the scalar reference; cvtps rounds half to even (MXCSR default). */
      __m512 dv = _mm512_set1_ps (d);
      __m128i q0 = _mm512_cvtsepi32_epi8 (_mm512_cvtps_epi32 (_mm512_div_ps (v0, dv)));
      __m128i q1 = _mm512_cvtsepi32_epi8 (_mm512_cvtps_epi32 (_mm512_div_ps (v1, dv)));
      _mm_storeu_si128 ((__m128i *) y[b].qs, q0);
      _mm_storeu_si128 ((__m128i *) (y[b].qs + 16), q1);
    }
}

/* ggml's quantize_row_q8_K_ref in 16 lanes, bit for bit: the same max (the first element of
 * largest magnitude, its sign kept), the same IEEE division for iscale and d, and the same
 * product iscale · x rounded half to even (vcvtps2dq in the default rounding mode is what
 * ggml's nearest_int's + 1.5 · 2^23 does for |v| < 2^22; the flush modes of sm-fp-mode.h
 * treat both alike).  tests/test-quants.c compares the two over awkward rows. */
void
sm_avx512_quantize_row_q8_k (const float *x, void *vy, size_t k)
{
  SmBlockQ8_K *y = vy;

  for (size_t b = 0; b < k / SM_QK_K; b++, x += SM_QK_K)
    {
      __m512 m = _mm512_setzero_ps ();
      for (int e = 0; e < SM_QK_K; e += 16)
        m = _mm512_max_ps (m, _mm512_abs_ps (_mm512_loadu_ps (x + e)));
      const float amax = _mm512_reduce_max_ps (m);
      if (amax == 0.0f)
        {
          memset (&y[b], 0, sizeof y[b]);
          continue;
        }
      float max = 0.0f;
      const __m512 am = _mm512_set1_ps (amax);
      for (int e = 0; e < SM_QK_K; e += 16)
        {
          __mmask16 hit = _mm512_cmp_ps_mask (_mm512_abs_ps (_mm512_loadu_ps (x + e)), am, _CMP_EQ_OQ);
          if (hit)
            {
              max = x[e + __builtin_ctz (hit)];
              break;
            }
        }

      const float iscale = -127.0f / max;
      const __m512 is = _mm512_set1_ps (iscale);
      const __m512i top = _mm512_set1_epi32 (127);
      for (int e = 0; e < SM_QK_K; e += 16)
        {
          __m512i q = _mm512_cvtps_epi32 (_mm512_mul_ps (is, _mm512_loadu_ps (x + e)));
          q = _mm512_min_epi32 (q, top);
          __m128i q8 = _mm512_cvtepi32_epi8 (q);
          _mm_storeu_si128 ((__m128i *) (y[b].qs + e), q8);
          /* the sixteen just stored are one bsum */
          y[b].bsums[e / 16] = (int16_t) _mm512_reduce_add_epi32 (q);
        }
      y[b].d = 1.0f / iscale;
    }
}

/* ---- half precision ---------------------------------------------------------------------------- */

/* 16 bf16 to float; lanes outside @m read nothing and come out 0. */
static inline __m512
load_bf16 (const uint16_t *p, __mmask16 m)
{
  __m512i u = _mm512_cvtepu16_epi32 (_mm256_maskz_loadu_epi16 (m, p));
  return _mm512_castsi512_ps (_mm512_slli_epi32 (u, 16));
}

static inline __mmask16
tail_mask (size_t n)
{
  return n >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << n) - 1);
}

/* [Σa, Σb, Σc, Σd] */
static inline __m128
hsum4_ps (__m512 a, __m512 b, __m512 c, __m512 d)
{
  __m256 a8 = _mm256_add_ps (_mm512_castps512_ps256 (a), _mm512_extractf32x8_ps (a, 1));
  __m256 b8 = _mm256_add_ps (_mm512_castps512_ps256 (b), _mm512_extractf32x8_ps (b, 1));
  __m256 c8 = _mm256_add_ps (_mm512_castps512_ps256 (c), _mm512_extractf32x8_ps (c, 1));
  __m256 d8 = _mm256_add_ps (_mm512_castps512_ps256 (d), _mm512_extractf32x8_ps (d, 1));
  __m256 abcd = _mm256_hadd_ps (_mm256_hadd_ps (a8, b8), _mm256_hadd_ps (c8, d8));
  return _mm_add_ps (_mm256_castps256_ps128 (abcd), _mm256_extractf128_ps (abcd, 1));
}

/* W: M rows of k bf16, row stride ldw; x: k; y: M.  A dword of two bf16 widens without a
 * shuffle: << 16 is the even element, & 0xffff0000 the odd one; x is split into its even and
 * odd elements to match, once for four rows.  Two accumulators per row keep eight FMA chains
 * in flight; the ragged end of a row is a masked load, never a read past it. */
void
sm_avx512_gemv_bf16 (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y)
{
  const __m512i even = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32 (1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512i hi = _mm512_set1_epi32 ((int) 0xffff0000u);
  size_t r = 0;

  for (; r + ROWS <= M; r += ROWS)
    {
      const uint16_t *w0 = W + r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
      __m512 a0 = _mm512_setzero_ps (), a1 = _mm512_setzero_ps ();
      __m512 a2 = _mm512_setzero_ps (), a3 = _mm512_setzero_ps ();
      __m512 b0 = _mm512_setzero_ps (), b1 = _mm512_setzero_ps ();
      __m512 b2 = _mm512_setzero_ps (), b3 = _mm512_setzero_ps ();
      size_t i = 0;

      for (; i + 32 <= k; i += 32)
        {
          __m512 xa = _mm512_loadu_ps (x + i), xb = _mm512_loadu_ps (x + i + 16);
          __m512 xe = _mm512_permutex2var_ps (xa, even, xb), xo = _mm512_permutex2var_ps (xa, odd, xb);
          __m512i v0 = _mm512_loadu_si512 (w0 + i), v1 = _mm512_loadu_si512 (w1 + i);
          __m512i v2 = _mm512_loadu_si512 (w2 + i), v3 = _mm512_loadu_si512 (w3 + i);
          a0 = _mm512_fmadd_ps (_mm512_castsi512_ps (_mm512_slli_epi32 (v0, 16)), xe, a0);
          a1 = _mm512_fmadd_ps (_mm512_castsi512_ps (_mm512_slli_epi32 (v1, 16)), xe, a1);
          a2 = _mm512_fmadd_ps (_mm512_castsi512_ps (_mm512_slli_epi32 (v2, 16)), xe, a2);
          a3 = _mm512_fmadd_ps (_mm512_castsi512_ps (_mm512_slli_epi32 (v3, 16)), xe, a3);
          b0 = _mm512_fmadd_ps (_mm512_castsi512_ps (_mm512_and_si512 (v0, hi)), xo, b0);
          b1 = _mm512_fmadd_ps (_mm512_castsi512_ps (_mm512_and_si512 (v1, hi)), xo, b1);
          b2 = _mm512_fmadd_ps (_mm512_castsi512_ps (_mm512_and_si512 (v2, hi)), xo, b2);
          b3 = _mm512_fmadd_ps (_mm512_castsi512_ps (_mm512_and_si512 (v3, hi)), xo, b3);
        }
      for (; i < k; i += 16)   /* the last 0..31 */
        {
          __mmask16 m = tail_mask (k - i);
          __m512 xa = _mm512_maskz_loadu_ps (m, x + i);
          a0 = _mm512_fmadd_ps (load_bf16 (w0 + i, m), xa, a0);
          a1 = _mm512_fmadd_ps (load_bf16 (w1 + i, m), xa, a1);
          a2 = _mm512_fmadd_ps (load_bf16 (w2 + i, m), xa, a2);
          a3 = _mm512_fmadd_ps (load_bf16 (w3 + i, m), xa, a3);
        }
      _mm_storeu_ps (y + r, hsum4_ps (_mm512_add_ps (a0, b0), _mm512_add_ps (a1, b1),
                                      _mm512_add_ps (a2, b2), _mm512_add_ps (a3, b3)));
    }
  for (; r < M; r++)
    {
      const uint16_t *w = W + r * ldw;
      __m512 a = _mm512_setzero_ps ();
      for (size_t i = 0; i < k; i += 16)
        {
          __mmask16 m = tail_mask (k - i);
          a = _mm512_fmadd_ps (load_bf16 (w + i, m), _mm512_maskz_loadu_ps (m, x + i), a);
        }
      y[r] = _mm512_reduce_add_ps (a);
    }
}
