/* sm-gguf.h: GGUF v2/v3 reader (mmap'd, no copy of weights) and writer.
 *
 * Every length, count, offset and dimension read from a file is checked before use: a corrupt
 * or truncated file yields a GError (SM_GGUF_ERROR) naming the problem, never a read out of
 * bounds.  Tensor dimensions are reported numpy-style (outermost first): GGUF's ne = {4096,
 * 32000} becomes shape {32000, 4096}.
 */
#pragma once

#include <gio/gio.h>

#include "sm-tensor.h"

G_BEGIN_DECLS

#define SM_GGUF_ERROR (sm_gguf_error_quark ())
typedef enum {
  SM_GGUF_ERROR_IO,           /* cannot open / read / write */
  SM_GGUF_ERROR_FORMAT,       /* bad magic, truncated, absurd count, offset past the end ... */
  SM_GGUF_ERROR_UNSUPPORTED,  /* a version or tensor type this reader does not handle */
  SM_GGUF_ERROR_NOT_FOUND,    /* a key or tensor asked for is absent or of another type */
} SmGgufError;
GQuark sm_gguf_error_quark (void);

/* GGUF's metadata value types, numbered as in the file. */
typedef enum {
  SM_GGUF_TYPE_UINT8 = 0, SM_GGUF_TYPE_INT8 = 1, SM_GGUF_TYPE_UINT16 = 2, SM_GGUF_TYPE_INT16 = 3,
  SM_GGUF_TYPE_UINT32 = 4, SM_GGUF_TYPE_INT32 = 5, SM_GGUF_TYPE_FLOAT32 = 6, SM_GGUF_TYPE_BOOL = 7,
  SM_GGUF_TYPE_STRING = 8, SM_GGUF_TYPE_ARRAY = 9, SM_GGUF_TYPE_UINT64 = 10, SM_GGUF_TYPE_INT64 = 11,
  SM_GGUF_TYPE_FLOAT64 = 12,
} SmGgufType;

typedef struct {
  gsize       len;
  const char *str;   /* NOT nul-terminated: points into the mapping */
} SmGgufString;

typedef struct {
  const char *name;          /* nul-terminated copy */
  int         n_dims;        /* 1..4 */
  gint64      shape[4];      /* outermost first */
  guint32     ggml_type;
  SmDType     dtype;         /* the matching SmDType */
  guint64     offset;        /* from the start of the data section */
  gsize       n_bytes;
  gconstpointer data;        /* into the mapping */
} SmGgufTensorInfo;

typedef struct _SmGguf SmGguf;

SmGguf     *sm_gguf_open            (const char *path, GError **error);
/* Parses a file already in memory (tests, fuzzing); keeps a reference to @bytes. */
SmGguf     *sm_gguf_new_from_bytes  (GBytes *bytes, GError **error);
SmGguf     *sm_gguf_ref             (SmGguf *gguf);
void        sm_gguf_unref           (SmGguf *gguf);

guint32     sm_gguf_get_version     (SmGguf *gguf);
gsize       sm_gguf_get_alignment   (SmGguf *gguf);
const char *sm_gguf_get_path        (SmGguf *gguf);   /* NULL when from bytes */

/* Metadata: by index (to list everything) and by key. */
gsize       sm_gguf_n_kv            (SmGguf *gguf);
const char *sm_gguf_kv_key          (SmGguf *gguf, gsize index);
SmGgufType  sm_gguf_kv_type         (SmGguf *gguf, gsize index);
/* For ARRAY values: the element type and count. */
SmGgufType  sm_gguf_kv_array_type   (SmGguf *gguf, gsize index, guint64 *n);
/* -1 when absent. */
gssize      sm_gguf_find_key        (SmGguf *gguf, const char *key);
/* A one-line rendering of the value ("512", "llama", "[512 strings]" ...) for `info`. */
char       *sm_gguf_kv_to_string    (SmGguf *gguf, gsize index);

