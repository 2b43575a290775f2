/* sm-profiler-scopes.c: the scope tree: nested named scopes with their time, calls and the
 * pool's traffic, written by the writer and copied for readers. */
#define G_LOG_DOMAIN "SmProfiler"

#include "sm-profiler-private.h"

/* ---- writer: scopes ----------------------------------------------------------------------- */

void
sm_profiler_set_track_pool (SmProfiler *prof, SmPool *pool)
{
  g_return_if_fail (prof != NULL);
  prof->w.track_pool = pool;
}

static gint32
scope_child (Writer *w, gint32 parent, const char *name)
{
  gint32 first = -1;
  ScopeNode node = { 0 };

  if (parent >= 0)
    first = g_array_index (w->nodes, ScopeNode, parent).first_child;
  else
    {
      /* top-level nodes: chained from the first one found */
      for (guint i = 0; i < w->nodes->len; i++)
        if (g_array_index (w->nodes, ScopeNode, i).parent < 0)
          {
            first = (gint32) i;
            break;
          }
    }
  for (gint32 i = first; i >= 0; i = g_array_index (w->nodes, ScopeNode, i).next_sibling)
    if (strcmp (g_array_index (w->nodes, ScopeNode, i).name, name) == 0)
      return i;

  node.name = g_intern_string (name);
  node.parent = parent;
  node.depth = parent >= 0 ? g_array_index (w->nodes, ScopeNode, parent).depth + 1 : 0;
  node.first_child = -1;
  node.next_sibling = -1;
  node.min_ns = G_MAXUINT64;
  g_array_append_val (w->nodes, node);

  /* link it last among its siblings, so the tree keeps the order scopes first ran in */
  {
    gint32 idx = (gint32) w->nodes->len - 1;
    if (first < 0)
      {
        if (parent >= 0)
          g_array_index (w->nodes, ScopeNode, parent).first_child = idx;
      }
    else
      {
        gint32 i = first;
        while (g_array_index (w->nodes, ScopeNode, i).next_sibling >= 0)
          i = g_array_index (w->nodes, ScopeNode, i).next_sibling;
        g_array_index (w->nodes, ScopeNode, i).next_sibling = idx;
      }
    return idx;
  }
}

static void
pool_read (SmPool *pool, Frame *f)
{
  SmPoolStats ps;
  sm_pool_get_stats (pool, &ps);
  f->rents = ps.rents;
  f->hits = ps.hits;
  f->misses = ps.misses;
  f->sys_allocs = ps.system_allocs;
  f->live = ps.live_bytes;
}

void
sm_profiler_scope_begin (SmProfiler *prof, const char *name)
{
  Writer *w;
  Frame *f;
  gint64 t_in, t_out;

  g_return_if_fail (prof != NULL && name != NULL);
  w = &prof->w;
  t_in = clock_now ();
  writer_claim (prof);
  apply_requests (prof);
  if (w->depth >= MAX_DEPTH)
    {
      if (w->overflow++ == 0)
        g_warning ("Scopes nest deeper than %d; '%s' and deeper ones are not recorded",
                   MAX_DEPTH, name);
      return;
    }
  f = &w->stack[w->depth++];
  if (atomic_load_explicit (&prof->enabled, memory_order_relaxed) == 0)
    {
      f->node = -1;
      return;
    }
  /* A parent begun while the profiler was off is not recorded: this one goes to the top. */
  f->node = scope_child (w, w->depth > 1 ? w->stack[w->depth - 2].node : -1, name);
  if (w->track_pool)
    pool_read (w->track_pool, f);
  t_out = clock_now ();
  w->overhead += t_out - t_in;
  f->t0 = t_out;
  f->ovh0 = w->overhead;
}

void
sm_profiler_scope_end (SmProfiler *prof)
{
  Writer *w;
  Frame *f;
  ScopeNode *node;
  gint64 t_in, t_out, incl;
  double delta;

  g_return_if_fail (prof != NULL);
  w = &prof->w;
  t_in = clock_now ();
  if (w->overflow > 0)
    {
      w->overflow--;
      return;
    }
  if (w->depth == 0)
    {
      g_critical ("sm_profiler_scope_end without a matching sm_profiler_scope_begin");
      return;
    }
  f = &w->stack[--w->depth];
  if (f->node < 0)
    return;

  incl = MAX ((t_in - f->t0) - (w->overhead - f->ovh0), 0);
  node = &g_array_index (w->nodes, ScopeNode, f->node);
  node->count++;
  node->total_ns += (guint64) incl;
  node->min_ns = MIN (node->min_ns, (guint64) incl);
  node->max_ns = MAX (node->max_ns, (guint64) incl);
  delta = (double) incl - node->mean;
  node->mean += delta / (double) node->count;
  node->m2 += delta * ((double) incl - node->mean);
  if (node->parent >= 0)
    g_array_index (w->nodes, ScopeNode, node->parent).children_ns += (guint64) incl;
  trace_push (prof, SM_TRACE_SCOPE, 0, 0, f->node, f->t0, t_in - f->t0, 0, 0);
  if (w->track_pool)
    {
      Frame end;
      pool_read (w->track_pool, &end);
      node = &g_array_index (w->nodes, ScopeNode, f->node);
      node->rents += end.rents - f->rents;
      node->hits += end.hits - f->hits;
      node->misses += end.misses - f->misses;
      node->sys_allocs += end.sys_allocs - f->sys_allocs;
      node->live_delta += (gint64) end.live - (gint64) f->live;
    }
  if (w->depth == 0 && w->scopes_reset)
    sm_profiler_writer_clear_scopes (w);

  t_out = clock_now ();
  w->overhead += t_out - t_in;
  if (t_out >= w->next_publish)
    sm_profiler_publish_try (prof, t_out);
}

GArray *
sm_profiler_copy_scopes (SmProfiler *prof)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SmScopeStats));

  g_return_val_if_fail (prof != NULL, out);
  sm_profiler_sync_if_writer (prof);
  g_mutex_lock (&prof->lock);
  g_array_set_size (out, prof->pub_nodes->len);
  for (guint i = 0; i < prof->pub_nodes->len; i++)
    {
      const ScopeNode *n = &g_array_index (prof->pub_nodes, ScopeNode, i);
      SmScopeStats *s = &g_array_index (out, SmScopeStats, i);
      s->name = n->name;
      s->parent = n->parent;
      s->depth = n->depth;
      s->count = n->count;
      s->total_ns = n->total_ns;
      s->self_ns = n->total_ns > n->children_ns ? n->total_ns - n->children_ns : 0;
      s->min_ns = n->count ? n->min_ns : 0;
      s->max_ns = n->max_ns;
      s->mean_ns = n->count ? n->mean : 0.0;
      s->std_ns = n->count > 1 ? sqrt (n->m2 / (double) (n->count - 1)) : 0.0;
      s->rents = n->rents;
      s->hits = n->hits;
      s->misses = n->misses;
      s->sys_allocs = n->sys_allocs;
      s->live_delta = n->live_delta;
    }
  g_mutex_unlock (&prof->lock);
  return out;
}
