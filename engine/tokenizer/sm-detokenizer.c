/* sm-detokenizer.c: streaming token ids -> valid UTF-8. */
#define G_LOG_DOMAIN "sm-tokenizer"

#include "sm-detokenizer.h"

#include "sm-tokenizer-private.h"

#define REPLACEMENT "\xef\xbf\xbd"   /* U+FFFD */

struct _SmDetokenizer {
  SmTokenizer *tok;
  gint32       prev;      /* the last id pushed (or the one given at the start) */
  guint8       held[4];   /* the start of a character still waiting for its other bytes */
  guint        n_held;
};

SmDetokenizer *
sm_detokenizer_new (SmTokenizer *tok, gint32 prev_id)
{
  SmDetokenizer *detok;

  g_return_val_if_fail (tok != NULL, NULL);
  detok = g_new0 (SmDetokenizer, 1);
  detok->tok = sm_tokenizer_ref (tok);
  detok->prev = prev_id;
  return detok;
}

void
sm_detokenizer_free (SmDetokenizer *detok)
{
  if (detok == NULL)
    return;
  sm_tokenizer_unref (detok->tok);
  g_free (detok);
}

void
sm_detokenizer_reset (SmDetokenizer *detok, gint32 prev_id)
{
  g_return_if_fail (detok != NULL);
  detok->prev = prev_id;
  detok->n_held = 0;
}

/* The number of bytes of the character that @c starts, or 0 when @c cannot start one. */
static guint
utf8_need (guint8 c)
{
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    return 2;
  if (c >= 0xe0 && c <= 0xef)
    return 3;
  if (c >= 0xf0 && c <= 0xf4)
    return 4;
  return 0;
}

/* Whether @c may be byte @k (1..3) of a character starting with @lead.  The second byte's range
 * depends on the lead: it shuts out overlong forms, surrogates and code points past U+10FFFF. */
static gboolean
utf8_continues (guint8 lead, guint k, guint8 c)
{
  if (k == 1)
    switch (lead)
      {
      case 0xe0: return c >= 0xa0 && c <= 0xbf;
      case 0xed: return c >= 0x80 && c <= 0x9f;
      case 0xf0: return c >= 0x90 && c <= 0xbf;
      case 0xf4: return c >= 0x80 && c <= 0x8f;
      default:   break;
      }
  return c >= 0x80 && c <= 0xbf;
}

/* Feeds one byte; appends to @out what it completes or proves invalid. */
static void
feed (SmDetokenizer *d, guint8 c, GString *out)
{
  if (d->n_held > 0)
    {
      if (utf8_continues (d->held[0], d->n_held, c))
        {
          d->held[d->n_held++] = c;
          if (d->n_held == utf8_need (d->held[0]))
            {
              g_string_append_len (out, (const char *) d->held, d->n_held);
              d->n_held = 0;
            }
          return;
        }
      /* The held bytes are a maximal subpart that can never complete: one U+FFFD, and @c
       * starts afresh. */
      g_string_append (out, REPLACEMENT);
      d->n_held = 0;
    }

  switch (utf8_need (c))
    {
    case 0:
      g_string_append (out, REPLACEMENT);
      break;
    case 1:
      g_string_append_c (out, (char) c);
      break;
    default:
      d->held[0] = c;
      d->n_held = 1;
      break;
    }
}

gsize
sm_detokenizer_push (SmDetokenizer *detok, gint32 id, GString *out)
{
  SmTokenizer *tok;
  const char *b;
  gsize n, before;

  g_return_val_if_fail (detok != NULL, 0);
  g_return_val_if_fail (out != NULL, 0);

  tok = detok->tok;
  before = out->len;
  b = sm_tokenizer_token_bytes (tok, id, &n);
  if (b != NULL)
    {
      /* llama2.c: "following BOS token, sentencepiece decoder strips any leading whitespace". */
      if (tok->kind == SM_TOKENIZER_SPM && tok->add_space_prefix && tok->bos >= 0 &&
          detok->prev == tok->bos && n > 0 && b[0] == ' ')
        b++, n--;
      for (gsize i = 0; i < n; i++)
        feed (detok, (guint8) b[i], out);
    }
  detok->prev = id;
  return out->len - before;
}

gsize
sm_detokenizer_flush (SmDetokenizer *detok, GString *out)
{
  g_return_val_if_fail (detok != NULL, 0);
  g_return_val_if_fail (out != NULL, 0);

  if (detok->n_held == 0)
    return 0;
  detok->n_held = 0;
  g_string_append (out, REPLACEMENT);
  return sizeof REPLACEMENT - 1;
}
