/* sm-model-library.c: models on this machine, described from their headers. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "sm-chat-template.h"
#include "sm-gguf.h"
#include "sm-llama2c.h"
#include "sm-model-library.h"
#include "sm-model.h"
#include "sm-quant-mix.h"

/* Deep enough for Hugging Face's models--org--name/snapshots/REV/file and LM Studio's
 * publisher/model/file, not so deep that ~/Downloads' trees are walked whole. */
#define MAX_DEPTH 5

void
sm_model_entry_free (SmModelEntry *e)
{
  if (e == NULL)
    return;
  g_free (e->path);
  g_free (e->name);
  g_free (e->format);
  g_free (e->arch);
  g_free (e->types);
  g_free (e->chat);
  g_free (e->source);
  g_free (e->unsupported);
  g_free (e);
}

static gint64
gguf_int (SmGguf *g, const char *arch, const char *suffix, gint64 fallback)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", arch, suffix);
  guint32 u;
  guint64 u64;

  if (sm_gguf_find_key (g, key) < 0)
    return fallback;
  if (sm_gguf_get_u32 (g, key, &u, NULL))
    return u;
  if (sm_gguf_get_u64 (g, key, &u64, NULL))
    return (gint64) MIN (u64, (guint64) G_MAXINT);
  return fallback;
}

static SmModelEntry *
read_gguf (const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (SmGguf) g = sm_gguf_open (path, &local);
  g_autoptr (SmModelEntry) e = g_new0 (SmModelEntry, 1);
  SmArch arch;

  e->path = g_strdup (path);
  e->format = g_strdup ("GGUF");
  if (g == NULL)
    {
      /* a GGUF of weight types this build does not read is still a model on the machine */
      if (!g_error_matches (local, SM_GGUF_ERROR, SM_GGUF_ERROR_UNSUPPORTED))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      e->unsupported = g_strdup (local->message);
      return g_steal_pointer (&e);
    }
  if (sm_gguf_find_key (g, "general.name") >= 0)
    e->name = sm_gguf_get_string (g, "general.name", NULL);
  if (sm_gguf_find_key (g, "general.architecture") >= 0)
    e->arch = sm_gguf_get_string (g, "general.architecture", NULL);
  e->types = sm_quant_describe_gguf (g);
  for (gsize i = 0; i < sm_gguf_n_tensors (g); i++)
    {
      const SmGgufTensorInfo *ti = sm_gguf_tensor_info (g, i);
      guint64 n = 1;
      for (int d = 0; d < ti->n_dims; d++)
        n *= (guint64) ti->shape[d];
      e->params += n;
    }
  if (sm_gguf_find_key (g, "tokenizer.chat_template") >= 0)
    {
      g_autofree char *jinja = sm_gguf_get_string (g, "tokenizer.chat_template", NULL);
      SmChatFormat f = sm_chat_format_detect (jinja);
      /* a template of a family not written here is still a template */
      e->chat = g_strdup (f != SM_CHAT_FORMAT_NONE ? sm_chat_format_display_name (f)
                                                   : (jinja ? "other" : NULL));
    }
  if (e->arch != NULL)
    {
      int dim = (int) gguf_int (g, e->arch, "embedding_length", 0);
      int heads = (int) gguf_int (g, e->arch, "attention.head_count", 0);

      e->context = (int) gguf_int (g, e->arch, "context_length", 0);
      e->n_layers = (int) gguf_int (g, e->arch, "block_count", 0);
      e->n_kv_heads = (int) gguf_int (g, e->arch, "attention.head_count_kv", heads);
      e->head_dim = (int) gguf_int (g, e->arch, "attention.key_length", heads > 0 ? dim / heads : 0);
      if (!sm_arch_from_gguf_name (e->arch, &arch))
        e->unsupported = g_strdup_printf ("GGUF architecture '%s' is not supported", e->arch);
      else if (sm_gguf_n_tensors (g) == 0)
        e->unsupported = g_strdup ("a vocabulary only: no weights");
    }
  else
    e->unsupported = g_strdup ("no general.architecture");
  return g_steal_pointer (&e);
}

