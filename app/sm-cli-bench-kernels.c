/* sm-cli-bench-kernels.c: `smallmind-cli bench kernels`, throughput of every kernel of the
 * dispatch table, per level and thread count, with OpenBLAS side by side when linked.
 *
 *   smallmind-cli bench kernels [--levels scalar,avx2,avx512] [--threads 1,2]
 *                               [--kernels gemm,gemv,...] [--sizes 64,128,...] [--reps N]
 *                               [-o md|json]
 *
 * Each figure is the median of --reps timed batches after a warm-up, with the fastest and
 * slowest batch as its spread; a batch repeats the call until it lasts about 2 ms so tiny
 * kernels are not lost in the clock's resolution.  GFLOP/s for products, GB/s (bytes read
 * plus written, once each) for the kernels bound by bandwidth.
 *
 * Besides the table's kernels: `xwt` times sm_gemm on the model's x · Wᵀ shapes (`xwt-packed` the same on weights packed once), `threads`
 * a parallel region of two 1 µs shares, and `split` a forced 2-way split of small products
 * against one thread, which is how PARALLEL_MIN_FLOPS in sm-threads.c was chosen.  Other
 * jobs on the machine distort the 2-thread figures most (a worker waiting for a core): run
 * it on an otherwise idle machine, and not under a real-time policy (chrt), where a worker
 * that shares the caller's core never gets to run.
 */
#include "sm-json.h"
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-kernels.h"
#include "sm-quants.h"
#include "sm-threads.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef SM_HAVE_OPENBLAS
#include <cblas.h>
#include <gmodule.h>
#endif

/* ---- options and results ------------------------------------------------------------------ */

typedef struct {
  GArray  *levels;     /* SmKernelLevel */
  GArray  *threads;    /* int */
  GArray  *sizes;      /* int: square SGEMM sizes */
  char   **kernels;    /* NULL: all */
  int      reps;
} Options;

typedef struct {
  char   *kernel;
  char   *shape;
  char   *level;
  int     threads;
  char   *unit;        /* "GFLOP/s", "GB/s", "us" */
  double  median, min, max;   /* in unit; min/max are the slowest/fastest figures */
  double  gbps;        /* bandwidth of a product, or NAN */
  double  blas;        /* OpenBLAS median in unit, or NAN */
  char   *note;        /* why a row was skipped, or NULL */
} Row;

static void
row_free (gpointer p)
{
  Row *r = p;
  g_free (r->kernel);
  g_free (r->shape);
  g_free (r->level);
  g_free (r->unit);
  g_free (r->note);
  g_free (r);
}

static GPtrArray *rows;

static Row *
add_row (const char *kernel, const char *shape, const char *level, int threads, const char *unit)
{
  Row *r = g_new0 (Row, 1);
  r->kernel = g_strdup (kernel);
  r->shape = g_strdup (shape);
  r->level = g_strdup (level);
  r->threads = threads;
  r->unit = g_strdup (unit);
  r->median = r->min = r->max = r->gbps = r->blas = NAN;
  g_ptr_array_add (rows, r);
  return r;
}

static void
add_skip (const char *kernel, const char *level, const char *why)
{
  Row *r = add_row (kernel, "-", level, 1, "-");
  r->note = g_strdup (why);
  g_printerr ("skipping %s (%s): %s\n", kernel, level, why);
}

/* ---- timing -------------------------------------------------------------------------------- */

typedef void (*BenchFn) (void *ctx);

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Seconds per call: median, fastest, slowest of @reps batches. */
static void
measure (BenchFn fn, void *ctx, int reps, double *med, double *fast, double *slow)
{
  double *t = g_new (double, reps);
  long inner = 1;

  fn (ctx);   /* warm-up: page faults, pool start-up, caches */
  for (;;)
    {
      double t0 = now_s ();
      for (long i = 0; i < inner; i++)
        fn (ctx);
      if (now_s () - t0 >= 2e-3 || inner >= (1L << 24))
        break;
      inner *= 2;
    }
  for (int r = 0; r < reps; r++)
    {
      double t0 = now_s ();
      for (long i = 0; i < inner; i++)
        fn (ctx);
      t[r] = (now_s () - t0) / (double) inner;
    }
  qsort (t, (size_t) reps, sizeof (double), cmp_double);
  *med = t[reps / 2];
  *fast = t[0];
  *slow = t[reps - 1];
  g_free (t);
}

/* Fills a row's figures from seconds per call and the work of one call. */
static void
row_set_rate (Row *r, double med, double fast, double slow, double work)
{
  r->median = work / med * 1e-9;
  r->min = work / slow * 1e-9;
  r->max = work / fast * 1e-9;
}

