/* sm-window.c: the playground window. */
#define G_LOG_DOMAIN "SmWindow"

#include <glib/gi18n.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sm-charts-panel.h"
#include "sm-chat-view.h"
#include "sm-compare-view.h"
#include "sm-engine-panel.h"
#include "sm-sampling-panel.h"
#include "sm-window.h"

/* Op, scope and token intervals kept for the Chrome trace (32 bytes each): the profiler keeps
 * the first ones, and recording them costs a tiny model a few per cent while it lasts. */
#define TRACE_EVENTS  (64 * 1024)
#define LOAD_PULSE_MS 120

struct _SmWindow {
  AdwApplicationWindow  parent_instance;

  /* template children */
  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkProgressBar       *load_bar;
  AdwFlap              *flap;
  GtkToggleButton      *sidebar_button;
  GtkWidget            *open_button;
  GtkWidget            *export_button;
  SmChatView           *chat_view;
  SmEnginePanel        *engine_panel;
  SmChartsPanel        *charts_panel;
  SmSamplingPanel      *sampling_panel;
  SmCompareView        *compare_view;
  AdwViewStack         *side_stack;
  GtkListBox           *history_list;
  GtkPopover           *history_popover;

  SmEngine             *engine;
  GSettings            *settings;
  SmConversationStore  *store;
  GCancellable         *cancellable;     /* cancelled when the window goes */
  guint                 loading;         /* model loads under way */
  guint                 load_pulse;
  GtkNativeDialog      *chooser;
  GQueue                startup_prompts; /* char *: sent once the first model is in, in turn */
  gboolean              quiet_load;
  guint                 pause_chars;     /* SMALLMIND_SCREENSHOT_PAUSE: see tools/screenshot */
};

