/* sm-library-window.c: the Model Library window.
 *
 * Asks SmEngine to read the headers of the models under the known folders and the user's
 * (the "library-folders" setting) on a worker thread, and lists them: name, architecture,
 * parameters, weight-type mix, size, context, chat template, where it was found, and whether
 * its weights and KV cache at the chosen context fit in the memory available now.  Clicking
 * Open loads one (win.load-model on the window) and closes the library.  Closing cancels a
 * scan under way.
 */
#define G_LOG_DOMAIN "SmLibraryWindow"

#include <glib/gi18n.h>

#include "sm-library-window.h"

struct _SmLibraryWindow {
  AdwWindow      parent_instance;

  /* template children */
  GtkStack      *stack;
  GtkSpinner    *spinner;
  AdwStatusPage *empty_page;
  GtkListBox    *list;
  GtkLabel      *summary_label;
  GtkAdjustment *context_adjustment;

  SmEngine      *engine;
  GSettings     *settings;
  GtkWindow     *target;       /* where win.load-model goes */
  GCancellable  *cancel;
  GPtrArray     *entries;      /* SmModelEntry, as the last scan found them */
  guint64        mem_available;
};

G_DEFINE_FINAL_TYPE (SmLibraryWindow, sm_library_window, ADW_TYPE_WINDOW)

static char *
format_params (guint64 n)
{
  if (n >= 1000000000)
    return g_strdup_printf (_("%.1f B parameters"), n / 1e9);
  if (n >= 1000000)
    return g_strdup_printf (_("%.0f M parameters"), n / 1e6);
  return g_strdup_printf (_("%.0f K parameters"), n / 1e3);
}

static void
on_open_clicked (GtkButton *button, SmLibraryWindow *self)
{
  const char *path = g_object_get_data (G_OBJECT (button), "sm-path");

  if (self->target != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self->target), "win.load-model", "s", path);
  gtk_window_close (GTK_WINDOW (self));
}

static GtkWidget *
new_row (SmLibraryWindow *self, const SmModelEntry *e, int context)
{
  GtkWidget *row = adw_action_row_new ();
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *base = g_path_get_basename (e->path);
  g_autofree char *title = NULL, *subtitle = NULL, *size = g_format_size (e->file_bytes);
  GtkWidget *fit, *open;

  title = g_markup_escape_text (e->name, -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (e->arch)
    g_ptr_array_add (parts, g_strdup (e->arch));
  if (e->params)
    g_ptr_array_add (parts, format_params (e->params));
  if (e->types)
    g_ptr_array_add (parts, g_strdup (e->types));
  g_ptr_array_add (parts, g_strdup (size));
  if (e->context)
    g_ptr_array_add (parts, g_strdup_printf (_("context %d"), e->context));
  g_ptr_array_add (parts, g_strdup (e->chat ? e->chat : _("no chat template")));
  /* Translators: where a model file was found, and its name: "Ollama: sha256-…" */
  g_ptr_array_add (parts, g_strdup_printf (_("%s: %s"), e->source ? e->source : "", base));
  g_ptr_array_add (parts, NULL);
  {
    g_autofree char *line = g_strjoinv (" · ", (char **) parts->pdata);
    subtitle = e->unsupported
                 ? g_markup_printf_escaped ("%s\n<b>%s</b>", line, e->unsupported)
                 : g_markup_escape_text (line, -1);
  }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  gtk_widget_set_tooltip_text (row, e->path);

  if (e->unsupported == NULL)
    {
      SmKvType kv = SM_KV_TYPE_F32;
      guint64 need;
      g_autofree char *need_text = NULL, *fit_text = NULL;

      if (self->settings != NULL)
        {
          g_autofree char *kv_name = g_settings_get_string (self->settings, "kv-cache-type");
          kv = g_strcmp0 (kv_name, "f16") == 0 ? SM_KV_TYPE_F16 : SM_KV_TYPE_F32;
        }
      need = e->file_bytes + sm_model_entry_kv_bytes (e, e->context > 0 ? MIN (context, e->context)
                                                                        : context, kv);
      need_text = g_format_size (need);
      fit_text = self->mem_available == 0 ? g_strdup (need_text)
                 : need <= self->mem_available
                   /* Translators: the weights and KV cache need %s, and they fit in memory */
                   ? g_strdup_printf (_("%s, fits"), need_text)
                   /* Translators: the weights and KV cache need %s: more than is free */
                   : g_strdup_printf (_("%s, too big"), need_text);
      fit = gtk_label_new (fit_text);
      gtk_widget_add_css_class (fit, self->mem_available == 0 ? "dim-label"
                                     : need <= self->mem_available ? "success" : "error");
      gtk_widget_set_tooltip_text (fit, _("Weights and KV cache at the chosen context, against the memory available now"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), fit);

      open = gtk_button_new_with_mnemonic (_("_Open"));
      gtk_widget_set_valign (open, GTK_ALIGN_CENTER);
      g_object_set_data_full (G_OBJECT (open), "sm-path", g_strdup (e->path), g_free);
      g_signal_connect (open, "clicked", G_CALLBACK (on_open_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), open);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), open);
    }
  return row;
}

