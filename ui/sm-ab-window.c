/* sm-ab-window.c: the A/B run window.
 *
 * Each side is a column of rows built here, alike for A and B (pool, kernels the machine can
 * run, threads, KV cache, model), prefilled with the engine's settings now.  Run hands both
 * configurations to sm_engine_ab_run_async (); the engine thread does the runs and reports
 * each one's start, and the window shows the first run of each side: the replies, the first
 * token where they part (a text tag over that token in both), and the figures over all runs.
 * Closing the window cancels a run under way; the engine puts its settings back itself.
 *
 * Actions: ab.run, ab.cancel, ab.export (a file chooser), ab.export-to (s: a path),
 * ab.choose-model (s: "a" or "b"), ab.set-model ((ss): side and path, "" for the loaded model).
 */
#define G_LOG_DOMAIN "SmAbWindow"

#include <glib/gi18n.h>

#include "sm-ab-window.h"

typedef struct {
  AdwPreferencesGroup *group;
  GtkSwitch           *pool;
  AdwComboRow         *kernels;
  GtkSpinButton       *threads;
  AdwComboRow         *kv;
  AdwActionRow        *model_row;
  GtkWidget           *reset_model;
  char                *model_path;    /* NULL: the loaded model */
} Side;

struct _SmAbWindow {
  AdwWindow        parent_instance;

  /* template children */
  AdwToastOverlay *toast_overlay;
  GtkTextView     *prompt_view;
  AdwPreferencesGroup *a_group;
  AdwPreferencesGroup *b_group;
  GtkAdjustment   *runs_adjustment;
  GtkAdjustment   *tokens_adjustment;
  GtkProgressBar  *progress_bar;
  GtkWidget       *run_button;
  GtkWidget       *cancel_button;
  GtkWidget       *empty_page;
  GtkWidget       *result_box;
  GtkLabel        *verdict_label;
  GtkLabel        *divergence_label;
  GtkTextView     *reply_a_view;
  GtkTextView     *reply_b_view;
  GtkGrid         *figures_grid;

  SmEngine        *engine;
  GSettings       *settings;
  Side             sides[2];
  GArray          *levels;            /* SmKernelLevel, in the kernels combos' order */
  GCancellable    *cancel;            /* a run under way */
  SmAbResult      *result;
  GtkNativeDialog *chooser;
  gboolean         disposed;          /* a run's end or progress finds no widgets to show */
};

G_DEFINE_FINAL_TYPE (SmAbWindow, sm_ab_window, ADW_TYPE_WINDOW)

static const char *const kv_names[] = { "f32", "f16", NULL };

static void
toast (SmAbWindow *self, const char *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
show_error (SmAbWindow *self, const char *title, const char *message)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), title, message);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
update_actions (SmAbWindow *self)
{
  gboolean running = self->cancel != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ab.run", !running && self->engine != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ab.cancel", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ab.export", !running && self->result != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ab.export-to", !running && self->result != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ab.choose-model", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ab.set-model", !running);
  for (int s = 0; s < 2; s++)
    gtk_widget_set_sensitive (GTK_WIDGET (self->sides[s].group), !running);
  gtk_text_view_set_editable (self->prompt_view, !running);
}

/* ---- the two columns ---------------------------------------------------------------------------- */

static void
update_model_row (Side *side)
{
  g_autofree char *base = side->model_path ? g_filename_display_basename (side->model_path) : NULL;

  adw_action_row_set_subtitle (side->model_row, base ? base : _("The loaded model"));
  gtk_widget_set_visible (side->reset_model, side->model_path != NULL);
}

static void
on_reset_model (GtkButton *button, SmAbWindow *self)
{
  const char *which = g_object_get_data (G_OBJECT (button), "sm-side");
  gtk_widget_activate_action (GTK_WIDGET (self), "ab.set-model", "(ss)", which, "");
}

