/* sm-pool.c: size classes with free lists, under a few striped mutexes.
 *
 * Classes: 64-byte steps up to 512 B (64, 128, ..., 512), then 4 classes per power of two
 * (640, 768, 896, 1024, 1280, ...) up to SM_POOL_MAX_POOLED = 1 GiB, so a class wastes less
 * than 64 B on a small buffer and less than 25% on a large one.  Larger rents go straight to
 * the system at their exact size (counted as misses) and are freed on return.
 *
 * Every buffer sits behind a 64-byte header (so the user pointer keeps the 64-byte alignment
 * of the system allocation) that records its pool, its class or that it is an exact-size
 * allocation, the requested size, whether the pool was on when it was rented, and a magic
 * value.  The magic goes LIVE -> FREE by compare-and-swap on return, so a double return or a
 * foreign pointer is reported with g_critical and never touches the free lists.  (A second
 * return of a buffer that was already freed to the system reads freed memory: only buffers
 * still cached can be checked.)
 *
 * Modes.  Off, every rent is an exact-size allocation (+ header) and every return a free;
 * switching off also trims, so the off mode holds no cache and its memory figures are
 * honest.  A buffer remembers how it was obtained, so switching with buffers out is safe:
 *  - rented on (a class buffer), returned off: freed;
 *  - rented off (exact size), returned on: freed as well, even when its size happens to equal
 *    a class size.  Only class buffers ever enter a free list, which keeps the rule simple
 *    and the off mode's buffers out of the on mode's cache.
 * A return reads the mode under its stripe's mutex, and switching off sets the mode before
 * trimming each stripe under that mutex, so no buffer can slip onto a list after the trim.
 *
 * Locking.  Class c's free list belongs to stripe c % SM_POOL_N_STRIPES (neighbouring
 * classes, the sizes one model step mixes, land on different stripes); exact-size buffers
 * have a stripe of their own.  A stripe's mutex guards its lists and its counters;
 * live_bytes and peak_bytes are pool-wide atomics only changed while holding some stripe's
 * mutex.  get_stats and reset_stats take all 17 mutexes in index order, so they see (and
 * reset) one consistent state: rents == hits + misses + rents made while off, and so on.
 * Stripes rather than a mutex per class keep that sweep short (and under ThreadSanitizer's
 * limit of 64 mutexes held at once).  An uncontended hit is one lock, a pop, a few counter
 * bumps and an atomic add: about 20 ns for a rent + return pair.
 */
#define G_LOG_DOMAIN "sm-pool"

#include "sm-pool.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SM_POOL_SMALL_MAX     512u                    /* 64-byte steps up to here */
#define SM_POOL_MAX_POOLED    ((gsize) 1 << 30)       /* largest pooled capacity */
/* 8 small classes, then 4 per power of two for (2^9, 2^30]: 21 octaves. */
#define SM_POOL_N_CLASSES     (8 + 4 * 21)
#define SM_POOL_DIRECT        SM_POOL_N_CLASSES       /* exact-size buffers' class */

#define SM_POOL_N_STRIPES     16
#define SM_POOL_STRIPE_DIRECT SM_POOL_N_STRIPES       /* exact-size buffers' stripe */
/* Class c's list is free_list[c / SM_POOL_N_STRIPES] of stripe c % SM_POOL_N_STRIPES. */
#define SM_POOL_PER_STRIPE    ((SM_POOL_N_CLASSES + SM_POOL_N_STRIPES - 1) / SM_POOL_N_STRIPES)

#define SM_POOL_MAGIC_LIVE    0x4c506d53u             /* "SmPL" */
#define SM_POOL_MAGIC_FREE    0x46506d53u             /* "SmPF" */
#define SM_POOL_MAGIC_DEAD    0x44506d53u             /* "SmPD": going back to the system */

typedef struct _SmPoolHeader SmPoolHeader;

/* Lives in the 64 bytes just before every buffer. */
struct _SmPoolHeader {
  _Alignas (SM_POOL_ALIGN) _Atomic guint32 magic;
  guint16       klass;       /* class index, or SM_POOL_DIRECT for an exact-size buffer */
  guint8        pooled;      /* the pool was on when this was rented */
  guint8        mapped;      /* from mmap (see system_alloc), not malloc */
  SmPool       *pool;
  gsize         requested;   /* what the renter asked for (counts in live_bytes) */
  gsize         capacity;    /* usable bytes after the header */
  SmPoolHeader *next;        /* while on a free list */
};
G_STATIC_ASSERT (sizeof (SmPoolHeader) == SM_POOL_ALIGN);

