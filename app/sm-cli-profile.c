/* sm-cli-profile.c: `smallmind-cli profile --enhanced [--no-pool] [--kernels L] [--quick]
 * [-r N] [-o DIR]`: the original's 29-scope profiling suite, on our engine.
 *
 *   MatMul_{64,128,256,512}x..  1 warm-up + 3 timed multiplies each (MatMul_Iteration)
 *   GELU_{1000..1000000}        1 warm-up + 5 timed (GELU_Iteration)
 *   Softmax_{256..2048}         1 warm-up + 5 timed (Softmax_Iteration)
 *   TensorAdd_10000, TensorMul_10000, BroadcastAdd_100x100: 10 iterations each, every one
 *                               renting its result tensor (so the pool shows)
 *   Model_{Small,Medium}_{Creation,Inference,GenerateToken,Forward}: a 10-token random prompt
 *                               (seed 42) and 25 greedy tokens, each a forward over the whole
 *                               context without the KV cache, as the original did
 * plus Model_*_KV_* (the same 25 tokens with the KV cache), reported separately.  The suite runs
 * --repeat times (each on a fresh profiler); the run with the median total is reported and the
 * others give every figure its run-to-run spread.  Then the profiling overhead: decode with the
 * KV cache, profiler on and off in alternation.
 *
 * Writes DIR/enhanced-profile-report.md, DIR/enhanced-profile.json (the snapshot),
 * DIR/enhanced-profile.csv and DIR/enhanced-profile.trace.json (Chrome trace).
 */
#include "sm-atomic-file.h"
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-export.h"
#include "sm-model-file.h"
#include "sm-session.h"
#include "sm-snapshot.h"
#include "sm-threads.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define TRACE_EVENTS (1u << 18)   /* enough for the whole suite many times over */

typedef struct {
  int warmup;          /* untimed runs before the timed ones (MatMul, GELU, Softmax) */
  int matmul_iters;
  int act_iters;       /* GELU and Softmax */
  int tensor_iters;    /* TensorAdd, TensorMul, BroadcastAdd */
  int prompt;          /* tokens of the random prompt */
  int tokens;          /* tokens generated per model */
  int repeat;          /* runs of the whole suite */
  int overhead_pairs;  /* on/off pairs for the overhead */
} Suite;

/* What one run of the suite measured besides the scope tree. */
typedef struct {
  double tok_s[2][2];            /* [model][kv] */
  double inference_ms[2][2];
  double decode_tok_s[2];        /* KV only */
  double ttft_ms[2];             /* KV only */
  double sys_allocs_per_token[2][2];   /* the whole inference, prompt included */
  double steady_sys_allocs_per_token[2]; /* KV only: decode after its first token (which
                                          * meets the pool with one-row sizes the first time) */
  double rents_per_token[2][2];
  double rented_bytes_per_token[2][2];  /* the activations a token asks the pool for */
  gboolean same_tokens[2];       /* KV and no-KV generated the same text */
} RunFigures;

static const char *const model_keys[] = { "Small", "Medium" };

static void
fill_random (float *x, gsize n, GRand *rand)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
}

static guint64
scope_total_ns (GArray *sums, const char *name)
{
  for (guint i = 0; i < sums->len; i++)
    {
      const SmScopeSummary *s = &g_array_index (sums, SmScopeSummary, i);
      if (g_strcmp0 (s->name, name) == 0)
        return s->total_ns;
    }
  return 0;
}

/* ---- phase 1 and 2: kernels and tensor ops ------------------------------------------------------ */

static void
profile_matmul (SmProfiler *prof, const Suite *su, int n, GRand *rand)
{
  g_autoptr (SmTensor) A = sm_tensor_new_2d (NULL, SM_DTYPE_F32, n, n);
  g_autoptr (SmTensor) B = sm_tensor_new_2d (NULL, SM_DTYPE_F32, n, n);
  g_autoptr (SmTensor) C = sm_tensor_new_2d (NULL, SM_DTYPE_F32, n, n);
  g_autofree char *name = g_strdup_printf ("MatMul_%dx%d", n, n);
  const double flops = 2.0 * n * n * (double) n, bytes = 3.0 * 4.0 * n * n;

  fill_random (sm_tensor_f32 (A), (gsize) n * n, rand);
  fill_random (sm_tensor_f32 (B), (gsize) n * n, rand);

  sm_profiler_scope_begin (prof, name);
  for (int i = 0; i < su->warmup; i++)
    sm_gemm (false, false, n, n, n, 1.0f, sm_tensor_f32 (A), n, sm_tensor_f32 (B), n, 0.0f,
             sm_tensor_f32 (C), n);
  for (int i = 0; i < su->matmul_iters; i++)
    {
      sm_profiler_scope_begin (prof, "MatMul_Iteration");
      sm_profiler_mark (prof);
      sm_gemm (false, false, n, n, n, 1.0f, sm_tensor_f32 (A), n, sm_tensor_f32 (B), n, 0.0f,
               sm_tensor_f32 (C), n);
      sm_profiler_op_shape (prof, SM_OP_MATMUL, n, n, n, flops, bytes);
      sm_profiler_scope_end (prof);
    }
  sm_profiler_scope_end (prof);
}

