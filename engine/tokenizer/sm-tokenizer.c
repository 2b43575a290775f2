/* sm-tokenizer.c: the common part of the tokenizers: tables, accessors, the special tokens
 * (cut out of a text before the kind's encoder sees it, the end-of-generation set), dispatch,
 * decode.  The kinds live in sm-tokenizer-spm.c, sm-tokenizer-bpe.c and sm-tokenizer-gpt2.c;
 * each constructor there hands its encoder to sm_tokenizer_alloc, so calls go from those files
 * to this one only. */
#define G_LOG_DOMAIN "sm-tokenizer"

#include "sm-tokenizer-private.h"

#include <string.h>

G_DEFINE_QUARK (sm-tokenizer-error-quark, sm_tokenizer_error)

/* ---- small shared helpers -------------------------------------------------------------------- */

guint
sm_piece_key_hash (gconstpointer p)
{
  const SmPieceKey *k = p;
  guint32 h = 2166136261u;   /* FNV-1a */

  for (gsize i = 0; i < k->len; i++)
    h = (h ^ (guint8) k->s[i]) * 16777619u;
  return h;
}

gboolean
sm_piece_key_equal (gconstpointer a, gconstpointer b)
{
  const SmPieceKey *x = a, *y = b;

  return x->len == y->len && memcmp (x->s, y->s, x->len) == 0;
}

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

gboolean
sm_parse_byte_piece (const char *p, gsize len, guint8 *byte)
{
  int hi, lo;

  if (len != 6 || memcmp (p, "<0x", 3) != 0 || p[5] != '>')
    return FALSE;
  hi = hex_digit (p[3]);
  lo = hex_digit (p[4]);
  if (hi < 0 || lo < 0)
    return FALSE;
  *byte = (guint8) (hi << 4 | lo);
  return TRUE;
}

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

void
sm_tokenizer_set_token_attr (SmTokenizer *tok, gint32 id, guint8 attr, gboolean on)
{
  g_assert (id >= 0 && id < tok->n_vocab);
  if (tok->attrs == NULL)
    {
      if (!on)
        return;
      tok->attrs = g_new0 (guint8, tok->n_vocab);
    }
  if (on)
    tok->attrs[id] |= attr;
  else
    tok->attrs[id] &= (guint8) ~attr;
}

/* ---- special tokens -------------------------------------------------------------------------- */

/* The pieces llama.cpp's vocabulary loader takes for end-of-generation tokens besides EOS,
 * whatever their type (it makes them control tokens; here the type read is kept): the end of
 * a turn, and the fill-in-the-middle pad, repository and file separators. */
static const char *const eog_pieces[] = {
  "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
  "<EOT>", "_<EOT>", "<|end_of_text|>", "<|END_OF_TURN_TOKEN|>", "<end_of_utterance>",
  "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
  "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>",
};

static inline gsize
piece_len (SmTokenizer *tok, gint32 id)
{
  return tok->piece_off[id + 1] - tok->piece_off[id] - 1;
}

static gint
special_longer_first (gconstpointer a, gconstpointer b, gpointer data)
{
  SmTokenizer *tok = data;
  gint32 x = *(const gint32 *) a, y = *(const gint32 *) b;
  gsize lx = piece_len (tok, x), ly = piece_len (tok, y);

  if (lx != ly)
    return lx > ly ? -1 : 1;
  return x < y ? -1 : x > y;
}

static gint
length_longer_first (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x > y ? -1 : x < y;
}

static inline void
set_bit (guint8 *bits, guint i)
{
  bits[i >> 3] |= (guint8) (1u << (i & 7));
}

static inline gboolean
test_bit (const guint8 *bits, guint i)
{
  return (bits[i >> 3] >> (i & 7)) & 1;
}

