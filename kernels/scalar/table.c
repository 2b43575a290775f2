/* The scalar kernel table: the reference, and the floor every other level starts from, so it
 * sets every entry. */
#include "sm-kernels-private.h"

void
sm_kernels_fill_scalar (SmKernels *k)
{
  k->level = SM_KERNEL_LEVEL_SCALAR;
  k->name = "scalar";
#define SET(name) SM_KERNEL_SET (k, scalar, name)
  SM_KERNELS_ALL (SET)
#undef SET
}
