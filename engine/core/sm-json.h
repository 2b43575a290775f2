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

/* json-glib's parser recurses once per level of nesting, so a file of a million '[' would
 * overflow the stack: the readers of outside JSON refuse deeper documents first. */
#define SM_JSON_MAX_DEPTH 256

/* The deepest nesting of objects and arrays in JSON @text (@len bytes; strings skipped). */
gsize sm_json_depth (const char *text, gsize len);

/* @v as a double json-glib writes validly: 0 for NaN and infinities, and one ulp toward zero
 * for a value whose "%.17g" has an exponent and no '.' (1e+20, 6e+63), to which json-glib 1.6
 * appends ".0", making invalid JSON ("1e+20.0") that no parser reads back. */
double sm_json_double (double v);

G_END_DECLS
