/* sm-machine.h: what a run was measured on and with: the machine and the build.
 *
 * The original's numbers swung 2–8× between runs because Debug builds and noisy machines went
 * unrecorded; every snapshot carries these so a comparison can say when it compares apples
 * with oranges.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char    *cpu_model;       /* "AMD EPYC 7B13" */
  char    *isa;             /* "sse4.2 avx2 fma f16c avx512f ..." (cpuid, as the kernels see it) */
  char    *best_level;      /* the kernel level AUTO resolves to */
  int      logical_cores;
  int      physical_cores;  /* 0 when unknown */
  guint64  memory_bytes;    /* physical memory */
  char    *os;              /* "Linux 6.1.0-18-amd64 x86_64" */
} SmMachineInfo;

typedef struct {
  char    *program;         /* "smallmind 0.1.0" */
  char    *compiler;        /* "gcc 12.2.0" */
  char    *build_type;      /* meson's buildtype: "release", "debugoptimized", "debug" ... */
  char    *optimization;    /* "3", "2", "0" ... */
  char    *cflags;          /* extra flags the build was configured with */
  char    *sanitizers;      /* "none", "address,undefined" ... */
  gboolean asserts;         /* g_assert and assert () active */
} SmBuildInfo;

void sm_machine_info_get   (SmMachineInfo *info);
void sm_machine_info_clear (SmMachineInfo *info);
void sm_build_info_get     (SmBuildInfo *info);
void sm_build_info_clear   (SmBuildInfo *info);
/* TRUE for an optimized build without sanitizers: numbers worth comparing. */
gboolean sm_build_info_is_release_like (const SmBuildInfo *info);

G_END_DECLS