static void
profile_gelu (SmProfiler *prof, const Suite *su, int n, GRand *rand)
{
  const SmKernels *k = sm_kernels ();
  g_autofree float *in = g_new (float, n);
  g_autofree float *out = g_new (float, n);
  g_autofree char *name = g_strdup_printf ("GELU_%d", n);

  fill_random (in, n, rand);
  sm_profiler_scope_begin (prof, name);
  for (int i = 0; i < su->warmup; i++)
    k->gelu (out, in, n);
  for (int i = 0; i < su->act_iters; i++)
    {
      sm_profiler_scope_begin (prof, "GELU_Iteration");
      sm_profiler_mark (prof);
      k->gelu (out, in, n);
      /* tanh form: ~8 multiply-adds and a tanh per element */
      sm_profiler_op_shape (prof, SM_OP_GELU, n, 0, 0, 10.0 * n, 8.0 * n);
      sm_profiler_scope_end (prof);
    }
  sm_profiler_scope_end (prof);
}

static void
profile_softmax (SmProfiler *prof, const Suite *su, int n, GRand *rand)
{
  const SmKernels *k = sm_kernels ();
  g_autofree float *x = g_new (float, n);
  g_autofree char *name = g_strdup_printf ("Softmax_%d", n);

  fill_random (x, n, rand);
  sm_profiler_scope_begin (prof, name);
  /* In place: a softmax of a softmax costs the same as the first. */
  for (int i = 0; i < su->warmup; i++)
    k->softmax (x, n);
  for (int i = 0; i < su->act_iters; i++)
    {
      sm_profiler_scope_begin (prof, "Softmax_Iteration");
      sm_profiler_mark (prof);
      k->softmax (x, n);
      sm_profiler_op_shape (prof, SM_OP_SOFTMAX, n, 0, 0, 5.0 * n, 8.0 * n);
      sm_profiler_scope_end (prof);
    }
  sm_profiler_scope_end (prof);
}

typedef enum { ELEM_ADD, ELEM_MUL, ELEM_BROADCAST } ElemOp;

/* Each iteration rents its result, as the original's Tensor.Add allocated one. */
static void
profile_elementwise (SmProfiler *prof, const Suite *su, ElemOp op, GRand *rand)
{
  const SmKernels *k = sm_kernels ();
  const int rows = op == ELEM_BROADCAST ? 100 : 1, cols = op == ELEM_BROADCAST ? 100 : 10000;
  const char *name = op == ELEM_ADD ? "TensorAdd_10000" : op == ELEM_MUL ? "TensorMul_10000"
                                                                         : "BroadcastAdd_100x100";
  const char *iter = op == ELEM_ADD ? "TensorAdd_Iteration" : op == ELEM_MUL ? "TensorMul_Iteration"
                                                                             : "BroadcastAdd_Iteration";
  g_autoptr (SmTensor) a = sm_tensor_new_2d (NULL, SM_DTYPE_F32, rows, cols);
  g_autoptr (SmTensor) b = sm_tensor_new_1d (NULL, SM_DTYPE_F32, op == ELEM_BROADCAST ? cols : rows * cols);
  const gsize n = (gsize) rows * cols;

  fill_random (sm_tensor_f32 (a), n, rand);
  fill_random (sm_tensor_f32 (b), (gsize) sm_tensor_n_elements (b), rand);
  sm_profiler_scope_begin (prof, name);
  for (int i = 0; i < su->tensor_iters; i++)
    {
      SmTensor *r;

      sm_profiler_scope_begin (prof, iter);
      sm_profiler_mark (prof);
      r = sm_tensor_new_2d (NULL, SM_DTYPE_F32, rows, cols);
      if (op == ELEM_ADD)
        k->add (sm_tensor_f32 (r), sm_tensor_f32 (a), sm_tensor_f32 (b), n);
      else if (op == ELEM_MUL)
        k->mul (sm_tensor_f32 (r), sm_tensor_f32 (a), sm_tensor_f32 (b), n);
      else
        k->broadcast_add (sm_tensor_f32 (r), sm_tensor_f32 (a), sm_tensor_f32 (b), rows, cols);
      sm_profiler_op_shape (prof, SM_OP_ADD, op == ELEM_BROADCAST ? rows : (int) n,
                            op == ELEM_BROADCAST ? cols : 0, 0, (double) n, 12.0 * n);
      sm_tensor_unref (r);
      sm_profiler_scope_end (prof);
    }
  sm_profiler_scope_end (prof);
}

