/* test-arch.c: every architecture of sm-arch.c against a naive double-precision forward pass
 * written here from llama.cpp's graph builders (build_gpt2, build_llama, build_qwen2, Qwen3's
 * q/k norms, build_phi3, build_gemma2), at every kernel level, pool on and off, 1 and 2
 * threads, prefill and decode, packed and unpacked weights; the same models written as GGUF
 * and read back. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sm-generate.h"
#include "sm-model-private.h"
#include "sm-session-private.h"
#include "sm-test-reference.h"
#include "sm-test-util.h"
#include "sm-threads.h"

/* ---- the models -------------------------------------------------------------------------------- */

typedef struct {
  const char *name;
  SmArch      arch;
  int         head_dim;      /* 0: dim / heads */
  int         window;        /* sliding window, or 0 */
  float       attn_softcap, final_softcap;
  gboolean    rope_freqs;    /* Llama 3's per-pair factors */
  float       rope_scale;    /* linear scaling, 0: none */
  int         context;       /* 0: 32 */
  int         n_tokens;      /* 0: 20 */
} ArchCase;

static const ArchCase cases[] = {
  { "gpt", SM_ARCH_GPT, .head_dim = 0 },
  { "llama", SM_ARCH_LLAMA, .head_dim = 0 },
  { "llama3-rope", SM_ARCH_LLAMA, .rope_freqs = TRUE },
  { "llama-linear-rope", SM_ARCH_LLAMA, .rope_scale = 0.25f },
  { "qwen2", SM_ARCH_QWEN2, .head_dim = 0 },
  { "qwen3", SM_ARCH_QWEN3, .head_dim = 24 },
  { "phi3", SM_ARCH_PHI3, .window = 7 },
  { "gemma2", SM_ARCH_GEMMA2, .head_dim = 24, .window = 5, .attn_softcap = 0.3f,
    .final_softcap = 0.08f },
  /* contexts past window + SM_KV_CHUNK: the windows' rings turn, in prefill's second chunk
   * and in decode */
  { "phi3-ring", SM_ARCH_PHI3, .window = 7, .context = 640, .n_tokens = 600 },
  { "gemma2-ring", SM_ARCH_GEMMA2, .head_dim = 24, .window = 5, .attn_softcap = 0.3f,
    .final_softcap = 0.08f, .context = 640, .n_tokens = 600 },
};

static double
rng_normal (GRand *r)
{
  double u1 = g_rand_double_range (r, 1e-12, 1.0), u2 = g_rand_double (r);
  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

static void
perturb (const char *name, SmTensor *t, gpointer data)
{
  GRand *r = data;
  float *x = sm_tensor_f32 (t);
  gint64 n = sm_tensor_n_elements (t);

  /* init leaves biases 0 and norms 1, which would test neither: give them values */
  if (g_str_has_suffix (name, ".bias"))
    for (gint64 i = 0; i < n; i++)
      x[i] = (float) (0.05 * rng_normal (r));
  else if (g_str_has_suffix (name, "norm.weight"))
    for (gint64 i = 0; i < n; i++)
      x[i] = (float) (1.0 + 0.2 * rng_normal (r));
}

static SmModel *
make_model (const ArchCase *ac)
{
  g_autoptr (SmTokenizer) bytes = sm_tokenizer_new_bytes ();
  g_autoptr (GError) error = NULL;
  SmModelConfig c = { 0 };
  SmModel *m;
  GRand *r = g_rand_new_with_seed (5);

  sm_arch_config_defaults (ac->arch, &c);
  c.vocab_size = 300;
  c.dim = 64;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = ac->arch == SM_ARCH_GPT ? 4 : 2;
  c.head_dim = ac->head_dim ? ac->head_dim : c.dim / c.n_heads;
  c.rope_dims = c.head_dim;
  c.hidden_dim = 96;
  c.context_length = ac->context ? ac->context : 32;
  c.tied_output = ac->arch == SM_ARCH_GEMMA2 || ac->arch == SM_ARCH_QWEN2;
  if (ac->window)
    c.sliding_window = ac->window;
  if (ac->attn_softcap)
    c.attn_softcap = ac->attn_softcap;
  if (ac->final_softcap)
    c.final_softcap = ac->final_softcap;
  if (ac->rope_scale)
    c.rope_freq_scale = ac->rope_scale;
  m = sm_model_new_random (&c, bytes, 17, ac->name, &error);
  g_assert_no_error (error);
  sm_model_foreach_tensor (m, perturb, r);
  if (ac->rope_freqs)
    {
      gint64 shape[1] = { c.rope_dims / 2 };
      float *ff;
      m->w.rope_freqs = sm_tensor_new (NULL, SM_DTYPE_F32, 1, shape);
      ff = sm_tensor_f32 (m->w.rope_freqs);
      /* as Llama 3's: the fast pairs kept, the slow ones slowed by up to 8 */
      for (int i = 0; i < shape[0]; i++)
        ff[i] = i < shape[0] / 2 ? 1.0f : 1.0f + 7.0f * (i - shape[0] / 2) / (shape[0] / 2);
      sm_model_init_rope (m);
    }
  g_rand_free (r);
  return m;
}

static double
max_abs_diff (const float *a, const double *b, int n)
{
  double worst = 0;
  for (int i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double) a[i] - b[i]));
  return worst;
}