static float *
alloc_floats (size_t n, GRand *rand)
{
  float *p = aligned_alloc (64, ((MAX (n, 1) * sizeof (float) + 63) / 64) * 64);
  g_assert (p != NULL);
  for (size_t i = 0; i < n; i++)
    p[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  return p;
}

/* ---- GEMM and GEMV ------------------------------------------------------------------------- */

typedef struct {
  bool tb;
  size_t M, N, K;
  const float *A, *B, *x;
  const float *P;      /* B packed (sm_pack_b16 ()), for xwt-packed */
  float *C, *y;
  int threads;
} ProdCtx;

/* x · Wᵀ on W packed once, as sessions run it: decode (M = 1) as the packed GEMV. */
static void
run_sm_packed (void *p)
{
  ProdCtx *c = p;
  if (c->M == 1)
    sm_gemv_packed (c->N, c->K, c->P, c->A, c->C);
  else
    sm_gemm_packed (c->M, c->N, c->K, c->A, c->K, c->P, 0.0f, c->C, c->N);
}

static void
run_sm_gemm (void *p)
{
  ProdCtx *c = p;
  sm_gemm (false, c->tb, c->M, c->N, c->K, 1.0f, c->A, c->K, c->B, c->tb ? c->K : c->N, 0.0f,
           c->C, c->N);
}

static void
run_sm_gemv (void *p)
{
  ProdCtx *c = p;
  sm_gemv (c->M, c->K, c->A, c->K, c->x, c->y);
}

#ifdef SM_HAVE_OPENBLAS
/* OpenBLAS is loaded only when this benchmark runs: linked into the CLI, its thread pool
 * starts with the process and its spinning workers would slow every other command's engine
 * on a 2-core machine (measured: decode 835 vs 1035 tok/s on the 15M shape). */
static struct {
  GModule *module;
  __typeof__ (&cblas_sgemm) sgemm;
  __typeof__ (&cblas_sgemv) sgemv;
  __typeof__ (&openblas_set_num_threads) set_num_threads;
  __typeof__ (&openblas_get_config) get_config;
} blas;

static gboolean
blas_load (void)
{
  static const char *const names[] = { "libopenblas.so.0", "libopenblas.so", "libblas.so.3" };

  if (blas.module)
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (names) && blas.module == NULL; i++)
    blas.module = g_module_open (names[i], G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (blas.module == NULL ||
      !g_module_symbol (blas.module, "cblas_sgemm", (gpointer *) &blas.sgemm) ||
      !g_module_symbol (blas.module, "cblas_sgemv", (gpointer *) &blas.sgemv) ||
      !g_module_symbol (blas.module, "openblas_set_num_threads", (gpointer *) &blas.set_num_threads) ||
      !g_module_symbol (blas.module, "openblas_get_config", (gpointer *) &blas.get_config))
    {
      g_clear_pointer (&blas.module, g_module_close);
      return FALSE;
    }
  return TRUE;
}
#endif

#ifdef SM_HAVE_OPENBLAS
static void
run_blas_gemm (void *p)
{
  ProdCtx *c = p;
  blas.sgemm (CblasRowMajor, CblasNoTrans, c->tb ? CblasTrans : CblasNoTrans,
               (int) c->M, (int) c->N, (int) c->K, 1.0f, c->A, (int) c->K, c->B,
               (int) (c->tb ? c->K : c->N), 0.0f, c->C, (int) c->N);
}

static void
run_blas_gemv (void *p)
{
  ProdCtx *c = p;
  blas.sgemv (CblasRowMajor, CblasNoTrans, (int) c->M, (int) c->K, 1.0f, c->A, (int) c->K,
               c->x, 1, 0.0f, c->y, 1);
}
#endif

/* One product shape at one level and thread count, and OpenBLAS on the same data. */
static void
bench_product (const char *kernel, bool gemv, bool tb, size_t M, size_t N, size_t K,
               const SmKernels *k, int threads, int reps, GRand *rand)
{
  const bool packed = strcmp (kernel, "xwt-packed") == 0;
  ProdCtx c = { .tb = tb, .M = M, .N = N, .K = K, .threads = threads };
  g_autofree char *shape = gemv ? g_strdup_printf ("%zux%zu", M, K)
                                : g_strdup_printf ("%zux%zux%zu%s", M, N, K, tb ? " (A·Bᵀ)" : "");
  double flops = gemv ? 2.0 * M * K : 2.0 * M * N * K;
  double bytes = gemv ? 4.0 * (M * K + K + M) : 4.0 * (M * K + N * K + M * N);
  double med, fast, slow;

  float *A = alloc_floats (M * K, rand);
  float *B = alloc_floats (gemv ? 0 : N * K, rand);
  float *x = alloc_floats (K, rand);
  c.A = A;
  c.B = B;
  c.x = x;
  c.C = alloc_floats (gemv ? 0 : M * N, rand);
  c.y = alloc_floats (M, rand);
  float *P = NULL;
  if (packed)
    {
      P = g_aligned_alloc (sm_pack_b16_floats (N, K), sizeof (float), 64);
      sm_pack_b16 (N, K, B, K, P);
      c.P = P;
    }

  sm_kernels_set_level (k->level, NULL);
  sm_threads_set_count (threads);
  Row *r = add_row (kernel, shape, k->name, threads, "GFLOP/s");
  measure (packed ? run_sm_packed : gemv ? run_sm_gemv : run_sm_gemm, &c, reps, &med, &fast, &slow);
  row_set_rate (r, med, fast, slow, flops);
  r->gbps = bytes / med * 1e-9;
#ifdef SM_HAVE_OPENBLAS
  if (blas_load ())
    {
      blas.set_num_threads (threads);
      measure (gemv ? run_blas_gemv : run_blas_gemm, &c, reps, &med, &fast, &slow);
      r->blas = flops / med * 1e-9;
      /* OpenBLAS's workers spin for ~2^28 cycles after a call: on a 2-core machine they would
       * hold the core our own worker needs in the next measurement (seen: our 2-thread SGEMM
       * 1024³ at 137 GFLOP/s right after OpenBLAS, 355 after a pause) */
      g_usleep (300000);
    }
#endif
  g_aligned_free (P);
  free (A);
  free (B);
  free (x);
  free (c.C);
  free (c.y);
}

/* ---- the table's other kernels -------------------------------------------------------------- */

#define VEC_N 4096          /* elements of the vector kernels: 16 KB per operand, L1/L2 */
#define QGEMV_M 4096        /* rows × columns of the half and quantized GEMVs */
#define QGEMV_K 4096

typedef struct {
  const SmKernels *k;
  size_t n;
  float *a, *b, *c, *out;
  uint16_t *h;
  SmBlockQ8_0 *q8a, *q8b;
  SmBlockQ4_0 *q4;
  SmBlockQ8_K *q8k;    /* QGEMV_K activations for the K-quant GEMVs */
  void *W;             /* QGEMV_M rows of weights of the kernel's type */
  volatile float sink;
  volatile size_t isink;
} VecCtx;

typedef struct {
  const char *name;
  size_t      offset;          /* of the SmKernels member, to test for NULL */
  BenchFn     run;
  const char *unit;            /* "GFLOP/s" or "GB/s" */
  double      work;            /* flops or bytes per call */
  bool        threaded;        /* runs through a threaded entry point (sm_gemv_*) */
} VecKernel;

#define K_OFF(member) offsetof (SmKernels, member)

static void run_dot (void *p) { VecCtx *c = p; c->sink = c->k->dot (c->a, c->b, c->n); }
static void run_add (void *p) { VecCtx *c = p; c->k->add (c->out, c->a, c->b, c->n); }
static void run_mul (void *p) { VecCtx *c = p; c->k->mul (c->out, c->a, c->b, c->n); }
static void run_scale (void *p) { VecCtx *c = p; c->k->scale (c->out, c->a, 0.999f, c->n); }
static void run_axpy (void *p) { VecCtx *c = p; c->k->axpy (c->out, 1e-3f, c->a, c->n); }
static void run_bcast (void *p) { VecCtx *c = p; c->k->broadcast_add (c->out, c->a, c->b, 16, c->n / 16); }
static void run_argmax (void *p) { VecCtx *c = p; c->isink = c->k->argmax (c->a, c->n); }
static void run_softmax (void *p) { VecCtx *c = p; memcpy (c->out, c->a, c->n * 4); c->k->softmax (c->out, c->n); }
static void run_softmax_causal (void *p) { VecCtx *c = p; memcpy (c->out, c->a, c->n * 4); c->k->softmax_causal (c->out, c->n, c->n * 3 / 4); }
static void run_gelu (void *p) { VecCtx *c = p; c->k->gelu (c->out, c->a, c->n); }
static void run_silu (void *p) { VecCtx *c = p; c->k->silu (c->out, c->a, c->n); }
static void run_swiglu (void *p) { VecCtx *c = p; c->k->swiglu (c->out, c->a, c->b, c->n); }
static void run_layernorm (void *p) { VecCtx *c = p; c->k->layernorm (c->out, c->a, c->b, c->c, c->n, 1e-5f, NULL, NULL); }
static void run_rmsnorm (void *p) { VecCtx *c = p; c->k->rmsnorm (c->out, c->a, c->b, c->n, 1e-5f); }
/* x (32 heads, 128) rotated in full: cos/sin tables of 64 */
static void run_rope (void *p) { VecCtx *c = p; c->k->rope (c->out, c->n / 128, 128, 128, c->b, c->c, SM_ROPE_NORM); }
static void run_f16 (void *p) { VecCtx *c = p; c->k->f16_to_f32 (c->out, c->h, c->n); }
static void run_bf16 (void *p) { VecCtx *c = p; c->k->bf16_to_f32 (c->out, c->h, c->n); }
static void run_quant (void *p) { VecCtx *c = p; c->k->quantize_row_q8_0 (c->a, c->q8a, c->n); }
static void run_dot_q8 (void *p) { VecCtx *c = p; c->sink = c->k->vec_dot_q8_0_q8_0 (c->n, c->q8a, c->q8b); }
static void run_dot_q4 (void *p) { VecCtx *c = p; c->sink = c->k->vec_dot_q4_0_q8_0 (c->n, c->q4, c->q8b); }
static void run_gemv_q8 (void *p) { VecCtx *c = p; sm_gemv_q8_0 (QGEMV_M, QGEMV_K, c->W, c->q8b, c->out); }
static void run_gemv_q4 (void *p) { VecCtx *c = p; sm_gemv_q4_0 (QGEMV_M, QGEMV_K, c->W, c->q8b, c->out); }
static void run_gemv_q4k (void *p) { VecCtx *c = p; sm_gemv_q4_k (QGEMV_M, QGEMV_K, c->W, c->q8k, c->out); }
static void run_gemv_q6k (void *p) { VecCtx *c = p; sm_gemv_q6_k (QGEMV_M, QGEMV_K, c->W, c->q8k, c->out); }
static void run_gemv_f16 (void *p) { VecCtx *c = p; sm_gemv_f16 (QGEMV_M, QGEMV_K, c->W, QGEMV_K, c->a, c->out); }
static void run_gemv_bf16 (void *p) { VecCtx *c = p; sm_gemv_bf16 (QGEMV_M, QGEMV_K, c->W, QGEMV_K, c->a, c->out); }

static const VecKernel vec_kernels[] = {
  { "dot", K_OFF (dot), run_dot, "GFLOP/s", 2.0 * VEC_N, false },
  { "add", K_OFF (add), run_add, "GB/s", 12.0 * VEC_N, false },
  { "mul", K_OFF (mul), run_mul, "GB/s", 12.0 * VEC_N, false },
  { "scale", K_OFF (scale), run_scale, "GB/s", 8.0 * VEC_N, false },
  { "axpy", K_OFF (axpy), run_axpy, "GB/s", 12.0 * VEC_N, false },
  { "broadcast_add", K_OFF (broadcast_add), run_bcast, "GB/s", 8.0 * VEC_N + 4.0 * VEC_N / 16, false },
  { "argmax", K_OFF (argmax), run_argmax, "GB/s", 4.0 * VEC_N, false },
  { "softmax", K_OFF (softmax), run_softmax, "GB/s", 8.0 * VEC_N, false },
  { "softmax_causal", K_OFF (softmax_causal), run_softmax_causal, "GB/s", 8.0 * VEC_N, false },
  { "gelu", K_OFF (gelu), run_gelu, "GB/s", 8.0 * VEC_N, false },
  { "silu", K_OFF (silu), run_silu, "GB/s", 8.0 * VEC_N, false },
  { "swiglu", K_OFF (swiglu), run_swiglu, "GB/s", 12.0 * VEC_N, false },
  { "layernorm", K_OFF (layernorm), run_layernorm, "GB/s", 16.0 * VEC_N, false },
  { "rmsnorm", K_OFF (rmsnorm), run_rmsnorm, "GB/s", 12.0 * VEC_N, false },
  { "rope", K_OFF (rope), run_rope, "GB/s", 8.0 * VEC_N, false },
  { "f16_to_f32", K_OFF (f16_to_f32), run_f16, "GB/s", 6.0 * VEC_N, false },
  { "bf16_to_f32", K_OFF (bf16_to_f32), run_bf16, "GB/s", 6.0 * VEC_N, false },
  { "quantize_row_q8_0", K_OFF (quantize_row_q8_0), run_quant, "GB/s", 4.0 * VEC_N + 34.0 * VEC_N / 32, false },
  { "vec_dot_q8_0_q8_0", K_OFF (vec_dot_q8_0_q8_0), run_dot_q8, "GFLOP/s", 2.0 * VEC_N, false },
  { "vec_dot_q4_0_q8_0", K_OFF (vec_dot_q4_0_q8_0), run_dot_q4, "GFLOP/s", 2.0 * VEC_N, false },
  { "gemv_q8_0", K_OFF (gemv_q8_0), run_gemv_q8, "GFLOP/s", 2.0 * QGEMV_M * QGEMV_K, true },
  { "gemv_q4_0", K_OFF (gemv_q4_0), run_gemv_q4, "GFLOP/s", 2.0 * QGEMV_M * QGEMV_K, true },
  { "gemv_q4_k", K_OFF (gemv_q4_k), run_gemv_q4k, "GFLOP/s", 2.0 * QGEMV_M * QGEMV_K, true },
  { "gemv_q6_k", K_OFF (gemv_q6_k), run_gemv_q6k, "GFLOP/s", 2.0 * QGEMV_M * QGEMV_K, true },
  { "gemv_f16", K_OFF (gemv_f16), run_gemv_f16, "GFLOP/s", 2.0 * QGEMV_M * QGEMV_K, true },
  { "gemv_bf16", K_OFF (gemv_bf16), run_gemv_bf16, "GFLOP/s", 2.0 * QGEMV_M * QGEMV_K, true },
};

/* Bytes of weights one call of a threaded GEMV reads, for its GB/s. */
static double
weight_bytes (const VecKernel *v)
{
  double rows = (double) QGEMV_M * QGEMV_K;

  if (v->run == run_gemv_q8)
    return rows / SM_QK * sizeof (SmBlockQ8_0);
  if (v->run == run_gemv_q4)
    return rows / SM_QK * sizeof (SmBlockQ4_0);
  if (v->run == run_gemv_q4k)
    return rows / SM_QK_K * sizeof (SmBlockQ4_K);
  if (v->run == run_gemv_q6k)
    return rows / SM_QK_K * sizeof (SmBlockQ6_K);
  return rows * 2.0;
}

static bool
table_has (const SmKernels *k, size_t offset)
{
  void *fn;
  memcpy (&fn, (const char *) k + offset, sizeof fn);
  return fn != NULL;
}

static void
vec_ctx_init (VecCtx *c, GRand *rand)
{
  size_t nb = VEC_N / SM_QK;
  size_t wbytes = (size_t) QGEMV_M * QGEMV_K * 2;   /* the largest: f16 / bf16 */

  c->n = VEC_N;
  c->a = alloc_floats (VEC_N, rand);
  c->b = alloc_floats (VEC_N, rand);
  c->c = alloc_floats (VEC_N, rand);
  c->out = alloc_floats (MAX (VEC_N, QGEMV_M), rand);
  c->h = g_new (uint16_t, VEC_N);
  for (size_t i = 0; i < VEC_N; i++)
    c->h[i] = sm_fp32_to_fp16 (c->a[i]);
  c->q8a = g_new0 (SmBlockQ8_0, nb);
  c->q8b = g_new0 (SmBlockQ8_0, nb);
  c->q4 = g_new0 (SmBlockQ4_0, nb);
  /* Valid blocks (scales ~1/127, random codes) without relying on any table entry. */
  for (size_t i = 0; i < nb; i++)
    {
      c->q8a[i].d = c->q8b[i].d = c->q4[i].d = sm_fp32_to_fp16 (1.0f / 127.0f);
      for (int j = 0; j < SM_QK; j++)
        {
          c->q8a[i].qs[j] = (int8_t) g_rand_int_range (rand, -127, 128);
          c->q8b[i].qs[j] = (int8_t) g_rand_int_range (rand, -127, 128);
        }
      for (int j = 0; j < SM_QK / 2; j++)
        c->q4[i].qs[j] = (uint8_t) g_rand_int_range (rand, 0, 256);
    }
  c->q8k = g_new0 (SmBlockQ8_K, QGEMV_K / SM_QK_K);
  for (size_t i = 0; i < QGEMV_K / SM_QK_K; i++)
    {
      c->q8k[i].d = 1.0f / 127.0f;
      for (int j = 0; j < SM_QK_K; j++)
        {
          c->q8k[i].qs[j] = (int8_t) g_rand_int_range (rand, -127, 128);
          c->q8k[i].bsums[j / 16] += c->q8k[i].qs[j];
        }
    }
  c->W = g_malloc (wbytes);
  /* Any bits make valid q8/q4 codes; keep the fp16 scales and halfs finite and small. */
  uint16_t *w = c->W;
  for (size_t i = 0; i < wbytes / 2; i++)
    w[i] = sm_fp32_to_fp16 ((float) g_rand_double_range (rand, -0.01, 0.01));
}

static void
vec_ctx_clear (VecCtx *c)
{
  free (c->a);
  free (c->b);
  free (c->c);
  free (c->out);
  g_free (c->h);
  g_free (c->q8a);
  g_free (c->q8b);
  g_free (c->q4);
  g_free (c->q8k);
  g_free (c->W);
}

/* ---- thread pool: region cost and break-even ------------------------------------------------ */

/* 2 µs of busy work split into nth shares, so a region on 2 threads ideally takes 1 µs and
 * anything above is the pool's cost (an empty task would let the caller run both shares
 * before the worker even looks). */
static void
microsecond_task (void *user, int ith, int nth)
{
  double until = now_s () + 2e-6 / nth;
  while (now_s () < until)
    ;
}

static void
run_region (void *p)
{
  sm_threads_run (2, microsecond_task, NULL);
}

typedef struct {
  const SmKernels *k;
  size_t M, N, K;
  const float *A, *B;
  float *C;
} SplitCtx;

static void
split_task (void *user, int ith, int nth)
{
  SplitCtx *c = user;
  size_t first, last;

  sm_threads_range (c->N, ith, nth, 16, &first, &last);
  if (first < last)
    c->k->sgemm (false, true, c->M, last - first, c->K, 1.0f, c->A, c->K, c->B + first * c->K,
                 c->K, 0.0f, c->C + first, c->N);
}

static void
run_split1 (void *p)
{
  split_task (p, 0, 1);
}

static void
run_split2 (void *p)
{
  sm_threads_run (2, split_task, p);
}

/* x · Wᵀ of M×N×K forced onto 2 threads against 1, for sizes around the break-even. */
static void
bench_split (const SmKernels *k, int reps, GRand *rand)
{
  static const size_t shapes[][3] = {
    { 1, 32, 32 }, { 1, 64, 64 }, { 1, 128, 128 }, { 1, 256, 256 }, { 1, 512, 256 },
    { 1, 512, 512 }, { 8, 32, 32 }, { 16, 32, 64 }, { 16, 64, 64 }, { 32, 64, 64 },
    { 64, 64, 64 }, { 64, 128, 64 }, { 64, 128, 128 },
  };

  sm_kernels_set_level (k->level, NULL);
  sm_threads_set_count (2);
  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      SplitCtx c = { .k = k, .M = shapes[s][0], .N = shapes[s][1], .K = shapes[s][2] };
      float *A = alloc_floats (c.M * c.K, rand), *B = alloc_floats (c.N * c.K, rand);
      float *C = alloc_floats (c.M * c.N, rand);
      double flops = 2.0 * c.M * c.N * c.K, m1, m2, f, sl;
      c.A = A;
      c.B = B;
      c.C = C;
      g_autofree char *shape = g_strdup_printf ("%zux%zux%zu (%.0f kflop)", c.M, c.N, c.K,
                                                flops / 1000);
      measure (run_split1, &c, reps, &m1, &f, &sl);
      Row *r1 = add_row ("split", shape, k->name, 1, "us");
      r1->median = m1 * 1e6;
      r1->min = f * 1e6;
      r1->max = sl * 1e6;
      measure (run_split2, &c, reps, &m2, &f, &sl);
      Row *r2 = add_row ("split", shape, k->name, 2, "us");
      r2->median = m2 * 1e6;
      r2->min = f * 1e6;
      r2->max = sl * 1e6;
      r2->note = g_strdup_printf ("2 threads %.2fx the speed of 1", m1 / m2);
      free (A);
      free (B);
      free (C);
    }
}

