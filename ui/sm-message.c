/* sm-message.c: one message of a conversation. */
#define G_LOG_DOMAIN "SmMessage"

#include <glib/gi18n.h>
#include <string.h>

#include "sm-message.h"
#include "sm-json-read.h"

struct _SmMessage {
  GObject           parent_instance;

  SmRole            role;
  GString          *text;
  char             *status;
  gboolean          interrupted;   /* cut off by a crash: said again in every later save */
  gboolean          generating;
  gboolean          has_figures;
  SmMessageFigures  figures;
};

G_DEFINE_FINAL_TYPE (SmMessage, sm_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ROLE,
  PROP_TEXT,
  PROP_GENERATING,
  PROP_STATUS,
  PROP_FIGURES,   /* notified when the figures change; read them with the getter */
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
sm_message_finalize (GObject *object)
{
  SmMessage *self = SM_MESSAGE (object);

  g_string_free (self->text, TRUE);
  g_free (self->status);
  sm_message_figures_clear (&self->figures);
  G_OBJECT_CLASS (sm_message_parent_class)->finalize (object);
}

static void
sm_message_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmMessage *self = SM_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ROLE:
      g_value_set_int (value, self->role);
      break;
    case PROP_TEXT:
      g_value_set_string (value, self->text->str);
      break;
    case PROP_GENERATING:
      g_value_set_boolean (value, self->generating);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_FIGURES:
      g_value_set_boolean (value, self->has_figures);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sm_message_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SmMessage *self = SM_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ROLE:
      self->role = g_value_get_int (value);
      break;
    case PROP_TEXT:
      sm_message_set_text (self, g_value_get_string (value));
      break;
    case PROP_GENERATING:
      sm_message_set_generating (self, g_value_get_boolean (value));
      break;
    case PROP_STATUS:
      sm_message_set_status (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sm_message_class_init (SmMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sm_message_finalize;
  object_class->get_property = sm_message_get_property;
  object_class->set_property = sm_message_set_property;

  properties[PROP_ROLE] =
    g_param_spec_int ("role", NULL, NULL, SM_ROLE_USER, SM_ROLE_ASSISTANT, SM_ROLE_USER,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GENERATING] =
    g_param_spec_boolean ("generating", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FIGURES] =
    g_param_spec_boolean ("has-figures", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sm_message_init (SmMessage *self)
{
  self->text = g_string_new (NULL);
}

SmMessage *
sm_message_new (SmRole role, const char *text)
{
  return g_object_new (SM_TYPE_MESSAGE, "role", (int) role, "text", text ? text : "", NULL);
}

SmRole
sm_message_get_role (SmMessage *self)
{
  g_return_val_if_fail (SM_IS_MESSAGE (self), SM_ROLE_USER);
  return self->role;
}

const char *
sm_message_get_text (SmMessage *self)
{
  g_return_val_if_fail (SM_IS_MESSAGE (self), NULL);
  return self->text->str;
}

void
sm_message_set_text (SmMessage *self, const char *text)
{
  g_return_if_fail (SM_IS_MESSAGE (self));

  if (text == NULL)
    text = "";
  if (g_str_equal (text, self->text->str))
    return;
  g_string_assign (self->text, text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

void
sm_message_append_text (SmMessage *self, const char *text)
{
  g_return_if_fail (SM_IS_MESSAGE (self));

  if (text == NULL || *text == '\0')
    return;
  g_string_append (self->text, text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

gboolean
sm_message_get_generating (SmMessage *self)
{
  g_return_val_if_fail (SM_IS_MESSAGE (self), FALSE);
  return self->generating;
}

void
sm_message_set_generating (SmMessage *self, gboolean generating)
{
  g_return_if_fail (SM_IS_MESSAGE (self));

  generating = !!generating;
  if (self->generating == generating)
    return;
  self->generating = generating;
  if (generating)
    self->interrupted = FALSE;   /* written on: no longer the cut-off reply */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GENERATING]);
}

const char *
sm_message_get_status (SmMessage *self)
{
  g_return_val_if_fail (SM_IS_MESSAGE (self), NULL);
  return self->status;
}

void
sm_message_set_status (SmMessage *self, const char *status)
{
  g_return_if_fail (SM_IS_MESSAGE (self));

  if (g_strcmp0 (status, self->status) == 0)
    return;
  g_free (self->status);
  self->status = g_strdup (status);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

const SmMessageFigures *
sm_message_get_figures (SmMessage *self)
{
  g_return_val_if_fail (SM_IS_MESSAGE (self), NULL);
  return self->has_figures ? &self->figures : NULL;
}

void
sm_message_figures_clear (SmMessageFigures *figures)
{
  g_clear_pointer (&figures->stop_reason, g_free);
  g_clear_pointer (&figures->kernel_level, g_free);
  g_clear_pointer (&figures->model, g_free);
  memset (figures, 0, sizeof *figures);
}

void
sm_message_set_figures (SmMessage *self, const SmMessageFigures *figures)
{
  g_return_if_fail (SM_IS_MESSAGE (self));
  g_return_if_fail (figures != NULL);

  sm_message_figures_clear (&self->figures);
  self->figures = *figures;
  self->figures.stop_reason = g_strdup (figures->stop_reason);
  self->figures.kernel_level = g_strdup (figures->kernel_level);
  self->figures.model = g_strdup (figures->model);
  self->has_figures = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIGURES]);
}

void
sm_message_clear_figures (SmMessage *self)
{
  g_return_if_fail (SM_IS_MESSAGE (self));

  if (!self->has_figures)
    return;
  sm_message_figures_clear (&self->figures);
  self->has_figures = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIGURES]);
}

void
sm_message_figures_from_stats (SmMessageFigures      *f,
                               const SmGenerateStats *st,
                               gboolean               pool_enabled,
                               const char            *kernel_level,
                               int                    threads,
                               const char            *model)
{
  memset (f, 0, sizeof *f);
  f->prompt_tokens = st->prompt_tokens;
  f->cached_tokens = st->cached_tokens;
  f->prefill_ms = st->prefill_us / 1000.0;
  f->prefill_tps = sm_generate_stats_prefill_tps (st);
  f->ttft_ms = st->ttft_us / 1000.0;
  f->generated_tokens = st->generated_tokens;
  f->decode_tps = sm_generate_stats_decode_tps (st);
  f->context_used = st->context_used;
  f->context_size = st->context_size;
  /* stored untranslated (it is data); translated when shown */
  f->stop_reason = g_strdup (sm_stop_reason_to_string (st->stop_reason));
  f->pool_enabled = pool_enabled;
  f->kernel_level = g_strdup (kernel_level);
  f->threads = threads;
  f->model = g_strdup (model);
}

/* The kernel path as a person reads it: "scalar" is a word to translate, the ISA names are not. */
static const char *
kernel_label (const char *level)
{
  if (level == NULL)
    return "?";
  if (g_str_equal (level, "scalar"))
    return C_("kernel path", "scalar");
  return level;
}

static const char *
stop_reason_label (const char *reason)
{
  /* The engine's names, shown in the user's language. */
  if (reason == NULL)
    return _("unknown");
  if (g_str_equal (reason, "max tokens"))
    return _("token limit");
  if (g_str_equal (reason, "end of text"))
    return _("end of text");
  if (g_str_equal (reason, "stop string"))
    return _("stop text");
  if (g_str_equal (reason, "context full"))
    return _("context full");
  if (g_str_equal (reason, "cancelled"))
    return _("stopped");
  return reason;
}

char *
sm_message_format_figures (SmMessage *self)
{
  const SmMessageFigures *f;
  g_autofree char *prompt = NULL, *prefill = NULL, *ttft = NULL, *gen = NULL, *config = NULL;
  g_autofree char *stop = NULL;

  g_return_val_if_fail (SM_IS_MESSAGE (self), NULL);

  if ((f = sm_message_get_figures (self)) == NULL)
    return NULL;

  if (f->cached_tokens > 0)
    /* Translators: tokens of the prompt, of which some were already in the cache */
    prompt = g_strdup_printf (_("%d prompt tokens (%d cached)"), f->prompt_tokens, f->cached_tokens);
  else
    prompt = g_strdup_printf (ngettext ("%d prompt token", "%d prompt tokens", f->prompt_tokens),
                              f->prompt_tokens);
  /* Translators: time to read the prompt, and the speed */
  prefill = g_strdup_printf (_("prefill %.1f ms (%'.0f tok/s)"), f->prefill_ms, f->prefill_tps);
  /* Translators: time to first token */
  ttft = g_strdup_printf (_("first token %.1f ms"), f->ttft_ms);
  gen = g_strdup_printf (ngettext ("%d token at %'.0f tok/s", "%d tokens at %'.0f tok/s",
                                      f->generated_tokens),
                         f->generated_tokens, f->decode_tps);
  /* Translators: why generation stopped */
  /* none yet: the figures of a reply still running, or cut off by a crash */
  stop = f->stop_reason != NULL ? g_strdup_printf (_("stop: %s"), stop_reason_label (f->stop_reason))
                                : NULL;
  /* Translators: the engine configuration: pool on/off, kernel path, threads */
  config = g_strdup_printf (ngettext ("pool %s · %s · %d thread", "pool %s · %s · %d threads",
                                         f->threads),
                            f->pool_enabled ? _("on") : _("off"),
                            kernel_label (f->kernel_level), f->threads);

  if (stop == NULL)
    return g_strjoin (" · ", prompt, prefill, ttft, gen, config, NULL);
  return g_strjoin (" · ", prompt, prefill, ttft, gen, stop, config, NULL);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

JsonNode *
sm_message_to_json (SmMessage *self)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (SM_IS_MESSAGE (self), NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, self->role == SM_ROLE_USER ? "user" : "assistant");
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, self->text->str);
  if (self->generating)
    {
      /* saved in flight: read back after a crash, it says it was cut short */
      json_builder_set_member_name (b, "in_progress");
      json_builder_add_boolean_value (b, TRUE);
    }
  else if (self->interrupted)
    {
      json_builder_set_member_name (b, "interrupted");
      json_builder_add_boolean_value (b, TRUE);
    }
  if (self->has_figures)
    {
      const SmMessageFigures *f = &self->figures;

      json_builder_set_member_name (b, "figures");
      json_builder_begin_object (b);
#define INT(name, v) json_builder_set_member_name (b, name); json_builder_add_int_value (b, v)
#define DBL(name, v) json_builder_set_member_name (b, name); json_builder_add_double_value (b, sm_json_double (v))
      INT ("prompt_tokens", f->prompt_tokens);
      INT ("cached_tokens", f->cached_tokens);
      DBL ("prefill_ms", f->prefill_ms);
      DBL ("prefill_tps", f->prefill_tps);
      DBL ("ttft_ms", f->ttft_ms);
      INT ("generated_tokens", f->generated_tokens);
      DBL ("decode_tps", f->decode_tps);
      INT ("context_used", f->context_used);
      INT ("context_size", f->context_size);
      INT ("threads", f->threads);
#undef INT
#undef DBL
      json_builder_set_member_name (b, "stop_reason");
      json_builder_add_string_value (b, f->stop_reason);
      json_builder_set_member_name (b, "pool");
      json_builder_add_boolean_value (b, f->pool_enabled);
      json_builder_set_member_name (b, "kernels");
      json_builder_add_string_value (b, f->kernel_level);
      if (f->model != NULL)
        {
          json_builder_set_member_name (b, "model");
          json_builder_add_string_value (b, f->model);
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

SmMessage *
sm_message_new_from_json (JsonNode *node, GError **error)
{
  JsonObject *o, *fo;
  const char *role, *text;
  g_autofree char *valid_text = NULL;
  SmMessage *self;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    goto bad;
  o = json_node_get_object (node);
  role = sm_json_read_string (o, "role", NULL);
  text = sm_json_read_string (o, "text", NULL);
  /* a lone surrogate escape ("\ud800") reads as bytes that are not UTF-8, which GTK refuses
   * to show */
  if (text != NULL)
    valid_text = g_utf8_make_valid (text, -1);
  if (role == NULL || text == NULL || (!g_str_equal (role, "user") && !g_str_equal (role, "assistant")))
    goto bad;

  self = sm_message_new (g_str_equal (role, "user") ? SM_ROLE_USER : SM_ROLE_ASSISTANT, valid_text);
  if (json_object_has_member (o, "figures") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "figures")))
    {
      SmMessageFigures f = { 0 };

      fo = json_object_get_object_member (o, "figures");
      f.prompt_tokens = sm_json_read_int (fo, "prompt_tokens", 0);
      f.cached_tokens = sm_json_read_int (fo, "cached_tokens", 0);
      f.prefill_ms = sm_json_read_double (fo, "prefill_ms", 0);
      f.prefill_tps = sm_json_read_double (fo, "prefill_tps", 0);
      f.ttft_ms = sm_json_read_double (fo, "ttft_ms", 0);
      f.generated_tokens = sm_json_read_int (fo, "generated_tokens", 0);
      f.decode_tps = sm_json_read_double (fo, "decode_tps", 0);
      f.context_used = sm_json_read_int (fo, "context_used", 0);
      f.context_size = sm_json_read_int (fo, "context_size", 0);
      f.threads = sm_json_read_int (fo, "threads", 0);
      f.pool_enabled = sm_json_read_bool (fo, "pool", TRUE);
      g_autofree char *stop_reason = sm_json_read_valid_string (fo, "stop_reason");
      g_autofree char *kernels = sm_json_read_valid_string (fo, "kernels");
      g_autofree char *model = sm_json_read_valid_string (fo, "model");

      f.stop_reason = stop_reason;
      f.kernel_level = kernels;
      f.model = model;
      sm_message_set_figures (self, &f);   /* copies the strings */
    }
  if (sm_json_read_bool (o, "in_progress", FALSE) ||
      sm_json_read_bool (o, "interrupted", FALSE))
    self->interrupted = TRUE;
  if (self->interrupted)
    sm_message_set_status (self, _("Interrupted: SmallMind stopped while this reply was being written"));
  return self;

bad:
  g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                       _("A message is missing its role or text"));
  return NULL;
}
