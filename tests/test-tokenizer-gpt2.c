/* test-tokenizer-gpt2.c: the GPT2 kind and its pre-tokenizers beyond llama.cpp's vectors
 * (test-tokenizer-vectors.c): each hand-written matcher against llama.cpp's regex run through
 * GRegex, merging against a naive string BPE, byte-exact round trips of any bytes, special
 * tokens, and vocabularies that are broken or name a pre-tokenizer not known here.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "sm-detokenizer.h"
#include "sm-gguf.h"
#include "sm-pretokenizer-private.h"
#include "sm-test-util.h"
#include "sm-tokenizer.h"

/* ---- helpers --------------------------------------------------------------------------------- */

static SmTokenizer *
load_shared (const char *name)
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
  return tok;
}

static GArray *
encode (SmTokenizer *tok, const char *text, gssize len, gboolean special)
{
  g_autoptr (GError) error = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));

  if (special)
    g_assert_true (sm_tokenizer_encode_special (tok, text, len, FALSE, ids, &error));
  else
    g_assert_true (sm_tokenizer_encode (tok, text, len, FALSE, ids, &error));
  g_assert_no_error (error);
  return ids;
}

static gboolean
ids_equal (GArray *a, GArray *b)
{
  return a->len == b->len && (a->len == 0 || memcmp (a->data, b->data, a->len * sizeof (gint32)) == 0);
}

static gboolean
contains_id (GArray *ids, gint32 id)
{
  for (guint i = 0; i < ids->len; i++)
    if (g_array_index (ids, gint32, i) == id)
      return TRUE;
  return FALSE;
}

static void
assert_roundtrip (SmTokenizer *tok, const char *text, gsize len)
{
  g_autoptr (GArray) ids = encode (tok, text, (gssize) len, FALSE);
  gsize n;
  g_autofree char *back = sm_tokenizer_decode (tok, (gint32 *) ids->data, ids->len, &n);

  if (n != len || memcmp (back, text, len) != 0)
    {
      g_autofree char *a = g_strescape (text, NULL), *b = g_strescape (back, NULL);
      g_error ("\"%s\" decodes back as \"%s\"", a, b);
    }
}

/* GPT-2's byte alphabet, written out again here: byte b as its character's UTF-8. */
static char *
alphabet_char (guint8 b)
{
  static guint16 to_cpt[256];
  static gboolean done;
  char out[8];
  gint n;

  if (!done)
    {
      guint next = 256;
      for (guint c = 0; c < 256; c++)
        {
          gboolean printable = (c >= 0x21 && c <= 0x7e) || (c >= 0xa1 && c <= 0xac) || c >= 0xae;
          to_cpt[c] = (guint16) (printable ? c : next++);
        }
      done = TRUE;
    }
  n = g_unichar_to_utf8 (to_cpt[b], out);
  return g_strndup (out, (gsize) n);
}

/* ---- the matchers against their regexes ------------------------------------------------------ */

/* Pieces random text is made of: every class the regexes tell apart, their borders (white
 * space before letters, digits in runs, quotes before letters of either case), characters
 * NFC would change or whose class is not what they look like, and broken UTF-8. */
static const char *const pieces[] = {
  "a", "b", "Z", "Hello", "é", "ß", "\xe2\x84\xa6" /* Ω ohm */, "\xe2\x84\xaa" /* Kelvin K */,
  "ǅ", "ʰ", "µ", "Ж", "ж", "ñ", "ὕ", "ᾼ", "日", "本", "가", "ࠀ", "一", "龥", "ｱ", "Ａ",
  " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\xc2\xa0", "\xe3\x80\x80",
  "\xe2\x80\x83", "\xc2\x85", "\xe1\x9a\x80", "\xe2\x80\xa8",
  "0", "7", "42", "١", "½", "²", "Ⅻ", "৩",
  "'", "'s", "'S", "'ll", "'LL", "'Re", "'ve", "'d", "'m", "'t", "'x",
  ".", ",", "!", "?", "-", "_", "(", ")", "{", "[", "]", "$", "+", "<", "=", ">", "^", "~",
  "|", "`", "@", "#", "%", "&", "*", "/", "\\", ":", ";", "\"",
  "“", "”", "—", "…", "！", "：", "‘", "。", "、", "🚀", "😶‍🌫️", "🦙",
  "\xcc\x81" /* combining acute */, "\xe2\x80\x8d" /* ZWJ */, "\xef\xbb\xbf" /* BOM */,
  "\x1b", "\x7f", "\x01",
  "\xff", "\xc3", "\xe2\x82", "\x80", "\xed\xa0\x80" /* a surrogate */, "\xc0\x80",
  "\xf5\x80\x80\x80" /* past U+10FFFF */, "\xf0\x9f",
};

