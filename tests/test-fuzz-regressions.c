/* test-fuzz-regressions.c: the fuzz harnesses (tests/fuzz/fuzz-*.c, built here without
 * libFuzzer) fed every input a fuzz run found a bug with (tests/fuzz/regressions/NAME-*.bin)
 * and every seed of the corpora (tests/fuzz/corpus-NAME/), so that those bugs stay fixed in
 * the normal build too.  A harness asserts what its parser must do with any input: return an
 * error, or a result that holds together; a crash, a leak or a critical fails the case. */
#include <string.h>

#include <glib.h>

#include "fuzz/sm-fuzz.h"

typedef int (*SmFuzzEntry) (const uint8_t *data, size_t size);

static const struct {
  const char *name;
  SmFuzzEntry entry;
} targets[] = {
  /* longer names first, so that "gguf-vocab-x.bin" is not taken for a "gguf" input */
  { "llama2c-tokenizer", sm_fuzz_llama2c_tokenizer },
  { "chat-template", sm_fuzz_chat_template },
  { "conversation", sm_fuzz_conversation },
  { "gguf-vocab", sm_fuzz_gguf_vocab },
  { "checkpoint", sm_fuzz_checkpoint },
  { "snapshot", sm_fuzz_snapshot },
  { "profile", sm_fuzz_profile },
  { "llama2c", sm_fuzz_llama2c },
  { "gguf", sm_fuzz_gguf },
};

typedef struct {
  SmFuzzEntry entry;
  char *path;
} Case;

static void
case_free (gpointer p)
{
  Case *c = p;
  g_free (c->path);
  g_free (c);
}

static void
test_input (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (c->path, &contents, &len, &error));
  g_assert_no_error (error);
  /* exactly the file's bytes, as libFuzzer hands them over (no terminating NUL to lean on) */
  {
    g_autofree guint8 *exact = g_memdup2 (contents, MAX (len, 1));
    g_assert_cmpint (c->entry (exact, len), ==, 0);
  }
}

static void
add_case (GPtrArray *keep, const char *group, const char *name, SmFuzzEntry entry,
          const char *path)
{
  Case *c = g_new0 (Case, 1);
  g_autofree char *test_path = g_strdup_printf ("/FuzzRegressions/%s/%s", group, name);

  c->entry = entry;
  c->path = g_strdup (path);
  g_ptr_array_add (keep, c);
  g_test_add_data_func (test_path, c, test_input);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static GPtrArray *
sorted_names (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *n;

  while (d != NULL && (n = g_dir_read_name (d)) != NULL)
    if (n[0] != '.')
      g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, compare_names);
  return names;
}

int
main (int argc, char **argv)
{
  const char *root = g_getenv ("SM_SOURCE_ROOT");
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (case_free);
  g_autofree char *reg_dir = NULL;
  g_autoptr (GPtrArray) regs = NULL;

  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (root);

  reg_dir = g_build_filename (root, "tests", "fuzz", "regressions", NULL);
  regs = sorted_names (reg_dir);
  for (guint i = 0; i < regs->len; i++)
    {
      const char *n = g_ptr_array_index (regs, i);
      g_autofree char *path = g_build_filename (reg_dir, n, NULL);
      gsize t;

      for (t = 0; t < G_N_ELEMENTS (targets); t++)
        if (g_str_has_prefix (n, targets[t].name) && n[strlen (targets[t].name)] == '-')
          break;
      /* a file that names no harness is a mistake in the folder, not an input to skip */
      g_assert_cmpuint (t, <, G_N_ELEMENTS (targets));
      add_case (keep, "regressions", n, targets[t].entry, path);
    }

  for (gsize t = 0; t < G_N_ELEMENTS (targets); t++)
    {
      g_autofree char *sub = g_strconcat ("corpus-", targets[t].name, NULL);
      g_autofree char *dir = g_build_filename (root, "tests", "fuzz", sub, NULL);
      g_autoptr (GPtrArray) seeds = sorted_names (dir);
      g_autofree char *group = g_strconcat ("seeds/", targets[t].name, NULL);

      for (guint i = 0; i < seeds->len; i++)
        {
          const char *n = g_ptr_array_index (seeds, i);
          g_autofree char *path = g_build_filename (dir, n, NULL);
          add_case (keep, group, n, targets[t].entry, path);
        }
    }
  return g_test_run ();
}
