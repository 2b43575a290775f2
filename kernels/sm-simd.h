/* sm-simd.h: width-generic f32 vector primitives, after ggml's simd-mappings.h.
 *
 * Included by the avx2/ and avx512/ files whose loops are the same code at another width
 * (vector ops, norms, activations: simd-vec.inc, simd-norm.inc, simd-act.inc).  The ISA is the
 * one the file is compiled for: __AVX512F__ gives 16 lanes of zmm with k-register masks,
 * otherwise __AVX2__ (with FMA and F16C) gives 8 lanes of ymm with vector masks.  A loop
 * written over these names compiles to exactly the instructions it was written with by hand at
 * each width; where an ISA has a better instruction for the same result (vscalefps, masked
 * loads with a fill value, vcvtph2ps from a masked load), the primitive hides it.
 *
 * SM_SIMD_FN (dot) names the ISA's kernel: sm_avx2_dot or sm_avx512_dot.
 *
 * Tails: sm_f32_tail_mask (r) selects lanes [0, min (r, SM_F32_WIDTH)).  Masked loads read
 * nothing outside the mask and give 0 there; masked stores write nothing outside it (AVX2's
 * vmaskmov included), so no kernel touches memory past its end.  Full vectors always go
 * through the unmasked forms: a vmaskmovps store is slow on AMD cores.
 */
#pragma once

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define SM_SIMD_CAT_(a, b, c) a##b##c
#define SM_SIMD_CAT(a, b, c)  SM_SIMD_CAT_ (a, b, c)

#if defined(__AVX512F__)

/* ---- AVX-512: 16 lanes ------------------------------------------------------------------ */

#define SM_SIMD_ISA   avx512
#define SM_F32_WIDTH  16
typedef __m512    SmF32;
typedef __mmask16 SmMask;

