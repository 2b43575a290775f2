/* sm-train-window.h: Train a Model: a new model trained from scratch on this machine, watched
 * live, and then chatted with. */
#pragma once

#include <adwaita.h>

#include "sm-engine.h"

G_BEGIN_DECLS

#define SM_TYPE_TRAIN_WINDOW (sm_train_window_get_type ())
G_DECLARE_FINAL_TYPE (SmTrainWindow, sm_train_window, SM, TRAIN_WINDOW, AdwWindow)

/* Opens over @parent, whose win.load-model "Chat with It" asks to load the trained model;
 * the models go to @output_dir (made when missing). */
SmTrainWindow *sm_train_window_new         (GtkWindow *parent, SmEngine *engine,
                                            const char *output_dir);
/* What a status line and the tests read: whether a run is under way, and the last step. */
gboolean       sm_train_window_get_running (SmTrainWindow *self);
int            sm_train_window_get_step    (SmTrainWindow *self);
/* The trained model's file once a run has ended, else NULL. */
const char    *sm_train_window_get_model_path (SmTrainWindow *self);

G_END_DECLS
