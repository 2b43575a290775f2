/* sm-roofline-view.c: the Roofline page. */
#define G_LOG_DOMAIN "SmRooflineView"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "sm-roofline-view.h"
#include "sm-chart.h"

/* the plot's margins: room for the axes' labels on the left and below, the legend under them */
#define PAD_LEFT 52.0
#define PAD_RIGHT 14.0
#define PAD_TOP 24.0
#define PAD_BOTTOM 58.0
#define POINT_R 4.5
#define HIT_R 9.0
#define PNG_WIDTH 900
#define PNG_HEIGHT 600

struct _SmRooflineView {
  GtkWidget       parent_instance;

  /* template children */
  GtkLabel       *status_label;
  GtkWidget      *measure_button;
  GtkWidget      *export_button;
  GtkDrawingArea *plot;

  SmEngine       *engine;
  gulong          feed_handler;
  SmSnapshotRange range;
  SmRoofline     *roof;
  GArray         *points;           /* SmRoofPoint */
  SmKernelLevel   level;            /* in force */
  int             threads;
  char           *error;            /* the last probe's failure */

  GCancellable   *cancellable;      /* cancelled at dispose: every request in flight */
  gboolean        measuring;
  gboolean        fetching;         /* a points request is in flight */
  gboolean        fetch_again;      /* and another was asked for meanwhile */

  GtkNativeDialog *chooser;
};

G_DEFINE_FINAL_TYPE (SmRooflineView, sm_roofline_view, GTK_TYPE_WIDGET)

/* ---- op kinds and colours ------------------------------------------------------------------- */

typedef enum { KIND_MATMUL, KIND_ATTENTION, KIND_NORM, KIND_ACTIVATION, KIND_OTHER, N_KINDS } Kind;

#define RGB(hex) { ((hex) >> 16 & 0xff) / 255.0f, ((hex) >> 8 & 0xff) / 255.0f, ((hex) & 0xff) / 255.0f, 1.0f }
/* the charts' colours for the same ops (sm-charts-panel.c), from the GNOME palette */
static const GdkRGBA kind_colors[N_KINDS] = {
  RGB (0x3584e4), RGB (0x2ec27e), RGB (0xe5a50a), RGB (0xff7800), RGB (0x9a9996),
};
static const char *const kind_names[N_KINDS] = {
  N_("Matmul"), N_("Attention"), N_("Norm"), N_("Activation"), N_("Other"),
};

static Kind
kind_of (SmOpKind op)
{
  switch (op)
    {
    case SM_OP_MATMUL: case SM_OP_LOGITS: return KIND_MATMUL;
    case SM_OP_ATTENTION: return KIND_ATTENTION;
    case SM_OP_NORM: return KIND_NORM;
    case SM_OP_GELU: case SM_OP_SILU: return KIND_ACTIVATION;
    default: return KIND_OTHER;
    }
}

/* ---- geometry ---------------------------------------------------------------------------------- */

/* The plot's decades (log10) and its box in a drawing of width × height. */
typedef struct {
  double x_lo, x_hi, y_lo, y_hi;
  double left, top, width, height;
} Frame;

static double
active_peak (SmRooflineView *self)
{
  return self->roof ? sm_roofline_peak (self->roof, self->level, self->threads) : 0.0;
}

