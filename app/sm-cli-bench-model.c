/* sm-cli-bench-model.c: `smallmind-cli bench -m FILE -p 64,512 -n 128 -t 1,2 -o md|json`,
 * prefill (ppN) and decode (tgN) throughput like llama-bench: repeated runs, mean ± stddev,
 * plus the pool's system allocations per decoded token.  Decode also gets the bytes a token
 * moves (the weights it reads and the KV cache) and what tok/s × bytes/token is of the DRAM
 * read bandwidth measured here at the same thread count: how far a kernel is from the bus.
 * The bus of a shared host changes during a run, so it is measured at the start and again
 * just before and just after each decode test, and a test is put against the highest of the
 * three: a slow moment of the bus cannot flatter a kernel.  The same plain read over the
 * model's own weights, the pages decode streams, runs between the repetitions, interleaved:
 * each repetition is put against the better of the reads on either side of it, and the
 * share quoted is the median over the repetitions. */
#include "sm-json.h"
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-model-file.h"
#include "sm-roofline.h"
#include "sm-session.h"
#include "sm-threads.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  char   *test;        /* "pp512", "tg128" */
  int     threads;
  char   *kernels;
  gboolean pool;
  SmKvType kv_type;
  guint64 kv_bytes;    /* the session's KV cache */
  double  mean_tps, std_tps;
  double  sys_allocs_per_token;
  int     reps;
  /* decode only (0 for prefill): bytes a token reads, and the measured bandwidth */
  double  weight_bytes_per_token, kv_bytes_per_token, read_bandwidth;
  /* the bandwidth measured just before and just after this test (0: not measured);
   * read_bandwidth is the highest of them and the run's first */
  double  bandwidth_before, bandwidth_after;
  /* decode with the bandwidth measured: the same plain read over the model's own weights,
   * interleaved with the repetitions (reads[i] just before repetition i, reads[reps] after
   * the last), and the median over the repetitions of the better read beside each and of
   * each one's share of that (0: not measured) */
  double *tps, *reads;
  double  weights_bandwidth, weights_percent;
  /* the process's resident memory after the timed runs (0 where /proc says nothing), and what
   * the pool held from the system then: the KV cache and the activations */
  guint64 rss_bytes, pool_bytes;
} Result;

typedef struct {
  GPtrArray *bufs;   /* const void * */
  GArray    *lens;   /* size_t */
} WeightSpans;

static void
weight_span (const char *name, SmTensor *t, gpointer data)
{
  WeightSpans *w = data;
  g_ptr_array_add (w->bufs, t->data);
  size_t n = sm_tensor_n_bytes (t);
  g_array_append_val (w->lens, n);
}

/* The plain read over the model's own weights at @threads, best of 2 passes. */
static double
weights_read (const WeightSpans *w, int threads)
{
  return sm_roofline_read_bandwidth_of ((const void *const *) w->bufs->pdata,
                                        (const size_t *) (void *) w->lens->data, w->bufs->len, threads, 2);
}

/* VmRSS of /proc/self/status, in bytes; 0 where it cannot be read. */
static guint64
resident_bytes (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "\nVmRSS:");
  if (line == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10) * 1024;   /* in kB */
}

static void
result_free (gpointer p)
{
  Result *r = p;
  g_free (r->test);
  g_free (r->kernels);
  g_free (r->tps);
  g_free (r->reads);
  g_free (r);
}

typedef struct {
  guint64 bytes;
  gboolean tied;
} TokenBytes;

/* Decode reads every matrix once a token, but of an untied token embedding (and a learned
 * position embedding) only the row it looks up. */
static void
add_tensor_bytes (const char *name, SmTensor *t, gpointer data)
{
  TokenBytes *tb = data;
  guint64 bytes = sm_tensor_n_bytes (t);

  if ((g_str_equal (name, "token_embd.weight") && !tb->tied) || g_str_equal (name, "position_embd.weight"))
    bytes /= (guint64) MAX (t->shape[0], 1);
  tb->bytes += bytes;
}

