/* sm-window.c: the playground window: its parts, the model it loads, its conversations and
 * the side panel.  What the user asks of it (open, export, new conversation, show a page) is
 * in sm-window-actions.c; what the two share is in sm-window-private.h. */
#define G_LOG_DOMAIN "SmWindow"

#include <glib/gi18n.h>
#include <string.h>

#include "sm-window-private.h"

G_DEFINE_FINAL_TYPE (SmWindow, sm_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_STORE,
  PROP_LOADING,
  PROP_SIDEBAR_VISIBLE,
  PROP_MARKDOWN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- messages ----------------------------------------------------------------------------------- */

void
sm_window_toast (SmWindow *self, const char *text)
{
  /* a toast's title is markup in libadwaita 1.2: a file name with "&" in it was no title */
  g_autofree char *markup = g_markup_escape_text (text, -1);
  AdwToast *t = adw_toast_new (markup);

  adw_toast_set_timeout (t, 4);
  sm_chat_view_add_toast (self->chat_view, t);
}

void
sm_window_show_error (SmWindow *self, const char *title, const char *text)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), title, text);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
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
display_name_dup (SmWindow *self, SmModel *model, const SmEngineStats *st)
{
  /* random weights in a preset's shape read nothing like the trained model of that name */
  if (model != NULL && g_strcmp0 (sm_model_get_format (model), "preset") == 0)
    return g_strdup_printf (_("%s (untrained)"), st->model_name);
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
      g_autoptr (SmModel) model = sm_engine_dup_model (self->engine);
      const char *path = model ? sm_model_get_path (model) : NULL;
      g_autofree char *file = path ? g_filename_display_basename (path) : NULL;
      g_autofree char *params = format_params (st.model_params);
      g_autofree char *arch = g_ascii_strup (st.model_arch ? st.model_arch : "", -1);
      const char *chat = st.model_chat;
      /* the file it came from first: two models of one name differ by it; then what the
       * model is made of and how it reads text */
      g_autofree char *subtitle = g_strdup_printf ("%s%s%s · %s · %s · %s%s%s", file ? file : "",
                                                   file ? " · " : "", arch, params,
                                                   st.model_types ? st.model_types : "",
                                                   st.model_vocab ? st.model_vocab : "",
                                                   chat ? " · " : "", chat ? chat : "");
      g_autofree char *name = display_name_dup (self, model, &st);

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
  char     *path;      /* a file's, to ask again with another tokenizer */
  char     *tokenizer; /* the tokenizer asked for (NULL: the engine's choice), remembered too */
} LoadRequest;

