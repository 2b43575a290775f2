/* sm-chat-view.c: the conversation with the model. */
#define G_LOG_DOMAIN "SmChatView"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "sm-chat-view.h"
#include "sm-message-row.h"

/* Streamed text reaches the message at most every TEXT_UPDATE_MS, and less often when the
 * window's frames are slow: laying out and drawing a growing reply costs CPU the engine needs
 * (a small model writes tens of kilobytes a second), so the text updates are spaced to keep
 * the frames they cause under about 1/FRAME_SHARE of the time. */
#define TEXT_UPDATE_MS    50
#define FIRST_TEXT_MS     10
#define TEXT_UPDATE_MAX_MS 250
#define FRAME_SHARE       12
/* How often the prompt-reading progress is refreshed, and after how long it appears. */
#define PREFILL_TICK_MS   100
#define PREFILL_SHOW_US   (250 * 1000)
#define SAVE_EVERY_MS     1000

struct _SmChatView {
  GtkWidget       parent_instance;

  /* template children */
  AdwToastOverlay *toast_overlay;
  GtkStack       *stack;
  GtkScrolledWindow *scroller;
  GtkListBox     *list;
  GtkRevealer    *prefill_revealer;
  GtkProgressBar *prefill_bar;
  GtkTextView    *prompt_view;
  GtkWidget      *placeholder;
  GtkWidget      *paste_bar;
  GtkLabel       *paste_label;
  GtkLevelBar    *context_bar;
  GtkLabel       *context_label;
  GtkStack       *send_stack;
  GtkWidget      *send_button;
  GtkWidget      *stop_button;

  SmEngine       *engine;
  GSettings      *settings;
  SmConversation *conversation;

  /* the running reply */
  struct _Run    *run;
  gboolean        stick_to_bottom;
  guint           scroll_tick;
  /* how long the window's frames take (moving average, µs) */
  GdkFrameClock  *frame_clock;
  gint64          frame_start;
  double          frame_us;
  /* tokens the engine's cache holds after the last reply (-1: unknown), for the estimate */
  int             cached_tokens;
  double          prefill_tps;       /* the last measured, 0 when unknown */
  /* a paste too long for the text view (PASTE_INLINE_MAX), sent ahead of what is typed */
  GString        *pasted;
  GCancellable   *paste_cancel;
};

G_DEFINE_FINAL_TYPE (SmChatView, sm_chat_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_GENERATING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One generation.  Holds what it writes to, so a window closed mid-reply still ends it cleanly:
 * the view may be gone (weak pointer) when the engine reports the end. */
typedef struct _Run {
  gint            ref_count;
  SmChatView     *view;            /* weak */
  SmEngine       *engine;
  SmConversation *conversation;
  SmMessage      *message;
  GCancellable   *cancellable;
  GApplication   *app;             /* held while the reply runs, so the process waits for it */
  char           *prompt;          /* as sent (after fitting it into the context) */
  SmGenerateParams params;
  gint64          start_us;
  int             new_tokens;      /* tokens the engine will have to read, estimated */
  gboolean        got_text;
  guint           prefill_source;
  guint           save_source;     /* saves the reply in flight every SAVE_EVERY_MS */
  gsize           saved_len;
  GString        *pending;         /* text from the engine not yet in the message */
  guint           text_source;
} Run;

static Run *
run_ref (Run *run)
{
  run->ref_count++;
  return run;
}

static void
run_unref (gpointer data)
{
  Run *run = data;

  if (--run->ref_count > 0)
    return;
  g_clear_handle_id (&run->prefill_source, g_source_remove);
  g_clear_handle_id (&run->save_source, g_source_remove);
  g_clear_handle_id (&run->text_source, g_source_remove);
  g_string_free (run->pending, TRUE);
  if (run->view)
    g_object_remove_weak_pointer (G_OBJECT (run->view), (gpointer *) &run->view);
  if (run->app)
    {
      g_application_release (run->app);
      g_object_unref (run->app);
    }
  g_object_unref (run->engine);
  g_object_unref (run->conversation);
  g_object_unref (run->message);
  g_object_unref (run->cancellable);
  g_free (run->prompt);
  g_free (run);
}

static void
show_error (GtkWidget *widget, const char *title, const char *message)
{
  if (!gtk_widget_activate_action (widget, "win.show-error", "(ss)", title, message))
    g_warning ("%s: %s", title, message);   /* no window left to show it in */
}

/* The model's file was truncated or rewritten on disk under a reply (SM_ENGINE_ERROR_MODEL_CHANGED,
 * `cp new.gguf model.gguf` onto the model in use): the reply so far came from the file as it
 * was loaded and stays where it is, and the model gives nothing more until it is loaded again.
 * So no dialog in front of the conversation: a toast that stays until dismissed and offers
 * the new load (short, as toasts are; the whole message is under the reply). */
static void
toast_model_changed (SmChatView *self, SmEngine *engine)
{
  g_autoptr (SmModel) model = sm_engine_dup_model (engine);
  const char *path = model != NULL ? sm_model_get_path (model) : NULL;
  g_autofree char *name = path != NULL ? g_filename_display_basename (path) : g_strdup ("?");
  /* Translators: a toast; %s is the model's file name */
  g_autofree char *title = g_strdup_printf (_("“%s” changed on disk: the reply was cut short"), name);
  g_autofree char *markup = g_markup_escape_text (title, -1);   /* a toast's title is markup */
  AdwToast *toast = adw_toast_new (markup);

  /* Normal priority: a high one that takes the place of a toast being shown (the "Loaded"
   * one) trips an assertion in libadwaita 1.2's toast overlay and aborts the window. */
  adw_toast_set_timeout (toast, 0);
  if (path != NULL)
    {
      adw_toast_set_button_label (toast, _("_Load Again"));
      adw_toast_set_action_name (toast, "win.load-model");
      adw_toast_set_action_target (toast, "s", path);
    }
  sm_chat_view_add_toast (self, toast);
}

/* ---- rows ------------------------------------------------------------------------------------ */

static void update_rows (SmChatView *self);

static void
on_row_edited (SmMessageRow *row, const char *text, SmChatView *self);
static void
on_row_regenerate (SmMessageRow *row, SmChatView *self);
static void
on_row_switch_branch (SmMessageRow *row, int step, SmChatView *self);

/* Replies as Markdown unless the settings say raw text (and without settings, as they default). */
static gboolean
shows_markdown (SmChatView *self)
{
  return self->settings == NULL || g_settings_get_boolean (self->settings, "markdown");
}

static void
on_markdown_changed (SmChatView *self)
{
  gboolean markdown = shows_markdown (self);
  GtkListBoxRow *row;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->list, i)) != NULL; i++)
    sm_message_row_set_markdown (SM_MESSAGE_ROW (row), markdown);
}

