/* test-nothing-lost.c: the window on a full disk.  Its conversations folder is a tmpfs filled to
 * the last byte (the test runs itself again inside `unshare -rm`, where an unprivileged user may
 * mount one: sm_test_run_in_tmpfs; skipped where that is not allowed).  A conversation changed
 * there, and a reply streamed into it, cannot be saved: the window says once that the disk is
 * full and names the file, keeps the conversation as it is in memory, and the file on disk stays
 * as it was, whole, with nothing beside it; an export there says the disk is full and leaves the
 * old export whole.  With room again, the conversation is saved without anyone asking.
 * (What a kill -9 leaves is tools/kill-test's, and the store's side of it test-conversation's.) */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "sm-chat-view.h"
#include "sm-conversation-store.h"
#include "sm-message.h"
#include "../sm-test-util.h"   /* the full disk, shared with the engine tests */
#include "sm-ui-test-util.h"



static gboolean
reply_started (gpointer data)
{
  SmConversation *c = data;
  return sm_conversation_get_n_messages (c) == 4;
}

static GtkWidget *
find_label (GtkWidget *root, const char *needle)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_mapped (root) &&
      strstr (gtk_label_get_text (GTK_LABEL (root)), needle) != NULL)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_label (c, needle);
      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct {
  GtkWidget  *root;
  const char *needle;
} Shown;

static gboolean
label_shown (gpointer data)
{
  Shown *s = data;
  return find_label (s->root, s->needle) != NULL;
}

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* GTK's own */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_dialog () != NULL;
}


typedef struct {
  const char *path;
  const char *needle;
} FileHas;

