/* sm-tensor.c: tensors over shared storage, and views.
 *
 * Storage (a pool buffer or borrowed memory) is refcounted on its own; every tensor, view or
 * not, holds one reference to it, so a view outlives the tensor it was cut from and the
 * buffer goes back (or the destroy notify runs) when the last tensor using it goes away.
 *
 * Strides are in bytes.  For a quantized dtype the last dimension is addressed in whole
 * blocks, so its stride is the block size in bytes (34 for Q8_0, 18 for Q4_0): elements
 * inside a block have no address of their own.  That dimension must stay contiguous, so a
 * transpose may not move it and a row slice of a 1-D quantized tensor cuts whole blocks.
 * Dims past n_dims have shape 1 and stride 0.
 */
#define G_LOG_DOMAIN "sm-tensor"

#include "sm-tensor.h"

#include <gio/gio.h>
#include <string.h>


typedef struct {
  gint           ref_count;
  SmPool        *pool;           /* the pool @buffer came from, or NULL for borrowed memory */
  gpointer       buffer;
  GDestroyNotify destroy;        /* borrowed memory: run on destroy_data at the end */
  gpointer       destroy_data;
} SmTensorStorage;

/* ---- storage --------------------------------------------------------------------------- */

static SmTensorStorage *
storage_ref (SmTensorStorage *s)
{
  g_atomic_int_inc (&s->ref_count);
  return s;
}

static void
storage_unref (SmTensorStorage *s)
{
  if (!g_atomic_int_dec_and_test (&s->ref_count))
    return;
  if (s->pool != NULL)
    sm_pool_return (s->pool, s->buffer);
  if (s->destroy != NULL)
    s->destroy (s->destroy_data);
  g_free (s);
}

/* ---- shapes ---------------------------------------------------------------------------- */

/* Checks a shape for a contiguous tensor of @dtype and gives its size in bytes.  Shape
 * errors found here are the caller's to report: a GError from reshape, a critical from the
 * constructors. */
static gboolean
check_shape (SmDType dtype, int n_dims, const gint64 *shape, gsize *n_bytes, GError **error)
{
  gsize elems = 1, bytes;

  if (n_dims < 1 || n_dims > SM_TENSOR_MAX_DIMS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "a tensor has 1 to %d dimensions, not %d", SM_TENSOR_MAX_DIMS, n_dims);
      return FALSE;
    }
  for (int d = 0; d < n_dims; d++)
    {
      if (shape[d] < 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "dimension %d has negative size %" G_GINT64_FORMAT, d, shape[d]);
          return FALSE;
        }
      if (__builtin_mul_overflow (elems, (gsize) shape[d], &elems))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "shape too large for the address space");
          return FALSE;
        }
    }
  if (shape[n_dims - 1] % (gint64) sm_dtype_block_elems (dtype) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the last dimension of a %s tensor must be a multiple of %" G_GSIZE_FORMAT
                   ", not %" G_GINT64_FORMAT, sm_dtype_name (dtype),
                   sm_dtype_block_elems (dtype), shape[n_dims - 1]);
      return FALSE;
    }
  /* elems / block_elems * block_bytes cannot overflow when elems * 4 does not. */
  if (__builtin_mul_overflow (elems, (gsize) 4, &bytes))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "shape too large for the address space");
      return FALSE;
    }
  *n_bytes = elems / sm_dtype_block_elems (dtype) * sm_dtype_block_bytes (dtype);
  return TRUE;
}

/* Row-major strides for @shape; the innermost stride is one element or one block. */
static void
set_contiguous (SmTensor *t, int n_dims, const gint64 *shape)
{
  gsize stride = sm_dtype_block_bytes (t->dtype);

  t->n_dims = n_dims;
  for (int d = SM_TENSOR_MAX_DIMS - 1; d >= 0; d--)
    {
      if (d >= n_dims)
        {
          t->shape[d] = 1;
          t->strides[d] = 0;
          continue;
        }
      t->shape[d] = shape[d];
      t->strides[d] = stride;
      stride *= d == n_dims - 1 ? (gsize) shape[d] / sm_dtype_block_elems (t->dtype)
                                : (gsize) shape[d];
    }
}

static SmTensor *
tensor_alloc (SmDType dtype, SmTensorStorage *storage, gpointer data)
{
  SmTensor *t = g_new0 (SmTensor, 1);

  t->dtype = dtype;
  t->ref_count = 1;
  t->storage = storage;
  t->data = data;
  return t;
}

