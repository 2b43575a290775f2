/* sm-prompt-fit.c: chat templates applied to a conversation, and prompts fitted to the context. */
#include "sm-prompt-fit.h"

#include <glib/gi18n-lib.h>
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

/* The tokens @turns take in @format after @system_prompt, or -1 with @error. */
static int
count_chat (SmTokenizer *tok, SmChatFormat format, const char *system_prompt,
            const SmChatTurn *turns, gsize n_turns, GError **error)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *prompt = sm_prompt_build_chat (format, system_prompt, turns, n_turns);

  if (!sm_tokenizer_encode_special (tok, prompt, -1, sm_tokenizer_get_add_bos (tok), ids, error))
    return -1;
  return (int) ids->len;
}

/* Even the last user's turn on is over @budget: markers cannot be cut, and neither the system
 * prompt nor the user's own words are the engine's to drop, so say which of them is too long
 * and by how much. */
static void
set_too_long (SmTokenizer *tok, SmChatFormat format, const char *system_prompt,
              int n_prompt, int budget, int n_ctx, GError **error)
{
  static const SmChatTurn empty = { "user", "" };
  GError *local = NULL;
  int n_system = 0;

  if (system_prompt != NULL && *system_prompt != '\0')
    {
      n_system = count_chat (tok, format, system_prompt, &empty, 1, &local);
      if (n_system < 0)
        {
          g_propagate_error (error, local);
          return;
        }
      if (n_system > budget)
        {
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL,
                       /* Translators: all four are numbers of tokens */
                       _("The system prompt is %d tokens, but the model's context of %d tokens "
                         "leaves %d for the prompt (%d are kept for the reply): shorten the "
                         "system prompt"), n_system, n_ctx, budget, n_ctx - budget);
          return;
        }
    }
  if (n_system > 0)
    g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL,
                 /* Translators: all five are numbers of tokens */
                 _("The last message makes the prompt %d tokens (the system prompt %d of them), "
                   "but the model's context of %d tokens leaves %d for the prompt (%d are kept "
                   "for the reply): shorten the message"),
                 n_prompt, n_system, n_ctx, budget, n_ctx - budget);
  else
    g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL,
                 /* Translators: all four are numbers of tokens */
                 _("The last message makes the prompt %d tokens, but the model's context of %d "
                   "tokens leaves %d for the prompt (%d are kept for the reply): shorten the "
                   "message"),
                 n_prompt, n_ctx, budget, n_ctx - budget);
}

/* With a template: from the oldest user's turn on that leaves the prompt within @budget; an
 * error naming the sizes when even the last user's turn on does not fit. */
static char *
fit_chat (SmTokenizer *tok, SmChatFormat format, const char *system_prompt,
          const SmChatTurn *turns, gsize n_turns, int budget, int n_ctx, int *n_tokens,
          GError **error)
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
      if ((int) ids->len <= budget)
        break;
      if (last_try)
        {
          set_too_long (tok, format, system_prompt, (int) ids->len, budget, n_ctx, error);
          g_clear_pointer (&fitted, g_free);
          break;
        }
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
    fitted = fit_chat (tok, format, system_prompt, turns, n_turns, budget, n_ctx, &n, error);
  else
    fitted = fit_plain (tok, plain_prompt, budget, &n, error);
  if (n_tokens != NULL)
    *n_tokens = fitted != NULL ? n : 0;
  if (chat != NULL)
    *chat = format != SM_CHAT_FORMAT_NONE;
  return fitted;
}
