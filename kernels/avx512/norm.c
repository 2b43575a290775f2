/* avx512/norm.c: LayerNorm, RMSNorm and rotary embeddings with AVX-512. */
#include "sm-kernels-private.h"

#include <immintrin.h>
#include <math.h>

static inline __mmask16
tail_mask (size_t r)
{
  return (__mmask16) ((1u << (r > 16 ? 16 : r)) - 1u);
}

/* Count, mean and sum of squared deviations of a set of values (Chan et al.). */
typedef struct {
  float n, mean, m2;
} Moments;

static inline Moments
moments_merge (Moments a, Moments b)
{
  if (b.n == 0.0f)
    return a;
  float n = a.n + b.n;
  float delta = b.mean - a.mean;
  Moments r = { n, a.mean + delta * (b.n / n), a.m2 + b.m2 + delta * delta * (a.n * b.n / n) };
  return r;
}

#define BLOCK 64   /* four vectors: the unit whose mean is taken in registers */

/* The moments of x[0..r) - K, r < BLOCK, through masked loads: the block's own mean first,
 * then the squared deviations from it, so nothing cancels. */
static inline Moments
moments_tail (const float *x, size_t r, __m512 vk)
{
  __m512 d[BLOCK / 16], s = _mm512_setzero_ps (), q = _mm512_setzero_ps ();
  __mmask16 m[BLOCK / 16];

  for (int j = 0; j < BLOCK / 16; j++)
    {
      m[j] = tail_mask (r > (size_t) j * 16 ? r - (size_t) j * 16 : 0);
      d[j] = _mm512_maskz_sub_ps (m[j], _mm512_maskz_loadu_ps (m[j], x + j * 16), vk);
      s = _mm512_add_ps (s, d[j]);
    }
  Moments t = { (float) r, _mm512_reduce_add_ps (s) / (float) r, 0.0f };
  __m512 mu = _mm512_set1_ps (t.mean);
  for (int j = 0; j < BLOCK / 16; j++)
    {
      __m512 e = _mm512_maskz_sub_ps (m[j], d[j], mu);
      q = _mm512_fmadd_ps (e, e, q);
    }
  t.m2 = _mm512_reduce_add_ps (q);
  return t;
}

/* One pass over x for the statistics, one more to normalise.  Everything is taken about
 * K = x[0], so the running sums stay of the order of the spread, not of |mean|: the mean
 * comes out within a few ulps of its own size however far it is from zero.  Each lane sums
 * its share of whole blocks; a block's four values per lane are centred on their own mean
 * and merged by Chan's update (all lanes hold the same count, so its factors are scalars),
 * which keeps the squared deviations free of the cancellation that sum-of-squares suffers. */
