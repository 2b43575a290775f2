/* sm-train-window.c: the Train a Model window.
 *
 * The set-up (a corpus, a shape, the steps) becomes one SmEngineTrainRequest; the run is the
 * engine's (sm_engine_train_async), so this window only draws what it reports: a record per
 * step, gathered here and drawn at most once per frame (the loss and tok/s charts, the status
 * line, the per-op tables of the forward and backward passes).  Pause, Stop and Checkpoint are
 * the engine's calls too.  When the run ends, Chat with It asks the main window to load the
 * trained model (win.load-model) and closes this one; closing it during a run stops the run.
 */
#define G_LOG_DOMAIN "SmTrainWindow"

#include <glib/gi18n.h>
#include <math.h>

#include "sm-chart.h"
#include "sm-train-window.h"

typedef enum {
  SHAPE_TINY = 0,
  SHAPE_SMALL,
  SHAPE_MEDIUM,
  SHAPE_CUSTOM,
} Shape;

typedef struct {
  double seconds, train, valid, tps;   /* valid: NAN when not measured at this step */
} Point;

struct _SmTrainWindow {
  AdwWindow          parent_instance;

  /* template children */
  AdwToastOverlay   *toasts;
  GtkWidget         *setup_box;
  AdwComboRow       *corpus_row;
  AdwActionRow      *file_row;
  AdwComboRow       *shape_row;
  GtkAdjustment     *dim_adjustment;
  GtkAdjustment     *layers_adjustment;
  GtkAdjustment     *heads_adjustment;
  GtkAdjustment     *context_adjustment;
  GtkWidget         *dim_spin, *layers_spin, *heads_spin, *context_spin;
  GtkAdjustment     *steps_adjustment;
  GtkWidget         *start_button;
  GtkButton         *pause_button;
  GtkWidget         *stop_button;
  GtkWidget         *checkpoint_button;
  GtkWidget         *chat_button;
  GtkLabel          *status_label;
  GtkProgressBar    *progress_bar;
  SmChart           *loss_chart;
  SmChart           *tps_chart;
  AdwPreferencesGroup *forward_group;
  AdwPreferencesGroup *backward_group;

  SmEngine          *engine;
  GtkWindow         *target;         /* where win.load-model goes */
  char              *output_dir;
  char              *corpus_path;    /* the chosen text file */
  GtkNativeDialog   *chooser;

  GCancellable      *cancel;         /* of the run under way; NULL when none */
  gboolean           paused;
  char              *output_path;    /* the run's */
  char              *model_path;     /* the finished run's model */
  GArray            *points;         /* Point, a step each */
  SmEngineTrainProgress last;        /* the newest record */
  int                checkpoint_step; /* of the run's last checkpoint; 0: none */
  guint              redraw_id;
  GtkWidget         *op_rows[2][SM_N_OPS];   /* forward, backward: a row per op seen */
  gboolean           disposed;       /* a run's last records may come after the close */
};

G_DEFINE_FINAL_TYPE (SmTrainWindow, sm_train_window, ADW_TYPE_WINDOW)

static const GdkRGBA blue = { 0.208, 0.518, 0.894, 1 };
static const GdkRGBA orange = { 1.0, 0.471, 0.0, 1 };
static const GdkRGBA green = { 0.180, 0.761, 0.494, 1 };

/* ---- state -------------------------------------------------------------------------------------- */

static void
update_actions (SmTrainWindow *self)
{
  const gboolean running = self->cancel != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.start", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.pause", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.stop", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.checkpoint", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.chat", !running && self->model_path != NULL);
  gtk_widget_set_visible (self->chat_button, !running && self->model_path != NULL);
  gtk_widget_set_sensitive (self->setup_box, !running);
  gtk_button_set_label (self->pause_button, self->paused ? _("_Resume") : _("_Pause"));
}

/* The shape rows show the chosen preset's sizes; only Custom lets them change. */
static void
on_shape_changed (SmTrainWindow *self)
{
  static const struct { int dim, layers, heads, context; } shapes[] = {
    [SHAPE_TINY] = { 32, 1, 2, 32 },
    [SHAPE_SMALL] = { 128, 2, 4, 64 },
    [SHAPE_MEDIUM] = { 256, 4, 8, 128 },
  };
  Shape shape = adw_combo_row_get_selected (self->shape_row);
  const gboolean custom = shape == SHAPE_CUSTOM;

  if (!custom && shape < G_N_ELEMENTS (shapes))
    {
      gtk_adjustment_set_value (self->dim_adjustment, shapes[shape].dim);
      gtk_adjustment_set_value (self->layers_adjustment, shapes[shape].layers);
      gtk_adjustment_set_value (self->heads_adjustment, shapes[shape].heads);
      gtk_adjustment_set_value (self->context_adjustment, shapes[shape].context);
    }
  gtk_widget_set_sensitive (self->dim_spin, custom);
  gtk_widget_set_sensitive (self->layers_spin, custom);
  gtk_widget_set_sensitive (self->heads_spin, custom);
  gtk_widget_set_sensitive (self->context_spin, custom);
}

