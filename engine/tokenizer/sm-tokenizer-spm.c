/* sm-tokenizer-spm.c: SentencePiece-style BPE, as llama.cpp's llm_tokenizer_spm runs it.
 *
 * The text (spaces as ▁, one ▁ in front) is split into UTF-8 characters, kept as a linked
 * list of symbols.  Every adjacent pair whose concatenation is a piece goes on a heap keyed
 * by that piece's score; the best pair merges, its new neighbours are offered, and so on until
 * the heap is empty.  Each remaining symbol is its piece, or failing that its bytes as `<0xNN>`
 * tokens.  llama2.c's encoder rescans the whole list after every merge (quadratic); this one
 * is O(n log n) and gives the same ids.  Also llama2.c's tokenizer.bin; GGUF vocabularies are
 * read in sm-tokenizer-gguf.c.
 */
#define G_LOG_DOMAIN "sm-tokenizer"

#include "sm-tokenizer-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* ---- the piece index ------------------------------------------------------------------------- */

static gint32
piece_lookup (SmTokenizer *tok, const char *s, gsize len)
{
  SmPieceKey k = { s, len };

  return GPOINTER_TO_INT (g_hash_table_lookup (tok->piece_index, &k)) - 1;
}

/* SentencePiece never makes control, unknown, byte or unused pieces out of text: a prompt
 * that spells "<s>" or "<0x41>" stays those characters.  (llama.cpp matches every piece; the
 * two agree on all of its test vectors.) */
static gboolean
type_matches_text (guint8 type)
{
  return type == SM_TOKEN_TYPE_NORMAL || type == SM_TOKEN_TYPE_USER_DEFINED ||
         type == SM_TOKEN_TYPE_UNDEFINED;
}

/* ---- construction ---------------------------------------------------------------------------- */

static gboolean
check_special (gint32 id, gsize n_vocab, const char *what, GError **error)
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

static gboolean spm_encode (SmTokenizer *tok, const char *text, gsize len,
                            gboolean space_prefix, GArray *out, GError **error);

