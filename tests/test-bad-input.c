/* test-bad-input.c: what a person or a file can throw at the engine and the CLI (issue 15,
 * item 5): a 1 MB prompt, bytes that are not UTF-8, NUL bytes, emoji and right-to-left text, a
 * system prompt longer than the context, vocabularies with empty and repeated tokens, a
 * 100 KB chat template, headers that promise 2^40 elements.  Each gets a clear error or a
 * correct result, never a crash, a hang or a prompt cut short without a word.  Nothing here
 * times anything but loosely (a hang or a quadratic blow-up, not a speed). */
#include <glib/gstdio.h>
#include <string.h>

#include "sm-chat-template.h"
#include "sm-generate.h"
#include "sm-gguf.h"
#include "sm-model-private.h"
#include "sm-prompt-fit.h"
#include "sm-session.h"
#include "sm-test-util.h"
#include "sm-tokenizer.h"

#define MB (1024 * 1024)

/* ---- helpers ----------------------------------------------------------------------------------- */

/* @bytes of valid UTF-8 (cut at a character's end) mixing ASCII words, emoji and Hebrew and
 * Arabic words, as a paste of a long chat log might. */
static char *
big_text (gsize bytes)
{
  static const char *const words[] = {
    "the", "cat", "sat", "on", "a", "mat.", "Once", "upon", "time\n", "\xf0\x9f\x99\x82",
    "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7", "end",
  };
  GString *s = g_string_sized_new (bytes + 16);
  guint i = 0;

  while (s->len < bytes)
    {
      g_string_append (s, words[(i * 7 + i / 13) % G_N_ELEMENTS (words)]);
      g_string_append_c (s, ' ');
      i++;
    }
  g_string_truncate (s, bytes);
  /* back to a character's start, so the text stays valid */
  while (s->len > 0 && ((guint8) s->str[s->len - 1] & 0xc0) == 0x80)
    g_string_truncate (s, s->len - 1);
  if (s->len > 0 && ((guint8) s->str[s->len - 1] & 0x80))
    g_string_truncate (s, s->len - 1);
  g_assert_true (g_utf8_validate (s->str, -1, NULL));
  return g_string_free (s, FALSE);
}

static char *
scratch_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("sm-bad-input-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

/* A small LLaMA-shaped model with byte tokens and random weights; @template (may be NULL) as
 * its chat template. */
static SmModel *
small_model (int context, const char *template)
{
  g_autoptr (SmTokenizer) bytes = sm_tokenizer_new_bytes ();
  g_autoptr (GError) error = NULL;
  SmModelConfig c = { 0 };
  SmModel *m;

  sm_arch_config_defaults (SM_ARCH_LLAMA, &c);
  c.vocab_size = 300;
  c.dim = 32;
  c.n_layers = 1;
  c.n_heads = 2;
  c.n_kv_heads = 2;
  c.head_dim = 16;
  c.rope_dims = 16;
  c.hidden_dim = 64;
  c.context_length = context;
  m = sm_model_new_random (&c, bytes, 3, "bad-input", &error);
  g_assert_no_error (error);
  if (template != NULL)
    sm_model_set_chat_template (m, template);
  return m;
}

typedef struct {
  GString *text;
  gboolean valid;   /* every piece was UTF-8 */
} Reply;

static void
on_reply_text (const char *text, gsize len, gpointer user)
{
  Reply *r = user;

  r->valid = r->valid && g_utf8_validate (text, (gssize) len, NULL);
  g_string_append_len (r->text, text, (gssize) len);
}

/* A short greedy reply to @prompt; its text into *@text (may be NULL). */
static gboolean
reply (SmModel *model, const char *prompt, gboolean special, char **text, GError **error)
{
  g_autoptr (SmSession) session = sm_session_new (model, NULL, 0, NULL);
  SmGenerateParams params;
  SmGenerateStats stats;
  Reply r = { g_string_new (NULL), TRUE };
  SmGenerateCallbacks cb = { .text = on_reply_text, .user = &r };
  gboolean ok;

  sm_generate_params_init (&params);
  params.max_tokens = 6;
  params.parse_special = special;
  ok = sm_generate (session, prompt, &params, &cb, NULL, &stats, error);
  g_assert_true (r.valid);
  if (text != NULL)
    *text = g_string_free (r.text, FALSE);
  else
    g_string_free (r.text, TRUE);
  return ok;
}

/* ---- a 1 MB prompt ------------------------------------------------------------------------------- */

static void
test_fit_plain_1mb (void)
{
  g_autoptr (SmModel) model = small_model (64, NULL);
  g_autofree char *big = big_text (MB);
  g_autofree char *fitted = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  gboolean chat = TRUE;
  int n = -1;

  /* without a template the newest tokens stay: byte tokens, so the fitted prompt is the
   * text's tail exactly */
  fitted = sm_prompt_fit (model, big, NULL, NULL, 0, 8, &n, &chat, &error);
  g_assert_no_error (error);
  g_assert_false (chat);
  g_assert_cmpint (n, >, 0);
  g_assert_cmpint (n, <=, 64 - 8);
  g_assert_cmpuint (strlen (fitted), <, 200);
  g_assert_true (g_str_has_suffix (big, fitted));

  /* and the reply comes */
  g_assert_true (reply (model, fitted, FALSE, &text, &error));
  g_assert_no_error (error);

  /* unfitted, generation refuses it with both sizes */
  g_assert_false (reply (model, big, FALSE, NULL, &error));
  g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL);
  g_assert_nonnull (strstr (error->message, "holds 64"));
}

