/* test-tensor.c: dtypes, creation and strides, views sharing data, reshape errors, transpose,
 * quantized rows, borrowed memory, describe, and refcounts under threads. */
#include <gio/gio.h>
#include <string.h>

#include "sm-kernels.h"
#include "sm-tensor.h"

static guint64
pool_live (SmPool *pool)
{
  SmPoolStats s;
  sm_pool_get_stats (pool, &s);
  return s.live_bytes;
}

static void
assert_shape (const SmTensor *t, int n_dims, gint64 d0, gint64 d1, gint64 d2, gint64 d3)
{
  g_assert_cmpint (t->n_dims, ==, n_dims);
  g_assert_cmpint (t->shape[0], ==, d0);
  g_assert_cmpint (t->shape[1], ==, d1);
  g_assert_cmpint (t->shape[2], ==, d2);
  g_assert_cmpint (t->shape[3], ==, d3);
}

static void
assert_strides (const SmTensor *t, gsize s0, gsize s1, gsize s2)
{
  g_assert_cmpuint (t->strides[0], ==, s0);
  g_assert_cmpuint (t->strides[1], ==, s1);
  g_assert_cmpuint (t->strides[2], ==, s2);
}

static void
test_dtypes (void)
{
  static const struct { SmDType t; const char *name; gsize elems, bytes; } want[] = {
    { SM_DTYPE_F32, "f32", 1, 4 },
    { SM_DTYPE_F16, "f16", 1, 2 },
    { SM_DTYPE_BF16, "bf16", 1, 2 },
    { SM_DTYPE_Q8_0, "q8_0", 32, 34 },
    { SM_DTYPE_Q4_0, "q4_0", 32, 18 },
    /* ggml's block sizes (ggml-common.h) */
    { SM_DTYPE_Q4_1, "q4_1", 32, 20 },
    { SM_DTYPE_Q5_0, "q5_0", 32, 22 },
    { SM_DTYPE_Q5_1, "q5_1", 32, 24 },
    { SM_DTYPE_IQ4_NL, "iq4_nl", 32, 18 },
    { SM_DTYPE_Q2_K, "q2_k", 256, 84 },
    { SM_DTYPE_Q3_K, "q3_k", 256, 110 },
    { SM_DTYPE_Q4_K, "q4_k", 256, 144 },
    { SM_DTYPE_Q5_K, "q5_k", 256, 176 },
    { SM_DTYPE_Q6_K, "q6_k", 256, 210 },
    { SM_DTYPE_Q8_1, "q8_1", 32, 36 },
    { SM_DTYPE_Q8_K, "q8_k", 256, 292 },
  };
  SmDType d;

  for (gsize i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_autofree char *upper = g_ascii_strup (want[i].name, -1);
      g_assert_cmpstr (sm_dtype_name (want[i].t), ==, want[i].name);
      g_assert_cmpuint (sm_dtype_block_elems (want[i].t), ==, want[i].elems);
      g_assert_cmpuint (sm_dtype_block_bytes (want[i].t), ==, want[i].bytes);
      g_assert_true (sm_dtype_from_name (want[i].name, &d));
      g_assert_cmpint (d, ==, want[i].t);
      /* GGUF's spelling */
      g_assert_true (sm_dtype_from_name (upper, &d));
      g_assert_cmpint (d, ==, want[i].t);
    }
  g_assert_false (sm_dtype_from_name ("iq2_xxs", &d));
  g_assert_false (sm_dtype_from_name ("", &d));

  g_assert_cmpuint (sm_dtype_row_bytes (SM_DTYPE_F32, 10), ==, 40);
  g_assert_cmpuint (sm_dtype_row_bytes (SM_DTYPE_F16, 10), ==, 20);
  g_assert_cmpuint (sm_dtype_row_bytes (SM_DTYPE_BF16, 3), ==, 6);
  g_assert_cmpuint (sm_dtype_row_bytes (SM_DTYPE_Q8_0, 64), ==, 2 * sizeof (SmBlockQ8_0));
  g_assert_cmpuint (sm_dtype_row_bytes (SM_DTYPE_Q4_0, 96), ==, 3 * sizeof (SmBlockQ4_0));
  g_assert_cmpuint (sm_dtype_row_bytes (SM_DTYPE_Q8_0, 0), ==, 0);
  g_assert_cmpuint (sm_dtype_row_bytes (SM_DTYPE_Q6_K, 768), ==, 3 * 210);

  /* a weight type is readable from GGUF by its ggml id; an activation-only one is not */
  SmDType got;
  g_assert_nonnull (sm_dtype_traits_from_ggml (SM_GGML_TYPE_Q4_K, &got));
  g_assert_cmpint (got, ==, SM_DTYPE_Q4_K);
  g_assert_null (sm_dtype_traits_from_ggml (SM_GGML_TYPE_Q8_K, NULL));
  g_assert_null (sm_dtype_traits_from_ggml (SM_GGML_TYPE_Q8_1, NULL));
  /* written through `quantize`'s mixes (q4_k_m ...), not as a plain type of their own */
  g_assert_false (sm_dtype_traits (SM_DTYPE_Q4_K)->quantize_target);
  g_assert_nonnull (sm_dtype_traits (SM_DTYPE_Q4_K)->from_f32);
  g_assert_null (sm_dtype_traits (SM_DTYPE_Q8_K)->matmul);

  g_test_expect_message ("sm-tensor", G_LOG_LEVEL_CRITICAL, "*block_elems*");
  g_assert_cmpuint (sm_dtype_row_bytes (SM_DTYPE_Q8_0, 33), ==, 0);
  g_test_assert_expected_messages ();
}

