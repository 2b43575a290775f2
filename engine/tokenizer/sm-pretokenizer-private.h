/* sm-pretokenizer-private.h: cutting a text into words before byte-level BPE, as llama.cpp's
 * unicode_regex_split does for each tokenizer.ggml.pre.
 *
 * A pre-tokenizer is a list of stages, each one of llama.cpp's regexes: a stage cuts every
 * piece the stage before made, keeping both what its regex matches and the text between the
 * matches, so no byte is ever lost.  The common regexes (GPT-2's, Llama 3's, digits, runs of
 * a class) have matchers written here, which is what makes them fast; the rare ones (GPT-4o's,
 * Tekken's) run through GRegex on text recoded the way llama.cpp recodes it for std::regex
 * (sm-pretokenizer-regex.c).  Every stage can also be run through GRegex, which the tests use
 * to hold each matcher against its regex.
 *
 * Characters are llama.cpp's: a UTF-8 sequence is decoded without checking for overlong forms
 * or surrogates, and a byte that starts no complete sequence is one U+FFFD for matching (the
 * word keeps the byte itself, so byte-level BPE encodes it and decoding gives it back; llama.cpp
 * encodes U+FFFD's three bytes instead).  Classes come from GLib's Unicode tables, collapsed
 * into llama.cpp's flags.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A code point's classes, as llama.cpp's unicode_cpt_flags: one general category bit and the
 * White_Space property.  Never 0 for a code point (0 means "past the end" to the matchers). */
enum {
  SM_CPT_UNDEFINED = 1 << 0,   /* Cn, or beyond U+10FFFF */
  SM_CPT_NUMBER    = 1 << 1,   /* \p{N} */
  SM_CPT_LETTER    = 1 << 2,   /* \p{L} */
  SM_CPT_SEPARATOR = 1 << 3,   /* \p{Z} */
  SM_CPT_MARK      = 1 << 4,   /* \p{M} */
  SM_CPT_PUNCT     = 1 << 5,   /* \p{P} */
  SM_CPT_SYMBOL    = 1 << 6,   /* \p{S} */
  SM_CPT_CONTROL   = 1 << 7,   /* Cc, Cf, Co, Cs */
  SM_CPT_SPACE     = 1 << 8,   /* White_Space, regex \s */
};

/* Filled by sm_cpt_init (sm_pretokenizer_new calls it). */
extern guint16 sm_cpt_ascii_flags[128];
void    sm_cpt_init       (void);
guint16 sm_cpt_flags_wide (guint32 cpt);

static inline guint16
sm_cpt_flags (guint32 cpt)
{
  return cpt < 128 ? sm_cpt_ascii_flags[cpt] : sm_cpt_flags_wide (cpt);
}

/* The code point at s[i] (i < n) as llama.cpp's unicode_cpt_from_utf8 decodes it; a byte that
 * starts no complete sequence is U+FFFD.  Returns its length in bytes (1 for U+FFFD). */
static inline guint
sm_utf8_decode (const guint8 *s, gsize n, gsize i, guint32 *cpt)
{
  guint8 c = s[i];

  if (c < 0x80)
    {
      *cpt = c;
      return 1;
    }
  if ((c & 0xe0) == 0xc0)
    {
      if (i + 1 < n && (s[i + 1] & 0xc0) == 0x80)
        {
          *cpt = (guint32) (c & 0x1f) << 6 | (s[i + 1] & 0x3f);
          return 2;
        }
    }
  else if ((c & 0xf0) == 0xe0)
    {
      if (i + 2 < n && (s[i + 1] & 0xc0) == 0x80 && (s[i + 2] & 0xc0) == 0x80)
        {
          *cpt = (guint32) (c & 0x0f) << 12 | (guint32) (s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f);
          return 3;
        }
    }
  else if ((c & 0xf8) == 0xf0)
    {
      if (i + 3 < n && (s[i + 1] & 0xc0) == 0x80 && (s[i + 2] & 0xc0) == 0x80 &&
          (s[i + 3] & 0xc0) == 0x80)
        {
          *cpt = (guint32) (c & 0x07) << 18 | (guint32) (s[i + 1] & 0x3f) << 12 |
                 (guint32) (s[i + 2] & 0x3f) << 6 | (s[i + 3] & 0x3f);
          return 4;
        }
    }
  *cpt = 0xfffd;
  return 1;
}

typedef struct _SmPretokenizer SmPretokenizer;

/* Receives each word: text[start, end). */
typedef void (*SmWordFunc) (const char *text, gsize start, gsize end, gpointer data);

/* @name: tokenizer.ggml.pre, NULL for "default" (llama.cpp's choice when the key is absent).
 * SM_TOKENIZER_ERROR_UNSUPPORTED naming it when it is not one known here. */
SmPretokenizer *sm_pretokenizer_new           (const char *name, GError **error);
/* The same with every stage run through GRegex from llama.cpp's regex: for tests. */
SmPretokenizer *sm_pretokenizer_new_reference (const char *name, GError **error);
void            sm_pretokenizer_free          (SmPretokenizer *pre);

/* The name as given ("default" for NULL). */
const char     *sm_pretokenizer_name          (const SmPretokenizer *pre);
/* llama.cpp's ignore_merges: a word that is itself a token is that token. */
gboolean        sm_pretokenizer_ignore_merges (const SmPretokenizer *pre);
/* llama.cpp's add_bos when tokenizer.ggml.add_bos_token is absent. */
gboolean        sm_pretokenizer_add_bos       (const SmPretokenizer *pre);

/* Calls @func for each word of text[0, len), in order; the words cover the text. */
void            sm_pretokenizer_split         (const SmPretokenizer *pre, const char *text,
                                               gsize len, SmWordFunc func, gpointer data);
/* The names known, NULL-terminated (for messages and tests). */
const char *const *sm_pretokenizer_names      (void);

/* ---- sm-pretokenizer-regex.c: one of llama.cpp's regexes through GRegex -------------------- */

typedef struct _SmPretokRegex SmPretokRegex;

/* Receives each piece: [start, end) in bytes of the text split. */
typedef void (*SmSpanFunc) (gsize start, gsize end, gpointer data);

/* @pattern as llama.cpp writes it: one using \p{..} classes runs over text collapsed to a
 * byte a character, the others over the characters with non-ASCII white space made \v. */
SmPretokRegex  *sm_pretok_regex_new    (const char *pattern, GError **error);
void            sm_pretok_regex_free   (SmPretokRegex *re);
/* Cuts text[start, end) as unicode_regex_split_stl does: each match, and each run of text
 * between matches, is a piece. */
void            sm_pretok_regex_split  (const SmPretokRegex *re, const char *text,
                                        gsize start, gsize end, SmSpanFunc emit, gpointer data);

G_END_DECLS
