/* test-snapshot.c: a run snapshot survives JSON (every field, bit for bit), a real profiler's
 * snapshot too, and malformed input is refused with a reason. */
#include <float.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sm-export.h"
#include "sm-json.h"
#include "sm-session.h"
#include "sm-snapshot.h"
#include "sm-test-util.h"

/* Every field set, with awkward values: negative deltas, big integers, doubles that need all
 * 17 digits, text that needs escaping. */
static SmSnapshot *
make_snapshot (void)
{
  SmSnapshot *snap = sm_snapshot_new ("test \"run\"\twith ünïcode");
  SmSnapshotModel *m = g_new0 (SmSnapshotModel, 1);
  SmMeasurement *meas;
  SmScopeStats scopes[3] = {
    { .name = g_intern_string ("Root"), .parent = -1, .depth = 0, .count = 1, .total_ns = 9000000000123,
      .self_ns = 1000, .min_ns = 9000000000123, .max_ns = 9000000000123, .mean_ns = 9000000000123.0,
      .std_ns = 0.0, .rents = 5, .hits = 4, .misses = 1, .sys_allocs = 1, .live_delta = -4096 },
    { .name = g_intern_string ("Child/with slash"), .parent = 0, .depth = 1, .count = 3,
      .total_ns = 8999999999123, .self_ns = 8999999999123, .min_ns = 1, .max_ns = 8999999999000,
      .mean_ns = 2999999999707.6667, .std_ns = 5196152422.706632, .rents = 5, .hits = 4, .misses = 1,
      .sys_allocs = 1, .live_delta = 123 },
    { .name = g_intern_string ("Second"), .parent = -1, .depth = 0, .count = 2, .total_ns = 77,
      .self_ns = 77, .min_ns = 30, .max_ns = 47, .mean_ns = 38.5, .std_ns = 12.020815280171307 },
  };
  SmOpRecord ops[2] = {
    { .op = SM_OP_MATMUL, .level = SM_KERNEL_LEVEL_SCALAR, .pass = SM_OP_PASS_DECODE, .m = 1,
      .n = 384, .k = 128, .count = 10, .ns = 123456, .min_ns = 10000, .max_ns = 20000,
      .std_ns = 3162.2776601683795, .flops = 983040.0, .bytes = 1.0 / 3.0 },
    { .op = SM_OP_SAMPLE, .level = SM_KERNEL_LEVEL_AVX2, .pass = SM_OP_PASS_PREFILL, .count = 1,
      .ns = 5, .min_ns = 5, .max_ns = 5, .flops = 0.1, .bytes = 1e300 },
  };
  SmTokenRecord tokens[2] = {
    { .start_ns = 1000, .dur_ns = 500, .kind = SM_TOKEN_PREFILL, .n_tokens = 12, .pos = 0 },
    { .start_ns = 1600, .dur_ns = 50, .kind = SM_TOKEN_DECODE, .n_tokens = 1, .pos = 12 },
  };
  SmProfSample sample = {
    .t_ns = 2000, .prefill_tps = 24000.5, .decode_tps = 0.1 + 0.2, .gflops = 12.75, .busy = 0.5,
    .prefill_tokens = 12, .decode_tokens = 1, .resident_bytes = 30000000, .pool_live_bytes = 1,
    .pool_peak_bytes = 2, .pool_cached_bytes = 3, .pool_rents = 4, .pool_hits = 5, .pool_misses = 6,
    .sys_allocs = 7, .context_used = 13, .context_size = 64,
  };
  SmProfMarker marker = { .t_ns = 1500 };
  SmTraceEvent events[2] = {
    { .ts_ns = 1000, .dur_ns = 500, .type = SM_TRACE_TOKEN, .op = SM_TOKEN_PREFILL, .level = 2, .id = 0,
      .flops = 12 },
    { .ts_ns = 1100, .dur_ns = 100, .type = SM_TRACE_OP, .op = SM_OP_MATMUL, .level = 2, .id = 0,
      .flops = 3.14159274f, .bytes = 1e10f },
  };

  g_strlcpy (marker.text, "kernels \"avx2\" → ✓", sizeof marker.text);
  m->name = g_strdup ("SmallMind Small");
  m->path = NULL;
  m->format = g_strdup ("preset");
  m->arch = g_strdup ("gpt");
  m->types = g_strdup ("f32");
  m->params = 470528;
  m->weight_bytes = 1882112;
  m->vocab_size = 256;
  m->dim = 128;
  m->n_layers = 2;
  m->n_heads = 4;
  m->context_length = 64;
  g_ptr_array_add (snap->models, m);

  snap->pool_enabled = TRUE;
  snap->threads = 2;
  snap->profiling = TRUE;
  snap->kv_cache = g_strdup ("f16");
  snap->kv_cache_bytes = 327680;
  snap->op_cost_ns = 9.523809523809524;
  g_array_append_vals (snap->scopes, scopes, 3);
  g_array_append_vals (snap->ops, ops, 2);
  g_array_append_vals (snap->tokens, tokens, 2);
  g_array_append_val (snap->series, sample);
  g_array_append_val (snap->markers, marker);
  g_array_append_vals (snap->trace, events, 2);

  snap->counters.prefill_tokens = 12;
  snap->counters.decode_tokens = 1;
  snap->counters.prefill_ns = 500;
  snap->counters.decode_ns = 50;
  snap->counters.prefill_tps = 24000000.0;
  snap->counters.decode_tps = 20000000.0;
  snap->counters.ttft_ns = -1;
  snap->counters.context_used = 13;
  snap->counters.context_size = 64;
  snap->counters.resident_bytes = 123456789;
  snap->counters.pool.rents = 10;
  snap->counters.pool.hits = 9;
  snap->counters.pool.misses = 1;
  snap->counters.pool.returns = 10;
  snap->counters.pool.rented_bytes = 123456789;
  snap->counters.pool.peak_bytes = 4096;
  snap->counters.pool.system_allocs = 1;
  snap->counters.sys_allocs_per_token = 0.5;
  snap->counters.ops = 11;
  snap->counters.op_ns = 123461;
  snap->counters.flops = 983040.1;
  snap->counters.dropped_trace = 3;

  meas = sm_snapshot_measurement (snap, "Model_Small_tok_s", "tok/s");
  sm_measurement_add (meas, 5000.25);
  sm_measurement_add (meas, 4000.0);
  sm_measurement_add (meas, 6000.125);
  sm_snapshot_measurement (snap, "empty", "");
  return snap;
}

