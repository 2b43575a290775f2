/* sm-llama2c.c: llama2.c checkpoints (legacy version 0, export versions 1 and 2).
 *
 * The header is validated, then the file's layout is laid out tensor by tensor in file order
 * with overflow-checked offsets; only when the sum is exactly the file's size is anything
 * served.  Orders follow llama2.c: run.c's memory_map_weights for version 0, export.py's
 * version1_export / version2_export for the others.
 */
#define G_LOG_DOMAIN "sm-llama2c"

#include "sm-llama2c.h"
#include "sm-mapped-file.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define LEGACY_HEADER_BYTES 28    /* 7 × int32 */
#define EXPORT_HEADER_BYTES 256   /* magic, version, 7 × int32, flags, padding */

/* Generous ceilings: far above any llama2.c model, low enough that sizes stay in int range
 * for the engine and that a random file fails on its header, not on its length. */
#define MAX_DIM      (1 << 16)
#define MAX_HIDDEN   (1 << 18)
#define MAX_LAYERS   (1 << 10)
#define MAX_VOCAB    (1 << 22)
#define MAX_SEQ_LEN  (1 << 22)

typedef struct {
  char    *name;
  int      n_dims;
  gint64   shape[2];
  gint64   n_elems;
  guint64  offset;        /* of the fp32 data, or of the int8 values when quantized */
  guint64  scale_offset;  /* quantized only: of the fp32 group scales */
  gboolean quantized;
  guint    rank;          /* listing order: token_embd, layer by layer, output_norm, output */
} Entry;

#define RANK_OUTPUT_NORM (G_MAXUINT - 1)
#define RANK_OUTPUT      G_MAXUINT

struct _SmLlama2c {
  gint             ref_count;
  GBytes          *bytes;
  const guint8    *base;
  gsize            size;
  char            *path;
  guint32          version;
  gsize            group_size;
  SmLlama2cConfig  config;
  GPtrArray       *entries;    /* Entry, in listing order */
  GHashTable      *by_name;    /* name -> Entry */
};

G_DEFINE_QUARK (sm-llama2c-error-quark, sm_llama2c_error)

static void
entry_free (gpointer data)
{
  Entry *e = data;
  g_free (e->name);
  g_free (e);
}

static void
llama2c_free (SmLlama2c *l)
{
  g_clear_pointer (&l->by_name, g_hash_table_unref);
  g_clear_pointer (&l->entries, g_ptr_array_unref);
  g_clear_pointer (&l->bytes, g_bytes_unref);
  g_free (l->path);
  g_free (l);
}

static gint32
load_i32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, sizeof v);
  return (gint32) GUINT32_FROM_LE (v);
}

/* ---- header ---------------------------------------------------------------------------------- */

static char *
describe_header (const gint32 h[7])
{
  return g_strdup_printf ("dim=%d hidden_dim=%d n_layers=%d n_heads=%d n_kv_heads=%d "
                          "vocab_size=%d seq_len=%d", h[0], h[1], h[2], h[3], h[4], h[5], h[6]);
}

static gboolean
check_range (const gint32 h[7], const char *name, gint32 v, gint32 max, GError **error)
{
  if (v > 0 && v <= max)
    return TRUE;
  g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT,
               /* Translators: %s is a header field's name (dim, n_layers ...) */
               _("its %s would be %d, outside 1 to %d: it is not one"),
               name, v, max);
  return FALSE;
}

