/* sm-sampling-panel.h: how the next reply is sampled, and the system prompt.
 *
 * Temperature, top-k, top-p, min-p, repetition penalty, max tokens and seed, bound to GSettings
 * (the chat view reads them when a reply starts).  The system prompt applies only to a model
 * with a chat template; for the others the row says why it is off.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SM_TYPE_SAMPLING_PANEL (sm_sampling_panel_get_type ())
G_DECLARE_FINAL_TYPE (SmSamplingPanel, sm_sampling_panel, SM, SAMPLING_PANEL, GtkWidget)

void sm_sampling_panel_bind              (SmSamplingPanel *self, GSettings *settings);
/* Whether the loaded model has a chat template (the system prompt is used only then). */
void sm_sampling_panel_set_chat_template (SmSamplingPanel *self, gboolean has_template);

G_END_DECLS
