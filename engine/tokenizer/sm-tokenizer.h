/* sm-tokenizer.h: text <-> token ids.
 *
 * Four kinds behind one type:
 *   BYTES  256 tokens, id = byte.  SmallMind's Small model and untrained presets.
 *   BPE    byte-level BPE: the 256 byte tokens plus merges (pair of ids -> 256 + i), applied by
 *          rank.  SmallMind's Medium model; the merges live in its checkpoint (sm_bpe_train, sm_bpe_train_words).
 *   SPM    SentencePiece-style BPE as llama.cpp and llama2.c run it: pieces with scores and
 *          types, the bigram whose merged piece scores highest merges first, `<0xNN>` byte
 *          fallback, a leading space added, spaces written as U+2581 "▁" in the pieces.
 *          Loaded from GGUF (tokenizer.ggml.model = "llama") or llama2.c's tokenizer.bin.
 *
 * A tokenizer is immutable once made and may be used from several threads at once.
 * Encoding is O(n log n) in the length of the text (a linked list of symbols and a heap of
 * candidate merges, as llama.cpp does), so long prompts stay cheap.
 *
 * Decoding text for display goes through SmDetokenizer (sm-detokenizer.h), which holds back
 * incomplete UTF-8 and never emits invalid UTF-8; sm_tokenizer_decode gives the raw bytes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SM_TOKENIZER_ERROR (sm_tokenizer_error_quark ())
typedef enum {
  SM_TOKENIZER_ERROR_IO,           /* cannot read a tokenizer file */
  SM_TOKENIZER_ERROR_FORMAT,       /* a malformed vocabulary, merge list or tokenizer.bin */
  SM_TOKENIZER_ERROR_UNSUPPORTED,  /* a tokenizer.ggml.model other than "llama" or "gpt2", a
                                    * pre-tokenizer not known here, too many merges */
  SM_TOKENIZER_ERROR_ENCODE,       /* text holding a byte the vocabulary cannot express */
} SmTokenizerError;
GQuark sm_tokenizer_error_quark (void);

typedef enum {
  SM_TOKENIZER_BYTES = 0,
  SM_TOKENIZER_BPE,
  SM_TOKENIZER_SPM,
  SM_TOKENIZER_GPT2,
} SmTokenizerKind;

/* Token types, numbered as llama.cpp stores them in tokenizer.ggml.token_type. */
typedef enum {
  SM_TOKEN_TYPE_UNDEFINED    = 0,
  SM_TOKEN_TYPE_NORMAL       = 1,
  SM_TOKEN_TYPE_UNKNOWN      = 2,
  SM_TOKEN_TYPE_CONTROL      = 3,   /* BOS, EOS ...: never produced from text, decode to "" */
  SM_TOKEN_TYPE_USER_DEFINED = 4,   /* decoded verbatim (no ▁ -> space) */
  SM_TOKEN_TYPE_UNUSED       = 5,
  SM_TOKEN_TYPE_BYTE         = 6,   /* "<0xNN>": the byte NN */
} SmTokenType;

/* The BPE kind packs a merge's pair of ids into 32 bits, so its vocabulary stays below 65536. */
#define SM_BPE_MAX_MERGES (65536 - 256)

/* An SPM vocabulary handed over as arrays (copied; nothing is kept). */
typedef struct {
  gsize              n_vocab;
  const char *const *pieces;      /* [n_vocab], spaces written as ▁ */
  const gsize       *piece_lens;  /* [n_vocab] byte lengths, or NULL: pieces are nul-terminated */
  const float       *scores;      /* [n_vocab], or NULL: all 0 */
  const gint32      *types;       /* [n_vocab] SmTokenType, or NULL: inferred (unk_id UNKNOWN,
                                   * bos_id / eos_id CONTROL, "<0xNN>" BYTE, the rest NORMAL) */
  gint32             bos_id;      /* -1: none */
  gint32             eos_id;      /* -1: none */
  gint32             unk_id;      /* -1: none (a byte without a token is then an error) */
  gboolean           add_bos;           /* the default for sm_tokenizer_get_add_bos */
  gboolean           add_space_prefix;  /* " " before the text, as SentencePiece does */
} SmSpmVocab;

/* A GPT-2 style byte-level BPE vocabulary handed over as arrays (copied; nothing is kept). */
typedef struct {
  gsize              n_vocab;
  const char *const *pieces;      /* [n_vocab], in GPT-2's byte alphabet ("Ġthe") */
  const gsize       *piece_lens;  /* [n_vocab] byte lengths, or NULL: nul-terminated */
  const gint32      *types;       /* [n_vocab] SmTokenType, or NULL: all NORMAL */
  gsize              n_merges;
  const char *const *merges;      /* [n_merges] "Ġ t": two pieces and a space, rank order */
  const gsize       *merge_lens;  /* [n_merges] byte lengths, or NULL: nul-terminated */
  const char        *pre;         /* the pre-tokenizer (tokenizer.ggml.pre), NULL: "default" */
  gint32             bos_id;      /* -1: none */
  gint32             eos_id;      /* -1: none */
  gint32             unk_id;      /* -1: none */
  gint32             eot_id;      /* -1: none; ends a turn as EOS ends the text */
  gint32             eom_id;      /* -1: none; likewise */
  gint               add_bos;     /* -1: the pre-tokenizer's default (TRUE for llama3, tekken) */
  gboolean           add_eos;
} SmGpt2Vocab;

