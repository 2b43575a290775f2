/* sm-machine.c: machine and build description for snapshots.
 *
 * The build facts come from meson as defines (SM_BUILD_TYPE, SM_BUILD_OPTIMIZATION,
 * SM_BUILD_SANITIZE, SM_BUILD_CFLAGS); without them they are guessed from the compiler's own
 * macros, and say so.
 */
#include "sm-machine.h"
#include "sm-kernels.h"

#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Distinct (physical id, core id) pairs in /proc/cpuinfo; 0 when it does not say. */
static int
count_physical_cores (void)
{
  g_autofree char *text = NULL;
  g_autoptr (GHashTable) seen = NULL;
  g_auto (GStrv) lines = NULL;
  const char *phys = "0";

  if (!g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    return 0;
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i]; i++)
    {
      const char *colon = strchr (lines[i], ':');
      if (colon == NULL)
        continue;
      if (g_str_has_prefix (lines[i], "physical id"))
        phys = colon + 1;
      else if (g_str_has_prefix (lines[i], "core id"))
        g_hash_table_add (seen, g_strdup_printf ("%s/%s", g_strstrip ((char *) phys),
                                                 g_strstrip ((char *) colon + 1)));
    }
  return (int) g_hash_table_size (seen);
}

void
sm_machine_info_get (SmMachineInfo *info)
{
  struct utsname u;
  long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGESIZE);

  memset (info, 0, sizeof *info);
  info->cpu_model = g_strdup (sm_cpu_model_name ());
  info->isa = g_strdup (sm_cpu_features ());
  info->best_level = g_strdup (sm_kernel_level_to_string (sm_kernels_best_level ()));
  info->logical_cores = (int) g_get_num_processors ();
  info->physical_cores = count_physical_cores ();
  info->memory_bytes = pages > 0 && page > 0 ? (guint64) pages * (guint64) page : 0;
  if (uname (&u) == 0)
    info->os = g_strdup_printf ("%s %s %s", u.sysname, u.release, u.machine);
  else
    info->os = g_strdup ("unknown");
}

void
sm_machine_info_clear (SmMachineInfo *info)
{
  g_clear_pointer (&info->cpu_model, g_free);
  g_clear_pointer (&info->isa, g_free);
  g_clear_pointer (&info->best_level, g_free);
  g_clear_pointer (&info->os, g_free);
}

void
sm_build_info_get (SmBuildInfo *info)
{
  memset (info, 0, sizeof *info);
#ifdef SM_VERSION
  info->program = g_strdup ("smallmind " SM_VERSION);
#else
  info->program = g_strdup ("smallmind");
#endif
#if defined(__clang__)
  info->compiler = g_strdup ("clang " __clang_version__);
#elif defined(__GNUC__)
  info->compiler = g_strdup ("gcc " __VERSION__);
#else
  info->compiler = g_strdup ("unknown");
#endif
#ifdef SM_BUILD_TYPE
  info->build_type = g_strdup (SM_BUILD_TYPE);
#elif defined(__OPTIMIZE__)
  info->build_type = g_strdup ("optimized (guessed: no SM_BUILD_TYPE)");
#else
  info->build_type = g_strdup ("debug (guessed: no SM_BUILD_TYPE)");
#endif
#ifdef SM_BUILD_OPTIMIZATION
  info->optimization = g_strdup (SM_BUILD_OPTIMIZATION);
#elif defined(__OPTIMIZE__)
  info->optimization = g_strdup ("on");
#else
  info->optimization = g_strdup ("0");
#endif
#ifdef SM_BUILD_CFLAGS
  info->cflags = g_strdup (SM_BUILD_CFLAGS);
#else
  info->cflags = g_strdup ("");
#endif
#ifdef SM_BUILD_SANITIZE
  info->sanitizers = g_strdup (SM_BUILD_SANITIZE);
#elif defined(__SANITIZE_ADDRESS__)
  info->sanitizers = g_strdup ("address");
#else
  info->sanitizers = g_strdup ("none");
#endif
#if defined(NDEBUG) || defined(G_DISABLE_ASSERT)
  info->asserts = FALSE;
#else
  info->asserts = TRUE;
#endif
}

void
sm_build_info_clear (SmBuildInfo *info)
{
  g_clear_pointer (&info->program, g_free);
  g_clear_pointer (&info->compiler, g_free);
  g_clear_pointer (&info->build_type, g_free);
  g_clear_pointer (&info->optimization, g_free);
  g_clear_pointer (&info->cflags, g_free);
  g_clear_pointer (&info->sanitizers, g_free);
}

gboolean
sm_build_info_is_release_like (const SmBuildInfo *info)
{
  const char *t = info->build_type ? info->build_type : "";
  const char *s = info->sanitizers ? info->sanitizers : "none";

  return (g_str_has_prefix (t, "release") || g_str_has_prefix (t, "optimized") ||
          g_str_has_prefix (t, "debugoptimized") || g_str_has_prefix (t, "minsize") ||
          (g_str_has_prefix (t, "plain") && g_strcmp0 (info->optimization, "0") != 0)) &&
         (g_strcmp0 (s, "none") == 0 || *s == '\0');
}
