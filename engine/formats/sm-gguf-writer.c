/* sm-gguf-writer.c: the GGUF v3 writer.
 *
 * Metadata values are kept encoded exactly as they will stand in the file, which lets
 * sm_gguf_writer_copy_kv carry over any value (nested arrays included) byte for byte.  The
 * file is streamed to a temporary file beside the target and renamed over it only once
 * complete and synced, so a reader never sees half a model and a failed write leaves nothing
 * behind.
 */
#define G_LOG_DOMAIN "sm-gguf"

#include "sm-gguf-private.h"
#include "sm-atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>


#define WRITER_DEFAULT_ALIGNMENT 32

typedef struct {
  char    *key;
  guint32  type;
  GBytes  *value;   /* encoded as in the file, without the type */
} WriterKv;

typedef struct {
  char     *name;
  SmTensor *tensor;
} WriterTensor;

struct _SmGgufWriter {
  GPtrArray  *kvs;          /* WriterKv, in insertion order */
  GHashTable *kv_by_key;    /* key -> WriterKv (borrowed) */
  GPtrArray  *tensors;      /* WriterTensor, in insertion order */
  GHashTable *tensor_by_name;
};

static void
writer_kv_free (gpointer data)
{
  WriterKv *kv = data;
  g_free (kv->key);
  g_bytes_unref (kv->value);
  g_free (kv);
}

static void
writer_tensor_free (gpointer data)
{
  WriterTensor *t = data;
  g_free (t->name);
  sm_tensor_unref (t->tensor);
  g_free (t);
}

SmGgufWriter *
sm_gguf_writer_new (void)
{
  SmGgufWriter *w = g_new0 (SmGgufWriter, 1);

  w->kvs = g_ptr_array_new_with_free_func (writer_kv_free);
  w->kv_by_key = g_hash_table_new (g_str_hash, g_str_equal);
  w->tensors = g_ptr_array_new_with_free_func (writer_tensor_free);
  w->tensor_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return w;
}

void
sm_gguf_writer_free (SmGgufWriter *w)
{
  if (w == NULL)
    return;
  g_hash_table_unref (w->kv_by_key);
  g_hash_table_unref (w->tensor_by_name);
  g_ptr_array_unref (w->kvs);
  g_ptr_array_unref (w->tensors);
  g_free (w);
}

/* ---- encoding -------------------------------------------------------------------------------- */

static void
put_u32 (GByteArray *b, guint32 v)
{
  v = GUINT32_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &v, 4);
}

static void
put_u64 (GByteArray *b, guint64 v)
{
  v = GUINT64_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &v, 8);
}

static void
put_string (GByteArray *b, const char *s, gsize len)
{
  put_u64 (b, len);
  g_byte_array_append (b, (const guint8 *) s, (guint) len);
}

/* Sets (or replaces, keeping its place) @key; takes @value. */
static void
set_kv (SmGgufWriter *w, const char *key, guint32 type, GBytes *value)
{
  WriterKv *kv = g_hash_table_lookup (w->kv_by_key, key);

  if (kv != NULL)
    {
      g_bytes_unref (kv->value);
      kv->type = type;
      kv->value = value;
      return;
    }
  kv = g_new0 (WriterKv, 1);
  kv->key = g_strdup (key);
  kv->type = type;
  kv->value = value;
  g_ptr_array_add (w->kvs, kv);
  g_hash_table_insert (w->kv_by_key, kv->key, kv);
}

static void
set_scalar (SmGgufWriter *w, const char *key, guint32 type, gconstpointer le_bytes, gsize size)
{
  set_kv (w, key, type, g_bytes_new (le_bytes, size));
}

void
sm_gguf_writer_set_u32 (SmGgufWriter *w, const char *key, guint32 v)
{
  g_return_if_fail (w != NULL && key != NULL);
  v = GUINT32_TO_LE (v);
  set_scalar (w, key, SM_GGUF_TYPE_UINT32, &v, 4);
}

void
sm_gguf_writer_set_i32 (SmGgufWriter *w, const char *key, gint32 v)
{
  guint32 u = GUINT32_TO_LE ((guint32) v);

  g_return_if_fail (w != NULL && key != NULL);
  set_scalar (w, key, SM_GGUF_TYPE_INT32, &u, 4);
}

