/* test-chat-template.c: chat template families, special-token encoding, a GGUF with a template.
 *
 * The expected prompts are llama.cpp's (tests/test-chat-template.cpp) for the same conversation:
 * its llm_chat_apply_template is what the output must match byte for byte.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sm-chat-template.h"
#include "sm-gguf.h"
#include "sm-model.h"
#include "sm-prompt-fit.h"
#include "sm-engine.h"
#include "sm-tokenizer.h"
#include "sm-test-util.h"

static const SmChatTurn conversation[] = {
  { "system", "You are a helpful assistant" },
  { "user", "Hello" },
  { "assistant", "Hi there" },
  { "user", "Who are you" },
  { "assistant", "   I am an assistant   " },
  { "user", "Another question" },
};

typedef struct {
  SmChatFormat format;
  const char  *template_snippet;   /* from the model's tokenizer.chat_template */
  const char  *expected;
} FamilyCase;

static const FamilyCase families[] = {
  { SM_CHAT_FORMAT_CHATML,
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n" },
  { SM_CHAT_FORMAT_LLAMA2,
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}",
    "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]" },
  { SM_CHAT_FORMAT_LLAMA2_SYS,
    "{% if message['role'] == 'system' %}{{ '[INST] <<SYS>>\\n' + message['content'] + '\\n<</SYS>>\\n\\n' }}{% endif %}",
    "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]" },
  { SM_CHAT_FORMAT_LLAMA2_SYS_BOS,
    "{%- if idx > 1 -%}\n{{- bos_token + '[INST] ' + messages[idx]['content'] + ' [/INST]' -}}\n{% elif messages[idx]['role'] == 'system' %}\n{{- '[INST] <<SYS>>\\n' + messages[idx]['content'] + '\\n<</SYS>>\\n\\n' -}}",
    "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s><s>[INST] Who are you [/INST]   I am an assistant   </s><s>[INST] Another question [/INST]" },
  { SM_CHAT_FORMAT_LLAMA2_SYS_STRIP,
    "{% if message['role'] == 'user' %}{{ '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'system' %}{{ '<<SYS>>\\n' + content.strip() + '\\n<</SYS>>\\n\\n' }}{% endif %}",
    "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]I am an assistant</s>[INST] Another question [/INST]" },
  { SM_CHAT_FORMAT_MISTRAL_V1,
    "{%- if loop.first and system_message is defined %}\n{{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}",
    " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]" },
  { SM_CHAT_FORMAT_MISTRAL_V3,
    "{{- \"[AVAILABLE_TOOLS] [\" }}{{- \"[INST] \" + message[\"content\"] + \"[/INST]\" }}",
    "[INST] You are a helpful assistant\n\nHello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] Another question[/INST]" },
  { SM_CHAT_FORMAT_MISTRAL_V3_TEKKEN,
    "{{- \"[AVAILABLE_TOOLS][\" }}{{- \"[INST]\" + message[\"content\"] + \"[/INST]\" }}",
    "[INST]You are a helpful assistant\n\nHello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]Another question[/INST]" },
  { SM_CHAT_FORMAT_MISTRAL_V7,
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + '[/INST]' }}{% elif message['role'] == 'system' %}{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}{% endif %}{% endfor %}",
    "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST]    I am an assistant   </s>[INST] Another question[/INST]" },
  { SM_CHAT_FORMAT_LLAMA3,
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}",
    "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" },
  { SM_CHAT_FORMAT_ZEPHYR,
    "{% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + '<|endoftext|>\\n' }}{% else %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|endoftext|>\\n' }}{% endif %}{% endfor %}",
    "<|system|>\nYou are a helpful assistant<|endoftext|>\n<|user|>\nHello<|endoftext|>\n<|assistant|>\nHi there<|endoftext|>\n<|user|>\nWho are you<|endoftext|>\n<|assistant|>\n   I am an assistant   <|endoftext|>\n<|user|>\nAnother question<|endoftext|>\n<|assistant|>\n" },
  { SM_CHAT_FORMAT_GEMMA,
    "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}",
    "<start_of_turn>user\nYou are a helpful assistant\n\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n<start_of_turn>model\n" },
  { SM_CHAT_FORMAT_PHI3,
    "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\\n' + message['content'] + '<|end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}",
    "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n" },
  { SM_CHAT_FORMAT_PHI4,
    "{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}",
    "<|im_start|>system<|im_sep|>You are a helpful assistant<|im_end|><|im_start|>user<|im_sep|>Hello<|im_end|><|im_start|>assistant<|im_sep|>Hi there<|im_end|><|im_start|>user<|im_sep|>Who are you<|im_end|><|im_start|>assistant<|im_sep|>   I am an assistant   <|im_end|><|im_start|>user<|im_sep|>Another question<|im_end|><|im_start|>assistant<|im_sep|>" },
};