G_DEFINE_FINAL_TYPE (SmWindow, sm_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_STORE,
  PROP_LOADING,
  PROP_SIDEBAR_VISIBLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- messages ----------------------------------------------------------------------------------- */

static void
toast (SmWindow *self, const char *text)
{
  AdwToast *t = adw_toast_new (text);

  adw_toast_set_timeout (t, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

static void
show_error (SmWindow *self, const char *title, const char *text)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), title, text);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
toast_action (GtkWidget *widget, const char *name, GVariant *param)
{
  toast (SM_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
show_error_action (GtkWidget *widget, const char *name, GVariant *param)
{
  const char *title, *text;

  g_variant_get (param, "(&s&s)", &title, &text);
  show_error (SM_WINDOW (widget), title, text);
}

/* ---- the model ------------------------------------------------------------------------------------ */

static char *
format_params (guint64 n)
{
  if (n >= 1000000000)
    return g_strdup_printf (_("%.1f B parameters"), n / 1e9);
  if (n >= 1000000)
    return g_strdup_printf (_("%.1f M parameters"), n / 1e6);
  if (n >= 1000)
    return g_strdup_printf (_("%.0f K parameters"), n / 1e3);
  return g_strdup_printf (_("%d parameters"), (int) n);
}

/* The model's own name, unless it is only its architecture ("llama"): then the file's. */
static char *
display_name_dup (SmWindow *self, const SmEngineStats *st)
{
  g_autoptr (SmModel) model = sm_engine_dup_model (self->engine);
  const char *path = model ? sm_model_get_path (model) : NULL;

  if (path != NULL && st->model_arch != NULL && g_ascii_strcasecmp (st->model_name, st->model_arch) == 0)
    {
      g_autofree char *base = g_filename_display_basename (path);
      char *dot = strrchr (base, '.');
      if (dot != NULL && dot != base)
        *dot = '\0';
      return g_steal_pointer (&base);
    }
  return g_strdup (st->model_name);
}

static void
update_title (SmWindow *self)
{
  SmEngineStats st = { 0 };

  sm_engine_get_stats (self->engine, &st);
  if (self->loading > 0)
    adw_window_title_set_subtitle (self->window_title, _("Loading the model…"));
  if (st.model_name != NULL)
    {
      g_autofree char *params = format_params (st.model_params);
      g_autofree char *arch = g_ascii_strup (st.model_arch ? st.model_arch : "", -1);
      g_autofree char *subtitle = g_strdup_printf ("%s · %s · %s", arch, params,
                                                   st.model_types ? st.model_types : "");
      g_autofree char *name = display_name_dup (self, &st);

      adw_window_title_set_title (self->window_title, name);
      if (self->loading == 0)
        adw_window_title_set_subtitle (self->window_title, subtitle);
    }
  else
    {
      adw_window_title_set_title (self->window_title, "SmallMind");
      if (self->loading == 0)
        adw_window_title_set_subtitle (self->window_title, _("No model"));
    }
  sm_engine_stats_clear (&st);
}

static gboolean
load_pulse_cb (gpointer data)
{
  SmWindow *self = data;
  gtk_progress_bar_pulse (self->load_bar);
  return G_SOURCE_CONTINUE;
}

static void
set_loading (SmWindow *self, gboolean start)
{
  if (start)
    self->loading++;
  else
    self->loading--;
  gtk_widget_set_visible (GTK_WIDGET (self->load_bar), self->loading > 0);
  if (self->loading > 0 && self->load_pulse == 0)
    self->load_pulse = g_timeout_add (LOAD_PULSE_MS, load_pulse_cb, self);
  else if (self->loading == 0)
    g_clear_handle_id (&self->load_pulse, g_source_remove);
  update_title (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

typedef struct {
  SmWindow *self;      /* a reference: the window waits for its loads */
  gboolean  quiet;     /* the model at start: the header says it, no toast */
  char     *what;      /* what was asked for, for the messages */
  char     *setting;   /* "preset:small" or a path, remembered as last-model on success */
} LoadRequest;

static void
load_request_free (LoadRequest *req)
{
  g_object_unref (req->self);
  g_free (req->what);
  g_free (req->setting);
  g_free (req);
}

static void
send_startup_prompt (SmWindow *self)
{
  g_autofree char *prompt = NULL;
  GtkTextView *view = sm_chat_view_get_prompt_view (self->chat_view);

  if (sm_chat_view_get_generating (self->chat_view) || (prompt = g_queue_pop_head (&self->startup_prompts)) == NULL)
    return;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), prompt, -1);
  gtk_widget_activate_action (GTK_WIDGET (self->chat_view), "chat.send", NULL);
}

static void
on_generating_changed (SmWindow *self)
{
  /* the next prompt of the command line, once a reply ended */
  if (!sm_chat_view_get_generating (self->chat_view) && !g_queue_is_empty (&self->startup_prompts))
    send_startup_prompt (self);
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  LoadRequest *req = data;
  SmWindow *self = req->self;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (g_async_result_is_tagged (result, sm_engine_load_preset_async))
    ok = sm_engine_load_preset_finish (SM_ENGINE (source), result, &error);
  else
    ok = sm_engine_load_finish (SM_ENGINE (source), result, &error);

  set_loading (self, FALSE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    ;   /* the window went away */
  else if (!ok)
    {
      /* The previous model stays loaded; the message is the engine's. */
      g_autofree char *title = g_strdup_printf (_("Could not load “%s”"), req->what);
      show_error (self, title, error->message);
    }
  else
    {
      SmEngineStats st = { 0 };
      g_autofree char *msg = NULL;

      if (req->setting != NULL)
        g_settings_set_string (self->settings, "last-model", req->setting);
      sm_chat_view_model_changed (self->chat_view);
      sm_engine_get_stats (self->engine, &st);
      /* the system prompt goes into the template of a model that has one we can write */
      sm_sampling_panel_set_chat_template (self->sampling_panel,
                                           st.chat_format != SM_CHAT_FORMAT_NONE);
      msg = g_strdup_printf (_("Loaded %s"), st.model_name ? st.model_name : req->what);
      if (!req->quiet)
        toast (self, msg);
      sm_engine_stats_clear (&st);
      send_startup_prompt (self);
    }
  load_request_free (req);
}

static LoadRequest *
load_request_new (SmWindow *self, const char *what, const char *setting)
{
  LoadRequest *req = g_new0 (LoadRequest, 1);

  req->self = g_object_ref (self);
  req->quiet = self->quiet_load;
  req->what = g_strdup (what);
  req->setting = g_strdup (setting);
  /* a reply runs on the same engine thread: a load waits behind it, so stop it first */
  sm_chat_view_stop (self->chat_view);
  set_loading (self, TRUE);
  return req;
}

static void
load_preset (SmWindow *self, SmPreset preset)
{
  g_autofree char *setting = g_strconcat ("preset:", sm_preset_name (preset), NULL);
  LoadRequest *req = load_request_new (self, sm_preset_name (preset), setting);

  sm_engine_load_preset_async (self->engine, preset, 42, self->cancellable, on_loaded, req);
}

static void
load_file (SmWindow *self, const char *path, const char *tokenizer_path)
{
  g_autofree char *name = g_filename_display_basename (path);
  LoadRequest *req = load_request_new (self, name, path);

  sm_engine_load_async (self->engine, path, tokenizer_path, self->cancellable, on_loaded, req);
}

static void
load_builtin (SmWindow *self)
{
  /* the trained Small checkpoint when it is there, else the Small preset */
  g_autofree char *checkpoint = sm_engine_find_builtin_model (SM_PRESET_SMALL);

  if (checkpoint != NULL)
    {
      LoadRequest *req = load_request_new (self, _("the built-in model"), "");
      sm_engine_load_async (self->engine, checkpoint, NULL, self->cancellable, on_loaded, req);
    }
  else
    load_preset (self, SM_PRESET_SMALL);
}

static void
load_last_model (SmWindow *self)
{
  g_autofree char *last = g_settings_get_string (self->settings, "last-model");
  SmPreset preset;

  if (g_str_has_prefix (last, "preset:") && sm_preset_from_name (last + 7, &preset))
    load_preset (self, preset);
  else if (*last != '\0' && g_file_test (last, G_FILE_TEST_IS_REGULAR))
    load_file (self, last, NULL);
  else
    load_builtin (self);
}

static void
load_preset_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  SmPreset preset;

  if (sm_preset_from_name (g_variant_get_string (param, NULL), &preset))
    load_preset (self, preset);
  else
    show_error (self, _("Unknown model"), g_variant_get_string (param, NULL));
}

static void
load_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  load_file (SM_WINDOW (widget), g_variant_get_string (param, NULL), NULL);
}

static void
load_model_with_tokenizer_action (GtkWidget *widget, const char *name, GVariant *param)
{
  const char *path, *tokenizer;

  g_variant_get (param, "(&s&s)", &path, &tokenizer);
  load_file (SM_WINDOW (widget), path, *tokenizer ? tokenizer : NULL);
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
  g_autofree char *model = data;
  load_file (self, model, path);
}

static void
model_chosen (SmWindow *self, const char *path, GtkFileFilter *filter, gpointer data)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *beside = g_build_filename (dir, "tokenizer.bin", NULL);

  /* a llama2.c checkpoint needs its tokenizer: ask when none is beside it */
  if (g_str_has_suffix (path, ".bin") && !g_file_test (beside, G_FILE_TEST_IS_REGULAR))
    {
      static const char *const bins[] = { "*.bin", NULL };
      GtkFileChooser *chooser = new_chooser (self, _("Choose the Tokenizer"), GTK_FILE_CHOOSER_ACTION_OPEN,
                                             _("_Open"), tokenizer_chosen, g_strdup (path));
      add_filter (chooser, _("llama2.c tokenizer"), bins, NULL);
      gtk_native_dialog_show (self->chooser);
      return;
    }
  load_file (self, path, NULL);
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

/* ---- snapshots --------------------------------------------------------------------------------------- */

typedef struct {
  SmWindow *self;      /* a reference: the toast or the error goes to it */
  char     *path;
} ExportRequest;

static void
on_exported (GObject *source, GAsyncResult *result, gpointer data)
{
  ExportRequest *req = data;
  g_autoptr (GError) error = NULL;

  if (sm_engine_export_snapshot_finish (SM_ENGINE (source), result, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("Snapshot saved to %s"), req->path);
      toast (req->self, msg);
    }
  else
    show_error (req->self, _("Could not export the snapshot"), error->message);
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
          toast (self, msg);
        }
      else
        show_error (self, _("Could not export the charts"), error->message);
      return;
    }

  req = g_new0 (ExportRequest, 1);
  req->self = g_object_ref (self);
  req->path = g_strdup (path);
  sm_engine_export_snapshot_async (self->engine, format, path, "smallmind window", NULL, on_exported, req);
}

