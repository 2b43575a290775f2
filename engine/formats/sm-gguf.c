/* sm-gguf.c: the GGUF reader's face: opening a file, its metadata and its tensors.  The
 * parser that checks every byte first is sm-gguf-parse.c; what both see of the parsed file is
 * sm-gguf-reader-private.h.  Tensor data is never copied: tensors borrow the mapping and keep
 * the SmGguf alive. */
#define G_LOG_DOMAIN "sm-gguf"

#include "sm-gguf-reader-private.h"
#include "sm-mapped-file.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (sm-gguf-error-quark, sm_gguf_error)

/* ---- public: opening ------------------------------------------------------------------------- */

SmGguf *
sm_gguf_open (const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local = NULL;
  SmGguf *g;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* a file truncated under its readers is then an error they report, not a crash */
  bytes = sm_mapped_file_map (path, &local);
  if (bytes == NULL)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_IO, "%s", local->message);
      return NULL;
    }
  g = sm_gguf_parse (bytes, path, error);
  if (g == NULL)
    g_prefix_error (error, "%s: ", path);
  return g;
}

SmGguf *
sm_gguf_new_from_bytes (GBytes *bytes, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return sm_gguf_parse (bytes, NULL, error);
}

SmGguf *
sm_gguf_ref (SmGguf *gguf)
{
  g_return_val_if_fail (gguf != NULL, NULL);

  g_atomic_int_inc (&gguf->ref_count);
  return gguf;
}

void
sm_gguf_unref (SmGguf *gguf)
{
  if (gguf == NULL)
    return;
  if (g_atomic_int_dec_and_test (&gguf->ref_count))
    sm_gguf_free (gguf);
}

guint32
sm_gguf_get_version (SmGguf *gguf)
{
  g_return_val_if_fail (gguf != NULL, 0);
  return gguf->version;
}

gsize
sm_gguf_get_alignment (SmGguf *gguf)
{
  g_return_val_if_fail (gguf != NULL, 0);
  return gguf->alignment;
}

const char *
sm_gguf_get_path (SmGguf *gguf)
{
  g_return_val_if_fail (gguf != NULL, NULL);
  return gguf->path;
}

/* ---- public: metadata ------------------------------------------------------------------------ */

gsize
sm_gguf_n_kv (SmGguf *gguf)
{
  g_return_val_if_fail (gguf != NULL, 0);
  return gguf->n_kv;
}

const char *
sm_gguf_kv_key (SmGguf *gguf, gsize index)
{
  g_return_val_if_fail (gguf != NULL, NULL);
  g_return_val_if_fail (index < gguf->n_kv, NULL);
  return gguf->kvs[index].key;
}

SmGgufType
sm_gguf_kv_type (SmGguf *gguf, gsize index)
{
  g_return_val_if_fail (gguf != NULL, SM_GGUF_TYPE_UINT8);
  g_return_val_if_fail (index < gguf->n_kv, SM_GGUF_TYPE_UINT8);
  return gguf->kvs[index].type;
}

SmGgufType
sm_gguf_kv_array_type (SmGguf *gguf, gsize index, guint64 *n)
{
  g_return_val_if_fail (gguf != NULL, SM_GGUF_TYPE_UINT8);
  g_return_val_if_fail (index < gguf->n_kv, SM_GGUF_TYPE_UINT8);
  g_return_val_if_fail (gguf->kvs[index].type == SM_GGUF_TYPE_ARRAY, SM_GGUF_TYPE_UINT8);

  if (n != NULL)
    *n = gguf->kvs[index].arr_n;
  return gguf->kvs[index].arr_type;
}

gssize
sm_gguf_find_key (SmGguf *gguf, const char *key)
{
  gpointer v;

  g_return_val_if_fail (gguf != NULL, -1);
  g_return_val_if_fail (key != NULL, -1);

  v = g_hash_table_lookup (gguf->kv_index, key);
  return v == NULL ? -1 : (gssize) GPOINTER_TO_SIZE (v) - 1;
}

