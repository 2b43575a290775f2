/* test-tokenizer.c: the BYTES, BPE and SPM tokenizers, the detokenizer and BPE training.
 *
 * SPM is checked against llama.cpp's own test vectors (models/ggml-vocab-llama-spm.gguf.inp
 * and .out, written by llama.cpp's test-tokenizer-0, which encodes without BOS), through both
 * the GGUF vocabulary and llama2.c's tokenizer.bin of the same 32000 pieces.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "sm-detokenizer.h"
#include "sm-gguf.h"
#include "sm-test-util.h"
#include "sm-tokenizer.h"

/* ---- helpers --------------------------------------------------------------------------------- */

static GArray *
encode (SmTokenizer *tok, const char *text, gssize len, gboolean add_bos)
{
  g_autoptr (GError) error = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));

  g_assert_true (sm_tokenizer_encode (tok, text, len, add_bos, ids, &error));
  g_assert_no_error (error);
  return ids;
}

static char *
ids_to_string (const gint32 *ids, gsize n)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, " %d", ids[i]);
  return g_string_free (s, FALSE);
}

/* Streams @ids through a detokenizer, checking every chunk is valid UTF-8. */
static char *
detokenize (SmTokenizer *tok, const gint32 *ids, gsize n, gint32 prev)
{
  g_autoptr (SmDetokenizer) detok = sm_detokenizer_new (tok, prev);
  GString *all = g_string_new (NULL);
  g_autoptr (GString) chunk = g_string_new (NULL);

  for (gsize i = 0; i <= n; i++)
    {
      gsize got;

      g_string_truncate (chunk, 0);
      got = i < n ? sm_detokenizer_push (detok, ids[i], chunk) : sm_detokenizer_flush (detok, chunk);
      g_assert_cmpuint (got, ==, chunk->len);
      g_assert_true (g_utf8_validate (chunk->str, (gssize) chunk->len, NULL));
      g_string_append_len (all, chunk->str, (gssize) chunk->len);
    }
  return g_string_free (all, FALSE);
}

static SmTokenizer *
load_gguf_vocab (const char *name)
{
  g_autofree char *path = sm_test_shared_model (name);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) gguf = NULL;
  SmTokenizer *tok;

  if (path == NULL)
    return NULL;
  gguf = sm_gguf_open (path, &error);
  g_assert_no_error (error);
  tok = sm_tokenizer_new_from_gguf (gguf, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tok);
  return tok;
}

static SmTokenizer *
load_llama2c (const char *name, gint vocab_size)
{
  g_autofree char *path = sm_test_shared_model (name);
  g_autoptr (GError) error = NULL;
  SmTokenizer *tok;

  if (path == NULL)
    return NULL;
  tok = sm_tokenizer_new_llama2c (path, vocab_size, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tok);
  return tok;
}

/* Texts every tokenizer must give back unchanged. */
static const char *const roundtrip_texts[] = {
  "Once upon a time, there was a little girl named Lily.",
  "  leading and trailing spaces  ",
  " ",
  "Hello\tworld\r\nnew line\n\n",
  "control \x01\x02\x1b[0m \x7f end",
  "Führer naïve café — “quotes” ½",
  "日本語のテキストと中文字符",
  "emoji 🚀 😶‍🌫️ 👩🏽‍💻 ✅",
  "combining: e\xcc\x81 a\xcc\x8a\xcc\x81 Z\xcd\x91\xcd\x97\xcd\x9b",
  "Ελληνικά, русский, עברית, العربية, हिन्दी, ភាសាខ្មែរ",
  "<s> </s> <unk> <0x41> are just text",
};

/* ---- llama.cpp's test vectors ---------------------------------------------------------------- */

typedef struct {
  GPtrArray *inputs;     /* GBytes */
  GPtrArray *expected;   /* GArray of gint32 */
} Vectors;

static void
vectors_clear (Vectors *v)
{
  g_clear_pointer (&v->inputs, g_ptr_array_unref);
  g_clear_pointer (&v->expected, g_ptr_array_unref);
}

/* As llama.cpp's test-tokenizer-0 reads them: inputs are separated by
 * "\n__ggml_vocab_test__\n" (the file ends with one), so an input keeps every newline of its
 * own and drops only the one before the separator; the .out holds one line per input. */
static gboolean
load_vectors (Vectors *v)
{
  static const char sep[] = "\n__ggml_vocab_test__\n";
  g_autofree char *inp_path = sm_test_shared_model ("ggml-vocab-llama-spm.gguf.inp");
  g_autofree char *out_path = NULL;
  g_autofree char *inp = NULL, *out = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  gsize inp_len, n_lines;
  const char *p, *end;

  if (inp_path == NULL)
    return FALSE;
  out_path = sm_test_shared_model ("ggml-vocab-llama-spm.gguf.out");
  if (out_path == NULL)
    return FALSE;
  g_file_get_contents (inp_path, &inp, &inp_len, &error);
  g_assert_no_error (error);
  g_file_get_contents (out_path, &out, NULL, &error);
  g_assert_no_error (error);

  v->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  v->expected = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  p = inp;
  end = inp + inp_len;
  while (p < end)
    {
      const char *s = g_strstr_len (p, end - p, sep);
      g_assert_nonnull (s);   /* the file ends with a separator */
      g_ptr_array_add (v->inputs, g_bytes_new (p, s - p));
      p = s + strlen (sep);
    }

  lines = g_strsplit (out, "\n", -1);
  n_lines = g_strv_length (lines);
  g_assert_cmpuint (n_lines, >, 0);
  g_assert_cmpstr (lines[n_lines - 1], ==, "");   /* the last line ends too */
  for (gsize i = 0; i + 1 < n_lines; i++)
    {
      g_auto (GStrv) words = g_strsplit (lines[i], " ", -1);
      GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));

      for (char **w = words; *w; w++)
        {
          guint64 id;
          if (**w == '\0')
            continue;
          g_assert_true (g_ascii_string_to_unsigned (*w, 10, 0, G_MAXINT32, &id, NULL));
          g_array_append_vals (ids, &(gint32) { (gint32) id }, 1);
        }
      g_ptr_array_add (v->expected, ids);
    }
  g_assert_cmpuint (v->inputs->len, ==, v->expected->len);
  g_assert_cmpuint (v->inputs->len, ==, 46);
  return TRUE;
}

