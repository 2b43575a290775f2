/* fuzz-llama2c.c: libFuzzer target for the llama2.c checkpoint reader.  Any input must give
 * either a GError or a reader whose every tensor lies inside the input, which is used in
 * place so that ASan flags any read past its end. */
#include <stdint.h>

#include "sm-llama2c.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
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
  return 0;
}
