/* sm-window-screenshot.c: the hook tools/screenshot needs, built only with
 * -Dscreenshot_hook=true (never in the installed program: a window that stops its own process
 * on an environment variable is a test fixture, not a feature).
 */
#define G_LOG_DOMAIN "SmWindow"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sm-window-private.h"

/* For tools/screenshot: after the first frame painted while the last command-line prompt's reply
 * streams with at least pause_chars characters, the process stops itself (SIGSTOP) so that a capture of the screen
 * shows the window mid-generation; the tool continues it (SIGCONT) afterwards.  Small models
 * finish a reply in milliseconds, faster than any outside capture could catch. */
static void
on_after_paint (GdkFrameClock *clock, SmWindow *self)
{
  SmConversation *c = sm_chat_view_get_conversation (self->chat_view);
  SmMessage *last = c ? sm_conversation_get_last (c) : NULL;

  if (self->pause_chars == 0 || !g_queue_is_empty (&self->startup_prompts) || last == NULL ||
      !sm_message_get_generating (last) || strlen (sm_message_get_text (last)) < self->pause_chars)
    return;
  self->pause_chars = 0;
  g_signal_handlers_disconnect_by_func (clock, on_after_paint, self);
  /* what was just painted must have reached the display server before stopping */
  gdk_display_sync (gtk_widget_get_display (GTK_WIDGET (self)));
  kill (getpid (), SIGSTOP);
}

static void
on_realize (SmWindow *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (self->pause_chars > 0 && clock != NULL)
    g_signal_connect_object (clock, "after-paint", G_CALLBACK (on_after_paint), self, 0);
}

void
sm_window_screenshot_hook_init (SmWindow *self)
{
  const char *pause = g_getenv ("SMALLMIND_SCREENSHOT_PAUSE");

  if (pause == NULL)
    return;
  self->pause_chars = (guint) g_ascii_strtoull (pause, NULL, 10);
  g_signal_connect (self, "realize", G_CALLBACK (on_realize), NULL);
}
