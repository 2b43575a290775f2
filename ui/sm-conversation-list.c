/* sm-conversation-list.c: the saved conversations, searched, in a popover. */
#define G_LOG_DOMAIN "SmConversationList"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sm-conversation-list.h"

struct _SmConversationList {
  GtkPopover          parent_instance;

  /* template children */
  GtkSearchEntry     *search_entry;
  GtkListBox         *list;

  GtkLabel           *placeholder;
  GtkCustomFilter    *filter;
  char               *needle;      /* the search, casefolded; NULL: every conversation */
  SmConversation     *current;     /* the open one: a reference */
};

G_DEFINE_FINAL_TYPE (SmConversationList, sm_conversation_list, GTK_TYPE_POPOVER)

static gboolean
filter_func (gpointer item, gpointer data)
{
  SmConversationList *self = data;

  return self->needle == NULL || sm_conversation_matches (SM_CONVERSATION (item), self->needle);
}

static void
on_search_changed (SmConversationList *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry))));

  g_clear_pointer (&self->needle, g_free);
  if (*text != '\0')
    self->needle = g_utf8_casefold (text, -1);
  gtk_label_set_text (self->placeholder, self->needle ? _("No conversation matches the search")
                                                      : _("No saved conversations"));
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
on_row_activated (SmConversationList *self, GtkListBoxRow *row);

/* Enter in the search opens the first match. */
static void
on_search_activate (SmConversationList *self)
{
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (self->list, 0);

  if (first != NULL)
    on_row_activated (self, first);
}

static void
on_row_activated (SmConversationList *self, GtkListBoxRow *row)
{
  SmConversation *c = g_object_get_data (G_OBJECT (row), "sm-conversation");

  gtk_widget_activate_action (GTK_WIDGET (self), "win.open-conversation", "s", sm_conversation_get_id (c));
}

static GtkWidget *
row_button (SmConversation *c, const char *icon, const char *action, const char *tooltip,
            const char *label)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", sm_conversation_get_id (c));
  return button;
}

static void
mark_row (SmConversationList *self, GtkWidget *row)
{
  SmConversation *c = g_object_get_data (G_OBJECT (row), "sm-conversation");
  GtkWidget *check = g_object_get_data (G_OBJECT (row), "sm-check");

  /* the icon keeps its place when not shown, so the titles line up */
  gtk_widget_set_opacity (check, c == self->current ? 1 : 0);
  gtk_accessible_update_state (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_STATE_HIDDEN, c != self->current, -1);
  if (c == self->current)
    gtk_widget_add_css_class (row, "current");
  else
    gtk_widget_remove_css_class (row, "current");
}

static GtkWidget *
create_row (gpointer item, gpointer data)
{
  SmConversationList *self = data;
  SmConversation *c = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_local (sm_conversation_get_modified (c));
  g_autofree char *subtitle = g_date_time_format (when, "%x %X");

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  g_object_bind_property (c, "title", row, "title", G_BINDING_SYNC_CREATE);
  g_object_bind_property (c, "title", row, "tooltip-text", G_BINDING_SYNC_CREATE);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 2);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "sm-conversation", g_object_ref (c), g_object_unref);

  gtk_widget_set_tooltip_text (check, _("The open conversation"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("The open conversation"), -1);
  g_object_set_data (G_OBJECT (row), "sm-check", check);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             row_button (c, "document-edit-symbolic", "win.rename-conversation",
                                         _("Rename"), _("Rename the conversation")));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             row_button (c, "user-trash-symbolic", "win.delete-conversation",
                                         _("Delete"), _("Delete the conversation")));
  mark_row (self, row);
  return row;
}

static void
sm_conversation_list_dispose (GObject *object)
{
  SmConversationList *self = SM_CONVERSATION_LIST (object);

  g_clear_object (&self->current);
  gtk_widget_dispose_template (GTK_WIDGET (self), SM_TYPE_CONVERSATION_LIST);
  G_OBJECT_CLASS (sm_conversation_list_parent_class)->dispose (object);
}

static void
sm_conversation_list_finalize (GObject *object)
{
  SmConversationList *self = SM_CONVERSATION_LIST (object);

  g_clear_object (&self->filter);
  g_free (self->needle);
  G_OBJECT_CLASS (sm_conversation_list_parent_class)->finalize (object);
}

static void
sm_conversation_list_class_init (SmConversationListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_conversation_list_dispose;
  object_class->finalize = sm_conversation_list_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/smallmind/Playground/sm-conversation-list.ui");
  gtk_widget_class_bind_template_child (widget_class, SmConversationList, search_entry);
  gtk_widget_class_bind_template_child (widget_class, SmConversationList, list);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
}

static void
sm_conversation_list_init (SmConversationList *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->placeholder = GTK_LABEL (gtk_label_new (_("No saved conversations")));
  gtk_label_set_wrap (self->placeholder, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->placeholder), "dim-label");
  gtk_widget_set_margin_top (GTK_WIDGET (self->placeholder), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->placeholder), 12);
  gtk_list_box_set_placeholder (self->list, GTK_WIDGET (self->placeholder));
  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
}

void
sm_conversation_list_set_store (SmConversationList *self, SmConversationStore *store)
{
  GtkFilterListModel *filtered;

  g_return_if_fail (SM_IS_CONVERSATION_LIST (self));
  g_return_if_fail (SM_IS_CONVERSATION_STORE (store));

  filtered = gtk_filter_list_model_new (g_object_ref (sm_conversation_store_get_list (store)),
                                        GTK_FILTER (g_object_ref (self->filter)));
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (filtered), create_row, self, NULL);
  g_object_unref (filtered);   /* the list box holds it */
}

void
sm_conversation_list_set_current (SmConversationList *self, SmConversation *conversation)
{
  GtkListBoxRow *row;

  g_return_if_fail (SM_IS_CONVERSATION_LIST (self));

  g_set_object (&self->current, conversation);
  for (guint i = 0; (row = gtk_list_box_get_row_at_index (self->list, i)) != NULL; i++)
    mark_row (self, GTK_WIDGET (row));
}