static void
test_apply (gconstpointer data)
{
  const FamilyCase *fc = data;
  g_autofree char *out = sm_chat_format_apply (fc->format, conversation,
                                               G_N_ELEMENTS (conversation), TRUE);

  g_assert_cmpstr (out, ==, fc->expected);
}

static void
test_detect (gconstpointer data)
{
  const FamilyCase *fc = data;
  const char *const *stop = sm_chat_format_stop_strings (fc->format);

  g_assert_cmpint (sm_chat_format_detect (fc->template_snippet), ==, fc->format);
  /* a family's own name, as llama.cpp accepts it */
  g_assert_cmpint (sm_chat_format_detect (sm_chat_format_name (fc->format)), ==, fc->format);
  g_assert_nonnull (sm_chat_format_display_name (fc->format));
  g_assert_nonnull (stop[0]);
}

static void
test_unknown (void)
{
  /* Not templates of a family written here, including ones llama.cpp files under families
   * (Monarch, Orion, Vicuna, Falcon 3) that must not fall through to a later test. */
  static const char *const unknown[] = {
    "",
    "{{ messages }}",
    "{% for message in messages %}{{bos_token + message['role'] + '\\n' + message['content'] + eos_token + '\\n'}}{% endfor %}",
    "{% if message['role'] == 'user' %}{{ 'Human: ' + message['content'] + '\\n\\nAssistant: ' + eos_token }}{% endif %}",
    "{{-'USER: ' + message['content'] + '\\n'-}}{{-'ASSISTANT: ' + message['content'] + '</s>\\n' -}}",
    "{{ '<|user|>\\n' + message['content'] }}{{ '<|assistant|>\\n' + message['content'] + '</s>' }}",
    "<|im_start|>{{ 'User: ' + message['content'] + '<end_of_utterance>\\n' }}",
  };

  g_assert_cmpint (sm_chat_format_detect (NULL), ==, SM_CHAT_FORMAT_NONE);
  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++)
    g_assert_cmpint (sm_chat_format_detect (unknown[i]), ==, SM_CHAT_FORMAT_NONE);
  g_assert_null (sm_chat_format_apply (SM_CHAT_FORMAT_NONE, conversation, 2, TRUE));
  g_assert_null (sm_chat_format_stop_strings (SM_CHAT_FORMAT_NONE)[0]);
  g_assert_cmpstr (sm_chat_format_name (SM_CHAT_FORMAT_NONE), ==, "none");
  g_assert_null (sm_chat_format_display_name (SM_CHAT_FORMAT_NONE));
}

static void
test_no_generation_prompt (void)
{
  g_autofree char *a = sm_chat_format_apply (SM_CHAT_FORMAT_CHATML, conversation, 2, FALSE);
  g_autofree char *b = sm_chat_format_apply (SM_CHAT_FORMAT_CHATML, conversation, 3, TRUE);

  g_assert_cmpstr (a, ==, "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"
                          "<|im_start|>user\nHello<|im_end|>\n");
  /* a prompt is a prefix of the next one (the engine's cache relies on it) */
  g_assert_true (g_str_has_prefix (b, a));
}

/* ---- special tokens ---------------------------------------------------------------------------- */

enum { T_UNK, T_BOS, T_EOS, T_IM_START, T_IM_END, T_BYTE0 };   /* then 256 bytes, then words */

/* A SentencePiece vocabulary with ChatML's markers as control tokens, byte fallback and a few
 * words. */
