/* sm-engine.h: the engine thread.
 *
 * One thread owns the model and the session; every request is an async call in GIO's style
 * (_async / _finish) whose callback runs on the caller's thread-default main context.  Tokens
 * stream back on that context in batches (at most one delivery per frame), so a fast model
 * cannot flood a UI.  Setting the pool, the kernel level, the thread count or profiling while
 * a generation runs takes effect at the next token.  sm_engine_get_stats () may be called from
 * any thread at any time and never waits for the engine.
 *
 * The live feed: the engine's profiler records per-op timings and a record per token (prefill
 * and decode), a sampler thread turns them into a bounded time series every few ms, and every
 * applied setting change leaves a marker.  While any of that moves, the "stats-updated" signal
 * fires on the main context of the thread that made the engine, at most once per stats
 * interval; it stops when nothing changes, so an idle engine wakes no one.  Handlers read with
 * sm_engine_get_stats () and the sm_engine_copy_* () calls, which copy without stalling the
 * engine thread.
 */
#pragma once

#include <gio/gio.h>

#include "sm-compare.h"
#include "sm-generate.h"
#include "sm-json.h"        /* the window writes its JSON files as the engine does */
#include "sm-kernels.h"
#include "sm-model.h"
#include "sm-model-library.h"
#include "sm-pool.h"
#include "sm-profiler.h"
#include "sm-roofline.h"
#include "sm-snapshot.h"
#include "sm-engine-train.h"   /* training on the engine thread */

G_BEGIN_DECLS

#define SM_TYPE_ENGINE (sm_engine_get_type ())
G_DECLARE_FINAL_TYPE (SmEngine, sm_engine, SM, ENGINE, GObject)

#define SM_ENGINE_ERROR (sm_engine_error_quark ())
typedef enum {
  SM_ENGINE_ERROR_NO_MODEL,   /* generate before any model was loaded */
  SM_ENGINE_ERROR_BUSY,       /* a generation is already running */
  SM_ENGINE_ERROR_TOKENIZER,  /* a llama2.c model's tokenizer is missing or another model's:
                               * the load can go on with the right one */
  SM_ENGINE_ERROR_MODEL_CHANGED, /* generate: the model's file was truncated or rewritten on
                                  * disk while in use; the text so far came from the file as
                                  * loaded, and nothing more will until it is loaded again */
} SmEngineError;
GQuark sm_engine_error_quark (void);

typedef struct {
  /* model */
  char        *model_name;          /* NULL before a model is loaded */
  char        *model_arch;
  char        *model_types;
  char        *model_vocab;         /* "GPT-2 byte-level BPE (qwen2)", "SentencePiece" ... */
  char        *model_chat;          /* its chat template's family ("ChatML"), NULL for none */
  guint64      model_params;
  SmChatFormat chat_format;         /* the model's chat template family; NONE without one */
  /* engine configuration in force */
  gboolean     pool_enabled;
  SmKernelLevel kernel_level;       /* resolved (never AUTO) */
  int          threads;
  gboolean     profiling;
  SmKvType     kv_type;             /* the KV cache's type: the session's, or the next one's */
  guint64      kv_bytes;            /* the session's KV cache; 0 before a model is loaded */
  /* the current or last generation */
  gboolean     generating;
  SmGenerateStats gen;
  double       prefill_tps;
  double       decode_tps;
  /* memory */
  SmPoolStats  pool;
  guint64      resident_bytes;      /* of the process, from /proc/self/statm */
  /* the profiler's read-out: tokens, tok/s, TTFT, allocations per token, op totals */
  SmProfilerCounters counters;
  /* per-op totals so far (time, flops, bytes), read with the counters: a reader takes the
   * difference between two read-outs for the figures of what ran in between */
  SmOpStats    ops[SM_N_OPS];
  guint64      serial;              /* changes whenever anything here may have */
} SmEngineStats;

void sm_engine_stats_clear (SmEngineStats *stats);

/* Called on the caller's main context with the next piece of text (complete UTF-8). */
typedef void (*SmEngineTextFunc) (SmEngine *engine, const char *text, gpointer user_data);

