/* fuzz-snapshot.c: libFuzzer target for the JSON snapshots `compare` and the window's compare
 * view read (sm-snapshot-json.c).  A snapshot read from an input must make a profile
 * (sm-profile.c), compare against itself into a report (sm-compare.c, sm-compare-report.c),
 * export as Markdown, CSV and a Chrome trace, and write JSON that reads back. */
#include "sm-fuzz.h"

#include "sm-compare.h"
#include "sm-export.h"
#include "sm-snapshot.h"

int
SM_FUZZ_ENTRY (snapshot) (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  SmSnapshot *snap = sm_snapshot_from_json ((const char *) data, (gssize) size, &error);
  g_autoptr (SmProfile) profile = NULL;
  g_autoptr (SmComparison) cmp = NULL;
  g_autofree char *md = NULL, *csv = NULL, *trace = NULL, *json = NULL, *report = NULL;
  g_autofree char *mismatch = NULL;
  gsize len = 0;

  g_assert ((snap == NULL) != (error == NULL));
  if (snap == NULL)
    return 0;
  md = sm_export_markdown_string (snap);
  csv = sm_export_csv_string (snap);
  trace = sm_export_trace_string (snap);
  json = sm_snapshot_to_json (snap, &len);
  g_assert (md != NULL && csv != NULL && trace != NULL && json != NULL);
  {
    g_autoptr (GError) e = NULL;
    SmSnapshot *again = sm_snapshot_from_json (json, (gssize) len, &e);
    g_assert_no_error (e);
    sm_snapshot_free (again);
  }
  profile = sm_profile_from_snapshot (snap, "fuzz.json");   /* takes the snapshot */
  mismatch = sm_profiles_kind_mismatch (profile, profile);
  cmp = sm_compare_profiles (profile, profile);
  report = sm_comparison_to_markdown (cmp, profile, profile);
  g_assert (report != NULL);
  return 0;
}
