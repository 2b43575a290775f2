/* sm-chart.c: a time chart drawn with cairo.
 *
 * Data arrive at the owner's rate (about 10 Hz) and are scaled to 0..1 at once (set_points);
 * snapshot () only multiplies by the size and strokes.  A tick callback turns any number of
 * updates within a frame into one redraw, as Sysprof's line visualizer does.
 */
#define G_LOG_DOMAIN "SmChart"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "sm-chart.h"

#define MAX_SERIES      8
#define LEGEND_GAP      14.0
#define TIME_HEIGHT     18.0
#define PAD             8.0
/* marker labels: their font's scale, rows at most, row height and the gap between two */
#define MARKER_SCALE    0.7
#define MARKER_ROWS     3
#define MARKER_ROW_H    12.0
#define MARKER_GAP      4.0
/* a run of points narrower than this (pixels) is drawn as a dot or a bar, to be seen */
#define MIN_RUN_PX      4.0
#define DOT_RADIUS      2.5
/* the accessible description changes at most this often */
#define A11Y_UPDATE_US  (G_USEC_PER_SEC)

typedef struct {
  char    *name;
  char    *note;
  GdkRGBA  color;
  double   last;        /* newest value that is a number, NAN when none */
} Series;

typedef struct {
  double  x;            /* 0..1 */
  double  t;            /* seconds before now */
  char   *label;
} Marker;

struct _SmChart {
  GtkWidget    parent_instance;

  char        *title;
  char        *subtitle;
  char        *message;
  gboolean     has_values;  /* a value (not a gap) in the window now */
  gboolean     had_data;    /* ever: then an empty window is not "No data yet" */
  char        *empty_text;  /* "No data in the last 60 s", for the window empty_for */
  double       empty_for;
  SmChartKind  kind;
  SmChartUnit  unit;
  char        *unit_text;
  double       window_s;
  guint        token_axis;  /* > 0: the x axis is a reply's tokens, the prompt to this one */

  guint        n_series;
  Series       series[MAX_SERIES];

  /* the points as given and as drawn */
  guint        n_points;
  double      *times;   /* (n_points) seconds before now */
  double      *values;  /* (n_points, n_series) raw */
  double      *xn;      /* (n_points) 0..1 across */
  double      *yn;      /* (n_points, n_series) 0..1 up; stacked: cumulative; NAN: a gap */
  double       y_max;   /* the value at the top of the plot */

  GArray      *markers; /* Marker, oldest first */
  GHashTable  *label_widths; /* text -> pixels */

  double       hover_x; /* pixels; < 0 when the pointer is outside */
  double       hover_y;
  double       axis_for; /* the y_max axis_px was measured for */
  double       axis_px;
  guint        tick_id;
  gint64       a11y_updated;
};

G_DEFINE_FINAL_TYPE (SmChart, sm_chart, GTK_TYPE_WIDGET)

/* What the x axis spans: seconds up to now, or a reply's tokens (its prompt at 0). */
static double
x_span (SmChart *self)
{
  return self->token_axis > 0 ? (double) self->token_axis : self->window_s;
}

/* ---- values and scales -------------------------------------------------------------------------- */

static double
nice_ceil (double v)
{
  double e, f;

  if (!(v > 0) || !isfinite (v))
    return 1.0;
  e = pow (10.0, floor (log10 (v)));
  f = v / e;
  if (f <= 1.0)
    f = 1.0;
  else if (f <= 2.0)
    f = 2.0;
  else if (f <= 2.5)
    f = 2.5;
  else if (f <= 5.0)
    f = 5.0;
  else
    f = 10.0;
  return f * e;
}

static char *
format_number (double v)
{
  double a = fabs (v);

  if (a >= 1e9)
    return g_strdup_printf ("%.3g G", v / 1e9);
  if (a >= 1e6)
    return g_strdup_printf ("%.3g M", v / 1e6);
  if (a >= 1e4)
    return g_strdup_printf ("%.3g K", v / 1e3);
  if (a >= 100 || a == 0)
    return g_strdup_printf ("%.0f", v);
  return g_strdup_printf ("%.3g", v);
}

char *
sm_chart_format_value (SmChart *self, double value)
{
  g_autofree char *n = NULL;

  g_return_val_if_fail (SM_IS_CHART (self), NULL);

  if (isnan (value))
    return g_strdup ("–");
  switch (self->unit)
    {
    case SM_CHART_UNIT_BYTES:
      return g_format_size ((guint64) MAX (value, 0));
    case SM_CHART_UNIT_PERCENT:
      return g_strdup_printf ("%.0f %%", value);
    case SM_CHART_UNIT_MS:
      if (value > 0 && value < 1)
        return g_strdup_printf (value >= 0.01 ? "%.0f µs" : "%.1f µs", value * 1000);
      return g_strdup_printf (value >= 10 ? "%.0f ms" : "%.1f ms", value);
    case SM_CHART_UNIT_NUMBER:
    default:
      n = format_number (value);
      return self->unit_text ? g_strdup_printf ("%s %s", n, self->unit_text) : g_steal_pointer (&n);
    }
}

/* Bytes on the axis: all labels in the unit of the top one, as short as they go ("0",
 * "100 MB", "200 MB"), where g_format_size () says "0 bytes", "100.0 MB". */
static char *
axis_bytes (double top, double value)
{
  static const char *const units[] = { N_("bytes"), N_("kB"), N_("MB"), N_("GB"), N_("TB") };
  double scale = 1;
  guint u = 0;

  if (value <= 0)
    return g_strdup ("0");
  while (u + 1 < G_N_ELEMENTS (units) && top >= scale * 1000)
    {
      scale *= 1000;
      u++;
    }
  return g_strdup_printf ("%.3g %s", value / scale, _(units[u]));
}