/* ---- output --------------------------------------------------------------------------------- */

static void
print_markdown (const Options *o)
{
  printf ("| kernel | shape | level | thr | median | min | max | unit | GB/s | OpenBLAS | ours/OpenBLAS | note |\n");
  printf ("|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|\n");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *r = rows->pdata[i];
      if (r->note != NULL && isnan (r->median))
        {
          printf ("| %s | - | %s | - | - | - | - | - | - | - | - | %s |\n", r->kernel, r->level, r->note);
          continue;
        }
      printf ("| %s | %s | %s | %d | %.2f | %.2f | %.2f | %s | ", r->kernel, r->shape, r->level,
              r->threads, r->median, r->min, r->max, r->unit);
      if (isnan (r->gbps))
        printf ("- | ");
      else
        printf ("%.1f | ", r->gbps);
      if (isnan (r->blas))
        printf ("- | - | ");
      else
        printf ("%.2f | %.2f | ", r->blas, r->median / r->blas);
      printf ("%s |\n", r->note ? r->note : "");
    }
}

static void
add_double_or_null (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isnan (v))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, v);
}

static void
print_json (const Options *o)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cpu");
  json_builder_add_string_value (b, sm_cpu_model_name ());
  json_builder_set_member_name (b, "features");
  json_builder_add_string_value (b, sm_cpu_features ());
  json_builder_set_member_name (b, "processors");
  json_builder_add_int_value (b, g_get_num_processors ());
  json_builder_set_member_name (b, "reps");
  json_builder_add_int_value (b, o->reps);
  json_builder_set_member_name (b, "openblas");
