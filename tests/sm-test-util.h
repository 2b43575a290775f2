/* sm-test-util.h: shared bits of the test programs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ../shared/models, or NULL (after g_test_skip with a message naming it) when absent. */
char  *sm_test_shared_model (const char *file_name);
/* Fills x[n] with uniform values in [lo, hi) from @rand. */
void   sm_test_fill_uniform (GRand *rand, float *x, gsize n, float lo, float hi);
/* Largest |a - b| / max(1, |b|) over n elements (relative where b is large, absolute near 0). */
double sm_test_max_rel_err  (const float *a, const float *b, gsize n);
/* A buffer of n floats starting @misalign bytes (a multiple of 4) past a 64-byte boundary,
 * so kernels meet unaligned data; free with sm_test_free_unaligned. */
float *sm_test_alloc_unaligned (gsize n, gsize misalign);
void   sm_test_free_unaligned  (float *p);

/* Runs the built smallmind-cli with @args (NULL-terminated); its stdout and stderr into @out
 * and @err (either may be NULL).  Returns the exit status (128 + signal for a crash), or -1
 * after g_test_skip when the binary is not at hand. */
int    sm_test_run_cli         (const char *const *args, char **out, char **err);

/* A full disk.  sm_test_run_in_tmpfs runs this test program's test @test_path (with
 * @extra_args, NULL-terminated, may be NULL) again in a user and mount namespace of its own
 * (unshare -rm) where a tmpfs of @size_kb is mounted on a fresh folder; the inner run finds
 * that folder with sm_test_tmpfs_dir () (NULL in the outer run).  Returns TRUE when the inner
 * run passed (it fails the test otherwise), FALSE after g_test_skip when unshare or the mount is
 * not allowed here. */
gboolean     sm_test_run_in_tmpfs (const char *test_path, guint size_kb,
                                   const char *const *extra_args);
const char  *sm_test_tmpfs_dir    (void);
/* Fills the file system of @dir with the file @name until not a byte more fits; its size. */
gsize        sm_test_fill_disk    (const char *dir, const char *name);

G_END_DECLS
