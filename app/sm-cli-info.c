/* sm-cli-info.c: `smallmind-cli info FILE | --preset NAME`: architecture, shapes, parameter
 * count, tensor types and (for GGUF) the type mix, every tensor and every metadata key.
 *
 * A GGUF is described from its header as well, so a file SmallMind cannot run (a K-quant mix
 * written for llama.cpp) still shows its mix and tensors; the model section then says why it
 * does not load. */
#include "sm-cli.h"
#include "sm-cli-common.h"
#include "sm-gguf.h"

#include <stdio.h>
#include <string.h>

static gboolean
is_gguf (const char *path)
{
  char magic[4] = { 0 };
  FILE *f = fopen (path, "rb");
  gboolean yes = f != NULL && fread (magic, 1, 4, f) == 4 && memcmp (magic, "GGUF", 4) == 0;

  if (f != NULL)
    fclose (f);
  return yes;
}

/* One line a tensor, from the header: ggml's type name (any type, readable or not) and the
 * shape outermost first. */
static void
print_gguf_tensors (SmGguf *g)
{
  printf ("tensors (%" G_GSIZE_FORMAT "):\n", sm_gguf_n_tensors (g));
  for (gsize i = 0; i < sm_gguf_n_tensors (g); i++)
    {
      const SmGgufTensorInfo *ti = sm_gguf_tensor_info (g, i);
      GString *shape = g_string_new ("[");
      for (int d = 0; d < ti->n_dims; d++)
        g_string_append_printf (shape, "%s%" G_GINT64_FORMAT, d ? ", " : "", ti->shape[d]);
      g_string_append (shape, "]");
      printf ("  %-32s %-7s %-14s %10.2f KiB\n", ti->name,
              sm_dtype_ggml_type_name (ti->ggml_type), shape->str, ti->n_bytes / 1024.0);
      g_string_free (shape, TRUE);
    }
}

static void
print_tensor (const char *name, SmTensor *t, gpointer data)
{
  g_autofree char *desc = sm_tensor_describe (t);
  printf ("  %-28s %s\n", name, desc);
}

static void
print_model (SmModel *model, gboolean tensors, SmKvType kv_type)
{
  const SmModelConfig *c = sm_model_get_config (model);
  g_autofree char *types = sm_model_describe_types (model);

  printf ("model:          %s\n", sm_model_get_name (model));
  printf ("file:           %s\n", sm_model_get_path (model) ? sm_model_get_path (model) : "(built-in preset)");
  printf ("format:         %s\n", sm_model_get_format (model));
  printf ("architecture:   %s (%s)\n", sm_arch_info (c->arch)->gguf_name, sm_arch_info (c->arch)->label);
  printf ("vocab:          %d\n", c->vocab_size);
  printf ("dim:            %d\n", c->dim);
  printf ("layers:         %d\n", c->n_layers);
  printf ("heads:          %d (key/value heads %d, head dim %d)\n", c->n_heads, c->n_kv_heads, c->head_dim);
  printf ("hidden:         %d\n", c->hidden_dim);
  printf ("context:        %d\n", c->context_length);
  printf ("norm:           %s, eps %g\n", sm_arch_info (c->arch)->layer_norm ? "LayerNorm" : "RMSNorm", c->norm_eps);
  if (!sm_arch_info (c->arch)->pos_embd)
    printf ("rope:           base %g, %d dims, %s%s\n", c->rope_base, c->rope_dims,
            c->rope_mode == SM_ROPE_NORM ? "adjacent pairs" : "neox halves",
            c->rope_freq_scale > 0.0f && c->rope_freq_scale != 1.0f ? ", linear scaling" : "");
  if (c->sliding_window > 0)
    printf ("attention:      sliding window of %d on %s\n", c->sliding_window,
            c->swa_period == 1 ? "every layer" : "every other layer");
  if (c->attn_softcap > 0.0f || c->final_softcap > 0.0f)
    printf ("soft-capping:   scores %g, logits %g\n", c->attn_softcap, c->final_softcap);
  printf ("output:         %s\n", c->tied_output ? "tied to the token embedding" : "separate");
  printf ("parameters:     %" G_GUINT64_FORMAT "\n", sm_model_n_params (model));
  printf ("weights:        %.2f MiB (%s)\n", sm_model_weight_bytes (model) / 1048576.0, types);
  {
    /* what a session over the whole context rents for its cache, in the type asked for and in
     * the other one */
    SmKvType other = kv_type == SM_KV_TYPE_F16 ? SM_KV_TYPE_F32 : SM_KV_TYPE_F16;
    printf ("kv cache:       %s, %.2f MiB over %d positions (%s: %.2f MiB)\n",
            sm_kv_type_to_string (kv_type),
            sm_kv_type_cache_bytes (c, c->context_length, kv_type) / 1048576.0,
            c->context_length, sm_kv_type_to_string (other),
            sm_kv_type_cache_bytes (c, c->context_length, other) / 1048576.0);
  }
  {
    SmTokenizer *tok = sm_model_get_tokenizer (model);
    printf ("tokenizer:      %s, %d tokens\n", sm_tokenizer_kind_name (tok), sm_tokenizer_n_vocab (tok));
    if (sm_tokenizer_get_pre (tok) != NULL)
      printf ("pre-tokenizer:  %s\n", sm_tokenizer_get_pre (tok));
  }

  if (sm_model_get_chat_format (model) != SM_CHAT_FORMAT_NONE)
    printf ("chat template:  %s (%s)\n", sm_chat_format_display_name (sm_model_get_chat_format (model)),
            sm_chat_format_name (sm_model_get_chat_format (model)));
  else
    printf ("chat template:  %s\n", sm_model_get_chat_template (model) != NULL
            ? "present, of an unknown family (conversations are plain text)" : "none");

  if (tensors)
    {
      printf ("tensors:\n");
      sm_model_foreach_tensor (model, print_tensor, NULL);
    }
}

