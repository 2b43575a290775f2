/* test-engine.c: SmEngine's async calls on a real main loop: load, streamed generation,
 * cancellation within a token, settings changed mid-generation, errors as values.  Run under
 * ASan in CI, where a leak in any of these loops fails the suite. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sm-engine.h"
#include "sm-pool.h"
#include "sm-mapped-file.h"
#include "sm-test-util.h"
#include "sm-threads.h"

typedef struct {
  GMainLoop       *loop;
  GString         *text;
  int              chunks;
  gboolean         ok;
  GError          *error;
  SmGenerateStats  stats;
  GCancellable    *cancel;
  int              cancel_after_chunks;  /* 0: never */
  SmEngine        *engine;
  int              toggles;              /* settings flipped from the text callback */
} Ctx;

static void
ctx_init (Ctx *c)
{
  memset (c, 0, sizeof *c);
  c->loop = g_main_loop_new (NULL, FALSE);
  c->text = g_string_new (NULL);
}

static void
ctx_clear (Ctx *c)
{
  g_main_loop_unref (c->loop);
  g_string_free (c->text, TRUE);
  g_clear_error (&c->error);
  g_clear_object (&c->cancel);
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Ctx *c = data;
  c->ok = sm_engine_load_preset_finish (SM_ENGINE (source), result, &c->error);
  g_main_loop_quit (c->loop);
}

static void
on_file_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Ctx *c = data;
  c->ok = sm_engine_load_finish (SM_ENGINE (source), result, &c->error);
  g_main_loop_quit (c->loop);
}

static void
on_text (SmEngine *engine, const char *text, gpointer data)
{
  Ctx *c = data;

  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_string_append (c->text, text);
  c->chunks++;
  if (c->cancel && c->cancel_after_chunks > 0 && c->chunks >= c->cancel_after_chunks)
    g_cancellable_cancel (c->cancel);
  if (c->toggles > 0)
    {
      /* flip everything the window lets a person flip, while tokens flow */
      static const SmKernelLevel levels[] = { SM_KERNEL_LEVEL_SCALAR, SM_KERNEL_LEVEL_AVX2,
                                              SM_KERNEL_LEVEL_AVX512, SM_KERNEL_LEVEL_AVX512_VNNI,
                                              SM_KERNEL_LEVEL_AUTO };
      SmKernelLevel level = levels[c->chunks % G_N_ELEMENTS (levels)];
      if (sm_kernels_level_supported (level, NULL))
        g_assert_true (sm_engine_set_kernel_level (engine, level, NULL));
      sm_engine_set_pool_enabled (engine, c->chunks % 2);
      sm_engine_set_threads (engine, 1 + c->chunks % 2);
      sm_engine_set_profiling (engine, c->chunks % 3 != 0);
      c->toggles--;
    }
}

static void
on_generated (GObject *source, GAsyncResult *result, gpointer data)
{
  Ctx *c = data;
  c->ok = sm_engine_generate_finish (SM_ENGINE (source), result, &c->stats, &c->error);
  g_main_loop_quit (c->loop);
}

static void
generate (SmEngine *engine, const char *prompt, int max_tokens, Ctx *c)
{
  SmGenerateParams params;

  sm_generate_params_init (&params);
  params.max_tokens = max_tokens;
  sm_engine_generate_async (engine, prompt, &params, on_text, c, NULL, NULL, on_generated, c);
  g_main_loop_run (c->loop);
}

static SmEngine *
engine_with_small (void)
{
  SmEngine *engine = sm_engine_new ();
  Ctx c;

  ctx_init (&c);
  sm_engine_load_preset_async (engine, SM_PRESET_SMALL, 3, NULL, on_loaded, &c);
  g_main_loop_run (c.loop);
  g_assert_no_error (c.error);
  g_assert_true (c.ok);
  ctx_clear (&c);
  return engine;
}

