/* bench-window.c: the decode speed the window shows, and how long its main loop ever waited.
 *
 *   bench-window [--model FILE] [--runs N] [--tokens N] [--no-panel] [--hidden]
 *
 * --no-panel hides the charts, --hidden the whole window (no layout or drawing at all: what is
 * left is the window's cost on the engine itself); the frame times it prints say what layout
 * and drawing cost.  --write-long-model FILE writes the tests' long-context model and exits.
 *
 * Drives the window as test-window does (greedy sampling, a fresh conversation per run, the
 * prompt "Once upon a time"), reads the tok/s printed under each reply, and prints the median
 * and the longest main-loop stall.  Compare with the CLI on the same model and settings:
 *   smallmind-cli generate --preset small -n N -p "Once upon a time"
 * Not a test: speed is never asserted (`meson test --benchmark` runs it). */
#include <stdlib.h>
#include <time.h>

#include "sm-message.h"
#include "sm-sampling-panel.h"
#include "sm-ui-test-util.h"

static gboolean
loaded (gpointer data)
{
  return !sm_window_get_loading (SM_WINDOW (data));
}

static gboolean
not_generating (gpointer data)
{
  return !sm_chat_view_get_generating (SM_CHAT_VIEW (data));
}

/* How long the window's frames take (before-paint to after-paint), for the report. */
static gint64 frame_start, layout_end;
static double frame_max_ms, frame_total_ms, layout_total_ms, paint_total_ms;
static guint frame_count;

static void
on_layout (GdkFrameClock *clock, gpointer data)
{
  layout_end = g_get_monotonic_time ();
  layout_total_ms += (layout_end - frame_start) / 1000.0;
}

static void
on_paint (GdkFrameClock *clock, gpointer data)
{
  paint_total_ms += (g_get_monotonic_time () - layout_end) / 1000.0;
}

static void
on_before_paint (GdkFrameClock *clock, gpointer data)
{
  frame_start = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *clock, gpointer data)
{
  double ms = (g_get_monotonic_time () - frame_start) / 1000.0;

  frame_max_ms = MAX (frame_max_ms, ms);
  frame_total_ms += ms;
  frame_count++;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  g_autofree char *model = NULL;
  int runs = 20, tokens = 1000;
  gboolean no_panel = FALSE, hidden = FALSE;
  g_autofree char *write_long = NULL;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Model file (default: the Small preset)", "FILE" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Replies to time (default 20)", "N" },
    { "tokens", 'n', 0, G_OPTION_ARG_INT, &tokens, "Max tokens per reply (default 1000)", "N" },
    { "no-panel", 0, 0, G_OPTION_ARG_NONE, &no_panel, "Hide the engine panel (its charts)", NULL },
    { "hidden", 0, 0, G_OPTION_ARG_NONE, &hidden, "Hide the window: no layout or drawing at all", NULL },
    { "write-long-model", 0, 0, G_OPTION_ARG_FILENAME, &write_long, "Write the tests' long-context model here and exit", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmApplication) app = NULL;
  g_autofree double *tps = NULL;
  SmWindow *window;
  SmChatView *chat;
  GtkWidget *sampling;
  double stall = 0, ui_cpu = 0, wall = 0;
  int generated = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  sm_ui_test_init (&argc, &argv);
  if (write_long != NULL)
    {
      g_autofree char *path = sm_ui_test_long_model ();
      g_autoptr (GFile) from = g_file_new_for_path (path);
      g_autoptr (GFile) to = g_file_new_for_path (write_long);
      gboolean ok = g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error);

      sm_ui_test_cleanup ();
      if (!ok)
        g_printerr ("%s\n", error->message);
      return ok ? 0 : 1;
    }

  app = sm_ui_test_start_app (&window);
  chat = sm_window_get_chat_view (window);
  sm_ui_test_wait (loaded, window, 60, "the model");
  if (model != NULL)
    {
      gtk_widget_activate_action (GTK_WIDGET (window), "win.load-model", "s", model);
      sm_ui_test_wait (loaded, window, 60, "the model");
    }
  else
    {
      gtk_widget_activate_action (GTK_WIDGET (window), "win.load-preset", "s", "small");
      sm_ui_test_wait (loaded, window, 60, "the model");
    }

  /* the CLI's settings: greedy, the same token limit */
  sampling = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), SM_TYPE_WINDOW, "sampling_panel"));
  gtk_adjustment_set_value (GTK_ADJUSTMENT (gtk_widget_get_template_child (sampling, SM_TYPE_SAMPLING_PANEL,
                                                                             "temperature_adjustment")), 0);
  gtk_adjustment_set_value (GTK_ADJUSTMENT (gtk_widget_get_template_child (sampling, SM_TYPE_SAMPLING_PANEL,
                                                                             "max_tokens_adjustment")), tokens);

  if (no_panel)
    g_object_set (window, "sidebar-visible", FALSE, NULL);
  if (hidden)
    gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  if (gtk_widget_get_frame_clock (GTK_WIDGET (window)) != NULL)
    {
      g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "before-paint", G_CALLBACK (on_before_paint), NULL);
      g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint", G_CALLBACK (on_after_paint), NULL);
      g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "layout", G_CALLBACK (on_layout), NULL);
      g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "paint", G_CALLBACK (on_paint), NULL);
    }
  /* frames while nothing happens: should be none */
  sm_ui_test_spin (1000);
  g_print ("window: %u frames in a second of nothing\n", frame_count);
  frame_count = 0;
  frame_total_ms = layout_total_ms = paint_total_ms = frame_max_ms = 0;
  tps = g_new0 (double, runs);
  for (int r = 0; r < runs; r++)
    {
      const SmMessageFigures *f;

      gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
      sm_ui_test_type (sm_chat_view_get_prompt_view (chat), "Once upon a time");
      /* a person types, then sends: the window has settled by then */
      sm_ui_test_spin (100);
      struct timespec c0, c1;
      gint64 w0 = g_get_monotonic_time ();

      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c0);
      sm_ui_test_stall_start ();
      gtk_widget_activate_action (GTK_WIDGET (chat), "chat.send", NULL);
      sm_ui_test_wait (not_generating, chat, 120, "the reply");
      stall = MAX (stall, sm_ui_test_stall_stop ());
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c1);
      /* the main loop's own CPU while the reply ran: what the window takes from the engine */
      ui_cpu += (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9;
      wall += (g_get_monotonic_time () - w0) / 1e6;
      f = sm_message_get_figures (sm_conversation_get_last (sm_chat_view_get_conversation (chat)));
      g_assert_nonnull (f);
      tps[r] = f->decode_tps;
      generated = f->generated_tokens;
      /* let the window draw what came, as a person would see it */
      sm_ui_test_spin (50);
    }
  qsort (tps, runs, sizeof (double), cmp_double);
  g_print ("window: %d runs of %d tokens: decode median %.0f tok/s (min %.0f, max %.0f); "
           "longest main-loop stall %.1f ms; main thread busy %.0f%% of the replies' time\n",
           runs, generated, tps[runs / 2], tps[0], tps[runs - 1], stall, 100 * ui_cpu / MAX (wall, 1e-9));
  g_print ("window: %u frames, %.1f ms on average (layout %.1f, drawing %.1f), the longest %.1f ms\n",
           frame_count, frame_total_ms / MAX (frame_count, 1), layout_total_ms / MAX (frame_count, 1),
           paint_total_ms / MAX (frame_count, 1), frame_max_ms);

  gtk_window_close (GTK_WINDOW (window));
  sm_ui_test_spin (200);
  sm_ui_test_cleanup ();
  return 0;
}
