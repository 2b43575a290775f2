/* sm-engine-ab.h: the A/B run.  One prompt, two engine configurations, run back to back N
 * times each in alternation (A B A B ...), every run from an empty KV cache with the same
 * sampling, as one job of the engine thread; then the figures of each side (medians and
 * spread), which side is faster, and with greedy sampling on one model the first token where
 * the two replies part.  It exports as one comparison report (sm-compare.h's format, A as the
 * previous run and B as the current one) with both replies after it.
 *
 * Included by sm-engine.h: the window sees it through SmEngine's header.
 */
#pragma once

#include "sm-engine.h"

G_BEGIN_DECLS

#define SM_AB_DEFAULT_RUNS 5
#define SM_AB_MAX_RUNS     50

typedef struct {
  gboolean      pool_enabled;
  SmKernelLevel kernel_level;    /* resolved, never AUTO */
  int           threads;
  SmKvType      kv_type;
  char         *model_path;      /* NULL: the loaded model */
} SmAbConfig;

/* The engine's settings in force (sm_engine_get_stats ()) as a configuration of the loaded
 * model; clear with sm_ab_config_clear. */
void     sm_ab_config_from_stats (SmAbConfig *config, const SmEngineStats *stats);
void     sm_ab_config_copy       (SmAbConfig *dst, const SmAbConfig *src);
void     sm_ab_config_clear      (SmAbConfig *config);
/* "avx2, pool on, 2 threads, KV f16" (and the model's file name when it names one). */
char    *sm_ab_config_describe   (const SmAbConfig *config);

/* One reply. */
typedef struct {
  int          side;              /* 0: A, 1: B */
  int          prompt_tokens;
  int          generated_tokens;
  GArray      *ids;               /* gint32, the reply's tokens */
  GArray      *offsets;           /* gsize, where each token's text starts in @text */
  char        *text;
  double       prefill_tps;
  double       decode_tps;
  double       ttft_ms;
  double       wall_ms;
  guint64      peak_pool_bytes;   /* the most the pool had rented out at a token */
  guint64      peak_rss_bytes;    /* the process's resident memory, the most at a token */
  SmStopReason stop_reason;
} SmAbRun;

/* A figure of one side over its runs. */
typedef struct {
  double median, min, max;
} SmAbFigure;

typedef enum {
  SM_AB_DECODE_TPS = 0,
  SM_AB_PREFILL_TPS,
  SM_AB_TTFT_MS,
  SM_AB_WALL_MS,
  SM_AB_N_FIGURES
} SmAbFigureKind;

typedef struct {
  char        *prompt;
  SmAbConfig   config[2];
  char        *model_name[2];
  double       load_ms[2];        /* loading a model a side names (0: the loaded model) */
  int          n_runs;            /* per side */
  GPtrArray   *runs;              /* SmAbRun *, in the order they ran: A, B, A, B ... */
  SmAbFigure   figures[2][SM_AB_N_FIGURES];
  /* by decode tok/s: 0 (A) or 1 (B), or -1 when the two sides' ranges overlap ("no clear
   * difference"); @ratio is the faster median over the slower (1 when none is) */
  int          faster;
  double       ratio;
  /* greedy sampling on one model: the first token index where the first run of A and the first
   * of B part, -1 when they do not; @compared is FALSE otherwise (-1 then too) */
  gboolean     compared;
  int          divergence;
  gboolean     repeatable[2];     /* every run of the side gave the same tokens */
  SmSnapshot  *snap[2];           /* each side's runs as a snapshot: its ops and figures */
} SmAbResult;

void         sm_ab_result_free      (SmAbResult *result);
/* Run @i of side @side (0-based), or NULL. */
const SmAbRun *sm_ab_result_get_run (const SmAbResult *result, int side, int i);
const char  *sm_ab_figure_name      (SmAbFigureKind kind);   /* "decode tok/s" ... */
/* The first index where @a and @b differ (the shorter's length when one is the other's start),
 * -1 when they are equal. */
int          sm_ab_first_divergence (const gint32 *a, gsize n_a, const gint32 *b, gsize n_b);
/* The comparison report of A (previous) against B (current), then the A/B run's own section:
 * both configurations, the figures with their spread and the faster marked, the first
 * differing token, both replies. */
char        *sm_ab_result_to_markdown (const SmAbResult *result);
gboolean     sm_ab_result_export    (const SmAbResult *result, const char *path, GError **error);

/* Before each run, on the caller's context: run @run (1-based) of @total is starting. */
typedef void (*SmAbProgressFunc) (SmEngine *engine, int run, int total, gpointer user_data);

/* @params' sampling and max_tokens apply to every run (its stop strings are not used; the
 * prompt is continued as it stands).  @n_runs per side, 1 .. SM_AB_MAX_RUNS.  A model a side
 * names is loaded once, before the first run.  The engine's pool, kernels and threads are
 * restored afterwards, after a cancel and a failure too; its own session and KV cache are
 * not touched (each run has a fresh one).  Cancelling stops within a token:
 * G_IO_ERROR_CANCELLED.  Without a loaded model and a side that needs it:
 * SM_ENGINE_ERROR_NO_MODEL. */
void         sm_engine_ab_run_async  (SmEngine               *self,
                                      const char             *prompt,
                                      const SmGenerateParams *params,
                                      const SmAbConfig       *a,
                                      const SmAbConfig       *b,
                                      int                     n_runs,
                                      SmAbProgressFunc        progress,
                                      gpointer                progress_data,
                                      GDestroyNotify          progress_destroy,
                                      GCancellable           *cancellable,
                                      GAsyncReadyCallback     callback,
                                      gpointer                user_data);
SmAbResult  *sm_engine_ab_run_finish (SmEngine               *self,
                                      GAsyncResult           *result,
                                      GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmAbResult, sm_ab_result_free)

G_END_DECLS
