/* sm-chat-template.c: recognising chat template families and writing their prompts.
 *
 * The tests of detection follow llama.cpp's llm_chat_detect_template in the same order, so a
 * template llama.cpp files under a family this file does not write (Monarch, Orion, GLM ...)
 * is NONE here rather than falling through to a later, wrong family.
 */
#define G_LOG_DOMAIN "sm-chat-template"

#include "sm-chat-template.h"

#include <string.h>

static const struct {
  const char *name;
  const char *display;
} formats[SM_N_CHAT_FORMATS] = {
  [SM_CHAT_FORMAT_NONE]              = { "none", NULL },
  [SM_CHAT_FORMAT_CHATML]            = { "chatml", "ChatML" },
  [SM_CHAT_FORMAT_LLAMA2]            = { "llama2", "Llama 2" },
  [SM_CHAT_FORMAT_LLAMA2_SYS]        = { "llama2-sys", "Llama 2" },
  [SM_CHAT_FORMAT_LLAMA2_SYS_BOS]    = { "llama2-sys-bos", "Llama 2" },
  [SM_CHAT_FORMAT_LLAMA2_SYS_STRIP]  = { "llama2-sys-strip", "Llama 2" },
  [SM_CHAT_FORMAT_MISTRAL_V1]        = { "mistral-v1", "Mistral v1" },
  [SM_CHAT_FORMAT_MISTRAL_V3]        = { "mistral-v3", "Mistral v3" },
  [SM_CHAT_FORMAT_MISTRAL_V3_TEKKEN] = { "mistral-v3-tekken", "Mistral v3 Tekken" },
  [SM_CHAT_FORMAT_MISTRAL_V7]        = { "mistral-v7", "Mistral v7" },
  [SM_CHAT_FORMAT_LLAMA3]            = { "llama3", "Llama 3" },
  [SM_CHAT_FORMAT_ZEPHYR]            = { "zephyr", "Zephyr" },
  [SM_CHAT_FORMAT_GEMMA]             = { "gemma", "Gemma" },
  [SM_CHAT_FORMAT_PHI3]              = { "phi3", "Phi-3" },
  [SM_CHAT_FORMAT_PHI4]              = { "phi4", "Phi-4" },
};

const char *
sm_chat_format_name (SmChatFormat format)
{
  g_return_val_if_fail (format < SM_N_CHAT_FORMATS, "none");
  return formats[format].name;
}

const char *
sm_chat_format_display_name (SmChatFormat format)
{
  g_return_val_if_fail (format < SM_N_CHAT_FORMATS, NULL);
  return formats[format].display;
}

/* ---- templates of each family ---------------------------------------------------------------------- */

const char *
sm_chat_format_jinja (SmChatFormat format)
{
  switch (format)
    {
    case SM_CHAT_FORMAT_CHATML:
      return "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
             "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
             "{{ '<|im_start|>assistant\n' }}{% endif %}";
    case SM_CHAT_FORMAT_LLAMA3:
      return "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
             "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + "
             "message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = "
             "bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
             "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
    case SM_CHAT_FORMAT_GEMMA:
      return "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'assistant') %}"
             "{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
             "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}"
             "{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";
    case SM_CHAT_FORMAT_PHI3:
      return "{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + "
             "message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}"
             "{{ '<|assistant|>\n' }}{% endif %}";
    default:
      return NULL;
    }
}

/* ---- detection --------------------------------------------------------------------------------- */

#define HAS(s) (strstr (jinja, (s)) != NULL)

