/* fuzz-llama2c.c: libFuzzer target for llama2.c model files.  Any input must give either a
 * GError or a reader whose every tensor lies inside the input, which is used in place so that
 * ASan flags any read past its end.  A file the reader takes is then loaded as a model
 * (sm_model_load, with a tokenizer.bin of as many tokens as its header says), whose assembly
 * must refuse what does not fit, with an error. */
#include "sm-fuzz.h"

#include "sm-llama2c.h"
#include "sm-model.h"

/* A valid tokenizer.bin of @n tokens (llama2.c's layout: max_token_length, then per token a
 * score, a length and the bytes): the model's own file is what is fuzzed here. */
static GBytes *
tokenizer_bin (gint32 n)
{
  GByteArray *b = g_byte_array_new ();
  gint32 max_len = 8;

  g_byte_array_append (b, (const guint8 *) &max_len, 4);
  for (gint32 i = 0; i < n; i++)
    {
      char piece[16];
      gint32 len = g_snprintf (piece, sizeof piece, "t%d", i);
      float score = (float) -i;

      g_byte_array_append (b, (const guint8 *) &score, 4);
      g_byte_array_append (b, (const guint8 *) &len, 4);
      g_byte_array_append (b, (const guint8 *) piece, (guint) len);
    }
  return g_byte_array_free_to_bytes (b);
}

static void
exercise_model (const uint8_t *data, size_t size, gint32 vocab_size)
{
  g_autoptr (GBytes) tok = tokenizer_bin (vocab_size);
  char *path = sm_fuzz_write_file (data, size, ".bin");
  char *tok_path = sm_fuzz_write_file (g_bytes_get_data (tok, NULL), g_bytes_get_size (tok), ".bin");
  g_autoptr (GError) error = NULL;
  SmModel *model = sm_model_load (path, tok_path, &error);

  g_assert ((model == NULL) != (error == NULL));
  if (model != NULL)
    {
      g_assert (sm_model_get_config (model)->vocab_size == vocab_size);
      sm_model_unref (model);
    }
  sm_fuzz_remove_file (path);
  sm_fuzz_remove_file (tok_path);
}

int
SM_FUZZ_ENTRY (llama2c) (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmLlama2c) l = sm_llama2c_new_from_bytes (bytes, &error);
  const SmLlama2cConfig *c;

  if (l == NULL)
    {
      g_assert (error != NULL && error->domain == SM_LLAMA2C_ERROR);
      return 0;
    }
  c = sm_llama2c_get_config (l);
  g_assert (c->dim > 0 && c->n_layers > 0 && c->vocab_size > 0);
  g_assert (sm_llama2c_n_tensors (l) == 3 + 9 * (gsize) c->n_layers);
  for (gsize i = 0; i < sm_llama2c_n_tensors (l); i++)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (SmTensor) t = sm_llama2c_get_tensor (l, sm_llama2c_tensor_name (l, i), &e);
      volatile float sink;

      g_assert ((t == NULL) != (e == NULL));
      if (t == NULL)
        continue;
      g_assert (t->dtype == SM_DTYPE_F32);
      sink = sm_tensor_f32 (t)[0] + sm_tensor_f32 (t)[sm_tensor_n_elements (t) - 1];
      (void) sink;
    }
  /* the vocabulary's rows are in the file, so its size is bounded by the input's */
  exercise_model (data, size, c->vocab_size);
  return 0;
}
