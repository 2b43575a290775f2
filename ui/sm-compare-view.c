/* sm-compare-view.c: two runs side by side. */
#define G_LOG_DOMAIN "SmCompareView"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "sm-compare-view.h"
#include "sm-engine.h"

#define MAX_ROWS 10

struct _SmCompareView {
  GtkWidget     parent_instance;

  /* template children */
  AdwActionRow *baseline_row;
  AdwActionRow *current_row;
  GtkWidget    *result_box;
  GtkLabel     *verdict_label;
  GtkLabel     *summary_label;
  GtkWidget    *improved_title;
  GtkListBox   *improved_list;
  GtkWidget    *regressed_title;
  GtkListBox   *regressed_list;

  SmEngine     *engine;
  SmSnapshotRange range;
  char         *baseline_path;
  char         *current_path;    /* NULL: the current run */
  char         *report;          /* Markdown of the last comparison */
  const char   *verdict;

  GtkNativeDialog *chooser;
};

G_DEFINE_FINAL_TYPE (SmCompareView, sm_compare_view, GTK_TYPE_WIDGET)

static void
show_error (SmCompareView *self, const char *title, const char *message)
{
  if (!gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "(ss)", title, message))
    g_warning ("%s: %s", title, message);
}

static void
update_rows (SmCompareView *self)
{
  g_autofree char *base = self->baseline_path ? g_filename_display_basename (self->baseline_path) : NULL;
  g_autofree char *curr = self->current_path ? g_filename_display_basename (self->current_path) : NULL;

  adw_action_row_set_subtitle (self->baseline_row, base ? base : _("No file chosen"));
  static const char *const ranges[SM_N_SNAPSHOT_RANGES] = {
    N_("The current run: the last reply"),
    N_("The current run: since the model was loaded"),
    N_("The current run: since the statistics were reset"),
  };

  adw_action_row_set_subtitle (self->current_row, curr ? curr : _(ranges[self->range]));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.run",
                                 self->baseline_path != NULL && (self->current_path || self->engine));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.export", self->report != NULL);
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
add_result_row (GtkListBox *list, const SmCompareRow *r)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = NULL;
  g_autofree char *delta = NULL;
  GtkWidget *label;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), r->name);
  /* Translators: a scope's time in the baseline and in the compared run */
  subtitle = g_strdup_printf (_("%.3f ms → %.3f ms"), r->prev_ms, r->curr_ms);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  delta = g_strdup_printf ("%+.1f %%", r->delta_pct);
  label = gtk_label_new (delta);
  gtk_widget_add_css_class (label, "numeric");
  gtk_widget_add_css_class (label, r->status == SM_ROW_IMPROVED ? "success" : "error");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  gtk_list_box_append (list, row);
}

static void
show_comparison (SmCompareView *self, const SmComparison *c)
{
  guint n_improved = 0, n_regressed = 0;
  g_autofree char *summary = NULL;
  const char *css[] = { "stable", "improved", "regressed" };

  self->verdict = sm_verdict_to_string (c->verdict);
  switch (c->verdict)
    {
    case SM_VERDICT_IMPROVED:
      gtk_label_set_text (self->verdict_label, _("Improved"));
      break;
    case SM_VERDICT_REGRESSED:
      gtk_label_set_text (self->verdict_label, _("Regressed"));
      break;
    case SM_VERDICT_STABLE:
    default:
      gtk_label_set_text (self->verdict_label, _("Stable"));
    }
  for (guint i = 0; i < G_N_ELEMENTS (css); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_label), css[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->verdict_label), css[c->verdict]);

  /* Translators: total time of the baseline → the compared run, and the change */
  summary = g_strdup_printf (_("Total %.2f ms → %.2f ms (%+.1f %%)%s"), c->prev_total_ms, c->curr_total_ms,
                             c->total_delta_pct, c->total_is_noise ? _(", within run-to-run noise") : "");
  gtk_label_set_text (self->summary_label, summary);

  clear_list (self->improved_list);
  clear_list (self->regressed_list);
  /* rows come largest change first */
  for (guint i = 0; i < c->rows->len; i++)
    {
      const SmCompareRow *r = g_ptr_array_index (c->rows, i);
      if (r->status == SM_ROW_IMPROVED && n_improved < MAX_ROWS)
        {
          add_result_row (self->improved_list, r);
          n_improved++;
        }
      else if (r->status == SM_ROW_REGRESSED && n_regressed < MAX_ROWS)
        {
          add_result_row (self->regressed_list, r);
          n_regressed++;
        }
    }
  gtk_widget_set_visible (self->improved_title, n_improved > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->improved_list), n_improved > 0);
  gtk_widget_set_visible (self->regressed_title, n_regressed > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->regressed_list), n_regressed > 0);
  gtk_widget_set_visible (self->result_box, TRUE);
}

