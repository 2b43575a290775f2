/* sm-roofline.c: the roof probe, its cache, and a run's ops as points under it. */
#define G_LOG_DOMAIN "SmRoofline"

#include "sm-roofline.h"

#include "sm-atomic-file.h"
#include "sm-json.h"
#include "sm-threads.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define CACHE_VERSION 1

static const char *const mem_names[SM_N_MEM_LEVELS] = { "L1", "L2", "L3", "DRAM" };

const char *
sm_mem_level_name (SmMemLevel mem)
{
  return (guint) mem < SM_N_MEM_LEVELS ? mem_names[mem] : "unknown";
}

/* ---- read bandwidth ------------------------------------------------------------------------- */

typedef struct {
  const guint64 *buf;
  size_t n;                      /* guint64s in buf */
  int reps;                      /* times each thread reads its share */
  guint64 sums[SM_MAX_THREADS];  /* kept so the reads are not optimised away */
} ReadJob;

/* The probe measures the hardware: a sanitizer's check of every load would make the L1
 * buffer read no faster than DRAM's. */
#if defined(__GNUC__) || defined(__clang__)
#define SM_NO_SANITIZE __attribute__ ((no_sanitize ("address", "undefined")))
#else
#define SM_NO_SANITIZE
#endif

/* Two 64-bit lanes: SSE2 on every x86-64, so the reader does not depend on the compiler
 * vectorising it (a -O2 build's scalar loop could not read L1 faster than DRAM). */
typedef guint64 U64x2 __attribute__ ((vector_size (16)));

/* Eight independent sums of 16 bytes: enough loads in flight that the core is never what
 * limits. */
SM_NO_SANITIZE static void
read_task (void *user, int ith, int nth)
{
  ReadJob *j = user;
  size_t first, last;
  U64x2 s0 = { 0 }, s1 = { 0 }, s2 = { 0 }, s3 = { 0 }, s4 = { 0 }, s5 = { 0 }, s6 = { 0 }, s7 = { 0 };

  sm_threads_range (j->n, ith, nth, 8 * 64, &first, &last);   /* ranges of whole 512s */
  for (int r = 0; r < j->reps; r++)
    for (size_t i = first; i < last; i += 16)
      {
        /* the buffer is malloc's, 16-byte aligned, and i a multiple of 16 */
        const U64x2 *v = (const U64x2 *) (j->buf + i);
        s0 += v[0], s1 += v[1], s2 += v[2], s3 += v[3];
        s4 += v[4], s5 += v[5], s6 += v[6], s7 += v[7];
      }
  s0 ^= s1 ^ s2 ^ s3 ^ s4 ^ s5 ^ s6 ^ s7;
  j->sums[ith] = s0[0] ^ s0[1];
}

typedef struct {
  guint64 *buf;
  size_t n;
} FillJob;

/* Each thread touches its own share first, so the pages are there (and, for a cache-sized
 * share, the lines in that thread's cache) before any timing. */
static void
fill_task (void *user, int ith, int nth)
{
  FillJob *j = user;
  size_t first, last;

  sm_threads_range (j->n, ith, nth, 8 * 64, &first, &last);
  for (size_t i = first; i < last; i++)
    j->buf[i] = i * 0x9e3779b97f4a7c15ULL;
}

/* @bytes in all, each of @threads reading its share @reps times a pass; bytes/s. */
static double
read_bandwidth (size_t bytes, int threads, int reps, int passes)
{
  const int old = sm_threads_get_count ();
  const size_t n = MAX (bytes / sizeof (guint64) / 512 * 512, 512);
  g_autofree guint64 *buf = g_try_new (guint64, n);
  FillJob fill = { .n = n };
  ReadJob read = { .n = n, .reps = reps };
  double best = 0.0;

  if (buf == NULL)
    return 0.0;
  sm_threads_set_count (threads);
  fill.buf = buf;
  sm_threads_run (threads, fill_task, &fill);
  read.buf = buf;
  /* one pass to wake the workers and walk the page tables, then the best of @passes */
  sm_threads_run (threads, read_task, &read);
  for (int p = 0; p < passes; p++)
    {
      gint64 t0 = g_get_monotonic_time ();
      sm_threads_run (threads, read_task, &read);
      gint64 t1 = g_get_monotonic_time ();
      best = MAX (best, (double) (n * sizeof (guint64)) * reps * 1e6 / (double) MAX (t1 - t0, 1));
    }
  sm_threads_set_count (old);
  return best;
}

