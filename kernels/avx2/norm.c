/* avx2/norm.c: LayerNorm, RMSNorm and rotary embeddings with AVX2 + FMA. */
#include "sm-kernels-private.h"

#include <immintrin.h>
#include <math.h>

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

#define BLOCK 32   /* four vectors: the unit whose mean is taken in registers */

/* The moments of x[0..r) - K, r < BLOCK, through masked loads: the block's own mean first,
 * then the squared deviations from it, so nothing cancels. */
static inline Moments
moments_tail (const float *x, size_t r, __m256 vk)
{
  __m256 d[BLOCK / 8], s = _mm256_setzero_ps (), q = _mm256_setzero_ps ();
  __m256 m[BLOCK / 8];

  for (int j = 0; j < BLOCK / 8; j++)
    {
      size_t left = r > (size_t) j * 8 ? r - (size_t) j * 8 : 0;
      __m256i mj = tail_mask (left > 8 ? 8 : left);
      m[j] = _mm256_castsi256_ps (mj);
      d[j] = _mm256_and_ps (_mm256_sub_ps (_mm256_maskload_ps (x + j * 8, mj), vk), m[j]);
      s = _mm256_add_ps (s, d[j]);
    }
  Moments t = { (float) r, hsum (s) / (float) r, 0.0f };
  __m256 mu = _mm256_set1_ps (t.mean);
  for (int j = 0; j < BLOCK / 8; j++)
    {
      __m256 e = _mm256_and_ps (_mm256_sub_ps (d[j], mu), m[j]);
      q = _mm256_fmadd_ps (e, e, q);
    }
  t.m2 = hsum (q);
  return t;
}

/* One pass over x for the statistics, one more to normalise.  Everything is taken about
 * K = x[0], so the running sums stay of the order of the spread, not of |mean|: the mean
 * comes out within a few ulps of its own size however far it is from zero.  Each lane sums
 * its share of whole blocks; a block's four values per lane are centred on their own mean
 * and merged by Chan's update (all lanes hold the same count, so its factors are scalars),
 * which keeps the squared deviations free of the cancellation that sum-of-squares suffers. */
