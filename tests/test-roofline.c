/* test-roofline.c: the roof probe, its cache, ops as points, and the roof in snapshots and
 * reports.  The probe runs in quick mode (tiny buffers) but for one case, and no figure is
 * checked against a speed: only that the figures exist and order as memory does. */
#include "sm-engine.h"
#include "sm-export.h"
#include "sm-roofline.h"
#include "sm-test-util.h"
#include "sm-threads.h"

#include <glib/gstdio.h>
#include <string.h>

static char *cache_dir;

typedef struct {
  GMainLoop  *loop;
  SmRoofline *roof;
  GArray     *points;
  GError     *error;
  gboolean    ok;
} Ctx;

static void
on_probed (GObject *source, GAsyncResult *result, gpointer data)
{
  Ctx *c = data;
  c->roof = sm_engine_probe_roofline_finish (SM_ENGINE (source), result, &c->error);
  g_main_loop_quit (c->loop);
}

static void
on_points (GObject *source, GAsyncResult *result, gpointer data)
{
  Ctx *c = data;
  c->points = sm_engine_copy_roofline_points_finish (SM_ENGINE (source), result, &c->error);
  g_main_loop_quit (c->loop);
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Ctx *c = data;
  c->ok = sm_engine_load_preset_finish (SM_ENGINE (source), result, &c->error);
  g_main_loop_quit (c->loop);
}

static void
on_generated (GObject *source, GAsyncResult *result, gpointer data)
{
  Ctx *c = data;
  c->ok = sm_engine_generate_finish (SM_ENGINE (source), result, NULL, &c->error);
  g_main_loop_quit (c->loop);
}

static SmRoofline *
probe (SmEngine *engine, SmRooflineProbeFlags flags, GCancellable *cancel, GError **error)
{
  Ctx c = { .loop = g_main_loop_new (NULL, FALSE) };

  sm_engine_probe_roofline_async (engine, flags, cancel, on_probed, &c);
  g_main_loop_run (c.loop);
  g_main_loop_unref (c.loop);
  if (c.error != NULL)
    g_propagate_error (error, c.error);
  return c.roof;
}

static void
check_roof (const SmRoofline *roof)
{
  g_assert_nonnull (roof);
  g_assert_cmpstr (roof->cpu, ==, sm_cpu_model_name ());
  g_assert_cmpint (roof->max_threads, >=, 1);
  /* every level this CPU runs has a peak, at one thread and at all of them */
  for (int l = SM_KERNEL_LEVEL_SCALAR; l < SM_KERNEL_N_LEVELS; l++)
    if (sm_kernels_level_supported ((SmKernelLevel) l, NULL))
      {
        g_assert_cmpfloat (sm_roofline_peak (roof, (SmKernelLevel) l, 1), >, 0.0);
        g_assert_cmpfloat (sm_roofline_peak (roof, (SmKernelLevel) l, roof->max_threads), >, 0.0);
      }
    else
      g_assert_cmpfloat (sm_roofline_peak (roof, (SmKernelLevel) l, 1), ==, 0.0);
  for (int m = 0; m < SM_N_MEM_LEVELS; m++)
    {
      g_assert_cmpfloat (roof->mem_gbps_1[m], >, 0.0);
      g_assert_cmpfloat (roof->mem_gbps_max[m], >, 0.0);
      if (m > 0)
        g_assert_cmpuint (roof->mem_bytes[m], >, roof->mem_bytes[m - 1]);
    }
  /* a buffer beyond L3 cannot be read faster than one that sits in L1; at one thread only,
   * where no worker waits for a core of this shared machine (which the quick mode's short
   * passes of several threads feel most) */
  g_assert_cmpfloat (roof->mem_gbps_1[SM_MEM_DRAM], <=, roof->mem_gbps_1[SM_MEM_L1]);
}

/* The read of buffers already in memory (bench's read of a model's weights): each from its
 * first 16-byte boundary in whole 4 KiB, 0 when that leaves nothing, and the compute pool's
 * thread count as it was. */
