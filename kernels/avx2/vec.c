/* avx2/vec.c: the vector kernels with AVX2 + FMA + F16C: 8 lanes, vmaskmov tails.
 * The loops are written once, over sm-simd.h, in ../simd-vec.inc. */
#include "simd-vec.inc"