static void
load_request_free (LoadRequest *req)
{
  g_object_unref (req->self);
  g_free (req->what);
  g_free (req->setting);
  g_free (req->path);
  g_free (req->tokenizer);
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

/* @text with a capital first letter: an engine reason ("its tokenizer ...") made a sentence. */
static char *
sentence (const char *text)
{
  char *s = g_strdup (text);
  if (*s != '\0')
    {
      g_autofree char *first = g_utf8_strup (s, g_utf8_next_char (s) - s);
      char *out = g_strconcat (first, g_utf8_next_char (s), NULL);
      g_free (s);
      s = out;
    }
  return s;
}

static void
on_tokenizer_response (AdwMessageDialog *dialog, const char *response, SmWindow *self)
{
  const char *model = g_object_get_data (G_OBJECT (dialog), "sm-model");

  if (g_strcmp0 (response, "choose") == 0)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.choose-tokenizer", "s", model);
}

/* A llama2.c model whose tokenizer is missing or another model's: say so, and offer to choose
 * one, in the model's folder. */
static void
ask_for_tokenizer (SmWindow *self, const char *path, const char *why)
{
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *title = g_strdup_printf (_("“%s” Needs Its Tokenizer"), name);
  g_autofree char *text = sentence (why);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), title, text);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "choose", _("C_hoose Tokenizer…"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "choose",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "choose");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "sm-model", g_strdup (path), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_tokenizer_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  LoadRequest *req = data;
  SmWindow *self = req->self;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (g_async_result_is_tagged (result, sm_engine_load_builtin_async))
    ok = sm_engine_load_builtin_finish (SM_ENGINE (source), result, &error);
  else
    ok = sm_engine_load_finish (SM_ENGINE (source), result, &error);

  set_loading (self, FALSE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    ;   /* the window went away */
  else if (g_error_matches (error, SM_ENGINE_ERROR, SM_ENGINE_ERROR_TOKENIZER) && req->path != NULL)
    ask_for_tokenizer (self, req->path, error->message);
  else if (!ok)
    {
      /* The previous model stays loaded; the message is the engine's, the file named once,
       * in the title. */
      g_autofree char *title = g_strdup_printf (_("Could not load “%s”"), req->what);
      g_autofree char *text = sentence (error->message);
      sm_window_show_error (self, title, text);
    }
  else
    {
      SmEngineStats st = { 0 };
      g_autofree char *msg = NULL;

      if (req->setting != NULL)
        {
          g_settings_set_string (self->settings, "last-model", req->setting);
          g_settings_set_string (self->settings, "last-tokenizer", req->tokenizer ? req->tokenizer : "");
        }
      sm_chat_view_model_changed (self->chat_view);
      sm_engine_get_stats (self->engine, &st);
      /* the system prompt goes into the template of a model that has one we can write */
      sm_sampling_panel_set_chat_template (self->sampling_panel,
                                           st.chat_format != SM_CHAT_FORMAT_NONE);
      msg = g_strdup_printf (_("Loaded %s"), st.model_name ? st.model_name : req->what);
      if (!req->quiet)
        sm_window_toast (self, msg);
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

void
sm_window_load_preset (SmWindow *self, SmPreset preset)
{
  g_autofree char *setting = g_strconcat ("preset:", sm_preset_name (preset), NULL);
  LoadRequest *req = load_request_new (self, sm_preset_name (preset), setting);

  /* the trained model when it is there; the title says when it is not */
  sm_engine_load_builtin_async (self->engine, preset, self->cancellable, on_loaded, req);
}

void
sm_window_load_file (SmWindow *self, const char *path, const char *tokenizer_path)
{
  g_autofree char *name = g_filename_display_basename (path);
  LoadRequest *req = load_request_new (self, name, path);

  req->path = g_strdup (path);
  req->tokenizer = g_strdup (tokenizer_path);
  sm_engine_load_async (self->engine, path, tokenizer_path, self->cancellable, on_loaded, req);
}

static void
load_builtin (SmWindow *self)
{
  LoadRequest *req = load_request_new (self, _("the built-in model"), "");

  sm_engine_load_builtin_async (self->engine, SM_PRESET_SMALL, self->cancellable, on_loaded, req);
}

static void
load_last_model (SmWindow *self)
{
  g_autofree char *last = g_settings_get_string (self->settings, "last-model");
  SmPreset preset;

  if (g_str_has_prefix (last, "preset:") && sm_preset_from_name (last + 7, &preset))
    sm_window_load_preset (self, preset);
  else if (*last != '\0' && g_file_test (last, G_FILE_TEST_IS_REGULAR))
    {
      /* with the tokenizer it was loaded with: a llama2.c model may have needed one chosen */
      g_autofree char *tokenizer = g_settings_get_string (self->settings, "last-tokenizer");
      sm_window_load_file (self, last, *tokenizer != '\0' ? tokenizer : NULL);
    }
  else
    load_builtin (self);
}

static void on_conversation_title (SmConversation *conversation, GParamSpec *pspec, SmWindow *self);

void
sm_window_show_conversation (SmWindow *self, SmConversation *conversation)
{
  SmConversation *old = sm_chat_view_get_conversation (self->chat_view);

  if (old != NULL)
    g_signal_handlers_disconnect_by_func (old, on_conversation_title, self);
  g_signal_connect_object (conversation, "notify::title", G_CALLBACK (on_conversation_title), self, 0);
  sm_conversation_store_add (self->store, conversation);
  sm_chat_view_set_conversation (self->chat_view, conversation);
  sm_conversation_list_set_current (SM_CONVERSATION_LIST (self->history_popover), conversation);
  gtk_window_set_title (GTK_WINDOW (self), sm_conversation_get_title (conversation));
  g_settings_set_string (self->settings, "last-conversation", sm_conversation_get_id (conversation));
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
  AdwToast *t = adw_toast_new (message);

  /* until dismissed: a conversation not saved is worth more than a passing note, and the
   * store says it once, not at every save */
  adw_toast_set_timeout (t, 0);
  adw_toast_set_priority (t, ADW_TOAST_PRIORITY_HIGH);
  sm_chat_view_add_toast (self->chat_view, t);
}

/* ---- side panel ------------------------------------------------------------------------------------------- */

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

/* A model file dropped on the window opens, as Open Model would open it. */
static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, SmWindow *self)
{
  GFile *file;
  g_autofree char *path = NULL;

  if (!G_VALUE_HOLDS (value, G_TYPE_FILE) || (file = g_value_get_object (value)) == NULL)
    return FALSE;
  path = g_file_get_path (file);
  if (path == NULL)
    {
      sm_window_show_error (self, _("Cannot open this file"),
                            _("Only files on this computer can be opened as models."));
      return FALSE;
    }
  sm_window_load_file (self, path, NULL);
  return TRUE;
}

static void
on_markdown_changed (SmWindow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MARKDOWN]);
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
  self->closing = TRUE;
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
    case PROP_MARKDOWN:
      g_value_set_boolean (value, self->settings == NULL
                                  || g_settings_get_boolean (self->settings, "markdown"));
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
    case PROP_MARKDOWN:
      if (self->settings != NULL)
        g_settings_set_boolean (self->settings, "markdown", g_value_get_boolean (value));
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
  sm_conversation_list_set_store (SM_CONVERSATION_LIST (self->history_popover), self->store);

  /* the conversation open when the window last closed comes back; else the newest */
  {
    g_autofree char *last = g_settings_get_string (self->settings, "last-conversation");
    for (guint i = 0; i < g_list_model_get_n_items (list) && first == NULL; i++)
      {
        g_autoptr (SmConversation) c = g_list_model_get_item (list, i);
        if (g_strcmp0 (sm_conversation_get_id (c), last) == 0)
          first = g_steal_pointer (&c);
      }
  }
  if (first == NULL && g_list_model_get_n_items (list) > 0)
    first = g_list_model_get_item (list, 0);
  else if (first == NULL)
    first = sm_conversation_new ();
  sm_window_show_conversation (self, first);
  /* what a person types first goes into the prompt (GTK would focus the header bar's first
   * button, and a space would open the file chooser) */
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (sm_chat_view_get_prompt_view (self->chat_view)));
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
  /* replies as Markdown: the setting, for the menu's check item (win.markdown) */
  properties[PROP_MARKDOWN] =
    g_param_spec_boolean ("markdown", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SM_TYPE_CHAT_VIEW);
  g_type_ensure (SM_TYPE_ENGINE_PANEL);
  g_type_ensure (SM_TYPE_CHARTS_PANEL);
  g_type_ensure (SM_TYPE_SAMPLING_PANEL);
  g_type_ensure (SM_TYPE_COMPARE_VIEW);
  g_type_ensure (SM_TYPE_ROOFLINE_VIEW);
  g_type_ensure (SM_TYPE_CONVERSATION_LIST);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-window.ui");
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
  gtk_widget_class_bind_template_child (widget_class, SmWindow, roofline_view);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, side_stack);
  gtk_widget_class_bind_template_child (widget_class, SmWindow, history_popover);

  sm_window_class_add_actions (widget_class);
}