/* The axis says the number only: the unit is in the legend. */
static char *
axis_label (SmChart *self, double value)
{
  if (self->unit == SM_CHART_UNIT_NUMBER)
    return format_number (value);
  if (self->unit == SM_CHART_UNIT_BYTES)
    return axis_bytes (self->y_max, value);
  return sm_chart_format_value (self, value);
}

/* Scales the points to 0..1; the only place data are walked before drawing. */
static void
prepare (SmChart *self)
{
  guint ns = self->n_series, np = self->n_points;
  double top = 0.0;

  g_free (self->xn);
  g_free (self->yn);
  self->xn = g_new (double, MAX (np, 1));
  self->yn = g_new (double, MAX (np * ns, 1));

  for (guint i = 0; i < np; i++)
    {
      double sum = 0.0;
      for (guint s = 0; s < ns; s++)
        {
          double v = self->values[i * ns + s];
          if (isnan (v))
            continue;
          if (self->kind == SM_CHART_STACKED)
            sum += MAX (v, 0.0);
          else
            top = MAX (top, v);
        }
      if (self->kind == SM_CHART_STACKED)
        top = MAX (top, sum);
    }
  self->y_max = self->unit == SM_CHART_UNIT_PERCENT ? 100.0 : nice_ceil (top * 1.05);

  for (guint i = 0; i < np; i++)
    {
      double cum = 0.0;

      self->xn[i] = CLAMP (1.0 + self->times[i] / x_span (self), 0.0, 1.0);
      for (guint s = 0; s < ns; s++)
        {
          double v = self->values[i * ns + s];
          if (self->kind == SM_CHART_STACKED)
            {
              cum += isnan (v) ? 0.0 : MAX (v, 0.0);
              self->yn[i * ns + s] = cum / self->y_max;
            }
          else
            self->yn[i * ns + s] = isnan (v) ? NAN : CLAMP (v / self->y_max, 0.0, 1.0);
        }
    }

  self->has_values = FALSE;
  for (guint i = 0; i < np * ns && !self->has_values; i++)
    self->has_values = !isnan (self->values[i]);
  self->had_data |= self->has_values;

  /* the legend keeps the newest values once they scrolled out: the last that were known */
  for (guint s = 0; s < ns && self->has_values; s++)
    {
      self->series[s].last = NAN;
      for (guint i = np; i-- > 0;)
        if (!isnan (self->values[i * ns + s]))
          {
            self->series[s].last = self->values[i * ns + s];
            break;
          }
    }
}

/* The owner's message, or why nothing is drawn: no value in the window at all (points that
 * are all gaps draw nothing either), before any data or since they scrolled out. */
static const char *
shown_message (SmChart *self)
{
  if (self->message)
    return self->message;
  if (self->has_values)
    return NULL;
  if (!self->had_data)
    return _("No data yet");
  if (self->empty_for != self->window_s)
    {
      g_free (self->empty_text);
      self->empty_text = self->window_s < 120
                         ? g_strdup_printf (_("No data in the last %.0f s"), self->window_s)
                         : g_strdup_printf (_("No data in the last %.0f min"), self->window_s / 60);
      self->empty_for = self->window_s;
    }
  return self->empty_text;
}

static void
update_accessible (SmChart *self, gboolean force)
{
  g_autoptr (GString) desc = g_string_new (NULL);
  gint64 now = g_get_monotonic_time ();

  if (!force && now - self->a11y_updated < A11Y_UPDATE_US)
    return;
  self->a11y_updated = now;

  if (shown_message (self))
    g_string_append (desc, shown_message (self));
  else
    for (guint s = 0; s < self->n_series; s++)
      {
        g_autofree char *v = sm_chart_format_value (self, self->series[s].last);
        g_string_append_printf (desc, "%s%s: %s", s ? "; " : "", self->series[s].name, v);
      }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, desc->str, -1);
}

const char *
sm_chart_get_shown_message (SmChart *self)
{
  g_return_val_if_fail (SM_IS_CHART (self), NULL);
  return shown_message (self);
}

/* ---- redraws ------------------------------------------------------------------------------------ */

static gboolean
tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  SmChart *self = SM_CHART (widget);

  self->tick_id = 0;
  gtk_widget_queue_draw (widget);
  return G_SOURCE_REMOVE;
}

static void
queue_redraw (SmChart *self)
{
  /* however many updates arrive within a frame, one redraw */
  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick_cb, NULL, NULL);
}

/* ---- drawing ------------------------------------------------------------------------------------- */

static void
get_fg (SmChart *self, GdkRGBA *fg)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
set_color (cairo_t *cr, const GdkRGBA *c, double alpha)
{
  cairo_set_source_rgba (cr, c->red, c->green, c->blue, c->alpha * alpha);
}

/* A layout in the widget's font, scaled (and bold when asked). */
PangoLayout *
sm_chart_layout_new (GtkWidget *widget, const char *text, double scale, gboolean bold)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  const PangoFontDescription *base = pango_context_get_font_description (pango_layout_get_context (layout));
  PangoFontDescription *font;

  if (base == NULL)
    return layout;
  font = pango_font_description_copy (base);
  if (pango_font_description_get_size_is_absolute (font))
    pango_font_description_set_absolute_size (font, pango_font_description_get_size (font) * scale);
  else
    pango_font_description_set_size (font, (int) (pango_font_description_get_size (font) * scale));
  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  return layout;
}

