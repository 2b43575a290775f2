/* test-gguf.c: the GGUF reader on a real model file, the writer's round trips (every metadata
 * type, every tensor type, byte-exact rewrite of a model), and the reader's hardening: every
 * truncation and a list of targeted corruptions must give the expected GError, never a crash
 * (run under ASan too, where each case gets an exactly-sized heap copy). */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "sm-gguf.h"
#include "sm-mapped-file.h"
#include "sm-test-util.h"

/* ---- helpers --------------------------------------------------------------------------------- */

static void
b_u32 (GByteArray *b, guint32 v)
{
  v = GUINT32_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &v, 4);
}

static void
b_u64 (GByteArray *b, guint64 v)
{
  v = GUINT64_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &v, 8);
}

static void
b_str (GByteArray *b, const char *s)
{
  b_u64 (b, strlen (s));
  g_byte_array_append (b, (const guint8 *) s, (guint) strlen (s));
}

static void
b_key (GByteArray *b, const char *key, guint32 type)
{
  b_str (b, key);
  b_u32 (b, type);
}

static void
b_raw (GByteArray *b, gconstpointer p, gsize n)
{
  g_byte_array_append (b, p, (guint) n);
}

static void
b_header (GByteArray *b, guint64 n_tensors, guint64 n_kv)
{
  b_raw (b, "GGUF", 4);
  b_u32 (b, 3);
  b_u64 (b, n_tensors);
  b_u64 (b, n_kv);
}

/* Parses an exact-size heap copy of data[0..len) so that ASan sees any overread. */
static SmGguf *
parse_copy (const guint8 *data, gsize len, GError **error)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, len);
  return sm_gguf_new_from_bytes (bytes, error);
}

static void
expect_error (const guint8 *data, gsize len, int code, const char *words)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) g = parse_copy (data, len, &error);

  g_assert_null (g);
  g_assert_nonnull (error);
  g_test_message ("expected error: %s", error->message);
  g_assert_error (error, SM_GGUF_ERROR, code);
  if (words != NULL && strstr (error->message, words) == NULL)
    g_error ("error message '%s' lacks '%s'", error->message, words);
}

static char *
kv_string (SmGguf *g, const char *key)
{
  gssize i = sm_gguf_find_key (g, key);
  g_assert_cmpint (i, >=, 0);
  return sm_gguf_kv_to_string (g, (gsize) i);
}

static void
assert_kv_string (SmGguf *g, const char *key, const char *expected)
{
  g_autofree char *s = kv_string (g, key);
  g_assert_cmpstr (s, ==, expected);
}

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

static SmTensor *
random_tensor (GRand *rand, SmDType dtype, int n_dims, const gint64 *shape)
{
  SmTensor *t = sm_tensor_new (NULL, dtype, n_dims, shape);
  guint8 *p = t->data;

  /* Any bytes will do: the file stores them verbatim. */
  for (gsize i = 0; i < sm_tensor_n_bytes (t); i++)
    p[i] = (guint8) g_rand_int (rand);
  return t;
}

/* ---- the shared model ------------------------------------------------------------------------ */

