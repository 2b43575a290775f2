/* test-training.c: Train a Model as a person uses it.  The menu opens it; the Tiny shape and a
 * few hundred steps on the built-in stories start; the loss chart gets points and the per-op
 * tables fill in while the main window stays usable; Pause holds the step, Checkpoint saves a
 * file, Resume goes on; at the end Chat with It loads the new model into the window, which
 * then writes a reply with it. */
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sm-chart.h"
#include "sm-chat-view.h"
#include "sm-conversation.h"
#include "sm-message.h"
#include "sm-train-window.h"
#include "sm-ui-test-util.h"

static char *data_home;

static gboolean
train_window_open (gpointer data)
{
  *(SmTrainWindow **) data = NULL;
  for (GList *l = gtk_window_list_toplevels (); l; l = g_list_delete_link (l, l))
    if (SM_IS_TRAIN_WINDOW (l->data) && gtk_widget_get_visible (l->data))
      *(SmTrainWindow **) data = l->data;
  return *(SmTrainWindow **) data != NULL;
}

static gboolean
has_points (gpointer data)
{
  SmTrainWindow *tw = data;
  SmChart *chart = SM_CHART (sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "loss_chart"));
  return sm_chart_get_n_points (chart) >= 3;
}

static gboolean
ended (gpointer data)
{
  return !sm_train_window_get_running (SM_TRAIN_WINDOW (data));
}

static int step_mark;

static gboolean
stepped_on (gpointer data)
{
  return sm_train_window_get_step (SM_TRAIN_WINDOW (data)) > step_mark + 3;
}

static gboolean
reply_done (gpointer data)
{
  SmWindow *window = data;
  SmChatView *chat = sm_window_get_chat_view (window);
  SmConversation *conv = sm_chat_view_get_conversation (chat);
  SmMessage *last = conv ? sm_conversation_get_last (conv) : NULL;

  return last != NULL && !sm_chat_view_get_generating (chat) &&
         sm_message_get_role (last) == SM_ROLE_ASSISTANT;
}

static char *
model_name (SmWindow *window)
{
  SmEngineStats st;
  char *name;

  sm_engine_get_stats (sm_window_get_engine (window), &st);
  name = g_strdup (st.model_name);
  sm_engine_stats_clear (&st);
  return name;
}

/* The row under @w titled @title. */
static GtkWidget *
find_row (GtkWidget *w, const char *title)
{
  if (ADW_IS_ACTION_ROW (w) && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (w)), title) == 0)
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_row (c, title);
      if (found)
        return found;
    }
  return NULL;
}

static const char *
label_text (SmTrainWindow *tw, const char *name)
{
  return gtk_label_get_text (GTK_LABEL (sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, name)));
}

