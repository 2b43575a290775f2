/* avx2/act.c: softmax and the MLP activations with AVX2 + FMA + F16C: 8 lanes, vmaskmov tails.
 * The loops are written once, over sm-simd.h, in ../simd-act.inc. */
#include "simd-act.inc"