static void
test_stories260k (void)
{
  g_autofree char *path = sm_test_shared_model ("stories260K.gguf");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) g = NULL;
  guint32 u;
  gint32 i32;
  float f;
  guint64 n;
  g_autofree char *arch = NULL;
  g_autofree float *scores = NULL;
  g_autofree gint32 *types = NULL;
  const SmGgufString *tokens;
  const SmGgufTensorInfo *ti;
  SmTensor *t;
  gsize total = 0;

  if (path == NULL)
    return;
  g = sm_gguf_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sm_gguf_get_version (g), ==, 3);
  g_assert_cmpuint (sm_gguf_get_alignment (g), ==, 32);
  g_assert_cmpstr (sm_gguf_get_path (g), ==, path);
  g_assert_cmpuint (sm_gguf_n_kv (g), ==, 19);
  g_assert_cmpuint (sm_gguf_n_tensors (g), ==, 48);

  arch = sm_gguf_get_string (g, "general.architecture", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (arch, ==, "llama");
  struct { const char *key; guint32 value; } u32s[] = {
    { "llama.embedding_length", 64 }, { "llama.block_count", 5 },
    { "llama.feed_forward_length", 172 }, { "llama.attention.head_count", 8 },
    { "llama.attention.head_count_kv", 4 }, { "llama.context_length", 2048 },
    { "llama.rope.dimension_count", 8 }, { "tokenizer.ggml.bos_token_id", 1 },
    { "tokenizer.ggml.eos_token_id", 2 }, { "tokenizer.ggml.unknown_token_id", 0 },
    { "tokenizer.ggml.padding_token_id", 4294967295u },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (u32s); k++)
    {
      g_assert_true (sm_gguf_get_u32 (g, u32s[k].key, &u, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (u, ==, u32s[k].value);
    }
  /* 2^32 - 1 does not fit an int32. */
  g_assert_false (sm_gguf_get_i32 (g, "tokenizer.ggml.padding_token_id", &i32, &error));
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (sm_gguf_get_f32 (g, "llama.attention.layer_norm_rms_epsilon", &f, &error));
  g_assert_cmpfloat (f, ==, 1e-5f);
  g_assert_false (sm_gguf_get_u32 (g, "general.architecture", &u, &error));
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (sm_gguf_get_u32 (g, "no.such.key", &u, &error));
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (sm_gguf_find_key (g, "no.such.key"), ==, -1);
  g_assert_cmpint (sm_gguf_find_key (g, "tokenizer.ggml.tokens"), ==, 0);

  tokens = sm_gguf_get_string_array (g, "tokenizer.ggml.tokens", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 512);
  struct { guint id; const char *text; } toks[] = {
    { 0, "<unk>" }, { 1, "<s>" }, { 2, "</s>" }, { 3, "<0x00>" }, { 259, "\xe2\x96\x81t" },
    { 260, "he" }, { 300, "\xe2\x96\x81ha" }, { 511, "\xe2\x80\x8a" },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (toks); k++)
    {
      g_assert_cmpuint (tokens[toks[k].id].len, ==, strlen (toks[k].text));
      g_assert_cmpmem (tokens[toks[k].id].str, tokens[toks[k].id].len, toks[k].text,
                       strlen (toks[k].text));
    }
  scores = sm_gguf_get_f32_array (g, "tokenizer.ggml.scores", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 512);
  g_assert_cmpfloat (scores[300], ==, -41.0f);
  g_assert_cmpfloat (scores[511], ==, -252.0f);
  types = sm_gguf_get_i32_array (g, "tokenizer.ggml.token_type", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 512);
  g_assert_cmpint (types[0], ==, 2);
  g_assert_cmpint (types[1], ==, 3);
  g_assert_cmpint (types[3], ==, 6);
  g_assert_cmpint (types[259], ==, 1);
  g_assert_null (sm_gguf_get_string_array (g, "tokenizer.ggml.scores", &n, &error));
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND);
  g_clear_error (&error);

  assert_kv_string (g, "tokenizer.ggml.tokens", "[512 strings]");
  assert_kv_string (g, "tokenizer.ggml.scores", "[512 float32]");
  assert_kv_string (g, "llama.embedding_length", "64");
  assert_kv_string (g, "general.name", "llama");
  assert_kv_string (g, "llama.attention.layer_norm_rms_epsilon", "1e-05");
  g_assert_cmpint (sm_gguf_kv_type (g, 0), ==, SM_GGUF_TYPE_ARRAY);
  g_assert_cmpint (sm_gguf_kv_array_type (g, 0, &n), ==, SM_GGUF_TYPE_STRING);
  g_assert_cmpuint (n, ==, 512);

  /* Tensors: shapes numpy-style (GGUF's ne reversed), all F32, packed back to back. */
  struct { const char *name; int n_dims; gint64 rows, cols; guint64 offset; } shapes[] = {
    { "token_embd.weight", 2, 512, 64, 0 },
    { "output_norm.weight", 1, 64, 1, 131072 },
    { "output.weight", 2, 512, 64, 131328 },
    { "blk.0.attn_q.weight", 2, 64, 64, 262400 },
    { "blk.0.attn_k.weight", 2, 32, 64, 278784 },
    { "blk.0.attn_v.weight", 2, 32, 64, 286976 },
    { "blk.0.ffn_gate.weight", 2, 172, 64, 311808 },
    { "blk.0.ffn_down.weight", 2, 64, 172, 355840 },
    { "blk.4.ffn_norm.weight", 1, 64, 1, 1170944 },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (shapes); k++)
    {
      ti = sm_gguf_find_tensor (g, shapes[k].name);
      g_assert_nonnull (ti);
      g_assert_cmpstr (ti->name, ==, shapes[k].name);
      g_assert_cmpint (ti->n_dims, ==, shapes[k].n_dims);
      g_assert_cmpint (ti->shape[0], ==, shapes[k].rows);
      g_assert_cmpint (ti->shape[1], ==, shapes[k].cols);
      g_assert_cmpuint (ti->ggml_type, ==, SM_GGML_TYPE_F32);
      g_assert_cmpint (ti->dtype, ==, SM_DTYPE_F32);
      g_assert_cmpuint (ti->offset, ==, shapes[k].offset);
      g_assert_cmpuint (ti->n_bytes, ==, (gsize) (shapes[k].rows * shapes[k].cols * 4));
    }
  for (gsize k = 0; k < sm_gguf_n_tensors (g); k++)
    {
      ti = sm_gguf_tensor_info (g, k);
      g_assert_true (ti->n_dims == 1 || ti->n_dims == 2);
      g_assert_cmpuint (ti->offset % 32, ==, 0);
      total += ti->n_bytes;
    }
  g_assert_cmpuint (total, ==, 1185376 - 14176);   /* the data section, header 14152 -> 14176 */
  g_assert_null (sm_gguf_find_tensor (g, "blk.5.attn_q.weight"));

  /* A borrowed tensor outlives the SmGguf it came from. */
  t = sm_gguf_get_tensor (g, "token_embd.weight", &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->dtype, ==, SM_DTYPE_F32);
  g_assert_cmpint (t->n_dims, ==, 2);
  g_assert_cmpint (t->shape[0], ==, 512);
  g_assert_cmpint (t->shape[1], ==, 64);
  g_assert_true (t->data == sm_gguf_find_tensor (g, "token_embd.weight")->data);
  g_clear_pointer (&g, sm_gguf_unref);
  g_assert_cmpfloat (sm_tensor_f32 (t)[0], ==, -0.29474878311157227f);
  g_assert_cmpfloat (sm_tensor_f32 (t)[3], ==, 0.34057360887527466f);
  sm_tensor_unref (t);

  g = sm_gguf_open (path, &error);
  g_assert_no_error (error);
  g_assert_null (sm_gguf_get_tensor (g, "nope", &error));
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND);
  g_clear_error (&error);
  t = sm_gguf_get_tensor (g, "blk.4.ffn_norm.weight", &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->n_dims, ==, 1);
  g_assert_cmpfloat (sm_tensor_f32 (t)[63], ==, 1.234261155128479f);
  sm_tensor_unref (t);
}

