/* sm-generate.c: prefill with prefix reuse, then sample -> detokenize -> stop check -> decode. */
#include "sm-generate.h"
#include "sm-detokenizer.h"
#include "sm-model-file.h"

#include <string.h>

const char *
sm_stop_reason_to_string (SmStopReason reason)
{
  switch (reason)
    {
    case SM_STOP_NONE: return "none";
    case SM_STOP_MAX_TOKENS: return "max tokens";
    case SM_STOP_EOS: return "end of text";
    case SM_STOP_STOP_STRING: return "stop string";
    case SM_STOP_CONTEXT_FULL: return "context full";
    case SM_STOP_CANCELLED: return "cancelled";
    default: return "unknown";
    }
}

void
sm_generate_params_init (SmGenerateParams *p)
{
  memset (p, 0, sizeof *p);
  sm_sampler_params_init (&p->sampling);
  p->max_tokens = 128;
  p->add_bos = -1;
}

double
sm_generate_stats_prefill_tps (const SmGenerateStats *st)
{
  int evaluated = st->prompt_tokens - st->cached_tokens;
  return st->prefill_us > 0 ? evaluated * 1e6 / (double) st->prefill_us : 0.0;
}

double
sm_generate_stats_decode_tps (const SmGenerateStats *st)
{
  /* The first new token comes from the prefill's logits; the rest each cost one decode. */
  int decoded = st->generated_tokens - 1;
  return st->decode_us > 0 && decoded > 0 ? decoded * 1e6 / (double) st->decode_us : 0.0;
}

/* Emits what is safe from @pending: everything except a tail that could still grow into a
 * stop string.  Returns TRUE when a stop string is complete (text before it is emitted). */
static gboolean
emit_checked (GString *pending, const char *const *stop, const SmGenerateCallbacks *cb)
{
  gsize safe = pending->len;

  if (stop)
    {
      for (const char *const *s = stop; *s; s++)
        {
          const char *hit;
          gsize sl = strlen (*s);

          if (sl == 0)
            continue;
          hit = g_strstr_len (pending->str, pending->len, *s);
          if (hit)
            {
              if (cb && cb->text && hit > pending->str)
                cb->text (pending->str, hit - pending->str, cb->user);
              g_string_truncate (pending, 0);
              return TRUE;
            }
          /* the longest suffix of pending that is a prefix of the stop string */
          for (gsize k = MIN (sl - 1, pending->len); k > 0; k--)
            if (memcmp (pending->str + pending->len - k, *s, k) == 0)
              {
                safe = MIN (safe, pending->len - k);
                break;
              }
        }
    }
  /* never split a UTF-8 character when holding back */
  while (safe > 0 && safe < pending->len && (pending->str[safe] & 0xC0) == 0x80)
    safe--;
  if (safe > 0)
    {
      if (cb && cb->text)
        cb->text (pending->str, safe, cb->user);
      g_string_erase (pending, 0, safe);
    }
  return FALSE;
}

/* One evaluation whose logits may be used: a model file truncated under the pass made it read
 * zeros (the SIGBUS was caught, sm-mapped-file.h), and then what it computed is thrown away and
 * the generation fails, naming the file. */
static gboolean
eval (SmSession *session, const gint32 *tokens, gsize n, GError **error)
{
  return sm_session_eval (session, tokens, n, error) &&
         sm_model_check_file (sm_session_get_model (session), FALSE, error);
}

/* Makes room in a full context: keeps the newest half of what the cache holds, and the BOS
 * that opened it (LLaMA-style models always saw one first), and reads that again from position
 * 0.  Re-read, not moved: the cached rows belong to their positions (GPT adds a learned
 * embedding per position, RoPE rotates keys by it), so they would be wrong anywhere else.  For
 * the small models here re-reading half a context costs about what a few decoded tokens do. */
static gboolean
context_shift (SmSession *session, SmTokenizer *tok, GError **error)
{
  int n, w = 0, keep;
  const gint32 *held = sm_session_get_tokens (session, &n);
  g_autofree gint32 *window = g_new (gint32, MAX (n, 1));
  gint32 bos = sm_tokenizer_bos (tok);

  keep = n / 2;
  if (n > 0 && bos >= 0 && held[0] == bos)
    window[w++] = bos;
  memcpy (window + w, held + n - (keep - w), (gsize) (keep - w) * sizeof (gint32));
  sm_session_rewind (session, 0);
  return eval (session, window, keep, error);
}

