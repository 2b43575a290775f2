/* sm-pretokenizer.c: the pre-tokenizers llama.cpp knows by tokenizer.ggml.pre, as lists of
 * stages, and the matchers of the common stages (see sm-pretokenizer-private.h).
 *
 * Each matcher does what its regex does under leftmost-first alternation (std::regex's and
 * PCRE's): at each position the first alternative that matches wins, greedily.  GPT-2's and
 * Llama 3's are the two llama.cpp writes by hand too (unicode_regex_split_custom_gpt2 and
 * _llama3); the others are one class of characters alone, in runs, or in runs after an
 * optional white space.  The tests run every stage through its regex as well.
 */
#define G_LOG_DOMAIN "sm-tokenizer"

#include "sm-pretokenizer-private.h"

#include <string.h>

#include "sm-tokenizer.h"

/* ---- character classes ----------------------------------------------------------------------- */

guint16 sm_cpt_ascii_flags[128];

/* The general category collapsed as llama.cpp's gen-unicode-data.py does.  GLib's tables are
 * those of its Unicode version (15.0 for GLib 2.74); llama.cpp's are of the version it was
 * generated from: characters added in between are classed differently. */
static guint16
category_flags (guint32 cpt)
{
  switch (g_unichar_type (cpt))
    {
    case G_UNICODE_UNASSIGNED:          return SM_CPT_UNDEFINED;
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:           return SM_CPT_CONTROL;
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:    return SM_CPT_LETTER;
    case G_UNICODE_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK:
    case G_UNICODE_NON_SPACING_MARK:    return SM_CPT_MARK;
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:        return SM_CPT_NUMBER;
    case G_UNICODE_CONNECT_PUNCTUATION:
    case G_UNICODE_DASH_PUNCTUATION:
    case G_UNICODE_CLOSE_PUNCTUATION:
    case G_UNICODE_FINAL_PUNCTUATION:
    case G_UNICODE_INITIAL_PUNCTUATION:
    case G_UNICODE_OTHER_PUNCTUATION:
    case G_UNICODE_OPEN_PUNCTUATION:    return SM_CPT_PUNCT;
    case G_UNICODE_CURRENCY_SYMBOL:
    case G_UNICODE_MODIFIER_SYMBOL:
    case G_UNICODE_MATH_SYMBOL:
    case G_UNICODE_OTHER_SYMBOL:        return SM_CPT_SYMBOL;
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
    case G_UNICODE_SPACE_SEPARATOR:     return SM_CPT_SEPARATOR;
    default:                            return SM_CPT_UNDEFINED;
    }
}

/* White_Space of PropList.txt, the set llama.cpp lists (not GLib's g_unichar_isspace, which
 * leaves out U+0085 and puts in none of the others wrongly, but differs on U+180E's past). */
static gboolean
is_white_space (guint32 c)
{
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

guint16
sm_cpt_flags_wide (guint32 cpt)
{
  if (cpt > 0x10ffff)
    return SM_CPT_UNDEFINED;
  return category_flags (cpt) | (is_white_space (cpt) ? SM_CPT_SPACE : 0);
}

void
sm_cpt_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      for (guint32 c = 0; c < 128; c++)
        sm_cpt_ascii_flags[c] = category_flags (c) | (is_white_space (c) ? SM_CPT_SPACE : 0);
      g_once_init_leave (&done, 1);
    }
}

/* A class a stage matches, given a character and its flags. */
typedef gboolean (*ClassFunc) (guint32 c, guint16 f);

static gboolean
cls_number (guint32 c, guint16 f)
{
  return (f & SM_CPT_NUMBER) != 0;
}

static gboolean
cls_letter (guint32 c, guint16 f)
{
  return (f & SM_CPT_LETTER) != 0;
}

static gboolean
cls_punct (guint32 c, guint16 f)
{
  return (f & SM_CPT_PUNCT) != 0;
}

static gboolean
cls_newline (guint32 c, guint16 f)
{
  return c == '\r' || c == '\n';
}

/* [\p{P}\$\+<=>\^~\|]: llama.cpp's \p{S} leaves out these ASCII symbols, so the regex names
 * them. */