void
sm_avx2_layernorm (float *out, const float *x, const float *w, const float *b, size_t n,
                   float eps, float *mean, float *rstd)
{
  const __m256 quarter = _mm256_set1_ps (0.25f);
  const __m256 vk = _mm256_set1_ps (n > 0 ? x[0] : 0.0f);
  __m256 s1 = _mm256_setzero_ps (), m2 = _mm256_setzero_ps ();
  size_t nblk = n / BLOCK;

  for (size_t k = 0; k < nblk; k++)
    {
      const float *p = x + k * BLOCK;
      __m256 d0 = _mm256_sub_ps (_mm256_loadu_ps (p), vk);
      __m256 d1 = _mm256_sub_ps (_mm256_loadu_ps (p + 8), vk);
      __m256 d2 = _mm256_sub_ps (_mm256_loadu_ps (p + 16), vk);
      __m256 d3 = _mm256_sub_ps (_mm256_loadu_ps (p + 24), vk);
      __m256 bs = _mm256_add_ps (_mm256_add_ps (d0, d1), _mm256_add_ps (d2, d3));
      __m256 bm = _mm256_mul_ps (bs, quarter);
      __m256 e0 = _mm256_sub_ps (d0, bm), e1 = _mm256_sub_ps (d1, bm);
      __m256 e2 = _mm256_sub_ps (d2, bm), e3 = _mm256_sub_ps (d3, bm);
      __m256 q = _mm256_add_ps (_mm256_fmadd_ps (e0, e0, _mm256_mul_ps (e1, e1)),
                                _mm256_fmadd_ps (e2, e2, _mm256_mul_ps (e3, e3)));
      /* merge (4k values, mean s1 / 4k) with (4 values, mean bm) in each lane */
      float prev_inv = k > 0 ? 1.0f / (float) (4 * k) : 0.0f;
      float weight = 4.0f * (float) k / (float) (k + 1);   /* 4k · 4 / (4k + 4) */
      __m256 delta = _mm256_sub_ps (bm, _mm256_mul_ps (s1, _mm256_set1_ps (prev_inv)));
      m2 = _mm256_add_ps (m2, _mm256_fmadd_ps (_mm256_mul_ps (delta, delta), _mm256_set1_ps (weight), q));
      s1 = _mm256_add_ps (s1, bs);
    }

  /* Fold the lanes pairwise, then the tail. */
  float lane_s1[8], lane_m2[8];
  _mm256_storeu_ps (lane_s1, s1);
  _mm256_storeu_ps (lane_m2, m2);
  Moments lanes[8];
  float per_lane = (float) (nblk * (BLOCK / 8));
  for (int j = 0; j < 8; j++)
    lanes[j] = (Moments) { per_lane, per_lane > 0.0f ? lane_s1[j] / per_lane : 0.0f, lane_m2[j] };
  for (int step = 1; step < 8; step *= 2)
    for (int j = 0; j < 8; j += 2 * step)
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
  __m256 vmu = _mm256_set1_ps (mu_s), vr = _mm256_set1_ps (r);
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    {
      __m256 y = _mm256_mul_ps (_mm256_sub_ps (_mm256_loadu_ps (x + i), vmu), vr);
      if (w)
        y = _mm256_mul_ps (y, _mm256_loadu_ps (w + i));
      if (b)
        y = _mm256_add_ps (y, _mm256_loadu_ps (b + i));
      _mm256_storeu_ps (out + i, y);
    }
  if (i < n)
    {
      __m256i m = tail_mask (n - i);
      __m256 y = _mm256_mul_ps (_mm256_sub_ps (_mm256_maskload_ps (x + i, m), vmu), vr);
      if (w)
        y = _mm256_mul_ps (y, _mm256_maskload_ps (w + i, m));
      if (b)
        y = _mm256_add_ps (y, _mm256_maskload_ps (b + i, m));
      _mm256_maskstore_ps (out + i, m, y);
    }
}

void
sm_avx2_rmsnorm (float *out, const float *x, const float *w, size_t n, float eps)
{
  __m256 a0 = _mm256_setzero_ps (), a1 = _mm256_setzero_ps ();
  __m256 a2 = _mm256_setzero_ps (), a3 = _mm256_setzero_ps ();
  size_t i = 0;

  for (; i + 32 <= n; i += 32)
    {
      __m256 v0 = _mm256_loadu_ps (x + i), v1 = _mm256_loadu_ps (x + i + 8);
      __m256 v2 = _mm256_loadu_ps (x + i + 16), v3 = _mm256_loadu_ps (x + i + 24);
      a0 = _mm256_fmadd_ps (v0, v0, a0);
      a1 = _mm256_fmadd_ps (v1, v1, a1);
      a2 = _mm256_fmadd_ps (v2, v2, a2);
      a3 = _mm256_fmadd_ps (v3, v3, a3);
    }
  for (; i < n; i += 8)
    {
      __m256 v = _mm256_maskload_ps (x + i, tail_mask (n - i));
      a0 = _mm256_fmadd_ps (v, v, a0);
    }
  float ss = hsum (_mm256_add_ps (_mm256_add_ps (a0, a1), _mm256_add_ps (a2, a3)));
  __m256 vr = _mm256_set1_ps (1.0f / sqrtf ((n > 0 ? ss / (float) n : 0.0f) + eps));

  for (i = 0; i + 8 <= n; i += 8)
    {
      __m256 y = _mm256_mul_ps (_mm256_loadu_ps (x + i), vr);
      _mm256_storeu_ps (out + i, w ? _mm256_mul_ps (_mm256_loadu_ps (w + i), y) : y);
    }
  if (i < n)
    {
      __m256i m = tail_mask (n - i);
      __m256 y = _mm256_mul_ps (_mm256_maskload_ps (x + i, m), vr);
      _mm256_maskstore_ps (out + i, m, w ? _mm256_mul_ps (_mm256_maskload_ps (w + i, m), y) : y);
    }
}