gconstpointer
sm_gguf_kv_raw_value (SmGguf *gguf, gsize index, gsize *len)
{
  g_return_val_if_fail (gguf != NULL, NULL);
  g_return_val_if_fail (index < gguf->n_kv, NULL);

  *len = gguf->kvs[index].raw_len;
  return gguf->kvs[index].raw;
}

/* An integer scalar at @p of @type, widened; FALSE when @type is not an integer type. */
static gboolean
load_int (const guint8 *p, guint32 type, gint64 *s, guint64 *u, gboolean *is_signed)
{
  *is_signed = FALSE;
  switch (type)
    {
    case SM_GGUF_TYPE_UINT8:  *u = p[0]; return TRUE;
    case SM_GGUF_TYPE_UINT16: *u = load_u16 (p); return TRUE;
    case SM_GGUF_TYPE_UINT32: *u = load_u32 (p); return TRUE;
    case SM_GGUF_TYPE_UINT64: *u = load_u64 (p); return TRUE;
    default: break;
    }
  *is_signed = TRUE;
  switch (type)
    {
    case SM_GGUF_TYPE_INT8:  *s = (gint8) p[0]; return TRUE;
    case SM_GGUF_TYPE_INT16: *s = (gint16) load_u16 (p); return TRUE;
    case SM_GGUF_TYPE_INT32: *s = (gint32) load_u32 (p); return TRUE;
    case SM_GGUF_TYPE_INT64: *s = (gint64) load_u64 (p); return TRUE;
    default: return FALSE;
    }
}

static double
load_float (const guint8 *p, guint32 type)
{
  if (type == SM_GGUF_TYPE_FLOAT32)
    {
      guint32 bits = load_u32 (p);
      float f;
      memcpy (&f, &bits, sizeof f);
      return f;
    }
  guint64 bits = load_u64 (p);
  double d;
  memcpy (&d, &bits, sizeof d);
  return d;
}

static const SmGgufKv *
lookup (SmGguf *gguf, const char *key, GError **error)
{
  gssize i = sm_gguf_find_key (gguf, key);

  if (i < 0)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND,
                   "GGUF metadata has no key '%s'", key);
      return NULL;
    }
  return &gguf->kvs[i];
}

static void
set_type_error (const SmGgufKv *kv, const char *wanted, GError **error)
{
  if (kv->type == SM_GGUF_TYPE_ARRAY)
    g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND,
                 "GGUF metadata '%s' is an array of %s, not %s", kv->key,
                 sm_gguf_value_type_name (kv->arr_type), wanted);
  else
    g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND,
                 "GGUF metadata '%s' is of type %s, not %s", kv->key, sm_gguf_value_type_name (kv->type),
                 wanted);
}

/* The integer value of @key if it lies in [lo, hi]. */
static gboolean
get_int_in_range (SmGguf *gguf, const char *key, gint64 lo, guint64 hi, gint64 *s_out,
                  guint64 *u_out, gboolean *neg, const char *wanted, GError **error)
{
  const SmGgufKv *kv = lookup (gguf, key, error);
  gint64 s = 0;
  guint64 u = 0;
  gboolean is_signed;

  if (kv == NULL)
    return FALSE;
  if (kv->type == SM_GGUF_TYPE_ARRAY || !load_int (kv->raw, kv->type, &s, &u, &is_signed))
    {
      set_type_error (kv, wanted, error);
      return FALSE;
    }
  if (is_signed && s >= 0)
    {
      u = (guint64) s;
      is_signed = FALSE;
    }
  if ((is_signed && s < lo) || (!is_signed && u > hi))
    {
      if (is_signed)
        g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND,
                     "GGUF metadata '%s' = %" G_GINT64_FORMAT " does not fit in %s", key, s,
                     wanted);
      else
        g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND,
                     "GGUF metadata '%s' = %" G_GUINT64_FORMAT " does not fit in %s", key, u,
                     wanted);
      return FALSE;
    }
  *neg = is_signed;
  *s_out = s;
  *u_out = u;
  return TRUE;
}