static void
export_snapshot_to_action (GtkWidget *widget, const char *name, GVariant *param)
{
  const char *format, *path;

  g_variant_get (param, "(&s&s)", &format, &path);
  export_snapshot_to (SM_WINDOW (widget), format, path);
}

static void
snapshot_chosen (SmWindow *self, const char *path, GtkFileFilter *filter, gpointer data)
{
  const char *format = filter ? g_object_get_data (G_OBJECT (filter), "sm-format") : NULL;
  export_snapshot_to (self, format ? format : sm_engine_export_format_for_path (path), path);
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
  gtk_file_chooser_set_current_name (chooser, file);
  gtk_native_dialog_show (self->chooser);
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
      text = json_to_string (root, TRUE);
    }
  else
    text = sm_conversation_to_markdown (conversation);

  if (sm_engine_write_file (path, text, -1, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("Conversation saved to %s"), path);
      toast (self, msg);
    }
  else
    show_error (self, _("Could not export the conversation"), error->message);
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

static void on_conversation_title (SmConversation *conversation, GParamSpec *pspec, SmWindow *self);

static void
show_conversation (SmWindow *self, SmConversation *conversation)
{
  SmConversation *old = sm_chat_view_get_conversation (self->chat_view);

  if (old != NULL)
    g_signal_handlers_disconnect_by_func (old, on_conversation_title, self);
  g_signal_connect_object (conversation, "notify::title", G_CALLBACK (on_conversation_title), self, 0);
  sm_conversation_store_add (self->store, conversation);
  sm_chat_view_set_conversation (self->chat_view, conversation);
  gtk_window_set_title (GTK_WINDOW (self), sm_conversation_get_title (conversation));
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
  show_conversation (self, conversation);
  gtk_popover_popdown (self->history_popover);
  gtk_widget_grab_focus (GTK_WIDGET (sm_chat_view_get_prompt_view (self->chat_view)));
}

