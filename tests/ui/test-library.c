/* test-library.c: the Model Library as a person uses it.  A home folder holds stories260K
 * where llama.cpp and a download would put it; the menu's Model Library lists both with their
 * figures and whether they fit, Open loads one and closes the library; a file dropped on the
 * window opens too. */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "sm-library-window.h"
#include "sm-ui-test-util.h"

static char *home;



static gboolean
library_open (gpointer data)
{
  *(SmLibraryWindow **) data = NULL;
  for (GList *l = gtk_window_list_toplevels (); l; l = g_list_delete_link (l, l))
    if (SM_IS_LIBRARY_WINDOW (l->data) && gtk_widget_get_visible (l->data))
      *(SmLibraryWindow **) data = l->data;
  return *(SmLibraryWindow **) data != NULL;
}

static gboolean
scanned (gpointer data)
{
  return !sm_library_window_get_scanning (SM_LIBRARY_WINDOW (data));
}

/* The first widget under @w of @type whose label (a label's text, a row's title) holds @text. */
static GtkWidget *
find (GtkWidget *w, GType type, const char *text)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
    {
      const char *t = GTK_IS_LABEL (w) ? gtk_label_get_text (GTK_LABEL (w))
                      : GTK_IS_BUTTON (w) ? gtk_button_get_label (GTK_BUTTON (w))
                      : ADW_IS_PREFERENCES_ROW (w) ? adw_preferences_row_get_title (ADW_PREFERENCES_ROW (w))
                      : NULL;
      if (t != NULL && strstr (t, text) != NULL)
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

static char *
model_setting (void)
{
  g_autoptr (GSettings) settings = g_settings_new (SM_APP_ID);
  return g_settings_get_string (settings, "last-model");
}


static char *
put_model (const char *rel)
{
  const char *shared = g_getenv ("SM_SHARED_MODELS");
  g_autofree char *src = g_build_filename (shared ? shared : "../shared/models", "stories260K.gguf", NULL);
  g_autofree char *contents = NULL;
  gsize len;
  char *path = g_build_filename (home, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  if (!g_file_get_contents (src, &contents, &len, NULL))
    {
      g_free (path);
      return NULL;
    }
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, (gssize) len, NULL));
  return path;
}

static void
test_library (void)
{
  SmWindow *window;
  g_autoptr (SmApplication) app = NULL;
  g_autofree char *cached = put_model (".cache/llama.cpp/stories-cached.gguf");
  g_autofree char *downloaded = put_model ("Downloads/models/stories-downloaded.gguf");
  g_autofree char *last = NULL;
  SmLibraryWindow *library = NULL;
  GtkWidget *row, *open;
  gpointer weak;

  if (cached == NULL)
    {
      g_test_skip ("../shared/models/stories260K.gguf is missing (SM_SHARED_MODELS)");
      return;
    }
  app = sm_ui_test_start_app (&window);
  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the last model");

  /* Ctrl+Shift+O, as the menu's Model Library */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.model-library", NULL));
  sm_ui_test_wait (library_open, &library, 10, "the library");
  sm_ui_test_wait (scanned, library, 30, "the scan");
  g_assert_cmpuint (sm_library_window_get_n_models (library), ==, 2);
  sm_ui_test_screenshot ("library");
  /* one row each, named from the file's header, with its figures */
  row = find (GTK_WIDGET (library), ADW_TYPE_ACTION_ROW, "llama");
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "K parameters"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "context 2048"));
  g_assert_nonnull (find (row, GTK_TYPE_LABEL, "fits"));

  /* Open the one from Downloads */
  for (GtkWidget *r = gtk_widget_get_first_child (gtk_widget_get_parent (row)); r; r = gtk_widget_get_next_sibling (r))
    if (strstr (gtk_widget_get_tooltip_text (r), "stories-downloaded") != NULL)
      row = r;
  open = find (row, GTK_TYPE_BUTTON, "Open");
  g_assert_nonnull (open);
  weak = library;
  g_object_add_weak_pointer (G_OBJECT (library), &weak);
  sm_ui_test_click (open);
  sm_ui_test_wait (sm_ui_test_pointer_cleared, &weak, 10, "the library to close");
  sm_ui_test_spin (50);
  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the model from the library");
  last = model_setting ();
  g_assert_cmpstr (last, ==, downloaded);

  /* a file dropped on the window */
  {
    GtkDropTarget *drop = NULL;
    g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
    g_autoptr (GFile) file = g_file_new_for_path (cached);
    GValue value = G_VALUE_INIT;
    gboolean ok = FALSE;

    for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
      {
        g_autoptr (GObject) c = g_list_model_get_item (controllers, i);
        if (GTK_IS_DROP_TARGET (c))
          drop = GTK_DROP_TARGET (c);
      }
    g_assert_nonnull (drop);
    g_value_init (&value, G_TYPE_FILE);
    g_value_set_object (&value, file);
    g_signal_emit_by_name (drop, "drop", &value, 10.0, 10.0, &ok);
    g_value_unset (&value);
    g_assert_true (ok);
    sm_ui_test_spin (50);
    sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the dropped model");
    g_free (last);
    last = model_setting ();
    g_assert_cmpstr (last, ==, cached);
  }
  sm_ui_test_close_window (window);
}

int
main (int argc, char **argv)
{
  int status;

  /* before anything asks GLib for the home folder, which it keeps */
  home = g_dir_make_tmp ("sm-ui-library-XXXXXX", NULL);
  g_setenv ("HOME", home, TRUE);
  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/Library/open-and-drop", test_library);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", home);
    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", home);
  }
  g_free (home);
  return status;
}