gboolean
sm_gguf_get_u32 (SmGguf *gguf, const char *key, guint32 *out, GError **error)
{
  gint64 s;
  guint64 u;
  gboolean neg;

  g_return_val_if_fail (gguf != NULL && key != NULL && out != NULL, FALSE);
  if (!get_int_in_range (gguf, key, 0, G_MAXUINT32, &s, &u, &neg, "uint32", error))
    return FALSE;
  *out = (guint32) u;
  return TRUE;
}

gboolean
sm_gguf_get_u64 (SmGguf *gguf, const char *key, guint64 *out, GError **error)
{
  gint64 s;
  guint64 u;
  gboolean neg;

  g_return_val_if_fail (gguf != NULL && key != NULL && out != NULL, FALSE);
  if (!get_int_in_range (gguf, key, 0, G_MAXUINT64, &s, &u, &neg, "uint64", error))
    return FALSE;
  *out = u;
  return TRUE;
}

gboolean
sm_gguf_get_i32 (SmGguf *gguf, const char *key, gint32 *out, GError **error)
{
  gint64 s;
  guint64 u;
  gboolean neg;

  g_return_val_if_fail (gguf != NULL && key != NULL && out != NULL, FALSE);
  if (!get_int_in_range (gguf, key, G_MININT32, G_MAXINT32, &s, &u, &neg, "int32", error))
    return FALSE;
  *out = neg ? (gint32) s : (gint32) u;
  return TRUE;
}

gboolean
sm_gguf_get_f32 (SmGguf *gguf, const char *key, float *out, GError **error)
{
  const SmGgufKv *kv;
  gint64 s;
  guint64 u;
  gboolean is_signed;

  g_return_val_if_fail (gguf != NULL && key != NULL && out != NULL, FALSE);
  kv = lookup (gguf, key, error);
  if (kv == NULL)
    return FALSE;
  if (kv->type == SM_GGUF_TYPE_FLOAT32 || kv->type == SM_GGUF_TYPE_FLOAT64)
    {
      *out = (float) load_float (kv->raw, kv->type);
      return TRUE;
    }
  /* Some converters write e.g. rope.freq_base as an integer. */
  if (kv->type != SM_GGUF_TYPE_ARRAY && load_int (kv->raw, kv->type, &s, &u, &is_signed))
    {
      *out = is_signed ? (float) s : (float) u;
      return TRUE;
    }
  set_type_error (kv, "float32", error);
  return FALSE;
}

gboolean
sm_gguf_get_bool (SmGguf *gguf, const char *key, gboolean *out, GError **error)
{
  const SmGgufKv *kv;

  g_return_val_if_fail (gguf != NULL && key != NULL && out != NULL, FALSE);
  kv = lookup (gguf, key, error);
  if (kv == NULL)
    return FALSE;
  if (kv->type != SM_GGUF_TYPE_BOOL)
    {
      set_type_error (kv, "bool", error);
      return FALSE;
    }
  *out = kv->raw[0] != 0;
  return TRUE;
}

char *
sm_gguf_get_string (SmGguf *gguf, const char *key, GError **error)
{
  const SmGgufKv *kv;

  g_return_val_if_fail (gguf != NULL && key != NULL, NULL);
  kv = lookup (gguf, key, error);
  if (kv == NULL)
    return NULL;
  if (kv->type != SM_GGUF_TYPE_STRING)
    {
      set_type_error (kv, "string", error);
      return NULL;
    }
  /* the length as parsed, not as the mapping says now: a file rewritten in place under us
   * could say more than the value holds */
  return g_strndup ((const char *) kv->raw + 8, kv->raw_len - 8);
}

static const SmGgufKv *
lookup_array (SmGguf *gguf, const char *key, const char *wanted, GError **error)
{
  const SmGgufKv *kv = lookup (gguf, key, error);

  if (kv == NULL)
    return NULL;
  if (kv->type != SM_GGUF_TYPE_ARRAY)
    {
      set_type_error (kv, wanted, error);
      return NULL;
    }
  return kv;
}