static int
text_width (SmChart *self, const char *text, double scale)
{
  PangoLayout *layout = sm_chart_layout_new (GTK_WIDGET (self), text, scale, FALSE);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  g_object_unref (layout);
  return w;
}

static void
show_text (SmChart *self, cairo_t *cr, const char *text, double x, double y, double xalign,
           gboolean bold, double scale, int *width)
{
  PangoLayout *layout = sm_chart_layout_new (GTK_WIDGET (self), text, scale, bold);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - w * xalign, y);
  pango_cairo_show_layout (cr, layout);
  if (width)
    *width = w;
  g_object_unref (layout);
}

static double
draw_header (SmChart *self, cairo_t *cr, const GdkRGBA *fg, int width)
{
  double x = PAD, y = 2.0;

  set_color (cr, fg, 1.0);
  show_text (self, cr, self->title ? self->title : "", x, y, 0, TRUE, 0.95, NULL);
  if (self->subtitle)
    {
      set_color (cr, fg, 0.6);
      show_text (self, cr, self->subtitle, width - PAD, y + 1, 1.0, FALSE, 0.85, NULL);
    }
  y += 20.0;

  /* legend: a swatch, the name, the newest value (and the note) */
  for (guint s = 0; s < self->n_series; s++)
    {
      g_autofree char *v = sm_chart_format_value (self, self->series[s].last);
      g_autofree char *text = self->series[s].note
                              ? g_strdup_printf ("%s %s · %s", self->series[s].name, v, self->series[s].note)
                              : g_strdup_printf ("%s %s", self->series[s].name, v);
      PangoLayout *layout = sm_chart_layout_new (GTK_WIDGET (self), text, 0.85, FALSE);
      int tw, th;

      /* one layout to measure and draw: charts redraw at the chart rate */
      pango_layout_get_pixel_size (layout, &tw, &th);
      if (x > PAD && x + 14 + tw > width - PAD)
        {
          x = PAD;
          y += 16.0;
        }
      set_color (cr, &self->series[s].color, 1.0);
      cairo_rectangle (cr, x, y + 4, 9, 9);
      cairo_fill (cr);
      set_color (cr, fg, 0.8);
      cairo_move_to (cr, x + 13, y);
      pango_cairo_show_layout (cr, layout);
      g_object_unref (layout);
      x += 13 + tw + LEGEND_GAP;
    }
  return y + 20.0;
}


/* Room for the widest value label on the left (measured again only when the scale changes). */
static double
axis_width (SmChart *self)
{
  int widest = 0;

  if (self->axis_for == self->y_max && self->axis_px > 0)
    return self->axis_px;
  for (int i = 0; i <= 4; i += 2)
    {
      g_autofree char *label = axis_label (self, self->y_max * i / 4);
      widest = MAX (widest, text_width (self, label, 0.75));
    }
  self->axis_for = self->y_max;
  self->axis_px = MAX (widest + 10.0, 28.0);
  return self->axis_px;
}

static void
clear_label (gpointer data)
{
  g_free (((SmChartLabel *) data)->text);
}

static void
plot_to_px (double x0, double y0, double pw, double ph, double xn, double yn, double *px, double *py)
{
  *px = x0 + xn * pw;
  *py = y0 + ph - yn * ph;
}

/* The plot's rectangle in pixels, below the header and right of the value axis. */
typedef struct {
  double x0, y0, w, h;
} Plot;

static void
to_px (const Plot *p, double xn, double yn, double *px, double *py)
{
  plot_to_px (p->x0, p->y0, p->w, p->h, xn, yn, px, py);
}

/* Grid lines at quarters of the range, every other one labelled, and the time axis. */
static void
draw_grid (SmChart *self, cairo_t *cr, const GdkRGBA *fg, const Plot *p)
{
  /* Translators: the ends of a chart's axis over a reply's tokens: "prompt" … "token 12" */
  g_autofree char *left = self->token_axis > 0 ? g_strdup (_("prompt"))
                                               : g_strdup_printf (_("−%.0f s"), self->window_s);
  g_autofree char *right = self->token_axis > 0 ? g_strdup_printf (_("token %u"), self->token_axis)
                                                : g_strdup (_("now"));

  cairo_set_line_width (cr, 1.0);
  for (int i = 0; i <= 4; i++)
    {
      double gy = floor (p->y0 + p->h - i * p->h / 4) + 0.5;
      g_autofree char *label = axis_label (self, self->y_max * i / 4);

      set_color (cr, fg, i == 0 ? 0.25 : 0.08);
      cairo_move_to (cr, p->x0, gy);
      cairo_line_to (cr, p->x0 + p->w, gy);
      cairo_stroke (cr);
      /* no values, no scale: an empty memory chart read "0 bytes" to "1 byte" */
      if (i % 2 == 0 && self->has_values)
        {
          set_color (cr, fg, 0.55);
          show_text (self, cr, label, p->x0 - 6, gy - 8, 1.0, FALSE, 0.75, NULL);
        }
    }
  set_color (cr, fg, 0.55);
  show_text (self, cr, left, p->x0, p->y0 + p->h + 2, 0.0, FALSE, 0.75, NULL);
  show_text (self, cr, right, p->x0 + p->w, p->y0 + p->h + 2, 1.0, FALSE, 0.75, NULL);
}

/* A row of a stacked chart where every series is missing: a gap between runs. */
static gboolean
row_is_gap (SmChart *self, guint i)
{
  for (guint s = 0; s < self->n_series; s++)
    if (!isnan (self->values[i * self->n_series + s]))
      return FALSE;
  return TRUE;
}

