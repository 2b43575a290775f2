/* sm-gemm-i8-private.h: the layouts the int8 GEMM's driver and its kernels share.
 *
 * sm_gemm_i8 () (sm-gemm-i8.c) sizes the buffers and splits the work over the threads; each
 * VNNI level (gemm-i8.inc, compiled once per vector width) packs the activations and runs the
 * products.  Both read the sizes here, so they cannot disagree.
 *
 * Every weight type is read as w = s · q − mn per sub-block of 16 or 32 weights: q its exact
 * small integer (int8), s a scale and mn a min (0 for the symmetric types).  The 32-weight
 * types' s and mn are their blocks' fp16 floats.  The K-quants' are integers times a float
 * of the super-block (s = d · sc, mn = dmin · m), and they are kept so: each sub-block's exact
 * int32 dot is multiplied by sc in int32 and summed over the super-block before one float
 * step, as ggml's dots do, which is both fewer operations and ggml's rounding.  The
 * activations are the int8 rows the caller quantized in the type's activation type (Q8_0,
 * Q8_1 or Q8_K, as ggml pairs them), with a float scale per sub-block (Q8_K's one per 256
 * repeated) and, for the types with a min, the scale times the sub-block's sum.  VNNI's
 * vpdpbusd multiplies unsigned bytes by signed ones, so the activations are stored as
 * x + 128 and each weight sub-block carries −128 · Σq, the int32 its product starts from:
 * the integer dot of a sub-block comes out exact.
 */
#pragma once

#include "sm-kernels.h"
#include "sm-quants.h"

G_BEGIN_DECLS

/* Weight rows unpacked at once by a thread: 32 rows of 5632 int8 are 176 KB, within L2. */
#define SM_I8_SLAB 32

typedef enum {
  SM_I8_ACT_Q8_0,   /* 34-byte blocks of 32 */
  SM_I8_ACT_Q8_1,   /* 36-byte blocks of 32, with d · Σq */
  SM_I8_ACT_Q8_K,   /* 292-byte blocks of 256, with sums per 16 */
} SmI8Act;

typedef struct {
  unsigned sub;     /* weights per scale: 16 or 32 */
  SmI8Act  act;     /* the activation type ggml pairs it with */
  gboolean min;     /* w = s · q − mn rather than s · q */
  size_t   block;   /* weights per block of the type (32 or 256) */
  gboolean kquant;  /* integer scales under a float per super-block (block 256) */
} SmI8Info;

static inline const SmI8Info *
sm_i8_info (SmI8Weight w)
{
  static const SmI8Info info[SM_I8_N_WEIGHTS] = {
    [SM_I8_Q8_0] = { 32, SM_I8_ACT_Q8_0, FALSE, 32 },
    [SM_I8_Q4_0] = { 32, SM_I8_ACT_Q8_0, FALSE, 32 },
    [SM_I8_Q4_1] = { 32, SM_I8_ACT_Q8_1, TRUE, 32 },
    [SM_I8_Q5_0] = { 32, SM_I8_ACT_Q8_0, FALSE, 32 },
    [SM_I8_Q5_1] = { 32, SM_I8_ACT_Q8_1, TRUE, 32 },
    [SM_I8_IQ4_NL] = { 32, SM_I8_ACT_Q8_0, FALSE, 32 },
    [SM_I8_Q2_K] = { 16, SM_I8_ACT_Q8_K, TRUE, 256, TRUE },
    [SM_I8_Q3_K] = { 16, SM_I8_ACT_Q8_K, FALSE, 256, TRUE },
    [SM_I8_Q4_K] = { 32, SM_I8_ACT_Q8_K, TRUE, 256, TRUE },
    [SM_I8_Q5_K] = { 32, SM_I8_ACT_Q8_K, TRUE, 256, TRUE },
    [SM_I8_Q6_K] = { 16, SM_I8_ACT_Q8_K, FALSE, 256, TRUE },
  };
  return &info[w];
}

static inline size_t
sm_i8_align64 (size_t n)
{
  return (n + 63) & ~(size_t) 63;
}

/* One group of @lanes tokens, packed: the bytes x + 128 as [K/4][lanes][4] (what one vector
 * load gives: four consecutive bytes of each token), then the scales [K/sub][lanes] (floats)
 * and the sums [K/sub][lanes]: for the 32-weight types with a min the float d · Σq, for the
 * K-quants the int32 Σq (from Q8_K's bsums). */
static inline size_t
sm_i8_group_bytes (size_t lanes, SmI8Weight w, size_t K)
{
  size_t nsub = K / sm_i8_info (w)->sub;
  return sm_i8_align64 (K * lanes + 2 * nsub * lanes * sizeof (float));
}

/* A thread's slab: q [SLAB][K] int8, then five arrays of [SLAB][K/sub] 4-byte values: s and
 * mn (floats; the K-quants' int32 sc and m), c (int32 −128 · Σq), and the K-quants' d and
 * dmin per super-block (floats, the first K/256 of each row's). */
static inline size_t
sm_i8_slab_bytes (SmI8Weight w, size_t K)
{
  size_t nsub = K / sm_i8_info (w)->sub;
  return sm_i8_align64 (SM_I8_SLAB * K) + sm_i8_align64 (5 * SM_I8_SLAB * nsub * 4);
}

G_END_DECLS
