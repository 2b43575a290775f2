/* test-ab-run.c: the A/B run window as a person uses it.  A random-weight model is loaded and a
 * prompt written; the menu's A/B Run opens with that prompt and the engine's settings as A and
 * B; B gets the scalar kernels and an f16 KV cache, two runs of each go, and the window shows
 * both replies with the first token where they part marked, the figures with the faster side
 * marked, and exports the comparison report.  A long run is cancelled; the window stays
 * responsive and the engine's settings are as they were. */
#include <glib/gstdio.h>
#include <string.h>

#include "sm-ab-window.h"
#include "sm-chat-view.h"
#include "sm-ui-test-util.h"

static gboolean
ab_open (gpointer data)
{
  *(SmAbWindow **) data = NULL;
  for (GList *l = gtk_window_list_toplevels (); l; l = g_list_delete_link (l, l))
    if (SM_IS_AB_WINDOW (l->data) && gtk_widget_get_visible (l->data))
      *(SmAbWindow **) data = l->data;
  return *(SmAbWindow **) data != NULL;
}

static GtkAdjustment *
adjustment (gpointer ab, const char *name)
{
  GObject *adj = gtk_widget_get_template_child (GTK_WIDGET (ab), SM_TYPE_AB_WINDOW, name);
  g_assert_true (GTK_IS_ADJUSTMENT (adj));
  return GTK_ADJUSTMENT (adj);
}

static gboolean
not_running (gpointer data)
{
  return !sm_ab_window_get_running (SM_AB_WINDOW (data));
}

static gboolean
second_run_started (gpointer data)
{
  GtkProgressBar *bar = GTK_PROGRESS_BAR (sm_ui_test_child (data, SM_TYPE_AB_WINDOW, "progress_bar"));
  const char *text = gtk_progress_bar_get_text (bar);
  return text != NULL && g_str_has_prefix (text, "Run ") && !g_str_has_prefix (text, "Run 1 ");
}

/* The first widget under @w of @type whose text (a label's, a row's title) holds @text. */
static GtkWidget *
find (GtkWidget *w, GType type, const char *text)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
    {
      const char *t = GTK_IS_LABEL (w) ? gtk_label_get_text (GTK_LABEL (w))
                      : ADW_IS_PREFERENCES_ROW (w) ? adw_preferences_row_get_title (ADW_PREFERENCES_ROW (w))
                      : NULL;
      if (t != NULL && (text == NULL || strstr (t, text) != NULL))
        return w;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find (c, type, text);
      if (found)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_named (GtkWidget *w, const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (w), name) == 0)
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_named (c, name);
      if (found)
        return found;
    }
  return NULL;
}

/* Whether the window's primary menu offers @action. */
static gboolean
menu_has (GMenuModel *menu, const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autofree char *a = NULL;
      g_autoptr (GMenuLinkIter) links = NULL;

      if (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &a) &&
          g_strcmp0 (a, action) == 0)
        return TRUE;
      links = g_menu_model_iterate_item_links (menu, i);
      while (g_menu_link_iter_next (links))
        {
          g_autoptr (GMenuModel) sub = g_menu_link_iter_get_value (links);
          if (menu_has (sub, action))
            return TRUE;
        }
    }
  return FALSE;
}

/* Whether some menu button under @w offers @action. */
static gboolean
menus_have (GtkWidget *w, const char *action)
{
  if (GTK_IS_MENU_BUTTON (w) && gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (w)) != NULL &&
      menu_has (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (w)), action))
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    if (menus_have (c, action))
      return TRUE;
  return FALSE;
}

static char *
buffer_text (GtkTextView *view)
{
  GtkTextIter start, end;
  gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (view), &start, &end);
  return gtk_text_buffer_get_text (gtk_text_view_get_buffer (view), &start, &end, FALSE);
}

/* The marked stretch of @view: it starts where the run's token @token does. */
static void
check_mark (GtkTextView *view, const SmAbRun *run, int token)
{
  GtkTextBuffer *buf = gtk_text_view_get_buffer (view);
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buf), "diverge");
  GtkTextIter it;
  int offset = (int) g_utf8_pointer_to_offset (run->text, run->text + g_array_index (run->offsets, gsize, token));

  g_assert_nonnull (tag);
  gtk_text_buffer_get_iter_at_offset (buf, &it, offset);
  if (gtk_text_iter_is_end (&it))
    return;   /* a token of no text at the end: nothing to mark */
  g_assert_true (gtk_text_iter_has_tag (&it, tag));
  if (offset > 0)
    {
      gtk_text_iter_backward_char (&it);
      g_assert_false (gtk_text_iter_has_tag (&it, tag));
    }
}

static char *
settings_of (SmEngine *engine)
{
  SmEngineStats st;
  char *s;

  sm_engine_get_stats (engine, &st);
  s = g_strdup_printf ("pool %d, %s, %d threads, kv %s", st.pool_enabled,
                       sm_engine_kernel_level_name (st.kernel_level), st.threads,
                       sm_engine_kv_type_name (st.kv_type));
  sm_engine_stats_clear (&st);
  return s;
}

