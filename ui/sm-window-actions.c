/* sm-window-actions.c: the window's actions (win.*): loading a model, the file choosers,
 * exporting a snapshot or a conversation, new, open, renamed and deleted conversations, the side
 * panel's pages.
 * They act through the window's own calls (sm-window-private.h) and SmEngine. */
#define G_LOG_DOMAIN "SmWindow"

#include <glib/gi18n.h>
#include <string.h>

#include "sm-ab-window.h"
#include "sm-library-window.h"
#include "sm-train-window.h"
#include "sm-window-private.h"

static void
toast_action (GtkWidget *widget, const char *name, GVariant *param)
{
  sm_window_toast (SM_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
show_error_action (GtkWidget *widget, const char *name, GVariant *param)
{
  const char *title, *text;

  g_variant_get (param, "(&s&s)", &title, &text);
  sm_window_show_error (SM_WINDOW (widget), title, text);
}

static void
load_preset_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  SmPreset preset;

  if (sm_preset_from_name (g_variant_get_string (param, NULL), &preset))
    sm_window_load_preset (self, preset);
  else
    sm_window_show_error (self, _("Unknown model"), g_variant_get_string (param, NULL));
}

static void
load_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  sm_window_load_file (SM_WINDOW (widget), g_variant_get_string (param, NULL), NULL);
}

static void
load_model_with_tokenizer_action (GtkWidget *widget, const char *name, GVariant *param)
{
  const char *path, *tokenizer;

  g_variant_get (param, "(&s&s)", &path, &tokenizer);
  sm_window_load_file (SM_WINDOW (widget), path, *tokenizer ? tokenizer : NULL);
}

/* ---- file choosers ----------------------------------------------------------------------------------- */

typedef void (*ChosenFunc) (SmWindow *self, const char *path, GtkFileFilter *filter, gpointer data);

static void
on_chooser_response (GtkNativeDialog *dialog, int response, SmWindow *self)
{
  ChosenFunc func = g_object_get_data (G_OBJECT (dialog), "sm-func");
  gpointer data = g_object_get_data (G_OBJECT (dialog), "sm-data");
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    func (self, path, gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (dialog)), data);
  if (self->chooser == dialog)
    g_clear_object (&self->chooser);
}

static GtkFileChooser *
new_chooser (SmWindow *self, const char *title, GtkFileChooserAction action, const char *accept,
             ChosenFunc func, gpointer data)
{
  if (self->chooser)
    {
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }
  self->chooser = GTK_NATIVE_DIALOG (gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, accept, NULL));
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  g_object_set_data (G_OBJECT (self->chooser), "sm-func", func);
  g_object_set_data (G_OBJECT (self->chooser), "sm-data", data);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  return GTK_FILE_CHOOSER (self->chooser);
}

static GtkFileFilter *
add_filter (GtkFileChooser *chooser, const char *name, const char *const *patterns, const char *format)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  for (guint i = 0; patterns[i]; i++)
    gtk_file_filter_add_pattern (filter, patterns[i]);
  if (format)
    g_object_set_data_full (G_OBJECT (filter), "sm-format", g_strdup (format), g_free);
  gtk_file_chooser_add_filter (chooser, filter);
  g_object_unref (filter);
  return filter;
}

/* A filter for an export format, with the patterns the engine knows it by. */
static GtkFileFilter *
add_export_filter (GtkFileChooser *chooser, const char *name, const char *format)
{
  return add_filter (chooser, name, sm_engine_export_format_patterns (format), format);
}

static void
tokenizer_chosen (SmWindow *self, const char *path, GtkFileFilter *filter, gpointer data)
{
  const char *model = data;   /* the dialog's, freed with it */
  sm_window_load_file (self, model, path);
}

/* The engine reads the model first and says when a llama2.c model's tokenizer is missing or
 * another model's (the window then asks, sm-window.c): a file that is no model is told so
 * before anyone is asked for a tokenizer. */
static void
model_chosen (SmWindow *self, const char *path, GtkFileFilter *filter, gpointer data)
{
  sm_window_load_file (self, path, NULL);
}

