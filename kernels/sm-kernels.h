/* sm-kernels.h: the hot loops behind one dispatch table.
 *
 * Every kernel has a portable scalar reference and SIMD versions, one source folder per ISA
 * (kernels/scalar, kernels/avx2, kernels/avx512), each built with its own -m flags so one
 * binary runs on any x86-64.  sm_kernels() returns the table for the level in force; the level
 * is picked by cpuid at start-up and can be switched while running.  Callers never test ISA
 * flags themselves.
 *
 * Conventions: matrices are row-major; sizes are element counts; an `out` may alias its input
 * (in-place) unless the comment says otherwise.  No kernel allocates.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef enum {
  SM_KERNEL_LEVEL_AUTO = 0,   /* the best level the CPU supports */
  SM_KERNEL_LEVEL_SCALAR,
  SM_KERNEL_LEVEL_AVX2,       /* AVX2 + FMA + F16C */
  SM_KERNEL_LEVEL_AVX2_VNNI,  /* AVX2 with AVX-VNNI's 256-bit int8 dots */
  SM_KERNEL_LEVEL_AVX512,     /* AVX-512 F/BW/DQ/VL + FMA + F16C */
  SM_KERNEL_LEVEL_AVX512_VNNI,/* AVX-512 with AVX512-VNNI */
  SM_KERNEL_LEVEL_NEON,       /* slot kept for ARM; no implementation yet */
  SM_KERNEL_N_LEVELS
} SmKernelLevel;

/* GGUF's block layouts: 32 weights per block, an fp16 scale first. */
#define SM_QK 32

typedef struct {
  uint16_t d;          /* fp16 scale */
  int8_t   qs[SM_QK];  /* w = d * qs[i] */
} SmBlockQ8_0;         /* 34 bytes */

typedef struct {
  uint16_t d;              /* fp16 scale */
  uint8_t  qs[SM_QK / 2];  /* low nibbles hold weights 0..15, high nibbles 16..31; w = d * (q - 8) */
} SmBlockQ4_0;             /* 18 bytes */

G_STATIC_ASSERT (sizeof (SmBlockQ8_0) == 34);
G_STATIC_ASSERT (sizeof (SmBlockQ4_0) == 18);

typedef enum {
  SM_ROPE_NORM = 0,   /* rotate adjacent pairs (x[2i], x[2i+1]): llama2.c and GGUF `llama` */
  SM_ROPE_NEOX = 1,   /* rotate halves (x[i], x[i + rot/2]) */
} SmRopeMode;

/* A dot of one weight row with one activation row, for the types whose blocks sm-quants.h
 * lays out: k elements (a multiple of the weight's block), w in the weight type, x in its
 * activation type (vec_dot_type: Q8_0, Q8_1 or Q8_K). */
typedef float (*SmVecDotFunc) (size_t k, const void *w, const void *x);

/* The weight types the int8 GEMM reads (sm_gemm_i8 ()), in ggml's block layouts. */
typedef enum {
  SM_I8_Q8_0, SM_I8_Q4_0, SM_I8_Q4_1, SM_I8_Q5_0, SM_I8_Q5_1, SM_I8_IQ4_NL,
  SM_I8_Q2_K, SM_I8_Q3_K, SM_I8_Q4_K, SM_I8_Q5_K, SM_I8_Q6_K,
  SM_I8_N_WEIGHTS
} SmI8Weight;

typedef struct _SmKernels SmKernels;

struct _SmKernels {
  SmKernelLevel level;
  const char   *name;

  /* ---- BLAS-like ------------------------------------------------------------------------ */

  /* C = alpha * op(A) · op(B) + beta * C.  op(A) is M×K (stored K×M when trans_a), op(B) is
   * K×N (stored N×K when trans_b: the A·Bᵀ form of `x · Wᵀ`).  beta == 0 overwrites C
   * without reading it.  Any M, N, K including 0; single-threaded (see sm_gemm ()). */
  void  (*sgemm) (bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
                  float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                  float beta, float *C, size_t ldc);

  /* y[M] = A[M×K] · x[K]; y must not alias x. */
  void  (*sgemv) (size_t M, size_t K, const float *A, size_t lda, const float *x, float *y);

