/* sm-pretokenizer-regex.c: one of llama.cpp's pre-tokenizer regexes run through GRegex on the
 * text llama.cpp would hand std::regex (unicode_regex_split), so both cut alike.
 *
 * A regex that uses \p{..} runs over the text collapsed to one byte a character: ASCII as
 * itself, other white space as \v, other characters as a byte standing for their class
 * (0xD1 a number, 0xD2 a letter, 0xD3 punctuation, 0xD4 a mark, 0xD5 a symbol, 0xD0 the rest),
 * and each \p{X} becomes a class of that byte and X's ASCII members.  GRegex runs it on bytes
 * (G_REGEX_RAW).  A regex without \p{..} names its characters, so it runs over the characters
 * themselves (UTF-8 here, wchar_t there), non-ASCII white space again made \v, as neither
 * engine's \s is Unicode-aware there.  `$` is the end of the piece only, as in ECMAScript.
 */
#define G_LOG_DOMAIN "sm-tokenizer"

#include "sm-pretokenizer-private.h"

#include <string.h>

#include "sm-tokenizer.h"

struct _SmPretokRegex {
  GRegex   *re;
  gboolean  collapsed;
};

/* llama.cpp's k_ucat_enum / k_ucat_cpt / k_ucat_map: the collapsed byte of a class and its
 * ASCII members, written as the inside of a regex class.  Its \p{S} leaves out '~'. */
static const struct {
  const char *name;
  const char *byte;
  const char *ascii;
} categories[] = {
  { "\\p{N}",  "\\xd1", "0-9" },
  { "\\p{L}",  "\\xd2", "A-Za-z" },
  { "\\p{P}",  "\\xd3", "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}" },
  { "\\p{M}",  "\\xd4", "" },
  { "\\p{S}",  "\\xd5", "\\$\\+<->\\^`\\|" },
  { "\\p{Lu}", "\\xd2", "A-Za-z" },
  { "\\p{Ll}", "\\xd2", "A-Za-z" },
  { "\\p{Lt}", "\\xd2", "A-Za-z" },
  { "\\p{Lm}", "\\xd2", "A-Za-z" },
  { "\\p{Lo}", "\\xd2", "A-Za-z" },
};

static int
category_at (const char *p, gsize len, gsize i, gsize *name_len)
{
  const char *close;

  if (i + 3 >= len || p[i] != '\\' || p[i + 1] != 'p' || p[i + 2] != '{')
    return -1;
  close = memchr (p + i + 3, '}', len - i - 3);
  if (close == NULL || (gsize) (close - p) > i + 10)
    return -1;
  *name_len = (gsize) (close - p) - i + 1;
  for (guint c = 0; c < G_N_ELEMENTS (categories); c++)
    if (strlen (categories[c].name) == *name_len && memcmp (categories[c].name, p + i, *name_len) == 0)
      return (int) c;
  return -1;
}

/* The regex for the collapsed text: each \p{X} the byte of X and its ASCII members, in a class
 * of its own unless already inside one (llama.cpp's translation, which knows no nesting). */
static char *
collapse_pattern (const char *p)
{
  GString *out = g_string_new (NULL);
  gsize len = strlen (p);
  gboolean inside = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      gsize n;
      int c;

      if (p[i] == '[' && (i == 0 || p[i - 1] != '\\'))
        {
          g_string_append_c (out, '[');
          inside = TRUE;
          continue;
        }
      if (inside && p[i] == ']' && p[i - 1] != '\\')
        {
          g_string_append_c (out, ']');
          inside = FALSE;
          continue;
        }
      c = category_at (p, len, i, &n);
      if (c >= 0)
        {
          if (!inside)
            g_string_append_c (out, '[');
          g_string_append (out, categories[c].byte);
          g_string_append (out, categories[c].ascii);
          if (!inside)
            g_string_append_c (out, ']');
          i += n - 1;
          continue;
        }
      g_string_append_c (out, p[i]);
    }
  return g_string_free (out, FALSE);
}