void
sm_compare_view_set_range (SmCompareView *self, SmSnapshotRange range)
{
  g_return_if_fail (SM_IS_COMPARE_VIEW (self));
  self->range = range;
  update_rows (self);
}

gboolean
sm_compare_view_compare_files (SmCompareView *self, const char *baseline_path,
                               const char *current_path, GError **error)
{
  g_autoptr (SmComparison) c = NULL;

  g_return_val_if_fail (SM_IS_COMPARE_VIEW (self), FALSE);
  g_return_val_if_fail (baseline_path != NULL, FALSE);

  if (baseline_path != self->baseline_path)
    {
      g_free (self->baseline_path);
      self->baseline_path = g_strdup (baseline_path);
    }
  if (current_path != self->current_path)
    {
      g_free (self->current_path);
      self->current_path = g_strdup (current_path);
    }
  update_rows (self);

  if (current_path == NULL && self->engine == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no run to compare with"));
      return FALSE;
    }
  g_clear_pointer (&self->report, g_free);
  c = sm_engine_compare_runs (self->engine, baseline_path, current_path, self->range,
                              _("current run"), &self->report, error);
  if (c == NULL)
    {
      /* the previous result is not this comparison's: showing it would answer wrongly */
      gtk_widget_set_visible (self->result_box, FALSE);
      self->verdict = NULL;
      return FALSE;
    }
  show_comparison (self, c);
  update_rows (self);
  return TRUE;
}

char *
sm_compare_view_dup_report (SmCompareView *self)
{
  g_return_val_if_fail (SM_IS_COMPARE_VIEW (self), NULL);
  return g_strdup (self->report);
}

const char *
sm_compare_view_get_verdict (SmCompareView *self)
{
  g_return_val_if_fail (SM_IS_COMPARE_VIEW (self), NULL);
  return self->verdict;
}

/* ---- actions ------------------------------------------------------------------------------------ */

static void
run_compare (SmCompareView *self)
{
  g_autoptr (GError) error = NULL;

  if (self->baseline_path == NULL)
    return;
  if (!sm_compare_view_compare_files (self, self->baseline_path, self->current_path, &error))
    show_error (self, _("Could not compare the runs"), error->message);
}

typedef enum { CHOOSE_BASELINE, CHOOSE_CURRENT, CHOOSE_EXPORT } ChooseWhat;

static void
on_chooser_response (GtkNativeDialog *dialog, int response, SmCompareView *self)
{
  ChooseWhat what = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "sm-what"));
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    {
      if (what == CHOOSE_EXPORT)
        {
          g_autoptr (GError) error = NULL;
          if (sm_engine_write_file (path, self->report, -1, &error))
            {
              g_autofree char *msg = g_strdup_printf (_("Report saved to %s"), path);
              gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", msg);
            }
          else
            show_error (self, _("Could not save the report"), error->message);
        }
      else
        {
          char **slot = what == CHOOSE_BASELINE ? &self->baseline_path : &self->current_path;
          g_free (*slot);
          *slot = g_steal_pointer (&path);
          update_rows (self);
          if (self->baseline_path != NULL)
            run_compare (self);
        }
    }
  g_clear_object (&self->chooser);
}