  /* C = A · Wᵀ + beta * C for W (N×K) packed by sm_pack_b16 () into P: the x · Wᵀ of a
   * prefill with no per-call packing of W.  beta == 0 does not read C. */
  void  (*sgemm_packed) (size_t M, size_t N, size_t K, const float *A, size_t lda,
                         const float *P, float beta, float *C, size_t ldc);
  /* y[N] = W · x for W (N×K) in P, as above: decode's x · Wᵀ on the same copy prefill reads,
   * so the two phases do not keep two copies of the weights in cache. */
  void  (*sgemv_packed) (size_t N, size_t K, const float *P, const float *x, float *y);

  /* ---- vectors -------------------------------------------------------------------------- */
  float (*dot)   (const float *a, const float *b, size_t n);
  void  (*add)   (float *out, const float *a, const float *b, size_t n);   /* out = a + b */
  void  (*mul)   (float *out, const float *a, const float *b, size_t n);   /* out = a * b */
  void  (*scale) (float *out, const float *a, float s, size_t n);          /* out = s * a */
  void  (*axpy)  (float *y, float alpha, const float *x, size_t n);        /* y += alpha * x */
  /* out[r, c] = a[r, c] + row[c]; out, a: (rows, cols) contiguous */
  void  (*broadcast_add) (float *out, const float *a, const float *row, size_t rows, size_t cols);
  size_t (*argmax) (const float *x, size_t n);   /* first index of the maximum; 0 when n == 0 */

  /* ---- activations and normalisation ---------------------------------------------------- */
  /* In-place max-subtracted softmax over x[0..n). */
  void  (*softmax) (float *x, size_t n);
  /* Causal row: softmax over x[0..valid), then x[valid..n) = 0.  valid <= n. */
  void  (*softmax_causal) (float *x, size_t n, size_t valid);
  /* GELU, tanh form: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) */
  void  (*gelu)  (float *out, const float *x, size_t n);
  void  (*silu)  (float *out, const float *x, size_t n);                  /* x · σ(x) */
  /* out = silu(gate) * up (LLaMA's SwiGLU MLP) */
  void  (*swiglu) (float *out, const float *gate, const float *up, size_t n);
  /* Fused LayerNorm: mean and variance in one pass; w, b may be NULL (identity); mean and
   * rstd, when not NULL, receive the statistics the backward pass needs. */
  void  (*layernorm) (float *out, const float *x, const float *w, const float *b, size_t n,
                      float eps, float *mean, float *rstd);
  /* out = x / sqrt(mean(x²) + eps) * w;  w may be NULL */
  void  (*rmsnorm) (float *out, const float *x, const float *w, size_t n, float eps);
  /* Rotates the first rot_dims of each of n_heads heads of x (n_heads, head_dim) in place,
   * with the position's tables cos_t[rot_dims/2], sin_t[rot_dims/2]. */
  void  (*rope) (float *x, size_t n_heads, size_t head_dim, size_t rot_dims,
                 const float *cos_t, const float *sin_t, SmRopeMode mode);

  /* ---- conversions ---------------------------------------------------------------------- */
  void  (*f16_to_f32)  (float *out, const uint16_t *in, size_t n);
  void  (*bf16_to_f32) (float *out, const uint16_t *in, size_t n);
  /* Rounds to nearest even, bit for bit sm_fp32_to_fp16 (F16C's vcvtps2ph, which neither
   * flush mode of sm-fp-mode.h changes): what an f16 KV cache stores. */
  void  (*f32_to_f16)  (uint16_t *out, const float *in, size_t n);
  /* y[N] = alpha · Aᵀ x for half-precision A (K rows of N, rows lda elements apart): decode's
   * attention scores q·kᵀ over an f16 KV cache, which holds a head as (head_dim, positions)
   * rows, so the vectors run along the positions.  y must not alias x. */
  void  (*gemv_t_f16)  (size_t K, size_t N, float alpha, const uint16_t *A, size_t lda,
                        const float *x, float *y);

  /* ---- quantized (k is a multiple of SM_QK) --------------------------------------------- */
  void  (*quantize_row_q8_0) (const float *x, SmBlockQ8_0 *y, size_t k);
  float (*vec_dot_q8_0_q8_0) (size_t k, const SmBlockQ8_0 *w, const SmBlockQ8_0 *x);
  float (*vec_dot_q4_0_q8_0) (size_t k, const SmBlockQ4_0 *w, const SmBlockQ8_0 *x);
  /* y[M] = W · x for W of M rows of k/32 blocks each (rows contiguous), x quantized to Q8_0. */
  void  (*gemv_q8_0) (size_t M, size_t k, const SmBlockQ8_0 *W, const SmBlockQ8_0 *xq, float *y);
  void  (*gemv_q4_0) (size_t M, size_t k, const SmBlockQ4_0 *W, const SmBlockQ8_0 *xq, float *y);
  /* y[M] = W · x for half-precision W (M rows of k, row stride ldw elements). */
  void  (*gemv_f16)  (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y);
  void  (*gemv_bf16) (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y);

