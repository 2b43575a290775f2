/* test-bad-input-window.c: the window against what a person can paste (issue 15, item 5): a
 * 1 MB paste taken by the prompt and sent, with the longest main-loop stall measured meanwhile;
 * bytes that are not UTF-8 and NUL bytes on the clipboard; emoji and right-to-left text; a
 * system prompt longer than the model's context.  Run under Xvfb (see meson.build). */
#include <adwaita.h>
#include <string.h>

#include "sm-chat-view.h"
#include "sm-conversation.h"
#include "sm-message.h"
#include "sm-message-row.h"
#include "sm-model.h"
#include "sm-ui-test-util.h"

#define MB (1024 * 1024)



typedef struct {
  GtkTextBuffer *buffer;
  GtkWidget     *paste_bar;
} Composer;

/* a paste arrived: in the text, or (a long one) beside it */
static gboolean
paste_arrived (gpointer data)
{
  Composer *c = data;
  return gtk_text_buffer_get_char_count (c->buffer) > 0 || gtk_widget_get_visible (c->paste_bar);
}



static GtkWindow *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return GTK_WINDOW (w);
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_dialog () != NULL;
}

/* The window with the built-in model (no chat template: a long prompt keeps its newest
 * tokens) and a fresh conversation. */
static SmApplication *
start (SmWindow **window, SmChatView **chat)
{
  SmApplication *app = sm_ui_test_start_app (window);

  *chat = sm_window_get_chat_view (*window);
  sm_ui_test_wait (sm_ui_test_loaded, *window, 60, "the model to load");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (*window), "win.new-conversation", NULL));
  return app;
}

/* Puts @bytes on the clipboard as text/plain;charset=utf-8, exactly as another program would
 * offer them, and pastes them into the prompt as Ctrl+V does. */
static void
paste_bytes (SmChatView *chat, const char *bytes, gsize len)
{
  GtkTextView *view = sm_chat_view_get_prompt_view (chat);
  Composer c = { gtk_text_view_get_buffer (view),
                 sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "paste_bar") };
  g_autoptr (GBytes) data = g_bytes_new (bytes, len);
  g_autoptr (GdkContentProvider) provider =
    gdk_content_provider_new_for_bytes ("text/plain;charset=utf-8", data);

  gtk_widget_grab_focus (GTK_WIDGET (view));
  g_assert_true (gdk_clipboard_set_content (gtk_widget_get_clipboard (GTK_WIDGET (view)), provider));
  g_signal_emit_by_name (view, "paste-clipboard");
  sm_ui_test_wait (paste_arrived, &c, 30, "the paste to arrive");
}

static char *
prompt_text (SmChatView *chat)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (sm_chat_view_get_prompt_view (chat));
  GtkTextIter a, b;

  gtk_text_buffer_get_bounds (buffer, &a, &b);
  return gtk_text_buffer_get_text (buffer, &a, &b, FALSE);
}

static SmMessage *
message (SmChatView *chat, guint i)
{
  return sm_conversation_get_message (sm_chat_view_get_conversation (chat), i);
}

/* @bytes of valid UTF-8: words, emoji, Hebrew and Arabic, a newline now and then, as a long
 * chat log pasted whole. */
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
  while (s->len > bytes || (s->len > 0 && ((guint8) s->str[s->len - 1] & 0x80)))
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

/* The text row @index of the chat shows, its labels' texts end to end. */
static char *
shown_text (SmChatView *chat, int index)
{
  GtkListBox *list = GTK_LIST_BOX (sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "list"));
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, index);
  GtkWidget *box = sm_ui_test_child (row, SM_TYPE_MESSAGE_ROW, "text_box");
  GString *text = g_string_new (NULL);

  for (GtkWidget *w = gtk_widget_get_first_child (box); w != NULL; w = gtk_widget_get_next_sibling (w))
    g_string_append (text, gtk_label_get_text (GTK_LABEL (w)));
  return g_string_free (text, FALSE);
}

