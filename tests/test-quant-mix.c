/* test-quant-mix.c: llama-quantize's per-tensor types (sm-quant-mix.c) against its own files.
 *
 * Every file in ../shared/models/kquant was written by llama-quantize: the plan for its file
 * type, from its tensor list and shape alone, must give each tensor the type the file has.
 * Shapes no shipped file has (rows that fit no K-quant block) check the fallback table.
 */
#include "sm-dtype.h"
#include "sm-gguf.h"
#include "sm-model.h"
#include "sm-quant-mix.h"
#include "sm-test-util.h"

#include <string.h>

static void
test_names (void)
{
  g_assert_nonnull (sm_quant_mix_find ("q4_k_m"));
  g_assert_true (sm_quant_mix_find ("Q4_K_M") == sm_quant_mix_find ("q4_k_m"));
  /* llama-quantize's aliases */
  g_assert_true (sm_quant_mix_find ("q4_k") == sm_quant_mix_find ("q4_k_m"));
  g_assert_true (sm_quant_mix_find ("q3_k") == sm_quant_mix_find ("q3_k_m"));
  g_assert_null (sm_quant_mix_find ("q7_k"));
  g_assert_null (sm_quant_mix_find ("bf16"));
  g_assert_cmpuint (sm_quant_mix_get_file_type (sm_quant_mix_find ("q4_k_m")), ==, 15);
  g_assert_cmpuint (sm_quant_mix_get_file_type (sm_quant_mix_find ("q8_0")), ==, 7);
  g_assert_cmpuint (sm_quant_mix_get_file_type (sm_quant_mix_find ("f32")), ==, 0);
  g_assert_cmpstr (sm_quant_file_type_name (15), ==, "Q4_K_M");
  g_assert_cmpstr (sm_quant_file_type_name (18), ==, "Q6_K");
  g_assert_null (sm_quant_file_type_name (5));
  g_assert_null (sm_quant_file_type_name (1000));

  /* every offered name finds its mix, and names it the same */
  g_autofree char *list = sm_quant_mix_list ();
  g_auto (GStrv) names = g_regex_split_simple (", | or ", list, 0, 0);
  g_assert_cmpuint (g_strv_length (names), ==, 16);
  for (guint i = 0; names[i] != NULL; i++)
    {
      const SmQuantMix *mix = sm_quant_mix_find (names[i]);
      g_autofree char *upper = g_ascii_strup (names[i], -1);
      g_assert_nonnull (mix);
      g_assert_cmpstr (sm_quant_mix_get_name (mix), ==, names[i]);
      g_assert_cmpstr (sm_quant_file_type_name (sm_quant_mix_get_file_type (mix)), ==, upper);
    }
}

static void
test_llama_quantize_files (void)
{
  static const char *const files[] = {
    "visible-q2_k.gguf", "visible-q3_k_m.gguf", "visible-q4_k_s.gguf", "visible-q4_k_m.gguf",
    "visible-q5_k_m.gguf", "visible-q6_k.gguf", "visible-q4_0.gguf",
  };

  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree char *rel = g_build_filename ("kquant", files[f], NULL);
      g_autofree char *path = sm_test_shared_model (rel);
      g_autoptr (GError) error = NULL;
      guint32 file_type, n_layers, n_heads, n_kv_heads;

      if (path == NULL)
        return;
      g_autoptr (SmGguf) g = sm_gguf_open (path, &error);
      g_assert_no_error (error);
      g_assert_true (sm_gguf_get_u32 (g, "general.file_type", &file_type, NULL));
      g_assert_true (sm_gguf_get_u32 (g, "llama.block_count", &n_layers, NULL));
      g_assert_true (sm_gguf_get_u32 (g, "llama.attention.head_count", &n_heads, NULL));
      g_assert_true (sm_gguf_get_u32 (g, "llama.attention.head_count_kv", &n_kv_heads, NULL));

      g_autofree char *lower = g_ascii_strdown (sm_quant_file_type_name (file_type), -1);
      const SmQuantMix *mix = sm_quant_mix_find (lower);
      const SmQuantModelShape shape = { (int) n_layers, (int) n_heads, (int) n_kv_heads };
      const gsize n = sm_gguf_n_tensors (g);
      g_autofree SmQuantTensor *tensors = g_new (SmQuantTensor, n);
      g_autofree guint32 *types = g_new (guint32, n);

      g_assert_nonnull (mix);
      /* llama.cpp writes tensors layer by layer, the order its counters need */
      for (gsize i = 0; i < n; i++)
        {
          const SmGgufTensorInfo *ti = sm_gguf_tensor_info (g, i);
          tensors[i] = (SmQuantTensor) { ti->name, ti->n_dims, ti->shape[ti->n_dims - 1] };
        }
      g_assert_true (sm_quant_mix_plan (mix, &shape, tensors, n, types, &error));
      g_assert_no_error (error);
      for (gsize i = 0; i < n; i++)
        {
          const guint32 have = sm_gguf_tensor_info (g, i)->ggml_type;
          /* kept tensors are the F32 source's vectors */
          const guint32 want = types[i] == SM_QUANT_KEEP ? SM_GGML_TYPE_F32 : types[i];
          if (want != have)
            g_error ("%s: %s is %s in llama.cpp's file, planned %s", files[f], tensors[i].name,
                     sm_dtype_ggml_type_name (have), sm_dtype_ggml_type_name (want));
        }
      g_autofree char *summary = sm_quant_describe_gguf (g);
      g_test_message ("%s: %s", files[f], summary);
    }
}