static inline SmF32 sm_f32_zero (void)                    { return _mm512_setzero_ps (); }
static inline SmF32 sm_f32_set1 (float s)                 { return _mm512_set1_ps (s); }
static inline SmF32 sm_f32_load (const float *p)          { return _mm512_loadu_ps (p); }
static inline void  sm_f32_store (float *p, SmF32 v)      { _mm512_storeu_ps (p, v); }
static inline SmF32 sm_f32_add (SmF32 a, SmF32 b)         { return _mm512_add_ps (a, b); }
static inline SmF32 sm_f32_sub (SmF32 a, SmF32 b)         { return _mm512_sub_ps (a, b); }
static inline SmF32 sm_f32_mul (SmF32 a, SmF32 b)         { return _mm512_mul_ps (a, b); }
static inline SmF32 sm_f32_div (SmF32 a, SmF32 b)         { return _mm512_div_ps (a, b); }
/* vmaxps/vminps return the second operand if either is NaN */
static inline SmF32 sm_f32_max (SmF32 a, SmF32 b)         { return _mm512_max_ps (a, b); }
static inline SmF32 sm_f32_min (SmF32 a, SmF32 b)         { return _mm512_min_ps (a, b); }
static inline SmF32 sm_f32_fmadd (SmF32 a, SmF32 b, SmF32 c)  { return _mm512_fmadd_ps (a, b, c); }   /* a b + c */
static inline SmF32 sm_f32_fmsub (SmF32 a, SmF32 b, SmF32 c)  { return _mm512_fmsub_ps (a, b, c); }   /* a b - c */
static inline SmF32 sm_f32_fnmadd (SmF32 a, SmF32 b, SmF32 c) { return _mm512_fnmadd_ps (a, b, c); }  /* c - a b */
/* a b - c in the even lanes, a b + c in the odd ones */
static inline SmF32 sm_f32_fmaddsub (SmF32 a, SmF32 b, SmF32 c) { return _mm512_fmaddsub_ps (a, b, c); }
/* (x0, x1, x2, x3, ...) -> (x1, x0, x3, x2, ...) */
static inline SmF32 sm_f32_swap_pairs (SmF32 a)           { return _mm512_permute_ps (a, 0xb1); }
static inline SmF32 sm_f32_round (SmF32 a)
{
  return _mm512_roundscale_ps (a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

static inline float sm_f32_reduce_add (SmF32 v)           { return _mm512_reduce_add_ps (v); }
static inline float sm_f32_reduce_max (SmF32 v)           { return _mm512_reduce_max_ps (v); }

static inline SmMask
sm_f32_tail_mask (size_t r)
{
  return (__mmask16) ((1u << (r > 16 ? 16 : r)) - 1u);
}
static inline SmF32 sm_f32_load_tail (const float *p, SmMask m)      { return _mm512_maskz_loadu_ps (m, p); }
static inline void  sm_f32_store_tail (float *p, SmMask m, SmF32 v)  { _mm512_mask_storeu_ps (p, m, v); }
/* lanes outside m read nothing and hold fill */
static inline SmF32 sm_f32_load_tail_fill (SmF32 fill, SmMask m, const float *p)
{
  return _mm512_mask_loadu_ps (fill, m, p);
}
/* v in the lanes of m, 0 elsewhere */
static inline SmF32 sm_f32_maskz (SmMask m, SmF32 v)                 { return _mm512_maskz_mov_ps (m, v); }

/* Bit i set where lane i of a equals b (ordered). */
static inline unsigned sm_f32_eq_bits (SmF32 a, SmF32 b)     { return _mm512_cmp_ps_mask (a, b, _CMP_EQ_OQ); }
/* The same over x[0..) under m, reading nothing outside it. */
static inline unsigned
sm_f32_eq_bits_tail (SmMask m, const float *x, SmF32 b)
{
  return _mm512_mask_cmp_ps_mask (m, _mm512_maskz_loadu_ps (m, x), b, _CMP_EQ_OQ);
}

/* t | -0.0: -|t| */
static inline SmF32
sm_f32_neg_abs (SmF32 t)
{
  return _mm512_castsi512_ps (_mm512_or_si512 (_mm512_castps_si512 (t), _mm512_set1_epi32 (INT32_MIN)));
}
/* b where sel's sign bit is set, a elsewhere */
static inline SmF32
sm_f32_blend_sign (SmF32 sel, SmF32 a, SmF32 b)
{
  return _mm512_mask_blend_ps (_mm512_movepi32_mask (_mm512_castps_si512 (sel)), a, b);
}

/* p · 2^k for integral k in [-150, 128]: vscalefps, one rounding, so the results below FLT_MIN
 * are correctly rounded subnormals. */
static inline SmF32 sm_f32_exp_scale (SmF32 p, SmF32 k)     { return _mm512_scalef_ps (p, k); }

/* Half precision to float: a full vector, and r < 16 (or more) elements read under a mask. */
static inline SmF32 sm_f32_load_f16 (const uint16_t *p)
{
  return _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) p));
}
static inline SmF32 sm_f32_load_f16_tail (const uint16_t *p, size_t r)
{
  return _mm512_cvtph_ps (_mm256_maskz_loadu_epi16 (sm_f32_tail_mask (r), p));
}
/* Float to half, rounded to nearest even (the immediate, not MXCSR, picks the rounding); and
 * the first r < 16 lanes stored under a mask. */