void
sm_gguf_writer_set_u64 (SmGgufWriter *w, const char *key, guint64 v)
{
  g_return_if_fail (w != NULL && key != NULL);
  v = GUINT64_TO_LE (v);
  set_scalar (w, key, SM_GGUF_TYPE_UINT64, &v, 8);
}

void
sm_gguf_writer_set_f32 (SmGgufWriter *w, const char *key, float v)
{
  guint32 u;

  g_return_if_fail (w != NULL && key != NULL);
  memcpy (&u, &v, 4);
  u = GUINT32_TO_LE (u);
  set_scalar (w, key, SM_GGUF_TYPE_FLOAT32, &u, 4);
}

void
sm_gguf_writer_set_bool (SmGgufWriter *w, const char *key, gboolean v)
{
  guint8 b = v ? 1 : 0;

  g_return_if_fail (w != NULL && key != NULL);
  set_scalar (w, key, SM_GGUF_TYPE_BOOL, &b, 1);
}

void
sm_gguf_writer_set_string (SmGgufWriter *w, const char *key, const char *v)
{
  GByteArray *b;

  g_return_if_fail (w != NULL && key != NULL && v != NULL);
  b = g_byte_array_new ();
  put_string (b, v, strlen (v));
  set_kv (w, key, SM_GGUF_TYPE_STRING, g_byte_array_free_to_bytes (b));
}

void
sm_gguf_writer_set_string_array (SmGgufWriter *w, const char *key, const char *const *v, gsize n)
{
  GByteArray *b;

  g_return_if_fail (w != NULL && key != NULL && (v != NULL || n == 0));
  b = g_byte_array_new ();
  put_u32 (b, SM_GGUF_TYPE_STRING);
  put_u64 (b, n);
  for (gsize i = 0; i < n; i++)
    put_string (b, v[i], strlen (v[i]));
  set_kv (w, key, SM_GGUF_TYPE_ARRAY, g_byte_array_free_to_bytes (b));
}

static void
set_u32_array (SmGgufWriter *w, const char *key, guint32 elem_type, const guint32 *v, gsize n)
{
  GByteArray *b = g_byte_array_new ();

  put_u32 (b, elem_type);
  put_u64 (b, n);
  for (gsize i = 0; i < n; i++)
    put_u32 (b, v[i]);
  set_kv (w, key, SM_GGUF_TYPE_ARRAY, g_byte_array_free_to_bytes (b));
}

void
sm_gguf_writer_set_f32_array (SmGgufWriter *w, const char *key, const float *v, gsize n)
{
  g_return_if_fail (w != NULL && key != NULL && (v != NULL || n == 0));
  G_STATIC_ASSERT (sizeof (float) == sizeof (guint32));
  set_u32_array (w, key, SM_GGUF_TYPE_FLOAT32, (const guint32 *) v, n);
}

void
sm_gguf_writer_set_i32_array (SmGgufWriter *w, const char *key, const gint32 *v, gsize n)
{
  g_return_if_fail (w != NULL && key != NULL && (v != NULL || n == 0));
  set_u32_array (w, key, SM_GGUF_TYPE_INT32, (const guint32 *) v, n);
}

void
sm_gguf_writer_copy_kv (SmGgufWriter *w, SmGguf *src,
                        gboolean (*skip) (const char *key, gpointer data), gpointer data)
{
  g_return_if_fail (w != NULL && src != NULL);

  for (gsize i = 0; i < sm_gguf_n_kv (src); i++)
    {
      const char *key = sm_gguf_kv_key (src, i);
      gconstpointer raw;
      gsize len;

      if (skip != NULL && skip (key, data))
        continue;
      raw = sm_gguf_kv_raw_value (src, i, &len);
      set_kv (w, key, sm_gguf_kv_type (src, i), g_bytes_new (raw, len));
    }
}

