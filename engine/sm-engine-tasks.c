/* sm-engine-tasks.c: SmEngine's calls that do not need the engine thread: exporting a snapshot
 * and fitting a prompt into the context.  Both run on a worker thread of GIO's pool, on copies
 * (a snapshot, a reference to the model), so they never wait for a generation. */
#define G_LOG_DOMAIN "SmEngine"

#include "sm-engine.h"
#include "sm-export.h"
#include "sm-export-format.h"

/* ---- exports --------------------------------------------------------------------------------- */

typedef struct {
  char *format;
  char *path;
  char *label;
} ExportData;

static void
export_data_free (gpointer p)
{
  ExportData *d = p;

  g_free (d->format);
  g_free (d->path);
  g_free (d->label);
  g_free (d);
}

/* Worker thread: copying the profiler's records and writing a trace can take a while. */
static void
export_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ExportData *d = data;
  g_autoptr (SmSnapshot) snap = sm_engine_dup_snapshot (SM_ENGINE (source), d->label);
  GError *error = NULL;

  if (sm_export_snapshot_as (snap, d->format, d->path, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
sm_engine_export_snapshot_async (SmEngine            *self,
                                 const char          *format,
                                 const char          *path,
                                 const char          *label,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  ExportData *d;

  g_return_if_fail (SM_IS_ENGINE (self));
  g_return_if_fail (format != NULL && path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sm_engine_export_snapshot_async);
  if (!sm_export_format_is_snapshot (format))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Unknown export format “%s”", format);
      return;
    }
  d = g_new0 (ExportData, 1);
  d->format = g_strdup (format);
  d->path = g_strdup (path);
  d->label = g_strdup (label);
  g_task_set_task_data (task, d, export_data_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
sm_engine_export_snapshot_finish (SmEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (SM_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
sm_engine_export_format_for_path (const char *path)
{
  return sm_export_format_for_path (path);
}

const char *const *
sm_engine_export_format_patterns (const char *format)
{
  return sm_export_format_patterns (format);
}

gboolean
sm_engine_write_file (const char *path, const char *data, gssize length, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  return sm_export_write_atomic (path, data, length, error);
}
