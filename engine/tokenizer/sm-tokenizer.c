/* sm-tokenizer.c: the common part of the tokenizers: tables, accessors, dispatch, decode.
 * The SPM kind lives in sm-tokenizer-spm.c, BPE in sm-tokenizer-bpe.c; each constructor there
 * hands its encoder to sm_tokenizer_alloc, so calls go from those files to this one only. */
#define G_LOG_DOMAIN "sm-tokenizer"

#include "sm-tokenizer-private.h"

#include <string.h>

G_DEFINE_QUARK (sm-tokenizer-error-quark, sm_tokenizer_error)

/* ---- the heap of candidate merges ------------------------------------------------------------ */

static inline gboolean
bigram_before (const SmBigram *a, const SmBigram *b)
{
  return a->key > b->key || (a->key == b->key && a->left < b->left);
}

void
sm_bigram_heap_push (GArray *heap, const SmBigram *b)
{
  SmBigram *h;
  guint i;

  g_array_append_vals (heap, b, 1);
  h = (SmBigram *) heap->data;
  i = heap->len - 1;
  while (i > 0)
    {
      guint parent = (i - 1) / 2;
      if (!bigram_before (b, &h[parent]))
        break;
      h[i] = h[parent];
      i = parent;
    }
  h[i] = *b;
}

gboolean
sm_bigram_heap_pop (GArray *heap, SmBigram *out)
{
  SmBigram *h = (SmBigram *) heap->data;
  SmBigram last;
  guint n, i = 0;

  if (heap->len == 0)
    return FALSE;
  *out = h[0];
  last = h[heap->len - 1];
  g_array_set_size (heap, heap->len - 1);
  n = heap->len;
  if (n == 0)
    return TRUE;
  for (;;)
    {
      guint child = 2 * i + 1;
      if (child >= n)
        break;
      if (child + 1 < n && bigram_before (&h[child + 1], &h[child]))
        child++;
      if (!bigram_before (&h[child], &last))
        break;
      h[i] = h[child];
      i = child;
    }
  h[i] = last;
  return TRUE;
}

/* ---- construction ---------------------------------------------------------------------------- */

SmTokenizer *
sm_tokenizer_alloc (SmTokenizerKind kind, gsize n_vocab, SmEncodeFunc encode)
{
  SmTokenizer *tok = g_new0 (SmTokenizer, 1);

  g_assert (n_vocab > 0 && n_vocab <= G_MAXINT32);
  g_assert (encode != NULL);
  tok->ref_count = 1;
  tok->kind = kind;
  tok->encode = encode;
  tok->n_vocab = (gint32) n_vocab;
  tok->piece_blob = g_byte_array_new ();
  tok->bytes_blob = g_byte_array_new ();
  tok->piece_off = g_new0 (guint32, n_vocab + 1);
  tok->bytes_off = g_new0 (guint32, n_vocab + 1);
  tok->scores = g_new0 (float, n_vocab);
  tok->types = g_new0 (guint8, n_vocab);
  tok->bos = tok->eos = tok->unk = -1;
  for (int b = 0; b < 256; b++)
    tok->byte_token[b] = -1;
  return tok;
}

void
sm_tokenizer_append_token (SmTokenizer *tok, gint32 id,
                           const char *piece, gsize piece_len,
                           const char *bytes, gsize bytes_len)
{
  static const guint8 nul = 0;

  g_assert (id >= 0 && id < tok->n_vocab);
  tok->piece_off[id] = tok->piece_blob->len;
  g_byte_array_append (tok->piece_blob, (const guint8 *) piece, piece_len);
  g_byte_array_append (tok->piece_blob, &nul, 1);
  tok->bytes_off[id] = tok->bytes_blob->len;
  g_byte_array_append (tok->bytes_blob, (const guint8 *) bytes, bytes_len);
  g_byte_array_append (tok->bytes_blob, &nul, 1);
  /* The end of this token, so it can be read before the table is finished (BPE builds each
   * merge from earlier tokens). */
  tok->piece_off[id + 1] = tok->piece_blob->len;
  tok->bytes_off[id + 1] = tok->bytes_blob->len;
}

void
sm_tokenizer_finish_tables (SmTokenizer *tok)
{
  tok->piece_off[tok->n_vocab] = tok->piece_blob->len;
  tok->bytes_off[tok->n_vocab] = tok->bytes_blob->len;
}

/* Bytes: each byte is its token. */
static gboolean
bytes_encode (SmTokenizer *tok, const char *text, gsize n, gboolean space_prefix, GArray *out,
              GError **error)
{
  g_array_set_size (out, out->len + n);
  for (gsize i = 0; i < n; i++)
    g_array_index (out, gint32, out->len - n + i) = (guint8) text[i];
  return TRUE;
}

