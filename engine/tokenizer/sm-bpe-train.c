/* sm-bpe-train.c: learning byte-level BPE merges from a text, the one trainer for both ways
 * SmallMind cuts a text (across the whole text, or within GPT-2-style words).
 *
 * Training keeps, for each pair, its count and the positions where it was seen; merging a
 * pair visits only its own positions and adjusts the counts of the neighbouring pairs, so a
 * merge costs what it touches rather than a pass over the whole text.  Words are the same
 * linked list cut at their ends: no pair spans a cut, so the counts are those of each distinct
 * word times its occurrences, and the merges are what training word by word would choose.
 */
#define G_LOG_DOMAIN "sm-tokenizer"

#include "sm-tokenizer-private.h"

static inline gpointer
pair_key (gint32 a, gint32 b)
{
  return GUINT_TO_POINTER ((guint) a << 16 | (guint) b);
}

typedef enum { CLASS_LETTER, CLASS_DIGIT, CLASS_SPACE, CLASS_OTHER } ByteClass;

/* Apostrophes belong to words ("don't", "Tom's"); bytes of multi-byte UTF-8 characters too,
 * so a word in any script stays whole. */
static ByteClass
byte_class (guint8 c)
{
  if (g_ascii_isalpha (c) || c == '\'' || c >= 0x80)
    return CLASS_LETTER;
  if (g_ascii_isdigit (c))
    return CLASS_DIGIT;
  if (g_ascii_isspace (c))
    return CLASS_SPACE;
  return CLASS_OTHER;
}

/* The length of the word starting at text[0]. */
static gsize
next_word (const guint8 *text, gsize len)
{
  gsize i = 0;
  ByteClass cls;

  if (text[0] == ' ' && len > 1 && byte_class (text[1]) != CLASS_SPACE)
    i = 1;   /* a single space leads the word after it */
  cls = byte_class (text[i]);
  i++;
  while (i < len && byte_class (text[i]) == cls)
    {
      /* white space stops before a space that leads the next word */
      if (cls == CLASS_SPACE && text[i] == ' ' && i + 1 < len && byte_class (text[i + 1]) != CLASS_SPACE)
        break;
      i++;
    }
  return i;
}


typedef struct {
  gint32  a, b;
  gint64  count;       /* adjacent occurrences now (overlapping ones in a run all count) */
  GArray *positions;   /* gint32 left positions where the pair was formed; may be stale */
} TrainPair;

static void
train_pair_free (gpointer p)
{
  TrainPair *pair = p;

  g_array_unref (pair->positions);
  g_free (pair);
}

static TrainPair *
train_pair (GHashTable *pairs, gint32 a, gint32 b)
{
  TrainPair *pair = g_hash_table_lookup (pairs, pair_key (a, b));

  if (pair == NULL)
    {
      pair = g_new0 (TrainPair, 1);
      pair->a = a;
      pair->b = b;
      pair->positions = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_hash_table_insert (pairs, pair_key (a, b), pair);
    }
  return pair;
}

static void
train_add (GHashTable *pairs, gint32 a, gint32 b, gint32 pos)
{
  TrainPair *pair = train_pair (pairs, a, b);

  pair->count++;
  g_array_append_val (pair->positions, pos);
}

static void
train_sub (GHashTable *pairs, gint32 a, gint32 b)
{
  TrainPair *pair = g_hash_table_lookup (pairs, pair_key (a, b));

  g_assert (pair != NULL && pair->count > 0);
  pair->count--;
}

static gint
cmp_gint32 (gconstpointer x, gconstpointer y)
{
  gint32 a = *(const gint32 *) x, b = *(const gint32 *) y;
  return (a > b) - (a < b);
}

/* The merges of @text (@len bytes, 2 <= len <= G_MAXINT32): when @words, pairs never span the
 * cut between two words (next_word ()), which is the same as training on each word apart,
 * weighted by how often it occurs. */