int
sm_cli_info (int argc, char **argv)
{
  SmCliModelOptions mopts = { 0 };
  gboolean tensors = FALSE;
  g_autoptr (GOptionContext) ctx = g_option_context_new ("[FILE] - describe a model");
  GOptionGroup *group = g_option_group_new ("info", "Info", "Info options", NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmModel) model = NULL;
  g_autoptr (SmGguf) g = NULL;
  GOptionEntry entries[] = {
    { "tensors", 0, 0, G_OPTION_ARG_NONE, &tensors, "List every tensor (GGUF files always do)", NULL },
    { NULL }
  };

  g_option_group_add_entries (group, entries);
  sm_cli_add_model_options (group, &mopts);
  sm_cli_add_cache_option (group, &mopts);
  g_option_context_set_main_group (ctx, group);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("info", g_steal_pointer (&error));
  if (argc > 2)
    {
      fprintf (stderr, "smallmind-cli info: give one model file\n");
      return 2;
    }
  if (argc == 2 && mopts.model_path != NULL)
    {
      fprintf (stderr, "smallmind-cli info: give the model as FILE or as -m FILE, not both\n");
      return 2;
    }
  if (argc == 2)
    mopts.model_path = g_strdup (argv[1]);

  if (mopts.cache_type && !sm_cli_apply_settings (&mopts, &error))
    return sm_cli_fail ("info", g_steal_pointer (&error));
  if (mopts.model_path && is_gguf (mopts.model_path))
    {
      g = sm_gguf_open (mopts.model_path, &error);
      if (g == NULL)
        return sm_cli_fail ("info", g_steal_pointer (&error));
    }

  model = sm_cli_load_model (&mopts, &error);
  if (model == NULL && g != NULL && g_error_matches (error, SM_MODEL_ERROR, SM_MODEL_ERROR_UNSUPPORTED))
    {
      printf ("model:          %s\n", mopts.model_path);
      printf ("runs:           no, not in SmallMind yet (%s)\n", error->message);
    }
  else if (model == NULL)
    return sm_cli_fail ("info", g_steal_pointer (&error));
  else
    print_model (model, tensors && g == NULL, mopts.kv_type);

  if (g != NULL)
    {
      g_autofree char *mix = sm_quant_describe_gguf (g);
      printf ("mix:            %s\n", mix);
      print_gguf_tensors (g);
      printf ("metadata (GGUF v%u, %" G_GSIZE_FORMAT " keys, %" G_GSIZE_FORMAT " tensors):\n",
              sm_gguf_get_version (g), sm_gguf_n_kv (g), sm_gguf_n_tensors (g));
      for (gsize i = 0; i < sm_gguf_n_kv (g); i++)
        {
          g_autofree char *v = sm_gguf_kv_to_string (g, i);
          printf ("  %-40s %s\n", sm_gguf_kv_key (g, i), v);
        }
    }
  sm_cli_model_options_clear (&mopts);
  return 0;
}