static void
check_vectors (SmTokenizer *tok)
{
  Vectors v = { 0 };
  guint failures = 0;

  if (!load_vectors (&v))
    return;
  for (guint i = 0; i < v.inputs->len; i++)
    {
      gsize len;
      const char *text = g_bytes_get_data (g_ptr_array_index (v.inputs, i), &len);
      GArray *want = g_ptr_array_index (v.expected, i);
      g_autoptr (GArray) got = encode (tok, text, (gssize) len, FALSE);
      g_autoptr (GArray) with_bos = encode (tok, text, (gssize) len, TRUE);
      g_autofree char *back = NULL, *streamed = NULL;
      gsize back_len;

      if (got->len != want->len ||
          (want->len > 0 && memcmp (got->data, want->data, want->len * sizeof (gint32)) != 0))
        {
          g_autofree char *g = ids_to_string ((gint32 *) got->data, got->len);
          g_autofree char *w = ids_to_string ((gint32 *) want->data, want->len);
          g_autofree char *esc = g_strescape (text, NULL);
          g_test_message ("case %u \"%s\":\n  got %s\n want %s", i, esc, g, w);
          failures++;
        }

      /* The same with BOS in front, and back to the text. */
      g_assert_cmpuint (with_bos->len, ==, got->len + 1);
      g_assert_cmpint (g_array_index (with_bos, gint32, 0), ==, 1);
      g_assert_cmpmem (with_bos->data + sizeof (gint32), got->len * sizeof (gint32),
                       got->data, got->len * sizeof (gint32));
      back = sm_tokenizer_decode (tok, (gint32 *) with_bos->data, with_bos->len, &back_len);
      g_assert_cmpmem (back, back_len, text, len);
      streamed = detokenize (tok, (gint32 *) got->data, got->len, 1);
      g_assert_cmpmem (streamed, strlen (streamed), text, len);
    }
  vectors_clear (&v);
  g_assert_cmpuint (failures, ==, 0);
}

static void
test_vectors_gguf (void)
{
  g_autoptr (SmTokenizer) tok = load_gguf_vocab ("ggml-vocab-llama-spm.gguf");

  if (tok == NULL)
    return;
  g_assert_cmpint (sm_tokenizer_get_kind (tok), ==, SM_TOKENIZER_SPM);
  g_assert_cmpint (sm_tokenizer_n_vocab (tok), ==, 32000);
  g_assert_cmpint (sm_tokenizer_bos (tok), ==, 1);
  g_assert_cmpint (sm_tokenizer_eos (tok), ==, 2);
  g_assert_cmpint (sm_tokenizer_unk (tok), ==, 0);
  g_assert_true (sm_tokenizer_get_add_bos (tok));
  check_vectors (tok);
}

static void
test_vectors_llama2c (void)
{
  g_autoptr (SmTokenizer) tok = load_llama2c ("tokenizer.bin", 32000);

  if (tok == NULL)
    return;
  g_assert_cmpint (sm_tokenizer_n_vocab (tok), ==, 32000);
  check_vectors (tok);
}

/* ---- the two spellings of one vocabulary ----------------------------------------------------- */

static void
assert_same_vocab (SmTokenizer *a, SmTokenizer *b)
{
  int n = sm_tokenizer_n_vocab (a);

  g_assert_cmpint (sm_tokenizer_n_vocab (b), ==, n);
  g_assert_cmpint (sm_tokenizer_bos (a), ==, sm_tokenizer_bos (b));
  g_assert_cmpint (sm_tokenizer_eos (a), ==, sm_tokenizer_eos (b));
  g_assert_cmpint (sm_tokenizer_unk (a), ==, sm_tokenizer_unk (b));
  for (gint32 i = 0; i < n; i++)
    {
      gsize la, lb;
      const char *ba = sm_tokenizer_token_bytes (a, i, &la);
      const char *bb = sm_tokenizer_token_bytes (b, i, &lb);

      g_assert_cmpstr (sm_tokenizer_token_piece (a, i), ==, sm_tokenizer_token_piece (b, i));
      g_assert_cmpfloat (sm_tokenizer_token_score (a, i), ==, sm_tokenizer_token_score (b, i));
      g_assert_cmpint (sm_tokenizer_token_type (a, i), ==, sm_tokenizer_token_type (b, i));
      g_assert_cmpmem (ba, la, bb, lb);
    }
}