static void
test_create (void)
{
  SmPool *pool = sm_pool_new ();
  const gint64 shape3[3] = { 2, 3, 4 };
  SmTensor *t;

  t = sm_tensor_new_2d (pool, SM_DTYPE_F32, 3, 5);
  assert_shape (t, 2, 3, 5, 1, 1);
  assert_strides (t, 20, 4, 0);
  g_assert_cmpint (sm_tensor_n_elements (t), ==, 15);
  g_assert_cmpuint (sm_tensor_n_bytes (t), ==, 60);
  g_assert_true (sm_tensor_is_contiguous (t));
  g_assert_cmpuint ((guintptr) t->data % SM_POOL_ALIGN, ==, 0);
  g_assert_true (sm_tensor_row (t, 2) == (char *) t->data + 40);
  g_assert_true (sm_tensor_f32 (t) == t->data);
  g_assert_cmpuint (pool_live (pool), ==, 60);
  sm_tensor_unref (t);
  g_assert_cmpuint (pool_live (pool), ==, 0);

  t = sm_tensor_new0 (pool, SM_DTYPE_F16, 3, shape3);
  assert_shape (t, 3, 2, 3, 4, 1);
  assert_strides (t, 24, 8, 2);
  g_assert_cmpuint (sm_tensor_n_bytes (t), ==, 48);
  for (int i = 0; i < 24; i++)
    g_assert_cmpuint (((guint16 *) t->data)[i], ==, 0);
  sm_tensor_unref (t);

  t = sm_tensor_new_1d (pool, SM_DTYPE_BF16, 7);
  assert_shape (t, 1, 7, 1, 1, 1);
  g_assert_cmpuint (t->strides[0], ==, 2);
  g_assert_cmpuint (sm_tensor_n_bytes (t), ==, 14);
  sm_tensor_unref (t);

  /* empty tensors are fine */
  t = sm_tensor_new_2d (pool, SM_DTYPE_F32, 0, 8);
  g_assert_cmpint (sm_tensor_n_elements (t), ==, 0);
  g_assert_cmpuint (sm_tensor_n_bytes (t), ==, 0);
  g_assert_true (sm_tensor_is_contiguous (t));
  sm_tensor_unref (t);

  /* NULL pool: the default one */
  t = sm_tensor_new_2d (NULL, SM_DTYPE_F32, 4, 4);
  memset (t->data, 0, sm_tensor_n_bytes (t));
  sm_tensor_unref (t);

  /* bad shapes are programmer errors */
  g_test_expect_message ("sm-tensor", G_LOG_LEVEL_CRITICAL, "*1 to 4 dimensions*");
  t = sm_tensor_new (pool, SM_DTYPE_F32, 5, (gint64[5]) { 1, 1, 1, 1, 1 });
  g_assert_null (t);
  g_test_assert_expected_messages ();
  g_test_expect_message ("sm-tensor", G_LOG_LEVEL_CRITICAL, "*negative*");
  g_assert_null (sm_tensor_new_2d (pool, SM_DTYPE_F32, -1, 4));
  g_test_assert_expected_messages ();

  g_assert_cmpuint (pool_live (pool), ==, 0);
  sm_pool_free (pool);
}

