/* sm-cli-compare.c: `smallmind-cli compare PREV CURR [-o report.md]`: two runs side by side.
 * Each is a JSON snapshot from `profile` (or the window's export) or a Markdown report with a
 * hot-path table (ours, or the original's).  The report goes to -o, atomically, or stdout; the
 * verdict to stderr. */
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-compare.h"
#include "sm-export.h"

#include <gio/gio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

int
sm_cli_compare (int argc, char **argv)
{
  g_autofree char *output = NULL;
  g_autoptr (GOptionContext) ctx = g_option_context_new ("PREV CURR - compare two profiling runs");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmProfile) prev = NULL;
  g_autoptr (SmProfile) curr = NULL;
  g_autoptr (SmComparison) cmp = NULL;
  g_autofree char *md = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the report here (default: stdout)", "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_summary (ctx, "PREV and CURR are JSON snapshots (enhanced-profile.json) or Markdown "
                                     "reports with a hot-path table (enhanced-profile-report.md, also the "
                                     "original SmallMind's).");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("compare", g_steal_pointer (&error));
  if (argc != 3)
    {
      fprintf (stderr, "Usage: smallmind-cli compare PREV CURR [-o report.md]\n");
      return 2;
    }
  if (output != NULL)
    {
      /* the report must not replace one of the runs it reads */
      g_autoptr (GFile) out = g_file_new_for_path (output);
      for (int i = 1; i <= 2; i++)
        {
          g_autoptr (GFile) in = g_file_new_for_path (argv[i]);
          g_autofree char *a = realpath (output, NULL), *b = realpath (argv[i], NULL);
          if (g_file_equal (out, in) || (a && b && strcmp (a, b) == 0))
            {
              fprintf (stderr, "smallmind-cli compare: -o %s would overwrite the run it compares\n", output);
              return 2;
            }
        }
    }
  if (!(prev = sm_profile_load (argv[1], &error)) || !(curr = sm_profile_load (argv[2], &error)))
    return sm_cli_fail ("compare", g_steal_pointer (&error));
  {
    g_autofree char *why = sm_profiles_kind_mismatch (prev, curr);
    if (why != NULL)
      fprintf (stderr, "smallmind-cli compare: warning: %s\n", why);
  }

  cmp = sm_compare_profiles (prev, curr);
  md = sm_comparison_to_markdown (cmp, prev, curr);
  if (output)
    {
      if (!sm_export_write_atomic (output, md, -1, &error))
        return sm_cli_fail ("compare", g_steal_pointer (&error));
    }
  else
    fputs (md, stdout);

  fprintf (stderr, "%s: total %.2f ms -> %.2f ms (%+.1f%%)%s; %u scopes compared",
           sm_verdict_to_string (cmp->verdict), cmp->prev_total_ms, cmp->curr_total_ms,
           cmp->total_delta_pct, cmp->total_is_noise ? ", inside the run-to-run spread" : "",
           cmp->rows->len);
  if (output)
    fprintf (stderr, "; report in %s", output);
  fprintf (stderr, "\n");
  return 0;
}