static void
test_llama2c_equals_gguf (void)
{
  g_autoptr (SmTokenizer) big_gguf = load_gguf_vocab ("ggml-vocab-llama-spm.gguf");
  g_autoptr (SmTokenizer) big_bin = big_gguf ? load_llama2c ("tokenizer.bin", 32000) : NULL;
  g_autoptr (SmTokenizer) small_gguf = big_bin ? load_gguf_vocab ("stories260K.gguf") : NULL;
  g_autoptr (SmTokenizer) small_bin = small_gguf ? load_llama2c ("tok512.bin", 512) : NULL;

  if (small_bin == NULL)
    return;
  assert_same_vocab (big_gguf, big_bin);
  assert_same_vocab (small_gguf, small_bin);

  /* A few pieces, spelled as SentencePiece does. */
  g_assert_cmpstr (sm_tokenizer_token_piece (big_bin, 1), ==, "<s>");
  g_assert_cmpstr (sm_tokenizer_token_piece (big_bin, 2), ==, "</s>");
  g_assert_cmpstr (sm_tokenizer_token_piece (big_bin, 13), ==, "<0x0A>");
  g_assert_cmpstr (sm_tokenizer_token_piece (big_bin, 15043), ==, "▁Hello");
  g_assert_cmpint (sm_tokenizer_token_type (big_bin, 13), ==, SM_TOKEN_TYPE_BYTE);
  g_assert_cmpstr (sm_tokenizer_token_bytes (big_bin, 13, NULL), ==, "\n");
  g_assert_cmpstr (sm_tokenizer_token_bytes (big_bin, 15043, NULL), ==, " Hello");
  g_assert_cmpstr (sm_tokenizer_token_bytes (big_bin, 1, NULL), ==, "");
  g_assert_cmpstr (sm_tokenizer_token_bytes (big_bin, 0, NULL), ==, "▅");
  g_assert_null (sm_tokenizer_token_piece (big_bin, 32000));
  g_assert_null (sm_tokenizer_token_piece (big_bin, -1));
}

static void
test_stories260k (void)
{
  g_autoptr (SmTokenizer) gguf = load_gguf_vocab ("stories260K.gguf");
  g_autoptr (SmTokenizer) bin = gguf ? load_llama2c ("tok512.bin", 512) : NULL;
  g_autoptr (GArray) a = NULL, b = NULL;
  g_autofree char *text = NULL;

  if (bin == NULL)
    return;
  g_assert_cmpint (sm_tokenizer_n_vocab (gguf), ==, 512);
  a = encode (gguf, "Once upon a time", -1, TRUE);
  b = encode (bin, "Once upon a time", -1, TRUE);
  g_assert_cmpuint (a->len, >=, 2);
  g_assert_cmpint (g_array_index (a, gint32, 0), ==, 1);   /* llama2.c prepends BOS = 1 */
  g_assert_cmpmem (a->data, a->len * sizeof (gint32), b->data, b->len * sizeof (gint32));
  {
    g_autofree char *s = ids_to_string ((gint32 *) a->data, a->len);
    g_test_message ("\"Once upon a time\" ->%s", s);
  }
  text = detokenize (bin, (gint32 *) a->data, a->len, -1);
  g_assert_cmpstr (text, ==, "Once upon a time");
}

/* ---- a naive SPM encoder to compare with ----------------------------------------------------- */

/* The rescan-everything form of the same algorithm: merge the best-scoring adjacent pair
 * (leftmost on ties) until none is a piece, then fall back to bytes. */
static GArray *
naive_spm_encode (SmTokenizer *tok, GHashTable *index, const char *text)
{
  g_autoptr (GPtrArray) sym = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) esc = g_string_new ("▁");
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint32));

  if (*text == '\0')
    return out;
  for (const char *p = text; *p; p++)
    {
      if (*p == ' ')
        g_string_append (esc, "▁");
      else
        g_string_append_c (esc, *p);
    }
  for (const char *p = esc->str; *p; p = g_utf8_next_char (p))
    g_ptr_array_add (sym, g_strndup (p, g_utf8_next_char (p) - p));

  for (;;)
    {
      int best = -1;
      float best_score = 0;

      for (guint i = 0; i + 1 < sym->len; i++)
        {
          g_autofree char *m = g_strconcat (sym->pdata[i], sym->pdata[i + 1], NULL);
          gpointer id;
          if (g_hash_table_lookup_extended (index, m, NULL, &id))
            {
              float s = sm_tokenizer_token_score (tok, GPOINTER_TO_INT (id));
              if (best < 0 || s > best_score)
                best = (int) i, best_score = s;
            }
        }
      if (best < 0)
        break;
      {
        char *m = g_strconcat (sym->pdata[best], sym->pdata[best + 1], NULL);
        g_free (sym->pdata[best]);
        sym->pdata[best] = m;
        g_ptr_array_remove_index (sym, best + 1);
      }
    }
  for (guint i = 0; i < sym->len; i++)
    {
      gpointer id;
      if (g_hash_table_lookup_extended (index, sym->pdata[i], NULL, &id))
        g_array_append_vals (out, &(gint32) { GPOINTER_TO_INT (id) }, 1);
      else
        for (const guint8 *c = sym->pdata[i]; *c; c++)
          g_array_append_vals (out, &(gint32) { 3 + *c }, 1);   /* <0x00> is id 3 */
    }
  return out;
}

static void
test_spm_matches_naive (void)
{
  g_autoptr (SmTokenizer) tok = load_llama2c ("tokenizer.bin", 32000);
  g_autoptr (GHashTable) index = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (1234);
  static const char *const alphabet[] = {
    "a", "e", "t", "h", "s", "n", "o", " ", " ", "  ", "the", "ing", "er", "3", ".", "'",
    "\n", "\t", "é", "ß", "日", "本", "語", "🚀", "ភា", "x", "z", "Q",
  };

  if (tok == NULL)
    return;
  index = g_hash_table_new (g_str_hash, g_str_equal);
  for (gint32 i = 0; i < sm_tokenizer_n_vocab (tok); i++)
    if (sm_tokenizer_token_type (tok, i) == SM_TOKEN_TYPE_NORMAL)
      g_hash_table_insert (index, (gpointer) sm_tokenizer_token_piece (tok, i), GINT_TO_POINTER (i));

  for (int iter = 0; iter < 200; iter++)
    {
      g_autoptr (GString) text = g_string_new (NULL);
      int n = g_rand_int_range (rand, 0, 60);

      for (int k = 0; k < n; k++)
        g_string_append (text, alphabet[g_rand_int_range (rand, 0, G_N_ELEMENTS (alphabet))]);
      g_autoptr (GArray) got = encode (tok, text->str, -1, FALSE);
      g_autoptr (GArray) want = naive_spm_encode (tok, index, text->str);
      g_assert_cmpmem (got->data, got->len * sizeof (gint32), want->data, want->len * sizeof (gint32));
    }
}

