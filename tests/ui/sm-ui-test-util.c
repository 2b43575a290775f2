/* sm-ui-test-util.c: what the window's tests share. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sm-model.h"
#include "sm-ui-test-util.h"

static char *test_dir;

/* GTK warns when there is no session bus (Xvfb alone has none); that is the test machine's
 * state, not the program's fault.  Everything else stays fatal. */
static gboolean
fatal_log_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  if (message != NULL && strstr (message, "session bus") != NULL)
    return FALSE;
  return TRUE;
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

void
sm_ui_test_init (int *argc, char ***argv)
{
  g_autofree char *conversations = NULL;

  gtk_test_init (argc, argv, NULL);
  g_test_log_set_fatal_handler (fatal_log_handler, NULL);

  test_dir = g_dir_make_tmp ("smallmind-ui-XXXXXX", NULL);
  g_assert_nonnull (test_dir);
  conversations = g_build_filename (test_dir, "conversations", NULL);
  g_setenv ("SMALLMIND_CONVERSATIONS_DIR", conversations, TRUE);
  /* the built-in model: the trained checkpoint if the tree has one (SM_MODELS_DIR, set by
   * meson, or the source tree: sm_engine_find_builtin_model ()), else the Small preset */
  sm_ui_init ();
}

const char *
sm_ui_test_dir (void)
{
  return test_dir;
}

void
sm_ui_test_cleanup (void)
{
  if (test_dir != NULL)
    remove_tree (test_dir);
  g_clear_pointer (&test_dir, g_free);
}

SmApplication *
sm_ui_test_start_app (SmWindow **window)
{
  SmApplication *app = sm_application_new (G_APPLICATION_NON_UNIQUE);
  g_autoptr (GError) error = NULL;

  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  *window = SM_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (SM_IS_WINDOW (*window));
  return app;
}