static void
build_special_index (SmTokenizer *tok)
{
  SmSpecialIndex *ix = &tok->special_index;
  g_autoptr (GArray) lengths = g_array_new (FALSE, FALSE, sizeof (guint32));

  ix->first2[0] = g_new0 (guint8, 65536 / 8);
  ix->first2[1] = g_new0 (guint8, 65536 / 8);
  ix->order = g_new (guint32, tok->n_vocab);
  ix->keys = g_new (SmPieceKey, MAX (tok->n_special, 1));
  ix->by_piece = g_hash_table_new (sm_piece_key_hash, sm_piece_key_equal);
  for (guint s = 0; s < tok->n_special; s++)
    {
      gint32 id = tok->special[s];
      const guint8 *p = (const guint8 *) sm_tokenizer_token_piece (tok, id);
      gsize len = piece_len (tok, id);
      guint32 len32 = (guint32) len;
      gboolean plain = tok->types[id] == SM_TOKEN_TYPE_USER_DEFINED;
      guint l;

      ix->order[id] = s;
      ix->keys[s].s = (const char *) p;
      ix->keys[s].len = len;
      /* Two specials spelled alike: the first in claiming order takes every occurrence. */
      if (!g_hash_table_contains (ix->by_piece, &ix->keys[s]))
        g_hash_table_insert (ix->by_piece, &ix->keys[s], GINT_TO_POINTER (id + 1));
      for (guint x = len == 1 ? 0 : p[1]; x <= (len == 1 ? 255u : p[1]); x++)
        {
          set_bit (ix->first2[1], (guint) p[0] << 8 | x);
          if (plain)
            set_bit (ix->first2[0], (guint) p[0] << 8 | x);
        }
      for (l = 0; l < lengths->len; l++)
        if (g_array_index (lengths, guint32, l) == len32)
          break;
      if (l == lengths->len)
        g_array_append_val (lengths, len32);
    }
  g_array_sort (lengths, length_longer_first);
  ix->n_lengths = lengths->len;
  ix->lengths = (guint32 *) g_array_free (g_steal_pointer (&lengths), FALSE);
}

static void
special_index_clear (SmSpecialIndex *ix)
{
  g_clear_pointer (&ix->by_piece, g_hash_table_unref);
  g_clear_pointer (&ix->first2[0], g_free);
  g_clear_pointer (&ix->first2[1], g_free);
  g_clear_pointer (&ix->lengths, g_free);
  g_clear_pointer (&ix->keys, g_free);
  g_clear_pointer (&ix->order, g_free);
}

void
sm_tokenizer_find_special_tokens (SmTokenizer *tok)
{
  g_autoptr (GArray) special = g_array_new (FALSE, FALSE, sizeof (gint32));

  g_assert (tok->special == NULL);
  for (gint32 i = 0; i < tok->n_vocab; i++)
    {
      guint8 type = tok->types[i];
      const char *piece = sm_tokenizer_token_piece (tok, i);

      if ((type == SM_TOKEN_TYPE_CONTROL || type == SM_TOKEN_TYPE_USER_DEFINED ||
           type == SM_TOKEN_TYPE_UNKNOWN) && *piece != '\0')
        {
          g_array_append_val (special, i);
          tok->n_user_defined += type == SM_TOKEN_TYPE_USER_DEFINED;
        }
      for (guint k = 0; k < G_N_ELEMENTS (eog_pieces); k++)
        if (strcmp (piece, eog_pieces[k]) == 0)
          sm_tokenizer_add_eog (tok, i);
    }
  g_array_sort_with_data (special, special_longer_first, tok);
  tok->n_special = special->len;
  tok->special = (gint32 *) g_array_free (g_steal_pointer (&special), FALSE);
  build_special_index (tok);
}

void
sm_tokenizer_add_eog (SmTokenizer *tok, gint32 id)
{
  if (id < 0 || id >= tok->n_vocab || id == tok->eos)
    return;
  for (guint i = 0; i < tok->n_eog; i++)
    if (tok->eog[i] == id)
      return;
  tok->eog = g_renew (gint32, tok->eog, tok->n_eog + 1);
  tok->eog[tok->n_eog++] = id;
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
  if (tok->kind_data_free != NULL)
    tok->kind_data_free (tok->kind_data);
  special_index_clear (&tok->special_index);
  g_free (tok->attrs);
  g_free (tok->pre);
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
    case SM_TOKENIZER_GPT2:  return "GPT-2 byte-level BPE";
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
sm_tokenizer_get_add_eos (SmTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, FALSE);
  return tok->add_eos && tok->eos >= 0;
}

const char *
sm_tokenizer_get_pre (SmTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, NULL);
  return tok->pre;
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

/* A special token's piece found at @pos; @order: its place in the claiming order. */
typedef struct {
  guint32 order;
  gint32  id;
  gsize   pos;
} Occurrence;