SmTokenizer *
sm_tokenizer_new_bytes (void)
{
  SmTokenizer *tok = sm_tokenizer_alloc (SM_TOKENIZER_BYTES, 256, bytes_encode);

  for (int b = 0; b < 256; b++)
    {
      char c = (char) b;
      sm_tokenizer_append_token (tok, b, &c, 1, &c, 1);
      tok->types[b] = SM_TOKEN_TYPE_BYTE;
      tok->byte_token[b] = b;
    }
  sm_tokenizer_finish_tables (tok);
  return tok;
}

SmTokenizer *
sm_tokenizer_ref (SmTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, NULL);
  g_atomic_int_inc (&tok->ref_count);
  return tok;
}

void
sm_tokenizer_unref (SmTokenizer *tok)
{
  if (tok == NULL || !g_atomic_int_dec_and_test (&tok->ref_count))
    return;
  g_clear_pointer (&tok->piece_index, g_hash_table_unref);
  g_clear_pointer (&tok->merge_rank, g_hash_table_unref);
  g_byte_array_unref (tok->piece_blob);
  g_byte_array_unref (tok->bytes_blob);
  g_free (tok->piece_off);
  g_free (tok->bytes_off);
  g_free (tok->scores);
  g_free (tok->types);
  g_free (tok->piece_keys);
  g_free (tok->merges);
  g_free (tok->special);
  g_free (tok->eog);
  g_free (tok);
}

/* ---- accessors ------------------------------------------------------------------------------- */

SmTokenizerKind
sm_tokenizer_get_kind (SmTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, SM_TOKENIZER_BYTES);
  return tok->kind;
}

const char *
sm_tokenizer_kind_name (SmTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, NULL);
  switch (tok->kind)
    {
    case SM_TOKENIZER_BYTES: return "bytes";
    case SM_TOKENIZER_BPE:   return "byte-level BPE";
    case SM_TOKENIZER_SPM:   return "SentencePiece";
    default:                 g_assert_not_reached ();
    }
}

int
sm_tokenizer_n_vocab (SmTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, 0);
  return tok->n_vocab;
}

gint32
sm_tokenizer_bos (SmTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, -1);
  return tok->bos;
}

gint32
sm_tokenizer_eos (SmTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, -1);
  return tok->eos;
}

gint32
sm_tokenizer_unk (SmTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, -1);
  return tok->unk;
}

gboolean
sm_tokenizer_get_add_bos (SmTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, FALSE);
  return tok->add_bos && tok->bos >= 0;
}

gboolean
sm_tokenizer_get_add_space_prefix (SmTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, FALSE);
  return tok->add_space_prefix;
}

gboolean
sm_tokenizer_is_end (SmTokenizer *tok, gint32 id)
{
  g_return_val_if_fail (tok != NULL, FALSE);
  if (tok->eos >= 0 && id == tok->eos)
    return TRUE;
  for (guint i = 0; i < tok->n_eog; i++)
    if (tok->eog[i] == id)
      return TRUE;
  return FALSE;
}

const gint32 *
sm_tokenizer_get_merges (SmTokenizer *tok, gsize *n_merges)
{
  g_return_val_if_fail (tok != NULL, NULL);
  if (n_merges)
    *n_merges = tok->n_merges;
  return tok->merges;
}

const char *
sm_tokenizer_token_piece (SmTokenizer *tok, gint32 id)
{
  g_return_val_if_fail (tok != NULL, NULL);
  if (id < 0 || id >= tok->n_vocab)
    return NULL;
  return (const char *) tok->piece_blob->data + tok->piece_off[id];
}

const char *
sm_tokenizer_token_bytes (SmTokenizer *tok, gint32 id, gsize *len)
{
  g_return_val_if_fail (tok != NULL, NULL);
  if (id < 0 || id >= tok->n_vocab)
    {
      if (len)
        *len = 0;
      return NULL;
    }
  if (len)
    *len = tok->bytes_off[id + 1] - tok->bytes_off[id] - 1;
  return (const char *) tok->bytes_blob->data + tok->bytes_off[id];
}

SmTokenType
sm_tokenizer_token_type (SmTokenizer *tok, gint32 id)
{
  g_return_val_if_fail (tok != NULL, SM_TOKEN_TYPE_UNDEFINED);
  if (id < 0 || id >= tok->n_vocab)
    return SM_TOKEN_TYPE_UNDEFINED;
  return (SmTokenType) tok->types[id];
}