static GString *
random_text (GRand *rand, guint n_pieces)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n_pieces; i++)
    g_string_append (s, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
  return s;
}

static void
collect_end (const char *text, gsize start, gsize end, gpointer data)
{
  GArray *ends = data;

  /* words come in order and cover the text */
  g_assert_cmpuint (start, ==, ends->len ? g_array_index (ends, gsize, ends->len - 1) : 0);
  g_assert_cmpuint (end, >, start);
  g_array_append_val (ends, end);
}

static GArray *
split (const SmPretokenizer *pre, const char *text, gsize len)
{
  GArray *ends = g_array_new (FALSE, FALSE, sizeof (gsize));

  sm_pretokenizer_split (pre, text, len, collect_end, ends);
  if (len > 0)
    g_assert_cmpuint (g_array_index (ends, gsize, ends->len - 1), ==, len);
  return ends;
}

static char *
describe_split (const char *text, GArray *ends)
{
  GString *s = g_string_new (NULL);
  gsize start = 0;

  for (guint i = 0; i < ends->len; i++)
    {
      gsize end = g_array_index (ends, gsize, i);
      g_autofree char *w = g_strndup (text + start, end - start);
      g_autofree char *e = g_strescape (w, NULL);
      g_string_append_printf (s, "%s\"%s\"", i ? " " : "", e);
      start = end;
    }
  return g_string_free (s, FALSE);
}

static void
test_matchers_equal_regex (void)
{
  const char *const *names = sm_pretokenizer_names ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (20241207);

  for (guint k = 0; names[k]; k++)
    {
      g_autoptr (GError) error = NULL;
      SmPretokenizer *fast = sm_pretokenizer_new (names[k], &error);
      SmPretokenizer *ref;

      g_assert_no_error (error);
      ref = sm_pretokenizer_new_reference (names[k], &error);
      g_assert_no_error (error);
      for (guint t = 0; t < 400; t++)
        {
          g_autoptr (GString) text = random_text (rand, (guint) g_rand_int_range (rand, 1, 40));
          g_autoptr (GArray) a = split (fast, text->str, text->len);
          g_autoptr (GArray) b = split (ref, text->str, text->len);

          if (a->len != b->len || memcmp (a->data, b->data, a->len * sizeof (gsize)) != 0)
            {
              g_autofree char *da = describe_split (text->str, a);
              g_autofree char *db = describe_split (text->str, b);
              g_error ("%s: the matcher cuts\n  %s\nthe regex\n  %s", names[k], da, db);
            }
        }
      sm_pretokenizer_free (fast);
      sm_pretokenizer_free (ref);
    }
}

