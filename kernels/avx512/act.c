/* avx512/act.c: softmax and the MLP activations with AVX-512.
 *
 * exp is SLEEF's expf_u10 scheme: x = k ln2 + r with |r| <= ln2/2 (ln2 split in two so
 * k ln2 is exact), e^r by a degree-7 polynomial, then vscalefps applies 2^k with a single
 * rounding, so results below FLT_MIN are correctly rounded subnormals, those below 2^-150
 * exactly 0, those above 88.72 +inf; never NaN unless x is NaN.
 *
 * tanh appears only inside GELU, and there through exp: 0.5 (1 + tanh(u)) = σ(2u), and
 * σ(t) = 1 / (1 + e^-t) for t >= 0, e^t / (1 + e^t) for t < 0.  Both forms only ever take
 * e^-|t| <= 1, so nothing overflows and, unlike 1 + tanh(u) for u << 0, nothing cancels.
 * SiLU is x σ(x) the same way.
 *
 * Measured against double precision over every float in [-104, 89] (the bounds that
 * tests/test-kernels-vec.c asserts on its own sweep are in brackets):
 *   exp    0.99 ulp (8.3e-8 relative), subnormal results included               [1 ulp]
 *   SiLU   3.4 ulp, 2.4e-7 relative, wherever |silu(x)| >= 1e-30                  [3.5 ulp]
 *   GELU   1.9 ulp, 1.5e-7 relative, for x >= 0.  For x < 0 the float t = 2u is itself
 *          ~2 ulp off and e^t magnifies that by |t|: 2.3 (1 + |t|) ulp (14 ulp at x = -3),
 *          a tail below 1e-2 in magnitude by then; |error| <= 1.4e-7 max(1, |gelu(x)|)
 *          everywhere                                           [2.5 ulp; 2.5 (1 + |t|); 2.5e-7]
 *   tanh   never computed on its own: see above.
 */
#include "sm-kernels-private.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

static inline __mmask16
tail_mask (size_t r)
{
  return (__mmask16) ((1u << (r > 16 ? 16 : r)) - 1u);
}

static inline __m512
exp512 (__m512 x)
{
  /* vminps/vmaxps return the second operand if either is NaN: x goes second so NaN stays.
   * The clamp keeps k finite for ±inf (and k · ln2 from cancelling to NaN). */
  x = _mm512_min_ps (_mm512_set1_ps (88.8f), x);
  x = _mm512_max_ps (_mm512_set1_ps (-104.0f), x);

  __m512 k = _mm512_roundscale_ps (_mm512_mul_ps (x, _mm512_set1_ps (1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps (k, _mm512_set1_ps (0.693145751953125f), x);
  r = _mm512_fnmadd_ps (k, _mm512_set1_ps (1.428606765330187045e-06f), r);

  __m512 p = _mm512_set1_ps (0.000198527617612853646278381f);
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (0.00139304355252534151077271f));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (0.00833336077630519866943359f));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (0.0416664853692054748535156f));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (0.166666671633720397949219f));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (0.5f));
  p = _mm512_add_ps (_mm512_fmadd_ps (p, _mm512_mul_ps (r, r), r), _mm512_set1_ps (1.0f));
  return _mm512_scalef_ps (p, k);
}

/* x σ(t) for any t, with z = e^-|t| in (0, 1]. */
static inline __m512
mul_sigmoid (__m512 x, __m512 t)
{
  const __m512 one = _mm512_set1_ps (1.0f);
  __m512 z = exp512 (_mm512_castsi512_ps (_mm512_or_si512 (_mm512_castps_si512 (t),
                                                           _mm512_set1_epi32 (INT32_MIN))));
  /* t's sign bit picks e^t / (1 + e^t) */
  __mmask16 neg = _mm512_movepi32_mask (_mm512_castps_si512 (t));
  __m512 num = _mm512_mask_blend_ps (neg, one, z);
  return _mm512_div_ps (_mm512_mul_ps (x, num), _mm512_add_ps (one, z));
}

static inline __m512
silu512 (__m512 x)
{
  return mul_sigmoid (x, x);
}