static gboolean
cls_punct_default (guint32 c, guint16 f)
{
  return (f & SM_CPT_PUNCT) || (c < 128 && c != 0 && strchr ("$+<=>^~|", (int) c) != NULL);
}

/* Falcon's: the same and the backtick. */
static gboolean
cls_punct_falcon (guint32 c, guint16 f)
{
  return cls_punct_default (c, f) || c == '`';
}

/* DeepSeek LLM's classes are written as characters, so llama.cpp matches them with std::wregex
 * on the text whose non-ASCII white space it has made \v: such a character is never in them. */
typedef struct {
  guint32 lo, hi;
} Range;

static gboolean
in_ranges (const Range *r, gsize n, guint32 c, guint16 f)
{
  gsize lo = 0, hi = n;

  if (c >= 128 && (f & SM_CPT_SPACE))
    return FALSE;
  while (lo < hi)
    {
      gsize mid = (lo + hi) / 2;
      if (c < r[mid].lo)
        hi = mid;
      else if (c > r[mid].hi)
        lo = mid + 1;
      else
        return TRUE;
    }
  return FALSE;
}

/* [A-Za-zµÀ-ÖØ-öø-ƺ...]: cased letters of an old Unicode (DeepSeek's tokenizer.json), sorted. */
static const Range ds_letters[] = {
  { 0x0041, 0x005a }, { 0x0061, 0x007a }, { 0x00b5, 0x00b5 }, { 0x00c0, 0x00d6 },
  { 0x00d8, 0x00f6 }, { 0x00f8, 0x01ba }, { 0x01bc, 0x01bf }, { 0x01c4, 0x0293 },
  { 0x0295, 0x02af }, { 0x0370, 0x0373 }, { 0x0376, 0x0377 }, { 0x037b, 0x037d },
  { 0x037f, 0x037f }, { 0x0386, 0x0386 }, { 0x0388, 0x038a }, { 0x038c, 0x038c },
  { 0x038e, 0x03a1 }, { 0x03a3, 0x03f5 }, { 0x03f7, 0x0481 }, { 0x048a, 0x052f },
  { 0x0531, 0x0556 }, { 0x10a0, 0x10c5 }, { 0x13a0, 0x13f5 }, { 0x13f8, 0x13fd },
  { 0x1c90, 0x1cba }, { 0x1cbd, 0x1cbf }, { 0x1d00, 0x1d2b }, { 0x1d6b, 0x1d77 },
  { 0x1d79, 0x1d9a }, { 0x1e00, 0x1f15 }, { 0x1f18, 0x1f1d }, { 0x1f20, 0x1f45 },
  { 0x1f48, 0x1f4d }, { 0x1f50, 0x1f57 }, { 0x1f59, 0x1f59 }, { 0x1f5b, 0x1f5b },
  { 0x1f5d, 0x1f5d }, { 0x1f5f, 0x1f7d }, { 0x1f80, 0x1fb4 }, { 0x1fb6, 0x1fbc },
  { 0x1fbe, 0x1fbe }, { 0x1fc2, 0x1fc4 }, { 0x1fc6, 0x1fcc }, { 0x1fd0, 0x1fd3 },
  { 0x1fd6, 0x1fdb }, { 0x1fe0, 0x1fec }, { 0x1ff2, 0x1ff4 }, { 0x1ff6, 0x1ffc },
  { 0x2102, 0x2102 }, { 0x2107, 0x2107 }, { 0x210a, 0x2113 }, { 0x2115, 0x2115 },
  { 0x2119, 0x211d }, { 0x2124, 0x2124 }, { 0x2126, 0x2126 }, { 0x2128, 0x2128 },
  { 0x212a, 0x212d }, { 0x212f, 0x2134 }, { 0x2139, 0x2139 }, { 0x213c, 0x213f },
  { 0x2145, 0x2149 }, { 0x214e, 0x214e }, { 0x2183, 0x2184 }, { 0x2c00, 0x2c7b },
  { 0x2c7e, 0x2ce4 }, { 0x2ceb, 0x2cee }, { 0x2cf2, 0x2cf3 }, { 0xa640, 0xa66d },
  { 0xa680, 0xa69b }, { 0xa722, 0xa76f }, { 0xa771, 0xa787 }, { 0xa78b, 0xa78e },
  { 0xab70, 0xabbf }, { 0xfb00, 0xfb06 }, { 0xfb13, 0xfb17 }, { 0xff21, 0xff3a },
  { 0xff41, 0xff5a }, { 0x10400, 0x1044f }, { 0x104b0, 0x104d3 }, { 0x104d8, 0x104fb },
  { 0x10c80, 0x10cb2 }, { 0x10cc0, 0x10cf2 }, { 0x118a0, 0x118df }, { 0x1e900, 0x1e943 },
};

