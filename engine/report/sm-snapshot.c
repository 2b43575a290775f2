/* sm-snapshot.c: the run snapshot and its JSON form.
 *
 * Small records are JSON objects; the long tables (tokens, series, trace) are a column list and
 * rows of numbers, which keeps a snapshot of a long chat a few MB instead of tens.  Reading is
 * lenient about missing members (a default) and strict about the format tag and the schema.
 */
#define G_LOG_DOMAIN "SmSnapshot"

#include "sm-snapshot.h"
#include "sm-pool.h"
#include "sm-threads.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define FORMAT_TAG "smallmind-snapshot"

G_DEFINE_QUARK (sm-snapshot-error-quark, sm_snapshot_error)

/* ---- lifecycle ------------------------------------------------------------------------------- */

static void
model_free (gpointer p)
{
  SmSnapshotModel *m = p;
  g_free (m->name);
  g_free (m->path);
  g_free (m->format);
  g_free (m->arch);
  g_free (m->types);
  g_free (m);
}

static void
measurement_free (gpointer p)
{
  SmMeasurement *m = p;
  g_free (m->name);
  g_free (m->unit);
  g_array_unref (m->values);
  g_free (m);
}

static SmSnapshot *
snapshot_alloc (void)
{
  SmSnapshot *snap = g_new0 (SmSnapshot, 1);

  snap->schema = SM_SNAPSHOT_SCHEMA;
  snap->models = g_ptr_array_new_with_free_func (model_free);
  snap->measurements = g_ptr_array_new_with_free_func (measurement_free);
  snap->scopes = g_array_new (FALSE, TRUE, sizeof (SmScopeStats));
  snap->ops = g_array_new (FALSE, TRUE, sizeof (SmOpRecord));
  snap->tokens = g_array_new (FALSE, TRUE, sizeof (SmTokenRecord));
  snap->series = g_array_new (FALSE, TRUE, sizeof (SmProfSample));
  snap->markers = g_array_new (FALSE, TRUE, sizeof (SmProfMarker));
  snap->trace = g_array_new (FALSE, TRUE, sizeof (SmTraceEvent));
  snap->counters.ttft_ns = -1;
  return snap;
}

SmSnapshot *
sm_snapshot_new (const char *label)
{
  SmSnapshot *snap = snapshot_alloc ();
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  snap->created = g_date_time_format_iso8601 (now);
  snap->label = g_strdup (label ? label : "");
  sm_machine_info_get (&snap->machine);
  sm_build_info_get (&snap->build);
  snap->kernel_level = g_strdup (sm_kernel_level_to_string (sm_kernels_get_level ()));
  snap->threads = 1;
  return snap;
}

void
sm_snapshot_free (SmSnapshot *snap)
{
  if (snap == NULL)
    return;
  g_free (snap->created);
  g_free (snap->label);
  g_free (snap->kernel_level);
  sm_machine_info_clear (&snap->machine);
  sm_build_info_clear (&snap->build);
  g_ptr_array_unref (snap->models);
  g_ptr_array_unref (snap->measurements);
  g_array_unref (snap->scopes);
  g_array_unref (snap->ops);
  g_array_unref (snap->tokens);
  g_array_unref (snap->series);
  g_array_unref (snap->markers);
  g_array_unref (snap->trace);
  g_free (snap);
}

static void
replace_array (GArray **slot, GArray *fresh)
{
  g_array_unref (*slot);
  *slot = fresh;
}

void
sm_snapshot_capture (SmSnapshot *snap, SmProfiler *prof)
{
  g_return_if_fail (snap != NULL && prof != NULL);

  sm_profiler_get_counters (prof, &snap->counters);
  replace_array (&snap->scopes, sm_profiler_copy_scopes (prof));
  replace_array (&snap->ops, sm_profiler_copy_ops (prof));
  replace_array (&snap->tokens, sm_profiler_copy_tokens (prof, G_MININT64));
  replace_array (&snap->series, sm_profiler_copy_series (prof, G_MININT64));
  replace_array (&snap->markers, sm_profiler_copy_markers (prof));
  replace_array (&snap->trace, sm_profiler_copy_trace (prof));
  snap->profiling = sm_profiler_get_enabled (prof);
}

