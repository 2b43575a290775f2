/* sm-checkpoint.c: SmallMind's native checkpoint, reader and writer (layout in the header).
 *
 * The reader checks the structure first (so a damaged header or directory is named as such)
 * and then the SHA-256 over the whole file, so flipped bits in weights or metadata are caught
 * too.  The writer knows every size before it starts, so it hashes as it streams and only
 * patches the digest into the header at the end.
 */
#define G_LOG_DOMAIN "sm-checkpoint"

#include "sm-json.h"
#include "sm-checkpoint.h"
#include "sm-atomic-file.h"
#include "sm-mapped-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER_BYTES   128
#define DIGEST_OFFSET  64
#define DIGEST_BYTES   32
/* The smallest directory entry: empty name, type, n_dims, one dim, offset, size. */
#define MIN_ENTRY_BYTES (4 + 4 + 4 + 8 + 8 + 8)

G_DEFINE_QUARK (sm-checkpoint-error-quark, sm_checkpoint_error)

/* ---- types ----------------------------------------------------------------------------------- */

static gboolean
dtype_from_code (guint32 code, SmDType *dtype)
{
  return sm_dtype_traits_from_ggml (code, dtype) != NULL;
}

static guint32
code_of_dtype (SmDType dtype)
{
  return sm_dtype_traits (dtype)->ggml_type;
}

static guint32
load_u32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, sizeof v);
  return GUINT32_FROM_LE (v);
}

static guint64
load_u64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, sizeof v);
  return GUINT64_FROM_LE (v);
}

static gsize
pad_to (guint64 n, gsize alignment)
{
  return (gsize) ((alignment - n % alignment) % alignment);
}

/* ---- reader ---------------------------------------------------------------------------------- */

struct _SmCheckpoint {
  gint                    ref_count;
  GBytes                 *bytes;
  const guint8           *base;
  gsize                   size;
  char                   *path;
  guint32                 version;
  char                    checksum[2 * DIGEST_BYTES + 1];
  JsonObject             *metadata;
  SmCheckpointTensorInfo *tensors;   /* n_tensors; names owned here */
  gsize                   n_tensors;
  GHashTable             *by_name;   /* name -> index + 1 */
};

static void
checkpoint_free (SmCheckpoint *ck)
{
  for (gsize i = 0; i < ck->n_tensors; i++)
    g_free ((char *) ck->tensors[i].name);
  g_free (ck->tensors);
  g_clear_pointer (&ck->by_name, g_hash_table_unref);
  g_clear_pointer (&ck->metadata, json_object_unref);
  g_clear_pointer (&ck->bytes, g_bytes_unref);
  g_free (ck->path);
  g_free (ck);
}

#define FAIL(...) G_STMT_START { \
    g_set_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_FORMAT, __VA_ARGS__); \
    return FALSE; \
  } G_STMT_END

/* Is [off, off + len) inside [lo, hi)?  Overflow-safe. */
static gboolean
range_ok (guint64 off, guint64 len, guint64 lo, guint64 hi)
{
  guint64 end;
  return off >= lo && !__builtin_add_overflow (off, len, &end) && end <= hi;
}

