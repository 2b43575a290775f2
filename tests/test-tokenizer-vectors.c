/* test-tokenizer-vectors.c: llama.cpp's tokenizer test vectors for every vocabulary at hand
 * (../shared/models: Llama 2 and Phi-3 SentencePiece; GPT-2, StarCoder, Falcon, DeepSeek LLM
 * and DeepSeek Coder byte-level BPE), and the prompt ids of llama.cpp's runs of the random
 * GPT-2-vocabulary models.
 *
 * The .inp / .out pairs are read as llama.cpp's tests/test-tokenizer-0.cpp reads them: the
 * inputs are what lies between "\n__ggml_vocab_test__\n" separators (so an input keeps its own
 * newlines), the last input runs to the end of the file if no separator closes it; the .out
 * has one line of ids a input, stripped of surrounding white space.  Each input is encoded as
 * test-tokenizer-0 does (no BOS or EOS, control tokens not parsed), and must also decode back
 * to its bytes.  The last case prints the table of vocabularies.
 */
#include <string.h>

#include "sm-detokenizer.h"
#include "sm-gguf.h"
#include "sm-test-util.h"
#include "sm-tokenizer.h"

typedef struct {
  const char     *name;
  const char     *file;   /* in the shared models folder */
  SmTokenizerKind kind;
  guint           passed, total;
  gboolean        ran;
} Vocab;

static Vocab vocabs[] = {
  { .name = "llama-spm", .file = "ggml-vocab-llama-spm.gguf", .kind = SM_TOKENIZER_SPM },
  { .name = "phi-3", .file = "vocab/ggml-vocab-phi-3.gguf", .kind = SM_TOKENIZER_SPM },
  { .name = "gpt-2", .file = "vocab/ggml-vocab-gpt-2.gguf", .kind = SM_TOKENIZER_GPT2 },
  { .name = "starcoder", .file = "vocab/ggml-vocab-starcoder.gguf", .kind = SM_TOKENIZER_GPT2 },
  { .name = "falcon", .file = "vocab/ggml-vocab-falcon.gguf", .kind = SM_TOKENIZER_GPT2 },
  { .name = "deepseek-llm", .file = "vocab/ggml-vocab-deepseek-llm.gguf", .kind = SM_TOKENIZER_GPT2 },
  { .name = "deepseek-coder", .file = "vocab/ggml-vocab-deepseek-coder.gguf", .kind = SM_TOKENIZER_GPT2 },
};

static SmTokenizer *
load_vocab (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) gguf = sm_gguf_open (path, &error);
  SmTokenizer *tok;

  g_assert_no_error (error);
  tok = sm_tokenizer_new_from_gguf (gguf, &error);
  g_assert_no_error (error);
  return tok;
}

static char *
ids_string (const gint32 *ids, gsize n)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, "%s%d", i ? " " : "", ids[i]);
  return g_string_free (s, FALSE);
}

/* test-tokenizer-0's read_tests */
static void
read_vectors (const char *inp_path, const char *out_path, GPtrArray *inputs, GPtrArray *expected)
{
  static const char sep[] = "\n__ggml_vocab_test__\n";
  g_autofree char *inp = NULL, *out = NULL;
  g_autoptr (GError) error = NULL;
  gsize inp_len, out_len, pos = 0;

  g_file_get_contents (inp_path, &inp, &inp_len, &error);
  g_assert_no_error (error);
  g_file_get_contents (out_path, &out, &out_len, &error);
  g_assert_no_error (error);

  while (pos < inp_len)
    {
      const char *next = g_strstr_len (inp + pos, (gssize) (inp_len - pos), sep);
      gsize end = next ? (gsize) (next - inp) : inp_len;

      g_ptr_array_add (inputs, g_bytes_new (inp + pos, end - pos));
      if (next == NULL)
        break;
      pos = end + strlen (sep);
    }

  /* std::getline: every "\n" ends a line, and text after the last one is a line too */
  for (gsize p = 0; p < out_len;)
    {
      const char *nl = memchr (out + p, '\n', out_len - p);
      gsize end = nl ? (gsize) (nl - out) : out_len;
      g_autofree char *line = g_strndup (out + p, end - p);
      g_auto (GStrv) words = g_strsplit (g_strstrip (line), " ", -1);
      GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));

      for (char **w = words; *w; w++)
        {
          gint64 id;
          if (**w == '\0')
            continue;
          g_assert_true (g_ascii_string_to_signed (*w, 10, 0, G_MAXINT32, &id, NULL));
          g_array_append_vals (ids, &(gint32) { (gint32) id }, 1);
        }
      g_ptr_array_add (expected, ids);
      p = end + 1;
    }
  g_assert_cmpuint (inputs->len, ==, expected->len);
}