static void
assert_equal (const SmSnapshot *a, const SmSnapshot *b)
{
  g_assert_cmpint (a->schema, ==, b->schema);
  g_assert_cmpstr (a->created, ==, b->created);
  g_assert_cmpstr (a->label, ==, b->label);
  g_assert_cmpstr (a->machine.cpu_model, ==, b->machine.cpu_model);
  g_assert_cmpstr (a->machine.isa, ==, b->machine.isa);
  g_assert_cmpstr (a->machine.best_level, ==, b->machine.best_level);
  g_assert_cmpint (a->machine.logical_cores, ==, b->machine.logical_cores);
  g_assert_cmpint (a->machine.physical_cores, ==, b->machine.physical_cores);
  g_assert_cmpuint (a->machine.memory_bytes, ==, b->machine.memory_bytes);
  g_assert_cmpstr (a->machine.os, ==, b->machine.os);
  g_assert_cmpstr (a->build.program, ==, b->build.program);
  g_assert_cmpstr (a->build.compiler, ==, b->build.compiler);
  g_assert_cmpstr (a->build.build_type, ==, b->build.build_type);
  g_assert_cmpstr (a->build.optimization, ==, b->build.optimization);
  g_assert_cmpstr (a->build.cflags, ==, b->build.cflags);
  g_assert_cmpstr (a->build.sanitizers, ==, b->build.sanitizers);
  g_assert_cmpint (a->build.asserts, ==, b->build.asserts);
  g_assert_cmpint (a->pool_enabled, ==, b->pool_enabled);
  g_assert_cmpstr (a->kernel_level, ==, b->kernel_level);
  g_assert_cmpint (a->threads, ==, b->threads);
  g_assert_cmpint (a->profiling, ==, b->profiling);
  g_assert_cmpstr (a->kv_cache, ==, b->kv_cache);
  g_assert_cmpuint (a->kv_cache_bytes, ==, b->kv_cache_bytes);
  g_assert_cmpfloat (a->op_cost_ns, ==, b->op_cost_ns);

  g_assert_cmpuint (a->models->len, ==, b->models->len);
  for (guint i = 0; i < a->models->len; i++)
    {
      const SmSnapshotModel *x = g_ptr_array_index (a->models, i), *y = g_ptr_array_index (b->models, i);
      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpstr (x->path, ==, y->path);
      g_assert_cmpstr (x->format, ==, y->format);
      g_assert_cmpstr (x->arch, ==, y->arch);
      g_assert_cmpstr (x->types, ==, y->types);
      g_assert_cmpuint (x->params, ==, y->params);
      g_assert_cmpuint (x->weight_bytes, ==, y->weight_bytes);
      g_assert_cmpint (x->vocab_size, ==, y->vocab_size);
      g_assert_cmpint (x->dim, ==, y->dim);
      g_assert_cmpint (x->n_layers, ==, y->n_layers);
      g_assert_cmpint (x->n_heads, ==, y->n_heads);
      g_assert_cmpint (x->context_length, ==, y->context_length);
    }

  /* plain structs: field by field, since padding need not match */
  g_assert_cmpuint (a->scopes->len, ==, b->scopes->len);
  for (guint i = 0; i < a->scopes->len; i++)
    {
      const SmScopeStats *x = &g_array_index (a->scopes, SmScopeStats, i);
      const SmScopeStats *y = &g_array_index (b->scopes, SmScopeStats, i);
      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpint (x->parent, ==, y->parent);
      g_assert_cmpint (x->depth, ==, y->depth);
      g_assert_cmpuint (x->count, ==, y->count);
      g_assert_cmpuint (x->total_ns, ==, y->total_ns);
      g_assert_cmpuint (x->self_ns, ==, y->self_ns);
      g_assert_cmpuint (x->min_ns, ==, y->min_ns);
      g_assert_cmpuint (x->max_ns, ==, y->max_ns);
      g_assert_cmpfloat (x->mean_ns, ==, y->mean_ns);
      g_assert_cmpfloat (x->std_ns, ==, y->std_ns);
      g_assert_cmpuint (x->rents, ==, y->rents);
      g_assert_cmpuint (x->hits, ==, y->hits);
      g_assert_cmpuint (x->misses, ==, y->misses);
      g_assert_cmpuint (x->sys_allocs, ==, y->sys_allocs);
      g_assert_cmpint (x->live_delta, ==, y->live_delta);
    }
  g_assert_cmpuint (a->ops->len, ==, b->ops->len);
  for (guint i = 0; i < a->ops->len; i++)
    {
      const SmOpRecord *x = &g_array_index (a->ops, SmOpRecord, i);
      const SmOpRecord *y = &g_array_index (b->ops, SmOpRecord, i);
      g_assert_cmpint (x->op, ==, y->op);
      g_assert_cmpint (x->level, ==, y->level);
      g_assert_cmpint (x->pass, ==, y->pass);
      g_assert_cmpfloat (x->std_ns, ==, y->std_ns);
      g_assert_cmpint (x->m, ==, y->m);
      g_assert_cmpint (x->n, ==, y->n);
      g_assert_cmpint (x->k, ==, y->k);
      g_assert_cmpuint (x->count, ==, y->count);
      g_assert_cmpuint (x->ns, ==, y->ns);
      g_assert_cmpuint (x->min_ns, ==, y->min_ns);
      g_assert_cmpuint (x->max_ns, ==, y->max_ns);
      g_assert_cmpfloat (x->flops, ==, y->flops);
      g_assert_cmpfloat (x->bytes, ==, y->bytes);
    }
  g_assert_cmpuint (a->tokens->len, ==, b->tokens->len);
  for (guint i = 0; i < a->tokens->len; i++)
    {
      const SmTokenRecord *x = &g_array_index (a->tokens, SmTokenRecord, i);
      const SmTokenRecord *y = &g_array_index (b->tokens, SmTokenRecord, i);
      g_assert_cmpint (x->start_ns, ==, y->start_ns);
      g_assert_cmpint (x->dur_ns, ==, y->dur_ns);
      g_assert_cmpint (x->kind, ==, y->kind);
      g_assert_cmpint (x->n_tokens, ==, y->n_tokens);
      g_assert_cmpint (x->pos, ==, y->pos);
    }
  g_assert_cmpuint (a->series->len, ==, b->series->len);
  for (guint i = 0; i < a->series->len; i++)
    {
      const SmProfSample *x = &g_array_index (a->series, SmProfSample, i);
      const SmProfSample *y = &g_array_index (b->series, SmProfSample, i);
      g_assert_cmpint (x->t_ns, ==, y->t_ns);
      g_assert_cmpfloat (x->prefill_tps, ==, y->prefill_tps);
      g_assert_cmpfloat (x->decode_tps, ==, y->decode_tps);
      g_assert_cmpfloat (x->gflops, ==, y->gflops);
      g_assert_cmpfloat (x->busy, ==, y->busy);
      g_assert_cmpuint (x->prefill_tokens, ==, y->prefill_tokens);
      g_assert_cmpuint (x->decode_tokens, ==, y->decode_tokens);
      g_assert_cmpuint (x->resident_bytes, ==, y->resident_bytes);
      g_assert_cmpuint (x->pool_live_bytes, ==, y->pool_live_bytes);
      g_assert_cmpuint (x->pool_peak_bytes, ==, y->pool_peak_bytes);
      g_assert_cmpuint (x->pool_cached_bytes, ==, y->pool_cached_bytes);
      g_assert_cmpuint (x->pool_rents, ==, y->pool_rents);
      g_assert_cmpuint (x->pool_hits, ==, y->pool_hits);
      g_assert_cmpuint (x->pool_misses, ==, y->pool_misses);
      g_assert_cmpuint (x->sys_allocs, ==, y->sys_allocs);
      g_assert_cmpint (x->context_used, ==, y->context_used);
      g_assert_cmpint (x->context_size, ==, y->context_size);
    }
  g_assert_cmpuint (a->markers->len, ==, b->markers->len);
  for (guint i = 0; i < a->markers->len; i++)
    {
      g_assert_cmpint (g_array_index (a->markers, SmProfMarker, i).t_ns, ==,
                       g_array_index (b->markers, SmProfMarker, i).t_ns);
      g_assert_cmpstr (g_array_index (a->markers, SmProfMarker, i).text, ==,
                       g_array_index (b->markers, SmProfMarker, i).text);
    }
  g_assert_cmpuint (a->trace->len, ==, b->trace->len);
  for (guint i = 0; i < a->trace->len; i++)
    {
      const SmTraceEvent *x = &g_array_index (a->trace, SmTraceEvent, i);
      const SmTraceEvent *y = &g_array_index (b->trace, SmTraceEvent, i);
      g_assert_cmpint (x->ts_ns, ==, y->ts_ns);
      g_assert_cmpint (x->dur_ns, ==, y->dur_ns);
      g_assert_cmpint (x->type, ==, y->type);
      g_assert_cmpint (x->op, ==, y->op);
      g_assert_cmpint (x->level, ==, y->level);
      g_assert_cmpint (x->id, ==, y->id);
      g_assert_cmpfloat (x->flops, ==, y->flops);
      g_assert_cmpfloat (x->bytes, ==, y->bytes);
    }

  g_assert_cmpuint (a->counters.prefill_tokens, ==, b->counters.prefill_tokens);
  g_assert_cmpuint (a->counters.decode_tokens, ==, b->counters.decode_tokens);
  g_assert_cmpuint (a->counters.prefill_ns, ==, b->counters.prefill_ns);
  g_assert_cmpuint (a->counters.decode_ns, ==, b->counters.decode_ns);
  g_assert_cmpfloat (a->counters.prefill_tps, ==, b->counters.prefill_tps);
  g_assert_cmpfloat (a->counters.decode_tps, ==, b->counters.decode_tps);
  g_assert_cmpint (a->counters.ttft_ns, ==, b->counters.ttft_ns);
  g_assert_cmpint (a->counters.context_used, ==, b->counters.context_used);
  g_assert_cmpint (a->counters.context_size, ==, b->counters.context_size);
  g_assert_cmpuint (a->counters.resident_bytes, ==, b->counters.resident_bytes);
  g_assert_cmpmem (&a->counters.pool, sizeof (SmPoolStats), &b->counters.pool, sizeof (SmPoolStats));
  g_assert_cmpuint (a->counters.prefill_sys_allocs, ==, b->counters.prefill_sys_allocs);
  g_assert_cmpuint (a->counters.decode_sys_allocs, ==, b->counters.decode_sys_allocs);
  g_assert_cmpfloat (a->counters.sys_allocs_per_token, ==, b->counters.sys_allocs_per_token);
  g_assert_cmpuint (a->counters.ops, ==, b->counters.ops);
  g_assert_cmpuint (a->counters.op_ns, ==, b->counters.op_ns);
  g_assert_cmpfloat (a->counters.flops, ==, b->counters.flops);
  g_assert_cmpuint (a->counters.dropped_tokens, ==, b->counters.dropped_tokens);
  g_assert_cmpuint (a->counters.dropped_trace, ==, b->counters.dropped_trace);

  g_assert_cmpuint (a->measurements->len, ==, b->measurements->len);
  for (guint i = 0; i < a->measurements->len; i++)
    {
      const SmMeasurement *x = g_ptr_array_index (a->measurements, i);
      const SmMeasurement *y = g_ptr_array_index (b->measurements, i);
      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpstr (x->unit, ==, y->unit);
      g_assert_cmpuint (x->values->len, ==, y->values->len);
      for (guint j = 0; j < x->values->len; j++)
        g_assert_cmpfloat (g_array_index (x->values, double, j), ==, g_array_index (y->values, double, j));
    }
}