static SmTokenizer *
chatml_vocab (void)
{
  static const char *const words[] = { "\xe2\x96\x81", "\xe2\x96\x81user", "user", "\xe2\x96\x81Hi", "Hi", "<", "|", ">" };
  g_autoptr (GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) types = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GArray) scores = g_array_new (FALSE, FALSE, sizeof (float));
  static const char *const specials[] = { "<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>" };
  static const gint32 special_types[] = { SM_TOKEN_TYPE_UNKNOWN, SM_TOKEN_TYPE_CONTROL,
                                          SM_TOKEN_TYPE_CONTROL, SM_TOKEN_TYPE_CONTROL,
                                          SM_TOKEN_TYPE_CONTROL };
  SmSpmVocab v = { 0 };
  g_autoptr (GError) error = NULL;
  SmTokenizer *tok;

  for (guint i = 0; i < G_N_ELEMENTS (specials); i++)
    {
      float s = 0.f;
      g_ptr_array_add (pieces, g_strdup (specials[i]));
      g_array_append_val (types, special_types[i]);
      g_array_append_val (scores, s);
    }
  for (int b = 0; b < 256; b++)
    {
      gint32 t = SM_TOKEN_TYPE_BYTE;
      float s = 0.f;
      g_ptr_array_add (pieces, g_strdup_printf ("<0x%02X>", b));
      g_array_append_val (types, t);
      g_array_append_val (scores, s);
    }
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    {
      gint32 t = SM_TOKEN_TYPE_NORMAL;
      float s = -(float) i;
      g_ptr_array_add (pieces, g_strdup (words[i]));
      g_array_append_val (types, t);
      g_array_append_val (scores, s);
    }
  v.n_vocab = pieces->len;
  v.pieces = (const char *const *) pieces->pdata;
  v.scores = (const float *) scores->data;
  v.types = (const gint32 *) types->data;
  v.bos_id = T_BOS;
  v.eos_id = T_EOS;
  v.unk_id = T_UNK;
  v.add_bos = TRUE;
  v.add_space_prefix = TRUE;
  tok = sm_tokenizer_new_spm (&v, &error);
  g_assert_no_error (error);
  return tok;
}

static guint
count_id (GArray *ids, gint32 id)
{
  guint n = 0;
  for (guint i = 0; i < ids->len; i++)
    n += g_array_index (ids, gint32, i) == id;
  return n;
}

/* Both ways on one tokenizer: with special parsing the markers are single control tokens;
 * without it they stay text, which decodes back to itself. */
static void
check_special_encoding (SmTokenizer *tok)
{
  const char *text = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n";
  g_autoptr (GArray) plain = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GArray) special = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GArray) alone = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GError) error = NULL;
  g_autofree char *back = NULL;

  g_assert_true (sm_tokenizer_encode (tok, text, -1, FALSE, plain, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_id (plain, T_IM_START), ==, 0);
  g_assert_cmpuint (count_id (plain, T_IM_END), ==, 0);
  back = sm_tokenizer_decode (tok, (const gint32 *) plain->data, plain->len, NULL);
  g_assert_cmpstr (back, ==, " <|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");

  g_assert_true (sm_tokenizer_encode_special (tok, text, -1, TRUE, special, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_array_index (special, gint32, 0), ==, T_BOS);
  g_assert_cmpint (g_array_index (special, gint32, 1), ==, T_IM_START);
  g_assert_cmpuint (count_id (special, T_IM_START), ==, 2);
  g_assert_cmpuint (count_id (special, T_IM_END), ==, 1);
  /* after a control token the text gets SentencePiece's space prefix again (as llama.cpp) */
  g_assert_true (sm_tokenizer_encode (tok, "user\nHi", -1, FALSE, alone, &error));
  for (guint i = 0; i < alone->len; i++)
    g_assert_cmpint (g_array_index (special, gint32, 2 + i), ==, g_array_index (alone, gint32, i));
  g_assert_cmpint (g_array_index (special, gint32, 2 + alone->len), ==, T_IM_END);

  /* <|im_end|> ends a turn as EOS ends the text; <|im_start|> does not */
  g_assert_true (sm_tokenizer_is_end (tok, T_EOS));
  g_assert_true (sm_tokenizer_is_end (tok, T_IM_END));
  g_assert_false (sm_tokenizer_is_end (tok, T_IM_START));
}

static void
test_special_tokens (void)
{
  g_autoptr (SmTokenizer) tok = chatml_vocab ();
  g_autoptr (SmTokenizer) bytes = sm_tokenizer_new_bytes ();
  g_autoptr (GArray) a = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GArray) b = g_array_new (FALSE, FALSE, sizeof (gint32));

  check_special_encoding (tok);

  /* no control tokens: special parsing changes nothing */
  g_assert_true (sm_tokenizer_encode (bytes, "<|im_start|>x", -1, FALSE, a, NULL));
  g_assert_true (sm_tokenizer_encode_special (bytes, "<|im_start|>x", -1, FALSE, b, NULL));
  g_assert_cmpuint (a->len, ==, b->len);
  g_assert_cmpmem (a->data, a->len * sizeof (gint32), b->data, b->len * sizeof (gint32));
}

