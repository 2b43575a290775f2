/* sm-cli-train.c: `smallmind-cli train`: a SmallMind model trained on a corpus (after
 * make-corpus and train-tokenizer, which have files of their own; tools/build-models runs the
 * three in order).
 *
 * `train` runs one optimizer step per main-loop iteration, so Ctrl+C (SIGINT, SIGTERM) lands
 * between steps: the run saves a resumable checkpoint and stops.  Progress goes to stderr, a
 * redrawn bar on a terminal and one line per --log-every steps otherwise (logs of nohup runs).
 */
#include "sm-atomic-file.h"
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-corpus.h"
#include "sm-generate.h"
#include "sm-session.h"
#include "sm-snapshot.h"
#include "sm-threads.h"
#include "sm-train.h"

#include <glib-unix.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- train ------------------------------------------------------------------------------------ */

typedef struct {
  /* options */
  int       steps, batch, context, accum, warmup, eval_every, eval_windows, save_every;
  int       log_every, sample_every, sample_tokens;
  double    lr, min_lr, weight_decay, clip;
  int       dim, layers, heads, hidden, vocab;
  char     *bpe, *valid_path, *output, *checkpoint, *resume, *name, *prompt, *snapshot;
  gboolean  profile, eval_only;
  /* the run */
  SmTrainer    *trainer;
  SmTrainData  *train, *valid;
  SmProfiler   *prof[3];     /* forward, backward, optimizer; one shared with --snapshot */
  GMainLoop    *loop;
  gboolean      tty, interrupted;
  int           status;
  gint64        t0;          /* when this session's first step started */
  gint64        last_draw;   /* of the progress bar */
  int           step0;       /* steps done before it (resume) */
  gint64        time_before; /* training microseconds of earlier sessions */
  double        loss_sum;    /* since the last evaluation */
  int           loss_n;
  double        last_loss;
  double        bytes_per_token;   /* of the training data, for bits per byte */
  JsonArray    *history;     /* transfer none: inside the run info */
} Train;

static double
to_bpb (double nats_per_token, double bytes_per_token)
{
  return nats_per_token / (bytes_per_token * G_LN2);
}

static char *
format_duration (double s)
{
  if (!isfinite (s) || s < 0)
    return g_strdup ("?");
  if (s < 60)
    return g_strdup_printf ("%.0fs", s);
  if (s < 3600)
    return g_strdup_printf ("%dm%02ds", (int) s / 60, (int) s % 60);
  return g_strdup_printf ("%dh%02dm", (int) s / 3600, ((int) s % 3600) / 60);
}

static double
elapsed_s (Train *t)
{
  return (g_get_monotonic_time () - t->t0) / 1e6;
}

static void
progress (Train *t, const SmTrainStepInfo *info)
{
  const int total = sm_trainer_get_params (t->trainer)->max_steps;
  const int done = info->step - t->step0;
  const double secs = elapsed_s (t);
  const double tps = secs > 0 ? (double) done * info->tokens / secs : 0.0;
  g_autofree char *eta = format_duration (secs / MAX (done, 1) * (total - info->step));

  if (t->tty)
    {
      const int width = 24;
      const gint64 now = g_get_monotonic_time ();

      /* a tiny model steps thousands of times a second: redraw ten times a second at most */
      if (now - t->last_draw < G_USEC_PER_SEC / 10 && info->step < total)
        return;
      t->last_draw = now;
      int fill = (int) ((double) info->step / total * width);
      char bar[64];
      for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
      bar[width] = '\0';
      fprintf (stderr, "\r[%s] step %d/%d  loss %.3f  lr %.2e  %.0f tok/s  ETA %s   ",
               bar, info->step, total, info->loss, info->lr, tps, eta);
      fflush (stderr);
    }
  else if (info->step % t->log_every == 0 || info->step == total)
    fprintf (stderr, "step %d/%d  loss %.4f  lr %.3e  grad norm %.3f  %.0f tok/s  ETA %s\n",
             info->step, total, info->loss, info->lr, info->grad_norm, tps, eta);
}

static void
end_line (Train *t)
{
  if (t->tty)
    fputc ('\n', stderr);
}

static gboolean
save_checkpoint (Train *t, GError **error)
{
  JsonObject *run = sm_trainer_get_run_info (t->trainer);
  gint64 train_us = t->time_before + (g_get_monotonic_time () - t->t0);

  json_object_set_double_member (run, "train_seconds", train_us / 1e6);
  return sm_trainer_save (t->trainer, t->checkpoint, TRUE, error);
}

/* A continuation of the prompt by the model as it is now. */
static void
on_sample_text (const char *text, gsize len, gpointer user)
{
  g_string_append_len (user, text, len);
}

