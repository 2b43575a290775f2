/* sm-model-file.h: whether the file a model's weights are read from is still the one loaded.
 *
 * Weights are read in place from the mapped file (sm-mapped-file.h), so they change with it:
 * truncated, they read as zeros (the faults are caught); rewritten in place, they are the new
 * bytes.  Whatever runs a forward pass on a loaded model asks after the pass, and throws the
 * pass away when the answer is no:
 *   sm_model_check_file (model, FALSE, error)   after each sm_session_eval (): an atomic load
 *                                                while no file in the process was ever damaged
 *   sm_model_check_file (model, TRUE, error)    at the start and end of a run of them (a
 *                                                generation, a benchmark): adds one fstat (),
 *                                                for a rewrite that raised no fault
 */
#pragma once

#include "sm-model.h"

G_BEGIN_DECLS

/* TRUE when @model's file is as it was when loaded, or its weights are in memory (a preset, a
 * model being trained).  Else FALSE with SM_MAPPED_FILE_ERROR_CHANGED: "the model file FILE
 * changed on disk while in use (truncated or overwritten); load it again".  It stays FALSE
 * for that model: only a new load reads the file again.  Any thread. */
gboolean sm_model_check_file (SmModel *model, gboolean stat_file, GError **error);

G_END_DECLS
