/* fuzz-gguf.c: libFuzzer target for GGUF files, from the reader to the model.  Any input must
 * give either a GError or an SmGguf whose every accessor works within bounds; the input buffer
 * is read in place (no copy), so ASan flags any read past its end.  Every tensor is then
 * dequantized row by row through the weight-type table, and the file is loaded as a model
 * (sm_model_load, as the window and the CLI load one): the assembly must refuse what does not
 * fit, with an error. */
#include "sm-fuzz.h"

#include "sm-dtype.h"
#include "sm-gguf.h"
#include "sm-model.h"
#include "sm-tokenizer.h"

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

/* Every row of @t through its type's to_f32, as the forward pass reads weights. */
static void
dequantize (const SmTensor *t)
{
  const SmDTypeTraits *tr = sm_dtype_traits (t->dtype);
  gint64 n_row = t->shape[t->n_dims - 1];
  gsize row_bytes = sm_dtype_row_bytes (t->dtype, n_row);
  gsize n_rows = sm_tensor_n_elements (t) / (gsize) n_row;
  g_autofree float *row = g_new (float, n_row);
  volatile float sink = 0.0f;

  g_assert (tr != NULL && tr->to_f32 != NULL);
  g_assert (row_bytes * n_rows == sm_tensor_n_bytes (t));
  for (gsize r = 0; r < n_rows; r++)
    {
      tr->to_f32 ((const guint8 *) t->data + r * row_bytes, row, (gsize) n_row);
      sink += row[0] + row[n_row - 1];
    }
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
  if (t == NULL)
    return;
  g_assert (sm_tensor_n_bytes (t) == ti->n_bytes);
  dequantize (t);
}

static void
exercise_model (const uint8_t *data, size_t size)
{
  char *path = sm_fuzz_write_file (data, size, ".gguf");
  g_autoptr (GError) error = NULL;
  SmModel *model = sm_model_load (path, NULL, &error);

  g_assert ((model == NULL) != (error == NULL));
  if (model != NULL)
    {
      SmTokenizer *tok = sm_model_get_tokenizer (model);
      g_autofree char *vocab = sm_model_describe_vocab (model);
      g_autofree char *types = sm_model_describe_types (model);

      g_assert (sm_model_get_config (model)->vocab_size >= sm_tokenizer_n_vocab (tok));
      g_assert (sm_model_get_name (model) != NULL && vocab != NULL && types != NULL);
      /* the title, toasts and snapshots show it */
      g_assert (g_utf8_validate (sm_model_get_name (model), -1, NULL));
      sm_model_unref (model);
    }
  sm_fuzz_remove_file (path);
}

int
SM_FUZZ_ENTRY (gguf) (const uint8_t *data, size_t size)
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
  /* Only a file the reader takes can become a model. */
  exercise_model (data, size);
  return 0;
}
