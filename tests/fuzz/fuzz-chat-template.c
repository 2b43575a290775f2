/* fuzz-chat-template.c: libFuzzer target for chat templates, the tokenizer.chat_template text
 * a GGUF file carries.  An input is a template, then (after NUL bytes, when there are any) the
 * contents of up to three turns: the family detected from the template must write the
 * conversation of one, two and three turns, with and without the assistant's opening. */
#include "sm-fuzz.h"

#include <string.h>

#include "sm-chat-template.h"

int
SM_FUZZ_ENTRY (chat_template) (const uint8_t *data, size_t size)
{
  static const char *const roles[] = { "system", "user", "assistant" };
  static const char *const fallback[] = { "You are terse.", "Hi there", " Hello. " };
  g_autofree char *copy = g_strndup ((const char *) data, size);   /* nul-terminated parts */
  const char *parts[4] = { NULL };
  SmChatTurn turns[3];
  gsize at = 0, n_parts = 0;
  SmChatFormat format;

  while (n_parts < G_N_ELEMENTS (parts) && at <= size)
    {
      parts[n_parts++] = copy + at;
      at += strlen (copy + at) + 1;
    }
  for (gsize i = 0; i < 3; i++)
    {
      turns[i].role = roles[i];
      /* turns the input does not give keep a plain text, so a bare template still writes one */
      turns[i].content = i + 1 < n_parts ? parts[i + 1] : fallback[i];
    }
  format = sm_chat_format_detect (parts[0]);
  g_assert (format >= SM_CHAT_FORMAT_NONE && format < SM_N_CHAT_FORMATS);
  g_assert (sm_chat_format_name (format) != NULL);
  g_assert (sm_chat_format_stop_strings (format) != NULL);
  sm_chat_format_display_name (format);
  if (sm_chat_format_jinja (format) != NULL)
    g_assert (sm_chat_format_detect (sm_chat_format_jinja (format)) == format);
  for (gsize n = 1; n <= 3; n++)
    for (int gen = 0; gen < 2; gen++)
      {
        /* from the system turn, and from the user's (a conversation without a system prompt) */
        g_autofree char *a = sm_chat_format_apply (format, turns, n, gen);
        g_autofree char *b = sm_chat_format_apply (format, turns + 1, n - 1, gen);
        (void) a;
        (void) b;
      }
  return 0;
}
