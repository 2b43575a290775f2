/* avx2/vec.c: vector kernels with AVX2 + FMA + F16C.
 *
 * Loads are unaligned throughout (the callers' rows start anywhere).  Tails of n % 8 go
 * through vmaskmov, which neither reads nor writes the masked-off lanes, so no kernel touches
 * memory past n.  Reductions keep four accumulators so the FMA latency is hidden.
 */
#include "sm-kernels-private.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

/* Lanes [0, r) set, r in 0..8. */
static inline __m256i
tail_mask (size_t r)
{
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 ((int) r), _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
}

static inline float
hsum (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

static inline float
hmax (__m256 v)
{
  __m128 s = _mm_max_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_max_ps (s, _mm_movehl_ps (s, s));
  s = _mm_max_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

float
sm_avx2_dot (const float *a, const float *b, size_t n)
{
  __m256 acc0 = _mm256_setzero_ps (), acc1 = _mm256_setzero_ps ();
  __m256 acc2 = _mm256_setzero_ps (), acc3 = _mm256_setzero_ps ();
  size_t i = 0;

  for (; i + 32 <= n; i += 32)
    {
      acc0 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i), _mm256_loadu_ps (b + i), acc0);
      acc1 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i + 8), _mm256_loadu_ps (b + i + 8), acc1);
      acc2 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i + 16), _mm256_loadu_ps (b + i + 16), acc2);
      acc3 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i + 24), _mm256_loadu_ps (b + i + 24), acc3);
    }
  for (; i + 8 <= n; i += 8)
    acc0 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i), _mm256_loadu_ps (b + i), acc0);
  if (i < n)
    {
      __m256i m = tail_mask (n - i);
      acc1 = _mm256_fmadd_ps (_mm256_maskload_ps (a + i, m), _mm256_maskload_ps (b + i, m), acc1);
    }
  return hsum (_mm256_add_ps (_mm256_add_ps (acc0, acc1), _mm256_add_ps (acc2, acc3)));
}

void
sm_avx2_add (float *out, const float *a, const float *b, size_t n)
{
  size_t i = 0;

  for (; i + 16 <= n; i += 16)
    {
      __m256 s0 = _mm256_add_ps (_mm256_loadu_ps (a + i), _mm256_loadu_ps (b + i));
      __m256 s1 = _mm256_add_ps (_mm256_loadu_ps (a + i + 8), _mm256_loadu_ps (b + i + 8));
      _mm256_storeu_ps (out + i, s0);
      _mm256_storeu_ps (out + i + 8, s1);
    }
  for (; i < n; i += 8)
    {
      __m256i m = tail_mask (n - i);
      _mm256_maskstore_ps (out + i, m, _mm256_add_ps (_mm256_maskload_ps (a + i, m),
                                                      _mm256_maskload_ps (b + i, m)));
    }
}

void
sm_avx2_mul (float *out, const float *a, const float *b, size_t n)
{
  size_t i = 0;

  for (; i + 16 <= n; i += 16)
    {
      __m256 p0 = _mm256_mul_ps (_mm256_loadu_ps (a + i), _mm256_loadu_ps (b + i));
      __m256 p1 = _mm256_mul_ps (_mm256_loadu_ps (a + i + 8), _mm256_loadu_ps (b + i + 8));
      _mm256_storeu_ps (out + i, p0);
      _mm256_storeu_ps (out + i + 8, p1);
    }
  for (; i < n; i += 8)
    {
      __m256i m = tail_mask (n - i);
      _mm256_maskstore_ps (out + i, m, _mm256_mul_ps (_mm256_maskload_ps (a + i, m),
                                                      _mm256_maskload_ps (b + i, m)));
    }
}

void
sm_avx2_scale (float *out, const float *a, float s, size_t n)
{
  __m256 vs = _mm256_set1_ps (s);
  size_t i = 0;

  for (; i + 16 <= n; i += 16)
    {
      __m256 p0 = _mm256_mul_ps (vs, _mm256_loadu_ps (a + i));
      __m256 p1 = _mm256_mul_ps (vs, _mm256_loadu_ps (a + i + 8));
      _mm256_storeu_ps (out + i, p0);
      _mm256_storeu_ps (out + i + 8, p1);
    }
  for (; i < n; i += 8)
    {
      __m256i m = tail_mask (n - i);
      _mm256_maskstore_ps (out + i, m, _mm256_mul_ps (vs, _mm256_maskload_ps (a + i, m)));
    }
}

/* One rounding per element (FMA) where the scalar reference has two. */
void
sm_avx2_axpy (float *y, float alpha, const float *x, size_t n)
{
  __m256 va = _mm256_set1_ps (alpha);
  size_t i = 0;

  for (; i + 16 <= n; i += 16)
    {
      __m256 y0 = _mm256_fmadd_ps (va, _mm256_loadu_ps (x + i), _mm256_loadu_ps (y + i));
      __m256 y1 = _mm256_fmadd_ps (va, _mm256_loadu_ps (x + i + 8), _mm256_loadu_ps (y + i + 8));
      _mm256_storeu_ps (y + i, y0);
      _mm256_storeu_ps (y + i + 8, y1);
    }
  for (; i < n; i += 8)
    {
      __m256i m = tail_mask (n - i);
      _mm256_maskstore_ps (y + i, m, _mm256_fmadd_ps (va, _mm256_maskload_ps (x + i, m),
                                                      _mm256_maskload_ps (y + i, m)));
    }
}