/* ---- round trips ----------------------------------------------------------------------------- */

static void
assert_roundtrip (SmTokenizer *tok, const char *text, gsize len)
{
  g_autoptr (GArray) ids = encode (tok, text, (gssize) len, TRUE);
  g_autofree char *back = NULL, *streamed = NULL;
  gsize back_len;

  for (guint i = 0; i < ids->len; i++)
    {
      gint32 id = g_array_index (ids, gint32, i);
      g_assert_cmpint (id, >=, 0);
      g_assert_cmpint (id, <, sm_tokenizer_n_vocab (tok));
    }
  back = sm_tokenizer_decode (tok, (gint32 *) ids->data, ids->len, &back_len);
  g_assert_cmpmem (back, back_len, text, len);
  if (g_utf8_validate (text, (gssize) len, NULL))
    {
      streamed = detokenize (tok, (gint32 *) ids->data, ids->len, -1);
      g_assert_cmpmem (streamed, strlen (streamed), text, len);
    }
}

static SmTokenizer *
trained_bpe (guint n_merges)
{
  g_autoptr (GString) corpus = g_string_new (NULL);
  g_autoptr (GArray) merges = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GError) error = NULL;
  SmTokenizer *tok;

  for (guint i = 0; i < G_N_ELEMENTS (roundtrip_texts); i++)
    for (int k = 0; k < 20; k++)
      g_string_append (corpus, roundtrip_texts[i]);
  g_assert_true (sm_bpe_train ((const guint8 *) corpus->str, corpus->len, n_merges, merges, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (merges->len, ==, 2 * n_merges);
  tok = sm_tokenizer_new_bpe ((gint32 *) merges->data, merges->len / 2, &error);
  g_assert_no_error (error);
  return tok;
}

static void
test_roundtrip_texts (void)
{
  g_autoptr (SmTokenizer) bytes = sm_tokenizer_new_bytes ();
  g_autoptr (SmTokenizer) bpe = trained_bpe (100);
  g_autoptr (SmTokenizer) spm = load_llama2c ("tok512.bin", 512);
  g_autoptr (SmTokenizer) spm_big = load_llama2c ("tokenizer.bin", 32000);
  SmTokenizer *all[] = { bytes, bpe, spm, spm_big };

  for (guint t = 0; t < G_N_ELEMENTS (all); t++)
    {
      if (all[t] == NULL)
        continue;
      for (guint i = 0; i < G_N_ELEMENTS (roundtrip_texts); i++)
        assert_roundtrip (all[t], roundtrip_texts[i], strlen (roundtrip_texts[i]));
      /* Embedded NUL and the empty text. */
      assert_roundtrip (all[t], "a\0b", 3);
      assert_roundtrip (all[t], "", 0);
    }
  /* Byte-level kinds take any bytes; SPM too, through its byte tokens. */
  for (guint t = 0; t < G_N_ELEMENTS (all); t++)
    if (all[t])
      {
        static const char invalid[] = "\xff\xfe invalid \xc3 utf-8 \xe2\x82";
        assert_roundtrip (all[t], invalid, sizeof invalid - 1);
      }
}

static void
test_roundtrip_random_bytes (void)
{
  g_autoptr (SmTokenizer) bytes = sm_tokenizer_new_bytes ();
  g_autoptr (SmTokenizer) bpe = trained_bpe (200);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);

  for (int iter = 0; iter < 300; iter++)
    {
      guint8 buf[256];
      gsize n = (gsize) g_rand_int_range (rand, 0, sizeof buf);
      /* Half the strings from a small alphabet, so merges actually fire. */
      gboolean small = iter % 2;

      for (gsize i = 0; i < n; i++)
        buf[i] = small ? (guint8) " aeinost"[g_rand_int_range (rand, 0, 8)]
                       : (guint8) g_rand_int_range (rand, 0, 256);
      assert_roundtrip (bytes, (const char *) buf, n);
      assert_roundtrip (bpe, (const char *) buf, n);
      {
        g_autoptr (GArray) ids = encode (bytes, (const char *) buf, (gssize) n, TRUE);
        g_assert_cmpuint (ids->len, ==, n);   /* BYTES has no BOS */
        for (gsize i = 0; i < n; i++)
          g_assert_cmpint (g_array_index (ids, gint32, i), ==, buf[i]);
      }
    }
}

/* ---- the detokenizer ------------------------------------------------------------------------- */

/* Pushes each byte as its own token (BYTES), returns everything emitted. */
static char *
detok_bytes (SmTokenizer *bytes, const char *s, gsize n)
{
  g_autoptr (GArray) ids = encode (bytes, s, (gssize) n, FALSE);
  return detokenize (bytes, (gint32 *) ids->data, ids->len, -1);
}