/* [!-/:-~！-／：-～‘-‟　-。] */
static const Range ds_punct[] = {
  { 0x0021, 0x002f }, { 0x003a, 0x007e }, { 0x2018, 0x201f }, { 0x3000, 0x3002 },
  { 0xff01, 0xff0f }, { 0xff1a, 0xff5e },
};

/* [一-龥ࠀ-一가-퟿]: CJK ideographs, everything from Samaritan up to them, Hangul. */
static const Range ds_cjk[] = {
  { 0x0800, 0x9fa5 }, { 0xac00, 0xd7ff },
};

static gboolean
cls_ds_letter (guint32 c, guint16 f)
{
  return in_ranges (ds_letters, G_N_ELEMENTS (ds_letters), c, f);
}

static gboolean
cls_ds_punct (guint32 c, guint16 f)
{
  return in_ranges (ds_punct, G_N_ELEMENTS (ds_punct), c, f);
}

static gboolean
cls_ds_cjk (guint32 c, guint16 f)
{
  return in_ranges (ds_cjk, G_N_ELEMENTS (ds_cjk), c, f);
}

/* The ranges written as a regex class with \x{..} escapes (the tests' regexes). */
static char *
ranges_regex (const Range *r, gsize n, const char *before, const char *after)
{
  GString *s = g_string_new (before);

  g_string_append_c (s, '[');
  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, "\\x{%x}-\\x{%x}", r[i].lo, r[i].hi);
  g_string_append_c (s, ']');
  g_string_append (s, after);
  return g_string_free (s, FALSE);
}

/* ---- the stages and the pre-tokenizers ------------------------------------------------------- */

typedef enum {
  SPLIT_GPT2,            /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
  SPLIT_LLAMA3,          /* Llama 3's, digits in groups of up to max_digits (Qwen 2: 1) */
  SPLIT_EACH,            /* [class]: each such character alone */
  SPLIT_RUN,             /* [class]+ */
  SPLIT_SPACE_RUN,       /* \s?[class]+ */
  SPLIT_TRAILING_SPACE,  /* \s+$ */
  SPLIT_DIGITS3,         /* [0-9][0-9][0-9] */
  SPLIT_REGEX,           /* no matcher here: GRegex */
} SplitKind;

typedef struct {
  SplitKind    kind;
  ClassFunc    cls;
  guint        max_digits;
  const char  *regex;            /* llama.cpp's, for GRegex; NULL: built from @ranges */
  const Range *ranges;
  gsize        n_ranges;
  const char  *before, *after;   /* around the ranges' class */
} Stage;

#define RE_GPT2 "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
#define RE_LLAMA3_HEAD "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
#define RE_LLAMA3_TAIL "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

#define ST_GPT2        { .kind = SPLIT_GPT2, .regex = RE_GPT2 }
#define ST_LLAMA3      { .kind = SPLIT_LLAMA3, .max_digits = 3, \
                         .regex = RE_LLAMA3_HEAD "\\p{N}{1,3}" RE_LLAMA3_TAIL }
#define ST_QWEN2       { .kind = SPLIT_LLAMA3, .max_digits = 1, \
                         .regex = RE_LLAMA3_HEAD "\\p{N}" RE_LLAMA3_TAIL }
