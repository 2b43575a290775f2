/* smallmind-cli: the command-line face of the engine. */
#include <errno.h>
#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "sm-atomic-file.h"
#include "sm-cli.h"
#include "sm-kernels.h"

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static int cmd_bench (int argc, char **argv);

static const Command commands[] = {
  { "generate", sm_cli_generate, "Continue a prompt with a model" },
  { "info", sm_cli_info, "Describe a model file or preset" },
  { "tokenize", sm_cli_tokenize, "Print a text's tokens, as llama.cpp's llama-tokenize does" },
  { "quantize", sm_cli_quantize, "Rewrite a model's weights in one of llama-quantize's types (q4_k_m, q8_0, ...) as GGUF" },
  { "init", sm_cli_init, "Write a random-weight model of any shape (GGUF), for benchmarking" },
  { "bench", cmd_bench, "Measure a model's prefill and decode, the kernels (bench kernels), the roofline (bench roofline) or a tokenizer (bench tokenize)" },
  { "profile", sm_cli_profile, "Run the profiling suite (--enhanced) and write a report and snapshot" },
  { "compare", sm_cli_compare, "Compare two profiling snapshots or reports" },
  { "train", sm_cli_train, "Train a GPT-style model on a text corpus" },
  { "train-tokenizer", sm_cli_train_tokenizer, "Learn byte-level BPE merges from a corpus" },
  { "make-corpus", sm_cli_make_corpus, "Generate the project's training corpus" },
};

static int
cmd_bench (int argc, char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "kernels") == 0)
    return sm_cli_bench_kernels (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "roofline") == 0)
    return sm_cli_bench_roofline (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "tokenize") == 0)
    return sm_cli_bench_tokenize (argc - 1, argv + 1);
  return sm_cli_bench_model (argc, argv);
}

static void
usage (FILE *out)
{
  fprintf (out, "Usage: smallmind-cli COMMAND [OPTIONS]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-16s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nCPU: %s\nSIMD: %s (best kernel level: %s)\n",
           sm_cpu_model_name (), sm_cpu_features (),
           sm_kernel_level_to_string (sm_kernels_best_level ()));
  fprintf (out, "\nRun 'smallmind-cli COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* commands that handle Ctrl+C themselves (generate, train) install their own handlers */
  sm_atomic_file_clean_up_on_signals ();

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
      {
        int rc = commands[i].run (argc - 1, argv + 1);
        /* Text that never reached stdout (a full disk, a closed pipe) is a failure, not a
         * success with nothing to show. */
        if ((fflush (stdout) != 0 || ferror (stdout)) && rc == 0)
          {
            fprintf (stderr, "smallmind-cli %s: cannot write to standard output: %s\n",
                     commands[i].name, g_strerror (errno));
            return 1;
          }
        return rc;
      }

  fprintf (stderr, "smallmind-cli: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