static GtkWidget *
create_row (gpointer item, gpointer user_data)
{
  SmChatView *self = user_data;
  GtkWidget *row = sm_message_row_new (SM_MESSAGE (item));

  sm_message_row_set_markdown (SM_MESSAGE_ROW (row), shows_markdown (self));

  g_signal_connect_object (row, "edited", G_CALLBACK (on_row_edited), self, 0);
  g_signal_connect_object (row, "regenerate", G_CALLBACK (on_row_regenerate), self, 0);
  g_signal_connect_object (row, "switch-branch", G_CALLBACK (on_row_switch_branch), self, 0);
  return row;
}

static void
update_rows (SmChatView *self)
{
  guint n = self->conversation ? sm_conversation_get_n_messages (self->conversation) : 0;
  gboolean busy = self->run != NULL;

  for (guint i = 0; i < n; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->list, i);
      SmMessage *message;

      if (row == NULL)
        continue;
      message = sm_message_row_get_message (SM_MESSAGE_ROW (row));
      sm_message_row_set_last (SM_MESSAGE_ROW (row), i == n - 1);
      sm_message_row_set_busy (SM_MESSAGE_ROW (row), busy);
      sm_message_row_set_branch (SM_MESSAGE_ROW (row),
                                 sm_conversation_get_branch (self->conversation, message),
                                 sm_conversation_get_n_branches (self->conversation, message));
    }
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "messages" : "empty");
}

static void
on_items_changed (GListModel *model, guint pos, guint removed, guint added, SmChatView *self)
{
  update_rows (self);
}

/* ---- composer --------------------------------------------------------------------------------- */

static char *
prompt_text (SmChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* Whether the prompt holds more than white space, without copying it (this runs on every
 * keystroke). */
static gboolean
prompt_has_text (SmChatView *self)
{
  GtkTextIter it;

  gtk_text_buffer_get_start_iter (gtk_text_view_get_buffer (self->prompt_view), &it);
  for (; !gtk_text_iter_is_end (&it); gtk_text_iter_forward_char (&it))
    if (!g_unichar_isspace (gtk_text_iter_get_char (&it)))
      return TRUE;
  return FALSE;
}

static void
update_actions (SmChatView *self)
{
  gboolean generating = self->run != NULL;
  gboolean has_text = self->pasted != NULL || prompt_has_text (self);
  g_autoptr (SmModel) model = self->engine ? sm_engine_dup_model (self->engine) : NULL;
  SmMessage *last = self->conversation ? sm_conversation_get_last (self->conversation) : NULL;

  /* without a model a message would only sit there unanswered: say what to do instead */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.send", !generating && has_text && model != NULL);
  gtk_widget_set_tooltip_text (self->send_button,
                               model != NULL ? _("Send (Ctrl+Enter)")
                                             : _("No model is loaded: open one from the main menu first"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.stop", generating);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.remove-paste", self->pasted != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.regenerate",
                                 !generating && model != NULL && last && sm_message_get_role (last) == SM_ROLE_ASSISTANT);
  gtk_stack_set_visible_child_name (self->send_stack, generating ? "stop" : "send");
}

static void
on_buffer_changed (SmChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);

  gtk_widget_set_visible (self->placeholder, gtk_text_buffer_get_char_count (buffer) == 0);
  update_actions (self);
}

static gboolean
on_prompt_key (GtkEventControllerKey *controller, guint keyval, guint keycode, GdkModifierType state,
               SmChatView *self)
{
  /* Ctrl+Enter sends before the text view turns it into a new line. */
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter) && (state & GDK_CONTROL_MASK))
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "chat.send", NULL);
      return TRUE;
    }
  return FALSE;
}

/* ---- pasting ----------------------------------------------------------------------------------- */

/* A paste longer than this waits beside the prompt instead of going into it: a GtkTextView
 * lays out all of its text to know its height, and 1 MB kept the main loop for about 3 s (a
 * paragraph of it cannot be laid out in parts at all).  16 KB lays out in a frame or two. */
#define PASTE_INLINE_MAX (16 * 1024)
#define PASTE_MIME "text/plain;charset=utf-8"

