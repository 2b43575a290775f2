/* sm-export-format.h: which export a file name asks for, and a snapshot written in it.
 *
 * The formats by name, as the window's actions and the command line spell them: "json" (the
 * snapshot), "markdown", "csv", "trace" (Chrome trace JSON) and "png" (the window's charts,
 * which only the window can draw: it has a name and patterns here but no writer).
 */
#pragma once

#include <glib.h>

#include "sm-snapshot.h"

G_BEGIN_DECLS

/* The format a file name asks for by its extension: ".md" markdown, ".csv" csv, ".png" png,
 * ".trace.json" or ".trace" trace; anything else json. */
const char         *sm_export_format_for_path (const char *path);
/* The format and file name of an export the user named @path with @chosen (a file chooser's
 * filter, or NULL) selected, so that the two always agree: when @path ends in an extension of
 * ours, the format it names (".md" under the JSON filter is Markdown; ".json" under the trace
 * filter stays a trace, whose patterns have it; the longer extension wins, ".trace.json" over
 * ".json"); else @chosen (json when NULL), its extension appended to the name.  *@path_out
 * (g_free) gets the name to write. */
const char         *sm_export_format_resolve  (const char *path, const char *chosen, char **path_out);
/* Glob patterns for a file chooser's filter of @format (NULL-terminated, static), or NULL
 * for an unknown format. */
const char *const  *sm_export_format_patterns (const char *format);
/* Whether @format is written from a snapshot (not "png"). */
gboolean            sm_export_format_is_snapshot (const char *format);
/* Writes @snap to @path in @format (atomically, see sm-export.h); an unknown format or "png"
 * is G_IO_ERROR_INVALID_ARGUMENT. */
gboolean            sm_export_snapshot_as     (const SmSnapshot *snap, const char *format,
                                               const char *path, GError **error);

G_END_DECLS
