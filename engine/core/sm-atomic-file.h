/* sm-atomic-file.h: writing a file so that readers see the old version or the whole new one.
 *
 * Data goes to a temporary file beside the target (so the final rename stays on one file
 * system), which is synced and renamed over the target on commit; any failure (a full disk:
 * G_FILE_ERROR_NOSPC) removes it and leaves the target as it was.  Where the file system has
 * O_TMPFILE the temporary file has no name until it is whole, so even SIGKILL leaves nothing
 * behind; elsewhere it is a hidden ".NAME.XXXXXX".
 * A symbolic link is followed to the file it names, which is the one replaced.  A target that
 * is no regular file (a device, a FIFO: -o /dev/null, /dev/stdout) is written straight into;
 * a folder in its place fails at once.
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

/* A whole file at once (errors in G_FILE_ERROR); @length < 0: up to the NUL. */
gboolean      sm_atomic_file_set_contents (const char *path, const char *data, gssize length,
                                           GError **error);
/* Whether @n files could be written where @paths say (their folders exist and take new
 * files, no folder stands in their place), checked by creating and removing a temporary file
 * beside each: for a long job to fail at its start rather than at its end. */
gboolean      sm_atomic_file_check_writable (guint n, const char *const *paths, GError **error);
/* Writes @n files or none of them: each goes to a temporary file beside its target first,
 * and only when all are written are they renamed over their targets. */
gboolean      sm_atomic_files_set_contents (guint n, const char *const *paths,
                                            const char *const *texts, GError **error);

/* For a program that lets SIGINT, SIGTERM and SIGHUP kill it (their handlers still the
 * default): the temporary files being written are removed first, so Ctrl+C in the middle of a
 * long write leaves no hidden half-file beside the target. */
void          sm_atomic_file_clean_up_on_signals (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmAtomicFile, sm_atomic_file_abort)

G_END_DECLS