/* @h: the 7 header values with vocab_size already made positive. */
static gboolean
check_config (SmLlama2c *l, const gint32 h[7], GError **error)
{
  SmLlama2cConfig *c = &l->config;

  if (!check_range (h, "dim", h[0], MAX_DIM, error) ||
      !check_range (h, "hidden_dim", h[1], MAX_HIDDEN, error) ||
      !check_range (h, "n_layers", h[2], MAX_LAYERS, error) ||
      !check_range (h, "n_heads", h[3], h[0] > 0 ? h[0] : 1, error) ||
      !check_range (h, "n_kv_heads", h[4], h[3] > 0 ? h[3] : 1, error) ||
      !check_range (h, "vocab_size", h[5], MAX_VOCAB, error) ||
      !check_range (h, "seq_len", h[6], MAX_SEQ_LEN, error))
    return FALSE;

  g_autofree char *desc = describe_header (h);
  if (h[0] % h[3] != 0 || (h[0] / h[3]) % 2 != 0)
    {
      g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT,
                   "Not a valid llama2.c checkpoint: dim %d is not n_heads %d times an even "
                   "head size (header: %s)", h[0], h[3], desc);
      return FALSE;
    }
  if (h[3] % h[4] != 0)
    {
      g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT,
                   "Not a valid llama2.c checkpoint: n_heads %d is not a multiple of "
                   "n_kv_heads %d (header: %s)", h[3], h[4], desc);
      return FALSE;
    }
  c->dim = h[0];
  c->hidden_dim = h[1];
  c->n_layers = h[2];
  c->n_heads = h[3];
  c->n_kv_heads = h[4];
  c->vocab_size = h[5];
  c->seq_len = h[6];
  return TRUE;
}

/* ---- layout ---------------------------------------------------------------------------------- */

typedef struct {
  SmLlama2c *l;
  guint64    pos;          /* file offset of the next array */
  GPtrArray *file_order;   /* Entry (borrowed) */
} Layout;

static gboolean
layout_advance (Layout *lay, guint64 bytes, GError **error)
{
  if (__builtin_add_overflow (lay->pos, bytes, &lay->pos))
    {
      g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT,
                   "llama2.c checkpoint: the header's sizes overflow");
      return FALSE;
    }
  return TRUE;
}

/* Appends a (rows, cols) array (cols == 0: a vector of rows) at the current position. */
static gboolean
layout_add (Layout *lay, char *name, guint rank, gint64 rows, gint64 cols, gboolean quantized,
            GError **error)
{
  Entry *e = g_new0 (Entry, 1);
  guint64 bytes;

  e->name = name;
  e->rank = rank;
  e->n_dims = cols == 0 ? 1 : 2;
  e->shape[0] = rows;
  e->shape[1] = cols == 0 ? 1 : cols;
  /* Header values are capped well below 2^31, so this product fits in 64 bits. */
  e->n_elems = rows * (cols == 0 ? 1 : cols);
  e->quantized = quantized;
  e->offset = lay->pos;
  g_ptr_array_add (lay->file_order, e);
  g_ptr_array_add (lay->l->entries, e);
  g_hash_table_insert (lay->l->by_name, e->name, e);

  if (!quantized)
    return layout_advance (lay, (guint64) e->n_elems * 4, error);

  if (e->n_elems % (gint64) lay->l->group_size != 0)
    {
      g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT,
                   "llama2.c checkpoint: %s has %" G_GINT64_FORMAT " weights, not a multiple "
                   "of the group size %" G_GSIZE_FORMAT, e->name, e->n_elems,
                   lay->l->group_size);
      return FALSE;
    }
  bytes = (guint64) e->n_elems;
  if (!layout_advance (lay, bytes, error))
    return FALSE;
  e->scale_offset = lay->pos;
  return layout_advance (lay, (guint64) e->n_elems / lay->l->group_size * 4, error);
}

typedef enum {
  K_ATTN_NORM, K_Q, K_K, K_V, K_O, K_FFN_NORM, K_GATE, K_DOWN, K_UP, N_KINDS
} LayerKind;

static const char *const kind_names[N_KINDS] = {
  "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate",
  "ffn_down", "ffn_up",
};