SmTokenizer *
sm_tokenizer_new_spm (const SmSpmVocab *v, GError **error)
{
  g_autoptr (SmTokenizer) tok = NULL;
  g_autoptr (GString) text = g_string_new (NULL);

  g_return_val_if_fail (v != NULL, NULL);
  g_return_val_if_fail (v->pieces != NULL || v->n_vocab == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (v->n_vocab == 0 || v->n_vocab > G_MAXINT32 / 2)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                   "A vocabulary of %" G_GSIZE_FORMAT " tokens", v->n_vocab);
      return NULL;
    }
  if (!check_special (v->bos_id, v->n_vocab, "start (BOS)", error) ||
      !check_special (v->eos_id, v->n_vocab, "end (EOS)", error) ||
      !check_special (v->unk_id, v->n_vocab, "unknown (UNK)", error))
    return NULL;

  tok = sm_tokenizer_alloc (SM_TOKENIZER_SPM, v->n_vocab, spm_encode);
  tok->bos = v->bos_id;
  tok->eos = v->eos_id;
  tok->unk = v->unk_id;
  tok->add_bos = v->add_bos;
  tok->add_space_prefix = v->add_space_prefix;

  for (gsize i = 0; i < v->n_vocab; i++)
    {
      const char *p = v->pieces[i];
      gsize len;
      gint32 type;
      guint8 byte = 0;
      gboolean is_byte;

      if (p == NULL)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Token %" G_GSIZE_FORMAT " has no piece", i);
          return NULL;
        }
      len = v->piece_lens ? v->piece_lens[i] : strlen (p);
      if (len > G_MAXINT32 / 4)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Token %" G_GSIZE_FORMAT " is %" G_GSIZE_FORMAT " bytes long", i, len);
          return NULL;
        }
      is_byte = sm_parse_byte_piece (p, len, &byte);
      if (v->types)
        type = v->types[i];
      else if ((gint32) i == v->unk_id)
        type = SM_TOKEN_TYPE_UNKNOWN;
      else if ((gint32) i == v->bos_id || (gint32) i == v->eos_id)
        type = SM_TOKEN_TYPE_CONTROL;
      else
        type = is_byte ? SM_TOKEN_TYPE_BYTE : SM_TOKEN_TYPE_NORMAL;
      if (type < SM_TOKEN_TYPE_UNDEFINED || type > SM_TOKEN_TYPE_BYTE)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Token %" G_GSIZE_FORMAT " has the unknown type %d", i, type);
          return NULL;
        }
      if (type == SM_TOKEN_TYPE_BYTE && !is_byte)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "Token %" G_GSIZE_FORMAT " is typed as a byte but not spelled <0xNN>", i);
          return NULL;
        }
      tok->types[i] = (guint8) type;
      tok->scores[i] = v->scores ? v->scores[i] : 0.f;

      /* What the token decodes to (llama.cpp's token_to_piece without special tokens). */
      g_string_truncate (text, 0);
      switch (type)
        {
        case SM_TOKEN_TYPE_NORMAL:
        case SM_TOKEN_TYPE_UNDEFINED:
          for (gsize j = 0; j < len; j++)
            {
              if (j + SM_SPM_SPACE_LEN <= len && memcmp (p + j, SM_SPM_SPACE, SM_SPM_SPACE_LEN) == 0)
                {
                  g_string_append_c (text, ' ');
                  j += SM_SPM_SPACE_LEN - 1;
                }
              else
                g_string_append_c (text, p[j]);
            }
          break;
        case SM_TOKEN_TYPE_USER_DEFINED:
          g_string_append_len (text, p, (gssize) len);
          break;
        case SM_TOKEN_TYPE_BYTE:
          g_string_append_c (text, (char) byte);
          if (tok->byte_token[byte] < 0)
            tok->byte_token[byte] = (gint32) i;
          break;
        case SM_TOKEN_TYPE_UNKNOWN:
          g_string_append (text, "\xe2\x96\x85");   /* U+2585, as llama.cpp shows it */
          break;
        default:   /* control and unused tokens stand for no text */
          break;
        }
      sm_tokenizer_append_token (tok, (gint32) i, p, len, text->str, text->len);
    }
  sm_tokenizer_finish_tables (tok);

  /* Keyed into the finished blob, which no longer moves.  A repeated piece maps to its last
   * id, as in llama.cpp. */
  tok->piece_keys = g_new (SmPieceKey, v->n_vocab);
  tok->piece_index = g_hash_table_new (sm_piece_key_hash, sm_piece_key_equal);
  for (gint32 i = 0; i < tok->n_vocab; i++)
    {
      tok->piece_keys[i].s = sm_tokenizer_token_piece (tok, i);
      tok->piece_keys[i].len = tok->piece_off[i + 1] - tok->piece_off[i] - 1;
      if (type_matches_text (tok->types[i]))
        g_hash_table_insert (tok->piece_index, &tok->piece_keys[i], GINT_TO_POINTER (i + 1));
    }
  sm_tokenizer_find_special_tokens (tok);
  return g_steal_pointer (&tok);
}

/* ---- llama2.c's tokenizer.bin ---------------------------------------------------------------- */

static gboolean
read_i32 (const guint8 *data, gsize size, gsize *pos, gint32 *out)
{
  if (size - *pos < 4)
    return FALSE;
  memcpy (out, data + *pos, 4);
  *pos += 4;
  return TRUE;
}

