/* sm-tokenizer-gpt2.c: GPT-2's byte-level BPE, as llama.cpp's llm_tokenizer_bpe runs it for
 * tokenizer.ggml.model = "gpt2".
 *
 * The pre-tokenizer (sm-pretokenizer.c) cuts the text into words.  A word is spelled in
 * GPT-2's byte alphabet, where every byte is one printable character ("Ġ" for a space), so
 * each byte starts as the token of its character; adjacent tokens then merge by the rank of
 * the merge that joins them, lowest rank first and leftmost among equals, until no pair has a
 * merge.  llama.cpp compares the merged pieces as strings; here a merge is looked up once, when
 * the vocabulary is read, as a pair of token ids giving a token id, so encoding works on ids
 * and never builds a string.  A word is never longer than the text it came from, and most
 * are a few bytes, so they are merged by rescanning a small array; long ones use the heap of
 * sm-tokenizer.c.
 *
 * Decoding maps a normal token's characters back to bytes, so what was encoded comes back
 * byte for byte, valid UTF-8 or not, as long as the vocabulary has a token for each byte (a
 * byte it lacks is U+FFFD or left out, as in llama.cpp; see respell_missing).
 */
#define G_LOG_DOMAIN "sm-tokenizer"

#include "sm-tokenizer-private.h"

#include <string.h>

#include "sm-pretokenizer-private.h"

/* ---- GPT-2's byte alphabet ------------------------------------------------------------------- */

/* The printable Latin-1 bytes stand for themselves; the others (controls, space, 0x7F-0xA0,
 * the soft hyphen) take the characters from U+0100 on, in byte order.  So the alphabet's
 * characters are all below U+0144. */
#define ALPHABET_END 0x144

typedef struct {
  guint16 to_cpt[256];
  gint16  to_byte[ALPHABET_END];   /* -1: not in the alphabet */
} Alphabet;

static const Alphabet *
alphabet (void)
{
  static gsize once = 0;
  static Alphabet a;

  if (g_once_init_enter (&once))
    {
      guint next = 256;

      for (guint c = 0; c < ALPHABET_END; c++)
        a.to_byte[c] = -1;
      for (guint b = 0; b < 256; b++)
        {
          gboolean printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
          a.to_cpt[b] = (guint16) (printable ? b : next++);
          a.to_byte[a.to_cpt[b]] = (gint16) b;
        }
      g_assert (next == ALPHABET_END);
      g_once_init_leave (&once, 1);
    }
  return &a;
}

/* Appends to @out the bytes @piece spells in the alphabet; a character outside it is copied
 * as it is.  Returns whether every character was in the alphabet. */
static gboolean
alphabet_decode (const char *piece, gsize len, GString *out)
{
  const Alphabet *a = alphabet ();
  gboolean all = TRUE;

  for (gsize i = 0; i < len;)
    {
      guint32 c;
      guint n = sm_utf8_decode ((const guint8 *) piece, len, i, &c);

      if (!(n == 1 && c == 0xfffd) && c < ALPHABET_END && a->to_byte[c] >= 0)
        g_string_append_c (out, (char) a->to_byte[c]);
      else
        {
          g_string_append_len (out, piece + i, n);
          all = FALSE;
        }
      i += n;
    }
  return all;
}

/* ---- the tables ------------------------------------------------------------------------------ */

/* A merge of the pair (a, b) into @result, at @rank; a = -1 marks an empty slot. */
typedef struct {
  gint32  a, b;
  guint32 rank;
  gint32  result;
} Merge;

typedef struct {
  SmPretokenizer *pre;
  gboolean        ignore_merges;

  /* Tokens by the bytes they stand for: every token but control ones whose piece is spelled
   * in the alphabet (which is all a word can ever spell).  Open addressing: id + 1, 0 empty. */
  GByteArray     *raw_blob;
  guint32        *raw_off;     /* [n_vocab + 1]; a token not indexed has raw_len G_MAXUINT32 */
  guint32        *raw_len;     /* [n_vocab] */
  gint32         *raw_slots;
  guint32         raw_mask;

  Merge          *merges;      /* open addressing by pair */
  guint32         merge_mask;
} Gpt2Data;

static void
gpt2_data_free (gpointer p)
{
  Gpt2Data *d = p;

  if (d == NULL)
    return;
  sm_pretokenizer_free (d->pre);
  if (d->raw_blob)
    g_byte_array_unref (d->raw_blob);
  g_free (d->raw_off);
  g_free (d->raw_len);
  g_free (d->raw_slots);
  g_free (d->merges);
  g_free (d);
}

