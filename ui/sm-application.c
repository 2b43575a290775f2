/* sm-application.c: the SmallMind application. */
#define G_LOG_DOMAIN "SmApplication"

#include <glib/gi18n.h>

#include "sm-application.h"
#include "sm-resources.h"
#include "sm-window.h"

struct _SmApplication {
  AdwApplication       parent_instance;

  SmConversationStore *store;
  char                *store_error;   /* shown once the window is up */
  char                *model;         /* --model */
  char               **prompts;       /* --prompt, in order */
};

G_DEFINE_FINAL_TYPE (SmApplication, sm_application, ADW_TYPE_APPLICATION)

void
sm_ui_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      g_resources_register (sm_get_resource ());
      g_once_init_leave (&once, 1);
    }
}

static void
quit_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  SmApplication *self = data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* closing lets each window cancel its reply and save; the application ends with the last */
  for (GList *l = windows; l != NULL;)
    {
      GList *next = l->next;
      gtk_window_close (GTK_WINDOW (l->data));
      l = next;
    }
}

static void
about_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  SmApplication *self = data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  const char *developers[] = { "SmallMind contributors", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "application-name", _("SmallMind"),
                        "application-icon", SM_APP_ID,
                        "version", SM_VERSION,
                        "developer-name", _("SmallMind contributors"),
                        "developers", developers,
                        "comments", _("A playground for small language models on your own CPU: chat with a model, switch the engine's kernels and memory pool while it runs, and watch what changes."),
                        "license-type", GTK_LICENSE_MIT_X11,
                        "copyright", "© 2026 SmallMind contributors",
                        /* Translators: put your name here, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

/* (format, path): the window's snapshot exported as its export-snapshot-to would.  An
 * application action, so a script reaches it over D-Bus (org.gtk.Actions.Activate on the
 * application's path), as tools/kill-test does to export at a random moment. */
static void
export_snapshot_to_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  SmApplication *self = data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window != NULL)
    gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.export-snapshot-to", param);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action, NULL, NULL, NULL, { 0 } },
  { "about", about_action, NULL, NULL, NULL, { 0 } },
  { "export-snapshot-to", export_snapshot_to_action, "(ss)", NULL, NULL, { 0 } },
};

static void
sm_application_startup (GApplication *app)
{
  SmApplication *self = SM_APPLICATION (app);
  g_autoptr (GError) error = NULL;
  const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (sm_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_window_set_default_icon_name (SM_APP_ID);

  self->store = sm_conversation_store_new (g_getenv ("SMALLMIND_CONVERSATIONS_DIR"));
  if (!sm_conversation_store_load (self->store, &error))
    self->store_error = g_strdup (error->message);
}

static void
sm_application_activate (GApplication *app)
{
  SmApplication *self = SM_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      window = GTK_WINDOW (sm_window_new (GTK_APPLICATION (app), self->store));
      sm_window_start (SM_WINDOW (window), self->model, (const char *const *) self->prompts);
      if (self->store_error != NULL)
        {
          gtk_widget_activate_action (GTK_WIDGET (window), "win.toast", "s", self->store_error);
          g_clear_pointer (&self->store_error, g_free);
        }
    }
  gtk_window_present (window);
}

static int
sm_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  SmApplication *self = SM_APPLICATION (app);
  const char *preset = NULL;

  if (g_variant_dict_lookup (options, "model", "^ay", &self->model) && self->model && *self->model)
    {
      /* relative to where the command ran */
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (self->model);
      g_free (self->model);
      self->model = g_file_get_path (file);
    }
  if (g_variant_dict_lookup (options, "preset", "&s", &preset))
    {
      g_free (self->model);
      self->model = g_strconcat ("preset:", preset, NULL);
    }
  g_variant_dict_lookup (options, "prompt", "^as", &self->prompts);
  return -1;
}

static void
sm_application_shutdown (GApplication *app)
{
  SmApplication *self = SM_APPLICATION (app);

  /* every conversation on disk before the process ends */
  if (self->store)
    sm_conversation_store_flush (self->store);
  G_APPLICATION_CLASS (sm_application_parent_class)->shutdown (app);
}

static void
sm_application_dispose (GObject *object)
{
  SmApplication *self = SM_APPLICATION (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->store_error, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->prompts, g_strfreev);
  G_OBJECT_CLASS (sm_application_parent_class)->dispose (object);
}

static void
sm_application_class_init (SmApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = sm_application_dispose;
  app_class->startup = sm_application_startup;
  app_class->activate = sm_application_activate;
  app_class->shutdown = sm_application_shutdown;
  app_class->handle_local_options = sm_application_handle_local_options;
}

static void
sm_application_init (SmApplication *self)
{
  const GOptionEntry options[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, NULL, N_("Load this model (GGUF, llama2.c or SmallMind checkpoint)"), N_("FILE") },
    { "preset", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Load a built-in model: small or medium"), N_("NAME") },
    { "prompt", 'p', 0, G_OPTION_ARG_STRING_ARRAY, NULL,
      N_("Send this prompt once the model is loaded (again: after the reply, the next one)"), N_("TEXT") },
    { NULL }
  };

  sm_ui_init ();
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

SmApplication *
sm_application_new (GApplicationFlags flags)
{
  return g_object_new (SM_TYPE_APPLICATION,
                       "application-id", SM_APP_ID,
                       "flags", flags,
                       "resource-base-path", "/org/smallmind/Playground",
                       NULL);
}

SmConversationStore *
sm_application_get_store (SmApplication *self)
{
  g_return_val_if_fail (SM_IS_APPLICATION (self), NULL);
  return self->store;
}