/* Streams @ids through a detokenizer, every chunk valid UTF-8. */
static char *
detokenize (SmTokenizer *tok, const gint32 *ids, gsize n)
{
  g_autoptr (SmDetokenizer) detok = sm_detokenizer_new (tok, -1);
  GString *all = g_string_new (NULL);

  for (gsize i = 0; i <= n; i++)
    {
      g_autoptr (GString) chunk = g_string_new (NULL);
      if (i < n)
        sm_detokenizer_push (detok, ids[i], chunk);
      else
        sm_detokenizer_flush (detok, chunk);
      g_assert_true (g_utf8_validate (chunk->str, (gssize) chunk->len, NULL));
      g_string_append_len (all, chunk->str, (gssize) chunk->len);
    }
  return g_string_free (all, FALSE);
}

static void
test_vocab (gconstpointer data)
{
  Vocab *v = (Vocab *) data;
  g_autofree char *path = sm_test_shared_model (v->file);
  g_autofree char *inp = NULL, *out = NULL;
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GPtrArray) expected = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autoptr (SmTokenizer) tok = NULL;

  if (path == NULL)
    return;
  inp = g_strconcat (path, ".inp", NULL);
  out = g_strconcat (path, ".out", NULL);
  if (!g_file_test (inp, G_FILE_TEST_EXISTS) || !g_file_test (out, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the .inp / .out test vectors are missing");
      return;
    }
  tok = load_vocab (path);
  g_assert_cmpint (sm_tokenizer_get_kind (tok), ==, v->kind);
  read_vectors (inp, out, inputs, expected);
  g_assert_cmpuint (inputs->len, >, 0);

  v->ran = TRUE;
  v->total = inputs->len;
  for (guint i = 0; i < inputs->len; i++)
    {
      gsize len;
      const char *text = g_bytes_get_data (g_ptr_array_index (inputs, i), &len);
      GArray *want = g_ptr_array_index (expected, i);
      g_autoptr (GArray) got = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr (GArray) with_bos = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr (GError) error = NULL;
      g_autofree char *back = NULL, *streamed = NULL;
      gsize back_len;
      gboolean ok;

      if (text == NULL)   /* GBytes of the empty input */
        text = "";
      g_assert_true (sm_tokenizer_encode (tok, text, (gssize) len, FALSE, got, &error));
      g_assert_no_error (error);
      ok = got->len == want->len &&
           (want->len == 0 || memcmp (got->data, want->data, want->len * sizeof (gint32)) == 0);

      /* back to the same bytes (after a BOS, so SentencePiece's leading space goes too) */
      g_assert_true (sm_tokenizer_encode (tok, text, (gssize) len, TRUE, with_bos, &error));
      back = sm_tokenizer_decode (tok, (gint32 *) with_bos->data, with_bos->len, &back_len);
      if (back_len != len || memcmp (back, text, len) != 0)
        {
          g_autofree char *a = g_strndup (text, len), *b = g_strescape (back, NULL);
          g_autofree char *ea = g_strescape (a, NULL);
          g_test_message ("%s case %u decodes to \"%s\", not \"%s\"", v->name, i, b, ea);
          ok = FALSE;
        }
      streamed = detokenize (tok, (gint32 *) got->data, got->len);
      if (v->kind == SM_TOKENIZER_GPT2 && (strlen (streamed) != len || memcmp (streamed, text, len) != 0))
        {
          g_test_message ("%s case %u streams back as something else", v->name, i);
          ok = FALSE;
        }
      if (!ok)
        {
          g_autofree char *g = ids_string ((gint32 *) got->data, got->len);
          g_autofree char *w = ids_string ((gint32 *) want->data, want->len);
          g_autofree char *t = g_strndup (text, len);
          g_autofree char *esc = g_strescape (t, NULL);
          g_test_message ("%s case %u \"%s\":\n   got %s\n  want %s", v->name, i, esc, g, w);
        }
      v->passed += ok;
    }
  g_assert_cmpuint (v->passed, ==, v->total);
}

