/* sm-gguf-parse.c: the GGUF v2/v3 reader's parser.
 *
 * The whole file is mapped read-only and parsed once, front to back, by a cursor that refuses
 * to step past the end: every length, count, dimension and offset is checked (with overflow-
 * safe arithmetic) before anything is allocated or dereferenced, so a corrupt file costs a
 * GError and never a read out of bounds.  Tensor data is never copied: tensors borrow the
 * mapping and keep the SmGguf alive.
 *
 * Layout (little-endian):  "GGUF" u32 version, u64 n_tensors, u64 n_kv,
 *   n_kv × (string key, u32 type, value),
 *   n_tensors × (string name, u32 n_dims, u64 ne[n_dims] innermost first, u32 ggml type,
 *                u64 offset from the data section),
 *   padding to general.alignment (default 32), then the data section.
 * A string is u64 length + bytes (no NUL); an array is u32 element type, u64 count, elements.
 */
#define G_LOG_DOMAIN "sm-gguf"

#include "sm-gguf-reader-private.h"

#include <stdlib.h>
#include <string.h>

#define GGUF_MAGIC "GGUF"
#define GGUF_DEFAULT_ALIGNMENT 32
/* Arrays of arrays are legal but rare; deeper nesting than this is refused so that a hostile
 * file cannot exhaust the stack of the recursive skipper. */
#define GGUF_MAX_ARRAY_DEPTH 8
/* The smallest encodings, used to reject counts that could not fit in the file before
 * allocating anything for them. */
#define GGUF_MIN_KV_BYTES      (8 + 4 + 1)          /* empty key, type, one byte value */
#define GGUF_MIN_TENSOR_BYTES  (8 + 4 + 8 + 4 + 8)  /* empty name, n_dims, one dim, type, offset */
#define GGUF_MIN_ARRAY_BYTES   (4 + 8)              /* element type, count */

/* ---- types ----------------------------------------------------------------------------------- */

gsize
sm_gguf_scalar_size (guint32 type)
{
  switch (type)
    {
    case SM_GGUF_TYPE_UINT8: case SM_GGUF_TYPE_INT8: case SM_GGUF_TYPE_BOOL:
      return 1;
    case SM_GGUF_TYPE_UINT16: case SM_GGUF_TYPE_INT16:
      return 2;
    case SM_GGUF_TYPE_UINT32: case SM_GGUF_TYPE_INT32: case SM_GGUF_TYPE_FLOAT32:
      return 4;
    case SM_GGUF_TYPE_UINT64: case SM_GGUF_TYPE_INT64: case SM_GGUF_TYPE_FLOAT64:
      return 8;
    default:
      return 0;   /* STRING, ARRAY and unknown types have no fixed size */
    }
}

const char *
sm_gguf_value_type_name (guint32 type)
{
  static const char *const names[] = {
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string",
    "array", "uint64", "int64", "float64",
  };
  return type < G_N_ELEMENTS (names) ? names[type] : "unknown";
}

static gboolean
type_is_valid (guint32 type)
{
  return type <= SM_GGUF_TYPE_FLOAT64;
}

/* "F32, F16, BF16, Q8_0, Q4_0, ... and Q6_K": what the table can read, for a refusal. */
static char *
readable_types (void)
{
  GString *s = g_string_new (NULL);
  guint n = 0, done = 0;

  /* the types a weight may be stored in: the activation-only ones have no matmul */
  for (guint i = 0; i < SM_N_DTYPES; i++)
    n += sm_dtype_traits ((SmDType) i)->matmul != NULL;
  for (guint i = 0; i < SM_N_DTYPES; i++)
    {
      const SmDTypeTraits *t = sm_dtype_traits ((SmDType) i);
      if (t->matmul == NULL)
        continue;
      if (done > 0)
        g_string_append (s, done + 1 == n ? " and " : ", ");
      g_string_append (s, t->ggml_name);
      done++;
    }
  return g_string_free (s, FALSE);
}

/* ---- the bounded cursor ---------------------------------------------------------------------- */

typedef struct {
  const guint8 *base;
  gsize         size;
  gsize         pos;
} Cursor;

static gsize
cursor_left (const Cursor *c)
{
  return c->size - c->pos;
}

/* Takes @n bytes; @what names them for the error ("metadata key 3: value"). */
static gboolean
cursor_take (Cursor *c, guint64 n, const guint8 **out, const char *what, GError **error)
{
  if (n > cursor_left (c))
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "%s: %" G_GUINT64_FORMAT " bytes at offset %" G_GSIZE_FORMAT
                   " run past the end of the file (%" G_GSIZE_FORMAT " bytes)",
                   what, n, c->pos, c->size);
      return FALSE;
    }
  *out = c->base + c->pos;
  c->pos += (gsize) n;
  return TRUE;
}

