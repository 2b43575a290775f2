/* sm-builtin.c: the built-in models, found in one place.
 *
 * A preset is a trained checkpoint (<name>.smck) when one is found, and the preset's shape with
 * seeded random weights otherwise.  The window, the CLI and the tests all come here, so there
 * is one environment variable ($SM_MODELS_DIR) and one search order (it, then the source tree's
 * data/models for an uninstalled build, then the installed data directory; README.md).  This
 * file sits above both the model object (sm-model.c) and the loader (sm-model-load.c), which is
 * what keeps those two from calling each other.
 */
#include "sm-model.h"

char *
sm_preset_find_checkpoint (SmPreset preset)
{
  const char *dirs[] = { g_getenv ("SM_MODELS_DIR"), SM_SOURCE_MODELS_DIR, SM_INSTALLED_MODELS_DIR };
  g_autofree char *file = NULL;

  g_return_val_if_fail (preset < SM_N_PRESETS, NULL);
  file = g_strconcat (sm_preset_name (preset), ".smck", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = NULL;
      if (dirs[i] == NULL || dirs[i][0] == '\0')
        continue;
      path = g_build_filename (dirs[i], file, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

SmModel *
sm_model_load_builtin (SmPreset preset, guint64 seed, GError **error)
{
  g_autofree char *path = sm_preset_find_checkpoint (preset);

  if (path == NULL)
    return sm_model_new_preset (preset, seed);
  {
    SmModel *model = sm_model_load (path, NULL, error);
    if (model == NULL)
      g_prefix_error (error, "the built-in model %s: ", path);
    return model;
  }
}