static void
test_detokenizer_utf8 (void)
{
  g_autoptr (SmTokenizer) bytes = sm_tokenizer_new_bytes ();
  g_autoptr (SmTokenizer) spm = load_llama2c ("tok512.bin", 512);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  /* Expected per the Unicode "maximal subpart" practice (what Python's errors="replace"
   * gives). */
  static const struct { const char *in; gsize n; const char *out; } cases[] = {
    { "\xe2\x82" "A", 3, "\xef\xbf\xbd" "A" },
    { "\xf0\x9f\x98", 3, "\xef\xbf\xbd" },                         /* truncated at the end */
    { "\xff", 1, "\xef\xbf\xbd" },
    { "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },                 /* overlong */
    { "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },  /* surrogate */
    { "\xf4\x90\x80\x80", 4,
      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },         /* past U+10FFFF */
    { "a\x80z", 3, "a\xef\xbf\xbdz" },
    { "\xf0\x9f\x9a\x80", 4, "🚀" },
    { "\xe6\x97\xa5\xe6\x9c", 5, "日\xef\xbf\xbd" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = detok_bytes (bytes, cases[i].in, cases[i].n);
      g_assert_cmpstr (got, ==, cases[i].out);
    }

  /* Random bytes one at a time: every chunk valid (checked in detokenize), valid input back
   * unchanged. */
  for (int iter = 0; iter < 500; iter++)
    {
      guint8 buf[64];
      gsize n = (gsize) g_rand_int_range (rand, 0, sizeof buf);
      g_autofree char *got = NULL;

      for (gsize i = 0; i < n; i++)
        buf[i] = (guint8) g_rand_int_range (rand, 1, 256);   /* no NUL: g_utf8_validate */
      got = detok_bytes (bytes, (const char *) buf, n);
      if (g_utf8_validate ((const char *) buf, (gssize) n, NULL))
        g_assert_cmpmem (got, strlen (got), buf, n);
    }

  if (spm == NULL)
    return;
  /* SPM with byte-fallback tokens: tok512 has no piece for these characters. */
  {
    const char *text = "日本 🚀 😶‍🌫️ naïve";
    g_autoptr (GArray) ids = encode (spm, text, -1, TRUE);
    g_autofree char *got = detokenize (spm, (gint32 *) ids->data, ids->len, -1);
    guint n_byte_tokens = 0;

    for (guint i = 0; i < ids->len; i++)
      n_byte_tokens += sm_tokenizer_token_type (spm, g_array_index (ids, gint32, i)) == SM_TOKEN_TYPE_BYTE;
    g_assert_cmpuint (n_byte_tokens, >=, 10);
    g_assert_cmpstr (got, ==, text);

    /* Cut inside the rocket's four byte tokens: the held bytes become one U+FFFD at flush. */
    for (guint cut = 1; cut < ids->len; cut++)
      {
        g_autofree char *part = detokenize (spm, (gint32 *) ids->data, cut, -1);
        g_assert_true (g_utf8_validate (part, -1, NULL));
      }
  }

  /* The leading space is dropped only right after BOS. */
  {
    g_autoptr (GArray) ids = encode (spm, "Once upon", -1, FALSE);
    g_autofree char *after_bos = detokenize (spm, (gint32 *) ids->data, ids->len, 1);
    g_autofree char *mid_text = detokenize (spm, (gint32 *) ids->data, ids->len, 400);
    g_assert_cmpstr (after_bos, ==, "Once upon");
    g_assert_cmpstr (mid_text, ==, " Once upon");
  }
}

/* ---- SPM from arrays ------------------------------------------------------------------------- */

static void
test_spm_arrays (void)
{
  /* No byte tokens: what has no piece becomes UNK. */
  static const char *const pieces[] = { "<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "▁ab" };
  static const float scores[] = { 0, 0, 0, -1, -2, -2, -1, -3, -0.5f };
  SmSpmVocab v = {
    .n_vocab = G_N_ELEMENTS (pieces), .pieces = pieces, .scores = scores,
    .bos_id = 1, .eos_id = 2, .unk_id = 0, .add_bos = TRUE, .add_space_prefix = TRUE,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_spm (&v, &error);
  g_autoptr (GArray) ids = NULL;
  g_autoptr (SmTokenizer) no_unk = NULL;
  g_autoptr (GArray) ids2 = g_array_new (FALSE, FALSE, sizeof (gint32));

  g_assert_no_error (error);
  g_assert_cmpint (sm_tokenizer_token_type (tok, 0), ==, SM_TOKEN_TYPE_UNKNOWN);
  g_assert_cmpint (sm_tokenizer_token_type (tok, 1), ==, SM_TOKEN_TYPE_CONTROL);
  g_assert_cmpint (sm_tokenizer_token_type (tok, 4), ==, SM_TOKEN_TYPE_NORMAL);
  g_assert_true (sm_tokenizer_is_end (tok, 2));
  g_assert_false (sm_tokenizer_is_end (tok, 1));

  /* "▁ab": ▁+a (-1) beats a+b (-3); then ▁a+b makes ▁ab.  "c" and "é" are UNK, once each. */
  ids = encode (tok, "ab cé", -1, TRUE);
  {
    const gint32 want[] = { 1, 8, 3, 0, 0 };
    g_assert_cmpmem (ids->data, ids->len * sizeof (gint32), want, sizeof want);
  }

  v.unk_id = -1;
  no_unk = sm_tokenizer_new_spm (&v, &error);
  g_assert_no_error (error);
  g_assert_false (sm_tokenizer_encode (no_unk, "abc", -1, FALSE, ids2, &error));
  g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_ENCODE);
  g_clear_error (&error);

  v.bos_id = 9;   /* out of range */
  g_assert_null (sm_tokenizer_new_spm (&v, &error));
  g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT);
}

/* ---- GGUF vocabularies written here ---------------------------------------------------------- */

static SmTokenizer *
tokenizer_from_written_gguf (SmGgufWriter *w, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-tok-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "vocab.gguf", NULL);
  g_autoptr (SmGguf) gguf = NULL;
  g_autoptr (GError) local = NULL;
  SmTokenizer *tok;

  g_assert_true (sm_gguf_writer_write (w, path, &local));
  g_assert_no_error (local);
  gguf = sm_gguf_open (path, &local);
  g_assert_no_error (local);
  tok = sm_tokenizer_new_from_gguf (gguf, error);
  g_unlink (path);
  g_rmdir (dir);
  return tok;
}

static void
test_gguf_defaults_and_errors (void)
{
  g_autoptr (GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (pieces, g_strdup ("<unk>"));
  g_ptr_array_add (pieces, g_strdup ("<s>"));
  g_ptr_array_add (pieces, g_strdup ("</s>"));
  for (int b = 0; b < 256; b++)
    g_ptr_array_add (pieces, g_strdup_printf ("<0x%02X>", b));
  g_ptr_array_add (pieces, g_strdup ("▁hi"));
  g_ptr_array_add (pieces, g_strdup ("▁h"));   /* SPM only reaches ▁hi through ▁h or hi */

  /* Only the model and the tokens: llama.cpp's defaults, types inferred. */
  {
    g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
    g_autoptr (SmTokenizer) tok = NULL;
    g_autoptr (GArray) ids = NULL;

    sm_gguf_writer_set_string (w, "tokenizer.ggml.model", "llama");
    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.tokens",
                                     (const char *const *) pieces->pdata, pieces->len);
    tok = tokenizer_from_written_gguf (w, &error);
    g_assert_no_error (error);
    g_assert_cmpint (sm_tokenizer_n_vocab (tok), ==, 261);
    g_assert_cmpint (sm_tokenizer_bos (tok), ==, 1);
    g_assert_cmpint (sm_tokenizer_eos (tok), ==, 2);
    g_assert_true (sm_tokenizer_get_add_bos (tok));
    g_assert_cmpint (sm_tokenizer_token_type (tok, 3 + 'A'), ==, SM_TOKEN_TYPE_BYTE);
    ids = encode (tok, "hi!", -1, TRUE);
    {
      const gint32 want[] = { 1, 259, 3 + '!' };
      g_assert_cmpmem (ids->data, ids->len * sizeof (gint32), want, sizeof want);
    }
  }

  /* Explicit settings win. */
  {
    g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
    g_autoptr (SmTokenizer) tok = NULL;
    g_autoptr (GArray) ids = NULL;

    sm_gguf_writer_set_string (w, "tokenizer.ggml.model", "llama");
    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.tokens",
                                     (const char *const *) pieces->pdata, pieces->len);
    sm_gguf_writer_set_u32 (w, "tokenizer.ggml.bos_token_id", 2);
    sm_gguf_writer_set_u32 (w, "tokenizer.ggml.eos_token_id", 99999);   /* out of range: default */
    sm_gguf_writer_set_bool (w, "tokenizer.ggml.add_bos_token", FALSE);
    sm_gguf_writer_set_bool (w, "tokenizer.ggml.add_space_prefix", FALSE);
    tok = tokenizer_from_written_gguf (w, &error);
    g_assert_no_error (error);
    g_assert_cmpint (sm_tokenizer_bos (tok), ==, 2);
    g_assert_cmpint (sm_tokenizer_eos (tok), ==, 2);
    g_assert_false (sm_tokenizer_get_add_bos (tok));
    ids = encode (tok, "hi", -1, FALSE);
    {
      const gint32 want[] = { 3 + 'h', 3 + 'i' };   /* no ▁ in front, so no "▁hi" */
      g_assert_cmpmem (ids->data, ids->len * sizeof (gint32), want, sizeof want);
    }
  }

  /* Another kind of vocabulary; GPT-2's without its merges; scores that do not match the
   * tokens; no vocabulary. */
  {
    g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
    sm_gguf_writer_set_string (w, "tokenizer.ggml.model", "t5");
    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.tokens",
                                     (const char *const *) pieces->pdata, pieces->len);
    g_assert_null (tokenizer_from_written_gguf (w, &error));
    g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (error->message, "t5"));
    g_clear_error (&error);
  }
  {
    g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
    sm_gguf_writer_set_string (w, "tokenizer.ggml.model", "gpt2");
    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.tokens",
                                     (const char *const *) pieces->pdata, pieces->len);
    g_assert_null (tokenizer_from_written_gguf (w, &error));
    g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT);
    g_clear_error (&error);
  }
  {
    g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
    const float scores[3] = { 0 };
    sm_gguf_writer_set_string (w, "tokenizer.ggml.model", "llama");
    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.tokens",
                                     (const char *const *) pieces->pdata, pieces->len);
    sm_gguf_writer_set_f32_array (w, "tokenizer.ggml.scores", scores, 3);
    g_assert_null (tokenizer_from_written_gguf (w, &error));
    g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT);
    g_clear_error (&error);
  }
  {
    g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
    sm_gguf_writer_set_string (w, "general.name", "no vocabulary");
    g_assert_null (tokenizer_from_written_gguf (w, &error));
    g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT);
    g_clear_error (&error);
  }
}

