/* sm-cli-bench-tokenize.c: `smallmind-cli bench tokenize -m FILE [--text FILE] [--mb N]
 * [-r N] [--special]`: how fast a vocabulary encodes a text, in MB of text a second.
 *
 * The text is --text's bytes, or else --mb MB (default 4) of SmallMind's generated corpus
 * (sm-corpus.c: English stories and dialogues, the same bytes on every machine).  One
 * untimed encoding warms the caches, then each of -r runs (default 7) encodes the whole text
 * once on one thread; the figure is the median run, with the fastest and slowest beside it.
 * Only the vocabulary of a GGUF is read.
 */
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
sm_cli_bench_tokenize (int argc, char **argv)
{
  g_autofree char *model_path = NULL, *tokenizer_path = NULL, *preset = NULL, *text_path = NULL;
  double mb = 4.0;
  int reps = 7;
  gboolean special = FALSE;
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- time a vocabulary's encoding");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree double *secs = NULL;
  g_autofree char *contents = NULL;
  const char *text;
  gsize len;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path,
      "Model or vocabulary (GGUF: only its tokenizer.* keys are read)", "FILE" },
    { "tokenizer", 'z', 0, G_OPTION_ARG_FILENAME, &tokenizer_path,
      "tokenizer.bin for a llama2.c checkpoint", "FILE" },
    { "preset", 0, 0, G_OPTION_ARG_STRING, &preset, "A built-in model's tokenizer: small or medium", "NAME" },
    { "text", 0, 0, G_OPTION_ARG_FILENAME, &text_path, "The text to encode (default: the generated corpus)", "FILE" },
    { "mb", 0, 0, G_OPTION_ARG_DOUBLE, &mb, "MB of generated corpus without --text (default 4)", "N" },
    { "repetitions", 'r', 0, G_OPTION_ARG_INT, &reps, "Timed runs (default 7)", "N" },
    { "special", 0, 0, G_OPTION_ARG_NONE, &special, "Parse control tokens in the text (encode_special)", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("bench tokenize", g_steal_pointer (&error));
  if (argc > 1)
    {
      fprintf (stderr, "smallmind-cli bench tokenize: unexpected argument '%s' (the text is --text FILE)\n", argv[1]);
      return 2;
    }
  if ((model_path == NULL) == (preset == NULL))
    {
      fprintf (stderr, "smallmind-cli bench tokenize: give the vocabulary as -m FILE or --preset NAME "
               "(one of them)\n");
      return 2;
    }
  if (reps < 1 || reps > 1000)
    {
      fprintf (stderr, "smallmind-cli bench tokenize: --repetitions must be 1 .. 1000\n");
      return 2;
    }
  if (text_path == NULL && !(mb > 0.0 && mb <= 1024.0))
    {
      fprintf (stderr, "smallmind-cli bench tokenize: --mb must be above 0 and at most 1024\n");
      return 2;
    }

  tok = sm_cli_load_tokenizer (model_path, tokenizer_path, preset, &error);
  if (tok == NULL)
    return sm_cli_fail ("bench tokenize", g_steal_pointer (&error));

  if (text_path != NULL)
    {
      if (!g_file_get_contents (text_path, &contents, &len, &error))
        return sm_cli_fail ("bench tokenize", g_steal_pointer (&error));
    }
  else
    {
      SmCorpusParams p;
      g_autoptr (GString) train = g_string_new (NULL);
      g_autoptr (GString) valid = g_string_new (NULL);

      sm_corpus_params_init (&p);
      p.train_bytes = (gsize) (mb * 1e6);
      sm_corpus_generate (&p, train, valid);
      len = MIN (train->len, p.train_bytes);
      contents = g_string_free (g_steal_pointer (&train), FALSE);
    }
  text = contents;
  if (len == 0)
    {
      fprintf (stderr, "smallmind-cli bench tokenize: the text is empty\n");
      return 2;
    }

  secs = g_new (double, reps);
  for (int r = -1; r < reps; r++)
    {
      gint64 t0;

      g_array_set_size (ids, 0);
      t0 = g_get_monotonic_time ();
      if (!(special ? sm_tokenizer_encode_special : sm_tokenizer_encode) (tok, text, (gssize) len,
                                                                          FALSE, ids, &error))
        return sm_cli_fail ("bench tokenize", g_steal_pointer (&error));
      if (r >= 0)
        secs[r] = (double) (g_get_monotonic_time () - t0) * 1e-6;
    }
  qsort (secs, (size_t) reps, sizeof *secs, cmp_double);

  printf ("vocabulary:  %s (%s%s%s, %d tokens)\n", model_path ? model_path : preset,
          sm_tokenizer_kind_name (tok), sm_tokenizer_get_pre (tok) ? ", pre-tokenizer " : "",
          sm_tokenizer_get_pre (tok) ? sm_tokenizer_get_pre (tok) : "", sm_tokenizer_n_vocab (tok));
  printf ("text:        %s, %" G_GSIZE_FORMAT " bytes -> %u tokens (%.2f bytes a token)\n",
          text_path ? text_path : "generated corpus", len, ids->len,
          ids->len ? (double) len / ids->len : 0.0);
  printf ("encode:      %.2f MB/s median of %d runs (%.2f .. %.2f), %.1f ms a run, 1 thread\n",
          len / 1e6 / secs[reps / 2], reps, len / 1e6 / secs[reps - 1], len / 1e6 / secs[0],
          secs[reps / 2] * 1e3);
  return 0;
}