#ifdef SM_HAVE_OPENBLAS
  json_builder_add_boolean_value (b, blas_load ());
#else
  json_builder_add_boolean_value (b, FALSE);
#endif
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *r = rows->pdata[i];
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kernel");
      json_builder_add_string_value (b, r->kernel);
      json_builder_set_member_name (b, "shape");
      json_builder_add_string_value (b, r->shape);
      json_builder_set_member_name (b, "level");
      json_builder_add_string_value (b, r->level);
      json_builder_set_member_name (b, "threads");
      json_builder_add_int_value (b, r->threads);
      json_builder_set_member_name (b, "unit");
      json_builder_add_string_value (b, r->unit);
      add_double_or_null (b, "median", r->median);
      add_double_or_null (b, "min", r->min);
      add_double_or_null (b, "max", r->max);
      add_double_or_null (b, "gbps", r->gbps);
      add_double_or_null (b, "openblas", r->blas);
      add_double_or_null (b, "ratio", isnan (r->blas) ? NAN : r->median / r->blas);
      if (r->note)
        {
          json_builder_set_member_name (b, "note");
          json_builder_add_string_value (b, r->note);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = sm_json_generate (gen, NULL);
  printf ("%s\n", text);
}

/* ---- option parsing ------------------------------------------------------------------------- */

