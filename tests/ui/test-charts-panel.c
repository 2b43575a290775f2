/* test-charts-panel.c: SmChartsPanel turns the engine's read-outs into the charts: fed by hand
 * (sm_charts_panel_feed ()) with samples, op totals and markers a test makes up, so each case
 * says exactly what the engine would have reported. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sm-chart.h"
#include "sm-charts-panel.h"
#include "sm-ui-test-util.h"

#define S_NS ((gint64) 1000000000)

enum { TPS_CHART, MEMORY_CHART, OPS_CHART, POOL_CHART };

static SmChartsPanel *
new_panel (GtkWidget **window)
{
  GtkWidget *panel = g_object_new (SM_TYPE_CHARTS_PANEL, NULL);

  *window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (*window), panel);
  return SM_CHARTS_PANEL (panel);
}

static SmChart *
chart (SmChartsPanel *panel, guint index)
{
  return SM_CHART (sm_charts_panel_get_chart (panel, index));
}

static GArray *
no_samples (void)
{
  return g_array_new (FALSE, TRUE, sizeof (SmProfSample));
}

static GArray *
no_markers (void)
{
  return g_array_new (FALSE, TRUE, sizeof (SmProfMarker));
}

/* Feeds op totals @ns_per_op (ms of each op kind over @tokens tokens) at @now. */
static void
feed_ops (SmChartsPanel *panel, SmEngineStats *st, const double *ms, guint64 tokens, gint64 now)
{
  g_autoptr (GArray) series = no_samples ();
  g_autoptr (GArray) markers = no_markers ();

  st->profiling = TRUE;
  st->counters.decode_tokens += tokens;
  for (int op = 0; op < SM_N_OPS; op++)
    {
      st->ops[op].ns += (guint64) (ms[op] * 1e6);
      st->ops[op].count += tokens;
    }
  sm_charts_panel_feed (panel, st, series, markers, now);
}

static gboolean
same_color (const GdkRGBA *a, const GdkRGBA *b)
{
  return fabs (a->red - b->red) < 1e-6 && fabs (a->green - b->green) < 1e-6 &&
         fabs (a->blue - b->blue) < 1e-6;
}

/* An op kind keeps its color whatever its rank among the top ops: two runs where different
 * ops lead give matmul, rope, ... the same colors in both, all of them distinct. */