static void
open_conversation_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);
  GListModel *list = sm_conversation_store_get_list (self->store);
  const char *id = g_variant_get_string (param, NULL);

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (SmConversation) c = g_list_model_get_item (list, i);
      if (g_str_equal (sm_conversation_get_id (c), id))
        {
          show_conversation (self, c);
          break;
        }
    }
  gtk_popover_popdown (self->history_popover);
}

static void
on_history_row_activated (SmWindow *self, GtkListBoxRow *row)
{
  const char *id = g_object_get_data (G_OBJECT (row), "sm-id");
  gtk_widget_activate_action (GTK_WIDGET (self), "win.open-conversation", "s", id);
}

static void
on_delete_conversation (GtkButton *button, SmWindow *self)
{
  SmConversation *c = g_object_get_data (G_OBJECT (button), "sm-conversation");

  if (c == sm_chat_view_get_conversation (self->chat_view))
    {
      g_autoptr (SmConversation) fresh = sm_conversation_new ();
      show_conversation (self, fresh);
    }
  sm_conversation_store_remove (self->store, c);
}

static GtkWidget *
create_history_row (gpointer item, gpointer data)
{
  SmWindow *self = data;
  SmConversation *c = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *delete = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_local (sm_conversation_get_modified (c));
  g_autofree char *subtitle = g_date_time_format (when, "%x %X");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), sm_conversation_get_title (c));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "sm-id", g_strdup (sm_conversation_get_id (c)), g_free);
  g_object_bind_property (c, "title", row, "title", G_BINDING_DEFAULT);

  gtk_widget_set_valign (delete, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (delete, "flat");
  gtk_widget_set_tooltip_text (delete, _("Delete"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (delete), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Delete the conversation"), -1);
  g_object_set_data_full (G_OBJECT (delete), "sm-conversation", g_object_ref (c), g_object_unref);
  g_signal_connect_object (delete, "clicked", G_CALLBACK (on_delete_conversation), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), delete);
  return row;
}

static void
on_conversation_title (SmConversation *conversation, GParamSpec *pspec, SmWindow *self)
{
  if (conversation == sm_chat_view_get_conversation (self->chat_view))
    gtk_window_set_title (GTK_WINDOW (self), sm_conversation_get_title (conversation));
}

static void
on_store_error (SmConversationStore *store, const char *message, SmWindow *self)
{
  toast (self, message);
}

/* ---- side panel ------------------------------------------------------------------------------------------- */

static void
show_page_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmWindow *self = SM_WINDOW (widget);

  adw_flap_set_reveal_flap (self->flap, TRUE);
  adw_view_stack_set_visible_child_name (self->side_stack, g_variant_get_string (param, NULL));
}

