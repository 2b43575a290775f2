/* test-branches.c: editing and regenerating keep what was there as branches ("‹ 1/2 ›"), as
 * llama.cpp's web UI does: a regenerated reply stands beside the old one, an edited question
 * beside the old question with its answers; switching shows a branch with its later turns; the
 * branches are saved and come back after a restart.  And the conversation list: its width, the
 * open conversation marked, search, rename, and delete with Undo (the file goes only when the
 * toast does).  Driven through buttons and actions, checked on what is shown and saved.  Run
 * under Xvfb (see meson.build for the environment). */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sm-chat-view.h"
#include "sm-message-row.h"
#include "sm-sampling-panel.h"
#include "sm-ui-test-util.h"




static GtkAdjustment *
sampling_adjustment (SmWindow *window, const char *name)
{
  GtkWidget *panel = sm_ui_test_child (window, SM_TYPE_WINDOW, "sampling_panel");
  GObject *adj = gtk_widget_get_template_child (panel, SM_TYPE_SAMPLING_PANEL, name);

  g_assert_true (GTK_IS_ADJUSTMENT (adj));
  return GTK_ADJUSTMENT (adj);
}

static void
send_prompt (SmWindow *window, const char *text)
{
  SmChatView *chat = sm_window_get_chat_view (window);

  sm_ui_test_type (sm_chat_view_get_prompt_view (chat), text);
  sm_ui_test_click (sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "send_button"));
}


static guint
n_rows (SmChatView *chat)
{
  GtkListBox *list = GTK_LIST_BOX (sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "list"));
  guint n = 0;

  while (gtk_list_box_get_row_at_index (list, n) != NULL)
    n++;
  return n;
}

static SmMessageRow *
row_at (SmChatView *chat, int index)
{
  GtkListBox *list = GTK_LIST_BOX (sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "list"));
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, index);

  g_assert_true (SM_IS_MESSAGE_ROW (row));
  return SM_MESSAGE_ROW (row);
}

/* The text the row shows: its paragraphs' labels. */
static char *
shown_text (SmMessageRow *row)
{
  GtkWidget *box = sm_ui_test_child (row, SM_TYPE_MESSAGE_ROW, "text_box");
  g_autoptr (GString) text = g_string_new (NULL);

  for (GtkWidget *w = gtk_widget_get_first_child (box); w != NULL; w = gtk_widget_get_next_sibling (w))
    {
      if (w != gtk_widget_get_first_child (box))
        g_string_append_c (text, '\n');
      g_string_append (text, gtk_label_get_text (GTK_LABEL (w)));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* "1/2" when the row shows its branch control, "" when it has none. */
static const char *
shown_branch (SmMessageRow *row)
{
  GtkWidget *box = sm_ui_test_child (row, SM_TYPE_MESSAGE_ROW, "branch_box");
  GtkWidget *label = sm_ui_test_child (row, SM_TYPE_MESSAGE_ROW, "branch_label");

  return gtk_widget_is_drawable (box) ? gtk_label_get_text (GTK_LABEL (label)) : "";
}

static void
assert_row (SmChatView *chat, int index, const char *text, const char *branch)
{
  g_autofree char *shown = shown_text (row_at (chat, index));

  g_assert_cmpstr (shown, ==, text);
  g_assert_cmpstr (shown_branch (row_at (chat, index)), ==, branch);
}

static void
edit_row (SmMessageRow *row, const char *text)
{
  GtkTextView *view = GTK_TEXT_VIEW (sm_ui_test_child (row, SM_TYPE_MESSAGE_ROW, "edit_view"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "row.edit", NULL));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), "", 0);
  sm_ui_test_type (view, text);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "row.save", NULL));
}

typedef struct {
  gboolean done;
  int      n_tokens;
} Count;

static void
counted (GObject *source, GAsyncResult *result, gpointer data)
{
  Count *count = data;
  g_autofree char *fitted = sm_engine_fit_prompt_finish (SM_ENGINE (source), result, &count->n_tokens,
                                                         NULL, NULL);
  g_assert_nonnull (fitted);
  count->done = TRUE;
}

static gboolean
count_done (gpointer data)
{
  return ((Count *) data)->done;
}

/* The tokens the engine makes of @prompt (a model without a chat template). */
static int
count_tokens (SmWindow *window, const char *prompt, int max_tokens)
{
  Count count = { 0 };

  sm_engine_fit_prompt_async (sm_window_get_engine (window), prompt, NULL, NULL, 0, max_tokens, NULL,
                              counted, &count);
  sm_ui_test_wait (count_done, &count, 30, "the tokens counted");
  return count.n_tokens;
}

