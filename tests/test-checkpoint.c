/* test-checkpoint.c: the native checkpoint.  A round trip keeps metadata and every tensor
 * bit for bit; damage anywhere is caught (the checksum for bytes, the structure checks for
 * truncation and bad headers) and writing never leaves a partial file. */
#include <glib/gstdio.h>
#include <string.h>

#include "sm-checkpoint.h"
#include "sm-test-util.h"

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        remove_dir (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static SmCheckpoint *
parse_copy (const guint8 *data, gsize len, GError **error)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, len);
  return sm_checkpoint_new_from_bytes (bytes, error);
}

static void
expect_error (const guint8 *data, gsize len, int code, const char *words)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmCheckpoint) ck = parse_copy (data, len, &error);

  g_assert_null (ck);
  g_assert_nonnull (error);
  g_test_message ("expected error: %s", error->message);
  g_assert_error (error, SM_CHECKPOINT_ERROR, code);
  if (words != NULL && strstr (error->message, words) == NULL)
    g_error ("error message '%s' lacks '%s'", error->message, words);
}

/* Recomputes the stored SHA-256 after a deliberate edit, so that the structure checks (not
 * the checksum) are what the edit meets. */
static void
fix_checksum (guint8 *data, gsize len)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize n = 32;

  memset (data + 64, 0, 32);
  g_checksum_update (sum, data, (gssize) len);
  g_checksum_get_digest (sum, data + 64, &n);
}

static guint64
get_u64 (const guint8 *data, gsize at)
{
  guint64 v;
  memcpy (&v, data + at, 8);
  return GUINT64_FROM_LE (v);
}

static void
set_u64 (guint8 *data, gsize at, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (data + at, &v, 8);
}

static JsonObject *
sample_metadata (void)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) error = NULL;
  const char *text =
    "{ \"format\": \"smallmind\", "
    "  \"config\": { \"arch\": \"llama\", \"dim\": 64, \"n_layers\": 2, \"norm_eps\": 1e-05,"
    "                \"tied\": true },"
    "  \"tokenizer\": { \"type\": \"bpe\", \"merges\": [[104, 101], [256, 108], [257, 111]],"
    "                   \"special\": [\"<s>\", \"</s>\", \"\\u2581x\\n\"] },"
    "  \"training\": { \"step\": 1234567890123, \"lr\": 0.0003, \"rng\": null } }";

  json_parser_load_from_data (p, text, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (p)));
}

typedef struct {
  const char *name;
  SmDType     dtype;
  int         n_dims;
  gint64      shape[4];
} Spec;

static const Spec specs[] = {
  { "tok_embd", SM_DTYPE_F32, 2, { 3, 5 } },
  { "norm", SM_DTYPE_F16, 1, { 7 } },
  { "half", SM_DTYPE_BF16, 2, { 2, 3 } },
  { "wq", SM_DTYPE_Q8_0, 2, { 3, 64 } },
  { "wk", SM_DTYPE_Q4_0, 3, { 2, 2, 32 } },
  { "adam.m.wq", SM_DTYPE_F32, 4, { 2, 1, 3, 2 } },
};

/* Writes the sample checkpoint to dir/name; returns its tensors (random bytes). */
static GPtrArray *
write_sample (const char *path)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  g_autoptr (SmCheckpointWriter) w = sm_checkpoint_writer_new ();
  g_autoptr (JsonObject) meta = sample_metadata ();
  g_autoptr (GError) error = NULL;
  GPtrArray *tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) sm_tensor_unref);

  sm_checkpoint_writer_set_metadata (w, meta);
  for (gsize k = 0; k < G_N_ELEMENTS (specs); k++)
    {
      SmTensor *t = sm_tensor_new (NULL, specs[k].dtype, specs[k].n_dims, specs[k].shape);
      guint8 *p = t->data;
      for (gsize i = 0; i < sm_tensor_n_bytes (t); i++)
        p[i] = (guint8) g_rand_int (rand);
      sm_checkpoint_writer_add_tensor (w, specs[k].name, t);
      g_ptr_array_add (tensors, t);
    }
  g_assert_true (sm_checkpoint_writer_write (w, path, &error));
  g_assert_no_error (error);
  return tensors;
}

