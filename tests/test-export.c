/* test-export.c: the CSV parses and its self times add up to the total; the Chrome trace is
 * JSON whose X events nest (ops in tokens in phases on the engine's track, scopes on theirs);
 * the Markdown's hot-path table reads back; a write that fails (a full disk too) leaves no file
 * behind and the old one whole; SIGKILL in the middle of a write leaves nothing. */
#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "sm-atomic-file.h"
#include "sm-compare.h"
#include "sm-export.h"
#include "sm-export-format.h"
#include "sm-session.h"
#include "sm-snapshot.h"
#include "sm-test-trace.h"
#include "sm-test-util.h"

/* A snapshot of real work: scopes around a prefill and decode tokens of the Small preset, a
 * marker, samples, the trace. */
static SmSnapshot *
recorded_snapshot (void)
{
  g_autoptr (SmModel) model = sm_model_new_preset (SM_PRESET_SMALL, 5);
  g_autoptr (SmSession) s = sm_session_new (model, NULL, 0, NULL);
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  SmSnapshot *snap = sm_snapshot_new ("export test");
  gint32 prompt[6] = { 10, 20, 30, 40, 50, 60 };
  gint32 tok = 7;

  sm_profiler_set_trace_capacity (prof, 100000);
  sm_profiler_set_track_pool (prof, sm_pool_default ());
  sm_session_set_profiler (s, prof);
  sm_profiler_sample_now (prof);
  for (int round = 0; round < 2; round++)
    {
      sm_session_rewind (s, 0);
      sm_profiler_scope_begin (prof, "Generate");
      sm_profiler_scope_begin (prof, "Prefill");
      sm_profiler_token_begin (prof, SM_TOKEN_PREFILL, 0);
      g_assert_true (sm_session_eval (s, prompt, 6, NULL));
      sm_profiler_token_end (prof, 6);
      sm_profiler_scope_end (prof);
      for (int i = 0; i < 5; i++)
        {
          sm_profiler_scope_begin (prof, "Decode");
          sm_profiler_token_begin (prof, SM_TOKEN_DECODE, sm_session_get_pos (s));
          g_assert_true (sm_session_eval (s, &tok, 1, NULL));
          sm_profiler_token_end (prof, 1);
          sm_profiler_scope_end (prof);
        }
      sm_profiler_scope_end (prof);
      sm_profiler_add_marker (prof, "round %d \"done\"", round);
      sm_profiler_sample_now (prof);
    }
  sm_profiler_scope_begin (prof, "Tail");
  sm_profiler_scope_end (prof);
  sm_snapshot_capture (snap, prof);
  sm_snapshot_capture_config (snap, TRUE);
  sm_snapshot_add_model (snap, model);
  return snap;
}

/* ---- CSV ------------------------------------------------------------------------------------------- */

/* RFC 4180 fields of one line. */
static GPtrArray *
csv_split (const char *line)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  GString *f = g_string_new (NULL);
  gboolean quoted = FALSE;

  for (const char *p = line; *p; p++)
    {
      if (quoted)
        {
          if (*p == '"' && p[1] == '"')
            {
              g_string_append_c (f, '"');
              p++;
            }
          else if (*p == '"')
            quoted = FALSE;
          else
            g_string_append_c (f, *p);
        }
      else if (*p == '"')
        quoted = TRUE;
      else if (*p == ',')
        {
          g_ptr_array_add (fields, g_string_free (f, FALSE));
          f = g_string_new (NULL);
        }
      else
        g_string_append_c (f, *p);
    }
  g_assert_false (quoted);
  g_ptr_array_add (fields, g_string_free (f, FALSE));
  return fields;
}

