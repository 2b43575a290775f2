/* test-save-vocab.c: the vocabulary a written GGUF carries, read back and held against the
 * files llama.cpp itself wrote for the same vocabularies.
 *
 * llama.cpp decodes a piece by its metadata alone (llama-vocab.cpp, token_to_piece): only
 * for tokenizer.ggml.model "llama" (SPM) does a NORMAL token's ▁ become a space; a
 * USER_DEFINED, CONTROL or UNKNOWN token is copied as it is spelled, and a <0xNN> piece is one
 * byte only when typed BYTE.  So every tokenizer key llama.cpp's file has must be in ours, of
 * the same GGUF type (an i32 token_type read as something else is garbage to it), with the
 * same tokens, scores and types.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "sm-gguf.h"
#include "sm-model.h"
#include "sm-test-util.h"

/* Keys of llama.cpp's files that carry nothing: 0xFFFFFFFF is llama.cpp's "no such token". */
static gboolean
is_absent_marker (SmGguf *g, gsize i)
{
  guint32 v;
  return sm_gguf_kv_type (g, i) == SM_GGUF_TYPE_UINT32 &&
         sm_gguf_get_u32 (g, sm_gguf_kv_key (g, i), &v, NULL) && v == G_MAXUINT32;
}

static void
expect_same_vocab (SmGguf *ours, SmGguf *ref)
{
  guint64 n_ours, n_ref;

  for (gsize i = 0; i < sm_gguf_n_kv (ref); i++)
    {
      const char *key = sm_gguf_kv_key (ref, i);
      if (!g_str_has_prefix (key, "tokenizer.") || is_absent_marker (ref, i))
        continue;
      gssize j = sm_gguf_find_key (ours, key);
      if (j < 0)
        g_error ("%s is missing from the written file", key);
      g_assert_cmpint (sm_gguf_kv_type (ours, j), ==, sm_gguf_kv_type (ref, i));
      if (sm_gguf_kv_type (ref, i) == SM_GGUF_TYPE_ARRAY)
        {
          g_assert_cmpint (sm_gguf_kv_array_type (ours, j, &n_ours), ==,
                           sm_gguf_kv_array_type (ref, i, &n_ref));
          g_assert_cmpuint (n_ours, ==, n_ref);
        }
      else
        {
          g_autofree char *a = sm_gguf_kv_to_string (ours, j);
          g_autofree char *b = sm_gguf_kv_to_string (ref, i);
          g_assert_cmpstr (a, ==, b);
        }
    }

  const SmGgufString *ta = sm_gguf_get_string_array (ours, "tokenizer.ggml.tokens", &n_ours, NULL);
  const SmGgufString *tb = sm_gguf_get_string_array (ref, "tokenizer.ggml.tokens", &n_ref, NULL);
  g_autofree gint32 *ya = sm_gguf_get_i32_array (ours, "tokenizer.ggml.token_type", &n_ours, NULL);
  g_autofree gint32 *yb = sm_gguf_get_i32_array (ref, "tokenizer.ggml.token_type", &n_ref, NULL);
  g_autofree float *sa = sm_gguf_get_f32_array (ours, "tokenizer.ggml.scores", &n_ours, NULL);
  g_autofree float *sb = sm_gguf_get_f32_array (ref, "tokenizer.ggml.scores", &n_ref, NULL);
  g_assert_nonnull (ta);
  g_assert_nonnull (ya);
  g_assert_nonnull (sa);
  for (guint64 t = 0; t < n_ref; t++)
    {
      if (ta[t].len != tb[t].len || memcmp (ta[t].str, tb[t].str, tb[t].len) != 0 ||
          ya[t] != yb[t] || sa[t] != sb[t])
        g_error ("token %" G_GUINT64_FORMAT ": ours '%.*s' type %d score %g, llama.cpp's '%.*s' "
                 "type %d score %g", t, (int) ta[t].len, ta[t].str, ya[t], sa[t],
                 (int) tb[t].len, tb[t].str, yb[t], sb[t]);
      /* by llama.cpp's rules: a piece with ▁ prints it literally unless NORMAL */
      if (g_strstr_len (ta[t].str, (gssize) ta[t].len, "\xe2\x96\x81") != NULL)
        g_assert_cmpint (ya[t], ==, 1);
    }
  g_autofree char *model = sm_gguf_get_string (ours, "tokenizer.ggml.model", NULL);
  g_assert_cmpstr (model, ==, "llama");
}