static void
build_side (SmAbWindow *self, int s, const SmAbConfig *config)
{
  Side *side = &self->sides[s];
  const char *which = s ? "b" : "a";
  g_autoptr (GtkStringList) levels = gtk_string_list_new (NULL);
  g_autoptr (GtkStringList) kvs = gtk_string_list_new (kv_names);
  GtkWidget *row, *button;
  g_autofree char *choose_action = g_strdup_printf ("ab.choose-model::%s", which);

  side->group = s ? self->b_group : self->a_group;

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Memory _pool"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), TRUE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Reuse the buffers of the last token"));
  side->pool = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (side->pool), GTK_ALIGN_CENTER);
  gtk_switch_set_active (side->pool, config->pool_enabled);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (side->pool));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), GTK_WIDGET (side->pool));
  adw_preferences_group_add (side->group, row);

  for (guint i = 0; i < self->levels->len; i++)
    gtk_string_list_append (levels, sm_engine_kernel_level_name (g_array_index (self->levels, SmKernelLevel, i)));
  side->kernels = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (side->kernels), _("_Kernels"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (side->kernels), TRUE);
  adw_combo_row_set_model (side->kernels, G_LIST_MODEL (levels));
  for (guint i = 0; i < self->levels->len; i++)
    if (g_array_index (self->levels, SmKernelLevel, i) == config->kernel_level)
      adw_combo_row_set_selected (side->kernels, i);
  adw_preferences_group_add (side->group, GTK_WIDGET (side->kernels));

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("_Threads"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), TRUE);
  side->threads = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (1, sm_engine_get_max_threads (), 1));
  gtk_widget_set_valign (GTK_WIDGET (side->threads), GTK_ALIGN_CENTER);
  gtk_spin_button_set_value (side->threads, config->threads);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (side->threads));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), GTK_WIDGET (side->threads));
  adw_preferences_group_add (side->group, row);

  side->kv = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (side->kv), _("KV _cache"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (side->kv), TRUE);
  adw_combo_row_set_model (side->kv, G_LIST_MODEL (kvs));
  adw_combo_row_set_selected (side->kv, config->kv_type == SM_KV_TYPE_F16 ? 1 : 0);
  adw_preferences_group_add (side->group, GTK_WIDGET (side->kv));

  row = adw_action_row_new ();
  side->model_row = ADW_ACTION_ROW (row);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("_Model"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), TRUE);
  button = gtk_button_new_from_icon_name ("edit-clear-symbolic");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Use the loaded model"));
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data (G_OBJECT (button), "sm-side", (gpointer) which);
  g_signal_connect (button, "clicked", G_CALLBACK (on_reset_model), self);
  side->reset_model = button;
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  button = gtk_button_new_with_mnemonic (_("C_hoose…"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Another model file, the same model in another weight type say"));
  gtk_actionable_set_detailed_action_name (GTK_ACTIONABLE (button), choose_action);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_preferences_group_add (side->group, row);
  update_model_row (side);
}

static void
read_side (SmAbWindow *self, int s, SmAbConfig *c)
{
  Side *side = &self->sides[s];
  guint level = adw_combo_row_get_selected (side->kernels);

  memset (c, 0, sizeof *c);
  c->pool_enabled = gtk_switch_get_active (side->pool);
  c->kernel_level = level < self->levels->len ? g_array_index (self->levels, SmKernelLevel, level)
                                              : sm_engine_get_best_kernel_level ();
  c->threads = gtk_spin_button_get_value_as_int (side->threads);
  c->kv_type = adw_combo_row_get_selected (side->kv) == 1 ? SM_KV_TYPE_F16 : SM_KV_TYPE_F32;
  c->model_path = g_strdup (side->model_path);
}

/* ---- results ------------------------------------------------------------------------------------ */

static void
grid_clear (GtkGrid *grid)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL)
    gtk_grid_remove (grid, child);
}

static GtkWidget *
cell (const char *text, const char *css)
{
  GtkWidget *label = gtk_label_new (text);   /* NULL: markup comes later */

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (css)
    gtk_widget_add_css_class (label, css);
  return label;
}

