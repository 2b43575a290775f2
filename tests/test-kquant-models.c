/* test-kquant-models.c: the K-quant and mixed-type GGUFs of ../shared/models/kquant, loaded and
 * run against llama.cpp's greedy outputs.
 *
 * Every file loads through the weight-type table, holds the types llama-quantize mixed into it,
 * and decodes greedily at every kernel level this CPU has.  The token ids are compared with
 * llama.cpp's (greedy-ids/NAME.kv-f32.pK.txt: the same prompt, an f32 KV cache as ours).  The
 * prompt's ids must agree exactly (the tokenizer); the generated ids agree only as far as the
 * two engines' float rounding does.  The weights are random, so the logits are nearly tied
 * everywhere, and a last-bit difference (ggml's SIMD dots sum in another order than ours, and
 * ggml quantizes Q8_0 activations with a multiply where we divide) flips the argmax sooner or
 * later; after the first flip the two continuations are unrelated.  So the test asserts the
 * first MATCHED[file][prompt] generated ids, the count measured when the kernels were written
 * (the smallest over the levels), and reports where each run parts.
 */
#include <math.h>
#include <string.h>

#include "sm-generate.h"
#include "sm-kernels.h"
#include "sm-model.h"
#include "sm-session.h"
#include "sm-test-util.h"
#include "sm-test-greedy.h"

#define N_GENERATE 128

typedef struct {
  const char *file;      /* in ../shared/models/kquant */
  const char *types;     /* sm_model_describe_types (): what llama-quantize put in it */
  int         matched[2];/* generated ids known to agree with llama.cpp's, per prompt */
  int         matched16[2];/* the same with an f16 KV cache, measured at avx512-vnni */
} KquantModel;

static const char *const prompts[2] = { "Once upon a time", "The little dog" };

/* matched: measured at the scalar, AVX2, AVX-512 and both VNNI levels (the least of them).
 * The VNNI levels prefill with the int8 GEMM, whose float steps differ from the dots' only
 * in rounding: q4_k_s p1 parts at 16 there (45 and more at the other levels), where the
 * teacher-forced comparison finds llama.cpp's pick at most 0.087 sd below ours. */
static const KquantModel models[] = {
  { "visible-q2_k.gguf",   "f32+q2_k+q3_k+q6_k",      { 12, 9 }, { 2, 36 } },
  { "visible-q3_k_m.gguf", "f32+q3_k+q4_k+q5_k+q6_k", { 6, 16 }, { 51, 17 } },
  { "visible-q4_0.gguf",   "f32+q4_0+q6_k",           { 7, 21 }, { 7, 8 } },
  { "visible-q4_k_m.gguf", "f32+q4_k+q6_k",           { 1, 4 }, { 9, 1 } },
  { "visible-q4_k_s.gguf", "f32+q4_k+q5_k+q6_k",      { 14, 16 }, { 14, 4 } },
  { "visible-q5_k_m.gguf", "f32+q5_k+q6_k",           { 6, 23 }, { 27, 4 } },
  { "visible-q6_k.gguf",   "f32+q6_k",                { 34, 14 }, { 53, 56 } },
};

typedef struct {
  const KquantModel *m;
  int                prompt;
} Case;

