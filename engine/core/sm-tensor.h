/* sm-tensor.h: a typed, strided view of up to 4 dimensions over a shared buffer.
 *
 * Shapes are written outermost first, as in numpy: a (rows, cols) matrix has shape {rows,
 * cols} and its rows are contiguous.  Strides are in bytes.  Quantized types (sm-dtype.h)
 * pack a block of elements along the last dimension, which must then be a multiple of the
 * block size and contiguous.  A tensor either owns a pool buffer, borrows memory from elsewhere
 * (an mmap'd model file) kept alive by a GDestroyNotify, or is a view of another tensor
 * (sharing its storage, no copy).  Reference counted.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "sm-dtype.h"
#include "sm-pool.h"

G_BEGIN_DECLS

#define SM_TENSOR_MAX_DIMS 4


typedef struct _SmTensor SmTensor;

struct _SmTensor {
  SmDType  dtype;
  int      n_dims;
  gint64   shape[SM_TENSOR_MAX_DIMS];    /* outermost first; unused dims are 1 */
  gsize    strides[SM_TENSOR_MAX_DIMS];  /* bytes between neighbours along each dim; for a
                                          * blocked type the last dim's stride is one block's
                                          * bytes, per block of elements */
  gpointer data;                         /* first element */

  /*< private >*/
  gint     ref_count;
  gpointer storage;                      /* SmTensorStorage *, shared by views */
};


/* A new contiguous tensor whose buffer is rented from @pool (NULL: the default pool); the
 * contents are uninitialised (_new) or zero (_new0). */
SmTensor   *sm_tensor_new        (SmPool *pool, SmDType dtype, int n_dims, const gint64 *shape);
SmTensor   *sm_tensor_new0       (SmPool *pool, SmDType dtype, int n_dims, const gint64 *shape);
/* Convenience for f32 matrices and vectors. */
SmTensor   *sm_tensor_new_2d     (SmPool *pool, SmDType dtype, gint64 rows, gint64 cols);
SmTensor   *sm_tensor_new_1d     (SmPool *pool, SmDType dtype, gint64 n);
/* A contiguous tensor over memory owned elsewhere; @destroy (may be NULL) runs on
 * @destroy_data when the last tensor using the memory goes away. */
SmTensor   *sm_tensor_new_borrowed (SmDType dtype, int n_dims, const gint64 *shape, gpointer data,
                                    GDestroyNotify destroy, gpointer destroy_data);

SmTensor   *sm_tensor_ref        (SmTensor *t);
void        sm_tensor_unref      (SmTensor *t);

/* Views share storage, no copy.  A slice along dim 0 of rows [first, first + count); a
 * reshape of a contiguous tensor; a transpose of two dims (strides swapped). */
SmTensor   *sm_tensor_view_rows  (SmTensor *t, gint64 first, gint64 count);
SmTensor   *sm_tensor_reshape    (SmTensor *t, int n_dims, const gint64 *shape, GError **error);
SmTensor   *sm_tensor_transpose  (SmTensor *t, int dim_a, int dim_b);

gint64      sm_tensor_n_elements (const SmTensor *t);
gsize       sm_tensor_n_bytes    (const SmTensor *t);    /* of the elements the view spans */
gboolean    sm_tensor_is_contiguous (const SmTensor *t);
/* Pointer to the start of row @i of dim 0 (for 2-D: the i-th row). */
gpointer    sm_tensor_row        (const SmTensor *t, gint64 i);
static inline float *
sm_tensor_f32 (const SmTensor *t)
{
  return (float *) t->data;
}
/* "f32[64, 128]" */
char       *sm_tensor_describe   (const SmTensor *t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmTensor, sm_tensor_unref)

G_END_DECLS
