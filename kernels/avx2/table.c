/* The avx2 kernel table, over a copy of the scalar one: every kernel has an AVX2 version. */
#include "sm-kernels-private.h"

void
sm_kernels_fill_avx2 (SmKernels *k)
{
  k->level = SM_KERNEL_LEVEL_AVX2;
  k->name = "avx2";
#define SET(name) SM_KERNEL_SET (k, avx2, name)
  SM_KERNELS_ALL (SET)
#undef SET
  /* prefill's int8 GEMM without VNNI (gemm-i8-maddubs.c) */
  k->i8_lanes = 8;
  k->i8_pack_x = sm_avx2_i8_pack_x;
  k->i8_gemm_rows = sm_avx2_i8_gemm_rows;
}
