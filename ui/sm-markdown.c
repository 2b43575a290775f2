/* sm-markdown.c: a line of Markdown as a block kind, and its inline spans as Pango markup. */
#include <string.h>

#include "sm-markdown.h"

/* ---- blocks -------------------------------------------------------------------------------- */

static gboolean
is_blank (const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
      return FALSE;
  return TRUE;
}

/* A fence: three or more backticks (or tildes) after at most three spaces. */
static gboolean
is_fence (const char *s, gsize len, gsize *after)
{
  gsize i = 0, n = 0;

  while (i < len && i < 3 && s[i] == ' ')
    i++;
  if (i >= len || (s[i] != '`' && s[i] != '~'))
    return FALSE;
  while (i + n < len && s[i + n] == s[i])
    n++;
  if (n < 3)
    return FALSE;
  *after = i + n;
  return TRUE;
}

/* "---", "* * *", "___": three or more of one of them, spaces between allowed. */
static gboolean
is_rule (const char *s, gsize len)
{
  char c = 0;
  int n = 0;

  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')
        continue;
      if ((s[i] != '-' && s[i] != '*' && s[i] != '_') || (c != 0 && s[i] != c))
        return FALSE;
      c = s[i];
      n++;
    }
  return n >= 3;
}

static void
set_body (SmMdLine *out, const char *start, const char *end)
{
  while (start < end && (*start == ' ' || *start == '\t'))
    start++;
  while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
    end--;
  out->body = start;
  out->body_len = (gsize) (end - start);
}