gboolean
sm_generate (SmSession                 *session,
             const char                *prompt,
             const SmGenerateParams    *params,
             const SmGenerateCallbacks *cb,
             GCancellable              *cancellable,
             SmGenerateStats           *stats,
             GError                   **error)
{
  SmModel *model = sm_session_get_model (session);
  SmTokenizer *tok = sm_model_get_tokenizer (model);
  const int n_ctx = sm_session_get_n_ctx (session);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (SmSampler) sampler = NULL;
  g_autoptr (SmDetokenizer) detok = NULL;
  g_autoptr (GString) pending = g_string_new (NULL);
  const gint32 *cached;
  int n_cached, common = 0, n_prompt;
  gboolean add_bos;
  gint64 t_start, t_first = 0;

  memset (stats, 0, sizeof *stats);
  stats->context_size = n_ctx;
  /* a file rewritten in place since the last reply raised no fault but is not the model */
  if (!sm_sampler_params_check (&params->sampling, error) ||
      !sm_model_check_file (model, TRUE, error))
    return FALSE;
  t_start = g_get_monotonic_time ();

  /* A BOS only opens a text: a continuation (position > 0 and a prompt that extends the
   * cached text) keeps the one it has. */
  add_bos = params->add_bos >= 0 ? params->add_bos : sm_tokenizer_get_add_bos (tok);
  if (!(params->parse_special
        ? sm_tokenizer_encode_special (tok, prompt, -1, add_bos, ids, error)
        : sm_tokenizer_encode (tok, prompt, -1, add_bos, ids, error)))
    return FALSE;
  n_prompt = (int) ids->len;
  stats->prompt_tokens = n_prompt;

  if (n_prompt == 0)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                   "The prompt is empty and the tokenizer adds no start token: nothing to continue");
      return FALSE;
    }
  if (n_prompt >= n_ctx)
    {
      g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL,
                   "The prompt is %d tokens but the model's context holds %d; shorten it to "
                   "at most %d tokens to leave room for a reply", n_prompt, n_ctx, n_ctx - 1);
      return FALSE;
    }

  /* Reuse the cached prefix; at least the last prompt token is evaluated, for its logits. */
  cached = sm_session_get_tokens (session, &n_cached);
  while (common < n_cached && common < n_prompt - 1 &&
         cached[common] == g_array_index (ids, gint32, common))
    common++;
  common = sm_session_rewind (session, common);
  stats->cached_tokens = common;

  if (!eval (session, &g_array_index (ids, gint32, common), n_prompt - common, error))
    return FALSE;
  stats->prefill_us = g_get_monotonic_time () - t_start;

  sampler = sm_sampler_new (&params->sampling, sm_model_get_config (model)->vocab_size);
  for (int i = 0; i < n_prompt; i++)
    sm_sampler_accept (sampler, g_array_index (ids, gint32, i));
  detok = sm_detokenizer_new (tok, g_array_index (ids, gint32, n_prompt - 1));

  for (;;)
    {
      gint32 next;

      if (g_cancellable_is_cancelled (cancellable) ||
          (cb && cb->before_token && !cb->before_token (cb->user)))
        {
          stats->stop_reason = SM_STOP_CANCELLED;
          break;
        }

      next = sm_sampler_sample (sampler, sm_session_get_logits (session));
      if (sm_sampler_get_non_finite (sampler) > 0)
        {
          /* NaN spreads through every later position: no text can come of it.  New bytes
           * written over the model's file in place are a likely cause; then that is the error. */
          if (!sm_model_check_file (model, TRUE, error))
            return FALSE;
          g_set_error (error, SM_MODEL_ERROR, SM_MODEL_ERROR_INVALID,
                       "The model computed %d of its %d logits as NaN or infinite at position "
                       "%d: its weights are damaged or out of range",
                       sm_sampler_get_non_finite (sampler), sm_model_get_config (model)->vocab_size,
                       sm_session_get_pos (session));
          return FALSE;
        }
      if (stats->generated_tokens == 0)
        {
          t_first = g_get_monotonic_time ();
          stats->ttft_us = t_first - t_start;
        }
      if (sm_tokenizer_is_end (tok, next))
        {
          stats->stop_reason = SM_STOP_EOS;
          break;
        }

      stats->generated_tokens++;
      if (cb && cb->token)
        cb->token (next, cb->user);
      sm_sampler_accept (sampler, next);
      sm_detokenizer_push (detok, next, pending);
      if (emit_checked (pending, params->stop, cb))
        {
          stats->stop_reason = SM_STOP_STOP_STRING;
          break;
        }
      if (params->max_tokens > 0 && stats->generated_tokens >= params->max_tokens)
        {
          stats->stop_reason = SM_STOP_MAX_TOKENS;
          break;
        }
      if (sm_session_get_pos (session) >= n_ctx)
        {
          if (!params->context_shift || n_ctx < 4)
            {
              stats->stop_reason = SM_STOP_CONTEXT_FULL;
              break;
            }
          if (!context_shift (session, tok, error))
            return FALSE;
          stats->context_shifts++;
        }

      /* The sampled token's own evaluation gives the next logits. */
      if (!eval (session, &next, 1, error))
        return FALSE;
      stats->decode_us = g_get_monotonic_time () - t_first;
      stats->context_used = sm_session_get_pos (session);
      if (cb && cb->progress)
        cb->progress (stats, cb->user);
    }

  /* What was held back for a stop string that never came is text after all. */
  sm_detokenizer_flush (detok, pending);
  if (stats->stop_reason != SM_STOP_STOP_STRING && pending->len && cb && cb->text)
    cb->text (pending->str, pending->len, cb->user);

  if (t_first)
    stats->decode_us = g_get_monotonic_time () - t_first;
  stats->total_us = g_get_monotonic_time () - t_start;
  stats->context_used = sm_session_get_pos (session);
  /* Rewritten in place while the reply ran (no fault, only new bytes under the mapping): the
   * reply stands as it came, but it says so, and the model is not used again. */
  return sm_model_check_file (model, TRUE, error);
}