typedef struct _SmTokenizer SmTokenizer;
/* Declared again (C11 allows it) so this header needs no GIO: see sm-gguf.h. */
typedef struct _SmGguf SmGguf;

SmTokenizer *sm_tokenizer_new_bytes     (void);
/* @merges: [n_merges][2] pairs of ids; merge i makes id 256 + i from ids below 256 + i. */
SmTokenizer *sm_tokenizer_new_bpe       (const gint32 *merges, gsize n_merges, GError **error);
SmTokenizer *sm_tokenizer_new_spm       (const SmSpmVocab *vocab, GError **error);
/* Fails with SM_TOKENIZER_ERROR_UNSUPPORTED for a pre-tokenizer not known here (naming it),
 * SM_TOKENIZER_ERROR_FORMAT for a merge that names a piece the vocabulary lacks or makes one
 * it lacks. */
SmTokenizer *sm_tokenizer_new_gpt2      (const SmGpt2Vocab *vocab, GError **error);
/* The 256 byte tokens in GPT-2's alphabet, id = byte, no merges, pre-tokenizer "gpt-2": for any
 * text the ids of sm_tokenizer_new_bytes (), but a vocabulary llama.cpp reads (SmallMind
 * Small written as GGUF). */
SmTokenizer *sm_tokenizer_new_gpt2_bytes (void);
/* @base (a GPT2 vocabulary) with @pieces appended as control tokens, ids n_vocab on, the
 * @eot'th of them (-1: none) ending a turn: a vocabulary given a chat format's markers (as
 * Qwen's holds ChatML's after its merges), for making test models. */
SmTokenizer *sm_tokenizer_new_gpt2_adding (SmTokenizer *base, const char *const *pieces,
                                           gsize n_pieces, gint32 eot, GError **error);
/* Reads tokenizer.ggml.* (sm-tokenizer-gguf.c) for tokenizer.ggml.model "llama" (SPM) or
 * "gpt2" (GPT2), with llama.cpp's defaults for the keys that are absent: SPM BOS 1, EOS 2,
 * UNK 0, add_bos TRUE, add_space_prefix TRUE; GPT2 BOS and EOS 11, no UNK, add_bos FALSE
 * (TRUE for the llama3 and tekken pre-tokenizers), pre-tokenizer "default".  An empty piece
 * loads but matches no text and decodes to nothing (llama.cpp renames it "[EMPTY_i]" and
 * decodes that); a piece spelled twice is encoded as its last id in SPM (llama.cpp's
 * token_to_id) and its first in GPT2, and each id decodes to its own piece
 * (tests/test-bad-input.c holds both kinds to this). */
SmTokenizer *sm_tokenizer_new_from_gguf (SmGguf *gguf, GError **error);
/* llama2.c's tokenizer.bin: int32 max_token_length, then per token float score, int32 len,
 * bytes.  Its spellings ("\n<s>\n", spaces instead of ▁) are normalised to the GGUF ones, so
 * both files of one vocabulary behave identically.  @vocab_size <= 0 reads to the end. */
SmTokenizer *sm_tokenizer_new_llama2c   (const char *path, gint vocab_size, GError **error);

SmTokenizer *sm_tokenizer_ref           (SmTokenizer *tok);
void         sm_tokenizer_unref         (SmTokenizer *tok);

SmTokenizerKind sm_tokenizer_get_kind   (SmTokenizer *tok);
/* "bytes", "byte-level BPE", "SentencePiece", "GPT-2 byte-level BPE" */
const char  *sm_tokenizer_kind_name     (SmTokenizer *tok);
int          sm_tokenizer_n_vocab       (SmTokenizer *tok);
/* -1 when the vocabulary has none (always so for BYTES and BPE). */
gint32       sm_tokenizer_bos           (SmTokenizer *tok);
gint32       sm_tokenizer_eos           (SmTokenizer *tok);
gint32       sm_tokenizer_unk           (SmTokenizer *tok);
/* Whether a text that starts a context should open with BOS. */
gboolean     sm_tokenizer_get_add_bos   (SmTokenizer *tok);
/* Whether llama.cpp puts EOS after such a text (tokenizer.ggml.add_eos_token); encoding never
 * does it itself. */