static void
show_pasted (SmChatView *self)
{
  gtk_widget_set_visible (self->paste_bar, self->pasted != NULL);
  if (self->pasted != NULL)
    {
      g_autofree char *size = g_format_size (self->pasted->len);
      /* Translators: %s is a size, "1.0 MB" */
      g_autofree char *text = g_strdup_printf (_("%s of pasted text, sent ahead of what you type"), size);
      gtk_label_set_text (self->paste_label, text);
    }
  update_actions (self);
}

static void
clear_pasted (SmChatView *self)
{
  if (self->pasted != NULL)
    g_string_free (g_steal_pointer (&self->pasted), TRUE);
  show_pasted (self);
}

static void
remove_paste_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SmChatView *self = SM_CHAT_VIEW (widget);

  clear_pasted (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
}

/* Text as another program offered it, made text: a NUL would end the prompt there without a
 * word (the engine takes C strings), and GtkTextBuffer takes only valid UTF-8, so each NUL and
 * each broken sequence becomes U+FFFD, as the engine writes them in a reply. */
static char *
paste_sanitize (const char *data, gsize len)
{
  g_autoptr (GString) s = g_string_sized_new (len + 1);

  for (gsize i = 0; i < len; i++)
    if (data[i] == '\0')
      g_string_append (s, "\xef\xbf\xbd");
    else
      g_string_append_c (s, data[i]);
  return g_utf8_make_valid (s->str, (gssize) s->len);
}

static void
on_paste_read (GObject *source, GAsyncResult *result, gpointer data)
{
  GOutputStream *out = G_OUTPUT_STREAM (source);
  g_autoptr (SmChatView) self = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  GtkTextBuffer *buffer;
  gsize len;

  if (g_output_stream_splice_finish (out, result, &error) < 0 || self->paste_cancel == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot paste: %s", error->message);
      g_object_unref (out);
      return;
    }
  len = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out));
  text = paste_sanitize (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)), len);
  g_object_unref (out);
  len = strlen (text);
  if (len == 0)
    return;

  buffer = gtk_text_view_get_buffer (self->prompt_view);
  if (len <= PASTE_INLINE_MAX)
    {
      gboolean editable = gtk_text_view_get_editable (self->prompt_view);
      gtk_text_buffer_begin_user_action (buffer);
      gtk_text_buffer_delete_selection (buffer, TRUE, editable);
      gtk_text_buffer_insert_interactive_at_cursor (buffer, text, (int) len, editable);
      gtk_text_buffer_end_user_action (buffer);
      gtk_text_view_scroll_mark_onscreen (self->prompt_view, gtk_text_buffer_get_insert (buffer));
      return;
    }
  /* a second long paste goes after the first, as it would in the text */
  if (self->pasted == NULL)
    self->pasted = g_string_new (NULL);
  else
    g_string_append_c (self->pasted, '\n');
  g_string_append_len (self->pasted, text, (gssize) len);
  show_pasted (self);
}

static void
on_paste_stream (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (SmChatView) self = data;
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GError) error = NULL;
  GOutputStream *out;

  in = gdk_clipboard_read_finish (GDK_CLIPBOARD (source), result, NULL, &error);
  if (in == NULL || self->paste_cancel == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot paste: %s", error->message);
      return;
    }
  /* read off the main loop's back: 1 MB in pieces as it comes */
  out = g_memory_output_stream_new_resizable ();
  g_output_stream_splice_async (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE, G_PRIORITY_DEFAULT,
                                self->paste_cancel, on_paste_read, g_object_ref (self));
}

/* Ctrl+V and the menu's Paste: UTF-8 text is read here, as bytes, so that a long one can wait
 * beside the prompt and odd bytes are accounted for; anything else is GTK's to paste. */
static void
on_paste_clipboard (GtkTextView *view, SmChatView *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (view));
  const char *mime_types[] = { PASTE_MIME, NULL };

  if (!gdk_content_formats_contain_mime_type (gdk_clipboard_get_formats (clipboard), PASTE_MIME))
    return;
  g_signal_stop_emission_by_name (view, "paste-clipboard");
  if (self->paste_cancel == NULL)
    self->paste_cancel = g_cancellable_new ();
  gdk_clipboard_read_async (clipboard, mime_types, G_PRIORITY_DEFAULT, self->paste_cancel,
                            on_paste_stream, g_object_ref (self));
}

/* ---- scrolling -------------------------------------------------------------------------------- */

static void
on_vadjustment_value (GtkAdjustment *adj, GParamSpec *pspec, SmChatView *self)
{
  double bottom = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  /* only a move away from the bottom by the user unsticks (a growing text moves it too) */
  if (self->scroll_tick == 0)
    self->stick_to_bottom = gtk_adjustment_get_value (adj) >= bottom - 48;
}

static gboolean
scroll_to_bottom_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  SmChatView *self = SM_CHAT_VIEW (widget);
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);

  /* after the layout of this frame, so the new height is known */
  self->scroll_tick = 0;
  if (self->stick_to_bottom)
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  return G_SOURCE_REMOVE;
}

static void
on_vadjustment_upper (GtkAdjustment *adj, GParamSpec *pspec, SmChatView *self)
{
  /* Follow the reply as it grows, unless the user scrolled up to read. */
  if (self->stick_to_bottom && self->scroll_tick == 0)
    self->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), scroll_to_bottom_cb, NULL, NULL);
}

/* ---- frame cost ------------------------------------------------------------------------------ */

static void
on_before_paint (GdkFrameClock *clock, SmChatView *self)
{
  self->frame_start = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *clock, SmChatView *self)
{
  double us = (double) (g_get_monotonic_time () - self->frame_start);

  if (self->frame_start > 0)
    self->frame_us = self->frame_us > 0 ? 0.8 * self->frame_us + 0.2 * us : us;
}

