/* sm-cli-common.c: model loading and engine settings shared by the subcommands. */
#include "sm-cli-common.h"
#include "sm-gguf.h"
#include "sm-kernels.h"
#include "sm-threads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
add_model_options (GOptionGroup *group, SmCliModelOptions *opts, gboolean with_threads)
{
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &opts->model_path,
      "Model file: GGUF, llama2.c .bin or SmallMind checkpoint", "FILE" },
    { "tokenizer", 'z', 0, G_OPTION_ARG_FILENAME, &opts->tokenizer_path,
      "tokenizer.bin for a llama2.c checkpoint (default: beside the model)", "FILE" },
    { "preset", 0, 0, G_OPTION_ARG_STRING, &opts->preset,
      "A built-in model: small or medium", "NAME" },
    { "kernels", 0, 0, G_OPTION_ARG_STRING, &opts->kernels,
      "Kernel path: auto, scalar, avx2, avx2-vnni, avx512 or avx512-vnni", "LEVEL" },
    { "no-pool", 0, 0, G_OPTION_ARG_NONE, &opts->no_pool, "Switch the memory pool off", NULL },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &opts->seed, "Random seed (default 42)", "N" },
    { NULL }
  };
  GOptionEntry threads[] = {
    { "threads", 't', 0, G_OPTION_ARG_INT, &opts->threads, "Compute threads (default 1)", "N" },
    { NULL }
  };
  opts->seed = 42;
  g_option_group_add_entries (group, entries);
  if (with_threads)
    g_option_group_add_entries (group, threads);
}

void
sm_cli_add_model_options (GOptionGroup *group, SmCliModelOptions *opts)
{
  add_model_options (group, opts, TRUE);
}

void
sm_cli_add_model_options_no_threads (GOptionGroup *group, SmCliModelOptions *opts)
{
  add_model_options (group, opts, FALSE);
}

void
sm_cli_add_cache_option (GOptionGroup *group, SmCliModelOptions *opts)
{
  GOptionEntry entries[] = {
    { "cache-type", 0, 0, G_OPTION_ARG_STRING, &opts->cache_type,
      "KV cache type: f32 (default) or f16 (half the memory; llama.cpp's -ctk/-ctv f16)", "TYPE" },
    { NULL }
  };
  g_option_group_add_entries (group, entries);
}

void
sm_cli_model_options_clear (SmCliModelOptions *opts)
{
  g_clear_pointer (&opts->model_path, g_free);
  g_clear_pointer (&opts->tokenizer_path, g_free);
  g_clear_pointer (&opts->preset, g_free);
  g_clear_pointer (&opts->kernels, g_free);
  g_clear_pointer (&opts->cache_type, g_free);
}

gboolean
sm_cli_apply_settings (SmCliModelOptions *opts, GError **error)
{
  if (opts->model_path && opts->preset)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Give either --model or --preset, not both");
      return FALSE;
    }
  if (opts->kernels)
    {
      SmKernelLevel level;
      if (!sm_kernel_level_from_string (opts->kernels, &level))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "Unknown kernel level '%s' (use auto, scalar, avx2, avx2-vnni, avx512 or avx512-vnni)", opts->kernels);
          return FALSE;
        }
      if (!sm_kernels_set_level (level, error))
        return FALSE;
    }
  opts->kv_type = SM_KV_TYPE_F32;
  if (opts->cache_type && !sm_engine_kv_type_from_name (opts->cache_type, &opts->kv_type))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Unknown KV cache type '%s' (use f32 or f16)", opts->cache_type);
      return FALSE;
    }
  if (opts->threads < 0 || opts->threads > SM_MAX_THREADS)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--threads must be between 1 and %d", SM_MAX_THREADS);
      return FALSE;
    }
  sm_threads_set_count (opts->threads > 0 ? opts->threads : 1);
  sm_pool_set_enabled (sm_pool_default (), !opts->no_pool);
  return TRUE;
}

SmModel *
sm_cli_load_model (SmCliModelOptions *opts, GError **error)
{
  SmPreset preset = SM_PRESET_SMALL;

  if (opts->model_path && opts->preset)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Give either --model or --preset, not both");
      return NULL;
    }
  if (opts->model_path)
    {
      SmModel *model = sm_model_load (opts->model_path, opts->tokenizer_path, error);
      if (model == NULL)
        g_prefix_error (error, "Cannot load %s: ", opts->model_path);
      return model;
    }
  if (opts->preset && !sm_preset_from_name (opts->preset, &preset))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Unknown preset '%s' (use small or medium)", opts->preset);
      return NULL;
    }
  /* The built-in model is the trained checkpoint when it ships, else random weights. */
  return sm_model_load_builtin (preset, (guint64) opts->seed, error);
}

SmTokenizer *
sm_cli_load_tokenizer (const char *path, const char *tokenizer_path, const char *preset,
                       GError **error)
{
  g_autoptr (SmModel) model = NULL;
  SmCliModelOptions opts = { 0 };
  char magic[4] = { 0 };
  FILE *f;
  gboolean gguf;

  if (path == NULL)
    {
      opts.preset = (char *) preset;
      opts.seed = 42;
      model = sm_cli_load_model (&opts, error);
      return model ? sm_tokenizer_ref (sm_model_get_tokenizer (model)) : NULL;
    }
  f = fopen (path, "rb");
  if (f == NULL)
    {
      int err = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err), "Cannot open %s: %s",
                   path, g_strerror (err));
      return NULL;
    }
  gguf = fread (magic, 1, 4, f) == 4 && memcmp (magic, "GGUF", 4) == 0;
  fclose (f);
  if (gguf)
    {
      g_autoptr (SmGguf) g = sm_gguf_open (path, error);
      SmTokenizer *tok = g ? sm_tokenizer_new_from_gguf (g, error) : NULL;
      if (tok == NULL)
        g_prefix_error (error, "Cannot read the vocabulary of %s: ", path);
      return tok;
    }
  opts.model_path = (char *) path;
  opts.tokenizer_path = (char *) tokenizer_path;
  model = sm_cli_load_model (&opts, error);
  return model ? sm_tokenizer_ref (sm_model_get_tokenizer (model)) : NULL;
}

GArray *
sm_cli_parse_int_list (const char *text, int max, const char *what, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (int));

  for (int i = 0; parts[i]; i++)
    {
      gint64 v;
      if (!g_ascii_string_to_signed (g_strstrip (parts[i]), 10, 1, max, &v, NULL))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "invalid %s '%s': give "
                       "whole numbers from 1 to %d, separated by commas", what, parts[i], max);
          g_array_unref (out);
          return NULL;
        }
      int iv = (int) v;
      g_array_append_val (out, iv);
    }
  return out;
}

int
sm_cli_fail (const char *cmd, GError *error)
{
  fprintf (stderr, "smallmind-cli %s: %s\n", cmd, error ? error->message : "failed");
  g_clear_error (&error);
  return 1;
}

gboolean
sm_cli_parse_dtype (const char *name, SmDType *out, GError **error)
{
  if (!sm_dtype_from_name (name, out) || !sm_dtype_traits (*out)->quantize_target)
    {
      g_autofree char *targets = sm_dtype_quantize_targets ();
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Unknown weight type '%s' (use %s)", name, targets);
      return FALSE;
    }
  return TRUE;
}