/* On its own cache lines, so threads working in different stripes share no line. */
typedef struct {
  _Alignas (64) GMutex lock;
  SmPoolHeader *free_list[SM_POOL_PER_STRIPE];
  guint64 n_out;             /* buffers of this stripe rented and not returned */
  /* this stripe's share of the SmPoolStats fields */
  guint64 rents, hits, misses, returns, rented_bytes;
  guint64 cached_bytes, system_bytes, system_allocs, system_frees;
} SmPoolStripe;

struct _SmPool {
  SmPoolStripe    stripes[SM_POOL_N_STRIPES + 1];   /* the last is SM_POOL_STRIPE_DIRECT */
  _Alignas (64) _Atomic gboolean enabled;
  _Atomic guint64 live_bytes;
  _Atomic guint64 peak_bytes;
  _Atomic guint64 system_allocs;   /* the stripes' system_allocs summed, never reset: one
                                    * read for callers that count per token */
};

static SmPool *default_pool;

/* ---- size classes ---------------------------------------------------------------------- */

static inline guint
class_of (gsize bytes)
{
  guint k, m;

  if (bytes <= SM_POOL_SMALL_MAX)
    return bytes == 0 ? 0 : (guint) ((bytes - 1) >> 6);
  /* 2^k < bytes <= 2^(k+1), k >= 9; the octave splits into 4 steps of 2^(k-2). */
  k = 63u - (guint) __builtin_clzll ((unsigned long long) (bytes - 1));
  m = (guint) ((bytes - 1 - ((gsize) 1 << k)) >> (k - 2));     /* 0..3 */
  return 8u + (k - 9u) * 4u + m;
}

static inline gsize
class_capacity (guint c)
{
  guint k;

  if (c < 8)
    return (gsize) (c + 1) * 64u;
  k = 9u + (c - 8u) / 4u;
  return ((gsize) 1 << k) + (gsize) ((c - 8u) % 4u + 1u) * ((gsize) 1 << (k - 2));
}

static inline SmPoolStripe *
stripe_of (SmPool *pool, guint c)
{
  return &pool->stripes[c == SM_POOL_DIRECT ? SM_POOL_STRIPE_DIRECT : c % SM_POOL_N_STRIPES];
}

static inline SmPoolHeader **
list_of (SmPoolStripe *k, guint c)
{
  return &k->free_list[c / SM_POOL_N_STRIPES];
}

/* ---- system memory --------------------------------------------------------------------- */

/* Buffers from SM_POOL_MMAP_MIN up are mapped pages of their own, returned to the system when
 * freed.  From malloc, they stayed in its heap: glibc raises its mmap threshold to the size of
 * each large block freed, so the next blocks of that size come from the heap, and the pool's
 * large buffers of changing sizes (a model switch, another thread count, the pool off) left
 * it ever more fragmented.  The engine stress's resident set grew by 9 MB a minute that way,
 * all of it free memory malloc held (tools/soak).  Under AddressSanitizer they stay with
 * malloc, whose redzones catch a kernel writing past a buffer's end. */
#if defined(__SANITIZE_ADDRESS__)
#define SM_POOL_MMAP_MIN G_MAXSIZE
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SM_POOL_MMAP_MIN G_MAXSIZE
#endif
#endif
#ifndef SM_POOL_MMAP_MIN
#define SM_POOL_MMAP_MIN ((gsize) 256 * 1024)
#endif

static gsize
mapped_size (gsize capacity)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  return (sizeof (SmPoolHeader) + capacity + page - 1) / page * page;
}