static gboolean
parse_entry (SmCheckpoint *ck, const guint8 *dir, gsize dir_len, gsize *pos, gsize i,
             guint64 data_offset, GError **error)
{
  SmCheckpointTensorInfo *t = &ck->tensors[i];
  guint32 name_len, code, n_dims;
  gint64 n_elems = 1;
  guint64 n_bytes, want_bytes, start;

#define NEED(n) G_STMT_START { \
    if ((guint64) (n) > dir_len - *pos) \
      FAIL ("Checkpoint directory entry %" G_GSIZE_FORMAT " runs past the end of the " \
            "directory (%" G_GSIZE_FORMAT " bytes)", i, dir_len); \
  } G_STMT_END

  NEED (4);
  name_len = load_u32 (dir + *pos);
  *pos += 4;
  NEED (name_len);
  if (memchr (dir + *pos, '\0', name_len) != NULL)
    FAIL ("Checkpoint tensor %" G_GSIZE_FORMAT ": the name contains a NUL byte", i);
  t->name = g_strndup ((const char *) dir + *pos, name_len);
  *pos += name_len;
  if (g_hash_table_contains (ck->by_name, t->name))
    FAIL ("Checkpoint has a duplicate tensor name '%s'", t->name);
  g_hash_table_insert (ck->by_name, (char *) t->name, GSIZE_TO_POINTER (i + 1));

  NEED (8);
  code = load_u32 (dir + *pos);
  n_dims = load_u32 (dir + *pos + 4);
  *pos += 8;
  if (!dtype_from_code (code, &t->dtype))
    {
      g_set_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_UNSUPPORTED,
                   "Checkpoint tensor '%s' has unknown type %u", t->name, code);
      return FALSE;
    }
  if (n_dims < 1 || n_dims > 4)
    FAIL ("Checkpoint tensor '%s': n_dims %u is not in 1..4", t->name, n_dims);
  t->n_dims = (int) n_dims;
  NEED ((gsize) n_dims * 8 + 16);
  for (int d = 0; d < 4; d++)
    {
      guint64 v = d < t->n_dims ? load_u64 (dir + *pos + 8 * d) : 1;
      if (v == 0 || v > (guint64) G_MAXINT64)
        FAIL ("Checkpoint tensor '%s': dimension %d is %" G_GINT64_FORMAT " (must be positive)",
              t->name, d, (gint64) v);
      if (__builtin_mul_overflow (n_elems, (gint64) v, &n_elems))
        FAIL ("Checkpoint tensor '%s': the element count overflows", t->name);
      t->shape[d] = (gint64) v;
    }
  *pos += (gsize) n_dims * 8;
  t->offset = load_u64 (dir + *pos);
  n_bytes = load_u64 (dir + *pos + 8);
  *pos += 16;
#undef NEED

  gsize blk = sm_dtype_block_elems (t->dtype);
  if (t->shape[t->n_dims - 1] % (gint64) blk != 0)
    FAIL ("Checkpoint tensor '%s': a row of %" G_GINT64_FORMAT " elements is not a multiple of "
          "the %s block size %" G_GSIZE_FORMAT, t->name, t->shape[t->n_dims - 1],
          sm_dtype_name (t->dtype), blk);
  if (__builtin_mul_overflow ((guint64) n_elems / blk, (guint64) sm_dtype_block_bytes (t->dtype),
                              &want_bytes) || want_bytes != n_bytes)
    FAIL ("Checkpoint tensor '%s': %" G_GUINT64_FORMAT " bytes stored for a shape that needs "
          "%" G_GUINT64_FORMAT, t->name, n_bytes, want_bytes);
  if (t->offset % SM_CHECKPOINT_ALIGN != 0)
    FAIL ("Checkpoint tensor '%s': offset %" G_GUINT64_FORMAT " is misaligned (not a multiple "
          "of %d)", t->name, t->offset, SM_CHECKPOINT_ALIGN);
  if (__builtin_add_overflow (data_offset, t->offset, &start) ||
      !range_ok (start, n_bytes, data_offset, ck->size))
    FAIL ("Checkpoint tensor '%s': data [offset %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
          " bytes] runs past the end of the file (%" G_GSIZE_FORMAT " bytes)",
          t->name, t->offset, n_bytes, ck->size);
  t->n_bytes = (gsize) n_bytes;
  t->data = ck->base + start;
  return TRUE;
}

static int
compare_by_offset (gconstpointer a, gconstpointer b)
{
  const SmCheckpointTensorInfo *ta = *(SmCheckpointTensorInfo *const *) a;
  const SmCheckpointTensorInfo *tb = *(SmCheckpointTensorInfo *const *) b;
  return ta->offset < tb->offset ? -1 : ta->offset > tb->offset;
}

static gboolean
check_overlaps (SmCheckpoint *ck, GError **error)
{
  g_autofree SmCheckpointTensorInfo **order = g_new (SmCheckpointTensorInfo *,
                                                     MAX (ck->n_tensors, 1));

  for (gsize i = 0; i < ck->n_tensors; i++)
    order[i] = &ck->tensors[i];
  qsort (order, ck->n_tensors, sizeof *order, compare_by_offset);
  for (gsize i = 1; i < ck->n_tensors; i++)
    if (order[i - 1]->offset + order[i - 1]->n_bytes > order[i]->offset)
      FAIL ("Checkpoint tensors '%s' and '%s' overlap", order[i - 1]->name, order[i]->name);
  return TRUE;
}