static void
test_reference (gconstpointer data)
{
  const ArchCase *ac = data;
  g_autoptr (SmModel) m = make_model (ac);
  const SmModelConfig *c = sm_model_get_config (m);
  const int n = ac->n_tokens ? ac->n_tokens : 20;
  g_autofree gint32 *tokens = g_new (gint32, n);
  g_autofree double *ref = NULL;
  GRand *r = g_rand_new_with_seed (99);
  double worst = 0, spread = 0;

  for (int i = 0; i < n; i++)
    tokens[i] = g_rand_int_range (r, 0, c->vocab_size);
  g_rand_free (r);
  ref = sm_test_ref_forward (m, tokens, n);
  for (int i = 0; i < c->vocab_size; i++)
    spread = MAX (spread, fabs (ref[i] - ref[0]));
  /* the logits must move with the input, or agreement would prove nothing */
  g_assert_cmpfloat (spread, >, 1e-3);

  for (SmKernelLevel level = SM_KERNEL_LEVEL_SCALAR; level <= SM_KERNEL_LEVEL_AVX512_VNNI; level++)
    for (int pool_on = 0; pool_on <= 1; pool_on++)
      for (int threads = 1; threads <= 2; threads++)
        {
          g_autoptr (GError) error = NULL;
          if (!sm_kernels_level_supported (level, NULL))
            continue;
          g_assert_true (sm_kernels_set_level (level, &error));
          sm_pool_set_enabled (sm_pool_default (), pool_on);
          sm_threads_set_count (threads);

          for (int packed = 0; packed <= 1; packed++)
            {
              /* prefill in one batch (GEMM), then the same tokens one at a time (GEMV) */
              g_autoptr (SmSession) s = sm_session_new (m, NULL, 0, &error);
              g_autoptr (SmSession) s2 = sm_session_new (m, NULL, 0, &error);
              g_assert_no_error (error);
              if (!packed)
                {
                  sm_session_drop_packed (s);
                  sm_session_drop_packed (s2);
                }
              g_assert_true (sm_session_eval (s, tokens, n, &error));
              g_assert_no_error (error);
              for (int i = 0; i < n; i++)
                g_assert_true (sm_session_eval (s2, &tokens[i], 1, &error));
              double d1 = max_abs_diff (sm_session_get_logits (s), ref, c->vocab_size);
              double d2 = max_abs_diff (sm_session_get_logits (s2), ref, c->vocab_size);
              if (d1 >= 1e-4 || d2 >= 1e-4)
                g_test_message ("%s %s pool %s, %d threads, %s: |prefill - ref| %.2e, "
                                "|decode - ref| %.2e", ac->name, sm_kernel_level_to_string (level),
                                pool_on ? "on" : "off", threads, packed ? "packed" : "unpacked",
                                d1, d2);
              g_assert_cmpfloat (d1, <, 1e-4);
              g_assert_cmpfloat (d2, <, 1e-4);
              worst = MAX (worst, MAX (d1, d2));
            }
        }
  g_test_message ("%s: worst |logit - ref| %.2e over every level, pool, thread count and path "
                  "(logits spread %.2f)", ac->name, worst, spread);

  sm_kernels_set_level (SM_KERNEL_LEVEL_AUTO, NULL);
  sm_pool_set_enabled (sm_pool_default (), TRUE);
  sm_threads_set_count (1);
}

