/* test-corpus.c: the generated corpus is deterministic, big enough, split without overlap,
 * and readable (plain ASCII, whole sentences, balanced quotes, no template left over); the
 * committed data/corpus is exactly what the generator makes. */
#include <glib/gstdio.h>
#include <string.h>

#include "sm-corpus.h"
#include "sm-test-util.h"

static void
test_deterministic (void)
{
  SmCorpusParams p;
  g_autoptr (GString) t1 = g_string_new (NULL), v1 = g_string_new (NULL);
  g_autoptr (GString) t2 = g_string_new (NULL), v2 = g_string_new (NULL);
  g_autoptr (GString) t3 = g_string_new (NULL), v3 = g_string_new (NULL);

  for (guint64 i = 0; i < 200; i++)
    {
      g_autofree char *a = sm_corpus_document (7, i);
      g_autofree char *b = sm_corpus_document (7, i);
      g_assert_cmpstr (a, ==, b);
    }

  sm_corpus_params_init (&p);
  p.train_bytes = 100000;
  sm_corpus_generate (&p, t1, v1);
  sm_corpus_generate (&p, t2, v2);
  g_assert_true (g_string_equal (t1, t2));
  g_assert_true (g_string_equal (v1, v2));

  p.seed++;
  sm_corpus_generate (&p, t3, v3);
  g_assert_false (g_string_equal (t1, t3));
}

/* The documents of a split: separated by one blank line. */
static GStrv
documents (const GString *s)
{
  return g_strsplit (s->str, "\n\n", -1);
}

static void
test_size_and_split (void)
{
  SmCorpusParams p;
  g_autoptr (GString) train = g_string_new (NULL), valid = g_string_new (NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_auto (GStrv) tdocs = NULL, vdocs = NULL;
  guint n_train, n_valid;

  sm_corpus_params_init (&p);
  sm_corpus_generate (&p, train, valid);
  g_test_message ("train %" G_GSIZE_FORMAT " bytes, valid %" G_GSIZE_FORMAT " bytes", train->len, valid->len);
  g_assert_cmpuint (train->len, >=, 2000000);
  g_assert_cmpuint (train->len, >=, p.train_bytes);
  g_assert_cmpuint (train->len, <, p.train_bytes + 4096);   /* stops after the document that crosses */

  tdocs = documents (train);
  vdocs = documents (valid);
  n_train = g_strv_length (tdocs);
  n_valid = g_strv_length (vdocs);
  g_test_message ("%u training and %u validation documents", n_train, n_valid);
  /* about one in valid_every held out */
  g_assert_cmpuint (n_valid * p.valid_every, >, n_train / 2);
  g_assert_cmpuint (n_valid * p.valid_every, <, n_train * 2);
  g_assert_cmpuint (valid->len, >, 50000);

  for (guint i = 0; i < n_train; i++)
    g_hash_table_add (seen, tdocs[i]);
  g_assert_cmpuint (g_hash_table_size (seen), ==, n_train);   /* no repeats either */
  for (guint i = 0; i < n_valid; i++)
    g_assert_false (g_hash_table_contains (seen, vdocs[i]));
}

static gboolean
is_end (char c)
{
  return c == '.' || c == '!' || c == '?';
}

/* Readability checks on a whole text; returns the number of lines. */
static guint
check_readable (const char *text, gsize len)
{
  guint lines = 0;
  const char *p = text, *end = text + len;

  g_assert_true (g_utf8_validate (text, len, NULL));
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];
      if (!(g_ascii_isalpha (c) || strchr (" \n.,!?'\":-", c) != NULL))
        g_error ("unexpected character 0x%02x at offset %" G_GSIZE_FORMAT ": ...%.40s...",
                 (guint8) c, i, text + MAX (i, 20) - 20);
    }
  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      gsize n = (nl ? nl : end) - p;
      g_autofree char *line = g_strndup (p, n);
      guint quotes = 0;

      p = nl ? nl + 1 : end;
      if (n == 0)
        continue;   /* between documents */
      lines++;
      /* a line starts like a sentence (or a script's speaker) and ends one */
      if (!(g_ascii_isupper (line[0]) || line[0] == '"'))
        g_error ("line does not start with a capital: %s", line);
      if (!(is_end (line[n - 1]) || (line[n - 1] == '"' && n >= 2 && is_end (line[n - 2]))))
        g_error ("line does not end a sentence: %s", line);
      g_assert_null (strstr (line, "  "));
      g_assert_null (strstr (line, " ,"));
      g_assert_null (strstr (line, " ."));
      for (gsize i = 0; i < n; i++)
        {
          quotes += line[i] == '"';
          /* the next sentence starts with a capital */
          if (is_end (line[i]) && i + 2 < n && line[i + 1] == ' ' && line[i + 2] != '"' &&
              !g_ascii_isupper (line[i + 2]))
            g_error ("a sentence starts in lower case: %s", line);
        }
      if (quotes % 2)
        g_error ("unbalanced quotes: %s", line);
    }
  return lines;
}