static void
test_fit_chat_1mb (void)
{
  g_autoptr (SmModel) model = small_model (64, "chatml");
  g_autofree char *big = big_text (MB);
  g_autofree char *fitted = NULL;
  g_autoptr (GError) error = NULL;
  SmChatTurn turns[] = { { "user", "Hi" }, { "assistant", "Hello" }, { "user", big } };
  int n = -1;

  g_assert_cmpint (sm_model_get_chat_format (model), ==, SM_CHAT_FORMAT_CHATML);
  /* markers cannot be cut and the message is the user's: the error says how long it is and
   * how long it may be */
  fitted = sm_prompt_fit (model, "ignored", NULL, turns, 3, 8, &n, NULL, &error);
  g_assert_null (fitted);
  g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "last message"));
  g_assert_nonnull (strstr (error->message, "context of 64 tokens leaves 56"));
  g_assert_cmpint (n, ==, 0);
  g_clear_error (&error);

  /* a long message earlier in the conversation goes, whole, as the fitting rules say */
  turns[0].content = big;
  turns[2].content = "Hi";
  fitted = sm_prompt_fit (model, "ignored", NULL, turns, 3, 8, &n, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fitted, ==, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  g_assert_cmpint (n, <=, 56);
}

static void
test_fit_system_too_long (void)
{
  g_autoptr (SmModel) model = small_model (64, "chatml");
  g_autoptr (SmModel) roomy = small_model (256, "chatml");
  g_autoptr (SmModel) plain = small_model (64, NULL);
  g_autofree char *system = big_text (2000);
  g_autofree char *fitted = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  SmChatTurn turn = { "user", "Hi" };
  int n = -1;

  fitted = sm_prompt_fit (model, "ignored", system, &turn, 1, 8, &n, NULL, &error);
  g_assert_null (fitted);
  g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "system prompt is"));
  g_assert_nonnull (strstr (error->message, "context of 64 tokens leaves 56"));
  g_clear_error (&error);

  /* a system prompt that fits leaves the rest to the turns (byte tokens spell the markers
   * out, hence the longer context) */
  fitted = sm_prompt_fit (roomy, "ignored", "Be brief.", &turn, 1, 8, &n, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (fitted, "<|im_start|>system\nBe brief."));
  g_assert_true (reply (roomy, fitted, TRUE, &text, &error));
  g_assert_no_error (error);
  g_clear_pointer (&fitted, g_free);

  /* a model without a template has no system turn: the system prompt is not used */
  fitted = sm_prompt_fit (plain, "Hi", system, &turn, 1, 8, &n, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fitted, ==, "Hi");
}

/* ---- bytes that are not text ------------------------------------------------------------------- */

