/* test-roofline.c: the Roofline page as a person uses it: the built-in model replies, the page
 * is opened, its points are the reply's ops as the profiler recorded them, hovering a point
 * names it, switching the kernel level moves the points, and the page exports as a PNG.
 *
 * The probe is the quick one ($SM_ROOFLINE_QUICK=1, unless the caller says otherwise, as
 * tools/screenshot does for real figures), which never reads or writes the cache. */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

#include "sm-chat-view.h"
#include "sm-engine-panel.h"
#include "sm-roofline-view.h"
#include "sm-ui-test-util.h"

static SmMessage *
last_message (SmChatView *chat)
{
  return sm_conversation_get_last (sm_chat_view_get_conversation (chat));
}

static gboolean
reply_has_text (gpointer data)
{
  SmMessage *m = last_message (SM_CHAT_VIEW (data));
  return m != NULL && sm_message_get_role (m) == SM_ROLE_ASSISTANT && *sm_message_get_text (m) != '\0';
}

static void
send_prompt (SmWindow *window, const char *text)
{
  SmChatView *chat = sm_window_get_chat_view (window);

  sm_ui_test_type (sm_chat_view_get_prompt_view (chat), text);
  sm_ui_test_click (sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "send_button"));
  sm_ui_test_wait (reply_has_text, chat, 60, "the first tokens");
  sm_ui_test_wait (sm_ui_test_not_generating, chat, 60, "the reply to end");
}

static gboolean
roof_measured (gpointer data)
{
  SmRooflineView *view = data;
  return !sm_roofline_view_get_measuring (view) && sm_roofline_view_get_roof (view) != NULL;
}

/* The profiler's records of the last reply, added up as the page's points are. */
typedef struct {
  SmRooflineView *view;
  SmEngine       *engine;
  GArray         *want;     /* SmRoofPoint, set by the condition */
} Match;

static const SmRoofPoint *
find_point (GArray *points, const SmRoofPoint *p)
{
  for (guint i = 0; points && i < points->len; i++)
    {
      const SmRoofPoint *q = &g_array_index (points, SmRoofPoint, i);
      if (q->op == p->op && q->level == p->level && q->m == p->m && q->n == p->n && q->k == p->k)
        return q;
    }
  return NULL;
}

/* The page shows what the profiler recorded for the reply: each record of the reply with flops
 * and bytes in one point of its op, level and shape, with the same totals. */
static gboolean
points_match_profiler (gpointer data)
{
  Match *m = data;
  g_autoptr (SmSnapshot) snap = sm_engine_dup_snapshot (m->engine, SM_SNAPSHOT_RANGE_REPLY, "test");
  GArray *shown = sm_roofline_view_get_points (m->view);
  g_autoptr (GArray) want = g_array_new (FALSE, TRUE, sizeof (SmRoofPoint));

  for (guint i = 0; i < snap->ops->len; i++)
    {
      const SmOpRecord *r = &g_array_index (snap->ops, SmOpRecord, i);
      SmRoofPoint key = { .op = r->op, .level = r->level, .m = r->m, .n = r->n, .k = r->k };
      SmRoofPoint *p;

      if (r->count == 0 || r->ns == 0 || r->flops <= 0 || r->bytes <= 0)
        continue;
      if ((p = (SmRoofPoint *) find_point (want, &key)) == NULL)
        {
          g_array_append_val (want, key);
          p = &g_array_index (want, SmRoofPoint, want->len - 1);
        }
      p->count += r->count, p->ns += r->ns, p->flops += r->flops, p->bytes += r->bytes;
    }
  if (shown == NULL || shown->len != want->len || want->len == 0)
    return FALSE;
  for (guint i = 0; i < want->len; i++)
    {
      const SmRoofPoint *w = &g_array_index (want, SmRoofPoint, i), *s = find_point (shown, w);
      if (s == NULL || s->count != w->count || s->ns != w->ns)
        return FALSE;
    }
  g_clear_pointer (&m->want, g_array_unref);
  m->want = g_steal_pointer (&want);
  return TRUE;
}

