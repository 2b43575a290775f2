/* avx512/act.c: softmax and the MLP activations with AVX-512 F/BW/DQ/VL: 16 lanes, k-mask tails.
 * The loops are written once, over sm-simd.h, in ../simd-act.inc. */
#include "simd-act.inc"
