/* test-cli-arch.c: `smallmind-cli init --arch` for every architecture, as a person runs it:
 * the file it writes is described by `info` (architecture, head size, window, soft-caps,
 * chat template) and generates text; bad shapes are refused with a message. */
#include <glib/gstdio.h>
#include <string.h>

#include "sm-model.h"
#include "sm-test-util.h"

typedef struct {
  const char *arch;
  const char *extra[6];     /* more init options, NULL-terminated */
  const char *info_says[5]; /* lines info must print, NULL-terminated */
} InitCase;

static const InitCase cases[] = {
  { "gpt", { NULL }, { "architecture:   gpt2 (GPT-2)", "norm:           LayerNorm" } },
  { "llama", { NULL }, { "architecture:   llama (LLaMA)", "adjacent pairs" } },
  { "qwen2", { "--chat-template", "chatml", NULL },
    { "architecture:   qwen2 (Qwen2)", "neox halves", "chat template:  ChatML" } },
  { "qwen3", { "--head-dim", "24", NULL },
    { "architecture:   qwen3 (Qwen3)", "head dim 24" } },
  { "phi3", { "--sliding-window", "9", "--chat-template", "phi3", NULL },
    { "architecture:   phi3 (Phi-3)", "sliding window of 9 on every layer", "chat template:  Phi-3" } },
  { "gemma2", { "--head-dim", "24", "--chat-template", "gemma", NULL },
    { "architecture:   gemma2 (Gemma 2)", "sliding window of 4096 on every other layer",
      "soft-capping:   scores 50, logits 30", "chat template:  Gemma" } },
};

static void
test_init (gconstpointer data)
{
  const InitCase *ic = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-cli-arch-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "m.gguf", NULL);
  g_autofree char *out = NULL, *err = NULL, *info = NULL, *gen = NULL;
  const char *args[24] = { "init", path, "--arch", ic->arch, "--dim", "64", "--hidden", "96",
                           "--layers", "2", "--heads", "4", "--vocab", "300", "--type", "q8_0" };
  int n = 16;

  for (int i = 0; ic->extra[i]; i++)
    args[n++] = ic->extra[i];
  args[n] = NULL;
  int status = sm_test_run_cli (args, &out, &err);
  if (status < 0)
    return;
  g_assert_cmpint (status, ==, 0);

  const char *info_args[] = { "info", path, NULL };
  g_assert_cmpint (sm_test_run_cli (info_args, &info, NULL), ==, 0);
  for (int i = 0; ic->info_says[i]; i++)
    if (strstr (info, ic->info_says[i]) == NULL)
      g_error ("info of an init --arch %s file lacks \"%s\":\n%s", ic->arch, ic->info_says[i], info);

  const char *gen_args[] = { "generate", "-m", path, "-n", "40", "-p", "hello", NULL };
  g_assert_cmpint (sm_test_run_cli (gen_args, &gen, NULL), ==, 0);
  g_assert_cmpuint (strlen (gen), >, 0);

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_refusals (void)
{
  static const struct {
    const char *args[12];
    const char *says;
  } refusals[] = {
    { { "init", "x.gguf", "--arch", "mamba", NULL }, "--arch must be one of gpt, llama, qwen2" },
    { { "init", "x.gguf", "--arch", "gpt", "--head-dim", "8", NULL }, "GPT's heads are dim / heads" },
    { { "init", "x.gguf", "--arch", "llama", "--sliding-window", "8", NULL }, "only phi3 and gemma2" },
    { { "init", "x.gguf", "--arch", "qwen3", "--head-dim", "7", NULL }, "heads need an even size" },
    { { "init", "x.gguf", "--chat-template", "nonesuch", NULL }, "--chat-template nonesuch is neither" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      int status = sm_test_run_cli (refusals[i].args, &out, &err);
      if (status < 0)
        return;
      g_assert_cmpint (status, !=, 0);
      g_assert_cmpstr (out, ==, "");
      if (strstr (err, refusals[i].says) == NULL)
        g_error ("case %" G_GSIZE_FORMAT ": \"%s\" not in: %s", i, refusals[i].says, err);
      g_assert_false (g_file_test ("x.gguf", G_FILE_TEST_EXISTS));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/cli-arch/init/%s", cases[i].arch);
      g_test_add_data_func (p, &cases[i], test_init);
    }
  g_test_add_func ("/cli-arch/refusals", test_refusals);
  return g_test_run ();
}