static void
show_figures (SmAbWindow *self, const SmAbResult *r)
{
  const char *names[SM_AB_N_FIGURES] = {
    _("Decode (tok/s)"), _("Prefill (tok/s)"), _("Time to first token (ms)"), _("Wall time (ms)")
  };
  int row = 1;

  grid_clear (self->figures_grid);
  gtk_grid_attach (self->figures_grid, cell (_("Median (min–max)"), "heading"), 0, 0, 1, 1);
  gtk_grid_attach (self->figures_grid, cell (_("A"), "heading"), 1, 0, 1, 1);
  gtk_grid_attach (self->figures_grid, cell (_("B"), "heading"), 2, 0, 1, 1);
  for (int k = 0; k < SM_AB_N_FIGURES; k++, row++)
    {
      gtk_grid_attach (self->figures_grid, cell (names[k], NULL), 0, row, 1, 1);
      for (int s = 0; s < 2; s++)
        {
          const SmAbFigure *f = &r->figures[s][k];
          gboolean faster = k == SM_AB_DECODE_TPS && r->faster == s;
          g_autofree char *text = g_markup_printf_escaped ("%.1f <small>(%.1f–%.1f)</small>", f->median, f->min, f->max);
          GtkWidget *label = cell (NULL, faster ? "success" : "numeric");

          gtk_label_set_markup (GTK_LABEL (label), text);
          if (faster)
            gtk_widget_add_css_class (label, "heading");
          gtk_grid_attach (self->figures_grid, label, 1 + s, row, 1, 1);
        }
      if (k == SM_AB_DECODE_TPS)
        {
          /* the faster side marked in its column, or no mark when the runs overlap */
          row++;
          gtk_grid_attach (self->figures_grid, cell (_("Faster"), NULL), 0, row, 1, 1);
          if (r->faster >= 0)
            {
              g_autofree char *mark = g_strdup_printf (_("✓ faster, %.2f×"), r->ratio);
              GtkWidget *label = cell (mark, "success");
              gtk_widget_add_css_class (label, "heading");
              gtk_widget_set_name (label, "faster");
              gtk_grid_attach (self->figures_grid, label, 1 + r->faster, row, 1, 1);
            }
          else
            gtk_grid_attach (self->figures_grid, cell (_("no clear difference"), "dim-label"), 1, row, 2, 1);
        }
    }
  gtk_grid_attach (self->figures_grid, cell (_("Tokens (prompt + reply)"), NULL), 0, row, 1, 1);
  for (int s = 0; s < 2; s++)
    {
      const SmAbRun *first = sm_ab_result_get_run (r, s, 0);
      g_autofree char *text = g_strdup_printf ("%d + %d", first->prompt_tokens, first->generated_tokens);
      gtk_grid_attach (self->figures_grid, cell (text, "numeric"), 1 + s, row, 1, 1);
    }
  row++;
  gtk_grid_attach (self->figures_grid, cell (_("Peak memory (pool / resident)"), NULL), 0, row, 1, 1);
  for (int s = 0; s < 2; s++)
    {
      guint64 pool = 0, rss = 0;
      g_autofree char *p = NULL, *q = NULL, *text = NULL;

      for (guint i = 0; i < r->runs->len; i++)
        {
          const SmAbRun *run = g_ptr_array_index (r->runs, i);
          if (run->side == s)
            {
              pool = MAX (pool, run->peak_pool_bytes);
              rss = MAX (rss, run->peak_rss_bytes);
            }
        }
      p = g_format_size (pool);
      q = g_format_size (rss);
      text = g_strdup_printf ("%s / %s", p, q);
      gtk_grid_attach (self->figures_grid, cell (text, "numeric"), 1 + s, row, 1, 1);
    }
  row++;
  gtk_grid_attach (self->figures_grid, cell (_("Same reply every run"), NULL), 0, row, 1, 1);
  for (int s = 0; s < 2; s++)
    gtk_grid_attach (self->figures_grid, cell (r->repeatable[s] ? _("yes") : _("no"), NULL), 1 + s, row, 1, 1);
  row++;
  gtk_grid_attach (self->figures_grid, cell (_("Model"), NULL), 0, row, 1, 1);
  for (int s = 0; s < 2; s++)
    gtk_grid_attach (self->figures_grid, cell (r->model_name[s], NULL), 1 + s, row, 1, 1);
}