/* A few cuts worked out by hand from the regexes. */
static void
test_known_splits (void)
{
  static const struct {
    const char *pre, *text, *words;   /* words joined by "|" */
  } cases[] = {
    { "gpt-2", "Hello world's  end\n\n x", "Hello| world|'s| | end|\n\n| x" },
    { "gpt-2", "I'M 12345 ok?!", "I|'|M| 12345| ok|?!" },
    { "gpt-2", "  ", "  " },
    { "gpt-2", "a\nb", "a|\n|b" },
    { "llama-bpe", "I'M 12345 ok?!\n\nBye", "I|'M| |123|45| ok|?!\n\n|Bye" },
    { "llama-bpe", "a \n \nb", "a| \n \n|b" },
    { "qwen2", "x1234", "x|1|2|3|4" },
    { "starcoder", "abc123 def", "abc|1|2|3| def" },
    { "falcon", "a.b 12345", "a|.|b| |123|45" },
    { "default", "a.b 12345", "a|.|b| |123|45" },
    { "deepseek-coder", "int x = 42;\n", "int| x| = |4|2|;|\n" },
    { "deepseek-llm", "Hi 世界 42  ", "Hi| |世界| |42|  " },
    { "gpt-4o", "HelloWorld's 12345", "Hello|World's| |123|45" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      SmPretokenizer *pre = sm_pretokenizer_new (cases[i].pre, &error);
      g_autoptr (GArray) ends = NULL;
      g_autoptr (GString) got = g_string_new (NULL);
      gsize start = 0;

      g_assert_no_error (error);
      ends = split (pre, cases[i].text, strlen (cases[i].text));
      for (guint w = 0; w < ends->len; w++)
        {
          gsize end = g_array_index (ends, gsize, w);
          if (w)
            g_string_append_c (got, '|');
          g_string_append_len (got, cases[i].text + start, (gssize) (end - start));
          start = end;
        }
      if (strcmp (got->str, cases[i].words) != 0)
        {
          g_autofree char *a = g_strescape (got->str, NULL), *b = g_strescape (cases[i].words, NULL);
          g_error ("%s cuts \"%s\" as \"%s\", not \"%s\"", cases[i].pre, cases[i].text, a, b);
        }
      sm_pretokenizer_free (pre);
    }
}

/* ---- merging against a naive string BPE ------------------------------------------------------ */

/* The textbook loop: the word as the characters of its bytes, the pair of lowest rank (the
 * leftmost of equals) merged, until no pair has a merge. */
static GArray *
naive_bpe (SmTokenizer *tok, GHashTable *ranks, GHashTable *ids, const guint8 *w, gsize n)
{
  g_autoptr (GPtrArray) sym = g_ptr_array_new_with_free_func (g_free);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint32));

  for (gsize i = 0; i < n; i++)
    g_ptr_array_add (sym, alphabet_char (w[i]));
  for (;;)
    {
      gint best = -1;
      guint best_rank = G_MAXUINT;

      for (guint i = 0; i + 1 < sym->len; i++)
        {
          g_autofree char *key = g_strconcat (sym->pdata[i], " ", sym->pdata[i + 1], NULL);
          gpointer r;
          if (g_hash_table_lookup_extended (ranks, key, NULL, &r) && GPOINTER_TO_UINT (r) < best_rank)
            best_rank = GPOINTER_TO_UINT (r), best = (gint) i;
        }
      if (best < 0)
        break;
      {
        char *m = g_strconcat (sym->pdata[best], sym->pdata[best + 1], NULL);
        g_free (sym->pdata[best]);
        sym->pdata[best] = m;
        g_ptr_array_remove_index (sym, (guint) best + 1);
      }
    }
  for (guint i = 0; i < sym->len; i++)
    {
      gpointer id;
      g_assert_true (g_hash_table_lookup_extended (ids, sym->pdata[i], NULL, &id));
      g_array_append_vals (out, &(gint32) { GPOINTER_TO_INT (id) }, 1);
    }
  return out;
}

