/* sm-conversation.c: a conversation and its prompt. */
#define G_LOG_DOMAIN "SmConversation"

#include <glib/gi18n.h>

#include "sm-conversation.h"
#include "sm-json-read.h"

#include <string.h>

/* A message in the tree, with the messages that follow it (its branches). */
typedef struct _Node Node;
struct _Node {
  SmMessage *message;    /* NULL for the root, which holds the first turns */
  Node      *parent;
  GPtrArray *children;   /* Node *, oldest first */
  guint      shown;      /* the child on the shown path */
};

struct _SmConversation {
  GObject     parent_instance;

  char       *id;
  char       *title;
  char       *custom_title; /* the user's, NULL when none */
  gint64      created;     /* unix time in ms: several changes a second must still sort */
  gint64      modified;
  Node       *root;
  GHashTable *nodes;       /* SmMessage * -> its Node * */
  GListStore *messages;    /* SmMessage: the shown path */
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

/* ---- the tree ------------------------------------------------------------------------------- */

static void
node_free (gpointer data)
{
  Node *node = data;

  g_ptr_array_unref (node->children);
  g_clear_object (&node->message);
  g_free (node);
}

static Node *
node_add_child (SmConversation *self, Node *parent, SmMessage *message)
{
  Node *node = g_new0 (Node, 1);

  node->message = g_object_ref (message);
  node->parent = parent;
  node->children = g_ptr_array_new_with_free_func (node_free);
  g_ptr_array_add (parent->children, node);
  g_hash_table_insert (self->nodes, message, node);
  return node;
}

static void
forget_subtree (SmConversation *self, Node *node)
{
  g_hash_table_remove (self->nodes, node->message);
  for (guint i = 0; i < node->children->len; i++)
    forget_subtree (self, g_ptr_array_index (node->children, i));
}

static Node *
shown_leaf (SmConversation *self)
{
  Node *node = self->root;

  while (node->children->len > 0)
    node = g_ptr_array_index (node->children, node->shown);
  return node;
}

/* The list follows the shown path; rows of the part that stayed are left alone, so a branch
 * switched further down does not lay out the whole conversation again. */
static void
sync_path (SmConversation *self)
{
  g_autoptr (GPtrArray) path = g_ptr_array_new ();
  GListModel *list = G_LIST_MODEL (self->messages);
  guint n_old = g_list_model_get_n_items (list);
  guint k = 0;

  for (Node *node = self->root; node->children->len > 0; )
    {
      node = g_ptr_array_index (node->children, node->shown);
      g_ptr_array_add (path, node->message);
    }
  while (k < n_old && k < path->len)
    {
      g_autoptr (SmMessage) item = g_list_model_get_item (list, k);
      if (item != g_ptr_array_index (path, k))
        break;
      k++;
    }
  if (k < n_old || k < path->len)
    g_list_store_splice (self->messages, k, n_old - k, path->pdata + k, path->len - k);
}

static void
update_title (SmConversation *self)
{
  g_autofree char *title = NULL;
  SmMessage *first = sm_conversation_get_message (self, 0);

  if (self->custom_title != NULL)
    title = g_strdup (self->custom_title);
  else if (first != NULL && *sm_message_get_text (first) != '\0')
    {
      /* the title's characters lie in the first few hundred bytes past the leading white
       * space: copying and measuring a 1 MB message for them took 50 ms a change */
      const char *text = sm_message_get_text (first);
      g_autofree char *flat = NULL;
      const char *end;
      gsize n;

      while (g_ascii_isspace (*text))
        text++;
      for (n = 0; text[n] != '\0' && n < 8 * TITLE_CHARS; n++)
        ;
      while (text[n] != '\0' && ((guint8) text[n] & 0xc0) == 0x80)
        n++;
      flat = g_strndup (text, n);

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
  g_free (self->custom_title);
  g_clear_object (&self->messages);
  g_hash_table_unref (self->nodes);
  node_free (self->root);
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
  self->root = g_new0 (Node, 1);
  self->root->children = g_ptr_array_new_with_free_func (node_free);
  self->nodes = g_hash_table_new (NULL, NULL);
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
  Node *leaf;

  g_return_if_fail (SM_IS_CONVERSATION (self));
  g_return_if_fail (SM_IS_MESSAGE (message));
  g_return_if_fail (!g_hash_table_contains (self->nodes, message));

  leaf = shown_leaf (self);
  node_add_child (self, leaf, message);
  leaf->shown = leaf->children->len - 1;
  sync_path (self);
  sm_conversation_changed (self);
}

void
sm_conversation_add_branch (SmConversation *self, SmMessage *sibling, SmMessage *message)
{
  Node *node;

  g_return_if_fail (SM_IS_CONVERSATION (self));
  g_return_if_fail (SM_IS_MESSAGE (message));
  g_return_if_fail (!g_hash_table_contains (self->nodes, message));

  node = g_hash_table_lookup (self->nodes, sibling);
  g_return_if_fail (node != NULL);
  node_add_child (self, node->parent, message);
  node->parent->shown = node->parent->children->len - 1;
  sync_path (self);
  sm_conversation_changed (self);
}

void
sm_conversation_remove (SmConversation *self, SmMessage *message)
{
  Node *node, *parent;
  guint index;

  g_return_if_fail (SM_IS_CONVERSATION (self));

  if ((node = g_hash_table_lookup (self->nodes, message)) == NULL)
    return;
  parent = node->parent;
  if (!g_ptr_array_find (parent->children, node, &index))
    g_assert_not_reached ();
  forget_subtree (self, node);
  g_ptr_array_remove_index (parent->children, index);
  /* the branch written before it comes back: a failed regeneration leaves the old reply */
  if (parent->shown > index || (parent->shown == index && index > 0))
    parent->shown--;
  sync_path (self);
  sm_conversation_changed (self);
}

void
sm_conversation_clear (SmConversation *self)
{
  g_return_if_fail (SM_IS_CONVERSATION (self));

  g_hash_table_remove_all (self->nodes);
  g_ptr_array_set_size (self->root->children, 0);
  self->root->shown = 0;
  sync_path (self);
  sm_conversation_changed (self);
}

guint
sm_conversation_get_n_branches (SmConversation *self, SmMessage *message)
{
  Node *node;

  g_return_val_if_fail (SM_IS_CONVERSATION (self), 0);

  node = g_hash_table_lookup (self->nodes, message);
  return node != NULL ? node->parent->children->len : 0;
}

guint
sm_conversation_get_branch (SmConversation *self, SmMessage *message)
{
  Node *node;
  guint index = 0;

  g_return_val_if_fail (SM_IS_CONVERSATION (self), 0);

  if ((node = g_hash_table_lookup (self->nodes, message)) != NULL)
    g_ptr_array_find (node->parent->children, node, &index);
  return index;
}

void
sm_conversation_select_branch (SmConversation *self, SmMessage *message, guint index)
{
  Node *node;

  g_return_if_fail (SM_IS_CONVERSATION (self));

  node = g_hash_table_lookup (self->nodes, message);
  g_return_if_fail (node != NULL);
  if (index >= node->parent->children->len || index == node->parent->shown)
    return;
  node->parent->shown = index;
  sync_path (self);
  sm_conversation_changed (self);   /* the choice is saved: it comes back after a restart */
}

void
sm_conversation_set_title (SmConversation *self, const char *title)
{
  g_autofree char *stripped = g_strstrip (g_strdup (title ? title : ""));

  g_return_if_fail (SM_IS_CONVERSATION (self));

  g_free (self->custom_title);
  self->custom_title = *stripped != '\0' ? g_steal_pointer (&stripped) : NULL;
  sm_conversation_changed (self);
}

static gboolean
text_matches (const char *text, const char *casefolded)
{
  g_autofree char *folded = g_utf8_casefold (text, -1);
  return strstr (folded, casefolded) != NULL;
}

gboolean
sm_conversation_matches (SmConversation *self, const char *casefolded)
{
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (SM_IS_CONVERSATION (self), FALSE);

  if (casefolded == NULL || *casefolded == '\0' ||
      text_matches (sm_conversation_get_title (self), casefolded))
    return TRUE;
  g_hash_table_iter_init (&iter, self->nodes);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (text_matches (sm_message_get_text (key), casefolded))
      return TRUE;
  return FALSE;
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

/* The tree goes to "messages" in depth-first order, every message followed by its first
 * branch.  A message names the one it follows ("parent", its index; -1 for a first turn) only
 * when that is not the message just before it, so a conversation without branches is written as
 * version 1 wrote every conversation, and a version 1 file reads as one line of turns.  Where a
 * message has several followers, the shown one says "shown". */
static void
write_node (JsonBuilder *b, Node *node, int parent_index, int *next_index)
{
  int index = (*next_index)++;
  g_autoptr (JsonNode) m = sm_message_to_json (node->message);
  JsonObject *o = json_node_get_object (m);
  Node *parent = node->parent;

  if (parent_index != index - 1)
    json_object_set_int_member (o, "parent", parent_index);
  if (parent->children->len > 1 && g_ptr_array_index (parent->children, parent->shown) == node)
    json_object_set_boolean_member (o, "shown", TRUE);
  json_builder_add_value (b, g_steal_pointer (&m));
  for (guint i = 0; i < node->children->len; i++)
    write_node (b, g_ptr_array_index (node->children, i), index, next_index);
}

JsonNode *
sm_conversation_to_json (SmConversation *self)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  int next_index = 0;

  g_return_val_if_fail (SM_IS_CONVERSATION (self), NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "smallmind-conversation");
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 2);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, self->id);
  if (self->custom_title != NULL)
    {
      json_builder_set_member_name (b, "title");
      json_builder_add_string_value (b, self->custom_title);
    }
  json_builder_set_member_name (b, "created_ms");
  json_builder_add_int_value (b, self->created);
  json_builder_set_member_name (b, "modified_ms");
  json_builder_add_int_value (b, self->modified);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->root->children->len; i++)
    write_node (b, g_ptr_array_index (self->root->children, i), -1, &next_index);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

