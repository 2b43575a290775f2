/* sm-message-row.c: one message in the chat. */
#define G_LOG_DOMAIN "SmMessageRow"

#include <glib/gi18n.h>
#include <string.h>

#include "sm-markdown-view.h"
#include "sm-message-row.h"
#include "sm-wrap-layout.h"

struct _SmMessageRow {
  GtkListBoxRow  parent_instance;

  /* template children (the row's own child, the bubble, is the row's to dispose) */
  GtkLabel      *role_label;
  GtkWidget     *writing_label;  /* not a spinner: an animation would redraw 60 times a second */
  GtkWidget     *regenerate_button;
  GtkWidget     *branch_box;
  GtkWidget     *previous_branch_button;
  GtkWidget     *next_branch_button;
  GtkLabel      *branch_label;
  GtkWidget     *text_box;       /* one label per paragraph; hidden while editing */
  GtkWidget     *edit_box;       /* shown instead of text_box while editing */
  GtkTextView   *edit_view;
  GtkButton     *save_button;
  GtkLabel      *status_label;
  GtkLabel      *figures_label;

  SmMessage     *message;
  GString       *shown;          /* the text the labels show */
  GtkLabel      *tail;           /* the last paragraph's label */
  gboolean       markdown;       /* a reply is shown as Markdown */
  SmMarkdownView *markdown_view; /* then the text box's one child */
  guint          show_tick;      /* more of a long text to show, at the next frame */
  gboolean       in_parts;       /* a long text is being shown in parts */
  gboolean       at_once;        /* the text came at once, not streamed (SHOW_MAX) */
  GtkLabel      *rest_label;     /* what of a long text is not shown, once SHOW_MAX is */
  gboolean       last;
  gboolean       busy;
  guint          branch;         /* which of n_branches this message is */
  guint          n_branches;
};

G_DEFINE_FINAL_TYPE (SmMessageRow, sm_message_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  PROP_0,
  PROP_MESSAGE,
  N_PROPS
};

enum {
  EDITED,
  REGENERATE,
  SWITCH_BRANCH,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
is_editing (SmMessageRow *self)
{
  return gtk_widget_get_visible (self->edit_box);
}

/* The text and the editor take turns in the bubble (see the .ui for why not a GtkStack). */
static void
set_editing (SmMessageRow *self, gboolean editing)
{
  gtk_widget_set_visible (self->text_box, !editing);
  gtk_widget_set_visible (self->edit_box, editing);
}

static void
update_actions (SmMessageRow *self)
{
  gboolean editing = is_editing (self);
  gboolean idle = !self->busy;
  gboolean reply = sm_message_get_role (self->message) == SM_ROLE_ASSISTANT;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.edit", idle && !editing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.save", idle && editing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.regenerate", idle && reply && self->last);
  gtk_widget_set_visible (self->regenerate_button, reply && self->last);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.previous-branch", idle && self->branch > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.next-branch",
                                 idle && self->branch + 1 < self->n_branches);
}

/* A label holds at most about this much of a paragraph: laying out a label again costs its
 * whole text, and a 290 KB paragraph in one label took the main loop over a second per update
 * (Escape waited behind it) and was measured too tall (blank space under the text). */
#define CHUNK_BYTES 4096

/* A label for a new paragraph, or for the next chunk of the one before (@continued: no gap). */
static GtkLabel *
add_label (SmMessageRow *self, const char *text, gssize len, gboolean continued)
{
  g_autofree char *copy = g_strndup (text, len < 0 ? strlen (text) : (gsize) len);
  GtkWidget *label = gtk_label_new (copy);

  if (!continued && gtk_widget_get_first_child (self->text_box) != NULL)
    gtk_widget_set_margin_top (label, 8);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_natural_wrap_mode (GTK_LABEL (label), GTK_NATURAL_WRAP_WORD);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  sm_wrap_layout_attach (GTK_LABEL (label));
  gtk_box_append (GTK_BOX (self->text_box), label);
  return GTK_LABEL (label);
}

static GtkLabel *
add_paragraph (SmMessageRow *self, const char *text, gssize len)
{
  return add_label (self, text, len, FALSE);
}

/* Appends @text to the last paragraph, in labels of about CHUNK_BYTES: a label past it ends
 * after its next space (where a line could wrap anyway), or at 4 chunks in a text without one,
 * however much text comes at once (a busy main loop hands over more per update). */