void
sm_markdown_parse_line (const char *line, gsize len, gboolean in_code, SmMdLine *out)
{
  const char *end = line + len;
  gsize indent = 0, i, after;

  memset (out, 0, sizeof *out);
  if (in_code)
    {
      if (is_fence (line, len, &after) && is_blank (line + after, len - after))
        {
          out->kind = SM_MD_FENCE;
          out->body = line + after;
          return;
        }
      out->kind = SM_MD_CODE;
      out->body = line;
      out->body_len = len;
      return;
    }

  for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
    indent += line[i] == '\t' ? 4 : 1;
  out->level = (int) MIN (indent / 2, 5);

  if (is_fence (line, len, &after))
    {
      const char *lang = line + after, *stop;

      out->kind = SM_MD_FENCE;
      out->level = 0;
      /* the info string's first word names the language */
      while (lang < end && (*lang == ' ' || *lang == '\t'))
        lang++;
      for (stop = lang; stop < end && *stop != ' ' && *stop != '\t' && *stop != '\r'; stop++)
        ;
      out->body = lang;
      out->body_len = (gsize) (stop - lang);
      return;
    }
  if (i < len && line[i] == '#' && indent < 4)
    {
      gsize n = 0;

      while (i + n < len && line[i + n] == '#')
        n++;
      if (n <= 6 && (i + n == len || line[i + n] == ' ' || line[i + n] == '\t'))
        {
          const char *stop = end;

          out->kind = SM_MD_HEADING;
          out->level = (int) n;
          /* a closing run of #s after a space is not part of the title */
          while (stop > line + i + n && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r'))
            stop--;
          {
            const char *hash = stop;
            while (hash > line + i + n && hash[-1] == '#')
              hash--;
            if (hash < stop && (hash == line + i + n || hash[-1] == ' ' || hash[-1] == '\t'))
              stop = hash;
          }
          set_body (out, line + i + n, stop);
          return;
        }
    }
  if (indent < 4 && is_rule (line, len))
    {
      out->kind = SM_MD_RULE;
      out->level = 0;
      return;
    }
  if (i < len && line[i] == '>')
    {
      out->kind = SM_MD_QUOTE;
      set_body (out, line + i + 1, end);
      return;
    }
  if (i + 1 < len && (line[i] == '-' || line[i] == '*' || line[i] == '+')
      && (line[i + 1] == ' ' || line[i + 1] == '\t'))
    {
      out->kind = SM_MD_BULLET;
      set_body (out, line + i + 2, end);
      return;
    }
  {
    gsize d = 0;

    while (i + d < len && d < 9 && g_ascii_isdigit (line[i + d]))
      d++;
    if (d > 0 && i + d + 1 < len && (line[i + d] == '.' || line[i + d] == ')')
        && (line[i + d + 1] == ' ' || line[i + d + 1] == '\t'))
      {
        out->kind = SM_MD_NUMBERED;
        memcpy (out->marker, line + i, d + 1);
        out->marker[d + 1] = '\0';
        set_body (out, line + i + d + 2, end);
        return;
      }
  }
  out->kind = SM_MD_PARAGRAPH;
  out->level = 0;
  set_body (out, line, end);
}

/* ---- inline spans -------------------------------------------------------------------------- */

typedef enum { TOK_TEXT, TOK_CODE, TOK_DELIM, TOK_LINK } TokKind;

typedef struct {
  TokKind  kind;
  gsize    start, len;        /* TEXT, CODE: the text; DELIM: the run; LINK: the link text */
  gsize    url, url_len;      /* LINK */
  char     c;                 /* DELIM: '*', '_' or '~' */
  gboolean can_open, can_close;
  int      match;             /* DELIM: +1 opens a pair, -1 closes one, 0 literal */
} Tok;

static gboolean
is_space_at (const char *s, gsize len, gsize i)
{
  return i >= len || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
}

static gboolean
is_punct_at (const char *s, gsize len, gsize i)
{
  return i < len && g_ascii_ispunct (s[i]);
}

/* The run of @n backticks closing a code span that opens before @from, or -1. */
static gssize
find_backticks (const char *s, gsize len, gsize from, gsize n)
{
  for (gsize i = from; i < len; )
    {
      gsize r = 0;

      if (s[i] != '`')
        {
          i++;
          continue;
        }
      while (i + r < len && s[i + r] == '`')
        r++;
      if (r == n)
        return (gssize) i;
      i += r;
    }
  return -1;
}

/* "[text](url)" at @i: its parts, when it is one. */
static gboolean
find_link (const char *s, gsize len, gsize i, Tok *tok)
{
  int depth = 0;
  gsize j, k;

  for (j = i; j < len; j++)
    {
      if (s[j] == '\\' && j + 1 < len)
        j++;
      else if (s[j] == '[')
        depth++;
      else if (s[j] == ']' && --depth == 0)
        break;
    }
  if (j >= len || j + 1 >= len || s[j + 1] != '(')
    return FALSE;
  for (k = j + 2; k < len && s[k] != ')' && s[k] != ' ' && s[k] != '\n'; k++)
    ;
  if (k >= len || s[k] != ')')
    return FALSE;
  tok->kind = TOK_LINK;
  tok->start = i + 1;
  tok->len = j - i - 1;
  tok->url = j + 2;
  tok->url_len = k - j - 2;
  return TRUE;
}

/* A link the label may open: the web and mail only, not a file or a program's scheme that a
 * model's text could point at. */
static gboolean
safe_url (const char *url, gsize len)
{
  static const char *const schemes[] = { "https://", "http://", "mailto:" };

  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (len > strlen (schemes[i]) && g_ascii_strncasecmp (url, schemes[i], strlen (schemes[i])) == 0)
      return TRUE;
  return FALSE;
}

static void
append_escaped (GString *out, const char *s, gsize len)
{
  g_autofree char *e = g_markup_escape_text (s, (gssize) len);
  g_string_append (out, e);
}

static char *inline_markup (const char *s, gsize len, gboolean links);

static void
emit_delim (GString *out, const Tok *t, const char *s)
{
  static const char *const open[] = { NULL, "<i>", "<b>", "<b><i>" };
  static const char *const close[] = { NULL, "</i>", "</b>", "</i></b>" };

  if (t->match == 0)
    append_escaped (out, s + t->start, t->len);
  else if (t->c == '~')
    g_string_append (out, t->match > 0 ? "<s>" : "</s>");
  else
    g_string_append (out, t->match > 0 ? open[t->len] : close[t->len]);
}

static char *
inline_markup (const char *s, gsize len, gboolean links)
{
  g_autoptr (GArray) toks = g_array_new (FALSE, TRUE, sizeof (Tok));
  g_autoptr (GArray) openers = g_array_new (FALSE, FALSE, sizeof (guint));
  GString *out = g_string_sized_new (len + len / 4 + 16);
  gsize text_start = 0, i = 0;

#define FLUSH_TEXT(upto) G_STMT_START {                                        \
    if ((upto) > text_start) {                                                 \
      Tok t_ = { .kind = TOK_TEXT, .start = text_start, .len = (upto) - text_start }; \
      g_array_append_val (toks, t_);                                           \
    } } G_STMT_END

  while (i < len)
    {
      char c = s[i];

      if (c == '\\' && i + 1 < len && g_ascii_ispunct (s[i + 1]))
        {
          FLUSH_TEXT (i);
          text_start = i + 1;     /* the escaped character is text */
          i += 2;
          continue;
        }
      if (c == '`')
        {
          gsize n = 0;
          gssize close;

          while (i + n < len && s[i + n] == '`')
            n++;
          /* a run that finds no closer is the last of its length, so the searches that
           * fail are one per length: at most about sqrt (2 len) of them */
          close = find_backticks (s, len, i + n, n);
          if (close >= 0)
            {
              Tok t = { .kind = TOK_CODE, .start = i + n, .len = (gsize) close - i - n };

              FLUSH_TEXT (i);
              /* one space either side is padding, as in "`` `x` ``" */
              if (t.len >= 2 && s[t.start] == ' ' && s[t.start + t.len - 1] == ' ')
                t.start++, t.len -= 2;
              g_array_append_val (toks, t);
              i = (gsize) close + n;
              text_start = i;
            }
          else
            i += n;               /* literal backticks */
          continue;
        }
      if (c == '[' && links)
        {
          Tok t = { 0 };

          if (find_link (s, len, i, &t) && safe_url (s + t.url, t.url_len))
            {
              FLUSH_TEXT (i);
              g_array_append_val (toks, t);
              i = t.url + t.url_len + 1;
              text_start = i;
              continue;
            }
        }
      if (c == '*' || c == '_' || c == '~')
        {
          gsize n = 0;
          gboolean prev_space, next_space, prev_punct, next_punct, left, right;
          Tok t = { .kind = TOK_DELIM, .c = c, .start = i };

          while (i + n < len && s[i + n] == c)
            n++;
          t.len = n;
          prev_space = i == 0 || is_space_at (s, len, i - 1);
          next_space = is_space_at (s, len, i + n);
          prev_punct = i > 0 && is_punct_at (s, len, i - 1);
          next_punct = is_punct_at (s, len, i + n);
          left = !next_space && (!next_punct || prev_space || prev_punct);
          right = !prev_space && (!prev_punct || next_space || next_punct);
          if (c == '_')
            {
              /* snake_case_names are not emphasis */
              t.can_open = left && (!right || prev_punct);
              t.can_close = right && (!left || next_punct);
            }
          else
            {
              t.can_open = left;
              t.can_close = right;
            }
          if ((c == '~' && n != 2) || n > 3)
            t.can_open = t.can_close = FALSE;
          FLUSH_TEXT (i);
          g_array_append_val (toks, t);
          i += n;
          text_start = i;
          continue;
        }
      i++;
    }
  FLUSH_TEXT (len);
#undef FLUSH_TEXT

  /* Pairs: a closer takes the nearest opener of its kind and length; openers between the two
   * stay literal, so the pairs nest and the markup is always well formed. */
  for (guint k = 0; k < toks->len; k++)
    {
      Tok *t = &g_array_index (toks, Tok, k);

      if (t->kind != TOK_DELIM)
        continue;
      if (t->can_close)
        {
          for (guint o = openers->len; o-- > 0; )
            {
              Tok *op = &g_array_index (toks, Tok, g_array_index (openers, guint, o));

              if (op->c == t->c && op->len == t->len)
                {
                  op->match = 1;
                  t->match = -1;
                  g_array_set_size (openers, o);
                  break;
                }
            }
        }
      if (t->match == 0 && t->can_open)
        g_array_append_val (openers, k);
    }
  /* openers never closed are text */
  for (guint o = 0; o < openers->len; o++)
    g_array_index (toks, Tok, g_array_index (openers, guint, o)).match = 0;

  for (guint k = 0; k < toks->len; k++)
    {
      const Tok *t = &g_array_index (toks, Tok, k);

      switch (t->kind)
        {
        case TOK_TEXT:
          append_escaped (out, s + t->start, t->len);
          break;
        case TOK_CODE:
          g_string_append (out, "<tt>");
          append_escaped (out, s + t->start, t->len);
          g_string_append (out, "</tt>");
          break;
        case TOK_DELIM:
          emit_delim (out, t, s);
          break;
        case TOK_LINK:
          {
            g_autofree char *label = inline_markup (s + t->start, t->len, FALSE);

            g_string_append (out, "<a href=\"");
            append_escaped (out, s + t->url, t->url_len);
            g_string_append_printf (out, "\">%s</a>", label);
          }
          break;
        }
    }
  return g_string_free (out, FALSE);
}

char *
sm_markdown_inline (const char *text, gsize len)
{
  return inline_markup (text, len, TRUE);
}
