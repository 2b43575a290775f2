/* avx2/quant-vnni.c: avx2/quant.c's Q8_0 and Q4_0 dots and GEMVs with vpdpbusd
 * (SM_QUANT_VNNI) for the avx2-vnni level; the file's other kernels are built too, unused. */
#define SM_QUANT_VNNI 1
#define sm_avx2_quantize_row_q8_0 sm_avx2_vnni_quantize_row_q8_0
#define sm_avx2_vec_dot_q8_0_q8_0 sm_avx2_vnni_vec_dot_q8_0_q8_0
#define sm_avx2_gemv_q8_0 sm_avx2_vnni_gemv_q8_0
#define sm_avx2_vec_dot_q4_0_q8_0 sm_avx2_vnni_vec_dot_q4_0_q8_0
#define sm_avx2_gemv_q4_0 sm_avx2_vnni_gemv_q4_0
#define sm_avx2_gemv_f16 sm_avx2_vnni_gemv_f16
#define sm_avx2_gemv_bf16 sm_avx2_vnni_gemv_bf16
#include "../avx2/quant.c"
