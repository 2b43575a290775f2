/* sm-quant-mix.h: llama-quantize's file types and the weight type each tensor gets in them.
 *
 * A file type (general.file_type, llama.cpp's LLAMA_FTYPE_MOSTLY_*) is a mix: Q4_K_M puts most
 * matrices in Q4_K but the output matrix in Q6_K and some attn_v / ffn_down layers in Q6_K,
 * by rules of llama.cpp's llama_tensor_get_type (src/llama-quant.cpp, as of the early-2025
 * release the shared kquant files were made with).  They are followed here so that a file
 * `smallmind-cli quantize` writes is the file llama-quantize would write from the same
 * weights, tensor types included.  The rules name ggml types (ids, as in GGUF), not SmDTypes:
 * they are llama.cpp's policy, and the weight table says what each type is.
 */
#pragma once

#include <glib.h>

#include "sm-gguf.h"

G_BEGIN_DECLS

typedef struct _SmQuantMix SmQuantMix;

/* "q4_k_m" (any case, and llama-quantize's aliases q3_k, q4_k, q5_k for the _M mixes);
 * NULL for a name that is no mix. */
const SmQuantMix *sm_quant_mix_find          (const char *name);
/* "q4_0, q4_1, ..., f16 or f32": the names `quantize --type` takes, for help and errors. */
char             *sm_quant_mix_list          (void);
const char       *sm_quant_mix_get_name      (const SmQuantMix *mix);
/* The LLAMA_FTYPE_MOSTLY_* value written as general.file_type. */
guint32           sm_quant_mix_get_file_type (const SmQuantMix *mix);
/* The ggml type of the matrices no rule moves (Q4_K for q4_k_m). */
guint32           sm_quant_mix_get_default_type (const SmQuantMix *mix);
/* llama.cpp's name of a general.file_type ("Q4_K_M", "F32"), or NULL for a value it has not. */
const char       *sm_quant_file_type_name    (guint32 file_type);

/* What the rules look at in the model. */
typedef struct {
  int n_layers;
  int n_heads;
  int n_kv_heads;
} SmQuantModelShape;

/* One tensor as the rules see it: its GGUF name, dimension count and row length (ne[0]). */
typedef struct {
  const char *name;
  int         n_dims;
  gint64      row_elems;
} SmQuantTensor;

/* For tensors llama-quantize leaves as they are (norms and other vectors, position tables). */
#define SM_QUANT_KEEP G_MAXUINT32

/* The ggml type of each of @n tensors, given in file order (layer by layer, as llama.cpp
 * walks them: its attn_v and ffn_down rules count the layers seen so far), into @types; or
 * FALSE with @error (SM_MODEL_ERROR_UNSUPPORTED) where llama-quantize refuses too: a row
 * that fits neither the type nor its fallback. */
gboolean          sm_quant_mix_plan          (const SmQuantMix *mix, const SmQuantModelShape *shape,
                                              const SmQuantTensor *tensors, gsize n,
                                              guint32 *types, GError **error);

/* The mix a GGUF holds on one line, "Q4_K_M: 154 Q4_K, 23 Q6_K, 45 F32": general.file_type's
 * name, then each tensor type and its count, most first (read from the header alone). */
char             *sm_quant_describe_gguf     (SmGguf *gguf);

G_END_DECLS
