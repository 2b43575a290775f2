/* sm-profiler.c: the profiler: its lifecycle, requests, publication, tokens and markers, and
 * the read side.  The other jobs have files of their own (sm-profiler-private.h).
 *
 * Two copies of everything.  The writer's tables (struct Writer) are touched by the writing
 * thread only, with no atomics beyond reading the enabled flag.  The published tables (under
 * `lock`) are what readers copy.  sm_profiler_publish_try () moves the first into the second with a
 * try-lock at most every SM_PROFILER_PUBLISH_MS; when the lock is busy the writer simply tries
 * again at its next op.  Requests from other threads (reset, a new trace capacity) are flags
 * the writer applies at its next mark, scope, token or publication.
 *
 * The trace buffer is the exception: a ring in eight chunks that the writer fills without a
 * lock, publishing how many events it has written with a release store.  Readers copy, under
 * `lock`, the events between the oldest kept and the last published; the writer only ever
 * writes slots outside that range, because before it reuses a chunk it takes `lock` (once per
 * chunk, not per event) to move the oldest kept event past it.  So a long session keeps its
 * latest events, and nothing is read while it is written.
 */
#define G_LOG_DOMAIN "SmProfiler"

#include "sm-profiler-private.h"

/* ---- lifecycle ------------------------------------------------------------------------------ */

SmProfiler *
sm_profiler_new (void)
{
  SmProfiler *prof = g_new0 (SmProfiler, 1);

  sm_profiler_clock_init ();
  g_mutex_init (&prof->lock);
  g_mutex_init (&prof->s_lock);
  g_cond_init (&prof->s_cond);
  sm_profiler_ops_clear (prof->w.ops, prof->w.shapes);
  sm_profiler_ops_clear (prof->pub_ops, prof->pub_shapes);
  prof->w.nodes = g_array_new (FALSE, FALSE, sizeof (ScopeNode));
  prof->w.totals.ttft_ns = -1;
  prof->pub_nodes = g_array_new (FALSE, FALSE, sizeof (ScopeNode));
  prof->pub_totals.ttft_ns = -1;
  prof->tokens = g_new (SmTokenRecord, TOKEN_RING);
  prof->markers = g_new (SmProfMarker, MARKER_RING);
  prof->series_cap = DEFAULT_SERIES;
  prof->series = g_new (SmProfSample, prof->series_cap);
  atomic_store (&prof->gen_counter, 1);
  atomic_store (&prof->enabled, 1);
  return prof;
}

void
sm_profiler_free (SmProfiler *prof)
{
  if (prof == NULL)
    return;
  sm_profiler_stop_sampler (prof);
  g_array_unref (prof->w.nodes);
  g_array_unref (prof->pub_nodes);
  g_free (prof->w.trace);
  g_free (prof->tokens);
  g_free (prof->markers);
  g_free (prof->series);
  g_cond_clear (&prof->s_cond);
  g_mutex_clear (&prof->s_lock);
  g_mutex_clear (&prof->lock);
  g_free (prof);
}

void
sm_profiler_set_enabled (SmProfiler *prof, gboolean enabled)
{
  g_return_if_fail (prof != NULL);

  if (!enabled)
    atomic_store (&prof->enabled, 0);
  else if (atomic_load (&prof->enabled) == 0)
    atomic_store (&prof->enabled, atomic_fetch_add (&prof->gen_counter, 1) + 1);
}

gboolean
sm_profiler_get_enabled (SmProfiler *prof)
{
  return prof != NULL && atomic_load_explicit (&prof->enabled, memory_order_relaxed) != 0;
}

/* ---- writer: requests and publication ----------------------------------------------------- */

void
sm_profiler_writer_clear_scopes (Writer *w)
{
  g_array_set_size (w->nodes, 0);
  w->scopes_reset = FALSE;
}