static gboolean
parse_metadata (SmCheckpoint *ck, const guint8 *text, gsize len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local = NULL;
  JsonNode *root;

  /* json-glib wants valid UTF-8 and stops at a NUL: check both so nothing is silently lost. */
  if (memchr (text, '\0', len) != NULL ||
      !g_utf8_validate ((const char *) text, (gssize) len, NULL))
    FAIL ("Checkpoint metadata is not valid UTF-8 text");
  if (sm_json_depth ((const char *) text, len) > SM_JSON_MAX_DEPTH)
    FAIL ("Checkpoint metadata nests deeper than %d levels", SM_JSON_MAX_DEPTH);
  if (!json_parser_load_from_data (parser, (const char *) text, (gssize) len, &local))
    FAIL ("Checkpoint metadata is not valid JSON: %s", local->message);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    FAIL ("Checkpoint metadata is not a JSON object");
  ck->metadata = json_object_ref (json_node_get_object (root));
  return TRUE;
}

static gboolean
verify_checksum (SmCheckpoint *ck, GError **error)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  static const guint8 zeros[DIGEST_BYTES];
  const guint8 *stored = ck->base + DIGEST_OFFSET;
  char stored_hex[2 * DIGEST_BYTES + 1];

  g_checksum_update (sum, ck->base, DIGEST_OFFSET);
  g_checksum_update (sum, zeros, DIGEST_BYTES);
  g_checksum_update (sum, ck->base + DIGEST_OFFSET + DIGEST_BYTES,
                     (gssize) (ck->size - DIGEST_OFFSET - DIGEST_BYTES));
  for (int i = 0; i < DIGEST_BYTES; i++)
    g_snprintf (stored_hex + 2 * i, 3, "%02x", stored[i]);
  if (strcmp (g_checksum_get_string (sum), stored_hex) != 0)
    {
      g_set_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_CHECKSUM,
                   "Checkpoint checksum mismatch: the file is damaged (SHA-256 %s, stored %s)",
                   g_checksum_get_string (sum), stored_hex);
      return FALSE;
    }
  memcpy (ck->checksum, stored_hex, sizeof ck->checksum);
  return TRUE;
}

static gboolean
parse (SmCheckpoint *ck, GError **error)
{
  const guint8 *h = ck->base;
  guint64 file_size, meta_off, meta_len, dir_off, dir_len, n_tensors, data_off;
  gsize pos = 0;

  if (ck->size < 4 || memcmp (h, SM_CHECKPOINT_MAGIC, 4) != 0)
    FAIL ("Not a SmallMind checkpoint (no \"SMCK\" magic)");
  if (ck->size < 8)
    FAIL ("Truncated checkpoint: %" G_GSIZE_FORMAT " bytes", ck->size);
  ck->version = load_u32 (h + 4);
  if (ck->version != SM_CHECKPOINT_VERSION)
    {
      g_set_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_UNSUPPORTED,
                   "Unsupported checkpoint format version %u (this build reads version %d)",
                   ck->version, SM_CHECKPOINT_VERSION);
      return FALSE;
    }
  if (ck->size < HEADER_BYTES)
    FAIL ("Truncated checkpoint: %" G_GSIZE_FORMAT " bytes is shorter than its %d-byte header",
          ck->size, HEADER_BYTES);
  file_size = load_u64 (h + 8);
  meta_off = load_u64 (h + 16);
  meta_len = load_u64 (h + 24);
  dir_off = load_u64 (h + 32);
  dir_len = load_u64 (h + 40);
  n_tensors = load_u64 (h + 48);
  data_off = load_u64 (h + 56);

  if (file_size != ck->size)
    FAIL ("%s checkpoint: its header says %" G_GUINT64_FORMAT " bytes but the file has %"
          G_GSIZE_FORMAT, file_size > ck->size ? "Truncated" : "Over-long", file_size, ck->size);
  if (!range_ok (meta_off, meta_len, HEADER_BYTES, file_size) ||
      !range_ok (dir_off, dir_len, meta_off + meta_len, file_size) ||
      data_off < dir_off + dir_len || data_off > file_size || data_off % SM_CHECKPOINT_ALIGN != 0)
    FAIL ("Checkpoint header is damaged: metadata [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
          " bytes], directory [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " bytes] and data "
          "offset %" G_GUINT64_FORMAT " do not fit a file of %" G_GUINT64_FORMAT " bytes",
          meta_off, meta_len, dir_off, dir_len, data_off, file_size);
  if (n_tensors > dir_len / MIN_ENTRY_BYTES)
    FAIL ("Checkpoint header is damaged: %" G_GUINT64_FORMAT " tensors cannot fit in a %"
          G_GUINT64_FORMAT "-byte directory", n_tensors, dir_len);

  ck->tensors = g_new0 (SmCheckpointTensorInfo, MAX (n_tensors, 1));
  for (gsize i = 0; i < n_tensors; i++)
    {
      ck->n_tensors = i + 1;
      if (!parse_entry (ck, ck->base + dir_off, (gsize) dir_len, &pos, i, data_off, error))
        return FALSE;
    }
  if (pos != dir_len)
    FAIL ("Checkpoint directory has %" G_GSIZE_FORMAT " stray bytes after its %" G_GUINT64_FORMAT
          " entries", (gsize) dir_len - pos, n_tensors);
  if (!check_overlaps (ck, error))
    return FALSE;
  if (!verify_checksum (ck, error))
    return FALSE;
  /* Last: the JSON is only parsed once it is known to be what the writer wrote. */
  return parse_metadata (ck, ck->base + meta_off, (gsize) meta_len, error);
}

