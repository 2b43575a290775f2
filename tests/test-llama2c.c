/* test-llama2c.c: llama2.c checkpoints.  The shared stories260K.bin must give the same tensors
 * as stories260K.gguf, bit for bit; small synthetic files of every version (0 tied and untied,
 * 1, 2) check the array order against llama2.c's run.c and export.py, written out again here
 * independently; damaged headers and every truncation must give a GError. */
#include <string.h>

#include "sm-gguf.h"
#include "sm-llama2c.h"
#include "sm-test-util.h"

static SmLlama2c *
parse_copy (const guint8 *data, gsize len, GError **error)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, len);
  return sm_llama2c_new_from_bytes (bytes, error);
}

static void
expect_error (const guint8 *data, gsize len, int code, const char *words)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmLlama2c) l = parse_copy (data, len, &error);

  g_assert_null (l);
  g_assert_nonnull (error);
  g_test_message ("expected error: %s", error->message);
  g_assert_error (error, SM_LLAMA2C_ERROR, code);
  if (words != NULL && strstr (error->message, words) == NULL)
    g_error ("error message '%s' lacks '%s'", error->message, words);
}

/* ---- the shared model ------------------------------------------------------------------------ */

static void
test_stories260k (void)
{
  g_autofree char *bin = sm_test_shared_model ("stories260K.bin");
  g_autofree char *gguf_path = sm_test_shared_model ("stories260K.gguf");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmLlama2c) l = NULL;
  g_autoptr (SmGguf) g = NULL;
  const SmLlama2cConfig *c;
  SmTensor *embd;

  if (bin == NULL || gguf_path == NULL)
    return;
  l = sm_llama2c_open (bin, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sm_llama2c_get_version (l), ==, 0);
  g_assert_cmpstr (sm_llama2c_get_path (l), ==, bin);
  c = sm_llama2c_get_config (l);
  g_assert_cmpint (c->dim, ==, 64);
  g_assert_cmpint (c->hidden_dim, ==, 172);
  g_assert_cmpint (c->n_layers, ==, 5);
  g_assert_cmpint (c->n_heads, ==, 8);
  g_assert_cmpint (c->n_kv_heads, ==, 4);
  g_assert_cmpint (c->vocab_size, ==, 512);
  g_assert_cmpint (c->seq_len, ==, 512);
  g_assert_true (c->shared_classifier);
  g_assert_cmpuint (sm_llama2c_n_tensors (l), ==, 48);
  g_assert_cmpstr (sm_llama2c_tensor_name (l, 0), ==, "token_embd.weight");
  g_assert_cmpstr (sm_llama2c_tensor_name (l, 1), ==, "blk.0.attn_norm.weight");
  g_assert_cmpstr (sm_llama2c_tensor_name (l, 46), ==, "output_norm.weight");
  g_assert_cmpstr (sm_llama2c_tensor_name (l, 47), ==, "output.weight");

  /* Every tensor equals the GGUF's, in shape and in every bit. */
  g = sm_gguf_open (gguf_path, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < sm_llama2c_n_tensors (l); i++)
    {
      const char *name = sm_llama2c_tensor_name (l, i);
      g_autoptr (SmTensor) a = sm_llama2c_get_tensor (l, name, &error);
      g_autoptr (SmTensor) b = NULL;

      g_assert_no_error (error);
      b = sm_gguf_get_tensor (g, name, &error);
      g_assert_no_error (error);
      g_assert_cmpint (a->dtype, ==, SM_DTYPE_F32);
      g_assert_cmpint (a->n_dims, ==, b->n_dims);
      for (int d = 0; d < 4; d++)
        g_assert_cmpint (a->shape[d], ==, b->shape[d]);
      g_assert_cmpmem (a->data, sm_tensor_n_bytes (a), b->data, sm_tensor_n_bytes (b));
    }

  /* The tied classifier is the embedding itself, and tensors outlive the reader. */
  embd = sm_llama2c_get_tensor (l, "token_embd.weight", &error);
  g_autoptr (SmTensor) out = sm_llama2c_get_tensor (l, "output.weight", &error);
  g_assert_no_error (error);
  g_assert_true (embd->data == out->data);
  g_assert_cmpint (embd->shape[0], ==, 512);
  g_assert_cmpint (embd->shape[1], ==, 64);
  g_clear_pointer (&l, sm_llama2c_unref);
  g_assert_cmpfloat (sm_tensor_f32 (embd)[0], ==, -0.29474878311157227f);
  sm_tensor_unref (embd);
}