static void
test_merges_match_naive (void)
{
  g_autoptr (SmTokenizer) tok = load_shared ("vocab/ggml-vocab-gpt-2.gguf");
  g_autoptr (GHashTable) ranks = NULL, ids = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  static const char *const syllables[] = {
    "the", "ing", "an", "tion", "er", "s", "a", "e", "re", "un", "ab", "st", "o", "q", "zz", "x",
  };
  const gint32 *merges;
  gsize n_merges;

  if (tok == NULL)
    return;
  ranks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ids = g_hash_table_new (g_str_hash, g_str_equal);
  merges = sm_tokenizer_get_merges (tok, &n_merges);
  g_assert_cmpuint (n_merges, ==, 50000);
  for (gsize i = 0; i < n_merges; i++)
    g_hash_table_insert (ranks, g_strconcat (sm_tokenizer_token_piece (tok, merges[2 * i]), " ",
                                             sm_tokenizer_token_piece (tok, merges[2 * i + 1]), NULL),
                         GUINT_TO_POINTER ((guint) i));
  for (gint32 i = 0; i < sm_tokenizer_n_vocab (tok); i++)
    g_hash_table_insert (ids, (gpointer) sm_tokenizer_token_piece (tok, i), GINT_TO_POINTER (i));

  /* one word each (letters only, a space in front), short ones and long ones past the
   * encoder's switch to its heap */
  for (guint t = 0; t < 300; t++)
    {
      g_autoptr (GString) w = g_string_new (t % 2 ? " " : "");
      guint n = t < 250 ? (guint) g_rand_int_range (rand, 1, 12) : (guint) g_rand_int_range (rand, 30, 400);
      g_autoptr (GArray) got = NULL, want = NULL;

      for (guint k = 0; k < n; k++)
        g_string_append (w, syllables[g_rand_int_range (rand, 0, G_N_ELEMENTS (syllables))]);
      got = encode (tok, w->str, (gssize) w->len, FALSE);
      want = naive_bpe (tok, ranks, ids, (const guint8 *) w->str, w->len);
      if (!ids_equal (got, want))
        g_error ("\"%s\": %u tokens, the naive BPE %u", w->str, got->len, want->len);
    }
}

/* ---- round trips ----------------------------------------------------------------------------- */

/* What llama.cpp's rules make of @text for a vocabulary with a token for the bytes in
 * @has: a broken byte without one becomes U+FFFD, a byte of a character without one is left
 * out; everything else comes back. */
static GString *
expected_back (const gboolean has[256], const char *text, gsize len)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len;)
    {
      guint32 c;
      guint n = sm_utf8_decode ((const guint8 *) text, len, i, &c);

      if (n == 1 && c == 0xfffd && !has[(guint8) text[i]])
        g_string_append (s, "\xef\xbf\xbd");
      else
        for (guint k = 0; k < n; k++)
          if (has[(guint8) text[i + k]])
            g_string_append_c (s, text[i + k]);
      i += n;
    }
  return s;
}

static void
assert_decodes_to (SmTokenizer *tok, const char *text, gsize len, const GString *want)
{
  g_autoptr (GArray) ids = encode (tok, text, (gssize) len, FALSE);
  gsize n;
  g_autofree char *back = sm_tokenizer_decode (tok, (gint32 *) ids->data, ids->len, &n);

  if (n != want->len || memcmp (back, want->str, n) != 0)
    {
      g_autofree char *a = g_strescape (want->str, NULL), *b = g_strescape (back, NULL);
      g_error ("decodes back as \"%s\", not \"%s\"", b, a);
    }
}