static void
test_generate_streams (void)
{
  g_autoptr (SmEngine) engine = engine_with_small ();
  SmGenerateParams params;
  SmEngineStats st;
  Ctx c;

  ctx_init (&c);
  sm_generate_params_init (&params);
  params.max_tokens = 40;
  sm_engine_generate_async (engine, "Hello", &params, on_text, &c, NULL, NULL, on_generated, &c);
  g_main_loop_run (c.loop);
  g_assert_no_error (c.error);
  g_assert_true (c.ok);
  g_assert_cmpint (c.stats.generated_tokens, ==, 40);
  g_assert_cmpint (c.stats.stop_reason, ==, SM_STOP_MAX_TOKENS);
  g_assert_cmpint (c.stats.prompt_tokens, ==, 5);      /* bytes, no BOS */
  g_assert_cmpuint (c.text->len, >, 0);
  g_assert_cmpint (c.chunks, >=, 1);

  sm_engine_get_stats (engine, &st);
  g_assert_cmpstr (st.model_name, ==, "SmallMind Small");
  g_assert_cmpuint (st.model_params, ==, 470528);
  g_assert_false (st.generating);
  g_assert_cmpint (st.gen.generated_tokens, ==, 40);
  g_assert_cmpfloat (st.decode_tps, >, 0);
  g_assert_cmpuint (st.pool.rents, >, 0);
  g_assert_cmpuint (st.resident_bytes, >, 0);
  sm_engine_stats_clear (&st);
  ctx_clear (&c);
}

static void
test_same_text_twice (void)
{
  /* greedy + prefix reuse: continuing the same prompt twice gives the same text */
  g_autoptr (SmEngine) engine = engine_with_small ();
  SmGenerateParams params;
  g_autofree char *first = NULL;
  Ctx c;

  sm_generate_params_init (&params);
  params.max_tokens = 20;
  for (int round = 0; round < 2; round++)
    {
      ctx_init (&c);
      sm_engine_generate_async (engine, "abc", &params, on_text, &c, NULL, NULL, on_generated, &c);
      g_main_loop_run (c.loop);
      g_assert_true (c.ok);
      if (round == 0)
        first = g_strdup (c.text->str);
      else
        {
          g_assert_cmpstr (c.text->str, ==, first);
          g_assert_cmpint (c.stats.cached_tokens, ==, 2);   /* "ab" was reused */
        }
      ctx_clear (&c);
    }
}

static void
test_cancel_loop (void)
{
  g_autoptr (SmEngine) engine = engine_with_small ();
  SmGenerateParams params;

  sm_generate_params_init (&params);
  params.max_tokens = 0;    /* until the context is full: only cancel ends it early */
  params.sampling.temperature = 0.8f;
  for (int i = 0; i < 30; i++)
    {
      Ctx c;
      ctx_init (&c);
      c.cancel = g_cancellable_new ();
      c.cancel_after_chunks = 1;
      sm_engine_generate_async (engine, "x", &params, on_text, &c, NULL, c.cancel, on_generated, &c);
      g_main_loop_run (c.loop);
      g_assert_no_error (c.error);
      g_assert_true (c.ok);
      /* Small's context is 64: a generation that ran to the end would report context full */
      if (c.stats.stop_reason != SM_STOP_CANCELLED)
        g_assert_cmpint (c.stats.stop_reason, ==, SM_STOP_CONTEXT_FULL);
      ctx_clear (&c);
    }

  /* cancelled before it starts */
  {
    Ctx c;
    ctx_init (&c);
    c.cancel = g_cancellable_new ();
    g_cancellable_cancel (c.cancel);
    sm_engine_generate_async (engine, "x", &params, on_text, &c, NULL, c.cancel, on_generated, &c);
    g_main_loop_run (c.loop);
    g_assert_true (c.ok);
    g_assert_cmpint (c.stats.stop_reason, ==, SM_STOP_CANCELLED);
    g_assert_cmpint (c.stats.generated_tokens, ==, 0);
    ctx_clear (&c);
  }
}

