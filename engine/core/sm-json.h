/* sm-json.h: JSON text as every file SmallMind writes it.
 *
 * json-glib (1.6, Debian 12's) writes some control characters raw inside strings: it escapes
 * U+001E but not U+001F, and a raw control character makes the file invalid JSON for strict
 * parsers (Python's json, jq, browsers).  These wrap its generator and escape every control
 * character as \u00XX, so a reply or a model name holding one still gives a valid file.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* json_generator_to_data () with every control character escaped; g_free. */
char *sm_json_generate  (JsonGenerator *gen, gsize *length);
/* json_to_string () likewise. */
char *sm_json_to_string (JsonNode *node, gboolean pretty);
/* Escapes, in place of @text (g_free'd, NUL-terminated JSON), the control characters a
 * generator left raw; *@length (may be NULL) gets the new length. */
char *sm_json_escape_controls (char *text, gsize *length);

G_END_DECLS