static void
frame_for (SmRooflineView *self, double width, double height, Frame *f)
{
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  const double peak = active_peak (self);

  for (guint i = 0; self->points && i < self->points->len; i++)
    {
      const SmRoofPoint *p = &g_array_index (self->points, SmRoofPoint, i);
      double x = sm_roof_point_intensity (p), y = sm_roof_point_gflops (p);
      if (x > 0 && y > 0)
        {
          x_min = MIN (x_min, x), x_max = MAX (x_max, x);
          y_min = MIN (y_min, y), y_max = MAX (y_max, y);
        }
    }
  if (self->roof != NULL)
    {
      for (guint i = 0; i < self->roof->peaks->len; i++)
        {
          const SmRoofPeak *p = &g_array_index (self->roof->peaks, SmRoofPeak, i);
          double v = sm_roofline_peak (self->roof, p->level, self->threads);
          if (v > 0)
            y_max = MAX (y_max, v), y_min = MIN (y_min, v);
        }
      /* the ridges, where each memory's slope meets the level's peak */
      for (int m = 0; m < SM_N_MEM_LEVELS && peak > 0; m++)
        {
          double bw = sm_roofline_bandwidth (self->roof, m, self->threads);
          if (bw > 0)
            x_min = MIN (x_min, peak / bw / 10), x_max = MAX (x_max, peak / bw);
        }
    }
  if (!isfinite (x_min))
    x_min = 0.01, x_max = 100;
  if (!isfinite (y_min))
    y_min = 0.1, y_max = 100;
  f->x_lo = floor (log10 (x_min));
  f->x_hi = MAX (ceil (log10 (x_max)), f->x_lo + 2);
  f->y_hi = ceil (log10 (y_max) + 0.05);
  f->y_lo = CLAMP (floor (log10 (y_min)), f->y_hi - 6, f->y_hi - 2);
  f->left = PAD_LEFT;
  f->top = PAD_TOP;
  f->width = MAX (width - PAD_LEFT - PAD_RIGHT, 10);
  f->height = MAX (height - PAD_TOP - PAD_BOTTOM, 10);
}

static double
to_x (const Frame *f, double v)
{
  return f->left + (log10 (v) - f->x_lo) / (f->x_hi - f->x_lo) * f->width;
}

static double
to_y (const Frame *f, double v)
{
  return f->top + (f->y_hi - log10 (v)) / (f->y_hi - f->y_lo) * f->height;
}

static gboolean
point_xy (const Frame *f, const SmRoofPoint *p, double *x, double *y)
{
  double i = sm_roof_point_intensity (p), g = sm_roof_point_gflops (p);

  if (i <= 0 || g <= 0)
    return FALSE;
  *x = to_x (f, i);
  *y = to_y (f, g);
  return *y >= f->top - POINT_R && *y <= f->top + f->height + POINT_R;
}

/* ---- drawing ----------------------------------------------------------------------------------- */

/* @text at (x, y), aligned by @ax, @ay (0 left/top .. 1 right/bottom); its height. */
static int
draw_text (SmRooflineView *self, cairo_t *cr, const char *text, double x, double y, double ax,
           double ay, gboolean bold)
{
  g_autoptr (PangoLayout) layout = sm_chart_layout_new (GTK_WIDGET (self->plot), text, 0.8, bold);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - ax * w, y - ay * h);
  pango_cairo_show_layout (cr, layout);
  return h;
}

static void
set_color (cairo_t *cr, const GdkRGBA *c, double alpha)
{
  cairo_set_source_rgba (cr, c->red, c->green, c->blue, c->alpha * alpha);
}

static char *
decade_label (double d)
{
  double v = pow (10, d);
  return v >= 1e4 ? g_strdup_printf ("%.0fK", v / 1e3) : g_strdup_printf ("%g", v);
}

static void
draw_axes (SmRooflineView *self, cairo_t *cr, const Frame *f, const GdkRGBA *fg)
{
  cairo_set_line_width (cr, 1);
  for (double d = f->x_lo; d <= f->x_hi + 1e-9; d++)
    {
      g_autofree char *label = decade_label (d);
      double x = round (to_x (f, pow (10, d))) + 0.5;
      set_color (cr, fg, 0.12);
      cairo_move_to (cr, x, f->top);
      cairo_line_to (cr, x, f->top + f->height);
      cairo_stroke (cr);
      set_color (cr, fg, 0.7);
      draw_text (self, cr, label, x, f->top + f->height + 3, 0.5, 0, FALSE);
    }
  for (double d = f->y_lo; d <= f->y_hi + 1e-9; d++)
    {
      g_autofree char *label = decade_label (d);
      double y = round (to_y (f, pow (10, d))) + 0.5;
      set_color (cr, fg, 0.12);
      cairo_move_to (cr, f->left, y);
      cairo_line_to (cr, f->left + f->width, y);
      cairo_stroke (cr);
      set_color (cr, fg, 0.7);
      draw_text (self, cr, label, f->left - 5, y, 1, 0.5, FALSE);
    }
  set_color (cr, fg, 0.7);
  draw_text (self, cr, _("GFLOP/s"), 4, f->top - 8, 0, 1, TRUE);
  draw_text (self, cr, _("flop/byte"), f->left + f->width, f->top + f->height + 18, 1, 0, TRUE);
}

