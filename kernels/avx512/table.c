/* The avx512 kernel table: every entry is this folder's own implementation. */
#include "sm-kernels-private.h"

const SmKernels sm_kernels_table_avx512 = SM_KERNELS_TABLE (avx512, SM_KERNEL_LEVEL_AVX512, "avx512");