static void
test_stories260k_truncated (void)
{
  g_autofree char *bin = sm_test_shared_model ("stories260K.bin");
  g_autofree char *data = NULL;
  g_autofree char *grown = NULL;
  gsize len;

  if (bin == NULL)
    return;
  g_assert_true (g_file_get_contents (bin, &data, &len, NULL));
  g_assert_cmpuint (len, ==, 1056540);
  for (gsize cut = 0; cut < 64; cut++)
    expect_error ((const guint8 *) data, cut, SM_LLAMA2C_ERROR_FORMAT, NULL);
  expect_error ((const guint8 *) data, len - 1, SM_LLAMA2C_ERROR_FORMAT,
                "needs 1056540 bytes, and the file has 1056539");
  expect_error ((const guint8 *) data, len / 2, SM_LLAMA2C_ERROR_FORMAT, "cut short");
  for (gsize cut = 28; cut < len; cut += 4099)
    expect_error ((const guint8 *) data, cut, SM_LLAMA2C_ERROR_FORMAT, "cut short");
  grown = g_malloc0 (len + 4);
  memcpy (grown, data, len);
  expect_error ((const guint8 *) grown, len + 4, SM_LLAMA2C_ERROR_FORMAT, "longer than its header says");
}

/* ---- synthetic files ------------------------------------------------------------------------- */

typedef struct {
  gint32 dim, hidden, layers, heads, kv_heads, vocab, seq_len;
} Cfg;

static const Cfg tiny = { 8, 12, 2, 2, 1, 10, 4 };

typedef struct {
  char    *name;     /* NULL: the legacy RoPE tables, skipped by the reader */
  gint64   rows, cols;
  gboolean quantized;
} Arr;

static void
arr_free (gpointer p)
{
  g_free (((Arr *) p)->name);
}

static void
add (GArray *a, char *name, gint64 rows, gint64 cols, gboolean q)
{
  Arr x = { name, rows, cols, q };
  g_array_append_val (a, x);
}

static void
add_layers (GArray *a, const Cfg *c, const char *kind, gint64 rows, gint64 cols, gboolean q)
{
  for (int i = 0; i < c->layers; i++)
    add (a, g_strdup_printf ("blk.%d.%s.weight", i, kind), rows, cols, q);
}

/* The arrays of a file in file order, transcribed from run.c (version 0) and export.py. */
static GArray *
file_order (int version, const Cfg *c, gboolean shared)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (Arr));
  gint64 kv = c->dim / c->heads * c->kv_heads, hs = c->dim / c->heads;
  gboolean q = version == 2;

  g_array_set_clear_func (a, arr_free);
  if (version == 0)
    {
      add (a, g_strdup ("token_embd.weight"), c->vocab, c->dim, FALSE);
      add_layers (a, c, "attn_norm", c->dim, 1, FALSE);
      add_layers (a, c, "attn_q", c->dim, c->dim, FALSE);
      add_layers (a, c, "attn_k", kv, c->dim, FALSE);
      add_layers (a, c, "attn_v", kv, c->dim, FALSE);
      add_layers (a, c, "attn_output", c->dim, c->dim, FALSE);
      add_layers (a, c, "ffn_norm", c->dim, 1, FALSE);
      add_layers (a, c, "ffn_gate", c->hidden, c->dim, FALSE);
      add_layers (a, c, "ffn_down", c->dim, c->hidden, FALSE);
      add_layers (a, c, "ffn_up", c->hidden, c->dim, FALSE);
      add (a, g_strdup ("output_norm.weight"), c->dim, 1, FALSE);
      add (a, NULL, c->seq_len, hs / 2, FALSE);
      add (a, NULL, c->seq_len, hs / 2, FALSE);
    }
  else
    {
      add_layers (a, c, "attn_norm", c->dim, 1, FALSE);
      add_layers (a, c, "ffn_norm", c->dim, 1, FALSE);
      add (a, g_strdup ("output_norm.weight"), c->dim, 1, FALSE);
      add (a, g_strdup ("token_embd.weight"), c->vocab, c->dim, q);
      add_layers (a, c, "attn_q", c->dim, c->dim, q);
      add_layers (a, c, "attn_k", kv, c->dim, q);
      add_layers (a, c, "attn_v", kv, c->dim, q);
      add_layers (a, c, "attn_output", c->dim, c->dim, q);
      add_layers (a, c, "ffn_gate", c->hidden, c->dim, q);
      add_layers (a, c, "ffn_down", c->dim, c->hidden, q);
      add_layers (a, c, "ffn_up", c->hidden, c->dim, q);
    }
  if (!shared)
    add (a, g_strdup ("output.weight"), c->vocab, c->dim, q);
  return a;
}