static void
test_train_and_chat (void)
{
  SmWindow *window;
  g_autoptr (SmApplication) app = sm_ui_test_start_app (&window);
  SmTrainWindow *tw = NULL;
  gpointer weak;
  g_autofree char *before = NULL, *after = NULL, *path = NULL;
  GtkAdjustment *steps, *dim;
  AdwComboRow *shape;
  GtkWidget *start, *pause, *stop, *checkpoint, *chat_button;
  int held;

  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the built-in model");
  before = model_name (window);

  /* the menu's Train a Model… */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train-model", NULL));
  sm_ui_test_wait (train_window_open, &tw, 10, "the training window");
  start = sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "start_button");
  pause = sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "pause_button");
  stop = sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "stop_button");
  checkpoint = sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "checkpoint_button");
  chat_button = sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "chat_button");
  shape = ADW_COMBO_ROW (sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "shape_row"));
  steps = GTK_ADJUSTMENT (gtk_widget_get_template_child (GTK_WIDGET (tw), SM_TYPE_TRAIN_WINDOW, "steps_adjustment"));
  dim = GTK_ADJUSTMENT (gtk_widget_get_template_child (GTK_WIDGET (tw), SM_TYPE_TRAIN_WINDOW, "dim_adjustment"));
  g_assert_false (gtk_widget_get_sensitive (pause));
  g_assert_false (gtk_widget_get_visible (chat_button));

  /* the shape: Custom frees the sizes, a preset fills them in */
  adw_combo_row_set_selected (shape, 3);
  g_assert_true (gtk_widget_get_sensitive (sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "dim_spin")));
  adw_combo_row_set_selected (shape, 1);
  g_assert_cmpfloat (gtk_adjustment_get_value (dim), ==, 128);
  g_assert_false (gtk_widget_get_sensitive (sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "dim_spin")));
  adw_combo_row_set_selected (shape, 0);   /* Tiny */
  g_assert_cmpfloat (gtk_adjustment_get_value (dim), ==, 32);
  gtk_adjustment_set_value (steps, 600);

  sm_ui_test_click (start);
  g_assert_true (sm_train_window_get_running (tw));
  g_assert_false (gtk_widget_is_sensitive (start));
  g_assert_false (gtk_widget_is_sensitive (sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "setup_box")));
  sm_ui_test_wait (has_points, tw, 60, "the loss chart's first points");
  /* a third of the way: a curve to see, with validation points on it */
  step_mark = 200 - 4;
  sm_ui_test_wait (stepped_on, tw, 60, "step 200");

  /* the main window stays usable, and the engine says why a reply must wait */
  g_assert_true (sm_engine_is_training (sm_window_get_engine (window)));

  /* pause: the step holds */
  sm_ui_test_click (pause);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (pause)), ==, "_Resume");
  sm_ui_test_spin (200);
  held = sm_train_window_get_step (tw);
  g_assert_cmpint (held, >, 0);
  g_assert_cmpint (held, <, 600);
  sm_ui_test_spin (300);
  g_assert_cmpint (sm_train_window_get_step (tw), ==, held);
  g_assert_nonnull (strstr (label_text (tw, "status_label"), "Paused at step"));
  /* the per-op tables have the matmuls of both passes */
  for (guint i = 0; i < 2; i++)
    {
      GtkWidget *group = sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, i ? "backward_group" : "forward_group");
      GtkWidget *row = find_row (group, "matmul");
      g_assert_nonnull (row);
      /* its time (ms, or s on a slow build) and its share of the pass */
      g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), " · "));
      g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "%"));
    }
  sm_ui_test_screenshot ("training");

  /* checkpoint while paused: the file is there */
  sm_ui_test_click (checkpoint);
  {
    g_autofree char *dir = g_build_filename (data_home, "smallmind", "models", NULL);
    g_autoptr (GDir) d = NULL;
    const char *name = NULL;
    for (int i = 0; i < 200 && name == NULL; i++)
      {
        sm_ui_test_spin (25);
        g_clear_pointer (&d, g_dir_close);
        d = g_dir_open (dir, 0, NULL);
        for (const char *n; d && (n = g_dir_read_name (d)) != NULL; )
          if (g_str_has_suffix (n, ".smck"))
            name = n;
      }
    g_assert_nonnull (name);
  }

  /* resume: it goes on, and finishes */
  step_mark = held;
  sm_ui_test_click (pause);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (pause)), ==, "_Pause");
  sm_ui_test_wait (stepped_on, tw, 30, "steps after the resume");
  sm_ui_test_wait (ended, tw, 120, "the run to end");
  g_assert_cmpint (sm_train_window_get_step (tw), ==, 600);
  g_assert_nonnull (strstr (label_text (tw, "status_label"), "Done: 600 steps"));
  g_assert_false (gtk_widget_is_sensitive (stop));
  g_assert_true (gtk_widget_get_visible (chat_button));
  path = g_strdup (sm_train_window_get_model_path (tw));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  /* Chat with It: the window loads it, the training window goes */
  weak = tw;
  g_object_add_weak_pointer (G_OBJECT (tw), &weak);
  sm_ui_test_click (chat_button);
  sm_ui_test_wait (sm_ui_test_pointer_cleared, &weak, 10, "the training window to close");
  sm_ui_test_spin (50);
  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the trained model");
  after = model_name (window);
  g_assert_cmpstr (after, !=, before);
  g_assert_cmpstr (after, ==, "Trained on stories");

  /* and it writes */
  {
    SmChatView *chat = sm_window_get_chat_view (window);
    SmMessage *reply;

    sm_ui_test_type (sm_chat_view_get_prompt_view (chat), "Once upon a time");
    sm_ui_test_click (sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "send_button"));
    sm_ui_test_spin (50);
    sm_ui_test_wait (reply_done, window, 60, "the trained model's reply");
    reply = sm_conversation_get_last (sm_chat_view_get_conversation (chat));
    g_assert_cmpuint (strlen (sm_message_get_text (reply)), >, 0);
  }
  sm_ui_test_close_window (window);
}