static void
show_entries (SmLibraryWindow *self)
{
  int context = (int) gtk_adjustment_get_value (self->context_adjustment);
  GtkWidget *child;
  guint runnable = 0;
  g_autofree char *mem = NULL, *summary = NULL;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  if (self->entries == NULL)
    return;
  self->mem_available = sm_model_library_mem_available ();
  for (guint i = 0; i < self->entries->len; i++)
    {
      const SmModelEntry *e = self->entries->pdata[i];
      gtk_list_box_append (self->list, new_row (self, e, context));
      runnable += e->unsupported == NULL;
    }
  mem = g_format_size (self->mem_available);
  /* Translators: "5 models, 4 of which SmallMind can run; 9.8 GB of memory available" */
  summary = g_strdup_printf (ngettext ("%u model, %u of which SmallMind can run; %s of memory available",
                                       "%u models, %u of which SmallMind can run; %s of memory available",
                                       self->entries->len),
                             self->entries->len, runnable, mem);
  gtk_label_set_text (self->summary_label, summary);
  gtk_stack_set_visible_child_name (self->stack, self->entries->len > 0 ? "list" : "empty");
}

/* The known folders, the app's own and the user's, as path / source pairs. */
static char **
folders (SmLibraryWindow *self)
{
  g_autofree char *own = g_build_filename (g_get_user_data_dir (), "smallmind", "models", NULL);
  g_auto (GStrv) known = sm_model_library_default_folders (g_get_home_dir (), own);
  g_auto (GStrv) added = self->settings ? g_settings_get_strv (self->settings, "library-folders") : NULL;
  GStrvBuilder *b = g_strv_builder_new ();
  char **out;

  g_strv_builder_addv (b, (const char **) known);
  for (guint i = 0; added && added[i]; i++)
    {
      g_strv_builder_add (b, added[i]);
      g_strv_builder_add (b, _("Added"));
    }
  out = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return out;
}

static void
on_scanned (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (SmLibraryWindow) self = data;
  g_autoptr (GError) error = NULL;
  GPtrArray *entries = sm_engine_scan_models_finish (SM_ENGINE (source), result, &error);

  if (entries == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          adw_status_page_set_description (self->empty_page, error->message);
          gtk_stack_set_visible_child_name (self->stack, "empty");
        }
      return;
    }
  gtk_spinner_stop (self->spinner);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  self->entries = entries;
  show_entries (self);
}

