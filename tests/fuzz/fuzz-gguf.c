/* fuzz-gguf.c: libFuzzer target for the GGUF reader.  Any input must give either a GError or
 * an SmGguf whose every accessor works within bounds; the input buffer is used in place (no
 * copy), so ASan flags any read past its end. */
#include <stdint.h>

#include "sm-gguf.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* A g_return_if_fail tripping inside the reader is a bug too. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
exercise_kv (SmGguf *g, gsize i)
{
  const char *key = sm_gguf_kv_key (g, i);
  g_autofree char *text = sm_gguf_kv_to_string (g, i);
  g_autofree char *str = NULL;
  g_autofree float *fa = NULL;
  g_autofree gint32 *ia = NULL;
  const SmGgufString *sa;
  guint32 u32;
  guint64 u64, n = 0;
  gint32 i32;
  float f;
  gboolean b;
  volatile guint8 sink = 0;

  g_assert (text != NULL && sm_gguf_find_key (g, key) == (gssize) i);
  if (sm_gguf_kv_type (g, i) == SM_GGUF_TYPE_ARRAY)
    sm_gguf_kv_array_type (g, i, &n);
  sm_gguf_get_u32 (g, key, &u32, NULL);
  sm_gguf_get_u64 (g, key, &u64, NULL);
  sm_gguf_get_i32 (g, key, &i32, NULL);
  sm_gguf_get_f32 (g, key, &f, NULL);
  sm_gguf_get_bool (g, key, &b, NULL);
  str = sm_gguf_get_string (g, key, NULL);
  fa = sm_gguf_get_f32_array (g, key, &n, NULL);
  ia = sm_gguf_get_i32_array (g, key, &n, NULL);
  sa = sm_gguf_get_string_array (g, key, &n, NULL);
  for (guint64 k = 0; sa != NULL && k < n; k++)
    if (sa[k].len > 0)
      sink ^= (guint8) (sa[k].str[0] ^ sa[k].str[sa[k].len - 1]);
  (void) sink;
}

static void
exercise_tensor (SmGguf *g, gsize i)
{
  const SmGgufTensorInfo *ti = sm_gguf_tensor_info (g, i);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTensor) t = NULL;
  volatile guint8 sink;

  g_assert (sm_gguf_find_tensor (g, ti->name) == ti);
  g_assert (ti->n_dims >= 1 && ti->n_dims <= 4 && ti->n_bytes > 0);
  /* The first and last bytes of the data are inside the input. */
  sink = ((const guint8 *) ti->data)[0] ^ ((const guint8 *) ti->data)[ti->n_bytes - 1];
  (void) sink;
  t = sm_gguf_get_tensor (g, ti->name, &error);
  g_assert ((t == NULL) != (error == NULL));
  if (t != NULL)
    g_assert (sm_tensor_n_bytes (t) == ti->n_bytes);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) g = sm_gguf_new_from_bytes (bytes, &error);

  if (g == NULL)
    {
      g_assert (error != NULL && error->domain == SM_GGUF_ERROR);
      return 0;
    }
  g_assert (error == NULL);
  for (gsize i = 0; i < sm_gguf_n_kv (g); i++)
    exercise_kv (g, i);
  for (gsize i = 0; i < sm_gguf_n_tensors (g); i++)
    exercise_tensor (g, i);
  return 0;
}