static char *
sample (Train *t, const char *prompt, int n_tokens, float temperature, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmSession) s = sm_session_new (sm_trainer_get_model (t->trainer), NULL, 0, &error);
  g_autoptr (GString) out = g_string_new (prompt);
  SmGenerateParams params;
  SmGenerateCallbacks cb = { .text = on_sample_text, .user = out };
  SmGenerateStats stats;

  if (s == NULL)
    return g_strdup_printf ("(no sample: %s)", error->message);
  sm_generate_params_init (&params);
  params.max_tokens = n_tokens;
  params.sampling.temperature = temperature;
  params.sampling.seed = seed;
  if (!sm_generate (s, prompt, &params, &cb, NULL, &stats, &error))
    return g_strdup_printf ("(no sample: %s)", error->message);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
evaluate (Train *t, int step, gboolean final)
{
  g_autoptr (GError) error = NULL;
  SmTrainEval ev;
  JsonObject *h = json_object_new ();
  double train_loss = t->loss_n ? t->loss_sum / t->loss_n : t->last_loss;
  gint64 t_eval = g_get_monotonic_time ();
  gboolean ok;

  /* evaluation forwards would blur the training profile */
  sm_trainer_set_profilers (t->trainer, NULL, NULL, NULL);
  ok = sm_trainer_evaluate (t->trainer, t->valid, final ? 0 : t->eval_windows, &ev, &error);
  sm_trainer_set_profilers (t->trainer, t->prof[0], t->prof[1], t->prof[2]);
  if (!ok)
    {
      end_line (t);
      fprintf (stderr, "smallmind-cli train: %s\n", error->message);
      json_object_unref (h);
      return FALSE;
    }
  /* evaluation is not training time */
  t->t0 += g_get_monotonic_time () - t_eval;
  end_line (t);
  /* The train figure is the mean over the steps since the last evaluation (the first one's
   * includes the untrained start), so say which steps. */
  fprintf (stderr, "step %d: train loss %.4f (%.3f bits/byte, mean of steps %d-%d)  validation loss %.4f (%.3f bits/byte)%s\n",
           step, train_loss, to_bpb (train_loss, t->bytes_per_token), step - MAX (t->loss_n, 1) + 1, step,
           ev.loss, ev.bits_per_byte, final ? " on the whole split" : "");
  json_object_set_int_member (h, "step", step);
  json_object_set_double_member (h, "train_loss", train_loss);
  json_object_set_double_member (h, "valid_loss", ev.loss);
  json_object_set_double_member (h, "valid_bpb", ev.bits_per_byte);
  json_array_add_object_element (t->history, h);
  if (final)
    {
      JsonObject *run = sm_trainer_get_run_info (t->trainer);
      json_object_set_double_member (run, "final_valid_loss", ev.loss);
      json_object_set_double_member (run, "final_valid_bpb", ev.bits_per_byte);
    }
  t->loss_sum = 0.0;
  t->loss_n = 0;

  if (t->sample_every > 0 && (final || step % t->sample_every == 0))
    {
      g_autofree char *text = sample (t, t->prompt, t->sample_tokens, 0.8f, 42);
      fprintf (stderr, "sample: %s\n", text);
    }
  return TRUE;
}

static void
print_profile (Train *t, gboolean full)
{
  static const char *const phase[3] = { "forward", "backward", "optimizer" };
  const int n_prof = t->prof[0] == t->prof[1] ? 1 : 3;
  SmOpStats ops[3][SM_N_OPS];
  double total = 0.0, matmul = 0.0, per_phase[3] = { 0 };

  for (int p = 0; p < n_prof; p++)
    {
      sm_profiler_flush (t->prof[p]);
      sm_profiler_get_ops (t->prof[p], ops[p]);
      for (int o = 0; o < SM_N_OPS; o++)
        {
          per_phase[p] += ops[p][o].ns;
          if (o == SM_OP_MATMUL)
            matmul += ops[p][o].ns;
        }
      total += per_phase[p];
    }
  if (total <= 0)
    return;
  if (n_prof == 1)
    {
      /* one profiler: the phases are its top-level scopes */
      g_autoptr (GArray) scopes = sm_profiler_copy_scopes (t->prof[0]);
      double scoped = 0.0;

      per_phase[0] = 0.0;
      for (guint i = 0; i < scopes->len; i++)
        {
          const SmScopeStats *sc = &g_array_index (scopes, SmScopeStats, i);
          for (int p = 0; sc->depth == 0 && p < 3; p++)
            if (strcmp (sc->name, phase[p]) == 0)
              {
                per_phase[p] = sc->total_ns;
                scoped += sc->total_ns;
              }
        }
      for (int p = 0; p < 3; p++)
        per_phase[p] *= scoped > 0 ? total / scoped : 0.0;
    }
  fprintf (stderr, "time per phase: forward %.1f%%, backward %.1f%%, optimizer %.1f%%; matmul %.1f%% of all\n",
           100 * per_phase[0] / total, 100 * per_phase[1] / total, 100 * per_phase[2] / total,
           100 * matmul / total);
  if (!full)
    return;
  fprintf (stderr, "%-10s %-10s %12s %8s %10s %10s\n", "phase", "op", "ms", "share", "calls", "GFLOP/s");
  for (int p = 0; p < n_prof; p++)
    for (int o = 0; o < SM_N_OPS; o++)
      if (ops[p][o].count > 0)
        fprintf (stderr, "%-10s %-10s %12.1f %7.1f%% %10" G_GUINT64_FORMAT " %10.2f\n",
                 n_prof == 1 ? "all" : phase[p], p == 2 && o == SM_OP_ADD ? "adamw" : sm_op_kind_name (o),
                 ops[p][o].ns / 1e6, 100 * ops[p][o].ns / total, ops[p][o].count,
                 ops[p][o].ns > 0 ? ops[p][o].flops / ops[p][o].ns : 0.0);
}