static void
draw_roof (SmRooflineView *self, cairo_t *cr, const Frame *f, const GdkRGBA *fg, const GdkRGBA *accent)
{
  const double peak = active_peak (self);
  const double x_lo = pow (10, f->x_lo), x_hi = pow (10, f->x_hi);
  double label_y[SM_KERNEL_N_LEVELS];
  guint n_labels = 0;

  if (self->roof == NULL)
    return;
  cairo_save (cr);
  cairo_rectangle (cr, f->left, f->top, f->width, f->height);
  cairo_clip (cr);

  /* the slopes: each memory's bandwidth up to the peak of the level in force; memories of
   * about the same bandwidth (L1 and L2 often) share one label, on the upper line */
  for (int m = 0; m < SM_N_MEM_LEVELS; m++)
    {
      const double bw = sm_roofline_bandwidth (self->roof, m, self->threads);
      const double x_end = peak > 0 ? MIN (peak / bw, x_hi) : x_hi;

      if (bw <= 0)
        continue;
      set_color (cr, fg, m == SM_MEM_DRAM ? 0.75 : 0.45);
      cairo_set_line_width (cr, m == SM_MEM_DRAM ? 1.8 : 1.2);
      cairo_move_to (cr, to_x (f, x_lo), to_y (f, bw * x_lo));
      cairo_line_to (cr, to_x (f, x_end), to_y (f, bw * x_end));
      cairo_stroke (cr);
    }
  for (int m = 0, group = 0; m < SM_N_MEM_LEVELS; group++)
    {
      const double bw = sm_roofline_bandwidth (self->roof, m, self->threads);
      const double x_end = peak > 0 && bw > 0 ? MIN (peak / bw, x_hi) : x_hi;
      const double angle = atan2 (to_y (f, bw * x_end) - to_y (f, bw * x_lo), to_x (f, x_end) - to_x (f, x_lo));
      const double frac = 0.06 + 0.24 * group;
      g_autoptr (GString) label = g_string_new (NULL);
      int next = m;

      while (next < SM_N_MEM_LEVELS && sm_roofline_bandwidth (self->roof, next, self->threads) > bw / 1.4)
        {
          g_autofree char *one = g_strdup_printf (_("%s %.0f GB/s"), sm_mem_level_name (next),
                                                  sm_roofline_bandwidth (self->roof, next, self->threads));
          g_string_append_printf (label, "%s%s", label->len ? " · " : "", one);
          next++;
        }
      m = MAX (next, m + 1);
      if (bw <= 0)
        continue;
      cairo_save (cr);
      cairo_translate (cr, to_x (f, pow (10, f->x_lo + (log10 (x_end) - f->x_lo) * frac)),
                       to_y (f, bw * pow (10, f->x_lo + (log10 (x_end) - f->x_lo) * frac)) - 2);
      cairo_rotate (cr, angle);
      set_color (cr, fg, 0.75);
      draw_text (self, cr, label->str, 0, 0, 0, 1, FALSE);
      cairo_restore (cr);
    }

  /* the peaks: the level in force bold with its label first, the others dashed */
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < self->roof->peaks->len; i++)
      {
        const SmRoofPeak *p = &g_array_index (self->roof->peaks, SmRoofPeak, i);
        const gboolean active = p->level == self->level;
        const double v = sm_roofline_peak (self->roof, p->level, self->threads);
        const double bw = sm_roofline_bandwidth (self->roof, SM_MEM_L1, self->threads);
        const double y = to_y (f, v), x0 = bw > 0 ? to_x (f, v / bw) : f->left;
        gboolean crowded = FALSE;

        if (active != (pass == 0) || v <= 0)
          continue;
        if (active)
          {
            set_color (cr, accent, 1);
            cairo_set_line_width (cr, 2.4);
            cairo_set_dash (cr, NULL, 0, 0);
          }
        else
          {
            const double dash[] = { 4, 3 };
            set_color (cr, fg, 0.4);
            cairo_set_line_width (cr, 1);
            cairo_set_dash (cr, dash, 2, 0);
          }
        cairo_move_to (cr, MAX (x0, f->left), y);
        cairo_line_to (cr, f->left + f->width, y);
        cairo_stroke (cr);
        cairo_set_dash (cr, NULL, 0, 0);
        for (guint l = 0; l < n_labels; l++)
          crowded |= fabs (label_y[l] - y) < 12;
        if (!crowded)
          {
            g_autofree char *label = g_strdup_printf (_("%s %.0f GFLOP/s"),
                                                      sm_engine_kernel_level_name (p->level), v);
            active ? set_color (cr, accent, 1) : set_color (cr, fg, 0.6);
            draw_text (self, cr, label, f->left + f->width - 4, y - 1, 1, 1, active);
            label_y[n_labels++] = y;
          }
      }
  cairo_restore (cr);
}

