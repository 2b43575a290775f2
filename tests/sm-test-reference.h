/* sm-test-reference.h: a naive double-precision forward pass of every architecture, written
 * from llama.cpp's graph builders (build_gpt2, build_llama, build_qwen2, Qwen3's q/k norms,
 * build_phi3, build_gemma2), for the model tests to hold the engine to. */
#pragma once

#include "sm-model-private.h"

G_BEGIN_DECLS

/* Logits (vocab) of the last of tokens[0..n), computed from scratch for every position, from
 * @m's f32 weights; g_free. */
double *sm_test_ref_forward (const SmModel *m, const gint32 *tokens, int n);

G_END_DECLS
