/* sm-conversation-store.c: conversations on disk. */
#define G_LOG_DOMAIN "SmConversationStore"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sm-conversation-store.h"

/* Changes within this window are written once. */
#define SAVE_DELAY_MS 150

struct _SmConversationStore {
  GObject       parent_instance;

  char         *dir;
  GListStore   *list;      /* SmConversation, newest first */
  GHashTable   *pending;   /* SmConversation * -> itself: waiting for the save timer */
  GHashTable   *trash;     /* id -> SmConversation: deleted, its file kept until purged */
  guint         save_source;
  GThreadPool  *writer;    /* one thread: writes land in the order they were asked for */
  GMainContext *context;
};

G_DEFINE_FINAL_TYPE (SmConversationStore, sm_conversation_store, G_TYPE_OBJECT)

enum {
  ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  char                *path;
  char                *contents;     /* NULL: delete the file */
  gsize                length;
  SmConversationStore *store;        /* alive: dispose waits for every job */
} WriteJob;

typedef struct {
  SmConversationStore *store;        /* a reference, dropped on the main context */
  char                *message;
} ErrorReport;

static gboolean
report_error_cb (gpointer data)
{
  ErrorReport *r = data;

  g_signal_emit (r->store, signals[ERROR], 0, r->message);
  g_object_unref (r->store);
  g_free (r->message);
  g_free (r);
  return G_SOURCE_REMOVE;
}

/* Writer thread. */
static void
write_job (gpointer data, gpointer user_data)
{
  WriteJob *job = data;
  GMainContext *context = user_data;
  g_autoptr (GError) error = NULL;

  if (job->contents != NULL)
    g_file_set_contents_full (job->path, job->contents, job->length,
                              G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  else if (g_unlink (job->path) != 0 && errno != ENOENT)
    g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s", g_strerror (errno));

  if (error != NULL)
    {
      ErrorReport *r = g_new0 (ErrorReport, 1);
      g_autofree char *name = g_filename_display_name (job->path);

      r->store = g_object_ref (job->store);
      r->message = g_strdup_printf (_("Could not save the conversation to “%s”: %s"), name,
                                    error->message);
      g_main_context_invoke (context, report_error_cb, r);
    }

  g_free (job->path);
  g_free (job->contents);
  g_free (job);
}

static char *
conversation_path (SmConversationStore *self, SmConversation *conversation)
{
  g_autofree char *name = g_strconcat (sm_conversation_get_id (conversation), ".json", NULL);
  return g_build_filename (self->dir, name, NULL);
}

static void
queue_write (SmConversationStore *self, SmConversation *conversation)
{
  WriteJob *job = g_new0 (WriteJob, 1);

  job->path = conversation_path (self, conversation);
  job->store = self;
  /* An empty conversation is not worth a file; one that became empty loses its file. */
  if (sm_conversation_get_n_messages (conversation) > 0)
    {
      g_autoptr (JsonNode) root = sm_conversation_to_json (conversation);
      job->contents = sm_json_to_string (root, TRUE);
      job->length = strlen (job->contents);
    }
  g_thread_pool_push (self->writer, job, NULL);
}

static void
write_pending (SmConversationStore *self)
{
  GHashTableIter iter;
  gpointer key;

  g_clear_handle_id (&self->save_source, g_source_remove);
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    queue_write (self, key);
  g_hash_table_remove_all (self->pending);
}

static gboolean
save_timeout_cb (gpointer data)
{
  SmConversationStore *self = data;

  self->save_source = 0;
  write_pending (self);
  return G_SOURCE_REMOVE;
}

static void
move_to_front (SmConversationStore *self, SmConversation *conversation)
{
  guint pos;

  if (g_list_store_find (self->list, conversation, &pos) && pos != 0)
    {
      g_object_ref (conversation);
      g_list_store_remove (self->list, pos);
      g_list_store_insert (self->list, 0, conversation);
      g_object_unref (conversation);
    }
}

static void
schedule_save (SmConversationStore *self, SmConversation *conversation)
{
  g_hash_table_add (self->pending, g_object_ref (conversation));   /* replaces the same key */
  if (self->save_source == 0)
    self->save_source = g_timeout_add (SAVE_DELAY_MS, save_timeout_cb, self);
}

static void
on_changed (SmConversation *conversation, SmConversationStore *self)
{
  schedule_save (self, conversation);
  move_to_front (self, conversation);
}

static void
sm_conversation_store_dispose (GObject *object)
{
  SmConversationStore *self = SM_CONVERSATION_STORE (object);

  if (self->writer != NULL)
    {
      write_pending (self);
      /* waits for every queued write */
      g_thread_pool_free (g_steal_pointer (&self->writer), FALSE, TRUE);
    }
  if (self->list != NULL)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->list));
      for (guint i = 0; i < n; i++)
        {
          g_autoptr (SmConversation) c = g_list_model_get_item (G_LIST_MODEL (self->list), i);
          g_signal_handlers_disconnect_by_func (c, on_changed, self);
        }
      g_clear_object (&self->list);
    }
  G_OBJECT_CLASS (sm_conversation_store_parent_class)->dispose (object);
}