  /* ---- ggml's other weight types (sm-quants.h): one dot each, their matmul one dot an output
   * (sm_matmul_dot) but for Q4_K and Q6_K's decode, which has a GEMV (below).  The scalar ones keep ggml's generic order of float operations; the SIMD
   * ones sum each block (or super-block) exactly in int32 and differ only in float rounding. */
  SmVecDotFunc vec_dot_q4_1_q8_1;
  SmVecDotFunc vec_dot_q5_0_q8_0;
  SmVecDotFunc vec_dot_q5_1_q8_1;
  SmVecDotFunc vec_dot_iq4_nl_q8_0;
  SmVecDotFunc vec_dot_q2_k_q8_k;
  SmVecDotFunc vec_dot_q3_k_q8_k;
  SmVecDotFunc vec_dot_q4_k_q8_k;
  SmVecDotFunc vec_dot_q5_k_q8_k;
  SmVecDotFunc vec_dot_q6_k_q8_k;
  /* y[M] = W · x for W of M rows of k/256 super-blocks each (rows contiguous) and x in Q8_K:
   * decode's matmul for the two types of a Q4_K_M file (sm_gemv_q4_k / _q6_k split it over the
   * threads).  The SIMD ones take 4 rows at a time and differ from the dots only in rounding. */
  void (*gemv_q4_k) (size_t M, size_t k, const void *W, const void *xq, float *y);
  void (*gemv_q6_k) (size_t M, size_t k, const void *W, const void *xq, float *y);
  /* ggml's quantize_row_q8_K_ref, bit for bit at every level (sm_quantize_row_q8_k () is the
   * reference): the K-quants' activations, quantized once per token and matmul input, which
   * prefill's int8 GEMM made worth a vector version.  k is a multiple of 256. */
  void (*quantize_row_q8_k) (const float *x, void *y, size_t k);

  /* ---- the int8 GEMM of prefill (the VNNI levels; 0 / NULL below them) -------------------
   * sm_gemm_i8 () drives these; sm-gemm-i8-private.h gives the layouts.  i8_lanes is the
   * tokens one vector holds.  i8_pack_x packs token groups [g0, g1) of X (n rows in the
   * weight's activation type, ldx bytes apart) into xp; i8_gemm_rows computes Y's columns
   * r0..r1 (weight rows, ldw bytes apart) for all n tokens, unpacking the weights a slab at
   * a time into @slab. */
  unsigned i8_lanes;
  void (*i8_pack_x) (SmI8Weight w, size_t n, size_t K, const void *Xq, size_t ldx,
                     size_t g0, size_t g1, void *xp);
  void (*i8_gemm_rows) (SmI8Weight w, size_t n, size_t K, const void *W, size_t ldw,
                        const void *xp, float *Y, size_t ldy, size_t r0, size_t r1, void *slab);
};

/* ---- levels ------------------------------------------------------------------------------ */

#define SM_KERNELS_ERROR (sm_kernels_error_quark ())
typedef enum {
  SM_KERNELS_ERROR_UNSUPPORTED,   /* the CPU (or this build) lacks the level */
  SM_KERNELS_ERROR_INVALID,
} SmKernelsError;
GQuark           sm_kernels_error_quark      (void);

/* The table in force (an atomic read: cheap enough to call per op). */
const SmKernels *sm_kernels                  (void);
SmKernelLevel    sm_kernels_get_level        (void);
/* What AUTO resolves to on this CPU. */
SmKernelLevel    sm_kernels_best_level       (void);
/* TRUE if this CPU and build can run @level; otherwise *why_not (when given) says why. */
gboolean         sm_kernels_level_supported  (SmKernelLevel level, const char **why_not);
/* Switches the table; refuses a level the CPU lacks, leaving the current one in force. */
gboolean         sm_kernels_set_level        (SmKernelLevel level, GError **error);
/* The table of one level, for tests and benchmarks; NULL if unsupported. */
const SmKernels *sm_kernels_for_level        (SmKernelLevel level);
const char      *sm_kernel_level_to_string   (SmKernelLevel level);
gboolean         sm_kernel_level_from_string (const char *str, SmKernelLevel *level);
/* "avx2 fma f16c avx512f ..." as detected by cpuid; and the CPU's brand string. */
const char      *sm_cpu_features             (void);
const char      *sm_cpu_model_name           (void);