static void
test_round_trip (void)
{
  g_autoptr (SmSnapshot) snap = make_snapshot ();
  g_autoptr (SmSnapshot) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL, *again = NULL;
  gsize len;

  json = sm_snapshot_to_json (snap, &len);
  g_assert_cmpuint (strlen (json), ==, len);
  back = sm_snapshot_from_json (json, (gssize) len, &error);
  g_assert_no_error (error);
  assert_equal (snap, back);
  /* and the text is a fixed point */
  again = sm_snapshot_to_json (back, NULL);
  g_assert_cmpstr (json, ==, again);
}

static void
test_round_trip_file (void)
{
  g_autoptr (SmSnapshot) snap = make_snapshot ();
  g_autoptr (SmSnapshot) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-snapshot-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "run.json", NULL);

  g_assert_true (sm_export_json (snap, path, &error));
  g_assert_no_error (error);
  back = sm_snapshot_load (path, &error);
  g_assert_no_error (error);
  assert_equal (snap, back);
  g_unlink (path);
  g_rmdir (dir);
}

/* Is @text JSON a strict parser takes?  Python's json (strict by default) when there is a
 * python3, which refuses a raw control character in a string; json-glib's own parser does not. */
static void
assert_strict_json (const char *path, const char *text)
{
  g_autofree char *python = g_find_program_in_path ("python3");
  const char *argv[] = { NULL, "-c", "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))",
                         path, NULL };
  g_autoptr (GError) error = NULL;
  int status = -1;

  for (const char *p = text; *p; p++)
    if ((guchar) *p < 0x20 && *p != '\n')
      g_error ("a raw control character 0x%02x at byte %d of %s", (guchar) *p, (int) (p - text), path);
  if (python == NULL)
    {
      g_test_message ("no python3: checked for raw control characters only");
      return;
    }
  argv[0] = python;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* Every control character in a string is escaped (json-glib 1.6 leaves U+001F raw), so the
 * file opens in the tools people use, and reads back the same. */
static void
test_control_characters (void)
{
  g_autoptr (SmSnapshot) snap = make_snapshot ();
  g_autoptr (SmSnapshot) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-snapshot-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "run.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *plain = NULL;
  char label[40];
  int n = 0;

  for (int c = 1; c < 0x20; c++)
    label[n++] = (char) c;
  label[n++] = 'x';
  label[n] = '\0';
  g_free (snap->label);
  snap->label = g_strdup (label);

  g_assert_true (sm_export_json (snap, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  assert_strict_json (path, text);
  back = sm_snapshot_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->label, ==, label);

  /* the same for any node (the window's conversation files go through this) */
  json_node_set_string (node, label);
  plain = sm_json_to_string (node, TRUE);
  g_assert_true (g_file_set_contents (path, plain, -1, NULL));
  assert_strict_json (path, plain);

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_from_profiler (void)
{
  g_autoptr (SmModel) model = sm_model_new_preset (SM_PRESET_SMALL, 3);
  g_autoptr (SmSession) s = sm_session_new (model, NULL, 0, NULL);
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  g_autoptr (SmSnapshot) snap = sm_snapshot_new ("from a profiler");
  g_autoptr (SmSnapshot) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;
  gint32 toks[3] = { 65, 66, 67 };

  sm_profiler_set_trace_capacity (prof, 4096);
  sm_profiler_set_track_pool (prof, sm_pool_default ());
  sm_session_set_profiler (s, prof);
  sm_profiler_scope_begin (prof, "Generate");
  sm_profiler_token_begin (prof, SM_TOKEN_PREFILL, 0);
  g_assert_true (sm_session_eval (s, toks, 3, NULL));
  sm_profiler_token_end (prof, 3);
  sm_profiler_token_begin (prof, SM_TOKEN_DECODE, 3);
  g_assert_true (sm_session_eval (s, toks, 1, NULL));
  sm_profiler_token_end (prof, 1);
  sm_profiler_scope_end (prof);
  sm_profiler_add_marker (prof, "kernels %s", sm_kernel_level_to_string (sm_kernels_get_level ()));
  sm_profiler_sample_now (prof);

  sm_snapshot_capture (snap, prof);
  sm_snapshot_capture_config (snap, TRUE);
  sm_snapshot_add_model (snap, model);
  g_assert_cmpuint (snap->scopes->len, ==, 1);
  g_assert_cmpuint (snap->tokens->len, ==, 2);
  g_assert_cmpuint (snap->ops->len, >, 0);
  g_assert_cmpuint (snap->series->len, ==, 1);
  g_assert_cmpuint (snap->markers->len, ==, 1);
  g_assert_cmpuint (snap->trace->len, >, 2);
  g_assert_cmpuint (snap->counters.prefill_tokens, ==, 3);
  /* the build's flags as compiled: the optimization level and the kernels' ISA flags */
  g_assert_nonnull (snap->build.cflags);
  g_assert_nonnull (strstr (snap->build.cflags, "-O"));
#if defined(__x86_64__)
  g_assert_nonnull (strstr (snap->build.cflags, "-mavx2"));
#endif

  json = sm_snapshot_to_json (snap, NULL);
  back = sm_snapshot_from_json (json, -1, &error);
  g_assert_no_error (error);
  assert_equal (snap, back);
}

static void
test_errors (void)
{
  static const struct {
    const char *json;
    int         code;   /* -1: a JSON parse error */
  } cases[] = {
    { "not json at all", -1 },
    { "[1, 2, 3]", SM_SNAPSHOT_ERROR_FORMAT },
    { "{\"schema\": 1}", SM_SNAPSHOT_ERROR_FORMAT },
    { "{\"format\": \"something-else\", \"schema\": 1}", SM_SNAPSHOT_ERROR_FORMAT },
    { "{\"format\": \"smallmind-snapshot\", \"schema\": 99}", SM_SNAPSHOT_ERROR_VERSION },
    { "{\"format\": \"smallmind-snapshot\", \"schema\": 1, \"scopes\": [{\"name\": \"a\", \"parent\": 0}]}",
      SM_SNAPSHOT_ERROR_FORMAT },
    { "{\"format\": \"smallmind-snapshot\", \"schema\": 1, \"scopes\": [{\"parent\": -1}]}",
      SM_SNAPSHOT_ERROR_FORMAT },
    { "{\"format\": \"smallmind-snapshot\", \"schema\": 1, \"tokens\": {\"columns\": [\"pos\"], \"rows\": [5]}}",
      SM_SNAPSHOT_ERROR_FORMAT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SmSnapshot) snap = sm_snapshot_from_json (cases[i].json, -1, &error);
      g_assert_null (snap);
      g_assert_nonnull (error);
      if (cases[i].code >= 0)
        g_assert_error (error, SM_SNAPSHOT_ERROR, cases[i].code);
      g_assert_cmpuint (strlen (error->message), >, 0);
    }

  /* the smallest valid snapshot: defaults everywhere */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SmSnapshot) snap = sm_snapshot_from_json ("{\"format\": \"smallmind-snapshot\", \"schema\": 1}",
                                                         -1, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (snap->scopes->len, ==, 0);
    g_assert_cmpint (snap->counters.ttft_ns, ==, -1);
    g_assert_cmpuint (sm_snapshot_total_ns (snap), ==, 0);
  }

  /* a missing file names itself */
  {
    g_autoptr (GError) error = NULL;
    g_assert_null (sm_snapshot_load ("/nonexistent/run.json", &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  }
}

static void
test_measurements (void)
{
  g_autoptr (SmSnapshot) snap = sm_snapshot_new (NULL);
  SmMeasurement *m = sm_snapshot_measurement (snap, "x", "ms");

  g_assert_true (isnan (sm_measurement_median (m)));
  sm_measurement_add (m, 3);
  sm_measurement_add (m, 1);
  sm_measurement_add (m, 2);
  g_assert_cmpfloat (sm_measurement_median (m), ==, 2);
  sm_measurement_add (m, 10);
  g_assert_cmpfloat (sm_measurement_median (m), ==, 2.5);
  g_assert_cmpfloat (sm_measurement_min (m), ==, 1);
  g_assert_cmpfloat (sm_measurement_max (m), ==, 10);
  g_assert_true (sm_snapshot_measurement (snap, "x", "other") == m);
  g_assert_cmpfloat (sm_snapshot_value (snap, "x", -1), ==, 3);
  g_assert_cmpfloat (sm_snapshot_value (snap, "missing", -1), ==, -1);
  g_assert_null (sm_snapshot_find_measurement (snap, "missing"));
}

static void
test_scope_paths (void)
{
  g_autoptr (SmSnapshot) snap = make_snapshot ();
  g_autofree char *p0 = sm_snapshot_scope_path (snap, 0);
  g_autofree char *p1 = sm_snapshot_scope_path (snap, 1);

  g_assert_cmpstr (p0, ==, "Root");
  g_assert_cmpstr (p1, ==, "Root/Child/with slash");
  g_assert_cmpuint (sm_snapshot_total_ns (snap), ==, 9000000000123 + 77);
}

/* Issue: the depth scan counted a new deepest level twice, so a window's snapshot of a long
 * reply (thousands of token rows, each an array) read as nesting "deeper than 256 levels" and
 * would not load.  Brackets in strings and escaped quotes do not count. */
static void
test_json_depth (void)
{
  GString *rows = g_string_new ("{\"rows\": [");
  const char *cases[][2] = {
    { "", "0" }, { "1", "0" }, { "[]", "1" }, { "[[[]]]", "3" }, { "{\"a\": [{}]}", "3" },
    { "[[], [], [[]], []]", "3" }, { "[\"[[[[\"]", "1" }, { "[\"\\\"[[\"]", "1" },
    { "]]][[", "2" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpuint (sm_json_depth (cases[i][0], strlen (cases[i][0])), ==,
                      g_ascii_strtoull (cases[i][1], NULL, 10));
  for (int i = 0; i < 20000; i++)
    g_string_append_printf (rows, "%s[%d, [%d]]", i ? ", " : "", i, i);
  g_string_append (rows, "]}");
  g_assert_cmpuint (sm_json_depth (rows->str, rows->len), ==, 4);
  g_string_free (rows, TRUE);
}


/* json-glib 1.6 writes 1e+20 as "1e+20.0", which no parser reads: every double SmallMind
 * writes goes through sm_json_double, which keeps the value within an ulp and the text valid. */
static void
test_json_double (void)
{
  const double vs[] = { 1e20, 6e63, 2e17, -1e300, 1e16, 123.0, 0.1, 1e-20, 5e-324, 0.0 };

  for (gsize i = 0; i < G_N_ELEMENTS (vs); i++)
    {
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (GError) error = NULL;
      g_autofree char *text = NULL;
      double got;

      json_node_set_double (node, sm_json_double (vs[i]));
      text = sm_json_to_string (node, FALSE);
      g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
      g_assert_no_error (error);
      got = json_node_get_double (json_parser_get_root (parser));
      g_assert_cmpfloat (fabs (got - vs[i]), <=, fabs (vs[i]) * 4 * DBL_EPSILON);
    }
  g_assert_cmpfloat (sm_json_double (NAN), ==, 0.0);
  g_assert_cmpfloat (sm_json_double (INFINITY), ==, 0.0);
}

/* The scope names of a file read belong to its snapshot: interned, each file's names stayed
 * for the life of the process (found by fuzz-snapshot as GLib's quark table growing). */
static void
test_scope_names_owned (void)
{
  g_autoptr (SmSnapshot) snap = make_snapshot ();
  g_autofree char *unique = g_strdup_printf ("Scope %08x%08x", g_random_int (), g_random_int ());
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL, *edited = NULL;
  gsize len = 0;
  SmSnapshot *back;

  json = sm_snapshot_to_json (snap, &len);
  g_assert_nonnull (strstr (json, "\"Child/with slash\""));
  {
    g_auto (GStrv) parts = g_strsplit (json, "Child/with slash", -1);
    edited = g_strjoinv (unique, parts);
  }
  back = sm_snapshot_from_json (edited, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_array_index (back->scopes, SmScopeStats, 1).name, ==, unique);
  sm_snapshot_free (back);
  g_assert_cmpuint (g_quark_try_string (unique), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Snapshot/round-trip", test_round_trip);
  g_test_add_func ("/Snapshot/json-depth", test_json_depth);
  g_test_add_func ("/Snapshot/json-double", test_json_double);
  g_test_add_func ("/Snapshot/round-trip-file", test_round_trip_file);
  g_test_add_func ("/Snapshot/control-characters", test_control_characters);
  g_test_add_func ("/Snapshot/from-profiler", test_from_profiler);
  g_test_add_func ("/Snapshot/errors", test_errors);
  g_test_add_func ("/Snapshot/measurements", test_measurements);
  g_test_add_func ("/Snapshot/scope-paths", test_scope_paths);
  g_test_add_func ("/Snapshot/scope-names-owned", test_scope_names_owned);
  return g_test_run ();
}
