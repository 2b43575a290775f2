/* test-model-library.c: the model library finds what other tools downloaded, in a home folder
 * laid out as llama.cpp, Ollama, Hugging Face and a Downloads folder lay theirs out, reads
 * each model by its header, lists a file once however many links point at it, leaves out
 * what is not a model (random bytes, a cut-off GGUF), lists a vocabulary-only GGUF as one it
 * cannot run, follows no folder link and stops at its depth. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "sm-engine.h"
#include "sm-gguf.h"
#include "sm-model-library.h"

static char *
shared (const char *name)
{
  const char *dir = g_getenv ("SM_SHARED_MODELS");
  return g_build_filename (dir ? dir : "../shared/models", name, NULL);
}

static void
put (const char *home, const char *rel, const char *contents, gsize len)
{
  g_autofree char *path = g_build_filename (home, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, (gssize) len, NULL));
}

static void
link_to (const char *home, const char *rel, const char *target)
{
  g_autofree char *path = g_build_filename (home, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (symlink (target, path), ==, 0);
}

static const SmModelEntry *
find (GPtrArray *entries, const char *name)
{
  for (guint i = 0; i < entries->len; i++)
    if (g_strcmp0 (((SmModelEntry *) entries->pdata[i])->name, name) == 0)
      return entries->pdata[i];
  return NULL;
}

static void
rm_rf (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileEnumerator) en = NULL;
  GFileInfo *info;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      en = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                      G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
      while (en && (info = g_file_enumerator_next_file (en, NULL, NULL)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);
          rm_rf (child);
          g_object_unref (info);
        }
    }
  g_remove (path);
}

typedef struct {
  char  *home;
  char **folders;
  gsize  gguf_len;
  guint64 gguf_params;
} Home;

/* The home folder: each tool's layout holding stories260K. */
static gboolean
make_home (Home *h)
{
  g_autofree char *gguf_path = shared ("stories260K.gguf");
  g_autofree char *bin_path = shared ("stories260K.bin");
  g_autofree char *vocab_path = shared ("ggml-vocab-llama-spm.gguf");
  g_autofree char *gguf = NULL, *bin = NULL, *vocab = NULL;
  g_autoptr (SmGguf) g = NULL;
  gsize bin_len, vocab_len;
  const char *digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  g_autofree char *manifest = NULL, *blob = NULL;
  char junk[1000];

  if (!g_file_get_contents (gguf_path, &gguf, &h->gguf_len, NULL) ||
      !g_file_get_contents (bin_path, &bin, &bin_len, NULL) ||
      !g_file_get_contents (vocab_path, &vocab, &vocab_len, NULL))
    {
      g_test_skip ("../shared/models/stories260K.gguf, stories260K.bin or "
                   "ggml-vocab-llama-spm.gguf is missing (SM_SHARED_MODELS)");
      return FALSE;
    }
  g = sm_gguf_open (gguf_path, NULL);
  g_assert_nonnull (g);
  for (gsize i = 0; i < sm_gguf_n_tensors (g); i++)
    {
      const SmGgufTensorInfo *ti = sm_gguf_tensor_info (g, i);
      guint64 n = 1;
      for (int d = 0; d < ti->n_dims; d++)
        n *= (guint64) ti->shape[d];
      h->gguf_params += n;
    }

  h->home = g_dir_make_tmp ("sm-library-XXXXXX", NULL);
  put (h->home, ".cache/llama.cpp/stories260K.gguf", gguf, h->gguf_len);
  /* Ollama: the manifest names the weights' blob by digest */
  blob = g_strdup_printf (".ollama/models/blobs/sha256-%s", digest);
  put (h->home, blob, gguf, h->gguf_len);
  manifest = g_strdup_printf ("{\"schemaVersion\": 2, \"layers\": ["
                              "{\"mediaType\": \"application/vnd.ollama.image.template\", \"digest\": \"sha256:ffff\"},"
                              "{\"mediaType\": \"application/vnd.ollama.image.model\", \"digest\": \"sha256:%s\"}]}",
                              digest);
  put (h->home, ".ollama/models/manifests/registry.ollama.ai/library/stories/tiny", manifest, strlen (manifest));
  /* Hugging Face: two snapshots linking to one blob */
  put (h->home, ".cache/huggingface/hub/models--karpathy--stories/blobs/beef", gguf, h->gguf_len);
  link_to (h->home, ".cache/huggingface/hub/models--karpathy--stories/snapshots/rev1/stories-hf.gguf",
           "../../blobs/beef");
  link_to (h->home, ".cache/huggingface/hub/models--karpathy--stories/snapshots/rev2/stories-hf.gguf",
           "../../blobs/beef");
  /* Downloads: a llama2.c model, and what is not a model */
  put (h->home, "Downloads/stories260K.bin", bin, bin_len);
  for (guint i = 0; i < sizeof junk; i++)
    junk[i] = (char) (i * 7919 % 251);
  put (h->home, "Downloads/notes.bin", junk, sizeof junk);
  put (h->home, "Downloads/cut.gguf", gguf, 200);
  put (h->home, "Downloads/ggml-vocab-llama-spm.gguf", vocab, vocab_len);
  put (h->home, "Downloads/a/b/c/d/e/f/too-deep.gguf", gguf, h->gguf_len);
  link_to (h->home, "Downloads/loop", "..");

  h->folders = sm_model_library_default_folders (h->home, NULL);
  return TRUE;
}

