/* sm-tokenizer-private.h: what the tokenizer's source files share. */
#pragma once

#include "sm-tokenizer.h"

G_BEGIN_DECLS

/* A byte string that need not be nul-terminated: the key of the piece index, built on the
 * stack over the text being encoded so lookups allocate nothing. */
typedef struct {
  const char *s;
  gsize       len;
} SmPieceKey;

/* Encodes raw text (no special tokens in it) into ids appended to @out.  @space_prefix: put
 * SentencePiece's ▁ in front (the tokenizer's add_space_prefix, or not for a piece of text
 * that follows another within one encoding); the other kinds ignore it. */
typedef gboolean (*SmEncodeFunc) (SmTokenizer *tok, const char *text, gsize len,
                                  gboolean space_prefix, GArray *out, GError **error);

/* Where sm_tokenizer_encode cuts a text at the special tokens spelled in it: a token whose
 * piece appears is looked up by the piece's first two bytes (a bit each), then by each length
 * a special piece has, so a text without them costs one bit test a byte. */
typedef struct {
  guint8       *first2[2];    /* 65536 bits each, by the piece's first two bytes (a piece of
                               * one byte: its byte and every second byte); [0] plain encoding
                               * (user-defined pieces only), [1] encode_special (all) */
  guint32      *lengths;      /* [n_lengths] the distinct piece lengths, longest first */
  guint         n_lengths;
  GHashTable   *by_piece;     /* SmPieceKey * (into piece_blob) -> id + 1 */
  SmPieceKey   *keys;         /* [n_special], the hash table's keys */
  guint32      *order;        /* [n_vocab] a special token's place in `special`, the claiming order */
} SmSpecialIndex;

/* Per-token attributes llama.cpp sets by model name (not stored in GGUF): whitespace next to
 * a special token that the token swallows when it is cut out of a text. */
enum {
  SM_TOKEN_ATTR_LSTRIP = 1 << 0,
  SM_TOKEN_ATTR_RSTRIP = 1 << 1,
};

struct _SmTokenizer {
  gint            ref_count;
  SmTokenizerKind kind;
  SmEncodeFunc    encode;       /* the kind's encoder, set by its constructor */
  gint32          n_vocab;

  /* Each token's piece and decoded bytes, nul-terminated, back to back: token i is
   * blob->data + off[i], off[i + 1] - off[i] - 1 bytes long.  off is [n_vocab + 1]. */
  GByteArray     *piece_blob;
  guint32        *piece_off;
  GByteArray     *bytes_blob;
  guint32        *bytes_off;
  float          *scores;       /* [n_vocab] */
  guint8         *types;        /* [n_vocab] SmTokenType */

  gint32          bos, eos, unk;      /* -1: none */
  /* Control tokens that end a turn as EOS ends the text (<|im_end|>, <|eot_id|> ...) */
  gint32         *eog;          /* [n_eog] */
  guint           n_eog;
  /* What sm_tokenizer_encode_special splits out of text: control, user-defined and unknown
   * tokens, longest piece first (llama.cpp's cache_special_tokens order); plain encoding
   * splits out the user-defined ones only, as llama.cpp does with parse_special off. */
  gint32         *special;      /* [n_special] */
  guint           n_special;
  guint           n_user_defined;   /* of them */
  SmSpecialIndex  special_index;
  guint8         *attrs;        /* [n_vocab] SM_TOKEN_ATTR_*, or NULL: none set */
  gboolean        add_bos;
  gboolean        add_eos;
  gboolean        add_space_prefix;

  char           *pre;          /* GPT2: the pre-tokenizer's name; NULL for other kinds */
  /* A kind's own tables (GPT2's pre-tokenizer and merges), freed with the tokenizer. */
  gpointer        kind_data;
  GDestroyNotify  kind_data_free;

  /* SPM */
  SmPieceKey     *piece_keys;   /* [n_vocab]: the index's keys, into piece_blob */
  GHashTable     *piece_index;  /* SmPieceKey * -> id + 1, for the pieces text can produce */
  gint32          byte_token[256];    /* the `<0xNN>` token of each byte; -1: none */

  /* BPE */
  gint32         *merges;       /* [n_merges][2] */
  gsize           n_merges;
  GHashTable     *merge_rank;   /* (a << 16 | b) -> rank + 1 */
};

/* A candidate merge of two adjacent symbols.  The heap pops the highest @key first and, among
 * equal keys, the leftmost pair, as llama.cpp's SPM comparator does; BPE uses -rank as key. */
typedef struct {
  double  key;
  gint32  left;
  gint32  right;
  guint32 check;   /* SPM: merged length in bytes; BPE: the rank; to spot stale entries */
} SmBigram;

void         sm_bigram_heap_push    (GArray *heap, const SmBigram *b);
gboolean     sm_bigram_heap_pop     (GArray *heap, SmBigram *out);

/* A tokenizer with n_vocab empty slots that encodes with @encode; tokens are then appended in
 * id order with sm_tokenizer_append_token and the tables closed by
 * sm_tokenizer_finish_tables.  Each kind's constructor calls this with its own encoder, so
 * the common part never names a kind's file. */
SmTokenizer *sm_tokenizer_alloc         (SmTokenizerKind kind, gsize n_vocab,
                                         SmEncodeFunc encode);
void         sm_tokenizer_append_token  (SmTokenizer *tok, gint32 id,
                                         const char *piece, gsize piece_len,
                                         const char *bytes, gsize bytes_len);
void         sm_tokenizer_finish_tables (SmTokenizer *tok);
/* Once the types and EOS are final: the special tokens encoding cuts out (and their index),
 * and the pieces llama.cpp ends a turn on (whatever their type) as end-of-generation tokens. */
void         sm_tokenizer_find_special_tokens (SmTokenizer *tok);
/* One more end-of-generation token (EOT, EOM ...); out of range or already there: nothing. */
void         sm_tokenizer_add_eog       (SmTokenizer *tok, gint32 id);
/* Sets SM_TOKEN_ATTR_* @attr of @id on or off. */
void         sm_tokenizer_set_token_attr (SmTokenizer *tok, gint32 id, guint8 attr,
                                          gboolean on);

/* Hash and equality of SmPieceKey, for GHashTables keyed by pieces. */
guint        sm_piece_key_hash          (gconstpointer key);
gboolean     sm_piece_key_equal         (gconstpointer a, gconstpointer b);

/* "<0xNN>": TRUE and the byte. */
gboolean     sm_parse_byte_piece        (const char *piece, gsize len, guint8 *byte);

/* UTF-8 of U+2581 "▁", SentencePiece's space. */
#define SM_SPM_SPACE     "\xe2\x96\x81"
#define SM_SPM_SPACE_LEN 3

G_END_DECLS
