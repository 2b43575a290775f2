/* sm-export-format.c: file extensions <-> export formats, and the writer of each. */
#include "sm-export-format.h"

#include <string.h>

#include <gio/gio.h>

#include "sm-export.h"

typedef gboolean (*WriteFunc) (const SmSnapshot *snap, const char *path, GError **error);

typedef struct {
  const char        *name;
  const char *const *patterns;
  WriteFunc          write;      /* NULL: not from a snapshot */
} Format;

static const char *const json_patterns[] = { "*.json", NULL };
static const char *const markdown_patterns[] = { "*.md", NULL };
static const char *const csv_patterns[] = { "*.csv", NULL };
static const char *const trace_patterns[] = { "*.trace.json", "*.json", NULL };
static const char *const png_patterns[] = { "*.png", NULL };

static const Format formats[] = {
  { "json",     json_patterns,     sm_export_json },
  { "markdown", markdown_patterns, sm_export_markdown },
  { "csv",      csv_patterns,      sm_export_csv },
  { "trace",    trace_patterns,    sm_export_chrome_trace },
  { "png",      png_patterns,      NULL },
};

static const Format *
lookup (const char *name)
{
  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (formats); i++)
    if (g_str_equal (formats[i].name, name))
      return &formats[i];
  return NULL;
}

const char *
sm_export_format_for_path (const char *path)
{
  g_return_val_if_fail (path != NULL, "json");

  /* the longest suffix first: "x.trace.json" is a trace, not a snapshot */
  if (g_str_has_suffix (path, ".md"))
    return "markdown";
  if (g_str_has_suffix (path, ".csv"))
    return "csv";
  if (g_str_has_suffix (path, ".png"))
    return "png";
  if (g_str_has_suffix (path, ".trace.json") || g_str_has_suffix (path, ".trace"))
    return "trace";
  return "json";
}

/* The longest of @f's extensions ("*.ext") that @path ends in; 0 for none. */
static gsize
match_len (const Format *f, const char *path)
{
  gsize best = 0;

  for (const char *const *p = f ? f->patterns : NULL; p != NULL && *p != NULL; p++)
    if (g_str_has_suffix (path, *p + 1))
      best = MAX (best, strlen (*p + 1));
  return best;
}

const char *
sm_export_format_resolve (const char *path, const char *chosen, char **path_out)
{
  const Format *f = lookup (chosen);
  const Format *named;
  gsize by_choice, by_name;

  g_return_val_if_fail (path != NULL && path_out != NULL, NULL);

  named = lookup (sm_export_format_for_path (path));
  by_choice = match_len (f, path);
  by_name = match_len (named, path);
  if (by_choice == 0 && by_name == 0)
    {
      /* no extension of ours: the chosen format (a snapshot by default), and its extension */
      if (f == NULL)
        f = lookup ("json");
      *path_out = g_strconcat (path, f->patterns[0] + 1, NULL);
      return f->name;
    }
  *path_out = g_strdup (path);
  /* the more specific of the two (".trace.json" over ".json"), the choice when they tie */
  return (by_choice >= by_name ? f : named)->name;
}

const char *const *
sm_export_format_patterns (const char *format)
{
  const Format *f = lookup (format);
  return f ? f->patterns : NULL;
}

gboolean
sm_export_format_is_snapshot (const char *format)
{
  const Format *f = lookup (format);
  return f != NULL && f->write != NULL;
}

gboolean
sm_export_snapshot_as (const SmSnapshot *snap, const char *format, const char *path, GError **error)
{
  const Format *f = lookup (format);

  g_return_val_if_fail (snap != NULL, FALSE);
  g_return_val_if_fail (format != NULL && path != NULL, FALSE);

  if (f == NULL || f->write == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Unknown export format “%s”", format);
      return FALSE;
    }
  return f->write (snap, path, error);
}