static inline guint32
bytes_hash (const guint8 *s, gsize n)
{
  guint32 h = 2166136261u;   /* FNV-1a */

  for (gsize i = 0; i < n; i++)
    h = (h ^ s[i]) * 16777619u;
  return h;
}

static inline guint32
pair_hash (gint32 a, gint32 b)
{
  guint64 k = (guint64) (guint32) a << 32 | (guint32) b;

  k *= G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  return (guint32) (k >> 32);
}

static guint32
table_mask (gsize n)
{
  guint32 size = 16;

  while (size < 2 * n)
    size *= 2;
  return size - 1;
}

/* The token standing for text[0, n), or -1. */
static inline gint32
raw_lookup (const Gpt2Data *d, const guint8 *s, gsize n)
{
  for (guint32 i = bytes_hash (s, n) & d->raw_mask;; i = (i + 1) & d->raw_mask)
    {
      gint32 id = d->raw_slots[i] - 1;
      if (id < 0)
        return -1;
      if (d->raw_len[id] == n && memcmp (d->raw_blob->data + d->raw_off[id], s, n) == 0)
        return id;
    }
}

static inline const Merge *
merge_lookup (const Gpt2Data *d, gint32 a, gint32 b)
{
  for (guint32 i = pair_hash (a, b) & d->merge_mask;; i = (i + 1) & d->merge_mask)
    {
      const Merge *m = &d->merges[i];
      if (m->a < 0)
        return NULL;
      if (m->a == a && m->b == b)
        return m;
    }
}

/* ---- encoding -------------------------------------------------------------------------------- */

/* Words up to this many bytes merge by rescanning an array; longer ones with the heap. */
#define SHORT_WORD 64

typedef struct {
  SmTokenizer    *tok;
  const Gpt2Data *d;
  GArray         *out;
  GArray         *heap;      /* long words */
  gint32         *ids;       /* [cap] */
  guint32        *ranks;     /* [cap] rank of the pair (i, i + 1) */
  gint32         *results;   /* [cap] what it merges into */
  gint32         *prev, *next;
  gsize           cap;
} Encoder;

#define NO_RANK G_MAXUINT32

static inline void
pair_rank (const Gpt2Data *d, gint32 a, gint32 b, guint32 *rank, gint32 *result)
{
  const Merge *m = a >= 0 && b >= 0 ? merge_lookup (d, a, b) : NULL;

  *rank = m ? m->rank : NO_RANK;
  *result = m ? m->result : -1;
}

static void
merge_short (Encoder *e, gsize n)
{
  gint32 *ids = e->ids;
  guint32 *ranks = e->ranks;
  gint32 *res = e->results;

  for (gsize i = 0; i + 1 < n; i++)
    pair_rank (e->d, ids[i], ids[i + 1], &ranks[i], &res[i]);
  while (n > 1)
    {
      guint32 best_rank = NO_RANK;
      gsize best = 0;

      for (gsize i = 0; i + 1 < n; i++)
        if (ranks[i] < best_rank)
          best_rank = ranks[i], best = i;
      if (best_rank == NO_RANK)
        break;
      ids[best] = res[best];
      n--;
      memmove (ids + best + 1, ids + best + 2, (n - best - 1) * sizeof *ids);
      if (best + 1 < n)
        {
          memmove (ranks + best + 1, ranks + best + 2, (n - best - 2) * sizeof *ranks);
          memmove (res + best + 1, res + best + 2, (n - best - 2) * sizeof *res);
          pair_rank (e->d, ids[best], ids[best + 1], &ranks[best], &res[best]);
        }
      if (best > 0)
        pair_rank (e->d, ids[best - 1], ids[best], &ranks[best - 1], &res[best - 1]);
    }
  for (gsize i = 0; i < n; i++)
    if (ids[i] >= 0)
      g_array_append_val (e->out, ids[i]);
}

static void
offer_pair (Encoder *e, gint32 left, gint32 right)
{
  guint32 rank;
  gint32 result;
  SmBigram b;

  if (left < 0 || right < 0)
    return;
  pair_rank (e->d, e->ids[left], e->ids[right], &rank, &result);
  if (rank == NO_RANK)
    return;
  b.key = -(double) rank;
  b.left = left;
  b.right = right;
  b.check = rank;
  sm_bigram_heap_push (e->heap, &b);
}