static void
test_toggles_mid_generation (void)
{
  g_autoptr (SmEngine) engine = engine_with_small ();
  SmGenerateParams params;
  g_autofree char *reference = NULL;

  sm_generate_params_init (&params);
  params.max_tokens = 60;

  for (int round = 0; round < 8; round++)
    {
      Ctx c;
      ctx_init (&c);
      c.toggles = round == 0 ? 0 : 1000;
      sm_engine_generate_async (engine, "The ", &params, on_text, &c, NULL, NULL, on_generated, &c);
      g_main_loop_run (c.loop);
      g_assert_no_error (c.error);
      g_assert_true (c.ok);
      /* greedy output does not depend on the path taken to compute it */
      if (round == 0)
        reference = g_strdup (c.text->str);
      else
        g_assert_cmpstr (c.text->str, ==, reference);
      ctx_clear (&c);
    }

  /* a level the CPU lacks is refused at once, with a reason */
  if (!sm_kernels_level_supported (SM_KERNEL_LEVEL_NEON, NULL))
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (sm_engine_set_kernel_level (engine, SM_KERNEL_LEVEL_NEON, &error));
      g_assert_error (error, SM_KERNELS_ERROR, SM_KERNELS_ERROR_UNSUPPORTED);
    }
  sm_engine_set_kernel_level (engine, SM_KERNEL_LEVEL_AUTO, NULL);
  sm_engine_set_pool_enabled (engine, TRUE);
  sm_engine_set_threads (engine, 1);
}

/* The KV cache's type: f32 by default; f16 asked for mid-reply lands after the reply (whose
 * text is the f32 one: the session is not swapped under it), with the cache emptied (the next
 * reply evaluates its whole prompt, after which prefixes are reused again) and half the
 * bytes, named in the stats and the snapshot; a later load keeps it. */
typedef struct {
  Ctx      c;
  gboolean asked;
} KvCtx;

static void
on_text_kv (SmEngine *engine, const char *text, gpointer data)
{
  KvCtx *k = data;

  on_text (engine, text, &k->c);
  if (!k->asked)
    sm_engine_set_kv_type (engine, SM_KV_TYPE_F16);
  k->asked = TRUE;
}

static void
generate_abc (SmEngine *engine, SmEngineTextFunc text_func, KvCtx *k, char **text,
              SmGenerateStats *stats)
{
  SmGenerateParams params;

  sm_generate_params_init (&params);
  params.max_tokens = 20;
  ctx_init (&k->c);
  sm_engine_generate_async (engine, "abc", &params, text_func, k, NULL, NULL, on_generated, &k->c);
  g_main_loop_run (k->c.loop);
  g_assert_no_error (k->c.error);
  g_assert_true (k->c.ok);
  *text = g_strdup (k->c.text->str);
  *stats = k->c.stats;
  ctx_clear (&k->c);
}

