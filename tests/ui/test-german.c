/* test-german.c: the window as a German user meets it (issue: chart markers, "scalar" and engine
 * errors stayed English, "Sampling" read "Auswahl", and the minimum width grew from 440 to
 * 570 px).  LANGUAGE=de with the tests' C.UTF-8 locale picks the build's German catalogue. */
#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "sm-charts-panel.h"
#include "sm-chart.h"
#include "sm-chat-view.h"
#include "sm-message.h"
#include "sm-ui-test-util.h"
#include "sm-window.h"




static int
metainfo_display_length (void)
{
  g_autofree char *text = NULL;
  g_autoptr (GRegex) re = g_regex_new ("<display_length compare=\"ge\">([0-9]+)<", 0, 0, NULL);
  g_autoptr (GMatchInfo) m = NULL;
  g_autofree char *n = NULL;

  g_assert_true (g_file_get_contents (g_getenv ("SM_METAINFO"), &text, NULL, NULL));
  g_assert_true (g_regex_match (re, text, 0, &m));
  n = g_match_info_fetch (m, 1);
  return atoi (n);
}

static GtkWindow *
message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) w = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return w;
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return message_dialog () != NULL;
}

static gboolean
chart_shows_label (SmChart *chart, const char *text)
{
  g_autoptr (GArray) labels = sm_chart_get_marker_labels (chart, 800, 200);
  gboolean found = FALSE;

  for (guint i = 0; labels != NULL && i < labels->len; i++)
    found = found || g_strcmp0 (g_array_index (labels, SmChartLabel, i).text, text) == 0;
  return found;
}

static void
test_german (void)
{
  SmWindow *window;
  g_autoptr (SmApplication) app = NULL;
  g_autofree char *random = g_build_filename (sm_ui_test_dir (), "zufall.bin", NULL);
  int min_width = 0;

  /* the catalogue is in force */
  g_assert_cmpstr (_("_New Conversation"), !=, "_New Conversation");

  app = sm_ui_test_start_app (&window);
  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the built-in model");

  /* "Sampling" is what German machine-learning texts call it, not "Auswahl" (a selection) */
  {
    GtkSelectionModel *pages = adw_view_stack_get_pages (ADW_VIEW_STACK (
      gtk_widget_get_template_child (GTK_WIDGET (window), SM_TYPE_WINDOW, "side_stack")));
    gboolean found = FALSE;

    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (pages)); i++)
      {
        g_autoptr (AdwViewStackPage) page = g_list_model_get_item (G_LIST_MODEL (pages), i);
        if (g_strcmp0 (adw_view_stack_page_get_name (page), "sampling") == 0)
          {
            g_assert_cmpstr (adw_view_stack_page_get_title (page), ==, "_Sampling");
            found = TRUE;
          }
      }
    g_object_unref (pages);
    g_assert_true (found);
  }

  /* no wider than in English, and than the metainfo promises */
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL, NULL);
  g_test_message ("minimum width in German: %d px", min_width);
  g_assert_cmpint (min_width, <=, metainfo_display_length ());

  /* the kernel path and a chart marker in German */
  g_assert_cmpstr (C_("kernel path", "scalar"), ==, "skalar");
  {
    GtkWidget *charts = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (window), SM_TYPE_WINDOW, "charts_panel");
    SmEngine *engine = sm_window_get_engine (window);
    gboolean german = FALSE;

    sm_engine_set_pool_enabled (engine, FALSE);
    for (int i = 0; i < 200 && !german; i++)
      {
        sm_ui_test_spin (20);
        sm_charts_panel_refresh (SM_CHARTS_PANEL (charts));
        german = chart_shows_label (SM_CHART (gtk_widget_get_template_child (charts, SM_TYPE_CHARTS_PANEL, "tps_chart")), "Pool aus");
      }
    g_assert_true (german);
    sm_engine_set_pool_enabled (engine, TRUE);
  }

  /* an engine error in German, in the window's error dialog */
  {
    char noise[4096];
    GtkWindow *dialog;
    const char *body;

    for (gsize i = 0; i < sizeof noise; i++)
      noise[i] = (char) g_random_int ();
    g_assert_true (g_file_set_contents (random, noise, sizeof noise, NULL));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.load-model", "s", random));
    sm_ui_test_wait (dialog_shown, NULL, 60, "the load error");
    dialog = message_dialog ();
    body = adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog));
    g_test_message ("%s: %s", adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), body);
    g_assert_nonnull (strstr (body, "llama2.c-Modell"));
    g_assert_null (strstr (body, "magic"));
    gtk_window_destroy (dialog);
  }
  sm_ui_test_close_window (window);
}

int
main (int argc, char **argv)
{
  int status;

  g_setenv ("LANGUAGE", "de", TRUE);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, SM_BUILD_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/German/window", test_german);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  return status;
}
