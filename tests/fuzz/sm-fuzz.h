/* sm-fuzz.h: what the fuzz harnesses share.
 *
 * Each harness defines its entry point as SM_FUZZ_ENTRY (name): libFuzzer's
 * LLVMFuzzerTestOneInput in a fuzz build, and sm_fuzz_NAME when SM_FUZZ_REGRESSION compiles
 * every harness into one ordinary test program (tests/test-fuzz-regressions.c), so that the
 * inputs a fuzz run found bugs with are replayed by the same code in the normal gcc build.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#ifdef SM_FUZZ_REGRESSION
#define SM_FUZZ_ENTRY(name) sm_fuzz_##name
#else
#define SM_FUZZ_ENTRY(name) LLVMFuzzerTestOneInput
#include <stdlib.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);

/* A g_return_if_fail or a g_warning tripped by an input is a bug too.  GLib's own fatal
 * messages end in SIGTRAP, which libFuzzer does not catch (no input would be kept): so the
 * message is printed and the harness aborts itself. */
static void
sm_fuzz_log (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  g_log_default_handler (domain, level, message, data);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_default_handler (sm_fuzz_log, NULL);
  return 0;
}
#endif

int sm_fuzz_gguf              (const uint8_t *data, size_t size);
int sm_fuzz_gguf_vocab        (const uint8_t *data, size_t size);
int sm_fuzz_llama2c           (const uint8_t *data, size_t size);
int sm_fuzz_llama2c_tokenizer (const uint8_t *data, size_t size);
int sm_fuzz_checkpoint        (const uint8_t *data, size_t size);
int sm_fuzz_conversation      (const uint8_t *data, size_t size);
int sm_fuzz_snapshot          (const uint8_t *data, size_t size);
int sm_fuzz_profile           (const uint8_t *data, size_t size);
int sm_fuzz_chat_template     (const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput    (const uint8_t *data, size_t size);

/* The loaders that take a path (the model's, llama2.c's tokenizer) are fuzzed through that
 * path, as the window and the CLI call them: the input goes to a file of its own, which the
 * caller removes with sm_fuzz_remove_file.  TMPDIR on a tmpfs keeps this cheap. */
static inline char *
sm_fuzz_write_file (const uint8_t *data, size_t size, const char *suffix)
{
  g_autofree char *name = g_strdup_printf ("sm-fuzz-XXXXXX%s", suffix);
  char *path = NULL;
  int fd = g_file_open_tmp (name, &path, NULL);
  gsize done = 0;

  g_assert (fd >= 0);
  while (done < size)
    {
      gssize n = write (fd, data + done, size - done);
      g_assert (n > 0);
      done += (gsize) n;
    }
  close (fd);
  return path;
}

static inline void
sm_fuzz_remove_file (char *path)
{
  g_unlink (path);
  g_free (path);
}

/* A short text to encode and decode, with spaces, a newline, an apostrophe, digits, non-ASCII
 * letters and a character outside the BMP, so that every pre-tokenizer stage has work. */
#define SM_FUZZ_TEXT "Hello world, it's 2024!\n  Ünïcödé 日本語 🙂 <|im_end|> <s>"