static void
click_row_button (SmMessageRow *row, const char *name)
{
  sm_ui_test_click (sm_ui_test_child (row, SM_TYPE_MESSAGE_ROW, name));
}

static void
test_edit_regenerate_branches (void)
{
  SmWindow *window;
  g_autoptr (SmApplication) app = sm_ui_test_start_app (&window);
  SmChatView *chat = sm_window_get_chat_view (window);
  g_autofree char *reply1 = NULL, *reply2 = NULL, *reply3 = NULL;
  g_autofree char *id = NULL;
  double max_tokens, temperature, seed;

  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the last model");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.load-preset", "s", "small"));
  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the Small preset");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  max_tokens = gtk_adjustment_get_value (sampling_adjustment (window, "max_tokens_adjustment"));
  temperature = gtk_adjustment_get_value (sampling_adjustment (window, "temperature_adjustment"));
  seed = gtk_adjustment_get_value (sampling_adjustment (window, "seed_adjustment"));
  /* short replies, a new seed for each */
  gtk_adjustment_set_value (sampling_adjustment (window, "max_tokens_adjustment"), 8);
  gtk_adjustment_set_value (sampling_adjustment (window, "temperature_adjustment"), 1.0);
  gtk_adjustment_set_value (sampling_adjustment (window, "seed_adjustment"), -1);

  send_prompt (window, "Tell me");
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the reply");
  reply1 = shown_text (row_at (chat, 1));
  g_assert_cmpuint (strlen (reply1), >, 0);
  /* no alternatives yet: no control */
  assert_row (chat, 0, "Tell me", "");
  assert_row (chat, 1, reply1, "");

  /* regenerate: a second reply beside the first, which is kept */
  click_row_button (row_at (chat, 1), "regenerate_button");
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the regenerated reply");
  g_assert_cmpuint (n_rows (chat), ==, 2);
  reply2 = shown_text (row_at (chat, 1));
  assert_row (chat, 1, reply2, "2/2");
  click_row_button (row_at (chat, 1), "previous_branch_button");
  assert_row (chat, 1, reply1, "1/2");
  click_row_button (row_at (chat, 1), "next_branch_button");
  assert_row (chat, 1, reply2, "2/2");
  click_row_button (row_at (chat, 1), "previous_branch_button");

  /* edit the question: a new branch with its own reply; the old question keeps both of its */
  edit_row (row_at (chat, 0), "Tell me more");
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the reply to the edited question");
  g_assert_cmpuint (n_rows (chat), ==, 2);
  reply3 = shown_text (row_at (chat, 1));
  assert_row (chat, 0, "Tell me more", "2/2");
  assert_row (chat, 1, reply3, "");
  click_row_button (row_at (chat, 0), "previous_branch_button");
  assert_row (chat, 0, "Tell me", "1/2");
  assert_row (chat, 1, reply1, "1/2");   /* the reply that was shown there */

  /* what is sent to the model is the shown path */
  {
    SmConversation *c = sm_chat_view_get_conversation (chat);
    g_autofree char *prompt = NULL;
    g_autofree char *want = g_strconcat ("Tell me", reply1, "\nGo on", NULL);

    send_prompt (window, "Go on");
    sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the reply on the first branch");
    g_assert_cmpuint (n_rows (chat), ==, 4);
    assert_row (chat, 2, "Go on", "");
    prompt = sm_conversation_build_prompt (c, 3);
    g_assert_cmpstr (prompt, ==, want);
    /* the engine read that path: the question and the first reply, not the others */
    g_assert_cmpint (sm_message_get_figures (sm_conversation_get_message (c, 3))->prompt_tokens, ==,
                     count_tokens (window, want, 8));
    id = g_strdup (sm_conversation_get_id (c));
  }

  sm_ui_test_close_window (window);
  /* as the application's shutdown does */
  sm_conversation_store_flush (sm_application_get_store (app));
  g_clear_object (&app);

  /* after a restart: the same branch shown, the others a click away */
  app = sm_ui_test_start_app (&window);
  chat = sm_window_get_chat_view (window);
  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the model after the restart");
  g_assert_cmpstr (sm_conversation_get_id (sm_chat_view_get_conversation (chat)), ==, id);
  g_assert_cmpuint (n_rows (chat), ==, 4);
  assert_row (chat, 0, "Tell me", "1/2");
  assert_row (chat, 1, reply1, "1/2");
  assert_row (chat, 2, "Go on", "");
  click_row_button (row_at (chat, 1), "next_branch_button");
  g_assert_cmpuint (n_rows (chat), ==, 2);
  assert_row (chat, 1, reply2, "2/2");
  click_row_button (row_at (chat, 0), "next_branch_button");
  assert_row (chat, 0, "Tell me more", "2/2");
  assert_row (chat, 1, reply3, "");

  /* an edited reply is a branch too: the model continues the new text, the old one stays */
  edit_row (row_at (chat, 1), "Once");
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the continued reply");
  {
    g_autofree char *continued = shown_text (row_at (chat, 1));

    g_assert_true (g_str_has_prefix (continued, "Once"));
    g_assert_cmpuint (strlen (continued), >, strlen ("Once"));
    g_assert_cmpstr (shown_branch (row_at (chat, 1)), ==, "2/2");
  }
  click_row_button (row_at (chat, 1), "previous_branch_button");
  assert_row (chat, 1, reply3, "1/2");

  gtk_adjustment_set_value (sampling_adjustment (window, "max_tokens_adjustment"), max_tokens);
  gtk_adjustment_set_value (sampling_adjustment (window, "temperature_adjustment"), temperature);
  gtk_adjustment_set_value (sampling_adjustment (window, "seed_adjustment"), seed);
  sm_ui_test_close_window (window);
}

