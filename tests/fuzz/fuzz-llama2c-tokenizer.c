/* fuzz-llama2c-tokenizer.c: libFuzzer target for llama2.c's tokenizer.bin, read through its
 * path as the model loader reads it, for as many tokens as the file holds.  It must fail with
 * an error or give a SentencePiece tokenizer that encodes and decodes a short text. */
#include "sm-fuzz.h"

#include "sm-tokenizer.h"

int
SM_FUZZ_ENTRY (llama2c_tokenizer) (const uint8_t *data, size_t size)
{
  char *path = sm_fuzz_write_file (data, size, ".bin");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = sm_tokenizer_new_llama2c (path, 0, &error);

  sm_fuzz_remove_file (path);
  g_assert ((tok == NULL) != (error == NULL));
  if (tok == NULL)
    {
      g_assert (error->domain == SM_TOKENIZER_ERROR);
      return 0;
    }
  for (int special = 0; special < 2; special++)
    {
      g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr (GError) e = NULL;
      g_autofree char *back = NULL;
      gboolean ok = special ? sm_tokenizer_encode_special (tok, SM_FUZZ_TEXT, -1, TRUE, ids, &e)
                            : sm_tokenizer_encode (tok, SM_FUZZ_TEXT, -1, TRUE, ids, &e);

      g_assert (ok == (e == NULL));
      for (guint i = 0; i < ids->len; i++)
        g_assert (g_array_index (ids, gint32, i) >= 0 &&
                  g_array_index (ids, gint32, i) < sm_tokenizer_n_vocab (tok));
      back = sm_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, NULL);
      g_assert (back != NULL);
    }
  return 0;
}
