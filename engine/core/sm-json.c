/* sm-json.c: JSON text with every control character escaped, and doubles json-glib writes
 * validly (see sm-json.h). */
#include "sm-json.h"

#include <math.h>
#include <string.h>

char *
sm_json_escape_controls (char *text, gsize *length)
{
  gsize n = 0, len;
  GString *out;

  g_return_val_if_fail (text != NULL, NULL);

  len = strlen (text);
  /* Outside strings a generator writes only newlines and spaces, so any other byte below 0x20
   * is inside a string, where JSON wants it escaped. */
  for (gsize i = 0; i < len; i++)
    n += (guchar) text[i] < 0x20 && text[i] != '\n';
  if (n == 0)
    {
      if (length != NULL)
        *length = len;
      return text;
    }
  out = g_string_sized_new (len + 5 * n);
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) text[i];

      if (c < 0x20 && c != '\n')
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_free (text);
  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

char *
sm_json_generate (JsonGenerator *gen, gsize *length)
{
  g_return_val_if_fail (JSON_IS_GENERATOR (gen), NULL);
  return sm_json_escape_controls (json_generator_to_data (gen, NULL), length);
}

char *
sm_json_to_string (JsonNode *node, gboolean pretty)
{
  g_return_val_if_fail (node != NULL, NULL);
  return sm_json_escape_controls (json_to_string (node, pretty), NULL);
}

gsize
sm_json_depth (const char *text, gsize len)
{
  gsize depth = 0, deepest = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char ch = text[i];
      if (in_string)
        {
          if (ch == '\\')
            i++;
          else if (ch == '"')
            in_string = FALSE;
        }
      else if (ch == '"')
        in_string = TRUE;
      else if (ch == '[' || ch == '{')
        {
          /* not inside MAX (), which evaluates its arguments twice */
          depth++;
          deepest = MAX (deepest, depth);
        }
      else if ((ch == ']' || ch == '}') && depth > 0)
        depth--;
    }
  return deepest;
}

double
sm_json_double (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    return 0.0;
  for (int i = 0; i < 4; i++)
    {
      g_ascii_formatd (buf, sizeof buf, "%.17g", v);
      if (strchr (buf, 'e') == NULL || strchr (buf, '.') != NULL)
        break;
      v = nextafter (v, 0.0);
    }
  return v;
}