static void
test_llama2c_errors (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-tok-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "tokenizer.bin", NULL);
  g_autofree char *src = sm_test_shared_model ("tok512.bin");
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gsize size;

  g_assert_null (sm_tokenizer_new_llama2c (path, 512, &error));
  g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_IO);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, "\x07\x00", 2, NULL));
  g_assert_null (sm_tokenizer_new_llama2c (path, 512, &error));
  g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT);
  g_clear_error (&error);

  if (src != NULL)
    {
      g_autoptr (SmTokenizer) all = NULL;

      g_assert_true (g_file_get_contents (src, &data, &size, NULL));
      /* Every truncation fails cleanly (ASan watches the reads). */
      for (gsize cut = 0; cut < size; cut += 1 + cut / 7)
        {
          g_assert_true (g_file_set_contents (path, data, (gssize) cut, NULL));
          g_assert_null (sm_tokenizer_new_llama2c (path, 512, &error));
          g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT);
          g_clear_error (&error);
        }
      /* A length past the end. */
      memcpy (data + 4 + 4, &(gint32) { 1 << 30 }, 4);
      g_assert_true (g_file_set_contents (path, data, (gssize) size, NULL));
      g_assert_null (sm_tokenizer_new_llama2c (path, 512, &error));
      g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT);
      g_clear_error (&error);

      /* vocab_size <= 0 reads to the end. */
      all = sm_tokenizer_new_llama2c (src, 0, &error);
      g_assert_no_error (error);
      g_assert_cmpint (sm_tokenizer_n_vocab (all), ==, 512);

      /* Another model's tokenizer: more tokens than the model's vocabulary is refused, with
       * both counts, rather than read in part (its text would be nonsense). */
      g_assert_null (sm_tokenizer_new_llama2c (src, 300, &error));
      g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, "holds 512 tokens"));
      g_assert_nonnull (strstr (error->message, "vocabulary is 300"));
      g_clear_error (&error);
    }
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- BPE ------------------------------------------------------------------------------------- */