/* ---- phase 3: models ---------------------------------------------------------------------------- */

/* The sampling of a pass's logits counts with that pass's ops. */
static gint32
sample_greedy (SmProfiler *prof, SmSession *s, int vocab, SmOpPass pass)
{
  gint32 next;

  sm_profiler_mark_pass (prof, pass);
  next = (gint32) sm_kernels ()->argmax (sm_session_get_logits (s), (gsize) vocab);
  sm_profiler_op (prof, SM_OP_SAMPLE, vocab, 4.0 * vocab);
  return next;
}

static SmPoolStats
pool_stats (void)
{
  SmPoolStats ps;
  sm_pool_get_stats (sm_pool_default (), &ps);
  return ps;
}

/* One model: creation, 25 tokens without the KV cache, then with it.  Returns FALSE on error. */
static gboolean
profile_model (SmProfiler *prof, const Suite *su, SmPreset preset, SmSnapshot *models_into,
               RunFigures *fig, GError **error)
{
  const int mi = preset == SM_PRESET_SMALL ? 0 : 1;
  const char *key = model_keys[mi];
  g_autofree char *n_create = g_strdup_printf ("Model_%s_Creation", key);
  g_autoptr (SmModel) model = NULL;
  g_autoptr (SmSession) s = NULL;
  g_autoptr (GArray) tokens = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GArray) plain_out = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  const SmModelConfig *c;
  int vocab;

  sm_profiler_scope_begin (prof, n_create);
  model = sm_model_new_preset (preset, 42);
  s = sm_session_new (model, sm_pool_default (), 0, error);
  sm_profiler_scope_end (prof);
  if (s == NULL)
    return FALSE;
  c = sm_model_get_config (model);
  vocab = c->vocab_size;
  if (su->prompt + su->tokens > c->context_length)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%d prompt + %d generated tokens do not fit %s's context of %d",
                   su->prompt, su->tokens, key, c->context_length);
      return FALSE;
    }
  if (models_into)
    sm_snapshot_add_model (models_into, model);
  sm_session_set_profiler (s, prof);
  for (int i = 0; i < su->prompt; i++)
    {
      gint32 t = g_rand_int_range (rand, 0, vocab);
      g_array_append_val (tokens, t);
    }

  for (int kv = 0; kv < 2; kv++)
    {
      g_autofree char *n_inf = g_strdup_printf ("Model_%s%s_Inference", key, kv ? "_KV" : "");
      g_autofree char *n_gen = g_strdup_printf ("Model_%s%s_GenerateToken", key, kv ? "_KV" : "");
      g_autofree char *n_fwd = g_strdup_printf ("Model_%s%s_Forward", key, kv ? "_KV" : "");
      g_autoptr (GArray) ctx = g_array_copy (tokens);
      SmPoolStats ps0, ps1, ps_first = { 0 }, ps_second = { 0 };
      gint64 t_start, t_first = 0, t_end;

      sm_session_rewind (s, 0);
      ps0 = pool_stats ();
      t_start = sm_profiler_now_ns ();
      sm_profiler_scope_begin (prof, n_inf);
      for (int step = 0; step < su->tokens; step++)
        {
          gint32 next;

          int n_eval;

          /* A token record covers the evaluation and the sampling of its result, as the
           * engine's do (scopes live on a track of their own in the trace). */
          sm_profiler_scope_begin (prof, n_gen);
          sm_profiler_scope_begin (prof, n_fwd);
          if (!kv)
            {
              /* the original's way: the whole context again, every token */
              sm_session_rewind (s, 0);
              n_eval = (int) ctx->len;
              sm_profiler_token_begin (prof, SM_TOKEN_PREFILL, 0);
              if (!sm_session_eval (s, (gint32 *) ctx->data, ctx->len, error))
                return FALSE;
            }
          else if (step == 0)
            {
              n_eval = (int) ctx->len;
              sm_profiler_token_begin (prof, SM_TOKEN_PREFILL, 0);
              if (!sm_session_eval (s, (gint32 *) ctx->data, ctx->len, error))
                return FALSE;
            }
          else
            {
              n_eval = 1;
              sm_profiler_token_begin (prof, SM_TOKEN_DECODE, sm_session_get_pos (s));
              if (!sm_session_eval (s, &g_array_index (ctx, gint32, ctx->len - 1), 1, error))
                return FALSE;
            }
          sm_profiler_scope_end (prof);
          next = sample_greedy (prof, s, vocab, n_eval > 1 ? SM_OP_PASS_PREFILL : SM_OP_PASS_DECODE);
          sm_profiler_token_end (prof, n_eval);
          g_array_append_val (ctx, next);
          if (!kv)
            g_array_append_val (plain_out, next);
          else if (step < (int) plain_out->len && g_array_index (plain_out, gint32, step) != next)
            fig->same_tokens[mi] = FALSE;
          sm_profiler_scope_end (prof);
          if (step == 0)
            {
              t_first = sm_profiler_now_ns ();
              ps_first = pool_stats ();
            }
          else if (step == 1)
            ps_second = pool_stats ();
          sm_profiler_set_context (prof, sm_session_get_pos (s), sm_session_get_n_ctx (s));
        }
      sm_profiler_scope_end (prof);
      t_end = sm_profiler_now_ns ();
      ps1 = pool_stats ();
      /* figures of a file truncated or rewritten under the run are not the model's */
      if (!sm_model_check_file (sm_session_get_model (s), TRUE, error))
        return FALSE;

      fig->sys_allocs_per_token[mi][kv] = (ps1.system_allocs - ps0.system_allocs) / (double) su->tokens;
      fig->rents_per_token[mi][kv] = (ps1.rents - ps0.rents) / (double) su->tokens;
      fig->rented_bytes_per_token[mi][kv] = (ps1.rented_bytes - ps0.rented_bytes) / (double) su->tokens;
      /* The engine's counters split the system allocations as the engine does: the first
       * evaluation is the prefill (the whole context, without the cache), the others decode. */
      sm_profiler_add_allocs (prof, SM_TOKEN_PREFILL, ps_first.system_allocs - ps0.system_allocs);
      sm_profiler_add_allocs (prof, kv ? SM_TOKEN_DECODE : SM_TOKEN_PREFILL,
                              ps1.system_allocs - ps_first.system_allocs);
      if (kv)
        {
          fig->steady_sys_allocs_per_token[mi] = su->tokens > 2
                                                 ? (ps1.system_allocs - ps_second.system_allocs)
                                                   / (double) (su->tokens - 2) : NAN;
          fig->ttft_ms[mi] = (t_first - t_start) / 1e6;
          fig->decode_tok_s[mi] = su->tokens > 1 && t_end > t_first
                                  ? (su->tokens - 1) * 1e9 / (double) (t_end - t_first) : 0.0;
          sm_profiler_set_ttft (prof, t_first - t_start);
        }
    }
  sm_session_set_profiler (s, NULL);
  return TRUE;
}