static SmModelEntry *
read_llama2c (const char *path, GError **error)
{
  g_autoptr (SmLlama2c) l = sm_llama2c_open (path, error);
  SmModelEntry *e;
  const SmLlama2cConfig *c;

  if (l == NULL)
    return NULL;
  c = sm_llama2c_get_config (l);
  e = g_new0 (SmModelEntry, 1);
  e->path = g_strdup (path);
  e->format = g_strdup ("llama2.c");
  e->arch = g_strdup ("llama");
  e->types = g_strdup (sm_llama2c_get_version (l) == 2 ? "Q8_0" : "F32");
  e->context = c->seq_len;
  e->n_layers = c->n_layers;
  e->n_kv_heads = c->n_kv_heads;
  e->head_dim = c->n_heads > 0 ? c->dim / c->n_heads : 0;
  {
    guint64 kv_dim = (guint64) e->head_dim * (guint64) c->n_kv_heads;
    guint64 layer = (guint64) c->dim * (guint64) (2 * c->dim + 2 * kv_dim)
                    + 3 * (guint64) c->dim * (guint64) c->hidden_dim + 2 * (guint64) c->dim;
    e->params = (guint64) c->vocab_size * c->dim * (c->shared_classifier ? 1 : 2)
                + layer * (guint64) c->n_layers + (guint64) c->dim;
  }
  return e;
}

static gboolean
has_magic (const char *path, const char *magic4)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, NULL);
  char head[4];
  gsize n = 0;

  return in != NULL
         && g_input_stream_read_all (G_INPUT_STREAM (in), head, 4, &n, NULL, NULL)
         && n == 4 && memcmp (head, magic4, 4) == 0;
}

SmModelEntry *
sm_model_entry_read (const char *path, GError **error)
{
  SmModelEntry *e;
  GStatBuf st;

  g_return_val_if_fail (path != NULL, NULL);

  if (has_magic (path, "GGUF"))
    e = read_gguf (path, error);
  else
    e = read_llama2c (path, error);
  if (e == NULL)
    return NULL;
  if (e->name == NULL || *e->name == '\0')
    {
      g_free (e->name);
      e->name = g_path_get_basename (path);
    }
  if (g_stat (path, &st) == 0)
    e->file_bytes = (guint64) st.st_size;
  return e;
}

guint64
sm_model_entry_kv_bytes (const SmModelEntry *e, int context, SmKvType type)
{
  g_return_val_if_fail (e != NULL, 0);
  if (context <= 0)
    context = e->context;
  /* keys and values, each layer, each position */
  return 2 * (guint64) MAX (e->n_layers, 0) * (guint64) MAX (e->n_kv_heads, 0)
         * (guint64) MAX (e->head_dim, 0) * (guint64) MAX (context, 0)
         * (type == SM_KV_TYPE_F16 ? 2 : 4);
}

char **
sm_model_library_default_folders (const char *home, const char *data_dir)
{
  GStrvBuilder *b = g_strv_builder_new ();
  struct { const char *sub, *name; } known[] = {
    { ".cache/llama.cpp", "llama.cpp" },
    { ".lmstudio/models", "LM Studio" },
    { ".cache/lm-studio/models", "LM Studio" },
    { ".ollama/models", "Ollama" },
    { ".cache/huggingface/hub", "Hugging Face" },
    { "Downloads", "Downloads" },
  };
  char **out;

  g_return_val_if_fail (home != NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      g_autofree char *p = g_build_filename (home, known[i].sub, NULL);
      g_strv_builder_add (b, p);
      g_strv_builder_add (b, known[i].name);
    }
  if (data_dir != NULL)
    {
      g_strv_builder_add (b, data_dir);
      g_strv_builder_add (b, "SmallMind");
    }
  out = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return out;
}

/* ---- the scan ------------------------------------------------------------------------------ */

typedef struct {
  GPtrArray    *entries;
  GHashTable   *seen;      /* real paths already listed */
  GCancellable *cancel;
} Scan;

static void
add_file (Scan *s, const char *path, const char *source, const char *name)
{
  g_autofree char *real = g_canonicalize_filename (path, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autofree char *target = NULL;
  SmModelEntry *e;

  /* a symlink (Hugging Face's snapshots) counts as its target */
  target = g_file_read_link (path, NULL);
  if (target != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (path);
      g_free (real);
      real = g_canonicalize_filename (target, dir);
    }
  if (g_hash_table_contains (s->seen, real))
    return;
  g_hash_table_add (s->seen, g_strdup (real));
  e = sm_model_entry_read (path, NULL);
  if (e == NULL)
    return;
  e->source = g_strdup (source);
  if (name != NULL)
    {
      g_free (e->name);
      e->name = g_strdup (name);
    }
  g_ptr_array_add (s->entries, e);
}

static gboolean
model_file_name (const char *name)
{
  return g_str_has_suffix (name, ".gguf") || g_str_has_suffix (name, ".bin");
}

static void
walk (Scan *s, const char *dir, const char *source, int depth)
{
  g_autoptr (GDir) d = NULL;
  const char *name;

  if (depth > MAX_DEPTH || g_cancellable_is_cancelled (s->cancel))
    return;
  d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL && !g_cancellable_is_cancelled (s->cancel))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (name[0] == '.')
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        {
          /* a file's link is followed, a folder's is not (no loops, no walking elsewhere) */
          if (model_file_name (name) && g_file_test (path, G_FILE_TEST_IS_REGULAR))
            add_file (s, path, source, NULL);
        }
      else if (g_file_test (path, G_FILE_TEST_IS_DIR))
        walk (s, path, source, depth + 1);
      else if (model_file_name (name))
        add_file (s, path, source, NULL);
    }
}

