/* avx512/vec.c: vector kernels with AVX-512 F/BW/VL + F16C.
 *
 * Loads are unaligned throughout.  Tails of n % 16 use masked loads and stores, which
 * neither read nor write the masked-off lanes.  Reductions keep four accumulators.
 */
#include "sm-kernels-private.h"

#include <immintrin.h>
#include <math.h>

/* Lanes [0, r) set, r in 0..16. */
static inline __mmask16
tail_mask (size_t r)
{
  return (__mmask16) ((1u << (r > 16 ? 16 : r)) - 1u);
}

float
sm_avx512_dot (const float *a, const float *b, size_t n)
{
  __m512 acc0 = _mm512_setzero_ps (), acc1 = _mm512_setzero_ps ();
  __m512 acc2 = _mm512_setzero_ps (), acc3 = _mm512_setzero_ps ();
  size_t i = 0;

  for (; i + 64 <= n; i += 64)
    {
      acc0 = _mm512_fmadd_ps (_mm512_loadu_ps (a + i), _mm512_loadu_ps (b + i), acc0);
      acc1 = _mm512_fmadd_ps (_mm512_loadu_ps (a + i + 16), _mm512_loadu_ps (b + i + 16), acc1);
      acc2 = _mm512_fmadd_ps (_mm512_loadu_ps (a + i + 32), _mm512_loadu_ps (b + i + 32), acc2);
      acc3 = _mm512_fmadd_ps (_mm512_loadu_ps (a + i + 48), _mm512_loadu_ps (b + i + 48), acc3);
    }
  for (; i + 16 <= n; i += 16)
    acc0 = _mm512_fmadd_ps (_mm512_loadu_ps (a + i), _mm512_loadu_ps (b + i), acc0);
  if (i < n)
    {
      __mmask16 m = tail_mask (n - i);
      acc1 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (m, a + i), _mm512_maskz_loadu_ps (m, b + i), acc1);
    }
  return _mm512_reduce_add_ps (_mm512_add_ps (_mm512_add_ps (acc0, acc1), _mm512_add_ps (acc2, acc3)));
}

void
sm_avx512_add (float *out, const float *a, const float *b, size_t n)
{
  size_t i = 0;

  for (; i + 32 <= n; i += 32)
    {
      __m512 s0 = _mm512_add_ps (_mm512_loadu_ps (a + i), _mm512_loadu_ps (b + i));
      __m512 s1 = _mm512_add_ps (_mm512_loadu_ps (a + i + 16), _mm512_loadu_ps (b + i + 16));
      _mm512_storeu_ps (out + i, s0);
      _mm512_storeu_ps (out + i + 16, s1);
    }
  for (; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);
      _mm512_mask_storeu_ps (out + i, m, _mm512_add_ps (_mm512_maskz_loadu_ps (m, a + i),
                                                        _mm512_maskz_loadu_ps (m, b + i)));
    }
}

void
sm_avx512_mul (float *out, const float *a, const float *b, size_t n)
{
  size_t i = 0;

  for (; i + 32 <= n; i += 32)
    {
      __m512 p0 = _mm512_mul_ps (_mm512_loadu_ps (a + i), _mm512_loadu_ps (b + i));
      __m512 p1 = _mm512_mul_ps (_mm512_loadu_ps (a + i + 16), _mm512_loadu_ps (b + i + 16));
      _mm512_storeu_ps (out + i, p0);
      _mm512_storeu_ps (out + i + 16, p1);
    }
  for (; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);
      _mm512_mask_storeu_ps (out + i, m, _mm512_mul_ps (_mm512_maskz_loadu_ps (m, a + i),
                                                        _mm512_maskz_loadu_ps (m, b + i)));
    }
}

void
sm_avx512_scale (float *out, const float *a, float s, size_t n)
{
  __m512 vs = _mm512_set1_ps (s);
  size_t i = 0;

  for (; i + 32 <= n; i += 32)
    {
      __m512 p0 = _mm512_mul_ps (vs, _mm512_loadu_ps (a + i));
      __m512 p1 = _mm512_mul_ps (vs, _mm512_loadu_ps (a + i + 16));
      _mm512_storeu_ps (out + i, p0);
      _mm512_storeu_ps (out + i + 16, p1);
    }
  for (; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);
      _mm512_mask_storeu_ps (out + i, m, _mm512_mul_ps (vs, _mm512_maskz_loadu_ps (m, a + i)));
    }
}