/* ---- one run of the suite ----------------------------------------------------------------------- */

static SmSnapshot *
run_suite (const Suite *su, const char *label, gboolean first, RunFigures *fig, GError **error)
{
  g_autoptr (SmProfiler) prof = sm_profiler_new ();
  g_autoptr (SmSnapshot) snap = sm_snapshot_new (label);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (GArray) sums = NULL;
  static const int mm[] = { 64, 128, 256, 512 };
  static const int gelu[] = { 1000, 10000, 100000, 1000000 };
  static const int soft[] = { 256, 512, 1024, 2048 };

  memset (fig, 0, sizeof *fig);
  fig->same_tokens[0] = fig->same_tokens[1] = TRUE;
  sm_profiler_set_trace_capacity (prof, TRACE_EVENTS);
  sm_profiler_set_track_pool (prof, sm_pool_default ());
  sm_profiler_start_sampler (prof, 10, 0);

  for (guint i = 0; i < G_N_ELEMENTS (mm); i++)
    profile_matmul (prof, su, mm[i], rand);
  for (guint i = 0; i < G_N_ELEMENTS (gelu); i++)
    profile_gelu (prof, su, gelu[i], rand);
  for (guint i = 0; i < G_N_ELEMENTS (soft); i++)
    profile_softmax (prof, su, soft[i], rand);
  profile_elementwise (prof, su, ELEM_ADD, rand);
  profile_elementwise (prof, su, ELEM_MUL, rand);
  profile_elementwise (prof, su, ELEM_BROADCAST, rand);
  if (!profile_model (prof, su, SM_PRESET_SMALL, first ? snap : NULL, fig, error) ||
      !profile_model (prof, su, SM_PRESET_MEDIUM, first ? snap : NULL, fig, error))
    return NULL;

  sm_profiler_flush (prof);
  sm_profiler_sample_now (prof);
  sm_profiler_stop_sampler (prof);
  sm_snapshot_capture (snap, prof);
  sm_snapshot_capture_config (snap, TRUE);

  sums = sm_snapshot_summarize_scopes (snap);
  for (int m = 0; m < 2; m++)
    for (int kv = 0; kv < 2; kv++)
      {
        g_autofree char *name = g_strdup_printf ("Model_%s%s_Inference", model_keys[m], kv ? "_KV" : "");
        double ms = scope_total_ns (sums, name) / 1e6;
        fig->inference_ms[m][kv] = ms;
        fig->tok_s[m][kv] = ms > 0 ? su->tokens / (ms / 1e3) : 0.0;
      }
  return g_steal_pointer (&snap);
}

