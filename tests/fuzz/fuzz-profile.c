/* fuzz-profile.c: libFuzzer target for the Markdown reports `compare` reads (the tables of
 * reports written before snapshots existed, sm_profile_from_markdown).  A profile read from an
 * input must answer for each of its rows and compare against itself into a report. */
#include "sm-fuzz.h"

#include "sm-compare.h"

int
SM_FUZZ_ENTRY (profile) (const uint8_t *data, size_t size)
{
  /* the reader takes a nul-terminated text, as g_file_get_contents gives it */
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmProfile) profile = sm_profile_from_markdown (text, "fuzz.md", &error);
  g_autoptr (SmComparison) cmp = NULL;
  g_autofree char *report = NULL, *mismatch = NULL;
  double lo, hi;

  g_assert ((profile == NULL) != (error == NULL));
  if (profile == NULL)
    return 0;
  lo = sm_profile_total_ms (profile);
  for (guint i = 0; i < profile->rows->len; i++)
    {
      const SmProfileRow *r = g_ptr_array_index (profile->rows, i);
      g_assert (sm_profile_find (profile, r->name) != NULL);
      sm_profile_range (profile, r->name, &lo, &hi);
    }
  mismatch = sm_profiles_kind_mismatch (profile, profile);
  cmp = sm_compare_profiles (profile, profile);
  report = sm_comparison_to_markdown (cmp, profile, profile);
  g_assert (report != NULL);
  return 0;
}