static inline void sm_f32_store_f16 (uint16_t *p, SmF32 v)
{
  _mm256_storeu_si256 ((__m256i *) p, _mm512_cvtps_ph (v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
static inline void sm_f32_store_f16_tail (uint16_t *p, size_t r, SmF32 v)
{
  _mm256_mask_storeu_epi16 (p, sm_f32_tail_mask (r),
                            _mm512_cvtps_ph (v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
static inline SmF32 sm_f32_bf16_widen_ (__m256i h)
{
  return _mm512_castsi512_ps (_mm512_slli_epi32 (_mm512_cvtepu16_epi32 (h), 16));
}
static inline SmF32 sm_f32_load_bf16 (const uint16_t *p)
{
  return sm_f32_bf16_widen_ (_mm256_loadu_si256 ((const __m256i *) p));
}
static inline SmF32 sm_f32_load_bf16_tail (const uint16_t *p, size_t r)
{
  return sm_f32_bf16_widen_ (_mm256_maskz_loadu_epi16 (sm_f32_tail_mask (r), p));
}

/* SM_F32_WIDTH / 2 table entries, each twice: (t0, t0, t1, t1, ...); and the first `pairs`
 * (< SM_F32_WIDTH / 2) of them under a mask, 0 beyond. */
static inline SmF32
sm_f32_load_dup (const float *p)
{
  const __m512i dup = _mm512_setr_epi32 (0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  return _mm512_permutexvar_ps (dup, _mm512_castps256_ps512 (_mm256_loadu_ps (p)));
}
static inline SmF32
sm_f32_load_dup_tail (const float *p, size_t pairs)
{
  const __m512i dup = _mm512_setr_epi32 (0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  __mmask8 m = (__mmask8) ((1u << pairs) - 1u);
  return _mm512_permutexvar_ps (dup, _mm512_castps256_ps512 (_mm256_maskz_loadu_ps (m, p)));
}

#elif defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)

/* ---- AVX2 + FMA + F16C: 8 lanes --------------------------------------------------------- */

#define SM_SIMD_ISA   avx2
#define SM_F32_WIDTH  8
typedef __m256  SmF32;
typedef __m256i SmMask;

static inline SmF32 sm_f32_zero (void)                    { return _mm256_setzero_ps (); }
static inline SmF32 sm_f32_set1 (float s)                 { return _mm256_set1_ps (s); }
static inline SmF32 sm_f32_load (const float *p)          { return _mm256_loadu_ps (p); }
static inline void  sm_f32_store (float *p, SmF32 v)      { _mm256_storeu_ps (p, v); }
static inline SmF32 sm_f32_add (SmF32 a, SmF32 b)         { return _mm256_add_ps (a, b); }
static inline SmF32 sm_f32_sub (SmF32 a, SmF32 b)         { return _mm256_sub_ps (a, b); }
static inline SmF32 sm_f32_mul (SmF32 a, SmF32 b)         { return _mm256_mul_ps (a, b); }
static inline SmF32 sm_f32_div (SmF32 a, SmF32 b)         { return _mm256_div_ps (a, b); }
static inline SmF32 sm_f32_max (SmF32 a, SmF32 b)         { return _mm256_max_ps (a, b); }
static inline SmF32 sm_f32_min (SmF32 a, SmF32 b)         { return _mm256_min_ps (a, b); }
static inline SmF32 sm_f32_fmadd (SmF32 a, SmF32 b, SmF32 c)  { return _mm256_fmadd_ps (a, b, c); }
static inline SmF32 sm_f32_fmsub (SmF32 a, SmF32 b, SmF32 c)  { return _mm256_fmsub_ps (a, b, c); }
static inline SmF32 sm_f32_fnmadd (SmF32 a, SmF32 b, SmF32 c) { return _mm256_fnmadd_ps (a, b, c); }
static inline SmF32 sm_f32_fmaddsub (SmF32 a, SmF32 b, SmF32 c) { return _mm256_fmaddsub_ps (a, b, c); }
static inline SmF32 sm_f32_swap_pairs (SmF32 a)           { return _mm256_permute_ps (a, 0xb1); }
static inline SmF32 sm_f32_round (SmF32 a)
{
  return _mm256_round_ps (a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

static inline float
sm_f32_reduce_add (SmF32 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}
static inline float
sm_f32_reduce_max (SmF32 v)
{
  __m128 s = _mm_max_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_max_ps (s, _mm_movehl_ps (s, s));
  s = _mm_max_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

static inline SmMask
sm_f32_tail_mask (size_t r)
{
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 ((int) (r > 8 ? 8 : r)),
                             _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
}
static inline SmF32 sm_f32_load_tail (const float *p, SmMask m)      { return _mm256_maskload_ps (p, m); }
static inline void  sm_f32_store_tail (float *p, SmMask m, SmF32 v)  { _mm256_maskstore_ps (p, m, v); }
static inline SmF32 sm_f32_load_tail_fill (SmF32 fill, SmMask m, const float *p)
{
  return _mm256_blendv_ps (fill, _mm256_maskload_ps (p, m), _mm256_castsi256_ps (m));
}
static inline SmF32 sm_f32_maskz (SmMask m, SmF32 v)      { return _mm256_and_ps (v, _mm256_castsi256_ps (m)); }

static inline unsigned
sm_f32_eq_bits (SmF32 a, SmF32 b)
{
  return (unsigned) _mm256_movemask_ps (_mm256_cmp_ps (a, b, _CMP_EQ_OQ));
}
static inline unsigned
sm_f32_eq_bits_tail (SmMask m, const float *x, SmF32 b)
{
  return sm_f32_eq_bits (_mm256_maskload_ps (x, m), b)
         & (unsigned) _mm256_movemask_ps (_mm256_castsi256_ps (m));
}

static inline SmF32 sm_f32_neg_abs (SmF32 t)              { return _mm256_or_ps (t, _mm256_set1_ps (-0.0f)); }
static inline SmF32 sm_f32_blend_sign (SmF32 sel, SmF32 a, SmF32 b) { return _mm256_blendv_ps (a, b, sel); }

/* p · 2^k for integral k in [-150, 128].  AVX2 has no vscalefps: 2^k is applied as two
 * factors 2^(k/2) · 2^(k - k/2), each a normal float, so the results below FLT_MIN come out
 * as correctly scaled subnormals and those below 2^-150 as exactly 0. */
static inline SmF32
sm_f32_exp_scale (SmF32 p, SmF32 k)
{
  __m256i ki = _mm256_cvtps_epi32 (k);
  __m256i k1 = _mm256_srai_epi32 (ki, 1);
  __m256i k2 = _mm256_sub_epi32 (ki, k1);
  __m256 s1 = _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_add_epi32 (k1, _mm256_set1_epi32 (127)), 23));
  __m256 s2 = _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_add_epi32 (k2, _mm256_set1_epi32 (127)), 23));
  return _mm256_mul_ps (_mm256_mul_ps (p, s1), s2);
}

/* AVX2 has no masked 16-bit load: a tail goes through a zeroed buffer. */
static inline SmF32 sm_f32_load_f16 (const uint16_t *p)
{
  return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) p));
}
static inline SmF32
sm_f32_load_f16_tail (const uint16_t *p, size_t r)
{
  uint16_t buf[8] = { 0 };
  memcpy (buf, p, (r < 8 ? r : 8) * sizeof *p);
  return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) buf));
}
static inline void sm_f32_store_f16 (uint16_t *p, SmF32 v)
{
  _mm_storeu_si128 ((__m128i *) p, _mm256_cvtps_ph (v, _MM_FROUND_TO_NEAREST_INT));
}
static inline void
sm_f32_store_f16_tail (uint16_t *p, size_t r, SmF32 v)
{
  uint16_t buf[8];
  _mm_storeu_si128 ((__m128i *) buf, _mm256_cvtps_ph (v, _MM_FROUND_TO_NEAREST_INT));
  memcpy (p, buf, (r < 8 ? r : 8) * sizeof *p);
}
static inline SmF32 sm_f32_bf16_widen_ (__m128i h)
{
  return _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_cvtepu16_epi32 (h), 16));
}
static inline SmF32 sm_f32_load_bf16 (const uint16_t *p)
{
  return sm_f32_bf16_widen_ (_mm_loadu_si128 ((const __m128i *) p));
}
static inline SmF32
sm_f32_load_bf16_tail (const uint16_t *p, size_t r)
{
  uint16_t buf[8] = { 0 };
  memcpy (buf, p, (r < 8 ? r : 8) * sizeof *p);
  return sm_f32_bf16_widen_ (_mm_loadu_si128 ((const __m128i *) buf));
}

static inline SmF32
sm_f32_load_dup (const float *p)
{
  __m128 t = _mm_loadu_ps (p);
  return _mm256_set_m128 (_mm_unpackhi_ps (t, t), _mm_unpacklo_ps (t, t));
}
static inline SmF32
sm_f32_load_dup_tail (const float *p, size_t pairs)
{
  __m128 t = _mm_maskload_ps (p, _mm256_castsi256_si128 (sm_f32_tail_mask (pairs)));
  return _mm256_set_m128 (_mm_unpackhi_ps (t, t), _mm_unpacklo_ps (t, t));
}

#else
#error "sm-simd.h needs AVX-512F, or AVX2 with FMA and F16C"
#endif

#define SM_SIMD_FN(name) SM_SIMD_CAT (sm_, SM_SIMD_ISA, _##name)