/* The same merges for a long word, over a linked list with a heap of candidate pairs. */
static void
merge_long (Encoder *e, gsize n)
{
  gint32 *ids = e->ids, *prev = e->prev, *next = e->next;
  SmBigram b;

  for (gsize i = 0; i < n; i++)
    {
      prev[i] = (gint32) i - 1;
      next[i] = i + 1 < n ? (gint32) i + 1 : -1;
    }
  g_array_set_size (e->heap, 0);
  for (gsize i = 1; i < n; i++)
    offer_pair (e, (gint32) i - 1, (gint32) i);
  while (sm_bigram_heap_pop (e->heap, &b))
    {
      guint32 rank;
      gint32 result;

      /* Stale once either side has merged: the pair then has another rank, or none. */
      if (ids[b.left] == G_MININT32 || ids[b.right] == G_MININT32 || next[b.left] != b.right)
        continue;
      pair_rank (e->d, ids[b.left], ids[b.right], &rank, &result);
      if (rank != b.check)
        continue;
      ids[b.left] = result;
      ids[b.right] = G_MININT32;
      next[b.left] = next[b.right];
      if (next[b.right] >= 0)
        prev[next[b.right]] = b.left;
      offer_pair (e, prev[b.left], b.left);
      offer_pair (e, b.left, next[b.left]);
    }
  for (gint32 i = 0; i >= 0; i = next[i])
    if (ids[i] >= 0)
      g_array_append_val (e->out, ids[i]);
}

/* Some byte of the word has no token: vocabularies trained on UTF-8 text lack the bytes that
 * never occur in it (StarCoder's and Falcon's lack 0xF5-0xFF).  llama.cpp has turned every
 * broken byte into U+FFFD before it gets here, and leaves out a byte of a valid character
 * that has no token; do the same, but keep each broken byte that does have its token, so
 * that vocabularies with all 256 (GPT-2's, Llama 3's) give back any bytes.  Rewrites ids[];
 * returns their number (at most 3 n). */
static gsize
respell_missing (Encoder *e, const guint8 *w, gsize n)
{
  static const guint8 replacement[3] = { 0xef, 0xbf, 0xbd };
  const gint32 *byte_token = e->tok->byte_token;
  gsize m = 0;

  for (gsize i = 0; i < n;)
    {
      guint32 c;
      guint len = sm_utf8_decode (w, n, i, &c);

      if (len == 1 && c == 0xfffd && byte_token[w[i]] < 0)
        for (guint k = 0; k < 3; k++)
          e->ids[m++] = byte_token[replacement[k]];
      else
        for (guint k = 0; k < len; k++)
          e->ids[m++] = byte_token[w[i + k]];   /* -1: left out by the merging */
      i += len;
    }
  return m;
}

static void
encode_word (const char *text, gsize start, gsize end, gpointer data)
{
  Encoder *e = data;
  const guint8 *w = (const guint8 *) text + start;
  gsize n = end - start;
  gboolean missing = FALSE;

  /* llama.cpp's ignore_merges (Llama 3): a word that is a token is that token. */
  if (e->d->ignore_merges && n > 1)
    {
      gint32 id = raw_lookup (e->d, w, n);
      if (id >= 0)
        {
          g_array_append_val (e->out, id);
          return;
        }
    }
  if (3 * n > e->cap)
    {
      e->cap = MAX (3 * n, 2 * e->cap);
      e->ids = g_renew (gint32, e->ids, e->cap);
      e->ranks = g_renew (guint32, e->ranks, e->cap);
      e->results = g_renew (gint32, e->results, e->cap);
      e->prev = g_renew (gint32, e->prev, e->cap);
      e->next = g_renew (gint32, e->next, e->cap);
    }
  for (gsize i = 0; i < n; i++)
    missing |= (e->ids[i] = e->tok->byte_token[w[i]]) < 0;
  if (missing)
    n = respell_missing (e, w, n);
  if (n <= SHORT_WORD)
    merge_short (e, n);
  else
    merge_long (e, n);
}

static gboolean
gpt2_encode (SmTokenizer *tok, const char *text, gsize len, gboolean space_prefix, GArray *out,
             GError **error)
{
  Encoder e = { .tok = tok, .d = tok->kind_data, .out = out };

  if (len > G_MAXINT32 / 2)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_ENCODE,
                   "A text of %" G_GSIZE_FORMAT " bytes is too long to encode", len);
      return FALSE;
    }
  e.cap = 64;
  e.ids = g_new (gint32, e.cap);
  e.ranks = g_new (guint32, e.cap);
  e.results = g_new (gint32, e.cap);
  e.prev = g_new (gint32, e.cap);
  e.next = g_new (gint32, e.cap);
  e.heap = g_array_new (FALSE, FALSE, sizeof (SmBigram));
  sm_pretokenizer_split (e.d->pre, text, len, encode_word, &e);
  g_free (e.ids);
  g_free (e.ranks);
  g_free (e.results);
  g_free (e.prev);
  g_free (e.next);
  g_array_unref (e.heap);
  return TRUE;
}

