/* sm-mapped-file.c: read-only mappings in a table that a SIGBUS handler reads.
 *
 * Why a handler that maps zero pages, rather than the alternatives:
 * - A guarded read (sigsetjmp around the forward pass, siglongjmp from the handler) only
 *   works on the thread that set the jump; the fault happens as often on a compute thread in
 *   the middle of its row range, with the others still reading, and jumping out of a kernel
 *   would leave the thread pool's barrier waiting for it.
 * - Checking the file's size before each use is racy (it can shrink right after the check)
 *   and would need a check inside every kernel.
 * - Reading the whole file into memory is immune, but doubles what a model costs until the
 *   page cache drops its copy, and loses the mapping's start-up speed; it is what is done
 *   only when the table is full.
 * Zero pages let every thread finish the pass it is in with harmless numbers (zeros give no
 * NaN: a norm of zeros is zero), and the one thread that owns the result (the engine thread)
 * asks afterwards and throws the pass away.  The pages are the kernel's shared zero page:
 * replacing a whole model costs no memory.
 */
#define G_LOG_DOMAIN "sm-mapped-file"

#include "sm-mapped-file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

G_DEFINE_QUARK (sm-mapped-file-error-quark, sm_mapped_file_error)

/* The mappings the handler may replace.  Fixed storage, so the handler reads no memory that
 * may be freed under it, and no lock in the handler, which could interrupt the thread that
 * holds it.  Ordinary code changes a slot only under table_lock: claimed, filled, then marked
 * ready; the handler reads only ready slots.  64 mappings open at once is many model files;
 * a file that finds no slot is read into memory instead, where no truncation can reach it. */
#define N_SLOTS 64

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_READY };

typedef struct {
  _Atomic int state;     /* SLOT_* */
  _Atomic int damage;    /* SM_MAPPED_FILE_INTACT, _TRUNCATED or _REWRITTEN */
  uintptr_t   start;     /* page-aligned, as mmap () returned it */
  size_t      length;    /* whole pages: a fault in the last page's tail is ours too */
} Slot;

static Slot slots[N_SLOTS];
static _Atomic unsigned n_damaged;
static struct sigaction previous;     /* SIGBUS's action before ours, for faults not ours */
static size_t page_size;

/* What only ordinary code reads, under table_lock. */
typedef struct {
  int             slot;
  int             fd;      /* kept open: fstat () says whether the file we map changed,
                            * whatever file its path names by now (a rename over it is safe) */
  char           *path;
  off_t           size;
  struct timespec mtime;
} Mapping;

static GMutex   table_lock;
static Mapping *mappings[N_SLOTS];

/* ---- the handler ------------------------------------------------------------------------------ */

/* A SIGBUS that is not ours: what would have happened without us. */
static void
chain (int sig, siginfo_t *info, void *context)
{
  struct sigaction dfl = { 0 };

  /* (SIG_DFL and SIG_IGN share the union with sa_sigaction: tested first, whatever the flags) */
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN)
    {
      if (previous.sa_flags & SA_SIGINFO)
        previous.sa_sigaction (sig, info, context);   /* AddressSanitizer's, in its builds */
      else
        previous.sa_handler (sig);
      return;
    }
  if (previous.sa_handler == SIG_IGN && info->si_code <= 0)
    return;   /* sent by kill (), and the program ignores it */
  /* Die of it with the default action: a fault happens again as the handler returns, a sent
   * signal is sent again (blocked until then). */
  dfl.sa_handler = SIG_DFL;
  sigemptyset (&dfl.sa_mask);
  sigaction (sig, &dfl, NULL);
  if (info->si_code <= 0)
    raise (sig);
}

/* Async-signal-safe: atomics on fixed storage, and mmap (), which POSIX does not list as safe
 * but is a plain system call on Linux (glibc's wrapper takes no lock). */
static void
on_sigbus (int sig, siginfo_t *info, void *context)
{
  int saved_errno = errno;
  uintptr_t addr = (uintptr_t) info->si_addr;

  /* si_code > 0: raised by the kernel for this access (BUS_ADRERR past the end of the file),
   * so si_addr means something */
  if (info->si_code > 0)
    for (int i = 0; i < N_SLOTS; i++)
      {
        Slot *s = &slots[i];

        if (atomic_load (&s->state) != SLOT_READY || addr - s->start >= s->length)
          continue;
        /* The whole mapping, not only the page: what is left of the file is being rewritten
         * anyway, and one consistent state (all zeros) is what the pass should see.  Threads
         * faulting here at once each map it again, which is harmless. */
        if (mmap ((void *) s->start, s->length, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
                  -1, 0) == MAP_FAILED)
          break;
        if (atomic_exchange (&s->damage, SM_MAPPED_FILE_TRUNCATED) == SM_MAPPED_FILE_INTACT)
          atomic_fetch_add (&n_damaged, 1);
        errno = saved_errno;
        return;   /* the read runs again, on a zero page */
      }
  errno = saved_errno;
  chain (sig, info, context);
}

/* Once per process, with the first mapping, on top of whatever handler is there (chained). */
static void
install_handler (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      struct sigaction sa = { 0 };

      page_size = (size_t) sysconf (_SC_PAGESIZE);
      sa.sa_sigaction = on_sigbus;
      sa.sa_flags = SA_SIGINFO;
      sigemptyset (&sa.sa_mask);
      if (sigaction (SIGBUS, &sa, &previous) != 0)
        g_warning ("Cannot handle SIGBUS (%s): a model file truncated while in use will "
                   "crash the program", g_strerror (errno));
      g_once_init_leave (&once, 1);
    }
}

