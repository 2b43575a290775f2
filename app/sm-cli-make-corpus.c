/* sm-cli-make-corpus.c: `smallmind-cli make-corpus`: SmallMind's own training text, generated
 * from a seed (sm-corpus.c), with its validation split. */
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-corpus.h"

#include <stdio.h>

int
sm_cli_make_corpus (int argc, char **argv)
{
  SmCorpusParams p;
  gint64 seed, bytes;
  int valid_every;
  g_autoptr (GOptionContext) ctx = g_option_context_new ("OUTDIR - write SmallMind's training corpus (train.txt, valid.txt)");
  g_autoptr (GError) error = NULL;

  sm_corpus_params_init (&p);
  seed = (gint64) p.seed;
  bytes = (gint64) p.train_bytes;
  valid_every = (int) p.valid_every;
  GOptionEntry entries[] = {
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Generator seed (default 20240601)", "N" },
    { "bytes", 0, 0, G_OPTION_ARG_INT64, &bytes, "Training bytes at least (default 2200000)", "N" },
    { "valid-every", 0, 0, G_OPTION_ARG_INT, &valid_every, "Hold out one document in N (default 20)", "N" },
    { NULL }
  };
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("make-corpus", g_steal_pointer (&error));
  if (argc != 2)
    {
      fprintf (stderr, "smallmind-cli make-corpus: give the folder to write train.txt and valid.txt in\n");
      return 2;
    }
  if (bytes < 1 || bytes > G_GINT64_CONSTANT (1) << 32 || valid_every < 2 || seed < 0)
    {
      fprintf (stderr, "smallmind-cli make-corpus: --bytes must be 1 .. 4 GB, --valid-every at least 2, --seed >= 0\n");
      return 2;
    }
  p.seed = (guint64) seed;
  p.train_bytes = (gsize) bytes;
  p.valid_every = (guint) valid_every;
  if (!sm_corpus_write (&p, argv[1], &error))
    return sm_cli_fail ("make-corpus", g_steal_pointer (&error));

  {
    g_autofree char *tp = g_build_filename (argv[1], "train.txt", NULL);
    g_autofree char *vp = g_build_filename (argv[1], "valid.txt", NULL);
    g_autoptr (GFile) tf = g_file_new_for_path (tp);
    g_autoptr (GFile) vf = g_file_new_for_path (vp);
    g_autoptr (GFileInfo) ti = g_file_query_info (tf, G_FILE_ATTRIBUTE_STANDARD_SIZE, 0, NULL, NULL);
    g_autoptr (GFileInfo) vi = g_file_query_info (vf, G_FILE_ATTRIBUTE_STANDARD_SIZE, 0, NULL, NULL);
    fprintf (stderr, "wrote %s (%" G_GOFFSET_FORMAT " bytes) and %s (%" G_GOFFSET_FORMAT " bytes)\n",
             tp, ti ? g_file_info_get_size (ti) : 0, vp, vi ? g_file_info_get_size (vi) : 0);
    if (vi == NULL || g_file_info_get_size (vi) == 0)
      fprintf (stderr, "smallmind-cli make-corpus: warning: %s is empty: %" G_GINT64_FORMAT " bytes "
               "make fewer than %d documents, so none was held out (give more --bytes or a "
               "smaller --valid-every)\n", vp, bytes, valid_every);
  }
  return 0;
}