/* A new tensor over the same storage and geometry as @t (the start of every view). */
static SmTensor *
tensor_view (SmTensor *t)
{
  SmTensor *v = tensor_alloc (t->dtype, storage_ref (t->storage), t->data);

  v->n_dims = t->n_dims;
  memcpy (v->shape, t->shape, sizeof v->shape);
  memcpy (v->strides, t->strides, sizeof v->strides);
  return v;
}

/* ---- construction ---------------------------------------------------------------------- */

static SmTensor *
tensor_new (SmPool *pool, SmDType dtype, int n_dims, const gint64 *shape, gboolean zero)
{
  g_autoptr (GError) error = NULL;
  SmTensorStorage *s;
  SmTensor *t;
  gsize n_bytes;

  g_return_val_if_fail ((guint) dtype < SM_N_DTYPES, NULL);
  g_return_val_if_fail (shape != NULL, NULL);
  if (!check_shape (dtype, n_dims, shape, &n_bytes, &error))
    {
      g_critical ("sm_tensor_new: %s", error->message);
      return NULL;
    }

  s = g_new0 (SmTensorStorage, 1);
  s->ref_count = 1;
  s->pool = pool != NULL ? pool : sm_pool_default ();
  s->buffer = zero ? sm_pool_rent0 (s->pool, n_bytes) : sm_pool_rent (s->pool, n_bytes);
  t = tensor_alloc (dtype, s, s->buffer);
  set_contiguous (t, n_dims, shape);
  return t;
}

SmTensor *
sm_tensor_new (SmPool *pool, SmDType dtype, int n_dims, const gint64 *shape)
{
  return tensor_new (pool, dtype, n_dims, shape, FALSE);
}

SmTensor *
sm_tensor_new0 (SmPool *pool, SmDType dtype, int n_dims, const gint64 *shape)
{
  return tensor_new (pool, dtype, n_dims, shape, TRUE);
}

SmTensor *
sm_tensor_new_2d (SmPool *pool, SmDType dtype, gint64 rows, gint64 cols)
{
  const gint64 shape[2] = { rows, cols };

  return tensor_new (pool, dtype, 2, shape, FALSE);
}

SmTensor *
sm_tensor_new_1d (SmPool *pool, SmDType dtype, gint64 n)
{
  return tensor_new (pool, dtype, 1, &n, FALSE);
}

SmTensor *
sm_tensor_new_borrowed (SmDType dtype, int n_dims, const gint64 *shape, gpointer data,
                        GDestroyNotify destroy, gpointer destroy_data)
{
  g_autoptr (GError) error = NULL;
  SmTensorStorage *s;
  SmTensor *t;
  gsize n_bytes;

  g_return_val_if_fail ((guint) dtype < SM_N_DTYPES, NULL);
  g_return_val_if_fail (shape != NULL, NULL);
  if (!check_shape (dtype, n_dims, shape, &n_bytes, &error))
    {
      g_critical ("sm_tensor_new_borrowed: %s", error->message);
      return NULL;
    }
  g_return_val_if_fail (data != NULL || n_bytes == 0, NULL);

  s = g_new0 (SmTensorStorage, 1);
  s->ref_count = 1;
  s->buffer = data;
  s->destroy = destroy;
  s->destroy_data = destroy_data;
  t = tensor_alloc (dtype, s, data);
  set_contiguous (t, n_dims, shape);
  return t;
}

SmTensor *
sm_tensor_ref (SmTensor *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (g_atomic_int_get (&t->ref_count) > 0, NULL);

  g_atomic_int_inc (&t->ref_count);
  return t;
}

void
sm_tensor_unref (SmTensor *t)
{
  g_return_if_fail (t != NULL);
  g_return_if_fail (g_atomic_int_get (&t->ref_count) > 0);

  if (!g_atomic_int_dec_and_test (&t->ref_count))
    return;
  storage_unref (t->storage);
  g_free (t);
}

/* ---- views ----------------------------------------------------------------------------- */

SmTensor *
sm_tensor_view_rows (SmTensor *t, gint64 first, gint64 count)
{
  const gint64 be = t != NULL && t->n_dims == 1 ? (gint64) sm_dtype_block_elems (t->dtype) : 1;
  SmTensor *v;

  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (first >= 0 && count >= 0 && first <= t->shape[0] - count, NULL);
  /* 1-D quantized: dim 0 is the packed one, so the slice must cut whole blocks. */
  g_return_val_if_fail (first % be == 0 && count % be == 0, NULL);

  v = tensor_view (t);
  v->shape[0] = count;
  v->data = (char *) t->data + (gsize) (first / be) * t->strides[0];
  return v;
}

