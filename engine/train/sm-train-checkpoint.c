/* sm-train-checkpoint.c: a training run saved and resumed: the model, the step, the
 * parameters and (optionally) the optimizer's moments, in a SmallMind checkpoint. */
#include "sm-json.h"
#include "sm-train-private.h"

/* ---- checkpoints --------------------------------------------------------------------------------- */

#define STATE_VERSION 1

/* 64-bit counters as decimal strings: JSON numbers stop being exact at 2^53. */
static void
set_u64 (JsonObject *o, const char *key, guint64 v)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
  json_object_set_string_member (o, key, buf);
}

static JsonObject *
params_to_json (const SmTrainParams *p)
{
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "batch_size", p->batch_size);
  json_object_set_int_member (o, "seq_len", p->seq_len);
  json_object_set_int_member (o, "grad_accum", p->grad_accum);
  json_object_set_int_member (o, "max_steps", p->max_steps);
  json_object_set_int_member (o, "warmup_steps", p->warmup_steps);
  /* floats go through double exactly, and json-glib prints doubles with 17 digits */
  json_object_set_double_member (o, "lr", sm_json_double (p->lr));
  json_object_set_double_member (o, "min_lr", sm_json_double (p->min_lr));
  json_object_set_double_member (o, "beta1", sm_json_double (p->beta1));
  json_object_set_double_member (o, "beta2", sm_json_double (p->beta2));
  json_object_set_double_member (o, "eps", sm_json_double (p->eps));
  json_object_set_double_member (o, "weight_decay", sm_json_double (p->weight_decay));
  json_object_set_double_member (o, "grad_clip", sm_json_double (p->grad_clip));
  set_u64 (o, "seed", p->seed);
  return o;
}

static gboolean
json_int (JsonObject *o, const char *key, gint64 lo, gint64 hi, gint64 *out, GError **error)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64 ||
      json_node_get_int (n) < lo || json_node_get_int (n) > hi)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "The checkpoint's training state lacks a valid '%s'", key);
      return FALSE;
    }
  *out = json_node_get_int (n);
  return TRUE;
}

static gboolean
json_float (JsonObject *o, const char *key, float *out, GError **error)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) ||
      (json_node_get_value_type (n) != G_TYPE_DOUBLE && json_node_get_value_type (n) != G_TYPE_INT64))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "The checkpoint's training state lacks the number '%s'", key);
      return FALSE;
    }
  *out = (float) json_node_get_double (n);
  return TRUE;
}

static gboolean
json_u64 (JsonObject *o, const char *key, guint64 *out, GError **error)
{
  const char *s = member_string (o, key);

  if (s == NULL || !g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT64, out, NULL))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "The checkpoint's training state lacks a valid '%s'", key);
      return FALSE;
    }
  return TRUE;
}

static gboolean
params_from_json (JsonObject *o, SmTrainParams *p, GError **error)
{
  gint64 v[5];

  if (o == NULL)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "The checkpoint's training state lacks its settings");
      return FALSE;
    }
  if (!json_int (o, "batch_size", 1, G_MAXINT, &v[0], error) ||
      !json_int (o, "seq_len", 1, G_MAXINT, &v[1], error) ||
      !json_int (o, "grad_accum", 1, G_MAXINT, &v[2], error) ||
      !json_int (o, "max_steps", 1, G_MAXINT, &v[3], error) ||
      !json_int (o, "warmup_steps", 0, G_MAXINT, &v[4], error) ||
      !json_float (o, "lr", &p->lr, error) || !json_float (o, "min_lr", &p->min_lr, error) ||
      !json_float (o, "beta1", &p->beta1, error) || !json_float (o, "beta2", &p->beta2, error) ||
      !json_float (o, "eps", &p->eps, error) ||
      !json_float (o, "weight_decay", &p->weight_decay, error) ||
      !json_float (o, "grad_clip", &p->grad_clip, error) ||
      !json_u64 (o, "seed", &p->seed, error))
    return FALSE;
  p->batch_size = (int) v[0];
  p->seq_len = (int) v[1];
  p->grad_accum = (int) v[2];
  p->max_steps = (int) v[3];
  p->warmup_steps = (int) v[4];
  return sm_train_params_validate (p, error);
}

static char *
moment_name (const char *which, const char *tensor)
{
  return g_strdup_printf ("adamw.%s.%s", which, tensor);
}

/* A borrowed view of slot @s in the flat array @flat. */
static SmTensor *
slot_view (SmTensor *flat, const Slot *s)
{
  return sm_tensor_new_borrowed (SM_DTYPE_F32, s->n_dims, s->shape, sm_tensor_f32 (flat) + s->offset,
                                 unref_tensor, sm_tensor_ref (flat));
}