static void
check_points (Match *m, SmKernelLevel level)
{
  GArray *shown = sm_roofline_view_get_points (m->view);
  gboolean kinds[SM_N_OPS] = { FALSE };

  for (guint i = 0; i < shown->len; i++)
    {
      const SmRoofPoint *s = &g_array_index (shown, SmRoofPoint, i), *w = find_point (m->want, s);

      g_assert_nonnull (w);
      g_assert_cmpint (s->level, ==, level);
      /* intensity and GFLOP/s are the profiler's flops over its bytes and its time */
      g_assert_cmpfloat_with_epsilon (sm_roof_point_intensity (s), w->flops / w->bytes, 1e-9 * w->flops / w->bytes);
      g_assert_cmpfloat_with_epsilon (sm_roof_point_gflops (s), w->flops / (double) w->ns,
                                      1e-9 * w->flops / (double) w->ns);
      kinds[s->op] = TRUE;
    }
  g_assert_true (kinds[SM_OP_MATMUL]);
  g_assert_true (kinds[SM_OP_ATTENTION]);
  g_assert_true (kinds[SM_OP_NORM]);
  g_assert_true (kinds[SM_OP_GELU] || kinds[SM_OP_SILU]);
}

/* The matmul of the most time: the point a person looks at first. */
static guint
slowest_matmul (GArray *points)
{
  guint best = G_MAXUINT;

  for (guint i = 0; i < points->len; i++)
    {
      const SmRoofPoint *p = &g_array_index (points, SmRoofPoint, i);
      if (p->op == SM_OP_MATMUL && (best == G_MAXUINT || p->ns > g_array_index (points, SmRoofPoint, best).ns))
        best = i;
    }
  g_assert_cmpuint (best, !=, G_MAXUINT);
  return best;
}

static gboolean
plot_allocated (gpointer data)
{
  double x, y;
  return sm_roofline_view_get_point_position (data, 0, &x, &y);
}

static void
check_tooltip (SmRooflineView *view, SmKernelLevel level)
{
  GArray *points = sm_roofline_view_get_points (view);
  guint i = slowest_matmul (points);
  const SmRoofPoint *p = &g_array_index (points, SmRoofPoint, i);
  g_autofree char *shape = g_strdup_printf ("matmul %d×%d×%d at %s\n", p->m, p->n, p->k,
                                            sm_engine_kernel_level_name (level));
  g_autofree char *tip = NULL;
  double x, y;

  sm_ui_test_wait (plot_allocated, view, 10, "the plot to be laid out");
  g_assert_true (sm_roofline_view_get_point_position (view, i, &x, &y));
  tip = sm_roofline_view_dup_tooltip_at (view, x, y);
  g_test_message ("tooltip at (%.0f, %.0f): %s", x, y, tip);
  g_assert_nonnull (tip);
  /* it names the op, its shape and level (among any points drawn on the same spot) */
  g_assert_nonnull (strstr (tip, shape));
  g_assert_nonnull (strstr (tip, "% of the roof ("));
  g_assert_null (sm_roofline_view_dup_tooltip_at (view, -100, -100));
  /* a pointer a few pixels off a point still finds one */
  g_clear_pointer (&tip, g_free);
  tip = sm_roofline_view_dup_tooltip_at (view, x + 3, y - 3);
  g_assert_nonnull (tip);
}

static SmKernelLevel
engine_level (SmEngine *engine)
{
  SmEngineStats st;
  SmKernelLevel level;

  sm_engine_get_stats (engine, &st);
  level = st.kernel_level;
  sm_engine_stats_clear (&st);
  return level;
}

static gboolean
view_level_is (gpointer data)
{
  gpointer *d = data;
  return sm_roofline_view_get_level (d[0]) == (SmKernelLevel) GPOINTER_TO_INT (d[1]);
}

