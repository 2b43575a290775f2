/* sm-tokenizer-bpe.c: byte-level BPE (SmallMind's Medium model): encoding (training is in
 * sm-bpe-train.c).
 *
 * Merge i joins the pair (a, b) into id 256 + i.  Encoding applies the merges in rank order,
 * each left to right, which is exactly what training did to its text: a heap of candidate
 * pairs keyed by rank over a linked list of symbols (a new token only ever takes part in
 * later merges, so popping by rank never goes back).
 */
#define G_LOG_DOMAIN "sm-tokenizer"

#include "sm-tokenizer-private.h"

#include <string.h>

/* A merged token may not stand for more bytes than this: a hand-made merge list that doubles
 * one token over and over would otherwise ask for gigabytes. */
#define MAX_TOKEN_BYTES (1u << 20)

static inline gpointer
pair_key (gint32 a, gint32 b)
{
  return GUINT_TO_POINTER ((guint) a << 16 | (guint) b);
}

static void bpe_encode_bytes (SmTokenizer *tok, const guint8 *text, gsize len, GArray *out);

static gboolean
bpe_encode (SmTokenizer *tok, const char *text, gsize len, gboolean space_prefix, GArray *out,
            GError **error)
{
  bpe_encode_bytes (tok, (const guint8 *) text, len, out);
  return TRUE;
}

SmTokenizer *
sm_tokenizer_new_bpe (const gint32 *merges, gsize n_merges, GError **error)
{
  g_autoptr (SmTokenizer) tok = NULL;
  g_autoptr (GString) bytes = g_string_new (NULL);

  g_return_val_if_fail (merges != NULL || n_merges == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (n_merges > SM_BPE_MAX_MERGES)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_UNSUPPORTED,
                   "%" G_GSIZE_FORMAT " merges: at most %d are supported", n_merges,
                   SM_BPE_MAX_MERGES);
      return NULL;
    }

  tok = sm_tokenizer_alloc (SM_TOKENIZER_BPE, 256 + n_merges, bpe_encode);
  tok->merge_rank = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (int c = 0; c < 256; c++)
    {
      char ch = (char) c;
      sm_tokenizer_append_token (tok, c, &ch, 1, &ch, 1);
      tok->types[c] = SM_TOKEN_TYPE_BYTE;
      tok->byte_token[c] = c;
    }
  for (gsize i = 0; i < n_merges; i++)
    {
      gint32 a = merges[2 * i], b = merges[2 * i + 1];
      gint32 id = (gint32) (256 + i);
      gsize la, lb;
      const char *pa, *pb;

      if (a < 0 || a >= id || b < 0 || b >= id)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Merge %" G_GSIZE_FORMAT " joins ids %d and %d, but only ids below %d "
                       "exist at that point", i, a, b, id);
          return NULL;
        }
      if (g_hash_table_contains (tok->merge_rank, pair_key (a, b)))
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Merge %" G_GSIZE_FORMAT " repeats the pair (%d, %d)", i, a, b);
          return NULL;
        }
      g_hash_table_insert (tok->merge_rank, pair_key (a, b), GSIZE_TO_POINTER (i + 1));

      /* Copied out first: appending may move the blob under pa and pb. */
      pa = sm_tokenizer_token_bytes (tok, a, &la);
      pb = sm_tokenizer_token_bytes (tok, b, &lb);
      if (la + lb > MAX_TOKEN_BYTES)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Merge %" G_GSIZE_FORMAT " makes a token of %" G_GSIZE_FORMAT " bytes",
                       i, la + lb);
          return NULL;
        }
      g_string_truncate (bytes, 0);
      g_string_append_len (bytes, pa, (gssize) la);
      g_string_append_len (bytes, pb, (gssize) lb);
      sm_tokenizer_append_token (tok, id, bytes->str, bytes->len, bytes->str, bytes->len);
      tok->types[id] = SM_TOKEN_TYPE_NORMAL;
    }
  sm_tokenizer_finish_tables (tok);
  tok->merges = n_merges ? g_memdup2 (merges, n_merges * 2 * sizeof (gint32)) : NULL;
  tok->n_merges = n_merges;
  return g_steal_pointer (&tok);
}

/* ---- encoding -------------------------------------------------------------------------------- */

typedef struct {
  gint32 prev, next;   /* -1 at the ends */
  gint32 id;           /* -1 once merged into its left neighbour */
} BpeSymbol;

static void
bpe_try_add (SmTokenizer *tok, const BpeSymbol *sym, GArray *heap, gint32 left, gint32 right)
{
  gsize rank;
  SmBigram b;

  if (left < 0 || right < 0)
    return;
  rank = GPOINTER_TO_SIZE (g_hash_table_lookup (tok->merge_rank,
                                                pair_key (sym[left].id, sym[right].id)));
  if (rank == 0)
    return;
  rank--;
  b.key = -(double) rank;
  b.left = left;
  b.right = right;
  b.check = (guint32) rank;
  sm_bigram_heap_push (heap, &b);
}

static void
bpe_encode_bytes (SmTokenizer *tok, const guint8 *text, gsize len, GArray *out)
{
  g_autofree BpeSymbol *sym = NULL;
  g_autoptr (GArray) heap = NULL;
  gint32 n = (gint32) len;
  SmBigram b;

  g_assert (len <= G_MAXINT32);
  if (len == 0)
    return;
  sym = g_new (BpeSymbol, len);
  for (gint32 i = 0; i < n; i++)
    {
      sym[i].prev = i - 1;
      sym[i].next = i + 1 < n ? i + 1 : -1;
      sym[i].id = text[i];
    }

  heap = g_array_sized_new (FALSE, FALSE, sizeof (SmBigram), MIN (len, 65536));
  for (gint32 i = 1; i < n && tok->n_merges > 0; i++)
    bpe_try_add (tok, sym, heap, i - 1, i);

  while (sm_bigram_heap_pop (heap, &b))
    {
      BpeSymbol *l = &sym[b.left], *r = &sym[b.right];
      const gint32 *m = tok->merges + 2 * b.check;

      /* Stale when either side has merged since the pair was offered. */
      if (l->id != m[0] || r->id != m[1] || l->next != b.right)
        continue;
      l->id = (gint32) (256 + b.check);
      r->id = -1;
      l->next = r->next;
      if (r->next >= 0)
        sym[r->next].prev = b.left;
      bpe_try_add (tok, sym, heap, l->prev, b.left);
      bpe_try_add (tok, sym, heap, b.left, l->next);
    }

  for (gint32 i = 0; i != -1; i = sym[i].next)
    g_array_append_val (out, sym[i].id);
}
