/* sm-conversation-store.c: conversations on disk.
 *
 * Nothing is lost on a crash or a full disk: each file is replaced whole
 * (g_file_set_contents_full's temporary file, synced and renamed), so a kill at any moment
 * leaves the old version or the new one.  What a kill can leave is that temporary file
 * (NAME.json.XXXXXX), removed at the next start; a file that does not read is set aside as
 * NAME.json.broken, never dropped, and the user is told once.  A write that fails (a full disk)
 * keeps the old file, says so once until a write works again, and is tried again later: the
 * conversation stays in memory meanwhile. */
#define G_LOG_DOMAIN "SmConversationStore"

#include <glib/gi18n.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sm-conversation-store.h"

/* Changes within this window are written once. */
#define SAVE_DELAY_MS 150
/* A write that failed is tried again after this long (sooner if the conversation changes). */
#define RETRY_DELAY_MS 5000
/* What a file set aside because it could not be read ends in. */
#define BROKEN_SUFFIX ".broken"

struct _SmConversationStore {
  GObject       parent_instance;

  char         *dir;
  GListStore   *list;      /* SmConversation, newest first */
  GHashTable   *pending;   /* SmConversation * -> itself: waiting for the save timer */
  GHashTable   *trash;     /* id -> SmConversation: deleted, its file kept until purged */
  guint         save_source;
  GThreadPool  *writer;    /* one thread: writes land in the order they were asked for */
  GMainContext *context;
  GHashTable   *retry;     /* ids whose last write failed, to be written again */
  guint         retry_source;
  gboolean      failing;   /* the writer thread's own: the last write failed (and was told) */
};

G_DEFINE_FINAL_TYPE (SmConversationStore, sm_conversation_store, G_TYPE_OBJECT)

enum {
  ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  char                *path;
  char                *id;           /* the conversation's */
  JsonNode            *root;         /* NULL: delete the file */
  SmConversationStore *store;        /* alive: dispose waits for every job */
} WriteJob;

typedef struct {
  SmConversationStore *store;        /* a reference, dropped on the main context */
  char                *id;
  char                *message;      /* NULL: told already, only to be tried again */
} ErrorReport;

static void schedule_save (SmConversationStore *self, SmConversation *conversation);

static SmConversation *
find_by_id (SmConversationStore *self, const char *id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->list));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SmConversation) c = g_list_model_get_item (G_LIST_MODEL (self->list), i);
      if (g_str_equal (sm_conversation_get_id (c), id))
        return c;   /* the list keeps it */
    }
  return NULL;
}

static gboolean
retry_cb (gpointer data)
{
  SmConversationStore *self = data;
  GHashTableIter iter;
  gpointer key;

  self->retry_source = 0;
  g_hash_table_iter_init (&iter, self->retry);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      /* one deleted since is not written again: its file went or goes with it */
      SmConversation *c = find_by_id (self, key);
      if (c != NULL)
        schedule_save (self, c);
    }
  g_hash_table_remove_all (self->retry);
  return G_SOURCE_REMOVE;
}

