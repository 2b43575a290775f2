/* smallmind: the playground window.  TODO(window issue): the application lives in ui/. */
#include <gtk/gtk.h>

int
main (int argc, char **argv)
{
  g_printerr ("The SmallMind window is not built yet; use smallmind-cli.\n");
  return 1;
}
