/* test-model.c: the forward pass against a naive double-precision reference written here, at
 * every kernel level and with the pool on and off; prefill (GEMM) against decode (GEMV);
 * context limits; and the real stories260K checkpoints against llama2.c's and llama.cpp's
 * greedy outputs. */
#include <math.h>
#include <string.h>

#include "sm-fp-mode.h"
#include "sm-generate.h"
#include "sm-model-private.h"
#include "sm-session-private.h"
#include "sm-test-reference.h"
#include "sm-test-util.h"
#include "sm-threads.h"

static double
max_abs_diff (const float *a, const double *b, int n)
{
  double worst = 0;
  for (int i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double) a[i] - b[i]));
  return worst;
}

/* ---- presets against the reference ----------------------------------------------------------- */

static void
check_preset (SmPreset preset)
{
  g_autoptr (SmModel) m = sm_model_new_preset (preset, 7);
  const SmModelConfig *c = sm_model_get_config (m);
  const int n = MIN (c->context_length, 24);
  g_autofree gint32 *tokens = g_new (gint32, n);
  g_autofree double *ref = NULL;
  GRand *rand = g_rand_new_with_seed (99);
  gint32 greedy_first = -1;

  for (int i = 0; i < n; i++)
    tokens[i] = g_rand_int_range (rand, 0, c->vocab_size);
  g_rand_free (rand);
  ref = sm_test_ref_forward (m, tokens, n);

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

          /* prefill in one batch (GEMM) */
          g_autoptr (SmSession) s = sm_session_new (m, NULL, 0, &error);
          g_assert_no_error (error);
          g_assert_true (sm_session_eval (s, tokens, n, &error));
          g_assert_no_error (error);
          double d1 = max_abs_diff (sm_session_get_logits (s), ref, c->vocab_size);

          /* the same tokens one at a time (GEMV) */
          g_autoptr (SmSession) s2 = sm_session_new (m, NULL, 0, &error);
          for (int i = 0; i < n; i++)
            g_assert_true (sm_session_eval (s2, &tokens[i], 1, &error));
          double d2 = max_abs_diff (sm_session_get_logits (s2), ref, c->vocab_size);

          /* both again on the unpacked weights (the path of models over the packing limit) */
          g_autoptr (SmSession) s3 = sm_session_new (m, NULL, 0, &error);
          g_autoptr (SmSession) s4 = sm_session_new (m, NULL, 0, &error);
          sm_session_drop_packed (s3);
          sm_session_drop_packed (s4);
          g_assert_true (sm_session_eval (s3, tokens, n, &error));
          for (int i = 0; i < n; i++)
            g_assert_true (sm_session_eval (s4, &tokens[i], 1, &error));
          double d3 = max_abs_diff (sm_session_get_logits (s3), ref, c->vocab_size);
          double d4 = max_abs_diff (sm_session_get_logits (s4), ref, c->vocab_size);

          g_test_message ("%s %s pool %s, %d threads: |prefill - ref| %.2e, |decode - ref| %.2e, "
                          "unpacked %.2e, %.2e", sm_preset_name (preset),
                          sm_kernel_level_to_string (level), pool_on ? "on" : "off", threads,
                          d1, d2, d3, d4);
          g_assert_cmpfloat (d1, <, 1e-4);
          g_assert_cmpfloat (d2, <, 1e-4);
          g_assert_cmpfloat (d3, <, 1e-4);
          g_assert_cmpfloat (d4, <, 1e-4);

          /* greedy decisions agree across levels */
          gint32 best = (gint32) sm_kernels ()->argmax (sm_session_get_logits (s), c->vocab_size);
          if (greedy_first < 0)
            greedy_first = best;
          g_assert_cmpint (best, ==, greedy_first);
        }

  sm_kernels_set_level (SM_KERNEL_LEVEL_AUTO, NULL);
  sm_pool_set_enabled (sm_pool_default (), TRUE);
  sm_threads_set_count (1);
}

static void
test_small_reference (void)
{
  check_preset (SM_PRESET_SMALL);
}

static void
test_medium_reference (void)
{
  check_preset (SM_PRESET_MEDIUM);
}

static void
test_preset_params (void)
{
  g_autoptr (SmModel) small = sm_model_new_preset (SM_PRESET_SMALL, 1);
  g_autoptr (SmModel) medium = sm_model_new_preset (SM_PRESET_MEDIUM, 1);

  g_assert_cmpuint (sm_model_n_params (small), ==, 470528);
  g_assert_cmpuint (sm_model_n_params (medium), ==, 3454464);
}

