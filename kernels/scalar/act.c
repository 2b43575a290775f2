/* scalar/act.c: the portable reference for softmax and the MLP activations.
 *
 * The formulas exactly as the papers and PyTorch write them, with libm's expf and tanhf.
 * Measured against double precision (glibc 2.36), SiLU and GELU over every float in
 * [-104, 89] (the bounds tests/test-kernels-vec.c asserts are in brackets):
 *   expf   0.50 ulp over the test's sweep of [-104, -30]                   [1 ulp]
 *   SiLU   2.4 ulp, 1.7e-7 relative, wherever |silu(x)| >= 1e-30           [3.5 ulp]
 *   GELU   2.4 ulp, 1.7e-7 relative, for x >= 0.  For x < 0 the literal 1 + tanh(u) cancels
 *          and the relative error grows without bound (200 ulp at x = -3; below x = -5.2
 *          tanhf rounds to -1 and the result to 0), but |error| <= 1.7e-7 max(1, |gelu(x)|)
 *          everywhere: what it loses is a tail below 1e-2.  Kept literal on purpose: it is
 *          what the reference implementations compute.                   [2.5 ulp; 2.5e-7]
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