double
sm_roofline_read_bandwidth (size_t bytes, int threads, int passes)
{
  return read_bandwidth (bytes, threads, 1, passes);
}

double
sm_roofline_read_bandwidth_of (const void *const *bufs, const size_t *lens, guint n, int threads,
                               int passes)
{
  const int old = sm_threads_get_count ();
  g_autofree ReadJob *jobs = g_new0 (ReadJob, MAX (n, 1));
  size_t total = 0;
  double best = 0.0;

  /* each buffer from its first 16-byte boundary, in whole 4 KiB (read_task's ranges are
   * whole 512s of 8 bytes) */
  for (guint i = 0; i < n; i++)
    {
      const guintptr a = ((guintptr) bufs[i] + 15) & ~(guintptr) 15;
      const size_t skip = (size_t) (a - (guintptr) bufs[i]);
      jobs[i].buf = (const guint64 *) a;
      jobs[i].n = lens[i] > skip ? (lens[i] - skip) / 4096 * 512 : 0;
      jobs[i].reps = 1;
      total += jobs[i].n * sizeof (guint64);
    }
  if (total == 0)
    return 0.0;
  sm_threads_set_count (threads);
  /* one pass unmeasured, as read_bandwidth's: a mapped file's pages may not be in memory yet */
  for (int p = -1; p < passes; p++)
    {
      gint64 t0 = g_get_monotonic_time ();
      for (guint i = 0; i < n; i++)
        if (jobs[i].n > 0)
          sm_threads_run (threads, read_task, &jobs[i]);
      gint64 t1 = g_get_monotonic_time ();
      if (p >= 0)
        best = MAX (best, (double) total * 1e6 / (double) MAX (t1 - t0, 1));
    }
  sm_threads_set_count (old);
  return best;
}

/* ---- peak FLOP/s ---------------------------------------------------------------------------- */

typedef struct {
  const SmKernels *k;
  size_t n;                       /* square size */
  int reps;
  float *bufs[SM_MAX_THREADS];    /* per thread: A, B, C of n×n each */
} GemmJob;

/* Each thread its own product on its own matrices: the peak of a core times the cores,
 * not the splitting of one product (which `bench kernels` times). */
static void
gemm_task (void *user, int ith, int nth)
{
  GemmJob *j = user;
  const size_t nn = j->n * j->n;
  float *a = j->bufs[ith], *b = a + nn, *c = b + nn;

  (void) nth;
  for (int r = 0; r < j->reps; r++)
    j->k->sgemm (false, true, j->n, j->n, j->n, 1.0f, a, j->n, b, j->n, 0.0f, c, j->n);
}

static double
time_gemm (GemmJob *j, int threads)
{
  gint64 t0 = g_get_monotonic_time ();
  sm_threads_run (threads, gemm_task, j);
  return (double) MAX (g_get_monotonic_time () - t0, 1) * 1e3;   /* ns */
}

/* GFLOP/s of @k's SGEMM at @threads: batches of about @target_ns, best of @passes. */
static double
measure_peak (const SmKernels *k, size_t n, int threads, double target_ns, int passes)
{
  const int old = sm_threads_get_count ();
  GemmJob j = { .k = k, .n = n, .reps = 1 };
  double one, best = 0.0;

  for (int t = 0; t < threads; t++)
    {
      j.bufs[t] = g_new (float, 3 * n * n);
      for (size_t i = 0; i < 3 * n * n; i++)
        j.bufs[t][i] = (float) ((i * 7 + (size_t) t) % 13) * 0.125f - 0.75f;
    }
  sm_threads_set_count (threads);
  time_gemm (&j, threads);                 /* warm: the lines in cache, the workers awake */
  one = time_gemm (&j, threads);
  j.reps = (int) CLAMP (target_ns / one, 1, 100000);
  for (int p = 0; p < passes; p++)
    best = MAX (best, 2.0 * n * n * n * j.reps * threads / time_gemm (&j, threads));
  sm_threads_set_count (old);
  for (int t = 0; t < threads; t++)
    g_free (j.bufs[t]);
  return best;
}