/* A vocabulary-only file: no tensors, and its (empty) aligned data section lies past its end. */
static void
test_vocab_only (void)
{
  g_autofree char *path = sm_test_shared_model ("ggml-vocab-llama-spm.gguf");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) g = NULL;
  gboolean b = FALSE;
  guint64 n;

  if (path == NULL)
    return;
  g = sm_gguf_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sm_gguf_n_tensors (g), ==, 0);
  g_assert_cmpuint (sm_gguf_n_kv (g), ==, 22);
  g_assert_nonnull (sm_gguf_get_string_array (g, "tokenizer.ggml.tokens", &n, &error));
  g_assert_cmpuint (n, ==, 32000);
  g_assert_true (sm_gguf_get_bool (g, "tokenizer.ggml.add_bos_token", &b, &error));
  g_assert_true (b);
  g_assert_true (sm_gguf_get_bool (g, "tokenizer.ggml.add_eos_token", &b, &error));
  g_assert_false (b);
  assert_kv_string (g, "tokenizer.ggml.add_bos_token", "true");
  assert_kv_string (g, "general.name", "llama-spm");
}

/* Copying every key and tensor of the model reproduces the file byte for byte: the writer lays
 * out GGUF exactly as ggml does. */
static void
test_rewrite_model (void)
{
  g_autofree char *path = sm_test_shared_model ("stories260K.gguf");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) g = NULL;
  g_autoptr (SmGgufWriter) w = NULL;
  g_autofree char *dir = NULL, *out = NULL, *a = NULL, *b = NULL;
  gsize a_len, b_len;

  if (path == NULL)
    return;
  g = sm_gguf_open (path, &error);
  g_assert_no_error (error);
  w = sm_gguf_writer_new ();
  sm_gguf_writer_copy_kv (w, g, NULL, NULL);
  for (gsize i = 0; i < sm_gguf_n_tensors (g); i++)
    {
      const char *name = sm_gguf_tensor_info (g, i)->name;
      g_autoptr (SmTensor) t = sm_gguf_get_tensor (g, name, &error);
      g_assert_no_error (error);
      sm_gguf_writer_add_tensor (w, name, t);
    }
  dir = g_dir_make_tmp ("sm-gguf-XXXXXX", &error);
  g_assert_no_error (error);
  out = g_build_filename (dir, "copy.gguf", NULL);
  g_assert_true (sm_gguf_writer_write (w, out, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &a, &a_len, NULL));
  g_assert_true (g_file_get_contents (out, &b, &b_len, NULL));
  g_assert_cmpmem (a, a_len, b, b_len);
  remove_dir (dir);
}

/* ---- writer round trip ----------------------------------------------------------------------- */

static void
test_writer_roundtrip (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) g = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-gguf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "rt.gguf", NULL);
  const char *const strs[] = { "", "hello", "\xe2\x96\x81world", "a\nb" };
  const float fa[] = { 1.5f, -0.0f, 3.25e-8f, 1e30f };
  const gint32 ia[] = { -7, 0, G_MAXINT32, G_MININT32 };
  struct { const char *name; SmDType dtype; int n_dims; gint64 shape[4]; } specs[] = {
    { "f32.a", SM_DTYPE_F32, 2, { 3, 5 } },
    { "f16.b", SM_DTYPE_F16, 1, { 7 } },
    { "bf16.c", SM_DTYPE_BF16, 2, { 2, 3 } },
    { "q8.d", SM_DTYPE_Q8_0, 2, { 3, 64 } },
    { "q4.e", SM_DTYPE_Q4_0, 3, { 2, 2, 32 } },
    { "f32.f", SM_DTYPE_F32, 4, { 2, 1, 3, 2 } },
  };
  SmTensor *tensors[G_N_ELEMENTS (specs)];
  guint32 u;
  gint32 i32;
  guint64 u64, n;
  float f;
  gboolean b;

  sm_gguf_writer_set_u32 (w, "t.u32", 1);
  sm_gguf_writer_set_string (w, "general.architecture", "llama");
  sm_gguf_writer_set_u32 (w, "t.u32", 4000000000u);   /* replaces, keeps its place */
  sm_gguf_writer_set_i32 (w, "t.i32", -123456);
  sm_gguf_writer_set_u64 (w, "t.u64", G_MAXUINT64 - 1);
  sm_gguf_writer_set_f32 (w, "t.f32", 0.1f);
  sm_gguf_writer_set_bool (w, "t.bool", FALSE);
  sm_gguf_writer_set_string_array (w, "t.strs", strs, G_N_ELEMENTS (strs));
  sm_gguf_writer_set_f32_array (w, "t.f32s", fa, G_N_ELEMENTS (fa));
  sm_gguf_writer_set_i32_array (w, "t.i32s", ia, G_N_ELEMENTS (ia));
  sm_gguf_writer_set_string_array (w, "t.empty", NULL, 0);
  for (gsize k = 0; k < G_N_ELEMENTS (specs); k++)
    {
      tensors[k] = random_tensor (rand, specs[k].dtype, specs[k].n_dims, specs[k].shape);
      sm_gguf_writer_add_tensor (w, specs[k].name, tensors[k]);
    }
  g_assert_true (sm_gguf_writer_write (w, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1);   /* no temporary left behind */

  g = sm_gguf_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sm_gguf_get_version (g), ==, 3);
  g_assert_cmpuint (sm_gguf_n_kv (g), ==, 10);
  g_assert_cmpstr (sm_gguf_kv_key (g, 0), ==, "t.u32");
  g_assert_cmpstr (sm_gguf_kv_key (g, 1), ==, "general.architecture");
  g_assert_true (sm_gguf_get_u32 (g, "t.u32", &u, &error) && u == 4000000000u);
  g_assert_cmpint (sm_gguf_kv_type (g, 0), ==, SM_GGUF_TYPE_UINT32);
  g_assert_true (sm_gguf_get_i32 (g, "t.i32", &i32, &error) && i32 == -123456);
  g_assert_true (sm_gguf_get_u64 (g, "t.u64", &u64, &error) && u64 == G_MAXUINT64 - 1);
  g_assert_true (sm_gguf_get_f32 (g, "t.f32", &f, &error) && f == 0.1f);
  g_assert_true (sm_gguf_get_bool (g, "t.bool", &b, &error) && !b);
  g_assert_no_error (error);
  assert_kv_string (g, "t.f32", "0.1");
  assert_kv_string (g, "t.strs", "[4 strings]");

  const SmGgufString *s = sm_gguf_get_string_array (g, "t.strs", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (strs));
  for (gsize k = 0; k < n; k++)
    g_assert_cmpmem (s[k].str, s[k].len, strs[k], strlen (strs[k]));
  g_autofree float *fb = sm_gguf_get_f32_array (g, "t.f32s", &n, &error);
  g_assert_cmpmem (fb, n * sizeof (float), fa, sizeof fa);
  g_autofree gint32 *ib = sm_gguf_get_i32_array (g, "t.i32s", &n, &error);
  g_assert_cmpmem (ib, n * sizeof (gint32), ia, sizeof ia);
  g_assert_nonnull (sm_gguf_get_string_array (g, "t.empty", &n, &error));
  g_assert_cmpuint (n, ==, 0);
  g_assert_no_error (error);

  g_assert_cmpuint (sm_gguf_n_tensors (g), ==, G_N_ELEMENTS (specs));
  for (gsize k = 0; k < G_N_ELEMENTS (specs); k++)
    {
      const SmGgufTensorInfo *ti = sm_gguf_tensor_info (g, k);
      g_autoptr (SmTensor) t = NULL;

      g_assert_cmpstr (ti->name, ==, specs[k].name);
      g_assert_cmpint (ti->dtype, ==, specs[k].dtype);
      g_assert_cmpint (ti->n_dims, ==, specs[k].n_dims);
      for (int d = 0; d < specs[k].n_dims; d++)
        g_assert_cmpint (ti->shape[d], ==, specs[k].shape[d]);
      g_assert_cmpuint (ti->offset % 32, ==, 0);
      g_assert_cmpmem (ti->data, ti->n_bytes, tensors[k]->data, sm_tensor_n_bytes (tensors[k]));
      t = sm_gguf_get_tensor (g, specs[k].name, &error);
      g_assert_no_error (error);
      g_assert_cmpint (t->dtype, ==, specs[k].dtype);
      g_assert_cmpmem (t->data, sm_tensor_n_bytes (t), tensors[k]->data,
                       sm_tensor_n_bytes (tensors[k]));
    }
  g_assert_cmpuint (sm_gguf_tensor_info (g, 3)->ggml_type, ==, SM_GGML_TYPE_Q8_0);
  g_assert_cmpuint (sm_gguf_tensor_info (g, 3)->n_bytes, ==, 3 * 2 * 34);
  g_assert_cmpuint (sm_gguf_tensor_info (g, 4)->ggml_type, ==, SM_GGML_TYPE_Q4_0);
  g_assert_cmpuint (sm_gguf_tensor_info (g, 2)->ggml_type, ==, SM_GGML_TYPE_BF16);

  /* Overwriting an existing file replaces it whole. */
  g_clear_pointer (&g, sm_gguf_unref);
  g_autoptr (SmGgufWriter) w2 = sm_gguf_writer_new ();
  sm_gguf_writer_set_u32 (w2, "only", 7);
  g_assert_true (sm_gguf_writer_write (w2, path, &error));
  g = sm_gguf_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sm_gguf_n_kv (g), ==, 1);
  g_assert_cmpuint (sm_gguf_n_tensors (g), ==, 0);
  g_assert_cmpuint (count_entries (dir), ==, 1);

  for (gsize k = 0; k < G_N_ELEMENTS (specs); k++)
    sm_tensor_unref (tensors[k]);
  remove_dir (dir);
}