/* The reply in @view, and when @token is a token of it, that token's text tagged. */
static void
show_reply (GtkTextView *view, const SmAbRun *run, int token)
{
  GtkTextBuffer *buf = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_set_text (buf, run->text, -1);
  if (gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buf), "diverge") == NULL)
    gtk_text_buffer_create_tag (buf, "diverge", "background", "rgba(246,97,81,0.35)",
                                "underline", PANGO_UNDERLINE_SINGLE, NULL);
  if (token < 0 || (guint) token >= run->offsets->len)
    return;
  {
    gsize from = g_array_index (run->offsets, gsize, token);
    gsize to = (guint) token + 1 < run->offsets->len ? g_array_index (run->offsets, gsize, token + 1)
                                                     : strlen (run->text);
    from = MIN (from, strlen (run->text));
    to = MAX (from, MIN (to, strlen (run->text)));
    if (to == from && to < strlen (run->text))
      to = g_utf8_next_char (run->text + from) - run->text;   /* a token of no text: mark where it was */
    gtk_text_buffer_get_iter_at_offset (buf, &start, (int) g_utf8_pointer_to_offset (run->text, run->text + from));
    gtk_text_buffer_get_iter_at_offset (buf, &end, (int) g_utf8_pointer_to_offset (run->text, run->text + to));
    gtk_text_buffer_apply_tag_by_name (buf, "diverge", &start, &end);
  }
}

static void
show_result (SmAbWindow *self)
{
  const SmAbResult *r = self->result;
  g_autofree char *verdict = NULL, *divergence = NULL;

  if (r->faster < 0)
    verdict = g_strdup (_("No clear difference: the runs’ decode speeds overlap"));
  else
    verdict = g_strdup_printf (_("%s is faster: %.2f× the decode speed of %s"),
                               r->faster ? _("B") : _("A"), r->ratio, r->faster ? _("A") : _("B"));
  gtk_label_set_text (self->verdict_label, verdict);

  if (!r->compared)
    divergence = g_strdup (_("The replies are compared token by token only with greedy sampling on one model"));
  else if (r->divergence < 0)
    divergence = g_strdup (_("The replies are the same, token for token"));
  else
    divergence = g_strdup_printf (_("The replies part at token %d (marked)"), r->divergence + 1);
  gtk_label_set_text (self->divergence_label, divergence);

  show_reply (self->reply_a_view, sm_ab_result_get_run (r, 0, 0), r->compared ? r->divergence : -1);
  show_reply (self->reply_b_view, sm_ab_result_get_run (r, 1, 0), r->compared ? r->divergence : -1);
  show_figures (self, r);
  gtk_widget_set_visible (self->result_box, TRUE);
  gtk_widget_set_visible (self->empty_page, FALSE);
}

/* ---- running ----------------------------------------------------------------------------------- */

static void
on_progress (SmEngine *engine, int run, int total, gpointer data)
{
  SmAbWindow *self = data;
  g_autofree char *text = NULL;

  if (self->disposed)
    return;
  text = g_strdup_printf (_("Run %d of %d (%s)"), run, total, run % 2 ? _("A") : _("B"));
  gtk_progress_bar_set_fraction (self->progress_bar, (run - 1) / (double) MAX (total, 1));
  gtk_progress_bar_set_text (self->progress_bar, text);
}

static void
on_ab_done (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SmAbWindow) self = data;
  g_autoptr (GError) error = NULL;
  SmAbResult *result = sm_engine_ab_run_finish (SM_ENGINE (source), res, &error);

  g_clear_object (&self->cancel);
  if (self->disposed)
    {
      /* closed while it ran: the engine has put its settings back, nothing to show */
      g_clear_pointer (&result, sm_ab_result_free);
      return;
    }
  if (result != NULL)
    {
      g_autofree char *text = g_strdup_printf (ngettext ("Done: %d run of each", "Done: %d runs of each",
                                                         result->n_runs), result->n_runs);
      g_clear_pointer (&self->result, sm_ab_result_free);
      self->result = result;
      gtk_progress_bar_set_fraction (self->progress_bar, 1);
      gtk_progress_bar_set_text (self->progress_bar, text);
      show_result (self);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
      gtk_progress_bar_set_text (self->progress_bar, _("Cancelled"));
    }
  else
    {
      gtk_progress_bar_set_text (self->progress_bar, _("Failed"));
      show_error (self, _("The A/B run failed"), error->message);
    }
  update_actions (self);
}

