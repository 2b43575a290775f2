/* sm-cli-quantize.c: `smallmind-cli quantize IN OUT --type MIX`: a model's weights rewritten
 * as llama-quantize would write them in one of its mixes (q4_k_m, q8_0, ...), as GGUF. */
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-gguf.h"

#include <stdio.h>

static guint64
gguf_tensor_bytes (SmGguf *g)
{
  guint64 n = 0;
  for (gsize i = 0; i < sm_gguf_n_tensors (g); i++)
    n += sm_gguf_tensor_info (g, i)->n_bytes;
  return n;
}

int
sm_cli_quantize (int argc, char **argv)
{
  g_autofree char *type = NULL, *tokenizer = NULL, *mixes = sm_quant_mix_list ();
  g_autofree char *type_help = g_strdup_printf ("%s (default q8_0): llama-quantize's file types", mixes);
  g_autoptr (GOptionContext) ctx = g_option_context_new ("IN OUT - rewrite a model's weights as another type (GGUF)");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmModel) model = NULL;
  gboolean pure = FALSE;
  const SmQuantMix *mix;
  GOptionEntry entries[] = {
    { "type", 0, 0, G_OPTION_ARG_STRING, &type, type_help, "TYPE" },
    { "pure", 0, 0, G_OPTION_ARG_NONE, &pure,
      "As llama-quantize --pure: every matrix in the type's main one (rows that do not fit stay f32), no mix", NULL },
    { "tokenizer", 'z', 0, G_OPTION_ARG_FILENAME, &tokenizer, "tokenizer.bin for a llama2.c input", "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("quantize", g_steal_pointer (&error));
  if (argc != 3)
    {
      fprintf (stderr, "usage: smallmind-cli quantize IN OUT [--type %s] [--pure]\n", mixes);
      return 2;
    }
  mix = sm_quant_mix_find (type ? type : "q8_0");
  if (mix == NULL)
    return sm_cli_fail ("quantize", g_error_new (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                                 "Unknown type '%s' (use %s)", type, mixes));

  model = sm_model_load (argv[1], tokenizer, &error);
  if (model == NULL)
    g_prefix_error (&error, "Cannot load %s: ", argv[1]);
  if (model == NULL)
    return sm_cli_fail ("quantize", g_steal_pointer (&error));
  if (!sm_model_save_gguf_mix (model, argv[2], mix, pure, &error))
    return sm_cli_fail ("quantize", g_steal_pointer (&error));

  /* read back: the header says what was written, a load says whether SmallMind runs it */
  g_autoptr (SmGguf) written = sm_gguf_open (argv[2], &error);
  if (written == NULL)
    return sm_cli_fail ("quantize", g_steal_pointer (&error));
  g_autofree char *summary = sm_quant_describe_gguf (written);
  printf ("wrote %s: %s; %.2f MiB of weights (was %.2f MiB)\n", argv[2], summary,
          gguf_tensor_bytes (written) / 1048576.0, sm_model_weight_bytes (model) / 1048576.0);

  g_autoptr (SmModel) check = sm_model_load (argv[2], NULL, &error);
  if (check == NULL && g_error_matches (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED))
    printf ("SmallMind cannot run it yet, llama.cpp can: %s\n", error->message);
  else if (check == NULL)
    return sm_cli_fail ("quantize", g_steal_pointer (&error));
  return 0;
}
