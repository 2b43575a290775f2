/* sm-checkpoint.h: SmallMind's native checkpoint (.smck): JSON metadata plus named tensors.
 *
 * One file holds what a model needs besides its weights (config, tokenizer data such as BPE
 * merges, training state) as a JSON object, and any number of named tensors of any SmDType.
 * It is read by mmap, tensors borrow the mapping, and a SHA-256 over the whole file is
 * verified on open.  Written atomically (temporary file + rename).
 *
 * Layout, little-endian:
 *   0    "SMCK"
 *   4    u32  format version (1)
 *   8    u64  file size
 *   16   u64  metadata offset          24  u64  metadata length   (UTF-8 JSON, an object)
 *   32   u64  directory offset         40  u64  directory length
 *   48   u64  tensor count             56  u64  data offset       (a multiple of 64)
 *   64   u8   sha256[32]: of the whole file with these 32 bytes read as zero
 *   96   zero to 128; then metadata, directory, padding, data
 * A directory entry: u32 name length, name (no NUL), u32 ggml type (SM_GGML_TYPE_*), u32
 * n_dims (1..4), u64 shape[n_dims] outermost first, u64 offset from the data section (a
 * multiple of 64), u64 byte size.  Regions are in that order and never overlap.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "sm-tensor.h"

G_BEGIN_DECLS

#define SM_CHECKPOINT_ERROR (sm_checkpoint_error_quark ())
typedef enum {
  SM_CHECKPOINT_ERROR_IO,           /* cannot open / read / write */
  SM_CHECKPOINT_ERROR_FORMAT,       /* bad magic, truncated, bad directory or metadata ... */
  SM_CHECKPOINT_ERROR_UNSUPPORTED,  /* a newer format version */
  SM_CHECKPOINT_ERROR_CHECKSUM,     /* the contents do not match the stored SHA-256 */
  SM_CHECKPOINT_ERROR_NOT_FOUND,    /* no tensor of that name */
} SmCheckpointError;
GQuark sm_checkpoint_error_quark (void);

#define SM_CHECKPOINT_MAGIC   "SMCK"
#define SM_CHECKPOINT_VERSION 1
#define SM_CHECKPOINT_ALIGN   64

typedef struct {
  const char   *name;      /* nul-terminated copy */
  SmDType       dtype;
  int           n_dims;    /* 1..4 */
  gint64        shape[4];  /* outermost first; unused dims are 1 */
  guint64       offset;    /* from the start of the data section */
  gsize         n_bytes;
  gconstpointer data;      /* into the mapping */
} SmCheckpointTensorInfo;

/* ---- reader -------------------------------------------------------------------------------- */

typedef struct _SmCheckpoint SmCheckpoint;

SmCheckpoint *sm_checkpoint_open            (const char *path, GError **error);
/* Parses a checkpoint already in memory; keeps a reference to @bytes. */
SmCheckpoint *sm_checkpoint_new_from_bytes  (GBytes *bytes, GError **error);
SmCheckpoint *sm_checkpoint_ref             (SmCheckpoint *ck);
void          sm_checkpoint_unref           (SmCheckpoint *ck);

guint32       sm_checkpoint_get_version     (SmCheckpoint *ck);
const char   *sm_checkpoint_get_path        (SmCheckpoint *ck);   /* NULL when from bytes */
/* The SHA-256 of the file (as stored and verified), 64 lowercase hex digits. */
const char   *sm_checkpoint_get_checksum    (SmCheckpoint *ck);
/* The metadata object (transfer none: valid as long as @ck; do not modify). */
JsonObject   *sm_checkpoint_get_metadata    (SmCheckpoint *ck);

gsize         sm_checkpoint_n_tensors       (SmCheckpoint *ck);
const SmCheckpointTensorInfo *sm_checkpoint_tensor_info (SmCheckpoint *ck, gsize index);
const SmCheckpointTensorInfo *sm_checkpoint_find_tensor (SmCheckpoint *ck, const char *name);
/* A tensor over the mapped data (no copy, read-only) that keeps the mapping alive; NULL +
 * error when absent. */
SmTensor     *sm_checkpoint_get_tensor      (SmCheckpoint *ck, const char *name, GError **error);

/* ---- writer -------------------------------------------------------------------------------- */

typedef struct _SmCheckpointWriter SmCheckpointWriter;

SmCheckpointWriter *sm_checkpoint_writer_new   (void);
void          sm_checkpoint_writer_free         (SmCheckpointWriter *w);
/* Replaces the metadata object (takes a reference; NULL: an empty object).  It is
 * serialized when written, so later changes to @metadata are included. */
void          sm_checkpoint_writer_set_metadata (SmCheckpointWriter *w, JsonObject *metadata);
/* Adds a tensor (contiguous; takes a reference); a second tensor of the same name replaces
 * the first.  Tensors are stored in the order added. */
void          sm_checkpoint_writer_add_tensor   (SmCheckpointWriter *w, const char *name,
                                                 SmTensor *t);
gboolean      sm_checkpoint_writer_write        (SmCheckpointWriter *w, const char *path,
                                                 GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmCheckpoint, sm_checkpoint_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmCheckpointWriter, sm_checkpoint_writer_free)

G_END_DECLS