static void
append_to_tail (SmMessageRow *self, const char *text, gssize len)
{
  gsize n = len < 0 ? strlen (text) : (gsize) len;

  if (self->tail == NULL)
    self->tail = add_paragraph (self, "", 0);
  while (n > 0)
    {
      g_autoptr (GString) para = g_string_new (gtk_label_get_text (self->tail));
      gsize take = n;

      if (para->len + n > CHUNK_BYTES)
        {
          gsize room = para->len < CHUNK_BYTES ? CHUNK_BYTES - para->len : 0;
          const char *space = room < n ? memchr (text + room, ' ', n - room) : NULL;

          if (space != NULL)
            take = (gsize) (space - text) + 1;
          else if (para->len + n > 4 * CHUNK_BYTES)
            {
              take = para->len < 4 * CHUNK_BYTES ? 4 * CHUNK_BYTES - para->len : 0;
              /* never inside a character */
              while (take < n && (text[take] & 0xc0) == 0x80)
                take++;
            }
        }
      if (take > 0)
        {
          g_string_append_len (para, text, (gssize) take);
          gtk_label_set_text (self->tail, para->str);
        }
      text += take;
      n -= take;
      if (n > 0)
        self->tail = add_label (self, "", 0, TRUE);
    }
}

/* A long text is shown this much per main-loop turn: laying out text costs milliseconds a KB
 * (a 1 MB message sent or opened at once held the main loop for seconds, and gave its 17 000
 * short paragraphs a label each).  The rest follows at idle, between frames. */
#define SHOW_AT_ONCE 2048
/* A text that comes at once is shown up to this much, and a note says how much more there is
 * (Copy takes all of it): a bubble is no place to read 1 MB, and showing it took over a minute
 * of frames.  A reply streamed token by token is shown whole, however long. */
#define SHOW_MAX (64 * 1024)

/* Appends @text (@len bytes) to what the labels show: the last paragraph grows, a newline
 * starts another.  A streamed reply thus lays out only its last paragraph again per update,
 * not the whole text (which, on long replies, took more CPU than the model itself). */
static void
show_more (SmMessageRow *self, const char *text, gsize len, gboolean group)
{
  const char *nl, *end = text + len;

  /* a long text shown in parts goes into labels of CHUNK_BYTES with its line breaks inside
   * them, not a label a paragraph (17 000 of them for a 1 MB chat log) */
  if (group)
    {
      append_to_tail (self, text, (gssize) len);
      return;
    }
  while ((nl = memchr (text, '\n', (gsize) (end - text))) != NULL)
    {
      append_to_tail (self, text, nl - text);
      self->tail = add_paragraph (self, "", 0);
      text = nl + 1;
    }
  if (text < end)
    append_to_tail (self, text, end - text);
}

static gboolean show_pending (GtkWidget *widget, GdkFrameClock *clock, gpointer data);

/* Shows up to SHOW_AT_ONCE more of the message's text (it extends self->shown). */
static void
show_next (SmMessageRow *self)
{
  const char *text = sm_message_get_text (self->message);
  gsize from = self->shown->len, n = strlen (text + from);
  gboolean group = n > SHOW_AT_ONCE || self->in_parts;

  if (from == 0)
    self->at_once = n > SHOW_AT_ONCE;
  if (self->rest_label != NULL || (self->at_once && from >= SHOW_MAX))
    {
      g_autofree char *size = g_format_size (n);
      /* Translators: %s is a size, "960.0 kB" */
      g_autofree char *note =
        g_strdup_printf (_("… and %s more, not shown here: Copy takes the whole message"), size);

      if (self->rest_label == NULL)
        {
          self->rest_label = add_label (self, "", 0, FALSE);
          gtk_widget_add_css_class (GTK_WIDGET (self->rest_label), "dim-label");
          gtk_label_set_selectable (self->rest_label, FALSE);
        }
      gtk_label_set_text (self->rest_label, note);
      self->in_parts = FALSE;
      return;
    }
  if (n > SHOW_AT_ONCE)
    {
      n = SHOW_AT_ONCE;
      /* never inside a character */
      while (n > 0 && ((guint8) text[from + n] & 0xc0) == 0x80)
        n--;
    }
  show_more (self, text + from, n, group);
  g_string_append_len (self->shown, text + from, (gssize) n);
  self->in_parts = text[from + n] != '\0';
  /* a part a frame: at idle, parts cheap to add came faster than frames and a frame had
   * all of them to lay out (64 KB, 150 ms) */
  if (self->in_parts && self->show_tick == 0)
    self->show_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), show_pending, NULL, NULL);
}

static gboolean
show_pending (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  SmMessageRow *self = SM_MESSAGE_ROW (widget);

  self->show_tick = 0;
  show_next (self);
  return G_SOURCE_REMOVE;
}

static void
stop_showing (SmMessageRow *self)
{
  if (self->show_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->show_tick);
  self->show_tick = 0;
}

/* Replies are Markdown when asked; what a person typed is shown as typed. */
static gboolean
shows_markdown (SmMessageRow *self)
{
  return self->markdown && sm_message_get_role (self->message) == SM_ROLE_ASSISTANT;
}

