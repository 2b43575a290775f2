/* sm-quants.h: ggml's other weight types, as scalar references bit-identical to ggml.
 *
 * The block structs are ggml's byte layouts (ggml-common.h), so a tensor's bytes in a GGUF file
 * are an array of them as they stand: the sizes are asserted below.  The 32-weight blocks
 * (Q4_1, Q5_0, Q5_1, IQ4_NL) pair with an activation block of the same size, Q8_0 for the
 * symmetric ones and Q8_1 (which also carries d * sum(q)) for those with a min; the K-quants
 * are super-blocks of SM_QK_K = 256 weights and pair with Q8_K.
 *
 * Every function follows ggml's reference order of float operations: dequantize_row_* of
 * ggml-quants.c (ggml's to_float), quantize_row_q8_K_ref / q8_1_ref, and the generic (non-SIMD)
 * ggml_vec_dot_* of ggml-cpu/quants.c.  Integer sums are exact and may be formed in any order;
 * the float steps may not.  ggml's SIMD dots reorder the float steps (per-lane FMAs, a
 * horizontal sum at the end), so they agree with these only to rounding.
 *
 * k is an element count, a multiple of the type's block size; w and x point to k / block
 * blocks.  Not dispatched: the SIMD versions, and the table entries, come later.
 */
#pragma once

#include "sm-kernels.h"

G_BEGIN_DECLS

#define SM_QK_K 256           /* weights per K-quant super-block */
#define SM_K_SCALE_SIZE 12    /* Q4_K / Q5_K: eight 6-bit scales and eight 6-bit mins */

/* ---- 32-weight blocks ---------------------------------------------------------------------- */

typedef struct {
  uint16_t d;              /* fp16 scale */
  uint16_t m;              /* fp16 min */
  uint8_t  qs[SM_QK / 2];  /* nibbles as Q4_0's; w = d * q + m */
} SmBlockQ4_1;             /* 20 bytes */

typedef struct {
  uint16_t d;              /* fp16 scale */
  uint8_t  qh[4];          /* bit i: the fifth bit of weight i (little-endian uint32) */
  uint8_t  qs[SM_QK / 2];  /* low four bits, as Q4_0's nibbles; w = d * (q - 16) */
} SmBlockQ5_0;             /* 22 bytes */

typedef struct {
  uint16_t d;              /* fp16 scale */
  uint16_t m;              /* fp16 min */
  uint8_t  qh[4];
  uint8_t  qs[SM_QK / 2];  /* as Q5_0; w = d * q + m */
} SmBlockQ5_1;             /* 24 bytes */

typedef struct {
  uint16_t d;              /* fp16 scale */
  uint16_t s;              /* fp16 of d * sum(qs): the min's term of a Q4_1 / Q5_1 dot */
  int8_t   qs[SM_QK];
} SmBlockQ8_1;             /* 36 bytes */

typedef struct {
  uint16_t d;              /* fp16 scale */
  uint8_t  qs[SM_QK / 2];  /* nibbles as Q4_0's, indices into ggml's kvalues_iq4nl */
} SmBlockIQ4_NL;           /* 18 bytes */

/* ---- 256-weight super-blocks --------------------------------------------------------------- */

typedef struct {
  uint8_t  scales[SM_QK_K / 16];  /* per 16 weights: low nibble scale, high nibble min */
  uint8_t  qs[SM_QK_K / 4];       /* 2-bit quants, four per byte */
  uint16_t d;                     /* fp16 scale of the scales */
  uint16_t dmin;                  /* fp16 scale of the mins */
} SmBlockQ2_K;                    /* 84 bytes; w = d * sc * q - dmin * m */

typedef struct {
  uint8_t  hmask[SM_QK_K / 8];    /* the third bit, clear meaning "minus 4" */
  uint8_t  qs[SM_QK_K / 4];       /* low two bits */
  uint8_t  scales[12];            /* sixteen 6-bit scales, biased by 32 */
  uint16_t d;                     /* fp16 super-block scale */
} SmBlockQ3_K;                    /* 110 bytes; w = d * (sc - 32) * q, q in -4..3 */

typedef struct {
  uint16_t d;                     /* fp16 scale of the scales */
  uint16_t dmin;                  /* fp16 scale of the mins */
  uint8_t  scales[SM_K_SCALE_SIZE];
  uint8_t  qs[SM_QK_K / 2];       /* 4-bit quants */
} SmBlockQ4_K;                    /* 144 bytes; per 32 weights w = d * sc * q - dmin * m */