static void
on_stats_updated (SmEngine *engine, SmWindow *self)
{
  SmEngineStats st = { 0 };

  /* the context bar follows the reply while it grows */
  if (!sm_chat_view_get_generating (self->chat_view))
    return;
  sm_engine_get_stats (engine, &st);
  if (st.gen.context_size > 0)
    sm_chat_view_update_context (self->chat_view, st.gen.context_used, st.gen.context_size);
  sm_engine_stats_clear (&st);
}

static void
on_reveal_flap (SmWindow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIDEBAR_VISIBLE]);
}

/* For tools/screenshot: after the first frame painted while the last command-line prompt's reply
 * streams with at least pause_chars characters, the process stops itself (SIGSTOP) so that a capture of the screen
 * shows the window mid-generation; the tool continues it (SIGCONT) afterwards.  Small models
 * finish a reply in milliseconds, faster than any outside capture could catch. */
static void
on_after_paint (GdkFrameClock *clock, SmWindow *self)
{
  SmConversation *c = sm_chat_view_get_conversation (self->chat_view);
  SmMessage *last = c ? sm_conversation_get_last (c) : NULL;

  if (self->pause_chars == 0 || !g_queue_is_empty (&self->startup_prompts) || last == NULL ||
      !sm_message_get_generating (last) || strlen (sm_message_get_text (last)) < self->pause_chars)
    return;
  self->pause_chars = 0;
  g_signal_handlers_disconnect_by_func (clock, on_after_paint, self);
  /* what was just painted must have reached the display server before stopping */
  gdk_display_sync (gtk_widget_get_display (GTK_WIDGET (self)));
  kill (getpid (), SIGSTOP);
}

static void
on_realize (SmWindow *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (self->pause_chars > 0 && clock != NULL)
    g_signal_connect_object (clock, "after-paint", G_CALLBACK (on_after_paint), self, 0);
}

/* ---- object ------------------------------------------------------------------------------------------------- */