static void
sm_chat_view_realize (GtkWidget *widget)
{
  SmChatView *self = SM_CHAT_VIEW (widget);

  GTK_WIDGET_CLASS (sm_chat_view_parent_class)->realize (widget);
  self->frame_clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  g_signal_connect (self->frame_clock, "before-paint", G_CALLBACK (on_before_paint), self);
  g_signal_connect (self->frame_clock, "after-paint", G_CALLBACK (on_after_paint), self);
}

static void
sm_chat_view_unrealize (GtkWidget *widget)
{
  SmChatView *self = SM_CHAT_VIEW (widget);

  if (self->frame_clock != NULL)
    {
      /* by function: GTK's own handlers on the clock carry this widget as their data too */
      g_signal_handlers_disconnect_by_func (self->frame_clock, on_before_paint, self);
      g_signal_handlers_disconnect_by_func (self->frame_clock, on_after_paint, self);
      g_clear_object (&self->frame_clock);
    }
  GTK_WIDGET_CLASS (sm_chat_view_parent_class)->unrealize (widget);
}

/* ---- context ----------------------------------------------------------------------------------- */

void
sm_chat_view_update_context (SmChatView *self, int used, int size)
{
  g_autofree char *text = NULL;

  g_return_if_fail (SM_IS_CHAT_VIEW (self));

  gtk_level_bar_set_value (self->context_bar, size > 0 ? CLAMP ((double) used / size, 0, 1) : 0);
  if (size > 0)
    /* Translators: tokens of the context in use / the context's size */
    text = g_strdup_printf (_("%d / %d tokens"), used, size);
  gtk_label_set_text (self->context_label, text ? text : "");
}

/* The engine fits messages 0 .. @n_messages - 1 into the model's context, in its chat template
 * if it has one (the system prompt goes only there), for a reply of @max_tokens.  Returns the
 * plain prompt, for a model without a template (g_free). */
static char *
fit_messages_async (SmChatView *self, guint n_messages, int max_tokens,
                    GAsyncReadyCallback callback, gpointer data)
{
  g_autofree char *system_prompt = NULL;
  g_auto (GStrv) texts = NULL;
  g_autofree SmChatTurn *turns = NULL;
  gsize n_turns = 0;
  char *plain = sm_conversation_build_prompt (self->conversation, n_messages);

  if (self->settings != NULL)
    system_prompt = g_settings_get_string (self->settings, "system-prompt");
  turns = sm_conversation_dup_turns (self->conversation, n_messages, &texts, &n_turns);
  sm_engine_fit_prompt_async (self->engine, plain, system_prompt, turns, n_turns, max_tokens,
                              NULL, callback, data);
  return plain;
}

/* What the shown conversation fills of the context, counted by the engine's tokenizer as its
 * next prompt would be: a conversation opened, or a model loaded, shows its own fill, not the
 * previous one's. */
typedef struct {
  SmChatView     *view;           /* a reference */
  SmConversation *conversation;   /* the one counted; a reference */
  int             size;
} Recount;

static void
on_recounted (GObject *source, GAsyncResult *result, gpointer data)
{
  Recount *rc = data;
  g_autofree char *fitted = NULL;
  int n_tokens = 0;

  fitted = sm_engine_fit_prompt_finish (SM_ENGINE (source), result, &n_tokens, NULL, NULL);
  /* only if nothing newer says more: a reply since, or another conversation */
  if (fitted != NULL && rc->view->conversation == rc->conversation && rc->view->run == NULL)
    sm_chat_view_update_context (rc->view, n_tokens, rc->size);
  g_object_unref (rc->view);
  g_object_unref (rc->conversation);
  g_free (rc);
}

static void
recount_context (SmChatView *self)
{
  g_autoptr (SmModel) model = self->engine ? sm_engine_dup_model (self->engine) : NULL;
  guint n;
  Recount *rc;
  int size;

  if (model == NULL || self->conversation == NULL)
    {
      sm_chat_view_update_context (self, 0, 0);
      return;
    }
  size = sm_model_get_config (model)->context_length;
  n = sm_conversation_get_n_messages (self->conversation);
  sm_chat_view_update_context (self, 0, size);
  if (n == 0)
    return;
  rc = g_new0 (Recount, 1);
  rc->view = g_object_ref (self);
  rc->conversation = g_object_ref (self->conversation);
  rc->size = size;
  g_free (fit_messages_async (self, n, 0, on_recounted, rc));
}

/* ---- generation --------------------------------------------------------------------------------- */

static void
read_params (SmChatView *self, SmGenerateParams *params)
{
  int seed;

  sm_generate_params_init (params);
  if (self->settings == NULL)
    return;
  params->sampling.temperature = (float) g_settings_get_double (self->settings, "temperature");
  params->sampling.top_k = g_settings_get_int (self->settings, "top-k");
  params->sampling.top_p = (float) g_settings_get_double (self->settings, "top-p");
  params->sampling.min_p = (float) g_settings_get_double (self->settings, "min-p");
  params->sampling.repeat_penalty = (float) g_settings_get_double (self->settings, "repeat-penalty");
  params->max_tokens = g_settings_get_int (self->settings, "max-tokens");
  params->context_shift = g_settings_get_boolean (self->settings, "context-shift");
  seed = g_settings_get_int (self->settings, "seed");
  /* -1: a new seed for every reply, so Regenerate gives another one */
  params->sampling.seed = seed >= 0 ? (guint64) seed : g_random_int ();
}

