/* sm-pool.h: the size-class buffer pool behind every tensor and KV cache.
 *
 * Rents are rounded up to a size class and served from that class's free list (a hit) or
 * from the system (a miss); returns go back on the list.  Switched off, every rent is a fresh
 * aligned allocation of the exact size and every return a free, so pool on vs off is
 * measurable at run time.  Switching is safe while buffers are out: each buffer remembers
 * how it was obtained.  All buffers are 64-byte aligned.  Thread-safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SM_POOL_ALIGN 64

typedef struct _SmPool SmPool;

typedef struct {
  guint64 rents;           /* calls to sm_pool_rent */
  guint64 hits;            /* rents served from a free list */
  guint64 misses;          /* rents that had to ask the system (pool on) */
  guint64 returns;         /* calls to sm_pool_return */
  guint64 rented_bytes;    /* bytes asked for by all rents, ever (requested sizes) */
  guint64 live_bytes;      /* bytes rented and not yet returned (requested sizes) */
  guint64 peak_bytes;      /* high-water mark of live_bytes since creation or reset */
  guint64 cached_bytes;    /* bytes held on free lists, ready for reuse */
  guint64 system_bytes;    /* bytes currently obtained from the system (live + cached + slack) */
  guint64 system_allocs;   /* aligned allocations made, ever */
  guint64 system_frees;    /* frees made, ever */
} SmPoolStats;

/* The process-wide pool that tensors use. */
SmPool  *sm_pool_default     (void);

SmPool  *sm_pool_new         (void);
void     sm_pool_free        (SmPool *pool);   /* every buffer must have been returned */

/* A 64-byte aligned buffer of at least @bytes (0 gives a valid unique buffer).  Aborts only
 * when the system is out of memory, like g_malloc. */
gpointer sm_pool_rent        (SmPool *pool, gsize bytes);
/* Like sm_pool_rent, zero-filled. */
gpointer sm_pool_rent0       (SmPool *pool, gsize bytes);
/* Gives back a buffer from sm_pool_rent of the same pool.  NULL is ignored. */
void     sm_pool_return      (SmPool *pool, gpointer buf);

/* Switching off also trims the cache, so the off mode holds no memory it does not use;
 * buffers that are out stay valid and are freed when returned. */
void     sm_pool_set_enabled (SmPool *pool, gboolean enabled);
gboolean sm_pool_get_enabled (SmPool *pool);
/* Frees every cached (returned) buffer back to the system. */
void     sm_pool_trim        (SmPool *pool);
void     sm_pool_get_stats   (SmPool *pool, SmPoolStats *stats);
/* System allocations made ever (not cleared by sm_pool_reset_stats): one atomic read where
 * sm_pool_get_stats takes every stripe's lock, cheap enough to call once a token. */
guint64  sm_pool_count_system_allocs (SmPool *pool);
/* Zeroes the event counters and sets peak_bytes to live_bytes; gauges stay. */
void     sm_pool_reset_stats (SmPool *pool);

G_END_DECLS