static void
test_quantized (void)
{
  SmPool *pool = sm_pool_new ();
  SmTensor *t, *v;

  t = sm_tensor_new_2d (pool, SM_DTYPE_Q8_0, 4, 64);
  assert_shape (t, 2, 4, 64, 1, 1);
  /* a row is 2 blocks of 34 bytes; the last dim steps by block */
  assert_strides (t, 68, 34, 0);
  g_assert_cmpuint (sm_tensor_n_bytes (t), ==, 4 * 68);
  g_assert_true (sm_tensor_is_contiguous (t));
  g_assert_cmpint ((char *) sm_tensor_row (t, 1) - (char *) sm_tensor_row (t, 0), ==, 68);
  g_assert_cmpuint (pool_live (pool), ==, 272);
  sm_tensor_unref (t);

  t = sm_tensor_new_2d (pool, SM_DTYPE_Q4_0, 3, 96);
  assert_strides (t, 54, 18, 0);
  g_assert_cmpuint (sm_tensor_n_bytes (t), ==, 162);
  v = sm_tensor_view_rows (t, 1, 2);
  g_assert_true (v->data == (char *) t->data + 54);
  g_assert_cmpuint (sm_tensor_n_bytes (v), ==, 108);
  sm_tensor_unref (v);
  sm_tensor_unref (t);

  /* 1-D: slices cut whole blocks */
  t = sm_tensor_new_1d (pool, SM_DTYPE_Q8_0, 128);
  g_assert_cmpuint (sm_tensor_n_bytes (t), ==, 136);
  v = sm_tensor_view_rows (t, 32, 64);
  g_assert_true (v->data == (char *) t->data + 34);
  g_assert_cmpuint (sm_tensor_n_bytes (v), ==, 68);
  g_assert_true (sm_tensor_row (t, 64) == (char *) t->data + 68);
  /* the refused slice: its check now reads the block size from the type table */
  g_test_expect_message ("sm-tensor", G_LOG_LEVEL_CRITICAL, "*first % be*");
  g_assert_null (sm_tensor_view_rows (t, 1, 32));
  g_test_assert_expected_messages ();
  sm_tensor_unref (v);
  sm_tensor_unref (t);

  /* the last dim must be whole blocks */
  g_test_expect_message ("sm-tensor", G_LOG_LEVEL_CRITICAL, "*multiple of 32*");
  g_assert_null (sm_tensor_new_2d (pool, SM_DTYPE_Q8_0, 2, 33));
  g_test_assert_expected_messages ();

  /* outer dims may be transposed, the packed one may not */
  t = sm_tensor_new (pool, SM_DTYPE_Q8_0, 3, (gint64[3]) { 2, 3, 64 });
  v = sm_tensor_transpose (t, 0, 1);
  assert_shape (v, 3, 3, 2, 64, 1);
  assert_strides (v, 68, 3 * 68, 34);
  g_assert_false (sm_tensor_is_contiguous (v));
  sm_tensor_unref (v);
  g_test_expect_message ("sm-tensor", G_LOG_LEVEL_CRITICAL, "*block_elems*");
  g_assert_null (sm_tensor_transpose (t, 1, 2));
  g_test_assert_expected_messages ();
  sm_tensor_unref (t);

  g_assert_cmpuint (pool_live (pool), ==, 0);
  sm_pool_free (pool);
}

