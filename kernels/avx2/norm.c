/* avx2/norm.c: LayerNorm, RMSNorm and rotary embeddings with AVX2 + FMA + F16C: 8 lanes, vmaskmov tails.
 * The loops are written once, over sm-simd.h, in ../simd-norm.inc. */
#include "simd-norm.inc"
