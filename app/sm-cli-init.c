/* sm-cli-init.c: `smallmind-cli init OUT --dim ...`: a random-weight model of any shape, for
 * benchmarking the shape, written as GGUF. */
#include "sm-cli.h"
#include "sm-cli-common.h"

#include <stdio.h>
#include <string.h>

/* A stand-in SentencePiece vocabulary of @n tokens (control, 256 byte tokens, then filler
 * pieces) so a random model of any vocabulary size can be saved, loaded and benchmarked. */
static SmTokenizer *
filler_vocab (int n, GError **error)
{
  g_autoptr (GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
  SmSpmVocab v = { 0 };

  g_ptr_array_add (pieces, g_strdup ("<unk>"));
  g_ptr_array_add (pieces, g_strdup ("<s>"));
  g_ptr_array_add (pieces, g_strdup ("</s>"));
  for (int b = 0; b < 256 && (int) pieces->len < n; b++)
    g_ptr_array_add (pieces, g_strdup_printf ("<0x%02X>", b));
  while ((int) pieces->len < n)
    g_ptr_array_add (pieces, g_strdup_printf ("\xe2\x96\x81tok%u", pieces->len));

  v.n_vocab = pieces->len;
  v.pieces = (const char *const *) pieces->pdata;
  v.unk_id = 0;
  v.bos_id = 1;
  v.eos_id = 2;
  v.add_bos = TRUE;
  v.add_space_prefix = TRUE;
  return sm_tokenizer_new_spm (&v, error);
}

/* @tok (a GPT-2 vocabulary) with ChatML's markers appended as control tokens where it lacks
 * them, as Qwen's vocabulary holds them after its merges: a model made for ChatML must read
 * <|im_start|> as one token and stop at <|im_end|>. */
static SmTokenizer *
with_chatml_tokens (SmTokenizer *tok, GError **error)
{
  static const char *const markers[] = { "<|im_start|>", "<|im_end|>" };

  for (int i = 0; i < sm_tokenizer_n_vocab (tok); i++)
    for (gsize k = 0; k < G_N_ELEMENTS (markers); k++)
      if (strcmp (sm_tokenizer_token_piece (tok, i), markers[k]) == 0)
        return sm_tokenizer_ref (tok);   /* it has them */
  return sm_tokenizer_new_gpt2_adding (tok, markers, G_N_ELEMENTS (markers), 1, error);
}

int
sm_cli_init (int argc, char **argv)
{
  int dim = 288, hidden = 768, layers = 6, heads = 6, kv_heads = 0, vocab = 0, ctx_len = 256;
  int head_dim = 0, window = -1;
  gint64 seed = 42;
  gboolean untied = FALSE;
  g_autofree char *type = NULL, *tokenizer = NULL, *arch = NULL, *vocab_file = NULL;
  g_autofree char *template_arg = NULL;
  g_autoptr (GOptionContext) ctx = g_option_context_new ("OUT - write a random-weight model of any shape (GGUF)");
  g_autoptr (GError) error = NULL;
  g_autoptr (SmTokenizer) tok = NULL;
  g_autoptr (SmModel) model = NULL;
  SmModelConfig c = { 0 };
  SmDType dtype;
  GOptionEntry entries[] = {
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch,
      "llama (default), gpt, qwen2, qwen3, phi3 or gemma2", "ARCH" },
    { "head-dim", 0, 0, G_OPTION_ARG_INT, &head_dim,
      "Head size (default dim / heads; Qwen3 and Gemma 2 may differ)", "N" },
    { "sliding-window", 0, 0, G_OPTION_ARG_INT, &window,
      "Phi-3 and Gemma 2: the attention window (default as released: 2047, 4096)", "N" },
    { "dim", 0, 0, G_OPTION_ARG_INT, &dim, "Width (default 288)", "N" },
    { "hidden", 0, 0, G_OPTION_ARG_INT, &hidden, "MLP width (default 768)", "N" },
    { "layers", 0, 0, G_OPTION_ARG_INT, &layers, "Layers (default 6)", "N" },
    { "heads", 0, 0, G_OPTION_ARG_INT, &heads, "Attention heads (default 6)", "N" },
    { "kv-heads", 0, 0, G_OPTION_ARG_INT, &kv_heads, "Key/value heads (default: heads)", "N" },
    { "vocab", 0, 0, G_OPTION_ARG_INT, &vocab,
      "Vocabulary (default 32000, or the --vocab-from file's)", "N" },
    { "vocab-from", 0, 0, G_OPTION_ARG_FILENAME, &vocab_file,
      "A GGUF whose vocabulary (tokenizer.*) and chat template to ship with it", "FILE" },
    { "chat-template", 0, 0, G_OPTION_ARG_STRING, &template_arg,
      "A chat template: chatml, llama3, gemma or phi3, or a file of Jinja", "NAME|FILE" },
    { "context", 0, 0, G_OPTION_ARG_INT, &ctx_len, "Context length (default 256)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 42)", "N" },
    { "untied", 0, 0, G_OPTION_ARG_NONE, &untied,
      "LLaMA: a separate output matrix (default: tied to the embedding, as llama2.c's stories models)", NULL },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type, "f32 (default), f16, q8_0 or q4_0", "TYPE" },
    { "tokenizer", 'z', 0, G_OPTION_ARG_FILENAME, &tokenizer,
      "A llama2.c tokenizer.bin to ship with it (default: a stand-in vocabulary)", "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return sm_cli_fail ("init", g_steal_pointer (&error));
  if (argc != 2)
    {
      fprintf (stderr, "usage: smallmind-cli init OUT [--dim N --hidden N --layers N --heads N ...]\n");
      return 2;
    }
  if (!sm_cli_parse_dtype (type ? type : "f32", &dtype, &error))
    return sm_cli_fail ("init", g_steal_pointer (&error));

  {
    SmArch id = SM_ARCH_LLAMA;
    if (arch && !sm_arch_from_name (arch, &id))
      {
        g_autofree char *names = sm_arch_list_names ();
        fprintf (stderr, "smallmind-cli init: --arch must be one of %s\n", names);
        return 2;
      }
    sm_arch_config_defaults (id, &c);
  }
  const gboolean rope = !sm_arch_info (c.arch)->pos_embd;
  if (tokenizer && vocab_file)
    {
      fprintf (stderr, "smallmind-cli init: give --tokenizer or --vocab-from, not both\n");
      return 2;
    }
  g_autofree char *jinja = NULL;
  if (vocab_file)
    {
      g_autoptr (SmGguf) g = sm_gguf_open (vocab_file, &error);
      if (g != NULL)
        tok = sm_tokenizer_new_from_gguf (g, &error);
      if (tok == NULL)
        {
          g_prefix_error (&error, "the vocabulary of %s: ", vocab_file);
          return sm_cli_fail ("init", g_steal_pointer (&error));
        }
      if (sm_gguf_find_key (g, "tokenizer.chat_template") >= 0)
        jinja = sm_gguf_get_string (g, "tokenizer.chat_template", NULL);
      if (vocab == 0)
        vocab = sm_tokenizer_n_vocab (tok);
    }
  if (vocab == 0)
    vocab = 32000;
  if (template_arg)
    {
      SmChatFormat f = sm_chat_format_detect (template_arg);
      g_clear_pointer (&jinja, g_free);
      if (f != SM_CHAT_FORMAT_NONE && sm_chat_format_jinja (f) != NULL)
        jinja = g_strdup (sm_chat_format_jinja (f));
      else if (!g_file_get_contents (template_arg, &jinja, NULL, NULL))
        {
          fprintf (stderr, "smallmind-cli init: --chat-template %s is neither chatml, llama3, gemma, "
                   "phi3 nor a readable file\n", template_arg);
          return 2;
        }
    }
  if (dim < 1 || hidden < 1 || layers < 1 || heads < 1 || vocab < 1 || ctx_len < 2 || kv_heads < 0)
    {
      fprintf (stderr, "smallmind-cli init: --dim, --hidden, --layers, --heads and --vocab must be 1 "
               "or more, --context 2 or more\n");
      return 2;
    }
  if (head_dim < 0 || (head_dim > 0 && !rope))
    {
      fprintf (stderr, "smallmind-cli init: --head-dim must be positive, and GPT's heads are "
               "dim / heads\n");
      return 2;
    }
  if (head_dim == 0 && (dim % heads != 0))
    {
      fprintf (stderr, "smallmind-cli init: --dim (%d) must be a multiple of --heads (%d), or give "
               "--head-dim\n", dim, heads);
      return 2;
    }
  if (head_dim == 0)
    head_dim = dim / heads;
  if ((kv_heads > 0 && heads % kv_heads != 0) || (rope && head_dim % 2 != 0))
    {
      /* RoPE turns pairs of a head's dimensions: its heads need an even size */
      fprintf (stderr, "smallmind-cli init: --heads (%d) must be a multiple of --kv-heads (%d)%s\n",
               heads, kv_heads > 0 ? kv_heads : heads,
               rope ? ", and heads need an even size" : "");
      return 2;
    }
  if (window >= 0)
    {
      if (c.swa_period == 0)
        {
          fprintf (stderr, "smallmind-cli init: only phi3 and gemma2 have a sliding window\n");
          return 2;
        }
      c.sliding_window = window;
    }
  {
    /* the weights are made in f32 in memory before any conversion: refuse a shape that cannot
     * fit rather than start and die of it */
    double kvd = (double) dim / heads * (kv_heads > 0 ? kv_heads : heads);
    double params = (double) vocab * dim * 2 + (double) layers * (2.0 * dim * dim + 2.0 * dim * kvd
                                                                   + 3.0 * dim * hidden + 2.0 * dim);
    double need = params * 4.0, have = (double) sysconf (_SC_PHYS_PAGES) * (double) sysconf (_SC_PAGESIZE);
    if (have > 0 && need > 0.8 * have)
      {
        fprintf (stderr, "smallmind-cli init: that shape has about %.0f million parameters, %.1f GB in "
                 "memory, and this machine has %.1f GB\n", params / 1e6, need / 1e9, have / 1e9);
        return 2;
      }
  }
  c.vocab_size = vocab;
  c.dim = dim;
  c.n_layers = layers;
  c.n_heads = heads;
  c.n_kv_heads = kv_heads > 0 ? kv_heads : heads;
  c.head_dim = head_dim;
  c.hidden_dim = hidden;
  c.context_length = ctx_len;
  c.rope_dims = c.head_dim;
  /* Gemma 2 always reads its logits from the embedding */
  c.tied_output = c.arch == SM_ARCH_GEMMA2 || (rope && !untied);

  if (tok != NULL)
    ;   /* --vocab-from */
  else if (tokenizer)
    {
      tok = sm_tokenizer_new_llama2c (tokenizer, vocab, &error);
      if (tok == NULL)
        g_prefix_error (&error, "the tokenizer %s ", tokenizer);
    }
  else if (c.arch == SM_ARCH_GPT)
    tok = sm_tokenizer_new_bytes ();
  else
    tok = filler_vocab (vocab, &error);
  if (tok == NULL)
    return sm_cli_fail ("init", g_steal_pointer (&error));
  if (jinja && sm_chat_format_detect (jinja) == SM_CHAT_FORMAT_CHATML
      && sm_tokenizer_get_kind (tok) == SM_TOKENIZER_GPT2)
    {
      SmTokenizer *chatml = with_chatml_tokens (tok, &error);
      if (chatml == NULL)
        return sm_cli_fail ("init", g_steal_pointer (&error));
      g_clear_pointer (&tok, sm_tokenizer_unref);
      tok = chatml;
      c.vocab_size = MAX (c.vocab_size, sm_tokenizer_n_vocab (tok));
    }

  g_autofree char *name = g_strdup_printf ("random %s %dd %dL", sm_arch_info (c.arch)->name, dim, layers);
  model = sm_model_new_random (&c, tok, (guint64) seed, name, &error);
  if (model == NULL)
    return sm_cli_fail ("init", g_steal_pointer (&error));
  if (jinja)
    sm_model_set_chat_template (model, jinja);
  if (!sm_model_save_gguf (model, argv[1], dtype, &error))
    return sm_cli_fail ("init", g_steal_pointer (&error));
  printf ("wrote %s: %" G_GUINT64_FORMAT " parameters\n", argv[1], sm_model_n_params (model));
  return 0;
}
