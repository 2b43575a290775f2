/* sm-train-tokenizer.c: a tokenizer as a small JSON file, the object a checkpoint stores
 * under "tokenizer" (what train-tokenizer writes and train reads). */
#include "sm-json.h"
#include "sm-train-private.h"

/* ---- tokenizer files ----------------------------------------------------------------------------- */

gboolean
sm_train_tokenizer_save (SmTokenizer *tok, const char *path, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  switch (sm_tokenizer_get_kind (tok))
    {
    case SM_TOKENIZER_BYTES:
      json_builder_add_string_value (b, "bytes");
      break;
    case SM_TOKENIZER_BPE:
      {
        gsize n = 0;
        const gint32 *merges = sm_tokenizer_get_merges (tok, &n);
        json_builder_add_string_value (b, "bpe");
        json_builder_set_member_name (b, "merges");
        json_builder_begin_array (b);
        for (gsize i = 0; i < 2 * n; i++)
          json_builder_add_int_value (b, merges[i]);
        json_builder_end_array (b);
      }
      break;
    case SM_TOKENIZER_SPM:
    default:
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_INVALID,
                   "Only bytes and byte-level BPE tokenizers are written as tokenizer files");
      return FALSE;
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = sm_json_generate (gen, NULL);
  return sm_atomic_file_set_contents (path, text, -1, error);
}

SmTokenizer *
sm_train_tokenizer_load (const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  JsonNode *root;
  JsonObject *o;
  const char *kind;

  if (!json_parser_load_from_file (parser, path, &local))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                   "%s is not a tokenizer file: %s", path, local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  o = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  kind = member_string (o, "kind");
  if (g_strcmp0 (kind, "bytes") == 0)
    return sm_tokenizer_new_bytes ();
  if (g_strcmp0 (kind, "bpe") == 0)
    {
      JsonNode *mn = json_object_get_member (o, "merges");
      JsonArray *a = mn && JSON_NODE_HOLDS_ARRAY (mn) ? json_node_get_array (mn) : NULL;
      guint n = a ? json_array_get_length (a) : 0;
      g_autofree gint32 *merges = g_new (gint32, MAX (n, 1));
      SmTokenizer *tok;

      if (a == NULL || n % 2)
        {
          g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                       "%s: \"merges\" must be an even-length array of token ids", path);
          return NULL;
        }
      for (guint i = 0; i < n; i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_INT64 ||
              json_node_get_int (e) < 0 || json_node_get_int (e) > G_MAXINT32)
            {
              g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                           "%s: merge entry %u is not a token id", path, i);
              return NULL;
            }
          merges[i] = (gint32) json_node_get_int (e);
        }
      tok = sm_tokenizer_new_bpe (merges, n / 2, &local);
      if (tok == NULL)
        g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA, "%s: %s", path, local->message);
      return tok;
    }
  g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
               "%s: tokenizer kind '%s' is unknown (bytes or bpe)", path, kind ? kind : "(none)");
  return NULL;
}