void
sm_avx512_layernorm (float *out, const float *x, const float *w, const float *b, size_t n,
                    float eps, float *mean, float *rstd)
{
  const __m512 quarter = _mm512_set1_ps (0.25f);
  const __m512 vk = _mm512_set1_ps (n > 0 ? x[0] : 0.0f);
  __m512 s1 = _mm512_setzero_ps (), m2 = _mm512_setzero_ps ();
  size_t nblk = n / BLOCK;

  for (size_t k = 0; k < nblk; k++)
    {
      const float *p = x + k * BLOCK;
      __m512 d0 = _mm512_sub_ps (_mm512_loadu_ps (p), vk);
      __m512 d1 = _mm512_sub_ps (_mm512_loadu_ps (p + 16), vk);
      __m512 d2 = _mm512_sub_ps (_mm512_loadu_ps (p + 32), vk);
      __m512 d3 = _mm512_sub_ps (_mm512_loadu_ps (p + 48), vk);
      __m512 bs = _mm512_add_ps (_mm512_add_ps (d0, d1), _mm512_add_ps (d2, d3));
      __m512 bm = _mm512_mul_ps (bs, quarter);
      __m512 e0 = _mm512_sub_ps (d0, bm), e1 = _mm512_sub_ps (d1, bm);
      __m512 e2 = _mm512_sub_ps (d2, bm), e3 = _mm512_sub_ps (d3, bm);
      __m512 q = _mm512_add_ps (_mm512_fmadd_ps (e0, e0, _mm512_mul_ps (e1, e1)),
                                _mm512_fmadd_ps (e2, e2, _mm512_mul_ps (e3, e3)));
      /* merge (4k values, mean s1 / 4k) with (4 values, mean bm) in each lane */
      float prev_inv = k > 0 ? 1.0f / (float) (4 * k) : 0.0f;
      float weight = 4.0f * (float) k / (float) (k + 1);   /* 4k · 4 / (4k + 4) */
      __m512 delta = _mm512_sub_ps (bm, _mm512_mul_ps (s1, _mm512_set1_ps (prev_inv)));
      m2 = _mm512_add_ps (m2, _mm512_fmadd_ps (_mm512_mul_ps (delta, delta), _mm512_set1_ps (weight), q));
      s1 = _mm512_add_ps (s1, bs);
    }

  /* Fold the lanes pairwise, then the tail. */
  float lane_s1[16], lane_m2[16];
  _mm512_storeu_ps (lane_s1, s1);
  _mm512_storeu_ps (lane_m2, m2);
  Moments lanes[16];
  float per_lane = (float) (nblk * (BLOCK / 16));
  for (int j = 0; j < 16; j++)
    lanes[j] = (Moments) { per_lane, per_lane > 0.0f ? lane_s1[j] / per_lane : 0.0f, lane_m2[j] };
  for (int step = 1; step < 16; step *= 2)
    for (int j = 0; j < 16; j += 2 * step)
      lanes[j] = moments_merge (lanes[j], lanes[j + step]);
  Moments all = lanes[0];
  if (n % BLOCK)
    all = moments_merge (all, moments_tail (x + nblk * BLOCK, n % BLOCK, vk));

  float mu_s = n > 0 ? x[0] + all.mean : 0.0f;
  float r = 1.0f / sqrtf ((n > 0 ? all.m2 / (float) n : 0.0f) + eps);
  if (mean)
    *mean = mu_s;
  if (rstd)
    *rstd = r;

  /* (x - mean) · rstd, not x · rstd - mean · rstd: the latter loses the digits of a large mean.
   * w and b are tested inside the loops; -O3 unswitches them. */
  __m512 vmu = _mm512_set1_ps (mu_s), vr = _mm512_set1_ps (r);
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    {
      __m512 y = _mm512_mul_ps (_mm512_sub_ps (_mm512_loadu_ps (x + i), vmu), vr);
      if (w)
        y = _mm512_mul_ps (y, _mm512_loadu_ps (w + i));
      if (b)
        y = _mm512_add_ps (y, _mm512_loadu_ps (b + i));
      _mm512_storeu_ps (out + i, y);
    }
  if (i < n)
    {
      __mmask16 m = tail_mask (n - i);
      __m512 y = _mm512_mul_ps (_mm512_sub_ps (_mm512_maskz_loadu_ps (m, x + i), vmu), vr);
      if (w)
        y = _mm512_mul_ps (y, _mm512_maskz_loadu_ps (m, w + i));
      if (b)
        y = _mm512_add_ps (y, _mm512_maskz_loadu_ps (m, b + i));
      _mm512_mask_storeu_ps (out + i, m, y);
    }
}