static void
test_csv (void)
{
  g_autoptr (SmSnapshot) snap = recorded_snapshot ();
  g_autofree char *csv = sm_export_csv_string (snap);
  g_auto (GStrv) lines = g_strsplit (csv, "\n", -1);
  static const char *const header[] = { "kind", "name", "total_ns", "self_ns", "share", "count",
                                        "mean_ns", "min_ns", "max_ns", "std_ns" };
  guint64 self_sum = 0, top_sum = 0;
  double top_share = 0;
  guint scopes = 0, ops = 0;

  {
    g_autoptr (GPtrArray) h = csv_split (lines[0]);
    g_assert_cmpuint (h->len, ==, G_N_ELEMENTS (header));
    for (guint i = 0; i < h->len; i++)
      g_assert_cmpstr (g_ptr_array_index (h, i), ==, header[i]);
  }
  for (int i = 1; lines[i] && *lines[i]; i++)
    {
      g_autoptr (GPtrArray) f = csv_split (lines[i]);
      const char *kind, *name;
      guint64 total, self, count, min, max;
      double share, mean, std;
      char *end;

      g_assert_cmpuint (f->len, ==, G_N_ELEMENTS (header));
      kind = g_ptr_array_index (f, 0);
      name = g_ptr_array_index (f, 1);
      total = g_ascii_strtoull (g_ptr_array_index (f, 2), &end, 10);
      g_assert_cmpint (*end, ==, 0);
      self = g_ascii_strtoull (g_ptr_array_index (f, 3), &end, 10);
      g_assert_cmpint (*end, ==, 0);
      share = g_ascii_strtod (g_ptr_array_index (f, 4), &end);
      g_assert_cmpint (*end, ==, 0);
      count = g_ascii_strtoull (g_ptr_array_index (f, 5), &end, 10);
      mean = g_ascii_strtod (g_ptr_array_index (f, 6), &end);
      min = g_ascii_strtoull (g_ptr_array_index (f, 7), &end, 10);
      max = g_ascii_strtoull (g_ptr_array_index (f, 8), &end, 10);
      std = g_ascii_strtod (g_ptr_array_index (f, 9), &end);

      g_assert_cmpuint (self, <=, total);
      g_assert_cmpuint (min, <=, max);
      g_assert_cmpfloat (std, >=, 0);
      g_assert_cmpfloat (share, >=, 0);
      g_assert_cmpfloat (share, <=, 1.0 + 1e-9);
      g_assert_cmpfloat (fabs (mean * count - total), <=, 0.05 * count + 1);
      if (strcmp (kind, "scope") == 0)
        {
          scopes++;
          self_sum += self;
          if (strchr (name, '/') == NULL)
            {
              top_sum += total;
              top_share += share;
            }
        }
      else
        {
          g_assert_cmpstr (kind, ==, "op");
          g_assert_cmpuint (self, ==, total);
          ops++;
        }
    }
  g_assert_cmpuint (scopes, ==, snap->scopes->len);
  g_assert_cmpuint (ops, ==, snap->ops->len);
  /* the self times of the tree add up to its total, exactly */
  g_assert_cmpuint (self_sum, ==, top_sum);
  g_assert_cmpuint (top_sum, ==, sm_snapshot_total_ns (snap));
  g_assert_cmpfloat_with_epsilon (top_share, 1.0, 1e-5);
}

/* ---- Chrome trace ---------------------------------------------------------------------------------- */

