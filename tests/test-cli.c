/* test-cli.c: smallmind-cli as a person meets it: bad input refused before any work, with a
 * message that says what is wrong, nothing half-written on stdout or on disk. */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "sm-gguf.h"
#include "sm-model.h"
#include "sm-test-util.h"

/* As sm_test_run_cli, with @input (@len bytes) on the command's standard input. */
static int
run_cli_stdin (const char *const *args, const char *input, gsize len, char **out, char **err)
{
  const char *build = g_getenv ("SM_BUILD_ROOT");
  g_autofree char *cli = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GBytes) in = g_bytes_new (input, len);
  g_autoptr (GBytes) o = NULL, e = NULL;

  if (build == NULL)
    {
      g_test_skip ("SM_BUILD_ROOT is not set (run through meson test)");
      return -1;
    }
  cli = g_build_filename (build, "app", "smallmind-cli", NULL);
  g_ptr_array_add (argv, cli);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                            G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate (proc, in, NULL, &o, &e, &error));
  g_assert_no_error (error);
  *out = g_strndup (g_bytes_get_data (o, NULL), g_bytes_get_size (o));
  *err = g_strndup (g_bytes_get_data (e, NULL), g_bytes_get_size (e));
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : 128;
}

/* A command line and what its error must say. */
typedef struct {
  const char *args[14];
  const char *says;
} Refusal;

/* Each case fails (non-zero exit), prints nothing on stdout and says what is wrong. */
static void
check_refusals (const Refusal *cases, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      int rc = sm_test_run_cli (cases[i].args, &out, &err);
      if (rc < 0)
        return;
      g_assert_cmpint (rc, !=, 0);
      g_assert_cmpstr (out, ==, "");
      if (strstr (err, cases[i].says) == NULL)
        g_error ("%s case %u: stderr \"%s\" does not say \"%s\"", cases[i].args[0], i, err, cases[i].says);
      g_assert_null (strstr (err, "CRITICAL"));
    }
}

/* A prompt longer than the context, or a sampling setting out of range: an error on stderr
 * naming the problem, and nothing at all on stdout (the prompt used to be echoed first). */
static void
test_generate_refusals (void)
{
  g_autofree char *long_prompt = g_strnfill (200, 'x');
  const Refusal cases[] = {
    { { "generate", "--preset", "small", "-p", long_prompt, "-n", "3", NULL }, "context holds 64" },
    { { "generate", "--preset", "small", "--temp", "nan", NULL }, "temperature" },
    { { "generate", "--preset", "small", "--top-p", "1.5", NULL }, "top-p" },
    { { "generate", "--preset", "small", "-n", "-1", NULL }, "-n" },
    { { "generate", "--preset", "small", "-m", "x.gguf", NULL }, "not both" },
    { { "init", "never-written.gguf", "--dim", "63", NULL }, "multiple of --heads" },
    { { "init", "never-written.gguf", "--dim", "8192", "--heads", "64", "--hidden", "65536", "--layers", "64", NULL }, "GB in memory" },
  };

  check_refusals (cases, G_N_ELEMENTS (cases));
}

static double
median3 (const double v[3])
{
  return MAX (MIN (v[0], v[1]), MIN (MAX (v[0], v[1]), v[2]));
}

/* bench -o json carries, for decode, the bytes a token moves and the share of the measured
 * bandwidth they make at that speed: the bandwidth is a positive figure for each thread count,
 * the bytes are the model's weights (an untied embedding counting one row) plus the KV term,
 * and the share is tok/s × bytes / bandwidth.  Against the read of the model's own weights,
 * run between the repetitions, each repetition's share is of the better read beside it, and
 * the figures are the medians of three.  No timing is judged. */