static void
test_roundtrip (void)
{
  static const char *const names[] = {
    "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-starcoder.gguf", "vocab/ggml-vocab-falcon.gguf",
    "vocab/ggml-vocab-deepseek-llm.gguf", "vocab/ggml-vocab-deepseek-coder.gguf",
  };
  static const struct {
    const char *s;
    gsize len;
  } texts[] = {
#define T(x) { x, sizeof x - 1 }
    T ("emoji 🚀 😶‍🌫️ 👩🏽‍💻 ✅ 🦙🦙"),
    T ("עברית: שָׁלוֹם \xe2\x80\x8f(RLM) وَالعربية ١٢٣ \xe2\x80\xaeRLO\xe2\x80\xac end"),
    T ("NUL\0in\0the\0middle\0"),
    T ("\0"),
    T ("tabs\tand\r\nCRLF\n\n\n  spaces   "),
    T ("Führer naïve café — “quotes” ½ 日本語 가나다 русский Ελληνικά"),
    T ("<|endoftext|> <s> </s> [PAD100252] are text here"),
#undef T
  };

  for (guint v = 0; v < G_N_ELEMENTS (names); v++)
    {
      g_autoptr (SmTokenizer) tok = load_shared (names[v]);
      g_autoptr (GRand) rand = g_rand_new_with_seed (v + 1);
      /* DeepSeek spells the bytes no UTF-8 text holds as user-defined tokens ("õ" for 0xF5),
       * which decode as their piece, so broken UTF-8 does not come back there. */
      gboolean deepseek = strstr (names[v], "deepseek") != NULL;
      gboolean has[256] = { FALSE };
      guint n_has = 0;

      if (tok == NULL)
        return;
      for (guint b = 0; b < 256; b++)
        {
          g_autofree char *c = alphabet_char ((guint8) b);
          for (gint32 i = 0; i < sm_tokenizer_n_vocab (tok) && !has[b]; i++)
            has[b] = strcmp (sm_tokenizer_token_piece (tok, i), c) == 0 &&
                     sm_tokenizer_token_type (tok, i) == SM_TOKEN_TYPE_NORMAL;
          n_has += has[b];
        }
      /* GPT-2's has every byte: anything at all comes back */
      if (v == 0)
        g_assert_cmpuint (n_has, ==, 256);

      for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
        assert_roundtrip (tok, texts[i].s, texts[i].len);
      for (guint t = 0; t < 400; t++)
        {
          g_autoptr (GString) text = NULL;
          g_autoptr (GString) want = NULL;

          if (t < 200)
            text = random_text (rand, (guint) g_rand_int_range (rand, 1, 50));
          else
            {
              text = g_string_new (NULL);
              for (guint i = (guint) g_rand_int_range (rand, 1, 64); i > 0; i--)
                g_string_append_c (text, (char) g_rand_int_range (rand, 0, 256));
            }
          if (deepseek)
            {
              if (g_utf8_validate_len (text->str, text->len, NULL))
                assert_roundtrip (tok, text->str, text->len);
              continue;
            }
          want = expected_back (has, text->str, text->len);
          assert_decodes_to (tok, text->str, text->len, want);
        }
    }
}

/* The detokenizer hands out valid UTF-8 whatever the bytes, and a split emoji whole. */
static void
test_detokenizer (void)
{
  g_autoptr (SmTokenizer) tok = load_shared ("vocab/ggml-vocab-gpt-2.gguf");
  g_autoptr (GArray) ids = NULL;
  g_autoptr (SmDetokenizer) detok = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  const char *text = "a 🦙 b \xff c";

  if (tok == NULL)
    return;
  ids = encode (tok, text, -1, FALSE);
  detok = sm_detokenizer_new (tok, -1);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr (GString) chunk = g_string_new (NULL);
      sm_detokenizer_push (detok, g_array_index (ids, gint32, i), chunk);
      g_assert_true (g_utf8_validate (chunk->str, (gssize) chunk->len, NULL));
      g_string_append_len (out, chunk->str, (gssize) chunk->len);
    }
  sm_detokenizer_flush (detok, out);
  g_assert_cmpstr (out->str, ==, "a 🦙 b \xef\xbf\xbd c");
}

/* ---- special tokens -------------------------------------------------------------------------- */