/* Ollama keeps blobs by digest; its manifests (manifests/HOST/NAMESPACE/MODEL/TAG, JSON) name
 * the blob of a model's weights by the media type "application/vnd.ollama.image.model". */
static void
read_ollama_manifest (Scan *s, const char *root, const char *manifest, const char *model,
                      const char *tag)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *node;
  JsonArray *layers;

  if (!json_parser_load_from_file (parser, manifest, NULL))
    return;
  node = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (node)
      || !json_object_has_member (json_node_get_object (node), "layers")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (json_node_get_object (node), "layers")))
    return;
  layers = json_object_get_array_member (json_node_get_object (node), "layers");
  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonNode *ln = json_array_get_element (layers, i);
      JsonObject *layer;
      const char *type, *digest;

      if (!JSON_NODE_HOLDS_OBJECT (ln))
        continue;
      layer = json_node_get_object (ln);
      type = json_object_get_string_member_with_default (layer, "mediaType", NULL);
      digest = json_object_get_string_member_with_default (layer, "digest", NULL);
      if (g_strcmp0 (type, "application/vnd.ollama.image.model") == 0 && digest != NULL
          && g_str_has_prefix (digest, "sha256:") && strchr (digest, '/') == NULL)
        {
          g_autofree char *blob_name = g_strdup_printf ("sha256-%s", digest + 7);
          g_autofree char *blob = g_build_filename (root, "blobs", blob_name, NULL);
          g_autofree char *name = g_strdup_printf ("%s:%s", model, tag);

          if (g_file_test (blob, G_FILE_TEST_IS_REGULAR))
            add_file (s, blob, "Ollama", name);
        }
    }
}

static void
walk_ollama (Scan *s, const char *root)
{
  g_autofree char *manifests = g_build_filename (root, "manifests", NULL);
  g_autoptr (GPtrArray) stack = g_ptr_array_new_with_free_func (g_free);

  /* manifests/HOST/NAMESPACE/MODEL/TAG: files four levels down */
  g_ptr_array_add (stack, g_strdup (manifests));
  while (stack->len > 0 && !g_cancellable_is_cancelled (s->cancel))
    {
      g_autofree char *dir = g_ptr_array_steal_index (stack, stack->len - 1);
      g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
      const char *name;

      if (d == NULL)
        continue;
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          int depth = 0;

          for (const char *p = path + strlen (manifests); *p; p++)
            depth += *p == G_DIR_SEPARATOR;
          if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
            {
              if (depth < 4)
                g_ptr_array_add (stack, g_steal_pointer (&path));
            }
          else if (depth == 4)
            {
              g_autofree char *model_dir = g_path_get_dirname (path);
              g_autofree char *model = g_path_get_basename (model_dir);
              read_ollama_manifest (s, root, path, model, name);
            }
        }
    }
}

GPtrArray *
sm_model_library_scan (const char *const *folders, GCancellable *cancel,
                       SmModelScanProgress progress, gpointer user_data, GError **error)
{
  Scan s = { g_ptr_array_new_with_free_func ((GDestroyNotify) sm_model_entry_free),
             g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), cancel };
  guint total = folders ? g_strv_length ((char **) folders) / 2 : 0;

  for (guint i = 0; i < total; i++)
    {
      const char *dir = folders[2 * i], *source = folders[2 * i + 1];
      g_autofree char *manifests = g_build_filename (dir, "manifests", NULL);
      g_autofree char *blobs = g_build_filename (dir, "blobs", NULL);

      if (g_cancellable_set_error_if_cancelled (cancel, error))
        {
          g_ptr_array_unref (s.entries);
          g_hash_table_unref (s.seen);
          return NULL;
        }
      /* Ollama's store, wherever it is */
      if (g_file_test (manifests, G_FILE_TEST_IS_DIR) && g_file_test (blobs, G_FILE_TEST_IS_DIR))
        walk_ollama (&s, dir);
      else
        walk (&s, dir, source, 0);
      if (progress)
        progress (i + 1, total, user_data);
    }
  g_hash_table_unref (s.seen);
  if (g_cancellable_set_error_if_cancelled (cancel, error))
    {
      g_ptr_array_unref (s.entries);
      return NULL;
    }
  return s.entries;
}

guint64
sm_model_library_mem_available (void)
{
  g_autofree char *info = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/meminfo", &info, NULL, NULL))
    return 0;
  line = strstr (info, "MemAvailable:");
  return line ? g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10) * 1024 : 0;
}
