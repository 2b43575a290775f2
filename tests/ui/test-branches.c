/* test-branches.c: editing and regenerating keep what was there as branches ("‹ 1/2 ›"), as
 * llama.cpp's web UI does: a regenerated reply stands beside the old one, an edited question
 * beside the old question with its answers; switching shows a branch with its later turns; the
 * branches are saved and come back after a restart.  Driven through the rows' actions, checked
 * on what the rows show.  Run under Xvfb (see meson.build for the environment). */
#include <string.h>

#include "sm-chat-view.h"
#include "sm-message-row.h"
#include "sm-sampling-panel.h"
#include "sm-ui-test-util.h"

static gboolean
loaded (gpointer data)
{
  return !sm_window_get_loading (SM_WINDOW (data));
}

static gboolean
not_generating (gpointer data)
{
  return !sm_chat_view_get_generating (SM_CHAT_VIEW (data));
}

static gboolean
pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

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

static void
close_window (SmWindow *window)
{
  gpointer weak = window;

  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  gtk_window_close (GTK_WINDOW (window));
  sm_ui_test_wait (pointer_cleared, &weak, 30, "the window to go");
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

  sm_ui_test_wait (loaded, window, 60, "the last model");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.load-preset", "s", "small"));
  sm_ui_test_wait (loaded, window, 60, "the Small preset");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  max_tokens = gtk_adjustment_get_value (sampling_adjustment (window, "max_tokens_adjustment"));
  temperature = gtk_adjustment_get_value (sampling_adjustment (window, "temperature_adjustment"));
  seed = gtk_adjustment_get_value (sampling_adjustment (window, "seed_adjustment"));
  /* short replies, a new seed for each */
  gtk_adjustment_set_value (sampling_adjustment (window, "max_tokens_adjustment"), 8);
  gtk_adjustment_set_value (sampling_adjustment (window, "temperature_adjustment"), 1.0);
  gtk_adjustment_set_value (sampling_adjustment (window, "seed_adjustment"), -1);

  send_prompt (window, "Tell me");
  sm_ui_test_wait (not_generating, chat, 60, "the reply");
  reply1 = shown_text (row_at (chat, 1));
  g_assert_cmpuint (strlen (reply1), >, 0);
  /* no alternatives yet: no control */
  assert_row (chat, 0, "Tell me", "");
  assert_row (chat, 1, reply1, "");

  /* regenerate: a second reply beside the first, which is kept */
  click_row_button (row_at (chat, 1), "regenerate_button");
  sm_ui_test_wait (not_generating, chat, 60, "the regenerated reply");
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
  sm_ui_test_wait (not_generating, chat, 60, "the reply to the edited question");
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
    sm_ui_test_wait (not_generating, chat, 60, "the reply on the first branch");
    g_assert_cmpuint (n_rows (chat), ==, 4);
    assert_row (chat, 2, "Go on", "");
    prompt = sm_conversation_build_prompt (c, 3);
    g_assert_cmpstr (prompt, ==, want);
    /* the engine read that path: the question and the first reply, not the others */
    g_assert_cmpint (sm_message_get_figures (sm_conversation_get_message (c, 3))->prompt_tokens, ==,
                     count_tokens (window, want, 8));
    id = g_strdup (sm_conversation_get_id (c));
  }

  gtk_adjustment_set_value (sampling_adjustment (window, "max_tokens_adjustment"), max_tokens);
  gtk_adjustment_set_value (sampling_adjustment (window, "temperature_adjustment"), temperature);
  gtk_adjustment_set_value (sampling_adjustment (window, "seed_adjustment"), seed);
  close_window (window);
  /* as the application's shutdown does */
  sm_conversation_store_flush (sm_application_get_store (app));
  g_clear_object (&app);

  /* after a restart: the same branch shown, the others a click away */
  app = sm_ui_test_start_app (&window);
  chat = sm_window_get_chat_view (window);
  sm_ui_test_wait (loaded, window, 60, "the model after the restart");
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
  close_window (window);
}

int
main (int argc, char **argv)
{
  int status;

  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/Branches/edit-regenerate", test_edit_regenerate_branches);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  return status;
}
