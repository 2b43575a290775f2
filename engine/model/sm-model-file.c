/* sm-model-file.c: a loaded model asks the mapping its weights are in. */
#include "sm-model-file.h"
#include "sm-model-private.h"
#include "sm-mapped-file.h"

#include <glib/gi18n-lib.h>

gboolean
sm_model_check_file (SmModel *model, gboolean stat_file, GError **error)
{
  SmTensor *probes[2];
  SmMappedFileState state = SM_MAPPED_FILE_NONE;
  g_autofree char *path = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (model->path == NULL || (!stat_file && sm_mapped_file_n_damaged () == 0))
    return TRUE;
  /* Every loader borrows all the weights from the one file it maps, so one weight tells which
   * mapping; the token embedding is the one every architecture has, the LM head a second
   * opinion should a loader ever keep the embedding in memory. */
  probes[0] = model->w.token_embd;
  probes[1] = model->w.output;
  for (gsize i = 0; i < G_N_ELEMENTS (probes) && state == SM_MAPPED_FILE_NONE; i++)
    if (probes[i] != NULL)
      state = sm_mapped_file_state (probes[i]->data, stat_file, &path);
  if (state == SM_MAPPED_FILE_NONE || state == SM_MAPPED_FILE_INTACT)
    return TRUE;

  display = g_filename_display_name (path);
  g_set_error (error, SM_MAPPED_FILE_ERROR, SM_MAPPED_FILE_ERROR_CHANGED,
               _("the model file %s changed on disk while in use (truncated or overwritten); "
                 "load it again"), display);
  return FALSE;
}