/* x σ(2u), 2u = 2√(2/π) (x + 0.044715 x³) = x (c1 + c2 x²) */
static inline __m512
gelu512 (__m512 x)
{
  const __m512 c1 = _mm512_set1_ps (1.59576912160573071176f);
  const __m512 c2 = _mm512_set1_ps (0.07135481627260025990f);
  __m512 t = _mm512_mul_ps (x, _mm512_fmadd_ps (c2, _mm512_mul_ps (x, x), c1));
  return mul_sigmoid (x, t);
}

void
sm_avx512_softmax (float *x, size_t n)
{
  const __m512 neg_inf = _mm512_set1_ps (-INFINITY);
  __m512 m0 = neg_inf, m1 = neg_inf, m2 = neg_inf, m3 = neg_inf;
  size_t i = 0;

  if (n == 0)
    return;
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
  __m512 vmax = _mm512_set1_ps (_mm512_reduce_max_ps (_mm512_max_ps (_mm512_max_ps (m0, m1),
                                                                     _mm512_max_ps (m2, m3))));

  __m512 s0 = _mm512_setzero_ps (), s1 = _mm512_setzero_ps ();
  for (i = 0; i + 32 <= n; i += 32)
    {
      __m512 e0 = exp512 (_mm512_sub_ps (_mm512_loadu_ps (x + i), vmax));
      __m512 e1 = exp512 (_mm512_sub_ps (_mm512_loadu_ps (x + i + 16), vmax));
      _mm512_storeu_ps (x + i, e0);
      _mm512_storeu_ps (x + i + 16, e1);
      s0 = _mm512_add_ps (s0, e0);
      s1 = _mm512_add_ps (s1, e1);
    }
  for (; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);
      /* the masked-off lanes stay 0 in the sum */
      __m512 e = _mm512_maskz_mov_ps (m, exp512 (_mm512_sub_ps (_mm512_maskz_loadu_ps (m, x + i), vmax)));
      _mm512_mask_storeu_ps (x + i, m, e);
      s1 = _mm512_add_ps (s1, e);
    }

  __m512 inv = _mm512_set1_ps (1.0f / _mm512_reduce_add_ps (_mm512_add_ps (s0, s1)));
  for (i = 0; i + 32 <= n; i += 32)
    {
      _mm512_storeu_ps (x + i, _mm512_mul_ps (_mm512_loadu_ps (x + i), inv));
      _mm512_storeu_ps (x + i + 16, _mm512_mul_ps (_mm512_loadu_ps (x + i + 16), inv));
    }
  for (; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);
      _mm512_mask_storeu_ps (x + i, m, _mm512_mul_ps (_mm512_maskz_loadu_ps (m, x + i), inv));
    }
}

void
sm_avx512_softmax_causal (float *x, size_t n, size_t valid)
{
  if (valid > n)
    valid = n;
  sm_avx512_softmax (x, valid);
  memset (x + valid, 0, (n - valid) * sizeof *x);
}

void
sm_avx512_gelu (float *out, const float *x, size_t n)
{
  size_t i = 0;

  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps (out + i, gelu512 (_mm512_loadu_ps (x + i)));
  if (i < n)
    {
      __mmask16 m = tail_mask (n - i);
      _mm512_mask_storeu_ps (out + i, m, gelu512 (_mm512_maskz_loadu_ps (m, x + i)));
    }
}

void
sm_avx512_silu (float *out, const float *x, size_t n)
{
  size_t i = 0;

  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps (out + i, silu512 (_mm512_loadu_ps (x + i)));
  if (i < n)
    {
      __mmask16 m = tail_mask (n - i);
      _mm512_mask_storeu_ps (out + i, m, silu512 (_mm512_maskz_loadu_ps (m, x + i)));
    }
}

void
sm_avx512_swiglu (float *out, const float *gate, const float *up, size_t n)
{
  size_t i = 0;

  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps (out + i, _mm512_mul_ps (silu512 (_mm512_loadu_ps (gate + i)),
                                              _mm512_loadu_ps (up + i)));
  if (i < n)
    {
      __mmask16 m = tail_mask (n - i);
      _mm512_mask_storeu_ps (out + i, m, _mm512_mul_ps (silu512 (_mm512_maskz_loadu_ps (m, gate + i)),
                                                        _mm512_maskz_loadu_ps (m, up + i)));
    }
}
