/* sm-snapshot.c: the run snapshot: what it captures from a profiler and a model, its
 * measurements and its views of the scope tree.  Its JSON form is sm-snapshot-json.c. */
#define G_LOG_DOMAIN "SmSnapshot"

#include "sm-snapshot-private.h"
#include "sm-pool.h"
#include "sm-threads.h"

#include <math.h>
#include <string.h>

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

SmSnapshot *
sm_snapshot_alloc (void)
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
  SmSnapshot *snap = sm_snapshot_alloc ();
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  snap->created = g_date_time_format_iso8601 (now);
  snap->label = g_strdup (label ? label : "");
  sm_machine_info_get (&snap->machine);
  sm_build_info_get (&snap->build);
  snap->kernel_level = g_strdup (sm_kernel_level_to_string (sm_kernels_get_level ()));
  snap->threads = 1;
  return snap;
}

SmSnapshot *
sm_snapshot_new_bare (void)
{
  return sm_snapshot_alloc ();
}

void
sm_snapshot_free (SmSnapshot *snap)
{
  if (snap == NULL)
    return;
  g_free (snap->created);
  g_free (snap->label);
  g_free (snap->range);
  g_free (snap->kernel_level);
  g_free (snap->kv_cache);
  sm_machine_info_clear (&snap->machine);
  sm_build_info_clear (&snap->build);
  g_ptr_array_unref (snap->models);
  g_ptr_array_unref (snap->measurements);
  g_array_unref (snap->scopes);
  if (snap->names != NULL)
    g_string_chunk_free (snap->names);
  g_array_unref (snap->ops);
  g_array_unref (snap->tokens);
  g_array_unref (snap->series);
  g_array_unref (snap->markers);
  g_array_unref (snap->trace);
  sm_roofline_free (snap->roofline);
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

  snap->captured_ns = sm_profiler_now_ns ();
  sm_profiler_get_counters (prof, &snap->counters);
  replace_array (&snap->scopes, sm_profiler_copy_scopes (prof));
  replace_array (&snap->ops, sm_profiler_copy_ops (prof));
  replace_array (&snap->tokens, sm_profiler_copy_tokens (prof, G_MININT64));
  replace_array (&snap->series, sm_profiler_copy_series (prof, G_MININT64));
  replace_array (&snap->markers, sm_profiler_copy_markers (prof));
  replace_array (&snap->trace, sm_profiler_copy_trace (prof));
  snap->profiling = sm_profiler_get_enabled (prof);
}

/* ---- ranges ----------------------------------------------------------------------------------- */

static gboolean
same_op_row (const SmOpRecord *a, const SmOpRecord *b)
{
  return a->op == b->op && a->level == b->level && a->pass == b->pass && a->m == b->m &&
         a->n == b->n && a->k == b->k;
}

/* @ops less @base's rows, dropping rows with no calls left.  min, max and std are of the
 * whole recording: they cannot be taken apart, so a row that ran before keeps none. */
static void
subtract_ops (GArray *ops, const GArray *base)
{
  for (guint i = 0; i < ops->len;)
    {
      SmOpRecord *r = &g_array_index (ops, SmOpRecord, i);

      for (guint j = 0; j < base->len; j++)
        {
          const SmOpRecord *b = &g_array_index (base, SmOpRecord, j);
          if (!same_op_row (r, b))
            continue;
          r->count -= MIN (r->count, b->count);
          r->ns -= MIN (r->ns, b->ns);
          r->flops = MAX (r->flops - b->flops, 0.0);
          r->bytes = MAX (r->bytes - b->bytes, 0.0);
          r->min_ns = r->max_ns = 0;
          r->std_ns = 0;
          break;
        }
      if (r->count == 0)
        g_array_remove_index (ops, i);
      else
        i++;
    }
}

#define KEEP_SINCE(array, type, field, since)                                                \
  G_STMT_START {                                                                              \
    guint keep_ = 0;                                                                          \
    for (guint i_ = 0; i_ < (array)->len; i_++)                                                \
      if (g_array_index ((array), type, i_).field >= (since))                                  \
        g_array_index ((array), type, keep_++) = g_array_index ((array), type, i_);            \
    g_array_set_size ((array), keep_);                                                        \
  } G_STMT_END

static guint64
less (guint64 a, guint64 b)
{
  return a > b ? a - b : 0;
}