/* ---- the table -------------------------------------------------------------------------------- */

static int
slot_claim (void)
{
  for (int i = 0; i < N_SLOTS; i++)
    if (atomic_load (&slots[i].state) == SLOT_FREE)
      {
        atomic_store (&slots[i].state, SLOT_CLAIMED);
        return i;
      }
  return -1;
}

/* The GBytes' free function.  A thread still reading the mapping now would be reading freed
 * memory anyway; the slot goes first so that the handler never maps over an address range
 * that has been given back. */
static void
mapping_free (gpointer data)
{
  Mapping *m = data;
  Slot *s = &slots[m->slot];
  /* read before the slot is given back: another mapping may take it at once */
  void *start = (void *) s->start;
  size_t length = s->length;

  g_mutex_lock (&table_lock);
  atomic_store (&s->state, SLOT_FREE);
  mappings[m->slot] = NULL;
  g_mutex_unlock (&table_lock);
  munmap (start, length);
  close (m->fd);
  g_free (m->path);
  g_free (m);
}

static void
set_errno_error (GError **error, int errsv, const char *what, const char *path)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv), "%s “%s”: %s", what, display,
               g_strerror (errsv));
}

/* No slot left: the file's bytes in memory (unreachable by a truncation, never checked). */
static GBytes *
read_whole (const char *path, GError **error)
{
  char *contents;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  return g_bytes_new_take (contents, length);
}

GBytes *
sm_mapped_file_map (const char *path, GError **error)
{
  struct stat st;
  Mapping *m;
  void *base;
  int fd, slot;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  install_handler ();
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      set_errno_error (error, errno, "Failed to open file", path);
      return NULL;
    }
  if (fstat (fd, &st) != 0)
    {
      set_errno_error (error, errno, "Failed to get attributes of file", path);
      close (fd);
      return NULL;
    }
  if (S_ISDIR (st.st_mode))
    {
      set_errno_error (error, EISDIR, "Failed to map file", path);
      close (fd);
      return NULL;
    }
  if (st.st_size == 0)
    {
      /* nothing to map (a FIFO, an empty file): as GMappedFile, empty contents */
      close (fd);
      return g_bytes_new (NULL, 0);
    }
  if ((guint64) st.st_size > G_MAXSIZE)
    {
      set_errno_error (error, EFBIG, "Failed to map file", path);
      close (fd);
      return NULL;
    }

  g_mutex_lock (&table_lock);
  slot = slot_claim ();
  g_mutex_unlock (&table_lock);
  if (slot < 0)
    {
      close (fd);
      return read_whole (path, error);
    }

  base = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (base == MAP_FAILED)
    {
      int errsv = errno;
      atomic_store (&slots[slot].state, SLOT_FREE);
      close (fd);
      set_errno_error (error, errsv, "Failed to map file", path);
      return NULL;
    }

  m = g_new0 (Mapping, 1);
  m->slot = slot;
  m->fd = fd;
  m->path = g_strdup (path);
  m->size = st.st_size;
  m->mtime = st.st_mtim;

  g_mutex_lock (&table_lock);
  slots[slot].start = (uintptr_t) base;
  slots[slot].length = ((size_t) st.st_size + page_size - 1) / page_size * page_size;
  atomic_store (&slots[slot].damage, SM_MAPPED_FILE_INTACT);
  mappings[slot] = m;
  atomic_store (&slots[slot].state, SLOT_READY);   /* after its fields: the handler may look */
  g_mutex_unlock (&table_lock);

  return g_bytes_new_with_free_func (base, (gsize) st.st_size, mapping_free, m);
}

/* Under table_lock: whether the file behind @m is still the one that was mapped.  Its size
 * and modification time are what a rewrite changes (ctime would also move on a chmod or a
 * rename, which leave the bytes alone). */
static gboolean
file_unchanged (const Mapping *m)
{
  struct stat st;

  if (fstat (m->fd, &st) != 0)
    return TRUE;   /* cannot tell: an fd we hold open does not fail fstat () */
  return st.st_size == m->size && st.st_mtim.tv_sec == m->mtime.tv_sec &&
         st.st_mtim.tv_nsec == m->mtime.tv_nsec;
}

SmMappedFileState
sm_mapped_file_state (gconstpointer data, gboolean stat_file, char **path)
{
  SmMappedFileState state = SM_MAPPED_FILE_NONE;
  uintptr_t addr = (uintptr_t) data;

  if (path != NULL)
    *path = NULL;
  g_mutex_lock (&table_lock);
  for (int i = 0; i < N_SLOTS; i++)
    {
      Slot *s = &slots[i];

      if (atomic_load (&s->state) != SLOT_READY || addr - s->start >= s->length)
        continue;
      state = atomic_load (&s->damage);
      if (state == SM_MAPPED_FILE_INTACT && stat_file && !file_unchanged (mappings[i]))
        {
          int expected = SM_MAPPED_FILE_INTACT;
          /* it stays damaged: what was read from it may already be the new bytes */
          if (atomic_compare_exchange_strong (&s->damage, &expected, SM_MAPPED_FILE_REWRITTEN))
            atomic_fetch_add (&n_damaged, 1);
          state = atomic_load (&s->damage);
        }
      if (path != NULL)
        *path = g_strdup (mappings[i]->path);
      break;
    }
  g_mutex_unlock (&table_lock);
  return state;
}

guint
sm_mapped_file_n_damaged (void)
{
  return atomic_load (&n_damaged);
}
