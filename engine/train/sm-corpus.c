/* sm-corpus.c: the story and dialogue generator behind data/corpus: its randomness, the
 * template expander and the documents and files it writes.  What the documents say (words,
 * cast, stories, dialogues) is sm-corpus-stories.c.
 *
 * A document is a plan (lost toy, sharing, a fear overcome, a trip ...) told sentence by
 * sentence through templates.  In a template, [a|b|c] picks one alternative (they nest),
 * {key} is a word of the document's cast ("name", "he", "fname", "obj" ...) and {Key} the
 * same capitalised.  The text is kept to what a small model can learn from: short sentences,
 * a few hundred common words, consistent pronouns and tenses, and dialogue in quotes or as
 * "Name: line" scripts.
 */
#include "sm-corpus-private.h"
#include "sm-atomic-file.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>


/* ---- randomness -------------------------------------------------------------------------------- */

static guint64
mix64 (guint64 z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}


static guint64
next (SmGen *g)
{
  return mix64 (g->rng += 0x9e3779b97f4a7c15ull);
}

guint
sm_gen_pick (SmGen *g, guint n)
{
  return (guint) (((unsigned __int128) next (g) * n) >> 64);
}

gboolean
sm_gen_chance (SmGen *g, guint percent)
{
  return sm_gen_pick (g, 100) < percent;
}


/* ---- templates --------------------------------------------------------------------------------- */

void
sm_gen_set (SmGen *g, const char *key, const char *value)
{
  g_hash_table_insert (g->vars, g_strdup (key), g_strdup (value));
}

const char *
sm_gen_get (SmGen *g, const char *key)
{
  const char *v = g_hash_table_lookup (g->vars, key);
  if (v == NULL)
    g_error ("sm-corpus: template key '%s' has no value", key);
  return v;
}

/* The end of the bracket group starting at t[0] == '[', or of the alternative at this depth. */
static const char *
group_end (const char *t)
{
  int depth = 0;

  for (; *t; t++)
    {
      if (*t == '[')
        depth++;
      else if (*t == ']' && --depth == 0)
        return t;
    }
  g_error ("sm-corpus: unbalanced [ in a template");
  return t;
}

static void expand_n (SmGen *g, const char *t, gsize len);

static void
expand_choice (SmGen *g, const char *open, const char *close)
{
  const char *alts[32];
  gsize lens[32];
  int n = 0, depth = 0;
  const char *start = open + 1;

  for (const char *p = open + 1; p <= close; p++)
    {
      if (*p == '[')
        depth++;
      else if (*p == ']' && depth > 0)
        depth--;
      else if ((*p == '|' && depth == 0) || p == close)
        {
          g_assert (n < 32);
          alts[n] = start;
          lens[n] = p - start;
          n++;
          start = p + 1;
        }
    }
  int i = sm_gen_pick (g, n);
  expand_n (g, alts[i], lens[i]);
}

static void
expand_n (SmGen *g, const char *t, gsize len)
{
  const char *end = t + len;

  while (t < end)
    {
      if (*t == '[')
        {
          const char *close = group_end (t);
          expand_choice (g, t, close);
          t = close + 1;
        }
      else if (*t == '{')
        {
          const char *close = strchr (t, '}');
          char key[32];
          gsize klen = close - t - 1;
          const char *v;

          g_assert (close != NULL && klen > 0 && klen < sizeof key);
          memcpy (key, t + 1, klen);
          key[klen] = '\0';
          if (g_ascii_isupper (key[0]))
            {
              key[0] = g_ascii_tolower (key[0]);
              v = sm_gen_get (g, key);
              g_string_append_c (g->out, g_ascii_toupper (v[0]));
              g_string_append (g->out, v + 1);
            }
          else
            g_string_append (g->out, sm_gen_get (g, key));
          t = close + 1;
        }
      else
        g_string_append_c (g->out, *t++);
    }
}

/* A sentence (or a few) of the current paragraph. */
void
sm_gen_say (SmGen *g, const char *t)
{
  if (g->out->len > 0 && g->out->str[g->out->len - 1] != '\n')
    g_string_append_c (g->out, ' ');
  expand_n (g, t, strlen (t));
}

/* Ends a paragraph or a script line. */
void
sm_gen_newline (SmGen *g)
{
  g_string_append_c (g->out, '\n');
}