SmConversation *
sm_conversation_new_from_json (JsonNode *node, GError **error)
{
  g_autoptr (SmConversation) self = NULL;
  g_autoptr (GPtrArray) read = NULL;      /* Node *, in file order */
  g_autoptr (GHashTable) chosen = NULL;   /* Node * whose shown child the file named */
  JsonObject *o;
  JsonArray *messages;
  const char *id, *title;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) ||
      g_strcmp0 (sm_json_read_string (json_node_get_object (node), "format", NULL),
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
  id = sm_json_read_string (o, "id", NULL);
  if (id != NULL && g_uuid_string_is_valid (id))
    {
      g_free (self->id);
      self->id = g_strdup (id);
    }
  title = sm_json_read_string (o, "title", NULL);
  if (title != NULL && *title != '\0')
    self->custom_title = g_utf8_make_valid (title, -1);   /* as sm_message_new_from_json's text */
  self->created = sm_json_read_int (o, "created_ms", self->created);
  messages = json_object_get_array_member (o, "messages");
  read = g_ptr_array_new ();
  chosen = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *element = json_array_get_element (messages, i);
      g_autoptr (SmMessage) m = sm_message_new_from_json (element, error);
      JsonObject *mo;
      gint64 parent_index;
      Node *parent;

      if (m == NULL)
        return NULL;
      mo = json_node_get_object (element);
      parent_index = sm_json_read_int (mo, "parent", (gint64) i - 1);
      if (parent_index < -1 || parent_index >= (gint64) i)
        {
          g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                       _("Message %u follows a message that is not before it"), i + 1);
          return NULL;
        }
      parent = parent_index < 0 ? self->root : g_ptr_array_index (read, parent_index);
      g_ptr_array_add (read, node_add_child (self, parent, m));
      /* the named branch, else the newest */
      if (sm_json_read_bool (mo, "shown", FALSE))
        g_hash_table_add (chosen, parent);
      if (sm_json_read_bool (mo, "shown", FALSE) ||
          !g_hash_table_contains (chosen, parent))
        parent->shown = parent->children->len - 1;
    }
  sync_path (self);
  self->modified = sm_json_read_int (o, "modified_ms", self->created);
  update_title (self);
  return g_steal_pointer (&self);
}