static void
draw_points (SmRooflineView *self, cairo_t *cr, const Frame *f)
{
  /* the other levels' first, so the level in force is on top */
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; self->points && i < self->points->len; i++)
      {
        const SmRoofPoint *p = &g_array_index (self->points, SmRoofPoint, i);
        const GdkRGBA *c = &kind_colors[kind_of (p->op)];
        const gboolean active = p->level == self->level;
        double x, y;

        if (active != (pass == 1) || !point_xy (f, p, &x, &y))
          continue;
        cairo_new_sub_path (cr);
        cairo_arc (cr, x, y, POINT_R, 0, 2 * G_PI);
        if (active)
          {
            set_color (cr, c, 0.9);
            cairo_fill_preserve (cr);
            cairo_set_source_rgba (cr, 0, 0, 0, 0.35);
            cairo_set_line_width (cr, 0.8);
          }
        else
          {
            set_color (cr, c, 0.7);
            cairo_set_line_width (cr, 1.4);
          }
        cairo_stroke (cr);
      }
}

static void
draw_legend (SmRooflineView *self, cairo_t *cr, const Frame *f, const GdkRGBA *fg)
{
  double x = f->left, y = f->top + f->height + 40;

  for (int k = 0; k < N_KINDS; k++)
    {
      g_autoptr (PangoLayout) layout = sm_chart_layout_new (GTK_WIDGET (self->plot), _(kind_names[k]), 0.8, FALSE);
      int w, h;

      pango_layout_get_pixel_size (layout, &w, &h);
      set_color (cr, &kind_colors[k], 0.9);
      cairo_arc (cr, x + POINT_R, y + h / 2.0, POINT_R, 0, 2 * G_PI);
      cairo_fill (cr);
      set_color (cr, fg, 0.8);
      cairo_move_to (cr, x + 2 * POINT_R + 4, y);
      pango_cairo_show_layout (cr, layout);
      x += 2 * POINT_R + 4 + w + 14;
    }
}

static void
draw_all (SmRooflineView *self, cairo_t *cr, int width, int height, const GdkRGBA *fg)
{
  const GdkRGBA accent = RGB (0x3584e4);
  Frame f;

  frame_for (self, width, height, &f);
  draw_axes (self, cr, &f, fg);
  draw_roof (self, cr, &f, fg, &accent);
  draw_points (self, cr, &f);
  draw_legend (self, cr, &f, fg);
  if (self->points == NULL || self->points->len == 0)
    {
      set_color (cr, fg, 0.6);
      draw_text (self, cr, _("No ops recorded yet: send a prompt"), f.left + f.width / 2,
                 f.top + f.height / 2, 0.5, 0.5, FALSE);
    }
}

