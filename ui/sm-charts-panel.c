/* sm-charts-panel.c: the live charts.
 *
 * On each "stats-updated" (the engine's feed, at the chart rate, silent when idle) the panel
 * copies the profiler's time series for the visible window, turns it into points and hands
 * them to the charts, which scale them once and redraw at the next frame.  Per-op time is not
 * in the series: the panel keeps its own ring of per-op deltas between updates.  When the feed
 * falls silent the charts still scroll, once a second, until the last point has left the
 * window: "now" at the right edge stays true.  Rates (tok/s, per op) are drawn only where
 * work ran, so an idle window has none; memory is a level and holds at the read-out's figure.
 *
 * A reply shorter than a few samples (a small model writes 256 tokens in 10 ms) would be one
 * dot on a time axis: once it is over, the rate and per-op charts show it token by token
 * instead (sm_charts_panel_feed_reply ()): its prefill, then each token's rate and per-op
 * split from the token records and the trace ring, until the next reply starts.
 */
#define G_LOG_DOMAIN "SmChartsPanel"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sm-settings-bind.h"
#include "sm-chart.h"
#include "sm-charts-panel.h"

#define N_TOP_OPS  5
#define N_CHARTS   4
#define SCROLL_S   1   /* the idle scroll's period */
#define BEFORE_NS  ((gint64) 5000000000)   /* samples read before the window */
#define SHORT_REPLY_SAMPLES 3                 /* a reply within this many looks: by token */

/* One update's per-op figures: ns per token and the work done, for the ring. */
typedef struct {
  gint64  t_ns;
  gint64  t_prev_ns;     /* the read-out the deltas are from; 0 for none */
  double  ms_per_token[SM_N_OPS];
  guint64 ns[SM_N_OPS];
  double  flops[SM_N_OPS];
  double  bytes[SM_N_OPS];
} OpPoint;

struct _SmChartsPanel {
  GtkWidget      parent_instance;

  /* template children */
  GtkLabel      *decode_value;
  GtkLabel      *ttft_value;
  GtkLabel      *memory_value;
  SmChart       *tps_chart;
  SmChart       *memory_chart;
  SmChart       *ops_chart;
  SmChart       *pool_chart;
  GtkAdjustment *rate_adjustment;
  GtkAdjustment *window_adjustment;

  SmEngine      *engine;
  GSettings     *settings;
  gulong         feed_handler;

  double         rate_hz;
  double         window_s;
  guint          scroll_id;      /* the idle scroll, while points are in the window */
  gint64         last_feed_ns;   /* the last "stats-updated" */
  double         mem_before[2];  /* resident and pool live bytes of the last sample before
                                  * the window; NAN before any */
  double         recent_allocs;  /* system allocations per decoded token over the last
                                  * ALLOCS_WINDOW_NS of decoding; NAN before any */

  /* per-op ring */
  GArray        *op_ring;        /* OpPoint, oldest first */
  SmOpStats      op_prev[SM_N_OPS];
  guint64        op_prev_tokens;
  gint64         op_prev_ns;
  gboolean       ops_seen;       /* the ring had points once */
  gboolean       op_prev_valid;
  SmOpKind       top_ops[N_TOP_OPS];
  guint          n_top_ops;

  /* the last reply by token (sm_charts_panel_feed_reply ()) */
  gboolean       tps_by_token;
  gboolean       ops_by_token;
  gint64         reply_start_ns; /* its prefill's start; 0: none shown */
};

G_DEFINE_FINAL_TYPE (SmChartsPanel, sm_charts_panel, GTK_TYPE_WIDGET)

/* The Adwaita palette. */
static const GdkRGBA blue = { 0.208, 0.518, 0.894, 1 };
static const GdkRGBA green = { 0.180, 0.761, 0.494, 1 };
static const GdkRGBA orange = { 1.0, 0.471, 0.0, 1 };
static const GdkRGBA purple = { 0.569, 0.255, 0.675, 1 };
static const GdkRGBA teal = { 0.129, 0.565, 0.643, 1 };
/* Each op kind has its own color, whatever its rank among the top ops, so matmul is blue in
 * every run and a chart read yesterday still reads today.  Activations (gelu, silu) are warm,
 * the attention parts cool; a model has one activation, never both. */
#define RGB(hex) { ((hex) >> 16 & 0xff) / 255.0, ((hex) >> 8 & 0xff) / 255.0, ((hex) & 0xff) / 255.0, 1 }
static const GdkRGBA op_colors[SM_N_OPS] = {
  [SM_OP_MATMUL] = RGB (0x3584e4),      /* blue */
  [SM_OP_ATTENTION] = RGB (0x2ec27e),   /* green */
  [SM_OP_NORM] = RGB (0xf6d32d),        /* yellow */
  [SM_OP_ROPE] = RGB (0x2190a4),        /* teal */
  [SM_OP_SOFTMAX] = RGB (0x9141ac),     /* purple */
  [SM_OP_SILU] = RGB (0xff7800),        /* orange */
  [SM_OP_GELU] = RGB (0xc64600),        /* dark orange */
  [SM_OP_EMBED] = RGB (0x986a44),       /* brown */
  [SM_OP_ADD] = RGB (0x99c1f1),         /* light blue */
  [SM_OP_QUANTIZE] = RGB (0xdc8add),    /* light purple */
  [SM_OP_LOGITS] = RGB (0x1a5fb4),      /* dark blue */
  [SM_OP_SAMPLE] = RGB (0xe01b24),      /* red */
};
static const GdkRGBA other_color = RGB (0x9a9996);   /* grey: the rest */

