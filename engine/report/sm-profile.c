/* sm-profile.c: a run read for comparing: from a snapshot or from a Markdown report (ours
 * or the original's).
 *
 * Markdown reports carry no tree, so which rows are top-level is inferred: from a "Parent"
 * column when the report has one (ours), else from the profiling suite's known nesting
 * (X_Iteration inside its sized scope, Model_*_Forward inside _GenerateToken inside
 * _Inference, and the original's basic profiler's scopes).  The original summed every row,
 * counting model time three times.
 */
#define G_LOG_DOMAIN "SmCompare"

#include "sm-compare-private.h"

#include <math.h>
#include <string.h>

/* ---- profiles ------------------------------------------------------------------------------------ */

static void
row_free (gpointer p)
{
  SmProfileRow *r = p;
  g_free (r->name);
  g_free (r->parent);
  g_free (r);
}

static SmProfile *
profile_new (const char *source)
{
  SmProfile *p = g_new0 (SmProfile, 1);
  p->source = g_strdup (source);
  p->rows = g_ptr_array_new_with_free_func (row_free);
  return p;
}

void
sm_profile_free (SmProfile *p)
{
  if (p == NULL)
    return;
  g_free (p->source);
  g_free (p->timestamp);
  sm_snapshot_free (p->snap);
  g_ptr_array_unref (p->rows);
  g_free (p);
}

const SmProfileRow *
sm_profile_find (const SmProfile *p, const char *name)
{
  for (guint i = 0; i < p->rows->len; i++)
    {
      const SmProfileRow *r = g_ptr_array_index (p->rows, i);
      if (g_strcmp0 (r->name, name) == 0)
        return r;
    }
  return NULL;
}

double
sm_profile_total_ms (const SmProfile *p)
{
  double total = 0;
  for (guint i = 0; i < p->rows->len; i++)
    {
      const SmProfileRow *r = g_ptr_array_index (p->rows, i);
      if (r->top)
        total += r->total_ms;
    }
  return total;
}

gboolean
sm_profile_measurement_range (const SmProfile *p, const char *name, double *lo, double *hi)
{
  SmMeasurement *m;

  if (p->snap == NULL || (m = sm_snapshot_find_measurement (p->snap, name)) == NULL ||
      m->values->len < 2)
    return FALSE;
  *lo = sm_measurement_min (m);
  *hi = sm_measurement_max (m);
  return TRUE;
}

gboolean
sm_profile_range (const SmProfile *p, const char *name, double *lo, double *hi)
{
  g_autofree char *key = g_strdup_printf ("scope:%s", name);
  return sm_profile_measurement_range (p, key, lo, hi);
}

/* A run without a scope tree (the window's, a chat or a bench) is compared by its ops: per
 * pass, since a prompt's tokens and a reply's cost very differently, and per thousand tokens
 * of that pass, so runs of different lengths compare.  Ops outside a forward pass count per
 * thousand tokens of both. */
GPtrArray *
sm_profile_op_rows (const SmSnapshot *snap)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func (row_free);
  guint64 ns[SM_N_OP_PASSES][SM_N_OPS] = { { 0 } }, calls[SM_N_OP_PASSES][SM_N_OPS] = { { 0 } };
  guint64 tokens[SM_N_OP_PASSES];

  tokens[SM_OP_PASS_PREFILL] = snap->counters.prefill_tokens;
  tokens[SM_OP_PASS_DECODE] = snap->counters.decode_tokens;
  tokens[SM_OP_PASS_OTHER] = snap->counters.prefill_tokens + snap->counters.decode_tokens;
  for (guint i = 0; snap->ops != NULL && i < snap->ops->len; i++)
    {
      const SmOpRecord *r = &g_array_index (snap->ops, SmOpRecord, i);
      ns[r->pass][r->op] += r->ns;
      calls[r->pass][r->op] += r->count;
    }
  for (int pass = 0; pass < SM_N_OP_PASSES; pass++)
    for (int op = 0; op < SM_N_OPS; op++)
      {
        SmProfileRow *row;

        if (ns[pass][op] == 0 || tokens[pass] == 0)
          continue;
        row = g_new0 (SmProfileRow, 1);
        row->name = g_strdup_printf ("%s %s per 1k tokens", sm_op_pass_name (pass),
                                     sm_op_kind_name (op));
        row->top = TRUE;
        row->total_ms = ns[pass][op] / 1e6 * 1000.0 / (double) tokens[pass];
        row->self_ms = row->total_ms;
        row->calls = calls[pass][op];
        row->sys_allocs = NAN;
        row->alloc_mb = NAN;
        g_ptr_array_add (rows, row);
      }
  return rows;
}

