/* sm-test-trace.c: see sm-test-trace.h. */
#include "sm-test-trace.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* The track names sm-export.c gives (its thread_name M events). */
#define ENGINE_TRACK  "engine: phases, tokens, ops"
#define KERNELS_TRACK "kernels timed on their own"

typedef struct {
  gint64      ts, end;    /* ns */
  int         tid;
  const char *cat;
  guint       order;      /* position in the file: the tie-break for equal intervals */
} Ev;

static int
ev_cmp (gconstpointer pa, gconstpointer pb)
{
  const Ev *a = pa, *b = pb;
  if (a->tid != b->tid)
    return a->tid < b->tid ? -1 : 1;
  if (a->ts != b->ts)
    return a->ts < b->ts ? -1 : 1;
  if (a->end != b->end)
    return a->end > b->end ? -1 : 1;   /* the longer (the parent) first */
  return a->order < b->order ? -1 : 1;
}

static gint64
us_to_ns (JsonObject *o, const char *member)
{
  g_assert_true (json_object_has_member (o, member));
  return (gint64) llround (json_object_get_double_member (o, member) * 1000.0);
}

void
sm_test_check_trace (const char *text, SmTestTraceCounts *counts)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) evs = g_array_new (FALSE, FALSE, sizeof (Ev));
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  JsonObject *root;
  JsonArray *events;
  Ev stack[64];
  int depth = 0, tid = -1, engine_tid = -1, kernels_tid = -1;

  memset (counts, 0, sizeof *counts);
  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  events = json_object_get_array_member (root, "traceEvents");
  g_assert_nonnull (events);

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *e = json_array_get_object_element (events, i);
      const char *ph = json_object_get_string_member (e, "ph");

      g_assert_nonnull (ph);
      g_assert_cmpint (json_object_get_int_member (e, "pid"), ==, 1);
      if (strcmp (ph, "M") == 0)
        {
          if (strcmp (json_object_get_string_member (e, "name"), "thread_name") == 0)
            {
              int t = (int) json_object_get_int_member (e, "tid");
              const char *name = json_object_get_string_member (json_object_get_object_member (e, "args"), "name");
              g_hash_table_insert (names, GINT_TO_POINTER (t), g_strdup (name));
              if (strcmp (name, ENGINE_TRACK) == 0)
                engine_tid = t;
              else if (strcmp (name, KERNELS_TRACK) == 0)
                kernels_tid = t;
            }
        }
      else if (strcmp (ph, "X") == 0)
        {
          Ev ev;
          ev.ts = us_to_ns (e, "ts");
          ev.end = ev.ts + us_to_ns (e, "dur");
          ev.tid = (int) json_object_get_int_member (e, "tid");
          ev.cat = json_object_get_string_member (e, "cat");
          ev.order = i;
          g_assert_cmpint (ev.end, >=, ev.ts);
          g_assert_cmpint (ev.ts, >=, 0);
          g_assert_nonnull (json_object_get_string_member (e, "name"));
          g_assert_nonnull (ev.cat);
          g_array_append_val (evs, ev);
        }
      else if (strcmp (ph, "C") == 0)
        {
          g_assert_nonnull (json_object_get_object_member (e, "args"));
          counts->counters++;
        }
      else if (strcmp (ph, "i") == 0)
        counts->markers++;
      else
        g_error ("unexpected phase %s", ph);
    }

  /* on each track, every X event lies within the one enclosing it: no partial overlaps */
  g_array_sort (evs, ev_cmp);
  for (guint i = 0; i < evs->len; i++)
    {
      const Ev *e = &g_array_index (evs, Ev, i);
      if (e->tid != tid)
        {
          tid = e->tid;
          depth = 0;
          if (!g_hash_table_contains (names, GINT_TO_POINTER (tid)))
            g_error ("X events on track %d, which has no thread_name", tid);
        }
      /* those that ended before this one starts are its earlier siblings' subtrees */
      while (depth > 0 && stack[depth - 1].end <= e->ts)
        depth--;
      if (depth > 0 && e->end > stack[depth - 1].end)
        g_error ("event %s [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] overlaps its parent %s [%"
                 G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] on track %d", e->cat, e->ts, e->end,
                 stack[depth - 1].cat, stack[depth - 1].ts, stack[depth - 1].end, tid);

      if (strcmp (e->cat, "op") == 0 && tid == kernels_tid)
        {
          /* a kernel timed on its own belongs to no pass */
          if (depth != 0)
            g_error ("a standalone kernel op [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] lies in "
                     "a %s", e->ts, e->end, stack[depth - 1].cat);
          counts->kernel_ops++;
        }
      else if (strcmp (e->cat, "op") == 0)
        {
          g_assert_cmpint (tid, ==, engine_tid);
          if (depth == 0 || strcmp (stack[depth - 1].cat, "token") != 0)
            g_error ("op [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] on the engine's track is "
                     "not inside a token", e->ts, e->end);
          counts->ops++;
        }
      else if (strcmp (e->cat, "token") == 0)
        {
          g_assert_cmpint (tid, ==, engine_tid);
          g_assert_cmpint (depth, >, 0);
          g_assert_cmpstr (stack[depth - 1].cat, ==, "phase");
          counts->tokens++;
        }
      else if (strcmp (e->cat, "phase") == 0)
        {
          g_assert_cmpint (tid, ==, engine_tid);
          g_assert_cmpint (depth, ==, 0);
          counts->phases++;
        }
      else if (strcmp (e->cat, "scope") == 0)
        {
          g_assert_cmpint (tid, !=, engine_tid);
          counts->scopes++;
        }
      else
        g_error ("X event of unknown category %s", e->cat);
      g_assert_cmpint (depth, <, (int) G_N_ELEMENTS (stack));
      stack[depth++] = *e;
    }
}