static gint64
window_ns (SmChartsPanel *self)
{
  return (gint64) (self->window_s * 1e9);
}

/* Ops whose speed is a matter of arithmetic show GFLOP/s, the others GB/s. */
static gboolean
op_is_compute (SmOpKind op)
{
  return op == SM_OP_MATMUL || op == SM_OP_ATTENTION || op == SM_OP_LOGITS;
}

/* ---- feeding the charts --------------------------------------------------------------------------- */

/* Points for a chart, grown as they come: times and @ns values per point. */
typedef struct {
  guint   ns;
  GArray *t;   /* double */
  GArray *v;   /* double, ns per point */
} Points;

static void
points_init (Points *pts, guint ns)
{
  pts->ns = ns;
  pts->t = g_array_new (FALSE, FALSE, sizeof (double));
  pts->v = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
points_add (Points *pts, double t, const double *v)
{
  g_array_append_val (pts->t, t);
  g_array_append_vals (pts->v, v, pts->ns);
}

/* A break in the line at @t: every series missing. */
static void
points_gap (Points *pts, double t)
{
  double v[8];

  for (guint s = 0; s < pts->ns; s++)
    v[s] = NAN;
  points_add (pts, t, v);
}

static void
points_flush (Points *pts, SmChart *chart)
{
  sm_chart_set_points (chart, pts->t->len, (double *) pts->t->data, (double *) pts->v->data);
  g_array_unref (pts->t);
  g_array_unref (pts->v);
}

/* A rate series is busy only while work ran.  The sampler (and the feed) look every
 * @interval_s but keep a point only when something moved, so a point's window (since the one
 * before) may hold idle time; how long the work in it took, @busy_s, tells how much.  Run by
 * run, with @open saying the line may go on (its last window was busy to its end):
 *  - a window mostly busy on an open line continues it;
 *  - a mostly idle window right after (one look later) is the line's tail: it ends @busy_s
 *    into the window;
 *  - anything else starts a new line @busy_s before the point, after a gap in the idle time
 *    (a window longer than one look had a look that found nothing).
 * So a line never bridges idle time, at any rate, and a reply of a few milliseconds is a run
 * of its own, which the chart draws as a dot. */
static void
add_rate_point (Points *pts, gboolean *open, double t_prev, double t, double busy_s, double interval_s,
                const double *v)
{
  double span = t - t_prev;

  if (busy_s <= 0)
    {
      if (*open)
        points_gap (pts, t);
      *open = FALSE;
    }
  else if (*open && busy_s >= 0.5 * span)
    points_add (pts, t, v);
  else if (*open && span <= 1.5 * interval_s)
    {
      points_add (pts, t_prev + busy_s, v);
      points_gap (pts, (t_prev + busy_s + t) / 2);
      *open = FALSE;
    }
  else
    {
      busy_s = MIN (busy_s, span);
      if (pts->t->len > 0)
        points_gap (pts, t - busy_s - (span - busy_s) / 2);
      points_add (pts, t - busy_s, v);
      points_add (pts, t, v);
      *open = TRUE;
    }
}

/* The decode and prefill rates, run by run (add_rate_point ()): a sample's busy time is its
 * tokens over its rates. */
static void
feed_tps (SmChartsPanel *self, GArray *series, guint first, gint64 now)
{
  Points pts;
  gboolean in_run = FALSE;

  if (self->tps_by_token)
    return;
  points_init (&pts, 2);
  for (guint i = first; i < series->len; i++)
    {
      const SmProfSample *s = &g_array_index (series, SmProfSample, i);
      const SmProfSample *p = i > 0 ? &g_array_index (series, SmProfSample, i - 1) : NULL;
      double ts = (s->t_ns - now) / 1e9;
      double v[2] = { s->decode_tps > 0 ? s->decode_tps : NAN, s->prefill_tps > 0 ? s->prefill_tps : NAN };
      double busy = 0;

      if (p == NULL)
        {
          /* nothing before to tell the tokens by: a sample's rates are over the tokens since
           * the profiler's previous sample, so the first sample of a short reply has them */
          if (!isnan (v[0]) || !isnan (v[1]))
            {
              points_add (&pts, ts, v);
              in_run = TRUE;
            }
          continue;
        }
      if (s->decode_tokens > p->decode_tokens && s->decode_tps > 0)
        busy += (double) (s->decode_tokens - p->decode_tokens) / s->decode_tps;
      if (s->prefill_tokens > p->prefill_tokens && s->prefill_tps > 0)
        busy += (double) (s->prefill_tokens - p->prefill_tokens) / s->prefill_tps;
      add_rate_point (&pts, &in_run, (p->t_ns - now) / 1e9, ts, busy, 1.0 / self->rate_hz, v);
    }
  points_flush (&pts, self->tps_chart);
}

/* Memory is a level, not a rate: it stays where it was while nothing moves (the sampler keeps
 * no sample then), so the line holds across idle time instead of breaking, starts at the left
 * edge with the level from before the window and ends at now with the figure the card shows
 * (@stats), even when every sample has scrolled out. */
static void
feed_memory (SmChartsPanel *self, GArray *series, guint first, const SmEngineStats *st, gint64 now)
{
  double interval = 1.0 / self->rate_hz, left = -self->window_s;
  double last[2] = { NAN, NAN };
  double t_last = left;
  Points pts;

  points_init (&pts, 2);
  if (first > 0)
    {
      const SmProfSample *b = &g_array_index (series, SmProfSample, first - 1);
      self->mem_before[0] = (double) b->resident_bytes;
      self->mem_before[1] = (double) b->pool_live_bytes;
    }
  if (!isnan (self->mem_before[0]))
    {
      memcpy (last, self->mem_before, sizeof last);
      points_add (&pts, left, last);
    }
  for (guint i = first; i < series->len; i++)
    {
      const SmProfSample *s = &g_array_index (series, SmProfSample, i);
      double ts = (s->t_ns - now) / 1e9;
      double v[2] = { (double) s->resident_bytes, (double) s->pool_live_bytes };

      /* a step: the old level until the look before this sample */
      if (!isnan (last[0]) && ts - t_last > 1.5 * interval)
        points_add (&pts, ts - interval, last);
      points_add (&pts, ts, v);
      memcpy (last, v, sizeof last);
      t_last = ts;
    }
  if (st->resident_bytes > 0)
    {
      double v[2] = { (double) st->resident_bytes, (double) st->pool.live_bytes };
      if (!isnan (last[0]) && -t_last > 1.5 * interval)
        points_add (&pts, -interval, last);
      points_add (&pts, 0.0, v);
    }
  points_flush (&pts, self->memory_chart);
}

static void
feed_series (SmChartsPanel *self, GArray *series, const SmEngineStats *st, gint64 now)
{
  guint n = series->len, first = 0;
  /* Each sample may be preceded by a gap marker: at most 2n points. */
  g_autofree double *t = g_new (double, 2 * n + 1);
  g_autofree double *hit = g_new (double, 2 * n + 1);
  double gap_s = 3.0 / self->rate_hz;
  guint np = 0;

  /* samples before the window only tell what came before it */
  while (first < n && g_array_index (series, SmProfSample, first).t_ns < now - window_ns (self))
    first++;
  feed_tps (self, series, first, now);
  feed_memory (self, series, first, st, now);

  for (guint i = first; i < n; i++)
    {
      const SmProfSample *s = &g_array_index (series, SmProfSample, i);
      const SmProfSample *p = i > 0 ? &g_array_index (series, SmProfSample, i - 1) : NULL;
      double ts = (s->t_ns - now) / 1e9;
      guint64 d_rents = p ? s->pool_rents - p->pool_rents : 0;

      /* The sampler sleeps while nothing happens: a long silence is a break in the line, not
       * a straight line across it. */
      if (np > 0 && ts - t[np - 1] > gap_s)
        {
          t[np] = t[np - 1] + 1.0 / self->rate_hz;
          hit[np] = NAN;
          np++;
        }
      t[np] = ts;
      hit[np] = d_rents > 0 ? 100.0 * (double) (s->pool_hits - p->pool_hits) / (double) d_rents : NAN;
      np++;
    }
  sm_chart_set_points (self->pool_chart, np, t, hit);
}

/* The engine's markers are data ("pool off", "kernels scalar", "model X"), written in English
 * for every reader; the charts show them in the user's language. */
static char *
marker_label (const char *text)
{
  const char *arg;

  if (g_str_equal (text, "pool on"))
    return g_strdup (_("pool on"));
  if (g_str_equal (text, "pool off"))
    return g_strdup (_("pool off"));
  if (g_str_equal (text, "profiling on"))
    return g_strdup (_("profiling on"));
  if (g_str_equal (text, "profiling off"))
    return g_strdup (_("profiling off"));
  if (g_str_equal (text, "statistics reset"))
    return g_strdup (_("statistics reset"));
  if (g_str_has_prefix (text, "kernels "))
    {
      arg = text + strlen ("kernels ");
      /* Translators: a chart marker: the kernel path switched to %s ("avx2", "scalar") */
      return g_strdup_printf (_("kernels %s"), g_str_equal (arg, "scalar") ? C_("kernel path", "scalar") : arg);
    }
  if (g_str_has_prefix (text, "threads "))
    {
      int n = atoi (text + strlen ("threads "));
      /* Translators: a chart marker: the engine now runs on %d threads */
      return g_strdup_printf (ngettext ("%d thread", "%d threads", n), n);
    }
  if (g_str_has_prefix (text, "kv cache "))
    /* Translators: a chart marker: the KV cache type switched to %s ("f16") */
    return g_strdup_printf (_("KV cache %s"), text + strlen ("kv cache "));
  if (g_str_has_prefix (text, "model "))
    /* Translators: a chart marker: model %s was loaded */
    return g_strdup_printf (_("model %s"), text + strlen ("model "));
  return g_strdup (text);
}

static void
feed_markers (SmChartsPanel *self, GArray *markers, gint64 now)
{
  g_autofree double *t = g_new (double, markers->len + 1);
  g_autofree const char **labels = g_new0 (const char *, markers->len + 1);
  g_autoptr (GPtrArray) owned = g_ptr_array_new_with_free_func (g_free);
  SmChart *charts[] = { self->tps_chart, self->memory_chart, self->ops_chart, self->pool_chart };
  guint n = 0;

  for (guint i = 0; i < markers->len; i++)
    {
      const SmProfMarker *m = &g_array_index (markers, SmProfMarker, i);
      if (m->t_ns < now - window_ns (self))
        continue;
      t[n] = (m->t_ns - now) / 1e9;
      g_ptr_array_add (owned, marker_label (m->text));
      labels[n] = g_ptr_array_index (owned, owned->len - 1);
      n++;
    }
  for (guint c = 0; c < G_N_ELEMENTS (charts); c++)
    if (!((charts[c] == self->tps_chart && self->tps_by_token)
          || (charts[c] == self->ops_chart && self->ops_by_token)))
      sm_chart_set_markers (charts[c], n, t, labels);
}

static void
choose_top_ops (SmChartsPanel *self)
{
  double share[SM_N_OPS] = { 0 };
  const char *names[N_TOP_OPS + 1];
  GdkRGBA colors[N_TOP_OPS + 1];
  gboolean used[SM_N_OPS] = { 0 };
  SmOpKind top[N_TOP_OPS];
  guint n_top = 0;

  for (guint i = 0; i < self->op_ring->len; i++)
    for (int op = 0; op < SM_N_OPS; op++)
      share[op] += g_array_index (self->op_ring, OpPoint, i).ns[op];

  while (n_top < N_TOP_OPS)
    {
      int best = -1;
      for (int op = 0; op < SM_N_OPS; op++)
        if (!used[op] && share[op] > 0 && (best < 0 || share[op] > share[best]))
          best = op;
      if (best < 0)
        break;
      used[best] = TRUE;
      top[n_top++] = (SmOpKind) best;
    }

  if (n_top == self->n_top_ops && memcmp (top, self->top_ops, n_top * sizeof (SmOpKind)) == 0)
    return;
  memcpy (self->top_ops, top, n_top * sizeof (SmOpKind));
  self->n_top_ops = n_top;
  for (guint i = 0; i < n_top; i++)
    {
      names[i] = sm_op_kind_name (top[i]);
      colors[i] = op_colors[top[i]];
    }
  names[n_top] = _("other");
  colors[n_top] = other_color;
  sm_chart_set_series (self->ops_chart, n_top + 1, names, colors);
}

static void
feed_ops (SmChartsPanel *self, const SmEngineStats *st, gint64 now)
{
  const SmOpStats *ops = st->ops;
  guint64 tokens = st->counters.prefill_tokens + st->counters.decode_tokens;
  guint ns;
  Points pts;
  gboolean in_run = FALSE;

  if (self->op_prev_valid && tokens > self->op_prev_tokens)
    {
      OpPoint pt = { .t_ns = now, .t_prev_ns = self->op_prev_ns };
      guint64 d_tokens = tokens - self->op_prev_tokens;
      gboolean any = FALSE;

      for (int op = 0; op < SM_N_OPS; op++)
        {
          if (ops[op].ns < self->op_prev[op].ns)
            continue;   /* the profiler was reset */
          pt.ns[op] = ops[op].ns - self->op_prev[op].ns;
          pt.flops[op] = ops[op].flops - self->op_prev[op].flops;
          pt.bytes[op] = ops[op].bytes - self->op_prev[op].bytes;
          pt.ms_per_token[op] = pt.ns[op] / 1e6 / (double) d_tokens;
          any |= pt.ns[op] > 0;
        }
      if (any)
        g_array_append_val (self->op_ring, pt);
    }
  memcpy (self->op_prev, st->ops, sizeof st->ops);
  self->op_prev_tokens = tokens;
  self->op_prev_ns = now;
  self->op_prev_valid = TRUE;

  /* drop what scrolled out of the window */
  {
    guint drop = 0;
    while (drop < self->op_ring->len &&
           g_array_index (self->op_ring, OpPoint, drop).t_ns < now - window_ns (self))
      drop++;
    if (drop > 0)
      g_array_remove_range (self->op_ring, 0, drop);
  }

  if (self->ops_by_token)
    return;
  if (self->op_ring->len == 0)
    {
      /* once there were ops, an empty window is the chart's to say ("No data in the last
       * 60 s"): "Generate something" would read as if nothing ever ran */
      if (!st->profiling)
        sm_chart_set_message (self->ops_chart, _("Turn on profiling to see where the time goes"));
      else if (!self->ops_seen)
        sm_chart_set_message (self->ops_chart, _("Generate something to see where the time goes"));
      else
        {
          sm_chart_set_message (self->ops_chart, NULL);
          sm_chart_set_points (self->ops_chart, 0, NULL, NULL);
        }
      return;
    }
  self->ops_seen = TRUE;
  sm_chart_set_message (self->ops_chart, NULL);
  choose_top_ops (self);

  /* run by run, as the rates (add_rate_point ()): a ring point's busy time is its ops' time */
  ns = self->n_top_ops + 1;
  points_init (&pts, ns);
  for (guint i = 0; i < self->op_ring->len; i++)
    {
      const OpPoint *p = &g_array_index (self->op_ring, OpPoint, i);
      double v[N_TOP_OPS + 1] = { 0 }, busy = 0, rest = 0, t = (p->t_ns - now) / 1e9;

      for (int op = 0; op < SM_N_OPS; op++)
        {
          gboolean top = FALSE;
          busy += p->ns[op] / 1e9;
          for (guint k = 0; k < self->n_top_ops; k++)
            if (self->top_ops[k] == (SmOpKind) op)
              {
                v[k] = p->ms_per_token[op];
                top = TRUE;
              }
          if (!top)
            rest += p->ms_per_token[op];
        }
      v[self->n_top_ops] = rest;
      if (p->t_prev_ns == 0)
        {
          points_add (&pts, t, v);
          in_run = TRUE;
        }
      else
        add_rate_point (&pts, &in_run, (p->t_prev_ns - now) / 1e9, t, busy, 1.0 / self->rate_hz, v);
    }
  points_flush (&pts, self->ops_chart);

  /* each op's speed over the window */
  for (guint k = 0; k < self->n_top_ops; k++)
    {
      SmOpKind op = self->top_ops[k];
      double flops = 0, bytes = 0, nsum = 0;
      g_autofree char *note = NULL;

      for (guint i = 0; i < self->op_ring->len; i++)
        {
          const OpPoint *p = &g_array_index (self->op_ring, OpPoint, i);
          flops += p->flops[op];
          bytes += p->bytes[op];
          nsum += p->ns[op];
        }
      if (nsum > 0 && op_is_compute (op) && flops > 0)
        note = g_strdup_printf (_("%.1f GFLOP/s"), flops / nsum);
      else if (nsum > 0 && bytes > 0)
        note = g_strdup_printf (_("%.1f GB/s"), bytes / nsum);
      sm_chart_set_series_note (self->ops_chart, k, note);
    }
}

/* The allocations-per-token figure follows what the engine does now (the pool switched off a
 * moment ago), not the average since start: the samples of this last stretch of decoding. */
#define ALLOCS_WINDOW_NS ((gint64) 2000000000)   /* 2 s */

static void
update_recent_allocs (SmChartsPanel *self, GArray *series)
{
  const SmProfSample *last, *first = NULL;

  if (series->len < 2)
    return;
  last = &g_array_index (series, SmProfSample, series->len - 1);
  for (guint i = series->len - 1; i-- > 0;)
    {
      const SmProfSample *p = &g_array_index (series, SmProfSample, i);
      if (p->t_ns < last->t_ns - ALLOCS_WINDOW_NS)
        break;
      first = p;
    }
  if (first != NULL && last->decode_tokens > first->decode_tokens && last->sys_allocs >= first->sys_allocs)
    self->recent_allocs = (double) (last->sys_allocs - first->sys_allocs)
                          / (double) (last->decode_tokens - first->decode_tokens);
}

static void
feed_figures (SmChartsPanel *self, const SmEngineStats *st)
{
  g_autofree char *decode = NULL, *ttft = NULL, *memory = NULL, *allocs = NULL;
  double hit = st->pool.rents ? 100.0 * st->pool.hits / (double) st->pool.rents : NAN;
  g_autofree char *hit_text = NULL;

  decode = st->decode_tps > 0 ? g_strdup_printf ("%.0f", st->decode_tps) : g_strdup ("–");
  ttft = st->gen.ttft_us > 0 ? g_strdup_printf (_("%.1f ms"), st->gen.ttft_us / 1000.0) : g_strdup ("–");
  memory = g_format_size (st->resident_bytes);
  gtk_label_set_text (self->decode_value, decode);
  gtk_label_set_text (self->ttft_value, ttft);
  gtk_label_set_text (self->memory_value, memory);

  /* Translators: system allocations per generated token (the pool's aim is zero) */
  allocs = g_strdup_printf (_("%.2f allocations per token"),
                            isnan (self->recent_allocs) ? st->counters.sys_allocs_per_token
                                                        : self->recent_allocs);
  sm_chart_set_subtitle (self->memory_chart, allocs);
  if (!isnan (hit))
    {
      /* Translators: share of the pool's rents served from its free lists, since start */
      hit_text = g_strdup_printf (_("%.1f %% overall"), hit);
      sm_chart_set_subtitle (self->pool_chart, hit_text);
    }
}

/* ---- the last reply by token ------------------------------------------------------------ */

/* The index of the last reply's prefill record in @tokens, when that reply is over and was
 * shorter than SHORT_REPLY_SAMPLES looks; -1 otherwise. */
static int
short_reply (SmChartsPanel *self, const SmEngineStats *st, GArray *tokens)
{
  const SmTokenRecord *last;
  int p;

  if (st->generating || tokens == NULL || tokens->len < 3)
    return -1;
  for (p = (int) tokens->len - 1; p >= 0; p--)
    if (g_array_index (tokens, SmTokenRecord, p).kind == SM_TOKEN_PREFILL)
      break;
  /* a prompt and two tokens at least: one token is a dot on any axis */
  if (p < 0 || tokens->len - (guint) p < 3)
    return -1;
  last = &g_array_index (tokens, SmTokenRecord, tokens->len - 1);
  if (last->start_ns + last->dur_ns - g_array_index (tokens, SmTokenRecord, p).start_ns
      >= SHORT_REPLY_SAMPLES * 1e9 / self->rate_hz)
    return -1;
  return p;
}

static void
set_by_token (SmChartsPanel *self, gboolean tps, gboolean ops, guint n_tokens)
{
  /* Translators: under a chart's title, when its x axis is the last reply's tokens */
  const char *subtitle = _("The last reply, token by token");

  self->tps_by_token = tps;
  self->ops_by_token = ops;
  sm_chart_set_token_axis (self->tps_chart, tps ? n_tokens : 0);
  sm_chart_set_token_axis (self->ops_chart, ops ? n_tokens : 0);
  sm_chart_set_subtitle (self->tps_chart, tps ? subtitle : NULL);
  sm_chart_set_subtitle (self->ops_chart, ops ? subtitle : NULL);
  if (tps)
    sm_chart_set_markers (self->tps_chart, 0, NULL, NULL);
  if (ops)
    sm_chart_set_markers (self->ops_chart, 0, NULL, NULL);
}

/* Each record's op time (ns per op kind) from the trace's op intervals that start in it; both
 * come oldest first.  FALSE when the trace holds none of the reply's ops. */
typedef double OpTimes[SM_N_OPS];   /* ns per op kind */

static gboolean
ops_per_record (GArray *tokens, guint first, GArray *trace, OpTimes *ns)
{
  guint r = first;
  gboolean any = FALSE;

  for (guint e = 0; trace != NULL && e < trace->len; e++)
    {
      const SmTraceEvent *ev = &g_array_index (trace, SmTraceEvent, e);
      const SmTokenRecord *rec;

      if (ev->type != SM_TRACE_OP || ev->op >= SM_N_OPS)
        continue;
      while (r < tokens->len)
        {
          rec = &g_array_index (tokens, SmTokenRecord, r);
          if (ev->ts_ns < rec->start_ns + rec->dur_ns)
            break;
          r++;
        }
      if (r == tokens->len)
        break;
      rec = &g_array_index (tokens, SmTokenRecord, r);
      if (ev->ts_ns < rec->start_ns)
        continue;
      ns[r - first][ev->op] += (double) ev->dur_ns;
      any = TRUE;
    }
  return any;
}

gboolean
sm_charts_panel_feed_reply (SmChartsPanel *self, const SmEngineStats *stats, GArray *tokens,
                            GArray *trace)
{
  int p;
  guint n_rec, n_tokens;
  g_autofree OpTimes *ns = NULL;
  double total[SM_N_OPS] = { 0 };
  Points pts;
  gboolean ops;

  g_return_val_if_fail (SM_IS_CHARTS_PANEL (self), FALSE);
  g_return_val_if_fail (stats != NULL, FALSE);

  p = short_reply (self, stats, tokens);
  if (p < 0)
    {
      if (self->tps_by_token || self->ops_by_token)
        set_by_token (self, FALSE, FALSE, 0);
      self->reply_start_ns = 0;
      return FALSE;
    }
  if (g_array_index (tokens, SmTokenRecord, p).start_ns == self->reply_start_ns)
    return TRUE;     /* shown already */
  self->reply_start_ns = g_array_index (tokens, SmTokenRecord, p).start_ns;

  n_rec = tokens->len - (guint) p;
  n_tokens = n_rec - 1;      /* the prompt at 0, then each token */
  ns = g_new0 (OpTimes, n_rec);
  ops = stats->profiling && ops_per_record (tokens, (guint) p, trace, ns);
  set_by_token (self, TRUE, ops, n_tokens);

  /* tok/s: the prompt's batch at 0, each token after */
  points_init (&pts, 2);
  for (guint i = 0; i < n_rec; i++)
    {
      const SmTokenRecord *rec = &g_array_index (tokens, SmTokenRecord, p + i);
      double rate = rec->dur_ns > 0 ? MAX (rec->n_tokens, 1) * 1e9 / (double) rec->dur_ns : NAN;
      double v[2] = { rec->kind == SM_TOKEN_DECODE ? rate : NAN,
                      rec->kind == SM_TOKEN_PREFILL ? rate : NAN };

      points_add (&pts, (double) i - n_tokens, v);
    }
  points_flush (&pts, self->tps_chart);
  if (!ops)
    return TRUE;

  /* ms per token of the reply's top ops, the rest as "other" */
  for (guint i = 0; i < n_rec; i++)
    for (int op = 0; op < SM_N_OPS; op++)
      total[op] += ns[i][op];
  {
    const char *names[N_TOP_OPS + 1];
    GdkRGBA colors[N_TOP_OPS + 1];
    gboolean used[SM_N_OPS] = { 0 };

    self->n_top_ops = 0;
    while (self->n_top_ops < N_TOP_OPS)
      {
        int best = -1;
        for (int op = 0; op < SM_N_OPS; op++)
          if (!used[op] && total[op] > 0 && (best < 0 || total[op] > total[best]))
            best = op;
        if (best < 0)
          break;
        used[best] = TRUE;
        names[self->n_top_ops] = sm_op_kind_name ((SmOpKind) best);
        colors[self->n_top_ops] = op_colors[best];
        self->top_ops[self->n_top_ops++] = (SmOpKind) best;
      }
    names[self->n_top_ops] = _("other");
    colors[self->n_top_ops] = other_color;
    sm_chart_set_series (self->ops_chart, self->n_top_ops + 1, names, colors);
    sm_chart_set_message (self->ops_chart, NULL);
  }
  points_init (&pts, self->n_top_ops + 1);
  for (guint i = 0; i < n_rec; i++)
    {
      const SmTokenRecord *rec = &g_array_index (tokens, SmTokenRecord, p + i);
      double v[N_TOP_OPS + 1] = { 0 }, per = 1e6 * MAX (rec->n_tokens, 1);

      for (int op = 0; op < SM_N_OPS; op++)
        {
          guint k = 0;
          while (k < self->n_top_ops && self->top_ops[k] != (SmOpKind) op)
            k++;
          v[k] += ns[i][op] / per;
        }
      points_add (&pts, (double) i - n_tokens, v);
    }
  points_flush (&pts, self->ops_chart);
  for (guint k = 0; k < self->n_top_ops; k++)
    sm_chart_set_series_note (self->ops_chart, k, NULL);
  return TRUE;
}

void
sm_charts_panel_feed (SmChartsPanel *self, const SmEngineStats *stats, GArray *series,
                      GArray *markers, gint64 now_ns)
{
  g_return_if_fail (SM_IS_CHARTS_PANEL (self));
  g_return_if_fail (stats != NULL && series != NULL && markers != NULL);

  feed_series (self, series, stats, now_ns);
  feed_markers (self, markers, now_ns);
  feed_ops (self, stats, now_ns);
  update_recent_allocs (self, series);
  feed_figures (self, stats);
}

void
sm_charts_panel_refresh (SmChartsPanel *self)
{
  g_autoptr (GArray) series = NULL;
  g_autoptr (GArray) markers = NULL;
  g_autoptr (GArray) tokens = NULL;
  g_autoptr (GArray) trace = NULL;
  SmEngineStats st = { 0 };
  gint64 now;

  g_return_if_fail (SM_IS_CHARTS_PANEL (self));

  if (self->engine == NULL)
    return;
  now = sm_engine_now_ns ();
  /* a little before the window too: the first sample in it is read against the one before */
  series = sm_engine_copy_series (self->engine, now - window_ns (self) - BEFORE_NS);
  markers = sm_engine_copy_markers (self->engine);
  tokens = sm_engine_copy_tokens (self->engine, now - window_ns (self));
  sm_engine_get_stats (self->engine, &st);
  /* the trace only for a short reply not shown yet: it is the whole ring */
  {
    int p = short_reply (self, &st, tokens);
    if (p >= 0 && g_array_index (tokens, SmTokenRecord, p).start_ns != self->reply_start_ns)
      trace = sm_engine_copy_trace (self->engine);
  }
  sm_charts_panel_feed_reply (self, &st, tokens, trace);
  sm_charts_panel_feed (self, &st, series, markers, now);
  sm_engine_stats_clear (&st);
}

static gboolean
scroll_cb (gpointer data)
{
  SmChartsPanel *self = data;

  if (sm_engine_now_ns () - self->last_feed_ns > window_ns (self))
    {
      self->scroll_id = 0;
      return G_SOURCE_REMOVE;
    }
  sm_charts_panel_refresh (self);
  return G_SOURCE_CONTINUE;
}

static void
on_stats_updated (SmEngine *engine, SmChartsPanel *self)
{
  self->last_feed_ns = sm_engine_now_ns ();
  if (self->scroll_id == 0)
    self->scroll_id = g_timeout_add_seconds (SCROLL_S, scroll_cb, self);
  sm_charts_panel_refresh (self);
}

/* ---- settings -------------------------------------------------------------------------------------- */

static void
apply_rates (SmChartsPanel *self)
{
  guint interval_ms, capacity;
  SmChart *charts[] = { self->tps_chart, self->memory_chart, self->ops_chart, self->pool_chart };

  self->rate_hz = CLAMP (g_settings_get_double (self->settings, "chart-rate"), 1.0, 60.0);
  self->window_s = CLAMP (g_settings_get_uint (self->settings, "chart-window"), 10u, 3600u);
  interval_ms = (guint) (1000.0 / self->rate_hz);
  /* the whole window at this rate, and some slack */
  capacity = (guint) (self->window_s * self->rate_hz * 1.25) + 16;

  sm_engine_set_sample_interval (self->engine, interval_ms, capacity);
  sm_engine_set_stats_interval (self->engine, interval_ms);
  for (guint c = 0; c < G_N_ELEMENTS (charts); c++)
    sm_chart_set_window (charts[c], self->window_s);
  sm_charts_panel_refresh (self);
}

static void
on_setting_changed (GSettings *settings, const char *key, SmChartsPanel *self)
{
  if (g_str_equal (key, "chart-rate") || g_str_equal (key, "chart-window"))
    apply_rates (self);
}

/* ---- PNG --------------------------------------------------------------------------------------------- */

static cairo_status_t
append_png (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

gboolean
sm_charts_panel_write_png (SmChartsPanel *self, const char *path, GError **error)
{
  SmChart *charts[] = { self->tps_chart, self->memory_chart, self->ops_chart, self->pool_chart };
  const int width = 900, chart_h = 220, pad = 16;
  int height = pad + N_CHARTS * (chart_h + pad);
  g_autoptr (GByteArray) png = g_byte_array_new ();
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  GdkRGBA fg;

  g_return_val_if_fail (SM_IS_CHARTS_PANEL (self), FALSE);

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cr = cairo_create (surface);
  /* the page matches the text color the charts use: light text on dark, dark on light */
  if (fg.red + fg.green + fg.blue > 1.5)
    cairo_set_source_rgb (cr, 0.14, 0.14, 0.14);
  else
    cairo_set_source_rgb (cr, 0.98, 0.98, 0.98);
  cairo_paint (cr);
  for (guint c = 0; c < N_CHARTS; c++)
    {
      cairo_save (cr);
      cairo_translate (cr, pad, pad + c * (chart_h + pad));
      sm_chart_draw (charts[c], cr, width - 2 * pad, chart_h);
      cairo_restore (cr);
    }
  cairo_destroy (cr);
  status = cairo_surface_write_to_png_stream (surface, append_png, png);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not draw the charts: %s"),
                   cairo_status_to_string (status));
      return FALSE;
    }
  return sm_engine_write_file (path, (const char *) png->data, png->len, error);
}

