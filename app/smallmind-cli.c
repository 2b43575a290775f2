/* smallmind-cli: the command-line face of the engine. */
#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "sm-cli.h"
#include "sm-kernels.h"

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static int cmd_bench (int argc, char **argv);

static const Command commands[] = {
  { "bench", cmd_bench, "Measure kernels (bench kernels) or a model's prefill and decode" },
};

static int
cmd_bench (int argc, char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "kernels") == 0)
    return sm_cli_bench_kernels (argc - 1, argv + 1);
  fprintf (stderr, "usage: smallmind-cli bench kernels [OPTIONS]\n");
  return 2;
}

static void
usage (FILE *out)
{
  fprintf (out, "Usage: smallmind-cli COMMAND [OPTIONS]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nCPU: %s\nSIMD: %s (best kernel level: %s)\n",
           sm_cpu_model_name (), sm_cpu_features (),
           sm_kernel_level_to_string (sm_kernels_best_level ()));
  fprintf (out, "\nRun 'smallmind-cli COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("smallmind-cli %s\n", SM_VERSION);
      return 0;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  fprintf (stderr, "smallmind-cli: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
