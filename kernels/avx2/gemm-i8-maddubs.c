/* avx2/gemm-i8-maddubs.c: prefill's int8 GEMM at the avx2 level, for CPUs without AVX-VNNI
 * (Zen 3, Haswell to Alder Lake's predecessors): gemm-i8.inc with 8 token lanes, its products
 * in vpmaddubsw + vpmaddwd.  Before it, this level ran prefill as one dot an output: the 1B
 * shape's Q8_0 pp128 took 36 tok/s where the int8 GEMM (with VNNI) took 178. */
#include "sm-kernels-private.h"

#define VL 8
#define ISA avx2
#define I8_MADDUBS 1
#include "gemm-i8.inc"
