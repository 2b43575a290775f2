/* sm-sampling-panel.c: sampling settings and the system prompt. */
#define G_LOG_DOMAIN "SmSamplingPanel"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sm-settings-bind.h"
#include "sm-sampling-panel.h"

struct _SmSamplingPanel {
  GtkWidget            parent_instance;

  /* template children */
  GtkAdjustment       *temperature_adjustment;
  GtkAdjustment       *top_k_adjustment;
  GtkAdjustment       *top_p_adjustment;
  GtkAdjustment       *min_p_adjustment;
  GtkAdjustment       *repeat_penalty_adjustment;
  GtkAdjustment       *max_tokens_adjustment;
  GtkAdjustment       *seed_adjustment;
  GtkSwitch           *context_shift_switch;
  AdwPreferencesGroup *system_group;
  GtkWidget           *system_row;

  GSettings           *settings;
};

G_DEFINE_FINAL_TYPE (SmSamplingPanel, sm_sampling_panel, GTK_TYPE_WIDGET)

static const char *const sampling_keys[] = {
  "temperature", "top-k", "top-p", "min-p", "repeat-penalty", "max-tokens", "context-shift", "seed",
};

static void
reset_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SmSamplingPanel *self = SM_SAMPLING_PANEL (widget);

  if (self->settings == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (sampling_keys); i++)
    g_settings_reset (self->settings, sampling_keys[i]);
}

static void
sm_sampling_panel_dispose (GObject *object)
{
  SmSamplingPanel *self = SM_SAMPLING_PANEL (object);
  GtkWidget *child;

  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), SM_TYPE_SAMPLING_PANEL);
  /* children that are not template fields are ours to unparent */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (sm_sampling_panel_parent_class)->dispose (object);
}

static void
sm_sampling_panel_class_init (SmSamplingPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_sampling_panel_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-sampling-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, SmSamplingPanel, temperature_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmSamplingPanel, top_k_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmSamplingPanel, top_p_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmSamplingPanel, min_p_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmSamplingPanel, repeat_penalty_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmSamplingPanel, max_tokens_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmSamplingPanel, seed_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmSamplingPanel, context_shift_switch);
  gtk_widget_class_bind_template_child (widget_class, SmSamplingPanel, system_group);
  gtk_widget_class_bind_template_child (widget_class, SmSamplingPanel, system_row);

  gtk_widget_class_install_action (widget_class, "sampling.reset", NULL, reset_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "samplingpanel");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
sm_sampling_panel_init (SmSamplingPanel *self)
{
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));
  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 18);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Sampling settings"), -1);
  sm_sampling_panel_set_chat_template (self, FALSE);
}

void
sm_sampling_panel_bind (SmSamplingPanel *self, GSettings *settings)
{
  g_return_if_fail (SM_IS_SAMPLING_PANEL (self));
  g_return_if_fail (G_IS_SETTINGS (settings));

  g_set_object (&self->settings, settings);
  g_settings_bind (settings, "temperature", self->temperature_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  sm_settings_bind_rounded (settings, "top-k", self->top_k_adjustment, "value");
  g_settings_bind (settings, "top-p", self->top_p_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "min-p", self->min_p_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "repeat-penalty", self->repeat_penalty_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  sm_settings_bind_rounded (settings, "max-tokens", self->max_tokens_adjustment, "value");
  sm_settings_bind_rounded (settings, "seed", self->seed_adjustment, "value");
  g_settings_bind (settings, "context-shift", self->context_shift_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "system-prompt", self->system_row, "text", G_SETTINGS_BIND_DEFAULT);
}

void
sm_sampling_panel_set_chat_template (SmSamplingPanel *self, gboolean has_template)
{
  g_return_if_fail (SM_IS_SAMPLING_PANEL (self));

  gtk_widget_set_sensitive (self->system_row, has_template);
  adw_preferences_group_set_description (self->system_group,
                                         has_template
                                         ? _("Sent before the conversation, in the model's chat template.")
                                         : _("This model has no chat template, so the conversation itself is the prompt and a system prompt is not used."));
}
