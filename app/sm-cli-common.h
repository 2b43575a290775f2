/* sm-cli-common.h: options every model command shares (model choice and engine settings). */
#pragma once

#include <glib.h>

#include "sm-engine.h"
#include "sm-model.h"

G_BEGIN_DECLS

typedef struct {
  char    *model_path;
  char    *tokenizer_path;
  char    *preset;
  int      threads;
  char    *kernels;
  gboolean no_pool;
  gint64   seed;
  char    *cache_type;   /* --cache-type as given, NULL when not */
  SmKvType kv_type;      /* what it names, once sm_cli_apply_settings () has read it */
} SmCliModelOptions;

/* Adds -m, -z, --preset, --kernels, --no-pool, --seed and -t/--threads N to @group; the
 * _no_threads form leaves -t to the command (bench takes a list there). */
void      sm_cli_add_model_options   (GOptionGroup *group, SmCliModelOptions *opts);
void      sm_cli_add_model_options_no_threads (GOptionGroup *group, SmCliModelOptions *opts);
/* Adds --cache-type f32|f16, the KV cache's type (llama.cpp's -ctk/-ctv, one type for both),
 * for the commands whose sessions hold one. */
void      sm_cli_add_cache_option    (GOptionGroup *group, SmCliModelOptions *opts);
void      sm_cli_model_options_clear (SmCliModelOptions *opts);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SmCliModelOptions, sm_cli_model_options_clear)
/* Applies --threads / --kernels / --no-pool to the process-wide engine state, and reads
 * --cache-type into kv_type. */
gboolean  sm_cli_apply_settings      (SmCliModelOptions *opts, GError **error);
/* Loads -m FILE or --preset NAME (default: the built-in Small model). */
SmModel  *sm_cli_load_model          (SmCliModelOptions *opts, GError **error);
/* The tokenizer of @path alone: a GGUF's vocabulary without its weights (so vocabulary-only
 * files do), a llama2.c checkpoint's or SmallMind checkpoint's by loading the model (with
 * @tokenizer_path, or the tokenizer.bin beside it); @preset instead of a file: a built-in
 * model's.  The error names the file. */
SmTokenizer *sm_cli_load_tokenizer   (const char *path, const char *tokenizer_path,
                                      const char *preset, GError **error);
/* Parses "1,2,4" into an array of ints, each 1..@max; the error names @what ("thread count"). */
GArray   *sm_cli_parse_int_list      (const char *text, int max, const char *what, GError **error);
/* Prints "smallmind-cli CMD: message" to stderr and returns 1. */
int       sm_cli_fail                (const char *cmd, GError *error);

/* A weight type `quantize` and `init` can write, by name; a G_OPTION_ERROR naming them all
 * otherwise. */
gboolean     sm_cli_parse_dtype (const char *name, SmDType *out, GError **error);

G_END_DECLS
