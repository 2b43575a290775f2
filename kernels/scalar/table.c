/* The scalar kernel table: every entry is this folder's own implementation. */
#include "sm-kernels-private.h"

const SmKernels sm_kernels_table_scalar = SM_KERNELS_TABLE (scalar, SM_KERNEL_LEVEL_SCALAR, "scalar");