/* A script line: "Speaker: text". */
void
sm_gen_line (SmGen *g, const char *speaker, const char *t)
{
  expand_n (g, speaker, strlen (speaker));
  g_string_append (g->out, ": ");
  expand_n (g, t, strlen (t));
  sm_gen_newline (g);
}

/* A template expanded into a new string, e.g. to store as a cast word. */
static char *
render (SmGen *g, const char *t)
{
  GString *keep = g->out;
  GString *tmp = g_string_new (NULL);

  g->out = tmp;
  expand_n (g, t, strlen (t));
  g->out = keep;
  return g_string_free (tmp, FALSE);
}

void
sm_gen_set_render (SmGen *g, const char *key, const char *t)
{
  g_hash_table_insert (g->vars, g_strdup (key), render (g, t));
}

static const char *
a_an (const char *word)
{
  return strchr ("aeiouAEIOU", word[0]) && strncmp (word, "one", 3) != 0 &&
         strncmp (word, "uni", 3) != 0 ? "an" : "a";
}

/* key = word, a_key = "a word" / "an word" */
void
sm_gen_set_noun (SmGen *g, const char *key, const char *word)
{
  g_autofree char *a_key = g_strconcat ("a_", key, NULL);
  g_autofree char *with = g_strconcat (a_an (word), " ", word, NULL);
  sm_gen_set (g, key, word);
  sm_gen_set (g, a_key, with);
}

/* Joins what empty alternatives leave apart: double spaces, spaces before punctuation or at
 * the end of a line. */
static char *
tidy (GString *s)
{
  GString *o = g_string_sized_new (s->len);

  for (gsize i = 0; i < s->len; i++)
    {
      char c = s->str[i];
      if (c == ' ' && (o->len == 0 || o->str[o->len - 1] == ' ' || o->str[o->len - 1] == '\n'))
        continue;
      if ((c == ',' || c == '.' || c == '!' || c == '?' || c == '\n') && o->len > 0 &&
          o->str[o->len - 1] == ' ')
        g_string_truncate (o, o->len - 1);
      g_string_append_c (o, c);
    }
  if (o->len == 0 || o->str[o->len - 1] != '\n')
    g_string_append_c (o, '\n');
  return g_string_free (o, FALSE);
}

char *
sm_corpus_document (guint64 seed, guint64 index)
{
  SmGen g = {
    .rng = mix64 (seed ^ mix64 (index + 0x632be59bd9b4e019ull)),
    .out = g_string_new (NULL),
    .vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
  };
  char *doc;

  sm_corpus_tell (&g);
  doc = tidy (g.out);
  g_string_free (g.out, TRUE);
  g_hash_table_unref (g.vars);
  return doc;
}

void
sm_corpus_params_init (SmCorpusParams *p)
{
  p->seed = 20240601;
  p->train_bytes = 2200000;
  p->valid_every = 20;
}

void
sm_corpus_generate (const SmCorpusParams *p, GString *train, GString *valid)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const gsize start = train->len;

  g_return_if_fail (p->valid_every >= 2);
  for (guint64 i = 0; train->len - start < p->train_bytes; i++)
    {
      char *doc = sm_corpus_document (p->seed, i);
      GString *to = mix64 (p->seed * 31 + i) % p->valid_every == 0 ? valid : train;

      if (!g_hash_table_add (seen, doc))
        continue;   /* a repeat; the set owns doc either way */
      if (to->len > 0)
        g_string_append_c (to, '\n');
      g_string_append (to, doc);
    }
}

gboolean
sm_corpus_write (const SmCorpusParams *p, const char *dir, GError **error)
{
  g_autoptr (GString) train = g_string_new (NULL);
  g_autoptr (GString) valid = g_string_new (NULL);
  g_autofree char *tp = g_build_filename (dir, "train.txt", NULL);
  g_autofree char *vp = g_build_filename (dir, "valid.txt", NULL);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
                   "Cannot create %s: %s", dir, g_strerror (e));
      return FALSE;
    }
  sm_corpus_generate (p, train, valid);
  {
    const char *paths[] = { tp, vp };
    const char *texts[] = { train->str, valid->str };
    /* both or neither: a new train.txt beside an old valid.txt would mislead every loss */
    return sm_atomic_files_set_contents (2, paths, texts, error);
  }
}