SmConversation *
sm_conversation_new_from_data (const char *data, gsize length, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (data == NULL)
    data = "";   /* an empty file's mapping has no contents */

  if (sm_json_depth (data, length) > SM_JSON_READ_MAX_DEPTH)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   _("The conversation nests deeper than %d levels"), SM_JSON_READ_MAX_DEPTH);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, (gssize) length, error))
    return NULL;
  return sm_conversation_new_from_json (json_parser_get_root (parser), error);
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

      const SmMessageFigures *f = sm_message_get_figures (m);

      if (sm_message_get_role (m) == SM_ROLE_USER)
        g_string_append_printf (md, "**%s**\n\n", _("You"));
      else if (f != NULL && f->model != NULL)
        /* Translators: who wrote a reply, in an exported conversation; %s is the model */
        g_string_append_printf (md, "**%s** (%s)\n\n", _("SmallMind"), f->model);
      else
        g_string_append_printf (md, "**%s**\n\n", _("SmallMind"));
      /* quoted, so the model's text cannot break the document's structure; each line ends in a
       * hard break (a backslash), or Markdown would join the lines into one paragraph */
      for (guint j = 0; lines[j] != NULL; j++)
        {
          gboolean last = lines[j + 1] == NULL || *lines[j + 1] == '\0' || *lines[j] == '\0';
          g_string_append_printf (md, "> %s%s\n", lines[j], last ? "" : "\\");
        }
      if (figures != NULL)
        g_string_append_printf (md, "\n*%s*\n", figures);
      g_string_append_c (md, '\n');
    }
  return g_string_free (md, FALSE);
}