static const struct {
  const char *name;
  const char *bytes;
  gssize      len;
} odd_texts[] = {
  { "invalid", "hi \xff\xfe bad", -1 },
  { "lone continuation", "a\x80z", -1 },
  { "cut sequence", "euro \xe2\x82", -1 },
  { "surrogate", "x\xed\xa0\x80y", -1 },
  { "overlong", "\xc0\xaf slash", -1 },
  { "nul", "before\0after", 12 },
  { "emoji", "family \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 "
             "flag \xf0\x9f\x87\xa9\xf0\x9f\x87\xaa", -1 },
  { "rtl", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 "
           "\xe2\x80\xae" "reversed\xe2\x80\xac", -1 },
};

/* Every byte goes through the tokenizer and comes back out of the decoder as it went in. */
static void
check_round_trip (SmTokenizer *tok, const char *what)
{
  for (guint i = 0; i < G_N_ELEMENTS (odd_texts); i++)
    {
      g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr (GError) error = NULL;
      g_autofree char *back = NULL;
      gsize len = odd_texts[i].len < 0 ? strlen (odd_texts[i].bytes) : (gsize) odd_texts[i].len;
      gsize back_len = 0;

      g_assert_true (sm_tokenizer_encode (tok, odd_texts[i].bytes, (gssize) len, FALSE, ids, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (ids->len, >, 0);
      back = sm_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, &back_len);
      /* SentencePiece's space prefix comes back as a space in front */
      if (back_len == len + 1 && back[0] == ' ')
        memmove (back, back + 1, back_len--);
      if (back_len != len || memcmp (back, odd_texts[i].bytes, len) != 0)
        g_error ("%s: \"%s\" came back as %" G_GSIZE_FORMAT " other bytes", what,
                 odd_texts[i].name, back_len);
    }
}

static void
test_prompt_bytes (void)
{
  g_autoptr (SmModel) model = small_model (64, NULL);
  g_autoptr (SmTokenizer) bytes = sm_tokenizer_new_bytes ();
  const char *const shared[] = { "vocab/ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-spm.gguf" };

  check_round_trip (bytes, "bytes");
  for (guint v = 0; v < G_N_ELEMENTS (shared); v++)
    {
      g_autofree char *path = NULL;
      g_autoptr (SmGguf) g = NULL;
      g_autoptr (SmTokenizer) tok = NULL;
      g_autoptr (GError) error = NULL;
      const char *dir = g_getenv ("SM_SHARED_MODELS");

      path = g_build_filename (dir ? dir : "../shared/models", shared[v], NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_test_message ("%s not found: its vocabulary not checked", path);
          continue;
        }
      g = sm_gguf_open (path, &error);
      g_assert_no_error (error);
      tok = sm_tokenizer_new_from_gguf (g, &error);
      g_assert_no_error (error);
      check_round_trip (tok, shared[v]);
    }

  /* and a reply comes to each (a NUL cannot be in a C string prompt: the CLI maps it) */
  for (guint i = 0; i < G_N_ELEMENTS (odd_texts); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *text = NULL;

      g_assert_true (reply (model, odd_texts[i].bytes, FALSE, &text, &error));
      g_assert_no_error (error);
      g_assert_true (g_utf8_validate (text, -1, NULL));
    }
}

/* ---- the CLI ------------------------------------------------------------------------------------- */

/* smallmind-cli @args with standard input from @input_path, as a shell would redirect it. */
static int
run_cli_stdin (const char *const *args, const char *input_path, char **out, char **err)
{
  const char *build = g_getenv ("SM_BUILD_ROOT");
  g_autofree char *cli = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int status;

  if (build == NULL)
    {
      g_test_skip ("SM_BUILD_ROOT is not set (run through meson test)");
      return -1;
    }
  cli = g_build_filename (build, "app", "smallmind-cli", NULL);
  g_ptr_array_add (argv, (gpointer) "/bin/sh");
  g_ptr_array_add (argv, (gpointer) "-c");
  g_ptr_array_add (argv, (gpointer) "in=$1; shift; exec \"$@\" < \"$in\"");
  g_ptr_array_add (argv, (gpointer) "sh");
  g_ptr_array_add (argv, (gpointer) input_path);
  g_ptr_array_add (argv, cli);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, &error));
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
test_cli_1mb (void)
{
  g_autofree char *dir = scratch_dir ();
  g_autofree char *big_path = g_build_filename (dir, "big.txt", NULL);
  g_autofree char *model_path = g_build_filename (dir, "chat.gguf", NULL);
  g_autofree char *big = big_text (MB);
  g_autofree char *system = big_text (2000);
  g_autoptr (SmModel) chat = small_model (64, "chatml");
  g_autoptr (GError) error = NULL;
  int status;

  g_assert_true (g_file_set_contents (big_path, big, -1, &error));
  g_assert_true (sm_model_save_gguf (chat, model_path, SM_DTYPE_F32, &error));
  g_assert_no_error (error);

  /* plain: refused with both sizes, from a file and from standard input alike */
  {
    g_autofree char *out = NULL, *err = NULL;
    const char *args[] = { "generate", "-m", model_path, "-n", "4", "-f", big_path, NULL };
    status = sm_test_run_cli (args, &out, &err);
    if (status < 0)
      goto out;
    g_assert_cmpint (status, ==, 1);
    g_assert_nonnull (strstr (err, "holds 64"));
    g_assert_cmpstr (out, ==, "");
  }
  {
    g_autofree char *out = NULL, *err = NULL;
    const char *args[] = { "generate", "-m", model_path, "-n", "4", "--stdin", NULL };
    status = run_cli_stdin (args, big_path, &out, &err);
    g_assert_cmpint (status, ==, 1);
    g_assert_nonnull (strstr (err, "holds 64"));
  }
  /* in the chat template: the message's size, then the system prompt's */
  {
    g_autofree char *out = NULL, *err = NULL;
    const char *args[] = { "generate", "-m", model_path, "-n", "4", "--chat", "-f", big_path, NULL };
    status = sm_test_run_cli (args, &out, &err);
    g_assert_cmpint (status, ==, 1);
    g_assert_nonnull (strstr (err, "shorten the message"));
  }
  {
    g_autofree char *out = NULL, *err = NULL;
    const char *args[] = { "generate", "-m", model_path, "-n", "4", "--chat", "-p", "Hi",
                           "--system", system, NULL };
    status = sm_test_run_cli (args, &out, &err);
    g_assert_cmpint (status, ==, 1);
    g_assert_nonnull (strstr (err, "The system prompt is"));
  }
  /* one source of prompt at a time */
  {
    g_autofree char *err = NULL;
    const char *args[] = { "generate", "-m", model_path, "-p", "x", "-f", big_path, NULL };
    g_assert_cmpint (sm_test_run_cli (args, NULL, &err), ==, 2);
    g_assert_nonnull (strstr (err, "give the prompt once"));
  }
out:
  remove_dir (dir);
}