static void
test_bench_bandwidth_json (void)
{
  const char *args[] = { "bench", "--preset", "small", "-p", "4", "-n", "8", "-t", "1,2", "-r", "3",
                         "--bandwidth-mib", "32", "-o", "json", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SmModel) model = sm_model_new_preset (SM_PRESET_SMALL, 1);
  const SmModelConfig *c = sm_model_get_config (model);
  const double weights = (double) sm_model_weight_bytes (model);
  /* tg8: token i of 8 attends over i + 2 positions, 5.5 on average; K and V, f32 */
  const double kv = 2.0 * c->n_layers * c->n_kv_heads * c->head_dim * 4 * 5.5;
  int rc = sm_test_run_cli (args, &out, &err);
  guint n_tg = 0;

  if (rc < 0)
    return;
  g_assert_cmpint (rc, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpfloat (json_object_get_int_member (root, "weight_bytes"), ==, weights);

  JsonArray *bw = json_object_get_array_member (root, "read_bandwidth");
  g_assert_cmpuint (json_array_get_length (bw), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *o = json_array_get_object_element (bw, i);
      g_assert_cmpint (json_object_get_int_member (o, "threads"), ==, i + 1);
      g_assert_cmpfloat (json_object_get_double_member (o, "bytes_per_second"), >, 0.0);
    }

  JsonArray *results = json_object_get_array_member (root, "results");
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *r = json_array_get_object_element (results, i);
      const char *test = json_object_get_string_member (r, "test");
      /* resident memory holds at least what the pool got from the system (the KV cache and
       * activations); the weights are the built-in model's, in that memory too */
      gint64 rss = json_object_get_int_member (r, "rss_bytes");
      gint64 pool = json_object_get_int_member (r, "pool_bytes");
      g_assert_cmpint (pool, >=, json_object_get_int_member (r, "kv_cache_bytes"));
      g_assert_cmpint (rss, >=, pool + (gint64) weights);
      if (!g_str_equal (test, "tg8"))
        {
          /* prefill's bytes are not one pass over the weights a token: none are claimed */
          g_assert_false (json_object_has_member (r, "bytes_per_token"));
          continue;
        }
      n_tg++;
      double wpt = json_object_get_double_member (r, "weight_bytes_per_token");
      double bpt = json_object_get_double_member (r, "bytes_per_token");
      double tps = json_object_get_double_member (r, "tokens_per_second");
      double rbw = json_object_get_double_member (r, "read_bandwidth");
      double pct = json_object_get_double_member (r, "bandwidth_percent");
      gint64 th = json_object_get_int_member (r, "threads");
      if (c->tied_output)
        g_assert_cmpfloat (wpt, ==, weights);
      else
        g_assert_true (wpt < weights && wpt > 0.5 * weights);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (r, "kv_bytes_per_token"), kv, 1e-6);
      g_assert_cmpfloat_with_epsilon (bpt, wpt + kv, 1e-6);
      /* against the highest of the run's first measurement and those just before and after */
      double first = json_object_get_double_member (json_array_get_object_element (bw, (guint) th - 1),
                                                    "bytes_per_second");
      double before = json_object_get_double_member (r, "read_bandwidth_before");
      double after = json_object_get_double_member (r, "read_bandwidth_after");
      g_assert_cmpfloat (before, >, 0.0);
      g_assert_cmpfloat (after, >, 0.0);
      g_assert_cmpfloat (rbw, ==, MAX (first, MAX (before, after)));
      g_assert_cmpfloat (tps, >, 0.0);
      g_assert_cmpfloat_with_epsilon (pct, 100.0 * tps * bpt / rbw, 1e-9 * pct);
      /* and against the same plain read over the model's own weights, read between the
       * repetitions: each repetition against the better read beside it, then the medians */
      JsonArray *reps = json_object_get_array_member (r, "repetitions");
      const guint n_reps = json_array_get_length (reps);
      double share[3], reads[3], sum_tps = 0.0;
      g_assert_cmpuint (n_reps, ==, json_object_get_int_member (r, "reps"));
      g_assert_cmpuint (n_reps, ==, G_N_ELEMENTS (share));
      for (guint k = 0; k < n_reps; k++)
        {
          JsonObject *o = json_array_get_object_element (reps, k);
          double t = json_object_get_double_member (o, "tokens_per_second");
          double rb = json_object_get_double_member (o, "weights_read_before");
          double ra = json_object_get_double_member (o, "weights_read_after");
          g_assert_cmpfloat (t, >, 0.0);
          g_assert_cmpfloat (rb, >, 0.0);
          g_assert_cmpfloat (ra, >, 0.0);
          if (k + 1 < n_reps)   /* one read between two repetitions, shared by both */
            g_assert_cmpfloat (ra, ==, json_object_get_double_member (json_array_get_object_element (reps, k + 1),
                                                                     "weights_read_before"));
          reads[k] = MAX (rb, ra);
          share[k] = 100.0 * t * bpt / reads[k];
          g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "weights_bandwidth_percent"), share[k],
                                          1e-9 * share[k]);
          sum_tps += t;
        }
      g_assert_cmpfloat_with_epsilon (sum_tps / n_reps, tps, 1e-9 * tps);
      g_assert_cmpfloat (json_object_get_double_member (r, "weights_read_bandwidth"), ==, median3 (reads));
      g_assert_cmpfloat (json_object_get_double_member (r, "weights_bandwidth_percent"), ==, median3 (share));
    }
  g_assert_cmpuint (n_tg, ==, 2);
}

/* Benchmark settings that cannot be meant are refused before any timing: no empty table, no
 * "1000 threads" in a report the engine ran on 64. */
static void
test_bench_refusals (void)
{
  const Refusal cases[] = {
    { { "bench", "--preset", "small", "-r", "0", NULL }, "--repetitions" },
    { { "bench", "--preset", "small", "-t", "1000", NULL }, "from 1 to 64" },
    { { "bench", "--preset", "small", "--bandwidth-mib", "-1", NULL }, "--bandwidth-mib" },
    { { "bench", "kernels", "-k", "nosuch", NULL }, "no kernel is called 'nosuch'" },
    { { "bench", "kernels", "-k", "dot", "-t", "0", NULL }, "thread count" },
    { { "bench", "kernels", "-k", "dot", "-r", "-1", NULL }, "--reps" },
    { { "profile", "--enhanced", "--repeat", "0", NULL }, "--repeat" },
  };

  check_refusals (cases, G_N_ELEMENTS (cases));
}

/* --cache-type: an unknown type is refused before any work; bench's JSON names the type of
 * each result and its bytes (f16: half of f32's), and info says what a session would rent. */