static void
test_roundtrip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-ckpt-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "model.smck", NULL);
  g_autoptr (GPtrArray) tensors = write_sample (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmCheckpoint) ck = NULL;
  g_autoptr (JsonObject) expected = sample_metadata ();
  g_autoptr (JsonNode) a = json_node_alloc ();
  g_autoptr (JsonNode) b = json_node_alloc ();
  g_autofree char *contents = NULL;
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len;
  SmTensor *kept;

  g_assert_cmpuint (count_entries (dir), ==, 1);   /* no temporary left behind */
  ck = sm_checkpoint_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sm_checkpoint_get_version (ck), ==, SM_CHECKPOINT_VERSION);
  g_assert_cmpstr (sm_checkpoint_get_path (ck), ==, path);

  json_node_init_object (a, sm_checkpoint_get_metadata (ck));
  json_node_init_object (b, expected);
  g_assert_true (json_node_equal (a, b));
  JsonObject *config = json_object_get_object_member (sm_checkpoint_get_metadata (ck), "config");
  g_assert_cmpint (json_object_get_int_member (config, "dim"), ==, 64);
  JsonObject *training = json_object_get_object_member (sm_checkpoint_get_metadata (ck),
                                                        "training");
  g_assert_cmpint (json_object_get_int_member (training, "step"), ==, 1234567890123);

  g_assert_cmpuint (sm_checkpoint_n_tensors (ck), ==, G_N_ELEMENTS (specs));
  for (gsize k = 0; k < G_N_ELEMENTS (specs); k++)
    {
      const SmCheckpointTensorInfo *ti = sm_checkpoint_tensor_info (ck, k);
      SmTensor *orig = g_ptr_array_index (tensors, k);
      g_autoptr (SmTensor) t = NULL;

      g_assert_cmpstr (ti->name, ==, specs[k].name);
      g_assert_true (sm_checkpoint_find_tensor (ck, specs[k].name) == ti);
      g_assert_cmpint (ti->dtype, ==, specs[k].dtype);
      g_assert_cmpint (ti->n_dims, ==, specs[k].n_dims);
      for (int d = 0; d < specs[k].n_dims; d++)
        g_assert_cmpint (ti->shape[d], ==, specs[k].shape[d]);
      g_assert_cmpuint (ti->offset % SM_CHECKPOINT_ALIGN, ==, 0);
      g_assert_cmpuint ((guintptr) ti->data % SM_CHECKPOINT_ALIGN, ==, 0);
      t = sm_checkpoint_get_tensor (ck, specs[k].name, &error);
      g_assert_no_error (error);
      g_assert_cmpint (t->dtype, ==, specs[k].dtype);
      g_assert_cmpmem (t->data, sm_tensor_n_bytes (t), orig->data, sm_tensor_n_bytes (orig));
    }
  g_assert_null (sm_checkpoint_get_tensor (ck, "missing", &error));
  g_assert_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The reported checksum is the SHA-256 of the file with the digest field zeroed. */
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  memset (contents + 64, 0, 32);
  g_checksum_update (sum, (const guint8 *) contents, (gssize) len);
  g_assert_cmpstr (sm_checkpoint_get_checksum (ck), ==, g_checksum_get_string (sum));

  /* Borrowed tensors keep the mapping alive. */
  kept = sm_checkpoint_get_tensor (ck, "tok_embd", &error);
  g_clear_pointer (&ck, sm_checkpoint_unref);
  g_assert_cmpmem (kept->data, sm_tensor_n_bytes (kept),
                   ((SmTensor *) g_ptr_array_index (tensors, 0))->data, 60);
  sm_tensor_unref (kept);
  remove_dir (dir);
}

static void
test_empty (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-ckpt-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "empty.smck", NULL);
  g_autoptr (SmCheckpointWriter) w = sm_checkpoint_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SmCheckpoint) ck = NULL;

  g_assert_true (sm_checkpoint_writer_write (w, path, &error));
  g_assert_no_error (error);
  ck = sm_checkpoint_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sm_checkpoint_n_tensors (ck), ==, 0);
  g_assert_cmpuint (json_object_get_size (sm_checkpoint_get_metadata (ck)), ==, 0);
  remove_dir (dir);
}

static GBytes *
sample_bytes (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-ckpt-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "s.smck", NULL);
  g_autoptr (GPtrArray) tensors = write_sample (path);
  char *contents;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  remove_dir (dir);
  return g_bytes_new_take (contents, len);
}

static void
test_checksum (void)
{
  g_autoptr (GBytes) bytes = sample_bytes ();
  gsize len;
  const guint8 *orig = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *d = g_memdup2 (orig, len);
  guint64 data_off = get_u64 (orig, 56), meta_off = get_u64 (orig, 16);

  /* One bit anywhere in the weights, in a metadata string, in the stored digest. */
  d[data_off + 5] ^= 0x10;
  expect_error (d, len, SM_CHECKPOINT_ERROR_CHECKSUM, "checksum mismatch");
  memcpy (d, orig, len);
  d[len - 1] ^= 0x01;
  expect_error (d, len, SM_CHECKPOINT_ERROR_CHECKSUM, "checksum");
  memcpy (d, orig, len);
  *(guint8 *) memmem (d + meta_off, get_u64 (orig, 24), "llama", 5) = 'L';
  expect_error (d, len, SM_CHECKPOINT_ERROR_CHECKSUM, "damaged");
  memcpy (d, orig, len);
  d[64] ^= 0xff;
  expect_error (d, len, SM_CHECKPOINT_ERROR_CHECKSUM, "checksum");
  /* The reserved bytes are covered too. */
  memcpy (d, orig, len);
  d[100] = 1;
  expect_error (d, len, SM_CHECKPOINT_ERROR_CHECKSUM, "checksum");
}