/* Written as GGUF and read back: the same config and the same logits. */
static void
test_gguf_round_trip (gconstpointer data)
{
  const ArchCase *ac = data;
  g_autoptr (SmModel) m = make_model (ac);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-arch-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "m.gguf", NULL);
  gint32 tokens[6] = { 1, 50, 99, 7, 200, 3 };

  if (ac->context)
    {
      g_test_skip ("the same model as its case with a small context");
      return;
    }

  g_assert_no_error (error);
  g_assert_true (sm_model_save_gguf (m, path, SM_DTYPE_F32, &error));
  g_assert_no_error (error);
  {
    g_autoptr (SmModel) back = sm_model_load (path, NULL, &error);
    const SmModelConfig *a = sm_model_get_config (m), *b = NULL;
    g_assert_no_error (error);
    b = sm_model_get_config (back);
    g_assert_cmpint (a->arch, ==, b->arch);
    g_assert_cmpint (a->head_dim, ==, b->head_dim);
    g_assert_cmpint (a->n_kv_heads, ==, b->n_kv_heads);
    g_assert_cmpint (a->sliding_window, ==, b->sliding_window);
    g_assert_cmpint (a->swa_period, ==, b->swa_period);
    g_assert_cmpint (a->rope_mode, ==, b->rope_mode);
    g_assert_cmpfloat (a->attn_softcap, ==, b->attn_softcap);
    g_assert_cmpfloat (a->final_softcap, ==, b->final_softcap);
    /* 0 and 1 both mean no scaling */
    g_assert_cmpfloat (fabsf ((a->rope_freq_scale > 0 ? a->rope_freq_scale : 1.0f)
                              - (b->rope_freq_scale > 0 ? b->rope_freq_scale : 1.0f)), <, 1e-6f);
    g_assert_cmpint (a->tied_output, ==, b->tied_output);
    g_assert_true ((m->w.rope_freqs == NULL) == (back->w.rope_freqs == NULL));

    /* SmallMind's bytes are written as GPT-2's 256 byte tokens (a vocabulary llama.cpp
     * reads): the same ids for any bytes at all */
    {
      SmTokenizer *ta = sm_model_get_tokenizer (m), *tb = sm_model_get_tokenizer (back);
      g_autoptr (GArray) ia = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr (GArray) ib = g_array_new (FALSE, FALSE, sizeof (gint32));
      char text[300 + 256];
      gsize len = 0;
      const char *words = "Once upon a time, don't   stop!\n\tÜber 42 \xe2\x96\x81 ";
      memcpy (text, words, strlen (words));
      len = strlen (words);
      for (int byte = 0; byte < 256; byte++)
        text[len++] = (char) byte;
      g_assert_cmpint (sm_tokenizer_get_kind (ta), ==, SM_TOKENIZER_BYTES);
      g_assert_cmpint (sm_tokenizer_get_kind (tb), ==, SM_TOKENIZER_GPT2);
      g_assert_cmpstr (sm_tokenizer_get_pre (tb), ==, "gpt-2");
      g_assert_true (sm_tokenizer_encode (ta, text, len, FALSE, ia, &error));
      g_assert_true (sm_tokenizer_encode (tb, text, len, FALSE, ib, &error));
      g_assert_cmpuint (ia->len, ==, len);
      g_assert_cmpmem (ia->data, ia->len * sizeof (gint32), ib->data, ib->len * sizeof (gint32));
      gsize dl = 0;
      g_autofree char *dec = sm_tokenizer_decode (tb, (const gint32 *) ib->data, ib->len, &dl);
      g_assert_cmpmem (dec, dl, text, len);
    }

    g_autoptr (SmSession) s1 = sm_session_new (m, NULL, 0, &error);
    g_autoptr (SmSession) s2 = sm_session_new (back, NULL, 0, &error);
    g_assert_true (sm_session_eval (s1, tokens, 6, &error));
    g_assert_true (sm_session_eval (s2, tokens, 6, &error));
    g_assert_cmpmem (sm_session_get_logits (s1), a->vocab_size * sizeof (float),
                     sm_session_get_logits (s2), b->vocab_size * sizeof (float));
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* An f32 copy of @q's weights as they are stored (each row through its type's to_f32), for
 * the reference to run on. */
static SmModel *
dequantized (SmModel *q)
{
  SmModel *d = sm_model_alloc (&q->config, NULL);
  g_autoptr (GPtrArray) qs = sm_model_tensor_slots (q);
  g_autoptr (GPtrArray) ds = sm_model_tensor_slots (d);

  for (guint i = 0; i < qs->len; i++)
    {
      SmTensorSlot *a = g_ptr_array_index (qs, i), *b = g_ptr_array_index (ds, i);
      const SmTensor *t = *a->slot;
      if (t == NULL)
        continue;
      SmTensor *f = sm_tensor_new (NULL, SM_DTYPE_F32, t->n_dims, t->shape);
      const gint64 rows = t->n_dims == 2 ? t->shape[0] : 1;
      const gint64 cols = t->n_dims == 2 ? t->shape[1] : t->shape[0];
      for (gint64 r = 0; r < rows; r++)
        sm_dtype_traits (t->dtype)->to_f32 ((const char *) t->data + r * (t->n_dims == 2 ? t->strides[0] : 0),
                                            sm_tensor_f32 (f) + r * cols, (gsize) cols);
      *b->slot = f;
    }
  if (d->config.tied_output)
    d->w.output = d->w.token_embd;
  d->tokenizer = sm_tokenizer_ref (q->tokenizer);
  sm_model_init_rope (d);
  return d;
}

