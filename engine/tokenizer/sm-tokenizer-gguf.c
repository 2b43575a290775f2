/* sm-tokenizer-gguf.c: a tokenizer from GGUF's tokenizer.ggml.* keys, read as llama.cpp's
 * llama_vocab::impl::load reads them: the kind from tokenizer.ggml.model ("llama" SPM,
 * "gpt2" GPT2), the defaults it takes for keys that are absent, and the per-token attributes
 * it sets by model name, since GGUF does not store them.
 */
#define G_LOG_DOMAIN "sm-tokenizer"

#include "sm-tokenizer-private.h"

#include <string.h>

#include "sm-gguf.h"

/* A special token id: llama.cpp keeps its default when the key is absent or out of range, and
 * has none when the default is out of range too. */
static gint32
gguf_special (SmGguf *gguf, const char *key, gsize n_vocab, gint32 fallback)
{
  gint32 v = fallback;
  guint32 u;

  if (sm_gguf_find_key (gguf, key) >= 0)
    {
      if (!sm_gguf_get_i32 (gguf, key, &v, NULL))
        v = sm_gguf_get_u32 (gguf, key, &u, NULL) && u <= G_MAXINT32 ? (gint32) u : -1;
      if (v < 0 || (gsize) v >= n_vocab)
        {
          g_debug ("%s = %d is not a token of the vocabulary: using %d", key, v, fallback);
          v = fallback;
        }
    }
  return v >= 0 && (gsize) v < n_vocab ? v : -1;
}

/* -1 when the key is absent or not a boolean. */
static gint
gguf_flag (SmGguf *gguf, const char *key)
{
  gboolean v;

  if (sm_gguf_find_key (gguf, key) < 0 || !sm_gguf_get_bool (gguf, key, &v, NULL))
    return -1;
  return v != 0;
}

/* The tokens and, when the file has them, one token type and one score each. */
typedef struct {
  guint64      n;
  const char **pieces;
  gsize       *lens;
  gint32      *types;    /* NULL when absent */
  float       *scores;   /* NULL when absent */
} Tokens;

static void
tokens_clear (Tokens *t)
{
  g_clear_pointer (&t->pieces, g_free);
  g_clear_pointer (&t->lens, g_free);
  g_clear_pointer (&t->types, g_free);
  g_clear_pointer (&t->scores, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Tokens, tokens_clear)

static gboolean
read_tokens (SmGguf *gguf, Tokens *t, GError **error)
{
  const SmGgufString *tokens;
  guint64 n_types = 0, n_scores = 0;

  tokens = sm_gguf_get_string_array (gguf, "tokenizer.ggml.tokens", &t->n, error);
  if (tokens == NULL)
    return FALSE;
  if (t->n == 0 || t->n > G_MAXINT32 / 2)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                   "tokenizer.ggml.tokens holds %" G_GUINT64_FORMAT " tokens", t->n);
      return FALSE;
    }
  if (sm_gguf_find_key (gguf, "tokenizer.ggml.scores") >= 0)
    {
      t->scores = sm_gguf_get_f32_array (gguf, "tokenizer.ggml.scores", &n_scores, error);
      if (t->scores == NULL)
        return FALSE;
      if (n_scores != t->n)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "%" G_GUINT64_FORMAT " tokens but %" G_GUINT64_FORMAT " scores",
                       t->n, n_scores);
          return FALSE;
        }
    }
  if (sm_gguf_find_key (gguf, "tokenizer.ggml.token_type") >= 0)
    {
      t->types = sm_gguf_get_i32_array (gguf, "tokenizer.ggml.token_type", &n_types, error);
      if (t->types == NULL)
        return FALSE;
      if (n_types != t->n)
        {
          g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                       "%" G_GUINT64_FORMAT " tokens but %" G_GUINT64_FORMAT " token types",
                       t->n, n_types);
          return FALSE;
        }
    }
  t->pieces = g_new (const char *, t->n);
  t->lens = g_new (gsize, t->n);
  for (guint64 i = 0; i < t->n; i++)
    {
      t->pieces[i] = tokens[i].str;
      t->lens[i] = tokens[i].len;
    }
  return TRUE;
}

static SmTokenizer *
spm_from_gguf (SmGguf *gguf, GError **error)
{
  g_auto (Tokens) t = { 0 };
  SmSpmVocab v = { 0 };
  gint flag;

  if (!read_tokens (gguf, &t, error))
    return NULL;
  v.n_vocab = t.n;
  v.pieces = t.pieces;
  v.piece_lens = t.lens;
  v.scores = t.scores;
  v.types = t.types;   /* absent: inferred, so byte tokens still decode to their byte */
  v.bos_id = gguf_special (gguf, "tokenizer.ggml.bos_token_id", t.n, 1);
  v.eos_id = gguf_special (gguf, "tokenizer.ggml.eos_token_id", t.n, 2);
  v.unk_id = gguf_special (gguf, "tokenizer.ggml.unknown_token_id", t.n, 0);
  flag = gguf_flag (gguf, "tokenizer.ggml.add_bos_token");
  v.add_bos = flag < 0 ? TRUE : flag;
  flag = gguf_flag (gguf, "tokenizer.ggml.add_space_prefix");
  v.add_space_prefix = flag < 0 ? TRUE : flag;
  return sm_tokenizer_new_spm (&v, error);
}