static void
put_i32 (GByteArray *b, gint32 v)
{
  guint32 u = GUINT32_TO_LE ((guint32) v);
  g_byte_array_append (b, (const guint8 *) &u, 4);
}

static void
put_f32 (GByteArray *b, float f)
{
  g_byte_array_append (b, (const guint8 *) &f, 4);
}

/* Element i of an fp32 array numbered @first is first + i; an int8 array holds
 * (first + i) % 101 - 50 with scale (group + 1) / 8 — values every test can recompute. */
static gint8
q_value (gint64 first, gint64 i)
{
  return (gint8) ((first + i) % 101 - 50);
}

static GByteArray *
build (int version, const Cfg *c, gboolean shared, gint32 group_size, GArray *order,
       GHashTable *firsts)
{
  GByteArray *b = g_byte_array_new ();
  gint64 counter = 0;

  if (version == 0)
    {
      put_i32 (b, c->dim); put_i32 (b, c->hidden); put_i32 (b, c->layers);
      put_i32 (b, c->heads); put_i32 (b, c->kv_heads);
      put_i32 (b, shared ? c->vocab : -c->vocab); put_i32 (b, c->seq_len);
    }
  else
    {
      put_i32 (b, (gint32) SM_LLAMA2C_MAGIC);
      put_i32 (b, version);
      put_i32 (b, c->dim); put_i32 (b, c->hidden); put_i32 (b, c->layers);
      put_i32 (b, c->heads); put_i32 (b, c->kv_heads); put_i32 (b, c->vocab);
      put_i32 (b, c->seq_len);
      g_byte_array_append (b, (const guint8 *) (shared ? "\1" : "\0"), 1);
      if (version == 2)
        put_i32 (b, group_size);
      g_byte_array_set_size (b, 256);
      memset (b->data + (version == 2 ? 41 : 37), 0, 256 - (version == 2 ? 41 : 37));
    }

  for (guint k = 0; k < order->len; k++)
    {
      const Arr *a = &g_array_index (order, Arr, k);
      gint64 n = a->rows * a->cols;

      if (a->name != NULL)
        g_hash_table_insert (firsts, a->name, GINT_TO_POINTER ((int) counter));
      if (!a->quantized)
        for (gint64 i = 0; i < n; i++)
          put_f32 (b, (float) (counter + i));
      else
        {
          for (gint64 i = 0; i < n; i++)
            {
              gint8 q = q_value (counter, i);
              g_byte_array_append (b, (const guint8 *) &q, 1);
            }
          for (gint64 g = 0; g < n / group_size; g++)
            put_f32 (b, (float) (g + 1) / 8.0f);
        }
      counter += n;
    }
  return b;
}