static gboolean
on_signal (gpointer data)
{
  Train *t = data;
  t->interrupted = TRUE;
  return G_SOURCE_CONTINUE;
}

/* The run's profile as a snapshot (sm-snapshot.h), for `smallmind-cli compare` and the exports:
 * scopes forward / backward / optimizer, the per-op table, and the run's figures. */
static gboolean
write_snapshot (Train *t, double secs, GError **error)
{
  g_autoptr (SmSnapshot) snap = sm_snapshot_new ("train");
  g_autofree char *json = NULL;
  gsize len;
  JsonObject *run = sm_trainer_get_run_info (t->trainer);

  sm_snapshot_capture (snap, t->prof[0]);
  sm_snapshot_capture_config (snap, TRUE);
  sm_snapshot_add_model (snap, sm_trainer_get_model (t->trainer));
  sm_measurement_add (sm_snapshot_measurement (snap, "train_tok_s", "tok/s"),
                      secs > 0 ? sm_trainer_get_tokens_seen (t->trainer) / secs : 0.0);
  sm_measurement_add (sm_snapshot_measurement (snap, "train_steps", "steps"), sm_trainer_get_step (t->trainer));
  sm_measurement_add (sm_snapshot_measurement (snap, "train_loss_final", "nats/token"), t->last_loss);
  if (json_object_has_member (run, "final_valid_bpb"))
    sm_measurement_add (sm_snapshot_measurement (snap, "valid_bpb", "bits/byte"),
                        json_object_get_double_member (run, "final_valid_bpb"));
  json = sm_snapshot_to_json (snap, &len);
  if (!sm_atomic_file_set_contents (t->snapshot, json, (gssize) len, error))
    return FALSE;
  fprintf (stderr, "profile snapshot: %s\n", t->snapshot);
  return TRUE;
}

static gboolean
finish (Train *t)
{
  g_autoptr (GError) error = NULL;
  JsonObject *run = sm_trainer_get_run_info (t->trainer);
  const int step = sm_trainer_get_step (t->trainer);
  double secs = (t->time_before + (g_get_monotonic_time () - t->t0)) / 1e6;
  g_autofree char *took = NULL;

  if (!evaluate (t, step, TRUE))
    return FALSE;
  if (!save_checkpoint (t, &error))
    {
      fprintf (stderr, "smallmind-cli train: %s\n", error->message);
      return FALSE;
    }
  json_object_set_int_member (run, "steps", step);
  json_object_set_double_member (run, "final_train_loss", t->last_loss);
  if (!sm_trainer_save (t->trainer, t->output, FALSE, &error))
    {
      fprintf (stderr, "smallmind-cli train: %s\n", error->message);
      return FALSE;
    }
  took = format_duration (secs);
  fprintf (stderr, "done: %d steps, %" G_GUINT64_FORMAT " tokens in %s of training (%.0f tokens/s, %d thread(s), %s kernels)\n",
           step, sm_trainer_get_tokens_seen (t->trainer), took,
           secs > 0 ? sm_trainer_get_tokens_seen (t->trainer) / secs : 0.0, sm_threads_get_count (),
           sm_kernels ()->name);
  print_profile (t, t->profile);
  if (t->snapshot && !write_snapshot (t, secs, &error))
    {
      fprintf (stderr, "smallmind-cli train: %s\n", error->message);
      return FALSE;
    }
  fprintf (stderr, "model: %s  (resumable checkpoint: %s)\n", t->output, t->checkpoint);
  return TRUE;
}