static void
choose (SmCompareView *self, ChooseWhat what)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserAction action = what == CHOOSE_EXPORT ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN;
  const char *title = what == CHOOSE_BASELINE ? _("Choose the Baseline")
                    : what == CHOOSE_CURRENT ? _("Choose a Snapshot")
                    : _("Export the Comparison");
  GtkFileFilter *filter;

  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                                  action, NULL, NULL));
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  g_object_set_data (G_OBJECT (self->chooser), "sm-what", GINT_TO_POINTER (what));
  filter = gtk_file_filter_new ();
  if (what == CHOOSE_EXPORT)
    {
      gtk_file_filter_set_name (filter, _("Markdown"));
      gtk_file_filter_add_pattern (filter, "*.md");
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), "comparison.md");
    }
  else
    {
      gtk_file_filter_set_name (filter, _("Snapshots and reports"));
      gtk_file_filter_add_pattern (filter, "*.json");
      gtk_file_filter_add_pattern (filter, "*.md");
    }
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_object_unref (filter);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (self->chooser);
}

static void
choose_baseline_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (SM_COMPARE_VIEW (widget), CHOOSE_BASELINE);
}

static void
choose_current_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (SM_COMPARE_VIEW (widget), CHOOSE_CURRENT);
}

static void
use_current_run_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmCompareView *self = SM_COMPARE_VIEW (widget);

  g_clear_pointer (&self->current_path, g_free);
  update_rows (self);
  run_compare (self);
}

static void
run_action (GtkWidget *widget, const char *name, GVariant *param)
{
  run_compare (SM_COMPARE_VIEW (widget));
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (SM_COMPARE_VIEW (widget), CHOOSE_EXPORT);
}

/* ---- object -------------------------------------------------------------------------------------- */

static void
sm_compare_view_dispose (GObject *object)
{
  SmCompareView *self = SM_COMPARE_VIEW (object);
  GtkWidget *child;

  if (self->chooser)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  g_clear_object (&self->engine);
  g_clear_pointer (&self->baseline_path, g_free);
  g_clear_pointer (&self->current_path, g_free);
  g_clear_pointer (&self->report, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), SM_TYPE_COMPARE_VIEW);
  /* children that are not template fields are ours to unparent */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (sm_compare_view_parent_class)->dispose (object);
}

static void
sm_compare_view_class_init (SmCompareViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_compare_view_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-compare-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SmCompareView, baseline_row);
  gtk_widget_class_bind_template_child (widget_class, SmCompareView, current_row);
  gtk_widget_class_bind_template_child (widget_class, SmCompareView, result_box);
  gtk_widget_class_bind_template_child (widget_class, SmCompareView, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, SmCompareView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SmCompareView, improved_title);
  gtk_widget_class_bind_template_child (widget_class, SmCompareView, improved_list);
  gtk_widget_class_bind_template_child (widget_class, SmCompareView, regressed_title);
  gtk_widget_class_bind_template_child (widget_class, SmCompareView, regressed_list);

  gtk_widget_class_install_action (widget_class, "compare.choose-baseline", NULL, choose_baseline_action);
  gtk_widget_class_install_action (widget_class, "compare.choose-current", NULL, choose_current_action);
  gtk_widget_class_install_action (widget_class, "compare.use-current-run", NULL, use_current_run_action);
  gtk_widget_class_install_action (widget_class, "compare.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "compare.export", NULL, export_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "compareview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
sm_compare_view_init (SmCompareView *self)
{
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));
  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 18);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Compare runs"), -1);
  update_rows (self);
}

void
sm_compare_view_set_engine (SmCompareView *self, SmEngine *engine)
{
  g_return_if_fail (SM_IS_COMPARE_VIEW (self));
  g_set_object (&self->engine, engine);
  update_rows (self);
}