void
sm_avx2_broadcast_add (float *out, const float *a, const float *row, size_t rows, size_t cols)
{
  for (size_t r = 0; r < rows; r++)
    sm_avx2_add (out + r * cols, a + r * cols, row, cols);
}

/* Two passes: the maximum (exact, so lane order does not matter), then the first index
 * holding it, which stops early.  NaNs are skipped as in the reference: vmaxps returns its
 * second operand when either is NaN, and the accumulator is always the second. */
size_t
sm_avx2_argmax (const float *x, size_t n)
{
  const __m256 neg_inf = _mm256_set1_ps (-INFINITY);
  __m256 m0 = neg_inf, m1 = neg_inf, m2 = neg_inf, m3 = neg_inf;
  size_t i = 0;

  for (; i + 32 <= n; i += 32)
    {
      m0 = _mm256_max_ps (_mm256_loadu_ps (x + i), m0);
      m1 = _mm256_max_ps (_mm256_loadu_ps (x + i + 8), m1);
      m2 = _mm256_max_ps (_mm256_loadu_ps (x + i + 16), m2);
      m3 = _mm256_max_ps (_mm256_loadu_ps (x + i + 24), m3);
    }
  for (; i + 8 <= n; i += 8)
    m0 = _mm256_max_ps (_mm256_loadu_ps (x + i), m0);
  if (i < n)
    {
      __m256i m = tail_mask (n - i);
      __m256 v = _mm256_blendv_ps (neg_inf, _mm256_maskload_ps (x + i, m), _mm256_castsi256_ps (m));
      m1 = _mm256_max_ps (v, m1);
    }
  float best = hmax (_mm256_max_ps (_mm256_max_ps (m0, m1), _mm256_max_ps (m2, m3)));
  if (!(best > -INFINITY))
    return 0;

  __m256 vb = _mm256_set1_ps (best);
  for (i = 0; i + 32 <= n; i += 32)
    {
      __m256 e0 = _mm256_cmp_ps (_mm256_loadu_ps (x + i), vb, _CMP_EQ_OQ);
      __m256 e1 = _mm256_cmp_ps (_mm256_loadu_ps (x + i + 8), vb, _CMP_EQ_OQ);
      __m256 e2 = _mm256_cmp_ps (_mm256_loadu_ps (x + i + 16), vb, _CMP_EQ_OQ);
      __m256 e3 = _mm256_cmp_ps (_mm256_loadu_ps (x + i + 24), vb, _CMP_EQ_OQ);
      if (_mm256_movemask_ps (_mm256_or_ps (_mm256_or_ps (e0, e1), _mm256_or_ps (e2, e3))))
        break;
    }
  for (; i + 8 <= n; i += 8)
    {
      int bits = _mm256_movemask_ps (_mm256_cmp_ps (_mm256_loadu_ps (x + i), vb, _CMP_EQ_OQ));
      if (bits)
        return i + (size_t) __builtin_ctz ((unsigned) bits);
    }
  for (; i < n; i++)
    if (x[i] == best)
      return i;
  return 0;
}

void
sm_avx2_f16_to_f32 (float *out, const uint16_t *in, size_t n)
{
  size_t i = 0;

  for (; i + 16 <= n; i += 16)
    {
      __m256 f0 = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (in + i)));
      __m256 f1 = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (in + i + 8)));
      _mm256_storeu_ps (out + i, f0);
      _mm256_storeu_ps (out + i + 8, f1);
    }
  for (; i < n; i += 8)
    {
      uint16_t buf[8] = { 0 };
      size_t r = n - i < 8 ? n - i : 8;
      memcpy (buf, in + i, r * sizeof *in);
      _mm256_maskstore_ps (out + i, tail_mask (r),
                           _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) buf)));
    }
}

static inline __m256
bf16x8_to_f32 (__m128i h)
{
  return _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_cvtepu16_epi32 (h), 16));
}

void
sm_avx2_bf16_to_f32 (float *out, const uint16_t *in, size_t n)
{
  size_t i = 0;

  for (; i + 16 <= n; i += 16)
    {
      __m256 f0 = bf16x8_to_f32 (_mm_loadu_si128 ((const __m128i *) (in + i)));
      __m256 f1 = bf16x8_to_f32 (_mm_loadu_si128 ((const __m128i *) (in + i + 8)));
      _mm256_storeu_ps (out + i, f0);
      _mm256_storeu_ps (out + i + 8, f1);
    }
  for (; i < n; i += 8)
    {
      uint16_t buf[8] = { 0 };
      size_t r = n - i < 8 ? n - i : 8;
      memcpy (buf, in + i, r * sizeof *in);
      _mm256_maskstore_ps (out + i, tail_mask (r), bf16x8_to_f32 (_mm_loadu_si128 ((const __m128i *) buf)));
    }
}