/* The model files in the folder the window saves to. */
static guint
count_models (void)
{
  g_autofree char *dir = g_build_filename (data_home, "smallmind", "models", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  for (const char *name; d && (name = g_dir_read_name (d)) != NULL; )
    n += g_str_has_suffix (name, ".smck");
  return n;
}

static guint models_before;

static gboolean
checkpointed (gpointer data)
{
  return count_models () > models_before;
}

static gboolean
engine_idle (gpointer data)
{
  return !sm_engine_is_training (data);
}

/* Stop without a checkpoint: nothing to chat with; with one: it is kept and offered; closing
 * the window mid-run ends the run. */
static void
test_stop_and_close (void)
{
  SmWindow *window;
  g_autoptr (SmApplication) app = sm_ui_test_start_app (&window);
  SmEngine *engine = sm_window_get_engine (window);
  SmTrainWindow *tw = NULL;
  GtkAdjustment *steps;
  GtkWidget *start, *stop, *chat_button;
  gpointer weak;

  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the built-in model");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train-model", NULL));
  sm_ui_test_wait (train_window_open, &tw, 10, "the training window");
  start = sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "start_button");
  stop = sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "stop_button");
  chat_button = sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "chat_button");
  steps = GTK_ADJUSTMENT (gtk_widget_get_template_child (GTK_WIDGET (tw), SM_TYPE_TRAIN_WINDOW, "steps_adjustment"));
  gtk_adjustment_set_value (steps, 100000);

  /* stopped with no checkpoint */
  models_before = count_models ();
  sm_ui_test_click (start);
  sm_ui_test_wait (has_points, tw, 60, "the first points");
  sm_ui_test_click (stop);
  sm_ui_test_wait (ended, tw, 30, "the stop");
  g_assert_cmpstr (label_text (tw, "status_label"), ==, "Stopped");
  g_assert_false (gtk_widget_get_visible (chat_button));
  g_assert_true (gtk_widget_is_sensitive (start));
  g_assert_false (sm_engine_is_training (engine));
  g_assert_cmpuint (count_models (), ==, models_before);

  /* stopped after a checkpoint: it is kept, and Chat with It offers it */
  sm_ui_test_click (start);
  sm_ui_test_wait (has_points, tw, 60, "the first points");
  models_before = count_models ();
  sm_ui_test_click (sm_ui_test_child (tw, SM_TYPE_TRAIN_WINDOW, "checkpoint_button"));
  sm_ui_test_wait (checkpointed, NULL, 30, "the checkpoint's file");
  sm_ui_test_spin (100);   /* its answer reaches the window */
  sm_ui_test_click (stop);
  sm_ui_test_wait (ended, tw, 30, "the stop");
  g_assert_cmpstr (label_text (tw, "status_label"), ==, "Stopped; the last checkpoint is kept");
  g_assert_true (gtk_widget_get_visible (chat_button));
  g_assert_true (g_file_test (sm_train_window_get_model_path (tw), G_FILE_TEST_IS_REGULAR));

  /* closed mid-run: the run ends with it */
  sm_ui_test_click (start);
  sm_ui_test_wait (has_points, tw, 60, "the first points");
  g_assert_true (sm_engine_is_training (engine));
  weak = tw;
  g_object_add_weak_pointer (G_OBJECT (tw), &weak);
  gtk_window_close (GTK_WINDOW (tw));
  sm_ui_test_wait (sm_ui_test_pointer_cleared, &weak, 10, "the training window to close");
  sm_ui_test_wait (engine_idle, engine, 30, "the run to end with its window");
  sm_ui_test_close_window (window);
}

int
main (int argc, char **argv)
{
  int status;

  /* before anything asks GLib for it, which it keeps: where the trained models go */
  data_home = g_dir_make_tmp ("sm-ui-training-XXXXXX", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/Training/train-and-chat", test_train_and_chat);
  g_test_add_func ("/Training/stop-and-close", test_stop_and_close);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", data_home);
    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", data_home);
  }
  g_free (data_home);
  return status;
}
