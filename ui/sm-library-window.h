/* sm-library-window.h: the Model Library, the models already on this machine (see
 * sm-model-library.h for where they are looked for and what is read of them). */
#pragma once

#include <adwaita.h>

#include "sm-engine.h"

G_BEGIN_DECLS

#define SM_TYPE_LIBRARY_WINDOW (sm_library_window_get_type ())
G_DECLARE_FINAL_TYPE (SmLibraryWindow, sm_library_window, SM, LIBRARY_WINDOW, AdwWindow)

/* Opens over @parent, whose win.load-model opens a model chosen; starts the scan. */
SmLibraryWindow *sm_library_window_new          (GtkWindow *parent, SmEngine *engine,
                                                 GSettings *settings);
void             sm_library_window_rescan       (SmLibraryWindow *self);
/* Adds @path to the "library-folders" setting and searches again. */
void             sm_library_window_add_folder   (SmLibraryWindow *self, const char *path);
/* For tests: what the last scan found, and whether one runs. */
guint            sm_library_window_get_n_models (SmLibraryWindow *self);
gboolean         sm_library_window_get_scanning (SmLibraryWindow *self);

G_END_DECLS