static void
test_cli_odd_bytes (void)
{
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "odd.txt", NULL);
  g_autofree char *model_path = g_build_filename (dir, "m.gguf", NULL);
  g_autoptr (SmModel) model = small_model (256, NULL);
  g_autoptr (GString) prompt = g_string_new (NULL);
  g_autoptr (GString) expect = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { "generate", "-m", model_path, "-n", "4", "-f", path, NULL };
  int status;

  for (guint i = 0; i < G_N_ELEMENTS (odd_texts); i++)
    {
      gsize len = odd_texts[i].len < 0 ? strlen (odd_texts[i].bytes) : (gsize) odd_texts[i].len;
      g_string_append_len (prompt, odd_texts[i].bytes, (gssize) len);
      g_string_append_c (prompt, ' ');
    }
  g_assert_true (g_file_set_contents (path, prompt->str, (gssize) prompt->len, &error));
  g_assert_true (sm_model_save_gguf (model, model_path, SM_DTYPE_F32, &error));
  g_assert_no_error (error);

  status = sm_test_run_cli (args, &out, &err);
  if (status < 0)
    goto out;
  g_assert_cmpint (status, ==, 0);
  /* the NUL is not where the prompt ends: it is read as U+FFFD, and said so */
  g_assert_nonnull (strstr (err, "1 NUL byte, read as U+FFFD"));
  for (gsize i = 0; i < prompt->len; i++)
    if (prompt->str[i] == '\0')
      g_string_append (expect, "\xef\xbf\xbd");
    else
      g_string_append_c (expect, prompt->str[i]);
  /* the prompt is echoed byte for byte, then the reply */
  g_assert_true (g_str_has_prefix (out, expect->str));