static SmCheckpoint *
checkpoint_new (GBytes *bytes, const char *path, GError **error)
{
  SmCheckpoint *ck = g_new0 (SmCheckpoint, 1);

  ck->ref_count = 1;
  ck->bytes = g_bytes_ref (bytes);
  ck->base = g_bytes_get_data (bytes, &ck->size);
  ck->path = g_strdup (path);
  ck->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  if (!parse (ck, error))
    {
      checkpoint_free (ck);
      return NULL;
    }
  return ck;
}

#undef FAIL

SmCheckpoint *
sm_checkpoint_open (const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local = NULL;
  SmCheckpoint *ck;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* a file truncated under its readers is then an error they report, not a crash */
  bytes = sm_mapped_file_map (path, &local);
  if (bytes == NULL)
    {
      g_set_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_IO, "%s", local->message);
      return NULL;
    }
  ck = checkpoint_new (bytes, path, error);
  if (ck == NULL)
    g_prefix_error (error, "%s: ", path);
  return ck;
}

SmCheckpoint *
sm_checkpoint_new_from_bytes (GBytes *bytes, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return checkpoint_new (bytes, NULL, error);
}

SmCheckpoint *
sm_checkpoint_ref (SmCheckpoint *ck)
{
  g_return_val_if_fail (ck != NULL, NULL);

  g_atomic_int_inc (&ck->ref_count);
  return ck;
}

void
sm_checkpoint_unref (SmCheckpoint *ck)
{
  if (ck == NULL)
    return;
  if (g_atomic_int_dec_and_test (&ck->ref_count))
    checkpoint_free (ck);
}

guint32
sm_checkpoint_get_version (SmCheckpoint *ck)
{
  g_return_val_if_fail (ck != NULL, 0);
  return ck->version;
}

const char *
sm_checkpoint_get_path (SmCheckpoint *ck)
{
  g_return_val_if_fail (ck != NULL, NULL);
  return ck->path;
}

const char *
sm_checkpoint_get_checksum (SmCheckpoint *ck)
{
  g_return_val_if_fail (ck != NULL, NULL);
  return ck->checksum;
}

JsonObject *
sm_checkpoint_get_metadata (SmCheckpoint *ck)
{
  g_return_val_if_fail (ck != NULL, NULL);
  return ck->metadata;
}

gsize
sm_checkpoint_n_tensors (SmCheckpoint *ck)
{
  g_return_val_if_fail (ck != NULL, 0);
  return ck->n_tensors;
}

