/* sm-cli-quantize.c: `smallmind-cli quantize IN OUT --type q8_0|q4_0|f16|f32`: a model's
 * weights rewritten as another type, written as GGUF. */
#include "sm-cli.h"
#include "sm-cli-common.h"

#include <stdio.h>

int
sm_cli_quantize (int argc, char **argv)
{
  g_autofree char *type = NULL, *tokenizer = NULL;
  g_autoptr (GOptionContext) ctx = g_option_context_new ("IN OUT - rewrite a model's weights as another type (GGUF)");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmModel) model = NULL;
  SmDType dtype;
  GOptionEntry entries[] = {
    { "type", 0, 0, G_OPTION_ARG_STRING, &type, "q8_0 (default), q4_0, f16 or f32", "TYPE" },
    { "tokenizer", 'z', 0, G_OPTION_ARG_FILENAME, &tokenizer, "tokenizer.bin for a llama2.c input", "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("quantize", g_steal_pointer (&error));
  if (argc != 3)
    {
      fprintf (stderr, "usage: smallmind-cli quantize IN OUT [--type q8_0|q4_0|f16|f32]\n");
      return 2;
    }
  if (!sm_cli_parse_dtype (type ? type : "q8_0", &dtype, &error))
    return sm_cli_fail ("quantize", g_steal_pointer (&error));

  model = sm_model_load (argv[1], tokenizer, &error);
  if (model == NULL)
    g_prefix_error (&error, "Cannot load %s: ", argv[1]);
  if (model == NULL)
    return sm_cli_fail ("quantize", g_steal_pointer (&error));
  if (!sm_model_save_gguf (model, argv[2], dtype, &error))
    return sm_cli_fail ("quantize", g_steal_pointer (&error));

  g_autoptr (SmModel) check = sm_model_load (argv[2], NULL, &error);
  if (check == NULL)
    g_prefix_error (&error, "Cannot read back %s: ", argv[2]);
  if (check == NULL)
    return sm_cli_fail ("quantize", g_steal_pointer (&error));
  g_autofree char *types = sm_model_describe_types (check);
  printf ("wrote %s: %s, %.2f MiB of weights (was %.2f MiB)\n", argv[2], types,
          sm_model_weight_bytes (check) / 1048576.0, sm_model_weight_bytes (model) / 1048576.0);
  return 0;
}