static void
clear_text (SmMessageRow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->text_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->text_box), child);
  self->tail = NULL;
  self->markdown_view = NULL;
  self->rest_label = NULL;
  g_string_truncate (self->shown, 0);
  self->in_parts = FALSE;
  stop_showing (self);
  if (shows_markdown (self))
    {
      self->markdown_view = SM_MARKDOWN_VIEW (sm_markdown_view_new ());
      gtk_box_append (GTK_BOX (self->text_box), GTK_WIDGET (self->markdown_view));
    }
}

static void
on_text_changed (SmMessageRow *self)
{
  const char *text = sm_message_get_text (self->message);

  /* edited or cleared: laid out anew */
  if (!g_str_has_prefix (text, self->shown->str))
    clear_text (self);
  if (self->markdown_view != NULL && self->shown->len == 0 && strlen (text) > SHOW_MAX)
    {
      /* a long text that comes at once (a saved reply opened) is shown raw, in parts and
       * capped as below: the Markdown view would lay all of it out in one go */
      gtk_box_remove (GTK_BOX (self->text_box), GTK_WIDGET (self->markdown_view));
      self->markdown_view = NULL;
    }
  if (self->markdown_view != NULL)
    {
      sm_markdown_view_append (self->markdown_view, text + self->shown->len, -1);
      g_string_assign (self->shown, text);
    }
  else if (self->show_tick == 0)
    /* a long text already under way goes on at its own pace */
    show_next (self);
}

static void
on_generating_changed (SmMessageRow *self)
{
  gboolean generating = sm_message_get_generating (self->message);
  GtkWidget *bubble = gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (self));

  gtk_widget_set_visible (self->writing_label, generating);

  if (generating)
    gtk_widget_add_css_class (bubble, "generating");
  else
    gtk_widget_remove_css_class (bubble, "generating");
  on_text_changed (self);
}

static void
on_status_changed (SmMessageRow *self)
{
  const char *status = sm_message_get_status (self->message);

  gtk_label_set_text (self->status_label, status ? status : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), status != NULL);
}

static void
on_figures_changed (SmMessageRow *self)
{
  g_autofree char *figures = sm_message_format_figures (self->message);

  gtk_label_set_text (self->figures_label, figures ? figures : "");
  gtk_widget_set_visible (GTK_WIDGET (self->figures_label), figures != NULL);
}

static void
copy_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SmMessageRow *self = SM_MESSAGE_ROW (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), sm_message_get_text (self->message));
  gtk_widget_activate_action (widget, "win.toast", "s", _("Copied"));
}

static void
edit_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  sm_message_row_begin_edit (SM_MESSAGE_ROW (widget));
}

static void
cancel_edit_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SmMessageRow *self = SM_MESSAGE_ROW (widget);

  set_editing (self, FALSE);
  update_actions (self);
}

static void
save_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SmMessageRow *self = SM_MESSAGE_ROW (widget);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->edit_view);
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  set_editing (self, FALSE);
  update_actions (self);
  g_signal_emit (self, signals[EDITED], 0, text);
}

static void
regenerate_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  g_signal_emit (widget, signals[REGENERATE], 0);
}

static void
previous_branch_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  g_signal_emit (widget, signals[SWITCH_BRANCH], 0, -1);
}

static void
next_branch_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  g_signal_emit (widget, signals[SWITCH_BRANCH], 0, 1);
}

static void
sm_message_row_dispose (GObject *object)
{
  SmMessageRow *self = SM_MESSAGE_ROW (object);

  if (self->message != NULL)
    g_signal_handlers_disconnect_by_data (self->message, self);
  g_clear_object (&self->message);
  stop_showing (self);
  self->tail = NULL;
  self->markdown_view = NULL;
  self->rest_label = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), SM_TYPE_MESSAGE_ROW);
  G_OBJECT_CLASS (sm_message_row_parent_class)->dispose (object);
}

static void
sm_message_row_finalize (GObject *object)
{
  SmMessageRow *self = SM_MESSAGE_ROW (object);

  g_string_free (self->shown, TRUE);
  G_OBJECT_CLASS (sm_message_row_parent_class)->finalize (object);
}