/* ---- overhead ------------------------------------------------------------------------------------ */

/* Decode tok/s over @runs back-to-back runs, each one prompt token and then as many single
 * tokens as fit (several runs per sample, so a short preemption weighs less). */
static double
decode_runs (SmSession *s, SmProfiler *prof, int runs, GError **error)
{
  const int n_decode = sm_session_get_n_ctx (s) - 1;
  const gsize vocab = (gsize) sm_model_get_config (sm_session_get_model (s))->vocab_size;
  gint64 busy = 0;

  for (int r = 0; r < runs; r++)
    {
      gint32 tok = 1;
      gint64 t0;

      sm_session_rewind (s, 0);
      if (!sm_session_eval (s, &tok, 1, error))
        return -1;
      t0 = g_get_monotonic_time ();
      for (int i = 0; i < n_decode; i++)
        {
          /* what the engine does per token around the forward pass */
          sm_profiler_token_begin (prof, SM_TOKEN_DECODE, sm_session_get_pos (s));
          tok = (gint32) sm_kernels ()->argmax (sm_session_get_logits (s), vocab);
          if (!sm_session_eval (s, &tok, 1, error))
            return -1;
          sm_profiler_token_end (prof, 1);
        }
      busy += g_get_monotonic_time () - t0;
      if (!sm_model_check_file (sm_session_get_model (s), TRUE, error))
        return -1;
    }
  return (double) runs * n_decode * 1e6 / (double) MAX (busy, 1);
}