static void
set_prefill_visible (SmChatView *self, gboolean visible)
{
  gtk_revealer_set_reveal_child (self->prefill_revealer, visible);
}

static gboolean
prefill_tick (gpointer data)
{
  Run *run = data;
  SmChatView *self = run->view;
  gint64 elapsed = g_get_monotonic_time () - run->start_us;
  g_autofree char *text = NULL;

  if (self == NULL || run->got_text)
    {
      run->prefill_source = 0;
      return G_SOURCE_REMOVE;
    }
  if (elapsed < PREFILL_SHOW_US)
    return G_SOURCE_CONTINUE;

  if (self->prefill_tps > 0 && run->new_tokens > 0)
    {
      double total = run->new_tokens / self->prefill_tps;
      double left = MAX (total - elapsed / 1e6, 0.0);

      gtk_progress_bar_set_fraction (self->prefill_bar, MIN (elapsed / 1e6 / total, 0.97));
      if (left >= 1.0)
        /* Translators: the prompt is being read; an estimate of the time left */
        text = g_strdup_printf (ngettext ("Reading %d token of prompt… about %.0f s left",
                                          "Reading %d tokens of prompt… about %.0f s left",
                                          run->new_tokens),
                                run->new_tokens, left);
      else
        text = g_strdup_printf (ngettext ("Reading %d token of prompt… almost done",
                                          "Reading %d tokens of prompt… almost done",
                                          run->new_tokens),
                                run->new_tokens);
    }
  else
    {
      gtk_progress_bar_pulse (self->prefill_bar);
      text = g_strdup (_("Reading the prompt…"));
    }
  gtk_progress_bar_set_text (self->prefill_bar, text);
  sm_message_set_status (run->message, text);
  set_prefill_visible (self, TRUE);
  return G_SOURCE_CONTINUE;
}

static void
flush_text (Run *run)
{
  g_clear_handle_id (&run->text_source, g_source_remove);
  if (run->pending->len == 0)
    return;
  if (sm_message_get_status (run->message) != NULL)
    sm_message_set_status (run->message, NULL);
  if (run->view)
    set_prefill_visible (run->view, FALSE);
  sm_message_append_text (run->message, run->pending->str);
  g_string_truncate (run->pending, 0);
}

static gboolean
flush_text_cb (gpointer data)
{
  Run *run = data;

  run->text_source = 0;
  flush_text (run);
  return G_SOURCE_REMOVE;
}

static void
on_text (SmEngine *engine, const char *text, gpointer data)
{
  Run *run = data;

  g_string_append (run->pending, text);
  if (!run->got_text)
    {
      /* The first token shows within a frame: that is the wait people feel.  Not at once, so a
       * tiny model's whole reply (a millisecond or two) runs before the window starts laying
       * out text beside it. */
      run->got_text = TRUE;
      run->text_source = g_timeout_add_full (G_PRIORITY_DEFAULT, FIRST_TEXT_MS, flush_text_cb, run, NULL);
    }
  else if (run->text_source == 0)
    {
      guint ms = TEXT_UPDATE_MS;

      if (run->view != NULL)
        ms = CLAMP ((guint) (run->view->frame_us * FRAME_SHARE / 1000), TEXT_UPDATE_MS, TEXT_UPDATE_MAX_MS);
      run->text_source = g_timeout_add_full (G_PRIORITY_DEFAULT, ms, flush_text_cb, run, NULL);
    }
}

/* The run's end: a reply that came (@error NULL) or failed.  Drops the run's own reference. */
static void
run_end (Run *run, const SmGenerateStats *stats_or_null, const GError *error)
{
  SmChatView *self = run->view;
  SmGenerateStats stats = { 0 };
  SmEngineStats es = { 0 };
  gboolean ok = error == NULL;
  gboolean file_changed = g_error_matches (error, SM_ENGINE_ERROR, SM_ENGINE_ERROR_MODEL_CHANGED);

  if (stats_or_null != NULL)
    stats = *stats_or_null;
  flush_text (run);   /* the finish delivered the rest */

  sm_message_set_generating (run->message, FALSE);
  if (file_changed)
    {
      /* under the reply, the whole reason: which file, and what to do */
      g_autofree char *status = g_strdup_printf (_("Cut short: %s"), error->message);
      sm_message_set_status (run->message, status);
    }
  else
    sm_message_set_status (run->message, NULL);
  /* the progress ends with the run, whether or not a token came */
  g_clear_handle_id (&run->prefill_source, g_source_remove);
  g_clear_handle_id (&run->save_source, g_source_remove);
  if (ok)
    {
      SmMessageFigures figures;

      sm_engine_get_stats (run->engine, &es);
      sm_message_figures_from_stats (&figures, &stats, es.pool_enabled,
                                     sm_engine_kernel_level_name (es.kernel_level), es.threads,
                                     es.model_name);
      sm_message_set_figures (run->message, &figures);
      sm_message_figures_clear (&figures);
      sm_engine_stats_clear (&es);
    }
  else if (*sm_message_get_text (run->message) == '\0')
    /* nothing came: the empty reply goes (the user's message stays, to send again; a failed
     * regeneration shows the reply it was to stand beside) */
    sm_conversation_remove (run->conversation, run->message);
  sm_conversation_changed (run->conversation);

  if (self != NULL)
    {
      if (self->run == run)
        self->run = NULL;
      set_prefill_visible (self, FALSE);
      if (ok)
        {
          if (stats.prefill_us > 0 && stats.prompt_tokens - stats.cached_tokens > 8)
            self->prefill_tps = sm_generate_stats_prefill_tps (&stats);
          self->cached_tokens = stats.context_used;
          sm_chat_view_update_context (self, stats.context_used, stats.context_size);
        }
      else
        {
          self->cached_tokens = -1;
          if (file_changed)
            toast_model_changed (self, run->engine);
          else
            show_error (GTK_WIDGET (self), _("The reply failed"), error->message);
        }
      update_rows (self);
      update_actions (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GENERATING]);
    }
  run_unref (run);
}