static void
test_trace (void)
{
  g_autoptr (SmSnapshot) snap = recorded_snapshot ();
  g_autofree char *text = sm_export_trace_string (snap);
  g_autoptr (JsonParser) parser = json_parser_new ();
  SmTestTraceCounts n;
  JsonObject *other;

  sm_test_check_trace (text, &n);
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  other = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "otherData");
  g_assert_nonnull (other);
  g_assert_cmpstr (json_object_get_string_member (other, "kernels"), ==, snap->kernel_level);
  g_assert_cmpstr (json_object_get_string_member (other, "pool"), ==, "on");
  g_assert_true (json_object_has_member (other, "threads"));

  /* 2 rounds: 2 prefill phases + 2 decode phases; 12 token events, each of Small's 2 layers
   * 8 ops (norm, qkv, attention, wo+residual, norm, up, gelu, down+residual) between the
   * embedding and the final norm and logits */
  g_assert_cmpuint (n.phases, ==, 4);
  g_assert_cmpuint (n.tokens, ==, 12);
  g_assert_cmpuint (n.ops, ==, 12 * (2 * 8 + 3));
  g_assert_cmpuint (n.kernel_ops, ==, 0);
  g_assert_cmpuint (n.scopes, ==, 2 * (1 + 1 + 5) + 1);
  g_assert_cmpuint (n.markers, ==, 2);
  g_assert_cmpuint (n.counters, ==, 2 * snap->series->len);
}

/* ---- Markdown ------------------------------------------------------------------------------------- */

static void
test_markdown (void)
{
  g_autoptr (SmSnapshot) snap = recorded_snapshot ();
  g_autofree char *md = sm_export_markdown_string (snap);
  g_autoptr (GArray) sums = sm_snapshot_summarize_scopes (snap);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmProfile) back = NULL;
  static const char *const headings[] = {
    "# Enhanced Performance Profile Report", "**Generated:**", "## Summary", "**Total Runtime:**",
    "## 🔥 Hot Paths (all ", "## 💾 Top Allocators", "## ⚙️ Kernel Throughput",
    "## 🧮 Per-op Breakdown", "## 🤖 Model Throughput", "## 🎯 Scorecard",
  };

  for (guint i = 0; i < G_N_ELEMENTS (headings); i++)
    if (strstr (md, headings[i]) == NULL)
      g_error ("the report lacks \"%s\"", headings[i]);
  g_assert_nonnull (strstr (md, snap->created));

  back = sm_profile_from_markdown (md, "report.md", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->timestamp, ==, snap->created);
  g_assert_cmpuint (back->rows->len, ==, sums->len);
  for (guint i = 0; i < sums->len; i++)
    {
      const SmScopeSummary *s = &g_array_index (sums, SmScopeSummary, i);
      const SmProfileRow *r = sm_profile_find (back, s->name);
      g_assert_nonnull (r);
      g_assert_cmpfloat (fabs (r->total_ms - s->total_ns / 1e6), <=, 0.005 + 1e-9);
      g_assert_cmpfloat (fabs (r->self_ms - s->self_ns / 1e6), <=, 0.005 + 1e-9);
      g_assert_cmpuint (r->calls, ==, s->count);
      g_assert_cmpstr (r->parent, ==, s->parent_name);
      g_assert_cmpint (r->top, ==, s->top);
    }
  g_assert_cmpfloat (fabs (sm_profile_total_ms (back) - sm_snapshot_total_ns (snap) / 1e6), <=, 0.02);
}

/* The per-op breakdown folds every shape of an op kind into one row, split by pass: its
 * matmul row holds the shaped matmul records of the forward passes, the biggest share. */