static void
test_views_share (void)
{
  SmPool *pool = sm_pool_new ();
  SmTensor *t = sm_tensor_new_2d (pool, SM_DTYPE_F32, 4, 8);
  SmTensor *v, *vv;
  float *x = sm_tensor_f32 (t);

  for (int i = 0; i < 32; i++)
    x[i] = (float) i;

  v = sm_tensor_view_rows (t, 1, 2);
  assert_shape (v, 2, 2, 8, 1, 1);
  assert_strides (v, 32, 4, 0);
  g_assert_true (v->data == sm_tensor_row (t, 1));
  g_assert_cmpfloat (sm_tensor_f32 (v)[0], ==, 8.0f);
  g_assert_true (sm_tensor_is_contiguous (v));
  g_assert_cmpuint (sm_tensor_n_bytes (v), ==, 64);

  /* writes through the view land in the tensor: no copy */
  sm_tensor_f32 (v)[9] = -1.0f;
  g_assert_cmpfloat (x[17], ==, -1.0f);

  /* a view of a view composes the offsets */
  vv = sm_tensor_view_rows (v, 1, 1);
  g_assert_true (vv->data == sm_tensor_row (t, 2));
  g_assert_true (sm_tensor_row (vv, 0) == sm_tensor_row (t, 2));

  /* the buffer stays rented until the last view goes */
  sm_tensor_unref (t);
  g_assert_cmpuint (pool_live (pool), ==, 128);
  g_assert_cmpfloat (sm_tensor_f32 (vv)[1], ==, -1.0f);
  sm_tensor_unref (v);
  g_assert_cmpuint (pool_live (pool), ==, 128);
  sm_tensor_unref (vv);
  g_assert_cmpuint (pool_live (pool), ==, 0);
  sm_pool_free (pool);
}

static void
test_row_slices (void)
{
  SmPool *pool = sm_pool_new ();
  const gint64 shape[3] = { 5, 3, 4 };
  g_autoptr (SmTensor) t = sm_tensor_new (pool, SM_DTYPE_F32, 3, shape);
  SmTensor *v;

  v = sm_tensor_view_rows (t, 2, 3);
  assert_shape (v, 3, 3, 3, 4, 1);
  g_assert_true (v->data == (char *) t->data + 2 * 48);
  g_assert_true (sm_tensor_row (v, 2) == sm_tensor_row (t, 4));
  g_assert_cmpuint (sm_tensor_n_bytes (v), ==, 3 * 48);
  sm_tensor_unref (v);

  /* empty slice at the end */
  v = sm_tensor_view_rows (t, 5, 0);
  g_assert_cmpint (sm_tensor_n_elements (v), ==, 0);
  g_assert_cmpuint (sm_tensor_n_bytes (v), ==, 0);
  sm_tensor_unref (v);

  g_test_expect_message ("sm-tensor", G_LOG_LEVEL_CRITICAL, "*first*");
  g_assert_null (sm_tensor_view_rows (t, 3, 3));
  g_test_assert_expected_messages ();
  g_test_expect_message ("sm-tensor", G_LOG_LEVEL_CRITICAL, "*first*");
  g_assert_null (sm_tensor_view_rows (t, -1, 1));
  g_test_assert_expected_messages ();
  g_test_expect_message ("sm-tensor", G_LOG_LEVEL_CRITICAL, "*shape*");
  g_assert_null (sm_tensor_row (t, 5));
  g_test_assert_expected_messages ();

  /* a slice of a transposed matrix keeps its strides */
  {
    g_autoptr (SmTensor) m = sm_tensor_new_2d (pool, SM_DTYPE_F32, 3, 5);
    g_autoptr (SmTensor) mt = sm_tensor_transpose (m, 0, 1);   /* (5, 3) */
    g_autoptr (SmTensor) s = sm_tensor_view_rows (mt, 1, 2);   /* columns 1, 2 of m */
    assert_shape (s, 2, 2, 3, 1, 1);
    g_assert_cmpuint (s->strides[0], ==, 4);
    g_assert_cmpuint (s->strides[1], ==, 20);
    g_assert_true (s->data == (char *) m->data + 4);
    g_assert_false (sm_tensor_is_contiguous (s));
    /* from m[0][1] to the end of m[2][2] */
    g_assert_cmpuint (sm_tensor_n_bytes (s), ==, 4 + 20 * 2 + 4);
  }
  g_clear_pointer (&t, sm_tensor_unref);
  g_assert_cmpuint (pool_live (pool), ==, 0);
  sm_pool_free (pool);
}

