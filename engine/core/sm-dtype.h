/* sm-dtype.h: the weight types, one table entry each (after ggml's type traits).
 *
 * This is the only place that knows what a type is: its names, its GGUF id, its block, how a
 * row turns into f32 and back, and which kernels multiply by it with which activation type.
 * Readers, writers, `quantize`, `info` and the forward pass ask the table; a new type is one
 * entry here plus its kernels, and no switch statement elsewhere names it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SM_DTYPE_F32 = 0,
  SM_DTYPE_F16,
  SM_DTYPE_BF16,
  SM_DTYPE_Q8_0,
  SM_DTYPE_Q4_0,
  /* Written by `quantize` (llama-quantize's mixes), not yet run: no matmul. */
  SM_DTYPE_Q4_1,
  SM_DTYPE_Q5_0,
  SM_DTYPE_Q5_1,
  SM_DTYPE_IQ4_NL,
  SM_DTYPE_Q2_K,
  SM_DTYPE_Q3_K,
  SM_DTYPE_Q4_K,
  SM_DTYPE_Q5_K,
  SM_DTYPE_Q6_K,
  SM_N_DTYPES
} SmDType;

/* ggml's tensor type ids of the types above, as GGUF and the native checkpoint store them. */
#define SM_GGML_TYPE_F32  0
#define SM_GGML_TYPE_F16  1
#define SM_GGML_TYPE_Q4_0 2
#define SM_GGML_TYPE_Q4_1 3
#define SM_GGML_TYPE_Q5_0 6
#define SM_GGML_TYPE_Q5_1 7
#define SM_GGML_TYPE_Q8_0 8
#define SM_GGML_TYPE_Q2_K 10
#define SM_GGML_TYPE_Q3_K 11
#define SM_GGML_TYPE_Q4_K 12
#define SM_GGML_TYPE_Q5_K 13
#define SM_GGML_TYPE_Q6_K 14
#define SM_GGML_TYPE_IQ4_NL 20
#define SM_GGML_TYPE_BF16 30

/* y (n, N) = x (n, K) · Wᵀ, for W of N rows of K elements, @ldw bytes apart, and x given in
 * the type's activation type (vec_dot_type), n rows @ldx bytes apart; y rows ldy floats apart. */
typedef void (*SmMatmulFunc) (gsize n, gsize N, gsize K, const void *W, gsize ldw,
                              const void *x, gsize ldx, float *y, gsize ldy);

typedef struct {
  const char  *name;            /* "q8_0": ours, and what --type takes */
  const char  *ggml_name;       /* "Q8_0": ggml's, as llama.cpp prints it */
  guint32      ggml_type;       /* the tensor type id in GGUF (ggml_type) */
  guint32      ggml_file_type;  /* general.file_type of a file mostly of this type */
  gsize        block_elems;     /* elements a block packs along a row (1: not blocked) */
  gsize        block_bytes;
  gsize        data_align;      /* the alignment the kernels load the data with */
  gboolean     quantize_target; /* offered by `quantize --type` */
  void       (*to_f32)   (const void *row, float *out, gsize n);
  void       (*from_f32) (const float *row, void *out, gsize n);
  SmDType      vec_dot_type;    /* what the matmul takes x as */
  SmMatmulFunc matmul;          /* NULL: written and read, not yet run */
} SmDTypeTraits;

const SmDTypeTraits *sm_dtype_traits      (SmDType dtype);
/* The entry of a GGUF tensor type id, or NULL for one SmallMind cannot read. */
const SmDTypeTraits *sm_dtype_traits_from_ggml (guint32 ggml_type, SmDType *dtype);
/* ggml's name for any ggml type id ("Q6_K"), readable or not: for messages. */
const char          *sm_dtype_ggml_type_name (guint32 ggml_type);
/* "q8_0, q4_0, f16 or f32": the types `quantize` offers, for help and errors. */
char                *sm_dtype_quantize_targets (void);

const char *sm_dtype_name        (SmDType dtype);
gboolean    sm_dtype_from_name   (const char *name, SmDType *dtype);
/* Elements per block (1, or 32 for Q8_0 / Q4_0) and bytes per block. */
gsize       sm_dtype_block_elems (SmDType dtype);
gsize       sm_dtype_block_bytes (SmDType dtype);
/* Bytes of a contiguous row of @n elements (n must be a multiple of the block size). */
gsize       sm_dtype_row_bytes   (SmDType dtype, gint64 n);

G_END_DECLS