static gboolean
report_error_cb (gpointer data)
{
  ErrorReport *r = data;

  if (r->id != NULL && r->store->list != NULL)   /* not disposed meanwhile */
    {
      g_hash_table_add (r->store->retry, g_steal_pointer (&r->id));
      if (r->store->retry_source == 0)
        r->store->retry_source = g_timeout_add (RETRY_DELAY_MS, retry_cb, r->store);
    }
  if (r->message != NULL)
    g_signal_emit (r->store, signals[ERROR], 0, r->message);
  g_object_unref (r->store);
  g_free (r->id);
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

  /* the tree is the job's alone; written out here, as generating the JSON of a 1 MB message
   * took the main loop up to 25 ms a save, once a second through a reply */
  if (job->root != NULL)
    {
      g_autofree char *contents = sm_json_to_string (job->root, TRUE);
      g_file_set_contents_full (job->path, contents, strlen (contents),
                                G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
    }
  else if (g_unlink (job->path) != 0 && errno != ENOENT)
    g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s", g_strerror (errno));

  if (error != NULL)
    {
      ErrorReport *r = g_new0 (ErrorReport, 1);
      g_autofree char *name = g_filename_display_name (job->path);

      r->store = g_object_ref (job->store);
      /* a write is tried again; a file that could not be removed is not */
      r->id = job->root != NULL ? g_strdup (job->id) : NULL;
      /* Told once, not at every save of a reply that keeps failing; a write that works ends
       * the run of failures, and the next one is told again. */
      if (!job->store->failing)
        r->message = g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC)
                       ? g_strdup_printf (_("The disk is full: the conversation could not be saved "
                                            "to “%s”. It stays open here, and the file keeps its "
                                            "last version until there is room."), name)
                       : g_strdup_printf (_("Could not save the conversation to “%s”: %s"), name,
                                          error->message);
      job->store->failing = TRUE;
      g_main_context_invoke (context, report_error_cb, r);
    }
  else if (job->root != NULL)
    job->store->failing = FALSE;   /* a removal works on a full disk too: that proves nothing */

  g_free (job->path);
  g_free (job->id);
  g_clear_pointer (&job->root, json_node_unref);
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
  job->id = g_strdup (sm_conversation_get_id (conversation));
  job->store = self;
  /* An empty conversation is not worth a file; one that became empty loses its file. */
  if (sm_conversation_get_n_messages (conversation) > 0)
    job->root = sm_conversation_to_json (conversation);
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

  g_clear_handle_id (&self->retry_source, g_source_remove);
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
  g_hash_table_unref (self->retry);
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
  self->retry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
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

/* Whether @name is a temporary file g_file_set_contents_full left behind: the file's name,
 * a dot and mkstemp's six letters or digits (GLib's "%s.XXXXXX"), after a conversation's
 * name.  The folder is the store's own, and nothing else in it has that shape; a file set
 * aside as NAME.json.broken does, and is no temporary file. */
static gboolean
is_stale_temporary (const char *name)
{
  gsize len = strlen (name);
  const char *suffix;

  if (len <= strlen (".json.XXXXXX") || g_str_has_suffix (name, ".json" BROKEN_SUFFIX))
    return FALSE;
  suffix = name + len - 6;
  if (strncmp (suffix - strlen (".json."), ".json.", strlen (".json.")) != 0)
    return FALSE;
  for (int i = 0; i < 6; i++)
    if (!g_ascii_isalnum (suffix[i]))
      return FALSE;
  return TRUE;
}

/* Moves the unreadable @path aside (NAME.json.broken, or .broken.2 ... when that is taken),
 * so that it is not read again at every start and nothing of it is lost: the user may mend it.
 * Returns the new name, or NULL when it could not be moved (it then stays, and is told again
 * next time). */
static char *
set_aside (const char *path)
{
  for (int i = 1; i < 100; i++)
    {
      g_autofree char *aside = i == 1 ? g_strconcat (path, BROKEN_SUFFIX, NULL)
                                      : g_strdup_printf ("%s" BROKEN_SUFFIX ".%d", path, i);
      if (g_file_test (aside, G_FILE_TEST_EXISTS))
        continue;
      return g_rename (path, aside) == 0 ? g_path_get_basename (aside) : NULL;
    }
  return NULL;
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

      path = g_build_filename (self->dir, name, NULL);
      /* a write cut short by a crash: its file has the version before, whole */
      if (is_stale_temporary (name))
        {
          if (g_unlink (path) != 0)
            g_warning ("could not remove the stale temporary file %s: %s", path, g_strerror (errno));
          continue;
        }
      if (!g_str_has_suffix (name, ".json"))
        continue;
      file = g_mapped_file_new (path, FALSE, &e);
      if (file != NULL)
        conversation = sm_conversation_new_from_data (g_mapped_file_get_contents (file),
                                                      g_mapped_file_get_length (file), &e);
      if (conversation == NULL)
        {
          g_autofree char *aside = set_aside (path);
          g_autofree char *what = NULL;

          if (aside != NULL)
            /* Translators: a file name, why it could not be read, the name it has now */
            what = g_strdup_printf (_("%s (%s), kept as %s"), name, e->message, aside);
          else
            what = g_strdup_printf ("%s (%s)", name, e->message);
          g_string_append_printf (bad, "%s%s", bad->len ? "; " : "", what);
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
  job->id = g_strdup (sm_conversation_get_id (conversation));
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
  job->id = g_strdup (sm_conversation_get_id (conversation));
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
