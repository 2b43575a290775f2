/* sm-cli-generate.c: `smallmind-cli generate`: text to stdout, llama.cpp-style timings to
 * stderr.  Runs through SmEngine, the same engine thread the window drives. */
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-threads.h"

#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  GMainLoop       *loop;
  GCancellable    *cancel;
  GError          *error;
  SmGenerateStats  stats;
  gboolean         ok;
  const char      *echo;   /* the prompt, printed before the first text of the reply (not
                            * before the prompt was accepted: a refused one prints nothing) */
  gboolean         printed; /* text is on stdout: a reply cut short by an error ends its line */
  char            *fitted;  /* --chat: the prompt as the engine fitted it */
} Run;

/* The prompt of -f FILE or --stdin, exactly, but for NUL bytes: the engine takes a C string,
 * where a NUL would end the prompt there without a word, so each becomes U+FFFD (as the engine
 * writes a NUL in a reply) and stderr says so.  Other bytes, invalid UTF-8 too, go to the
 * tokenizer as they are: every vocabulary SmallMind reads spells any byte. */
static char *
read_prompt (const char *file, GError **error)
{
  g_autoptr (GByteArray) raw = g_byte_array_new ();
  g_autoptr (GString) text = NULL;
  gsize n_nul = 0;

  if (file != NULL)
    {
      g_autofree char *contents = NULL;
      gsize len;
      if (!g_file_get_contents (file, &contents, &len, error))
        return NULL;
      g_byte_array_append (raw, (const guint8 *) contents, (guint) len);
    }
  else
    {
      guint8 buf[65536];
      size_t n;
      while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
        g_byte_array_append (raw, buf, (guint) n);
      if (ferror (stdin))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot read standard input");
          return NULL;
        }
    }
  text = g_string_sized_new (raw->len + 1);
  for (guint i = 0; i < raw->len; i++)
    {
      if (raw->data[i] == '\0')
        {
          g_string_append (text, "\xef\xbf\xbd");
          n_nul++;
        }
      else
        g_string_append_c (text, (char) raw->data[i]);
    }
  if (n_nul > 0)
    fprintf (stderr, "smallmind-cli generate: the prompt holds %" G_GSIZE_FORMAT " NUL byte%s, "
             "read as U+FFFD\n", n_nul, n_nul == 1 ? "" : "s");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