static gint64
bench_kv_bytes (const char *type)
{
  const char *args[] = { "bench", "--preset", "small", "-p", "8", "-n", "4", "-r", "1", "-o", "json",
                         "--cache-type", type, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gint64 bytes = -1;
  int rc = sm_test_run_cli (args, &out, &err);

  if (rc < 0)
    return -1;
  g_assert_cmpint (rc, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  JsonArray *results = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "results");
  g_assert_cmpuint (json_array_get_length (results), ==, 2);   /* pp8, tg4 */
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *r = json_array_get_object_element (results, i);
      g_assert_cmpstr (json_object_get_string_member (r, "kv_cache"), ==, type);
      bytes = json_object_get_int_member (r, "kv_cache_bytes");
      g_assert_cmpint (bytes, >, 0);
    }
  return bytes;
}

static void
test_cache_type (void)
{
  const Refusal cases[] = {
    { { "generate", "--preset", "small", "--cache-type", "q8_0", NULL }, "Unknown KV cache type 'q8_0' (use f32 or f16)" },
    { { "bench", "--preset", "small", "--cache-type", "F16", NULL }, "Unknown KV cache type" },
    { { "info", "--preset", "small", "--cache-type", "half", NULL }, "Unknown KV cache type" },
  };
  const char *info_args[] = { "info", "--preset", "small", "--cache-type", "f16", NULL };
  g_autofree char *out = NULL, *err = NULL;
  gint64 f32, f16;

  check_refusals (cases, G_N_ELEMENTS (cases));
  f32 = bench_kv_bytes ("f32");
  f16 = bench_kv_bytes ("f16");
  if (f32 < 0 || f16 < 0)
    return;
  g_assert_cmpint (f16 * 2, ==, f32);
  /* Small: keys and values, 2 layers × 4 heads × 32 dims × its 64 positions (a stride of 64) */
  g_assert_cmpint (f32, ==, 2 * 2 * 4 * 32 * 64 * 4);
  g_assert_cmpint (sm_test_run_cli (info_args, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "kv cache:       f16, 0.06 MiB over 64 positions (f32: 0.12 MiB)"));
}

/* An output that cannot be written stops train before its first step, not after its last. */
static void
test_train_checks_outputs_first (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-cli-XXXXXX", NULL);
  g_autofree char *corpus = g_build_filename (dir, "text.txt", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "model.smck", NULL);
  g_autofree char *snapshot = g_build_filename (dir, "no-such-folder", "run.json", NULL);
  g_autofree char *model = g_build_filename (dir, "model.smck", NULL);
  g_autoptr (GString) text = g_string_new (NULL);

  for (int i = 0; i < 400; i++)
    g_string_append (text, "Once upon a time a small robot read a story to the cat. ");
  g_assert_true (g_file_set_contents (corpus, text->str, (gssize) text->len, NULL));

  {
    const char *args[] = { "train", "--dim", "32", "--layers", "1", "--heads", "2", "-c", "32",
                           "-b", "4", "-n", "100000", "-o", missing, corpus, NULL };
    g_autofree char *out = NULL, *err = NULL;
    int rc = sm_test_run_cli (args, &out, &err);
    if (rc < 0)
      return;
    g_assert_cmpint (rc, !=, 0);
    g_assert_nonnull (strstr (err, missing));
    /* 100000 steps never started: no run line, no step */
    g_assert_null (strstr (err, "run: steps"));
  }
  {
    /* the model's folder is fine, the snapshot's is not */
    const char *args[] = { "train", "--dim", "32", "--layers", "1", "--heads", "2", "-c", "32",
                           "-b", "4", "-n", "100000", "-o", model, "--snapshot", snapshot, corpus, NULL };
    g_autofree char *out = NULL, *err = NULL;
    g_assert_cmpint (sm_test_run_cli (args, &out, &err), !=, 0);
    g_assert_nonnull (strstr (err, snapshot));
    g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  }
  /* values that cannot be meant are refused, not replaced by defaults */
  {
    const char *bad[][2] = { { "-n", "0" }, { "--heads", "0" }, { "--layers", "-2" }, { "-b", "0" } };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        const char *args[] = { "train", "--dim", "32", "--layers", "1", "--heads", "2", "-c", "32",
                               "-b", "4", "-n", "5", bad[i][0], bad[i][1], "-o", model, corpus, NULL };
        g_autofree char *out = NULL, *err = NULL;
        g_assert_cmpint (sm_test_run_cli (args, &out, &err), !=, 0);
        g_assert_nonnull (strstr (err, "must be 1 or more"));
        g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
      }
  }
  /* --resume keeps the saved run's settings: changing them is refused, and a run already at
   * its last step says so */
  {
    g_autofree char *ckpt = g_build_filename (dir, "model.train.smck", NULL);
    const char *first[] = { "train", "--dim", "32", "--layers", "1", "--heads", "2", "-c", "32",
                            "-b", "4", "-n", "5", "--eval-every", "0", "-o", model, corpus, NULL };
    const char *change[] = { "train", "--resume", ckpt, "-b", "8", "--lr", "0.01", corpus, NULL };
    const char *again[] = { "train", "--resume", ckpt, corpus, NULL };
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;

    g_assert_cmpint (sm_test_run_cli (first, &out, &err), ==, 0);
    g_assert_cmpint (sm_test_run_cli (change, &out2, &err2), !=, 0);
    g_assert_nonnull (strstr (err2, "--batch, --lr would change them"));
    g_assert_cmpint (sm_test_run_cli (again, &out3, &err3), !=, 0);
    g_assert_nonnull (strstr (err3, "at step 5 of 5 already"));
    g_unlink (ckpt);
    g_unlink (model);
  }
  g_unlink (corpus);
  g_rmdir (dir);
}