float
sm_tokenizer_token_score (SmTokenizer *tok, gint32 id)
{
  g_return_val_if_fail (tok != NULL, 0.f);
  if (id < 0 || id >= tok->n_vocab)
    return 0.f;
  return tok->scores[id];
}

/* ---- encode / decode ------------------------------------------------------------------------- */

/* One piece of the text being encoded: raw text, or a special token found in it. */
typedef struct {
  gint32 token;   /* -1: raw text */
  gsize  off;
  gsize  len;
} Fragment;

static gboolean
encode (SmTokenizer *tok, const char *text, gssize len, gboolean add_bos, gboolean special,
        GArray *out, GError **error)
{
  g_autoptr (GArray) frags = NULL;
  gboolean prev_special;
  gsize n;

  g_return_val_if_fail (tok != NULL, FALSE);
  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL && g_array_get_element_size (out) == sizeof (gint32), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n = len < 0 ? strlen (text) : (gsize) len;
  if (add_bos && tok->bos >= 0)
    g_array_append_val (out, tok->bos);
  if (!special || tok->n_special == 0)
    return tok->encode (tok, text, n, tok->add_space_prefix, out, error);

  /* llama.cpp's tokenizer_st_partition: each special token, longest first, claims its
   * occurrences in what is still raw text; the raw pieces between are encoded alone. */
  frags = g_array_new (FALSE, FALSE, sizeof (Fragment));
  g_array_append_vals (frags, &(Fragment) { -1, 0, n }, 1);
  for (guint s = 0; s < tok->n_special; s++)
    {
      gint32 id = tok->special[s];
      const char *piece = sm_tokenizer_token_piece (tok, id);
      gsize plen = tok->piece_off[id + 1] - tok->piece_off[id] - 1;

      for (guint f = 0; f < frags->len; f++)
        {
          Fragment fr = g_array_index (frags, Fragment, f);
          const char *hit;
          gsize at;

          if (fr.token >= 0 || fr.len < plen)
            continue;
          hit = memmem (text + fr.off, fr.len, piece, plen);
          if (hit == NULL)
            continue;
          /* [before][token][after]: after is looked at again on the next turn of the loop */
          at = (gsize) (hit - text);
          g_array_remove_index (frags, f);
          if (fr.off + fr.len > at + plen)
            g_array_insert_vals (frags, f, &(Fragment) { -1, at + plen, fr.off + fr.len - at - plen }, 1);
          g_array_insert_vals (frags, f, &(Fragment) { id, at, plen }, 1);
          if (at > fr.off)
            {
              g_array_insert_vals (frags, f, &(Fragment) { -1, fr.off, at - fr.off }, 1);
              f++;
            }
        }
    }

  /* As llama.cpp's SPM session: raw text after a special token (or at the start) gets the
   * space prefix again. */
  prev_special = TRUE;
  for (guint f = 0; f < frags->len; f++)
    {
      const Fragment *fr = &g_array_index (frags, Fragment, f);

      if (fr->token >= 0)
        {
          g_array_append_val (out, fr->token);
          prev_special = TRUE;
          continue;
        }
      if (!tok->encode (tok, text + fr->off, fr->len, tok->add_space_prefix && prev_special,
                       out, error))
        return FALSE;
      prev_special = FALSE;
    }
  return TRUE;
}

gboolean
sm_tokenizer_encode (SmTokenizer *tok, const char *text, gssize len,
                     gboolean add_bos, GArray *out, GError **error)
{
  return encode (tok, text, len, add_bos, FALSE, out, error);
}

gboolean
sm_tokenizer_encode_special (SmTokenizer *tok, const char *text, gssize len,
                             gboolean add_bos, GArray *out, GError **error)
{
  return encode (tok, text, len, add_bos, TRUE, out, error);
}

char *
sm_tokenizer_decode (SmTokenizer *tok, const gint32 *ids, gsize n_ids, gsize *len)
{
  GString *s;
  gboolean strip_space;

  g_return_val_if_fail (tok != NULL, NULL);
  g_return_val_if_fail (ids != NULL || n_ids == 0, NULL);

  strip_space = tok->kind == SM_TOKENIZER_SPM && tok->add_space_prefix;
  s = g_string_new (NULL);
  for (gsize i = 0; i < n_ids; i++)
    {
      gsize n;
      const char *b = sm_tokenizer_token_bytes (tok, ids[i], &n);

      if (b == NULL)
        continue;
      /* SentencePiece's decoder drops the space its encoder put in front of the text. */
      if (strip_space && i > 0 && ids[i - 1] == tok->bos && n > 0 && b[0] == ' ')
        b++, n--;
      g_string_append_len (s, b, (gssize) n);
    }
  if (len)
    *len = s->len;
  return g_string_free (s, FALSE);
}