static int
double_cmp (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* ns per token record (begin + end) on a private profiler. */
static double
measure_token_cost (void)
{
  g_autoptr (SmProfiler) p = sm_profiler_new ();
  const int n = 100000;
  gint64 t0 = sm_profiler_now_ns ();

  for (int i = 0; i < n; i++)
    {
      sm_profiler_token_begin (p, SM_TOKEN_DECODE, i);
      sm_profiler_token_end (p, 1);
    }
  return (double) (sm_profiler_now_ns () - t0) / n;
}

/* Profiling on (as the engine runs it: per-op records, token records, the sampler) against
 * attached but off.  Each pair runs back to back, in alternating order, and the overhead is
 * the median of the pairs' differences: a machine whose load drifts (other jobs on a shared
 * box) moves both halves of a pair alike. */
static gboolean
measure_overhead (const Suite *su, SmSnapshot *snap, GError **error)
{
  double worst = -INFINITY;

  sm_measurement_add (sm_snapshot_measurement (snap, "overhead_token_cost_ns", "ns"), measure_token_cost ());
  sm_measurement_add (sm_snapshot_measurement (snap, "overhead_op_cost_in_situ_ns", "ns"),
                      sm_profiler_measure_op_cost_between_kernels ());

  for (int mi = 0; mi < 2; mi++)
    {
      g_autoptr (SmModel) model = sm_model_new_preset (mi ? SM_PRESET_MEDIUM : SM_PRESET_SMALL, 42);
      g_autoptr (SmSession) s = sm_session_new (model, sm_pool_default (), 0, error);
      g_autoptr (SmProfiler) prof = sm_profiler_new ();
      g_autofree char *n_on = g_strdup_printf ("overhead_%s_on_tok_s", model_keys[mi]);
      g_autofree char *n_off = g_strdup_printf ("overhead_%s_off_tok_s", model_keys[mi]);
      g_autofree char *n_pct = g_strdup_printf ("overhead_%s_pct", model_keys[mi]);
      g_autofree char *n_ops = g_strdup_printf ("overhead_%s_ops_per_token", model_keys[mi]);
      g_autofree char *n_pairs = g_strdup_printf ("overhead_%s_pair_pct", model_keys[mi]);
      SmMeasurement *on = sm_snapshot_measurement (snap, n_on, "tok/s");
      SmMeasurement *off = sm_snapshot_measurement (snap, n_off, "tok/s");
      SmMeasurement *pairs = sm_snapshot_measurement (snap, n_pairs, "%");
      /* a few ms per half on a fast machine: short enough that a pair sees one load */
      int runs = su->overhead_pairs <= 2 ? 1 : mi ? 1 : 4;
      SmProfilerCounters c;
      double pct;

      if (s == NULL)
        return FALSE;
      sm_session_set_profiler (s, prof);
      sm_profiler_start_sampler (prof, 100, 0);
      /* warm-up: caches, the pool's free lists */
      if (decode_runs (s, prof, runs, error) < 0)
        return FALSE;
      for (int i = 0; i < su->overhead_pairs; i++)
        {
          double tps[2];
          for (int pass = 0; pass < 2; pass++)
            {
              /* alternate which goes first, so neither always follows the other */
              gboolean enabled = (pass == 0) == (i % 2 == 0);
              sm_profiler_set_enabled (prof, enabled);
              tps[enabled] = decode_runs (s, prof, runs, error);
              if (tps[enabled] < 0)
                return FALSE;
            }
          sm_measurement_add (on, tps[1]);
          sm_measurement_add (off, tps[0]);
          sm_measurement_add (pairs, 100.0 * (tps[0] - tps[1]) / tps[0]);
        }
      sm_profiler_stop_sampler (prof);
      sm_profiler_get_counters (prof, &c);
      pct = sm_measurement_median (pairs);
      sm_measurement_add (sm_snapshot_measurement (snap, n_pct, "%"), pct);
      sm_measurement_add (sm_snapshot_measurement (snap, n_ops, "ops"),
                          c.decode_tokens ? (double) c.ops / (double) c.decode_tokens : 0.0);
      worst = MAX (worst, pct);
      sm_session_set_profiler (s, NULL);
    }
  sm_measurement_add (sm_snapshot_measurement (snap, "overhead_pct", "%"), worst);
  return TRUE;
}

/* ---- the command ----------------------------------------------------------------------------------- */

static void
print_summary (const SmSnapshot *snap, const Suite *su, const char *dir)
{
  g_autoptr (GArray) sums = sm_snapshot_summarize_scopes (snap);

  printf ("\n%-32s %12s %8s %12s %12s\n", "Scope", "Time (ms)", "Calls", "Self (ms)", "Avg (ms)");
  for (guint i = 0; i < sums->len; i++)
    {
      const SmScopeSummary *s = &g_array_index (sums, SmScopeSummary, i);
      printf ("%-32s %12.3f %8" G_GUINT64_FORMAT " %12.3f %12.4f\n", s->name, s->total_ns / 1e6,
              s->count, s->self_ns / 1e6, s->total_ns / 1e6 / (double) MAX (s->count, 1));
    }
  printf ("\nTotal runtime (top-level scopes): %.2f ms\n", sm_snapshot_total_ns (snap) / 1e6);
  for (int m = 0; m < 2; m++)
    {
      g_autofree char *a = g_strdup_printf ("Model_%s_tok_s", model_keys[m]);
      g_autofree char *b = g_strdup_printf ("Model_%s_KV_tok_s", model_keys[m]);
      g_autofree char *d = g_strdup_printf ("Model_%s_KV_decode_tok_s", model_keys[m]);
      double seed = m == 0 ? SM_SEED_SMALL_TPS : SM_SEED_MEDIUM_TPS;
      double nokv = sm_measurement_median (sm_snapshot_find_measurement (snap, a));
      printf ("%-6s %d tokens: %.0f tok/s without KV cache (%.0f× the seed's %.0f), %.0f tok/s with "
              "it (decode %.0f tok/s)\n", model_keys[m], su->tokens, nokv, nokv / seed, seed,
              sm_measurement_median (sm_snapshot_find_measurement (snap, b)),
              sm_measurement_median (sm_snapshot_find_measurement (snap, d)));
    }
  if (sm_snapshot_find_measurement (snap, "overhead_pct"))
    printf ("Profiling overhead: Small %.2f%%, Medium %.2f%% of decode tok/s (%.1f ns per op record)\n",
            sm_snapshot_value (snap, "overhead_Small_pct", NAN),
            sm_snapshot_value (snap, "overhead_Medium_pct", NAN), snap->op_cost_ns);
  printf ("\nWrote %s/enhanced-profile-report.md, enhanced-profile.json, enhanced-profile.csv, "
          "enhanced-profile.trace.json\n", dir);
}

int
sm_cli_profile (int argc, char **argv)
{
  gboolean enhanced = FALSE, quick = FALSE, no_pool = FALSE, no_overhead = FALSE;
  g_autofree char *kernels = NULL, *out_dir = NULL;
  int threads = 1, repeat = G_MININT;   /* G_MININT: not given */
  g_autoptr (GOptionContext) ctx = g_option_context_new ("--enhanced - the profiling suite");
  GOptionGroup *group = g_option_group_new ("profile", "Profile", "Profile options", NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) sm_snapshot_free);
  g_autoptr (GArray) totals = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree RunFigures *figs = NULL;
  g_autoptr (GString) label = g_string_new ("profile --enhanced");
  SmCliModelOptions mopts = { 0 };
  /* in the order the texts are made at the end */
  static const char *const out_names[] = {
    "enhanced-profile.json", "enhanced-profile-report.md", "enhanced-profile.csv",
    "enhanced-profile.trace.json",
  };
  g_auto (GStrv) out_paths = g_new0 (char *, G_N_ELEMENTS (out_names) + 1);
  SmSnapshot *snap;
  Suite su = { 1, 3, 5, 10, 10, 25, 3, 31 };
  guint chosen = 0;
  double median_total;
  GOptionEntry entries[] = {
    { "enhanced", 0, 0, G_OPTION_ARG_NONE, &enhanced, "Run the 29-scope suite (the only mode; accepted for the original's command line)", NULL },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &quick, "One iteration of everything, 3 tokens, one run: a smoke test", NULL },
    { "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat, "Runs of the whole suite (default 3; 1 with --quick)", "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, "Directory for the report and snapshot (default .)", "DIR" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Compute threads (default 1)", "N" },
    { "kernels", 0, 0, G_OPTION_ARG_STRING, &kernels, "Kernel path: auto, scalar, avx2, avx2-vnni, avx512 or avx512-vnni", "LEVEL" },
    { "no-pool", 0, 0, G_OPTION_ARG_NONE, &no_pool, "Switch the memory pool off", NULL },
    { "no-overhead", 0, 0, G_OPTION_ARG_NONE, &no_overhead, "Skip the profiling-overhead measurement", NULL },
    { NULL }
  };

  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (ctx, group);
  g_option_context_set_summary (ctx, "Times matrix multiplies, activations, tensor ops and the Small and "
                                     "Medium models as the original SmallMind profiler did, and writes "
                                     "enhanced-profile-report.md with a JSON snapshot for `compare`.");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("profile", g_steal_pointer (&error));
  if (argc > 1)
    {
      fprintf (stderr, "smallmind-cli profile: unexpected argument '%s'\n", argv[1]);
      return 2;
    }
  if (repeat != G_MININT && repeat < 1)
    {
      fprintf (stderr, "smallmind-cli profile: --repeat must be 1 or more\n");
      return 2;
    }
  if (quick)
    su = (Suite) { 0, 1, 1, 2, 10, 3, 1, 2 };
  if (repeat != G_MININT)
    su.repeat = repeat;
  if (out_dir == NULL)
    out_dir = g_strdup (".");

  mopts.threads = threads;
  mopts.kernels = g_steal_pointer (&kernels);
  mopts.no_pool = no_pool;
  if (!sm_cli_apply_settings (&mopts, &error))
    {
      sm_cli_model_options_clear (&mopts);
      return sm_cli_fail ("profile", g_steal_pointer (&error));
    }
  if (mopts.kernels)
    g_string_append_printf (label, " --kernels %s", mopts.kernels);
  sm_cli_model_options_clear (&mopts);
  if (no_pool)
    g_string_append (label, " --no-pool");
  if (threads > 1)
    g_string_append_printf (label, " --threads %d", threads);
  if (quick)
    g_string_append (label, " --quick");
  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    {
      fprintf (stderr, "smallmind-cli profile: cannot create %s: %s\n", out_dir, g_strerror (errno));
      return 1;
    }
  for (guint i = 0; i < G_N_ELEMENTS (out_names); i++)
    out_paths[i] = g_build_filename (out_dir, out_names[i], NULL);
  /* before the suite's seconds of work, not after */
  if (!sm_atomic_file_check_writable (G_N_ELEMENTS (out_names), (const char *const *) out_paths, &error))
    return sm_cli_fail ("profile", g_steal_pointer (&error));

  fprintf (stderr, "SmallMind profiling suite: kernels %s, pool %s, %d thread(s), %d run(s)%s\n",
           sm_kernel_level_to_string (sm_kernels_get_level ()), no_pool ? "off" : "on",
           sm_threads_get_count (), su.repeat, quick ? " (quick)" : "");
  figs = g_new0 (RunFigures, su.repeat);
  for (int r = 0; r < su.repeat; r++)
    {
      SmSnapshot *run;
      double total;

      fprintf (stderr, "  run %d/%d ...", r + 1, su.repeat);
      run = run_suite (&su, label->str, r == 0, &figs[r], &error);
      if (run == NULL)
        {
          fprintf (stderr, "\n");
          return sm_cli_fail ("profile", g_steal_pointer (&error));
        }
      total = sm_snapshot_total_ns (run) / 1e6;
      fprintf (stderr, " %.1f ms\n", total);
      g_ptr_array_add (runs, run);
      g_array_append_val (totals, total);
    }

  /* Report the run with the median total; the others give the spread. */
  {
    g_autoptr (GArray) sorted = g_array_copy (totals);
    g_array_sort (sorted, double_cmp);
    median_total = g_array_index (sorted, double, sorted->len / 2);
    for (guint i = 0; i < totals->len; i++)
      if (g_array_index (totals, double, i) == median_total)
        chosen = i;
  }
  snap = g_ptr_array_steal_index (runs, chosen);
  /* the first run carries the models */
  if (chosen != 0)
    {
      SmSnapshot *first = g_ptr_array_index (runs, 0);
      GPtrArray *tmp = snap->models;
      snap->models = first->models;
      first->models = tmp;
    }
  g_ptr_array_insert (runs, (gint) chosen, snap);

  sm_measurement_add (sm_snapshot_measurement (snap, "suite_tokens", "tokens"), su.tokens);
  sm_measurement_add (sm_snapshot_measurement (snap, "suite_prompt", "tokens"), su.prompt);
  sm_measurement_add (sm_snapshot_measurement (snap, "suite_warmup", "runs"), su.warmup);
  sm_measurement_add (sm_snapshot_measurement (snap, "suite_matmul_iterations", "runs"), su.matmul_iters);
  sm_measurement_add (sm_snapshot_measurement (snap, "suite_repetitions", "runs"), su.repeat);
  for (guint r = 0; r < runs->len; r++)
    {
      SmSnapshot *run = g_ptr_array_index (runs, r);
      g_autoptr (GArray) sums = sm_snapshot_summarize_scopes (run);
      const RunFigures *f = &figs[r];

      sm_measurement_add (sm_snapshot_measurement (snap, "total_ms", "ms"), g_array_index (totals, double, r));
      for (guint i = 0; i < sums->len; i++)
        {
          const SmScopeSummary *s = &g_array_index (sums, SmScopeSummary, i);
          g_autofree char *key = g_strdup_printf ("scope:%s", s->name);
          sm_measurement_add (sm_snapshot_measurement (snap, key, "ms"), s->total_ns / 1e6);
        }
      for (int m = 0; m < 2; m++)
        for (int kv = 0; kv < 2; kv++)
          {
            const char *k = model_keys[m], *mode = kv ? "_KV" : "";
            g_autofree char *a = g_strdup_printf ("Model_%s%s_Inference_ms", k, mode);
            g_autofree char *b = g_strdup_printf ("Model_%s%s_tok_s", k, mode);
            g_autofree char *c = g_strdup_printf ("Model_%s%s_sys_allocs_per_token", k, mode);
            g_autofree char *d = g_strdup_printf ("Model_%s%s_rents_per_token", k, mode);
            g_autofree char *rb = g_strdup_printf ("Model_%s%s_rented_bytes_per_token", k, mode);
            sm_measurement_add (sm_snapshot_measurement (snap, a, "ms"), f->inference_ms[m][kv]);
            sm_measurement_add (sm_snapshot_measurement (snap, b, "tok/s"), f->tok_s[m][kv]);
            sm_measurement_add (sm_snapshot_measurement (snap, c, "allocs"), f->sys_allocs_per_token[m][kv]);
            sm_measurement_add (sm_snapshot_measurement (snap, d, "rents"), f->rents_per_token[m][kv]);
            sm_measurement_add (sm_snapshot_measurement (snap, rb, "bytes"), f->rented_bytes_per_token[m][kv]);
            if (kv)
              {
                g_autofree char *e = g_strdup_printf ("Model_%s_KV_decode_tok_s", k);
                g_autofree char *t = g_strdup_printf ("Model_%s_KV_ttft_ms", k);
                g_autofree char *da = g_strdup_printf ("Model_%s_KV_steady_sys_allocs_per_token", k);
                if (!isnan (f->steady_sys_allocs_per_token[m]))
                  sm_measurement_add (sm_snapshot_measurement (snap, da, "allocs"),
                                      f->steady_sys_allocs_per_token[m]);
                sm_measurement_add (sm_snapshot_measurement (snap, e, "tok/s"), f->decode_tok_s[m]);
                sm_measurement_add (sm_snapshot_measurement (snap, t, "ms"), f->ttft_ms[m]);
              }
          }
      for (int m = 0; m < 2; m++)
        if (!f->same_tokens[m])
          fprintf (stderr, "note: %s generated different greedy tokens with and without the KV cache "
                   "in run %u (float rounding between the GEMM and GEMV paths)\n", model_keys[m], r + 1);
    }

  snap->op_cost_ns = sm_profiler_measure_op_cost ();
  if (!no_overhead)
    {
      fprintf (stderr, "  profiling overhead (%d on/off pairs) ...\n", su.overhead_pairs);
      if (!measure_overhead (&su, snap, &error))
        return sm_cli_fail ("profile", g_steal_pointer (&error));
    }

  {
    g_autofree char *json_text = sm_snapshot_to_json (snap, NULL);
    g_autofree char *md_text = sm_export_markdown_string (snap);
    g_autofree char *csv_text = sm_export_csv_string (snap);
    g_autofree char *trace_text = sm_export_trace_string (snap);
    const char *texts[] = { json_text, md_text, csv_text, trace_text };

    G_STATIC_ASSERT (G_N_ELEMENTS (texts) == G_N_ELEMENTS (out_names));
    /* all four or none: a report beside an older run's trace would mislead */
    if (!sm_atomic_files_set_contents (G_N_ELEMENTS (texts), (const char *const *) out_paths, texts, &error))
      return sm_cli_fail ("profile", g_steal_pointer (&error));
  }
  print_summary (snap, &su, out_dir);
  return 0;
}