static void
sm_conversation_store_finalize (GObject *object)
{
  SmConversationStore *self = SM_CONVERSATION_STORE (object);

  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->trash);
  g_main_context_unref (self->context);
  g_free (self->dir);
  G_OBJECT_CLASS (sm_conversation_store_parent_class)->finalize (object);
}

static void
sm_conversation_store_class_init (SmConversationStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sm_conversation_store_dispose;
  object_class->finalize = sm_conversation_store_finalize;

  /* A message for the user: a write failed. */
  signals[ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sm_conversation_store_init (SmConversationStore *self)
{
  self->list = g_list_store_new (SM_TYPE_CONVERSATION);
  self->pending = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->trash = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->context = g_main_context_ref_thread_default ();
  self->writer = g_thread_pool_new (write_job, self->context, 1, TRUE, NULL);
}

SmConversationStore *
sm_conversation_store_new (const char *dir)
{
  SmConversationStore *self = g_object_new (SM_TYPE_CONVERSATION_STORE, NULL);

  self->dir = dir ? g_strdup (dir)
                  : g_build_filename (g_get_user_data_dir (), "smallmind", "conversations", NULL);
  return self;
}

const char *
sm_conversation_store_get_dir (SmConversationStore *self)
{
  g_return_val_if_fail (SM_IS_CONVERSATION_STORE (self), NULL);
  return self->dir;
}

static int
compare_modified (gconstpointer a, gconstpointer b, gpointer user_data)
{
  gint64 ma = sm_conversation_get_modified_ms ((SmConversation *) a);
  gint64 mb = sm_conversation_get_modified_ms ((SmConversation *) b);

  if (ma != mb)
    return ma < mb ? 1 : -1;
  return g_strcmp0 (sm_conversation_get_id ((SmConversation *) a), sm_conversation_get_id ((SmConversation *) b));
}

gboolean
sm_conversation_store_load (SmConversationStore *self, GError **error)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (GString) bad = g_string_new (NULL);
  const char *name;

  g_return_val_if_fail (SM_IS_CONVERSATION_STORE (self), FALSE);

  if (g_mkdir_with_parents (self->dir, 0700) != 0)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (self->dir);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Could not create the folder “%s”: %s"), display, g_strerror (saved));
      return FALSE;
    }
  if ((dir = g_dir_open (self->dir, 0, &local)) == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr (GMappedFile) file = NULL;
      g_autoptr (SmConversation) conversation = NULL;
      g_autoptr (GError) e = NULL;

      /* the writer's temporary files end in a random suffix, not .json */
      if (!g_str_has_suffix (name, ".json"))
        continue;
      path = g_build_filename (self->dir, name, NULL);
      file = g_mapped_file_new (path, FALSE, &e);
      if (file != NULL)
        conversation = sm_conversation_new_from_data (g_mapped_file_get_contents (file),
                                                      g_mapped_file_get_length (file), &e);
      if (conversation == NULL)
        {
          g_string_append_printf (bad, "%s%s (%s)", bad->len ? ", " : "", name, e->message);
          continue;
        }
      g_list_store_insert_sorted (self->list, conversation, compare_modified, NULL);
      g_signal_connect_object (conversation, "changed", G_CALLBACK (on_changed), self, 0);
    }

  if (bad->len > 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("Some saved conversations could not be read: %s"), bad->str);
      return FALSE;
    }
  return TRUE;
}