static gboolean
train_one (gpointer data)
{
  Train *t = data;
  g_autoptr (GError) error = NULL;
  SmTrainStepInfo info;
  const int max_steps = sm_trainer_get_params (t->trainer)->max_steps;

  if (t->interrupted)
    {
      end_line (t);
      if (!save_checkpoint (t, &error))
        {
          fprintf (stderr, "smallmind-cli train: interrupted, and the checkpoint could not be saved: %s\n",
                   error->message);
          t->status = 1;
        }
      else
        {
          fprintf (stderr, "interrupted at step %d; checkpoint saved to %s\n"
                   "continue with: smallmind-cli train --resume %s [CORPUS ...]\n",
                   sm_trainer_get_step (t->trainer), t->checkpoint, t->checkpoint);
          t->status = 130;
        }
      g_main_loop_quit (t->loop);
      return G_SOURCE_REMOVE;
    }
  if (sm_trainer_get_step (t->trainer) >= max_steps)
    {
      t->status = finish (t) ? 0 : 1;
      g_main_loop_quit (t->loop);
      return G_SOURCE_REMOVE;
    }

  if (!sm_trainer_step (t->trainer, t->train, &info, &error))
    {
      end_line (t);
      fprintf (stderr, "smallmind-cli train: %s\n", error->message);
      t->status = 1;
      g_main_loop_quit (t->loop);
      return G_SOURCE_REMOVE;
    }
  t->last_loss = info.loss;
  t->loss_sum += info.loss;
  t->loss_n++;
  progress (t, &info);

  if (t->eval_every > 0 && info.step % t->eval_every == 0 && info.step < max_steps &&
      !evaluate (t, info.step, FALSE))
    {
      t->status = 1;
      g_main_loop_quit (t->loop);
      return G_SOURCE_REMOVE;
    }
  if (t->save_every > 0 && info.step % t->save_every == 0 && info.step < max_steps)
    {
      if (!save_checkpoint (t, &error))
        {
          end_line (t);
          fprintf (stderr, "smallmind-cli train: %s\n", error->message);
          t->status = 1;
          g_main_loop_quit (t->loop);
          return G_SOURCE_REMOVE;
        }
    }
  return G_SOURCE_CONTINUE;
}

/* --eval-only: the loss on the corpus (--eval-windows of it, spread evenly; 0: all) and on the
 * whole held-out text, as README reports them. */
static int
evaluate_only (Train *t, SmTrainer *trainer, SmTrainData *train, SmTrainData *valid)
{
  g_autoptr (GError) error = NULL;
  SmTrainEval et, ev;

  if (!sm_trainer_evaluate (trainer, train, t->eval_windows, &et, &error) ||
      !sm_trainer_evaluate (trainer, valid, 0, &ev, &error))
    return sm_cli_fail ("train", g_steal_pointer (&error));
  printf ("train loss %.4f nats/token, %.4f bits/byte over %" G_GSIZE_FORMAT " tokens\n",
          et.loss, et.bits_per_byte, et.tokens);
  printf ("validation loss %.4f nats/token, %.4f bits/byte over %" G_GSIZE_FORMAT " tokens\n",
          ev.loss, ev.bits_per_byte, ev.tokens);
  return 0;
}

/* The model to start from: a checkpoint's weights (-m), or a preset or custom shape with fresh
 * seeded weights. */
static SmModel *
initial_model (Train *t, SmCliModelOptions *mopts, SmTokenizer *tok, GError **error)
{
  SmPreset preset = SM_PRESET_SMALL;
  SmModelConfig c;
  const char *label;

  if (mopts->model_path)
    {
      if (t->dim || t->layers || t->heads || t->hidden || t->vocab || mopts->preset)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--model starts from that model's weights and shape; do not give a preset or shape too");
          return NULL;
        }
      SmModel *model = sm_model_load (mopts->model_path, mopts->tokenizer_path, error);
      if (model == NULL)
        g_prefix_error (error, "Cannot load %s: ", mopts->model_path);
      return model;
    }
  if (mopts->preset && !sm_preset_from_name (mopts->preset, &preset))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Unknown preset '%s' (use small or medium)", mopts->preset);
      return NULL;
    }
  sm_preset_config (preset, &c);
  label = t->name ? t->name : (preset == SM_PRESET_SMALL ? "SmallMind Small" : "SmallMind Medium");
  /* a custom shape is the preset with some sizes replaced */
  if (t->dim)
    c.dim = t->dim;
  if (t->layers)
    c.n_layers = t->layers;
  if (t->heads)
    c.n_heads = c.n_kv_heads = t->heads;
  c.hidden_dim = t->hidden ? t->hidden : 4 * c.dim;
  c.vocab_size = t->vocab ? t->vocab : MAX (c.vocab_size, sm_tokenizer_n_vocab (tok));
  c.context_length = MAX (c.context_length, t->context);
  c.head_dim = c.n_heads > 0 ? c.dim / c.n_heads : 0;
  if (c.n_heads <= 0 || c.dim % c.n_heads)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--dim (%d) must be a multiple of --heads (%d)", c.dim, c.n_heads);
      return NULL;
    }
  return sm_model_new_random (&c, tok, (guint64) mopts->seed, label, error);
}

static char *
default_checkpoint (const char *output)
{
  if (g_str_has_suffix (output, ".smck"))
    {
      g_autofree char *stem = g_strndup (output, strlen (output) - 5);
      return g_strconcat (stem, ".train.smck", NULL);
    }
  return g_strconcat (output, ".train.smck", NULL);
}