SmTokenizer *
sm_tokenizer_new_llama2c (const char *path, gint vocab_size, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) scores = g_array_new (FALSE, FALSE, sizeof (float));
  const guint8 *data;
  gsize size = 0, pos = 0;
  gint32 max_len;
  SmSpmVocab v = { 0 };
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &contents, &size, &local))
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_IO,
                   _("cannot be read: %s"), local->message);
      return NULL;
    }
  data = (const guint8 *) contents;
  if (!read_i32 (data, size, &pos, &max_len) || max_len <= 0)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                   "is not a llama2.c tokenizer (no max_token_length)");
      return NULL;
    }

  while (vocab_size > 0 ? pieces->len < (guint) vocab_size : pos < size)
    {
      float score;
      gint32 len = 0;
      GString *piece;

      if (size - pos < 8)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "ends after %u tokens%s", pieces->len,
                       vocab_size > 0 ? "; the model expects more" : " inside a token");
          return NULL;
        }
      memcpy (&score, data + pos, 4);
      pos += 4;
      if (!read_i32 (data, size, &pos, &len) || len < 0 || (gsize) len > size - pos)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "claims %d bytes for token %u, past the end of the file",
                       len, pieces->len);
          return NULL;
        }

      /* llama2.c's export spells BOS and EOS "\n<s>\n" and "\n</s>\n" and writes ▁ as a space:
       * undo both so the pieces are SentencePiece's own. */
      piece = g_string_sized_new ((gsize) len + 8);
      for (gint32 j = 0; j < len; j++)
        {
          if (data[pos + j] == ' ')
            g_string_append (piece, SM_SPM_SPACE);
          else
            g_string_append_c (piece, (char) data[pos + j]);
        }
      pos += (gsize) len;
      if ((pieces->len == 1 && strcmp (piece->str, "\n<s>\n") == 0) ||
          (pieces->len == 2 && strcmp (piece->str, "\n</s>\n") == 0))
        {
          g_string_erase (piece, 0, 1);
          g_string_truncate (piece, piece->len - 1);
        }
      g_ptr_array_add (pieces, g_string_free (piece, FALSE));
      g_array_append_val (scores, score);
    }
  if (pieces->len < 3)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                   "holds only %u tokens", pieces->len);
      return NULL;
    }
  if (vocab_size > 0 && pos < size)
    {
      /* Its first tokens would read fine and the text come out as nonsense: another model's
       * tokenizer (the 32000-token tokenizer.bin beside a 512-token model, say). */
      guint more = 0;
      for (gsize q = pos; size - q >= 8; more++)
        {
          gint32 len;
          memcpy (&len, data + q + 4, 4);
          if (len < 0 || (gsize) len > size - q - 8)
            break;
          q += 8 + (gsize) len;
        }
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                   _("holds %u tokens, but the model's vocabulary is %d: it belongs to another "
                     "model"), vocab_size + more, vocab_size);
      return NULL;
    }

  /* llama2.c's fixed ids: UNK 0, BOS 1, EOS 2; byte tokens are recognised by their spelling. */
  v.n_vocab = pieces->len;
  v.pieces = (const char *const *) pieces->pdata;
  v.scores = (const float *) scores->data;
  v.bos_id = 1;
  v.eos_id = 2;
  v.unk_id = 0;
  v.add_bos = TRUE;
  v.add_space_prefix = TRUE;
  return sm_tokenizer_new_spm (&v, error);
}

/* ---- encoding -------------------------------------------------------------------------------- */

typedef struct {
  gint32  prev, next;   /* -1 at the ends */
  guint32 off;          /* into the escaped text */
  guint32 n;            /* bytes; 0 once merged into its left neighbour */
} Symbol;

/* The length of a UTF-8 sequence from its first byte, as llama.cpp's unicode_len_utf8: a stray
 * continuation byte counts as one character, so any byte string splits. */
static inline guint
utf8_len (guint8 c)
{
  static const guint8 lookup[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };
  return lookup[c >> 4];
}

static void
try_add_bigram (SmTokenizer *tok, const char *text, const Symbol *sym, GArray *heap,
                gint32 left, gint32 right)
{
  SmBigram b;
  gint32 id;

  if (left < 0 || right < 0)
    return;
  id = piece_lookup (tok, text + sym[left].off, sym[left].n + sym[right].n);
  if (id < 0)
    return;
  b.key = tok->scores[id];
  b.left = left;
  b.right = right;
  b.check = sym[left].n + sym[right].n;
  sm_bigram_heap_push (heap, &b);
}

