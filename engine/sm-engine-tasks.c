/* sm-engine-tasks.c: SmEngine's calls that do not need the engine thread: exporting a snapshot,
 * fitting a prompt into the context and comparing runs.  They work on copies (a snapshot, a
 * reference to the model), so they never wait for a generation; the first two run on a worker
 * thread of GIO's pool. */
#define G_LOG_DOMAIN "SmEngine"

#include "sm-engine.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "sm-export.h"
#include "sm-export-format.h"
#include "sm-prompt-fit.h"

/* ---- exports --------------------------------------------------------------------------------- */

typedef struct {
  char *format;
  char *path;
  char *label;
  SmSnapshotRange range;
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
  g_autoptr (SmSnapshot) snap = sm_engine_dup_snapshot (SM_ENGINE (source), d->range, d->label);
  GError *error = NULL;

  if (sm_export_snapshot_as (snap, d->format, d->path, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
sm_engine_export_snapshot_async (SmEngine            *self,
                                 SmSnapshotRange      range,
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
  d->range = range;
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
sm_engine_export_resolve (const char *path, const char *chosen, char **path_out)
{
  return sm_export_format_resolve (path, chosen, path_out);
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

/* ---- prompt fitting ---------------------------------------------------------------------------- */

typedef struct {
  SmModel    *model;
  char       *plain_prompt;
  char       *system_prompt;
  SmChatTurn *turns;          /* [n_turns], their texts in @texts */
  char      **texts;
  gsize       n_turns;
  int         max_tokens;
  /* the result */
  int         n_tokens;
  gboolean    chat;
} FitData;

static void
fit_data_free (gpointer p)
{
  FitData *d = p;

  g_clear_pointer (&d->model, sm_model_unref);
  g_free (d->plain_prompt);
  g_free (d->system_prompt);
  g_free (d->turns);
  g_strfreev (d->texts);
  g_free (d);
}

/* Worker thread: a long conversation takes long enough to tokenize to stall a main loop. */
static void
fit_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  FitData *d = data;
  GError *error = NULL;
  char *fitted = sm_prompt_fit (d->model, d->plain_prompt, d->system_prompt, d->turns, d->n_turns,
                                d->max_tokens, &d->n_tokens, &d->chat, &error);

  if (fitted != NULL)
    g_task_return_pointer (task, fitted, g_free);
  else
    g_task_return_error (task, error);
}

void
sm_engine_fit_prompt_async (SmEngine            *self,
                            const char          *plain_prompt,
                            const char          *system_prompt,
                            const SmChatTurn    *turns,
                            gsize                n_turns,
                            int                  max_tokens,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  SmModel *model;
  FitData *d;

  g_return_if_fail (SM_IS_ENGINE (self));
  g_return_if_fail (plain_prompt != NULL);
  g_return_if_fail (turns != NULL || n_turns == 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sm_engine_fit_prompt_async);
  /* the model of now: one loaded later fits its own prompt at its own turn */
  if ((model = sm_engine_dup_model (self)) == NULL)
    {
      g_task_return_new_error (task, SM_ENGINE_ERROR, SM_ENGINE_ERROR_NO_MODEL, _("No model is loaded"));
      return;
    }
  d = g_new0 (FitData, 1);
  d->model = model;
  d->plain_prompt = g_strdup (plain_prompt);
  d->system_prompt = g_strdup (system_prompt);
  d->turns = g_new0 (SmChatTurn, MAX (n_turns, 1));
  d->texts = g_new0 (char *, 2 * n_turns + 1);
  for (gsize i = 0; i < n_turns; i++)
    {
      d->texts[2 * i] = g_strdup (turns[i].role);
      d->texts[2 * i + 1] = g_strdup (turns[i].content);
      d->turns[i].role = d->texts[2 * i];
      d->turns[i].content = d->texts[2 * i + 1];
    }
  d->n_turns = n_turns;
  d->max_tokens = max_tokens;
  g_task_set_task_data (task, d, fit_data_free);
  g_task_run_in_thread (task, fit_thread);
}

char *
sm_engine_fit_prompt_finish (SmEngine      *self,
                             GAsyncResult  *result,
                             int           *n_tokens,
                             gboolean      *chat,
                             GError       **error)
{
  FitData *d;
  char *fitted;

  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  fitted = g_task_propagate_pointer (G_TASK (result), error);
  d = g_task_get_task_data (G_TASK (result));
  if (n_tokens != NULL)
    *n_tokens = fitted != NULL && d != NULL ? d->n_tokens : 0;
  if (chat != NULL)
    *chat = fitted != NULL && d != NULL && d->chat;
  return fitted;
}

/* ---- comparing runs -------------------------------------------------------------------------- */

SmComparison *
sm_engine_compare_runs (SmEngine    *self,
                        const char  *baseline_path,
                        const char  *current_path,
                        SmSnapshotRange range,
                        const char  *current_label,
                        char       **report,
                        GError     **error)
{
  g_autoptr (SmProfile) prev = NULL;
  g_autoptr (SmProfile) curr = NULL;
  SmComparison *c;

  g_return_val_if_fail (self == NULL || SM_IS_ENGINE (self), NULL);
  g_return_val_if_fail (self != NULL || current_path != NULL, NULL);
  g_return_val_if_fail (baseline_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((prev = sm_profile_load (baseline_path, error)) == NULL)
    return NULL;
  if (current_path != NULL)
    curr = sm_profile_load (current_path, error);
  else
    curr = sm_profile_from_snapshot (sm_engine_dup_snapshot (self, range, "smallmind window"),
                                     current_label != NULL ? current_label : "current run");
  if (curr == NULL)
    return NULL;
  c = sm_compare_profiles (prev, curr);
  if (report != NULL)
    *report = sm_comparison_to_markdown (c, prev, curr);
  return c;
}

/* ---- the model library ------------------------------------------------------------------- */

static void
scan_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  GError *error = NULL;
  GPtrArray *entries = sm_model_library_scan ((const char *const *) data, cancel, NULL, NULL, &error);

  if (entries == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
}

void
sm_engine_scan_models_async (SmEngine *self, const char *const *folders, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  char **copy;

  g_return_if_fail (SM_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sm_engine_scan_models_async);
  copy = folders != NULL ? g_strdupv ((char **) folders)
                         : sm_model_library_default_folders (g_get_home_dir (), NULL);
  g_task_set_task_data (task, copy, (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, scan_thread);
}

GPtrArray *
sm_engine_scan_models_finish (SmEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (SM_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