/* Each band between its cumulative line and the one below, run by run (a gap row breaks the
 * stack: an idle stretch is not drawn as a slope down to it).  A run too short to see (a reply
 * within a sample or two) is a bar of MIN_RUN_PX ending at its last point. */
static void
draw_stacked (SmChart *self, cairo_t *cr, const Plot *p)
{
  guint ns = self->n_series, np = self->n_points;

  for (guint a = 0; a < np; a++)
    {
      guint b = a;
      double xa, xb, py;

      if (row_is_gap (self, a))
        continue;
      while (b + 1 < np && !row_is_gap (self, b + 1))
        b++;
      to_px (p, self->xn[a], 0, &xa, &py);
      to_px (p, self->xn[b], 0, &xb, &py);
      for (guint s = 0; s < ns; s++)
        {
          double px, py0, py1;

          if (xb - xa < MIN_RUN_PX)
            {
              to_px (p, self->xn[b], self->yn[b * ns + s], &px, &py1);
              to_px (p, self->xn[b], s ? self->yn[b * ns + s - 1] : 0.0, &px, &py0);
              cairo_rectangle (cr, MAX (xb - MIN_RUN_PX, p->x0), py1, MIN_RUN_PX, py0 - py1);
            }
          else
            {
              for (guint i = a; i <= b; i++)
                {
                  to_px (p, self->xn[i], self->yn[i * ns + s], &px, &py1);
                  if (i == a)
                    cairo_move_to (cr, px, py1);
                  else
                    cairo_line_to (cr, px, py1);
                }
              for (guint i = b + 1; i-- > a;)
                {
                  to_px (p, self->xn[i], s ? self->yn[i * ns + s - 1] : 0.0, &px, &py0);
                  cairo_line_to (cr, px, py0);
                }
              cairo_close_path (cr);
            }
          set_color (cr, &self->series[s].color, 0.75);
          cairo_fill (cr);
        }
      a = b;
    }
}

/* A line per series, broken where a value is missing (NaN).  A run too short to see as a line
 * (one point, or a reply within a sample or two: a small model writes hundreds of tokens in
 * milliseconds) also gets a dot at its end, or it would not show at all. */
static void
draw_lines (SmChart *self, cairo_t *cr, const Plot *p)
{
  guint ns = self->n_series, np = self->n_points;

  cairo_set_line_width (cr, 2.0);
  for (guint s = 0; s < ns; s++)
    {
      set_color (cr, &self->series[s].color, 1.0);
      for (guint a = 0; a < np; a++)
        {
          guint b = a;
          double xa, ya, xb, yb;

          if (isnan (self->yn[a * ns + s]))
            continue;
          while (b + 1 < np && !isnan (self->yn[(b + 1) * ns + s]))
            b++;
          to_px (p, self->xn[a], self->yn[a * ns + s], &xa, &ya);
          to_px (p, self->xn[b], self->yn[b * ns + s], &xb, &yb);
          cairo_move_to (cr, xa, ya);
          for (guint i = a + 1; i <= b; i++)
            {
              double px, py;
              to_px (p, self->xn[i], self->yn[i * ns + s], &px, &py);
              cairo_line_to (cr, px, py);
            }
          cairo_stroke (cr);
          if (xb - xa < MIN_RUN_PX)
            {
              cairo_arc (cr, xb, yb, DOT_RADIUS, 0, 2 * G_PI);
              cairo_fill (cr);
            }
          a = b;
        }
    }
}

/* The series, clipped to the plot; or the message (none yet, or why there is nothing). */
static void
draw_series (SmChart *self, cairo_t *cr, const GdkRGBA *fg, const Plot *p)
{
  if (shown_message (self) != NULL)
    {
      set_color (cr, fg, 0.55);
      show_text (self, cr, shown_message (self), p->x0 + p->w / 2,
                 p->y0 + p->h / 2 - 9, 0.5, FALSE, 0.9, NULL);
      return;
    }
  cairo_save (cr);
  /* room for a dot on the top line (a 100 % hit rate) */
  cairo_rectangle (cr, p->x0 - DOT_RADIUS, p->y0 - DOT_RADIUS - 1, p->w + 2 * DOT_RADIUS, p->h + 2 * DOT_RADIUS + 2);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  if (self->kind == SM_CHART_STACKED)
    draw_stacked (self, cr, p);
  else
    draw_lines (self, cr, p);
  cairo_restore (cr);
}

/* The width of @text in the markers' font, remembered: the labels are laid out again at every
 * redraw, and measuring is what costs. */
static double
label_width (SmChart *self, const char *text)
{
  gpointer w;

  if (g_hash_table_lookup_extended (self->label_widths, text, NULL, &w))
    return GPOINTER_TO_INT (w);
  if (g_hash_table_size (self->label_widths) > 256)
    g_hash_table_remove_all (self->label_widths);
  w = GINT_TO_POINTER (text_width (self, text, MARKER_SCALE));
  g_hash_table_insert (self->label_widths, g_strdup (text), w);
  return GPOINTER_TO_INT (w);
}

static char *
group_text (SmChart *self, guint first, guint n)
{
  if (n == 1)
    return g_strdup (g_array_index (self->markers, Marker, first).label);
  /* Translators: markers too close together to label each: the details show on hover */
  return g_strdup_printf (g_dngettext (NULL, "%u change", "%u changes", n), n);
}