static SmPoolHeader *
system_alloc (gsize capacity)
{
  SmPoolHeader *h;

  if (G_UNLIKELY (capacity > G_MAXSIZE - sizeof (SmPoolHeader) - 65536))
    g_error ("%s: overflow allocating %" G_GSIZE_FORMAT " bytes", G_STRLOC, capacity);
  if (capacity >= SM_POOL_MMAP_MIN)
    {
      void *p = mmap (NULL, mapped_size (capacity), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      /* as g_malloc does on out-of-memory */
      if (G_UNLIKELY (p == MAP_FAILED))
        g_error ("%s: failed to allocate %" G_GSIZE_FORMAT " bytes", G_STRLOC, capacity);
      h = p;
      h->mapped = 1;
      return h;
    }
  /* g_aligned_alloc aborts on out-of-memory, like g_malloc. */
  h = g_aligned_alloc (1, sizeof (SmPoolHeader) + capacity, SM_POOL_ALIGN);
  h->mapped = 0;
  return h;
}

/* @h->capacity must be what system_alloc was asked for. */
static void
system_free (SmPoolHeader *h)
{
  atomic_store_explicit (&h->magic, SM_POOL_MAGIC_DEAD, memory_order_relaxed);
  if (h->mapped)
    munmap (h, mapped_size (h->capacity));
  else
    g_aligned_free (h);
}

/* Call with some stripe's mutex held (see "Locking" above). */
static inline void
live_add (SmPool *pool, gsize bytes)
{
  guint64 live = atomic_fetch_add_explicit (&pool->live_bytes, bytes, memory_order_relaxed) + bytes;
  guint64 peak = atomic_load_explicit (&pool->peak_bytes, memory_order_relaxed);

  while (live > peak &&
         !atomic_compare_exchange_weak_explicit (&pool->peak_bytes, &peak, live,
                                                 memory_order_relaxed, memory_order_relaxed))
    ;
}

static inline void
live_sub (SmPool *pool, gsize bytes)
{
  atomic_fetch_sub_explicit (&pool->live_bytes, bytes, memory_order_relaxed);
}

/* ---- life cycle ------------------------------------------------------------------------ */

SmPool *
sm_pool_new (void)
{
  SmPool *pool = g_aligned_alloc0 (1, sizeof (SmPool), _Alignof (SmPool));

  for (guint i = 0; i <= SM_POOL_N_STRIPES; i++)
    g_mutex_init (&pool->stripes[i].lock);
  atomic_init (&pool->enabled, TRUE);
  atomic_init (&pool->live_bytes, 0);
  atomic_init (&pool->peak_bytes, 0);
  return pool;
}

SmPool *
sm_pool_default (void)
{
  /* Created on first use and never freed: tensors anywhere in the process may hold its
   * buffers until exit. */
  if (g_once_init_enter (&default_pool))
    g_once_init_leave (&default_pool, sm_pool_new ());
  return default_pool;
}

void
sm_pool_free (SmPool *pool)
{
  guint64 out = 0;

  g_return_if_fail (pool != NULL);
  g_return_if_fail (pool != default_pool);

  sm_pool_trim (pool);
  for (guint i = 0; i <= SM_POOL_N_STRIPES; i++)
    out += pool->stripes[i].n_out;
  /* Outstanding buffers are leaked rather than freed under their owners' feet. */
  if (out != 0)
    g_critical ("%s: %" G_GUINT64_FORMAT " buffers (%" G_GUINT64_FORMAT " bytes) were never "
                "returned", G_STRFUNC, out,
                (guint64) atomic_load_explicit (&pool->live_bytes, memory_order_relaxed));
  for (guint i = 0; i <= SM_POOL_N_STRIPES; i++)
    g_mutex_clear (&pool->stripes[i].lock);
  g_aligned_free (pool);
}

/* ---- rent and return ------------------------------------------------------------------- */

/* Exact-size buffers: every rent while off, and rents above SM_POOL_MAX_POOLED while on. */
static gpointer
rent_direct (SmPool *pool, gsize bytes, gboolean enabled)
{
  SmPoolStripe *k = stripe_of (pool, SM_POOL_DIRECT);
  SmPoolHeader *h = system_alloc (bytes);

  h->klass = SM_POOL_DIRECT;
  h->pooled = enabled ? 1 : 0;
  h->pool = pool;
  h->requested = bytes;
  h->capacity = bytes;
  h->next = NULL;
  atomic_store_explicit (&h->magic, SM_POOL_MAGIC_LIVE, memory_order_relaxed);

  g_mutex_lock (&k->lock);
  k->rents++;
  k->rented_bytes += bytes;
  if (enabled)
    k->misses++;
  k->n_out++;
  k->system_allocs++;
  k->system_bytes += sizeof (SmPoolHeader) + bytes;
  live_add (pool, bytes);
  g_mutex_unlock (&k->lock);
  atomic_fetch_add_explicit (&pool->system_allocs, 1, memory_order_relaxed);
  return h + 1;
}

gpointer
sm_pool_rent (SmPool *pool, gsize bytes)
{
  SmPoolStripe *k;
  SmPoolHeader **list;
  SmPoolHeader *h;
  gboolean enabled;
  guint c;

  g_return_val_if_fail (pool != NULL, NULL);

  enabled = atomic_load_explicit (&pool->enabled, memory_order_relaxed);
  if (G_UNLIKELY (!enabled || bytes > SM_POOL_MAX_POOLED))
    return rent_direct (pool, bytes, enabled);

  c = class_of (bytes);
  k = stripe_of (pool, c);
  list = list_of (k, c);
  g_mutex_lock (&k->lock);
  h = *list;
  k->rents++;
  k->rented_bytes += bytes;
  k->n_out++;
  if (G_LIKELY (h != NULL))
    {
      *list = h->next;
      k->hits++;
      k->cached_bytes -= h->capacity;
    }
  else
    {
      /* Counted now, allocated below outside the lock: a big allocation must not stall
       * other renters.  system_alloc cannot fail (it aborts). */
      k->misses++;
      k->system_allocs++;
      k->system_bytes += sizeof (SmPoolHeader) + class_capacity (c);
    }
  live_add (pool, bytes);
  g_mutex_unlock (&k->lock);

  if (h == NULL)
    {
      atomic_fetch_add_explicit (&pool->system_allocs, 1, memory_order_relaxed);
      h = system_alloc (class_capacity (c));
      h->klass = (guint16) c;
      h->pool = pool;
      h->capacity = class_capacity (c);
    }
  h->pooled = 1;
  h->requested = bytes;
  h->next = NULL;
  atomic_store_explicit (&h->magic, SM_POOL_MAGIC_LIVE, memory_order_relaxed);
  return h + 1;
}

gpointer
sm_pool_rent0 (SmPool *pool, gsize bytes)
{
  gpointer buf = sm_pool_rent (pool, bytes);

  if (buf != NULL)
    memset (buf, 0, bytes);
  return buf;
}

void
sm_pool_return (SmPool *pool, gpointer buf)
{
  SmPoolHeader *h;
  SmPoolStripe *k;
  guint32 magic;
  gboolean keep;

  g_return_if_fail (pool != NULL);
  if (buf == NULL)
    return;

  /* Checks cheap enough for every return.  A pointer that is not ours may still point
   * past unreadable memory; these catch the common mistakes (a g_malloc'd pointer, a
   * second return) without ever writing anything. */
  if (G_UNLIKELY ((guintptr) buf % SM_POOL_ALIGN != 0))
    {
      g_critical ("%s: %p was not rented from a pool (misaligned)", G_STRFUNC, buf);
      return;
    }
  h = (SmPoolHeader *) buf - 1;
  magic = atomic_load_explicit (&h->magic, memory_order_relaxed);
  if (G_UNLIKELY (magic != SM_POOL_MAGIC_LIVE))
    {
      if (magic == SM_POOL_MAGIC_FREE)
        g_critical ("%s: %p was returned twice", G_STRFUNC, buf);
      else
        g_critical ("%s: %p was not rented from a pool", G_STRFUNC, buf);
      return;
    }
  if (G_UNLIKELY (h->pool != pool))
    {
      g_critical ("%s: %p belongs to another pool", G_STRFUNC, buf);
      return;
    }
  if (G_UNLIKELY (!atomic_compare_exchange_strong_explicit (&h->magic, &magic,
                                                            SM_POOL_MAGIC_FREE,
                                                            memory_order_acq_rel,
                                                            memory_order_relaxed)))
    {
      /* Another thread returned it between the load and here. */
      g_critical ("%s: %p was returned twice", G_STRFUNC, buf);
      return;
    }

  g_assert (h->klass <= SM_POOL_DIRECT);
  g_assert (h->klass == SM_POOL_DIRECT || h->pooled);
  k = stripe_of (pool, h->klass);
  g_mutex_lock (&k->lock);
  k->returns++;
  k->n_out--;
  live_sub (pool, h->requested);
  keep = h->klass != SM_POOL_DIRECT && atomic_load_explicit (&pool->enabled, memory_order_relaxed);
  if (G_LIKELY (keep))
    {
      SmPoolHeader **list = list_of (k, h->klass);
      h->next = *list;
      *list = h;
      k->cached_bytes += h->capacity;
    }
  else
    {
      k->system_frees++;
      k->system_bytes -= sizeof (SmPoolHeader) + h->capacity;
    }
  g_mutex_unlock (&k->lock);

  if (!keep)
    system_free (h);
}

/* ---- modes and read-outs --------------------------------------------------------------- */

void
sm_pool_set_enabled (SmPool *pool, gboolean enabled)
{
  g_return_if_fail (pool != NULL);

  atomic_store (&pool->enabled, enabled ? TRUE : FALSE);
  /* Off means no cache: what the system holds is then exactly what is rented (+ headers). */
  if (!enabled)
    sm_pool_trim (pool);
}

gboolean
sm_pool_get_enabled (SmPool *pool)
{
  g_return_val_if_fail (pool != NULL, FALSE);

  return atomic_load (&pool->enabled);
}

void
sm_pool_trim (SmPool *pool)
{
  g_return_if_fail (pool != NULL);

  for (guint i = 0; i < SM_POOL_N_STRIPES; i++)
    {
      SmPoolStripe *k = &pool->stripes[i];
      SmPoolHeader *doomed = NULL;

      g_mutex_lock (&k->lock);
      for (guint j = 0; j < SM_POOL_PER_STRIPE; j++)
        while (k->free_list[j] != NULL)
          {
            SmPoolHeader *h = k->free_list[j];
            k->free_list[j] = h->next;
            k->system_frees++;
            k->system_bytes -= sizeof (SmPoolHeader) + h->capacity;
            k->cached_bytes -= h->capacity;
            h->next = doomed;
            doomed = h;
          }
      g_assert (k->cached_bytes == 0);
      g_mutex_unlock (&k->lock);

      /* Freed outside the lock: unmapping big buffers takes a while. */
      while (doomed != NULL)
        {
          SmPoolHeader *next = doomed->next;
          system_free (doomed);
          doomed = next;
        }
    }
}

static void
lock_all (SmPool *pool)
{
  for (guint i = 0; i <= SM_POOL_N_STRIPES; i++)
    g_mutex_lock (&pool->stripes[i].lock);
}

static void
unlock_all (SmPool *pool)
{
  for (guint i = SM_POOL_N_STRIPES + 1; i-- > 0;)
    g_mutex_unlock (&pool->stripes[i].lock);
}

guint64
sm_pool_count_system_allocs (SmPool *pool)
{
  g_return_val_if_fail (pool != NULL, 0);
  return atomic_load_explicit (&pool->system_allocs, memory_order_relaxed);
}

void
sm_pool_get_stats (SmPool *pool, SmPoolStats *stats)
{
  g_return_if_fail (pool != NULL);
  g_return_if_fail (stats != NULL);

  memset (stats, 0, sizeof *stats);
  lock_all (pool);
  for (guint i = 0; i <= SM_POOL_N_STRIPES; i++)
    {
      const SmPoolStripe *k = &pool->stripes[i];
      stats->rents += k->rents;
      stats->hits += k->hits;
      stats->misses += k->misses;
      stats->returns += k->returns;
      stats->rented_bytes += k->rented_bytes;
      stats->cached_bytes += k->cached_bytes;
      stats->system_bytes += k->system_bytes;
      stats->system_allocs += k->system_allocs;
      stats->system_frees += k->system_frees;
    }
  stats->live_bytes = atomic_load_explicit (&pool->live_bytes, memory_order_relaxed);
  stats->peak_bytes = atomic_load_explicit (&pool->peak_bytes, memory_order_relaxed);
  unlock_all (pool);
}

void
sm_pool_reset_stats (SmPool *pool)
{
  g_return_if_fail (pool != NULL);

  lock_all (pool);
  for (guint i = 0; i <= SM_POOL_N_STRIPES; i++)
    {
      SmPoolStripe *k = &pool->stripes[i];
      k->rents = k->hits = k->misses = k->returns = k->rented_bytes = 0;
      k->system_allocs = k->system_frees = 0;
    }
  atomic_store_explicit (&pool->peak_bytes,
                         atomic_load_explicit (&pool->live_bytes, memory_order_relaxed),
                         memory_order_relaxed);
  unlock_all (pool);
}