/* Whether the command line (before parsing) names option --@name (or -@short). */
static gboolean
given (char **args, const char *name, char short_name)
{
  g_autofree char *eq = g_strdup_printf ("--%s=", name);
  g_autofree char *plain = g_strdup_printf ("--%s", name);

  for (int i = 1; args[i] != NULL && strcmp (args[i], "--") != 0; i++)
    if (strcmp (args[i], plain) == 0 || g_str_has_prefix (args[i], eq) ||
        (short_name && args[i][0] == '-' && args[i][1] == short_name))
      return TRUE;
  return FALSE;
}

/* Refuses what cannot be meant: sizes below 1, a negative clip, and, with --resume, the
 * settings the checkpoint fixes (they used to be dropped without a word). */
static gboolean
check_options (Train *t, SmCliModelOptions *mopts, char **args, GError **error)
{
  static const struct { const char *name; char short_name; } fixed[] = {
    { "batch", 'b' }, { "context", 'c' }, { "accum", 0 }, { "lr", 0 }, { "min-lr", 0 },
    { "warmup", 0 }, { "weight-decay", 0 }, { "clip", 0 }, { "dim", 0 }, { "layers", 0 },
    { "heads", 0 }, { "hidden", 0 }, { "vocab", 0 }, { "bpe", 0 }, { "preset", 0 },
    { "model", 'm' }, { "name", 0 },
  };
  const struct { const char *name; char short_name; int value; } sizes[] = {
    { "steps", 'n', t->steps }, { "batch", 'b', t->batch }, { "context", 'c', t->context },
    { "accum", 0, t->accum }, { "dim", 0, t->dim }, { "layers", 0, t->layers },
    { "heads", 0, t->heads }, { "hidden", 0, t->hidden }, { "vocab", 0, t->vocab },
  };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (given (args, sizes[i].name, sizes[i].short_name) && sizes[i].value < 1)
      {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--%s must be 1 or more (it is %d)", sizes[i].name, sizes[i].value);
        return FALSE;
      }
  if (!(t->clip >= 0) || !(t->weight_decay >= 0) || !(t->lr > 0) ||
      (given (args, "min-lr", 0) && !(t->min_lr >= 0)) || (given (args, "warmup", 0) && t->warmup < 0))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--clip, --weight-decay, --min-lr and --warmup must be 0 or more, --lr above 0");
      return FALSE;
    }
  if (t->eval_only && t->resume == NULL && mopts->model_path == NULL)
    {
      /* a fresh model's loss is ln(vocab) and says nothing */
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--eval-only measures a trained model: give it with -m or --resume");
      return FALSE;
    }
  if (t->resume != NULL && !t->eval_only)
    {
      g_autoptr (GString) named = g_string_new (NULL);
      for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
        if (given (args, fixed[i].name, fixed[i].short_name))
          g_string_append_printf (named, "%s--%s", named->len ? ", " : "", fixed[i].name);
      if (named->len > 0)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--resume continues the saved run with its own model and settings; %s "
                       "would change them (start a new run with -m to train on from its weights)",
                       named->str);
          return FALSE;
        }
    }
  return TRUE;
}

