#include "sm-test-util.h"

#include <sys/wait.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

char *
sm_test_shared_model (const char *file_name)
{
  const char *dir = g_getenv ("SM_SHARED_MODELS");
  g_autofree char *path = NULL;

  if (dir == NULL)
    dir = "../shared/models";
  path = g_build_filename (dir, file_name, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *msg = g_strdup_printf ("%s not found (set SM_SHARED_MODELS to the folder "
                                              "holding the shared test models)", path);
      g_test_skip (msg);
      return NULL;
    }
  return g_steal_pointer (&path);
}

void
sm_test_fill_uniform (GRand *rand, float *x, gsize n, float lo, float hi)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rand, lo, hi);
}

double
sm_test_max_rel_err (const float *a, const float *b, gsize n)
{
  double worst = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - (double) b[i]);
      double s = fabs ((double) b[i]);
      double e = d / (s > 1.0 ? s : 1.0);
      if (isnan (a[i]) != isnan (b[i]))
        return INFINITY;
      if (e > worst)
        worst = e;
    }
  return worst;
}

float *
sm_test_alloc_unaligned (gsize n, gsize misalign)
{
  char *base;

  g_assert_cmpuint (misalign % 4, ==, 0);
  g_assert_cmpuint (misalign, <, 64);
  base = aligned_alloc (64, ((n * sizeof (float) + misalign + 64 + 63) / 64) * 64);
  g_assert_nonnull (base);
  /* Remember the base just before the data: 64 bytes of header keep it addressable. */
  ((void **) base)[0] = base;
  return (float *) (base + 64 + misalign);
}

void
sm_test_free_unaligned (float *p)
{
  if (p == NULL)
    return;
  uintptr_t a = (uintptr_t) p;
  char *base = (char *) ((a - 64) & ~(uintptr_t) 63);
  free (((void **) base)[0]);
}

int
sm_test_run_cli (const char *const *args, char **out, char **err)
{
  const char *build = g_getenv ("SM_BUILD_ROOT");
  g_autofree char *cli = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int status;

  if (build == NULL)
    {
      g_test_skip ("SM_BUILD_ROOT is not set (run through meson test)");
      return -1;
    }
  cli = g_build_filename (build, "app", "smallmind-cli", NULL);
  g_ptr_array_add (argv, cli);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, &error));
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