/* Writer: apply what other threads asked for. */
void
sm_profiler_apply_requests_slow (SmProfiler *prof)
{
  Writer *w = &prof->w;
  int req;

  if (G_LIKELY (atomic_load_explicit (&prof->pending, memory_order_relaxed) == 0))
    return;
  req = atomic_exchange (&prof->pending, 0);

  if (req & REQ_RESET)
    {
      sm_profiler_ops_clear (w->ops, w->shapes);
      w->n_shapes = 0;
      memset (&w->totals, 0, sizeof w->totals);
      w->totals.ttft_ns = -1;
      w->n_stage = 0;
      w->token_open = FALSE;
      w->dropped_tokens = 0;
      w->dropped_trace = 0;
      w->overhead = 0;
      if (w->depth == 0)
        sm_profiler_writer_clear_scopes (w);
      else
        w->scopes_reset = TRUE;
    }
  if (req & (REQ_RESET | REQ_TRACE))
    {
      g_mutex_lock (&prof->lock);
      if (req & REQ_TRACE)
        {
          gsize want = atomic_load (&prof->trace_request);
          g_clear_pointer (&w->trace, g_free);
          w->trace_chunk = (want + 7) / 8;
          w->trace_cap = w->trace_chunk * 8;
          w->trace = w->trace_cap ? g_new (SmTraceEvent, w->trace_cap) : NULL;
        }
      w->trace_n = 0;
      w->trace_oldest = 0;
      prof->trace_oldest = 0;
      prof->trace_floor = 0;
      atomic_store_explicit (&prof->trace_pub, 0, memory_order_release);
      g_mutex_unlock (&prof->lock);
    }
}

/* Under prof->lock. */
static void
publish_locked (SmProfiler *prof)
{
  Writer *w = &prof->w;

  memcpy (prof->pub_ops, w->ops, sizeof w->ops);
  memcpy (prof->pub_shapes, w->shapes, sizeof w->shapes);
  g_array_set_size (prof->pub_nodes, w->nodes->len);
  if (w->nodes->len)
    memcpy (prof->pub_nodes->data, w->nodes->data, w->nodes->len * sizeof (ScopeNode));
  for (guint i = 0; i < w->n_stage; i++)
    {
      guint slot = (prof->tok_head + prof->tok_len) % TOKEN_RING;
      prof->tokens[slot] = w->stage[i];
      if (prof->tok_len < TOKEN_RING)
        prof->tok_len++;
      else
        {
          prof->tok_head = (prof->tok_head + 1) % TOKEN_RING;
          w->dropped_tokens++;
        }
    }
  w->n_stage = 0;
  prof->pub_totals = w->totals;
  prof->pub_dropped_tokens = w->dropped_tokens;
  prof->pub_dropped_trace = w->dropped_trace;
  prof->pub_serial++;
  bump_serial (prof);
}

static void
wake_sampler (SmProfiler *prof)
{
  if (G_UNLIKELY (atomic_load_explicit (&prof->s_idle, memory_order_relaxed)))
    {
      atomic_store (&prof->s_idle, 0);
      g_mutex_lock (&prof->s_lock);
      g_cond_signal (&prof->s_cond);
      g_mutex_unlock (&prof->s_lock);
    }
}

/* Writer: publish unless a reader holds the lock, in which case the next op tries again.
 * @t is the time of the record that asked (a token's end may be a while ago).  The
 * publication is the profiler's time, not the program's: the next op's time and every open
 * scope's leave it out. */
void
sm_profiler_publish_try (SmProfiler *prof, gint64 t)
{
  gint64 begun = clock_now (), done;

  apply_requests (prof);
  if (!g_mutex_trylock (&prof->lock))
    {
      prof->w.next_publish = t;
      return;
    }
  publish_locked (prof);
  g_mutex_unlock (&prof->lock);
  prof->w.next_publish = t + PUBLISH_NS;
  wake_sampler (prof);
  done = clock_now ();
  prof->w.last += done - begun;
  prof->w.overhead += done - begun;
}

void
sm_profiler_flush (SmProfiler *prof)
{
  if (prof == NULL)
    return;
  writer_claim (prof);
  apply_requests (prof);
  g_mutex_lock (&prof->lock);
  publish_locked (prof);
  g_mutex_unlock (&prof->lock);
  prof->w.next_publish = clock_now () + PUBLISH_NS;
  wake_sampler (prof);
}

void
sm_profiler_reset (SmProfiler *prof)
{
  g_return_if_fail (prof != NULL);

  atomic_fetch_or (&prof->pending, REQ_RESET);
  g_mutex_lock (&prof->lock);
  sm_profiler_ops_clear (prof->pub_ops, prof->pub_shapes);
  g_array_set_size (prof->pub_nodes, 0);
  memset (&prof->pub_totals, 0, sizeof prof->pub_totals);
  prof->pub_totals.ttft_ns = -1;
  prof->tok_head = prof->tok_len = 0;
  prof->mk_head = prof->mk_len = 0;
  prof->s_head = prof->s_len = 0;
  prof->prev.valid = FALSE;
  prof->pub_dropped_tokens = prof->pub_dropped_trace = 0;
  prof->trace_floor = atomic_load_explicit (&prof->trace_pub, memory_order_acquire);
  g_mutex_unlock (&prof->lock);
  bump_serial (prof);
}