/* Step 1: the options.  -1 to go on, else the exit status. */
static int
parse_options (Train *t, SmCliModelOptions *mopts, int *argc, char ***argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("CORPUS.txt ... - train a GPT-style model from scratch");
  GOptionGroup *group = g_option_group_new ("train", "Training", "Training options", NULL, NULL);
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "steps", 'n', 0, G_OPTION_ARG_INT, &t->steps, "Optimizer steps in the run (default 1000; with --resume: the same)", "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &t->batch, "Sequences per micro-batch (default 16)", "B" },
    { "context", 'c', 0, G_OPTION_ARG_INT, &t->context, "Tokens per sequence (default: the model's context)", "T" },
    { "accum", 0, 0, G_OPTION_ARG_INT, &t->accum, "Micro-batches per optimizer step (default 1)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &t->lr, "Peak learning rate (default 1e-3)", "LR" },
    { "min-lr", 0, 0, G_OPTION_ARG_DOUBLE, &t->min_lr, "Learning rate at the end of the cosine (default lr/10)", "LR" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &t->warmup, "Warm-up steps (default: 5% of the steps)", "N" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &t->weight_decay, "AdamW weight decay (default 0.1)", "WD" },
    { "clip", 0, 0, G_OPTION_ARG_DOUBLE, &t->clip, "Clip the gradient's global norm (default 1; 0: off)", "NORM" },
    { "dim", 0, 0, G_OPTION_ARG_INT, &t->dim, "Custom shape: residual width", "N" },
    { "layers", 0, 0, G_OPTION_ARG_INT, &t->layers, "Custom shape: layers", "N" },
    { "heads", 0, 0, G_OPTION_ARG_INT, &t->heads, "Custom shape: attention heads", "N" },
    { "hidden", 0, 0, G_OPTION_ARG_INT, &t->hidden, "Custom shape: MLP width (default 4 × dim)", "N" },
    { "vocab", 0, 0, G_OPTION_ARG_INT, &t->vocab, "Custom shape: vocabulary (default: the tokenizer's)", "N" },
    { "bpe", 0, 0, G_OPTION_ARG_FILENAME, &t->bpe, "Tokenizer file from train-tokenizer (default: bytes)", "FILE" },
    { "valid", 0, 0, G_OPTION_ARG_FILENAME, &t->valid_path, "Held-out text (default: the last 5% of the corpus)", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &t->output, "The trained model (default model.smck)", "FILE" },
    { "checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &t->checkpoint, "Resumable checkpoint (default OUTPUT.train.smck)", "FILE" },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &t->resume, "Continue the run saved in this checkpoint", "FILE" },
    { "eval-every", 0, 0, G_OPTION_ARG_INT, &t->eval_every, "Validation loss every N steps (default 250; 0: at the end only)", "N" },
    { "eval-windows", 0, 0, G_OPTION_ARG_INT, &t->eval_windows, "Windows of held-out text per evaluation (default 256; 0: all)", "N" },
    { "save-every", 0, 0, G_OPTION_ARG_INT, &t->save_every, "Checkpoint every N steps (default 500; 0: at the end only)", "N" },
    { "log-every", 0, 0, G_OPTION_ARG_INT, &t->log_every, "A progress line every N steps when stderr is not a terminal (default 50)", "N" },
    { "sample-every", 0, 0, G_OPTION_ARG_INT, &t->sample_every, "Print a sample every N steps (at evaluations; default: never)", "N" },
    { "prompt", 'p', 0, G_OPTION_ARG_STRING, &t->prompt, "Prompt of the samples (default \"Once upon a time\")", "TEXT" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &t->name, "The model's name (default \"SmallMind Small\" ...)", "NAME" },
    { "profile", 0, 0, G_OPTION_ARG_NONE, &t->profile, "Print the time of every op, forward and backward, at the end", NULL },
    { "snapshot", 0, 0, G_OPTION_ARG_FILENAME, &t->snapshot, "Write the run's profile as a snapshot (JSON) at the end", "FILE" },
    { "eval-only", 0, 0, G_OPTION_ARG_NONE, &t->eval_only, "Only measure the loss of a model (-m or --resume) on the corpus and --valid", NULL },
    { NULL }
  };
  g_option_group_add_entries (group, entries);
  sm_cli_add_model_options (group, mopts);
  g_option_context_set_main_group (ctx, group);
  g_option_context_set_description (ctx,
    "Examples:\n"
    "  smallmind-cli make-corpus data/corpus\n"
    "  smallmind-cli train --preset small -n 4000 --valid data/corpus/valid.txt -o small.smck data/corpus/train.txt\n"
    "  smallmind-cli train --resume small.train.smck data/corpus/train.txt --valid data/corpus/valid.txt\n");
  {
    /* the parse takes the options out of argv: what was given is read from a copy */
    g_auto (GStrv) args = g_strdupv (*argv);
    if (!g_option_context_parse (ctx, argc, argv, &error) || !check_options (t, mopts, args, &error))
      return sm_cli_fail ("train", g_steal_pointer (&error));
  }
  if (*argc < 2)
    {
      fprintf (stderr, "smallmind-cli train: give the corpus file(s) to train on "
               "(`smallmind-cli make-corpus data/corpus` writes SmallMind's own)\n");
      return 2;
    }
  if (!sm_cli_apply_settings (mopts, &error))
    return sm_cli_fail ("train", g_steal_pointer (&error));
  if (t->prompt == NULL)
    t->prompt = g_strdup ("Once upon a time");
  return -1;
}

/* Step 2a: the trainer of a saved run, with its tokenizer.  -1 to go on. */
static int
resume_trainer (Train *t, SmTrainer **trainer_out, SmTokenizer **tok_out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTrainer) trainer = NULL;
  JsonObject *run;

  trainer = sm_trainer_resume (t->resume, &error);
  if (trainer == NULL)
    return sm_cli_fail ("train", g_steal_pointer (&error));
  if (t->steps > 0 && !sm_trainer_set_max_steps (trainer, t->steps, &error))
    return sm_cli_fail ("train", g_steal_pointer (&error));
  if (!t->eval_only && sm_trainer_get_step (trainer) >= sm_trainer_get_params (trainer)->max_steps)
    {
      fprintf (stderr, "smallmind-cli train: %s is at step %d of %d already: give -n above %d "
               "to train further\n", t->resume, sm_trainer_get_step (trainer),
               sm_trainer_get_params (trainer)->max_steps, sm_trainer_get_step (trainer));
      return 2;
    }
  run = sm_trainer_get_run_info (trainer);
  if (t->output == NULL && json_object_has_member (run, "output"))
    t->output = g_strdup (json_object_get_string_member (run, "output"));
  if (t->checkpoint == NULL)
    t->checkpoint = g_strdup (t->resume);
  if (json_object_has_member (run, "train_seconds"))
    t->time_before = (gint64) (json_object_get_double_member (run, "train_seconds") * 1e6);
  *tok_out = sm_tokenizer_ref (sm_model_get_tokenizer (sm_trainer_get_model (trainer)));
  *trainer_out = g_steal_pointer (&trainer);
  return -1;
}

