/* sm-prompt-fit.c: chat templates applied to a conversation, and prompts fitted to the context. */
#include "sm-prompt-fit.h"

#include <string.h>

#include "sm-tokenizer.h"

char *
sm_prompt_build_chat (SmChatFormat format, const char *system_prompt,
                      const SmChatTurn *turns, gsize n_turns)
{
  g_autofree SmChatTurn *all = NULL;
  gboolean open_reply;
  gsize n = 0;
  char *head;

  g_return_val_if_fail (turns != NULL || n_turns == 0, NULL);

  if (format == SM_CHAT_FORMAT_NONE)
    return NULL;
  all = g_new (SmChatTurn, n_turns + 1);
  if (system_prompt != NULL && *system_prompt != '\0')
    all[n++] = (SmChatTurn) { "system", system_prompt };
  if (n_turns > 0)
    memcpy (all + n, turns, n_turns * sizeof *turns);
  n += n_turns;

  /* A reply being continued: the turns before it, the assistant's opening, and its text so far
   * left open.  Every earlier turn is written the same way whatever follows it, so a prompt
   * stays a prefix of the next one (the engine's cache reuses it) except where the template
   * trims a reply (Llama 3, Gemma, Mistral v3) that ended in white space. */
  open_reply = n_turns > 0 && strcmp (turns[n_turns - 1].role, "assistant") == 0;
  head = sm_chat_format_apply (format, all, open_reply ? n - 1 : n, TRUE);
  if (open_reply)
    {
      char *joined = g_strconcat (head, turns[n_turns - 1].content, NULL);
      g_free (head);
      head = joined;
    }
  return head;
}

/* With a template: from the oldest user's turn on that leaves the prompt within @budget (the
 * last user's turn on, however long, when none does). */
static char *
fit_chat (SmTokenizer *tok, SmChatFormat format, const char *system_prompt,
          const SmChatTurn *turns, gsize n_turns, int budget, int *n_tokens, GError **error)
{
  gboolean bos = sm_tokenizer_get_add_bos (tok);
  char *fitted = NULL;

  for (gsize first = 0; first < n_turns || first == 0; first++)
    {
      g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autofree char *prompt = NULL;
      gboolean last_try = TRUE;

      if (first > 0 && strcmp (turns[first].role, "user") != 0)
        continue;
      for (gsize k = first + 1; k < n_turns; k++)
        if (strcmp (turns[k].role, "user") == 0)
          last_try = FALSE;
      prompt = sm_prompt_build_chat (format, system_prompt, turns + first, n_turns - first);
      if (!sm_tokenizer_encode_special (tok, prompt, -1, bos, ids, error))
        {
          g_free (fitted);
          return NULL;
        }
      g_free (fitted);
      fitted = g_steal_pointer (&prompt);
      *n_tokens = (int) ids->len;
      if ((int) ids->len <= budget || last_try)
        break;
    }
  return fitted;
}

/* Without one: the newest tokens that fit (BOS aside: generation adds it again). */
static char *
fit_plain (SmTokenizer *tok, const char *prompt, int budget, int *n_tokens, GError **error)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  gboolean bos = sm_tokenizer_get_add_bos (tok);
  int skip;
  gsize len = 0;

  if (!sm_tokenizer_encode (tok, prompt, -1, bos, ids, error))
    return NULL;
  *n_tokens = (int) ids->len;
  if ((int) ids->len <= budget)
    return g_strdup (prompt);
  skip = (int) ids->len - budget + (bos ? 1 : 0);
  *n_tokens = budget;
  return sm_tokenizer_decode (tok, (const gint32 *) ids->data + skip, ids->len - skip, &len);
}

char *
sm_prompt_fit (SmModel          *model,
               const char       *plain_prompt,
               const char       *system_prompt,
               const SmChatTurn *turns,
               gsize             n_turns,
               int               max_tokens,
               int              *n_tokens,
               gboolean         *chat,
               GError          **error)
{
  SmTokenizer *tok;
  SmChatFormat format;
  int n_ctx, reserve, budget, n = 0;
  char *fitted;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (plain_prompt != NULL, NULL);
  g_return_val_if_fail (turns != NULL || n_turns == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  tok = sm_model_get_tokenizer (model);
  format = sm_model_get_chat_format (model);
  n_ctx = sm_model_get_config (model)->context_length;
  reserve = max_tokens > 0 ? MIN (max_tokens, n_ctx / 2) : n_ctx / 2;
  budget = MAX (n_ctx - reserve, 1);

  if (format != SM_CHAT_FORMAT_NONE)
    fitted = fit_chat (tok, format, system_prompt, turns, n_turns, budget, &n, error);
  else
    fitted = fit_plain (tok, plain_prompt, budget, &n, error);
  if (n_tokens != NULL)
    *n_tokens = fitted != NULL ? n : 0;
  if (chat != NULL)
    *chat = format != SM_CHAT_FORMAT_NONE;
  return fitted;
}