static gint
occurrence_cmp (gconstpointer a, gconstpointer b)
{
  const Occurrence *x = a, *y = b;

  if (x->order != y->order)
    return x->order < y->order ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static gint
occurrence_by_pos (gconstpointer a, gconstpointer b)
{
  const Occurrence *x = a, *y = b;

  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* C's isspace in the C locale, which llama.cpp strips with. */
static inline gboolean
is_c_space (char c)
{
  return c == ' ' || (c >= '\t' && c <= '\r');
}

/* llama.cpp's tokenizer_st_partition: each special token, longest first, claims its
 * occurrences, left to right, in what is still raw text; a token with the lstrip / rstrip
 * attribute also swallows the white space before / after it.  Done here from one pass that
 * finds every occurrence of every piece, then claiming in llama.cpp's order, so a long text
 * costs one bit test a byte rather than a search a special token (deepseek's vocabulary has
 * 2400 of them).  Returns the fragments, or NULL when the text holds no special token. */
static GArray *
cut_special_tokens (SmTokenizer *tok, const char *text, gsize n, gboolean special)
{
  const SmSpecialIndex *ix = &tok->special_index;
  const guint8 *bits = ix->first2[special ? 1 : 0];
  g_autoptr (GArray) occ = NULL;
  g_autoptr (GArray) claimed = NULL;
  g_autofree guint8 *mark = NULL;   /* 0 raw, 1 a claimed token, 2 stripped away */
  GArray *frags;
  gsize cursor = 0;

  for (gsize p = 0; p < n; p++)
    {
      guint key = (guint) (guint8) text[p] << 8 | (p + 1 < n ? (guint8) text[p + 1] : 0);

      if (!test_bit (bits, key))
        continue;
      for (guint l = 0; l < ix->n_lengths; l++)
        {
          SmPieceKey k = { text + p, ix->lengths[l] };
          gint32 id;

          if (k.len > n - p)
            continue;
          id = GPOINTER_TO_INT (g_hash_table_lookup (ix->by_piece, &k)) - 1;
          if (id < 0 || (!special && tok->types[id] != SM_TOKEN_TYPE_USER_DEFINED))
            continue;
          if (occ == NULL)
            occ = g_array_new (FALSE, FALSE, sizeof (Occurrence));
          g_array_append_vals (occ, &(Occurrence) { ix->order[id], id, p }, 1);
        }
    }
  if (occ == NULL)
    return NULL;

  g_array_sort (occ, occurrence_cmp);
  mark = g_malloc0 (n);
  claimed = g_array_new (FALSE, FALSE, sizeof (Occurrence));
  for (guint i = 0; i < occ->len; i++)
    {
      const Occurrence *o = &g_array_index (occ, Occurrence, i);
      gsize len = piece_len (tok, o->id);
      guint8 attr = tok->attrs ? tok->attrs[o->id] : 0;
      gboolean free_ = TRUE;

      /* Text another token (or an earlier occurrence of this one) took is no longer raw. */
      for (gsize q = o->pos; q < o->pos + len && free_; q++)
        free_ = mark[q] == 0;
      if (!free_)
        continue;
      memset (mark + o->pos, 1, len);
      if (attr & SM_TOKEN_ATTR_LSTRIP)
        for (gsize q = o->pos; q > 0 && mark[q - 1] == 0 && is_c_space (text[q - 1]); q--)
          mark[q - 1] = 2;
      if (attr & SM_TOKEN_ATTR_RSTRIP)
        for (gsize q = o->pos + len; q < n && mark[q] == 0 && is_c_space (text[q]); q++)
          mark[q] = 2;
      g_array_append_vals (claimed, o, 1);
    }

  /* Stripped white space always touches its token, so a raw run is what lies between two
   * tokens less the stripped bytes at either end. */
  g_array_sort (claimed, occurrence_by_pos);
  frags = g_array_new (FALSE, FALSE, sizeof (Fragment));
  for (guint i = 0; i <= claimed->len; i++)
    {
      gsize end = i < claimed->len ? g_array_index (claimed, Occurrence, i).pos : n;
      gsize start = cursor;

      while (start < end && mark[start] == 2)
        start++;
      while (end > start && mark[end - 1] == 2)
        end--;
      if (end > start)
        g_array_append_vals (frags, &(Fragment) { -1, start, end - start }, 1);
      if (i == claimed->len)
        break;
      {
        const Occurrence *o = &g_array_index (claimed, Occurrence, i);
        gsize len = piece_len (tok, o->id);
        g_array_append_vals (frags, &(Fragment) { o->id, o->pos, len }, 1);
        cursor = o->pos + len;
      }
    }
  return frags;
}

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
  if ((special ? tok->n_special : tok->n_user_defined) > 0)
    frags = cut_special_tokens (tok, text, n, special);
  if (frags == NULL)
    return tok->encode (tok, text, n, tok->add_space_prefix, out, error);

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
