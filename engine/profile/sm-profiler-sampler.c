/* sm-profiler-sampler.c: the sampler thread, which turns the published tables into a bounded
 * time series every few ms and sleeps while nothing moves. */
#define G_LOG_DOMAIN "SmProfiler"

#include "sm-profiler-private.h"

/* ---- the sampler ---------------------------------------------------------------------------- */

/* Appends a sample; FALSE (and nothing appended) when nothing moved since the last one. */
static gboolean
take_sample (SmProfiler *prof, gboolean force)
{
  SmPool *pool = prof->w.track_pool ? prof->w.track_pool : sm_pool_default ();
  SmPoolStats ps;
  SmProfSample s = { 0 };
  guint64 rss, ops, op_ns;
  double flops;
  gint64 t;
  const Totals *tt;

  /* the slow reads first, outside the lock */
  sm_pool_get_stats (pool, &ps);
  rss = sm_resident_bytes ();
  t = sm_profiler_now_ns ();

  g_mutex_lock (&prof->lock);
  if (!force && prof->prev.valid && prof->pub_serial == prof->sampled_serial &&
      ps.rents == prof->sampled_pool.rents && ps.live_bytes == prof->sampled_pool.live_bytes &&
      ps.system_allocs == prof->sampled_pool.system_allocs)
    {
      g_mutex_unlock (&prof->lock);
      return FALSE;
    }
  tt = &prof->pub_totals;
  sm_profiler_pub_op_totals (prof, &ops, &op_ns, &flops);
  s.t_ns = t;
  s.prefill_tokens = tt->prefill_tokens;
  s.decode_tokens = tt->decode_tokens;
  if (prof->prev.valid)
    {
      guint64 dpt = tt->prefill_tokens - prof->prev.prefill_tokens;
      guint64 dpn = tt->prefill_ns - prof->prev.prefill_ns;
      guint64 ddt = tt->decode_tokens - prof->prev.decode_tokens;
      guint64 ddn = tt->decode_ns - prof->prev.decode_ns;
      guint64 don = op_ns - prof->prev.op_ns;
      gint64 dt = t - prof->prev.t;

      s.prefill_tps = dpn ? dpt * 1e9 / (double) dpn : 0.0;
      s.decode_tps = ddn ? ddt * 1e9 / (double) ddn : 0.0;
      s.gflops = don ? (flops - prof->prev.flops) / (double) don : 0.0;
      s.busy = dt > 0 ? CLAMP ((double) don / (double) dt, 0.0, 1.0) : 0.0;
    }
  s.resident_bytes = rss;
  s.pool_live_bytes = ps.live_bytes;
  s.pool_peak_bytes = ps.peak_bytes;
  s.pool_cached_bytes = ps.cached_bytes;
  s.pool_rents = ps.rents;
  s.pool_hits = ps.hits;
  s.pool_misses = ps.misses;
  s.sys_allocs = ps.system_allocs;
  s.context_used = tt->ctx_used;
  s.context_size = tt->ctx_size;

  prof->series[(prof->s_head + prof->s_len) % prof->series_cap] = s;
  if (prof->s_len < prof->series_cap)
    prof->s_len++;
  else
    prof->s_head = (prof->s_head + 1) % prof->series_cap;

  prof->prev.t = t;
  prof->prev.prefill_tokens = tt->prefill_tokens;
  prof->prev.decode_tokens = tt->decode_tokens;
  prof->prev.prefill_ns = tt->prefill_ns;
  prof->prev.decode_ns = tt->decode_ns;
  prof->prev.op_ns = op_ns;
  prof->prev.flops = flops;
  prof->prev.valid = TRUE;
  prof->sampled_serial = prof->pub_serial;
  prof->sampled_pool = ps;
  g_mutex_unlock (&prof->lock);
  bump_serial (prof);
  return TRUE;
}

void
sm_profiler_sample_now (SmProfiler *prof)
{
  g_return_if_fail (prof != NULL);
  sm_profiler_sync_if_writer (prof);
  take_sample (prof, TRUE);
}

static gpointer
sampler_main (gpointer data)
{
  SmProfiler *prof = data;
  int idle_samples = 0;

  g_mutex_lock (&prof->s_lock);
  while (!prof->s_stop)
    {
      gboolean idle = idle_samples >= IDLE_SAMPLES;
      gint64 wait = idle ? IDLE_WAIT_US : (gint64) prof->s_interval_ms * 1000;

      atomic_store (&prof->s_idle, idle);
      g_cond_wait_until (&prof->s_cond, &prof->s_lock, g_get_monotonic_time () + wait);
      if (prof->s_stop)
        break;
      g_mutex_unlock (&prof->s_lock);
      idle_samples = take_sample (prof, FALSE) ? 0 : idle_samples + 1;
      g_mutex_lock (&prof->s_lock);
    }
  g_mutex_unlock (&prof->s_lock);
  return NULL;
}

void
sm_profiler_start_sampler (SmProfiler *prof, guint interval_ms, guint capacity)
{
  g_return_if_fail (prof != NULL);

  if (capacity == 0)
    capacity = DEFAULT_SERIES;
  g_mutex_lock (&prof->lock);
  if (capacity != prof->series_cap)
    {
      /* keep the newest samples that fit */
      SmProfSample *ring = g_new (SmProfSample, capacity);
      guint keep = MIN (prof->s_len, capacity);
      for (guint i = 0; i < keep; i++)
        ring[i] = prof->series[(prof->s_head + prof->s_len - keep + i) % prof->series_cap];
      g_free (prof->series);
      prof->series = ring;
      prof->series_cap = capacity;
      prof->s_head = 0;
      prof->s_len = keep;
    }
  g_mutex_unlock (&prof->lock);

  g_mutex_lock (&prof->s_lock);
  prof->s_interval_ms = MAX (interval_ms, 1u);
  if (prof->s_thread == NULL)
    {
      prof->s_stop = FALSE;
      prof->s_thread = g_thread_new ("sm-profiler", sampler_main, prof);
    }
  else
    g_cond_signal (&prof->s_cond);
  g_mutex_unlock (&prof->s_lock);
}

void
sm_profiler_stop_sampler (SmProfiler *prof)
{
  GThread *thread;

  g_return_if_fail (prof != NULL);
  g_mutex_lock (&prof->s_lock);
  thread = g_steal_pointer (&prof->s_thread);
  prof->s_stop = TRUE;
  g_cond_signal (&prof->s_cond);
  g_mutex_unlock (&prof->s_lock);
  if (thread)
    g_thread_join (thread);
}
