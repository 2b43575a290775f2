/* sm-mapped-file.h: a file mapped read-only, whose truncation under a reader is an error the
 * reader can report rather than a crash.
 *
 * Model weights are read in place from the mapping, on the engine thread and the compute
 * threads alike.  When the file shrinks under the mapping (`cp new.gguf model.gguf` onto a
 * model in use truncates it first), a read of a page past the new end raises SIGBUS, which
 * would kill the process.  Every mapping made here is entered in a fixed table that a
 * process-wide SIGBUS handler reads: a fault inside one replaces that whole mapping with
 * zero pages (so the faulting read, and every later read on any thread, returns 0 and
 * carries on) and marks it damaged.  A fault anywhere else goes to the handler that was
 * there before (the default action: the process dies of it as before; under AddressSanitizer,
 * its report).  Whoever computes from the mapping asks sm_mapped_file_state () afterwards and
 * discards what it computed when the file changed.
 *
 * A file rewritten in place at the same size raises no signal: its new bytes simply appear in
 * the mapping.  sm_mapped_file_state (..., TRUE, ...) catches that too by comparing the size
 * and modification time of the open file with those it had when it was mapped.
 * Linux (and other systems with SIGBUS and MAP_ANONYMOUS); the handler is installed with the
 * first mapping.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SM_MAPPED_FILE_ERROR (sm_mapped_file_error_quark ())
typedef enum {
  SM_MAPPED_FILE_ERROR_CHANGED,   /* truncated or rewritten while it was read from */
} SmMappedFileError;
GQuark sm_mapped_file_error_quark (void);

typedef enum {
  SM_MAPPED_FILE_NONE = 0,        /* the address is in no mapping made here (heap memory) */
  SM_MAPPED_FILE_INTACT,
  SM_MAPPED_FILE_TRUNCATED,       /* a read faulted: the file is shorter than the mapping, which
                                   * now reads as zeros */
  SM_MAPPED_FILE_REWRITTEN,       /* its size or modification time is not what it was when
                                   * mapped (found only when asked to look) */
} SmMappedFileState;

/* Maps @path read-only; the bytes own the mapping, which goes with their last reference.
 * An empty file gives empty bytes.  Errors are G_FILE_ERROR, naming @path. */
GBytes            *sm_mapped_file_map        (const char *path, GError **error);

/* The state of the mapping holding @data: a look-up under a lock in a small table and, with
 * @stat_file, one fstat () of the file, for a rewrite that raised no fault.  A damaged state
 * stays (the mapping reads zeros, or what was read from it is no longer the file).  @path
 * (may be NULL) gets the file's path as it was given to sm_mapped_file_map (), unless the
 * state is NONE.  Any thread. */
SmMappedFileState  sm_mapped_file_state      (gconstpointer data, gboolean stat_file, char **path);

/* How many mappings have been found damaged since the process started (a single atomic
 * load): while it has not moved, no mapping was, and a check after every forward pass can
 * stop here. */
guint              sm_mapped_file_n_damaged  (void);

G_END_DECLS