const SmGgufString *
sm_gguf_get_string_array (SmGguf *gguf, const char *key, guint64 *n, GError **error)
{
  const SmGgufKv *kv;

  g_return_val_if_fail (gguf != NULL && key != NULL && n != NULL, NULL);
  kv = lookup_array (gguf, key, "an array of string", error);
  if (kv == NULL)
    return NULL;
  if (kv->arr_type != SM_GGUF_TYPE_STRING)
    {
      set_type_error (kv, "string", error);
      return NULL;
    }
  *n = kv->arr_n;
  return kv->strings;
}

float *
sm_gguf_get_f32_array (SmGguf *gguf, const char *key, guint64 *n, GError **error)
{
  const SmGgufKv *kv;
  float *out;

  g_return_val_if_fail (gguf != NULL && key != NULL && n != NULL, NULL);
  kv = lookup_array (gguf, key, "an array of float32", error);
  if (kv == NULL)
    return NULL;
  if (kv->arr_type != SM_GGUF_TYPE_FLOAT32 && kv->arr_type != SM_GGUF_TYPE_FLOAT64)
    {
      set_type_error (kv, "float32", error);
      return NULL;
    }
  gsize size = sm_gguf_scalar_size (kv->arr_type);
  out = g_new (float, MAX (kv->arr_n, 1));
  for (guint64 i = 0; i < kv->arr_n; i++)
    out[i] = (float) load_float (kv->elems + i * size, kv->arr_type);
  *n = kv->arr_n;
  return out;
}

gint32 *
sm_gguf_get_i32_array (SmGguf *gguf, const char *key, guint64 *n, GError **error)
{
  const SmGgufKv *kv;
  g_autofree gint32 *out = NULL;
  gsize size;

  g_return_val_if_fail (gguf != NULL && key != NULL && n != NULL, NULL);
  kv = lookup_array (gguf, key, "an array of int32", error);
  if (kv == NULL)
    return NULL;
  size = sm_gguf_scalar_size (kv->arr_type);
  if (size == 0 || kv->arr_type == SM_GGUF_TYPE_FLOAT32 ||
      kv->arr_type == SM_GGUF_TYPE_FLOAT64 || kv->arr_type == SM_GGUF_TYPE_BOOL)
    {
      set_type_error (kv, "int32", error);
      return NULL;
    }
  out = g_new (gint32, MAX (kv->arr_n, 1));
  for (guint64 i = 0; i < kv->arr_n; i++)
    {
      gint64 s = 0;
      guint64 u = 0;
      gboolean is_signed;

      load_int (kv->elems + i * size, kv->arr_type, &s, &u, &is_signed);
      if (is_signed ? (s < G_MININT32 || s > G_MAXINT32) : u > G_MAXINT32)
        {
          g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND,
                       "GGUF metadata '%s': element %" G_GUINT64_FORMAT " does not fit in int32",
                       key, i);
          return NULL;
        }
      out[i] = is_signed ? (gint32) s : (gint32) u;
    }
  *n = kv->arr_n;
  return g_steal_pointer (&out);
}

/* Shortest decimal that reads back as the same float (or double), in the C locale. */
static void
append_float (GString *s, double v, gboolean single)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (int prec = single ? 6 : 15; prec <= (single ? 9 : 17); prec++)
    {
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      double back = g_ascii_strtod (buf, NULL);
      if (single ? (float) back == (float) v : back == v)
        break;
    }
  g_string_append (s, buf);
}

/* Printable one-line text: invalid UTF-8 replaced, control characters escaped. */
static void
append_text (GString *s, const char *str, gsize len)
{
  g_autofree char *valid = g_utf8_make_valid (str, (gssize) len);

  for (const char *p = valid; *p != '\0'; p++)
    {
      guchar ch = (guchar) *p;
      if (ch == '\n')
        g_string_append (s, "\\n");
      else if (ch == '\t')
        g_string_append (s, "\\t");
      else if (ch < 0x20 || ch == 0x7f)
        g_string_append_printf (s, "\\x%02x", ch);
      else
        g_string_append_c (s, (char) ch);
    }
}