/* The tokenizer of the llama2.c model @param, chosen in the model's folder. */
static void
choose_tokenizer_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  static const char *const bins[] = { "*.bin", NULL };
  const char *model = g_variant_get_string (param, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (model);
  g_autoptr (GFile) dir = g_file_get_parent (file);
  GtkFileChooser *chooser = new_chooser (self, _("Choose the Tokenizer"), GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Open"), tokenizer_chosen, NULL);

  /* the dialog owns the model's path: a cancelled chooser frees it too */
  g_object_set_data_full (G_OBJECT (chooser), "sm-data", g_strdup (model), g_free);

  add_filter (chooser, _("llama2.c tokenizer"), bins, NULL);
  if (dir != NULL)
    gtk_file_chooser_set_current_folder (chooser, dir, NULL);
  gtk_native_dialog_show (self->chooser);
}

/* The models already on this machine; one click opens one. */
static void
model_library_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  SmLibraryWindow *library = sm_library_window_new (GTK_WINDOW (self), self->engine, self->settings);

  gtk_window_present (GTK_WINDOW (library));
}

/* Two engine configurations on the prompt being written (sm-ab-window.h). */
static void
ab_run_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  GtkTextBuffer *buf = gtk_text_view_get_buffer (sm_chat_view_get_prompt_view (self->chat_view));
  GtkTextIter start, end;
  g_autofree char *prompt = NULL;

  gtk_text_buffer_get_bounds (buf, &start, &end);
  prompt = gtk_text_buffer_get_text (buf, &start, &end, FALSE);
  gtk_window_present (GTK_WINDOW (sm_ab_window_new (GTK_WINDOW (self), self->engine, self->settings, prompt)));
}

/* A new model trained here; it goes where the Model Library looks for SmallMind's own. */
static void
train_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "smallmind", "models", NULL);
  SmTrainWindow *train = sm_train_window_new (GTK_WINDOW (self), self->engine, dir);

  gtk_window_present (GTK_WINDOW (train));
}

static void
open_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  static const char *const all[] = { "*.gguf", "*.bin", "*.smck", NULL };
  static const char *const gguf[] = { "*.gguf", NULL };
  static const char *const bin[] = { "*.bin", NULL };
  static const char *const smck[] = { "*.smck", NULL };
  GtkFileChooser *chooser = new_chooser (self, _("Open a Model"), GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Open"), model_chosen, NULL);

  add_filter (chooser, _("All models"), all, NULL);
  add_filter (chooser, _("GGUF"), gguf, NULL);
  add_filter (chooser, _("llama2.c checkpoint"), bin, NULL);
  add_filter (chooser, _("SmallMind checkpoint"), smck, NULL);
  gtk_native_dialog_show (self->chooser);
}

/* ---- writing files ---------------------------------------------------------------------------------- */

/* A file the user asked for could not be written: a dialog, as for any failed export (they
 * wait for that file; a toast could pass unseen).  A full disk is said in those words, with the
 * file, and that an earlier file of that name is unchanged (every writer replaces a file whole,
 * sm_engine_write_file ()). */
static void
show_write_error (SmWindow *self, const char *title, const char *path, const GError *error)
{
  if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC))
    {
      g_autofree char *name = g_filename_display_name (path);
      g_autofree char *text = g_strdup_printf (_("“%s” was not written: the disk is full. A file of "
                                                 "that name from before is unchanged; free some "
                                                 "space and try again."), name);
      sm_window_show_error (self, _("The Disk Is Full"), text);
    }
  else
    sm_window_show_error (self, title, error->message);
}

/* ---- snapshots --------------------------------------------------------------------------------------- */

typedef struct {
  SmWindow   *self;      /* a reference: the toast or the error goes to it */
  char       *path;
  const char *format;    /* static */
} ExportRequest;

static void
on_exported (GObject *source, GAsyncResult *result, gpointer data)
{
  ExportRequest *req = data;
  g_autoptr (GError) error = NULL;

  if (sm_engine_export_snapshot_finish (SM_ENGINE (source), result, &error))
    {
      /* the toast says what was written, not only where */
      g_autofree char *msg = g_str_equal (req->format, "markdown")
                               ? g_strdup_printf (_("Report (Markdown) saved to %s"), req->path)
                             : g_str_equal (req->format, "csv")
                               ? g_strdup_printf (_("Table (CSV) saved to %s"), req->path)
                             : g_str_equal (req->format, "trace")
                               ? g_strdup_printf (_("Chrome trace saved to %s"), req->path)
                               : g_strdup_printf (_("Snapshot saved to %s"), req->path);
      sm_window_toast (req->self, msg);
    }
  else
    show_write_error (req->self, _("Could not export the snapshot"), req->path, error);
  g_object_unref (req->self);
  g_free (req->path);
  g_free (req);
}