static void
test_ab_run (void)
{
  const char *shared = g_getenv ("SM_SHARED_MODELS");
  g_autofree char *model = g_build_filename (shared ? shared : "../shared/models", "kquant", "visible-q4_0.gguf", NULL);
  g_autofree char *before = NULL, *after = NULL, *out = NULL, *md = NULL, *prompt = NULL;
  g_autoptr (SmApplication) app = NULL;
  g_autoptr (GError) error = NULL;
  SmWindow *window;
  SmAbWindow *ab = NULL;
  GtkWidget *kernels, *kv, *b_group;
  const SmAbResult *r;
  gpointer weak;
  double stall;

  if (!g_file_test (model, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("kquant/visible-q4_0.gguf is missing (SM_SHARED_MODELS)");
      return;
    }
  app = sm_ui_test_start_app (&window);
  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the last model");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.load-model", "s", model));
  sm_ui_test_spin (50);
  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the random-weight model");
  before = settings_of (sm_window_get_engine (window));

  /* greedy sampling, as the Sampling page sets it: only then do the replies compare token by token */
  {
    g_autoptr (GSettings) settings = g_settings_new (SM_APP_ID);
    g_settings_set_double (settings, "temperature", 0);
  }
  /* the prompt being written goes with the window */
  sm_ui_test_type (sm_chat_view_get_prompt_view (sm_window_get_chat_view (window)), "The");

  /* the menu offers it, and its item opens it */
  g_assert_true (menus_have (GTK_WIDGET (window), "win.ab-run"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.ab-run", NULL));
  sm_ui_test_wait (ab_open, &ab, 10, "the A/B window");
  prompt = buffer_text (GTK_TEXT_VIEW (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "prompt_view")));
  g_assert_cmpstr (prompt, ==, "The");
  g_assert_false (gtk_widget_get_visible (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "result_box")));

  /* B: the scalar kernels and an f16 KV cache */
  b_group = sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "b_group");
  kernels = find (b_group, ADW_TYPE_COMBO_ROW, "Kernels");
  kv = find (b_group, ADW_TYPE_COMBO_ROW, "cache");
  g_assert_nonnull (kernels);
  g_assert_nonnull (kv);
  {
    GListModel *levels = adw_combo_row_get_model (ADW_COMBO_ROW (kernels));
    for (guint i = 0; i < g_list_model_get_n_items (levels); i++)
      if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (levels), i), "scalar") == 0)
        adw_combo_row_set_selected (ADW_COMBO_ROW (kernels), i);
    /* A holds the engine's level: it is one the machine runs */
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (levels), adw_combo_row_get_selected (ADW_COMBO_ROW (kernels))),
                     ==, "scalar");
  }
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (kv)), ==, 0);   /* f32, as the engine */
  adw_combo_row_set_selected (ADW_COMBO_ROW (kv), 1);
  gtk_adjustment_set_value (adjustment (ab, "runs_adjustment"), 2);
  gtk_adjustment_set_value (adjustment (ab, "tokens_adjustment"), 48);

  sm_ui_test_click (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "run_button"));
  g_assert_true (sm_ab_window_get_running (ab));
  /* the settings are not to be changed under a run */
  g_assert_false (gtk_widget_get_sensitive (b_group));
  sm_ui_test_wait (not_running, ab, 120, "the A/B run");
  r = sm_ab_window_get_result (ab);
  g_assert_nonnull (r);
  g_assert_cmpuint (r->runs->len, ==, 4);
  g_assert_cmpstr (gtk_progress_bar_get_text (GTK_PROGRESS_BAR (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "progress_bar"))),
                   ==, "Done: 2 runs of each");
  g_assert_true (gtk_widget_get_visible (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "result_box")));
  g_assert_cmpstr (r->snap[1]->kernel_level, ==, "scalar");
  g_assert_cmpstr (r->snap[1]->kv_cache, ==, "f16");

  /* both replies, side by side */
  {
    g_autofree char *a = buffer_text (GTK_TEXT_VIEW (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "reply_a_view")));
    g_autofree char *b = buffer_text (GTK_TEXT_VIEW (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "reply_b_view")));
    g_assert_cmpstr (a, ==, sm_ab_result_get_run (r, 0, 0)->text);
    g_assert_cmpstr (b, ==, sm_ab_result_get_run (r, 1, 0)->text);
    g_assert_cmpuint (strlen (a), >, 0);
  }
  /* where they part is marked in both (a random-weight model: the numerics part it) */
  g_assert_true (r->compared);
  g_assert_cmpint (r->divergence, >=, 0);
  check_mark (GTK_TEXT_VIEW (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "reply_a_view")),
              sm_ab_result_get_run (r, 0, 0), r->divergence);
  check_mark (GTK_TEXT_VIEW (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "reply_b_view")),
              sm_ab_result_get_run (r, 1, 0), r->divergence);
  {
    g_autofree char *want = g_strdup_printf ("part at token %d", r->divergence + 1);
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "divergence_label"))), want));
  }
  /* the figures table, and the faster side marked as the result says */
  {
    GtkWidget *grid = sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "figures_grid");
    GtkWidget *faster = find_named (grid, "faster");
    const char *verdict = gtk_label_get_text (GTK_LABEL (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "verdict_label")));
    g_autofree char *median = g_strdup_printf ("%.1f (", r->figures[0][SM_AB_DECODE_TPS].median);

    g_assert_nonnull (find (grid, GTK_TYPE_LABEL, "Decode (tok/s)"));
    g_assert_nonnull (find (grid, GTK_TYPE_LABEL, "Time to first token"));
    g_assert_nonnull (find (grid, GTK_TYPE_LABEL, median));
    if (r->faster >= 0)
      {
        int column;
        g_assert_nonnull (faster);
        gtk_grid_query_child (GTK_GRID (grid), faster, &column, NULL, NULL, NULL);
        g_assert_cmpint (column, ==, 1 + r->faster);
        g_assert_nonnull (strstr (verdict, r->faster ? "B is faster" : "A is faster"));
      }
    else
      {
        g_assert_null (faster);
        g_assert_nonnull (strstr (verdict, "No clear difference"));
      }
    g_test_message ("faster: %d (%.2f×), divergence at %d", r->faster, r->ratio, r->divergence);
  }
  sm_ui_test_screenshot ("ab-run");

  /* the export: a comparison report with the A/B run's part after it */
  out = g_build_filename (sm_ui_test_dir (), "ab-run.md", NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ab), "ab.export-to", "s", out));
  g_assert_true (g_file_get_contents (out, &md, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (md, "# Profile Comparison Report\n"));
  g_assert_nonnull (strstr (md, "### 🎯 Performance Verdict"));
  g_assert_nonnull (strstr (md, "| KV cache | f32 | f16 |"));
  g_assert_nonnull (strstr (md, "| Kernels |"));
  g_assert_nonnull (strstr (md, "## ⚖️ A/B Run"));
  {
    g_autofree char *first = g_strdup_printf ("**First differing token:** number %d of the reply (index %d)",
                                          r->divergence + 1, r->divergence);
    g_assert_nonnull (strstr (md, first));
  }
  g_assert_nonnull (strstr (md, sm_ab_result_get_run (r, 1, 0)->text));

  /* a long run, cancelled mid-way: the last result stays, the window answers */
  gtk_adjustment_set_value (adjustment (ab, "runs_adjustment"), 50);
  gtk_adjustment_set_value (adjustment (ab, "tokens_adjustment"), 400);
  sm_ui_test_stall_start ();
  sm_ui_test_click (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "run_button"));
  sm_ui_test_wait (second_run_started, ab, 60, "the second run");
  g_assert_false (gtk_widget_is_sensitive (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "run_button")));
  sm_ui_test_click (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "cancel_button"));
  sm_ui_test_wait (not_running, ab, 30, "the cancel");
  stall = sm_ui_test_stall_stop ();
  g_test_message ("longest main-loop stall while running: %.1f ms", stall);
  g_assert_cmpfloat (stall, <, 10000);   /* a hang, not a slow machine */
  g_assert_cmpstr (gtk_progress_bar_get_text (GTK_PROGRESS_BAR (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "progress_bar"))),
                   ==, "Cancelled");
  g_assert_true (sm_ab_window_get_result (ab) == r);
  g_assert_true (gtk_widget_get_sensitive (b_group));
  g_assert_true (gtk_widget_is_sensitive (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "run_button")));
  after = settings_of (sm_window_get_engine (window));
  g_assert_cmpstr (after, ==, before);

  /* closing it while a run goes on, as its close button does: the run stops, the window goes,
   * and the engine's settings are as they were */
  adw_combo_row_set_selected (ADW_COMBO_ROW (find (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "a_group"),
                                                   ADW_TYPE_COMBO_ROW, "cache")), 1);
  sm_ui_test_click (sm_ui_test_child (ab, SM_TYPE_AB_WINDOW, "run_button"));
  sm_ui_test_wait (second_run_started, ab, 60, "the second run");
  weak = ab;
  g_object_add_weak_pointer (G_OBJECT (ab), &weak);
  gtk_window_close (GTK_WINDOW (ab));
  sm_ui_test_wait (sm_ui_test_pointer_cleared, &weak, 30, "the A/B window to close");
  sm_ui_test_spin (100);
  g_free (after);
  after = settings_of (sm_window_get_engine (window));
  g_assert_cmpstr (after, ==, before);
  sm_ui_test_close_window (window);
}

int
main (int argc, char **argv)
{
  int status;

  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/AbRun/run-mark-export-cancel", test_ab_run);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  return status;
}