/* ---- a GGUF with a template --------------------------------------------------------------------- */

static void
add_tensor (const char *name, SmTensor *t, gpointer data)
{
  sm_gguf_writer_add_tensor (data, name, t);
}

static void check_prompt_fit (SmModel *plain, SmModel *chat);

static void
test_gguf_template (void)
{
  const char *jinja = families[0].template_snippet;
  g_autoptr (SmTokenizer) tok = chatml_vocab ();
  SmModelConfig c = { .arch = SM_ARCH_LLAMA, .dim = 32, .n_layers = 1, .n_heads = 2,
                      .n_kv_heads = 2, .head_dim = 16, .hidden_dim = 64, .context_length = 48,
                      .norm_eps = 1e-5f, .rope_base = 10000.0f, .rope_dims = 16,
                      .rope_mode = SM_ROPE_NORM, .tied_output = TRUE };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-chat-XXXXXX", &error);
  g_autofree char *plain_path = g_build_filename (dir, "plain.gguf", NULL);
  g_autofree char *chat_path = g_build_filename (dir, "chat.gguf", NULL);
  g_autoptr (SmModel) model = NULL;
  g_autoptr (SmModel) plain = NULL;
  g_autoptr (SmModel) chat = NULL;

  g_assert_no_error (error);
  c.vocab_size = sm_tokenizer_n_vocab (tok);
  model = sm_model_new_random (&c, tok, 7, "chat test", &error);
  g_assert_no_error (error);
  g_assert_true (sm_model_save_gguf (model, plain_path, SM_DTYPE_F32, &error));
  g_assert_no_error (error);

  /* the same file with tokenizer.chat_template added */
  {
    g_autoptr (SmGguf) g = sm_gguf_open (plain_path, &error);
    g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();

    g_assert_no_error (error);
    sm_gguf_writer_copy_kv (w, g, NULL, NULL);
    sm_gguf_writer_set_string (w, "tokenizer.chat_template", jinja);
    sm_model_foreach_tensor (model, add_tensor, w);
    g_assert_true (sm_gguf_writer_write (w, chat_path, &error));
    g_assert_no_error (error);
  }

  plain = sm_model_load (plain_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (sm_model_get_chat_template (plain));
  g_assert_cmpint (sm_model_get_chat_format (plain), ==, SM_CHAT_FORMAT_NONE);

  chat = sm_model_load (chat_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sm_model_get_chat_template (chat), ==, jinja);
  g_assert_cmpint (sm_model_get_chat_format (chat), ==, SM_CHAT_FORMAT_CHATML);
  /* the vocabulary came through the file with its control tokens */
  check_special_encoding (sm_model_get_tokenizer (chat));

  check_prompt_fit (plain, chat);

  g_unlink (plain_path);
  g_unlink (chat_path);
  g_rmdir (dir);
}

static int
count_tokens (SmModel *model, const char *text, gboolean special)
{
  SmTokenizer *tok = sm_model_get_tokenizer (model);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  gboolean bos = sm_tokenizer_get_add_bos (tok);

  g_assert_true (special ? sm_tokenizer_encode_special (tok, text, -1, bos, ids, NULL)
                         : sm_tokenizer_encode (tok, text, -1, bos, ids, NULL));
  return (int) ids->len;
}

/* The prompt for the next reply, fitted into a 48-token context: a conversation in the
 * template loses its oldest turns whole (never the system prompt); a plain text its oldest
 * tokens. */
static void
check_prompt_fit (SmModel *plain, SmModel *chat)
{
  static const SmChatTurn turns[] = {
    { "user", "Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi" },
    { "assistant", "Hi Hi" },
    { "user", "Hi" },
  };
  g_autofree char *full = sm_prompt_build_chat (SM_CHAT_FORMAT_CHATML, "S", turns, 3);
  g_autofree char *last = sm_prompt_build_chat (SM_CHAT_FORMAT_CHATML, "S", turns + 2, 1);
  g_autofree char *fitted = NULL;
  g_autofree char *open = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) long_text = g_string_new (NULL);
  gboolean is_chat = FALSE;
  int n = -1, budget = 48 - 4;

  /* the template: the whole conversation does not fit, its last exchange does */
  g_assert_cmpint (count_tokens (chat, full, TRUE), >, budget);
  fitted = sm_prompt_fit (chat, "ignored", "S", turns, 3, 4, &n, &is_chat, &error);
  g_assert_no_error (error);
  g_assert_true (is_chat);
  g_assert_cmpstr (fitted, ==, last);
  g_assert_true (g_str_has_prefix (fitted, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>"));
  g_assert_cmpint (n, ==, count_tokens (chat, last, TRUE));
  g_assert_cmpint (n, <=, budget);
  g_clear_pointer (&fitted, g_free);

  /* even the last exchange too long: an error with the sizes, not a prompt the context cannot
   * hold (the system prompt's when that alone is too long) */
  {
    const SmChatTurn big[] = { { "user", "Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi "
                                         "Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi Hi" } };
    fitted = sm_prompt_fit (chat, "ignored", "S", big, 1, 4, &n, NULL, &error);
    g_assert_null (fitted);
    g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL);
    g_assert_nonnull (strstr (error->message, "shorten the message"));
    g_clear_error (&error);
    fitted = sm_prompt_fit (chat, "ignored", big[0].content, turns + 2, 1, 4, &n, NULL, &error);
    g_assert_null (fitted);
    g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL);
    g_assert_nonnull (strstr (error->message, "shorten the system prompt"));
    g_clear_error (&error);
  }

  /* a reply being continued is left open, after the assistant's opening */
  open = sm_prompt_build_chat (SM_CHAT_FORMAT_CHATML, NULL, turns, 2);
  g_assert_cmpstr (open, ==, "<|im_start|>user\nHi Hi Hi Hi Hi Hi Hi Hi Hi Hi<|im_end|>\n<|im_start|>assistant\nHi Hi");
  g_assert_null (sm_prompt_build_chat (SM_CHAT_FORMAT_NONE, NULL, turns, 2));

  /* a plain text keeps its newest tokens, half the context when no reply length is asked */
  for (int i = 0; i < 40; i++)
    g_string_append (long_text, i % 2 ? "Hi " : "user ");
  g_string_append (long_text, "end");
  fitted = sm_prompt_fit (plain, long_text->str, "S", turns, 3, 0, &n, &is_chat, &error);
  g_assert_no_error (error);
  g_assert_false (is_chat);
  g_assert_cmpint (n, ==, 24);
  g_assert_true (g_str_has_suffix (fitted, "Hi end"));
  g_assert_cmpuint (strlen (fitted), <, long_text->len);
  g_assert_cmpint (count_tokens (plain, fitted, FALSE), <=, 24 + 1);
  g_clear_pointer (&fitted, g_free);

  /* short enough: unchanged */
  fitted = sm_prompt_fit (plain, "Hi user", NULL, NULL, 0, 0, &n, &is_chat, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fitted, ==, "Hi user");
  g_assert_cmpint (n, ==, count_tokens (plain, "Hi user", FALSE));
}