SmChatFormat
sm_chat_format_detect (const char *jinja)
{
  if (jinja == NULL || *jinja == '\0')
    return SM_CHAT_FORMAT_NONE;

  /* A family's own name, as llama.cpp takes it (its --chat-template chatml) */
  for (guint f = SM_CHAT_FORMAT_NONE + 1; f < SM_N_CHAT_FORMATS; f++)
    if (strcmp (jinja, formats[f].name) == 0)
      return (SmChatFormat) f;

  if (HAS ("<|im_start|>"))
    {
      if (HAS ("<|im_sep|>"))
        return SM_CHAT_FORMAT_PHI4;
      if (HAS ("<end_of_utterance>"))
        return SM_CHAT_FORMAT_NONE;   /* SmolVLM: <|im_start|> is its BOS, not ChatML */
      return SM_CHAT_FORMAT_CHATML;
    }
  if (g_str_has_prefix (jinja, "mistral") || HAS ("[INST]"))
    {
      if (HAS ("[SYSTEM_PROMPT]"))
        return SM_CHAT_FORMAT_MISTRAL_V7;
      /* Mistral's official v1 and v3 (-tekken) templates */
      if (HAS ("' [INST] ' + system_message") || HAS ("[AVAILABLE_TOOLS]"))
        {
          if (HAS (" [INST]"))
            return SM_CHAT_FORMAT_MISTRAL_V1;
          if (HAS ("\"[INST]\""))
            return SM_CHAT_FORMAT_MISTRAL_V3_TEKKEN;
          return SM_CHAT_FORMAT_MISTRAL_V3;
        }
      if (HAS ("content.strip()"))
        return SM_CHAT_FORMAT_LLAMA2_SYS_STRIP;
      if (HAS ("bos_token + '[INST]"))
        return SM_CHAT_FORMAT_LLAMA2_SYS_BOS;
      if (HAS ("<<SYS>>"))
        return SM_CHAT_FORMAT_LLAMA2_SYS;
      return SM_CHAT_FORMAT_LLAMA2;
    }
  if (HAS ("<|assistant|>") && HAS ("<|end|>"))
    return SM_CHAT_FORMAT_PHI3;
  /* ChatGLM 4, Falcon 3, GLM-Edge: not written here */
  if (HAS ("[gMASK]<sop>") || (HAS ("<|assistant|>") && HAS ("<|user|>")) ||
      (HAS ("<|{{ item['role'] }}|>") && HAS ("<|begin_of_image|>")))
    return SM_CHAT_FORMAT_NONE;
  if (HAS ("<|user|>") && HAS ("<|endoftext|>"))
    return SM_CHAT_FORMAT_ZEPHYR;
  if (HAS ("bos_token + message['role']"))
    return SM_CHAT_FORMAT_NONE;   /* Monarch */
  if (HAS ("<start_of_turn>"))
    return SM_CHAT_FORMAT_GEMMA;
  /* Orion, OpenChat, Vicuna, DeepSeek Coder, Command R: not written here */
  if (HAS ("'\\n\\nAssistant: ' + eos_token") || HAS ("GPT4 Correct ") ||
      (HAS ("USER: ") && HAS ("ASSISTANT: ")) || (HAS ("### Instruction:") && HAS ("<|EOT|>")) ||
      (HAS ("<|START_OF_TURN_TOKEN|>") && HAS ("<|USER_TOKEN|>")))
    return SM_CHAT_FORMAT_NONE;
  if (HAS ("<|start_header_id|>") && HAS ("<|end_header_id|>"))
    return SM_CHAT_FORMAT_LLAMA3;
  return SM_CHAT_FORMAT_NONE;
}

#undef HAS

/* ---- formatting ---------------------------------------------------------------------------------- */

/* C's isspace () in the C locale, which llama.cpp's trim uses (g_ascii_isspace () leaves
 * out \v, and the byte-for-byte match depends on it). */
