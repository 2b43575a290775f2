/* sm-atomic-file.h: writing a file so that readers see the old version or the whole new one.
 *
 * Data goes to a temporary file beside the target (so the final rename stays on one file
 * system), which is synced and renamed over the target on commit; any failure removes it.
 * Used by every writer of the project: GGUF, checkpoints, snapshots and reports.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SmAtomicFile SmAtomicFile;

/* Errors are reported in @domain with @code, or, when @domain is G_FILE_ERROR, with the code
 * that matches errno; the message always names @path. */
SmAtomicFile *sm_atomic_file_new         (const char *path, GQuark domain, int code,
                                          GError **error);
gboolean      sm_atomic_file_write       (SmAtomicFile *f, gconstpointer buf, gsize len,
                                          GError **error);
gboolean      sm_atomic_file_write_zeros (SmAtomicFile *f, gsize len, GError **error);
/* Writes at an offset already written (e.g. a checksum in a header), without moving on. */
gboolean      sm_atomic_file_pwrite      (SmAtomicFile *f, gconstpointer buf, gsize len,
                                          goffset at, GError **error);
/* Syncs, closes and renames over the target; frees @f whether it succeeds or not. */
gboolean      sm_atomic_file_commit      (SmAtomicFile *f, GError **error);
/* Removes the temporary file and frees @f.  NULL is ignored. */
void          sm_atomic_file_abort       (SmAtomicFile *f);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmAtomicFile, sm_atomic_file_abort)

G_END_DECLS