static gboolean
cursor_u32 (Cursor *c, guint32 *out, const char *what, GError **error)
{
  const guint8 *p;

  if (!cursor_take (c, 4, &p, what, error))
    return FALSE;
  *out = load_u32 (p);
  return TRUE;
}

static gboolean
cursor_u64 (Cursor *c, guint64 *out, const char *what, GError **error)
{
  const guint8 *p;

  if (!cursor_take (c, 8, &p, what, error))
    return FALSE;
  *out = load_u64 (p);
  return TRUE;
}

static gboolean
cursor_string (Cursor *c, SmGgufString *out, const char *what, GError **error)
{
  guint64 len;
  const guint8 *p;

  if (!cursor_u64 (c, &len, what, error))
    return FALSE;
  if (len > cursor_left (c))
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "%s: string length %" G_GUINT64_FORMAT " at offset %" G_GSIZE_FORMAT
                   " runs past the end of the file (%" G_GSIZE_FORMAT " bytes)",
                   what, len, c->pos - 8, c->size);
      return FALSE;
    }
  if (!cursor_take (c, len, &p, what, error))
    return FALSE;
  out->len = (gsize) len;
  out->str = (const char *) p;
  return TRUE;
}

/* A nul-terminated copy of a key or tensor name; NULs inside would make lookups lie. */
static char *
cursor_name (Cursor *c, const char *what, GError **error)
{
  SmGgufString s;

  if (!cursor_string (c, &s, what, error))
    return NULL;
  if (memchr (s.str, '\0', s.len) != NULL)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "%s: the name contains a NUL byte", what);
      return NULL;
    }
  return g_strndup (s.str, s.len);
}

/* Skips one value of @type, checking every length on the way. */
static gboolean
skip_value (Cursor *c, guint32 type, int depth, const char *what, GError **error)
{
  const guint8 *p;

  if (type == SM_GGUF_TYPE_STRING)
    {
      SmGgufString s;
      return cursor_string (c, &s, what, error);
    }
  if (type != SM_GGUF_TYPE_ARRAY)
    {
      if (!type_is_valid (type))
        {
          g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                       "%s: unknown value type %u", what, type);
          return FALSE;
        }
      return cursor_take (c, sm_gguf_scalar_size (type), &p, what, error);
    }

  guint32 elem_type;
  guint64 n;
  if (depth >= GGUF_MAX_ARRAY_DEPTH)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_UNSUPPORTED,
                   "%s: arrays nested deeper than %d levels", what, GGUF_MAX_ARRAY_DEPTH);
      return FALSE;
    }
  if (!cursor_u32 (c, &elem_type, what, error) || !cursor_u64 (c, &n, what, error))
    return FALSE;
  if (!type_is_valid (elem_type))
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "%s: unknown array element type %u", what, elem_type);
      return FALSE;
    }
  if (sm_gguf_scalar_size (elem_type) != 0)
    {
      guint64 bytes;
      if (__builtin_mul_overflow (n, (guint64) sm_gguf_scalar_size (elem_type), &bytes) ||
          bytes > cursor_left (c))
        {
          g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                       "%s: array of %" G_GUINT64_FORMAT " %s at offset %" G_GSIZE_FORMAT
                       " runs past the end of the file (%" G_GSIZE_FORMAT " bytes)",
                       what, n, sm_gguf_value_type_name (elem_type), c->pos, c->size);
          return FALSE;
        }
      return cursor_take (c, bytes, &p, what, error);
    }

  /* Strings and arrays: each element takes at least its header, which bounds the loop by
   * the bytes left, whatever the count says. */
  gsize min_elem = elem_type == SM_GGUF_TYPE_STRING ? 8 : GGUF_MIN_ARRAY_BYTES;
  if (n > cursor_left (c) / min_elem)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "%s: array of %" G_GUINT64_FORMAT " %ss at offset %" G_GSIZE_FORMAT
                   " cannot fit in the file (%" G_GSIZE_FORMAT " bytes)",
                   what, n, sm_gguf_value_type_name (elem_type), c->pos, c->size);
      return FALSE;
    }
  for (guint64 i = 0; i < n; i++)
    if (!skip_value (c, elem_type, depth + 1, what, error))
      return FALSE;
  return TRUE;
}

/* ---- parsing --------------------------------------------------------------------------------- */

