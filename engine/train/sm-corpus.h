/* sm-corpus.h: SmallMind's own training text: short stories and simple dialogues.
 *
 * A deterministic generator: word lists, a small template grammar ([a|b] picks one, {key}
 * fills in a story's cast, {Key} capitalised) and story plans written in sm-corpus.c.  Every
 * document is a function of (seed, index) alone, so any one can be regenerated, and the whole
 * corpus is the same bytes on every machine.  Plain ASCII: letters, spaces, newlines and
 * . , ! ? ' " : - only; every line ends a sentence.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 seed;
  gsize   train_bytes;   /* generate until the training split holds at least this much */
  guint   valid_every;   /* about one document in this many goes to the validation split */
} SmCorpusParams;

/* seed 20240601, 2,200,000 training bytes, one document in 20 held out. */
void      sm_corpus_params_init (SmCorpusParams *params);

/* Document @index of the corpus of @seed (a story or a dialogue, ending in "\n"); g_free. */
char     *sm_corpus_document    (guint64 seed, guint64 index);

/* Appends the corpus to @train and @valid: documents in index order, each to one split (a
 * hash of seed and index decides), separated by a blank line; exact repeats are skipped, so
 * no validation document also appears in training. */
void      sm_corpus_generate    (const SmCorpusParams *params, GString *train, GString *valid);

/* Writes @dir/train.txt and @dir/valid.txt (creating @dir), each atomically. */
gboolean  sm_corpus_write       (const SmCorpusParams *params, const char *dir, GError **error);

G_END_DECLS