static void
export_snapshot_to (SmWindow *self, const char *format, const char *path)
{
  ExportRequest *req;

  if (g_str_equal (format, "png"))
    {
      g_autoptr (GError) error = NULL;
      if (sm_charts_panel_write_png (self->charts_panel, path, &error))
        {
          g_autofree char *msg = g_strdup_printf (_("Charts saved to %s"), path);
          sm_window_toast (self, msg);
        }
      else
        show_write_error (self, _("Could not export the charts"), path, error);
      return;
    }

  req = g_new0 (ExportRequest, 1);
  req->self = g_object_ref (self);
  req->path = g_strdup (path);
  req->format = format;
  sm_engine_export_snapshot_async (self->engine, sm_window_snapshot_range (self), format, path,
                                   "smallmind window", NULL, on_exported, req);
}

static void
export_snapshot_to_action (GtkWidget *widget, const char *name, GVariant *param)
{
  const char *chosen, *path;
  g_autofree char *target = NULL;
  const char *format;

  /* as from the chooser: the format chosen and the name typed, made to agree */
  g_variant_get (param, "(&s&s)", &chosen, &path);
  format = sm_engine_export_resolve (path, chosen, &target);
  export_snapshot_to (SM_WINDOW (widget), format, target);
}

static void
snapshot_chosen (SmWindow *self, const char *path, GtkFileFilter *filter, gpointer data)
{
  const char *chosen = filter ? g_object_get_data (G_OBJECT (filter), "sm-format") : NULL;
  const char *range = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (self->chooser), "range");
  g_autofree char *target = NULL;
  const char *format = sm_engine_export_resolve (path, chosen, &target);
  SmSnapshotRange r;

  /* the range picked in the dialog is the one the menu shows from now on */
  if (range != NULL && sm_snapshot_range_from_name (range, &r))
    g_settings_set_string (self->settings, "snapshot-range", range);

  export_snapshot_to (self, format, target);
}

static void
export_snapshot_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  GtkFileChooser *chooser = new_chooser (self, _("Export a Snapshot"), GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Export"), snapshot_chosen, NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *file = g_strdup_printf ("smallmind-%s.json", stamp);

  add_export_filter (chooser, _("Snapshot (JSON)"), "json");
  add_export_filter (chooser, _("Report (Markdown)"), "markdown");
  add_export_filter (chooser, _("Table (CSV)"), "csv");
  add_export_filter (chooser, _("Chrome trace (Perfetto)"), "trace");
  add_export_filter (chooser, _("Charts (PNG)"), "png");
  {
    g_autofree char *range = g_settings_get_string (self->settings, "snapshot-range");
    static const char *const ids[] = { "reply", "model", "session", NULL };
    const char *labels[] = { _("The last reply"), _("Since the model was loaded"),
                             _("Since the statistics were reset"), NULL };
    gtk_file_chooser_add_choice (chooser, "range", _("Holding"), (const char **) ids, labels);
    gtk_file_chooser_set_choice (chooser, "range", range);
  }
  gtk_file_chooser_set_current_name (chooser, file);
  gtk_native_dialog_show (self->chooser);
}

static void
reset_statistics_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);

  sm_engine_reset_stats (self->engine);
  sm_window_toast (self, _("Statistics reset: a snapshot since the reset starts now"));
}

/* ---- conversations ------------------------------------------------------------------------------------- */

static void
export_conversation_to (SmWindow *self, const char *format, const char *path)
{
  SmConversation *conversation = sm_chat_view_get_conversation (self->chat_view);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  if (g_str_equal (format, "json"))
    {
      g_autoptr (JsonNode) root = sm_conversation_to_json (conversation);
      text = sm_json_to_string (root, TRUE);
    }
  else
    text = sm_conversation_to_markdown (conversation);

  if (sm_engine_write_file (path, text, -1, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("Conversation saved to %s"), path);
      sm_window_toast (self, msg);
    }
  else
    show_write_error (self, _("Could not export the conversation"), path, error);
}