static gboolean
sm_window_close_request (GtkWindow *window)
{
  SmWindow *self = SM_WINDOW (window);
  int width, height;

  /* A reply still running is cancelled; it finishes within a token and saves itself. */
  sm_chat_view_stop (self->chat_view);
  g_cancellable_cancel (self->cancellable);

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set (self->settings, "window-size", "(ii)", width, height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  return GTK_WINDOW_CLASS (sm_window_parent_class)->close_request (window);
}

static void
sm_window_dispose (GObject *object)
{
  SmWindow *self = SM_WINDOW (object);

  if (self->chooser)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  g_clear_handle_id (&self->load_pulse, g_source_remove);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->engine)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SM_TYPE_WINDOW);
  G_OBJECT_CLASS (sm_window_parent_class)->dispose (object);
}

static void
sm_window_finalize (GObject *object)
{
  SmWindow *self = SM_WINDOW (object);

  g_clear_object (&self->engine);
  g_clear_object (&self->settings);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_queue_clear_full (&self->startup_prompts, g_free);
  G_OBJECT_CLASS (sm_window_parent_class)->finalize (object);
}

static void
sm_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmWindow *self = SM_WINDOW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading > 0);
      break;
    case PROP_SIDEBAR_VISIBLE:
      /* asked for by the property action before the template exists */
      g_value_set_boolean (value, self->flap == NULL || adw_flap_get_reveal_flap (self->flap));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sm_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SmWindow *self = SM_WINDOW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_SIDEBAR_VISIBLE:
      if (self->flap != NULL)
        adw_flap_set_reveal_flap (self->flap, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sm_window_constructed (GObject *object)
{
  SmWindow *self = SM_WINDOW (object);
  GListModel *list;
  g_autoptr (SmConversation) first = NULL;

  G_OBJECT_CLASS (sm_window_parent_class)->constructed (object);

  if (self->store == NULL)
    self->store = sm_conversation_store_new (NULL);
  g_signal_connect_object (self->store, "error", G_CALLBACK (on_store_error), self, 0);
  list = sm_conversation_store_get_list (self->store);
  gtk_list_box_bind_model (self->history_list, list, create_history_row, self, NULL);

  /* the most recent conversation comes back */
  if (g_list_model_get_n_items (list) > 0)
    first = g_list_model_get_item (list, 0);
  else
    first = sm_conversation_new ();
  show_conversation (self, first);
}

static void
sm_window_class_init (SmWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = sm_window_dispose;
  object_class->finalize = sm_window_finalize;
  object_class->get_property = sm_window_get_property;
  object_class->set_property = sm_window_set_property;
  object_class->constructed = sm_window_constructed;
  window_class->close_request = sm_window_close_request;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, SM_TYPE_CONVERSATION_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIDEBAR_VISIBLE] =
    g_param_spec_boolean ("sidebar-visible", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SM_TYPE_CHAT_VIEW);
  g_type_ensure (SM_TYPE_ENGINE_PANEL);
  g_type_ensure (SM_TYPE_CHARTS_PANEL);
  g_type_ensure (SM_TYPE_SAMPLING_PANEL);
  g_type_ensure (SM_TYPE_COMPARE_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SmWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, load_bar);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, sidebar_button);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, open_button);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, export_button);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, chat_view);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, engine_panel);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, charts_panel);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, sampling_panel);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, compare_view);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, side_stack);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, history_list);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, history_popover);
  gtk_widget_class_bind_template_callback (widget_class, on_history_row_activated);

  gtk_widget_class_install_action (widget_class, "win.open-model", NULL, open_model_action);
  gtk_widget_class_install_action (widget_class, "win.load-model", "s", load_model_action);
  gtk_widget_class_install_action (widget_class, "win.load-model-with-tokenizer", "(ss)",
                                   load_model_with_tokenizer_action);
  gtk_widget_class_install_action (widget_class, "win.load-preset", "s", load_preset_action);
  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL, new_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.open-conversation", "s", open_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.export-snapshot", NULL, export_snapshot_action);
  gtk_widget_class_install_action (widget_class, "win.export-snapshot-to", "(ss)", export_snapshot_to_action);
  gtk_widget_class_install_action (widget_class, "win.export-conversation", NULL, export_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.export-conversation-to", "(ss)",
                                   export_conversation_to_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_action);
  gtk_widget_class_install_action (widget_class, "win.show-error", "(ss)", show_error_action);
  gtk_widget_class_install_property_action (widget_class, "win.toggle-sidebar", "sidebar-visible");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open-model", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export-snapshot", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-conversation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.toggle-sidebar", NULL);
}