static void
foreground (SmRooflineView *self, GdkRGBA *fg)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self->plot)), fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
draw_plot (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  SmRooflineView *self = data;
  GdkRGBA fg;

  foreground (self, &fg);
  draw_all (self, cr, width, height, &fg);
}

/* ---- tooltips ---------------------------------------------------------------------------------- */

typedef struct {
  guint  index;
  double d2;
} Hit;

static int
hit_cmp (gconstpointer a, gconstpointer b)
{
  const Hit *x = a, *y = b;
  return x->d2 < y->d2 ? -1 : x->d2 > y->d2 ? 1 : 0;
}

/* The points within reach of (x, y), nearest first: points of the same intensity and speed
 * (a layer's q and o projections) sit on each other, and hovering there names them all. */
static GArray *
points_at (SmRooflineView *self, double x, double y)
{
  GArray *hits = g_array_new (FALSE, FALSE, sizeof (Hit));
  Frame f;

  frame_for (self, gtk_widget_get_width (GTK_WIDGET (self->plot)),
             gtk_widget_get_height (GTK_WIDGET (self->plot)), &f);
  for (guint i = 0; self->points && i < self->points->len; i++)
    {
      const SmRoofPoint *p = &g_array_index (self->points, SmRoofPoint, i);
      Hit h = { .index = i };
      double px, py;

      if (!point_xy (&f, p, &px, &py))
        continue;
      h.d2 = (px - x) * (px - x) + (py - y) * (py - y);
      if (h.d2 <= HIT_R * HIT_R)
        g_array_append_val (hits, h);
    }
  g_array_sort (hits, hit_cmp);
  return hits;
}

static char *
threads_text (int threads)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d thread", "%d threads", threads), threads);
}

static char *
describe_point (SmRooflineView *self, const SmRoofPoint *p)
{
  g_autofree char *name = sm_roof_point_describe (p);
  g_autofree char *figures = g_strdup_printf (_("%.3g flop/byte, %.3g GFLOP/s"),
                                              sm_roof_point_intensity (p), sm_roof_point_gflops (p));
  g_autofree char *calls = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u call", "%u calls",
                                                         (gulong) MIN (p->count, G_MAXUINT)),
                                            (guint) MIN (p->count, G_MAXUINT));
  g_autofree char *roof = NULL;
  double attainable = self->roof ? sm_roofline_attainable (self->roof, p, self->threads) : 0.0;

  if (attainable > 0)
    {
      const double peak = sm_roofline_peak (self->roof, p->level, self->threads);
      const SmMemLevel mem = sm_roofline_mem_for (self->roof, p->bytes / (double) p->count);
      const double pct = 100.0 * sm_roof_point_gflops (p) / attainable;
      g_autofree char *threads = threads_text (self->threads);
      roof = attainable < peak
        ? g_strdup_printf (_("%.0f%% of the roof (%.3g GFLOP/s: %s bandwidth, %s)"), pct,
                           attainable, sm_mem_level_name (mem), threads)
        : g_strdup_printf (_("%.0f%% of the roof (%.3g GFLOP/s: the %s peak, %s)"), pct,
                           attainable, sm_engine_kernel_level_name (p->level), threads);
    }
  else
    roof = g_strdup (_("The roof is not measured yet"));
  /* Translators: an op, its kernel level, its figures, its share of the roof and its calls */
  return g_strdup_printf (_("%s at %s\n%s\n%s\n%s"), name, sm_engine_kernel_level_name (p->level),
                          figures, roof, calls);
}

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  SmRooflineView *self)
{
  g_autofree char *text = keyboard ? NULL : sm_roofline_view_dup_tooltip_at (self, x, y);

  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* ---- the engine ------------------------------------------------------------------------------ */

static void
update_status (SmRooflineView *self)
{
  g_autofree char *text = NULL;

  if (self->measuring)
    text = g_strdup (_("Measuring this machine’s roof…"));
  else if (self->error != NULL)
    text = g_strdup_printf (_("Could not measure the roof: %s"), self->error);
  else if (self->roof != NULL)
    {
      g_autofree char *threads = threads_text (self->threads);
      text = g_strdup_printf (_("Peak %.0f GFLOP/s (%s, %s), DRAM %.0f GB/s; measured %s"),
                              active_peak (self), sm_engine_kernel_level_name (self->level), threads,
                              sm_roofline_bandwidth (self->roof, SM_MEM_DRAM, self->threads),
                              self->roof->created);
    }
  if (text != NULL)
    gtk_label_set_text (self->status_label, text);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "roofline.measure-again", self->engine && !self->measuring);
}