static void
test_read_of (void)
{
  g_autofree guint8 *mem = g_malloc0 (3 * 4096 + 64);
  const void *bufs[2] = { mem + 3, mem + 8192 + 32 };
  const size_t lens[2] = { 8192 + 13, 100 };
  const int saved = sm_threads_get_count ();

  sm_threads_set_count (1);
  /* 3 bytes to skip, 8192 left: two reads of 4 KiB; the second buffer is short of one */
  g_assert_cmpfloat (sm_roofline_read_bandwidth_of (bufs, lens, 2, 2, 2), >, 0.0);
  g_assert_cmpint (sm_threads_get_count (), ==, 1);
  g_assert_cmpfloat (sm_roofline_read_bandwidth_of (bufs + 1, lens + 1, 1, 2, 2), ==, 0.0);
  const size_t short_len = 4096 + 12;   /* 4096 + 12 - 13 < 4096 */
  g_assert_cmpfloat (sm_roofline_read_bandwidth_of (bufs, &short_len, 1, 1, 1), ==, 0.0);
  g_assert_cmpfloat (sm_roofline_read_bandwidth_of (NULL, NULL, 0, 1, 1), ==, 0.0);
  sm_threads_set_count (saved);
}

static void
test_measure (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmRoofline) roof = sm_roofline_measure (TRUE, NULL, &error);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (SmRoofline) none = NULL;
  const int threads = sm_threads_get_count ();

  g_assert_no_error (error);
  check_roof (roof);
  g_assert_true (roof->quick);
  g_assert_cmpint (sm_threads_get_count (), ==, threads);   /* the count is given back */

  g_cancellable_cancel (cancel);
  none = sm_roofline_measure (TRUE, cancel, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* `smallmind-cli bench roofline` prints the probe's figures; --quick leaves the cache alone. */
static void
test_cli (void)
{
  const char *const args[] = { "bench", "roofline", "--quick", "-o", "json", NULL };
  const char *const bad[] = { "bench", "roofline", "-o", "xml", NULL };
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  g_autofree char *cache = sm_roofline_cache_path ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SmRoofline) roof = NULL;
  int rc = sm_test_run_cli (args, &out, &err);

  if (rc < 0)
    return;   /* skipped: no binary */
  g_assert_cmpint (rc, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  roof = sm_roofline_from_json (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  check_roof (roof);
  g_assert_true (roof->quick);
  g_assert_false (g_file_test (cache, G_FILE_TEST_EXISTS));
  g_assert_cmpint (sm_test_run_cli (bad, &out2, &err2), ==, 2);
  g_assert_nonnull (strstr (err2, "md or json"));
}

static SmRoofline *
fake_roof (void)
{
  SmRoofline *roof = sm_roofline_measure (TRUE, NULL, NULL);
  SmRoofPeak *p;

  /* figures that a measurement would not give, to tell a cached roof from a fresh one */
  roof->quick = FALSE;
  for (guint i = 0; i < roof->peaks->len; i++)
    {
      p = &g_array_index (roof->peaks, SmRoofPeak, i);
      p->gflops_1 = 10.0 * (i + 1) + 0.25;
      p->gflops_max = 20.0 * (i + 1) + 0.5;
    }
  for (int m = 0; m < SM_N_MEM_LEVELS; m++)
    {
      roof->mem_gbps_1[m] = 100.0 / (m + 1);
      roof->mem_gbps_max[m] = 150.0 / (m + 1);
    }
  return roof;
}

static void
assert_same_roof (const SmRoofline *a, const SmRoofline *b)
{
  g_assert_cmpstr (a->cpu, ==, b->cpu);
  g_assert_cmpstr (a->levels, ==, b->levels);
  g_assert_cmpint (a->max_threads, ==, b->max_threads);
  g_assert_cmpuint (a->peaks->len, ==, b->peaks->len);
  for (guint i = 0; i < a->peaks->len; i++)
    {
      const SmRoofPeak *p = &g_array_index (a->peaks, SmRoofPeak, i), *q = &g_array_index (b->peaks, SmRoofPeak, i);
      g_assert_cmpint (p->level, ==, q->level);
      g_assert_cmpfloat_with_epsilon (p->gflops_1, q->gflops_1, 1e-9);
      g_assert_cmpfloat_with_epsilon (p->gflops_max, q->gflops_max, 1e-9);
    }
  for (int m = 0; m < SM_N_MEM_LEVELS; m++)
    {
      g_assert_cmpuint (a->mem_bytes[m], ==, b->mem_bytes[m]);
      g_assert_cmpfloat_with_epsilon (a->mem_gbps_1[m], b->mem_gbps_1[m], 1e-9);
      g_assert_cmpfloat_with_epsilon (a->mem_gbps_max[m], b->mem_gbps_max[m], 1e-9);
    }
}

static void
test_cache (void)
{
  g_autoptr (SmRoofline) roof = fake_roof ();
  g_autofree char *path = g_build_filename (cache_dir, "cache-test", "roofline.json", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmRoofline) back = NULL;
  g_autoptr (SmRoofline) corrupt = NULL;
  g_autoptr (SmRoofline) other = NULL;

  g_assert_null (sm_roofline_load_cache (path, NULL));    /* none yet */
  g_assert_true (sm_roofline_save_cache (roof, path, &error));
  g_assert_no_error (error);
  back = sm_roofline_load_cache (path, &error);
  g_assert_no_error (error);
  assert_same_roof (roof, back);

  /* a half-written or foreign file is ignored, with a reason */
  g_assert_true (g_file_set_contents (path, "{\"version\": 1, \"roofline\": {\"peaks\": [", -1, NULL));
  corrupt = sm_roofline_load_cache (path, &error);
  g_assert_null (corrupt);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, "{\"version\": 1, \"roofline\": {\"peaks\": [], \"memory\": [],"
                                      " \"max_threads\": 2}}", -1, NULL));
  g_assert_null (sm_roofline_load_cache (path, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* another CPU's roof is not this one's */
  g_free (roof->cpu);
  roof->cpu = g_strdup ("Some Other CPU");
  g_assert_true (sm_roofline_save_cache (roof, path, NULL));
  other = sm_roofline_load_cache (path, &error);
  g_assert_null (other);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

/* The engine's probe reads the cache, "Measure Again" replaces it, and a corrupt cache is
 * measured over (the one full-size probe of the suite). */
static void
test_engine_probe (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  g_autoptr (SmRoofline) fake = fake_roof ();
  g_autofree char *path = sm_roofline_cache_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SmRoofline) cached = NULL;
  g_autoptr (SmRoofline) again = NULL;
  g_autoptr (SmRoofline) kept = NULL;
  g_autoptr (SmRoofline) fresh = NULL;
  g_autoptr (SmRoofline) reread = NULL;

  g_assert_true (g_str_has_prefix (path, cache_dir));
  g_assert_null (sm_engine_dup_roofline (engine));
  g_assert_true (sm_roofline_save_cache (fake, path, NULL));
  cached = probe (engine, SM_ROOFLINE_PROBE_DEFAULT, NULL, &error);
  g_assert_no_error (error);
  assert_same_roof (fake, cached);
  kept = sm_engine_dup_roofline (engine);
  assert_same_roof (fake, kept);

  /* quick, measured afresh, and the cache left alone */
  again = probe (engine, SM_ROOFLINE_PROBE_AGAIN | SM_ROOFLINE_PROBE_QUICK, NULL, &error);
  g_assert_no_error (error);
  check_roof (again);
  g_assert_true (again->quick);
  reread = sm_roofline_load_cache (path, NULL);
  assert_same_roof (fake, reread);
  g_clear_pointer (&reread, sm_roofline_free);

  g_assert_true (g_file_set_contents (path, "not json at all", -1, NULL));
  fresh = probe (engine, SM_ROOFLINE_PROBE_DEFAULT, NULL, &error);
  g_assert_no_error (error);
  check_roof (fresh);
  g_assert_false (fresh->quick);
  reread = sm_roofline_load_cache (path, &error);   /* written back */
  g_assert_no_error (error);
  assert_same_roof (fresh, reread);
}

static void
test_engine_cancel (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  Ctx c = { .loop = g_main_loop_new (NULL, FALSE) };
  SmRoofline *roof;

  sm_engine_probe_roofline_async (engine, SM_ROOFLINE_PROBE_AGAIN | SM_ROOFLINE_PROBE_QUICK, cancel, on_probed, &c);
  g_cancellable_cancel (cancel);
  g_main_loop_run (c.loop);
  g_main_loop_unref (c.loop);
  g_assert_null (c.roof);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&c.error);
  g_assert_null (sm_engine_dup_roofline (engine));   /* nothing half-measured is kept */

  /* the engine goes on as before */
  roof = probe (engine, SM_ROOFLINE_PROBE_QUICK, NULL, &error);
  g_assert_no_error (error);
  check_roof (roof);
  sm_roofline_free (roof);
}

static void
test_points (void)
{
  g_autoptr (GArray) ops = g_array_new (FALSE, TRUE, sizeof (SmOpRecord));
  g_autoptr (GArray) points = NULL;
  g_autoptr (SmRoofline) roof = fake_roof ();
  SmOpRecord r = { 0 };
  const SmRoofPoint *p;
  g_autofree char *name = NULL;

  /* one matmul shape in two passes, a norm, and a sampler op that moved nothing */
  r = (SmOpRecord) { .op = SM_OP_MATMUL, .level = SM_KERNEL_LEVEL_SCALAR, .pass = SM_OP_PASS_PREFILL,
                     .m = 1, .n = 64, .k = 32, .count = 2, .ns = 1000, .flops = 8192, .bytes = 16384 };
  g_array_append_val (ops, r);
  r.pass = SM_OP_PASS_DECODE;
  r.count = 3;
  r.ns = 3000;
  r.flops = 12288;
  r.bytes = 24576;
  g_array_append_val (ops, r);
  r = (SmOpRecord) { .op = SM_OP_NORM, .level = SM_KERNEL_LEVEL_SCALAR, .count = 4, .ns = 400,
                     .flops = 2000, .bytes = 4800 };
  g_array_append_val (ops, r);
  r = (SmOpRecord) { .op = SM_OP_SAMPLE, .level = SM_KERNEL_LEVEL_SCALAR, .count = 4, .ns = 400 };
  g_array_append_val (ops, r);

  points = sm_roofline_points (ops);
  g_assert_cmpuint (points->len, ==, 2);
  p = &g_array_index (points, SmRoofPoint, 0);
  g_assert_cmpint (p->op, ==, SM_OP_MATMUL);
  g_assert_cmpuint (p->count, ==, 5);
  g_assert_cmpfloat_with_epsilon (sm_roof_point_intensity (p), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (sm_roof_point_gflops (p), 20480.0 / 4000.0, 1e-12);
  name = sm_roof_point_describe (p);
  g_assert_cmpstr (name, ==, "matmul 1×64×32");
  /* 8 KB a call is in L1: the roof there is its intensity times L1's bandwidth, under the peak */
  g_assert_cmpint (sm_roofline_mem_for (roof, p->bytes / p->count), ==, SM_MEM_L1);
  g_assert_cmpfloat_with_epsilon (sm_roofline_attainable (roof, p, 1),
                                  MIN (sm_roofline_peak (roof, SM_KERNEL_LEVEL_SCALAR, 1), 0.5 * roof->mem_gbps_1[SM_MEM_L1]),
                                  1e-9);
  g_assert_cmpint (sm_roofline_mem_for (roof, 1e12), ==, SM_MEM_DRAM);
  p = &g_array_index (points, SmRoofPoint, 1);
  g_assert_cmpint (p->op, ==, SM_OP_NORM);
  g_clear_pointer (&name, g_free);
  name = sm_roof_point_describe (p);
  g_assert_cmpstr (name, ==, "norm");
}

/* A reply's ops through SmEngine: the kinds the page shows, each as the profiler recorded it. */
static void
test_engine_points (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  SmGenerateParams params;
  Ctx c = { .loop = g_main_loop_new (NULL, FALSE) };
  gboolean seen[SM_N_OPS] = { FALSE };
  g_autoptr (GArray) ops = NULL;

  sm_engine_set_profiling (engine, TRUE);
  sm_engine_load_preset_async (engine, SM_PRESET_SMALL, 3, NULL, on_loaded, &c);
  g_main_loop_run (c.loop);
  g_assert_no_error (c.error);
  sm_generate_params_init (&params);
  params.max_tokens = 8;
  sm_engine_generate_async (engine, "Once upon a time", &params, NULL, NULL, NULL, NULL, on_generated, &c);
  g_main_loop_run (c.loop);
  g_assert_no_error (c.error);
  g_assert_true (c.ok);

  sm_engine_copy_roofline_points_async (engine, SM_SNAPSHOT_RANGE_REPLY, NULL, on_points, &c);
  g_main_loop_run (c.loop);
  g_assert_no_error (c.error);
  g_assert_nonnull (c.points);
  ops = sm_profiler_copy_ops (sm_engine_get_profiler (engine));
  for (guint i = 0; i < c.points->len; i++)
    {
      const SmRoofPoint *p = &g_array_index (c.points, SmRoofPoint, i);
      double flops = 0, bytes = 0;
      guint64 ns = 0;

      seen[p->op] = TRUE;
      g_assert_cmpfloat (sm_roof_point_intensity (p), >, 0.0);
      g_assert_cmpfloat (sm_roof_point_gflops (p), >, 0.0);
      /* the profiler's rows of the same op, level and shape, passes together */
      for (guint j = 0; j < ops->len; j++)
        {
          const SmOpRecord *r = &g_array_index (ops, SmOpRecord, j);
          if (r->op == p->op && r->level == p->level && r->m == p->m && r->n == p->n && r->k == p->k)
            flops += r->flops, bytes += r->bytes, ns += r->ns;
        }
      g_assert_cmpfloat_with_epsilon (p->flops, flops, 1e-6 * flops);
      g_assert_cmpfloat_with_epsilon (p->bytes, bytes, 1e-6 * bytes);
      g_assert_cmpuint (p->ns, ==, ns);
    }
  g_assert_true (seen[SM_OP_MATMUL]);
  g_assert_true (seen[SM_OP_ATTENTION]);
  g_assert_true (seen[SM_OP_NORM]);
  g_assert_true (seen[SM_OP_GELU] || seen[SM_OP_SILU]);
  g_array_unref (c.points);
  g_main_loop_unref (c.loop);
}

static void
test_snapshot (void)
{
  g_autoptr (SmSnapshot) snap = sm_snapshot_new ("roofline test");
  g_autoptr (SmSnapshot) back = NULL;
  g_autoptr (SmSnapshot) old = NULL;
  g_autoptr (SmSnapshot) bad = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *old_json = NULL;
  g_autofree char *md = NULL;
  g_autofree char *md_old = NULL;
  SmOpRecord r = { .op = SM_OP_MATMUL, .level = SM_KERNEL_LEVEL_SCALAR, .pass = SM_OP_PASS_DECODE,
                   .m = 1, .n = 64, .k = 32, .count = 2, .ns = 1000, .flops = 8192, .bytes = 16384 };
  char *at;

  g_array_append_val (snap->ops, r);
  snap->threads = 1;
  old_json = sm_snapshot_to_json (snap, NULL);
  g_assert_null (strstr (old_json, "\"roofline\""));
  snap->roofline = fake_roof ();
  json = sm_snapshot_to_json (snap, NULL);

  back = sm_snapshot_from_json (json, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back->roofline);
  assert_same_roof (snap->roofline, back->roofline);

  /* a snapshot written before the roof was kept loads, without one */
  old = sm_snapshot_from_json (old_json, -1, &error);
  g_assert_no_error (error);
  g_assert_null (old->roofline);
  md_old = sm_export_markdown_string (old);
  g_assert_null (strstr (md_old, "Roofline"));

  /* the report gives the roof and each op's share of it: 20.48 GFLOP/s... of min (peak, 0.5 × L1) */
  md = sm_export_markdown_string (back);
  g_assert_nonnull (strstr (md, "## 🏠 Roofline"));
  g_assert_nonnull (strstr (md, "| matmul 1×64×32 | scalar | 2 | 0.5 | 8.19 | L1 |"));
  g_assert_nonnull (strstr (md, "% of roof"));

  /* a malformed roof is a malformed snapshot */
  at = strstr (json, "\"gflops_1\"");
  g_assert_nonnull (at);
  memcpy (at, "\"gflops_x\"", 10);
  bad = sm_snapshot_from_json (json, -1, &error);
  g_assert_null (bad);
  g_assert_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT);

  /* members of the wrong types are refused as such, without a complaint from json-glib (which
   * this test would take as fatal) */
  {
    static const char *const odd[] = {
      "{\"cpu\": [1], \"quick\": {}, \"max_threads\": 2, \"peaks\": [{\"level\": 5, \"gflops_1\": 1, \"gflops_max\": 1}], \"memory\": []}",
      "{\"max_threads\": \"2\", \"peaks\": [], \"memory\": []}",
      "{\"max_threads\": 2, \"peaks\": [7], \"memory\": []}",
      "{\"max_threads\": 2, \"peaks\": [], \"memory\": [{}, {}, {}, {\"name\": {}}]}",
      "[]",
    };
    for (guint i = 0; i < G_N_ELEMENTS (odd); i++)
      {
        g_autofree char *text = g_strdup_printf ("{\"format\": \"smallmind-snapshot\", \"schema\": 1, \"roofline\": %s}", odd[i]);
        g_autoptr (SmSnapshot) none = NULL;
        g_clear_error (&error);
        none = sm_snapshot_from_json (text, -1, &error);
        g_assert_null (none);
        g_assert_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT);
      }
  }
}