static void
on_generated (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  SmGenerateStats stats = { 0 };

  if (sm_engine_generate_finish (SM_ENGINE (source), result, &stats, &error))
    run_end (data, &stats, NULL);
  else
    run_end (data, &stats, error);
}

static void
start_engine (Run *run)
{
  sm_engine_generate_async (run->engine, run->prompt, &run->params,
                            on_text, run_ref (run), run_unref,
                            run->cancellable, on_generated, run);
}

static gboolean
start_engine_idle (gpointer data)
{
  start_engine (data);
  return G_SOURCE_REMOVE;
}

static gboolean
start_after_frame (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  /* the frame that shows the new message is being made; start right after it */
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, start_engine_idle, data, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_prompt_fitted (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *run = data;
  SmChatView *self = run->view;
  g_autoptr (GError) error = NULL;
  g_autofree char *fitted = NULL;
  gboolean chat = FALSE;
  int n_tokens = 0;

  fitted = sm_engine_fit_prompt_finish (SM_ENGINE (source), result, &n_tokens, &chat, &error);
  if (fitted == NULL)
    {
      /* no model, or a prompt the tokenizer cannot read: the reply fails as a generation would */
      run_end (run, NULL, error);
      return;
    }
  g_free (run->prompt);
  run->prompt = g_steal_pointer (&fitted);
  /* The template's markers become control tokens; the engine stops at its end marker. */
  run->params.parse_special = chat;
  /* what the engine's cache does not hold yet (a guess: it holds the last prompt and reply) */
  run->new_tokens = n_tokens;
  if (self != NULL && self->cached_tokens > 0 && n_tokens > self->cached_tokens)
    run->new_tokens = n_tokens - self->cached_tokens;
  /* A Stop before this point still goes through the engine, which ends at once as cancelled.
   * The engine starts once the window has drawn the new message: laying out the rows would
   * otherwise compete with the reply for the CPU, which on a busy machine shows in its tok/s. */
  if (self != NULL && gtk_widget_get_mapped (GTK_WIDGET (self)))
    gtk_widget_add_tick_callback (GTK_WIDGET (self), start_after_frame, run, NULL);
  else
    start_engine (run);
}

/* A crash or a kill loses at most a second of a reply: the store writes the conversation,
 * reply so far included, off the main loop and atomically whenever it changed. */
static gboolean
save_tick (gpointer data)
{
  Run *run = data;
  gsize len = strlen (sm_message_get_text (run->message));

  if (len != run->saved_len)
    {
      SmEngineStats es;

      /* the figures so far go with it, so a reply cut off by a crash keeps them */
      sm_engine_get_stats (run->engine, &es);
      if (es.generating && es.gen.generated_tokens > 0)
        {
          SmMessageFigures figures;

          sm_message_figures_from_stats (&figures, &es.gen, es.pool_enabled,
                                         sm_engine_kernel_level_name (es.kernel_level), es.threads,
                                         es.model_name);
          g_clear_pointer (&figures.stop_reason, g_free);   /* it has not stopped */
          sm_message_set_figures (run->message, &figures);
          sm_message_figures_clear (&figures);
        }
      sm_engine_stats_clear (&es);
      run->saved_len = len;
      sm_conversation_changed (run->conversation);
    }
  return G_SOURCE_CONTINUE;
}

/* Generates into @message from the first @n_messages messages (which include @message itself when
 * it is a reply being continued). */
static void
start_generation (SmChatView *self, SmMessage *message, guint n_messages)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GApplication *app = NULL;
  Run *run;

  g_assert (self->run == NULL);

  run = g_new0 (Run, 1);
  run->ref_count = 1;
  run->view = self;
  g_object_add_weak_pointer (G_OBJECT (self), (gpointer *) &run->view);
  run->engine = g_object_ref (self->engine);
  run->conversation = g_object_ref (self->conversation);
  run->message = g_object_ref (message);
  run->cancellable = g_cancellable_new ();
  run->start_us = g_get_monotonic_time ();
  run->pending = g_string_new (NULL);
  read_params (self, &run->params);
  if (GTK_IS_WINDOW (root))
    app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (root)));
  if (app != NULL)
    {
      run->app = g_object_ref (app);
      g_application_hold (app);
    }
  self->run = run;

  sm_message_clear_figures (message);
  sm_message_set_generating (message, TRUE);
  gtk_progress_bar_set_fraction (self->prefill_bar, 0);
  run->prefill_source = g_timeout_add_full (G_PRIORITY_DEFAULT, PREFILL_TICK_MS, prefill_tick,
                                            run_ref (run), run_unref);
  run->save_source = g_timeout_add_full (G_PRIORITY_DEFAULT, SAVE_EVERY_MS, save_tick,
                                         run_ref (run), run_unref);
  self->stick_to_bottom = TRUE;

  /* the run's own reference lasts until run_end (), which only the engine's callbacks call */
  run->prompt = fit_messages_async (self, n_messages, run->params.max_tokens, on_prompt_fitted, run);

  update_rows (self);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GENERATING]);
}

