/* test-chart.c: SmChart scales points once when they arrive, breaks lines at gaps (a lone point still shows), stacks areas,
 * finds the point under the pointer, draws, and tells assistive technologies what it shows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sm-chart.h"
#include "sm-ui-test-util.h"

static const GdkRGBA red = { 1, 0, 0, 1 }, blue = { 0, 0, 1, 1 };

static GtkWidget *
new_chart (SmChartKind kind)
{
  GtkWidget *chart = sm_chart_new ();
  const char *names[] = { "a", "b" };
  const GdkRGBA colors[] = { red, blue };

  g_object_ref_sink (chart);
  sm_chart_set_title (SM_CHART (chart), "Test chart");
  sm_chart_set_kind (SM_CHART (chart), kind);
  sm_chart_set_window (SM_CHART (chart), 10);
  sm_chart_set_series (SM_CHART (chart), 2, names, colors);
  return chart;
}

static void
test_points_and_hover (void)
{
  GtkWidget *chart = new_chart (SM_CHART_LINES);
  /* (4 points, 2 series) */
  const double t[] = { -10, -5, -2.5, 0 };
  const double v[] = { 1, 2, NAN, 4, 30, 6, 7, 8 };

  sm_chart_set_points (SM_CHART (chart), 4, t, v);
  g_assert_cmpuint (sm_chart_get_n_points (SM_CHART (chart)), ==, 4);
  /* x: -10 s is the left edge, 0 the right; the nearest point wins */
  g_assert_cmpint (sm_chart_hover_index (SM_CHART (chart), 0.0), ==, 0);
  g_assert_cmpint (sm_chart_hover_index (SM_CHART (chart), 0.49), ==, 1);
  g_assert_cmpint (sm_chart_hover_index (SM_CHART (chart), 0.80), ==, 2);
  g_assert_cmpint (sm_chart_hover_index (SM_CHART (chart), 1.0), ==, 3);

  /* the label names it; the description carries the newest values (a gap skipped) */
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (chart), GTK_ACCESSIBLE_ROLE_IMG);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (chart), GTK_ACCESSIBLE_PROPERTY_LABEL, "Test chart");
  g_assert_finalize_object (chart);
}

static void
test_format (void)
{
  GtkWidget *chart = new_chart (SM_CHART_LINES);
  g_autofree char *tps = NULL, *pct = NULL, *us = NULL, *ms = NULL, *gap = NULL;

  sm_chart_set_unit (SM_CHART (chart), SM_CHART_UNIT_NUMBER, "tok/s");
  tps = sm_chart_format_value (SM_CHART (chart), 31250);
  g_assert_cmpstr (tps, ==, "31.2 K tok/s");
  gap = sm_chart_format_value (SM_CHART (chart), NAN);
  g_assert_cmpstr (gap, ==, "–");
  sm_chart_set_unit (SM_CHART (chart), SM_CHART_UNIT_PERCENT, NULL);
  pct = sm_chart_format_value (SM_CHART (chart), 99.6);
  g_assert_cmpstr (pct, ==, "100 %");
  sm_chart_set_unit (SM_CHART (chart), SM_CHART_UNIT_MS, NULL);
  us = sm_chart_format_value (SM_CHART (chart), 0.031);
  g_assert_cmpstr (us, ==, "31 µs");
  ms = sm_chart_format_value (SM_CHART (chart), 2.5);
  g_assert_cmpstr (ms, ==, "2.5 ms");
  g_assert_finalize_object (chart);
}

static void
test_draw (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *chart = new_chart (SM_CHART_STACKED);
  const double t[] = { -8, -4, 0 };
  const double v[] = { 1, 1, 2, 2, 3, 0 };
  const double mt[] = { -4, -20 };
  const char *ml[] = { "pool off", "out of the window" };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 400, 200);
  cairo_t *cr = cairo_create (surface);
  unsigned char *px;
  int stride, painted = 0;

  gtk_window_set_child (GTK_WINDOW (window), chart);
  sm_chart_set_points (SM_CHART (chart), 3, t, v);
  sm_chart_set_markers (SM_CHART (chart), 2, mt, ml);
  sm_chart_set_subtitle (SM_CHART (chart), "subtitle");
  sm_chart_draw (SM_CHART (chart), cr, 400, 200);
  cairo_surface_flush (surface);

  /* something was drawn: the areas at least */
  px = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < 200; y++)
    for (int x = 0; x < 400; x++)
      painted += px[y * stride + 4 * x + 3] != 0;
  g_assert_cmpint (painted, >, 400 * 200 / 20);

  /* a message replaces the data */
  sm_chart_set_message (SM_CHART (chart), "Turn on profiling");
  sm_chart_draw (SM_CHART (chart), cr, 400, 200);

  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  g_object_unref (chart);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Pixels of @surface that are pure red (series "a"), anti-aliased edges left out. */