int
main (int argc, char **argv)
{
  int rc;

  /* the cache goes to a folder of this run, never the user's */
  cache_dir = g_dir_make_tmp ("sm-roofline-XXXXXX", NULL);
  g_setenv ("XDG_CACHE_HOME", cache_dir, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Roofline/read-of", test_read_of);
  g_test_add_func ("/Roofline/measure", test_measure);
  g_test_add_func ("/Roofline/cli", test_cli);
  g_test_add_func ("/Roofline/cache", test_cache);
  g_test_add_func ("/Roofline/points", test_points);
  g_test_add_func ("/Roofline/snapshot", test_snapshot);
  g_test_add_func ("/Roofline/engine-probe", test_engine_probe);
  g_test_add_func ("/Roofline/engine-cancel", test_engine_cancel);
  g_test_add_func ("/Roofline/engine-points", test_engine_points);
  rc = g_test_run ();
  {
    g_autofree char *p1 = g_build_filename (cache_dir, "cache-test", "roofline.json", NULL);
    g_autofree char *p2 = g_build_filename (cache_dir, "smallmind", "roofline.json", NULL);
    g_autofree char *d1 = g_path_get_dirname (p1);
    g_autofree char *d2 = g_path_get_dirname (p2);
    g_remove (p1);
    g_remove (p2);
    g_rmdir (d1);
    g_rmdir (d2);
    g_rmdir (cache_dir);
  }
  g_free (cache_dir);
  return rc;
}
