/* sm-kernels-private.h: what each ISA folder must provide.
 *
 * An ISA implements a kernel under the name sm_<isa>_<kernel>, with the signature of the
 * matching SmKernels member (SM_DECLARE_ISA declares every name a level may define), and
 * sm_kernels_fill_<isa> puts the ones it has in its table.  The scalar level has them all; a
 * SIMD level only those it does better, the rest coming from the level below.  The dispatcher
 * (sm-dispatch.c) builds and picks the tables; it never calls an ISA function by name.
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
  void   sm_##isa##_f32_to_f16 (uint16_t *out, const float *in, size_t n);                        \
  void   sm_##isa##_gemv_t_f16 (size_t K, size_t N, float alpha, const uint16_t *A, size_t lda,   \
                                const float *x, float *y);                                        \
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
  float  sm_##isa##_vec_dot_q4_1_q8_1 (size_t k, const void *w, const void *x);                   \
  float  sm_##isa##_vec_dot_q5_0_q8_0 (size_t k, const void *w, const void *x);                   \
  float  sm_##isa##_vec_dot_q5_1_q8_1 (size_t k, const void *w, const void *x);                   \
  float  sm_##isa##_vec_dot_iq4_nl_q8_0 (size_t k, const void *w, const void *x);                 \
  float  sm_##isa##_vec_dot_q2_k_q8_k (size_t k, const void *w, const void *x);                   \
  float  sm_##isa##_vec_dot_q3_k_q8_k (size_t k, const void *w, const void *x);                   \
  float  sm_##isa##_vec_dot_q4_k_q8_k (size_t k, const void *w, const void *x);                   \
  float  sm_##isa##_vec_dot_q5_k_q8_k (size_t k, const void *w, const void *x);                   \
  float  sm_##isa##_vec_dot_q6_k_q8_k (size_t k, const void *w, const void *x);                   \
  void   sm_##isa##_gemv_q4_k (size_t M, size_t k, const void *W, const void *xq, float *y);     \
  void   sm_##isa##_gemv_q6_k (size_t M, size_t k, const void *W, const void *xq, float *y)

/* Every kernel of the table, for X-macros: X (name) per SmKernels member. */
#define SM_KERNELS_F32(X)                                                                       \
  X (dot) X (add) X (mul) X (scale) X (axpy) X (broadcast_add) X (argmax)                         \
  X (softmax) X (softmax_causal) X (gelu) X (silu) X (swiglu)                                     \
  X (layernorm) X (rmsnorm) X (rope) X (f16_to_f32) X (bf16_to_f32) X (f32_to_f16) X (gemv_t_f16)
#define SM_KERNELS_ALL(X) SM_KERNELS_BASE (X) SM_KERNELS_QUANTS (X)
#define SM_KERNELS_BASE(X)                                                                      \
  X (sgemm) X (sgemv) X (sgemm_packed) X (sgemv_packed) SM_KERNELS_F32 (X)                        \
  X (quantize_row_q8_0) X (vec_dot_q8_0_q8_0) X (vec_dot_q4_0_q8_0)                               \
  X (gemv_q8_0) X (gemv_q4_0) X (gemv_f16) X (gemv_bf16)
/* The dots of sm-quants.h's types. */
#define SM_KERNELS_QUANTS(X)                                                                    \
  X (vec_dot_q4_1_q8_1) X (vec_dot_q5_0_q8_0) X (vec_dot_q5_1_q8_1) X (vec_dot_iq4_nl_q8_0)       \
  X (vec_dot_q2_k_q8_k) X (vec_dot_q3_k_q8_k) X (vec_dot_q4_k_q8_k) X (vec_dot_q5_k_q8_k)         \
  X (vec_dot_q6_k_q8_k) X (gemv_q4_k) X (gemv_q6_k)

/* Overrides in @k the kernels this level has.  The dispatcher calls it on a copy of the level
 * below's table (scalar's for avx2, avx2's for avx512; scalar's own is all NULL and it sets
 * every entry), so a level lacks a kernel simply by not setting it: the lower level's runs,
 * with no forwarding function.  In a fill function, SM_KERNEL_SET (k, avx2, dot) is
 * k->dot = sm_avx2_dot. */
#define SM_KERNEL_SET(k, isa, name) ((k)->name = sm_##isa##_##name);
void sm_kernels_fill_scalar (SmKernels *k);
void sm_kernels_fill_avx2   (SmKernels *k);
void sm_kernels_fill_avx512 (SmKernels *k);
/* The VNNI levels: over a copy of avx2's and avx512's tables, the int8 GEMM in vpdpbusd and
 * decode's Q8_0 / Q4_0 kernels (and at avx512-vnni its Q4_K / Q6_K GEMVs in vpdpwssd). */
void sm_kernels_fill_avx2_vnni   (SmKernels *k);
void sm_kernels_fill_avx512_vnni (SmKernels *k);

SM_DECLARE_ISA (scalar);
SM_DECLARE_ISA (avx2);
SM_DECLARE_ISA (avx512);
void sm_avx512_quantize_row_q8_k (const float *x, void *y, size_t k);

#define SM_DECLARE_I8(isa)                                                                      \
  void sm_##isa##_i8_pack_x (SmI8Weight w, size_t n, size_t K, const void *Xq, size_t ldx,        \
                             size_t g0, size_t g1, void *xp);                                     \
  void sm_##isa##_i8_gemm_rows (SmI8Weight w, size_t n, size_t K, const void *W, size_t ldw,      \
                                const void *xp, float *Y, size_t ldy, size_t r0, size_t r1,       \
                                void *slab)
SM_DECLARE_I8 (avx2);          /* without VNNI: vpmaddubsw + vpmaddwd */
SM_DECLARE_I8 (avx512);
SM_DECLARE_I8 (avx2_vnni);
SM_DECLARE_I8 (avx512_vnni);

/* avx2/quant.c's int8 kernels built again with vpdpbusd (avx2/quant-vnni.c, avx512/quant-vnni.c) */
#define SM_DECLARE_QUANT_VNNI(isa)                                                              \
  float  sm_##isa##_vec_dot_q8_0_q8_0 (size_t k, const SmBlockQ8_0 *w, const SmBlockQ8_0 *x);     \
  float  sm_##isa##_vec_dot_q4_0_q8_0 (size_t k, const SmBlockQ4_0 *w, const SmBlockQ8_0 *x);     \
  void   sm_##isa##_gemv_q8_0 (size_t M, size_t k, const SmBlockQ8_0 *W,                          \
                               const SmBlockQ8_0 *xq, float *y);                                  \
  void   sm_##isa##_gemv_q4_0 (size_t M, size_t k, const SmBlockQ4_0 *W,                          \
                               const SmBlockQ8_0 *xq, float *y)
SM_DECLARE_QUANT_VNNI (avx2_vnni);
SM_DECLARE_QUANT_VNNI (avx512_vnni);
/* avx512/gemv-k.c built again with vpdpwssd (avx512/gemv-k-vnni.c) */
void sm_avx512_vnni_gemv_q4_k (size_t M, size_t k, const void *W, const void *xq, float *y);
void sm_avx512_vnni_gemv_q6_k (size_t M, size_t k, const void *W, const void *xq, float *y);
/* avx2/gemv-k.c built again with AVX-VNNI's vpdpwssd (avx2/gemv-k-vnni.c) */
void sm_avx2_vnni_gemv_q4_k (size_t M, size_t k, const void *W, const void *xq, float *y);
void sm_avx2_vnni_gemv_q6_k (size_t M, size_t k, const void *W, const void *xq, float *y);

G_END_DECLS