static void
test_context_limits (void)
{
  g_autoptr (SmModel) m = sm_model_new_preset (SM_PRESET_SMALL, 1);
  g_autoptr (SmSession) s = sm_session_new (m, NULL, 0, NULL);
  g_autoptr (GError) error = NULL;
  gint32 tokens[65] = { 0 };
  gint32 bad = 256;

  g_assert_false (sm_session_eval (s, tokens, 65, &error));
  g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL);
  g_assert_cmpint (sm_session_get_pos (s), ==, 0);
  g_clear_error (&error);

  g_assert_false (sm_session_eval (s, &bad, 1, &error));
  g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID);
  g_clear_error (&error);

  {
    /* the pass flushes subnormals (sm-fp-mode.h) and gives the caller its own mode back */
    SmFpMode mode = sm_fp_mode_get ();
    g_assert_true (sm_session_eval (s, tokens, 64, &error));
    g_assert_cmpuint (sm_fp_mode_get (), ==, mode);
  }
  g_assert_false (sm_session_eval (s, tokens, 1, &error));
  g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL);
  g_clear_error (&error);

  /* a prompt longer than the context is refused by generate with a message that says so */
  {
    g_autofree char *prompt = g_strnfill (100, 'a');
    SmGenerateParams params;
    SmGenerateStats stats;
    g_autoptr (SmSession) s2 = sm_session_new (m, NULL, 0, NULL);

    sm_generate_params_init (&params);
    g_assert_false (sm_generate (s2, prompt, &params, NULL, NULL, &stats, &error));
    g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL);
    g_assert_nonnull (strstr (error->message, "100 tokens"));
  }
}

/* ---- damaged weights and bad settings ----------------------------------------------------------- */

/* A NaN in the weights reaches the logits: generate stops with an error that says so (greedy
 * or sampled; sampling used to crash on the NaN), and out-of-range sampling settings are
 * refused before any work. */
static void
test_non_finite_logits (void)
{
  g_autoptr (SmModel) m = sm_model_new_preset (SM_PRESET_SMALL, 11);
  const SmModelConfig *c = sm_model_get_config (m);

  /* one weight of the output row of token 5: its logit is NaN at every position */
  sm_tensor_f32 (m->w.output)[(gsize) 5 * c->dim + 3] = NAN;
  for (int sampled = 0; sampled < 2; sampled++)
    {
      g_autoptr (SmSession) s = sm_session_new (m, NULL, 0, NULL);
      g_autoptr (GError) error = NULL;
      SmGenerateParams params;
      SmGenerateStats stats;

      sm_generate_params_init (&params);
      params.sampling.temperature = sampled ? 0.8f : 0.0f;
      g_assert_false (sm_generate (s, "Once", &params, NULL, NULL, &stats, &error));
      g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "NaN"));
      g_assert_nonnull (strstr (error->message, "1 of its 256 logits"));
    }
  {
    g_autoptr (SmSession) s = sm_session_new (m, NULL, 0, NULL);
    g_autoptr (GError) error = NULL;
    SmGenerateParams params;
    SmGenerateStats stats;

    sm_generate_params_init (&params);
    params.sampling.top_p = 0.0f;
    g_assert_false (sm_generate (s, "Once", &params, NULL, NULL, &stats, &error));
    g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
    g_assert_cmpint (sm_session_get_pos (s), ==, 0);   /* refused before the prompt ran */
  }
}

/* ---- context shift -------------------------------------------------------------------------------- */

typedef struct {
  GString *out;
} Collect;

static void
collect_text (const char *text, gsize len, gpointer user)
{
  g_string_append_len (((Collect *) user)->out, text, len);
}

/* Greedy generation of @n_new tokens with context_shift in a session of @n_ctx_want positions
 * (0: the model's), then checks the window it ended with: every token sampled after the last
 * shift is what a fresh session, fed the window up to it, predicts (the token sampled just
 * before the shift came from the full context, so it is not checked).  Returns the window
 * (free with g_free); @text receives what was generated. */