/* Every metadata type, nested arrays included, hand-built; then carried over by copy_kv. */
static GByteArray *
build_every_type (gboolean with_bool)
{
  GByteArray *b = g_byte_array_new ();
  guint8 u8 = 200;
  gint8 i8 = -5;
  guint16 u16 = GUINT16_TO_LE (60000);
  gint16 i16 = (gint16) GUINT16_TO_LE ((guint16) -30000);
  float f32 = 0.5f;
  double f64 = 0.1;
  guint8 one = 1;

  b_header (b, 0, with_bool ? 16 : 15);
  b_key (b, "t.u8", SM_GGUF_TYPE_UINT8);     b_raw (b, &u8, 1);
  b_key (b, "t.i8", SM_GGUF_TYPE_INT8);      b_raw (b, &i8, 1);
  b_key (b, "t.u16", SM_GGUF_TYPE_UINT16);   b_raw (b, &u16, 2);
  b_key (b, "t.i16", SM_GGUF_TYPE_INT16);    b_raw (b, &i16, 2);
  b_key (b, "t.u32", SM_GGUF_TYPE_UINT32);   b_u32 (b, 4000000000u);
  b_key (b, "t.i32", SM_GGUF_TYPE_INT32);    b_u32 (b, (guint32) -2000000000);
  b_key (b, "t.f32", SM_GGUF_TYPE_FLOAT32);  b_raw (b, &f32, 4);
  if (with_bool)
    {
      b_key (b, "t.bool", SM_GGUF_TYPE_BOOL);
      b_raw (b, &one, 1);
    }
  b_key (b, "t.str", SM_GGUF_TYPE_STRING);   b_str (b, "h\xc3\xa9llo\nworld");
  b_key (b, "t.u64", SM_GGUF_TYPE_UINT64);   b_u64 (b, G_GUINT64_CONSTANT (9223372036854775813));
  b_key (b, "t.i64", SM_GGUF_TYPE_INT64);    b_u64 (b, (guint64) -(G_GINT64_CONSTANT (1) << 40));
  b_key (b, "t.f64", SM_GGUF_TYPE_FLOAT64);  b_raw (b, &f64, 8);
  b_key (b, "t.arr.u8", SM_GGUF_TYPE_ARRAY);
  b_u32 (b, SM_GGUF_TYPE_UINT8);
  b_u64 (b, 3);
  b_raw (b, "\x01\x02\x03", 3);
  b_key (b, "t.arr.nested", SM_GGUF_TYPE_ARRAY);
  b_u32 (b, SM_GGUF_TYPE_ARRAY);
  b_u64 (b, 2);
  b_u32 (b, SM_GGUF_TYPE_INT16);             /* [-1, 2] */
  b_u64 (b, 2);
  b_raw (b, "\xff\xff\x02\x00", 4);
  b_u32 (b, SM_GGUF_TYPE_STRING);            /* ["a", "bc"] */
  b_u64 (b, 2);
  b_str (b, "a");
  b_str (b, "bc");
  b_key (b, "t.arr.empty", SM_GGUF_TYPE_ARRAY);
  b_u32 (b, SM_GGUF_TYPE_FLOAT64);
  b_u64 (b, 0);
  b_key (b, "t.arr.i64", SM_GGUF_TYPE_ARRAY);
  b_u32 (b, SM_GGUF_TYPE_INT64);
  b_u64 (b, 2);
  b_u64 (b, (guint64) -1);
  b_u64 (b, 5);
  return b;
}