#define ST_EACH_NUMBER { .kind = SPLIT_EACH, .cls = cls_number, .regex = "\\p{N}" }
#define ST_RUN_NUMBER  { .kind = SPLIT_RUN, .cls = cls_number, .regex = "\\p{N}+" }
#define ST_DIGITS3     { .kind = SPLIT_DIGITS3, .regex = "[0-9][0-9][0-9]" }
#define ST_NEWLINE     { .kind = SPLIT_EACH, .cls = cls_newline, .regex = "[\r\n]" }
#define ST_RANGES(k, c, r, b, a) \
  { .kind = k, .cls = c, .ranges = r, .n_ranges = G_N_ELEMENTS (r), .before = b, .after = a }

static const Stage default_stages[] = {
  { .kind = SPLIT_RUN, .cls = cls_punct_default, .regex = "[\\p{P}\\$\\+<=>\\^~\\|]+" },
  ST_GPT2, ST_RUN_NUMBER, ST_DIGITS3,
};
static const Stage gpt2_stages[] = { ST_GPT2 };
static const Stage llama3_stages[] = { ST_LLAMA3 };
static const Stage qwen2_stages[] = { ST_QWEN2 };
static const Stage starcoder_stages[] = { ST_EACH_NUMBER, ST_GPT2 };
static const Stage falcon_stages[] = {
  { .kind = SPLIT_RUN, .cls = cls_punct_falcon, .regex = "[\\p{P}\\$\\+<=>\\^~\\|`]+" },
  ST_GPT2, ST_DIGITS3,
};
static const Stage deepseek_llm_stages[] = {
  ST_NEWLINE,
  ST_RANGES (SPLIT_SPACE_RUN, cls_ds_letter, ds_letters, "\\s?", "+"),
  ST_RANGES (SPLIT_SPACE_RUN, cls_ds_punct, ds_punct, "\\s?", "+"),
  { .kind = SPLIT_TRAILING_SPACE, .regex = "\\s+$" },
  ST_RANGES (SPLIT_RUN, cls_ds_cjk, ds_cjk, "", "+"),
  ST_RUN_NUMBER,
};
static const Stage deepseek_coder_stages[] = {
  ST_NEWLINE,
  { .kind = SPLIT_SPACE_RUN, .cls = cls_letter, .regex = "\\s?\\p{L}+" },
  { .kind = SPLIT_SPACE_RUN, .cls = cls_punct, .regex = "\\s?\\p{P}+" },
  ST_RANGES (SPLIT_RUN, cls_ds_cjk, ds_cjk, "", "+"),
  ST_EACH_NUMBER,
};
/* llama.cpp's adaptation of Hugging Face's regexes (std::regex has neither (?i:) nor \p{Lu}:
 * letters of either case are "a letter that is not a-z" and "... not A-Z"). */