/* ---- cache sizes ---------------------------------------------------------------------------- */

static guint64
read_sysfs_size (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "size", NULL);
  g_autofree char *text = NULL;
  char *end;
  guint64 v;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  v = g_ascii_strtoull (text, &end, 10);
  if (*end == 'K')
    v <<= 10;
  else if (*end == 'M')
    v <<= 20;
  return v;
}

/* Data cache sizes of cpu0 by level (1..3) from sysfs; sensible defaults where it says none. */
static void
cache_sizes (guint64 sizes[4])
{
  sizes[1] = 32 << 10;
  sizes[2] = 512 << 10;
  sizes[3] = 8 << 20;
  for (int i = 0; i < 8; i++)
    {
      g_autofree char *dir = g_strdup_printf ("/sys/devices/system/cpu/cpu0/cache/index%d", i);
      g_autofree char *lpath = g_build_filename (dir, "level", NULL);
      g_autofree char *tpath = g_build_filename (dir, "type", NULL);
      g_autofree char *level = NULL, *type = NULL;
      guint64 l, size;

      if (!g_file_get_contents (lpath, &level, NULL, NULL) || !g_file_get_contents (tpath, &type, NULL, NULL))
        continue;
      l = g_ascii_strtoull (level, NULL, 10);
      if (l < 1 || l > 3 || g_str_has_prefix (type, "Instruction") || (size = read_sysfs_size (dir)) == 0)
        continue;
      sizes[l] = size;
    }
}

/* ---- the probe ------------------------------------------------------------------------------ */

static int
probe_threads (void)
{
  return CLAMP ((int) g_get_num_processors (), 1, SM_MAX_THREADS);
}

static char *
level_set (void)
{
  GString *s = g_string_new (NULL);

  for (int l = SM_KERNEL_LEVEL_SCALAR; l < SM_KERNEL_N_LEVELS; l++)
    if (sm_kernels_level_supported ((SmKernelLevel) l, NULL))
      g_string_append_printf (s, "%s%s", s->len ? "," : "", sm_kernel_level_to_string ((SmKernelLevel) l));
  return g_string_free (s, FALSE);
}