const SmCheckpointTensorInfo *
sm_checkpoint_tensor_info (SmCheckpoint *ck, gsize index)
{
  g_return_val_if_fail (ck != NULL, NULL);
  g_return_val_if_fail (index < ck->n_tensors, NULL);
  return &ck->tensors[index];
}

const SmCheckpointTensorInfo *
sm_checkpoint_find_tensor (SmCheckpoint *ck, const char *name)
{
  gpointer v;

  g_return_val_if_fail (ck != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  v = g_hash_table_lookup (ck->by_name, name);
  return v == NULL ? NULL : &ck->tensors[GPOINTER_TO_SIZE (v) - 1];
}

SmTensor *
sm_checkpoint_get_tensor (SmCheckpoint *ck, const char *name, GError **error)
{
  const SmCheckpointTensorInfo *t;

  g_return_val_if_fail (ck != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  t = sm_checkpoint_find_tensor (ck, name);
  if (t == NULL)
    {
      g_set_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_NOT_FOUND,
                   "Checkpoint has no tensor '%s'", name);
      return NULL;
    }
  /* Offsets are multiples of 64 from a 64-aligned data section; only bytes handed in at an
   * odd address could misalign the elements. */
  if ((guintptr) t->data % 4 != 0)
    {
      g_set_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_FORMAT,
                   "Checkpoint tensor '%s' is not 4-byte aligned in memory", name);
      return NULL;
    }
  return sm_tensor_new_borrowed (t->dtype, t->n_dims, t->shape, (gpointer) t->data,
                                 (GDestroyNotify) sm_checkpoint_unref, sm_checkpoint_ref (ck));
}

/* ---- writer ---------------------------------------------------------------------------------- */

typedef struct {
  char     *name;
  SmTensor *tensor;
} WriterTensor;

struct _SmCheckpointWriter {
  JsonObject *metadata;
  GPtrArray  *tensors;     /* WriterTensor, in the order added */
  GHashTable *by_name;     /* name -> WriterTensor (borrowed) */
};

static void
writer_tensor_free (gpointer data)
{
  WriterTensor *wt = data;
  g_free (wt->name);
  sm_tensor_unref (wt->tensor);
  g_free (wt);
}

SmCheckpointWriter *
sm_checkpoint_writer_new (void)
{
  SmCheckpointWriter *w = g_new0 (SmCheckpointWriter, 1);

  w->metadata = json_object_new ();
  w->tensors = g_ptr_array_new_with_free_func (writer_tensor_free);
  w->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return w;
}

void
sm_checkpoint_writer_free (SmCheckpointWriter *w)
{
  if (w == NULL)
    return;
  json_object_unref (w->metadata);
  g_hash_table_unref (w->by_name);
  g_ptr_array_unref (w->tensors);
  g_free (w);
}

void
sm_checkpoint_writer_set_metadata (SmCheckpointWriter *w, JsonObject *metadata)
{
  g_return_if_fail (w != NULL);

  json_object_unref (w->metadata);
  w->metadata = metadata != NULL ? json_object_ref (metadata) : json_object_new ();
}

void
sm_checkpoint_writer_add_tensor (SmCheckpointWriter *w, const char *name, SmTensor *t)
{
  WriterTensor *wt;

  g_return_if_fail (w != NULL && name != NULL && t != NULL);
  g_return_if_fail (sm_tensor_is_contiguous (t));

  wt = g_hash_table_lookup (w->by_name, name);
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
  g_hash_table_insert (w->by_name, wt->name, wt);
}

/* The output: an atomic file, hashed as it is written; the digest goes into the header last. */
typedef struct {
  SmAtomicFile *file;
  GChecksum    *sum;
} Output;

static gboolean
output_open (Output *o, const char *path, GError **error)
{
  o->file = sm_atomic_file_new (path, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_IO, error);
  if (o->file == NULL)
    return FALSE;
  o->sum = g_checksum_new (G_CHECKSUM_SHA256);
  return TRUE;
}

static gboolean
output_write (Output *o, gconstpointer buf, gsize len, GError **error)
{
  g_checksum_update (o->sum, buf, (gssize) len);
  return sm_atomic_file_write (o->file, buf, len, error);
}