static SmTokenizer *
gpt2_from_gguf (SmGguf *gguf, GError **error)
{
  g_auto (Tokens) t = { 0 };
  g_autofree const char **merges = NULL;
  g_autofree gsize *merge_lens = NULL;
  g_autofree char *pre = NULL;
  const SmGgufString *m;
  guint64 n_merges = 0;
  SmGpt2Vocab v = { 0 };
  GError *local = NULL;

  if (!read_tokens (gguf, &t, error))
    return NULL;
  if (sm_gguf_find_key (gguf, "tokenizer.ggml.merges") < 0)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                   "The GPT-2 vocabulary has no merges (tokenizer.ggml.merges)");
      return NULL;
    }
  m = sm_gguf_get_string_array (gguf, "tokenizer.ggml.merges", &n_merges, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  merges = g_new (const char *, MAX (n_merges, 1));
  merge_lens = g_new (gsize, MAX (n_merges, 1));
  for (guint64 i = 0; i < n_merges; i++)
    {
      merges[i] = m[i].str;
      merge_lens[i] = m[i].len;
    }
  /* llama.cpp takes "default" when the key is absent (and warns that quality suffers). */
  if (sm_gguf_find_key (gguf, "tokenizer.ggml.pre") >= 0)
    {
      pre = sm_gguf_get_string (gguf, "tokenizer.ggml.pre", error);
      if (pre == NULL)
        return NULL;
    }

  v.n_vocab = t.n;
  v.pieces = t.pieces;
  v.piece_lens = t.lens;
  v.types = t.types;
  v.n_merges = n_merges;
  v.merges = merges;
  v.merge_lens = merge_lens;
  v.pre = pre;
  /* llama.cpp's defaults for BPE: 11 (Falcon's <|endoftext|>) for BOS and EOS, no others */
  v.bos_id = gguf_special (gguf, "tokenizer.ggml.bos_token_id", t.n, 11);
  v.eos_id = gguf_special (gguf, "tokenizer.ggml.eos_token_id", t.n, 11);
  v.unk_id = gguf_special (gguf, "tokenizer.ggml.unknown_token_id", t.n, -1);
  v.eot_id = gguf_special (gguf, "tokenizer.ggml.eot_token_id", t.n, -1);
  v.eom_id = gguf_special (gguf, "tokenizer.ggml.eom_token_id", t.n, -1);
  v.add_bos = gguf_flag (gguf, "tokenizer.ggml.add_bos_token");
  v.add_eos = gguf_flag (gguf, "tokenizer.ggml.add_eos_token") == 1;
  return sm_tokenizer_new_gpt2 (&v, error);
}

static gint32
find_piece (SmTokenizer *tok, const char *piece)
{
  for (gint32 i = 0; i < tok->n_vocab; i++)
    if (strcmp (sm_tokenizer_token_piece (tok, i), piece) == 0)
      return i;
  return -1;
}

/* llama.cpp's per-token attributes by model name: Phi-3's special tokens swallow the white
 * space after them, but for <unk>, <s> and <|endoftext|>. */
static void
set_attributes (SmTokenizer *tok, SmGguf *gguf)
{
  g_autofree char *name = NULL;
  g_autofree char *lower = NULL;
  static const char *const no_rstrip[] = { "<unk>", "<s>", "<|endoftext|>" };
  gint32 id;

  if (sm_gguf_find_key (gguf, "general.name") < 0 ||
      (name = sm_gguf_get_string (gguf, "general.name", NULL)) == NULL)
    return;
  lower = g_ascii_strdown (name, -1);
  if (strstr (lower, "phi-3") == NULL && strstr (lower, "phi3") == NULL)
    return;
  for (guint s = 0; s < tok->n_special; s++)
    sm_tokenizer_set_token_attr (tok, tok->special[s], SM_TOKEN_ATTR_RSTRIP, TRUE);
  if ((id = find_piece (tok, "</s>")) >= 0)
    sm_tokenizer_set_token_attr (tok, id, SM_TOKEN_ATTR_RSTRIP, TRUE);
  for (guint k = 0; k < G_N_ELEMENTS (no_rstrip); k++)
    if ((id = find_piece (tok, no_rstrip[k])) >= 0)
      sm_tokenizer_set_token_attr (tok, id, SM_TOKEN_ATTR_RSTRIP, FALSE);
}

SmTokenizer *
sm_tokenizer_new_from_gguf (SmGguf *gguf, GError **error)
{
  g_autofree char *model = NULL;
  SmTokenizer *tok;

  g_return_val_if_fail (gguf != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (sm_gguf_find_key (gguf, "tokenizer.ggml.model") < 0)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_FORMAT,
                   "The file holds no vocabulary (no tokenizer.ggml.model)");
      return NULL;
    }
  model = sm_gguf_get_string (gguf, "tokenizer.ggml.model", error);
  if (model == NULL)
    return NULL;
  if (strcmp (model, "llama") == 0)
    tok = spm_from_gguf (gguf, error);
  else if (strcmp (model, "gpt2") == 0)
    tok = gpt2_from_gguf (gguf, error);
  else
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_UNSUPPORTED,
                   "The vocabulary is of the kind \"%s\"; only \"llama\" (SentencePiece) and "
                   "\"gpt2\" (GPT-2 byte-level BPE) are supported", model);
      return NULL;
    }
  if (tok == NULL)
    return NULL;

  /* EOT and EOM end a turn as EOS does (llama.cpp reads them for every kind). */
  sm_tokenizer_add_eog (tok, gguf_special (gguf, "tokenizer.ggml.eot_token_id", tok->n_vocab, -1));
  sm_tokenizer_add_eog (tok, gguf_special (gguf, "tokenizer.ggml.eom_token_id", tok->n_vocab, -1));
  set_attributes (tok, gguf);
  return tok;
}