void
sm_library_window_rescan (SmLibraryWindow *self)
{
  g_auto (GStrv) dirs = NULL;

  g_return_if_fail (SM_IS_LIBRARY_WINDOW (self));
  if (self->engine == NULL)
    return;
  if (self->cancel)
    g_cancellable_cancel (self->cancel);
  g_clear_object (&self->cancel);
  self->cancel = g_cancellable_new ();
  dirs = folders (self);
  gtk_stack_set_visible_child_name (self->stack, "scanning");
  gtk_spinner_start (self->spinner);
  sm_engine_scan_models_async (self->engine, (const char *const *) dirs, self->cancel,
                               on_scanned, g_object_ref (self));
}

static void
rescan_action (GtkWidget *widget, const char *name, GVariant *param)
{
  sm_library_window_rescan (SM_LIBRARY_WINDOW (widget));
}

static void
on_folder_chosen (GtkNativeDialog *dialog, int response, SmLibraryWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->settings != NULL)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        sm_library_window_add_folder (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
add_folder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Add a Folder of Models"), GTK_WINDOW (widget),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Add"), _("_Cancel"));

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (on_folder_chosen), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
sm_library_window_add_folder (SmLibraryWindow *self, const char *path)
{
  g_auto (GStrv) added = NULL;
  GStrvBuilder *b;
  g_auto (GStrv) updated = NULL;

  g_return_if_fail (SM_IS_LIBRARY_WINDOW (self));
  g_return_if_fail (path != NULL);
  if (self->settings == NULL)
    return;
  added = g_settings_get_strv (self->settings, "library-folders");
  if (!g_strv_contains ((const char *const *) added, path))
    {
      b = g_strv_builder_new ();
      g_strv_builder_addv (b, (const char **) added);
      g_strv_builder_add (b, path);
      updated = g_strv_builder_end (b);
      g_strv_builder_unref (b);
      g_settings_set_strv (self->settings, "library-folders", (const char *const *) updated);
    }
  sm_library_window_rescan (self);
}

static void
on_context_changed (SmLibraryWindow *self)
{
  show_entries (self);
}

static void
sm_library_window_dispose (GObject *object)
{
  SmLibraryWindow *self = SM_LIBRARY_WINDOW (object);

  if (self->cancel)
    g_cancellable_cancel (self->cancel);
  g_clear_object (&self->cancel);
  g_clear_object (&self->engine);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), SM_TYPE_LIBRARY_WINDOW);
  G_OBJECT_CLASS (sm_library_window_parent_class)->dispose (object);
}

static void
sm_library_window_class_init (SmLibraryWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_library_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-library-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SmLibraryWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, SmLibraryWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, SmLibraryWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, SmLibraryWindow, list);
  gtk_widget_class_bind_template_child (widget_class, SmLibraryWindow, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SmLibraryWindow, context_adjustment);
  gtk_widget_class_install_action (widget_class, "library.rescan", NULL, rescan_action);
  gtk_widget_class_install_action (widget_class, "library.add-folder", NULL, add_folder_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sm_library_window_init (SmLibraryWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->context_adjustment, "value-changed", G_CALLBACK (on_context_changed), self);
}

SmLibraryWindow *
sm_library_window_new (GtkWindow *parent, SmEngine *engine, GSettings *settings)
{
  SmLibraryWindow *self = g_object_new (SM_TYPE_LIBRARY_WINDOW, "transient-for", parent, NULL);

  self->target = parent;
  self->engine = engine ? g_object_ref (engine) : NULL;
  self->settings = settings ? g_object_ref (settings) : NULL;
  sm_library_window_rescan (self);
  return self;
}

guint
sm_library_window_get_n_models (SmLibraryWindow *self)
{
  g_return_val_if_fail (SM_IS_LIBRARY_WINDOW (self), 0);
  return self->entries ? self->entries->len : 0;
}

gboolean
sm_library_window_get_scanning (SmLibraryWindow *self)
{
  g_return_val_if_fail (SM_IS_LIBRARY_WINDOW (self), FALSE);
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "scanning") == 0;
}