static void
on_corpus_changed (SmTrainWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->file_row), adw_combo_row_get_selected (self->corpus_row) == 1);
}

/* ---- drawing what the run reports ----------------------------------------------------------- */

static char *
format_ms (double ns)
{
  return ns >= 1e9 ? g_strdup_printf (_("%.1f s"), ns / 1e9) : g_strdup_printf (_("%.1f ms"), ns / 1e6);
}

static void
update_profile (SmTrainWindow *self)
{
  const SmOpStats *passes[2] = { self->last.forward, self->last.backward };
  AdwPreferencesGroup *groups[2] = { self->forward_group, self->backward_group };

  for (int p = 0; p < 2; p++)
    {
      double total = 0;

      for (int o = 0; o < SM_N_OPS; o++)
        total += passes[p][o].ns;
      for (int o = 0; o < SM_N_OPS; o++)
        {
          const SmOpStats *op = &passes[p][o];
          g_autofree char *time = NULL, *subtitle = NULL;
          GtkWidget *row = self->op_rows[p][o];
          double share = total > 0 ? op->ns / total : 0;

          if (op->count == 0)
            continue;
          if (row == NULL)
            {
              GtkWidget *bar = gtk_level_bar_new_for_interval (0, 1);

              row = adw_action_row_new ();
              adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), sm_op_kind_name (o));
              gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
              gtk_widget_set_size_request (bar, 90, -1);
              adw_action_row_add_suffix (ADW_ACTION_ROW (row), bar);
              g_object_set_data (G_OBJECT (row), "sm-bar", bar);
              adw_preferences_group_add (groups[p], row);
              self->op_rows[p][o] = row;
            }
          time = format_ms (op->ns);
          /* Translators: an op's time in a pass and its share of the pass: "12.3 ms · 41 %" */
          subtitle = g_strdup_printf (_("%s · %.0f %%"), time, 100 * share);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
          gtk_level_bar_set_value (g_object_get_data (G_OBJECT (row), "sm-bar"), share);
        }
    }
}

/* The validation losses are a point every few steps: the chart's line joins them straight
 * (between measured points only, so nothing is drawn that was not measured). */
static double
valid_at (SmTrainWindow *self, guint i)
{
  const Point *pts = (const Point *) self->points->data;
  int before = -1, after = -1;

  if (!isnan (pts[i].valid))
    return pts[i].valid;
  for (int k = (int) i - 1; k >= 0 && before < 0; k--)
    if (!isnan (pts[k].valid))
      before = k;
  for (guint k = i + 1; k < self->points->len && after < 0; k++)
    if (!isnan (pts[k].valid))
      after = (int) k;
  if (before < 0 || after < 0)
    return NAN;
  return pts[before].valid + (pts[after].valid - pts[before].valid) *
         (pts[i].seconds - pts[before].seconds) / MAX (pts[after].seconds - pts[before].seconds, 1e-9);
}

static void
update_charts (SmTrainWindow *self)
{
  const guint n = self->points->len;
  const Point *pts = (const Point *) self->points->data;
  /* a long run's thousands of steps: at most ~600 points drawn, always with the newest */
  const guint stride = MAX (n / 600, 1);
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) losses = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) tps = g_array_new (FALSE, FALSE, sizeof (double));
  double now;

  if (n == 0)
    return;
  now = pts[n - 1].seconds;
  for (guint i = (n - 1) % stride; i < n; i += stride)
    {
      double t = pts[i].seconds - now, v = valid_at (self, i);

      g_array_append_val (times, t);
      g_array_append_val (losses, pts[i].train);
      g_array_append_val (losses, v);
      g_array_append_val (tps, pts[i].tps);
    }
  /* the x axis is the run's training time, all of it */
  sm_chart_set_message (self->loss_chart, NULL);
  sm_chart_set_window (self->loss_chart, MAX (now, 0.05));
  sm_chart_set_points (self->loss_chart, times->len, (double *) times->data, (double *) losses->data);
  sm_chart_set_window (self->tps_chart, MAX (now, 0.05));
  sm_chart_set_points (self->tps_chart, times->len, (double *) times->data, (double *) tps->data);
}

