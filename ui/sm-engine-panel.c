/* sm-engine-panel.c: the engine's switches. */
#define G_LOG_DOMAIN "SmEnginePanel"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sm-settings-bind.h"
#include "sm-engine-panel.h"

struct _SmEnginePanel {
  GtkWidget       parent_instance;

  /* template children */
  GtkSwitch      *pool_switch;
  GtkSwitch      *profiling_switch;
  GtkAdjustment  *threads_adjustment;
  GtkWidget      *threads_spin;
  GtkLabel       *kernel_subtitle;
  GtkToggleButton *auto_button;
  GtkToggleButton *avx512_button;
  GtkToggleButton *avx2_button;
  GtkToggleButton *scalar_button;
  AdwActionRow   *vnni_row;
  GtkSwitch      *vnni_switch;
  AdwComboRow    *kv_cache_row;

  SmEngine       *engine;
  GSettings      *settings;
  gboolean        syncing;      /* setting the checks from GSettings: not a user's choice */
};

G_DEFINE_FINAL_TYPE (SmEnginePanel, sm_engine_panel, GTK_TYPE_WIDGET)

typedef struct {
  SmKernelLevel level;          /* its GSettings nick is the level's name */
} LevelInfo;

/* the path buttons, in their order (level_button ()) */
static const LevelInfo levels[] = {
  { SM_KERNEL_LEVEL_AUTO },
  { SM_KERNEL_LEVEL_AVX512 },
  { SM_KERNEL_LEVEL_AVX2 },
  { SM_KERNEL_LEVEL_SCALAR },
};

/* The KV cache row's items, in its model's order: the GSettings nicks (SmKvType names). */
static const char *const kv_types[] = { "f32", "f16" };

static GtkToggleButton *
level_button (SmEnginePanel *self, guint i)
{
  GtkToggleButton *buttons[] = { self->auto_button, self->avx512_button, self->avx2_button, self->scalar_button };
  return buttons[i];
}

static void
show_error (SmEnginePanel *self, const char *message)
{
  if (!gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", message))
    g_warning ("%s", message);
}

static void
apply_pool (SmEnginePanel *self)
{
  gboolean on = g_settings_get_boolean (self->settings, "pool-enabled");

  /* the engine marks the change on the charts when it lands */
  sm_engine_set_pool_enabled (self->engine, on);
}

static void
apply_profiling (SmEnginePanel *self)
{
  gboolean on = g_settings_get_boolean (self->settings, "profiling");

  sm_engine_set_profiling (self->engine, on);
}

static void
apply_threads (SmEnginePanel *self)
{
  int n = g_settings_get_int (self->settings, "threads");

  sm_engine_set_threads (self->engine, n);
}

/* The VNNI levels are the AVX-512 and AVX2 paths with int8 products: not two more buttons
 * (six made the window 685 px wide in German) but a switch under the path, which applies to
 * the two paths that have it. */
static SmKernelLevel
vnni_level_of (SmKernelLevel base)
{
  switch (base)
    {
    case SM_KERNEL_LEVEL_AVX512:
    case SM_KERNEL_LEVEL_AVX512_VNNI:
      return SM_KERNEL_LEVEL_AVX512_VNNI;
    case SM_KERNEL_LEVEL_AVX2:
    case SM_KERNEL_LEVEL_AVX2_VNNI:
      return SM_KERNEL_LEVEL_AVX2_VNNI;
    default:
      return SM_KERNEL_LEVEL_AUTO;   /* auto and scalar have no switch */
    }
}

static SmKernelLevel
base_level_of (SmKernelLevel level)
{
  if (level == SM_KERNEL_LEVEL_AVX512_VNNI)
    return SM_KERNEL_LEVEL_AVX512;
  if (level == SM_KERNEL_LEVEL_AVX2_VNNI)
    return SM_KERNEL_LEVEL_AVX2;
  return level;
}

/* The switch shows the level in force: on auto, whether auto picked a VNNI level; it can be
 * flipped only on a path whose VNNI level this CPU has, and otherwise says why not. */
static void
sync_vnni_switch (SmEnginePanel *self, SmKernelLevel level)
{
  SmKernelLevel vnni = vnni_level_of (level);
  const char *why_not = NULL;
  g_autofree char *reason = NULL;

  if (level == SM_KERNEL_LEVEL_AUTO)
    {
      SmKernelLevel best = sm_engine_get_best_kernel_level ();
      gtk_switch_set_active (self->vnni_switch, vnni_level_of (best) == best);
      reason = g_strdup (_("Auto uses them where the CPU has them"));
    }
  else if (vnni == SM_KERNEL_LEVEL_AUTO)
    reason = g_strdup (_("The scalar path has no VNNI products"));
  else if (!sm_engine_kernel_level_supported (vnni, &why_not))
    reason = g_strdup_printf (_("Not available: %s"), why_not ? why_not : "");
  if (level != SM_KERNEL_LEVEL_AUTO && vnni != SM_KERNEL_LEVEL_AUTO && reason == NULL)
    gtk_switch_set_active (self->vnni_switch, level == vnni);
  gtk_widget_set_sensitive (GTK_WIDGET (self->vnni_row), reason == NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->vnni_row), reason);
}