/* Typed getters: FALSE (and @error set, may be NULL) when absent or not convertible.  Integer
 * getters accept any integer type whose value fits. */
gboolean    sm_gguf_get_u32         (SmGguf *gguf, const char *key, guint32 *out, GError **error);
gboolean    sm_gguf_get_u64         (SmGguf *gguf, const char *key, guint64 *out, GError **error);
gboolean    sm_gguf_get_i32         (SmGguf *gguf, const char *key, gint32 *out, GError **error);
gboolean    sm_gguf_get_f32         (SmGguf *gguf, const char *key, float *out, GError **error);
gboolean    sm_gguf_get_bool        (SmGguf *gguf, const char *key, gboolean *out, GError **error);
/* A newly allocated nul-terminated copy of a STRING value. */
char       *sm_gguf_get_string      (SmGguf *gguf, const char *key, GError **error);
/* ARRAY of STRING: n strings (pointing into the mapping); NULL on error. */
const SmGgufString *sm_gguf_get_string_array (SmGguf *gguf, const char *key, guint64 *n,
                                              GError **error);
/* ARRAY of FLOAT32 / INT32 / UINT32: copied out (the file need not align them); g_free. */
float      *sm_gguf_get_f32_array   (SmGguf *gguf, const char *key, guint64 *n, GError **error);
gint32     *sm_gguf_get_i32_array   (SmGguf *gguf, const char *key, guint64 *n, GError **error);

/* Tensors. */
gsize       sm_gguf_n_tensors       (SmGguf *gguf);
const SmGgufTensorInfo *sm_gguf_tensor_info (SmGguf *gguf, gsize index);
const SmGgufTensorInfo *sm_gguf_find_tensor (SmGguf *gguf, const char *name);
/* A tensor over the mapped data (no copy) that keeps the mapping alive; NULL + error when
 * absent. */
SmTensor   *sm_gguf_get_tensor      (SmGguf *gguf, const char *name, GError **error);

/* ---- writer -------------------------------------------------------------------------------- */

typedef struct _SmGgufWriter SmGgufWriter;

SmGgufWriter *sm_gguf_writer_new        (void);
void          sm_gguf_writer_free       (SmGgufWriter *w);
void          sm_gguf_writer_set_u32    (SmGgufWriter *w, const char *key, guint32 v);
void          sm_gguf_writer_set_i32    (SmGgufWriter *w, const char *key, gint32 v);
void          sm_gguf_writer_set_u64    (SmGgufWriter *w, const char *key, guint64 v);
void          sm_gguf_writer_set_f32    (SmGgufWriter *w, const char *key, float v);
void          sm_gguf_writer_set_bool   (SmGgufWriter *w, const char *key, gboolean v);
void          sm_gguf_writer_set_string (SmGgufWriter *w, const char *key, const char *v);
void          sm_gguf_writer_set_string_array (SmGgufWriter *w, const char *key,
                                               const char *const *v, gsize n);
void          sm_gguf_writer_set_f32_array (SmGgufWriter *w, const char *key, const float *v, gsize n);
void          sm_gguf_writer_set_i32_array (SmGgufWriter *w, const char *key, const gint32 *v, gsize n);
/* Copies every metadata key of @src except those for which @skip returns TRUE (may be NULL). */
void          sm_gguf_writer_copy_kv    (SmGgufWriter *w, SmGguf *src,
                                         gboolean (*skip) (const char *key, gpointer data),
                                         gpointer data);
/* Adds a tensor (contiguous; takes a reference). */
void          sm_gguf_writer_add_tensor (SmGgufWriter *w, const char *name, SmTensor *t);
/* Writes GGUF v3 atomically (temporary file + rename); alignment 32. */
gboolean      sm_gguf_writer_write      (SmGgufWriter *w, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmGguf, sm_gguf_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmGgufWriter, sm_gguf_writer_free)

G_END_DECLS
