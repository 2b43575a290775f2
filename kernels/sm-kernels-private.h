/* sm-kernels-private.h: what each ISA folder must provide.
 *
 * Every ISA implements every kernel under the name sm_<isa>_<kernel>, with the signature of the
 * matching SmKernels member, and exports its table as sm_kernels_table_<isa>.  The dispatcher
 * (sm-dispatch.c) only picks a table; it never calls an ISA function by name.
 */
#pragma once

#include "sm-kernels.h"

G_BEGIN_DECLS

/* How far ahead the SGEMVs prefetch their matrix, in bytes.  A GEMV streams its matrix from
 * DRAM once; the prefetch must cover the memory latency at full bandwidth (~100 ns × 25 GB/s),
 * whatever the row length.  Four rows ahead, as before, was 4.5 KB for the 288-wide rows of
 * the stories15M shape and left DRAM idle: 8 KB took its F32 decode from ~290 to ~340 tok/s.
 * Non-temporal prefetches (to keep the layer weights in L3 while the classifier streams
 * past) measured slower on Zen 4: 236 vs 386 tok/s in the same synthetic decode. */
#define SM_GEMV_PREFETCH_BYTES 8192

/* Rows ahead to prefetch for rows of @lda floats: a multiple of the 4 rows done at once. */
static inline size_t
sm_gemv_prefetch_rows (size_t lda)
{
  size_t rows = (SM_GEMV_PREFETCH_BYTES / (lda * sizeof (float)) + 3) & ~(size_t) 3;
  return rows < 4 ? 4 : rows;
}

#define SM_DECLARE_ISA(isa)                                                                     \
  void   sm_##isa##_sgemm (bool trans_a, bool trans_b, size_t M, size_t N, size_t K,              \
                           float alpha, const float *A, size_t lda, const float *B, size_t ldb,   \
                           float beta, float *C, size_t ldc);                                     \
  void   sm_##isa##_sgemv (size_t M, size_t K, const float *A, size_t lda, const float *x,        \
                           float *y);                                                             \
  void   sm_##isa##_sgemm_packed (size_t M, size_t N, size_t K, const float *A, size_t lda,       \
                                  const float *P, float beta, float *C, size_t ldc);              \
  void   sm_##isa##_sgemv_packed (size_t N, size_t K, const float *P, const float *x, float *y);  \
  float  sm_##isa##_dot (const float *a, const float *b, size_t n);                               \
  void   sm_##isa##_add (float *out, const float *a, const float *b, size_t n);                   \
  void   sm_##isa##_mul (float *out, const float *a, const float *b, size_t n);                   \
  void   sm_##isa##_scale (float *out, const float *a, float s, size_t n);                        \
  void   sm_##isa##_axpy (float *y, float alpha, const float *x, size_t n);                       \
  void   sm_##isa##_broadcast_add (float *out, const float *a, const float *row, size_t rows,     \
                                   size_t cols);                                                  \
  size_t sm_##isa##_argmax (const float *x, size_t n);                                            \
  void   sm_##isa##_softmax (float *x, size_t n);                                                 \
  void   sm_##isa##_softmax_causal (float *x, size_t n, size_t valid);                            \
  void   sm_##isa##_gelu (float *out, const float *x, size_t n);                                  \
  void   sm_##isa##_silu (float *out, const float *x, size_t n);                                  \
  void   sm_##isa##_swiglu (float *out, const float *gate, const float *up, size_t n);            \
  void   sm_##isa##_layernorm (float *out, const float *x, const float *w, const float *b,        \
                               size_t n, float eps, float *mean, float *rstd);                    \
  void   sm_##isa##_rmsnorm (float *out, const float *x, const float *w, size_t n, float eps);    \
  void   sm_##isa##_rope (float *x, size_t n_heads, size_t head_dim, size_t rot_dims,             \
                          const float *cos_t, const float *sin_t, SmRopeMode mode);               \
  void   sm_##isa##_f16_to_f32 (float *out, const uint16_t *in, size_t n);                        \
  void   sm_##isa##_bf16_to_f32 (float *out, const uint16_t *in, size_t n);                       \
  void   sm_##isa##_quantize_row_q8_0 (const float *x, SmBlockQ8_0 *y, size_t k);                 \
  float  sm_##isa##_vec_dot_q8_0_q8_0 (size_t k, const SmBlockQ8_0 *w, const SmBlockQ8_0 *x);     \
  float  sm_##isa##_vec_dot_q4_0_q8_0 (size_t k, const SmBlockQ4_0 *w, const SmBlockQ8_0 *x);     \
  void   sm_##isa##_gemv_q8_0 (size_t M, size_t k, const SmBlockQ8_0 *W,                          \
                               const SmBlockQ8_0 *xq, float *y);                                  \
  void   sm_##isa##_gemv_q4_0 (size_t M, size_t k, const SmBlockQ4_0 *W,                          \
                               const SmBlockQ8_0 *xq, float *y);                                  \
  void   sm_##isa##_gemv_f16 (size_t M, size_t k, const uint16_t *W, size_t ldw,                  \
                              const float *x, float *y);                                          \
  void   sm_##isa##_gemv_bf16 (size_t M, size_t k, const uint16_t *W, size_t ldw,                 \
                               const float *x, float *y);                                         \
  extern const SmKernels sm_kernels_table_##isa

/* Fills an SmKernels initialiser from the sm_<isa>_* functions. */
#define SM_KERNELS_TABLE(isa, lvl, label)                                                       \
  {                                                                                               \
    .level = (lvl), .name = (label),                                                              \
    .sgemm = sm_##isa##_sgemm, .sgemv = sm_##isa##_sgemv,                                         \
    .sgemm_packed = sm_##isa##_sgemm_packed, .sgemv_packed = sm_##isa##_sgemv_packed,             \
    .dot = sm_##isa##_dot, .add = sm_##isa##_add, .mul = sm_##isa##_mul,                          \
    .scale = sm_##isa##_scale, .axpy = sm_##isa##_axpy,                                           \
    .broadcast_add = sm_##isa##_broadcast_add, .argmax = sm_##isa##_argmax,                       \
    .softmax = sm_##isa##_softmax, .softmax_causal = sm_##isa##_softmax_causal,                   \
    .gelu = sm_##isa##_gelu, .silu = sm_##isa##_silu, .swiglu = sm_##isa##_swiglu,                \
    .layernorm = sm_##isa##_layernorm, .rmsnorm = sm_##isa##_rmsnorm, .rope = sm_##isa##_rope,    \
    .f16_to_f32 = sm_##isa##_f16_to_f32, .bf16_to_f32 = sm_##isa##_bf16_to_f32,                   \
    .quantize_row_q8_0 = sm_##isa##_quantize_row_q8_0,                                            \
    .vec_dot_q8_0_q8_0 = sm_##isa##_vec_dot_q8_0_q8_0,                                            \
    .vec_dot_q4_0_q8_0 = sm_##isa##_vec_dot_q4_0_q8_0,                                            \
    .gemv_q8_0 = sm_##isa##_gemv_q8_0, .gemv_q4_0 = sm_##isa##_gemv_q4_0,                         \
    .gemv_f16 = sm_##isa##_gemv_f16, .gemv_bf16 = sm_##isa##_gemv_bf16,                           \
  }

SM_DECLARE_ISA (scalar);
SM_DECLARE_ISA (avx2);
SM_DECLARE_ISA (avx512);

G_END_DECLS