static void
sync_level_checks (SmEnginePanel *self, const char *key)
{
  SmKernelLevel level = SM_KERNEL_LEVEL_AUTO;

  if (!sm_engine_kernel_level_from_name (key, &level))
    level = SM_KERNEL_LEVEL_AUTO;
  self->syncing = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (levels[i].level == base_level_of (level))
      gtk_toggle_button_set_active (level_button (self, i), TRUE);
  sync_vnni_switch (self, level);
  self->syncing = FALSE;
}

/* The level a path button stands for with the switch as it is. */
static const char *
level_key (SmEnginePanel *self, SmKernelLevel base)
{
  SmKernelLevel vnni = vnni_level_of (base);

  if (vnni != SM_KERNEL_LEVEL_AUTO && gtk_switch_get_active (self->vnni_switch)
      && sm_engine_kernel_level_supported (vnni, NULL))
    return sm_engine_kernel_level_name (vnni);
  return sm_engine_kernel_level_name (base);
}

static void
on_vnni_toggled (GtkSwitch *sw, GParamSpec *pspec, SmEnginePanel *self)
{
  if (self->syncing || self->settings == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (gtk_toggle_button_get_active (level_button (self, i)))
      g_settings_set_string (self->settings, "kernel-level", level_key (self, levels[i].level));
}

static void
apply_level (SmEnginePanel *self)
{
  g_autofree char *key = g_settings_get_string (self->settings, "kernel-level");
  g_autoptr (GError) error = NULL;
  SmKernelLevel level = SM_KERNEL_LEVEL_AUTO;

  if (!sm_engine_kernel_level_from_name (key, &level))
    level = SM_KERNEL_LEVEL_AUTO;
  if (!sm_engine_set_kernel_level (self->engine, level, &error))
    {
      /* e.g. a path saved on another machine: back to the best one, and say so */
      g_autofree char *message = g_strdup_printf (_("Kernel path not changed: %s"), error->message);
      show_error (self, message);
      g_settings_set_string (self->settings, "kernel-level", "auto");
      return;
    }
  sync_level_checks (self, key);
}

static void
apply_kv_cache (SmEnginePanel *self)
{
  g_autofree char *key = g_settings_get_string (self->settings, "kv-cache-type");
  SmKvType type = SM_KV_TYPE_F32;

  if (!sm_engine_kv_type_from_name (key, &type))
    type = SM_KV_TYPE_F32;
  /* the engine empties the cache between replies, never under one */
  sm_engine_set_kv_type (self->engine, type);
  self->syncing = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (kv_types); i++)
    if (g_str_equal (kv_types[i], sm_engine_kv_type_name (type)))
      adw_combo_row_set_selected (self->kv_cache_row, i);
  self->syncing = FALSE;
}

static void
on_kv_cache_selected (AdwComboRow *row, GParamSpec *pspec, SmEnginePanel *self)
{
  guint i = adw_combo_row_get_selected (row);

  if (self->syncing || self->settings == NULL || i >= G_N_ELEMENTS (kv_types))
    return;
  g_settings_set_string (self->settings, "kv-cache-type", kv_types[i]);
}