void
sm_avx512_rmsnorm (float *out, const float *x, const float *w, size_t n, float eps)
{
  __m512 a0 = _mm512_setzero_ps (), a1 = _mm512_setzero_ps ();
  __m512 a2 = _mm512_setzero_ps (), a3 = _mm512_setzero_ps ();
  size_t i = 0;

  for (; i + 64 <= n; i += 64)
    {
      __m512 v0 = _mm512_loadu_ps (x + i), v1 = _mm512_loadu_ps (x + i + 16);
      __m512 v2 = _mm512_loadu_ps (x + i + 32), v3 = _mm512_loadu_ps (x + i + 48);
      a0 = _mm512_fmadd_ps (v0, v0, a0);
      a1 = _mm512_fmadd_ps (v1, v1, a1);
      a2 = _mm512_fmadd_ps (v2, v2, a2);
      a3 = _mm512_fmadd_ps (v3, v3, a3);
    }
  for (; i < n; i += 16)
    {
      __m512 v = _mm512_maskz_loadu_ps (tail_mask (n - i), x + i);
      a0 = _mm512_fmadd_ps (v, v, a0);
    }
  float ss = _mm512_reduce_add_ps (_mm512_add_ps (_mm512_add_ps (a0, a1), _mm512_add_ps (a2, a3)));
  __m512 vr = _mm512_set1_ps (1.0f / sqrtf ((n > 0 ? ss / (float) n : 0.0f) + eps));

  for (i = 0; i + 16 <= n; i += 16)
    {
      __m512 y = _mm512_mul_ps (_mm512_loadu_ps (x + i), vr);
      _mm512_storeu_ps (out + i, w ? _mm512_mul_ps (_mm512_loadu_ps (w + i), y) : y);
    }
  if (i < n)
    {
      __mmask16 m = tail_mask (n - i);
      __m512 y = _mm512_mul_ps (_mm512_maskz_loadu_ps (m, x + i), vr);
      _mm512_mask_storeu_ps (out + i, m, w ? _mm512_mul_ps (_mm512_maskz_loadu_ps (m, w + i), y) : y);
    }
}

/* Chunks of the tables outside, heads inside: each chunk's cos/sin vectors are built once and
 * used for every head. */
void
sm_avx512_rope (float *x, size_t n_heads, size_t head_dim, size_t rot_dims,
                const float *cos_t, const float *sin_t, SmRopeMode mode)
{
  size_t half = rot_dims / 2;

  if (mode == SM_ROPE_NEOX)
    {
      for (size_t i = 0; i < half; i += 16)
        {
          __mmask16 m = tail_mask (half - i);
          __m512 c = _mm512_maskz_loadu_ps (m, cos_t + i), s = _mm512_maskz_loadu_ps (m, sin_t + i);
          for (size_t h = 0; h < n_heads; h++)
            {
              float *v = x + h * head_dim;
              __m512 a = _mm512_maskz_loadu_ps (m, v + i), d = _mm512_maskz_loadu_ps (m, v + i + half);
              _mm512_mask_storeu_ps (v + i, m, _mm512_fmsub_ps (a, c, _mm512_mul_ps (d, s)));
              _mm512_mask_storeu_ps (v + i + half, m, _mm512_fmadd_ps (a, s, _mm512_mul_ps (d, c)));
            }
        }
      return;
    }

  /* NORM: a vector holds eight pairs (x0, x1); with each table entry doubled, fmaddsub gives
   * x0 c - x1 s in the even lanes and x1 c + x0 s in the odd ones. */
  const __m512i dup = _mm512_setr_epi32 (0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  for (size_t i = 0; i < half; i += 8)
    {
      size_t pairs = half - i < 8 ? half - i : 8;
      __mmask8 m8 = (__mmask8) ((1u << pairs) - 1u);
      __mmask16 m16 = tail_mask (2 * pairs);
      __m512 c = _mm512_permutexvar_ps (dup, _mm512_castps256_ps512 (_mm256_maskz_loadu_ps (m8, cos_t + i)));
      __m512 s = _mm512_permutexvar_ps (dup, _mm512_castps256_ps512 (_mm256_maskz_loadu_ps (m8, sin_t + i)));
      for (size_t h = 0; h < n_heads; h++)
        {
          float *v = x + h * head_dim + 2 * i;
          __m512 a = _mm512_maskz_loadu_ps (m16, v);
          __m512 swapped = _mm512_permute_ps (a, 0xb1);
          _mm512_mask_storeu_ps (v, m16, _mm512_fmaddsub_ps (a, c, _mm512_mul_ps (swapped, s)));
        }
    }
}
