/* The scalar kernel table: the reference, and the floor every other level starts from, so it
 * sets every entry. */
#include "sm-kernels-private.h"
#include "sm-quants.h"

void
sm_kernels_fill_scalar (SmKernels *k)
{
  k->level = SM_KERNEL_LEVEL_SCALAR;
  k->name = "scalar";
#define SET(name) SM_KERNEL_SET (k, scalar, name)
  SM_KERNELS_ALL (SET)
#undef SET
  k->quantize_row_q8_k = sm_quantize_row_q8_k;
}
