/* sm-gguf-reader-private.h: the parsed file, shared by the GGUF reader's parser
 * (sm-gguf-parse.c) and its accessors (sm-gguf.c). */
#pragma once

#include <string.h>

#include "sm-gguf-private.h"

G_BEGIN_DECLS

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

/* Parses @bytes (a mapping, or bytes in memory) into a new SmGguf that keeps a reference to
 * them; @path (may be NULL) names it in errors. */
SmGguf     *sm_gguf_parse           (GBytes *bytes, const char *path, GError **error);
void        sm_gguf_free            (SmGguf *g);
/* Bytes of one value of a scalar metadata type (0 for strings and arrays); its name. */
gsize       sm_gguf_scalar_size     (guint32 type);
const char *sm_gguf_value_type_name (guint32 type);

/* Little-endian loads: the mapping need not align anything. */

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

G_END_DECLS