static inline gboolean
c_isspace (char c)
{
  return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Appends @s without its leading and trailing white space. */
static void
append_trimmed (GString *out, const char *s)
{
  gsize start = 0, end = strlen (s);

  while (start < end && c_isspace (s[start]))
    start++;
  while (end > start && c_isspace (s[end - 1]))
    end--;
  g_string_append_len (out, s + start, (gssize) (end - start));
}

static gboolean
is_role (const SmChatTurn *t, const char *role)
{
  return g_strcmp0 (t->role, role) == 0;
}

static void
apply_llama2 (GString *ss, SmChatFormat format, const SmChatTurn *turns, gsize n)
{
  gboolean sys = format != SM_CHAT_FORMAT_LLAMA2;
  gboolean bos_inside = format == SM_CHAT_FORMAT_LLAMA2_SYS_BOS;
  gboolean strip = format == SM_CHAT_FORMAT_LLAMA2_SYS_STRIP;
  gboolean inside_turn = TRUE;   /* the first [INST] is written before the loop */

  g_string_append (ss, "[INST] ");
  for (gsize i = 0; i < n; i++)
    {
      const SmChatTurn *t = &turns[i];
      g_autoptr (GString) content = g_string_new (NULL);

      if (strip)
        append_trimmed (content, t->content);
      else
        g_string_append (content, t->content);
      if (!inside_turn)
        {
          inside_turn = TRUE;
          g_string_append (ss, bos_inside ? "<s>[INST] " : "[INST] ");
        }
      if (is_role (t, "system"))
        {
          if (sys)
            g_string_append_printf (ss, "<<SYS>>\n%s\n<</SYS>>\n\n", content->str);
          else
            g_string_append_printf (ss, "%s\n", content->str);
        }
      else if (is_role (t, "user"))
        g_string_append_printf (ss, "%s [/INST]", content->str);
      else
        {
          g_string_append_printf (ss, "%s</s>", content->str);
          inside_turn = FALSE;
        }
    }
}

static void
apply_mistral (GString *ss, SmChatFormat format, const SmChatTurn *turns, gsize n)
{
  const char *lead = format == SM_CHAT_FORMAT_MISTRAL_V1 ? " " : "";
  const char *trail = format == SM_CHAT_FORMAT_MISTRAL_V3_TEKKEN ? "" : " ";
  gboolean trim_reply = format == SM_CHAT_FORMAT_MISTRAL_V3;
  gboolean inside_turn = FALSE;

  for (gsize i = 0; i < n; i++)
    {
      const SmChatTurn *t = &turns[i];

      if (!inside_turn)
        {
          g_string_append_printf (ss, "%s[INST]%s", lead, trail);
          inside_turn = TRUE;
        }
      if (is_role (t, "system"))
        g_string_append_printf (ss, "%s\n\n", t->content);
      else if (is_role (t, "user"))
        g_string_append_printf (ss, "%s%s[/INST]", t->content, lead);
      else
        {
          g_string_append (ss, trail);
          if (trim_reply)
            append_trimmed (ss, t->content);
          else
            g_string_append (ss, t->content);
          g_string_append (ss, "</s>");
          inside_turn = FALSE;
        }
    }
}

static void
apply_gemma (GString *ss, const SmChatTurn *turns, gsize n, gboolean add_gen)
{
  /* Gemma has no system turn: its text opens the next user turn. */
  g_autoptr (GString) system = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    {
      const SmChatTurn *t = &turns[i];
      const char *role = is_role (t, "assistant") ? "model" : t->role;

      if (is_role (t, "system"))
        {
          append_trimmed (system, t->content);
          continue;
        }
      g_string_append_printf (ss, "<start_of_turn>%s\n", role);
      if (system->len > 0 && strcmp (role, "model") != 0)
        {
          g_string_append_printf (ss, "%s\n\n", system->str);
          g_string_truncate (system, 0);
        }
      append_trimmed (ss, t->content);
      g_string_append (ss, "<end_of_turn>\n");
    }
  if (add_gen)
    g_string_append (ss, "<start_of_turn>model\n");
}

char *
sm_chat_format_apply (SmChatFormat format, const SmChatTurn *turns, gsize n_turns,
                      gboolean add_generation_prompt)
{
  GString *ss;

  g_return_val_if_fail (format < SM_N_CHAT_FORMATS, NULL);
  g_return_val_if_fail (turns != NULL || n_turns == 0, NULL);

  if (format == SM_CHAT_FORMAT_NONE)
    return NULL;
  for (gsize i = 0; i < n_turns; i++)
    g_return_val_if_fail (turns[i].role != NULL && turns[i].content != NULL, NULL);

  ss = g_string_new (NULL);
  switch (format)
    {
    case SM_CHAT_FORMAT_CHATML:
      for (gsize i = 0; i < n_turns; i++)
        g_string_append_printf (ss, "<|im_start|>%s\n%s<|im_end|>\n", turns[i].role, turns[i].content);
      if (add_generation_prompt)
        g_string_append (ss, "<|im_start|>assistant\n");
      break;

    case SM_CHAT_FORMAT_MISTRAL_V7:
      for (gsize i = 0; i < n_turns; i++)
        {
          if (is_role (&turns[i], "system"))
            g_string_append_printf (ss, "[SYSTEM_PROMPT] %s[/SYSTEM_PROMPT]", turns[i].content);
          else if (is_role (&turns[i], "user"))
            g_string_append_printf (ss, "[INST] %s[/INST]", turns[i].content);
          else
            g_string_append_printf (ss, " %s</s>", turns[i].content);
        }
      break;

    case SM_CHAT_FORMAT_MISTRAL_V1:
    case SM_CHAT_FORMAT_MISTRAL_V3:
    case SM_CHAT_FORMAT_MISTRAL_V3_TEKKEN:
      apply_mistral (ss, format, turns, n_turns);
      break;

    case SM_CHAT_FORMAT_LLAMA2:
    case SM_CHAT_FORMAT_LLAMA2_SYS:
    case SM_CHAT_FORMAT_LLAMA2_SYS_BOS:
    case SM_CHAT_FORMAT_LLAMA2_SYS_STRIP:
      apply_llama2 (ss, format, turns, n_turns);
      break;

    case SM_CHAT_FORMAT_PHI3:
      for (gsize i = 0; i < n_turns; i++)
        g_string_append_printf (ss, "<|%s|>\n%s<|end|>\n", turns[i].role, turns[i].content);
      if (add_generation_prompt)
        g_string_append (ss, "<|assistant|>\n");
      break;

    case SM_CHAT_FORMAT_PHI4:
      for (gsize i = 0; i < n_turns; i++)
        g_string_append_printf (ss, "<|im_start|>%s<|im_sep|>%s<|im_end|>", turns[i].role, turns[i].content);
      if (add_generation_prompt)
        g_string_append (ss, "<|im_start|>assistant<|im_sep|>");
      break;

    case SM_CHAT_FORMAT_ZEPHYR:
      for (gsize i = 0; i < n_turns; i++)
        g_string_append_printf (ss, "<|%s|>\n%s<|endoftext|>\n", turns[i].role, turns[i].content);
      if (add_generation_prompt)
        g_string_append (ss, "<|assistant|>\n");
      break;

    case SM_CHAT_FORMAT_GEMMA:
      apply_gemma (ss, turns, n_turns, add_generation_prompt);
      break;

    case SM_CHAT_FORMAT_LLAMA3:
      for (gsize i = 0; i < n_turns; i++)
        {
          g_string_append_printf (ss, "<|start_header_id|>%s<|end_header_id|>\n\n", turns[i].role);
          append_trimmed (ss, turns[i].content);
          g_string_append (ss, "<|eot_id|>");
        }
      if (add_generation_prompt)
        g_string_append (ss, "<|start_header_id|>assistant<|end_header_id|>\n\n");
      break;

    case SM_CHAT_FORMAT_NONE:
    case SM_N_CHAT_FORMATS:
    default:
      g_assert_not_reached ();
    }
  return g_string_free (ss, FALSE);
}

const char *const *
sm_chat_format_stop_strings (SmChatFormat format)
{
  static const char *const none[] = { NULL };
  static const char *const chatml[] = { "<|im_end|>", NULL };
  static const char *const eos[] = { "</s>", NULL };
  static const char *const llama3[] = { "<|eot_id|>", NULL };
  static const char *const zephyr[] = { "<|endoftext|>", "</s>", NULL };
  static const char *const gemma[] = { "<end_of_turn>", NULL };
  static const char *const phi3[] = { "<|end|>", "<|endoftext|>", NULL };

  g_return_val_if_fail (format < SM_N_CHAT_FORMATS, none);

  switch (format)
    {
    case SM_CHAT_FORMAT_CHATML:
    case SM_CHAT_FORMAT_PHI4:
      return chatml;
    case SM_CHAT_FORMAT_LLAMA2:
    case SM_CHAT_FORMAT_LLAMA2_SYS:
    case SM_CHAT_FORMAT_LLAMA2_SYS_BOS:
    case SM_CHAT_FORMAT_LLAMA2_SYS_STRIP:
    case SM_CHAT_FORMAT_MISTRAL_V1:
    case SM_CHAT_FORMAT_MISTRAL_V3:
    case SM_CHAT_FORMAT_MISTRAL_V3_TEKKEN:
    case SM_CHAT_FORMAT_MISTRAL_V7:
      return eos;
    case SM_CHAT_FORMAT_LLAMA3:
      return llama3;
    case SM_CHAT_FORMAT_ZEPHYR:
      return zephyr;
    case SM_CHAT_FORMAT_GEMMA:
      return gemma;
    case SM_CHAT_FORMAT_PHI3:
      return phi3;
    case SM_CHAT_FORMAT_NONE:
    case SM_N_CHAT_FORMATS:
    default:
      return none;
    }
}