/* The row's last label says how much more there is. */
static gboolean
rest_noted (gpointer data)
{
  g_autofree char *text = shown_text (data, 0);
  return strstr (text, "more, not shown here") != NULL;
}

/* ---- a 1 MB paste -------------------------------------------------------------------------------- */

static void
test_paste_1mb (void)
{
  g_autoptr (GSettings) settings = g_settings_new (SM_APP_ID);
  g_autoptr (SmApplication) app = NULL;
  g_autofree char *big = big_text (MB);
  g_autofree char *in_view = NULL;
  SmWindow *window;
  SmChatView *chat;
  double start_ms, start_own, first_ms, paste_ms, send_ms, first_own, paste_own, send_own;
  SmMessage *user, *reply;
  GtkWidget *paste_bar;

  g_settings_set_int (settings, "max-tokens", 16);
  app = start (&window, &chat);
  /* start() ends by opening a new conversation: the window's next frames draw it anew, in
   * software under Xvfb.  Timed apart, so that the pastes below are timed alone: the first
   * long paste, right after it, once seemed to cost 60-72 ms, and pasted 0.5 s later 4-14. */
  sm_ui_test_stall_start ();
  sm_ui_test_spin (500);
  start_ms = sm_ui_test_stall_stop ();
  start_own = sm_ui_test_stall_own ();

  /* the text view takes all of it */
  /* the prompt takes it, beside the text view (a GtkTextView lays out all it holds), and
   * says how much it is */
  /* the first long paste shows the bar beside the prompt for the first time (its icons
   * loaded, the composer laid out anew): measured apart from the second */
  sm_ui_test_stall_start ();
  paste_bytes (chat, big, 20000);
  sm_ui_test_spin (300);
  first_ms = sm_ui_test_stall_stop ();
  first_own = sm_ui_test_stall_own ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat), "chat.remove-paste", NULL));
  sm_ui_test_spin (300);
  sm_ui_test_stall_start ();
  paste_bytes (chat, big, strlen (big));
  sm_ui_test_spin (300);
  paste_ms = sm_ui_test_stall_stop ();
  paste_own = sm_ui_test_stall_own ();
  in_view = prompt_text (chat);
  g_assert_cmpstr (in_view, ==, "");
  paste_bar = sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "paste_bar");
  g_assert_true (gtk_widget_get_visible (paste_bar));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW,
                                                                               "paste_label"))),
                            "MB of pasted text"));
  g_assert_true (gtk_widget_get_sensitive (sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "send_button")));

  /* sent: the message keeps all of it, the prompt is fitted to the context, a reply comes */
  sm_ui_test_stall_start ();
  gtk_widget_activate_action (GTK_WIDGET (chat), "chat.send", NULL);
  /* a sanitizer build with the slow unwinder (tests/ui/meson.build) tokenizes 1 MB for the
   * prompt's fitting in about a minute, took over 120 s on a loaded machine, and once more
   * than 400 s in a CI run that took 41 minutes where others took 18 (the whole test: 80-150 s
   * on this machine alone) */
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 900, "the reply to the 1 MB message");
  sm_ui_test_spin (300);
  send_ms = sm_ui_test_stall_stop ();
  send_own = sm_ui_test_stall_own ();
  /* the second figure leaves out GTK's drawing of frames, which under Xvfb with the cairo
   * renderer rasterizes the window in software (a whole one took 25-60 ms here) */
  g_test_message ("longest main-loop stall (without rendering frames): %.1f (%.1f) ms opening a new "
                  "conversation, %.1f (%.1f) ms pasting 20 KB first, "
                  "%.1f (%.1f) ms pasting 1 MB, %.1f (%.1f) ms sending it",
                  start_ms, start_own, first_ms, first_own, paste_ms, paste_own, send_ms, send_own);
  g_assert_null (find_dialog ());
  g_assert_cmpuint (sm_conversation_get_n_messages (sm_chat_view_get_conversation (chat)), ==, 2);
  user = message (chat, 0);
  reply = message (chat, 1);
  g_assert_cmpuint (strlen (sm_message_get_text (user)), ==, strlen (big));
  g_assert_true (strcmp (sm_message_get_text (user), big) == 0);
  g_assert_false (gtk_widget_get_visible (paste_bar));
  g_assert_cmpint (sm_message_get_role (reply), ==, SM_ROLE_ASSISTANT);
  g_assert_nonnull (sm_message_get_figures (reply));
  /* generous: a shared machine may stall for other reasons; the figure above is the one to
   * read (target: under 50 ms) */
  /* Speed is measured, not asserted (a shared machine under a sanitizer took 1.4 s): a stall
   * that hangs the window still fails, at 10 s. */
  g_assert_cmpfloat (first_ms, <, 10000.0);
  g_assert_cmpfloat (paste_ms, <, 10000.0);
  g_assert_cmpfloat (send_ms, <, 10000.0);

  /* the row shows its first 64 KB, a part a main-loop turn, and then says how much more
   * there is (the message itself is whole, above) */
  {
    g_autofree char *text = NULL;
    gint64 t0 = g_get_monotonic_time ();
    const char *note;
    sm_ui_test_stall_start ();
    sm_ui_test_wait (rest_noted, chat, 120, "the 1 MB message's row to say what it does not show");
    double ms = sm_ui_test_stall_stop ();
    g_test_message ("the row showed the first 64 KB of the 1 MB message in %.1f s more, the main "
                    "loop's longest stall meanwhile %.1f ms (%.1f without rendering frames)",
                    (g_get_monotonic_time () - t0) / 1e6, ms, sm_ui_test_stall_own ());
    text = shown_text (chat, 0);
    note = strstr (text, "\xe2\x80\xa6 and ");
    g_assert_nonnull (note);
    g_test_message ("%s", note);
    g_assert_cmpuint ((gsize) (note - text), >=, 64 * 1024);
    g_assert_true (strncmp (text, big, (gsize) (note - text)) == 0);
  }

  /* for comparison: a short message sent the same way */
  sm_ui_test_type (sm_chat_view_get_prompt_view (chat), "Hello");
  sm_ui_test_stall_start ();
  gtk_widget_activate_action (GTK_WIDGET (chat), "chat.send", NULL);
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the reply to Hello");
  sm_ui_test_spin (300);
  {
    double ms = sm_ui_test_stall_stop ();
    g_test_message ("longest main-loop stall sending \"Hello\" after it: %.1f ms (%.1f without "
                    "rendering frames)", ms, sm_ui_test_stall_own ());
  }

  g_settings_reset (settings, "max-tokens");
  sm_ui_test_close_window (window);
}