static SmModel *
load (const KquantModel *km)
{
  g_autofree char *rel = g_build_filename ("kquant", km->file, NULL);
  g_autofree char *path = sm_test_shared_model (rel);
  g_autoptr (GError) error = NULL;

  if (path == NULL)
    return NULL;
  SmModel *m = sm_model_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

static void
test_load (gconstpointer data)
{
  const KquantModel *km = data;
  g_autoptr (SmModel) m = load (km);
  if (m == NULL)
    return;

  g_autofree char *types = sm_model_describe_types (m);
  g_assert_cmpstr (types, ==, km->types);
  const SmModelConfig *c = sm_model_get_config (m);
  g_assert_cmpint (c->dim, ==, 256);
  g_assert_cmpint (c->n_layers, ==, 4);
  g_assert_cmpint (c->vocab_size, ==, 32000);
}

static void
test_greedy (gconstpointer data)
{
  const Case *cs = data;
  g_autoptr (SmModel) m = load (cs->m);
  if (m == NULL)
    return;

  g_autofree char *name = g_strndup (cs->m->file, strlen (cs->m->file) - strlen (".gguf"));
  g_autofree char *rel = g_strdup_printf ("kquant/greedy-ids/%s.kv-f32.p%d.txt", name,
                                          cs->prompt);
  g_autofree char *ref_path = sm_test_shared_model (rel);
  if (ref_path == NULL)
    return;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (ref_path, &text, NULL, &error));
  g_autoptr (GArray) want_prompt = sm_test_parse_ids (text, "prompt_ids:");
  g_autoptr (GArray) want_gen = sm_test_parse_ids (text, "generated_ids:");
  g_assert_cmpuint (want_gen->len, ==, N_GENERATE);

  const SmKernelLevel before = sm_kernels_get_level ();
  for (int level = SM_KERNEL_LEVEL_SCALAR; level <= SM_KERNEL_LEVEL_AVX512_VNNI; level++)
    {
      if (!sm_kernels_level_supported ((SmKernelLevel) level, NULL))
        continue;
      g_autoptr (GArray) got = sm_test_greedy_ids (m, prompts[cs->prompt], (SmKernelLevel) level, SM_KV_TYPE_F32, N_GENERATE);

      /* the tokenizer: exactly llama.cpp's ids */
      g_assert_cmpuint (got->len, >=, want_prompt->len);
      g_assert_cmpmem (got->data, want_prompt->len * sizeof (gint32), want_prompt->data,
                       want_prompt->len * sizeof (gint32));

      const gint32 *gen = &g_array_index (got, gint32, want_prompt->len);
      const guint n_gen = got->len - want_prompt->len;
      guint same = 0;
      while (same < MIN (n_gen, want_gen->len)
             && gen[same] == g_array_index (want_gen, gint32, same))
        same++;
      g_test_message ("%s p%d %s: first differing generated token %u of %u%s", name,
                      cs->prompt, sm_kernel_level_to_string ((SmKernelLevel) level), same,
                      want_gen->len, same == want_gen->len ? " (all agree)" : "");
      g_assert_cmpuint (same, >=, (guint) cs->m->matched[cs->prompt]);

    }
  g_assert_true (sm_kernels_set_level (before, NULL));

  /* The f16 KV cache (llama.cpp's default) against llama.cpp's run with one, at the level in
   * force: reported, and asserted only as far as the f32 comparison is (both caches round the
   * same products; the f16 one rounds keys and values once more, as llama.cpp's does). */
  {
    g_autofree char *rel16 = g_strdup_printf ("kquant/greedy-ids/%s.kv-f16.p%d.txt", name, cs->prompt);
    g_autofree char *path16 = sm_test_shared_model (rel16);
    g_autofree char *text16 = NULL;
    if (path16 != NULL && g_file_get_contents (path16, &text16, NULL, NULL))
      {
        g_autoptr (GArray) want16 = sm_test_parse_ids (text16, "generated_ids:");
        g_autoptr (GArray) got16 = sm_test_greedy_ids (m, prompts[cs->prompt], before, SM_KV_TYPE_F16, N_GENERATE);
        const gint32 *gen16 = &g_array_index (got16, gint32, want_prompt->len);
        const guint n16 = got16->len - want_prompt->len;
        guint same16 = 0;
        while (same16 < MIN (n16, want16->len) && gen16[same16] == g_array_index (want16, gint32, same16))
          same16++;
        g_test_message ("%s p%d %s, f16 KV cache: first differing generated token %u of %u", name,
                        cs->prompt, sm_kernel_level_to_string (before), same16, want16->len);
        /* measured where Auto is avx512-vnni; another level rounds otherwise and parts
         * elsewhere, so there it is only reported */
        if (before == SM_KERNEL_LEVEL_AVX512_VNNI)
          g_assert_cmpuint (same16, >=, (guint) cs->m->matched16[cs->prompt]);
        g_assert_true (sm_kernels_set_level (before, NULL));
      }
  }

  /* At the level in force only: it is the slow half. */
  guint at = 0;
  guint agree = 0;
  double lead = 0.0;
  double gap = sm_test_forced_gap (m, SM_KV_TYPE_F32, want_prompt, want_gen, &at, &lead, &agree);
  g_test_message ("%s p%d %s: teacher-forced, our top is llama.cpp's pick at %u of %u steps; "
                  "elsewhere it is at most %.3g sd below our top logit (step %u), while our top "
                  "leads the runner-up by %.3g sd on average", name, cs->prompt,
                  sm_kernel_level_to_string (before), agree, want_gen->len, gap, at, lead);
  /* Measured at most 0.12 sd over these files and levels, our top agreeing with llama.cpp's
   * pick at 114-126 of 128 steps.  The runner-up trails the top by 0.2-0.6 sd on average, so a
   * wrong kernel shows: one Q4_K sub-block scale misread (tried by hand in the AVX-512 dot)
   * gave 1.12 sd and 55 of 128, where the free-running comparison still passed. */
  g_assert_cmpfloat (gap, <, 0.25);
}

int
main (int argc, char **argv)
{
  static Case cases[G_N_ELEMENTS (models)][2];

  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autofree char *p = g_strdup_printf ("/kquant-models/load/%s", models[i].file);
      g_test_add_data_func (p, &models[i], test_load);
      for (int k = 0; k < 2; k++)
        {
          cases[i][k] = (Case) { &models[i], k };
          g_autofree char *pg = g_strdup_printf ("/kquant-models/greedy/%s/p%d", models[i].file, k);
          g_test_add_data_func (pg, &cases[i][k], test_greedy);
        }
    }
  return g_test_run ();
}