static void
update_status (SmTrainWindow *self)
{
  const SmEngineTrainProgress *p = &self->last;
  g_autofree char *status = NULL;

  if (p->step == 0)
    return;
  if (self->paused && self->cancel != NULL)
    /* Translators: the status of a paused run: "Paused at step 120 of 500" */
    status = g_strdup_printf (_("Paused at step %d of %d"), p->step, p->max_steps);
  else
    /* Translators: "Step 120 of 500 · 2300 tok/s · loss 2.31" */
    status = g_strdup_printf (_("Step %d of %d · %.0f tok/s · loss %.2f"), p->step, p->max_steps,
                              p->tokens_per_s, p->train_loss);
  if (self->cancel != NULL)
    gtk_label_set_text (self->status_label, status);
  gtk_progress_bar_set_fraction (self->progress_bar, (double) p->step / MAX (p->max_steps, 1));
}

static gboolean
redraw_cb (gpointer data)
{
  SmTrainWindow *self = data;

  self->redraw_id = 0;
  update_charts (self);
  update_status (self);
  update_profile (self);
  return G_SOURCE_REMOVE;
}

static void
queue_redraw (SmTrainWindow *self)
{
  if (self->redraw_id == 0)
    self->redraw_id = g_timeout_add_full (G_PRIORITY_DEFAULT_IDLE, 100, redraw_cb, self, NULL);
}

/* Main context, a record per step.  @data is a weak pointer: the window may be gone. */
static void
on_progress (SmEngine *engine, const SmEngineTrainProgress *p, gpointer data)
{
  SmTrainWindow *self = g_weak_ref_get (data);
  Point pt;

  if (self == NULL)
    return;
  if (self->disposed)
    {
      g_object_unref (self);
      return;
    }
  pt.seconds = p->seconds;
  pt.train = p->train_loss;
  pt.valid = p->valid_loss;
  pt.tps = p->tokens_per_s;
  g_array_append_val (self->points, pt);
  self->last = *p;
  queue_redraw (self);
  g_object_unref (self);
}

static void
weak_ref_free (gpointer p)
{
  g_weak_ref_clear (p);
  g_free (p);
}

static void
on_trained (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (SmTrainWindow) self = g_weak_ref_get (data);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = sm_engine_train_finish (SM_ENGINE (source), result, &error);

  weak_ref_free (data);
  if (self == NULL || self->disposed)
    return;
  g_clear_object (&self->cancel);
  self->paused = FALSE;
  /* the finish has just delivered the last records: draw them now, not after */
  g_clear_handle_id (&self->redraw_id, g_source_remove);
  redraw_cb (self);
  if (path != NULL)
    {
      g_autofree char *status = NULL;

      g_free (self->model_path);
      self->model_path = g_steal_pointer (&path);
      /* Translators: the end of a run: "Done: 500 steps, validation loss 1.92" */
      status = isnan (self->last.valid_loss)
               ? g_strdup_printf (_("Done: %d steps"), self->last.step)
               : g_strdup_printf (_("Done: %d steps, validation loss %.2f"), self->last.step,
                                  self->last.valid_loss);
      gtk_label_set_text (self->status_label, status);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* a checkpoint taken before stays, and is a model to chat with */
      if (self->checkpoint_step > 0 && g_file_test (self->output_path, G_FILE_TEST_IS_REGULAR))
        {
          g_free (self->model_path);
          self->model_path = g_strdup (self->output_path);
        }
      gtk_label_set_text (self->status_label,
                          self->model_path ? _("Stopped; the last checkpoint is kept")
                                           : _("Stopped"));
    }
  else
    gtk_label_set_text (self->status_label, error->message);
  update_actions (self);
}

/* ---- actions ------------------------------------------------------------------------------------ */

static void
reset_run (SmTrainWindow *self)
{
  g_array_set_size (self->points, 0);
  memset (&self->last, 0, sizeof self->last);
  g_clear_pointer (&self->model_path, g_free);
  self->checkpoint_step = 0;
  for (int p = 0; p < 2; p++)
    for (int o = 0; o < SM_N_OPS; o++)
      if (self->op_rows[p][o] != NULL)
        {
          adw_preferences_group_remove (p ? self->backward_group : self->forward_group, self->op_rows[p][o]);
          self->op_rows[p][o] = NULL;
        }
  sm_chart_set_points (self->loss_chart, 0, NULL, NULL);
  sm_chart_set_points (self->tps_chart, 0, NULL, NULL);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
}