SmSnapshotRange
sm_window_snapshot_range (SmWindow *self)
{
  g_autofree char *name = g_settings_get_string (self->settings, "snapshot-range");
  SmSnapshotRange range = SM_SNAPSHOT_RANGE_REPLY;

  sm_snapshot_range_from_name (name, &range);
  return range;
}

static void
on_snapshot_range_changed (SmWindow *self)
{
  sm_compare_view_set_range (self->compare_view, sm_window_snapshot_range (self));
  sm_roofline_view_set_range (self->roofline_view, sm_window_snapshot_range (self));
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
  {
    GtkDropTarget *drop = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);
    g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
    gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
  }

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
  sm_roofline_view_set_engine (self->roofline_view, self->engine);
  {
    /* the menu's radio items and the export dialog's choice show one setting */
    g_autoptr (GAction) range = g_settings_create_action (self->settings, "snapshot-range");
    g_action_map_add_action (G_ACTION_MAP (self), range);
    g_signal_connect_swapped (self->settings, "changed::snapshot-range",
                              G_CALLBACK (on_snapshot_range_changed), self);
    on_snapshot_range_changed (self);
  }
  g_signal_connect_object (self->settings, "changed::markdown", G_CALLBACK (on_markdown_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect (self->engine, "stats-updated", G_CALLBACK (on_stats_updated), self);
  g_signal_connect_swapped (self->chat_view, "notify::generating", G_CALLBACK (on_generating_changed), self);

#ifdef SM_SCREENSHOT_HOOK
  sm_window_screenshot_hook_init (self);
#endif

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
  /* prompts from the command line are a new conversation, not more of the last one */
  if (!g_queue_is_empty (&self->startup_prompts))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.new-conversation", NULL);
  self->quiet_load = TRUE;
  if (model_path != NULL)
    {
      SmPreset preset;
      if (g_str_has_prefix (model_path, "preset:") && sm_preset_from_name (model_path + 7, &preset))
        sm_window_load_preset (self, preset);
      else
        sm_window_load_file (self, model_path, NULL);
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