void
sm_profiler_set_trace_capacity (SmProfiler *prof, gsize n_events)
{
  g_return_if_fail (prof != NULL);
  atomic_store (&prof->trace_request, n_events);
  atomic_fetch_or (&prof->pending, REQ_TRACE);
}


/* ---- writer: tokens ------------------------------------------------------------------------- */

static void
token_commit (SmProfiler *prof, const SmTokenRecord *rec)
{
  Writer *w = &prof->w;
  gint64 end = rec->start_ns + rec->dur_ns;

  if (rec->kind == SM_TOKEN_PREFILL)
    {
      w->totals.prefill_tokens += (guint64) MAX (rec->n_tokens, 0);
      w->totals.prefill_ns += (guint64) MAX (rec->dur_ns, 0);
    }
  else
    {
      w->totals.decode_tokens += (guint64) MAX (rec->n_tokens, 0);
      w->totals.decode_ns += (guint64) MAX (rec->dur_ns, 0);
    }
  trace_push (prof, SM_TRACE_TOKEN, rec->kind, w->level, rec->pos, rec->start_ns, rec->dur_ns,
              rec->n_tokens, 0);
  if (w->n_stage == TOKEN_STAGE)
    sm_profiler_publish_try (prof, end);
  if (w->n_stage < TOKEN_STAGE)
    w->stage[w->n_stage++] = *rec;
  else
    w->dropped_tokens++;
  if (end >= w->next_publish)
    sm_profiler_publish_try (prof, end);
}

void
sm_profiler_token_begin (SmProfiler *prof, SmTokenKind kind, int pos)
{
  if (prof == NULL || atomic_load_explicit (&prof->enabled, memory_order_relaxed) == 0)
    return;
  writer_claim (prof);
  apply_requests (prof);
  prof->w.open.kind = kind;
  prof->w.open.pos = pos;
  prof->w.open.n_tokens = 0;
  prof->w.open.reserved = 0;
  prof->w.open.start_ns = clock_now ();
  prof->w.token_open = TRUE;
}

void
sm_profiler_token_end (SmProfiler *prof, int n_tokens)
{
  if (prof == NULL || !prof->w.token_open)
    return;
  prof->w.token_open = FALSE;
  prof->w.open.dur_ns = clock_now () - prof->w.open.start_ns;
  prof->w.open.n_tokens = n_tokens;
  token_commit (prof, &prof->w.open);
}

void
sm_profiler_token_cancel (SmProfiler *prof)
{
  if (prof != NULL)
    prof->w.token_open = FALSE;
}

void
sm_profiler_token_add (SmProfiler *prof, SmTokenKind kind, int n_tokens, int pos,
                       gint64 start_ns, gint64 end_ns)
{
  SmTokenRecord rec = { start_ns, MAX (end_ns - start_ns, 0), kind, n_tokens, pos, 0 };

  if (prof == NULL || atomic_load_explicit (&prof->enabled, memory_order_relaxed) == 0)
    return;
  writer_claim (prof);
  apply_requests (prof);
  token_commit (prof, &rec);
}

void
sm_profiler_set_ttft (SmProfiler *prof, gint64 ttft_ns)
{
  if (prof != NULL)
    prof->w.totals.ttft_ns = ttft_ns;
}

void
sm_profiler_set_context (SmProfiler *prof, int used, int size)
{
  if (prof != NULL)
    {
      prof->w.totals.ctx_used = used;
      prof->w.totals.ctx_size = size;
    }
}

void
sm_profiler_add_allocs (SmProfiler *prof, SmTokenKind kind, guint64 sys_allocs)
{
  if (prof == NULL)
    return;
  if (kind == SM_TOKEN_PREFILL)
    prof->w.totals.prefill_allocs += sys_allocs;
  else
    prof->w.totals.decode_allocs += sys_allocs;
}

/* ---- markers -------------------------------------------------------------------------------- */

void
sm_profiler_add_marker (SmProfiler *prof, const char *format, ...)
{
  SmProfMarker m = { 0 };
  va_list args;

  g_return_if_fail (prof != NULL && format != NULL);
  m.t_ns = sm_profiler_now_ns ();
  va_start (args, format);
  g_vsnprintf (m.text, sizeof m.text, format, args);
  va_end (args);

  g_mutex_lock (&prof->lock);
  prof->markers[(prof->mk_head + prof->mk_len) % MARKER_RING] = m;
  if (prof->mk_len < MARKER_RING)
    prof->mk_len++;
  else
    prof->mk_head = (prof->mk_head + 1) % MARKER_RING;
  g_mutex_unlock (&prof->lock);
  bump_serial (prof);
}