/* Writes @model to a temporary GGUF and opens it. */
static SmGguf *
write_and_open (SmModel *model, const char *mix, char **path_out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-vocab-XXXXXX", NULL);
  char *path = g_build_filename (dir, "out.gguf", NULL);

  g_assert_true (sm_model_save_gguf_mix (model, path, sm_quant_mix_find (mix), FALSE, &error));
  g_assert_no_error (error);
  SmGguf *g = sm_gguf_open (path, &error);
  g_assert_no_error (error);
  *path_out = path;
  return g;
}

static void
remove_written (char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
}

/* quantize of llama.cpp's own stories260K.gguf, and of the llama2.c files it came from (the
 * tokenizer with ▁ spelled as a space, <s> as "\n<s>\n") */
static void
test_stories260k (void)
{
  g_autofree char *ref_path = sm_test_shared_model ("stories260K.gguf");
  g_autofree char *bin = sm_test_shared_model ("stories260K.bin");
  g_autofree char *tok = sm_test_shared_model ("tok512.bin");
  g_autoptr (GError) error = NULL;
  char *path = NULL;

  if (ref_path == NULL || bin == NULL || tok == NULL)
    return;
  g_autoptr (SmGguf) ref = sm_gguf_open (ref_path, &error);
  g_assert_no_error (error);

  const char *const sources[][2] = { { ref_path, NULL }, { bin, tok } };
  for (guint s = 0; s < G_N_ELEMENTS (sources); s++)
    {
      g_autoptr (SmModel) model = sm_model_load (sources[s][0], sources[s][1], &error);
      g_assert_no_error (error);
      g_autoptr (SmGguf) ours = write_and_open (model, "f16", &path);
      expect_same_vocab (ours, ref);
      remove_written (path);
    }
}

/* init -z tokenizer.bin: the Llama 2 vocabulary of llama.cpp's K-quant files */
static void
test_llama2_vocab (void)
{
  g_autofree char *ref_path = sm_test_shared_model ("kquant/visible-q4_k_m.gguf");
  g_autofree char *bin = sm_test_shared_model ("tokenizer.bin");
  g_autoptr (GError) error = NULL;
  char *path = NULL;

  if (ref_path == NULL || bin == NULL)
    return;
  g_autoptr (SmGguf) ref = sm_gguf_open (ref_path, &error);
  g_assert_no_error (error);
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_llama2c (bin, 32000, &error);
  g_assert_no_error (error);
  SmModelConfig c = {
    .arch = SM_ARCH_LLAMA, .vocab_size = 32000, .dim = 64, .n_layers = 1, .n_heads = 2,
    .n_kv_heads = 2, .head_dim = 32, .hidden_dim = 128, .context_length = 64, .norm_eps = 1e-5f,
    .rope_base = 10000.0f, .rope_dims = 32, .rope_mode = SM_ROPE_NORM, .tied_output = TRUE,
  };
  g_autoptr (SmModel) model = sm_model_new_random (&c, tok, 1, "vocab", &error);
  g_assert_no_error (error);
  g_autoptr (SmGguf) ours = write_and_open (model, "f32", &path);
  expect_same_vocab (ours, ref);
  remove_written (path);
}

/* A model with GPT-2's byte-level BPE vocabulary writes it as llama.cpp's converter does:
 * model "gpt2", its pre-tokenizer, the pieces in the byte alphabet, their types and the merges
 * as "left right" in rank order; read back, it encodes as the original. */