void
sm_snapshot_capture_config (SmSnapshot *snap, gboolean profiling)
{
  g_return_if_fail (snap != NULL);
  snap->pool_enabled = sm_pool_get_enabled (sm_pool_default ());
  g_free (snap->kernel_level);
  snap->kernel_level = g_strdup (sm_kernel_level_to_string (sm_kernels_get_level ()));
  snap->threads = sm_threads_get_count ();
  snap->profiling = profiling;
}

SmSnapshotModel *
sm_snapshot_add_model (SmSnapshot *snap, SmModel *model)
{
  const SmModelConfig *c = sm_model_get_config (model);
  SmSnapshotModel *m = g_new0 (SmSnapshotModel, 1);

  m->name = g_strdup (sm_model_get_name (model));
  m->path = g_strdup (sm_model_get_path (model));
  m->format = g_strdup (sm_model_get_format (model));
  m->arch = g_strdup (c->arch == SM_ARCH_GPT ? "gpt" : "llama");
  m->types = sm_model_describe_types (model);
  m->params = sm_model_n_params (model);
  m->weight_bytes = sm_model_weight_bytes (model);
  m->vocab_size = c->vocab_size;
  m->dim = c->dim;
  m->n_layers = c->n_layers;
  m->n_heads = c->n_heads;
  m->context_length = c->context_length;
  g_ptr_array_add (snap->models, m);
  return m;
}

/* ---- measurements ----------------------------------------------------------------------------- */

SmMeasurement *
sm_snapshot_find_measurement (const SmSnapshot *snap, const char *name)
{
  for (guint i = 0; i < snap->measurements->len; i++)
    {
      SmMeasurement *m = g_ptr_array_index (snap->measurements, i);
      if (g_strcmp0 (m->name, name) == 0)
        return m;
    }
  return NULL;
}

SmMeasurement *
sm_snapshot_measurement (SmSnapshot *snap, const char *name, const char *unit)
{
  SmMeasurement *m = sm_snapshot_find_measurement (snap, name);

  if (m == NULL)
    {
      m = g_new0 (SmMeasurement, 1);
      m->name = g_strdup (name);
      m->unit = g_strdup (unit ? unit : "");
      m->values = g_array_new (FALSE, FALSE, sizeof (double));
      g_ptr_array_add (snap->measurements, m);
    }
  return m;
}

void
sm_measurement_add (SmMeasurement *m, double value)
{
  g_array_append_val (m->values, value);
}

double
sm_snapshot_value (const SmSnapshot *snap, const char *name, double fallback)
{
  SmMeasurement *m = sm_snapshot_find_measurement (snap, name);
  return m && m->values->len ? g_array_index (m->values, double, 0) : fallback;
}