static void
test_truncation (void)
{
  g_autoptr (GBytes) bytes = sample_bytes ();
  gsize len;
  const guint8 *orig = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *grown = g_malloc0 (len + 1);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SmCheckpoint) ck = parse_copy (orig, cut, &error);
      if (ck != NULL)
        g_error ("a %" G_GSIZE_FORMAT "-byte prefix of %" G_GSIZE_FORMAT " parsed", cut, len);
      g_assert_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_FORMAT);
    }
  expect_error (orig, len - 10, SM_CHECKPOINT_ERROR_FORMAT, "Truncated");
  memcpy (grown, orig, len);
  expect_error (grown, len + 1, SM_CHECKPOINT_ERROR_FORMAT, "Over-long");
}

static void
test_bad_header (void)
{
  g_autoptr (GBytes) bytes = sample_bytes ();
  gsize len;
  const guint8 *orig = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *d = g_memdup2 (orig, len);
  guint64 meta_off = get_u64 (orig, 16), meta_len = get_u64 (orig, 24);
  guint64 dir_off = get_u64 (orig, 32);

#define RESET() memcpy (d, orig, len)
  memcpy (d, "GGUF", 4);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "SMCK");
  RESET (); d[4] = 2;
  expect_error (d, len, SM_CHECKPOINT_ERROR_UNSUPPORTED, "version 2");
  RESET (); d[4] = 0;
  expect_error (d, len, SM_CHECKPOINT_ERROR_UNSUPPORTED, "version 0");
  RESET (); set_u64 (d, 48, G_GUINT64_CONSTANT (1) << 60);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "cannot fit");
  RESET (); set_u64 (d, 24, G_MAXUINT64 - 8);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "damaged");
  RESET (); set_u64 (d, 56, get_u64 (d, 56) + 1);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "damaged");
  RESET (); set_u64 (d, 32, meta_off);   /* directory overlapping the metadata */
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "damaged");
  /* The first entry: name length, name "tok_embd", type, n_dims, shape... */
  gsize e = dir_off + 4 + 8;
  RESET (); d[e] = 99;
  expect_error (d, len, SM_CHECKPOINT_ERROR_UNSUPPORTED, "unknown type 99");
  RESET (); d[e + 4] = 5;
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "n_dims 5");
  RESET (); set_u64 (d, e + 8, 0);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "dimension 0 is 0");
  RESET (); set_u64 (d, e + 8, 4);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "needs");
  RESET (); set_u64 (d, e + 24, 8);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "misaligned");
  RESET (); set_u64 (d, e + 24, len);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "runs past the end");
  RESET (); set_u64 (d, e + 24, 64);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "overlap");
  RESET (); memcpy (d + dir_off + 4, "norm\0", 5);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "NUL");

  /* Metadata that passes the checksum but is not a JSON object, or nests absurdly deep. */
  RESET (); memset (d + meta_off, ' ', meta_len); memcpy (d + meta_off, "[1]", 3);
  fix_checksum (d, len);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "not a JSON object");
  RESET (); memset (d + meta_off, '[', meta_len);
  fix_checksum (d, len);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "deeper");
  RESET (); memset (d + meta_off, '{', 2);
  fix_checksum (d, len);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "not valid JSON");
  RESET (); d[meta_off + 3] = 0xff;
  fix_checksum (d, len);
  expect_error (d, len, SM_CHECKPOINT_ERROR_FORMAT, "UTF-8");
  /* And the unmodified copy, re-summed, is still fine. */
  RESET (); fix_checksum (d, len);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SmCheckpoint) ck = parse_copy (d, len, &error);
    g_assert_no_error (error);
  }
#undef RESET
}

static void
test_unwritable (void)
{
  g_autoptr (SmCheckpointWriter) w = sm_checkpoint_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-ckpt-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-dir", "x.smck", NULL);
  g_autofree char *subdir = g_build_filename (dir, "subdir", NULL);
  gint64 shape[] = { 4 };
  g_autoptr (SmTensor) t = sm_tensor_new0 (NULL, SM_DTYPE_F32, 1, shape);

  sm_checkpoint_writer_add_tensor (w, "t", t);
  g_assert_cmpint (g_mkdir (subdir, 0700), ==, 0);
  g_assert_false (sm_checkpoint_writer_write (w, missing, &error));
  g_assert_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  g_assert_false (sm_checkpoint_writer_write (w, subdir, &error));
  g_assert_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_IO);
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (dir), ==, 1);   /* only "subdir" */

  g_assert_null (sm_checkpoint_open (missing, &error));
  g_assert_error (error, SM_CHECKPOINT_ERROR, SM_CHECKPOINT_ERROR_IO);
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Checkpoint/roundtrip", test_roundtrip);
  g_test_add_func ("/Checkpoint/empty", test_empty);
  g_test_add_func ("/Checkpoint/checksum", test_checksum);
  g_test_add_func ("/Checkpoint/truncation", test_truncation);
  g_test_add_func ("/Checkpoint/bad-header", test_bad_header);
  g_test_add_func ("/Checkpoint/unwritable", test_unwritable);
  return g_test_run ();
}