static void
test_table (void)
{
  g_test_message ("%-16s %s", "vocabulary", "passed/total");
  for (guint i = 0; i < G_N_ELEMENTS (vocabs); i++)
    {
      if (vocabs[i].ran)
        g_test_message ("%-16s %u/%u", vocabs[i].name, vocabs[i].passed, vocabs[i].total);
      else
        g_test_message ("%-16s skipped (not found)", vocabs[i].name);
    }
}

/* ---- llama.cpp's prompts on the GPT-2 vocabulary --------------------------------------------- */

/* arch/greedy-ids/NAME.kv-T.pK.txt opens with "prompt_ids: ..." for prompt K; NAME.gguf's
 * tokenizer keys are those of vocab/ggml-vocab-gpt-2.gguf. */
static void
test_arch_prompts (void)
{
  static const char *const prompts[] = { "Once upon a time", "The capital of France is", "def fib(n):" };
  g_autofree char *vocab_path = sm_test_shared_model ("vocab/ggml-vocab-gpt-2.gguf");
  g_autofree char *readme = vocab_path ? sm_test_shared_model ("arch/README.md") : NULL;
  g_autofree char *arch_dir = NULL, *ids_dir = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autoptr (SmTokenizer) vocab = NULL;
  const char *name;
  guint checked = 0;

  if (readme == NULL)
    return;
  arch_dir = g_path_get_dirname (readme);
  ids_dir = g_build_filename (arch_dir, "greedy-ids", NULL);
  vocab = load_vocab (vocab_path);
  dir = g_dir_open (ids_dir, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (ids_dir, name, NULL);
      g_autofree char *contents = NULL, *model_file = NULL, *model_path = NULL;
      g_autoptr (SmTokenizer) model_tok = NULL;
      g_auto (GStrv) lines = NULL;
      const char *kv = strstr (name, ".kv-");
      const char *p = g_strrstr (name, ".p");
      guint k;

      if (kv == NULL || p == NULL || !g_str_has_suffix (name, ".txt"))
        continue;
      k = (guint) (p[2] - '0');
      g_assert_cmpuint (k, <, G_N_ELEMENTS (prompts));
      g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
      lines = g_strsplit (contents, "\n", 2);
      g_assert_true (g_str_has_prefix (lines[0], "prompt_ids: "));

      /* the model's own keys too, read from its file */
      model_file = g_strdup_printf ("%.*s.gguf", (int) (kv - name), name);
      model_path = g_build_filename (arch_dir, model_file, NULL);
      if (g_file_test (model_path, G_FILE_TEST_EXISTS))
        model_tok = load_vocab (model_path);

      for (guint t = 0; t < 2; t++)
        {
          SmTokenizer *tok = t == 0 ? vocab : model_tok;
          g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
          g_autoptr (GError) error = NULL;
          g_autofree char *got = NULL;

          if (tok == NULL)
            continue;
          /* llama-cli: BOS as the vocabulary says (none here), control tokens parsed */
          g_assert_true (sm_tokenizer_encode_special (tok, prompts[k], -1,
                                                      sm_tokenizer_get_add_bos (tok), ids, &error));
          g_assert_no_error (error);
          got = ids_string ((gint32 *) ids->data, ids->len);
          g_assert_cmpstr (got, ==, lines[0] + strlen ("prompt_ids: "));
          checked++;
        }
    }
  g_test_message ("%u prompts agree with llama.cpp's", checked);
  g_assert_cmpuint (checked, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (vocabs); i++)
    {
      g_autofree char *path = g_strdup_printf ("/TokenizerVectors/%s", vocabs[i].name);
      g_test_add_data_func (path, &vocabs[i], test_vocab);
    }
  g_test_add_func ("/TokenizerVectors/table", test_table);
  g_test_add_func ("/TokenizerVectors/arch-prompts", test_arch_prompts);
  return g_test_run ();
}