SmTensor *
sm_tensor_reshape (SmTensor *t, int n_dims, const gint64 *shape, GError **error)
{
  SmTensor *v;
  gsize n_bytes;

  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (shape != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!sm_tensor_is_contiguous (t))
    {
      g_autofree char *desc = sm_tensor_describe (t);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "cannot reshape %s: it is not contiguous", desc);
      return NULL;
    }
  if (!check_shape (t->dtype, n_dims, shape, &n_bytes, error))
    return NULL;
  /* Equal element counts imply equal bytes once the last dim is whole blocks. */
  if (n_bytes != sm_tensor_n_bytes (t))
    {
      g_autofree char *desc = sm_tensor_describe (t);
      GString *want = g_string_new (NULL);
      for (int d = 0; d < n_dims; d++)
        g_string_append_printf (want, "%s%" G_GINT64_FORMAT, d ? ", " : "", shape[d]);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "cannot reshape %s to [%s]: the element counts differ", desc, want->str);
      g_string_free (want, TRUE);
      return NULL;
    }

  v = tensor_view (t);
  set_contiguous (v, n_dims, shape);
  return v;
}

SmTensor *
sm_tensor_transpose (SmTensor *t, int dim_a, int dim_b)
{
  SmTensor *v;
  gint64 shape;
  gsize stride;

  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (dim_a >= 0 && dim_a < t->n_dims, NULL);
  g_return_val_if_fail (dim_b >= 0 && dim_b < t->n_dims, NULL);
  /* Quantized blocks run along the last dim: it cannot move. */
  g_return_val_if_fail (sm_dtype_block_elems (t->dtype) == 1 || dim_a == dim_b ||
                        (dim_a != t->n_dims - 1 && dim_b != t->n_dims - 1), NULL);

  v = tensor_view (t);
  shape = v->shape[dim_a];
  v->shape[dim_a] = v->shape[dim_b];
  v->shape[dim_b] = shape;
  stride = v->strides[dim_a];
  v->strides[dim_a] = v->strides[dim_b];
  v->strides[dim_b] = stride;
  return v;
}

/* ---- read-outs ------------------------------------------------------------------------- */

gint64
sm_tensor_n_elements (const SmTensor *t)
{
  gint64 n = 1;

  g_return_val_if_fail (t != NULL, 0);
  for (int d = 0; d < t->n_dims; d++)
    n *= t->shape[d];
  return n;
}

gsize
sm_tensor_n_bytes (const SmTensor *t)
{
  gsize span;

  g_return_val_if_fail (t != NULL, 0);
  if (sm_tensor_n_elements (t) == 0)
    return 0;
  /* From the first byte to the end of the last element (or block), whatever the strides. */
  span = sm_dtype_block_bytes (t->dtype);
  for (int d = 0; d < t->n_dims; d++)
    {
      gint64 steps = d == t->n_dims - 1 ? t->shape[d] / (gint64) sm_dtype_block_elems (t->dtype)
                                        : t->shape[d];
      span += (gsize) (steps - 1) * t->strides[d];
    }
  return span;
}

gboolean
sm_tensor_is_contiguous (const SmTensor *t)
{
  gsize want;

  g_return_val_if_fail (t != NULL, FALSE);
  if (sm_tensor_n_elements (t) == 0)
    return TRUE;
  want = sm_dtype_block_bytes (t->dtype);
  for (int d = t->n_dims - 1; d >= 0; d--)
    {
      gint64 steps = d == t->n_dims - 1 ? t->shape[d] / (gint64) sm_dtype_block_elems (t->dtype)
                                        : t->shape[d];
      /* A dim of one step is never walked, so its stride does not matter. */
      if (steps != 1 && t->strides[d] != want)
        return FALSE;
      want *= (gsize) steps;
    }
  return TRUE;
}

gpointer
sm_tensor_row (const SmTensor *t, gint64 i)
{
  const gint64 be = t != NULL && t->n_dims == 1 ? (gint64) sm_dtype_block_elems (t->dtype) : 1;

  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (i >= 0 && i < t->shape[0], NULL);
  /* 1-D quantized: only block starts have an address. */
  g_return_val_if_fail (i % be == 0, NULL);

  return (char *) t->data + (gsize) (i / be) * t->strides[0];
}

char *
sm_tensor_describe (const SmTensor *t)
{
  GString *s;

  g_return_val_if_fail (t != NULL, NULL);
  s = g_string_new (sm_dtype_name (t->dtype));
  g_string_append_c (s, '[');
  for (int d = 0; d < t->n_dims; d++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, d ? ", " : "", t->shape[d]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}