/* ---- bytes that are not text ------------------------------------------------------------------- */

static void
test_paste_odd_bytes (void)
{
  g_autoptr (GSettings) settings = g_settings_new (SM_APP_ID);
  g_autoptr (SmApplication) app = NULL;
  static const char odd[] = "hi \xff\xfe bad \xc3 x\0y \xed\xa0\x80 z \xf0\x9f\x91\xa9\xe2\x80\x8d"
                            "\xf0\x9f\x91\xa7 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x80\xae" "rtl";
  const char *typed = "\xf0\x9f\x87\xa9\xf0\x9f\x87\xaa \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 "
                      "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d 123";
  g_autofree char *in_view = NULL;
  SmWindow *window;
  SmChatView *chat;
  SmMessage *user;

  g_settings_set_int (settings, "max-tokens", 8);
  app = start (&window, &chat);

  /* what reaches the prompt is valid UTF-8 with every byte accounted for: the broken ones and
   * the NUL as U+FFFD, nothing after the NUL lost */
  paste_bytes (chat, odd, sizeof odd - 1);
  in_view = prompt_text (chat);
  g_test_message ("pasted as: %s", in_view);
  g_assert_true (g_utf8_validate (in_view, -1, NULL));
  g_assert_true (g_str_has_prefix (in_view, "hi \xef\xbf\xbd"));
  g_assert_nonnull (strstr (in_view, "x\xef\xbf\xbdy"));
  g_assert_true (g_str_has_suffix (in_view, "\xe2\x80\xae" "rtl"));

  /* emoji and right-to-left text typed after it; all of it sent and answered */
  sm_ui_test_type (sm_chat_view_get_prompt_view (chat), typed);
  gtk_widget_activate_action (GTK_WIDGET (chat), "chat.send", NULL);
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the reply");
  g_assert_null (find_dialog ());
  user = message (chat, 0);
  g_assert_true (g_str_has_suffix (sm_message_get_text (user), typed));
  g_assert_true (g_str_has_prefix (sm_message_get_text (user), in_view));
  g_assert_true (g_utf8_validate (sm_message_get_text (message (chat, 1)), -1, NULL));

  g_settings_reset (settings, "max-tokens");
  sm_ui_test_close_window (window);
}