static void
append_scalar (GString *s, const guint8 *p, guint32 type)
{
  gint64 sv;
  guint64 uv;
  gboolean is_signed;

  if (type == SM_GGUF_TYPE_BOOL)
    g_string_append (s, p[0] ? "true" : "false");
  else if (type == SM_GGUF_TYPE_FLOAT32 || type == SM_GGUF_TYPE_FLOAT64)
    append_float (s, load_float (p, type), type == SM_GGUF_TYPE_FLOAT32);
  else if (load_int (p, type, &sv, &uv, &is_signed))
    {
      if (is_signed)
        g_string_append_printf (s, "%" G_GINT64_FORMAT, sv);
      else
        g_string_append_printf (s, "%" G_GUINT64_FORMAT, uv);
    }
}

char *
sm_gguf_kv_to_string (SmGguf *gguf, gsize index)
{
  const SmGgufKv *kv;
  GString *s;

  g_return_val_if_fail (gguf != NULL, NULL);
  g_return_val_if_fail (index < gguf->n_kv, NULL);

  kv = &gguf->kvs[index];
  s = g_string_new (NULL);
  if (kv->type == SM_GGUF_TYPE_STRING)
    append_text (s, (const char *) kv->raw + 8, kv->raw_len - 8);   /* as parsed */
  else if (kv->type == SM_GGUF_TYPE_ARRAY)
    {
      const char *elem = kv->arr_type == SM_GGUF_TYPE_STRING ? "string"
                       : kv->arr_type == SM_GGUF_TYPE_ARRAY ? "array" : sm_gguf_value_type_name (kv->arr_type);
      /* Strings and nested arrays pluralise; numbers read as "[512 float32]". */
      gboolean plural = kv->arr_n != 1 && (kv->arr_type == SM_GGUF_TYPE_STRING ||
                                           kv->arr_type == SM_GGUF_TYPE_ARRAY);
      g_string_append_printf (s, "[%" G_GUINT64_FORMAT " %s%s]", kv->arr_n, elem,
                              plural ? "s" : "");
    }
  else
    append_scalar (s, kv->raw, kv->type);
  return g_string_free (s, FALSE);
}

/* ---- public: tensors ------------------------------------------------------------------------- */

gsize
sm_gguf_n_tensors (SmGguf *gguf)
{
  g_return_val_if_fail (gguf != NULL, 0);
  return gguf->n_tensors;
}

const SmGgufTensorInfo *
sm_gguf_tensor_info (SmGguf *gguf, gsize index)
{
  g_return_val_if_fail (gguf != NULL, NULL);
  g_return_val_if_fail (index < gguf->n_tensors, NULL);
  return &gguf->tensors[index];
}

const SmGgufTensorInfo *
sm_gguf_find_tensor (SmGguf *gguf, const char *name)
{
  gpointer v;

  g_return_val_if_fail (gguf != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  v = g_hash_table_lookup (gguf->tensor_index, name);
  return v == NULL ? NULL : &gguf->tensors[GPOINTER_TO_SIZE (v) - 1];
}

SmTensor *
sm_gguf_get_tensor (SmGguf *gguf, const char *name, GError **error)
{
  const SmGgufTensorInfo *t;
  gsize elem_align;

  g_return_val_if_fail (gguf != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  t = sm_gguf_find_tensor (gguf, name);
  if (t == NULL)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND,
                   "GGUF file has no tensor '%s'", name);
      return NULL;
    }
  /* Kernels load whole floats (and fp16 scales): a file aligned to less than that (a
   * general.alignment of 1 or 2, or bytes handed in at an odd address) cannot be borrowed. */
  elem_align = sm_dtype_traits (t->dtype)->data_align;
  if ((guintptr) t->data % elem_align != 0)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "tensor '%s': data at offset %" G_GUINT64_FORMAT " is not aligned to the "
                   "%" G_GSIZE_FORMAT " bytes of its %s elements", name, t->offset, elem_align,
                   sm_dtype_name (t->dtype));
      return NULL;
    }
  /* The mapping is read-only: the tensor's data must not be written to. */
  return sm_tensor_new_borrowed (t->dtype, t->n_dims, t->shape, (gpointer) t->data,
                                 (GDestroyNotify) sm_gguf_unref, sm_gguf_ref (gguf));
}