static void
on_fitted (GObject *source, GAsyncResult *result, gpointer data)
{
  GError **error = data;
  char *fitted = sm_engine_fit_prompt_finish (SM_ENGINE (source), result, NULL, NULL, error);

  g_assert_null (fitted);
}

/* The engine's call reports what stops it instead of handing back a prompt anyway. */
static void
test_fit_no_model (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  GError *error = NULL;

  sm_engine_fit_prompt_async (engine, "Hi", NULL, NULL, 0, 0, NULL, on_fitted, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, SM_ENGINE_ERROR, SM_ENGINE_ERROR_NO_MODEL);
  g_error_free (error);
}

/* ---- each family's markers and stop token on a GPT-2 vocabulary -------------------------------- */

typedef struct {
  SmChatFormat format;
  const char  *markers[4];   /* the control tokens its prompts spell, NULL-terminated */
  const char  *end;          /* the one that ends an assistant's turn */
} FamilyTokens;

static const FamilyTokens family_tokens[] = {
  { SM_CHAT_FORMAT_CHATML, { "<|im_start|>", "<|im_end|>", NULL }, "<|im_end|>" },
  { SM_CHAT_FORMAT_LLAMA3, { "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", NULL }, "<|eot_id|>" },
  { SM_CHAT_FORMAT_GEMMA, { "<start_of_turn>", "<end_of_turn>", NULL }, "<end_of_turn>" },
  { SM_CHAT_FORMAT_PHI3, { "<|user|>", "<|assistant|>", "<|end|>", "<|system|>" }, "<|end|>" },
};