gboolean     sm_tokenizer_get_add_eos   (SmTokenizer *tok);
/* GPT2: the pre-tokenizer's name ("gpt-2", "llama-bpe", "default" ...); NULL for other kinds. */
const char  *sm_tokenizer_get_pre       (SmTokenizer *tok);
/* SPM: whether a space is put in front of the text (tokenizer.ggml.add_space_prefix). */
gboolean     sm_tokenizer_get_add_space_prefix (SmTokenizer *tok);
/* Whether generating @id ends the text: EOS, or a control token that ends a turn (<|im_end|>,
 * <|eot_id|>, <end_of_turn> ..., the end-of-generation pieces llama.cpp knows). */
gboolean     sm_tokenizer_is_end        (SmTokenizer *tok, gint32 id);
/* BPE and GPT2: the merges ([n][2] ids of the pair, in rank order) to store in a checkpoint
 * or GGUF; NULL with *n = 0 for other kinds. */
const gint32 *sm_tokenizer_get_merges   (SmTokenizer *tok, gsize *n_merges);

/* Appends the ids of @text (@len bytes, -1: nul-terminated) to @out (a GArray of gint32),
 * after BOS when @add_bos and the vocabulary has one.  Any bytes are accepted, valid UTF-8 or
 * not.  Fails only for an SPM vocabulary that can express neither a byte nor UNK.  A
 * user-defined token's piece in the text becomes that token (as llama.cpp and Hugging Face
 * tokenizers do: such tokens are added words, "<|im_start|>"-like control tokens are not);
 * control tokens never come out of plain encoding. */
gboolean     sm_tokenizer_encode        (SmTokenizer *tok, const char *text, gssize len,
                                         gboolean add_bos, GArray *out, GError **error);
/* As sm_tokenizer_encode, and the control, user-defined and unknown tokens spelled out in
 * @text ("<|im_start|>", "</s>") become those single tokens, as llama.cpp's parse_special
 * does; the text between is encoded as sm_tokenizer_encode would, with SentencePiece's space
 * prefix after each such token.  Only for text the program wrote, such as a chat template's
 * prompt: what someone types must not be able to forge control tokens. */
gboolean     sm_tokenizer_encode_special (SmTokenizer *tok, const char *text, gssize len,
                                          gboolean add_bos, GArray *out, GError **error);

/* The piece as stored (▁ for spaces, "<0x0A>", "<s>"; GPT2: "Ġthe"; BYTES and BPE: the
 * token's bytes, which may not be UTF-8); NULL for an id out of range.  For information and
 * debugging. */
const char  *sm_tokenizer_token_piece   (SmTokenizer *tok, gint32 id);
/* The bytes @id stands for when decoded: ▁ -> space, <0xNN> -> that byte, control and unused
 * tokens -> "", UNK -> U+2585 "▅" (SPM) or "" (GPT2), GPT2's alphabet back to the bytes, a
 * user-defined token its piece (as llama.cpp without special).  Nul-terminated (the token
 * itself may hold a NUL: use *len).  NULL with *len = 0 for an id out of range. */
const char  *sm_tokenizer_token_bytes   (SmTokenizer *tok, gint32 id, gsize *len);
SmTokenType  sm_tokenizer_token_type    (SmTokenizer *tok, gint32 id);
float        sm_tokenizer_token_score   (SmTokenizer *tok, gint32 id);

/* The bytes of @ids joined, with SentencePiece's leading space dropped after a BOS (so
 * decode (encode (s, add_bos = TRUE)) == s), not checked for UTF-8; nul-terminated; g_free.
 * Ids out of range are skipped. */
char        *sm_tokenizer_decode        (SmTokenizer *tok, const gint32 *ids, gsize n_ids,
                                         gsize *len);

/* Learns @n_merges byte-level BPE merges from @text: count adjacent pairs, merge the most
 * frequent everywhere (left to right, ties to the lowest pair of ids), repeat.  Stops early
 * when no pair occurs twice.  Appends [2] gint32 per merge to @merges_out (a GArray of
 * gint32), ready for sm_tokenizer_new_bpe. */
gboolean     sm_bpe_train               (const guint8 *text, gsize len, guint n_merges,
                                         GArray *merges_out, GError **error);

/* Learns @n_merges byte-level BPE merges from @text (@len bytes) the way GPT-2 does: the text
 * is first cut into words (an optional space then a run of letters, digits or other symbols;
 * runs of white space), and merges never cross a cut.  So a prompt that ends at the end of a
 * word ends at the end of a token, as it did in training ("time" + "," stay apart), and
 * sm_tokenizer_encode over the whole text splits exactly as the words were split.  Merges
 * are chosen by count, ties to the lowest pair of ids; stops early when no pair occurs twice.
 * Appends [2] gint32 per merge to @merges_out. */
gboolean     sm_bpe_train_words         (const guint8 *text, gsize len, guint n_merges,
                                         GArray *merges_out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmTokenizer, sm_tokenizer_unref)

G_END_DECLS
