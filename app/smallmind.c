/* smallmind: the playground window. */
#define G_LOG_DOMAIN "SmallMind"

#include <glib/gi18n.h>
#include <locale.h>

#include "sm-application.h"

/* Run from the build tree, the program uses the schema compiled there and the translations
 * built there; installed, the system's. */
static gboolean
running_uninstalled (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *build_root = g_path_get_dirname (SM_BUILD_DATADIR);
  g_autofree char *prefix = g_strconcat (build_root, G_DIR_SEPARATOR_S, NULL);

  return exe != NULL && g_str_has_prefix (exe, prefix);
}

int
main (int argc, char **argv)
{
  g_autoptr (SmApplication) app = NULL;
  gboolean uninstalled;

  setlocale (LC_ALL, "");
  uninstalled = running_uninstalled ();
  if (uninstalled)
    g_setenv ("GSETTINGS_SCHEMA_DIR", SM_BUILD_DATADIR, FALSE);   /* a test's own setting wins */
  bindtextdomain (GETTEXT_PACKAGE, uninstalled ? SM_BUILD_LOCALEDIR : SM_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = sm_application_new (G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