static int
count_red (cairo_surface_t *surface)
{
  unsigned char *px = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface), n = 0;

  cairo_surface_flush (surface);
  for (int y = 0; y < cairo_image_surface_get_height (surface); y++)
    for (int x = 0; x < cairo_image_surface_get_width (surface); x++)
      {
        const unsigned char *p = px + y * stride + 4 * x;   /* B G R A, premultiplied */
        n += p[3] == 255 && p[2] == 255 && p[1] == 0 && p[0] == 0;
      }
  return n;
}

/* A reply shorter than one sample interval is one point between gaps: it must still show. */
static void
test_lone_point (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *chart = new_chart (SM_CHART_LINES);
  /* series a: a lone point at -5 s between gaps; series b: nothing */
  const double t[] = { -8, -5, -2 };
  const double lone[] = { NAN, NAN, 5, NAN, NAN, NAN };
  const double none[] = { NAN, NAN, NAN, NAN, NAN, NAN };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 400, 200);
  cairo_surface_t *empty = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 400, 200);
  cairo_t *cr = cairo_create (surface), *cr_empty = cairo_create (empty);
  int dot;

  gtk_window_set_child (GTK_WINDOW (window), chart);
  sm_chart_set_points (SM_CHART (chart), 3, t, lone);
  sm_chart_draw (SM_CHART (chart), cr, 400, 200);
  sm_chart_set_points (SM_CHART (chart), 3, t, none);
  sm_chart_draw (SM_CHART (chart), cr_empty, 400, 200);
  /* the legend's swatch is red too: what the point adds is the difference.  A dot of radius
   * 2.5 px covers ~20 px, a dozen of them solid. */
  dot = count_red (surface) - count_red (empty);
  g_test_message ("lone point: %d solid px", dot);
  g_assert_cmpint (dot, >=, 10);

  cairo_destroy (cr);
  cairo_destroy (cr_empty);
  cairo_surface_destroy (surface);
  cairo_surface_destroy (empty);
  g_object_unref (chart);
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
rects_overlap (const SmChartLabel *a, const SmChartLabel *b)
{
  return a->x < b->x + b->width && b->x < a->x + a->width &&
         a->y < b->y + b->height && b->y < a->y + a->height;
}

/* Toggles flipped in quick succession: their labels never overlap, stay inside the chart, and
 * every marker is accounted for (in its own label or in a merged "N changes"), whose details
 * hovering it shows. */
static void
test_marker_labels (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *chart = new_chart (SM_CHART_LINES);
  const double t[] = { -10, -5, 0 };
  const double v[] = { 1, 2, 3, 4, 5, 6 };
  const double mt[] = { -6.0, -5.9, -5.8, -5.7, -5.6, -5.5, -5.4, -0.1, -0.05 };
  const char *ml[] = { "kernel avx2", "kernel scalar", "pool off", "pool on", "kernel auto",
                       "threads 2", "threads 1", "pool off", "kernel avx512" };
  const int sizes[][2] = { { 400, 170 }, { 260, 140 }, { 900, 220 } };

  gtk_window_set_child (GTK_WINDOW (window), chart);
  sm_chart_set_points (SM_CHART (chart), 3, t, v);
  sm_chart_set_markers (SM_CHART (chart), G_N_ELEMENTS (mt), mt, ml);
  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      int w = sizes[k][0], h = sizes[k][1];
      g_autoptr (GArray) labels = sm_chart_get_marker_labels (SM_CHART (chart), w, h);
      guint covered = 0;

      g_assert_cmpuint (labels->len, >, 0);
      for (guint i = 0; i < labels->len; i++)
        {
          const SmChartLabel *a = &g_array_index (labels, SmChartLabel, i);

          g_test_message ("%dx%d: \"%s\" (%u) at %.0f,%.0f %.0fx%.0f", w, h, a->text, a->n_markers,
                          a->x, a->y, a->width, a->height);
          covered += a->n_markers;
          g_assert_cmpfloat (a->x, >=, 0);
          g_assert_cmpfloat (a->x + a->width, <=, w);
          g_assert_cmpfloat (a->y, >=, 0);
          g_assert_cmpfloat (a->y + a->height, <=, h);
          for (guint j = 0; j < i; j++)
            g_assert_false (rects_overlap (a, &g_array_index (labels, SmChartLabel, j)));
          if (a->n_markers > 1)
            {
              g_autofree char *want = g_strdup_printf ("%u changes", a->n_markers);
              g_autofree char *tip = NULL;

              g_assert_cmpstr (a->text, ==, want);
              /* hovering the merged label lists what changed */
              g_assert_true (sm_chart_get_tooltip (SM_CHART (chart), w, h, a->x + a->width / 2,
                                                   a->y + a->height / 2, NULL, &tip));
              g_assert_nonnull (strstr (tip, want));
            }
        }
      g_assert_cmpuint (covered, ==, G_N_ELEMENTS (mt));
    }

  /* markers far apart keep their own labels */
  {
    const double far[] = { -9, -5, -1 };
    g_autoptr (GArray) labels = NULL;

    sm_chart_set_markers (SM_CHART (chart), 3, far, ml);
    labels = sm_chart_get_marker_labels (SM_CHART (chart), 400, 170);
    g_assert_cmpuint (labels->len, ==, 3);
    for (guint i = 0; i < 3; i++)
      g_assert_cmpstr (g_array_index (labels, SmChartLabel, i).text, ==, ml[i]);
  }

  g_object_unref (chart);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The hover box stays inside the chart wherever the pointer is, with many series in a short
 * chart (the per-op chart: six series, three legend rows), in a narrow one and in one lower than
 * the box (which then ends in an ellipsis). */