static int
double_cmp (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

double
sm_measurement_median (const SmMeasurement *m)
{
  g_autoptr (GArray) v = NULL;
  guint n;

  if (m == NULL || m->values->len == 0)
    return NAN;
  n = m->values->len;
  v = g_array_sized_new (FALSE, FALSE, sizeof (double), n);
  g_array_append_vals (v, m->values->data, n);
  g_array_sort (v, double_cmp);
  return n % 2 ? g_array_index (v, double, n / 2)
               : 0.5 * (g_array_index (v, double, n / 2 - 1) + g_array_index (v, double, n / 2));
}

double
sm_measurement_min (const SmMeasurement *m)
{
  double r = INFINITY;
  if (m == NULL || m->values->len == 0)
    return NAN;
  for (guint i = 0; i < m->values->len; i++)
    r = MIN (r, g_array_index (m->values, double, i));
  return r;
}

double
sm_measurement_max (const SmMeasurement *m)
{
  double r = -INFINITY;
  if (m == NULL || m->values->len == 0)
    return NAN;
  for (guint i = 0; i < m->values->len; i++)
    r = MAX (r, g_array_index (m->values, double, i));
  return r;
}

/* ---- scope views --------------------------------------------------------------------------------- */

guint64
sm_snapshot_total_ns (const SmSnapshot *snap)
{
  guint64 total = 0;

  for (guint i = 0; i < snap->scopes->len; i++)
    {
      const SmScopeStats *s = &g_array_index (snap->scopes, SmScopeStats, i);
      if (s->parent < 0)
        total += s->total_ns;
    }
  return total;
}

char *
sm_snapshot_scope_path (const SmSnapshot *snap, guint index)
{
  GString *path = g_string_new (NULL);
  gint32 i = (gint32) index;
  int guard = 0;

  while (i >= 0 && (guint) i < snap->scopes->len && guard++ < 256)
    {
      const SmScopeStats *s = &g_array_index (snap->scopes, SmScopeStats, i);
      g_string_prepend (path, s->name);
      if (s->parent >= 0)
        g_string_prepend_c (path, '/');
      i = s->parent;
    }
  return g_string_free (path, FALSE);
}

/* Does node @i have an ancestor named like itself? */
static gboolean
has_namesake_ancestor (const SmSnapshot *snap, guint i)
{
  const SmScopeStats *s = &g_array_index (snap->scopes, SmScopeStats, i);
  int guard = 0;

  for (gint32 p = s->parent; p >= 0 && (guint) p < snap->scopes->len && guard++ < 256;
       p = g_array_index (snap->scopes, SmScopeStats, p).parent)
    if (g_strcmp0 (g_array_index (snap->scopes, SmScopeStats, p).name, s->name) == 0)
      return TRUE;
  return FALSE;
}

static int
summary_cmp (gconstpointer pa, gconstpointer pb)
{
  const SmScopeSummary *a = pa, *b = pb;
  if (a->total_ns != b->total_ns)
    return a->total_ns > b->total_ns ? -1 : 1;
  return g_strcmp0 (a->name, b->name);
}

GArray *
sm_snapshot_summarize_scopes (const SmSnapshot *snap)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (SmScopeSummary));
  g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GArray) m2 = g_array_new (FALSE, TRUE, sizeof (double));

  for (guint i = 0; i < snap->scopes->len; i++)
    {
      const SmScopeStats *s = &g_array_index (snap->scopes, SmScopeStats, i);
      SmScopeSummary *sum;
      gpointer slot;
      double n_a, n_b, s_m2, delta;

      if (s->count == 0)
        continue;
      if (!g_hash_table_lookup_extended (index, s->name, NULL, &slot))
        {
          SmScopeSummary fresh = { 0 };
          double zero = 0;
          fresh.name = s->name;
          fresh.parent_name = s->parent >= 0 ? g_array_index (snap->scopes, SmScopeStats, s->parent).name
                                             : NULL;
          fresh.min_ns = G_MAXUINT64;
          g_array_append_val (out, fresh);
          g_array_append_val (m2, zero);
          slot = GUINT_TO_POINTER (out->len - 1);
          g_hash_table_insert (index, (gpointer) s->name, slot);
        }
      sum = &g_array_index (out, SmScopeSummary, GPOINTER_TO_UINT (slot));
      if (s->parent < 0)
        sum->top = TRUE;
      if (!has_namesake_ancestor (snap, i))
        sum->total_ns += s->total_ns;
      sum->self_ns += s->self_ns;
      sum->min_ns = MIN (sum->min_ns, s->min_ns);
      sum->max_ns = MAX (sum->max_ns, s->max_ns);
      sum->rents += s->rents;
      sum->hits += s->hits;
      sum->misses += s->misses;
      sum->sys_allocs += s->sys_allocs;
      sum->live_delta += s->live_delta;
      /* pooled mean and variance (Chan et al.): combine (count, mean, M2) pairs */
      n_a = (double) sum->count;
      n_b = (double) s->count;
      s_m2 = s->std_ns * s->std_ns * (n_b - 1.0);
      delta = s->mean_ns - sum->mean_ns;
      g_array_index (m2, double, GPOINTER_TO_UINT (slot)) += s_m2 + delta * delta * n_a * n_b / (n_a + n_b);
      sum->mean_ns += delta * n_b / (n_a + n_b);
      sum->count += s->count;
    }
  for (guint i = 0; i < out->len; i++)
    {
      SmScopeSummary *sum = &g_array_index (out, SmScopeSummary, i);
      double v = g_array_index (m2, double, i);
      sum->std_ns = sum->count > 1 ? sqrt (MAX (v, 0.0) / (double) (sum->count - 1)) : 0.0;
      if (sum->min_ns == G_MAXUINT64)
        sum->min_ns = 0;
    }
  g_array_sort (out, summary_cmp);
  return out;
}

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
  json_builder_add_double_value (b, isfinite (v) ? v : 0.0);
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

  json_builder_set_member_name (b, "config");
  json_builder_begin_object (b);
  add_bool (b, "pool", snap->pool_enabled);
  add_str (b, "kernels", snap->kernel_level);
  add_int (b, "threads", snap->threads);
  add_bool (b, "profiling", snap->profiling);
  json_builder_end_object (b);

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

  write_counters (b, &snap->counters);
  add_double (b, "op_cost_ns", snap->op_cost_ns);

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

  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 1);
  return json_generator_to_data (gen, length);
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
      return (gint64) json_node_get_double (n);
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
    return g_strdup (json_node_get_string (n));
  return NULL;
}

