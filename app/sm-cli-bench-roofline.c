/* sm-cli-bench-roofline.c: `smallmind-cli bench roofline`, this machine's roof as the window's
 * Roofline page draws it: the SGEMM peak of every kernel level at one thread and at every CPU,
 * and the read bandwidth of L1, L2, L3 and DRAM (sm-roofline.h).
 *
 *   smallmind-cli bench roofline [--cached] [--quick] [-o md|json]
 *
 * It measures afresh and updates the cache the window reads; --cached prints the cached roof
 * when there is one for this machine.  The peaks are of cache-resident 128×128 products, one
 * per thread: what `bench kernels`' gemm rows reach at their best sizes, not a split product.
 */
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-json.h"
#include "sm-roofline.h"

#include <stdio.h>
#include <string.h>

static void
print_markdown (const SmRoofline *roof)
{
  printf ("# Roofline of this machine\n\nCPU: %s (%d CPUs), measured %s%s\n\n", roof->cpu,
          roof->max_threads, roof->created, roof->quick ? " (quick: rough figures)" : "");
  printf ("| kernel level | GFLOP/s, 1 thread | GFLOP/s, %d threads |\n| --- | ---: | ---: |\n",
          roof->max_threads);
  for (guint i = 0; i < roof->peaks->len; i++)
    {
      const SmRoofPeak *p = &g_array_index (roof->peaks, SmRoofPeak, i);
      printf ("| %s | %.1f | %.1f |\n", sm_kernel_level_to_string (p->level), p->gflops_1, p->gflops_max);
    }
  printf ("\n| memory | buffer | GB/s, 1 thread | GB/s, %d threads |\n| --- | ---: | ---: | ---: |\n",
          roof->max_threads);
  for (int m = 0; m < SM_N_MEM_LEVELS; m++)
    {
      g_autofree char *size = g_format_size_full (roof->mem_bytes[m], G_FORMAT_SIZE_IEC_UNITS);
      printf ("| %s | %s%s | %.1f | %.1f |\n", sm_mem_level_name (m), size,
              m <= SM_MEM_L2 ? " a thread" : "", roof->mem_gbps_1[m], roof->mem_gbps_max[m]);
    }
}

int
sm_cli_bench_roofline (int argc, char **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *path = sm_roofline_cache_path ();
  gboolean cached = FALSE, quick = FALSE;
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- measure this machine's roofline");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmRoofline) roof = NULL;
  GOptionEntry entries[] = {
    { "cached", 0, 0, G_OPTION_ARG_NONE, &cached, "Print the cached roof when there is one", NULL },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &quick, "Tiny buffers and batches: rough figures, not cached", NULL },
    { "output", 'o', 0, G_OPTION_ARG_STRING, &output, "md (default) or json", "FORMAT" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("bench roofline", g_steal_pointer (&error));
  if (argc > 1 || (output != NULL && strcmp (output, "md") != 0 && strcmp (output, "json") != 0))
    {
      fprintf (stderr, "smallmind-cli bench roofline: takes no arguments; -o is md or json\n");
      return 2;
    }
  if (cached)
    roof = sm_roofline_load_cache (path, NULL);
  if (roof == NULL)
    {
      if ((roof = sm_roofline_measure (quick, NULL, &error)) == NULL)
        return sm_cli_fail ("bench roofline", g_steal_pointer (&error));
      if (!quick && !sm_roofline_save_cache (roof, path, &error))
        {
          fprintf (stderr, "smallmind-cli bench roofline: not cached: %s\n", error->message);
          g_clear_error (&error);
        }
    }
  if (output != NULL && strcmp (output, "json") == 0)
    {
      g_autoptr (JsonNode) node = sm_roofline_to_json (roof);
      g_autofree char *text = sm_json_to_string (node, TRUE);
      printf ("%s\n", text);
    }
  else
    print_markdown (roof);
  return 0;
}