static void
test_kv_cache_type (void)
{
  g_autoptr (SmEngine) engine = engine_with_small ();
  g_autofree char *f32_text = NULL, *mid_text = NULL, *f16_text = NULL, *again = NULL;
  SmGenerateStats gs;
  SmEngineStats st;
  KvCtx k = { 0 };
  guint64 f32_bytes;

  sm_engine_get_stats (engine, &st);
  g_assert_cmpint (st.kv_type, ==, SM_KV_TYPE_F32);
  g_assert_cmpuint (st.kv_bytes, >, 0);
  f32_bytes = st.kv_bytes;
  sm_engine_stats_clear (&st);
  g_assert_cmpstr (sm_engine_kv_type_name (SM_KV_TYPE_F16), ==, "f16");
  {
    SmKvType t;
    g_assert_true (sm_engine_kv_type_from_name ("f32", &t));
    g_assert_cmpint (t, ==, SM_KV_TYPE_F32);
    g_assert_false (sm_engine_kv_type_from_name ("q8_0", &t));
  }

  k.asked = TRUE;
  generate_abc (engine, on_text_kv, &k, &f32_text, &gs);
  k.asked = FALSE;
  generate_abc (engine, on_text_kv, &k, &mid_text, &gs);
  g_assert_true (k.asked);
  g_assert_cmpstr (mid_text, ==, f32_text);
  g_assert_cmpint (gs.cached_tokens, ==, 2);

  /* the f16 cache: asked for mid-reply, it is in force for the next one */
  generate_abc (engine, on_text, &k, &f16_text, &gs);
  g_assert_cmpint (gs.cached_tokens, ==, 0);
  g_assert_cmpint (gs.generated_tokens, ==, 20);
  sm_engine_get_stats (engine, &st);
  g_assert_cmpint (st.kv_type, ==, SM_KV_TYPE_F16);
  g_assert_cmpuint (2 * st.kv_bytes, ==, f32_bytes);
  sm_engine_stats_clear (&st);
  generate_abc (engine, on_text, &k, &again, &gs);
  g_assert_cmpint (gs.cached_tokens, ==, 2);
  g_assert_cmpstr (again, ==, f16_text);
  {
    g_autoptr (SmSnapshot) snap = sm_engine_dup_snapshot (engine, SM_SNAPSHOT_RANGE_SESSION, "kv");
    g_assert_cmpstr (snap->kv_cache, ==, "f16");
    g_assert_cmpuint (snap->kv_cache_bytes, ==, f32_bytes / 2);
  }

  /* the same type again changes nothing: the cache is kept */
  sm_engine_set_kv_type (engine, SM_KV_TYPE_F16);
  g_clear_pointer (&again, g_free);
  generate_abc (engine, on_text, &k, &again, &gs);
  g_assert_cmpint (gs.cached_tokens, ==, 2);

  /* a load keeps the type */
  {
    Ctx c;
    ctx_init (&c);
    sm_engine_load_preset_async (engine, SM_PRESET_MEDIUM, 3, NULL, on_loaded, &c);
    g_main_loop_run (c.loop);
    g_assert_true (c.ok);
    ctx_clear (&c);
  }
  sm_engine_get_stats (engine, &st);
  g_assert_cmpint (st.kv_type, ==, SM_KV_TYPE_F16);
  g_assert_cmpuint (st.kv_bytes, ==, 2 * 4 * 8 * 32 * (128 + 16) * 2);   /* k, v × layers × heads × hd × stride × f16 */
  sm_engine_stats_clear (&st);

  /* and back to f32 */
  sm_engine_set_kv_type (engine, SM_KV_TYPE_F32);
  g_clear_pointer (&again, g_free);
  generate_abc (engine, on_text, &k, &again, &gs);
  sm_engine_get_stats (engine, &st);
  g_assert_cmpint (st.kv_type, ==, SM_KV_TYPE_F32);
  g_assert_cmpuint (st.kv_bytes, ==, 2 * 4 * 8 * 32 * (128 + 16) * 4);
  sm_engine_stats_clear (&st);
}

/* Each text delivery reads the engine's counters while the reply still runs. */
typedef struct {
  Ctx     c;
  double  live_allocs;   /* the largest system allocations per token seen mid-reply */
  guint64 live_tokens;
} LiveCtx;

static void
on_text_live (SmEngine *engine, const char *text, gpointer data)
{
  LiveCtx *l = data;
  SmEngineStats st;

  sm_engine_get_stats (engine, &st);
  if (st.generating && st.counters.decode_tokens > 0)
    {
      l->live_allocs = MAX (l->live_allocs, st.counters.sys_allocs_per_token);
      l->live_tokens = MAX (l->live_tokens, st.counters.decode_tokens);
    }
  sm_engine_stats_clear (&st);
  on_text (engine, text, &l->c);
  /* enough deliveries to have seen a publication of the counters; a bound either way */
  if ((l->live_allocs > 0 && l->c.chunks >= 3) || l->c.chunks >= 200)
    g_cancellable_cancel (l->c.cancel);
}

/* The counters' system allocations per token move while a reply runs, not only at its end:
 * switch the pool off and the window's memory chart says so at once.  The reply is endless
 * (no token limit, context shift on) so every delivery comes mid-reply. */
