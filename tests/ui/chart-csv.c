/* chart-csv.c: draws a memory curve (the CSV tools/soak writes, from SM_STRESS_CSV) with the
 * window's own chart, as a PNG:
 *
 *   chart-csv IN.csv OUT.png [TITLE]
 *
 * The series are the process's resident set, its anonymous part, and the bytes rented from
 * the pool; the x axis is the run, its end at the right.  It draws with SmChart so that the
 * picture is the one the window shows (and its PNG export writes).  Not a test: tools/soak
 * runs it under Xvfb, since a GTK widget needs a display. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sm-chart.h"

static const char *const wanted[] = { "rss_kib", "rss_anon_kib", "pool_live_bytes" };
static const double to_bytes[] = { 1024, 1024, 1 };

static int
column (char **header, const char *name)
{
  for (int i = 0; header[i] != NULL; i++)
    if (g_strcmp0 (g_strstrip (header[i]), name) == 0)
      return i;
  return -1;
}

int
main (int argc, char **argv)
{
  const char *names[] = { "Resident (RSS)", "Anonymous", "Pool rented" };
  const GdkRGBA colors[] = { { 0.21, 0.52, 0.89, 1 }, { 0.90, 0.38, 0.00, 1 },
                             { 0.15, 0.64, 0.41, 1 } };
  const int width = 900, height = 320, pad = 16;
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) header = NULL;
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  int cols[G_N_ELEMENTS (wanted)], time_col;
  double end;
  GtkWidget *chart;
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;
  GdkRGBA fg;

  if (argc < 3)
    {
      g_printerr ("usage: %s IN.csv OUT.png [TITLE]\n", argv[0]);
      return 2;
    }
  if (!g_file_get_contents (argv[1], &contents, NULL, &error))
    {
      g_printerr ("chart-csv: %s\n", error->message);
      return 1;
    }
  lines = g_strsplit (contents, "\n", -1);
  if (lines[0] == NULL)
    {
      g_printerr ("chart-csv: %s is empty\n", argv[1]);
      return 1;
    }
  header = g_strsplit (lines[0], ",", -1);
  time_col = column (header, "seconds");
  for (guint s = 0; s < G_N_ELEMENTS (wanted); s++)
    if ((cols[s] = column (header, wanted[s])) < 0 || time_col < 0)
      {
        g_printerr ("chart-csv: %s has no column “%s”\n", argv[1], time_col < 0 ? "seconds" : wanted[s]);
        return 1;
      }
  for (int l = 1; lines[l] != NULL; l++)
    {
      g_auto (GStrv) f = g_strsplit (lines[l], ",", -1);
      guint n = g_strv_length (f);
      double t;

      if (n <= (guint) time_col)
        continue;
      t = g_ascii_strtod (f[time_col], NULL);
      g_array_append_val (times, t);
      for (guint s = 0; s < G_N_ELEMENTS (wanted); s++)
        {
          double v = (guint) cols[s] < n ? g_ascii_strtod (f[cols[s]], NULL) : NAN;
          /* -1 is the sampler's "not known here" */
          v = v < 0 ? NAN : v * to_bytes[s];
          g_array_append_val (values, v);
        }
    }
  if (times->len == 0)
    {
      g_printerr ("chart-csv: %s has no rows\n", argv[1]);
      return 1;
    }
  /* the chart's points are seconds before now: the run's end is now */
  end = g_array_index (times, double, times->len - 1);
  for (guint i = 0; i < times->len; i++)
    g_array_index (times, double, i) -= end;

  gtk_init ();
  chart = g_object_ref_sink (sm_chart_new ());
  sm_chart_set_title (SM_CHART (chart), argc > 3 ? argv[3] : "Memory over the run");
  sm_chart_set_kind (SM_CHART (chart), SM_CHART_LINES);
  sm_chart_set_unit (SM_CHART (chart), SM_CHART_UNIT_BYTES, NULL);
  sm_chart_set_window (SM_CHART (chart), MAX (end, 1));
  sm_chart_set_series (SM_CHART (chart), G_N_ELEMENTS (wanted), names, colors);
  sm_chart_set_points (SM_CHART (chart), times->len, (const double *) times->data,
                       (const double *) values->data);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cr = cairo_create (surface);
  /* the page under the chart's text color, as the window's PNG export does */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (chart), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  if (fg.red + fg.green + fg.blue > 1.5)
    cairo_set_source_rgb (cr, 0.14, 0.14, 0.14);
  else
    cairo_set_source_rgb (cr, 0.98, 0.98, 0.98);
  cairo_paint (cr);
  cairo_translate (cr, pad, pad);
  sm_chart_draw (SM_CHART (chart), cr, width - 2 * pad, height - 2 * pad);
  cairo_destroy (cr);
  status = cairo_surface_write_to_png (surface, argv[2]);
  cairo_surface_destroy (surface);
  g_object_unref (chart);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_printerr ("chart-csv: cannot write %s: %s\n", argv[2], cairo_status_to_string (status));
      return 1;
    }
  return 0;
}