/* ---- a system prompt longer than the context ------------------------------------------------- */

static void
test_system_prompt_too_long (void)
{
  g_autoptr (GSettings) settings = g_settings_new (SM_APP_ID);
  g_autoptr (SmApplication) app = NULL;
  g_autoptr (SmTokenizer) bytes = sm_tokenizer_new_bytes ();
  g_autoptr (SmModel) model = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (sm_ui_test_dir (), "chat.gguf", NULL);
  g_autofree char *system = big_text (4000);
  SmModelConfig c = { 0 };
  SmWindow *window;
  SmChatView *chat;
  GtkWindow *dialog;
  const char *body;

  /* a model with a chat template and a context of 128 tokens */
  sm_arch_config_defaults (SM_ARCH_LLAMA, &c);
  c.vocab_size = 300;
  c.dim = 32;
  c.n_layers = 1;
  c.n_heads = 2;
  c.n_kv_heads = 2;
  c.head_dim = 16;
  c.rope_dims = 16;
  c.hidden_dim = 64;
  c.context_length = 128;
  model = sm_model_new_random (&c, bytes, 3, "chat", &error);
  g_assert_no_error (error);
  sm_model_set_chat_template (model, "chatml");
  g_assert_true (sm_model_save_gguf (model, path, SM_DTYPE_F32, &error));
  g_assert_no_error (error);

  g_settings_set_string (settings, "last-model", path);
  g_settings_set_string (settings, "system-prompt", system);
  g_settings_set_int (settings, "max-tokens", 8);
  app = start (&window, &chat);

  sm_ui_test_type (sm_chat_view_get_prompt_view (chat), "Hi");
  gtk_widget_activate_action (GTK_WIDGET (chat), "chat.send", NULL);
  sm_ui_test_wait (dialog_shown, NULL, 60, "the error");
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the run to end");
  dialog = find_dialog ();
  body = adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog));
  g_test_message ("%s", body);
  g_assert_nonnull (strstr (body, "system prompt is"));
  g_assert_nonnull (strstr (body, "context of 128 tokens"));
  gtk_window_destroy (dialog);
  /* the user's message stays, to send again once the system prompt is shorter */
  g_assert_cmpuint (sm_conversation_get_n_messages (sm_chat_view_get_conversation (chat)), ==, 1);

  g_settings_reset (settings, "last-model");
  g_settings_reset (settings, "system-prompt");
  g_settings_reset (settings, "max-tokens");
  sm_ui_test_close_window (window);
}

int
main (int argc, char **argv)
{
  int status;

  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/BadInputWindow/paste-1mb", test_paste_1mb);
  g_test_add_func ("/BadInputWindow/paste-odd-bytes", test_paste_odd_bytes);
  g_test_add_func ("/BadInputWindow/system-prompt-too-long", test_system_prompt_too_long);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  return status;
}
