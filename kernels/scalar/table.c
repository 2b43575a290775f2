/* The scalar kernel table: every entry is this folder's own implementation. */
#define SM_KERNELS_WEAK 1  /* TODO(foundation): remove once every kernel exists */
#include "sm-kernels-private.h"

const SmKernels sm_kernels_table_scalar = SM_KERNELS_TABLE (scalar, SM_KERNEL_LEVEL_SCALAR, "scalar");