static void
start_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmTrainWindow *self = SM_TRAIN_WINDOW (widget);
  Shape shape = adw_combo_row_get_selected (self->shape_row);
  gboolean file = adw_combo_row_get_selected (self->corpus_row) == 1;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *base = g_strdup_printf ("trained-%s.smck", stamp);
  g_autofree char *corpus_name = NULL, *model_name = NULL;
  SmEngineTrainRequest req;
  GWeakRef *ref;

  if (file && self->corpus_path == NULL)
    {
      gtk_label_set_text (self->status_label, _("Choose a text file to train on first."));
      return;
    }
  if (g_mkdir_with_parents (self->output_dir, 0755) != 0)
    {
      g_autofree char *msg = g_strdup_printf (_("Cannot make the folder %s"), self->output_dir);
      gtk_label_set_text (self->status_label, msg);
      return;
    }
  reset_run (self);
  g_free (self->output_path);
  self->output_path = g_build_filename (self->output_dir, base, NULL);
  corpus_name = file ? g_path_get_basename (self->corpus_path) : g_strdup (_("stories"));
  /* Translators: the name of a model trained in the window: "Trained on stories" */
  model_name = g_strdup_printf (_("Trained on %s"), corpus_name);

  sm_engine_train_request_init (&req);
  req.corpus_path = file ? self->corpus_path : NULL;
  req.preset = shape == SHAPE_MEDIUM ? SM_PRESET_MEDIUM : SM_PRESET_SMALL;
  req.dim = (int) gtk_adjustment_get_value (self->dim_adjustment);
  req.n_layers = (int) gtk_adjustment_get_value (self->layers_adjustment);
  req.n_heads = (int) gtk_adjustment_get_value (self->heads_adjustment);
  req.context = (int) gtk_adjustment_get_value (self->context_adjustment);
  req.steps = (int) gtk_adjustment_get_value (self->steps_adjustment);
  if (shape == SHAPE_TINY)
    req.lr = 3e-3;   /* a tiny model takes a bolder step */
  req.output_path = self->output_path;
  req.name = model_name;

  self->cancel = g_cancellable_new ();
  self->paused = FALSE;
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  {
    GWeakRef *pref = g_new0 (GWeakRef, 1);
    g_weak_ref_init (pref, self);
    sm_engine_train_async (self->engine, &req, on_progress, pref, weak_ref_free, self->cancel,
                           on_trained, ref);
  }
  gtk_label_set_text (self->status_label, _("Preparing the corpus and the model…"));
  update_actions (self);
}

static void
pause_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmTrainWindow *self = SM_TRAIN_WINDOW (widget);

  self->paused = !self->paused;
  sm_engine_train_set_paused (self->engine, self->paused);
  update_status (self);
  update_actions (self);
}

static void
stop_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmTrainWindow *self = SM_TRAIN_WINDOW (widget);

  if (self->cancel != NULL)
    g_cancellable_cancel (self->cancel);
}

static void
on_checkpoint (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (SmTrainWindow) self = data;
  g_autoptr (GError) error = NULL;
  int step = sm_engine_train_checkpoint_finish (SM_ENGINE (source), result, &error);
  g_autofree char *msg = NULL;

  if (self->disposed)
    return;
  if (step > 0)
    {
      self->checkpoint_step = step;
      /* Translators: a toast: "Checkpoint saved at step 120" */
      msg = g_strdup_printf (_("Checkpoint saved at step %d"), step);
    }
  else
    msg = g_strdup (error->message);
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (msg));
}

static void
checkpoint_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmTrainWindow *self = SM_TRAIN_WINDOW (widget);

  sm_engine_train_checkpoint_async (self->engine, NULL, on_checkpoint, g_object_ref (self));
}

static void
chat_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmTrainWindow *self = SM_TRAIN_WINDOW (widget);

  if (self->model_path == NULL)
    return;
  if (self->target != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self->target), "win.load-model", "s", self->model_path);
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_file_chosen (GtkNativeDialog *dialog, int response, gpointer data)
{
  SmTrainWindow *self = data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        {
          g_free (self->corpus_path);
          self->corpus_path = g_steal_pointer (&path);
          adw_action_row_set_subtitle (self->file_row, self->corpus_path);
        }
    }
  g_clear_object (&self->chooser);
}

static void
choose_file_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmTrainWindow *self = SM_TRAIN_WINDOW (widget);
  GtkFileChooserNative *chooser;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Choose a Text File"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Text files"));
  gtk_file_filter_add_mime_type (filter, "text/plain");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), g_object_ref (filter));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (on_file_chosen), self);
  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->chooser);
}