/* Stored as Q8_0 and Q4_0 (every matrix whose rows allow it; sm_model_save_gguf): each
 * architecture's fused, biased and normed paths run on quantized weights, prefill and decode
 * agree, and the logits match the reference run on the weights as stored, up to what ggml's
 * per-block quantization of the activations (Q8_0) rounds. */
static void
test_quantized (gconstpointer data)
{
  const ArchCase *ac = data;
  g_autoptr (SmModel) m = make_model (ac);
  const SmModelConfig *c = sm_model_get_config (m);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-arch-q-XXXXXX", &error);
  const int n = ac->n_tokens ? ac->n_tokens : 20;
  g_autofree gint32 *tokens = g_new (gint32, n);
  const SmDType types[] = { SM_DTYPE_Q8_0, SM_DTYPE_Q4_0 };

  for (int i = 0; i < n; i++)
    tokens[i] = (gint32) ((i * 37 + 11) % c->vocab_size);

  for (gsize t = 0; t < G_N_ELEMENTS (types); t++)
    {
      g_autofree char *path = g_build_filename (dir, "q.gguf", NULL);
      g_assert_true (sm_model_save_gguf (m, path, types[t], &error));
      g_assert_no_error (error);
      g_autoptr (SmModel) q = sm_model_load (path, NULL, &error);
      g_assert_no_error (error);
      g_autofree char *desc = sm_model_describe_types (q);
      g_assert_nonnull (strstr (desc, sm_dtype_name (types[t])));
      g_autoptr (SmModel) dq_model = dequantized (q);
      g_autofree double *ref = sm_test_ref_forward (dq_model, tokens, n);
      double spread = 0;
      for (int i = 0; i < c->vocab_size; i++)
        spread = MAX (spread, fabs (ref[i] - ref[0]));
      for (SmKernelLevel level = SM_KERNEL_LEVEL_SCALAR; level <= SM_KERNEL_LEVEL_AVX512_VNNI; level++)
        {
          if (!sm_kernels_level_supported (level, NULL))
            continue;
          g_assert_true (sm_kernels_set_level (level, &error));
          g_autoptr (SmSession) sp = sm_session_new (q, NULL, 0, &error);
          g_autoptr (SmSession) sd = sm_session_new (q, NULL, 0, &error);
          g_assert_true (sm_session_eval (sp, tokens, n, &error));
          for (int i = 0; i < n; i++)
            g_assert_true (sm_session_eval (sd, &tokens[i], 1, &error));
          double dpd = 0, dq = 0;
          for (int i = 0; i < c->vocab_size; i++)
            {
              dpd = MAX (dpd, fabs (sm_session_get_logits (sp)[i] - sm_session_get_logits (sd)[i]));
              dq = MAX (dq, fabs (sm_session_get_logits (sp)[i] - ref[i]));
            }
          /* prefill quantizes activations per block as decode does (the int8 GEMM at the VNNI
           * levels rounds its float steps otherwise): the two agree to rounding */
          g_assert_cmpfloat (dpd, <, 2e-3 * spread);
          if (level == SM_KERNEL_LEVEL_SCALAR)
            g_test_message ("%s %s: |logits - reference on the stored weights| %.3g of the "
                            "spread, |prefill - decode| %.3g", ac->name,
                            sm_dtype_name (types[t]), dq / spread, dpd / spread);
          /* Gemma 2's post-norms scale every block's output up to unit size, so the rounding
           * of the block's int8 activations reaches the residual stream whole, where in the
           * others a block adds a small correction (random weights of 0.02) and its rounding
           * with it: measured 0.041 of the spread against 0.002-0.008 */
          g_assert_cmpfloat (dq, <, (sm_arch_info (c->arch)->post_norms ? 0.1 : 0.02) * spread);
        }
      g_unlink (path);
    }
  sm_kernels_set_level (SM_KERNEL_LEVEL_AUTO, NULL);
  g_rmdir (dir);
}