void
sm_gguf_free (SmGguf *g)
{
  for (gsize i = 0; i < g->n_kv; i++)
    {
      g_free (g->kvs[i].key);
      g_free (g->kvs[i].strings);
    }
  g_free (g->kvs);
  for (gsize i = 0; i < g->n_tensors; i++)
    g_free ((char *) g->tensors[i].name);
  g_free (g->tensors);
  g_clear_pointer (&g->kv_index, g_hash_table_unref);
  g_clear_pointer (&g->tensor_index, g_hash_table_unref);
  g_clear_pointer (&g->bytes, g_bytes_unref);
  g_free (g->path);
  g_free (g);
}

static gboolean
parse_header (SmGguf *g, Cursor *c, guint64 *n_tensors, guint64 *n_kv, GError **error)
{
  const guint8 *magic;
  guint32 version;

  if (c->size < 4)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "Not a GGUF file: only %" G_GSIZE_FORMAT " bytes long", c->size);
      return FALSE;
    }
  if (!cursor_take (c, 4, &magic, "magic", error))
    return FALSE;
  if (memcmp (magic, GGUF_MAGIC, 4) != 0)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "Not a GGUF file: bad magic %02x %02x %02x %02x (expected \"GGUF\")",
                   magic[0], magic[1], magic[2], magic[3]);
      return FALSE;
    }
  if (!cursor_u32 (c, &version, "header: version", error))
    return FALSE;
  if (version != 2 && version != 3)
    {
      /* A big-endian file reads as a huge little-endian number with its low bytes zero. */
      if ((version & 0xffff) == 0 && version != 0)
        g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_UNSUPPORTED,
                     "Unsupported GGUF: big-endian files (version %u byte-swapped) are not "
                     "supported", GUINT32_SWAP_LE_BE (version));
      else
        g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_UNSUPPORTED,
                     "Unsupported GGUF version %u (only versions 2 and 3 are supported)",
                     version);
      return FALSE;
    }
  g->version = version;
  if (!cursor_u64 (c, n_tensors, "header: tensor count", error) ||
      !cursor_u64 (c, n_kv, "header: metadata count", error))
    return FALSE;
  if (*n_kv > cursor_left (c) / GGUF_MIN_KV_BYTES)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "Absurd metadata count n_kv = %" G_GUINT64_FORMAT ": that many keys cannot "
                   "fit in a file of %" G_GSIZE_FORMAT " bytes", *n_kv, c->size);
      return FALSE;
    }
  if (*n_tensors > cursor_left (c) / GGUF_MIN_TENSOR_BYTES)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "Absurd tensor count n_tensors = %" G_GUINT64_FORMAT ": that many tensors "
                   "cannot fit in a file of %" G_GSIZE_FORMAT " bytes", *n_tensors, c->size);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_kv (SmGguf *g, Cursor *c, gsize i, GError **error)
{
  SmGgufKv *kv = &g->kvs[i];
  g_autofree char *what = g_strdup_printf ("metadata key %" G_GSIZE_FORMAT, i);
  guint32 type;

  kv->key = cursor_name (c, what, error);
  if (kv->key == NULL)
    return FALSE;
  g_free (what);
  what = g_strdup_printf ("metadata key '%s'", kv->key);
  if (g_hash_table_contains (g->kv_index, kv->key))
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "Duplicate metadata key '%s'", kv->key);
      return FALSE;
    }
  g_hash_table_insert (g->kv_index, kv->key, GSIZE_TO_POINTER (i + 1));

  if (!cursor_u32 (c, &type, what, error))
    return FALSE;
  if (!type_is_valid (type))
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "%s: unknown value type %u", what, type);
      return FALSE;
    }
  kv->type = type;
  kv->raw = c->base + c->pos;
  if (!skip_value (c, type, 0, what, error))
    return FALSE;
  kv->raw_len = (gsize) (c->base + c->pos - kv->raw);

  if (type == SM_GGUF_TYPE_ARRAY)
    {
      /* skip_value checked the whole array: its header and elements can be read freely. */
      kv->arr_type = load_u32 (kv->raw);
      kv->arr_n = load_u64 (kv->raw + 4);
      kv->elems = kv->raw + GGUF_MIN_ARRAY_BYTES;
      if (kv->arr_type == SM_GGUF_TYPE_STRING)
        {
          const guint8 *p = kv->elems;
          /* arr_n <= raw_len / 8, so this allocation is bounded by the file's size. */
          kv->strings = g_new (SmGgufString, MAX (kv->arr_n, 1));
          for (guint64 j = 0; j < kv->arr_n; j++)
            {
              kv->strings[j].len = (gsize) load_u64 (p);
              kv->strings[j].str = (const char *) p + 8;
              p += 8 + kv->strings[j].len;
            }
        }
    }
  return TRUE;
}