gboolean
sm_trainer_save (SmTrainer *t, const char *path, gboolean with_optimizer, GError **error)
{
  g_autoptr (JsonObject) extra = json_object_new ();
  JsonObject *state = json_object_new ();
  g_autofree char *tmp = NULL;
  g_autoptr (SmCheckpoint) ck = NULL;
  g_autoptr (SmCheckpointWriter) w = NULL;
  gboolean ok;

  g_return_val_if_fail (path != NULL, FALSE);

  json_object_set_int_member (state, "version", STATE_VERSION);
  json_object_set_int_member (state, "step", t->step);
  set_u64 (state, "tokens_seen", t->tokens_seen);
  set_u64 (state, "rng", t->rng);
  json_object_set_boolean_member (state, "optimizer_state", with_optimizer);
  json_object_set_string_member (state, "optimizer", "adamw");
  /* Bit-exact continuation also needs the same split of the work; recorded, not enforced. */
  json_object_set_int_member (state, "threads", sm_threads_get_count ());
  json_object_set_string_member (state, "kernels", sm_kernel_level_to_string (sm_kernels_get_level ()));
  json_object_set_object_member (state, "params", params_to_json (&t->p));
  json_object_set_object_member (extra, "training", state);
  json_object_set_object_member (extra, "run", json_object_ref (t->run_info));

  if (!with_optimizer)
    return sm_model_save_checkpoint (t->model, path, extra, error);

  /* The model's own writer sets the format's metadata; its file is then re-written with the
   * moments added, in one atomic write, so model and optimizer can never disagree.  The
   * intermediate goes to the temporary folder: a failure to write @path names @path. */
  {
    int fd = g_file_open_tmp ("smallmind-XXXXXX.smck", &tmp, error);
    if (fd < 0)
      return FALSE;
    close (fd);
  }
  if (!sm_model_save_checkpoint (t->model, tmp, extra, error))
    {
      g_unlink (tmp);
      return FALSE;
    }
  ck = sm_checkpoint_open (tmp, error);
  if (ck == NULL)
    {
      g_unlink (tmp);
      return FALSE;
    }
  w = sm_checkpoint_writer_new ();
  sm_checkpoint_writer_set_metadata (w, sm_checkpoint_get_metadata (ck));
  for (gsize i = 0; i < sm_checkpoint_n_tensors (ck); i++)
    {
      const SmCheckpointTensorInfo *info = sm_checkpoint_tensor_info (ck, i);
      g_autoptr (SmTensor) tensor = sm_checkpoint_get_tensor (ck, info->name, NULL);
      g_assert (tensor != NULL);
      sm_checkpoint_writer_add_tensor (w, info->name, tensor);
    }
  for (guint i = 0; i < t->slots->len; i++)
    {
      const Slot *s = g_ptr_array_index (t->slots, i);
      g_autofree char *mn = moment_name ("m", s->name), *vn = moment_name ("v", s->name);
      g_autoptr (SmTensor) mt = slot_view (t->m, s);
      g_autoptr (SmTensor) vt = slot_view (t->v, s);
      sm_checkpoint_writer_add_tensor (w, mn, mt);
      sm_checkpoint_writer_add_tensor (w, vn, vt);
    }
  ok = sm_checkpoint_writer_write (w, path, error);
  g_clear_pointer (&w, sm_checkpoint_writer_free);
  g_clear_pointer (&ck, sm_checkpoint_unref);
  g_unlink (tmp);
  return ok;
}

SmTrainer *
sm_trainer_resume (const char *path, GError **error)
{
  g_autoptr (SmModel) model = NULL;
  g_autoptr (SmCheckpoint) ck = NULL;
  g_autoptr (SmTrainer) t = NULL;
  JsonObject *meta, *extra, *state, *run;
  SmTrainParams p;
  gint64 step, version;
  guint64 tokens_seen, rng;

  g_return_val_if_fail (path != NULL, NULL);

  model = sm_model_load (path, NULL, error);
  if (model == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  ck = sm_checkpoint_open (path, error);
  if (ck == NULL)
    return NULL;

  meta = sm_checkpoint_get_metadata (ck);
  extra = member_object (meta, "extra");
  state = member_object (extra, "training");
  if (state == NULL)
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "%s holds a model but no training state to resume (start a new run from its "
                   "weights instead)", path);
      return NULL;
    }
  if (!json_int (state, "version", 1, STATE_VERSION, &version, error) ||
      !json_int (state, "step", 0, G_MAXINT, &step, error) ||
      !json_u64 (state, "tokens_seen", &tokens_seen, error) ||
      !json_u64 (state, "rng", &rng, error) ||
      !params_from_json (member_object (state, "params"), &p, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  JsonNode *has_opt = json_object_get_member (state, "optimizer_state");
  if (has_opt == NULL || !JSON_NODE_HOLDS_VALUE (has_opt) ||
      json_node_get_value_type (has_opt) != G_TYPE_BOOLEAN || !json_node_get_boolean (has_opt))
    {
      g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                   "%s was saved without its optimizer state, so the run cannot be resumed "
                   "exactly (start a new run from its weights instead)", path);
      return NULL;
    }

  t = sm_trainer_alloc (model, &p, error);
  if (t == NULL)
    return NULL;
  for (guint i = 0; i < t->slots->len; i++)
    {
      const Slot *s = g_ptr_array_index (t->slots, i);
      for (int k = 0; k < 2; k++)
        {
          g_autofree char *name = moment_name (k ? "v" : "m", s->name);
          g_autoptr (SmTensor) mt = sm_checkpoint_get_tensor (ck, name, error);

          if (mt == NULL)
            return NULL;
          if (mt->dtype != SM_DTYPE_F32 || (gsize) sm_tensor_n_elements (mt) != s->n)
            {
              g_set_error (error, SM_TRAIN_ERROR, SM_TRAIN_ERROR_CHECKPOINT,
                           "%s: optimizer tensor '%s' does not match its weights", path, name);
              return NULL;
            }
          memcpy (sm_tensor_f32 (k ? t->v : t->m) + s->offset, sm_tensor_f32 (mt), s->n * sizeof (float));
        }
    }
  t->step = (int) step;
  t->tokens_seen = tokens_seen;
  t->rng = rng;
  run = member_object (extra, "run");
  if (run)
    {
      /* A deep copy through text: the checkpoint's metadata is not ours to change. */
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), run);
      g_autofree char *text = sm_json_to_string (node, FALSE);
      g_autoptr (JsonNode) copy = json_from_string (text, NULL);
      if (copy && JSON_NODE_HOLDS_OBJECT (copy))
        {
          g_clear_pointer (&t->run_info, json_object_unref);
          t->run_info = json_node_dup_object (copy);
        }
    }
  return g_steal_pointer (&t);
}