static void
export_conversation_to_action (GtkWidget *widget, const char *name, GVariant *param)
{
  const char *format, *path;

  g_variant_get (param, "(&s&s)", &format, &path);
  export_conversation_to (SM_WINDOW (widget), format, path);
}

static void
conversation_chosen (SmWindow *self, const char *path, GtkFileFilter *filter, gpointer data)
{
  const char *format = filter ? g_object_get_data (G_OBJECT (filter), "sm-format") : NULL;
  if (format == NULL)
    format = g_str_has_suffix (path, ".json") ? "json" : "markdown";
  export_conversation_to (self, format, path);
}

static void
export_conversation_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  static const char *const md[] = { "*.md", NULL };
  static const char *const json[] = { "*.json", NULL };
  GtkFileChooser *chooser = new_chooser (self, _("Export the Conversation"), GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Export"), conversation_chosen, NULL);

  add_filter (chooser, _("Markdown"), md, "markdown");
  add_filter (chooser, _("JSON"), json, "json");
  gtk_file_chooser_set_current_name (chooser, "conversation.md");
  gtk_native_dialog_show (self->chooser);
}

static void
new_conversation_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  SmConversation *current = sm_chat_view_get_conversation (self->chat_view);
  g_autoptr (SmConversation) conversation = NULL;

  /* an empty conversation is already a new one */
  if (current != NULL && sm_conversation_get_n_messages (current) == 0)
    return;
  conversation = sm_conversation_new ();
  sm_window_show_conversation (self, conversation);
  gtk_popover_popdown (self->history_popover);
  gtk_widget_grab_focus (GTK_WIDGET (sm_chat_view_get_prompt_view (self->chat_view)));
}

static SmConversation *
find_conversation (SmWindow *self, const char *id)
{
  GListModel *list = sm_conversation_store_get_list (self->store);

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (SmConversation) c = g_list_model_get_item (list, i);
      if (g_str_equal (sm_conversation_get_id (c), id))
        return c;   /* the list keeps it */
    }
  return NULL;
}

static void
open_conversation_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  SmConversation *c = find_conversation (self, g_variant_get_string (param, NULL));

  if (c != NULL)
    sm_window_show_conversation (self, c);
  gtk_popover_popdown (self->history_popover);
}

static void
on_rename_response (AdwMessageDialog *dialog, const char *response, SmConversation *c)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));

  /* an empty name gives the conversation back its first words */
  if (g_str_equal (response, "rename"))
    sm_conversation_set_title (c, gtk_editable_get_text (entry));
}

static void
on_rename_entry_activate (GtkEntry *entry, AdwMessageDialog *dialog)
{
  /* Enter renames, as the button would (the dialog's default response does not take the
   * entry's Enter); the buttons close the dialog after their response, so this does too */
  adw_message_dialog_response (dialog, "rename");
  gtk_window_close (GTK_WINDOW (dialog));
}

static void
rename_conversation_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  SmConversation *c = find_conversation (self, g_variant_get_string (param, NULL));
  GtkWidget *dialog, *entry;

  if (c == NULL)
    return;
  gtk_popover_popdown (self->history_popover);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Rename the Conversation"), NULL);
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), sm_conversation_get_title (c));
  g_signal_connect_object (entry, "activate", G_CALLBACK (on_rename_entry_activate), dialog, 0);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("The conversation's name"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "rename", _("_Rename"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_rename_response), g_object_ref (c),
                         (GClosureNotify) (void (*) (void)) g_object_unref, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

typedef struct {
  SmConversationStore *store;
  char                *id;
} Purge;

static gboolean
purge_cb (gpointer data)
{
  Purge *p = data;

  sm_conversation_store_purge (p->store, p->id);
  return G_SOURCE_REMOVE;
}

static void
purge_free (gpointer data)
{
  Purge *p = data;

  g_object_unref (p->store);
  g_free (p->id);
  g_free (p);
}

static void
on_delete_toast_dismissed (AdwToast *toast, SmWindow *self)
{
  Purge *p;

  /* a window going away dismisses its toasts: that confirms nothing, the file stays */
  if (self->closing)
    return;
  /* in an idle: a click on Undo dismisses the toast too, and its action must come first */
  p = g_new0 (Purge, 1);
  p->store = g_object_ref (self->store);
  p->id = g_strdup (g_object_get_data (G_OBJECT (toast), "sm-id"));
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, purge_cb, p, purge_free);
}