static void
test_special_tokens (void)
{
  g_autoptr (SmTokenizer) gpt2 = load_shared ("vocab/ggml-vocab-gpt-2.gguf");
  g_autoptr (SmTokenizer) coder = gpt2 ? load_shared ("vocab/ggml-vocab-deepseek-coder.gguf") : NULL;
  g_autoptr (SmTokenizer) star = coder ? load_shared ("vocab/ggml-vocab-starcoder.gguf") : NULL;
  g_autoptr (SmTokenizer) phi3 = star ? load_shared ("vocab/ggml-vocab-phi-3.gguf") : NULL;
  const char *text = "<|endoftext|>Hi<|endoftext|>";

  if (phi3 == NULL)
    return;

  /* GPT-2: only <|endoftext|> is special; it ends the text and decodes to nothing */
  g_assert_cmpstr (sm_tokenizer_kind_name (gpt2), ==, "GPT-2 byte-level BPE");
  g_assert_cmpstr (sm_tokenizer_get_pre (gpt2), ==, "gpt-2");
  g_assert_false (sm_tokenizer_get_add_bos (gpt2));
  g_assert_cmpint (sm_tokenizer_bos (gpt2), ==, 50256);
  g_assert_cmpint (sm_tokenizer_token_type (gpt2, 50256), ==, SM_TOKEN_TYPE_CONTROL);
  g_assert_cmpstr (sm_tokenizer_token_piece (gpt2, 50256), ==, "<|endoftext|>");
  g_assert_cmpstr (sm_tokenizer_token_bytes (gpt2, 50256, NULL), ==, "");
  g_assert_cmpstr (sm_tokenizer_token_piece (gpt2, 220), ==, "Ġ");
  g_assert_cmpstr (sm_tokenizer_token_bytes (gpt2, 220, NULL), ==, " ");
  g_assert_true (sm_tokenizer_is_end (gpt2, 50256));
  g_assert_false (sm_tokenizer_is_end (gpt2, 220));
  {
    g_autoptr (GArray) s = encode (gpt2, text, -1, TRUE);
    g_autoptr (GArray) p = encode (gpt2, text, -1, FALSE);
    g_assert_cmpuint (s->len, ==, 3);
    g_assert_cmpint (g_array_index (s, gint32, 0), ==, 50256);
    g_assert_cmpint (g_array_index (s, gint32, 2), ==, 50256);
    g_assert_false (contains_id (p, 50256));   /* never forged from plain text */
  }

  /* DeepSeek Coder: a user-defined token is cut out of plain text too, as llama.cpp does;
   * control tokens only when asked */
  {
    g_autoptr (GArray) p = encode (coder, "Führer<｜begin▁of▁sentence｜>", -1, FALSE);
    g_autoptr (GArray) s = encode (coder, "Führer<｜begin▁of▁sentence｜>", -1, TRUE);
    g_assert_true (contains_id (p, 32009));
    g_assert_false (contains_id (p, 32013));
    g_assert_true (contains_id (s, 32013));
    g_assert_true (sm_tokenizer_get_add_bos (coder));
    g_assert_true (sm_tokenizer_is_end (coder, 32014));
  }

  /* StarCoder: EOS and the fill-in-the-middle pad end generation, as in llama.cpp */
  g_assert_true (sm_tokenizer_is_end (star, 0));
  g_assert_true (sm_tokenizer_is_end (star, 4));    /* <fim_pad> */
  g_assert_false (sm_tokenizer_is_end (star, 1));   /* <fim_prefix> */

  /* Phi-3 (named so): its special tokens swallow the white space after them, <|endoftext|>
   * does not; <|end|> ends a turn */
  {
    g_autoptr (GArray) a = encode (phi3, "<|user|>  \n hi", -1, TRUE);
    g_autoptr (GArray) b = encode (phi3, "<|user|>hi", -1, TRUE);
    g_autoptr (GArray) c = encode (phi3, "<|endoftext|>  hi", -1, TRUE);
    g_autoptr (GArray) d = encode (phi3, "<|endoftext|>hi", -1, TRUE);
    g_assert_true (ids_equal (a, b));
    g_assert_false (ids_equal (c, d));
    g_assert_true (sm_tokenizer_is_end (phi3, 32007));
  }
}

/* ---- vocabularies written here --------------------------------------------------------------- */

/* The 256 byte characters, "Ġt", "he", "Ġthe", "Ġxyz" (no merge makes it) and <|endoftext|>. */
static GPtrArray *
small_pieces (void)
{
  GPtrArray *p = g_ptr_array_new_with_free_func (g_free);

  for (guint b = 0; b < 256; b++)
    g_ptr_array_add (p, alphabet_char ((guint8) b));
  g_ptr_array_add (p, g_strdup ("Ġt"));     /* 256 */
  g_ptr_array_add (p, g_strdup ("he"));     /* 257 */
  g_ptr_array_add (p, g_strdup ("Ġthe"));   /* 258 */
  g_ptr_array_add (p, g_strdup ("Ġxyz"));   /* 259 */
  g_ptr_array_add (p, g_strdup ("<|endoftext|>"));   /* 260 */
  return p;
}

static const char *const small_merges[] = { "Ġ t", "h e", "Ġt he" };

