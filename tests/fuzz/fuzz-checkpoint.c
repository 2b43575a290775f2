/* fuzz-checkpoint.c: libFuzzer target for SmallMind's checkpoint (.smck), from the reader to
 * the model.  The reader checks a SHA-256 over the whole file before it parses the metadata,
 * which a mutated input would never pass: so the harness writes the input's own size and
 * digest into its header (offsets 8 and 64, sm-checkpoint.h's layout) and fuzzes what lies
 * behind them.  The size and digest checks themselves are tested in test-checkpoint. */
#include "sm-fuzz.h"

#include <string.h>

#include "sm-checkpoint.h"
#include "sm-model.h"

#define HEADER_BYTES  128
#define DIGEST_OFFSET 64
#define DIGEST_BYTES  32

static void
seal (guint8 *h, gsize size)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint64 le = GUINT64_TO_LE ((guint64) size);
  gsize len = DIGEST_BYTES;

  memcpy (h + 8, &le, sizeof le);
  memset (h + DIGEST_OFFSET, 0, DIGEST_BYTES);
  g_checksum_update (sum, h, (gssize) size);
  g_checksum_get_digest (sum, h + DIGEST_OFFSET, &len);
}

static void
exercise_model (const guint8 *data, gsize size)
{
  char *path = sm_fuzz_write_file (data, size, ".smck");
  g_autoptr (GError) error = NULL;
  SmModel *model = sm_model_load (path, NULL, &error);

  g_assert ((model == NULL) != (error == NULL));
  if (model != NULL)
    {
      g_assert (sm_model_get_config (model)->vocab_size >=
                sm_tokenizer_n_vocab (sm_model_get_tokenizer (model)));
      g_assert (g_utf8_validate (sm_model_get_name (model), -1, NULL));
      sm_model_unref (model);
    }
  sm_fuzz_remove_file (path);
}

int
SM_FUZZ_ENTRY (checkpoint) (const uint8_t *data, size_t size)
{
  /* a copy of exactly the input's size, so ASan still sees any read past its end */
  g_autofree guint8 *copy = g_memdup2 (data, MAX (size, 1));
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SmCheckpoint) ck = NULL;

  if (size >= HEADER_BYTES)
    seal (copy, size);
  bytes = g_bytes_new_static (copy, size);
  ck = sm_checkpoint_new_from_bytes (bytes, &error);
  if (ck == NULL)
    {
      g_assert (error != NULL && error->domain == SM_CHECKPOINT_ERROR);
      return 0;
    }
  g_assert (strlen (sm_checkpoint_get_checksum (ck)) == 2 * DIGEST_BYTES);
  g_assert (sm_checkpoint_get_metadata (ck) != NULL);
  for (gsize i = 0; i < sm_checkpoint_n_tensors (ck); i++)
    {
      const SmCheckpointTensorInfo *ti = sm_checkpoint_tensor_info (ck, i);
      g_autoptr (GError) e = NULL;
      g_autoptr (SmTensor) t = NULL;
      volatile guint8 sink;

      g_assert (sm_checkpoint_find_tensor (ck, ti->name) == ti);
      g_assert (ti->n_dims >= 1 && ti->n_dims <= 4);
      if (ti->n_bytes > 0)
        {
          sink = ((const guint8 *) ti->data)[0] ^ ((const guint8 *) ti->data)[ti->n_bytes - 1];
          (void) sink;
        }
      t = sm_checkpoint_get_tensor (ck, ti->name, &e);
      g_assert ((t == NULL) != (e == NULL));
      if (t != NULL)
        g_assert (sm_tensor_n_bytes (t) == ti->n_bytes);
    }
  exercise_model (copy, size);
  return 0;
}
