/* sm-json-read.h: members of a saved conversation's JSON objects, read without trusting their
 * types.
 *
 * json-glib's json_object_get_*_member_with_default () gives the default for a missing member
 * or a null, but logs a critical for an object or an array where a value should be.  A file
 * that says "role": [] is a damaged file, not a bug of the window's, so these take any member
 * and give the default for anything that is not a value of a fitting type.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "sm-engine.h"

G_BEGIN_DECLS

static inline JsonNode *
sm_json_read_value (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? n : NULL;
}

static inline const char *
sm_json_read_string (JsonObject *o, const char *name, const char *fallback)
{
  JsonNode *n = sm_json_read_value (o, name);
  return n != NULL && json_node_get_value_type (n) == G_TYPE_STRING ? json_node_get_string (n)
                                                                    : fallback;
}

/* A copy in UTF-8, or NULL: json-glib decodes a lone surrogate escape ("\ud800") to bytes
 * that are not UTF-8, which GTK refuses to show. */
static inline char *
sm_json_read_valid_string (JsonObject *o, const char *name)
{
  const char *s = sm_json_read_string (o, name, NULL);
  return s != NULL ? g_utf8_make_valid (s, -1) : NULL;
}

/* Numbers and booleans as json-glib converts them; a string is no number. */
static inline gboolean
sm_json_read_is_number (JsonNode *n)
{
  GType t = n != NULL ? json_node_get_value_type (n) : G_TYPE_INVALID;
  return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE || t == G_TYPE_BOOLEAN;
}

static inline gint64
sm_json_read_int (JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *n = sm_json_read_value (o, name);
  double d;

  if (!sm_json_read_is_number (n))
    return fallback;
  if (json_node_get_value_type (n) != G_TYPE_DOUBLE)
    return json_node_get_int (n);
  /* json-glib would cast any double, and one past gint64's range is undefined */
  d = json_node_get_double (n);
  return d >= -9.2e18 && d <= 9.2e18 ? (gint64) d : fallback;
}

static inline double
sm_json_read_double (JsonObject *o, const char *name, double fallback)
{
  JsonNode *n = sm_json_read_value (o, name);
  return sm_json_read_is_number (n) ? json_node_get_double (n) : fallback;
}

static inline gboolean
sm_json_read_bool (JsonObject *o, const char *name, gboolean fallback)
{
  JsonNode *n = sm_json_read_value (o, name);
  return sm_json_read_is_number (n) ? json_node_get_boolean (n) : fallback;
}

/* json-glib's parser recurses once per level of nesting, so a saved file of a million '['
 * would overflow the window's stack; deeper documents are refused before they reach it, by
 * the engine's own scan (sm-engine.h carries sm-json.h for the window's files). */
#define SM_JSON_READ_MAX_DEPTH 256

G_END_DECLS