/* ---- packed weights -------------------------------------------------------------------------
 * W (N×K, rows ldw apart) as panels of SM_PACK_W rows, each K rows of SM_PACK_W floats (k-major,
 * panel p holding W rows p·16 ..), N rounded up to a multiple of 2·SM_PACK_W with zero rows:
 * the layout the SGEMM micro-kernels read B in, so a weight packed once serves every prefill
 * at every level (AVX2 reads one panel per tile, AVX-512 two).  P must be 64-byte aligned. */
#define SM_PACK_W 16
size_t sm_pack_b16_floats (size_t N, size_t K);
void   sm_pack_b16        (size_t N, size_t K, const float *W, size_t ldw, float *P);

/* ---- threaded entry points (split over the compute pool, sm-threads.h) ---------------------
 * These use the table in force and the pool's thread count, and run single-threaded below
 * a size where splitting costs more than it saves. */
void sm_gemm (bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
              float alpha, const float *A, size_t lda, const float *B, size_t ldb,
              float beta, float *C, size_t ldc);
void sm_gemv (size_t M, size_t K, const float *A, size_t lda, const float *x, float *y);
/* The table's sgemm_packed, cut along N in whole tiles. */
void sm_gemm_packed (size_t M, size_t N, size_t K, const float *A, size_t lda, const float *P,
                     float beta, float *C, size_t ldc);
void sm_gemv_packed (size_t N, size_t K, const float *P, const float *x, float *y);
void sm_gemv_q8_0 (size_t M, size_t k, const SmBlockQ8_0 *W, const SmBlockQ8_0 *xq, float *y);
void sm_gemv_q4_0 (size_t M, size_t k, const SmBlockQ4_0 *W, const SmBlockQ8_0 *xq, float *y);
void sm_gemv_q4_k (size_t M, size_t k, const void *W, const void *xq, float *y);
void sm_gemv_q6_k (size_t M, size_t k, const void *W, const void *xq, float *y);
void sm_gemv_f16  (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y);
void sm_gemv_bf16 (size_t M, size_t k, const uint16_t *W, size_t ldw, const float *x, float *y);
/* Y (n_tok, M) = X (n_tok, k) · Wᵀ for quantized W (M rows); X given quantized, n_tok rows of
 * k/32 blocks.  Tiled so a slab of W stays in cache across tokens. */
void sm_gemm_q8_0 (size_t n_tok, size_t M, size_t k, const SmBlockQ8_0 *W,
                   const SmBlockQ8_0 *Xq, float *Y, size_t ldy);
void sm_gemm_q4_0 (size_t n_tok, size_t M, size_t k, const SmBlockQ4_0 *W,
                   const SmBlockQ8_0 *Xq, float *Y, size_t ldy);

/* Y (n, M) = X (n, K) · Wᵀ through the int8 GEMM of the table in force, for W of type @w (M
 * rows @ldw bytes apart) and X given in its activation type (n rows @ldx bytes apart).
 * Returns FALSE, touching nothing, when the level in force has no int8 GEMM (below VNNI):
 * the caller then runs its other matmul. */
gboolean sm_gemm_i8 (SmI8Weight w, size_t n, size_t M, size_t K, const void *W, size_t ldw,
                     const void *Xq, size_t ldx, float *Y, size_t ldy);

/* Y (n, M) = X (n, K) · Wᵀ by one @dot per output, for weight types that have a dot kernel
 * but no GEMV / GEMM of their own yet: W rows @ldw bytes apart, X rows (in the type's
 * activation type) @ldx bytes apart. */
void sm_matmul_dot (size_t n, size_t M, size_t K, const void *W, size_t ldw, const void *X,
                    size_t ldx, float *Y, size_t ldy, SmVecDotFunc dot);

/* ---- scalar helpers (not dispatched: used off the hot path) -------------------------------- */
float    sm_fp16_to_fp32 (uint16_t h);
uint16_t sm_fp32_to_fp16 (float f);           /* round to nearest even */
float    sm_bf16_to_fp32 (uint16_t h);
uint16_t sm_fp32_to_bf16 (float f);           /* round to nearest even */
void     sm_dequantize_row_q8_0 (const SmBlockQ8_0 *x, float *y, size_t k);
void     sm_dequantize_row_q4_0 (const SmBlockQ4_0 *x, float *y, size_t k);
void     sm_quantize_row_q4_0   (const float *x, SmBlockQ4_0 *y, size_t k);

G_END_DECLS
