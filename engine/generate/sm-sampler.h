/* sm-sampler.h: turning logits into the next token.
 *
 * Greedy when temperature is 0; otherwise, in llama.cpp's order: repetition penalty over the
 * last tokens, top-k, top-p, min-p, temperature, then a draw from a seeded generator.  Every
 * buffer is allocated once, at creation: sampling a token allocates nothing.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  float   temperature;     /* 0: greedy (argmax, the first on ties)              */
  int     top_k;           /* 0: off                                             */
  float   top_p;           /* 1: off                                             */
  float   min_p;           /* 0: off; keep tokens with p >= min_p · p_max        */
  float   repeat_penalty;  /* 1: off; as llama.cpp: logit / p if > 0 else · p   */
  int     repeat_last_n;   /* how many recent tokens the penalty looks at        */
  guint64 seed;
} SmSamplerParams;

/* Greedy defaults: temperature 0, top_k 40, top_p 0.95, min_p 0.05, penalty 1, last 64. */
void       sm_sampler_params_init (SmSamplerParams *params);
/* Whether every field is in its range (temperature finite and >= 0, top_k >= 0,
 * 0 < top_p <= 1, 0 <= min_p <= 1, repeat_penalty finite and > 0, repeat_last_n >= 0); the
 * error (G_OPTION_ERROR_BAD_VALUE) names the first one that is not. */
gboolean   sm_sampler_params_check (const SmSamplerParams *params, GError **error);

typedef struct _SmSampler SmSampler;

SmSampler *sm_sampler_new        (const SmSamplerParams *params, int n_vocab);
void       sm_sampler_free       (SmSampler *sampler);
void       sm_sampler_reset      (SmSampler *sampler, guint64 seed);
/* Remembers a token for the repetition penalty (prompt tokens too). */
void       sm_sampler_accept     (SmSampler *sampler, gint32 token);
/* Picks the next token from logits[n_vocab] (not modified).  A NaN logit counts as no
 * chance at all and +inf as the largest float, so damaged logits never upset the sort; how
 * many there were is sm_sampler_get_non_finite's. */
gint32     sm_sampler_sample     (SmSampler *sampler, const float *logits);
/* NaN or infinite logits in the last sm_sampler_sample's input. */
int        sm_sampler_get_non_finite (SmSampler *sampler);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmSampler, sm_sampler_free)

G_END_DECLS