static void
test_tooltip_inside (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *chart = sm_chart_new ();
  const char *names[] = { "matmul", "attention", "norm", "gelu", "embed", "other" };
  GdkRGBA colors[6];
  double t[20], v[20 * 6];
  const int sizes[][2] = { { 400, 170 }, { 220, 150 }, { 320, 100 } };

  g_object_ref_sink (chart);
  for (guint s = 0; s < 6; s++)
    colors[s] = red;
  for (guint i = 0; i < 20; i++)
    {
      t[i] = -10 + i * 0.5;
      for (guint s = 0; s < 6; s++)
        v[i * 6 + s] = 0.1 + 0.01 * s;
    }
  gtk_window_set_child (GTK_WINDOW (window), chart);
  sm_chart_set_title (SM_CHART (chart), "Time per token, by operation");
  sm_chart_set_kind (SM_CHART (chart), SM_CHART_STACKED);
  sm_chart_set_unit (SM_CHART (chart), SM_CHART_UNIT_MS, NULL);
  sm_chart_set_window (SM_CHART (chart), 10);
  sm_chart_set_series (SM_CHART (chart), 6, names, colors);
  sm_chart_set_points (SM_CHART (chart), 20, t, v);
  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      int w = sizes[k][0], h = sizes[k][1];

      for (double fx = 0.0; fx <= 1.0; fx += 0.05)
        for (double fy = 0.3; fy <= 1.0; fy += 0.35)
          {
            graphene_rect_t box;
            double x = fx * (w - 1), y = fy * (h - 1);

            if (!sm_chart_get_tooltip (SM_CHART (chart), w, h, x, y, &box, NULL))
              continue;
            if (box.origin.x < 0 || box.origin.y < 0 || box.origin.x + box.size.width > w ||
                box.origin.y + box.size.height > h)
              g_error ("%dx%d, pointer at %.0f,%.0f: the box %.0f,%.0f %.0fx%.0f leaves the chart",
                       w, h, x, y, box.origin.x, box.origin.y, box.size.width, box.size.height);
          }
    }
  g_object_unref (chart);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* "No data yet" is only true before the first data: once they scrolled out of the window the
 * chart says so, and a window of gaps only is no data either. */
static void
test_scrolled_out (void)
{
  GtkWidget *chart = new_chart (SM_CHART_LINES);
  const double t[] = { -5, -4 };
  const double v[] = { 1, 2, 3, 4 };
  const double gaps[] = { NAN, NAN, NAN, NAN };
  const char *shown;

  g_assert_cmpstr (sm_chart_get_shown_message (SM_CHART (chart)), ==, "No data yet");
  sm_chart_set_points (SM_CHART (chart), 2, t, gaps);
  g_assert_cmpstr (sm_chart_get_shown_message (SM_CHART (chart)), ==, "No data yet");
  sm_chart_set_points (SM_CHART (chart), 2, t, v);
  g_assert_null (sm_chart_get_shown_message (SM_CHART (chart)));

  /* the points left the 10 s window */
  sm_chart_set_points (SM_CHART (chart), 0, NULL, NULL);
  shown = sm_chart_get_shown_message (SM_CHART (chart));
  g_assert_cmpstr (shown, ==, "No data in the last 10 s");
  /* only gaps in the window */
  sm_chart_set_points (SM_CHART (chart), 2, t, gaps);
  g_assert_cmpstr (sm_chart_get_shown_message (SM_CHART (chart)), ==, "No data in the last 10 s");
  /* the owner's message wins */
  sm_chart_set_message (SM_CHART (chart), "Turn on profiling");
  g_assert_cmpstr (sm_chart_get_shown_message (SM_CHART (chart)), ==, "Turn on profiling");
  g_assert_finalize_object (chart);
}