static void
check_synthetic (int version, gboolean shared, gint32 group_size)
{
  g_autoptr (GArray) order = file_order (version, &tiny, shared);
  g_autoptr (GHashTable) firsts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GByteArray) b = build (version, &tiny, shared, group_size, order, firsts);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmLlama2c) l = parse_copy (b->data, b->len, &error);
  const SmLlama2cConfig *c;

  g_assert_no_error (error);
  g_assert_cmpuint (sm_llama2c_get_version (l), ==, (guint) version);
  g_assert_cmpuint (sm_llama2c_get_group_size (l), ==, version == 2 ? (gsize) group_size : 0);
  c = sm_llama2c_get_config (l);
  g_assert_cmpint (c->dim, ==, tiny.dim);
  g_assert_cmpint (c->hidden_dim, ==, tiny.hidden);
  g_assert_cmpint (c->n_layers, ==, tiny.layers);
  g_assert_cmpint (c->n_heads, ==, tiny.heads);
  g_assert_cmpint (c->n_kv_heads, ==, tiny.kv_heads);
  g_assert_cmpint (c->vocab_size, ==, tiny.vocab);
  g_assert_cmpint (c->seq_len, ==, tiny.seq_len);
  g_assert_cmpint (c->shared_classifier, ==, shared);
  g_assert_cmpuint (sm_llama2c_n_tensors (l), ==, 3 + 9 * (guint) tiny.layers);

  for (guint k = 0; k < order->len; k++)
    {
      const Arr *a = &g_array_index (order, Arr, k);
      g_autoptr (SmTensor) t = NULL;
      gint64 first, n = a->rows * a->cols;
      const float *x;

      if (a->name == NULL)
        continue;
      t = sm_llama2c_get_tensor (l, a->name, &error);
      g_assert_no_error (error);
      first = GPOINTER_TO_INT (g_hash_table_lookup (firsts, a->name));
      g_assert_cmpint (t->dtype, ==, SM_DTYPE_F32);
      g_assert_cmpint (t->n_dims, ==, a->cols == 1 ? 1 : 2);
      g_assert_cmpint (t->shape[0], ==, a->rows);
      g_assert_cmpint (t->shape[1], ==, a->cols);
      x = sm_tensor_f32 (t);
      for (gint64 i = 0; i < n; i++)
        {
          float want = a->quantized
            ? (float) q_value (first, i) * ((float) (i / group_size + 1) / 8.0f)
            : (float) (first + i);
          if (x[i] != want)
            g_error ("%s[%" G_GINT64_FORMAT "] = %g, want %g", a->name, i, x[i], want);
        }
    }
  if (shared)
    {
      g_autoptr (SmTensor) e = sm_llama2c_get_tensor (l, "token_embd.weight", &error);
      g_autoptr (SmTensor) o = sm_llama2c_get_tensor (l, "output.weight", &error);
      g_assert_no_error (error);
      g_assert_cmpmem (e->data, sm_tensor_n_bytes (e), o->data, sm_tensor_n_bytes (o));
    }
  g_assert_null (sm_llama2c_get_tensor (l, "blk.2.attn_q.weight", &error));
  g_assert_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Every strict prefix is an error; so is one extra byte. */
  for (gsize cut = 0; cut < b->len; cut++)
    expect_error (b->data, cut, SM_LLAMA2C_ERROR_FORMAT, NULL);
  g_byte_array_append (b, (const guint8 *) "", 1);
  expect_error (b->data, b->len, SM_LLAMA2C_ERROR_FORMAT, "longer than its header says");
}

static void
test_v0_tied (void)
{
  check_synthetic (0, TRUE, 0);
}

static void
test_v0_untied (void)
{
  check_synthetic (0, FALSE, 0);
}

static void
test_v1 (void)
{
  check_synthetic (1, TRUE, 0);
  check_synthetic (1, FALSE, 0);
}

static void
test_v2 (void)
{
  check_synthetic (2, TRUE, 4);
  check_synthetic (2, FALSE, 8);
}

/* ---- bad headers ----------------------------------------------------------------------------- */

static GByteArray *
legacy (const gint32 h[7])
{
  GByteArray *b = g_byte_array_new ();
  for (int i = 0; i < 7; i++)
    put_i32 (b, h[i]);
  g_byte_array_set_size (b, 4096);
  memset (b->data + 28, 0, 4096 - 28);
  return b;
}