/* stories260K's shape: width 64 and an MLP of 172, which no K-quant block divides. */
static const SmQuantTensor small[] = {
  { "token_embd.weight", 2, 64 },
  { "blk.0.attn_norm.weight", 1, 64 },
  { "blk.0.attn_v.weight", 2, 64 },
  { "blk.0.ffn_down.weight", 2, 172 },
  { "blk.0.ffn_up.weight", 2, 64 },
  { "output_norm.weight", 1, 64 },
  { "output.weight", 2, 64 },
};

static void
expect_plan (const char *mix_name, const guint32 want[G_N_ELEMENTS (small)])
{
  const SmQuantModelShape shape = { 1, 8, 4 };
  guint32 types[G_N_ELEMENTS (small)];
  g_autoptr (GError) error = NULL;

  g_assert_true (sm_quant_mix_plan (sm_quant_mix_find (mix_name), &shape, small,
                                    G_N_ELEMENTS (small), types, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (small); i++)
    if (types[i] != want[i])
      g_error ("%s: %s planned %s, llama-quantize writes %s", mix_name, small[i].name,
               types[i] == SM_QUANT_KEEP ? "kept" : sm_dtype_ggml_type_name (types[i]),
               want[i] == SM_QUANT_KEEP ? "kept" : sm_dtype_ggml_type_name (want[i]));
}

static void
test_fallbacks (void)
{
  const guint32 K = SM_QUANT_KEEP;
  g_autoptr (GError) error = NULL;
  guint32 types[G_N_ELEMENTS (small)];

  /* Q4_K -> Q5_0; ffn_down fits no 32-block either -> F16; the output matrix's Q6_K -> Q8_0 */
  expect_plan ("q4_k_m", (const guint32[]) { SM_GGML_TYPE_Q5_0, K, SM_GGML_TYPE_Q8_0,
                                             SM_GGML_TYPE_F16, SM_GGML_TYPE_Q5_0, K,
                                             SM_GGML_TYPE_Q8_0 });
  /* Q2_K and Q3_K -> IQ4_NL (Q2_K's attn_v is Q3_K, its ffn_down Q3_K) */
  expect_plan ("q2_k", (const guint32[]) { SM_GGML_TYPE_IQ4_NL, K, SM_GGML_TYPE_IQ4_NL,
                                           SM_GGML_TYPE_F16, SM_GGML_TYPE_IQ4_NL, K,
                                           SM_GGML_TYPE_Q8_0 });
  /* Q5_K -> Q5_1 */
  expect_plan ("q5_k_s", (const guint32[]) { SM_GGML_TYPE_Q5_1, K, SM_GGML_TYPE_Q5_1,
                                             SM_GGML_TYPE_F16, SM_GGML_TYPE_Q5_1, K,
                                             SM_GGML_TYPE_Q8_0 });
  expect_plan ("f16", (const guint32[]) { SM_GGML_TYPE_F16, K, SM_GGML_TYPE_F16,
                                          SM_GGML_TYPE_F16, SM_GGML_TYPE_F16, K,
                                          SM_GGML_TYPE_F16 });
  /* the 32-weight mixes have no fallback: llama-quantize refuses the file */
  g_assert_false (sm_quant_mix_plan (sm_quant_mix_find ("q8_0"), &(SmQuantModelShape) { 1, 8, 4 },
                                     small, G_N_ELEMENTS (small), types, &error));
  g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "blk.0.ffn_down.weight"));
}

/* n_gqa >= 4 lifts Q2_K's attn_v to Q4_K; _M mixes pick layers by use_more_bits. */
static void
test_layer_rules (void)
{
  enum { L = 16 };
  SmQuantTensor t[L];
  guint32 types[L];
  g_autoptr (GError) error = NULL;
  char *names[L];

  for (int i = 0; i < L; i++)
    {
      names[i] = g_strdup_printf ("blk.%d.attn_v.weight", i);
      t[i] = (SmQuantTensor) { names[i], 2, 256 };
    }
  g_assert_true (sm_quant_mix_plan (sm_quant_mix_find ("q2_k"), &(SmQuantModelShape) { L, 32, 8 },
                                    t, L, types, &error));
  g_assert_cmpuint (types[0], ==, SM_GGML_TYPE_Q4_K);
  g_assert_true (sm_quant_mix_plan (sm_quant_mix_find ("q2_k"), &(SmQuantModelShape) { L, 32, 16 },
                                    t, L, types, &error));
  g_assert_cmpuint (types[0], ==, SM_GGML_TYPE_Q3_K);

  /* 16 layers: the first and last two, then every third from layer 4 (4, 7, 10, 13) */
  g_assert_true (sm_quant_mix_plan (sm_quant_mix_find ("q4_k_m"), &(SmQuantModelShape) { L, 8, 8 },
                                    t, L, types, &error));
  for (int i = 0; i < L; i++)
    {
      gboolean more = i < 2 || i >= 14 || i == 4 || i == 7 || i == 10 || i == 13;
      g_assert_cmpuint (types[i], ==, more ? SM_GGML_TYPE_Q6_K : SM_GGML_TYPE_Q4_K);
    }
  /* Q3_K_M: the first two attn_v in Q5_K, the rest Q4_K */
  g_assert_true (sm_quant_mix_plan (sm_quant_mix_find ("q3_k_m"), &(SmQuantModelShape) { L, 8, 8 },
                                    t, L, types, &error));
  for (int i = 0; i < L; i++)
    g_assert_cmpuint (types[i], ==, i < 2 ? SM_GGML_TYPE_Q5_K : SM_GGML_TYPE_Q4_K);
  for (int i = 0; i < L; i++)
    g_free (names[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/QuantMix/names", test_names);
  g_test_add_func ("/QuantMix/llama-quantize-files", test_llama_quantize_files);
  g_test_add_func ("/QuantMix/fallbacks", test_fallbacks);
  g_test_add_func ("/QuantMix/layer-rules", test_layer_rules);
  return g_test_run ();
}
