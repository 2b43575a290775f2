/* sm-chart.h: a time chart drawn with cairo: lines or stacked areas, markers, values on hover.
 *
 * The owner hands over a window of points (seconds before now, one value per series; NAN breaks
 * a line) whenever it has new data; the chart scales them to 0..1 right then, so drawing only
 * maps them to pixels.  Redraws are coalesced to at most one per frame however often data comes.
 * Markers (a toggle changed, ...) are vertical lines with a label.  The chart is an image to
 * assistive technologies, labelled with its title and described with its latest values.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  SM_CHART_LINES = 0,
  SM_CHART_STACKED,      /* series drawn as areas on top of each other */
} SmChartKind;

typedef enum {
  SM_CHART_UNIT_NUMBER = 0,   /* 1.2 K, 31 K ... followed by the unit text */
  SM_CHART_UNIT_BYTES,        /* 12 MB */
  SM_CHART_UNIT_PERCENT,      /* values 0..100 */
  SM_CHART_UNIT_MS,           /* milliseconds: 0.12 ms, 3.4 ms */
} SmChartUnit;

#define SM_TYPE_CHART (sm_chart_get_type ())
G_DECLARE_FINAL_TYPE (SmChart, sm_chart, SM, CHART, GtkWidget)

GtkWidget  *sm_chart_new           (void);
void        sm_chart_set_title     (SmChart *self, const char *title);
const char *sm_chart_get_title     (SmChart *self);
void        sm_chart_set_kind      (SmChart *self, SmChartKind kind);
/* @unit_text follows numbers for SM_CHART_UNIT_NUMBER ("tok/s"); may be NULL. */
void        sm_chart_set_unit      (SmChart *self, SmChartUnit unit, const char *unit_text);
/* The visible span, in seconds up to now. */
void        sm_chart_set_window    (SmChart *self, double seconds);
/* The x axis over a reply's tokens instead of time, when @n_tokens > 0: points' times are
 * then token indices minus @n_tokens (the prompt at -n_tokens, the last token at 0).  Set it
 * before the points, which are scaled when they come; 0 goes back to seconds. */
void        sm_chart_set_token_axis (SmChart *self, guint n_tokens);
guint       sm_chart_get_token_axis (SmChart *self);
/* Names and colors of the series; data set later must have @n_series values per point. */
void        sm_chart_set_series    (SmChart *self, guint n_series, const char *const *names,
                                    const GdkRGBA *colors);
/* Per-series text after the name in the legend ("4.1 GFLOP/s"), or NULL. */
void        sm_chart_set_series_note (SmChart *self, guint series, const char *note);
/* @times[n_points]: seconds relative to now (<= 0), ascending; @values[n_points][n_series]
 * row-major.  Copied and scaled now; the redraw happens at the next frame. */
void        sm_chart_set_points    (SmChart *self, guint n_points, const double *times,
                                    const double *values);
/* @times[n] (relative seconds) and @labels[n]. */
void        sm_chart_set_markers   (SmChart *self, guint n, const double *times,
                                    const char *const *labels);
/* A line of text instead of data (e.g. "Turn on profiling"); NULL to show data again. */
void        sm_chart_set_message   (SmChart *self, const char *message);
/* A short text under the title ("0 allocations per token"), or NULL. */
void        sm_chart_set_subtitle  (SmChart *self, const char *subtitle);
const char *sm_chart_get_subtitle  (SmChart *self);
/* Draws what the widget shows into @cr (the PNG export uses it). */
void        sm_chart_draw          (SmChart *self, cairo_t *cr, int width, int height);
/* Formats @value the way the axis does, e.g. for a summary: "31 K tok/s". */
char       *sm_chart_format_value  (SmChart *self, double value);
/* The line shown instead of data: the owner's message, or why there is nothing to draw
 * ("No data yet", "No data in the last 60 s"); NULL while data are drawn. */
const char *sm_chart_get_shown_message (SmChart *self);
/* The series as set: how many, and each one's name and color. */
guint       sm_chart_get_n_series  (SmChart *self);
const char *sm_chart_get_series_name (SmChart *self, guint series);
void        sm_chart_get_series_color (SmChart *self, guint series, GdkRGBA *color);
/* The newest value of @series, as the legend shows it (NAN: none). */
double      sm_chart_get_last_value (SmChart *self, guint series);
/* For tests: the value axis' label @index (0 at the bottom, 1 halfway, 2 at the top) as drawn,
 * or NULL when none is drawn. */
char       *sm_chart_get_axis_label (SmChart *self, guint index);
/* For tests: the point under x (0..1 across the plot): its index, or -1. */
int         sm_chart_hover_index   (SmChart *self, double x_fraction);
guint       sm_chart_get_n_points  (SmChart *self);
/* For tests: how many markers are set. */
guint       sm_chart_get_n_markers (SmChart *self);
/* For tests: point @index as given (seconds before now) and its value in @series (NAN: a gap). */
double      sm_chart_get_point_time  (SmChart *self, guint index);
/* For tests: a marker label as drawn at @width x @height (pixels, the widget's origin): the
 * label of one marker, or of @n_markers that stood too close to be told apart. */
typedef struct {
  double  x, y, width, height;
  guint   n_markers;
  char   *text;
} SmChartLabel;
/* (SmChartLabel), in the order drawn; free with g_array_unref. */
GArray     *sm_chart_get_marker_labels (SmChart *self, int width, int height);
/* For tests: the box hovering at (@x, @y) shows at @width x @height, and its lines joined by
 * newlines; FALSE when it shows none. */
gboolean    sm_chart_get_tooltip     (SmChart *self, int width, int height, double x, double y,
                                      graphene_rect_t *box, char **text);
double      sm_chart_get_point_value (SmChart *self, guint index, guint series);

/* A layout of @text in @widget's font at @scale of its size, bold if asked: the charts' labels
 * (SmChart's, and the roofline's that draws with the same look). */
PangoLayout *sm_chart_layout_new (GtkWidget *widget, const char *text, double scale, gboolean bold);

G_END_DECLS
