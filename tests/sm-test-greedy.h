/* sm-test-greedy.h: comparing a model's greedy choices with llama.cpp's recorded ones. */
#pragma once

#include "sm-session.h"

G_BEGIN_DECLS

/* "prompt_ids: 1 2 3" in @text -> its ids (after @key up to the end of that line). */
GArray *sm_test_parse_ids  (const char *text, const char *key);
/* Teacher forcing: @want fed one at a time after @prompt; at each step, how far want's pick
 * lies below our top logit, relative to the spread of the logits (their standard deviation).
 * Returns the worst such gap, with its step, the mean lead of our top over our runner-up and
 * the steps where our top is want's pick.  This checks every step, where free-running greedy
 * decoding stops telling anything at its first flip. */
double  sm_test_forced_gap (SmModel *m, SmKvType kv, GArray *prompt, GArray *want,
                            guint *worst_at, double *mean_lead, guint *agree);
/* Greedy ids of @prompt at @level with a @kv cache: the prompt's (as the tokenizer and the
 * template-free prompt give them), then @n_new generated ones, all evaluated. */
GArray *sm_test_greedy_ids (SmModel *m, const char *prompt, SmKernelLevel level, SmKvType kv,
                            int n_new);
/* How many of @want's first ids @got (from @offset) repeats. */
guint   sm_test_ids_agree  (GArray *got, guint offset, GArray *want);

G_END_DECLS