static void
copy_into (const char *src, const char *dir)
{
  g_autofree char *name = g_path_get_basename (src);
  g_autofree char *dst = g_build_filename (dir, name, NULL);
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (src, &data, &len, NULL));
  g_assert_true (g_file_set_contents (dst, data, (gssize) len, NULL));
}

/* llama2.c's checkpoint without -z takes its tokenizer from beside it: tokNNN.bin for its
 * vocabulary of NNN, as llama2.c names them, else tokenizer.bin.  When that one is another
 * model's (the 32000-token llama tokenizer beside the 512-token stories260K), it is refused,
 * the file named once. */
static void
test_tokenizer_mismatch (void)
{
  g_autofree char *bin = sm_test_shared_model ("stories260K.bin");
  g_autofree char *big = sm_test_shared_model ("tokenizer.bin");
  g_autofree char *small = sm_test_shared_model ("tok512.bin");
  g_autofree char *dir = g_dir_make_tmp ("sm-cli-tok-XXXXXX", NULL);
  g_autofree char *model = g_build_filename (dir, "stories260K.bin", NULL);
  g_autofree char *big_copy = g_build_filename (dir, "tokenizer.bin", NULL);
  g_autofree char *small_copy = g_build_filename (dir, "tok512.bin", NULL);

  if (bin == NULL || big == NULL || small == NULL)
    return;
  copy_into (bin, dir);
  copy_into (big, dir);
  {
    g_autofree char *out = NULL, *err = NULL;
    const char *args[] = { "generate", "-m", model, "-n", "3", NULL };
    int rc = sm_test_run_cli (args, &out, &err);
    if (rc < 0)
      return;
    g_assert_cmpint (rc, !=, 0);
    g_assert_cmpstr (out, ==, "");
    g_assert_nonnull (strstr (err, "its tokenizer tokenizer.bin holds 32000 tokens, but the model's vocabulary is 512"));
    /* named once */
    g_assert_null (strstr (strstr (err, model) + strlen (model), dir));
  }
  copy_into (small, dir);
  {
    g_autofree char *out = NULL, *err = NULL;
    const char *args[] = { "generate", "-m", model, "-n", "3", NULL };
    g_assert_cmpint (sm_test_run_cli (args, &out, &err), ==, 0);
  }
  g_unlink (model);
  g_unlink (big_copy);
  g_unlink (small_copy);
  g_rmdir (dir);
}

/* Output that never reached stdout (here /dev/full) fails the command. */
static void
test_stdout_full (void)
{
  const char *build = g_getenv ("SM_BUILD_ROOT");
  g_autofree char *cmd = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  if (build == NULL || !g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("needs SM_BUILD_ROOT and /dev/full");
      return;
    }
  cmd = g_strdup_printf ("exec '%s/app/smallmind-cli' generate --preset small -n 3 >/dev/full", build);
  g_assert_true (g_spawn_sync (NULL, (char *[]) { (char *) "/bin/sh", (char *) "-c", cmd, NULL }, NULL,
                               G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "cannot write to standard output"));
}

/* compare -o naming one of its inputs is refused, and the input stays as it was. */
static void
test_compare_output_is_input (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-cli-XXXXXX", NULL);
  g_autofree char *a = g_build_filename (dir, "a.md", NULL);
  g_autofree char *b = g_build_filename (dir, "b.md", NULL);
  g_autofree char *content = NULL, *out = NULL, *err = NULL;
  static const char report[] =
    "**Generated:** 2026-12-04T10:00:00Z\n\n## 🔥 Hot Paths\n\n"
    "| Rank | Method | Time (ms) | Calls |\n|------|--------|-----------|-------|\n"
    "| 1 | `A` | 10.00 | 1 |\n";
  const char *args[] = { "compare", a, b, "-o", a, NULL };
  int rc;

  g_assert_true (g_file_set_contents (a, report, -1, NULL));
  g_assert_true (g_file_set_contents (b, report, -1, NULL));
  rc = sm_test_run_cli (args, &out, &err);
  if (rc >= 0)
    {
      g_assert_cmpint (rc, !=, 0);
      g_assert_nonnull (strstr (err, "would overwrite"));
      g_assert_true (g_file_get_contents (a, &content, NULL, NULL));
      g_assert_cmpstr (content, ==, report);
    }
  g_unlink (a);
  g_unlink (b);
  g_rmdir (dir);
}

/* compare -o onto a full disk (a 64 KiB tmpfs filled to the last byte, in a namespace of its
 * own): one error line that names the file and says the disk is full, exit status 1, and the
 * report there before whole, with nothing beside it. */