/* ---- object -------------------------------------------------------------------------------------------- */

static void
sm_charts_panel_dispose (GObject *object)
{
  SmChartsPanel *self = SM_CHARTS_PANEL (object);
  GtkWidget *child;

  if (self->engine)
    g_clear_signal_handler (&self->feed_handler, self->engine);
  g_clear_handle_id (&self->scroll_id, g_source_remove);
  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->engine);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->op_ring, g_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), SM_TYPE_CHARTS_PANEL);
  /* children that are not template fields are ours to unparent */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (sm_charts_panel_parent_class)->dispose (object);
}

static void
sm_charts_panel_class_init (SmChartsPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_charts_panel_dispose;

  g_type_ensure (SM_TYPE_CHART);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-charts-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, SmChartsPanel, decode_value);
  gtk_widget_class_bind_template_child (widget_class, SmChartsPanel, ttft_value);
  gtk_widget_class_bind_template_child (widget_class, SmChartsPanel, memory_value);
  gtk_widget_class_bind_template_child (widget_class, SmChartsPanel, tps_chart);
  gtk_widget_class_bind_template_child (widget_class, SmChartsPanel, memory_chart);
  gtk_widget_class_bind_template_child (widget_class, SmChartsPanel, ops_chart);
  gtk_widget_class_bind_template_child (widget_class, SmChartsPanel, pool_chart);
  gtk_widget_class_bind_template_child (widget_class, SmChartsPanel, rate_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmChartsPanel, window_adjustment);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "chartspanel");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