static void
test_op_colors (void)
{
  GtkWidget *window;
  SmChartsPanel *panel = new_panel (&window);
  SmEngineStats st = { 0 };
  double first[SM_N_OPS] = { 0 }, second[SM_N_OPS] = { 0 };
  GdkRGBA seen[SM_N_OPS + 1];
  gboolean have[SM_N_OPS + 1] = { 0 };
  const double zero[SM_N_OPS] = { 0 };

  first[SM_OP_MATMUL] = 5;
  first[SM_OP_ATTENTION] = 3;
  first[SM_OP_NORM] = 1;
  first[SM_OP_ROPE] = 0.5;
  first[SM_OP_SOFTMAX] = 0.2;
  first[SM_OP_SILU] = 0.1;
  second[SM_OP_SILU] = 9;
  second[SM_OP_ROPE] = 4;
  second[SM_OP_MATMUL] = 1;
  second[SM_OP_ATTENTION] = 0.5;
  second[SM_OP_SOFTMAX] = 0.3;
  second[SM_OP_NORM] = 0.2;

  /* the first read-out is the baseline; each run is then alone in its window */
  feed_ops (panel, &st, zero, 0, 1 * S_NS);
  for (int run = 0; run < 2; run++)
    {
      SmChart *ops = chart (panel, OPS_CHART);

      feed_ops (panel, &st, run == 0 ? first : second, 10, (2 + run * 200) * S_NS);
      g_assert_null (sm_chart_get_shown_message (ops));
      g_assert_cmpuint (sm_chart_get_n_series (ops), ==, 6);
      for (guint s = 0; s < sm_chart_get_n_series (ops); s++)
        {
          const char *name = sm_chart_get_series_name (ops, s);
          GdkRGBA color;
          int op;

          for (op = 0; op < SM_N_OPS; op++)
            if (g_str_equal (name, sm_op_kind_name (op)))
              break;
          sm_chart_get_series_color (ops, s, &color);
          g_test_message ("run %d: %s %.2f %.2f %.2f", run, name, color.red, color.green, color.blue);
          if (have[op] && !same_color (&seen[op], &color))
            g_error ("run %d: %s changed color", run, name);
          seen[op] = color;
          have[op] = TRUE;
        }
      /* the first has the most time: matmul, then silu */
      g_assert_cmpstr (sm_chart_get_series_name (ops, 0), ==, run == 0 ? "matmul" : "silu");
    }
  for (int a = 0; a <= SM_N_OPS; a++)
    for (int b = 0; b < a; b++)
      if (have[a] && have[b])
        g_assert_false (same_color (&seen[a], &seen[b]));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A sample of a reply at @t_s: @tokens decoded so far in all, at @tps over the tokens since
 * the sample before. */
static SmProfSample
reply_sample (double t_s, guint64 tokens, double tps)
{
  SmProfSample s = { 0 };

  s.t_ns = (gint64) (t_s * S_NS);
  s.decode_tokens = tokens;
  s.decode_tps = tps;
  s.resident_bytes = 188000000;
  s.pool_live_bytes = 2000000;
  return s;
}

/* Whether @c has a gap (all series missing) between @t0 and @t1 and no value there. */
static gboolean
gap_between (SmChart *c, double t0, double t1)
{
  gboolean gap = FALSE;

  for (guint i = 0; i < sm_chart_get_n_points (c); i++)
    {
      double t = sm_chart_get_point_time (c, i);
      gboolean any = FALSE;

      if (t <= t0 || t >= t1)
        continue;
      for (guint s = 0; s < sm_chart_get_n_series (c); s++)
        any |= !isnan (sm_chart_get_point_value (c, i, s));
      if (any)
        return FALSE;
      gap = TRUE;
    }
  return gap;
}

static void
dump_chart (SmChart *c)
{
  for (guint i = 0; i < sm_chart_get_n_points (c); i++)
    g_test_message ("  %s %7.3f s: %g", sm_chart_get_title (c), sm_chart_get_point_time (c, i),
                    sm_chart_get_point_value (c, i, 0));
}

/* Two short replies with the engine idle between them: the tok/s line and the per-op stack
 * break across the idle time (at 1 sample a second too, where three intervals without a
 * sample are longer than the idle), rather than joining the replies as if decoding went on. */
static void
test_idle_gap (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  g_autoptr (GSettings) settings = g_settings_new ("org.smallmind.Playground");
  GtkWidget *window;
  SmChartsPanel *panel = new_panel (&window);
  g_autoptr (GArray) series = no_samples ();
  g_autoptr (GArray) markers = no_markers ();
  SmEngineStats st = { 0 };
  double ms[SM_N_OPS] = { 0 };
  const double zero[SM_N_OPS] = { 0 };
  SmChart *tps = chart (panel, TPS_CHART), *ops = chart (panel, OPS_CHART);
  SmProfSample s;
  gint64 now = 100 * S_NS;

  /* bound for the rate setting only: the main loop does not run, so the engine feeds nothing */
  sm_charts_panel_bind (panel, engine, settings);
  g_settings_set_double (settings, "chart-rate", 1.0);

  /* reply 1: 200 tokens at 5000 tok/s (40 ms) just before 90 s; reply 2 the same just before
   * 92 s; the sampler (1 s) saw each once, and nothing in between */
  s = reply_sample (89.0, 0, 0);
  g_array_append_val (series, s);
  s = reply_sample (90.0, 200, 5000);
  g_array_append_val (series, s);
  s = reply_sample (92.0, 400, 5000);
  g_array_append_val (series, s);
  sm_charts_panel_feed (panel, &st, series, markers, now);
  dump_chart (tps);
  g_assert_true (gap_between (tps, -10.0 + 0.05, -8.0 - 0.05));
  g_assert_cmpfloat (sm_chart_get_last_value (tps, 0), ==, 5000);

  /* the per-op ring: the same two replies, read at the feed after each */
  feed_ops (panel, &st, zero, 0, 89 * S_NS);
  ms[SM_OP_MATMUL] = 30;
  feed_ops (panel, &st, ms, 200, 90 * S_NS);
  feed_ops (panel, &st, ms, 200, 92 * S_NS);
  dump_chart (ops);
  g_assert_cmpuint (sm_chart_get_n_points (ops), >=, 2);
  /* times are relative to each feed's now (92 s) */
  g_assert_true (gap_between (ops, -2.0 + 0.05, 0.0 - 0.05));

  /* a long reply at 10 samples a second is one unbroken line, up to its tail */
  g_settings_reset (settings, "chart-rate");
  g_array_set_size (series, 0);
  for (guint i = 0; i <= 20; i++)
    {
      s = reply_sample (90.0 + i * 0.1, i * 50, i ? 500 : 0);
      g_array_append_val (series, s);
    }
  s = reply_sample (92.1, 1010, 500);   /* the last 10 tokens: 20 ms of that window */
  g_array_append_val (series, s);
  sm_charts_panel_feed (panel, &st, series, markers, now);
  dump_chart (tps);
  for (guint i = 0; i < sm_chart_get_n_points (tps); i++)
    if (sm_chart_get_point_time (tps, i) > -9.9 && sm_chart_get_point_time (tps, i) < -8.0)
      g_assert_cmpfloat (sm_chart_get_point_value (tps, i, 0), ==, 500);
  g_assert_false (gap_between (tps, -9.9, -8.0));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Pixels of @surface within rows @y0..@y1 close to @color. */
static int
count_color (cairo_surface_t *surface, int y0, int y1, const GdkRGBA *color)
{
  unsigned char *px = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface), n = 0;

  for (int y = y0; y < y1 && y < cairo_image_surface_get_height (surface); y++)
    for (int x = 0; x < cairo_image_surface_get_width (surface); x++)
      {
        const unsigned char *p = px + y * stride + 4 * x;   /* B G R A, opaque here */
        n += abs (p[2] - (int) (color->red * 255)) < 12 && abs (p[1] - (int) (color->green * 255)) < 12 &&
             abs (p[0] - (int) (color->blue * 255)) < 12;
      }
  return n;
}

/* The memory chart after the last sample left the window (the engine idle a while): it
 * carries the resident figure the card shows, in its legend and as a line up to now, its axis
 * scales to it in MB, and the PNG export has that line. */
static void
test_memory_idle (void)
{
  GtkWidget *window;
  SmChartsPanel *panel = new_panel (&window);
  g_autoptr (GArray) series = no_samples ();
  g_autoptr (GArray) markers = no_markers ();
  g_autofree char *png = g_build_filename (sm_ui_test_dir (), "memory.png", NULL);
  g_autofree char *legend = NULL, *top = NULL, *mid = NULL, *bottom = NULL;
  g_autoptr (GError) error = NULL;
  SmChart *memory = chart (panel, MEMORY_CHART);
  GtkWidget *card = sm_ui_test_child (panel, SM_TYPE_CHARTS_PANEL, "memory_value");
  SmEngineStats st = { 0 };
  cairo_surface_t *surface;
  GdkRGBA resident;
  SmProfSample s;
  int drawn;

  /* a reply 100 s ago (the window is 60 s); the process holds 188 MB now */
  s = reply_sample (0.0, 0, 0);
  g_array_append_val (series, s);
  s = reply_sample (0.1, 50, 500);
  g_array_append_val (series, s);
  st.resident_bytes = 188000000;
  st.pool.live_bytes = 2000000;
  sm_charts_panel_feed (panel, &st, series, markers, 100 * S_NS);

  g_assert_null (sm_chart_get_shown_message (memory));
  g_assert_cmpfloat (sm_chart_get_last_value (memory, 0), ==, 188000000);
  legend = sm_chart_format_value (memory, sm_chart_get_last_value (memory, 0));
  g_assert_cmpstr (legend, ==, gtk_label_get_text (GTK_LABEL (card)));
  top = sm_chart_get_axis_label (memory, 2);
  mid = sm_chart_get_axis_label (memory, 1);
  bottom = sm_chart_get_axis_label (memory, 0);
  g_test_message ("memory axis: %s / %s / %s", bottom, mid, top);
  g_assert_cmpstr (top, ==, "200 MB");
  g_assert_cmpstr (mid, ==, "100 MB");
  g_assert_cmpstr (bottom, ==, "0");

  /* the PNG: the charts 220 px high, 16 px apart from 16 px down; memory is the second */
  g_assert_true (sm_charts_panel_write_png (panel, png, &error));
  g_assert_no_error (error);
  surface = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  sm_chart_get_series_color (memory, 0, &resident);
  drawn = count_color (surface, 16 + 236, 16 + 236 + 220, &resident);
  g_test_message ("resident line in the PNG: %d px", drawn);
  /* the legend's swatch is 81 px; a line across the plot is many more */
  g_assert_cmpint (drawn, >, 600);
  cairo_surface_destroy (surface);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* After a reply has scrolled out of the window, no chart claims there never was data: the
 * rate and per-op charts say the window is empty. */
static void
test_scrolled_out (void)
{
  GtkWidget *window;
  SmChartsPanel *panel = new_panel (&window);
  g_autoptr (GArray) series = no_samples ();
  g_autoptr (GArray) markers = no_markers ();
  SmEngineStats st = { 0 };
  double ms[SM_N_OPS] = { 0 };
  const double zero[SM_N_OPS] = { 0 };
  SmProfSample s;

  g_assert_cmpstr (sm_chart_get_shown_message (chart (panel, TPS_CHART)), ==, "No data yet");

  /* a reply at 10 s, seen by the charts */
  s = reply_sample (9.9, 0, 0);
  g_array_append_val (series, s);
  s = reply_sample (10.0, 50, 500);
  g_array_append_val (series, s);
  feed_ops (panel, &st, zero, 0, 9 * S_NS);
  ms[SM_OP_MATMUL] = 20;
  st.counters.decode_tokens = 0;
  feed_ops (panel, &st, ms, 50, 10 * S_NS);
  sm_charts_panel_feed (panel, &st, series, markers, 11 * S_NS);
  g_assert_null (sm_chart_get_shown_message (chart (panel, TPS_CHART)));
  g_assert_null (sm_chart_get_shown_message (chart (panel, OPS_CHART)));

  /* 100 s later */
  sm_charts_panel_feed (panel, &st, series, markers, 110 * S_NS);
  g_assert_cmpstr (sm_chart_get_shown_message (chart (panel, TPS_CHART)), ==, "No data in the last 60 s");
  g_assert_cmpstr (sm_chart_get_shown_message (chart (panel, OPS_CHART)), ==, "No data in the last 60 s");
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
window_loaded (gpointer data)
{
  return !sm_window_get_loading (SM_WINDOW (data));
}

static void
on_generated (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sm_engine_generate_finish (SM_ENGINE (source), result, NULL, &error));
  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

/* The whole way, as a person sees it: the built-in model writes a short reply, the engine
 * then idles past the chart window, and the charts PNG exported through the window's action
 * still has the memory line at the card's figure. */
static void
test_export_after_idle (void)
{
  SmWindow *window;
  g_autoptr (SmApplication) app = sm_ui_test_start_app (&window);
  g_autoptr (GSettings) settings = g_settings_new ("org.smallmind.Playground");
  g_autofree char *png = g_build_filename (sm_ui_test_dir (), "idle.png", NULL);
  SmChartsPanel *panel = SM_CHARTS_PANEL (sm_ui_test_child (window, SM_TYPE_WINDOW, "charts_panel"));
  SmChart *memory = chart (panel, MEMORY_CHART);
  GtkWidget *card = sm_ui_test_child (panel, SM_TYPE_CHARTS_PANEL, "memory_value");
  g_autofree char *legend = NULL;
  SmGenerateParams params;
  cairo_surface_t *surface;
  gboolean done = FALSE;
  GdkRGBA resident;
  int drawn;

  sm_ui_test_wait (window_loaded, window, 60, "the built-in model");
  g_settings_set_uint (settings, "chart-window", 10);
  sm_generate_params_init (&params);
  params.max_tokens = 8;
  sm_engine_generate_async (sm_window_get_engine (window), "Once upon", &params, NULL, NULL, NULL,
                            NULL, on_generated, &done);
  sm_ui_test_wait (flag_set, &done, 60, "the reply");
  /* the window is 10 s: everything sampled has left it */
  sm_ui_test_spin (12000);
  sm_charts_panel_refresh (panel);

  g_assert_null (sm_chart_get_shown_message (memory));
  legend = sm_chart_format_value (memory, sm_chart_get_last_value (memory, 0));
  g_assert_cmpstr (legend, ==, gtk_label_get_text (GTK_LABEL (card)));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.export-snapshot-to", "(ss)", "png", png));
  surface = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  sm_chart_get_series_color (memory, 0, &resident);
  drawn = count_color (surface, 16 + 236, 16 + 236 + 220, &resident);
  g_test_message ("resident line in the exported PNG: %d px (card %s)", drawn, gtk_label_get_text (GTK_LABEL (card)));
  g_assert_cmpint (drawn, >, 600);
  cairo_surface_destroy (surface);

  g_settings_reset (settings, "chart-window");
}

/* A reply of 10 ms: its prompt (5 tokens in 2 ms), then 8 tokens of 0.5 ms, each with its
 * matmuls (60 %) and attention (30 %) in the trace. */
static void
short_reply (gint64 start, GArray **tokens, GArray **trace)
{
  const gint64 MS = 1000000;
  gint64 t = start;

  *tokens = g_array_new (FALSE, TRUE, sizeof (SmTokenRecord));
  *trace = g_array_new (FALSE, TRUE, sizeof (SmTraceEvent));
  for (int i = 0; i < 9; i++)
    {
      SmTokenRecord r = { .start_ns = t, .dur_ns = i == 0 ? 2 * MS : MS / 2,
                          .kind = i == 0 ? SM_TOKEN_PREFILL : SM_TOKEN_DECODE,
                          .n_tokens = i == 0 ? 5 : 1, .pos = i == 0 ? 0 : 4 + i };
      SmTraceEvent mm = { .ts_ns = t + r.dur_ns / 20, .dur_ns = r.dur_ns * 6 / 10,
                          .type = SM_TRACE_OP, .op = SM_OP_MATMUL };
      SmTraceEvent at = { .ts_ns = mm.ts_ns + mm.dur_ns, .dur_ns = r.dur_ns * 3 / 10,
                          .type = SM_TRACE_OP, .op = SM_OP_ATTENTION };
      SmTraceEvent tok = { .ts_ns = t, .dur_ns = r.dur_ns, .type = SM_TRACE_TOKEN };

      g_array_append_val (*tokens, r);
      g_array_append_val (*trace, mm);
      g_array_append_val (*trace, at);
      g_array_append_val (*trace, tok);
      t += r.dur_ns + MS / 10;
    }
}

/* Issue: a small model writes its reply inside one chart sample, and the charts showed a dot.
 * Once such a reply is over, the rate and per-op charts show it token by token (the prompt
 * at 0), the time-based feed leaves them so, and the next reply brings time back. */
static void
test_reply_by_token (void)
{
  GtkWidget *window;
  SmChartsPanel *panel = new_panel (&window);
  SmEngineStats st = { 0 };
  g_autoptr (GArray) tokens = NULL, trace = NULL;
  g_autoptr (GArray) series = no_samples ();
  g_autoptr (GArray) markers = no_markers ();
  SmChart *tps = chart (panel, TPS_CHART), *ops = chart (panel, OPS_CHART);
  const SmProfMarker mk = { .t_ns = 100 * S_NS, .text = "pool off" };

  st.profiling = TRUE;
  short_reply (100 * S_NS, &tokens, &trace);
  g_array_append_val (markers, mk);

  /* while it runs, time */
  st.generating = TRUE;
  g_assert_false (sm_charts_panel_feed_reply (panel, &st, tokens, trace));
  g_assert_cmpuint (sm_chart_get_token_axis (tps), ==, 0);

  st.generating = FALSE;
  g_assert_true (sm_charts_panel_feed_reply (panel, &st, tokens, trace));
  sm_charts_panel_feed (panel, &st, series, markers, 101 * S_NS);
  g_assert_cmpuint (sm_chart_get_token_axis (tps), ==, 8);
  g_assert_cmpuint (sm_chart_get_token_axis (ops), ==, 8);
  g_assert_cmpstr (sm_chart_get_subtitle (tps), ==, "The last reply, token by token");
  g_assert_cmpuint (sm_chart_get_n_points (tps), ==, 9);
  /* the prompt at 0: 5 tokens in 2 ms; then 2,000 tok/s a token */
  g_assert_cmpfloat (sm_chart_get_point_time (tps, 0), ==, -8);
  g_assert_true (isnan (sm_chart_get_point_value (tps, 0, 0)));
  g_assert_cmpfloat_with_epsilon (sm_chart_get_point_value (tps, 0, 1), 2500, 1e-6);
  for (guint i = 1; i < 9; i++)
    {
      g_assert_cmpfloat (sm_chart_get_point_time (tps, i), ==, (double) i - 8);
      g_assert_cmpfloat_with_epsilon (sm_chart_get_point_value (tps, i, 0), 2000, 1e-6);
      g_assert_true (isnan (sm_chart_get_point_value (tps, i, 1)));
    }
  /* per op: ms per token, matmul first; the prompt's per prompt token */
  g_assert_cmpuint (sm_chart_get_n_series (ops), ==, 3);
  g_assert_cmpstr (sm_chart_get_series_name (ops, 0), ==, "matmul");
  g_assert_cmpstr (sm_chart_get_series_name (ops, 1), ==, "attention");
  g_assert_cmpuint (sm_chart_get_n_points (ops), ==, 9);
  g_assert_cmpfloat_with_epsilon (sm_chart_get_point_value (ops, 0, 0), 1.2 / 5, 1e-9);
  g_assert_cmpfloat_with_epsilon (sm_chart_get_point_value (ops, 3, 0), 0.3, 1e-9);
  g_assert_cmpfloat_with_epsilon (sm_chart_get_point_value (ops, 3, 1), 0.15, 1e-9);
  g_assert_cmpfloat_with_epsilon (sm_chart_get_point_value (ops, 3, 2), 0, 1e-9);
  /* the markers are times, not tokens: not on these two */
  g_assert_cmpuint (sm_chart_get_n_markers (tps), ==, 0);
  g_assert_cmpuint (sm_chart_get_n_markers (chart (panel, MEMORY_CHART)), ==, 1);

  /* the next reply: time again */
  st.generating = TRUE;
  g_assert_false (sm_charts_panel_feed_reply (panel, &st, tokens, trace));
  sm_charts_panel_feed (panel, &st, series, markers, 102 * S_NS);
  g_assert_cmpuint (sm_chart_get_token_axis (tps), ==, 0);
  g_assert_cmpuint (sm_chart_get_token_axis (ops), ==, 0);
  g_assert_null (sm_chart_get_subtitle (tps));

  /* a reply longer than three looks (0.3 s at 10 a second) stays on the time axis */
  st.generating = FALSE;
  g_array_index (tokens, SmTokenRecord, tokens->len - 1).dur_ns = S_NS / 2;
  g_assert_false (sm_charts_panel_feed_reply (panel, &st, tokens, trace));
  g_assert_cmpuint (sm_chart_get_token_axis (tps), ==, 0);

  /* without a trace (or profiling), the rate by token and the per-op chart on time */
  g_array_index (tokens, SmTokenRecord, tokens->len - 1).dur_ns = S_NS / 2000;
  g_array_set_size (trace, 0);
  g_assert_true (sm_charts_panel_feed_reply (panel, &st, tokens, trace));
  g_assert_cmpuint (sm_chart_get_token_axis (tps), ==, 8);
  g_assert_cmpuint (sm_chart_get_token_axis (ops), ==, 0);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  int status;

  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/ChartsPanel/op-colors", test_op_colors);
  g_test_add_func ("/ChartsPanel/idle-gap", test_idle_gap);
  g_test_add_func ("/ChartsPanel/memory-idle", test_memory_idle);
  g_test_add_func ("/ChartsPanel/scrolled-out", test_scrolled_out);
  g_test_add_func ("/ChartsPanel/export-after-idle", test_export_after_idle);
  g_test_add_func ("/ChartsPanel/reply-by-token", test_reply_by_token);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  return status;
}