static void
test_compare_full_disk (void)
{
  const char *dir = sm_test_tmpfs_dir ();
  g_autofree char *inputs = NULL, *a = NULL, *b = NULL, *out_path = NULL, *filler = NULL;
  g_autofree char *content = NULL, *out = NULL, *err = NULL, *want = NULL;
  static const char report[] =
    "**Generated:** 2026-12-04T10:00:00Z\n\n## 🔥 Hot Paths\n\n"
    "| Rank | Method | Time (ms) | Calls |\n|------|--------|-----------|-------|\n"
    "| 1 | `A` | 10.00 | 1 |\n";
  guint n = 0;
  int rc;

  if (dir == NULL)
    {
      sm_test_run_in_tmpfs ("/Cli/compare-full-disk", 64, NULL);
      return;
    }
  inputs = g_dir_make_tmp ("sm-cli-XXXXXX", NULL);
  a = g_build_filename (inputs, "a.md", NULL);
  b = g_build_filename (inputs, "b.md", NULL);
  out_path = g_build_filename (dir, "report.md", NULL);
  filler = g_build_filename (dir, "filler", NULL);
  g_assert_true (g_file_set_contents (a, report, -1, NULL));
  g_assert_true (g_file_set_contents (b, report, -1, NULL));
  g_assert_true (g_file_set_contents (out_path, "the old report\n", -1, NULL));
  sm_test_fill_disk (dir, "filler");
  {
    const char *args[] = { "compare", a, b, "-o", out_path, NULL };
    rc = sm_test_run_cli (args, &out, &err);
  }
  if (rc >= 0)
    {
      g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);

      g_test_message ("%s", err);
      g_assert_cmpint (rc, ==, 1);
      want = g_strdup_printf ("smallmind-cli compare: Cannot write %s: %s\n", out_path, g_strerror (ENOSPC));
      g_assert_cmpstr (err, ==, want);
      g_assert_true (g_file_get_contents (out_path, &content, NULL, NULL));
      g_assert_cmpstr (content, ==, "the old report\n");
      while (g_dir_read_name (d) != NULL)
        n++;
      g_assert_cmpuint (n, ==, 2);
    }
  g_unlink (a);
  g_unlink (b);
  g_rmdir (inputs);
}

/* Whether @dir holds a file whose name starts with @prefix. */
static gboolean
has_entry (const char *dir, const char *prefix)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix))
      return TRUE;
  return FALSE;
}

/* Whether @pid has a file open in @dir: the unnamed temporary file (O_TMPFILE shows as
 * "DIR/#INODE (deleted)") or a named one. */
static gboolean
writes_in (GPid pid, const char *dir)
{
  g_autofree char *fds = g_strdup_printf ("/proc/%d/fd", (int) pid);
  g_autofree char *prefix = g_strconcat (dir, "/", NULL);
  g_autoptr (GDir) d = g_dir_open (fds, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *fd = g_build_filename (fds, name, NULL);
      g_autofree char *link = g_file_read_link (fd, NULL);
      if (link != NULL && g_str_has_prefix (link, prefix))
        return TRUE;
    }
  return FALSE;
}

/* Killed while it writes (SIGTERM, as Ctrl+C's SIGINT), a command leaves no hidden half-file:
 * init writes a few hundred MB through a temporary file beside the target (unnamed where the
 * file system allows, else a hidden one the signal handler removes). */
static void
test_signal_removes_temp (void)
{
  const char *build = g_getenv ("SM_BUILD_ROOT");
  g_autofree char *dir = g_dir_make_tmp ("sm-cli-XXXXXX", NULL);
  g_autofree char *cli = NULL, *target = NULL;
  g_autoptr (GError) error = NULL;
  gboolean seen = FALSE, exited = FALSE;
  GPid pid;
  int status = 0;

  if (build == NULL)
    {
      g_test_skip ("SM_BUILD_ROOT is not set (run through meson test)");
      return;
    }
  cli = g_build_filename (build, "app", "smallmind-cli", NULL);
  target = g_build_filename (dir, "m.gguf", NULL);
  {
    const char *argv[] = { cli, "init", target, "--dim", "384", "--hidden", "1536", "--layers", "12",
                           "--heads", "6", "--vocab", "32000", NULL };
    g_assert_true (g_spawn_async (NULL, (char **) argv, NULL,
                                  G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                  G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &pid, &error));
  }
  g_assert_no_error (error);
  for (int i = 0; i < 60000 && !seen && !exited; i++)
    {
      seen = has_entry (dir, ".m.gguf.") || writes_in (pid, dir);
      exited = !seen && waitpid (pid, &status, WNOHANG) == pid;
      if (!seen && !exited)
        g_usleep (1000);
    }
  if (seen)
    {
      kill (pid, SIGTERM);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
    }
  else if (!exited)
    {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
    }
  if (seen && WIFSIGNALED (status))
    {
      g_assert_cmpint (WTERMSIG (status), ==, SIGTERM);
      g_assert_false (has_entry (dir, ".m.gguf."));
      g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
      g_assert_false (has_entry (dir, ""));
    }
  else
    g_test_skip ("init finished before it could be interrupted mid-write");
  g_unlink (target);
  g_rmdir (dir);
}