static double
weight_bytes_per_token (SmModel *model)
{
  TokenBytes tb = { .tied = sm_model_get_config (model)->tied_output };
  sm_model_foreach_tensor (model, add_tensor_bytes, &tb);
  return (double) tb.bytes;
}

/* tgN starts after one token and decodes N, so token i (0-based) attends over i + 2 positions:
 * their keys and values, in the cache's type, in every layer; (N + 3) / 2 positions on average. */
static double
kv_bytes_per_token (const SmModelConfig *c, int n_gen, SmKvType kv_type)
{
  double positions = (n_gen + 3) / 2.0;
  double elem = kv_type == SM_KV_TYPE_F16 ? 2.0 : 4.0;
  return 2.0 * c->n_layers * c->n_kv_heads * c->head_dim * elem * positions;
}

static void
random_tokens (gint32 *out, int n, int vocab, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  for (int i = 0; i < n; i++)
    out[i] = g_rand_int_range (rand, 0, vocab);
  g_rand_free (rand);
}

static int
cmp_double (const void *a, const void *b)
{
  const double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* The median of @n values (the mean of the middle two for an even @n); sorts them. */
static double
median (double *v, int n)
{
  qsort (v, (size_t) n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Repetition @i's bandwidth: the better of the reads just before and just after it. */
static inline double
rep_read (const Result *r, int i)
{
  return MAX (r->reads[i], r->reads[i + 1]);
}

/* One timed run; returns tokens per second, or a negative value with @error set. */
static double
run_once (SmSession *s, const gint32 *tokens, int n_prompt, int n_gen, guint64 *sys_allocs,
          GError **error)
{
  SmPoolStats before, after;
  gint64 t0, t1;

  sm_session_rewind (s, 0);
  if (n_gen > 0)
    {
      /* tg: start from one token of context, then decode one token at a time */
      if (!sm_session_eval (s, tokens, 1, error))
        return -1;
      sm_pool_get_stats (sm_pool_default (), &before);
      t0 = g_get_monotonic_time ();
      for (int i = 0; i < n_gen; i++)
        if (!sm_session_eval (s, &tokens[(i + 1) % n_gen], 1, error))
          return -1;
      t1 = g_get_monotonic_time ();
      sm_pool_get_stats (sm_pool_default (), &after);
      *sys_allocs = after.system_allocs - before.system_allocs;
      /* a time over zeros (the file truncated under the run) or new bytes is not the model's */
      if (!sm_model_check_file (sm_session_get_model (s), TRUE, error))
        return -1;
      return n_gen * 1e6 / (double) MAX (t1 - t0, 1);
    }
  sm_pool_get_stats (sm_pool_default (), &before);
  t0 = g_get_monotonic_time ();
  if (!sm_session_eval (s, tokens, n_prompt, error))
    return -1;
  t1 = g_get_monotonic_time ();
  sm_pool_get_stats (sm_pool_default (), &after);
  *sys_allocs = after.system_allocs - before.system_allocs;
  if (!sm_model_check_file (sm_session_get_model (s), TRUE, error))
    return -1;
  return n_prompt * 1e6 / (double) MAX (t1 - t0, 1);
}

/* Runs test @test @reps times after a warm-up; with @spans (decode only), reads the weights
 * before each repetition and after the last. */
static Result *
measure (SmModel *model, const char *test, int n_prompt, int n_gen, int threads, int reps,
         SmKvType kv_type, const WeightSpans *spans, GError **error)
{
  const SmModelConfig *c = sm_model_get_config (model);
  int need = n_gen > 0 ? n_gen + 1 : n_prompt;
  g_autoptr (SmSession) s = NULL;
  g_autofree gint32 *tokens = NULL;
  g_autofree double *tps = g_new0 (double, reps);
  g_autofree double *reads = spans ? g_new0 (double, reps + 1) : NULL;
  guint64 allocs = 0, total_allocs = 0;
  Result *r;

  if (need > c->context_length)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s needs %d positions but the model's context is %d", test, need, c->context_length);
      return NULL;
    }
  sm_threads_set_count (threads);
  s = sm_session_new_full (model, sm_pool_default (), 0, kv_type, error);
  if (s == NULL)
    return NULL;
  tokens = g_new (gint32, MAX (need, 1));
  random_tokens (tokens, MAX (need, 1), c->vocab_size, 1234);

  /* warm-up: caches, the pool's free lists, the compute pool's threads */
  if (run_once (s, tokens, n_prompt, n_gen, &allocs, error) < 0)
    return NULL;
  for (int i = 0; i < reps; i++)
    {
      if (reads)
        reads[i] = weights_read (spans, threads);
      tps[i] = run_once (s, tokens, n_prompt, n_gen, &allocs, error);
      if (tps[i] < 0)
        return NULL;
      total_allocs += allocs;
    }
  if (reads)
    reads[reps] = weights_read (spans, threads);

  r = g_new0 (Result, 1);
  r->test = g_strdup (test);
  r->threads = threads;
  r->kernels = g_strdup (sm_kernels ()->name);
  r->pool = sm_pool_get_enabled (sm_pool_default ());
  r->kv_type = kv_type;
  r->kv_bytes = sm_session_get_kv_bytes (s);
  r->rss_bytes = resident_bytes ();
  {
    SmPoolStats ps;
    sm_pool_get_stats (sm_pool_default (), &ps);
    r->pool_bytes = ps.system_bytes;
  }
  r->reps = reps;
  for (int i = 0; i < reps; i++)
    r->mean_tps += tps[i] / reps;
  for (int i = 0; i < reps; i++)
    r->std_tps += (tps[i] - r->mean_tps) * (tps[i] - r->mean_tps);
  r->std_tps = reps > 1 ? sqrt (r->std_tps / (reps - 1)) : 0.0;
  r->sys_allocs_per_token = (double) total_allocs / ((double) reps * (n_gen > 0 ? n_gen : n_prompt));
  if (n_gen > 0)
    {
      r->weight_bytes_per_token = weight_bytes_per_token (model);
      r->kv_bytes_per_token = kv_bytes_per_token (c, n_gen, kv_type);
    }
  r->tps = g_steal_pointer (&tps);
  r->reads = g_steal_pointer (&reads);
  if (r->reads && r->reads[0] > 0)
    {
      const double bytes = r->weight_bytes_per_token + r->kv_bytes_per_token;
      g_autofree double *bw = g_new (double, reps), *share = g_new (double, reps);
      for (int i = 0; i < reps; i++)
        {
          bw[i] = rep_read (r, i);
          share[i] = 100.0 * r->tps[i] * bytes / bw[i];
        }
      r->weights_bandwidth = median (bw, reps);
      r->weights_percent = median (share, reps);
    }
  return r;
}

int
sm_cli_bench_model (int argc, char **argv)
{
  SmCliModelOptions mopts = { 0 };
  g_autofree char *pp = NULL, *tg = NULL, *threads_s = NULL, *output = NULL;
  int reps = 5, bw_mib = 1024;
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- prefill and decode throughput");
  GOptionGroup *group = g_option_group_new ("bench", "Bench", "Bench options", NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmModel) model = NULL;
  g_autoptr (GArray) pps = NULL, tgs = NULL, ths = NULL;
  g_autoptr (GPtrArray) results = g_ptr_array_new_with_free_func (result_free);
  GOptionEntry entries[] = {
    { "n-prompt", 'p', 0, G_OPTION_ARG_STRING, &pp, "Prefill lengths (default 64,512)", "N,N" },
    { "n-gen", 'n', 0, G_OPTION_ARG_STRING, &tg, "Decode lengths (default 128)", "N,N" },
    { "threads", 't', 0, G_OPTION_ARG_STRING, &threads_s, "Thread counts (default 1)", "N,N" },
    { "repetitions", 'r', 0, G_OPTION_ARG_INT, &reps, "Timed runs per test (default 5)", "N" },
    { "output", 'o', 0, G_OPTION_ARG_STRING, &output, "md (default) or json", "FMT" },
    { "bandwidth-mib", 0, 0, G_OPTION_ARG_INT, &bw_mib,
      "Buffer for the DRAM read-bandwidth test, MiB (default 1024; 0 skips it)", "N" },
    { NULL }
  };

  g_option_group_add_entries (group, entries);
  sm_cli_add_model_options_no_threads (group, &mopts);
  sm_cli_add_cache_option (group, &mopts);
  g_option_context_set_main_group (ctx, group);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("bench", g_steal_pointer (&error));
  if (argc > 1)
    {
      fprintf (stderr, "smallmind-cli bench: unexpected argument '%s' (the model goes with -m)\n", argv[1]);
      return 2;
    }
  if (reps < 1)
    {
      fprintf (stderr, "smallmind-cli bench: --repetitions must be 1 or more\n");
      return 2;
    }
  if (bw_mib < 0 || bw_mib > 1 << 20)
    {
      fprintf (stderr, "smallmind-cli bench: --bandwidth-mib must be 0 to 1048576\n");
      return 2;
    }
  if (output && g_strcmp0 (output, "md") != 0 && g_strcmp0 (output, "json") != 0)
    {
      fprintf (stderr, "smallmind-cli bench: -o must be md or json\n");
      return 2;
    }
  if (!(pps = sm_cli_parse_int_list (pp ? pp : "64,512", 1 << 20, "prompt length", &error)) ||
      !(tgs = sm_cli_parse_int_list (tg ? tg : "128", 1 << 20, "decode length", &error)) ||
      !(ths = sm_cli_parse_int_list (threads_s ? threads_s : "1", SM_MAX_THREADS, "thread count", &error)))
    return sm_cli_fail ("bench", g_steal_pointer (&error));
  if (!sm_cli_apply_settings (&mopts, &error))
    return sm_cli_fail ("bench", g_steal_pointer (&error));
  model = sm_cli_load_model (&mopts, &error);
  if (model == NULL)
    return sm_cli_fail ("bench", g_steal_pointer (&error));

  gboolean md = g_strcmp0 (output, "json") != 0;
  g_autofree char *types = sm_model_describe_types (model);
  g_autofree double *bandwidth = g_new0 (double, ths->len);
  g_autoptr (GPtrArray) wbufs = g_ptr_array_new ();
  g_autoptr (GArray) wlens = g_array_new (FALSE, FALSE, sizeof (size_t));
  WeightSpans spans = { wbufs, wlens };
  sm_model_foreach_tensor (model, weight_span, &spans);

  /* The bus first, with nothing else of ours running: best of 3 passes at each thread count. */
  for (guint t = 0; t < ths->len && bw_mib > 0; t++)
    bandwidth[t] = sm_roofline_read_bandwidth ((size_t) bw_mib << 20, g_array_index (ths, int, t), 3);

  /* Markdown rows go out as each test ends, llama-bench's way: a long run shows its progress */
  if (md)
    {
      printf ("| model | params | type | kernels | pool | threads | kv cache | test | t/s | sys allocs/token "
              "| MB/token | of bandwidth | of the weights' read | RSS MiB (weights + pool) |\n");
      printf ("| --- | ---: | --- | --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
      fflush (stdout);
    }
  for (guint t = 0; t < ths->len; t++)
    {
      int th = g_array_index (ths, int, t);
      for (guint i = 0; i < pps->len + tgs->len; i++)
        {
          gboolean is_pp = i < pps->len;
          int n = is_pp ? g_array_index (pps, int, i) : g_array_index (tgs, int, i - pps->len);
          g_autofree char *name = g_strdup_printf ("%s%d", is_pp ? "pp" : "tg", n);
          g_autoptr (GError) err = NULL;
          const gboolean bracket = !is_pp && bw_mib > 0;
          const size_t bw_bytes = (size_t) bw_mib << 20;
          double before = bracket ? sm_roofline_read_bandwidth (bw_bytes, th, 3) : 0.0;
          Result *r = measure (model, name, is_pp ? n : 0, is_pp ? 0 : n, th, reps, mopts.kv_type,
                               bracket ? &spans : NULL, &err);
          if (r == NULL)
            {
              fprintf (stderr, "skipped %s with %d thread(s): %s\n", name, th, err->message);
              continue;
            }
          r->bandwidth_before = before;
          r->bandwidth_after = bracket ? sm_roofline_read_bandwidth (bw_bytes, th, 3) : 0.0;
          r->read_bandwidth = MAX (bandwidth[t], MAX (r->bandwidth_before, r->bandwidth_after));
          g_ptr_array_add (results, r);
          if (md)
            {
              g_autofree char *mb = NULL, *pct = NULL, *wpct = NULL;
              double bytes = r->weight_bytes_per_token + r->kv_bytes_per_token;
              mb = is_pp ? g_strdup ("") : g_strdup_printf ("%.1f", bytes / 1e6);
              pct = is_pp || r->read_bandwidth <= 0 ? g_strdup ("")
                    : g_strdup_printf ("%.0f%% of %.1f GB/s", 100.0 * r->mean_tps * bytes / r->read_bandwidth,
                                       r->read_bandwidth / 1e9);
              wpct = is_pp || r->weights_bandwidth <= 0 ? g_strdup ("")
                     : g_strdup_printf ("%.0f%% of %.1f GB/s", r->weights_percent, r->weights_bandwidth / 1e9);
              printf ("| %s | %" G_GUINT64_FORMAT " | %s | %s | %s | %d | %s %.2f MiB | %s | %.2f ± %.2f | %.3f | %s | %s | %s "
                      "| %.0f (%.0f + %.0f) |\n",
                      sm_model_get_name (model), sm_model_n_params (model), types, r->kernels,
                      r->pool ? "on" : "off", r->threads, sm_kv_type_to_string (r->kv_type),
                      r->kv_bytes / 1048576.0, r->test, r->mean_tps, r->std_tps,
                      r->sys_allocs_per_token, mb, pct, wpct, r->rss_bytes / 1048576.0,
                      sm_model_weight_bytes (model) / 1048576.0, r->pool_bytes / 1048576.0);
              fflush (stdout);
            }
        }
    }

  if (!md)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, sm_model_get_name (model));
      json_builder_set_member_name (b, "params");
      json_builder_add_int_value (b, (gint64) sm_model_n_params (model));
      json_builder_set_member_name (b, "cpu");
      json_builder_add_string_value (b, sm_cpu_model_name ());
      json_builder_set_member_name (b, "weight_bytes");
      json_builder_add_int_value (b, (gint64) sm_model_weight_bytes (model));
      /* bytes per second read at each thread count; absent when --bandwidth-mib 0 */
      json_builder_set_member_name (b, "read_bandwidth");
      json_builder_begin_array (b);
      for (guint t = 0; t < ths->len && bw_mib > 0; t++)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "threads");
          json_builder_add_int_value (b, g_array_index (ths, int, t));
          json_builder_set_member_name (b, "bytes_per_second");
          json_builder_add_double_value (b, bandwidth[t]);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "results");
      json_builder_begin_array (b);
      for (guint i = 0; i < results->len; i++)
        {
          Result *r = g_ptr_array_index (results, i);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "test"); json_builder_add_string_value (b, r->test);
          json_builder_set_member_name (b, "threads"); json_builder_add_int_value (b, r->threads);
          json_builder_set_member_name (b, "kernels"); json_builder_add_string_value (b, r->kernels);
          json_builder_set_member_name (b, "pool"); json_builder_add_boolean_value (b, r->pool);
          /* llama-bench's type_k / type_v, one type here for both */
          json_builder_set_member_name (b, "kv_cache"); json_builder_add_string_value (b, sm_kv_type_to_string (r->kv_type));
          json_builder_set_member_name (b, "kv_cache_bytes"); json_builder_add_int_value (b, (gint64) r->kv_bytes);
          json_builder_set_member_name (b, "reps"); json_builder_add_int_value (b, r->reps);
          json_builder_set_member_name (b, "tokens_per_second"); json_builder_add_double_value (b, r->mean_tps);
          json_builder_set_member_name (b, "stddev"); json_builder_add_double_value (b, r->std_tps);
          json_builder_set_member_name (b, "system_allocs_per_token");
          json_builder_add_double_value (b, r->sys_allocs_per_token);
          /* resident memory against its parts: the weights (top-level weight_bytes) and the
           * pool's KV cache and activations; the rest is code, packed copies and scratch */
          json_builder_set_member_name (b, "rss_bytes"); json_builder_add_int_value (b, (gint64) r->rss_bytes);
          json_builder_set_member_name (b, "pool_bytes"); json_builder_add_int_value (b, (gint64) r->pool_bytes);
          if (r->weight_bytes_per_token > 0)
            {
              double bytes = r->weight_bytes_per_token + r->kv_bytes_per_token;
              json_builder_set_member_name (b, "weight_bytes_per_token");
              json_builder_add_double_value (b, r->weight_bytes_per_token);
              json_builder_set_member_name (b, "kv_bytes_per_token");
              json_builder_add_double_value (b, r->kv_bytes_per_token);
              json_builder_set_member_name (b, "bytes_per_token");
              json_builder_add_double_value (b, bytes);
              if (r->read_bandwidth > 0)
                {
                  json_builder_set_member_name (b, "read_bandwidth");
                  json_builder_add_double_value (b, r->read_bandwidth);
                  json_builder_set_member_name (b, "read_bandwidth_before");
                  json_builder_add_double_value (b, r->bandwidth_before);
                  json_builder_set_member_name (b, "read_bandwidth_after");
                  json_builder_add_double_value (b, r->bandwidth_after);
                  json_builder_set_member_name (b, "bandwidth_percent");
                  json_builder_add_double_value (b, 100.0 * r->mean_tps * bytes / r->read_bandwidth);
                }
              if (r->weights_bandwidth > 0)
                {
                  json_builder_set_member_name (b, "weights_read_bandwidth");
                  json_builder_add_double_value (b, r->weights_bandwidth);
                  json_builder_set_member_name (b, "weights_bandwidth_percent");
                  json_builder_add_double_value (b, r->weights_percent);
                  /* what those medians are of: each repetition against the reads beside it */
                  json_builder_set_member_name (b, "repetitions");
                  json_builder_begin_array (b);
                  for (int k = 0; k < r->reps; k++)
                    {
                      json_builder_begin_object (b);
                      json_builder_set_member_name (b, "tokens_per_second");
                      json_builder_add_double_value (b, r->tps[k]);
                      json_builder_set_member_name (b, "weights_read_before");
                      json_builder_add_double_value (b, r->reads[k]);
                      json_builder_set_member_name (b, "weights_read_after");
                      json_builder_add_double_value (b, r->reads[k + 1]);
                      json_builder_set_member_name (b, "weights_bandwidth_percent");
                      json_builder_add_double_value (b, 100.0 * r->tps[k] * bytes / rep_read (r, k));
                      json_builder_end_object (b);
                    }
                  json_builder_end_array (b);
                }
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      g_autoptr (JsonNode) root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      g_autofree char *text = sm_json_generate (gen, NULL);
      printf ("%s\n", text);
    }
  else
    {
      printf ("\nCPU: %s; %d repetitions after one warm-up run; mean ± sample stddev.\n",
              sm_cpu_model_name (), reps);
      for (guint t = 0; t < ths->len && bw_mib > 0; t++)
        printf ("DRAM read bandwidth, %d thread(s): %.2f GB/s at the start (best of 3 passes over %d MiB).\n",
                g_array_index (ths, int, t), bandwidth[t] / 1e9, bw_mib);
      if (bw_mib > 0)
        printf ("A decode's share is of the highest of that and the bandwidth measured just before and "
                "just after it; of the weights' read, the median over the repetitions of each one's share "
                "of the better of the reads just before and just after it.\n");
    }
  sm_cli_model_options_clear (&mopts);
  return results->len > 0 ? 0 : 1;
}