/* All n_layers arrays of one kind, consecutively (llama2.c's order within a file). */
static gboolean
layout_layers (Layout *lay, LayerKind kind, gboolean quantized, GError **error)
{
  const SmLlama2cConfig *c = &lay->l->config;
  gint64 kv_dim = (gint64) c->dim / c->n_heads * c->n_kv_heads;
  gint64 rows, cols;

  switch (kind)
    {
    case K_ATTN_NORM: case K_FFN_NORM: rows = c->dim; cols = 0; break;
    case K_Q: case K_O:                rows = c->dim; cols = c->dim; break;
    case K_K: case K_V:                rows = kv_dim; cols = c->dim; break;
    case K_GATE: case K_UP:            rows = c->hidden_dim; cols = c->dim; break;
    case K_DOWN:                       rows = c->dim; cols = c->hidden_dim; break;
    case N_KINDS: default:             g_assert_not_reached ();
    }
  for (int i = 0; i < c->n_layers; i++)
    if (!layout_add (lay, g_strdup_printf ("blk.%d.%s.weight", i, kind_names[kind]),
                     1 + (guint) i * N_KINDS + kind, rows, cols, quantized, error))
      return FALSE;
  return TRUE;
}

static gboolean
layout_v0 (Layout *lay, GError **error)
{
  const SmLlama2cConfig *c = &lay->l->config;
  guint64 rope_bytes = (guint64) c->seq_len * (guint64) (c->dim / c->n_heads / 2) * 4;

  lay->pos = LEGACY_HEADER_BYTES;
  if (!layout_add (lay, g_strdup ("token_embd.weight"), 0, c->vocab_size, c->dim, FALSE, error) ||
      !layout_layers (lay, K_ATTN_NORM, FALSE, error) ||
      !layout_layers (lay, K_Q, FALSE, error) || !layout_layers (lay, K_K, FALSE, error) ||
      !layout_layers (lay, K_V, FALSE, error) || !layout_layers (lay, K_O, FALSE, error) ||
      !layout_layers (lay, K_FFN_NORM, FALSE, error) ||
      !layout_layers (lay, K_GATE, FALSE, error) || !layout_layers (lay, K_DOWN, FALSE, error) ||
      !layout_layers (lay, K_UP, FALSE, error) ||
      !layout_add (lay, g_strdup ("output_norm.weight"), RANK_OUTPUT_NORM, c->dim, 0, FALSE,
                   error) ||
      /* freq_cis_real and freq_cis_imag, (seq_len, head_size / 2) each */
      !layout_advance (lay, rope_bytes, error) || !layout_advance (lay, rope_bytes, error))
    return FALSE;
  if (!c->shared_classifier)
    return layout_add (lay, g_strdup ("output.weight"), RANK_OUTPUT, c->vocab_size, c->dim,
                       FALSE, error);
  return TRUE;
}

/* Versions 1 and 2 share an order; version 2 quantizes the matrices, not the norms. */
static gboolean
layout_export (Layout *lay, gboolean q, GError **error)
{
  const SmLlama2cConfig *c = &lay->l->config;

  lay->pos = EXPORT_HEADER_BYTES;
  if (!layout_layers (lay, K_ATTN_NORM, FALSE, error) ||
      !layout_layers (lay, K_FFN_NORM, FALSE, error) ||
      !layout_add (lay, g_strdup ("output_norm.weight"), RANK_OUTPUT_NORM, c->dim, 0, FALSE,
                   error) ||
      !layout_add (lay, g_strdup ("token_embd.weight"), 0, c->vocab_size, c->dim, q, error) ||
      !layout_layers (lay, K_Q, q, error) || !layout_layers (lay, K_K, q, error) ||
      !layout_layers (lay, K_V, q, error) || !layout_layers (lay, K_O, q, error) ||
      !layout_layers (lay, K_GATE, q, error) || !layout_layers (lay, K_DOWN, q, error) ||
      !layout_layers (lay, K_UP, q, error))
    return FALSE;
  if (!c->shared_classifier)
    return layout_add (lay, g_strdup ("output.weight"), RANK_OUTPUT, c->vocab_size, c->dim, q,
                       error);
  return TRUE;
}

static int
compare_ranks (gconstpointer a, gconstpointer b)
{
  const Entry *ea = *(Entry *const *) a, *eb = *(Entry *const *) b;
  return ea->rank < eb->rank ? -1 : ea->rank > eb->rank;
}