/* GPT-2's vocabulary (../shared/models) with @ft's markers appended as control tokens, as the
 * models of each family carry them. */
static SmTokenizer *
gpt2_with_markers (const FamilyTokens *ft, gint32 *first_marker)
{
  g_autofree char *path = sm_test_shared_model ("vocab/ggml-vocab-gpt-2.gguf");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) g = NULL;
  g_autoptr (SmTokenizer) base = NULL;
  gsize n = 0;

  if (path == NULL)
    return NULL;
  g = sm_gguf_open (path, &error);
  g_assert_no_error (error);
  base = sm_tokenizer_new_from_gguf (g, &error);
  g_assert_no_error (error);
  while (n < G_N_ELEMENTS (ft->markers) && ft->markers[n])
    n++;
  *first_marker = sm_tokenizer_n_vocab (base);
  /* no end of turn given: the end marker must be found by its text, as llama.cpp does */
  SmTokenizer *tok = sm_tokenizer_new_gpt2_adding (base, ft->markers, n, -1, &error);
  g_assert_no_error (error);
  return tok;
}

/* A family's multi-turn prompt: each marker it spells is one token, its end token ends the
 * reply (and no other marker does), and generation's stop strings hold it too. */
static void
test_family_stop_tokens (gconstpointer data)
{
  const FamilyTokens *ft = data;
  gint32 first = 0;
  g_autoptr (SmTokenizer) tok = gpt2_with_markers (ft, &first);
  const SmChatTurn turns[] = {
    { "system", "You are terse." }, { "user", "Hello" }, { "assistant", "Hi." }, { "user", "Again?" },
  };
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GError) error = NULL;

  if (tok == NULL)
    return;
  g_autofree char *prompt = sm_chat_format_apply (ft->format, turns, G_N_ELEMENTS (turns), TRUE);
  g_assert_nonnull (prompt);
  g_assert_true (sm_tokenizer_encode_special (tok, prompt, -1, FALSE, ids, &error));
  g_assert_no_error (error);
  for (int k = 0; k < 4 && ft->markers[k]; k++)
    {
      const gint32 id = first + k;
      guint in_text = 0, as_token = 0;
      for (const char *p = prompt; (p = strstr (p, ft->markers[k])) != NULL; p++)
        in_text++;
      for (guint i = 0; i < ids->len; i++)
        as_token += g_array_index (ids, gint32, i) == id;
      g_assert_cmpuint (as_token, ==, in_text);
      g_assert_true (sm_tokenizer_is_end (tok, id) == (strcmp (ft->markers[k], ft->end) == 0));
    }
  {
    gboolean listed = FALSE;
    for (const char *const *s = sm_chat_format_stop_strings (ft->format); *s; s++)
      listed |= strcmp (*s, ft->end) == 0;
    g_assert_true (listed);
  }
  g_assert_true (sm_chat_format_detect (sm_chat_format_jinja (ft->format)) == ft->format);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      g_autofree char *apply = g_strdup_printf ("/ChatTemplate/apply/%s", sm_chat_format_name (families[i].format));
      g_autofree char *detect = g_strdup_printf ("/ChatTemplate/detect/%s", sm_chat_format_name (families[i].format));
      g_test_add_data_func (apply, &families[i], test_apply);
      g_test_add_data_func (detect, &families[i], test_detect);
    }
  g_test_add_func ("/ChatTemplate/unknown", test_unknown);
  g_test_add_func ("/ChatTemplate/fit-no-model", test_fit_no_model);
  g_test_add_func ("/ChatTemplate/no-generation-prompt", test_no_generation_prompt);
  g_test_add_func ("/ChatTemplate/special-tokens", test_special_tokens);
  g_test_add_func ("/ChatTemplate/gguf", test_gguf_template);
  for (gsize i = 0; i < G_N_ELEMENTS (family_tokens); i++)
    {
      g_autofree char *p = g_strdup_printf ("/ChatTemplate/stop-tokens/%s",
                                            sm_chat_format_name (family_tokens[i].format));
      g_test_add_data_func (p, &family_tokens[i], test_family_stop_tokens);
    }
  return g_test_run ();
}
