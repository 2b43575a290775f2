#include "sm-test-util.h"

#include <sys/wait.h>

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

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

/* ---- a full disk ----------------------------------------------------------------------------- */

const char *
sm_test_tmpfs_dir (void)
{
  return g_getenv ("SM_TEST_TMPFS");
}

gboolean
sm_test_run_in_tmpfs (const char *test_path, guint size_kb, const char *const *extra_args)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = g_dir_make_tmp ("sm-tmpfs-XXXXXX", NULL);
  g_autofree char *size = g_strdup_printf ("size=%uk", size_kb);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (GStrv) envp = g_get_environ ();
  g_autoptr (GError) error = NULL;
  /* A user and mount namespace of its own: an unprivileged user may mount a tmpfs there, and
   * it is gone with the process, whatever becomes of the test. */
  static const char script[] = "mount -t tmpfs -o \"$1\" none \"$2\" && shift 2 && exec \"$@\"";
  const char *probe[] = { "unshare", "-rm", "sh", "-c", script, "sh", size, dir, "true", NULL };
  int status = 0;

  g_assert_nonnull (self);
  g_assert_nonnull (dir);
  /* first whether it can be done here at all: not being allowed is a skip, not a failure */
  if (!g_spawn_sync (NULL, (char **) probe, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                     &status, &error) ||
      !g_spawn_check_wait_status (status, NULL))
    {
      g_autofree char *msg = g_strdup_printf ("no full-disk test: unshare -rm and a tmpfs mount are "
                                              "not available here (%s)",
                                              error ? error->message : g_strstrip (err));
      g_rmdir (dir);
      g_test_skip (msg);
      return FALSE;
    }
  g_clear_pointer (&err, g_free);

  for (guint i = 0; i < 8; i++)
    g_ptr_array_add (argv, (gpointer) probe[i]);
  g_ptr_array_add (argv, self);
  g_ptr_array_add (argv, "-p");
  g_ptr_array_add (argv, (gpointer) test_path);
  for (guint i = 0; extra_args != NULL && extra_args[i]; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  envp = g_environ_setenv (envp, "SM_TEST_TMPFS", dir, TRUE);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  g_rmdir (dir);
  g_test_message ("inside the tmpfs:\n%s%s", out, err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  return TRUE;
}

gsize
sm_test_fill_disk (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  static const char block[4096];
  gsize total = 0;
  FILE *fp = fopen (path, "wb");
  gssize n;

  g_assert_nonnull (fp);
  setvbuf (fp, NULL, _IONBF, 0);
  /* whole blocks, then single bytes: not a byte is left */
  while ((n = (gssize) fwrite (block, 1, sizeof block, fp)) == (gssize) sizeof block)
    total += (gsize) n;
  total += (gsize) MAX (n, 0);
  while (fwrite (block, 1, 1, fp) == 1)
    total++;
  fclose (fp);
  return total;
}