static gboolean
timeout_cb (gpointer data)
{
  gboolean *expired = data;
  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
poll_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
sm_ui_test_wait (SmTestCondition cond, gpointer data, double timeout_s, const char *what)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add ((guint) (timeout_s * 1000), timeout_cb, &expired);
  /* conditions that other threads make true (a file written) wake no main loop: poll too */
  guint poll = g_timeout_add (20, poll_cb, NULL);

  while (!cond (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (expired)
    g_error ("timed out after %.0f s waiting for %s", timeout_s, what);
  g_source_remove (id);
  g_source_remove (poll);
}

void
sm_ui_test_spin (guint ms)
{
  gboolean expired = FALSE;

  g_timeout_add (ms, timeout_cb, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

void
sm_ui_test_screenshot (const char *name)
{
  const char *dir = g_getenv ("SM_UI_SCREENSHOT_DIR");
  g_autofree char *file = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;

  if (dir == NULL || *dir == '\0')
    return;
  /* what the main loop has to draw first */
  sm_ui_test_spin (300);
  gdk_display_sync (gdk_display_get_default ());
  file = g_strdup_printf ("%s/%s.png", dir, name);
  if (!g_spawn_sync (NULL, (char *[]) { "import", "-window", "root", file, NULL }, NULL,
                     G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    g_test_message ("no screenshot %s: %s", file, error->message);
  else
    g_test_message ("screenshot: %s", file);
}

GtkWidget *
sm_ui_test_child (gpointer widget, GType type, const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  if (child == NULL || !GTK_IS_WIDGET (child))
    g_error ("%s has no widget named %s", g_type_name (type), name);
  return GTK_WIDGET (child);
}

void
sm_ui_test_type (GtkTextView *view, const char *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);

  gtk_widget_grab_focus (GTK_WIDGET (view));
  gtk_text_buffer_insert_interactive_at_cursor (buffer, text, -1, gtk_text_view_get_editable (view));
}

void
sm_ui_test_click (GtkWidget *widget)
{
  g_assert_true (gtk_widget_get_visible (widget));
  g_assert_true (gtk_widget_is_sensitive (widget));
  if (GTK_IS_BUTTON (widget))
    g_signal_emit_by_name (widget, "clicked");
  else
    g_assert_true (gtk_widget_activate (widget));
}

/* ---- stalls ----------------------------------------------------------------------------------- */

#define STALL_TICK_MS 5

static guint stall_source;
static gint64 stall_last;
static double stall_max_ms;
static double stall_own_max_ms;
/* GTK's rendering of frames since the last tick: between the end of a frame clock's layout
 * phase and its after-paint, the renderer draws the frame (under Xvfb with GSK_RENDERER=cairo
 * that is software rasterizing, tens of ms for a whole window on a loaded core) */
static GList *stall_clocks;
static gint64 stall_render_us;
static gint64 stall_paint_start;
static gint64 stall_layout_us;    /* the layout phases' time since the last tick (for the trace) */
static gint64 stall_layout_start;

static void
on_stall_update_done (GdkFrameClock *clock, gpointer data)
{
  stall_layout_start = g_get_monotonic_time ();
}

static void
on_stall_layout_done (GdkFrameClock *clock, gpointer data)
{
  stall_paint_start = g_get_monotonic_time ();
  if (stall_layout_start != 0)
    stall_layout_us += stall_paint_start - stall_layout_start;
  stall_layout_start = 0;
}

static void
on_stall_after_paint (GdkFrameClock *clock, gpointer data)
{
  if (stall_paint_start != 0)
    stall_render_us += g_get_monotonic_time () - stall_paint_start;
  stall_paint_start = 0;
}

static gboolean
stall_tick (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  double late = (now - stall_last) / 1000.0 - STALL_TICK_MS;
  double own = late - stall_render_us / 1000.0;

  if (late > stall_max_ms)
    stall_max_ms = late;
  if (own > stall_own_max_ms)
    stall_own_max_ms = own;
  /* SM_STALL_TRACE=1: each stall over 15 ms, split into its layout and rendering */
  if (late > 15 && g_getenv ("SM_STALL_TRACE") != NULL)
    g_printerr ("%" G_GINT64_FORMAT " stall of %.1f ms: %.1f ms laying out, %.1f ms rendering frames\n",
                now / 1000, late, stall_layout_us / 1000.0, stall_render_us / 1000.0);
  stall_render_us = stall_layout_us = 0;
  stall_last = now;
  return G_SOURCE_CONTINUE;
}

void
sm_ui_test_stall_start (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  stall_max_ms = stall_own_max_ms = 0;
  stall_render_us = stall_paint_start = stall_layout_us = stall_layout_start = 0;
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);
      GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
      GdkFrameClock *clock = surface != NULL ? gdk_surface_get_frame_clock (surface) : NULL;

      if (clock == NULL || g_list_find (stall_clocks, clock) != NULL)
        continue;
      /* after GTK's own layout handler, connected when the surface was made */
      g_signal_connect_after (clock, "update", G_CALLBACK (on_stall_update_done), NULL);
      g_signal_connect_after (clock, "layout", G_CALLBACK (on_stall_layout_done), NULL);
      g_signal_connect (clock, "after-paint", G_CALLBACK (on_stall_after_paint), NULL);
      stall_clocks = g_list_prepend (stall_clocks, g_object_ref (clock));
    }
  stall_last = g_get_monotonic_time ();
  stall_source = g_timeout_add_full (G_PRIORITY_HIGH, STALL_TICK_MS, stall_tick, NULL, NULL);
}

double
sm_ui_test_stall_stop (void)
{
  g_clear_handle_id (&stall_source, g_source_remove);
  for (GList *l = stall_clocks; l != NULL; l = l->next)
    {
      g_signal_handlers_disconnect_by_func (l->data, on_stall_update_done, NULL);
      g_signal_handlers_disconnect_by_func (l->data, on_stall_layout_done, NULL);
      g_signal_handlers_disconnect_by_func (l->data, on_stall_after_paint, NULL);
    }
  g_list_free_full (g_steal_pointer (&stall_clocks), g_object_unref);
  return stall_max_ms;
}

double
sm_ui_test_stall_own (void)
{
  return stall_own_max_ms;
}

/* ---- models ------------------------------------------------------------------------------------ */

char *
sm_ui_test_long_model (void)
{
  SmModelConfig config = {
    .arch = SM_ARCH_GPT,
    .vocab_size = 256,
    .dim = 256,
    .n_layers = 4,
    .n_heads = 8,
    .n_kv_heads = 8,
    .head_dim = 32,
    .hidden_dim = 1024,
    .context_length = 2048,
    .norm_eps = 1e-5f,
  };
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_bytes ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SmModel) model = sm_model_new_random (&config, tok, 7, "Long Test", &error);
  char *path = g_build_filename (test_dir, "long.smck", NULL);

  g_assert_no_error (error);
  g_assert_true (sm_model_save_checkpoint (model, path, NULL, &error));
  g_assert_no_error (error);
  return path;
}

gboolean
sm_ui_test_loaded (gpointer window)
{
  return !sm_window_get_loading (SM_WINDOW (window));
}

gboolean
sm_ui_test_not_generating (gpointer chat_view)
{
  return !sm_chat_view_get_generating (SM_CHAT_VIEW (chat_view));
}

gboolean
sm_ui_test_pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

void
sm_ui_test_close_window (SmWindow *window)
{
  gpointer weak = window;

  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  gtk_window_close (GTK_WINDOW (window));
  sm_ui_test_wait (sm_ui_test_pointer_cleared, &weak, 30, "the window to go");
}