/* Where each marker's label goes: right of its line (left of it at the right edge), in the
 * first of a few rows where it overlaps nothing.  When no row has room, the marker joins the
 * label before it ("3 changes", whose details hovering shows) and the layout starts again:
 * each retry has one label fewer, so it ends, and no two labels ever overlap. */
static GArray *
layout_markers (SmChart *self, const Plot *p)
{
  guint n = self->markers ? self->markers->len : 0, n_groups = n;
  g_autofree guint *start = g_new (guint, n + 1);   /* group g: markers start[g] .. start[g + 1] - 1 */
  double row_h = MARKER_ROW_H;
  int n_rows = CLAMP ((int) ((p->h - 4) / row_h), 1, MARKER_ROWS);
  GArray *labels = g_array_new (FALSE, TRUE, sizeof (SmChartLabel));

  g_array_set_clear_func (labels, clear_label);
  for (guint g = 0; g <= n; g++)
    start[g] = g;

retry:
  {
    double row_end[MARKER_ROWS];

    for (int r = 0; r < MARKER_ROWS; r++)
      row_end[r] = -G_MAXDOUBLE;
    g_array_set_size (labels, 0);
    for (guint g = 0; g < n_groups; g++)
      {
        guint count = start[g + 1] - start[g];
        const Marker *mk = &g_array_index (self->markers, Marker, start[g]);
        double mx = floor (p->x0 + mk->x * p->w) + 0.5;
        SmChartLabel l = { 0 };
        int row = -1;

        l.text = group_text (self, start[g], count);
        l.width = label_width (self, l.text);
        l.height = row_h - 1;
        l.x = mx + 3;
        if (l.x + l.width > p->x0 + p->w)
          l.x = MAX (p->x0, mx - 3 - l.width);
        for (int r = 0; r < n_rows && row < 0; r++)
          if (l.x >= row_end[r] + MARKER_GAP)
            row = r;
        if (row < 0)
          {
            /* join the group before (the first always finds an empty row) */
            g_free (l.text);
            memmove (&start[g], &start[g + 1], (n_groups - g) * sizeof (guint));
            n_groups--;
            goto retry;
          }
        row_end[row] = l.x + l.width;
        l.y = p->y0 + 2 + row * row_h;
        l.n_markers = count;
        g_array_append_val (labels, l);
      }
  }
  return labels;
}

/* Markers: a dashed line where a setting changed, and the labels laid out above. */
static void
draw_markers (SmChart *self, cairo_t *cr, const GdkRGBA *fg, const Plot *p)
{
  static const double dash[] = { 3.0, 3.0 };
  g_autoptr (GArray) labels = NULL;

  for (guint m = 0; self->markers && m < self->markers->len; m++)
    {
      const Marker *mk = &g_array_index (self->markers, Marker, m);
      double mx = floor (p->x0 + mk->x * p->w) + 0.5;

      cairo_save (cr);
      set_color (cr, fg, 0.45);
      cairo_set_dash (cr, dash, 2, 0);
      cairo_move_to (cr, mx, p->y0);
      cairo_line_to (cr, mx, p->y0 + p->h);
      cairo_stroke (cr);
      cairo_restore (cr);
    }
  /* each label on a patch of the page's color, so other markers' lines do not cross it (the
   * page is dark under light text and light under dark, as in the PNG export) */
  labels = layout_markers (self, p);
  for (guint i = 0; i < labels->len; i++)
    {
      const SmChartLabel *l = &g_array_index (labels, SmChartLabel, i);

      if (fg->red + fg->green + fg->blue > 1.5)
        cairo_set_source_rgba (cr, 0.14, 0.14, 0.14, 0.85);
      else
        cairo_set_source_rgba (cr, 0.98, 0.98, 0.98, 0.85);
      cairo_rectangle (cr, l->x - 1, l->y, l->width + 2, l->height);
      cairo_fill (cr);
      set_color (cr, fg, 0.7);
      show_text (self, cr, l->text, l->x, l->y, 0.0, FALSE, MARKER_SCALE, NULL);
    }
}

/* What hovering shows: the nearest point's values (or a merged marker label's changes) in a
 * box, which the box's rectangle and lines describe. */
typedef struct {
  int        index;     /* the point, or -1 for a marker label */
  double     hx;        /* the hover line's x */
  double     x, y, w, h;
  GPtrArray *lines;     /* (char *) the first in bold */
} Tooltip;

static void
tooltip_clear (Tooltip *tip)
{
  g_clear_pointer (&tip->lines, g_ptr_array_unref);
}

/* The box's size for its lines. */
static void
measure_box (SmChart *self, Tooltip *tip)
{
  double box_w = 0;

  for (guint l = 0; l < tip->lines->len; l++)
    box_w = MAX (box_w, text_width (self, tip->lines->pdata[l], l == 0 ? 0.9 : 0.85));
  tip->w = box_w + 16;
  tip->h = tip->lines->len * 14 + 10;
}

/* The box for the lines, at (@x, @y) or as near as it fits inside the @width x @height
 * widget: a box is never cut off by an edge.  A box taller than the widget loses its last
 * lines to an ellipsis. */
static void
place_box (SmChart *self, Tooltip *tip, double x, double y, int width, int height)
{
  measure_box (self, tip);
  if (tip->h > height && tip->lines->len > 2)
    {
      guint keep = MAX ((height - 10) / 14, 2) - 1;
      g_ptr_array_set_size (tip->lines, MIN (keep, tip->lines->len - 1));
      g_ptr_array_add (tip->lines, g_strdup ("…"));
      measure_box (self, tip);
    }
  tip->x = MAX (MIN (x, width - tip->w), 0);
  tip->y = MAX (MIN (y, height - tip->h), 0);
}