/* Reference trainer, the textbook loop: count every adjacent pair, merge the most frequent
 * (lowest ids on ties) left to right over the whole sequence, repeat. */
static GArray *
naive_train (const guint8 *text, gsize len, guint n_merges, GArray **final_ids)
{
  GArray *merges = g_array_new (FALSE, FALSE, sizeof (gint32));
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GHashTable) counts = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (gsize i = 0; i < len; i++)
    g_array_append_vals (ids, &(gint32) { text[i] }, 1);
  for (guint m = 0; m < n_merges; m++)
    {
      GHashTableIter it;
      gpointer k, v;
      guint best = 0, best_n = 0;
      gint32 a, b, new_id = (gint32) (256 + m);
      GArray *next = g_array_new (FALSE, FALSE, sizeof (gint32));

      g_hash_table_remove_all (counts);
      for (guint i = 0; i + 1 < ids->len; i++)
        {
          guint key = (guint) g_array_index (ids, gint32, i) << 16 | (guint) g_array_index (ids, gint32, i + 1);
          guint c = GPOINTER_TO_UINT (g_hash_table_lookup (counts, GUINT_TO_POINTER (key))) + 1;
          g_hash_table_insert (counts, GUINT_TO_POINTER (key), GUINT_TO_POINTER (c));
        }
      g_hash_table_iter_init (&it, counts);
      while (g_hash_table_iter_next (&it, &k, &v))
        if (GPOINTER_TO_UINT (v) > best_n || (GPOINTER_TO_UINT (v) == best_n && GPOINTER_TO_UINT (k) < best))
          best = GPOINTER_TO_UINT (k), best_n = GPOINTER_TO_UINT (v);
      if (best_n < 2)
        {
          g_array_unref (next);
          break;
        }
      a = (gint32) (best >> 16);
      b = (gint32) (best & 0xffff);
      g_array_append_val (merges, a);
      g_array_append_val (merges, b);
      for (guint i = 0; i < ids->len; i++)
        {
          if (i + 1 < ids->len && g_array_index (ids, gint32, i) == a && g_array_index (ids, gint32, i + 1) == b)
            {
              g_array_append_val (next, new_id);
              i++;
            }
          else
            g_array_append_val (next, g_array_index (ids, gint32, i));
        }
      g_array_unref (ids);
      ids = next;
    }
  if (final_ids)
    *final_ids = ids;
  else
    g_array_unref (ids);
  return merges;
}