/* Step 2b: a new trainer for a new model (a preset, a custom shape or a model to start from),
 * with its tokenizer.  -1 to go on. */
static int
new_trainer (Train *t, SmCliModelOptions *mopts, SmTrainer **trainer_out, SmTokenizer **tok_out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = NULL;
  g_autoptr (SmModel) init = NULL;
  g_autoptr (SmTrainer) trainer = NULL;
  SmTrainParams p;

  tok = t->bpe ? sm_train_tokenizer_load (t->bpe, &error) : sm_tokenizer_new_bytes ();
  if (tok == NULL)
    return sm_cli_fail ("train", g_steal_pointer (&error));
  init = initial_model (t, mopts, tok, &error);
  if (init == NULL)
    return sm_cli_fail ("train", g_steal_pointer (&error));
  if (sm_tokenizer_n_vocab (tok) > sm_model_get_config (init)->vocab_size)
    {
      fprintf (stderr, "smallmind-cli train: the tokenizer has %d tokens but the model's vocabulary only %d\n",
               sm_tokenizer_n_vocab (tok), sm_model_get_config (init)->vocab_size);
      return 1;
    }
  if (mopts->model_path)
    {
      /* starting from a model: its own tokenizer (a --bpe file must agree with it) */
      g_clear_pointer (&tok, sm_tokenizer_unref);
      tok = sm_tokenizer_ref (sm_model_get_tokenizer (init));
    }
  sm_train_params_init (&p);
  p.batch_size = t->batch;
  p.seq_len = t->context > 0 ? t->context : sm_model_get_config (init)->context_length;
  p.grad_accum = t->accum;
  p.max_steps = t->steps > 0 ? t->steps : 1000;
  p.warmup_steps = t->warmup >= 0 ? t->warmup : p.max_steps / 20;
  p.lr = (float) t->lr;
  p.min_lr = (float) (t->min_lr >= 0 ? t->min_lr : t->lr / 10);
  p.weight_decay = (float) t->weight_decay;
  p.grad_clip = (float) t->clip;
  p.seed = (guint64) mopts->seed;
  trainer = sm_trainer_new (init, &p, &error);
  if (trainer == NULL)
    return sm_cli_fail ("train", g_steal_pointer (&error));
  *tok_out = g_steal_pointer (&tok);
  *trainer_out = g_steal_pointer (&trainer);
  return -1;
}

/* Step 3: what the run will be, on stderr. */
static void
print_plan (Train *t, SmTrainer *trainer, SmTokenizer *tok, SmTrainData *train, SmTrainData *valid)
{
  const SmTrainParams *tp = sm_trainer_get_params (trainer);
  const SmModelConfig *c = sm_model_get_config (sm_trainer_get_model (trainer));
  gsize nt, nv;

  sm_train_data_get_tokens (train, &nt);
  sm_train_data_get_tokens (valid, &nv);
  t->bytes_per_token = (double) sm_train_data_n_bytes (train) / MAX (nt, 1);
  fprintf (stderr, "model: %s, %" G_GUINT64_FORMAT " parameters (vocab %d, dim %d, %d layers, %d heads, context %d), %s tokenizer\n",
           sm_model_get_name (sm_trainer_get_model (trainer)), sm_model_n_params (sm_trainer_get_model (trainer)),
           c->vocab_size, c->dim, c->n_layers, c->n_heads, c->context_length, sm_tokenizer_kind_name (tok));
  fprintf (stderr, "data: %s, %" G_GSIZE_FORMAT " tokens (%.2f bytes/token); held out: %s, %" G_GSIZE_FORMAT " tokens\n",
           sm_train_data_get_name (train), nt, t->bytes_per_token, sm_train_data_get_name (valid), nv);
  if (!t->eval_only)
    fprintf (stderr, "run: steps %d..%d of %d × %d × %d tokens, lr %g -> %g (warm-up %d), weight decay %g, clip %g, seed %" G_GUINT64_FORMAT ", %d thread(s), %s kernels\n",
           sm_trainer_get_step (trainer) + 1, tp->max_steps, tp->grad_accum, tp->batch_size, tp->seq_len,
           tp->lr, tp->min_lr, tp->warmup_steps, tp->weight_decay, tp->grad_clip, tp->seed,
           sm_threads_get_count (), sm_kernels ()->name);
}