static void
sm_message_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmMessageRow *self = SM_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sm_message_row_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SmMessageRow *self = SM_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      self->message = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sm_message_row_constructed (GObject *object)
{
  SmMessageRow *self = SM_MESSAGE_ROW (object);
  gboolean user;

  G_OBJECT_CLASS (sm_message_row_parent_class)->constructed (object);
  g_assert (self->message != NULL);

  user = sm_message_get_role (self->message) == SM_ROLE_USER;
  gtk_label_set_text (self->role_label, user ? _("You") : _("SmallMind"));
  gtk_widget_add_css_class (GTK_WIDGET (self), user ? "user" : "assistant");
  gtk_button_set_label (self->save_button, user ? _("_Save and Send") : _("_Save and Continue"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  user ? _("Your message") : _("Reply"), -1);

  g_signal_connect_swapped (self->message, "notify::text", G_CALLBACK (on_text_changed), self);
  g_signal_connect_swapped (self->message, "notify::generating", G_CALLBACK (on_generating_changed), self);
  g_signal_connect_swapped (self->message, "notify::status", G_CALLBACK (on_status_changed), self);
  g_signal_connect_swapped (self->message, "notify::has-figures", G_CALLBACK (on_figures_changed), self);
  on_generating_changed (self);
  on_status_changed (self);
  on_figures_changed (self);
  update_actions (self);
}

static void
sm_message_row_class_init (SmMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_message_row_dispose;
  object_class->finalize = sm_message_row_finalize;
  object_class->get_property = sm_message_row_get_property;
  object_class->set_property = sm_message_row_set_property;
  object_class->constructed = sm_message_row_constructed;

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL, SM_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[EDITED] = g_signal_new ("edited", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[REGENERATE] = g_signal_new ("regenerate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* -1 or +1: the branch before or after this one */
  signals[SWITCH_BRANCH] = g_signal_new ("switch-branch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, role_label);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, writing_label);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, regenerate_button);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, branch_box);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, branch_label);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, previous_branch_button);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, next_branch_button);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, text_box);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, edit_box);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, edit_view);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, save_button);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, SmMessageRow, figures_label);

  gtk_widget_class_install_action (widget_class, "row.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "row.edit", NULL, edit_action);
  gtk_widget_class_install_action (widget_class, "row.cancel-edit", NULL, cancel_edit_action);
  gtk_widget_class_install_action (widget_class, "row.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "row.regenerate", NULL, regenerate_action);
  gtk_widget_class_install_action (widget_class, "row.previous-branch", NULL, previous_branch_action);
  gtk_widget_class_install_action (widget_class, "row.next-branch", NULL, next_branch_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "row.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "row.cancel-edit", NULL);
}

static void
sm_message_row_init (SmMessageRow *self)
{
  self->shown = g_string_new (NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
sm_message_row_new (SmMessage *message)
{
  g_return_val_if_fail (SM_IS_MESSAGE (message), NULL);
  return g_object_new (SM_TYPE_MESSAGE_ROW, "message", message, NULL);
}

SmMessage *
sm_message_row_get_message (SmMessageRow *self)
{
  g_return_val_if_fail (SM_IS_MESSAGE_ROW (self), NULL);
  return self->message;
}

void
sm_message_row_set_last (SmMessageRow *self, gboolean last)
{
  g_return_if_fail (SM_IS_MESSAGE_ROW (self));
  self->last = !!last;
  update_actions (self);
}

void
sm_message_row_set_branch (SmMessageRow *self, guint branch, guint n_branches)
{
  g_autofree char *text = NULL;
  g_autofree char *description = NULL;

  g_return_if_fail (SM_IS_MESSAGE_ROW (self));

  self->branch = branch;
  self->n_branches = n_branches;
  /* Translators: which version of a message is shown, of how many: "1/2" */
  text = g_strdup_printf (C_("branch", "%u/%u"), branch + 1, n_branches);
  gtk_label_set_text (self->branch_label, text);
  /* Translators: the tooltip of the "1/2" between the arrows */
  description = g_strdup_printf (_("Version %u of %u"), branch + 1, n_branches);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->branch_label), description);
  gtk_widget_set_visible (self->branch_box, n_branches > 1);
  update_actions (self);
}

void
sm_message_row_set_busy (SmMessageRow *self, gboolean busy)
{
  g_return_if_fail (SM_IS_MESSAGE_ROW (self));
  self->busy = !!busy;
  if (busy && is_editing (self))
    set_editing (self, FALSE);
  update_actions (self);
}

void
sm_message_row_set_markdown (SmMessageRow *self, gboolean markdown)
{
  g_return_if_fail (SM_IS_MESSAGE_ROW (self));

  if (self->markdown == !!markdown)
    return;
  self->markdown = !!markdown;
  clear_text (self);
  on_text_changed (self);
}

gboolean
sm_message_row_get_markdown (SmMessageRow *self)
{
  g_return_val_if_fail (SM_IS_MESSAGE_ROW (self), FALSE);
  return self->markdown_view != NULL;
}

void
sm_message_row_begin_edit (SmMessageRow *self)
{
  g_return_if_fail (SM_IS_MESSAGE_ROW (self));

  if (self->busy)
    return;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->edit_view),
                            sm_message_get_text (self->message), -1);
  set_editing (self, TRUE);
  update_actions (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->edit_view));
}
