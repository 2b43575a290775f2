/* scalar/norm.c: the portable reference for LayerNorm, RMSNorm and rotary embeddings. */
#include "sm-kernels-private.h"

#include <math.h>

/* One pass of Welford's update, which unlike sum and sum-of-squares does not cancel when
 * |mean| >> stddev.  It runs on x - x[0] so the running mean stays of the order of the spread:
 * rounding it at every step would otherwise cost an ulp of |mean| each time. */
void
sm_scalar_layernorm (float *out, const float *x, const float *w, const float *b, size_t n,
                     float eps, float *mean, float *rstd)
{
  float shift = n > 0 ? x[0] : 0.0f;
  float mu = 0.0f, m2 = 0.0f;   /* of x - shift */

  for (size_t i = 0; i < n; i++)
    {
      float v = x[i] - shift;
      float d = v - mu;
      mu += d / (float) (i + 1);
      m2 += d * (v - mu);
    }
  mu += shift;
  float var = n > 0 ? m2 / (float) n : 0.0f;
  float r = 1.0f / sqrtf (var + eps);

  for (size_t i = 0; i < n; i++)
    {
      float y = (x[i] - mu) * r;
      if (w)
        y *= w[i];
      if (b)
        y += b[i];
      out[i] = y;
    }
  if (mean)
    *mean = mu;
  if (rstd)
    *rstd = r;
}

/* llama2.c's order: out = w * (x * (1 / sqrt(mean(x²) + eps))) */
void
sm_scalar_rmsnorm (float *out, const float *x, const float *w, size_t n, float eps)
{
  float ss = 0.0f;

  for (size_t i = 0; i < n; i++)
    ss += x[i] * x[i];
  float r = 1.0f / sqrtf ((n > 0 ? ss / (float) n : 0.0f) + eps);

  for (size_t i = 0; i < n; i++)
    out[i] = w ? w[i] * (x[i] * r) : x[i] * r;
}

/* x: (n_heads, head_dim); pair i of a head is (x[2i], x[2i+1]) for NORM and (x[i], x[i+half])
 * for NEOX, rotated by the angle whose cos and sin are cos_t[i], sin_t[i].  Dimensions from
 * rot_dims on pass through. */
void
sm_scalar_rope (float *x, size_t n_heads, size_t head_dim, size_t rot_dims,
                const float *cos_t, const float *sin_t, SmRopeMode mode)
{
  size_t half = rot_dims / 2;

  for (size_t h = 0; h < n_heads; h++)
    {
      float *v = x + h * head_dim;

      for (size_t i = 0; i < half; i++)
        {
          size_t i0 = mode == SM_ROPE_NEOX ? i : 2 * i;
          size_t i1 = mode == SM_ROPE_NEOX ? i + half : 2 * i + 1;
          float a = v[i0], c = v[i1];

          v[i0] = a * cos_t[i] - c * sin_t[i];
          v[i1] = a * sin_t[i] + c * cos_t[i];
        }
    }
}