static void
test_reshape (void)
{
  SmPool *pool = sm_pool_new ();
  g_autoptr (SmTensor) t = sm_tensor_new_2d (pool, SM_DTYPE_F32, 4, 6);
  g_autoptr (GError) error = NULL;
  SmTensor *v, *tr;

  v = sm_tensor_reshape (t, 1, (gint64[1]) { 24 }, &error);
  g_assert_no_error (error);
  assert_shape (v, 1, 24, 1, 1, 1);
  g_assert_cmpuint (v->strides[0], ==, 4);
  g_assert_true (v->data == t->data);
  sm_tensor_unref (v);

  v = sm_tensor_reshape (t, 3, (gint64[3]) { 2, 3, 4 }, &error);
  g_assert_no_error (error);
  assert_strides (v, 48, 16, 4);
  sm_tensor_unref (v);

  v = sm_tensor_reshape (t, 2, (gint64[2]) { 5, 5 }, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (v);
  g_assert_nonnull (strstr (error->message, "f32[4, 6]"));
  g_assert_nonnull (strstr (error->message, "[5, 5]"));
  g_clear_error (&error);

  v = sm_tensor_reshape (t, 2, (gint64[2]) { -4, -6 }, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (v);
  g_clear_error (&error);

  v = sm_tensor_reshape (t, 5, (gint64[5]) { 1, 4, 6, 1, 1 }, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (v);
  g_clear_error (&error);

  /* a transposed view is not contiguous and cannot be reshaped without a copy */
  tr = sm_tensor_transpose (t, 0, 1);
  v = sm_tensor_reshape (tr, 1, (gint64[1]) { 24 }, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "not contiguous"));
  g_assert_null (v);
  g_clear_error (&error);
  sm_tensor_unref (tr);

  /* quantized: the new last dim must be whole blocks too */
  {
    g_autoptr (SmTensor) q = sm_tensor_new_2d (pool, SM_DTYPE_Q8_0, 2, 64);
    v = sm_tensor_reshape (q, 2, (gint64[2]) { 4, 32 }, &error);
    g_assert_no_error (error);
    assert_strides (v, 34, 34, 0);
    g_assert_cmpuint (sm_tensor_n_bytes (v), ==, 136);
    sm_tensor_unref (v);
    v = sm_tensor_reshape (q, 1, (gint64[1]) { 128 }, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (sm_tensor_n_bytes (v), ==, 136);
    sm_tensor_unref (v);
    v = sm_tensor_reshape (q, 2, (gint64[2]) { 8, 16 }, &error);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "multiple of 32"));
    g_assert_null (v);
    g_clear_error (&error);
  }
  g_clear_pointer (&t, sm_tensor_unref);
  g_assert_cmpuint (pool_live (pool), ==, 0);
  sm_pool_free (pool);
}

static void
test_transpose (void)
{
  SmPool *pool = sm_pool_new ();
  g_autoptr (SmTensor) t = sm_tensor_new_2d (pool, SM_DTYPE_F32, 3, 5);
  SmTensor *tt, *ttt;
  float *x = sm_tensor_f32 (t);

  for (int i = 0; i < 15; i++)
    x[i] = (float) i;
  tt = sm_tensor_transpose (t, 0, 1);
  assert_shape (tt, 2, 5, 3, 1, 1);
  assert_strides (tt, 4, 20, 0);
  g_assert_true (tt->data == t->data);
  g_assert_false (sm_tensor_is_contiguous (tt));
  g_assert_cmpuint (sm_tensor_n_bytes (tt), ==, 60);
  /* tt[i][j] == t[j][i] */
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 3; j++)
      g_assert_cmpfloat (*(float *) ((char *) tt->data + i * tt->strides[0] + j * tt->strides[1]),
                         ==, x[j * 5 + i]);

  ttt = sm_tensor_transpose (tt, 1, 0);
  g_assert_true (sm_tensor_is_contiguous (ttt));
  assert_strides (ttt, 20, 4, 0);
  sm_tensor_unref (ttt);
  sm_tensor_unref (tt);

  /* 3-D, outer and inner swapped */
  {
    g_autoptr (SmTensor) c = sm_tensor_new (pool, SM_DTYPE_F16, 3, (gint64[3]) { 2, 3, 4 });
    g_autoptr (SmTensor) ct = sm_tensor_transpose (c, 0, 2);
    assert_shape (ct, 3, 4, 3, 2, 1);
    assert_strides (ct, 2, 8, 24);
    g_assert_cmpuint (sm_tensor_n_bytes (ct), ==, 48);
    g_assert_false (sm_tensor_is_contiguous (ct));
  }
  /* a dim of size 1 may carry any stride: still contiguous */
  {
    g_autoptr (SmTensor) r = sm_tensor_new_2d (pool, SM_DTYPE_F32, 1, 7);
    g_autoptr (SmTensor) rt = sm_tensor_transpose (r, 0, 1);   /* (7, 1) */
    g_assert_true (sm_tensor_is_contiguous (rt));
  }
  g_test_expect_message ("sm-tensor", G_LOG_LEVEL_CRITICAL, "*dim_b*");
  g_assert_null (sm_tensor_transpose (t, 0, 2));
  g_test_assert_expected_messages ();

  g_clear_pointer (&t, sm_tensor_unref);
  g_assert_cmpuint (pool_live (pool), ==, 0);
  sm_pool_free (pool);
}