static void
on_points (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  GArray *points = sm_engine_copy_roofline_points_finish (SM_ENGINE (source), result, &error);
  SmRooflineView *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* the view may be gone */
  self = SM_ROOFLINE_VIEW (data);
  if (points == NULL)
    {
      g_warning ("The roofline's points: %s", error->message);
      self->fetching = FALSE;
      return;
    }
  g_clear_pointer (&self->points, g_array_unref);
  self->points = points;
  self->fetching = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self->plot));
  if (self->fetch_again)
    {
      self->fetch_again = FALSE;
      self->fetching = TRUE;
      sm_engine_copy_roofline_points_async (self->engine, self->range, self->cancellable, on_points, self);
    }
}

/* One request in flight at a time; asks made meanwhile become one more after it. */
static void
fetch_points (SmRooflineView *self)
{
  if (self->engine == NULL)
    return;
  if (self->fetching)
    {
      self->fetch_again = TRUE;
      return;
    }
  self->fetching = TRUE;
  sm_engine_copy_roofline_points_async (self->engine, self->range, self->cancellable, on_points, self);
}

static void
read_config (SmRooflineView *self)
{
  SmEngineStats st;

  sm_engine_get_stats (self->engine, &st);
  if (st.kernel_level != self->level || st.threads != self->threads)
    {
      self->level = st.kernel_level;
      self->threads = MAX (st.threads, 1);
      update_status (self);
      gtk_widget_queue_draw (GTK_WIDGET (self->plot));
    }
  sm_engine_stats_clear (&st);
}

static void
on_stats_updated (SmEngine *engine, SmRooflineView *self)
{
  read_config (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    fetch_points (self);
}

static void
on_probed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  SmRoofline *roof = sm_engine_probe_roofline_finish (SM_ENGINE (source), result, &error);
  SmRooflineView *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SM_ROOFLINE_VIEW (data);
  self->measuring = FALSE;
  g_clear_pointer (&self->error, g_free);
  if (roof != NULL)
    {
      g_clear_pointer (&self->roof, sm_roofline_free);
      self->roof = roof;
    }
  else
    self->error = g_strdup (error->message);
  update_status (self);
  gtk_widget_queue_draw (GTK_WIDGET (self->plot));
}

static void
probe (SmRooflineView *self, gboolean again)
{
  SmRooflineProbeFlags flags = again ? SM_ROOFLINE_PROBE_AGAIN : SM_ROOFLINE_PROBE_DEFAULT;

  if (self->engine == NULL || self->measuring)
    return;
  if (g_strcmp0 (g_getenv ("SM_ROOFLINE_QUICK"), "1") == 0)
    flags |= SM_ROOFLINE_PROBE_QUICK;
  self->measuring = TRUE;
  update_status (self);
  sm_engine_probe_roofline_async (self->engine, flags, self->cancellable, on_probed, self);
}

static void
on_map (GtkWidget *widget, SmRooflineView *self)
{
  if (self->engine == NULL)
    return;
  /* the first showing measures (or reads the cache); the points are fetched while shown */
  if (self->roof == NULL && self->error == NULL)
    probe (self, FALSE);
  read_config (self);
  fetch_points (self);
}

/* ---- actions ---------------------------------------------------------------------------------- */

static void
measure_again_action (GtkWidget *widget, const char *name, GVariant *param)
{
  probe (SM_ROOFLINE_VIEW (widget), TRUE);
}

static void
export_to (SmRooflineView *self, const char *path)
{
  g_autoptr (GError) error = NULL;

  if (sm_roofline_view_write_png (self, path, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("Roofline saved to %s"), path);
      gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", msg);
    }
  else if (!gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "(ss)",
                                        _("Could not save the roofline"), error->message))
    g_warning ("Could not save the roofline: %s", error->message);
}