/* A context that fills: generation makes room (context shift) and goes on. */
static void
test_context_shift (gconstpointer data)
{
  const ArchCase *ac = data;
  g_autoptr (SmModel) m = make_model (ac);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmSession) s = sm_session_new (m, NULL, 0, &error);
  SmGenerateParams params;
  SmGenerateStats stats;
  const int ctx = sm_model_get_config (m)->context_length;

  sm_generate_params_init (&params);
  params.sampling.temperature = 0;
  params.max_tokens = 2 * ctx + 5;
  params.context_shift = TRUE;
  g_assert_true (sm_generate (s, "hello", &params, NULL, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stats.generated_tokens, ==, 2 * ctx + 5);
  g_assert_cmpint (stats.context_shifts, >=, 2);
}

/* A sliding window's ring: less memory than the whole context, and going back only where the
 * ring still holds what the position needs. */
static void
test_ring (gconstpointer data)
{
  const ArchCase *ac = data;
  g_autoptr (SmModel) m = make_model (ac);
  const SmModelConfig *c = sm_model_get_config (m);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmSession) s = sm_session_new (m, NULL, 0, &error);
  const int n = ac->n_tokens;
  g_autofree gint32 *tokens = g_new (gint32, n);
  SmModelConfig full = *c;

  full.sliding_window = 0;
  g_assert_cmpuint (sm_session_get_kv_bytes (s), <, sm_kv_type_cache_bytes (&full, c->context_length, SM_KV_TYPE_F32));
  g_assert_cmpuint (sm_session_get_kv_bytes (s), ==, sm_kv_type_cache_bytes (c, c->context_length, SM_KV_TYPE_F32));
  for (int i = 0; i < n; i++)
    tokens[i] = (gint32) ((i * 37 + 11) % c->vocab_size);
  g_assert_true (sm_session_eval (s, tokens, n, &error));
  /* the ring holds what position n - 10 reads back */
  g_assert_cmpint (sm_session_rewind (s, n - 10), ==, n - 10);
  g_assert_true (sm_session_eval (s, tokens + n - 10, 10, &error));
  {
    g_autofree double *ref = sm_test_ref_forward (m, tokens, n);
    g_assert_cmpfloat (max_abs_diff (sm_session_get_logits (s), ref, c->vocab_size), <, 1e-4);
  }
  /* an f16 ring: decode one at a time against prefill in chunks, both through the rounded
   * halves, so they agree far closer than either does with the f32 reference */
  {
    g_autoptr (SmSession) p16 = sm_session_new_full (m, NULL, 0, SM_KV_TYPE_F16, &error);
    g_autoptr (SmSession) d16 = sm_session_new_full (m, NULL, 0, SM_KV_TYPE_F16, &error);
    g_autofree double *ref = sm_test_ref_forward (m, tokens, n);
    g_assert_true (sm_session_eval (p16, tokens, n, &error));
    for (int i = 0; i < n; i++)
      g_assert_true (sm_session_eval (d16, &tokens[i], 1, &error));
    double worst = 0;
    for (int i = 0; i < c->vocab_size; i++)
      worst = MAX (worst, fabs (sm_session_get_logits (p16)[i] - sm_session_get_logits (d16)[i]));
    g_assert_cmpfloat (worst, <, 1e-5);
    g_assert_cmpfloat (max_abs_diff (sm_session_get_logits (p16), ref, c->vocab_size), <, 1e-2);
  }
  /* but not what position 50 reads: the session starts again from 0 */
  g_assert_cmpint (sm_session_rewind (s, 50), ==, 0);
  g_assert_true (sm_session_eval (s, tokens, 50, &error));
  {
    g_autofree double *ref = sm_test_ref_forward (m, tokens, 50);
    g_assert_cmpfloat (max_abs_diff (sm_session_get_logits (s), ref, c->vocab_size), <, 1e-4);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *p1 = g_strdup_printf ("/arch/reference/%s", cases[i].name);
      g_autofree char *p2 = g_strdup_printf ("/arch/gguf-round-trip/%s", cases[i].name);
      g_test_add_data_func (p1, &cases[i], test_reference);
      g_test_add_data_func (p2, &cases[i], test_gguf_round_trip);
      g_autofree char *p4 = g_strdup_printf ("/arch/quantized/%s", cases[i].name);
      g_test_add_data_func (p4, &cases[i], test_quantized);
      if (!cases[i].context)
        {
          g_autofree char *p5 = g_strdup_printf ("/arch/context-shift/%s", cases[i].name);
          g_test_add_data_func (p5, &cases[i], test_context_shift);
        }
      if (cases[i].context)
        {
          g_autofree char *p3 = g_strdup_printf ("/arch/ring/%s", cases[i].name);
          g_test_add_data_func (p3, &cases[i], test_ring);
        }
    }
  return g_test_run ();
}