static gint32 *
check_context_shift (SmModel *m, int n_ctx_want, const char *prompt, int n_new, int *n_window,
                     GString *text)
{
  g_autoptr (SmSession) s = sm_session_new (m, NULL, n_ctx_want, NULL);
  g_autoptr (SmSession) fresh = sm_session_new (m, NULL, n_ctx_want, NULL);
  g_autoptr (GError) error = NULL;
  const int n_ctx = sm_session_get_n_ctx (s), vocab = sm_model_get_config (m)->vocab_size;
  SmGenerateParams params;
  SmGenerateStats stats;
  Collect c = { text };
  SmGenerateCallbacks cb = { .text = collect_text, .user = &c };
  const gint32 *held;
  gint32 *window;
  int n, checked = 0;

  sm_generate_params_init (&params);
  params.sampling.temperature = 0;
  params.max_tokens = n_new;
  params.context_shift = TRUE;
  g_assert_true (sm_generate (s, prompt, &params, &cb, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stats.stop_reason, ==, SM_STOP_MAX_TOKENS);
  g_assert_cmpint (stats.generated_tokens, ==, n_new);
  g_assert_cmpint (stats.context_shifts, >=, 2);
  g_assert_cmpint (stats.context_used, <=, n_ctx);

  held = sm_session_get_tokens (s, &n);
  window = g_memdup2 (held, n * sizeof (gint32));
  /* the last shift kept n_ctx / 2 tokens; at least one more was sampled from them */
  g_assert_cmpint (n, >, n_ctx / 2 + 1);
  for (int j = 0; j < n; j++)
    {
      if (j > n_ctx / 2)
        {
          gint32 want = (gint32) sm_kernels ()->argmax (sm_session_get_logits (fresh), vocab);
          g_assert_cmpint (window[j], ==, want);
          checked++;
        }
      g_assert_true (sm_session_eval (fresh, &window[j], 1, &error));
    }
  g_test_message ("context shift: %d shifts, %d tokens after the last checked", stats.context_shifts, checked);
  *n_window = n;
  return window;
}

static void
test_context_shift (void)
{
  g_autofree char *gguf = sm_test_shared_model ("stories260K.gguf");
  g_autoptr (GError) error = NULL;
  const char *prompt = "Once upon a time";

  /* Small (the shipped checkpoint: plain ASCII text): 64 positions, one token a byte, no BOS,
   * so the window must be the newest bytes of prompt + reply, the last one sampled but not
   * yet evaluated */
  {
    g_autoptr (SmModel) small = sm_model_load_builtin (SM_PRESET_SMALL, 3, &error);
    g_autoptr (GString) text = g_string_new (prompt);
    g_autofree gint32 *w = NULL;
    int n;

    g_assert_no_error (error);
    w = check_context_shift (small, 0, prompt, 200, &n, text);
    g_assert_cmpuint (text->len, ==, strlen (prompt) + 200);
    for (int j = 0; j < n; j++)
      g_assert_cmpint (w[j], ==, (guint8) text->str[text->len - 1 - n + j]);
  }

  /* a LLaMA model keeps the BOS that opened its context (a 96-position session of it) */
  if (gguf == NULL)
    return;
  {
    g_autoptr (SmModel) stories = sm_model_load (gguf, NULL, &error);
    g_autoptr (GString) text = g_string_new (NULL);
    g_autofree gint32 *w = NULL;
    int n;

    g_assert_no_error (error);
    w = check_context_shift (stories, 96, prompt, 300, &n, text);
    g_assert_cmpint (w[0], ==, sm_tokenizer_bos (sm_model_get_tokenizer (stories)));
  }
}

/* ---- real checkpoints -------------------------------------------------------------------------- */

/* Greedy continuation of "Once upon a time" up to @total positions (prompt included), as
 * llama2.c's `run -t 0 -n 256` counts them, or @n_new new tokens as llama.cpp's -n does. */
static char *
greedy_story (SmModel *m, int total, int n_new)
{
  g_autoptr (SmSession) s = sm_session_new (m, NULL, 0, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  SmGenerateParams params;
  SmGenerateStats stats;
  Collect c = { g_string_new (NULL) };
  SmGenerateCallbacks cb = { .text = collect_text, .user = &c };

  g_assert_true (sm_tokenizer_encode (sm_model_get_tokenizer (m), "Once upon a time", -1, TRUE, ids, &error));
  sm_generate_params_init (&params);
  params.sampling.temperature = 0;
  params.max_tokens = n_new > 0 ? n_new : total - (int) ids->len + 1;
  g_assert_true (sm_generate (s, "Once upon a time", &params, &cb, NULL, &stats, &error));
  g_assert_no_error (error);
  return g_string_free (c.out, FALSE);
}

static void
test_stories_llama2c (void)
{
  g_autofree char *bin = sm_test_shared_model ("stories260K.bin");
  g_autofree char *tok = bin ? sm_test_shared_model ("tok512.bin") : NULL;
  g_autofree char *ref_path = tok ? sm_test_shared_model ("reference/llama2c_stories260K_greedy_n256.txt") : NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;

  if (ref_path == NULL)
    return;
  g_assert_true (g_file_get_contents (ref_path, &expected, NULL, &error));

  for (SmKernelLevel level = SM_KERNEL_LEVEL_SCALAR; level <= SM_KERNEL_LEVEL_AVX512_VNNI; level++)
    {
      if (!sm_kernels_level_supported (level, NULL))
        continue;
      sm_kernels_set_level (level, NULL);
      g_autoptr (SmModel) m = sm_model_load (bin, tok, &error);
      g_assert_no_error (error);
      g_autofree char *story = greedy_story (m, 256, 0);
      /* llama2.c prints the prompt, the continuation, then a newline */
      g_autofree char *got = g_strconcat ("Once upon a time", story, "\n", NULL);
      g_test_message ("llama2.c checkpoint at %s", sm_kernel_level_to_string (level));
      g_assert_cmpstr (got, ==, expected);
    }
  sm_kernels_set_level (SM_KERNEL_LEVEL_AUTO, NULL);
}

static void
test_stories_gguf (void)
{
  g_autofree char *gguf = sm_test_shared_model ("stories260K.gguf");
  g_autofree char *ref_path = gguf ? sm_test_shared_model ("reference/llamacpp-cli_stories260K_greedy_n256.txt") : NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;

  if (ref_path == NULL)
    return;
  g_assert_true (g_file_get_contents (ref_path, &expected, NULL, &error));

  for (SmKernelLevel level = SM_KERNEL_LEVEL_SCALAR; level <= SM_KERNEL_LEVEL_AVX512_VNNI; level++)
    {
      if (!sm_kernels_level_supported (level, NULL))
        continue;
      sm_kernels_set_level (level, NULL);
      g_autoptr (SmModel) m = sm_model_load (gguf, NULL, &error);
      g_assert_no_error (error);
      g_autofree char *story = greedy_story (m, 0, 256);
      /* llama-cli echoes the prompt with its SentencePiece leading space, and after the 256
       * tokens prints a newline of its own, then the file's final newline */
      g_autofree char *got = g_strconcat (" Once upon a time", story, "\n\n", NULL);
      g_test_message ("GGUF at %s", sm_kernel_level_to_string (level));
      g_assert_cmpstr (got, ==, expected);
    }
  sm_kernels_set_level (SM_KERNEL_LEVEL_AUTO, NULL);
}

/* The LLaMA forward against the double reference on the real weights. */
static void
test_stories_reference (void)
{
  g_autofree char *gguf = sm_test_shared_model ("stories260K.gguf");
  g_autoptr (GError) error = NULL;
  gint32 tokens[40];

  if (gguf == NULL)
    return;
  g_autoptr (SmModel) m = sm_model_load (gguf, NULL, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 40; i++)
    tokens[i] = (i * 37 + 11) % 512;
  g_autofree double *ref = sm_test_ref_forward (m, tokens, 40);

  for (SmKernelLevel level = SM_KERNEL_LEVEL_SCALAR; level <= SM_KERNEL_LEVEL_AVX512_VNNI; level++)
    {
      if (!sm_kernels_level_supported (level, NULL))
        continue;
      sm_kernels_set_level (level, NULL);
      for (int packed = 1; packed >= 0; packed--)
        {
          /* prefill, then 4 tokens decoded after it, on packed weights and on plain ones */
          g_autoptr (SmSession) s = sm_session_new (m, NULL, 0, NULL);
          if (!packed)
            sm_session_drop_packed (s);
          g_assert_true (sm_session_eval (s, tokens, 36, &error));
          for (int i = 36; i < 40; i++)
            g_assert_true (sm_session_eval (s, &tokens[i], 1, &error));
          double d = max_abs_diff (sm_session_get_logits (s), ref, 512);
          g_test_message ("stories260K %s, %s: |logits - ref| %.2e",
                          sm_kernel_level_to_string (level), packed ? "packed" : "unpacked", d);
          g_assert_cmpfloat (d, <, 1e-4);
        }
    }
  sm_kernels_set_level (SM_KERNEL_LEVEL_AUTO, NULL);
}

/* ---- the f16 KV cache ------------------------------------------------------------------------------ */

static float
f32_of_bits (guint32 u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

/* What sm_kv_cache_store () writes at every level, in the forward pass's flush mode, bit for
 * bit: each key and value rounded once to nearest even (sm_fp32_to_fp16, ggml's f32 -> f16
 * copy) at its transposed place, nothing else touched; and what the attention reads back widens
 * to exactly sm_fp16_to_fp32 at every level.  The f32 cache keeps the floats themselves.  Values: random, ties between two halves, subnormal
 * halves, past the largest half (inf), NaN. */
static void
test_kv_cache_f16_bits (void)
{
  SmModelConfig c = { .n_layers = 2, .n_kv_heads = 3, .head_dim = 5 };
  const int n_ctx = 37, kvd = 3 * 5, n = 9, p0 = 11, layer = 1;
  const gsize ld = kvd + 2;
  g_autoptr (GRand) rand = g_rand_new_with_seed (16);
  g_autofree float *k = g_new (float, n * ld), *v = g_new (float, n * ld);
  const float specials[] = {
    1.0f + 0x1p-11f,             /* halfway between 1 and the next half: even, 1 */
    1.0f + 3 * 0x1p-11f,         /* halfway, rounds up to even */
    0x1p-20f, -3.0f * 0x1p-25f,  /* subnormal halves, one a tie */
    65519.0f, 65520.0f, -1e6f,   /* the largest half, then inf */
    0.0f, -0.0f,
  };
  const float nan = f32_of_bits (0x7fc00001u);

  for (gsize i = 0; i < n * ld; i++)
    {
      k[i] = (float) g_rand_double_range (rand, -4.0, 4.0);
      v[i] = (float) g_rand_double_range (rand, -1e-3, 1e-3);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (specials); i++)
    {
      k[i * ld + i % kvd] = specials[i];
      v[(n - 1 - i) * ld + (i * 7) % kvd] = -specials[i];
    }
  k[3 * ld + 4] = nan;

  for (SmKernelLevel store_level = SM_KERNEL_LEVEL_SCALAR; store_level <= SM_KERNEL_LEVEL_AVX512_VNNI; store_level++)
  for (SmKvType type = SM_KV_TYPE_F32; type < SM_KV_N_TYPES; type++)
    {
      const SmKernels *st = sm_kernels_for_level (store_level);
      if (st == NULL)
        continue;
      SmKvCache *kv = sm_kv_cache_new (sm_pool_default (), &c, n_ctx, type);
      g_assert_cmpint (kv->type, ==, type);
      g_assert_cmpuint (sm_kv_cache_bytes (kv), ==, sm_kv_type_cache_bytes (&c, n_ctx, type));
      SmFpMode saved = sm_fp_flush_begin ();
      for (int g = 0; g < c.n_kv_heads; g++)
        sm_kv_cache_store (kv, st, layer, g, p0, n, k, v, ld);
      sm_fp_flush_end (saved);
      for (int l = 0; l < c.n_layers; l++)
        for (int g = 0; g < c.n_kv_heads; g++)
          for (int d = 0; d < c.head_dim; d++)
            for (int p = 0; p < kv->stride[l]; p++)
              for (int which = 0; which < 2; which++)
                {
                  const float *src = which ? v : k;
                  const char *head = sm_kv_cache_head (kv, which ? kv->v : kv->k, l, g);
                  gboolean written = l == layer && p >= p0 && p < p0 + n;
                  float x = written ? src[(p - p0) * ld + g * c.head_dim + d] : 0.0f;
                  if (type == SM_KV_TYPE_F32)
                    {
                      float got;
                      memcpy (&got, head + ((gsize) d * kv->stride[l] + p) * sizeof (float), sizeof got);
                      g_assert_cmpmem (&got, sizeof got, &x, sizeof x);
                      continue;
                    }
                  uint16_t got, want = sm_fp32_to_fp16 (x);
                  memcpy (&got, head + ((gsize) d * kv->stride[l] + p) * sizeof (uint16_t), sizeof got);
                  if (got != want)
                    g_error ("%s: layer %d head %d dim %d pos %d (%s): 0x%04x, want 0x%04x for %a",
                             st->name, l, g, d, p, which ? "v" : "k", got, want, x);
                }
      if (type == SM_KV_TYPE_F16)
        {
          /* the cases above really are what they say */
          g_assert_cmphex (sm_fp32_to_fp16 (1.0f + 0x1p-11f), ==, 0x3c00);
          g_assert_cmphex (sm_fp32_to_fp16 (1.0f + 3 * 0x1p-11f), ==, 0x3c02);
          g_assert_cmphex (sm_fp32_to_fp16 (65520.0f), ==, 0x7c00);
          /* read back: every level widens the stored halves to the same floats */
          const gsize row = (gsize) kv->stride[layer];
          const uint16_t *Kh = sm_kv_cache_head (kv, kv->k, layer, 0);
          g_autofree float *want = g_new (float, row), *got = g_new (float, row);
          for (gsize p = 0; p < row; p++)
            want[p] = sm_fp16_to_fp32 (Kh[p]);
          for (SmKernelLevel level = SM_KERNEL_LEVEL_SCALAR; level <= SM_KERNEL_LEVEL_AVX512_VNNI; level++)
            {
              const SmKernels *kt = sm_kernels_for_level (level);
              if (kt == NULL)
                continue;
              kt->f16_to_f32 (got, Kh, row);
              for (gsize p = 0; p < row; p++)
                g_assert_true (memcmp (&got[p], &want[p], sizeof (float)) == 0
                               || (isnan (got[p]) && isnan (want[p])));
            }
          /* the f16 cache is half the f32 one, padding and all */
          g_assert_cmpuint (2 * sm_kv_cache_bytes (kv), ==,
                            sm_kv_type_cache_bytes (&c, n_ctx, SM_KV_TYPE_F32));
        }
      sm_kv_cache_free (kv, sm_pool_default ());
    }
}

/* Over an f16 cache prefill (the halves widened, f32 GEMMs) and decode (gemv_t_f16, gemv_f16)
 * read the same rounded keys and values: a prompt evaluated at once and token by token gives
 * the same logits, at every level, for GPT (the presets) and LLaMA with grouped-query
 * attention (stories260K: 8 query heads over 4 key/value heads); and both stay near the f32
 * cache's. */
static void
test_kv_cache_f16_paths (void)
{
  g_autofree char *gguf = sm_test_shared_model ("stories260K.gguf");
  g_autoptr (GPtrArray) models = g_ptr_array_new_with_free_func ((GDestroyNotify) sm_model_unref);

  g_ptr_array_add (models, sm_model_new_preset (SM_PRESET_SMALL, 3));
  g_ptr_array_add (models, sm_model_new_preset (SM_PRESET_MEDIUM, 3));
  if (gguf != NULL)
    g_ptr_array_add (models, sm_model_load (gguf, NULL, NULL));
  for (guint mi = 0; mi < models->len; mi++)
    {
      SmModel *m = models->pdata[mi];
      const SmModelConfig *c = sm_model_get_config (m);
      gint32 tokens[40];

      g_assert_nonnull (m);
      for (int i = 0; i < 40; i++)
        tokens[i] = (i * 31 + 7) % c->vocab_size;
      for (SmKernelLevel level = SM_KERNEL_LEVEL_SCALAR; level <= SM_KERNEL_LEVEL_AVX512_VNNI; level++)
        {
          if (!sm_kernels_level_supported (level, NULL))
            continue;
          sm_kernels_set_level (level, NULL);
          g_autoptr (SmSession) batch = sm_session_new_full (m, NULL, 0, SM_KV_TYPE_F16, NULL);
          g_autoptr (SmSession) steps = sm_session_new_full (m, NULL, 0, SM_KV_TYPE_F16, NULL);
          g_autoptr (SmSession) f32 = sm_session_new (m, NULL, 0, NULL);
          g_autoptr (SmSession) f32_steps = sm_session_new (m, NULL, 0, NULL);
          g_assert_cmpint (sm_session_get_kv_type (batch), ==, SM_KV_TYPE_F16);
          g_assert_cmpint (sm_session_get_kv_type (f32), ==, SM_KV_TYPE_F32);
          g_assert_cmpuint (2 * sm_session_get_kv_bytes (batch), ==, sm_session_get_kv_bytes (f32));
          /* a prompt in two chunks, so prefill also reads positions an earlier chunk stored */
          g_assert_true (sm_session_eval (batch, tokens, 25, NULL));
          g_assert_true (sm_session_eval (batch, tokens + 25, 15, NULL));
          g_assert_true (sm_session_eval (f32, tokens, 40, NULL));
          for (int i = 0; i < 40; i++)
            {
              g_assert_true (sm_session_eval (steps, &tokens[i], 1, NULL));
              g_assert_true (sm_session_eval (f32_steps, &tokens[i], 1, NULL));
            }
          /* how far GEMMs and GEMVs part over the f32 cache, for the message: over f16 they
           * part further, since a key or value the two compute an ulp apart may round to
           * halves 2⁻¹¹ apart; a path reading a wrong position or half parts by far more */
          double d_f32_paths = sm_test_max_rel_err (sm_session_get_logits (f32),
                                                    sm_session_get_logits (f32_steps), c->vocab_size);
          double d_paths = sm_test_max_rel_err (sm_session_get_logits (batch),
                                                sm_session_get_logits (steps), c->vocab_size);
          double d_f32 = sm_test_max_rel_err (sm_session_get_logits (batch),
                                              sm_session_get_logits (f32), c->vocab_size);
          g_test_message ("%s %s: prefill vs decode %.2e over f16 (%.2e over f32), f16 vs f32 "
                          "cache %.2e", sm_model_get_name (m), sm_kernel_level_to_string (level),
                          d_paths, d_f32_paths, d_f32);
          g_assert_cmpfloat (d_paths, <, 5e-4);
          g_assert_cmpfloat (d_f32, <, 1e-2);
        }
    }
  sm_kernels_set_level (SM_KERNEL_LEVEL_AUTO, NULL);
}

/* Greedy ids from @prompt (with BOS) for @n_new tokens, by argmax over the logits. */
static GArray *
greedy_ids (SmModel *m, SmKvType kv_type, const char *prompt, int n_new)
{
  g_autoptr (SmSession) s = sm_session_new_full (m, NULL, 0, kv_type, NULL);
  g_autoptr (GError) error = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  const int vocab = sm_model_get_config (m)->vocab_size;

  g_assert_true (sm_tokenizer_encode (sm_model_get_tokenizer (m), prompt, -1, TRUE, ids, &error));
  g_assert_true (sm_session_eval (s, (const gint32 *) ids->data, ids->len, &error));
  g_array_set_size (ids, 0);
  for (int i = 0; i < n_new; i++)
    {
      gint32 next = (gint32) sm_kernels ()->argmax (sm_session_get_logits (s), (gsize) vocab);
      g_array_append_val (ids, next);
      if (i + 1 < n_new)
        g_assert_true (sm_session_eval (s, &next, 1, &error));
    }
  return ids;
}

/* Greedy stories260K with the f16 cache against the f32 one, on both references' runs (the
 * llama2.c checkpoint's 252 new tokens, the GGUF's 256): the tokens agree from the first on
 * for at least as long as was measured when the f16 cache came (all of them at every level,
 * on an AVX-512 machine); the message says how long here. */
#define KV_F16_AGREE_BIN  252
#define KV_F16_AGREE_GGUF 256
static void
test_stories_kv_f16 (void)
{
  g_autofree char *bin = sm_test_shared_model ("stories260K.bin");
  g_autofree char *tok = bin ? sm_test_shared_model ("tok512.bin") : NULL;
  g_autofree char *gguf = tok ? sm_test_shared_model ("stories260K.gguf") : NULL;
  g_autoptr (GError) error = NULL;

  if (gguf == NULL)
    return;
  for (int file = 0; file < 2; file++)
    {
      g_autoptr (SmModel) m = file == 0 ? sm_model_load (bin, tok, &error) : sm_model_load (gguf, NULL, &error);
      const int n_new = file == 0 ? 252 : 256, want = file == 0 ? KV_F16_AGREE_BIN : KV_F16_AGREE_GGUF;
      g_assert_no_error (error);
      for (SmKernelLevel level = SM_KERNEL_LEVEL_SCALAR; level <= SM_KERNEL_LEVEL_AVX512_VNNI; level++)
        {
          if (!sm_kernels_level_supported (level, NULL))
            continue;
          sm_kernels_set_level (level, NULL);
          g_autoptr (GArray) a = greedy_ids (m, SM_KV_TYPE_F32, "Once upon a time", n_new);
          g_autoptr (GArray) b = greedy_ids (m, SM_KV_TYPE_F16, "Once upon a time", n_new);
          int agree = 0;
          while (agree < n_new && g_array_index (a, gint32, agree) == g_array_index (b, gint32, agree))
            agree++;
          g_test_message ("stories260K %s at %s: f16 and f32 caches agree for %d of %d greedy tokens",
                          file == 0 ? "llama2.c" : "GGUF", sm_kernel_level_to_string (level), agree, n_new);
          g_assert_cmpint (agree, >=, want);
        }
    }
  sm_kernels_set_level (SM_KERNEL_LEVEL_AUTO, NULL);
}

/* With the pool on, decoding makes no system allocation after the first token; off, it
 * allocates every token (the activations are rented per evaluation). */
static void
test_decode_allocations (void)
{
  g_autoptr (SmModel) m = sm_model_new_preset (SM_PRESET_SMALL, 5);
  SmPool *pool = sm_pool_default ();
  SmPoolStats before, after;
  gint32 tok = 65;

  for (int on = 1; on >= 0; on--)
    {
      sm_pool_set_enabled (pool, on);
      g_autoptr (SmSession) s = sm_session_new (m, NULL, 0, NULL);
      g_assert_true (sm_session_eval (s, &tok, 1, NULL));     /* the first token warms the lists */
      sm_pool_get_stats (pool, &before);
      for (int i = 0; i < 20; i++)
        g_assert_true (sm_session_eval (s, &tok, 1, NULL));
      sm_pool_get_stats (pool, &after);
      g_test_message ("pool %s: %" G_GUINT64_FORMAT " system allocations in 20 decoded tokens",
                      on ? "on" : "off", after.system_allocs - before.system_allocs);
      if (on)
        g_assert_cmpuint (after.system_allocs, ==, before.system_allocs);
      else
        g_assert_cmpuint (after.system_allocs - before.system_allocs, >=, 20);
    }
  sm_pool_set_enabled (pool, TRUE);
}

/* Stop strings end the text before them; text that only looked like their start comes out. */
static void
test_stop_strings (void)
{
  g_autofree char *gguf = sm_test_shared_model ("stories260K.gguf");
  g_autoptr (GError) error = NULL;
  const char *stop[] = { "Lily.", NULL };
  SmGenerateParams params;
  SmGenerateStats stats;
  Collect c = { g_string_new (NULL) };
  SmGenerateCallbacks cb = { .text = collect_text, .user = &c };

  if (gguf == NULL)
    return;
  g_autoptr (SmModel) m = sm_model_load (gguf, NULL, &error);
  g_autoptr (SmSession) s = sm_session_new (m, NULL, 0, NULL);
  sm_generate_params_init (&params);
  params.max_tokens = 100;
  params.stop = stop;
  g_assert_true (sm_generate (s, "Once upon a time", &params, &cb, NULL, &stats, &error));
  /* greedy: ", there was a little girl named Lily. She loved ..." */
  g_assert_cmpstr (c.out->str, ==, ", there was a little girl named ");
  g_assert_cmpint (stats.stop_reason, ==, SM_STOP_STOP_STRING);
  g_string_free (c.out, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Model/preset-params", test_preset_params);
  g_test_add_func ("/Model/small-reference", test_small_reference);
  g_test_add_func ("/Model/medium-reference", test_medium_reference);
  g_test_add_func ("/Model/context-limits", test_context_limits);
  g_test_add_func ("/Model/context-shift", test_context_shift);
  g_test_add_func ("/Model/stories260K-reference", test_stories_reference);
  g_test_add_func ("/Model/stories260K-llama2c-greedy", test_stories_llama2c);
  g_test_add_func ("/Model/stories260K-gguf-greedy", test_stories_gguf);
  g_test_add_func ("/Model/kv-cache-f16-bits", test_kv_cache_f16_bits);
  g_test_add_func ("/Model/kv-cache-f16-paths", test_kv_cache_f16_paths);
  g_test_add_func ("/Model/stories260K-kv-f16-greedy", test_stories_kv_f16);
  g_test_add_func ("/Model/decode-allocations", test_decode_allocations);
  g_test_add_func ("/Model/stop-strings", test_stop_strings);
  g_test_add_func ("/Model/non-finite-logits", test_non_finite_logits);
  return g_test_run ();
}
