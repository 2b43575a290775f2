/* avx2/gemm-i8.c: the avx2-vnni level: AVX2's table with prefill's int8 GEMM in 256-bit
 * AVX-VNNI (gemm-i8.inc with 8 token lanes), for CPUs that have AVX-VNNI but not AVX-512
 * (and to compare the two widths where both exist). */
#include "sm-kernels-private.h"

#define VL 8
#define ISA avx2_vnni
#include "gemm-i8.inc"

void
sm_kernels_fill_avx2_vnni (SmKernels *k)
{
  k->level = SM_KERNEL_LEVEL_AVX2_VNNI;
  k->name = "avx2-vnni";
  k->i8_lanes = VL;
  k->i8_pack_x = sm_avx2_vnni_i8_pack_x;
  k->i8_gemm_rows = sm_avx2_vnni_i8_gemm_rows;
  /* decode's Q8_0 / Q4_0 GEMVs and their dots, with vpdpbusd (quant-vnni.c) */
  k->vec_dot_q8_0_q8_0 = sm_avx2_vnni_vec_dot_q8_0_q8_0;
  k->vec_dot_q4_0_q8_0 = sm_avx2_vnni_vec_dot_q4_0_q8_0;
  k->gemv_q8_0 = sm_avx2_vnni_gemv_q8_0;
  k->gemv_q4_0 = sm_avx2_vnni_gemv_q4_0;
  /* and the Q4_K / Q6_K GEMVs with vpdpwssd (gemv-k-vnni.c) */
  k->gemv_q4_k = sm_avx2_vnni_gemv_q4_k;
  k->gemv_q6_k = sm_avx2_vnni_gemv_q6_k;
}