static gboolean
spm_encode (SmTokenizer *tok, const char *text, gsize len, gboolean space_prefix, GArray *out,
            GError **error)
{
  g_autoptr (GString) esc = NULL;
  g_autoptr (GArray) heap = NULL;
  g_autofree Symbol *sym = NULL;
  gint32 n_sym = 0;
  SmBigram b;

  /* As SentencePiece: no text, no tokens (not even the space prefix). */
  if (len == 0)
    return TRUE;
  if (len > G_MAXINT32 / 4)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_ENCODE,
                   "A text of %" G_GSIZE_FORMAT " bytes is too long to encode", len);
      return FALSE;
    }

  esc = g_string_sized_new (len + SM_SPM_SPACE_LEN);
  if (space_prefix)
    g_string_append (esc, SM_SPM_SPACE);
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == ' ')
        g_string_append (esc, SM_SPM_SPACE);
      else
        g_string_append_c (esc, text[i]);
    }

  sym = g_new (Symbol, esc->len);
  for (gsize off = 0; off < esc->len; n_sym++)
    {
      guint n = MIN (utf8_len ((guint8) esc->str[off]), esc->len - off);

      /* llama.cpp would swallow whatever follows a broken lead byte (a ▁ too, which would
       * then come back as "▁" rather than a space): a broken sequence is one byte. */
      for (guint k = 1; k < n; k++)
        if (((guint8) esc->str[off + k] & 0xc0) != 0x80)
          n = 1;
      sym[n_sym].prev = n_sym - 1;
      sym[n_sym].off = (guint32) off;
      sym[n_sym].n = n;
      off += n;
      sym[n_sym].next = off == esc->len ? -1 : n_sym + 1;
    }

  heap = g_array_sized_new (FALSE, FALSE, sizeof (SmBigram), n_sym);
  for (gint32 i = 1; i < n_sym; i++)
    try_add_bigram (tok, esc->str, sym, heap, i - 1, i);

  while (sm_bigram_heap_pop (heap, &b))
    {
      Symbol *l = &sym[b.left], *r = &sym[b.right];

      /* Either side may have merged since the pair was offered: then the lengths differ. */
      if (l->n == 0 || r->n == 0 || l->n + r->n != b.check)
        continue;
      l->n += r->n;
      r->n = 0;
      l->next = r->next;
      if (r->next >= 0)
        sym[r->next].prev = b.left;
      try_add_bigram (tok, esc->str, sym, heap, l->prev, b.left);
      try_add_bigram (tok, esc->str, sym, heap, b.left, l->next);
    }

  for (gint32 i = 0; i != -1; i = sym[i].next)
    {
      gint32 id = piece_lookup (tok, esc->str + sym[i].off, sym[i].n);

      if (id >= 0)
        {
          g_array_append_val (out, id);
          continue;
        }
      /* Byte fallback: a character with no piece goes out as its bytes; SentencePiece
       * without byte tokens makes it one UNK. */
      gboolean bytes_ok = TRUE;
      for (guint j = 0; j < sym[i].n; j++)
        bytes_ok &= tok->byte_token[(guint8) esc->str[sym[i].off + j]] >= 0;
      if (!bytes_ok)
        {
          if (tok->unk < 0)
            {
              /* In hex: the character may not be valid UTF-8. */
              g_autoptr (GString) hex = g_string_new (NULL);
              for (guint j = 0; j < sym[i].n; j++)
                g_string_append_printf (hex, "%s%02x", j ? " " : "",
                                        (guint8) esc->str[sym[i].off + j]);
              g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_ENCODE,
                           "The text holds a character (bytes %s) for which the vocabulary "
                           "has no token, no byte tokens and no unknown token", hex->str);
              return FALSE;
            }
          g_array_append_val (out, tok->unk);
          continue;
        }
      for (guint j = 0; j < sym[i].n; j++)
        g_array_append_val (out, tok->byte_token[(guint8) esc->str[sym[i].off + j]]);
    }
  return TRUE;
}