sm_charts_panel_init (SmChartsPanel *self)
{
  GtkLayoutManager *layout;
  const char *tps_names[] = { _("decode"), _("prefill") };
  const GdkRGBA tps_colors[] = { blue, green };
  const char *mem_names[] = { _("resident"), _("pool live") };
  const GdkRGBA mem_colors[] = { purple, orange };
  const char *pool_names[] = { _("hit rate") };
  const char *other[] = { _("other") };

  gtk_widget_init_template (GTK_WIDGET (self));
  self->recent_allocs = NAN;
  self->mem_before[0] = self->mem_before[1] = NAN;
  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 12);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Live charts"), -1);

  self->rate_hz = 10;
  self->window_s = 60;
  self->op_ring = g_array_new (FALSE, FALSE, sizeof (OpPoint));

  sm_chart_set_title (self->tps_chart, _("Tokens per second"));
  sm_chart_set_unit (self->tps_chart, SM_CHART_UNIT_NUMBER, _("tok/s"));
  sm_chart_set_series (self->tps_chart, 2, tps_names, tps_colors);

  sm_chart_set_title (self->memory_chart, _("Memory"));
  sm_chart_set_unit (self->memory_chart, SM_CHART_UNIT_BYTES, NULL);
  sm_chart_set_series (self->memory_chart, 2, mem_names, mem_colors);

  sm_chart_set_title (self->ops_chart, _("Time per token, by operation"));
  sm_chart_set_kind (self->ops_chart, SM_CHART_STACKED);
  sm_chart_set_unit (self->ops_chart, SM_CHART_UNIT_MS, NULL);
  sm_chart_set_series (self->ops_chart, 1, other, &other_color);

  sm_chart_set_title (self->pool_chart, _("Pool hit rate"));
  sm_chart_set_unit (self->pool_chart, SM_CHART_UNIT_PERCENT, NULL);
  sm_chart_set_series (self->pool_chart, 1, pool_names, &teal);
}

void
sm_charts_panel_bind (SmChartsPanel *self, SmEngine *engine, GSettings *settings)
{
  g_return_if_fail (SM_IS_CHARTS_PANEL (self));
  g_return_if_fail (SM_IS_ENGINE (engine));
  g_return_if_fail (self->engine == NULL);

  self->engine = g_object_ref (engine);
  self->settings = g_object_ref (settings);
  g_settings_bind (settings, "chart-rate", self->rate_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  sm_settings_bind_rounded (settings, "chart-window", self->window_adjustment, "value");
  g_signal_connect (settings, "changed", G_CALLBACK (on_setting_changed), self);
  self->feed_handler = g_signal_connect (engine, "stats-updated", G_CALLBACK (on_stats_updated), self);
  apply_rates (self);
}

GtkWidget *
sm_charts_panel_get_chart (SmChartsPanel *self, guint index)
{
  SmChart *charts[] = { self->tps_chart, self->memory_chart, self->ops_chart, self->pool_chart };

  g_return_val_if_fail (SM_IS_CHARTS_PANEL (self), NULL);
  g_return_val_if_fail (index < N_CHARTS, NULL);
  return GTK_WIDGET (charts[index]);
}