/* Reads @fd to its end into @into. */
static void
read_to_end (int fd, GString *into)
{
  char buf[4096];
  gssize n;

  while ((n = read (fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      g_string_append_len (into, buf, n);
}

/* The model file truncated in place while generate reads it (`cp new.gguf model.gguf` onto
 * it does that first): an error naming the file and exit status 1, the reply so far on
 * stdout; it used to be a bus error with no word (exit status 135). */
static void
test_generate_file_truncated (void)
{
  const char *build = g_getenv ("SM_BUILD_ROOT");
  const char *prompt = "Once upon a time";
  g_autofree char *dir = g_dir_make_tmp ("sm-cli-XXXXXX", NULL);
  g_autofree char *model = g_build_filename (dir, "model.gguf", NULL);
  g_autofree char *cli = NULL, *out = NULL, *err = NULL, *says = NULL;
  g_autoptr (GString) got = g_string_new (NULL);
  g_autoptr (GString) errors = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  int out_fd, err_fd, fd, status = 0;
  GPid pid;

  if (build == NULL)
    {
      g_test_skip ("SM_BUILD_ROOT is not set (run through meson test)");
      return;
    }
  /* A GPT of byte tokens, which has no end-of-text token, with a long context: the reply
   * goes on until it is cut (some ms a token, 15 MB of weights) */
  {
    const char *args[] = { "init", model, "--arch", "gpt", "--dim", "256", "--hidden", "1024",
                           "--layers", "4", "--heads", "8", "--vocab", "256", "--context", "2048",
                           NULL };
    g_assert_cmpint (sm_test_run_cli (args, &out, &err), ==, 0);
  }
  cli = g_build_filename (build, "app", "smallmind-cli", NULL);
  {
    const char *argv[] = { cli, "generate", "-m", model, "-p", prompt, "-n", "20000", NULL };
    g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                             NULL, NULL, &pid, NULL, &out_fd, &err_fd, &error));
    g_assert_no_error (error);
  }

  /* the prompt, then the first text of the reply: the weights are being read */
  while (got->len <= strlen (prompt))
    {
      char buf[256];
      gssize n = read (out_fd, buf, sizeof buf);
      if (n <= 0)
        break;
      g_string_append_len (got, buf, n);
    }
  g_assert_cmpuint (got->len, >, strlen (prompt));
  fd = g_open (model, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 0), ==, 0);
  close (fd);

  read_to_end (out_fd, got);
  read_to_end (err_fd, errors);
  close (out_fd);
  close (err_fd);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_test_message ("generate said: %s", errors->str);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  says = g_strdup_printf ("smallmind-cli generate: the model file %s changed on disk while in use "
                          "(truncated or overwritten); load it again\n", model);
  g_assert_cmpstr (errors->str, ==, says);
  /* the reply so far stays, ended by a newline; it stopped well before its 20000 tokens */
  g_assert_true (g_str_has_prefix (got->str, prompt));
  g_assert_true (g_str_has_suffix (got->str, "\n"));
  g_assert_cmpuint (got->len, <, 20000);

  g_unlink (model);
  g_rmdir (dir);
}

/* info lists a GGUF's tensors from its header and sums up its mix (llama-quantize's Q4_K_M and
 * Q3_K_M, which SmallMind now runs). */