static SmGgufWriter *
small_vocab (GPtrArray *p, const char *pre)
{
  SmGgufWriter *w = sm_gguf_writer_new ();
  g_autofree gint32 *types = g_new (gint32, p->len);

  for (guint i = 0; i < p->len; i++)
    types[i] = i == 260 ? SM_TOKEN_TYPE_CONTROL : SM_TOKEN_TYPE_NORMAL;
  sm_gguf_writer_set_string (w, "tokenizer.ggml.model", "gpt2");
  if (pre)
    sm_gguf_writer_set_string (w, "tokenizer.ggml.pre", pre);
  sm_gguf_writer_set_string_array (w, "tokenizer.ggml.tokens", (const char *const *) p->pdata, p->len);
  sm_gguf_writer_set_i32_array (w, "tokenizer.ggml.token_type", types, p->len);
  sm_gguf_writer_set_u32 (w, "tokenizer.ggml.eos_token_id", 260);
  return w;
}

static SmTokenizer *
tokenizer_from_written_gguf (SmGgufWriter *w, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-gpt2-XXXXXX", NULL);
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
test_small_vocab (void)
{
  g_autoptr (GPtrArray) p = small_pieces ();
  g_autoptr (GError) error = NULL;

  /* no pre-tokenizer named: llama.cpp's "default"; BOS and EOS default to 11 */
  {
    g_autoptr (SmGgufWriter) w = small_vocab (p, NULL);
    g_autoptr (SmTokenizer) tok = NULL;
    g_autoptr (GArray) ids = NULL;

    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.merges", small_merges, G_N_ELEMENTS (small_merges));
    tok = tokenizer_from_written_gguf (w, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (sm_tokenizer_get_pre (tok), ==, "default");
    g_assert_cmpint (sm_tokenizer_bos (tok), ==, 11);
    g_assert_cmpint (sm_tokenizer_eos (tok), ==, 260);
    g_assert_cmpint (sm_tokenizer_unk (tok), ==, -1);
    ids = encode (tok, " the", -1, FALSE);
    g_assert_cmpuint (ids->len, ==, 1);
    g_assert_cmpint (g_array_index (ids, gint32, 0), ==, 258);
  }

  /* ignore_merges (llama-bpe): " xyz" is a token, so it is that token, merges or not; GPT-2
   * merges only */
  for (guint k = 0; k < 2; k++)
    {
      g_autoptr (SmGgufWriter) w = small_vocab (p, k == 0 ? "llama-bpe" : "gpt-2");
      g_autoptr (SmTokenizer) tok = NULL;
      g_autoptr (GArray) ids = NULL;

      sm_gguf_writer_set_string_array (w, "tokenizer.ggml.merges", small_merges, G_N_ELEMENTS (small_merges));
      tok = tokenizer_from_written_gguf (w, &error);
      g_assert_no_error (error);
      g_assert_true (sm_tokenizer_get_add_bos (tok) == (k == 0));
      ids = encode (tok, " xyz the", -1, FALSE);
      if (k == 0)
        {
          g_assert_cmpuint (ids->len, ==, 2);
          g_assert_cmpint (g_array_index (ids, gint32, 0), ==, 259);
        }
      else
        g_assert_cmpuint (ids->len, ==, 5);   /* Ġ x y z Ġthe */
      g_assert_cmpint (g_array_index (ids, gint32, ids->len - 1), ==, 258);
    }
}

static void
test_unsupported_pre (void)
{
  g_autoptr (GPtrArray) p = small_pieces ();
  g_autoptr (SmGgufWriter) w = small_vocab (p, "no-such-pre");
  g_autoptr (GError) error = NULL;

  sm_gguf_writer_set_string_array (w, "tokenizer.ggml.merges", small_merges, G_N_ELEMENTS (small_merges));
  g_assert_null (tokenizer_from_written_gguf (w, &error));
  g_assert_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "\"no-such-pre\""));
  g_assert_nonnull (strstr (error->message, "llama-bpe"));   /* and says what is known */
}