static gboolean
skip_bool (const char *key, gpointer data)
{
  (*(int *) data)++;
  return strcmp (key, "t.bool") == 0;
}

static void
test_every_type (void)
{
  g_autoptr (GByteArray) b = build_every_type (TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) g = parse_copy (b->data, b->len, &error);
  struct { const char *key; SmGgufType type; const char *text; } expect[] = {
    { "t.u8", SM_GGUF_TYPE_UINT8, "200" }, { "t.i8", SM_GGUF_TYPE_INT8, "-5" },
    { "t.u16", SM_GGUF_TYPE_UINT16, "60000" }, { "t.i16", SM_GGUF_TYPE_INT16, "-30000" },
    { "t.u32", SM_GGUF_TYPE_UINT32, "4000000000" },
    { "t.i32", SM_GGUF_TYPE_INT32, "-2000000000" },
    { "t.f32", SM_GGUF_TYPE_FLOAT32, "0.5" }, { "t.bool", SM_GGUF_TYPE_BOOL, "true" },
    { "t.str", SM_GGUF_TYPE_STRING, "h\xc3\xa9llo\\nworld" },
    { "t.u64", SM_GGUF_TYPE_UINT64, "9223372036854775813" },
    { "t.i64", SM_GGUF_TYPE_INT64, "-1099511627776" },
    { "t.f64", SM_GGUF_TYPE_FLOAT64, "0.1" },
    { "t.arr.u8", SM_GGUF_TYPE_ARRAY, "[3 uint8]" },
    { "t.arr.nested", SM_GGUF_TYPE_ARRAY, "[2 arrays]" },
    { "t.arr.empty", SM_GGUF_TYPE_ARRAY, "[0 float64]" },
    { "t.arr.i64", SM_GGUF_TYPE_ARRAY, "[2 int64]" },
  };
  guint32 u;
  gint32 i32;
  guint64 u64, n;
  float f;
  gboolean bo;

  g_assert_no_error (error);
  g_assert_cmpuint (sm_gguf_n_kv (g), ==, G_N_ELEMENTS (expect));
  for (gsize k = 0; k < G_N_ELEMENTS (expect); k++)
    {
      g_autofree char *s = sm_gguf_kv_to_string (g, k);
      g_assert_cmpstr (sm_gguf_kv_key (g, k), ==, expect[k].key);
      g_assert_cmpint (sm_gguf_kv_type (g, k), ==, expect[k].type);
      g_assert_cmpstr (s, ==, expect[k].text);
    }

  g_assert_true (sm_gguf_get_u32 (g, "t.u8", &u, &error) && u == 200);
  g_assert_true (sm_gguf_get_i32 (g, "t.i8", &i32, &error) && i32 == -5);
  g_assert_true (sm_gguf_get_i32 (g, "t.i16", &i32, &error) && i32 == -30000);
  g_assert_true (sm_gguf_get_u64 (g, "t.u64", &u64, &error));
  g_assert_true (u64 == G_GUINT64_CONSTANT (9223372036854775813));
  g_assert_true (sm_gguf_get_f32 (g, "t.f64", &f, &error) && f == 0.1f);
  g_assert_true (sm_gguf_get_f32 (g, "t.u16", &f, &error) && f == 60000.0f);
  g_assert_true (sm_gguf_get_bool (g, "t.bool", &bo, &error) && bo);
  g_assert_no_error (error);
  /* Values that do not fit, or of another type. */
  const char *bad_u32[] = { "t.i16", "t.u64", "t.i64", "t.str", "t.arr.u8", "t.f32" };
  for (gsize k = 0; k < G_N_ELEMENTS (bad_u32); k++)
    {
      g_assert_false (sm_gguf_get_u32 (g, bad_u32[k], &u, &error));
      g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND);
      g_clear_error (&error);
    }
  g_assert_false (sm_gguf_get_i32 (g, "t.u32", &i32, &error));
  g_clear_error (&error);
  g_assert_false (sm_gguf_get_bool (g, "t.u8", &bo, &error));
  g_clear_error (&error);
  g_assert_null (sm_gguf_get_string (g, "t.u8", &error));
  g_clear_error (&error);
  g_assert_null (sm_gguf_get_f32_array (g, "t.arr.u8", &n, &error));
  g_clear_error (&error);
  g_assert_null (sm_gguf_get_string_array (g, "t.arr.nested", &n, &error));
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_autofree char *str = sm_gguf_get_string (g, "t.str", &error);
  g_assert_cmpstr (str, ==, "h\xc3\xa9llo\nworld");
  g_autofree gint32 *a8 = sm_gguf_get_i32_array (g, "t.arr.u8", &n, &error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpint (a8[2], ==, 3);
  g_autofree gint32 *a64 = sm_gguf_get_i32_array (g, "t.arr.i64", &n, &error);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (a64[0], ==, -1);
  g_assert_cmpint (a64[1], ==, 5);
  g_autofree float *empty = sm_gguf_get_f32_array (g, "t.arr.empty", &n, &error);
  g_assert_nonnull (empty);
  g_assert_cmpuint (n, ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (sm_gguf_kv_array_type (g, 13, &n), ==, SM_GGUF_TYPE_ARRAY);
  g_assert_cmpuint (n, ==, 2);

  /* copy_kv carries every value over byte for byte (here minus the skipped key). */
  g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
  g_autofree char *dir = g_dir_make_tmp ("sm-gguf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "copy.gguf", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GByteArray) expected = build_every_type (FALSE);
  gsize len;
  int calls = 0;

  sm_gguf_writer_copy_kv (w, g, skip_bool, &calls);
  g_assert_cmpint (calls, ==, 16);
  g_assert_true (sm_gguf_writer_write (w, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpuint (len, ==, expected->len + (32 - expected->len % 32) % 32);
  g_assert_cmpmem (contents, expected->len, expected->data, expected->len);
  remove_dir (dir);
}

/* ---- hardening ------------------------------------------------------------------------------- */

/* A small valid file: "tensor.a" F32 (4, 8), "tensor.b" Q8_0 (2, 64), "tensor.c" F16 (16).
 * The last tensor is 32 bytes, so no strict prefix of the file is a valid file. */
static GBytes *
small_file (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-gguf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "small.gguf", NULL);
  const char *const toks[] = { "a", "bb", "ccc" };
  const float fs[] = { 1, 2, 3 };
  gint64 sa[] = { 4, 8 }, sb[] = { 2, 64 }, sc[] = { 16 };
  g_autoptr (SmTensor) a = random_tensor (rand, SM_DTYPE_F32, 2, sa);
  g_autoptr (SmTensor) b = random_tensor (rand, SM_DTYPE_Q8_0, 2, sb);
  g_autoptr (SmTensor) c = random_tensor (rand, SM_DTYPE_F16, 1, sc);
  char *contents;
  gsize len;

  sm_gguf_writer_set_string (w, "general.architecture", "llama");
  sm_gguf_writer_set_u32 (w, "llama.block_count", 1);
  sm_gguf_writer_set_string_array (w, "tokenizer.ggml.tokens", toks, 3);
  sm_gguf_writer_set_f32_array (w, "tokenizer.ggml.scores", fs, 3);
  sm_gguf_writer_add_tensor (w, "tensor.a", a);
  sm_gguf_writer_add_tensor (w, "tensor.b", b);
  sm_gguf_writer_add_tensor (w, "tensor.c", c);
  g_assert_true (sm_gguf_writer_write (w, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  remove_dir (dir);
  return g_bytes_new_take (contents, len);
}

static void
test_truncation (void)
{
  g_autoptr (GBytes) bytes = small_file ();
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) g = parse_copy (data, len, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (sm_gguf_n_tensors (g), ==, 3);
  /* The file is small: every prefix, header and data alike. */
  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (SmGguf) t = parse_copy (data, cut, &e);
      if (t != NULL)
        g_error ("a %" G_GSIZE_FORMAT "-byte prefix of %" G_GSIZE_FORMAT " parsed", cut, len);
      g_assert_error (e, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT);
    }
}

static gsize
find (const guint8 *data, gsize len, const char *needle)
{
  const guint8 *p = memmem (data, len, needle, strlen (needle));
  g_assert_nonnull (p);
  return (gsize) (p - data);
}

static void
put_u32_at (guint8 *data, gsize at, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (data + at, &v, 4);
}

static void
put_u64_at (guint8 *data, gsize at, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (data + at, &v, 8);
}

typedef enum { F_N_DIMS, F_NE0, F_NE1, F_TYPE, F_OFFSET } Field;

/* Where @field of tensor info @name lies (names are 8 bytes; a, b are 2-D, c is 1-D). */
static gsize
tensor_field (const guint8 *data, gsize len, const char *name, Field field)
{
  gsize at = find (data, len, name) + strlen (name);
  int n_dims = strcmp (name, "tensor.c") == 0 ? 1 : 2;

  switch (field)
    {
    case F_N_DIMS: return at;
    case F_NE0:    return at + 4;
    case F_NE1:    return at + 12;
    case F_TYPE:   return at + 4 + 8 * n_dims;
    case F_OFFSET: return at + 8 + 8 * n_dims;
    default:       g_assert_not_reached ();
    }
}

static void
test_corruptions (void)
{
  g_autoptr (GBytes) bytes = small_file ();
  gsize len;
  const guint8 *orig = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *d = g_malloc (len);

#define RESET() memcpy (d, orig, len)

  RESET (); memcpy (d, "GGUG", 4);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "magic");
  RESET (); put_u32_at (d, 4, 1);
  expect_error (d, len, SM_GGUF_ERROR_UNSUPPORTED, "version 1");
  RESET (); put_u32_at (d, 4, 99);
  expect_error (d, len, SM_GGUF_ERROR_UNSUPPORTED, "version 99");
  RESET (); put_u32_at (d, 4, GUINT32_SWAP_LE_BE (3));
  expect_error (d, len, SM_GGUF_ERROR_UNSUPPORTED, "big-endian");
  RESET (); put_u64_at (d, 8, G_GUINT64_CONSTANT (1) << 62);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "n_tensors");
  RESET (); put_u64_at (d, 16, G_GUINT64_CONSTANT (1) << 62);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "n_kv");
  /* More tensors than there are infos: the fourth is read from padding and data. */
  RESET (); put_u64_at (d, 8, 4);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, NULL);
  /* The first key's length. */
  RESET (); put_u64_at (d, 24, len);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "string length");
  RESET (); put_u64_at (d, 24, G_MAXUINT64);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "runs past the end of the file");
  /* The first key's type (after "general.architecture"). */
  RESET (); put_u32_at (d, find (d, len, "general.architecture") + 20, 13);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "unknown value type 13");
  /* A string array claiming 2^60 strings. */
  RESET (); put_u64_at (d, find (d, len, "tokenizer.ggml.tokens") + 21 + 4 + 4,
                        G_GUINT64_CONSTANT (1) << 60);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "cannot fit");
  /* A float array whose byte count overflows. */
  RESET (); put_u64_at (d, find (d, len, "tokenizer.ggml.scores") + 21 + 4 + 4,
                        G_GUINT64_CONSTANT (1) << 62);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "runs past the end");
  /* Two keys of the same name (the scores key renamed to the tokens key, of equal length). */
  RESET (); memcpy (d + find (d, len, "tokenizer.ggml.scores"), "tokenizer.ggml.tokens", 21);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "Duplicate metadata key 'tokenizer.ggml.tokens'");

  RESET (); put_u32_at (d, tensor_field (d, len, "tensor.a", F_N_DIMS), 5);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "n_dims 5");
  RESET (); put_u32_at (d, tensor_field (d, len, "tensor.a", F_N_DIMS), 0);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "n_dims 0");
  RESET (); put_u64_at (d, tensor_field (d, len, "tensor.a", F_NE0), 0);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "dimension 0 is 0");
  RESET (); put_u64_at (d, tensor_field (d, len, "tensor.a", F_NE1), G_MAXUINT64 - 15);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "must be positive");
  RESET ();
  put_u64_at (d, tensor_field (d, len, "tensor.a", F_NE0), G_GUINT64_CONSTANT (1) << 40);
  put_u64_at (d, tensor_field (d, len, "tensor.a", F_NE1), G_GUINT64_CONSTANT (1) << 40);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "overflows");
  /* Huge but not overflowing: the data then runs past the end. */
  RESET (); put_u64_at (d, tensor_field (d, len, "tensor.a", F_NE1), G_GUINT64_CONSTANT (1) << 40);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "runs past the end of the file");
  RESET (); put_u32_at (d, tensor_field (d, len, "tensor.a", F_TYPE), 99);
  expect_error (d, len, SM_GGUF_ERROR_UNSUPPORTED, "type 99");
  RESET (); put_u32_at (d, tensor_field (d, len, "tensor.a", F_TYPE), 16);
  expect_error (d, len, SM_GGUF_ERROR_UNSUPPORTED, "IQ2_XXS");
  /* Q8_K is an activation type only: no file may hold a weight in it */
  RESET (); put_u32_at (d, tensor_field (d, len, "tensor.a", F_TYPE), 15);
  expect_error (d, len, SM_GGUF_ERROR_UNSUPPORTED, "Q8_K");
  RESET (); put_u32_at (d, tensor_field (d, len, "tensor.a", F_TYPE), 16);
  expect_error (d, len, SM_GGUF_ERROR_UNSUPPORTED, "tensor 'tensor.a'");
  /* A Q8_0 row of 48 elements is not whole blocks. */
  RESET (); put_u64_at (d, tensor_field (d, len, "tensor.b", F_NE0), 48);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "block size 32");
  RESET (); put_u64_at (d, tensor_field (d, len, "tensor.c", F_OFFSET), len);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT,
                "tensor 'tensor.c': data [offset");
  RESET (); put_u64_at (d, tensor_field (d, len, "tensor.c", F_OFFSET), G_MAXUINT64 - 31);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "runs past the end of the file");
  RESET (); put_u64_at (d, tensor_field (d, len, "tensor.b", F_OFFSET), 132);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "misaligned");
  RESET (); put_u64_at (d, tensor_field (d, len, "tensor.b", F_OFFSET), 0);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "overlap");
  RESET (); memcpy (d + find (d, len, "tensor.b"), "tensor.a", 8);
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "Duplicate tensor name 'tensor.a'");
  RESET (); d[find (d, len, "tensor.b") + 7] = '\0';
  expect_error (d, len, SM_GGUF_ERROR_FORMAT, "NUL");
