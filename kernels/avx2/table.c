/* The avx2 kernel table: every entry is this folder's own implementation. */
#include "sm-kernels-private.h"

const SmKernels sm_kernels_table_avx2 = SM_KERNELS_TABLE (avx2, SM_KERNEL_LEVEL_AVX2, "avx2");