out:
  remove_dir (dir);
}

/* ---- vocabularies with empty and repeated tokens ---------------------------------------------- */

static SmTokenizer *
vocab_from_gguf (const char *kind, const char *const *tokens, const gint32 *types, gsize n,
                 const char *const *merges, gsize n_merges, GError **error)
{
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "vocab.gguf", NULL);
  g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
  g_autoptr (SmGguf) g = NULL;
  g_autofree float *scores = g_new0 (float, n);
  SmTokenizer *tok = NULL;

  for (gsize i = 0; i < n; i++)
    scores[i] = -(float) i;
  sm_gguf_writer_set_string (w, "general.architecture", "llama");
  sm_gguf_writer_set_string (w, "tokenizer.ggml.model", kind);
  sm_gguf_writer_set_string_array (w, "tokenizer.ggml.tokens", tokens, n);
  sm_gguf_writer_set_f32_array (w, "tokenizer.ggml.scores", scores, n);
  sm_gguf_writer_set_i32_array (w, "tokenizer.ggml.token_type", types, n);
  sm_gguf_writer_set_bool (w, "tokenizer.ggml.add_space_prefix", FALSE);
  sm_gguf_writer_set_bool (w, "tokenizer.ggml.add_bos_token", FALSE);
  if (merges != NULL)
    {
      sm_gguf_writer_set_string_array (w, "tokenizer.ggml.merges", merges, n_merges);
      sm_gguf_writer_set_string (w, "tokenizer.ggml.pre", "gpt-2");
    }
  g_assert_true (sm_gguf_writer_write (w, path, NULL));
  g = sm_gguf_open (path, error);
  if (g != NULL)
    tok = sm_tokenizer_new_from_gguf (g, error);
  remove_dir (dir);
  return tok;
}

static void
assert_encodes (SmTokenizer *tok, const char *text, const gint32 *expect, guint n_expect)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GError) error = NULL;
  g_autofree char *back = NULL;

  g_assert_true (sm_tokenizer_encode (tok, text, -1, FALSE, ids, &error));
  g_assert_no_error (error);
  if (expect != NULL)
    {
      g_assert_cmpuint (ids->len, ==, n_expect);
      for (guint i = 0; i < n_expect; i++)
        g_assert_cmpint (g_array_index (ids, gint32, i), ==, expect[i]);
    }
  back = sm_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, NULL);
  g_assert_cmpstr (back, ==, text);
}

