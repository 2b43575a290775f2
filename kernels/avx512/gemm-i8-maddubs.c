/* avx512/gemm-i8-maddubs.c: prefill's int8 GEMM at the avx512 level (AVX-512BW without VNNI,
 * as Skylake-X; and the level the window's VNNI switch turns to when off): gemm-i8.inc with
 * 16 token lanes, its products in vpmaddubsw + vpmaddwd. */
#include "sm-kernels-private.h"

#define VL 16
#define ISA avx512
#define I8_MADDUBS 1
#include "gemm-i8.inc"
