/* sm-quantize.h: f32 rows to ggml's K-quants and IQ4_NL, as llama-quantize writes them.
 *
 * Without an importance matrix llama-quantize goes through ggml_quantize_chunk, which for
 * Q2_K..Q6_K calls the *_ref quantizers of ggml-quants.c and for IQ4_NL calls quantize_iq4_nl
 * (not quantize_row_iq4_nl_ref: that one skips the scale search), so those are the methods
 * followed here: the same searches (make_qx_quants, make_q3_quants, make_qkx2_quants), the
 * same float operand order, the same fp16 roundings of the scales.  ggml builds with
 * -march=native and GNU C, where GCC may fuse a multiply and an add; these build as ISO C and
 * never fuse, so a weight sitting exactly on a rounding edge can land one step apart.
 *
 * Q4_1, Q5_0, Q5_1 and Q8_K (the activation type) are in sm-quants.h with the dequantizers.
 * The signature is the weight table's from_f32: @k elements, a multiple of the block (256,
 * or 32 for IQ4_NL); @x finite.
 */
#pragma once

#include "sm-quants.h"

G_BEGIN_DECLS

void sm_quantize_row_q2_k   (const float *x, void *y, size_t k);
void sm_quantize_row_q3_k   (const float *x, void *y, size_t k);
void sm_quantize_row_q4_k   (const float *x, void *y, size_t k);
void sm_quantize_row_q5_k   (const float *x, void *y, size_t k);
void sm_quantize_row_q6_k   (const float *x, void *y, size_t k);
void sm_quantize_row_iq4_nl (const float *x, void *y, size_t k);
/* ggml's quantize_row_q4_1_ref, q5_0_ref and q5_1_ref. */
void sm_quantize_row_q4_1_ref (const float *x, void *y, size_t k);
void sm_quantize_row_q5_0_ref (const float *x, void *y, size_t k);
void sm_quantize_row_q5_1_ref (const float *x, void *y, size_t k);

G_END_DECLS
