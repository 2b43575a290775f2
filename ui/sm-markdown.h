/* sm-markdown.h: the Markdown that chat models write, a line at a time, for the chat view.
 *
 * A reply streams in, so it is read line by line: each line is one block (a paragraph line,
 * a heading, a list item, a quote, a rule, a fence or a line inside a code block), and only
 * the line still being written is read again as tokens come.  What is inside a line (strong,
 * emphasis, strike-through, inline code, links) becomes Pango markup.  Not CommonMark: a
 * paragraph's lines stay lines, as the raw view shows them, and emphasis pairs only with a
 * run of the same length.  GLib only, so it is tested without a display.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SM_MD_PARAGRAPH = 0,   /* text; also an empty line */
  SM_MD_HEADING,         /* "# ..." to "###### ...": level 1..6 */
  SM_MD_BULLET,          /* "- ", "* ", "+ ": level = indent (0, 1, ...) */
  SM_MD_NUMBERED,        /* "1. ", "2) ": marker "1." */
  SM_MD_QUOTE,           /* "> ..." */
  SM_MD_RULE,            /* "---", "***", "___" */
  SM_MD_FENCE,           /* "```lang" opening or "```" closing a code block */
  SM_MD_CODE,            /* a line inside a code block, as it is */
} SmMdKind;

typedef struct {
  SmMdKind    kind;
  int         level;
  const char *body;        /* into the line: the text after the marker (the language of a fence) */
  gsize       body_len;
  char        marker[16];  /* a numbered item's "12." */
} SmMdLine;

/* Reads @line[@len] (without its newline); @in_code: inside a code block, where only a
 * closing fence is not code. */
void  sm_markdown_parse_line (const char *line, gsize len, gboolean in_code, SmMdLine *out);

/* @text[@len]'s inline Markdown as Pango markup: everything else escaped, so the result is
 * always valid markup for a GtkLabel.  Free with g_free. */
char *sm_markdown_inline (const char *text, gsize len);

G_END_DECLS