/* ---- construction ---------------------------------------------------------------------------- */

static gboolean
check_id (gint32 id, gsize n_vocab, const char *what, GError **error)
{
  if (id < -1 || (id >= 0 && (gsize) id >= n_vocab))
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                   "The %s token id %d is outside the vocabulary of %" G_GSIZE_FORMAT " tokens",
                   what, id, n_vocab);
      return FALSE;
    }
  return TRUE;
}

static void
raw_index (Gpt2Data *d, gint32 n_vocab)
{
  d->raw_mask = table_mask ((gsize) n_vocab);
  d->raw_slots = g_new0 (gint32, (gsize) d->raw_mask + 1);
  for (gint32 id = 0; id < n_vocab; id++)
    {
      const guint8 *s = d->raw_blob->data + d->raw_off[id];
      guint32 i;

      if (d->raw_len[id] == G_MAXUINT32)
        continue;
      /* Two pieces standing for the same bytes: the first keeps them. */
      if (raw_lookup (d, s, d->raw_len[id]) >= 0)
        continue;
      for (i = bytes_hash (s, d->raw_len[id]) & d->raw_mask; d->raw_slots[i] != 0;
           i = (i + 1) & d->raw_mask)
        ;
      d->raw_slots[i] = id + 1;
    }
}

/* The token whose piece is @piece (spelled in the alphabet), or -1. */
static gint32
piece_token (const Gpt2Data *d, const char *piece, gsize len, GString *scratch)
{
  g_string_truncate (scratch, 0);
  if (len == 0 || !alphabet_decode (piece, len, scratch))
    return -1;
  return raw_lookup (d, (const guint8 *) scratch->str, scratch->len);
}

static gboolean
read_merges (SmTokenizer *tok, Gpt2Data *d, const SmGpt2Vocab *v, GError **error)
{
  g_autoptr (GString) raw = g_string_new (NULL);
  g_autoptr (GArray) pairs = g_array_new (FALSE, FALSE, sizeof (gint32));

  d->merge_mask = table_mask (v->n_merges);
  d->merges = g_new (Merge, (gsize) d->merge_mask + 1);
  for (guint32 i = 0; i <= d->merge_mask; i++)
    d->merges[i].a = -1;

  for (gsize r = 0; r < v->n_merges; r++)
    {
      const char *m = v->merges[r];
      gsize len = v->merge_lens ? v->merge_lens[r] : (m ? strlen (m) : 0);
      const char *space = len > 1 && m ? memchr (m + 1, ' ', len - 1) : NULL;
      gint32 a, b, result;
      gsize la;
      guint32 i;

      if (space == NULL)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Merge %" G_GSIZE_FORMAT " (\"%.*s\") is not two pieces and a space",
                       r, (int) MIN (len, 64), m ? m : "");
          return FALSE;
        }
      la = (gsize) (space - m);
      a = piece_token (d, m, la, raw);
      b = piece_token (d, space + 1, len - la - 1, raw);
      if (a < 0 || b < 0)
        {
          gboolean left = a < 0;
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Merge %" G_GSIZE_FORMAT " (\"%.*s\") names the piece \"%.*s\", which is "
                       "not in the vocabulary", r, (int) MIN (len, 64), m,
                       (int) (left ? la : len - la - 1), left ? m : space + 1);
          return FALSE;
        }
      g_string_truncate (raw, 0);
      alphabet_decode (m, la, raw);
      alphabet_decode (space + 1, len - la - 1, raw);
      result = raw_lookup (d, (const guint8 *) raw->str, raw->len);
      if (result < 0)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Merge %" G_GSIZE_FORMAT " (\"%.*s\") makes a piece that is not in the "
                       "vocabulary", r, (int) MIN (len, 64), m);
          return FALSE;
        }
      /* A pair merged twice keeps its first rank, as llama.cpp's bpe_ranks.emplace. */
      for (i = pair_hash (a, b) & d->merge_mask; d->merges[i].a >= 0; i = (i + 1) & d->merge_mask)
        if (d->merges[i].a == a && d->merges[i].b == b)
          break;
      if (d->merges[i].a >= 0)
        continue;
      d->merges[i] = (Merge) { a, b, (guint32) r, result };
      g_array_append_val (pairs, a);
      g_array_append_val (pairs, b);
    }
  tok->n_merges = pairs->len / 2;
  tok->merges = (gint32 *) g_array_free (g_steal_pointer (&pairs), FALSE);
  return TRUE;
}