static void
test_gpt2_vocab (void)
{
  g_autofree char *ref_path = sm_test_shared_model ("vocab/ggml-vocab-gpt-2.gguf");
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  static const char *const keys[] = {
    "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
  };
  static const char *const arrays[] = {
    "tokenizer.ggml.tokens", "tokenizer.ggml.merges",
  };

  if (ref_path == NULL)
    return;
  g_autoptr (SmGguf) ref = sm_gguf_open (ref_path, &error);
  g_assert_no_error (error);
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_from_gguf (ref, &error);
  g_assert_no_error (error);
  SmModelConfig c = {
    .arch = SM_ARCH_LLAMA, .vocab_size = 50257, .dim = 32, .n_layers = 1, .n_heads = 2,
    .n_kv_heads = 2, .head_dim = 16, .hidden_dim = 64, .context_length = 32, .norm_eps = 1e-5f,
    .rope_base = 10000.0f, .rope_dims = 16, .rope_mode = SM_ROPE_NORM, .tied_output = TRUE,
  };
  g_autoptr (SmModel) model = sm_model_new_random (&c, tok, 1, "gpt2 vocab", &error);
  g_assert_no_error (error);
  g_autoptr (SmGguf) ours = write_and_open (model, "f32", &path);

  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    {
      gssize i = sm_gguf_find_key (ref, keys[k]), j = sm_gguf_find_key (ours, keys[k]);
      g_assert_cmpint (i, >=, 0);
      g_assert_cmpint (j, >=, 0);
      g_assert_cmpint (sm_gguf_kv_type (ours, j), ==, sm_gguf_kv_type (ref, i));
      g_autofree char *a = sm_gguf_kv_to_string (ours, j);
      g_autofree char *b = sm_gguf_kv_to_string (ref, i);
      g_assert_cmpstr (a, ==, b);
    }
  for (guint k = 0; k < G_N_ELEMENTS (arrays); k++)
    {
      guint64 na = 0, nb = 0;
      const SmGgufString *a = sm_gguf_get_string_array (ours, arrays[k], &na, &error);
      g_assert_no_error (error);
      const SmGgufString *b = sm_gguf_get_string_array (ref, arrays[k], &nb, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (na, ==, nb);
      for (guint64 t = 0; t < nb; t++)
        if (a[t].len != b[t].len || memcmp (a[t].str, b[t].str, b[t].len) != 0)
          g_error ("%s[%" G_GUINT64_FORMAT "]: ours '%.*s', llama.cpp's '%.*s'", arrays[k], t,
                   (int) a[t].len, a[t].str, (int) b[t].len, b[t].str);
    }
  {
    guint64 na = 0, nb = 0;
    g_autofree gint32 *ya = sm_gguf_get_i32_array (ours, "tokenizer.ggml.token_type", &na, NULL);
    g_autofree gint32 *yb = sm_gguf_get_i32_array (ref, "tokenizer.ggml.token_type", &nb, NULL);
    g_assert_cmpmem (ya, na * sizeof (gint32), yb, nb * sizeof (gint32));
  }
  {
    const char *text = "Hello world's  <|endoftext|> 🦙 \xff";
    g_autoptr (SmTokenizer) back = sm_tokenizer_new_from_gguf (ours, &error);
    g_autoptr (GArray) x = g_array_new (FALSE, FALSE, sizeof (gint32));
    g_autoptr (GArray) y = g_array_new (FALSE, FALSE, sizeof (gint32));
    g_assert_no_error (error);
    g_assert_true (sm_tokenizer_encode_special (tok, text, -1, FALSE, x, NULL));
    g_assert_true (sm_tokenizer_encode_special (back, text, -1, FALSE, y, NULL));
    g_assert_cmpmem (x->data, x->len * sizeof (gint32), y->data, y->len * sizeof (gint32));
  }
  remove_written (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/SaveVocab/stories260K", test_stories260k);
  g_test_add_func ("/SaveVocab/llama2", test_llama2_vocab);
  g_test_add_func ("/SaveVocab/gpt2", test_gpt2_vocab);
  return g_test_run ();
}