static void
send_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SmChatView *self = SM_CHAT_VIEW (widget);
  g_autofree char *text = prompt_text (self);
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  g_autoptr (SmMessage) user = NULL;
  g_autoptr (SmMessage) reply = NULL;

  if (self->run != NULL || (*stripped == '\0' && self->pasted == NULL))
    return;
  /* the long paste first, what was typed after it: a question about a text comes last, and a
   * plain-text model's fitting keeps the newest tokens */
  if (self->pasted != NULL)
    {
      if (*stripped != '\0')
        g_string_append_printf (self->pasted, "\n\n%s", text);
      g_free (text);
      text = g_string_free (g_steal_pointer (&self->pasted), FALSE);
      show_pasted (self);
    }

  user = sm_message_new (SM_ROLE_USER, text);
  reply = sm_message_new (SM_ROLE_ASSISTANT, "");
  /* The user's message is saved at once, the reply as it comes. */
  sm_conversation_append (self->conversation, user);
  sm_conversation_append (self->conversation, reply);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->prompt_view), "", 0);
  start_generation (self, reply, sm_conversation_get_n_messages (self->conversation) - 1);
}

void
sm_chat_view_stop (SmChatView *self)
{
  g_return_if_fail (SM_IS_CHAT_VIEW (self));

  if (self->run != NULL)
    g_cancellable_cancel (self->run->cancellable);
}

static void
stop_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  sm_chat_view_stop (SM_CHAT_VIEW (widget));
}

/* Rows about to go or change must not keep the focus: GTK would track a widget that is gone. */
static void
take_focus_from_rows (SmChatView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;

  if (focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->list)))
    gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
}

static gboolean
find_shown (SmChatView *self, SmMessage *message, guint *pos)
{
  return g_list_store_find (G_LIST_STORE (sm_conversation_get_messages (self->conversation)), message, pos);
}

/* A new reply beside the old one, which stays as a branch (‹ 1/2 ›). */
static void
regenerate_message (SmChatView *self, SmMessage *message)
{
  g_autoptr (SmMessage) reply = NULL;
  guint pos;

  if (self->run != NULL || sm_message_get_role (message) != SM_ROLE_ASSISTANT ||
      !find_shown (self, message, &pos))
    return;
  take_focus_from_rows (self);
  reply = sm_message_new (SM_ROLE_ASSISTANT, "");
  sm_conversation_add_branch (self->conversation, message, reply);
  start_generation (self, reply, pos);
}

static void
regenerate_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SmChatView *self = SM_CHAT_VIEW (widget);
  SmMessage *last = sm_conversation_get_last (self->conversation);

  if (last != NULL && sm_message_get_role (last) == SM_ROLE_ASSISTANT)
    regenerate_message (self, last);
}

static void
on_row_regenerate (SmMessageRow *row, SmChatView *self)
{
  regenerate_message (self, sm_message_row_get_message (row));
}

static void
on_row_switch_branch (SmMessageRow *row, int step, SmChatView *self)
{
  SmMessage *message = sm_message_row_get_message (row);
  guint index = sm_conversation_get_branch (self->conversation, message);
  guint n = sm_conversation_get_n_branches (self->conversation, message);

  /* the running reply writes into the shown path: it stays shown until it ends */
  if (self->run != NULL || (step < 0 && index == 0) || (step > 0 && index + 1 >= n))
    return;
  take_focus_from_rows (self);
  sm_conversation_select_branch (self->conversation, message, index + step);
  /* the engine's cache holds the other branch's text */
  recount_context (self);
  update_actions (self);
}

/* An edit is a new branch beside the message: the old text and what followed it stay. */
static void
on_row_edited (SmMessageRow *row, const char *text, SmChatView *self)
{
  SmMessage *message = sm_message_row_get_message (row);
  g_autoptr (SmMessage) edited = NULL;
  guint pos;

  if (self->run != NULL || !find_shown (self, message, &pos))
    return;

  take_focus_from_rows (self);
  edited = sm_message_new (sm_message_get_role (message), text);
  sm_conversation_add_branch (self->conversation, message, edited);

  if (sm_message_get_role (message) == SM_ROLE_USER)
    {
      g_autoptr (SmMessage) reply = sm_message_new (SM_ROLE_ASSISTANT, "");
      sm_conversation_append (self->conversation, reply);
      start_generation (self, reply, pos + 1);
    }
  else
    /* an edited reply: the model continues from the edited text */
    start_generation (self, edited, pos + 1);
}

/* ---- object ----------------------------------------------------------------------------------- */

static void
sm_chat_view_dispose (GObject *object)
{
  SmChatView *self = SM_CHAT_VIEW (object);
  GtkWidget *child;

  /* A reply still running is cancelled; it ends on its own (see Run). */
  if (self->run != NULL)
    {
      g_cancellable_cancel (self->run->cancellable);
      self->run = NULL;
    }
  if (self->conversation)
    g_signal_handlers_disconnect_by_data (sm_conversation_get_messages (self->conversation), self);
  g_clear_object (&self->conversation);
  g_clear_object (&self->engine);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  /* a paste still being read finds the view gone and drops its text */
  g_cancellable_cancel (self->paste_cancel);
  g_clear_object (&self->paste_cancel);
  if (self->pasted != NULL)
    g_string_free (g_steal_pointer (&self->pasted), TRUE);
  gtk_widget_dispose_template (GTK_WIDGET (self), SM_TYPE_CHAT_VIEW);
  /* children that are not template fields are ours to unparent */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (sm_chat_view_parent_class)->dispose (object);
}

