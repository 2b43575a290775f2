/* fuzz-conversation.c: libFuzzer target for the conversations the window saves (JSON, read by
 * ui/sm-conversation.c and ui/sm-message.c).  Those two files need GObject and json-glib only,
 * not GTK, so they are compiled into the target (and into the regression test) as they are.
 * An input is read as the conversation store reads a file (sm_conversation_new_from_data); a
 * conversation read from it must show, walk every branch, export and save, and read back from
 * what it saved. */
#include "sm-fuzz.h"

#include "sm-conversation.h"

static void
exercise (SmConversation *c)
{
  guint n = sm_conversation_get_n_messages (c);
  g_autofree char *prompt = sm_conversation_build_prompt (c, n);
  g_autofree char *md = sm_conversation_to_markdown (c);
  g_auto (GStrv) texts = NULL;
  g_autofree SmChatTurn *turns = NULL;
  gsize n_turns = 0;

  g_assert (prompt != NULL && md != NULL && sm_conversation_get_title (c) != NULL);
  g_assert (g_utf8_validate (sm_conversation_get_title (c), -1, NULL));
  g_assert (g_list_model_get_n_items (sm_conversation_get_messages (c)) == n);
  turns = sm_conversation_dup_turns (c, n, &texts, &n_turns);
  g_assert (n_turns == n);
  sm_conversation_matches (c, "a");
  /* every branch of every shown message, as the window's arrows walk them */
  for (guint i = 0; i < sm_conversation_get_n_messages (c) && i < 64; i++)
    {
      SmMessage *m = sm_conversation_get_message (c, i);
      guint nb = sm_conversation_get_n_branches (c, m);
      guint b = sm_conversation_get_branch (c, m);

      g_assert (nb >= 1 && b < nb);
      /* what the window shows must be UTF-8 (GTK refuses anything else) */
      g_assert (g_utf8_validate (sm_message_get_text (m), -1, NULL));
      if (nb > 1)
        sm_conversation_select_branch (c, m, (b + 1) % nb);
    }
}

int
SM_FUZZ_ENTRY (conversation) (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmConversation) c = NULL;
  g_autoptr (SmConversation) again = NULL;
  g_autoptr (JsonNode) saved = NULL;
  g_autoptr (GError) e = NULL;

  c = sm_conversation_new_from_data ((const char *) data, size, &error);
  g_assert ((c == NULL) != (error == NULL));
  if (c == NULL)
    return 0;
  exercise (c);
  saved = sm_conversation_to_json (c);
  again = sm_conversation_new_from_json (saved, &e);
  g_assert_no_error (e);
  g_assert (sm_conversation_get_n_messages (again) == sm_conversation_get_n_messages (c));
  return 0;
}