static bool
wants (const Options *o, const char *kernel)
{
  return o->kernels == NULL || g_strv_contains ((const char *const *) o->kernels, kernel);
}

/* --levels, or every level this CPU runs. */
static gboolean
parse_levels (Options *o, const char *levels_s, GError **error)
{
  o->levels = g_array_new (FALSE, FALSE, sizeof (SmKernelLevel));
  if (levels_s != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (levels_s, ",", -1);
      for (int i = 0; parts[i] != NULL; i++)
        {
          SmKernelLevel l;
          const char *why = NULL;
          if (!sm_kernel_level_from_string (g_strstrip (parts[i]), &l) || l == SM_KERNEL_LEVEL_AUTO)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unknown level '%s'", parts[i]);
              return FALSE;
            }
          if (!sm_kernels_level_supported (l, &why))
            {
              g_printerr ("skipping level %s: %s\n", parts[i], why);
              continue;
            }
          g_array_append_val (o->levels, l);
        }
      if (o->levels->len == 0)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "none of the levels %s runs on this CPU", levels_s);
          return FALSE;
        }
    }
  else
    {
      for (int l = SM_KERNEL_LEVEL_SCALAR; l < SM_KERNEL_N_LEVELS; l++)
        if (sm_kernels_level_supported ((SmKernelLevel) l, NULL))
          {
            SmKernelLevel lv = (SmKernelLevel) l;
            g_array_append_val (o->levels, lv);
          }
    }
  return TRUE;
}