static void
test_bpe_train_small (void)
{
  static const char text[] = "aaabdaaabac";
  g_autoptr (GArray) merges = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = NULL;
  g_autoptr (GArray) ids = NULL;
  /* aa -> 256; then (a,b) and (256,a) both occur twice and (97, 98) is lower; then 256 257. */
  const gint32 want[] = { 'a', 'a', 'a', 'b', 256, 257 };
  const gint32 want_ids[] = { 258, 'd', 258, 'a', 'c' };

  g_assert_true (sm_bpe_train ((const guint8 *) text, strlen (text), 10, merges, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (merges->data, merges->len * sizeof (gint32), want, sizeof want);

  tok = sm_tokenizer_new_bpe ((gint32 *) merges->data, merges->len / 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sm_tokenizer_n_vocab (tok), ==, 259);
  g_assert_cmpstr (sm_tokenizer_token_piece (tok, 258), ==, "aaab");
  g_assert_cmpint (sm_tokenizer_bos (tok), ==, -1);
  g_assert_false (sm_tokenizer_get_add_bos (tok));
  ids = encode (tok, text, -1, TRUE);
  g_assert_cmpmem (ids->data, ids->len * sizeof (gint32), want_ids, sizeof want_ids);
  {
    gsize n;
    const gint32 *m = sm_tokenizer_get_merges (tok, &n);
    g_assert_cmpuint (n, ==, 3);
    g_assert_cmpmem (m, n * 2 * sizeof (gint32), want, sizeof want);
  }
}

static void
test_bpe_train_matches_naive (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);

  for (int iter = 0; iter < 12; iter++)
    {
      g_autoptr (GString) text = g_string_new (NULL);
      g_autoptr (GArray) fast = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr (GArray) slow = NULL, slow_ids = NULL, ids = NULL;
      g_autoptr (SmTokenizer) tok = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *back = NULL;
      gsize back_len;
      /* Long runs of one letter test the overlapping case; words test ordinary merging. */
      static const char *const words[] = { "the ", "cat ", "sat ", "aaaaaaa", "ab", "ba", "\xe6\x97\xa5", "zz" };
      int n = g_rand_int_range (rand, 50, 2000);

      for (int k = 0; k < n; k++)
        g_string_append (text, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
      g_assert_true (sm_bpe_train ((const guint8 *) text->str, text->len, 60, fast, &error));
      g_assert_no_error (error);
      slow = naive_train ((const guint8 *) text->str, text->len, 60, &slow_ids);
      g_assert_cmpmem (fast->data, fast->len * sizeof (gint32), slow->data, slow->len * sizeof (gint32));

      /* Encoding the training text lands where training did. */
      tok = sm_tokenizer_new_bpe ((gint32 *) fast->data, fast->len / 2, &error);
      g_assert_no_error (error);
      ids = encode (tok, text->str, (gssize) text->len, FALSE);
      g_assert_cmpmem (ids->data, ids->len * sizeof (gint32), slow_ids->data, slow_ids->len * sizeof (gint32));
      g_assert_cmpuint (ids->len, <, text->len);
      back = sm_tokenizer_decode (tok, (gint32 *) ids->data, ids->len, &back_len);
      g_assert_cmpmem (back, back_len, text->str, text->len);
    }
}

static void
test_bpe_reduces_tokens (void)
{
  g_autoptr (SmTokenizer) tok = trained_bpe (100);
  g_autoptr (GArray) ids = NULL;
  const char *text = roundtrip_texts[0];

  ids = encode (tok, text, -1, FALSE);
  g_test_message ("%zu bytes -> %u tokens", strlen (text), ids->len);
  g_assert_cmpuint (ids->len, <=, strlen (text) * 2 / 3);
  g_assert_cmpstr (sm_tokenizer_kind_name (tok), ==, "byte-level BPE");
}

static void
test_bpe_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) out = g_array_new (FALSE, FALSE, sizeof (gint32));
  const gint32 future[] = { 'a', 'b', 256, 257 };   /* 257 does not exist yet at merge 1 */
  const gint32 repeat[] = { 'a', 'b', 'a', 'b' };
  const gint32 negative[] = { -1, 'b' };

  g_assert_null (sm_tokenizer_new_bpe (future, 2, &error));
  g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT);
  g_clear_error (&error);
  g_assert_null (sm_tokenizer_new_bpe (repeat, 2, &error));
  g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT);
  g_clear_error (&error);
  g_assert_null (sm_tokenizer_new_bpe (negative, 1, &error));
  g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT);
  g_clear_error (&error);
  g_assert_false (sm_bpe_train ((const guint8 *) "ab", 2, SM_BPE_MAX_MERGES + 1, out, &error));
  g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_UNSUPPORTED);
  g_clear_error (&error);

  /* Nothing to learn from: no merges, no error. */
  g_assert_true (sm_bpe_train ((const guint8 *) "", 0, 10, out, &error));
  g_assert_true (sm_bpe_train ((const guint8 *) "abcdef", 6, 10, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 0);
  {
    /* No merges at all is the bytes tokenizer. */
    g_autoptr (SmTokenizer) tok = sm_tokenizer_new_bpe (NULL, 0, &error);
    g_autoptr (GArray) ids = encode (tok, "xyz", -1, TRUE);
    g_assert_no_error (error);
    g_assert_cmpuint (ids->len, ==, 3);
  }
}

/* Long prompts: thousands of characters, including the worst case for pair merging (one
 * letter repeated), must encode without rescanning (this would take minutes if quadratic in a
 * bad way; it is not timed). */
static void
test_long_prompts (void)
{
  g_autoptr (SmTokenizer) spm = load_llama2c ("tokenizer.bin", 32000);
  g_autoptr (SmTokenizer) bpe = trained_bpe (200);
  g_autoptr (GString) text = g_string_new (NULL);

  for (int i = 0; i < 20000; i++)
    g_string_append_c (text, 'a');
  for (int i = 0; i < 2000; i++)
    g_string_append (text, "The quick brown fox jumps over the lazy dog. 日本語 ");
  assert_roundtrip (bpe, text->str, text->len);
  if (spm)
    assert_roundtrip (spm, text->str, text->len);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Tokenizer/llama-vectors/gguf", test_vectors_gguf);
  g_test_add_func ("/Tokenizer/llama-vectors/llama2c", test_vectors_llama2c);
  g_test_add_func ("/Tokenizer/llama2c-equals-gguf", test_llama2c_equals_gguf);
  g_test_add_func ("/Tokenizer/stories260K/once-upon-a-time", test_stories260k);
  g_test_add_func ("/Tokenizer/spm/matches-naive", test_spm_matches_naive);
  g_test_add_func ("/Tokenizer/spm/arrays", test_spm_arrays);
  g_test_add_func ("/Tokenizer/spm/gguf-defaults-and-errors", test_gguf_defaults_and_errors);
  g_test_add_func ("/Tokenizer/spm/llama2c-errors", test_llama2c_errors);
  g_test_add_func ("/Tokenizer/roundtrip/texts", test_roundtrip_texts);
  g_test_add_func ("/Tokenizer/roundtrip/random-bytes", test_roundtrip_random_bytes);
  g_test_add_func ("/Tokenizer/detokenizer/utf8", test_detokenizer_utf8);
  g_test_add_func ("/Tokenizer/bpe/train-small", test_bpe_train_small);
  g_test_add_func ("/Tokenizer/bpe/train-matches-naive", test_bpe_train_matches_naive);
  g_test_add_func ("/Tokenizer/bpe/reduces-tokens", test_bpe_reduces_tokens);
  g_test_add_func ("/Tokenizer/bpe/errors", test_bpe_errors);
  g_test_add_func ("/Tokenizer/long-prompts", test_long_prompts);

  return g_test_run ();
}
