/* avx512/vec.c: the vector kernels with AVX-512 F/BW/DQ/VL: 16 lanes, k-mask tails.
 * The loops are written once, over sm-simd.h, in ../simd-vec.inc. */
#include "simd-vec.inc"