static void
sm_chat_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmChatView *self = SM_CHAT_VIEW (object);

  switch (prop_id)
    {
    case PROP_GENERATING:
      g_value_set_boolean (value, self->run != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sm_chat_view_class_init (SmChatViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_chat_view_dispose;
  object_class->get_property = sm_chat_view_get_property;
  widget_class->realize = sm_chat_view_realize;
  widget_class->unrealize = sm_chat_view_unrealize;

  properties[PROP_GENERATING] =
    g_param_spec_boolean ("generating", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SmChatView, stack);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, scroller);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, list);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, prefill_revealer);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, prefill_bar);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, placeholder);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, paste_bar);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, paste_label);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, context_bar);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, context_label);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, send_stack);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, send_button);
  gtk_widget_class_bind_template_child (widget_class, SmChatView, stop_button);

  gtk_widget_class_install_action (widget_class, "chat.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "chat.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "chat.regenerate", NULL, regenerate_action);
  gtk_widget_class_install_action (widget_class, "chat.remove-paste", NULL, remove_paste_action);

  gtk_widget_class_bind_template_child (widget_class, SmChatView, toast_overlay);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "chatview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
sm_chat_view_init (SmChatView *self)
{
  GtkEventController *keys;
  GtkShortcutController *shortcuts;
  GtkAdjustment *vadj;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_prompt_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self->prompt_view), keys);

  /* Send and Stop work wherever the focus is in the window. */
  shortcuts = GTK_SHORTCUT_CONTROLLER (gtk_shortcut_controller_new ());
  gtk_shortcut_controller_set_scope (shortcuts, GTK_SHORTCUT_SCOPE_GLOBAL);
  gtk_shortcut_controller_add_shortcut (shortcuts,
    gtk_shortcut_new (gtk_shortcut_trigger_parse_string ("<Control>Return|<Control>KP_Enter"),
                      gtk_named_action_new ("chat.send")));
  gtk_shortcut_controller_add_shortcut (shortcuts,
    gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0), gtk_named_action_new ("chat.stop")));
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (shortcuts));

  g_signal_connect_swapped (gtk_text_view_get_buffer (self->prompt_view), "changed",
                            G_CALLBACK (on_buffer_changed), self);
  g_signal_connect (self->prompt_view, "paste-clipboard", G_CALLBACK (on_paste_clipboard), self);

  vadj = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect (vadj, "notify::value", G_CALLBACK (on_vadjustment_value), self);
  g_signal_connect (vadj, "notify::upper", G_CALLBACK (on_vadjustment_upper), self);
  self->stick_to_bottom = TRUE;
  self->cached_tokens = -1;

  sm_chat_view_set_conversation (self, NULL);
  sm_chat_view_update_context (self, 0, 0);
}

/* ---- public ---------------------------------------------------------------------------------- */

void
sm_chat_view_set_engine (SmChatView *self, SmEngine *engine)
{
  g_return_if_fail (SM_IS_CHAT_VIEW (self));
  g_set_object (&self->engine, engine);
  update_actions (self);
}

void
sm_chat_view_set_settings (SmChatView *self, GSettings *settings)
{
  g_return_if_fail (SM_IS_CHAT_VIEW (self));
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_set_object (&self->settings, settings);
  if (settings != NULL)
    g_signal_connect_swapped (settings, "changed::markdown", G_CALLBACK (on_markdown_changed), self);
  on_markdown_changed (self);
}

SmConversation *
sm_chat_view_get_conversation (SmChatView *self)
{
  g_return_val_if_fail (SM_IS_CHAT_VIEW (self), NULL);
  return self->conversation;
}

void
sm_chat_view_set_conversation (SmChatView *self, SmConversation *conversation)
{
  g_autoptr (SmConversation) fresh = NULL;

  g_return_if_fail (SM_IS_CHAT_VIEW (self));

  if (conversation == NULL)
    conversation = fresh = sm_conversation_new ();
  if (conversation == self->conversation)
    return;
  /* switching away from a running reply ends it */
  sm_chat_view_stop (self);
  take_focus_from_rows (self);

  if (self->conversation)
    g_signal_handlers_disconnect_by_data (sm_conversation_get_messages (self->conversation), self);
  g_set_object (&self->conversation, conversation);
  gtk_list_box_bind_model (self->list, sm_conversation_get_messages (conversation), create_row, self, NULL);
  g_signal_connect_after (sm_conversation_get_messages (conversation), "items-changed",
                          G_CALLBACK (on_items_changed), self);
  /* the engine's cache holds another conversation's text */
  self->cached_tokens = -1;
  recount_context (self);
  update_rows (self);
  update_actions (self);
}

gboolean
sm_chat_view_get_generating (SmChatView *self)
{
  g_return_val_if_fail (SM_IS_CHAT_VIEW (self), FALSE);
  return self->run != NULL;
}

void
sm_chat_view_model_changed (SmChatView *self)
{
  g_return_if_fail (SM_IS_CHAT_VIEW (self));

  self->cached_tokens = -1;
  self->prefill_tps = 0;
  recount_context (self);
  update_actions (self);
}

GtkTextView *
sm_chat_view_get_prompt_view (SmChatView *self)
{
  g_return_val_if_fail (SM_IS_CHAT_VIEW (self), NULL);
  return self->prompt_view;
}

void
sm_chat_view_add_toast (SmChatView *self, AdwToast *toast)
{
  g_return_if_fail (SM_IS_CHAT_VIEW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}