/* Fills @tip for the pointer at (@px, @py); FALSE when there is nothing to show there. */
static gboolean
compute_tooltip (SmChart *self, const Plot *p, int width, int height, double px, double py, Tooltip *tip)
{
  guint ns = self->n_series;
  int i;

  memset (tip, 0, sizeof *tip);

  /* a merged marker label: what changed there */
  {
    g_autoptr (GArray) labels = layout_markers (self, p);
    guint first = 0;

    for (guint k = 0; k < labels->len; k++)
      {
        const SmChartLabel *l = &g_array_index (labels, SmChartLabel, k);

        if (l->n_markers > 1 && px >= l->x && px <= l->x + l->width && py >= l->y && py <= l->y + l->height)
          {
            tip->index = -1;
            tip->hx = px;
            tip->lines = g_ptr_array_new_with_free_func (g_free);
            g_ptr_array_add (tip->lines, g_strdup (l->text));
            for (guint m = first; m < first + l->n_markers; m++)
              {
                const Marker *mk = &g_array_index (self->markers, Marker, m);
                /* Translators: a setting change and when: "pool off, 3.2 s ago" */
                g_ptr_array_add (tip->lines, g_strdup_printf (_("%s, %.1f s ago"), mk->label, -mk->t));
              }
            place_box (self, tip, l->x, l->y + l->height + 2, width, height);
            return TRUE;
          }
        first += l->n_markers;
      }
  }

  if (px < p->x0 || px > p->x0 + p->w || self->n_points == 0 || shown_message (self) != NULL)
    return FALSE;
  if ((i = sm_chart_hover_index (self, (px - p->x0) / p->w)) < 0)
    return FALSE;
  tip->index = i;
  tip->hx = floor (p->x0 + self->xn[i] * p->w) + 0.5;
  tip->lines = g_ptr_array_new_with_free_func (g_free);
  if (self->token_axis > 0)
    {
      guint token = (guint) lround (self->times[i] + self->token_axis);
      /* Translators: a point of a chart over a reply's tokens: the prompt, or token 12 */
      g_ptr_array_add (tip->lines, token == 0 ? g_strdup (_("prompt"))
                                              : g_strdup_printf (_("token %u"), token));
    }
  else
    g_ptr_array_add (tip->lines, g_strdup_printf (_("%.1f s ago"), -self->times[i]));
  for (guint s = 0; s < ns; s++)
    {
      g_autofree char *v = sm_chart_format_value (self, self->values[i * ns + s]);
      g_ptr_array_add (tip->lines, g_strdup_printf ("%s: %s", self->series[s].name, v));
    }

  /* beside the line, on the side with room */
  measure_box (self, tip);
  place_box (self, tip, tip->hx + 8 + tip->w > p->x0 + p->w ? tip->hx - 8 - tip->w : tip->hx + 8,
             p->y0 + 4, width, height);
  return TRUE;
}

/* Hover: a line at the nearest point, a dot on each line there and a box with its values. */
static void
draw_hover (SmChart *self, cairo_t *cr, const GdkRGBA *fg, const Plot *p, int width, int height)
{
  guint ns = self->n_series;
  Tooltip tip;
  int w;

  if (self->hover_x < 0 || !compute_tooltip (self, p, width, height, self->hover_x, self->hover_y, &tip))
    return;
  if (tip.index >= 0)
    {
      set_color (cr, fg, 0.6);
      cairo_move_to (cr, tip.hx, p->y0);
      cairo_line_to (cr, tip.hx, p->y0 + p->h);
      cairo_stroke (cr);
      for (guint s = 0; s < ns; s++)
        if (self->kind == SM_CHART_LINES && !isnan (self->yn[tip.index * ns + s]))
          {
            double px, py;
            to_px (p, self->xn[tip.index], self->yn[tip.index * ns + s], &px, &py);
            set_color (cr, &self->series[s].color, 1.0);
            cairo_arc (cr, px, py, 3.5, 0, 2 * G_PI);
            cairo_fill (cr);
          }
    }
  cairo_rectangle (cr, tip.x, tip.y, tip.w, tip.h);
  cairo_set_source_rgba (cr, 0.12, 0.12, 0.14, 0.88);
  cairo_fill (cr);
  cairo_set_source_rgba (cr, 1, 1, 1, 0.95);
  for (guint l = 0; l < tip.lines->len; l++)
    show_text (self, cr, tip.lines->pdata[l], tip.x + 8, tip.y + 5 + l * 14, 0.0, l == 0, 0.85, &w);
  tooltip_clear (&tip);
}

/* The plot's rectangle at @width x @height under a header that ends at @top; FALSE when
 * there is no room for one. */
static gboolean
get_plot (SmChart *self, int width, int height, double top, Plot *p)
{
  p->x0 = axis_width (self);
  p->y0 = top;
  p->w = width - p->x0 - PAD;
  p->h = height - top - TIME_HEIGHT;
  return p->w >= 20 && p->h >= 20;
}

void
sm_chart_draw (SmChart *self, cairo_t *cr, int width, int height)
{
  GdkRGBA fg;
  Plot p;

  g_return_if_fail (SM_IS_CHART (self));

  get_fg (self, &fg);
  if (!get_plot (self, width, height, draw_header (self, cr, &fg, width), &p))
    return;

  /* the markers under the data: a label never hides a point */
  draw_grid (self, cr, &fg, &p);
  draw_markers (self, cr, &fg, &p);
  draw_series (self, cr, &fg, &p);
  draw_hover (self, cr, &fg, &p, width, height);
}