SmEngine   *sm_engine_new                 (void);

void        sm_engine_load_async          (SmEngine            *self,
                                           const char          *path,
                                           const char          *tokenizer_path,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean    sm_engine_load_finish         (SmEngine            *self,
                                           GAsyncResult        *result,
                                           GError             **error);
void        sm_engine_load_preset_async   (SmEngine            *self,
                                           SmPreset             preset,
                                           guint64              seed,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean    sm_engine_load_preset_finish  (SmEngine            *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* The built-in model of @preset as a person means it: the trained checkpoint when there is
 * one (sm_engine_find_builtin_model ()), else the preset's random weights with seed 42, which
 * SmModel's format then says ("preset": untrained).  sm_engine_load_preset_async () is always
 * the random one (for tests and benchmarks of a shape). */
void        sm_engine_load_builtin_async  (SmEngine            *self,
                                           SmPreset             preset,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean    sm_engine_load_builtin_finish (SmEngine            *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* The built-in model of @preset: the trained checkpoint shipped for it (small.smck,
 * medium.smck) when there is one, else NULL, and the preset's seeded random weights stand in
 * (sm_engine_load_preset_async ()).  The one search, for the window and the command line
 * alike: $SM_MODELS_DIR when set, then the source tree's data/models (an uninstalled build),
 * then the installed data directory (sm_preset_find_checkpoint ()). */
char       *sm_engine_find_builtin_model  (SmPreset preset);

/* The prompt for the loaded model's next reply, fitted into its context on a worker thread
 * (sm_prompt_fit ()): @turns (roles "user" and "assistant", oldest first) in the model's chat
 * template after @system_prompt, or @plain_prompt for a model without one, leaving room for
 * @max_tokens of reply (0: as much as the context allows).  The finish gives the prompt for
 * sm_engine_generate_async (), its length in tokens and whether it is in a chat template (then
 * set parse_special); NULL with SM_ENGINE_ERROR_NO_MODEL, the tokenizer's error, or
 * SM_MODEL_ERROR_CONTEXT_FULL naming the sizes when a template's prompt cannot fit. */
void        sm_engine_fit_prompt_async    (SmEngine            *self,
                                           const char          *plain_prompt,
                                           const char          *system_prompt,
                                           const SmChatTurn    *turns,
                                           gsize                n_turns,
                                           int                  max_tokens,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
char       *sm_engine_fit_prompt_finish   (SmEngine            *self,
                                           GAsyncResult        *result,
                                           int                 *n_tokens,
                                           gboolean            *chat,
                                           GError             **error);

/* Continues @prompt (see sm_generate ()).  @text_func gets the text as it comes; it is not
 * called after the finish callback. */
void        sm_engine_generate_async      (SmEngine               *self,
                                           const char             *prompt,
                                           const SmGenerateParams *params,
                                           SmEngineTextFunc        text_func,
                                           gpointer                text_data,
                                           GDestroyNotify          text_destroy,
                                           GCancellable           *cancellable,
                                           GAsyncReadyCallback     callback,
                                           gpointer                user_data);
gboolean    sm_engine_generate_finish     (SmEngine               *self,
                                           GAsyncResult           *result,
                                           SmGenerateStats        *stats,
                                           GError                **error);

/* Settings: validated at once, applied by the engine thread at its next token (or at once
 * when idle). */
void        sm_engine_set_pool_enabled    (SmEngine *self, gboolean enabled);
gboolean    sm_engine_set_kernel_level    (SmEngine *self, SmKernelLevel level, GError **error);
void        sm_engine_set_threads         (SmEngine *self, int n_threads);
void        sm_engine_set_profiling       (SmEngine *self, gboolean enabled);
/* The KV cache's element type (f32 by default; f16 takes half the memory).  Unlike the settings
 * above it lands between jobs, never inside a reply: a loaded model gets a new session with
 * an empty cache of the new type (as a new context would; the next reply evaluates its whole
 * prompt again), and later loads use it. */
void        sm_engine_set_kv_type         (SmEngine *self, SmKvType type);
const char *sm_engine_kv_type_name        (SmKvType type);
gboolean    sm_engine_kv_type_from_name   (const char *name, SmKvType *type);

/* The engine's profiler, for the command line and the engine's tests; the window reads it only
 * through the stats read-out (sm_engine_get_stats (), the sm_engine_copy_* () calls). */
SmProfiler *sm_engine_get_profiler        (SmEngine *self);
/* Keeps the latest @n_events op, scope and token intervals for the Chrome trace export
 * (sm_profiler_set_trace_capacity ()); 0: none (the default). */
void        sm_engine_set_trace_capacity  (SmEngine *self, gsize n_events);

/* The kernels of this machine, for showing and offering choices: the level Auto picks, and
 * whether @level can run here (when not, *@why_not says why, a static string). */
SmKernelLevel sm_engine_get_best_kernel_level (void);
gboolean    sm_engine_kernel_level_supported (SmKernelLevel level, const char **why_not);
const char *sm_engine_kernel_level_name   (SmKernelLevel level);
gboolean    sm_engine_kernel_level_from_name (const char *name, SmKernelLevel *level);
/* The most threads sm_engine_set_threads () takes. */
int         sm_engine_get_max_threads     (void);
/* Now on the clock of the series, token records and markers (nanoseconds). */
gint64      sm_engine_now_ns              (void);

/* The live feed.  "stats-updated" (no arguments) is emitted on the main context at most every
 * @interval_ms while stats change (default 100; 0 stops it). */
void        sm_engine_set_stats_interval  (SmEngine *self, guint interval_ms);
guint       sm_engine_get_stats_interval  (SmEngine *self);
/* How often the time series is sampled (default 100 ms) and how many samples it keeps. */
void        sm_engine_set_sample_interval (SmEngine *self, guint interval_ms, guint capacity);
/* Copies, oldest first, of what is at or after @since_ns (sm_profiler_now_ns () clock;
 * G_MININT64 for everything); free with g_array_unref. */
GArray     *sm_engine_copy_series         (SmEngine *self, gint64 since_ns);   /* SmProfSample */
GArray     *sm_engine_copy_tokens         (SmEngine *self, gint64 since_ns);   /* SmTokenRecord */
GArray     *sm_engine_copy_markers        (SmEngine *self);                    /* SmProfMarker */
/* The trace ring (sm_engine_set_trace_capacity ()), oldest first; empty without one. */
GArray     *sm_engine_copy_trace          (SmEngine *self);                    /* SmTraceEvent */
/* What a snapshot of the engine holds: one reply (the last, or the one under way), what ran
 * since the model was loaded, or since the engine started or sm_engine_reset_stats (). */
typedef enum {
  SM_SNAPSHOT_RANGE_REPLY = 0,
  SM_SNAPSHOT_RANGE_MODEL,
  SM_SNAPSHOT_RANGE_SESSION,
  SM_N_SNAPSHOT_RANGES
} SmSnapshotRange;
/* "reply", "model", "session": the snapshot's "range" and the window's setting. */
const char *sm_snapshot_range_name        (SmSnapshotRange range);
gboolean    sm_snapshot_range_from_name   (const char *name, SmSnapshotRange *range);
/* The session range starts again now, with the model in force as its one model. */
void        sm_engine_reset_stats         (SmEngine *self);
/* @range of what the profiler recorded, plus the machine, build, models and configuration,
 * for the exports: the snapshot names its range and the models that ran in it. */
SmSnapshot *sm_engine_dup_snapshot        (SmEngine *self, SmSnapshotRange range,
                                           const char *label);
/* Writes sm_engine_dup_snapshot (@range, @label) to @path in @format ("json", "markdown",
 * "csv", "trace"; see sm-export-format.h) on a worker thread.  Anything else, "png" included
 * (the window draws its charts itself), is G_IO_ERROR_INVALID_ARGUMENT. */
void        sm_engine_export_snapshot_async  (SmEngine            *self,
                                              SmSnapshotRange      range,
                                              const char          *format,
                                              const char          *path,
                                              const char          *label,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    sm_engine_export_snapshot_finish (SmEngine            *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* The export format a file name asks for by its extension ("json" when none other), and the
 * glob patterns of a format for a file chooser (NULL-terminated; NULL when unknown). */
/* Compares the run in @baseline_path (a snapshot or a Markdown report) with the one in
 * @current_path, or with @range of @self's recording (called @current_label) when that is
 * NULL (@self may be NULL when it is not).
 * A run without a scope tree (the window's) is compared by its ops per thousand tokens.
 * *@report (may be NULL) gets the comparison in Markdown.  Reads the files on the calling
 * thread (they are small); NULL with the reader's error. */
SmComparison *sm_engine_compare_runs      (SmEngine            *self,
                                           const char          *baseline_path,
                                           const char          *current_path,
                                           SmSnapshotRange      range,
                                           const char          *current_label,
                                           char               **report,
                                           GError             **error);

const char *sm_engine_export_format_for_path (const char *path);
/* The format and name of an export named @path under the chooser's @chosen format, so that
 * they agree (sm_export_format_resolve ()); *@path_out (g_free) is the name to write. */
const char *sm_engine_export_resolve     (const char *path, const char *chosen, char **path_out);
const char *const *sm_engine_export_format_patterns (const char *format);
/* Writes @data whole or not at all (a temporary file renamed over @path), as every export
 * does; @length -1 for a string. */
gboolean    sm_engine_write_file          (const char *path, const char *data, gssize length,
                                           GError **error);
/* A consistent copy; free with sm_engine_stats_clear (). */
void        sm_engine_get_stats           (SmEngine *self, SmEngineStats *stats);
/* The loaded model (a new reference), or NULL. */
SmModel    *sm_engine_dup_model           (SmEngine *self);

/* The roofline (sm-roofline.h).  The probe runs on the engine thread, between replies (about a
 * second), unless this machine's roof is cached: AGAIN measures afresh and caches the result,
 * QUICK takes tiny buffers (tests; never cached).  The finish gives the roof (free with
 * sm_roofline_free), which the engine also keeps for its snapshots; G_IO_ERROR_CANCELLED when
 * @cancellable fired. */
typedef enum {
  SM_ROOFLINE_PROBE_DEFAULT = 0,
  SM_ROOFLINE_PROBE_AGAIN   = 1 << 0,
  SM_ROOFLINE_PROBE_QUICK   = 1 << 1,
} SmRooflineProbeFlags;
void        sm_engine_probe_roofline_async  (SmEngine             *self,
                                             SmRooflineProbeFlags  flags,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
SmRoofline *sm_engine_probe_roofline_finish (SmEngine             *self,
                                             GAsyncResult         *result,
                                             GError              **error);
/* The last roof probed (a copy), or NULL before any. */
SmRoofline *sm_engine_dup_roofline         (SmEngine *self);
/* The ops of @range as roofline points (SmRoofPoint, sm_roofline_points ()), gathered on a
 * worker thread from the profiler's records; the finish gives a GArray (g_array_unref). */
void        sm_engine_copy_roofline_points_async  (SmEngine            *self,
                                                   SmSnapshotRange      range,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GArray     *sm_engine_copy_roofline_points_finish (SmEngine            *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* The models on this machine (sm-model-library.h): @folders (path, source-name pairs,
 * NULL-terminated; NULL for sm_model_library_default_folders () under the home folder) read
 * by their headers on a worker thread, not the engine's, so a reply streams on meanwhile.
 * The finish gives a GPtrArray of SmModelEntry, or NULL with G_IO_ERROR_CANCELLED. */
void        sm_engine_scan_models_async   (SmEngine            *self,
                                           const char *const   *folders,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GPtrArray  *sm_engine_scan_models_finish  (SmEngine            *self,
                                           GAsyncResult        *result,
                                           GError             **error);

G_END_DECLS

#include "sm-engine-ab.h"