static void
read_params (SmAbWindow *self, SmGenerateParams *params)
{
  sm_generate_params_init (params);
  params->max_tokens = (int) gtk_adjustment_get_value (self->tokens_adjustment);
  if (self->settings == NULL)
    return;
  params->sampling.temperature = (float) g_settings_get_double (self->settings, "temperature");
  params->sampling.top_k = g_settings_get_int (self->settings, "top-k");
  params->sampling.top_p = (float) g_settings_get_double (self->settings, "top-p");
  params->sampling.min_p = (float) g_settings_get_double (self->settings, "min-p");
  params->sampling.repeat_penalty = (float) g_settings_get_double (self->settings, "repeat-penalty");
  /* every run draws with the same seed, or A and B would differ by their luck */
  params->sampling.seed = g_settings_get_int (self->settings, "seed") >= 0
                            ? (guint64) g_settings_get_int (self->settings, "seed") : 42;
}

static void
run_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmAbWindow *self = SM_AB_WINDOW (widget);
  GtkTextBuffer *buf = gtk_text_view_get_buffer (self->prompt_view);
  GtkTextIter start, end;
  g_autofree char *prompt = NULL;
  SmGenerateParams params;
  SmAbConfig a, b;

  if (self->cancel != NULL || self->engine == NULL)
    return;
  gtk_text_buffer_get_bounds (buf, &start, &end);
  prompt = gtk_text_buffer_get_text (buf, &start, &end, FALSE);
  read_params (self, &params);
  read_side (self, 0, &a);
  read_side (self, 1, &b);
  self->cancel = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, _("Starting…"));
  sm_engine_ab_run_async (self->engine, prompt, &params, &a, &b,
                          (int) gtk_adjustment_get_value (self->runs_adjustment),
                          on_progress, g_object_ref (self), g_object_unref, self->cancel,
                          on_ab_done, g_object_ref (self));
  sm_ab_config_clear (&a);
  sm_ab_config_clear (&b);
  update_actions (self);
}

static void
cancel_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SmAbWindow *self = SM_AB_WINDOW (widget);

  if (self->cancel)
    g_cancellable_cancel (self->cancel);
}

/* ---- export and model files ----------------------------------------------------------------------- */

static void
export_to (SmAbWindow *self, const char *path)
{
  g_autoptr (GError) error = NULL;

  if (self->result == NULL)
    return;
  if (sm_ab_result_export (self->result, path, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("Report saved to %s"), path);
      toast (self, msg);
    }
  else
    show_error (self, _("Could not save the report"), error->message);
}

static void
export_to_action (GtkWidget *widget, const char *name, GVariant *param)
{
  export_to (SM_AB_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
set_model (SmAbWindow *self, const char *which, const char *path)
{
  Side *side = &self->sides[g_strcmp0 (which, "b") == 0];

  g_free (side->model_path);
  side->model_path = path && *path ? g_strdup (path) : NULL;
  update_model_row (side);
}

static void
set_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  const char *which, *path;

  g_variant_get (param, "(&s&s)", &which, &path);
  set_model (SM_AB_WINDOW (widget), which, path);
}

static void
on_chooser_response (GtkNativeDialog *dialog, int response, SmAbWindow *self)
{
  const char *what = g_object_get_data (G_OBJECT (dialog), "sm-what");
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    {
      if (g_strcmp0 (what, "export") == 0)
        export_to (self, path);
      else
        set_model (self, what, path);
    }
  g_clear_object (&self->chooser);
}

static void
open_chooser (SmAbWindow *self, const char *what)
{
  gboolean save = g_strcmp0 (what, "export") == 0;
  GtkFileFilter *filter = gtk_file_filter_new ();

  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (gtk_file_chooser_native_new (save ? _("Export the A/B Run") : _("Choose a Model"),
                                                                  GTK_WINDOW (self),
                                                                  save ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN,
                                                                  NULL, NULL));
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  g_object_set_data_full (G_OBJECT (self->chooser), "sm-what", g_strdup (what), g_free);
  if (save)
    {
      gtk_file_filter_set_name (filter, _("Markdown"));
      gtk_file_filter_add_pattern (filter, "*.md");
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), "ab-run.md");
    }
  else
    {
      gtk_file_filter_set_name (filter, _("Models"));
      gtk_file_filter_add_pattern (filter, "*.gguf");
      gtk_file_filter_add_pattern (filter, "*.bin");
      gtk_file_filter_add_pattern (filter, "*.smck");
    }
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_object_unref (filter);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (self->chooser);
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  open_chooser (SM_AB_WINDOW (widget), "export");
}