static void
learn (const guint8 *text, gsize len, gboolean words, guint n_merges, GArray *merges_out)
{
  g_autoptr (GHashTable) pairs = NULL;
  g_autofree gint32 *id = NULL, *prev = NULL, *next = NULL;   /* [len]: a linked list */
  gint32 n = (gint32) len;
  gsize word_end = 0;

  id = g_new (gint32, len);
  prev = g_new (gint32, len);
  next = g_new (gint32, len);
  pairs = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, train_pair_free);
  for (gint32 i = 0; i < n; i++)
    {
      /* a word's first byte has no left neighbour, its last none on the right */
      gboolean starts = i == 0 || (words && (gsize) i == word_end);

      if (words && (gsize) i == word_end)
        word_end = i + next_word (text + i, len - i);
      id[i] = text[i];
      prev[i] = starts ? -1 : i - 1;
      next[i] = i + 1 < n && (!words || (gsize) i + 1 < word_end) ? i + 1 : -1;
      if (!starts)
        train_add (pairs, id[i - 1], id[i], i - 1);
    }

  for (guint m = 0; m < n_merges; m++)
    {
      TrainPair *best = NULL;
      GHashTableIter iter;
      gpointer value;
      gint32 new_id = (gint32) (256 + m);

      /* A scan of the live pairs: a few thousand, cheap next to the merge itself, and the
       * tie-break (lowest ids) needs no ordered structure. */
      g_hash_table_iter_init (&iter, pairs);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          TrainPair *p = value;
          if (p->count == 0)
            {
              g_hash_table_iter_remove (&iter);
              continue;
            }
          if (best == NULL || p->count > best->count ||
              (p->count == best->count && (p->a < best->a || (p->a == best->a && p->b < best->b))))
            best = p;
        }
      if (best == NULL || best->count < 2)
        break;

      gint32 a = best->a, b = best->b;
      g_array_append_val (merges_out, a);
      g_array_append_val (merges_out, b);

      /* Left to right, as encoding will do: in a run "aaa" only the first pair merges. */
      g_array_sort (best->positions, cmp_gint32);
      for (guint k = 0; k < best->positions->len; k++)
        {
          gint32 i = g_array_index (best->positions, gint32, k);
          gint32 j = next[i], p = prev[i], q;

          if (id[i] != a || j < 0 || id[j] != b)
            continue;   /* merged away or changed since it was recorded */
          q = next[j];

          train_sub (pairs, a, b);
          if (p >= 0)
            {
              train_sub (pairs, id[p], a);
              train_add (pairs, id[p], new_id, p);
            }
          if (q >= 0)
            {
              train_sub (pairs, b, id[q]);
              train_add (pairs, new_id, id[q], i);
            }
          id[i] = new_id;
          id[j] = -1;
          next[i] = q;
          if (q >= 0)
            prev[q] = i;
        }
      g_assert (best->count == 0);
      g_hash_table_remove (pairs, pair_key (a, b));
    }
}

/* What both entries check first. */
static gboolean
check_request (gsize len, guint n_merges, const char *too_many, GError **error)
{
  if (n_merges > SM_BPE_MAX_MERGES)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_UNSUPPORTED, too_many, n_merges,
                   SM_BPE_MAX_MERGES);
      return FALSE;
    }
  if (len > G_MAXINT32)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_UNSUPPORTED,
                   "A training text of %" G_GSIZE_FORMAT " bytes is too long", len);
      return FALSE;
    }
  return TRUE;
}

gboolean
sm_bpe_train (const guint8 *text, gsize len, guint n_merges, GArray *merges_out,
              GError **error)
{
  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (merges_out != NULL &&
                        g_array_get_element_size (merges_out) == sizeof (gint32), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_request (len, n_merges, "%u merges: at most %d are supported", error))
    return FALSE;
  if (len >= 2)
    learn (text, len, FALSE, n_merges, merges_out);
  return TRUE;
}

gboolean
sm_bpe_train_words (const guint8 *text, gsize len, guint n_merges, GArray *merges_out,
                    GError **error)
{
  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (merges_out != NULL &&
                        g_array_get_element_size (merges_out) == sizeof (gint32), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_request (len, n_merges, "%u merges asked for; byte-level BPE holds at most %d", error))
    return FALSE;
  if (len >= 2)
    learn (text, len, TRUE, n_merges, merges_out);
  return TRUE;
}