GListModel *
sm_conversation_store_get_list (SmConversationStore *self)
{
  g_return_val_if_fail (SM_IS_CONVERSATION_STORE (self), NULL);
  return G_LIST_MODEL (self->list);
}

void
sm_conversation_store_add (SmConversationStore *self, SmConversation *conversation)
{
  g_return_if_fail (SM_IS_CONVERSATION_STORE (self));
  g_return_if_fail (SM_IS_CONVERSATION (conversation));

  if (g_list_store_find (self->list, conversation, NULL))
    return;
  g_list_store_insert (self->list, 0, conversation);
  g_signal_connect_object (conversation, "changed", G_CALLBACK (on_changed), self, 0);
  if (sm_conversation_get_n_messages (conversation) > 0)
    on_changed (conversation, self);
}

void
sm_conversation_store_remove (SmConversationStore *self, SmConversation *conversation)
{
  WriteJob *job;
  guint pos;

  g_return_if_fail (SM_IS_CONVERSATION_STORE (self));
  g_return_if_fail (SM_IS_CONVERSATION (conversation));

  if (!g_list_store_find (self->list, conversation, &pos))
    return;
  g_signal_handlers_disconnect_by_func (conversation, on_changed, self);
  g_hash_table_remove (self->pending, conversation);
  job = g_new0 (WriteJob, 1);
  job->path = conversation_path (self, conversation);
  job->store = self;
  g_thread_pool_push (self->writer, job, NULL);
  g_list_store_remove (self->list, pos);
}

void
sm_conversation_store_trash (SmConversationStore *self, SmConversation *conversation)
{
  guint pos;

  g_return_if_fail (SM_IS_CONVERSATION_STORE (self));
  g_return_if_fail (SM_IS_CONVERSATION (conversation));

  if (!g_list_store_find (self->list, conversation, &pos))
    return;
  g_signal_handlers_disconnect_by_func (conversation, on_changed, self);
  /* the file kept is the conversation as it was deleted */
  if (g_hash_table_remove (self->pending, conversation))
    queue_write (self, conversation);
  g_hash_table_insert (self->trash, g_strdup (sm_conversation_get_id (conversation)),
                       g_object_ref (conversation));
  g_list_store_remove (self->list, pos);
}

SmConversation *
sm_conversation_store_restore (SmConversationStore *self, const char *id)
{
  SmConversation *conversation;
  g_autofree char *key = NULL;

  g_return_val_if_fail (SM_IS_CONVERSATION_STORE (self), NULL);

  /* stolen, the key is ours to free */
  if (!g_hash_table_steal_extended (self->trash, id, (gpointer *) &key, (gpointer *) &conversation))
    return NULL;
  g_list_store_insert_sorted (self->list, conversation, compare_modified, NULL);
  g_signal_connect_object (conversation, "changed", G_CALLBACK (on_changed), self, 0);
  /* a reply may have ended while it was in the trash, unsaved */
  schedule_save (self, conversation);
  g_object_unref (conversation);   /* the list holds it */
  return conversation;
}

void
sm_conversation_store_purge (SmConversationStore *self, const char *id)
{
  g_autoptr (SmConversation) conversation = NULL;
  g_autofree char *key = NULL;
  WriteJob *job;

  g_return_if_fail (SM_IS_CONVERSATION_STORE (self));

  if (!g_hash_table_steal_extended (self->trash, id, (gpointer *) &key, (gpointer *) &conversation))
    return;
  job = g_new0 (WriteJob, 1);
  job->path = conversation_path (self, conversation);
  job->store = self;
  g_thread_pool_push (self->writer, job, NULL);
}

void
sm_conversation_store_flush (SmConversationStore *self)
{
  g_return_if_fail (SM_IS_CONVERSATION_STORE (self));

  write_pending (self);
  /* Freeing the pool waits for every queued write; a fresh one takes the next. */
  g_thread_pool_free (self->writer, FALSE, TRUE);
  self->writer = g_thread_pool_new (write_job, self->context, 1, TRUE, NULL);
}