static gboolean
cancelled (GCancellable *cancellable, GError **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

SmRoofline *
sm_roofline_measure (gboolean quick, GCancellable *cancellable, GError **error)
{
  g_autoptr (SmRoofline) roof = g_new0 (SmRoofline, 1);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  const size_t n = quick ? 48 : 128;                 /* 3 × 64 KB: in L2, not in L1 */
  const double target_ns = quick ? 0.5e6 : 2e6;
  const int passes = quick ? 2 : 15;   /* best of many short batches: one a shared machine leaves alone */
  const double read_target = quick ? 32e6 : 128e6;    /* bytes a cache pass reads */
  guint64 caches[4];
  const int nths[2] = { 1, probe_threads () };

  roof->cpu = g_strdup (sm_cpu_model_name ());
  roof->levels = level_set ();
  roof->created = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  roof->max_threads = nths[1];
  roof->quick = quick;
  roof->peaks = g_array_new (FALSE, TRUE, sizeof (SmRoofPeak));

  for (int l = SM_KERNEL_LEVEL_SCALAR; l < SM_KERNEL_N_LEVELS; l++)
    {
      const SmKernels *k = sm_kernels_for_level ((SmKernelLevel) l);
      SmRoofPeak peak = { .level = (SmKernelLevel) l };

      if (k == NULL)
        continue;
      if (cancelled (cancellable, error))
        return NULL;
      peak.gflops_1 = measure_peak (k, n, 1, target_ns, passes);
      peak.gflops_max = nths[1] > 1 ? measure_peak (k, n, nths[1], target_ns, passes) : peak.gflops_1;
      g_array_append_val (roof->peaks, peak);
    }

  /* L1 and L2 are each core's: every thread reads a share that fits its own; L3 is shared
   * (half of it in all), and DRAM's buffer is four times L3 so that next to none of it hits */
  cache_sizes (caches);
  roof->mem_bytes[SM_MEM_L1] = caches[1] / 2;
  roof->mem_bytes[SM_MEM_L2] = caches[2] / 2;
  roof->mem_bytes[SM_MEM_L3] = caches[3] / 2;
  roof->mem_bytes[SM_MEM_DRAM] = MAX (caches[3] * (quick ? 2 : 4), (guint64) 32 << 20);
  for (int m = 0; m < SM_N_MEM_LEVELS; m++)
    for (int t = 0; t < 2; t++)
      {
        const int nth = nths[t];
        const size_t bytes = m <= SM_MEM_L2 ? roof->mem_bytes[m] * nth : roof->mem_bytes[m];
        const int reps = m == SM_MEM_DRAM ? 1 : (int) MAX (read_target / bytes, 1);
        double gbps;

        if (cancelled (cancellable, error))
          return NULL;
        gbps = t == 1 && nth == 1 ? roof->mem_gbps_1[m] : read_bandwidth (bytes, nth, reps, passes) / 1e9;
        if (t == 0)
          roof->mem_gbps_1[m] = gbps;
        else
          roof->mem_gbps_max[m] = gbps;
      }
  return g_steal_pointer (&roof);
}

SmRoofline *
sm_roofline_copy (const SmRoofline *roof)
{
  SmRoofline *c;

  g_return_val_if_fail (roof != NULL, NULL);
  c = g_memdup2 (roof, sizeof *roof);
  c->cpu = g_strdup (roof->cpu);
  c->levels = g_strdup (roof->levels);
  c->created = g_strdup (roof->created);
  c->peaks = g_array_copy (roof->peaks);
  return c;
}

void
sm_roofline_free (SmRoofline *roof)
{
  if (roof == NULL)
    return;
  g_free (roof->cpu);
  g_free (roof->levels);
  g_free (roof->created);
  g_clear_pointer (&roof->peaks, g_array_unref);
  g_free (roof);
}

/* ---- reading the roof ------------------------------------------------------------------------- */

static double
at_threads (const SmRoofline *roof, double one, double max, int threads)
{
  if (roof->max_threads <= 1 || threads <= 1)
    return one;
  if (threads >= roof->max_threads)
    return max;
  return one + (max - one) * (threads - 1) / (roof->max_threads - 1);
}

double
sm_roofline_peak (const SmRoofline *roof, SmKernelLevel level, int threads)
{
  g_return_val_if_fail (roof != NULL, 0.0);
  for (guint i = 0; i < roof->peaks->len; i++)
    {
      const SmRoofPeak *p = &g_array_index (roof->peaks, SmRoofPeak, i);
      if (p->level == level)
        return at_threads (roof, p->gflops_1, p->gflops_max, threads);
    }
  return 0.0;
}

double
sm_roofline_bandwidth (const SmRoofline *roof, SmMemLevel mem, int threads)
{
  g_return_val_if_fail (roof != NULL && (guint) mem < SM_N_MEM_LEVELS, 0.0);
  return at_threads (roof, roof->mem_gbps_1[mem], roof->mem_gbps_max[mem], threads);
}

SmMemLevel
sm_roofline_mem_for (const SmRoofline *roof, double bytes_per_call)
{
  /* the buffers were half of each cache: an op's data fits a level up to its whole size */
  for (int m = SM_MEM_L1; m < SM_MEM_DRAM; m++)
    if (bytes_per_call <= 2.0 * (double) roof->mem_bytes[m])
      return (SmMemLevel) m;
  return SM_MEM_DRAM;
}

double
sm_roofline_attainable (const SmRoofline *roof, const SmRoofPoint *p, int threads)
{
  double peak, bw;

  g_return_val_if_fail (roof != NULL && p != NULL, 0.0);
  if (p->count == 0 || p->bytes <= 0)
    return 0.0;
  peak = sm_roofline_peak (roof, p->level, threads);
  bw = sm_roofline_bandwidth (roof, sm_roofline_mem_for (roof, p->bytes / (double) p->count), threads);
  if (peak <= 0 || bw <= 0)
    return 0.0;
  return MIN (peak, sm_roof_point_intensity (p) * bw);
}

/* ---- points ----------------------------------------------------------------------------------- */

GArray *
sm_roofline_points (const GArray *ops)
{
  GArray *points = g_array_new (FALSE, TRUE, sizeof (SmRoofPoint));

  g_return_val_if_fail (ops != NULL, points);
  for (guint i = 0; i < ops->len; i++)
    {
      const SmOpRecord *r = &g_array_index (ops, SmOpRecord, i);
      SmRoofPoint *p = NULL;

      if (r->count == 0 || r->ns == 0 || r->flops <= 0 || r->bytes <= 0)
        continue;
      for (guint j = 0; j < points->len && p == NULL; j++)
        {
          SmRoofPoint *q = &g_array_index (points, SmRoofPoint, j);
          if (q->op == r->op && q->level == r->level && q->m == r->m && q->n == r->n && q->k == r->k)
            p = q;
        }
      if (p == NULL)
        {
          SmRoofPoint fresh = { .op = r->op, .level = r->level, .m = r->m, .n = r->n, .k = r->k };
          g_array_append_val (points, fresh);
          p = &g_array_index (points, SmRoofPoint, points->len - 1);
        }
      p->count += r->count;
      p->ns += r->ns;
      p->flops += r->flops;
      p->bytes += r->bytes;
    }
  return points;
}

double
sm_roof_point_intensity (const SmRoofPoint *p)
{
  return p->bytes > 0 ? p->flops / p->bytes : 0.0;
}

double
sm_roof_point_gflops (const SmRoofPoint *p)
{
  return p->ns ? p->flops / (double) p->ns : 0.0;
}

char *
sm_roof_point_describe (const SmRoofPoint *p)
{
  if (p->m == 0 && p->n == 0 && p->k == 0)
    return g_strdup (sm_op_kind_name (p->op));
  return g_strdup_printf ("%s %d×%d×%d", sm_op_kind_name (p->op), p->m, p->n, p->k);
}

/* ---- JSON and the cache ----------------------------------------------------------------------- */

JsonNode *
sm_roofline_to_json (const SmRoofline *roof)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (roof != NULL, NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cpu");
  json_builder_add_string_value (b, roof->cpu ? roof->cpu : "");
  json_builder_set_member_name (b, "levels");
  json_builder_add_string_value (b, roof->levels ? roof->levels : "");
  json_builder_set_member_name (b, "created");
  json_builder_add_string_value (b, roof->created ? roof->created : "");
  json_builder_set_member_name (b, "max_threads");
  json_builder_add_int_value (b, roof->max_threads);
  json_builder_set_member_name (b, "quick");
  json_builder_add_boolean_value (b, roof->quick);
  json_builder_set_member_name (b, "peaks");
  json_builder_begin_array (b);
  for (guint i = 0; i < roof->peaks->len; i++)
    {
      const SmRoofPeak *p = &g_array_index (roof->peaks, SmRoofPeak, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "level");
      json_builder_add_string_value (b, sm_kernel_level_to_string (p->level));
      json_builder_set_member_name (b, "gflops_1");
      json_builder_add_double_value (b, sm_json_double (p->gflops_1));
      json_builder_set_member_name (b, "gflops_max");
      json_builder_add_double_value (b, sm_json_double (p->gflops_max));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "memory");
  json_builder_begin_array (b);
  for (int m = 0; m < SM_N_MEM_LEVELS; m++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, mem_names[m]);
      json_builder_set_member_name (b, "bytes");
      json_builder_add_int_value (b, (gint64) roof->mem_bytes[m]);
      json_builder_set_member_name (b, "gbps_1");
      json_builder_add_double_value (b, sm_json_double (roof->mem_gbps_1[m]));
      json_builder_set_member_name (b, "gbps_max");
      json_builder_add_double_value (b, sm_json_double (roof->mem_gbps_max[m]));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
bad (GError **error, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not a roofline: %s", what);
  return FALSE;
}

/* A finite, non-negative number member, or FALSE. */
static gboolean
get_number (JsonObject *o, const char *name, double *out)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) == G_TYPE_STRING
      || json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    return FALSE;
  *out = json_node_get_double (n);
  return isfinite (*out) && *out >= 0;
}