SmProfile *
sm_profile_from_snapshot (SmSnapshot *snap, const char *source)
{
  SmProfile *p = profile_new (source);
  g_autoptr (GArray) sums = sm_snapshot_summarize_scopes (snap);

  p->snap = snap;
  p->timestamp = g_strdup (snap->created);
  if (sums->len == 0)
    {
      g_ptr_array_unref (p->rows);
      p->rows = sm_profile_op_rows (snap);
      return p;
    }
  for (guint i = 0; i < sums->len; i++)
    {
      const SmScopeSummary *s = &g_array_index (sums, SmScopeSummary, i);
      SmProfileRow *r = g_new0 (SmProfileRow, 1);
      r->name = g_strdup (s->name);
      r->parent = g_strdup (s->parent_name);
      r->top = s->top;
      r->total_ms = s->total_ns / 1e6;
      r->self_ms = s->self_ns / 1e6;
      r->calls = s->count;
      r->sys_allocs = (double) s->sys_allocs;
      r->alloc_mb = NAN;
      g_ptr_array_add (p->rows, r);
    }
  return p;
}

/* Is @name nested inside another scope of the profiling suites (ours or the original's)? */
static gboolean
suite_child (const char *name)
{
  static const char *const basic_children[] = {
    "BuilderSetup", "PrepareInput", "GenerateToken", "ForwardPass", "SampleToken",
    "ApplyTemperature", "Softmax", "MultinomialSample",
  };

  if (g_str_has_suffix (name, "_Iteration"))
    return TRUE;
  if (g_str_has_prefix (name, "Model_") &&
      (g_str_has_suffix (name, "_GenerateToken") || g_str_has_suffix (name, "_Forward")))
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (basic_children); i++)
    if (strcmp (name, basic_children[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Splits a Markdown table row into trimmed cells (without the outer pipes). */
static GPtrArray *
table_cells (const char *line)
{
  GPtrArray *cells = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *copy = g_strstrip (g_strdup (line));
  char *p = copy;
  g_auto (GStrv) parts = NULL;
  gsize n;

  if (*p == '|')
    p++;
  n = strlen (p);
  if (n > 0 && p[n - 1] == '|')
    p[n - 1] = '\0';
  parts = g_strsplit (p, "|", -1);
  for (int i = 0; parts[i]; i++)
    {
      char *c = g_strstrip (parts[i]);
      gsize len = strlen (c);
      /* `Name` and **Name** */
      while (len >= 2 && ((c[0] == '`' && c[len - 1] == '`') || (c[0] == '*' && c[len - 1] == '*')))
        {
          c[len - 1] = '\0';
          c++;
          len -= 2;
        }
      g_ptr_array_add (cells, g_strdup (c));
    }
  return cells;
}

static gboolean
parse_number (const char *text, double *out)
{
  g_autoptr (GString) clean = g_string_new (NULL);
  char *end;

  for (const char *p = text; *p; p++)
    if (*p != ',' && *p != ' ')
      g_string_append_c (clean, *p);
  if (clean->len == 0)
    return FALSE;
  *out = g_ascii_strtod (clean->str, &end);
  return end != clean->str;
}

static int
column_of (GPtrArray *header, const char *const *names)
{
  for (guint i = 0; i < header->len; i++)
    for (int j = 0; names[j]; j++)
      if (g_ascii_strcasecmp (g_ptr_array_index (header, i), names[j]) == 0)
        return (int) i;
  return -1;
}

SmProfile *
sm_profile_from_markdown (const char *text, const char *source, GError **error)
{
  static const char *const c_method[] = { "Method", "Scope", NULL };
  static const char *const c_time[] = { "Time (ms)", NULL };
  static const char *const c_calls[] = { "Calls", NULL };
  static const char *const c_self[] = { "Self (ms)", NULL };
  static const char *const c_alloc[] = { "Alloc (MB)", NULL };
  static const char *const c_sys[] = { "Sys allocs", NULL };
  static const char *const c_parent[] = { "Parent", NULL };
  g_autoptr (SmProfile) p = profile_new (source);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GPtrArray) header = NULL;
  gboolean in_hot = FALSE;
  int cm = -1, ct = -1, cc = -1, cs = -1, ca = -1, csys = -1, cp = -1;

  for (int i = 0; lines[i]; i++)
    {
      const char *line = g_strstrip (lines[i]);

      if (g_str_has_prefix (line, "**Generated:**") && p->timestamp == NULL)
        p->timestamp = g_strstrip (g_strdup (line + strlen ("**Generated:**")));
      if (g_str_has_prefix (line, "#"))
        {
          /* the hot-path section ends at the next heading */
          in_hot = strstr (line, "Hot Paths") != NULL;
          g_clear_pointer (&header, g_ptr_array_unref);
          continue;
        }
      if (!in_hot || line[0] != '|')
        continue;
      if (header == NULL)
        {
          header = table_cells (line);
          cm = column_of (header, c_method);
          ct = column_of (header, c_time);
          cc = column_of (header, c_calls);
          cs = column_of (header, c_self);
          ca = column_of (header, c_alloc);
          csys = column_of (header, c_sys);
          cp = column_of (header, c_parent);
          continue;
        }
      if (strstr (line, "---") != NULL)
        continue;
      if (cm < 0 || ct < 0)
        continue;
      {
        g_autoptr (GPtrArray) cells = table_cells (line);
        SmProfileRow *r;
        double v;

        if ((guint) MAX (cm, ct) >= cells->len || !parse_number (g_ptr_array_index (cells, ct), &v))
          continue;   /* a malformed row, as the original skipped them */
        r = g_new0 (SmProfileRow, 1);
        r->name = g_strdup (g_ptr_array_index (cells, cm));
        r->total_ms = v;
        r->self_ms = NAN;
        r->sys_allocs = NAN;
        r->alloc_mb = NAN;
        if (cc >= 0 && (guint) cc < cells->len && parse_number (g_ptr_array_index (cells, cc), &v))
          /* a count past guint64's range does not convert (undefined behaviour), nor NaN */
          r->calls = v >= 1.8e19 ? G_MAXUINT64 : v >= 0 ? (guint64) v : 0;
        if (cs >= 0 && (guint) cs < cells->len && parse_number (g_ptr_array_index (cells, cs), &v))
          r->self_ms = v;
        if (ca >= 0 && (guint) ca < cells->len && parse_number (g_ptr_array_index (cells, ca), &v))
          r->alloc_mb = v;
        if (csys >= 0 && (guint) csys < cells->len && parse_number (g_ptr_array_index (cells, csys), &v))
          r->sys_allocs = v;
        if (cp >= 0 && (guint) cp < cells->len)
          {
            /* one parent, or a list of all a name runs under ("A, B", "—" among them when
             * it also runs at the top) */
            g_auto (GStrv) parents = g_strsplit (g_ptr_array_index (cells, cp), ",", -1);
            r->top = parents[0] == NULL;
            for (guint j = 0; parents[j]; j++)
              {
                const char *parent = g_strstrip (parents[j]);
                if (*parent == '\0' || g_strcmp0 (parent, "—") == 0 || g_strcmp0 (parent, "-") == 0)
                  r->top = TRUE;
                else if (r->parent == NULL)
                  r->parent = g_strdup (parent);
              }
          }
        else
          r->top = !suite_child (r->name);
        g_ptr_array_add (p->rows, r);
      }
    }

  if (p->rows->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: no hot-path table found (a \"Hot Paths\" heading followed by a table "
                   "with Method and Time (ms) columns)", source);
      return NULL;
    }
  if (p->timestamp == NULL)
    p->timestamp = g_strdup ("unknown");
  return g_steal_pointer (&p);
}

SmProfile *
sm_profile_load (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len;
  const char *p;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  for (p = data; *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'; p++)
    ;
  if (*p == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is empty: neither a snapshot "
                   "(JSON) nor a report (Markdown)", path);
      return NULL;
    }
  if (*p == '{' || g_str_has_suffix (path, ".json"))
    {
      GError *local = NULL;
      SmSnapshot *snap = sm_snapshot_from_json (data, (gssize) len, &local);
      if (snap == NULL)
        {
          g_propagate_prefixed_error (error, local, "%s: ", path);
          return NULL;
        }
      return sm_profile_from_snapshot (snap, path);
    }
  return sm_profile_from_markdown (data, path, error);
}
