/* sm-arch.c: the architectures SmallMind runs, a row each.
 *
 * Each row says what the architecture is built from, as llama.cpp's graph builders for it
 * (src/llama.cpp build_gpt2, build_llama, build_qwen2, build_phi3, build_gemma2) put it
 * together and its tensor list (src/llama-model.cpp) names it.  Adding an architecture made
 * of parts the pass already has is a row here, its keys in sm-model-load.c and its tests. */
#include "sm-model-private.h"

#include <string.h>

static const SmArchInfo archs[SM_N_ARCHS] = {
  [SM_ARCH_GPT] = {
    .name = "gpt", .gguf_name = "gpt2", .label = "GPT-2",
    .layer_norm = TRUE, .biases = TRUE, .pos_embd = TRUE, .qkv_fused = TRUE, .qkv_bias = TRUE,
    .ffn = SM_FFN_GELU,
  },
  [SM_ARCH_LLAMA] = {
    .name = "llama", .gguf_name = "llama", .label = "LLaMA",
    .ffn = SM_FFN_SWIGLU, .rope_mode = SM_ROPE_NORM,
  },
  [SM_ARCH_QWEN2] = {
    .name = "qwen2", .gguf_name = "qwen2", .label = "Qwen2",
    .qkv_bias = TRUE, .ffn = SM_FFN_SWIGLU, .rope_mode = SM_ROPE_NEOX,
  },
  [SM_ARCH_QWEN3] = {
    .name = "qwen3", .gguf_name = "qwen3", .label = "Qwen3",
    .qk_norm = TRUE, .ffn = SM_FFN_SWIGLU, .rope_mode = SM_ROPE_NEOX,
  },
  [SM_ARCH_PHI3] = {
    .name = "phi3", .gguf_name = "phi3", .label = "Phi-3",
    .qkv_fused = TRUE, .ffn = SM_FFN_SWIGLU, .gate_up_fused = TRUE, .rope_mode = SM_ROPE_NEOX,
  },
  [SM_ARCH_GEMMA2] = {
    .name = "gemma2", .gguf_name = "gemma2", .label = "Gemma 2",
    .post_norms = TRUE, .embd_scale = TRUE, .ffn = SM_FFN_GEGLU, .rope_mode = SM_ROPE_NEOX,
  },
};

const SmArchInfo *
sm_arch_info (SmArch arch)
{
  g_return_val_if_fail ((guint) arch < SM_N_ARCHS, &archs[SM_ARCH_LLAMA]);
  return &archs[arch];
}

gboolean
sm_arch_from_gguf_name (const char *gguf_name, SmArch *arch)
{
  for (guint i = 0; gguf_name != NULL && i < SM_N_ARCHS; i++)
    if (strcmp (gguf_name, archs[i].gguf_name) == 0)
      {
        *arch = (SmArch) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
sm_arch_from_name (const char *name, SmArch *arch)
{
  for (guint i = 0; name != NULL && i < SM_N_ARCHS; i++)
    if (g_ascii_strcasecmp (name, archs[i].name) == 0)
      {
        *arch = (SmArch) i;
        return TRUE;
      }
  return sm_arch_from_gguf_name (name, arch);
}

char *
sm_arch_list_names (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < SM_N_ARCHS; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", archs[i].name);
  return g_string_free (s, FALSE);
}

void
sm_arch_config_defaults (SmArch arch, SmModelConfig *c)
{
  const SmArchInfo *a = sm_arch_info (arch);

  c->arch = arch;
  c->rope_mode = a->rope_mode;
  c->rope_base = 10000.0f;
  c->rope_freq_scale = 1.0f;
  c->norm_eps = 1e-5f;
  c->query_scale = 0.0f;
  c->attn_softcap = c->final_softcap = 0.0f;
  c->sliding_window = c->swa_period = 0;
  switch (arch)
    {
    case SM_ARCH_QWEN2:
    case SM_ARCH_QWEN3:
      /* Qwen2.5 and Qwen3 as released */
      c->rope_base = 1e6f;
      c->norm_eps = 1e-6f;
      break;
    case SM_ARCH_PHI3:
      /* Phi-3-mini-4k's window */
      c->sliding_window = 2047;
      c->swa_period = 1;
      break;
    case SM_ARCH_GEMMA2:
      /* Gemma 2 2B's, and llama.cpp's defaults */
      c->norm_eps = 1e-6f;
      c->attn_softcap = 50.0f;
      c->final_softcap = 30.0f;
      c->sliding_window = 4096;
      c->swa_period = 2;
      break;
    default:
      break;
    }
}