static void
test_live_allocations (void)
{
  g_autoptr (SmEngine) engine = engine_with_small ();
  SmGenerateParams params;
  LiveCtx l = { 0 };

  sm_generate_params_init (&params);
  params.max_tokens = 0;
  params.context_shift = TRUE;
  sm_engine_set_pool_enabled (engine, FALSE);
  ctx_init (&l.c);
  l.c.cancel = g_cancellable_new ();
  sm_engine_generate_async (engine, "x", &params, on_text_live, &l, NULL, l.c.cancel, on_generated, &l.c);
  g_main_loop_run (l.c.loop);
  g_assert_no_error (l.c.error);
  g_assert_true (l.c.ok);
  g_assert_cmpint (l.c.stats.stop_reason, ==, SM_STOP_CANCELLED);
  g_assert_cmpuint (l.live_tokens, >, 0);
  /* pool off: every activation buffer of every token is a system allocation */
  g_assert_cmpfloat (l.live_allocs, >=, 5.0);
  ctx_clear (&l.c);
  sm_engine_set_pool_enabled (engine, TRUE);
}

static void
test_errors (void)
{
  g_autoptr (SmEngine) engine = sm_engine_new ();
  SmGenerateParams params;
  g_autofree char *dir = g_dir_make_tmp ("sm-engine-XXXXXX", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.gguf", NULL);
  Ctx c;

  /* generate before any model */
  ctx_init (&c);
  sm_generate_params_init (&params);
  sm_engine_generate_async (engine, "x", &params, on_text, &c, NULL, NULL, on_generated, &c);
  g_main_loop_run (c.loop);
  g_assert_false (c.ok);
  g_assert_error (c.error, SM_ENGINE_ERROR, SM_ENGINE_ERROR_NO_MODEL);
  ctx_clear (&c);

  /* a corrupt file: an error naming the file; the engine keeps working */
  g_assert_true (g_file_set_contents (bad, "GGUF\x03\0\0\0garbage", 15, NULL));
  ctx_init (&c);
  sm_engine_load_async (engine, bad, NULL, NULL, on_file_loaded, &c);
  g_main_loop_run (c.loop);
  g_assert_false (c.ok);
  g_assert_nonnull (c.error);
  g_assert_nonnull (strstr (c.error->message, "bad.gguf"));
  ctx_clear (&c);

  ctx_init (&c);
  sm_engine_load_preset_async (engine, SM_PRESET_SMALL, 1, NULL, on_loaded, &c);
  g_main_loop_run (c.loop);
  g_assert_true (c.ok);
  ctx_clear (&c);

  /* a failed load leaves the previous model in place */
  ctx_init (&c);
  sm_engine_load_async (engine, "/nonexistent/model.gguf", NULL, NULL, on_file_loaded, &c);
  g_main_loop_run (c.loop);
  g_assert_false (c.ok);
  ctx_clear (&c);
  {
    g_autoptr (SmModel) m = sm_engine_dup_model (engine);
    g_assert_nonnull (m);
    g_assert_cmpstr (sm_model_get_name (m), ==, "SmallMind Small");
  }

  /* a prompt longer than the context */
  ctx_init (&c);
  g_autofree char *long_prompt = g_strnfill (200, 'z');
  sm_engine_generate_async (engine, long_prompt, &params, on_text, &c, NULL, NULL, on_generated, &c);
  g_main_loop_run (c.loop);
  g_assert_false (c.ok);
  g_assert_error (c.error, SM_MODEL_ERROR, SM_MODEL_ERROR_CONTEXT_FULL);
  ctx_clear (&c);

  g_unlink (bad);
  g_rmdir (dir);
}

/* ---- a model file changed under the engine ------------------------------------------------- */

#define CHANGED_WORDS "changed on disk while in use (truncated or overwritten); load it again"

static void
truncate_file (const char *path)
{
  int fd = g_open (path, O_WRONLY, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 0), ==, 0);   /* what cp's O_TRUNC does first */
  close (fd);
}

/* Small's random weights saved as a SmallMind checkpoint in @dir: a model read from its
 * mapped file, as every loaded model is. */
static char *
save_small (const char *dir)
{
  g_autoptr (SmModel) model = sm_model_new_preset (SM_PRESET_SMALL, 5);
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, "small.smck", NULL);

  g_assert_true (sm_model_save_checkpoint (model, path, NULL, &error));
  g_assert_no_error (error);
  return path;
}

typedef struct {
  const char *path;
  GString    *text;
  gboolean    truncated;
} CutCtx;