static void
expect_format_error (SmGgufWriter *w, const char *says)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (tokenizer_from_written_gguf (w, &error));
  g_assert_nonnull (error);
  if (strstr (error->message, says) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, says);
}

static void
test_corrupt_vocabs (void)
{
  g_autoptr (GPtrArray) p = small_pieces ();

  /* a merge naming a piece the vocabulary lacks */
  {
    g_autoptr (SmGgufWriter) w = small_vocab (p, "gpt-2");
    const char *m[] = { "Ġ t", "h e", "Ġt hex" };
    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.merges", m, G_N_ELEMENTS (m));
    expect_format_error (w, "\"hex\"");
  }
  /* a merge making a piece it lacks */
  {
    g_autoptr (SmGgufWriter) w = small_vocab (p, "gpt-2");
    const char *m[] = { "Ġ t", "x y" };
    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.merges", m, G_N_ELEMENTS (m));
    expect_format_error (w, "not in the vocabulary");
  }
  /* a merge that is not two pieces */
  {
    g_autoptr (SmGgufWriter) w = small_vocab (p, "gpt-2");
    const char *m[] = { "Ġt", "" };
    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.merges", m, G_N_ELEMENTS (m));
    expect_format_error (w, "two pieces");
  }
  /* no merges at all, or merges of the wrong type */
  {
    g_autoptr (SmGgufWriter) w = small_vocab (p, "gpt-2");
    expect_format_error (w, "tokenizer.ggml.merges");
  }
  {
    g_autoptr (SmGgufWriter) w = small_vocab (p, "gpt-2");
    const gint32 m[] = { 1, 2 };
    sm_gguf_writer_set_i32_array (w, "tokenizer.ggml.merges", m, 2);
    expect_format_error (w, "tokenizer.ggml.merges");
  }
  /* as many types as tokens, and types that exist */
  {
    g_autoptr (SmGgufWriter) w = small_vocab (p, "gpt-2");
    g_autofree gint32 *types = g_new0 (gint32, p->len);
    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.merges", small_merges, G_N_ELEMENTS (small_merges));
    sm_gguf_writer_set_i32_array (w, "tokenizer.ggml.token_type", types, p->len - 1);
    expect_format_error (w, "token types");
  }
  {
    g_autoptr (SmGgufWriter) w = small_vocab (p, "gpt-2");
    g_autofree gint32 *types = g_new (gint32, p->len);
    for (guint i = 0; i < p->len; i++)
      types[i] = i == 100 ? 9 : 1;
    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.merges", small_merges, G_N_ELEMENTS (small_merges));
    sm_gguf_writer_set_i32_array (w, "tokenizer.ggml.token_type", types, p->len);
    expect_format_error (w, "unknown type 9");
  }
  /* tokens that are not strings */
  {
    g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
    const gint32 t[] = { 1, 2, 3 };
    sm_gguf_writer_set_string (w, "tokenizer.ggml.model", "gpt2");
    sm_gguf_writer_set_i32_array (w, "tokenizer.ggml.tokens", t, 3);
    sm_gguf_writer_set_string_array (w, "tokenizer.ggml.merges", small_merges, 1);
    expect_format_error (w, "tokenizer.ggml.tokens");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/TokenizerGpt2/pretokenizer/matchers-equal-regex", test_matchers_equal_regex);
  g_test_add_func ("/TokenizerGpt2/pretokenizer/known-splits", test_known_splits);
  g_test_add_func ("/TokenizerGpt2/merges-match-naive", test_merges_match_naive);
  g_test_add_func ("/TokenizerGpt2/roundtrip", test_roundtrip);
  g_test_add_func ("/TokenizerGpt2/detokenizer", test_detokenizer);
  g_test_add_func ("/TokenizerGpt2/special-tokens", test_special_tokens);
  g_test_add_func ("/TokenizerGpt2/small-vocab", test_small_vocab);
  g_test_add_func ("/TokenizerGpt2/unsupported-pre", test_unsupported_pre);
  g_test_add_func ("/TokenizerGpt2/corrupt-vocabs", test_corrupt_vocabs);
  return g_test_run ();
}