static void
sm_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SmChart *self = SM_CHART (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (w <= 0 || h <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  sm_chart_draw (self, cr, w, h);
  cairo_destroy (cr);
}

static void
sm_chart_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                  int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200;
      *natural = 360;
    }
  else
    {
      *minimum = 140;
      *natural = 170;
    }
}

/* ---- pointer ------------------------------------------------------------------------------------ */

static void
on_motion (GtkEventControllerMotion *motion, double x, double y, SmChart *self)
{
  self->hover_x = x;
  self->hover_y = y;
  queue_redraw (self);
}

static void
on_leave (GtkEventControllerMotion *motion, SmChart *self)
{
  self->hover_x = -1;
  queue_redraw (self);
}

int
sm_chart_hover_index (SmChart *self, double x_fraction)
{
  int best = -1;
  double best_d = G_MAXDOUBLE;

  g_return_val_if_fail (SM_IS_CHART (self), -1);

  for (guint i = 0; i < self->n_points; i++)
    {
      double d = fabs (self->xn[i] - x_fraction);
      if (d < best_d)
        {
          best_d = d;
          best = (int) i;
        }
    }
  return best;
}

guint
sm_chart_get_n_points (SmChart *self)
{
  g_return_val_if_fail (SM_IS_CHART (self), 0);
  return self->n_points;
}

char *
sm_chart_get_axis_label (SmChart *self, guint index)
{
  g_return_val_if_fail (SM_IS_CHART (self), NULL);
  g_return_val_if_fail (index <= 2, NULL);
  if (!self->has_values)
    return NULL;
  return axis_label (self, self->y_max * index / 2);
}

guint
sm_chart_get_n_series (SmChart *self)
{
  g_return_val_if_fail (SM_IS_CHART (self), 0);
  return self->n_series;
}

const char *
sm_chart_get_series_name (SmChart *self, guint series)
{
  g_return_val_if_fail (SM_IS_CHART (self), NULL);
  g_return_val_if_fail (series < self->n_series, NULL);
  return self->series[series].name;
}

void
sm_chart_get_series_color (SmChart *self, guint series, GdkRGBA *color)
{
  g_return_if_fail (SM_IS_CHART (self));
  g_return_if_fail (series < self->n_series);
  *color = self->series[series].color;
}

double
sm_chart_get_last_value (SmChart *self, guint series)
{
  g_return_val_if_fail (SM_IS_CHART (self), NAN);
  g_return_val_if_fail (series < self->n_series, NAN);
  return self->series[series].last;
}

double
sm_chart_get_point_time (SmChart *self, guint index)
{
  g_return_val_if_fail (SM_IS_CHART (self), NAN);
  g_return_val_if_fail (index < self->n_points, NAN);
  return self->times[index];
}

double
sm_chart_get_point_value (SmChart *self, guint index, guint series)
{
  g_return_val_if_fail (SM_IS_CHART (self), NAN);
  g_return_val_if_fail (index < self->n_points && series < self->n_series, NAN);
  return self->values[index * self->n_series + series];
}

/* The plot as drawing at @width x @height lays it out (the header's height is what drawing
 * it takes, so it is drawn, into a scratch surface). */
static gboolean
measure_plot (SmChart *self, int width, int height, Plot *p)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (surface);
  GdkRGBA fg;
  gboolean ok;

  get_fg (self, &fg);
  ok = get_plot (self, width, height, draw_header (self, cr, &fg, width), p);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  return ok;
}

GArray *
sm_chart_get_marker_labels (SmChart *self, int width, int height)
{
  GArray *labels;
  Plot p;

  g_return_val_if_fail (SM_IS_CHART (self), NULL);

  if (measure_plot (self, width, height, &p))
    return layout_markers (self, &p);
  labels = g_array_new (FALSE, TRUE, sizeof (SmChartLabel));
  g_array_set_clear_func (labels, clear_label);
  return labels;
}

gboolean
sm_chart_get_tooltip (SmChart *self, int width, int height, double x, double y,
                      graphene_rect_t *box, char **text)
{
  Tooltip tip;
  Plot p;

  g_return_val_if_fail (SM_IS_CHART (self), FALSE);

  if (!measure_plot (self, width, height, &p) || !compute_tooltip (self, &p, width, height, x, y, &tip))
    return FALSE;
  if (box)
    graphene_rect_init (box, tip.x, tip.y, tip.w, tip.h);
  if (text)
    {
      g_ptr_array_add (tip.lines, NULL);
      *text = g_strjoinv ("\n", (char **) tip.lines->pdata);
    }
  tooltip_clear (&tip);
  return TRUE;
}

/* ---- object -------------------------------------------------------------------------------------- */

static void
clear_markers (SmChart *self)
{
  for (guint m = 0; self->markers && m < self->markers->len; m++)
    g_free (g_array_index (self->markers, Marker, m).label);
  if (self->markers)
    g_array_set_size (self->markers, 0);
}

static void
sm_chart_finalize (GObject *object)
{
  SmChart *self = SM_CHART (object);

  for (guint s = 0; s < MAX_SERIES; s++)
    {
      g_free (self->series[s].name);
      g_free (self->series[s].note);
    }
  clear_markers (self);
  g_clear_pointer (&self->markers, g_array_unref);
  g_clear_pointer (&self->label_widths, g_hash_table_unref);
  g_free (self->times);
  g_free (self->values);
  g_free (self->xn);
  g_free (self->yn);
  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->message);
  g_free (self->empty_text);
  g_free (self->unit_text);
  G_OBJECT_CLASS (sm_chart_parent_class)->finalize (object);
}