SmTokenizer *
sm_tokenizer_new_gpt2 (const SmGpt2Vocab *v, GError **error)
{
  g_autoptr (SmTokenizer) tok = NULL;
  g_autoptr (GString) bytes = g_string_new (NULL);
  g_autoptr (GString) raw = g_string_new (NULL);
  SmPretokenizer *pre;
  Gpt2Data *d;

  g_return_val_if_fail (v != NULL, NULL);
  g_return_val_if_fail (v->pieces != NULL || v->n_vocab == 0, NULL);
  g_return_val_if_fail (v->merges != NULL || v->n_merges == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (v->n_vocab == 0 || v->n_vocab > G_MAXINT32 / 2)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                   "A vocabulary of %" G_GSIZE_FORMAT " tokens", v->n_vocab);
      return NULL;
    }
  if (!check_id (v->bos_id, v->n_vocab, "start (BOS)", error) ||
      !check_id (v->eos_id, v->n_vocab, "end (EOS)", error) ||
      !check_id (v->unk_id, v->n_vocab, "unknown (UNK)", error) ||
      !check_id (v->eot_id, v->n_vocab, "end-of-turn (EOT)", error) ||
      !check_id (v->eom_id, v->n_vocab, "end-of-message (EOM)", error))
    return NULL;
  pre = sm_pretokenizer_new (v->pre, error);
  if (pre == NULL)
    return NULL;

  tok = sm_tokenizer_alloc (SM_TOKENIZER_GPT2, v->n_vocab, gpt2_encode);
  d = g_new0 (Gpt2Data, 1);
  tok->kind_data = d;
  tok->kind_data_free = gpt2_data_free;
  d->pre = pre;
  d->ignore_merges = sm_pretokenizer_ignore_merges (pre);
  d->raw_blob = g_byte_array_new ();
  d->raw_off = g_new (guint32, v->n_vocab + 1);
  d->raw_len = g_new (guint32, v->n_vocab);
  tok->pre = g_strdup (sm_pretokenizer_name (pre));
  tok->bos = v->bos_id;
  tok->eos = v->eos_id;
  tok->unk = v->unk_id;
  tok->add_bos = v->add_bos < 0 ? sm_pretokenizer_add_bos (pre) : v->add_bos != 0;
  tok->add_eos = v->add_eos;

  for (gsize i = 0; i < v->n_vocab; i++)
    {
      const char *p = v->pieces[i];
      gint32 type = v->types ? v->types[i] : SM_TOKEN_TYPE_NORMAL;
      gsize len;
      gboolean spelled;
      guint8 byte;

      if (p == NULL)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Token %" G_GSIZE_FORMAT " has no piece", i);
          return NULL;
        }
      len = v->piece_lens ? v->piece_lens[i] : strlen (p);
      if (len > G_MAXINT32 / 4 || tok->piece_blob->len > G_MAXUINT32 - len - 1)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Token %" G_GSIZE_FORMAT " is %" G_GSIZE_FORMAT " bytes long", i, len);
          return NULL;
        }
      if (type < SM_TOKEN_TYPE_UNDEFINED || type > SM_TOKEN_TYPE_BYTE)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Token %" G_GSIZE_FORMAT " has the unknown type %d", i, type);
          return NULL;
        }
      tok->types[i] = (guint8) type;

      /* What it decodes to: llama.cpp's token_to_piece without special tokens. */
      g_string_truncate (raw, 0);
      spelled = len > 0 && alphabet_decode (p, len, raw);
      g_string_truncate (bytes, 0);
      switch (type)
        {
        case SM_TOKEN_TYPE_NORMAL:
          g_string_append_len (bytes, raw->str, (gssize) raw->len);
          break;
        case SM_TOKEN_TYPE_USER_DEFINED:
          g_string_append_len (bytes, p, (gssize) len);
          break;
        case SM_TOKEN_TYPE_BYTE:
          if (sm_parse_byte_piece (p, len, &byte))
            g_string_append_c (bytes, (char) byte);
          break;
        default:   /* control, unknown, unused and undefined tokens stand for no text */
          break;
        }
      sm_tokenizer_append_token (tok, (gint32) i, p, len, bytes->str, bytes->len);

      /* What a word must spell to be it (a control token never comes out of text). */
      d->raw_off[i] = d->raw_blob->len;
      d->raw_len[i] = spelled && type != SM_TOKEN_TYPE_CONTROL ? (guint32) raw->len : G_MAXUINT32;
      if (d->raw_len[i] != G_MAXUINT32)
        g_byte_array_append (d->raw_blob, (const guint8 *) raw->str, raw->len);
    }
  d->raw_off[v->n_vocab] = d->raw_blob->len;
  sm_tokenizer_finish_tables (tok);
  raw_index (d, tok->n_vocab);

  for (guint b = 0; b < 256; b++)
    {
      guint8 c = (guint8) b;
      tok->byte_token[b] = raw_lookup (d, &c, 1);
    }
  if (!read_merges (tok, d, v, error))
    return NULL;

  sm_tokenizer_find_special_tokens (tok);
  sm_tokenizer_add_eog (tok, v->eot_id);
  sm_tokenizer_add_eog (tok, v->eom_id);
  return g_steal_pointer (&tok);
}