static void
cut_on_first_text (const char *text, gsize len, gpointer user)
{
  CutCtx *c = user;

  g_string_append_len (c->text, text, (gssize) len);
  if (!c->truncated)
    truncate_file (c->path);
  c->truncated = TRUE;
}

/* sm_generate itself (the engine thread's loop): the file truncated after the first text
 * fails the reply at the next token, with the error naming the file; the text before it
 * stays, and the pass that read zeros gives no token. */
static void
test_generate_file_truncated (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-engine-XXXXXX", NULL);
  g_autofree char *path = save_small (dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmModel) model = sm_model_load (path, NULL, &error);
  g_autoptr (GString) text = g_string_new (NULL);
  CutCtx cut = { path, text, FALSE };
  SmGenerateCallbacks cb = { .text = cut_on_first_text, .user = &cut };
  SmGenerateParams params;
  SmGenerateStats stats;
  SmSession *s;

  g_assert_no_error (error);
  s = sm_session_new (model, NULL, 0, &error);
  g_assert_no_error (error);
  sm_generate_params_init (&params);
  params.max_tokens = 40;
  g_assert_false (sm_generate (s, "Once", &params, &cb, NULL, &stats, &error));
  g_assert_error (error, SM_MAPPED_FILE_ERROR, SM_MAPPED_FILE_ERROR_CHANGED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, CHANGED_WORDS));
  g_assert_true (cut.truncated);
  /* the token whose text came, and none after it */
  g_assert_cmpint (stats.generated_tokens, >=, 1);
  g_assert_cmpint (stats.generated_tokens, <, 40);
  g_assert_cmpuint (text->len, >, 0);
  /* and so it stays for this model: only a new load reads the file again */
  g_clear_error (&error);
  g_assert_false (sm_generate (s, "Once", &params, NULL, NULL, &stats, &error));
  g_assert_error (error, SM_MAPPED_FILE_ERROR, SM_MAPPED_FILE_ERROR_CHANGED);
  g_assert_cmpint (stats.generated_tokens, ==, 0);
  sm_session_free (s);
  g_clear_pointer (&model, sm_model_unref);
  g_unlink (path);
  g_rmdir (dir);
}

/* Through SmEngine, as the window meets it: a file truncated, or rewritten in place at the
 * same size (no fault at all), since the model was loaded fails the next reply at once with
 * SM_ENGINE_ERROR_MODEL_CHANGED; a new load of the file works again. */
