/* avx512/norm.c: LayerNorm, RMSNorm and rotary embeddings with AVX-512 F/BW/DQ/VL: 16 lanes, k-mask tails.
 * The loops are written once, over sm-simd.h, in ../simd-norm.inc. */
#include "simd-norm.inc"