/* ---- the conversation list ------------------------------------------------------------------- */

typedef gboolean (*Match) (GtkWidget *widget, gconstpointer data);

/* The first widget under @root (itself included) that @match accepts, depth first. */
static GtkWidget *
find_widget (GtkWidget *root, Match match, gconstpointer data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *w = gtk_widget_get_first_child (root); w != NULL; w = gtk_widget_get_next_sibling (w))
    {
      GtkWidget *found = find_widget (w, match, data);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_type (GtkWidget *widget, gconstpointer type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, (GType) GPOINTER_TO_SIZE (type));
}

static gboolean
has_action (GtkWidget *widget, gconstpointer action)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

static gboolean
is_shown_check (GtkWidget *widget, gconstpointer unused)
{
  return GTK_IS_IMAGE (widget) && g_strcmp0 (gtk_image_get_icon_name (GTK_IMAGE (widget)), "object-select-symbolic") == 0 &&
         gtk_widget_is_drawable (widget) && gtk_widget_get_opacity (widget) > 0;
}

static gboolean
is_undo_button (GtkWidget *widget, gconstpointer unused)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), "_Undo") == 0 &&
         gtk_widget_is_drawable (widget);
}

static gboolean
is_conversations_button (GtkWidget *widget, gconstpointer unused)
{
  return GTK_IS_MENU_BUTTON (widget) && g_strcmp0 (gtk_widget_get_tooltip_text (widget), "Conversations") == 0;
}

/* The header bar's Conversations button. */
static GtkMenuButton *
conversations_button (SmWindow *window)
{
  GtkWidget *button = find_widget (GTK_WIDGET (window), is_conversations_button, NULL);

  g_assert_nonnull (button);
  return GTK_MENU_BUTTON (button);
}

static gboolean
widget_laid_out (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

static GtkPopover *
open_conversations (SmWindow *window)
{
  GtkPopover *popover = gtk_menu_button_get_popover (conversations_button (window));

  /* as a click on the button */
  gtk_menu_button_popup (conversations_button (window));
  sm_ui_test_wait (widget_laid_out, popover, 10, "the conversation list");
  return popover;
}

/* The row of the list titled @title, NULL if it does not show. */
static GtkWidget *
conversation_row (GtkPopover *popover, const char *title)
{
  GtkListBox *list = GTK_LIST_BOX (find_widget (GTK_WIDGET (popover), is_type, GSIZE_TO_POINTER (GTK_TYPE_LIST_BOX)));
  GtkListBoxRow *row;

  for (guint i = 0; (row = gtk_list_box_get_row_at_index (list, i)) != NULL; i++)
    if (ADW_IS_PREFERENCES_ROW (row) &&
        g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), title) == 0)
      return GTK_WIDGET (row);
  return NULL;
}

static guint
n_conversation_rows (GtkPopover *popover)
{
  GtkListBox *list = GTK_LIST_BOX (find_widget (GTK_WIDGET (popover), is_type, GSIZE_TO_POINTER (GTK_TYPE_LIST_BOX)));
  guint n = 0;

  while (gtk_list_box_get_row_at_index (list, n) != NULL)
    n++;
  return n;
}

typedef struct {
  GtkPopover *popover;
  const char *title;
  guint       n_rows;
} Search;

