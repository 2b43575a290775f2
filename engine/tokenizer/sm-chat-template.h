/* sm-chat-template.h: chat templates without a Jinja interpreter.
 *
 * A GGUF model may carry `tokenizer.chat_template`, a Jinja program that turns a list of
 * messages into the text the model was tuned on.  As llama.cpp's llm_chat_detect_template does,
 * the well-known families are recognised by marker substrings and their formatting is written
 * out by hand; the output matches llama.cpp's llm_chat_apply_template byte for byte.  A
 * template of no known family is SM_CHAT_FORMAT_NONE, and the caller keeps its plain prompt.
 *
 * The markers a format writes (`<|im_start|>`, `[INST]` ...) are meant to become single
 * control tokens: encode such prompts with sm_tokenizer_encode_special ().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SM_CHAT_FORMAT_NONE = 0,
  SM_CHAT_FORMAT_CHATML,             /* <|im_start|>role\n ... <|im_end|>\n */
  SM_CHAT_FORMAT_LLAMA2,             /* [INST] ... [/INST]; a system turn is plain text */
  SM_CHAT_FORMAT_LLAMA2_SYS,         /* ... with <<SYS>>\n ... \n<</SYS>>\n\n */
  SM_CHAT_FORMAT_LLAMA2_SYS_BOS,     /* ... and <s> before every later [INST] */
  SM_CHAT_FORMAT_LLAMA2_SYS_STRIP,   /* ... with every message trimmed */
  SM_CHAT_FORMAT_MISTRAL_V1,         /* " [INST] ... [/INST]" */
  SM_CHAT_FORMAT_MISTRAL_V3,         /* "[INST] ...[/INST]", replies trimmed */
  SM_CHAT_FORMAT_MISTRAL_V3_TEKKEN,  /* "[INST]...[/INST]" */
  SM_CHAT_FORMAT_MISTRAL_V7,         /* [SYSTEM_PROMPT] ... [/SYSTEM_PROMPT][INST] ... [/INST] */
  SM_CHAT_FORMAT_LLAMA3,             /* <|start_header_id|>role<|end_header_id|>\n\n ... <|eot_id|> */
  SM_CHAT_FORMAT_ZEPHYR,             /* <|role|>\n ... <|endoftext|>\n */
  SM_CHAT_FORMAT_GEMMA,              /* <start_of_turn>user\n ... <end_of_turn>\n; no system turn */
  SM_CHAT_FORMAT_PHI3,               /* <|role|>\n ... <|end|>\n */
  SM_CHAT_FORMAT_PHI4,               /* <|im_start|>role<|im_sep|> ... <|im_end|> */
  SM_N_CHAT_FORMATS
} SmChatFormat;

/* One message: role "system", "user" or "assistant" (others are written as given where the
 * format names roles, as llama.cpp does). */
typedef struct {
  const char *role;
  const char *content;
} SmChatTurn;

/* The family of a Jinja template (or of a format's name, e.g. "chatml", as llama.cpp also
 * accepts); SM_CHAT_FORMAT_NONE for NULL, unknown templates and families not written here. */
SmChatFormat       sm_chat_format_detect       (const char *jinja);
/* "chatml", "llama2-sys", "llama3" ... as llama.cpp names them; "none". */
const char        *sm_chat_format_name         (SmChatFormat format);
/* A human-readable family name ("ChatML", "Llama 3" ...); NULL for NONE. */
const char        *sm_chat_format_display_name (SmChatFormat format);
/* The prompt for @turns; with @add_generation_prompt, the opening of the assistant's turn is
 * appended (formats whose replies follow [/INST] directly have none).  NULL for NONE. */
char              *sm_chat_format_apply        (SmChatFormat format, const SmChatTurn *turns,
                                                gsize n_turns, gboolean add_generation_prompt);
/* A Jinja template of @format's family, as the models of that family carry it (shortened to
 * the messages loop), for writing test models (`init --chat-template`); NULL for the families
 * written only by name.  sm_chat_format_detect () gives @format back. */
const char        *sm_chat_format_jinja        (SmChatFormat format);
/* NULL-terminated texts that end an assistant's turn in @format (static; an empty list for
 * NONE).  Generation stops at them and they are not shown. */
const char *const *sm_chat_format_stop_strings (SmChatFormat format);

G_END_DECLS