static void
test_info_mix (void)
{
  g_autofree char *path = sm_test_shared_model ("kquant/visible-q4_k_m.gguf");
  g_autofree char *q3 = sm_test_shared_model ("kquant/visible-q3_k_m.gguf");
  g_autofree char *out = NULL, *err = NULL;

  if (path == NULL || q3 == NULL)
    return;
  const char *args[] = { "info", path, NULL };
  int rc = sm_test_run_cli (args, &out, &err);
  if (rc < 0)
    return;
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (strstr (out, "mix:            Q4_K_M: 24 Q4_K, 9 F32, 5 Q6_K\n"));
  g_assert_nonnull (strstr (out, "tensors (38):"));
  g_assert_nonnull (strstr (out, "  blk.2.attn_v.weight              Q6_K    [128, 256]"));
  g_assert_nonnull (strstr (out, "  blk.1.attn_v.weight              Q4_K    [128, 256]"));
  g_assert_nonnull (strstr (out, "  token_embd.weight                Q6_K    [32000, 256]"));
  g_assert_nonnull (strstr (out, "general.file_type"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *args3[] = { "info", q3, NULL };
    g_assert_cmpint (sm_test_run_cli (args3, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "  token_embd.weight                Q6_K    [32000, 256]"));
    g_assert_nonnull (strstr (out, "  blk.0.attn_v.weight              Q5_K    [128, 256]"));
    g_assert_nonnull (strstr (out, "  blk.0.ffn_down.weight            Q4_K    [256, 768]"));
    g_assert_nonnull (strstr (out, "  blk.0.attn_q.weight              Q3_K    [256, 256]"));
  }
}

/* quantize writes llama-quantize's mix (the same types as its own Q4_K_M of this shape), info
 * reads it back; a mix whose rows do not fit is refused with nothing written. */
static void
test_quantize_mix (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-cli-XXXXXX", NULL);
  g_autofree char *f32 = g_build_filename (dir, "f32.gguf", NULL);
  g_autofree char *q = g_build_filename (dir, "q4_k_m.gguf", NULL);
  g_autofree char *q8 = g_build_filename (dir, "q8_0.gguf", NULL);
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  g_autofree char *out3 = NULL, *err3 = NULL, *out4 = NULL, *err4 = NULL;
  g_autofree char *stories = sm_test_shared_model ("stories260K.gguf");
  const char *init[] = { "init", f32, "--dim", "256", "--hidden", "768", "--layers", "4",
                         "--heads", "8", "--kv-heads", "4", "--vocab", "512", NULL };
  const char *quant[] = { "quantize", f32, q, "--type", "Q4_K_M", NULL };
  const char *info[] = { "info", q, NULL };
  int rc;

  rc = sm_test_run_cli (init, &out, &err);
  if (rc < 0)
    return;
  g_assert_cmpint (rc, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = sm_test_run_cli (quant, &out, &err);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (strstr (out, "Q4_K_M: 24 Q4_K, 9 F32, 5 Q6_K"));
  rc = sm_test_run_cli (info, &out2, &err2);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (strstr (out2, "mix:            Q4_K_M: 24 Q4_K, 9 F32, 5 Q6_K\n"));
  g_assert_nonnull (strstr (out2, "  blk.3.ffn_down.weight            Q6_K"));

  const char *unknown[] = { "quantize", f32, q8, "--type", "q7_k", NULL };
  rc = sm_test_run_cli (unknown, &out3, &err3);
  g_assert_cmpint (rc, !=, 0);
  g_assert_nonnull (strstr (err3, "Unknown type 'q7_k'"));
  g_assert_nonnull (strstr (err3, "q4_k_m"));
  if (stories != NULL)
    {
      const char *refused[] = { "quantize", stories, q8, "--type", "q8_0", NULL };
      rc = sm_test_run_cli (refused, &out4, &err4);
      g_assert_cmpint (rc, !=, 0);
      g_assert_cmpstr (out4, ==, "");
      g_assert_nonnull (strstr (err4, "blk.0.ffn_down.weight"));
    }
  g_assert_false (g_file_test (q8, G_FILE_TEST_EXISTS));
  g_assert_false (has_entry (dir, ".q8_0"));

  /* --pure: no mix, so rows that do not fit stay f32 and stories260K's q8_0 is written (and
   * runs: every matrix is Q8_0 or F32) */
  if (stories != NULL)
    {
      g_autofree char *out5 = NULL, *err5 = NULL;
      const char *pure[] = { "quantize", stories, q8, "--type", "q8_0", "--pure", NULL };
      rc = sm_test_run_cli (pure, &out5, &err5);
      g_assert_cmpint (rc, ==, 0);
      g_assert_nonnull (strstr (out5, "Q8_0: 32 Q8_0, 16 F32"));
      g_assert_null (strstr (out5, "cannot run"));
      g_unlink (q8);
    }

  g_unlink (f32);
  g_unlink (q);
  g_rmdir (dir);
}

/* tokenize prints what llama.cpp's llama-tokenize prints: "%6d -> 'piece'" lines, or the ids
 * as "[a, b]"; BOS as the vocabulary asks, control tokens parsed unless told not to, stdin
 * read exactly.  A GGUF's vocabulary alone is read (the vocabulary-only files work); a
 * llama2.c model loads with its tokenizer. */
static void
test_tokenize (void)
{
  g_autofree char *gpt2 = sm_test_shared_model ("vocab/ggml-vocab-gpt-2.gguf");
  g_autofree char *spm = gpt2 ? sm_test_shared_model ("ggml-vocab-llama-spm.gguf") : NULL;
  g_autofree char *bin = spm ? sm_test_shared_model ("stories260K.bin") : NULL;
  g_autofree char *tok512 = bin ? sm_test_shared_model ("tok512.bin") : NULL;
  static const struct {
    const char *args[10];
    const char *out;
  } cases[] = {
    { { "tokenize", "-m", NULL, "Hello world", NULL }, " 15496 -> 'Hello'\n   995 -> ' world'\n" },
    { { "tokenize", "-m", NULL, "--ids", "Hello world<|endoftext|>", NULL }, "[15496, 995, 50256]\n" },
    { { "tokenize", "-m", NULL, "--ids", "--no-parse-special", "<|endoftext|>", NULL },
      "[27, 91, 437, 1659, 5239, 91, 29]\n" },
    { { "tokenize", "-m", NULL, "<|endoftext|>", NULL }, " 50256 -> '<|endoftext|>'\n" },
  };

  if (tok512 == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[10];
      g_autofree char *out = NULL, *err = NULL;

      memcpy (args, cases[i].args, sizeof args);
      args[2] = gpt2;
      g_assert_cmpint (sm_test_run_cli (args, &out, &err), ==, 0);
      g_assert_cmpstr (out, ==, cases[i].out);
    }

  /* SentencePiece: BOS by default, printed as spelled; --no-bos */
  {
    const char *args[] = { "tokenize", "-m", spm, "Hello world", NULL };
    const char *no_bos[] = { "tokenize", "-m", spm, "--no-bos", "--ids", "Hello world", NULL };
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
    g_assert_cmpint (sm_test_run_cli (args, &out, &err), ==, 0);
    g_assert_cmpstr (out, ==, "     1 -> '<s>'\n 15043 -> ' Hello'\n  3186 -> ' world'\n");
    g_assert_cmpint (sm_test_run_cli (no_bos, &out2, &err2), ==, 0);
    g_assert_cmpstr (out2, ==, "[15043, 3186]\n");
  }

  /* --stdin: the bytes as they come, no newline added or taken, a broken byte too */
  {
    const char *args[] = { "tokenize", "-m", gpt2, "--stdin", "--ids", NULL };
    g_autofree char *out = NULL, *err = NULL;
    g_assert_cmpint (run_cli_stdin (args, "a\nb\xff", 4, &out, &err), ==, 0);
    g_assert_cmpstr (out, ==, "[64, 198, 65, 187]\n");
  }

  /* a llama2.c checkpoint and its tokenizer */
  {
    const char *args[] = { "tokenize", "-m", bin, "-z", tok512, "--ids", "Once upon a time", NULL };
    g_autofree char *out = NULL, *err = NULL;
    g_assert_cmpint (sm_test_run_cli (args, &out, &err), ==, 0);
    g_assert_cmpstr (out, ==, "[1, 403, 407, 261, 378]\n");
  }

  /* no text, two texts, no vocabulary, a file that is none */
  {
    g_autofree char *dir = g_dir_make_tmp ("sm-cli-tok-XXXXXX", NULL);
    g_autofree char *junk = g_build_filename (dir, "junk.gguf", NULL);
    g_autofree char *novocab = g_build_filename (dir, "novocab.gguf", NULL);
    g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
    const Refusal refusals[] = {
      { { "tokenize", "-m", gpt2, NULL }, "give the text once" },
      { { "tokenize", "-m", gpt2, "--stdin", "text", NULL }, "give the text once" },
      { { "tokenize", "some text", NULL }, "give the vocabulary as -m FILE" },
      { { "tokenize", "-m", "/no/such/file.gguf", "x", NULL }, "Cannot open /no/such/file.gguf" },
      { { "tokenize", "-m", junk, "x", NULL }, junk },
      { { "tokenize", "-m", novocab, "x", NULL }, "holds no vocabulary" },
      { { "bench", "tokenize", "-m", gpt2, "-r", "0", NULL }, "--repetitions" },
      { { "bench", "tokenize", "-m", gpt2, "--mb", "0", NULL }, "--mb" },
      { { "bench", "tokenize", "-m", novocab, NULL }, "holds no vocabulary" },
    };

    g_assert_true (g_file_set_contents (junk, "GGUF not really", -1, NULL));
    sm_gguf_writer_set_string (w, "general.name", "weights only");
    g_assert_true (sm_gguf_writer_write (w, novocab, NULL));
    check_refusals (refusals, G_N_ELEMENTS (refusals));
    g_unlink (junk);
    g_unlink (novocab);
    g_rmdir (dir);
  }
}

/* bench tokenize times a vocabulary on the generated corpus (no figure is judged) */
static void
test_bench_tokenize (void)
{
  g_autofree char *gpt2 = sm_test_shared_model ("vocab/ggml-vocab-gpt-2.gguf");
  const char *args[] = { "bench", "tokenize", "-m", gpt2, "--mb", "0.05", "-r", "1", NULL };
  g_autofree char *out = NULL, *err = NULL;

  if (gpt2 == NULL)
    return;
  g_assert_cmpint (sm_test_run_cli (args, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "GPT-2 byte-level BPE, pre-tokenizer gpt-2, 50257 tokens"));
  g_assert_nonnull (strstr (out, "generated corpus, 50000 bytes"));
  g_assert_nonnull (strstr (out, " MB/s median of 1 runs"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Cli/generate-refusals", test_generate_refusals);
  g_test_add_func ("/Cli/bench-refusals", test_bench_refusals);
  g_test_add_func ("/Cli/cache-type", test_cache_type);
  g_test_add_func ("/Cli/bench-bandwidth-json", test_bench_bandwidth_json);
  g_test_add_func ("/Cli/train-checks-outputs-first", test_train_checks_outputs_first);
  g_test_add_func ("/Cli/tokenizer-mismatch", test_tokenizer_mismatch);
  g_test_add_func ("/Cli/stdout-full", test_stdout_full);
  g_test_add_func ("/Cli/compare-output-is-input", test_compare_output_is_input);
  g_test_add_func ("/Cli/compare-full-disk", test_compare_full_disk);
  g_test_add_func ("/Cli/signal-removes-temp", test_signal_removes_temp);
  g_test_add_func ("/Cli/generate-file-truncated", test_generate_file_truncated);
  g_test_add_func ("/Cli/info-mix", test_info_mix);
  g_test_add_func ("/Cli/quantize-mix", test_quantize_mix);
  g_test_add_func ("/Cli/tokenize", test_tokenize);
  g_test_add_func ("/Cli/bench-tokenize", test_bench_tokenize);
  return g_test_run ();
}