/* Step 4: the record kept in every checkpoint. */
static void
record_run (Train *t, SmTrainer *trainer, int argc, char **argv)
{
  JsonObject *run = sm_trainer_get_run_info (trainer);
  JsonArray *files = json_array_new ();

  for (int i = 1; i < argc; i++)
    json_array_add_string_element (files, argv[i]);
  json_object_set_array_member (run, "corpus", files);
  if (t->valid_path)
    json_object_set_string_member (run, "valid", t->valid_path);
  json_object_set_string_member (run, "output", t->output);
  if (!json_object_has_member (run, "history"))
    json_object_set_array_member (run, "history", json_array_new ());
  t->history = json_object_get_array_member (run, "history");
}

/* Step 5: one optimizer step per main-loop iteration until done or interrupted. */
static int
run (Train *t, SmTrainer *trainer, SmTrainData *train, SmTrainData *valid)
{
  guint sig_int, sig_term;

  for (int p = 0; p < 3; p++)
    t->prof[p] = p == 0 || t->snapshot == NULL ? sm_profiler_new () : t->prof[0];
  sm_trainer_set_profilers (trainer, t->prof[0], t->prof[1], t->prof[2]);
  t->trainer = trainer;
  t->train = train;
  t->valid = valid;
  t->tty = isatty (STDERR_FILENO);
  t->loop = g_main_loop_new (NULL, FALSE);
  t->step0 = sm_trainer_get_step (trainer);
  t->t0 = g_get_monotonic_time ();

  sig_int = g_unix_signal_add (SIGINT, on_signal, t);
  sig_term = g_unix_signal_add (SIGTERM, on_signal, t);
  g_idle_add (train_one, t);
  g_main_loop_run (t->loop);
  g_source_remove (sig_int);
  g_source_remove (sig_term);

  g_main_loop_unref (t->loop);
  return t->status;
}

static int
train_main (Train *t, SmCliModelOptions *mopts, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = NULL;
  g_autoptr (SmTrainer) trainer = NULL;
  g_autoptr (SmTrainData) train = NULL, valid = NULL;
  int status;

  if ((status = parse_options (t, mopts, &argc, &argv)) >= 0)
    return status;
  status = t->resume ? resume_trainer (t, &trainer, &tok) : new_trainer (t, mopts, &trainer, &tok);
  if (status >= 0)
    return status;
  if (t->output == NULL)
    t->output = g_strdup ("model.smck");
  if (t->checkpoint == NULL)
    t->checkpoint = default_checkpoint (t->output);
  if (!t->eval_only)
    {
      /* before the first step, not after the last: a run's hours are not lost to a typo */
      const char *outs[] = { t->output, t->checkpoint, t->snapshot };
      if (!sm_atomic_file_check_writable (t->snapshot ? 3 : 2, outs, &error))
        return sm_cli_fail ("train", g_steal_pointer (&error));
    }
  if (t->log_every < 1)
    t->log_every = 1;

  /* data */
  train = sm_train_data_new_from_files (tok, (const char *const *) argv + 1, &error);
  if (train == NULL)
    return sm_cli_fail ("train", g_steal_pointer (&error));
  if (t->valid_path)
    valid = sm_train_data_new_from_files (tok, (const char *[]) { t->valid_path, NULL }, &error);
  else
    valid = sm_train_data_split (train, 0.05);
  if (valid == NULL)
    return sm_cli_fail ("train", g_steal_pointer (&error));
  if (!sm_trainer_check_data (trainer, train, &error) || !sm_trainer_check_data (trainer, valid, &error))
    return sm_cli_fail ("train", g_steal_pointer (&error));

  print_plan (t, trainer, tok, train, valid);
  if (t->eval_only)
    return evaluate_only (t, trainer, train, valid);
  record_run (t, trainer, argc, argv);
  return run (t, trainer, train, valid);
}

int
sm_cli_train (int argc, char **argv)
{
  Train t = {
    .steps = -1, .batch = 16, .accum = 1, .warmup = -1, .eval_every = 250, .eval_windows = 256,
    .save_every = 500, .log_every = 50, .sample_tokens = 40, .lr = 1e-3, .min_lr = -1,
    .weight_decay = 0.1, .clip = 1.0, .status = 1,
  };
  SmCliModelOptions mopts = { 0 };
  int status = train_main (&t, &mopts, argc, argv);

  for (int p = 0; p < 3; p++)
    if (p == 0 || t.prof[p] != t.prof[0])
      sm_profiler_free (t.prof[p]);
  g_free (t.snapshot);
  g_free (t.bpe);
  g_free (t.valid_path);
  g_free (t.output);
  g_free (t.checkpoint);
  g_free (t.resume);
  g_free (t.name);
  g_free (t.prompt);
  sm_cli_model_options_clear (&mopts);
  return status;
}