/* A string member, or "" for one that is missing or not a string (outside input: json-glib's
 * own getters complain about a member of another type). */
static const char *
get_string (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return "";
  return json_node_get_string (n);
}

static gboolean
get_boolean (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN
         && json_node_get_boolean (n);
}

SmRoofline *
sm_roofline_from_json (JsonNode *node, GError **error)
{
  g_autoptr (SmRoofline) roof = NULL;
  JsonObject *o;
  JsonArray *peaks, *memory;
  double v;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return bad (error, "not an object"), NULL;
  o = json_node_get_object (node);
  if (!json_object_has_member (o, "peaks") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "peaks"))
      || !json_object_has_member (o, "memory") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "memory")))
    return bad (error, "no peaks or memory"), NULL;
  if (!get_number (o, "max_threads", &v) || v < 1 || v > SM_MAX_THREADS)
    return bad (error, "max_threads"), NULL;

  roof = g_new0 (SmRoofline, 1);
  roof->max_threads = (int) v;
  roof->cpu = g_strdup (get_string (o, "cpu"));
  roof->levels = g_strdup (get_string (o, "levels"));
  roof->created = g_strdup (get_string (o, "created"));
  roof->quick = get_boolean (o, "quick");
  roof->peaks = g_array_new (FALSE, TRUE, sizeof (SmRoofPeak));
  peaks = json_object_get_array_member (o, "peaks");
  for (guint i = 0; i < json_array_get_length (peaks); i++)
    {
      JsonNode *pn = json_array_get_element (peaks, i);
      SmRoofPeak p = { 0 };
      JsonObject *po;
      const char *name;

      if (!JSON_NODE_HOLDS_OBJECT (pn))
        return bad (error, "a peak"), NULL;
      po = json_node_get_object (pn);
      name = get_string (po, "level");
      if (!sm_kernel_level_from_string (name, &p.level) || p.level == SM_KERNEL_LEVEL_AUTO
          || !get_number (po, "gflops_1", &p.gflops_1) || !get_number (po, "gflops_max", &p.gflops_max))
        return bad (error, "a peak"), NULL;
      g_array_append_val (roof->peaks, p);
    }
  memory = json_object_get_array_member (o, "memory");
  if (json_array_get_length (memory) != SM_N_MEM_LEVELS)
    return bad (error, "memory levels"), NULL;
  for (int m = 0; m < SM_N_MEM_LEVELS; m++)
    {
      JsonNode *mn = json_array_get_element (memory, m);
      JsonObject *mo;
      double bytes;

      if (!JSON_NODE_HOLDS_OBJECT (mn))
        return bad (error, "a memory level"), NULL;
      mo = json_node_get_object (mn);
      if (g_strcmp0 (get_string (mo, "name"), mem_names[m]) != 0
          || !get_number (mo, "bytes", &bytes) || !get_number (mo, "gbps_1", &roof->mem_gbps_1[m])
          || !get_number (mo, "gbps_max", &roof->mem_gbps_max[m]))
        return bad (error, "a memory level"), NULL;
      roof->mem_bytes[m] = (guint64) bytes;
    }
  return g_steal_pointer (&roof);
}

