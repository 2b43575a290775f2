/* fuzz-gguf-vocab.c: libFuzzer target for the vocabularies and chat templates GGUF files carry.
 * A file the reader takes is made a tokenizer as a model would get it (SentencePiece, GPT-2
 * byte-level BPE with its pre-tokenizer, SmallMind's bytes and BPE), which must either fail
 * with an error or encode and decode a short text, with and without its special tokens; its
 * tokenizer.chat_template, when there is one, then writes a conversation of three turns that
 * is encoded too. */
#include "sm-fuzz.h"

#include "sm-chat-template.h"
#include "sm-gguf.h"
#include "sm-model.h"
#include "sm-tokenizer.h"

static void
round_trip (SmTokenizer *tok, const char *text, gboolean special)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GError) error = NULL;
  g_autofree char *back = NULL;
  gboolean ok;
  gsize len = 0;

  ok = special ? sm_tokenizer_encode_special (tok, text, -1, TRUE, ids, &error)
               : sm_tokenizer_encode (tok, text, -1, TRUE, ids, &error);
  g_assert (ok == (error == NULL));
  if (!ok)
    {
      g_assert (error->domain == SM_TOKENIZER_ERROR);
      return;
    }
  for (guint i = 0; i < ids->len; i++)
    {
      gint32 id = g_array_index (ids, gint32, i);
      g_assert (id >= 0 && id < sm_tokenizer_n_vocab (tok));
    }
  back = sm_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, &len);
  g_assert (back != NULL);
}

static void
exercise_tokenizer (SmTokenizer *tok)
{
  int n = sm_tokenizer_n_vocab (tok);
  volatile gsize sink = 0;

  g_assert (n > 0);
  g_assert (sm_tokenizer_kind_name (tok) != NULL);
  /* every token's piece and bytes, as the window's vocabulary view and the detokenizer ask */
  for (gint32 id = 0; id < n; id++)
    {
      gsize len = 0;
      const char *piece = sm_tokenizer_token_piece (tok, id);
      const char *bytes = sm_tokenizer_token_bytes (tok, id, &len);

      g_assert (piece != NULL && (bytes != NULL || len == 0));
      sink += len + (gsize) sm_tokenizer_token_type (tok, id) + sm_tokenizer_is_end (tok, id);
    }
  (void) sink;
  round_trip (tok, SM_FUZZ_TEXT, FALSE);
  round_trip (tok, SM_FUZZ_TEXT, TRUE);
}

static void
exercise_template (SmGguf *g, SmTokenizer *tok)
{
  static const SmChatTurn turns[] = {
    { "system", "You are terse." },
    { "user", "Hi, who are you?" },
    { "assistant", " A model. " },
  };
  g_autofree char *jinja = NULL;
  SmChatFormat format;

  if (sm_gguf_find_key (g, "tokenizer.chat_template") < 0)
    return;
  jinja = sm_gguf_get_string (g, "tokenizer.chat_template", NULL);
  format = sm_chat_format_detect (jinja);
  g_assert (format >= SM_CHAT_FORMAT_NONE && format < SM_N_CHAT_FORMATS);
  for (gsize n = 1; n <= G_N_ELEMENTS (turns); n++)
    {
      g_autofree char *prompt = sm_chat_format_apply (format, turns, n, n == 2);
      if (prompt != NULL && tok != NULL)
        round_trip (tok, prompt, TRUE);
    }
}

int
SM_FUZZ_ENTRY (gguf_vocab) (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) g = sm_gguf_new_from_bytes (bytes, &error);
  g_autoptr (SmTokenizer) tok = NULL;

  if (g == NULL)
    return 0;
  tok = sm_model_tokenizer_from_gguf (g, &error);
  g_assert ((tok == NULL) != (error == NULL));
  if (tok != NULL)
    exercise_tokenizer (tok);
  exercise_template (g, tok);
  return 0;
}