static void
test_markdown_op_breakdown (void)
{
  g_autoptr (SmSnapshot) snap = recorded_snapshot ();
  g_autofree char *md = sm_export_markdown_string (snap);
  const char *sec = strstr (md, "## 🧮 Per-op Breakdown");
  g_auto (GStrv) lines = NULL;
  guint64 calls = 0, ns[SM_N_OP_PASSES] = { 0 };
  double share_sum = 0, prev_total = INFINITY;
  gboolean matmul_row = FALSE;
  guint rows = 0;

  g_assert_nonnull (sec);
  for (guint i = 0; i < snap->ops->len; i++)
    {
      const SmOpRecord *r = &g_array_index (snap->ops, SmOpRecord, i);
      g_assert_cmpint (r->pass, !=, SM_OP_PASS_OTHER);   /* all of them ran in sm_forward */
      if (r->op != SM_OP_MATMUL)
        continue;
      g_assert_cmpint (r->m, >, 0);
      calls += r->count;
      ns[r->pass] += r->ns;
    }
  g_assert_cmpuint (ns[SM_OP_PASS_PREFILL], >, 0);
  g_assert_cmpuint (ns[SM_OP_PASS_DECODE], >, 0);

  lines = g_strsplit (sec, "\n", -1);
  for (guint i = 0; lines[i] && (i < 3 || lines[i][0] != '#'); i++)
    {
      g_auto (GStrv) f = NULL;
      if (!g_str_has_prefix (lines[i], "| ") || g_str_has_prefix (lines[i], "| Op "))
        continue;
      f = g_strsplit (lines[i], "|", -1);
      g_assert_cmpuint (g_strv_length (f), ==, 14);
      rows++;
      share_sum += g_ascii_strtod (f[7], NULL);
      /* sorted by total, biggest first */
      g_assert_cmpfloat (g_ascii_strtod (f[6], NULL), <=, prev_total);
      prev_total = g_ascii_strtod (f[6], NULL);
      if (strcmp (g_strstrip (f[1]), "matmul") == 0)
        {
          matmul_row = TRUE;
          g_assert_cmpuint (g_ascii_strtoull (f[3], NULL, 10), ==, calls);
          g_assert_cmpfloat (fabs (g_ascii_strtod (f[4], NULL) - ns[SM_OP_PASS_PREFILL] / 1e6), <=, 0.005 + 1e-9);
          g_assert_cmpfloat (fabs (g_ascii_strtod (f[5], NULL) - ns[SM_OP_PASS_DECODE] / 1e6), <=, 0.005 + 1e-9);
        }
    }
  g_assert_true (matmul_row);
  g_assert_cmpuint (rows, >=, 5);       /* embed, norm, matmul, attention, gelu */
  g_assert_cmpfloat (fabs (share_sum - 100.0), <=, 0.05 * rows);
}

/* The scorecard row of @target ("Small tok/s", ...) in @md, or fails. */
static char *
scorecard_row (const char *md, const char *target)
{
  const char *sec = strstr (md, "## 🎯 Scorecard");
  const char *row;

  g_assert_nonnull (sec);
  row = strstr (sec, target);
  if (row == NULL)
    g_error ("the scorecard has no row \"%s\"", target);
  return g_strndup (row, strcspn (row, "\n"));
}

/* The scorecard holds the full harness to the seed's figures and a reduced run (--quick) to
 * none; the matmul row goes per multiply; the allocation row reads decode's steady state. */