static void
free_home (Home *h)
{
  if (h->home)
    rm_rf (h->home);
  g_free (h->home);
  g_strfreev (h->folders);
}

static void
test_scan (void)
{
  Home h = { 0 };
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  const SmModelEntry *e;

  if (!make_home (&h))
    return;
  entries = sm_model_library_scan ((const char *const *) h.folders, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < entries->len; i++)
    {
      const SmModelEntry *x = entries->pdata[i];
      g_test_message ("%s (%s, %s): %s %s, %" G_GUINT64_FORMAT " params, ctx %d, %s%s", x->name,
                      x->source, x->format, x->arch, x->types, x->params, x->context,
                      x->chat ? x->chat : "no template", x->unsupported ? " — cannot run" : "");
    }
  /* llama.cpp's copy, Ollama's, one of Hugging Face's, the llama2.c file, the vocabulary */
  g_assert_cmpuint (entries->len, ==, 5);

  e = find (entries, "stories:tiny");
  g_assert_nonnull (e);
  g_assert_cmpstr (e->source, ==, "Ollama");
  g_assert_cmpstr (e->format, ==, "GGUF");
  g_assert_cmpstr (e->arch, ==, "llama");
  g_assert_cmpuint (e->params, ==, h.gguf_params);
  g_assert_cmpuint (e->file_bytes, ==, h.gguf_len);
  g_assert_null (e->unsupported);
  g_assert_cmpint (e->context, >, 0);
  g_assert_nonnull (strstr (e->types, "F32"));
  /* keys and values of every layer at every position, in floats; halves in f16 */
  g_assert_cmpuint (sm_model_entry_kv_bytes (e, 0, SM_KV_TYPE_F32), ==,
                    2ull * e->n_layers * e->n_kv_heads * e->head_dim * e->context * 4);
  g_assert_cmpuint (sm_model_entry_kv_bytes (e, 100, SM_KV_TYPE_F16), ==,
                    2ull * e->n_layers * e->n_kv_heads * e->head_dim * 100 * 2);

  {
    guint hf = 0, cpp = 0;
    for (guint i = 0; i < entries->len; i++)
      {
        const SmModelEntry *x = entries->pdata[i];
        hf += g_strcmp0 (x->source, "Hugging Face") == 0;
        cpp += g_strcmp0 (x->source, "llama.cpp") == 0;
        g_assert_null (strstr (x->path, "too-deep"));
        g_assert_null (strstr (x->path, "notes.bin"));
        g_assert_null (strstr (x->path, "cut.gguf"));
      }
    g_assert_cmpuint (hf, ==, 1);
    g_assert_cmpuint (cpp, ==, 1);
  }

  e = find (entries, "stories260K.bin");
  g_assert_nonnull (e);
  g_assert_cmpstr (e->format, ==, "llama2.c");
  g_assert_cmpstr (e->source, ==, "Downloads");
  g_assert_cmpuint (e->params, >, 200000);
  g_assert_null (e->unsupported);

  for (guint i = 0; i < entries->len; i++)
    if (strstr (((SmModelEntry *) entries->pdata[i])->path, "ggml-vocab") != NULL)
      e = entries->pdata[i];
  g_assert_nonnull (strstr (e->path, "ggml-vocab"));
  g_assert_cmpstr (e->unsupported, ==, "a vocabulary only: no weights");
  free_home (&h);
}

static void
test_cancel (void)
{
  Home h = { 0 };
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (GError) error = NULL;

  if (!make_home (&h))
    return;
  g_cancellable_cancel (cancel);
  g_assert_null (sm_model_library_scan ((const char *const *) h.folders, cancel, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  free_home (&h);
}

static void
on_scanned (GObject *source, GAsyncResult *result, gpointer data)
{
  GPtrArray **out = data;
  g_autoptr (GError) error = NULL;

  *out = sm_engine_scan_models_finish (SM_ENGINE (source), result, &error);
  g_assert_no_error (error);
}

/* Through SmEngine, off its thread, as the window asks. */
static void
test_engine_scan (void)
{
  Home h = { 0 };
  g_autoptr (SmEngine) engine = NULL;
  GPtrArray *entries = NULL;

  if (!make_home (&h))
    return;
  engine = sm_engine_new ();
  sm_engine_scan_models_async (engine, (const char *const *) h.folders, NULL, on_scanned, &entries);
  while (entries == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (entries->len, ==, 5);
  g_ptr_array_unref (entries);
  free_home (&h);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ModelLibrary/scan", test_scan);
  g_test_add_func ("/ModelLibrary/cancel", test_cancel);
  g_test_add_func ("/ModelLibrary/engine-scan", test_engine_scan);
  return g_test_run ();
}