static void
sm_chart_class_init (SmChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = sm_chart_finalize;
  widget_class->snapshot = sm_chart_snapshot;
  widget_class->measure = sm_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sm_chart_init (SmChart *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->window_s = 60.0;
  self->hover_x = -1;
  self->y_max = 1.0;
  self->markers = g_array_new (FALSE, FALSE, sizeof (Marker));
  self->label_widths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  gtk_widget_set_focusable (GTK_WIDGET (self), FALSE);
  update_accessible (self, TRUE);
}

GtkWidget *
sm_chart_new (void)
{
  return g_object_new (SM_TYPE_CHART, NULL);
}

void
sm_chart_set_title (SmChart *self, const char *title)
{
  g_return_if_fail (SM_IS_CHART (self));

  g_free (self->title);
  self->title = g_strdup (title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  queue_redraw (self);
}

const char *
sm_chart_get_title (SmChart *self)
{
  g_return_val_if_fail (SM_IS_CHART (self), NULL);
  return self->title;
}

void
sm_chart_set_kind (SmChart *self, SmChartKind kind)
{
  g_return_if_fail (SM_IS_CHART (self));
  self->kind = kind;
  queue_redraw (self);
}

void
sm_chart_set_unit (SmChart *self, SmChartUnit unit, const char *unit_text)
{
  g_return_if_fail (SM_IS_CHART (self));

  self->unit = unit;
  self->axis_px = 0;   /* labels of another width */
  g_free (self->unit_text);
  self->unit_text = g_strdup (unit_text);
  queue_redraw (self);
}

void
sm_chart_set_window (SmChart *self, double seconds)
{
  g_return_if_fail (SM_IS_CHART (self));
  self->window_s = MAX (seconds, 1.0);
  queue_redraw (self);
}

void
sm_chart_set_token_axis (SmChart *self, guint n_tokens)
{
  g_return_if_fail (SM_IS_CHART (self));
  self->token_axis = n_tokens;
  queue_redraw (self);
}

guint
sm_chart_get_n_markers (SmChart *self)
{
  g_return_val_if_fail (SM_IS_CHART (self), 0);
  return self->markers->len;
}

guint
sm_chart_get_token_axis (SmChart *self)
{
  g_return_val_if_fail (SM_IS_CHART (self), 0);
  return self->token_axis;
}

void
sm_chart_set_series (SmChart *self, guint n_series, const char *const *names, const GdkRGBA *colors)
{
  g_return_if_fail (SM_IS_CHART (self));
  g_return_if_fail (n_series <= MAX_SERIES);

  for (guint s = 0; s < MAX_SERIES; s++)
    {
      g_clear_pointer (&self->series[s].name, g_free);
      g_clear_pointer (&self->series[s].note, g_free);
      self->series[s].last = NAN;
    }
  for (guint s = 0; s < n_series; s++)
    {
      self->series[s].name = g_strdup (names[s]);
      self->series[s].color = colors[s];
    }
  self->n_series = n_series;
  /* old points had another shape */
  self->n_points = 0;
  queue_redraw (self);
}

void
sm_chart_set_series_note (SmChart *self, guint series, const char *note)
{
  g_return_if_fail (SM_IS_CHART (self));
  g_return_if_fail (series < self->n_series);

  if (g_strcmp0 (note, self->series[series].note) == 0)
    return;
  g_free (self->series[series].note);
  self->series[series].note = g_strdup (note);
  queue_redraw (self);
}

void
sm_chart_set_points (SmChart *self, guint n_points, const double *times, const double *values)
{
  g_return_if_fail (SM_IS_CHART (self));

  g_free (self->times);
  g_free (self->values);
  self->n_points = n_points;
  self->times = g_memdup2 (times, sizeof (double) * MAX (n_points, 1));
  self->values = g_memdup2 (values, sizeof (double) * MAX (n_points * self->n_series, 1));
  prepare (self);
  update_accessible (self, FALSE);
  queue_redraw (self);
}

void
sm_chart_set_markers (SmChart *self, guint n, const double *times, const char *const *labels)
{
  g_return_if_fail (SM_IS_CHART (self));

  clear_markers (self);
  for (guint m = 0; m < n; m++)
    {
      Marker mk;
      if (times[m] < -x_span (self) || times[m] > 0)
        continue;
      mk.x = 1.0 + times[m] / x_span (self);
      mk.t = times[m];
      mk.label = g_strdup (labels[m]);
      g_array_append_val (self->markers, mk);
    }
  queue_redraw (self);
}

void
sm_chart_set_message (SmChart *self, const char *message)
{
  g_return_if_fail (SM_IS_CHART (self));

  if (g_strcmp0 (message, self->message) == 0)
    return;
  g_free (self->message);
  self->message = g_strdup (message);
  update_accessible (self, TRUE);
  queue_redraw (self);
}

const char *
sm_chart_get_subtitle (SmChart *self)
{
  g_return_val_if_fail (SM_IS_CHART (self), NULL);
  return self->subtitle;
}

void
sm_chart_set_subtitle (SmChart *self, const char *subtitle)
{
  g_return_if_fail (SM_IS_CHART (self));

  if (g_strcmp0 (subtitle, self->subtitle) == 0)
    return;
  g_free (self->subtitle);
  self->subtitle = g_strdup (subtitle);
  queue_redraw (self);
}