static void
export_to_action (GtkWidget *widget, const char *name, GVariant *param)
{
  export_to (SM_ROOFLINE_VIEW (widget), g_variant_get_string (param, NULL));
}

static void
on_chooser_response (GtkNativeDialog *dialog, int response, SmRooflineView *self)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT && (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL
      && (path = g_file_get_path (file)) != NULL)
    export_to (self, path);
  g_clear_object (&self->chooser);
}

static void
export_png_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmRooflineView *self = SM_ROOFLINE_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileFilter *filter = gtk_file_filter_new ();

  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (gtk_file_chooser_native_new (_("Export the Roofline"),
                                                                  GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                                  GTK_FILE_CHOOSER_ACTION_SAVE, NULL, NULL));
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  gtk_file_filter_set_name (filter, _("PNG pictures"));
  gtk_file_filter_add_pattern (filter, "*.png");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_object_unref (filter);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), "roofline.png");
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (self->chooser);
}

/* ---- object ------------------------------------------------------------------------------------ */

static void
sm_roofline_view_dispose (GObject *object)
{
  SmRooflineView *self = SM_ROOFLINE_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  if (self->engine)
    g_clear_signal_handler (&self->feed_handler, self->engine);
  g_clear_object (&self->engine);
  if (self->chooser)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), SM_TYPE_ROOFLINE_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (sm_roofline_view_parent_class)->dispose (object);
}

static void
sm_roofline_view_finalize (GObject *object)
{
  SmRooflineView *self = SM_ROOFLINE_VIEW (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->roof, sm_roofline_free);
  g_clear_pointer (&self->points, g_array_unref);
  g_free (self->error);
  G_OBJECT_CLASS (sm_roofline_view_parent_class)->finalize (object);
}

static void
sm_roofline_view_class_init (SmRooflineViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_roofline_view_dispose;
  object_class->finalize = sm_roofline_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-roofline-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SmRooflineView, status_label);
  gtk_widget_class_bind_template_child (widget_class, SmRooflineView, measure_button);
  gtk_widget_class_bind_template_child (widget_class, SmRooflineView, export_button);
  gtk_widget_class_bind_template_child (widget_class, SmRooflineView, plot);

  gtk_widget_class_install_action (widget_class, "roofline.measure-again", NULL, measure_again_action);
  gtk_widget_class_install_action (widget_class, "roofline.export-png", NULL, export_png_action);
  gtk_widget_class_install_action (widget_class, "roofline.export-to", "s", export_to_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "rooflineview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
sm_roofline_view_init (SmRooflineView *self)
{
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));
  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 12);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Roofline"), -1);

  self->cancellable = g_cancellable_new ();
  self->level = SM_KERNEL_LEVEL_SCALAR;
  self->threads = 1;
  self->range = SM_SNAPSHOT_RANGE_REPLY;
  gtk_drawing_area_set_draw_func (self->plot, draw_plot, self, NULL);
  g_signal_connect (self->plot, "query-tooltip", G_CALLBACK (on_query_tooltip), self);
  g_signal_connect (self, "map", G_CALLBACK (on_map), self);
  update_status (self);
}

/* ---- public ------------------------------------------------------------------------------------ */

void
sm_roofline_view_set_engine (SmRooflineView *self, SmEngine *engine)
{
  g_return_if_fail (SM_IS_ROOFLINE_VIEW (self));
  g_return_if_fail (SM_IS_ENGINE (engine));
  g_return_if_fail (self->engine == NULL);

  self->engine = g_object_ref (engine);
  self->feed_handler = g_signal_connect (engine, "stats-updated", G_CALLBACK (on_stats_updated), self);
  self->roof = sm_engine_dup_roofline (engine);
  self->level = SM_KERNEL_LEVEL_AUTO;   /* read_config () fills in the real one */
  read_config (self);
  update_status (self);
}