char *
sm_roofline_cache_path (void)
{
  return g_build_filename (g_get_user_cache_dir (), "smallmind", "roofline.json", NULL);
}

SmRoofline *
sm_roofline_load_cache (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *levels = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (SmRoofline) roof = NULL;
  gsize len;
  JsonNode *root;
  JsonObject *o;
  double version;

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  if (sm_json_depth (text, len) > SM_JSON_MAX_DEPTH || !json_parser_load_from_data (parser, text, len, error))
    {
      if (error != NULL && *error == NULL)
        bad (error, "nested too deep");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) || !get_number ((o = json_node_get_object (root)), "version", &version)
      || version != CACHE_VERSION || !json_object_has_member (o, "roofline"))
    return bad (error, "not a roofline cache"), NULL;
  if ((roof = sm_roofline_from_json (json_object_get_member (o, "roofline"), error)) == NULL)
    return NULL;
  levels = level_set ();
  if (g_strcmp0 (roof->cpu, sm_cpu_model_name ()) != 0 || g_strcmp0 (roof->levels, levels) != 0
      || roof->max_threads != probe_threads () || roof->quick)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The cached roofline is another machine's");
      return NULL;
    }
  return g_steal_pointer (&roof);
}

gboolean
sm_roofline_save_cache (const SmRoofline *roof, const char *path, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (roof != NULL && path != NULL, FALSE);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, CACHE_VERSION);
  json_builder_set_member_name (b, "roofline");
  json_builder_add_value (b, sm_roofline_to_json (roof));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = sm_json_to_string (root, TRUE);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Could not create %s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  return sm_atomic_file_set_contents (path, text, -1, error);
}
