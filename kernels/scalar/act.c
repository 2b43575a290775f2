/* scalar/act.c: the portable reference for softmax and the MLP activations.
 *
 * The formulas exactly as the papers and PyTorch write them, with libm's expf and tanhf.
 * Measured against double precision (tests/test-kernels-vec.c, glibc 2.36):
 *   softmax     <= 2 ulp per element for a row of equal-magnitude entries (plus the rounding
 *               of x - max, which every float implementation shares);
 *   silu        <= 2.5 ulp relative wherever the result is above 1e-30;
 *   gelu        the literal 0.5 x (1 + tanh(u)) cancels for x < -2, where its relative error
 *               grows without bound, but |error| <= 3e-7 · max(1, |gelu(x)|) everywhere:
 *               the tail it loses is below 1e-6 in magnitude.  Kept literal on purpose: it is
 *               what the reference implementations compute.
 */
#include "sm-kernels-private.h"

#include <math.h>

void
sm_scalar_softmax (float *x, size_t n)
{
  float max = -INFINITY;
  double sum = 0.0;

  if (n == 0)
    return;
  for (size_t i = 0; i < n; i++)
    max = x[i] > max ? x[i] : max;
  /* Subtracting the max keeps every exponent <= 0: no overflow, masked -inf scores give 0. */
  for (size_t i = 0; i < n; i++)
    {
      x[i] = expf (x[i] - max);
      sum += x[i];
    }
  float inv = (float) (1.0 / sum);
  for (size_t i = 0; i < n; i++)
    x[i] *= inv;
}

void
sm_scalar_softmax_causal (float *x, size_t n, size_t valid)
{
  if (valid > n)
    valid = n;
  sm_scalar_softmax (x, valid);
  for (size_t i = valid; i < n; i++)
    x[i] = 0.0f;
}

/* 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) */
void
sm_scalar_gelu (float *out, const float *x, size_t n)
{
  const float sqrt_2_over_pi = 0.79788456080286535588f;

  for (size_t i = 0; i < n; i++)
    {
      float v = x[i];
      out[i] = 0.5f * v * (1.0f + tanhf (sqrt_2_over_pi * (v + 0.044715f * v * v * v)));
    }
}

void
sm_scalar_silu (float *out, const float *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = x[i] / (1.0f + expf (-x[i]));
}

void
sm_scalar_swiglu (float *out, const float *gate, const float *up, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = gate[i] / (1.0f + expf (-gate[i])) * up[i];
}
