/* sm-llama2c.h: reader of karpathy/llama2.c model checkpoints (mmap'd, no copy of weights).
 *
 * Three layouts exist:
 *  - version 0, the legacy `run.c` file: a header of 7 int32 (dim, hidden_dim, n_layers,
 *    n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means an untied
 *    classifier is stored last), then fp32 arrays;
 *  - version 1 (export.py --version 1): "ak42" magic, a 256-byte header, fp32 arrays;
 *  - version 2 (export.py --version 2): "ak42" magic, int8 weights in groups with fp32
 *    scales.  Its layout has no SmDType, so its matrices are dequantized to f32 copies
 *    (norms are still borrowed).
 * The header is checked for sane values and the file must be exactly as long as the header
 * says, so that any other file is refused with a message rather than misread.
 *
 * Tensors are served under GGUF's `llama` names with numpy-order shapes (outermost first):
 *   token_embd.weight (vocab, dim)            output_norm.weight (dim)
 *   output.weight (vocab, dim) — the embedding itself when the classifier is shared
 *   blk.N.attn_norm.weight (dim)              blk.N.ffn_norm.weight (dim)
 *   blk.N.attn_q.weight (dim, dim)            blk.N.attn_output.weight (dim, dim)
 *   blk.N.attn_k.weight (kv_dim, dim)         blk.N.attn_v.weight (kv_dim, dim)
 *   blk.N.ffn_gate.weight (hidden, dim) [w1]  blk.N.ffn_up.weight (hidden, dim) [w3]
 *   blk.N.ffn_down.weight (dim, hidden) [w2]
 * where kv_dim = dim / n_heads * n_kv_heads.  The legacy file's RoPE tables are skipped (the
 * engine computes its own).
 */
#pragma once

#include <gio/gio.h>

#include "sm-tensor.h"

G_BEGIN_DECLS

#define SM_LLAMA2C_ERROR (sm_llama2c_error_quark ())
typedef enum {
  SM_LLAMA2C_ERROR_IO,           /* cannot open / read */
  SM_LLAMA2C_ERROR_FORMAT,       /* insane header, truncated or over-long file */
  SM_LLAMA2C_ERROR_UNSUPPORTED,  /* an export version this reader does not handle */
  SM_LLAMA2C_ERROR_NOT_FOUND,    /* no tensor of that name */
} SmLlama2cError;
GQuark sm_llama2c_error_quark (void);

/* "ak42" read as a little-endian uint32: the magic of export versions 1 and up. */
#define SM_LLAMA2C_MAGIC 0x616b3432u

typedef struct {
  int      dim;
  int      hidden_dim;
  int      n_layers;
  int      n_heads;
  int      n_kv_heads;
  int      vocab_size;          /* always positive here, whatever the legacy sign said */
  int      seq_len;
  gboolean shared_classifier;   /* output.weight is token_embd.weight */
} SmLlama2cConfig;

typedef struct _SmLlama2c SmLlama2c;

SmLlama2c  *sm_llama2c_open           (const char *path, GError **error);
/* Parses a checkpoint already in memory (tests, fuzzing); keeps a reference to @bytes. */
SmLlama2c  *sm_llama2c_new_from_bytes (GBytes *bytes, GError **error);
SmLlama2c  *sm_llama2c_ref            (SmLlama2c *l);
void        sm_llama2c_unref          (SmLlama2c *l);

const SmLlama2cConfig *sm_llama2c_get_config (SmLlama2c *l);
/* 0 (legacy), 1 or 2. */
guint32     sm_llama2c_get_version    (SmLlama2c *l);
/* Quantization group size of version 2 files; 0 otherwise. */
gsize       sm_llama2c_get_group_size (SmLlama2c *l);
const char *sm_llama2c_get_path       (SmLlama2c *l);   /* NULL when from bytes */

/* Every tensor name above (output.weight included, shared or not), layers in order. */
gsize       sm_llama2c_n_tensors      (SmLlama2c *l);
const char *sm_llama2c_tensor_name    (SmLlama2c *l, gsize index);
/* An f32 tensor over the mapped file (no copy; keeps the mapping alive and must not be
 * written to) — or, for version 2 matrices, a new dequantized copy.  NULL + error when the
 * name is unknown. */
SmTensor   *sm_llama2c_get_tensor     (SmLlama2c *l, const char *name, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmLlama2c, sm_llama2c_unref)

G_END_DECLS
