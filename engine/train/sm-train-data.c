/* sm-train-data.c: the token data a trainer reads: a text or files tokenized once, split
 * into training and validation, checked against the trainer's vocabulary. */
#include "sm-train-private.h"

/* ---- data ---------------------------------------------------------------------------------------- */

SmTrainData *
sm_train_data_new (SmTokenizer *tok, const char *text, gssize len, const char *what,
                   GError **error)
{
  g_autoptr (SmTrainData) d = NULL;
  const char *end = NULL;

  g_return_val_if_fail (tok != NULL && text != NULL, NULL);
  if (len < 0)
    len = (gssize) strlen (text);
  if (what == NULL)
    what = "The training text";
  if (len == 0)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA, "%s is empty", what);
      return NULL;
    }
  if (!g_utf8_validate (text, len, &end))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                   "%s is not valid UTF-8 text (bad byte 0x%02x at offset %" G_GSIZE_FORMAT ")",
                   what, (guint8) *end, (gsize) (end - text));
      return NULL;
    }

  d = g_new0 (SmTrainData, 1);
  d->tok = sm_tokenizer_ref (tok);
  d->tokens = g_array_sized_new (FALSE, FALSE, sizeof (gint32), len);
  d->n_bytes = len;
  d->name = g_strdup (what);
  if (!sm_tokenizer_encode (tok, text, len, FALSE, d->tokens, error))
    return NULL;
  return g_steal_pointer (&d);
}

SmTrainData *
sm_train_data_new_from_files (SmTokenizer *tok, const char *const *paths, GError **error)
{
  g_autoptr (SmTrainData) all = NULL;

  g_return_val_if_fail (tok != NULL && paths != NULL, NULL);
  if (paths[0] == NULL)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA, "No training text given");
      return NULL;
    }
  for (int i = 0; paths[i]; i++)
    {
      g_autofree char *text = NULL;
      gsize len = 0;
      g_autoptr (SmTrainData) one = NULL;

      if (!g_file_get_contents (paths[i], &text, &len, error))
        return NULL;
      one = sm_train_data_new (tok, text, len, paths[i], error);
      if (one == NULL)
        return NULL;
      if (all == NULL)
        all = g_steal_pointer (&one);
      else
        {
          g_array_append_vals (all->tokens, one->tokens->data, one->tokens->len);
          all->n_bytes += one->n_bytes;
          g_free (all->name);
          all->name = g_strdup_printf ("%d files", i + 1);
        }
    }
  return g_steal_pointer (&all);
}

SmTrainData *
sm_train_data_split (SmTrainData *data, double fraction)
{
  SmTrainData *held;
  guint n = data->tokens->len;
  guint keep;

  g_return_val_if_fail (fraction > 0.0 && fraction < 1.0, NULL);
  keep = n - (guint) (n * fraction);
  held = g_new0 (SmTrainData, 1);
  held->tok = sm_tokenizer_ref (data->tok);
  held->tokens = g_array_sized_new (FALSE, FALSE, sizeof (gint32), n - keep);
  g_array_append_vals (held->tokens, &g_array_index (data->tokens, gint32, keep), n - keep);
  held->name = g_strdup_printf ("the last %.0f%% of %s", fraction * 100.0, data->name);
  /* Bytes split in proportion: only used to report bits per byte, recomputed from tokens. */
  held->n_bytes = (gsize) ((double) data->n_bytes * (n - keep) / MAX (n, 1));
  data->n_bytes -= held->n_bytes;
  g_array_set_size (data->tokens, keep);
  return held;
}

void
sm_train_data_free (SmTrainData *d)
{
  if (d == NULL)
    return;
  g_clear_pointer (&d->tok, sm_tokenizer_unref);
  if (d->tokens)
    g_array_unref (d->tokens);
  g_free (d->name);
  g_free (d);
}

const gint32 *
sm_train_data_get_tokens (SmTrainData *d, gsize *n)
{
  if (n)
    *n = d->tokens->len;
  return (const gint32 *) d->tokens->data;
}

gsize
sm_train_data_n_bytes (SmTrainData *d)
{
  return d->n_bytes;
}

const char *
sm_train_data_get_name (SmTrainData *d)
{
  return d->name;
}

gboolean
sm_trainer_check_data (SmTrainer *t, SmTrainData *d, GError **error)
{
  const gsize need = (gsize) t->p.seq_len + 1;

  if (d->tokens->len < need)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                   "%s is too small for the context: %u tokens, but a context of %d needs at "
                   "least %" G_GSIZE_FORMAT, d->name, d->tokens->len, t->p.seq_len, need);
      return FALSE;
    }
  if (sm_tokenizer_n_vocab (d->tok) > t->c.vocab_size)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_DATA,
                   "%s was tokenized into %d ids but the model's vocabulary has %d",
                   d->name, sm_tokenizer_n_vocab (d->tok), t->c.vocab_size);
      return FALSE;
    }
  return TRUE;
}