void
sm_roofline_view_set_range (SmRooflineView *self, SmSnapshotRange range)
{
  g_return_if_fail (SM_IS_ROOFLINE_VIEW (self));
  g_return_if_fail (range < SM_N_SNAPSHOT_RANGES);
  self->range = range;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    fetch_points (self);
}

const SmRoofline *
sm_roofline_view_get_roof (SmRooflineView *self)
{
  g_return_val_if_fail (SM_IS_ROOFLINE_VIEW (self), NULL);
  return self->roof;
}

GArray *
sm_roofline_view_get_points (SmRooflineView *self)
{
  g_return_val_if_fail (SM_IS_ROOFLINE_VIEW (self), NULL);
  return self->points;
}

gboolean
sm_roofline_view_get_measuring (SmRooflineView *self)
{
  g_return_val_if_fail (SM_IS_ROOFLINE_VIEW (self), FALSE);
  return self->measuring;
}

SmKernelLevel
sm_roofline_view_get_level (SmRooflineView *self)
{
  g_return_val_if_fail (SM_IS_ROOFLINE_VIEW (self), SM_KERNEL_LEVEL_AUTO);
  return self->level;
}

gboolean
sm_roofline_view_get_point_position (SmRooflineView *self, guint index, double *x, double *y)
{
  Frame f;

  g_return_val_if_fail (SM_IS_ROOFLINE_VIEW (self), FALSE);
  /* not laid out yet: no point is anywhere */
  if (self->points == NULL || index >= self->points->len
      || gtk_widget_get_width (GTK_WIDGET (self->plot)) < PAD_LEFT + PAD_RIGHT + 20
      || gtk_widget_get_height (GTK_WIDGET (self->plot)) < PAD_TOP + PAD_BOTTOM + 20)
    return FALSE;
  frame_for (self, gtk_widget_get_width (GTK_WIDGET (self->plot)),
             gtk_widget_get_height (GTK_WIDGET (self->plot)), &f);
  return point_xy (&f, &g_array_index (self->points, SmRoofPoint, index), x, y);
}

char *
sm_roofline_view_dup_tooltip_at (SmRooflineView *self, double x, double y)
{
  g_autoptr (GArray) hits = NULL;
  GString *text;

  g_return_val_if_fail (SM_IS_ROOFLINE_VIEW (self), NULL);
  hits = points_at (self, x, y);
  if (hits->len == 0)
    return NULL;
  text = g_string_new (NULL);
  for (guint i = 0; i < MIN (hits->len, 4); i++)
    {
      g_autofree char *one = describe_point (self, &g_array_index (self->points, SmRoofPoint,
                                                                   g_array_index (hits, Hit, i).index));
      g_string_append_printf (text, "%s%s", i ? "\n\n" : "", one);
    }
  if (hits->len > 4)
    g_string_append_printf (text, "\n\n%s", _("…and more points here"));
  return g_string_free (text, FALSE);
}

static cairo_status_t
append_png (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

gboolean
sm_roofline_view_write_png (SmRooflineView *self, const char *path, GError **error)
{
  g_autoptr (GByteArray) png = g_byte_array_new ();
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  GdkRGBA fg;

  g_return_val_if_fail (SM_IS_ROOFLINE_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  foreground (self, &fg);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, PNG_WIDTH, PNG_HEIGHT);
  cr = cairo_create (surface);
  /* the page matches the text colour: light text on dark, dark on light (as the charts do) */
  if (fg.red + fg.green + fg.blue > 1.5)
    cairo_set_source_rgb (cr, 0.14, 0.14, 0.14);
  else
    cairo_set_source_rgb (cr, 0.98, 0.98, 0.98);
  cairo_paint (cr);
  cairo_translate (cr, 12, 12);
  draw_all (self, cr, PNG_WIDTH - 24, PNG_HEIGHT - 24, &fg);
  cairo_destroy (cr);
  status = cairo_surface_write_to_png_stream (surface, append_png, png);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not draw the roofline: %s"),
                   cairo_status_to_string (status));
      return FALSE;
    }
  return sm_engine_write_file (path, (const char *) png->data, png->len, error);
}