#undef RESET
}

static void
test_hand_built_corruptions (void)
{
  g_autoptr (GByteArray) b = NULL;

  /* Arrays nested past the limit: refused before the stack is at risk. */
  b = g_byte_array_new ();
  b_header (b, 0, 1);
  b_key (b, "deep", SM_GGUF_TYPE_ARRAY);
  for (int i = 0; i < 64; i++)
    {
      b_u32 (b, SM_GGUF_TYPE_ARRAY);
      b_u64 (b, 1);
    }
  b_u32 (b, SM_GGUF_TYPE_UINT8);
  b_u64 (b, 0);
  expect_error (b->data, b->len, SM_GGUF_ERROR_UNSUPPORTED, "nested");
  g_clear_pointer (&b, g_byte_array_unref);

  /* general.alignment must be a power of two. */
  b = g_byte_array_new ();
  b_header (b, 0, 1);
  b_key (b, "general.alignment", SM_GGUF_TYPE_UINT32);
  b_u32 (b, 24);
  expect_error (b->data, b->len, SM_GGUF_ERROR_FORMAT, "alignment");
  g_clear_pointer (&b, g_byte_array_unref);
  b = g_byte_array_new ();
  b_header (b, 0, 1);
  b_key (b, "general.alignment", SM_GGUF_TYPE_STRING);
  b_str (b, "32");
  expect_error (b->data, b->len, SM_GGUF_ERROR_FORMAT, "alignment");
  g_clear_pointer (&b, g_byte_array_unref);

  /* A custom alignment is honoured: one F32 tensor at offset 64 of a 64-aligned section. */
  b = g_byte_array_new ();
  b_header (b, 1, 1);
  b_key (b, "general.alignment", SM_GGUF_TYPE_UINT32);
  b_u32 (b, 64);
  b_str (b, "x");
  b_u32 (b, 1);
  b_u64 (b, 4);
  b_u32 (b, SM_GGML_TYPE_F32);
  b_u64 (b, 64);
  g_byte_array_set_size (b, 256);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SmGguf) g = parse_copy (b->data, 128 + 64 + 16, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (sm_gguf_get_alignment (g), ==, 64);
    g_assert_cmpuint (sm_gguf_tensor_info (g, 0)->offset, ==, 64);
    g_assert_cmpuint (sm_gguf_tensor_info (g, 0)->n_bytes, ==, 16);
  }
  expect_error (b->data, 128 + 64 + 15, SM_GGUF_ERROR_FORMAT, "past the end");

  /* Too short to hold even the magic. */
  expect_error ((const guint8 *) "GG", 2, SM_GGUF_ERROR_FORMAT, "GGUF");
  expect_error ((const guint8 *) "", 0, SM_GGUF_ERROR_FORMAT, "GGUF");
}