static gboolean
search_shows (gpointer data)
{
  Search *s = data;
  return (s->n_rows == G_MAXUINT || n_conversation_rows (s->popover) == s->n_rows) &&
         (s->title == NULL || conversation_row (s->popover, s->title) != NULL);
}

static void
search (GtkPopover *popover, const char *text, const char *title, guint n_rows)
{
  GtkWidget *entry = find_widget (GTK_WIDGET (popover), is_type, GSIZE_TO_POINTER (GTK_TYPE_SEARCH_ENTRY));
  Search s = { popover, title, n_rows };

  g_assert_nonnull (entry);
  gtk_widget_grab_focus (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  sm_ui_test_wait (search_shows, &s, 10, "the search's results");
}

static char *
conversation_path (const char *id)
{
  return g_strdup_printf ("%s/conversations/%s.json", sm_ui_test_dir (), id);
}

static gboolean
file_gone (gpointer data)
{
  return !g_file_test (data, G_FILE_TEST_EXISTS);
}

static gboolean
file_has (gpointer data)
{
  const char *const *what = data;
  g_autofree char *text = NULL;
  return g_file_get_contents (what[0], &text, NULL, NULL) && strstr (text, what[1]) != NULL;
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

static gboolean
dialog_gone (gpointer data)
{
  return find_dialog () == NULL;
}

static gboolean
undo_shown (gpointer data)
{
  return find_widget (GTK_WIDGET (data), is_undo_button, NULL) != NULL;
}

static void
click_in_row (GtkWidget *row, const char *action)
{
  GtkWidget *button = find_widget (row, has_action, action);

  g_assert_nonnull (button);
  sm_ui_test_click (button);
}

static gboolean
list_has (SmApplication *app, const char *id)
{
  GListModel *list = sm_conversation_store_get_list (sm_application_get_store (app));

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (SmConversation) c = g_list_model_get_item (list, i);
      if (g_str_equal (sm_conversation_get_id (c), id))
        return TRUE;
    }
  return FALSE;
}

#define APPLES "Apples and pears grow on the trees behind the old stone mill"
#define APPLES_TITLE "Apples and pears grow on the trees behind the ol…"

static void
test_conversation_list (void)
{
  SmWindow *window;
  g_autoptr (SmApplication) app = sm_ui_test_start_app (&window);
  SmChatView *chat = sm_window_get_chat_view (window);
  GtkPopover *popover;
  GtkWidget *entry;
  GtkWindow *dialog;
  g_autofree char *id_a = NULL, *id_b = NULL, *path_a = NULL, *path_b = NULL;
  double max_tokens;
  const char *want[2];

  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the last model");
  max_tokens = gtk_adjustment_get_value (sampling_adjustment (window, "max_tokens_adjustment"));
  gtk_adjustment_set_value (sampling_adjustment (window, "max_tokens_adjustment"), 4);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  send_prompt (window, APPLES);
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the first reply");
  id_a = g_strdup (sm_conversation_get_id (sm_chat_view_get_conversation (chat)));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  send_prompt (window, "Dogs bark at night");
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the second reply");
  id_b = g_strdup (sm_conversation_get_id (sm_chat_view_get_conversation (chat)));
  gtk_adjustment_set_value (sampling_adjustment (window, "max_tokens_adjustment"), max_tokens);
  path_a = conversation_path (id_a);
  path_b = conversation_path (id_b);

  /* the width the list asks for, so titles are not broken up; the open one marked */
  popover = open_conversations (window);
  g_test_message ("conversation list: %d px wide", gtk_widget_get_width (gtk_popover_get_child (popover)));
  g_assert_cmpint (gtk_widget_get_width (gtk_popover_get_child (popover)), >=, 300);
  g_assert_nonnull (conversation_row (popover, APPLES_TITLE));
  g_assert_nonnull (conversation_row (popover, "Dogs bark at night"));
  g_assert_nonnull (find_widget (conversation_row (popover, "Dogs bark at night"), is_shown_check, NULL));
  g_assert_null (find_widget (conversation_row (popover, APPLES_TITLE), is_shown_check, NULL));

  /* search: by title, in any case, and by what the messages say */
  search (popover, "dogs BARK", "Dogs bark at night", 1);
  search (popover, "stone mill", APPLES_TITLE, 1);
  /* Enter there opens the one found */
  g_signal_emit_by_name (find_widget (find_widget (GTK_WIDGET (popover), is_type,
                                                   GSIZE_TO_POINTER (GTK_TYPE_SEARCH_ENTRY)),
                                      is_type, GSIZE_TO_POINTER (GTK_TYPE_TEXT)), "activate");
  g_assert_cmpstr (sm_conversation_get_id (sm_chat_view_get_conversation (chat)), ==, id_a);
  popover = open_conversations (window);
  search (popover, "no such words", NULL, 0);
  search (popover, "", "Dogs bark at night", G_MAXUINT);   /* every one again */
  g_assert_nonnull (conversation_row (popover, APPLES_TITLE));
  g_assert_nonnull (find_widget (conversation_row (popover, APPLES_TITLE), is_shown_check, NULL));
  g_assert_null (find_widget (conversation_row (popover, "Dogs bark at night"), is_shown_check, NULL));
  /* a click on a row opens it */
  sm_ui_test_click (conversation_row (popover, "Dogs bark at night"));
  g_assert_cmpstr (sm_conversation_get_id (sm_chat_view_get_conversation (chat)), ==, id_b);
  popover = open_conversations (window);

  /* rename, through the row's button and a dialog; saved */
  click_in_row (conversation_row (popover, APPLES_TITLE), "win.rename-conversation");
  sm_ui_test_wait (dialog_shown, NULL, 10, "the rename dialog");
  dialog = find_dialog ();
  entry = find_widget (GTK_WIDGET (dialog), is_type, GSIZE_TO_POINTER (GTK_TYPE_ENTRY));
  g_assert_nonnull (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), "Fruit");
  /* Enter in its text */
  g_signal_emit_by_name (find_widget (entry, is_type, GSIZE_TO_POINTER (GTK_TYPE_TEXT)), "activate");
  sm_ui_test_wait (dialog_gone, NULL, 10, "the rename dialog to close");
  popover = open_conversations (window);
  g_assert_nonnull (conversation_row (popover, "Fruit"));
  g_assert_null (conversation_row (popover, APPLES_TITLE));
  want[0] = path_a;
  want[1] = "\"Fruit\"";
  sm_ui_test_wait (file_has, want, 10, "the new name saved");

  /* delete the open one: gone from the list, its file kept until the toast goes; Undo brings
   * it back, open again */
  click_in_row (conversation_row (popover, "Dogs bark at night"), "win.delete-conversation");
  g_assert_null (conversation_row (popover, "Dogs bark at night"));
  g_assert_cmpuint (sm_conversation_get_n_messages (sm_chat_view_get_conversation (chat)), ==, 0);
  sm_ui_test_wait (undo_shown, window, 10, "the Undo button");
  sm_ui_test_spin (300);
  g_assert_true (g_file_test (path_b, G_FILE_TEST_EXISTS));
  sm_ui_test_click (find_widget (GTK_WIDGET (window), is_undo_button, NULL));
  sm_ui_test_spin (300);
  g_assert_true (g_file_test (path_b, G_FILE_TEST_EXISTS));
  g_assert_nonnull (conversation_row (popover, "Dogs bark at night"));
  g_assert_cmpstr (sm_conversation_get_id (sm_chat_view_get_conversation (chat)), ==, id_b);

  /* delete another: the file goes when the toast times out */
  click_in_row (conversation_row (popover, "Fruit"), "win.delete-conversation");
  g_assert_null (conversation_row (popover, "Fruit"));
  g_assert_true (g_file_test (path_a, G_FILE_TEST_EXISTS));
  sm_ui_test_wait (file_gone, path_a, 30, "the deleted conversation's file to go");

  /* delete, then quit before the toast went: nothing is lost */
  click_in_row (conversation_row (popover, "Dogs bark at night"), "win.delete-conversation");
  g_assert_false (list_has (app, id_b));
  gtk_popover_popdown (popover);
  sm_ui_test_close_window (window);
  sm_conversation_store_flush (sm_application_get_store (app));
  g_clear_object (&app);
  g_assert_true (g_file_test (path_b, G_FILE_TEST_EXISTS));
  app = sm_ui_test_start_app (&window);
  g_assert_true (list_has (app, id_b));
  g_assert_false (list_has (app, id_a));
  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the model after the restart");
  sm_ui_test_close_window (window);
}

int
main (int argc, char **argv)
{
  int status;

  sm_ui_test_init (&argc, &argv);
  {
    /* the replies' text is read from the raw view's labels, a label per line */
    g_autoptr (GSettings) settings = g_settings_new (SM_APP_ID);
    g_settings_set_boolean (settings, "markdown", FALSE);
  }
  g_test_add_func ("/Branches/edit-regenerate", test_edit_regenerate_branches);
  g_test_add_func ("/Branches/conversation-list", test_conversation_list);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  return status;
}