static void
test_vocab_spm (void)
{
  /* 0 <unk>, 1 <s>, 2 </s>, 3 "", 4 a, 5 b, 6 ab, 7 a again, 8 "" again, 9 an empty control
   * token, 10 <s> again as a control token */
  const char *const tokens[] = { "<unk>", "<s>", "</s>", "", "a", "b", "ab", "a", "", "", "<s>" };
  const gint32 types[] = { 2, 3, 3, 1, 1, 1, 1, 1, 1, 3, 3 };
  const gint32 ab_ab[] = { 6, 6 }, a_alone[] = { 7 };
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = vocab_from_gguf ("llama", tokens, types, G_N_ELEMENTS (tokens),
                                                 NULL, 0, &error);

  /* Loads, as llama.cpp loads it: an empty piece matches no text and decodes to nothing, a
   * repeated piece is its last id (llama.cpp's token_to_id map) */
  g_assert_no_error (error);
  g_assert_cmpint (sm_tokenizer_n_vocab (tok), ==, G_N_ELEMENTS (tokens));
  assert_encodes (tok, "abab", ab_ab, 2);
  assert_encodes (tok, "a", a_alone, 1);
  /* text the vocabulary cannot spell goes to <unk>, never to an empty token */
  {
    g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
    g_assert_true (sm_tokenizer_encode (tok, "zz\xff", -1, FALSE, ids, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < ids->len; i++)
      g_assert_cmpint (g_array_index (ids, gint32, i), ==, 0);
  }
  /* the empty tokens decode to nothing, and encoding special text finds neither */
  {
    const gint32 empties[] = { 3, 8, 9 };
    g_autofree char *text = sm_tokenizer_decode (tok, empties, 3, NULL);
    g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
    g_assert_cmpstr (text, ==, "");
    g_assert_true (sm_tokenizer_encode_special (tok, "a<s>b", -1, FALSE, ids, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < ids->len; i++)
      g_assert_cmpint (g_array_index (ids, gint32, i), !=, 3);
  }
}

static void
test_vocab_gpt2 (void)
{
  /* 0 a, 1 b, 2 ab, 3 "", 4 a again, 5 ab again, 6 <|endoftext|>, 7 "" control, 8 the space
   * byte (Ġ in the alphabet) */
  const char *const tokens[] = { "a", "b", "ab", "", "a", "ab", "<|endoftext|>", "", "\xc4\xa0" };
  const gint32 types[] = { 1, 1, 1, 1, 1, 1, 3, 3, 1 };
  const char *const merges[] = { "a b" };
  const gint32 ab_ab[] = { 2, 2 }, a_alone[] = { 0 }, spaced[] = { 0, 8, 1 };
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = vocab_from_gguf ("gpt2", tokens, types, G_N_ELEMENTS (tokens),
                                                 merges, 1, &error);

  /* Loads: a repeated piece keeps its first id (the GPT-2 tokenizer's rule, as llama.cpp's
   * BPE looks it up), an empty one stands for no bytes and is never produced */
  g_assert_no_error (error);
  assert_encodes (tok, "abab", ab_ab, 2);
  assert_encodes (tok, "a", a_alone, 1);
  assert_encodes (tok, "a b", spaced, 3);
  {
    const gint32 empties[] = { 3, 7 };
    g_autofree char *text = sm_tokenizer_decode (tok, empties, 2, NULL);
    g_assert_cmpstr (text, ==, "");
  }
  /* a character whose byte has no token is left out, as llama.cpp leaves it out
   * (respell_missing () in sm-tokenizer-gpt2.c): never an empty token in its place */
  {
    g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
    g_assert_true (sm_tokenizer_encode (tok, "az", -1, FALSE, ids, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (ids->len, ==, 1);
    g_assert_cmpint (g_array_index (ids, gint32, 0), ==, 0);
  }
}

/* ---- a 100 KB chat template ------------------------------------------------------------------ */

static void
test_chat_template_100kb (void)
{
  g_autoptr (GString) chatml = g_string_new ("{% for message in messages %}");
  g_autoptr (GString) junk = g_string_new (NULL);
  g_autoptr (GString) near = g_string_new (NULL);
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "t.gguf", NULL);
  g_autoptr (GError) error = NULL;
  gint64 t0;
  double ms;

  /* the family's markers after 100 KB of comment; 100 KB of nothing known; 100 KB of near
   * misses of every marker (a naive search would be quadratic in them) */
  while (chatml->len < 100 * 1024)
    g_string_append (chatml, "{# a long comment that says nothing at all #}\n");
  g_string_append (chatml, "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                           "'<|im_end|>' + '\\n'}}{% endfor %}");
  while (junk->len < 100 * 1024)
    g_string_append (junk, "{{ message['content'] }} ");
  while (near->len < 100 * 1024)
    g_string_append (near, "<|im_star<|start_header_i<start_of_tur[INS<|assistan|");

  t0 = g_get_monotonic_time ();
  g_assert_cmpint (sm_chat_format_detect (chatml->str), ==, SM_CHAT_FORMAT_CHATML);
  g_assert_cmpint (sm_chat_format_detect (junk->str), ==, SM_CHAT_FORMAT_NONE);
  g_assert_cmpint (sm_chat_format_detect (near->str), ==, SM_CHAT_FORMAT_NONE);
  ms = (g_get_monotonic_time () - t0) / 1000.0;
  g_test_message ("detecting three 100 KB templates took %.1f ms", ms);
  g_assert_cmpfloat (ms, <, 2000.0);

  /* through a file: kept whole, recognised; unknown falls back to plain text, and generating
   * works either way */
  {
    g_autoptr (SmModel) m = small_model (64, chatml->str);
    g_autoptr (SmModel) back = NULL;
    g_assert_true (sm_model_save_gguf (m, path, SM_DTYPE_F32, &error));
    g_assert_no_error (error);
    back = sm_model_load (path, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (sm_model_get_chat_format (back), ==, SM_CHAT_FORMAT_CHATML);
    g_assert_cmpuint (strlen (sm_model_get_chat_template (back)), ==, chatml->len);
  }
  {
    g_autoptr (SmModel) m = small_model (64, junk->str);
    g_autofree char *fitted = NULL;
    gboolean chat = TRUE;
    g_assert_cmpint (sm_model_get_chat_format (m), ==, SM_CHAT_FORMAT_NONE);
    fitted = sm_prompt_fit (m, "Hi", NULL, NULL, 0, 8, NULL, &chat, &error);
    g_assert_no_error (error);
    g_assert_false (chat);
    g_assert_cmpstr (fitted, ==, "Hi");
  }
  remove_dir (dir);
}

/* ---- headers that promise 2^40 elements ------------------------------------------------------ */

static gsize
find_bytes (const guint8 *data, gsize len, const char *needle)
{
  const guint8 *p = memmem (data, len, needle, strlen (needle));
  g_assert_nonnull (p);
  return (gsize) (p - data);
}

static void
put_u64 (guint8 *data, gsize at, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (data + at, &v, 8);
}

static void
put_u32 (guint8 *data, gsize at, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (data + at, &v, 4);
}

/* Loads @data as a model file: it must fail (a crash or an abort in g_malloc fails the test
 * before this can), with a message holding @expect. */
static void
expect_refused (const char *dir, const guint8 *data, gsize len, const char *expect)
{
  g_autofree char *path = g_build_filename (dir, "patched.gguf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmModel) m = NULL;

  g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) len, NULL));
  m = sm_model_load (path, NULL, &error);
  g_assert_null (m);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  if (strstr (error->message, expect) == NULL)
    g_error ("expected \"%s\" in: %s", expect, error->message);
}

static void
test_huge_gguf (void)
{
  g_autoptr (SmModel) model = small_model (64, NULL);
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "m.gguf", NULL);
  g_autofree guint8 *orig = NULL, *d = NULL;
  g_autoptr (GError) error = NULL;
  gsize len, ne0;

  g_assert_true (sm_model_save_gguf (model, path, SM_DTYPE_F32, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, (char **) &orig, &len, NULL));
  d = g_malloc (len);
  /* token_embd.weight's dimensions: after its name, n_dims (u32), then ne[0], ne[1] */
  ne0 = find_bytes (orig, len, "token_embd.weight") + strlen ("token_embd.weight") + 4;

  /* 2^20 x 2^20 elements: 2^40, whose data would run far past the end */
  memcpy (d, orig, len);
  put_u64 (d, ne0, G_GUINT64_CONSTANT (1) << 20);
  put_u64 (d, ne0 + 8, G_GUINT64_CONSTANT (1) << 20);
  expect_refused (dir, d, len, "token_embd.weight");
  /* 2^40 x 2^40: the count overflows */
  memcpy (d, orig, len);
  put_u64 (d, ne0, G_GUINT64_CONSTANT (1) << 40);
  put_u64 (d, ne0 + 8, G_GUINT64_CONSTANT (1) << 40);
  expect_refused (dir, d, len, "overflows");

  /* keys that shape no tensor, or come before the tensors are looked at: 2^31 - 1 layers
   * (the layer table would be allocated first), a context of 2^31 - 1 positions */
  memcpy (d, orig, len);
  put_u32 (d, find_bytes (orig, len, "llama.block_count") + strlen ("llama.block_count") + 4,
           G_MAXINT32);
  expect_refused (dir, d, len, "layers 2147483647");
  memcpy (d, orig, len);
  put_u32 (d, find_bytes (orig, len, "llama.context_length") + strlen ("llama.context_length") + 4,
           G_MAXINT32);
  expect_refused (dir, d, len, "context 2147483647");
  memcpy (d, orig, len);
  put_u32 (d, find_bytes (orig, len, "llama.context_length") + strlen ("llama.context_length") + 4,
           G_MAXUINT32);
  expect_refused (dir, d, len, "out of range");
  remove_dir (dir);
}

