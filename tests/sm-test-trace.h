/* sm-test-trace.h: the checks every Chrome trace export must pass, for the tests that make one
 * (a recorded snapshot, the profiling suite's real output). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint ops;          /* op X events of forward passes, on the engine's track */
  guint kernel_ops;   /* op X events of kernels timed on their own, on their track */
  guint tokens;
  guint phases;
  guint scopes;
  guint counters;     /* C events */
  guint markers;      /* i events */
} SmTestTraceCounts;

/* Asserts that @text is trace-event JSON that Perfetto reads: every event of pid 1, every X
 * event of a named track with ts ≥ 0 and dur ≥ 0; on each track the X events nest (none
 * overlaps its parent partially); on the engine's track ops lie in tokens and tokens in
 * phases, phases at the top; standalone kernel ops at the top of their own track.  Counts
 * what it saw into @counts. */
void sm_test_check_trace (const char *text, SmTestTraceCounts *counts);

G_END_DECLS