static gboolean
layout (SmLlama2c *l, GError **error)
{
  g_autoptr (GPtrArray) file_order = g_ptr_array_new ();
  Layout lay = { .l = l, .file_order = file_order };
  gboolean ok;

  ok = l->version == 0 ? layout_v0 (&lay, error) : layout_export (&lay, l->version == 2, error);
  if (!ok)
    return FALSE;

  if (lay.pos != l->size)
    {
      const SmLlama2cConfig *c = &l->config;
      g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT,
                   /* plain C formats: gettext cannot read GLib's format macros */
                   _("%s: a llama2.c model of width %d, %d layers and %d tokens needs %llu "
                     "bytes, and the file has %llu"),
                   lay.pos > l->size ? _("it is cut short") : _("it is longer than its header says"),
                   c->dim, c->n_layers, c->vocab_size, (unsigned long long) lay.pos,
                   (unsigned long long) l->size);
      return FALSE;
    }

  if (l->config.shared_classifier)
    {
      Entry *embd = g_hash_table_lookup (l->by_name, "token_embd.weight");
      Entry *out = g_memdup2 (embd, sizeof *embd);
      out->name = g_strdup ("output.weight");
      out->rank = RANK_OUTPUT;
      g_ptr_array_add (l->entries, out);
      g_hash_table_insert (l->by_name, out->name, out);
    }
  g_ptr_array_sort (l->entries, compare_ranks);
  return TRUE;
}

/* ---- parsing --------------------------------------------------------------------------------- */

static gboolean
parse (SmLlama2c *l, GError **error)
{
  gint32 h[7];
  const guint8 *p = l->base;

  if (l->size < LEGACY_HEADER_BYTES)
    {
      g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT,
                   "Not a llama2.c checkpoint: %" G_GSIZE_FORMAT " bytes is shorter than its "
                   "%d-byte header", l->size, LEGACY_HEADER_BYTES);
      return FALSE;
    }

  if ((guint32) load_i32 (p) == SM_LLAMA2C_MAGIC)
    {
      gint32 version = load_i32 (p + 4);
      if (version != 1 && version != 2)
        {
          g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_UNSUPPORTED,
                       "Unsupported llama2.c export version %d (only 0, 1 and 2 are "
                       "supported)", version);
          return FALSE;
        }
      if (l->size < EXPORT_HEADER_BYTES)
        {
          g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT,
                       "it is cut short (llama2.c export version %d): %" G_GSIZE_FORMAT " bytes "
                       "is shorter than its %d-byte header", version, l->size,
                       EXPORT_HEADER_BYTES);
          return FALSE;
        }
      l->version = (guint32) version;
      for (int i = 0; i < 7; i++)
        h[i] = load_i32 (p + 8 + 4 * i);
      if (p[36] > 1)
        {
          g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT,
                       "Not a valid llama2.c checkpoint: shared_classifier flag is %u", p[36]);
          return FALSE;
        }
      l->config.shared_classifier = p[36] != 0;
      if (version == 2)
        {
          gint32 gs = load_i32 (p + 37);
          if (gs <= 0 || gs > MAX_DIM)
            {
              g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT,
                           "Not a valid llama2.c checkpoint: group size %d", gs);
              return FALSE;
            }
          l->group_size = (gsize) gs;
        }
    }
  else
    {
      for (int i = 0; i < 7; i++)
        h[i] = load_i32 (p + 4 * i);
      /* The legacy format's only flag: a negative vocabulary size means an untied classifier. */
      l->config.shared_classifier = h[5] > 0;
      if (h[5] < 0 && h[5] != G_MININT32)
        h[5] = -h[5];
    }
  if (!check_config (l, h, error))
    return FALSE;
  return layout (l, error);
}

static SmLlama2c *
llama2c_new (GBytes *bytes, const char *path, GError **error)
{
  SmLlama2c *l = g_new0 (SmLlama2c, 1);

  l->ref_count = 1;
  l->bytes = g_bytes_ref (bytes);
  l->base = g_bytes_get_data (bytes, &l->size);
  l->path = g_strdup (path);
  l->entries = g_ptr_array_new_with_free_func (entry_free);
  l->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  if (!parse (l, error))
    {
      llama2c_free (l);
      return NULL;
    }
  return l;
}

/* ---- public ---------------------------------------------------------------------------------- */