static void
test_scorecard (void)
{
  for (int full = 0; full < 2; full++)
    {
      g_autoptr (SmSnapshot) snap = sm_snapshot_new ("scorecard");
      g_autofree char *md = NULL, *small = NULL, *medium = NULL, *mm = NULL, *over = NULL, *allocs = NULL;
      SmMeasurement *pairs = sm_snapshot_measurement (snap, "overhead_Small_pair_pct", "%");

      snap->pool_enabled = TRUE;
      sm_measurement_add (sm_snapshot_measurement (snap, "suite_tokens", "tokens"), full ? 25 : 3);
      sm_measurement_add (sm_snapshot_measurement (snap, "suite_prompt", "tokens"), 10);
      sm_measurement_add (sm_snapshot_measurement (snap, "suite_warmup", "runs"), full ? 1 : 0);
      sm_measurement_add (sm_snapshot_measurement (snap, "suite_matmul_iterations", "runs"), full ? 3 : 1);
      sm_measurement_add (sm_snapshot_measurement (snap, "Model_Small_tok_s", "tok/s"), 6000);
      sm_measurement_add (sm_snapshot_measurement (snap, "Model_Medium_tok_s", "tok/s"), 1000);
      /* 4 multiplies in 800 ms beat the seed's 906; 1 in 300 ms does not beat its 226.5 */
      sm_measurement_add (sm_snapshot_measurement (snap, "scope:MatMul_512x512", "ms"), full ? 800 : 300);
      sm_measurement_add (sm_snapshot_measurement (snap, "overhead_pct", "%"), 1.5);
      for (int i = 0; i < (full ? 31 : 2); i++)
        sm_measurement_add (pairs, 1.5);
      sm_measurement_add (sm_snapshot_measurement (snap, "Model_Small_KV_steady_sys_allocs_per_token", "allocs"), 0);
      sm_measurement_add (sm_snapshot_measurement (snap, "Model_Medium_KV_steady_sys_allocs_per_token", "allocs"),
                          full ? 0 : 0.5);

      md = sm_export_markdown_string (snap);
      small = scorecard_row (md, "| Small tok/s");
      medium = scorecard_row (md, "| Medium tok/s");
      mm = scorecard_row (md, "| MatMul 512²");
      over = scorecard_row (md, "| Profiling overhead");
      allocs = scorecard_row (md, "| System allocations per decoded token");
      g_assert_nonnull (strstr (mm, full ? "200.00 ms" : "300.00 ms"));
      g_assert_nonnull (strstr (mm, full ? "PASS" : "FAIL"));
      if (full)
        {
          g_assert_nonnull (strstr (small, "PASS"));     /* 6000 ≥ 5600 */
          g_assert_nonnull (strstr (medium, "FAIL"));    /* 1000 < 1300 */
          g_assert_nonnull (strstr (over, "PASS"));
          g_assert_nonnull (strstr (allocs, "PASS"));
        }
      else
        {
          g_assert_nonnull (strstr (small, "not comparable"));
          g_assert_nonnull (strstr (medium, "not comparable"));
          g_assert_nonnull (strstr (over, "too few"));
          g_assert_nonnull (strstr (allocs, "0.50"));    /* the worse of the two models */
          g_assert_nonnull (strstr (allocs, "not comparable"));
        }
    }
}

/* ---- atomic writes ------------------------------------------------------------------------------- */

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  g_assert_nonnull (d);
  while (g_dir_read_name (d))
    n++;
  return n;
}

static void
remove_all (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

typedef gboolean (*ExportFn) (const SmSnapshot *snap, const char *path, GError **error);

static void
test_atomic (void)
{
  g_autoptr (SmSnapshot) snap = recorded_snapshot ();
  g_autofree char *dir = g_dir_make_tmp ("sm-export-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "a-file", NULL);
  g_autofree char *subdir = g_build_filename (dir, "report.md", NULL);
  g_autofree char *good = g_build_filename (dir, "good.csv", NULL);
  g_autofree char *content = NULL;
  static const ExportFn fns[] = { sm_export_json, sm_export_markdown, sm_export_csv,
                                  sm_export_chrome_trace };

  g_assert_true (g_file_set_contents (file, "keep me", -1, NULL));
  g_assert_cmpint (g_mkdir (subdir, 0755), ==, 0);
  g_assert_cmpuint (count_entries (dir), ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (fns); i++)
    {
      /* a folder that does not exist */
      {
        g_autoptr (GError) error = NULL;
        g_autofree char *path = g_build_filename (dir, "missing", "out.txt", NULL);
        g_assert_false (fns[i] (snap, path, &error));
        g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        g_assert_nonnull (strstr (error->message, path));
      }
      /* a "folder" that is a file */
      {
        g_autoptr (GError) error = NULL;
        g_autofree char *path = g_build_filename (file, "out.txt", NULL);
        g_assert_false (fns[i] (snap, path, &error));
        g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
        g_assert_nonnull (strstr (error->message, path));
      }
      /* the target is a folder: the temporary file is written, the rename fails, and the
       * temporary file must go */
      {
        g_autoptr (GError) error = NULL;
        g_assert_false (fns[i] (snap, subdir, &error));
        g_assert_nonnull (error);
        g_assert_nonnull (strstr (error->message, subdir));
        g_assert_true (g_file_test (subdir, G_FILE_TEST_IS_DIR));
      }
      /* nothing partial left anywhere */
      g_assert_cmpuint (count_entries (dir), ==, 2);
      g_assert_cmpuint (count_entries (subdir), ==, 0);
    }

  /* a folder we may not write to (meaningless as root, who may) */
  if (geteuid () != 0)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *path = g_build_filename (subdir, "out.json", NULL);
      g_assert_cmpint (g_chmod (subdir, 0555), ==, 0);
      g_assert_false (sm_export_json (snap, path, &error));
      g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ACCES);
      g_assert_cmpint (g_chmod (subdir, 0755), ==, 0);
      g_assert_cmpuint (count_entries (subdir), ==, 0);
    }

  /* success replaces a file whole, and leaves only it */
  g_assert_true (g_file_set_contents (good, "old", -1, NULL));
  g_assert_true (sm_export_csv (snap, good, NULL));
  g_assert_true (g_file_get_contents (good, &content, NULL, NULL));
  g_assert_true (g_str_has_prefix (content, "kind,name,"));
  g_assert_cmpuint (count_entries (dir), ==, 3);
  {
    g_autofree char *kept = NULL;
    g_assert_true (g_file_get_contents (file, &kept, NULL, NULL));
    g_assert_cmpstr (kept, ==, "keep me");
  }

  g_unlink (good);
  g_unlink (file);
  g_rmdir (subdir);
  g_rmdir (dir);
}