SmTokenizer *
sm_tokenizer_new_gpt2_bytes (void)
{
  const Alphabet *a = alphabet ();
  char pieces_buf[256][4];
  const char *pieces[256];
  SmGpt2Vocab v = { 0 };
  SmTokenizer *tok;

  for (int b = 0; b < 256; b++)
    {
      int n = g_unichar_to_utf8 (a->to_cpt[b], pieces_buf[b]);
      pieces_buf[b][n] = '\0';
      pieces[b] = pieces_buf[b];
    }
  v.n_vocab = 256;
  v.pieces = pieces;
  v.pre = "gpt-2";
  v.bos_id = v.eos_id = v.unk_id = v.eot_id = v.eom_id = -1;
  v.add_bos = FALSE;
  g_autoptr (GError) error = NULL;
  tok = sm_tokenizer_new_gpt2 (&v, &error);
  if (tok == NULL)
    g_error ("GPT-2's byte vocabulary: %s", error->message);
  return tok;
}

SmTokenizer *
sm_tokenizer_new_gpt2_adding (SmTokenizer *base, const char *const *pieces, gsize n_pieces,
                              gint32 eot, GError **error)
{
  const int n = sm_tokenizer_n_vocab (base);
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  g_autoptr (GArray) types = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GPtrArray) merges = g_ptr_array_new_with_free_func (g_free);
  gsize n_merges = 0;
  const gint32 *m;
  SmGpt2Vocab v = { 0 };

  g_return_val_if_fail (sm_tokenizer_get_kind (base) == SM_TOKENIZER_GPT2, NULL);
  m = sm_tokenizer_get_merges (base, &n_merges);
  for (int i = 0; i < n; i++)
    {
      gint32 type = (gint32) sm_tokenizer_token_type (base, i);
      g_ptr_array_add (all, (gpointer) sm_tokenizer_token_piece (base, i));
      g_array_append_val (types, type);
    }
  for (gsize k = 0; k < n_pieces; k++)
    {
      gint32 type = SM_TOKEN_TYPE_CONTROL;
      g_ptr_array_add (all, (gpointer) pieces[k]);
      g_array_append_val (types, type);
    }
  /* the merges as the file spells them, so the new vocabulary reads them as the old did */
  for (gsize i = 0; i < n_merges; i++)
    g_ptr_array_add (merges, g_strconcat (sm_tokenizer_token_piece (base, m[2 * i]), " ",
                                          sm_tokenizer_token_piece (base, m[2 * i + 1]), NULL));
  v.n_vocab = all->len;
  v.pieces = (const char *const *) all->pdata;
  v.types = (const gint32 *) types->data;
  v.n_merges = merges->len;
  v.merges = (const char *const *) merges->pdata;
  v.pre = sm_tokenizer_get_pre (base);
  v.bos_id = sm_tokenizer_bos (base);
  v.eos_id = sm_tokenizer_eos (base);
  v.unk_id = sm_tokenizer_unk (base);
  v.eot_id = eot >= 0 && (gsize) eot < n_pieces ? n + eot : -1;
  v.eom_id = -1;
  v.add_bos = sm_tokenizer_get_add_bos (base);
  v.add_eos = sm_tokenizer_get_add_eos (base);
  return sm_tokenizer_new_gpt2 (&v, error);
}
