/* sm-cli-train-tokenizer.c: `smallmind-cli train-tokenizer CORPUS.txt ...`: byte-level BPE
 * merges learnt from a corpus, written as the tokenizer a SmallMind model carries. */
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-train.h"

#include <stdio.h>

int
sm_cli_train_tokenizer (int argc, char **argv)
{
  int merges = 256;
  gboolean across = FALSE;
  g_autofree char *output = NULL;
  g_autoptr (GOptionContext) ctx = g_option_context_new ("CORPUS.txt ... - learn byte-level BPE merges");
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) text = g_byte_array_new ();
  g_autoptr (GArray) learned = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (SmTokenizer) tok = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  gint64 t0;
  GOptionEntry entries[] = {
    { "merges", 'n', 0, G_OPTION_ARG_INT, &merges, "Merges to learn (default 256: Medium's 512-token vocabulary)", "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "The tokenizer file (default tokenizer.json)", "FILE" },
    { "across-words", 0, 0, G_OPTION_ARG_NONE, &across, "Let merges cross word boundaries (plain BPE over the whole text)", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("train-tokenizer", g_steal_pointer (&error));
  if (argc < 2)
    {
      fprintf (stderr, "smallmind-cli train-tokenizer: give the corpus file(s) to learn from\n");
      return 2;
    }
  if (merges < 1 || merges > SM_BPE_MAX_MERGES)
    {
      fprintf (stderr, "smallmind-cli train-tokenizer: --merges must be between 1 and %d\n", SM_BPE_MAX_MERGES);
      return 2;
    }
  if (output == NULL)
    output = g_strdup ("tokenizer.json");

  for (int i = 1; i < argc; i++)
    {
      g_autofree char *contents = NULL;
      gsize len;
      const char *bad;

      if (!g_file_get_contents (argv[i], &contents, &len, &error))
        return sm_cli_fail ("train-tokenizer", g_steal_pointer (&error));
      if (len == 0)
        {
          fprintf (stderr, "smallmind-cli train-tokenizer: %s is empty\n", argv[i]);
          return 1;
        }
      if (!g_utf8_validate (contents, len, &bad))
        {
          fprintf (stderr, "smallmind-cli train-tokenizer: %s is not valid UTF-8 text (bad byte 0x%02x at offset %" G_GSIZE_FORMAT ")\n",
                   argv[i], (guint8) *bad, (gsize) (bad - contents));
          return 1;
        }
      g_byte_array_append (text, (const guint8 *) contents, len);
    }

  t0 = g_get_monotonic_time ();
  if (!(across ? sm_bpe_train (text->data, text->len, merges, learned, &error)
              : sm_bpe_train_words (text->data, text->len, merges, learned, &error)))
    return sm_cli_fail ("train-tokenizer", g_steal_pointer (&error));
  tok = sm_tokenizer_new_bpe ((const gint32 *) learned->data, learned->len / 2, &error);
  if (tok == NULL || !sm_train_tokenizer_save (tok, output, &error))
    return sm_cli_fail ("train-tokenizer", g_steal_pointer (&error));
  if (!sm_tokenizer_encode (tok, (const char *) text->data, text->len, FALSE, ids, &error))
    return sm_cli_fail ("train-tokenizer", g_steal_pointer (&error));

  fprintf (stderr, "learned %u merges from %u bytes in %.1f s: %u tokens, %.2f bytes per token\n",
           learned->len / 2, text->len, (g_get_monotonic_time () - t0) / 1e6, ids->len,
           (double) text->len / MAX (ids->len, 1));
  fprintf (stderr, "first merges:");
  for (guint i = 0; i < MIN (12u, learned->len / 2); i++)
    {
      gsize len;
      const char *piece = sm_tokenizer_token_bytes (tok, 256 + i, &len);
      g_autofree char *shown = g_strescape (piece, NULL);
      fprintf (stderr, " \"%s\"", shown);
    }
  fprintf (stderr, "\nwritten to %s\n", output);
  return 0;
}
