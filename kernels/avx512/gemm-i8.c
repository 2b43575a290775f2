/* avx512/gemm-i8.c: the avx512-vnni level: AVX-512's table with prefill's int8 GEMM in
 * 512-bit AVX512-VNNI (gemm-i8.inc with 16 token lanes). */
#include "sm-kernels-private.h"

#define VL 16
#define ISA avx512_vnni
#include "gemm-i8.inc"

void
sm_kernels_fill_avx512_vnni (SmKernels *k)
{
  k->level = SM_KERNEL_LEVEL_AVX512_VNNI;
  k->name = "avx512-vnni";
  k->i8_lanes = VL;
  k->i8_pack_x = sm_avx512_vnni_i8_pack_x;
  k->i8_gemm_rows = sm_avx512_vnni_i8_gemm_rows;
}