static void
test_bad_headers (void)
{
  struct { gint32 h[7]; const char *words; } cases[] = {
    { { 0, 172, 5, 8, 4, 512, 512 }, "dim would be 0" },
    { { -64, 172, 5, 8, 4, 512, 512 }, "dim would be -64" },
    { { 64, 0, 5, 8, 4, 512, 512 }, "hidden_dim would be 0" },
    { { 64, 172, 0, 8, 4, 512, 512 }, "n_layers would be 0" },
    { { 64, 172, 1 << 20, 8, 4, 512, 512 }, "n_layers would be 1048576" },
    { { 64, 172, 5, 0, 4, 512, 512 }, "n_heads would be 0" },
    { { 64, 172, 5, 128, 4, 512, 512 }, "n_heads would be 128" },
    { { 64, 172, 5, 7, 7, 512, 512 }, "not n_heads 7 times" },
    { { 64, 172, 5, 64, 4, 512, 512 }, "even head size" },
    { { 64, 172, 5, 8, 3, 512, 512 }, "not a multiple of n_kv_heads 3" },
    { { 64, 172, 5, 8, 16, 512, 512 }, "n_kv_heads would be 16" },
    { { 64, 172, 5, 8, 4, 0, 512 }, "vocab_size would be 0" },
    { { 64, 172, 5, 8, 4, G_MININT32, 512 }, "vocab_size" },
    { { 64, 172, 5, 8, 4, 512, -1 }, "seq_len would be -1" },
    { { G_MAXINT32, G_MAXINT32, G_MAXINT32, 1, 1, G_MAXINT32, G_MAXINT32 }, "outside 1 to" },
    /* Sane but far bigger than the file. */
    { { 4096, 11008, 32, 32, 32, 32000, 4096 }, "cut short" },
  };

  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (GByteArray) b = legacy (cases[k].h);
      expect_error (b->data, b->len, SM_LLAMA2C_ERROR_FORMAT, cases[k].words);
    }

  /* "ak42" magic: versions other than 1 and 2 are named. */
  gint32 v3[] = { (gint32) SM_LLAMA2C_MAGIC, 3, 64, 172, 5, 8, 4, 512, 512 };
  g_autoptr (GByteArray) b = g_byte_array_new ();
  for (gsize i = 0; i < G_N_ELEMENTS (v3); i++)
    put_i32 (b, v3[i]);
  g_byte_array_set_size (b, 256);
  expect_error (b->data, b->len, SM_LLAMA2C_ERROR_UNSUPPORTED, "llama2.c export version 3");
  memcpy (b->data + 4, "\1\0\0\0", 4);
  expect_error (b->data, 100, SM_LLAMA2C_ERROR_FORMAT, "256-byte header");
  b->data[36] = 7;
  expect_error (b->data, b->len, SM_LLAMA2C_ERROR_FORMAT, "shared_classifier");
  b->data[36] = 1;
  memcpy (b->data + 4, "\2\0\0\0", 4);
  memcpy (b->data + 37, "\0\0\0\0", 4);
  expect_error (b->data, b->len, SM_LLAMA2C_ERROR_FORMAT, "group size 0");
  /* A group size that does not divide the tensors. */
  g_autoptr (GArray) order = file_order (2, &tiny, TRUE);
  g_autoptr (GHashTable) firsts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GByteArray) q = build (2, &tiny, TRUE, 4, order, firsts);
  memcpy (q->data + 37, "\3\0\0\0", 4);
  expect_error (q->data, q->len, SM_LLAMA2C_ERROR_FORMAT, "group size 3");

  /* Files that are not checkpoints at all. */
  const char *text = "Once upon a time, there was a little llama who read files.";
  expect_error ((const guint8 *) text, strlen (text), SM_LLAMA2C_ERROR_FORMAT,
                "it is not one");
}

static void
test_open_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmLlama2c) l = sm_llama2c_open ("/nonexistent/stories.bin", &error);

  g_assert_null (l);
  g_assert_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_IO);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Llama2c/stories260k", test_stories260k);
  g_test_add_func ("/Llama2c/stories260k-truncated", test_stories260k_truncated);
  g_test_add_func ("/Llama2c/v0-tied", test_v0_tied);
  g_test_add_func ("/Llama2c/v0-untied", test_v0_untied);
  g_test_add_func ("/Llama2c/v1", test_v1);
  g_test_add_func ("/Llama2c/v2", test_v2);
  g_test_add_func ("/Llama2c/bad-headers", test_bad_headers);
  g_test_add_func ("/Llama2c/open-errors", test_open_errors);
  return g_test_run ();
}
