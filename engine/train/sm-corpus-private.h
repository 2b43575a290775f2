/* sm-corpus-private.h: what the corpus generator (sm-corpus.c) gives its stories
 * (sm-corpus-stories.c): a document being written, its random choices and its cast. */
#pragma once

#include "sm-corpus.h"

G_BEGIN_DECLS

#define COUNT_OF(a) G_N_ELEMENTS (a)

typedef struct {
  guint64     rng;
  GString    *out;
  GHashTable *vars;   /* char * -> char *, the cast */
} SmGen;

/* A uniform choice among @n, and TRUE @percent times in a hundred. */
guint        sm_gen_pick        (SmGen *g, guint n);
gboolean     sm_gen_chance      (SmGen *g, guint percent);
#define ONE_OF(g, list) ((list)[sm_gen_pick ((g), COUNT_OF (list))])

/* The cast: {key} in a template is the word set here (a missing key is a bug in a story). */
void         sm_gen_set         (SmGen *g, const char *key, const char *value);
const char  *sm_gen_get         (SmGen *g, const char *key);
/* @key = template @t expanded now (so later uses agree) */
void         sm_gen_set_render  (SmGen *g, const char *key, const char *t);
/* @key = @word and a_@key = "a word" / "an word" */
void         sm_gen_set_noun    (SmGen *g, const char *key, const char *word);

/* A sentence (or a few) of the current paragraph; the end of a paragraph or script line; a
 * script line "Speaker: text".  Short names: the stories are mostly calls to these. */
void         sm_gen_say         (SmGen *g, const char *t);
void         sm_gen_newline     (SmGen *g);
void         sm_gen_line        (SmGen *g, const char *speaker, const char *t);
#define S(g, t)           sm_gen_say ((g), (t))
#define NL(g)             sm_gen_newline (g)
#define L(g, speaker, t)  sm_gen_line ((g), (speaker), (t))

/* sm-corpus-stories.c: one document, a plan chosen by weight, told into @g. */
void         sm_corpus_tell     (SmGen *g);

G_END_DECLS