static void
test_open_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-gguf-XXXXXX", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.gguf", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.gguf", NULL);
  SmGguf *g;

  g = sm_gguf_open (missing, &error);
  g_assert_null (g);
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_IO);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g = sm_gguf_open (empty, &error);
  g_assert_null (g);
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, empty));   /* errors name the file */
  remove_dir (dir);
}

/* The file truncated while open (another program copying a new model over it): the tensors
 * that borrow the mapping read zeros instead of raising SIGBUS, and the mapping says it was
 * damaged (sm-mapped-file.h: what the forward pass asks after each token). */
static void
test_truncated_while_open (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SmGguf) g = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-gguf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cut.gguf", NULL);
  g_autofree char *named = NULL;
  gint64 shape[] = { 64, 1024 };   /* 256 KiB: many pages past the header's */
  g_autoptr (SmTensor) written = random_tensor (rand, SM_DTYPE_F32, 2, shape);
  g_autoptr (SmTensor) t = NULL;
  const volatile float *last;
  int fd;

  sm_gguf_writer_set_string (w, "general.architecture", "llama");
  sm_gguf_writer_add_tensor (w, "big", written);
  g_assert_true (sm_gguf_writer_write (w, path, &error));
  g_assert_no_error (error);
  g = sm_gguf_open (path, &error);
  g_assert_no_error (error);
  t = sm_gguf_get_tensor (g, "big", &error);
  g_assert_no_error (error);
  last = (const float *) t->data + 64 * 1024 - 1;
  g_assert_cmpmem ((const void *) last, 4, (const float *) written->data + 64 * 1024 - 1, 4);
  g_assert_cmpint (sm_mapped_file_state (t->data, TRUE, NULL), ==, SM_MAPPED_FILE_INTACT);

  fd = g_open (path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 4096), ==, 0);
  close (fd);
  g_assert_cmpfloat (*last, ==, 0.0f);
  g_assert_cmpint (sm_mapped_file_state (t->data, FALSE, &named), ==, SM_MAPPED_FILE_TRUNCATED);
  g_assert_cmpstr (named, ==, path);
  /* metadata values are read from the mapping too: zeros now, within the lengths parsed at
   * open (a length read again from the file could have grown under us) */
  {
    g_autofree char *arch = sm_gguf_get_string (g, "general.architecture", &error);
    g_autofree char *shown = kv_string (g, "general.architecture");
    g_assert_no_error (error);
    g_assert_cmpstr (arch, ==, "");
    g_assert_nonnull (shown);
  }

  g_clear_pointer (&t, sm_tensor_unref);
  g_clear_pointer (&g, sm_gguf_unref);
  remove_dir (dir);
}

