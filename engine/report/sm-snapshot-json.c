/* sm-snapshot-json.c: a snapshot's JSON form, written and read.
 *
 * Small records are JSON objects; the long tables (tokens, series, trace) are a column list and
 * rows of numbers, which keeps a snapshot of a long chat a few MB instead of tens.  Reading is
 * lenient about missing members (a default) and strict about the format tag and the schema.
 */
#define G_LOG_DOMAIN "SmSnapshot"

#include "sm-json.h"
#include "sm-snapshot-private.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define FORMAT_TAG "smallmind-snapshot"

/* ---- writing -------------------------------------------------------------------------------------- */

static void
add_str (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_double_value (JsonBuilder *b, double v)
{
  /* JSON has no NaN or infinity */
  json_builder_add_double_value (b, sm_json_double (v));
}

static void
add_double (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  add_double_value (b, value);
}

static void
add_bool (JsonBuilder *b, const char *name, gboolean value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

static void
begin_table (JsonBuilder *b, const char *name, const char *const *columns)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "columns");
  json_builder_begin_array (b);
  for (int i = 0; columns[i]; i++)
    json_builder_add_string_value (b, columns[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "rows");
  json_builder_begin_array (b);
}

static void
end_table (JsonBuilder *b)
{
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static const char *const token_columns[] = { "start_ns", "dur_ns", "kind", "n_tokens", "pos", NULL };
static const char *const series_columns[] = {
  "t_ns", "prefill_tps", "decode_tps", "gflops", "busy", "prefill_tokens", "decode_tokens",
  "resident_bytes", "pool_live_bytes", "pool_peak_bytes", "pool_cached_bytes", "pool_rents",
  "pool_hits", "pool_misses", "sys_allocs", "context_used", "context_size", NULL
};
static const char *const trace_columns[] = {
  "ts_ns", "dur_ns", "type", "op", "level", "id", "flops", "bytes", "pass", NULL
};

static void
write_counters (JsonBuilder *b, const SmProfilerCounters *c)
{
  json_builder_set_member_name (b, "counters");
  json_builder_begin_object (b);
  add_int (b, "prefill_tokens", (gint64) c->prefill_tokens);
  add_int (b, "decode_tokens", (gint64) c->decode_tokens);
  add_int (b, "prefill_ns", (gint64) c->prefill_ns);
  add_int (b, "decode_ns", (gint64) c->decode_ns);
  add_double (b, "prefill_tps", c->prefill_tps);
  add_double (b, "decode_tps", c->decode_tps);
  add_int (b, "ttft_ns", c->ttft_ns);
  add_int (b, "context_used", c->context_used);
  add_int (b, "context_size", c->context_size);
  add_int (b, "resident_bytes", (gint64) c->resident_bytes);
  json_builder_set_member_name (b, "pool");
  json_builder_begin_object (b);
  add_int (b, "rents", (gint64) c->pool.rents);
  add_int (b, "hits", (gint64) c->pool.hits);
  add_int (b, "misses", (gint64) c->pool.misses);
  add_int (b, "returns", (gint64) c->pool.returns);
  add_int (b, "rented_bytes", (gint64) c->pool.rented_bytes);
  add_int (b, "live_bytes", (gint64) c->pool.live_bytes);
  add_int (b, "peak_bytes", (gint64) c->pool.peak_bytes);
  add_int (b, "cached_bytes", (gint64) c->pool.cached_bytes);
  add_int (b, "system_bytes", (gint64) c->pool.system_bytes);
  add_int (b, "system_allocs", (gint64) c->pool.system_allocs);
  add_int (b, "system_frees", (gint64) c->pool.system_frees);
  json_builder_end_object (b);
  add_int (b, "prefill_sys_allocs", (gint64) c->prefill_sys_allocs);
  add_int (b, "decode_sys_allocs", (gint64) c->decode_sys_allocs);
  add_double (b, "sys_allocs_per_token", c->sys_allocs_per_token);
  add_int (b, "ops", (gint64) c->ops);
  add_int (b, "op_ns", (gint64) c->op_ns);
  add_double (b, "flops", c->flops);
  add_int (b, "dropped_tokens", (gint64) c->dropped_tokens);
  add_int (b, "dropped_trace", (gint64) c->dropped_trace);
  json_builder_end_object (b);
}

static void
write_machine (JsonBuilder *b, const SmSnapshot *snap)
{
  json_builder_set_member_name (b, "machine");
  json_builder_begin_object (b);
  add_str (b, "cpu_model", snap->machine.cpu_model);
  add_str (b, "isa", snap->machine.isa);
  add_str (b, "best_level", snap->machine.best_level);
  add_int (b, "logical_cores", snap->machine.logical_cores);
  add_int (b, "physical_cores", snap->machine.physical_cores);
  add_int (b, "memory_bytes", (gint64) snap->machine.memory_bytes);
  add_str (b, "os", snap->machine.os);
  json_builder_end_object (b);
}

static void
write_build (JsonBuilder *b, const SmSnapshot *snap)
{
  json_builder_set_member_name (b, "build");
  json_builder_begin_object (b);
  add_str (b, "program", snap->build.program);
  add_str (b, "compiler", snap->build.compiler);
  add_str (b, "build_type", snap->build.build_type);
  add_str (b, "optimization", snap->build.optimization);
  add_str (b, "cflags", snap->build.cflags);
  add_str (b, "sanitizers", snap->build.sanitizers);
  add_bool (b, "asserts", snap->build.asserts);
  json_builder_end_object (b);
}

static void
write_config (JsonBuilder *b, const SmSnapshot *snap)
{
  json_builder_set_member_name (b, "config");
  json_builder_begin_object (b);
  add_bool (b, "pool", snap->pool_enabled);
  add_str (b, "kernels", snap->kernel_level);
  add_int (b, "threads", snap->threads);
  add_bool (b, "profiling", snap->profiling);
  add_str (b, "kv_cache", snap->kv_cache);
  add_int (b, "kv_cache_bytes", (gint64) snap->kv_cache_bytes);
  json_builder_end_object (b);
}

static void
write_models (JsonBuilder *b, const SmSnapshot *snap)
{
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint i = 0; i < snap->models->len; i++)
    {
      const SmSnapshotModel *m = g_ptr_array_index (snap->models, i);
      json_builder_begin_object (b);
      add_str (b, "name", m->name);
      add_str (b, "path", m->path);
      add_str (b, "format", m->format);
      add_str (b, "arch", m->arch);
      add_str (b, "types", m->types);
      add_int (b, "params", (gint64) m->params);
      add_int (b, "weight_bytes", (gint64) m->weight_bytes);
      add_int (b, "vocab_size", m->vocab_size);
      add_int (b, "dim", m->dim);
      add_int (b, "n_layers", m->n_layers);
      add_int (b, "n_heads", m->n_heads);
      add_int (b, "context_length", m->context_length);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
write_scopes (JsonBuilder *b, const SmSnapshot *snap)
{
  json_builder_set_member_name (b, "scopes");
  json_builder_begin_array (b);
  for (guint i = 0; i < snap->scopes->len; i++)
    {
      const SmScopeStats *s = &g_array_index (snap->scopes, SmScopeStats, i);
      json_builder_begin_object (b);
      add_str (b, "name", s->name);
      add_int (b, "parent", s->parent);
      add_int (b, "depth", s->depth);
      add_int (b, "count", (gint64) s->count);
      add_int (b, "total_ns", (gint64) s->total_ns);
      add_int (b, "self_ns", (gint64) s->self_ns);
      add_int (b, "min_ns", (gint64) s->min_ns);
      add_int (b, "max_ns", (gint64) s->max_ns);
      add_double (b, "mean_ns", s->mean_ns);
      add_double (b, "std_ns", s->std_ns);
      add_int (b, "rents", (gint64) s->rents);
      add_int (b, "hits", (gint64) s->hits);
      add_int (b, "misses", (gint64) s->misses);
      add_int (b, "sys_allocs", (gint64) s->sys_allocs);
      add_int (b, "live_delta", s->live_delta);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
write_ops (JsonBuilder *b, const SmSnapshot *snap)
{
  json_builder_set_member_name (b, "ops");
  json_builder_begin_array (b);
  for (guint i = 0; i < snap->ops->len; i++)
    {
      const SmOpRecord *r = &g_array_index (snap->ops, SmOpRecord, i);
      json_builder_begin_object (b);
      add_str (b, "op", sm_op_kind_name (r->op));
      add_str (b, "level", sm_kernel_level_to_string (r->level));
      add_str (b, "pass", sm_op_pass_name (r->pass));
      add_int (b, "m", r->m);
      add_int (b, "n", r->n);
      add_int (b, "k", r->k);
      add_int (b, "count", (gint64) r->count);
      add_int (b, "ns", (gint64) r->ns);
      add_int (b, "min_ns", (gint64) r->min_ns);
      add_int (b, "max_ns", (gint64) r->max_ns);
      add_double (b, "std_ns", r->std_ns);
      add_double (b, "flops", r->flops);
      add_double (b, "bytes", r->bytes);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
write_tokens (JsonBuilder *b, const SmSnapshot *snap)
{
  begin_table (b, "tokens", token_columns);
  for (guint i = 0; i < snap->tokens->len; i++)
    {
      const SmTokenRecord *t = &g_array_index (snap->tokens, SmTokenRecord, i);
      json_builder_begin_array (b);
      json_builder_add_int_value (b, t->start_ns);
      json_builder_add_int_value (b, t->dur_ns);
      json_builder_add_int_value (b, t->kind);
      json_builder_add_int_value (b, t->n_tokens);
      json_builder_add_int_value (b, t->pos);
      json_builder_end_array (b);
    }
  end_table (b);
}

static void
write_series (JsonBuilder *b, const SmSnapshot *snap)
{
  begin_table (b, "series", series_columns);
  for (guint i = 0; i < snap->series->len; i++)
    {
      const SmProfSample *s = &g_array_index (snap->series, SmProfSample, i);
      json_builder_begin_array (b);
      json_builder_add_int_value (b, s->t_ns);
      add_double_value (b, s->prefill_tps);
      add_double_value (b, s->decode_tps);
      add_double_value (b, s->gflops);
      add_double_value (b, s->busy);
      json_builder_add_int_value (b, (gint64) s->prefill_tokens);
      json_builder_add_int_value (b, (gint64) s->decode_tokens);
      json_builder_add_int_value (b, (gint64) s->resident_bytes);
      json_builder_add_int_value (b, (gint64) s->pool_live_bytes);
      json_builder_add_int_value (b, (gint64) s->pool_peak_bytes);
      json_builder_add_int_value (b, (gint64) s->pool_cached_bytes);
      json_builder_add_int_value (b, (gint64) s->pool_rents);
      json_builder_add_int_value (b, (gint64) s->pool_hits);
      json_builder_add_int_value (b, (gint64) s->pool_misses);
      json_builder_add_int_value (b, (gint64) s->sys_allocs);
      json_builder_add_int_value (b, s->context_used);
      json_builder_add_int_value (b, s->context_size);
      json_builder_end_array (b);
    }
  end_table (b);
}

static void
write_markers (JsonBuilder *b, const SmSnapshot *snap)
{
  json_builder_set_member_name (b, "markers");
  json_builder_begin_array (b);
  for (guint i = 0; i < snap->markers->len; i++)
    {
      const SmProfMarker *m = &g_array_index (snap->markers, SmProfMarker, i);
      json_builder_begin_object (b);
      add_int (b, "t_ns", m->t_ns);
      add_str (b, "text", m->text);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
write_trace (JsonBuilder *b, const SmSnapshot *snap)
{
  begin_table (b, "trace", trace_columns);
  for (guint i = 0; i < snap->trace->len; i++)
    {
      const SmTraceEvent *e = &g_array_index (snap->trace, SmTraceEvent, i);
      json_builder_begin_array (b);
      json_builder_add_int_value (b, e->ts_ns);
      json_builder_add_int_value (b, e->dur_ns);
      json_builder_add_int_value (b, e->type);
      json_builder_add_int_value (b, e->op);
      json_builder_add_int_value (b, e->level);
      json_builder_add_int_value (b, e->id);
      add_double_value (b, e->flops);
      add_double_value (b, e->bytes);
      json_builder_add_int_value (b, e->pass);
      json_builder_end_array (b);
    }
  end_table (b);
}

static void
write_measurements (JsonBuilder *b, const SmSnapshot *snap)
{
  json_builder_set_member_name (b, "measurements");
  json_builder_begin_array (b);
  for (guint i = 0; i < snap->measurements->len; i++)
    {
      const SmMeasurement *m = g_ptr_array_index (snap->measurements, i);
      json_builder_begin_object (b);
      add_str (b, "name", m->name);
      add_str (b, "unit", m->unit);
      json_builder_set_member_name (b, "values");
      json_builder_begin_array (b);
      for (guint j = 0; j < m->values->len; j++)
        add_double_value (b, g_array_index (m->values, double, j));
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

char *
sm_snapshot_to_json (const SmSnapshot *snap, gsize *length)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (snap != NULL, NULL);

  json_builder_begin_object (b);
  add_str (b, "format", FORMAT_TAG);
  add_int (b, "schema", SM_SNAPSHOT_SCHEMA);
  add_str (b, "created", snap->created);
  add_str (b, "label", snap->label);
  if (snap->range != NULL)
    add_str (b, "range", snap->range);

  write_machine (b, snap);
  write_build (b, snap);
  write_config (b, snap);
  write_models (b, snap);
  write_counters (b, &snap->counters);
  add_double (b, "op_cost_ns", snap->op_cost_ns);

  write_scopes (b, snap);
  write_ops (b, snap);
  write_tokens (b, snap);
  write_series (b, snap);
  write_markers (b, snap);
  write_trace (b, snap);
  write_measurements (b, snap);
  if (snap->roofline != NULL)
    {
      json_builder_set_member_name (b, "roofline");
      json_builder_add_value (b, sm_roofline_to_json (snap->roofline));
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 1);
  return sm_json_generate (gen, length);
}

/* ---- reading ------------------------------------------------------------------------------------------ */

static JsonObject *
get_object (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
get_array (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static gint64
node_int (JsonNode *n)
{
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return 0;
  switch (json_node_get_value_type (n))
    {
    case G_TYPE_INT64:
      return json_node_get_int (n);
    case G_TYPE_DOUBLE:
      {
        /* a double past gint64's range does not convert (undefined behaviour): 0, as for a
         * value of another type */
        double d = json_node_get_double (n);
        return d > -9.2e18 && d < 9.2e18 ? (gint64) d : 0;
      }
    case G_TYPE_BOOLEAN:
      return json_node_get_boolean (n);
    default:
      return 0;
    }
}

static double
node_double (JsonNode *n)
{
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return 0.0;
  switch (json_node_get_value_type (n))
    {
    case G_TYPE_INT64:
      return (double) json_node_get_int (n);
    case G_TYPE_DOUBLE:
      return json_node_get_double (n);
    default:
      return 0.0;
    }
}

static gint64
get_int (JsonObject *o, const char *name)
{
  return node_int (o ? json_object_get_member (o, name) : NULL);
}

static double
get_double (JsonObject *o, const char *name)
{
  return node_double (o ? json_object_get_member (o, name) : NULL);
}

static gboolean
get_bool (JsonObject *o, const char *name)
{
  return get_int (o, name) != 0;
}

static char *
get_str (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    /* json-glib decodes a lone surrogate ("\ud800") to bytes that are not UTF-8: kept, they
     * would go into every export, and a JSON one would not read back */
    return g_utf8_make_valid (json_node_get_string (n), -1);
  return NULL;
}

/* Element @i of @a when it is an object; NULL for anything else (json-glib's own getter logs
 * a critical for a number or an array there, which is the file's mistake, not ours). */
static JsonObject *
element_object (JsonArray *a, guint i)
{
  JsonNode *n = json_array_get_element (a, i);
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static const char *
element_string (JsonArray *a, guint i)
{
  JsonNode *n = json_array_get_element (a, i);
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
    ? json_node_get_string (n) : NULL;
}

/* Column index of @name in a table, or -1. */
static int
table_column (JsonObject *table, const char *name)
{
  JsonArray *cols = get_array (table, "columns");
  for (guint i = 0; cols && i < json_array_get_length (cols); i++)
    if (g_strcmp0 (element_string (cols, i), name) == 0)
      return (int) i;
  return -1;
}

static JsonNode *
cell (JsonArray *row, int col)
{
  return col >= 0 && (guint) col < json_array_get_length (row) ? json_array_get_element (row, col)
                                                             : NULL;
}

/* Reads a column table into an array of structs: @fill gets each row and its column map. */
typedef void (*RowFill) (gpointer out, JsonArray *row, const int *cols);

static gboolean
read_table (JsonObject *root, const char *name, const char *const *columns, GArray *out,
            RowFill fill, GError **error)
{
  JsonObject *table = get_object (root, name);
  JsonArray *rows;
  int cols[32];
  int n_cols = 0;

  if (table == NULL)
    return TRUE;
  for (; columns[n_cols]; n_cols++)
    cols[n_cols] = table_column (table, columns[n_cols]);
  rows = get_array (table, "rows");
  if (rows == NULL)
    return TRUE;
  g_array_set_size (out, json_array_get_length (rows));
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonNode *rn = json_array_get_element (rows, i);
      if (!JSON_NODE_HOLDS_ARRAY (rn))
        {
          g_set_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT,
                       "Row %u of \"%s\" is not an array", i, name);
          return FALSE;
        }
      fill ((char *) out->data + (gsize) i * g_array_get_element_size (out),
            json_node_get_array (rn), cols);
    }
  return TRUE;
}

static void
fill_token (gpointer out, JsonArray *row, const int *c)
{
  SmTokenRecord *t = out;
  memset (t, 0, sizeof *t);
  t->start_ns = node_int (cell (row, c[0]));
  t->dur_ns = node_int (cell (row, c[1]));
  t->kind = (gint32) node_int (cell (row, c[2]));
  t->n_tokens = (gint32) node_int (cell (row, c[3]));
  t->pos = (gint32) node_int (cell (row, c[4]));
}

static void
fill_sample (gpointer out, JsonArray *row, const int *c)
{
  SmProfSample *s = out;
  memset (s, 0, sizeof *s);
  s->t_ns = node_int (cell (row, c[0]));
  s->prefill_tps = node_double (cell (row, c[1]));
  s->decode_tps = node_double (cell (row, c[2]));
  s->gflops = node_double (cell (row, c[3]));
  s->busy = node_double (cell (row, c[4]));
  s->prefill_tokens = (guint64) node_int (cell (row, c[5]));
  s->decode_tokens = (guint64) node_int (cell (row, c[6]));
  s->resident_bytes = (guint64) node_int (cell (row, c[7]));
  s->pool_live_bytes = (guint64) node_int (cell (row, c[8]));
  s->pool_peak_bytes = (guint64) node_int (cell (row, c[9]));
  s->pool_cached_bytes = (guint64) node_int (cell (row, c[10]));
  s->pool_rents = (guint64) node_int (cell (row, c[11]));
  s->pool_hits = (guint64) node_int (cell (row, c[12]));
  s->pool_misses = (guint64) node_int (cell (row, c[13]));
  s->sys_allocs = (guint64) node_int (cell (row, c[14]));
  s->context_used = (gint32) node_int (cell (row, c[15]));
  s->context_size = (gint32) node_int (cell (row, c[16]));
}

static void
fill_trace (gpointer out, JsonArray *row, const int *c)
{
  SmTraceEvent *e = out;
  memset (e, 0, sizeof *e);
  e->ts_ns = node_int (cell (row, c[0]));
  e->dur_ns = node_int (cell (row, c[1]));
  e->type = (guint8) node_int (cell (row, c[2]));
  e->op = (guint8) node_int (cell (row, c[3]));
  e->level = (guint8) node_int (cell (row, c[4]));
  e->id = (gint32) node_int (cell (row, c[5]));
  e->flops = (float) node_double (cell (row, c[6]));
  e->bytes = (float) node_double (cell (row, c[7]));
  e->pass = (guint8) node_int (cell (row, c[8]));   /* absent before passes: 0, "other" */
}

static SmOpKind
op_from_name (const char *name)
{
  for (int o = 0; o < SM_N_OPS; o++)
    if (g_strcmp0 (sm_op_kind_name (o), name) == 0)
      return o;
  return SM_N_OPS;
}

static void
read_counters (JsonObject *o, SmProfilerCounters *c)
{
  JsonObject *p = get_object (o, "pool");

  memset (c, 0, sizeof *c);
  c->ttft_ns = -1;
  if (o == NULL)
    return;
  c->prefill_tokens = (guint64) get_int (o, "prefill_tokens");
  c->decode_tokens = (guint64) get_int (o, "decode_tokens");
  c->prefill_ns = (guint64) get_int (o, "prefill_ns");
  c->decode_ns = (guint64) get_int (o, "decode_ns");
  c->prefill_tps = get_double (o, "prefill_tps");
  c->decode_tps = get_double (o, "decode_tps");
  c->ttft_ns = json_object_has_member (o, "ttft_ns") ? get_int (o, "ttft_ns") : -1;
  c->context_used = (gint32) get_int (o, "context_used");
  c->context_size = (gint32) get_int (o, "context_size");
  c->resident_bytes = (guint64) get_int (o, "resident_bytes");
  c->pool.rents = (guint64) get_int (p, "rents");
  c->pool.hits = (guint64) get_int (p, "hits");
  c->pool.misses = (guint64) get_int (p, "misses");
  c->pool.returns = (guint64) get_int (p, "returns");
  c->pool.rented_bytes = (guint64) get_int (p, "rented_bytes");
  c->pool.live_bytes = (guint64) get_int (p, "live_bytes");
  c->pool.peak_bytes = (guint64) get_int (p, "peak_bytes");
  c->pool.cached_bytes = (guint64) get_int (p, "cached_bytes");
  c->pool.system_bytes = (guint64) get_int (p, "system_bytes");
  c->pool.system_allocs = (guint64) get_int (p, "system_allocs");
  c->pool.system_frees = (guint64) get_int (p, "system_frees");
  c->prefill_sys_allocs = (guint64) get_int (o, "prefill_sys_allocs");
  c->decode_sys_allocs = (guint64) get_int (o, "decode_sys_allocs");
  c->sys_allocs_per_token = get_double (o, "sys_allocs_per_token");
  c->ops = (guint64) get_int (o, "ops");
  c->op_ns = (guint64) get_int (o, "op_ns");
  c->flops = get_double (o, "flops");
  c->dropped_tokens = (guint64) get_int (o, "dropped_tokens");
  c->dropped_trace = (guint64) get_int (o, "dropped_trace");
}

static void
read_machine (JsonObject *root, SmSnapshot *snap)
{
  JsonObject *o;

  o = get_object (root, "machine");
  snap->machine.cpu_model = get_str (o, "cpu_model");
  snap->machine.isa = get_str (o, "isa");
  snap->machine.best_level = get_str (o, "best_level");
  snap->machine.logical_cores = (int) get_int (o, "logical_cores");
  snap->machine.physical_cores = (int) get_int (o, "physical_cores");
  snap->machine.memory_bytes = (guint64) get_int (o, "memory_bytes");
  snap->machine.os = get_str (o, "os");
}

static void
read_build (JsonObject *root, SmSnapshot *snap)
{
  JsonObject *o;

  o = get_object (root, "build");
  snap->build.program = get_str (o, "program");
  snap->build.compiler = get_str (o, "compiler");
  snap->build.build_type = get_str (o, "build_type");
  snap->build.optimization = get_str (o, "optimization");
  snap->build.cflags = get_str (o, "cflags");
  snap->build.sanitizers = get_str (o, "sanitizers");
  snap->build.asserts = get_bool (o, "asserts");
}

static void
read_config (JsonObject *root, SmSnapshot *snap)
{
  JsonObject *o;

  o = get_object (root, "config");
  snap->pool_enabled = get_bool (o, "pool");
  snap->kernel_level = get_str (o, "kernels");
  snap->threads = (int) get_int (o, "threads");
  snap->profiling = get_bool (o, "profiling");
  /* absent from snapshots older than the f16 cache: those were f32 or had no session */
  snap->kv_cache = get_str (o, "kv_cache");
  snap->kv_cache_bytes = (guint64) MAX (get_int (o, "kv_cache_bytes"), 0);
}

static void
read_models (JsonObject *root, SmSnapshot *snap)
{
  JsonArray *a;

  a = get_array (root, "models");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *mo = element_object (a, i);
      SmSnapshotModel *m;
      if (mo == NULL)
        continue;
      m = g_new0 (SmSnapshotModel, 1);
      m->name = get_str (mo, "name");
      m->path = get_str (mo, "path");
      m->format = get_str (mo, "format");
      m->arch = get_str (mo, "arch");
      m->types = get_str (mo, "types");
      m->params = (guint64) get_int (mo, "params");
      m->weight_bytes = (guint64) get_int (mo, "weight_bytes");
      m->vocab_size = (int) get_int (mo, "vocab_size");
      m->dim = (int) get_int (mo, "dim");
      m->n_layers = (int) get_int (mo, "n_layers");
      m->n_heads = (int) get_int (mo, "n_heads");
      m->context_length = (int) get_int (mo, "context_length");
      g_ptr_array_add (snap->models, m);
    }
}

static void
read_ops (JsonObject *root, SmSnapshot *snap)
{
  JsonArray *a;

  a = get_array (root, "ops");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *oo = element_object (a, i);
      g_autofree char *op = get_str (oo, "op");
      g_autofree char *level = get_str (oo, "level");
      g_autofree char *pass = get_str (oo, "pass");
      SmOpRecord r = { 0 };
      SmKernelLevel lv = SM_KERNEL_LEVEL_AUTO;

      r.op = op_from_name (op);
      if (r.op == SM_N_OPS)
        continue;   /* an op kind this version does not know */
      if (level)
        sm_kernel_level_from_string (level, &lv);
      r.level = lv;
      /* snapshots from before passes were recorded: every op as "other" */
      if (pass == NULL || !sm_op_pass_from_name (pass, &r.pass))
        r.pass = SM_OP_PASS_OTHER;
      r.m = (gint32) get_int (oo, "m");
      r.n = (gint32) get_int (oo, "n");
      r.k = (gint32) get_int (oo, "k");
      r.count = (guint64) get_int (oo, "count");
      r.ns = (guint64) get_int (oo, "ns");
      r.min_ns = (guint64) get_int (oo, "min_ns");
      r.max_ns = (guint64) get_int (oo, "max_ns");
      r.std_ns = get_double (oo, "std_ns");
      r.flops = get_double (oo, "flops");
      r.bytes = get_double (oo, "bytes");
      g_array_append_val (snap->ops, r);
    }
}

static void
read_markers (JsonObject *root, SmSnapshot *snap)
{
  JsonArray *a;

  a = get_array (root, "markers");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *mo = element_object (a, i);
      g_autofree char *text = get_str (mo, "text");
      SmProfMarker m = { 0 };
      m.t_ns = get_int (mo, "t_ns");
      g_strlcpy (m.text, text ? text : "", sizeof m.text);
      g_array_append_val (snap->markers, m);
    }
}

static void
read_measurements (JsonObject *root, SmSnapshot *snap)
{
  JsonArray *a;

  a = get_array (root, "measurements");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *mo = element_object (a, i);
      g_autofree char *name = get_str (mo, "name");
      g_autofree char *unit = get_str (mo, "unit");
      JsonArray *values = get_array (mo, "values");
      SmMeasurement *m;

      if (name == NULL)
        continue;
      m = sm_snapshot_measurement (snap, name, unit);
      for (guint j = 0; values && j < json_array_get_length (values); j++)
        sm_measurement_add (m, node_double (json_array_get_element (values, j)));
    }
}

/* Each scope's parent comes before it, or the tree cannot be walked. */
static gboolean
read_scopes (JsonObject *root, SmSnapshot *snap, GError **error)
{
  JsonArray *a;

  a = get_array (root, "scopes");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *so = element_object (a, i);
      g_autofree char *name = get_str (so, "name");
      SmScopeStats s = { 0 };

      if (so == NULL || name == NULL)
        {
          g_set_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT,
                       "Scope %u has no name", i);
          return FALSE;
        }
      /* the snapshot's own copy: interned, every name of every file read would stay for the
       * life of the process (fuzz-snapshot saw GLib's quark table grow without end) */
      if (snap->names == NULL)
        snap->names = g_string_chunk_new (1024);
      s.name = g_string_chunk_insert_const (snap->names, name);
      s.parent = (gint32) get_int (so, "parent");
      if (s.parent >= (gint32) i || s.parent < -1)
        {
          g_set_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT,
                       "Scope %u (%s) names parent %d, which does not come before it", i, name,
                       s.parent);
          return FALSE;
        }
      s.depth = (gint32) get_int (so, "depth");
      s.count = (guint64) get_int (so, "count");
      s.total_ns = (guint64) get_int (so, "total_ns");
      s.self_ns = (guint64) get_int (so, "self_ns");
      s.min_ns = (guint64) get_int (so, "min_ns");
      s.max_ns = (guint64) get_int (so, "max_ns");
      s.mean_ns = get_double (so, "mean_ns");
      s.std_ns = get_double (so, "std_ns");
      s.rents = (guint64) get_int (so, "rents");
      s.hits = (guint64) get_int (so, "hits");
      s.misses = (guint64) get_int (so, "misses");
      s.sys_allocs = (guint64) get_int (so, "sys_allocs");
      s.live_delta = get_int (so, "live_delta");
      g_array_append_val (snap->scopes, s);
    }
  return TRUE;
}

SmSnapshot *
sm_snapshot_from_json (const char *data, gssize length, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (SmSnapshot) snap = NULL;
  g_autofree char *format = NULL;
  JsonNode *root_node;
  JsonObject *root;
  gint64 schema;

  g_return_val_if_fail (data != NULL, NULL);

  if (sm_json_depth (data, length < 0 ? strlen (data) : (gsize) length) > SM_JSON_MAX_DEPTH)
    {
      g_set_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT,
                   "Not a SmallMind snapshot: the JSON nests deeper than %d levels",
                   SM_JSON_MAX_DEPTH);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, length, error))
    return NULL;
  root_node = json_parser_get_root (parser);
  if (root_node == NULL || !JSON_NODE_HOLDS_OBJECT (root_node))
    {
      g_set_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT,
                   "Not a SmallMind snapshot: the JSON is not an object");
      return NULL;
    }
  root = json_node_get_object (root_node);
  format = get_str (root, "format");
  if (g_strcmp0 (format, FORMAT_TAG) != 0)
    {
      g_set_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT,
                   "Not a SmallMind snapshot: \"format\" is %s%s%s, not \"%s\"",
                   format ? "\"" : "", format ? format : "missing", format ? "\"" : "", FORMAT_TAG);
      return NULL;
    }
  schema = get_int (root, "schema");
  if (schema < 1 || schema > SM_SNAPSHOT_SCHEMA)
    {
      g_set_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_VERSION,
                   "The snapshot has schema %" G_GINT64_FORMAT "; this SmallMind reads up to %d",
                   schema, SM_SNAPSHOT_SCHEMA);
      return NULL;
    }

  snap = sm_snapshot_alloc ();
  snap->schema = (int) schema;
  snap->created = get_str (root, "created");
  snap->label = get_str (root, "label");
  snap->range = get_str (root, "range");

  read_machine (root, snap);
  read_build (root, snap);
  read_config (root, snap);
  read_models (root, snap);
  read_counters (get_object (root, "counters"), &snap->counters);
  snap->op_cost_ns = get_double (root, "op_cost_ns");

  if (!read_scopes (root, snap, error))
    return NULL;

  read_ops (root, snap);
  if (!read_table (root, "tokens", token_columns, snap->tokens, fill_token, error) ||
      !read_table (root, "series", series_columns, snap->series, fill_sample, error) ||
      !read_table (root, "trace", trace_columns, snap->trace, fill_trace, error))
    return NULL;

  read_markers (root, snap);
  read_measurements (root, snap);
  /* a snapshot from before the roof was kept has none; a malformed one is a malformed file */
  if (json_object_has_member (root, "roofline"))
    {
      GError *local = NULL;
      if ((snap->roofline = sm_roofline_from_json (json_object_get_member (root, "roofline"), &local)) == NULL)
        {
          g_set_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT, "%s", local->message);
          g_error_free (local);
          return NULL;
        }
    }
  return g_steal_pointer (&snap);
}

SmSnapshot *
sm_snapshot_load (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len;
  SmSnapshot *snap;
  GError *local = NULL;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  snap = sm_snapshot_from_json (data, (gssize) len, &local);
  if (snap == NULL)
    {
      g_propagate_prefixed_error (error, local, "%s: ", path);
      return NULL;
    }
  return snap;
}