static gboolean
output_zeros (Output *o, gsize len, GError **error)
{
  static const guint8 zeros[SM_CHECKPOINT_ALIGN];

  g_assert (len <= sizeof zeros);
  return output_write (o, zeros, len, error);
}

static void
output_abort (Output *o)
{
  g_clear_pointer (&o->file, sm_atomic_file_abort);
  g_clear_pointer (&o->sum, g_checksum_free);
}

static gboolean
output_commit (Output *o, GError **error)
{
  guint8 digest[DIGEST_BYTES];
  gsize digest_len = sizeof digest;

  g_checksum_get_digest (o->sum, digest, &digest_len);
  if (!sm_atomic_file_pwrite (o->file, digest, sizeof digest, DIGEST_OFFSET, error))
    return FALSE;
  g_clear_pointer (&o->sum, g_checksum_free);
  return sm_atomic_file_commit (g_steal_pointer (&o->file), error);
}

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

gboolean
sm_checkpoint_writer_write (SmCheckpointWriter *w, const char *path, GError **error)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (GByteArray) dir = g_byte_array_new ();
  g_autoptr (GByteArray) head = g_byte_array_new ();
  g_autofree char *meta = NULL;
  gsize meta_len = 0;
  guint64 data_off, data_len = 0;
  Output o = { NULL, NULL };

  g_return_val_if_fail (w != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  json_node_set_object (root, w->metadata);
  json_generator_set_root (gen, root);
  meta = sm_json_generate (gen, &meta_len);

  for (guint i = 0; i < w->tensors->len; i++)
    {
      WriterTensor *wt = g_ptr_array_index (w->tensors, i);
      SmTensor *t = wt->tensor;
      gsize n = sm_tensor_n_bytes (t);

      put_u32 (dir, (guint32) strlen (wt->name));
      g_byte_array_append (dir, (const guint8 *) wt->name, (guint) strlen (wt->name));
      put_u32 (dir, code_of_dtype (t->dtype));
      put_u32 (dir, (guint32) t->n_dims);
      for (int d = 0; d < t->n_dims; d++)
        put_u64 (dir, (guint64) t->shape[d]);
      put_u64 (dir, data_len);
      put_u64 (dir, n);
      data_len += n + pad_to (n, SM_CHECKPOINT_ALIGN);
    }

  guint64 meta_off = HEADER_BYTES;
  guint64 dir_off = meta_off + meta_len;
  data_off = dir_off + dir->len + pad_to (dir_off + dir->len, SM_CHECKPOINT_ALIGN);
  g_byte_array_append (head, (const guint8 *) SM_CHECKPOINT_MAGIC, 4);
  put_u32 (head, SM_CHECKPOINT_VERSION);
  put_u64 (head, data_off + data_len);
  put_u64 (head, meta_off);
  put_u64 (head, meta_len);
  put_u64 (head, dir_off);
  put_u64 (head, dir->len);
  put_u64 (head, w->tensors->len);
  put_u64 (head, data_off);
  g_byte_array_set_size (head, HEADER_BYTES);   /* the digest and reserved bytes: zero */
  memset (head->data + DIGEST_OFFSET, 0, HEADER_BYTES - DIGEST_OFFSET);

  if (!output_open (&o, path, error))
    return FALSE;
  if (!output_write (&o, head->data, head->len, error) ||
      !output_write (&o, meta, meta_len, error) ||
      !output_write (&o, dir->data, dir->len, error) ||
      !output_zeros (&o, pad_to (dir_off + dir->len, SM_CHECKPOINT_ALIGN), error))
    goto fail;
  for (guint i = 0; i < w->tensors->len; i++)
    {
      SmTensor *t = ((WriterTensor *) g_ptr_array_index (w->tensors, i))->tensor;
      gsize n = sm_tensor_n_bytes (t);

      if (!output_write (&o, t->data, n, error) ||
          !output_zeros (&o, pad_to (n, SM_CHECKPOINT_ALIGN), error))
        goto fail;
    }
  if (output_commit (&o, error))
    return TRUE;

fail:
  output_abort (&o);
  return FALSE;
}