/* One rounding per element (FMA) where the scalar reference has two. */
void
sm_avx512_axpy (float *y, float alpha, const float *x, size_t n)
{
  __m512 va = _mm512_set1_ps (alpha);
  size_t i = 0;

  for (; i + 32 <= n; i += 32)
    {
      __m512 y0 = _mm512_fmadd_ps (va, _mm512_loadu_ps (x + i), _mm512_loadu_ps (y + i));
      __m512 y1 = _mm512_fmadd_ps (va, _mm512_loadu_ps (x + i + 16), _mm512_loadu_ps (y + i + 16));
      _mm512_storeu_ps (y + i, y0);
      _mm512_storeu_ps (y + i + 16, y1);
    }
  for (; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);
      _mm512_mask_storeu_ps (y + i, m, _mm512_fmadd_ps (va, _mm512_maskz_loadu_ps (m, x + i),
                                                        _mm512_maskz_loadu_ps (m, y + i)));
    }
}

void
sm_avx512_broadcast_add (float *out, const float *a, const float *row, size_t rows, size_t cols)
{
  for (size_t r = 0; r < rows; r++)
    sm_avx512_add (out + r * cols, a + r * cols, row, cols);
}

/* Two passes: the maximum (exact, so lane order does not matter), then the first index
 * holding it, which stops early.  NaNs are skipped as in the reference: vmaxps returns its
 * second operand when either is NaN, and the accumulator is always the second. */
size_t
sm_avx512_argmax (const float *x, size_t n)
{
  const __m512 neg_inf = _mm512_set1_ps (-INFINITY);
  __m512 m0 = neg_inf, m1 = neg_inf, m2 = neg_inf, m3 = neg_inf;
  size_t i = 0;

  for (; i + 64 <= n; i += 64)
    {
      m0 = _mm512_max_ps (_mm512_loadu_ps (x + i), m0);
      m1 = _mm512_max_ps (_mm512_loadu_ps (x + i + 16), m1);
      m2 = _mm512_max_ps (_mm512_loadu_ps (x + i + 32), m2);
      m3 = _mm512_max_ps (_mm512_loadu_ps (x + i + 48), m3);
    }
  for (; i + 16 <= n; i += 16)
    m0 = _mm512_max_ps (_mm512_loadu_ps (x + i), m0);
  if (i < n)
    m1 = _mm512_max_ps (_mm512_mask_loadu_ps (neg_inf, tail_mask (n - i), x + i), m1);
  float best = _mm512_reduce_max_ps (_mm512_max_ps (_mm512_max_ps (m0, m1), _mm512_max_ps (m2, m3)));
  if (!(best > -INFINITY))
    return 0;

  __m512 vb = _mm512_set1_ps (best);
  for (i = 0; i + 64 <= n; i += 64)
    {
      __mmask16 e0 = _mm512_cmp_ps_mask (_mm512_loadu_ps (x + i), vb, _CMP_EQ_OQ);
      __mmask16 e1 = _mm512_cmp_ps_mask (_mm512_loadu_ps (x + i + 16), vb, _CMP_EQ_OQ);
      __mmask16 e2 = _mm512_cmp_ps_mask (_mm512_loadu_ps (x + i + 32), vb, _CMP_EQ_OQ);
      __mmask16 e3 = _mm512_cmp_ps_mask (_mm512_loadu_ps (x + i + 48), vb, _CMP_EQ_OQ);
      if ((e0 | e1 | e2 | e3) != 0)
        break;
    }
  for (; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);
      unsigned bits = _mm512_mask_cmp_ps_mask (m, _mm512_maskz_loadu_ps (m, x + i), vb, _CMP_EQ_OQ);
      if (bits)
        return i + (size_t) __builtin_ctz (bits);
    }
  return 0;
}

void
sm_avx512_f16_to_f32 (float *out, const uint16_t *in, size_t n)
{
  size_t i = 0;

  for (; i + 32 <= n; i += 32)
    {
      __m512 f0 = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (in + i)));
      __m512 f1 = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (in + i + 16)));
      _mm512_storeu_ps (out + i, f0);
      _mm512_storeu_ps (out + i + 16, f1);
    }
  for (; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);
      _mm512_mask_storeu_ps (out + i, m, _mm512_cvtph_ps (_mm256_maskz_loadu_epi16 (m, in + i)));
    }
}

static inline __m512
bf16x16_to_f32 (__m256i h)
{
  return _mm512_castsi512_ps (_mm512_slli_epi32 (_mm512_cvtepu16_epi32 (h), 16));
}

void
sm_avx512_bf16_to_f32 (float *out, const uint16_t *in, size_t n)
{
  size_t i = 0;

  for (; i + 32 <= n; i += 32)
    {
      __m512 f0 = bf16x16_to_f32 (_mm256_loadu_si256 ((const __m256i *) (in + i)));
      __m512 f1 = bf16x16_to_f32 (_mm256_loadu_si256 ((const __m256i *) (in + i + 16)));
      _mm512_storeu_ps (out + i, f0);
      _mm512_storeu_ps (out + i + 16, f1);
    }
  for (; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);
      _mm512_mask_storeu_ps (out + i, m, bf16x16_to_f32 (_mm256_maskz_loadu_epi16 (m, in + i)));
    }
}
