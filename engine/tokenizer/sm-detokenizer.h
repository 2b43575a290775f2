/* sm-detokenizer.h: token ids in, complete UTF-8 text out, one token at a time.
 *
 * A character split over several tokens (byte-fallback tokens, byte-level BPE) is held back
 * until its last byte arrives; bytes that can never form a character become U+FFFD (one per
 * maximal invalid subpart, as the Unicode standard recommends), so what comes out is always
 * valid UTF-8.  SentencePiece's leading space of the token after a BOS is dropped, as
 * llama.cpp and llama2.c do.
 */
#pragma once

#include <glib.h>

#include "sm-tokenizer.h"

G_BEGIN_DECLS

typedef struct _SmDetokenizer SmDetokenizer;

/* @prev_id: the token just before the first one pushed (the prompt's last), -1 for none. */
SmDetokenizer *sm_detokenizer_new   (SmTokenizer *tok, gint32 prev_id);
void           sm_detokenizer_free  (SmDetokenizer *detok);
/* Forgets anything held back and starts again after @prev_id. */
void           sm_detokenizer_reset (SmDetokenizer *detok, gint32 prev_id);
/* Appends to @out the text @id completes; returns the number of bytes appended. */
gsize          sm_detokenizer_push  (SmDetokenizer *detok, gint32 id, GString *out);
/* The end of the text: anything still held back is an incomplete character and becomes
 * U+FFFD.  Returns the number of bytes appended. */
gsize          sm_detokenizer_flush (SmDetokenizer *detok, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmDetokenizer, sm_detokenizer_free)

G_END_DECLS