static gboolean
file_has (gpointer data)
{
  FileHas *f = data;
  g_autofree char *text = NULL;

  return g_file_get_contents (f->path, &text, NULL, NULL) && strstr (text, f->needle) != NULL;
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
on_store_error (SmConversationStore *store, const char *message, guint *count)
{
  g_test_message ("the store says: %s", message);
  (*count)++;
}

static void
check_unchanged (const char *path, const char *want)
{
  g_autofree char *now = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &now, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (now, ==, want);
}

static void
close_dialog (void)
{
  AdwMessageDialog *dialog = find_dialog ();

  adw_message_dialog_response (dialog, "close");
  gtk_window_close (GTK_WINDOW (dialog));
}

static void
test_full_disk (void)
{
  const char *dir = sm_test_tmpfs_dir ();
  g_autoptr (SmConversation) saved = NULL;
  g_autoptr (SmMessage) question = sm_message_new (SM_ROLE_USER, "Once upon a time");
  g_autoptr (SmMessage) answer = sm_message_new (SM_ROLE_ASSISTANT, " there was a disk.");
  g_autofree char *name = NULL, *path = NULL, *json = NULL, *export = NULL, *filler = NULL;
  g_autofree char *snapshot = NULL, *exports = NULL, *conversations = NULL;
  SmConversation *shown;
  SmWindow *window;
  SmApplication *app;
  SmChatView *chat;
  gpointer weak;
  guint errors = 0;

  if (dir == NULL)
    {
      /* under the same Xvfb: the inner run talks to the same display */
      sm_test_run_in_tmpfs ("/NothingLost/full-disk", 512, NULL);
      return;
    }

  /* a conversation saved before the disk filled up, and an export */
  saved = sm_conversation_new ();
  sm_conversation_append (saved, question);
  sm_conversation_append (saved, answer);
  {
    g_autoptr (JsonNode) node = sm_conversation_to_json (saved);
    json = sm_json_to_string (node, TRUE);
  }
  name = g_strdup_printf ("%s.json", sm_conversation_get_id (saved));
  /* the exports beside it, not in the conversations' folder (the store would read them) */
  exports = g_build_filename (dir, "exports", NULL);
  conversations = g_build_filename (dir, "conversations", NULL);
  g_assert_cmpint (g_mkdir (exports, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (conversations, 0700), ==, 0);
  path = g_build_filename (conversations, name, NULL);
  export = g_build_filename (exports, "exported.md", NULL);
  snapshot = g_build_filename (exports, "snapshot.json", NULL);
  filler = g_build_filename (dir, "filler", NULL);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  g_assert_true (g_file_set_contents (export, "the old export\n", -1, NULL));
  g_assert_true (g_file_set_contents (snapshot, "{}\n", -1, NULL));
  g_setenv ("SMALLMIND_CONVERSATIONS_DIR", conversations, TRUE);

  app = sm_ui_test_start_app (&window);
  chat = sm_window_get_chat_view (window);
  g_signal_connect (sm_application_get_store (app), "error", G_CALLBACK (on_store_error), &errors);
  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the model");
  shown = sm_chat_view_get_conversation (chat);
  g_assert_cmpstr (sm_conversation_get_id (shown), ==, sm_conversation_get_id (saved));
  g_test_message ("filled with %" G_GSIZE_FORMAT " bytes", sm_test_fill_disk (dir, "filler"));

  /* renamed and a reply streamed into it: a save at every change, each one failing */
  sm_conversation_set_title (shown, "Renamed on a full disk");
  sm_ui_test_type (sm_chat_view_get_prompt_view (chat), "What then?");
  sm_ui_test_click (sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "send_button"));
  sm_ui_test_wait (reply_started, shown, 30, "the reply to start");
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the reply to end");
  {
    Shown toast = { GTK_WIDGET (window), "The disk is full" };
    GtkWidget *label;

    sm_ui_test_wait (label_shown, &toast, 20, "the toast saying the disk is full");
    label = find_label (GTK_WIDGET (window), "The disk is full");
    g_test_message ("toast: %s", gtk_label_get_text (GTK_LABEL (label)));
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), name));
  }
  sm_ui_test_spin (500);   /* the saves the reply's end asked for */
  sm_ui_test_screenshot ("full-disk");
  /* said once, though every save failed */
  g_assert_cmpuint (errors, ==, 1);
  /* in memory: all of it */
  g_assert_cmpstr (sm_conversation_get_title (shown), ==, "Renamed on a full disk");
  g_assert_cmpuint (sm_conversation_get_n_messages (shown), ==, 4);
  g_assert_cmpstr (sm_message_get_text (sm_conversation_get_message (shown, 2)), ==, "What then?");
  /* on disk: the file as it was, whole, and nothing beside it */
  check_unchanged (path, json);
  g_assert_cmpuint (count_entries (conversations), ==, 1);

  /* an export there: the disk is full, the file named, the old one whole */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.export-conversation-to", "(ss)",
                                             "markdown", export));
  sm_ui_test_wait (dialog_shown, NULL, 10, "the export's message");
  g_assert_cmpstr (adw_message_dialog_get_heading (find_dialog ()), ==, "The Disk Is Full");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (find_dialog ()), "exported.md"));
  close_dialog ();
  check_unchanged (export, "the old export\n");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.export-snapshot-to", "(ss)",
                                             "json", snapshot));
  sm_ui_test_wait (dialog_shown, NULL, 20, "the snapshot export's message");
  g_test_message ("%s", adw_message_dialog_get_body (find_dialog ()));
  g_assert_cmpstr (adw_message_dialog_get_heading (find_dialog ()), ==, "The Disk Is Full");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (find_dialog ()), "snapshot.json"));
  close_dialog ();
  check_unchanged (snapshot, "{}\n");
  g_assert_cmpuint (count_entries (exports), ==, 2);

  /* room again: saved without anyone asking (the store tries again) */
  g_assert_cmpint (g_unlink (filler), ==, 0);
  {
    FileHas has = { path, "Renamed on a full disk" };
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_autoptr (SmConversation) back = NULL;
    g_autoptr (GError) error = NULL;

    sm_ui_test_wait (file_has, &has, 20, "the conversation saved once there is room");
    g_assert_true (json_parser_load_from_file (parser, path, &error));
    back = sm_conversation_new_from_json (json_parser_get_root (parser), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (sm_conversation_get_n_messages (back), ==, 4);
  }
  g_assert_cmpuint (errors, ==, 1);
  g_assert_cmpuint (count_entries (conversations), ==, 1);

  weak = window;
  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  gtk_window_close (GTK_WINDOW (window));
  sm_ui_test_wait (sm_ui_test_pointer_cleared, &weak, 30, "the window to go");
  g_object_unref (app);
}

int
main (int argc, char **argv)
{
  int status;

  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/NothingLost/full-disk", test_full_disk);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  return status;
}