static void
count_destroy (gpointer data)
{
  g_atomic_int_inc ((gint *) data);
}

static void
test_borrowed (void)
{
  static float data[4 * 6];
  gint destroyed = 0;
  g_autoptr (GError) error = NULL;
  SmTensor *t, *v1, *v2, *v3;

  for (int i = 0; i < 24; i++)
    data[i] = (float) i;
  t = sm_tensor_new_borrowed (SM_DTYPE_F32, 2, (gint64[2]) { 4, 6 }, data, count_destroy,
                              &destroyed);
  g_assert_true (t->data == data);
  g_assert_true (sm_tensor_is_contiguous (t));
  assert_strides (t, 24, 4, 0);
  v1 = sm_tensor_view_rows (t, 1, 3);
  v2 = sm_tensor_transpose (v1, 0, 1);
  v3 = sm_tensor_reshape (t, 1, (gint64[1]) { 24 }, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (sm_tensor_f32 (v1)[0], ==, 6.0f);

  sm_tensor_ref (t);
  sm_tensor_unref (t);
  sm_tensor_unref (t);
  g_assert_cmpint (destroyed, ==, 0);
  sm_tensor_unref (v1);
  g_assert_cmpint (destroyed, ==, 0);
  sm_tensor_unref (v3);
  g_assert_cmpint (destroyed, ==, 0);
  sm_tensor_unref (v2);
  g_assert_cmpint (destroyed, ==, 1);

  /* no destroy notify: nothing to run */
  t = sm_tensor_new_borrowed (SM_DTYPE_F32, 1, (gint64[1]) { 24 }, data, NULL, NULL);
  sm_tensor_unref (t);
  /* GGUF data need not be 64-byte aligned */
  t = sm_tensor_new_borrowed (SM_DTYPE_Q8_0, 1, (gint64[1]) { 32 }, (char *) data + 2,
                              count_destroy, &destroyed);
  g_assert_cmpuint (sm_tensor_n_bytes (t), ==, 34);
  sm_tensor_unref (t);
  g_assert_cmpint (destroyed, ==, 2);
}

static void
test_describe (void)
{
  static const struct { SmDType t; int n; gint64 shape[4]; const char *want; } cases[] = {
    { SM_DTYPE_F32, 2, { 64, 128 }, "f32[64, 128]" },
    { SM_DTYPE_Q8_0, 2, { 4, 64 }, "q8_0[4, 64]" },
    { SM_DTYPE_Q4_0, 1, { 32 }, "q4_0[32]" },
    { SM_DTYPE_F16, 1, { 7 }, "f16[7]" },
    { SM_DTYPE_BF16, 4, { 2, 3, 4, 5 }, "bf16[2, 3, 4, 5]" },
  };
  SmPool *pool = sm_pool_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SmTensor) t = sm_tensor_new (pool, cases[i].t, cases[i].n, cases[i].shape);
      g_autofree char *s = sm_tensor_describe (t);
      g_assert_cmpstr (s, ==, cases[i].want);
    }
  {
    g_autoptr (SmTensor) t = sm_tensor_new_2d (pool, SM_DTYPE_F32, 64, 128);
    g_autoptr (SmTensor) tt = sm_tensor_transpose (t, 0, 1);
    g_autofree char *s = sm_tensor_describe (tt);
    g_assert_cmpstr (s, ==, "f32[128, 64]");
  }
  sm_pool_free (pool);
}