static void
test_huge_context_memory (void)
{
  SmModelConfig c = { 0 };
  g_autoptr (GError) error = NULL;

  /* a header whose context alone asks for more than the machine has: one layer of 64 heads
   * of 4096 over 2^20 positions is 2^40 bytes of f16 KV cache, from a file of a few MB */
  sm_arch_config_defaults (SM_ARCH_LLAMA, &c);
  c.vocab_size = 32;
  c.dim = 64;
  c.n_layers = 1;
  c.n_heads = 64;
  c.n_kv_heads = 64;
  c.head_dim = 4096;
  c.rope_dims = 64;
  c.hidden_dim = 64;
  c.context_length = 1 << 20;
  g_assert_false (sm_model_config_check_memory (&c, G_GUINT64_CONSTANT (1) << 39, &error));
  g_assert_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "context of 1048576 positions"));
  g_assert_nonnull (strstr (error->message, "1048576 MiB"));
  g_clear_error (&error);
  /* the same at 4096 positions is 4 GiB: fine on a machine with 8 */
  c.context_length = 4096;
  g_assert_true (sm_model_config_check_memory (&c, G_GUINT64_CONSTANT (8) << 30, &error));
  g_assert_no_error (error);
}

static void
test_huge_llama2c (void)
{
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "huge.bin", NULL);
  static const struct {
    gint32      h[7];
    const char *expect;
  } cases[] = {
    /* every field at its largest: 2^16 x 2^18 x 2^10 weights (2^44) in a file of 1 KB */
    { { 1 << 16, 1 << 18, 1 << 10, 1 << 8, 1 << 8, 1 << 22, 1 << 22 }, "" },
    { { G_MAXINT32, 1 << 18, 1 << 10, 1, 1, 1 << 22, 1 << 22 }, "dim" },
    { { 64, 172, G_MAXINT32, 8, 4, 512, 512 }, "n_layers" },
    { { 64, 172, 5, 8, 4, G_MININT32 + 1, 512 }, "vocab_size" },
    { { 64, 172, 5, 8, 4, 512, G_MAXINT32 }, "seq_len" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint8 file[1024] = { 0 };
      g_autoptr (GError) error = NULL;
      g_autoptr (SmModel) m = NULL;

      for (int k = 0; k < 7; k++)
        put_u32 (file, 4 * k, (guint32) cases[i].h[k]);
      g_assert_true (g_file_set_contents (path, (const char *) file, sizeof file, NULL));
      m = sm_model_load (path, NULL, &error);
      g_assert_null (m);
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].expect));
    }
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/BadInput/prompt/plain-1mb", test_fit_plain_1mb);
  g_test_add_func ("/BadInput/prompt/chat-1mb", test_fit_chat_1mb);
  g_test_add_func ("/BadInput/prompt/system-too-long", test_fit_system_too_long);
  g_test_add_func ("/BadInput/prompt/bytes", test_prompt_bytes);
  g_test_add_func ("/BadInput/cli/1mb", test_cli_1mb);
  g_test_add_func ("/BadInput/cli/odd-bytes", test_cli_odd_bytes);
  g_test_add_func ("/BadInput/vocab/spm-empty-duplicate", test_vocab_spm);
  g_test_add_func ("/BadInput/vocab/gpt2-empty-duplicate", test_vocab_gpt2);
  g_test_add_func ("/BadInput/chat-template/100kb", test_chat_template_100kb);
  g_test_add_func ("/BadInput/header/gguf-2e40", test_huge_gguf);
  g_test_add_func ("/BadInput/header/context-memory", test_huge_context_memory);
  g_test_add_func ("/BadInput/header/llama2c", test_huge_llama2c);
  return g_test_run ();
}