void
sm_gguf_writer_add_tensor (SmGgufWriter *w, const char *name, SmTensor *t)
{
  WriterTensor *wt;

  g_return_if_fail (w != NULL && name != NULL && t != NULL);
  g_return_if_fail (sm_tensor_is_contiguous (t));

  /* Like the metadata setters, a second tensor of the same name replaces the first. */
  wt = g_hash_table_lookup (w->tensor_by_name, name);
  if (wt != NULL)
    {
      sm_tensor_unref (wt->tensor);
      wt->tensor = sm_tensor_ref (t);
      return;
    }
  wt = g_new0 (WriterTensor, 1);
  wt->name = g_strdup (name);
  wt->tensor = sm_tensor_ref (t);
  g_ptr_array_add (w->tensors, wt);
  g_hash_table_insert (w->tensor_by_name, wt->name, wt);
}

/* ---- writing --------------------------------------------------------------------------------- */

static gsize
pad_to (gsize n, gsize alignment)
{
  return (alignment - n % alignment) % alignment;
}

/* The alignment the file will declare: general.alignment when the caller set (or copied) it. */
static gboolean
writer_alignment (SmGgufWriter *w, gsize *alignment, GError **error)
{
  WriterKv *kv = g_hash_table_lookup (w->kv_by_key, "general.alignment");
  guint32 v;

  *alignment = WRITER_DEFAULT_ALIGNMENT;
  if (kv == NULL)
    return TRUE;
  if (kv->type != SM_GGUF_TYPE_UINT32 || g_bytes_get_size (kv->value) != 4)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "general.alignment must be a uint32");
      return FALSE;
    }
  memcpy (&v, g_bytes_get_data (kv->value, NULL), 4);
  v = GUINT32_FROM_LE (v);
  if (v == 0 || (v & (v - 1)) != 0)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "general.alignment %u is not a power of two", v);
      return FALSE;
    }
  *alignment = v;
  return TRUE;
}

gboolean
sm_gguf_writer_write (SmGgufWriter *w, const char *path, GError **error)
{
  g_autoptr (GByteArray) head = g_byte_array_new ();
  SmAtomicFile *f;
  gsize alignment, offset = 0;

  g_return_val_if_fail (w != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!writer_alignment (w, &alignment, error))
    return FALSE;

  g_byte_array_append (head, (const guint8 *) "GGUF", 4);
  put_u32 (head, 3);
  put_u64 (head, w->tensors->len);
  put_u64 (head, w->kvs->len);
  for (guint i = 0; i < w->kvs->len; i++)
    {
      WriterKv *kv = g_ptr_array_index (w->kvs, i);
      gsize len;
      gconstpointer data = g_bytes_get_data (kv->value, &len);

      put_string (head, kv->key, strlen (kv->key));
      put_u32 (head, kv->type);
      g_byte_array_append (head, data, (guint) len);
    }
  for (guint i = 0; i < w->tensors->len; i++)
    {
      WriterTensor *wt = g_ptr_array_index (w->tensors, i);
      SmTensor *t = wt->tensor;

      put_string (head, wt->name, strlen (wt->name));
      put_u32 (head, (guint32) t->n_dims);
      for (int d = t->n_dims - 1; d >= 0; d--)   /* ggml's ne: innermost first */
        put_u64 (head, (guint64) t->shape[d]);
      put_u32 (head, sm_dtype_traits (t->dtype)->ggml_type);
      put_u64 (head, offset);
      offset += sm_tensor_n_bytes (t);
      offset += pad_to (offset, alignment);
    }

  f = sm_atomic_file_new (path, SM_GGUF_ERROR, SM_GGUF_ERROR_IO, error);
  if (f == NULL)
    return FALSE;
  if (!sm_atomic_file_write (f, head->data, head->len, error) ||
      !sm_atomic_file_write_zeros (f, pad_to (head->len, alignment), error))
    goto fail;
  for (guint i = 0; i < w->tensors->len; i++)
    {
      SmTensor *t = ((WriterTensor *) g_ptr_array_index (w->tensors, i))->tensor;
      gsize n = sm_tensor_n_bytes (t);

      if (!sm_atomic_file_write (f, t->data, n, error) ||
          !sm_atomic_file_write_zeros (f, pad_to (n, alignment), error))
        goto fail;
    }
  return sm_atomic_file_commit (f, error);

fail:
  sm_atomic_file_abort (f);
  return FALSE;
}