/* The conversation leaves the list at once; its file goes when the toast does, unless Undo. */
static void
delete_conversation_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  const char *id = g_variant_get_string (param, NULL);
  SmConversation *c = find_conversation (self, id);
  gboolean open;
  AdwToast *toast;

  if (c == NULL)
    return;
  g_object_ref (c);
  open = c == sm_chat_view_get_conversation (self->chat_view);
  if (open)
    {
      g_autoptr (SmConversation) fresh = sm_conversation_new ();
      sm_window_show_conversation (self, fresh);
    }
  {
    /* the title is markup (libadwaita 1.2), the conversation's title is text */
    g_autofree char *title = g_markup_escape_text (sm_conversation_get_title (c), -1);
    /* Translators: a toast; %s is the conversation's title */
    toast = adw_toast_new_format (_("“%s” deleted"), title);
  }
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_action_name (toast, "win.undo-delete-conversation");
  adw_toast_set_action_target (toast, "(sb)", id, open);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data_full (G_OBJECT (toast), "sm-id", g_strdup (id), g_free);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_delete_toast_dismissed), self, 0);
  sm_conversation_store_trash (self->store, c);
  sm_chat_view_add_toast (self->chat_view, toast);
  g_object_unref (c);
}

static void
undo_delete_conversation_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  SmConversation *current = sm_chat_view_get_conversation (self->chat_view);
  SmConversation *c;
  const char *id;
  gboolean open;

  g_variant_get (param, "(&sb)", &id, &open);
  c = sm_conversation_store_restore (self->store, id);
  /* it was open: it is again, unless something else was begun since */
  if (c != NULL && open && (current == NULL || sm_conversation_get_n_messages (current) == 0))
    sm_window_show_conversation (self, c);
}

static void
show_page_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);

  adw_flap_set_reveal_flap (self->flap, TRUE);
  adw_view_stack_set_visible_child_name (self->side_stack, g_variant_get_string (param, NULL));
}

void
sm_window_class_add_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.open-model", NULL, open_model_action);
  gtk_widget_class_install_action (widget_class, "win.model-library", NULL, model_library_action);
  gtk_widget_class_install_action (widget_class, "win.ab-run", NULL, ab_run_action);
  gtk_widget_class_install_action (widget_class, "win.train-model", NULL, train_model_action);
  gtk_widget_class_install_action (widget_class, "win.load-model", "s", load_model_action);
  gtk_widget_class_install_action (widget_class, "win.load-model-with-tokenizer", "(ss)",
                                   load_model_with_tokenizer_action);
  gtk_widget_class_install_action (widget_class, "win.load-preset", "s", load_preset_action);
  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL, new_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.open-conversation", "s", open_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.rename-conversation", "s", rename_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.delete-conversation", "s", delete_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.undo-delete-conversation", "(sb)",
                                   undo_delete_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.export-snapshot", NULL, export_snapshot_action);
  gtk_widget_class_install_action (widget_class, "win.export-snapshot-to", "(ss)", export_snapshot_to_action);
  gtk_widget_class_install_action (widget_class, "win.export-conversation", NULL, export_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.reset-statistics", NULL, reset_statistics_action);
  gtk_widget_class_install_action (widget_class, "win.choose-tokenizer", "s", choose_tokenizer_action);
  gtk_widget_class_install_action (widget_class, "win.export-conversation-to", "(ss)",
                                   export_conversation_to_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_action);
  gtk_widget_class_install_action (widget_class, "win.show-error", "(ss)", show_error_action);
  gtk_widget_class_install_property_action (widget_class, "win.toggle-sidebar", "sidebar-visible");
  gtk_widget_class_install_property_action (widget_class, "win.markdown", "markdown");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open-model", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_O, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.model-library", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export-snapshot", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_B, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.ab-run", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-conversation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.toggle-sidebar", NULL);
}