echo_prompt (Run *run)
{
  if (run->echo != NULL)
    fputs (run->echo, stdout);
  run->echo = NULL;
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *run = data;
  run->ok = sm_engine_load_finish (SM_ENGINE (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

static void
on_text (SmEngine *engine, const char *text, gpointer data)
{
  Run *run = data;

  echo_prompt (run);
  run->printed = TRUE;
  fputs (text, stdout);
  fflush (stdout);
}

static void
on_fitted (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *run = data;
  run->fitted = sm_engine_fit_prompt_finish (SM_ENGINE (source), result, NULL, NULL, &run->error);
  run->ok = run->fitted != NULL;
  g_main_loop_quit (run->loop);
}

static void
on_generated (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *run = data;
  run->ok = sm_engine_generate_finish (SM_ENGINE (source), result, &run->stats, &run->error);
  if (run->ok)
    echo_prompt (run);   /* a reply with no text at all */
  g_main_loop_quit (run->loop);
}

static gboolean
on_sigint (gpointer data)
{
  Run *run = data;
  g_cancellable_cancel (run->cancel);
  return G_SOURCE_CONTINUE;
}

int
sm_cli_generate (int argc, char **argv)
{
  /* freed on every way out: a failed reply must leave no leak for LeakSanitizer to turn into
   * another exit status */
  g_auto (SmCliModelOptions) mopts = { 0 };
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GCancellable) cancel = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *system_prompt = NULL;
  g_autofree char *prompt_file = NULL;
  gboolean chat = FALSE, no_context_shift = FALSE, from_stdin = FALSE;
  g_auto (GStrv) stop = NULL;
  SmGenerateParams params;
  double temp = 0.0, top_p = 0.95, min_p = 0.05, repeat_penalty = 1.0;
  int top_k = 40, n_predict = 128, repeat_last_n = 64;
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- continue a prompt");
  GOptionGroup *group = g_option_group_new ("generate", "Generation", "Generation options", NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmEngine) engine = NULL;
  Run run = { 0 };
  gint64 t0;
  guint sig;

  GOptionEntry entries[] = {
    { "prompt", 'p', 0, G_OPTION_ARG_STRING, &prompt, "Text to continue (default \"Once upon a time\")", "TEXT" },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &prompt_file, "Read the prompt from FILE, exactly (NUL bytes as U+FFFD)", "FILE" },
    { "stdin", 0, 0, G_OPTION_ARG_NONE, &from_stdin, "Read the prompt from standard input, exactly (NUL bytes as U+FFFD)", NULL },
    { "n-predict", 'n', 0, G_OPTION_ARG_INT, &n_predict, "Tokens to generate (default 128; 0: no limit but the end of the text)", "N" },
    { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &temp, "Temperature (default 0: greedy)", "T" },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k, "Top-k (default 40; 0: off)", "K" },
    { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &top_p, "Top-p (default 0.95; 1: off)", "P" },
    { "min-p", 0, 0, G_OPTION_ARG_DOUBLE, &min_p, "Min-p (default 0.05; 0: off)", "P" },
    { "repeat-penalty", 0, 0, G_OPTION_ARG_DOUBLE, &repeat_penalty, "Repetition penalty (default 1: off)", "X" },
    { "repeat-last-n", 0, 0, G_OPTION_ARG_INT, &repeat_last_n, "Tokens the penalty looks back (default 64)", "N" },
    { "stop", 0, 0, G_OPTION_ARG_STRING_ARRAY, &stop, "Stop when this text appears (repeatable)", "TEXT" },
    { "chat", 0, 0, G_OPTION_ARG_NONE, &chat, "Send the prompt as a user's message in the model's chat template and print only the reply", NULL },
    { "system", 0, 0, G_OPTION_ARG_STRING, &system_prompt, "With --chat: the system prompt", "TEXT" },
    { "no-context-shift", 0, 0, G_OPTION_ARG_NONE, &no_context_shift, "Stop when the context is full (default: keep its newest half and go on)", NULL },
    { NULL }
  };
  g_option_group_add_entries (group, entries);
  sm_cli_add_model_options (group, &mopts);
  sm_cli_add_cache_option (group, &mopts);
  g_option_context_set_main_group (ctx, group);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("generate", g_steal_pointer (&error));
  if (argc > 1)
    {
      fprintf (stderr, "smallmind-cli generate: unexpected argument '%s'\n", argv[1]);
      return 2;
    }
  if (n_predict < 0)
    {
      fprintf (stderr, "smallmind-cli generate: -n must be 0 (no limit) or more\n");
      return 2;
    }

  if ((guint) (prompt != NULL) + (guint) (prompt_file != NULL) + (guint) from_stdin > 1)
    {
      fprintf (stderr, "smallmind-cli generate: give the prompt once: as -p TEXT, -f FILE or --stdin\n");
      return 2;
    }
  if (system_prompt != NULL && !chat)
    {
      fprintf (stderr, "smallmind-cli generate: --system needs --chat\n");
      return 2;
    }

  sm_generate_params_init (&params);
  params.max_tokens = n_predict;
  params.sampling.temperature = (float) temp;
  params.sampling.top_k = top_k;
  params.sampling.top_p = (float) top_p;
  params.sampling.min_p = (float) min_p;
  params.sampling.repeat_penalty = (float) repeat_penalty;
  params.sampling.repeat_last_n = repeat_last_n;
  params.sampling.seed = (guint64) mopts.seed;
  params.stop = (const char *const *) stop;
  params.context_shift = !no_context_shift;

  if (prompt_file != NULL || from_stdin)
    {
      prompt = read_prompt (prompt_file, &error);
      if (prompt == NULL)
        return sm_cli_fail ("generate", g_steal_pointer (&error));
    }

  /* before the model's load, which may take a while */
  if (!sm_sampler_params_check (&params.sampling, &error) || !sm_cli_apply_settings (&mopts, &error))
    return sm_cli_fail ("generate", g_steal_pointer (&error));

  engine = sm_engine_new ();
  sm_engine_set_kv_type (engine, mopts.kv_type);
  run.loop = loop = g_main_loop_new (NULL, FALSE);
  run.cancel = cancel = g_cancellable_new ();

  t0 = g_get_monotonic_time ();
  if (mopts.model_path)
    sm_engine_load_async (engine, mopts.model_path, mopts.tokenizer_path, NULL, on_loaded, &run);
  else
    {
      SmPreset preset = SM_PRESET_SMALL;
      if (mopts.preset && !sm_preset_from_name (mopts.preset, &preset))
        {
          fprintf (stderr, "smallmind-cli generate: unknown preset '%s' (use small or medium)\n", mopts.preset);
          return 2;
        }
      g_autofree char *builtin = sm_engine_find_builtin_model (preset);
      /* The trained checkpoint when it ships; random weights otherwise. */
      if (builtin)
        sm_engine_load_async (engine, builtin, NULL, NULL, on_loaded, &run);
      else
        sm_engine_load_preset_async (engine, preset, (guint64) mopts.seed, NULL, on_loaded, &run);
    }
  g_main_loop_run (run.loop);
  if (!run.ok)
    {
      /* the engine gives the reason; the file is named here, once */
      if (mopts.model_path != NULL)
        g_prefix_error (&run.error, "Cannot load %s: ", mopts.model_path);
      return sm_cli_fail ("generate", run.error);
    }
  double load_ms = (g_get_monotonic_time () - t0) / 1000.0;

  if (prompt == NULL)
    prompt = g_strdup ("Once upon a time");
  if (chat)
    {
      g_autoptr (SmModel) model = sm_engine_dup_model (engine);
      SmChatFormat format = sm_model_get_chat_format (model);
      SmChatTurn turn = { "user", prompt };

      if (format == SM_CHAT_FORMAT_NONE)
        {
          fprintf (stderr, "smallmind-cli generate: --chat: %s has %s; "
                   "leave out --chat to continue the prompt as plain text\n",
                   sm_model_get_name (model),
                   sm_model_get_chat_template (model) != NULL
                   ? "a chat template of a family SmallMind does not know"
                   : "no chat template");
          return 2;
        }
      /* fitted as the window fits it: a prompt too long for the context is refused with the
       * sizes (the system prompt's when that is what does not fit) */
      sm_engine_fit_prompt_async (engine, prompt, system_prompt, &turn, 1, n_predict, NULL,
                                  on_fitted, &run);
      g_main_loop_run (run.loop);
      if (!run.ok)
        return sm_cli_fail ("generate", run.error);
      g_free (prompt);
      prompt = g_steal_pointer (&run.fitted);
      /* the markers become control tokens; the engine adds the template's stop strings */
      params.parse_special = TRUE;
    }
  else
    run.echo = prompt;

  sig = g_unix_signal_add (SIGINT, on_sigint, &run);
  sm_engine_generate_async (engine, prompt, &params, on_text, &run, NULL, run.cancel, on_generated, &run);
  g_main_loop_run (run.loop);
  g_source_remove (sig);
  if (!run.ok)
    {
      /* The text so far stays (it came from the model as loaded: a file truncated under the
       * reply fails it at the next token, sm-model-file.h), on a line of its own. */
      if (run.printed)
        {
          fputc ('\n', stdout);
          fflush (stdout);
        }
      return sm_cli_fail ("generate", run.error);
    }
  fputc ('\n', stdout);
  fflush (stdout);

  SmGenerateStats *st = &run.stats;
  int evaluated = st->prompt_tokens - st->cached_tokens;
  int decoded = MAX (st->generated_tokens - 1, 0);
  fprintf (stderr, "\n");
  fprintf (stderr, "load time        = %10.2f ms\n", load_ms);
  fprintf (stderr, "prompt eval time = %10.2f ms / %5d tokens (%8.3f ms per token, %10.2f tokens per second)\n",
           st->prefill_us / 1000.0, evaluated, evaluated ? st->prefill_us / 1000.0 / evaluated : 0.0,
           sm_generate_stats_prefill_tps (st));
  fprintf (stderr, "eval time        = %10.2f ms / %5d runs   (%8.3f ms per token, %10.2f tokens per second)\n",
           st->decode_us / 1000.0, decoded, decoded ? st->decode_us / 1000.0 / decoded : 0.0,
           sm_generate_stats_decode_tps (st));
  fprintf (stderr, "time to first token = %7.2f ms\n", st->ttft_us / 1000.0);
  fprintf (stderr, "total time       = %10.2f ms / %5d tokens\n", st->total_us / 1000.0,
           st->prompt_tokens + st->generated_tokens);
  fprintf (stderr, "stop reason: %s; context %d/%d", sm_stop_reason_to_string (st->stop_reason),
           st->context_used, st->context_size);
  if (st->context_shifts > 0)
    fprintf (stderr, " (full %d time%s: kept the newest half)", st->context_shifts,
             st->context_shifts == 1 ? "" : "s");
  fprintf (stderr, "; kernels %s, %d thread(s), pool %s",
           sm_kernels ()->name, sm_threads_get_count (), mopts.no_pool ? "off" : "on");
  {
    SmEngineStats es;
    sm_engine_get_stats (engine, &es);
    fprintf (stderr, "; KV cache %s, %.2f MiB\n", sm_engine_kv_type_name (es.kv_type),
             es.kv_bytes / 1048576.0);
    sm_engine_stats_clear (&es);
  }

  return st->stop_reason == SM_STOP_CANCELLED ? 130 : 0;
}