guint64
sm_profiler_get_serial (SmProfiler *prof)
{
  g_return_val_if_fail (prof != NULL, 0);
  return atomic_load_explicit (&prof->serial, memory_order_acquire);
}

/* A reader on the writing thread itself gets everything so far, not the last publication. */
void
sm_profiler_sync_if_writer (SmProfiler *prof)
{
  if (writer_is_me (prof))
    sm_profiler_flush (prof);
}

void
sm_profiler_get_counters (SmProfiler *prof, SmProfilerCounters *c)
{
  SmPool *pool;
  Totals t;

  g_return_if_fail (prof != NULL && c != NULL);

  sm_profiler_sync_if_writer (prof);
  memset (c, 0, sizeof *c);
  g_mutex_lock (&prof->lock);
  t = prof->pub_totals;
  sm_profiler_pub_op_totals (prof, &c->ops, &c->op_ns, &c->flops);
  c->dropped_tokens = prof->pub_dropped_tokens;
  c->dropped_trace = prof->pub_dropped_trace;
  g_mutex_unlock (&prof->lock);

  c->prefill_tokens = t.prefill_tokens;
  c->decode_tokens = t.decode_tokens;
  c->prefill_ns = t.prefill_ns;
  c->decode_ns = t.decode_ns;
  c->prefill_tps = t.prefill_ns ? t.prefill_tokens * 1e9 / (double) t.prefill_ns : 0.0;
  c->decode_tps = t.decode_ns ? t.decode_tokens * 1e9 / (double) t.decode_ns : 0.0;
  c->ttft_ns = t.ttft_ns;
  c->context_used = t.ctx_used;
  c->context_size = t.ctx_size;
  c->prefill_sys_allocs = t.prefill_allocs;
  c->decode_sys_allocs = t.decode_allocs;
  c->sys_allocs_per_token = t.decode_tokens ? t.decode_allocs / (double) t.decode_tokens : 0.0;
  c->resident_bytes = sm_resident_bytes ();
  pool = prof->w.track_pool ? prof->w.track_pool : sm_pool_default ();
  sm_pool_get_stats (pool, &c->pool);
}

GArray *
sm_profiler_copy_tokens (SmProfiler *prof, gint64 since_ns)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SmTokenRecord));

  g_return_val_if_fail (prof != NULL, out);
  sm_profiler_sync_if_writer (prof);
  g_mutex_lock (&prof->lock);
  for (guint i = 0; i < prof->tok_len; i++)
    {
      const SmTokenRecord *r = &prof->tokens[(prof->tok_head + i) % TOKEN_RING];
      if (r->start_ns >= since_ns)
        g_array_append_vals (out, r, 1);
    }
  g_mutex_unlock (&prof->lock);
  return out;
}

GArray *
sm_profiler_copy_series (SmProfiler *prof, gint64 since_ns)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SmProfSample));

  g_return_val_if_fail (prof != NULL, out);
  g_mutex_lock (&prof->lock);
  for (guint i = 0; i < prof->s_len; i++)
    {
      const SmProfSample *s = &prof->series[(prof->s_head + i) % prof->series_cap];
      if (s->t_ns >= since_ns)
        g_array_append_vals (out, s, 1);
    }
  g_mutex_unlock (&prof->lock);
  return out;
}

GArray *
sm_profiler_copy_markers (SmProfiler *prof)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SmProfMarker));

  g_return_val_if_fail (prof != NULL, out);
  g_mutex_lock (&prof->lock);
  for (guint i = 0; i < prof->mk_len; i++)
    g_array_append_vals (out, &prof->markers[(prof->mk_head + i) % MARKER_RING], 1);
  g_mutex_unlock (&prof->lock);
  return out;
}

GArray *
sm_profiler_copy_trace (SmProfiler *prof)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SmTraceEvent));
  guint64 n, first;
  gsize cap;

  g_return_val_if_fail (prof != NULL, out);
  sm_profiler_sync_if_writer (prof);
  g_mutex_lock (&prof->lock);
  /* the ring's size only changes under this lock */
  cap = prof->w.trace_cap;
  n = atomic_load_explicit (&prof->trace_pub, memory_order_acquire);
  first = MAX (prof->trace_oldest, prof->trace_floor);
  for (guint64 i = first; i < n; )
    {
      /* the run up to the ring's end, then from its start */
      gsize slot = (gsize) (i % cap);
      gsize run = (gsize) MIN (n - i, (guint64) (cap - slot));
      g_array_append_vals (out, prof->w.trace + slot, (guint) run);
      i += run;
    }
  g_mutex_unlock (&prof->lock);
  return out;
}