static void
test_page (void)
{
  SmWindow *window;
  g_autoptr (SmApplication) app = sm_ui_test_start_app (&window);
  SmEngine *engine = sm_window_get_engine (window);
  SmRooflineView *view = SM_ROOFLINE_VIEW (sm_ui_test_child (window, SM_TYPE_WINDOW, "roofline_view"));
  GtkWidget *engine_panel = sm_ui_test_child (window, SM_TYPE_WINDOW, "engine_panel");
  g_autofree char *png_path = g_build_filename (sm_ui_test_dir (), "roofline.png", NULL);
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GError) error = NULL;
  Match m = { view, engine, NULL };
  SmKernelLevel first, second;
  double first_gflops, second_gflops;
  gpointer want_level[2];

  sm_ui_test_wait (sm_ui_test_loaded, window, 60, "the built-in model");
  send_prompt (window, "Once upon a time");
  first = engine_level (engine);

  /* the page, from the main menu's item; it measures the roof the first time */
  g_assert_null (sm_roofline_view_get_roof (view));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "roofline"));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (view)));
  sm_ui_test_wait (roof_measured, view, 60, "the roofline probe");
  {
    g_autoptr (SmRoofline) kept = sm_engine_dup_roofline (engine);   /* the engine keeps it too */
    g_assert_nonnull (kept);
    g_assert_true (kept->quick == sm_roofline_view_get_roof (view)->quick);
  }
  sm_ui_test_wait (points_match_profiler, &m, 30, "the reply's ops as points");
  check_points (&m, first);
  check_tooltip (view, first);
  first_gflops = sm_roof_point_gflops (&g_array_index (sm_roofline_view_get_points (view), SmRoofPoint,
                                                       slowest_matmul (sm_roofline_view_get_points (view))));
  sm_ui_test_spin (200);
  sm_ui_test_screenshot ("roofline");

  /* another kernel level on the Live page, a reply there, and back: the points are the new
   * level's, and the roof's bold line is its peak */
  second = first == SM_KERNEL_LEVEL_SCALAR ? SM_KERNEL_LEVEL_AVX2 : SM_KERNEL_LEVEL_SCALAR;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "live"));
  sm_ui_test_click (sm_ui_test_child (engine_panel, SM_TYPE_ENGINE_PANEL,
                                      second == SM_KERNEL_LEVEL_SCALAR ? "scalar_button" : "avx2_button"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "roofline"));
  want_level[0] = view;
  want_level[1] = GINT_TO_POINTER (second);
  sm_ui_test_wait (view_level_is, want_level, 10, "the new level on the page");
  send_prompt (window, "The little robot");
  sm_ui_test_wait (points_match_profiler, &m, 30, "the second reply's ops as points");
  check_points (&m, second);
  check_tooltip (view, second);
  second_gflops = sm_roof_point_gflops (&g_array_index (sm_roofline_view_get_points (view), SmRoofPoint,
                                                        slowest_matmul (sm_roofline_view_get_points (view))));
  g_test_message ("slowest matmul: %.2f GFLOP/s at %s, %.2f at %s", first_gflops,
                  sm_engine_kernel_level_name (first), second_gflops, sm_engine_kernel_level_name (second));
  g_assert_cmpfloat (first_gflops, !=, second_gflops);

  /* Measure Again runs the probe afresh */
  sm_ui_test_click (sm_ui_test_child (view, SM_TYPE_ROOFLINE_VIEW, "measure_button"));
  g_assert_true (sm_roofline_view_get_measuring (view));
  sm_ui_test_wait (roof_measured, view, 60, "the probe again");

  /* the page as a PNG that gdk-pixbuf reads back */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "roofline.export-to", "s", png_path));
  pixbuf = gdk_pixbuf_new_from_file (png_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 900);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, 600);

  /* the snapshot keeps the roof */
  {
    g_autoptr (SmSnapshot) snap = sm_engine_dup_snapshot (engine, SM_SNAPSHOT_RANGE_REPLY, "test");
    g_assert_nonnull (snap->roofline);
  }
  g_clear_pointer (&m.want, g_array_unref);
  sm_ui_test_close_window (window);
}

int
main (int argc, char **argv)
{
  int rc;

  if (g_getenv ("SM_ROOFLINE_QUICK") == NULL)
    g_setenv ("SM_ROOFLINE_QUICK", "1", TRUE);
  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/Roofline/page", test_page);
  rc = g_test_run ();
  sm_ui_test_cleanup ();
  return rc;
}