/* Column index of @name in a table, or -1. */
static int
table_column (JsonObject *table, const char *name)
{
  JsonArray *cols = get_array (table, "columns");
  for (guint i = 0; cols && i < json_array_get_length (cols); i++)
    if (g_strcmp0 (json_array_get_string_element (cols, i), name) == 0)
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

SmSnapshot *
sm_snapshot_from_json (const char *data, gssize length, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (SmSnapshot) snap = NULL;
  g_autofree char *format = NULL;
  JsonNode *root_node;
  JsonObject *root, *o;
  JsonArray *a;
  gint64 schema;

  g_return_val_if_fail (data != NULL, NULL);

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

  snap = snapshot_alloc ();
  snap->schema = (int) schema;
  snap->created = get_str (root, "created");
  snap->label = get_str (root, "label");

  o = get_object (root, "machine");
  snap->machine.cpu_model = get_str (o, "cpu_model");
  snap->machine.isa = get_str (o, "isa");
  snap->machine.best_level = get_str (o, "best_level");
  snap->machine.logical_cores = (int) get_int (o, "logical_cores");
  snap->machine.physical_cores = (int) get_int (o, "physical_cores");
  snap->machine.memory_bytes = (guint64) get_int (o, "memory_bytes");
  snap->machine.os = get_str (o, "os");

  o = get_object (root, "build");
  snap->build.program = get_str (o, "program");
  snap->build.compiler = get_str (o, "compiler");
  snap->build.build_type = get_str (o, "build_type");
  snap->build.optimization = get_str (o, "optimization");
  snap->build.cflags = get_str (o, "cflags");
  snap->build.sanitizers = get_str (o, "sanitizers");
  snap->build.asserts = get_bool (o, "asserts");

  o = get_object (root, "config");
  snap->pool_enabled = get_bool (o, "pool");
  snap->kernel_level = get_str (o, "kernels");
  snap->threads = (int) get_int (o, "threads");
  snap->profiling = get_bool (o, "profiling");

  a = get_array (root, "models");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *mo = json_array_get_object_element (a, i);
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

  read_counters (get_object (root, "counters"), &snap->counters);
  snap->op_cost_ns = get_double (root, "op_cost_ns");

  a = get_array (root, "scopes");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *so = json_array_get_object_element (a, i);
      g_autofree char *name = get_str (so, "name");
      SmScopeStats s = { 0 };

      if (so == NULL || name == NULL)
        {
          g_set_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT,
                       "Scope %u has no name", i);
          return NULL;
        }
      s.name = g_intern_string (name);
      s.parent = (gint32) get_int (so, "parent");
      if (s.parent >= (gint32) i || s.parent < -1)
        {
          g_set_error (error, SM_SNAPSHOT_ERROR, SM_SNAPSHOT_ERROR_FORMAT,
                       "Scope %u (%s) names parent %d, which does not come before it", i, name,
                       s.parent);
          return NULL;
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

  a = get_array (root, "ops");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *oo = json_array_get_object_element (a, i);
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

  if (!read_table (root, "tokens", token_columns, snap->tokens, fill_token, error) ||
      !read_table (root, "series", series_columns, snap->series, fill_sample, error) ||
      !read_table (root, "trace", trace_columns, snap->trace, fill_trace, error))
    return NULL;

  a = get_array (root, "markers");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *mo = json_array_get_object_element (a, i);
      g_autofree char *text = get_str (mo, "text");
      SmProfMarker m = { 0 };
      m.t_ns = get_int (mo, "t_ns");
      g_strlcpy (m.text, text ? text : "", sizeof m.text);
      g_array_append_val (snap->markers, m);
    }

  a = get_array (root, "measurements");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *mo = json_array_get_object_element (a, i);
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