/* A symbolic link keeps pointing where it did and its file gets the data (a dangling one
 * too); a FIFO (as /dev/null or /dev/stdout would be) is written into, not replaced by a
 * file. */
static void
test_atomic_links_and_fifos (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-export-XXXXXX", NULL);
  g_autofree char *real = g_build_filename (dir, "real.md", NULL);
  g_autofree char *link = g_build_filename (dir, "link.md", NULL);
  g_autofree char *dangling = g_build_filename (dir, "dangling.md", NULL);
  g_autofree char *later = g_build_filename (dir, "later.md", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
  g_autofree char *content = NULL, *target = NULL;
  char buf[64] = { 0 };
  struct stat st;
  int rd;

  g_assert_true (g_file_set_contents (real, "old", -1, NULL));
  g_assert_cmpint (symlink ("real.md", link), ==, 0);
  g_assert_true (sm_export_write_atomic (link, "new", -1, NULL));
  g_assert_cmpint (lstat (link, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  target = g_file_read_link (link, NULL);
  g_assert_cmpstr (target, ==, "real.md");
  g_assert_true (g_file_get_contents (real, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "new");
  g_clear_pointer (&content, g_free);

  g_assert_cmpint (symlink (later, dangling), ==, 0);
  g_assert_true (sm_export_write_atomic (dangling, "made", -1, NULL));
  g_assert_cmpint (lstat (dangling, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  g_assert_true (g_file_get_contents (later, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "made");

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  /* checking it does not wait for a reader */
  g_assert_true (sm_atomic_file_check_writable (1, (const char *[]) { fifo }, NULL));
  /* a reader that does not wait, so the writer's open finds one and nothing blocks */
  rd = open (fifo, O_RDONLY | O_NONBLOCK);
  g_assert_cmpint (rd, >=, 0);
  g_assert_true (sm_export_write_atomic (fifo, "through", -1, NULL));
  g_assert_cmpint (read (rd, buf, sizeof buf - 1), ==, 7);
  g_assert_cmpstr (buf, ==, "through");
  close (rd);
  g_assert_cmpint (lstat (fifo, &st), ==, 0);
  g_assert_true (S_ISFIFO (st.st_mode));
  g_assert_cmpuint (count_entries (dir), ==, 5);   /* no temporary file beside any of them */

  g_unlink (fifo);
  g_unlink (later);
  g_unlink (dangling);
  g_unlink (link);
  g_unlink (real);
  g_rmdir (dir);
}

/* A set of files is written whole or not at all: when one cannot be, the others keep their
 * old contents and no temporary file is left. */
static void
test_atomic_set (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-export-XXXXXX", NULL);
  g_autofree char *a = g_build_filename (dir, "a.json", NULL);
  g_autofree char *b = g_build_filename (dir, "b.md", NULL);
  g_autofree char *c = g_build_filename (dir, "c.csv", NULL);
  const char *paths[] = { a, b, c };
  const char *texts[] = { "new a", "new b", "new c" };
  g_autofree char *content = NULL;

  g_assert_true (g_file_set_contents (a, "old a", -1, NULL));
  g_assert_true (g_file_set_contents (b, "old b", -1, NULL));
  /* the last target is a folder: found before any rename */
  g_assert_cmpint (g_mkdir (c, 0755), ==, 0);
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (sm_atomic_files_set_contents (3, paths, texts, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
    g_assert_nonnull (strstr (error->message, c));
  }
  g_assert_true (g_file_get_contents (a, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "old a");
  g_clear_pointer (&content, g_free);
  g_assert_true (g_file_get_contents (b, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "old b");
  g_clear_pointer (&content, g_free);
  g_assert_cmpuint (count_entries (dir), ==, 3);

  /* the middle one's folder does not exist: the same */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *missing = g_build_filename (dir, "missing", "b.md", NULL);
    const char *paths2[] = { a, missing };
    g_assert_false (sm_atomic_files_set_contents (2, paths2, texts, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  }
  g_assert_true (g_file_get_contents (a, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "old a");
  g_clear_pointer (&content, g_free);
  g_assert_cmpuint (count_entries (dir), ==, 3);

  /* with the way clear, all of them */
  g_assert_cmpint (g_rmdir (c), ==, 0);
  g_assert_true (sm_atomic_files_set_contents (3, paths, texts, NULL));
  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (g_file_get_contents (paths[i], &content, NULL, NULL));
      g_assert_cmpstr (content, ==, texts[i]);
      g_clear_pointer (&content, g_free);
      g_unlink (paths[i]);
    }
  g_assert_cmpuint (count_entries (dir), ==, 0);
  g_rmdir (dir);
}

/* The format and the name of an export agree, whatever filter was chosen and name typed
 * (Markdown used to go into a .json file under the Markdown filter). */
static void
test_format_resolve (void)
{
  static const struct { const char *path, *chosen, *format, *out; } cases[] = {
    { "run.json", "json", "json", "run.json" },
    { "run.json", "markdown", "json", "run.json" },          /* the name says JSON */
    { "run.md", "json", "markdown", "run.md" },              /* the name says Markdown */
    { "report", "markdown", "markdown", "report.md" },       /* no extension: the filter's */
    { "table", "csv", "csv", "table.csv" },
    { "run", NULL, "json", "run.json" },
    { "run.trace.json", "json", "trace", "run.trace.json" }, /* the longer extension */
    { "run.json", "trace", "trace", "run.json" },            /* a trace may be .json */
    { "charts.png", "json", "png", "charts.png" },
    { "dir.d/run", "csv", "csv", "dir.d/run.csv" },          /* a dot in a folder is no extension */
    { "run.txt", "markdown", "markdown", "run.txt.md" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;
      const char *format = sm_export_format_resolve (cases[i].path, cases[i].chosen, &out);

      g_assert_cmpstr (format, ==, cases[i].format);
      g_assert_cmpstr (out, ==, cases[i].out);
    }
}

/* A full disk (a 64 KiB tmpfs filled to its last byte): every write fails with NOSPC, saying
 * so and naming the file; the file there before is whole and alone; with room again it works. */
static void
test_atomic_full_disk (void)
{
  const char *dir = sm_test_tmpfs_dir ();
  g_autofree char *old = NULL, *fresh = NULL, *second = NULL, *kept = NULL, *big = NULL, *filler = NULL;

  if (dir == NULL)
    {
      sm_test_run_in_tmpfs ("/Export/atomic-full-disk", 64, NULL);
      return;
    }
  old = g_build_filename (dir, "report.md", NULL);
  fresh = g_build_filename (dir, "new.json", NULL);
  second = g_build_filename (dir, "second.csv", NULL);
  filler = g_build_filename (dir, "filler", NULL);
  big = g_strnfill (48 * 1024, 'x');
  g_assert_true (g_file_set_contents (old, "the old report\n", -1, NULL));
  g_test_message ("filled with %" G_GSIZE_FORMAT " bytes", sm_test_fill_disk (dir, "filler"));

  {
    g_autoptr (GError) error = NULL;
    g_assert_false (sm_atomic_file_set_contents (old, big, -1, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, old));
    g_assert_nonnull (strstr (error->message, g_strerror (ENOSPC)));
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (sm_atomic_file_set_contents (fresh, "{}", -1, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
    g_assert_nonnull (strstr (error->message, fresh));
  }
  {
    g_autoptr (GError) error = NULL;
    const char *paths[] = { old, second };
    const char *texts[] = { big, "a,b\n" };
    g_assert_false (sm_atomic_files_set_contents (2, paths, texts, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
  }
  /* the old file whole and nothing else: no temporary file, no half of a new one */
  g_assert_true (g_file_get_contents (old, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "the old report\n");
  g_assert_cmpuint (count_entries (dir), ==, 2);

  g_assert_cmpint (g_unlink (filler), ==, 0);
  g_assert_true (sm_atomic_file_set_contents (old, big, -1, NULL));
  g_clear_pointer (&kept, g_free);
  g_assert_true (g_file_get_contents (old, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, big);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  g_unlink (old);
}

/* SIGKILL (no handler runs) while a file is half written leaves nothing beside it: the
 * temporary file is unnamed until it is whole (where the file system has O_TMPFILE). */
static void
test_atomic_sigkill (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-export-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "out.bin", NULL);
  int pipefd[2];
  pid_t pid;
  int status = 0;
  char c;

  g_assert_cmpint (pipe (pipefd), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      SmAtomicFile *f = sm_atomic_file_new (path, G_FILE_ERROR, 0, NULL);
      g_autofree char *half = g_strnfill (256 * 1024, 'h');
      if (f == NULL || !sm_atomic_file_write (f, half, strlen (half), NULL))
        _exit (1);
      if (write (pipefd[1], "w", 1) != 1)
        _exit (1);
      for (;;)
        pause ();
    }
  close (pipefd[1]);
  g_assert_cmpint (read (pipefd[0], &c, 1), ==, 1);
  close (pipefd[0]);
  if (count_entries (dir) > 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      remove_all (dir);
      g_test_skip ("this file system has no O_TMPFILE: the temporary file has a name");
      return;
    }
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpuint (count_entries (dir), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Export/csv", test_csv);
  g_test_add_func ("/Export/format-resolve", test_format_resolve);
  g_test_add_func ("/Export/trace", test_trace);
  g_test_add_func ("/Export/markdown", test_markdown);
  g_test_add_func ("/Export/markdown-op-breakdown", test_markdown_op_breakdown);
  g_test_add_func ("/Export/scorecard", test_scorecard);
  g_test_add_func ("/Export/atomic", test_atomic);
  g_test_add_func ("/Export/atomic-set", test_atomic_set);
  g_test_add_func ("/Export/atomic-links-and-fifos", test_atomic_links_and_fifos);
  g_test_add_func ("/Export/atomic-full-disk", test_atomic_full_disk);
  g_test_add_func ("/Export/atomic-sigkill", test_atomic_sigkill);
  return g_test_run ();
}
