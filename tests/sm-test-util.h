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

G_END_DECLS