SmLlama2c *
sm_llama2c_open (const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* a file truncated under its readers is then an error they report, not a crash */
  bytes = sm_mapped_file_map (path, &local);
  if (bytes == NULL)
    {
      g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_IO, "%s", local->message);
      return NULL;
    }
  /* the caller names the file */
  return llama2c_new (bytes, path, error);
}

SmLlama2c *
sm_llama2c_new_from_bytes (GBytes *bytes, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return llama2c_new (bytes, NULL, error);
}

SmLlama2c *
sm_llama2c_ref (SmLlama2c *l)
{
  g_return_val_if_fail (l != NULL, NULL);

  g_atomic_int_inc (&l->ref_count);
  return l;
}

void
sm_llama2c_unref (SmLlama2c *l)
{
  if (l == NULL)
    return;
  if (g_atomic_int_dec_and_test (&l->ref_count))
    llama2c_free (l);
}

const SmLlama2cConfig *
sm_llama2c_get_config (SmLlama2c *l)
{
  g_return_val_if_fail (l != NULL, NULL);
  return &l->config;
}

guint32
sm_llama2c_get_version (SmLlama2c *l)
{
  g_return_val_if_fail (l != NULL, 0);
  return l->version;
}

gsize
sm_llama2c_get_group_size (SmLlama2c *l)
{
  g_return_val_if_fail (l != NULL, 0);
  return l->group_size;
}

const char *
sm_llama2c_get_path (SmLlama2c *l)
{
  g_return_val_if_fail (l != NULL, NULL);
  return l->path;
}

gsize
sm_llama2c_n_tensors (SmLlama2c *l)
{
  g_return_val_if_fail (l != NULL, 0);
  return l->entries->len;
}

const char *
sm_llama2c_tensor_name (SmLlama2c *l, gsize index)
{
  g_return_val_if_fail (l != NULL, NULL);
  g_return_val_if_fail (index < l->entries->len, NULL);
  return ((Entry *) g_ptr_array_index (l->entries, index))->name;
}

/* Version 2: w[i] = q[i] * scale[i / group_size], as llama2.c's runq.c dequantizes. */
static SmTensor *
dequantize (SmLlama2c *l, const Entry *e)
{
  SmTensor *t = sm_tensor_new (NULL, SM_DTYPE_F32, e->n_dims, e->shape);
  float *out = sm_tensor_f32 (t);
  const gint8 *q = (const gint8 *) (l->base + e->offset);
  const guint8 *s = l->base + e->scale_offset;
  gsize gs = l->group_size;

  for (gint64 g = 0; g < e->n_elems / (gint64) gs; g++)
    {
      float scale;
      memcpy (&scale, s + 4 * g, 4);   /* the scales follow int8 data: unaligned */
      for (gsize i = 0; i < gs; i++)
        out[g * gs + i] = (float) q[g * gs + i] * scale;
    }
  return t;
}

SmTensor *
sm_llama2c_get_tensor (SmLlama2c *l, const char *name, GError **error)
{
  const Entry *e;
  const guint8 *data;

  g_return_val_if_fail (l != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  e = g_hash_table_lookup (l->by_name, name);
  if (e == NULL)
    {
      g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_NOT_FOUND,
                   "llama2.c checkpoint has no tensor '%s'", name);
      return NULL;
    }
  if (e->quantized)
    return dequantize (l, e);

  data = l->base + e->offset;
  /* Files are mapped page-aligned and every array starts at a multiple of 4; only bytes
   * handed in at an odd address can break this. */
  if ((guintptr) data % 4 != 0)
    {
      g_set_error (error, SM_LLAMA2C_ERROR, SM_LLAMA2C_ERROR_FORMAT,
                   "llama2.c tensor '%s' at offset %" G_GUINT64_FORMAT " is not 4-byte aligned "
                   "in memory", name, e->offset);
      return NULL;
    }
  return sm_tensor_new_borrowed (SM_DTYPE_F32, e->n_dims, e->shape, (gpointer) data,
                                 (GDestroyNotify) sm_llama2c_unref, sm_llama2c_ref (l));
}