/* general.alignment: a power of two, any unsigned/signed integer type whose value fits. */
static gboolean
parse_alignment (SmGguf *g, GError **error)
{
  guint64 v;
  GError *local = NULL;

  g->alignment = GGUF_DEFAULT_ALIGNMENT;
  if (sm_gguf_find_key (g, "general.alignment") < 0)
    return TRUE;
  if (!sm_gguf_get_u64 (g, "general.alignment", &v, &local))
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT, "Bad general.alignment: %s",
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  if (v == 0 || (v & (v - 1)) != 0 || v > G_MAXUINT32)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "Bad general.alignment %" G_GUINT64_FORMAT ": not a power of two", v);
      return FALSE;
    }
  g->alignment = (gsize) v;
  return TRUE;
}

static gboolean
parse_tensor_info (SmGguf *g, Cursor *c, gsize i, GError **error)
{
  SmGgufTensorInfo *t = &g->tensors[i];
  g_autofree char *what = g_strdup_printf ("tensor %" G_GSIZE_FORMAT, i);
  guint32 n_dims, ggml_type;
  guint64 ne[4];
  gint64 n_elems = 1;
  const SmDTypeTraits *ti;
  SmDType dtype;

  t->name = cursor_name (c, what, error);
  if (t->name == NULL)
    return FALSE;
  g_free (what);
  what = g_strdup_printf ("tensor '%s'", t->name);
  if (g_hash_table_contains (g->tensor_index, t->name))
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "Duplicate tensor name '%s'", t->name);
      return FALSE;
    }
  g_hash_table_insert (g->tensor_index, (char *) t->name, GSIZE_TO_POINTER (i + 1));

  if (!cursor_u32 (c, &n_dims, what, error))
    return FALSE;
  if (n_dims < 1 || n_dims > 4)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "%s: n_dims %u is not in 1..4", what, n_dims);
      return FALSE;
    }
  for (guint32 d = 0; d < n_dims; d++)
    {
      if (!cursor_u64 (c, &ne[d], what, error))
        return FALSE;
      /* ggml keeps dimensions as int64: anything above INT64_MAX is a negative size. */
      if (ne[d] == 0 || ne[d] > (guint64) G_MAXINT64)
        {
          g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                       "%s: dimension %u is %" G_GINT64_FORMAT " (must be positive)",
                       what, d, (gint64) ne[d]);
          return FALSE;
        }
      if (__builtin_mul_overflow (n_elems, (gint64) ne[d], &n_elems))
        {
          g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                       "%s: the element count overflows (dimension %u is %" G_GUINT64_FORMAT
                       ")", what, d, ne[d]);
          return FALSE;
        }
    }
  if (!cursor_u32 (c, &ggml_type, what, error) || !cursor_u64 (c, &t->offset, what, error))
    return FALSE;

  ti = sm_dtype_traits_from_ggml (ggml_type, &dtype);
  if (ti == NULL)
    {
      g_autofree char *readable = readable_types ();
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_UNSUPPORTED,
                   "%s has ggml type %u (%s), which is not supported (only %s)", what,
                   ggml_type, sm_dtype_ggml_type_name (ggml_type), readable);
      return FALSE;
    }
  if (ne[0] % ti->block_elems != 0)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "%s: a row of %" G_GUINT64_FORMAT " elements is not a multiple of the %s "
                   "block size %" G_GSIZE_FORMAT, what, ne[0], ti->ggml_name, ti->block_elems);
      return FALSE;
    }
  guint64 n_bytes;
  if (__builtin_mul_overflow ((guint64) n_elems / ti->block_elems, (guint64) ti->block_bytes,
                              &n_bytes) || n_bytes > G_MAXSIZE)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "%s: %" G_GINT64_FORMAT " elements of %s overflow the byte count",
                   what, n_elems, ti->ggml_name);
      return FALSE;
    }

  t->n_dims = (int) n_dims;
  for (int d = 0; d < 4; d++)
    t->shape[d] = d < t->n_dims ? (gint64) ne[t->n_dims - 1 - d] : 1;
  t->ggml_type = ggml_type;
  t->dtype = dtype;
  t->n_bytes = (gsize) n_bytes;
  return TRUE;
}

static int
compare_by_offset (gconstpointer a, gconstpointer b)
{
  const SmGgufTensorInfo *ta = *(SmGgufTensorInfo *const *) a;
  const SmGgufTensorInfo *tb = *(SmGgufTensorInfo *const *) b;
  return ta->offset < tb->offset ? -1 : ta->offset > tb->offset;
}

