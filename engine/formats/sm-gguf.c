/* sm-gguf.c: the GGUF v2/v3 reader.
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

#include "sm-gguf-private.h"

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

typedef struct {
  char         *key;        /* nul-terminated copy */
  SmGgufType    type;
  SmGgufType    arr_type;   /* ARRAY only */
  guint64       arr_n;      /* ARRAY only */
  const guint8 *raw;        /* the encoded value in the mapping (ARRAY: from its element type) */
  gsize         raw_len;
  const guint8 *elems;      /* ARRAY only: the first element */
  SmGgufString *strings;    /* ARRAY of STRING only: arr_n entries pointing into the mapping */
} SmGgufKv;

struct _SmGguf {
  gint              ref_count;
  GBytes           *bytes;      /* the mapping (or caller's bytes); everything points into it */
  const guint8     *base;
  gsize             size;
  char             *path;
  guint32           version;
  gsize             alignment;
  guint64           data_offset;  /* from the start of the file */

  SmGgufKv         *kvs;          /* n_kv */
  gsize             n_kv;
  GHashTable       *kv_index;     /* key -> index + 1 */

  SmGgufTensorInfo *tensors;      /* n_tensors; names owned here */
  gsize             n_tensors;
  GHashTable       *tensor_index; /* name -> index + 1 */
};

G_DEFINE_QUARK (sm-gguf-error-quark, sm_gguf_error)

/* ---- types ----------------------------------------------------------------------------------- */

static gsize
scalar_size (guint32 type)
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

static const char *
type_name (guint32 type)
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

/* "F32, F16, BF16, Q8_0 and Q4_0": what the table can read, for a refusal. */
static char *
readable_types (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < SM_N_DTYPES; i++)
    {
      if (i > 0)
        g_string_append (s, i + 1 == SM_N_DTYPES ? " and " : ", ");
      g_string_append (s, sm_dtype_traits ((SmDType) i)->ggml_name);
    }
  return g_string_free (s, FALSE);
}

/* ---- little-endian loads (the mapping need not align anything) ------------------------------- */

static inline guint16
load_u16 (const guint8 *p)
{
  guint16 v;
  memcpy (&v, p, sizeof v);
  return GUINT16_FROM_LE (v);
}

static inline guint32
load_u32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, sizeof v);
  return GUINT32_FROM_LE (v);
}

static inline guint64
load_u64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, sizeof v);
  return GUINT64_FROM_LE (v);
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
      return cursor_take (c, scalar_size (type), &p, what, error);
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
  if (scalar_size (elem_type) != 0)
    {
      guint64 bytes;
      if (__builtin_mul_overflow (n, (guint64) scalar_size (elem_type), &bytes) ||
          bytes > cursor_left (c))
        {
          g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT,
                       "%s: array of %" G_GUINT64_FORMAT " %s at offset %" G_GSIZE_FORMAT
                       " runs past the end of the file (%" G_GSIZE_FORMAT " bytes)",
                       what, n, type_name (elem_type), c->pos, c->size);
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
                   what, n, type_name (elem_type), c->pos, c->size);
      return FALSE;
    }
  for (guint64 i = 0; i < n; i++)
    if (!skip_value (c, elem_type, depth + 1, what, error))
      return FALSE;
  return TRUE;
}

/* ---- parsing --------------------------------------------------------------------------------- */

static void
gguf_free (SmGguf *g)
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

static SmGguf *
gguf_parse (GBytes *bytes, const char *path, GError **error)
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
  gguf_free (g);
  return NULL;
}

/* ---- public: opening ------------------------------------------------------------------------- */

SmGguf *
sm_gguf_open (const char *path, GError **error)
{
  g_autoptr (GMappedFile) mf = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local = NULL;
  SmGguf *g;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  mf = g_mapped_file_new (path, FALSE, &local);
  if (mf == NULL)
    {
      g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_IO, "%s", local->message);
      return NULL;
    }
  /* An empty file maps to NULL contents, which GBytes takes as a zero-length buffer. */
  bytes = g_mapped_file_get_bytes (mf);
  g = gguf_parse (bytes, path, error);
  if (g == NULL)
    g_prefix_error (error, "%s: ", path);
  return g;
}

SmGguf *
sm_gguf_new_from_bytes (GBytes *bytes, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return gguf_parse (bytes, NULL, error);
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
    gguf_free (gguf);
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
                 type_name (kv->arr_type), wanted);
  else
    g_set_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND,
                 "GGUF metadata '%s' is of type %s, not %s", kv->key, type_name (kv->type),
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
  return g_strndup ((const char *) kv->raw + 8, (gsize) load_u64 (kv->raw));
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
  gsize size = scalar_size (kv->arr_type);
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
  size = scalar_size (kv->arr_type);
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
    append_text (s, (const char *) kv->raw + 8, (gsize) load_u64 (kv->raw));
  else if (kv->type == SM_GGUF_TYPE_ARRAY)
    {
      const char *elem = kv->arr_type == SM_GGUF_TYPE_STRING ? "string"
                       : kv->arr_type == SM_GGUF_TYPE_ARRAY ? "array" : type_name (kv->arr_type);
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