static void
sm_window_init (SmWindow *self)
{
  int width = 0, height = 0;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (SM_APP_ID);
  self->cancellable = g_cancellable_new ();
  self->engine = sm_engine_new ();
  sm_engine_set_trace_capacity (self->engine, TRACE_EVENTS);

  g_settings_get (self->settings, "window-size", "(ii)", &width, &height);
  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  g_settings_bind (self->settings, "sidebar-visible", self->flap, "reveal-flap", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "sidebar-page", self->side_stack, "visible-child-name", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_swapped (self->flap, "notify::reveal-flap", G_CALLBACK (on_reveal_flap), self);

  sm_chat_view_set_engine (self->chat_view, self->engine);
  sm_chat_view_set_settings (self->chat_view, self->settings);
  sm_engine_panel_bind (self->engine_panel, self->engine, self->settings);
  sm_charts_panel_bind (self->charts_panel, self->engine, self->settings);
  sm_sampling_panel_bind (self->sampling_panel, self->settings);
  sm_compare_view_set_engine (self->compare_view, self->engine);
  g_signal_connect (self->engine, "stats-updated", G_CALLBACK (on_stats_updated), self);
  g_signal_connect_swapped (self->chat_view, "notify::generating", G_CALLBACK (on_generating_changed), self);

  if (g_getenv ("SMALLMIND_SCREENSHOT_PAUSE") != NULL)
    {
      self->pause_chars = (guint) g_ascii_strtoull (g_getenv ("SMALLMIND_SCREENSHOT_PAUSE"), NULL, 10);
      g_signal_connect (self, "realize", G_CALLBACK (on_realize), NULL);
    }

  update_title (self);
}

SmWindow *
sm_window_new (GtkApplication *app, SmConversationStore *store)
{
  return g_object_new (SM_TYPE_WINDOW, "application", app, "store", store, NULL);
}

void
sm_window_start (SmWindow *self, const char *model_path, const char *const *prompts)
{
  g_return_if_fail (SM_IS_WINDOW (self));

  g_queue_clear_full (&self->startup_prompts, g_free);
  for (guint i = 0; prompts != NULL && prompts[i] != NULL; i++)
    if (*prompts[i] != '\0')
      g_queue_push_tail (&self->startup_prompts, g_strdup (prompts[i]));
  self->quiet_load = TRUE;
  if (model_path != NULL)
    {
      SmPreset preset;
      if (g_str_has_prefix (model_path, "preset:") && sm_preset_from_name (model_path + 7, &preset))
        load_preset (self, preset);
      else
        load_file (self, model_path, NULL);
    }
  else
    load_last_model (self);
  self->quiet_load = FALSE;
}

SmEngine *
sm_window_get_engine (SmWindow *self)
{
  g_return_val_if_fail (SM_IS_WINDOW (self), NULL);
  return self->engine;
}

SmChatView *
sm_window_get_chat_view (SmWindow *self)
{
  g_return_val_if_fail (SM_IS_WINDOW (self), NULL);
  return self->chat_view;
}

gboolean
sm_window_get_loading (SmWindow *self)
{
  g_return_val_if_fail (SM_IS_WINDOW (self), FALSE);
  return self->loading > 0;
}

GtkWidget *
sm_window_get_part (SmWindow *self, const char *name)
{
  GObject *part;

  g_return_val_if_fail (SM_IS_WINDOW (self), NULL);
  part = gtk_widget_get_template_child (GTK_WIDGET (self), SM_TYPE_WINDOW, name);
  return GTK_IS_WIDGET (part) ? GTK_WIDGET (part) : NULL;
}
