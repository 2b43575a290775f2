/* The avx512 kernel table, over a copy of the avx2 one.  What is left out runs the AVX2 code,
 * because the 512-bit version measured slower on Zen 4 (see avx512/gemm.c and avx512/quant.c
 * for the figures): the SGEMV, the int8 dots and their GEMVs (no VNNI at this level), and
 * gemv_f16.  The dots of sm-quants.h's 32-weight types are left to AVX2 too, unmeasured, for
 * the reason avx512/quants.c gives.  A kernel added here replaces the AVX2 one with no other change. */
#include "sm-kernels-private.h"

void
sm_kernels_fill_avx512 (SmKernels *k)
{
  k->level = SM_KERNEL_LEVEL_AVX512;
  k->name = "avx512";
#define SET(name) SM_KERNEL_SET (k, avx512, name)
  SET (sgemm)
  SET (sgemm_packed)
  SET (sgemv_packed)
  SM_KERNELS_F32 (SET)
  SET (quantize_row_q8_0)
  SET (gemv_bf16)
  SET (vec_dot_q2_k_q8_k)
  SET (vec_dot_q3_k_q8_k)
  SET (vec_dot_q4_k_q8_k)
  SET (vec_dot_q5_k_q8_k)
  SET (vec_dot_q6_k_q8_k)
  SET (gemv_q4_k)
  SET (gemv_q6_k)
  SET (quantize_row_q8_k)
#undef SET
  /* prefill's int8 GEMM without VNNI, 16 tokens a vector (gemm-i8-maddubs.c) */
  k->i8_lanes = 16;
  k->i8_pack_x = sm_avx512_i8_pack_x;
  k->i8_gemm_rows = sm_avx512_i8_gemm_rows;
}