void
sm_snapshot_restrict (SmSnapshot *snap, const SmSnapshot *base, const char *range)
{
  SmProfilerCounters *c = &snap->counters;
  const SmProfilerCounters *b = &base->counters;
  const gint64 since = base->captured_ns;

  g_return_if_fail (snap != NULL && base != NULL);

  subtract_ops (snap->ops, base->ops);
  if (base->scopes->len > 0)
    g_array_set_size (snap->scopes, 0);
  KEEP_SINCE (snap->tokens, SmTokenRecord, start_ns, since);
  KEEP_SINCE (snap->series, SmProfSample, t_ns, since);
  KEEP_SINCE (snap->markers, SmProfMarker, t_ns, since);
  KEEP_SINCE (snap->trace, SmTraceEvent, ts_ns, since);

  c->prefill_tokens = less (c->prefill_tokens, b->prefill_tokens);
  c->decode_tokens = less (c->decode_tokens, b->decode_tokens);
  c->prefill_ns = less (c->prefill_ns, b->prefill_ns);
  c->decode_ns = less (c->decode_ns, b->decode_ns);
  c->prefill_tps = c->prefill_ns ? c->prefill_tokens / (c->prefill_ns / 1e9) : 0;
  c->decode_tps = c->decode_ns ? c->decode_tokens / (c->decode_ns / 1e9) : 0;
  if (c->prefill_tokens + c->decode_tokens == 0)
    c->ttft_ns = -1;   /* the last generation's, and it was before the range */
  c->prefill_sys_allocs = less (c->prefill_sys_allocs, b->prefill_sys_allocs);
  c->decode_sys_allocs = less (c->decode_sys_allocs, b->decode_sys_allocs);
  c->sys_allocs_per_token = c->decode_tokens ? c->decode_sys_allocs / (double) c->decode_tokens : 0;
  c->ops = less (c->ops, b->ops);
  c->op_ns = less (c->op_ns, b->op_ns);
  c->flops = MAX (c->flops - b->flops, 0.0);
  c->dropped_tokens = less (c->dropped_tokens, b->dropped_tokens);
  c->dropped_trace = less (c->dropped_trace, b->dropped_trace);
  /* context, resident memory and the pool are states, not sums: they stand as they are now */

  g_free (snap->range);
  snap->range = g_strdup (range);
}

void
sm_snapshot_capture_base (SmSnapshot *snap, SmProfiler *prof)
{
  g_return_if_fail (snap != NULL && prof != NULL);

  snap->captured_ns = sm_profiler_now_ns ();
  sm_profiler_get_counters (prof, &snap->counters);
  replace_array (&snap->ops, sm_profiler_copy_ops (prof));
  replace_array (&snap->scopes, sm_profiler_copy_scopes (prof));
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
  g_autofree char *types = sm_model_describe_types (model);
  SmSnapshotModel *m;

  /* A model loaded again is the same model: the session's list held one entry a load, and an
   * hour of switching between a few models grew it by 20,000 (tools/soak). */
  for (guint i = 0; i < snap->models->len; i++)
    {
      m = snap->models->pdata[i];
      if (g_strcmp0 (m->name, sm_model_get_name (model)) == 0
          && g_strcmp0 (m->path, sm_model_get_path (model)) == 0
          && g_strcmp0 (m->format, sm_model_get_format (model)) == 0
          && g_strcmp0 (m->types, types) == 0 && m->params == sm_model_n_params (model))
        return m;
    }
  m = g_new0 (SmSnapshotModel, 1);
  m->name = g_strdup (sm_model_get_name (model));
  m->path = g_strdup (sm_model_get_path (model));
  m->format = g_strdup (sm_model_get_format (model));
  m->arch = g_strdup (sm_arch_info (c->arch)->name);
  m->types = g_steal_pointer (&types);
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

const char *
sm_snapshot_range_describe (const char *range)
{
  if (g_strcmp0 (range, "reply") == 0)
    return "the last reply";
  if (g_strcmp0 (range, "model") == 0)
    return "since the model was loaded";
  if (g_strcmp0 (range, "session") == 0)
    return "since the statistics were reset";
  return range;
}

void
sm_snapshot_copy_models (SmSnapshot *dst, const SmSnapshot *src)
{
  for (guint i = 0; i < src->models->len; i++)
    {
      const SmSnapshotModel *m = g_ptr_array_index (src->models, i);
      SmSnapshotModel *copy = g_memdup2 (m, sizeof *m);

      copy->name = g_strdup (m->name);
      copy->path = g_strdup (m->path);
      copy->format = g_strdup (m->format);
      copy->arch = g_strdup (m->arch);
      copy->types = g_strdup (m->types);
      g_ptr_array_add (dst->models, copy);
    }
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
