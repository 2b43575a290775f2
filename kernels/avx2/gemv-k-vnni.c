/* avx2/gemv-k-vnni.c: avx2/gemv-k.c's Q4_K and Q6_K GEMVs for the avx2-vnni level, where
 * AVX-VNNI's vpdpwssd does each step's scaling and adding in one instruction
 * (SM_GEMV_K_VNNI).  The sums are the same integers, so the result is the avx2 level's bit
 * for bit. */
#define SM_GEMV_K_VNNI 1
#define GEMV_Q4_K sm_avx2_vnni_gemv_q4_k
#define GEMV_Q6_K sm_avx2_vnni_gemv_q6_k
#include "gemv-k.c"
