/* sm-conversation.c: a conversation and its prompt. */
#define G_LOG_DOMAIN "SmConversation"

#include <glib/gi18n.h>

#include "sm-conversation.h"

#include <string.h>

struct _SmConversation {
  GObject     parent_instance;

  char       *id;
  char       *title;
  gint64      created;     /* unix time in ms: several changes a second must still sort */
  gint64      modified;
  GListStore *messages;    /* SmMessage */
};

G_DEFINE_FINAL_TYPE (SmConversation, sm_conversation, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TITLE,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

#define TITLE_CHARS 48

static void
update_title (SmConversation *self)
{
  g_autofree char *title = NULL;
  SmMessage *first = sm_conversation_get_message (self, 0);

  if (first != NULL && *sm_message_get_text (first) != '\0')
    {
      g_autofree char *flat = g_strdup (sm_message_get_text (first));
      const char *end;

      g_strdelimit (g_strstrip (flat), "\n\r\t", ' ');
      end = g_utf8_offset_to_pointer (flat, MIN (g_utf8_strlen (flat, -1), TITLE_CHARS));
      title = g_strndup (flat, end - flat);
      if (*end != '\0')
        {
          char *t = g_strconcat (title, "…", NULL);
          g_free (title);
          title = t;
        }
    }
  if (g_strcmp0 (title, self->title) != 0)
    {
      g_free (self->title);
      self->title = g_steal_pointer (&title);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
    }
}

static void
sm_conversation_finalize (GObject *object)
{
  SmConversation *self = SM_CONVERSATION (object);

  g_free (self->id);
  g_free (self->title);
  g_clear_object (&self->messages);
  G_OBJECT_CLASS (sm_conversation_parent_class)->finalize (object);
}

static void
sm_conversation_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmConversation *self = SM_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, sm_conversation_get_title (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sm_conversation_class_init (SmConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sm_conversation_finalize;
  object_class->get_property = sm_conversation_get_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sm_conversation_init (SmConversation *self)
{
  self->id = g_uuid_string_random ();
  self->created = self->modified = g_get_real_time () / 1000;
  self->messages = g_list_store_new (SM_TYPE_MESSAGE);
}

SmConversation *
sm_conversation_new (void)
{
  return g_object_new (SM_TYPE_CONVERSATION, NULL);
}

const char *
sm_conversation_get_id (SmConversation *self)
{
  g_return_val_if_fail (SM_IS_CONVERSATION (self), NULL);
  return self->id;
}

const char *
sm_conversation_get_title (SmConversation *self)
{
  g_return_val_if_fail (SM_IS_CONVERSATION (self), NULL);
  return self->title ? self->title : _("New conversation");
}

gint64
sm_conversation_get_modified (SmConversation *self)
{
  g_return_val_if_fail (SM_IS_CONVERSATION (self), 0);
  return self->modified / 1000;
}

gint64
sm_conversation_get_modified_ms (SmConversation *self)
{
  g_return_val_if_fail (SM_IS_CONVERSATION (self), 0);
  return self->modified;
}

GListModel *
sm_conversation_get_messages (SmConversation *self)
{
  g_return_val_if_fail (SM_IS_CONVERSATION (self), NULL);
  return G_LIST_MODEL (self->messages);
}

guint
sm_conversation_get_n_messages (SmConversation *self)
{
  g_return_val_if_fail (SM_IS_CONVERSATION (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->messages));
}

SmMessage *
sm_conversation_get_message (SmConversation *self, guint index)
{
  g_autoptr (SmMessage) message = NULL;

  g_return_val_if_fail (SM_IS_CONVERSATION (self), NULL);

  /* The store keeps its reference: borrowed is safe while the message stays in it. */
  message = g_list_model_get_item (G_LIST_MODEL (self->messages), index);
  return message;
}

SmMessage *
sm_conversation_get_last (SmConversation *self)
{
  guint n = sm_conversation_get_n_messages (self);
  return n > 0 ? sm_conversation_get_message (self, n - 1) : NULL;
}

void
sm_conversation_changed (SmConversation *self)
{
  g_return_if_fail (SM_IS_CONVERSATION (self));

  /* strictly increasing, so the newest change sorts first even within a millisecond */
  self->modified = MAX (g_get_real_time () / 1000, self->modified + 1);
  update_title (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
sm_conversation_append (SmConversation *self, SmMessage *message)
{
  g_return_if_fail (SM_IS_CONVERSATION (self));
  g_return_if_fail (SM_IS_MESSAGE (message));

  g_list_store_append (self->messages, message);
  sm_conversation_changed (self);
}

void
sm_conversation_truncate (SmConversation *self, guint index)
{
  guint n = sm_conversation_get_n_messages (self);

  g_return_if_fail (SM_IS_CONVERSATION (self));

  if (index >= n)
    return;
  g_list_store_splice (self->messages, index, n - index, NULL, 0);
  sm_conversation_changed (self);
}

void
sm_conversation_clear (SmConversation *self)
{
  sm_conversation_truncate (self, 0);
}

char *
sm_conversation_build_prompt (SmConversation *self, guint n_messages)
{
  GString *prompt = g_string_new (NULL);

  g_return_val_if_fail (SM_IS_CONVERSATION (self), NULL);

  n_messages = MIN (n_messages, sm_conversation_get_n_messages (self));
  for (guint i = 0; i < n_messages; i++)
    {
      SmMessage *m = sm_conversation_get_message (self, i);

      /* A reply continues the text before it; a new turn starts on a new line.  Keeping the
       * joins stable keeps the prompt a prefix of the next one, so the engine's cache reuses
       * everything already read. */
      if (i > 0 && sm_message_get_role (m) == SM_ROLE_USER)
        g_string_append_c (prompt, '\n');
      g_string_append (prompt, sm_message_get_text (m));
    }
  return g_string_free (prompt, FALSE);
}

SmChatTurn *
sm_conversation_dup_turns (SmConversation *self, guint n_messages, char ***texts, gsize *n_turns)
{
  SmChatTurn *turns;

  g_return_val_if_fail (SM_IS_CONVERSATION (self), NULL);
  g_return_val_if_fail (texts != NULL && n_turns != NULL, NULL);

  n_messages = MIN (n_messages, sm_conversation_get_n_messages (self));
  turns = g_new0 (SmChatTurn, MAX (n_messages, 1));
  *texts = g_new0 (char *, n_messages + 1);
  for (guint i = 0; i < n_messages; i++)
    {
      SmMessage *m = sm_conversation_get_message (self, i);

      (*texts)[i] = g_strdup (sm_message_get_text (m));
      turns[i].role = sm_message_get_role (m) == SM_ROLE_USER ? "user" : "assistant";
      turns[i].content = (*texts)[i];
    }
  *n_turns = n_messages;
  return turns;
}

/* ---- JSON and Markdown ----------------------------------------------------------------------- */

JsonNode *
sm_conversation_to_json (SmConversation *self)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  guint n = sm_conversation_get_n_messages (self);

  g_return_val_if_fail (SM_IS_CONVERSATION (self), NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "smallmind-conversation");
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, self->id);
  json_builder_set_member_name (b, "created_ms");
  json_builder_add_int_value (b, self->created);
  json_builder_set_member_name (b, "modified_ms");
  json_builder_add_int_value (b, self->modified);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    json_builder_add_value (b, sm_message_to_json (sm_conversation_get_message (self, i)));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

SmConversation *
sm_conversation_new_from_json (JsonNode *node, GError **error)
{
  g_autoptr (SmConversation) self = NULL;
  JsonObject *o;
  JsonArray *messages;
  const char *id;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) ||
      g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (node), "format", NULL),
                 "smallmind-conversation") != 0)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                           _("This is not a SmallMind conversation"));
      return NULL;
    }
  o = json_node_get_object (node);
  if (!json_object_has_member (o, "messages") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "messages")))
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                           _("The conversation has no messages list"));
      return NULL;
    }

  self = sm_conversation_new ();
  id = json_object_get_string_member_with_default (o, "id", NULL);
  if (id != NULL && g_uuid_string_is_valid (id))
    {
      g_free (self->id);
      self->id = g_strdup (id);
    }
  self->created = json_object_get_int_member_with_default (o, "created_ms", self->created);
  messages = json_object_get_array_member (o, "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      g_autoptr (SmMessage) m = sm_message_new_from_json (json_array_get_element (messages, i), error);
      if (m == NULL)
        return NULL;
      g_list_store_append (self->messages, m);
    }
  self->modified = json_object_get_int_member_with_default (o, "modified_ms", self->created);
  update_title (self);
  return g_steal_pointer (&self);
}

char *
sm_conversation_to_markdown (SmConversation *self)
{
  GString *md = g_string_new (NULL);
  guint n = sm_conversation_get_n_messages (self);

  g_return_val_if_fail (SM_IS_CONVERSATION (self), NULL);

  g_string_append_printf (md, "# %s\n\n", sm_conversation_get_title (self));
  for (guint i = 0; i < n; i++)
    {
      SmMessage *m = sm_conversation_get_message (self, i);
      g_autofree char *figures = sm_message_format_figures (m);
      g_auto (GStrv) lines = g_strsplit (sm_message_get_text (m), "\n", -1);

      g_string_append_printf (md, "**%s**\n\n", sm_message_get_role (m) == SM_ROLE_USER
                                                  ? _("You") : _("SmallMind"));
      /* quoted, so the model's text cannot break the document's structure */
      for (guint j = 0; lines[j] != NULL; j++)
        g_string_append_printf (md, "> %s\n", lines[j]);
      if (figures != NULL)
        g_string_append_printf (md, "\n*%s*\n", figures);
      g_string_append_c (md, '\n');
    }
  return g_string_free (md, FALSE);
}