/* --threads, or one thread and all of them. */
static gboolean
parse_threads (Options *o, const char *threads_s, GError **error)
{
  if (threads_s != NULL)
    {
      if ((o->threads = sm_cli_parse_int_list (threads_s, SM_MAX_THREADS, "thread count", error)) == NULL)
        return FALSE;
    }
  else
    {
      int one = 1, all = MIN (g_get_num_processors (), SM_MAX_THREADS);
      o->threads = g_array_new (FALSE, FALSE, sizeof (int));
      g_array_append_val (o->threads, one);
      if (all > 1)
        g_array_append_val (o->threads, all);
    }
  return TRUE;
}

/* --kernels: each name a product or a table entry. */
static gboolean
parse_kernel_names (Options *o, const char *kernels_s, GError **error)
{
  if (kernels_s != NULL)
    {
      static const char *const products[] = { "gemm", "xwt", "xwt-packed", "gemv", "threads", "split" };
      o->kernels = g_strsplit (kernels_s, ",", -1);
      for (int i = 0; o->kernels[i] != NULL; i++)
        {
          gboolean known = FALSE;
          g_strstrip (o->kernels[i]);
          for (gsize j = 0; j < G_N_ELEMENTS (products); j++)
            known = known || strcmp (o->kernels[i], products[j]) == 0;
          for (gsize j = 0; j < G_N_ELEMENTS (vec_kernels); j++)
            known = known || strcmp (o->kernels[i], vec_kernels[j].name) == 0;
          if (!known)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "no kernel is called '%s' (see --help for the names)", o->kernels[i]);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* The Markdown report's head: the machine and how it is measured. */
static void
print_header (const Options *o)
{
  GString *thr = g_string_new (NULL);

  for (guint t = 0; t < o->threads->len; t++)
    g_string_append_printf (thr, "%s%d", t ? "," : "", g_array_index (o->threads, int, t));
  printf ("# smallmind-cli bench kernels\n\n");
  printf ("- CPU: %s (%d logical processors)\n", sm_cpu_model_name (), g_get_num_processors ());
  printf ("- SIMD: %s\n", sm_cpu_features ());
  printf ("- threads: %s; repetitions: %d (median, min..max of batches >= 2 ms)\n", thr->str, o->reps);
#ifdef SM_HAVE_OPENBLAS
  if (blas_load ())
    printf ("- OpenBLAS: %s\n\n", blas.get_config ());
  else
    printf ("- OpenBLAS: libopenblas.so.0 not found at run time\n\n");
#else
  printf ("- OpenBLAS: not built in\n\n");
#endif
  fflush (stdout);
  g_string_free (thr, TRUE);
}

/* Every wanted kernel of table @k at @t threads (the @ti-th count: single-threaded entries
 * run at the first only). */
static void
bench_level (const Options *o, const SmKernels *k, guint li, guint ti, int t, GRand *rand)
{
  if (wants (o, "gemm"))
    {
      if (k->sgemm == NULL)
        add_skip ("gemm", k->name, "sgemm is NULL in this table");
      else
        for (guint si = 0; si < o->sizes->len; si++)
          {
            size_t n = (size_t) g_array_index (o->sizes, int, si);
            bench_product ("gemm", false, false, n, n, n, k, t, o->reps, rand);
          }
    }
  /* The model's x · Wᵀ: decode (M = 1), a short and a long prompt, Medium's 22-token
   * context; xwt-packed the same on weights packed once, as sessions run them. */
  static const size_t xwt[][3] = {
    { 1, 768, 288 }, { 22, 1024, 256 }, { 22, 256, 1024 }, { 64, 768, 288 },
    { 512, 768, 288 }, { 512, 288, 768 }, { 1, 4096, 4096 }, { 16, 4096, 4096 },
    { 128, 4096, 4096 }, { 64, 32000, 288 },
  };
  if (wants (o, "xwt") && k->sgemm != NULL)
    for (gsize s = 0; s < G_N_ELEMENTS (xwt); s++)
      bench_product ("xwt", false, true, xwt[s][0], xwt[s][1], xwt[s][2], k, t, o->reps, rand);
  if (wants (o, "xwt-packed") && k->sgemm_packed != NULL)
    for (gsize s = 0; s < G_N_ELEMENTS (xwt); s++)
      bench_product ("xwt-packed", false, true, xwt[s][0], xwt[s][1], xwt[s][2], k, t, o->reps, rand);
  if (wants (o, "gemv"))
    {
      static const size_t gv[][2] = { { 4096, 4096 }, { 768, 288 }, { 32000, 288 }, { 4096, 1024 } };
      if (k->sgemv == NULL)
        add_skip ("gemv", k->name, "sgemv is NULL in this table");
      else
        for (gsize s = 0; s < G_N_ELEMENTS (gv); s++)
          bench_product ("gemv", true, false, gv[s][0], 0, gv[s][1], k, t, o->reps, rand);
    }
  if (wants (o, "threads") && li == 0)
    {
      double med, fast, slow;
      sm_threads_set_count (t);
      measure (run_region, NULL, o->reps, &med, &fast, &slow);
      Row *r = add_row ("threads", "2 us of work in nth shares", "-", t, "us");
      r->median = med * 1e6;
      r->min = fast * 1e6;
      r->max = slow * 1e6;
      r->note = g_strdup ("ideal: 2 us on 1 thread, 1 us on 2");
    }

  VecCtx vc = { .k = k };
  bool vc_ready = false;
  for (gsize v = 0; v < G_N_ELEMENTS (vec_kernels); v++)
    {
      const VecKernel *vk = &vec_kernels[v];
      double med, fast, slow;
      if (!wants (o, vk->name))
        continue;
      if (!vk->threaded && ti > 0)
        continue;   /* single-threaded table entries: once per level */
      if (!table_has (k, vk->offset))
        {
          if (ti == 0)
            add_skip (vk->name, k->name, "not in this table yet (NULL entry)");
          continue;
        }
      if (!vc_ready)
        {
          vec_ctx_init (&vc, rand);
          vc_ready = true;
        }
      sm_kernels_set_level (k->level, NULL);
      sm_threads_set_count (vk->threaded ? t : 1);
      g_autofree char *shape = vk->threaded ? g_strdup_printf ("%dx%d", QGEMV_M, QGEMV_K)
                                            : g_strdup_printf ("%d", VEC_N);
      Row *r = add_row (vk->name, shape, k->name, vk->threaded ? t : 1, vk->unit);
      measure (vk->run, &vc, o->reps, &med, &fast, &slow);
      row_set_rate (r, med, fast, slow, vk->work);
      if (vk->threaded)
        r->gbps = weight_bytes (vk) / med * 1e-9;
    }
  if (vc_ready)
    vec_ctx_clear (&vc);
}

static void
options_clear (Options *o)
{
  g_clear_pointer (&o->levels, g_array_unref);
  g_clear_pointer (&o->threads, g_array_unref);
  g_clear_pointer (&o->sizes, g_array_unref);
  g_clear_pointer (&o->kernels, g_strfreev);
}

int
sm_cli_bench_kernels (int argc, char **argv)
{
  g_autofree char *levels_s = NULL, *threads_s = NULL, *kernels_s = NULL, *sizes_s = NULL;
  g_autofree char *format = NULL;
  int reps = 7;
  GOptionEntry entries[] = {
    { "levels", 0, 0, G_OPTION_ARG_STRING, &levels_s, "Kernel levels (default: every supported one)", "scalar,avx2,avx512" },
    { "threads", 't', 0, G_OPTION_ARG_STRING, &threads_s, "Thread counts (default: 1 and all cores)", "1,2" },
    { "kernels", 'k', 0, G_OPTION_ARG_STRING, &kernels_s, "Kernels to run (default: all): gemm, xwt, xwt-packed, gemv, threads, split, and the table's names (dot, softmax, gemv_q8_0, ...)", "gemm,gemv,..." },
    { "sizes", 's', 0, G_OPTION_ARG_STRING, &sizes_s, "Square SGEMM sizes (default: 64,128,256,512,1024)", "N,..." },
    { "reps", 'r', 0, G_OPTION_ARG_INT, &reps, "Timed repetitions after warm-up (default: 7)", "N" },
    { "output", 'o', 0, G_OPTION_ARG_STRING, &format, "Output format: md or json (default: md)", "md|json" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- time every kernel");
  g_autoptr (GError) error = NULL;
  Options o = { 0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  int saved_threads = sm_threads_get_count ();
  SmKernelLevel saved_level = sm_kernels_get_level ();

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_summary (ctx, "Kernel throughput per level and thread count, with OpenBLAS "
                                     "side by side for SGEMM and SGEMV when built with it.");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    goto fail;
  if (reps < 1)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--reps must be 1 or more");
      goto fail;
    }
  o.reps = reps;
  if (format == NULL)
    format = g_strdup ("md");
  if (strcmp (format, "md") != 0 && strcmp (format, "json") != 0)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unknown output format '%s'", format);
      goto fail;
    }
  if (!parse_levels (&o, levels_s, &error) || !parse_threads (&o, threads_s, &error))
    goto fail;
  if ((o.sizes = sm_cli_parse_int_list (sizes_s ? sizes_s : "64,128,256,512,1024", 1 << 16, "size", &error)) == NULL)
    goto fail;
  if (!parse_kernel_names (&o, kernels_s, &error))
    goto fail;

  rows = g_ptr_array_new_with_free_func (row_free);
  if (strcmp (format, "md") == 0)
    print_header (&o);
  for (guint li = 0; li < o.levels->len; li++)
    {
      const SmKernels *k = sm_kernels_for_level (g_array_index (o.levels, SmKernelLevel, li));

      for (guint ti = 0; ti < o.threads->len; ti++)
        bench_level (&o, k, li, ti, g_array_index (o.threads, int, ti), rand);
      if (wants (&o, "split") && k->sgemm != NULL)
        bench_split (k, reps, rand);
    }
  sm_threads_set_count (saved_threads);
  sm_kernels_set_level (saved_level, NULL);

  if (rows->len == 0)
    {
      /* an empty table is no measurement: a misspelt --kernels name, say */
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "nothing to time: no kernel "
                   "is called '%s' (see --help for the names)", kernels_s ? kernels_s : "");
      g_clear_pointer (&rows, g_ptr_array_unref);
      goto fail;
    }
  if (strcmp (format, "md") == 0)
    print_markdown (&o);
  else
    print_json (&o);
  g_clear_pointer (&rows, g_ptr_array_unref);
  options_clear (&o);
  return 0;

fail:
  g_printerr ("smallmind-cli bench kernels: %s\n", error->message);
  options_clear (&o);
  return 2;
}