static void
on_setting_changed (GSettings *settings, const char *key, SmEnginePanel *self)
{
  if (g_str_equal (key, "pool-enabled"))
    apply_pool (self);
  else if (g_str_equal (key, "profiling"))
    apply_profiling (self);
  else if (g_str_equal (key, "threads"))
    apply_threads (self);
  else if (g_str_equal (key, "kernel-level"))
    apply_level (self);
  else if (g_str_equal (key, "kv-cache-type"))
    apply_kv_cache (self);
}

static void
on_level_toggled (GtkToggleButton *button, SmEnginePanel *self)
{
  if (self->syncing || !gtk_toggle_button_get_active (button) || self->settings == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (level_button (self, i) == button)
      g_settings_set_string (self->settings, "kernel-level", level_key (self, levels[i].level));
}

static void
sm_engine_panel_dispose (GObject *object)
{
  SmEnginePanel *self = SM_ENGINE_PANEL (object);
  GtkWidget *child;

  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->engine);
  gtk_widget_dispose_template (GTK_WIDGET (self), SM_TYPE_ENGINE_PANEL);
  /* children that are not template fields are ours to unparent */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (sm_engine_panel_parent_class)->dispose (object);
}

static void
sm_engine_panel_class_init (SmEnginePanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_engine_panel_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/smallmind/Playground/sm-engine-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, pool_switch);
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, profiling_switch);
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, threads_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, threads_spin);
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, kernel_subtitle);
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, auto_button);
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, avx512_button);
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, avx2_button);
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, scalar_button);
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, vnni_row);
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, vnni_switch);
  gtk_widget_class_bind_template_child (widget_class, SmEnginePanel, kv_cache_row);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "enginepanel");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
sm_engine_panel_init (SmEnginePanel *self)
{
  const char *best = sm_engine_kernel_level_name (sm_engine_get_best_kernel_level ());
  g_autoptr (GString) subtitle = g_string_new (NULL);
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));
  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 18);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Engine settings"), -1);

  /* Translators: %s is a kernel path, e.g. "avx512" */
  g_string_append_printf (subtitle, _("Auto runs %s on this CPU."), best);
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      const char *why_not = NULL;
      GtkWidget *button = GTK_WIDGET (level_button (self, i));

      g_signal_connect (button, "toggled", G_CALLBACK (on_level_toggled), self);
      if (!sm_engine_kernel_level_supported (levels[i].level, &why_not))
        {
          /* shown, so the user knows the path exists, but not selectable: the reason says why */
          g_autofree char *reason = g_strdup_printf (_("Not available: %s"), why_not ? why_not : "");
          gtk_widget_set_sensitive (button, FALSE);
          gtk_widget_set_tooltip_text (button, reason);
          gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                          reason, -1);
          g_string_append_printf (subtitle, " %s: %s.", sm_engine_kernel_level_name (levels[i].level),
                                  why_not ? why_not : "");
        }
    }
  gtk_label_set_text (self->kernel_subtitle, subtitle->str);
  g_signal_connect (self->kv_cache_row, "notify::selected", G_CALLBACK (on_kv_cache_selected), self);
  g_signal_connect (self->vnni_switch, "notify::active", G_CALLBACK (on_vnni_toggled), self);
  gtk_adjustment_set_upper (self->threads_adjustment, MIN ((guint) sm_engine_get_max_threads (), MAX (g_get_num_processors () * 2, 2)));
}

void
sm_engine_panel_bind (SmEnginePanel *self, SmEngine *engine, GSettings *settings)
{
  g_autofree char *level = NULL;

  g_return_if_fail (SM_IS_ENGINE_PANEL (self));
  g_return_if_fail (SM_IS_ENGINE (engine));
  g_return_if_fail (G_IS_SETTINGS (settings));
  g_return_if_fail (self->engine == NULL);

  self->engine = g_object_ref (engine);
  self->settings = g_object_ref (settings);

  g_settings_bind (settings, "pool-enabled", self->pool_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "profiling", self->profiling_switch, "active", G_SETTINGS_BIND_DEFAULT);
  sm_settings_bind_rounded (settings, "threads", self->threads_adjustment, "value");
  level = g_settings_get_string (settings, "kernel-level");
  sync_level_checks (self, level);

  g_signal_connect (settings, "changed", G_CALLBACK (on_setting_changed), self);
  apply_pool (self);
  apply_profiling (self);
  apply_threads (self);
  apply_level (self);
  apply_kv_cache (self);
}
