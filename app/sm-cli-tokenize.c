/* sm-cli-tokenize.c: `smallmind-cli tokenize -m FILE [--ids] [--no-bos] [--stdin | -f FILE |
 * TEXT]`: a text's tokens, printed as llama.cpp's llama-tokenize prints them, so the two can
 * be compared line for line:
 *
 *     15496 -> 'Hello'        (one line a token: the id right-aligned in 6, the piece quoted)
 *     [15496, 995]            (--ids)
 *
 * As llama-tokenize: BOS when the vocabulary asks for it (and EOS after, when it asks for
 * that too), control tokens spelled in the text parsed as such (--no-parse-special: not),
 * and a control token's piece printed as it is spelled.  Unlike llama-tokenize, TEXT is taken
 * as it is: no \n escapes (use --stdin or -f for text with newlines).  Only the vocabulary of
 * a GGUF is read, so vocabulary-only files work; other files load their model.
 */
#include "sm-cli.h"
#include "sm-cli-common.h"

#include <stdio.h>
#include <string.h>

/* What llama.cpp's token_to_piece gives with special = TRUE: control and unknown tokens as
 * spelled, the others as the bytes they stand for. */
static const char *
printed_piece (SmTokenizer *tok, gint32 id, gsize *len)
{
  SmTokenType type = sm_tokenizer_token_type (tok, id);

  if (type == SM_TOKEN_TYPE_CONTROL || type == SM_TOKEN_TYPE_UNKNOWN)
    {
      const char *p = sm_tokenizer_token_piece (tok, id);
      *len = strlen (p);
      return p;
    }
  return sm_tokenizer_token_bytes (tok, id, len);
}

static gboolean
read_all (FILE *f, GByteArray *out)
{
  guint8 buf[65536];
  size_t n;

  while ((n = fread (buf, 1, sizeof buf, f)) > 0)
    g_byte_array_append (out, buf, (guint) n);
  return !ferror (f);
}

int
sm_cli_tokenize (int argc, char **argv)
{
  g_autofree char *model_path = NULL, *tokenizer_path = NULL, *preset = NULL, *file = NULL;
  gboolean ids_only = FALSE, no_bos = FALSE, from_stdin = FALSE, no_special = FALSE;
  g_autoptr (GOptionContext) ctx = g_option_context_new ("[TEXT] - print the tokens of a text");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = NULL;
  g_autoptr (GByteArray) text = g_byte_array_new ();
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  gboolean add_special;
  guint sources;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path,
      "Model or vocabulary: GGUF (only its tokenizer.* keys are read), llama2.c .bin, "
      "SmallMind checkpoint", "FILE" },
    { "tokenizer", 'z', 0, G_OPTION_ARG_FILENAME, &tokenizer_path,
      "tokenizer.bin for a llama2.c checkpoint (default: beside the model)", "FILE" },
    { "preset", 0, 0, G_OPTION_ARG_STRING, &preset, "A built-in model's tokenizer: small or medium", "NAME" },
    { "ids", 0, 0, G_OPTION_ARG_NONE, &ids_only, "Print only the ids, as [1, 2, 3]", NULL },
    { "no-bos", 0, 0, G_OPTION_ARG_NONE, &no_bos, "No BOS (nor EOS) even if the vocabulary asks for it", NULL },
    { "no-parse-special", 0, 0, G_OPTION_ARG_NONE, &no_special,
      "Control tokens spelled in the text stay text", NULL },
    { "stdin", 0, 0, G_OPTION_ARG_NONE, &from_stdin, "Read the text from standard input, exactly", NULL },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file, "Read the text from FILE, exactly", "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("tokenize", g_steal_pointer (&error));
  sources = (guint) (argc > 1) + (guint) from_stdin + (guint) (file != NULL);
  if (argc > 2 || sources != 1)
    {
      fprintf (stderr, "smallmind-cli tokenize: give the text once: as TEXT, --stdin or -f FILE\n");
      return 2;
    }
  if ((model_path == NULL) == (preset == NULL))
    {
      fprintf (stderr, "smallmind-cli tokenize: give the vocabulary as -m FILE or --preset NAME "
               "(one of them)\n");
      return 2;
    }

  tok = sm_cli_load_tokenizer (model_path, tokenizer_path, preset, &error);
  if (tok == NULL)
    return sm_cli_fail ("tokenize", g_steal_pointer (&error));

  if (argc > 1)
    g_byte_array_append (text, (const guint8 *) argv[1], (guint) strlen (argv[1]));
  else if (from_stdin)
    {
      if (!read_all (stdin, text))
        {
          fprintf (stderr, "smallmind-cli tokenize: cannot read standard input\n");
          return 1;
        }
    }
  else
    {
      g_autofree char *contents = NULL;
      gsize len;
      if (!g_file_get_contents (file, &contents, &len, &error))
        return sm_cli_fail ("tokenize", g_steal_pointer (&error));
      g_byte_array_append (text, (const guint8 *) contents, (guint) len);
    }

  /* llama-tokenize: add_special = the vocabulary's add_bos and not --no-bos */
  add_special = sm_tokenizer_get_add_bos (tok) && !no_bos;
  if (!(no_special ? sm_tokenizer_encode : sm_tokenizer_encode_special) (
          tok, (const char *) text->data, (gssize) text->len, add_special, ids, &error))
    return sm_cli_fail ("tokenize", g_steal_pointer (&error));
  if (add_special && sm_tokenizer_get_add_eos (tok))
    {
      gint32 eos = sm_tokenizer_eos (tok);
      g_array_append_val (ids, eos);
    }

  if (ids_only)
    {
      fputc ('[', stdout);
      for (guint i = 0; i < ids->len; i++)
        printf ("%s%d", i ? ", " : "", g_array_index (ids, gint32, i));
      fputs ("]\n", stdout);
      return 0;
    }
  for (guint i = 0; i < ids->len; i++)
    {
      gint32 id = g_array_index (ids, gint32, i);
      gsize len;
      const char *piece = printed_piece (tok, id, &len);

      /* the piece's bytes as they are, a broken UTF-8 sequence too (llama-tokenize prints
       * them raw where the console is not Windows') */
      printf ("%6d -> '", id);
      fwrite (piece, 1, len, stdout);
      fputs ("'\n", stdout);
    }
  return 0;
}