static void
test_engine_file_changed (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-engine-XXXXXX", NULL);
  g_autofree char *path = save_small (dir);
  g_autofree char *copy = g_build_filename (dir, "copy.smck", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (SmEngine) engine = sm_engine_new ();
  gsize len;
  Ctx c;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  for (int rewrite = 0; rewrite < 2; rewrite++)
    {
      ctx_init (&c);
      sm_engine_load_async (engine, path, NULL, NULL, on_file_loaded, &c);
      g_main_loop_run (c.loop);
      g_assert_no_error (c.error);
      ctx_clear (&c);

      ctx_init (&c);
      generate (engine, "Once", 8, &c);
      g_assert_no_error (c.error);
      ctx_clear (&c);

      if (rewrite)
        {
          /* the same bytes written over it in place, a second later by its clock */
          int fd = g_open (path, O_WRONLY, 0);
          struct stat st;
          struct timespec times[2];

          g_assert_cmpint (fd, >=, 0);
          g_assert_cmpint (pwrite (fd, contents, len, 0), ==, (gssize) len);
          g_assert_cmpint (fstat (fd, &st), ==, 0);
          times[0] = st.st_atim;
          times[1] = st.st_mtim;
          times[1].tv_sec += 1;
          g_assert_cmpint (futimens (fd, times), ==, 0);
          close (fd);
        }
      else
        truncate_file (path);

      ctx_init (&c);
      generate (engine, "Once", 8, &c);
      g_assert_false (c.ok);
      g_assert_error (c.error, SM_ENGINE_ERROR, SM_ENGINE_ERROR_MODEL_CHANGED);
      g_assert_nonnull (strstr (c.error->message, path));
      g_assert_nonnull (strstr (c.error->message, CHANGED_WORDS));
      g_assert_cmpint (c.stats.generated_tokens, ==, 0);
      ctx_clear (&c);

      /* the engine lives; the file, whole again, loads and runs */
      g_assert_true (g_file_set_contents (copy, contents, (gssize) len, NULL));
      g_assert_cmpint (g_rename (copy, path), ==, 0);
      ctx_init (&c);
      sm_engine_load_async (engine, path, NULL, NULL, on_file_loaded, &c);
      g_main_loop_run (c.loop);
      g_assert_no_error (c.error);
      ctx_clear (&c);
      ctx_init (&c);
      generate (engine, "Once", 8, &c);
      g_assert_no_error (c.error);
      g_assert_cmpint (c.stats.generated_tokens, ==, 8);
      ctx_clear (&c);
    }
  g_clear_object (&engine);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_dispose_while_generating (void)
{
  /* Dropping the engine with a generation queued must neither hang nor leak. */
  for (int i = 0; i < 5; i++)
    {
      SmEngine *engine = engine_with_small ();
      SmGenerateParams params;
      g_autoptr (GCancellable) cancel = g_cancellable_new ();
      Ctx c;

      ctx_init (&c);
      sm_generate_params_init (&params);
      params.max_tokens = 0;
      sm_engine_generate_async (engine, "y", &params, on_text, &c, NULL, cancel, on_generated, &c);
      g_object_unref (engine);     /* the task keeps it alive until it completes */
      g_cancellable_cancel (cancel);
      g_main_loop_run (c.loop);
      g_assert_true (c.ok);
      ctx_clear (&c);
    }
}


/* A model switch frees the old session (its KV cache and packed weights) before it makes the
 * new one: the pool's peak across the switch holds one session, not two. */
static void
test_switch_peak (void)
{
  SmEngine *engine = engine_with_small ();
  SmPoolStats before, after;
  SmEngineStats stats;
  Ctx c;

  sm_engine_get_stats (engine, &stats);
  sm_pool_get_stats (sm_pool_default (), &before);
  sm_pool_reset_stats (sm_pool_default ());
  ctx_init (&c);
  sm_engine_load_preset_async (engine, SM_PRESET_SMALL, 4, NULL, on_loaded, &c);
  g_main_loop_run (c.loop);
  g_assert_no_error (c.error);
  ctx_clear (&c);
  sm_pool_get_stats (sm_pool_default (), &after);
  g_test_message ("pool live %" G_GUINT64_FORMAT " before the switch, %" G_GUINT64_FORMAT
                  " after, peak across it %" G_GUINT64_FORMAT " (KV cache %" G_GUINT64_FORMAT ")",
                  before.live_bytes, after.live_bytes, after.peak_bytes, stats.kv_bytes);
  g_assert_cmpuint (stats.kv_bytes, >, 0);
  /* the same preset again: the new model's weights come on top (a failed load keeps the old
   * model), its session does not */
  g_assert_cmpuint (after.peak_bytes, <=, before.live_bytes + after.live_bytes - stats.kv_bytes);
  sm_engine_stats_clear (&stats);
  g_object_unref (engine);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Engine/generate-streams", test_generate_streams);
  g_test_add_func ("/Engine/same-text-twice", test_same_text_twice);
  g_test_add_func ("/Engine/cancel-loop", test_cancel_loop);
  g_test_add_func ("/Engine/toggles-mid-generation", test_toggles_mid_generation);
  g_test_add_func ("/Engine/live-allocations", test_live_allocations);
  g_test_add_func ("/Engine/kv-cache-type", test_kv_cache_type);
  g_test_add_func ("/Engine/switch-peak", test_switch_peak);
  g_test_add_func ("/Engine/errors", test_errors);
  g_test_add_func ("/Engine/dispose-while-generating", test_dispose_while_generating);
  g_test_add_func ("/Engine/generate-file-truncated", test_generate_file_truncated);
  g_test_add_func ("/Engine/file-changed", test_engine_file_changed);
  return g_test_run ();
}