/* Pixels of @surface covered at least half by red alone (the stacked areas are translucent). */
static gboolean
red_cover (cairo_surface_t *surface, int x, int y)
{
  const unsigned char *p = cairo_image_surface_get_data (surface) + y * cairo_image_surface_get_stride (surface) + 4 * x;

  /* B G R A, premultiplied */
  return p[3] >= 128 && p[2] == p[3] && p[1] == 0 && p[0] == 0;
}

/* Red pixels @t/@v (@n points, two series, "a" red) add to a 400 x 200 drawing of @kind over
 * the same chart without them, in a 60 s window; and the columns where they are. */
static int
red_added (SmChartKind kind, guint n, const double *t, const double *v, int *x_min, int *x_max)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *chart = new_chart (kind);
  cairo_surface_t *with = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 400, 200);
  cairo_surface_t *without = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 400, 200);
  cairo_t *cr = cairo_create (with), *cr0 = cairo_create (without);
  const double t0[] = { -30 };
  const double v0[] = { NAN, NAN };
  int added = 0;

  gtk_window_set_child (GTK_WINDOW (window), chart);
  sm_chart_set_window (SM_CHART (chart), 60);
  sm_chart_set_points (SM_CHART (chart), 1, t0, v0);
  sm_chart_draw (SM_CHART (chart), cr0, 400, 200);
  sm_chart_set_points (SM_CHART (chart), n, t, v);
  sm_chart_draw (SM_CHART (chart), cr, 400, 200);
  cairo_surface_flush (with);
  cairo_surface_flush (without);
  *x_min = 400;
  *x_max = -1;
  for (int y = 0; y < 200; y++)
    for (int x = 0; x < 400; x++)
      if (red_cover (with, x, y) && !red_cover (without, x, y))
        {
          added++;
          *x_min = MIN (*x_min, x);
          *x_max = MAX (*x_max, x);
        }
  cairo_destroy (cr);
  cairo_destroy (cr0);
  cairo_surface_destroy (with);
  cairo_surface_destroy (without);
  g_object_unref (chart);
  gtk_window_destroy (GTK_WINDOW (window));
  return added;
}

/* A short reply is a sample or two a fraction of a second apart, a pixel or less on a 60 s
 * chart: as a line, as a stack and as a lone stacked point it must still show, and between
 * gaps a stack is drawn there only (not as a slope from the gap on either side). */
static void
test_short_run (void)
{
  int x0, x1, x0_gap, x1_gap;
  const double two_t[] = { -20.1, -20.0 };
  const double two_v[] = { 5, 1, 5, 1 };
  const double one_t[] = { -20 };
  const double one_v[] = { 5, 1 };
  const double gap_t[] = { -30, -20.1, -20.0, -10 };
  const double gap_v[] = { NAN, NAN, 5, 1, 5, 1, NAN, NAN };
  int lines = red_added (SM_CHART_LINES, 2, two_t, two_v, &x0, &x1);
  int stacked_one = red_added (SM_CHART_STACKED, 1, one_t, one_v, &x0, &x1);
  int stacked_two = red_added (SM_CHART_STACKED, 4, gap_t, gap_v, &x0_gap, &x1_gap);

  g_test_message ("short run: lines %d px, stacked %d px (x %d..%d) and %d px between gaps (x %d..%d)",
                  lines, stacked_one, x0, x1, stacked_two, x0_gap, x1_gap);
  g_assert_cmpint (lines, >=, 10);
  g_assert_cmpint (stacked_one, >=, 10);
  g_assert_cmpint (stacked_two, >=, 10);
  /* the 0.1 s run is a few pixels wide, where the lone point is */
  g_assert_cmpint (x1_gap - x0_gap, <=, 8);
  g_assert_cmpint (abs (x1_gap - x1), <=, 2);
}

int
main (int argc, char **argv)
{
  int status;

  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/Chart/points-and-hover", test_points_and_hover);
  g_test_add_func ("/Chart/format", test_format);
  g_test_add_func ("/Chart/draw", test_draw);
  g_test_add_func ("/Chart/lone-point", test_lone_point);
  g_test_add_func ("/Chart/marker-labels", test_marker_labels);
  g_test_add_func ("/Chart/tooltip-inside", test_tooltip_inside);
  g_test_add_func ("/Chart/scrolled-out", test_scrolled_out);
  g_test_add_func ("/Chart/short-run", test_short_run);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  return status;
}
