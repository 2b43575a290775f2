/* sm-roofline.h: this CPU's roof, and the ops of a run as points under it.
 *
 * The roofline model (Williams, Waterman and Patterson, 2009) puts every op at its arithmetic
 * intensity (flops per byte moved) against the GFLOP/s it reached.  What an op can reach is
 * the lower of two ceilings: the peak of the kernels (flat) and the bandwidth of the memory
 * its data lives in times its intensity (a slope).  The probe measures both on this machine
 * with the project's own code: the f32 SGEMM of each kernel level on cache-resident matrices
 * (at one thread and at every CPU), and the read bandwidth of buffers sized to L1, L2, L3 and
 * beyond (DRAM), sizes from sysfs.  It takes about a second (a few ms in quick mode, which
 * the tests use) and is cached per CPU model and level set, so it runs once per machine.
 *
 * No GTK: the window reaches this through SmEngine (sm_engine_probe_roofline_async (), the
 * points through sm_engine_copy_roofline_points_async ()), the command line directly.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "sm-kernels.h"
#include "sm-profiler.h"

G_BEGIN_DECLS

typedef enum {
  SM_MEM_L1 = 0,
  SM_MEM_L2,
  SM_MEM_L3,
  SM_MEM_DRAM,
  SM_N_MEM_LEVELS
} SmMemLevel;

/* The peak of one kernel level: its SGEMM's GFLOP/s at one thread and at max_threads. */
typedef struct {
  SmKernelLevel level;
  double        gflops_1;
  double        gflops_max;
} SmRoofPeak;

typedef struct {
  char    *cpu;                           /* sm_cpu_model_name () */
  char    *levels;                        /* "scalar,avx2,...": the levels measured */
  char    *created;                       /* ISO 8601 UTC */
  int      max_threads;                   /* the CPUs the multi-thread figures used */
  gboolean quick;                         /* tiny sizes (tests): figures only roughly right */
  GArray  *peaks;                         /* SmRoofPeak, one per level this CPU runs */
  guint64  mem_bytes[SM_N_MEM_LEVELS];    /* the buffer read per thread (L3, DRAM: in all) */
  double   mem_gbps_1[SM_N_MEM_LEVELS];   /* GB/s read at one thread */
  double   mem_gbps_max[SM_N_MEM_LEVELS]; /* GB/s read at max_threads */
} SmRoofline;

/* One op of a run as a point: an op kind at one level and shape, its passes added up. */
typedef struct {
  SmOpKind      op;
  SmKernelLevel level;
  gint32        m, n, k;   /* 0 when not recorded */
  guint64       count;
  guint64       ns;
  double        flops;
  double        bytes;
} SmRoofPoint;

/* Measures this machine's roof on the calling thread, using the compute threads (whose count
 * it restores).  @quick: tiny buffers and batches, for tests.  NULL with G_IO_ERROR_CANCELLED
 * when @cancellable fires between two measurements. */
SmRoofline *sm_roofline_measure      (gboolean quick, GCancellable *cancellable, GError **error);
SmRoofline *sm_roofline_copy         (const SmRoofline *roof);
void        sm_roofline_free         (SmRoofline *roof);

/* "L1", "L2", "L3", "DRAM". */
const char *sm_mem_level_name        (SmMemLevel mem);
/* The read bandwidth of @bytes at @threads, best of @passes, in bytes/s (0 when the buffer
 * cannot be had): the decode ceiling `bench` reports, over the compute pool the kernels use. */
double      sm_roofline_read_bandwidth (size_t bytes, int threads, int passes);
/* The same plain read over memory that is already there, @n buffers (@bufs[i], @lens[i]
 * bytes; each read from its first 16-byte boundary in whole 4 KiB), at @threads, best of @passes:
 * `bench` reads a model's own weights with it, the very pages its decode streams, so that a
 * buffer of other pages (which on a virtual machine can sit on slower or faster host memory)
 * does not decide the share.  Bytes/s; 0 when there are fewer than 4 KiB. */
double      sm_roofline_read_bandwidth_of (const void *const *bufs, const size_t *lens, guint n,
                                           int threads, int passes);

/* The figures at @threads (between 1 and max_threads: in proportion between the two
 * measurements); 0 for a level that was not measured. */
double      sm_roofline_peak         (const SmRoofline *roof, SmKernelLevel level, int threads);
double      sm_roofline_bandwidth    (const SmRoofline *roof, SmMemLevel mem, int threads);
/* The memory an op's data lives in: the smallest level that holds @bytes_per_call. */
SmMemLevel  sm_roofline_mem_for      (const SmRoofline *roof, double bytes_per_call);
/* The roof over @p at @threads: min (peak of its level, intensity × bandwidth of its memory),
 * in GFLOP/s; 0 when unknown. */
double      sm_roofline_attainable   (const SmRoofline *roof, const SmRoofPoint *p, int threads);

/* The op records of a run (SmOpRecord) as points (SmRoofPoint), one per op, level and shape,
 * leaving out the ops that moved no bytes, did no flops or took no time. */
GArray     *sm_roofline_points       (const GArray *ops);
double      sm_roof_point_intensity  (const SmRoofPoint *p);   /* flop/byte */
double      sm_roof_point_gflops     (const SmRoofPoint *p);
/* "matmul 1×384×128", "attention 1×12×32", "norm" */
char       *sm_roof_point_describe   (const SmRoofPoint *p);

JsonNode   *sm_roofline_to_json      (const SmRoofline *roof);
/* NULL with SM_ROOFLINE_ERROR (as G_IO_ERROR_INVALID_DATA) for a malformed one. */
SmRoofline *sm_roofline_from_json    (JsonNode *node, GError **error);

/* $XDG_CACHE_HOME/smallmind/roofline.json */
char       *sm_roofline_cache_path   (void);
/* The cached roof of this machine (same CPU model, level set and CPU count), or NULL: no
 * file, a corrupt one or another machine's (then *@error says which, when asked). */
SmRoofline *sm_roofline_load_cache   (const char *path, GError **error);
gboolean    sm_roofline_save_cache   (const SmRoofline *roof, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmRoofline, sm_roofline_free)

G_END_DECLS