/* ---- threads ----------------------------------------------------------------------------- */

#define N_ITERS 100000

static gpointer
churn_thread (gpointer data)
{
  SmTensor *t = data;   /* this thread's own reference */

  for (int i = 0; i < N_ITERS; i++)
    {
      SmTensor *v = sm_tensor_view_rows (t, i % 4, 1);
      SmTensor *r = sm_tensor_ref (t);
      SmTensor *tv = sm_tensor_transpose (v, 0, 1);
      sm_tensor_unref (v);
      sm_tensor_ref (tv);
      sm_tensor_unref (r);
      sm_tensor_unref (tv);
      sm_tensor_unref (tv);
    }
  sm_tensor_unref (t);
  return NULL;
}

static void
test_threads (void)
{
  static float data[4 * 8];
  gint destroyed = 0;
  SmPool *pool = sm_pool_new ();
  SmTensor *tensors[2];
  GThread *threads[2];

  tensors[0] = sm_tensor_new_borrowed (SM_DTYPE_F32, 2, (gint64[2]) { 4, 8 }, data,
                                       count_destroy, &destroyed);
  tensors[1] = sm_tensor_new_2d (pool, SM_DTYPE_F32, 4, 8);
  for (int k = 0; k < 2; k++)
    {
      /* two threads share each tensor; the creator's reference goes first */
      threads[0] = g_thread_new ("churn", churn_thread, sm_tensor_ref (tensors[k]));
      threads[1] = g_thread_new ("churn", churn_thread, sm_tensor_ref (tensors[k]));
      sm_tensor_unref (tensors[k]);
      g_thread_join (threads[0]);
      g_thread_join (threads[1]);
    }
  g_assert_cmpint (destroyed, ==, 1);
  g_assert_cmpuint (pool_live (pool), ==, 0);
  sm_pool_free (pool);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Tensor/dtypes", test_dtypes);
  g_test_add_func ("/Tensor/create", test_create);
  g_test_add_func ("/Tensor/quantized", test_quantized);
  g_test_add_func ("/Tensor/views-share", test_views_share);
  g_test_add_func ("/Tensor/row-slices", test_row_slices);
  g_test_add_func ("/Tensor/reshape", test_reshape);
  g_test_add_func ("/Tensor/transpose", test_transpose);
  g_test_add_func ("/Tensor/borrowed", test_borrowed);
  g_test_add_func ("/Tensor/describe", test_describe);
  g_test_add_func ("/Tensor/threads", test_threads);
  return g_test_run ();
}