/* Places every tensor in the data section: aligned, inside the file, no two overlapping. */
static gboolean
place_tensors (SmGguf *g, gsize header_end, GError **error)
{
  guint64 data_offset;

  if (__builtin_add_overflow ((guint64) header_end, (guint64) g->alignment - 1, &data_offset))
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "The data section offset overflows (alignment %" G_GSIZE_FORMAT ")",
                   g->alignment);
      return FALSE;
    }
  data_offset -= data_offset % g->alignment;
  g->data_offset = data_offset;
  if (g->n_tensors == 0)
    return TRUE;   /* vocabulary-only files may end before the (empty) aligned data section */

  for (gsize i = 0; i < g->n_tensors; i++)
    {
      SmGgufTensorInfo *t = &g->tensors[i];
      guint64 start, end;

      if (t->offset % g->alignment != 0)
        {
          g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                       "tensor '%s': data offset %" G_GUINT64_FORMAT " is misaligned (not a "
                       "multiple of the alignment %" G_GSIZE_FORMAT ")",
                       t->name, t->offset, g->alignment);
          return FALSE;
        }
      if (__builtin_add_overflow (data_offset, t->offset, &start) ||
          __builtin_add_overflow (start, (guint64) t->n_bytes, &end) || end > g->size)
        {
          g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                       "tensor '%s': data [offset %" G_GUINT64_FORMAT ", %" G_GSIZE_FORMAT
                       " bytes] runs past the end of the file (%" G_GSIZE_FORMAT " bytes; "
                       "data section at %" G_GUINT64_FORMAT ")",
                       t->name, t->offset, t->n_bytes, g->size, data_offset);
          return FALSE;
        }
      t->data = g->base + start;
    }

  g_autofree SmGgufTensorInfo **order = g_new (SmGgufTensorInfo *, g->n_tensors);
  for (gsize i = 0; i < g->n_tensors; i++)
    order[i] = &g->tensors[i];
  qsort (order, g->n_tensors, sizeof *order, compare_by_offset);
  for (gsize i = 1; i < g->n_tensors; i++)
    {
      const SmGgufTensorInfo *a = order[i - 1], *b = order[i];
      /* Both ranges lie inside the file, so this sum cannot overflow. */
      if (a->offset + a->n_bytes > b->offset)
        {
          g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                       "tensors '%s' [offset %" G_GUINT64_FORMAT ", %" G_GSIZE_FORMAT " bytes] "
                       "and '%s' [offset %" G_GUINT64_FORMAT "] overlap",
                       a->name, a->offset, a->n_bytes, b->name, b->offset);
          return FALSE;
        }
    }
  return TRUE;
}

SmGguf *
sm_gguf_parse (GBytes *bytes, const char *path, GError **error)
{
  SmGguf *g = g_new0 (SmGguf, 1);
  guint64 n_tensors = 0, n_kv = 0;
  Cursor c;

  g->ref_count = 1;
  g->bytes = g_bytes_ref (bytes);
  g->base = g_bytes_get_data (bytes, &g->size);
  g->path = g_strdup (path);
  g->kv_index = g_hash_table_new (g_str_hash, g_str_equal);
  g->tensor_index = g_hash_table_new (g_str_hash, g_str_equal);
  c = (Cursor) { .base = g->base, .size = g->size, .pos = 0 };

  if (!parse_header (g, &c, &n_tensors, &n_kv, error))
    goto fail;

  /* Both counts were checked against the file's size: these allocations are bounded. */
  g->kvs = g_new0 (SmGgufKv, MAX (n_kv, 1));
  for (gsize i = 0; i < n_kv; i++)
    {
      g->n_kv = i + 1;
      if (!parse_kv (g, &c, i, error))
        goto fail;
    }
  if (!parse_alignment (g, error))
    goto fail;

  if (n_tensors > cursor_left (&c) / GGUF_MIN_TENSOR_BYTES)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                   "Absurd tensor count n_tensors = %" G_GUINT64_FORMAT ": the tensor infos "
                   "cannot fit in the %" G_GSIZE_FORMAT " bytes left after the metadata",
                   n_tensors, cursor_left (&c));
      goto fail;
    }
  g->tensors = g_new0 (SmGgufTensorInfo, MAX (n_tensors, 1));
  for (gsize i = 0; i < n_tensors; i++)
    {
      g->n_tensors = i + 1;
      if (!parse_tensor_info (g, &c, i, error))
        goto fail;
    }
  if (!place_tensors (g, c.pos, error))
    goto fail;
  return g;

fail:
  sm_gguf_free (g);
  return NULL;
}
