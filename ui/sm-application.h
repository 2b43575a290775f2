/* sm-application.h: the SmallMind application (org.smallmind.Playground).
 *
 * Owns what outlives a window: the conversation store (loaded at start, flushed at the end).
 * app.quit (Ctrl+Q) and app.about.
 */
#pragma once

#include <adwaita.h>

#include "sm-conversation-store.h"

G_BEGIN_DECLS

#define SM_TYPE_APPLICATION (sm_application_get_type ())
G_DECLARE_FINAL_TYPE (SmApplication, sm_application, SM, APPLICATION, AdwApplication)

SmApplication       *sm_application_new       (GApplicationFlags flags);
SmConversationStore *sm_application_get_store (SmApplication *self);

/* Registers the resources and the types (main () and tests call it before anything else). */
void                 sm_ui_init               (void);

G_END_DECLS
