/* sm-settings-bind.c: settings bound to widgets, rounded where the key is an integer. */
#include "sm-settings-bind.h"

#include <math.h>

static gboolean
get_number (GValue *value, GVariant *variant, gpointer user_data)
{
  if (g_variant_is_of_type (variant, G_VARIANT_TYPE_UINT32))
    g_value_set_double (value, g_variant_get_uint32 (variant));
  else
    g_value_set_double (value, g_variant_get_int32 (variant));
  return TRUE;
}

static GVariant *
set_rounded (const GValue *value, const GVariantType *type, gpointer user_data)
{
  double v = round (g_value_get_double (value));

  if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT32))
    return g_variant_new_uint32 ((guint32) CLAMP (v, 0, G_MAXUINT32));
  return g_variant_new_int32 ((gint32) CLAMP (v, G_MININT32, G_MAXINT32));
}

void
sm_settings_bind_rounded (GSettings *settings, const char *key, gpointer object,
                          const char *property)
{
  g_settings_bind_with_mapping (settings, key, object, property, G_SETTINGS_BIND_DEFAULT,
                                get_number, set_rounded, NULL, NULL);
}
