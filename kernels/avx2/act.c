/* avx2/act.c: softmax and the MLP activations with AVX2 + FMA.
 *
 * exp is SLEEF's expf_u10 scheme: x = k ln2 + r with |r| <= ln2/2 (ln2 split in two so
 * k ln2 is exact), e^r by a degree-7 polynomial, then 2^k.  2^k is applied as two factors
 * 2^(k/2) · 2^(k - k/2) so the results below FLT_MIN come out as correctly scaled subnormals
 * and those below 2^-150 as exactly 0, and above 88.72 as +inf; never NaN unless x is NaN.
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

static inline __m256
exp256 (__m256 x)
{
  /* vminps/vmaxps return the second operand if either is NaN: x goes second so NaN stays. */
  x = _mm256_min_ps (_mm256_set1_ps (88.8f), x);
  x = _mm256_max_ps (_mm256_set1_ps (-104.0f), x);

  __m256 k = _mm256_round_ps (_mm256_mul_ps (x, _mm256_set1_ps (1.44269504088896341f)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps (k, _mm256_set1_ps (0.693145751953125f), x);
  r = _mm256_fnmadd_ps (k, _mm256_set1_ps (1.428606765330187045e-06f), r);

  __m256 p = _mm256_set1_ps (0.000198527617612853646278381f);
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (0.00139304355252534151077271f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (0.00833336077630519866943359f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (0.0416664853692054748535156f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (0.166666671633720397949219f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (0.5f));
  p = _mm256_add_ps (_mm256_fmadd_ps (p, _mm256_mul_ps (r, r), r), _mm256_set1_ps (1.0f));

  /* k in [-150, 128]: each half of it is a normal exponent. */
  __m256i ki = _mm256_cvtps_epi32 (k);
  __m256i k1 = _mm256_srai_epi32 (ki, 1);
  __m256i k2 = _mm256_sub_epi32 (ki, k1);
  __m256 s1 = _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_add_epi32 (k1, _mm256_set1_epi32 (127)), 23));
  __m256 s2 = _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_add_epi32 (k2, _mm256_set1_epi32 (127)), 23));
  return _mm256_mul_ps (_mm256_mul_ps (p, s1), s2);
}

/* x σ(t) for any t, with z = e^-|t| in (0, 1]. */
static inline __m256
mul_sigmoid (__m256 x, __m256 t)
{
  const __m256 one = _mm256_set1_ps (1.0f);
  __m256 z = exp256 (_mm256_or_ps (t, _mm256_set1_ps (-0.0f)));
  __m256 num = _mm256_blendv_ps (one, z, t);   /* t's sign bit picks e^t / (1 + e^t) */
  return _mm256_div_ps (_mm256_mul_ps (x, num), _mm256_add_ps (one, z));
}

static inline __m256
silu256 (__m256 x)
{
  return mul_sigmoid (x, x);
}

/* x σ(2u), 2u = 2√(2/π) (x + 0.044715 x³) = x (c1 + c2 x²) */
static inline __m256
gelu256 (__m256 x)
{
  const __m256 c1 = _mm256_set1_ps (1.59576912160573071176f);
  const __m256 c2 = _mm256_set1_ps (0.07135481627260025990f);
  __m256 t = _mm256_mul_ps (x, _mm256_fmadd_ps (c2, _mm256_mul_ps (x, x), c1));
  return mul_sigmoid (x, t);
}

void
sm_avx2_softmax (float *x, size_t n)
{
  const __m256 neg_inf = _mm256_set1_ps (-INFINITY);
  __m256 m0 = neg_inf, m1 = neg_inf, m2 = neg_inf, m3 = neg_inf;
  size_t i = 0;

  if (n == 0)
    return;
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
      m1 = _mm256_max_ps (_mm256_blendv_ps (neg_inf, _mm256_maskload_ps (x + i, m),
                                            _mm256_castsi256_ps (m)), m1);
    }
  __m256 vmax = _mm256_set1_ps (hmax (_mm256_max_ps (_mm256_max_ps (m0, m1), _mm256_max_ps (m2, m3))));

  __m256 s0 = _mm256_setzero_ps (), s1 = _mm256_setzero_ps ();
  for (i = 0; i + 16 <= n; i += 16)
    {
      __m256 e0 = exp256 (_mm256_sub_ps (_mm256_loadu_ps (x + i), vmax));
      __m256 e1 = exp256 (_mm256_sub_ps (_mm256_loadu_ps (x + i + 8), vmax));
      _mm256_storeu_ps (x + i, e0);
      _mm256_storeu_ps (x + i + 8, e1);
      s0 = _mm256_add_ps (s0, e0);
      s1 = _mm256_add_ps (s1, e1);
    }
  for (; i < n; i += 8)
    {
      __m256i m = tail_mask (n - i);
      /* The masked-off lanes read as 0, and 0 - max may be large: zero them after exp. */
      __m256 e = exp256 (_mm256_sub_ps (_mm256_maskload_ps (x + i, m), vmax));
      e = _mm256_and_ps (e, _mm256_castsi256_ps (m));
      _mm256_maskstore_ps (x + i, m, e);
      s1 = _mm256_add_ps (s1, e);
    }

  __m256 inv = _mm256_set1_ps (1.0f / hsum (_mm256_add_ps (s0, s1)));
  for (i = 0; i + 16 <= n; i += 16)
    {
      _mm256_storeu_ps (x + i, _mm256_mul_ps (_mm256_loadu_ps (x + i), inv));
      _mm256_storeu_ps (x + i + 8, _mm256_mul_ps (_mm256_loadu_ps (x + i + 8), inv));
    }
  for (; i < n; i += 8)
    {
      __m256i m = tail_mask (n - i);
      _mm256_maskstore_ps (x + i, m, _mm256_mul_ps (_mm256_maskload_ps (x + i, m), inv));
    }
}

void
sm_avx2_softmax_causal (float *x, size_t n, size_t valid)
{
  if (valid > n)
    valid = n;
  sm_avx2_softmax (x, valid);
  memset (x + valid, 0, (n - valid) * sizeof *x);
}

void
sm_avx2_gelu (float *out, const float *x, size_t n)
{
  size_t i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (out + i, gelu256 (_mm256_loadu_ps (x + i)));
  if (i < n)
    {
      __m256i m = tail_mask (n - i);
      _mm256_maskstore_ps (out + i, m, gelu256 (_mm256_maskload_ps (x + i, m)));
    }
}

void
sm_avx2_silu (float *out, const float *x, size_t n)
{
  size_t i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (out + i, silu256 (_mm256_loadu_ps (x + i)));
  if (i < n)
    {
      __m256i m = tail_mask (n - i);
      _mm256_maskstore_ps (out + i, m, silu256 (_mm256_maskload_ps (x + i, m)));
    }
}

void
sm_avx2_swiglu (float *out, const float *gate, const float *up, size_t n)
{
  size_t i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (out + i, _mm256_mul_ps (silu256 (_mm256_loadu_ps (gate + i)),
                                              _mm256_loadu_ps (up + i)));
  if (i < n)
    {
      __m256i m = tail_mask (n - i);
      _mm256_maskstore_ps (out + i, m, _mm256_mul_ps (silu256 (_mm256_maskload_ps (gate + i, m)),
                                                      _mm256_maskload_ps (up + i, m)));
    }
}