/* Chunks of the tables outside, heads inside: each chunk's cos/sin vectors are built once and
 * used for every head. */
void
sm_avx2_rope (float *x, size_t n_heads, size_t head_dim, size_t rot_dims,
              const float *cos_t, const float *sin_t, SmRopeMode mode)
{
  size_t half = rot_dims / 2, i = 0;

  if (mode == SM_ROPE_NEOX)
    {
      for (; i + 8 <= half; i += 8)
        {
          __m256 c = _mm256_loadu_ps (cos_t + i), s = _mm256_loadu_ps (sin_t + i);
          for (size_t h = 0; h < n_heads; h++)
            {
              float *v = x + h * head_dim;
              __m256 a = _mm256_loadu_ps (v + i), d = _mm256_loadu_ps (v + i + half);
              _mm256_storeu_ps (v + i, _mm256_fmsub_ps (a, c, _mm256_mul_ps (d, s)));
              _mm256_storeu_ps (v + i + half, _mm256_fmadd_ps (a, s, _mm256_mul_ps (d, c)));
            }
        }
      if (i < half)
        {
          __m256i m = tail_mask (half - i);
          __m256 c = _mm256_maskload_ps (cos_t + i, m), s = _mm256_maskload_ps (sin_t + i, m);
          for (size_t h = 0; h < n_heads; h++)
            {
              float *v = x + h * head_dim;
              __m256 a = _mm256_maskload_ps (v + i, m), d = _mm256_maskload_ps (v + i + half, m);
              _mm256_maskstore_ps (v + i, m, _mm256_fmsub_ps (a, c, _mm256_mul_ps (d, s)));
              _mm256_maskstore_ps (v + i + half, m, _mm256_fmadd_ps (a, s, _mm256_mul_ps (d, c)));
            }
        }
      return;
    }

  /* NORM: a vector holds four pairs (x0, x1); with each table entry doubled, fmaddsub gives
   * x0 c - x1 s in the even lanes and x1 c + x0 s in the odd ones. */
  for (; i + 4 <= half; i += 4)
    {
      __m128 c4 = _mm_loadu_ps (cos_t + i), s4 = _mm_loadu_ps (sin_t + i);
      __m256 c = _mm256_set_m128 (_mm_unpackhi_ps (c4, c4), _mm_unpacklo_ps (c4, c4));
      __m256 s = _mm256_set_m128 (_mm_unpackhi_ps (s4, s4), _mm_unpacklo_ps (s4, s4));
      for (size_t h = 0; h < n_heads; h++)
        {
          float *v = x + h * head_dim + 2 * i;
          __m256 a = _mm256_loadu_ps (v);
          __m256 swapped = _mm256_permute_ps (a, 0xb1);
          _mm256_storeu_ps (v, _mm256_fmaddsub_ps (a, c, _mm256_mul_ps (swapped, s)));
        }
    }
  if (i < half)
    {
      __m128i m4 = _mm256_castsi256_si128 (tail_mask (half - i));
      __m256i m8 = tail_mask (2 * (half - i));
      __m128 c4 = _mm_maskload_ps (cos_t + i, m4), s4 = _mm_maskload_ps (sin_t + i, m4);
      __m256 c = _mm256_set_m128 (_mm_unpackhi_ps (c4, c4), _mm_unpacklo_ps (c4, c4));
      __m256 s = _mm256_set_m128 (_mm_unpackhi_ps (s4, s4), _mm_unpacklo_ps (s4, s4));
      for (size_t h = 0; h < n_heads; h++)
        {
          float *v = x + h * head_dim + 2 * i;
          __m256 a = _mm256_maskload_ps (v, m8);
          __m256 swapped = _mm256_permute_ps (a, 0xb1);
          _mm256_maskstore_ps (v, m8, _mm256_fmaddsub_ps (a, c, _mm256_mul_ps (swapped, s)));
        }
    }
}