static void
choose_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  open_chooser (SM_AB_WINDOW (widget), g_variant_get_string (param, NULL));
}

/* ---- object ------------------------------------------------------------------------------------ */

static gboolean
sm_ab_window_close_request (GtkWindow *window)
{
  SmAbWindow *self = SM_AB_WINDOW (window);

  /* a run under way stops within a token; its end finds the window closed */
  if (self->cancel)
    g_cancellable_cancel (self->cancel);
  return GTK_WINDOW_CLASS (sm_ab_window_parent_class)->close_request (window);
}

static void
sm_ab_window_dispose (GObject *object)
{
  SmAbWindow *self = SM_AB_WINDOW (object);

  /* the run holds its own reference to the window: this only stops it */
  self->disposed = TRUE;
  if (self->cancel)
    g_cancellable_cancel (self->cancel);
  if (self->chooser)
    {
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }
  G_OBJECT_CLASS (sm_ab_window_parent_class)->dispose (object);
}

static void
sm_ab_window_finalize (GObject *object)
{
  SmAbWindow *self = SM_AB_WINDOW (object);

  for (int s = 0; s < 2; s++)
    g_free (self->sides[s].model_path);
  g_clear_pointer (&self->levels, g_array_unref);
  g_clear_pointer (&self->result, sm_ab_result_free);
  g_clear_object (&self->cancel);
  g_clear_object (&self->engine);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (sm_ab_window_parent_class)->finalize (object);
}

static void
sm_ab_window_class_init (SmAbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_ab_window_dispose;
  object_class->finalize = sm_ab_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = sm_ab_window_close_request;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-ab-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, a_group);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, b_group);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, runs_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, tokens_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, run_button);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, result_box);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, divergence_label);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, reply_a_view);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, reply_b_view);
  gtk_widget_class_bind_template_child (widget_class, SmAbWindow, figures_grid);
  gtk_widget_class_install_action (widget_class, "ab.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "ab.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "ab.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "ab.export-to", "s", export_to_action);
  gtk_widget_class_install_action (widget_class, "ab.choose-model", "s", choose_model_action);
  gtk_widget_class_install_action (widget_class, "ab.set-model", "(ss)", set_model_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "ab.run", NULL);
}

static void
sm_ab_window_init (SmAbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->levels = g_array_new (FALSE, FALSE, sizeof (SmKernelLevel));
  for (int l = SM_KERNEL_LEVEL_AUTO + 1; l < SM_KERNEL_N_LEVELS; l++)
    if (sm_engine_kernel_level_supported (l, NULL))
      {
        SmKernelLevel level = l;
        g_array_append_val (self->levels, level);
      }
}

SmAbWindow *
sm_ab_window_new (GtkWindow *parent, SmEngine *engine, GSettings *settings, const char *prompt)
{
  SmAbWindow *self = g_object_new (SM_TYPE_AB_WINDOW, "transient-for", parent, NULL);
  SmAbConfig config = { .pool_enabled = TRUE, .kernel_level = sm_engine_get_best_kernel_level (),
                        .threads = 1, .kv_type = SM_KV_TYPE_F32 };

  self->engine = engine ? g_object_ref (engine) : NULL;
  self->settings = settings ? g_object_ref (settings) : NULL;
  if (engine)
    {
      SmEngineStats st;
      sm_engine_get_stats (engine, &st);
      sm_ab_config_from_stats (&config, &st);
      sm_engine_stats_clear (&st);
    }
  build_side (self, 0, &config);
  build_side (self, 1, &config);
  /* not translated: the models a person runs here were trained on English */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->prompt_view),
                            prompt && *prompt ? prompt : "Once upon a time", -1);
  update_actions (self);
  return self;
}

gboolean
sm_ab_window_get_running (SmAbWindow *self)
{
  g_return_val_if_fail (SM_IS_AB_WINDOW (self), FALSE);
  return self->cancel != NULL;
}

const SmAbResult *
sm_ab_window_get_result (SmAbWindow *self)
{
  g_return_val_if_fail (SM_IS_AB_WINDOW (self), NULL);
  return self->result;
}