/* ---- object ------------------------------------------------------------------------------------ */

static void
sm_train_window_dispose (GObject *object)
{
  SmTrainWindow *self = SM_TRAIN_WINDOW (object);

  self->disposed = TRUE;
  /* closing the window ends its run: nothing would show it any more */
  if (self->cancel != NULL)
    {
      sm_engine_train_set_paused (self->engine, FALSE);
      g_cancellable_cancel (self->cancel);
      g_clear_object (&self->cancel);
    }
  g_clear_handle_id (&self->redraw_id, g_source_remove);
  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }
  g_clear_object (&self->engine);
  gtk_widget_dispose_template (GTK_WIDGET (self), SM_TYPE_TRAIN_WINDOW);
  G_OBJECT_CLASS (sm_train_window_parent_class)->dispose (object);
}

static void
sm_train_window_finalize (GObject *object)
{
  SmTrainWindow *self = SM_TRAIN_WINDOW (object);

  g_free (self->output_dir);
  g_free (self->corpus_path);
  g_free (self->output_path);
  g_free (self->model_path);
  g_array_unref (self->points);
  G_OBJECT_CLASS (sm_train_window_parent_class)->finalize (object);
}

static void
sm_train_window_class_init (SmTrainWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_train_window_dispose;
  object_class->finalize = sm_train_window_finalize;

  g_type_ensure (SM_TYPE_CHART);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-train-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, setup_box);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, corpus_row);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, file_row);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, shape_row);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, dim_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, layers_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, heads_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, context_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, dim_spin);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, layers_spin);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, heads_spin);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, context_spin);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, steps_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, start_button);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, stop_button);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, checkpoint_button);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, chat_button);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, loss_chart);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, tps_chart);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, forward_group);
  gtk_widget_class_bind_template_child (widget_class, SmTrainWindow, backward_group);

  gtk_widget_class_install_action (widget_class, "train.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "train.pause", NULL, pause_action);
  gtk_widget_class_install_action (widget_class, "train.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "train.checkpoint", NULL, checkpoint_action);
  gtk_widget_class_install_action (widget_class, "train.chat", NULL, chat_action);
  gtk_widget_class_install_action (widget_class, "train.choose-file", NULL, choose_file_action);
}

static void
sm_train_window_init (SmTrainWindow *self)
{
  const char *loss_names[] = { _("Training"), _("Validation") };
  const GdkRGBA loss_colors[] = { blue, orange };
  const char *tps_names[] = { _("Training") };

  gtk_widget_init_template (GTK_WIDGET (self));
  self->points = g_array_new (FALSE, FALSE, sizeof (Point));

  sm_chart_set_title (self->loss_chart, _("Loss"));
  sm_chart_set_unit (self->loss_chart, SM_CHART_UNIT_NUMBER, _("nats/token"));
  sm_chart_set_series (self->loss_chart, 2, loss_names, loss_colors);
  sm_chart_set_message (self->loss_chart, _("Start a run to see its loss"));
  sm_chart_set_title (self->tps_chart, _("Training Speed"));
  sm_chart_set_unit (self->tps_chart, SM_CHART_UNIT_NUMBER, _("tok/s"));
  sm_chart_set_series (self->tps_chart, 1, tps_names, &green);

  g_signal_connect_swapped (self->shape_row, "notify::selected", G_CALLBACK (on_shape_changed), self);
  g_signal_connect_swapped (self->corpus_row, "notify::selected", G_CALLBACK (on_corpus_changed), self);
  on_shape_changed (self);
  update_actions (self);
}

SmTrainWindow *
sm_train_window_new (GtkWindow *parent, SmEngine *engine, const char *output_dir)
{
  SmTrainWindow *self;

  g_return_val_if_fail (SM_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (output_dir != NULL, NULL);

  self = g_object_new (SM_TYPE_TRAIN_WINDOW, "transient-for", parent, NULL);
  self->target = parent;
  self->engine = g_object_ref (engine);
  self->output_dir = g_strdup (output_dir);
  return self;
}

gboolean
sm_train_window_get_running (SmTrainWindow *self)
{
  g_return_val_if_fail (SM_IS_TRAIN_WINDOW (self), FALSE);
  return self->cancel != NULL;
}

int
sm_train_window_get_step (SmTrainWindow *self)
{
  g_return_val_if_fail (SM_IS_TRAIN_WINDOW (self), 0);
  return self->last.step;
}

const char *
sm_train_window_get_model_path (SmTrainWindow *self)
{
  g_return_val_if_fail (SM_IS_TRAIN_WINDOW (self), NULL);
  return self->model_path;
}