typedef struct {
  uint16_t d;
  uint16_t dmin;
  uint8_t  scales[SM_K_SCALE_SIZE];
  uint8_t  qh[SM_QK_K / 8];       /* the fifth bit */
  uint8_t  qs[SM_QK_K / 2];       /* the low four bits */
} SmBlockQ5_K;                    /* 176 bytes; as Q4_K with q in 0..31 */

typedef struct {
  uint8_t  ql[SM_QK_K / 2];       /* low four bits */
  uint8_t  qh[SM_QK_K / 4];       /* high two bits */
  int8_t   scales[SM_QK_K / 16];  /* 8-bit signed scale per 16 weights */
  uint16_t d;                     /* fp16 super-block scale */
} SmBlockQ6_K;                    /* 210 bytes; w = d * sc * (q - 32) */

typedef struct {
  float    d;                     /* a float, not fp16: only ever an activation */
  int8_t   qs[SM_QK_K];
  int16_t  bsums[SM_QK_K / 16];   /* sum of each 16 qs: the min terms without the qs */
} SmBlockQ8_K;                    /* 292 bytes */

G_STATIC_ASSERT (sizeof (SmBlockQ4_1) == 20);
G_STATIC_ASSERT (sizeof (SmBlockQ5_0) == 22);
G_STATIC_ASSERT (sizeof (SmBlockQ5_1) == 24);
G_STATIC_ASSERT (sizeof (SmBlockQ8_1) == 36);
G_STATIC_ASSERT (sizeof (SmBlockIQ4_NL) == 18);
G_STATIC_ASSERT (sizeof (SmBlockQ2_K) == 84);
G_STATIC_ASSERT (sizeof (SmBlockQ3_K) == 110);
G_STATIC_ASSERT (sizeof (SmBlockQ4_K) == 144);
G_STATIC_ASSERT (sizeof (SmBlockQ5_K) == 176);
G_STATIC_ASSERT (sizeof (SmBlockQ6_K) == 210);
G_STATIC_ASSERT (sizeof (SmBlockQ8_K) == 292);

/* ggml's non-linear 4-bit grid (kvalues_iq4nl) */
extern const int8_t sm_kvalues_iq4nl[16];

/* ---- to f32 (ggml's to_float) -------------------------------------------------------------- */
void  sm_dequantize_row_q4_1   (const void *x, float *y, size_t k);
void  sm_dequantize_row_q5_0   (const void *x, float *y, size_t k);
void  sm_dequantize_row_q5_1   (const void *x, float *y, size_t k);
void  sm_dequantize_row_q8_1   (const void *x, float *y, size_t k);
void  sm_dequantize_row_iq4_nl (const void *x, float *y, size_t k);
void  sm_dequantize_row_q2_k   (const void *x, float *y, size_t k);
void  sm_dequantize_row_q3_k   (const void *x, float *y, size_t k);
void  sm_dequantize_row_q4_k   (const void *x, float *y, size_t k);
void  sm_dequantize_row_q5_k   (const void *x, float *y, size_t k);
void  sm_dequantize_row_q6_k   (const void *x, float *y, size_t k);
void  sm_dequantize_row_q8_k   (const void *x, float *y, size_t k);

/* ---- from f32 (ggml's *_ref quantizers; x must be finite) --------------------------------- */
void  sm_quantize_row_q8_k_ref (const float *x, void *y, size_t k);
void  sm_quantize_row_q8_1_ref (const float *x, void *y, size_t k);
void  sm_quantize_row_q4_1_ref (const float *x, void *y, size_t k);
void  sm_quantize_row_q5_0_ref (const float *x, void *y, size_t k);
void  sm_quantize_row_q5_1_ref (const float *x, void *y, size_t k);

/* ---- dots: w the weights, x the activations in the type's vec_dot_type -------------------- */
float sm_vec_dot_q4_1_q8_1   (size_t k, const void *w, const void *x);
float sm_vec_dot_q5_0_q8_0   (size_t k, const void *w, const void *x);
float sm_vec_dot_q5_1_q8_1   (size_t k, const void *w, const void *x);
float sm_vec_dot_iq4_nl_q8_0 (size_t k, const void *w, const void *x);
float sm_vec_dot_q2_k_q8_k   (size_t k, const void *w, const void *x);
float sm_vec_dot_q3_k_q8_k   (size_t k, const void *w, const void *x);
float sm_vec_dot_q4_k_q8_k   (size_t k, const void *w, const void *x);
float sm_vec_dot_q5_k_q8_k   (size_t k, const void *w, const void *x);
float sm_vec_dot_q6_k_q8_k   (size_t k, const void *w, const void *x);

G_END_DECLS