#define RE_CONTRACTION "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?"
#define RE_UPPER_LOWER "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
#define RE_UPPER_ONLY  "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*"
static const Stage gpt4o_stages[] = {
  { .kind = SPLIT_REGEX, .regex =
    RE_UPPER_LOWER RE_CONTRACTION "|" RE_UPPER_ONLY RE_CONTRACTION
    "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
};
static const Stage tekken_stages[] = {
  { .kind = SPLIT_REGEX, .regex =
    RE_UPPER_LOWER "|" RE_UPPER_ONLY
    "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
};

typedef struct {
  const char  *names;          /* the tokenizer.ggml.pre values llama.cpp maps here, "|"-separated */
  const Stage *stages;
  guint        n_stages;
  gboolean     ignore_merges;  /* llama.cpp's settings for them */
  gboolean     add_bos;
} PreDef;

#define STAGES(s) s, G_N_ELEMENTS (s)

/* llama-vocab.cpp's tokenizer.ggml.pre table, for the pre-tokenizers supported here: several
 * names share a regex list and settings. */
static const PreDef pre_defs[] = {
  { "default",                           STAGES (default_stages),        FALSE, FALSE },
  { "gpt-2|phi-2",                       STAGES (gpt2_stages),           FALSE, FALSE },
  { "mpt",                               STAGES (gpt2_stages),           FALSE, FALSE },
  { "llama3|llama-v3|llama-bpe|falcon3|falcon-h1|pixtral",
                                         STAGES (llama3_stages),         TRUE,  TRUE  },
  { "qwen2|deepseek-r1-qwen",            STAGES (qwen2_stages),          FALSE, FALSE },
  { "starcoder",                         STAGES (starcoder_stages),      FALSE, FALSE },
  { "refact",                            STAGES (starcoder_stages),      FALSE, FALSE },
  { "smollm",                            STAGES (starcoder_stages),      FALSE, FALSE },
  { "falcon",                            STAGES (falcon_stages),         FALSE, FALSE },
  { "deepseek-llm",                      STAGES (deepseek_llm_stages),   FALSE, FALSE },
  { "deepseek-coder",                    STAGES (deepseek_coder_stages), FALSE, FALSE },
  { "gpt-4o|llama4",                     STAGES (gpt4o_stages),          FALSE, FALSE },
  { "tekken",                            STAGES (tekken_stages),         TRUE,  TRUE  },
};

struct _SmPretokenizer {
  char            *name;
  const PreDef    *def;
  SmPretokRegex  **regex;   /* [n_stages]: GRegex for a stage, NULL where the matcher runs */
};

static gboolean
def_has_name (const PreDef *d, const char *name)
{
  g_auto (GStrv) names = g_strsplit (d->names, "|", -1);

  return g_strv_contains ((const char *const *) names, name);
}

const char *const *
sm_pretokenizer_names (void)
{
  static gsize once = 0;
  static const char **names;

  if (g_once_init_enter (&once))
    {
      GPtrArray *a = g_ptr_array_new ();
      for (gsize i = 0; i < G_N_ELEMENTS (pre_defs); i++)
        {
          char **parts = g_strsplit (pre_defs[i].names, "|", -1);
          for (char **p = parts; *p; p++)
            g_ptr_array_add (a, *p);
          g_free (parts);   /* the strings live on in the list, for the process's life */
        }
      g_ptr_array_add (a, NULL);
      names = (const char **) g_ptr_array_free (a, FALSE);
      g_once_init_leave (&once, 1);
    }
  return names;
}

static SmPretokenizer *
pretokenizer_new (const char *name, gboolean reference, GError **error)
{
  SmPretokenizer *pre;
  const PreDef *def = NULL;

  sm_cpt_init ();
  if (name == NULL)
    name = "default";
  for (gsize i = 0; i < G_N_ELEMENTS (pre_defs) && def == NULL; i++)
    if (def_has_name (&pre_defs[i], name))
      def = &pre_defs[i];
  if (def == NULL)
    {
      g_autofree char *known = g_strjoinv (", ", (char **) sm_pretokenizer_names ());
      g_set_error (error, SM_TOKENIZER_ERROR, SM_TOKENIZER_ERROR_UNSUPPORTED,
                   "The pre-tokenizer \"%s\" (tokenizer.ggml.pre) is not supported; known: %s",
                   name, known);
      return NULL;
    }

  pre = g_new0 (SmPretokenizer, 1);
  pre->name = g_strdup (name);
  pre->def = def;
  pre->regex = g_new0 (SmPretokRegex *, def->n_stages);
  for (guint i = 0; i < def->n_stages; i++)
    {
      const Stage *st = &def->stages[i];
      g_autofree char *built = NULL;
      const char *pattern = st->regex;

      if (!reference && st->kind != SPLIT_REGEX)
        continue;
      if (pattern == NULL)
        pattern = built = ranges_regex (st->ranges, st->n_ranges, st->before, st->after);
      pre->regex[i] = sm_pretok_regex_new (pattern, error);
      if (pre->regex[i] == NULL)
        {
          sm_pretokenizer_free (pre);
          return NULL;
        }
    }
  return pre;
}

SmPretokenizer *
sm_pretokenizer_new (const char *name, GError **error)
{
  return pretokenizer_new (name, FALSE, error);
}

SmPretokenizer *
sm_pretokenizer_new_reference (const char *name, GError **error)
{
  return pretokenizer_new (name, TRUE, error);
}

void
sm_pretokenizer_free (SmPretokenizer *pre)
{
  if (pre == NULL)
    return;
  for (guint i = 0; i < pre->def->n_stages; i++)
    sm_pretok_regex_free (pre->regex[i]);
  g_free (pre->regex);
  g_free (pre->name);
  g_free (pre);
}

const char *
sm_pretokenizer_name (const SmPretokenizer *pre)
{
  return pre->name;
}

gboolean
sm_pretokenizer_ignore_merges (const SmPretokenizer *pre)
{
  return pre->def->ignore_merges;
}

gboolean
sm_pretokenizer_add_bos (const SmPretokenizer *pre)
{
  return pre->def->add_bos;
}

/* ---- running the stages ---------------------------------------------------------------------- */

typedef struct {
  const SmPretokenizer *pre;
  const guint8         *s;      /* the whole text */
  SmWordFunc            func;
  gpointer              data;
} Run;

static void run_stage (const Run *r, guint stage, gsize start, gsize end);

/* A piece cut by @stage goes to the next stage, or out as a word after the last. */
static inline void
emit (const Run *r, guint stage, gsize start, gsize end)
{
  g_assert (start < end);
  if (stage + 1 == r->pre->def->n_stages)
    r->func ((const char *) r->s, start, end, r->data);
  else
    run_stage (r, stage + 1, start, end);
}

/* A match [start, end) after the text since *gap, which is a piece of its own. */
static inline void
emit_match (const Run *r, guint stage, gsize *gap, gsize start, gsize end)
{
  if (start > *gap)
    emit (r, stage, *gap, start);
  emit (r, stage, start, end);
  *gap = end;
}

typedef struct {
  guint32 c;
  guint16 f;      /* 0 past the end */
  guint8  len;
} Cp;

static inline Cp
cp_at (const guint8 *s, gsize end, gsize i)
{
  Cp cp = { 0xffffffffu, 0, 0 };

  if (i < end)
    {
      cp.len = (guint8) sm_utf8_decode (s, end, i, &cp.c);
      cp.f = sm_cpt_flags (cp.c);
    }
  return cp;
}

/* The end of the run of characters from @i whose flags have @want and not @avoid. */
static inline gsize
skip_flags (const guint8 *s, gsize end, gsize i, guint16 want, guint16 avoid)
{
  for (;;)
    {
      Cp cp = cp_at (s, end, i);
      if (!(cp.f & want) || (cp.f & avoid))
        return i;
      i += cp.len;
    }
}

/* The white space from @pos: where it ends, where its last character starts, how many
 * characters, and the end of its last \r or \n (0: none). */
typedef struct {
  gsize end, last, nl_end;
  guint n;
} Spaces;

static inline Spaces
scan_spaces (const guint8 *s, gsize end, gsize pos)
{
  Spaces w = { pos, pos, 0, 0 };

  for (;;)
    {
      Cp cp = cp_at (s, end, w.end);
      if (!(cp.f & SM_CPT_SPACE))
        return w;
      if (cp.c == '\r' || cp.c == '\n')
        w.nl_end = w.end + cp.len;
      w.last = w.end;
      w.end += cp.len;
      w.n++;
    }
}

/* 's 't 'm 'd 're 've 'll at @pos (a quote): the end of the match, or 0.  @fold: either case
 * (Llama 3's '[sS] ...).  The letters are ASCII, so byte offsets are character offsets. */
static inline gsize
contraction (const guint8 *s, gsize end, gsize pos, gboolean fold)
{
  guint8 a, b;

  if (pos + 1 >= end)
    return 0;
  a = s[pos + 1];
  if (fold)
    a = (guint8) g_ascii_tolower ((char) a);
  if (a == 's' || a == 't' || a == 'm' || a == 'd')
    return pos + 2;
  if (pos + 2 >= end)
    return 0;
  b = s[pos + 2];
  if (fold)
    b = (guint8) g_ascii_tolower ((char) b);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
    return pos + 3;
  return 0;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S): every character is
 * matched by some alternative, or (a lone white space before a non-space) by none, when it is
 * a piece of its own all the same. */
static void
split_gpt2 (const Run *r, guint stage, gsize b, gsize e)
{
  const guint8 *s = r->s;
  gsize pos = b;

  while (pos < e)
    {
      gsize start = pos, p, m;
      Cp c = cp_at (s, e, pos), c2;
      Spaces w;

      if (c.c == '\'' && (m = contraction (s, e, pos, FALSE)) != 0)
        {
          emit (r, stage, start, pos = m);
          continue;
        }
      /* the optional space of the next three alternatives */
      p = pos;
      c2 = c;
      if (c.c == ' ')
        c2 = cp_at (s, e, p = pos + 1);
      if (c2.f & SM_CPT_LETTER)
        {
          emit (r, stage, start, pos = skip_flags (s, e, p, SM_CPT_LETTER, 0));
          continue;
        }
      if (c2.f & SM_CPT_NUMBER)
        {
          emit (r, stage, start, pos = skip_flags (s, e, p, SM_CPT_NUMBER, 0));
          continue;
        }
      if (c2.f && !(c2.f & (SM_CPT_SPACE | SM_CPT_LETTER | SM_CPT_NUMBER)))
        {
          emit (r, stage, start,
                pos = skip_flags (s, e, p, 0xffff, SM_CPT_SPACE | SM_CPT_LETTER | SM_CPT_NUMBER));
          continue;
        }
      /* \s+(?!\S): all the white space at the end, all but its last character before a
       * non-space (which then goes with what follows) */
      w = scan_spaces (s, e, pos);
      if (w.n > 1 && w.end < e)
        pos = w.last;
      else if (w.n > 0)
        pos = w.end;
      else
        pos += c.len;
      emit (r, stage, start, pos);
    }
}

/* (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|
 * \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+  (Qwen 2: \p{N} alone) */
static void
split_llama3 (const Run *r, guint stage, gsize b, gsize e, guint max_digits)
{
  const guint8 *s = r->s;
  gsize pos = b;

  while (pos < e)
    {
      gsize start = pos, p, m;
      Cp c = cp_at (s, e, pos), c2;
      Spaces w;

      if (c.c == '\'' && (m = contraction (s, e, pos, TRUE)) != 0)
        {
          emit (r, stage, start, pos = m);
          continue;
        }
      /* [^\r\n\p{L}\p{N}]?\p{L}+: a letter here, or any one character but those before one */
      if (!(c.c == '\r' || c.c == '\n' || (c.f & SM_CPT_NUMBER)) &&
          ((c.f & SM_CPT_LETTER) || (cp_at (s, e, pos + c.len).f & SM_CPT_LETTER)))
        {
          emit (r, stage, start, pos = skip_flags (s, e, pos + c.len, SM_CPT_LETTER, 0));
          continue;
        }
      if (c.f & SM_CPT_NUMBER)
        {
          for (guint k = 0; k < max_digits && (c.f & SM_CPT_NUMBER); k++)
            {
              pos += c.len;
              c = cp_at (s, e, pos);
            }
          emit (r, stage, start, pos);
          continue;
        }
      /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
      p = pos;
      c2 = c;
      if (c.c == ' ')
        c2 = cp_at (s, e, p = pos + 1);
      if (c2.f && !(c2.f & (SM_CPT_SPACE | SM_CPT_LETTER | SM_CPT_NUMBER)))
        {
          p = skip_flags (s, e, p, 0xffff, SM_CPT_SPACE | SM_CPT_LETTER | SM_CPT_NUMBER);
          while (p < e && (s[p] == '\r' || s[p] == '\n'))
            p++;
          emit (r, stage, start, pos = p);
          continue;
        }
      /* \s*[\r\n]+ takes the white space up to its last line break; then as GPT-2 */
      w = scan_spaces (s, e, pos);
      if (w.nl_end > 0)
        pos = w.nl_end;
      else if (w.n > 1 && w.end < e)
        pos = w.last;
      else if (w.n > 0)
        pos = w.end;
      else
        pos += c.len;
      emit (r, stage, start, pos);
    }
}

/* [class], [class]+ and \s?[class]+ */
static void
split_class (const Run *r, guint stage, gsize b, gsize e, const Stage *st)
{
  const guint8 *s = r->s;
  gsize pos = b, gap = b;

  while (pos < e)
    {
      Cp c = cp_at (s, e, pos);
      gsize end = 0;

      /* \s?: a white space goes with the run right after it */
      if (st->kind == SPLIT_SPACE_RUN && (c.f & SM_CPT_SPACE))
        {
          Cp n = cp_at (s, e, pos + c.len);
          if (n.f && st->cls (n.c, n.f))
            end = pos + c.len + n.len;
        }
      if (end == 0)
        {
          if (!st->cls (c.c, c.f))
            {
              pos += c.len;
              continue;
            }
          end = pos + c.len;
        }
      if (st->kind != SPLIT_EACH)
        for (Cp n = cp_at (s, e, end); n.f && st->cls (n.c, n.f); n = cp_at (s, e, end))
          end += n.len;
      emit_match (r, stage, &gap, pos, end);
      pos = end;
    }
  if (gap < e)
    emit (r, stage, gap, e);
}

/* \s+$ */
static void
split_trailing_space (const Run *r, guint stage, gsize b, gsize e)
{
  const guint8 *s = r->s;
  gsize pos = b, run = G_MAXSIZE;

  /* the start of the last run of white space, if the text ends in it */
  while (pos < e)
    {
      Cp c = cp_at (s, e, pos);
      if (c.f & SM_CPT_SPACE)
        {
          if (run == G_MAXSIZE)
            run = pos;
        }
      else
        run = G_MAXSIZE;
      pos += c.len;
    }
  if (run == G_MAXSIZE)
    {
      emit (r, stage, b, e);
      return;
    }
  if (run > b)
    emit (r, stage, b, run);
  emit (r, stage, run, e);
}

/* [0-9][0-9][0-9], left to right */
static void
split_digits3 (const Run *r, guint stage, gsize b, gsize e)
{
  const guint8 *s = r->s;
  gsize pos = b, gap = b;

  while (pos < e)
    {
      if (pos + 3 <= e && g_ascii_isdigit (s[pos]) && g_ascii_isdigit (s[pos + 1]) &&
          g_ascii_isdigit (s[pos + 2]))
        {
          emit_match (r, stage, &gap, pos, pos + 3);
          pos += 3;
        }
      else
        pos += cp_at (s, e, pos).len;
    }
  if (gap < e)
    emit (r, stage, gap, e);
}

typedef struct {
  const Run *r;
  guint      stage;
} RegexEmit;

static void
regex_emit (gsize start, gsize end, gpointer data)
{
  const RegexEmit *re = data;

  emit (re->r, re->stage, start, end);
}

static void
run_stage (const Run *r, guint stage, gsize start, gsize end)
{
  const Stage *st = &r->pre->def->stages[stage];

  if (r->pre->regex[stage] != NULL)
    {
      RegexEmit re = { r, stage };
      sm_pretok_regex_split (r->pre->regex[stage], (const char *) r->s, start, end, regex_emit, &re);
      return;
    }
  switch (st->kind)
    {
    case SPLIT_GPT2:           split_gpt2 (r, stage, start, end); break;
    case SPLIT_LLAMA3:         split_llama3 (r, stage, start, end, st->max_digits); break;
    case SPLIT_EACH:
    case SPLIT_RUN:
    case SPLIT_SPACE_RUN:      split_class (r, stage, start, end, st); break;
    case SPLIT_TRAILING_SPACE: split_trailing_space (r, stage, start, end); break;
    case SPLIT_DIGITS3:        split_digits3 (r, stage, start, end); break;
    case SPLIT_REGEX:
    default:                   g_assert_not_reached ();
    }
}

void
sm_pretokenizer_split (const SmPretokenizer *pre, const char *text, gsize len,
                       SmWordFunc func, gpointer data)
{
  Run r = { pre, (const guint8 *) text, func, data };

  g_return_if_fail (pre != NULL);
  if (len > 0)
    run_stage (&r, 0, 0, len);
}
