/* sm-gguf-private.h: shared by the GGUF reader and writer only. */
#pragma once

#include "sm-gguf.h"

G_BEGIN_DECLS

/* The encoded bytes of value @index as they stand in the file (for an ARRAY: element type,
 * count, elements), so sm_gguf_writer_copy_kv can copy values verbatim. */
gconstpointer sm_gguf_kv_raw_value (SmGguf *gguf, gsize index, gsize *len);

G_END_DECLS