SmPretokRegex *
sm_pretok_regex_new (const char *pattern, GError **error)
{
  g_autofree char *collapsed = NULL;
  g_autoptr (GError) local = NULL;
  SmPretokRegex *re;
  gboolean use_collapsed = FALSE;

  g_return_val_if_fail (pattern != NULL, NULL);
  for (guint c = 0; c < G_N_ELEMENTS (categories) && !use_collapsed; c++)
    use_collapsed = strstr (pattern, categories[c].name) != NULL;

  re = g_new0 (SmPretokRegex, 1);
  re->collapsed = use_collapsed;
  if (use_collapsed)
    {
      collapsed = collapse_pattern (pattern);
      re->re = g_regex_new (collapsed, G_REGEX_RAW | G_REGEX_DOLLAR_ENDONLY | G_REGEX_OPTIMIZE,
                            0, &local);
    }
  else
    re->re = g_regex_new (pattern, G_REGEX_DOLLAR_ENDONLY | G_REGEX_OPTIMIZE, 0, &local);
  if (re->re == NULL)
    {
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_UNSUPPORTED,
                   "The pre-tokenizer regex %s does not compile: %s", pattern, local->message);
      g_free (re);
      return NULL;
    }
  return re;
}

void
sm_pretok_regex_free (SmPretokRegex *re)
{
  if (re == NULL)
    return;
  g_regex_unref (re->re);
  g_free (re);
}

static char
collapsed_byte (guint32 c, guint16 f)
{
  if (c < 128)
    return (char) c;
  if (f & SM_CPT_SPACE)
    return '\v';
  switch (f & 0xff)
    {
    case SM_CPT_NUMBER: return (char) 0xd1;
    case SM_CPT_LETTER: return (char) 0xd2;
    case SM_CPT_PUNCT:  return (char) 0xd3;
    case SM_CPT_MARK:   return (char) 0xd4;
    case SM_CPT_SYMBOL: return (char) 0xd5;
    default:            return (char) 0xd0;
    }
}

void
sm_pretok_regex_split (const SmPretokRegex *re, const char *text, gsize start, gsize end,
                       SmSpanFunc emit, gpointer data)
{
  const guint8 *s = (const guint8 *) text;
  g_autoptr (GString) subject = g_string_sized_new (end - start);
  g_autoptr (GArray) at = g_array_new (FALSE, FALSE, sizeof (gsize));   /* subject offset -> text */
  GMatchInfo *mi = NULL;
  gsize gap = start;

  /* The subject, and for each of its offsets where a character starts, that character's
   * offset in the text (-1 inside a character). */
  for (gsize i = start; i < end;)
    {
      guint32 c;
      guint n = sm_utf8_decode (s, end, i, &c);
      guint16 f = sm_cpt_flags (c);
      gsize before = subject->len, none = G_MAXSIZE;

      if (re->collapsed)
        g_string_append_c (subject, collapsed_byte (c, f));
      else if (c >= 128 && (f & SM_CPT_SPACE))
        g_string_append_c (subject, '\v');
      else if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        g_string_append_unichar (subject, 0xfffd);
      else
        g_string_append_unichar (subject, c);
      g_array_append_val (at, i);
      for (gsize k = before + 1; k < subject->len; k++)
        g_array_append_val (at, none);
      i += n;
    }
  g_array_append_val (at, end);

  g_regex_match_full (re->re, subject->str, (gssize) subject->len, 0, 0, &mi, NULL);
  while (g_match_info_matches (mi))
    {
      gint ms, me;

      if (g_match_info_fetch_pos (mi, 0, &ms, &me) && me > ms)
        {
          gsize a = g_array_index (at, gsize, ms), b = g_array_index (at, gsize, me);

          g_assert (a != G_MAXSIZE && b != G_MAXSIZE);
          if (a > gap)
            emit (gap, a, data);
          emit (a, b, data);
          gap = b;
        }
      g_match_info_next (mi, NULL);
    }
  g_match_info_free (mi);
  if (gap < end)
    emit (gap, end, data);
}