static void
test_unwritable (void)
{
  g_autoptr (SmGgufWriter) w = sm_gguf_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sm-gguf-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "file", NULL);
  g_autofree char *under_file = g_build_filename (dir, "file", "x.gguf", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-dir", "x.gguf", NULL);
  g_autofree char *subdir = g_build_filename (dir, "subdir", NULL);

  sm_gguf_writer_set_u32 (w, "a", 1);
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_cmpint (g_mkdir (subdir, 0700), ==, 0);

  g_assert_false (sm_gguf_writer_write (w, missing, &error));
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_IO);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  g_assert_false (sm_gguf_writer_write (w, under_file, &error));
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_IO);
  g_clear_error (&error);
  /* The temporary file is made, but cannot be renamed over a directory: it must go. */
  g_assert_false (sm_gguf_writer_write (w, subdir, &error));
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_IO);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (dir), ==, 2);   /* "file" and "subdir", nothing else */
  g_assert_cmpuint (count_entries (subdir), ==, 0);

  /* An invalid alignment set by the caller is refused before anything is written. */
  g_autofree char *out = g_build_filename (dir, "out.gguf", NULL);
  sm_gguf_writer_set_u32 (w, "general.alignment", 48);
  g_assert_false (sm_gguf_writer_write (w, out, &error));
  g_assert_error (error, SM_GGUF_ERROR, SM_GGUF_ERROR_FORMAT);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Gguf/stories260k", test_stories260k);
  g_test_add_func ("/Gguf/vocab-only", test_vocab_only);
  g_test_add_func ("/Gguf/rewrite-model", test_rewrite_model);
  g_test_add_func ("/Gguf/writer-roundtrip", test_writer_roundtrip);
  g_test_add_func ("/Gguf/every-type", test_every_type);
  g_test_add_func ("/Gguf/truncation", test_truncation);
  g_test_add_func ("/Gguf/corruptions", test_corruptions);
  g_test_add_func ("/Gguf/hand-built-corruptions", test_hand_built_corruptions);
  g_test_add_func ("/Gguf/open-errors", test_open_errors);
  g_test_add_func ("/Gguf/truncated-while-open", test_truncated_while_open);
  g_test_add_func ("/Gguf/unwritable", test_unwritable);
  return g_test_run ();
}