static void
test_readable (void)
{
  SmCorpusParams p;
  g_autoptr (GString) train = g_string_new (NULL), valid = g_string_new (NULL);
  g_autoptr (GHashTable) words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint lines;

  sm_corpus_params_init (&p);
  sm_corpus_generate (&p, train, valid);
  lines = check_readable (train->str, train->len);
  check_readable (valid->str, valid->len);

  /* varied: a real vocabulary, stories and dialogues both */
  g_auto (GStrv) toks = g_strsplit_set (train->str, " \n.,!?\":", -1);
  for (int i = 0; toks[i]; i++)
    if (toks[i][0])
      g_hash_table_add (words, g_ascii_strdown (toks[i], -1));
  g_test_message ("%u lines, %u distinct words", lines, g_hash_table_size (words));
  g_assert_cmpuint (g_hash_table_size (words), >, 800);
  g_assert_nonnull (strstr (train->str, "Once upon a time"));
  g_assert_nonnull (strstr (train->str, "\nTeacher: "));
  g_assert_nonnull (strstr (train->str, "said"));
}

/* A wide sweep of documents exercises every plan's every branch's template keys. */
static void
test_many_documents (void)
{
  for (guint64 seed = 1; seed <= 3; seed++)
    for (guint64 i = 0; i < 3000; i++)
      {
        g_autofree char *d = sm_corpus_document (seed, i);
        gsize n = strlen (d);
        g_assert_cmpuint (n, >, 100);
        g_assert_true (d[n - 1] == '\n');
        check_readable (d, n);
      }
}

static void
test_write (void)
{
  SmCorpusParams p;
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("sm-corpus-XXXXXX", &error);
  g_autofree char *dir = g_build_filename (tmp, "sub", "corpus", NULL);
  g_autofree char *tp = g_build_filename (dir, "train.txt", NULL);
  g_autofree char *vp = g_build_filename (dir, "valid.txt", NULL);
  g_autoptr (GString) train = g_string_new (NULL), valid = g_string_new (NULL);
  g_autofree char *t = NULL, *v = NULL;
  gsize tl, vl;

  g_assert_no_error (error);
  sm_corpus_params_init (&p);
  p.train_bytes = 50000;
  g_assert_true (sm_corpus_write (&p, dir, &error));
  g_assert_no_error (error);
  sm_corpus_generate (&p, train, valid);
  g_assert_true (g_file_get_contents (tp, &t, &tl, NULL));
  g_assert_true (g_file_get_contents (vp, &v, &vl, NULL));
  g_assert_cmpmem (t, tl, train->str, train->len);
  g_assert_cmpmem (v, vl, valid->str, valid->len);

  /* a folder that cannot be made is an error, not a crash */
  g_autofree char *blocked = g_build_filename (tp, "inside", NULL);
  g_assert_false (sm_corpus_write (&p, blocked, &error));
  g_assert_nonnull (error);
  g_test_message ("expected: %s", error->message);

  g_unlink (tp);
  g_unlink (vp);
  g_rmdir (dir);
  g_autofree char *sub = g_build_filename (tmp, "sub", NULL);
  g_rmdir (sub);
  g_rmdir (tmp);
}

/* data/corpus is committed; it must be what `smallmind-cli make-corpus` writes today. */
static void
test_committed (void)
{
  const char *root = g_getenv ("SM_SOURCE_ROOT");
  g_autofree char *tp = g_build_filename (root ? root : ".", "data", "corpus", "train.txt", NULL);
  g_autofree char *vp = g_build_filename (root ? root : ".", "data", "corpus", "valid.txt", NULL);
  g_autofree char *t = NULL, *v = NULL;
  gsize tl, vl;
  SmCorpusParams p;
  g_autoptr (GString) train = g_string_new (NULL), valid = g_string_new (NULL);

  if (!g_file_get_contents (tp, &t, &tl, NULL) || !g_file_get_contents (vp, &v, &vl, NULL))
    {
      g_test_skip ("data/corpus is not generated yet (tools/build-models)");
      return;
    }
  sm_corpus_params_init (&p);
  sm_corpus_generate (&p, train, valid);
  g_assert_cmpmem (t, tl, train->str, train->len);
  g_assert_cmpmem (v, vl, valid->str, valid->len);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Corpus/deterministic", test_deterministic);
  g_test_add_func ("/Corpus/size-and-split", test_size_and_split);
  g_test_add_func ("/Corpus/readable", test_readable);
  g_test_add_func ("/Corpus/many-documents", test_many_documents);
  g_test_add_func ("/Corpus/write", test_write);
  g_test_add_func ("/Corpus/committed", test_committed);
  return g_test_run ();
}
